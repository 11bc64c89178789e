/* SPDX-License-Identifier: BSD-3-Clause
 *
 * store.h - the public interface of dicomqc's durable store.
 *
 * store/ keeps everything that must survive a crash.  This part is the
 * SQLite index: one row per received DICOM instance, the quality metrics
 * computed on it, and the verdict (pass, warn, retake, ...) drawn from
 * them.  The schema is created and upgraded by numbered migrations keyed on
 * SQLite's PRAGMA user_version.  A database written by a newer dicomqc is
 * refused rather than guessed at.
 *
 * Schema version 2 adds the durable work queue, one row per study with
 * its study-level verdict, and the alert outbox, and stamps the file with
 * PRAGMA application_id STORE_APPLICATION_ID so that another program's
 * SQLite file is refused.  Beside the index, store/ keeps the archive of
 * received files (struct store_archive) and the group-commit writer that
 * indexes them (struct store_writer).
 *
 * A store handle is one SQLite connection.  It must be used by one thread
 * at a time; give each worker thread its own handle (WAL mode lets them
 * read while one writes).  Strings passed in are UTF-8 and are copied or
 * used only during the call.  If a function is not declared here it is not
 * part of the module's API.
 *
 * Nothing in this header needs sqlite3.h or any DICOM or qc header.
 */
#ifndef DICOMQC_STORE_H
#define DICOMQC_STORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes of store/ functions.  0 is success. */
typedef enum store_status {
  STORE_OK = 0,             /* Success */
  STORE_NOTFOUND = 1,       /* The row asked for does not exist */
  STORE_MISUSE = 2,         /* Library used incorrectly: NULL handle or
                               argument, handle that failed to open, out of
                               range argument, nested transaction */
  STORE_ERR_NOMEM = 3,      /* Memory allocation failed */
  STORE_ERR_IO = 4,         /* The database file could not be created,
                               opened, read or written (permissions, disk
                               full, read-only file system, no WAL) */
  STORE_ERR_BUSY = 5,       /* Another connection held the lock longer
                               than the busy timeout (5 s) */
  STORE_ERR_CONSTRAINT = 6, /* A row broke a schema rule: unknown verdict,
                               metric for a missing instance, ... */
  STORE_ERR_VERSION = 7,    /* The database schema is newer than this
                               build knows: upgrade dicomqc */
  STORE_ERR_CORRUPT = 8,    /* The file is not a database, is damaged,
                               or is the database of another program */
  STORE_ERR_SQL = 9,        /* Any other SQLite error */
  STORE_ERR_INVALID = 10    /* A value from outside was refused: a UID
                               that is not a valid DICOM UID, ... (a
                               C-STORE answers 0xA900 or 0xC000) */
} store_status;

/* The open database.  Opaque: use the functions below. */
typedef struct store store;

/* Returns a static English description of a store_status value, or
 * "unknown status" for a value outside the enum.  Never NULL; do not free.
 * Tests: tests/unit/test_store.c */
const char *store_strstatus(int rc);

/* Opens the database at zPath, creating it if needed, and brings its schema
 * up to date.  zPath is a file name (no URI), or ":memory:" for a private
 * in-memory database.  A new file is created with mode 0600 and its
 * directory entry is synced.  The connection uses WAL journaling (not for
 * ":memory:"), synchronous=FULL, foreign keys on and a 5000 ms busy
 * timeout.  Pending migrations run one per transaction; several processes
 * may open the same new file at once.
 *
 * On success returns STORE_OK and sets *ppStore to the handle.  On failure
 * returns the status and, like sqlite3_open(), still sets *ppStore to a
 * handle whose store_errmsg() explains the failure (every other function
 * on it returns STORE_MISUSE); the caller frees it with store_close().
 * Only when that handle cannot be allocated is *ppStore set to NULL, with
 * STORE_ERR_NOMEM.  If ppStore is NULL, returns STORE_MISUSE and does
 * nothing.  Fails with STORE_ERR_VERSION when the file's schema version is
 * newer than store_schema_latest(), STORE_ERR_CORRUPT when it is not a
 * database or is another program's (see STORE_APPLICATION_ID), and
 * STORE_ERR_IO when the file cannot be created or WAL cannot be enabled
 * (e.g. on a network file system).
 * Tests: tests/unit/test_store.c */
int store_open(const char *zPath, store **ppStore /* OUT: handle */);

/* Closes the database, rolling back a transaction left open, and frees the
 * handle.  NULL is a harmless no-op.  Cannot fail. */
void store_close(store *pStore);

/* Returns the message of the most recent failing call on pStore (naming
 * the operation, the value involved and SQLite's explanation), or "not an
 * error" if no call has failed.  The text is owned by the handle: do not
 * free it; it stays valid until the next call on the handle or
 * store_close().  For a NULL handle returns a static message about memory
 * (store_open() returns NULL only when out of memory). */
const char *store_errmsg(store *pStore);

/* The schema version this build creates and accepts: the number of
 * migrations it knows.  Cannot fail. */
int store_schema_latest(void);

/* Writes the schema version of the open database (PRAGMA user_version)
 * to *pVersion.  Returns STORE_OK, STORE_MISUSE for a NULL argument or a
 * failed handle, or the SQLite failure. */
int store_schema_version(store *pStore, int *pVersion /* OUT */);

/* Transactions.  Writes made between store_begin() and store_commit() are
 * applied together or not at all; use them to record one image (instance,
 * metrics, verdict) as one unit.  store_begin() takes the write lock at
 * once (BEGIN IMMEDIATE), waiting up to the busy timeout; it returns
 * STORE_MISUSE if a transaction is already open.  store_commit() returns
 * STORE_MISUSE if none is open; if it fails otherwise, the transaction may
 * still be open: call store_rollback().  store_rollback() discards the
 * open transaction, and is a harmless STORE_OK when none is open.  Without
 * store_begin(), each put is its own transaction. */
int store_begin(store *pStore);
int store_commit(store *pStore);
int store_rollback(store *pStore);

/* One received DICOM instance, as passed to store_instance_put().  String
 * fields are UTF-8; NULL stores SQL NULL except where noted.  Integer
 * fields: 0 means unknown and stores SQL NULL; negative is STORE_MISUSE.
 * Zero-initialise the struct and fill what is known. */
struct store_instance {
  const char *zSopInstanceUid;    /* SOP Instance UID (0008,0018).
                                     Required: NULL is STORE_MISUSE; pass
                                     "" for a file that lacks one */
  const char *zStudyInstanceUid;  /* Study Instance UID (0020,000D) */
  const char *zSeriesInstanceUid; /* Series Instance UID (0020,000E) */
  const char *zSopClassUid;       /* SOP Class UID (0008,0016) */
  const char *zTransferSyntax;    /* Transfer Syntax UID (0002,0010) */
  const char *zModality;          /* Modality (0008,0060): CR, DX, MR, OP */
  const char *zBodyPart;          /* Body Part Examined (0018,0015) */
  const char *zStationName;       /* Station Name (0008,1010) */
  const char *zOperatorName;      /* Operators' Name (0008,1070) */
  const char *zInstitution;       /* Institution Name (0008,0080) */
  const char *zAccessionNumber;   /* Accession Number (0008,0050) */
  const char *zStudyDate;         /* Study Date (0008,0020), DA as sent */
  const char *zStudyTime;         /* Study Time (0008,0030), TM as sent */
  const char *zCallingAet;        /* Calling AE title of the association
                                     that sent it; NULL if read from disk */
  const char *zFilePath;          /* Path of the file in the archive.
                                     Required: NULL is STORE_MISUSE */
  int64_t nFileSize;              /* File size, bytes */
  int32_t nRows;                  /* Rows (0028,0010), pixels */
  int32_t nColumns;               /* Columns (0028,0011), pixels */
  int32_t nFrames;                /* Number of frames, >= 1 when known */
  const char *zReceivedAt;        /* When it arrived, UTC ISO-8601
                                     ("2024-05-01T12:00:00.000Z").  NULL:
                                     now on insert, unchanged on update */
};

/* Records an instance.  If a row with the same (zSopInstanceUid,
 * zFilePath) exists, updates it in place (its id, metrics and verdict
 * stay) so that scoring the same file again adds no row; otherwise inserts
 * one.  Writes the row id (>= 1) to *piId when piId is not NULL.  Returns
 * STORE_OK, STORE_MISUSE (NULL handle or pInst, missing required field,
 * negative integer field) or the SQLite failure. */
int store_instance_put(store *pStore, const struct store_instance *pInst,
                       int64_t *piId /* OUT: row id, may be NULL */);

/* Writes the number of instance rows to *pN. */
int store_instance_count(store *pStore, int64_t *pN /* OUT */);

/* Records metric zName (e.g. "brisque") of instance iInstance, replacing
 * any earlier value for the same (instance, name, frame).  value must be
 * finite; zUnit may be NULL (dimensionless); iFrame is the 0-based frame,
 * or -1 for a value over the whole image.  Returns STORE_OK, STORE_MISUSE
 * (NULL handle or zName, non-finite value, iFrame < -1),
 * STORE_ERR_CONSTRAINT when instance iInstance does not exist, or another
 * SQLite failure. */
int store_metric_put(store *pStore, int64_t iInstance, const char *zName,
                     double value, const char *zUnit,
                     int iFrame /* -1 = whole image */);

/* Writes the value of metric zName of instance iInstance for frame iFrame
 * (-1 = whole image) to *pValue.  Returns STORE_NOTFOUND, leaving *pValue
 * alone, when there is no such metric. */
int store_metric_get(store *pStore, int64_t iInstance, const char *zName,
                     int iFrame, double *pValue /* OUT */);

/* Records the verdict of instance iInstance, replacing any earlier one.
 * zVerdict is one of "pass", "warn", "retake", "unscored", "error"; any
 * other string is refused by the schema with STORE_ERR_CONSTRAINT (NULL is
 * STORE_MISUSE).  pQuality points to the overall quality score, or is
 * NULL when there is none; it must be finite.  zReasonsJson is a JSON
 * array of reason sentences, stored as given (not parsed); zError says
 * why scoring failed, for verdict "error".  Either may be NULL.  Returns
 * STORE_ERR_CONSTRAINT too when instance iInstance does not exist. */
int store_verdict_put(store *pStore, int64_t iInstance, const char *zVerdict,
                      const double *pQuality, const char *zReasonsJson,
                      const char *zError);

/* ---- Clock ---------------------------------------------------------- */

/* Bytes that hold any time the store writes, with its terminator. */
#define STORE_TIME_TEXT 32

/* Times written by the functions below (queue, studies, alerts) are UTC
 * ISO-8601 with milliseconds, "2026-11-27T14:00:00.123Z", so that text
 * order is time order.  store_clock_set() fixes "now" on this handle to
 * zNow (any time SQLite's date functions read: "2026-11-27",
 * "2026-11-27T14:00:00Z", ...; it is stored normalised), so that tests
 * and replays need not sleep; NULL returns to the system clock.  Returns
 * STORE_OK, or STORE_MISUSE for a failed handle or a zNow that is not a
 * time.  The functions of results.c (metrics, verdicts) keep SQLite's own
 * clock.  Tests: tests/unit/test_store_queue.c */
int store_clock_set(store *pStore, const char *zNow /* NULL = real */);

/* ---- Archive -------------------------------------------------------- */

/* The archive of received files, on disk:
 *
 *   <dir>/<StudyUID>/<SeriesUID>/<SOPInstanceUID>.dcm  first copy
 *   <dir>/<StudyUID>/<SeriesUID>/<SOPInstanceUID>.v2.dcm, .v3.dcm, ...
 *                                 later copies with different bytes
 *   <dir>/.tmp/                   files being received
 *
 * Directories are created 0700; files keep the mode they were created
 * with (store_archive_tmpfile() makes them 0600).  A file becomes visible
 * in the archive only by a hard link or rename of a complete, fsynced
 * temp file, followed by an fsync of its directory: a crash never leaves
 * a partial file there, and an acknowledged file survives.  One archive
 * directory belongs to one dicomqc process at a time: store_archive_open()
 * deletes whatever it finds in .tmp.
 *
 * Duplicates (issue 3, item 2): when <SOP>.dcm exists already, the new
 * file is compared byte by byte with it and with each .vN.dcm.  Identical
 * to one of them: the new copy is deleted and the call succeeds with
 * STORE_ARCHIVE_SAME (the sender gets success, the archive no second
 * copy).  Different from all: both are kept; the new one becomes the
 * first free <SOP>.vN.dcm (N = 2 .. STORE_ARCHIVE_MAX_VERSION) with
 * STORE_ARCHIVE_VERSION, which the caller should log as a warning.
 *
 * A handle may be shared by threads: commits run in parallel, and
 * placement cannot overwrite (link(2) fails on an existing name; on a file
 * system without hard links, check-and-rename runs under the handle's
 * mutex). */
typedef struct store_archive store_archive;

/* Outcome of store_archive_commit(). */
enum store_archive_outcome {
  STORE_ARCHIVE_NEW = 1,    /* Stored as <SOP>.dcm, the first copy */
  STORE_ARCHIVE_SAME = 2,   /* Identical copy already archived: nothing
                               new stored; zFinal names the old copy */
  STORE_ARCHIVE_VERSION = 3 /* Same SOP Instance UID, different bytes:
                               stored beside it as <SOP>.vN.dcm */
};

/* Highest N of a <SOP>.vN.dcm: a further different copy is refused with
 * STORE_ERR_INVALID. */
#define STORE_ARCHIVE_MAX_VERSION 999

/* Returns 1 if z is acceptable as a DICOM UID and as a path component,
 * else 0.  Rules (DICOM PS3.5 section 9.1): 1 to 64 characters, only
 * digits and '.', no leading or trailing '.', no empty component.  PS3.5
 * also forbids a leading zero in a multi-digit component ("1.02"); such
 * UIDs are ACCEPTED, because real devices send them and refusing would
 * lose images; they are still only digits and dots, so still safe as a
 * file name.  NULL gives 0.  Cannot fail.
 * Tests: tests/unit/test_store_archive.c */
int store_uid_valid(const char *z);

/* Opens the archive rooted at zDir: creates zDir (mode 0700; its parent
 * must exist) and zDir/.tmp (0700) when missing, syncing the parent of
 * each, and deletes every file left in .tmp by a crash (never
 * acknowledged, so nothing is lost).  On success returns STORE_OK and sets
 * *ppArchive.  On failure returns STORE_ERR_IO (naming the path and the
 * system's reason), STORE_MISUSE (NULL zDir) or STORE_ERR_NOMEM and, like
 * store_open(), still sets *ppArchive to a handle for
 * store_archive_errmsg() (NULL only when out of memory); free it with
 * store_archive_close().  Tests: tests/unit/test_store_archive.c */
int store_archive_open(const char *zDir, store_archive **ppArchive /* OUT */);

/* Frees the handle; files are untouched.  NULL is a no-op. */
void store_archive_close(store_archive *pArchive);

/* The message of the last failure on the handle, or "not an error".
 * Owned by the handle.  When threads share the handle, read the message
 * a failing store_archive_commit() writes into zFinal instead. */
const char *store_archive_errmsg(store_archive *pArchive);

/* The directory for files being received, "<dir>/.tmp".  Owned by the
 * handle; valid until store_archive_close().  NULL for a failed handle. */
const char *store_archive_tmpdir(store_archive *pArchive);

/* Creates a new empty file in store_archive_tmpdir() with mode 0600,
 * opened for writing (close-on-exec).  Writes its path to zPath (nPath
 * bytes; strlen(store_archive_tmpdir()) + 12 is enough) and its
 * descriptor to *pFd; the caller writes the data, closes the descriptor,
 * then passes zPath to store_archive_commit() or unlinks it.  Returns
 * STORE_OK, STORE_MISUSE (bad argument, path longer than nPath) or
 * STORE_ERR_IO. */
int store_archive_tmpfile(store_archive *pArchive, char *zPath, size_t nPath,
                          int *pFd /* OUT: open for writing */);

/* Moves the complete file zTempPath (on the archive's file system,
 * normally made by store_archive_tmpfile(), no longer being written)
 * into the archive under the three UIDs.  In order: checks the UIDs with
 * store_uid_valid(); fsyncs the file; creates <dir>/<Study>/ and
 * <dir>/<Study>/<Series>/ (0700) when missing, fsyncing the parent of
 * each it creates; places the file as the duplicate rules above say;
 * fsyncs the series directory.  On success writes the archive path to
 * zFinal (nFinal bytes; strlen(dir) + 220 is always enough) and the
 * outcome to *pOutcome, and zTempPath no longer exists.
 *
 * On any failure zTempPath is deleted (the sender will send again), no
 * new file is visible in the archive, and zFinal receives the message
 * (also kept as store_archive_errmsg()).  Returns STORE_ERR_INVALID for a
 * NULL or invalid UID or too many versions (answer 0xA900/0xC000),
 * STORE_ERR_IO when a system call fails (disk full, quota, I/O error,
 * permissions, a temp file on another file system: answer 0xA700; the
 * message names the path and strerror()), STORE_MISUSE for a NULL
 * handle, zTempPath, zFinal or pOutcome, or an nFinal too small for the
 * path.  Tests: tests/unit/test_store_archive.c */
int store_archive_commit(store_archive *pArchive, const char *zTempPath,
                         const char *zStudy, const char *zSeries,
                         const char *zSop, char *zFinal, size_t nFinal,
                         int *pOutcome /* OUT: store_archive_outcome */);

/* store_archive_commit() without its last step: the series directory is
 * not fsynced, so the new name is not yet durable.  For a caller that
 * records the instance with store_writer_receive_placed(), which syncs
 * the directory once for every image of its transaction.  Same
 * arguments, results and failures otherwise.
 * Tests: tests/unit/test_store_archive.c */
int store_archive_place(store_archive *pArchive, const char *zTempPath,
                        const char *zStudy, const char *zSeries,
                        const char *zSop, char *zFinal, size_t nFinal,
                        int *pOutcome /* OUT: store_archive_outcome */);

/* ---- Receiving: group-commit writer --------------------------------- */

/* The single writer of the node's database.  It owns its own connection
 * and one thread.  Many threads (one per association) call
 * store_writer_receive() at once; the writer thread takes every request
 * waiting at that moment and commits them in ONE transaction (one WAL
 * fsync for all, synchronous=FULL), each inside its own savepoint so that
 * a failing request fails only its caller.  A caller returns only after
 * the transaction holding its rows is committed (durable) or has failed.
 * Tests: tests/unit/test_store_writer.c */
typedef struct store_writer store_writer;

/* Opens zDbPath (as store_open() does, migrating it) for a writer and
 * starts the writer thread.  On success returns STORE_OK and sets
 * *ppWriter.  On failure returns the status of store_open(), or
 * STORE_ERR_NOMEM when the thread cannot start, and still sets *ppWriter
 * to a handle for store_writer_errmsg() (NULL only when out of memory);
 * free it with store_writer_close(). */
int store_writer_open(const char *zDbPath, store_writer **ppWriter /* OUT */);

/* Records one received instance and blocks until it is committed.  In
 * one savepoint: the instance row, as store_instance_put() writes it
 * (zReceivedAt NULL means now; zStudyInstanceUid is required here); its
 * queue row, set (back) to 'pending' with zero attempts whether or not it
 * was queued or scored before; and its study row: created if new
 * (verdict 'pending', first_received_at, instances counted), otherwise
 * instances + 1 when the instance row is new, last_received_at advanced,
 * and reopened (complete 0, verdict 'pending', reasons and completed_at
 * cleared).  Safe to call from many threads.  Writes the instance id to
 * *piId (may be NULL).  On failure writes the message to zErr (nErr
 * bytes; zErr may be NULL) and returns the status:
 * STORE_MISUSE (NULL or failed writer, closing writer, missing field),
 * STORE_ERR_CONSTRAINT, STORE_ERR_BUSY, STORE_ERR_IO, ...; nothing of
 * the request is then in the database. */
int store_writer_receive(store_writer *pWriter,
                         const struct store_instance *pInst,
                         int64_t *piId /* OUT: row id, may be NULL */,
                         char *zErr /* OUT: message, may be NULL */,
                         size_t nErr);

/* store_writer_receive() for a file that store_archive_place() has just
 * placed at pInst->zFilePath: before the COMMIT that holds its rows, the
 * writer fsyncs the directory of that path, once per directory for all
 * the images of the transaction, so that the name is durable when this
 * returns STORE_OK.  If a directory cannot be synced, nothing of that
 * transaction is committed and every request in it fails with
 * STORE_ERR_IO and the message; the caller removes the file it placed,
 * as after any failure. */
int store_writer_receive_placed(store_writer *pWriter,
                                const struct store_instance *pInst,
                                int64_t *piId /* OUT: row id, may be NULL */,
                                char *zErr /* OUT: message, may be NULL */,
                                size_t nErr);

/* Work for store_writer_run(): runs on the writer thread with the
 * writer's connection, inside its open transaction (so functions that
 * join an open transaction, such as store_queue_claim(),
 * store_queue_done(), store_metric_put(), work here; store_begin() does
 * not).  Returns a store status; anything but STORE_OK undoes what it
 * wrote and is returned to the caller with store_errmsg(pStore). */
typedef int (*store_writer_fn)(store *pStore, void *pArg);

/* Runs xWork(connection, pArg) in the writer's next transaction, inside
 * its own savepoint, and blocks until that transaction is committed
 * (durable) or has failed; returns xWork's status, or the commit's.  The
 * one way for other threads (the scoring workers) to write while the
 * node runs, so that the writer stays the only writer.  On failure
 * writes the message to zErr (nErr bytes, may be NULL).  Returns
 * STORE_MISUSE for a NULL or failed writer or NULL xWork, or when the
 * writer is closing. */
int store_writer_run(store_writer *pWriter, store_writer_fn xWork, void *pArg,
                     char *zErr /* OUT: message, may be NULL */, size_t nErr);

/* Writes how many transactions the writer committed or tried, and how
 * many requests they held, since it opened (either may be NULL).  Safe
 * from any thread. */
void store_writer_stats(store_writer *pWriter, int64_t *pnBatch,
                        int64_t *pnRequest);

/* The message of a failed store_writer_open(), or "not an error".  Owned
 * by the handle.  Failures of store_writer_receive() report through its
 * zErr instead. */
const char *store_writer_errmsg(store_writer *pWriter);

/* Stops accepting requests, commits those already waiting, joins the
 * thread and closes the connection.  Call it after every thread that
 * calls store_writer_receive() has returned.  NULL is a no-op. */
void store_writer_close(store_writer *pWriter);

/* ---- Work queue ----------------------------------------------------- */

/* The durable work queue: one row per instance to score, in state
 * 'pending' (waiting), 'claimed' (a worker is scoring it) or 'done'.
 * Workers give each thread its own store handle. */

/* A row claimed this many times without reaching 'done' (the worker died
 * each time) is given up by store_queue_reset(). */
#define STORE_QUEUE_MAX_ATTEMPTS 3

/* Crash recovery, for start-up before any worker runs: every 'claimed'
 * row goes back to 'pending', except rows claimed
 * STORE_QUEUE_MAX_ATTEMPTS times, which become 'done' with verdict
 * 'error' ("scoring stopped N times ...") so that one file that kills
 * the worker cannot stop the node.  One transaction; STORE_MISUSE if one
 * is open.  Tests: tests/unit/test_store_queue.c */
int store_queue_reset(store *pStore);

/* Claims the oldest pending row (by enqueue time, then id) for worker
 * zWorker (a name for the record, e.g. "pid 812 thread 3"): state
 * 'claimed', claimed_at now, claimed_by, attempts + 1.  Atomic across
 * threads and processes (BEGIN IMMEDIATE): no two handles ever claim one
 * row.  With a transaction open on the handle (as inside
 * store_writer_run()) the claim joins it instead and lasts only if it
 * commits.  Writes the instance id to *piInstance and its archive path to
 * zPath (nPath bytes).  Returns STORE_OK, STORE_NOTFOUND when nothing is
 * pending (no write lock is taken then), STORE_MISUSE (NULL argument, a path
 * longer than nPath: nothing is claimed), STORE_ERR_BUSY or another
 * failure (nothing claimed).
 * Tests: tests/unit/test_store_queue.c */
int store_queue_claim(store *pStore, const char *zWorker,
                      int64_t *piInstance /* OUT */, char *zPath,
                      size_t nPath);

/* Marks the claimed row of iInstance 'done', recording zError (NULL on
 * success) as its last_error.  Call it inside the transaction that writes
 * the instance's metrics and verdict: a crash before the commit leaves
 * the row claimed, store_queue_reset() queues it again, and the rerun
 * replaces the metrics and verdict rather than adding rows.  A row that
 * is no longer claimed (received again meanwhile, so pending) is left
 * as it is and STORE_OK is returned: it will be scored again.  Returns
 * STORE_NOTFOUND when iInstance has no queue row. */
int store_queue_done(store *pStore, int64_t iInstance, const char *zError);

/* Writes the number of pending and of claimed rows (either pointer may
 * be NULL). */
int store_queue_depth(store *pStore, int64_t *pnPending /* OUT */,
                      int64_t *pnClaimed /* OUT */);

/* ---- Studies and alerts --------------------------------------------- */

/* One study, as `dicomqc studies --json` prints it.  Strings are owned by
 * the store and valid only during the callback that receives them. */
struct store_study {
  const char *zStudyInstanceUid; /* Study Instance UID (0020,000D) */
  const char *zModality;         /* Modality of its first instance that
                                    had one; NULL if none had */
  int64_t nInstances;            /* Instance rows received (by
                                    store_writer_receive()), >= 1 */
  int64_t nScored;               /* Instance rows of the study that are
                                    scored: queue row 'done', or never
                                    queued but with a verdict (written
                                    by `dicomqc score`, which nInstances
                                    does not count) */
  const char *zVerdict;          /* "pending" while not complete, then
                                    "pass", "warn", "retake" or
                                    "unscored" */
  const char *zReasonsJson;      /* JSON array of reason sentences, "[]"
                                    when none */
  int isComplete;                /* 1 once closed by
                                    store_studies_close_idle(), else 0 */
  const char *zFirstReceivedAt;  /* First arrival, UTC ISO-8601 */
  const char *zLastReceivedAt;   /* Latest arrival, UTC ISO-8601 */
  const char *zCompletedAt;      /* When it was closed; NULL while open */
};

/* Callback over studies.  Return 0 to go on, non-zero to stop (the
 * calling function then returns STORE_OK). */
typedef int (*store_study_fn)(void *pCtx, const struct store_study *pStudy);

/* Closes every study that is still open (complete 0), whose last arrival
 * is idleSeconds or more before now, and none of whose instances is
 * queued (pending or claimed).  For each, in one transaction: complete 1,
 * completed_at now, verdict the worst of its judging images' in the
 * order retake > warn > pass > unscored, where an image's verdict
 * "error" (it could not be scored) and an image with no verdict count as
 * "unscored"; the judging images are all of them, except that an MR
 * series of three or more images with a quality is represented by its
 * median image by quality (the lower middle one for an even count) and
 * its images without one; reasons the union, in order of first
 * appearance, of the string elements of the judging images' reasons
 * arrays (text that is not valid JSON is skipped), plus "Not scored:
 * <error>" for each of them in error; and, if
 * retake, one 'study' row in the alert outbox (once per study, ever).
 * After the commit, calls xEach (may be NULL) once per study it closed,
 * with the study as stored; xEach may read the store (not call
 * store_study_get()).  idleSeconds is 0 to 1e9.  Returns STORE_OK,
 * STORE_MISUSE (bad argument, a transaction open on the handle) or the
 * failure (then nothing was closed).
 * Tests: tests/unit/test_store_studies.c */
int store_studies_close_idle(store *pStore, double idleSeconds,
                             store_study_fn xEach, void *pCtx);

/* Writes the image alert of instance iInstance to the outbox if its
 * verdict is "retake": kind 'image', the verdict's reasons, created now.
 * Call it in the worker's transaction after store_verdict_put().
 * Idempotent: an instance has at most one image alert, ever.  Sets
 * *pCreated (may be NULL) to 1 when it wrote the row now, else 0 (no
 * retake, or already there), so the caller logs each alert once.
 * Returns STORE_OK or the failure. */
int store_alert_image(store *pStore, int64_t iInstance,
                      int *pCreated /* OUT: may be NULL */);

/* Calls xEach for each study, newest first (latest arrival, then UID).
 * zSince (NULL: no limit) keeps studies with an arrival at or after that
 * time (ISO-8601 as SQLite reads it: "2026-11-27", "2026-11-27T14:00Z",
 * ...; UTC).  zVerdict (NULL: any) keeps one verdict: "pass", "warn",
 * "retake", "unscored" or "pending".  Returns STORE_OK, STORE_MISUSE for
 * a NULL xEach, a zSince that is not a time or an unknown zVerdict, or
 * the failure. */
int store_studies_list(store *pStore, const char *zSince, const char *zVerdict,
                       store_study_fn xEach, void *pCtx);

/* Calls xEach once for study zStudyUid.  Returns STORE_NOTFOUND when it
 * does not exist. */
int store_study_get(store *pStore, const char *zStudyUid, store_study_fn xEach,
                    void *pCtx);

/* One instance with its queue state and verdict, as `dicomqc show`
 * prints it.  Strings are owned by the store and valid only during the
 * callback; NULL means the value is absent. */
struct store_instance_row {
  int64_t iId;                    /* Instance row id, >= 1 */
  const char *zSopInstanceUid;    /* SOP Instance UID */
  const char *zSeriesInstanceUid; /* Series Instance UID */
  const char *zSopClassUid;       /* SOP Class UID */
  const char *zModality;          /* Modality */
  const char *zFilePath;          /* Path in the archive */
  int64_t nFileSize;              /* Bytes; 0 when unknown */
  const char *zReceivedAt;        /* Arrival, UTC ISO-8601 */
  const char *zQueueState;        /* "pending", "claimed", "done"; NULL
                                     when never queued */
  int64_t nAttempts;              /* Times claimed for scoring */
  const char *zVerdict;           /* "pass", "warn", "retake",
                                     "unscored", "error"; NULL: none yet */
  int hasQuality;                 /* 1 when quality holds a value */
  double quality;                 /* Overall quality score */
  const char *zReasonsJson;       /* Reasons, JSON array text as stored */
  const char *zError;             /* Why scoring failed (verdict error) or
                                     the queue's last error */
};

/* Calls xEach for each instance of study zStudyUid, by series, arrival
 * and id.  The callback may call store_metrics_each() on the same handle
 * (not store_study_instances()).  Return non-zero from it to stop.
 * Returns STORE_OK (also for a study with no instances), STORE_MISUSE or
 * the failure. */
int store_study_instances(store *pStore, const char *zStudyUid,
                          int (*xEach)(void *pCtx,
                                       const struct store_instance_row *pRow),
                          void *pCtx);

/* Calls xEach for each metric of instance iInstance, by name then frame
 * (iFrame -1, the whole image, first).  zUnit is NULL when dimensionless;
 * strings are valid only during the callback.  Return non-zero to stop.
 * Returns STORE_OK (also when there are none), STORE_MISUSE or the
 * failure. */
int store_metrics_each(store *pStore, int64_t iInstance,
                       int (*xEach)(void *pCtx, const char *zName,
                                    double value, const char *zUnit,
                                    int iFrame),
                       void *pCtx);

/* ---- Alert delivery (schema version 3) ------------------------------ */

/* One alert of the outbox with what a technician needs to act on it, as
 * the delivery channels send it.  Strings are owned by the store and
 * valid only during the callback; NULL when absent.  A study alert has
 * no instance (iInstance 0, zSeries/zSop NULL, hasQuality 0); its
 * station, operator, accession, body part and calling AE are those of
 * the study's first received instance. */
struct store_alert {
  int64_t iId;              /* Alert row id, >= 1 */
  const char *zKind;        /* "image" or "study" */
  int64_t iInstance;        /* Instance row id; 0 for a study alert */
  const char *zStudyUid;    /* Study Instance UID */
  const char *zSeriesUid;   /* Series Instance UID (image alerts) */
  const char *zSopUid;      /* SOP Instance UID (image alerts) */
  const char *zModality;    /* Modality */
  const char *zBodyPart;    /* Body Part Examined */
  const char *zStation;     /* Station Name */
  const char *zOperator;    /* Operators' Name */
  const char *zAccession;   /* Accession Number */
  const char *zInstitution; /* Institution Name */
  const char *zCallingAet;  /* Calling AE title that sent it */
  const char *zVerdict;     /* "retake" (the outbox holds retakes) */
  const char *zReasonsJson; /* JSON array of sentences, "[]" if none */
  int hasQuality;           /* 1 when quality holds a value */
  double quality;           /* Image quality 0..100 */
  const char *zCreatedAt;   /* When the alert was raised, UTC ISO-8601 */
  const char *zReceivedAt;  /* Arrival of the image (image alert) or of
                               the study's latest image, UTC ISO-8601 */
};

/* Calls xEach for each alert not yet settled (alerts.delivered_at NULL)
 * that channel zChannel still has to try now: it never tried it, or its
 * record is pending and due (next try at or before now).  zChannel NULL
 * lists every unsettled alert.  Oldest first, at most nMax (>= 1).
 * Return non-zero from the callback to stop; it may call
 * store_delivery_get() on the same handle.  Returns STORE_OK,
 * STORE_MISUSE or the failure.
 * Tests: tests/unit/test_store_alerts.c */
int store_alerts_due(store *pStore, const char *zChannel, int nMax,
                     int (*xEach)(void *pCtx,
                                  const struct store_alert *pAlert),
                     void *pCtx);

/* Calls xEach once for alert iAlert, settled or not.  Returns
 * STORE_NOTFOUND when there is no such alert. */
int store_alert_get(store *pStore, int64_t iAlert,
                    int (*xEach)(void *pCtx, const struct store_alert *pAlert),
                    void *pCtx);

/* Delivery states of one (alert, channel). */
enum store_delivery_state {
  STORE_DELIVERY_PENDING = 0,   /* Not yet delivered; due at zNextAt */
  STORE_DELIVERY_DELIVERED = 1, /* Delivered (the channel said so) */
  STORE_DELIVERY_FAILED = 2,    /* Given up: retried past the limit */
  STORE_DELIVERY_SKIPPED = 3    /* Not for this channel (its routes) */
};

/* One channel's record of one alert. */
struct store_delivery {
  int state;                     /* enum store_delivery_state */
  int64_t nAttempts;             /* Tries so far */
  char zNextAt[STORE_TIME_TEXT]; /* Next try not before, UTC ISO-8601 */
};

/* Reads the record of alert iAlert on channel zChannel into *pOut.
 * Returns STORE_NOTFOUND (leaving *pOut alone) when the channel never
 * tried it, STORE_OK, STORE_MISUSE or the failure. */
int store_delivery_get(store *pStore, int64_t iAlert, const char *zChannel,
                       struct store_delivery *pOut /* OUT */);

/* Records one try of channel zChannel on alert iAlert (attempts + 1):
 * zError NULL means delivered (state delivered, delivered_at now);
 * otherwise last_error zError, and either next_at = now + retryAfter seconds
 * (state pending) or, when retryAfter < 0, state failed (given up).
 * Creates the record on the first try.  A delivered or failed record is
 * left as it is (STORE_OK).  Joins an open transaction (use it through
 * store_writer_run() in the node).  Returns STORE_OK, STORE_MISUSE,
 * STORE_ERR_CONSTRAINT when the alert does not exist, or the failure. */
int store_delivery_record(store *pStore, int64_t iAlert, const char *zChannel,
                          const char *zError, double retryAfter);

/* Records that channel zChannel's routes exclude alert iAlert (state
 * skipped, no attempt), so that store_alerts_due() no longer offers it
 * to that channel.  A record that exists already is left as it is.
 * Returns as store_delivery_record() does. */
int store_delivery_skip(store *pStore, int64_t iAlert, const char *zChannel);

/* Settles alert iAlert: delivered_at = now, so that
 * store_alerts_due() no longer lists it.  Call it once every
 * channel that routes the alert has delivered or given up.  Returns
 * STORE_OK (also when already settled), STORE_NOTFOUND or the failure. */
int store_alert_settle(store *pStore, int64_t iAlert);

/* Writes the number of (alert, channel) records given up (failed) and of
 * those still pending after at least one failed try (retrying).  Either
 * pointer may be NULL. */
int store_delivery_counts(store *pStore, int64_t *pnFailed /* OUT */,
                          int64_t *pnRetrying /* OUT */);

/* ---- Acknowledgments ------------------------------------------------ */

/* Records a technician's acknowledgment of a flagged image (iInstance
 * >= 1, zStudyUid NULL) or study (iInstance 0, zStudyUid set): zAction
 * "retaken" or "accepted"; zComment and zBy may be NULL (each at most
 * 1000 bytes, else STORE_MISUSE).  created_at now.  Writes the row id to
 * *piId (may be NULL).  Returns STORE_OK, STORE_MISUSE (bad argument),
 * STORE_NOTFOUND when the instance or study does not exist, or the
 * failure.  Tests: tests/unit/test_store_alerts.c */
int store_ack_put(store *pStore, int64_t iInstance, const char *zStudyUid,
                  const char *zAction, const char *zComment, const char *zBy,
                  int64_t *piId /* OUT, may be NULL */);

/* ---- Flagged images and studies (console, reports) ------------------ */

/* One image or study whose verdict is warn or retake, with its latest
 * acknowledgment.  Strings owned by the store, valid during the
 * callback; NULL when absent. */
struct store_flagged {
  const char *zKind;        /* "image" or "study" */
  int64_t iInstance;        /* Instance row id; 0 for a study */
  const char *zStudyUid;    /* Study Instance UID */
  const char *zSeriesUid;   /* Series Instance UID (images) */
  const char *zSopUid;      /* SOP Instance UID (images) */
  const char *zModality;    /* Modality */
  const char *zBodyPart;    /* Body Part Examined */
  const char *zStation;     /* Station Name (a study: first instance's) */
  const char *zOperator;    /* Operators' Name (likewise) */
  const char *zAccession;   /* Accession Number (likewise) */
  const char *zVerdict;     /* "warn" or "retake" */
  int hasQuality;           /* 1 when quality holds a value (images) */
  double quality;           /* Quality 0..100 */
  const char *zReasonsJson; /* JSON array of sentences */
  const char *zAt;          /* Verdict time: decided_at of an image,
                               completed_at of a study, UTC ISO-8601 */
  const char *zReceivedAt;  /* Arrival (image) / last arrival (study) */
  const char *zFilePath;    /* Archive path of the image, or of the
                               study's worst image, for a thumbnail */
  int64_t iThumbInstance;   /* Instance whose file zFilePath is */
  int64_t iAlert;           /* Its alert row id, 0 when none (warn) */
  const char *zAckAction;   /* Latest acknowledgment: "retaken",
                               "accepted", or NULL when none */
  const char *zAckComment;  /* Its comment, NULL when none */
  const char *zAckBy;       /* Who, NULL when not given */
  const char *zAckAt;       /* When, UTC ISO-8601 */
};

/* Calls xEach for each flagged image and study whose verdict time lies
 * in [zFrom, zTo) (either NULL: open), newest first (by verdict time,
 * then kind, then id), at most nMax (>= 1).  Times are read as
 * store_studies_list() reads zSince.  Returns STORE_OK, STORE_MISUSE (a
 * time that is not a time, nMax < 1, NULL xEach) or the failure.
 * Tests: tests/unit/test_store_report.c */
int store_flagged_list(
    store *pStore, const char *zFrom, const char *zTo, int nMax,
    int (*xEach)(void *pCtx, const struct store_flagged *pRow), void *pCtx);

/* ---- Counts for /metrics and reports --------------------------------- */

/* Calls xEach(pCtx, modality, verdict, n) for each (modality, verdict)
 * pair among all instance verdicts (modality "" when unknown).  Returns
 * STORE_OK or the failure. */
int store_verdict_counts(store *pStore,
                         int (*xEach)(void *pCtx, const char *zModality,
                                      const char *zVerdict, int64_t n),
                         void *pCtx);

/* One received image, for the nightly report.  Strings owned by the
 * store, valid during the callback; NULL when absent. */
struct store_report_image {
  int64_t iInstance;         /* Instance row id */
  const char *zStudyUid;     /* Study Instance UID */
  const char *zModality;     /* Modality */
  const char *zStation;      /* Station Name */
  const char *zOperator;     /* Operators' Name */
  const char *zReceivedAt;   /* Arrival, UTC ISO-8601 */
  const char *zVerdict;      /* "pass", "warn", "retake", "unscored",
                               "error", or NULL when not scored yet */
  int hasQuality;            /* 1 when quality holds a value */
  double quality;            /* Quality 0..100 */
  const char *zStudyVerdict; /* Its study's verdict: "pending", "pass",
                                "warn", "retake", "unscored"; NULL when
                                the study has no row */
};

/* Calls xEach for each instance received in [zFrom, zTo) (either NULL:
 * open), oldest first.  Returns STORE_OK, STORE_MISUSE or the failure.
 * Tests: tests/unit/test_store_report.c */
int store_report_images(store *pStore, const char *zFrom, const char *zTo,
                        int (*xEach)(void *pCtx,
                                     const struct store_report_image *pRow),
                        void *pCtx);

/* The application_id of a dicomqc database ("DCQC"), set by schema
 * version 2.  store_open() refuses a file with another application_id,
 * or a version-0 file that already holds tables, with
 * STORE_ERR_CORRUPT. */
#define STORE_APPLICATION_ID 0x44435143

#ifdef __cplusplus
}
#endif

#endif /* DICOMQC_STORE_H */
