/* SPDX-License-Identifier: BSD-3-Clause
 *
 * queue.c - the receive step and the durable work queue.
 *
 * Receiving an instance writes three rows in one savepoint: the instance
 * (results.c's upsert), its queue row set to 'pending', and its study
 * row (created or reopened).  The group-commit writer (writer.c) runs
 * many receive steps in one transaction.
 *
 * Workers take rows with store_queue_claim(): a look without any lock
 * first, so idle workers polling an empty queue never block the writer;
 * then, under BEGIN IMMEDIATE, the oldest pending row is marked claimed.
 * SQLite's write lock makes the claim atomic across threads and
 * processes, and in WAL mode a write transaction always reads the newest
 * data, so two handles can never claim one row.  store_queue_done() runs
 * inside the worker's own transaction with its metrics and verdict, so
 * the three become durable together; a crash before that commit leaves
 * the row claimed, and store_queue_reset() at the next start queues it
 * again, up to STORE_QUEUE_MAX_ATTEMPTS claims.
 *
 * Tests: tests/unit/test_store_queue.c, tests/unit/test_store_writer.c
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

static const char zEnqueue[] =
    "INSERT INTO queue(instance_id, state, enqueued_at, attempts)"
    " VALUES(?1, 'pending', ?2, 0)"
    " ON CONFLICT(instance_id) DO UPDATE SET state = 'pending',"
    " enqueued_at = excluded.enqueued_at, claimed_at = NULL,"
    " claimed_by = NULL, attempts = 0, last_error = NULL";

/* Whether the instance row a put would write exists already. */
static const char zRxExists[] =
    "SELECT 1 FROM instances WHERE sop_instance_uid = ?1 AND file_path = ?2";

/* ?1 study UID, ?2 modality, ?3 arrival time, ?4 1 for a new instance
 * row, else 0.  Updating an existing study is the common case and must
 * not cost a count of its instances, which would make receiving a study
 * of n images O(n^2). */
static const char zStudyUpdate[] =
    "UPDATE studies SET modality = COALESCE(modality, ?2),"
    " first_received_at = min(first_received_at, ?3),"
    " last_received_at = max(last_received_at, ?3),"
    " instances = instances + ?4, complete = 0, verdict = 'pending',"
    " reasons = NULL, completed_at = NULL"
    " WHERE study_instance_uid = ?1";

/* A new study counts the instance rows it already has (e.g. written by
 * `dicomqc score` before any was received). */
static const char zStudyInsert[] =
    "INSERT INTO studies(study_instance_uid, modality, first_received_at,"
    " last_received_at, instances, complete, verdict)"
    " VALUES(?1, ?2, ?3, ?3,"
    " (SELECT count(*) FROM instances WHERE study_instance_uid = ?1),"
    " 0, 'pending')";

static const char zPeek[] =
    "SELECT 1 FROM queue WHERE state = 'pending' LIMIT 1";

static const char zOldest[] =
    "SELECT q.instance_id, i.file_path FROM queue q"
    " JOIN instances i ON i.id = q.instance_id"
    " WHERE q.state = 'pending' ORDER BY q.enqueued_at, q.instance_id"
    " LIMIT 1";

static const char zClaim[] =
    "UPDATE queue SET state = 'claimed', claimed_at = ?2,"
    " claimed_by = ?3, attempts = attempts + 1 WHERE instance_id = ?1";

static const char zDone[] = "UPDATE queue SET state = 'done', last_error = ?2"
                            " WHERE instance_id = ?1 AND state = 'claimed'";

static const char zExists[] = "SELECT 1 FROM queue WHERE instance_id = ?1";

static const char zDepth[] =
    "SELECT (SELECT count(*) FROM queue WHERE state = 'pending'),"
    " (SELECT count(*) FROM queue WHERE state = 'claimed')";

/* ?1 now, ?2 STORE_QUEUE_MAX_ATTEMPTS. */
static const char zGiveUp[] =
    "INSERT OR REPLACE INTO verdicts(instance_id, verdict, quality,"
    " reasons, error, decided_at)"
    " SELECT instance_id, 'error', NULL, '[]', 'scoring stopped ' ||"
    " attempts || ' times without finishing (the worker crashed or was"
    " killed); not tried again', ?1"
    " FROM queue WHERE state = 'claimed' AND attempts >= ?2";

static const char zReset[] =
    "UPDATE queue SET"
    " state = CASE WHEN attempts >= ?2 THEN 'done' ELSE 'pending' END,"
    " last_error = CASE WHEN attempts >= ?2 THEN 'given up after ' ||"
    "  attempts || ' interrupted attempts' ELSE last_error END,"
    " claimed_at = NULL, claimed_by = NULL WHERE state = 'claimed'";

/* ?1 instance, ?2 now. */
static const char zAlertImage[] =
    "INSERT INTO alerts(kind, instance_id, study_instance_uid, verdict,"
    " reasons, created_at)"
    " SELECT 'image', v.instance_id, i.study_instance_uid, v.verdict,"
    " v.reasons, ?2 FROM verdicts v JOIN instances i ON i.id ="
    " v.instance_id WHERE v.instance_id = ?1 AND v.verdict = 'retake'"
    " ON CONFLICT DO NOTHING";

/* Savepoint of one receive step. */
#define RX_SAVEPOINT "store_receive"

/* ---- receiving ------------------------------------------------------ */

/* Queues instance iId as pending, enqueued at zNow. */
static int enqueue(store *p, int64_t iId, const char *zNow)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeStmt(p, STORE_STMT_QUEUE_ENQUEUE, zEnqueue, "receive", &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_bind_int64(pStmt, 1, iId);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, zNow);
  }
  return storeStepDone(p, pStmt, rc, "receive: queueing instance %lld",
                       (long long)iId);
}

/* Sets *pIsNew to 1 when no instance row has pIn's key yet. */
static int instanceIsNew(store *p, const struct store_instance *pIn,
                         int *pIsNew)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeStmt(p, STORE_STMT_RX_EXISTS, zRxExists, "receive", &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storeBindText(pStmt, 1, pIn->zSopInstanceUid);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, pIn->zFilePath);
  }
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc == SQLITE_ROW || rc == SQLITE_DONE) {
    *pIsNew = rc == SQLITE_DONE;
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, rc, "receive: %s", pIn->zFilePath);
  }
  storeStmtDone(pStmt);
  return rc;
}

/* Runs the study statement of slot iSlot for pIn. */
static int studyStep(store *p, enum store_stmt_slot iSlot, const char *zSql,
                     const struct store_instance *pIn, int isNew)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeStmt(p, iSlot, zSql, "receive", &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storeBindText(pStmt, 1, pIn->zStudyInstanceUid);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, pIn->zModality);
  }
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 3, pIn->zReceivedAt);
  }
  if(rc == SQLITE_OK && iSlot == STORE_STMT_STUDY_UPDATE) {
    rc = sqlite3_bind_int(pStmt, 4, isNew);
  }
  return storeStepDone(p, pStmt, rc, "receive: study %s",
                       pIn->zStudyInstanceUid);
}

/* Reopens the study of pIn, which arrived at pIn->zReceivedAt, or
 * creates it.  isNew: pIn added an instance row. */
static int upsertStudy(store *p, const struct store_instance *pIn, int isNew)
{
  int rc; /* Status */

  rc = studyStep(p, STORE_STMT_STUDY_UPDATE, zStudyUpdate, pIn, isNew);
  if(rc == STORE_OK && sqlite3_changes(p->db) == 0) {
    rc = studyStep(p, STORE_STMT_STUDY_INSERT, zStudyInsert, pIn, isNew);
  }
  return rc;
}

/* The three writes of a receive step, inside its savepoint. */
static int receiveRows(store *p, const struct store_instance *pIn,
                       int64_t *piId)
{
  char zNow[STORE_TIME_MAX]; /* Enqueue time */
  int isNew = 0;             /* The instance row is new */
  int rc;                    /* Status */

  rc = instanceIsNew(p, pIn, &isNew);
  if(rc == STORE_OK) {
    rc = store_instance_put(p, pIn, piId);
  }
  if(rc == STORE_OK) {
    storeNow(p, zNow);
    rc = enqueue(p, *piId, zNow);
  }
  if(rc == STORE_OK) {
    rc = upsertStudy(p, pIn, isNew);
  }
  return rc;
}

int storeReceiveOne(store *p, const struct store_instance *pInst,
                    int64_t *piId)
{
  struct store_instance in; /* pInst with its arrival time filled in */
  char zAt[STORE_TIME_MAX]; /* Arrival time, normalised */
  int64_t iId = 0;          /* Instance row id */
  int rc = storeCheck(p);   /* Status */

  if(rc == STORE_OK && (pInst == NULL || pInst->zStudyInstanceUid == NULL)) {
    rc = storeErr(p, STORE_MISUSE,
                  "receive: %s is NULL; a received instance needs its "
                  "Study Instance UID",
                  pInst ? "zStudyInstanceUid" : "pInst");
  }
  if(rc != STORE_OK) {
    return rc;
  }
  in = *pInst;
  if(in.zReceivedAt != NULL) {
    rc = storeTimeNorm(p, in.zReceivedAt, "receive: zReceivedAt", zAt);
  } else {
    storeNow(p, zAt);
  }
  in.zReceivedAt = zAt;
  if(rc == STORE_OK) {
    rc = storeStmtExec(p, STORE_STMT_RX_SAVEPOINT, "SAVEPOINT " RX_SAVEPOINT,
                       "receive");
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = receiveRows(p, &in, &iId);
  if(rc == STORE_OK) {
    rc = storeStmtExec(p, STORE_STMT_RX_RELEASE, "RELEASE " RX_SAVEPOINT,
                       "receive");
  }
  if(rc != STORE_OK) {
    /* Keep the message; the savepoint may already be gone. */
    (void)sqlite3_exec(p->db,
                       "ROLLBACK TO " RX_SAVEPOINT "; RELEASE " RX_SAVEPOINT,
                       NULL, NULL, NULL);
    return rc;
  }
  *piId = iId;
  return STORE_OK;
}

/* ---- claiming ------------------------------------------------------- */

/* Sets *pAny to 1 when a pending row exists (no lock beyond a read). */
static int peekPending(store *p, int *pAny)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeStmt(p, STORE_STMT_QUEUE_PEEK, zPeek, "store_queue_claim", &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_step(pStmt);
  if(rc == SQLITE_ROW || rc == SQLITE_DONE) {
    *pAny = rc == SQLITE_ROW;
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, rc, "store_queue_claim: looking for work");
  }
  storeStmtDone(pStmt);
  return rc;
}

/* Reads the oldest pending row: its id, and its path in new memory that
 * the caller frees. */
static int oldestPending(store *p, int64_t *piId, char **pzPath)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  const unsigned char *z;     /* Path column */
  int rc;                     /* Status */

  rc = storeStmt(p, STORE_STMT_QUEUE_OLDEST, zOldest, "store_queue_claim",
                 &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_step(pStmt);
  if(rc == SQLITE_ROW) {
    *piId = sqlite3_column_int64(pStmt, 0);
    z = sqlite3_column_text(pStmt, 1);
    *pzPath = strdup(z ? (const char *)z : "");
    rc = *pzPath ? STORE_OK
                 : storeErr(p, STORE_ERR_NOMEM,
                            "store_queue_claim: out of memory");
  } else if(rc == SQLITE_DONE) {
    rc = storeErr(p, STORE_NOTFOUND, "store_queue_claim: nothing pending");
  } else {
    rc = storeSqlErr(p, rc, "store_queue_claim: reading the queue");
  }
  storeStmtDone(pStmt);
  return rc;
}

/* Marks row iId claimed by zWorker. */
static int markClaimed(store *p, int64_t iId, const char *zWorker)
{
  char zNow[STORE_TIME_MAX];  /* claimed_at */
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  storeNow(p, zNow);
  rc = storeStmt(p, STORE_STMT_QUEUE_CLAIM, zClaim, "store_queue_claim",
                 &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_bind_int64(pStmt, 1, iId);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, zNow);
  }
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 3, zWorker);
  }
  return storeStepDone(p, pStmt, rc, "store_queue_claim: instance %lld",
                       (long long)iId);
}

/* The claim transaction: oldest row, size check, mark. */
static int claimLocked(store *p, const char *zWorker, size_t nPath,
                       int64_t *piId, char **pzPath)
{
  int rc = oldestPending(p, piId, pzPath); /* Status */

  if(rc == STORE_OK && strlen(*pzPath) >= nPath) {
    rc = storeErr(p, STORE_MISUSE,
                  "store_queue_claim: the path of instance %lld needs "
                  "%zu bytes, zPath has %zu; nothing claimed",
                  (long long)*piId, strlen(*pzPath) + 1, nPath);
  }
  if(rc == STORE_OK) {
    rc = markClaimed(p, *piId, zWorker);
  }
  return rc;
}

int store_queue_claim(store *p, const char *zWorker, int64_t *piInstance,
                      char *zPath, size_t nPath)
{
  int64_t iId = 0;    /* Row claimed */
  char *zFile = NULL; /* Its path, owned */
  int isAny = 0;      /* A pending row was seen */
  int rc = storeCheck(p);

  if(rc == STORE_OK &&
     (zWorker == NULL || piInstance == NULL || zPath == NULL || nPath == 0)) {
    rc = storeErr(p, STORE_MISUSE, "store_queue_claim: NULL argument");
  }
  if(rc == STORE_OK) {
    rc = peekPending(p, &isAny);
  }
  if(rc == STORE_OK && !isAny) {
    rc = storeErr(p, STORE_NOTFOUND, "store_queue_claim: nothing pending");
  }
  if(rc == STORE_OK && !sqlite3_get_autocommit(p->db)) {
    /* Inside the caller's transaction (store_writer_run()). */
    rc = claimLocked(p, zWorker, nPath, &iId, &zFile);
  } else if(rc == STORE_OK) {
    rc = storeTxnBegin(p, "store_queue_claim");
    if(rc == STORE_OK) {
      rc = storeTxnEnd(p, claimLocked(p, zWorker, nPath, &iId, &zFile));
    }
  }
  if(rc == STORE_OK) {
    *piInstance = iId;
    memcpy(zPath, zFile, strlen(zFile) + 1);
  }
  free(zFile);
  return rc;
}

/* Sets *pExists to 1 when instance iId has a queue row. */
static int queueRowExists(store *p, int64_t iId, int *pExists)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeStmt(p, STORE_STMT_QUEUE_EXISTS, zExists, "store_queue_done",
                 &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_bind_int64(pStmt, 1, iId);
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc == SQLITE_ROW || rc == SQLITE_DONE) {
    *pExists = rc == SQLITE_ROW;
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, rc, "store_queue_done: instance %lld", (long long)iId);
  }
  storeStmtDone(pStmt);
  return rc;
}

int store_queue_done(store *p, int64_t iInstance, const char *zError)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int isThere = 0;            /* The row exists */
  int rc = storeCheck(p);     /* Status */

  if(rc == STORE_OK) {
    rc =
        storeStmt(p, STORE_STMT_QUEUE_DONE, zDone, "store_queue_done", &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_bind_int64(pStmt, 1, iInstance);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, zError);
  }
  rc = storeStepDone(p, pStmt, rc, "store_queue_done: instance %lld",
                     (long long)iInstance);
  if(rc != STORE_OK || sqlite3_changes(p->db) > 0) {
    return rc;
  }
  rc = queueRowExists(p, iInstance, &isThere);
  if(rc == STORE_OK && !isThere) {
    rc = storeErr(p, STORE_NOTFOUND,
                  "store_queue_done: instance %lld is not queued",
                  (long long)iInstance);
  }
  return rc;
}

int store_queue_depth(store *p, int64_t *pnPending, int64_t *pnClaimed)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc = storeCheck(p);     /* Status */

  if(rc == STORE_OK) {
    rc = storeStmt(p, STORE_STMT_QUEUE_DEPTH, zDepth, "store_queue_depth",
                   &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_step(pStmt);
  if(rc == SQLITE_ROW) {
    if(pnPending != NULL) {
      *pnPending = sqlite3_column_int64(pStmt, 0);
    }
    if(pnClaimed != NULL) {
      *pnClaimed = sqlite3_column_int64(pStmt, 1);
    }
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, rc, "store_queue_depth");
  }
  storeStmtDone(pStmt);
  return rc;
}

/* Runs one of the reset statements: ?1 now (if used), ?2 the limit. */
static int resetStep(store *p, enum store_stmt_slot iSlot, const char *zSql,
                     const char *zNow)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeStmt(p, iSlot, zSql, "store_queue_reset", &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  /* zReset does not use ?1; binding it anyway is harmless. */
  rc = storeBindText(pStmt, 1, zNow);
  if(rc == SQLITE_OK) {
    rc = sqlite3_bind_int(pStmt, 2, STORE_QUEUE_MAX_ATTEMPTS);
  }
  return storeStepDone(p, pStmt, rc, "store_queue_reset");
}

int store_queue_reset(store *p)
{
  char zNow[STORE_TIME_MAX]; /* decided_at of given-up rows */
  int rc = storeCheck(p);    /* Status */

  if(rc == STORE_OK) {
    rc = storeTxnBegin(p, "store_queue_reset");
  }
  if(rc != STORE_OK) {
    return rc;
  }
  storeNow(p, zNow);
  rc = resetStep(p, STORE_STMT_QUEUE_GIVE_UP, zGiveUp, zNow);
  if(rc == STORE_OK) {
    rc = resetStep(p, STORE_STMT_QUEUE_RESET, zReset, zNow);
  }
  return storeTxnEnd(p, rc);
}

/* ---- image alerts --------------------------------------------------- */

int store_alert_image(store *p, int64_t iInstance, int *pCreated)
{
  char zNow[STORE_TIME_MAX];  /* created_at */
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc = storeCheck(p);     /* Status */

  if(rc == STORE_OK) {
    rc = storeStmt(p, STORE_STMT_ALERT_IMAGE, zAlertImage, "store_alert_image",
                   &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  storeNow(p, zNow);
  rc = sqlite3_bind_int64(pStmt, 1, iInstance);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, zNow);
  }
  rc = storeStepDone(p, pStmt, rc, "store_alert_image: instance %lld",
                     (long long)iInstance);
  if(rc == STORE_OK && pCreated != NULL) {
    *pCreated = sqlite3_changes(p->db) > 0;
  }
  return rc;
}
