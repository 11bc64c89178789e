/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_store_util.h - helpers shared by the store/ tests that came with
 * schema version 2 (test_store_archive.c, test_store_queue.c,
 * test_store_writer.c, test_store_studies.c): a fresh mkdtemp()
 * directory per test, removed with everything in it afterwards; plain-SQL
 * reads of the database through storeDb(); and instances to receive.
 *
 * Include it after test_util.h.  Every function is static inline so a
 * test file that does not use one gets no warning.  None of these may be
 * called from a thread other than the test's own: cmocka's checks are
 * not thread-safe.
 */
#ifndef DICOMQC_TEST_STORE_UTIL_H
#define DICOMQC_TEST_STORE_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"

/* "Now" of the clocked fixtures. */
#define TSU_T0 "2026-11-27T14:00:00.000Z"

/* Fixture of the tests that need files. */
struct tsu_dir {
  char zDir[512];  /* Directory made by mkdtemp() */
  char zPath[600]; /* zDir/qc.sqlite (not yet created) */
};

/* Fails, printing both strings, unless zNeedle occurs in zHay. */
static inline void tsu_contains(const char *zHay, const char *zNeedle)
{
  if(zHay == NULL || strstr(zHay, zNeedle) == NULL) {
    print_error("expected \"%s\" in \"%s\"\n", zNeedle,
                zHay ? zHay : "(null)");
    fail();
  }
}

/* Runs zSql, which returns one integer, on db. */
static inline int64_t tsu_int(sqlite3 *db, const char *zSql)
{
  sqlite3_stmt *pStmt = NULL; /* The query */
  int64_t v;                  /* Its result */

  if(sqlite3_prepare_v2(db, zSql, -1, &pStmt, NULL) != SQLITE_OK) {
    fail_msg("%s: %s", zSql, sqlite3_errmsg(db));
  }
  assert_int_equal(sqlite3_step(pStmt), SQLITE_ROW);
  v = sqlite3_column_int64(pStmt, 0);
  sqlite3_finalize(pStmt);
  return v;
}

/* Runs zSql, which returns one text value or NULL ("(null)"), on db,
 * copying it to zOut (nOut bytes). */
static inline void tsu_text(sqlite3 *db, const char *zSql, char *zOut,
                            size_t nOut)
{
  sqlite3_stmt *pStmt = NULL; /* The query */
  const unsigned char *z;     /* Its result */

  if(sqlite3_prepare_v2(db, zSql, -1, &pStmt, NULL) != SQLITE_OK) {
    fail_msg("%s: %s", zSql, sqlite3_errmsg(db));
  }
  assert_int_equal(sqlite3_step(pStmt), SQLITE_ROW);
  z = sqlite3_column_text(pStmt, 0);
  snprintf(zOut, nOut, "%s", z ? (const char *)z : "(null)");
  sqlite3_finalize(pStmt);
}

/* Runs SQL that returns nothing on db. */
static inline void tsu_exec(sqlite3 *db, const char *zSql)
{
  char *zErr = NULL; /* SQLite's message */

  if(sqlite3_exec(db, zSql, NULL, NULL, &zErr) != SQLITE_OK) {
    print_error("%s: %s\n", zSql, zErr ? zErr : "?");
    sqlite3_free(zErr);
    fail();
  }
}

/* SQLite's integrity check passes and no row points at a missing one. */
static inline void tsu_consistent(store *pStore)
{
  char zOk[64]; /* integrity_check result */
  sqlite3 *db = storeDb(pStore);

  tsu_text(db, "PRAGMA integrity_check", zOk, sizeof zOk);
  assert_string_equal(zOk, "ok");
  assert_int_equal(
      tsu_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

/* Removes zPath and, if it is a directory, everything under it. */
static inline void tsu_rm_rf(const char *zPath)
{
  struct stat st;
  DIR *pDir;
  struct dirent *pEnt;
  char zChild[1024];

  if(lstat(zPath, &st) != 0) {
    return;
  }
  if(!S_ISDIR(st.st_mode)) {
    unlink(zPath);
    return;
  }
  chmod(zPath, 0700); /* a test may have made it read-only */
  pDir = opendir(zPath);
  while(pDir != NULL && (pEnt = readdir(pDir)) != NULL) {
    if(strcmp(pEnt->d_name, ".") == 0 || strcmp(pEnt->d_name, "..") == 0) {
      continue;
    }
    if(snprintf(zChild, sizeof zChild, "%s/%s", zPath, pEnt->d_name) <
       (int)sizeof zChild) {
      tsu_rm_rf(zChild);
    }
  }
  if(pDir != NULL) {
    closedir(pDir);
  }
  rmdir(zPath);
}

/* cmocka fixture: a fresh ":memory:" store whose clock reads TSU_T0. */
static inline int tsu_setup_memory(void **state)
{
  store *pStore = NULL;

  if(store_open(":memory:", &pStore) != STORE_OK ||
     store_clock_set(pStore, TSU_T0) != STORE_OK) {
    print_error("store_open(:memory:): %s\n", store_errmsg(pStore));
    store_close(pStore);
    return -1;
  }
  *state = pStore;
  return 0;
}

/* Checks the store's invariants, then closes it. */
static inline int tsu_teardown_memory(void **state)
{
  store *pStore = *state;

  tsu_consistent(pStore);
  store_close(pStore);
  return 0;
}

static inline int tsu_setup_dir(void **state)
{
  struct tsu_dir *pTmp = calloc(1, sizeof *pTmp);
  const char *zBase = getenv("TMPDIR");

  if(pTmp == NULL) {
    return -1;
  }
  snprintf(pTmp->zDir, sizeof pTmp->zDir, "%s/dicomqc-store-XXXXXX",
           zBase && zBase[0] ? zBase : "/tmp");
  if(mkdtemp(pTmp->zDir) == NULL) {
    free(pTmp);
    return -1;
  }
  snprintf(pTmp->zPath, sizeof pTmp->zPath, "%s/qc.sqlite", pTmp->zDir);
  *state = pTmp;
  return 0;
}

static inline int tsu_teardown_dir(void **state)
{
  struct tsu_dir *pTmp = *state;

  tsu_rm_rf(pTmp->zDir);
  free(pTmp);
  return 0;
}

/* An instance of study zStudy as the receiver fills it; zSop also names
 * its file.  The strings must outlive the call that uses it: the path is
 * written to zPathBuf (nPathBuf bytes). */
static inline struct store_instance tsu_instance(const char *zStudy,
                                                 const char *zSop,
                                                 char *zPathBuf,
                                                 size_t nPathBuf)
{
  struct store_instance in = {0};

  snprintf(zPathBuf, nPathBuf, "archive/%s/%s.dcm", zStudy, zSop);
  in.zSopInstanceUid = zSop;
  in.zStudyInstanceUid = zStudy;
  in.zSeriesInstanceUid = "1.2.826.0.1.3680043.8.498.3";
  in.zSopClassUid = "1.2.840.10008.5.1.4.1.1.1.1";
  in.zModality = "DX";
  in.zCallingAet = "MODALITY1";
  in.zFilePath = zPathBuf;
  in.nFileSize = 1024;
  return in;
}

#endif /* DICOMQC_TEST_STORE_UTIL_H */
