/* SPDX-License-Identifier: BSD-3-Clause
 *
 * alerts.c - delivering the alert outbox, and acknowledgments.
 *
 * The outbox (table alerts) gets one row per retake image and per retake
 * study (studies.c writes them).  Each delivery channel of the node (the
 * log, a webhook, an exec hook, a routed [alert NAME] section) keeps its
 * own record per alert in alert_deliveries: pending with the time of its
 * next try, delivered, or failed (given up).  An alert is settled
 * (alerts.delivered_at) once every channel that routes it is done, so
 * that the dispatcher stops looking at it.  Delivery is at least once: a
 * crash between a channel's success and the record of it sends that
 * alert again on that channel after the restart, and never otherwise.
 *
 * Which channels route an alert is the node's configuration (cli/), not
 * the store's: the store records what it is told.
 *
 * Acknowledgments (table acks) are a technician's "retaken" or "accepted
 * as is" on a flagged image or study, kept as history; the latest counts.
 *
 * These statements run a few times a second at most: they are prepared
 * per call, not cached.
 *
 * Tests: tests/unit/test_store_alerts.c
 */
#include "store_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The alert with what a technician needs: an image alert's own instance,
 * a study alert's first received instance. */
static const char zAlertSelect[] =
    "SELECT a.id, a.kind, COALESCE(a.instance_id, 0),"
    " COALESCE(i.study_instance_uid, a.study_instance_uid),"
    " CASE WHEN a.kind = 'image' THEN i.series_instance_uid END,"
    " CASE WHEN a.kind = 'image' THEN i.sop_instance_uid END,"
    " COALESCE(i.modality, s.modality), i.body_part, i.station_name,"
    " i.operator_name, i.accession_number, i.institution, i.calling_aet,"
    " a.verdict, COALESCE(a.reasons, '[]'),"
    " CASE WHEN a.kind = 'image' THEN v.quality END, a.created_at,"
    " CASE WHEN a.kind = 'image' THEN i.received_at"
    "  ELSE s.last_received_at END"
    " FROM alerts a"
    " LEFT JOIN instances i ON i.id = COALESCE(a.instance_id,"
    "  (SELECT min(f.id) FROM instances f"
    "   WHERE f.study_instance_uid = a.study_instance_uid))"
    " LEFT JOIN verdicts v ON v.instance_id = a.instance_id"
    " LEFT JOIN studies s ON s.study_instance_uid ="
    "  COALESCE(a.study_instance_uid, i.study_instance_uid)";

/* Prepares zSql on the handle's connection (not cached). */
static int prepare(store *p, const char *zSql, const char *zOp,
                   sqlite3_stmt **ppStmt)
{
  int rc = sqlite3_prepare_v2(p->db, zSql, -1, ppStmt, NULL);
  if(rc != SQLITE_OK) {
    *ppStmt = NULL;
    return storeSqlErr(p, rc, "%s: preparing the query", zOp);
  }
  return STORE_OK;
}

/* Steps an alert query, passing each row to xEach.  Returns STORE_OK,
 * STORE_NOTFOUND when isOne and there was no row, or the failure. */
static int eachAlert(store *p, sqlite3_stmt *pStmt, int isOne,
                     int (*xEach)(void *, const struct store_alert *),
                     void *pCtx, const char *zOp)
{
  int rc;
  int nRow = 0;
  while((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    struct store_alert a;
    memset(&a, 0, sizeof(a));
    a.iId = sqlite3_column_int64(pStmt, 0);
    a.zKind = storeColText(pStmt, 1);
    a.iInstance = sqlite3_column_int64(pStmt, 2);
    a.zStudyUid = storeColText(pStmt, 3);
    a.zSeriesUid = storeColText(pStmt, 4);
    a.zSopUid = storeColText(pStmt, 5);
    a.zModality = storeColText(pStmt, 6);
    a.zBodyPart = storeColText(pStmt, 7);
    a.zStation = storeColText(pStmt, 8);
    a.zOperator = storeColText(pStmt, 9);
    a.zAccession = storeColText(pStmt, 10);
    a.zInstitution = storeColText(pStmt, 11);
    a.zCallingAet = storeColText(pStmt, 12);
    a.zVerdict = storeColText(pStmt, 13);
    a.zReasonsJson = storeColText(pStmt, 14);
    a.hasQuality = sqlite3_column_type(pStmt, 15) != SQLITE_NULL;
    a.quality = a.hasQuality ? sqlite3_column_double(pStmt, 15) : 0.0;
    a.zCreatedAt = storeColText(pStmt, 16);
    a.zReceivedAt = storeColText(pStmt, 17);
    nRow++;
    if(xEach(pCtx, &a) != 0) {
      rc = SQLITE_DONE;
      break;
    }
  }
  if(rc != SQLITE_DONE)
    return storeSqlErr(p, rc, "%s: reading alerts", zOp);
  return isOne && nRow == 0 ? STORE_NOTFOUND : STORE_OK;
}

int store_alerts_due(store *p, const char *zChannel, int nMax,
                     int (*xEach)(void *, const struct store_alert *),
                     void *pCtx)
{
  static const char zOp[] = "store_alerts_due";
  char zSql[sizeof(zAlertSelect) + 320];
  char zNow[STORE_TIME_MAX];
  sqlite3_stmt *pStmt = NULL;
  int rc = storeCheck(p);
  if(rc != STORE_OK)
    return rc;
  if(xEach == NULL || nMax < 1)
    return storeErr(p, STORE_MISUSE, "%s: NULL callback or nMax < 1", zOp);
  storeNow(p, zNow);
  snprintf(zSql, sizeof(zSql),
           "%s WHERE a.delivered_at IS NULL AND (?2 IS NULL OR NOT EXISTS"
           " (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id"
           "  AND d.channel = ?2 AND (d.state <> 'pending'"
           "  OR d.next_at > ?3)))"
           " ORDER BY a.id LIMIT ?1",
           zAlertSelect);
  rc = prepare(p, zSql, zOp, &pStmt);
  if(rc == STORE_OK) {
    sqlite3_bind_int(pStmt, 1, nMax);
    storeBindText(pStmt, 2, zChannel);
    storeBindText(pStmt, 3, zNow);
    rc = eachAlert(p, pStmt, 0, xEach, pCtx, zOp);
  }
  sqlite3_finalize(pStmt);
  return rc;
}

int store_alert_get(store *p, int64_t iAlert,
                    int (*xEach)(void *, const struct store_alert *),
                    void *pCtx)
{
  static const char zOp[] = "store_alert_get";
  char zSql[sizeof(zAlertSelect) + 64];
  sqlite3_stmt *pStmt = NULL;
  int rc = storeCheck(p);
  if(rc != STORE_OK)
    return rc;
  if(xEach == NULL || iAlert < 1)
    return storeErr(p, STORE_MISUSE, "%s: NULL callback or id < 1", zOp);
  snprintf(zSql, sizeof(zSql), "%s WHERE a.id = ?1", zAlertSelect);
  rc = prepare(p, zSql, zOp, &pStmt);
  if(rc == STORE_OK) {
    sqlite3_bind_int64(pStmt, 1, iAlert);
    rc = eachAlert(p, pStmt, 1, xEach, pCtx, zOp);
    if(rc == STORE_NOTFOUND)
      storeErr(p, STORE_NOTFOUND, "%s: no alert %lld", zOp, (long long)iAlert);
  }
  sqlite3_finalize(pStmt);
  return rc;
}

int store_delivery_get(store *p, int64_t iAlert, const char *zChannel,
                       struct store_delivery *pOut)
{
  static const char zOp[] = "store_delivery_get";
  sqlite3_stmt *pStmt = NULL;
  int rc = storeCheck(p);
  if(rc != STORE_OK)
    return rc;
  if(zChannel == NULL || pOut == NULL)
    return storeErr(p, STORE_MISUSE, "%s: NULL argument", zOp);
  rc = prepare(p,
               "SELECT state, attempts, next_at FROM alert_deliveries WHERE "
               "alert_id = ?1 AND channel = ?2",
               zOp, &pStmt);
  if(rc != STORE_OK)
    return rc;
  sqlite3_bind_int64(pStmt, 1, iAlert);
  storeBindText(pStmt, 2, zChannel);
  int s = sqlite3_step(pStmt);
  if(s == SQLITE_ROW) {
    const char *zState = storeColText(pStmt, 0);
    const char *zNext = storeColText(pStmt, 2);
    pOut->state =
        zState && strcmp(zState, "delivered") == 0 ? STORE_DELIVERY_DELIVERED
        : zState && strcmp(zState, "failed") == 0  ? STORE_DELIVERY_FAILED
        : zState && strcmp(zState, "skipped") == 0 ? STORE_DELIVERY_SKIPPED
                                                   : STORE_DELIVERY_PENDING;
    pOut->nAttempts = sqlite3_column_int64(pStmt, 1);
    snprintf(pOut->zNextAt, sizeof(pOut->zNextAt), "%s", zNext ? zNext : "");
    rc = STORE_OK;
  } else if(s == SQLITE_DONE) {
    rc = STORE_NOTFOUND;
  } else {
    rc = storeSqlErr(p, s, "%s: alert %lld channel %s", zOp, (long long)iAlert,
                     zChannel);
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/* The record of one try (zState delivered, pending or failed, attempts
 * + 1) or of a skip (zState skipped, no attempt). */
static int putDelivery(store *p, int64_t iAlert, const char *zChannel,
                       const char *zState, const char *zError,
                       double retryAfter, const char *zOp)
{
  static const char zSql[] =
      "INSERT INTO alert_deliveries(alert_id, channel, state, attempts,"
      " next_at, last_error, delivered_at)"
      " VALUES (?1, ?2, ?3, ?3 <> 'skipped',"
      "  strftime('%Y-%m-%dT%H:%M:%fZ', ?4, ?5), ?6,"
      "  CASE WHEN ?3 = 'delivered' THEN ?4 END)"
      " ON CONFLICT(alert_id, channel) DO UPDATE SET"
      "  state = excluded.state, attempts = attempts + excluded.attempts,"
      "  next_at = excluded.next_at,"
      "  last_error = COALESCE(excluded.last_error, last_error),"
      "  delivered_at = excluded.delivered_at"
      " WHERE state = 'pending'";
  char zNow[STORE_TIME_MAX], zMod[48];
  sqlite3_stmt *pStmt = NULL;
  int rc = storeCheck(p);
  if(rc != STORE_OK)
    return rc;
  if(zChannel == NULL || zChannel[0] == 0 || iAlert < 1 || isnan(retryAfter) ||
     retryAfter > 1e8)
    return storeErr(p, STORE_MISUSE,
                    "%s: NULL or empty channel, alert id < 1 or retry "
                    "time out of range",
                    zOp);
  storeNow(p, zNow);
  snprintf(zMod, sizeof(zMod), "+%.3f seconds",
           zError && retryAfter > 0 ? retryAfter : 0.0);
  rc = prepare(p, zSql, zOp, &pStmt);
  if(rc != STORE_OK)
    return rc;
  int b = sqlite3_bind_int64(pStmt, 1, iAlert);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 2, zChannel);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 3, zState);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 4, zNow);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 5, zMod);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 6, zError);
  rc = storeStepDone(p, pStmt, b, "%s: alert %lld channel %s", zOp,
                     (long long)iAlert, zChannel);
  sqlite3_finalize(pStmt);
  return rc;
}

int store_delivery_record(store *p, int64_t iAlert, const char *zChannel,
                          const char *zError, double retryAfter)
{
  return putDelivery(p, iAlert, zChannel,
                     zError == NULL   ? "delivered"
                     : retryAfter < 0 ? "failed"
                                      : "pending",
                     zError, retryAfter, "store_delivery_record");
}

int store_delivery_skip(store *p, int64_t iAlert, const char *zChannel)
{
  return putDelivery(p, iAlert, zChannel, "skipped", NULL, 0.0,
                     "store_delivery_skip");
}

int store_alert_settle(store *p, int64_t iAlert)
{
  static const char zOp[] = "store_alert_settle";
  char zNow[STORE_TIME_MAX];
  sqlite3_stmt *pStmt = NULL;
  int rc = storeCheck(p);
  if(rc != STORE_OK)
    return rc;
  storeNow(p, zNow);
  rc = prepare(p,
               "UPDATE alerts SET delivered_at = COALESCE(delivered_at, ?2)"
               " WHERE id = ?1",
               zOp, &pStmt);
  if(rc != STORE_OK)
    return rc;
  int b = sqlite3_bind_int64(pStmt, 1, iAlert);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 2, zNow);
  rc = storeStepDone(p, pStmt, b, "%s: alert %lld", zOp, (long long)iAlert);
  if(rc == STORE_OK && sqlite3_changes(p->db) == 0)
    rc = storeErr(p, STORE_NOTFOUND, "%s: no alert %lld", zOp,
                  (long long)iAlert);
  sqlite3_finalize(pStmt);
  return rc;
}

int store_delivery_counts(store *p, int64_t *pnFailed, int64_t *pnRetrying)
{
  static const char zOp[] = "store_delivery_counts";
  sqlite3_stmt *pStmt = NULL;
  int rc = storeCheck(p);
  if(rc != STORE_OK)
    return rc;
  rc = prepare(p,
               "SELECT count(*) FILTER (WHERE state = 'failed'),"
               " count(*) FILTER (WHERE state = 'pending' AND attempts > 0)"
               " FROM alert_deliveries",
               zOp, &pStmt);
  if(rc != STORE_OK)
    return rc;
  int s = sqlite3_step(pStmt);
  if(s == SQLITE_ROW) {
    if(pnFailed)
      *pnFailed = sqlite3_column_int64(pStmt, 0);
    if(pnRetrying)
      *pnRetrying = sqlite3_column_int64(pStmt, 1);
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, s, "%s: counting deliveries", zOp);
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/* ---- acknowledgments --------------------------------------------------- */

/* Longest comment or name an acknowledgment keeps, bytes. */
#define ACK_TEXT_MAX 1000

int store_ack_put(store *p, int64_t iInstance, const char *zStudyUid,
                  const char *zAction, const char *zComment, const char *zBy,
                  int64_t *piId)
{
  static const char zOp[] = "store_ack_put";
  char zNow[STORE_TIME_MAX];
  sqlite3_stmt *pStmt = NULL;
  int rc = storeCheck(p);
  if(rc != STORE_OK)
    return rc;
  if(zAction == NULL ||
     (strcmp(zAction, "retaken") != 0 && strcmp(zAction, "accepted") != 0))
    return storeErr(p, STORE_MISUSE,
                    "%s: action '%s' is not 'retaken' or 'accepted'", zOp,
                    zAction ? zAction : "(null)");
  if((iInstance > 0) == (zStudyUid != NULL) || iInstance < 0)
    return storeErr(p, STORE_MISUSE,
                    "%s: give an instance id or a study UID, not both", zOp);
  if((zComment && strlen(zComment) > ACK_TEXT_MAX) ||
     (zBy && strlen(zBy) > ACK_TEXT_MAX))
    return storeErr(p, STORE_MISUSE,
                    "%s: comment or name longer than %d bytes", zOp,
                    ACK_TEXT_MAX);
  /* The flagged thing must exist: a foreign key covers the instance,
   * nothing covers the study. */
  rc =
      prepare(p,
              zStudyUid ? "SELECT 1 FROM studies WHERE study_instance_uid = ?1"
                        : "SELECT 1 FROM instances WHERE id = ?1",
              zOp, &pStmt);
  if(rc != STORE_OK)
    return rc;
  if(zStudyUid)
    storeBindText(pStmt, 1, zStudyUid);
  else
    sqlite3_bind_int64(pStmt, 1, iInstance);
  int s = sqlite3_step(pStmt);
  sqlite3_finalize(pStmt);
  pStmt = NULL;
  if(s == SQLITE_DONE) {
    if(zStudyUid)
      return storeErr(p, STORE_NOTFOUND, "%s: no study %s", zOp, zStudyUid);
    return storeErr(p, STORE_NOTFOUND, "%s: no instance %lld", zOp,
                    (long long)iInstance);
  }
  if(s != SQLITE_ROW)
    return storeSqlErr(p, s, "%s: looking up what is acknowledged", zOp);
  storeNow(p, zNow);
  rc = prepare(p,
               "INSERT INTO acks(instance_id, study_instance_uid, action,"
               " comment, by_name, created_at)"
               " VALUES (NULLIF(?1, 0), ?2, ?3, NULLIF(?4, ''),"
               " NULLIF(?5, ''), ?6)",
               zOp, &pStmt);
  if(rc != STORE_OK)
    return rc;
  int b = sqlite3_bind_int64(pStmt, 1, iInstance);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 2, zStudyUid);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 3, zAction);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 4, zComment);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 5, zBy);
  if(b == SQLITE_OK)
    b = storeBindText(pStmt, 6, zNow);
  rc = storeStepDone(p, pStmt, b, "%s: %s", zOp, zAction);
  if(rc == STORE_OK && piId)
    *piId = sqlite3_last_insert_rowid(p->db);
  sqlite3_finalize(pStmt);
  return rc;
}
