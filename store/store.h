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
  STORE_ERR_CORRUPT = 8,    /* The file is not a database, or is damaged */
  STORE_ERR_SQL = 9         /* Any other SQLite error */
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
 * newer than store_schema_latest(), and STORE_ERR_IO when the file cannot
 * be created or WAL cannot be enabled (e.g. on a network file system).
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

#ifdef __cplusplus
}
#endif

#endif /* DICOMQC_STORE_H */
