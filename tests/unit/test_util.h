/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_util.h - helpers shared by the cmocka unit tests: comparing doubles
 * with a stated tolerance, reading files, and loading the reference planes
 * and values that tests/reference/make_qc_reference.py computed with
 * numpy, SciPy, OpenCV, scikit-image and pydicom.
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

/* Writes DICOMQC_SOURCE_DIR/tests/reference/<zRel> into zBuf. */
static inline void tu_ref_path(char *zBuf, size_t nBuf, const char *zRel)
{
  int n =
      snprintf(zBuf, nBuf, "%s/tests/reference/%s", DICOMQC_SOURCE_DIR, zRel);
  assert_true(n > 0 && (size_t)n < nBuf);
}

/* Looks up (zName, zMetric) in tests/reference/qc_reference.tsv and
 * returns its value; fails the test if the file or row is missing or the
 * value does not parse completely. */
static inline double tu_ref(const char *zName, const char *zMetric)
{
  char zPath[4096];
  size_t nByte;
  char *zTsv;     /* Whole file */
  char *zLine;    /* Start of the current line */
  double v = 0.0; /* Value found */
  int isFound = 0;

  tu_ref_path(zPath, sizeof(zPath), "qc_reference.tsv");
  zTsv = tu_read_file(zPath, &nByte);
  if(zTsv == NULL) {
    fail_msg("cannot read %s", zPath);
  }
  for(zLine = zTsv; zLine != NULL && *zLine != '\0' && !isFound;) {
    char *zEnd = strchr(zLine, '\n'); /* End of this line */
    char *zTab1 = strchr(zLine, '\t');
    char *zTab2 = zTab1 ? strchr(zTab1 + 1, '\t') : NULL;
    if(zEnd != NULL) {
      *zEnd = '\0';
    }
    if(zLine[0] != '#' && zTab2 != NULL &&
       (size_t)(zTab1 - zLine) == strlen(zName) &&
       strncmp(zLine, zName, strlen(zName)) == 0 &&
       (size_t)(zTab2 - zTab1 - 1) == strlen(zMetric) &&
       strncmp(zTab1 + 1, zMetric, strlen(zMetric)) == 0) {
      char *zAfter = NULL; /* First character strtod did not use */
      errno = 0;
      v = strtod(zTab2 + 1, &zAfter);
      if(errno != 0 || zAfter == zTab2 + 1 ||
         (*zAfter != '\0' && *zAfter != '\r')) {
        free(zTsv);
        fail_msg("%s: bad value for %s %s", zPath, zName, zMetric);
      }
      isFound = 1;
    }
    zLine = zEnd ? zEnd + 1 : NULL;
  }
  free(zTsv);
  if(!isFound) {
    fail_msg("%s: no row %s %s", zPath, zName, zMetric);
  }
  return v;
}

/* Reads tests/reference/data/<zName>.f32 (little-endian float32) into a
 * new array of exactly nExpect floats the caller frees with free(); fails
 * the test if the file is missing or has another size. */
static inline float *tu_read_f32(const char *zName, size_t nExpect)
{
  char zRel[512];
  char zPath[4096];
  size_t nByte;
  unsigned char *z; /* File bytes */
  float *a;         /* Decoded samples */
  size_t i;

  assert_true((size_t)snprintf(zRel, sizeof(zRel), "data/%s.f32", zName) <
              sizeof(zRel));
  tu_ref_path(zPath, sizeof(zPath), zRel);
  z = (unsigned char *)tu_read_file(zPath, &nByte);
  if(z == NULL) {
    fail_msg("cannot read %s", zPath);
  }
  if(nByte != nExpect * 4) {
    free(z);
    fail_msg("%s holds %zu bytes, expected %zu", zPath, nByte, nExpect * 4);
  }
  a = malloc(nExpect * sizeof(float) + 1);
  assert_non_null(a);
  for(i = 0; i < nExpect; i++) {
    const unsigned char *p = z + 4 * i; /* Little-endian bytes */
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    memcpy(&a[i], &u, sizeof(u));
  }
  free(z);
  return a;
}

/* A reference plane and its size, as loaded by tu_plane_load(). */
struct tu_plane {
  float *a;        /* nWidth*nHeight*nChannels samples, free with free() */
  int32_t nWidth;  /* Columns, from the TSV row "width" */
  int32_t nHeight; /* Rows, from the TSV row "height" */
};

/* Loads the reference plane zName with nChannels samples per pixel. */
static inline void tu_plane_load(const char *zName, int32_t nChannels,
                                 struct tu_plane *p)
{
  p->nWidth = (int32_t)tu_ref(zName, "width");
  p->nHeight = (int32_t)tu_ref(zName, "height");
  p->a = tu_read_f32(zName, (size_t)p->nWidth * (size_t)p->nHeight *
                                (size_t)nChannels);
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
