/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_distort.c - unit tests of qc/distort.c, the graded distortions
 * of `dicomqc eval`.
 *
 * Focus: every kind at levels 2 and 4 on three small planes (12-bit grey
 * integers, 8-bit RGB, non-integer MR-like grey) against the outputs of
 * tests/reference/make_distort_reference.py, an independent numpy/SciPy
 * transcription (SciPy gaussian_filter/correlate in 'reflect' mode,
 * numpy.fft, the same splitmix64/Box-Muller draws in pure Python); level
 * 0 as an exact copy; the scale factors s and s_f on large planes (an
 * impulse's response has a closed form); determinism in the seed; the
 * header fields of the copy; and the refusals (NULL, bad frame, kind or
 * level, planes under 16x16, bad detector range, NaN and infinite
 * samples).
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

#define REF_TSV "distort_reference.tsv"

/* The reference planes, in the script's order. */
static const char *const azPlane[] = {"dist_xray", "dist_fundus", "dist_mr"};
#define N_PLANE (sizeof(azPlane) / sizeof(azPlane[0]))

/* Every kind, in enum order. */
static const enum qc_distortion aKind[] = {
    QC_DIST_BLUR,       QC_DIST_NOISE,        QC_DIST_UNDEREXPOSE,
    QC_DIST_OVEREXPOSE, QC_DIST_MOTION,       QC_DIST_RICIAN,
    QC_DIST_DEFOCUS,    QC_DIST_ILLUMINATION, QC_DIST_DARKEN};
#define N_KIND (sizeof(aKind) / sizeof(aKind[0]))

/* File of a plane or output: .u8 for the RGB plane, else .f32. */
static void ref_file(char *zBuf, size_t nBuf, const char *zName, int nC)
{
  int n = snprintf(zBuf, nBuf, "%s%s", zName, nC == 3 ? ".u8" : ".f32");
  assert_true(n > 0 && (size_t)n < nBuf);
}

/* Loads reference plane zPlane into a new one-frame image with its
 * detector range, 12 bits stored, a window and spacing. */
static struct qc_image *load_plane(const char *zPlane)
{
  char zFile[256];
  int32_t nW = (int32_t)tu_tsv(REF_TSV, zPlane, "width");
  int32_t nH = (int32_t)tu_tsv(REF_TSV, zPlane, "height");
  int32_t nC = (int32_t)tu_tsv(REF_TSV, zPlane, "channels");
  size_t n = (size_t)nW * (size_t)nH * (size_t)nC;
  struct qc_image *pImg = qc_image_new(nW, nH, nC, 1);
  float *a;

  assert_non_null(pImg);
  ref_file(zFile, sizeof(zFile), zPlane, nC);
  a = tu_read_samples(zFile, n);
  memcpy(pImg->aPixel, a, n * sizeof(float));
  free(a);
  pImg->detectorMin = tu_tsv(REF_TSV, zPlane, "dmin");
  pImg->detectorMax = tu_tsv(REF_TSV, zPlane, "dmax");
  pImg->bitsStored = nC == 3 ? 8 : 12;
  pImg->rowSpacing = 0.143;
  pImg->colSpacing = 0.148;
  pImg->hasWindow = 1;
  pImg->windowCenter = 2047.0;
  pImg->windowWidth = 4096.0;
  return pImg;
}

/* A grey nW x nH x nC image with nF frames, every sample v, detector
 * 0..4095. */
static struct qc_image *flat_image(int32_t nW, int32_t nH, int32_t nC,
                                   int32_t nF, float v)
{
  struct qc_image *pImg = qc_image_new(nW, nH, nC, nF);
  size_t i, n;

  assert_non_null(pImg);
  n = (size_t)nW * (size_t)nH * (size_t)nC * (size_t)nF;
  for(i = 0; i < n; i++) {
    pImg->aPixel[i] = v;
  }
  pImg->detectorMin = 0.0;
  pImg->detectorMax = 4095.0;
  pImg->bitsStored = 12;
  return pImg;
}

/* Integer outputs: equal sample by sample, except at most "ties" samples
 * (near-half-integer values whose rounding may go either way, see the
 * script) that may differ by 1.  Non-integer outputs: within 1e-6 of the
 * detector span (float32 keeps about 1.2e-4 at 2048, a span of 2047.5
 * allows 2e-3; a wrong formula is off by far more). */
static void test_qc_distort_reference_outputs_match_numpy(void **state)
{
  size_t iP, iK;
  int level;

  (void)state;
  for(iP = 0; iP < N_PLANE; iP++) {
    struct qc_image *pIn = load_plane(azPlane[iP]);
    size_t n = qc_image_frame_len(pIn);
    int isInt = (int)tu_tsv(REF_TSV, azPlane[iP], "integer");
    double tol = 1e-6 * (pIn->detectorMax - pIn->detectorMin);
    for(iK = 0; iK < N_KIND; iK++) {
      for(level = 2; level <= 4; level += 2) {
        char zName[128], zFile[160];
        const char *zKind = qc_distortion_name(aKind[iK]);
        struct qc_image *pOut = NULL;
        float *aRef;
        double nTie;
        uint64_t seed;
        size_t i, nDiff = 0;
        assert_true((size_t)snprintf(zName, sizeof(zName), "%s_%s_L%d",
                                     azPlane[iP], zKind,
                                     level) < sizeof(zName));
        seed = (uint64_t)tu_tsv(REF_TSV, zName, "seed");
        nTie = tu_tsv(REF_TSV, zName, "ties");
        ref_file(zFile, sizeof(zFile), zName, pIn->nChannels);
        aRef = tu_read_samples(zFile, n);
        assert_int_equal(qc_distort(pIn, 0, aKind[iK], level, seed, &pOut),
                         QC_OK);
        for(i = 0; i < n; i++) {
          double d = fabs((double)pOut->aPixel[i] - (double)aRef[i]);
          if(isInt) {
            if(d != 0.0) {
              nDiff++;
              if(d != 1.0) {
                fail_msg("%s sample %zu: %g, expected %g", zName, i,
                         pOut->aPixel[i], aRef[i]);
              }
            }
          } else if(!(d <= tol)) {
            fail_msg("%s sample %zu: %.9g, expected %.9g", zName, i,
                     pOut->aPixel[i], aRef[i]);
          }
        }
        if((double)nDiff > nTie) {
          fail_msg("%s: %zu samples differ by 1, %g near-ties", zName, nDiff,
                   nTie);
        }
        free(aRef);
        qc_image_free(pOut);
      }
    }
    qc_image_free(pIn);
  }
}

/* Level 0 is the frame itself, bit for bit, whatever the kind and seed,
 * and the copy carries the header fields. */
static void test_qc_distort_level0_is_exact_copy(void **state)
{
  size_t iP, iK;

  (void)state;
  for(iP = 0; iP < N_PLANE; iP++) {
    struct qc_image *pIn = load_plane(azPlane[iP]);
    size_t n = qc_image_frame_len(pIn);
    for(iK = 0; iK < N_KIND; iK++) {
      struct qc_image *pOut = NULL;
      assert_int_equal(qc_distort(pIn, 0, aKind[iK], 0, 77u + iK, &pOut),
                       QC_OK);
      assert_int_equal(pOut->nWidth, pIn->nWidth);
      assert_int_equal(pOut->nHeight, pIn->nHeight);
      assert_int_equal(pOut->nChannels, pIn->nChannels);
      assert_int_equal(pOut->nFrames, 1);
      assert_memory_equal(pOut->aPixel, pIn->aPixel, n * sizeof(float));
      assert_true(pOut->rowSpacing == pIn->rowSpacing);
      assert_true(pOut->colSpacing == pIn->colSpacing);
      assert_int_equal(pOut->bitsStored, pIn->bitsStored);
      assert_int_equal(pOut->isSigned, pIn->isSigned);
      assert_true(pOut->detectorMin == pIn->detectorMin);
      assert_true(pOut->detectorMax == pIn->detectorMax);
      assert_int_equal(pOut->hasWindow, pIn->hasWindow);
      assert_true(pOut->windowCenter == pIn->windowCenter);
      assert_true(pOut->windowWidth == pIn->windowWidth);
      qc_image_free(pOut);
    }
    qc_image_free(pIn);
  }
}

/* Frame 1 of a two-frame image is distorted as the same samples in a
 * one-frame image are; the output has one frame. */
static void test_qc_distort_selects_frame(void **state)
{
  struct qc_image *pOne = load_plane("dist_xray");
  size_t n = qc_image_frame_len(pOne);
  struct qc_image *pTwo =
      qc_image_new(pOne->nWidth, pOne->nHeight, pOne->nChannels, 2);
  struct qc_image *pA = NULL, *pB = NULL;
  size_t i;

  (void)state;
  assert_non_null(pTwo);
  for(i = 0; i < n; i++) {
    pTwo->aPixel[i] = 4095.0f - pOne->aPixel[i];
  }
  memcpy(pTwo->aPixel + n, pOne->aPixel, n * sizeof(float));
  pTwo->detectorMin = pOne->detectorMin;
  pTwo->detectorMax = pOne->detectorMax;
  assert_int_equal(qc_distort(pTwo, 1, QC_DIST_NOISE, 3, 5u, &pA), QC_OK);
  assert_int_equal(qc_distort(pOne, 0, QC_DIST_NOISE, 3, 5u, &pB), QC_OK);
  assert_int_equal(pA->nFrames, 1);
  assert_memory_equal(pA->aPixel, pB->aPixel, n * sizeof(float));
  qc_image_free(pA);
  qc_image_free(pB);
  qc_image_free(pOne);
  qc_image_free(pTwo);
}

/* The same seed gives the same bytes; another seed changes the kinds
 * that draw (noise, underexpose, motion, rician) and not the others. */
static void test_qc_distort_deterministic_in_seed(void **state)
{
  size_t iP, iK;

  (void)state;
  for(iP = 0; iP < N_PLANE; iP++) {
    struct qc_image *pIn = load_plane(azPlane[iP]);
    size_t n = qc_image_frame_len(pIn);
    for(iK = 0; iK < N_KIND; iK++) {
      enum qc_distortion k = aKind[iK];
      int isRandom = k == QC_DIST_NOISE || k == QC_DIST_UNDEREXPOSE ||
                     k == QC_DIST_MOTION || k == QC_DIST_RICIAN;
      struct qc_image *pA = NULL, *pB = NULL, *pC = NULL;
      uint64_t seed = 0xfedcba9876543210u;
      assert_int_equal(qc_distort(pIn, 0, k, 3, seed, &pA), QC_OK);
      assert_int_equal(qc_distort(pIn, 0, k, 3, seed, &pB), QC_OK);
      assert_int_equal(qc_distort(pIn, 0, k, 3, seed + 1, &pC), QC_OK);
      assert_memory_equal(pA->aPixel, pB->aPixel, n * sizeof(float));
      assert_int_equal(memcmp(pA->aPixel, pC->aPixel, n * sizeof(float)) != 0,
                       isRandom);
      qc_image_free(pA);
      qc_image_free(pB);
      qc_image_free(pC);
    }
    qc_image_free(pIn);
  }
}

/* Outputs stay in the detector range and integer inputs stay integers,
 * at the strongest level of every kind. */
static void test_qc_distort_outputs_clamped_and_integral(void **state)
{
  size_t iP, iK, i;

  (void)state;
  for(iP = 0; iP < N_PLANE; iP++) {
    struct qc_image *pIn = load_plane(azPlane[iP]);
    size_t n = qc_image_frame_len(pIn);
    int isInt = (int)tu_tsv(REF_TSV, azPlane[iP], "integer");
    for(iK = 0; iK < N_KIND; iK++) {
      struct qc_image *pOut = NULL;
      assert_int_equal(qc_distort(pIn, 0, aKind[iK], 4, 99u, &pOut), QC_OK);
      for(i = 0; i < n; i++) {
        float v = pOut->aPixel[i];
        assert_true(v >= pIn->detectorMin && v <= pIn->detectorMax);
        assert_true(!isInt || floorf(v) == v);
      }
      qc_image_free(pOut);
    }
    qc_image_free(pIn);
  }
}

/* Blur on a plane with min side 1030: s = 1030/512, sigma = 0.75 L s.
 * An impulse of height A on a flat 0.5 (not integers, so no rounding)
 * peaks at 0.5 + A k0^2 with k0 the normalised kernel's centre weight;
 * the kernel reaches r = (int)(4 sigma + 0.5), so the sample r from the
 * impulse moves and the one at r + 1 does not.  Tolerance 1e-3: float32
 * storage of values near 1000. */
static void test_qc_distort_blur_scales_with_size(void **state)
{
  int32_t nW = 1100, nH = 1030, c0 = 550, r0 = 515;
  struct qc_image *pIn = flat_image(nW, nH, 1, 1, 0.5f);
  struct qc_image *pOut = NULL;
  double a = 3000.0, sigma = 0.75 * 2.0 * (1030.0 / 512.0), sum = 0.0, k0;
  int nR = (int)(4.0 * sigma + 0.5), j;

  (void)state;
  pIn->aPixel[(size_t)r0 * nW + c0] = (float)(0.5 + a);
  for(j = -nR; j <= nR; j++) {
    sum += exp(-0.5 * j * j / (sigma * sigma));
  }
  k0 = 1.0 / sum;
  assert_int_equal(qc_distort(pIn, 0, QC_DIST_BLUR, 2, 1u, &pOut), QC_OK);
  assert_close(pOut->aPixel[(size_t)r0 * nW + c0], 0.5 + a * k0 * k0, 1e-3);
  assert_true(pOut->aPixel[(size_t)r0 * nW + c0 + nR] > 0.5f);
  assert_true(pOut->aPixel[(size_t)r0 * nW + c0 + nR + 1] == 0.5f);
  assert_true(pOut->aPixel[(size_t)(r0 + nR + 1) * nW + c0] == 0.5f);
  qc_image_free(pOut);
  qc_image_free(pIn);
}

/* Defocus on a plane with min side 1140: s_f = 2, rho = 1.5 L s_f = 3 at
 * L = 1, a disk of 29 offsets (dx^2 + dy^2 <= 9).  An impulse A on a
 * flat 0.5 gives 0.5 + A/29 inside the disk, 0.5 outside. */
static void test_qc_distort_defocus_scales_with_size(void **state)
{
  int32_t nW = 1200, nH = 1140, c0 = 600, r0 = 570;
  struct qc_image *pIn = flat_image(nW, nH, 1, 1, 0.5f);
  struct qc_image *pOut = NULL;
  double a = 2900.0;
  int dy, dx;

  (void)state;
  pIn->aPixel[(size_t)r0 * nW + c0] = (float)(0.5 + a);
  assert_int_equal(qc_distort(pIn, 0, QC_DIST_DEFOCUS, 1, 1u, &pOut), QC_OK);
  for(dy = -4; dy <= 4; dy++) {
    for(dx = -4; dx <= 4; dx++) {
      double expect = dx * dx + dy * dy <= 9 ? 0.5 + a / 29.0 : 0.5;
      assert_close(pOut->aPixel[(size_t)(r0 + dy) * nW + c0 + dx], expect,
                   1e-4);
    }
  }
  qc_image_free(pOut);
  qc_image_free(pIn);
}

/* A constant plane has no spread and no noise: grey noise (R = 0) and
 * underexpose (sigma0 = 0) leave it as it is, blur and defocus too. */
static void test_qc_distort_constant_plane_unchanged(void **state)
{
  static const enum qc_distortion aK[] = {QC_DIST_NOISE, QC_DIST_UNDEREXPOSE,
                                          QC_DIST_BLUR, QC_DIST_DEFOCUS};
  struct qc_image *pIn = flat_image(20, 17, 1, 1, 1000.0f);
  size_t i, j;

  (void)state;
  for(i = 0; i < sizeof(aK) / sizeof(aK[0]); i++) {
    struct qc_image *pOut = NULL;
    assert_int_equal(qc_distort(pIn, 0, aK[i], 4, 3u, &pOut), QC_OK);
    for(j = 0; j < 20 * 17; j++) {
      assert_true(pOut->aPixel[j] == 1000.0f);
    }
    qc_image_free(pOut);
  }
  qc_image_free(pIn);
}

static void test_qc_distort_names(void **state)
{
  static const char *const azName[] = {
      "blur",   "noise",   "underexpose",  "overexpose", "motion",
      "rician", "defocus", "illumination", "darken"};
  size_t i;

  (void)state;
  for(i = 0; i < N_KIND; i++) {
    assert_string_equal(qc_distortion_name(aKind[i]), azName[i]);
  }
  assert_null(qc_distortion_name((enum qc_distortion)0));
  assert_null(qc_distortion_name((enum qc_distortion)10));
}

/* NULL pointers, a frame out of range, an unknown kind, a level outside
 * 0..4: QC_ERR_MISUSE, *ppOut untouched. */
static void test_qc_distort_misuse_refused(void **state)
{
  struct qc_image *pIn = flat_image(16, 16, 1, 2, 7.0f);
  struct qc_image *pOut = (struct qc_image *)(void *)&pOut; /* Sentinel */
  struct qc_image *pSentinel = pOut;

  (void)state;
  assert_int_equal(qc_distort(NULL, 0, QC_DIST_BLUR, 1, 0u, &pOut),
                   QC_ERR_MISUSE);
  assert_int_equal(qc_distort(pIn, 0, QC_DIST_BLUR, 1, 0u, NULL),
                   QC_ERR_MISUSE);
  assert_int_equal(qc_distort(pIn, -1, QC_DIST_BLUR, 1, 0u, &pOut),
                   QC_ERR_MISUSE);
  assert_int_equal(qc_distort(pIn, 2, QC_DIST_BLUR, 1, 0u, &pOut),
                   QC_ERR_MISUSE);
  assert_int_equal(qc_distort(pIn, 0, (enum qc_distortion)0, 1, 0u, &pOut),
                   QC_ERR_MISUSE);
  assert_int_equal(qc_distort(pIn, 0, (enum qc_distortion)10, 0, 0u, &pOut),
                   QC_ERR_MISUSE);
  assert_int_equal(qc_distort(pIn, 0, QC_DIST_BLUR, -1, 0u, &pOut),
                   QC_ERR_MISUSE);
  assert_int_equal(qc_distort(pIn, 0, QC_DIST_BLUR, 5, 0u, &pOut),
                   QC_ERR_MISUSE);
  assert_ptr_equal(pOut, pSentinel);
  qc_image_free(pIn);
}

/* Under 16x16, a detector range that is not finite or inverted, a NaN or
 * infinite sample (at level 0 too): QC_ERR_RANGE, *ppOut untouched. */
static void test_qc_distort_range_refused(void **state)
{
  struct qc_image *pNarrow = flat_image(15, 16, 1, 1, 7.0f);
  struct qc_image *pShort = flat_image(16, 15, 3, 1, 7.0f);
  struct qc_image *pOk = flat_image(16, 16, 1, 1, 7.0f);
  struct qc_image *pOut = (struct qc_image *)(void *)&pOut; /* Sentinel */
  struct qc_image *pSentinel = pOut;
  struct qc_image *pGood = NULL;
  size_t iK;
  int level;

  (void)state;
  assert_int_equal(qc_distort(pNarrow, 0, QC_DIST_DARKEN, 1, 0u, &pOut),
                   QC_ERR_RANGE);
  assert_int_equal(qc_distort(pShort, 0, QC_DIST_DARKEN, 1, 0u, &pOut),
                   QC_ERR_RANGE);
  pOk->detectorMin = 5000.0;
  assert_int_equal(qc_distort(pOk, 0, QC_DIST_DARKEN, 1, 0u, &pOut),
                   QC_ERR_RANGE);
  pOk->detectorMin = NAN;
  assert_int_equal(qc_distort(pOk, 0, QC_DIST_DARKEN, 1, 0u, &pOut),
                   QC_ERR_RANGE);
  pOk->detectorMin = 0.0;
  pOk->detectorMax = INFINITY;
  assert_int_equal(qc_distort(pOk, 0, QC_DIST_DARKEN, 1, 0u, &pOut),
                   QC_ERR_RANGE);
  pOk->detectorMax = 4095.0;
  pOk->aPixel[37] = NAN;
  for(iK = 0; iK < N_KIND; iK++) {
    for(level = 0; level <= 4; level += 4) {
      assert_int_equal(qc_distort(pOk, 0, aKind[iK], level, 0u, &pOut),
                       QC_ERR_RANGE);
    }
  }
  pOk->aPixel[37] = -INFINITY;
  assert_int_equal(qc_distort(pOk, 0, QC_DIST_BLUR, 2, 0u, &pOut),
                   QC_ERR_RANGE);
  assert_ptr_equal(pOut, pSentinel);
  pOk->aPixel[37] = 7.0f; /* 16x16 is accepted */
  assert_int_equal(qc_distort(pOk, 0, QC_DIST_BLUR, 4, 0u, &pGood), QC_OK);
  qc_image_free(pGood);
  qc_image_free(pNarrow);
  qc_image_free(pShort);
  qc_image_free(pOk);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qc_distort_reference_outputs_match_numpy),
      cmocka_unit_test(test_qc_distort_level0_is_exact_copy),
      cmocka_unit_test(test_qc_distort_selects_frame),
      cmocka_unit_test(test_qc_distort_deterministic_in_seed),
      cmocka_unit_test(test_qc_distort_outputs_clamped_and_integral),
      cmocka_unit_test(test_qc_distort_blur_scales_with_size),
      cmocka_unit_test(test_qc_distort_defocus_scales_with_size),
      cmocka_unit_test(test_qc_distort_constant_plane_unchanged),
      cmocka_unit_test(test_qc_distort_names),
      cmocka_unit_test(test_qc_distort_misuse_refused),
      cmocka_unit_test(test_qc_distort_range_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
