/* SPDX-License-Identifier: BSD-3-Clause
 *
 * mask.c - binary masks for the modality metrics (MR head, X-ray field,
 * fundus field of view): Otsu's threshold, dilation and erosion by a
 * square, hole filling and the largest connected component.
 *
 * Each operation is the one scikit-image 0.19 or SciPy 1.10 computes,
 * with everything outside the image counting as 0 (scipy.ndimage's
 * border_value=0):
 *   - qc_otsu: skimage.filters.threshold_otsu(x, nbins=256) on the
 *     samples as float64.  The histogram is numpy.histogram's (numpy 1.24
 *     lib/histograms.py): edges e[i] = min + i (max - min)/256 (e[256] =
 *     max, numpy.linspace), bin of x = floor((x - min) 256/(max - min)),
 *     255 for x = max, corrected by one when x falls on the other side of
 *     its edge; centres (e[i] + e[i+1])/2.  With w1, m1 the cumulative
 *     count and mean from below and w2, m2 those from above, the
 *     threshold is the centre of the first bin i < 255 maximising
 *     w1[i] w2[i+1] (m1[i] - m2[i+1])^2 (Otsu, IEEE SMC 9(1):62-66, 1979).
 *   - qc_mask_dilate / qc_mask_erode: scipy.ndimage.binary_dilation /
 *     binary_erosion with np.ones((2r+1, 2r+1)).  The square is separable,
 *     so each is a pass along rows then one along columns, each keeping a
 *     sliding count of the ones in the 2r+1 window: a pixel of the
 *     dilation is 1 when its count is > 0, of the erosion when it is
 *     2r+1 (outside pixels are 0, so a window leaving the image fails).
 *     O(W H) whatever r.
 *   - qc_mask_fill_holes: scipy.ndimage.binary_fill_holes (its default
 *     cross structure: the background is 4-connected): the 0 pixels
 *     reached from the border by a flood fill stay 0, every other becomes 1.
 *   - qc_mask_largest: keeps the largest 8-connected component
 *     (skimage.measure.label(connectivity=2), the largest np.bincount; on
 *     a tie the first label, i.e. the first met in raster order).
 * Floods use an explicit stack of pixel indices (each pixel pushed at
 * most once, so n entries suffice), never recursion.  Memory: one
 * allocation per call, at most 4 bytes per pixel plus a row.
 *
 * Tests: tests/unit/test_qc_mask.c against
 * tests/reference/make_mask_reference.py.
 */
#include "qc_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OTSU_BINS 256

/* Checks the common arguments of the mask operations and writes the
 * number of pixels to *pn.  Sides over QC_MAX_SIDE are refused, so that a
 * pixel index fits in uint32_t. */
static int mask_check(const uint8_t *a, int32_t nWidth, int32_t nHeight,
                      size_t *pn)
{
  if(a == NULL || nWidth < 1 || nHeight < 1 || nWidth > QC_MAX_SIDE ||
     nHeight > QC_MAX_SIDE) {
    return QC_ERR_MISUSE;
  }
  *pn = (size_t)nWidth * (size_t)nHeight;
  return QC_OK;
}

/* numpy.histogram's bin of x for 256 bins over [lo, hi] with edges e. */
static int otsu_bin(double x, double lo, double norm, const double *e)
{
  double f = (x - lo) * norm;
  int i = (int)f; /* f >= 0: truncation is floor */

  if(i >= OTSU_BINS) {
    i = OTSU_BINS - 1;
  }
  if(x < e[i]) {
    i--;
  } else if(i != OTSU_BINS - 1 && x >= e[i + 1]) {
    i++;
  }
  return i;
}

/* Otsu's threshold; see qc_int.h and the file head. */
int qc_otsu(const float *a, size_t n, const uint8_t *aMask, double *pThr)
{
  double e[OTSU_BINS + 1];   /* Bin edges */
  double aCnt[OTSU_BINS];    /* Counts */
  double aCen[OTSU_BINS];    /* Bin centres */
  double aW2[OTSU_BINS + 1]; /* Count from bin i up */
  double aS2[OTSU_BINS + 1]; /* Sum of count * centre from bin i up */
  double lo = INFINITY, hi = -INFINITY, step, norm;
  double w1 = 0.0, s1 = 0.0, best = -1.0, thr = 0.0;
  size_t i;
  int k;

  if(a == NULL || pThr == NULL) {
    return QC_ERR_MISUSE;
  }
  for(i = 0; i < n; i++) {
    if(aMask != NULL && aMask[i] == 0) {
      continue;
    }
    if(!isfinite(a[i])) {
      return QC_ERR_RANGE;
    }
    lo = a[i] < lo ? a[i] : lo;
    hi = a[i] > hi ? a[i] : hi;
  }
  if(!(hi > lo)) {
    return QC_ERR_RANGE; /* Nothing selected, or one value */
  }
  step = (hi - lo) / OTSU_BINS;
  norm = OTSU_BINS / (hi - lo);
  for(k = 0; k < OTSU_BINS; k++) {
    e[k] = (double)k * step + lo;
    aCnt[k] = 0.0;
  }
  e[OTSU_BINS] = hi;
  for(k = 0; k < OTSU_BINS; k++) {
    aCen[k] = (e[k] + e[k + 1]) / 2.0;
  }
  for(i = 0; i < n; i++) {
    if(aMask == NULL || aMask[i] != 0) {
      aCnt[otsu_bin(a[i], lo, norm, e)] += 1.0;
    }
  }
  aW2[OTSU_BINS] = 0.0;
  aS2[OTSU_BINS] = 0.0;
  for(k = OTSU_BINS - 1; k >= 0; k--) {
    aW2[k] = aW2[k + 1] + aCnt[k];
    aS2[k] = aS2[k + 1] + aCnt[k] * aCen[k];
  }
  for(k = 0; k + 1 < OTSU_BINS; k++) {
    double m1, m2, v;
    w1 += aCnt[k];
    s1 += aCnt[k] * aCen[k];
    /* No class is empty: bin 0 holds the minimum, bin 255 the maximum,
     * so numpy's NaN of an empty class never arises. */
    m1 = s1 / w1;
    m2 = aS2[k + 1] / aW2[k + 1];
    v = w1 * aW2[k + 1] * ((m1 - m2) * (m1 - m2));
    if(v > best) {
      best = v;
      thr = aCen[k];
    }
  }
  *pThr = thr;
  return QC_OK;
}

/* One row pass of a square of radius r: out[c] = 1 when the count of ones
 * of in[c-r .. c+r] is > 0 (isErode 0) or 2r+1 (isErode 1). */
static void pass_row(const uint8_t *in, uint8_t *out, int32_t w, int32_t r,
                     int isErode)
{
  int64_t need = isErode ? 2 * (int64_t)r + 1 : 1; /* Count for a 1 */
  int64_t cnt = 0;                                 /* Ones in window */
  int32_t c;

  for(c = 0; c < w && c < r; c++) {
    cnt += in[c];
  }
  for(c = 0; c < w; c++) {
    int64_t add = (int64_t)c + r;  /* Column entering the window */
    int64_t drop = (int64_t)c - r; /* Column leaving after this one */
    if(add < w) {
      cnt += in[add];
    }
    out[c] = (uint8_t)(cnt >= need);
    if(drop >= 0) {
      cnt -= in[drop];
    }
  }
}

/* Dilation (isErode 0) or erosion (isErode 1) by the (2r+1)^2 square. */
static int mask_square(uint8_t *a, int32_t nWidth, int32_t nHeight, int32_t r,
                       int isErode)
{
  size_t n, w, y;
  uint8_t *aTmp; /* Row-pass result, n bytes */
  int32_t *aCnt; /* Column counts of the column pass, nWidth */
  int64_t need;  /* Count that makes a 1 */
  int64_t h = nHeight;
  size_t c;
  int rc = mask_check(a, nWidth, nHeight, &n);

  if(rc != QC_OK || r < 0) {
    return QC_ERR_MISUSE;
  }
  if(r == 0) {
    return QC_OK;
  }
  w = (size_t)nWidth;
  aCnt = malloc(w * sizeof(int32_t) + n);
  if(aCnt == NULL) {
    return QC_ERR_NOMEM;
  }
  aTmp = (uint8_t *)(aCnt + w);
  for(y = 0; y < (size_t)nHeight; y++) {
    pass_row(a + y * w, aTmp + y * w, nWidth, r, isErode);
  }
  /* Column pass, row by row: aCnt[c] holds the ones of column c in rows
   * y-r .. y+r of aTmp; the result goes into a. */
  need = isErode ? 2 * (int64_t)r + 1 : 1;
  memset(aCnt, 0, w * sizeof(int32_t));
  for(y = 0; (int64_t)y < h && (int64_t)y < r; y++) {
    for(c = 0; c < w; c++) {
      aCnt[c] += aTmp[y * w + c];
    }
  }
  for(y = 0; (int64_t)y < h; y++) {
    int64_t add = (int64_t)y + r, drop = (int64_t)y - r;
    uint8_t *pOut = a + y * w;
    if(add < h) {
      const uint8_t *pAdd = aTmp + (size_t)add * w;
      for(c = 0; c < w; c++) {
        aCnt[c] += pAdd[c];
      }
    }
    for(c = 0; c < w; c++) {
      pOut[c] = (uint8_t)(aCnt[c] >= need);
    }
    if(drop >= 0) {
      const uint8_t *pDrop = aTmp + (size_t)drop * w;
      for(c = 0; c < w; c++) {
        aCnt[c] -= pDrop[c];
      }
    }
  }
  free(aCnt);
  return QC_OK;
}

int qc_mask_dilate(uint8_t *a, int32_t nWidth, int32_t nHeight, int32_t r)
{
  return mask_square(a, nWidth, nHeight, r, 0);
}

int qc_mask_erode(uint8_t *a, int32_t nWidth, int32_t nHeight, int32_t r)
{
  return mask_square(a, nWidth, nHeight, r, 1);
}

/* Flood fill from pixel iSeed over the pixels whose value is from,
 * setting them to to (4- or 8-connected).  aStack holds W H entries.
 * Returns the number of pixels set. */
static size_t flood(uint8_t *a, size_t w, size_t h, size_t iSeed, uint8_t from,
                    uint8_t to, int is8, uint32_t *aStack)
{
  size_t nTop = 0, nSet = 0;

  if(a[iSeed] != from) {
    return 0;
  }
  a[iSeed] = to;
  aStack[nTop++] = (uint32_t)iSeed;
  while(nTop > 0) {
    size_t i = aStack[--nTop];
    size_t x = i % w, y = i / w;
    size_t x0 = x > 0 ? x - 1 : x, x1 = x + 1 < w ? x + 1 : x;
    size_t y0 = y > 0 ? y - 1 : y, y1 = y + 1 < h ? y + 1 : y;
    size_t yy, xx;
    nSet++;
    for(yy = y0; yy <= y1; yy++) {
      for(xx = x0; xx <= x1; xx++) {
        size_t j = yy * w + xx;
        if(!is8 && xx != x && yy != y) {
          continue; /* Diagonal neighbour of a 4-connected fill */
        }
        if(a[j] == from) {
          a[j] = to;
          aStack[nTop++] = (uint32_t)j;
        }
      }
    }
  }
  return nSet;
}

/* The checks and the stack of a flood operation: *pn pixels and a stack
 * of as many indices (the caller frees it).  QC_OK, or the failure. */
static int flood_begin(const uint8_t *a, int32_t nWidth, int32_t nHeight,
                       size_t *pn, uint32_t **paStack)
{
  int rc = mask_check(a, nWidth, nHeight, pn);

  if(rc != QC_OK) {
    return rc;
  }
  *paStack = malloc(*pn * sizeof(uint32_t));
  return *paStack ? QC_OK : QC_ERR_NOMEM;
}

/* Fills holes; see qc_int.h and the file head.  Border zeros are flooded
 * to 2, then 2 becomes 0 and everything else 1. */
int qc_mask_fill_holes(uint8_t *a, int32_t nWidth, int32_t nHeight)
{
  size_t n, w = (size_t)nWidth, h = (size_t)nHeight, i;
  uint32_t *aStack;
  int rc = flood_begin(a, nWidth, nHeight, &n, &aStack);

  if(rc != QC_OK) {
    return rc;
  }
  for(i = 0; i < w; i++) {
    flood(a, w, h, i, 0, 2, 0, aStack);
    flood(a, w, h, (h - 1) * w + i, 0, 2, 0, aStack);
  }
  for(i = 0; i < h; i++) {
    flood(a, w, h, i * w, 0, 2, 0, aStack);
    flood(a, w, h, i * w + w - 1, 0, 2, 0, aStack);
  }
  for(i = 0; i < n; i++) {
    a[i] = (uint8_t)(a[i] != 2);
  }
  free(aStack);
  return QC_OK;
}

/* Keeps the largest 8-connected component; see qc_int.h.  Components are
 * flooded to 2 in raster order while their sizes are compared; the winner
 * is flooded again to 3, and 3 becomes 1, everything else 0. */
int qc_mask_largest(uint8_t *a, int32_t nWidth, int32_t nHeight,
                    size_t *pnArea)
{
  size_t n, w = (size_t)nWidth, h = (size_t)nHeight, i;
  size_t nBest = 0, iBest = 0; /* Largest area and its first pixel */
  uint32_t *aStack;
  int rc = flood_begin(a, nWidth, nHeight, &n, &aStack);

  if(rc != QC_OK) {
    return rc;
  }
  for(i = 0; i < n; i++) {
    if(a[i] == 1) {
      size_t nArea = flood(a, w, h, i, 1, 2, 1, aStack);
      if(nArea > nBest) {
        nBest = nArea;
        iBest = i;
      }
    }
  }
  if(nBest > 0) {
    flood(a, w, h, iBest, 2, 3, 1, aStack);
  }
  for(i = 0; i < n; i++) {
    a[i] = (uint8_t)(a[i] == 3);
  }
  free(aStack);
  if(pnArea != NULL) {
    *pnArea = nBest;
  }
  return QC_OK;
}

size_t qc_box_shrink(const float *a, const uint8_t *aMask, size_t nWidth,
                     size_t nHeight, size_t f, float *aOut, uint8_t *aMaskOut)
{
  size_t wd = nWidth / f, hd = nHeight / f, nMarked = 0, y, x, dy, dx;

  QC_ASSERT(f >= 1);
  for(y = 0; y < hd; y++) {
    for(x = 0; x < wd; x++) {
      double sum = 0.0;
      for(dy = 0; dy < f; dy++) {
        const float *p = a + (y * f + dy) * nWidth + x * f;
        for(dx = 0; dx < f; dx++) {
          sum += p[dx];
        }
      }
      aOut[y * wd + x] = (float)(sum / ((double)f * (double)f));
      aMaskOut[y * wd + x] = aMask[y * f * nWidth + x * f];
      nMarked += aMaskOut[y * wd + x];
    }
  }
  return nMarked;
}
