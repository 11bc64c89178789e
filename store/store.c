/* SPDX-License-Identifier: BSD-3-Clause
 *
 * store.c - opening and closing the dicomqc database, error reporting, the
 * prepared-statement cache and transactions.
 *
 * store_open() creates the file itself (mode 0600, directory entry synced)
 * before SQLite sees it, because SQLite would create it 0644 and never
 * sync the directory; SQLite then gives the -wal and -shm files the same
 * permissions as the database.  The connection is set up for durability
 * (WAL, synchronous=FULL: a commit is on disk when COMMIT returns) and for
 * several processes sharing one file (busy timeout), then schema.c brings
 * the schema up to date.  Every failure leaves a message on the handle
 * naming the operation, the file or value, and SQLite's explanation.
 * It also holds the helpers the other files share: the clock, binding,
 * stepping and the own-transaction pattern.
 *
 * Tests: tests/unit/test_store.c
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Text of each store_status, indexed by value. */
static const char *const azStatus[] = {
    "not an error",                               /* STORE_OK */
    "no such row",                                /* STORE_NOTFOUND */
    "store library used incorrectly",             /* STORE_MISUSE */
    "out of memory",                              /* STORE_ERR_NOMEM */
    "database file I/O error",                    /* STORE_ERR_IO */
    "database is locked by another connection",   /* STORE_ERR_BUSY */
    "row breaks a database constraint",           /* STORE_ERR_CONSTRAINT */
    "database schema is newer than this program", /* STORE_ERR_VERSION */
    "database file is corrupt or not a database", /* STORE_ERR_CORRUPT */
    "SQL error",                                  /* STORE_ERR_SQL */
    "invalid value refused"                       /* STORE_ERR_INVALID */
};

const char *store_strstatus(int rc)
{
  if(rc < 0 || rc >= (int)(sizeof azStatus / sizeof azStatus[0])) {
    return "unknown status";
  }
  return azStatus[rc];
}

int storeErr(store *p, int rc, const char *zFmt, ...)
{
  va_list ap; /* Arguments of zFmt */

  STORE_ASSERT(p != NULL && zFmt != NULL);
  va_start(ap, zFmt);
  vsnprintf(p->zErr, sizeof p->zErr, zFmt, ap);
  va_end(ap);
  p->hasErr = 1;
  return rc;
}

int storeStatusFromSqlite(int sqliteRc)
{
  switch(sqliteRc & 0xff) {
  case SQLITE_OK:
    return STORE_OK;
  case SQLITE_NOMEM:
    return STORE_ERR_NOMEM;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return STORE_ERR_BUSY;
  case SQLITE_CONSTRAINT:
    return STORE_ERR_CONSTRAINT;
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN:
  case SQLITE_FULL:
  case SQLITE_READONLY:
  case SQLITE_PERM:
  case SQLITE_PROTOCOL:
    return STORE_ERR_IO;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return STORE_ERR_CORRUPT;
  case SQLITE_MISUSE:
    return STORE_MISUSE;
  default:
    return STORE_ERR_SQL;
  }
}

int storeSqlErr(store *p, int sqliteRc, const char *zFmt, ...)
{
  va_list ap;          /* Arguments of zFmt */
  const char *zSqlite; /* SQLite's own message */
  size_t n;            /* Length of the context part */
  int rc;              /* The store_status returned */

  STORE_ASSERT(p != NULL && zFmt != NULL && sqliteRc != SQLITE_OK);
  zSqlite = p->db ? sqlite3_errmsg(p->db) : sqlite3_errstr(sqliteRc);
  va_start(ap, zFmt);
  vsnprintf(p->zErr, sizeof p->zErr, zFmt, ap);
  va_end(ap);
  n = strlen(p->zErr);
  snprintf(p->zErr + n, sizeof p->zErr - n, ": %s", zSqlite);
  p->hasErr = 1;
  rc = storeStatusFromSqlite(sqliteRc);
  return rc == STORE_OK ? STORE_ERR_SQL : rc;
}

/* Records errno after a failed system call on zPath. */
static int errnoErr(store *p, int rc, const char *zWhat, const char *zPath)
{
  int iErrno = errno; /* Saved before any other call */
  char zSys[128];     /* strerror_r() text */

  if(strerror_r(iErrno, zSys, sizeof zSys) != 0) {
    snprintf(zSys, sizeof zSys, "errno %d", iErrno);
  }
  return storeErr(p, rc, "store_open: %s %s: %s", zWhat, zPath, zSys);
}

int storeCheck(store *p)
{
  if(p == NULL) {
    return STORE_MISUSE;
  }
  STORE_ASSERT(p->iMagic == STORE_MAGIC);
  return p->db == NULL ? STORE_MISUSE : STORE_OK;
}

int storeStmt(store *p, enum store_stmt_slot iSlot, const char *zSql,
              const char *zOp, sqlite3_stmt **ppStmt)
{
  int rc; /* SQLite result */

  STORE_ASSERT(p != NULL && p->db != NULL && zSql != NULL);
  STORE_ASSERT(iSlot < STORE_STMT_COUNT && ppStmt != NULL);
  if(p->apStmt[iSlot] == NULL) {
    rc = sqlite3_prepare_v2(p->db, zSql, -1, &p->apStmt[iSlot], NULL);
    if(rc != SQLITE_OK) {
      return storeSqlErr(p, rc, "%s: preparing SQL", zOp);
    }
  }
  /* One slot, one SQL text: a mix-up between files is a bug here. */
  STORE_ASSERT(strcmp(sqlite3_sql(p->apStmt[iSlot]), zSql) == 0);
  *ppStmt = p->apStmt[iSlot];
  return STORE_OK;
}

void storeStmtDone(sqlite3_stmt *pStmt)
{
  /* reset() repeats the last step's error, already reported. */
  (void)sqlite3_reset(pStmt);
  (void)sqlite3_clear_bindings(pStmt);
}

int storeStmtExec(store *p, enum store_stmt_slot iSlot, const char *zSql,
                  const char *zOp)
{
  sqlite3_stmt *pStmt = NULL; /* The cached statement */
  int rc;                     /* Status */

  rc = storeStmt(p, iSlot, zSql, zOp, &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = sqlite3_step(pStmt);
  if(rc == SQLITE_DONE) {
    rc = STORE_OK;
  } else {
    rc = storeSqlErr(p, rc, "%s", zOp);
  }
  storeStmtDone(pStmt);
  return rc;
}

int storePragmaInt(store *p, const char *zPragma, const char *zOp, int *pValue)
{
  char zSql[64];              /* "PRAGMA name" */
  sqlite3_stmt *pStmt = NULL; /* One-off statement */
  int rc;                     /* Status */

  snprintf(zSql, sizeof zSql, "PRAGMA %s", zPragma);
  rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, NULL);
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc == SQLITE_ROW) {
    *pValue = sqlite3_column_int(pStmt, 0);
    rc = STORE_OK;
  } else if(rc == SQLITE_DONE) {
    rc = storeErr(p, STORE_ERR_SQL, "%s: %s returned no value", zOp, zSql);
  } else {
    rc = storeSqlErr(p, rc, "%s: %s", zOp, zSql);
  }
  sqlite3_finalize(pStmt);
  return rc;
}

sqlite3 *storeDb(store *p)
{
  STORE_ASSERT(p != NULL && p->iMagic == STORE_MAGIC);
  return p->db;
}

/* True for the names SQLite treats as "no file": a private in-memory
 * database, or a private temporary one. */
static int isMemoryPath(const char *zPath)
{
  return strcmp(zPath, ":memory:") == 0 || zPath[0] == '\0';
}

/* fsync()s the directory holding zPath so that a newly created entry
 * survives a crash. */
static int syncDir(store *p, const char *zPath)
{
  char zMsg[STORE_ERRMSG_MAX - 32]; /* storeSyncDir()'s message */
  int rc = storeSyncDir(zPath, storeDirLength(zPath), zMsg, sizeof zMsg);

  if(rc != STORE_OK) {
    return storeErr(p, rc, "store_open: %s", zMsg);
  }
  return STORE_OK;
}

/* Creates zPath with mode 0600 if it does not exist yet.  An empty file
 * is a valid empty SQLite database.  An existing file is left as it is. */
static int createFile(store *p, const char *zPath)
{
  int fd; /* The new file */

  fd = open(zPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if(fd < 0) {
    if(errno == EEXIST) {
      return STORE_OK;
    }
    return errnoErr(p, STORE_ERR_IO, "cannot create", zPath);
  }
  /* The umask may have removed owner bits SQLite needs. */
  if(fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
    int rc = errnoErr(p, STORE_ERR_IO, "cannot set up", zPath);
    close(fd);
    return rc;
  }
  close(fd);
  return syncDir(p, zPath);
}

/* Switches a file database to WAL and checks that it took: SQLite keeps
 * the old mode where WAL is impossible (no shared memory, e.g. some
 * network file systems). */
static int setWal(store *p, const char *zPath)
{
  sqlite3_stmt *pStmt = NULL; /* PRAGMA journal_mode=WAL */
  const char *zMode;          /* Mode in force afterwards */
  int rc;                     /* Status */

  rc = sqlite3_prepare_v2(p->db, "PRAGMA journal_mode=WAL", -1, &pStmt, NULL);
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc != SQLITE_ROW) {
    rc = storeSqlErr(p, rc, "store_open: %s: enabling WAL", zPath);
    goto wal_end;
  }
  zMode = (const char *)sqlite3_column_text(pStmt, 0);
  if(zMode == NULL || strcmp(zMode, "wal") != 0) {
    rc = storeErr(p, STORE_ERR_IO,
                  "store_open: %s: cannot use WAL journaling (mode stays "
                  "'%s'); keep the database on a local file system",
                  zPath, zMode ? zMode : "?");
    goto wal_end;
  }
  rc = STORE_OK;
wal_end:
  sqlite3_finalize(pStmt);
  return rc;
}

/* Opens the SQLite connection on zPath and sets it up. */
static int openDb(store *p, const char *zPath)
{
  int isMem = isMemoryPath(zPath); /* No file, no WAL */
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  int fk = 0; /* PRAGMA foreign_keys after setting */
  int rc;     /* Status */

  /* For a file, createFile() made it: SQLite must not create it 0644. */
  if(isMem) {
    flags |= SQLITE_OPEN_CREATE;
  }
  rc = sqlite3_open_v2(zPath, &p->db, flags, NULL);
  if(p->db == NULL) {
    return storeErr(p, STORE_ERR_NOMEM, "store_open: %s: out of memory",
                    zPath);
  }
  if(rc != SQLITE_OK) {
    return storeSqlErr(p, rc, "store_open: cannot open %s", zPath);
  }
  sqlite3_extended_result_codes(p->db, 1);
  sqlite3_busy_timeout(p->db, STORE_BUSY_MS);
  if(!isMem) {
    /* Another program's database is refused before WAL touches it. */
    rc = storeCheckOwner(p, zPath);
    if(rc == STORE_OK) {
      rc = setWal(p, zPath);
    }
    if(rc != STORE_OK) {
      return rc;
    }
  }
  rc = sqlite3_exec(p->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
                    NULL, NULL, NULL);
  if(rc != SQLITE_OK) {
    return storeSqlErr(p, rc, "store_open: %s: setting pragmas", zPath);
  }
  rc = storePragmaInt(p, "foreign_keys", "store_open", &fk);
  if(rc == STORE_OK && fk != 1) {
    rc = storeErr(p, STORE_ERR_SQL,
                  "store_open: this SQLite library was "
                  "built without foreign keys; dicomqc needs them");
  }
  return rc;
}

/* Finalizes the cached statements and closes the connection, if any. */
static void closeDb(store *p)
{
  size_t i; /* Statement slot */

  for(i = 0; i < STORE_STMT_COUNT; i++) {
    sqlite3_finalize(p->apStmt[i]);
    p->apStmt[i] = NULL;
  }
  /* close_v2 cannot fail for want of finalized statements. */
  sqlite3_close_v2(p->db);
  p->db = NULL;
}

int store_open(const char *zPath, store **ppStore)
{
  store *p; /* The new handle */
  int rc;   /* Status */

  if(ppStore == NULL) {
    return STORE_MISUSE;
  }
  p = calloc(1, sizeof *p);
  if(p == NULL) {
    *ppStore = NULL;
    return STORE_ERR_NOMEM;
  }
  p->iMagic = STORE_MAGIC;
  if(zPath == NULL) {
    rc = storeErr(p, STORE_MISUSE, "store_open: zPath is NULL");
    goto open_end;
  }
  if(sqlite3_libversion_number() < STORE_SQLITE_MIN) {
    rc = storeErr(p, STORE_ERR_SQL,
                  "store_open: SQLite %s is too old; "
                  "dicomqc needs 3.24.0 or newer",
                  sqlite3_libversion());
    goto open_end;
  }
  rc = isMemoryPath(zPath) ? STORE_OK : createFile(p, zPath);
  if(rc == STORE_OK) {
    rc = openDb(p, zPath);
  }
  if(rc == STORE_OK) {
    rc = storeMigrate(p, zPath);
  }
open_end:
  if(rc != STORE_OK) {
    closeDb(p);
  }
  *ppStore = p;
  return rc;
}

void store_close(store *p)
{
  if(p == NULL) {
    return;
  }
  STORE_ASSERT(p->iMagic == STORE_MAGIC);
  closeDb(p);
  p->iMagic = 0;
  free(p);
}

const char *store_errmsg(store *p)
{
  if(p == NULL) {
    return "out of memory (no store handle)";
  }
  return p->hasErr ? p->zErr : "not an error";
}

int store_schema_latest(void)
{
  return storeMigrationCount();
}

int store_schema_version(store *p, int *pVersion)
{
  int v = 0; /* user_version */
  int rc;    /* Status */

  rc = storeCheck(p);
  if(rc != STORE_OK) {
    return rc;
  }
  if(pVersion == NULL) {
    return storeErr(p, STORE_MISUSE,
                    "store_schema_version: pVersion is "
                    "NULL");
  }
  rc = storePragmaInt(p, "user_version", "store_schema_version", &v);
  if(rc == STORE_OK) {
    *pVersion = v;
  }
  return rc;
}

int store_begin(store *p)
{
  int rc = storeCheck(p); /* Status */

  if(rc != STORE_OK) {
    return rc;
  }
  if(!sqlite3_get_autocommit(p->db)) {
    return storeErr(p, STORE_MISUSE,
                    "store_begin: a transaction is "
                    "already open; call store_commit() or store_rollback() "
                    "first");
  }
  return storeStmtExec(p, STORE_STMT_BEGIN, "BEGIN IMMEDIATE", "store_begin");
}

int store_commit(store *p)
{
  int rc = storeCheck(p); /* Status */

  if(rc != STORE_OK) {
    return rc;
  }
  if(sqlite3_get_autocommit(p->db)) {
    return storeErr(p, STORE_MISUSE,
                    "store_commit: no transaction is open "
                    "(it was never begun, or SQLite rolled it back after "
                    "an error)");
  }
  return storeStmtExec(p, STORE_STMT_COMMIT, "COMMIT", "store_commit");
}

int store_rollback(store *p)
{
  int rc = storeCheck(p); /* Status */

  if(rc != STORE_OK) {
    return rc;
  }
  if(sqlite3_get_autocommit(p->db)) {
    return STORE_OK;
  }
  return storeStmtExec(p, STORE_STMT_ROLLBACK, "ROLLBACK", "store_rollback");
}

void storeTimeNow(char *zBuf)
{
  struct timespec ts; /* Now, from the system */
  struct tm tm;       /* Its UTC calendar form */
  size_t n;           /* Characters written by strftime */

  if(clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
     gmtime_r(&ts.tv_sec, &tm) == NULL) {
    /* Cannot happen with CLOCK_REALTIME and a valid time_t. */
    snprintf(zBuf, STORE_TIME_MAX, "1970-01-01T00:00:00.000Z");
    return;
  }
  n = strftime(zBuf, STORE_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(zBuf + n, STORE_TIME_MAX - n, ".%03ldZ",
           (long)(ts.tv_nsec / 1000000));
}

void storeNow(store *p, char *zBuf)
{
  STORE_ASSERT(p != NULL && zBuf != NULL);
  if(p->zNow[0] != '\0') {
    memcpy(zBuf, p->zNow, STORE_TIME_MAX);
    return;
  }
  storeTimeNow(zBuf);
}

int storeBindText(sqlite3_stmt *pStmt, int i, const char *z)
{
  if(z == NULL) {
    return sqlite3_bind_null(pStmt, i);
  }
  return sqlite3_bind_text(pStmt, i, z, -1, SQLITE_STATIC);
}

int storeStepDone(store *p, sqlite3_stmt *pStmt, int rcBind, const char *zFmt,
                  ...)
{
  int rc = rcBind; /* SQLite result, then status */
  va_list ap;      /* Arguments of zFmt */
  char zCtx[512];  /* The formatted context */

  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc == SQLITE_DONE) {
    storeStmtDone(pStmt);
    return STORE_OK;
  }
  va_start(ap, zFmt);
  vsnprintf(zCtx, sizeof zCtx, zFmt, ap);
  va_end(ap);
  rc = storeSqlErr(p, rc, "%s", zCtx);
  storeStmtDone(pStmt);
  return rc;
}

int storeTimeNorm(store *p, const char *zTime, const char *zOp, char *zBuf)
{
  static const char zSql[] = "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1)";
  sqlite3_stmt *pStmt = NULL; /* Cached statement */
  const unsigned char *z;     /* The normalised time, or NULL */
  int rc;                     /* Status */

  rc = storeStmt(p, STORE_STMT_TIME_NORM, zSql, zOp, &pStmt);
  if(rc != STORE_OK) {
    return rc;
  }
  rc = storeBindText(pStmt, 1, zTime);
  if(rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
  }
  if(rc != SQLITE_ROW) {
    rc = storeSqlErr(p, rc, "%s: reading time '%s'", zOp, zTime);
  } else {
    z = sqlite3_column_text(pStmt, 0);
    if(z == NULL || strlen((const char *)z) >= STORE_TIME_MAX) {
      rc = storeErr(p, STORE_MISUSE,
                    "%s: '%s' is not a time (use UTC ISO-8601 such as "
                    "2026-11-27T14:00:00.000Z)",
                    zOp, zTime);
    } else {
      snprintf(zBuf, STORE_TIME_MAX, "%s", (const char *)z);
      rc = STORE_OK;
    }
  }
  storeStmtDone(pStmt);
  return rc;
}

int store_clock_set(store *p, const char *zNow)
{
  char zBuf[STORE_TIME_MAX]; /* zNow normalised */
  int rc = storeCheck(p);    /* Status */

  if(rc != STORE_OK) {
    return rc;
  }
  if(zNow == NULL) {
    p->zNow[0] = '\0';
    return STORE_OK;
  }
  rc = storeTimeNorm(p, zNow, "store_clock_set", zBuf);
  if(rc == STORE_OK) {
    memcpy(p->zNow, zBuf, sizeof zBuf);
  }
  return rc;
}

int storeTxnBegin(store *p, const char *zOp)
{
  if(!sqlite3_get_autocommit(p->db)) {
    return storeErr(p, STORE_MISUSE,
                    "%s: a transaction is open on this handle; this "
                    "function runs its own, so commit or roll back first",
                    zOp);
  }
  return storeStmtExec(p, STORE_STMT_BEGIN, "BEGIN IMMEDIATE", zOp);
}

int storeTxnEnd(store *p, int rc)
{
  if(rc == STORE_OK) {
    rc = storeStmtExec(p, STORE_STMT_COMMIT, "COMMIT", "committing");
  }
  if(rc != STORE_OK && !sqlite3_get_autocommit(p->db)) {
    /* Keep the message of the failure, not of the rollback. */
    (void)sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
  }
  return rc;
}
