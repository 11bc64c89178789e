/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_mr.c - unit tests of qc/mr.c (qc_mr_measure).
 *
 * Reference values come from tests/reference/make_mr_reference.py, a
 * numpy / SciPy / scikit-image transcription of MRIQC's snr_dietrich,
 * gsr, efc, fber and artifact_mask + art_qi1 on one slice with the head
 * mask of qc/mr.c's file head, on synthetic slices: a clean head over
 * Rayleigh noise, the same ghosted along y and along x (unknown, ROW and
 * COL axes), a quantised slice with a perfectly constant background (the
 * quantisation floors), a signed float slice (|x| in efc and fber) and a
 * slice with bright streaks in the air (qi1 > 0, a single hot pixel
 * removed by the opening).  Then bad input: NULL, a bad axis, planes
 * under 16x16, NaN and infinite samples, a constant plane, a plane with
 * no background.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "test_images.h"

#include "qc_int.h"

#define TSV "mr_reference.tsv"

struct mr_case {
  const char *zName; /* Row name in the TSV */
  const char *zFile; /* data/<zFile>.f32 */
};

static const struct mr_case aCase[] = {
    {"mr_clean_96x80", "mr_clean_96x80"},
    {"mr_ghosty_96x80", "mr_ghosty_96x80"},
    {"mr_ghostx_96x80", "mr_ghostx_96x80"},
    {"mr_ghostx_row_96x80", "mr_ghostx_96x80"},
    {"mr_ghostx_col_96x80", "mr_ghostx_96x80"},
    {"mr_quant_96x80", "mr_quant_96x80"},
    {"mr_signed_96x80", "mr_signed_96x80"},
    {"mr_streaks_67x59", "mr_streaks_67x59"},
};

static void test_mr_reference(void **state)
{
  size_t k;

  (void)state;
  for(k = 0; k < sizeof(aCase) / sizeof(aCase[0]); k++) {
    const char *z = aCase[k].zName;
    char zFile[128];
    struct tu_plane p;
    struct qc_plane pl;
    struct qc_mr r;
    enum qc_axis axis = (enum qc_axis)(int)tu_tsv(TSV, z, "axis");

    snprintf(zFile, sizeof(zFile), "%s.f32", aCase[k].zFile);
    tu_plane_read(TSV, z, zFile, 1, &p);
    pl.a = p.a;
    pl.nWidth = p.nWidth;
    pl.nHeight = p.nHeight;
    memset(&r, 0, sizeof(r));
    assert_int_equal(qc_mr_measure(&pl, axis, &r), QC_OK);
    print_message("%s: fg %.4f snr %.3f gsr %.5f (axis %d) efc %.4f "
                  "fber %.1f qi1 %.5f\n",
                  z, r.foregroundFraction, r.snr, r.ghostRatio,
                  (int)r.ghostAxis, r.efc, r.fber, r.qi1);
    assert_close(r.foregroundFraction, tu_tsv(TSV, z, "foregroundFraction"),
                 1e-15);
    assert_close_rel(r.snr, tu_tsv(TSV, z, "snr"), 1e-9);
    assert_close(r.ghostRatio, tu_tsv(TSV, z, "ghostRatio"), 1e-10);
    assert_int_equal(r.ghostAxis, (int32_t)tu_tsv(TSV, z, "ghostAxis"));
    assert_close_rel(r.efc, tu_tsv(TSV, z, "efc"), 1e-10);
    assert_close_rel(r.fber, tu_tsv(TSV, z, "fber"), 1e-9);
    assert_close(r.qi1, tu_tsv(TSV, z, "qi1"), 1e-15);
    assert_close_rel(r.edgeEnergy, tu_tsv(TSV, z, "edgeEnergy"), 1e-9);
    free(p.a);
  }
}

/* a (w x h) with each sample repeated k x k, as a matrix interpolated k
 * times would hold it; free() it. */
static float *repeatPlane(const float *a, int32_t w, int32_t h, int32_t k)
{
  float *p = malloc((size_t)w * k * h * k * sizeof(float));
  assert_non_null(p);
  for(int32_t y = 0; y < h * k; y++) {
    for(int32_t x = 0; x < w * k; x++) {
      p[(size_t)y * w * k + x] = a[(size_t)(y / k) * w + x / k];
    }
  }
  return p;
}

/* A 672 x 560 slice (edge energy box-averaged by 2) as the reference
 * computes it: the clean slice, each pixel repeated 7 x 7. */
static void test_mr_large_slice(void **state)
{
  struct tu_plane p;
  struct qc_plane pl;
  struct qc_mr r;
  static const char *z = "mr_clean_x7";

  (void)state;
  tu_plane_read(TSV, "mr_clean_96x80", "mr_clean_96x80.f32", 1, &p);
  pl.a = repeatPlane(p.a, p.nWidth, p.nHeight, 7);
  pl.nWidth = p.nWidth * 7;
  pl.nHeight = p.nHeight * 7;
  assert_int_equal(pl.nWidth, (int32_t)tu_tsv(TSV, z, "width"));
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_UNKNOWN, &r), QC_OK);
  assert_close(r.foregroundFraction, tu_tsv(TSV, z, "foregroundFraction"),
               1e-15);
  assert_close_rel(r.snr, tu_tsv(TSV, z, "snr"), 1e-9);
  assert_close_rel(r.efc, tu_tsv(TSV, z, "efc"), 1e-9);
  assert_close_rel(r.fber, tu_tsv(TSV, z, "fber"), 1e-9);
  assert_close_rel(r.edgeEnergy, tu_tsv(TSV, z, "edgeEnergy"), 1e-9);
  free((float *)pl.a);
  free(p.a);
}

/* Resolution does not change the edge energy: a real training slice
 * (256 x 256, ../shared/data/train; skipped without it) and the same
 * slice with each pixel repeated 2 x 2 (512 x 512, as a scanner's
 * interpolated matrix).  Measured: 0.4082 and 0.4082. */
static void test_mr_edge_energy_resolution(void **state)
{
  struct qc_image *pImg = tu_train_image("mr/0e5396d8582d.dcm");
  struct qc_plane pl;
  struct qc_mr r1, r2;

  (void)state;
  pl.a = pImg->aPixel;
  pl.nWidth = pImg->nWidth;
  pl.nHeight = pImg->nHeight;
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_UNKNOWN, &r1), QC_OK);
  pl.a = repeatPlane(pImg->aPixel, pImg->nWidth, pImg->nHeight, 2);
  pl.nWidth *= 2;
  pl.nHeight *= 2;
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_UNKNOWN, &r2), QC_OK);
  print_message("edge energy %.4f at %dx%d, %.4f at twice that\n",
                r1.edgeEnergy, (int)pImg->nWidth, (int)pImg->nHeight,
                r2.edgeEnergy);
  assert_close_rel(r2.edgeEnergy, r1.edgeEnergy, 0.02);
  free((float *)pl.a);
  qc_image_free(pImg);
}

/* A 32x32 plane: a bright square on a constant background. */
static void fill_square(float *a, int32_t w, int32_t h)
{
  int32_t x, y;

  for(y = 0; y < h; y++) {
    for(x = 0; x < w; x++) {
      a[y * w + x] = (x >= 8 && x < 24 && y >= 8 && y < 24) ? 100.0f : 0.0f;
    }
  }
}

static void test_mr_square(void **state)
{
  float a[32 * 32];
  struct qc_plane pl = {a, 32, 32};
  struct qc_mr r;

  (void)state;
  fill_square(a, 32, 32);
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_UNKNOWN, &r), QC_OK);
  /* Background exactly 0, step 100: std floored at 100/sqrt(12). */
  assert_close(r.foregroundFraction, 256.0 / 1024.0, 1e-15);
  assert_close_rel(r.snr, 0.65513637756203355 * 100.0 / (100.0 / sqrt(12.0)),
                   1e-12);
  assert_close(r.ghostRatio, 0.0, 1e-15);
  assert_int_equal(r.ghostAxis, QC_AXIS_COL);
  /* efc of 256 equal values among 1024: sum = 256 (1/16) ln(1/16). */
  assert_close_rel(r.efc, 16.0 * log(1.0 / 16.0) / (32.0 * log(1.0 / 32.0)),
                   1e-12);
  assert_close_rel(r.fber, 10000.0 / (10000.0 / 12.0), 1e-12);
  assert_close(r.qi1, 0.0, 0.0);
}

static void test_mr_bad(void **state)
{
  float a[32 * 32];
  struct qc_plane pl = {a, 32, 32};
  struct qc_plane pSmall = {a, 15, 32};
  struct qc_mr r;
  size_t i;

  (void)state;
  fill_square(a, 32, 32);
  memset(&r, 0x5a, sizeof(r));
  assert_int_equal(qc_mr_measure(NULL, QC_AXIS_ROW, &r), QC_ERR_MISUSE);
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_ROW, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_mr_measure(&pl, (enum qc_axis)7, &r), QC_ERR_MISUSE);
  pl.a = NULL;
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_ROW, &r), QC_ERR_MISUSE);
  pl.a = a;
  assert_int_equal(qc_mr_measure(&pSmall, QC_AXIS_ROW, &r), QC_ERR_RANGE);
  a[40] = NAN;
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_ROW, &r), QC_ERR_RANGE);
  a[40] = INFINITY;
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_ROW, &r), QC_ERR_RANGE);
  for(i = 0; i < 32 * 32; i++) { /* Constant: no threshold */
    a[i] = 7.0f;
  }
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_ROW, &r), QC_ERR_RANGE);
  for(i = 0; i < 32 * 32; i++) { /* Head everywhere: no background */
    a[i] = (i % 2) ? 100.0f : 90.0f;
  }
  a[0] = 0.0f;
  assert_int_equal(qc_mr_measure(&pl, QC_AXIS_ROW, &r), QC_ERR_RANGE);
  {
    struct qc_mr z;
    memset(&z, 0x5a, sizeof(z));
    assert_memory_equal(&r, &z, sizeof(r)); /* Never written */
  }
}

int main(void)
{
  const struct CMUnitTest aTest[] = {
      cmocka_unit_test(test_mr_reference),
      cmocka_unit_test(test_mr_large_slice),
      cmocka_unit_test(test_mr_edge_energy_resolution),
      cmocka_unit_test(test_mr_square),
      cmocka_unit_test(test_mr_bad),
  };

  return cmocka_run_group_tests(aTest, NULL, NULL);
}
