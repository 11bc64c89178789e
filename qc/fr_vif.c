/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fr_vif.c - visual information fidelity in the pixel domain (VIFp), the
 * multi-scale form of H. R. Sheikh and A. C. Bovik, "Image information
 * and visual quality", IEEE TIP 15(2):430-444, 2006, that LIVE released
 * as vifp_mscale.m beside the wavelet-domain vifvec.m.  This file is the
 * pixel-domain VIFp, not the steerable-pyramid VIF.
 *
 * At each of 4 scales j = 1..4 a Gaussian window of side N = 2^(5-j) + 1
 * (17, 9, 5, 3) and sigma N/5 (fspecial('gaussian', N, N/5)) gives, at
 * every 'valid' position, the local means, variances and covariance of
 * reference C and distorted D; the distortion channel D = g C + V is
 * fitted per position (g = s_CD / s_C^2, s_V^2 = s_D^2 - g s_CD, eq. 11
 * of the paper with the release's guards: variances below 0 become 0;
 * s_C^2 < 1e-10 gives g = 0, s_V^2 = s_D^2; s_D^2 < 1e-10 gives g = 0,
 * s_V^2 = 0; g < 0 gives g = 0, s_V^2 = s_D^2; s_V^2 >= 1e-10), and
 *   VIF = sum log10(1 + g^2 s_C^2 / (s_V^2 + s_N^2))
 *       / sum log10(1 + s_C^2 / s_N^2),   s_N^2 = 2 (eq. 13-15),
 * summed over all positions of all scales.  Before scales 2..4 both
 * planes are filtered 'valid' with that scale's window and every second
 * row and column kept (x(1:2:end, 1:2:end)).
 *
 * Data range: s_N^2 = 2 is set for 0..255 data, so planes are scaled by
 * 255/L first.  Identical planes give 1 - O(1e-11) (the guard 1e-10 in
 * s_V^2 + s_N^2), as the release code does.  A reference with no
 * variance anywhere makes the denominator 0: QC_ERR_RANGE.
 *
 * Computation in double (a float variance of a flat region would come
 * out near 1e-3 instead of 0 and defeat the 1e-10 guards), one pass over
 * the rows: five moment rows filtered horizontally into a ring of N rows,
 * then vertically; separable windows, contiguous inner loops.
 *
 * Tests: tests/unit/test_qc_fr.c
 */
#include "qc_int.h"

#include "fr_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VIF_NSCALE    4     /* Scales of vifp_mscale.m */
#define VIF_MAXN      17    /* Largest window side, scale 1 */
#define VIF_SIGMA_NSQ 2.0   /* s_N^2, for 0..255 data */
#define VIF_EPS       1e-10 /* The release's guard */

/* Smallest side accepted: the planes must still hold a 3 x 3 window at
 * scale 4 (41 -> 25 -> 13 -> 7 -> 3 valid positions; piq's vif_p also
 * refuses smaller images). */
#define VIF_MIN_SIDE 41

/* A plane the engine reads row by row: float samples times a scale (the
 * caller's plane) or doubles (a downsampled scale). */
struct vifPlane {
  const float *aF;  /* Float samples, or NULL */
  const double *aD; /* Double samples (when aF is NULL) */
  size_t w, h;      /* Sides */
  double scale;     /* Factor for aF */
};

/* Row r of p as doubles: a pointer into p, or aTmp filled. */
static const double *vif_row(const struct vifPlane *p, size_t r, double *aTmp)
{
  const float *pF;
  size_t c;

  if(p->aF == NULL) {
    return p->aD + r * p->w;
  }
  pF = p->aF + r * p->w;
  for(c = 0; c < p->w; c++) {
    aTmp[c] = pF[c] * p->scale;
  }
  return aTmp;
}

/* fspecial('gaussian', n, n/5) as its 1-D factor: exp(-x^2 / 2 s^2),
 * normalised (the 2-D window is the outer product). */
static void vif_window(int n, double *aG)
{
  double s = n / 5.0, sum = 0.0;
  int k;

  for(k = 0; k < n; k++) {
    double x = (double)(k - n / 2);
    aG[k] = exp(-(x * x) / (2.0 * s * s));
    sum += aG[k];
  }
  for(k = 0; k < n; k++) {
    aG[k] /= sum;
  }
}

/* 'valid' horizontal filtering of n samples (n >= nTap) with the
 * symmetric window aG, output at every iStep-th position. */
static void vif_hfilter(const double *aG, int nTap, const double *aIn,
                        size_t n, size_t iStep, double *aOut)
{
  size_t nOut = (n - (size_t)nTap) / iStep + 1;
  int r = nTap / 2, k;
  size_t c;

  for(c = 0; c < nOut; c++) {
    aOut[c] = aG[r] * aIn[c * iStep + (size_t)r];
  }
  for(k = 0; k < r; k++) {
    const double *pA = aIn + k;
    const double *pB = aIn + (nTap - 1 - k);
    for(c = 0; c < nOut; c++) {
      aOut[c] += aG[k] * (pA[c * iStep] + pB[c * iStep]);
    }
  }
}

/* Vertical filtering of nOut columns from the nTap rows apRow. */
static void vif_vfilter(const double *aG, int nTap, const double *const *apRow,
                        size_t nOut, double *aOut)
{
  int r = nTap / 2, k;
  size_t c;

  for(c = 0; c < nOut; c++) {
    aOut[c] = aG[r] * apRow[r][c];
  }
  for(k = 0; k < r; k++) {
    const double *pA = apRow[k], *pB = apRow[nTap - 1 - k];
    for(c = 0; c < nOut; c++) {
      aOut[c] += aG[k] * (pA[c] + pB[c]);
    }
  }
}

/* Columns per block of the engine's inner loops: GCC 12 at -O2 vectorises
 * only loops without a scalar epilogue, so rows are padded to whole
 * blocks and each block is a fixed-length loop (see LANES in fr.c). */
#define LANES 8

/* n rounded up to a multiple of LANES. */
static size_t lanes_up(size_t n)
{
  return (n + LANES - 1) / LANES * LANES;
}

/* Working memory for planes up to nMaxW columns (one allocation).  At a
 * scale of w columns and an nTap window the engine uses nOutP =
 * lanes_up(w - nTap + 1) filtered columns and rows of lanes_up(nOutP +
 * nTap - 1) samples; the buffers fit those of scale 1. */
struct vifWork {
  double *aMem;   /* The allocation */
  double *aRow;   /* 5 x nRowMax moment rows, then 2 x nRowMax scratch */
  double *aRing;  /* VIF_MAXN x 5 x nOutMax filtered rows */
  size_t nRowMax; /* Row buffer length */
};

/* Horizontal 'valid' filtering of a padded row into nOutP outputs (whole
 * blocks), the symmetric taps folded, one pass over the row per tap pair
 * (as ssim_hfilter() in fr.c, for the same reason). */
static void vif_hfilter_rows(const double *aG, int nTap,
                             const double *restrict aIn, size_t nOutP,
                             double *restrict aOut)
{
  int r = nTap / 2, k, l;
  size_t c;

  for(c = 0; c < nOutP; c += LANES) {
    const double *pC = aIn + c + r;
    double *pO = aOut + c;
    for(l = 0; l < LANES; l++) {
      pO[l] = aG[r] * pC[l];
    }
  }
  for(k = 0; k < r; k++) {
    const double g = aG[k];
    for(c = 0; c < nOutP; c += LANES) {
      const double *pA = aIn + c + k, *pB = aIn + c + (nTap - 1 - k);
      double *pO = aOut + c;
      for(l = 0; l < LANES; l++) {
        pO[l] += g * (pA[l] + pB[l]);
      }
    }
  }
}

/* log10 of prod aT[0..LANES-1] (each >= 1): one logarithm per block
 * unless the product could overflow, then one per term.  Equal to the
 * sum of the terms' logarithms up to rounding (about 1e-15 relative). */
static double log10_block(const double *aT)
{
  double p = 1.0, sum = 0.0;
  int l;

  for(l = 0; l < LANES; l++) {
    p *= aT[l];
  }
  if(p < 1e300) {
    return log10(p);
  }
  for(l = 0; l < LANES; l++) {
    sum += log10(aT[l]);
  }
  return sum;
}

/* One output row: the vertical filtering of the five moments from the
 * ring rows apRow[q][k], the distortion channel with the release's guards
 * (written as selects, so the block vectorises), and the terms
 * 1 + g^2 s_C^2/(s_V^2 + s_N^2) and 1 + s_C^2/s_N^2 of columns < nOut
 * (1 for the padding), whose logarithms go into *pNum, *pDen. */
static void vif_out_row(const double *aG, int nTap,
                        const double *const apRow[5][VIF_MAXN], size_t nOut,
                        double *pNum, double *pDen)
{
  int r = nTap / 2, q, k, l;
  size_t c;

  for(c = 0; c < nOut; c += LANES) {
    double aM[5][LANES];           /* mu1, mu2, E[x^2], E[y^2], E[xy] */
    double aTn[LANES], aTd[LANES]; /* The terms */
    int nIn = nOut - c < LANES ? (int)(nOut - c) : LANES; /* Real lanes */
    for(q = 0; q < 5; q++) {
      const double *const *apQ = apRow[q];
      const double *pC = apQ[r] + c;
      double aAcc[LANES];
      for(l = 0; l < LANES; l++) {
        aAcc[l] = aG[r] * pC[l];
      }
      for(k = 0; k < r; k++) {
        const double *pA = apQ[k] + c, *pB = apQ[nTap - 1 - k] + c;
        double g = aG[k];
        for(l = 0; l < LANES; l++) {
          aAcc[l] += g * (pA[l] + pB[l]);
        }
      }
      for(l = 0; l < LANES; l++) {
        aM[q][l] = aAcc[l];
      }
    }
    for(l = 0; l < LANES; l++) {
      double mu1 = aM[0][l], mu2 = aM[1][l];
      double s1 = aM[2][l] - mu1 * mu1;
      double s2 = aM[3][l] - mu2 * mu2;
      double s12 = aM[4][l] - mu1 * mu2;
      double g, sv;
      int isIn = l < nIn; /* Not padding */
      s1 = s1 < 0.0 ? 0.0 : s1;
      s2 = s2 < 0.0 ? 0.0 : s2;
      g = s12 / (s1 + VIF_EPS);
      sv = s2 - g * s12;
      g = s1 < VIF_EPS ? 0.0 : g;
      sv = s1 < VIF_EPS ? s2 : sv;
      s1 = s1 < VIF_EPS ? 0.0 : s1;
      g = s2 < VIF_EPS ? 0.0 : g;
      sv = s2 < VIF_EPS ? 0.0 : sv;
      sv = g < 0.0 ? s2 : sv;
      g = g < 0.0 ? 0.0 : g;
      sv = sv <= VIF_EPS ? VIF_EPS : sv;
      aTn[l] = isIn ? 1.0 + g * g * s1 / (sv + VIF_SIGMA_NSQ) : 1.0;
      aTd[l] = isIn ? 1.0 + s1 / VIF_SIGMA_NSQ : 1.0;
    }
    *pNum += log10_block(aTn);
    *pDen += log10_block(aTd);
  }
}

/* The sums of one scale over the valid positions of pX, pY with the
 * nTap window aG. */
static void vif_scale(struct vifWork *p, const struct vifPlane *pX,
                      const struct vifPlane *pY, const double *aG, int nTap,
                      double *pNum, double *pDen)
{
  size_t w = pX->w, h = pX->h, nOut = w - (size_t)nTap + 1;
  size_t nOutP = lanes_up(nOut);                     /* Padded outputs */
  size_t nRowP = lanes_up(nOutP + (size_t)nTap - 1); /* Padded row */
  double *aTmp = p->aRow + 5 * p->nRowMax; /* Scratch for float planes */
  size_t r, c;

  QC_ASSERT(nRowP <= p->nRowMax);
  for(r = 0; r < h; r++) {
    const double *aX = vif_row(pX, r, aTmp);
    const double *aY = vif_row(pY, r, aTmp + p->nRowMax);
    double *restrict aR = p->aRow; /* 5 rows of nRowP */
    double *aSlot = p->aRing + (r % (size_t)nTap) * 5 * nOutP;
    int q, k, l;
    for(c = 0; c < w; c++) {
      aR[c] = aX[c];
      aR[nRowP + c] = aY[c];
    }
    for(; c < nRowP; c++) { /* Padding: zero */
      aR[c] = 0.0;
      aR[nRowP + c] = 0.0;
    }
    for(c = 0; c < nRowP; c += LANES) {
      for(l = 0; l < LANES; l++) {
        double x = aR[c + l], y = aR[nRowP + c + l];
        aR[2 * nRowP + c + l] = x * x;
        aR[3 * nRowP + c + l] = y * y;
        aR[4 * nRowP + c + l] = x * y;
      }
    }
    for(q = 0; q < 5; q++) {
      vif_hfilter_rows(aG, nTap, aR + (size_t)q * nRowP, nOutP,
                       aSlot + (size_t)q * nOutP);
    }
    if(r + 1 >= (size_t)nTap) {
      const double *apRow[5][VIF_MAXN];
      size_t iTop = r + 1 - (size_t)nTap;
      for(q = 0; q < 5; q++) {
        for(k = 0; k < nTap; k++) {
          apRow[q][k] = p->aRing +
                        ((iTop + (size_t)k) % (size_t)nTap) * 5 * nOutP +
                        (size_t)q * nOutP;
        }
      }
      vif_out_row(aG, nTap, (const double *const(*)[VIF_MAXN])apRow, nOut,
                  pNum, pDen);
    }
  }
}

/* pIn filtered 'valid' with the nTap window and every second row and
 * column kept, into aOut (sides written to *pW, *pH); aTmp holds
 * h x ceil((w - nTap + 1) / 2) doubles, aRow w doubles. */
static void vif_down(const struct vifPlane *pIn, const double *aG, int nTap,
                     double *aTmp, double *aRow, double *aOut, size_t *pW,
                     size_t *pH)
{
  size_t wv = pIn->w - (size_t)nTap + 1, hv = pIn->h - (size_t)nTap + 1;
  size_t w2 = (wv + 1) / 2, h2 = (hv + 1) / 2;
  const double *apRow[VIF_MAXN];
  size_t r;
  int k;

  for(r = 0; r < pIn->h; r++) {
    vif_hfilter(aG, nTap, vif_row(pIn, r, aRow), pIn->w, 2, aTmp + r * w2);
  }
  for(r = 0; r < h2; r++) {
    for(k = 0; k < nTap; k++) {
      apRow[k] = aTmp + (2 * r + (size_t)k) * w2;
    }
    vif_vfilter(aG, nTap, apRow, w2, aOut + r * w2);
  }
  *pW = w2;
  *pH = h2;
}

/* VIFp; see qc.h. */
int qc_fr_vif(const struct qc_plane *pRef, const struct qc_plane *pDist,
              double dataRange, double *pVif)
{
  struct vifWork work = {0};
  struct vifPlane x = {0}, y = {0};
  double *aPlanes = NULL; /* Two downsampled planes and filter scratch */
  double aG[VIF_MAXN], num = 0.0, den = 0.0;
  size_t w, h, nQ, nT;
  int rc, j;

  if(pVif == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_fr_pair(pRef, pDist, VIF_MIN_SIDE, &w, &h);
  if(rc == QC_OK) {
    rc = qc_fr_range_check(dataRange);
  }
  if(rc != QC_OK) {
    return rc;
  }
  /* Ring and rows sized for scale 1; downsampled planes for scale 2 (the
   * largest), in place afterwards; filter scratch h x ceil(w/2). */
  work.nRowMax = lanes_up(lanes_up(w - (VIF_MAXN - 1)) + VIF_MAXN - 1);
  work.aMem = malloc((7 * work.nRowMax + VIF_MAXN * 5 * work.nRowMax) *
                     sizeof(double));
  nQ = ((w + 1) / 2) * ((h + 1) / 2);
  nT = h * ((w + 1) / 2);
  aPlanes = malloc((4 * nQ + nT) * sizeof(double));
  if(work.aMem == NULL || aPlanes == NULL) {
    rc = QC_ERR_NOMEM;
    goto vif_end;
  }
  work.aRow = work.aMem;
  work.aRing = work.aRow + 7 * work.nRowMax;
  x.aF = pRef->a;
  y.aF = pDist->a;
  x.w = y.w = w;
  x.h = y.h = h;
  x.scale = y.scale = 255.0 / dataRange;
  for(j = 1; j <= VIF_NSCALE; j++) {
    int nTap = (1 << (VIF_NSCALE + 1 - j)) + 1; /* 17, 9, 5, 3 */
    vif_window(nTap, aG);
    if(j > 1) {
      double *aX2 = aPlanes + (size_t)(2 * (j % 2)) * nQ; /* Ping-pong */
      double *aY2 = aX2 + nQ;
      double *aT = aPlanes + 4 * nQ;
      vif_down(&x, aG, nTap, aT, work.aRow, aX2, &w, &h);
      vif_down(&y, aG, nTap, aT, work.aRow, aY2, &w, &h);
      x.aF = y.aF = NULL;
      x.aD = aX2;
      y.aD = aY2;
      x.w = y.w = w;
      x.h = y.h = h;
    }
    vif_scale(&work, &x, &y, aG, nTap, &num, &den);
  }
  rc = den > 0.0 && isfinite(num / den) ? QC_OK : QC_ERR_RANGE;
  if(rc == QC_OK) {
    *pVif = num / den;
  }
vif_end:
  free(aPlanes);
  free(work.aMem);
  return rc;
}
