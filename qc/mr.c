/* SPDX-License-Identifier: BSD-3-Clause
 *
 * mr.c - MR image quality measures of one 2-D slice, after MRIQC's
 * anatomical image quality metrics (O. Esteban et al., "MRIQC: Advancing
 * the automatic prediction of image quality in MRI from unseen sites",
 * PLoS ONE 12(9):e0184661, 2017; mriqc/qc/anatomical.py), transcribed to
 * one slice with a head mask of our own.
 *
 * x is the slice in modality units (W x H samples, taken as double).
 *   Head (foreground) mask F: t = qc_otsu(all samples) (skimage
 *     threshold_otsu, 256 bins), F = x > t, dilated then eroded by the
 *     square of radius 2 floor(min(W, H) / 256), at least 2 (the 5x5
 *     square up to 511 pixels), holes filled, largest 8-connected
 *     component kept (qc/mask.c).
 *   Background ("air") B: NOT (F dilated by the square of radius
 *     m = max(2, floor(min(W, H)/32)) px), so that the blurred edge of
 *     the head is neither signal nor noise.
 *   Quantisation floor e = q/sqrt(12), q the smallest positive difference
 *     between two distinct sample values of the slice (4 for the 0..255
 *     x4 training slices, 1 for plain integers): the standard deviation
 *     of rounding to a step q.  Spreads of the background are floored at
 *     e, because a still scan's background can be perfectly constant.
 *   foregroundFraction = |F| / (W H).
 *   snr = f mean(x in F) / max(std(x in B), e), std the population
 *     standard deviation, f = 1/sqrt(2/(4 - pi)) = 0.6551 (MRIQC
 *     snr_dietrich's DIETRICH_FACTOR; Dietrich et al., JMRI 26:375, 2007).
 *   ghostRatio: MRIQC gsr.  R = F rolled by N/2 along the phase-encoding
 *     axis as numpy.roll does (R[i] = F[(i - floor(N/2)) mod N], N the
 *     side along that axis); ghost G = R AND B, other background
 *     O = B AND NOT R; gsr = (mean(x in G) - mean(x in O)) / median(x in
 *     F).  Unlike MRIQC (G = R - F, O = NOT (F OR R)), G and O both leave
 *     out the dilated margin, for the reason B does.  QC_AXIS_ROW (phase
 *     along a row) rolls across columns (x), QC_AXIS_COL across rows (y);
 *     QC_AXIS_UNKNOWN takes both and reports the larger (COL on a tie),
 *     ghostAxis saying which.  NaN when G or O is empty (ghostAxis then
 *     QC_AXIS_UNKNOWN if no axis gave a number).
 *   edgeEnergy: the population variance of the 4-neighbour Laplacian
 *     (x[l] + x[r] + x[u] + x[d] - 4 x, as scipy.ndimage.laplace) of
 *     x / median(x in F), over the pixels of F whose four neighbours are
 *     in F (the head's inside, so a slice with little head is not read
 *     as blurred and the air's noise does not count); NaN with fewer than
 *     two such pixels.  A slice whose shorter side is 512 or more is
 *     first box-averaged by f x f, f = floor(min(W, H) / 256) (partial
 *     cells dropped; F sampled at each cell's top-left pixel): per pixel
 *     the Laplacian of a 512 matrix (often a 256 acquisition
 *     interpolated) is a quarter of the 256 one's, and its variance a
 *     sixteenth, which would read every such slice as blurred.  Not an
 *     MRIQC measure: the blur measure of the profile (the training
 *     slices lose 99 % of it at blur level 3).
 *   efc: MRIQC efc over the whole slice, on |x| (MR magnitudes are >= 0;
 *     the absolute value keeps the logarithm defined for signed data):
 *     n = W H, efc_max = n (1/sqrt(n)) ln(1/sqrt(n)),
 *     b = sqrt(sum x^2), efc = sum (|x|/b) ln((|x| + 1e-16)/b) / efc_max.
 *   fber: MRIQC fber, median(|x|^2 in F) / max(median(|x|^2 in B), e^2)
 *     (MRIQC returns 0 when the background median is under 1e-3; the
 *     floor keeps the ratio finite and meaningful instead).
 *   qi1: MRIQC artifact_mask + art_qi1 in 2-D.  Over B, the robust score
 *     z = (x - median(B)) / max(k MAD(B), e), MAD the median absolute
 *     deviation from the median and k = 1/Phi^-1(3/4) = 1.4826
 *     (statsmodels' mad); candidates are the pixels of B with z > 10
 *     that are not within 10 px of the head (not in F dilated by the
 *     21x21 square: MRIQC's distance < 10 exclusion, as a square); the
 *     artefacts are the candidates after a binary opening with the 3x3
 *     cross (outside = 0); qi1 = artefacts / |B|.
 * Medians are numpy's (mean of the two middle values for an even count).
 *
 * The training slices (0..255 rescaled x4, defaced and padded at a
 * constant value) make the floors matter: the padding holds most of B,
 * so MAD(B) is 0 and the qi1 spread is e; see the report of the MR
 * profile for how each measure responds to blur, Rician noise and motion.
 *
 * Tests: tests/unit/test_qc_mr.c against tests/reference/make_mr_reference.py.
 */
#include "qc_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* MRIQC's DIETRICH_FACTOR, 1/sqrt(2/(4 - pi)). */
#define MR_DIETRICH 0.65513637756203355
/* 1/Phi^-1(3/4): a MAD times this is a Gaussian sigma. */
#define MR_MAD_K 1.482602218505602
/* Robust z-score above which a background pixel is an artefact. */
#define MR_ART_Z 10.0
/* Side of the grid edge energy is measured on: a slice of 512 or more
 * (often a 256 acquisition interpolated) is box-averaged towards it. */
#define MR_EDGE_SIDE 256
/* Distance from the head within which no artefact is counted, px. */
#define MR_ART_GAP 10

static int cmp_float(const void *pA, const void *pB)
{
  float a = *(const float *)pA, b = *(const float *)pB;
  return (a > b) - (a < b);
}

/* Smallest positive difference between distinct values of a[0..n-1],
 * sorting the copy aTmp (n floats); 0 if all are equal. */
static double quant_step(const float *a, size_t n, float *aTmp)
{
  double q = 0.0;
  size_t i;

  memcpy(aTmp, a, n * sizeof(float));
  qsort(aTmp, n, sizeof(float), cmp_float);
  for(i = 1; i < n; i++) {
    double d = (double)aTmp[i] - (double)aTmp[i - 1];
    if(d > 0.0 && (q == 0.0 || d < q)) {
      q = d;
    }
  }
  return q;
}

/* The two middle order statistics of a[0..n-1] (equal when n is odd),
 * so that numpy's median of any increasing function g of the samples is
 * (g(lo) + g(hi))/2.  n >= 1. */
static int mid_pair(const float *a, size_t n, double *pLo, double *pHi)
{
  double aQ[2], aOut[2];
  int rc;

  if(n % 2 == 1) {
    aQ[0] = 50.0;
    aQ[1] = 50.0;
  } else {
    aQ[0] = 100.0 * (double)(n / 2 - 1) / (double)(n - 1);
    aQ[1] = 100.0 * (double)(n / 2) / (double)(n - 1);
  }
  rc = qc_percentiles(a, n, aQ, 2, aOut);
  if(rc == QC_OK) {
    *pLo = aOut[0];
    *pHi = aOut[1];
  }
  return rc;
}

/* Gathers the samples x (|x| if isAbs) where aSel[i] is 1 into aBuf;
 * returns their count. */
static size_t gather(const float *x, const uint8_t *aSel, size_t n, int isAbs,
                     float *aBuf)
{
  size_t i, k = 0;

  for(i = 0; i < n; i++) {
    if(aSel[i]) {
      aBuf[k++] = isAbs ? fabsf(x[i]) : x[i];
    }
  }
  return k;
}

/* Ghost-to-signal ratio with the head F rolled along axis (ROW: across
 * columns, COL: across rows); NaN if the ghost or the other background
 * is empty.  medFg is median(x in F). */
static double ghost_ratio(const float *x, const uint8_t *aF, const uint8_t *aB,
                          size_t w, size_t h, enum qc_axis axis, double medFg)
{
  size_t sx = axis == QC_AXIS_ROW ? w / 2 : 0; /* Roll along x */
  size_t sy = axis == QC_AXIS_COL ? h / 2 : 0; /* Roll along y */
  double sumG = 0.0, sumO = 0.0;
  size_t nG = 0, nO = 0, y, c;

  for(y = 0; y < h; y++) {
    size_t yr = (y + h - sy) % h; /* Row of F that lands on row y */
    for(c = 0; c < w; c++) {
      size_t i = y * w + c;
      if(aB[i]) {
        size_t cr = (c + w - sx) % w;
        if(aF[yr * w + cr]) {
          sumG += x[i];
          nG++;
        } else {
          sumO += x[i];
          nO++;
        }
      }
    }
  }
  if(nG == 0 || nO == 0) {
    return NAN;
  }
  return (sumG / (double)nG - sumO / (double)nO) / medFg;
}

/* Population variance of the 4-neighbour Laplacian of x / medFg over the
 * pixels of F whose four neighbours are in F too (none on the border);
 * NaN with fewer than two such pixels or medFg <= 0. */
static double laplace_var(const float *x, const uint8_t *aF, size_t w,
                          size_t h, double medFg)
{
  double sum = 0.0, ss = 0.0, mean;
  size_t nIn = 0, y, c;

  if(!(medFg > 0.0) || w < 3 || h < 3) {
    return NAN;
  }
  for(int pass = 0; pass < 2; pass++) {
    mean = nIn > 0 ? sum / (double)nIn : 0.0;
    for(y = 1; y + 1 < h; y++) {
      for(c = 1; c + 1 < w; c++) {
        size_t i = y * w + c;
        double lap;
        if(!aF[i] || !aF[i - 1] || !aF[i + 1] || !aF[i - w] || !aF[i + w]) {
          continue;
        }
        lap =
            ((double)x[i - 1] + x[i + 1] + x[i - w] + x[i + w] - 4.0 * x[i]) /
            medFg;
        if(pass == 0) {
          sum += lap;
          nIn++;
        } else {
          ss += (lap - mean) * (lap - mean);
        }
      }
    }
  }
  return nIn >= 2 ? ss / (double)nIn : NAN;
}

/* edgeEnergy (file head): laplace_var() of the slice, or, when its
 * shorter side is 512 or more, of the slice box-averaged by f x f, f =
 * floor(min(w, h) / 256), with F sampled at each cell's top-left pixel.
 * aBuf (floats) and aW (bytes) are scratch of w h each. */
static double edge_energy(const float *x, const uint8_t *aF, size_t w,
                          size_t h, double medFg, float *aBuf, uint8_t *aW)
{
  size_t f = (w < h ? w : h) / MR_EDGE_SIDE;

  if(f < 2) {
    return laplace_var(x, aF, w, h, medFg);
  }
  qc_box_shrink(x, aF, w, h, f, aBuf, aW);
  return laplace_var(aBuf, aW, w / f, h / f, medFg);
}

/* Binary opening of a (w x h) by the 3x3 cross, outside = 0; aTmp holds
 * w h bytes. */
static void open_cross(uint8_t *a, uint8_t *aTmp, size_t w, size_t h)
{
  size_t y, c;

  for(y = 0; y < h; y++) { /* Erosion into aTmp */
    for(c = 0; c < w; c++) {
      size_t i = y * w + c;
      aTmp[i] = (uint8_t)(a[i] && y > 0 && a[i - w] && y + 1 < h && a[i + w] &&
                          c > 0 && a[i - 1] && c + 1 < w && a[i + 1]);
    }
  }
  for(y = 0; y < h; y++) { /* Dilation back into a */
    for(c = 0; c < w; c++) {
      size_t i = y * w + c;
      a[i] = (uint8_t)(aTmp[i] || (y > 0 && aTmp[i - w]) ||
                       (y + 1 < h && aTmp[i + w]) || (c > 0 && aTmp[i - 1]) ||
                       (c + 1 < w && aTmp[i + 1]));
    }
  }
}

/* All measures, given the buffers: aF, aB, aW (n bytes each), aBuf (n
 * floats).  See the file head. */
static int mr_measure(const float *x, size_t w, size_t h, enum qc_axis axis,
                      uint8_t *aF, uint8_t *aB, uint8_t *aW, float *aBuf,
                      struct qc_mr *pOut)
{
  size_t n = w * h, i, nF, nB, nArt = 0;
  int32_t iw = (int32_t)w, ih = (int32_t)h;
  int32_t margin = (int32_t)((w < h ? w : h) / 32);
  /* Closing radius: 2 per 256 pixels of the shorter side, at least 2. */
  int32_t rClose = 2 * (int32_t)((w < h ? w : h) / MR_EDGE_SIDE);
  double thr, q, e, lo, hi, medFg, medB, mad;
  double sumF = 0.0, sumB = 0.0, ssB = 0.0, meanB, sdB;
  double sumE = 0.0, sum2 = 0.0, bMax, efcMax, fgSq, bgSq, sp;
  double gRow = NAN, gCol = NAN;
  int rc;

  margin = margin < 2 ? 2 : margin;
  rClose = rClose < 2 ? 2 : rClose;
  q = quant_step(x, n, aBuf);
  e = q / sqrt(12.0);
  rc = qc_otsu(x, n, NULL, &thr);
  for(i = 0; rc == QC_OK && i < n; i++) {
    aF[i] = (uint8_t)((double)x[i] > thr);
  }
  if(rc == QC_OK) {
    rc = qc_mask_dilate(aF, iw, ih, rClose);
  }
  if(rc == QC_OK) {
    rc = qc_mask_erode(aF, iw, ih, rClose);
  }
  if(rc == QC_OK) {
    rc = qc_mask_fill_holes(aF, iw, ih);
  }
  if(rc == QC_OK) {
    rc = qc_mask_largest(aF, iw, ih, &nF);
  }
  if(rc == QC_OK) {
    memcpy(aB, aF, n);
    rc = qc_mask_dilate(aB, iw, ih, margin);
  }
  if(rc != QC_OK) {
    return rc;
  }
  nB = 0;
  for(i = 0; i < n; i++) {
    aB[i] = (uint8_t)!aB[i];
    nB += aB[i];
  }
  if(nF == 0 || nB == 0) {
    return QC_ERR_RANGE;
  }

  /* snr */
  for(i = 0; i < n; i++) {
    if(aF[i]) {
      sumF += x[i];
    } else if(aB[i]) {
      sumB += x[i];
    }
  }
  meanB = sumB / (double)nB;
  for(i = 0; i < n; i++) {
    if(aB[i]) {
      ssB += ((double)x[i] - meanB) * ((double)x[i] - meanB);
    }
  }
  sdB = sqrt(ssB / (double)nB);
  pOut->snr = MR_DIETRICH * (sumF / (double)nF) / (sdB > e ? sdB : e);
  pOut->foregroundFraction = (double)nF / (double)n;

  /* ghostRatio */
  gather(x, aF, n, 0, aBuf);
  rc = mid_pair(aBuf, nF, &lo, &hi);
  if(rc != QC_OK) {
    return rc;
  }
  medFg = (lo + hi) / 2.0;
  if(axis != QC_AXIS_COL) {
    gRow = ghost_ratio(x, aF, aB, w, h, QC_AXIS_ROW, medFg);
  }
  if(axis != QC_AXIS_ROW) {
    gCol = ghost_ratio(x, aF, aB, w, h, QC_AXIS_COL, medFg);
  }
  if(!isnan(gRow) && (isnan(gCol) || gRow > gCol)) {
    pOut->ghostRatio = gRow;
    pOut->ghostAxis = QC_AXIS_ROW;
  } else {
    pOut->ghostRatio = gCol;
    pOut->ghostAxis = isnan(gCol) ? QC_AXIS_UNKNOWN : QC_AXIS_COL;
  }

  pOut->edgeEnergy = edge_energy(x, aF, w, h, medFg, aBuf, aW);

  /* efc */
  for(i = 0; i < n; i++) {
    sum2 += (double)x[i] * x[i];
  }
  bMax = sqrt(sum2);
  for(i = 0; i < n; i++) {
    double a = fabs((double)x[i]);
    sumE += (a / bMax) * log((a + 1e-16) / bMax);
  }
  efcMax = (double)n * (1.0 / sqrt((double)n)) * log(1.0 / sqrt((double)n));
  pOut->efc = sumE / efcMax;

  /* fber: |x|^2 is increasing in |x|, so its median is that of the
   * middle |x| pair squared. */
  gather(x, aF, n, 1, aBuf);
  rc = mid_pair(aBuf, nF, &lo, &hi);
  if(rc != QC_OK) {
    return rc;
  }
  fgSq = (lo * lo + hi * hi) / 2.0;
  gather(x, aB, n, 1, aBuf);
  rc = mid_pair(aBuf, nB, &lo, &hi);
  if(rc != QC_OK) {
    return rc;
  }
  bgSq = (lo * lo + hi * hi) / 2.0;
  pOut->fber = fgSq / (bgSq > e * e ? bgSq : e * e);

  /* qi1 */
  gather(x, aB, n, 0, aBuf);
  rc = mid_pair(aBuf, nB, &lo, &hi);
  if(rc != QC_OK) {
    return rc;
  }
  medB = (lo + hi) / 2.0;
  for(i = 0; i < nB; i++) {
    aBuf[i] = (float)fabs((double)aBuf[i] - medB);
  }
  rc = mid_pair(aBuf, nB, &lo, &hi);
  if(rc != QC_OK) {
    return rc;
  }
  mad = MR_MAD_K * (lo + hi) / 2.0;
  sp = mad > e ? mad : e;
  memcpy(aW, aF, n);
  rc = qc_mask_dilate(aW, iw, ih, MR_ART_GAP);
  if(rc != QC_OK) {
    return rc;
  }
  for(i = 0; i < n; i++) {
    aW[i] =
        (uint8_t)(aB[i] && !aW[i] && ((double)x[i] - medB) / sp > MR_ART_Z);
  }
  open_cross(aW, aF, w, h); /* aF is no longer needed */
  for(i = 0; i < n; i++) {
    nArt += aW[i];
  }
  pOut->qi1 = (double)nArt / (double)nB;
  return QC_OK;
}

/* Measures one MR slice; see qc.h and the file head. */
int qc_mr_measure(const struct qc_plane *pIn, enum qc_axis axis,
                  struct qc_mr *pOut)
{
  struct qc_mr r;
  size_t n, i;
  uint8_t *pMask; /* The masks, after the floats */
  float *aMem;    /* n floats, then 3 masks of n bytes */
  int rc;

  if(pOut == NULL ||
     (axis != QC_AXIS_UNKNOWN && axis != QC_AXIS_ROW && axis != QC_AXIS_COL)) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_len(pIn, &n);
  if(rc != QC_OK) {
    return rc;
  }
  if(pIn->nWidth < 16 || pIn->nHeight < 16 || pIn->nWidth > QC_MAX_SIDE ||
     pIn->nHeight > QC_MAX_SIDE) {
    return QC_ERR_RANGE;
  }
  for(i = 0; i < n; i++) {
    if(!isfinite(pIn->a[i])) {
      return QC_ERR_RANGE;
    }
  }
  aMem = malloc(n * (sizeof(float) + 3));
  if(aMem == NULL) {
    return QC_ERR_NOMEM;
  }
  pMask = (uint8_t *)(aMem + n);
  rc = mr_measure(pIn->a, (size_t)pIn->nWidth, (size_t)pIn->nHeight, axis,
                  pMask, pMask + n, pMask + 2 * n, aMem, &r);
  free(aMem);
  if(rc == QC_OK) {
    *pOut = r;
  }
  return rc;
}
