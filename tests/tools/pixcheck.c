/* SPDX-License-Identifier: BSD-3-Clause
 *
 * pixcheck.c - proves dicom/'s decoder against independent decoders.
 *
 * Reads a reference TSV made by tests/pixels/make_reference.py (pydicom,
 * dcmdjpeg/dcmdjpls/dcmdrle, opj_decompress; format in
 * tests/pixels/README.md), decodes every listed file with
 * dicom_pixels_read() and compares size, value count, min, max, sum and
 * the FNV-1a 64 checksum of the canonical value sequence.  A reference
 * ERROR row passes when we also refuse the file with a message.
 *
 * Usage: pixcheck REFERENCE.tsv NAME=DIR...
 * Prints one line per file and "N passed, N failed"; exit 0 when none
 * failed, 77 (skip) when a root directory is missing, 1 otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dicom.h"

#define MAX_ROOTS 8
#define MAX_COLS  20

/* FNV-1a 64 over the int32 little-endian bytes of every value. */
static uint64_t fnv1a64(const int32_t *a, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ull;
  for(size_t i = 0; i < n; i++) {
    uint32_t v = (uint32_t)a[i];
    for(int k = 0; k < 4; k++) {
      h ^= (v >> (8 * k)) & 0xffu;
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

/* Splits line z at tabs into az (at most MAX_COLS); returns the count. */
static int splitTabs(char *z, char **az)
{
  int n = 0;
  az[n++] = z;
  for(char *p = z; *p && n < MAX_COLS; p++)
    if(*p == '\t') {
      *p = 0;
      az[n++] = p + 1;
    }
  return n;
}

/* Compares one decoded file with its reference row; returns 1 if equal,
 * writing a reason into zWhy otherwise. */
static int sameAsRef(const struct dicom_pixels *p, char **az, char *zWhy,
                     size_t nWhy)
{
  size_t n = (size_t)p->nWidth * p->nHeight * p->nSamples * p->nFrames;
  int64_t lo = INT64_MAX, hi = INT64_MIN, sum = 0;
  for(size_t i = 0; i < n; i++) {
    lo = p->aValue[i] < lo ? p->aValue[i] : lo;
    hi = p->aValue[i] > hi ? p->aValue[i] : hi;
    sum += p->aValue[i];
  }
  char zHash[17];
  snprintf(zHash, sizeof(zHash), "%016" PRIx64, fnv1a64(p->aValue, n));
  char zOurs[256];
  snprintf(zOurs, sizeof(zOurs),
           "%dx%dx%dx%d n=%zu min=%" PRId64 " max=%" PRId64 " sum=%" PRId64
           " fnv=%s",
           p->nWidth, p->nHeight, p->nSamples, p->nFrames, n, lo, hi, sum,
           zHash);
  /* columns: 4 rows, 5 columns, 6 frames, 7 samples, 11 n_values,
   * 12 min, 13 max, 14 sum, 15 fnv1a64 */
  char zRef[256];
  snprintf(zRef, sizeof(zRef),
           "%sx%sx%sx%s n=%s min=%s max=%s sum=%s "
           "fnv=%s",
           az[5], az[4], az[7], az[6], az[11], az[12], az[13], az[14], az[15]);
  if(strcmp(zOurs, zRef) == 0)
    return 1;
  snprintf(zWhy, nWhy, "ours %s / reference %s", zOurs, zRef);
  return 0;
}

int main(int argc, char **argv)
{
  const char *azName[MAX_ROOTS], *azDir[MAX_ROOTS];
  int nRoot = 0, nPass = 0, nFail = 0, nExtra = 0;
  char zLine[8192];
  if(argc < 3) {
    fprintf(stderr, "usage: pixcheck REFERENCE.tsv NAME=DIR...\n");
    return 2;
  }
  for(int i = 2; i < argc && nRoot < MAX_ROOTS; i++) {
    char *eq = strchr(argv[i], '=');
    struct stat st;
    if(eq == NULL) {
      fprintf(stderr, "pixcheck: root '%s' is not NAME=DIR\n", argv[i]);
      return 2;
    }
    *eq = 0;
    azName[nRoot] = argv[i];
    azDir[nRoot] = eq + 1;
    if(stat(azDir[nRoot], &st) != 0) {
      printf("SKIP: %s not present (%s); reference files unavailable\n",
             azDir[nRoot], azName[nRoot]);
      return 77;
    }
    nRoot++;
  }
  FILE *in = fopen(argv[1], "r");
  if(in == NULL) {
    fprintf(stderr, "pixcheck: cannot open %s\n", argv[1]);
    return 1;
  }
  while(fgets(zLine, sizeof(zLine), in)) {
    char *az[MAX_COLS];
    zLine[strcspn(zLine, "\r\n")] = 0;
    if(zLine[0] == '#' || zLine[0] == 0 || strncmp(zLine, "file\t", 5) == 0)
      continue;
    int nCol = splitTabs(zLine, az);
    if(nCol < 16)
      continue;
    char *slash = strchr(az[0], '/');
    if(slash == NULL)
      continue;
    *slash = 0;
    const char *zDir = NULL;
    for(int r = 0; r < nRoot; r++)
      if(strcmp(azName[r], az[0]) == 0)
        zDir = azDir[r];
    if(zDir == NULL)
      continue;
    char zPath[4096];
    snprintf(zPath, sizeof(zPath), "%s/%s", zDir, slash + 1);
    dicom_file *f = NULL;
    struct dicom_pixels *p = NULL;
    int rc = dicom_open(zPath, NULL, &f);
    if(rc == DICOM_OK)
      rc = dicom_pixels_read(f, &p);
    int refOk = strcmp(az[1], "OK") == 0;
    char zWhy[600];
    if(refOk && rc == DICOM_OK && sameAsRef(p, az, zWhy, sizeof(zWhy))) {
      printf("PASS %s/%s (%s)\n", az[0], slash + 1, az[2]);
      nPass++;
    } else if(refOk && rc == DICOM_OK) {
      printf("FAIL %s/%s (%s): %s\n", az[0], slash + 1, az[2], zWhy);
      nFail++;
    } else if(refOk) {
      printf("FAIL %s/%s (%s): we refuse a file the reference decodes: "
             "%s\n",
             az[0], slash + 1, az[2], dicom_errmsg(f));
      nFail++;
    } else if(rc != DICOM_OK && dicom_errmsg(f)[0]) {
      printf("PASS %s/%s: refused like the reference (%s): %s\n", az[0],
             slash + 1, nCol > 16 ? az[16] : "", dicom_errmsg(f));
      nPass++;
    } else {
      printf("NOTE %s/%s: decoded, the reference could not (%s)\n", az[0],
             slash + 1, nCol > 16 ? az[16] : "");
      nExtra++;
    }
    dicom_pixels_free(p);
    dicom_close(f);
  }
  fclose(in);
  printf("decoded where the reference could not: %d\n", nExtra);
  printf("%d passed, %d failed\n", nPass, nFail);
  return nFail ? 1 : 0;
}
