/* SPDX-License-Identifier: BSD-3-Clause
 *
 * alerts.c - the node's alert dispatcher: delivers the outbox (store/'s
 * alerts table) to the technicians' channels.
 *
 * Channels: "log" (always: one log line per alert), "webhook" (--webhook
 * URL: an HTTP POST of the alert as JSON, optionally signed), "exec"
 * (--alert-exec PROGRAM: the JSON on stdin, key fields as DICOMQC_*
 * variables, argv only), and one per INI section [alert NAME], which
 * routes the alerts of some stations, modalities or kinds to its own
 * webhook or program.
 *
 * Each channel has its own thread and read connection, so that a slow or
 * dead receiver delays only itself, never reception, scoring or another
 * channel.  A thread wakes on a new alert (cli_alerts_wake()) or every
 * POLL_MS, asks the store what it still has to try now
 * (store_alerts_due()), tries each, and records the outcome through the
 * node's writer.  A failed try is retried after 1, 2, 4, ... seconds, at
 * most alert_retry_max, until alert_give_up after the alert; then the
 * channel gives up on it, which is logged and counted.  The thread that
 * finds every routing channel done settles the alert.  A delivery is
 * recorded after it happened: a crash in between repeats it once after
 * the restart (at least once); the X-Dicomqc-Alert header and "key" let
 * a receiver drop such a repeat.
 *
 * The JSON document (one object):
 *   key, alert_id, kind ("image"|"study"), verdict, quality (null for a
 *   study), reasons [..], study_instance_uid, series_instance_uid,
 *   sop_instance_uid, modality, body_part, station, operator, accession,
 *   institution, calling_aet, received_at, alerted_at, console_url, node
 */
#define _DEFAULT_SOURCE /* timegm() */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "deliver.h"

#define POLL_MS    250 /* Longest sleep of a channel thread */
#define BATCH      32  /* Alerts taken per pass */
#define ENV_MAX    16  /* DICOMQC_* variables of the exec hook */
#define SECRET_MAX 4096

const double cli_score_bucket_le[CLI_SCORE_BUCKETS] = {0.1, 0.25, 0.5, 1, 2.5,
                                                       5,   10,   30,  60};

void cli_stats_score(struct cli_stats *pStats, double seconds)
{
  int i = 0;
  while(i < CLI_SCORE_BUCKETS && seconds > cli_score_bucket_le[i])
    i++;
  atomic_fetch_add(&pStats->aScoreBucket[i], 1);
  atomic_fetch_add(&pStats->nScoreUsSum,
                   (long long)(seconds > 0 ? seconds * 1e6 : 0));
}

/* ---- configuration ------------------------------------------------- */

/* Copies z into a char array of n bytes; -1 when it does not fit. */
static int setText(char *zDst, size_t n, const char *z, char *zErr,
                   size_t nErr)
{
  if(strlen(z) >= n) {
    snprintf(zErr, nErr, "'%.40s...' is longer than %zu characters", z, n - 1);
    return -1;
  }
  memcpy(zDst, z, strlen(z) + 1);
  return 0;
}

int cli_channel_set(struct cli_serve_cfg *c, const char *zName,
                    const char *zKey, const char *zValue, char *zErr,
                    size_t nErr)
{
  struct cli_channel *ch = NULL;
  if(zName[0] == 0 || strlen(zName) >= sizeof(ch->zName) ||
     strspn(zName, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_-.") != strlen(zName) ||
     strcmp(zName, "log") == 0 || strcmp(zName, "webhook") == 0 ||
     strcmp(zName, "exec") == 0) {
    snprintf(zErr, nErr,
             "the route name must be 1 to 63 letters, digits, '_', '-' "
             "or '.', and not log, webhook or exec");
    return -1;
  }
  for(int i = 0; i < c->nChannel; i++)
    if(strcmp(c->aChannel[i].zName, zName) == 0)
      ch = &c->aChannel[i];
  if(ch == NULL) {
    if(c->nChannel == CLI_MAX_CHANNELS) {
      snprintf(zErr, nErr, "more than %d [alert] sections", CLI_MAX_CHANNELS);
      return -1;
    }
    ch = &c->aChannel[c->nChannel++];
    memset(ch, 0, sizeof(*ch));
    snprintf(ch->zName, sizeof(ch->zName), "%s", zName);
  }
  if(strcmp(zKey, "webhook") == 0)
    return setText(ch->zUrl, sizeof(ch->zUrl), zValue, zErr, nErr);
  if(strcmp(zKey, "secret_file") == 0)
    return setText(ch->zSecretFile, sizeof(ch->zSecretFile), zValue, zErr,
                   nErr);
  if(strcmp(zKey, "exec") == 0)
    return setText(ch->zExec, sizeof(ch->zExec), zValue, zErr, nErr);
  if(strcmp(zKey, "stations") == 0)
    return setText(ch->zStations, sizeof(ch->zStations), zValue, zErr, nErr);
  if(strcmp(zKey, "modalities") == 0)
    return setText(ch->zModalities, sizeof(ch->zModalities), zValue, zErr,
                   nErr);
  if(strcmp(zKey, "kinds") == 0) {
    for(const char *p = zValue; *p;) {
      size_t n = strcspn(p, ",");
      if(!(n == 5 && strncmp(p, "image", 5) == 0) &&
         !(n == 5 && strncmp(p, "study", 5) == 0)) {
        snprintf(zErr, nErr, "'%s' is not a list of image and study", zValue);
        return -1;
      }
      p += n + (p[n] == ',');
    }
    return setText(ch->zKinds, sizeof(ch->zKinds), zValue, zErr, nErr);
  }
  snprintf(zErr, nErr,
           "unknown key; an [alert NAME] section takes webhook, "
           "secret_file, exec, stations, modalities, kinds");
  return -1;
}

/* 1 if z (NULL counts as "") is one of the comma-separated zList, compared
 * without case and surrounding blanks; an empty list matches anything. */
static int listHas(const char *zList, const char *z)
{
  if(zList[0] == 0)
    return 1;
  if(z == NULL)
    z = "";
  while(*z == ' ')
    z++;
  size_t nz = strlen(z);
  while(nz > 0 && z[nz - 1] == ' ')
    nz--;
  for(const char *p = zList; *p;) {
    size_t n = strcspn(p, ",");
    const char *q = p;
    size_t m = n;
    while(m > 0 && *q == ' ') {
      q++;
      m--;
    }
    while(m > 0 && q[m - 1] == ' ')
      m--;
    if(m == nz && strncasecmp(q, z, m) == 0)
      return 1;
    p += n + (p[n] == ',');
  }
  return 0;
}

/* ---- channels ------------------------------------------------------ */

/* One running channel. */
struct chan {
  struct cli_alerts *pOwner; /* The dispatcher */
  struct cli_channel def;    /* Its definition (copied) */
  char *zSecret;             /* HMAC key read from the file, or NULL */
  store *pDb;                /* Its read connection */
  pthread_t thread;          /* Its thread */
  int hasThread;             /* 1 once started */
};

struct cli_alerts {
  struct cli_alerts_cfg cfg;               /* What the node gave */
  struct chan aChan[CLI_MAX_CHANNELS + 3]; /* log, webhook, exec, routes */
  int nChan;                               /* Channels in aChan */
  pthread_mutex_t mu;                      /* Guards stop and wake */
  pthread_cond_t cv;                       /* Signalled by both */
  int stopping;                            /* 1 once stopping */
  long nWake;                              /* Wake-ups so far */
};

/* Whether channel ch routes alert a. */
static int routes(const struct cli_channel *ch, const struct store_alert *a)
{
  return listHas(ch->zStations, a->zStation) &&
         listHas(ch->zModalities, a->zModality) &&
         listHas(ch->zKinds, a->zKind);
}

/* Reads the secret of zFile (trailing newline and blanks dropped) into
 * *pzOut.  Returns 0 or -1 with zErr set. */
static int readSecret(const char *zFile, char **pzOut, char *zErr, size_t nErr)
{
  FILE *f = fopen(zFile, "rb");
  if(f == NULL) {
    snprintf(zErr, nErr, "%s: cannot read the webhook secret: %s", zFile,
             strerror(errno));
    return -1;
  }
  char *z = malloc(SECRET_MAX + 1);
  size_t n = z ? fread(z, 1, SECRET_MAX + 1, f) : 0;
  fclose(f);
  if(z == NULL || n == 0 || n > SECRET_MAX) {
    snprintf(zErr, nErr, "%s: the webhook secret must be 1 to %d bytes", zFile,
             SECRET_MAX);
    free(z);
    return -1;
  }
  while(n > 0 && (z[n - 1] == '\n' || z[n - 1] == '\r' || z[n - 1] == ' '))
    n--;
  z[n] = 0;
  if(n == 0) {
    snprintf(zErr, nErr, "%s: the webhook secret is empty", zFile);
    free(z);
    return -1;
  }
  *pzOut = z;
  return 0;
}

/* Checks one channel's definition; returns 0 or -1 with zErr set. */
static int checkChannel(const struct cli_channel *ch, char *zErr, size_t nErr)
{
  if(strcmp(ch->zName, "log") == 0)
    return 0;
  if((ch->zUrl[0] != 0) == (ch->zExec[0] != 0)) {
    snprintf(zErr, nErr,
             "alert route '%s': give exactly one of webhook "
             "or exec",
             ch->zName);
    return -1;
  }
  if(ch->zUrl[0] && strncmp(ch->zUrl, "http://", 7) != 0 &&
     strncmp(ch->zUrl, "https://", 8) != 0) {
    snprintf(zErr, nErr,
             "alert route '%s': webhook '%s' is not an http:// "
             "or https:// URL",
             ch->zName, ch->zUrl);
    return -1;
  }
  if(ch->zExec[0] && access(ch->zExec, X_OK) != 0) {
    snprintf(zErr, nErr,
             "alert route '%s': program '%s' cannot be run: %s (give "
             "its full path)",
             ch->zName, ch->zExec, strerror(errno));
    return -1;
  }
  return 0;
}

/* ---- one alert ----------------------------------------------------- */

/* An alert taken from the store, ready to deliver. */
struct item {
  int64_t iId;              /* Alert id */
  char *zJson;              /* The document */
  char zKey[160];           /* Idempotency key */
  char zCreated[40];        /* When raised */
  char *azEnv[ENV_MAX + 1]; /* DICOMQC_* variables, NULL-terminated */
  char zSummary[700];       /* The log line's fields */
  char zLink[1200];         /* Console link of the alert */
  int isRouted;             /* Whether this channel routes it */
};

static void itemFree(struct item *it)
{
  free(it->zJson);
  for(int i = 0; it->azEnv[i]; i++)
    free(it->azEnv[i]);
  memset(it, 0, sizeof(*it));
}

/* Adds "NAME=value" to it->azEnv. */
static void addEnv(struct item *it, const char *zName, const char *zValue)
{
  int i = 0;
  while(i < ENV_MAX && it->azEnv[i])
    i++;
  if(i == ENV_MAX)
    return;
  size_t n = strlen(zName) + strlen(zValue ? zValue : "") + 2;
  char *z = malloc(n);
  if(z == NULL)
    return;
  snprintf(z, n, "%s=%s", zName, zValue ? zValue : "");
  it->azEnv[i] = z;
}

/* State of one store_alerts_due() pass. */
struct pass {
  struct chan *ch;          /* The channel */
  struct item aItem[BATCH]; /* Alerts taken */
  int nItem;                /* Used */
};

/* store_alerts_due() callback: the alert as a document. */
static int takeAlert(void *pCtx, const struct store_alert *a)
{
  struct pass *ps = pCtx;
  const struct cli_alerts_cfg *cfg = &ps->ch->pOwner->cfg;
  struct item *it = &ps->aItem[ps->nItem];
  char zQ[32] = "", zId[24], q1[200], q2[200], q3[400];
  memset(it, 0, sizeof(*it));
  it->iId = a->iId;
  it->isRouted = routes(&ps->ch->def, a);
  snprintf(it->zCreated, sizeof(it->zCreated), "%s", a->zCreatedAt);
  snprintf(it->zKey, sizeof(it->zKey), "%s/%lld/%s", cfg->pCfg->zAet,
           (long long)a->iId, a->zCreatedAt);
  snprintf(zId, sizeof(zId), "%lld", (long long)a->iId);
  if(cfg->zConsoleUrl && cfg->zConsoleUrl[0])
    snprintf(it->zLink, sizeof(it->zLink), "%s#alert-%lld", cfg->zConsoleUrl,
             (long long)a->iId);
  cJSON *o = cJSON_CreateObject();
  cJSON *aReason = cli_json_reasons(a->zReasonsJson);
  const cJSON *pFirst = cJSON_GetArrayItem(aReason, 0);
  char zFirst[400]; /* The first reason, kept past cJSON_Delete() */
  snprintf(zFirst, sizeof(zFirst), "%s",
           cJSON_IsString(pFirst) ? pFirst->valuestring : "");
  cJSON_AddStringToObject(o, "key", it->zKey);
  cJSON_AddNumberToObject(o, "alert_id", (double)a->iId);
  cli_json_text(o, "kind", a->zKind);
  cli_json_text(o, "verdict", a->zVerdict);
  if(a->hasQuality) {
    cJSON_AddNumberToObject(o, "quality", a->quality);
    snprintf(zQ, sizeof(zQ), "%.1f", a->quality);
  } else {
    cJSON_AddNullToObject(o, "quality");
  }
  cJSON_AddItemToObject(o, "reasons", aReason);
  cli_json_text(o, "study_instance_uid", a->zStudyUid);
  cli_json_text(o, "series_instance_uid", a->zSeriesUid);
  cli_json_text(o, "sop_instance_uid", a->zSopUid);
  cli_json_text(o, "modality", a->zModality);
  cli_json_text(o, "body_part", a->zBodyPart);
  cli_json_text(o, "station", a->zStation);
  cli_json_text(o, "operator", a->zOperator);
  cli_json_text(o, "accession", a->zAccession);
  cli_json_text(o, "institution", a->zInstitution);
  cli_json_text(o, "calling_aet", a->zCallingAet);
  cli_json_text(o, "received_at", a->zReceivedAt);
  cli_json_text(o, "alerted_at", a->zCreatedAt);
  cli_json_text(o, "console_url", it->zLink[0] ? it->zLink : NULL);
  cJSON_AddStringToObject(o, "node", cfg->pCfg->zAet);
  it->zJson = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if(it->zJson == NULL)
    return 1; /* Out of memory: stop this pass, retry on the next */
  addEnv(it, "DICOMQC_ALERT_ID", zId);
  addEnv(it, "DICOMQC_ALERT_KEY", it->zKey);
  addEnv(it, "DICOMQC_KIND", a->zKind);
  addEnv(it, "DICOMQC_VERDICT", a->zVerdict);
  addEnv(it, "DICOMQC_QUALITY", zQ);
  addEnv(it, "DICOMQC_REASON", zFirst);
  addEnv(it, "DICOMQC_STUDY_UID", a->zStudyUid);
  addEnv(it, "DICOMQC_SERIES_UID", a->zSeriesUid);
  addEnv(it, "DICOMQC_SOP_UID", a->zSopUid);
  addEnv(it, "DICOMQC_MODALITY", a->zModality);
  addEnv(it, "DICOMQC_STATION", a->zStation);
  addEnv(it, "DICOMQC_OPERATOR", a->zOperator);
  addEnv(it, "DICOMQC_ACCESSION", a->zAccession);
  addEnv(it, "DICOMQC_CONSOLE_URL", it->zLink);
  snprintf(it->zSummary, sizeof(it->zSummary),
           "id=%s kind=%s study=%s modality=%s station=%s quality=%s "
           "reason=%s",
           zId, a->zKind, a->zStudyUid ? a->zStudyUid : "",
           cli_logq(q1, sizeof(q1), a->zModality),
           cli_logq(q2, sizeof(q2), a->zStation), zQ[0] ? zQ : "none",
           cli_logq(q3, sizeof(q3), zFirst));
  ps->nItem++;
  return ps->nItem == BATCH;
}

/* Seconds since the epoch of an ISO-8601 UTC time, or NAN. */
static double isoSeconds(const char *z)
{
  struct tm tm;
  double sec = 0;
  memset(&tm, 0, sizeof(tm));
  if(sscanf(z, "%4d-%2d-%2dT%2d:%2d:%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
            &tm.tm_hour, &tm.tm_min, &sec) != 6)
    return NAN;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (double)timegm(&tm) + sec;
}

/* Delivers it on ch; returns 0, or -1 with zErr set. */
static int deliverOne(struct chan *ch, const struct item *it, char *zErr,
                      size_t nErr)
{
  const struct cli_serve_cfg *pCfg = ch->pOwner->cfg.pCfg;
  long nTimeoutMs = (long)pCfg->nAlertTimeout * 1000;
  if(strcmp(ch->def.zName, "log") == 0) {
    char q[1300];
    cli_log("warn", "event=alert_notice %s link=%s", it->zSummary,
            cli_logq(q, sizeof(q), it->zLink));
    return 0;
  }
  if(ch->def.zUrl[0]) {
    struct cli_webhook hook = {ch->def.zUrl, ch->zSecret, nTimeoutMs,
                               nTimeoutMs < 3000 ? nTimeoutMs : 3000};
    long nStatus = 0;
    return cli_webhook_post(&hook, it->zJson, strlen(it->zJson), it->zKey,
                            &nStatus, zErr, nErr);
  }
  const char *azArgv[2] = {ch->def.zExec, NULL};
  return cli_exec_hook(azArgv, (const char *const *)it->azEnv, it->zJson,
                       strlen(it->zJson), nTimeoutMs, zErr, nErr);
}

/* What the writer records for one try. */
struct record {
  int64_t iId;                 /* Alert */
  const char *zChannel;        /* Channel */
  const char *zError;          /* NULL: delivered */
  double retryAfter;           /* Seconds, < 0: give up */
  const struct cli_alerts *pA; /* For the settle check */
  int isSkip;                  /* Not routed: record a skip */
  int isSettled;               /* OUT: this record settled the alert */
};

/* Whether every channel that routes alert iId is done.  pAlert is the
 * alert as stored (routing needs its fields). */
struct settleCheck {
  const struct cli_alerts *pA; /* The dispatcher */
  store *pDb;                  /* The writer's connection */
  int isDone;                  /* OUT */
};

static int checkSettled(void *pCtx, const struct store_alert *a)
{
  struct settleCheck *sc = pCtx;
  sc->isDone = 1;
  for(int i = 0; i < sc->pA->nChan && sc->isDone; i++) {
    const struct cli_channel *def = &sc->pA->aChan[i].def;
    struct store_delivery d;
    if(!routes(def, a))
      continue;
    if(store_delivery_get(sc->pDb, a->iId, def->zName, &d) != STORE_OK ||
       d.state == STORE_DELIVERY_PENDING)
      sc->isDone = 0;
  }
  return 0;
}

/* store_writer_fn: records a try; settles the alert when it was the last
 * channel to finish. */
static int recordTry(store *pDb, void *pArg)
{
  struct record *r = pArg;
  int rc = r->isSkip ? store_delivery_skip(pDb, r->iId, r->zChannel)
                     : store_delivery_record(pDb, r->iId, r->zChannel,
                                             r->zError, r->retryAfter);
  if(rc != STORE_OK)
    return rc;
  struct settleCheck sc = {r->pA, pDb, 0};
  rc = store_alert_get(pDb, r->iId, checkSettled, &sc);
  if(rc == STORE_OK && sc.isDone) {
    rc = store_alert_settle(pDb, r->iId);
    r->isSettled = rc == STORE_OK;
  }
  return rc;
}

/* Tries every due alert of one pass on ch and records each outcome. */
static void runPass(struct chan *ch, struct pass *ps)
{
  struct cli_alerts *pA = ch->pOwner;
  const struct cli_serve_cfg *pCfg = pA->cfg.pCfg;
  char zErr[700], zWErr[600], q[800];
  for(int i = 0; i < ps->nItem; i++) {
    const struct item *it = &ps->aItem[i];
    struct store_delivery d = {0};
    struct record r = {it->iId, ch->def.zName, NULL, 0, pA, 0, 0};
    int64_t nTried = 0;
    struct timespec t0, t1;
    if(store_delivery_get(ch->pDb, it->iId, ch->def.zName, &d) == STORE_OK)
      nTried = d.nAttempts;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ok = !it->isRouted || deliverOne(ch, it, zErr, sizeof(zErr)) == 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms =
        (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    if(!it->isRouted) {
      /* Not this channel's: recorded as skipped, so that it is not
       * offered again and the alert can settle. */
      r.isSkip = 1;
    } else if(!ok) {
      double wait = ldexp(1.0, nTried < 20 ? (int)nTried : 20);
      if(wait > pCfg->nAlertRetryMax)
        wait = pCfg->nAlertRetryMax;
      struct timespec now;
      clock_gettime(CLOCK_REALTIME, &now);
      double age = (double)now.tv_sec - isoSeconds(it->zCreated);
      int giveUp = !(age + wait <= pCfg->nAlertGiveUp);
      r.zError = zErr;
      r.retryAfter = giveUp ? -1.0 : wait;
      atomic_fetch_add(&pA->cfg.pStats->nDeliveryFails, 1);
      if(giveUp)
        cli_log("error",
                "event=alert_given_up channel=%s id=%lld attempts=%lld "
                "reason=%s",
                ch->def.zName, (long long)it->iId, (long long)nTried + 1,
                cli_logq(q, sizeof(q), zErr));
      else
        cli_log("warn",
                "event=alert_delivery_failed channel=%s id=%lld "
                "attempt=%lld retry_in=%.0fs reason=%s",
                ch->def.zName, (long long)it->iId, (long long)nTried + 1, wait,
                cli_logq(q, sizeof(q), zErr));
    } else {
      atomic_fetch_add(&pA->cfg.pStats->nDelivered, 1);
      if(strcmp(ch->def.zName, "log") != 0)
        cli_log("info",
                "event=alert_delivered channel=%s id=%lld attempt=%lld "
                "ms=%.1f",
                ch->def.zName, (long long)it->iId, (long long)nTried + 1, ms);
    }
    if(store_writer_run(pA->cfg.pWriter, recordTry, &r, zWErr,
                        sizeof(zWErr)) != STORE_OK)
      cli_log("error",
              "event=alert_record_failed channel=%s id=%lld reason=%s "
              "note=\"tried again on the next pass\"",
              ch->def.zName, (long long)it->iId,
              cli_logq(q, sizeof(q), zWErr));
  }
}

/* Waits for a wake-up, the stop or POLL_MS; returns 1 to stop.  *pnSeen
 * is the wake count this thread has seen. */
static int waitWake(struct cli_alerts *pA, long *pnSeen)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += POLL_MS * 1000000L;
  if(ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&pA->mu);
  while(!pA->stopping && pA->nWake == *pnSeen &&
        pthread_cond_timedwait(&pA->cv, &pA->mu, &ts) == 0) {
  }
  *pnSeen = pA->nWake;
  int stop = pA->stopping;
  pthread_mutex_unlock(&pA->mu);
  return stop;
}

/* Whether the dispatcher is stopping (read under its mutex). */
static int isStopping(struct cli_alerts *pA)
{
  pthread_mutex_lock(&pA->mu);
  int stop = pA->stopping;
  pthread_mutex_unlock(&pA->mu);
  return stop;
}

static void *chanMain(void *pArg)
{
  struct chan *ch = pArg;
  struct cli_alerts *pA = ch->pOwner;
  struct pass *ps = calloc(1, sizeof(*ps));
  char q[700];
  long nSeen = -1;
  if(ps == NULL) {
    cli_log("error",
            "event=alert_channel_failed channel=%s "
            "reason=\"out of memory\"",
            ch->def.zName);
    return NULL;
  }
  ps->ch = ch;
  while(!waitWake(pA, &nSeen)) {
    do {
      ps->nItem = 0;
      if(store_alerts_due(ch->pDb, ch->def.zName, BATCH, takeAlert, ps) !=
         STORE_OK) {
        cli_log("error", "event=alert_read_failed channel=%s reason=%s",
                ch->def.zName, cli_logq(q, sizeof(q), store_errmsg(ch->pDb)));
      }
      runPass(ch, ps);
      for(int i = 0; i < ps->nItem; i++)
        itemFree(&ps->aItem[i]);
    } while(ps->nItem == BATCH && !isStopping(pA));
  }
  free(ps);
  return NULL;
}

/* ---- start and stop ------------------------------------------------ */

/* Adds a channel to pA; returns 0 or -1 with zErr set. */
static int addChannel(struct cli_alerts *pA, const struct cli_channel *def,
                      char *zErr, size_t nErr)
{
  struct chan *ch = &pA->aChan[pA->nChan];
  if(checkChannel(def, zErr, nErr))
    return -1;
  memset(ch, 0, sizeof(*ch));
  ch->pOwner = pA;
  ch->def = *def;
  if(def->zSecretFile[0] &&
     readSecret(def->zSecretFile, &ch->zSecret, zErr, nErr))
    return -1;
  if(store_open(pA->cfg.zDb, &ch->pDb) != STORE_OK) {
    snprintf(zErr, nErr, "%s: %s", pA->cfg.zDb, store_errmsg(ch->pDb));
    store_close(ch->pDb);
    free(ch->zSecret);
    return -1;
  }
  pA->nChan++;
  return 0;
}

int cli_alerts_start(const struct cli_alerts_cfg *pCfg, cli_alerts **ppAlerts,
                     char *zErr, size_t nErr)
{
  const struct cli_serve_cfg *c = pCfg->pCfg;
  struct cli_channel def;
  *ppAlerts = NULL;
  if(cli_deliver_global_init(zErr, nErr))
    return -1;
  struct cli_alerts *pA = calloc(1, sizeof(*pA));
  if(pA == NULL) {
    snprintf(zErr, nErr, "out of memory");
    return -1;
  }
  pA->cfg = *pCfg;
  pthread_mutex_init(&pA->mu, NULL);
  pthread_cond_init(&pA->cv, NULL);
  memset(&def, 0, sizeof(def));
  snprintf(def.zName, sizeof(def.zName), "log");
  int rc = addChannel(pA, &def, zErr, nErr);
  if(rc == 0 && c->zWebhook[0]) {
    memset(&def, 0, sizeof(def));
    snprintf(def.zName, sizeof(def.zName), "webhook");
    snprintf(def.zUrl, sizeof(def.zUrl), "%s", c->zWebhook);
    snprintf(def.zSecretFile, sizeof(def.zSecretFile), "%s",
             c->zWebhookSecretFile);
    rc = addChannel(pA, &def, zErr, nErr);
  }
  if(rc == 0 && c->zAlertExec[0]) {
    memset(&def, 0, sizeof(def));
    snprintf(def.zName, sizeof(def.zName), "exec");
    snprintf(def.zExec, sizeof(def.zExec), "%s", c->zAlertExec);
    rc = addChannel(pA, &def, zErr, nErr);
  }
  for(int i = 0; rc == 0 && i < c->nChannel; i++)
    rc = addChannel(pA, &c->aChannel[i], zErr, nErr);
  for(int i = 0; rc == 0 && i < pA->nChan; i++) {
    if(pthread_create(&pA->aChan[i].thread, NULL, chanMain, &pA->aChan[i]) !=
       0) {
      snprintf(zErr, nErr, "cannot start alert channel %s: %s",
               pA->aChan[i].def.zName, strerror(errno));
      rc = -1;
      break;
    }
    pA->aChan[i].hasThread = 1;
  }
  if(rc) {
    cli_alerts_stop(pA);
    return -1;
  }
  *ppAlerts = pA;
  return 0;
}

void cli_alerts_wake(cli_alerts *pA)
{
  if(pA == NULL)
    return;
  pthread_mutex_lock(&pA->mu);
  pA->nWake++;
  pthread_cond_broadcast(&pA->cv);
  pthread_mutex_unlock(&pA->mu);
}

void cli_alerts_stop(cli_alerts *pA)
{
  if(pA == NULL)
    return;
  pthread_mutex_lock(&pA->mu);
  pA->stopping = 1;
  pthread_cond_broadcast(&pA->cv);
  pthread_mutex_unlock(&pA->mu);
  for(int i = 0; i < pA->nChan; i++) {
    if(pA->aChan[i].hasThread)
      pthread_join(pA->aChan[i].thread, NULL);
    store_close(pA->aChan[i].pDb);
    free(pA->aChan[i].zSecret);
  }
  pthread_mutex_destroy(&pA->mu);
  pthread_cond_destroy(&pA->cv);
  free(pA);
  cli_deliver_global_cleanup();
}
