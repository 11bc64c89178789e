/* SPDX-License-Identifier: BSD-3-Clause
 *
 * render.c - display rendering of a grey plane to 0..255, the input of the
 * 8-bit models (BRISQUE, NIQE, PIQE) and of sharpness measures.
 *
 * With the VOI window the file proposes, it applies the linear VOI LUT
 * function of DICOM PS3.3 section C.11.2.1.2.1 (VOI LUT Function LINEAR,
 * the default) with output range 0..255.  Without one it uses a robust
 * window: the plane's 1st..99th percentile mapped linearly to 0..255 and
 * clamped, so a few hot or dead pixels do not set the contrast.  Input is
 * the luminance plane in modality units; the output is float, not rounded.
 *
 * qc_render_model_input() picks the input of the 8-bit natural-scene
 * models: 8-bit pictures as they are (so a natural test image wrapped as
 * DICOM scores as the reference scores the original), 8-bit RGB through
 * OpenCV's rounded grey conversion, everything else through the display
 * rendering above.
 *
 * Tests: tests/unit/test_qc_render.c
 */
#include "qc_int.h"

#include <math.h>
#include <string.h>

#define DISPLAY_MAX 255.0 /* Output range 0..2^8-1 */

/* PS3.3 C.11.2.1.2.1, LINEAR, with ymin = 0 and ymax = 255:
 *   x <= c - 0.5 - (w-1)/2  -> 0
 *   x >  c - 0.5 + (w-1)/2  -> 255
 *   else ((x - (c - 0.5)) / (w-1) + 0.5) * 255
 * The standard requires w >= 1 for LINEAR; the caller checks it.  With
 * w == 1 the two thresholds meet and the middle branch is never reached,
 * so there is no division by zero.  NaN samples give 0. */
static void render_voi(const float *a, size_t n, double c, double w,
                       float *aOut)
{
  double lower = c - 0.5 - (w - 1.0) / 2.0; /* Last input mapped to 0 */
  double upper = c - 0.5 + (w - 1.0) / 2.0; /* Last input below 255 */
  size_t i;

  for(i = 0; i < n; i++) {
    double x = a[i];
    if(isnan(x) || x <= lower) {
      aOut[i] = 0.0f;
    } else if(x > upper) {
      aOut[i] = (float)DISPLAY_MAX;
    } else {
      aOut[i] = (float)(((x - (c - 0.5)) / (w - 1.0) + 0.5) * DISPLAY_MAX);
    }
  }
}

/* Robust window: p01 -> 0, p99 -> 255, linear between, clamped outside.
 * Returns QC_ERR_RANGE when the window is empty (p01 == p99, e.g. a
 * constant plane) or not finite, or a sample is NaN; QC_ERR_NOMEM. */
static int render_auto(const float *a, size_t n, float *aOut)
{
  static const double aQ[2] = {1.0, 99.0}; /* Percentiles of the window */
  double aP[2];                            /* p01, p99, plane units */
  double span;                             /* p99 - p01 */
  size_t i;
  int rc = qc_percentiles(a, n, aQ, 2, aP);

  if(rc != QC_OK) {
    return rc;
  }
  span = aP[1] - aP[0];
  if(!(isfinite(aP[0]) && isfinite(aP[1]) && isfinite(span) && span > 0.0)) {
    return QC_ERR_RANGE;
  }
  for(i = 0; i < n; i++) {
    double y = ((double)a[i] - aP[0]) / span * DISPLAY_MAX;
    if(y < 0.0) {
      y = 0.0;
    } else if(y > DISPLAY_MAX) {
      y = DISPLAY_MAX;
    }
    aOut[i] = (float)y;
  }
  return QC_OK;
}

/* Display rendering; see qc.h for the contract. */
int qc_render_display(const struct qc_image *pImg, const struct qc_plane *pIn,
                      float *aOut)
{
  size_t n; /* Samples in the plane */
  int rc;

  if(pImg == NULL || aOut == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_len(pIn, &n);
  if(rc != QC_OK) {
    return rc;
  }
  if(!pImg->hasWindow) {
    return render_auto(pIn->a, n, aOut);
  }
  /* PS3.3 C.11.2.1.2.1: "Window Width (0028,1051) shall always be greater
   * than or equal to 1" for LINEAR. */
  if(!(isfinite(pImg->windowCenter) && isfinite(pImg->windowWidth) &&
       pImg->windowWidth >= 1.0)) {
    return QC_ERR_RANGE;
  }
  render_voi(pIn->a, n, pImg->windowCenter, pImg->windowWidth, aOut);
  return QC_OK;
}

/* True if every sample of a is an integer in 0..255. */
static int is_byte_plane(const float *a, size_t n)
{
  size_t i;

  for(i = 0; i < n; i++) {
    if(!(a[i] >= 0.0f && a[i] <= 255.0f && a[i] == floorf(a[i]))) {
      return 0;
    }
  }
  return 1;
}

/* A sample rounded to the nearest integer and clamped to 0..255 (NaN
 * gives 0). */
static int32_t to_byte(float x)
{
  if(!(x > 0.0f)) {
    return 0;
  }
  if(x >= 255.0f) {
    return 255;
  }
  return (int32_t)lrintf(x);
}

/* OpenCV's 8-bit RGB to grey (modules/imgproc color_rgb: 15-bit fixed
 * point weights of BT.601 that sum to 2^15, rounded half up). */
static void gray_from_rgb8(const float *aIn, size_t nPix, float *aOut)
{
  size_t i;

  for(i = 0; i < nPix; i++) {
    const float *p = aIn + 3 * i; /* This pixel's R, G, B */
    int32_t y = (9798 * to_byte(p[0]) + 19235 * to_byte(p[1]) +
                 3735 * to_byte(p[2]) + (1 << 14)) >>
                15;
    aOut[i] = (float)y;
  }
}

/* The luminance of frame iFrame rendered by qc_render_display(), into
 * aOut.  In place: both renderings read sample i before writing sample
 * i, and the percentile selection works on its own copy of the keys. */
static int render_luma_display(const struct qc_image *pImg, int32_t iFrame,
                               float *aOut)
{
  int rc = qc_image_luma(pImg, iFrame, aOut);

  if(rc == QC_OK) {
    struct qc_plane luma = {aOut, pImg->nWidth, pImg->nHeight};
    rc = qc_render_display(pImg, &luma, aOut);
  }
  return rc;
}

/* Input of the 8-bit models; see qc.h for the rule. */
int qc_render_model_input(const struct qc_image *pImg, int32_t iFrame,
                          float *aOut, int *pIsDisplay)
{
  const float *aIn = qc_image_frame(pImg, iFrame); /* Frame's samples */
  size_t nPix;                                     /* Pixels in it */
  int isDisplay = 0;                               /* Display rule used */
  int rc;

  if(aIn == NULL || aOut == NULL) {
    return QC_ERR_MISUSE;
  }
  nPix = (size_t)pImg->nWidth * (size_t)pImg->nHeight;
  if(pImg->nChannels == 3 && pImg->bitsStored <= 8) {
    gray_from_rgb8(aIn, nPix, aOut);
    rc = QC_OK;
  } else if(pImg->nChannels == 1 && pImg->bitsStored <= 8 && !pImg->isSigned &&
            !pImg->hasWindow && is_byte_plane(aIn, nPix)) {
    memcpy(aOut, aIn, nPix * sizeof(float));
    rc = QC_OK;
  } else {
    isDisplay = 1;
    rc = render_luma_display(pImg, iFrame, aOut);
  }
  if(pIsDisplay != NULL) {
    *pIsDisplay = isDisplay;
  }
  return rc;
}
