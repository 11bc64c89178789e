/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fr.c - full-reference metrics on two grey planes of the same size: MSE,
 * PSNR, SSIM, MS-SSIM and GMSD, plus the argument checks every
 * full-reference metric shares (FSIM is in fr_fsim.c, VIF in fr_vif.c).
 *
 * SSIM (Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image
 * quality assessment: from error visibility to structural similarity",
 * IEEE TIP 13(4):600-612, 2004, eq. 13) is computed exactly as
 * scikit-image's structural_similarity(gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=L): an 11-tap Gaussian (radius
 * int(3.5 sigma + 0.5) = 5, weights exp(-x^2 / 2 sigma^2) normalised, as
 * scipy.ndimage.gaussian_filter1d makes them), K1 = 0.01, K2 = 0.03,
 * population moments, and the mean of the SSIM map after cropping 5
 * pixels from every side.  Since the crop equals the filter radius, no
 * border value ever enters the mean: the result is the mean over the
 * "valid" window positions, which is all this file computes.
 *
 * Speed (issue 4 item 9: SSIM at <= 0.1x scikit-image's time; measured
 * by tests/bench/metrics at 0.08x for 1080x800 and 0.07x for 3000x3000).
 * One pass over the rows, no per-pixel allocation: each input row is
 * centred and scaled to u = (x - o)/L in float (o = the mean of a
 * subsample of both planes, which keeps E[u^2] - E[u]^2 free of
 * cancellation), its four moment rows u, v, u^2 + v^2, uv (eq. 13 needs
 * the two variances only as a sum) are filtered horizontally with the
 * symmetric taps folded, into a ring of 11 rows; each output row is then
 * one vertical pass over the ring and one pass of eq. 13.  Every inner
 * loop runs over contiguous columns with no dependence between
 * iterations, in whole blocks of LANES, so the compiler vectorises it;
 * sums are kept in double, LANES lanes at a time.  The float result
 * agrees with scikit-image's double to about 2e-7.
 *
 * MS-SSIM (Z. Wang, E. P. Simoncelli and A. C. Bovik, "Multi-scale
 * structural similarity for image quality assessment", 37th Asilomar
 * Conference, 2003) follows the authors' msssim.m: 5 scales, weights
 * 0.0448 0.2856 0.3001 0.2363 0.1333, the same window and constants at
 * every scale, and between scales the downsampling of msssim.m:
 * imfilter(img, ones(2)/4, 'symmetric', 'same') then img(1:2:end,
 * 1:2:end), i.e. the mean of each 2x2 block starting at an even row and
 * column, the row or column past an odd edge repeating the last one.
 *
 * GMSD (W. Xue, L. Zhang, X. Mou and A. C. Bovik, "Gradient magnitude
 * similarity deviation: a highly efficient perceptual image quality
 * index", IEEE TIP 23(2):684-695, 2014, eqs. 4-8 with c = 170) follows
 * OpenCV's cv::quality::QualityGMSD (opencv_contrib modules/quality/src/
 * qualitygmsd.cpp), whose values the tests check.
 *
 * Tests: tests/unit/test_qc_fr.c
 */
#include "qc_int.h"

#include "fr_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* SSIM window: 11 taps (radius 5), sigma 1.5 (Wang et al. 2004 sec. III.C;
 * scikit-image truncate 3.5). */
#define SSIM_N      11
#define SSIM_R      5
#define SSIM_SIGMA  1.5
#define SSIM_K1     0.01
#define SSIM_K2     0.03
#define MSSSIM_NLEV 5

/* Smallest side MS-SSIM accepts: msssim.m returns -Inf unless
 * min(M, N) / 2^(level-1) >= 11, the window side at the coarsest scale. */
#define MSSSIM_MIN_SIDE (SSIM_N << (MSSSIM_NLEV - 1))

/* MS-SSIM exponents beta_j = gamma_j (Wang et al. 2003 sec. 3.2; also
 * msssim.m's default weight vector). */
static const double aMsWeight[MSSSIM_NLEV] = {0.0448, 0.2856, 0.3001, 0.2363,
                                              0.1333};

/* GMSD threshold c for 0..255 data (Xue et al. 2014 sec. III; OpenCV's
 * QualityGMSD T = 170). */
#define GMSD_T 170.0

/* Columns handled per block by the inner loops.  GCC 12 vectorises a
 * loop that needs a scalar epilogue only at -O3 (at -O2 its cost model is
 * "very cheap"), so the hot loops run over whole blocks of LANES columns
 * of padded rows, each block a fixed-length inner loop that becomes SIMD
 * code (SSE2: 4-float vectors).  16 rather than 8: at -O3 (the library's
 * release flags) GCC unrolls 8-iteration lane loops before vectorising
 * them and leaves part of them scalar; 16 runs equally fast at -O2 and
 * -O3 (SSIM of 1080x800: 8.9 ms either way, against 7.4 and 10.7 ms with
 * 8).  Pointers are taken out of the lane loops by hand for the same
 * reason. */
#define LANES 16

/* n rounded up to a multiple of LANES. */
static size_t lanes_up(size_t n)
{
  return (n + LANES - 1) / LANES * LANES;
}

int qc_fr_finite(const float *a, size_t n)
{
  uint32_t aBad[LANES] = {0}; /* Nonzero once an exponent is all ones */
  uint32_t bad = 0;
  size_t i;
  int l;

  for(i = 0; i + LANES <= n; i += LANES) {
    for(l = 0; l < LANES; l++) {
      uint32_t u;
      memcpy(&u, &a[i + (size_t)l], sizeof(u));
      aBad[l] |= (u & 0x7f800000u) == 0x7f800000u;
    }
  }
  for(; i < n; i++) {
    uint32_t u;
    memcpy(&u, &a[i], sizeof(u));
    bad |= (u & 0x7f800000u) == 0x7f800000u;
  }
  for(l = 0; l < LANES; l++) {
    bad |= aBad[l];
  }
  return bad == 0;
}

int qc_fr_range_check(double dataRange)
{
  return isfinite(dataRange) && dataRange > 0.0 ? QC_OK : QC_ERR_RANGE;
}

/* qc_fr_pair() with the scan for non-finite samples optional: SSIM and
 * MS-SSIM skip it (isScan 0), since a NaN or an infinity reaches every
 * window that holds it and makes their result NaN, which they check. */
static int pair_check(const struct qc_plane *pRef,
                      const struct qc_plane *pDist, int32_t nMinSide,
                      int isScan, size_t *pW, size_t *pH)
{
  size_t nRef, nDist; /* Samples per plane */
  int rc;

  if(pW == NULL || pH == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_len(pRef, &nRef);
  if(rc == QC_OK) {
    rc = qc_plane_len(pDist, &nDist);
  }
  if(rc != QC_OK) {
    return rc;
  }
  if(pRef->nWidth != pDist->nWidth || pRef->nHeight != pDist->nHeight) {
    return QC_ERR_MISUSE;
  }
  if(pRef->nWidth < nMinSide || pRef->nHeight < nMinSide) {
    return QC_ERR_RANGE;
  }
  if(isScan &&
     (!qc_fr_finite(pRef->a, nRef) || !qc_fr_finite(pDist->a, nDist))) {
    return QC_ERR_RANGE;
  }
  *pW = (size_t)pRef->nWidth;
  *pH = (size_t)pRef->nHeight;
  return QC_OK;
}

int qc_fr_pair(const struct qc_plane *pRef, const struct qc_plane *pDist,
               int32_t nMinSide, size_t *pW, size_t *pH)
{
  return pair_check(pRef, pDist, nMinSide, 1, pW, pH);
}

/* Sum of (a[i] - b[i])^2 in double, in 8 independent lanes so that the
 * compiler can vectorise it without reassociating a single sum. */
static double sum_sq_diff(const float *a, const float *b, size_t n)
{
  double aAcc[8] = {0};
  double sum = 0.0;
  size_t i, k;

  for(i = 0; i + 8 <= n; i += 8) {
    for(k = 0; k < 8; k++) {
      double d = (double)a[i + k] - (double)b[i + k];
      aAcc[k] += d * d;
    }
  }
  for(; i < n; i++) {
    double d = (double)a[i] - (double)b[i];
    sum += d * d;
  }
  for(k = 0; k < 8; k++) {
    sum += aAcc[k];
  }
  return sum;
}

/* Mean squared error; see qc.h. */
int qc_fr_mse(const struct qc_plane *pRef, const struct qc_plane *pDist,
              double *pMse)
{
  size_t w, h; /* Plane sides */
  int rc;

  if(pMse == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_fr_pair(pRef, pDist, 1, &w, &h);
  if(rc != QC_OK) {
    return rc;
  }
  *pMse = sum_sq_diff(pRef->a, pDist->a, w * h) / ((double)w * (double)h);
  return QC_OK;
}

/* Peak signal-to-noise ratio 10 log10(L^2 / MSE); see qc.h. */
int qc_fr_psnr(const struct qc_plane *pRef, const struct qc_plane *pDist,
               double dataRange, double *pPsnr)
{
  double mse; /* Mean squared error */
  int rc;

  if(pPsnr == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_fr_range_check(dataRange);
  if(rc == QC_OK) {
    rc = qc_fr_mse(pRef, pDist, &mse);
  }
  if(rc != QC_OK) {
    return rc;
  }
  *pPsnr =
      mse > 0.0 ? 10.0 * log10(dataRange * dataRange / mse) : (double)INFINITY;
  return QC_OK;
}

/* ------------------------------------------------------------- SSIM core */

/* Moment rows the SSIM engine filters: u, v, u^2 + v^2, u v (eq. 13
 * needs s_x^2 and s_y^2 only as their sum, so one row carries both). */
#define SSIM_NQ 4

/* Working memory of ssim_run() for planes of up to nMaxW columns; one
 * allocation, carved up by ssim_work_new().  Rows are padded: nOutP =
 * lanes_up(nMaxW - 10) filtered columns from nRowP = lanes_up(nOutP + 10)
 * samples (whole blocks everywhere). */
struct ssimWork {
  float *aMem;      /* The allocation; free with free() */
  float *aRow;      /* SSIM_NQ x nRowP: the moment rows of one input row */
  float *aRing;     /* SSIM_N x SSIM_NQ x nOutP: rows filtered
                       horizontally, input row r in slot r % SSIM_N */
  size_t nMaxW;     /* Widest plane the buffers fit, >= SSIM_N */
  size_t nOutP;     /* Padded filtered row length */
  size_t nRowP;     /* Padded input row length */
  float aG[SSIM_N]; /* Gaussian taps, sum 1 */
};

/* Allocates the buffers for planes up to nMaxW (>= SSIM_N) columns and
 * computes the taps.  Returns QC_OK or QC_ERR_NOMEM. */
static int ssim_work_new(size_t nMaxW, struct ssimWork *p)
{
  size_t nOutP = lanes_up(nMaxW - (SSIM_N - 1)); /* Padded valid columns */
  double aG[SSIM_N], sum = 0.0;
  int k;

  QC_ASSERT(nMaxW >= SSIM_N && nMaxW <= QC_MAX_SIDE);
  p->nOutP = nOutP;
  p->nRowP = lanes_up(nOutP + (SSIM_N - 1));
  p->aMem =
      calloc(SSIM_NQ * p->nRowP + SSIM_N * SSIM_NQ * nOutP, sizeof(float));
  if(p->aMem == NULL) {
    return QC_ERR_NOMEM;
  }
  p->aRow = p->aMem;
  p->aRing = p->aRow + SSIM_NQ * p->nRowP;
  p->nMaxW = nMaxW;
  /* scipy.ndimage _gaussian_kernel1d: exp(-0.5 x^2 / sigma^2) / sum. */
  for(k = 0; k < SSIM_N; k++) {
    double x = (double)(k - SSIM_R);
    aG[k] = exp(-0.5 * x * x / (SSIM_SIGMA * SSIM_SIGMA));
    sum += aG[k];
  }
  for(k = 0; k < SSIM_N; k++) {
    p->aG[k] = (float)(aG[k] / sum);
  }
  return QC_OK;
}

/* Horizontal 'valid' filtering of a padded row into nOutP outputs, the
 * symmetric taps folded: g5 v[c+5] + sum_{k<5} gk (v[c+k] + v[c+10-k]).
 * aIn holds nOutP + 10 samples.  One pass over the row per tap pair (the
 * row stays in the level-1 cache): with the taps inside the block, GCC
 * -O3 vectorises across the taps, with gathers, and runs 1.5x slower. */
static void ssim_hfilter(const float *aG, const float *restrict aIn,
                         size_t nOutP, float *restrict aOut)
{
  size_t c;
  int k, l;

  for(c = 0; c < nOutP; c += LANES) {
    const float *pC = aIn + c + SSIM_R;
    float *pO = aOut + c;
    for(l = 0; l < LANES; l++) {
      pO[l] = aG[SSIM_R] * pC[l];
    }
  }
  for(k = 0; k < SSIM_R; k++) {
    const float g = aG[k];
    for(c = 0; c < nOutP; c += LANES) {
      const float *pA = aIn + c + k, *pB = aIn + c + (SSIM_N - 1 - k);
      float *pO = aOut + c;
      for(l = 0; l < LANES; l++) {
        pO[l] += g * (pA[l] + pB[l]);
      }
    }
  }
}

/* Prepares input row aX/aY (nW samples): the centred, scaled samples u =
 * (x - o) s and v, zero past nW, the moment rows u^2 + v^2 and u v, and
 * the horizontal filtering of the SSIM_NQ rows into ring slot aSlot
 * (SSIM_NQ rows of nOutP). */
static void ssim_row(struct ssimWork *p, const float *aX, const float *aY,
                     size_t nW, float o, float s, float *aSlot)
{
  size_t nR = p->nRowP, nOutP = p->nOutP;
  float *restrict aU = p->aRow;           /* x, centred and scaled */
  float *restrict aV = p->aRow + nR;      /* y, centred and scaled */
  float *restrict aSq = p->aRow + 2 * nR; /* u^2 + v^2 */
  float *restrict aUV = p->aRow + 3 * nR; /* u v */
  size_t c;
  int q, l;

  for(c = 0; c + LANES <= nW; c += LANES) {
    const float *pX = aX + c, *pY = aY + c;
    float *pU = aU + c, *pV = aV + c;
    for(l = 0; l < LANES; l++) {
      pU[l] = (pX[l] - o) * s;
      pV[l] = (pY[l] - o) * s;
    }
  }
  for(; c < nW; c++) {
    aU[c] = (aX[c] - o) * s;
    aV[c] = (aY[c] - o) * s;
  }
  /* Padding past nW: whatever an earlier, wider scale left there (or 0
   * from calloc); finite, and read by padded outputs only. */
  for(c = 0; c < nR; c += LANES) {
    const float *pU = aU + c, *pV = aV + c;
    float *pSq = aSq + c, *pUV = aUV + c;
    for(l = 0; l < LANES; l++) {
      pSq[l] = pU[l] * pU[l] + pV[l] * pV[l];
      pUV[l] = pU[l] * pV[l];
    }
  }
  for(q = 0; q < SSIM_NQ; q++) {
    ssim_hfilter(p->aG, p->aRow + (size_t)q * nR, nOutP,
                 aSlot + (size_t)q * nOutP);
  }
}

/* One output row: the vertical filtering of the moments from the ring
 * rows apRow[q][k] (quantity q, window row k), then eq. 13 of Wang et al.
 * 2004 in units of the data range (C1 = K1^2, C2 = K2^2; oS = o s
 * restores the means of x/L and y/L, the second moments being
 * shift-invariant): the SSIM of columns < nOut is added into the lane
 * sums aSumS and, when aSumC is not NULL, cs = (2 sxy + C2)/(sxx + syy +
 * C2) into aSumC, as (A2 B1)/(B1 B2), so that x == y gives exactly 1. */
static void ssim_out_row(const float *aG,
                         const float *const apRow[SSIM_NQ][SSIM_N],
                         size_t nOut, float oS, double *aSumS, double *aSumC)
{
  const float c1 = (float)(SSIM_K1 * SSIM_K1);
  const float c2 = (float)(SSIM_K2 * SSIM_K2);
  size_t c;
  int q, k, l;

  for(c = 0; c < nOut; c += LANES) {
    float aM[SSIM_NQ][LANES];   /* E[u], E[v], E[u^2 + v^2], E[uv] */
    float aS[LANES], aC[LANES]; /* SSIM and cs, 0 for the padding */
    int nIn = nOut - c < LANES ? (int)(nOut - c) : LANES; /* Real lanes */
    for(q = 0; q < SSIM_NQ; q++) {
      const float *const *apQ = apRow[q];
      const float *pC = apQ[SSIM_R] + c;
      float aAcc[LANES];
      for(l = 0; l < LANES; l++) {
        aAcc[l] = aG[SSIM_R] * pC[l];
      }
      for(k = 0; k < SSIM_R; k++) {
        const float *pA = apQ[k] + c, *pB = apQ[SSIM_N - 1 - k] + c;
        float g = aG[k];
        for(l = 0; l < LANES; l++) {
          aAcc[l] += g * (pA[l] + pB[l]);
        }
      }
      for(l = 0; l < LANES; l++) {
        aM[q][l] = aAcc[l];
      }
    }
    for(l = 0; l < LANES; l++) {
      float mx = aM[0][l], my = aM[1][l];
      float ux = mx + oS, uy = my + oS; /* Means of x/L and y/L */
      float a1 = 2.0f * ux * uy + c1;
      float b1 = ux * ux + uy * uy + c1;
      float a2 = 2.0f * (aM[3][l] - mx * my) + c2;
      float b2 = (aM[2][l] - (mx * mx + my * my)) + c2;
      float in = l < nIn ? 1.0f : 0.0f; /* 0 for the padding */
      float d = b1 * b2;
      aS[l] = in * (a1 * a2) / d; /* Exactly 1 where x == y */
      aC[l] = in * (a2 * b1) / d;
    }
    for(l = 0; l < LANES; l++) {
      aSumS[l] += aS[l];
    }
    if(aSumC != NULL) {
      for(l = 0; l < LANES; l++) {
        aSumC[l] += aC[l];
      }
    }
  }
}

/* Offset of the samples: the mean of a deterministic subsample of both
 * planes (every nStep-th sample, about 4096 of each).  Any value near
 * the data keeps E[u^2] - E[u]^2 clear of cancellation; SSIM itself does
 * not depend on it. */
static float ssim_offset(const float *aX, const float *aY, size_t n)
{
  size_t nStep = n / 4096 + 1, i, m = 0;
  double sum = 0.0;

  for(i = 0; i < n; i += nStep) {
    sum += (double)aX[i] + (double)aY[i];
    m += 2;
  }
  return (float)(sum / (double)m);
}

/* Mean SSIM and, if pCs is not NULL, mean cs over the valid positions of
 * the w x h planes aX, aY (contiguous rows; w <= p->nMaxW, w and h >=
 * SSIM_N), data range L.  Cannot fail. */
static void ssim_run(struct ssimWork *p, const float *aX, const float *aY,
                     size_t w, size_t h, double L, double *pSsim, double *pCs)
{
  size_t nOut = w - (SSIM_N - 1);                /* Valid columns */
  size_t nOutH = h - (SSIM_N - 1);               /* Valid rows */
  size_t nOutP = p->nOutP;                       /* Padded columns */
  double aSumS[LANES] = {0}, aSumC[LANES] = {0}; /* Lane sums */
  double sumS = 0.0, sumC = 0.0;
  float o = ssim_offset(aX, aY, w * h); /* Offset of the samples */
  float s = (float)(1.0 / L);           /* Scale of the samples */
  size_t r;
  int l;

  QC_ASSERT(w >= SSIM_N && h >= SSIM_N && w <= p->nMaxW);
  for(r = 0; r < h; r++) {
    float *aSlot = p->aRing + (r % SSIM_N) * SSIM_NQ * nOutP;
    ssim_row(p, aX + r * w, aY + r * w, w, o, s, aSlot);
    if(r + 1 >= SSIM_N) {
      size_t iTop = r + 1 - SSIM_N; /* First input row of the window */
      const float *apRow[SSIM_NQ][SSIM_N];
      int q, k;
      for(q = 0; q < SSIM_NQ; q++) {
        for(k = 0; k < SSIM_N; k++) {
          apRow[q][k] = p->aRing +
                        ((iTop + (size_t)k) % SSIM_N) * SSIM_NQ * nOutP +
                        (size_t)q * nOutP;
        }
      }
      ssim_out_row(p->aG, (const float *const(*)[SSIM_N])apRow, nOut, o * s,
                   aSumS, pCs != NULL ? aSumC : NULL);
    }
  }
  for(l = 0; l < LANES; l++) {
    sumS += aSumS[l];
    sumC += aSumC[l];
  }
  *pSsim = sumS / ((double)nOut * (double)nOutH);
  if(pCs != NULL) {
    *pCs = sumC / ((double)nOut * (double)nOutH);
  }
}

/* The checks SSIM and MS-SSIM share: an output pointer, two planes of
 * the same size with sides of at least nMinSide (written to *pW, *pH),
 * a valid data range; then the filter work area for that width.
 * Returns QC_OK (free pWork->aMem later) or the status. */
static int ssim_begin(const struct qc_plane *pRef,
                      const struct qc_plane *pDist, double dataRange,
                      const double *pOut, size_t nMinSide, size_t *pW,
                      size_t *pH, struct ssimWork *pWork)
{
  int rc;

  if(pOut == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = pair_check(pRef, pDist, nMinSide, 0, pW, pH);
  if(rc == QC_OK) {
    rc = qc_fr_range_check(dataRange);
  }
  if(rc == QC_OK) {
    rc = ssim_work_new(*pW, pWork);
  }
  return rc;
}

/* SSIM; see qc.h. */
int qc_fr_ssim(const struct qc_plane *pRef, const struct qc_plane *pDist,
               double dataRange, double *pSsim)
{
  struct ssimWork work = {0};
  size_t w, h; /* Plane sides */
  double ssim;
  int rc;

  rc = ssim_begin(pRef, pDist, dataRange, pSsim, SSIM_N, &w, &h, &work);
  if(rc != QC_OK) {
    return rc;
  }
  ssim_run(&work, pRef->a, pDist->a, w, h, dataRange, &ssim, NULL);
  free(work.aMem);
  if(!isfinite(ssim)) {
    return QC_ERR_RANGE; /* A non-finite sample, or squares overflowing */
  }
  *pSsim = ssim;
  return QC_OK;
}

/* ---------------------------------------------------------------- MS-SSIM */

/* msssim.m's downsampling: aOut[i][j] = mean of aIn rows 2i, 2i+1 and
 * columns 2j, 2j+1, an index past the end replaced by the last one
 * (imfilter 'symmetric').  aOut is ceil(w/2) x ceil(h/2). */
static void half_symmetric(const float *aIn, size_t w, size_t h, float *aOut)
{
  size_t w2 = (w + 1) / 2, h2 = (h + 1) / 2;
  size_t i, j;

  for(i = 0; i < h2; i++) {
    const float *pA = aIn + (2 * i) * w;           /* Row 2i */
    const float *pB = 2 * i + 1 < h ? pA + w : pA; /* Row 2i+1, or 2i */
    float *pO = aOut + i * w2;
    for(j = 0; j < w / 2; j++) {
      pO[j] =
          ((pA[2 * j] + pB[2 * j]) + (pA[2 * j + 1] + pB[2 * j + 1])) * 0.25f;
    }
    if(w % 2 == 1) { /* The last column pairs with itself */
      pO[j] = ((pA[2 * j] + pB[2 * j]) + (pA[2 * j] + pB[2 * j])) * 0.25f;
    }
  }
}

/* MS-SSIM from the per-scale means: prod_{j<5} cs_j^w_j * ssim_5^w_5, a
 * negative factor counted as 0 (msssim.m would return a complex number;
 * TensorFlow's ssim_multiscale clamps the same way). */
static double msssim_combine(const double *aCs, double ssim)
{
  double v = pow(ssim > 0.0 ? ssim : 0.0, aMsWeight[MSSSIM_NLEV - 1]);
  int j;

  for(j = 0; j < MSSSIM_NLEV - 1; j++) {
    v *= pow(aCs[j] > 0.0 ? aCs[j] : 0.0, aMsWeight[j]);
  }
  return v;
}

/* MS-SSIM; see qc.h. */
int qc_fr_ms_ssim(const struct qc_plane *pRef, const struct qc_plane *pDist,
                  double dataRange, double *pMsSsim)
{
  struct ssimWork work = {0};
  float *aBuf = NULL;   /* Four quarter-size planes: x, y at two scales */
  const float *aX, *aY; /* Planes of the current scale */
  float *apNext[2];     /* Where the next scale goes */
  double aCs[MSSSIM_NLEV], ssim = 0.0;
  size_t w, h, nQuarter; /* Current sides; floats per quarter plane */
  int rc, j;

  rc = ssim_begin(pRef, pDist, dataRange, pMsSsim, MSSSIM_MIN_SIDE, &w, &h,
                  &work);
  if(rc != QC_OK) {
    return rc;
  }
  nQuarter = ((w + 1) / 2) * ((h + 1) / 2);
  aBuf = malloc(4 * nQuarter * sizeof(float));
  if(aBuf == NULL) {
    rc = QC_ERR_NOMEM;
    goto ms_ssim_end;
  }
  aX = pRef->a;
  aY = pDist->a;
  for(j = 0; j < MSSSIM_NLEV; j++) {
    ssim_run(&work, aX, aY, w, h, dataRange, &ssim, &aCs[j]);
    if(j + 1 < MSSSIM_NLEV) {
      apNext[0] = aBuf + (size_t)(2 * (j % 2)) * nQuarter;
      apNext[1] = apNext[0] + nQuarter;
      half_symmetric(aX, w, h, apNext[0]);
      half_symmetric(aY, w, h, apNext[1]);
      aX = apNext[0];
      aY = apNext[1];
      w = (w + 1) / 2;
      h = (h + 1) / 2;
    }
  }
  for(j = 0; j + 1 < MSSSIM_NLEV; j++) {
    ssim = isfinite(aCs[j]) ? ssim : NAN; /* The clamp would hide a NaN */
  }
  ssim = isfinite(ssim) ? msssim_combine(aCs, ssim) : NAN;
  if(!isfinite(ssim)) {
    rc = QC_ERR_RANGE;
    goto ms_ssim_end;
  }
  *pMsSsim = ssim;
ms_ssim_end:
  free(aBuf);
  free(work.aMem);
  return rc;
}

/* ------------------------------------------------------------------ GMSD */

/* cvRound(n * 0.5) for a count n: n/2, and for odd n the half rounded to
 * even (cvRound rounds half to even), as cv::resize sizes its output. */
static size_t half_round_even(size_t n)
{
  size_t k = n / 2;

  return (n % 2 == 1 && k % 2 == 1) ? k + 1 : k;
}

/* OpenCV's GMSD input stage for one plane: cv::blur 2x2 anchored at the
 * top-left with zero border, every second sample (cv::resize 0.5
 * INTER_NEAREST takes source index 2i), scaled by s = 255/L.  The w2 x h2
 * result (w2 = half_round_even(w), which can exceed w/2: the extra column
 * then averages with the zero border) goes into the interior of aOut,
 * (w2 + 2) x (h2 + 2) with a zero frame for the gradient. */
static void gmsd_down(const float *aIn, size_t w, size_t h, double s,
                      double *aOut, size_t w2, size_t h2)
{
  size_t i, j;

  memset(aOut, 0, (w2 + 2) * (h2 + 2) * sizeof(double));
  for(i = 0; i < h2; i++) {
    const float *pA = aIn + 2 * i * w;
    const float *pB = 2 * i + 1 < h ? pA + w : NULL; /* Row 2i+1 or border */
    double *pO = aOut + (i + 1) * (w2 + 2) + 1;
    for(j = 0; j < w2; j++) {
      size_t c = 2 * j;
      double v = pA[c] + (c + 1 < w ? pA[c + 1] : 0.0f);
      if(pB != NULL) {
        v += pB[c] + (c + 1 < w ? pB[c + 1] : 0.0f);
      }
      pO[j] = v * 0.25 * s;
    }
  }
}

/* Gradient magnitude along a row of the framed plane (row pointer pM,
 * stride nS): Prewitt kernels / 3 (OpenCV's conv2 CONVOLUTION_SAME over
 * filter2D with BORDER_CONSTANT, i.e. the zero frame; the kernel flip
 * only changes the sign), for the n pixels of the row. */
static void gmsd_grad_row(const double *pM, size_t nS, size_t n, double *aG)
{
  const double *pU = pM - nS; /* Row above */
  const double *pD = pM + nS; /* Row below */
  size_t j;

  for(j = 0; j < n; j++) {
    double gx = ((pU[j + 1] + pM[j + 1] + pD[j + 1]) -
                 (pU[j - 1] + pM[j - 1] + pD[j - 1])) /
                3.0;
    double gy =
        ((pD[j - 1] + pD[j] + pD[j + 1]) - (pU[j - 1] + pU[j] + pU[j + 1])) /
        3.0;
    aG[j] = sqrt(gx * gx + gy * gy);
  }
}

/* The GMS map (Xue et al. eq. 6, c = 170) of the framed planes a1, a2
 * (interior w x h) into aQ (w x h); aG holds 2 w scratch values. */
static void gmsd_map(const double *a1, const double *a2, size_t w, size_t h,
                     double *aG, double *aQ)
{
  size_t nS = w + 2; /* Stride of the framed planes */
  size_t i, j;

  for(i = 0; i < h; i++) {
    double *pQ = aQ + i * w;
    gmsd_grad_row(a1 + (i + 1) * nS + 1, nS, w, aG);
    gmsd_grad_row(a2 + (i + 1) * nS + 1, nS, w, aG + w);
    for(j = 0; j < w; j++) {
      double g1 = aG[j], g2 = aG[w + j];
      pQ[j] = (2.0 * g1 * g2 + GMSD_T) / (g1 * g1 + g2 * g2 + GMSD_T);
    }
  }
}

/* Population standard deviation of a[0..n-1], two passes. */
static double std_pop(const double *a, size_t n)
{
  double mean = 0.0, ss = 0.0;
  size_t i;

  for(i = 0; i < n; i++) {
    mean += a[i];
  }
  mean /= (double)n;
  for(i = 0; i < n; i++) {
    ss += (a[i] - mean) * (a[i] - mean);
  }
  return sqrt(ss / (double)n);
}

/* GMSD; see qc.h. */
int qc_fr_gmsd(const struct qc_plane *pRef, const struct qc_plane *pDist,
               double dataRange, double *pGmsd)
{
  double *aMem = NULL; /* Framed planes, gradient rows, GMS map */
  double *aQ;          /* The GMS map, w2 x h2 */
  size_t w, h, w2, h2; /* Sides, then downsampled sides */
  size_t nF;           /* Doubles per framed plane */
  double v;
  int rc;

  if(pGmsd == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_fr_pair(pRef, pDist, 3, &w, &h);
  if(rc == QC_OK) {
    rc = qc_fr_range_check(dataRange);
  }
  if(rc != QC_OK) {
    return rc;
  }
  w2 = half_round_even(w);
  h2 = half_round_even(h);
  nF = (w2 + 2) * (h2 + 2);
  aMem = malloc((2 * nF + 2 * w2 + w2 * h2) * sizeof(double));
  if(aMem == NULL) {
    return QC_ERR_NOMEM;
  }
  aQ = aMem + 2 * nF + 2 * w2;
  gmsd_down(pRef->a, w, h, 255.0 / dataRange, aMem, w2, h2);
  gmsd_down(pDist->a, w, h, 255.0 / dataRange, aMem + nF, w2, h2);
  gmsd_map(aMem, aMem + nF, w2, h2, aMem + 2 * nF, aQ);
  v = std_pop(aQ, w2 * h2);
  free(aMem);
  if(!isfinite(v)) {
    return QC_ERR_RANGE;
  }
  *pGmsd = v;
  return QC_OK;
}
