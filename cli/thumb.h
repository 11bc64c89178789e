/* SPDX-License-Identifier: BSD-3-Clause
 *
 * thumb.h - thumbnails of DICOM images as PNG in memory (cli/thumb.c),
 * for the node's live console and the nightly HTML report, which show
 * each flagged image beside its verdict (inline as a base64 data: URI or
 * served as image/png).
 *
 * A thumbnail is the display rendering of the image's middle frame
 * (the file's VOI window for grey images), shrunk by exact area
 * averaging so that its longer side is at most the size asked for,
 * rounded to 8 bits and written by libpng.  Everything here is
 * reentrant: no global state, every buffer is the caller's or malloc'd
 * and handed over.
 */
#ifndef DICOMQC_THUMB_H
#define DICOMQC_THUMB_H

#include <stddef.h>

struct dicom_limits;

/* Renders the DICOM file zPath as a PNG thumbnail whose longer side is at
 * most nMax pixels (never enlarged), in memory.
 *
 * The file is decoded within pLimits (NULL: dicom_limits_default()); a
 * multi-frame image gives its middle frame (index nFrames / 2).
 *   - Grey: the luminance through qc_render_display(): the file's VOI
 *     window (DICOM PS3.3 C.11.2.1.2.1), else the 1st..99th percentile
 *     window, to 0..255.  A plane that has no such window (constant, or
 *     over 98% of it one value) is scaled from its min..max instead, a
 *     constant one giving black.
 *   - RGB: with Bits Stored <= 8 the samples clamped to 0..255; else all
 *     three channels scaled linearly from the frame's overall min..max
 *     (over every channel) to 0..255, a constant frame giving black.
 * When a side exceeds nMax the longer side becomes nMax and the other
 * max(1, round(side * nMax / longer)) (halves round up), and the
 * rendering is shrunk by exact area averaging: each output pixel is the
 * mean of the source area it covers, partly covered source pixels
 * weighted by the fraction covered (what OpenCV's cv::resize with
 * INTER_AREA computes, including non-integer factors).  Samples are then
 * rounded to the nearest integer, ties to even (OpenCV's cvRound), and
 * clamped to 0..255.  The PNG is 8-bit grey or 8-bit RGB, not
 * interlaced.
 *
 * nMax: 1..65535.  On success returns 0 and sets *ppPng to a malloc'd
 * buffer of *pnPng bytes that the caller frees with free().  On failure
 * returns -1, leaves *ppPng and *pnPng untouched and writes a message
 * naming the file and the reason into zErr (nErr bytes; zErr may be NULL
 * when nErr is 0): the decoder's message (not DICOM, truncated, image
 * larger than pLimits, unsupported form ...), a rendering failure, out of
 * memory, or libpng's error.  Memory: the decoded image (all frames, as
 * float), two float copies of one frame (one for RGB), one row of
 * doubles and the thumbnail.
 * Tests: tests/unit/test_cli_thumb.c */
int cli_thumb_png(const char *zPath, const struct dicom_limits *pLimits,
                  int nMax,
                  unsigned char **ppPng /* OUT: malloc'd, caller frees */,
                  size_t *pnPng /* OUT */, char *zErr, size_t nErr);

/* Encodes 8-bit samples (nChannels 1 grey or 3 RGB, row-major,
 * interleaved) as PNG in memory (libpng).
 *
 * aPix holds nWidth*nHeight*nChannels bytes, row 0 first; it is only
 * read.  nWidth and nHeight: 1..65535.  The PNG is 8-bit grey or RGB, not
 * interlaced, default zlib compression.  On success returns 0 and sets
 * *ppPng to a malloc'd buffer of *pnPng bytes that the caller frees with
 * free().  On failure returns -1, leaves *ppPng and *pnPng untouched and
 * writes the reason into zErr (nErr bytes; zErr may be NULL when nErr is
 * 0): bad arguments, out of memory, or libpng's message.
 * Tests: tests/unit/test_cli_thumb.c */
int cli_png_encode(const unsigned char *aPix, int nWidth, int nHeight,
                   int nChannels,
                   unsigned char **ppPng /* OUT: malloc'd, caller frees */,
                   size_t *pnPng /* OUT */, char *zErr, size_t nErr);

/* Base64 (RFC 4648, with padding) of n bytes; returns a malloc'd
 * NUL-terminated string or NULL when out of memory.
 *
 * Alphabet of RFC 4648 section 4 ("A-Za-z0-9+/", "=" padding), no line
 * breaks: 4 ceil(n/3) characters.  p may be NULL when n is 0 (the result
 * is then "").  The caller frees the string with free().
 * Tests: tests/unit/test_cli_thumb.c */
char *cli_base64(const unsigned char *p, size_t n);

#endif /* DICOMQC_THUMB_H */
