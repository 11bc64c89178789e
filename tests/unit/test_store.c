/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_store.c - unit tests of store/ (store.c, schema.c, results.c).
 * The archive, queue, writer and studies have their own files
 * (test_store_archive.c, test_store_queue.c, test_store_writer.c,
 * test_store_studies.c).
 *
 * The focus is what the rest of dicomqc relies on: the schema is created by
 * its migrations and reopening does not repeat them; a database from a newer
 * dicomqc, or another program's SQLite file (application_id), is refused; a
 * version-1 database upgrades in place; a file database is private (0600) and
 * in WAL mode; writes round-trip, re-scoring a file adds no rows, metrics and
 * verdicts are replaced, bad rows give a status and a message rather than a
 * crash, and rollback discards.  Most tests get a fresh ":memory:" database;
 * those about files get a fresh directory from mkdtemp(), removed afterwards.
 * After each test a consistency check runs SQLite's integrity and foreign-key
 * checks, as Redis's checkConsistency does.  Tests read rows back through
 * storeDb() (store_int.h) and plain SQL.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp, umask */
#endif

#include <sys/stat.h>
#include <unistd.h>

/* Before test_util.h: store_int.h brings <assert.h> and <sqlite3.h>,
 * which must come before <cmocka.h> as the other C headers do. */
#include "store.h"
#include "store_int.h"

/* The C headers in cmocka's order, cmocka itself, assert_close(). */
#include "test_util.h"

#include "test_store_util.h"

/* ---- helpers ---------------------------------------------------------- */

/* Fails, printing both strings, unless zNeedle occurs in zHay. */
static void assertContains(const char *zHay, const char *zNeedle)
{
  if(zHay == NULL || strstr(zHay, zNeedle) == NULL) {
    print_error("expected \"%s\" in \"%s\"\n", zNeedle,
                zHay ? zHay : "(null)");
    fail();
  }
}

/* Metric values are compared with tolerance 0: a REAL column holds an
 * IEEE-754 binary64, so a round trip through SQLite is exact. */
#define EXACT 0.0

/* Runs zSql, which returns one integer, on db. */
static int64_t sqlInt(sqlite3 *db, const char *zSql)
{
  sqlite3_stmt *pStmt = NULL; /* The query */
  int64_t v;                  /* Its result */

  assert_int_equal(sqlite3_prepare_v2(db, zSql, -1, &pStmt, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(pStmt), SQLITE_ROW);
  v = sqlite3_column_int64(pStmt, 0);
  sqlite3_finalize(pStmt);
  return v;
}

/* Runs zSql, which returns one text value or NULL, on db, copying it to
 * zOut (at most nOut bytes); NULL becomes "(null)". */
static void sqlText(sqlite3 *db, const char *zSql, char *zOut, size_t nOut)
{
  sqlite3_stmt *pStmt = NULL; /* The query */
  const unsigned char *z;     /* Its result */

  assert_int_equal(sqlite3_prepare_v2(db, zSql, -1, &pStmt, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(pStmt), SQLITE_ROW);
  z = sqlite3_column_text(pStmt, 0);
  snprintf(zOut, nOut, "%s", z ? (const char *)z : "(null)");
  sqlite3_finalize(pStmt);
}

/* Structure invariants of a store: SQLite's integrity check passes and
 * no row points at a missing instance. */
static void checkConsistency(store *pStore)
{
  char zOk[64]; /* integrity_check result */
  sqlite3 *db = storeDb(pStore);

  sqlText(db, "PRAGMA integrity_check", zOk, sizeof zOk);
  assert_string_equal(zOk, "ok");
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM pragma_foreign_key_check"),
                   0);
}

/* A complete instance as dicom/ would fill it. */
static struct store_instance sampleInstance(void)
{
  struct store_instance in = {0};

  in.zSopInstanceUid = "1.2.826.0.1.3680043.8.498.1";
  in.zStudyInstanceUid = "1.2.826.0.1.3680043.8.498.2";
  in.zSeriesInstanceUid = "1.2.826.0.1.3680043.8.498.3";
  in.zSopClassUid = "1.2.840.10008.5.1.4.1.1.1.1"; /* DX for Presentation */
  in.zTransferSyntax = "1.2.840.10008.1.2.1";      /* Explicit VR LE */
  in.zModality = "DX";
  in.zBodyPart = "CHEST";
  in.zStationName = "XR-ROOM-2";
  in.zOperatorName = "Doe^Jane";
  in.zInstitution = "General Hospital";
  in.zAccessionNumber = "A0001";
  in.zStudyDate = "20240501";
  in.zStudyTime = "101500";
  in.zCallingAet = "MODALITY1";
  in.zFilePath = "archive/1.2/1.2.826.0.1.3680043.8.498.1.dcm";
  in.nFileSize = 8388736;
  in.nRows = 2048;
  in.nColumns = 2048;
  in.nFrames = 1;
  return in;
}

/* Puts sampleInstance() and returns its id. */
static int64_t putSample(store *pStore)
{
  struct store_instance in = sampleInstance();
  int64_t iId = 0;

  assert_int_equal(store_instance_put(pStore, &in, &iId), STORE_OK);
  assert_true(iId >= 1);
  return iId;
}

static int64_t instanceCount(store *pStore)
{
  int64_t n = -1;

  assert_int_equal(store_instance_count(pStore, &n), STORE_OK);
  return n;
}

/* ---- fixtures --------------------------------------------------------- */

static int setupMemory(void **state)
{
  store *pStore = NULL;

  if(store_open(":memory:", &pStore) != STORE_OK) {
    print_error("store_open(:memory:): %s\n", store_errmsg(pStore));
    store_close(pStore);
    return -1;
  }
  *state = pStore;
  return 0;
}

static int teardownMemory(void **state)
{
  store *pStore = *state;

  checkConsistency(pStore);
  store_close(pStore);
  return 0;
}

/* ---- opening and schema ----------------------------------------------- */

static void test_store_open_memory_version_equals_migration_count(void **state)
{
  store *pStore = *state;
  int v = -1;

  assert_true(storeMigrationCount() >= 1);
  assert_int_equal(store_schema_latest(), storeMigrationCount());
  assert_int_equal(store_schema_version(pStore, &v), STORE_OK);
  assert_int_equal(v, storeMigrationCount());
  assert_int_equal(sqlInt(storeDb(pStore), "PRAGMA user_version"), v);
  assert_int_equal(sqlInt(storeDb(pStore),
                          "SELECT count(*) FROM "
                          "sqlite_master WHERE type = 'table'"),
                   8);
  assert_int_equal(sqlInt(storeDb(pStore), "PRAGMA application_id"),
                   STORE_APPLICATION_ID);
}

static void test_store_open_memory_pragmas_set(void **state)
{
  sqlite3 *db = storeDb(*state);

  assert_int_equal(sqlInt(db, "PRAGMA foreign_keys"), 1);
  assert_int_equal(sqlInt(db, "PRAGMA synchronous"), 2); /* 2 = FULL */
  assert_int_equal(sqlInt(db, "PRAGMA busy_timeout"), 5000);
}

static void test_store_open_file_reopen_keeps_schema_and_rows(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  int v = -1;
  int i;

  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  putSample(pStore);
  store_close(pStore);
  /* Reopening twice must neither re-run a migration nor lose data. */
  for(i = 0; i < 2; i++) {
    pStore = NULL;
    assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
    assert_int_equal(store_schema_version(pStore, &v), STORE_OK);
    assert_int_equal(v, store_schema_latest());
    assert_int_equal(instanceCount(pStore), 1);
    checkConsistency(pStore);
    store_close(pStore);
  }
}

static void
test_store_open_newer_version_returns_STORE_ERR_VERSION(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  sqlite3 *db = NULL;
  char zSql[64];
  char zWant[64];
  int v = -1;

  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  store_close(pStore);
  assert_int_equal(sqlite3_open(pTmp->zPath, &db), SQLITE_OK);
  snprintf(zSql, sizeof zSql, "PRAGMA user_version=%d",
           store_schema_latest() + 1);
  assert_int_equal(sqlite3_exec(db, zSql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);

  pStore = NULL;
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_ERR_VERSION);
  assert_non_null(pStore);
  snprintf(zWant, sizeof zWant, "schema version %d",
           store_schema_latest() + 1);
  assertContains(store_errmsg(pStore), zWant);
  assertContains(store_errmsg(pStore), pTmp->zPath);
  /* The failed handle only reports; its message stays. */
  assert_int_equal(store_schema_version(pStore, &v), STORE_MISUSE);
  assert_int_equal(v, -1);
  assertContains(store_errmsg(pStore), zWant);
  store_close(pStore);
}

/* Makes zPath a database of schema version v, as the dicomqc that knew
 * only v migrations would have left it, with one instance of study
 * "1.2.3" when v >= 1. */
static void makeOldDatabase(const char *zPath, int v)
{
  sqlite3 *db = NULL;
  char zSql[64];
  int i;

  assert_int_equal(sqlite3_open(zPath, &db), SQLITE_OK);
  for(i = 0; i < v; i++) {
    assert_int_equal(sqlite3_exec(db, storeMigrationSql(i), NULL, NULL, NULL),
                     SQLITE_OK);
  }
  snprintf(zSql, sizeof zSql, "PRAGMA user_version=%d", v);
  assert_int_equal(sqlite3_exec(db, zSql, NULL, NULL, NULL), SQLITE_OK);
  if(v >= 1) {
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO instances(sop_instance_uid,"
                     " study_instance_uid, modality, file_path, received_at)"
                     " VALUES('1.2.3.4', '1.2.3', 'CR', 'a.dcm',"
                     " '2024-05-01T12:00:00.000Z')",
                     NULL, NULL, NULL),
        SQLITE_OK);
  }
  sqlite3_close(db);
}

static void
test_store_open_failing_migration_rolls_back_whole_step(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  sqlite3 *db = NULL;

  /* A version-1 file that already has an "alerts" table makes migration
   * 2 fail part-way, after it has created the queue and studies. */
  makeOldDatabase(pTmp->zPath, 1);
  assert_int_equal(sqlite3_open(pTmp->zPath, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db, "CREATE TABLE alerts(x)", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_ERR_SQL);
  assertContains(store_errmsg(pStore), "migration 2");
  assertContains(store_errmsg(pStore), "already exists");
  store_close(pStore);
  /* Nothing of the step stayed: same tables, version, application_id. */
  assert_int_equal(sqlite3_open(pTmp->zPath, &db), SQLITE_OK);
  assert_int_equal(sqlInt(db, "PRAGMA user_version"), 1);
  assert_int_equal(sqlInt(db, "PRAGMA application_id"), 0);
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM sqlite_master WHERE"
                              " name IN ('queue', 'studies')"),
                   0);
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM instances"), 1);
  sqlite3_close(db);
}

/* A version-2 file (issue 5's node) with an undelivered alert: version
 * 3 adds the delivery records and acknowledgments and keeps the alert
 * due for every channel. */
static void test_store_open_version_2_upgrades_in_place(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  sqlite3 *db = NULL;

  makeOldDatabase(pTmp->zPath, 2);
  assert_int_equal(sqlite3_open(pTmp->zPath, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db,
                   "INSERT INTO alerts(kind, instance_id, verdict, reasons,"
                   " created_at) VALUES('image', 1, 'retake', '[\"Dark\"]',"
                   " '2024-05-01T12:00:01.000Z')",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  db = storeDb(pStore);
  assert_int_equal(sqlInt(db, "PRAGMA user_version"), 3);
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM sqlite_master WHERE"
                              " name IN ('alert_deliveries', 'acks')"),
                   2);
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM alerts WHERE"
                              " delivered_at IS NULL"),
                   1);
  assert_int_equal(
      store_ack_put(pStore, 1, NULL, "accepted", NULL, NULL, NULL), STORE_OK);
  store_close(pStore);
}

static void test_store_open_version_1_upgrades_in_place(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  sqlite3 *db;
  char zText[128];

  makeOldDatabase(pTmp->zPath, 1);
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  db = storeDb(pStore);
  assert_int_equal(sqlInt(db, "PRAGMA user_version"), 3);
  assert_int_equal(sqlInt(db, "PRAGMA application_id"), STORE_APPLICATION_ID);
  assert_int_equal(instanceCount(pStore), 1);
  /* The instance's study exists, open, never queued. */
  sqlText(db,
          "SELECT study_instance_uid || '|' || modality || '|' ||"
          " instances || '|' || complete || '|' || verdict || '|' ||"
          " first_received_at FROM studies",
          zText, sizeof zText);
  assert_string_equal(zText, "1.2.3|CR|1|0|pending|2024-05-01T12:00:00.000Z");
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM queue"), 0);
  checkConsistency(pStore);
  store_close(pStore);
  /* Opening again changes nothing. */
  pStore = NULL;
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  assert_int_equal(sqlInt(storeDb(pStore), "SELECT count(*) FROM studies"), 1);
  store_close(pStore);
}

static void
test_store_open_foreign_application_id_returns_CORRUPT(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  sqlite3 *db = NULL;
  char zMode[16];

  /* 0x47504b47 is GeoPackage's ("GPKG"), from SQLite's magic.txt. */
  assert_int_equal(sqlite3_open(pTmp->zPath, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db, "PRAGMA application_id = 1196444487", NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_ERR_CORRUPT);
  assertContains(store_errmsg(pStore), "not a dicomqc database");
  assertContains(store_errmsg(pStore), "0x47504b47");
  assertContains(store_errmsg(pStore), pTmp->zPath);
  store_close(pStore);
  /* Untouched: still no tables, and not switched to WAL. */
  assert_int_equal(sqlite3_open(pTmp->zPath, &db), SQLITE_OK);
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM sqlite_master"), 0);
  sqlText(db, "PRAGMA journal_mode", zMode, sizeof zMode);
  assert_string_equal(zMode, "delete");
  sqlite3_close(db);
}

static void
test_store_open_foreign_tables_at_version_0_return_CORRUPT(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  sqlite3 *db = NULL;

  assert_int_equal(sqlite3_open(pTmp->zPath, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db, "CREATE TABLE verdicts(x)", NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_ERR_CORRUPT);
  assertContains(store_errmsg(pStore), "no dicomqc schema");
  store_close(pStore);
}

static void
test_store_open_version_2_without_application_id_is_CORRUPT(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  sqlite3 *db = NULL;

  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  store_close(pStore);
  assert_int_equal(sqlite3_open(pTmp->zPath, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db, "PRAGMA application_id = 0", NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  pStore = NULL;
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_ERR_CORRUPT);
  assertContains(store_errmsg(pStore), "without dicomqc's application_id");
  store_close(pStore);
}

static void test_store_open_file_journal_mode_is_wal(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  sqlite3 *db = NULL;
  char zMode[16];

  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  sqlText(storeDb(pStore), "PRAGMA journal_mode", zMode, sizeof zMode);
  assert_string_equal(zMode, "wal");
  /* WAL is persistent: a second, plain connection sees it too. */
  assert_int_equal(
      sqlite3_open_v2(pTmp->zPath, &db, SQLITE_OPEN_READONLY, NULL),
      SQLITE_OK);
  sqlText(db, "PRAGMA journal_mode", zMode, sizeof zMode);
  assert_string_equal(zMode, "wal");
  sqlite3_close(db);
  assert_int_equal(sqlInt(storeDb(pStore), "PRAGMA synchronous"), 2);
  store_close(pStore);
}

static void test_store_open_new_file_mode_is_0600(void **state)
{
  static const char *const azSuffix[] = {"", "-wal", "-shm"};
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  mode_t oldMask = umask(022); /* SQLite alone would give 0644 */
  char zFile[700];
  struct stat st;
  size_t i;

  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_OK);
  putSample(pStore); /* so that the -wal and -shm files exist */
  for(i = 0; i < sizeof azSuffix / sizeof azSuffix[0]; i++) {
    snprintf(zFile, sizeof zFile, "%s%s", pTmp->zPath, azSuffix[i]);
    assert_int_equal(stat(zFile, &st), 0);
    if((st.st_mode & 07777) != 0600) {
      print_error("%s has mode %o\n", zFile, (unsigned)st.st_mode & 07777);
      fail();
    }
  }
  store_close(pStore);
  umask(oldMask);
}

static void
test_store_open_missing_directory_returns_STORE_ERR_IO(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  char zPath[700];

  snprintf(zPath, sizeof zPath, "%s/no/such/dir/qc.sqlite", pTmp->zDir);
  assert_int_equal(store_open(zPath, &pStore), STORE_ERR_IO);
  assert_non_null(pStore);
  assertContains(store_errmsg(pStore), zPath);
  assertContains(store_errmsg(pStore), "No such file or directory");
  store_close(pStore);
}

static void
test_store_open_not_a_database_returns_STORE_ERR_CORRUPT(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pStore = NULL;
  FILE *pFile = fopen(pTmp->zPath, "wb");
  int i;

  assert_non_null(pFile);
  for(i = 0; i < 64; i++) {
    fputs("this is not a database ", pFile);
  }
  fclose(pFile);
  assert_int_equal(store_open(pTmp->zPath, &pStore), STORE_ERR_CORRUPT);
  assert_non_null(pStore);
  assertContains(store_errmsg(pStore), pTmp->zPath);
  store_close(pStore);
}

static void test_store_open_two_handles_share_one_file(void **state)
{
  struct tsu_dir *pTmp = *state;
  store *pA = NULL;
  store *pB = NULL;

  assert_int_equal(store_open(pTmp->zPath, &pA), STORE_OK);
  assert_int_equal(store_open(pTmp->zPath, &pB), STORE_OK);
  putSample(pA);
  assert_int_equal(instanceCount(pB), 1);
  store_close(pA);
  store_close(pB);
}

/* ---- instances -------------------------------------------------------- */

static void test_store_instance_put_fields_round_trip(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iId = putSample(pStore);
  char zText[128];
  char zSql[160];

  assert_int_equal(instanceCount(pStore), 1);
  snprintf(zSql, sizeof zSql,
           "SELECT modality || '|' || body_part || '|'"
           " || operator_name || '|' || rows || 'x' || columns || '|' ||"
           " frames || '|' || file_size FROM instances WHERE id = %lld",
           (long long)iId);
  sqlText(db, zSql, zText, sizeof zText);
  assert_string_equal(zText, "DX|CHEST|Doe^Jane|2048x2048|1|8388736");
  /* received_at defaults to now, UTC ISO-8601 with milliseconds. */
  sqlText(db, "SELECT received_at FROM instances", zText, sizeof zText);
  assert_int_equal(strlen(zText), strlen("2024-05-01T12:00:00.000Z"));
  assert_int_equal(sqlInt(db, "SELECT received_at GLOB '[0-9][0-9][0-9][0-9]"
                              "-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:"
                              "[0-6][0-9].[0-9][0-9][0-9]Z' FROM instances"),
                   1);
}

static void
test_store_instance_put_null_and_zero_fields_store_null(void **state)
{
  store *pStore = *state;
  struct store_instance in = {0};
  int64_t iId = 0;

  in.zSopInstanceUid = "1.2.3";
  in.zFilePath = "a.dcm";
  in.zReceivedAt = "2024-05-01T12:00:00.000Z";
  assert_int_equal(store_instance_put(pStore, &in, &iId), STORE_OK);
  assert_int_equal(sqlInt(storeDb(pStore),
                          "SELECT count(*) FROM instances"
                          " WHERE modality IS NULL AND calling_aet IS NULL"
                          " AND rows IS NULL AND file_size IS NULL AND"
                          " received_at = '2024-05-01T12:00:00.000Z'"),
                   1);
}

static void
test_store_instance_put_same_uid_and_path_updates_in_place(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  struct store_instance in = sampleInstance();
  int64_t iFirst = 0;
  int64_t iSecond = 0;
  char zAgain[64];
  double v = 0;

  in.zReceivedAt = "2020-01-01T00:00:00.000Z";
  assert_int_equal(store_instance_put(pStore, &in, &iFirst), STORE_OK);
  assert_int_equal(store_metric_put(pStore, iFirst, "brisque", 21.5, NULL, -1),
                   STORE_OK);
  in.zReceivedAt = NULL;
  in.zModality = "CR";
  in.nFileSize = 1234;
  assert_int_equal(store_instance_put(pStore, &in, &iSecond), STORE_OK);
  assert_int_equal(iSecond, iFirst);
  assert_int_equal(instanceCount(pStore), 1);
  sqlText(db, "SELECT modality FROM instances", zAgain, sizeof zAgain);
  assert_string_equal(zAgain, "CR");
  assert_int_equal(sqlInt(db, "SELECT file_size FROM instances"), 1234);
  /* received_at NULL on update keeps the first arrival time. */
  sqlText(db, "SELECT received_at FROM instances", zAgain, sizeof zAgain);
  assert_string_equal(zAgain, "2020-01-01T00:00:00.000Z");
  /* Updated in place, not replaced: the metric survived. */
  assert_int_equal(store_metric_get(pStore, iFirst, "brisque", -1, &v),
                   STORE_OK);
  assert_close(v, 21.5, EXACT);
}

static void test_store_instance_put_same_uid_other_path_adds_row(void **state)
{
  store *pStore = *state;
  struct store_instance in = sampleInstance();
  int64_t iFirst = 0;
  int64_t iSecond = 0;

  assert_int_equal(store_instance_put(pStore, &in, &iFirst), STORE_OK);
  in.zFilePath = "archive/1.2/copy.dcm";
  assert_int_equal(store_instance_put(pStore, &in, &iSecond), STORE_OK);
  assert_true(iSecond != iFirst);
  assert_int_equal(instanceCount(pStore), 2);
}

static void
test_store_instance_put_bad_fields_return_STORE_MISUSE(void **state)
{
  store *pStore = *state;
  struct store_instance in;
  int64_t iId = -7;

  in = sampleInstance();
  in.zSopInstanceUid = NULL;
  assert_int_equal(store_instance_put(pStore, &in, &iId), STORE_MISUSE);
  assertContains(store_errmsg(pStore), "zSopInstanceUid");
  in = sampleInstance();
  in.zFilePath = NULL;
  assert_int_equal(store_instance_put(pStore, &in, &iId), STORE_MISUSE);
  assertContains(store_errmsg(pStore), "zFilePath");
  in = sampleInstance();
  in.nRows = -1;
  assert_int_equal(store_instance_put(pStore, &in, &iId), STORE_MISUSE);
  assertContains(store_errmsg(pStore), "negative");
  assert_int_equal(store_instance_put(pStore, NULL, &iId), STORE_MISUSE);
  assert_int_equal(iId, -7); /* out-param untouched on failure */
  assert_int_equal(instanceCount(pStore), 0);
}

/* ---- metrics ---------------------------------------------------------- */

static void test_store_metric_put_get_round_trip(void **state)
{
  store *pStore = *state;
  int64_t iId = putSample(pStore);
  /* Values whose binary64 form is not short: they must come back exact. */
  static const struct {
    const char *zName;
    double value;
    const char *zUnit;
    int iFrame;
  } aCase[] = {
      {"brisque", 0.1, NULL, -1},
      {"snr", 1.0 / 3.0, "dB", 0},
      {"exposure_index", -3.5e-7, "EI", 2},
      {"noise", 1.7976931348623157e308, "%", -1},
  };
  size_t i;

  for(i = 0; i < sizeof aCase / sizeof aCase[0]; i++) {
    assert_int_equal(store_metric_put(pStore, iId, aCase[i].zName,
                                      aCase[i].value, aCase[i].zUnit,
                                      aCase[i].iFrame),
                     STORE_OK);
  }
  for(i = 0; i < sizeof aCase / sizeof aCase[0]; i++) {
    double v = 0;

    assert_int_equal(
        store_metric_get(pStore, iId, aCase[i].zName, aCase[i].iFrame, &v),
        STORE_OK);
    assert_close(v, aCase[i].value, EXACT);
  }
  assert_int_equal(sqlInt(storeDb(pStore),
                          "SELECT count(*) FROM metrics "
                          "WHERE name = 'snr' AND unit = 'dB' AND frame = 0"),
                   1);
}

static void test_store_metric_put_twice_replaces_value(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iId = putSample(pStore);
  double v = 0;

  /* Whole image (frame NULL) is the case a plain PRIMARY KEY misses. */
  assert_int_equal(store_metric_put(pStore, iId, "niqe", 4.0, NULL, -1),
                   STORE_OK);
  assert_int_equal(store_metric_put(pStore, iId, "niqe", 5.0, NULL, -1),
                   STORE_OK);
  assert_int_equal(store_metric_put(pStore, iId, "niqe", 6.0, NULL, 0),
                   STORE_OK);
  assert_int_equal(store_metric_put(pStore, iId, "niqe", 7.0, NULL, 0),
                   STORE_OK);
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM metrics"), 2);
  assert_int_equal(store_metric_get(pStore, iId, "niqe", -1, &v), STORE_OK);
  assert_close(v, 5.0, EXACT);
  assert_int_equal(store_metric_get(pStore, iId, "niqe", 0, &v), STORE_OK);
  assert_close(v, 7.0, EXACT);
}

static void test_store_metric_get_absent_returns_STORE_NOTFOUND(void **state)
{
  store *pStore = *state;
  int64_t iId = putSample(pStore);
  double v = 42.0;

  assert_int_equal(store_metric_put(pStore, iId, "piqe", 1.0, NULL, 0),
                   STORE_OK);
  assert_int_equal(store_metric_get(pStore, iId, "piqe", -1, &v),
                   STORE_NOTFOUND);
  assert_int_equal(store_metric_get(pStore, iId, "brisque", 0, &v),
                   STORE_NOTFOUND);
  assert_int_equal(store_metric_get(pStore, iId + 1, "piqe", 0, &v),
                   STORE_NOTFOUND);
  assertContains(store_errmsg(pStore), "piqe");
  assert_close(v, 42.0, EXACT);
}

static void
test_store_metric_put_unknown_instance_returns_CONSTRAINT(void **state)
{
  store *pStore = *state;

  assert_int_equal(store_metric_put(pStore, 999, "snr", 1.0, "dB", -1),
                   STORE_ERR_CONSTRAINT);
  assertContains(store_errmsg(pStore), "store_metric_put: instance 999");
  assertContains(store_errmsg(pStore), "FOREIGN KEY");
}

static void test_store_metric_put_bad_args_return_STORE_MISUSE(void **state)
{
  store *pStore = *state;
  int64_t iId = putSample(pStore);
  double v = 0;

  assert_int_equal(store_metric_put(pStore, iId, "snr", NAN, NULL, -1),
                   STORE_MISUSE);
  assertContains(store_errmsg(pStore), "not finite");
  assert_int_equal(store_metric_put(pStore, iId, "snr", INFINITY, NULL, -1),
                   STORE_MISUSE);
  assert_int_equal(store_metric_put(pStore, iId, "snr", 1.0, NULL, -2),
                   STORE_MISUSE);
  assertContains(store_errmsg(pStore), "frame -2");
  assert_int_equal(store_metric_put(pStore, iId, NULL, 1.0, NULL, -1),
                   STORE_MISUSE);
  assert_int_equal(store_metric_get(pStore, iId, "snr", -1, NULL),
                   STORE_MISUSE);
  assert_int_equal(store_metric_get(pStore, iId, "snr", -3, &v), STORE_MISUSE);
  assert_int_equal(sqlInt(storeDb(pStore), "SELECT count(*) FROM metrics"), 0);
}

/* ---- verdicts --------------------------------------------------------- */

static void test_store_verdict_put_known_verdicts_accepted(void **state)
{
  static const char *const azVerdict[] = {"pass", "warn", "retake", "unscored",
                                          "error"};
  store *pStore = *state;
  int64_t iId = putSample(pStore);
  char zGot[32];
  size_t i;

  for(i = 0; i < sizeof azVerdict / sizeof azVerdict[0]; i++) {
    assert_int_equal(
        store_verdict_put(pStore, iId, azVerdict[i], NULL, "[]", NULL),
        STORE_OK);
    sqlText(storeDb(pStore), "SELECT verdict FROM verdicts", zGot,
            sizeof zGot);
    assert_string_equal(zGot, azVerdict[i]);
  }
}

static void test_store_verdict_put_bad_verdict_returns_CONSTRAINT(void **state)
{
  store *pStore = *state;
  int64_t iId = putSample(pStore);
  static const char *const azBad[] = {"PASS", "retry", "", "pass "};
  size_t i;

  for(i = 0; i < sizeof azBad / sizeof azBad[0]; i++) {
    assert_int_equal(
        store_verdict_put(pStore, iId, azBad[i], NULL, NULL, NULL),
        STORE_ERR_CONSTRAINT);
    assertContains(store_errmsg(pStore), "store_verdict_put");
    assertContains(store_errmsg(pStore), "CHECK constraint failed");
  }
  assert_int_equal(store_verdict_put(pStore, iId, NULL, NULL, NULL, NULL),
                   STORE_MISUSE);
  assert_int_equal(sqlInt(storeDb(pStore), "SELECT count(*) FROM verdicts"),
                   0);
}

static void test_store_verdict_put_twice_replaces(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iId = putSample(pStore);
  const double quality = 0.8125;
  const char *zReasons = "[\"Underexposed: deviation index -4.2, limit -3\"]";
  char zGot[128];

  assert_int_equal(
      store_verdict_put(pStore, iId, "warn", &quality, "[]", NULL), STORE_OK);
  assert_int_equal(
      store_verdict_put(pStore, iId, "retake", NULL, zReasons, NULL),
      STORE_OK);
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM verdicts"), 1);
  assert_int_equal(sqlInt(db,
                          "SELECT count(*) FROM verdicts WHERE verdict"
                          " = 'retake' AND quality IS NULL AND error IS NULL"
                          " AND decided_at LIKE '____-__-__T__:__:__.___Z'"),
                   1);
  sqlText(db, "SELECT reasons FROM verdicts", zGot, sizeof zGot);
  assert_string_equal(zGot, zReasons);
  assert_int_equal(
      store_verdict_put(pStore, iId, "error", &quality, NULL, "decode failed"),
      STORE_OK);
  assert_int_equal(sqlInt(db, "SELECT quality = 0.8125 AND reasons IS NULL"
                              " AND error = 'decode failed' FROM verdicts"),
                   1);
  assert_int_equal(store_verdict_put(pStore, 999, "pass", NULL, NULL, NULL),
                   STORE_ERR_CONSTRAINT);
}

static void test_store_delete_instance_cascades_to_results(void **state)
{
  store *pStore = *state;
  sqlite3 *db = storeDb(pStore);
  int64_t iId = putSample(pStore);

  assert_int_equal(store_metric_put(pStore, iId, "snr", 30.0, "dB", -1),
                   STORE_OK);
  assert_int_equal(store_verdict_put(pStore, iId, "pass", NULL, "[]", NULL),
                   STORE_OK);
  assert_int_equal(sqlite3_exec(db, "DELETE FROM instances", NULL, NULL, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM metrics"), 0);
  assert_int_equal(sqlInt(db, "SELECT count(*) FROM verdicts"), 0);
}

/* ---- transactions ----------------------------------------------------- */

static void test_store_rollback_discards_writes(void **state)
{
  store *pStore = *state;
  int64_t iId;

  assert_int_equal(store_begin(pStore), STORE_OK);
  iId = putSample(pStore);
  assert_int_equal(store_metric_put(pStore, iId, "snr", 1.0, "dB", -1),
                   STORE_OK);
  assert_int_equal(store_verdict_put(pStore, iId, "pass", NULL, "[]", NULL),
                   STORE_OK);
  assert_int_equal(instanceCount(pStore), 1);
  assert_int_equal(store_rollback(pStore), STORE_OK);
  assert_int_equal(instanceCount(pStore), 0);
  assert_int_equal(sqlInt(storeDb(pStore),
                          "SELECT (SELECT count(*) FROM "
                          "metrics) + (SELECT count(*) FROM verdicts)"),
                   0);
}

static void test_store_commit_keeps_writes_after_failed_put(void **state)
{
  store *pStore = *state;
  int64_t iId;
  double v = 0;

  assert_int_equal(store_begin(pStore), STORE_OK);
  iId = putSample(pStore);
  assert_int_equal(store_metric_put(pStore, iId, "snr", 2.5, "dB", -1),
                   STORE_OK);
  /* A refused row fails its statement only; the transaction goes on. */
  assert_int_equal(store_verdict_put(pStore, iId, "bogus", NULL, NULL, NULL),
                   STORE_ERR_CONSTRAINT);
  assert_int_equal(store_verdict_put(pStore, iId, "warn", NULL, NULL, NULL),
                   STORE_OK);
  assert_int_equal(store_commit(pStore), STORE_OK);
  assert_int_equal(instanceCount(pStore), 1);
  assert_int_equal(store_metric_get(pStore, iId, "snr", -1, &v), STORE_OK);
  assert_close(v, 2.5, EXACT);
}

static void test_store_transaction_misuse_returns_STORE_MISUSE(void **state)
{
  store *pStore = *state;

  assert_int_equal(store_commit(pStore), STORE_MISUSE);
  assertContains(store_errmsg(pStore), "store_commit");
  assert_int_equal(store_rollback(pStore), STORE_OK); /* harmless */
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(store_begin(pStore), STORE_MISUSE);
  assertContains(store_errmsg(pStore), "already open");
  assert_int_equal(store_rollback(pStore), STORE_OK);
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(store_commit(pStore), STORE_OK);
}

/* ---- handles and status text ------------------------------------------ */

static void test_store_null_handle_returns_STORE_MISUSE(void **state)
{
  struct store_instance in = sampleInstance();
  store *pStore = NULL;
  int64_t n = -1;
  double v = -1;
  int iVersion = -1;

  (void)state;
  assert_int_equal(store_instance_put(NULL, &in, &n), STORE_MISUSE);
  assert_int_equal(store_instance_count(NULL, &n), STORE_MISUSE);
  assert_int_equal(store_metric_put(NULL, 1, "snr", 1.0, NULL, -1),
                   STORE_MISUSE);
  assert_int_equal(store_metric_get(NULL, 1, "snr", -1, &v), STORE_MISUSE);
  assert_int_equal(store_verdict_put(NULL, 1, "pass", NULL, NULL, NULL),
                   STORE_MISUSE);
  assert_int_equal(store_begin(NULL), STORE_MISUSE);
  assert_int_equal(store_commit(NULL), STORE_MISUSE);
  assert_int_equal(store_rollback(NULL), STORE_MISUSE);
  assert_int_equal(store_schema_version(NULL, &iVersion), STORE_MISUSE);
  assert_int_equal(n, -1);
  assert_close(v, -1, EXACT);
  assert_int_equal(iVersion, -1);
  assert_non_null(store_errmsg(NULL));
  store_close(NULL); /* harmless no-op */

  assert_int_equal(store_open(":memory:", NULL), STORE_MISUSE);
  assert_int_equal(store_open(NULL, &pStore), STORE_MISUSE);
  assert_non_null(pStore);
  assertContains(store_errmsg(pStore), "zPath is NULL");
  assert_int_equal(store_begin(pStore), STORE_MISUSE);
  store_close(pStore);
}

static void test_store_errmsg_before_any_failure_is_not_an_error(void **state)
{
  assert_string_equal(store_errmsg(*state), "not an error");
}

static void test_store_strstatus_every_status_has_distinct_text(void **state)
{
  static const int aStatus[] = {STORE_OK,
                                STORE_NOTFOUND,
                                STORE_MISUSE,
                                STORE_ERR_NOMEM,
                                STORE_ERR_IO,
                                STORE_ERR_BUSY,
                                STORE_ERR_CONSTRAINT,
                                STORE_ERR_VERSION,
                                STORE_ERR_CORRUPT,
                                STORE_ERR_SQL,
                                STORE_ERR_INVALID};
  const size_t n = sizeof aStatus / sizeof aStatus[0];
  size_t i, j;

  (void)state;
  for(i = 0; i < n; i++) {
    assert_non_null(store_strstatus(aStatus[i]));
    assert_string_not_equal(store_strstatus(aStatus[i]), "unknown status");
    for(j = 0; j < i; j++) {
      assert_string_not_equal(store_strstatus(aStatus[i]),
                              store_strstatus(aStatus[j]));
    }
  }
  assert_string_equal(store_strstatus(-1), "unknown status");
  assert_string_equal(store_strstatus((int)n), "unknown status");
}

/* ---- runner ----------------------------------------------------------- */

#define MEM_TEST(f)                                                           \
  cmocka_unit_test_setup_teardown(f, setupMemory, teardownMemory)
#define DIR_TEST(f)                                                           \
  cmocka_unit_test_setup_teardown(f, tsu_setup_dir, tsu_teardown_dir)

int main(void)
{
  const struct CMUnitTest aTest[] = {
      MEM_TEST(test_store_open_memory_version_equals_migration_count),
      MEM_TEST(test_store_open_memory_pragmas_set),
      DIR_TEST(test_store_open_file_reopen_keeps_schema_and_rows),
      DIR_TEST(test_store_open_newer_version_returns_STORE_ERR_VERSION),
      DIR_TEST(test_store_open_failing_migration_rolls_back_whole_step),
      DIR_TEST(test_store_open_version_1_upgrades_in_place),
      DIR_TEST(test_store_open_version_2_upgrades_in_place),
      DIR_TEST(test_store_open_foreign_application_id_returns_CORRUPT),
      DIR_TEST(test_store_open_foreign_tables_at_version_0_return_CORRUPT),
      DIR_TEST(test_store_open_version_2_without_application_id_is_CORRUPT),
      DIR_TEST(test_store_open_file_journal_mode_is_wal),
      DIR_TEST(test_store_open_new_file_mode_is_0600),
      DIR_TEST(test_store_open_missing_directory_returns_STORE_ERR_IO),
      DIR_TEST(test_store_open_not_a_database_returns_STORE_ERR_CORRUPT),
      DIR_TEST(test_store_open_two_handles_share_one_file),
      MEM_TEST(test_store_instance_put_fields_round_trip),
      MEM_TEST(test_store_instance_put_null_and_zero_fields_store_null),
      MEM_TEST(test_store_instance_put_same_uid_and_path_updates_in_place),
      MEM_TEST(test_store_instance_put_same_uid_other_path_adds_row),
      MEM_TEST(test_store_instance_put_bad_fields_return_STORE_MISUSE),
      MEM_TEST(test_store_metric_put_get_round_trip),
      MEM_TEST(test_store_metric_put_twice_replaces_value),
      MEM_TEST(test_store_metric_get_absent_returns_STORE_NOTFOUND),
      MEM_TEST(test_store_metric_put_unknown_instance_returns_CONSTRAINT),
      MEM_TEST(test_store_metric_put_bad_args_return_STORE_MISUSE),
      MEM_TEST(test_store_verdict_put_known_verdicts_accepted),
      MEM_TEST(test_store_verdict_put_bad_verdict_returns_CONSTRAINT),
      MEM_TEST(test_store_verdict_put_twice_replaces),
      MEM_TEST(test_store_delete_instance_cascades_to_results),
      MEM_TEST(test_store_rollback_discards_writes),
      MEM_TEST(test_store_commit_keeps_writes_after_failed_put),
      MEM_TEST(test_store_transaction_misuse_returns_STORE_MISUSE),
      cmocka_unit_test(test_store_null_handle_returns_STORE_MISUSE),
      MEM_TEST(test_store_errmsg_before_any_failure_is_not_an_error),
      cmocka_unit_test(test_store_strstatus_every_status_has_distinct_text),
  };

  return cmocka_run_group_tests(aTest, NULL, NULL);
}
