/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_sharpness.c - unit tests of qc/sharpness.c, the variance of the
 * Laplacian.
 *
 * Focus: the value on the reference planes against OpenCV's Laplacian
 * (ksize=1) and numpy's var (tests/reference/make_qc_reference.py),
 * planes whose answer follows from arithmetic (constant and linear planes
 * give 0, an impulse gives 20/9), a naive loop as an oracle, and the
 * edges: planes too small for the 3x3 kernel, non-finite samples, NULL.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

#include "test_plane_metric.h"

/* Slow oracle: store every interior Laplacian (kernel as a 3x3 table),
 * then the population variance by the definition. */
static double naive_laplacian_var(const float *a, int w, int h)
{
  static const double K[3][3] = {{0, 1, 0}, {1, -4, 1}, {0, 1, 0}};
  size_t n = (size_t)(w - 2) * (size_t)(h - 2);
  double *aL = malloc(n * sizeof(double));
  double mean = 0.0, var = 0.0;
  size_t k = 0;
  int r, c, i, j;

  assert_non_null(aL);
  for(r = 1; r < h - 1; r++) {
    for(c = 1; c < w - 1; c++) {
      double v = 0.0;
      for(i = -1; i <= 1; i++) {
        for(j = -1; j <= 1; j++) {
          v += K[i + 1][j + 1] * a[(r + i) * w + (c + j)];
        }
      }
      aL[k++] = v;
    }
  }
  for(k = 0; k < n; k++) {
    mean += aL[k];
  }
  mean /= (double)n;
  for(k = 0; k < n; k++) {
    var += (aL[k] - mean) * (aL[k] - mean);
  }
  free(aL);
  return var / (double)n;
}

/* Reference: qc_reference.tsv "laplacian_var", np.var of cv2.Laplacian
 * (CV_64F, ksize=1) over interior pixels, cross-checked with
 * scipy.ndimage.laplace.  Tolerance 1e-9 relative (1e-12 absolute for the
 * ramp's 0): both sides compute the same float64 two-pass variance, only
 * the summation order differs. */
static void test_qc_sharpness_reference_planes_match_opencv(void **state)
{
  struct tu_plane *a = *state;
  size_t i;

  for(i = 0; i < TU_N_PLANE; i++) {
    struct qc_plane plane = {a[i].a, a[i].nWidth, a[i].nHeight};
    double ref = tu_ref(tu_azPlane[i], "laplacian_var");
    double var = -1.0;
    assert_int_equal(qc_sharpness_laplacian_var(&plane, &var), QC_OK);
    assert_close(var, ref, 1e-12 + 1e-9 * fabs(ref));
  }
}

/* The optimised kernel against the naive loop (test_plane_metric.h). */
static void test_qc_sharpness_matches_naive_oracle(void **state)
{
  (void)state;
  tpm_matches_naive(qc_sharpness_laplacian_var, naive_laplacian_var, 255.0,
                    0.0, 777);
}

static void test_qc_sharpness_constant_plane_returns_zero(void **state)
{
  (void)state;
  tpm_constant_is_zero(qc_sharpness_laplacian_var);
}

/* The Laplacian of a linear plane is 0; with small integer coefficients
 * the arithmetic is exact, so the variance is exactly 0. */
static void test_qc_sharpness_linear_plane_returns_zero(void **state)
{
  float a[10 * 7];
  struct qc_plane plane = {a, 10, 7};
  double var = -1.0;
  int r, c;

  (void)state;
  for(r = 0; r < 7; r++) {
    for(c = 0; c < 10; c++) {
      a[r * 10 + c] = (float)(3 * c - 5 * r + 40);
    }
  }
  assert_int_equal(qc_sharpness_laplacian_var(&plane, &var), QC_OK);
  assert_true(var == 0.0);
}

/* A 5x5 plane, 0 but 1 at the centre: the 3x3 interior Laplacians are
 * 0 1 0 / 1 -4 1 / 0 1 0, mean 0, so the variance is (4 * 1 + 16) / 9 =
 * 20/9.  Tolerance 1e-15 relative. */
static void test_qc_sharpness_impulse_returns_20_over_9(void **state)
{
  float a[25] = {0};
  struct qc_plane plane = {a, 5, 5};
  double var = -1.0;

  (void)state;
  a[12] = 1.0f;
  assert_int_equal(qc_sharpness_laplacian_var(&plane, &var), QC_OK);
  assert_close(var, 20.0 / 9.0, 1e-15 * 20.0 / 9.0);
}

/* Too small, non-finite, NULL (test_plane_metric.h). */
static void test_qc_sharpness_bad_arguments_refused(void **state)
{
  (void)state;
  tpm_bad_arguments_refused(qc_sharpness_laplacian_var);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_qc_sharpness_reference_planes_match_opencv, tu_planes_setup,
          tu_planes_teardown),
      cmocka_unit_test(test_qc_sharpness_matches_naive_oracle),
      cmocka_unit_test(test_qc_sharpness_constant_plane_returns_zero),
      cmocka_unit_test(test_qc_sharpness_linear_plane_returns_zero),
      cmocka_unit_test(test_qc_sharpness_impulse_returns_20_over_9),
      cmocka_unit_test(test_qc_sharpness_bad_arguments_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
