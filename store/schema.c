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
};

int storeMigrationCount(void)
{
  return (int)(sizeof aMigration / sizeof aMigration[0]);
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
  int v = 0;                     /* Version seen under the write lock */
  int rc;                        /* Status */

  rc = storeStmtExec(p, STORE_STMT_BEGIN, "BEGIN IMMEDIATE",
                     "store_open: starting a migration");
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storePragmaInt(p, "user_version", "store_open", &v);
  if(rc != STORE_OK) {
    goto migrate_end;
  }
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

int storeMigrate(store *p, const char *zPath)
{
  int n = storeMigrationCount(); /* Latest version */
  int v = 0;                     /* Current version */
  int rc;                        /* Status */

  STORE_ASSERT(p != NULL && p->db != NULL && zPath != NULL);
  /* Read without a write lock: an up-to-date database needs none. */
  rc = storePragmaInt(p, "user_version", "store_open", &v);
  if(rc != STORE_OK) {
    return rc;
  }
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
