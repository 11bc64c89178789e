/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_util.h - helpers shared by the cmocka unit tests: comparing doubles
 * with a stated tolerance, reading and writing files, and loading the
 * reference planes and values that the tests/reference/make_*_reference.py
 * scripts computed with numpy, SciPy, OpenCV, scikit-image and pydicom
 * (one lookup, tu_tsv(), for every reference TSV).  The images of the
 * metric tests (BMP, PNG, grey conversions, the shared folder) are in
 * test_images.h.
 *
 * cmocka 1.1.5's assert_float_equal() casts its arguments to float, which
 * loses the precision the reference values carry, so assert_close() and
 * assert_close_rel() compare doubles and print both values on failure.
 * Reference files are found through DICOMQC_SOURCE_DIR, the repository
 * root, which tests/CMakeLists.txt defines for every test.  A test file
 * includes this header first: it brings in cmocka and the C headers in
 * the order cmocka needs.  Every function is static inline, so a test
 * that does not use one gets no unused-function warning.
 */
#ifndef DICOMQC_TEST_UTIL_H
#define DICOMQC_TEST_UTIL_H

/* The C headers come before <cmocka.h>, which under UNIT_TESTING turns
 * malloc, calloc and free into its leak-checking versions by macro. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifndef DICOMQC_SOURCE_DIR
#error "DICOMQC_SOURCE_DIR must name the repository root"
#endif

/* Fails the current test unless |actual - expected| <= tol.  NaN on either
 * side fails.  Prints both values with 17 significant digits. */
#define assert_close(actual, expected, tol)                                   \
  tu_assert_close((double)(actual), (double)(expected), (double)(tol), 0,     \
                  #actual, __FILE__, __LINE__)

/* Fails the current test unless |actual - expected| <= rtol * |expected|. */
#define assert_close_rel(actual, expected, rtol)                              \
  tu_assert_close((double)(actual), (double)(expected), (double)(rtol), 1,    \
                  #actual, __FILE__, __LINE__)

static inline void tu_assert_close(double actual, double expected, double tol,
                                   int isRelative, const char *zExpr,
                                   const char *zFile, int iLine)
{
  double lim = isRelative ? tol * fabs(expected) : tol; /* Allowed error */
  double diff = fabs(actual - expected);

  if(!(diff <= lim)) {
    print_error("%s = %.17g, expected %.17g, difference %.3g > %s "
                "tolerance %.3g\n",
                zExpr, actual, expected, diff,
                isRelative ? "relative" : "absolute", tol);
    _fail(zFile, iLine);
  }
}

/* Reads a whole file into a NUL-terminated buffer the caller frees with
 * free().  Writes the byte count (without the NUL) to *pnByte.  Returns
 * NULL if the file cannot be opened or read, or memory is short. */
static inline char *tu_read_file(const char *zPath, size_t *pnByte)
{
  FILE *f = fopen(zPath, "rb");
  char *z = NULL; /* Contents */
  long nLong;     /* Size from ftell */
  size_t nByte;

  if(f == NULL) {
    return NULL;
  }
  if(fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return NULL;
  }
  nLong = ftell(f);
  if(nLong < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  nByte = (size_t)nLong;
  z = malloc(nByte + 1);
  if(z != NULL && fread(z, 1, nByte, f) != nByte) {
    free(z);
    z = NULL;
  }
  fclose(f);
  if(z != NULL) {
    z[nByte] = '\0';
    *pnByte = nByte;
  }
  return z;
}

/* Writes the NUL-terminated text z to the file zPath (relative paths
 * land in the build tree, where ctest runs the test); fails the test if
 * the file cannot be written.  The caller removes it with remove(). */
static inline void tu_write_file(const char *zPath, const char *z)
{
  FILE *f = fopen(zPath, "wb");

  assert_non_null(f);
  assert_true(fwrite(z, 1, strlen(z), f) == strlen(z));
  assert_int_equal(fclose(f), 0);
}

/* Writes DICOMQC_SOURCE_DIR/tests/reference/<zRel> into zBuf. */
static inline void tu_ref_path(char *zBuf, size_t nBuf, const char *zRel)
{
  int n =
      snprintf(zBuf, nBuf, "%s/tests/reference/%s", DICOMQC_SOURCE_DIR, zRel);
  assert_true(n > 0 && (size_t)n < nBuf);
}

/* Looks up the row (zName, zMetric) of tests/reference/<zTsv>, a file of
 * tab-separated lines "name metric value" with '#' comment lines (the
 * format the tests/reference/make_*_reference.py scripts write: for
 * example qc_reference.tsv, nr_reference.tsv, piqe_reference.tsv,
 * fr_reference.tsv).  Returns 1 and writes *pValue if the row is there
 * (the first such row; "inf" and "nan" parse as such), 0 if not.  Fails
 * the test if the file cannot be read or the value does not parse
 * completely. */
static inline int tu_tsv_find(const char *zTsv, const char *zName,
                              const char *zMetric, double *pValue)
{
  char zPath[4096];
  size_t nByte, nName = strlen(zName), nMetric = strlen(zMetric);
  char *zTsvText; /* Whole file */
  char *zLine;    /* Start of the current line */
  double v = 0.0; /* Value of the row */
  int isFound = 0;

  tu_ref_path(zPath, sizeof(zPath), zTsv);
  zTsvText = tu_read_file(zPath, &nByte);
  if(zTsvText == NULL) {
    fail_msg("cannot read %s", zPath);
  }
  for(zLine = zTsvText; zLine != NULL && *zLine != '\0' && !isFound;) {
    char *zEnd = strchr(zLine, '\n'); /* End of this line */
    char *zTab1;                      /* Tab after the name */
    char *zTab2;                      /* Tab after the metric */
    if(zEnd != NULL) {
      *zEnd = '\0'; /* So that the tabs are looked for in this line */
    }
    zTab1 = strchr(zLine, '\t');
    zTab2 = zTab1 ? strchr(zTab1 + 1, '\t') : NULL;
    if(zLine[0] != '#' && zTab2 != NULL && (size_t)(zTab1 - zLine) == nName &&
       strncmp(zLine, zName, nName) == 0 &&
       (size_t)(zTab2 - zTab1 - 1) == nMetric &&
       strncmp(zTab1 + 1, zMetric, nMetric) == 0) {
      char *zAfter = NULL; /* First character strtod did not use */
      errno = 0;
      v = strtod(zTab2 + 1, &zAfter);
      if(errno != 0 || zAfter == zTab2 + 1 ||
         (*zAfter != '\0' && *zAfter != '\r')) {
        free(zTsvText);
        fail_msg("%s: bad value for %s %s", zPath, zName, zMetric);
      }
      isFound = 1;
    }
    zLine = zEnd ? zEnd + 1 : NULL;
  }
  if(isFound) {
    *pValue = v;
  }
  free(zTsvText);
  return isFound;
}

/* As tu_tsv_find(), but returns the value and fails the test if the row
 * is missing. */
static inline double tu_tsv(const char *zTsv, const char *zName,
                            const char *zMetric)
{
  double v = 0.0;

  if(!tu_tsv_find(zTsv, zName, zMetric, &v)) {
    fail_msg("%s: no row %s %s", zTsv, zName, zMetric);
  }
  return v;
}

/* Looks up (zName, zMetric) in tests/reference/qc_reference.tsv (see
 * tu_tsv()). */
static inline double tu_ref(const char *zName, const char *zMetric)
{
  return tu_tsv("qc_reference.tsv", zName, zMetric);
}

/* Reads tests/reference/data/<zFile> into a new array of exactly nExpect
 * floats the caller frees with free(): little-endian float32 samples if
 * zFile ends in ".f32", else one unsigned byte per sample (".u8").  Fails
 * the test if the file is missing or has another size. */
static inline float *tu_read_samples(const char *zFile, size_t nExpect)
{
  char zRel[512];
  char zPath[4096];
  size_t nByte;
  size_t nLen = strlen(zFile);
  size_t nSize;     /* Bytes per sample: 4 or 1 */
  unsigned char *z; /* File bytes */
  float *a;         /* Decoded samples */
  size_t i;

  nSize = nLen >= 4 && strcmp(zFile + nLen - 4, ".f32") == 0 ? 4 : 1;
  assert_true((size_t)snprintf(zRel, sizeof(zRel), "data/%s", zFile) <
              sizeof(zRel));
  tu_ref_path(zPath, sizeof(zPath), zRel);
  z = (unsigned char *)tu_read_file(zPath, &nByte);
  if(z == NULL) {
    fail_msg("cannot read %s", zPath);
  }
  if(nByte != nExpect * nSize) {
    free(z);
    fail_msg("%s holds %zu bytes, expected %zu", zPath, nByte,
             nExpect * nSize);
  }
  a = malloc(nExpect * sizeof(float) + 1);
  assert_non_null(a);
  for(i = 0; i < nExpect; i++) {
    const unsigned char *p = z + nSize * i; /* Little-endian bytes */
    if(nSize == 4) {
      uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
      memcpy(&a[i], &u, sizeof(u));
    } else {
      a[i] = (float)p[0];
    }
  }
  free(z);
  return a;
}

/* Reads tests/reference/data/<zName>.f32 (see tu_read_samples()). */
static inline float *tu_read_f32(const char *zName, size_t nExpect)
{
  char zFile[512];

  assert_true((size_t)snprintf(zFile, sizeof(zFile), "%s.f32", zName) <
              sizeof(zFile));
  return tu_read_samples(zFile, nExpect);
}

/* A reference plane and its size, as loaded by tu_plane_read(). */
struct tu_plane {
  float *a;        /* nWidth*nHeight*nChannels samples, free with free() */
  int32_t nWidth;  /* Columns, from the TSV row "width" */
  int32_t nHeight; /* Rows, from the TSV row "height" */
};

/* Loads the reference plane zName of tests/reference/<zTsv>: its sides
 * from the rows (zName, "width") and (zName, "height"), its nChannels
 * samples per pixel from tests/reference/data/<zFile> (.f32 or .u8, see
 * tu_read_samples()).  Fails the test if anything is missing. */
static inline void tu_plane_read(const char *zTsv, const char *zName,
                                 const char *zFile, int32_t nChannels,
                                 struct tu_plane *p)
{
  p->nWidth = (int32_t)tu_tsv(zTsv, zName, "width");
  p->nHeight = (int32_t)tu_tsv(zTsv, zName, "height");
  p->a = tu_read_samples(zFile, (size_t)p->nWidth * (size_t)p->nHeight *
                                    (size_t)nChannels);
}

/* Loads the reference plane zName of qc_reference.tsv (data/<zName>.f32)
 * with nChannels samples per pixel. */
static inline void tu_plane_load(const char *zName, int32_t nChannels,
                                 struct tu_plane *p)
{
  char zFile[512];

  assert_true((size_t)snprintf(zFile, sizeof(zFile), "%s.f32", zName) <
              sizeof(zFile));
  tu_plane_read("qc_reference.tsv", zName, zFile, nChannels, p);
}

/* The grey reference planes of tests/reference/qc_reference.tsv that the
 * metric tests share, in this order. */
static const char *const tu_azPlane[] = {"ramp_64x48", "checker_64x48",
                                         "gauss_101x77", "xray_101x77"};
#define TU_N_PLANE (sizeof(tu_azPlane) / sizeof(tu_azPlane[0]))

/* cmocka fixture: loads the TU_N_PLANE planes fresh into *state as an
 * array of struct tu_plane; tu_planes_teardown() frees them. */
static inline int tu_planes_setup(void **state)
{
  struct tu_plane *a = calloc(TU_N_PLANE, sizeof(*a));
  size_t i;

  if(a == NULL) {
    return -1;
  }
  for(i = 0; i < TU_N_PLANE; i++) {
    tu_plane_load(tu_azPlane[i], 1, &a[i]);
  }
  *state = a;
  return 0;
}

static inline int tu_planes_teardown(void **state)
{
  struct tu_plane *a = *state;
  size_t i;

  for(i = 0; i < TU_N_PLANE; i++) {
    free(a[i].a);
  }
  free(a);
  return 0;
}

/* splitmix64 (G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014; constants of S. Vigna's public-domain
 * splitmix64.c): a deterministic generator for oracle tests. */
static inline uint64_t tu_rand(uint64_t *pState)
{
  uint64_t z;

  *pState += 0x9e3779b97f4a7c15u;
  z = *pState;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double tu_rand_unit(uint64_t *pState)
{
  return (double)(tu_rand(pState) >> 11) * (1.0 / 9007199254740992.0);
}

#endif /* DICOMQC_TEST_UTIL_H */
