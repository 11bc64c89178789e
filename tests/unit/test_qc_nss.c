/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_nss.c - unit tests of qc/nss.c and qc/resize.c, the natural
 * scene statistics shared by BRISQUE, NIQE and PIQE.
 *
 * Focus: MSCN coefficients with each border rule against
 * scipy.ndimage.correlate (cross-checked with cv2.GaussianBlur); OpenCV's
 * INTER_CUBIC against cv2.resize itself; MATLAB's imresize bicubic with
 * antialiasing against a numpy transcription of MATLAB's documented
 * kernel (tests/reference/make_nr_reference.py matlab_weights: Keys'
 * cubic a = -0.5, kernel widened by 1/scale when shrinking, symmetric
 * padding, built by brute force over every tap); GGD and AGGD fits and
 * paired products against a full 9801-entry numpy table search; and
 * edges: constant planes, planes smaller than the kernel, bad arguments.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

/* Reference values of tests/reference/make_nr_reference.py. */
#define NR_TSV "nr_reference.tsv"

/* Largest |a[i] - b[i]| over n samples. */
static double max_abs_diff(const float *a, const float *b, size_t n)
{
  double m = 0.0;
  size_t i;

  for(i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]);
    m = d > m ? d : m;
  }
  return m;
}

#define TEX_W 67
#define TEX_H 45
#define TEX_N ((size_t)TEX_W * TEX_H)

/* MSCN (7x7, sigma 7/6, c = 1) of the 0..255 texture with each border
 * rule, against scipy.ndimage.correlate in float64 (modes constant,
 * nearest, mirror, reflect).  Tolerance 2e-5 absolute: the outputs are
 * about -3..3 stored as float (half an ulp is 1.2e-7), and the double
 * sums differ only in order, so the float roundings agree to 1 ulp. */
static void test_qc_mscn_each_border_matches_scipy(void **state)
{
  static const char *const azBorder[] = {"zero", "replicate", "reflect101",
                                         "symmetric"};
  float *aIn = tu_read_f32("nr_tex_67x45", TEX_N);
  float *aOut = malloc(TEX_N * sizeof(float));
  struct qc_plane plane = {aIn, TEX_W, TEX_H};
  int b;

  (void)state;
  assert_non_null(aOut);
  assert_int_equal(tu_tsv(NR_TSV, "tex_67x45", "width"), TEX_W);
  for(b = 0; b < 4; b++) {
    char zName[64];
    float *aRef;
    snprintf(zName, sizeof(zName), "nr_mscn_%s_67x45", azBorder[b]);
    aRef = tu_read_f32(zName, TEX_N);
    assert_int_equal(qc_mscn(&plane, 7, 7.0 / 6.0, (enum qc_border)b, 1.0,
                             aOut, NULL, NULL),
                     QC_OK);
    assert_close(max_abs_diff(aOut, aRef, TEX_N), 0.0, 2e-5);
    free(aRef);
  }
  free(aOut);
  free(aIn);
}

/* mu and sigma outputs (replicate border) against scipy; the 0..1 form
 * with c = 1/255 (OpenCV's BRISQUE) against scipy on p/255.  Tolerance:
 * mu and sigma are 0..255 floats (ulp 1.5e-5 at 128): 4e-5; MSCN 2e-5. */
static void test_qc_mscn_mu_sigma_and_unit_scale_match_scipy(void **state)
{
  float *aIn = tu_read_f32("nr_tex_67x45", TEX_N);
  float *aMuRef = tu_read_f32("nr_mu_replicate_67x45", TEX_N);
  float *aSdRef = tu_read_f32("nr_sigma_replicate_67x45", TEX_N);
  float *aUnitRef = tu_read_f32("nr_mscn_unit_replicate_67x45", TEX_N);
  float *aOut = malloc(3 * TEX_N * sizeof(float));
  struct qc_plane plane = {aIn, TEX_W, TEX_H};
  size_t i;

  (void)state;
  assert_non_null(aOut);
  assert_int_equal(qc_mscn(&plane, 7, 7.0 / 6.0, QC_BORDER_REPLICATE, 1.0,
                           aOut, aOut + TEX_N, aOut + 2 * TEX_N),
                   QC_OK);
  assert_close(max_abs_diff(aOut + TEX_N, aMuRef, TEX_N), 0.0, 4e-5);
  assert_close(max_abs_diff(aOut + 2 * TEX_N, aSdRef, TEX_N), 0.0, 4e-5);
  for(i = 0; i < TEX_N; i++) {
    aIn[i] /= 255.0f;
  }
  assert_int_equal(qc_mscn(&plane, 7, 7.0 / 6.0, QC_BORDER_REPLICATE,
                           1.0 / 255.0, aOut, NULL, NULL),
                   QC_OK);
  assert_close(max_abs_diff(aOut, aUnitRef, TEX_N), 0.0, 2e-5);
  free(aOut);
  free(aUnitRef);
  free(aSdRef);
  free(aMuRef);
  free(aIn);
}

/* Slow oracle: the 2-D nK x nK window applied directly, every tap read
 * through an independent border rule, double throughout. */
static void naive_mscn(const float *a, int w, int h, int nK, double sigma,
                       int border, double c, double *aOut)
{
  int half = nK / 2, r, x, i, j;
  double g[64], sum = 0.0;

  for(i = 0; i < nK; i++) {
    g[i] = exp(-(double)((i - half) * (i - half)) / (2 * sigma * sigma));
    sum += g[i];
  }
  for(r = 0; r < h; r++) {
    for(x = 0; x < w; x++) {
      double mu = 0.0, sq = 0.0, sd;
      for(i = -half; i <= half; i++) {
        for(j = -half; j <= half; j++) {
          int rr = r + i, xx = x + j, ok = 1;
          double v, wt = g[i + half] * g[j + half] / (sum * sum);
          /* Reflect until inside, one step at a time (as OpenCV's
           * borderInterpolate loops). */
          while(border != 0 && (rr < 0 || rr >= h || xx < 0 || xx >= w)) {
            int d = border == 2 ? 1 : 0; /* REFLECT101 skips the edge */
            if(border == 1) {
              rr = rr < 0 ? 0 : (rr >= h ? h - 1 : rr);
              xx = xx < 0 ? 0 : (xx >= w ? w - 1 : xx);
            } else {
              rr = rr < 0 ? (h == 1 ? 0 : -rr - 1 + d)
                          : (rr >= h ? (h == 1 ? 0 : 2 * h - rr - 1 - d) : rr);
              xx = xx < 0 ? (w == 1 ? 0 : -xx - 1 + d)
                          : (xx >= w ? (w == 1 ? 0 : 2 * w - xx - 1 - d) : xx);
            }
          }
          if(rr < 0 || rr >= h || xx < 0 || xx >= w) {
            ok = 0; /* Zero border */
          }
          v = ok ? a[rr * w + xx] : 0.0;
          mu += wt * v;
          sq += wt * v * v;
        }
      }
      sd = sqrt(fabs(sq - mu * mu));
      aOut[r * w + x] = (a[r * w + x] - mu) / (sd + c);
    }
  }
}

/* The separable ring-buffer MSCN against the naive 2-D oracle on seeded
 * planes of sizes down to 1x1 (smaller than the 7x7 kernel, where the
 * reflections wrap more than once), kernels 1, 3, 7 and 9, every border.
 * Tolerance 1e-5 absolute on outputs of magnitude < 10 (float storage). */
static void test_qc_mscn_matches_naive_oracle_small_planes(void **state)
{
  static const int aSize[][2] = {{1, 1}, {2, 3},  {3, 2}, {5, 4},
                                 {7, 7}, {13, 9}, {4, 17}};
  static const int aK[] = {1, 3, 7, 9};
  uint64_t seed = 777;
  size_t s, k;
  int b;

  (void)state;
  for(s = 0; s < sizeof(aSize) / sizeof(aSize[0]); s++) {
    int w = aSize[s][0], h = aSize[s][1], i;
    float *a = malloc((size_t)(w * h) * sizeof(float));
    float *o = malloc((size_t)(w * h) * sizeof(float));
    double *ref = malloc((size_t)(w * h) * sizeof(double));
    struct qc_plane plane = {a, w, h};
    assert_true(a != NULL && o != NULL && ref != NULL);
    for(i = 0; i < w * h; i++) {
      a[i] = (float)floor(256.0 * tu_rand_unit(&seed));
    }
    for(k = 0; k < sizeof(aK) / sizeof(aK[0]); k++) {
      for(b = 0; b < 4; b++) {
        double m = 0.0;
        naive_mscn(a, w, h, aK[k], 1.5, b, 1.0, ref);
        assert_int_equal(
            qc_mscn(&plane, aK[k], 1.5, (enum qc_border)b, 1.0, o, NULL, NULL),
            QC_OK);
        for(i = 0; i < w * h; i++) {
          double d = fabs(o[i] - ref[i]);
          m = d > m ? d : m;
        }
        assert_close(m, 0.0, 1e-5);
      }
    }
    free(ref);
    free(o);
    free(a);
  }
}

/* A constant plane has mu = the constant and sigma = 0 with the
 * replicate border, so every MSCN coefficient is 0 (up to the rounding
 * of mu: |I - mu| < 1e-12 for the normalised kernel). */
static void test_qc_mscn_constant_plane_returns_zero(void **state)
{
  float a[11 * 9], o[11 * 9];
  struct qc_plane plane = {a, 11, 9};
  size_t i;

  (void)state;
  for(i = 0; i < 11 * 9; i++) {
    a[i] = 200.0f;
  }
  assert_int_equal(
      qc_mscn(&plane, 7, 7.0 / 6.0, QC_BORDER_REPLICATE, 1.0, o, NULL, NULL),
      QC_OK);
  for(i = 0; i < 11 * 9; i++) {
    assert_close(o[i], 0.0, 1e-9);
  }
}

/* Bad arguments by name: MISUSE for NULLs, even or out-of-range kernels,
 * sigma <= 0, c <= 0 or non-finite, an unknown border; RANGE for empty
 * planes and non-finite samples, with the output untouched. */
static void test_qc_mscn_bad_arguments_return_MISUSE_or_RANGE(void **state)
{
  float a[16] = {0}, o[16];
  struct qc_plane plane = {a, 4, 4}, empty = {a, 0, 4}, noData = {NULL, 4, 4};
  const struct {
    const struct qc_plane *pPlane; /* Input */
    int nK;                        /* Kernel side */
    double sigma;                  /* Gaussian sigma */
    enum qc_border border;         /* Border rule */
    double c;                      /* Constant added to sigma */
    float *aOut;                   /* Output plane */
    int expect;                    /* Status qc_mscn() must return */
  } aCase[] = {
      {NULL, 7, 1.0, QC_BORDER_ZERO, 1.0, o, QC_ERR_MISUSE},
      {&noData, 7, 1.0, QC_BORDER_ZERO, 1.0, o, QC_ERR_MISUSE},
      {&plane, 7, 1.0, QC_BORDER_ZERO, 1.0, NULL, QC_ERR_MISUSE},
      {&plane, 6, 1.0, QC_BORDER_ZERO, 1.0, o, QC_ERR_MISUSE},
      {&plane, 0, 1.0, QC_BORDER_ZERO, 1.0, o, QC_ERR_MISUSE},
      {&plane, 257, 1.0, QC_BORDER_ZERO, 1.0, o, QC_ERR_MISUSE},
      {&plane, 7, 0.0, QC_BORDER_ZERO, 1.0, o, QC_ERR_MISUSE},
      {&plane, 7, 1.0, QC_BORDER_ZERO, 0.0, o, QC_ERR_MISUSE},
      {&plane, 7, 1.0, QC_BORDER_ZERO, INFINITY, o, QC_ERR_MISUSE},
      {&plane, 7, 1.0, (enum qc_border)9, 1.0, o, QC_ERR_MISUSE},
      {&empty, 7, 1.0, QC_BORDER_ZERO, 1.0, o, QC_ERR_RANGE},
  };
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    int rc = qc_mscn(aCase[i].pPlane, aCase[i].nK, aCase[i].sigma,
                     aCase[i].border, aCase[i].c, aCase[i].aOut, NULL, NULL);
    if(rc != aCase[i].expect) {
      fail_msg("case %zu: qc_mscn returned %d, expected %d", i, rc,
               aCase[i].expect);
    }
  }
  o[0] = 42.0f;
  a[5] = NAN;
  assert_int_equal(qc_mscn(&plane, 7, 1.0, QC_BORDER_ZERO, 1.0, o, NULL, NULL),
                   QC_ERR_RANGE);
  a[5] = INFINITY;
  assert_int_equal(qc_mscn(&plane, 7, 1.0, QC_BORDER_ZERO, 1.0, o, NULL, NULL),
                   QC_ERR_RANGE);
  assert_true(o[0] == 42.0f);
}

/* qc_resize_cubic_opencv against cv2.resize(INTER_CUBIC) itself, shrink
 * to half (the BRISQUE case, with odd sides), and enlarge.  Tolerance
 * 1e-4 absolute on 0..255: both compute in float, OpenCV's SIMD path may
 * fuse multiply-adds (measured: 3e-5, 2 ulp). */
static void test_qc_resize_cubic_opencv_matches_cv2(void **state)
{
  static const int aSize[][2] = {{33, 22}, {34, 23}, {100, 60}};
  float *aIn = tu_read_f32("nr_tex_67x45", TEX_N);
  struct qc_plane plane = {aIn, TEX_W, TEX_H};
  size_t k;

  (void)state;
  for(k = 0; k < 3; k++) {
    int w = aSize[k][0], h = aSize[k][1];
    char zName[64];
    float *aRef, *aOut = malloc((size_t)(w * h) * sizeof(float));
    snprintf(zName, sizeof(zName), "nr_cvcubic_67x45_to_%dx%d", w, h);
    aRef = tu_read_f32(zName, (size_t)(w * h));
    assert_non_null(aOut);
    assert_int_equal(qc_resize_cubic_opencv(&plane, w, h, aOut), QC_OK);
    assert_close(max_abs_diff(aOut, aRef, (size_t)(w * h)), 0.0, 1e-4);
    free(aOut);
    free(aRef);
  }
  free(aIn);
}

/* qc_resize_bicubic_matlab against the dense numpy matrices of MATLAB's
 * documented kernel (make_nr_reference.py matlab_weights), for 0.5 (the
 * LIVE releases' scale, odd input sides), 0.75 (a stretched kernel whose
 * support is not an integer) and 1.5 (enlarging: plain a = -0.5 kernel).
 * Output sizes ceil(scale n) from the script.  Tolerance 3e-5 absolute:
 * double sums on both sides, the C result stored as float (0..255). */
static void
test_qc_resize_bicubic_matlab_matches_documented_kernel(void **state)
{
  static const double aScale[] = {0.5, 0.75, 1.5};
  float *aIn = tu_read_f32("nr_tex_67x45", TEX_N);
  struct qc_plane plane = {aIn, TEX_W, TEX_H};
  size_t k;

  (void)state;
  for(k = 0; k < 3; k++) {
    char zName[64], zMetric[64];
    int32_t w = qc_resize_matlab_side(TEX_W, aScale[k]);
    int32_t h = qc_resize_matlab_side(TEX_H, aScale[k]);
    float *aRef, *aOut = malloc((size_t)(w * h) * sizeof(float));
    snprintf(zMetric, sizeof(zMetric), "matlab_%g_width", aScale[k]);
    assert_int_equal(w, (int32_t)tu_tsv(NR_TSV, "tex_67x45", zMetric));
    snprintf(zMetric, sizeof(zMetric), "matlab_%g_height", aScale[k]);
    assert_int_equal(h, (int32_t)tu_tsv(NR_TSV, "tex_67x45", zMetric));
    snprintf(zName, sizeof(zName), "nr_matlab_67x45_x%g", aScale[k]);
    aRef = tu_read_f32(zName, (size_t)(w * h));
    assert_non_null(aOut);
    assert_int_equal(qc_resize_bicubic_matlab(&plane, aScale[k], aOut), QC_OK);
    assert_close(max_abs_diff(aOut, aRef, (size_t)(w * h)), 0.0, 3e-5);
    free(aOut);
    free(aRef);
  }
  free(aIn);
}

/* Both resizers keep a constant plane constant (their weights sum to 1)
 * and reproduce the input at scale 1 (MATLAB: the kernel is 1 at 0 and 0
 * at the other integers; OpenCV: t = 0 gives weights 0, 1, 0, 0). */
static void test_qc_resize_constant_and_identity(void **state)
{
  float a[9 * 7], o[9 * 7 * 4];
  struct qc_plane plane = {a, 9, 7};
  uint64_t seed = 5;
  size_t i;

  (void)state;
  for(i = 0; i < 9 * 7; i++) {
    a[i] = 77.0f;
  }
  assert_int_equal(qc_resize_bicubic_matlab(&plane, 0.5, o), QC_OK);
  for(i = 0; i < 5 * 4; i++) {
    assert_close(o[i], 77.0, 1e-4);
  }
  assert_int_equal(qc_resize_cubic_opencv(&plane, 4, 3, o), QC_OK);
  for(i = 0; i < 4 * 3; i++) {
    assert_close(o[i], 77.0, 1e-4);
  }
  for(i = 0; i < 9 * 7; i++) {
    a[i] = (float)(255.0 * tu_rand_unit(&seed));
  }
  assert_int_equal(qc_resize_bicubic_matlab(&plane, 1.0, o), QC_OK);
  assert_close(max_abs_diff(o, a, 9 * 7), 0.0, 1e-4);
  assert_int_equal(qc_resize_cubic_opencv(&plane, 9, 7, o), QC_OK);
  assert_close(max_abs_diff(o, a, 9 * 7), 0.0, 1e-4);
}

static void test_qc_resize_bad_arguments_return_MISUSE_or_RANGE(void **state)
{
  float a[4] = {0}, o[16];
  struct qc_plane plane = {a, 2, 2}, empty = {a, 2, 0};

  (void)state;
  assert_int_equal(qc_resize_cubic_opencv(NULL, 1, 1, o), QC_ERR_MISUSE);
  assert_int_equal(qc_resize_cubic_opencv(&plane, 1, 1, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_resize_cubic_opencv(&plane, 0, 1, o), QC_ERR_RANGE);
  assert_int_equal(qc_resize_cubic_opencv(&plane, 1, 70000, o), QC_ERR_RANGE);
  assert_int_equal(qc_resize_cubic_opencv(&empty, 1, 1, o), QC_ERR_RANGE);
  assert_int_equal(qc_resize_bicubic_matlab(&plane, 0.0, o), QC_ERR_MISUSE);
  assert_int_equal(qc_resize_bicubic_matlab(&plane, NAN, o), QC_ERR_MISUSE);
  assert_int_equal(qc_resize_bicubic_matlab(NULL, 0.5, o), QC_ERR_MISUSE);
  assert_int_equal(qc_resize_bicubic_matlab(&empty, 0.5, o), QC_ERR_RANGE);
  assert_int_equal(qc_resize_bicubic_matlab(&plane, 1e6, o), QC_ERR_RANGE);
  assert_int_equal(qc_resize_matlab_side(97, 0.5), 49);
  assert_int_equal(qc_resize_matlab_side(96, 0.5), 48);
  assert_int_equal(qc_resize_matlab_side(0, 0.5), 0);
}

/* GGD and AGGD fits of the texture's MSCN plane, and AGGD fits of its
 * paired products with wrap-around in the four orientations, against the
 * numpy full-table search (LIVE estimateggdparam.m / estimateaggdparam.m
 * transcribed).  The MSCN plane comes from qc_mscn, so this checks the
 * fits on the same input the script used (its float32 MSCN, 2e-5 apart).
 * alpha is a table entry: equal to 1e-9; deviations 1e-5 relative. */
static void test_qc_nss_fits_match_numpy_table_search(void **state)
{
  static const char *const azOrient[] = {"h", "v", "d1", "d2"};
  float *aIn = tu_read_f32("nr_tex_67x45", TEX_N);
  float *aX = tu_read_f32("nr_mscn_replicate_67x45", TEX_N);
  struct qc_nss_moments m;
  struct qc_aggd fit;
  double alpha, sigma;
  int k;

  (void)state;
  memset(&m, 0, sizeof(m));
  qc_nss_moments_add(&m, aX, TEX_N);
  qc_ggd_fit(&m, QC_NSS_MATLAB, &alpha, &sigma);
  assert_close(alpha, tu_tsv(NR_TSV, "tex_67x45", "ggd_alpha"), 1e-9);
  assert_close_rel(sigma, tu_tsv(NR_TSV, "tex_67x45", "ggd_sigma"), 1e-5);
  qc_aggd_fit(&m, QC_NSS_MATLAB, &fit);
  assert_close(fit.alpha, tu_tsv(NR_TSV, "tex_67x45", "aggd_alpha"), 1e-9);
  assert_close_rel(fit.leftStd, tu_tsv(NR_TSV, "tex_67x45", "aggd_left"),
                   1e-5);
  assert_close_rel(fit.rightStd, tu_tsv(NR_TSV, "tex_67x45", "aggd_right"),
                   1e-5);
  for(k = 0; k < 4; k++) {
    char zMetric[64];
    qc_nss_pair_moments(aX, TEX_W, TEX_H, TEX_W, (enum qc_nss_orient)k, 1, &m);
    qc_aggd_fit(&m, QC_NSS_MATLAB, &fit);
    snprintf(zMetric, sizeof(zMetric), "pair_%s_alpha", azOrient[k]);
    assert_close(fit.alpha, tu_tsv(NR_TSV, "tex_67x45", zMetric), 1e-9);
    snprintf(zMetric, sizeof(zMetric), "pair_%s_left", azOrient[k]);
    assert_close_rel(fit.leftStd, tu_tsv(NR_TSV, "tex_67x45", zMetric), 1e-5);
    snprintf(zMetric, sizeof(zMetric), "pair_%s_right", azOrient[k]);
    assert_close_rel(fit.rightStd, tu_tsv(NR_TSV, "tex_67x45", zMetric), 1e-5);
  }
  free(aX);
  free(aIn);
}

/* Slow oracle for qc_aggd_fit's bisection: the release's linear scan of
 * all 9801 entries for the minimum |r - target| (first of equals). */
static double naive_aggd_alpha(double target)
{
  double best = INFINITY, alpha = 0.2;
  int k;

  for(k = 0; k <= 9800; k++) {
    double g = 0.2 + 0.001 * k;
    double r = tgamma(2 / g) * tgamma(2 / g) / (tgamma(1 / g) * tgamma(3 / g));
    if(fabs(r - target) < best) {
      best = fabs(r - target);
      alpha = g;
    }
  }
  return alpha;
}

/* The bisection against the linear scan on a table of moment sets built
 * to give targets across the whole table and beyond both ends: a set of
 * samples {-l, +r, 0...} whose ratio R is set by the zeros' count. */
static void test_qc_aggd_fit_bisection_matches_linear_scan(void **state)
{
  static const double aFrac[] = {1.0, 0.95, 0.9, 0.8, 0.7,  0.6,  0.5,
                                 0.4, 0.3,  0.2, 0.1, 0.06, 0.03, 0.01};
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(aFrac) / sizeof(aFrac[0]); i++) {
    /* n samples of which a fraction f is +-1 (half each), the rest 0:
     * l = r = 1, rhat = f^2 / f = f, R = f. */
    struct qc_nss_moments m = {1000.0,           500.0 * aFrac[i],
                               500.0 * aFrac[i], 500.0 * aFrac[i],
                               500.0 * aFrac[i], 1000.0 * aFrac[i]};
    struct qc_aggd fit;
    qc_aggd_fit(&m, QC_NSS_MATLAB, &fit);
    assert_close(fit.alpha, naive_aggd_alpha(aFrac[i]), 1e-9);
    qc_aggd_fit(&m, QC_NSS_OPENCV, &fit);
    assert_close(fit.alpha, naive_aggd_alpha(aFrac[i]), 1e-9);
  }
}

/* A set with no negative sample: NaN left deviation, and the shape each
 * release gives a NaN target (MATLAB min() skips NaN and returns the
 * first entry, 0.2; OpenCV's loop never stops early and ends on the last
 * entry, 0.2 + 9800 additions of 0.001 = 10 to 1e-12). */
static void
test_qc_aggd_fit_one_sided_gives_NaN_and_release_alpha(void **state)
{
  float a[4] = {1.0f, 2.0f, 0.0f, 3.0f};
  struct qc_nss_moments m;
  struct qc_aggd fit;

  (void)state;
  memset(&m, 0, sizeof(m));
  qc_nss_moments_add(&m, a, 4);
  qc_aggd_fit(&m, QC_NSS_MATLAB, &fit);
  assert_true(isnan(fit.leftStd));
  assert_close(fit.rightStd, sqrt(14.0 / 3.0), 1e-12);
  assert_close(fit.alpha, 0.2, 1e-12);
  qc_aggd_fit(&m, QC_NSS_OPENCV, &fit);
  assert_close(fit.alpha, 10.0, 1e-9);
}

/* Paired products by hand on a 3x2 window: wrap-around gives w h
 * products, the zero-filled form only the inner pairs but counts w h. */
static void test_qc_nss_pair_moments_small_window_by_hand(void **state)
{
  /* 1 -2  3
   * 4  5 -6 */
  float a[6] = {1, -2, 3, 4, 5, -6};
  struct qc_nss_moments m;

  (void)state;
  /* H, zero-filled: 1*-2 = -2, -2*3 = -6, 4*5 = 20, 5*-6 = -30. */
  qc_nss_pair_moments(a, 3, 2, 3, QC_NSS_H, 0, &m);
  assert_close(m.n, 6.0, 0.0);
  assert_close(m.nPos, 1.0, 0.0);
  assert_close(m.nNeg, 3.0, 0.0);
  assert_close(m.sumPos2, 400.0, 0.0);
  assert_close(m.sumNeg2, 4.0 + 36.0 + 900.0, 0.0);
  assert_close(m.sumAbs, 58.0, 0.0);
  /* H, wrapped: adds 3*1 = 3 and -6*4 = -24. */
  qc_nss_pair_moments(a, 3, 2, 3, QC_NSS_H, 1, &m);
  assert_close(m.nPos, 2.0, 0.0);
  assert_close(m.nNeg, 4.0, 0.0);
  assert_close(m.sumAbs, 85.0, 0.0);
  /* D2 (below-left), zero-filled: -2*4 = -8, 3*5 = 15. */
  qc_nss_pair_moments(a, 3, 2, 3, QC_NSS_D2, 0, &m);
  assert_close(m.sumAbs, 23.0, 0.0);
  assert_close(m.n, 6.0, 0.0);
  /* D2 wrapped: rows wrap too: 1*-6 (0,0)-(1,2); 4*3 (1,0)-(0,2);
   * 5*1 (1,1)-(0,0); -6*-2 (1,2)-(0,1); plus the two inner. */
  qc_nss_pair_moments(a, 3, 2, 3, QC_NSS_D2, 1, &m);
  assert_close(m.sumAbs, 23.0 + 6.0 + 12.0 + 5.0 + 12.0, 0.0);
  assert_close(m.nNeg, 2.0, 0.0);
}

/* qc_nss_mscn_moments() streams what BRISQUE used to compute in steps:
 * qc_mscn() (7x7, sigma 7/6) into a plane, then qc_nss_moments_add() of
 * the plane and qc_nss_pair_moments() of the whole plane in the four
 * orientations.  The counts must be equal exactly (the MSCN bits are the
 * same) and the sums equal up to the order of additions (1e-12
 * relative), for every border rule, both pairing rules, c = 1 and 1/255,
 * and plane shapes that exercise one row, one column, odd widths and the
 * 16-lane tails.  Planes: seeded uniform noise with flat patches, so
 * that exact zeros and rounding-noise coefficients occur. */
static void test_qc_nss_mscn_moments_equal_stepwise(void **state)
{
  static const int32_t aSize[][2] = {{1, 1},   {1, 9},  {9, 1},   {2, 2},
                                     {7, 5},   {17, 3}, {33, 34}, {64, 16},
                                     {100, 7}, {257, 5}};
  static const enum qc_border aBorder[] = {QC_BORDER_ZERO, QC_BORDER_REPLICATE,
                                           QC_BORDER_REFLECT101,
                                           QC_BORDER_SYMMETRIC};
  static const enum qc_nss_orient aOrient[] = {QC_NSS_H, QC_NSS_V, QC_NSS_D1,
                                               QC_NSS_D2};
  static const double aC[] = {1.0, 1.0 / 255.0};
  uint64_t seed = 20261127;
  size_t iS, iB, iW, iC, k;

  (void)state;
  for(iS = 0; iS < sizeof(aSize) / sizeof(aSize[0]); iS++) {
    int32_t w = aSize[iS][0], h = aSize[iS][1];
    size_t n = (size_t)w * (size_t)h;
    float *a = malloc(n * sizeof(float));
    float *m = malloc(n * sizeof(float));
    assert_non_null(a);
    assert_non_null(m);
    for(k = 0; k < n; k++) {
      a[k] = (float)floor(255.0 * tu_rand_unit(&seed));
      if((k % (size_t)w) < (size_t)w / 3) {
        a[k] = 77.0f; /* A flat patch */
      }
    }
    struct qc_plane in = {a, w, h};
    for(iB = 0; iB < sizeof(aBorder) / sizeof(aBorder[0]); iB++) {
      for(iC = 0; iC < 2; iC++) {
        for(iW = 0; iW < 2; iW++) {
          struct qc_nss_moments aGot[5], aWant[5];
          memset(aWant, 0, sizeof(aWant));
          assert_int_equal(
              qc_mscn(&in, 7, 7.0 / 6.0, aBorder[iB], aC[iC], m, NULL, NULL),
              QC_OK);
          qc_nss_moments_add(&aWant[0], m, n);
          for(k = 0; k < 4; k++) {
            qc_nss_pair_moments(m, w, h, (size_t)w, aOrient[k], (int)iW,
                                &aWant[k + 1]);
          }
          assert_int_equal(
              qc_nss_mscn_moments(&in, aBorder[iB], aC[iC], (int)iW, aGot),
              QC_OK);
          for(k = 0; k < 5; k++) {
            assert_true(aGot[k].n == aWant[k].n);
            assert_true(aGot[k].nPos == aWant[k].nPos);
            assert_true(aGot[k].nNeg == aWant[k].nNeg);
            assert_close_rel(aGot[k].sumPos2, aWant[k].sumPos2, 1e-12);
            assert_close_rel(aGot[k].sumNeg2, aWant[k].sumNeg2, 1e-12);
            assert_close_rel(aGot[k].sumAbs, aWant[k].sumAbs, 1e-12);
          }
        }
      }
    }
    free(a);
    free(m);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qc_mscn_each_border_matches_scipy),
      cmocka_unit_test(test_qc_mscn_mu_sigma_and_unit_scale_match_scipy),
      cmocka_unit_test(test_qc_mscn_matches_naive_oracle_small_planes),
      cmocka_unit_test(test_qc_mscn_constant_plane_returns_zero),
      cmocka_unit_test(test_qc_mscn_bad_arguments_return_MISUSE_or_RANGE),
      cmocka_unit_test(test_qc_resize_cubic_opencv_matches_cv2),
      cmocka_unit_test(
          test_qc_resize_bicubic_matlab_matches_documented_kernel),
      cmocka_unit_test(test_qc_resize_constant_and_identity),
      cmocka_unit_test(test_qc_resize_bad_arguments_return_MISUSE_or_RANGE),
      cmocka_unit_test(test_qc_nss_fits_match_numpy_table_search),
      cmocka_unit_test(test_qc_aggd_fit_bisection_matches_linear_scan),
      cmocka_unit_test(test_qc_aggd_fit_one_sided_gives_NaN_and_release_alpha),
      cmocka_unit_test(test_qc_nss_pair_moments_small_window_by_hand),
      cmocka_unit_test(test_qc_nss_mscn_moments_equal_stepwise),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
