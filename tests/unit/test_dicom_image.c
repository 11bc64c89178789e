/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_dicom_image.c - tests of dicom_image_read() (dicom/dicom_image.cc)
 * and the entry points around it (dicom_open, dicom_close, limits).
 *
 * The focus is the float image contract of qc/qc.h: modality LUT (Modality
 * LUT Sequence, else Rescale Slope/Intercept), MONOCHROME1 inversion
 * out = detectorMin + detectorMax - out (window centre mirrored the same
 * way), YBR_FULL/YBR_FULL_422 to RGB (PS3.3 C.7.6.3.1.2), PALETTE COLOR
 * scaled to 0..255, pixel spacing and the first VOI window.
 *
 * Three kinds of test:
 *  - The slow oracle: every row of tests/image/image_reference.tsv, made
 *    by tests/image/make_image_reference.py with pydicom + numpy (and
 *    DCMTK's command-line decompressors / opj_decompress) and no dicomqc
 *    code, gives size, per-channel mean/min/max over all frames, detector
 *    range, window and spacing of a real file; each column is compared
 *    with the row's tolerance (the pixel statistics) or exactly (the
 *    rest, to 1e-9 relative).  Rows under "shared/" need
 *    ../shared/data/dicom and are skipped with a note when it is absent;
 *    "samples/" rows need samples/dicom.  If no row can run, the program
 *    exits 77 (ctest: skipped) once the other tests have passed.
 *  - Synthetic files written here, whose answer follows from arithmetic
 *    written next to each test.
 *  - Bad input and misuse by name.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#endif

#include <sys/stat.h>
#include <unistd.h>

/* The C headers in cmocka's order, cmocka itself, assert_close(). */
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

#include "test_util.h"

#include "dicom.h"

#ifndef SHARED_DIR /* -D for trying the skip path */
#define SHARED_DIR DICOMQC_SOURCE_DIR "/../shared/data/dicom"
#endif
#define SAMPLES_DIR   DICOMQC_SOURCE_DIR "/samples/dicom"
#define REFERENCE_TSV DICOMQC_SOURCE_DIR "/tests/image/image_reference.tsv"

/* Columns of image_reference.tsv, in file order. */
enum ref_col {
  COL_FILE,
  COL_WIDTH,
  COL_HEIGHT,
  COL_CHANNELS,
  COL_FRAMES,
  COL_MEAN0,
  COL_MIN0,
  COL_MAX0,
  COL_MEAN1,
  COL_MIN1,
  COL_MAX1,
  COL_MEAN2,
  COL_MIN2,
  COL_MAX2,
  COL_DETMIN,
  COL_DETMAX,
  COL_HASWIN,
  COL_WINC,
  COL_WINW,
  COL_ROWSP,
  COL_COLSP,
  COL_TOL,
  COL_NOTE,
  N_COL
};

static const char *const azCol[N_COL] = {
    "file",        "width",         "height",       "channels",
    "frames",      "mean_0",        "min_0",        "max_0",
    "mean_1",      "min_1",         "max_1",        "mean_2",
    "min_2",       "max_2",         "detector_min", "detector_max",
    "has_window",  "window_center", "window_width", "row_spacing",
    "col_spacing", "tolerance",     "note"};

/* Relative tolerance of the columns the reference gives exactly (detector
 * range, window, spacing): both sides compute them in double from the
 * same decimal strings, so only the last bits may differ. */
#define EXACT_RTOL 1e-9

/* One row of the reference, pointing into the TSV buffer. */
struct ref_row {
  const char *azField[N_COL]; /* Field texts, NUL-terminated */
  double aVal[N_COL];         /* Numeric value of each field; NAN for "-"
                                 and for the text columns */
  int iLine;                  /* Line number in the TSV, 1-based */
};

/* Outcome counts of the reference rows, read by main() for exit 77. */
static int nRowRun;  /* Rows decoded and compared */
static int nRowSkip; /* Rows whose root folder is absent */

/* Parses field z as a number; "-" gives NAN.  Returns 0 on junk. */
static int parse_num(const char *z, double *pV)
{
  char *zEnd = NULL; /* First character strtod did not use */

  if(strcmp(z, "-") == 0) {
    *pV = NAN;
    return 1;
  }
  errno = 0;
  *pV = strtod(z, &zEnd);
  return errno == 0 && zEnd != z && *zEnd == '\0';
}

/* Splits line z (modified in place) into a row.  Returns 0 if the line
 * does not have N_COL fields or a numeric field does not parse. */
static int parse_row(char *z, int iLine, struct ref_row *pRow)
{
  int i;

  pRow->iLine = iLine;
  for(i = 0; i < N_COL; i++) {
    char *zTab = strchr(z, '\t'); /* End of this field */
    pRow->azField[i] = z;
    if(zTab != NULL) {
      *zTab = '\0';
    }
    if((zTab == NULL) != (i == N_COL - 1)) {
      return 0;
    }
    pRow->aVal[i] = NAN;
    if(i != COL_FILE && i != COL_NOTE &&
       !parse_num(pRow->azField[i], &pRow->aVal[i])) {
      return 0;
    }
    z = zTab ? zTab + 1 : z;
  }
  return 1;
}

/* Reads the TSV into *pzTsv (free with free()) and its rows into a new
 * array *paRow (free with free()) of *pnRow rows.  Fails the test if the
 * file is missing or any line is malformed, naming the line. */
static void load_reference(char **pzTsv, struct ref_row **paRow, int *pnRow)
{
  size_t nByte = 0;
  char *zTsv = tu_read_file(REFERENCE_TSV, &nByte);
  char *zLine;          /* Start of the current line */
  struct ref_row *aRow; /* Parsed rows */
  int nRow = 0;
  int iLine = 0;
  int seenHeader = 0;

  if(zTsv == NULL) {
    fail_msg("cannot read %s", REFERENCE_TSV);
  }
  aRow = calloc(nByte / 8 + 1, sizeof(*aRow)); /* A row is > 8 bytes */
  assert_non_null(aRow);
  for(zLine = zTsv; zLine != NULL && *zLine != '\0';) {
    char *zEnd = strchr(zLine, '\n'); /* End of this line */
    char *zNext = zEnd ? zEnd + 1 : NULL;
    iLine++;
    if(zEnd != NULL) {
      *zEnd = '\0';
    }
    if(zLine[0] == '#' || zLine[0] == '\0') {
      zLine = zNext;
      continue;
    }
    if(!seenHeader) {
      char zWant[512] = "";
      int i;
      for(i = 0; i < N_COL; i++) {
        size_t n = strlen(zWant);
        snprintf(zWant + n, sizeof(zWant) - n, "%s%s", i ? "\t" : "",
                 azCol[i]);
      }
      if(strcmp(zLine, zWant) != 0) {
        fail_msg("%s:%d: header is not the expected columns", REFERENCE_TSV,
                 iLine);
      }
      seenHeader = 1;
    } else if(!parse_row(zLine, iLine, &aRow[nRow++])) {
      fail_msg("%s:%d: malformed row", REFERENCE_TSV, iLine);
    }
    zLine = zNext;
  }
  *pzTsv = zTsv;
  *paRow = aRow;
  *pnRow = nRow;
}

/* Writes the path of reference file zFile ("shared/..." or "samples/...")
 * into zBuf and its root directory into zRoot.  Returns 0 for an unknown
 * root name. */
static int resolve(const char *zFile, char *zBuf, size_t nBuf,
                   const char **pzRoot)
{
  static const struct {
    const char *zName; /* Root name with its slash */
    const char *zDir;  /* Where it lives */
  } aRoot[] = {{"shared/", SHARED_DIR}, {"samples/", SAMPLES_DIR}};
  size_t i;

  for(i = 0; i < sizeof(aRoot) / sizeof(aRoot[0]); i++) {
    size_t n = strlen(aRoot[i].zName);
    if(strncmp(zFile, aRoot[i].zName, n) == 0) {
      int m = snprintf(zBuf, nBuf, "%s/%s", aRoot[i].zDir, zFile + n);
      assert_true(m > 0 && (size_t)m < nBuf);
      *pzRoot = aRoot[i].zDir;
      return 1;
    }
  }
  return 0;
}

/* Fills aGot[] with what the reference columns say, measured on pImg:
 * sizes, per-channel mean/min/max over all frames (NAN for absent
 * channels), detector range, window and spacing.  Means are summed in
 * long double so that only float32 storage separates us from numpy. */
static void measure(const struct qc_image *pImg, double aGot[N_COL])
{
  size_t nPix =
      (size_t)pImg->nWidth * (size_t)pImg->nHeight * (size_t)pImg->nFrames;
  int k;

  aGot[COL_WIDTH] = pImg->nWidth;
  aGot[COL_HEIGHT] = pImg->nHeight;
  aGot[COL_CHANNELS] = pImg->nChannels;
  aGot[COL_FRAMES] = pImg->nFrames;
  for(k = 0; k < 3; k++) {
    long double sum = 0;  /* Sum of channel k */
    double lo = INFINITY; /* Its minimum */
    double hi = -INFINITY;
    size_t i;
    if(k >= pImg->nChannels) {
      aGot[COL_MEAN0 + 3 * k] = NAN;
      aGot[COL_MIN0 + 3 * k] = NAN;
      aGot[COL_MAX0 + 3 * k] = NAN;
      continue;
    }
    for(i = 0; i < nPix; i++) {
      double v = pImg->aPixel[i * (size_t)pImg->nChannels + (size_t)k];
      sum += v;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    aGot[COL_MEAN0 + 3 * k] = (double)(sum / (long double)nPix);
    aGot[COL_MIN0 + 3 * k] = lo;
    aGot[COL_MAX0 + 3 * k] = hi;
  }
  aGot[COL_DETMIN] = pImg->detectorMin;
  aGot[COL_DETMAX] = pImg->detectorMax;
  aGot[COL_HASWIN] = pImg->hasWindow;
  aGot[COL_WINC] = pImg->windowCenter;
  aGot[COL_WINW] = pImg->windowWidth;
  aGot[COL_ROWSP] = pImg->rowSpacing;
  aGot[COL_COLSP] = pImg->colSpacing;
}

/* Compares column i of one row; prints it when it differs.  Returns 1 if
 * it matches. */
static int compare_col(const struct ref_row *pRow, int i, double got)
{
  double want = pRow->aVal[i];
  double tol; /* Allowed absolute difference */

  if(isnan(want) && isnan(got)) {
    return 1;
  }
  if(i >= COL_MEAN0 && i <= COL_MAX2) {
    tol = pRow->aVal[COL_TOL];
  } else if(i < COL_MEAN0 || i == COL_HASWIN) {
    tol = 0;
  } else {
    tol = EXACT_RTOL * fmax(1.0, fabs(want));
  }
  if(fabs(got - want) <= tol) {
    return 1;
  }
  print_error("  %s: %s = %.17g, expected %.17g (|diff| %.3g > tolerance "
              "%.3g)\n",
              pRow->azField[COL_FILE], azCol[i], got, want, fabs(got - want),
              tol);
  return 0;
}

/* Decodes the row's file and compares every column.  Returns 1 if all
 * match, 0 otherwise (each difference printed), -1 if skipped because
 * the root directory, written to *pzRoot, is absent. */
static int check_row(const struct ref_row *pRow, const char **pzRoot)
{
  char zPath[4096];
  const char *zRoot = NULL; /* Root directory of the row */
  struct stat st;
  dicom_file *pFile = NULL;
  struct qc_image *pImg = NULL;
  double aGot[N_COL];
  int rc;
  int isOk = 1;
  int i;

  if(!resolve(pRow->azField[COL_FILE], zPath, sizeof(zPath), &zRoot)) {
    print_error("  %s:%d: unknown root in '%s'\n", REFERENCE_TSV, pRow->iLine,
                pRow->azField[COL_FILE]);
    return 0;
  }
  *pzRoot = zRoot;
  if(stat(zRoot, &st) != 0) {
    return -1;
  }
  rc = dicom_open(zPath, NULL, &pFile);
  if(rc == DICOM_OK) {
    rc = dicom_image_read(pFile, &pImg);
  }
  if(rc != DICOM_OK) {
    print_error("  %s: %s (%s)\n", pRow->azField[COL_FILE],
                dicom_strstatus(rc), dicom_errmsg(pFile));
    dicom_close(pFile);
    return 0;
  }
  measure(pImg, aGot);
  for(i = COL_WIDTH; i < COL_TOL; i++) {
    int k = (i - COL_MEAN0) / 3; /* Channel of a statistic column */
    if(i >= COL_MEAN0 && i <= COL_MAX2 &&
       (k >= pImg->nChannels || k >= (int)pRow->aVal[COL_CHANNELS])) {
      continue; /* Channel count mismatch is reported once, below */
    }
    isOk &= compare_col(pRow, i, aGot[i]);
  }
  qc_image_free(pImg);
  dicom_close(pFile);
  return isOk;
}

/* The slow oracle: every reference row, each reported as ok, FAIL or
 * skipped; fails if any row differs. */
static void test_dicom_image_read_reference_rows_match_pydicom(void **state)
{
  char *zTsv = NULL;
  struct ref_row *aRow = NULL;
  int nRow = 0;
  int nFail = 0;
  const char *zNoted = NULL; /* Root last noted as absent */
  int i;

  (void)state;
  load_reference(&zTsv, &aRow, &nRow);
  assert_true(nRow > 0);
  for(i = 0; i < nRow; i++) {
    const char *zRoot = NULL; /* Root directory of row i */
    int r = check_row(&aRow[i], &zRoot);
    if(r < 0) {
      if(zNoted != zRoot) {
        print_message("note: %s is absent; skipping its reference rows\n",
                      zRoot);
        zNoted = zRoot;
      }
      nRowSkip++;
      continue;
    }
    nRowRun++;
    if(r == 0) {
      nFail++;
    }
    print_message("%s %s  [%s]\n", r ? "ok  " : "FAIL",
                  aRow[i].azField[COL_FILE], aRow[i].azField[COL_NOTE]);
  }
  print_message("reference rows: %d ok, %d failed, %d skipped\n",
                nRowRun - nFail, nFail, nRowSkip);
  free(aRow);
  free(zTsv);
  if(nFail > 0) {
    fail_msg("%d of %d reference rows differ from %s", nFail, nRowRun,
             REFERENCE_TSV);
  }
}

/* ---- synthetic files ------------------------------------------------ */

/* A DICOM file under construction: explicit VR little endian. */
struct syn {
  unsigned char a[8192]; /* Bytes of the dataset (or an item) */
  size_t n;              /* Bytes used */
};

/* Appends n bytes. */
static void syn_bytes(struct syn *p, const void *pData, size_t n)
{
  assert_true(p->n + n <= sizeof(p->a));
  memcpy(p->a + p->n, pData, n);
  p->n += n;
}

/* Appends v as nByte little-endian bytes. */
static void syn_le(struct syn *p, uint32_t v, int nByte)
{
  int i;
  for(i = 0; i < nByte; i++) {
    unsigned char b = (unsigned char)(v >> (8 * i));
    syn_bytes(p, &b, 1);
  }
}

/* Appends element (g,e) with VR zVr and value pData (n bytes), padding an
 * odd value with pad (PS3.5 6.2: NUL for UI and binary, space for text).
 * PS3.5 7.1.2: OB, OW, SQ and UN have a 4-byte length after 2 zero
 * bytes; the other VRs a 2-byte length. */
static void syn_elem(struct syn *p, uint16_t g, uint16_t e, const char *zVr,
                     const void *pData, size_t n)
{
  int isLong = strcmp(zVr, "OB") == 0 || strcmp(zVr, "OW") == 0 ||
               strcmp(zVr, "SQ") == 0 || strcmp(zVr, "UN") == 0;
  unsigned char pad =
      (strcmp(zVr, "UI") == 0 || strcmp(zVr, "OB") == 0) ? 0 : ' ';
  size_t nPad = n + (n & 1);

  syn_le(p, g, 2);
  syn_le(p, e, 2);
  syn_bytes(p, zVr, 2);
  if(isLong) {
    syn_le(p, 0, 2);
    syn_le(p, (uint32_t)nPad, 4);
  } else {
    assert_true(nPad <= 0xffff);
    syn_le(p, (uint32_t)nPad, 2);
  }
  syn_bytes(p, pData, n);
  if(n & 1) {
    syn_bytes(p, &pad, 1);
  }
}

/* Appends a text element (UI, CS, DS, LO, IS). */
static void syn_str(struct syn *p, uint16_t g, uint16_t e, const char *zVr,
                    const char *z)
{
  syn_elem(p, g, e, zVr, z, strlen(z));
}

/* Appends a US element with nVal values. */
static void syn_us(struct syn *p, uint16_t g, uint16_t e, const uint16_t *aVal,
                   int nVal)
{
  unsigned char a[16];
  int i;

  assert_true(nVal <= 8);
  for(i = 0; i < nVal; i++) {
    a[2 * i] = (unsigned char)aVal[i];
    a[2 * i + 1] = (unsigned char)(aVal[i] >> 8);
  }
  syn_elem(p, g, e, "US", a, 2 * (size_t)nVal);
}

/* Appends one US value. */
static void syn_us1(struct syn *p, uint16_t g, uint16_t e, uint16_t v)
{
  syn_us(p, g, e, &v, 1);
}

/* The image pixel module of a synthetic image, PS3.3 C.7.6.3. */
struct syn_image {
  const char *zPhotometric; /* (0028,0004) */
  uint16_t nSamples;        /* (0028,0002) */
  uint16_t nRows;           /* (0028,0010) */
  uint16_t nCols;           /* (0028,0011) */
  uint16_t bitsAllocated;   /* (0028,0100) 1, 8, 16 or 32 */
  uint16_t bitsStored;      /* (0028,0101) */
  uint16_t isSigned;        /* (0028,0103) */
};

/* Appends the attributes from SOP Class UID up to Pixel Representation,
 * in tag order. */
static void syn_image_module(struct syn *p, const struct syn_image *pI)
{
  syn_str(p, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7");
  syn_str(p, 0x0008, 0x0018, "UI", "2.25.1");
  syn_us1(p, 0x0028, 0x0002, pI->nSamples);
  syn_str(p, 0x0028, 0x0004, "CS", pI->zPhotometric);
  if(pI->nSamples == 3) {
    syn_us1(p, 0x0028, 0x0006, 0); /* Planar configuration: interleaved */
  }
  syn_us1(p, 0x0028, 0x0010, pI->nRows);
  syn_us1(p, 0x0028, 0x0011, pI->nCols);
  syn_us1(p, 0x0028, 0x0100, pI->bitsAllocated);
  syn_us1(p, 0x0028, 0x0101, pI->bitsStored);
  syn_us1(p, 0x0028, 0x0102, (uint16_t)(pI->bitsStored - 1));
  syn_us1(p, 0x0028, 0x0103, pI->isSigned);
}

/* Appends Pixel Data (7FE0,0010) of n 16-bit values. */
static void syn_pixels16(struct syn *p, const uint16_t *aVal, size_t n)
{
  unsigned char a[1024];
  size_t i;

  assert_true(2 * n <= sizeof(a));
  for(i = 0; i < n; i++) {
    a[2 * i] = (unsigned char)aVal[i];
    a[2 * i + 1] = (unsigned char)(aVal[i] >> 8);
  }
  syn_elem(p, 0x7fe0, 0x0010, "OW", a, 2 * n);
}

/* Writes preamble, "DICM", a File Meta group (PS3.10 7.1) for explicit
 * VR little endian and the dataset pDs to zPath. */
static void syn_write(const char *zPath, const struct syn *pDs)
{
  static const unsigned char aVersion[2] = {0, 1};
  static struct syn meta; /* Group 0002 without its length element */
  static struct syn head; /* (0002,0000) */
  unsigned char aPre[128];
  FILE *f;

  memset(aPre, 0, sizeof(aPre));
  meta.n = 0;
  head.n = 0;
  syn_elem(&meta, 0x0002, 0x0001, "OB", aVersion, 2);
  syn_str(&meta, 0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7");
  syn_str(&meta, 0x0002, 0x0003, "UI", "2.25.1");
  syn_str(&meta, 0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1");
  syn_str(&meta, 0x0002, 0x0012, "UI", "2.25.2");
  syn_le(&head, 0x0002, 2);
  syn_le(&head, 0x0000, 2);
  syn_bytes(&head, "UL", 2);
  syn_le(&head, 4, 2);
  syn_le(&head, (uint32_t)meta.n, 4);
  f = fopen(zPath, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(aPre, 1, sizeof(aPre), f), sizeof(aPre));
  assert_int_equal(fwrite("DICM", 1, 4, f), 4);
  assert_int_equal(fwrite(head.a, 1, head.n, f), head.n);
  assert_int_equal(fwrite(meta.a, 1, meta.n, f), meta.n);
  assert_int_equal(fwrite(pDs->a, 1, pDs->n, f), pDs->n);
  assert_int_equal(fclose(f), 0);
}

/* Fixture: a fresh directory and the path of one file in it. */
struct tmp_fixture {
  char zDir[256];  /* Made by mkdtemp() */
  char zPath[300]; /* zDir/synthetic.dcm */
};

static int tmp_setup(void **state)
{
  struct tmp_fixture *p = calloc(1, sizeof(*p));
  const char *zTmp = getenv("TMPDIR");

  if(p == NULL) {
    return -1;
  }
  snprintf(p->zDir, sizeof(p->zDir), "%s/dicomqc_image_XXXXXX",
           zTmp && *zTmp ? zTmp : "/tmp");
  if(mkdtemp(p->zDir) == NULL) {
    free(p);
    return -1;
  }
  snprintf(p->zPath, sizeof(p->zPath), "%s/synthetic.dcm", p->zDir);
  *state = p;
  return 0;
}

static int tmp_teardown(void **state)
{
  struct tmp_fixture *p = *state;

  unlink(p->zPath);
  rmdir(p->zDir);
  free(p);
  return 0;
}

/* Opens zPath with default limits and reads the image; fails the test,
 * printing the message, unless both succeed. */
static struct qc_image *read_ok(const char *zPath, dicom_file **ppFile)
{
  struct qc_image *pImg = NULL;
  int rc = dicom_open(zPath, NULL, ppFile);

  if(rc == DICOM_OK) {
    rc = dicom_image_read(*ppFile, &pImg);
  }
  if(rc != DICOM_OK) {
    fail_msg("%s: %s", dicom_strstatus(rc), dicom_errmsg(*ppFile));
  }
  return pImg;
}

/* MONOCHROME1, 12 of 16 bits, Rescale Slope 2, Intercept -100, window
 * 1000/500.  Detector range: 0*2-100 = -100 and 4095*2-100 = 8090, sum
 * 7990; so out = 7990 - (2v - 100) = 8090 - 2v and the centre becomes
 * 7990 - 1000 = 6990 (width unchanged).  0xF005 has bits above Bits
 * Stored, which are not part of the value (PS3.5 8.1.1): v = 5. */
static void
test_dicom_image_read_mono1_rescale_inverts_about_range(void **state)
{
  static const struct syn_image img = {"MONOCHROME1", 1, 2, 3, 16, 12, 0};
  static const uint16_t aStored[6] = {0, 1, 100, 2048, 4095, 0xF005};
  static const double aWant[6] = {8090, 8088, 7890, 3994, -100, 8080};
  struct tmp_fixture *pFix = *state;
  static struct syn ds;
  dicom_file *pFile = NULL;
  struct qc_image *pImg;
  int i;

  ds.n = 0;
  syn_image_module(&ds, &img);
  syn_str(&ds, 0x0028, 0x1050, "DS", "1000");
  syn_str(&ds, 0x0028, 0x1051, "DS", "500");
  syn_str(&ds, 0x0028, 0x1052, "DS", "-100");
  syn_str(&ds, 0x0028, 0x1053, "DS", "2");
  syn_pixels16(&ds, aStored, 6);
  syn_write(pFix->zPath, &ds);
  pImg = read_ok(pFix->zPath, &pFile);
  assert_int_equal(pImg->nChannels, 1);
  for(i = 0; i < 6; i++) {
    assert_close(pImg->aPixel[i], aWant[i], 0);
  }
  assert_close(pImg->detectorMin, -100, 0);
  assert_close(pImg->detectorMax, 8090, 0);
  assert_int_equal(pImg->hasWindow, 1);
  assert_close(pImg->windowCenter, 6990, 0);
  assert_close(pImg->windowWidth, 500, 0);
  qc_image_free(pImg);
  dicom_close(pFile);
}

/* Modality LUT Sequence with 16-bit entries (PS3.3 C.11.1.1.1: "the
 * output of the Modality LUT", no scaling): descriptor 4\10\16, data
 * 0, 1000, 2000, 4000.  Stored 9 (below the first mapped value) gives the
 * first entry, 13 and 14 (past the end) the last (PS3.3 C.11.1.1.1 LUT
 * Descriptor).  Expected 0, 0, 1000, 2000, 4000, 4000; detector range
 * 0..4000 (min/max of the LUT data). */
static void
test_dicom_image_read_modality_lut_16bit_entries_unscaled(void **state)
{
  static const struct syn_image img = {"MONOCHROME2", 1, 2, 3, 16, 16, 0};
  static const uint16_t aDesc[3] = {4, 10, 16};
  static const uint16_t aStored[6] = {9, 10, 11, 12, 13, 14};
  static const double aWant[6] = {0, 0, 1000, 2000, 4000, 4000};
  static const unsigned char aLut[8] = {0x00, 0x00, 0xe8, 0x03,
                                        0xd0, 0x07, 0xa0, 0x0f};
  struct tmp_fixture *pFix = *state;
  static struct syn ds;
  static struct syn item; /* The one item of the sequence */
  static struct syn seq;  /* Item tag, length, item */
  dicom_file *pFile = NULL;
  struct qc_image *pImg;
  int i;

  ds.n = item.n = seq.n = 0;
  syn_us(&item, 0x0028, 0x3002, aDesc, 3);
  syn_str(&item, 0x0028, 0x3004, "LO", "US");
  syn_elem(&item, 0x0028, 0x3006, "OW", aLut, sizeof(aLut));
  syn_le(&seq, 0xfffe, 2);
  syn_le(&seq, 0xe000, 2);
  syn_le(&seq, (uint32_t)item.n, 4);
  syn_bytes(&seq, item.a, item.n);
  syn_image_module(&ds, &img);
  syn_elem(&ds, 0x0028, 0x3000, "SQ", seq.a, seq.n);
  syn_pixels16(&ds, aStored, 6);
  syn_write(pFix->zPath, &ds);
  pImg = read_ok(pFix->zPath, &pFile);
  for(i = 0; i < 6; i++) {
    assert_close(pImg->aPixel[i], aWant[i], 0);
  }
  assert_close(pImg->detectorMin, 0, 0);
  assert_close(pImg->detectorMax, 4000, 0);
  qc_image_free(pImg);
  dicom_close(pFile);
}

/* YBR_FULL, 8 bits, by PS3.3 C.7.6.3.1.2:
 *   R = Y + 1.402 (Cr-128)
 *   G = Y - 0.344136 (Cb-128) - 0.714136 (Cr-128)
 *   B = Y + 1.772 (Cb-128)
 * (128,128,128) -> (128,128,128); (100,200,50) -> R = 100 - 109.356 < 0
 * -> 0, G = 100 - 24.777792 + 55.702608 = 130.924816, B = 227.584;
 * (255,0,255) -> R = 433.054 -> 255, G = 255 + 44.049408 - 90.695272 =
 * 208.354136, B = 28.184.  Floats are kept, clamped to 0..255; tolerance
 * 1e-4 covers float32 storage. */
static void test_dicom_image_read_ybr_full_follows_ps33_equations(void **state)
{
  static const struct syn_image img = {"YBR_FULL", 3, 1, 3, 8, 8, 0};
  static const unsigned char aStored[9] = {128, 128, 128, 100, 200,
                                           50,  255, 0,   255};
  static const double aWant[9] = {128,     128, 128,        0,     130.924816,
                                  227.584, 255, 208.354136, 28.184};
  struct tmp_fixture *pFix = *state;
  static struct syn ds;
  dicom_file *pFile = NULL;
  struct qc_image *pImg;
  int i;

  ds.n = 0;
  syn_image_module(&ds, &img);
  syn_elem(&ds, 0x7fe0, 0x0010, "OB", aStored, sizeof(aStored));
  syn_write(pFix->zPath, &ds);
  pImg = read_ok(pFix->zPath, &pFile);
  assert_int_equal(pImg->nChannels, 3);
  for(i = 0; i < 9; i++) {
    assert_close(pImg->aPixel[i], aWant[i], 1e-4);
  }
  assert_close(pImg->detectorMin, 0, 0);
  assert_close(pImg->detectorMax, 255, 0);
  qc_image_free(pImg);
  dicom_close(pFile);
}

/* Appends the three palette descriptors (0028,1101-1103) and data
 * (0028,1201-1203) of PS3.3 C.7.6.3.1.5/6; aData holds the red, green
 * and blue data of nData bytes each, little-endian. */
static void syn_palette(struct syn *p, const uint16_t aDesc[3],
                        const unsigned char *aData, size_t nData)
{
  int k;

  for(k = 0; k < 3; k++) {
    syn_us(p, 0x0028, (uint16_t)(0x1101 + k), aDesc, 3);
  }
  for(k = 0; k < 3; k++) {
    syn_elem(p, 0x0028, (uint16_t)(0x1201 + k), "OW",
             aData + (size_t)k * nData, nData);
  }
}

/* Reads a 1x5 PALETTE COLOR image of 8-bit stored values 0, 1, 2, 3, 9
 * through palettes of 4 entries with descriptor 4\0\nBits and returns it;
 * 9 is past the last entry, so it maps to entry 3 (PS3.3 C.7.6.3.1.5). */
static struct qc_image *read_palette(const char *zPath, uint16_t nBits,
                                     const unsigned char *aData, size_t nData,
                                     dicom_file **ppFile)
{
  static const struct syn_image img = {"PALETTE COLOR", 1, 1, 5, 8, 8, 0};
  static const unsigned char aStored[6] = {0, 1, 2, 3, 9, 0}; /* + pad */
  static struct syn ds;
  uint16_t aDesc[3] = {4, 0, 0};

  aDesc[2] = nBits;
  ds.n = 0;
  syn_image_module(&ds, &img);
  syn_palette(&ds, aDesc, aData, nData);
  syn_elem(&ds, 0x7fe0, 0x0010, "OB", aStored, 5);
  syn_write(zPath, &ds);
  return read_ok(zPath, ppFile);
}

/* Checks pImg (5 RGB pixels) against aWant[entry][channel] for the
 * entries 0, 1, 2, 3, 3 that read_palette() looks up. */
static void check_palette(const struct qc_image *pImg,
                          const double aWant[4][3])
{
  static const int aEntry[5] = {0, 1, 2, 3, 3};
  int i, k;

  assert_int_equal(pImg->nChannels, 3);
  assert_int_equal(pImg->nWidth, 5);
  for(i = 0; i < 5; i++) {
    for(k = 0; k < 3; k++) {
      assert_close(pImg->aPixel[3 * i + k], aWant[aEntry[i]][k], 1e-5);
    }
  }
  assert_close(pImg->detectorMin, 0, 0);
  assert_close(pImg->detectorMax, 255, 0);
}

/* 8 bits per entry: "stored in a format equivalent to 8 bits allocated"
 * (PS3.3 C.7.6.3.1.5), i.e. 4 entries packed in 4 bytes of OW; the
 * entries are already 0..255 and are used as they are. */
static void test_dicom_image_read_palette_8bit_entries_used_as_is(void **state)
{
  static const unsigned char aData[12] = {0,   10,  20, 30, /* Red */
                                          5,   6,   7,  8,  /* Green */
                                          255, 128, 64, 0}; /* Blue */
  static const double aWant[4][3] = {
      {0, 5, 255}, {10, 6, 128}, {20, 7, 64}, {30, 8, 0}};
  struct tmp_fixture *pFix = *state;
  dicom_file *pFile = NULL;
  struct qc_image *pImg = read_palette(pFix->zPath, 8, aData, 4, &pFile);

  check_palette(pImg, aWant);
  qc_image_free(pImg);
  dicom_close(pFile);
}

/* 16 bits per entry: scaled to 0..255 by /257 (65535 -> 255, 257 -> 1,
 * 32896 -> 128, 0 -> 0). */
static void
test_dicom_image_read_palette_16bit_entries_divided_by_257(void **state)
{
  /* Little-endian words: red 0, 257, 32896, 65535; green 65535, 32896,
   * 257, 0; blue 514, 514, 514, 514. */
  static const unsigned char aData[24] = {
      0x00, 0x00, 0x01, 0x01, 0x80, 0x80, 0xff, 0xff, 0xff, 0xff, 0x80, 0x80,
      0x01, 0x01, 0x00, 0x00, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02};
  static const double aWant[4][3] = {
      {0, 255, 2}, {1, 128, 2}, {128, 1, 2}, {255, 0, 2}};
  struct tmp_fixture *pFix = *state;
  dicom_file *pFile = NULL;
  struct qc_image *pImg = read_palette(pFix->zPath, 16, aData, 8, &pFile);

  check_palette(pImg, aWant);
  qc_image_free(pImg);
  dicom_close(pFile);
}

/* Bits Allocated 1 (PS3.5 8.1.1 and 8.2: bits packed LSB first, pixels
 * consecutive across rows and frames, no padding between frames): 2
 * frames of 2x5 = 20 bits in 3 bytes.  Byte 0xA5 = 1010 0101 gives, from
 * bit 0 up, 1 0 1 0 0 1 0 1; 0x0F gives 1 1 1 1 0 0 0 0; 0x06 gives
 * 0 1 1 0. */
static void test_dicom_pixels_read_1bit_unpacks_lsb_first(void **state)
{
  static const unsigned char aPacked[4] = {0xA5, 0x0F, 0x06, 0x00};
  static const int32_t aWant[20] = {1, 0, 1, 0, 0, 1, 0, 1, 1, 1,
                                    1, 1, 0, 0, 0, 0, 0, 1, 1, 0};
  struct tmp_fixture *pFix = *state;
  static struct syn ds;
  dicom_file *pFile = NULL;
  struct dicom_pixels *pPix = NULL;
  int i;

  ds.n = 0;
  syn_str(&ds, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7");
  syn_str(&ds, 0x0008, 0x0018, "UI", "2.25.1");
  syn_us1(&ds, 0x0028, 0x0002, 1);
  syn_str(&ds, 0x0028, 0x0004, "CS", "MONOCHROME2");
  syn_str(&ds, 0x0028, 0x0008, "IS", "2");
  syn_us1(&ds, 0x0028, 0x0010, 2);
  syn_us1(&ds, 0x0028, 0x0011, 5);
  syn_us1(&ds, 0x0028, 0x0100, 1);
  syn_us1(&ds, 0x0028, 0x0101, 1);
  syn_us1(&ds, 0x0028, 0x0102, 0);
  syn_us1(&ds, 0x0028, 0x0103, 0);
  syn_elem(&ds, 0x7fe0, 0x0010, "OB", aPacked, sizeof(aPacked));
  syn_write(pFix->zPath, &ds);
  assert_int_equal(dicom_open(pFix->zPath, NULL, &pFile), DICOM_OK);
  assert_int_equal(dicom_pixels_read(pFile, &pPix), DICOM_OK);
  assert_int_equal(pPix->nFrames, 2);
  assert_int_equal(pPix->bitsAllocated, 1);
  for(i = 0; i < 20; i++) {
    assert_int_equal(pPix->aValue[i], aWant[i]);
  }
  dicom_pixels_free(pPix);
  dicom_close(pFile);
}

/* Bits Allocated 32, signed (PS3.5 8.1.1): little-endian 32-bit two's
 * complement; the float image holds them exactly where float32 can
 * (-5, 70000, -2000000000 = -7812500 * 2^8). */
static void test_dicom_image_read_32bit_signed_values(void **state)
{
  static const int32_t aVal[4] = {-5, 70000, -2000000000, 0};
  static const struct syn_image img = {"MONOCHROME2", 1, 1, 4, 32, 32, 1};
  struct tmp_fixture *pFix = *state;
  static struct syn ds;
  unsigned char a[16];
  dicom_file *pFile = NULL;
  struct qc_image *pImg;
  int i, k;

  for(i = 0; i < 4; i++) {
    for(k = 0; k < 4; k++) {
      a[4 * i + k] = (unsigned char)((uint32_t)aVal[i] >> (8 * k));
    }
  }
  ds.n = 0;
  syn_image_module(&ds, &img);
  syn_elem(&ds, 0x7fe0, 0x0010, "OB", a, sizeof(a));
  syn_write(pFix->zPath, &ds);
  pImg = read_ok(pFix->zPath, &pFile);
  for(i = 0; i < 4; i++) {
    assert_close(pImg->aPixel[i], aVal[i], 0);
  }
  qc_image_free(pImg);
  dicom_close(pFile);
}

/* Limits are checked before decoding: a 64x64 image whose Pixel Data
 * holds 2 bytes instead of 8192 is DICOM_ERR_TOOLARGE with maxRows 16
 * (and with maxBytes one byte short of 64*64*4), whereas with default
 * limits the decoder reaches the data and reports it truncated
 * (DICOM_ERR_FORMAT). */
static void
test_dicom_image_read_over_limits_returns_TOOLARGE_first(void **state)
{
  static const struct syn_image img = {"MONOCHROME2", 1, 64, 64, 16, 16, 0};
  static const uint16_t aStored[1] = {7};
  struct tmp_fixture *pFix = *state;
  static struct syn ds;
  struct dicom_limits lim;
  dicom_file *pFile = NULL;
  struct qc_image *pImg = NULL;

  ds.n = 0;
  syn_image_module(&ds, &img);
  syn_pixels16(&ds, aStored, 1);
  syn_write(pFix->zPath, &ds);

  dicom_limits_default(&lim);
  lim.maxRows = 16;
  assert_int_equal(dicom_open(pFix->zPath, &lim, &pFile), DICOM_OK);
  assert_int_equal(dicom_image_read(pFile, &pImg), DICOM_ERR_TOOLARGE);
  assert_null(pImg);
  assert_non_null(strstr(dicom_errmsg(pFile), pFix->zPath));
  dicom_close(pFile);

  dicom_limits_default(&lim);
  lim.maxBytes = 64 * 64 * 4 - 1;
  assert_int_equal(dicom_open(pFix->zPath, &lim, &pFile), DICOM_OK);
  assert_int_equal(dicom_image_read(pFile, &pImg), DICOM_ERR_TOOLARGE);
  dicom_close(pFile);

  assert_int_equal(dicom_open(pFix->zPath, NULL, &pFile), DICOM_OK);
  assert_int_equal(dicom_image_read(pFile, &pImg), DICOM_ERR_FORMAT);
  assert_null(pImg);
  dicom_close(pFile);
}

/* The same limit on a real file: CT_small.dcm is 128x128. */
static void test_dicom_image_read_ct_maxrows16_returns_TOOLARGE(void **state)
{
  const char *zPath = SHARED_DIR "/pydicom/CT_small.dcm";
  struct dicom_limits lim;
  dicom_file *pFile = NULL;
  struct qc_image *pImg = NULL;
  struct stat st;

  (void)state;
  if(stat(zPath, &st) != 0) {
    print_message("note: %s absent, skipped\n", zPath);
    skip();
  }
  dicom_limits_default(&lim);
  lim.maxRows = 16;
  assert_int_equal(dicom_open(zPath, &lim, &pFile), DICOM_OK);
  assert_int_equal(dicom_image_read(pFile, &pImg), DICOM_ERR_TOOLARGE);
  assert_null(pImg);
  dicom_close(pFile);
}

/* ---- bad input and misuse ------------------------------------------- */

static void test_dicom_open_missing_file_returns_IO_naming_path(void **state)
{
  const char *zPath = DICOMQC_SOURCE_DIR "/tests/image/no-such-file.dcm";
  dicom_file *pFile = NULL;

  (void)state;
  assert_int_equal(dicom_open(zPath, NULL, &pFile), DICOM_ERR_IO);
  assert_non_null(pFile); /* Like sqlite3_open: a handle for the message */
  assert_non_null(strstr(dicom_errmsg(pFile), zPath));
  dicom_close(pFile);
}

static void test_dicom_open_text_file_returns_FORMAT(void **state)
{
  struct tmp_fixture *pFix = *state;
  FILE *f = fopen(pFix->zPath, "w");
  dicom_file *pFile = NULL;
  int i;

  assert_non_null(f);
  for(i = 0; i < 40; i++) {
    fprintf(f, "line %d: this is plain text, not a DICOM file.\n", i);
  }
  assert_int_equal(fclose(f), 0);
  assert_int_equal(dicom_open(pFix->zPath, NULL, &pFile), DICOM_ERR_FORMAT);
  assert_non_null(strstr(dicom_errmsg(pFile), pFix->zPath));
  dicom_close(pFile);
}

static void test_dicom_image_read_null_handle_returns_MISUSE(void **state)
{
  struct qc_image *pImg = NULL;

  (void)state;
  assert_int_equal(dicom_image_read(NULL, &pImg), DICOM_MISUSE);
  assert_null(pImg);
  assert_non_null(dicom_errmsg(NULL));
}

static void test_dicom_image_read_null_out_returns_MISUSE(void **state)
{
  struct tmp_fixture *pFix = *state;
  static const struct syn_image img = {"MONOCHROME2", 1, 1, 2, 16, 16, 0};
  static const uint16_t aStored[2] = {1, 2};
  static struct syn ds;
  dicom_file *pFile = NULL;

  ds.n = 0;
  syn_image_module(&ds, &img);
  syn_pixels16(&ds, aStored, 2);
  syn_write(pFix->zPath, &ds);
  assert_int_equal(dicom_open(pFix->zPath, NULL, &pFile), DICOM_OK);
  assert_int_equal(dicom_image_read(pFile, NULL), DICOM_MISUSE);
  dicom_close(pFile);
}

static void test_dicom_close_null_is_noop(void **state)
{
  (void)state;
  dicom_close(NULL);
}

/* fo-dicom GH220.dcm: a valid DICOM object of a private SOP class with no
 * Pixel Data (tests/pixels/reference_shared.tsv: "no PixelData"). */
static void test_dicom_image_read_non_image_returns_NOPIXELS(void **state)
{
  const char *zPath = SHARED_DIR "/fo-dicom/GH220.dcm";
  dicom_file *pFile = NULL;
  struct qc_image *pImg = NULL;
  struct stat st;

  (void)state;
  if(stat(zPath, &st) != 0) {
    print_message("note: %s absent, skipped\n", zPath);
    skip();
  }
  assert_int_equal(dicom_open(zPath, NULL, &pFile), DICOM_OK);
  assert_int_equal(dicom_image_read(pFile, &pImg), DICOM_ERR_NOPIXELS);
  assert_null(pImg);
  assert_non_null(strstr(dicom_errmsg(pFile), "GH220.dcm"));
  dicom_close(pFile);
}

int main(void)
{
  const struct CMUnitTest aTest[] = {
      cmocka_unit_test(test_dicom_image_read_reference_rows_match_pydicom),
      cmocka_unit_test_setup_teardown(
          test_dicom_image_read_mono1_rescale_inverts_about_range, tmp_setup,
          tmp_teardown),
      cmocka_unit_test_setup_teardown(
          test_dicom_image_read_modality_lut_16bit_entries_unscaled, tmp_setup,
          tmp_teardown),
      cmocka_unit_test_setup_teardown(
          test_dicom_image_read_ybr_full_follows_ps33_equations, tmp_setup,
          tmp_teardown),
      cmocka_unit_test_setup_teardown(
          test_dicom_image_read_palette_8bit_entries_used_as_is, tmp_setup,
          tmp_teardown),
      cmocka_unit_test_setup_teardown(
          test_dicom_image_read_palette_16bit_entries_divided_by_257,
          tmp_setup, tmp_teardown),
      cmocka_unit_test_setup_teardown(
          test_dicom_pixels_read_1bit_unpacks_lsb_first, tmp_setup,
          tmp_teardown),
      cmocka_unit_test_setup_teardown(
          test_dicom_image_read_32bit_signed_values, tmp_setup, tmp_teardown),
      cmocka_unit_test_setup_teardown(
          test_dicom_image_read_over_limits_returns_TOOLARGE_first, tmp_setup,
          tmp_teardown),
      cmocka_unit_test(test_dicom_image_read_ct_maxrows16_returns_TOOLARGE),
      cmocka_unit_test(test_dicom_open_missing_file_returns_IO_naming_path),
      cmocka_unit_test_setup_teardown(test_dicom_open_text_file_returns_FORMAT,
                                      tmp_setup, tmp_teardown),
      cmocka_unit_test(test_dicom_image_read_null_handle_returns_MISUSE),
      cmocka_unit_test_setup_teardown(
          test_dicom_image_read_null_out_returns_MISUSE, tmp_setup,
          tmp_teardown),
      cmocka_unit_test(test_dicom_close_null_is_noop),
      cmocka_unit_test(test_dicom_image_read_non_image_returns_NOPIXELS),
  };
  int nFailed = cmocka_run_group_tests(aTest, NULL, NULL);

  if(nFailed == 0 && nRowRun == 0) {
    print_message("no reference row could run (%d skipped): exit 77\n",
                  nRowSkip);
    return 77;
  }
  return nFailed;
}
