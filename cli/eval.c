/* SPDX-License-Identifier: BSD-3-Clause
 *
 * eval.c - `dicomqc eval [OPTIONS] DIR`: proves the modality profiles on
 * labelled images.
 *
 * DIR holds DICOM images and a labels.tsv (columns file, set, source,
 * label, subject, slice; the layout of ../shared/data/train).  Every
 * labelled image is decoded and judged as `score` judges it.  The
 * acceptable ones (X-ray references, still MR scans, good fundus
 * photographs) are also degraded by the distortions of their modality
 * (qc_distort(), levels 1..4, seeded by the file name) and judged at each
 * level.  The table says, per modality and family, the mean over images
 * of Spearman's rank correlation between level and quality (ties get
 * their mean rank; an image whose quality is missing at some level counts
 * as 0), and the retake rate at level 0 and at levels 3-4; then, on the
 * real labels: fundus good vs bad+outlier ROC AUC (Mann-Whitney, ties
 * half), retake recall and false-retake rate; MR pair accuracy (the
 * still scan of a subject's slice scores higher than its motion scan)
 * and AUC; retakes among the acceptable real images.  Each line says
 * whether it meets the goal of the issue that asked for it.
 *
 * --tsv FILE writes one row per judged image and level with every metric
 * (and the subject of an MR pair, else the file again), for tuning
 * profiles (models/profiles/fit_profiles.py).  Images are spread over
 * --jobs threads; nothing is written to any database.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define N_LEVEL   5 /* Levels 0..4 */
#define N_FAMILY  4 /* Distortion families per modality, at most */
#define MAX_IMAGE 10000

/* The modalities eval knows, as labels.tsv's "set" column names them. */
enum { SET_XRAY, SET_MR, SET_FUNDUS, N_SET };
static const struct {
  const char *zSet;                     /* labels.tsv set */
  enum qc_distortion aFamily[N_FAMILY]; /* 0-terminated */
} aSetDef[N_SET] = {
    {"xray",
     {QC_DIST_BLUR, QC_DIST_NOISE, QC_DIST_UNDEREXPOSE, QC_DIST_OVEREXPOSE}},
    {"mr", {QC_DIST_MOTION, QC_DIST_RICIAN, QC_DIST_BLUR, 0}},
    {"fundus",
     {QC_DIST_DEFOCUS, QC_DIST_ILLUMINATION, QC_DIST_DARKEN, QC_DIST_NOISE}},
};

/* One labelled image and what eval found. */
struct evalImage {
  char *zFile;      /* Path as in labels.tsv, relative to DIR */
  int iSet;         /* SET_*, or -1 for a set eval does not know */
  char zLabel[32];  /* labels.tsv label */
  char zPair[96];   /* subject/slice for MR pairs, "" otherwise */
  int isGood;       /* An acceptable image: distorted, and must not be
                     flagged */
  char zError[600]; /* Decode failure, or "" */
  double aQuality[N_FAMILY][N_LEVEL]; /* Quality per family and level;
                                         level 0 is the original */
  enum qc_verdict aVerdict[N_FAMILY][N_LEVEL];
};

/* Settings and shared state of one run. */
struct evalRun {
  const char *zDir;           /* DIR */
  const char *zTsv;           /* --tsv FILE or NULL */
  struct cli_measures meas;   /* Models and profiles */
  struct dicom_limits limits; /* Decoder limits */
  uint64_t seed;              /* --seed */
  struct evalImage *a;        /* Images */
  int n;                      /* Images in a */
  int iNext;                  /* Next image to take (under mutex) */
  int nDone;                  /* Images finished (under mutex) */
  int progress;               /* Progress line on a terminal */
  FILE *pTsv;                 /* --tsv stream (under mutex) */
  pthread_mutex_t mutex;      /* Guards iNext, nDone, pTsv */
};

enum {
  OPT_MODELDIR,
  OPT_PROFILEDIR,
  OPT_TSV,
  OPT_JOBS,
  OPT_SEED,
  OPT_QUIET,
  OPT_HELP
};
static const struct cli_opt aOpt[] = {
    [OPT_MODELDIR] = {"model-dir", 1, "DIR",
                      "model files (default the source tree's models/)"},
    [OPT_PROFILEDIR] = {"profile-dir", 1, "DIR",
                        "modality profiles (default MODEL_DIR/profiles)"},
    [OPT_TSV] = {"tsv", 1, "FILE",
                 "also write every judged image and level with its "
                 "metrics to FILE"},
    [OPT_JOBS] = {"jobs", 1, "N", "threads (default: one per core)"},
    [OPT_SEED] = {"seed", 1, "N", "seed of the random distortions (1)"},
    [OPT_QUIET] = {"quiet", 0, "", "no progress line"},
    [OPT_HELP] = {"help", 0, "", "show this help and exit"},
};
#define N_OPT (int)(sizeof(aOpt) / sizeof(aOpt[0]))

static void evalUsage(FILE *out)
{
  fprintf(out,
          "Usage: dicomqc eval [OPTIONS] DIR\n"
          "Judge the labelled images of DIR (DIR/labels.tsv: file, set, "
          "source, label,\nsubject, slice) and the acceptable ones degraded "
          "at levels 1..4, and print\nhow well the profiles rank and flag "
          "them.\n\nOptions:\n");
  cli_opt_help(out, aOpt, N_OPT);
  fprintf(out,
          "\nSets and distortion families: xray (blur, noise, underexpose, "
          "overexpose),\nmr (motion, rician, blur), fundus (defocus, "
          "illumination, darken, noise).\nAcceptable images: xray any "
          "label, mr 'nomotion', fundus 'good' and\n'good_reference'.  "
          "Example:\n  dicomqc eval ../shared/data/train\n\n%s",
          cli_exit_help);
}

/* ---- labels ---------------------------------------------------------- */

/* Splits line z (modified) at tabs into up to nMax fields. */
static int splitTabs(char *z, char **az, int nMax)
{
  int n = 0;
  z[strcspn(z, "\r\n")] = 0;
  while(n < nMax) {
    az[n++] = z;
    z = strchr(z, '\t');
    if(z == NULL)
      break;
    *z++ = 0;
  }
  return n;
}

/* Reads DIR/labels.tsv into r->a.  Returns 0, or -1 after an error
 * message. */
static int readLabels(struct evalRun *r)
{
  char zPath[1200], zLine[2048];
  snprintf(zPath, sizeof(zPath), "%s/labels.tsv", r->zDir);
  FILE *f = fopen(zPath, "r");
  int iLine = 0;
  if(f == NULL) {
    cli_errorf("%s: cannot read the labels: %s (eval needs DIR/labels.tsv)",
               zPath, strerror(errno));
    return -1;
  }
  r->a = calloc(MAX_IMAGE, sizeof(struct evalImage));
  if(r->a == NULL) {
    fclose(f);
    cli_errorf("out of memory");
    return -1;
  }
  while(fgets(zLine, sizeof(zLine), f)) {
    char *az[6] = {0};
    int n = splitTabs(zLine, az, 6);
    iLine++;
    if(iLine == 1 && strcmp(az[0], "file") == 0)
      continue; /* header */
    if(n < 4 || az[0][0] == 0) {
      cli_errorf("%s:%d: expected file, set, source, label (tabs)", zPath,
                 iLine);
      fclose(f);
      return -1;
    }
    if(r->n == MAX_IMAGE) {
      cli_errorf("%s: more than %d images", zPath, MAX_IMAGE);
      fclose(f);
      return -1;
    }
    struct evalImage *p = &r->a[r->n];
    p->zFile = strdup(az[0]);
    if(p->zFile == NULL) {
      fclose(f);
      cli_errorf("out of memory");
      return -1;
    }
    r->n++;
    p->iSet = -1;
    for(int s = 0; s < N_SET; s++)
      if(strcmp(az[1], aSetDef[s].zSet) == 0)
        p->iSet = s;
    snprintf(p->zLabel, sizeof(p->zLabel), "%s", az[3]);
    if(n >= 6 && az[4][0])
      snprintf(p->zPair, sizeof(p->zPair), "%.40s/%.40s", az[4], az[5]);
    p->isGood =
        p->iSet == SET_XRAY ||
        (p->iSet == SET_MR && strcmp(p->zLabel, "nomotion") == 0) ||
        (p->iSet == SET_FUNDUS && (strcmp(p->zLabel, "good") == 0 ||
                                   strcmp(p->zLabel, "good_reference") == 0));
    for(int k = 0; k < N_FAMILY; k++)
      for(int l = 0; l < N_LEVEL; l++)
        p->aQuality[k][l] = NAN;
  }
  fclose(f);
  if(r->n == 0) {
    cli_errorf("%s: no image listed", zPath);
    return -1;
  }
  return 0;
}

/* ---- judging --------------------------------------------------------- */

/* FNV-1a 64 of a string: the seed of an image's distortions. */
static uint64_t hashName(const char *z)
{
  uint64_t h = 0xcbf29ce484222325ull;
  for(; *z; z++) {
    h ^= (unsigned char)*z;
    h *= 0x100000001b3ull;
  }
  return h;
}

/* Writes one --tsv row. */
static void tsvRow(struct evalRun *r, const struct evalImage *p,
                   const char *zFamily, int level,
                   const struct cli_result *res)
{
  if(r->pTsv == NULL)
    return;
  /* The subject of an MR pair, else the image itself. */
  int nSubject = p->zPair[0] ? (int)strcspn(p->zPair, "/") : 1000;
  fprintf(r->pTsv, "%s\t%s\t%s\t%.*s\t%s\t%d\t%.6g\t%s", p->zFile,
          aSetDef[p->iSet].zSet, p->zLabel, nSubject,
          p->zPair[0] ? p->zPair : p->zFile, zFamily, level,
          res->assess.quality, qc_verdict_name(res->assess.verdict));
  for(int i = 0; i < cli_metric_count; i++) {
    const char *zName, *zUnit;
    double v;
    if(cli_result_metric(res, i, &zName, &zUnit, &v))
      fprintf(r->pTsv, "\t%s=%.9g", zName, v);
  }
  fputc('\n', r->pTsv);
}

/* Judges image p: the original, and for acceptable images every family
 * at levels 1..4.  res is scratch. */
static void judgeImage(struct evalRun *r, struct evalImage *p,
                       struct cli_result *res)
{
  char zPath[1200];
  dicom_file *f = NULL;
  struct qc_image *pImg = NULL;
  struct qc_meta meta;
  snprintf(zPath, sizeof(zPath), "%s/%s", r->zDir, p->zFile);
  int rc = dicom_open(zPath, &r->limits, &f);
  if(rc == DICOM_OK)
    rc = dicom_meta_read(f, &meta);
  if(rc == DICOM_OK)
    rc = dicom_image_read(f, &pImg);
  if(rc != DICOM_OK) {
    snprintf(p->zError, sizeof(p->zError), "%s", dicom_errmsg(f));
    dicom_close(f);
    return;
  }
  dicom_close(f);
  rc = cli_measure_image(pImg, &meta, &r->meas, res);
  if(rc) {
    snprintf(p->zError, sizeof(p->zError), "%.500s: measuring failed: %s",
             zPath, qc_strstatus(rc));
    qc_image_free(pImg);
    return;
  }
  for(int k = 0; k < N_FAMILY; k++) {
    p->aQuality[k][0] = res->assess.quality;
    p->aVerdict[k][0] = res->assess.verdict;
  }
  pthread_mutex_lock(&r->mutex);
  tsvRow(r, p, "original", 0, res);
  pthread_mutex_unlock(&r->mutex);
  for(int k = 0; p->isGood && k < N_FAMILY; k++) {
    enum qc_distortion d = aSetDef[p->iSet].aFamily[k];
    if(d == 0)
      break;
    for(int l = 1; l < N_LEVEL; l++) {
      struct qc_image *pD = NULL;
      uint64_t seed = hashName(p->zFile) ^ (r->seed * 0x9e3779b97f4a7c15ull) ^
                      ((uint64_t)d << 8 | (uint64_t)l);
      rc = qc_distort(pImg, pImg->nFrames / 2, d, l, seed, &pD);
      if(rc == QC_OK)
        rc = cli_measure_image(pD, &meta, &r->meas, res);
      qc_image_free(pD);
      if(rc) {
        snprintf(p->zError, sizeof(p->zError),
                 "%.500s: %s level %d failed: %s", zPath,
                 qc_distortion_name(d), l, qc_strstatus(rc));
        break;
      }
      p->aQuality[k][l] = res->assess.quality;
      p->aVerdict[k][l] = res->assess.verdict;
      pthread_mutex_lock(&r->mutex);
      tsvRow(r, p, qc_distortion_name(d), l, res);
      pthread_mutex_unlock(&r->mutex);
    }
  }
  qc_image_free(pImg);
}

static void *evalWorker(void *pArg)
{
  struct evalRun *r = pArg;
  struct cli_result *res = malloc(sizeof(*res));
  if(res == NULL)
    return NULL;
  for(;;) {
    pthread_mutex_lock(&r->mutex);
    int i = r->iNext < r->n ? r->iNext++ : -1;
    pthread_mutex_unlock(&r->mutex);
    if(i < 0)
      break;
    if(r->a[i].iSet >= 0)
      judgeImage(r, &r->a[i], res);
    pthread_mutex_lock(&r->mutex);
    r->nDone++;
    if(r->progress)
      fprintf(stderr, "\r[%d/%d] %.60s\033[K", r->nDone, r->n, r->a[i].zFile);
    pthread_mutex_unlock(&r->mutex);
  }
  free(res);
  return NULL;
}

/* ---- statistics ------------------------------------------------------ */

/* Spearman's rho between levels 0..4 and the qualities a (ties get the
 * mean rank); 0 if a value is missing or the qualities are all equal. */
static double spearman(const double *a)
{
  double aRank[N_LEVEL], mean = (N_LEVEL - 1) / 2.0;
  double sxy = 0, sxx = 0, syy = 0;
  for(int i = 0; i < N_LEVEL; i++) {
    double below = 0, same = 0;
    if(!isfinite(a[i]))
      return 0;
    for(int j = 0; j < N_LEVEL; j++) {
      below += a[j] < a[i];
      same += a[j] == a[i];
    }
    aRank[i] = below + (same - 1) / 2.0;
  }
  for(int i = 0; i < N_LEVEL; i++) {
    sxy += (i - mean) * (aRank[i] - mean);
    sxx += (i - mean) * (i - mean);
    syy += (aRank[i] - mean) * (aRank[i] - mean);
  }
  return syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

/* ROC AUC of "positive scores higher" over the two groups (Mann-Whitney,
 * ties count half); NaN if a group is empty. */
static double auc(const double *aPos, int nPos, const double *aNeg, int nNeg)
{
  double s = 0;
  if(nPos == 0 || nNeg == 0)
    return NAN;
  for(int i = 0; i < nPos; i++)
    for(int j = 0; j < nNeg; j++)
      s += aPos[i] > aNeg[j] ? 1 : aPos[i] == aNeg[j] ? 0.5 : 0;
  return s / ((double)nPos * nNeg);
}

/* Quality for ranking: a missing one ranks lowest. */
static double rankable(double q)
{
  return isfinite(q) ? q : -1;
}

static const char *goal(int met)
{
  return met ? "met" : "MISSED";
}

/* Prints the family table. */
static void printFamilies(const struct evalRun *r)
{
  printf("%-8s %-13s %6s %9s %9s %10s   %s\n", "set", "family", "images",
         "spearman", "retake@0", "retake@3-4",
         "goal (<= -0.95, <= 2%, "
         ">= 95%)");
  for(int s = 0; s < N_SET; s++)
    for(int k = 0; k < N_FAMILY && aSetDef[s].aFamily[k]; k++) {
      int n = 0, n0 = 0, n34 = 0;
      double sumRho = 0;
      for(int i = 0; i < r->n; i++) {
        const struct evalImage *p = &r->a[i];
        if(p->iSet != s || !p->isGood || p->zError[0])
          continue;
        n++;
        sumRho += spearman(p->aQuality[k]);
        n0 += p->aVerdict[k][0] == QC_VERDICT_RETAKE;
        n34 += (p->aVerdict[k][3] == QC_VERDICT_RETAKE) +
               (p->aVerdict[k][4] == QC_VERDICT_RETAKE);
      }
      if(n == 0)
        continue;
      double rho = sumRho / n, r0 = 100.0 * n0 / n, r34 = 50.0 * n34 / n;
      printf("%-8s %-13s %6d %9.3f %8.1f%% %9.1f%%   %s\n", aSetDef[s].zSet,
             qc_distortion_name(aSetDef[s].aFamily[k]), n, rho, r0, r34,
             goal(rho <= -0.95 && r0 <= 2 && r34 >= 95));
    }
}

/* Prints the lines on the real labels. */
static void printReal(const struct evalRun *r)
{
  double *aPos = malloc((size_t)r->n * sizeof(double));
  double *aNeg = malloc((size_t)r->n * sizeof(double));
  if(aPos == NULL || aNeg == NULL) {
    free(aPos);
    free(aNeg);
    return;
  }
  printf("\nreal images\n");
  /* Fundus: DRIMDB-style good vs bad + outlier. */
  int nPos = 0, nNeg = 0, nNegRetake = 0, nPosRetake = 0, nRef = 0,
      nRefRetake = 0;
  for(int i = 0; i < r->n; i++) {
    const struct evalImage *p = &r->a[i];
    if(p->iSet != SET_FUNDUS || p->zError[0])
      continue;
    int isRetake = p->aVerdict[0][0] == QC_VERDICT_RETAKE;
    if(strcmp(p->zLabel, "good") == 0) {
      aPos[nPos++] = rankable(p->aQuality[0][0]);
      nPosRetake += isRetake;
    } else if(strcmp(p->zLabel, "good_reference") == 0) {
      nRef++;
      nRefRetake += isRetake;
    } else {
      aNeg[nNeg++] = rankable(p->aQuality[0][0]);
      nNegRetake += isRetake;
    }
  }
  if(nPos && nNeg) {
    double a = auc(aPos, nPos, aNeg, nNeg);
    printf("fundus   good vs bad+outlier ROC AUC %.3f (%d good, %d bad or "
           "outlier)   goal >= 0.97: %s\n",
           a, nPos, nNeg, goal(a >= 0.97));
    printf("fundus   retake recall %.1f%% (%d/%d bad or outlier)\n",
           100.0 * nNegRetake / nNeg, nNegRetake, nNeg);
    printf("fundus   false retakes %.1f%% (%d/%d good)   goal <= 2%%: %s\n",
           100.0 * nPosRetake / nPos, nPosRetake, nPos,
           goal(100.0 * nPosRetake <= 2.0 * nPos));
  }
  if(nRef)
    printf("fundus   false retakes on reference photographs %.1f%% (%d/%d)"
           "   goal <= 2%%: %s\n",
           100.0 * nRefRetake / nRef, nRefRetake, nRef,
           goal(100.0 * nRefRetake <= 2.0 * nRef));
  /* MR: pairs of the same slice, still vs motion. */
  int nPair = 0, nWin = 0, nStill = 0, nStillRetake = 0, nMotion = 0,
      nMotionRetake = 0;
  nPos = nNeg = 0;
  for(int i = 0; i < r->n; i++) {
    const struct evalImage *p = &r->a[i];
    if(p->iSet != SET_MR || p->zError[0])
      continue;
    int isStill = strcmp(p->zLabel, "nomotion") == 0;
    int isRetake = p->aVerdict[0][0] == QC_VERDICT_RETAKE;
    if(isStill) {
      aPos[nPos++] = rankable(p->aQuality[0][0]);
      nStill++;
      nStillRetake += isRetake;
    } else {
      aNeg[nNeg++] = rankable(p->aQuality[0][0]);
      nMotion++;
      nMotionRetake += isRetake;
    }
    if(!isStill || p->zPair[0] == 0)
      continue;
    for(int j = 0; j < r->n; j++) {
      const struct evalImage *q = &r->a[j];
      if(q->iSet == SET_MR && !q->zError[0] &&
         strcmp(q->zLabel, "motion") == 0 && strcmp(q->zPair, p->zPair) == 0) {
        nPair++;
        nWin += rankable(p->aQuality[0][0]) > rankable(q->aQuality[0][0]);
      }
    }
  }
  if(nPair) {
    double acc = (double)nWin / nPair;
    printf("mr       pair accuracy %.3f (%d/%d pairs: still scores higher)"
           "   goal >= 0.95: %s\n",
           acc, nWin, nPair, goal(acc >= 0.95));
    printf("mr       still vs motion ROC AUC %.3f (%d still, %d motion)\n",
           auc(aPos, nPos, aNeg, nNeg), nPos, nNeg);
    printf("mr       retakes: %d/%d motion scans; false retakes %.1f%% "
           "(%d/%d still)   goal <= 2%%: %s\n",
           nMotionRetake, nMotion, 100.0 * nStillRetake / nStill, nStillRetake,
           nStill, goal(100.0 * nStillRetake <= 2.0 * nStill));
  }
  int nX = 0, nXRetake = 0;
  for(int i = 0; i < r->n; i++)
    if(r->a[i].iSet == SET_XRAY && !r->a[i].zError[0]) {
      nX++;
      nXRetake += r->a[i].aVerdict[0][0] == QC_VERDICT_RETAKE;
    }
  if(nX)
    printf("xray     false retakes %.1f%% (%d/%d acceptable radiographs)"
           "   goal <= 2%%: %s\n",
           100.0 * nXRetake / nX, nXRetake, nX,
           goal(100.0 * nXRetake <= 2.0 * nX));
  free(aPos);
  free(aNeg);
}

/* ---- command --------------------------------------------------------- */

int cli_eval_main(int argc, char **argv)
{
  struct evalRun r;
  const char *zModelDir = DICOMQC_MODEL_DIR, *zProfileDir = NULL;
  uint64_t nJobs = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN), n;
  char zErr[700];
  int i, k = 0, exitCode = CLI_EXIT_OK, nBad = 0;
  memset(&r, 0, sizeof(r));
  r.seed = 1;
  for(i = 1; i < argc; i++) {
    const char *zArg = NULL;
    int rc =
        cli_opt_next("eval", aOpt, N_OPT, OPT_HELP, argc, argv, &i, &k, &zArg);
    if(rc == CLI_OPT_END || rc == CLI_OPT_POSITIONAL)
      break;
    if(rc != CLI_OPT_FOUND)
      return rc;
    switch(k) {
    case OPT_MODELDIR:
      zModelDir = zArg;
      break;
    case OPT_PROFILEDIR:
      zProfileDir = zArg;
      break;
    case OPT_TSV:
      r.zTsv = zArg;
      break;
    case OPT_JOBS:
      if(cli_parse_uint(zArg, 64, &nJobs))
        return cli_usagef("eval",
                          "option --jobs: '%s' is not a number "
                          "from 1 to 64",
                          zArg);
      break;
    case OPT_SEED:
      if(cli_parse_uint(zArg, UINT64_MAX, &n))
        return cli_usagef("eval",
                          "option --seed: '%s' is not a number "
                          ">= 1",
                          zArg);
      r.seed = n;
      break;
    case OPT_QUIET:
      cli_quiet = 1;
      break;
    case OPT_HELP:
      evalUsage(stdout);
      return CLI_EXIT_OK;
    }
  }
  if(i >= argc)
    return cli_usagef("eval", "no DIR given");
  if(i + 1 < argc)
    return cli_usagef("eval", "one DIR only ('%s' is extra)", argv[i + 1]);
  if(nJobs < 1 || nJobs > 64)
    nJobs = 2;
  r.zDir = argv[i];
  dicom_limits_default(&r.limits);
  if(readLabels(&r)) {
    exitCode = CLI_EXIT_INPUT;
    goto eval_end;
  }
  if(cli_measures_open(zModelDir, zProfileDir, CLI_METRICS_ALL, &r.meas, zErr,
                       sizeof(zErr))) {
    cli_errorf("cannot load the models: %s (--model-dir, --profile-dir)",
               zErr);
    exitCode = CLI_EXIT_INPUT;
    goto eval_end;
  }
  if(r.zTsv) {
    r.pTsv = fopen(r.zTsv, "w");
    if(r.pTsv == NULL) {
      cli_errorf("%s: cannot write: %s", r.zTsv, strerror(errno));
      exitCode = CLI_EXIT_INPUT;
      goto eval_end;
    }
    fprintf(r.pTsv, "file\tset\tlabel\tsubject\tfamily\tlevel\tquality\t"
                    "verdict\tmetrics...\n");
  }
  r.progress = !cli_quiet && isatty(STDERR_FILENO);
  pthread_mutex_init(&r.mutex, NULL);
  pthread_t aThread[64];
  int nThread = 0;
  for(uint64_t j = 0; j < nJobs; j++)
    if(pthread_create(&aThread[nThread], NULL, evalWorker, &r) == 0)
      nThread++;
  if(nThread == 0)
    evalWorker(&r);
  for(int j = 0; j < nThread; j++)
    pthread_join(aThread[j], NULL);
  pthread_mutex_destroy(&r.mutex);
  if(r.progress)
    fputs("\r\033[K", stderr);
  for(int j = 0; j < r.n; j++) {
    if(r.a[j].iSet < 0)
      cli_warnf("%s: set not known to eval (xray, mr, fundus): skipped",
                r.a[j].zFile);
    else if(r.a[j].zError[0]) {
      cli_errorf("%s", r.a[j].zError);
      nBad++;
    }
  }
  printf("dicomqc eval %s: %d images, seed %llu\n\n", r.zDir, r.n,
         (unsigned long long)r.seed);
  printFamilies(&r);
  printReal(&r);
  if(nBad)
    exitCode = CLI_EXIT_INPUT;
  if(r.pTsv && fclose(r.pTsv) != 0) {
    cli_errorf("%s: cannot write: %s", r.zTsv, strerror(errno));
    exitCode = CLI_EXIT_INPUT;
  }
  r.pTsv = NULL;
eval_end:
  if(r.pTsv)
    fclose(r.pTsv);
  cli_measures_close(&r.meas);
  for(int j = 0; r.a && j < r.n; j++)
    free(r.a[j].zFile);
  free(r.a);
  return exitCode;
}
