/* SPDX-License-Identifier: BSD-3-Clause
 *
 * train.c - `dicomqc train niqe --modality M --out FILE [OPTIONS] PATH...`
 *
 * Fits a NIQE pristine model (Mittal, Soundararajan and Bovik 2013) from
 * DICOM images a site accepts as good: every file under the PATHs whose
 * Modality is M is decoded, its middle frame turned into the 0..255 grey
 * plane the models score (qc_render_model_input(): the same rule as
 * scoring, so the model sees what it will later judge), and its sharp
 * 96x96 blocks at two scales feed the multivariate Gaussian
 * (qc_niqe_fit_*: blocks whose sharpness exceeds --sharpness x the
 * image's sharpest, 0.75 as in the LIVE release).  The model file is
 * text with a provenance header: date, images and blocks used, the
 * source folders, the modality.
 *
 * Scoring uses it for images of modality M when it is saved in the model
 * folder as niqe_<M>.txt (see cli_measures_open()).  Files of another
 * modality are skipped (counted, and named with --verbose); files that do
 * not decode are named on stderr and skipped.  Nothing is written unless
 * at least one block was used.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Options of `train niqe`: one table drives parsing and --help. */
enum { OPT_MODALITY, OPT_OUT, OPT_SHARP, OPT_VERBOSE, OPT_QUIET, OPT_HELP };
static const struct cli_opt aOpt[] = {
    [OPT_MODALITY] = {"modality", 1, "M",
                      "use the images of this Modality (0008,0060), e.g. CR, "
                      "MR, OP (required)"},
    [OPT_OUT] = {"out", 1, "FILE", "write the model here (required)"},
    [OPT_SHARP] = {"sharpness", 1, "F",
                   "keep blocks sharper than F x the image's sharpest, "
                   "0 < F < 1 (0.75)"},
    [OPT_VERBOSE] = {"verbose", 0, "", "name every file skipped and why"},
    [OPT_QUIET] = {"quiet", 0, "", "no warnings and no progress line"},
    [OPT_HELP] = {"help", 0, "", "show this help and exit"},
};
#define N_OPT (int)(sizeof(aOpt) / sizeof(aOpt[0]))

/* Settings of one run. */
struct trainCfg {
  const char *zModality; /* --modality */
  const char *zOut;      /* --out */
  double sharpFraction;  /* --sharpness */
  int verbose;           /* --verbose */
  int iFirst;            /* First PATH in argv */
};

static void trainUsage(FILE *out)
{
  fprintf(out, "Usage: dicomqc train niqe --modality M --out FILE "
               "[OPTIONS] PATH...\n"
               "Fit a NIQE pristine model from DICOM images of good quality "
               "(directories\nrecursively).\n\nOptions:\n");
  cli_opt_help(out, aOpt, N_OPT);
  fprintf(out,
          "\nEach image of modality M gives its middle frame, as the 0..255 "
          "grey plane\nthe models score (8-bit grey as it is, 8-bit RGB as "
          "OpenCV's grey, else\nthrough the VOI window or the 1..99 "
          "percentile window); its sharp 96x96\nblocks at full and half "
          "size are fitted with a multivariate Gaussian.  Save\nthe model "
          "in the model folder as niqe_<M>.txt and `score` and `serve` use "
          "it\nfor images of modality M instead of the LIVE pristine "
          "model.  Use many\nimages (the LIVE model: 125 pictures); a fit "
          "needs more blocks than its\n36 features.\n\n%s",
          cli_exit_help);
}

/* Parses the options; returns -1 to go on, or an exit code. */
static int parseArgs(int argc, char **argv, struct trainCfg *cfg)
{
  int i, k = 0;
  for(i = 1; i < argc; i++) {
    const char *zArg = NULL;
    int rc = cli_opt_next("train niqe", aOpt, N_OPT, OPT_HELP, argc, argv, &i,
                          &k, &zArg);
    if(rc == CLI_OPT_END || rc == CLI_OPT_POSITIONAL)
      break;
    if(rc != CLI_OPT_FOUND)
      return rc;
    char *zEnd = NULL;
    switch(k) {
    case OPT_MODALITY:
      if(zArg[0] == 0 || strlen(zArg) > 16 || strpbrk(zArg, "\\/ \t"))
        return cli_usagef("train niqe",
                          "option --modality: '%s' is not a "
                          "modality code (1 to 16 characters)",
                          zArg);
      cfg->zModality = zArg;
      break;
    case OPT_OUT:
      cfg->zOut = zArg;
      break;
    case OPT_SHARP:
      cfg->sharpFraction = strtod(zArg, &zEnd);
      if(zEnd == zArg || *zEnd || !(cfg->sharpFraction > 0.0) ||
         !(cfg->sharpFraction < 1.0))
        return cli_usagef("train niqe",
                          "option --sharpness: '%s' is not a "
                          "number between 0 and 1",
                          zArg);
      break;
    case OPT_VERBOSE:
      cfg->verbose = 1;
      break;
    case OPT_QUIET:
      cli_quiet = 1;
      break;
    case OPT_HELP:
      trainUsage(stdout);
      return CLI_EXIT_OK;
    }
  }
  if(cfg->zModality == NULL)
    return cli_usagef("train niqe", "--modality M is required");
  if(cfg->zOut == NULL)
    return cli_usagef("train niqe", "--out FILE is required");
  if(i >= argc)
    return cli_usagef("train niqe", "no PATH given");
  cfg->iFirst = i;
  return -1;
}

/* Counts of one run. */
struct trainCount {
  int nUsed;      /* Images that gave at least one block */
  int nNoBlock;   /* Images of modality M without a usable block */
  int nOther;     /* Images of another modality, skipped */
  int nBad;       /* Files that did not decode, skipped */
  int64_t nBlock; /* Blocks fitted, both scales */
};

/* Feeds one file to the fit.  Returns 0, or -1 when memory ran out. */
static int addFile(const struct trainCfg *cfg, qc_niqe_fit *pFit,
                   const char *zPath, struct trainCount *pN)
{
  dicom_file *f = NULL;
  struct qc_image *pImg = NULL;
  struct qc_meta m;
  float *a = NULL;
  int32_t nUsed = 0;
  int rc = dicom_open(zPath, NULL, &f), result = 0;
  if(rc == DICOM_OK)
    rc = dicom_meta_read(f, &m);
  if(rc == DICOM_OK && strcmp(m.zModality, cfg->zModality) != 0) {
    if(cfg->verbose)
      cli_warnf("%s: modality %s, not %s: skipped", zPath,
                m.zModality[0] ? m.zModality : "(none)", cfg->zModality);
    pN->nOther++;
    goto add_end;
  }
  if(rc == DICOM_OK)
    rc = dicom_image_read(f, &pImg);
  if(rc != DICOM_OK) {
    cli_warnf("%s (skipped)", dicom_errmsg(f));
    pN->nBad++;
    goto add_end;
  }
  a = malloc((size_t)pImg->nWidth * pImg->nHeight * sizeof(float));
  if(a == NULL) {
    result = -1;
    goto add_end;
  }
  rc = qc_render_model_input(pImg, pImg->nFrames / 2, a, NULL);
  if(rc == QC_OK) {
    struct qc_plane in = {a, pImg->nWidth, pImg->nHeight};
    rc = qc_niqe_fit_add_plane(pFit, &in, &nUsed);
  }
  if(rc == QC_ERR_NOMEM) {
    result = -1;
  } else if(rc != QC_OK || nUsed == 0) {
    if(cfg->verbose)
      cli_warnf("%s: no usable 96x96 block (%s)", zPath,
                rc == QC_OK ? "too small or too smooth" : qc_strstatus(rc));
    pN->nNoBlock++;
  } else {
    pN->nUsed++;
    pN->nBlock += nUsed;
  }
add_end:
  free(a);
  qc_image_free(pImg);
  dicom_close(f);
  return result;
}

/* "DIR, DIR, ..." of the PATHs given, for the provenance header. */
static void sourceList(int argc, char **argv, int iFirst, char *z, size_t n)
{
  size_t k = 0;
  z[0] = 0;
  for(int i = iFirst; i < argc && k + 1 < n; i++) {
    char *zAbs = realpath(argv[i], NULL);
    int w = snprintf(z + k, n - k, "%s%s", i > iFirst ? ", " : "",
                     zAbs ? zAbs : argv[i]);
    free(zAbs);
    if(w < 0 || (size_t)w >= n - k)
      break;
    k += (size_t)w;
  }
}

int cli_train_main(int argc, char **argv)
{
  struct trainCfg cfg = {0};
  struct cli_paths list = {0};
  struct trainCount cnt = {0};
  qc_niqe_fit *pFit = NULL;
  qc_niqe_model *pModel = NULL;
  char zDate[32], zSource[4096], zErr[700];
  int exitCode, nBad = 0;
  if(argc < 2 || strcmp(argv[1], "niqe") != 0) {
    if(argc >= 2 &&
       (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
      trainUsage(stdout);
      return CLI_EXIT_OK;
    }
    return cli_usagef("train", "what to train: 'niqe' (the only model "
                               "dicomqc fits)");
  }
  cfg.sharpFraction = 0.75;
  exitCode = parseArgs(argc - 1, argv + 1, &cfg);
  if(exitCode >= 0)
    return exitCode;
  exitCode = CLI_EXIT_INPUT;
  for(int i = cfg.iFirst + 1; i < argc; i++)
    nBad += cli_paths_collect(&list, argv[i]);
  if(qc_niqe_fit_new(cfg.sharpFraction, &pFit) != QC_OK) {
    cli_errorf("out of memory");
    goto train_end;
  }
  int progress = !cli_quiet && isatty(STDERR_FILENO);
  for(size_t i = 0; i < list.n; i++) {
    if(progress)
      fprintf(stderr, "\r[%zu/%zu] %.60s\033[K", i + 1, list.n, list.az[i]);
    int rc = addFile(&cfg, pFit, list.az[i], &cnt);
    if(progress)
      fputs("\r\033[K", stderr);
    if(rc) {
      cli_errorf("out of memory");
      goto train_end;
    }
  }
  if(cnt.nUsed == 0) {
    cli_errorf("no usable image of modality %s among %zu files (%d of "
               "other modalities, %d without a sharp 96x96 block, %d that "
               "do not decode): nothing written",
               cfg.zModality, list.n, cnt.nOther, cnt.nNoBlock, cnt.nBad);
    goto train_end;
  }
  time_t now = time(NULL);
  strftime(zDate, sizeof(zDate), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  sourceList(argc, argv, cfg.iFirst + 1, zSource, sizeof(zSource));
  struct qc_niqe_provenance prov = {zDate, zSource, cfg.zModality};
  int rc = qc_niqe_fit_finish(pFit, &prov, &pModel);
  if(rc != QC_OK) {
    cli_errorf("cannot fit a model from %lld blocks of %d images: %s "
               "(use more images)",
               (long long)cnt.nBlock, cnt.nUsed, qc_strstatus(rc));
    goto train_end;
  }
  if(cnt.nBlock < 2 * QC_NIQE_NFEAT)
    cli_warnf("only %lld blocks for the covariance of %d features: the "
              "model is a rough one; use more images",
              (long long)cnt.nBlock, QC_NIQE_NFEAT);
  if(qc_niqe_model_write(pModel, cfg.zOut, zErr, sizeof(zErr)) != QC_OK) {
    cli_errorf("%s", zErr);
    goto train_end;
  }
  printf("%s: NIQE model of modality %s from %d images (%lld blocks); "
         "skipped %d of other modalities, %d without a sharp block, %d "
         "unreadable\n",
         cfg.zOut, cfg.zModality, cnt.nUsed, (long long)cnt.nBlock, cnt.nOther,
         cnt.nNoBlock, cnt.nBad);
  exitCode = nBad || cnt.nBad ? CLI_EXIT_INPUT : CLI_EXIT_OK;
train_end:
  qc_niqe_model_free(pModel);
  qc_niqe_fit_free(pFit);
  cli_paths_free(&list);
  return exitCode;
}
