/* SPDX-License-Identifier: BSD-3-Clause
 *
 * resize.c - the two bicubic resizers the BRISQUE and NIQE releases use,
 * each written once: OpenCV's INTER_CUBIC (OpenCV's BRISQUE) and MATLAB's
 * imresize 'bicubic' with antialiasing (the LIVE BRISQUE and NIQE MATLAB
 * releases).  A model's features are only valid with the resizer it was
 * trained with, so they are kept apart and named after their source.
 *
 * OpenCV INTER_CUBIC (imgproc/src/resize.cpp, resizeGeneric and
 * interpolateCubic): destination sample dx reads source coordinate
 * fx = (dx + 0.5) * scale - 0.5 with scale = 1 / (nOut / nIn), taps
 * floor(fx) - 1 .. floor(fx) + 2 clamped to the edge (BORDER_REPLICATE),
 * weights of Keys' cubic with a = -0.75 at t = fx - floor(fx), all in
 * float; rows first, then columns, as OpenCV does.  No antialiasing.
 *
 * MATLAB imresize (documented algorithm of images/imresize.m,
 * "contributions"): output sample u (1-based) sits at input coordinate
 * x = u / scale + 0.5 (1 - 1 / scale); the kernel is Keys' cubic with
 * a = -0.5 (R. Keys, "Cubic convolution interpolation for digital image
 * processing", IEEE TASSP 29(6), 1981, eq. 15), and when shrinking it is
 * stretched to h(t) = scale * cubic(scale t) over a support of 4 / scale
 * (antialiasing); the P = ceil(support) + 2 taps from floor(x - support/2)
 * are normalised to sum 1, taps that weigh 0 for every output are
 * dropped (as contributions() drops them: 8 of the 10 taps remain at
 * scale 0.5), and indices beyond the edges are mirrored (symmetric
 * padding).  Sums are in double; the result is stored as float.  As
 * MATLAB does, dimension 1 (columns) is resized first: per output row, the
 * P source rows are combined into one input-wide row of doubles
 * (contiguous, vectorised), then that row is resized horizontally, so the
 * gathering pass runs over half the rows at scale 0.5.  (The order
 * changes the doubles only by rounding; on the test images and the
 * benchmark's, the float results are the same bits either way.)
 *
 * Both functions allocate their scratch once per call (weights and a few
 * rows), never per pixel, and are reentrant.
 *
 * Tests: tests/unit/test_qc_nss.c
 */
#include "qc_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Keys' cubic with a = -0.75 at t in [0, 1), OpenCV's interpolateCubic in
 * float arithmetic (imgproc/src/resize.cpp); w receives the weights of the
 * taps at -1, 0, 1, 2. */
static void cubic_opencv(float t, float w[4])
{
  const float A = -0.75f;

  w[0] = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
  w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
  w[2] = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
  w[3] = 1.f - w[0] - w[1] - w[2];
}

/* Tap positions (first of four, may be < 0) and weights of OpenCV's cubic
 * mapping from nIn to nOut samples. */
static void taps_opencv(int32_t nIn, int32_t nOut, int32_t *aFirst, float *aW)
{
  double scale = 1.0 / ((double)nOut / (double)nIn);
  int32_t d;

  for(d = 0; d < nOut; d++) {
    float f = (float)((d + 0.5) * scale - 0.5);
    int32_t s = (int32_t)floorf(f);
    cubic_opencv(f - (float)s, aW + 4 * (size_t)d);
    aFirst[d] = s - 1;
  }
}

/* Clamps i to 0..n-1 (OpenCV resize reads BORDER_REPLICATE). */
static int32_t clamp_index(int32_t i, int32_t n)
{
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

/* OpenCV horizontal cubic pass of one row into aOut (nOut floats). */
static void hrow_opencv(const float *aRow, int32_t nIn, int32_t nOut,
                        const int32_t *aFirst, const float *aW, float *aOut)
{
  int32_t d;

  for(d = 0; d < nOut; d++) {
    const float *w = aW + 4 * (size_t)d;
    int32_t s = aFirst[d];
    if(s >= 0 && s + 3 < nIn) {
      aOut[d] = aRow[s] * w[0] + aRow[s + 1] * w[1] + aRow[s + 2] * w[2] +
                aRow[s + 3] * w[3];
    } else {
      aOut[d] = aRow[clamp_index(s, nIn)] * w[0] +
                aRow[clamp_index(s + 1, nIn)] * w[1] +
                aRow[clamp_index(s + 2, nIn)] * w[2] +
                aRow[clamp_index(s + 3, nIn)] * w[3];
    }
  }
}

/* Checks a resize call's plane and output size; QC_OK or the status. */
static int check_resize(const struct qc_plane *pIn, int32_t nOutW,
                        int32_t nOutH, const float *aOut)
{
  size_t nSample;
  int rc;

  if(aOut == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_len(pIn, &nSample);
  if(rc != QC_OK) {
    return rc;
  }
  if(nOutW < 1 || nOutH < 1 || nOutW > QC_MAX_SIDE || nOutH > QC_MAX_SIDE ||
     pIn->nWidth > QC_MAX_SIDE || pIn->nHeight > QC_MAX_SIDE) {
    return QC_ERR_RANGE;
  }
  return QC_OK;
}

/* OpenCV INTER_CUBIC resize; see qc.h.  Tests: tests/unit/test_qc_nss.c */
int qc_resize_cubic_opencv(const struct qc_plane *pIn, int32_t nOutW,
                           int32_t nOutH, float *aOut)
{
  int32_t *aFirstX, *aFirstY; /* First tap per output column / row */
  float *aWX, *aWY;           /* Four weights per output column / row */
  float *aRing;               /* Four horizontally resized rows */
  int32_t aTag[4] = {-1, -1, -1, -1}; /* Source row held by ring slot */
  size_t nByte;
  char *pMem; /* One block for all scratch */
  int32_t dy, x;
  int rc = check_resize(pIn, nOutW, nOutH, aOut);

  if(rc != QC_OK) {
    return rc;
  }
  nByte =
      ((size_t)nOutW + (size_t)nOutH) * (sizeof(int32_t) + 4 * sizeof(float)) +
      4 * (size_t)nOutW * sizeof(float);
  pMem = malloc(nByte);
  if(pMem == NULL) {
    return QC_ERR_NOMEM;
  }
  aWX = (float *)pMem;
  aWY = aWX + 4 * (size_t)nOutW;
  aRing = aWY + 4 * (size_t)nOutH;
  aFirstX = (int32_t *)(aRing + 4 * (size_t)nOutW);
  aFirstY = aFirstX + nOutW;
  taps_opencv(pIn->nWidth, nOutW, aFirstX, aWX);
  taps_opencv(pIn->nHeight, nOutH, aFirstY, aWY);
  for(dy = 0; dy < nOutH; dy++) {
    const float *apRow[4]; /* The four resized source rows */
    const float *w = aWY + 4 * (size_t)dy;
    float *aDst = aOut + (size_t)dy * (size_t)nOutW;
    int k;
    for(k = 0; k < 4; k++) {
      int32_t sy = clamp_index(aFirstY[dy] + k, pIn->nHeight);
      float *aSlot = aRing + (size_t)(sy & 3) * (size_t)nOutW;
      if(aTag[sy & 3] != sy) {
        hrow_opencv(pIn->a + (size_t)sy * (size_t)pIn->nWidth, pIn->nWidth,
                    nOutW, aFirstX, aWX, aSlot);
        aTag[sy & 3] = sy;
      }
      apRow[k] = aSlot;
    }
    for(x = 0; x < nOutW; x++) {
      aDst[x] = apRow[0][x] * w[0] + apRow[1][x] * w[1] + apRow[2][x] * w[2] +
                apRow[3][x] * w[3];
    }
  }
  free(pMem);
  return QC_OK;
}

/* Keys' cubic with a = -0.5 (MATLAB imresize's "cubic"). */
static double cubic_matlab(double t)
{
  double a = fabs(t);
  double a2 = a * a, a3 = a2 * a;

  if(a <= 1.0) {
    return 1.5 * a3 - 2.5 * a2 + 1.0;
  }
  if(a <= 2.0) {
    return -0.5 * a3 + 2.5 * a2 - 4.0 * a + 2.0;
  }
  return 0.0;
}

/* Number of taps per output sample of MATLAB's bicubic at this scale. */
static int32_t taps_matlab_count(double scale)
{
  double width = scale < 1.0 ? 4.0 / scale : 4.0; /* Kernel support */

  return (int32_t)ceil(width) + 2;
}

/* MATLAB imresize contributions (images/imresize.m): for each of nOut
 * outputs, nTap weights (normalised to sum 1) and 0-based source indices
 * (mirrored into 0..nIn-1), nTap apart.  Then, as contributions() does
 * ("Eliminate all-zero columns"), the taps whose weight is 0 for every
 * output are dropped (at scale 0.5 the first and last of the 10): the
 * arrays are compacted in place and the number of taps kept, >= 1, is
 * returned. */
static int32_t taps_matlab(int32_t nIn, int32_t nOut, double scale,
                           int32_t nTap, int32_t *aIdx, double *aW)
{
  int isAnti = scale < 1.0; /* Antialiasing: stretched kernel */
  double width = isAnti ? 4.0 / scale : 4.0;
  int64_t period = 2 * (int64_t)nIn; /* Symmetric padding cycle */
  int32_t u, j, nKeep = 0;

  for(u = 0; u < nOut; u++) {
    double x = (u + 1) / scale + 0.5 * (1.0 - 1.0 / scale);
    int64_t left = (int64_t)floor(x - width / 2.0); /* 1-based */
    double *w = aW + (size_t)u * (size_t)nTap;
    int32_t *idx = aIdx + (size_t)u * (size_t)nTap;
    double sum = 0.0;
    for(j = 0; j < nTap; j++) {
      double t = x - (double)(left + j);
      int64_t i = ((left + j - 1) % period + period) % period;
      w[j] = isAnti ? scale * cubic_matlab(scale * t) : cubic_matlab(t);
      sum += w[j];
      idx[j] = (int32_t)(i < nIn ? i : period - 1 - i);
    }
    for(j = 0; j < nTap; j++) {
      w[j] /= sum;
    }
  }
  for(j = 0; j < nTap; j++) {
    int isUsed = 0; /* Some output weighs tap j */
    for(u = 0; u < nOut && !isUsed; u++) {
      isUsed = aW[(size_t)u * (size_t)nTap + (size_t)j] != 0.0;
    }
    for(u = 0; u < nOut && isUsed; u++) {
      size_t iFrom = (size_t)u * (size_t)nTap + (size_t)j;
      size_t iTo = (size_t)u * (size_t)nTap + (size_t)nKeep;
      aW[iTo] = aW[iFrom];
      aIdx[iTo] = aIdx[iFrom];
    }
    nKeep += isUsed;
  }
  for(u = 1; u < nOut; u++) { /* Rows nKeep apart instead of nTap */
    memmove(aW + (size_t)u * (size_t)nKeep, aW + (size_t)u * (size_t)nTap,
            (size_t)nKeep * sizeof(double));
    memmove(aIdx + (size_t)u * (size_t)nKeep, aIdx + (size_t)u * (size_t)nTap,
            (size_t)nKeep * sizeof(int32_t));
  }
  return nKeep > 0 ? nKeep : 1;
}

/* Columns per block of the vertical pass (see vert_matlab). */
#define VLANES 4

/* Vertical pass of one output row: out[x] = sum over j < nTap of
 * wy[j] ap[j][x], x < n, each sum in order of j from 0 (blocks of VLANES
 * columns whose sums stay in registers, which GCC vectorises). */
static void vert_matlab(const float *const *ap, const double *wy, int32_t nTap,
                        size_t n, double *out)
{
  size_t x;
  int32_t j;
  int l;

  for(x = 0; x + VLANES <= n; x += VLANES) {
    double aSum[VLANES] = {0.0};
    for(j = 0; j < nTap; j++) {
      const float *q = ap[j] + x;
      for(l = 0; l < VLANES; l++) {
        aSum[l] += wy[j] * (double)q[l];
      }
    }
    memcpy(out + x, aSum, sizeof(aSum));
  }
  for(; x < n; x++) {
    double s = 0.0;
    for(j = 0; j < nTap; j++) {
      s += wy[j] * (double)ap[j][x];
    }
    out[x] = s;
  }
}

/* Horizontal pass of one output row from the vertically resized row a:
 * out[u] = sum over k < nTap of wx[u][k] a[ix[u][k]], u < nOut. */
static void horiz_matlab(const double *a, const double *aW,
                         const int32_t *aIdx, int32_t nTap, int32_t nOut,
                         float *out)
{
  int32_t u, k;

  for(u = 0; u < nOut; u++) {
    const double *wx = aW + (size_t)u * (size_t)nTap;
    const int32_t *ix = aIdx + (size_t)u * (size_t)nTap;
    double s = 0.0;
    for(k = 0; k < nTap; k++) {
      s += wx[k] * a[ix[k]];
    }
    out[u] = (float)s;
  }
}

/* Scratch of one MATLAB resize. */
struct mat_work {
  int32_t nTap;        /* Taps per output sample before dropping */
  int32_t nTapX;       /* Horizontal taps kept, 1..nTap */
  int32_t nTapY;       /* Vertical taps kept, 1..nTap */
  int32_t *aIdxX;      /* nOutW x nTapX source columns */
  int32_t *aIdxY;      /* nOutH x nTapY source rows */
  double *aWX;         /* nOutW x nTapX weights */
  double *aWY;         /* nOutH x nTapY weights */
  double *aCol;        /* One input-wide row resized vertically */
  const float **apRow; /* The nTapY source rows of one output row */
};

/* Allocates w's arrays for an nInW-wide input in one block (freed with
 * free(w->aWX)). */
static int mat_alloc(struct mat_work *w, int32_t nInW, int32_t nOutW,
                     int32_t nOutH)
{
  size_t nT = (size_t)w->nTap;
  size_t nDouble = ((size_t)nOutW + (size_t)nOutH) * nT + (size_t)nInW;
  size_t nInt = ((size_t)nOutW + (size_t)nOutH) * nT;

  w->aWX = malloc(nDouble * sizeof(double) + nT * sizeof(float *) +
                  nInt * sizeof(int32_t));
  if(w->aWX == NULL) {
    return QC_ERR_NOMEM;
  }
  w->aWY = w->aWX + (size_t)nOutW * nT;
  w->aCol = w->aWY + (size_t)nOutH * nT;
  w->apRow = (const float **)(void *)(w->aCol + nInW);
  w->aIdxX = (int32_t *)(void *)(w->apRow + nT);
  w->aIdxY = w->aIdxX + (size_t)nOutW * nT;
  return QC_OK;
}

/* Output side of MATLAB imresize(A, scale): ceil(scale n); see qc.h. */
int32_t qc_resize_matlab_side(int32_t n, double scale)
{
  double m;

  if(n < 1 || !(scale > 0.0) || !isfinite(scale)) {
    return 0;
  }
  m = ceil(scale * (double)n);
  return m > QC_MAX_SIDE ? 0 : (int32_t)m;
}

/* MATLAB imresize bicubic resize; see qc.h.
 * Tests: tests/unit/test_qc_nss.c */
int qc_resize_bicubic_matlab(const struct qc_plane *pIn, double scale,
                             float *aOut)
{
  struct mat_work w;
  int32_t nOutW = 0, nOutH = 0; /* Output sides */
  int32_t v;
  int rc;

  if(pIn != NULL) {
    nOutW = qc_resize_matlab_side(pIn->nWidth, scale);
    nOutH = qc_resize_matlab_side(pIn->nHeight, scale);
  }
  if(!(scale > 0.0) || !isfinite(scale)) {
    return QC_ERR_MISUSE;
  }
  rc = check_resize(pIn, nOutW, nOutH, aOut);
  if(rc != QC_OK) {
    return rc;
  }
  w.nTap = taps_matlab_count(scale);
  if(w.nTap > 4 * QC_MAX_SIDE + 2) {
    return QC_ERR_RANGE; /* A scale so small no output sees the plane */
  }
  if(mat_alloc(&w, pIn->nWidth, nOutW, nOutH) != QC_OK) {
    return QC_ERR_NOMEM;
  }
  w.nTapX = taps_matlab(pIn->nWidth, nOutW, scale, w.nTap, w.aIdxX, w.aWX);
  w.nTapY = taps_matlab(pIn->nHeight, nOutH, scale, w.nTap, w.aIdxY, w.aWY);
  for(v = 0; v < nOutH; v++) {
    const int32_t *idx = w.aIdxY + (size_t)v * (size_t)w.nTapY;
    int32_t j;
    for(j = 0; j < w.nTapY; j++) {
      w.apRow[j] = pIn->a + (size_t)idx[j] * (size_t)pIn->nWidth;
    }
    vert_matlab(w.apRow, w.aWY + (size_t)v * (size_t)w.nTapY, w.nTapY,
                (size_t)pIn->nWidth, w.aCol);
    horiz_matlab(w.aCol, w.aWX, w.aIdxX, w.nTapX, nOutW,
                 aOut + (size_t)v * (size_t)nOutW);
  }
  free(w.aWX);
  return QC_OK;
}
