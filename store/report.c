/* SPDX-License-Identifier: BSD-3-Clause
 *
 * report.c - the read queries behind the nightly QC report, the
 * console's list of flagged images and studies, and the verdict counts
 * of /metrics.
 *
 * Everything here reads; nothing writes.  The queries run a few times a
 * night or a minute, so each is prepared for the call and finalized
 * afterwards (sqlite3_prepare_v2) rather than held in the statement
 * cache of store_int.h.  Times are compared as text: every time the
 * store writes is UTC ISO-8601 with milliseconds (store.h, "Clock"), and
 * the caller's bounds are normalised to that form with storeTimeNorm()
 * first, so text order is time order.  Callbacks run while the statement
 * is live (one read transaction); they may read the store.
 *
 * Tests: tests/unit/test_store_report.c
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

/* Flagged images: verdict warn or retake, verdict time decided_at.  The
 * columns are those of struct store_flagged in field order, then the
 * sort keys.  ?1 from (or NULL), ?2 to (or NULL). */
#define FLAGGED_IMAGES                                                        \
  "SELECT 'image' AS kind, i.id AS iid, i.study_instance_uid AS suid,"        \
  " i.series_instance_uid, i.sop_instance_uid, i.modality, i.body_part,"      \
  " i.station_name, i.operator_name, i.accession_number, v.verdict,"          \
  " v.quality, COALESCE(v.reasons, '[]'), v.decided_at AS at,"                \
  " i.received_at, i.file_path, i.id,"                                        \
  " COALESCE((SELECT a.id FROM alerts a WHERE a.kind = 'image'"               \
  "  AND a.instance_id = i.id), 0),"                                          \
  " k.action, k.comment, k.by_name, k.created_at"                             \
  " FROM verdicts v JOIN instances i ON i.id = v.instance_id"                 \
  " LEFT JOIN acks k ON k.id = (SELECT max(x.id) FROM acks x"                 \
  "  WHERE x.instance_id = i.id)"                                             \
  " WHERE v.verdict IN ('warn', 'retake')"                                    \
  " AND (?1 IS NULL OR v.decided_at >= ?1)"                                   \
  " AND (?2 IS NULL OR v.decided_at < ?2)"

/* Flagged studies: complete, verdict warn or retake, verdict time
 * completed_at.  Station, operator, accession and body part come from
 * the study's first instance (lowest id); the thumbnail from its worst
 * image: retake before warn before anything else, then lowest quality
 * (none last), then lowest id. */
#define FLAGGED_STUDIES                                                       \
  "SELECT 'study', 0, s.study_instance_uid, NULL, NULL,"                      \
  " COALESCE(s.modality, f.modality), f.body_part, f.station_name,"           \
  " f.operator_name, f.accession_number, s.verdict, NULL,"                    \
  " COALESCE(s.reasons, '[]'), s.completed_at, s.last_received_at,"           \
  " w.file_path, COALESCE(w.id, 0),"                                          \
  " COALESCE((SELECT a.id FROM alerts a WHERE a.kind = 'study'"               \
  "  AND a.study_instance_uid = s.study_instance_uid), 0),"                   \
  " k.action, k.comment, k.by_name, k.created_at"                             \
  " FROM studies s"                                                           \
  " LEFT JOIN instances f ON f.id = (SELECT min(x.id) FROM instances x"       \
  "  WHERE x.study_instance_uid = s.study_instance_uid)"                      \
  " LEFT JOIN instances w ON w.id = (SELECT x.id FROM instances x"            \
  "  LEFT JOIN verdicts y ON y.instance_id = x.id"                            \
  "  WHERE x.study_instance_uid = s.study_instance_uid"                       \
  "  ORDER BY CASE y.verdict WHEN 'retake' THEN 0 WHEN 'warn' THEN 1"         \
  "  ELSE 2 END, y.quality IS NULL, y.quality, x.id LIMIT 1)"                 \
  " LEFT JOIN acks k ON k.id = (SELECT max(x.id) FROM acks x"                 \
  "  WHERE x.study_instance_uid = s.study_instance_uid)"                      \
  " WHERE s.complete = 1 AND s.verdict IN ('warn', 'retake')"                 \
  " AND (?1 IS NULL OR s.completed_at >= ?1)"                                 \
  " AND (?2 IS NULL OR s.completed_at < ?2)"

/* Newest first; at one time images before studies, then the higher
 * instance id, then the study UID.  ?3 is the row limit. */
static const char zFlagged[] =
    "SELECT * FROM (" FLAGGED_IMAGES " UNION ALL " FLAGGED_STUDIES ")"
    " ORDER BY 14 DESC, 1, 2 DESC, 3 LIMIT ?3";

static const char zVerdictCounts[] =
    "SELECT COALESCE(i.modality, ''), v.verdict, count(*)"
    " FROM verdicts v JOIN instances i ON i.id = v.instance_id"
    " GROUP BY 1, 2 ORDER BY 1, 2";

/* The study verdict as store_studies_list() reports it, NULL when the
 * image's study has no row. */
static const char zReportImages[] =
    "SELECT i.id, i.study_instance_uid, i.modality, i.station_name,"
    " i.operator_name, i.received_at, v.verdict, v.quality,"
    " CASE WHEN s.study_instance_uid IS NULL THEN NULL"
    " WHEN s.complete = 0 THEN 'pending'"
    " ELSE COALESCE(s.verdict, 'unscored') END"
    " FROM instances i LEFT JOIN verdicts v ON v.instance_id = i.id"
    " LEFT JOIN studies s ON s.study_instance_uid = i.study_instance_uid"
    " WHERE (?1 IS NULL OR i.received_at >= ?1)"
    " AND (?2 IS NULL OR i.received_at < ?2)"
    " ORDER BY i.received_at, i.id";

/* Normalises the bounds zFrom and zTo (either may be NULL) into zFromN
 * and zToN (STORE_TIME_MAX bytes each); *pzFrom and *pzTo are set to
 * the normalised text, or NULL for an open bound. */
static int normRange(store *p, const char *zOp, const char *zFrom,
                     const char *zTo, char *zFromN, char *zToN,
                     const char **pzFrom, const char **pzTo)
{
  char zWhat[96]; /* "<op>: from" */
  int rc = STORE_OK;

  *pzFrom = NULL;
  *pzTo = NULL;
  if(zFrom != NULL) {
    snprintf(zWhat, sizeof zWhat, "%s: from", zOp);
    rc = storeTimeNorm(p, zFrom, zWhat, zFromN);
    *pzFrom = zFromN;
  }
  if(rc == STORE_OK && zTo != NULL) {
    snprintf(zWhat, sizeof zWhat, "%s: to", zOp);
    rc = storeTimeNorm(p, zTo, zWhat, zToN);
    *pzTo = zToN;
  }
  return rc;
}

/* Prepares zSql (one-off) and binds ?1 zFrom and ?2 zTo. */
static int prepareRange(store *p, const char *zOp, const char *zSql,
                        const char *zFrom, const char *zTo,
                        sqlite3_stmt **ppStmt)
{
  sqlite3_stmt *pStmt = NULL; /* The new statement */
  int rc;                     /* SQLite result */

  rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, NULL);
  if(rc != SQLITE_OK) {
    rc = storeSqlErr(p, rc, "%s: preparing SQL", zOp);
    sqlite3_finalize(pStmt);
    return rc;
  }
  rc = storeBindText(pStmt, 1, zFrom);
  if(rc == SQLITE_OK) {
    rc = storeBindText(pStmt, 2, zTo);
  }
  if(rc != SQLITE_OK) {
    rc = storeSqlErr(p, rc, "%s: binding the time range", zOp);
    sqlite3_finalize(pStmt);
    return rc;
  }
  *ppStmt = pStmt;
  return STORE_OK;
}

/* ---- flagged images and studies ------------------------------------- */

/* Fills *pF from the current row of zFlagged. */
static void readFlagged(sqlite3_stmt *pStmt, struct store_flagged *pF)
{
  pF->zKind = storeColText(pStmt, 0);
  pF->iInstance = sqlite3_column_int64(pStmt, 1);
  pF->zStudyUid = storeColText(pStmt, 2);
  pF->zSeriesUid = storeColText(pStmt, 3);
  pF->zSopUid = storeColText(pStmt, 4);
  pF->zModality = storeColText(pStmt, 5);
  pF->zBodyPart = storeColText(pStmt, 6);
  pF->zStation = storeColText(pStmt, 7);
  pF->zOperator = storeColText(pStmt, 8);
  pF->zAccession = storeColText(pStmt, 9);
  pF->zVerdict = storeColText(pStmt, 10);
  pF->hasQuality = sqlite3_column_type(pStmt, 11) != SQLITE_NULL;
  pF->quality = sqlite3_column_double(pStmt, 11);
  pF->zReasonsJson = storeColText(pStmt, 12);
  pF->zAt = storeColText(pStmt, 13);
  pF->zReceivedAt = storeColText(pStmt, 14);
  pF->zFilePath = storeColText(pStmt, 15);
  pF->iThumbInstance = sqlite3_column_int64(pStmt, 16);
  pF->iAlert = sqlite3_column_int64(pStmt, 17);
  pF->zAckAction = storeColText(pStmt, 18);
  pF->zAckComment = storeColText(pStmt, 19);
  pF->zAckBy = storeColText(pStmt, 20);
  pF->zAckAt = storeColText(pStmt, 21);
}

int store_flagged_list(store *p, const char *zFrom, const char *zTo, int nMax,
                       int (*xEach)(void *pCtx,
                                    const struct store_flagged *pRow),
                       void *pCtx)
{
  static const char zOp[] = "store_flagged_list";
  char zFromN[STORE_TIME_MAX]; /* zFrom normalised */
  char zToN[STORE_TIME_MAX];   /* zTo normalised */
  const char *zF = NULL;       /* Bound ?1, or NULL */
  const char *zT = NULL;       /* Bound ?2, or NULL */
  sqlite3_stmt *pStmt = NULL;  /* One-off statement */
  struct store_flagged row;    /* The current row */
  int rc = storeCheck(p);      /* Status */

  if(rc != STORE_OK) {
    return rc;
  }
  if(xEach == NULL || nMax < 1) {
    return storeErr(p, STORE_MISUSE, "%s: %s", zOp,
                    xEach == NULL ? "xEach is NULL" : "nMax is below 1");
  }
  rc = normRange(p, zOp, zFrom, zTo, zFromN, zToN, &zF, &zT);
  if(rc == STORE_OK) {
    rc = prepareRange(p, zOp, zFlagged, zF, zT, &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_bind_int(pStmt, 3, nMax);
  while(rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(pStmt);
    if(rc != SQLITE_ROW) {
      break;
    }
    readFlagged(pStmt, &row);
    if(xEach(pCtx, &row) != 0) {
      rc = SQLITE_DONE;
    }
  }
  rc = rc == SQLITE_DONE ? STORE_OK : storeSqlErr(p, rc, "%s", zOp);
  sqlite3_finalize(pStmt);
  return rc;
}

/* ---- counts --------------------------------------------------------- */

int store_verdict_counts(store *p,
                         int (*xEach)(void *pCtx, const char *zModality,
                                      const char *zVerdict, int64_t n),
                         void *pCtx)
{
  static const char zOp[] = "store_verdict_counts";
  sqlite3_stmt *pStmt = NULL; /* One-off statement */
  int rc = storeCheck(p);     /* Status */

  if(rc != STORE_OK) {
    return rc;
  }
  if(xEach == NULL) {
    return storeErr(p, STORE_MISUSE, "%s: xEach is NULL", zOp);
  }
  rc = sqlite3_prepare_v2(p->db, zVerdictCounts, -1, &pStmt, NULL);
  while(rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(pStmt);
    if(rc != SQLITE_ROW) {
      break;
    }
    if(xEach(pCtx, storeColText(pStmt, 0), storeColText(pStmt, 1),
             sqlite3_column_int64(pStmt, 2)) != 0) {
      rc = SQLITE_DONE;
    }
  }
  rc = rc == SQLITE_DONE ? STORE_OK : storeSqlErr(p, rc, "%s", zOp);
  sqlite3_finalize(pStmt);
  return rc;
}

/* ---- images of a period --------------------------------------------- */

/* Fills *pR from the current row of zReportImages. */
static void readReportImage(sqlite3_stmt *pStmt, struct store_report_image *pR)
{
  pR->iInstance = sqlite3_column_int64(pStmt, 0);
  pR->zStudyUid = storeColText(pStmt, 1);
  pR->zModality = storeColText(pStmt, 2);
  pR->zStation = storeColText(pStmt, 3);
  pR->zOperator = storeColText(pStmt, 4);
  pR->zReceivedAt = storeColText(pStmt, 5);
  pR->zVerdict = storeColText(pStmt, 6);
  pR->hasQuality = sqlite3_column_type(pStmt, 7) != SQLITE_NULL;
  pR->quality = sqlite3_column_double(pStmt, 7);
  pR->zStudyVerdict = storeColText(pStmt, 8);
}

int store_report_images(store *p, const char *zFrom, const char *zTo,
                        int (*xEach)(void *pCtx,
                                     const struct store_report_image *pRow),
                        void *pCtx)
{
  static const char zOp[] = "store_report_images";
  char zFromN[STORE_TIME_MAX];   /* zFrom normalised */
  char zToN[STORE_TIME_MAX];     /* zTo normalised */
  const char *zF = NULL;         /* Bound ?1, or NULL */
  const char *zT = NULL;         /* Bound ?2, or NULL */
  sqlite3_stmt *pStmt = NULL;    /* One-off statement */
  struct store_report_image row; /* The current row */
  int rc = storeCheck(p);        /* Status */

  if(rc != STORE_OK) {
    return rc;
  }
  if(xEach == NULL) {
    return storeErr(p, STORE_MISUSE, "%s: xEach is NULL", zOp);
  }
  rc = normRange(p, zOp, zFrom, zTo, zFromN, zToN, &zF, &zT);
  if(rc == STORE_OK) {
    rc = prepareRange(p, zOp, zReportImages, zF, zT, &pStmt);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  rc = SQLITE_OK;
  while(rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(pStmt);
    if(rc != SQLITE_ROW) {
      break;
    }
    readReportImage(pStmt, &row);
    if(xEach(pCtx, &row) != 0) {
      rc = SQLITE_DONE;
    }
  }
  rc = rc == SQLITE_DONE ? STORE_OK : storeSqlErr(p, rc, "%s", zOp);
  sqlite3_finalize(pStmt);
  return rc;
}
