/* SPDX-License-Identifier: BSD-3-Clause
 *
 * studies.c - `dicomqc studies` and `dicomqc show`: what the node
 * received and how it scored, read from its database.
 *
 *   dicomqc studies [--data-dir DIR | --db FILE] [--since T] [--verdict V]
 *                   [--json]
 *   dicomqc show [--data-dir DIR | --db FILE] [--json] STUDY_UID
 *
 * show --json prints the study object with an "images" array: one object
 * per instance with its file, queue state, verdict and metrics.
 *
 * studies --json prints one object per study, newest first, with the keys
 * study_instance_uid, modality, instances, scored, verdict
 * (pass|warn|retake|pending|unscored), reasons, complete.  Neither command
 * writes: a missing database is an error, not an empty one created.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* Options of both commands. */
struct readCfg {
  const char *zCmd;     /* "studies" or "show" */
  const char *zDataDir; /* --data-dir, default ./dicomqc-data */
  const char *zDb;      /* --db, default DATA_DIR/dicomqc.db */
  const char *zSince;   /* --since */
  const char *zVerdict; /* --verdict */
  const char *zStudy;   /* show's STUDY_UID */
  int json;             /* --json */
};

static void studiesUsage(FILE *out)
{
  fprintf(out,
          "Usage: dicomqc studies [OPTIONS]\n"
          "List the studies the node received, newest first, with their "
          "verdicts.\n\nOptions:\n"
          "  --data-dir DIR   the node's data folder (./dicomqc-data)\n"
          "  --db FILE        the database (DATA_DIR/dicomqc.db)\n"
          "  --since T        only studies with an arrival at or after T "
          "(UTC, e.g.\n                   2026-11-27 or "
          "2026-11-27T08:00:00)\n"
          "  --verdict V      only studies whose verdict is V: pass, warn, "
          "retake,\n                   pending (not complete yet) or "
          "unscored\n"
          "  --json           one JSON object per study\n"
          "  --help           show this help and exit\n\n%s",
          cli_exit_help);
}

static void showUsage(FILE *out)
{
  fprintf(out,
          "Usage: dicomqc show [OPTIONS] STUDY_UID\n"
          "Show one study: its verdict and every instance with its "
          "measures.\n\nOptions:\n"
          "  --data-dir DIR   the node's data folder (./dicomqc-data)\n"
          "  --db FILE        the database (DATA_DIR/dicomqc.db)\n"
          "  --json           one JSON object\n"
          "  --help           show this help and exit\n\n%s",
          cli_exit_help);
}

/* True if z looks like the start of an ISO-8601 UTC time: YYYY-MM-DD,
 * optionally followed by T and more digits, colons and a dot. */
static int isTimePrefix(const char *z)
{
  static const char aShape[] = "dddd-dd-dd";
  for(int i = 0; aShape[i]; i++) {
    if(aShape[i] == 'd' ? (z[i] < '0' || z[i] > '9') : z[i] != aShape[i])
      return 0;
  }
  const char *p = z + 10;
  if(*p == 0)
    return 1;
  if(*p++ != 'T')
    return 0;
  for(; *p; p++)
    if(!((*p >= '0' && *p <= '9') || *p == ':' || *p == '.' || *p == 'Z'))
      return 0;
  return 1;
}

static int isVerdict(const char *z)
{
  static const char *const az[] = {"pass", "warn", "retake", "pending",
                                   "unscored"};
  for(size_t i = 0; i < sizeof(az) / sizeof(az[0]); i++)
    if(strcmp(z, az[i]) == 0)
      return 1;
  return 0;
}

/* Parses the options of either command.  Returns -1 to go on, or an exit
 * code. */
static int parseReadArgs(int argc, char **argv, struct readCfg *c)
{
  int isShow = strcmp(c->zCmd, "show") == 0;
  for(int i = 1; i < argc; i++) {
    const char *z = argv[i];
    const char **pz = NULL;
    if(strcmp(z, "--help") == 0 || strcmp(z, "-h") == 0) {
      isShow ? showUsage(stdout) : studiesUsage(stdout);
      return CLI_EXIT_OK;
    }
    if(strcmp(z, "--json") == 0) {
      c->json = 1;
      continue;
    }
    if(strcmp(z, "--data-dir") == 0)
      pz = &c->zDataDir;
    else if(strcmp(z, "--db") == 0)
      pz = &c->zDb;
    else if(!isShow && strcmp(z, "--since") == 0)
      pz = &c->zSince;
    else if(!isShow && strcmp(z, "--verdict") == 0)
      pz = &c->zVerdict;
    else if(z[0] == '-')
      return cli_usagef(c->zCmd, "option %s: is unknown", z);
    else if(isShow && c->zStudy == NULL) {
      c->zStudy = z;
      continue;
    } else
      return cli_usagef(c->zCmd, "argument '%s': unexpected", z);
    if(i + 1 >= argc)
      return cli_usagef(c->zCmd, "option %s: needs a value", z);
    *pz = argv[++i];
  }
  if(c->zSince && !isTimePrefix(c->zSince))
    return cli_usagef(c->zCmd,
                      "option --since: '%s' is not a UTC time "
                      "like 2026-11-27 or 2026-11-27T08:00:00",
                      c->zSince);
  if(c->zVerdict && !isVerdict(c->zVerdict))
    return cli_usagef(c->zCmd,
                      "option --verdict: '%s' is not pass, warn, "
                      "retake, pending or unscored",
                      c->zVerdict);
  if(isShow && c->zStudy == NULL)
    return cli_usagef(c->zCmd, "no STUDY_UID given");
  return -1;
}

store *cli_db_open_existing(const char *zPath)
{
  struct stat st;
  store *pDb = NULL;
  if(stat(zPath, &st) != 0) {
    cli_errorf("%s: no database: %s (start the node with 'dicomqc serve', "
               "or give --data-dir or --db)",
               zPath, strerror(errno));
    return NULL;
  }
  if(!S_ISREG(st.st_mode)) {
    cli_errorf("%s: not a database file (give --data-dir or --db)", zPath);
    return NULL;
  }
  if(store_open(zPath, &pDb) != STORE_OK) {
    cli_errorf("%s: %s", zPath, store_errmsg(pDb));
    store_close(pDb);
    return NULL;
  }
  return pDb;
}

/* Opens the existing database of c; returns NULL after naming the
 * problem. */
static store *openExisting(const struct readCfg *c)
{
  char zPath[1100];
  if(c->zDb)
    snprintf(zPath, sizeof(zPath), "%s", c->zDb);
  else
    snprintf(zPath, sizeof(zPath), "%s/dicomqc.db",
             c->zDataDir ? c->zDataDir : "./dicomqc-data");
  return cli_db_open_existing(zPath);
}

/* Adds a JSON array parsed from zJson (or an empty one) as zKey. */

/* The study object of the studies --json contract. */
static cJSON *studyJson(const struct store_study *s)
{
  cJSON *o = cJSON_CreateObject();
  if(o == NULL)
    return NULL;
  cJSON_AddStringToObject(o, "study_instance_uid", s->zStudyInstanceUid);
  cli_json_text(o, "modality", s->zModality);
  cJSON_AddNumberToObject(o, "instances", (double)s->nInstances);
  cJSON_AddNumberToObject(o, "scored", (double)s->nScored);
  cJSON_AddStringToObject(o, "verdict", s->zVerdict);
  cJSON_AddItemToObject(o, "reasons", cli_json_reasons(s->zReasonsJson));
  cJSON_AddBoolToObject(o, "complete", s->isComplete);
  return o;
}

/* State of one listing. */
struct listRun {
  const struct readCfg *c; /* Options */
  int nStudy;              /* Studies printed */
  int nBad;                /* Output failures */
};

static int onStudyRow(void *pCtx, const struct store_study *s)
{
  struct listRun *r = pCtx;
  if(r->c->json) {
    r->nBad += cli_json_line(studyJson(s)) ? 1 : 0;
  } else {
    if(r->nStudy == 0)
      printf("%-44s %-4s %9s %6s %-8s %-8s %s\n", "study", "mod", "instances",
             "scored", "verdict", "complete", "last received");
    printf("%-44s %-4s %9lld %6lld %-8s %-8s %s\n", s->zStudyInstanceUid,
           s->zModality ? s->zModality : "-", (long long)s->nInstances,
           (long long)s->nScored, s->zVerdict, s->isComplete ? "yes" : "no",
           s->zLastReceivedAt ? s->zLastReceivedAt : "-");
  }
  r->nStudy++;
  return 0;
}

int cli_studies_main(int argc, char **argv)
{
  struct readCfg c = {.zCmd = "studies"};
  int rc = parseReadArgs(argc, argv, &c);
  if(rc >= 0)
    return rc;
  store *pDb = openExisting(&c);
  if(pDb == NULL)
    return CLI_EXIT_INPUT;
  struct listRun r = {&c, 0, 0};
  rc = store_studies_list(pDb, c.zSince, c.zVerdict, onStudyRow, &r);
  if(rc != STORE_OK)
    cli_errorf("cannot list the studies: %s", store_errmsg(pDb));
  else if(!c.json && r.nStudy == 0)
    printf("no studies\n");
  store_close(pDb);
  return rc != STORE_OK || r.nBad ? CLI_EXIT_INPUT : CLI_EXIT_OK;
}

/* ---- show --------------------------------------------------------- */

/* State of one `show`. */
struct showRun {
  store *pDb;      /* Database */
  int json;        /* --json */
  cJSON *pStudy;   /* The study object (JSON mode) */
  cJSON *pInst;    /* Its "instances" array (JSON mode) */
  cJSON *pMetrics; /* Metrics object being filled (JSON mode) */
  int nInstance;   /* Instances seen */
};

static int onStudyShow(void *pCtx, const struct store_study *s)
{
  struct showRun *r = pCtx;
  if(r->json) {
    r->pStudy = studyJson(s);
    r->pInst = cJSON_AddArrayToObject(r->pStudy, "images");
    return 0;
  }
  printf("study     %s\nmodality  %s\nverdict   %s%s\nreasons   %s\n"
         "instances %lld received, %lld scored\nreceived  %s .. %s\n",
         s->zStudyInstanceUid, s->zModality ? s->zModality : "-", s->zVerdict,
         s->isComplete ? "" : " (not complete)",
         s->zReasonsJson ? s->zReasonsJson : "[]", (long long)s->nInstances,
         (long long)s->nScored,
         s->zFirstReceivedAt ? s->zFirstReceivedAt : "-",
         s->zLastReceivedAt ? s->zLastReceivedAt : "-");
  return 0;
}

static int onMetric(void *pCtx, const char *zName, double value,
                    const char *zUnit, int iFrame)
{
  struct showRun *r = pCtx;
  (void)iFrame;
  if(r->json)
    cJSON_AddNumberToObject(r->pMetrics, zName, value);
  else
    printf("    %-26s %12.6g %s\n", zName, value, zUnit ? zUnit : "");
  return 0;
}

static int onInstanceShow(void *pCtx, const struct store_instance_row *p)
{
  struct showRun *r = pCtx;
  r->nInstance++;
  if(r->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(r->pInst, o);
    cJSON_AddStringToObject(o, "sop_instance_uid", p->zSopInstanceUid);
    cli_json_text(o, "series_instance_uid", p->zSeriesInstanceUid);
    cli_json_text(o, "modality", p->zModality);
    cli_json_text(o, "file", p->zFilePath);
    cJSON_AddNumberToObject(o, "bytes", (double)p->nFileSize);
    cli_json_text(o, "received_at", p->zReceivedAt);
    cli_json_text(o, "queue", p->zQueueState);
    cli_json_text(o, "verdict", p->zVerdict);
    if(p->hasQuality)
      cJSON_AddNumberToObject(o, "quality", p->quality);
    else
      cJSON_AddNullToObject(o, "quality");
    cJSON_AddItemToObject(o, "reasons", cli_json_reasons(p->zReasonsJson));
    cli_json_text(o, "error", p->zError);
    r->pMetrics = cJSON_AddObjectToObject(o, "metrics");
  } else {
    printf("\ninstance  %s\n  series  %s\n  file    %s (%lld bytes)\n"
           "  received %s, queue %s, verdict %s\n",
           p->zSopInstanceUid,
           p->zSeriesInstanceUid ? p->zSeriesInstanceUid : "-",
           p->zFilePath ? p->zFilePath : "-", (long long)p->nFileSize,
           p->zReceivedAt ? p->zReceivedAt : "-",
           p->zQueueState ? p->zQueueState : "-",
           p->zVerdict ? p->zVerdict : "-");
    if(p->hasQuality)
      printf("  quality %.1f\n", p->quality);
    if(p->zReasonsJson && strcmp(p->zReasonsJson, "[]") != 0)
      printf("  reasons %s\n", p->zReasonsJson);
    if(p->zError)
      printf("  error   %s\n", p->zError);
  }
  return store_metrics_each(r->pDb, p->iId, onMetric, r) == STORE_OK ? 0 : 1;
}

int cli_show_main(int argc, char **argv)
{
  struct readCfg c = {.zCmd = "show"};
  int rc = parseReadArgs(argc, argv, &c);
  if(rc >= 0)
    return rc;
  struct showRun r = {.json = c.json};
  r.pDb = openExisting(&c);
  if(r.pDb == NULL)
    return CLI_EXIT_INPUT;
  int exitCode = CLI_EXIT_INPUT;
  rc = store_study_get(r.pDb, c.zStudy, onStudyShow, &r);
  if(rc == STORE_NOTFOUND) {
    cli_errorf("study %s: not in %s", c.zStudy,
               c.zDb ? c.zDb : "the database");
    goto show_end;
  }
  if(rc == STORE_OK)
    rc = store_study_instances(r.pDb, c.zStudy, onInstanceShow, &r);
  if(rc != STORE_OK) {
    cli_errorf("study %s: %s", c.zStudy, store_errmsg(r.pDb));
    goto show_end;
  }
  if(r.json && cli_json_line(r.pStudy)) {
    r.pStudy = NULL;
    cli_errorf("out of memory formatting the study");
    goto show_end;
  }
  r.pStudy = NULL;
  exitCode = CLI_EXIT_OK;
show_end:
  cJSON_Delete(r.pStudy);
  store_close(r.pDb);
  return exitCode;
}
