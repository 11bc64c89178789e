/* SPDX-License-Identifier: BSD-3-Clause
 *
 * xray.c - X-ray (CR, DX) measures of one frame in modality units: the
 * collimated field, the exposure level and deviation index, the saturated
 * fraction, quantum mottle in flat regions, and edge sharpness.
 *
 * The frame is the decoded one (modality LUT applied, MONOCHROME1
 * inverted, so higher is brighter); an RGB frame is measured on its
 * luminance (qc_image_luma).  dmin and dmax are the image's detectorMin
 * and detectorMax, W x H the frame, s = max(1, min(W, H)/512) the scale
 * of a 512-pixel image, R = p99 - p01 of the frame.  Percentiles are
 * numpy.percentile's 'linear' method (qc/percentile.c), medians
 * numpy.median's (mean of the two middle values).
 *
 *   - Collimated field: the frame minus the shutter / collimator bands
 *     along its edges, as a rectangle.  A line (a row over the current
 *     columns, or a column over the current rows) is a border line if its
 *     population standard deviation is < 0.05 R (a uniform band, with or
 *     without noise) or if at least 95% of its samples lie within 0.05 R
 *     of its median (a uniform band holding burnt-in text).  Border lines
 *     are trimmed from the top, bottom, left and right in that order,
 *     each side until its outermost line is not a border line (keeping at
 *     least one row and column), and a line whose median is >= dmax is
 *     never a border line (clipping is reported as saturation, not
 *     trimmed as collimation: a shutter rendered exactly at dmax counts as
 *     saturated), and the four passes repeat until nothing
 *     changes.  R = 0 (a flat frame) trims nothing.  fieldFraction is the
 *     rectangle's area over W H.  On the 7 training chest radiographs it
 *     removes the black bands of the one film that has them (165 rows)
 *     and the white band of another (6 rows), and nothing elsewhere.
 *   - exposureLevel: the median of the field samples > dmin (samples at
 *     dmin are unexposed shutter area or black masking, never anatomy;
 *     samples at dmax stay in so that clipping still raises the level).
 *     NaN when no field sample is above dmin.  Bright raw-beam regions
 *     are not excluded: processed radiographs render them dark, and a
 *     plateau rule was not robust on the training films.
 *   - deviationIndex, IEC 62494-1: the header's DI (0018,1413) (diSource
 *     1); else 10 log10(EI/EI_T) from (0018,1411) and (0018,1412) when
 *     both are present and > 0 (diSource 2); else, when targetLevel > 0,
 *     targetLevel > dmin and exposureLevel > dmin, the estimate
 *     10 log10((exposureLevel - dmin)/(targetLevel - dmin)) (diSource 3):
 *     the signal above the detector's floor, the quantity the dose scales
 *     (the same offset qc/distort.c's exposure model uses); else NaN with
 *     diSource 0.
 *   - saturatedFraction: field samples >= dmax or <= dmin over the field
 *     area.
 *   - noisePercent: the field is tiled from its top-left corner with
 *     non-overlapping B x B blocks, B = floor(32 s + 0.5) (only whole
 *     blocks); a block holding a sample <= dmin or >= dmax is skipped
 *     (clipped areas carry no noise).  Each block's noise sigma is
 *     Immerkaer's estimate on the block's interior (J. Immerkaer, "Fast
 *     Noise Variance Estimation", CVIU 64(2):300-302, 1996, eq. 8, as in
 *     qc/noise.c); sigmaN, the 10th percentile of the block sigmas, is
 *     the noise of the flattest blocks, and noisePercent = 100 sigmaN /
 *     (field p99 - field p01).  NaN without a block or with a flat field.
 *     The 10th percentile replaces the 25th of the first draft: on the
 *     training films it separates level 0 from the underexpose family's
 *     level 3 by 1.46x instead of 1.12x.
 *   - sharpness: a band-pass energy ratio, the mean squared gradient
 *     magnitude at a fine scale over the same at a coarse scale, each
 *     minus the energy white noise of sigma sigmaN puts there:
 *       E(g) = mean over the inset of (Gx^2 + Gy^2) - 2 sigmaN^2 S0 S1
 *       sharpness = max(0, E(s)) / E(2 s)
 *     Gx, Gy are derivative-of-Gaussian filters of scale g: SciPy's
 *     sampled kernels, applied as its correlate1d applies a symmetric and
 *     an antisymmetric kernel (paired samples, so a constant gives exactly
 *     0) (scipy.ndimage.gaussian_filter with order 1 along
 *     one axis and 0 along the other, truncate 4, radius floor(4 g +
 *     0.5)); S0 and S1 are the sums of squares of the order-0 and order-1
 *     kernels, so 2 sigmaN^2 S0 S1 is exactly the expected gradient energy
 *     of white noise.  The inset is the field shrunk by the coarse
 *     kernel's radius on every side, so no filter reaches outside the
 *     field.  A sharp edge gives about 2 (the ratio of the scales), a
 *     blurred one tends to 1; the ratio ignores contrast and exposure.
 *     sigmaN is taken as 0 when noisePercent has no block.  NaN when the
 *     inset is empty or E(2 s) <= 0.  A mean gradient normalised by the
 *     field range, the first draft, fell with blur but its spread across
 *     the 7 training films (2x) was larger than the fall at blur level 3,
 *     and noise raised it by up to 60%; this ratio's level-0 minimum (1.52)
 *     is above the largest level-3 blur value (1.23), and noise level 4
 *     raises it by at most 6%.
 *
 * Memory: three float planes of the field's size, a line buffer and the
 * block sigmas, allocated once per call.  Cost: O(W H (1 + s)) for the
 * Gaussian passes.  No threshold lives here: the X-ray profile in models/
 * maps the values to verdicts.
 *
 * Reference: tests/reference/make_xray_reference.py (numpy, SciPy).
 * Tests: tests/unit/test_qc_xray.c
 */
#include "qc_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define XRAY_MIN_SIDE      16   /* Smallest frame side accepted */
#define XRAY_BORDER_TOL    0.05 /* Uniform-line tolerance, fraction of R */
#define XRAY_BORDER_INSIDE 0.95 /* Fraction within tolerance of median */
#define XRAY_BLOCK         32.0 /* Noise block side per 512 pixels */
#define XRAY_NOISE_Q       10.0 /* Percentile of the block sigmas */
#define XRAY_SIGMA_FINE    1.0  /* Fine gradient scale per 512 pixels */
#define XRAY_SIGMA_COARSE  2.0  /* Coarse gradient scale per 512 pixels */
#define XRAY_MAX_RADIUS    (4 * 2 * (QC_MAX_SIDE / 512 + 1) + 1)

/* The field rectangle: rows [t, b), columns [l, r) of the frame. */
struct xray_rect {
  size_t t, b, l, r;
};

/* Scratch of one call, allocated once. */
struct xray_work {
  float *aField; /* Field samples, contiguous (field area) */
  float *aRowG;  /* Row pass with the order-0 kernel (field area) */
  float *aRowD;  /* Row pass with the order-1 kernel (field area) */
  double *aLine; /* One row or column */
  float *aSigma; /* Block sigmas */
  size_t nSigma; /* Capacity of aSigma */
};

static int cmp_double(const void *pA, const void *pB)
{
  double a = *(const double *)pA, b = *(const double *)pB;
  return (a > b) - (a < b);
}

/* 1 if the n samples in aLine form a border line (see the file head);
 * sorts aLine. */
static int is_border_line(double *aLine, size_t n, double tol, double dmax)
{
  double mean = 0.0, var = 0.0, med;
  size_t i, nIn = 0;

  if(!(tol > 0.0)) {
    return 0;
  }
  qsort(aLine, n, sizeof(double), cmp_double);
  med = (n % 2) ? aLine[n / 2] : (aLine[n / 2 - 1] + aLine[n / 2]) / 2.0;
  if(med >= dmax) {
    return 0; /* Clipped: reported as saturation, not trimmed */
  }
  for(i = 0; i < n; i++) {
    mean += aLine[i];
  }
  mean /= (double)n;
  for(i = 0; i < n; i++) {
    var += (aLine[i] - mean) * (aLine[i] - mean);
  }
  if(sqrt(var / (double)n) < tol) {
    return 1;
  }
  for(i = 0; i < n; i++) {
    nIn += (fabs(aLine[i] - med) <= tol);
  }
  return (double)nIn >= XRAY_BORDER_INSIDE * (double)n;
}

/* Tests the line of plane a of n samples starting at index i0, step
 * apart (1 along a row, the width down a column). */
static int is_border_run(const float *a, size_t i0, size_t step, size_t n,
                         double *aLine, double tol, double dmax)
{
  size_t i;

  for(i = 0; i < n; i++) {
    aLine[i] = a[i0 + i * step];
  }
  return is_border_line(aLine, n, tol, dmax);
}

/* Trims the border lines of plane a (w x h) into *pR. */
static void field_rect(const float *a, size_t w, size_t h, double tol,
                       double dmax, double *aLine, struct xray_rect *pR)
{
  struct xray_rect q = {0, h, 0, w};
  int isChanged = 1;

  while(isChanged) {
    struct xray_rect old = q;
    while(q.b - q.t > 1 &&
          is_border_run(a, q.t * w + q.l, 1, q.r - q.l, aLine, tol, dmax)) {
      q.t++;
    }
    while(q.b - q.t > 1 && is_border_run(a, (q.b - 1) * w + q.l, 1, q.r - q.l,
                                         aLine, tol, dmax)) {
      q.b--;
    }
    while(q.r - q.l > 1 &&
          is_border_run(a, q.t * w + q.l, w, q.b - q.t, aLine, tol, dmax)) {
      q.l++;
    }
    while(q.r - q.l > 1 && is_border_run(a, q.t * w + q.r - 1, w, q.b - q.t,
                                         aLine, tol, dmax)) {
      q.r--;
    }
    isChanged = memcmp(&old, &q, sizeof(q)) != 0;
  }
  *pR = q;
}

/* Immerkaer sigma of the n x n block at p (row stride w), interior only,
 * as qc/noise.c computes it. */
static double block_sigma(const float *p, size_t w, size_t n)
{
  double sum = 0.0;
  size_t r, c;

  for(r = 1; r + 1 < n; r++) {
    for(c = 1; c + 1 < n; c++) {
      sum += fabs(qc_immerkaer_at(p + r * w + c, w));
    }
  }
  return sqrt(QC_PI / 2.0) / (6.0 * (double)(n - 2) * (double)(n - 2)) * sum;
}

/* 1 if the n x n block at p (stride w) has a sample <= dmin or >= dmax. */
static int block_clipped(const float *p, size_t w, size_t n, double dmin,
                         double dmax)
{
  size_t r, c;

  for(r = 0; r < n; r++) {
    for(c = 0; c < n; c++) {
      double x = p[r * w + c];
      if(x <= dmin || x >= dmax) {
        return 1;
      }
    }
  }
  return 0;
}

/* sigmaN of the field (10th percentile of the block sigmas), or NaN. */
static int field_noise(const float *a, size_t w, const struct xray_rect *pR,
                       size_t nBlock, double dmin, double dmax,
                       struct xray_work *pW, double *pSigma)
{
  static const double q = XRAY_NOISE_Q;
  size_t y, x, n = 0;

  *pSigma = NAN;
  if(nBlock < 3) {
    return QC_OK;
  }
  for(y = pR->t; y + nBlock <= pR->b; y += nBlock) {
    for(x = pR->l; x + nBlock <= pR->r; x += nBlock) {
      const float *p = a + y * w + x;
      if(block_clipped(p, w, nBlock, dmin, dmax)) {
        continue;
      }
      QC_ASSERT(n < pW->nSigma);
      pW->aSigma[n++] = (float)block_sigma(p, w, nBlock);
    }
  }
  if(n == 0) {
    return QC_OK;
  }
  return qc_percentiles(pW->aSigma, n, &q, 1, pSigma);
}

/* SciPy's sampled Gaussian kernels of scale sigma (_gaussian_kernel1d,
 * truncate 4): aG[o + r] = phi(o), aD[o + r] = o/sigma^2 phi(o) (the
 * order-1 kernel as correlate1d applies it), o = -r..r.  Returns r. */
static int gauss_kernels(double sigma, double *aG, double *aD)
{
  int r = (int)(4.0 * sigma + 0.5);
  double sum = 0.0;
  int o;

  QC_ASSERT(r <= XRAY_MAX_RADIUS);
  for(o = -r; o <= r; o++) {
    aG[o + r] = exp(-0.5 / (sigma * sigma) * (double)o * (double)o);
    sum += aG[o + r];
  }
  for(o = -r; o <= r; o++) {
    aG[o + r] /= sum;
    aD[o + r] = (double)o / (sigma * sigma) * aG[o + r];
  }
  return r;
}

/* Mean of Gx^2 + Gy^2 at scale sigma over the inset [t+m, b-m) x
 * [l+m, r-m) of plane a (width w), minus the white-noise energy
 * 2 sigmaN^2 S0 S1.  The row pass covers rows [t+m-k, b-m+k) (k the
 * kernel radius, <= m) over the inset columns. */
static double gradient_energy(const float *a, size_t w,
                              const struct xray_rect *pR, size_t m,
                              double sigma, double sigmaN,
                              struct xray_work *pW)
{
  double aG[2 * XRAY_MAX_RADIUS + 1], aD[2 * XRAY_MAX_RADIUS + 1];
  int k = gauss_kernels(sigma, aG, aD);
  size_t y0 = pR->t + m - (size_t)k, y1 = pR->b - m + (size_t)k;
  size_t x0 = pR->l + m, x1 = pR->r - m;
  size_t nx = x1 - x0;
  double s0 = 0.0, s1 = 0.0, sum = 0.0;
  size_t y, x;
  int j;

  for(y = y0; y < y1; y++) {
    const float *pRow = a + y * w;
    float *pG = pW->aRowG + (y - y0) * nx;
    float *pD = pW->aRowD + (y - y0) * nx;
    for(x = x0; x < x1; x++) {
      double g = aG[k] * pRow[x], d = 0.0;
      for(j = 1; j <= k; j++) {
        g += aG[k + j] * ((double)pRow[x + (size_t)j] + pRow[x - (size_t)j]);
        d += aD[k + j] * ((double)pRow[x + (size_t)j] - pRow[x - (size_t)j]);
      }
      pG[x - x0] = (float)g;
      pD[x - x0] = (float)d;
    }
  }
  for(y = (size_t)k; y + (size_t)k < y1 - y0; y++) {
    for(x = 0; x < nx; x++) {
      size_t i = y * nx + x;
      double gx = aG[k] * pW->aRowD[i], gy = 0.0;
      for(j = 1; j <= k; j++) {
        size_t dj = (size_t)j * nx;
        gx += aG[k + j] * ((double)pW->aRowD[i + dj] + pW->aRowD[i - dj]);
        gy += aD[k + j] * ((double)pW->aRowG[i + dj] - pW->aRowG[i - dj]);
      }
      sum += gx * gx + gy * gy;
    }
  }
  for(j = 0; j <= 2 * k; j++) {
    s0 += aG[j] * aG[j];
    s1 += aD[j] * aD[j];
  }
  sum /= (double)(y1 - y0 - 2 * (size_t)k) * (double)nx;
  return sum - 2.0 * sigmaN * sigmaN * s0 * s1;
}

/* The deviation index and its source; see the file head. */
static void deviation_index(const struct qc_meta *pMeta, double level,
                            double target, double dmin, double *pDi,
                            int32_t *pSource)
{
  if(pMeta != NULL && pMeta->hasDeviationIndex) {
    *pDi = pMeta->deviationIndex;
    *pSource = 1;
  } else if(pMeta != NULL && pMeta->hasExposureIndex &&
            pMeta->hasTargetExposureIndex && pMeta->exposureIndex > 0.0 &&
            pMeta->targetExposureIndex > 0.0) {
    *pDi = 10.0 * log10(pMeta->exposureIndex / pMeta->targetExposureIndex);
    *pSource = 2;
  } else if(target > 0.0 && target > dmin && level > dmin) {
    *pDi = 10.0 * log10((level - dmin) / (target - dmin));
    *pSource = 3;
  } else {
    *pDi = NAN;
    *pSource = 0;
  }
}

/* Everything after the checks: a is the frame (w x h, finite). */
static int measure_plane(const float *a, size_t w, size_t h,
                         const struct qc_image *pImg,
                         const struct qc_meta *pMeta, double targetLevel,
                         struct xray_work *pW, struct qc_xray *pOut)
{
  static const double aQ[2] = {1.0, 99.0};
  static const double q50 = 50.0;
  double dmin = pImg->detectorMin, dmax = pImg->detectorMax;
  double s = fmax(1.0, (double)(w < h ? w : h) / 512.0);
  size_t nBlock = (size_t)floor(XRAY_BLOCK * s + 0.5);
  double aP[2], aF[2], sigmaN, level = NAN;
  struct xray_rect q;
  size_t fw, fh, nField, nPos = 0, nSat = 0, y, x, m;
  struct qc_xray o;
  int rc;

  rc = qc_percentiles(a, w * h, aQ, 2, aP);
  if(rc != QC_OK) {
    return rc;
  }
  field_rect(a, w, h, XRAY_BORDER_TOL * (aP[1] - aP[0]), dmax, pW->aLine, &q);
  fw = q.r - q.l;
  fh = q.b - q.t;
  nField = fw * fh;
  o.fieldFraction = (double)nField / ((double)w * (double)h);

  /* Saturation and the median of the samples above dmin. */
  for(y = q.t; y < q.b; y++) {
    for(x = q.l; x < q.r; x++) {
      float v = a[y * w + x];
      nSat += (v >= dmax || v <= dmin);
      if(v > dmin) {
        pW->aField[nPos++] = v;
      }
    }
  }
  o.saturatedFraction = (double)nSat / (double)nField;
  if(nPos > 0) {
    rc = qc_percentiles(pW->aField, nPos, &q50, 1, &level);
    if(rc != QC_OK) {
      return rc;
    }
  }
  o.exposureLevel = level;
  deviation_index(pMeta, level, targetLevel, dmin, &o.deviationIndex,
                  &o.diSource);

  /* Field range and noise. */
  for(y = q.t; y < q.b; y++) {
    memcpy(pW->aField + (y - q.t) * fw, a + y * w + q.l, fw * sizeof(float));
  }
  rc = qc_percentiles(pW->aField, nField, aQ, 2, aF);
  if(rc != QC_OK) {
    return rc;
  }
  rc = field_noise(a, w, &q, nBlock, dmin, dmax, pW, &sigmaN);
  if(rc != QC_OK) {
    return rc;
  }
  o.noisePercent = (aF[1] > aF[0] && !isnan(sigmaN))
                       ? 100.0 * sigmaN / (aF[1] - aF[0])
                       : NAN;

  /* Sharpness on the inset. */
  m = (size_t)(4.0 * XRAY_SIGMA_COARSE * s + 0.5);
  o.sharpness = NAN;
  if(fh > 2 * m && fw > 2 * m) {
    double sn = isnan(sigmaN) ? 0.0 : sigmaN;
    double e1 = gradient_energy(a, w, &q, m, XRAY_SIGMA_FINE * s, sn, pW);
    double e2 = gradient_energy(a, w, &q, m, XRAY_SIGMA_COARSE * s, sn, pW);
    if(e2 > 0.0) {
      o.sharpness = fmax(0.0, e1) / e2;
    }
  }
  *pOut = o;
  return QC_OK;
}

/* X-ray measures; see qc.h and the file head. */
int qc_xray_measure(const struct qc_image *pImg, int32_t iFrame,
                    const struct qc_meta *pMeta, double targetLevel,
                    struct qc_xray *pOut)
{
  struct xray_work work = {0};
  const float *a;
  float *aLuma = NULL;
  size_t w, h, n, i, nMax;
  int rc = QC_ERR_NOMEM;

  if(pImg == NULL || pOut == NULL) {
    return QC_ERR_MISUSE;
  }
  a = qc_image_frame(pImg, iFrame);
  if(a == NULL || (pImg->nChannels != 1 && pImg->nChannels != 3)) {
    return QC_ERR_MISUSE;
  }
  if(pImg->nWidth < XRAY_MIN_SIDE || pImg->nHeight < XRAY_MIN_SIDE) {
    return QC_ERR_RANGE;
  }
  w = (size_t)pImg->nWidth;
  h = (size_t)pImg->nHeight;
  n = w * h;
  nMax = w > h ? w : h;
  if(pImg->nChannels == 3) {
    aLuma = malloc(n * sizeof(float));
    if(aLuma == NULL) {
      return QC_ERR_NOMEM;
    }
    rc = qc_image_luma(pImg, iFrame, aLuma);
    if(rc != QC_OK) {
      free(aLuma);
      return rc;
    }
    a = aLuma;
  }
  for(i = 0; i < n && isfinite(a[i]); i++) {
  }
  if(i < n) {
    free(aLuma);
    return QC_ERR_RANGE;
  }
  work.nSigma = n / 9 + 1; /* Blocks are at least 3 x 3 */
  work.aField = malloc(n * sizeof(float));
  work.aRowG = malloc(n * sizeof(float));
  work.aRowD = malloc(n * sizeof(float));
  work.aLine = malloc(nMax * sizeof(double));
  work.aSigma = malloc(work.nSigma * sizeof(float));
  if(work.aField != NULL && work.aRowG != NULL && work.aRowD != NULL &&
     work.aLine != NULL && work.aSigma != NULL) {
    rc = measure_plane(a, w, h, pImg, pMeta, targetLevel, &work, pOut);
  }
  free(work.aField);
  free(work.aRowG);
  free(work.aRowD);
  free(work.aLine);
  free(work.aSigma);
  free(aLuma);
  return rc;
}
