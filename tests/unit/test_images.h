/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_images.h - images for the metric tests (test_qc_brisque.c,
 * test_qc_niqe.c, test_qc_nss.c, test_qc_piqe.c, test_qc_fr.c): the
 * generated planes of tests/reference/nr_reference.tsv as qc planes, and
 * the published reference images of the shared folder
 * ../shared/data/iqa-reference (OpenCV's test images, TID2013, baboon),
 * read from BMP and PNG and turned into grey planes as MATLAB and OpenCV
 * turn them; and, for test_qc_mr.c and test_qc_fundus.c, a DICOM image
 * of ../shared/data/train decoded by dicom/ (tu_train_image(), which
 * skips the test itself when the folder is absent).
 *
 * The shared folder is not part of the repository: tu_shared_path() and
 * tu_shared_image() say so and return 0 when it is absent, and the test
 * then calls skip().  A file missing inside a folder that is there, or a
 * file that does not decode, fails the test.  PNG is read with libpng's
 * simplified API (tests/CMakeLists.txt links libpng into every unit
 * test; libpng-dev is a build dependency); BMP by the reader below.
 * Include test_util.h first, as every test does; every function is static
 * inline, so a test that does not use one gets no unused-function
 * warning.
 */
#ifndef DICOMQC_TEST_IMAGES_H
#define DICOMQC_TEST_IMAGES_H

#include "test_util.h" /* C headers, then cmocka */

#include "dicom.h"
#include "qc.h"

#include <png.h>
#include <sys/stat.h>

#ifndef TU_SHARED_DIR /* -D for trying the skip path */
#define TU_SHARED_DIR DICOMQC_SOURCE_DIR "/../shared/data/iqa-reference"
#endif

/* ---- Generated planes ----------------------------------------------- */

/* Loads the generated plane zName of tests/reference/nr_reference.tsv
 * (tests/reference/make_nr_reference.py; sides from the TSV, samples
 * from data/nr_<zName>.u8) into *p; the caller frees the samples with
 * free((float *)p->a).  Fails the test if anything is missing. */
static inline void tu_nr_plane(const char *zName, struct qc_plane *p)
{
  char zFile[256];
  struct tu_plane t;

  assert_true((size_t)snprintf(zFile, sizeof(zFile), "nr_%s.u8", zName) <
              sizeof(zFile));
  tu_plane_read("nr_reference.tsv", zName, zFile, 1, &t);
  p->a = t.a;
  p->nWidth = t.nWidth;
  p->nHeight = t.nHeight;
}

/* ---- Shared images (../shared/data/iqa-reference) ------------------- */

/* An 8-bit RGB image, rows top-down, channels R, G, B. */
struct tu_rgb8 {
  unsigned char *a; /* nWidth*nHeight*3 bytes, free with free() */
  int32_t nWidth;   /* Columns, 1..65535 */
  int32_t nHeight;  /* Rows, 1..65535 */
  int32_t nBit;     /* Bits per pixel of the file: 8 (a BMP palette
                       index) or 24 (BMP, and PNG as read) */
};

/* Writes TU_SHARED_DIR/<zRel> into zBuf and returns 1; returns 0 after a
 * "skipped" message if the shared folder is absent (the caller then
 * skips the test: the shared images are not part of the repository). */
static inline int tu_shared_path(char *zBuf, size_t nBuf, const char *zRel)
{
  struct stat st;

  if(stat(TU_SHARED_DIR, &st) != 0 || !S_ISDIR(st.st_mode)) {
    print_message("skipped: %s is absent (the shared reference images are "
                  "not part of the repository)\n",
                  TU_SHARED_DIR);
    return 0;
  }
  assert_true((size_t)snprintf(zBuf, nBuf, "%s/%s", TU_SHARED_DIR, zRel) <
              nBuf);
  return 1;
}

/* Little-endian 16- and 32-bit fields of a BMP header. */
static inline uint32_t tu_le16(const unsigned char *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t tu_le32(const unsigned char *p)
{
  return tu_le16(p) | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Decodes the bytes z[0..nByte-1] of an uncompressed Windows BMP
 * (BITMAPINFOHEADER or later, one plane; 8 bits per pixel with a palette
 * of biClrUsed entries, 256 if 0, or 24 bits BGR; rows bottom-up, or
 * top-down for a negative height, padded to 4 bytes) into *pImg.
 * Returns 1, or 0 with *pImg untouched for another kind of BMP, a
 * truncated file or a palette index past the palette. */
static inline int tu_bmp_decode(const unsigned char *z, size_t nByte,
                                struct tu_rgb8 *pImg)
{
  uint32_t off, nInfo, nBit, nColour; /* Header fields */
  int32_t w, h;
  int isTopDown;
  size_t stride, r, c;
  unsigned char *a; /* Decoded R, G, B */

  if(nByte < 54 || z[0] != 'B' || z[1] != 'M' || tu_le16(z + 26) != 1 ||
     tu_le32(z + 30) != 0) {
    return 0;
  }
  off = tu_le32(z + 10);
  nInfo = tu_le32(z + 14);
  w = (int32_t)tu_le32(z + 18);
  h = (int32_t)tu_le32(z + 22);
  nBit = tu_le16(z + 28);
  nColour = tu_le32(z + 46) == 0 ? 256 : tu_le32(z + 46);
  isTopDown = h < 0 && h > -65536;
  h = isTopDown ? -h : h;
  if(nInfo < 40 || (nBit != 8 && nBit != 24) || w < 1 || h < 1 || w > 65535 ||
     h > 65535) {
    return 0;
  }
  stride = ((size_t)w * nBit / 8 + 3) / 4 * 4;
  if(off > nByte || stride * (size_t)h > nByte - off ||
     (nBit == 8 &&
      (nColour > 256 || 14 + (size_t)nInfo + 4 * nColour > off))) {
    return 0; /* Truncated, or no room for the palette */
  }
  a = malloc((size_t)w * (size_t)h * 3);
  assert_non_null(a);
  for(r = 0; r < (size_t)h; r++) {
    const unsigned char *pRow =
        z + off + stride * (isTopDown ? r : (size_t)h - 1 - r);
    unsigned char *pOut = a + r * (size_t)w * 3;
    for(c = 0; c < (size_t)w; c++) {
      const unsigned char *px = pRow + 3 * c; /* B, G, R (palette too) */
      if(nBit == 8) {
        if(pRow[c] >= nColour) {
          free(a);
          return 0;
        }
        px = z + 14 + nInfo + 4 * (size_t)pRow[c];
      }
      pOut[3 * c] = px[2];
      pOut[3 * c + 1] = px[1];
      pOut[3 * c + 2] = px[0];
    }
  }
  pImg->a = a;
  pImg->nWidth = w;
  pImg->nHeight = h;
  pImg->nBit = (int32_t)nBit;
  return 1;
}

/* Reads the BMP file zPath into *pImg (see tu_bmp_decode()); fails the
 * test if it cannot be read or is not of that form. */
static inline void tu_read_bmp(const char *zPath, struct tu_rgb8 *pImg)
{
  size_t nByte = 0;
  unsigned char *z = (unsigned char *)tu_read_file(zPath, &nByte);
  int isOk;

  if(z == NULL) {
    fail_msg("cannot read %s", zPath);
  }
  isOk = tu_bmp_decode(z, nByte, pImg);
  free(z);
  if(!isOk) {
    fail_msg("%s: not an uncompressed 8-bit palette or 24-bit BMP", zPath);
  }
}

/* Reads the PNG file zPath as 8-bit RGB into *pImg with libpng's
 * simplified API (png_image_begin_read_from_file, PNG_FORMAT_RGB); fails
 * the test if libpng cannot read it. */
static inline void tu_read_png(const char *zPath, struct tu_rgb8 *pImg)
{
  png_image img;

  memset(&img, 0, sizeof(img));
  img.version = PNG_IMAGE_VERSION;
  if(!png_image_begin_read_from_file(&img, zPath)) {
    fail_msg("%s: %s", zPath, img.message);
  }
  img.format = PNG_FORMAT_RGB;
  pImg->a = malloc(PNG_IMAGE_SIZE(img));
  assert_non_null(pImg->a);
  if(!png_image_finish_read(&img, NULL, pImg->a, 0, NULL)) {
    free(pImg->a);
    fail_msg("%s: %s", zPath, img.message);
  }
  pImg->nWidth = (int32_t)img.width;
  pImg->nHeight = (int32_t)img.height;
  pImg->nBit = 24;
}

/* Reads the shared image TU_SHARED_DIR/<zRel> into *pImg: PNG if the name
 * ends in ".png", else BMP.  Returns 1; returns 0 as tu_shared_path()
 * does when the shared folder is absent (the caller frees what it holds
 * and calls skip()); fails the test if the file is missing or does not
 * decode. */
static inline int tu_shared_image(const char *zRel, struct tu_rgb8 *pImg)
{
  char zPath[4096];
  size_t n = strlen(zRel);

  if(!tu_shared_path(zPath, sizeof(zPath), zRel)) {
    return 0;
  }
  if(n >= 4 && strcmp(zRel + n - 4, ".png") == 0) {
    tu_read_png(zPath, pImg);
  } else {
    tu_read_bmp(zPath, pImg);
  }
  return 1;
}

/* ---- Grey conversions of one R, G, B pixel -------------------------- */

/* OpenCV 4.6's COLOR_BGR2GRAY on 8-bit data: fixed point
 * (R 9798 + G 19235 + B 3735 + 2^14) >> 15, the BT.601 weights scaled by
 * 2^15 (imgproc/src/color_rgb.simd.hpp, RGB2Gray<uchar>).  Checked against
 * cv2.cvtColor on RubberWhale1.png: equal on every pixel (the 14-bit
 * weights 4899, 9617, 1868 differ on 256).  rock_1.bmp is a grey-palette
 * BMP, where every formula gives the palette grey, as IMREAD_GRAYSCALE. */
static inline float tu_grey_opencv(const unsigned char *px)
{
  return (float)((px[0] * 9798 + px[1] * 19235 + px[2] * 3735 + 16384) >> 15);
}

/* MATLAB rgb2gray on uint8: weights 0.298936021293775, 0.587043074451121,
 * 0.114020904255103 (the first row of inv([1 0.956 0.621; 1 -0.272
 * -0.647; 1 -1.106 1.703]), as rgb2gray's documentation gives them,
 * images/rgb2gray.m), the result rounded to uint8 halves away from zero.
 * The weights sum to 1, so the result stays in 0..255 and needs no
 * saturation (checked on all 2^24 pixels, as are floor(y + 0.5) and
 * round(y), which agree on every one). */
static inline float tu_grey_matlab(const unsigned char *px)
{
  return (float)round(0.298936021293775 * px[0] + 0.587043074451121 * px[1] +
                      0.114020904255103 * px[2]);
}

/* Y of MATLAB rgb2ycbcr on uint8 (ITU-R BT.601 studio range):
 * 16 + (65.481 R + 128.553 G + 24.966 B) / 255, rounded half away from
 * zero, as BasicSR's to_y_channel then round() feeds NIQE. */
static inline float tu_y_matlab(const unsigned char *px)
{
  return (float)floor(
      16.0 + (65.481 * px[0] + 128.553 * px[1] + 24.966 * px[2]) / 255.0 +
      0.5);
}

/* ---- Planes from an RGB image --------------------------------------- */

/* Converts every pixel of *pImg with fn (tu_grey_opencv, tu_grey_matlab,
 * tu_y_matlab) into a new plane of nWidth*nHeight floats the caller frees
 * with free(); *pImg is left as it is. */
static inline float *tu_rgb8_grey(const struct tu_rgb8 *pImg,
                                  float (*fn)(const unsigned char *))
{
  size_t n = (size_t)pImg->nWidth * (size_t)pImg->nHeight, i;
  float *a = malloc(n * sizeof(float));

  assert_non_null(a);
  for(i = 0; i < n; i++) {
    a[i] = fn(pImg->a + 3 * i);
  }
  return a;
}

/* Channel iChannel (0 R, 1 G, 2 B) of *pImg as a new plane of
 * nWidth*nHeight floats (free()); iChannel -1 gives all three samples of
 * every pixel, a new array of 3*nWidth*nHeight floats R, G, B. */
static inline float *tu_rgb8_channel(const struct tu_rgb8 *pImg, int iChannel)
{
  size_t n = (size_t)pImg->nWidth * (size_t)pImg->nHeight, i;
  size_t nOut = iChannel < 0 ? 3 * n : n; /* Samples written */
  float *a = malloc(nOut * sizeof(float));

  assert_true(iChannel >= -1 && iChannel <= 2);
  assert_non_null(a);
  for(i = 0; i < nOut; i++) {
    a[i] = pImg->a[iChannel < 0 ? i : 3 * i + (size_t)iChannel];
  }
  return a;
}

/* Reads the shared image zRel (see tu_shared_image()) and converts it
 * with fn (see tu_rgb8_grey()) into the grey plane *p, whose samples the
 * caller frees with free((float *)p->a).  Returns 1; returns 0 when the
 * shared folder is absent (the caller frees what it holds and calls
 * skip()). */
static inline int tu_shared_grey(const char *zRel,
                                 float (*fn)(const unsigned char *),
                                 struct qc_plane *p)
{
  struct tu_rgb8 img;

  if(!tu_shared_image(zRel, &img)) {
    return 0;
  }
  p->a = tu_rgb8_grey(&img, fn);
  p->nWidth = img.nWidth;
  p->nHeight = img.nHeight;
  free(img.a);
  return 1;
}

/* 1 if every pixel of *pImg has R = G = B (a grey-palette BMP), else 0. */
static inline int tu_rgb8_is_grey(const struct tu_rgb8 *pImg)
{
  size_t n = (size_t)pImg->nWidth * (size_t)pImg->nHeight, i;

  for(i = 0; i < n; i++) {
    const unsigned char *px = pImg->a + 3 * i;
    if(px[0] != px[1] || px[1] != px[2]) {
      return 0;
    }
  }
  return 1;
}

/* ---- Shared training images (../shared/data/train) ------------------ */

/* Decodes the training image ../shared/data/train/<zRel> into a new image
 * (free with qc_image_free()), or, when it cannot be read (the shared
 * folder is absent), says so and skips the calling test. */
static inline struct qc_image *tu_train_image(const char *zRel)
{
  char zPath[512];
  dicom_file *f = NULL;
  struct qc_image *pImg = NULL;

  snprintf(zPath, sizeof(zPath), "%s/../shared/data/train/%s",
           DICOMQC_SOURCE_DIR, zRel);
  if(dicom_open(zPath, NULL, &f) != DICOM_OK ||
     dicom_image_read(f, &pImg) != DICOM_OK) {
    print_message("skipped: %s not readable (../shared absent)\n", zPath);
    dicom_close(f);
    skip();
  }
  dicom_close(f);
  return pImg;
}

#endif /* DICOMQC_TEST_IMAGES_H */
