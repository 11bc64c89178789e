/* SPDX-License-Identifier: BSD-3-Clause
 *
 * results.c - writing and reading what the QC pipeline produces: one row
 * per received instance, its metrics and its verdict.
 *
 * Writes are idempotent so that scoring a file again (after a crash, or on
 * request) leaves one set of rows: an instance is keyed on (SOP Instance
 * UID, file path) and updated in place, keeping its id and so its metrics
 * and verdict; a metric is keyed on (instance, name, frame) and a verdict
 * on its instance, and both are replaced.  Timestamps come from SQLite's
 * clock, UTC.  All SQL goes through the statement cache of store.c.

 *
 * Tests: tests/unit/test_store.c
 */
#include "store_int.h"

#include <math.h>
#include <stddef.h>

/* Now, as the schema stores times: UTC ISO-8601 with milliseconds. */
#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/* Insert or update one instance.  ?1..?15 are the text fields in the
 * order of struct store_instance, ?16..?19 the integers, ?20 received_at
 * (NULL: now on insert, unchanged on update). */
static const char zInstanceUpsert[] =
    "INSERT INTO instances(sop_instance_uid, study_instance_uid,"
    " series_instance_uid, sop_class_uid, transfer_syntax, modality,"
    " body_part, station_name, operator_name, institution,"
    " accession_number, study_date, study_time, calling_aet, file_path,"
    " file_size, rows, columns, frames, received_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17, ?18, ?19, COALESCE(?20, " NOW_SQL "))"
    " ON CONFLICT(sop_instance_uid, file_path) DO UPDATE SET"
    " study_instance_uid = excluded.study_instance_uid,"
    " series_instance_uid = excluded.series_instance_uid,"
    " sop_class_uid = excluded.sop_class_uid,"
    " transfer_syntax = excluded.transfer_syntax,"
    " modality = excluded.modality,"
    " body_part = excluded.body_part,"
    " station_name = excluded.station_name,"
    " operator_name = excluded.operator_name,"
    " institution = excluded.institution,"
    " accession_number = excluded.accession_number,"
    " study_date = excluded.study_date,"
    " study_time = excluded.study_time,"
    " calling_aet = excluded.calling_aet,"
    " file_size = excluded.file_size,"
    " rows = excluded.rows,"
    " columns = excluded.columns,"
    " frames = excluded.frames,"
    " received_at = COALESCE(?20, received_at)";

/* The id of the row the upsert wrote.  (RETURNING would do it in one
 * statement but needs SQLite 3.35.) */
static const char zInstanceId[] =
    "SELECT id FROM instances WHERE sop_instance_uid = ?1 AND file_path = ?2";

static const char zInstanceCount[] = "SELECT count(*) FROM instances";

static const char zMetricPut[] =
    "INSERT OR REPLACE INTO metrics(instance_id, name, value, unit, frame,"
    " computed_at) VALUES(?1, ?2, ?3, ?4, ?5, " NOW_SQL ")";

static const char zMetricGet[] =
    "SELECT value FROM metrics"
    " WHERE instance_id = ?1 AND name = ?2 AND frame IS ?3";

static const char zVerdictPut[] =
    "INSERT OR REPLACE INTO verdicts(instance_id, verdict, quality, reasons,"
    " error, decided_at) VALUES(?1, ?2, ?3, ?4, ?5, " NOW_SQL ")";

/* Savepoint that makes upsert + id lookup one unit inside or outside a
 * caller's transaction. */
#define SAVEPOINT_NAME "store_instance_put"

/* Binds z, or NULL when z is NULL.  The text must outlive the step: every
 * caller steps and resets before returning, so SQLITE_STATIC is safe. */
static int bindText(sqlite3_stmt *pStmt, int i, const char *z)
{
  if(z == NULL) {
    return sqlite3_bind_null(pStmt, i);
  }
  return sqlite3_bind_text(pStmt, i, z, -1, SQLITE_STATIC);
}

/* Binds n, or NULL when n is 0 (unknown). */
static int bindCount(sqlite3_stmt *pStmt, int i, int64_t n)
{
  if(n == 0) {
    return sqlite3_bind_null(pStmt, i);
  }
  return sqlite3_bind_int64(pStmt, i, n);
}

/* Binds frame iFrame, or NULL for -1 (whole image). */
static int bindFrame(sqlite3_stmt *pStmt, int i, int iFrame)
{
  if(iFrame == -1) {
    return sqlite3_bind_null(pStmt, i);
  }
  return sqlite3_bind_int(pStmt, i, iFrame);
}

/* Checks the fields of an instance that the schema cannot. */
static int checkInstance(store *p, const struct store_instance *pIn)
{
  if(pIn == NULL) {
    return storeErr(p, STORE_MISUSE, "store_instance_put: pInst is NULL");
  }
  if(pIn->zSopInstanceUid == NULL || pIn->zFilePath == NULL) {
    return storeErr(p, STORE_MISUSE,
                    "store_instance_put: %s is NULL; it "
                    "is required (pass \"\" for a file without a SOP "
                    "Instance UID)",
                    pIn->zFilePath ? "zSopInstanceUid" : "zFilePath");
  }
  if(pIn->nFileSize < 0 || pIn->nRows < 0 || pIn->nColumns < 0 ||
     pIn->nFrames < 0) {
    return storeErr(p, STORE_MISUSE,
                    "store_instance_put: %s: size %lld x "
                    "%ld x %ld, %ld frames: negative (use 0 for unknown)",
                    pIn->zFilePath, (long long)pIn->nFileSize,
                    (long)pIn->nRows, (long)pIn->nColumns, (long)pIn->nFrames);
  }
  return STORE_OK;
}

/* Binds every parameter of zInstanceUpsert. */
static int bindInstance(sqlite3_stmt *pStmt, const struct store_instance *pIn)
{
  const char *azText[] = {
      /* ?1..?15, in column order */
      pIn->zSopInstanceUid, pIn->zStudyInstanceUid, pIn->zSeriesInstanceUid,
      pIn->zSopClassUid,    pIn->zTransferSyntax,   pIn->zModality,
      pIn->zBodyPart,       pIn->zStationName,      pIn->zOperatorName,
      pIn->zInstitution,    pIn->zAccessionNumber,  pIn->zStudyDate,
      pIn->zStudyTime,      pIn->zCallingAet,       pIn->zFilePath};
  const int64_t anCount[] = {/* ?16..?19 */
                             pIn->nFileSize, pIn->nRows, pIn->nColumns,
                             pIn->nFrames};
  const int nText = (int)(sizeof azText / sizeof azText[0]);
  const int nCount = (int)(sizeof anCount / sizeof anCount[0]);
  int rc = SQLITE_OK; /* SQLite result */
  int i;              /* Parameter index, 0-based within its group */

  for(i = 0; rc == SQLITE_OK && i < nText; i++) {
    rc = bindText(pStmt, i + 1, azText[i]);
  }
  for(i = 0; rc == SQLITE_OK && i < nCount; i++) {
    rc = bindCount(pStmt, nText + i + 1, anCount[i]);
  }
  if(rc == SQLITE_OK) {
    rc = bindText(pStmt, nText + nCount + 1, pIn->zReceivedAt);
  }
  return rc;
}

/* Runs the upsert, then reads the id of the row it wrote into *piId.
 * Must run inside the savepoint. */
static int upsertInstance(store *p, const struct store_instance *pIn,
                          int64_t *piId)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement in use */
  int rc;                     /* Status */

  rc = storeStmt(p, STORE_STMT_INSTANCE_UPSERT, zInstanceUpsert,
                 "store_instance_put", &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = bindInstance(pStmt, pIn);
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc != SQLITE_DONE) {
    rc = storeSqlErr(p, rc,
                     "store_instance_put: %s (SOP Instance UID "
                     "'%s')",
                     pIn->zFilePath, pIn->zSopInstanceUid);
    goto upsert_end;
  }
  storeStmtDone(pStmt);
  rc = storeStmt(p, STORE_STMT_INSTANCE_ID, zInstanceId, "store_instance_put",
                 &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = bindText(pStmt, 1, pIn->zSopInstanceUid);
  if(rc == SQLITE_OK) {
    rc = bindText(pStmt, 2, pIn->zFilePath);
  }
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc == SQLITE_ROW) {
    *piId = sqlite3_column_int64(pStmt, 0);
    rc = STORE_OK;
  } else {
    /* SQLITE_DONE cannot happen inside the savepoint. */
    rc = storeSqlErr(p, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc,
                     "store_instance_put: %s: reading the row id",
                     pIn->zFilePath);
  }
upsert_end:
  storeStmtDone(pStmt);
  return rc;
}

int store_instance_put(store *p, const struct store_instance *pInst,
                       int64_t *piId)
{
  int64_t iId = 0; /* Row id written */
  int rc;          /* Status */

  rc = storeCheck(p);
  if(rc == STORE_OK) {
    rc = checkInstance(p, pInst);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storeStmtExec(p, STORE_STMT_SAVEPOINT, "SAVEPOINT " SAVEPOINT_NAME,
                     "store_instance_put");
  if(rc != STORE_OK) {
    return rc;
  }
  rc = upsertInstance(p, pInst, &iId);
  if(rc == STORE_OK) {
    rc = storeStmtExec(p, STORE_STMT_RELEASE, "RELEASE " SAVEPOINT_NAME,
                       "store_instance_put");
  }
  if(rc != STORE_OK) {
    /* Undo without replacing the message; after some errors SQLite has
     * already rolled back and the savepoint is gone, which is fine. */
    (void)sqlite3_exec(p->db,
                       "ROLLBACK TO " SAVEPOINT_NAME ";"
                       "RELEASE " SAVEPOINT_NAME,
                       NULL, NULL, NULL);
    return rc;
  }
  if(piId != NULL) {
    *piId = iId;
  }
  return STORE_OK;
}

int store_instance_count(store *p, int64_t *pN)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeCheck(p);
  if(rc != STORE_OK) {
    return rc;
  }
  if(pN == NULL) {
    return storeErr(p, STORE_MISUSE, "store_instance_count: pN is NULL");
  }
  rc = storeStmt(p, STORE_STMT_INSTANCE_COUNT, zInstanceCount,
                 "store_instance_count", &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_step(pStmt);
  if(rc == SQLITE_ROW) {
    *pN = sqlite3_column_int64(pStmt, 0);
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, rc, "store_instance_count");
  }
  storeStmtDone(pStmt);
  return rc;
}

/* Checks the arguments shared by store_metric_put() and _get(). */
static int checkMetricKey(store *p, const char *zOp, const char *zName,
                          int iFrame)
{
  if(zName == NULL) {
    return storeErr(p, STORE_MISUSE, "%s: zName is NULL", zOp);
  }
  if(iFrame < -1) {
    return storeErr(p, STORE_MISUSE,
                    "%s: metric '%s': frame %d is "
                    "invalid (0-based frame, or -1 for the whole image)",
                    zOp, zName, iFrame);
  }
  return STORE_OK;
}

int store_metric_put(store *p, int64_t iInstance, const char *zName,
                     double value, const char *zUnit, int iFrame)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeCheck(p);
  if(rc == STORE_OK) {
    rc = checkMetricKey(p, "store_metric_put", zName, iFrame);
  }
  if(rc == STORE_OK && !isfinite(value)) {
    rc = storeErr(p, STORE_MISUSE,
                  "store_metric_put: instance %lld, "
                  "metric '%s': value %g is not finite",
                  (long long)iInstance, zName, value);
  }
  if(rc == STORE_OK) {
    rc = storeStmt(p, STORE_STMT_METRIC_PUT, zMetricPut, "store_metric_put",
                   &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_bind_int64(pStmt, 1, iInstance);
  if(rc == SQLITE_OK) {
    rc = bindText(pStmt, 2, zName);
  }
  if(rc == SQLITE_OK) {
    rc = sqlite3_bind_double(pStmt, 3, value);
  }
  if(rc == SQLITE_OK) {
    rc = bindText(pStmt, 4, zUnit);
  }
  if(rc == SQLITE_OK) {
    rc = bindFrame(pStmt, 5, iFrame);
  }
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc == SQLITE_DONE) {
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, rc,
                     "store_metric_put: instance %lld, metric '%s', "
                     "frame %d",
                     (long long)iInstance, zName, iFrame);
  }
  storeStmtDone(pStmt);
  return rc;
}

int store_metric_get(store *p, int64_t iInstance, const char *zName,
                     int iFrame, double *pValue)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeCheck(p);
  if(rc == STORE_OK) {
    rc = checkMetricKey(p, "store_metric_get", zName, iFrame);
  }
  if(rc == STORE_OK && pValue == NULL) {
    rc = storeErr(p, STORE_MISUSE, "store_metric_get: pValue is NULL");
  }
  if(rc == STORE_OK) {
    rc = storeStmt(p, STORE_STMT_METRIC_GET, zMetricGet, "store_metric_get",
                   &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_bind_int64(pStmt, 1, iInstance);
  if(rc == SQLITE_OK) {
    rc = bindText(pStmt, 2, zName);
  }
  if(rc == SQLITE_OK) {
    rc = bindFrame(pStmt, 3, iFrame);
  }
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc == SQLITE_ROW) {
    *pValue = sqlite3_column_double(pStmt, 0);
    rc = STORE_OK;
  } else if(rc == SQLITE_DONE) {
    rc = storeErr(p, STORE_NOTFOUND,
                  "store_metric_get: instance %lld has "
                  "no metric '%s' for frame %d",
                  (long long)iInstance, zName, iFrame);
  } else {
    rc = storeSqlErr(p, rc,
                     "store_metric_get: instance %lld, metric '%s', "
                     "frame %d",
                     (long long)iInstance, zName, iFrame);
  }
  storeStmtDone(pStmt);
  return rc;
}

/* Checks the arguments of store_verdict_put() that the schema cannot. */
static int checkVerdict(store *p, int64_t iInstance, const char *zVerdict,
                        const double *pQuality)
{
  if(zVerdict == NULL) {
    return storeErr(p, STORE_MISUSE,
                    "store_verdict_put: instance %lld: "
                    "zVerdict is NULL",
                    (long long)iInstance);
  }
  if(pQuality != NULL && !isfinite(*pQuality)) {
    return storeErr(p, STORE_MISUSE,
                    "store_verdict_put: instance %lld: "
                    "quality %g is not finite (pass NULL for none)",
                    (long long)iInstance, *pQuality);
  }
  return STORE_OK;
}

int store_verdict_put(store *p, int64_t iInstance, const char *zVerdict,
                      const double *pQuality, const char *zReasonsJson,
                      const char *zError)
{
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  int rc;                     /* Status */

  rc = storeCheck(p);
  if(rc == STORE_OK) {
    rc = checkVerdict(p, iInstance, zVerdict, pQuality);
  }
  if(rc == STORE_OK) {
    rc = storeStmt(p, STORE_STMT_VERDICT_PUT, zVerdictPut, "store_verdict_put",
                   &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_bind_int64(pStmt, 1, iInstance);
  if(rc == SQLITE_OK) {
    rc = bindText(pStmt, 2, zVerdict);
  }
  if(rc == SQLITE_OK) {
    rc = pQuality ? sqlite3_bind_double(pStmt, 3, *pQuality)
                  : sqlite3_bind_null(pStmt, 3);
  }
  if(rc == SQLITE_OK) {
    rc = bindText(pStmt, 4, zReasonsJson);
  }
  if(rc == SQLITE_OK) {
    rc = bindText(pStmt, 5, zError);
  }
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc == SQLITE_DONE) {
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, rc,
                     "store_verdict_put: instance %lld, verdict "
                     "'%s'",
                     (long long)iInstance, zVerdict);
  }
  storeStmtDone(pStmt);
  return rc;
}
