/* SPDX-License-Identifier: BSD-3-Clause
 *
 * nss.c - natural scene statistics shared by BRISQUE, NIQE and PIQE: MSCN
 * coefficients, the moments of MSCN samples and of their paired products,
 * and the generalized Gaussian (GGD) and asymmetric generalized Gaussian
 * (AGGD) moment-matching fits.
 *
 * MSCN: Mittal, Moorthy, Bovik, "No-Reference Image Quality Assessment in
 * the Spatial Domain", IEEE TIP 21(12):4695-4708, 2012 (BRISQUE), eq. 1-3;
 * the Gaussian is applied separably, one horizontal pass into a ring of
 * nK filtered rows, then one vertical pass per output row, so the scratch
 * is a few rows whatever the plane's height and the inner loops run along
 * contiguous rows (elementwise, which the compiler vectorises).
 *
 * Fits: the GGD fit is Sharifi and Leon-Garcia, "Estimation of shape
 * parameter for generalized Gaussian distributions in subband
 * decompositions of video", IEEE TCSVT 5(1), 1995; the AGGD fit is
 * Lasmar, Stitou, Berthoumieu, "Multiscale skewed heavy tailed model for
 * texture analysis", ICIP 2009, as BRISQUE eq. 5-7 and NIQE (Mittal,
 * Soundararajan, Bovik, "Making a 'Completely Blind' Image Quality
 * Analyzer", IEEE SPL 20(3), 2013) use them.  Both releases pick the shape
 * from the table gamma = 0.2:0.001:10 (9801 entries); the ratio
 * r(g) = G(2/g)^2 / (G(1/g) G(3/g)) is strictly increasing over it (the
 * smallest step, near g = 10, is 1.7e-6, far above rounding), so the entry
 * nearest the target is found by bisection with about 14 evaluations
 * instead of a 9801-entry table: no table, no global state.
 *
 * The releases differ in small ways, each a value of enum qc_nss_ref:
 * MATLAB (LIVE BRISQUE and NIQE) takes min() over the table, the first of
 * equal distances, and a NaN target gives the first entry (min ignores
 * NaN); OpenCV's AGGDfit walks up the table and stops when the distance
 * grows, keeping the later of equal distances, and a NaN target runs to
 * the last entry.  Paired products wrap around (MATLAB circshift) or see
 * zeros outside the plane (OpenCV's shifted copy); see qc_nss_pair_moments.
 *
 * Tests: tests/unit/test_qc_nss.c
 */
#include "qc_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The shape table gamma = 0.2:0.001:10 of the LIVE releases and OpenCV:
 * entry k is 0.2 + k 0.001, k = 0..GAMMA_LAST. */
#define GAMMA_FIRST 0.2
#define GAMMA_STEP  0.001
#define GAMMA_LAST  9800

/* Maps index i (may lie outside 0..n-1) to the sample a border rule reads,
 * or -1 for a zero.  n >= 1.  Reflections follow OpenCV's
 * borderInterpolate (core/src/copy.cpp) for any distance, so planes
 * smaller than the kernel are read as OpenCV reads them. */
QC_STATIC int32_t qc_border_map(int64_t i, int32_t n, enum qc_border border);
QC_STATIC int32_t qc_border_map(int64_t i, int32_t n, enum qc_border border)
{
  int64_t period; /* Length of one reflection cycle */

  if(i >= 0 && i < n) {
    return (int32_t)i;
  }
  switch(border) {
  case QC_BORDER_ZERO:
    return -1;
  case QC_BORDER_REPLICATE:
    return i < 0 ? 0 : n - 1;
  case QC_BORDER_REFLECT101:
    if(n == 1) {
      return 0;
    }
    period = 2 * (int64_t)n - 2;
    i = ((i % period) + period) % period;
    return (int32_t)(i < n ? i : period - i);
  case QC_BORDER_SYMMETRIC:
    period = 2 * (int64_t)n;
    i = ((i % period) + period) % period;
    return (int32_t)(i < n ? i : period - 1 - i);
  default:
    QC_ASSERT(0);
    return -1;
  }
}

/* Writes the normalised 1-D Gaussian of nK taps and standard deviation
 * sigma to g.  The 2-D window of fspecial('gaussian', nK, sigma) is the
 * outer product of this one with itself (both are normalised to sum 1,
 * MATLAB images/fspecial.m; OpenCV getGaussianKernel). */
static void gauss_kernel(int nK, double sigma, double *g)
{
  int h = nK / 2; /* Half width */
  double sum = 0.0;
  int k;

  for(k = 0; k < nK; k++) {
    double x = (double)(k - h);
    g[k] = exp(-(x * x) / (2.0 * sigma * sigma));
    sum += g[k];
  }
  for(k = 0; k < nK; k++) {
    g[k] /= sum;
  }
}

/* Scratch of one qc_mscn() call. */
struct mscn_work {
  const float *aIn; /* Input plane */
  int32_t w;        /* Plane width */
  int32_t h;        /* Plane height */
  int nK;           /* Taps */
  enum qc_border border;
  double g[255];   /* Normalised 1-D Gaussian, nK taps */
  double *aPad;    /* One input row with nK/2 border samples each side */
  double *aPad2;   /* Its squares */
  double *aRingMu; /* nK horizontally filtered rows of I, slot r % nK */
  double *aRingSq; /* Same for I^2 */
  double *aMu;     /* One row of mu = G * I */
  double *aSq;     /* One row of G * I^2 */
};

/* Filters input row r horizontally into ring slot r % nK. */
static void mscn_hrow(struct mscn_work *p, int32_t r)
{
  const float *aRow = p->aIn + (size_t)r * (size_t)p->w;
  int32_t half = p->nK / 2; /* Border samples each side */
  size_t slot = (size_t)(r % p->nK) * (size_t)p->w;
  double *aOutMu = p->aRingMu + slot;
  double *aOutSq = p->aRingSq + slot;
  int32_t c, n = p->w + 2 * half;
  int k;

  for(c = 0; c < n; c++) {
    int32_t j = qc_border_map((int64_t)c - half, p->w, p->border);
    p->aPad[c] = j < 0 ? 0.0 : (double)aRow[j];
  }
  for(c = 0; c < n; c++) {
    p->aPad2[c] = p->aPad[c] * p->aPad[c];
  }
  for(c = 0; c < p->w; c++) {
    aOutMu[c] = 0.0;
    aOutSq[c] = 0.0;
  }
  for(k = 0; k < p->nK; k++) {
    const double *q = p->aPad + k;   /* Tap k of every output sample */
    const double *q2 = p->aPad2 + k; /* Same for the squares */
    double gk = p->g[k];
    for(c = 0; c < p->w; c++) {
      aOutMu[c] += gk * q[c];
      aOutSq[c] += gk * q2[c];
    }
  }
}

/* Vertical pass for output row r: aMu and aSq of that row from the ring,
 * which holds the filtered rows r-nK/2 .. r+nK/2 that exist. */
static void mscn_vrow(struct mscn_work *p, int32_t r)
{
  int32_t half = p->nK / 2;
  int32_t c;
  int k;

  for(c = 0; c < p->w; c++) {
    p->aMu[c] = 0.0;
    p->aSq[c] = 0.0;
  }
  for(k = 0; k < p->nK; k++) {
    int32_t j = qc_border_map((int64_t)r + k - half, p->h, p->border);
    const double *qMu, *qSq; /* Filtered row j */
    double gk = p->g[k];
    if(j < 0) {
      continue; /* QC_BORDER_ZERO: a zero row */
    }
    qMu = p->aRingMu + (size_t)(j % p->nK) * (size_t)p->w;
    qSq = p->aRingSq + (size_t)(j % p->nK) * (size_t)p->w;
    for(c = 0; c < p->w; c++) {
      p->aMu[c] += gk * qMu[c];
      p->aSq[c] += gk * qSq[c];
    }
  }
}

/* Allocates the scratch of p (nK, w set); returns QC_OK or QC_ERR_NOMEM
 * (all freed). */
static int mscn_alloc(struct mscn_work *p)
{
  size_t nPad = (size_t)p->w + (size_t)p->nK;  /* >= w + 2 half */
  size_t nRing = (size_t)p->nK * (size_t)p->w; /* One ring */
  size_t nAll = 2 * nPad + 2 * nRing + 2 * (size_t)p->w;
  double *a;

  if(nAll > SIZE_MAX / sizeof(double)) {
    return QC_ERR_NOMEM;
  }
  a = malloc(nAll * sizeof(double));
  if(a == NULL) {
    return QC_ERR_NOMEM;
  }
  p->aPad = a;
  p->aPad2 = a + nPad;
  p->aRingMu = a + 2 * nPad;
  p->aRingSq = p->aRingMu + nRing;
  p->aMu = p->aRingSq + nRing;
  p->aSq = p->aMu + p->w;
  return QC_OK;
}

/* 1 if every sample of a[0..n-1] is finite.  A double sum of floats
 * cannot overflow at these sizes, so it is finite exactly when every
 * sample is; the loop is a plain reduction. */
static int plane_is_finite(const float *a, size_t n)
{
  double sum = 0.0;
  size_t i;

  for(i = 0; i < n; i++) {
    sum += a[i];
  }
  return isfinite(sum);
}

/* MSCN coefficients; see qc.h.  Tests: tests/unit/test_qc_nss.c */
int qc_mscn(const struct qc_plane *pIn, int nK, double gaussSigma,
            enum qc_border border, double c, float *aOut, float *aMu,
            float *aSigma)
{
  struct mscn_work work; /* Kernel, sizes and scratch rows */
  size_t nSample;        /* Samples in the plane */
  int32_t r, rNext = 0;  /* Output row; next row to filter */
  int rc;

  if(aOut == NULL || nK < 1 || nK > 255 || nK % 2 == 0 ||
     !(gaussSigma > 0.0) || !isfinite(gaussSigma) || !(c > 0.0) ||
     !isfinite(c) || (unsigned)border > (unsigned)QC_BORDER_SYMMETRIC) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_len(pIn, &nSample);
  if(rc != QC_OK) {
    return rc;
  }
  if(!plane_is_finite(pIn->a, nSample)) {
    return QC_ERR_RANGE;
  }
  memset(&work, 0, sizeof(work));
  work.aIn = pIn->a;
  work.w = pIn->nWidth;
  work.h = pIn->nHeight;
  work.nK = nK;
  work.border = border;
  gauss_kernel(nK, gaussSigma, work.g);
  rc = mscn_alloc(&work);
  if(rc != QC_OK) {
    return rc;
  }
  for(r = 0; r < work.h; r++) {
    const float *aRow = pIn->a + (size_t)r * (size_t)work.w;
    size_t o = (size_t)r * (size_t)work.w; /* Offset of row r */
    int32_t x;
    for(; rNext < work.h && rNext <= r + nK / 2; rNext++) {
      mscn_hrow(&work, rNext);
    }
    mscn_vrow(&work, r);
    for(x = 0; x < work.w; x++) {
      double mu = work.aMu[x];
      double sd = sqrt(fabs(work.aSq[x] - mu * mu));
      aOut[o + x] = (float)(((double)aRow[x] - mu) / (sd + c));
      work.aSq[x] = sd; /* Kept for aSigma */
    }
    if(aMu != NULL) {
      for(x = 0; x < work.w; x++) {
        aMu[o + x] = (float)work.aMu[x];
      }
    }
    if(aSigma != NULL) {
      for(x = 0; x < work.w; x++) {
        aSigma[o + x] = (float)work.aSq[x];
      }
    }
  }
  free(work.aPad);
  return QC_OK;
}

/* Adds the n samples of a to *pM.  Tests: tests/unit/test_qc_nss.c */
void qc_nss_moments_add(struct qc_nss_moments *pM, const float *a, size_t n)
{
  double nPos = 0.0, nNeg = 0.0; /* Counts of this call */
  double sPos = 0.0, sNeg = 0.0; /* Sums of squares */
  double sAbs = 0.0;             /* Sum of |x| */
  size_t i;

  for(i = 0; i < n; i++) {
    double x = a[i];
    double xp = x > 0.0 ? x : 0.0;
    double xn = x < 0.0 ? x : 0.0;
    nPos += x > 0.0;
    nNeg += x < 0.0;
    sPos += xp * xp;
    sNeg += xn * xn;
    sAbs += fabs(x);
  }
  pM->n += (double)n;
  pM->nPos += nPos;
  pM->nNeg += nNeg;
  pM->sumPos2 += sPos;
  pM->sumNeg2 += sNeg;
  pM->sumAbs += sAbs;
}

/* Adds the products a[i] b[i], i < n, to *pM without counting them in
 * pM->n (the caller counts the window's samples once). */
static void moments_add_products(struct qc_nss_moments *pM, const float *a,
                                 const float *b, size_t n)
{
  double nPos = 0.0, nNeg = 0.0;
  double sPos = 0.0, sNeg = 0.0, sAbs = 0.0;
  size_t i;

  for(i = 0; i < n; i++) {
    double x = (double)a[i] * (double)b[i]; /* Exact in double */
    double xp = x > 0.0 ? x : 0.0;
    double xn = x < 0.0 ? x : 0.0;
    nPos += x > 0.0;
    nNeg += x < 0.0;
    sPos += xp * xp;
    sNeg += xn * xn;
    sAbs += fabs(x);
  }
  pM->nPos += nPos;
  pM->nNeg += nNeg;
  pM->sumPos2 += sPos;
  pM->sumNeg2 += sNeg;
  pM->sumAbs += sAbs;
}

/* Paired-product moments of a w x h window; see qc_int.h.
 * Tests: tests/unit/test_qc_nss.c */
void qc_nss_pair_moments(const float *a, int32_t w, int32_t h, size_t stride,
                         enum qc_nss_orient orient, int isWrap,
                         struct qc_nss_moments *pM)
{
  static const int aDy[4] = {0, 1, 1, 1};  /* Row step per orientation */
  static const int aDx[4] = {1, 0, 1, -1}; /* Column step */
  int dy = aDy[orient], dx = aDx[orient];
  int32_t r, nRow = isWrap ? h : h - dy; /* Rows with a partner */

  QC_ASSERT((unsigned)orient < 4u && w >= 1 && h >= 1);
  memset(pM, 0, sizeof(*pM));
  pM->n = (double)w * (double)h;
  for(r = 0; r < nRow; r++) {
    const float *p = a + (size_t)r * stride;
    const float *q = a + (size_t)((r + dy) % h) * stride; /* Partner row */
    if(dx == 0) {
      moments_add_products(pM, p, q, (size_t)w);
    } else if(dx == 1) {
      if(w > 1) {
        moments_add_products(pM, p, q + 1, (size_t)w - 1);
      }
      if(isWrap) {
        moments_add_products(pM, p + w - 1, q, 1);
      }
    } else {
      if(w > 1) {
        moments_add_products(pM, p + 1, q, (size_t)w - 1);
      }
      if(isWrap) {
        moments_add_products(pM, p, q + w - 1, 1);
      }
    }
  }
}

/* The shape-ratio functions tabulated by the releases at g = 0.2 + k
 * 0.001: the AGGD ratio r(g) = G(2/g)^2 / (G(1/g) G(3/g)) (increasing)
 * and the GGD ratio G(1/g) G(3/g) / G(2/g)^2 (its inverse, decreasing),
 * each written as the release writes it. */
static double shape_ratio(int isGgd, int32_t k)
{
  double g = GAMMA_FIRST + (double)k * GAMMA_STEP;
  double g1 = tgamma(1.0 / g), g2 = tgamma(2.0 / g), g3 = tgamma(3.0 / g);

  return isGgd ? g1 * g3 / (g2 * g2) : g2 * g2 / (g1 * g3);
}

/* Index k of the table entry nearest target, as the reference picks it;
 * see the file head.  Bisection on the monotonic ratio finds the first
 * entry at or beyond the target, then the nearer of it and its
 * predecessor wins. */
static int32_t shape_search(int isGgd, double target, enum qc_nss_ref ref)
{
  int32_t lo = 0, hi = GAMMA_LAST;  /* Answer in lo..hi */
  double sign = isGgd ? -1.0 : 1.0; /* Makes the ratio increasing */
  double dLo, dHi;                  /* Distances of the two candidates */

  if(isnan(target)) {
    return ref == QC_NSS_OPENCV ? GAMMA_LAST : 0;
  }
  while(lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if(sign * shape_ratio(isGgd, mid) < sign * target) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if(lo == 0) {
    return 0;
  }
  dLo = fabs(shape_ratio(isGgd, lo - 1) - target);
  dHi = fabs(shape_ratio(isGgd, lo) - target);
  if(dHi < dLo || (dHi == dLo && ref == QC_NSS_OPENCV)) {
    return lo;
  }
  return lo - 1;
}

/* Shape value of table entry k: MATLAB's colon 0.2:0.001:10 gives
 * 0.2 + k 0.001 to rounding; OpenCV adds 0.001 k times to 0.2. */
static double shape_value(int32_t k, enum qc_nss_ref ref)
{
  double g = GAMMA_FIRST;
  int32_t i;

  if(ref != QC_NSS_OPENCV) {
    return GAMMA_FIRST + (double)k * GAMMA_STEP;
  }
  for(i = 0; i < k; i++) {
    g += GAMMA_STEP;
  }
  return g;
}

/* AGGD fit; see qc_int.h.  Tests: tests/unit/test_qc_nss.c */
void qc_aggd_fit(const struct qc_nss_moments *pM, enum qc_nss_ref ref,
                 struct qc_aggd *pOut)
{
  double left = sqrt(pM->sumNeg2 / pM->nNeg);  /* NaN if no negatives */
  double right = sqrt(pM->sumPos2 / pM->nPos); /* NaN if no positives */
  double g = left / right;
  double meanAbs = pM->sumAbs / pM->n;
  double rhat = meanAbs * meanAbs / ((pM->sumPos2 + pM->sumNeg2) / pM->n);
  double rnorm =
      rhat * (g * g * g + 1.0) * (g + 1.0) / ((g * g + 1.0) * (g * g + 1.0));

  pOut->alpha = shape_value(shape_search(0, rnorm, ref), ref);
  pOut->leftStd = left;
  pOut->rightStd = right;
}

/* GGD fit; see qc_int.h.  Tests: tests/unit/test_qc_nss.c */
void qc_ggd_fit(const struct qc_nss_moments *pM, enum qc_nss_ref ref,
                double *pAlpha, double *pSigma)
{
  double s2 = (pM->sumPos2 + pM->sumNeg2) / pM->n;
  double e = pM->sumAbs / pM->n;

  *pAlpha = shape_value(shape_search(1, s2 / (e * e), ref), ref);
  *pSigma = sqrt(s2);
}
