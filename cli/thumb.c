/* SPDX-License-Identifier: BSD-3-Clause
 *
 * thumb.c - PNG thumbnails of DICOM images, in memory, for the live
 * console and the nightly HTML report (contract in thumb.h).
 *
 * The walk: dicom/ decodes the file within the caller's limits into a
 * struct qc_image; the middle frame is rendered to 0..255 floats (grey
 * through qc_render_display(), RGB clamped or min..max scaled); the
 * rendering is shrunk by exact area averaging, rounded to bytes and
 * handed to libpng, which writes through png_set_write_fn() into a
 * growing buffer.  libpng reports errors by longjmp: the setjmp lives in
 * one small function (pngRun) that owns nothing, so that no local it
 * could leave indeterminate (C11 7.13.2.1) is read after the jump; the
 * buffer, the row pointers and the message live in the caller, which
 * frees them on every path.
 *
 * Area averaging, exactly: along one axis of nIn source pixels shrunk to
 * nOut (nOut <= nIn), output pixel d covers the source interval
 * [d nIn/nOut, (d+1) nIn/nOut).  Measured in units of 1/nOut source
 * pixel, source pixel i covers [i nOut, (i+1) nOut) and output pixel d
 * covers [d nIn, (d+1) nIn), both integers, so the weight of i in d is
 * overlap / nIn with the overlap computed exactly in 64-bit integers.
 * This is the box filter OpenCV's INTER_AREA applies
 * (modules/imgproc/src/resize.cpp, computeResizeAreaTab(), which keeps
 * its weights in float and drops slivers under 1e-3 of a pixel); both
 * axes are separable, sums are in double.
 *
 * Tests: tests/unit/test_cli_thumb.c
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "dicom.h"
#include "qc.h"
#include "thumb.h"

#define THUMB_SIDE_MAX 65535 /* Largest side accepted, as struct qc_image */
#define PNG_BUF_FIRST  4096  /* First size of the PNG output buffer */

/* ---------------------------------------------------------------------
 * PNG encoding
 * --------------------------------------------------------------------- */

/* Where libpng writes, and what went wrong. */
struct pngSink {
  unsigned char *a; /* Output so far, malloc'd, NULL until first write */
  size_t n;         /* Bytes used in a */
  size_t nAlloc;    /* Bytes allocated for a */
  char zMsg[256];   /* libpng's error message, "" if none */
};

/* libpng's write callback: appends n bytes, doubling the buffer.  Out of
 * memory or size_t overflow is a libpng error (it longjmps). */
static void pngWrite(png_structp png, png_bytep p, size_t n)
{
  struct pngSink *s = png_get_io_ptr(png);

  if(n > s->nAlloc - s->n) {
    size_t nNew = s->nAlloc ? s->nAlloc : PNG_BUF_FIRST;
    unsigned char *aNew;
    while(nNew - s->n < n && nNew <= SIZE_MAX / 2) {
      nNew *= 2;
    }
    aNew = nNew - s->n >= n ? realloc(s->a, nNew) : NULL;
    if(aNew == NULL) {
      png_error(png, "out of memory");
    }
    s->a = aNew;
    s->nAlloc = nNew;
  }
  memcpy(s->a + s->n, p, n);
  s->n += n;
}

/* libpng's flush callback: nothing to flush in memory. */
static void pngFlush(png_structp png)
{
  (void)png;
}

/* libpng's error callback: keeps the message, then jumps back to pngRun.
 * Must not return (libpng would abort). */
static void pngError(png_structp png, png_const_charp zMsg)
{
  struct pngSink *s = png_get_error_ptr(png);

  snprintf(s->zMsg, sizeof(s->zMsg), "%s", zMsg ? zMsg : "unknown error");
  png_longjmp(png, 1);
}

/* libpng's warning callback: warnings do not stop the encoding and have
 * no one to go to here. */
static void pngWarn(png_structp png, png_const_charp zMsg)
{
  (void)png;
  (void)zMsg;
}

/* Writes the whole PNG through png: header, rows aRow, end.  Returns 0,
 * or -1 after a libpng error (message in the sink).  Holds the setjmp:
 * no local of this function changes after it. */
static int pngRun(png_structp png, png_infop info, png_bytep *aRow, int nWidth,
                  int nHeight, int nChannels)
{
  if(setjmp(png_jmpbuf(png))) {
    return -1;
  }
  png_set_IHDR(png, info, (png_uint_32)nWidth, (png_uint_32)nHeight, 8,
               nChannels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, aRow);
  png_write_end(png, info);
  return 0;
}

int cli_png_encode(const unsigned char *aPix, int nWidth, int nHeight,
                   int nChannels, unsigned char **ppPng, size_t *pnPng,
                   char *zErr, size_t nErr)
{
  struct pngSink sink = {NULL, 0, 0, ""}; /* Output and error text */
  png_structp png = NULL;
  png_infop info = NULL;
  png_bytep *aRow = NULL; /* Row pointers into aPix */
  size_t nStride = (size_t)nWidth * (size_t)nChannels; /* Bytes a row */
  int rc = -1;

  if(aPix == NULL || ppPng == NULL || pnPng == NULL || nWidth < 1 ||
     nWidth > THUMB_SIDE_MAX || nHeight < 1 || nHeight > THUMB_SIDE_MAX ||
     (nChannels != 1 && nChannels != 3)) {
    snprintf(zErr, nErr,
             "PNG encoding: bad arguments (%dx%d, %d channels; sides "
             "1..%d, channels 1 or 3)",
             nWidth, nHeight, nChannels, THUMB_SIDE_MAX);
    return -1;
  }
  aRow = malloc((size_t)nHeight * sizeof(*aRow));
  png = aRow ? png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, pngError,
                                       pngWarn)
             : NULL;
  info = png ? png_create_info_struct(png) : NULL;
  if(info == NULL) {
    snprintf(zErr, nErr, "PNG encoding: out of memory");
    goto encode_end;
  }
  for(int i = 0; i < nHeight; i++) {
    aRow[i] = (png_bytep)(aPix + (size_t)i * nStride); /* Only read */
  }
  png_set_write_fn(png, &sink, pngWrite, pngFlush);
  if(pngRun(png, info, aRow, nWidth, nHeight, nChannels)) {
    snprintf(zErr, nErr, "PNG encoding (libpng): %s", sink.zMsg);
    goto encode_end;
  }
  *ppPng = sink.a;
  *pnPng = sink.n;
  sink.a = NULL;
  rc = 0;
encode_end:
  png_destroy_write_struct(&png, &info);
  free(aRow);
  free(sink.a);
  return rc;
}

/* ---------------------------------------------------------------------
 * Base64
 * --------------------------------------------------------------------- */

char *cli_base64(const unsigned char *p, size_t n)
{
  /* RFC 4648 section 4, Table 1 */
  static const char zAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t nGroup = n / 3 + (n % 3 != 0); /* 4-character groups */
  char *z, *zOut;

  if(nGroup > (SIZE_MAX - 1) / 4) {
    return NULL;
  }
  z = zOut = malloc(4 * nGroup + 1);
  if(z == NULL) {
    return NULL;
  }
  for(size_t i = 0; i < n; i += 3) {
    size_t nLeft = n - i; /* Bytes of this group, 1..3 used */
    uint32_t v = (uint32_t)p[i] << 16;
    if(nLeft > 1) {
      v |= (uint32_t)p[i + 1] << 8;
    }
    if(nLeft > 2) {
      v |= p[i + 2];
    }
    *z++ = zAlpha[v >> 18 & 63];
    *z++ = zAlpha[v >> 12 & 63];
    *z++ = nLeft > 1 ? zAlpha[v >> 6 & 63] : '=';
    *z++ = nLeft > 2 ? zAlpha[v & 63] : '=';
  }
  *z = '\0';
  return zOut;
}

/* ---------------------------------------------------------------------
 * Rendering and shrinking
 * --------------------------------------------------------------------- */

/* Scales the n samples of a linearly from their min..max to 0..255 in
 * place; a constant array becomes 0.  Returns QC_OK, or QC_ERR_RANGE for
 * a non-finite sample. */
static int scaleMinMax(float *a, size_t n)
{
  double lo = a[0], hi = a[0]; /* Range of the samples */

  for(size_t i = 0; i < n; i++) {
    if(!isfinite(a[i])) {
      return QC_ERR_RANGE;
    }
    lo = a[i] < lo ? a[i] : lo;
    hi = a[i] > hi ? a[i] : hi;
  }
  for(size_t i = 0; i < n; i++) {
    a[i] = hi > lo ? (float)((a[i] - lo) / (hi - lo) * 255.0) : 0.0f;
  }
  return QC_OK;
}

/* Renders frame iFrame of a grey image into aOut (nPix floats, 0..255),
 * with aLuma as scratch of the same size. */
static int renderGrey(const struct qc_image *pImg, int32_t iFrame,
                      float *aLuma, float *aOut)
{
  size_t nPix = (size_t)pImg->nWidth * (size_t)pImg->nHeight;
  struct qc_plane luma = {aLuma, pImg->nWidth, pImg->nHeight};
  int rc = qc_image_luma(pImg, iFrame, aLuma);

  if(rc == QC_OK) {
    rc = qc_render_display(pImg, &luma, aOut);
  }
  /* No percentile window (a constant or nearly constant plane): its
   * min..max instead, so that even a blank image has a thumbnail. */
  if(rc == QC_ERR_RANGE && !pImg->hasWindow) {
    memcpy(aOut, aLuma, nPix * sizeof(float));
    rc = scaleMinMax(aOut, nPix);
  }
  return rc;
}

/* Renders frame iFrame of an RGB image into aOut (3 nPix floats). */
static int renderRgb(const struct qc_image *pImg, int32_t iFrame, float *aOut)
{
  size_t n = qc_image_frame_len(pImg); /* Samples of the frame */
  const float *aIn = qc_image_frame(pImg, iFrame);

  if(aIn == NULL) {
    return QC_ERR_MISUSE;
  }
  memcpy(aOut, aIn, n * sizeof(float));
  if(pImg->bitsStored > 8) {
    return scaleMinMax(aOut, n);
  }
  for(size_t i = 0; i < n; i++) {
    aOut[i] = aOut[i] > 0.0f ? (aOut[i] < 255.0f ? aOut[i] : 255.0f) : 0.0f;
  }
  return QC_OK;
}

/* Side of the thumbnail for a side n of an image whose longer side is
 * nLong: nMax for the longer side, else max(1, round(n nMax / nLong))
 * with halves rounded up, in integers. */
static int32_t thumbSide(int32_t n, int32_t nLong, int32_t nMax)
{
  int64_t v;

  if(nLong <= nMax) {
    return n;
  }
  v = (2 * (int64_t)n * nMax + nLong) / (2 * (int64_t)nLong);
  return v < 1 ? 1 : (int32_t)v;
}

/* Weight of source pixel i in output pixel d when nIn pixels shrink to
 * nOut (see the file head): overlap / nIn. */
static double areaWeight(int64_t i, int64_t d, int64_t nIn, int64_t nOut)
{
  int64_t lo = i * nOut > d * nIn ? i * nOut : d * nIn;
  int64_t hi = (i + 1) * nOut < (d + 1) * nIn ? (i + 1) * nOut : (d + 1) * nIn;

  return hi > lo ? (double)(hi - lo) / (double)nIn : 0.0;
}

/* A sample rounded to nearest, ties to even (lrint in the default
 * rounding mode, as OpenCV's cvRound), clamped to 0..255; NaN gives 0. */
static unsigned char toByte(double v)
{
  if(!(v > 0.0)) {
    return 0;
  }
  return v >= 255.0 ? 255 : (unsigned char)lrint(v);
}

/* One output row dy of the area shrink: aAcc (nW nC doubles) receives
 * the weighted sum of the source rows dy covers, then each output pixel
 * the weighted sum of the columns it covers. */
static void shrinkRow(const float *aIn, int32_t nW, int32_t nH, int32_t nC,
                      int32_t nOutW, int32_t nOutH, int32_t dy, double *aAcc,
                      unsigned char *aOutRow)
{
  size_t nStride = (size_t)nW * (size_t)nC;         /* Samples a source row */
  int64_t y0 = (int64_t)dy * nH / nOutH;            /* First source row */
  int64_t y1 = ((int64_t)dy * nH + nH - 1) / nOutH; /* Last source row */

  memset(aAcc, 0, nStride * sizeof(double));
  for(int64_t y = y0; y <= y1; y++) {
    double w = areaWeight(y, dy, nH, nOutH);
    const float *aSrc = aIn + (size_t)y * nStride;
    for(size_t k = 0; k < nStride; k++) {
      aAcc[k] += w * aSrc[k];
    }
  }
  for(int32_t dx = 0; dx < nOutW; dx++) {
    int64_t x0 = (int64_t)dx * nW / nOutW;
    int64_t x1 = ((int64_t)dx * nW + nW - 1) / nOutW;
    for(int32_t c = 0; c < nC; c++) {
      double sum = 0.0;
      for(int64_t x = x0; x <= x1; x++) {
        sum += areaWeight(x, dx, nW, nOutW) * aAcc[(size_t)x * nC + c];
      }
      aOutRow[(size_t)dx * nC + c] = toByte(sum);
    }
  }
}

/* Shrinks aIn (nW x nH, nC channels, floats) to nOutW x nOutH bytes in
 * aOut by exact area averaging (nOutW <= nW, nOutH <= nH; equal sides
 * copy, rounded).  Returns QC_OK or QC_ERR_NOMEM. */
static int shrinkArea(const float *aIn, int32_t nW, int32_t nH, int32_t nC,
                      int32_t nOutW, int32_t nOutH, unsigned char *aOut)
{
  double *aAcc = malloc((size_t)nW * (size_t)nC * sizeof(double));

  if(aAcc == NULL) {
    return QC_ERR_NOMEM;
  }
  for(int32_t dy = 0; dy < nOutH; dy++) {
    shrinkRow(aIn, nW, nH, nC, nOutW, nOutH, dy, aAcc,
              aOut + (size_t)dy * nOutW * nC);
  }
  free(aAcc);
  return QC_OK;
}

/* Renders the middle frame of pImg and shrinks it to at most nMax a
 * side: *paThumb (malloc'd, *pnW x *pnH x channels bytes) on QC_OK. */
static int thumbPixels(const struct qc_image *pImg, int nMax,
                       unsigned char **paThumb, int32_t *pnW, int32_t *pnH)
{
  int32_t nW = pImg->nWidth, nH = pImg->nHeight, nC = pImg->nChannels;
  int32_t nLong = nW > nH ? nW : nH;
  int32_t nOutW = thumbSide(nW, nLong, nMax);
  int32_t nOutH = thumbSide(nH, nLong, nMax);
  size_t n = qc_image_frame_len(pImg); /* Samples of one frame */
  float *aRender = malloc(n * sizeof(float));
  float *aLuma = nC == 1 ? malloc(n * sizeof(float)) : NULL; /* Grey */
  unsigned char *aThumb = malloc((size_t)nOutW * nOutH * nC);
  int rc = QC_ERR_NOMEM;

  if(n == 0 || aRender == NULL || (nC == 1 && aLuma == NULL) ||
     aThumb == NULL) {
    rc = n == 0 ? QC_ERR_MISUSE : rc;
    goto pixels_end;
  }
  rc = nC == 1 ? renderGrey(pImg, pImg->nFrames / 2, aLuma, aRender)
               : renderRgb(pImg, pImg->nFrames / 2, aRender);
  if(rc == QC_OK) {
    rc = shrinkArea(aRender, nW, nH, nC, nOutW, nOutH, aThumb);
  }
  if(rc == QC_OK) {
    *paThumb = aThumb;
    *pnW = nOutW;
    *pnH = nOutH;
    aThumb = NULL;
  }
pixels_end:
  free(aRender);
  free(aLuma);
  free(aThumb);
  return rc;
}

int cli_thumb_png(const char *zPath, const struct dicom_limits *pLimits,
                  int nMax, unsigned char **ppPng, size_t *pnPng, char *zErr,
                  size_t nErr)
{
  dicom_file *f = NULL;
  struct qc_image *pImg = NULL;
  unsigned char *aThumb = NULL; /* Thumbnail samples */
  int32_t nW = 0, nH = 0;       /* Thumbnail size */
  char zPng[300];               /* cli_png_encode()'s message */
  int rc;

  if(zPath == NULL || ppPng == NULL || pnPng == NULL || nMax < 1 ||
     nMax > THUMB_SIDE_MAX) {
    snprintf(zErr, nErr, "%s: thumbnail: bad arguments (size %d, 1..%d)",
             zPath ? zPath : "(no file)", nMax, THUMB_SIDE_MAX);
    return -1;
  }
  rc = dicom_open(zPath, pLimits, &f);
  if(rc == DICOM_OK) {
    rc = dicom_image_read(f, &pImg);
  }
  if(rc != DICOM_OK) {
    if(f != NULL) {
      snprintf(zErr, nErr, "%s", dicom_errmsg(f)); /* Names the file */
    } else {
      snprintf(zErr, nErr, "%s: %s", zPath, dicom_strstatus(rc));
    }
    goto thumb_end;
  }
  rc = thumbPixels(pImg, nMax, &aThumb, &nW, &nH);
  if(rc != QC_OK) {
    snprintf(zErr, nErr, "%s: cannot render a thumbnail: %s", zPath,
             qc_strstatus(rc));
    goto thumb_end;
  }
  rc = cli_png_encode(aThumb, nW, nH, pImg->nChannels, ppPng, pnPng, zPng,
                      sizeof(zPng));
  if(rc != 0) {
    snprintf(zErr, nErr, "%s: %s", zPath, zPng);
  }
thumb_end:
  free(aThumb);
  qc_image_free(pImg);
  dicom_close(f);
  return rc == 0 ? 0 : -1;
}
