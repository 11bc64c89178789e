/* SPDX-License-Identifier: BSD-3-Clause
 *
 * score.c - `dicomqc score [--json] [--db FILE] [--metrics LIST] PATH...`
 *
 * Decodes each DICOM file (directories are walked recursively, in name
 * order), measures it with qc/ and judges it by its modality profile
 * (models/profiles/, or --profile-dir): a readable table, or with --json
 * one JSON object per image (a contract other tools rely on; see the
 * README).  With --db everything is recorded in the SQLite index, one
 * transaction per image.  An image no profile applies to is "unscored"
 * with a null quality: nothing here makes a verdict up.
 *
 * Multi-frame images are measured on their middle frame.  A file that
 * fails is reported on stderr (and in its JSON line) and scoring goes on;
 * the exit code says whether any failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* Options of `score`: one table drives parsing and --help. */
enum {
  OPT_JSON,
  OPT_DB,
  OPT_METRICS,
  OPT_MODELDIR,
  OPT_PROFILEDIR,
  OPT_QUIET,
  OPT_MAXDIM,
  OPT_MAXMIB,
  OPT_HELP
};
static const struct cli_opt aOpt[] = {
    [OPT_JSON] = {"json", 0, "", "print one JSON object per image"},
    [OPT_DB] = {"db", 1, "FILE",
                "record instances, metrics and verdicts "
                "in the SQLite database FILE"},
    [OPT_METRICS] = {"metrics", 1, "LIST",
                     "run only these metrics (comma-separated names, "
                     "below; default all)"},
    [OPT_MODELDIR] = {"model-dir", 1, "DIR",
                      "BRISQUE and NIQE model files (default "
                      "the source tree's models/)"},
    [OPT_PROFILEDIR] = {"profile-dir", 1, "DIR",
                        "modality profiles, *.ini (default "
                        "MODEL_DIR/profiles)"},
    [OPT_QUIET] = {"quiet", 0, "", "no warnings and no progress line"},
    [OPT_MAXDIM] = {"max-dim", 1, "N",
                    "refuse images with more than N rows "
                    "or columns (default 30000)"},
    [OPT_MAXMIB] = {"max-mib", 1, "N",
                    "refuse images whose decoded samples "
                    "need more than N MiB (default 2048)"},
    [OPT_HELP] = {"help", 0, "", "show this help and exit"},
};
#define N_OPT (int)(sizeof(aOpt) / sizeof(aOpt[0]))

/* Settings of one run. */
struct scoreCfg {
  int json;                   /* --json */
  const char *zDb;            /* --db FILE or NULL */
  struct dicom_limits limits; /* --max-dim, --max-mib */
  uint64_t mask;              /* --metrics */
  const char *zModelDir;      /* --model-dir */
  const char *zProfileDir;    /* --profile-dir, or NULL */
  int progress;               /* Progress line on a terminal */
};

static void scoreUsage(FILE *out)
{
  fprintf(out, "Usage: dicomqc score [OPTIONS] PATH...\n"
               "Decode DICOM files (directories recursively) and print their "
               "quality measures.\n\nOptions:\n");
  cli_opt_help(out, aOpt, N_OPT);
  fprintf(out, "\nMeasures (middle frame of multi-frame images): noise "
               "sigma (Immerkaer 1996),\nsharpness (variance of the Laplacian "
               "of the 0..255 display rendering),\nexposure mean and 1st/99th "
               "percentiles, clipped fractions, dynamic range;\nBRISQUE "
               "(OpenCV's and the LIVE model), NIQE and PIQE on the 0..255 "
               "grey\nplane: 8-bit grey as it is, 8-bit RGB as OpenCV's grey, "
               "anything else\nthrough the VOI window or the 1..99 percentile "
               "window (lower is better\nfor all four; a model that cannot "
               "score an image, e.g. NIQE on one smaller\nthan 96x96 at half "
               "size, leaves its value out).  Metric names:\n ");
  for(int i = 0, n = 1; i < cli_metric_count; i++) {
    const char *zName = cli_metric_name(i);
    n += (int)strlen(zName) + 1;
    if(n > 78) {
      fputs("\n ", out);
      n = 1 + (int)strlen(zName) + 1;
    }
    fprintf(out, " %s", zName);
  }
  fprintf(out,
          "\nEach image is judged by the profile of its modality "
          "(xray, mr, fundus):\nquality 0..100 (higher is better), verdict "
          "pass, warn or retake, and the\nreasons; images no profile "
          "applies to are \"unscored\".\n\n%s",
          cli_exit_help);
}

static void jsonStr(cJSON *o, const char *zKey, const char *z)
{
  if(z && z[0])
    cJSON_AddStringToObject(o, zKey, z);
  else
    cJSON_AddNullToObject(o, zKey);
}

/* Prints the JSON contract line for one result. */
static int printJson(const char *zPath, const struct cli_result *r)
{
  cJSON *o = cJSON_CreateObject();
  cJSON *m = cJSON_CreateObject();
  if(o == NULL || m == NULL) {
    cJSON_Delete(o);
    cJSON_Delete(m);
    return -1;
  }
  cJSON_AddStringToObject(o, "file", zPath);
  jsonStr(o, "sop_instance_uid", r->meta.zSopInstanceUid);
  jsonStr(o, "study_instance_uid", r->meta.zStudyUid);
  jsonStr(o, "series_instance_uid", r->meta.zSeriesUid);
  jsonStr(o, "modality", r->meta.zModality);
  jsonStr(o, "transfer_syntax", r->meta.zTransferSyntax);
  if(r->nRows) {
    cJSON_AddNumberToObject(o, "rows", r->nRows);
    cJSON_AddNumberToObject(o, "columns", r->nCols);
    cJSON_AddNumberToObject(o, "frames", r->nFrames);
  } else {
    cJSON_AddNullToObject(o, "rows");
    cJSON_AddNullToObject(o, "columns");
    cJSON_AddNullToObject(o, "frames");
  }
  cJSON_AddItemToObject(o, "metrics", m);
  for(int i = 0; i < cli_metric_count; i++) {
    const char *zName, *zUnit;
    double v;
    if(cli_result_metric(r, i, &zName, &zUnit, &v))
      cJSON_AddNumberToObject(m, zName, v);
  }
  jsonStr(o, "profile", r->pProfile ? r->pProfile->zName : "");
  cli_json_verdict(o, r);
  jsonStr(o, "error", r->zError);
  return cli_json_line(o);
}

static void printTableHead(void)
{
  printf("%-40s %-4s %-9s %6s %9s %9s %7s %6s %6s %-7s %7s %-8s %s\n", "file",
         "mod", "size", "frames", "noise", "sharpness", "brisque", "niqe",
         "piqe", "profile", "quality", "verdict", "reason");
}

/* Prints one table row (or the error in place of the measures). */
static void printRow(const char *zPath, const struct cli_result *r)
{
  size_t n = strlen(zPath);
  char zShort[48];
  if(n > 40)
    snprintf(zShort, sizeof(zShort), "...%s", zPath + n - 37);
  else
    snprintf(zShort, sizeof(zShort), "%s", zPath);
  if(r->zError) {
    printf("%-40s %-4s error (see stderr)\n", zShort,
           r->meta.zModality[0] ? r->meta.zModality : "-");
    return;
  }
  char zSize[24];
  snprintf(zSize, sizeof(zSize), "%dx%d", r->nCols, r->nRows);
  printf("%-40s %-4s %-9s %6d %9.3g %9.4g %7.2f %6.2f %6.2f %-7s %7.1f "
         "%-8s %s\n",
         zShort, r->meta.zModality[0] ? r->meta.zModality : "-", zSize,
         r->nFrames, r->noise, r->sharp, r->brisqueOpencv, r->niqe, r->piqe,
         r->pProfile ? r->pProfile->zName : "-", r->assess.quality,
         qc_verdict_name(r->assess.verdict),
         r->assess.nReason > 0 ? r->assess.azReason[0] : "");
}

/* Records one result in the database, one transaction; returns 0, or
 * prints the reason and returns -1. */
static int recordDb(store *pDb, const char *zPath, const struct cli_result *r)
{
  struct store_instance in;
  int64_t id = 0;
  cli_result_instance(r, zPath, &in);
  int rc = store_begin(pDb);
  if(rc == STORE_OK)
    rc = store_instance_put(pDb, &in, &id);
  if(rc == STORE_OK)
    rc = cli_result_record(pDb, id, r);
  if(rc == STORE_OK)
    rc = store_commit(pDb);
  if(rc != STORE_OK) {
    cli_errorf("%s: cannot record in the database: %s", zPath,
               store_errmsg(pDb));
    store_rollback(pDb);
    return -1;
  }
  return 0;
}

/* Parses the options; returns -1 to go on, or an exit code. */
static int parseArgs(int argc, char **argv, struct scoreCfg *cfg, int *piFirst)
{
  int i, k = 0;
  for(i = 1; i < argc; i++) {
    const char *zArg = NULL;
    int rc = cli_opt_next("score", aOpt, N_OPT, OPT_HELP, argc, argv, &i, &k,
                          &zArg);
    if(rc == CLI_OPT_END || rc == CLI_OPT_POSITIONAL)
      break;
    if(rc != CLI_OPT_FOUND)
      return rc;
    uint64_t n = 0;
    switch(k) {
    case OPT_JSON:
      cfg->json = 1;
      break;
    case OPT_DB:
      cfg->zDb = zArg;
      break;
    case OPT_METRICS: {
      char zErr[200];
      if(cli_measures_parse(zArg, &cfg->mask, zErr, sizeof(zErr)))
        return cli_usagef("score", "option --metrics: %s", zErr);
      break;
    }
    case OPT_MODELDIR:
      cfg->zModelDir = zArg;
      break;
    case OPT_PROFILEDIR:
      cfg->zProfileDir = zArg;
      break;
    case OPT_QUIET:
      cli_quiet = 1;
      break;
    case OPT_MAXDIM:
      if(cli_parse_uint(zArg, 65535, &n))
        return cli_usagef("score",
                          "option --max-dim: '%s' is not a "
                          "number from 1 to 65535",
                          zArg);
      cfg->limits.maxRows = cfg->limits.maxColumns = (uint32_t)n;
      break;
    case OPT_MAXMIB:
      if(cli_parse_uint(zArg, (uint64_t)1 << 24, &n))
        return cli_usagef("score",
                          "option --max-mib: '%s' is not a "
                          "number from 1 to 16777216",
                          zArg);
      cfg->limits.maxBytes = n << 20;
      break;
    case OPT_HELP:
      scoreUsage(stdout);
      return CLI_EXIT_OK;
    }
  }
  if(i >= argc)
    return cli_usagef("score", "no PATH given");
  *piFirst = i;
  return -1;
}

int cli_score_main(int argc, char **argv)
{
  struct scoreCfg cfg = {0};
  struct cli_paths list = {0};
  struct cli_result *r = NULL;
  struct cli_measures meas = {0};
  store *pDb = NULL;
  char zErr[700];
  int iFirst = 0, nBad = 0, exitCode;
  dicom_limits_default(&cfg.limits);
  cfg.mask = CLI_METRICS_ALL;
  cfg.zModelDir = DICOMQC_MODEL_DIR;
  exitCode = parseArgs(argc, argv, &cfg, &iFirst);
  if(exitCode >= 0)
    return exitCode;
  exitCode = CLI_EXIT_OK;
  if(cli_measures_open(cfg.zModelDir, cfg.zProfileDir, cfg.mask, &meas, zErr,
                       sizeof(zErr))) {
    cli_errorf("cannot load the models: %s (--model-dir DIR, or leave the "
               "model out with --metrics)",
               zErr);
    return CLI_EXIT_INPUT;
  }
  cfg.progress = !cli_quiet && isatty(STDERR_FILENO);
  if(cfg.zDb && store_open(cfg.zDb, &pDb) != STORE_OK) {
    cli_errorf("%s: cannot open the database: %s", cfg.zDb, store_errmsg(pDb));
    exitCode = CLI_EXIT_INPUT;
    goto score_main_end;
  }
  for(int i = iFirst; i < argc; i++)
    nBad += cli_paths_collect(&list, argv[i]);
  r = malloc(sizeof(*r));
  if(r == NULL) {
    cli_errorf("out of memory");
    exitCode = CLI_EXIT_INPUT;
    goto score_main_end;
  }
  if(!cfg.json)
    printTableHead();
  for(size_t i = 0; i < list.n; i++) {
    if(cfg.progress)
      fprintf(stderr, "\r[%zu/%zu] %.60s\033[K", i + 1, list.n, list.az[i]);
    cli_measure_file(list.az[i], &cfg.limits, &meas, r);
    if(cfg.progress)
      fputs("\r\033[K", stderr);
    if(r->zError) {
      cli_errorf("%s", r->zError);
      nBad++;
    }
    if(cfg.json ? printJson(list.az[i], r) : (printRow(list.az[i], r), 0)) {
      cli_errorf("out of memory formatting the result");
      nBad++;
    }
    fflush(stdout);
    if(pDb && recordDb(pDb, list.az[i], r))
      nBad++;
  }
  if(nBad)
    exitCode = CLI_EXIT_INPUT;
score_main_end:
  cli_paths_free(&list);
  free(r);
  store_close(pDb);
  cli_measures_close(&meas);
  return exitCode;
}
