/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_xray.c - unit tests of qc/xray.c (qc_xray_measure).
 *
 * Reference values come from tests/reference/make_xray_reference.py, an
 * independent numpy / SciPy transcription of the definitions in
 * qc/xray.c's head (numpy.percentile and numpy.median,
 * scipy.ndimage.correlate for Immerkaer's mask,
 * scipy.ndimage.gaussian_filter(order=...) for the gradients), on
 * seeded X-ray-like planes in tests/reference/data/xray_*.f32: plain
 * anatomy, a black shutter band with burnt-in text and a bright band,
 * clipping at the detector maximum, a blurred copy, a constant plane, and
 * a 530 x 600 plane (s > 1) that this file rebuilds by the script's
 * integer arithmetic.  Each plane is measured without header indices,
 * with a target level (diSource 3), with EI and EI_T (2) and with DI (1).
 * Then the responses the X-ray profile relies on (blur lowers sharpness,
 * noise raises noisePercent, clipping raises saturatedFraction), an RGB
 * frame measured on its luminance, and bad input.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

#define XRAY_TSV "xray_reference.tsv"

/* A grey 12-bit image (detector 0..4095) holding the w x h samples a. */
static struct qc_image *make_image(const float *a, int32_t w, int32_t h)
{
  struct qc_image *p = qc_image_new(w, h, 1, 1);

  assert_non_null(p);
  memcpy(p->aPixel, a, (size_t)w * (size_t)h * sizeof(float));
  p->bitsStored = 12;
  p->detectorMin = 0.0;
  p->detectorMax = 4095.0;
  return p;
}

/* The script's formula_plane(530, 600), same arithmetic in double. */
static float *formula_plane(int32_t w, int32_t h)
{
  float *a = malloc((size_t)w * (size_t)h * sizeof(float));
  int32_t i, j;

  assert_non_null(a);
  for(i = 0; i < h; i++) {
    for(j = 0; j < w; j++) {
      double u = (j - w / 2.0) / (0.55 * w);
      double v = 2600.0 - 900.0 * (u * u);
      double ex = (j - 0.3 * w) / (0.16 * w);
      double ey = (i - 0.45 * h) / (0.3 * h);
      uint64_t k = ((uint64_t)i * (uint64_t)w + (uint64_t)j) * 2654435761u %
                   4294967296u;
      if(ex * ex + ey * ey < 1.0) {
        v -= 1000.0;
        if((i / 20) % 3 == 0) {
          v += 100.0;
        }
      }
      v += (double)((k >> 16) % 41) - 20.0;
      a[(size_t)i * (size_t)w + (size_t)j] =
          i < 30 ? 0.0f : (float)floor(v + 0.5);
    }
  }
  return a;
}

/* Loads reference plane zName (the formula plane is rebuilt). */
static struct qc_image *load_image(const char *zName)
{
  struct qc_image *p;

  if(strcmp(zName, "xray_formula") == 0) {
    int32_t w = (int32_t)tu_tsv(XRAY_TSV, zName, "width");
    int32_t h = (int32_t)tu_tsv(XRAY_TSV, zName, "height");
    float *a = formula_plane(w, h);
    p = make_image(a, w, h);
    free(a);
  } else {
    char zFile[256];
    struct tu_plane t;
    snprintf(zFile, sizeof(zFile), "%s.f32", zName);
    tu_plane_read(XRAY_TSV, zName, zFile, 1, &t);
    p = make_image(t.a, t.nWidth, t.nHeight);
    free(t.a);
  }
  return p;
}

/* Compares a measure with the TSV; NaN must be NaN.  Tolerance: relative
 * 1e-6, absolute 1e-12 near zero: the C code keeps the block sigmas and
 * the Gaussian row passes as floats (relative rounding 6e-8, the largest
 * difference seen is 2.5e-8), numpy works in float64 all through. */
static void check(double got, const char *zName, const char *zMetric)
{
  double want = tu_tsv(XRAY_TSV, zName, zMetric);

  if(isnan(want)) {
    if(!isnan(got)) {
      fail_msg("%s %s = %.17g, expected NaN", zName, zMetric, got);
    }
    return;
  }
  assert_close(got, want, 1e-12 + 1e-6 * fabs(want));
}

static const char *const azPlane[] = {"xray_plain",    "xray_shutter",
                                      "xray_clipped",  "xray_blur",
                                      "xray_constant", "xray_formula"};

/* Every field of every plane, without header and with a target. */
static void test_qc_xray_matches_numpy(void **state)
{
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(azPlane) / sizeof(azPlane[0]); i++) {
    const char *zName = azPlane[i];
    struct qc_image *p = load_image(zName);
    struct qc_meta meta;
    struct qc_xray o;
    char zCase[128];

    memset(&o, 0xff, sizeof(o));
    assert_int_equal(qc_xray_measure(p, 0, NULL, 0.0, &o), QC_OK);
    check(o.fieldFraction, zName, "fieldFraction");
    check(o.exposureLevel, zName, "exposureLevel");
    check(o.saturatedFraction, zName, "saturatedFraction");
    check(o.noisePercent, zName, "noisePercent");
    check(o.sharpness, zName, "sharpness");
    check(o.deviationIndex, zName, "deviationIndex");
    assert_int_equal(o.diSource, (int)tu_tsv(XRAY_TSV, zName, "diSource"));

    snprintf(zCase, sizeof(zCase), "%s_target", zName);
    assert_int_equal(qc_xray_measure(p, 0, NULL, 2500.0, &o), QC_OK);
    check(o.deviationIndex, zCase, "deviationIndex");
    assert_int_equal(o.diSource, (int)tu_tsv(XRAY_TSV, zCase, "diSource"));

    memset(&meta, 0, sizeof(meta));
    meta.hasExposureIndex = 1;
    meta.exposureIndex = 400.0;
    meta.hasTargetExposureIndex = 1;
    meta.targetExposureIndex = 250.0;
    snprintf(zCase, sizeof(zCase), "%s_ei", zName);
    assert_int_equal(qc_xray_measure(p, 0, &meta, 2500.0, &o), QC_OK);
    check(o.deviationIndex, zCase, "deviationIndex");
    assert_int_equal(o.diSource, 2);

    meta.hasDeviationIndex = 1;
    meta.deviationIndex = -1.5;
    snprintf(zCase, sizeof(zCase), "%s_di", zName);
    assert_int_equal(qc_xray_measure(p, 0, &meta, 2500.0, &o), QC_OK);
    check(o.deviationIndex, zCase, "deviationIndex");
    assert_int_equal(o.diSource, 1);
    qc_image_free(p);
  }
}

/* The shutter plane's field is the rectangle the script found. */
static void test_qc_xray_shutter_field(void **state)
{
  struct qc_image *p = load_image("xray_shutter");
  double t = tu_tsv(XRAY_TSV, "xray_shutter", "field_top");
  double b = tu_tsv(XRAY_TSV, "xray_shutter", "field_bottom");
  double l = tu_tsv(XRAY_TSV, "xray_shutter", "field_left");
  double r = tu_tsv(XRAY_TSV, "xray_shutter", "field_right");
  struct qc_xray o;

  (void)state;
  assert_true(t >= 14.0 && b <= 95.0 && l >= 3.0); /* Bands removed */
  assert_int_equal(qc_xray_measure(p, 0, NULL, 0.0, &o), QC_OK);
  assert_close(o.fieldFraction, (b - t) * (r - l) / (90.0 * 100.0), 1e-12);
  qc_image_free(p);
}

/* Blurring lowers sharpness; adding noise raises noisePercent and barely
 * moves sharpness (the noise correction); gain with clipping raises
 * saturatedFraction and the estimated DI.  Directions, not values. */
static void test_qc_xray_responses(void **state)
{
  struct qc_image *p = load_image("xray_plain");
  struct qc_image *q = load_image("xray_plain");
  size_t n = (size_t)p->nWidth * (size_t)p->nHeight, i;
  uint64_t seed = 77;
  struct qc_xray o0, o1;

  (void)state;
  assert_int_equal(qc_xray_measure(p, 0, NULL, 2500.0, &o0), QC_OK);
  for(i = 0; i < n; i++) { /* Noise of sd about 60 (Irwin-Hall, 12 terms) */
    double z = -6.0;
    int k;
    for(k = 0; k < 12; k++) {
      z += tu_rand_unit(&seed);
    }
    q->aPixel[i] = (float)floor(p->aPixel[i] + 60.0 * z + 0.5);
  }
  assert_int_equal(qc_xray_measure(q, 0, NULL, 2500.0, &o1), QC_OK);
  assert_true(o1.noisePercent > 3.0 * o0.noisePercent);
  assert_true(fabs(o1.sharpness - o0.sharpness) < 0.15 * o0.sharpness);
  for(i = 0; i < n; i++) {
    q->aPixel[i] = fminf(4095.0f, p->aPixel[i] * 1.75f);
  }
  assert_int_equal(qc_xray_measure(q, 0, NULL, 2500.0, &o1), QC_OK);
  assert_true(o1.saturatedFraction > 0.2);
  assert_true(o1.deviationIndex > o0.deviationIndex + 1.0);
  qc_image_free(q);

  q = load_image("xray_blur");
  assert_int_equal(qc_xray_measure(q, 0, NULL, 0.0, &o1), QC_OK);
  assert_true(o1.sharpness < o0.sharpness);
  assert_true(o1.noisePercent < o0.noisePercent);
  qc_image_free(q);
  qc_image_free(p);
}

/* An RGB frame with equal channels measures as the grey frame; frame 1
 * of a two-frame image is measured, not frame 0. */
static void test_qc_xray_rgb_and_frames(void **state)
{
  struct qc_image *p = load_image("xray_shutter");
  int32_t w = p->nWidth, h = p->nHeight;
  size_t n = (size_t)w * (size_t)h, i;
  struct qc_image *c = qc_image_new(w, h, 3, 1);
  struct qc_image *f = qc_image_new(w, h, 1, 2);
  struct qc_xray o0, o1;

  (void)state;
  assert_non_null(c);
  assert_non_null(f);
  c->detectorMax = f->detectorMax = 4095.0;
  for(i = 0; i < n; i++) {
    c->aPixel[3 * i] = c->aPixel[3 * i + 1] = c->aPixel[3 * i + 2] =
        p->aPixel[i];
    f->aPixel[n + i] = p->aPixel[i];
  }
  assert_int_equal(qc_xray_measure(p, 0, NULL, 0.0, &o0), QC_OK);
  assert_int_equal(qc_xray_measure(c, 0, NULL, 0.0, &o1), QC_OK);
  assert_close(o1.sharpness, o0.sharpness, 1e-4 * o0.sharpness);
  assert_close(o1.fieldFraction, o0.fieldFraction, 0.0);
  assert_int_equal(qc_xray_measure(f, 1, NULL, 0.0, &o1), QC_OK);
  assert_close(o1.sharpness, o0.sharpness, 0.0);
  assert_close(o1.noisePercent, o0.noisePercent, 0.0);
  assert_int_equal(qc_xray_measure(f, 2, NULL, 0.0, &o1), QC_ERR_MISUSE);
  qc_image_free(c);
  qc_image_free(f);
  qc_image_free(p);
}

/* NULL, too small, non-finite samples; *pOut untouched on failure. */
static void test_qc_xray_bad_input(void **state)
{
  struct qc_image *p = load_image("xray_plain");
  struct qc_image *s = qc_image_new(15, 40, 1, 1);
  struct qc_xray o, sentinel;

  (void)state;
  memset(&sentinel, 0x5a, sizeof(sentinel));
  o = sentinel;
  assert_non_null(s);
  assert_int_equal(qc_xray_measure(NULL, 0, NULL, 0.0, &o), QC_ERR_MISUSE);
  assert_int_equal(qc_xray_measure(p, 0, NULL, 0.0, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_xray_measure(p, -1, NULL, 0.0, &o), QC_ERR_MISUSE);
  assert_int_equal(qc_xray_measure(s, 0, NULL, 0.0, &o), QC_ERR_RANGE);
  p->aPixel[500] = NAN;
  assert_int_equal(qc_xray_measure(p, 0, NULL, 0.0, &o), QC_ERR_RANGE);
  p->aPixel[500] = INFINITY;
  assert_int_equal(qc_xray_measure(p, 0, NULL, 0.0, &o), QC_ERR_RANGE);
  assert_memory_equal(&o, &sentinel, sizeof(o));
  qc_image_free(s);
  qc_image_free(p);
}

/* A constant frame at the detector minimum: whole field, all saturated,
 * no level, no DI even with a target, no noise, no sharpness. */
static void test_qc_xray_constant_at_minimum(void **state)
{
  struct qc_image *p = qc_image_new(16, 16, 1, 1);
  struct qc_xray o;

  (void)state;
  assert_non_null(p);
  p->detectorMax = 4095.0;
  assert_int_equal(qc_xray_measure(p, 0, NULL, 2000.0, &o), QC_OK);
  assert_close(o.fieldFraction, 1.0, 0.0);
  assert_close(o.saturatedFraction, 1.0, 0.0);
  assert_true(isnan(o.exposureLevel));
  assert_true(isnan(o.deviationIndex));
  assert_int_equal(o.diSource, 0);
  assert_true(isnan(o.noisePercent));
  assert_true(isnan(o.sharpness));
  qc_image_free(p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qc_xray_matches_numpy),
      cmocka_unit_test(test_qc_xray_shutter_field),
      cmocka_unit_test(test_qc_xray_responses),
      cmocka_unit_test(test_qc_xray_rgb_and_frames),
      cmocka_unit_test(test_qc_xray_bad_input),
      cmocka_unit_test(test_qc_xray_constant_at_minimum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
