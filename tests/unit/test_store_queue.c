/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_store_queue.c - unit tests of store/queue.c (the receive step, the
 * work queue, image alerts) and of the handle's clock.
 *
 * The focus is what issue 3 item 3 promises: a received instance is
 * queued once, and queued again when received again; workers claim the
 * oldest pending row and no two handles ever claim the same row (4
 * threads, 200 rows); a crash between claim and commit loses nothing:
 * store_queue_reset() queues the row again, and redoing the work replaces
 * metrics and verdict instead of adding rows; a file that kills the
 * worker every time is given up after STORE_QUEUE_MAX_ATTEMPTS; a retake
 * verdict gives one image alert, however often the worker runs.  Most
 * tests use a fresh ":memory:" database with a fixed clock; the thread
 * test uses a file in a fresh mkdtemp() directory.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#endif

#include <pthread.h>
#include <time.h>

#include "test_util.h"

#include "test_store_util.h"

#define STUDY "1.2.826.0.1.3680043.8.498.20"

/* The fixed "now" of the memory fixture. */
#define T0 TSU_T0

/* ---- helpers ---------------------------------------------------------- */

/* Receives instance zSop of zStudy on pStore; returns its id. */
static int64_t receive(store *pStore, const char *zStudy, const char *zSop)
{
  char zPath[256];
  struct store_instance in = tsu_instance(zStudy, zSop, zPath, sizeof zPath);
  int64_t iId = 0;

  if(storeReceiveOne(pStore, &in, &iId) != STORE_OK) {
    fail_msg("receive %s: %s", zSop, store_errmsg(pStore));
  }
  assert_true(iId >= 1);
  return iId;
}

/* Sets the clock of pStore. */
static void setClock(store *pStore, const char *zNow)
{
  assert_int_equal(store_clock_set(pStore, zNow), STORE_OK);
}

/* Claims as "w1"; returns the id, failing unless the status is STORE_OK. */
static int64_t claim(store *pStore)
{
  int64_t iId = 0;
  char zPath[256];

  if(store_queue_claim(pStore, "w1", &iId, zPath, sizeof zPath) != STORE_OK) {
    fail_msg("claim: %s", store_errmsg(pStore));
  }
  return iId;
}

/* What a worker does with a claimed row: metrics, verdict, done, in one
 * transaction. */
static void scoreAndFinish(store *pStore, int64_t iId, const char *zVerdict)
{
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(store_metric_put(pStore, iId, "brisque", 30.0, NULL, -1),
                   STORE_OK);
  assert_int_equal(store_verdict_put(pStore, iId, zVerdict, NULL,
                                     "[\"Blurred: sharpness 12, limit 40\"]",
                                     NULL),
                   STORE_OK);
  assert_int_equal(store_queue_done(pStore, iId, NULL), STORE_OK);
  assert_int_equal(store_commit(pStore), STORE_OK);
}

static void depth(store *pStore, int64_t nPending, int64_t nClaimed)
{
  int64_t nP = -1;
  int64_t nC = -1;

  assert_int_equal(store_queue_depth(pStore, &nP, &nC), STORE_OK);
  assert_int_equal(nP, nPending);
  assert_int_equal(nC, nClaimed);
}

/* ---- fixtures --------------------------------------------------------- */

/* ---- clock ------------------------------------------------------------ */

static void test_store_clock_set_fixes_and_normalises_now(void **state)
{
  store *pStore = *state;
  char zNow[STORE_TIME_MAX];

  storeNow(pStore, zNow);
  assert_string_equal(zNow, T0);
  setClock(pStore, "2026-11-27T15:30Z");
  storeNow(pStore, zNow);
  assert_string_equal(zNow, "2026-11-27T15:30:00.000Z");
  assert_int_equal(store_clock_set(pStore, "yesterday"), STORE_MISUSE);
  tsu_contains(store_errmsg(pStore), "'yesterday' is not a time");
  storeNow(pStore, zNow); /* unchanged by the failure */
  assert_string_equal(zNow, "2026-11-27T15:30:00.000Z");
  setClock(pStore, NULL);
  storeNow(pStore, zNow);
  assert_int_equal(strlen(zNow), strlen(T0));
  assert_true(strcmp(zNow, "2026-11-27T15:30:00.000Z") != 0);
  assert_int_equal(store_clock_set(NULL, T0), STORE_MISUSE);
}

/* ---- receiving -------------------------------------------------------- */

static void test_store_receive_writes_instance_queue_and_study(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iId = receive(pStore, STUDY, "1.2.3.1");
  char zText[256];

  assert_int_equal(tsu_int(db, "SELECT count(*) FROM instances"), 1);
  tsu_text(db,
           "SELECT state || '|' || enqueued_at || '|' || attempts ||"
           " '|' || (claimed_by IS NULL) FROM queue",
           zText, sizeof zText);
  assert_string_equal(zText, "pending|" T0 "|0|1");
  tsu_text(db,
           "SELECT modality || '|' || instances || '|' || complete || '|'"
           " || verdict || '|' || first_received_at || '|' ||"
           " last_received_at FROM studies",
           zText, sizeof zText);
  assert_string_equal(zText, "DX|1|0|pending|" T0 "|" T0);
  /* received_at takes the handle's clock too. */
  tsu_text(db, "SELECT received_at FROM instances", zText, sizeof zText);
  assert_string_equal(zText, T0);
  assert_int_equal(tsu_int(db, "SELECT instance_id FROM queue"), iId);
  depth(pStore, 1, 0);
}

static void test_store_receive_again_requeues_and_reopens(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iId = receive(pStore, STUDY, "1.2.3.1");
  char zText[256];

  assert_int_equal(claim(pStore), iId);
  scoreAndFinish(pStore, iId, "pass");
  tsu_exec(db, "UPDATE studies SET complete = 1, verdict = 'pass',"
               " reasons = '[]', completed_at = '" T0 "'");
  /* The same file arrives again, later. */
  setClock(pStore, "2026-11-27T14:05:00.000Z");
  assert_int_equal(receive(pStore, STUDY, "1.2.3.1"), iId);
  tsu_text(db, "SELECT state || '|' || attempts FROM queue", zText,
           sizeof zText);
  assert_string_equal(zText, "pending|0");
  tsu_text(db,
           "SELECT instances || '|' || complete || '|' || verdict || '|'"
           " || (reasons IS NULL) || '|' || (completed_at IS NULL) || '|'"
           " || first_received_at || '|' || last_received_at FROM studies",
           zText, sizeof zText);
  assert_string_equal(zText,
                      "1|0|pending|1|1|" T0 "|2026-11-27T14:05:00.000Z");
  /* A second instance: recounted, not just incremented. */
  receive(pStore, STUDY, "1.2.3.2");
  assert_int_equal(tsu_int(db, "SELECT instances FROM studies"), 2);
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM queue"), 2);
}

static void test_store_receive_bad_input_returns_MISUSE(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  char zPath[256];
  struct store_instance in =
      tsu_instance(STUDY, "1.2.3.1", zPath, sizeof zPath);
  int64_t iId = -7;

  in.zStudyInstanceUid = NULL;
  assert_int_equal(storeReceiveOne(pStore, &in, &iId), STORE_MISUSE);
  tsu_contains(store_errmsg(pStore), "zStudyInstanceUid");
  in.zStudyInstanceUid = STUDY;
  in.zReceivedAt = "not a time";
  assert_int_equal(storeReceiveOne(pStore, &in, &iId), STORE_MISUSE);
  tsu_contains(store_errmsg(pStore), "not a time");
  in.zReceivedAt = NULL;
  in.zFilePath = NULL;
  assert_int_equal(storeReceiveOne(pStore, &in, &iId), STORE_MISUSE);
  assert_int_equal(iId, -7);
  assert_int_equal(tsu_int(db, "SELECT (SELECT count(*) FROM instances) +"
                               " (SELECT count(*) FROM queue) +"
                               " (SELECT count(*) FROM studies)"),
                   0);
}

static void test_store_receive_failing_study_rolls_back_all(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  char zPath[256];
  struct store_instance in =
      tsu_instance(STUDY, "1.2.3.1", zPath, sizeof zPath);
  int64_t iId = 0;

  /* The study row is the last of the three writes. */
  tsu_exec(db, "CREATE TEMP TRIGGER refuse BEFORE INSERT ON studies"
               " BEGIN SELECT RAISE(ABORT, 'study refused by test'); END");
  assert_int_equal(storeReceiveOne(pStore, &in, &iId), STORE_ERR_CONSTRAINT);
  tsu_contains(store_errmsg(pStore), "study refused by test");
  assert_int_equal(tsu_int(db, "SELECT (SELECT count(*) FROM instances) +"
                               " (SELECT count(*) FROM queue)"),
                   0);
}

/* ---- claiming --------------------------------------------------------- */

static void test_store_queue_claim_takes_oldest_first(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t aId[3];
  int64_t iId = 0;
  char zPath[256];
  char zText[256];

  /* Enqueued at 14:02, 14:01, 14:03: claimed in time order. */
  setClock(pStore, "2026-11-27T14:02:00Z");
  aId[0] = receive(pStore, STUDY, "1.2.3.1");
  setClock(pStore, "2026-11-27T14:01:00Z");
  aId[1] = receive(pStore, STUDY, "1.2.3.2");
  setClock(pStore, "2026-11-27T14:03:00Z");
  aId[2] = receive(pStore, STUDY, "1.2.3.3");
  assert_int_equal(
      store_queue_claim(pStore, "worker 7", &iId, zPath, sizeof zPath),
      STORE_OK);
  assert_int_equal(iId, aId[1]);
  assert_string_equal(zPath, "archive/" STUDY "/1.2.3.2.dcm");
  tsu_text(db,
           "SELECT state || '|' || claimed_by || '|' || claimed_at || '|'"
           " || attempts FROM queue WHERE instance_id = 2",
           zText, sizeof zText);
  assert_string_equal(zText, "claimed|worker 7|2026-11-27T14:03:00.000Z|1");
  assert_int_equal(claim(pStore), aId[0]);
  assert_int_equal(claim(pStore), aId[2]);
  depth(pStore, 0, 3);
  iId = -7;
  assert_int_equal(store_queue_claim(pStore, "w1", &iId, zPath, sizeof zPath),
                   STORE_NOTFOUND);
  assert_int_equal(iId, -7);
}

static void test_store_queue_claim_misuse_claims_nothing(void **state)
{
  store *pStore = *state;
  int64_t iId = -7;
  char zTiny[8];
  char zPath[256];

  receive(pStore, STUDY, "1.2.3.1");
  assert_int_equal(store_queue_claim(pStore, "w1", &iId, zTiny, sizeof zTiny),
                   STORE_MISUSE);
  tsu_contains(store_errmsg(pStore), "nothing claimed");
  depth(pStore, 1, 0);
  assert_int_equal(store_queue_claim(pStore, NULL, &iId, zPath, sizeof zPath),
                   STORE_MISUSE);
  assert_int_equal(iId, -7);
  depth(pStore, 1, 0);
}

/* A claim inside the caller's transaction (as store_writer_run() runs
 * it) joins that transaction: seen inside it, gone after a rollback,
 * kept after a commit. */
static void test_store_queue_claim_joins_open_transaction(void **state)
{
  store *pStore = *state;
  int64_t iId = 0;
  char zPath[256];

  receive(pStore, STUDY, "1.2.3.1");
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(store_queue_claim(pStore, "w1", &iId, zPath, sizeof zPath),
                   STORE_OK);
  depth(pStore, 0, 1);
  assert_int_equal(store_rollback(pStore), STORE_OK);
  depth(pStore, 1, 0);
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(store_queue_claim(pStore, "w1", &iId, zPath, sizeof zPath),
                   STORE_OK);
  assert_int_equal(store_commit(pStore), STORE_OK);
  depth(pStore, 0, 1);
}

/* ---- done, reset, crash recovery --------------------------------------- */

static void test_store_queue_done_records_error_and_state(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iA = receive(pStore, STUDY, "1.2.3.1");
  int64_t iB = receive(pStore, STUDY, "1.2.3.2");

  assert_int_equal(claim(pStore), iA);
  assert_int_equal(store_queue_done(pStore, iA, "decode failed: truncated"),
                   STORE_OK);
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM queue WHERE state ="
                               " 'done' AND last_error ="
                               " 'decode failed: truncated'"),
                   1);
  /* Not claimed (pending): left pending, so it is scored later. */
  assert_int_equal(store_queue_done(pStore, iB, NULL), STORE_OK);
  depth(pStore, 1, 0);
  assert_int_equal(store_queue_done(pStore, 999, NULL), STORE_NOTFOUND);
  tsu_contains(store_errmsg(pStore), "instance 999 is not queued");
}

static void test_store_queue_reset_requeues_and_rerun_replaces(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iA = receive(pStore, STUDY, "1.2.3.1");
  int64_t iB = receive(pStore, STUDY, "1.2.3.2");

  assert_int_equal(claim(pStore), iA);
  assert_int_equal(claim(pStore), iB);
  /* A finished, committed; B's worker crashed mid-transaction. */
  scoreAndFinish(pStore, iA, "pass");
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(store_metric_put(pStore, iB, "brisque", 1.0, NULL, -1),
                   STORE_OK);
  assert_int_equal(store_rollback(pStore), STORE_OK);
  depth(pStore, 0, 1);
  /* Restart. */
  assert_int_equal(store_queue_reset(pStore), STORE_OK);
  depth(pStore, 1, 0);
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM queue WHERE"
                               " claimed_by IS NULL AND claimed_at IS NULL"
                               " AND instance_id = 2"),
                   1);
  assert_int_equal(claim(pStore), iB);
  scoreAndFinish(pStore, iB, "warn");
  /* Scoring A again too (say, received again): replaced, not added. */
  assert_int_equal(receive(pStore, STUDY, "1.2.3.1"), iA);
  assert_int_equal(claim(pStore), iA);
  scoreAndFinish(pStore, iA, "retake");
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM metrics"), 2);
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM verdicts"), 2);
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM queue WHERE"
                               " state = 'done'"),
                   2);
  assert_int_equal(tsu_int(db, "SELECT attempts FROM queue WHERE"
                               " instance_id = 2"),
                   2);
}

static void test_store_queue_reset_gives_up_after_max_attempts(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iId = receive(pStore, STUDY, "1.2.3.1");
  char zText[256];
  int i;

  for(i = 0; i < STORE_QUEUE_MAX_ATTEMPTS - 1; i++) {
    assert_int_equal(claim(pStore), iId);
    assert_int_equal(store_queue_reset(pStore), STORE_OK);
    depth(pStore, 1, 0);
  }
  assert_int_equal(claim(pStore), iId);
  assert_int_equal(store_queue_reset(pStore), STORE_OK);
  depth(pStore, 0, 0);
  tsu_text(db, "SELECT state || '|' || last_error FROM queue", zText,
           sizeof zText);
  assert_string_equal(zText, "done|given up after 3 interrupted attempts");
  tsu_text(db, "SELECT verdict || '|' || error FROM verdicts", zText,
           sizeof zText);
  tsu_contains(zText, "error|scoring stopped 3 times");
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(store_queue_reset(pStore), STORE_MISUSE);
  assert_int_equal(store_rollback(pStore), STORE_OK);
}

/* ---- image alerts ----------------------------------------------------- */

static void test_store_alert_image_once_for_retake_only(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iA = receive(pStore, STUDY, "1.2.3.1");
  int64_t iB = receive(pStore, STUDY, "1.2.3.2");
  int isCreated = -1;
  char zText[256];

  assert_int_equal(store_verdict_put(pStore, iA, "retake", NULL,
                                     "[\"Underexposed\"]", NULL),
                   STORE_OK);
  assert_int_equal(store_alert_image(pStore, iA, &isCreated), STORE_OK);
  assert_int_equal(isCreated, 1);
  assert_int_equal(store_alert_image(pStore, iA, &isCreated), STORE_OK);
  assert_int_equal(isCreated, 0);
  assert_int_equal(store_alert_image(pStore, iA, NULL), STORE_OK);
  tsu_text(db,
           "SELECT kind || '|' || instance_id || '|' || study_instance_uid"
           " || '|' || verdict || '|' || reasons || '|' || created_at ||"
           " '|' || (delivered_at IS NULL) FROM alerts",
           zText, sizeof zText);
  assert_string_equal(zText,
                      "image|1|" STUDY "|retake|[\"Underexposed\"]|" T0 "|1");
  /* Not retake, or no verdict: no alert. */
  assert_int_equal(store_alert_image(pStore, iB, &isCreated), STORE_OK);
  assert_int_equal(isCreated, 0);
  assert_int_equal(store_verdict_put(pStore, iB, "warn", NULL, "[]", NULL),
                   STORE_OK);
  assert_int_equal(store_alert_image(pStore, iB, &isCreated), STORE_OK);
  assert_int_equal(isCreated, 0);
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM alerts"), 1);
}

static void test_store_alerts_schema_refuses_duplicates(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iA = receive(pStore, STUDY, "1.2.3.1");

  (void)iA;
  tsu_exec(db, "INSERT INTO alerts(kind, instance_id, study_instance_uid,"
               " verdict, created_at) VALUES('study', NULL, '1.2', 'retake',"
               " '" T0 "')");
  /* NULL instance_id: the table's UNIQUE alone would let this in. */
  assert_int_equal(sqlite3_exec(db,
                                "INSERT INTO alerts(kind, instance_id,"
                                " study_instance_uid, verdict, created_at)"
                                " VALUES('study', NULL, '1.2', 'retake',"
                                " '" T0 "')",
                                NULL, NULL, NULL) &
                       0xff,
                   SQLITE_CONSTRAINT);
  tsu_exec(db, "INSERT INTO alerts(kind, instance_id, verdict, created_at)"
               " VALUES('image', 1, 'retake', '" T0 "')");
  assert_int_equal(sqlite3_exec(db,
                                "INSERT INTO alerts(kind, instance_id,"
                                " verdict, created_at) VALUES('image', 1,"
                                " 'retake', '" T0 "')",
                                NULL, NULL, NULL) &
                       0xff,
                   SQLITE_CONSTRAINT);
  /* A study alert must not name an instance, an image alert must. */
  assert_int_equal(sqlite3_exec(db,
                                "INSERT INTO alerts(kind, verdict,"
                                " created_at) VALUES('image', 'retake',"
                                " '" T0 "')",
                                NULL, NULL, NULL) &
                       0xff,
                   SQLITE_CONSTRAINT);
}

/* ---- concurrent claims ------------------------------------------------ */

#define N_THREAD 4
#define N_ROW    200

/* One claiming thread, with its own handle.  No cmocka calls here. */
struct claimer {
  const char *zDbPath;       /* Database file */
  char zName[16];            /* Worker name */
  int64_t aId[N_ROW];        /* OUT: ids claimed, in order */
  int n;                     /* OUT: how many */
  int rc;                    /* OUT: first unexpected status, or 0 */
  char zErr[256];            /* OUT: its message */
  pthread_barrier_t *pStart; /* All start together */
};

/* Claims and finishes rows until the queue is empty. */
static void *claimThread(void *pArg)
{
  const struct timespec work = {0, 200000}; /* 0.2 ms */
  struct claimer *pC = pArg;
  store *pStore = NULL;
  char zPath[256];
  int64_t iId;
  int rc;

  rc = store_open(pC->zDbPath, &pStore);
  pthread_barrier_wait(pC->pStart);
  while(rc == STORE_OK && pC->n < N_ROW) {
    rc = store_queue_claim(pStore, pC->zName, &iId, zPath, sizeof zPath);
    if(rc == STORE_OK) {
      pC->aId[pC->n++] = iId;
      nanosleep(&work, NULL); /* "scoring", so the others get turns */
      rc = store_queue_done(pStore, iId, NULL);
    }
  }
  if(rc != STORE_NOTFOUND) {
    pC->rc = rc == STORE_OK ? STORE_ERR_SQL : rc;
    snprintf(pC->zErr, sizeof pC->zErr, "%s", store_errmsg(pStore));
  }
  store_close(pStore);
  return NULL;
}

static void test_store_queue_claim_threads_claim_each_row_once(void **state)
{
  struct tsu_dir *pTmp = *state;
  static struct claimer aC[N_THREAD]; /* large: not on the stack */
  pthread_t aThread[N_THREAD];
  pthread_barrier_t start;
  store *pStore = NULL;
  int anSeen[N_ROW + 1];
  char zSop[32];
  int i, j, nTotal = 0;

  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  assert_int_equal(store_begin(pStore), STORE_OK);
  for(i = 0; i < N_ROW; i++) {
    snprintf(zSop, sizeof zSop, "1.2.3.%d", i + 1);
    receive(pStore, STUDY, zSop);
  }
  assert_int_equal(store_commit(pStore), STORE_OK);
  memset(aC, 0, sizeof aC);
  memset(anSeen, 0, sizeof anSeen);
  assert_int_equal(pthread_barrier_init(&start, NULL, N_THREAD), 0);
  for(i = 0; i < N_THREAD; i++) {
    aC[i].zDbPath = pTmp->zPath;
    aC[i].pStart = &start;
    snprintf(aC[i].zName, sizeof aC[i].zName, "thread %d", i);
    assert_int_equal(pthread_create(&aThread[i], NULL, claimThread, &aC[i]),
                     0);
  }
  for(i = 0; i < N_THREAD; i++) {
    pthread_join(aThread[i], NULL);
  }
  pthread_barrier_destroy(&start);
  for(i = 0; i < N_THREAD; i++) {
    if(aC[i].rc != 0) {
      fail_msg("thread %d: status %d: %s", i, aC[i].rc, aC[i].zErr);
    }
    for(j = 0; j < aC[i].n; j++) {
      assert_true(aC[i].aId[j] >= 1 && aC[i].aId[j] <= N_ROW);
      anSeen[aC[i].aId[j]]++;
    }
    nTotal += aC[i].n;
    print_message("thread %d claimed %d rows\n", i, aC[i].n);
  }
  assert_int_equal(nTotal, N_ROW);
  for(i = 1; i <= N_ROW; i++) {
    if(anSeen[i] != 1) {
      fail_msg("row %d claimed %d times", i, anSeen[i]);
    }
  }
  depth(pStore, 0, 0);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM queue"
                                            " WHERE attempts = 1 AND state"
                                            " = 'done'"),
                   N_ROW);
  store_close(pStore);
}

/* ---- runner ----------------------------------------------------------- */

#define MEM_TEST(f)                                                           \
  cmocka_unit_test_setup_teardown(f, tsu_setup_memory, tsu_teardown_memory)
#define DIR_TEST(f)                                                           \
  cmocka_unit_test_setup_teardown(f, tsu_setup_dir, tsu_teardown_dir)

int main(void)
{
  const struct CMUnitTest aTest[] = {
      MEM_TEST(test_store_clock_set_fixes_and_normalises_now),
      MEM_TEST(test_store_receive_writes_instance_queue_and_study),
      MEM_TEST(test_store_receive_again_requeues_and_reopens),
      MEM_TEST(test_store_receive_bad_input_returns_MISUSE),
      MEM_TEST(test_store_receive_failing_study_rolls_back_all),
      MEM_TEST(test_store_queue_claim_takes_oldest_first),
      MEM_TEST(test_store_queue_claim_misuse_claims_nothing),
      MEM_TEST(test_store_queue_claim_joins_open_transaction),
      MEM_TEST(test_store_queue_done_records_error_and_state),
      MEM_TEST(test_store_queue_reset_requeues_and_rerun_replaces),
      MEM_TEST(test_store_queue_reset_gives_up_after_max_attempts),
      MEM_TEST(test_store_alert_image_once_for_retake_only),
      MEM_TEST(test_store_alerts_schema_refuses_duplicates),
      DIR_TEST(test_store_queue_claim_threads_claim_each_row_once),
  };

  return cmocka_run_group_tests(aTest, NULL, NULL);
}
