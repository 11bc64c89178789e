/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_noise.c - unit tests of qc/noise.c, Immerkaer's noise estimate.
 *
 * Focus: the value on the reference planes against SciPy's convolve2d
 * (tests/reference/make_qc_reference.py), planes whose answer follows from
 * arithmetic (constant and polynomial planes give 0, a single impulse gives
 * 4 sqrt(pi/2)/6), a slow naive 3x3 loop as an oracle for the optimised
 * kernel, and the edges: planes too small for the 3x3 mask, non-finite
 * samples and NULL arguments.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

#include "test_plane_metric.h"

/* Slow oracle: Immerkaer 1996 eq. 8 written as the textbook double loop
 * over interior pixels and the nine mask entries. */
static double naive_immerkaer(const float *a, int w, int h)
{
  static const double N[3][3] = {{1, -2, 1}, {-2, 4, -2}, {1, -2, 1}};
  double sum = 0.0;
  int r, c, i, j;

  for(r = 1; r < h - 1; r++) {
    for(c = 1; c < w - 1; c++) {
      double v = 0.0;
      for(i = -1; i <= 1; i++) {
        for(j = -1; j <= 1; j++) {
          v += N[i + 1][j + 1] * a[(r + i) * w + (c + j)];
        }
      }
      sum += fabs(v);
    }
  }
  return sum * sqrt(QC_PI / 2.0) / (6.0 * (w - 2) * (h - 2));
}

/* Reference: qc_reference.tsv "noise_immerkaer", scipy.signal.convolve2d
 * 'valid' on float64 (cross-checked with cv2.filter2D).  Tolerance 1e-9
 * relative (1e-12 absolute for the ramp's 0): both sides sum the same
 * float64 terms, only the summation order differs (about n eps = 1e-12
 * relative for 7,500 terms). */
static void test_qc_noise_immerkaer_reference_planes_match_scipy(void **state)
{
  struct tu_plane *a = *state;
  size_t i;

  for(i = 0; i < TU_N_PLANE; i++) {
    struct qc_plane plane = {a[i].a, a[i].nWidth, a[i].nHeight};
    double ref = tu_ref(tu_azPlane[i], "noise_immerkaer");
    double sigma = -1.0;
    assert_int_equal(qc_noise_immerkaer(&plane, &sigma), QC_OK);
    assert_close(sigma, ref, 1e-12 + 1e-9 * fabs(ref));
  }
}

/* The gauss plane is a smooth background plus N(0, 20^2) noise
 * (make_qc_reference.py plane_gauss, sigma=20).  Immerkaer's estimate
 * should recover the generating sigma; on this plane it is within 5%
 * (the script's value is 20.21, the background's curvature adding a
 * little). */
static void
test_qc_noise_immerkaer_gauss_plane_near_generator_sigma(void **state)
{
  struct tu_plane *a = *state;
  struct qc_plane plane = {a[2].a, a[2].nWidth, a[2].nHeight};
  double sigma = -1.0;

  assert_string_equal(tu_azPlane[2], "gauss_101x77");
  assert_int_equal(qc_noise_immerkaer(&plane, &sigma), QC_OK);
  assert_close(sigma, 20.0, 0.05 * 20.0);
}

/* The optimised kernel against the naive loop (test_plane_metric.h). */
static void test_qc_noise_immerkaer_matches_naive_oracle(void **state)
{
  (void)state;
  tpm_matches_naive(qc_noise_immerkaer, naive_immerkaer, 1000.0, -300.0,
                    12345);
}

static void test_qc_noise_immerkaer_constant_plane_returns_zero(void **state)
{
  (void)state;
  tpm_constant_is_zero(qc_noise_immerkaer);
}

/* N = [1 -2 1]^T [1 -2 1] vanishes on every polynomial of degree < 4;
 * with small integer coefficients all arithmetic is exact, so 0 exactly. */
static void test_qc_noise_immerkaer_cubic_plane_returns_zero(void **state)
{
  float a[11 * 8];
  struct qc_plane plane = {a, 11, 8};
  double sigma = -1.0;
  int r, c;

  (void)state;
  for(r = 0; r < 8; r++) {
    for(c = 0; c < 11; c++) {
      a[r * 11 + c] = (float)(7 + 2 * c - r + c * c + 3 * r * c - 2 * r * r +
                              c * c * c - r * r * c);
    }
  }
  assert_int_equal(qc_noise_immerkaer(&plane, &sigma), QC_OK);
  assert_true(sigma == 0.0);
}

/* A 3x3 plane has one interior pixel; an impulse of 1 there gives the
 * response N(0,0) = 4, so sigma = sqrt(pi/2) * 4 / (6 * 1 * 1) by eq. 8.
 * Tolerance 1e-15 relative: a few operations on exact values. */
static void test_qc_noise_immerkaer_3x3_impulse_returns_eq8_value(void **state)
{
  float a[9] = {0, 0, 0, 0, 1, 0, 0, 0, 0};
  struct qc_plane plane = {a, 3, 3};
  double sigma = -1.0;
  double expected = sqrt(QC_PI / 2.0) * 4.0 / 6.0;

  (void)state;
  assert_int_equal(qc_noise_immerkaer(&plane, &sigma), QC_OK);
  assert_close(sigma, expected, 1e-15 * expected);
}

/* Too small, non-finite, NULL (test_plane_metric.h). */
static void test_qc_noise_immerkaer_bad_arguments_refused(void **state)
{
  (void)state;
  tpm_bad_arguments_refused(qc_noise_immerkaer);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_qc_noise_immerkaer_reference_planes_match_scipy,
          tu_planes_setup, tu_planes_teardown),
      cmocka_unit_test_setup_teardown(
          test_qc_noise_immerkaer_gauss_plane_near_generator_sigma,
          tu_planes_setup, tu_planes_teardown),
      cmocka_unit_test(test_qc_noise_immerkaer_matches_naive_oracle),
      cmocka_unit_test(test_qc_noise_immerkaer_constant_plane_returns_zero),
      cmocka_unit_test(test_qc_noise_immerkaer_cubic_plane_returns_zero),
      cmocka_unit_test(test_qc_noise_immerkaer_3x3_impulse_returns_eq8_value),
      cmocka_unit_test(test_qc_noise_immerkaer_bad_arguments_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
