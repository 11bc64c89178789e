/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_exposure.c - unit tests of qc/exposure.c and of the percentile
 * selection it uses (qc/percentile.c, declared in qc/qc_int.h).
 *
 * Focus: percentiles that equal numpy.percentile's default method to the
 * last bit, checked two ways: against numpy's own values on a reference
 * plane (tests/reference/make_qc_reference.py), and against a slow oracle
 * in this file (qsort a copy, interpolate as numpy does) on seeded arrays
 * with ties, signed zeros, infinities and many magnitudes.  Then the
 * exposure statistics on the reference planes, planes whose answer follows
 * from arithmetic (half 0 / half 100, constant), and bad input: empty
 * planes, NaN and infinite samples, NULL arguments.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

/* ------------------------------------------------------------ oracle */

static int cmp_double(const void *pA, const void *pB)
{
  double a = *(const double *)pA, b = *(const double *)pB;
  return (a > b) - (a < b);
}

/* Slow oracle: sort a double copy, then numpy 1.24's 'linear' method as
 * written in numpy/lib/function_base.py (_quantile, _get_indexes, _lerp):
 * virtual index h = (n-1)(q/100); below n-1 interpolate x[floor h] and
 * x[floor h + 1] with t = h - floor h, from the nearer end; at or above
 * n-1 return x[n-1] combined with itself (t = h + 1). */
static double oracle_percentile(const float *a, size_t n, double q)
{
  double *x = malloc(n * sizeof(double));
  double h = (double)(n - 1) * (q / 100.0);
  double lo, hi, t, diff, r;
  size_t i;

  assert_non_null(x);
  for(i = 0; i < n; i++) {
    x[i] = a[i];
  }
  qsort(x, n, sizeof(double), cmp_double);
  if(h >= (double)(n - 1)) {
    lo = x[n - 1];
    hi = x[n - 1];
    t = h + 1.0;
  } else {
    lo = x[(size_t)floor(h)];
    hi = x[(size_t)floor(h) + 1];
    t = h - floor(h);
  }
  free(x);
  diff = hi - lo;
  r = (t >= 0.5) ? hi - diff * (1.0 - t) : lo + diff * t;
  return r;
}

/* Equality that treats two NaNs, or two equal infinities, as equal. */
static void assert_same_value(double got, double want, size_t n, double q)
{
  if(isnan(want) && isnan(got)) {
    return;
  }
  if(!(got == want)) {
    fail_msg("percentile %g of %zu samples: got %.17g, oracle %.17g", q, n,
             got, want);
  }
}

/* Fills a with n samples of one of several seeded distributions. */
static void fill(float *a, size_t n, int iKind, uint64_t *pSeed)
{
  static const float aTie[5] = {-1.0f, 0.0f, -0.0f, 2.5f, 2.5f};
  size_t i;

  for(i = 0; i < n; i++) {
    double u = tu_rand_unit(pSeed);
    switch(iKind) {
    case 0: /* Uniform over a signed range */
      a[i] = (float)(8000.0 * u - 3000.0);
      break;
    case 1: /* Heavy ties, both zeros */
      a[i] = aTie[tu_rand(pSeed) % 5];
      break;
    case 2: /* Magnitudes 2^-60..2^60, both signs */
      a[i] = (float)((u < 0.5 ? -1.0 : 1.0) *
                     ldexp(1.0 + u, (int)(tu_rand(pSeed) % 121) - 60));
      break;
    default: /* Uniform integers 0..4095 with a few infinities */
      a[i] = (float)(tu_rand(pSeed) % 4096);
      if(tu_rand(pSeed) % 97 == 0) {
        a[i] = (tu_rand(pSeed) % 2) ? INFINITY : -INFINITY;
      }
      break;
    }
  }
}

/* The radix selection against the sort-based oracle.  Tolerance: none;
 * both compute numpy's formula on the same order statistics, so the
 * results must be identical to the bit. */
static void test_qc_percentiles_match_sort_oracle(void **state)
{
  static const size_t aN[] = {1, 2, 3, 4, 5, 7, 100, 101, 1000, 4097, 70001};
  static const double aQ[2][8] = {
      {0.0, 0.5, 1.0, 10.0, 25.0, 33.3, 50.0, 66.7},
      {75.0, 90.0, 99.0, 99.5, 99.9, 100.0, 12.345, 1e-9}};
  uint64_t seed = 20240607;
  size_t iN, k, j;
  int iKind;

  (void)state;
  for(iN = 0; iN < sizeof(aN) / sizeof(aN[0]); iN++) {
    size_t n = aN[iN];
    float *a = malloc(n * sizeof(float));
    assert_non_null(a);
    for(iKind = 0; iKind < 4; iKind++) {
      fill(a, n, iKind, &seed);
      for(k = 0; k < 2; k++) {
        double aOut[8];
        assert_int_equal(qc_percentiles(a, n, aQ[k], 8, aOut), QC_OK);
        for(j = 0; j < 8; j++) {
          assert_same_value(aOut[j], oracle_percentile(a, n, aQ[k][j]), n,
                            aQ[k][j]);
        }
      }
    }
    free(a);
  }
}

/* Reference: qc_reference.tsv "percentile_<q>" of gauss_101x77,
 * numpy.percentile on the float32 plane cast to float64.  Tolerance: none
 * (same order statistics, same interpolation arithmetic). */
static void test_qc_percentiles_gauss_plane_equal_numpy(void **state)
{
  static const double aQ[9] = {0.0,  0.5,  1.0,  25.0, 50.0,
                               75.0, 99.0, 99.5, 100.0};
  struct tu_plane *a = *state;
  size_t n = (size_t)a[2].nWidth * (size_t)a[2].nHeight;
  size_t i;

  assert_string_equal(tu_azPlane[2], "gauss_101x77");
  for(i = 0; i < 9; i++) {
    char zMetric[64];
    double p = -1.0;
    snprintf(zMetric, sizeof(zMetric), "percentile_%g", aQ[i]);
    assert_int_equal(qc_percentiles(a[2].a, n, &aQ[i], 1, &p), QC_OK);
    assert_close(p, tu_ref("gauss_101x77", zMetric), 0.0);
  }
}

static void test_qc_percentiles_one_sample_returns_it(void **state)
{
  static const double aQ[3] = {0.0, 37.0, 100.0};
  float a[1] = {-4.75f};
  double aOut[3];

  (void)state;
  assert_int_equal(qc_percentiles(a, 1, aQ, 3, aOut), QC_OK);
  assert_true(aOut[0] == -4.75 && aOut[1] == -4.75 && aOut[2] == -4.75);
}

/* Reference: qc_reference.tsv rows edge_* "percentile_<q>", numpy on the
 * same inputs (make_qc_reference.py): an interpolation involving an
 * infinity can give NaN (5 + inf * 0), and a lone -0 stays -0.  Compared
 * exactly, NaN matching NaN and the sign of a zero included. */
static void test_qc_percentiles_edge_samples_follow_numpy(void **state)
{
  static const struct {
    const char *zName; /* TSV name */
    float a[2];        /* Its samples, as in make_qc_reference.py */
    size_t n;
  } aCase[] = {
      {"edge_5_inf", {5.0f, INFINITY}, 2},
      {"edge_inf_inf", {INFINITY, INFINITY}, 2},
      {"edge_neg_zero", {-0.0f, 0.0f}, 1},
  };
  static const double aQ[3] = {0.0, 30.0, 50.0};
  size_t i, j;

  (void)state;
  for(i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    double aOut[3];
    assert_int_equal(qc_percentiles(aCase[i].a, aCase[i].n, aQ, 3, aOut),
                     QC_OK);
    for(j = 0; j < 3; j++) {
      char zMetric[64];
      double want;
      snprintf(zMetric, sizeof(zMetric), "percentile_%g", aQ[j]);
      want = tu_ref(aCase[i].zName, zMetric);
      assert_same_value(aOut[j], want, aCase[i].n, aQ[j]);
      if(!isnan(want)) { /* The TSV's "nan" carries no sign */
        assert_int_equal(!!signbit(aOut[j]), !!signbit(want));
      }
    }
  }
}

static void test_qc_percentiles_bad_args_return_status(void **state)
{
  static const double aBadQ[] = {-0.001, 100.001, NAN};
  float a[4] = {1, 2, 3, 4};
  double aQ[QC_PERCENTILE_MAX + 1] = {50.0};
  double aOut[QC_PERCENTILE_MAX + 1] = {-1.0};
  size_t i;

  (void)state;
  assert_int_equal(qc_percentiles(a, 0, aQ, 1, aOut), QC_ERR_RANGE);
  for(i = 0; i < sizeof(aBadQ) / sizeof(aBadQ[0]); i++) {
    assert_int_equal(qc_percentiles(a, 4, &aBadQ[i], 1, aOut), QC_ERR_RANGE);
  }
  a[2] = NAN;
  assert_int_equal(qc_percentiles(a, 4, aQ, 1, aOut), QC_ERR_RANGE);
  a[2] = 3;
  assert_int_equal(qc_percentiles(NULL, 4, aQ, 1, aOut), QC_ERR_MISUSE);
  assert_int_equal(qc_percentiles(a, 4, NULL, 1, aOut), QC_ERR_MISUSE);
  assert_int_equal(qc_percentiles(a, 4, aQ, 1, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_percentiles(a, 4, aQ, 0, aOut), QC_ERR_MISUSE);
  assert_int_equal(qc_percentiles(a, 4, aQ, QC_PERCENTILE_MAX + 1, aOut),
                   QC_ERR_MISUSE);
  assert_true(aOut[0] == -1.0); /* Untouched on failure */
}

/* ---------------------------------------------------------- exposure */

/* Reference: qc_reference.tsv exposure_* rows, numpy on the float32 plane
 * cast to float64, with that plane's detector_min/detector_max rows.
 * Tolerances: mean 1e-12 relative (numpy sums pairwise, qc/ in order: both
 * float64, error about n eps); p01, p99, dyn_range and the clipped
 * fractions none (same order statistics and arithmetic, same counts and
 * division); dyn_range_bits 1e-15 relative (log2 of equal inputs, at most
 * one ulp apart between libm and Python). */
static void test_qc_exposure_reference_planes_match_numpy(void **state)
{
  struct tu_plane *a = *state;
  size_t i;

  for(i = 0; i < TU_N_PLANE; i++) {
    const char *z = tu_azPlane[i];
    struct qc_plane plane = {a[i].a, a[i].nWidth, a[i].nHeight};
    struct qc_exposure e;
    double bits = tu_ref(z, "exposure_dyn_range_bits");
    assert_int_equal(qc_exposure_stats(&plane, tu_ref(z, "detector_min"),
                                       tu_ref(z, "detector_max"), &e),
                     QC_OK);
    assert_close_rel(e.mean, tu_ref(z, "exposure_mean"), 1e-12);
    assert_close(e.p01, tu_ref(z, "exposure_p01"), 0.0);
    assert_close(e.p99, tu_ref(z, "exposure_p99"), 0.0);
    assert_close(e.clipLow, tu_ref(z, "exposure_clip_low"), 0.0);
    assert_close(e.clipHigh, tu_ref(z, "exposure_clip_high"), 0.0);
    assert_close(e.dynRange, tu_ref(z, "exposure_dyn_range"), 0.0);
    assert_close(e.dynRangeBits, bits, 1e-15 * bits);
  }
}

/* libvips' arithmetic test (test/test-suite/test_arithmetic.py): half 0,
 * half 100 has mean 50.  On 10 x 10 samples numpy's rule gives p01 at
 * h = 0.99 (between two 0s) and p99 at h = 98.01 (between two 100s), so
 * 0 and 100; with detector limits 0 and 100 half the pixels are clipped at
 * each end; bits = log2(101).  All exact but bits (1e-15 relative). */
static void test_qc_exposure_half_0_half_100_returns_mean_50(void **state)
{
  float a[100];
  struct qc_plane plane = {a, 10, 10};
  struct qc_exposure e;
  size_t i;

  (void)state;
  for(i = 0; i < 100; i++) {
    a[i] = (i < 50) ? 0.0f : 100.0f;
  }
  assert_int_equal(qc_exposure_stats(&plane, 0.0, 100.0, &e), QC_OK);
  assert_close(e.mean, 50.0, 0.0);
  assert_close(e.p01, 0.0, 0.0);
  assert_close(e.p99, 100.0, 0.0);
  assert_close(e.clipLow, 0.5, 0.0);
  assert_close(e.clipHigh, 0.5, 0.0);
  assert_close(e.dynRange, 100.0, 0.0);
  assert_close(e.dynRangeBits, log2(101.0), 1e-15 * log2(101.0));
}

/* A constant plane: mean and both percentiles equal the constant, the
 * range is 0 and spans 0 bits; it is QC_OK, not an error.  Exact. */
static void test_qc_exposure_constant_plane_returns_zero_range(void **state)
{
  float a[7 * 9];
  struct qc_plane plane = {a, 7, 9};
  struct qc_exposure e;
  size_t i;

  (void)state;
  for(i = 0; i < 7 * 9; i++) {
    a[i] = 0.1f; /* Not a binary fraction: the sum is still exact */
  }
  assert_int_equal(qc_exposure_stats(&plane, 0.0, 4095.0, &e), QC_OK);
  assert_close(e.mean, 0.1f, 0.0);
  assert_close(e.p01, 0.1f, 0.0);
  assert_close(e.p99, 0.1f, 0.0);
  assert_close(e.clipLow, 0.0, 0.0);
  assert_close(e.clipHigh, 0.0, 0.0);
  assert_close(e.dynRange, 0.0, 0.0);
  assert_close(e.dynRangeBits, 0.0, 0.0);
}

/* A NaN detector limit counts nothing (plain IEEE comparisons). */
static void test_qc_exposure_nan_detector_limits_count_no_clip(void **state)
{
  float a[4] = {0, 1, 2, 3};
  struct qc_plane plane = {a, 2, 2};
  struct qc_exposure e;

  (void)state;
  assert_int_equal(qc_exposure_stats(&plane, NAN, NAN, &e), QC_OK);
  assert_close(e.clipLow, 0.0, 0.0);
  assert_close(e.clipHigh, 0.0, 0.0);
  assert_close(e.mean, 1.5, 0.0);
}

/* An empty plane (a side < 1) has no statistics: QC_ERR_RANGE. */
static void test_qc_exposure_empty_plane_returns_RANGE(void **state)
{
  static const int32_t aSize[][2] = {{0, 4}, {4, 0}, {0, 0}, {-1, 3}};
  float a[16] = {0};
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(aSize) / sizeof(aSize[0]); i++) {
    struct qc_plane plane = {a, aSize[i][0], aSize[i][1]};
    struct qc_exposure e = {.mean = -1.0};
    assert_int_equal(qc_exposure_stats(&plane, 0.0, 1.0, &e), QC_ERR_RANGE);
    assert_true(e.mean == -1.0); /* Untouched on failure */
  }
}

static void test_qc_exposure_nonfinite_sample_returns_RANGE(void **state)
{
  static const float aBad[3] = {NAN, INFINITY, -INFINITY};
  float a[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  struct qc_plane plane = {a, 3, 3};
  size_t i;

  (void)state;
  for(i = 0; i < 3; i++) {
    struct qc_exposure e = {.mean = -1.0};
    a[4] = aBad[i];
    assert_int_equal(qc_exposure_stats(&plane, 0.0, 10.0, &e), QC_ERR_RANGE);
    assert_true(e.mean == -1.0);
  }
}

static void test_qc_exposure_NULL_returns_MISUSE(void **state)
{
  float a[4] = {0};
  struct qc_plane plane = {a, 2, 2};
  struct qc_plane noData = {NULL, 2, 2};
  struct qc_exposure e = {.mean = -1.0};

  (void)state;
  assert_int_equal(qc_exposure_stats(NULL, 0.0, 1.0, &e), QC_ERR_MISUSE);
  assert_int_equal(qc_exposure_stats(&noData, 0.0, 1.0, &e), QC_ERR_MISUSE);
  assert_int_equal(qc_exposure_stats(&plane, 0.0, 1.0, NULL), QC_ERR_MISUSE);
  assert_true(e.mean == -1.0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qc_percentiles_match_sort_oracle),
      cmocka_unit_test_setup_teardown(
          test_qc_percentiles_gauss_plane_equal_numpy, tu_planes_setup,
          tu_planes_teardown),
      cmocka_unit_test(test_qc_percentiles_one_sample_returns_it),
      cmocka_unit_test(test_qc_percentiles_edge_samples_follow_numpy),
      cmocka_unit_test(test_qc_percentiles_bad_args_return_status),
      cmocka_unit_test_setup_teardown(
          test_qc_exposure_reference_planes_match_numpy, tu_planes_setup,
          tu_planes_teardown),
      cmocka_unit_test(test_qc_exposure_half_0_half_100_returns_mean_50),
      cmocka_unit_test(test_qc_exposure_constant_plane_returns_zero_range),
      cmocka_unit_test(test_qc_exposure_nan_detector_limits_count_no_clip),
      cmocka_unit_test(test_qc_exposure_empty_plane_returns_RANGE),
      cmocka_unit_test(test_qc_exposure_nonfinite_sample_returns_RANGE),
      cmocka_unit_test(test_qc_exposure_NULL_returns_MISUSE),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
