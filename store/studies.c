/* SPDX-License-Identifier: BSD-3-Clause
 *
 * studies.c - study-level verdicts, and the read queries behind
 * `dicomqc studies` and `dicomqc show`.
 *
 * A study is complete when nothing has arrived for it for the idle time
 * and every instance of it has been scored (no queue row pending or
 * claimed).  Closing it computes, in SQL, the worst of its images'
 * verdicts and the union of their reasons, with SQLite's JSON functions
 * (json_each, json_group_array; built into SQLite since 3.38 and part of
 * Debian's build before that), so reasons are never parsed by hand.
 * Closing happens in one transaction; the caller's callback runs after
 * the commit, so it never reports a study that then failed to close.
 *
 * Tests: tests/unit/test_store_studies.c
 */
#include "store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest idle time accepted, seconds (about 31 years): keeps the SQLite
 * date modifier short and in range. */
#define IDLE_MAX 1e9

/* A study's verdict as reported: 'pending' until complete. */
#define VERDICT_SQL                                                           \
  "(CASE WHEN s.complete = 0 THEN 'pending'"                                  \
  " ELSE COALESCE(s.verdict, 'unscored') END)"

/* The columns of struct store_study, in field order.  An instance counts
 * as scored when its queue row is done, or when it was never queued but
 * has a verdict (scored by `dicomqc score`). */
#define STUDY_SELECT                                                          \
  "SELECT s.study_instance_uid, s.modality, s.instances,"                     \
  " (SELECT count(*) FROM instances i"                                        \
  "  LEFT JOIN queue q ON q.instance_id = i.id"                               \
  "  WHERE i.study_instance_uid = s.study_instance_uid"                       \
  "  AND (q.state = 'done' OR (q.state IS NULL AND EXISTS"                    \
  "  (SELECT 1 FROM verdicts v WHERE v.instance_id = i.id)))),"               \
  " " VERDICT_SQL ", COALESCE(s.reasons, '[]'), s.complete,"                  \
  " s.first_received_at, s.last_received_at, s.completed_at"                  \
  " FROM studies s"

/* ?1 since (or NULL), ?2 verdict (or NULL). */
static const char zStudyList[] =
    STUDY_SELECT " WHERE (?1 IS NULL OR s.last_received_at >= ?1)"
                 " AND (?2 IS NULL OR " VERDICT_SQL " = ?2)"
                 " ORDER BY s.last_received_at DESC, s.study_instance_uid";

static const char zStudyGet[] =
    STUDY_SELECT " WHERE s.study_instance_uid = ?1";

/* ?1 now, ?2 "-<idle> seconds". */
static const char zStudyIdle[] =
    "SELECT s.study_instance_uid FROM studies s WHERE s.complete = 0"
    " AND s.last_received_at <= strftime('%Y-%m-%dT%H:%M:%fZ', ?1, ?2)"
    " AND NOT EXISTS (SELECT 1 FROM instances i"
    "  JOIN queue q ON q.instance_id = i.id"
    "  WHERE i.study_instance_uid = s.study_instance_uid"
    "  AND q.state IN ('pending', 'claimed'))"
    " ORDER BY s.last_received_at, s.study_instance_uid";

/* ?1 study, ?2 now.  The images that judge the study: every image,
 * except that an MR series of three or more images with a quality is
 * judged by its median image (by quality, the lower of the two middle
 * ones for an even count, then by id; its images without a quality still
 * count, for their errors): one bad slice at the edge of a volume does
 * not make the whole study a retake.  Worst verdict of those: retake 3
 * > warn 2 > pass 1 > unscored 0, where 'error' and no verdict count as
 * unscored.  Reasons: the distinct string elements of their reasons and
 * "Not scored: <error>" of those in error, ordered by first appearance
 * (instance id, then position in its array, its error last); text that
 * is not JSON is skipped. */
#define JUDGED_SQL                                                            \
  "WITH iv AS (SELECT i.id, COALESCE(i.series_instance_uid, '') AS s,"        \
  "  i.modality AS m, v.verdict, v.quality, v.reasons, v.error"               \
  "  FROM instances i LEFT JOIN verdicts v ON v.instance_id = i.id"           \
  "  WHERE i.study_instance_uid = ?1),"                                       \
  " mr AS (SELECT s FROM iv WHERE m = 'MR' AND quality IS NOT NULL"           \
  "  GROUP BY s HAVING count(*) >= 3),"                                       \
  " ranked AS (SELECT iv.*, row_number() OVER (PARTITION BY s"                \
  "  ORDER BY quality, id) AS k, count(*) OVER (PARTITION BY s) AS n"         \
  "  FROM iv WHERE quality IS NOT NULL AND s IN (SELECT s FROM mr)),"         \
  " judged AS (SELECT id, verdict, reasons, error FROM iv"                    \
  "  WHERE s NOT IN (SELECT s FROM mr) OR quality IS NULL"                    \
  "  UNION ALL SELECT id, verdict, reasons, error FROM ranked"                \
  "  WHERE k = (n + 1) / 2) "
static const char zStudyClose[] =
    "UPDATE studies SET complete = 1, completed_at = ?2,"
    " verdict = (" JUDGED_SQL
    "  SELECT CASE max(CASE verdict WHEN 'retake' THEN 3"
    "  WHEN 'warn' THEN 2 WHEN 'pass' THEN 1 ELSE 0 END)"
    "  WHEN 3 THEN 'retake' WHEN 2 THEN 'warn' WHEN 1 THEN 'pass'"
    "  ELSE 'unscored' END FROM judged),"
    " reasons = (" JUDGED_SQL
    "  SELECT json_group_array(r) FROM (SELECT r FROM ("
    "  SELECT je.value AS r, j.id * 1000000 + COALESCE(je.key, 0) AS o"
    "  FROM judged j,"
    "  json_each(CASE WHEN json_valid(j.reasons) THEN j.reasons"
    "  ELSE '[]' END) je"
    "  WHERE je.type = 'text'"
    "  UNION ALL"
    "  SELECT 'Not scored: ' || COALESCE(j.error, 'scoring failed'),"
    "  j.id * 1000000 + 999999"
    "  FROM judged j WHERE j.verdict = 'error')"
    "  GROUP BY r ORDER BY min(o)))"
    " WHERE study_instance_uid = ?1";

static const char zAlertStudy[] =
    "INSERT INTO alerts(kind, instance_id, study_instance_uid, verdict,"
    " reasons, created_at)"
    " SELECT 'study', NULL, study_instance_uid, verdict, reasons, ?2"
    " FROM studies WHERE study_instance_uid = ?1 AND verdict = 'retake'"
    " ON CONFLICT DO NOTHING";

static const char zStudyInstances[] =
    "SELECT i.id, i.sop_instance_uid, i.series_instance_uid,"
    " i.sop_class_uid, i.modality, i.file_path, i.file_size,"
    " i.received_at, q.state, q.attempts, v.verdict, v.quality,"
    " v.reasons, COALESCE(v.error, q.last_error)"
    " FROM instances i LEFT JOIN queue q ON q.instance_id = i.id"
    " LEFT JOIN verdicts v ON v.instance_id = i.id"
    " WHERE i.study_instance_uid = ?1"
    " ORDER BY i.series_instance_uid, i.received_at, i.id";

static const char zMetricsEach[] =
    "SELECT name, value, unit, frame FROM metrics WHERE instance_id = ?1"
    " ORDER BY name, COALESCE(frame, -1)";

/* UIDs of the studies one call closes. */
struct uid_list {
  char **azUid;  /* The UIDs, each owned */
  size_t n;      /* How many */
  size_t nAlloc; /* Slots allocated */
};

/* ---- reading studies ------------------------------------------------ */

/* Fills *pS from the current row of a STUDY_SELECT statement. */
static void readStudy(sqlite3_stmt *pStmt, struct store_study *pS)
{
  pS->zStudyInstanceUid = storeColText(pStmt, 0);
  pS->zModality = storeColText(pStmt, 1);
  pS->nInstances = sqlite3_column_int64(pStmt, 2);
  pS->nScored = sqlite3_column_int64(pStmt, 3);
  pS->zVerdict = storeColText(pStmt, 4);
  pS->zReasonsJson = storeColText(pStmt, 5);
  pS->isComplete = sqlite3_column_int(pStmt, 6) != 0;
  pS->zFirstReceivedAt = storeColText(pStmt, 7);
  pS->zLastReceivedAt = storeColText(pStmt, 8);
  pS->zCompletedAt = storeColText(pStmt, 9);
}

/* Steps a bound STUDY_SELECT statement, calling xEach per row until it
 * returns non-zero; counts rows in *pnRow.  Resets the statement. */
static int eachStudy(store *p, sqlite3_stmt *pStmt, int rcBind,
                     const char *zOp, store_study_fn xEach, void *pCtx,
                     int64_t *pnRow)
{
  struct store_study s; /* The current row */
  int rc = rcBind;      /* Status */

  *pnRow = 0;
  while(rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(pStmt);
    if(rc != SQLITE_ROW) {
      break;
    }
    (*pnRow)++;
    readStudy(pStmt, &s);
    if(xEach != NULL && xEach(pCtx, &s) != 0) {
      rc = SQLITE_DONE;
    }
  }
  rc = rc == SQLITE_DONE ? STORE_OK : storeSqlErr(p, rc, "%s", zOp);
  storeStmtDone(pStmt);
  return rc;
}

/* Checks a verdict filter. */
static int verdictKnown(const char *z)
{
  static const char *const azKnown[] = {"pass", "warn", "retake", "unscored",
                                        "pending"};
  size_t i; /* Known verdict tried */

  for(i = 0; i < sizeof azKnown / sizeof azKnown[0]; i++) {
    if(strcmp(z, azKnown[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Checks the filters of store_studies_list(), normalising zSince. */
static int checkListArgs(store *p, const char *zSince, const char *zVerdict,
                         store_study_fn xEach, char *zSinceNorm)
{
  if(xEach == NULL) {
    return storeErr(p, STORE_MISUSE, "store_studies_list: xEach is NULL");
  }
  if(zVerdict != NULL && !verdictKnown(zVerdict)) {
    return storeErr(p, STORE_MISUSE,
                    "store_studies_list: unknown verdict '%s' (pass, warn, "
                    "retake, unscored or pending)",
                    zVerdict);
  }
  if(zSince == NULL) {
    return STORE_OK;
  }
  return storeTimeNorm(p, zSince, "store_studies_list: since", zSinceNorm);
}

int store_studies_list(store *p, const char *zSince, const char *zVerdict,
                       store_study_fn xEach, void *pCtx)
{
  char zFrom[STORE_TIME_MAX]; /* zSince normalised */
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int64_t nRow;               /* Studies seen */
  int rc = storeCheck(p);     /* Status */

  if(rc == STORE_OK) {
    rc = checkListArgs(p, zSince, zVerdict, xEach, zFrom);
  }
  if(rc == STORE_OK) {
    rc = storeStmt(p, STORE_STMT_STUDY_LIST, zStudyList, "store_studies_list",
                   &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storeBindText(pStmt, 1, zSince ? zFrom : NULL);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, zVerdict);
  }
  return eachStudy(p, pStmt, rc, "store_studies_list", xEach, pCtx, &nRow);
}

int store_study_get(store *p, const char *zStudyUid, store_study_fn xEach,
                    void *pCtx)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int64_t nRow = 0;           /* 0 or 1 */
  int rc = storeCheck(p);     /* Status */

  if(rc == STORE_OK && (zStudyUid == NULL || xEach == NULL)) {
    rc = storeErr(p, STORE_MISUSE, "store_study_get: NULL argument");
  }
  if(rc == STORE_OK) {
    rc = storeStmt(p, STORE_STMT_STUDY_GET, zStudyGet, "store_study_get",
                   &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storeBindText(pStmt, 1, zStudyUid);
  rc = eachStudy(p, pStmt, rc, "store_study_get", xEach, pCtx, &nRow);
  if(rc == STORE_OK && nRow == 0) {
    rc =
        storeErr(p, STORE_NOTFOUND, "store_study_get: no study %s", zStudyUid);
  }
  return rc;
}

/* ---- closing idle studies ------------------------------------------- */

/* Appends a copy of zUid to pList. */
static int listAdd(store *p, struct uid_list *pList, const char *zUid)
{
  char **azNew; /* Grown array */

  if(pList->n == pList->nAlloc) {
    size_t nNew = pList->nAlloc ? 2 * pList->nAlloc : 16;
    azNew = realloc(pList->azUid, nNew * sizeof *azNew);
    if(azNew == NULL) {
      return storeErr(p, STORE_ERR_NOMEM, "closing studies: out of memory");
    }
    pList->azUid = azNew;
    pList->nAlloc = nNew;
  }
  pList->azUid[pList->n] = strdup(zUid ? zUid : "");
  if(pList->azUid[pList->n] == NULL) {
    return storeErr(p, STORE_ERR_NOMEM, "closing studies: out of memory");
  }
  pList->n++;
  return STORE_OK;
}

static void listFree(struct uid_list *pList)
{
  size_t i; /* UID freed */

  for(i = 0; i < pList->n; i++) {
    free(pList->azUid[i]);
  }
  free(pList->azUid);
}

/* Lists the studies ready to close at zNow with idle modifier zMod. */
static int findIdle(store *p, const char *zNow, const char *zMod,
                    struct uid_list *pList)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeStmt(p, STORE_STMT_STUDY_IDLE, zStudyIdle,
                 "store_studies_close_idle", &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storeBindText(pStmt, 1, zNow);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, zMod);
  }
  while(rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(pStmt);
    if(rc == SQLITE_ROW && listAdd(p, pList, storeColText(pStmt, 0)) != 0) {
      storeStmtDone(pStmt);
      return STORE_ERR_NOMEM;
    }
  }
  rc = rc == SQLITE_DONE
           ? STORE_OK
           : storeSqlErr(p, rc, "store_studies_close_idle: finding studies");
  storeStmtDone(pStmt);
  return rc;
}

/* Runs statement iSlot with ?1 zUid and ?2 zNow. */
static int runUidNow(store *p, enum store_stmt_slot iSlot, const char *zSql,
                     const char *zUid, const char *zNow)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeStmt(p, iSlot, zSql, "store_studies_close_idle", &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storeBindText(pStmt, 1, zUid);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, zNow);
  }
  return storeStepDone(p, pStmt, rc, "store_studies_close_idle: study %s",
                       zUid);
}

/* Closes the listed studies, then commits. */
static int closeListed(store *p, const struct uid_list *pList,
                       const char *zNow)
{
  size_t i;          /* Study closed */
  int rc = STORE_OK; /* Status */

  for(i = 0; rc == STORE_OK && i < pList->n; i++) {
    rc = runUidNow(p, STORE_STMT_STUDY_CLOSE, zStudyClose, pList->azUid[i],
                   zNow);
    if(rc == STORE_OK) {
      rc = runUidNow(p, STORE_STMT_ALERT_STUDY, zAlertStudy, pList->azUid[i],
                     zNow);
    }
  }
  return rc;
}

/* Passes studies to the caller's callback, remembering a stop. */
struct stop_ctx {
  store_study_fn xEach; /* The caller's callback */
  void *pCtx;           /* Its context */
  int isStopped;        /* It returned non-zero */
};

static int stopWrap(void *pArg, const struct store_study *pStudy)
{
  struct stop_ctx *pStop = pArg; /* The caller's callback and state */

  pStop->isStopped = pStop->xEach(pStop->pCtx, pStudy) != 0;
  return pStop->isStopped;
}

/* Calls xEach for each closed study, read back after the commit; stops
 * when it returns non-zero.  A study deleted meanwhile is skipped. */
static int reportClosed(store *p, const struct uid_list *pList,
                        store_study_fn xEach, void *pCtx)
{
  struct stop_ctx stop = {xEach, pCtx, 0}; /* Callback and its stop */
  size_t i;                                /* Study reported */
  int rc = STORE_OK;                       /* Status */

  for(i = 0; rc == STORE_OK && i < pList->n && !stop.isStopped; i++) {
    rc = store_study_get(p, pList->azUid[i], stopWrap, &stop);
    if(rc == STORE_NOTFOUND) {
      rc = STORE_OK;
    }
  }
  return rc;
}

int store_studies_close_idle(store *p, double idleSeconds,
                             store_study_fn xEach, void *pCtx)
{
  struct uid_list list = {NULL, 0, 0}; /* Studies closed */
  char zNow[STORE_TIME_MAX];           /* completed_at */
  char zMod[64];                       /* "-60.000 seconds" */
  int rc = storeCheck(p);              /* Status */

  if(rc == STORE_OK &&
     (!isfinite(idleSeconds) || idleSeconds < 0 || idleSeconds > IDLE_MAX)) {
    rc = storeErr(p, STORE_MISUSE,
                  "store_studies_close_idle: idle time %g s is not "
                  "between 0 and %g",
                  idleSeconds, IDLE_MAX);
  }
  if(rc == STORE_OK) {
    rc = storeTxnBegin(p, "store_studies_close_idle");
  }
  if(rc != STORE_OK) {
    return rc;
  }
  storeNow(p, zNow);
  snprintf(zMod, sizeof zMod, "-%.3f seconds", idleSeconds);
  rc = findIdle(p, zNow, zMod, &list);
  if(rc == STORE_OK) {
    rc = closeListed(p, &list, zNow);
  }
  rc = storeTxnEnd(p, rc);
  if(rc == STORE_OK && xEach != NULL) {
    rc = reportClosed(p, &list, xEach, pCtx);
  }
  listFree(&list);
  return rc;
}

/* ---- instances and metrics ------------------------------------------ */

/* Fills *pR from the current row of zStudyInstances. */
static void readInstance(sqlite3_stmt *pStmt, struct store_instance_row *pR)
{
  pR->iId = sqlite3_column_int64(pStmt, 0);
  pR->zSopInstanceUid = storeColText(pStmt, 1);
  pR->zSeriesInstanceUid = storeColText(pStmt, 2);
  pR->zSopClassUid = storeColText(pStmt, 3);
  pR->zModality = storeColText(pStmt, 4);
  pR->zFilePath = storeColText(pStmt, 5);
  pR->nFileSize = sqlite3_column_int64(pStmt, 6);
  pR->zReceivedAt = storeColText(pStmt, 7);
  pR->zQueueState = storeColText(pStmt, 8);
  pR->nAttempts = sqlite3_column_int64(pStmt, 9);
  pR->zVerdict = storeColText(pStmt, 10);
  pR->hasQuality = sqlite3_column_type(pStmt, 11) != SQLITE_NULL;
  pR->quality = sqlite3_column_double(pStmt, 11);
  pR->zReasonsJson = storeColText(pStmt, 12);
  pR->zError = storeColText(pStmt, 13);
}

int store_study_instances(store *p, const char *zStudyUid,
                          int (*xEach)(void *pCtx,
                                       const struct store_instance_row *pRow),
                          void *pCtx)
{
  struct store_instance_row r; /* The current row */
  sqlite3_stmt *pStmt = NULL;  /* Cached statement */
  int rc = storeCheck(p);      /* Status */

  if(rc == STORE_OK && (zStudyUid == NULL || xEach == NULL)) {
    rc = storeErr(p, STORE_MISUSE, "store_study_instances: NULL argument");
  }
  if(rc == STORE_OK) {
    rc = storeStmt(p, STORE_STMT_STUDY_INSTANCES, zStudyInstances,
                   "store_study_instances", &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storeBindText(pStmt, 1, zStudyUid);
  while(rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(pStmt);
    if(rc == SQLITE_ROW) {
      readInstance(pStmt, &r);
      if(xEach(pCtx, &r) != 0) {
        rc = SQLITE_DONE;
      }
    }
  }
  rc = rc == SQLITE_DONE
           ? STORE_OK
           : storeSqlErr(p, rc, "store_study_instances: %s", zStudyUid);
  storeStmtDone(pStmt);
  return rc;
}

int store_metrics_each(store *p, int64_t iInstance,
                       int (*xEach)(void *pCtx, const char *zName,
                                    double value, const char *zUnit,
                                    int iFrame),
                       void *pCtx)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc = storeCheck(p);     /* Status */

  if(rc == STORE_OK && xEach == NULL) {
    rc = storeErr(p, STORE_MISUSE, "store_metrics_each: xEach is NULL");
  }
  if(rc == STORE_OK) {
    rc = storeStmt(p, STORE_STMT_METRICS_EACH, zMetricsEach,
                   "store_metrics_each", &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_bind_int64(pStmt, 1, iInstance);
  while(rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(pStmt);
    if(rc == SQLITE_ROW &&
       xEach(pCtx, storeColText(pStmt, 0), sqlite3_column_double(pStmt, 1),
             storeColText(pStmt, 2),
             sqlite3_column_type(pStmt, 3) == SQLITE_NULL
                 ? -1
                 : sqlite3_column_int(pStmt, 3)) != 0) {
      rc = SQLITE_DONE;
    }
  }
  rc = rc == SQLITE_DONE
           ? STORE_OK
           : storeSqlErr(p, rc, "store_metrics_each: instance %lld",
                         (long long)iInstance);
  storeStmtDone(pStmt);
  return rc;
}
