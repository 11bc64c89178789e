/* SPDX-License-Identifier: BSD-3-Clause
 *
 * store_int.h - declarations shared by the files of store/ and by its unit
 * tests, not part of the public API (see store.h for that).
 *
 * It defines the handle (struct store), the statement cache every file of
 * the module prepares its SQL through, the helpers that turn SQLite result
 * codes into a store_status plus a message on the handle, and the
 * migration runner.  Every .c file of store/ includes it first.  Internal
 * functions are named storeXxx, as SQLite names its internals sqlite3Xxx.
 */
#ifndef DICOMQC_STORE_INT_H
#define DICOMQC_STORE_INT_H

/* fchmod, fsync, O_CLOEXEC, O_DIRECTORY; the top-level build defines it
 * too, this keeps the module buildable on its own. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <assert.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* RETURNING and STRICT are avoided so that older distributions work;
 * UPSERT (INSERT ... ON CONFLICT DO UPDATE) needs 3.24.0. */
#define STORE_SQLITE_MIN 3024000
#if SQLITE_VERSION_NUMBER < STORE_SQLITE_MIN
#error "store/ needs SQLite 3.24.0 or newer (UPSERT)"
#endif

/* The module's one assert macro.  Asserts guard against bugs in store/
 * itself, never against the content of a database. */
#define STORE_ASSERT(x) assert(x)

/* Debug magic of a live handle ("STOR"), cleared by store_close(). */
#define STORE_MAGIC 0x53544f52u

/* Busy timeout of every connection, ms (the brief's 5 s). */
#define STORE_BUSY_MS 5000

/* Size of the message buffer on the handle, bytes.  Longer messages (very
 * long paths) are cut. */
#define STORE_ERRMSG_MAX 1024

/* Slots of the prepared-statement cache, one per distinct SQL text.  Each
 * file of store/ owns its slots and passes the same SQL for a slot every
 * time. */
enum store_stmt_slot {
  STORE_STMT_BEGIN,           /* BEGIN IMMEDIATE */
  STORE_STMT_COMMIT,          /* COMMIT */
  STORE_STMT_ROLLBACK,        /* ROLLBACK */
  STORE_STMT_SAVEPOINT,       /* SAVEPOINT of store_instance_put() */
  STORE_STMT_RELEASE,         /* RELEASE of that savepoint */
  STORE_STMT_INSTANCE_UPSERT, /* insert or update one instance */
  STORE_STMT_INSTANCE_ID,     /* id of an instance by its unique key */
  STORE_STMT_INSTANCE_COUNT,  /* number of instances */
  STORE_STMT_METRIC_PUT,      /* insert or replace one metric */
  STORE_STMT_METRIC_GET,      /* value of one metric */
  STORE_STMT_VERDICT_PUT,     /* insert or replace one verdict */
  STORE_STMT_TIME_NORM,       /* a time normalised (store_clock_set) */
  STORE_STMT_RX_SAVEPOINT,    /* SAVEPOINT of storeReceiveOne() */
  STORE_STMT_RX_RELEASE,      /* RELEASE of that savepoint */
  STORE_STMT_QUEUE_ENQUEUE,   /* (re)queue one instance as pending */
  STORE_STMT_RX_EXISTS,       /* is a received instance new */
  STORE_STMT_STUDY_UPDATE,    /* reopen one study */
  STORE_STMT_STUDY_INSERT,    /* create one study */
  STORE_STMT_QUEUE_PEEK,      /* any pending row? (no lock) */
  STORE_STMT_QUEUE_OLDEST,    /* oldest pending row and its path */
  STORE_STMT_QUEUE_CLAIM,     /* mark one row claimed */
  STORE_STMT_QUEUE_DONE,      /* mark one row done */
  STORE_STMT_QUEUE_EXISTS,    /* does an instance have a queue row */
  STORE_STMT_QUEUE_DEPTH,     /* pending and claimed counts */
  STORE_STMT_QUEUE_GIVE_UP,   /* verdict error for abandoned rows */
  STORE_STMT_QUEUE_RESET,     /* claimed rows back to pending */
  STORE_STMT_ALERT_IMAGE,     /* image alert for a retake verdict */
  STORE_STMT_STUDY_IDLE,      /* studies ready to close */
  STORE_STMT_STUDY_CLOSE,     /* close one study with its verdict */
  STORE_STMT_ALERT_STUDY,     /* study alert for a retake study */
  STORE_STMT_STUDY_LIST,      /* studies, newest first, filtered */
  STORE_STMT_STUDY_GET,       /* one study */
  STORE_STMT_STUDY_INSTANCES, /* instances of one study */
  STORE_STMT_METRICS_EACH,    /* metrics of one instance */
  STORE_STMT_RUN_SAVEPOINT,   /* SAVEPOINT of store_writer_run() */
  STORE_STMT_RUN_RELEASE,     /* RELEASE of that savepoint */
  STORE_STMT_COUNT            /* number of slots; keep last */
};

/* Bytes of a time string with its NUL: "2026-11-27T14:00:00.123Z" is 24
 * characters; SQLite can write a 5-digit year, so leave room. */
#define STORE_TIME_MAX 32

/* An open database. */
struct store {
  uint32_t iMagic; /* STORE_MAGIC while the handle is live */
  sqlite3 *db;     /* The connection; NULL if store_open() failed */
  sqlite3_stmt *apStmt[STORE_STMT_COUNT]; /* Prepared statements, NULL
                                             until first used */
  int hasErr;                  /* 1 once a call has failed (zErr is set) */
  char zErr[STORE_ERRMSG_MAX]; /* Message of the last failing call */
  char zNow[STORE_TIME_MAX];   /* Fixed "now" (store_clock_set()), or ""
                                  for the system clock */
};

/* Formats a message into pStore->zErr and returns rc unchanged, so that
 * callers write `return storeErr(p, STORE_MISUSE, "...")`. */
int storeErr(store *pStore, int rc, const char *zFmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Like storeErr() for a failed SQLite call: maps the SQLite result code
 * sqliteRc to a store_status, writes "<formatted context>: <SQLite's
 * message>" and returns that status.  Reads sqlite3_errmsg(), so call it
 * before anything else touches the connection. */
int storeSqlErr(store *pStore, int sqliteRc, const char *zFmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Checks the handle passed to a public function.  Returns STORE_MISUSE
 * for NULL or for a handle whose store_open() failed (its message is left
 * as store_open() wrote it), STORE_OK otherwise. */
int storeCheck(store *pStore);

/* Maps a SQLite result code (primary or extended) to a store_status. */
int storeStatusFromSqlite(int sqliteRc);

/* Sets *ppStmt to the cached statement of slot iSlot, preparing zSql into
 * it on first use.  The statement is reset and has no bindings.  Returns
 * STORE_OK or the prepare failure (message names zOp).  The handle owns
 * the statement: release it with storeStmtDone(), never finalize it. */
int storeStmt(store *pStore, enum store_stmt_slot iSlot, const char *zSql,
              const char *zOp, sqlite3_stmt **ppStmt /* OUT */);

/* Resets a cached statement and clears its bindings, so that it holds no
 * read lock.  NULL is a no-op. */
void storeStmtDone(sqlite3_stmt *pStmt);

/* Runs a cached statement that returns no rows (BEGIN, COMMIT, ...) to
 * completion.  Returns STORE_OK or the failure (message names zOp). */
int storeStmtExec(store *pStore, enum store_stmt_slot iSlot, const char *zSql,
                  const char *zOp);

/* Reads an integer PRAGMA (zPragma is a trusted literal such as
 * "user_version") into *pValue.  Message on failure names zOp. */
int storePragmaInt(store *pStore, const char *zPragma, const char *zOp,
                   int *pValue /* OUT */);

/* Brings the schema of an open connection up to storeMigrationCount(),
 * one migration per transaction.  zPath names the file in messages.
 * Returns STORE_ERR_VERSION if the database is newer.  Defined in
 * schema.c. */
int storeMigrate(store *pStore, const char *zPath);

/* Refuses, with STORE_ERR_CORRUPT, a database that is not dicomqc's (a
 * foreign application_id, ...; see schema.c).  store_open() calls it
 * before it changes anything in the file, even the journal mode.
 * Defined in schema.c. */
int storeCheckOwner(store *pStore, const char *zPath);

/* Number of migrations schema.c knows: the latest schema version. */
int storeMigrationCount(void);

/* The connection of a live handle, for tests and for other files of
 * store/.  Owned by the handle. */
sqlite3 *storeDb(store *pStore);

/* Writes "now" to zBuf (STORE_TIME_MAX bytes) as UTC ISO-8601 with
 * milliseconds: the handle's fixed clock if set, else the system's.
 * Cannot fail. */
void storeNow(store *pStore, char *zBuf);

/* Writes the system clock's now to zBuf (STORE_TIME_MAX bytes) in the
 * same form.  Cannot fail. */
void storeTimeNow(char *zBuf);

/* Normalises zTime (any time SQLite's date functions read) into zBuf
 * (STORE_TIME_MAX bytes) as UTC ISO-8601 with milliseconds.  Returns
 * STORE_OK, STORE_MISUSE naming zOp when zTime is not a time, or the
 * SQLite failure. */
int storeTimeNorm(store *pStore, const char *zTime, const char *zOp,
                  char *zBuf);

/* Column iCol of the current row of pStmt as text, or NULL. */
static inline const char *storeColText(sqlite3_stmt *pStmt, int iCol)
{
  return (const char *)sqlite3_column_text(pStmt, iCol);
}

/* Binds z as text, or NULL when z is NULL.  The text must outlive the
 * step (SQLITE_STATIC). */
int storeBindText(sqlite3_stmt *pStmt, int i, const char *z);

/* Steps pStmt, which returns no rows, to completion if rcBind (the result
 * of binding its parameters) is SQLITE_OK, then resets it.  Returns
 * STORE_OK or the failure, with zFmt... as the context of the message. */
int storeStepDone(store *pStore, sqlite3_stmt *pStmt, int rcBind,
                  const char *zFmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Takes the write lock (BEGIN IMMEDIATE) for a function that runs its
 * own transaction; STORE_MISUSE naming zOp if one is open already. */
int storeTxnBegin(store *pStore, const char *zOp);

/* Ends the transaction of storeTxnBegin(): commits when rc is STORE_OK,
 * else rolls back keeping the message.  Returns rc, or the commit's
 * failure (after rolling back). */
int storeTxnEnd(store *pStore, int rc);

/* The receive step of store_writer_receive() on one connection, inside
 * a savepoint (so inside or outside a caller's transaction): instance,
 * queue and study rows.  Writes the instance id to *piId.  Defined in
 * queue.c; the writer thread and the tests' one-transaction-per-image
 * baseline call it. */
int storeReceiveOne(store *pStore, const struct store_instance *pInst,
                    int64_t *piId /* OUT */);

/* The SQL of migration i (0-based), so that tests can build a database
 * of an older version; NULL when out of range. */
const char *storeMigrationSql(int i);

/* Bytes of the directory part of zPath: up to its last '/' ("/" for a
 * file in the root), 0 when it has none (archive.c). */
size_t storeDirLength(const char *zPath);

/* fsyncs the directory named by the first nDir bytes of zDir, "." when
 * nDir is 0 (archive.c), so that entries made in it survive a crash; file
 * systems that cannot
 * sync a directory (EINVAL) are let through.  Returns STORE_OK, or
 * STORE_ERR_IO with "cannot open|sync directory <dir>: <strerror>" in
 * zErr (nErr bytes), or STORE_MISUSE for a name of PATH_MAX bytes or
 * more. */
int storeSyncDir(const char *zDir, size_t nDir, char *zErr, size_t nErr);

/* Test hooks of the writer (writer.c).  storeWriterHold(w, 1) keeps the
 * writer thread from taking requests until storeWriterHold(w, 0), so a
 * test can queue several and see them committed as one batch;
 * storeWriterWaiting() counts the queued requests; storeWriterMaxBatch()
 * caps the requests per transaction (0: no cap; 1 gives the
 * one-transaction-per-image baseline). */
void storeWriterHold(store_writer *pWriter, int isHeld);
int storeWriterWaiting(store_writer *pWriter);
void storeWriterMaxBatch(store_writer *pWriter, int nMax);

/* Directories the writer has fsynced for store_writer_receive_placed()
 * since it opened (writer.c). */
int64_t storeWriterDirSyncs(store_writer *pWriter);

#endif /* DICOMQC_STORE_INT_H */
