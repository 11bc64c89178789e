/* SPDX-License-Identifier: BSD-3-Clause
 *
 * writer.c - the group-commit writer: the node's one writer of the
 * database.
 *
 * A C-STORE may be acknowledged only once its index rows are on disk, and
 * with synchronous=FULL every COMMIT costs an fsync of the WAL (about
 * 0.5 ms or more).  One transaction per image would cap the node at a
 * few hundred images a second however many associations send, so
 * callers do not write themselves: each queues a request on the writer
 * and sleeps; the one writer thread takes every request waiting at that
 * moment (the batch), runs each in its own savepoint inside one
 * BEGIN IMMEDIATE ... COMMIT, and wakes them all.  While one batch
 * commits, the next one gathers, so the batch grows with the load and no
 * artificial delay is needed.  A request that fails rolls back to its
 * savepoint and fails alone; if SQLite itself abandons the transaction
 * (disk full, I/O error), every request in it fails with that message.
 *
 * Files placed by store_archive_place() come with their path
 * (store_writer_receive_placed()): before each COMMIT the writer fsyncs
 * the folders holding them, each folder once, so images of one series
 * arriving together share that fsync too; the names are durable before
 * any of their rows is.
 *
 * The scoring workers write through it too (store_writer_run(): claim
 * the next image, record a score): one writer means no thread ever waits
 * on SQLite's write lock (whose busy handler sleeps a millisecond or
 * more), and a worker's rows ride along in the receivers' commits instead
 * of paying an fsync of their own.
 *
 * Requests live on their callers' stacks; the list and the done flags
 * are guarded by one mutex.  Only the writer thread touches the
 * connection once the handle is open.
 *
 * Tests: tests/unit/test_store_writer.c
 */
#include "store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Debug magic of a live writer ("WRTR"). */
#define WRITER_MAGIC 0x57525452u

/* Name of the savepoint around a store_writer_run() request. */
#define RUN_SAVEPOINT "store_writer_run"

/* One caller's request, on its stack until isDone. */
struct writer_req {
  store_writer_fn xWork;    /* Work to run on the writer's connection */
  void *pArg;               /* Argument of xWork; caller's */
  int rc;                   /* OUT: status */
  int isDone;               /* Set under the mutex when rc is final */
  char *zErr;               /* OUT: message, caller's buffer, may be
                               NULL */
  size_t nErr;              /* Bytes of zErr */
  const char *zSyncPath;    /* Placed file whose directory must be synced
                               before the commit, or NULL */
  struct writer_req *pNext; /* Next in the queue or batch */
};

/* The writer. */
struct store_writer {
  uint32_t iMagic;             /* WRITER_MAGIC while live */
  store *pStore;               /* Own connection; NULL if open failed */
  pthread_t thread;            /* The writer thread */
  int hasThread;               /* 1 once the thread runs */
  int hasSync;                 /* 1 once mu and the conds exist */
  pthread_mutex_t mu;          /* Guards every field below */
  pthread_cond_t cvWork;       /* A request came, or closing */
  pthread_cond_t cvDone;       /* A batch finished */
  struct writer_req *pHead;    /* Oldest waiting request */
  struct writer_req *pTail;    /* Newest waiting request */
  int nWaiting;                /* Requests in the list */
  int isClosing;               /* store_writer_close() began */
  int isHeld;                  /* Test hook: do not take requests */
  int nMaxBatch;               /* Requests per transaction, 0 = all */
  int64_t nBatch;              /* Transactions run */
  int64_t nRequest;            /* Requests they held */
  int64_t nDirSync;            /* Directories fsynced before commits */
  int hasErr;                  /* 1 when open failed */
  char zErr[STORE_ERRMSG_MAX]; /* Why open failed */
};

/* Writes a status and message into a request (writer thread only). */
static void reqFail(struct writer_req *pReq, int rc, const char *zMsg)
{
  pReq->rc = rc;
  if(pReq->zErr != NULL && pReq->nErr > 0) {
    snprintf(pReq->zErr, pReq->nErr, "%s", zMsg);
  }
}

/* Fails the requests from pFirst up to (not including) pStop that had
 * succeeded: their transaction did not commit. */
static void failRange(struct writer_req *pFirst, struct writer_req *pStop,
                      int rc, const char *zMsg)
{
  struct writer_req *pReq; /* Request in the range */

  for(pReq = pFirst; pReq != pStop; pReq = pReq->pNext) {
    if(pReq->rc == STORE_OK) {
      reqFail(pReq, rc, zMsg);
    }
  }
}

/* 1 if a request before pReq in pFirst.. still in the transaction has the
 * directory of pReq's file (whose directory part is nDir bytes). */
static int dirSeen(struct writer_req *pFirst, struct writer_req *pReq,
                   size_t nDir)
{
  struct writer_req *pOld; /* Earlier request */

  for(pOld = pFirst; pOld != pReq; pOld = pOld->pNext) {
    if(pOld->rc == STORE_OK && pOld->zSyncPath != NULL &&
       storeDirLength(pOld->zSyncPath) == nDir &&
       memcmp(pOld->zSyncPath, pReq->zSyncPath, nDir) == 0) {
      return 1;
    }
  }
  return 0;
}

/* fsyncs, once each, the directories of the placed files of the
 * requests pFirst..pStop that succeeded.  Returns STORE_OK, or the
 * status of the first failure with its message in zErr. */
static int syncDirs(struct writer_req *pFirst, struct writer_req *pStop,
                    int *pnSync, char *zErr, size_t nErr)
{
  struct writer_req *pReq; /* Request in the range */
  size_t nDir;             /* Bytes of its directory name */
  int rc;                  /* Status */

  for(pReq = pFirst; pReq != pStop; pReq = pReq->pNext) {
    if(pReq->rc != STORE_OK || pReq->zSyncPath == NULL) {
      continue;
    }
    nDir = storeDirLength(pReq->zSyncPath);
    if(dirSeen(pFirst, pReq, nDir)) {
      continue;
    }
    rc = storeSyncDir(pReq->zSyncPath, nDir, zErr, nErr);
    if(rc != STORE_OK) {
      return rc;
    }
    (*pnSync)++;
  }
  return STORE_OK;
}

/* Commits the transaction holding pFirst..pStop, after syncing the
 * directories of their placed files (counted in *pnSync), or fails them
 * all. */
static void commitRange(store *p, struct writer_req *pFirst,
                        struct writer_req *pStop, int *pnSync)
{
  char zErr[STORE_ERRMSG_MAX]; /* Message of a directory sync */
  int rc;                      /* Status */

  rc = syncDirs(pFirst, pStop, pnSync, zErr, sizeof zErr);
  if(rc != STORE_OK) {
    failRange(pFirst, pStop, rc, zErr);
    (void)store_rollback(p);
    return;
  }
  rc = store_commit(p);
  if(rc != STORE_OK) {
    failRange(pFirst, pStop, rc, store_errmsg(p));
    (void)store_rollback(p);
  }
}

/* Runs xWork inside its own savepoint of the open transaction: what it
 * wrote stays only if it returns STORE_OK. */
static int runWork(store *p, struct writer_req *pReq)
{
  int rc = storeStmtExec(p, STORE_STMT_RUN_SAVEPOINT,
                         "SAVEPOINT " RUN_SAVEPOINT, "store_writer_run");

  if(rc != STORE_OK) {
    return rc;
  }
  rc = pReq->xWork(p, pReq->pArg);
  if(rc == STORE_OK) {
    rc = storeStmtExec(p, STORE_STMT_RUN_RELEASE, "RELEASE " RUN_SAVEPOINT,
                       "store_writer_run");
  }
  if(rc != STORE_OK && !sqlite3_get_autocommit(storeDb(p))) {
    /* Keep xWork's message; the savepoint may already be gone. */
    (void)sqlite3_exec(storeDb(p),
                       "ROLLBACK TO " RUN_SAVEPOINT "; RELEASE " RUN_SAVEPOINT,
                       NULL, NULL, NULL);
  }
  return rc;
}

/* Runs one request inside the open transaction. */
static void runOne(store *p, struct writer_req *pReq)
{
  pReq->rc = runWork(p, pReq);
  if(pReq->rc != STORE_OK) {
    reqFail(pReq, pReq->rc, store_errmsg(p));
  }
}

/* Runs a batch: one transaction, one savepoint per request.  If SQLite
 * rolls the transaction back by itself, the requests already in it fail
 * and the rest go on in a new one.  Returns the directories synced. */
static int runBatch(store *p, struct writer_req *pBatch)
{
  int nSync = 0;                    /* Directories synced */
  struct writer_req *pFirst = NULL; /* First request of the open txn */
  struct writer_req *pReq;          /* Request being run */
  int rc;                           /* Status */

  for(pReq = pBatch; pReq != NULL; pReq = pReq->pNext) {
    if(pFirst == NULL) {
      rc = store_begin(p);
      if(rc != STORE_OK) {
        for(; pReq != NULL; pReq = pReq->pNext) {
          reqFail(pReq, rc, store_errmsg(p));
        }
        return nSync;
      }
      pFirst = pReq;
    }
    runOne(p, pReq);
    if(pReq->rc != STORE_OK && sqlite3_get_autocommit(storeDb(p))) {
      failRange(pFirst, pReq, pReq->rc, store_errmsg(p));
      pFirst = NULL;
    }
  }
  if(pFirst != NULL) {
    commitRange(p, pFirst, NULL, &nSync);
  }
  return nSync;
}

/* Takes up to nMaxBatch waiting requests off the list.  Under the mutex. */
static struct writer_req *takeBatch(store_writer *w, int *pn)
{
  struct writer_req *pBatch = w->pHead; /* First taken */
  struct writer_req *pLast = pBatch;    /* Last taken */
  int n = 1;                            /* Requests taken */

  while(pLast->pNext != NULL && (w->nMaxBatch == 0 || n < w->nMaxBatch)) {
    pLast = pLast->pNext;
    n++;
  }
  w->pHead = pLast->pNext;
  if(w->pHead == NULL) {
    w->pTail = NULL;
  }
  pLast->pNext = NULL;
  w->nWaiting -= n;
  *pn = n;
  return pBatch;
}

/* The writer thread: batches until closing and drained. */
static void *writerMain(void *pArg)
{
  store_writer *w = pArg;    /* The writer */
  struct writer_req *pBatch; /* Requests of one transaction */
  struct writer_req *pReq;   /* One of them */
  int n;                     /* How many */
  int nSync;                 /* Directories they synced */

  pthread_mutex_lock(&w->mu);
  for(;;) {
    while(!w->isClosing && (w->pHead == NULL || w->isHeld)) {
      pthread_cond_wait(&w->cvWork, &w->mu);
    }
    if(w->pHead == NULL) {
      break; /* closing, and nothing left */
    }
    pBatch = takeBatch(w, &n);
    pthread_mutex_unlock(&w->mu);
    nSync = runBatch(w->pStore, pBatch);
    pthread_mutex_lock(&w->mu);
    w->nDirSync += nSync;
    w->nBatch++;
    w->nRequest += n;
    while(pBatch != NULL) {
      pReq = pBatch;
      pBatch = pBatch->pNext; /* read before the owner may return */
      pReq->isDone = 1;
    }
    pthread_cond_broadcast(&w->cvDone);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* Creates the mutex and conditions. */
static int initSync(store_writer *w)
{
  if(pthread_mutex_init(&w->mu, NULL) != 0) {
    return STORE_ERR_NOMEM;
  }
  if(pthread_cond_init(&w->cvWork, NULL) != 0) {
    pthread_mutex_destroy(&w->mu);
    return STORE_ERR_NOMEM;
  }
  if(pthread_cond_init(&w->cvDone, NULL) != 0) {
    pthread_cond_destroy(&w->cvWork);
    pthread_mutex_destroy(&w->mu);
    return STORE_ERR_NOMEM;
  }
  w->hasSync = 1;
  return STORE_OK;
}

/* Records why open failed. */
static int openErr(store_writer *w, int rc, const char *zMsg)
{
  snprintf(w->zErr, sizeof w->zErr, "store_writer_open: %s", zMsg);
  w->hasErr = 1;
  return rc;
}

int store_writer_open(const char *zDbPath, store_writer **ppWriter)
{
  store_writer *w; /* The new writer */
  int rc;          /* Status */

  if(ppWriter == NULL) {
    return STORE_MISUSE;
  }
  w = calloc(1, sizeof *w);
  *ppWriter = w;
  if(w == NULL) {
    return STORE_ERR_NOMEM;
  }
  w->iMagic = WRITER_MAGIC;
  rc = initSync(w);
  if(rc != STORE_OK) {
    return openErr(w, rc, "out of memory");
  }
  rc = store_open(zDbPath, &w->pStore);
  if(rc != STORE_OK) {
    openErr(w, rc, store_errmsg(w->pStore));
    store_close(w->pStore);
    w->pStore = NULL;
    return rc;
  }
  if(pthread_create(&w->thread, NULL, writerMain, w) != 0) {
    store_close(w->pStore);
    w->pStore = NULL;
    return openErr(w, STORE_ERR_NOMEM, "cannot start the writer thread");
  }
  w->hasThread = 1;
  return STORE_OK;
}

/* Queues pReq and sleeps until the writer thread has finished it. */
static int submit(store_writer *w, struct writer_req *pReq)
{
  pthread_mutex_lock(&w->mu);
  if(w->isClosing) {
    pthread_mutex_unlock(&w->mu);
    reqFail(pReq, STORE_MISUSE, "store writer: the writer is closing");
    return STORE_MISUSE;
  }
  if(w->pTail != NULL) {
    w->pTail->pNext = pReq;
  } else {
    w->pHead = pReq;
  }
  w->pTail = pReq;
  w->nWaiting++;
  pthread_cond_signal(&w->cvWork);
  while(!pReq->isDone) {
    pthread_cond_wait(&w->cvDone, &w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  return pReq->rc;
}

/* A receive as store_writer_run() work. */
struct receive_arg {
  const struct store_instance *pInst; /* What to record; caller's */
  int64_t iId;                        /* OUT: instance row id */
};

static int receiveWork(store *p, void *pArg)
{
  struct receive_arg *pA = pArg; /* This receive */

  return storeReceiveOne(p, pA->pInst, &pA->iId);
}

/* Queues a request for xWork and waits for it (zSyncPath: see
 * struct writer_req). */
static int runRequest(store_writer *w, store_writer_fn xWork, void *pArg,
                      const char *zSyncPath, char *zErr, size_t nErr)
{
  struct writer_req req; /* This call's request */

  memset(&req, 0, sizeof req);
  req.xWork = xWork;
  req.pArg = pArg;
  req.zErr = zErr;
  req.nErr = nErr;
  req.zSyncPath = zSyncPath;
  if(w == NULL || w->pStore == NULL || xWork == NULL) {
    reqFail(&req, STORE_MISUSE,
            "store_writer_run: NULL or failed writer, or NULL xWork");
    return STORE_MISUSE;
  }
  STORE_ASSERT(w->iMagic == WRITER_MAGIC);
  return submit(w, &req);
}

/* store_writer_receive() and, with isPlaced, store_writer_receive_placed(). */
static int receive(store_writer *w, const struct store_instance *pInst,
                   int isPlaced, int64_t *piId, char *zErr, size_t nErr)
{
  struct receive_arg arg = {pInst, 0}; /* Work and its result */
  int rc;                              /* Status */

  if(w == NULL || w->pStore == NULL || pInst == NULL ||
     (isPlaced && pInst->zFilePath == NULL)) {
    if(zErr != NULL && nErr > 0) {
      snprintf(zErr, nErr, "%s: NULL or failed writer, or NULL pInst%s",
               isPlaced ? "store_writer_receive_placed"
                        : "store_writer_receive",
               isPlaced ? " or zFilePath" : "");
    }
    return STORE_MISUSE;
  }
  rc = runRequest(w, receiveWork, &arg, isPlaced ? pInst->zFilePath : NULL,
                  zErr, nErr);
  if(rc == STORE_OK && piId != NULL) {
    *piId = arg.iId;
  }
  return rc;
}

int store_writer_receive(store_writer *w, const struct store_instance *pInst,
                         int64_t *piId, char *zErr, size_t nErr)
{
  return receive(w, pInst, 0, piId, zErr, nErr);
}

int store_writer_receive_placed(store_writer *w,
                                const struct store_instance *pInst,
                                int64_t *piId, char *zErr, size_t nErr)
{
  return receive(w, pInst, 1, piId, zErr, nErr);
}

int store_writer_run(store_writer *w, store_writer_fn xWork, void *pArg,
                     char *zErr, size_t nErr)
{
  return runRequest(w, xWork, pArg, NULL, zErr, nErr);
}

void store_writer_stats(store_writer *w, int64_t *pnBatch, int64_t *pnRequest)
{
  int64_t nBatch = 0;   /* Copies taken under the mutex */
  int64_t nRequest = 0; /* ... */

  if(w != NULL && w->hasSync) {
    pthread_mutex_lock(&w->mu);
    nBatch = w->nBatch;
    nRequest = w->nRequest;
    pthread_mutex_unlock(&w->mu);
  }
  if(pnBatch != NULL) {
    *pnBatch = nBatch;
  }
  if(pnRequest != NULL) {
    *pnRequest = nRequest;
  }
}

const char *store_writer_errmsg(store_writer *w)
{
  if(w == NULL) {
    return "out of memory (no writer handle)";
  }
  return w->hasErr ? w->zErr : "not an error";
}

void store_writer_close(store_writer *w)
{
  if(w == NULL) {
    return;
  }
  STORE_ASSERT(w->iMagic == WRITER_MAGIC);
  if(w->hasThread) {
    pthread_mutex_lock(&w->mu);
    w->isClosing = 1;
    pthread_cond_signal(&w->cvWork);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
  }
  if(w->hasSync) {
    pthread_cond_destroy(&w->cvDone);
    pthread_cond_destroy(&w->cvWork);
    pthread_mutex_destroy(&w->mu);
  }
  store_close(w->pStore);
  w->iMagic = 0;
  free(w);
}

void storeWriterHold(store_writer *w, int isHeld)
{
  pthread_mutex_lock(&w->mu);
  w->isHeld = isHeld;
  pthread_cond_signal(&w->cvWork);
  pthread_mutex_unlock(&w->mu);
}

int storeWriterWaiting(store_writer *w)
{
  int n; /* Copy taken under the mutex */

  pthread_mutex_lock(&w->mu);
  n = w->nWaiting;
  pthread_mutex_unlock(&w->mu);
  return n;
}

int64_t storeWriterDirSyncs(store_writer *w)
{
  int64_t n; /* Copy taken under the mutex */

  pthread_mutex_lock(&w->mu);
  n = w->nDirSync;
  pthread_mutex_unlock(&w->mu);
  return n;
}

void storeWriterMaxBatch(store_writer *w, int nMax)
{
  pthread_mutex_lock(&w->mu);
  w->nMaxBatch = nMax < 0 ? 0 : nMax;
  pthread_mutex_unlock(&w->mu);
}
