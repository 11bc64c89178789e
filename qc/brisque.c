/* SPDX-License-Identifier: BSD-3-Clause
 *
 * brisque.c - BRISQUE, the Blind/Referenceless Image Spatial Quality
 * Evaluator (A. Mittal, A. K. Moorthy, A. C. Bovik, "No-Reference Image
 * Quality Assessment in the Spatial Domain", IEEE TIP 21(12):4695-4708,
 * 2012), with either of its two public models, each with the feature
 * extractor it was trained with:
 *
 *   QC_BRISQUE_OPENCV  opencv_contrib's brisque_model_live.yml (an
 *     EPS_SVR retrained with cv::ml::SVM on LIVE R2) and its own range
 *     file brisque_range_live.yml; features as
 *     modules/quality/src/qualitybrisque.cpp computes them: the grey
 *     image in 0..1, second scale by cv::resize INTER_CUBIC to
 *     (W/2, H/2) of the original, MSCN with BORDER_REPLICATE and
 *     c = 1/255, AGGD fit of the MSCN samples (shape, (l^2 + r^2)/2),
 *     paired products zero-filled at the edges, OpenCV's table walk.
 *   QC_BRISQUE_LIVE  the LIVE release's libsvm allmodel + allrange
 *     (MATLAB brisque_feature.m + brisquescore.m): the grey image in
 *     0..255, second scale by MATLAB imresize(0.5) (bicubic with
 *     antialiasing), MSCN with filter2 'same' (zero border) and c = 1,
 *     GGD fit of the MSCN samples (shape, sigma^2), paired products by
 *     circshift (wrap-around), min() over the table.
 *
 * Per scale both give 18 features: the two of the MSCN fit, then for the
 * orientations H, V, D1, D2 the AGGD shape, the mean
 * (r - l) G(2/a)/G(1/a) sqrt(G(1/a)/G(3/a)) (BRISQUE eq. 9 with the
 * deviations as the release computes them), l^2 and r^2.  The 36 features
 * are scaled to [-1, 1] with the model's range file (OpenCV: a + (b-a)
 * (v-min)/(max-min) in float; libsvm svm-scale: the same in double, with
 * v == min and v == max mapped exactly and constant features dropped), and
 * the score is the RBF epsilon-SVR sum_i coef_i exp(-gamma |x - sv_i|^2)
 * - rho (libsvm svm.cpp svm_predict; OpenCV ml/src/svm.cpp, whose kernel
 * values are floats).  Scores are not clamped: OpenCV clamps to 0..100,
 * this code keeps the raw value, so that an unusual image stays visible.
 *
 * Per scale, the MSCN plane is not stored: qc_nss_mscn_moments()
 * streams it row by row into the sums the fits need (the MSCN samples
 * and the four paired products), so a scale costs one pass and a few
 * rows of memory.
 *
 * MSCN is scale invariant when c scales with the image, so the OpenCV
 * features are computed on the 0..255 plane with c = 1 instead of on a
 * 0..1 copy with c = 1/255: the same numbers up to float rounding,
 * without the copy.  The LIVE release passes its features through text
 * files: MATLAB writes them with '%f' (6 decimals), svm-scale prints the
 * scaled values with '%g' (6 significant digits), and svm-predict reads
 * those; both roundings are reproduced (they move the score by up to
 * 4e-4 on the TID2013 images: I04 gives -0.107618 with them, as MATLAB
 * does, and -0.107176 without).
 *
 * Model files are untrusted input: sizes are bounded (64 MiB per file,
 * 100000 support vectors), every number must parse completely, and a
 * failure names the file, the line and what was expected.
 *
 * Tests: tests/unit/test_qc_brisque.c
 */
#include "qc_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BRISQUE_MAGIC  0x42524953u /* "BRIS": set on load, cleared on free */
#define MODEL_MAX_BYTE (64u << 20) /* Largest model file read */
#define MAX_SV         100000      /* Largest support-vector count */

/* A loaded BRISQUE model: the SVR and its feature range.  Read-only once
 * loaded, so one model may score from several threads. */
struct qc_brisque_model {
  uint32_t magic;                /* BRISQUE_MAGIC while valid */
  enum qc_brisque_kind kind;     /* Feature extractor the model goes with */
  int32_t nSv;                   /* Support vectors, 1..MAX_SV */
  double gamma;                  /* RBF kernel exp(-gamma |x - sv|^2), > 0 */
  double rho;                    /* Decision function offset */
  double *aCoef;                 /* nSv coefficients (alpha_i - alpha_i*) */
  double *aSv;                   /* nSv x QC_BRISQUE_NFEAT, already scaled */
  double aMin[QC_BRISQUE_NFEAT]; /* Range: feature minimum */
  double aMax[QC_BRISQUE_NFEAT]; /* Range: feature maximum */
  double lower;                  /* Scaled value of a feature at its min */
  double upper;                  /* Scaled value at its max */
};

/* Writes a formatted message to zErr (if not NULL); see qc_int.h. */
void qc_errmsg(char *zErr, size_t nErr, const char *zFmt, ...)
{
  va_list ap;

  if(zErr == NULL || nErr == 0) {
    return;
  }
  va_start(ap, zFmt);
  vsnprintf(zErr, nErr, zFmt, ap);
  va_end(ap);
}

/* Reads a model file; see qc_int.h. */
int qc_model_read(const char *zPath, char **pz, char *zErr, size_t nErr)
{
  FILE *f;
  char *z = NULL;   /* Contents */
  size_t nByte = 0; /* Bytes read so far */
  size_t nAlloc = 0;
  int rc = QC_ERR_RANGE;

  if(zPath == NULL || pz == NULL) {
    return QC_ERR_MISUSE;
  }
  f = fopen(zPath, "rb");
  if(f == NULL) {
    qc_errmsg(zErr, nErr, "%s: cannot open model file: %s", zPath,
              strerror(errno));
    return QC_ERR_RANGE;
  }
  for(;;) {
    size_t nRead;
    if(nByte + 1 >= nAlloc) {
      char *zNew;
      if(nAlloc >= MODEL_MAX_BYTE) {
        qc_errmsg(zErr, nErr,
                  "%s: model file larger than %u MiB; not a model file", zPath,
                  MODEL_MAX_BYTE >> 20);
        goto read_end;
      }
      nAlloc = nAlloc ? 2 * nAlloc : 65536;
      zNew = realloc(z, nAlloc + 1);
      if(zNew == NULL) {
        rc = QC_ERR_NOMEM;
        goto read_end;
      }
      z = zNew;
    }
    nRead = fread(z + nByte, 1, nAlloc - nByte, f);
    nByte += nRead;
    if(nRead == 0) {
      break;
    }
  }
  if(ferror(f)) {
    qc_errmsg(zErr, nErr, "%s: read error", zPath);
    goto read_end;
  }
  if(memchr(z, '\0', nByte) != NULL) {
    qc_errmsg(zErr, nErr, "%s: holds a NUL byte; not a text model file",
              zPath);
    goto read_end;
  }
  z[nByte] = '\0';
  *pz = z;
  z = NULL;
  rc = QC_OK;
read_end:
  free(z);
  fclose(f);
  return rc;
}

/* 1-based line number of position p in z (for messages). */
static int line_of(const char *z, const char *p)
{
  int n = 1;

  for(; z < p; z++) {
    n += *z == '\n';
  }
  return n;
}

/* Parses a number at *pz (after optional blanks); advances *pz past it.
 * Returns 1 on success, 0 if no number starts there. */
static int parse_double(const char **pz, double *pV)
{
  char *zEnd = NULL;
  double v;

  while(**pz == ' ' || **pz == '\t') {
    (*pz)++;
  }
  errno = 0;
  v = strtod(*pz, &zEnd);
  if(zEnd == *pz || errno == ERANGE) {
    return 0;
  }
  *pz = zEnd;
  *pV = v;
  return 1;
}

/* Parses a non-negative decimal integer <= nMax at *pz. */
static int parse_uint(const char **pz, long nMax, long *pV)
{
  long v = 0;
  const char *z = *pz;

  while(*z == ' ' || *z == '\t') {
    z++;
  }
  if(*z < '0' || *z > '9') {
    return 0;
  }
  for(; *z >= '0' && *z <= '9'; z++) {
    v = 10 * v + (*z - '0');
    if(v > nMax) {
      return 0;
    }
  }
  *pz = z;
  *pV = v;
  return 1;
}

/* ---- OpenCV FileStorage YAML -------------------------------------- */

/* Finds "key:" at the start of a line (after indentation) at or after
 * zFrom; returns the position after the colon, or NULL. */
static const char *yml_key(const char *zFrom, const char *zKey)
{
  size_t n = strlen(zKey);
  const char *z = zFrom;

  while(z != NULL && *z != '\0') {
    const char *p = z;
    while(*p == ' ') {
      p++;
    }
    if(strncmp(p, zKey, n) == 0 && p[n] == ':') {
      return p + n + 1;
    }
    z = strchr(z, '\n');
    z = z ? z + 1 : NULL;
  }
  return NULL;
}

/* Reads n numbers of a YAML flow sequence or sequence of sequences at *pz,
 * skipping '[', ']', ',', blanks, newlines and "- " item markers. */
static int yml_numbers(const char **pz, double *a, size_t n)
{
  const char *z = *pz;
  size_t i = 0;

  while(i < n) {
    if(*z == '[' || *z == ']' || *z == ',' || *z == ' ' || *z == '\t' ||
       *z == '\r' || *z == '\n' ||
       (*z == '-' && (z[1] == ' ' || z[1] == '\n'))) {
      z++;
      continue;
    }
    if(!parse_double(&z, &a[i])) {
      *pz = z;
      return 0;
    }
    i++;
  }
  *pz = z;
  return 1;
}

/* The word after "key:" (up to blank or end of line) equals zWant. */
static int yml_word_is(const char *z, const char *zWant)
{
  size_t n = strlen(zWant);

  while(*z == ' ') {
    z++;
  }
  return strncmp(z, zWant, n) == 0 &&
         (z[n] == '\0' || z[n] == '\n' || z[n] == '\r' || z[n] == ' ');
}

/* Allocates p's support vectors and coefficients for nSv vectors (freed
 * with the model).  Returns QC_OK or QC_ERR_NOMEM. */
static int alloc_sv(struct qc_brisque_model *p, long nSv)
{
  p->nSv = (int32_t)nSv;
  p->aSv = malloc((size_t)nSv * QC_BRISQUE_NFEAT * sizeof(double));
  p->aCoef = malloc((size_t)nSv * sizeof(double));
  return p->aSv == NULL || p->aCoef == NULL ? QC_ERR_NOMEM : QC_OK;
}

/* Parses an OpenCV ml::SVM YAML model (format 3) into p. */
static int load_opencv_model(struct qc_brisque_model *p, const char *zPath,
                             const char *z, char *zErr, size_t nErr)
{
  const char *q, *zDf;
  long nVar, nSv, nSvDf;

  q = yml_key(z, "svmType");
  if(q == NULL || !yml_word_is(q, "EPS_SVR")) {
    qc_errmsg(zErr, nErr, "%s: not an OpenCV EPS_SVR model (svmType)", zPath);
    return QC_ERR_RANGE;
  }
  q = yml_key(z, "type");
  if(q == NULL || !yml_word_is(q, "RBF")) {
    qc_errmsg(zErr, nErr, "%s: kernel type is not RBF", zPath);
    return QC_ERR_RANGE;
  }
  q = yml_key(z, "gamma");
  if(q == NULL || !parse_double(&q, &p->gamma) || !(p->gamma > 0.0)) {
    qc_errmsg(zErr, nErr, "%s: missing or bad kernel gamma", zPath);
    return QC_ERR_RANGE;
  }
  q = yml_key(z, "var_count");
  if(q == NULL || !parse_uint(&q, 1000, &nVar) || nVar != QC_BRISQUE_NFEAT) {
    qc_errmsg(zErr, nErr, "%s: var_count is not %d", zPath, QC_BRISQUE_NFEAT);
    return QC_ERR_RANGE;
  }
  q = yml_key(z, "sv_total");
  if(q == NULL || !parse_uint(&q, MAX_SV, &nSv) || nSv < 1) {
    qc_errmsg(zErr, nErr, "%s: sv_total missing or not in 1..%d", zPath,
              MAX_SV);
    return QC_ERR_RANGE;
  }
  if(alloc_sv(p, nSv) != QC_OK) {
    return QC_ERR_NOMEM;
  }
  q = yml_key(z, "support_vectors");
  if(q == NULL || !yml_numbers(&q, p->aSv, (size_t)nSv * QC_BRISQUE_NFEAT)) {
    qc_errmsg(zErr, nErr, "%s:%d: support_vectors: expected %ld x %d numbers",
              zPath, q ? line_of(z, q) : 0, nSv, QC_BRISQUE_NFEAT);
    return QC_ERR_RANGE;
  }
  zDf = yml_key(q, "decision_functions");
  if(zDf == NULL || yml_key(zDf, "index") != NULL) {
    qc_errmsg(zErr, nErr,
              "%s: no decision function, or a compressed one (index)", zPath);
    return QC_ERR_RANGE;
  }
  q = yml_key(zDf, "sv_count");
  if(q == NULL || !parse_uint(&q, MAX_SV, &nSvDf) || nSvDf != nSv) {
    qc_errmsg(zErr, nErr, "%s: decision function sv_count is not %ld", zPath,
              nSv);
    return QC_ERR_RANGE;
  }
  q = yml_key(zDf, "rho");
  if(q == NULL || !parse_double(&q, &p->rho)) {
    qc_errmsg(zErr, nErr, "%s: missing or bad rho", zPath);
    return QC_ERR_RANGE;
  }
  q = yml_key(zDf, "alpha");
  if(q == NULL || !yml_numbers(&q, p->aCoef, (size_t)nSv)) {
    qc_errmsg(zErr, nErr, "%s: alpha: expected %ld numbers", zPath, nSv);
    return QC_ERR_RANGE;
  }
  return QC_OK;
}

/* Parses an OpenCV range file: the 2 x 36 matrix "range" (row 0 minima,
 * row 1 maxima). */
static int load_opencv_range(struct qc_brisque_model *p, const char *zPath,
                             const char *z, char *zErr, size_t nErr)
{
  const char *q = yml_key(z, "range");
  long nRow = 0, nCol = 0;
  double a[2 * QC_BRISQUE_NFEAT];
  int i;

  if(q != NULL) {
    const char *r = yml_key(q, "rows"), *c = yml_key(q, "cols");
    if(r == NULL || c == NULL || !parse_uint(&r, 1000, &nRow) ||
       !parse_uint(&c, 1000, &nCol)) {
      q = NULL;
    }
  }
  if(q == NULL || nRow != 2 || nCol != QC_BRISQUE_NFEAT) {
    qc_errmsg(zErr, nErr, "%s: no 2 x %d matrix 'range'", zPath,
              QC_BRISQUE_NFEAT);
    return QC_ERR_RANGE;
  }
  q = yml_key(q, "data");
  if(q == NULL || !yml_numbers(&q, a, 2 * QC_BRISQUE_NFEAT)) {
    qc_errmsg(zErr, nErr, "%s: range data: expected %d numbers", zPath,
              2 * QC_BRISQUE_NFEAT);
    return QC_ERR_RANGE;
  }
  for(i = 0; i < QC_BRISQUE_NFEAT; i++) {
    p->aMin[i] = a[i];
    p->aMax[i] = a[QC_BRISQUE_NFEAT + i];
    if(!(p->aMax[i] > p->aMin[i]) || !isfinite(p->aMax[i] - p->aMin[i])) {
      qc_errmsg(zErr, nErr, "%s: feature %d: range max is not above min",
                zPath, i + 1);
      return QC_ERR_RANGE;
    }
  }
  p->lower = -1.0;
  p->upper = 1.0;
  return QC_OK;
}

/* ---- libsvm text formats ------------------------------------------ */

/* Next line of z at *pz: returns its start and NUL-free length, advances
 * *pz past its newline; NULL at the end. */
static const char *next_line(const char **pz, size_t *pn)
{
  const char *z = *pz, *e;

  if(*z == '\0') {
    return NULL;
  }
  e = strchr(z, '\n');
  *pn = e ? (size_t)(e - z) : strlen(z);
  *pz = e ? e + 1 : z + *pn;
  if(*pn > 0 && z[*pn - 1] == '\r') {
    (*pn)--;
  }
  return z;
}

/* The libsvm header line z (length n) is "key value": returns the value's
 * start if the key matches, else NULL. */
static const char *svm_key(const char *z, size_t n, const char *zKey)
{
  size_t k = strlen(zKey);

  if(n > k && strncmp(z, zKey, k) == 0 && z[k] == ' ') {
    return z + k + 1;
  }
  return NULL;
}

/* Parses the "index:value ..." pairs of one SV line into aRow (zeroed). */
static int svm_sv_line(const char *z, const char *zEnd, double *aRow)
{
  memset(aRow, 0, QC_BRISQUE_NFEAT * sizeof(double));
  for(;;) {
    long idx;
    while(z < zEnd && (*z == ' ' || *z == '\t')) {
      z++;
    }
    if(z >= zEnd) {
      return 1;
    }
    if(!parse_uint(&z, QC_BRISQUE_NFEAT, &idx) || idx < 1 || *z != ':') {
      return 0;
    }
    z++;
    if(!parse_double(&z, &aRow[idx - 1]) || z > zEnd) {
      return 0;
    }
  }
}

/* Parses a libsvm model file (svm_save_model text) into p. */
static int load_libsvm_model(struct qc_brisque_model *p, const char *zPath,
                             const char *z, char *zErr, size_t nErr)
{
  const char *zAt = z, *zLine, *v;
  size_t n;
  long nSv = -1;
  int isSvr = 0, isRbf = 0, hasGamma = 0, hasRho = 0;
  int32_t i;

  while((zLine = next_line(&zAt, &n)) != NULL) {
    if(n == 2 && strncmp(zLine, "SV", 2) == 0) {
      break;
    }
    if((v = svm_key(zLine, n, "svm_type")) != NULL) {
      isSvr = strncmp(v, "epsilon_svr", 11) == 0;
    } else if((v = svm_key(zLine, n, "kernel_type")) != NULL) {
      isRbf = strncmp(v, "rbf", 3) == 0;
    } else if((v = svm_key(zLine, n, "gamma")) != NULL) {
      hasGamma = parse_double(&v, &p->gamma) && p->gamma > 0.0;
    } else if((v = svm_key(zLine, n, "total_sv")) != NULL) {
      if(!parse_uint(&v, MAX_SV, &nSv)) {
        nSv = -1;
      }
    } else if((v = svm_key(zLine, n, "rho")) != NULL) {
      hasRho = parse_double(&v, &p->rho);
    }
  }
  if(zLine == NULL || !isSvr || !isRbf || !hasGamma || !hasRho || nSv < 1) {
    qc_errmsg(zErr, nErr,
              "%s: not a libsvm epsilon_svr model with an rbf kernel, "
              "gamma, rho, total_sv (1..%d) and an SV section",
              zPath, MAX_SV);
    return QC_ERR_RANGE;
  }
  if(alloc_sv(p, nSv) != QC_OK) {
    return QC_ERR_NOMEM;
  }
  for(i = 0; i < p->nSv; i++) {
    const char *q;
    zLine = next_line(&zAt, &n);
    q = zLine;
    if(zLine == NULL || !parse_double(&q, &p->aCoef[i]) ||
       !svm_sv_line(q, zLine + n, p->aSv + (size_t)i * QC_BRISQUE_NFEAT)) {
      qc_errmsg(zErr, nErr,
                "%s:%d: support vector %d of %ld: expected "
                "'coef index:value ...' with indices 1..%d",
                zPath, zLine ? line_of(z, zLine) : line_of(z, zAt), i + 1, nSv,
                QC_BRISQUE_NFEAT);
      return QC_ERR_RANGE;
    }
  }
  return QC_OK;
}

/* Parses a libsvm svm-scale range file ("x", "lower upper", then
 * "index min max" for each of the 36 features) into p. */
static int load_libsvm_range(struct qc_brisque_model *p, const char *zPath,
                             const char *z, char *zErr, size_t nErr)
{
  const char *zAt = z, *zLine, *q;
  size_t n;
  int aSeen[QC_BRISQUE_NFEAT] = {0};
  int i;

  zLine = next_line(&zAt, &n);
  if(zLine == NULL || n != 1 || zLine[0] != 'x') {
    qc_errmsg(zErr, nErr,
              "%s: not an svm-scale range file of features (first line "
              "'x'; target scaling 'y' is not supported)",
              zPath);
    return QC_ERR_RANGE;
  }
  zLine = next_line(&zAt, &n);
  q = zLine;
  if(zLine == NULL || !parse_double(&q, &p->lower) ||
     !parse_double(&q, &p->upper) || !(p->upper > p->lower)) {
    qc_errmsg(zErr, nErr, "%s:2: expected 'lower upper'", zPath);
    return QC_ERR_RANGE;
  }
  while((zLine = next_line(&zAt, &n)) != NULL) {
    long idx;
    double lo, hi;
    q = zLine;
    if(n == 0) {
      continue;
    }
    if(!parse_uint(&q, QC_BRISQUE_NFEAT, &idx) || idx < 1 ||
       !parse_double(&q, &lo) || !parse_double(&q, &hi) || hi < lo) {
      qc_errmsg(zErr, nErr, "%s:%d: expected 'index min max' (index 1..%d)",
                zPath, line_of(z, zLine), QC_BRISQUE_NFEAT);
      return QC_ERR_RANGE;
    }
    p->aMin[idx - 1] = lo;
    p->aMax[idx - 1] = hi;
    aSeen[idx - 1] = 1;
  }
  for(i = 0; i < QC_BRISQUE_NFEAT; i++) {
    if(!aSeen[i]) {
      qc_errmsg(zErr, nErr, "%s: no range for feature %d", zPath, i + 1);
      return QC_ERR_RANGE;
    }
  }
  return QC_OK;
}

/* ---- Model handle -------------------------------------------------- */

void qc_brisque_model_free(qc_brisque_model *p)
{
  if(p == NULL) {
    return;
  }
  QC_ASSERT(p->magic == BRISQUE_MAGIC);
  p->magic = 0;
  free(p->aSv);
  free(p->aCoef);
  free(p);
}

/* Loads a model and its range file; see qc.h.
 * Tests: tests/unit/test_qc_brisque.c */
int qc_brisque_model_load(const char *zModel, const char *zRange,
                          enum qc_brisque_kind kind,
                          qc_brisque_model **ppModel, char *zErr, size_t nErr)
{
  qc_brisque_model *p = NULL;
  char *zText = NULL; /* Contents of the file being parsed */
  int rc;

  if(zModel == NULL || zRange == NULL || ppModel == NULL ||
     (kind != QC_BRISQUE_OPENCV && kind != QC_BRISQUE_LIVE)) {
    qc_errmsg(zErr, nErr, "qc_brisque_model_load: bad arguments");
    return QC_ERR_MISUSE;
  }
  p = calloc(1, sizeof(*p));
  if(p == NULL) {
    return QC_ERR_NOMEM;
  }
  p->magic = BRISQUE_MAGIC;
  p->kind = kind;
  rc = qc_model_read(zModel, &zText, zErr, nErr);
  if(rc != QC_OK) {
    goto load_end;
  }
  rc = kind == QC_BRISQUE_OPENCV
           ? load_opencv_model(p, zModel, zText, zErr, nErr)
           : load_libsvm_model(p, zModel, zText, zErr, nErr);
  free(zText);
  zText = NULL;
  if(rc != QC_OK) {
    goto load_end;
  }
  rc = qc_model_read(zRange, &zText, zErr, nErr);
  if(rc != QC_OK) {
    goto load_end;
  }
  rc = kind == QC_BRISQUE_OPENCV
           ? load_opencv_range(p, zRange, zText, zErr, nErr)
           : load_libsvm_range(p, zRange, zText, zErr, nErr);
load_end:
  free(zText);
  if(rc != QC_OK) {
    if(rc == QC_ERR_NOMEM) {
      qc_errmsg(zErr, nErr, "out of memory loading %s", zModel);
    }
    qc_brisque_model_free(p);
    return rc;
  }
  *ppModel = p;
  return QC_OK;
}

/* ---- Features ------------------------------------------------------ */

/* The 18 features of one scale from its moments: aM[0] those of the
 * MSCN samples, aM[1..4] those of the paired products H, V, D1, D2
 * (qc_nss_mscn_moments). */
static void scale_features(const struct qc_nss_moments aM[5],
                           enum qc_brisque_kind kind, double *aFeat)
{
  int isCv = kind == QC_BRISQUE_OPENCV;
  enum qc_nss_ref ref = isCv ? QC_NSS_OPENCV : QC_NSS_MATLAB;
  struct qc_aggd fit;
  int k;

  if(isCv) {
    qc_aggd_fit(&aM[0], ref, &fit);
    aFeat[0] = fit.alpha;
    aFeat[1] = (fit.leftStd * fit.leftStd + fit.rightStd * fit.rightStd) / 2;
  } else {
    double sigma;
    qc_ggd_fit(&aM[0], ref, &aFeat[0], &sigma);
    aFeat[1] = sigma * sigma;
  }
  for(k = 0; k < 4; k++) {
    double a, g1, g2, g3, *f = aFeat + 2 + 4 * k;
    qc_aggd_fit(&aM[1 + k], ref, &fit);
    a = fit.alpha;
    g1 = tgamma(1.0 / a);
    g2 = tgamma(2.0 / a);
    g3 = tgamma(3.0 / a);
    f[0] = a;
    f[1] = (fit.rightStd - fit.leftStd) * (g2 / g1) * (sqrt(g1) / sqrt(g3));
    f[2] = fit.leftStd * fit.leftStd;
    f[3] = fit.rightStd * fit.rightStd;
  }
  if(isCv) {
    for(k = 0; k < 18; k++) {
      aFeat[k] = (float)aFeat[k]; /* OpenCV keeps features as float */
    }
  }
}

/* BRISQUE features; see qc.h.  Tests: tests/unit/test_qc_brisque.c */
int qc_brisque_features(const struct qc_plane *pIn, enum qc_brisque_kind kind,
                        double *aFeat)
{
  struct qc_plane half;          /* Second scale */
  struct qc_nss_moments aM[5];   /* Moments of one scale */
  double aOut[QC_BRISQUE_NFEAT]; /* Features, copied on success */
  enum qc_border b;              /* MSCN border of the release */
  int isWrap;                    /* Paired products wrap around */
  float *aHalf;
  int32_t w2, h2;
  size_t n;
  int rc;

  if(aFeat == NULL || (kind != QC_BRISQUE_OPENCV && kind != QC_BRISQUE_LIVE)) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_len(pIn, &n);
  if(rc != QC_OK) {
    return rc;
  }
  if(kind == QC_BRISQUE_OPENCV) {
    w2 = pIn->nWidth / 2;
    h2 = pIn->nHeight / 2;
  } else {
    w2 = qc_resize_matlab_side(pIn->nWidth, 0.5);
    h2 = qc_resize_matlab_side(pIn->nHeight, 0.5);
  }
  if(w2 < 1 || h2 < 1 || pIn->nWidth > QC_MAX_SIDE ||
     pIn->nHeight > QC_MAX_SIDE) {
    return QC_ERR_RANGE;
  }
  aHalf = malloc((size_t)w2 * (size_t)h2 * sizeof(float));
  if(aHalf == NULL) {
    return QC_ERR_NOMEM;
  }
  half.a = aHalf;
  half.nWidth = w2;
  half.nHeight = h2;
  b = kind == QC_BRISQUE_OPENCV ? QC_BORDER_REPLICATE : QC_BORDER_ZERO;
  isWrap = kind != QC_BRISQUE_OPENCV;
  rc = qc_nss_mscn_moments(pIn, b, 1.0, isWrap, aM);
  if(rc == QC_OK) {
    scale_features(aM, kind, aOut);
    rc = kind == QC_BRISQUE_OPENCV ? qc_resize_cubic_opencv(pIn, w2, h2, aHalf)
                                   : qc_resize_bicubic_matlab(pIn, 0.5, aHalf);
  }
  if(rc == QC_OK) {
    rc = qc_nss_mscn_moments(&half, b, 1.0, isWrap, aM);
  }
  if(rc == QC_OK) {
    scale_features(aM, kind, aOut + 18);
    memcpy(aFeat, aOut, sizeof(aOut));
  }
  free(aHalf);
  return rc;
}

/* v after a trip through printf(zFmt) and strtod, as the LIVE
 * release's text files round it. */
static double text_round(const char *zFmt, double v)
{
  char z[64];

  if(!isfinite(v)) {
    return v;
  }
  snprintf(z, sizeof(z), zFmt, v);
  return strtod(z, NULL);
}

/* Scales feature v (index i) to the model's range. */
static double scale_feature(const qc_brisque_model *p, int i, double v)
{
  double lo = p->aMin[i], hi = p->aMax[i];

  if(p->kind == QC_BRISQUE_OPENCV) {
    /* quality_utils scale, float arithmetic */
    float a = (float)p->lower, b = (float)p->upper;
    return a + (b - a) * ((float)v - (float)lo) / ((float)hi - (float)lo);
  }
  /* libsvm svm-scale.c output(), on the feature as MATLAB wrote it */
  v = text_round("%f", v);
  if(hi == lo) {
    return 0.0; /* Dropped feature: absent from the sparse vector */
  }
  if(v == lo) {
    return text_round("%g", p->lower);
  }
  if(v == hi) {
    return text_round("%g", p->upper);
  }
  return text_round("%g",
                    p->lower + (p->upper - p->lower) * (v - lo) / (hi - lo));
}

/* BRISQUE score; see qc.h.  Tests: tests/unit/test_qc_brisque.c */
int qc_brisque_score(const qc_brisque_model *p, const struct qc_plane *pIn,
                     double *pScore)
{
  double aFeat[QC_BRISQUE_NFEAT];
  double sum;
  int32_t i;
  int k, rc;

  if(p == NULL || pScore == NULL || p->magic != BRISQUE_MAGIC) {
    return QC_ERR_MISUSE;
  }
  rc = qc_brisque_features(pIn, p->kind, aFeat);
  if(rc != QC_OK) {
    return rc;
  }
  for(k = 0; k < QC_BRISQUE_NFEAT; k++) {
    aFeat[k] = scale_feature(p, k, aFeat[k]);
  }
  sum = -p->rho;
  for(i = 0; i < p->nSv; i++) {
    const double *sv = p->aSv + (size_t)i * QC_BRISQUE_NFEAT;
    double d2 = 0.0, kv;
    for(k = 0; k < QC_BRISQUE_NFEAT; k++) {
      double d = aFeat[k] - sv[k];
      d2 += d * d;
    }
    if(p->kind == QC_BRISQUE_OPENCV) {
      kv = expf((float)(-p->gamma * d2)); /* OpenCV's Qfloat kernel */
    } else {
      kv = exp(-p->gamma * d2);
    }
    sum += p->aCoef[i] * kv;
  }
  if(!isfinite(sum)) {
    return QC_ERR_RANGE;
  }
  *pScore = sum;
  return QC_OK;
}
