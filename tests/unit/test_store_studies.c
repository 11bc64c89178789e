/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_store_studies.c - unit tests of store/studies.c: study-level
 * verdicts, study alerts and the queries behind `dicomqc studies` and
 * `dicomqc show`.
 *
 * The focus is issue 3 item 4 and the read side of item 6: a study
 * closes only when it has been idle for the idle time (a fixed clock, no
 * sleeping) and none of its images is still queued; its verdict is the
 * worst of its images in the order retake > warn > pass > unscored, with
 * an image in error counting as unscored; its reasons are the union of
 * its images' reasons in order of first appearance; a retake study gets
 * one alert, ever; arriving images reopen it; lists come newest first
 * and filter by time and verdict.  Verdict cases are driven from a
 * table.  Each test gets a fresh ":memory:" database.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "test_util.h"

#include "test_store_util.h"

#define STUDY "1.2.826.0.1.3680043.8.498.40"
#define T0    "2026-11-27T14:00:00.000Z"
#define T0_30 "2026-11-27T14:00:30.000Z"
#define T0_60 "2026-11-27T14:01:00.000Z"

/* ---- helpers ---------------------------------------------------------- */

/* What a study callback saw: the last study, copied, and a count. */
struct seen {
  int n;               /* Calls */
  int nStop;           /* Return non-zero on this call (0: never) */
  char zUid[80];       /* Last study's UID */
  char zModality[16];  /* ... its modality, "(null)" for NULL */
  int64_t nInstances;  /* ... */
  int64_t nScored;     /* ... */
  char zVerdict[16];   /* ... */
  char zReasons[256];  /* ... */
  int isComplete;      /* ... */
  char zFirst[32];     /* ... */
  char zLast[32];      /* ... */
  char zCompleted[32]; /* ... "(null)" while open */
  char zOrder[512];    /* UIDs of every call, space-separated */
};

static int onStudy(void *pCtx, const struct store_study *pS)
{
  struct seen *p = pCtx;
  size_t n = strlen(p->zOrder);

  p->n++;
  snprintf(p->zUid, sizeof p->zUid, "%s", pS->zStudyInstanceUid);
  snprintf(p->zModality, sizeof p->zModality, "%s",
           pS->zModality ? pS->zModality : "(null)");
  p->nInstances = pS->nInstances;
  p->nScored = pS->nScored;
  snprintf(p->zVerdict, sizeof p->zVerdict, "%s", pS->zVerdict);
  snprintf(p->zReasons, sizeof p->zReasons, "%s", pS->zReasonsJson);
  p->isComplete = pS->isComplete;
  snprintf(p->zFirst, sizeof p->zFirst, "%s", pS->zFirstReceivedAt);
  snprintf(p->zLast, sizeof p->zLast, "%s", pS->zLastReceivedAt);
  snprintf(p->zCompleted, sizeof p->zCompleted, "%s",
           pS->zCompletedAt ? pS->zCompletedAt : "(null)");
  snprintf(p->zOrder + n, sizeof p->zOrder - n, "%s%s", n ? " " : "",
           pS->zStudyInstanceUid);
  return p->nStop != 0 && p->n >= p->nStop;
}

static void setClock(store *pStore, const char *zNow)
{
  assert_int_equal(store_clock_set(pStore, zNow), STORE_OK);
}

/* Receives instance zSop of zStudy; returns its id. */
static int64_t receive(store *pStore, const char *zStudy, const char *zSop)
{
  char zPath[256];
  struct store_instance in = tsu_instance(zStudy, zSop, zPath, sizeof zPath);
  int64_t iId = 0;

  if(storeReceiveOne(pStore, &in, &iId) != STORE_OK) {
    fail_msg("receive %s: %s", zSop, store_errmsg(pStore));
  }
  return iId;
}

/* Claims the next row and finishes it with zVerdict (NULL: no verdict,
 * as a worker that recorded only the queue's error would) and reasons. */
static void scoreNext(store *pStore, const char *zVerdict,
                      const char *zReasons, const char *zError)
{
  int64_t iId = 0;
  char zPath[256];

  assert_int_equal(store_queue_claim(pStore, "w", &iId, zPath, sizeof zPath),
                   STORE_OK);
  assert_int_equal(store_begin(pStore), STORE_OK);
  if(zVerdict != NULL) {
    assert_int_equal(
        store_verdict_put(pStore, iId, zVerdict, NULL, zReasons, zError),
        STORE_OK);
  }
  assert_int_equal(store_queue_done(pStore, iId, zError), STORE_OK);
  assert_int_equal(store_commit(pStore), STORE_OK);
}

/* Closes idle studies (60 s) at zNow; returns how many closed. */
static int closeAt(store *pStore, const char *zNow, struct seen *pSeen)
{
  setClock(pStore, zNow);
  memset(pSeen, 0, sizeof *pSeen);
  if(store_studies_close_idle(pStore, 60.0, onStudy, pSeen) != STORE_OK) {
    fail_msg("close_idle: %s", store_errmsg(pStore));
  }
  return pSeen->n;
}

static int64_t alertCount(store *pStore, const char *zKind)
{
  char zSql[128];

  snprintf(zSql, sizeof zSql, "SELECT count(*) FROM alerts WHERE kind = '%s'",
           zKind);
  return tsu_int(storeDb(pStore), zSql);
}

/* ---- fixtures --------------------------------------------------------- */

/* ---- closing ---------------------------------------------------------- */

static void test_store_studies_close_idle_worst_verdict_and_alert(void **state)
{
  store *pStore = *state;
  struct seen seen;

  receive(pStore, STUDY, "1.2.3.1");
  receive(pStore, STUDY, "1.2.3.2");
  receive(pStore, STUDY, "1.2.3.3");
  scoreNext(pStore, "pass", "[]", NULL);
  scoreNext(pStore, "warn", "[\"Noisy: SNR 18 dB, limit 20\"]", NULL);
  scoreNext(pStore, "retake",
            "[\"Blurred: sharpness 12, limit 40\","
            " \"Noisy: SNR 18 dB, limit 20\"]",
            NULL);
  /* 30 s idle: too early. */
  assert_int_equal(closeAt(pStore, T0_30, &seen), 0);
  /* 60 s: closes, once. */
  assert_int_equal(closeAt(pStore, T0_60, &seen), 1);
  assert_string_equal(seen.zUid, STUDY);
  assert_string_equal(seen.zModality, "DX");
  assert_int_equal(seen.nInstances, 3);
  assert_int_equal(seen.nScored, 3);
  assert_string_equal(seen.zVerdict, "retake");
  /* First appearance: Noisy (image 2) before Blurred (image 3). */
  assert_string_equal(seen.zReasons, "[\"Noisy: SNR 18 dB, limit 20\","
                                     "\"Blurred: sharpness 12, limit 40\"]");
  assert_int_equal(seen.isComplete, 1);
  assert_string_equal(seen.zFirst, T0);
  assert_string_equal(seen.zLast, T0);
  assert_string_equal(seen.zCompleted, T0_60);
  assert_int_equal(closeAt(pStore, "2026-11-28", &seen), 0);
  assert_int_equal(alertCount(pStore, "study"), 1);
  assert_int_equal(tsu_int(storeDb(pStore),
                           "SELECT count(*) FROM alerts WHERE verdict ="
                           " 'retake' AND study_instance_uid = '" STUDY
                           "' AND instance_id IS NULL AND reasons LIKE"
                           " '%Blurred%'"),
                   1);
}

/* Receives image zSop of series zSeries (modality zModality) in STUDY and
 * scores it at once with zVerdict, quality q and reasons zReasons. */
static void receiveScored(store *pStore, const char *zSeries,
                          const char *zModality, const char *zSop,
                          const char *zVerdict, double q, const char *zReasons)
{
  char zPath[256];
  struct store_instance in = tsu_instance(STUDY, zSop, zPath, sizeof zPath);
  int64_t iId = 0;

  in.zSeriesInstanceUid = zSeries;
  in.zModality = zModality;
  if(storeReceiveOne(pStore, &in, &iId) != STORE_OK) {
    fail_msg("receive %s: %s", zSop, store_errmsg(pStore));
  }
  assert_int_equal(store_queue_claim(pStore, "w", &iId, zPath, sizeof zPath),
                   STORE_OK);
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(
      store_verdict_put(pStore, iId, zVerdict, &q, zReasons, NULL), STORE_OK);
  assert_int_equal(store_queue_done(pStore, iId, NULL), STORE_OK);
  assert_int_equal(store_commit(pStore), STORE_OK);
}

/* An MR series of three or more images is judged by its median image by
 * quality; two slices out of five do not make it a retake, three do.
 * Other images, and an MR series of two, still count one by one. */
static void test_store_studies_close_idle_mr_series_by_median(void **state)
{
  store *pStore = *state;
  struct seen seen;
  static const char zBlur[] = "[\"Blurred: edge energy 0.01, limit 0.17\"]";
  static const char zNoise[] = "[\"Noisy: FBER 200, limit 469\"]";

  /* Series A (MR): qualities 90 85 80 pass, 30 20 retake: the median
   * (third lowest) is 80, pass.  A DX image warns. */
  receiveScored(pStore, "9.1", "MR", "9.1.1", "pass", 90, "[]");
  receiveScored(pStore, "9.1", "MR", "9.1.2", "retake", 30, zBlur);
  receiveScored(pStore, "9.1", "MR", "9.1.3", "pass", 85, "[]");
  receiveScored(pStore, "9.1", "MR", "9.1.4", "retake", 20, zNoise);
  receiveScored(pStore, "9.1", "MR", "9.1.5", "pass", 80, "[]");
  receiveScored(pStore, "9.2", "DX", "9.2.1", "warn", 60,
                "[\"Overexposed: DI 2.0, limit 1.5\"]");
  assert_int_equal(closeAt(pStore, T0_60, &seen), 1);
  assert_string_equal(seen.zVerdict, "warn");
  assert_string_equal(seen.zReasons, "[\"Overexposed: DI 2.0, limit 1.5\"]");
  assert_int_equal(alertCount(pStore, "study"), 0);

  /* A third retake (40: of six, the lower middle is the third lowest,
   * 40) makes the series a retake, with that image's reasons only, after
   * the DX image's (first appearance: the DX image came first). */
  receiveScored(pStore, "9.1", "MR", "9.1.6", "retake", 40, zBlur);
  assert_int_equal(closeAt(pStore, "2026-11-27T14:02:00.000Z", &seen), 1);
  assert_string_equal(seen.zVerdict, "retake");
  assert_string_equal(seen.zReasons,
                      "[\"Overexposed: DI 2.0, limit 1.5\","
                      "\"Blurred: edge energy 0.01, limit 0.17\"]");
  assert_int_equal(alertCount(pStore, "study"), 1);
}

/* An MR series of two images is not a volume: its worst image counts. */
static void test_store_studies_close_idle_short_mr_series_worst(void **state)
{
  store *pStore = *state;
  struct seen seen;

  receiveScored(pStore, "9.3", "MR", "9.3.1", "pass", 90, "[]");
  receiveScored(pStore, "9.3", "MR", "9.3.2", "retake", 20,
                "[\"Blurred: edge energy 0.01, limit 0.17\"]");
  assert_int_equal(closeAt(pStore, T0_60, &seen), 1);
  assert_string_equal(seen.zVerdict, "retake");
}

static void test_store_studies_close_idle_waits_for_queue(void **state)
{
  store *pStore = *state;
  struct seen seen;

  receive(pStore, STUDY, "1.2.3.1");
  receive(pStore, STUDY, "1.2.3.2");
  scoreNext(pStore, "pass", "[]", NULL);
  /* Idle for an hour, but image 2 is pending, then claimed. */
  assert_int_equal(closeAt(pStore, "2026-11-27T15:00:00Z", &seen), 0);
  {
    int64_t iId;
    char zPath[256];
    assert_int_equal(store_queue_claim(pStore, "w", &iId, zPath, sizeof zPath),
                     STORE_OK);
    assert_int_equal(closeAt(pStore, "2026-11-27T15:00:00Z", &seen), 0);
    assert_int_equal(store_queue_done(pStore, iId, NULL), STORE_OK);
  }
  assert_int_equal(closeAt(pStore, "2026-11-27T15:00:00Z", &seen), 1);
  /* Image 2 has no verdict: unscored, which pass outranks. */
  assert_string_equal(seen.zVerdict, "pass");
  assert_int_equal(alertCount(pStore, "study"), 0);
}

/* One row of the verdict table: the image verdicts of a study, and the
 * study verdict and reasons expected.  A NULL verdict means the image
 * was finished without one. */
struct verdict_case {
  const char *azVerdict[3]; /* Up to 3 images; NULL-terminated if fewer */
  int nImage;               /* Images */
  const char *zWant;        /* Study verdict */
  const char *zReasons;     /* Study reasons */
};

static void test_store_studies_close_idle_verdict_table(void **state)
{
  static const struct verdict_case aCase[] = {
      {{"pass"}, 1, "pass", "[]"},
      {{"pass", "unscored"}, 2, "pass", "[\"r-unscored\"]"},
      {{"unscored"}, 1, "unscored", "[\"r-unscored\"]"},
      {{"error"}, 1, "unscored", "[\"Not scored: decode failed\"]"},
      {{NULL}, 1, "unscored", "[]"},
      {{"warn", "pass"}, 2, "warn", "[\"r-warn\"]"},
      {{"pass", "warn", "retake"}, 3, "retake", "[\"r-warn\",\"r-retake\"]"},
      {{"error", "warn", "retake"},
       3,
       "retake",
       "[\"Not scored: decode failed\",\"r-warn\",\"r-retake\"]"},
  };
  store *pStore = *state;
  struct seen seen;
  char zStudy[32];
  char zSop[48];
  char zReasons[64];
  size_t i;
  int j;

  for(i = 0; i < sizeof aCase / sizeof aCase[0]; i++) {
    setClock(pStore, T0);
    snprintf(zStudy, sizeof zStudy, "1.2.9.%zu", i + 1);
    for(j = 0; j < aCase[i].nImage; j++) {
      const char *zV = aCase[i].azVerdict[j];
      snprintf(zSop, sizeof zSop, "%s.%d", zStudy, j + 1);
      receive(pStore, zStudy, zSop);
      snprintf(zReasons, sizeof zReasons, "[\"r-%s\"]", zV ? zV : "");
      int isError = zV && strcmp(zV, "error") == 0;
      int hasReason = zV && !isError && strcmp(zV, "pass") != 0;
      scoreNext(pStore, zV, hasReason ? zReasons : "[]",
                isError ? "decode failed" : NULL);
    }
    assert_int_equal(closeAt(pStore, T0_60, &seen), 1);
    if(strcmp(seen.zVerdict, aCase[i].zWant) != 0 ||
       strcmp(seen.zReasons, aCase[i].zReasons) != 0) {
      fail_msg("case %zu: %s %s, expected %s %s", i, seen.zVerdict,
               seen.zReasons, aCase[i].zWant, aCase[i].zReasons);
    }
  }
  /* Only the two retake studies alerted. */
  assert_int_equal(alertCount(pStore, "study"), 2);
}

static void test_store_studies_close_idle_skips_malformed_reasons(void **state)
{
  store *pStore = *state;
  struct seen seen;

  receive(pStore, STUDY, "1.2.3.1");
  receive(pStore, STUDY, "1.2.3.2");
  receive(pStore, STUDY, "1.2.3.3");
  scoreNext(pStore, "warn", "not json [", NULL);
  scoreNext(pStore, "warn", "[\"Tilted\", 42, {\"x\": 1}, \"Cropped\"]", NULL);
  scoreNext(pStore, "warn", "\"Tilted\"", NULL); /* a bare string */
  assert_int_equal(closeAt(pStore, T0_60, &seen), 1);
  assert_string_equal(seen.zVerdict, "warn");
  assert_string_equal(seen.zReasons, "[\"Tilted\",\"Cropped\"]");
}

static void test_store_studies_new_image_reopens_alert_stays_once(void **state)
{
  store *pStore = *state;
  struct seen seen;

  receive(pStore, STUDY, "1.2.3.1");
  scoreNext(pStore, "retake", "[\"Blurred\"]", NULL);
  assert_int_equal(closeAt(pStore, T0_60, &seen), 1);
  /* A retake arrives two minutes later: the study is open again. */
  setClock(pStore, "2026-11-27T14:02:00Z");
  receive(pStore, STUDY, "1.2.3.2");
  memset(&seen, 0, sizeof seen);
  assert_int_equal(store_study_get(pStore, STUDY, onStudy, &seen), STORE_OK);
  assert_string_equal(seen.zVerdict, "pending");
  assert_string_equal(seen.zReasons, "[]");
  assert_int_equal(seen.isComplete, 0);
  assert_string_equal(seen.zCompleted, "(null)");
  assert_int_equal(seen.nInstances, 2);
  assert_int_equal(seen.nScored, 1);
  assert_string_equal(seen.zLast, "2026-11-27T14:02:00.000Z");
  scoreNext(pStore, "retake", "[\"Blurred\"]", NULL);
  assert_int_equal(closeAt(pStore, "2026-11-27T14:03:00Z", &seen), 1);
  assert_string_equal(seen.zVerdict, "retake");
  assert_int_equal(alertCount(pStore, "study"), 1);
}

static void test_store_studies_close_idle_bad_args_return_MISUSE(void **state)
{
  store *pStore = *state;

  assert_int_equal(store_studies_close_idle(pStore, -1.0, NULL, NULL),
                   STORE_MISUSE);
  tsu_contains(store_errmsg(pStore), "idle time");
  assert_int_equal(store_studies_close_idle(pStore, NAN, NULL, NULL),
                   STORE_MISUSE);
  assert_int_equal(store_studies_close_idle(pStore, 2e9, NULL, NULL),
                   STORE_MISUSE);
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(store_studies_close_idle(pStore, 60.0, NULL, NULL),
                   STORE_MISUSE);
  assert_int_equal(store_rollback(pStore), STORE_OK);
  assert_int_equal(store_studies_close_idle(NULL, 60.0, NULL, NULL),
                   STORE_MISUSE);
  /* idle 0 with nothing to close; xEach may be NULL. */
  assert_int_equal(store_studies_close_idle(pStore, 0.0, NULL, NULL),
                   STORE_OK);
}

/* ---- lists ------------------------------------------------------------ */

/* Three studies: A at 14:00 (closed, pass), B at 14:10 (open), C at
 * 14:20 (closed, retake). */
static void makeThreeStudies(store *pStore)
{
  struct seen seen;

  setClock(pStore, "2026-11-27T14:00:00Z");
  receive(pStore, "1.2.100", "1.2.100.1");
  scoreNext(pStore, "pass", "[]", NULL);
  setClock(pStore, "2026-11-27T14:20:00Z");
  receive(pStore, "1.2.300", "1.2.300.1");
  scoreNext(pStore, "retake", "[\"Motion\"]", NULL);
  assert_int_equal(closeAt(pStore, "2026-11-27T14:30:00Z", &seen), 2);
  setClock(pStore, "2026-11-27T14:10:00Z");
  receive(pStore, "1.2.200", "1.2.200.1");
}

static void test_store_studies_list_newest_first_and_filters(void **state)
{
  store *pStore = *state;
  struct seen seen;

  makeThreeStudies(pStore);
  memset(&seen, 0, sizeof seen);
  assert_int_equal(store_studies_list(pStore, NULL, NULL, onStudy, &seen),
                   STORE_OK);
  assert_string_equal(seen.zOrder, "1.2.300 1.2.200 1.2.100");
  memset(&seen, 0, sizeof seen);
  assert_int_equal(
      store_studies_list(pStore, "2026-11-27T14:10Z", NULL, onStudy, &seen),
      STORE_OK);
  assert_string_equal(seen.zOrder, "1.2.300 1.2.200");
  memset(&seen, 0, sizeof seen);
  assert_int_equal(store_studies_list(pStore, NULL, "pending", onStudy, &seen),
                   STORE_OK);
  assert_string_equal(seen.zOrder, "1.2.200");
  memset(&seen, 0, sizeof seen);
  assert_int_equal(
      store_studies_list(pStore, "2026-11-27", "retake", onStudy, &seen),
      STORE_OK);
  assert_string_equal(seen.zOrder, "1.2.300");
  assert_string_equal(seen.zReasons, "[\"Motion\"]");
  memset(&seen, 0, sizeof seen);
  assert_int_equal(
      store_studies_list(pStore, "2026-11-28", NULL, onStudy, &seen),
      STORE_OK);
  assert_int_equal(seen.n, 0);
  /* A callback that returns non-zero stops the walk. */
  memset(&seen, 0, sizeof seen);
  seen.nStop = 1;
  assert_int_equal(store_studies_list(pStore, NULL, NULL, onStudy, &seen),
                   STORE_OK);
  assert_int_equal(seen.n, 1);
}

static void test_store_studies_list_bad_args_return_MISUSE(void **state)
{
  store *pStore = *state;
  struct seen seen;

  memset(&seen, 0, sizeof seen);
  assert_int_equal(
      store_studies_list(pStore, "last tuesday", NULL, onStudy, &seen),
      STORE_MISUSE);
  tsu_contains(store_errmsg(pStore), "'last tuesday' is not a time");
  assert_int_equal(store_studies_list(pStore, NULL, "error", onStudy, &seen),
                   STORE_MISUSE);
  tsu_contains(store_errmsg(pStore), "unknown verdict 'error'");
  assert_int_equal(store_studies_list(pStore, NULL, NULL, NULL, NULL),
                   STORE_MISUSE);
  assert_int_equal(store_study_get(pStore, "9.9.9", onStudy, &seen),
                   STORE_NOTFOUND);
  tsu_contains(store_errmsg(pStore), "no study 9.9.9");
  assert_int_equal(seen.n, 0);
}

static void test_store_studies_scored_counts_unqueued_verdicts(void **state)
{
  store *pStore = *state;
  struct store_instance in = {0};
  struct seen seen;
  int64_t iId = 0;

  /* B was scored by `dicomqc score`: an instance and a verdict, never
   * queued.  A was received and is pending. */
  receive(pStore, STUDY, "1.2.3.1");
  in.zSopInstanceUid = "1.2.3.2";
  in.zStudyInstanceUid = STUDY;
  in.zFilePath = "b.dcm";
  assert_int_equal(store_instance_put(pStore, &in, &iId), STORE_OK);
  assert_int_equal(store_verdict_put(pStore, iId, "warn", NULL, "[]", NULL),
                   STORE_OK);
  memset(&seen, 0, sizeof seen);
  assert_int_equal(store_study_get(pStore, STUDY, onStudy, &seen), STORE_OK);
  assert_int_equal(seen.nScored, 1);
  assert_int_equal(seen.nInstances, 1); /* only received ones count */
  scoreNext(pStore, "pass", "[]", NULL);
  assert_int_equal(closeAt(pStore, T0_60, &seen), 1);
  assert_int_equal(seen.nScored, 2);
  assert_string_equal(seen.zVerdict, "warn");
}

/* ---- instances and metrics -------------------------------------------- */

/* What store_study_instances() and store_metrics_each() saw. */
struct show {
  store *pStore;   /* For the nested metrics walk */
  int nRow;        /* Instances */
  char zOut[1024]; /* One line per instance and per metric */
};

static int onMetric(void *pCtx, const char *zName, double value,
                    const char *zUnit, int iFrame)
{
  struct show *p = pCtx;
  size_t n = strlen(p->zOut);

  snprintf(p->zOut + n, sizeof p->zOut - n, "  %s=%g %s f%d\n", zName, value,
           zUnit ? zUnit : "-", iFrame);
  return 0;
}

static int onInstance(void *pCtx, const struct store_instance_row *pR)
{
  struct show *p = pCtx;
  size_t n = strlen(p->zOut);

  p->nRow++;
  snprintf(p->zOut + n, sizeof p->zOut - n,
           "%lld %s %s %s %lld %s %s %lld %s %s %s %s\n", (long long)pR->iId,
           pR->zSopInstanceUid, pR->zModality, pR->zFilePath,
           (long long)pR->nFileSize, pR->zReceivedAt,
           pR->zQueueState ? pR->zQueueState : "-", (long long)pR->nAttempts,
           pR->zVerdict ? pR->zVerdict : "-", pR->hasQuality ? "q" : "noq",
           pR->zReasonsJson ? pR->zReasonsJson : "-",
           pR->zError ? pR->zError : "-");
  return store_metrics_each(p->pStore, pR->iId, onMetric, p) != STORE_OK;
}

static void test_store_study_instances_with_metrics(void **state)
{
  store *pStore = *state;
  struct show show;
  int64_t iA, iB;
  char zPath[256];
  const double quality = 0.5;

  iA = receive(pStore, STUDY, "1.2.3.1");
  iB = receive(pStore, STUDY, "1.2.3.2");
  assert_int_equal(store_queue_claim(pStore, "w", &iA, zPath, sizeof zPath),
                   STORE_OK);
  assert_int_equal(store_metric_put(pStore, iA, "snr", 31.5, "dB", -1),
                   STORE_OK);
  assert_int_equal(store_metric_put(pStore, iA, "snr", 30.0, "dB", 1),
                   STORE_OK);
  assert_int_equal(store_metric_put(pStore, iA, "brisque", 20.0, NULL, -1),
                   STORE_OK);
  assert_int_equal(
      store_verdict_put(pStore, iA, "warn", &quality, "[\"Noisy\"]", NULL),
      STORE_OK);
  assert_int_equal(store_queue_done(pStore, iA, NULL), STORE_OK);
  memset(&show, 0, sizeof show);
  show.pStore = pStore;
  assert_int_equal(store_study_instances(pStore, STUDY, onInstance, &show),
                   STORE_OK);
  assert_int_equal(show.nRow, 2);
  (void)iB;
  assert_string_equal(show.zOut,
                      "1 1.2.3.1 DX archive/" STUDY "/1.2.3.1.dcm 1024 " T0
                      " done 1 warn q [\"Noisy\"] -\n"
                      "  brisque=20 - f-1\n"
                      "  snr=31.5 dB f-1\n"
                      "  snr=30 dB f1\n"
                      "2 1.2.3.2 DX archive/" STUDY "/1.2.3.2.dcm 1024 " T0
                      " pending 0 - noq - -\n");
  memset(&show, 0, sizeof show);
  show.pStore = pStore;
  assert_int_equal(store_study_instances(pStore, "9.9", onInstance, &show),
                   STORE_OK);
  assert_int_equal(show.nRow, 0);
  assert_int_equal(store_study_instances(pStore, NULL, onInstance, &show),
                   STORE_MISUSE);
  assert_int_equal(store_metrics_each(pStore, iA, NULL, NULL), STORE_MISUSE);
}

/* ---- runner ----------------------------------------------------------- */

#define MEM_TEST(f)                                                           \
  cmocka_unit_test_setup_teardown(f, tsu_setup_memory, tsu_teardown_memory)

int main(void)
{
  const struct CMUnitTest aTest[] = {
      MEM_TEST(test_store_studies_close_idle_worst_verdict_and_alert),
      MEM_TEST(test_store_studies_close_idle_mr_series_by_median),
      MEM_TEST(test_store_studies_close_idle_short_mr_series_worst),
      MEM_TEST(test_store_studies_close_idle_waits_for_queue),
      MEM_TEST(test_store_studies_close_idle_verdict_table),
      MEM_TEST(test_store_studies_close_idle_skips_malformed_reasons),
      MEM_TEST(test_store_studies_new_image_reopens_alert_stays_once),
      MEM_TEST(test_store_studies_close_idle_bad_args_return_MISUSE),
      MEM_TEST(test_store_studies_list_newest_first_and_filters),
      MEM_TEST(test_store_studies_list_bad_args_return_MISUSE),
      MEM_TEST(test_store_studies_scored_counts_unqueued_verdicts),
      MEM_TEST(test_store_study_instances_with_metrics),
  };

  return cmocka_run_group_tests(aTest, NULL, NULL);
}
