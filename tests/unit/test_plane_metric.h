/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_plane_metric.h - the checks every 3x3-kernel plane metric of qc/
 * shares (int f(const struct qc_plane *, double *): qc_noise_immerkaer(),
 * qc_sharpness_laplacian_var()): equal to a naive loop on seeded random
 * planes, exactly 0 on a constant plane, and the argument rules of
 * qc_plane_interior() (too small or non-finite: QC_ERR_RANGE; NULL:
 * QC_ERR_MISUSE; the output untouched on failure).  Each test file keeps
 * what is its own: the reference planes and the closed-form values.
 * Include after test_util.h and qc_int.h.
 */
#ifndef DICOMQC_TEST_PLANE_METRIC_H
#define DICOMQC_TEST_PLANE_METRIC_H

/* The metric under test, and a naive loop computing the same value. */
typedef int (*tpm_metric)(const struct qc_plane *pPlane, double *pOut);
typedef double (*tpm_naive)(const float *a, int w, int h);

/* xMetric against xNaive on seeded uniform planes (values offset ..
 * offset + scale) of several sizes including the 3x3 minimum; tolerance
 * 1e-12 relative: the same terms, associated differently. */
static inline void tpm_matches_naive(tpm_metric xMetric, tpm_naive xNaive,
                                     double scale, double offset,
                                     uint64_t seed)
{
  static const int aSize[][2] = {{3, 3},   {4, 3},   {3, 8},   {3, 9},  {9, 3},
                                 {37, 23}, {41, 29}, {128, 5}, {200, 6}};
  size_t k;

  for(k = 0; k < sizeof(aSize) / sizeof(aSize[0]); k++) {
    int w = aSize[k][0], h = aSize[k][1];
    float *a = malloc((size_t)w * (size_t)h * sizeof(float));
    struct qc_plane plane = {a, w, h};
    double out = -1.0, ref;
    int i;
    assert_non_null(a);
    for(i = 0; i < w * h; i++) {
      a[i] = (float)(scale * tu_rand_unit(&seed) + offset);
    }
    ref = xNaive(a, w, h);
    assert_int_equal(xMetric(&plane, &out), QC_OK);
    assert_close(out, ref, 1e-12 * ref);
    free(a);
  }
}

/* A constant plane (not 0, with a fraction) gives exactly 0. */
static inline void tpm_constant_is_zero(tpm_metric xMetric)
{
  float a[9 * 7];
  struct qc_plane plane = {a, 9, 7};
  double out = -1.0;
  size_t i;

  for(i = 0; i < 9 * 7; i++) {
    a[i] = 123.25f;
  }
  assert_int_equal(xMetric(&plane, &out), QC_OK);
  assert_true(out == 0.0);
}

/* Planes the 3x3 kernel does not fit (qc.h: W, H >= 3), a non-finite
 * sample, NULL arguments: refused, the output untouched. */
static inline void tpm_bad_arguments_refused(tpm_metric xMetric)
{
  static const int32_t aSize[][2] = {{2, 5}, {5, 2}, {1, 1}, {2, 2},  {1, 9},
                                     {0, 5}, {5, 0}, {0, 0}, {-3, 4}, {4, -1}};
  static const float aBad[] = {INFINITY, -INFINITY, NAN};
  float a[25] = {0};
  struct qc_plane plane = {a, 4, 4};
  struct qc_plane noData = {NULL, 4, 4};
  double out = -1.0;
  size_t i;

  for(i = 0; i < sizeof(aSize) / sizeof(aSize[0]); i++) {
    struct qc_plane small = {a, aSize[i][0], aSize[i][1]};
    assert_int_equal(xMetric(&small, &out), QC_ERR_RANGE);
  }
  for(i = 0; i < sizeof(aBad) / sizeof(aBad[0]); i++) {
    a[5] = aBad[i];
    assert_int_equal(xMetric(&plane, &out), QC_ERR_RANGE);
  }
  a[5] = 0.0f;
  assert_int_equal(xMetric(NULL, &out), QC_ERR_MISUSE);
  assert_int_equal(xMetric(&plane, NULL), QC_ERR_MISUSE);
  assert_int_equal(xMetric(&noData, &out), QC_ERR_MISUSE);
  assert_true(out == -1.0);
}

#endif /* DICOMQC_TEST_PLANE_METRIC_H */
