/* SPDX-License-Identifier: BSD-3-Clause
 *
 * metricbench.c - times one qc/ image-quality metric on 8-bit grey PGM
 * images, for tests/bench/metrics (the benchmark against OpenCV's
 * BRISQUE and scikit-image's SSIM).
 *
 *   metricbench [--models DIR] [--repeats N] METRIC IMAGE.pgm [REF.pgm]
 *
 * METRIC is brisque_opencv, brisque_live, niqe, piqe (no-reference: one
 * image) or ssim, ms_ssim, gmsd, fsim, vif, psnr, mse (full-reference:
 * REF is the reference, IMAGE the distorted one; data range 255).  Models
 * come from DIR (models/).  Model loading and image reading are not
 * timed; the metric call is run N times (5) and the line
 *   "<score> <median seconds> <min seconds>"
 * is printed.  Exit status 1 with a message on any failure.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qc.h"

#define MAX_REPEATS 1000

/* What the metric needs. */
struct bench {
  const char *zMetric;        /* Metric name */
  const char *zModels;        /* Model folder */
  qc_brisque_model *pBrisque; /* For brisque_* */
  qc_niqe_model *pNiqe;       /* For niqe */
  struct qc_plane img;        /* The image scored */
  struct qc_plane ref;        /* Reference, full-reference only */
};

/* The decimal number z, 1..nMax; 0 if z is anything else. */
static long parseCount(const char *z, long nMax)
{
  long n = 0;
  if(*z == 0)
    return 0;
  for(; *z; z++) {
    if(*z < '0' || *z > '9' || n > nMax)
      return 0;
    n = n * 10 + (*z - '0');
  }
  return n <= nMax ? n : 0;
}

/* Reads a binary 8-bit PGM (P5, maxval 255, one optional comment line
 * style: '#' to end of line anywhere in the header) into new floats. */
static int readPgm(const char *zPath, struct qc_plane *p)
{
  FILE *f = fopen(zPath, "rb");
  char zTok[4][32];
  int nTok = 0, c = 0;
  if(f == NULL) {
    perror(zPath);
    return -1;
  }
  while(nTok < 4 && (c = fgetc(f)) != EOF) {
    size_t n = 0;
    if(c == '#') {
      while(c != '\n' && c != EOF)
        c = fgetc(f);
      continue;
    }
    if(c == ' ' || c == '\t' || c == '\n' || c == '\r')
      continue;
    while(c != EOF && c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
          n + 1 < sizeof(zTok[0])) {
      zTok[nTok][n++] = (char)c;
      c = fgetc(f);
    }
    zTok[nTok++][n] = '\0';
  }
  long w = nTok == 4 ? parseCount(zTok[1], 65535) : 0;
  long h = nTok == 4 ? parseCount(zTok[2], 65535) : 0;
  if(nTok != 4 || strcmp(zTok[0], "P5") != 0 || strcmp(zTok[3], "255") != 0 ||
     w < 1 || h < 1 || w > 65535 || h > 65535) {
    fprintf(stderr, "%s: not an 8-bit binary PGM\n", zPath);
    fclose(f);
    return -1;
  }
  size_t n = (size_t)w * (size_t)h;
  unsigned char *z = malloc(n);
  float *a = malloc(n * sizeof(float));
  if(z == NULL || a == NULL || fread(z, 1, n, f) != n) {
    fprintf(stderr, "%s: short file or out of memory\n", zPath);
    free(z);
    free(a);
    fclose(f);
    return -1;
  }
  for(size_t i = 0; i < n; i++)
    a[i] = (float)z[i];
  free(z);
  fclose(f);
  *p = (struct qc_plane){a, (int32_t)w, (int32_t)h};
  return 0;
}

/* Loads the model the metric needs.  Returns 0 or -1. */
static int loadModel(struct bench *b)
{
  char zA[4096], zB[4096], zErr[600];
  int rc = QC_OK;
  if(strncmp(b->zMetric, "brisque_", 8) == 0) {
    int isLive = strcmp(b->zMetric, "brisque_live") == 0;
    snprintf(zA, sizeof(zA), "%s/%s", b->zModels,
             isLive ? QC_MODEL_BRISQUE_LIVE : QC_MODEL_BRISQUE_OPENCV);
    snprintf(zB, sizeof(zB), "%s/%s", b->zModels,
             isLive ? QC_MODEL_BRISQUE_LIVE_RANGE
                    : QC_MODEL_BRISQUE_OPENCV_RANGE);
    rc = qc_brisque_model_load(zA, zB,
                               isLive ? QC_BRISQUE_LIVE : QC_BRISQUE_OPENCV,
                               &b->pBrisque, zErr, sizeof(zErr));
  } else if(strcmp(b->zMetric, "niqe") == 0) {
    snprintf(zA, sizeof(zA), "%s/" QC_MODEL_NIQE_LIVE, b->zModels);
    rc = qc_niqe_model_load(zA, &b->pNiqe, zErr, sizeof(zErr));
  }
  if(rc != QC_OK) {
    fprintf(stderr, "metricbench: %s\n", zErr);
    return -1;
  }
  return 0;
}

/* One evaluation.  Returns a qc status; QC_ERR_MISUSE for an unknown
 * metric name. */
static int run(const struct bench *b, double *pScore)
{
  const char *z = b->zMetric;
  const struct qc_plane *pI = &b->img, *pR = &b->ref;
  if(b->pBrisque)
    return qc_brisque_score(b->pBrisque, pI, pScore);
  if(b->pNiqe)
    return qc_niqe_score(b->pNiqe, pI, pScore);
  if(strcmp(z, "piqe") == 0)
    return qc_piqe(pI, pScore, NULL);
  if(pR->a == NULL)
    return QC_ERR_MISUSE;
  if(strcmp(z, "ssim") == 0)
    return qc_fr_ssim(pR, pI, 255.0, pScore);
  if(strcmp(z, "ms_ssim") == 0)
    return qc_fr_ms_ssim(pR, pI, 255.0, pScore);
  if(strcmp(z, "gmsd") == 0)
    return qc_fr_gmsd(pR, pI, 255.0, pScore);
  if(strcmp(z, "fsim") == 0)
    return qc_fr_fsim(pR, pI, 255.0, pScore);
  if(strcmp(z, "vif") == 0)
    return qc_fr_vif(pR, pI, 255.0, pScore);
  if(strcmp(z, "psnr") == 0)
    return qc_fr_psnr(pR, pI, 255.0, pScore);
  if(strcmp(z, "mse") == 0)
    return qc_fr_mse(pR, pI, pScore);
  return QC_ERR_MISUSE;
}

static int cmpDouble(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  struct bench b = {0};
  int nRepeat = 5, i = 1;
  double aT[MAX_REPEATS], score = 0;
  b.zModels = "models";
  for(; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    if(strcmp(argv[i], "--models") == 0)
      b.zModels = argv[i + 1];
    else if(strcmp(argv[i], "--repeats") == 0)
      nRepeat = (int)parseCount(argv[i + 1], MAX_REPEATS);
    else
      break;
  }
  if(argc - i < 2 || argc - i > 3 || nRepeat < 1 || nRepeat > MAX_REPEATS) {
    fprintf(stderr,
            "usage: metricbench [--models DIR] [--repeats 1..%d] "
            "METRIC IMAGE.pgm [REF.pgm]\n",
            MAX_REPEATS);
    return 2;
  }
  b.zMetric = argv[i];
  if(readPgm(argv[i + 1], &b.img) != 0 ||
     (argc - i == 3 && readPgm(argv[i + 2], &b.ref) != 0) || loadModel(&b))
    return 1;
  for(int k = 0; k < nRepeat; k++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = run(&b, &score);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if(rc != QC_OK) {
      fprintf(stderr, "metricbench: %s: %s\n", b.zMetric,
              rc == QC_ERR_MISUSE ? "unknown metric, or a reference is "
                                    "missing"
                                  : qc_strstatus(rc));
      return 1;
    }
    aT[k] = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  }
  qsort(aT, (size_t)nRepeat, sizeof(double), cmpDouble);
  printf("%.9g %.6f %.6f\n", score, aT[nRepeat / 2], aT[0]);
  qc_brisque_model_free(b.pBrisque);
  qc_niqe_model_free(b.pNiqe);
  free((void *)b.img.a);
  free((void *)b.ref.a);
  return 0;
}
