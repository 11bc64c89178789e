/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_store_writer.c - unit tests of store/writer.c, the group-commit
 * writer of received instances.
 *
 * The focus is what issue 3 items 2 and 3 ask of reception: a caller
 * returns only once its instance, queue and study rows are committed;
 * requests waiting together are committed in one transaction (the test
 * holds the writer thread until all have queued, then counts batches);
 * a request that fails inside a batch fails alone, with its own message,
 * and leaves no row; bad calls give STORE_MISUSE.  The last test measures
 * (it does not time-limit) 1000 receives from 4 threads three ways: one
 * transaction per image on 4 connections, the writer capped at one
 * request per transaction, and the writer grouping; it prints rows/s.
 * Each test gets a database file in a fresh mkdtemp() directory, since
 * the writer opens its own connection.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp, nanosleep */
#endif

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "test_util.h"

#include "test_store_util.h"

#define STUDY "1.2.826.0.1.3680043.8.498.30"

/* ---- helpers ---------------------------------------------------------- */

/* One receiving thread.  No cmocka calls in threads. */
struct sender {
  store_writer *w;     /* Shared writer; NULL: use own connections */
  const char *zDbPath; /* Database, for the own-connection mode */
  const char *zStudy;  /* Study of every instance it sends */
  int iThread;         /* Its number, part of each SOP UID */
  int nSend;           /* Instances to send */
  const char *zDir;    /* Not NULL: files "placed" in this folder and
                          sent with store_writer_receive_placed() */
  int nOk;             /* OUT: receives that succeeded */
  int rc;              /* OUT: first failure, or 0 */
  char zErr[512];      /* OUT: its message */
};

/* Fills the instance number i of pS; zSop and zPath are its buffers. */
static struct store_instance senderInstance(const struct sender *pS, int i,
                                            char *zSop, size_t nSop,
                                            char *zPath, size_t nPath)
{
  snprintf(zSop, nSop, "1.2.826.0.1.3680043.8.498.31.%d.%d", pS->iThread,
           i + 1);
  return tsu_instance(pS->zStudy, zSop, zPath, nPath);
}

/* Sends through the writer. */
static void *sendThread(void *pArg)
{
  struct sender *pS = pArg;
  char zSop[80];
  char zPath[700];
  int64_t iId = 0;
  int i;

  for(i = 0; i < pS->nSend; i++) {
    struct store_instance in =
        senderInstance(pS, i, zSop, sizeof zSop, zPath, sizeof zPath);
    int rc;
    if(pS->zDir != NULL) {
      snprintf(zPath, sizeof zPath, "%s/%s.dcm", pS->zDir, zSop);
      rc = store_writer_receive_placed(pS->w, &in, &iId, pS->zErr,
                                       sizeof pS->zErr);
    } else {
      rc = store_writer_receive(pS->w, &in, &iId, pS->zErr, sizeof pS->zErr);
    }
    if(rc == STORE_OK && iId >= 1) {
      pS->nOk++;
    } else if(pS->rc == 0) {
      pS->rc = rc ? rc : STORE_ERR_SQL;
    }
  }
  return NULL;
}

/* Sends with one transaction per image on its own connection: the
 * baseline without a writer. */
static void *sendOwnThread(void *pArg)
{
  struct sender *pS = pArg;
  store *pStore = NULL;
  char zSop[80];
  char zPath[256];
  int64_t iId = 0;
  int rc;
  int i;

  rc = store_open(pS->zDbPath, &pStore);
  for(i = 0; rc == STORE_OK && i < pS->nSend; i++) {
    struct store_instance in =
        senderInstance(pS, i, zSop, sizeof zSop, zPath, sizeof zPath);
    rc = store_begin(pStore);
    if(rc == STORE_OK) {
      rc = storeTxnEnd(pStore, storeReceiveOne(pStore, &in, &iId));
    }
    pS->nOk += rc == STORE_OK;
  }
  if(rc != STORE_OK) {
    pS->rc = rc;
    snprintf(pS->zErr, sizeof pS->zErr, "%s", store_errmsg(pStore));
  }
  store_close(pStore);
  return NULL;
}

/* Runs nThread senders of nEach instances each (xMain: sendThread or
 * sendOwnThread) and joins them; aS must hold nThread entries. */
static void runSenders(struct sender *aS, int nThread, void *(*xMain)(void *))
{
  pthread_t aThread[16];
  int i;

  assert_true(nThread <= 16);
  for(i = 0; i < nThread; i++) {
    assert_int_equal(pthread_create(&aThread[i], NULL, xMain, &aS[i]), 0);
  }
  for(i = 0; i < nThread; i++) {
    pthread_join(aThread[i], NULL);
  }
}

/* Starts nThread senders in the background (joined by joinSenders). */
static void startSenders(struct sender *aS, pthread_t *aThread, int nThread)
{
  int i;

  for(i = 0; i < nThread; i++) {
    assert_int_equal(pthread_create(&aThread[i], NULL, sendThread, &aS[i]), 0);
  }
}

static void joinSenders(pthread_t *aThread, int nThread)
{
  int i;

  for(i = 0; i < nThread; i++) {
    pthread_join(aThread[i], NULL);
  }
}

/* Waits (up to 10 s) until n requests are queued on the held writer. */
static void waitQueued(store_writer *w, int n)
{
  const struct timespec tick = {0, 1000000}; /* 1 ms */
  int i;

  for(i = 0; i < 10000 && storeWriterWaiting(w) < n; i++) {
    nanosleep(&tick, NULL);
  }
  assert_int_equal(storeWriterWaiting(w), n);
}

/* Sets up n senders of one instance each, of study zStudy, on w. */
static void initSenders(struct sender *aS, int n, store_writer *w,
                        const char *zStudy)
{
  int i;

  memset(aS, 0, (size_t)n * sizeof aS[0]);
  for(i = 0; i < n; i++) {
    aS[i].w = w;
    aS[i].zStudy = zStudy;
    aS[i].iThread = i;
    aS[i].nSend = 1;
  }
}

/* Runs n senders so that all their requests wait on the held writer
 * before it takes them: one batch. */
static void sendTogether(store_writer *w, struct sender *aS, int n)
{
  pthread_t aThread[16];

  assert_true(n <= 16);
  storeWriterHold(w, 1);
  startSenders(aS, aThread, n);
  waitQueued(w, n);
  storeWriterHold(w, 0);
  joinSenders(aThread, n);
}

static store_writer *openWriter(const char *zPath)
{
  store_writer *w = NULL;

  if(store_writer_open(zPath, &w) != STORE_OK) {
    fail_msg("store_writer_open: %s", store_writer_errmsg(w));
  }
  return w;
}

/* Seconds on the monotonic clock. */
static double seconds(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- receiving -------------------------------------------------------- */

static void test_store_writer_receive_commits_three_rows(void **state)
{
  struct tsu_dir *pTmp = *state;
  store_writer *w = openWriter(pTmp->zPath);
  store *pStore = NULL;
  char zPath[256];
  struct store_instance in =
      tsu_instance(STUDY, "1.2.3.1", zPath, sizeof zPath);
  char zErr[256] = "";
  int64_t iId = 0;
  int64_t nBatch = -1, nRequest = -1;

  assert_int_equal(store_writer_receive(w, &in, &iId, zErr, sizeof zErr),
                   STORE_OK);
  assert_int_equal(iId, 1);
  assert_string_equal(zErr, "");
  /* Committed: another connection sees all three rows at once. */
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  assert_int_equal(tsu_int(storeDb(pStore),
                           "SELECT (SELECT count(*) FROM instances) ||"
                           " (SELECT count(*) FROM queue WHERE state ="
                           " 'pending') || (SELECT instances FROM studies)"),
                   111);
  store_writer_stats(w, &nBatch, &nRequest);
  assert_int_equal(nBatch, 1);
  assert_int_equal(nRequest, 1);
  store_writer_close(w);
  tsu_consistent(pStore);
  store_close(pStore);
}

static void test_store_writer_waiting_requests_share_one_commit(void **state)
{
  struct tsu_dir *pTmp = *state;
  store_writer *w = openWriter(pTmp->zPath);
  struct sender aS[8];
  store *pStore = NULL;
  int64_t nBatch = -1, nRequest = -1;
  int i;

  initSenders(aS, 8, w, STUDY);
  sendTogether(w, aS, 8);
  for(i = 0; i < 8; i++) {
    assert_int_equal(aS[i].rc, 0);
    assert_int_equal(aS[i].nOk, 1);
  }
  store_writer_stats(w, &nBatch, &nRequest);
  assert_int_equal(nBatch, 1);
  assert_int_equal(nRequest, 8);
  store_writer_close(w);
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT instances FROM studies"),
                   8);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM queue"), 8);
  store_close(pStore);
}

static void test_store_writer_failing_request_fails_alone(void **state)
{
  struct tsu_dir *pTmp = *state;
  store_writer *w;
  struct sender aS[5];
  store *pStore = NULL;
  int64_t nBatch = -1;
  int i;

  /* A trigger refuses the study row of study 9.9, the last of the three
   * writes of a request, after its instance and queue rows. */
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  tsu_exec(storeDb(pStore),
           "CREATE TRIGGER refuse BEFORE INSERT ON studies"
           " WHEN NEW.study_instance_uid = '9.9'"
           " BEGIN SELECT RAISE(ABORT, 'study 9.9 refused by test'); END");
  w = openWriter(pTmp->zPath);
  initSenders(aS, 5, w, STUDY);
  aS[2].zStudy = "9.9";
  sendTogether(w, aS, 5);
  store_writer_stats(w, &nBatch, NULL);
  assert_int_equal(nBatch, 1);
  for(i = 0; i < 5; i++) {
    if(i == 2) {
      assert_int_equal(aS[i].rc, STORE_ERR_CONSTRAINT);
      tsu_contains(aS[i].zErr, "study 9.9 refused by test");
    } else {
      assert_int_equal(aS[i].rc, 0);
      assert_int_equal(aS[i].nOk, 1);
    }
  }
  store_writer_close(w);
  /* The others committed; nothing of the refused one is left. */
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM instances"),
                   4);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM queue"), 4);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM instances"
                                            " WHERE study_instance_uid ="
                                            " '9.9'"),
                   0);
  tsu_consistent(pStore);
  store_close(pStore);
}

/* ---- placed files: one directory sync per folder and commit ---------- */

/* Makes <tmp>/<zName> and writes its path to zOut. */
static void makeFolder(const struct tsu_dir *pTmp, const char *zName,
                       char *zOut, size_t nOut)
{
  snprintf(zOut, nOut, "%s/%s", pTmp->zDir, zName);
  assert_int_equal(mkdir(zOut, 0700), 0);
}

/* Six placed images in two folders, committed together: the writer
 * syncs each folder once, and all six are recorded. */
static void test_store_writer_placed_syncs_each_folder_once(void **state)
{
  struct tsu_dir *pTmp = *state;
  store_writer *w = openWriter(pTmp->zPath);
  char zA[600], zB[600];
  struct sender aS[6];
  store *pStore = NULL;
  int64_t nBatch = -1;
  int i;

  makeFolder(pTmp, "seriesA", zA, sizeof zA);
  makeFolder(pTmp, "seriesB", zB, sizeof zB);
  initSenders(aS, 6, w, STUDY);
  for(i = 0; i < 6; i++) {
    aS[i].zDir = i % 3 == 1 ? zB : zA;
  }
  sendTogether(w, aS, 6);
  for(i = 0; i < 6; i++) {
    assert_int_equal(aS[i].rc, 0);
    assert_int_equal(aS[i].nOk, 1);
  }
  store_writer_stats(w, &nBatch, NULL);
  assert_int_equal(nBatch, 1);
  assert_int_equal(storeWriterDirSyncs(w), 2);
  /* Alone in its transaction, a placed image syncs its folder again. */
  aS[0].iThread = 6;
  aS[0].nOk = 0;
  runSenders(aS, 1, sendThread);
  assert_int_equal(aS[0].nOk, 1);
  assert_int_equal(storeWriterDirSyncs(w), 3);
  store_writer_close(w);
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM instances"),
                   7);
  tsu_consistent(pStore);
  store_close(pStore);
}

/* A folder that cannot be synced fails the whole transaction: every
 * request in it (placed or not) gets STORE_ERR_IO and the reason, and
 * nothing of it is committed. */
static void test_store_writer_placed_sync_failure_fails_all(void **state)
{
  struct tsu_dir *pTmp = *state;
  store_writer *w = openWriter(pTmp->zPath);
  char zA[600], zGone[600];
  struct sender aS[3];
  store *pStore = NULL;
  int i;

  makeFolder(pTmp, "seriesA", zA, sizeof zA);
  snprintf(zGone, sizeof zGone, "%s/no-such-folder", pTmp->zDir);
  initSenders(aS, 3, w, STUDY);
  aS[0].zDir = zA;
  aS[1].zDir = zGone;
  aS[2].zDir = NULL; /* store_writer_receive(), no folder of its own */
  sendTogether(w, aS, 3);
  for(i = 0; i < 3; i++) {
    assert_int_equal(aS[i].rc, STORE_ERR_IO);
    assert_int_equal(aS[i].nOk, 0);
    tsu_contains(aS[i].zErr, "cannot open directory");
    tsu_contains(aS[i].zErr, "no-such-folder");
  }
  /* The writer goes on: the next transaction commits. */
  aS[0].iThread = 3;
  aS[0].rc = 0;
  runSenders(aS, 1, sendThread);
  assert_int_equal(aS[0].rc, 0);
  assert_int_equal(aS[0].nOk, 1);
  store_writer_close(w);
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM instances"),
                   1);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM queue"), 1);
  tsu_consistent(pStore);
  store_close(pStore);
}

/* ---- store_writer_run ------------------------------------------------- */

/* One store_writer_run() call on its own thread.  No cmocka calls. */
struct runner {
  store_writer *w;     /* Shared writer */
  store_writer_fn xFn; /* Work to run */
  int64_t iId;         /* IN/OUT of the work: an instance id */
  int rc;              /* OUT: what store_writer_run() returned */
  char zErr[512];      /* OUT: its message */
  pthread_t thread;    /* The thread */
};

/* Work: claims the oldest pending image into pR->iId. */
static int claimWork(store *pStore, void *pArg)
{
  struct runner *pR = pArg;
  char zPath[256];

  return store_queue_claim(pStore, "run", &pR->iId, zPath, sizeof zPath);
}

/* Work that writes a metric of pR->iId and then fails (its queue row
 * cannot be marked done: the id is not queued, pR->iId + 1000 is). */
static int failWork(store *pStore, void *pArg)
{
  struct runner *pR = pArg;
  int rc = store_metric_put(pStore, pR->iId, "noise_sigma", 1.5, NULL, -1);

  if(rc == STORE_OK) {
    rc = store_queue_done(pStore, pR->iId + 1000, NULL);
  }
  return rc;
}

static void *runThread(void *pArg)
{
  struct runner *pR = pArg;

  pR->rc = store_writer_run(pR->w, pR->xFn, pR, pR->zErr, sizeof pR->zErr);
  return NULL;
}

/* Work from other threads shares the receivers' transaction; work that
 * fails undoes only its own writes and returns its status and message. */
static void test_store_writer_run_joins_batch_and_fails_alone(void **state)
{
  struct tsu_dir *pTmp = *state;
  store_writer *w = openWriter(pTmp->zPath);
  struct sender aS[2];
  pthread_t aThread[2];
  struct runner aR[2];
  store *pStore = NULL;
  int64_t nBatch = -1;
  int i;

  memset(aS, 0, sizeof aS);
  memset(aR, 0, sizeof aR);
  aS[0].w = w;
  aS[0].zStudy = STUDY;
  aS[0].nSend = 1;
  runSenders(aS, 1, sendThread); /* instance 1, queued */
  assert_int_equal(aS[0].nOk, 1);
  store_writer_stats(w, &nBatch, NULL);
  assert_int_equal(nBatch, 1);

  /* One batch: a receive (instance 2), a claim, a failing work. */
  storeWriterHold(w, 1);
  aS[1].w = w;
  aS[1].zStudy = STUDY;
  aS[1].iThread = 1;
  aS[1].nSend = 1;
  startSenders(&aS[1], aThread, 1);
  waitQueued(w, 1);
  aR[0].w = w;
  aR[0].xFn = claimWork;
  aR[1].w = w;
  aR[1].xFn = failWork;
  aR[1].iId = 1;
  for(i = 0; i < 2; i++) {
    assert_int_equal(pthread_create(&aR[i].thread, NULL, runThread, &aR[i]),
                     0);
    waitQueued(w, 2 + i);
  }
  storeWriterHold(w, 0);
  joinSenders(aThread, 1);
  for(i = 0; i < 2; i++) {
    pthread_join(aR[i].thread, NULL);
  }
  store_writer_stats(w, &nBatch, NULL);
  assert_int_equal(nBatch, 2);
  assert_int_equal(aS[1].rc, 0);
  assert_int_equal(aR[0].rc, STORE_OK);
  assert_int_equal(aR[0].iId, 1); /* the oldest pending */
  assert_int_equal(aR[1].rc, STORE_NOTFOUND);
  tsu_contains(aR[1].zErr, "not queued");
  store_writer_close(w);

  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM instances"),
                   2);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM queue"
                                            " WHERE state = 'claimed'"),
                   1);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM metrics"),
                   0);
  tsu_consistent(pStore);
  store_close(pStore);
}

static void test_store_writer_bad_calls_return_STORE_MISUSE(void **state)
{
  struct tsu_dir *pTmp = *state;
  store_writer *w = openWriter(pTmp->zPath);
  store_writer *pBad = NULL;
  char zPath[256];
  struct store_instance in =
      tsu_instance(STUDY, "1.2.3.1", zPath, sizeof zPath);
  char zErr[256];
  char zNoDir[700];
  int64_t iId = -7;

  assert_int_equal(store_writer_receive(NULL, &in, &iId, zErr, sizeof zErr),
                   STORE_MISUSE);
  tsu_contains(zErr, "store_writer_receive");
  assert_int_equal(store_writer_receive(w, NULL, &iId, NULL, 0), STORE_MISUSE);
  in.zFilePath = NULL; /* a placed file needs its path */
  assert_int_equal(
      store_writer_receive_placed(w, &in, &iId, zErr, sizeof zErr),
      STORE_MISUSE);
  tsu_contains(zErr, "store_writer_receive_placed");
  in.zFilePath = zPath;
  in.zStudyInstanceUid = NULL;
  assert_int_equal(store_writer_receive(w, &in, &iId, zErr, sizeof zErr),
                   STORE_MISUSE);
  tsu_contains(zErr, "zStudyInstanceUid");
  assert_int_equal(iId, -7);
  assert_int_equal(store_writer_run(w, NULL, NULL, zErr, sizeof zErr),
                   STORE_MISUSE);
  tsu_contains(zErr, "store_writer_run");
  assert_int_equal(store_writer_run(NULL, claimWork, NULL, NULL, 0),
                   STORE_MISUSE);
  store_writer_close(w);
  /* A writer that cannot open its database says why. */
  snprintf(zNoDir, sizeof zNoDir, "%s/no/such/qc.sqlite", pTmp->zDir);
  assert_int_equal(store_writer_open(zNoDir, &pBad), STORE_ERR_IO);
  assert_non_null(pBad);
  tsu_contains(store_writer_errmsg(pBad), zNoDir);
  assert_int_equal(store_writer_receive(pBad, &in, &iId, NULL, 0),
                   STORE_MISUSE);
  store_writer_close(pBad);
  store_writer_close(NULL); /* harmless */
  assert_int_equal(store_writer_open(pTmp->zPath, NULL), STORE_MISUSE);
}

/* ---- measurement ------------------------------------------------------ */

#define N_SEND 1000

/* Receives N_SEND instances from nThread threads into a new database
 * zName in pTmp's directory, in one of three modes: iMode 0 one
 * transaction per image on own connections, 1 the writer capped at one
 * request per transaction, 2 the writer grouping.  Prints rows/s. */
static void measure(const struct tsu_dir *pTmp, const char *zName, int nThread,
                    int iMode)
{
  static const char *const azMode[] = {"own connection, 1 txn per image",
                                       "writer, 1 request per txn",
                                       "writer, group commit"};
  struct sender aS[16];
  char zPath[700];
  char zTxn[48];
  store_writer *w = NULL;
  store *pStore = NULL;
  int64_t nBatch = 0;
  double t0, dt;
  int i;

  snprintf(zPath, sizeof zPath, "%s/%s", pTmp->zDir, zName);
  assert_int_equal(store_open(zPath, &pStore), STORE_OK); /* migrated */
  if(iMode > 0) {
    w = openWriter(zPath);
    storeWriterMaxBatch(w, iMode == 1 ? 1 : 0);
  }
  memset(aS, 0, sizeof aS);
  for(i = 0; i < nThread; i++) {
    aS[i].w = w;
    aS[i].zDbPath = zPath;
    aS[i].zStudy = STUDY;
    aS[i].iThread = i;
    aS[i].nSend = N_SEND / nThread + (i < N_SEND % nThread);
  }
  t0 = seconds();
  runSenders(aS, nThread, iMode > 0 ? sendThread : sendOwnThread);
  dt = seconds() - t0;
  store_writer_stats(w, &nBatch, NULL);
  store_writer_close(w);
  for(i = 0; i < nThread; i++) {
    if(aS[i].rc != 0) {
      fail_msg("%s, thread %d: status %d: %s", azMode[iMode], i, aS[i].rc,
               aS[i].zErr);
    }
  }
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT count(*) FROM queue"),
                   N_SEND);
  assert_int_equal(tsu_int(storeDb(pStore), "SELECT instances FROM studies"),
                   N_SEND);
  if(iMode > 0) {
    snprintf(zTxn, sizeof zTxn, "%lld transactions", (long long)nBatch);
  } else {
    snprintf(zTxn, sizeof zTxn, "%d transactions", N_SEND);
  }
  print_message("%-32s %2d threads: %d rows in %.3f s = %.0f rows/s,"
                " %s\n",
                azMode[iMode], nThread, N_SEND, dt, N_SEND / dt, zTxn);
  if(iMode == 2) {
    assert_true(nBatch <= N_SEND);
  }
  store_close(pStore);
}

static void test_store_writer_group_commit_measurement(void **state)
{
  struct tsu_dir *pTmp = *state;

  measure(pTmp, "own.sqlite", 4, 0);
  measure(pTmp, "single.sqlite", 4, 1);
  measure(pTmp, "group.sqlite", 4, 2);
  measure(pTmp, "group16.sqlite", 16, 2);
}

/* ---- runner ----------------------------------------------------------- */

#define DIR_TEST(f)                                                           \
  cmocka_unit_test_setup_teardown(f, tsu_setup_dir, tsu_teardown_dir)

int main(void)
{
  const struct CMUnitTest aTest[] = {
      DIR_TEST(test_store_writer_receive_commits_three_rows),
      DIR_TEST(test_store_writer_waiting_requests_share_one_commit),
      DIR_TEST(test_store_writer_failing_request_fails_alone),
      DIR_TEST(test_store_writer_placed_syncs_each_folder_once),
      DIR_TEST(test_store_writer_placed_sync_failure_fails_all),
      DIR_TEST(test_store_writer_run_joins_batch_and_fails_alone),
      DIR_TEST(test_store_writer_bad_calls_return_STORE_MISUSE),
      DIR_TEST(test_store_writer_group_commit_measurement),
  };

  return cmocka_run_group_tests(aTest, NULL, NULL);
}
