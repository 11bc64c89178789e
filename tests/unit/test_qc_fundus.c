/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_fundus.c - unit tests of qc/fundus.c (qc_fundus_measure).
 *
 * Every measure is compared with the numpy / SciPy / scikit-image
 * transcription in tests/reference/make_fundus_reference.py on three
 * RGB images (a synthetic fundus on a black surround, a bluish frame with
 * no surround, a dim noisy disc cut by the frame: fundus_reference.tsv and
 * data/fundus_*.f32).  Then cases whose answer follows from the
 * definitions (a grey image equals its RGB copy, a constant image, an
 * all-black image has no field) and bad input: NULL, a bad frame or
 * channel count, an image under 32x32, a NaN sample.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "test_images.h"

#include "qc_int.h"

static const char *const azCase[] = {
    "fundus_synth_72x64", "fundus_external_64x48", "fundus_dark_80x40"};

/* Loads reference case zName as a one-frame RGB image. */
static struct qc_image *load_case(const char *zName)
{
  struct tu_plane p;
  char zFile[256];
  struct qc_image *pImg;

  assert_true((size_t)snprintf(zFile, sizeof(zFile), "%s.f32", zName) <
              sizeof(zFile));
  tu_plane_read("fundus_reference.tsv", zName, zFile, 3, &p);
  pImg = qc_image_new(p.nWidth, p.nHeight, 3, 1);
  assert_non_null(pImg);
  memcpy(pImg->aPixel, p.a, (size_t)p.nWidth * p.nHeight * 3 * sizeof(float));
  free(p.a);
  return pImg;
}

/* Compares one measure with the TSV (NaN must match NaN). */
static void check(const char *zName, const char *zMetric, double v,
                  double rtol)
{
  double e = tu_tsv("fundus_reference.tsv", zName, zMetric);
  if(isnan(e)) {
    if(!isnan(v)) {
      fail_msg("%s %s: %.17g, expected NaN", zName, zMetric, v);
    }
    return;
  }
  if(!(fabs(v - e) <= rtol * fmax(1.0, fabs(e)))) {
    fail_msg("%s %s: %.17g, expected %.17g", zName, zMetric, v, e);
  }
}

static void test_qc_fundus_matches_reference(void **state)
{
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(azCase) / sizeof(azCase[0]); i++) {
    struct qc_image *pImg = load_case(azCase[i]);
    struct qc_fundus f;
    assert_int_equal(qc_fundus_measure(pImg, 0, &f), QC_OK);
    check(azCase[i], "fovFraction", f.fovFraction, 1e-12);
    check(azCase[i], "fovRoundness", f.fovRoundness, 1e-9);
    check(azCase[i], "focus", f.focus, 1e-5);
    check(azCase[i], "meanLevel", f.meanLevel, 1e-9);
    check(azCase[i], "underFraction", f.underFraction, 1e-12);
    check(azCase[i], "overFraction", f.overFraction, 1e-12);
    check(azCase[i], "nonUniformity", f.nonUniformity, 1e-7);
    check(azCase[i], "contrast", f.contrast, 1e-9);
    check(azCase[i], "fundusLikeness", f.fundusLikeness, 1e-7);
    check(azCase[i], "noiseSigma", f.noiseSigma, 1e-7);
    check(azCase[i], "sharpRatio", f.sharpRatio, 1e-6);
    qc_image_free(pImg);
  }
}

/* pIn with each pixel repeated k x k (a photograph taken at k times the
 * resolution, as the reference script makes it). */
static struct qc_image *repeat(const struct qc_image *pIn, int32_t k)
{
  struct qc_image *p =
      qc_image_new(pIn->nWidth * k, pIn->nHeight * k, pIn->nChannels, 1);
  int32_t x, y, c;

  assert_non_null(p);
  for(y = 0; y < p->nHeight; y++) {
    for(x = 0; x < p->nWidth; x++) {
      for(c = 0; c < p->nChannels; c++) {
        p->aPixel[((size_t)y * p->nWidth + x) * p->nChannels + c] =
            pIn->aPixel[((size_t)(y / k) * pIn->nWidth + x / k) *
                            pIn->nChannels +
                        c];
      }
    }
  }
  return p;
}

/* A photograph over 1140 pixels (s >= 2) has its gradient measures taken
 * on the box-averaged plane: every measure as the reference computes it. */
static void test_qc_fundus_large_photograph(void **state)
{
  struct qc_image *pSmall = load_case("fundus_synth_72x64");
  struct qc_image *p18 = repeat(pSmall, 18);
  struct qc_fundus f18;

  (void)state;
  assert_int_equal(qc_fundus_measure(p18, 0, &f18), QC_OK);
  check("fundus_synth_x18", "fovFraction", f18.fovFraction, 1e-12);
  check("fundus_synth_x18", "fovRoundness", f18.fovRoundness, 1e-9);
  check("fundus_synth_x18", "focus", f18.focus, 1e-5);
  check("fundus_synth_x18", "meanLevel", f18.meanLevel, 1e-9);
  check("fundus_synth_x18", "nonUniformity", f18.nonUniformity, 1e-7);
  check("fundus_synth_x18", "noiseSigma", f18.noiseSigma, 1e-7);
  check("fundus_synth_x18", "sharpRatio", f18.sharpRatio, 1e-6);
  check("fundus_synth_x18", "fundusLikeness", f18.fundusLikeness, 1e-7);
  qc_image_free(pSmall);
  qc_image_free(p18);
}

/* Resolution does not change focus or the sharpness ratio: a real DRIMDB
 * photograph (760 x 570, ../shared/data/train; skipped without it) and
 * the same photograph with each pixel repeated 2 x 2 and 5 x 5 (as a
 * camera of 4 or 25 times the pixels would take it).  Measured: focus
 * 1.4831 at x 1, 1.4829 at x 2 and x 5; ratio 2.8555, 2.8568, 2.8570. */
static void test_qc_fundus_resolution_invariance(void **state)
{
  struct qc_image *pImg = tu_train_image("fundus/622001d776f6.dcm");
  struct qc_fundus r1, rk;

  (void)state;
  assert_int_equal(qc_fundus_measure(pImg, 0, &r1), QC_OK);
  for(int32_t k = 2; k <= 5; k += 3) {
    struct qc_image *pBig = repeat(pImg, k);
    assert_int_equal(qc_fundus_measure(pBig, 0, &rk), QC_OK);
    print_message("x%d: focus %.4f (x1 %.4f), ratio %.4f (x1 %.4f)\n", (int)k,
                  rk.focus, r1.focus, rk.sharpRatio, r1.sharpRatio);
    assert_close_rel(rk.focus, r1.focus, 0.02);
    assert_close_rel(rk.sharpRatio, r1.sharpRatio, 0.03);
    qc_image_free(pBig);
  }
  qc_image_free(pImg);
}

/* The synthetic fundus looks like one; the bluish frame does not. */
static void test_qc_fundus_likeness_orders_cases(void **state)
{
  struct qc_image *pA = load_case("fundus_synth_72x64");
  struct qc_image *pB = load_case("fundus_external_64x48");
  struct qc_fundus a, b;

  (void)state;
  assert_int_equal(qc_fundus_measure(pA, 0, &a), QC_OK);
  assert_int_equal(qc_fundus_measure(pB, 0, &b), QC_OK);
  assert_true(a.fundusLikeness > 0.9);
  assert_true(b.fundusLikeness < 0.1);
  qc_image_free(pA);
  qc_image_free(pB);
}

/* A grey image is measured as R = G = B: same values as its RGB copy. */
static void test_qc_fundus_grey_equals_rgb_copy(void **state)
{
  struct qc_image *pRgb = load_case("fundus_synth_72x64");
  struct qc_image *pGrey, *pRgb2;
  struct qc_fundus a, b;
  size_t i, n = (size_t)pRgb->nWidth * pRgb->nHeight;

  (void)state;
  pGrey = qc_image_new(pRgb->nWidth, pRgb->nHeight, 1, 1);
  pRgb2 = qc_image_new(pRgb->nWidth, pRgb->nHeight, 3, 1);
  assert_non_null(pGrey);
  assert_non_null(pRgb2);
  for(i = 0; i < n; i++) {
    float g = pRgb->aPixel[3 * i + 1];
    pGrey->aPixel[i] = g;
    pRgb2->aPixel[3 * i] = pRgb2->aPixel[3 * i + 1] =
        pRgb2->aPixel[3 * i + 2] = g;
  }
  assert_int_equal(qc_fundus_measure(pGrey, 0, &a), QC_OK);
  assert_int_equal(qc_fundus_measure(pRgb2, 0, &b), QC_OK);
  assert_memory_equal(&a, &b, sizeof(a));
  qc_image_free(pRgb);
  qc_image_free(pGrey);
  qc_image_free(pRgb2);
}

/* A constant image: the whole frame is the field, flat and sharp-less. */
static void test_qc_fundus_constant_image(void **state)
{
  struct qc_image *pImg = qc_image_new(40, 36, 3, 1);
  struct qc_fundus f;
  size_t i;

  (void)state;
  assert_non_null(pImg);
  for(i = 0; i < 40 * 36; i++) {
    pImg->aPixel[3 * i] = 100.0f;
    pImg->aPixel[3 * i + 1] = 50.0f;
    pImg->aPixel[3 * i + 2] = 10.0f;
  }
  assert_int_equal(qc_fundus_measure(pImg, 0, &f), QC_OK);
  assert_close(f.fovFraction, 1.0, 0.0);
  assert_close(f.meanLevel, 0.299 * 100 + 0.587 * 50 + 0.114 * 10, 1e-4);
  assert_close(f.focus, 0.0, 1e-9);
  assert_close(f.noiseSigma, 0.0, 1e-9);
  assert_true(isnan(f.sharpRatio)); /* no edge energy at any scale */
  assert_close(f.contrast, 0.0, 1e-12);
  assert_close(f.underFraction, 0.0, 0.0);
  assert_close(f.overFraction, 0.0, 0.0);
  /* 30x26 eroded field, cells of 3 px: 100 cells, all equal */
  assert_close(f.nonUniformity, 0.0, 1e-12);
  qc_image_free(pImg);
}

/* An all-black frame has no lit field: fovFraction 0, likeness 0. */
static void test_qc_fundus_black_image_has_no_field(void **state)
{
  struct qc_image *pImg = qc_image_new(48, 40, 3, 1);
  struct qc_fundus f;

  (void)state;
  assert_non_null(pImg);
  assert_int_equal(qc_fundus_measure(pImg, 0, &f), QC_OK);
  assert_close(f.fovFraction, 0.0, 0.0);
  assert_close(f.fundusLikeness, 0.0, 0.0);
  assert_true(isnan(f.focus) && isnan(f.meanLevel) && isnan(f.fovRoundness));
  assert_true(isnan(f.sharpRatio));
  qc_image_free(pImg);
}

static void test_qc_fundus_bad_input(void **state)
{
  struct qc_image *pImg = qc_image_new(48, 40, 3, 2);
  struct qc_image *pSmall = qc_image_new(31, 40, 3, 1);
  struct qc_fundus f, f0;

  (void)state;
  assert_non_null(pImg);
  assert_non_null(pSmall);
  memset(&f0, 0x5a, sizeof(f0));
  f = f0;
  assert_int_equal(qc_fundus_measure(NULL, 0, &f), QC_ERR_MISUSE);
  assert_int_equal(qc_fundus_measure(pImg, 0, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_fundus_measure(pImg, 2, &f), QC_ERR_MISUSE);
  assert_int_equal(qc_fundus_measure(pImg, -1, &f), QC_ERR_MISUSE);
  assert_int_equal(qc_fundus_measure(pSmall, 0, &f), QC_ERR_RANGE);
  pImg->aPixel[48 * 40 * 3 + 7] = NAN; /* frame 1 */
  assert_int_equal(qc_fundus_measure(pImg, 1, &f), QC_ERR_RANGE);
  pImg->aPixel[5] = INFINITY;
  assert_int_equal(qc_fundus_measure(pImg, 0, &f), QC_ERR_RANGE);
  assert_memory_equal(&f, &f0, sizeof(f));
  qc_image_free(pImg);
  qc_image_free(pSmall);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qc_fundus_matches_reference),
      cmocka_unit_test(test_qc_fundus_large_photograph),
      cmocka_unit_test(test_qc_fundus_resolution_invariance),
      cmocka_unit_test(test_qc_fundus_likeness_orders_cases),
      cmocka_unit_test(test_qc_fundus_grey_equals_rgb_copy),
      cmocka_unit_test(test_qc_fundus_constant_image),
      cmocka_unit_test(test_qc_fundus_black_image_has_no_field),
      cmocka_unit_test(test_qc_fundus_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
