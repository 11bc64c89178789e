/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_image.c - unit tests of qc/image.c: qc_strstatus, the
 * constructor's bounds and overflow checks, frame access, luminance, and
 * the QC_ASSERT macro of qc/qc_int.h.
 *
 * The focus is untrusted sizes: every size qc_image_new() must refuse,
 * including sample and byte counts that overflow size_t or exceed
 * PTRDIFF_MAX, is refused before any allocation.  Luminance of an RGB
 * reference image is compared with tests/reference/qc_reference data made
 * by make_qc_reference.py (numpy, cross-checked with OpenCV RGB2GRAY).
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

static void test_qc_strstatus_every_code_distinct_text(void **state)
{
  static const int aCode[] = {QC_OK,         QC_ERR_NOMEM, QC_ERR_RANGE,
                              QC_ERR_MISUSE, -1,           99};
  size_t i, j;

  (void)state;
  for(i = 0; i < sizeof(aCode) / sizeof(aCode[0]); i++) {
    assert_non_null(qc_strstatus(aCode[i]));
    assert_true(strlen(qc_strstatus(aCode[i])) > 0);
    for(j = 0; j < i && j < 4; j++) {
      assert_string_not_equal(qc_strstatus(aCode[i]), qc_strstatus(aCode[j]));
    }
  }
  /* Unknown codes share one text. */
  assert_string_equal(qc_strstatus(-1), qc_strstatus(99));
}

static void test_qc_image_new_valid_sizes_zeroed_image(void **state)
{
  struct qc_image *p = qc_image_new(5, 4, 3, 2);
  size_t i;

  (void)state;
  assert_non_null(p);
  assert_int_equal(p->nWidth, 5);
  assert_int_equal(p->nHeight, 4);
  assert_int_equal(p->nChannels, 3);
  assert_int_equal(p->nFrames, 2);
  assert_int_equal(p->hasWindow, 0);
  assert_true(p->rowSpacing == 0.0 && p->colSpacing == 0.0);
  assert_non_null(p->aPixel);
  for(i = 0; i < 5 * 4 * 3 * 2; i++) {
    assert_true(p->aPixel[i] == 0.0f);
  }
  qc_image_free(p);
}

/* Table of sizes qc_image_new() must refuse (qc.h: sides 1..65535,
 * channels 1 or 3, frames >= 1). */
static void test_qc_image_new_bad_sizes_returns_NULL(void **state)
{
  static const int32_t aBad[][4] = {
      {0, 4, 1, 1},         {4, 0, 1, 1},         {-1, 4, 1, 1}, {4, -7, 1, 1},
      {65536, 1, 1, 1},     {1, 65536, 1, 1},     {4, 4, 0, 1},  {4, 4, 2, 1},
      {4, 4, 4, 1},         {4, 4, -3, 1},        {4, 4, 1, 0},  {4, 4, 1, -1},
      {INT32_MAX, 1, 1, 1}, {1, INT32_MIN, 1, 1},
  };
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(aBad) / sizeof(aBad[0]); i++) {
    struct qc_image *p =
        qc_image_new(aBad[i][0], aBad[i][1], aBad[i][2], aBad[i][3]);
    if(p != NULL) {
      qc_image_free(p);
      fail_msg("qc_image_new(%d, %d, %d, %d) accepted bad sizes",
               (int)aBad[i][0], (int)aBad[i][1], (int)aBad[i][2],
               (int)aBad[i][3]);
    }
  }
}

/* 65535 x 65535 x 3 samples x 4 bytes = 5.15e10 bytes per frame; with
 * INT32_MAX frames the byte count (1.1e20) overflows a 64-bit size_t
 * (1.8e19), and the sample count overflows a 32-bit one.  The constructor
 * must see it before calling calloc. */
static void test_qc_image_new_size_overflow_returns_NULL(void **state)
{
  (void)state;
  assert_null(qc_image_new(65535, 65535, 3, INT32_MAX));
  assert_null(qc_image_new(65535, 65535, 1, INT32_MAX));
}

/* 2^28 frames of 65535 x 65535 x 3 floats is 1.38e19 bytes: it fits in a
 * 64-bit size_t but exceeds PTRDIFF_MAX (9.2e18), so it must be refused
 * without asking the allocator. */
static void test_qc_image_new_over_PTRDIFF_MAX_returns_NULL(void **state)
{
  (void)state;
  assert_null(qc_image_new(65535, 65535, 3, 1 << 28));
}

static void test_qc_image_free_NULL_is_noop(void **state)
{
  (void)state;
  qc_image_free(NULL);
}

static void test_qc_image_frame_in_range_points_into_pixels(void **state)
{
  struct qc_image *p = qc_image_new(7, 3, 3, 4);

  (void)state;
  assert_non_null(p);
  assert_int_equal(qc_image_frame_len(p), 7 * 3 * 3);
  assert_ptr_equal(qc_image_frame(p, 0), p->aPixel);
  assert_ptr_equal(qc_image_frame(p, 3), p->aPixel + 3 * 7 * 3 * 3);
  assert_null(qc_image_frame(p, 4));
  assert_null(qc_image_frame(p, -1));
  assert_null(qc_image_frame(p, INT32_MAX));
  qc_image_free(p);
}

static void test_qc_image_frame_bad_image_returns_NULL(void **state)
{
  struct qc_image img = {0}; /* Hand-made, sizes never set */
  float a[4] = {0};

  (void)state;
  assert_int_equal(qc_image_frame_len(NULL), 0);
  assert_null(qc_image_frame(NULL, 0));
  assert_int_equal(qc_image_frame_len(&img), 0);
  img.aPixel = a;
  img.nWidth = 2;
  img.nHeight = 2;
  img.nChannels = 2; /* Neither grey nor RGB */
  img.nFrames = 1;
  assert_int_equal(qc_image_frame_len(&img), 0);
  assert_null(qc_image_frame(&img, 0));
  img.nChannels = 1;
  assert_int_equal(qc_image_frame_len(&img), 4);
  assert_ptr_equal(qc_image_frame(&img, 0), a);
}

static void test_qc_image_luma_grey_copies_frame(void **state)
{
  struct qc_image *p = qc_image_new(3, 2, 1, 2);
  float aOut[6];
  size_t i;

  (void)state;
  assert_non_null(p);
  for(i = 0; i < 12; i++) {
    p->aPixel[i] = (float)i - 5.5f;
  }
  assert_int_equal(qc_image_luma(p, 1, aOut), QC_OK);
  for(i = 0; i < 6; i++) {
    assert_true(aOut[i] == p->aPixel[6 + i]);
  }
  qc_image_free(p);
}

/* Pure primaries give the BT.601 weights themselves, 0.299, 0.587 and
 * 0.114 (qc.h), and white gives their sum, 1.  Tolerance: one float ulp
 * at 1, 1.2e-7, since the sum is rounded once to float. */
static void test_qc_image_luma_primaries_give_BT601_weights(void **state)
{
  struct qc_image *p = qc_image_new(4, 1, 3, 1);
  static const float aRgb[12] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1};
  float aOut[4];

  (void)state;
  assert_non_null(p);
  memcpy(p->aPixel, aRgb, sizeof(aRgb));
  assert_int_equal(qc_image_luma(p, 0, aOut), QC_OK);
  assert_close(aOut[0], 0.299, 1.2e-7);
  assert_close(aOut[1], 0.587, 1.2e-7);
  assert_close(aOut[2], 0.114, 1.2e-7);
  assert_close(aOut[3], 1.0, 1.2e-7);
  qc_image_free(p);
}

/* Reference: tests/reference/data/luma_rgb_64x48.f32 from
 * make_qc_reference.py, 0.299 R + 0.587 G + 0.114 B in float64 rounded to
 * float32 (cross-checked there with OpenCV COLOR_RGB2GRAY).  Tolerance
 * 1e-6 relative + 1e-6 absolute: both sides form the same double sum in
 * the same order and round it once to float, so they should agree
 * exactly; the tolerance admits a few float ulps (1.2e-7 relative each)
 * should a compiler evaluate the sum differently. */
static void test_qc_image_luma_rgb_matches_reference(void **state)
{
  struct tu_plane rgb;
  struct qc_image *p;
  float *aRef;
  float *aOut;
  size_t i, n;

  (void)state;
  tu_plane_load("rgb_64x48", 3, &rgb);
  n = (size_t)rgb.nWidth * (size_t)rgb.nHeight;
  aRef = tu_read_f32("luma_rgb_64x48", n);
  p = qc_image_new(rgb.nWidth, rgb.nHeight, 3, 1);
  aOut = malloc(n * sizeof(float));
  assert_non_null(p);
  assert_non_null(aOut);
  memcpy(p->aPixel, rgb.a, n * 3 * sizeof(float));
  assert_int_equal(qc_image_luma(p, 0, aOut), QC_OK);
  for(i = 0; i < n; i++) {
    assert_close(aOut[i], aRef[i], 1e-6 + 1e-6 * fabs(aRef[i]));
  }
  free(aOut);
  free(aRef);
  free(rgb.a);
  qc_image_free(p);
}

static void test_qc_image_luma_bad_args_returns_MISUSE(void **state)
{
  struct qc_image *p = qc_image_new(2, 2, 1, 1);
  float aOut[4] = {7, 7, 7, 7};

  (void)state;
  assert_non_null(p);
  assert_int_equal(qc_image_luma(NULL, 0, aOut), QC_ERR_MISUSE);
  assert_int_equal(qc_image_luma(p, 0, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_image_luma(p, 1, aOut), QC_ERR_MISUSE);
  assert_int_equal(qc_image_luma(p, -1, aOut), QC_ERR_MISUSE);
  assert_true(aOut[0] == 7.0f); /* Untouched on failure */
  qc_image_free(p);
}

/* QC_ASSERT must reach cmocka's mock_assert() under UNIT_TESTING, so that
 * expect_assert_failure() catches it (STYLE.md section 4). */
static void test_qc_assert_false_under_UNIT_TESTING_is_caught(void **state)
{
  (void)state;
  expect_assert_failure(QC_ASSERT(1 == 2));
  QC_ASSERT(1 == 1);
}

/* Plane validation shared by the metrics (qc_int.h). */
static void test_qc_plane_len_bad_planes_return_status(void **state)
{
  float a[6] = {0};
  struct qc_plane plane = {a, 3, 2};
  size_t n = 12345;

  (void)state;
  assert_int_equal(qc_plane_len(&plane, &n), QC_OK);
  assert_int_equal(n, 6);
  n = 12345;
  assert_int_equal(qc_plane_len(NULL, &n), QC_ERR_MISUSE);
  assert_int_equal(qc_plane_len(&plane, NULL), QC_ERR_MISUSE);
  plane.nWidth = 0;
  assert_int_equal(qc_plane_len(&plane, &n), QC_ERR_RANGE);
  plane.nWidth = 3;
  plane.nHeight = -2;
  assert_int_equal(qc_plane_len(&plane, &n), QC_ERR_RANGE);
  plane.nHeight = 2;
  plane.a = NULL;
  assert_int_equal(qc_plane_len(&plane, &n), QC_ERR_MISUSE);
  assert_int_equal(n, 12345); /* Untouched on failure */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qc_strstatus_every_code_distinct_text),
      cmocka_unit_test(test_qc_image_new_valid_sizes_zeroed_image),
      cmocka_unit_test(test_qc_image_new_bad_sizes_returns_NULL),
      cmocka_unit_test(test_qc_image_new_size_overflow_returns_NULL),
      cmocka_unit_test(test_qc_image_new_over_PTRDIFF_MAX_returns_NULL),
      cmocka_unit_test(test_qc_image_free_NULL_is_noop),
      cmocka_unit_test(test_qc_image_frame_in_range_points_into_pixels),
      cmocka_unit_test(test_qc_image_frame_bad_image_returns_NULL),
      cmocka_unit_test(test_qc_image_luma_grey_copies_frame),
      cmocka_unit_test(test_qc_image_luma_primaries_give_BT601_weights),
      cmocka_unit_test(test_qc_image_luma_rgb_matches_reference),
      cmocka_unit_test(test_qc_image_luma_bad_args_returns_MISUSE),
      cmocka_unit_test(test_qc_assert_false_under_UNIT_TESTING_is_caught),
      cmocka_unit_test(test_qc_plane_len_bad_planes_return_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
