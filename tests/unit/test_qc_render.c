/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_render.c - unit tests of qc/render.c, the display rendering to
 * 0..255.
 *
 * Focus: the DICOM PS3.3 C.11.2.1.2.1 linear VOI function and the
 * 1st..99th percentile robust window, pixel by pixel against numpy
 * (cross-checked with pydicom's apply_windowing and scikit-image's
 * rescale_intensity) through tests/reference/make_qc_reference.py; windows
 * whose answer follows from arithmetic (c = 128, w = 256 is the identity
 * on 0..255; w = 1 is a step); and bad input: a constant plane without a
 * window, a window narrower than 1, NaN samples, NULL arguments.  Then the
 * input rule of the 8-bit models (qc_render_model_input()): 8-bit RGB
 * against OpenCV's grey conversion, 8-bit grey kept as it is, everything
 * else rendered (and said so through *pIsDisplay).
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

/* Tolerance for rendered pixels: 1e-4 grey levels.  Both sides evaluate
 * the same formula in float64 and round once to float32, whose spacing at
 * 255 is 1.5e-5, so they should agree exactly; 1e-4 admits a few ulps. */
#define PIXEL_TOL 1e-4

/* An image that carries only a VOI window (the fields render reads). */
static struct qc_image window_image(double center, double width)
{
  struct qc_image img = {0};

  img.hasWindow = 1;
  img.windowCenter = center;
  img.windowWidth = width;
  return img;
}

/* Reference: tests/reference/data/render_window_xray_101x77.f32, numpy's
 * PS3.3 C.11.2.1.2.1 on xray_101x77 with the TSV's window_center (1800.5)
 * and window_width (2000), cross-checked with pydicom apply_windowing.
 * The plane has pixels below, inside and above the window.  Also checks
 * the TSV's render_window_mean (1e-9 relative: float64 sums of the same
 * float32 values in a different order). */
static void test_qc_render_window_matches_pydicom_reference(void **state)
{
  struct tu_plane x;
  struct qc_image img;
  struct qc_plane plane;
  float *aRef, *aOut;
  size_t i, n;
  double sum = 0.0;
  int nLow = 0, nHigh = 0, nMid = 0; /* Pixels in each branch */

  (void)state;
  tu_plane_load("xray_101x77", 1, &x);
  n = (size_t)x.nWidth * (size_t)x.nHeight;
  aRef = tu_read_f32("render_window_xray_101x77", n);
  aOut = malloc(n * sizeof(float));
  assert_non_null(aOut);
  img = window_image(tu_ref("xray_101x77", "window_center"),
                     tu_ref("xray_101x77", "window_width"));
  plane = (struct qc_plane){x.a, x.nWidth, x.nHeight};
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_OK);
  for(i = 0; i < n; i++) {
    assert_close(aOut[i], aRef[i], PIXEL_TOL);
    sum += aOut[i];
    nLow += (aOut[i] == 0.0f);
    nHigh += (aOut[i] == 255.0f);
  }
  nMid = (int)n - nLow - nHigh;
  assert_true(nLow > 0 && nHigh > 0 && nMid > 0);
  assert_close_rel(sum / (double)n,
                   tu_ref("xray_101x77", "render_window_mean"), 1e-9);
  free(aOut);
  free(aRef);
  free(x.a);
}

/* Reference: tests/reference/data/render_auto_gauss_101x77.f32, numpy's
 * clip((x - p01) / (p99 - p01) * 255, 0, 255) with numpy.percentile,
 * cross-checked with skimage.exposure.rescale_intensity. */
static void test_qc_render_auto_matches_skimage_reference(void **state)
{
  struct tu_plane x;
  struct qc_image img = {0}; /* No window */
  struct qc_plane plane;
  float *aRef, *aOut;
  size_t i, n;
  double sum = 0.0;

  (void)state;
  tu_plane_load("gauss_101x77", 1, &x);
  n = (size_t)x.nWidth * (size_t)x.nHeight;
  aRef = tu_read_f32("render_auto_gauss_101x77", n);
  aOut = malloc(n * sizeof(float));
  assert_non_null(aOut);
  plane = (struct qc_plane){x.a, x.nWidth, x.nHeight};
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_OK);
  for(i = 0; i < n; i++) {
    assert_close(aOut[i], aRef[i], PIXEL_TOL);
    sum += aOut[i];
  }
  assert_close_rel(sum / (double)n, tu_ref("gauss_101x77", "render_auto_mean"),
                   1e-9);
  free(aOut);
  free(aRef);
  free(x.a);
}

/* c = 128, w = 256: the thresholds are 0 and 255 and the middle branch is
 * ((x - 127.5) / 255 + 0.5) * 255 = x, so 0..255 maps to itself; below 0
 * gives 0 and above 255 gives 255 (PS3.3 C.11.2.1.2.1). */
static void test_qc_render_window_128_256_is_identity(void **state)
{
  float a[260], aOut[260];
  struct qc_image img = window_image(128.0, 256.0);
  struct qc_plane plane = {a, 260, 1};
  int i;

  (void)state;
  for(i = 0; i < 256; i++) {
    a[i] = (float)i;
  }
  a[256] = -1.0f;
  a[257] = -1e30f;
  a[258] = 255.5f;
  a[259] = 1e30f;
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_OK);
  for(i = 0; i < 256; i++) {
    assert_close(aOut[i], i, PIXEL_TOL);
  }
  assert_true(aOut[256] == 0.0f && aOut[257] == 0.0f);
  assert_true(aOut[258] == 255.0f && aOut[259] == 255.0f);
}

/* w = 1 (the smallest PS3.3 allows): both thresholds are c - 0.5, so the
 * function is a step, 0 at or below c - 0.5 and 255 above, with no
 * division by w - 1 = 0. */
static void test_qc_render_window_width_1_is_step(void **state)
{
  float a[5] = {99.0f, 99.5f, 99.50001f, 100.0f, 200.0f};
  float aOut[5];
  struct qc_image img = window_image(100.0, 1.0);
  struct qc_plane plane = {a, 5, 1};

  (void)state;
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_OK);
  assert_true(aOut[0] == 0.0f && aOut[1] == 0.0f);
  assert_true(aOut[2] == 255.0f && aOut[3] == 255.0f && aOut[4] == 255.0f);
}

/* PS3.3 C.11.2.1.2.1: Window Width shall be >= 1 for LINEAR; narrower,
 * zero, negative or non-finite windows give QC_ERR_RANGE and leave the
 * output alone. */
static void test_qc_render_window_bad_width_returns_RANGE(void **state)
{
  static const double aBad[][2] = {{100, 0.999},   {100, 0},  {100, -5},
                                   {100, NAN},     {NAN, 10}, {INFINITY, 10},
                                   {100, INFINITY}};
  float a[3] = {1, 2, 3};
  float aOut[3] = {-7, -7, -7};
  struct qc_plane plane = {a, 3, 1};
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(aBad) / sizeof(aBad[0]); i++) {
    struct qc_image img = window_image(aBad[i][0], aBad[i][1]);
    assert_int_equal(qc_render_display(&img, &plane, aOut), QC_ERR_RANGE);
    assert_true(aOut[0] == -7.0f);
  }
}

/* NaN samples render as 0 with a window (qc.h). */
static void test_qc_render_window_nan_sample_renders_0(void **state)
{
  float a[2] = {NAN, 300.0f};
  float aOut[2];
  struct qc_image img = window_image(128.0, 256.0);
  struct qc_plane plane = {a, 2, 1};

  (void)state;
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_OK);
  assert_true(aOut[0] == 0.0f && aOut[1] == 255.0f);
}

/* Without a window, 0..99 (100 samples) has p01 = 0.99 and p99 = 98.01
 * by numpy's rule; the output is (x - 0.99) / 97.02 * 255 clamped, so 0
 * and 99 clamp and 50 maps to (50 - 0.99) / 97.02 * 255. */
static void test_qc_render_auto_ramp_maps_percentiles(void **state)
{
  float a[100], aOut[100];
  struct qc_image img = {0};
  struct qc_plane plane = {a, 10, 10};
  int i;

  (void)state;
  for(i = 0; i < 100; i++) {
    a[i] = (float)i;
  }
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_OK);
  assert_true(aOut[0] == 0.0f && aOut[99] == 255.0f);
  assert_close(aOut[50], (50.0 - 0.99) / (98.01 - 0.99) * 255.0, PIXEL_TOL);
  for(i = 1; i < 100; i++) {
    assert_true(aOut[i] >= aOut[i - 1]);
  }
}

/* Without a window a constant plane has p01 == p99: no contrast to map,
 * QC_ERR_RANGE (qc.h), and the output is left alone.  So is a plane with
 * outliers that leave both percentiles on one value: of 1000 samples p01
 * interpolates ranks 9 and 10 and p99 ranks 989 and 990 (numpy's rule), so
 * 9 low and 9 high outliers around 982 equal samples give p01 = p99. */
static void test_qc_render_auto_constant_plane_returns_RANGE(void **state)
{
  float a[1000], aOut[1000];
  struct qc_image img = {0};
  struct qc_plane plane = {a, 40, 25};
  int i;

  (void)state;
  for(i = 0; i < 1000; i++) {
    a[i] = 42.0f;
    aOut[i] = -7.0f;
  }
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_ERR_RANGE);
  for(i = 0; i < 9; i++) {
    a[100 * i] = 0.0f;
    a[100 * i + 50] = 1000.0f;
  }
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_ERR_RANGE);
  assert_true(aOut[0] == -7.0f && aOut[999] == -7.0f);
  a[999] = 1000.0f; /* A tenth high outlier moves p99 off 42 */
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_OK);
}

/* Without a window a NaN sample leaves no order to take percentiles of:
 * QC_ERR_RANGE. */
static void test_qc_render_auto_nan_sample_returns_RANGE(void **state)
{
  float a[4] = {1, 2, NAN, 4};
  float aOut[4];
  struct qc_image img = {0};
  struct qc_plane plane = {a, 2, 2};

  (void)state;
  assert_int_equal(qc_render_display(&img, &plane, aOut), QC_ERR_RANGE);
}

static void test_qc_render_bad_args_return_status(void **state)
{
  float a[4] = {1, 2, 3, 4};
  float aOut[4];
  struct qc_image img = window_image(2.0, 4.0);
  struct qc_plane plane = {a, 2, 2};
  struct qc_plane empty = {a, 0, 2};
  struct qc_plane noData = {NULL, 2, 2};

  (void)state;
  assert_int_equal(qc_render_display(NULL, &plane, aOut), QC_ERR_MISUSE);
  assert_int_equal(qc_render_display(&img, NULL, aOut), QC_ERR_MISUSE);
  assert_int_equal(qc_render_display(&img, &plane, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_render_display(&img, &noData, aOut), QC_ERR_MISUSE);
  assert_int_equal(qc_render_display(&img, &empty, aOut), QC_ERR_RANGE);
}

/* ---- qc_render_model_input ------------------------------------------ */

/* A one-frame image holding a copy of nChannels-sample plane a. */
static struct qc_image *image_of(const float *a, int32_t nWidth,
                                 int32_t nHeight, int32_t nChannels,
                                 int32_t bitsStored)
{
  struct qc_image *p = qc_image_new(nWidth, nHeight, nChannels, 1);

  assert_non_null(p);
  memcpy(p->aPixel, a,
         (size_t)nWidth * (size_t)nHeight * (size_t)nChannels * sizeof(float));
  p->bitsStored = bitsStored;
  return p;
}

/* Reference: tests/reference/data/gray8_rgb8_64x48.f32, OpenCV's
 * cvtColor(COLOR_RGB2GRAY) of the uint8 image rgb8_64x48 (random colours
 * plus black, white, the primaries and near-ties), cross-checked in the
 * script with the 15-bit fixed-point formula.  Tolerance: none (integers). */
static void test_qc_render_model_input_rgb8_matches_opencv(void **state)
{
  struct tu_plane x;
  struct qc_image *pImg;
  float *aRef, *aOut;
  size_t i, n;
  int isDisplay = -1;

  (void)state;
  tu_plane_load("rgb8_64x48", 3, &x);
  n = (size_t)x.nWidth * (size_t)x.nHeight;
  aRef = tu_read_f32("gray8_rgb8_64x48", n);
  aOut = malloc(n * sizeof(float));
  assert_non_null(aOut);
  pImg = image_of(x.a, x.nWidth, x.nHeight, 3, 8);
  assert_int_equal(qc_render_model_input(pImg, 0, aOut, &isDisplay), QC_OK);
  assert_int_equal(isDisplay, 0);
  for(i = 0; i < n; i++) {
    if(aOut[i] != aRef[i]) {
      fail_msg("pixel %zu: got %g, OpenCV %g", i, aOut[i], aRef[i]);
    }
  }
  qc_image_free(pImg);
  free(aOut);
  free(aRef);
  free(x.a);
}

/* An 8-bit grey picture without a window is scored as it is; with a
 * window, with a rescale that leaves fractions, or with 12 bits it goes
 * through qc_render_display() (compared against a direct call). */
static void test_qc_render_model_input_grey_rule(void **state)
{
  float a[6] = {0, 17, 128, 200, 254, 255};
  float aFrac[6] = {0.5f, 17, 128, 200, 254, 255};
  float aOut[6], aWant[6];
  struct qc_plane plane = {a, 3, 2};
  struct qc_plane planeFrac = {aFrac, 3, 2};
  struct qc_image *pImg = image_of(a, 3, 2, 1, 8);
  size_t i;
  int isDisplay = -1;

  (void)state;
  assert_int_equal(qc_render_model_input(pImg, 0, aOut, &isDisplay), QC_OK);
  assert_int_equal(isDisplay, 0);
  for(i = 0; i < 6; i++) {
    assert_true(aOut[i] == a[i]);
  }
  /* With a window. */
  pImg->hasWindow = 1;
  pImg->windowCenter = 100.0;
  pImg->windowWidth = 50.0;
  assert_int_equal(qc_render_display(pImg, &plane, aWant), QC_OK);
  isDisplay = -1;
  assert_int_equal(qc_render_model_input(pImg, 0, aOut, &isDisplay), QC_OK);
  assert_int_equal(isDisplay, 1);
  assert_memory_equal(aOut, aWant, sizeof(aOut));
  assert_true(aOut[1] == 0.0f && aOut[3] == 255.0f);
  /* 12 bits, no window: the robust window. */
  pImg->hasWindow = 0;
  pImg->bitsStored = 12;
  assert_int_equal(qc_render_display(pImg, &plane, aWant), QC_OK);
  isDisplay = -1;
  assert_int_equal(qc_render_model_input(pImg, 0, aOut, &isDisplay), QC_OK);
  assert_int_equal(isDisplay, 1);
  assert_memory_equal(aOut, aWant, sizeof(aOut));
  assert_true(aOut[0] == 0.0f && aOut[5] == 255.0f);
  qc_image_free(pImg);
  /* 8 bits but not integers 0..255 (a rescale): rendered too. */
  pImg = image_of(aFrac, 3, 2, 1, 8);
  assert_int_equal(qc_render_display(pImg, &planeFrac, aWant), QC_OK);
  isDisplay = -1;
  assert_int_equal(qc_render_model_input(pImg, 0, aOut, &isDisplay), QC_OK);
  assert_int_equal(isDisplay, 1);
  assert_memory_equal(aOut, aWant, sizeof(aOut));
  assert_true(aOut[0] == 0.0f);
  qc_image_free(pImg);
}

static void test_qc_render_model_input_bad_args_return_status(void **state)
{
  float a[4] = {1, 1, 1, 1};
  float aOut[4];
  struct qc_image *pImg = image_of(a, 2, 2, 1, 12);

  (void)state;
  assert_int_equal(qc_render_model_input(NULL, 0, aOut, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_render_model_input(pImg, 1, aOut, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_render_model_input(pImg, 0, NULL, NULL), QC_ERR_MISUSE);
  /* A constant 12-bit plane has no robust window. */
  assert_int_equal(qc_render_model_input(pImg, 0, aOut, NULL), QC_ERR_RANGE);
  qc_image_free(pImg);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qc_render_window_matches_pydicom_reference),
      cmocka_unit_test(test_qc_render_auto_matches_skimage_reference),
      cmocka_unit_test(test_qc_render_window_128_256_is_identity),
      cmocka_unit_test(test_qc_render_window_width_1_is_step),
      cmocka_unit_test(test_qc_render_window_bad_width_returns_RANGE),
      cmocka_unit_test(test_qc_render_window_nan_sample_renders_0),
      cmocka_unit_test(test_qc_render_auto_ramp_maps_percentiles),
      cmocka_unit_test(test_qc_render_auto_constant_plane_returns_RANGE),
      cmocka_unit_test(test_qc_render_auto_nan_sample_returns_RANGE),
      cmocka_unit_test(test_qc_render_bad_args_return_status),
      cmocka_unit_test(test_qc_render_model_input_rgb8_matches_opencv),
      cmocka_unit_test(test_qc_render_model_input_grey_rule),
      cmocka_unit_test(test_qc_render_model_input_bad_args_return_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
