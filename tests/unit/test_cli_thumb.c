/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_cli_thumb.c - unit tests of cli/thumb.c, PNG thumbnails of DICOM
 * images.
 *
 * Focus: cli_thumb_png() on sample files of samples/dicom/ against
 * reference thumbnails made independently by
 * tests/reference/make_thumb_reference.py (pydicom decode, numpy VOI
 * window of PS3.3 C.11.2.1.2.1 or 1..99 percentile window, OpenCV
 * cv2.resize INTER_AREA, numpy rint), compared sample by sample after
 * decoding both PNGs with libpng: same size, same channels, every sample
 * within 1 grey level; grey with a window, MONOCHROME1, grey without a
 * window, RGB (planar and RLE), a multi-frame image (middle frame),
 * non-integer shrink factors and a size larger than the image (no
 * enlargement).  Then cli_png_encode() round trips of small known images
 * (and its IHDR bytes read as PNG 1.2 section 11.2.2 lays them out),
 * cli_base64() on the RFC 4648 section 10 test vectors, and failures by
 * name: a missing file, a file that is not DICOM, limits too small for
 * the image, bad arguments.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include <png.h>

#include "dicom.h"
#include "thumb.h"

/* Tolerance, grey levels: the reference rounds OpenCV's float resize of a
 * float64 rendering; ours rounds an exact double area average of a
 * float32 rendering.  A sample near a half can round either way. */
#define THUMB_TOL 1

/* Buffers from cli_thumb_png(), cli_png_encode() and cli_base64() come
 * from the library's malloc(), so they go back through the C library's
 * free(), not cmocka's test_free() that test_util.h maps free() to. */
static void lib_free(void *p)
{
#undef free
  free(p);
#define free test_free
}

/* A decoded PNG: 8-bit samples, interleaved. */
struct png_pix {
  unsigned char *a; /* nWidth*nHeight*nChannels bytes, free with free() */
  int nWidth;
  int nHeight;
  int nChannels; /* 1 grey, 3 RGB */
};

/* Decodes an 8-bit grey or RGB PNG (no alpha, no 16-bit) with libpng's
 * simplified API, from memory (p, n) or, when p is NULL, from the file
 * zPath.  Fails the test otherwise. */
static void png_decode(const unsigned char *p, size_t n, const char *zPath,
                       struct png_pix *pOut)
{
  png_image img;
  int ok;

  memset(&img, 0, sizeof(img));
  img.version = PNG_IMAGE_VERSION;
  ok = p ? png_image_begin_read_from_memory(&img, p, n)
         : png_image_begin_read_from_file(&img, zPath);
  if(!ok) {
    fail_msg("%s: libpng cannot read it: %s", p ? "(memory)" : zPath,
             img.message);
  }
  assert_int_equal(img.format &
                       (PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_LINEAR |
                        PNG_FORMAT_FLAG_COLORMAP),
                   0);
  pOut->nChannels = img.format & PNG_FORMAT_FLAG_COLOR ? 3 : 1;
  img.format = pOut->nChannels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  pOut->nWidth = (int)img.width;
  pOut->nHeight = (int)img.height;
  pOut->a = malloc(PNG_IMAGE_SIZE(img));
  assert_non_null(pOut->a);
  if(!png_image_finish_read(&img, NULL, pOut->a, 0, NULL)) {
    free(pOut->a);
    fail_msg("libpng cannot decode the image: %s", img.message);
  }
}

/* ---------------------------------------------------------------------
 * Thumbnails against tests/reference/thumb_reference.tsv
 * --------------------------------------------------------------------- */

/* One reference case: a sample file and the thumbnail size asked for. */
struct thumb_case {
  const char *zFile; /* In samples/dicom/ */
  int nMax;          /* Longest side asked for */
};

/* The cases of make_thumb_reference.py (CASES), in its order. */
static const struct thumb_case aCase[] = {
    {"mr_head_explicit_be.dcm", 64},             /* MR, window, x4 */
    {"cr_chest_mono1_implicit_le.dcm", 64},      /* MONOCHROME1, 6.25 */
    {"dx_chest_explicit_le.dcm", 100},           /* 14-bit DX, 5.12 */
    {"op_fundus_redfree_jpeg_baseline.dcm", 64}, /* Grey, no window */
    {"op_fundus_planar_explicit_le.dcm", 64},    /* RGB, planar */
    {"op_fundus_rle.dcm", 100},                  /* RGB, RLE, 2.56 */
    {"mr_head_multiframe_j2k_lossless.dcm", 64}, /* Middle frame */
    {"mr_head_rle.dcm", 200},                    /* Factor 1.28 */
    {"mr_head_signed_explicit_le.dcm", 300},     /* Not enlarged */
};
#define N_CASE (sizeof(aCase) / sizeof(aCase[0]))

/* The row of thumb_reference.tsv for (zFile, nMax): its width, height,
 * channels and PNG name (zPng, 256 bytes).  Fails the test without one. */
static void ref_row(const char *zFile, int nMax, int *pnW, int *pnH, int *pnC,
                    char *zPng)
{
  char zPath[4096];
  size_t nByte;
  char *zTsv, *zLine;
  int isFound = 0;

  tu_ref_path(zPath, sizeof(zPath), "thumb_reference.tsv");
  zTsv = tu_read_file(zPath, &nByte);
  if(zTsv == NULL) {
    fail_msg("cannot read %s", zPath);
  }
  for(zLine = zTsv; zLine != NULL && *zLine != '\0' && !isFound;) {
    char *zEnd = strchr(zLine, '\n');
    char zName[256];
    int n;
    if(zEnd != NULL) {
      *zEnd = '\0';
    }
    if(zLine[0] != '#' &&
       sscanf(zLine, "%255[^\t]\t%d\t%d\t%d\t%d\t%255s", zName, &n, pnW, pnH,
              pnC, zPng) == 6 &&
       strcmp(zName, zFile) == 0 && n == nMax) {
      isFound = 1;
    }
    zLine = zEnd ? zEnd + 1 : NULL;
  }
  free(zTsv);
  if(!isFound) {
    fail_msg("%s: no row %s %d", zPath, zFile, nMax);
  }
}

/* Largest |a[i] - b[i]| over n bytes. */
static int max_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
  int m = 0;
  size_t i;

  for(i = 0; i < n; i++) {
    int d = abs((int)a[i] - (int)b[i]);
    m = d > m ? d : m;
  }
  return m;
}

/* Reference: tests/reference/data/thumb/<png> of thumb_reference.tsv,
 * made by make_thumb_reference.py (pydicom, numpy, cv2.resize
 * INTER_AREA); tolerance THUMB_TOL on every sample.  *state is the case
 * (cmocka_unit_test_prestate). */
static void test_cli_thumb_png_matches_opencv_reference(void **state)
{
  const struct thumb_case *c = *state;
  char zPath[4096], zRel[512], zPng[256], zErr[600] = "";
  unsigned char *pPng = NULL;
  size_t nPng = 0;
  struct png_pix got, ref;
  int nW, nH, nC, d;

  ref_row(c->zFile, c->nMax, &nW, &nH, &nC, zPng);
  snprintf(zPath, sizeof(zPath), "%s/samples/dicom/%s", DICOMQC_SOURCE_DIR,
           c->zFile);
  if(cli_thumb_png(zPath, NULL, c->nMax, &pPng, &nPng, zErr, sizeof(zErr))) {
    fail_msg("cli_thumb_png: %s", zErr);
  }
  png_decode(pPng, nPng, NULL, &got);
  lib_free(pPng);
  snprintf(zRel, sizeof(zRel), "data/thumb/%s", zPng);
  tu_ref_path(zPath, sizeof(zPath), zRel);
  png_decode(NULL, 0, zPath, &ref);
  assert_int_equal(ref.nWidth, nW); /* The reference is what the TSV says */
  assert_int_equal(ref.nHeight, nH);
  assert_int_equal(ref.nChannels, nC);
  assert_int_equal(got.nWidth, nW);
  assert_int_equal(got.nHeight, nH);
  assert_int_equal(got.nChannels, nC);
  d = max_diff(got.a, ref.a, (size_t)nW * nH * nC);
  print_message("%s nmax %d: %dx%d, %d channel(s), max difference %d\n",
                c->zFile, c->nMax, nW, nH, nC, d);
  free(got.a);
  free(ref.a);
  assert_true(d <= THUMB_TOL);
}

/* ---------------------------------------------------------------------
 * cli_png_encode()
 * --------------------------------------------------------------------- */

/* Big-endian 32-bit value at p (PNG 1.2 section 7.1). */
static uint32_t be32(const unsigned char *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* Encodes aPix, checks the signature and IHDR (PNG 1.2 sections 5.2 and
 * 11.2.2: width, height, bit depth 8, colour type 0 grey or 2 RGB,
 * interlace 0), decodes it with libpng and compares every byte. */
static void round_trip(const unsigned char *aPix, int nW, int nH, int nC)
{
  static const unsigned char aSig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  unsigned char *pPng = NULL;
  size_t nPng = 0;
  char zErr[300] = "";
  struct png_pix got;

  if(cli_png_encode(aPix, nW, nH, nC, &pPng, &nPng, zErr, sizeof(zErr))) {
    fail_msg("cli_png_encode: %s", zErr);
  }
  assert_true(nPng > 33);
  assert_memory_equal(pPng, aSig, 8);
  assert_memory_equal(pPng + 12, "IHDR", 4);
  assert_int_equal(be32(pPng + 16), nW);
  assert_int_equal(be32(pPng + 20), nH);
  assert_int_equal(pPng[24], 8);
  assert_int_equal(pPng[25], nC == 3 ? 2 : 0);
  assert_int_equal(pPng[28], 0);
  png_decode(pPng, nPng, NULL, &got);
  lib_free(pPng);
  assert_int_equal(got.nWidth, nW);
  assert_int_equal(got.nHeight, nH);
  assert_int_equal(got.nChannels, nC);
  assert_memory_equal(got.a, aPix, (size_t)nW * nH * nC);
  free(got.a);
}

/* 3x2 RGB: primaries, black, white and a mid grey; 5x3 grey ramp with
 * both ends; a single pixel. */
static void test_cli_png_encode_round_trip_is_exact(void **state)
{
  static const unsigned char aRgb[3 * 2 * 3] = {
      255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 128, 64, 1};
  unsigned char aGrey[5 * 3];
  unsigned char aOne[1] = {200};
  int i;

  (void)state;
  for(i = 0; i < 15; i++) {
    aGrey[i] = (unsigned char)(i * 255 / 14);
  }
  round_trip(aRgb, 3, 2, 3);
  round_trip(aGrey, 5, 3, 1);
  round_trip(aOne, 1, 1, 1);
}

/* Two channels, a zero side, NULL pixels: -1 and a message, outputs
 * untouched. */
static void test_cli_png_encode_bad_arguments_fail(void **state)
{
  unsigned char a[4] = {0};
  unsigned char *pPng = (unsigned char *)a; /* Must stay as it is */
  size_t nPng = 7;
  char zErr[300];

  (void)state;
  zErr[0] = '\0';
  assert_int_equal(cli_png_encode(a, 2, 1, 2, &pPng, &nPng, zErr, 300), -1);
  assert_true(strstr(zErr, "channels") != NULL);
  zErr[0] = '\0';
  assert_int_equal(cli_png_encode(a, 0, 1, 1, &pPng, &nPng, zErr, 300), -1);
  assert_true(zErr[0] != '\0');
  assert_int_equal(cli_png_encode(NULL, 1, 1, 1, &pPng, &nPng, NULL, 0), -1);
  assert_ptr_equal(pPng, a);
  assert_int_equal(nPng, 7);
}

/* ---------------------------------------------------------------------
 * cli_base64()
 * --------------------------------------------------------------------- */

/* RFC 4648 section 10, "Test Vectors", BASE64 of "" .. "foobar". */
static void test_cli_base64_rfc4648_vectors(void **state)
{
  static const struct {
    const char *zIn;
    const char *zOut;
  } aVec[] = {{"", ""},
              {"f", "Zg=="},
              {"fo", "Zm8="},
              {"foo", "Zm9v"},
              {"foob", "Zm9vYg=="},
              {"fooba", "Zm9vYmE="},
              {"foobar", "Zm9vYmFy"}};
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(aVec) / sizeof(aVec[0]); i++) {
    char *z =
        cli_base64((const unsigned char *)aVec[i].zIn, strlen(aVec[i].zIn));
    assert_non_null(z);
    assert_string_equal(z, aVec[i].zOut);
    lib_free(z);
  }
}

/* The last two characters of the alphabet (RFC 4648 Table 1: 62 is '+',
 * 63 is '/'): 0xfb 0xef 0xbe is 111110 x 4, "++++", and 0xff 0xff 0xff
 * is 111111 x 4, "////"; NULL with n = 0 gives "". */
static void test_cli_base64_high_bits_use_plus_and_slash(void **state)
{
  static const unsigned char a[6] = {0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff};
  char *z;

  (void)state;
  z = cli_base64(a, 6);
  assert_non_null(z);
  assert_string_equal(z, "++++////");
  lib_free(z);
  z = cli_base64(NULL, 0);
  assert_non_null(z);
  assert_string_equal(z, "");
  lib_free(z);
}

/* ---------------------------------------------------------------------
 * Failures
 * --------------------------------------------------------------------- */

/* Calls cli_thumb_png(zPath, pLimits, nMax) expecting -1, a message that
 * names zPath, and the outputs untouched. */
static void expect_thumb_failure(const char *zPath,
                                 const struct dicom_limits *pLimits, int nMax)
{
  unsigned char *pPng = NULL;
  size_t nPng = 7;
  char zErr[600] = "";

  assert_int_equal(
      cli_thumb_png(zPath, pLimits, nMax, &pPng, &nPng, zErr, sizeof(zErr)),
      -1);
  print_message("%s -> %s\n", zPath, zErr);
  assert_true(strstr(zErr, zPath) != NULL);
  assert_null(pPng);
  assert_int_equal(nPng, 7);
}

static void test_cli_thumb_missing_file_fails_naming_it(void **state)
{
  (void)state;
  expect_thumb_failure("thumb_no_such_file.dcm", NULL, 64);
}

/* A text file in the build tree, where ctest runs the test. */
static void test_cli_thumb_non_dicom_file_fails_naming_it(void **state)
{
  (void)state;
  tu_write_file("thumb_not_dicom.txt", "This is not a DICOM file.\n");
  expect_thumb_failure("thumb_not_dicom.txt", NULL, 64);
  assert_int_equal(remove("thumb_not_dicom.txt"), 0);
}

/* mr_head_explicit_be.dcm is 256x256: limits of 16x16, then a byte
 * budget of 1 KiB, refuse it before any pixel buffer is made. */
static void test_cli_thumb_limits_too_small_fail(void **state)
{
  char zPath[4096];
  struct dicom_limits lim;

  (void)state;
  snprintf(zPath, sizeof(zPath), "%s/samples/dicom/mr_head_explicit_be.dcm",
           DICOMQC_SOURCE_DIR);
  dicom_limits_default(&lim);
  lim.maxRows = 16;
  lim.maxColumns = 16;
  expect_thumb_failure(zPath, &lim, 64);
  dicom_limits_default(&lim);
  lim.maxBytes = 1024;
  expect_thumb_failure(zPath, &lim, 64);
}

/* A size of 0 or -1 is refused, naming the file. */
static void test_cli_thumb_bad_size_fails(void **state)
{
  char zPath[4096];

  (void)state;
  snprintf(zPath, sizeof(zPath), "%s/samples/dicom/mr_head_explicit_be.dcm",
           DICOMQC_SOURCE_DIR);
  expect_thumb_failure(zPath, NULL, 0);
  expect_thumb_failure(zPath, NULL, -1);
}

/* A thumbnail of 1 pixel a side: the whole image averaged. */
static void test_cli_thumb_size_1_gives_one_pixel(void **state)
{
  char zPath[4096], zErr[600] = "";
  unsigned char *pPng = NULL;
  size_t nPng = 0;
  struct png_pix got;

  (void)state;
  snprintf(zPath, sizeof(zPath), "%s/samples/dicom/op_fundus_rle.dcm",
           DICOMQC_SOURCE_DIR);
  if(cli_thumb_png(zPath, NULL, 1, &pPng, &nPng, zErr, sizeof(zErr))) {
    fail_msg("cli_thumb_png: %s", zErr);
  }
  png_decode(pPng, nPng, NULL, &got);
  lib_free(pPng);
  assert_int_equal(got.nWidth, 1);
  assert_int_equal(got.nHeight, 1);
  assert_int_equal(got.nChannels, 3);
  free(got.a);
}

int main(void)
{
  struct CMUnitTest aTest[N_CASE + 10];
  size_t i, n = 0;

  for(i = 0; i < N_CASE; i++) {
    struct CMUnitTest t = cmocka_unit_test_prestate(
        test_cli_thumb_png_matches_opencv_reference, (void *)&aCase[i]);
    t.name = aCase[i].zFile;
    aTest[n++] = t;
  }
  aTest[n++] = (struct CMUnitTest)cmocka_unit_test(
      test_cli_png_encode_round_trip_is_exact);
  aTest[n++] = (struct CMUnitTest)cmocka_unit_test(
      test_cli_png_encode_bad_arguments_fail);
  aTest[n++] =
      (struct CMUnitTest)cmocka_unit_test(test_cli_base64_rfc4648_vectors);
  aTest[n++] = (struct CMUnitTest)cmocka_unit_test(
      test_cli_base64_high_bits_use_plus_and_slash);
  aTest[n++] = (struct CMUnitTest)cmocka_unit_test(
      test_cli_thumb_missing_file_fails_naming_it);
  aTest[n++] = (struct CMUnitTest)cmocka_unit_test(
      test_cli_thumb_non_dicom_file_fails_naming_it);
  aTest[n++] = (struct CMUnitTest)cmocka_unit_test(
      test_cli_thumb_limits_too_small_fail);
  aTest[n++] =
      (struct CMUnitTest)cmocka_unit_test(test_cli_thumb_bad_size_fails);
  aTest[n++] = (struct CMUnitTest)cmocka_unit_test(
      test_cli_thumb_size_1_gives_one_pixel);
  return _cmocka_run_group_tests("test_cli_thumb", aTest, n, NULL, NULL);
}
