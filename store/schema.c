/* SPDX-License-Identifier: BSD-3-Clause
 *
 * schema.c - the database schema, as an ordered list of migrations.
 *
 * PRAGMA user_version holds the number of migrations applied.  Migration
 * i (0-based) takes the schema from version i to i+1 and runs in its own
 * BEGIN IMMEDIATE transaction together with the user_version bump, so a
 * crash leaves the database at one version or the next, never between.
 * The version is read again after the write lock is taken, so two
 * processes opening a new file at once apply each migration once.  A
 * database whose version is above what this build knows was written by a
 * newer dicomqc and is refused: guessing could corrupt it.
 *
 * Rules for editing: never change a migration that has been released;
 * append a new one.  No IF NOT EXISTS: a table that is unexpectedly there
 * means the version is wrong, and failing says so.
 *
 * Version 2 stamps the file with PRAGMA application_id (STORE_APPLICATION_ID)
 * and store_open() checks it, so that dicomqc never adds its tables to
 * another program's SQLite file: a foreign application_id, a version >= 2
 * without ours, or a version-0 file that already holds tables is refused
 * with STORE_ERR_CORRUPT.  An empty file is a new database.
 *
 * Tests: tests/unit/test_store.c
 */
#include "store_int.h"

#include <stdio.h>

/* One migration step. */
struct migration {
  const char *zWhat; /* What it does, for error messages */
  const char *zSql;  /* Statements, run with sqlite3_exec() */
};

/* Times are UTC ISO-8601 with milliseconds, "2024-05-01T12:00:00.123Z",
 * so that text order is time order. */
static const struct migration aMigration[] = {
    {"create instances, metrics and verdicts",
     /* One row per received file.  The same SOP instance may arrive twice
    * and be archived under two paths: those are two rows. */
     "CREATE TABLE instances ("
     " id INTEGER PRIMARY KEY,"
     " sop_instance_uid TEXT NOT NULL,"
     " study_instance_uid TEXT,"
     " series_instance_uid TEXT,"
     " sop_class_uid TEXT,"
     " transfer_syntax TEXT,"
     " modality TEXT,"
     " body_part TEXT,"
     " station_name TEXT,"
     " operator_name TEXT,"
     " institution TEXT,"
     " accession_number TEXT,"
     " study_date TEXT,"
     " study_time TEXT,"
     " calling_aet TEXT,"
     " file_path TEXT NOT NULL,"
     " file_size INTEGER,"
     " rows INTEGER,"
     " columns INTEGER,"
     " frames INTEGER,"
     " received_at TEXT NOT NULL,"
     " UNIQUE (sop_instance_uid, file_path)"
     ");"
     "CREATE INDEX instances_study ON instances(study_instance_uid);"
     "CREATE INDEX instances_series ON instances(series_instance_uid);"
     "CREATE INDEX instances_modality ON instances(modality);"
     "CREATE INDEX instances_received ON instances(received_at);"
     /* frame NULL is a value over the whole image.  SQLite lets a PRIMARY
    * KEY column hold NULL and treats NULLs as distinct, so the key alone
    * would let whole-image rows pile up; the partial unique index below
    * makes (instance_id, name) unique among them. */
     "CREATE TABLE metrics ("
     " instance_id INTEGER NOT NULL"
     "  REFERENCES instances(id) ON DELETE CASCADE,"
     " name TEXT NOT NULL,"
     " value REAL NOT NULL,"
     " unit TEXT,"
     " frame INTEGER CHECK (frame IS NULL OR frame >= 0),"
     " computed_at TEXT NOT NULL,"
     " PRIMARY KEY (instance_id, name, frame)"
     ");"
     "CREATE UNIQUE INDEX metrics_whole_image ON metrics(instance_id, name)"
     " WHERE frame IS NULL;"
     /* reasons is a JSON array of sentences, stored as text, not parsed. */
     "CREATE TABLE verdicts ("
     " instance_id INTEGER PRIMARY KEY"
     "  REFERENCES instances(id) ON DELETE CASCADE,"
     " verdict TEXT NOT NULL"
     "  CHECK (verdict IN ('pass','warn','retake','unscored','error')),"
     " quality REAL,"
     " reasons TEXT,"
     " error TEXT,"
     " decided_at TEXT NOT NULL"
     ");"},
    {"create queue, studies and alerts; set application_id",
     /* The work queue: one row per instance to score.  attempts counts
    * claims, so store_queue_reset() can give up on a file that stops the
    * worker every time. */
     "CREATE TABLE queue ("
     " instance_id INTEGER PRIMARY KEY"
     "  REFERENCES instances(id) ON DELETE CASCADE,"
     " state TEXT NOT NULL CHECK (state IN ('pending','claimed','done')),"
     " enqueued_at TEXT NOT NULL,"
     " claimed_at TEXT,"
     " claimed_by TEXT,"
     " attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
     " last_error TEXT"
     ");"
     "CREATE INDEX queue_state ON queue(state, enqueued_at);"
     /* One row per study.  verdict is 'pending' while it is open;
    * reasons is a JSON array of sentences. */
     "CREATE TABLE studies ("
     " study_instance_uid TEXT PRIMARY KEY,"
     " modality TEXT,"
     " first_received_at TEXT NOT NULL,"
     " last_received_at TEXT NOT NULL,"
     " instances INTEGER NOT NULL DEFAULT 0 CHECK (instances >= 0),"
     " complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),"
     " verdict TEXT CHECK (verdict IS NULL OR verdict IN"
     "  ('pass','warn','retake','unscored','pending')),"
     " reasons TEXT,"
     " completed_at TEXT"
     ");"
     "CREATE INDEX studies_open ON studies(last_received_at)"
     " WHERE complete = 0;"
     "CREATE INDEX studies_last ON studies(last_received_at);"
     /* The alert outbox.  An image alert has an instance, a study alert
    * none.  UNIQUE treats NULLs as distinct, so it alone would let
    * study alerts (instance_id NULL) repeat: the two partial unique
    * indexes make each alert exist once. */
     "CREATE TABLE alerts ("
     " id INTEGER PRIMARY KEY,"
     " kind TEXT NOT NULL CHECK (kind IN ('image','study')),"
     " instance_id INTEGER REFERENCES instances(id) ON DELETE CASCADE,"
     " study_instance_uid TEXT,"
     " verdict TEXT NOT NULL,"
     " reasons TEXT,"
     " created_at TEXT NOT NULL,"
     " delivered_at TEXT,"
     " CHECK ((kind = 'image') = (instance_id IS NOT NULL)),"
     " CHECK (kind = 'image' OR study_instance_uid IS NOT NULL),"
     " UNIQUE (kind, instance_id, study_instance_uid)"
     ");"
     "CREATE UNIQUE INDEX alerts_image_once ON alerts(instance_id)"
     " WHERE kind = 'image';"
     "CREATE UNIQUE INDEX alerts_study_once ON alerts(study_instance_uid)"
     " WHERE kind = 'study';"
     "CREATE INDEX alerts_undelivered ON alerts(id)"
     " WHERE delivered_at IS NULL;"
     /* Studies of instances a version-1 database already holds (scored
    * by `dicomqc score`, never queued): open, so that
    * store_studies_close_idle() gives them a verdict. */
     "INSERT INTO studies(study_instance_uid, modality, first_received_at,"
     " last_received_at, instances, complete, verdict)"
     " SELECT i.study_instance_uid,"
     "  (SELECT m.modality FROM instances m"
     "   WHERE m.study_instance_uid = i.study_instance_uid"
     "   AND m.modality IS NOT NULL ORDER BY m.id LIMIT 1),"
     "  COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', min(i.received_at)),"
     "   min(i.received_at)),"
     "  COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', max(i.received_at)),"
     "   max(i.received_at)),"
     "  count(*), 0, 'pending'"
     " FROM instances i WHERE i.study_instance_uid IS NOT NULL"
     " GROUP BY i.study_instance_uid;"
     /* STORE_APPLICATION_ID, "DCQC" */
     "PRAGMA application_id = 1145262403;"},
    {"create alert deliveries and acknowledgments",
     /* One row per (alert, channel): each channel (webhook, exec hook,
    * log, a routed [alert NAME] section) delivers an alert once, at
    * least once.  state 'failed' means given up after the retry time
    * limit, 'skipped' that the channel's routes exclude the alert.
    * alerts.delivered_at is set once every channel that routes the alert
    * is done. */
     "CREATE TABLE alert_deliveries ("
     " alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"
     " channel TEXT NOT NULL,"
     " state TEXT NOT NULL"
     "  CHECK (state IN ('pending','delivered','failed','skipped')),"
     " attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
     " next_at TEXT NOT NULL,"
     " last_error TEXT,"
     " delivered_at TEXT,"
     " PRIMARY KEY (alert_id, channel)"
     ") WITHOUT ROWID;"
     /* A technician's acknowledgment of a flagged image or study:
    * 'retaken' or 'accepted' (as is), with an optional comment and
    * name.  Several may exist; the latest counts. */
     "CREATE TABLE acks ("
     " id INTEGER PRIMARY KEY,"
     " instance_id INTEGER REFERENCES instances(id) ON DELETE CASCADE,"
     " study_instance_uid TEXT,"
     " action TEXT NOT NULL CHECK (action IN ('retaken','accepted')),"
     " comment TEXT,"
     " by_name TEXT,"
     " created_at TEXT NOT NULL,"
     " CHECK ((instance_id IS NULL) <> (study_instance_uid IS NULL))"
     ");"
     "CREATE INDEX acks_instance ON acks(instance_id)"
     " WHERE instance_id IS NOT NULL;"
     "CREATE INDEX acks_study ON acks(study_instance_uid)"
     " WHERE study_instance_uid IS NOT NULL;"
     /* The console and the reports list flagged verdicts newest first. */
     "CREATE INDEX verdicts_flagged ON verdicts(decided_at)"
     " WHERE verdict IN ('warn','retake');"
     "CREATE INDEX studies_flagged ON studies(completed_at)"
     " WHERE verdict IN ('warn','retake');"},
};

/* The number in the last migration must be the header's. */
_Static_assert(STORE_APPLICATION_ID == 1145262403,
               "schema.c sets the application_id of store.h");

/* First schema version that sets the application_id. */
#define APPLICATION_ID_VERSION 2

/* What the database header and schema say about who owns the file. */
struct owner {
  int64_t iAppId;  /* PRAGMA application_id */
  int iVersion;    /* PRAGMA user_version */
  int64_t nObject; /* Rows of sqlite_master: tables, indexes, ... */
};

int storeMigrationCount(void)
{
  return (int)(sizeof aMigration / sizeof aMigration[0]);
}

const char *storeMigrationSql(int i)
{
  if(i < 0 || i >= storeMigrationCount()) {
    return NULL;
  }
  return aMigration[i].zSql;
}

/* Reads the owner facts of the database in one statement, so one read
 * transaction: another process migrating a new file at the same moment
 * is seen either before or after, never half-way. */
static int readOwner(store *p, const char *zPath, struct owner *pOwner)
{
  static const char zSql[] =
      "SELECT (SELECT application_id FROM pragma_application_id),"
      " (SELECT user_version FROM pragma_user_version),"
      " (SELECT count(*) FROM sqlite_master)";
  sqlite3_stmt *pStmt = NULL; /* One-off statement */
  int rc;                     /* Status */

  rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, NULL);
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc == SQLITE_ROW) {
    pOwner->iAppId = sqlite3_column_int64(pStmt, 0);
    pOwner->iVersion = sqlite3_column_int(pStmt, 1);
    pOwner->nObject = sqlite3_column_int64(pStmt, 2);
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, rc, "store_open: %s: reading the schema version",
                     zPath);
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/* Refuses a file that is not dicomqc's: another application_id; none
 * where dicomqc always sets it; or tables in a file dicomqc never
 * touched (version 0).  An empty file is fine. */
static int checkOwner(store *p, const char *zPath, const struct owner *pO)
{
  /* application_id is a signed 32-bit header field. */
  unsigned long iApp = (unsigned long)(pO->iAppId & 0xffffffff);

  if(pO->iAppId != 0 && pO->iAppId != STORE_APPLICATION_ID) {
    return storeErr(p, STORE_ERR_CORRUPT,
                    "store_open: %s is not a dicomqc database: its SQLite "
                    "application_id is 0x%08lx, dicomqc's is 0x%08lx; "
                    "give dicomqc a file of its own",
                    zPath, iApp, (unsigned long)STORE_APPLICATION_ID);
  }
  if(pO->iAppId == 0 && pO->iVersion >= APPLICATION_ID_VERSION) {
    return storeErr(p, STORE_ERR_CORRUPT,
                    "store_open: %s is not a dicomqc database: schema "
                    "version %d without dicomqc's application_id",
                    zPath, pO->iVersion);
  }
  if(pO->iVersion == 0 && pO->nObject > 0) {
    return storeErr(p, STORE_ERR_CORRUPT,
                    "store_open: %s is not a dicomqc database: it holds "
                    "%lld tables or indexes but no dicomqc schema; give "
                    "dicomqc a file of its own",
                    zPath, (long long)pO->nObject);
  }
  return STORE_OK;
}

/* Records the refusal of a database at schema version v. */
static int tooNew(store *p, const char *zPath, int v)
{
  return storeErr(p, STORE_ERR_VERSION,
                  "store_open: %s has schema version %d, but this dicomqc "
                  "knows versions 0 to %d; use the dicomqc that wrote it "
                  "or a newer one",
                  zPath, v, storeMigrationCount());
}

/* Applies migration number v (schema v -> v+1) unless another connection
 * already has, inside one write transaction.  On success writes the
 * version reached to *pV. */
static int migrateOne(store *p, const char *zPath, int *pV)
{
  int n = storeMigrationCount(); /* Latest version */
  char zBump[48];                /* PRAGMA user_version=v+1 */
  struct owner owner;            /* Header seen under the write lock */
  int v = 0;                     /* Version seen under the write lock */
  int rc;                        /* Status */

  rc = storeStmtExec(p, STORE_STMT_BEGIN, "BEGIN IMMEDIATE",
                     "store_open: starting a migration");
  if(rc != STORE_OK) {
    return rc;
  }
  rc = readOwner(p, zPath, &owner);
  if(rc == STORE_OK) {
    rc = checkOwner(p, zPath, &owner);
  }
  if(rc != STORE_OK) {
    goto migrate_end;
  }
  v = owner.iVersion;
  if(v < 0 || v > n) {
    rc = tooNew(p, zPath, v);
    goto migrate_end;
  }
  if(v < n) {
    snprintf(zBump, sizeof zBump, "PRAGMA user_version=%d", v + 1);
    rc = sqlite3_exec(p->db, aMigration[v].zSql, NULL, NULL, NULL);
    if(rc == SQLITE_OK) {
      rc = sqlite3_exec(p->db, zBump, NULL, NULL, NULL);
    }
    if(rc != SQLITE_OK) {
      rc = storeSqlErr(p, rc, "store_open: %s: migration %d (%s)", zPath,
                       v + 1, aMigration[v].zWhat);
      goto migrate_end;
    }
    v++;
  }
  rc = storeStmtExec(p, STORE_STMT_COMMIT, "COMMIT",
                     "store_open: committing a migration");
migrate_end:
  if(rc != STORE_OK) {
    /* Keep the message of the first failure: no report from here. */
    if(!sqlite3_get_autocommit(p->db)) {
      (void)sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
    }
  } else {
    *pV = v;
  }
  return rc;
}

int storeCheckOwner(store *p, const char *zPath)
{
  struct owner owner; /* Who the file belongs to */
  int rc;             /* Status */

  rc = readOwner(p, zPath, &owner);
  if(rc == STORE_OK) {
    rc = checkOwner(p, zPath, &owner);
  }
  return rc;
}

int storeMigrate(store *p, const char *zPath)
{
  struct owner owner;            /* Who the file belongs to */
  int n = storeMigrationCount(); /* Latest version */
  int v = 0;                     /* Current version */
  int rc;                        /* Status */

  STORE_ASSERT(p != NULL && p->db != NULL && zPath != NULL);
  /* Read without a write lock: an up-to-date database needs none. */
  rc = readOwner(p, zPath, &owner);
  if(rc == STORE_OK) {
    rc = checkOwner(p, zPath, &owner);
  }
  if(rc != STORE_OK) {
    return rc;
  }
  v = owner.iVersion;
  if(v < 0 || v > n) {
    return tooNew(p, zPath, v);
  }
  while(v < n) {
    rc = migrateOne(p, zPath, &v);
    if(rc != STORE_OK) {
      return rc;
    }
  }
  return STORE_OK;
}
