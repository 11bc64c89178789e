/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_mask.c - unit tests of qc/mask.c: Otsu's threshold, dilation
 * and erosion by a square, hole filling and the largest component.
 *
 * Reference values and masks come from scikit-image 0.19 and SciPy 1.10
 * (tests/reference/make_mask_reference.py: threshold_otsu,
 * binary_dilation, binary_erosion, binary_fill_holes, label); the square
 * operations are also checked against a brute-force oracle in this file
 * on seeded masks of many shapes (1-pixel sides, radii beyond the image).
 * Then bad input: NULL, negative radius, empty sides, NaN samples,
 * constant samples.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

#define TSV "mask_reference.tsv"

static const char *const azMask[] = {"sparse", "dense", "blobs", "shapes"};
#define N_MASK (sizeof(azMask) / sizeof(azMask[0]))

/* Reads data/<zName>.u8 (n bytes, 0 or 1) into a new byte array. */
static uint8_t *read_mask(const char *zName, size_t n)
{
  char zFile[256];
  float *a;
  uint8_t *m = malloc(n + 1);
  size_t i;

  assert_non_null(m);
  assert_true((size_t)snprintf(zFile, sizeof(zFile), "%s.u8", zName) <
              sizeof(zFile));
  a = tu_read_samples(zFile, n);
  for(i = 0; i < n; i++) {
    m[i] = (uint8_t)a[i];
  }
  free(a);
  return m;
}

static void assert_same_mask(const uint8_t *a, const uint8_t *b, size_t n,
                             const char *zWhat)
{
  size_t i;

  for(i = 0; i < n; i++) {
    if(a[i] != b[i]) {
      fail_msg("%s: pixel %zu is %d, expected %d", zWhat, i, a[i], b[i]);
    }
  }
}

/* ------------------------------------------------------------- Otsu */

static void test_otsu_reference(void **state)
{
  static const char *const az[] = {"bimodal", "skew", "signed", "two"};
  size_t k;

  (void)state;
  for(k = 0; k < sizeof(az) / sizeof(az[0]); k++) {
    char zName[64], zFile[80];
    struct tu_plane p;
    size_t n, i;
    uint8_t *aSel;
    double thr = -1.0;

    snprintf(zName, sizeof(zName), "mask_otsu_%s_71x53", az[k]);
    snprintf(zFile, sizeof(zFile), "%s.f32", zName);
    tu_plane_read(TSV, zName, zFile, 1, &p);
    n = (size_t)p.nWidth * (size_t)p.nHeight;
    assert_int_equal(qc_otsu(p.a, n, NULL, &thr), QC_OK);
    assert_close_rel(thr, tu_tsv(TSV, zName, "threshold"), 1e-12);
    if(k < 3) {
      aSel = malloc(n);
      assert_non_null(aSel);
      for(i = 0; i < n; i++) {
        aSel[i] = (uint8_t)((int32_t)(i % (size_t)p.nWidth) < p.nWidth / 2);
      }
      assert_int_equal(qc_otsu(p.a, n, aSel, &thr), QC_OK);
      assert_close_rel(thr, tu_tsv(TSV, zName, "threshold_lefthalf"), 1e-12);
      free(aSel);
    }
    free(p.a);
  }
}

static void test_otsu_bad(void **state)
{
  float a[4] = {1.0f, 1.0f, 1.0f, 1.0f};
  uint8_t aSel[4] = {1, 0, 0, 1};
  double thr = 42.0;

  (void)state;
  assert_int_equal(qc_otsu(NULL, 4, NULL, &thr), QC_ERR_MISUSE);
  assert_int_equal(qc_otsu(a, 4, NULL, NULL), QC_ERR_MISUSE);
  assert_int_equal(qc_otsu(a, 4, NULL, &thr), QC_ERR_RANGE); /* constant */
  assert_int_equal(qc_otsu(a, 0, NULL, &thr), QC_ERR_RANGE); /* empty */
  a[1] = 5.0f; /* Distinct, but not selected */
  assert_int_equal(qc_otsu(a, 4, aSel, &thr), QC_ERR_RANGE);
  assert_int_equal(qc_otsu(a, 4, NULL, &thr), QC_OK);
  assert_true(thr > 1.0 && thr < 5.0);
  a[2] = NAN;
  thr = 42.0;
  assert_int_equal(qc_otsu(a, 4, NULL, &thr), QC_ERR_RANGE);
  a[2] = INFINITY;
  assert_int_equal(qc_otsu(a, 4, NULL, &thr), QC_ERR_RANGE);
  assert_true(thr == 42.0);
  a[2] = NAN; /* Not selected: ignored */
  aSel[1] = 1;
  assert_int_equal(qc_otsu(a, 4, aSel, &thr), QC_OK);
}

/* ---------------------------------------------- reference mask ops */

static void test_ops_reference(void **state)
{
  static const int32_t aR[] = {1, 2, 5, 40};
  size_t k, j;

  (void)state;
  for(k = 0; k < N_MASK; k++) {
    char zIn[64], zOut[64];
    int32_t w, h;
    size_t n, nArea = 7;
    uint8_t *aIn, *aWant, *a;

    snprintf(zIn, sizeof(zIn), "mask_in_%s_61x47", azMask[k]);
    w = (int32_t)tu_tsv(TSV, zIn, "width");
    h = (int32_t)tu_tsv(TSV, zIn, "height");
    n = (size_t)w * (size_t)h;
    aIn = read_mask(zIn, n);
    a = malloc(n);
    assert_non_null(a);
    for(j = 0; j < sizeof(aR) / sizeof(aR[0]); j++) {
      snprintf(zOut, sizeof(zOut), "mask_dilate%d_%s_61x47", (int)aR[j],
               azMask[k]);
      aWant = read_mask(zOut, n);
      memcpy(a, aIn, n);
      assert_int_equal(qc_mask_dilate(a, w, h, aR[j]), QC_OK);
      assert_same_mask(a, aWant, n, zOut);
      free(aWant);
      snprintf(zOut, sizeof(zOut), "mask_erode%d_%s_61x47", (int)aR[j],
               azMask[k]);
      aWant = read_mask(zOut, n);
      memcpy(a, aIn, n);
      assert_int_equal(qc_mask_erode(a, w, h, aR[j]), QC_OK);
      assert_same_mask(a, aWant, n, zOut);
      free(aWant);
    }
    snprintf(zOut, sizeof(zOut), "mask_fill_%s_61x47", azMask[k]);
    aWant = read_mask(zOut, n);
    memcpy(a, aIn, n);
    assert_int_equal(qc_mask_fill_holes(a, w, h), QC_OK);
    assert_same_mask(a, aWant, n, zOut);
    free(aWant);
    snprintf(zOut, sizeof(zOut), "mask_largest_%s_61x47", azMask[k]);
    aWant = read_mask(zOut, n);
    memcpy(a, aIn, n);
    assert_int_equal(qc_mask_largest(a, w, h, &nArea), QC_OK);
    assert_same_mask(a, aWant, n, zOut);
    assert_int_equal(nArea, (size_t)tu_tsv(TSV, zIn, "largest_area"));
    free(aWant);
    /* r = 0 leaves the mask unchanged. */
    memcpy(a, aIn, n);
    assert_int_equal(qc_mask_dilate(a, w, h, 0), QC_OK);
    assert_int_equal(qc_mask_erode(a, w, h, 0), QC_OK);
    assert_same_mask(a, aIn, n, "r = 0");
    free(a);
    free(aIn);
  }
}

/* ------------------------------------------------ brute-force oracle */

/* Dilation (isErode 0) / erosion (1) by the (2r+1)^2 square, outside 0,
 * straight from the definition. */
static void oracle_square(const uint8_t *a, uint8_t *out, int32_t w, int32_t h,
                          int32_t r, int isErode)
{
  int32_t x, y, dx, dy;

  for(y = 0; y < h; y++) {
    for(x = 0; x < w; x++) {
      int any = 0, all = 1;
      for(dy = -r; dy <= r; dy++) {
        for(dx = -r; dx <= r; dx++) {
          int32_t yy = y + dy, xx = x + dx;
          int v = (yy >= 0 && yy < h && xx >= 0 && xx < w)
                      ? a[(size_t)yy * (size_t)w + (size_t)xx]
                      : 0;
          any |= v;
          all &= v;
        }
      }
      out[(size_t)y * (size_t)w + (size_t)x] = (uint8_t)(isErode ? all : any);
    }
  }
}

static void test_square_oracle(void **state)
{
  static const int32_t aSide[][2] = {{1, 1},  {1, 9},  {9, 1},  {2, 3},
                                     {17, 5}, {6, 23}, {31, 29}};
  uint64_t seed = 77;
  size_t k;

  (void)state;
  for(k = 0; k < sizeof(aSide) / sizeof(aSide[0]); k++) {
    int32_t w = aSide[k][0], h = aSide[k][1], r;
    size_t n = (size_t)w * (size_t)h, i;
    uint8_t *aIn = malloc(n), *a = malloc(n), *aWant = malloc(n);
    assert_true(aIn && a && aWant);
    for(r = 0; r <= 6; r++) {
      double p = (r % 3 == 0) ? 0.1 : (r % 3 == 1 ? 0.5 : 0.9);
      int isErode;
      for(i = 0; i < n; i++) {
        aIn[i] = (uint8_t)(tu_rand_unit(&seed) < p);
      }
      for(isErode = 0; isErode < 2; isErode++) {
        memcpy(a, aIn, n);
        oracle_square(aIn, aWant, w, h, r, isErode);
        assert_int_equal(isErode ? qc_mask_erode(a, w, h, r)
                                 : qc_mask_dilate(a, w, h, r),
                         QC_OK);
        assert_same_mask(a, aWant, n, isErode ? "erode" : "dilate");
      }
    }
    free(aIn);
    free(a);
    free(aWant);
  }
}

/* Edge shapes: empty and full masks, a tie between components. */
static void test_components_edges(void **state)
{
  uint8_t a[5 * 4];
  size_t nArea = 99, i;

  (void)state;
  memset(a, 0, sizeof(a));
  assert_int_equal(qc_mask_largest(a, 5, 4, &nArea), QC_OK);
  assert_int_equal(nArea, 0);
  assert_int_equal(qc_mask_fill_holes(a, 5, 4), QC_OK);
  for(i = 0; i < sizeof(a); i++) {
    assert_int_equal(a[i], 0);
  }
  memset(a, 1, sizeof(a));
  assert_int_equal(qc_mask_fill_holes(a, 5, 4), QC_OK);
  assert_int_equal(qc_mask_largest(a, 5, 4, NULL), QC_OK);
  assert_int_equal(qc_mask_erode(a, 5, 4, 1), QC_OK);
  for(i = 0; i < sizeof(a); i++) { /* Only the 3x2 interior survives */
    int x = (int)(i % 5), y = (int)(i / 5);
    assert_int_equal(a[i], x >= 1 && x <= 3 && y >= 1 && y <= 2);
  }
  /* Two components of 2 pixels: the first in raster order wins. */
  memset(a, 0, sizeof(a));
  a[3] = a[4] = 1;   /* Row 0, columns 3-4 */
  a[10] = a[15] = 1; /* Column 0, rows 2-3 */
  assert_int_equal(qc_mask_largest(a, 5, 4, &nArea), QC_OK);
  assert_int_equal(nArea, 2);
  assert_int_equal(a[3] + a[4], 2);
  assert_int_equal(a[10] + a[15], 0);
}

static void test_mask_bad(void **state)
{
  uint8_t a[4] = {0, 1, 1, 0};
  size_t nArea = 5;

  (void)state;
  assert_int_equal(qc_mask_dilate(NULL, 2, 2, 1), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_erode(NULL, 2, 2, 1), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_dilate(a, 2, 2, -1), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_erode(a, 2, 2, -1), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_dilate(a, 0, 2, 1), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_erode(a, 2, -3, 1), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_fill_holes(NULL, 2, 2), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_fill_holes(a, 2, 0), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_largest(NULL, 2, 2, &nArea), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_largest(a, 0, 2, &nArea), QC_ERR_MISUSE);
  assert_int_equal(qc_mask_largest(a, QC_MAX_SIDE + 1, 1, &nArea),
                   QC_ERR_MISUSE);
  assert_int_equal(nArea, 5);
  assert_int_equal(a[0] + 2 * a[1] + 4 * a[2] + 8 * a[3], 6);
}

int main(void)
{
  const struct CMUnitTest aTest[] = {
      cmocka_unit_test(test_otsu_reference),
      cmocka_unit_test(test_otsu_bad),
      cmocka_unit_test(test_ops_reference),
      cmocka_unit_test(test_square_oracle),
      cmocka_unit_test(test_components_edges),
      cmocka_unit_test(test_mask_bad),
  };

  return cmocka_run_group_tests(aTest, NULL, NULL);
}
