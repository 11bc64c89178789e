/* SPDX-License-Identifier: BSD-3-Clause
 *
 * serve.c - `dicomqc serve`: the node.  Wires the DICOM listener
 * (dicom/), the archive, the index and the work queue (store/) and the
 * measures (qc/, through measure.c):
 *
 *   association thread: C-STORE -> temp file -> header read -> archive
 *     (fsync, rename, fsync dir) -> index + queue row (group commit) ->
 *     success status.  Nothing is acknowledged before it is durable.
 *   worker threads (one per core by default): claim a queue row, decode,
 *     measure, record metrics + verdict + queue done in one transaction.
 *   study thread: once a second, studies idle for study_idle seconds get
 *     their verdict (worst of their images) and, for a retake, an alert
 *     row in the outbox.
 *   alert threads (alerts.c), one per channel: deliver the outbox (log,
 *     webhook, exec hook, routes) with retries; woken by each new alert.
 *   console thread (console.c, libmicrohttpd): the live page, /healthz,
 *     /metrics, acknowledgments.
 *   signal thread: SIGTERM/SIGINT stop the listener; transfers in flight
 *     finish, workers finish the image in hand, the queue keeps the rest
 *     for the next start.
 *
 * Workers run at nice 10 (Linux: per thread): on a busy machine the
 * association threads, which a modality waits on, get the processor
 * first; scoring catches up when the burst ends.
 *
 * State lives in struct node, passed to every thread; no globals.
 */
#define _GNU_SOURCE /* gettid() */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MAX_WORKERS  256
#define MAX_ALLOW    256
#define WORKER_NICE  10 /* Nice value of scoring threads, 0..19 */
#define RECORD_TRIES 3  /* Tries to record one score before giving up */
/* Scoring waits while images arrive (one stored in the last
 * RX_ACTIVE_MS), for at most DEFER_MAX_MS per busy spell (see
 * workerMain()), polling every DEFER_POLL_MS. */
#define RX_ACTIVE_MS  50
#define DEFER_MAX_MS  2000
#define DEFER_POLL_MS 10

/* The running node. */
struct node {
  struct cli_serve_cfg cfg;       /* Settings */
  char zArchive[1100];            /* Archive folder in use */
  char zDb[1100];                 /* Database file in use */
  struct dicom_limits limits;     /* Decoding limits for the workers */
  struct cli_measures meas;       /* Metrics and models of the workers */
  store_archive *pArchive;        /* Archive, shared by association threads */
  store_writer *pWriter;          /* The one writer: receptions, scores */
  store *pDb;                     /* Connection of the study thread */
  dicom_scp *pScp;                /* The listener */
  char *azAllow[MAX_ALLOW];       /* Allowlist entries (own copies) */
  int nAllow;                     /* Entries in azAllow */
  pthread_t aWorker[MAX_WORKERS]; /* Scoring threads */
  int nWorker;                    /* Started scoring threads */
  pthread_t studyThread;          /* Study verdict thread */
  int hasStudyThread;             /* 1 once started */
  cli_alerts *pAlerts;            /* Alert delivery threads */
  cli_console *pConsole;          /* The console, or NULL when off */
  char zConsoleUrl[1100];         /* Console link base for alerts */
  pthread_mutex_t mu;             /* Guards stopping and the wake-up */
  pthread_cond_t cv;              /* Signalled on new work and on stop */
  int stopping;                   /* 1 once the node shuts down */
  struct cli_stats stats;         /* Counters (/metrics) */
  atomic_llong lastStoreMs;       /* monoMs() of the latest stored image */
};

/* Milliseconds on the monotonic clock. */
static int64_t monoMs(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- association side --------------------------------------------- */

/* Reads the header of a received file; returns 0, or a DIMSE failure
 * status after logging why (the temp file is then removed). */
static uint16_t readHeader(const struct dicom_scp_instance *pInst,
                           struct qc_meta *m)
{
  char q1[300], q2[300], q3[700];
  dicom_file *f = NULL;
  int rc = dicom_open(pInst->zTempPath, NULL, &f);
  uint16_t status = 0;
  if(rc == DICOM_OK)
    rc = dicom_meta_read(f, m);
  if(rc != DICOM_OK) {
    cli_log("warn",
            "event=store_failed status=0xC000 calling_aet=%s "
            "sop=%s reason=%s",
            cli_logq(q1, sizeof(q1), pInst->zCallingAet),
            cli_logq(q2, sizeof(q2), pInst->zSopInstanceUid),
            cli_logq(q3, sizeof(q3), dicom_errmsg(f)));
    status = 0xC000;
  } else if(strcmp(m->zSopInstanceUid, pInst->zSopInstanceUid) != 0 ||
            strcmp(m->zSopClassUid, pInst->zSopClassUid) != 0) {
    /* PS3.4 B.2.3: the dataset must be the instance the request names. */
    cli_log("warn",
            "event=store_failed status=0xA900 calling_aet=%s "
            "sop=%s reason=\"dataset SOP class/instance UID differs from "
            "the request\"",
            cli_logq(q1, sizeof(q1), pInst->zCallingAet),
            cli_logq(q2, sizeof(q2), pInst->zSopInstanceUid));
    status = 0xA900;
  }
  dicom_close(f);
  if(status)
    unlink(pInst->zTempPath);
  return status;
}

/* Free space of the file system holding zPath, MiB, or -1 (errno). */
static double freeMib(const char *zPath)
{
  struct statvfs sv;
  if(statvfs(zPath, &sv) != 0)
    return -1;
  return (double)sv.f_bavail * (double)sv.f_frsize / (1024.0 * 1024.0);
}

/* The low-space watermark (min_free_mib): 0 when both the archive's and
 * the database's file systems have at least that much free, with the
 * received file already in archive/.tmp (placing it takes no more
 * space), else 0xA700 after logging why (the temp file is then
 * removed).  The database folder is zDb's, or "." for a bare name. */
static uint16_t checkSpace(struct node *n,
                           const struct dicom_scp_instance *pInst)
{
  char zDbDir[1100], q1[300], q2[300];
  if(n->cfg.nMinFreeMib == 0)
    return 0;
  snprintf(zDbDir, sizeof(zDbDir), "%s", n->zDb);
  char *pSlash = strrchr(zDbDir, '/');
  if(pSlash)
    *pSlash = 0;
  else
    snprintf(zDbDir, sizeof(zDbDir), ".");
  const char *azDir[2] = {n->zArchive, zDbDir};
  for(int i = 0; i < 2; i++) {
    double mib = freeMib(azDir[i]);
    if(mib >= (double)n->cfg.nMinFreeMib)
      continue;
    char zWhy[1300], q3[1400];
    snprintf(zWhy, sizeof(zWhy),
             "low disk space: %.1f MiB free on the file system of %s, "
             "min_free_mib %u",
             mib, azDir[i], n->cfg.nMinFreeMib);
    cli_log("error",
            "event=store_failed status=0xA700 calling_aet=%s sop=%s "
            "reason=%s",
            cli_logq(q1, sizeof(q1), pInst->zCallingAet),
            cli_logq(q2, sizeof(q2), pInst->zSopInstanceUid),
            cli_logq(q3, sizeof(q3), zWhy));
    unlink(pInst->zTempPath);
    return 0xA700;
  }
  return 0;
}

/* xStore of the listener: archive, index, enqueue; then the status. */
static uint16_t onStore(void *pCtx, const struct dicom_scp_instance *pInst)
{
  struct node *n = pCtx;
  struct qc_meta m;
  struct store_instance in;
  char zFinal[1400], zErr[600], q1[300], q2[300];
  int outcome = 0;
  int64_t id = 0;
  atomic_fetch_add(&n->stats.nReceived, 1);
  uint16_t status = checkSpace(n, pInst);
  if(status)
    return status;
  status = readHeader(pInst, &m);
  if(status)
    return status;
  /* Placed, its name made durable by the writer's one fsync of the
   * series folder for all images of the same transaction. */
  int rc = store_archive_place(n->pArchive, pInst->zTempPath, m.zStudyUid,
                               m.zSeriesUid, m.zSopInstanceUid, zFinal,
                               sizeof(zFinal), &outcome);
  if(rc != STORE_OK) {
    status = rc == STORE_ERR_INVALID ? 0xC000 : 0xA700;
    cli_log("error",
            "event=store_failed status=0x%04X calling_aet=%s "
            "sop=%s reason=%s",
            status, cli_logq(q1, sizeof(q1), pInst->zCallingAet),
            cli_logq(q2, sizeof(q2), m.zSopInstanceUid),
            cli_logq(zErr, sizeof(zErr), zFinal));
    return status;
  }
  cli_meta_instance(&m, zFinal, &in);
  in.zTransferSyntax = pInst->zTransferSyntax;
  in.zCallingAet = pInst->zCallingAet;
  in.nFileSize = (int64_t)pInst->nBytes;
  rc = store_writer_receive_placed(n->pWriter, &in, &id, zErr, sizeof(zErr));
  if(rc != STORE_OK) {
    /* Not indexed, so not acknowledged: a new file leaves the archive. */
    if(outcome != STORE_ARCHIVE_SAME)
      unlink(zFinal);
    cli_log("error",
            "event=store_failed status=0xA700 calling_aet=%s "
            "sop=%s reason=%s",
            cli_logq(q1, sizeof(q1), pInst->zCallingAet),
            cli_logq(q2, sizeof(q2), m.zSopInstanceUid),
            cli_logq(zFinal, sizeof(zFinal), zErr));
    return 0xA700;
  }
  if(outcome == STORE_ARCHIVE_VERSION)
    cli_log("warn",
            "event=duplicate_sop_uid sop=%s kept=%s reason=\"same "
            "SOP Instance UID, different bytes: both versions kept\"",
            cli_logq(q2, sizeof(q2), m.zSopInstanceUid),
            cli_logq(zErr, sizeof(zErr), zFinal));
  cli_log("info",
          "event=store id=%lld calling_aet=%s modality=%s study=%s "
          "sop=%s bytes=%llu outcome=%s",
          (long long)id, cli_logq(q1, sizeof(q1), pInst->zCallingAet),
          cli_logq(zErr, sizeof(zErr), m.zModality), m.zStudyUid,
          m.zSopInstanceUid, (unsigned long long)pInst->nBytes,
          outcome == STORE_ARCHIVE_NEW    ? "new"
          : outcome == STORE_ARCHIVE_SAME ? "identical_copy"
                                          : "new_version");
  atomic_fetch_add(&n->stats.nStored, 1);
  atomic_store(&n->lastStoreMs, monoMs());
  pthread_mutex_lock(&n->mu);
  pthread_cond_broadcast(&n->cv);
  pthread_mutex_unlock(&n->mu);
  return 0x0000;
}

/* xLog of the listener. */
static void onScpLog(void *pCtx, const char *zLevel, const char *zLine)
{
  (void)pCtx;
  cli_log(zLevel, "%s", zLine);
}

/* ---- workers ------------------------------------------------------ */

/* Waits up to one second for new work or the stop; returns 1 to stop. */
static int waitForWork(struct node *n)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 1;
  pthread_mutex_lock(&n->mu);
  if(!n->stopping)
    pthread_cond_timedwait(&n->cv, &n->mu, &ts);
  int stop = n->stopping;
  pthread_mutex_unlock(&n->mu);
  return stop;
}

/* Waits until one second has passed (new work does not shorten it) or
 * the node stops; returns 1 to stop. */
static int waitOneSecond(struct node *n)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 1;
  pthread_mutex_lock(&n->mu);
  while(!n->stopping &&
        pthread_cond_timedwait(&n->cv, &n->mu, &ts) != ETIMEDOUT) {
  }
  int stop = n->stopping;
  pthread_mutex_unlock(&n->mu);
  return stop;
}

static int isStopping(struct node *n)
{
  pthread_mutex_lock(&n->mu);
  int stop = n->stopping;
  pthread_mutex_unlock(&n->mu);
  return stop;
}

/* One worker's exchange with the writer: record the image it scored (if
 * any) and claim the next (if asked), in one savepoint of the writer's
 * transaction.  Runs on the writer thread (recordAndClaim). */
struct work {
  const char *zWorker;  /* Name for queue.claimed_by */
  int64_t iScored;      /* Instance scored, 0 = none to record */
  struct cli_result *r; /* Its result */
  int isNewAlert;       /* OUT: recording it raised an image alert */
  int wantNext;         /* Claim the next pending image */
  int64_t iNext;        /* OUT: instance claimed, 0 = none pending */
  char zNext[1400];     /* OUT: its archive path */
};

/* store_writer_fn: the recording, as one unit with its queue row (a
 * crash before the commit leaves the row claimed; store_queue_reset()
 * queues it again and the rerun replaces the rows), then the claim. */
static int recordAndClaim(store *pDb, void *pArg)
{
  struct work *w = pArg;
  int rc = STORE_OK;
  w->isNewAlert = 0;
  w->iNext = 0;
  if(w->iScored) {
    rc = cli_result_record(pDb, w->iScored, w->r);
    if(rc == STORE_OK)
      rc = store_alert_image(pDb, w->iScored, &w->isNewAlert);
    if(rc == STORE_OK)
      rc = store_queue_done(pDb, w->iScored, w->r->zError);
  }
  if(rc == STORE_OK && w->wantNext) {
    rc = store_queue_claim(pDb, w->zWorker, &w->iNext, w->zNext,
                           sizeof(w->zNext));
    if(rc == STORE_NOTFOUND) {
      w->iNext = 0;
      rc = STORE_OK;
    }
  }
  return rc;
}

/* Logs the score of w->iScored, recorded; ms is its measuring time. */
static void logScore(struct node *n, const struct work *w, double ms)
{
  char q[700];
  const struct cli_result *r = w->r;
  if(r->zError)
    cli_log("warn", "event=score id=%lld verdict=error ms=%.1f reason=%s",
            (long long)w->iScored, ms, cli_logq(q, sizeof(q), r->zError));
  else
    cli_log(
        r->assess.verdict >= QC_VERDICT_WARN ? "warn" : "info",
        "event=score id=%lld profile=%s verdict=%s quality=%.1f "
        "ms=%.1f reason=%s noise_sigma=%.4g sharpness=%.4g "
        "brisque_opencv=%.4g niqe=%.4g piqe=%.4g",
        (long long)w->iScored, r->pProfile ? r->pProfile->zName : "none",
        qc_verdict_name(r->assess.verdict), r->assess.quality, ms,
        cli_logq(q, sizeof(q), r->assess.nReason ? r->assess.azReason[0] : ""),
        r->noise, r->sharp, r->brisqueOpencv, r->niqe, r->piqe);
  if(w->isNewAlert) {
    cli_alerts_wake(n->pAlerts);
    cli_log("warn",
            "event=alert kind=image id=%lld verdict=retake "
            "reason=%s",
            (long long)w->iScored,
            cli_logq(q, sizeof(q),
                     r->assess.nReason ? r->assess.azReason[0] : ""));
  }
  cli_stats_score(&n->stats, ms / 1e3);
  atomic_fetch_add(&n->stats.nScored, 1);
}

/* Milliseconds from t0 to t1. */
static double msBetween(const struct timespec *t0, const struct timespec *t1)
{
  return (t1->tv_sec - t0->tv_sec) * 1e3 + (t1->tv_nsec - t0->tv_nsec) / 1e6;
}

/* Whether a worker should hold off claiming: images are arriving, and
 * it has not yet waited DEFER_MAX_MS in this busy spell (*pSince: when
 * its wait began, 0 outside a spell).  On two cores, scoring during a
 * burst takes a fifth of the reception rate; a burst up to two seconds
 * long is received at full speed and scored right after it, and a longer
 * one is scored while it goes on, at most DEFER_MAX_MS behind. */
static int mustDefer(struct node *n, int64_t *pSince)
{
  int64_t now = monoMs();
  if(now - atomic_load(&n->lastStoreMs) >= RX_ACTIVE_MS) {
    *pSince = 0;
    return 0;
  }
  if(*pSince == 0)
    *pSince = now;
  return now - *pSince < DEFER_MAX_MS;
}

/* A scoring thread: claim, score, record, until the node stops.  It
 * writes only through the writer (store_writer_run()): one request per
 * image records the last score and claims the next.  While images
 * arrive it waits (mustDefer()), so that reception gets the processor. */
static void *workerMain(void *pArg)
{
  struct node *n = pArg;
  char zName[32], zErr[600], q[700];
  struct work *w = calloc(1, sizeof(*w));
  struct cli_result *r = malloc(sizeof(*r));
  double ms = 0;
  int64_t deferSince = 0; /* monoMs() when this busy spell's wait began */
  int nFail = 0;          /* Failed tries to record w->iScored */
  snprintf(zName, sizeof(zName), "worker-%d", (int)gettid());
  /* Reception first: this thread only (Linux nice is per thread). */
  if(setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICE) != 0)
    cli_log("warn", "event=worker_priority reason=%s",
            cli_logq(q, sizeof(q), strerror(errno)));
  if(w == NULL || r == NULL) {
    cli_log("error", "event=worker_failed reason=\"out of memory\"");
    goto worker_end;
  }
  w->zWorker = zName;
  w->r = r;
  for(;;) {
    int stop = isStopping(n);
    int defer = !stop && mustDefer(n, &deferSince);
    w->wantNext = !stop && !defer;
    if(!w->iScored && stop)
      break;
    if(!w->iScored && defer) {
      const struct timespec tick = {0, DEFER_POLL_MS * 1000000L};
      nanosleep(&tick, NULL);
      continue;
    }
    int rc =
        store_writer_run(n->pWriter, recordAndClaim, w, zErr, sizeof(zErr));
    if(rc != STORE_OK) {
      /* Nothing of it was written.  A full disk may pass: the record is
       * tried again a few times, a second apart; then the image stays
       * claimed and is scored again after a restart. */
      cli_log("error", "event=score_failed id=%lld attempt=%d reason=%s",
              (long long)w->iScored, nFail + 1, cli_logq(q, sizeof(q), zErr));
      if(++nFail >= RECORD_TRIES || !w->iScored) {
        if(w->iScored)
          cli_log("error",
                  "event=score_given_up id=%lld attempts=%d "
                  "reason=\"left claimed; scored again after a restart\"",
                  (long long)w->iScored, nFail);
        w->iScored = 0;
        nFail = 0;
      }
      if(waitOneSecond(n) && w->iScored)
        nFail = RECORD_TRIES - 1; /* Stopping: one last try */
      continue;
    }
    nFail = 0;
    if(w->iScored)
      logScore(n, w, ms);
    w->iScored = 0;
    if(w->iNext == 0) {
      if(w->wantNext)
        waitForWork(n);
      continue;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cli_measure_file(w->zNext, &n->limits, &n->meas, r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = msBetween(&t0, &t1);
    w->iScored = w->iNext;
  }
worker_end:
  free(r);
  free(w);
  return NULL;
}

/* ---- studies ------------------------------------------------------ */

static int onStudyClosed(void *pCtx, const struct store_study *s)
{
  struct node *n = pCtx;
  char q[2000];
  cli_log(strcmp(s->zVerdict, "retake") == 0 ? "warn" : "info",
          "event=study_verdict study=%s modality=%s instances=%lld "
          "verdict=%s reasons=%s",
          s->zStudyInstanceUid, s->zModality ? s->zModality : "",
          (long long)s->nInstances, s->zVerdict,
          cli_logq(q, sizeof(q), s->zReasonsJson));
  if(strcmp(s->zVerdict, "retake") == 0) {
    cli_log("warn", "event=alert kind=study study=%s verdict=retake",
            s->zStudyInstanceUid);
    cli_alerts_wake(n->pAlerts);
  }
  return 0;
}

/* Closes idle studies once a second until the node stops. */
static void *studyMain(void *pArg)
{
  struct node *n = pArg;
  char q[600];
  while(!waitOneSecond(n)) {
    if(store_studies_close_idle(n->pDb, n->cfg.nStudyIdle, onStudyClosed, n) !=
       STORE_OK)
      cli_log("error", "event=study_failed reason=%s",
              cli_logq(q, sizeof(q), store_errmsg(n->pDb)));
  }
  return NULL;
}

/* ---- signals ------------------------------------------------------ */

/* Waits for SIGINT/SIGTERM (blocked in every thread) and stops the
 * listener; cancelled at shutdown. */
static void *signalMain(void *pArg)
{
  struct node *n = pArg;
  sigset_t set;
  int sig = 0;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if(sigwait(&set, &sig) == 0) {
    cli_log("info", "event=shutdown signal=%s",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    dicom_scp_stop(n->pScp);
  }
  return NULL;
}

/* ---- start-up and shutdown ---------------------------------------- */

static void serveUsage(FILE *out)
{
  fprintf(out, "Usage: dicomqc serve [--config FILE] [OPTIONS]\n"
               "Run the node: a DICOM storage SCP that archives every image "
               "durably,\nindexes it in SQLite and scores it in the "
               "background.\n\nOptions (each also a key of the [node] "
               "section of the --config INI file;\nflags win over the "
               "file):\n"
               "  --config FILE            read settings from FILE\n");
  cli_serve_cfg_help(out);
  fprintf(out,
          "  --help                   show this help and exit\n\n"
          "Stops on SIGTERM or SIGINT: no new associations, transfers "
          "in flight finish,\nunscored images stay queued for the "
          "next start.  Logs go to stderr as\nkey=value lines.\n\n%s",
          cli_exit_help);
}

/* --tls-verify words, by dicom_scp_config.tlsVerifyPeer. */
static const char *const azTlsVerify[3] = {"none", "optional", "require"};

/* The client certificate mode of the settings: 0 none, 1 optional,
 * 2 require; "" means require with a CA file, none without.  -1 for an
 * unknown word. */
static int tlsVerifyMode(const struct cli_serve_cfg *c)
{
  if(c->zTlsVerify[0] == 0)
    return c->zTlsCa[0] ? 2 : 0;
  for(int i = 0; i < 3; i++)
    if(strcmp(c->zTlsVerify, azTlsVerify[i]) == 0)
      return i;
  return -1;
}

/* Usage errors of the TLS settings (the files are read by the listener).
 * Returns -1 to go on, or the exit code after the message. */
static int checkTlsArgs(const struct cli_serve_cfg *c)
{
  const char *zP = c->zTlsProfile;
  if(!c->zTlsCert[0] &&
     (c->zTlsKey[0] || c->zTlsCa[0] || c->zTlsVerify[0] || c->zTlsProfile[0]))
    return cli_usagef("serve", "options --tls-key, --tls-ca, --tls-verify "
                               "and --tls-profile: need --tls-cert");
  if(c->zTlsCert[0] && !c->zTlsKey[0])
    return cli_usagef("serve", "option --tls-cert: needs --tls-key (the "
                               "certificate's private key, PEM)");
  if(tlsVerifyMode(c) < 0)
    return cli_usagef("serve",
                      "option --tls-verify: '%s' is not none, optional "
                      "or require",
                      c->zTlsVerify);
  if(tlsVerifyMode(c) > 0 && !c->zTlsCa[0])
    return cli_usagef("serve",
                      "option --tls-verify: %s needs --tls-ca "
                      "(the CA file to verify clients against)",
                      c->zTlsVerify);
  if(zP[0] && strcmp(zP, "bcp195") != 0 && strcmp(zP, "bcp195-nd") != 0 &&
     strcmp(zP, "bcp195-ex") != 0)
    return cli_usagef("serve",
                      "option --tls-profile: '%s' is not bcp195, "
                      "bcp195-nd or bcp195-ex",
                      zP);
  return -1;
}

/* Applies --config first, then every other flag.  Returns -1 to go on,
 * or an exit code. */
static int parseServeArgs(int argc, char **argv, struct cli_serve_cfg *c)
{
  for(int i = 1; i < argc; i++) {
    if(strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      serveUsage(stdout);
      return CLI_EXIT_OK;
    }
    if(strcmp(argv[i], "--config") == 0) {
      if(i + 1 >= argc)
        return cli_usagef("serve", "option --config: needs a value (FILE)");
      if(cli_serve_cfg_file(c, argv[i + 1]))
        return CLI_EXIT_USAGE;
    }
  }
  for(int i = 1; i < argc; i++) {
    const char *z = argv[i];
    if(strncmp(z, "--", 2) != 0)
      return cli_usagef("serve", "argument '%s': serve takes options only", z);
    if(strcmp(z, "--config") == 0) {
      i++;
      continue;
    }
    int rc = cli_serve_cfg_flag(c, z + 2, i + 1 < argc ? argv[i + 1] : NULL);
    if(rc)
      return rc;
    i++;
  }
  if(c->nMaxPdu < 4096)
    return cli_usagef("serve", "option --max-pdu: %u is below 4096",
                      c->nMaxPdu);
  return checkTlsArgs(c);
}

/* mkdir -p with mode 0700 for what it creates; returns 0 or -1 (errno). */
static int makeDirs(const char *zDir)
{
  char z[1024];
  snprintf(z, sizeof(z), "%s", zDir);
  for(char *p = z + 1; *p; p++) {
    if(*p != '/')
      continue;
    *p = 0;
    if(mkdir(z, 0700) != 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  if(mkdir(z, 0700) != 0 && errno != EEXIST)
    return -1;
  return 0;
}

/* Splits the allowlist "A,B@h,..." into n->azAllow; returns 0 or -1. */
static int splitAllow(struct node *n)
{
  const char *p = n->cfg.zAllow;
  while(*p) {
    size_t len = strcspn(p, ",");
    if(len > 0) {
      if(n->nAllow == MAX_ALLOW)
        return -1;
      n->azAllow[n->nAllow] = strndup(p, len);
      if(n->azAllow[n->nAllow] == NULL)
        return -1;
      n->nAllow++;
    }
    p += len;
    if(*p == ',')
      p++;
  }
  return 0;
}

/* Opens the data folder, archive, database and writer.  Returns 0 or -1
 * after naming the problem. */
static int openStorage(struct node *n)
{
  char zAt[64];
  if(n->cfg.zArchive[0])
    snprintf(n->zArchive, sizeof(n->zArchive), "%s", n->cfg.zArchive);
  else
    snprintf(n->zArchive, sizeof(n->zArchive), "%s/archive", n->cfg.zDataDir);
  if(n->cfg.zDb[0])
    snprintf(n->zDb, sizeof(n->zDb), "%s", n->cfg.zDb);
  else
    snprintf(n->zDb, sizeof(n->zDb), "%s/dicomqc.db", n->cfg.zDataDir);
  if(makeDirs(n->cfg.zDataDir) != 0) {
    cli_errorf("%s: cannot create the data folder: %s", n->cfg.zDataDir,
               strerror(errno));
    return -1;
  }
  if(store_archive_open(n->zArchive, &n->pArchive) != STORE_OK) {
    cli_errorf("%s", store_archive_errmsg(n->pArchive));
    return -1;
  }
  if(store_open(n->zDb, &n->pDb) != STORE_OK ||
     store_queue_reset(n->pDb) != STORE_OK) {
    cli_errorf("%s: %s", n->zDb, store_errmsg(n->pDb));
    return -1;
  }
  if(store_writer_open(n->zDb, &n->pWriter) != STORE_OK) {
    cli_errorf("%s: %s", n->zDb, store_writer_errmsg(n->pWriter));
    return -1;
  }
  cli_now_iso(zAt, sizeof(zAt));
  return 0;
}

/* Creates the listener (binds the port).  Returns 0 or -1. */
static int openListener(struct node *n)
{
  struct dicom_scp_config sc;
  char zErr[600];
  dicom_scp_config_default(&sc);
  sc.port = (uint16_t)n->cfg.nPort;
  sc.zAet = n->cfg.zAet;
  sc.nMaxAssoc = (int)n->cfg.nMaxAssoc;
  sc.acseTimeout = (int)n->cfg.nAcseTimeout;
  sc.dimseTimeout = (int)n->cfg.nDimseTimeout;
  sc.maxPdu = n->cfg.nMaxPdu;
  sc.azAllow = (const char *const *)n->azAllow;
  sc.nAllow = n->nAllow;
  sc.zTempDir = store_archive_tmpdir(n->pArchive);
  sc.pCtx = n;
  sc.xStore = onStore;
  sc.xLog = onScpLog;
  if(n->cfg.zTlsCert[0]) {
    sc.zTlsCert = n->cfg.zTlsCert;
    sc.zTlsKey = n->cfg.zTlsKey;
    sc.zTlsCaFile = n->cfg.zTlsCa[0] ? n->cfg.zTlsCa : NULL;
    sc.tlsVerifyPeer = tlsVerifyMode(&n->cfg);
    sc.zTlsProfile = n->cfg.zTlsProfile[0] ? n->cfg.zTlsProfile : NULL;
  }
  if(dicom_scp_new(&sc, &n->pScp, zErr, sizeof(zErr)) != DICOM_OK) {
    cli_errorf("cannot start the listener: %s", zErr);
    return -1;
  }
  return 0;
}

/* Loads the models of the metrics the workers run.  Returns 0 or -1. */
static int openMeasures(struct node *n)
{
  char zErr[700];
  uint64_t mask = 0;
  if(cli_measures_parse(n->cfg.zMetrics, &mask, zErr, sizeof(zErr)) ||
     cli_measures_open(n->cfg.zModelDir,
                       n->cfg.zProfileDir[0] ? n->cfg.zProfileDir : NULL, mask,
                       &n->meas, zErr, sizeof(zErr))) {
    cli_errorf("cannot load the models: %s (model_dir, or leave the model "
               "out with metrics)",
               zErr);
    return -1;
  }
  return 0;
}

/* Starts the console (unless --http off) and the alert channels.
 * Returns 0 or -1 after naming the problem. */
static int startAlertsAndConsole(struct node *n)
{
  char zErr[1200];
  if(strcmp(n->cfg.zHttp, "off") != 0) {
    struct cli_console_cfg cc = {n->cfg.zHttp, n->zDb,    n->pWriter,
                                 n->cfg.zAet,  &n->stats, &n->limits};
    if(cli_console_start(&cc, &n->pConsole, zErr, sizeof(zErr))) {
      cli_errorf("cannot start the console: %s", zErr);
      return -1;
    }
  }
  if(n->cfg.zConsoleUrl[0]) {
    snprintf(n->zConsoleUrl, sizeof(n->zConsoleUrl), "%s", n->cfg.zConsoleUrl);
  } else if(n->pConsole) {
    /* The address as given, with the port it got. */
    char zHost[300];
    snprintf(zHost, sizeof(zHost), "%s", n->cfg.zHttp);
    char *p = strrchr(zHost, ':');
    if(p)
      *p = 0;
    snprintf(n->zConsoleUrl, sizeof(n->zConsoleUrl), "http://%s:%u/",
             zHost[0] && strcmp(zHost, "0.0.0.0") != 0 ? zHost : "localhost",
             cli_console_port(n->pConsole));
  }
  struct cli_alerts_cfg ac = {&n->cfg, n->zDb, n->pWriter, n->zConsoleUrl,
                              &n->stats};
  if(cli_alerts_start(&ac, &n->pAlerts, zErr, sizeof(zErr))) {
    cli_errorf("cannot start alert delivery: %s", zErr);
    return -1;
  }
  return 0;
}

/* Starts the workers and the study thread.  Returns 0 or -1. */
static int startThreads(struct node *n)
{
  for(uint32_t i = 0; i < n->cfg.nWorkers && i < MAX_WORKERS; i++) {
    if(pthread_create(&n->aWorker[i], NULL, workerMain, n) != 0) {
      cli_errorf("cannot start scoring thread %u: %s", i + 1, strerror(errno));
      return -1;
    }
    n->nWorker++;
  }
  if(pthread_create(&n->studyThread, NULL, studyMain, n) != 0) {
    cli_errorf("cannot start the study thread: %s", strerror(errno));
    return -1;
  }
  n->hasStudyThread = 1;
  return 0;
}

/* Stops and joins the threads, closes everything.  Safe on a partly
 * started node. */
static void closeNode(struct node *n)
{
  pthread_mutex_lock(&n->mu);
  n->stopping = 1;
  pthread_cond_broadcast(&n->cv);
  pthread_mutex_unlock(&n->mu);
  for(int i = 0; i < n->nWorker; i++)
    pthread_join(n->aWorker[i], NULL);
  if(n->hasStudyThread)
    pthread_join(n->studyThread, NULL);
  /* Alerts of the last scores still go out (or wait for the restart);
   * both use the writer, so they stop before it. */
  cli_alerts_stop(n->pAlerts);
  cli_console_stop(n->pConsole);
  dicom_scp_free(n->pScp);
  store_writer_close(n->pWriter);
  store_close(n->pDb);
  store_archive_close(n->pArchive);
  cli_measures_close(&n->meas);
  for(int i = 0; i < n->nAllow; i++)
    free(n->azAllow[i]);
}

int cli_serve_main(int argc, char **argv)
{
  static struct node node; /* Large; one per process */
  struct node *n = &node;
  sigset_t set;
  pthread_t sigThread;
  int exitCode = CLI_EXIT_INPUT;
  cli_serve_cfg_default(&n->cfg);
  int rc = parseServeArgs(argc, argv, &n->cfg);
  if(rc >= 0)
    return rc;
  dicom_limits_default(&n->limits);
  pthread_mutex_init(&n->mu, NULL);
  pthread_cond_init(&n->cv, NULL);
  /* Every thread inherits this mask; only signalMain takes them. */
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if(splitAllow(n)) {
    cli_errorf("--allow: more than %d entries or out of memory", MAX_ALLOW);
    goto serve_end;
  }
  if(openMeasures(n) || openStorage(n) || openListener(n) ||
     startAlertsAndConsole(n) || startThreads(n))
    goto serve_end;
  if(pthread_create(&sigThread, NULL, signalMain, n) != 0) {
    cli_errorf("cannot start the signal thread: %s", strerror(errno));
    goto serve_end;
  }
  char zProf[200] = ""; /* The profiles loaded, comma-separated */
  size_t k = 0;
  for(int i = 0; i < n->meas.profiles.n; i++) {
    int m = snprintf(zProf + k, sizeof(zProf) - k, "%s%s", i ? "," : "",
                     n->meas.profiles.a[i].zName);
    if(m < 0 || (size_t)m >= sizeof(zProf) - k)
      break;
    k += (size_t)m;
  }
  char zChan[400] = "log"; /* The alert channels */
  k = 3;
  if(n->cfg.zWebhook[0])
    k += (size_t)snprintf(zChan + k, sizeof(zChan) - k, ",webhook");
  if(n->cfg.zAlertExec[0] && k < sizeof(zChan))
    k += (size_t)snprintf(zChan + k, sizeof(zChan) - k, ",exec");
  for(int i = 0; i < n->cfg.nChannel && k < sizeof(zChan); i++)
    k += (size_t)snprintf(zChan + k, sizeof(zChan) - k, ",%s",
                          n->cfg.aChannel[i].zName);
  char zTls[80] = "off"; /* "on tls_profile=P tls_verify=M" */
  if(n->cfg.zTlsCert[0])
    snprintf(zTls, sizeof(zTls), "on tls_profile=%.15s tls_verify=%s",
             n->cfg.zTlsProfile[0] ? n->cfg.zTlsProfile : "bcp195-nd",
             azTlsVerify[tlsVerifyMode(&n->cfg)]);
  cli_log("info",
          "event=listening port=%u aet=%s archive=%s db=%s "
          "workers=%d max_associations=%u study_idle=%u metrics=%s "
          "profiles=%s http_port=%u console=%s alert_channels=%s tls=%s",
          (unsigned)dicom_scp_port(n->pScp), n->cfg.zAet, n->zArchive, n->zDb,
          n->nWorker, n->cfg.nMaxAssoc, n->cfg.nStudyIdle, n->cfg.zMetrics,
          zProf, cli_console_port(n->pConsole),
          n->zConsoleUrl[0] ? n->zConsoleUrl : "off", zChan, zTls);
  rc = dicom_scp_run(n->pScp);
  pthread_cancel(sigThread);
  pthread_join(sigThread, NULL);
  if(rc != DICOM_OK) {
    cli_errorf("listener failed: %s", dicom_scp_errmsg(n->pScp));
    goto serve_end;
  }
  exitCode = CLI_EXIT_OK;
serve_end:
  closeNode(n);
  cli_log("info", "event=stopped received=%ld stored=%ld scored=%ld",
          atomic_load(&n->stats.nReceived), atomic_load(&n->stats.nStored),
          atomic_load(&n->stats.nScored));
  return exitCode;
}
