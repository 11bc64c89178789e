/* SPDX-License-Identifier: BSD-3-Clause
 *
 * image.c - struct qc_image: allocation, frame access, luminance, and the
 * status texts of qc/.
 *
 * A qc_image is the decoded image dicom/ hands to qc/ (see qc.h for the
 * pixel layout).  Its sizes come from a file, so they are untrusted: the
 * constructor bounds each one and checks the sample and byte counts for
 * overflow before it allocates (STYLE.md section 3; libvips widens to 64
 * bits before multiplying, libvips/arithmetic/hist_find.c).  The accessors
 * re-check a caller's struct instead of trusting it, since the fields are
 * public and may have been written by hand.
 */
#include "qc_int.h"

#include <stdint.h>
#include <stdlib.h>

/* Luma weights of ITU-R BT.601-7 (E'Y = 0.299 E'R + 0.587 E'G +
 * 0.114 E'B), the weights of OpenCV's COLOR_RGB2GRAY. */
#define LUMA_R 0.299
#define LUMA_G 0.587
#define LUMA_B 0.114

/* Largest object size in bytes: the smaller of SIZE_MAX and PTRDIFF_MAX,
 * since pointer differences within a larger object are undefined (C11
 * 6.5.6p9). */
#if SIZE_MAX < PTRDIFF_MAX
#define OBJ_MAX SIZE_MAX
#else
#define OBJ_MAX ((size_t)PTRDIFF_MAX)
#endif

const char *qc_strstatus(int rc)
{
  switch(rc) {
  case QC_OK:
    return "success";
  case QC_ERR_NOMEM:
    return "out of memory";
  case QC_ERR_RANGE:
    return "input outside the valid range of the function";
  case QC_ERR_MISUSE:
    return "qc library used incorrectly (NULL pointer or bad frame)";
  default:
    return "unknown qc status code";
  }
}

/* Number of samples of an image of the given size, or 0 if a size is out
 * of range or the byte count would exceed OBJ_MAX.  Checks each
 * product before it is formed, as Redis's `total < size` test does
 * (redis/redis src/t_string.c). */
static size_t sample_count(int32_t nWidth, int32_t nHeight, int32_t nChannels,
                           int32_t nFrames)
{
  size_t nMax = OBJ_MAX / sizeof(float); /* Largest sample count */
  size_t nSample;                        /* Running product */

  if(nWidth < 1 || nWidth > QC_MAX_SIDE || nHeight < 1 ||
     nHeight > QC_MAX_SIDE || (nChannels != 1 && nChannels != 3) ||
     nFrames < 1) {
    return 0;
  }
  nSample = (size_t)nWidth;
  if(nSample > nMax / (size_t)nHeight) {
    return 0;
  }
  nSample *= (size_t)nHeight;
  if(nSample > nMax / (size_t)nChannels) {
    return 0;
  }
  nSample *= (size_t)nChannels;
  if(nSample > nMax / (size_t)nFrames) {
    return 0;
  }
  return nSample * (size_t)nFrames;
}

/* Allocates a zeroed image; see qc.h.  Tests: tests/unit/test_qc_image.c */
struct qc_image *qc_image_new(int32_t nWidth, int32_t nHeight,
                              int32_t nChannels, int32_t nFrames)
{
  size_t nSample = sample_count(nWidth, nHeight, nChannels, nFrames);
  struct qc_image *pImg = NULL;

  if(nSample == 0) {
    return NULL;
  }
  pImg = calloc(1, sizeof(*pImg));
  if(pImg == NULL) {
    return NULL;
  }
  /* All-bits-zero is +0.0f in IEEE 754 binary32 (C11 Annex F). */
  pImg->aPixel = calloc(nSample, sizeof(float));
  if(pImg->aPixel == NULL) {
    free(pImg);
    return NULL;
  }
  pImg->nWidth = nWidth;
  pImg->nHeight = nHeight;
  pImg->nChannels = nChannels;
  pImg->nFrames = nFrames;
  return pImg;
}

/* Frees pImg and its pixels; NULL is a no-op.
 * Tests: tests/unit/test_qc_image.c */
void qc_image_free(struct qc_image *pImg)
{
  if(pImg == NULL) {
    return;
  }
  free(pImg->aPixel);
  free(pImg);
}

/* Samples in one frame of pImg, or 0 if pImg is NULL, has no pixels or
 * holds sizes qc_image_new() would refuse.
 * Tests: tests/unit/test_qc_image.c */
size_t qc_image_frame_len(const struct qc_image *pImg)
{
  if(pImg == NULL || pImg->aPixel == NULL) {
    return 0;
  }
  return sample_count(pImg->nWidth, pImg->nHeight, pImg->nChannels, 1);
}

/* Pointer to frame iFrame, or NULL for a bad image or iFrame outside
 * 0..nFrames-1.  Tests: tests/unit/test_qc_image.c */
float *qc_image_frame(const struct qc_image *pImg, int32_t iFrame)
{
  size_t nLen = qc_image_frame_len(pImg); /* Samples per frame, 0 if bad */

  if(nLen == 0 || iFrame < 0 || iFrame >= pImg->nFrames ||
     sample_count(pImg->nWidth, pImg->nHeight, pImg->nChannels,
                  pImg->nFrames) == 0) {
    return NULL;
  }
  return pImg->aPixel + (size_t)iFrame * nLen;
}

/* Luminance of one frame into aOut; see qc.h.  The weighted sum is formed
 * in double and rounded once to float.
 * Tests: tests/unit/test_qc_image.c */
int qc_image_luma(const struct qc_image *pImg, int32_t iFrame, float *aOut)
{
  const float *aIn = qc_image_frame(pImg, iFrame); /* Frame's first sample */
  size_t nPix;                                     /* Pixels in the frame */
  size_t i;

  if(aIn == NULL || aOut == NULL) {
    return QC_ERR_MISUSE;
  }
  nPix = (size_t)pImg->nWidth * (size_t)pImg->nHeight;
  if(pImg->nChannels == 1) {
    for(i = 0; i < nPix; i++) {
      aOut[i] = aIn[i];
    }
    return QC_OK;
  }
  QC_ASSERT(pImg->nChannels == 3);
  for(i = 0; i < nPix; i++) {
    const float *p = aIn + 3 * i; /* This pixel's R, G, B */
    aOut[i] = (float)(LUMA_R * p[0] + LUMA_G * p[1] + LUMA_B * p[2]);
  }
  return QC_OK;
}

/* Validates a plane; see qc_int.h.  Tests: tests/unit/test_qc_exposure.c */
int qc_plane_len(const struct qc_plane *pIn, size_t *pnSample)
{
  if(pIn == NULL || pIn->a == NULL || pnSample == NULL) {
    return QC_ERR_MISUSE;
  }
  if(pIn->nWidth < 1 || pIn->nHeight < 1) {
    return QC_ERR_RANGE;
  }
  if((size_t)pIn->nWidth > OBJ_MAX / sizeof(float) / (size_t)pIn->nHeight) {
    return QC_ERR_RANGE;
  }
  *pnSample = (size_t)pIn->nWidth * (size_t)pIn->nHeight;
  return QC_OK;
}

int qc_plane_interior(const struct qc_plane *pIn, size_t *pW, size_t *pH)
{
  size_t n; /* Samples in the plane */
  int rc = qc_plane_len(pIn, &n);

  if(rc != QC_OK) {
    return rc;
  }
  if(pIn->nWidth < 3 || pIn->nHeight < 3) {
    return QC_ERR_RANGE;
  }
  *pW = (size_t)pIn->nWidth;
  *pH = (size_t)pIn->nHeight;
  return QC_OK;
}
