/* SPDX-License-Identifier: BSD-3-Clause
 *
 * niqe.c - NIQE, the Natural Image Quality Evaluator (A. Mittal,
 * R. Soundararajan, A. C. Bovik, "Making a 'Completely Blind' Image
 * Quality Analyzer", IEEE Signal Processing Letters 20(3):209-212, 2013),
 * as the LIVE MATLAB release computes it (niqe_release: computequality.m,
 * computefeature.m, estimatemodelparam.m), and the fitting of a pristine
 * model from a site's own images.
 *
 * Features: the plane (0..255) is cropped to whole 96x96 blocks; at scale
 * 1 and at scale 2 (MATLAB imresize 0.5 of the cropped plane, bicubic
 * with antialiasing) MSCN coefficients are computed with imfilter
 * 'replicate' and c = 1, and each block (96x96, then 48x48) gives 18
 * features: the AGGD fit of its MSCN samples (shape, (bl + br)/2), then
 * for the paired products H, V, D1, D2 taken with circshift inside the
 * block (wrap-around) the AGGD shape, the mean (br - bl) G(2/a)/G(1/a),
 * bl and br, where b = std sqrt(G(1/a)/G(3/a)) (paper eq. 4-8).  A block
 * is a row of 36 features.
 *
 * Score (paper eq. 10): with mu_d the column means of the rows ignoring
 * NaN (nanmean) and cov_d the covariance of the rows that hold no NaN
 * (nancov, normalised by N - 1, by 1 for one row),
 *   D = sqrt((mu_p - mu_d)^T pinv((cov_p + cov_d) / 2) (mu_p - mu_d)).
 * pinv is the pseudo-inverse of the symmetric matrix from its Jacobi
 * eigen-decomposition, eigenvalues with |l| <= n eps(max |l|) dropped (the
 * tolerance of MATLAB's pinv).
 *
 * Fitting (estimatemodelparam.m): per image, the blocks whose sharpness,
 * the mean of the scale-1 local deviation sigma over the block, exceeds
 * 0.75 of the image's largest block sharpness are kept; the model is the
 * nanmean and nancov of all kept rows.  The fit streams: per-column sums
 * for the mean, and Welford's update (B. P. Welford, Technometrics 4(3),
 * 1962) of the mean and co-moment of the complete rows for the
 * covariance, so images can be added one at a time in O(36^2) memory.
 *
 * Model file (qc_niqe_model_write / _load): text, '#' comments, then
 * "key value" lines: format dicomqc-niqe 1, date, images, blocks,
 * source, modality, block 96 96, sharpness, then "mu 36" and a line of 36
 * numbers, "cov 36 36" and 36 lines of 36 numbers (%.17g, exact).
 *
 * Tests: tests/unit/test_qc_niqe.c
 */
#include "qc_int.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NF          QC_NIQE_NFEAT /* Features per block */
#define BLOCK       96            /* Block side at scale 1 */
#define NIQE_MAGIC  0x4e495145u   /* "NIQE": model handle */
#define FIT_MAGIC   0x4e494654u   /* "NIFT": fit handle */
#define JACOBI_LOOP 100           /* Sweeps; 36x36 converges in < 15 */

/* A pristine model with its provenance.  Read-only once made. */
struct qc_niqe_model {
  uint32_t magic;               /* NIQE_MAGIC while valid */
  double aMu[NF];               /* Mean feature vector */
  double aCov[NF * NF];         /* Covariance, symmetric, row-major */
  int64_t nImage;               /* Images the model was fitted on */
  int64_t nBlock;               /* Blocks (rows) behind the covariance */
  double sharpFraction;         /* Block selection threshold used */
  char zDate[QC_NIQE_ZMAX];     /* Provenance: when, caller's words */
  char zSource[QC_NIQE_ZMAX];   /* Provenance: where the images came from */
  char zModality[QC_NIQE_ZMAX]; /* Provenance: modality (e.g. "MR") */
};

/* A fit in progress. */
struct qc_niqe_fit {
  uint32_t magic;       /* FIT_MAGIC while valid */
  double sharpFraction; /* Keep blocks above this fraction of the max */
  int64_t nImage;       /* Planes added */
  double aColSum[NF];   /* nanmean: sum of the non-NaN values per column */
  double aColN[NF];     /* nanmean: their count */
  double nRow;          /* nancov: complete rows so far */
  double aMean[NF];     /* nancov: running mean of the complete rows */
  double aM2[NF * NF];  /* nancov: running co-moment sum */
};

/* Block features of one plane. */
struct niqe_blocks {
  int32_t nBlock; /* Blocks (rows) */
  double *aFeat;  /* nBlock x NF features */
  double *aSharp; /* nBlock sharpness values (mean scale-1 sigma) */
};

/* The 18 features of one block of MSCN samples (w x h, rows stride
 * floats apart) into f. */
static void block_features(const float *x, int32_t w, int32_t h, size_t stride,
                           double *f)
{
  struct qc_nss_moments m;
  struct qc_aggd fit;
  double g1, g3, a;
  int32_t r;
  int k;

  memset(&m, 0, sizeof(m));
  for(r = 0; r < h; r++) {
    qc_nss_moments_add(&m, x + (size_t)r * stride, (size_t)w);
  }
  qc_aggd_fit(&m, QC_NSS_MATLAB, &fit);
  a = fit.alpha;
  g1 = tgamma(1.0 / a);
  g3 = tgamma(3.0 / a);
  f[0] = a;
  f[1] = (fit.leftStd + fit.rightStd) * sqrt(g1 / g3) / 2.0;
  for(k = 0; k < 4; k++) {
    double bl, br;
    qc_nss_pair_moments(x, w, h, stride, (enum qc_nss_orient)k, 1, &m);
    qc_aggd_fit(&m, QC_NSS_MATLAB, &fit);
    a = fit.alpha;
    g1 = tgamma(1.0 / a);
    g3 = tgamma(3.0 / a);
    bl = fit.leftStd * sqrt(g1 / g3);
    br = fit.rightStd * sqrt(g1 / g3);
    f[2 + 4 * k] = a;
    f[3 + 4 * k] = (br - bl) * (tgamma(2.0 / a) / g1);
    f[4 + 4 * k] = bl;
    f[5 + 4 * k] = br;
  }
}

/* Features of every block of the MSCN plane x (nbx x nby blocks of side
 * side) into columns iCol.. of the rows of pB; with aSigma, also the
 * block sharpness. */
static void plane_blocks(const float *x, const float *aSigma, int32_t w,
                         int32_t nbx, int32_t nby, int32_t side, int iCol,
                         struct niqe_blocks *pB)
{
  int32_t bx, by;

  for(by = 0; by < nby; by++) {
    for(bx = 0; bx < nbx; bx++) {
      size_t o = (size_t)by * (size_t)side * (size_t)w + (size_t)bx * side;
      double *f = pB->aFeat + ((size_t)by * nbx + bx) * NF + iCol;
      block_features(x + o, side, side, (size_t)w, f);
      if(aSigma != NULL) {
        double s = 0.0;
        int32_t r, c;
        for(r = 0; r < side; r++) {
          const float *p = aSigma + o + (size_t)r * (size_t)w;
          for(c = 0; c < side; c++) {
            s += p[c];
          }
        }
        pB->aSharp[(size_t)by * nbx + bx] = s / ((double)side * side);
      }
    }
  }
}

/* Computes the block features (and sharpness) of a plane in 0..255 into
 * *pB, whose arrays the caller frees with free(pB->aFeat) (one block).
 * Returns QC_OK, QC_ERR_RANGE (a side < 96, > 65535, or a non-finite
 * sample), QC_ERR_MISUSE, QC_ERR_NOMEM. */
static int niqe_blocks(const struct qc_plane *pIn, struct niqe_blocks *pB)
{
  int32_t nbx, nby, w, h, r;
  size_t n, nAll;
  float *aMem, *aCrop, *aX, *aSig, *aHalf;
  struct qc_plane crop, half;
  int rc = qc_plane_len(pIn, &n);

  if(rc != QC_OK) {
    return rc;
  }
  if(pIn->nWidth > QC_MAX_SIDE || pIn->nHeight > QC_MAX_SIDE) {
    return QC_ERR_RANGE;
  }
  nbx = pIn->nWidth / BLOCK;
  nby = pIn->nHeight / BLOCK;
  if(nbx < 1 || nby < 1) {
    return QC_ERR_RANGE;
  }
  w = nbx * BLOCK;
  h = nby * BLOCK;
  n = (size_t)w * (size_t)h;
  nAll = 3 * n + 2 * (n / 4);
  aMem = malloc(nAll * sizeof(float));
  pB->nBlock = nbx * nby;
  pB->aFeat = malloc((size_t)pB->nBlock * (NF + 1) * sizeof(double));
  if(aMem == NULL || pB->aFeat == NULL) {
    free(aMem);
    free(pB->aFeat);
    pB->aFeat = NULL;
    return QC_ERR_NOMEM;
  }
  pB->aSharp = pB->aFeat + (size_t)pB->nBlock * NF;
  aCrop = aMem;
  aX = aCrop + n;
  aSig = aX + n;
  aHalf = aSig + n;
  for(r = 0; r < h; r++) {
    memcpy(aCrop + (size_t)r * w, pIn->a + (size_t)r * pIn->nWidth,
           (size_t)w * sizeof(float));
  }
  crop.a = aCrop;
  crop.nWidth = w;
  crop.nHeight = h;
  rc = qc_mscn(&crop, 7, 7.0 / 6.0, QC_BORDER_REPLICATE, 1.0, aX, NULL, aSig);
  if(rc == QC_OK) {
    plane_blocks(aX, aSig, w, nbx, nby, BLOCK, 0, pB);
    rc = qc_resize_bicubic_matlab(&crop, 0.5, aHalf);
  }
  if(rc == QC_OK) {
    half.a = aHalf;
    half.nWidth = w / 2;
    half.nHeight = h / 2;
    rc = qc_mscn(&half, 7, 7.0 / 6.0, QC_BORDER_REPLICATE, 1.0, aHalf + n / 4,
                 NULL, NULL);
  }
  if(rc == QC_OK) {
    plane_blocks(aHalf + n / 4, NULL, w / 2, nbx, nby, BLOCK / 2, NF / 2, pB);
  }
  free(aMem);
  if(rc != QC_OK) {
    free(pB->aFeat);
    pB->aFeat = NULL;
  }
  return rc;
}

/* 1 if row f (NF values) holds no NaN. */
static int row_complete(const double *f)
{
  int k;

  for(k = 0; k < NF; k++) {
    if(isnan(f[k])) {
      return 0;
    }
  }
  return 1;
}

/* Adds row f to the nanmean sums and, if complete, to the Welford
 * covariance of pFit. */
static void fit_add_row(struct qc_niqe_fit *pFit, const double *f)
{
  double aDelta[NF]; /* f - mean before the update */
  int i, j;

  for(i = 0; i < NF; i++) {
    if(!isnan(f[i])) {
      pFit->aColSum[i] += f[i];
      pFit->aColN[i] += 1.0;
    }
  }
  if(!row_complete(f)) {
    return;
  }
  pFit->nRow += 1.0;
  for(i = 0; i < NF; i++) {
    aDelta[i] = f[i] - pFit->aMean[i];
    pFit->aMean[i] += aDelta[i] / pFit->nRow;
  }
  for(i = 0; i < NF; i++) {
    double di = f[i] - pFit->aMean[i]; /* f - mean after the update */
    for(j = 0; j < NF; j++) {
      pFit->aM2[i * NF + j] += aDelta[j] * di;
    }
  }
}

/* nanmean and nancov of the rows added to pFit into aMu and aCov.
 * Returns QC_ERR_RANGE if no complete row was added or a column has no
 * value. */
static int fit_moments(const struct qc_niqe_fit *pFit, double *aMu,
                       double *aCov)
{
  double norm = pFit->nRow > 1.0 ? pFit->nRow - 1.0 : 1.0; /* cov() */
  int i, j;

  if(pFit->nRow < 1.0) {
    return QC_ERR_RANGE;
  }
  for(i = 0; i < NF; i++) {
    if(pFit->aColN[i] < 1.0) {
      return QC_ERR_RANGE;
    }
    aMu[i] = pFit->aColSum[i] / pFit->aColN[i];
  }
  for(i = 0; i < NF; i++) {
    for(j = 0; j < NF; j++) {
      /* The co-moment is symmetric up to rounding: average the halves. */
      aCov[i * NF + j] =
          (pFit->aM2[i * NF + j] + pFit->aM2[j * NF + i]) / (2.0 * norm);
    }
  }
  return QC_OK;
}

/* Jacobi rotation that zeroes a[p][q] of the symmetric n x n matrix a,
 * accumulated into the eigenvector columns of v (Golub and Van Loan,
 * Matrix Computations, 4th ed., algorithm 8.5.2, sym.schur2). */
static void jacobi_rotate(double *a, double *v, int n, int p, int q)
{
  double apq = a[p * n + q];
  double tau = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
  double t = (tau >= 0.0 ? 1.0 : -1.0) / (fabs(tau) + sqrt(1.0 + tau * tau));
  double c = 1.0 / sqrt(1.0 + t * t), s = t * c;
  int k;

  for(k = 0; k < n; k++) {
    double akp = a[k * n + p], akq = a[k * n + q];
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for(k = 0; k < n; k++) {
    double apk = a[p * n + k], aqk = a[q * n + k];
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  for(k = 0; k < n; k++) {
    double vkp = v[k * n + p], vkq = v[k * n + q];
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}

/* Pseudo-inverse of a symmetric matrix; see qc_int.h. */
void qc_pinv_sym(const double *aIn, int n, double *aOut, double *aWork)
{
  double *a = aWork, *v = aWork + (size_t)n * n;
  double big = 0.0, tol;
  int i, j, k, sweep;

  memcpy(a, aIn, (size_t)n * n * sizeof(double));
  for(i = 0; i < n * n; i++) {
    v[i] = 0.0;
  }
  for(i = 0; i < n; i++) {
    v[i * n + i] = 1.0;
  }
  for(sweep = 0; sweep < JACOBI_LOOP; sweep++) {
    double off = 0.0, diag = 0.0;
    for(i = 0; i < n; i++) {
      diag += a[i * n + i] * a[i * n + i];
      for(j = i + 1; j < n; j++) {
        off += a[i * n + j] * a[i * n + j];
      }
    }
    if(off <= DBL_EPSILON * DBL_EPSILON * diag * 1e-4 || off == 0.0) {
      break;
    }
    for(i = 0; i < n; i++) {
      for(j = i + 1; j < n; j++) {
        if(a[i * n + j] != 0.0) {
          jacobi_rotate(a, v, n, i, j);
        }
      }
    }
  }
  for(i = 0; i < n; i++) {
    big = fabs(a[i * n + i]) > big ? fabs(a[i * n + i]) : big;
  }
  /* MATLAB pinv: tol = max(size(A)) * eps(norm(A)), norm = max |l|. */
  tol = (double)n * (nextafter(big, INFINITY) - big);
  for(i = 0; i < n * n; i++) {
    aOut[i] = 0.0;
  }
  for(k = 0; k < n; k++) {
    double l = a[k * n + k];
    if(fabs(l) <= tol) {
      continue;
    }
    for(i = 0; i < n; i++) {
      double vik = v[i * n + k] / l;
      for(j = 0; j < n; j++) {
        aOut[i * n + j] += vik * v[j * n + k];
      }
    }
  }
}

/* NIQE distance of the block rows of pB to the model. */
static int niqe_distance(const qc_niqe_model *p, const struct niqe_blocks *pB,
                         double *pScore)
{
  struct qc_niqe_fit acc; /* Reused for nanmean / nancov */
  double aMu[NF], aCov[NF * NF], aInv[NF * NF], aWork[2 * NF * NF];
  double d[NF], q = 0.0;
  int32_t b;
  int i, j, rc;

  memset(&acc, 0, sizeof(acc));
  for(b = 0; b < pB->nBlock; b++) {
    fit_add_row(&acc, pB->aFeat + (size_t)b * NF);
  }
  rc = fit_moments(&acc, aMu, aCov);
  if(rc != QC_OK) {
    return rc;
  }
  for(i = 0; i < NF * NF; i++) {
    aCov[i] = (p->aCov[i] + aCov[i]) / 2.0;
  }
  qc_pinv_sym(aCov, NF, aInv, aWork);
  for(i = 0; i < NF; i++) {
    d[i] = p->aMu[i] - aMu[i];
  }
  for(i = 0; i < NF; i++) {
    double s = 0.0;
    for(j = 0; j < NF; j++) {
      s += aInv[i * NF + j] * d[j];
    }
    q += d[i] * s;
  }
  if(!isfinite(q)) {
    return QC_ERR_RANGE;
  }
  *pScore = sqrt(q > 0.0 ? q : 0.0);
  return QC_OK;
}

/* NIQE score; see qc.h.  Tests: tests/unit/test_qc_niqe.c */
int qc_niqe_score(const qc_niqe_model *pModel, const struct qc_plane *pIn,
                  double *pScore)
{
  struct niqe_blocks blk;
  int rc;

  if(pModel == NULL || pScore == NULL || pModel->magic != NIQE_MAGIC) {
    return QC_ERR_MISUSE;
  }
  memset(&blk, 0, sizeof(blk));
  rc = niqe_blocks(pIn, &blk);
  if(rc != QC_OK) {
    return rc;
  }
  rc = niqe_distance(pModel, &blk, pScore);
  free(blk.aFeat);
  return rc;
}

/* ---- Fitting -------------------------------------------------------- */

int qc_niqe_fit_new(double sharpFraction, qc_niqe_fit **ppFit)
{
  qc_niqe_fit *p;

  if(ppFit == NULL || !(sharpFraction >= 0.0) || !(sharpFraction < 1.0)) {
    return QC_ERR_MISUSE;
  }
  p = calloc(1, sizeof(*p));
  if(p == NULL) {
    return QC_ERR_NOMEM;
  }
  p->magic = FIT_MAGIC;
  p->sharpFraction = sharpFraction;
  *ppFit = p;
  return QC_OK;
}

void qc_niqe_fit_free(qc_niqe_fit *pFit)
{
  if(pFit == NULL) {
    return;
  }
  QC_ASSERT(pFit->magic == FIT_MAGIC);
  pFit->magic = 0;
  free(pFit);
}

/* Adds one plane; see qc.h.  Tests: tests/unit/test_qc_niqe.c */
int qc_niqe_fit_add_plane(qc_niqe_fit *pFit, const struct qc_plane *pIn,
                          int32_t *pnUsed)
{
  struct niqe_blocks blk;
  double big = 0.0; /* Largest block sharpness */
  int32_t b, nUsed = 0;
  int rc;

  if(pFit == NULL || pFit->magic != FIT_MAGIC) {
    return QC_ERR_MISUSE;
  }
  memset(&blk, 0, sizeof(blk));
  rc = niqe_blocks(pIn, &blk);
  if(rc != QC_OK) {
    return rc;
  }
  for(b = 0; b < blk.nBlock; b++) {
    big = blk.aSharp[b] > big ? blk.aSharp[b] : big;
  }
  for(b = 0; b < blk.nBlock; b++) {
    if(blk.aSharp[b] > pFit->sharpFraction * big) {
      fit_add_row(pFit, blk.aFeat + (size_t)b * NF);
      nUsed++;
    }
  }
  free(blk.aFeat);
  pFit->nImage++;
  if(pnUsed != NULL) {
    *pnUsed = nUsed;
  }
  return QC_OK;
}

/* Copies zIn into zOut (QC_NIQE_ZMAX bytes), or "" for NULL; returns
 * QC_ERR_RANGE if it holds a control character or does not fit. */
static int copy_field(char *zOut, const char *zIn)
{
  size_t n, i;

  zOut[0] = '\0';
  if(zIn == NULL) {
    return QC_OK;
  }
  n = strlen(zIn);
  if(n >= QC_NIQE_ZMAX) {
    return QC_ERR_RANGE;
  }
  for(i = 0; i < n; i++) {
    if((unsigned char)zIn[i] < 0x20 || zIn[i] == 0x7f) {
      return QC_ERR_RANGE;
    }
  }
  memcpy(zOut, zIn, n + 1);
  return QC_OK;
}

/* Finishes a fit into a model; see qc.h. */
int qc_niqe_fit_finish(const qc_niqe_fit *pFit,
                       const struct qc_niqe_provenance *pProv,
                       qc_niqe_model **ppModel)
{
  qc_niqe_model *p;
  int rc;

  if(pFit == NULL || pFit->magic != FIT_MAGIC || ppModel == NULL) {
    return QC_ERR_MISUSE;
  }
  if(pFit->nRow < 2.0) {
    return QC_ERR_RANGE; /* A covariance needs two complete rows */
  }
  p = calloc(1, sizeof(*p));
  if(p == NULL) {
    return QC_ERR_NOMEM;
  }
  p->magic = NIQE_MAGIC;
  rc = fit_moments(pFit, p->aMu, p->aCov);
  if(rc == QC_OK && pProv != NULL) {
    rc = copy_field(p->zDate, pProv->zDate);
    rc = rc ? rc : copy_field(p->zSource, pProv->zSource);
    rc = rc ? rc : copy_field(p->zModality, pProv->zModality);
  }
  if(rc != QC_OK) {
    p->magic = 0;
    free(p);
    return rc;
  }
  p->nImage = pFit->nImage;
  p->nBlock = (int64_t)pFit->nRow;
  p->sharpFraction = pFit->sharpFraction;
  *ppModel = p;
  return QC_OK;
}

/* ---- Model files ---------------------------------------------------- */

void qc_niqe_model_free(qc_niqe_model *pModel)
{
  if(pModel == NULL) {
    return;
  }
  QC_ASSERT(pModel->magic == NIQE_MAGIC);
  pModel->magic = 0;
  free(pModel);
}

/* Model provenance; see qc.h. */
int qc_niqe_model_info(const qc_niqe_model *pModel, struct qc_niqe_info *pInfo)
{
  if(pModel == NULL || pInfo == NULL || pModel->magic != NIQE_MAGIC) {
    return QC_ERR_MISUSE;
  }
  pInfo->zDate = pModel->zDate;
  pInfo->zSource = pModel->zSource;
  pInfo->zModality = pModel->zModality;
  pInfo->nImage = pModel->nImage;
  pInfo->nBlock = pModel->nBlock;
  pInfo->sharpFraction = pModel->sharpFraction;
  return QC_OK;
}

/* Writes n numbers separated by blanks and a newline. */
static void write_row(FILE *f, const double *a, int n)
{
  int i;

  for(i = 0; i < n; i++) {
    fprintf(f, i ? " %.17g" : "%.17g", a[i]);
  }
  fputc('\n', f);
}

/* Writes a model file; see qc.h.  Tests: tests/unit/test_qc_niqe.c */
int qc_niqe_model_write(const qc_niqe_model *p, const char *zPath, char *zErr,
                        size_t nErr)
{
  FILE *f;
  int i, isBad;

  if(p == NULL || zPath == NULL || p->magic != NIQE_MAGIC) {
    return QC_ERR_MISUSE;
  }
  f = fopen(zPath, "w");
  if(f == NULL) {
    qc_errmsg(zErr, nErr, "%s: cannot create model file: %s", zPath,
              strerror(errno));
    return QC_ERR_RANGE;
  }
  fprintf(f, "# NIQE pristine model (Mittal, Soundararajan, Bovik, IEEE "
             "SPL 20(3), 2013): mean and\n# covariance of 36 block "
             "features; written by dicomqc (qc/niqe.c).\n");
  fprintf(f, "format dicomqc-niqe 1\n");
  fprintf(f, "date %s\nsource %s\nmodality %s\n", p->zDate, p->zSource,
          p->zModality);
  fprintf(f, "images %lld\nblocks %lld\n", (long long)p->nImage,
          (long long)p->nBlock);
  fprintf(f, "block %d %d\nsharpness %.17g\n", BLOCK, BLOCK, p->sharpFraction);
  fprintf(f, "mu %d\n", NF);
  write_row(f, p->aMu, NF);
  fprintf(f, "cov %d %d\n", NF, NF);
  for(i = 0; i < NF; i++) {
    write_row(f, p->aCov + (size_t)i * NF, NF);
  }
  isBad = ferror(f);
  isBad |= fclose(f) != 0;
  if(isBad) {
    qc_errmsg(zErr, nErr, "%s: write error: %s", zPath, strerror(errno));
    remove(zPath);
    return QC_ERR_RANGE;
  }
  return QC_OK;
}

/* State of a model-file parse. */
struct model_parse {
  const char *zPath; /* For messages */
  const char *zAt;   /* Next unread character */
  int iLine;         /* Line number of the last line read */
  char *zErr;        /* Caller's message buffer */
  size_t nErr;       /* Its size */
};

/* Next non-comment, non-empty line: start in *pz, length in *pn;
 * 0 at the end of the file. */
static int parse_line(struct model_parse *s, const char **pz, size_t *pn)
{
  while(*s->zAt != '\0') {
    const char *z = s->zAt, *e = strchr(z, '\n');
    size_t n = e ? (size_t)(e - z) : strlen(z);
    s->zAt = e ? e + 1 : z + n;
    s->iLine++;
    if(n > 0 && z[n - 1] == '\r') {
      n--;
    }
    if(n > 0 && z[0] != '#') {
      *pz = z;
      *pn = n;
      return 1;
    }
  }
  return 0;
}

/* Reads a line of exactly n finite numbers into a. */
static int parse_numbers(struct model_parse *s, double *a, int n)
{
  const char *z, *e;
  size_t nLine;
  int i;

  if(!parse_line(s, &z, &nLine)) {
    qc_errmsg(s->zErr, s->nErr, "%s: ends early: expected %d numbers",
              s->zPath, n);
    return QC_ERR_RANGE;
  }
  e = z + nLine;
  for(i = 0; i < n; i++) {
    char *zEnd = NULL;
    while(z < e && (*z == ' ' || *z == '\t')) {
      z++;
    }
    errno = 0;
    a[i] = z < e ? strtod(z, &zEnd) : 0.0;
    if(z >= e || zEnd == z || zEnd > e || errno == ERANGE || !isfinite(a[i])) {
      qc_errmsg(s->zErr, s->nErr, "%s:%d: expected %d finite numbers",
                s->zPath, s->iLine, n);
      return QC_ERR_RANGE;
    }
    z = zEnd;
  }
  while(z < e && (*z == ' ' || *z == '\t')) {
    z++;
  }
  if(z != e) {
    qc_errmsg(s->zErr, s->nErr, "%s:%d: more than %d numbers", s->zPath,
              s->iLine, n);
    return QC_ERR_RANGE;
  }
  return QC_OK;
}

/* Value of header line z (length n) if it is "key value", else NULL;
 * the value is copied into zOut (size QC_NIQE_ZMAX). */
static const char *header_value(const char *z, size_t n, const char *zKey,
                                char *zOut)
{
  size_t k = strlen(zKey);

  if(n < k || strncmp(z, zKey, k) != 0 || (n > k && z[k] != ' ')) {
    return NULL;
  }
  n = n > k ? n - k - 1 : 0;
  if(n >= QC_NIQE_ZMAX) {
    n = QC_NIQE_ZMAX - 1;
  }
  memcpy(zOut, z + (n ? k + 1 : k), n);
  zOut[n] = '\0';
  return zOut;
}

/* Parses one header line into p; returns 1 at "mu", 0 otherwise, or a
 * negative value for an unknown or malformed line. */
static int parse_header(struct model_parse *s, const char *z, size_t n,
                        qc_niqe_model *p)
{
  char zVal[QC_NIQE_ZMAX];
  char *zEnd = NULL;
  double v;

  if(header_value(z, n, "date", p->zDate) ||
     header_value(z, n, "source", p->zSource) ||
     header_value(z, n, "modality", p->zModality)) {
    return 0;
  }
  if(header_value(z, n, "format", zVal)) {
    return strcmp(zVal, "dicomqc-niqe 1") == 0 ? 0 : -1;
  }
  if(header_value(z, n, "block", zVal)) {
    return strcmp(zVal, "96 96") == 0 ? 0 : -1;
  }
  if(header_value(z, n, "mu", zVal)) {
    return strcmp(zVal, "36") == 0 ? 1 : -1;
  }
  if(header_value(z, n, "images", zVal) ||
     header_value(z, n, "blocks", zVal) ||
     header_value(z, n, "sharpness", zVal)) {
    errno = 0;
    v = strtod(zVal, &zEnd);
    if(zEnd == zVal || *zEnd != '\0' || errno != 0 || !(v >= 0.0) ||
       v > 9e15) {
      return -1;
    }
    if(z[0] == 'i') {
      p->nImage = (int64_t)v;
    } else if(z[0] == 'b') {
      p->nBlock = (int64_t)v;
    } else {
      p->sharpFraction = v;
    }
    return 0;
  }
  (void)s;
  return -1;
}

/* Parses a whole model file text into p. */
static int parse_model(struct model_parse *s, qc_niqe_model *p)
{
  const char *z;
  size_t n;
  int r = 0, i, j, isFormat = 0, rc;

  while(r == 0 && parse_line(s, &z, &n)) {
    isFormat |= n >= 6 && strncmp(z, "format", 6) == 0;
    r = parse_header(s, z, n, p);
  }
  if(r != 1 || !isFormat) {
    qc_errmsg(s->zErr, s->nErr,
              "%s:%d: not a dicomqc NIQE model: expected 'format "
              "dicomqc-niqe 1', known header keys, then 'mu 36'",
              s->zPath, s->iLine);
    return QC_ERR_RANGE;
  }
  rc = parse_numbers(s, p->aMu, NF);
  if(rc == QC_OK &&
     (!parse_line(s, &z, &n) || n != 9 || strncmp(z, "cov 36 36", 9) != 0)) {
    qc_errmsg(s->zErr, s->nErr, "%s:%d: expected 'cov 36 36'", s->zPath,
              s->iLine);
    rc = QC_ERR_RANGE;
  }
  for(i = 0; rc == QC_OK && i < NF; i++) {
    rc = parse_numbers(s, p->aCov + (size_t)i * NF, NF);
  }
  if(rc == QC_OK && parse_line(s, &z, &n)) {
    qc_errmsg(s->zErr, s->nErr,
              "%s:%d: unexpected text after the "
              "covariance",
              s->zPath, s->iLine);
    rc = QC_ERR_RANGE;
  }
  for(i = 0; rc == QC_OK && i < NF; i++) {
    for(j = 0; j < i; j++) {
      double a = p->aCov[i * NF + j], b = p->aCov[j * NF + i];
      if(fabs(a - b) > 1e-9 * (fabs(a) + fabs(b)) + 1e-300) {
        qc_errmsg(s->zErr, s->nErr,
                  "%s: covariance is not symmetric at "
                  "(%d, %d)",
                  s->zPath, i + 1, j + 1);
        rc = QC_ERR_RANGE;
        break;
      }
    }
  }
  return rc;
}

/* Loads a model file; see qc.h.  Tests: tests/unit/test_qc_niqe.c */
int qc_niqe_model_load(const char *zPath, qc_niqe_model **ppModel, char *zErr,
                       size_t nErr)
{
  struct model_parse s;
  qc_niqe_model *p;
  char *zText = NULL;
  int rc;

  if(zPath == NULL || ppModel == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_model_read(zPath, &zText, zErr, nErr);
  if(rc != QC_OK) {
    return rc;
  }
  p = calloc(1, sizeof(*p));
  if(p == NULL) {
    free(zText);
    return QC_ERR_NOMEM;
  }
  p->magic = NIQE_MAGIC;
  s.zPath = zPath;
  s.zAt = zText;
  s.iLine = 0;
  s.zErr = zErr;
  s.nErr = nErr;
  rc = parse_model(&s, p);
  free(zText);
  if(rc != QC_OK) {
    qc_niqe_model_free(p);
    return rc;
  }
  *ppModel = p;
  return QC_OK;
}
