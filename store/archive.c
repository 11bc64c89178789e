/* SPDX-License-Identifier: BSD-3-Clause
 *
 * archive.c - the archive of received DICOM files on disk, laid out as
 * <dir>/<StudyUID>/<SeriesUID>/<SOPInstanceUID>.dcm (store.h describes
 * the layout and the duplicate rules).
 *
 * Durability without partial files: a file is received into <dir>/.tmp,
 * fsynced, then made visible under its final name in one step (a hard
 * link, or a rename where the file system has no hard links), and the
 * directory holding the new name is fsynced (by store_archive_commit(),
 * or, after store_archive_place(), by the writer, once per directory for
 * all the images of one transaction); every directory created on the way
 * has its parent fsynced first.  A hard link is used rather than
 * rename() because rename() silently replaces an existing file, while
 * link() fails with EEXIST: two associations storing the same SOP
 * Instance UID at once can never overwrite each other, across threads
 * and processes.  The temp name left behind is unlinked afterwards; if a
 * crash comes first, store_archive_open() deletes it.
 *
 * UIDs become path components only after store_uid_valid(): digits and
 * dots, no leading dot, so never "..", "/" or a hidden file.
 *
 * Tests: tests/unit/test_store_archive.c
 */
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debug magic of a live archive handle ("ARCV"). */
#define ARCHIVE_MAGIC 0x41524356u

/* Longest UID, characters (DICOM PS3.5 section 9.1). */
#define UID_MAX 64

/* Bytes compared per read when checking a duplicate. */
#define COMPARE_CHUNK 65536

/* Room for "/<UID>" three times plus ".v999.dcm" and the NUL. */
#define PATH_EXTRA (3 * (UID_MAX + 1) + 32)
_Static_assert(STORE_ARCHIVE_MAX_VERSION <= 999,
               "version suffixes must fit \".v999.dcm\"");

/* An open archive. */
struct store_archive {
  uint32_t iMagic;             /* ARCHIVE_MAGIC while live */
  int isOpen;                  /* 1 once store_archive_open() succeeded */
  char *zDir;                  /* Root directory, owned */
  char *zTmp;                  /* <zDir>/.tmp, owned */
  pthread_mutex_t mu;          /* Guards directory creation, placement
                                  without link(2), and zErr */
  int hasErr;                  /* 1 once a call has failed */
  char zErr[STORE_ERRMSG_MAX]; /* Message of the last failure */
};

/* The paths of one commit, in one allocation. */
struct arch_paths {
  char *zStudyDir;  /* <dir>/<Study> */
  char *zSeriesDir; /* <dir>/<Study>/<Series> */
  char *zFinal;     /* <dir>/<Study>/<Series>/<Sop>[.vN].dcm */
  size_t nEach;     /* Bytes of each of the three buffers */
};

/* Formats a message into zErr (STORE_ERRMSG_MAX bytes); returns rc. */
static int msgErr(char *zErr, int rc, const char *zFmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int msgErr(char *zErr, int rc, const char *zFmt, ...)
{
  va_list ap; /* Arguments of zFmt */

  va_start(ap, zFmt);
  vsnprintf(zErr, STORE_ERRMSG_MAX, zFmt, ap);
  va_end(ap);
  return rc;
}

/* Records the failed system call zWhat on zPath, with errno's text. */
static int sysErr(char *zErr, const char *zWhat, const char *zPath)
{
  int iErrno = errno; /* Saved before any other call */
  char zSys[128];     /* strerror_r() text */

  if(strerror_r(iErrno, zSys, sizeof zSys) != 0) {
    snprintf(zSys, sizeof zSys, "errno %d", iErrno);
  }
  return msgErr(zErr, STORE_ERR_IO, "archive: %s %s: %s", zWhat, zPath, zSys);
}

int store_uid_valid(const char *z)
{
  size_t n = 0;  /* Characters seen */
  int isDot = 1; /* Previous character was '.' (or start) */

  if(z == NULL) {
    return 0;
  }
  for(; z[n] != '\0'; n++) {
    if(n >= UID_MAX) {
      return 0;
    }
    if(z[n] == '.') {
      if(isDot) {
        return 0; /* leading dot or empty component */
      }
      isDot = 1;
    } else if(z[n] >= '0' && z[n] <= '9') {
      isDot = 0;
    } else {
      return 0;
    }
  }
  return n > 0 && !isDot;
}

size_t storeDirLength(const char *zPath)
{
  const char *zSlash = strrchr(zPath, '/'); /* Last separator */

  if(zSlash == NULL) {
    return 0;
  }
  return zSlash == zPath ? 1 : (size_t)(zSlash - zPath);
}

int storeSyncDir(const char *zDir, size_t nDir, char *zErr, size_t nErr)
{
  char zPath[PATH_MAX]; /* zDir, terminated */
  char zSys[128];       /* strerror_r() text */
  const char *zWhat;    /* The call that failed */
  int fd;               /* The directory */
  int iErrno;           /* errno of the failure */

  if(nDir == 0) {
    zDir = ".";
    nDir = 1;
  }
  if(nDir >= sizeof zPath) {
    snprintf(zErr, nErr, "directory name of %zu bytes is too long", nDir);
    return STORE_MISUSE;
  }
  memcpy(zPath, zDir, nDir);
  zPath[nDir] = '\0';
  fd = open(zPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(fd >= 0 && (fsync(fd) == 0 || errno == EINVAL)) {
    close(fd);
    return STORE_OK;
  }
  iErrno = errno;
  zWhat = fd < 0 ? "cannot open directory" : "cannot sync directory";
  if(fd >= 0) {
    close(fd);
  }
  if(strerror_r(iErrno, zSys, sizeof zSys) != 0) {
    snprintf(zSys, sizeof zSys, "errno %d", iErrno);
  }
  snprintf(zErr, nErr, "%s %s: %s", zWhat, zPath, zSys);
  return STORE_ERR_IO;
}

/* fsyncs directory zDir so that entries made in it survive a crash. */
static int syncDir(char *zErr, const char *zDir)
{
  char zMsg[STORE_ERRMSG_MAX - 16]; /* storeSyncDir()'s message */
  int rc = storeSyncDir(zDir, strlen(zDir), zMsg, sizeof zMsg);

  if(rc != STORE_OK) {
    msgErr(zErr, rc, "archive: %s", zMsg);
  }
  return rc;
}

/* Creates directory zPath (0700) in zParent unless it exists, syncing
 * zParent after creating it.  An existing non-directory is an error. */
static int makeDir(char *zErr, const char *zPath, const char *zParent)
{
  struct stat st; /* What is there already */

  if(mkdir(zPath, 0700) == 0) {
    /* The umask may have taken owner bits away. */
    if(chmod(zPath, 0700) != 0) {
      return sysErr(zErr, "cannot set the mode of", zPath);
    }
    return syncDir(zErr, zParent);
  }
  if(errno != EEXIST) {
    return sysErr(zErr, "cannot create directory", zPath);
  }
  if(stat(zPath, &st) != 0) {
    return sysErr(zErr, "cannot read", zPath);
  }
  if(!S_ISDIR(st.st_mode)) {
    return msgErr(zErr, STORE_ERR_IO,
                  "archive: %s exists and is not a directory; move it "
                  "out of the archive",
                  zPath);
  }
  return STORE_OK;
}

/* Returns the directory part of zPath in new memory ("." if none), or
 * NULL when out of memory. */
static char *parentOf(const char *zPath)
{
  size_t n = storeDirLength(zPath); /* Bytes of the parent */

  return n == 0 ? strdup(".") : strndup(zPath, n);
}

/* Deletes every non-directory entry of zTmp: files a crash left half
 * received, never acknowledged. */
static int cleanTmp(char *zErr, const char *zTmp)
{
  DIR *pDir = opendir(zTmp); /* The .tmp directory */
  struct dirent *pEnt;       /* One entry */
  struct stat st;            /* Its type */
  int rc = STORE_OK;         /* Status */

  if(pDir == NULL) {
    return sysErr(zErr, "cannot read directory", zTmp);
  }
  for(;;) {
    errno = 0;
    pEnt = readdir(pDir);
    if(pEnt == NULL) {
      if(errno != 0) {
        rc = sysErr(zErr, "cannot read directory", zTmp);
      }
      break;
    }
    if(fstatat(dirfd(pDir), pEnt->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
       S_ISDIR(st.st_mode)) {
      continue; /* ".", "..", gone meanwhile, or a directory */
    }
    if(unlinkat(dirfd(pDir), pEnt->d_name, 0) != 0 && errno != ENOENT) {
      rc = sysErr(zErr, "cannot delete a stale temp file in", zTmp);
      break;
    }
  }
  closedir(pDir);
  return rc;
}

/* Creates the root and .tmp and empties .tmp. */
static int openDirs(store_archive *a)
{
  char *zParent = parentOf(a->zDir); /* Where the root lives */
  int rc;                            /* Status */

  if(zParent == NULL) {
    return msgErr(a->zErr, STORE_ERR_NOMEM, "archive: out of memory");
  }
  rc = makeDir(a->zErr, a->zDir, zParent);
  free(zParent);
  if(rc == STORE_OK) {
    rc = makeDir(a->zErr, a->zTmp, a->zDir);
  }
  if(rc == STORE_OK) {
    rc = cleanTmp(a->zErr, a->zTmp);
  }
  return rc;
}

/* Copies zDir without trailing slashes (but keeps "/") into a->zDir and
 * builds a->zTmp. */
static int setPaths(store_archive *a, const char *zDir)
{
  size_t n = strlen(zDir); /* Length kept */

  while(n > 1 && zDir[n - 1] == '/') {
    n--;
  }
  a->zDir = strndup(zDir, n);
  a->zTmp = malloc(n + sizeof "/.tmp");
  if(a->zDir == NULL || a->zTmp == NULL) {
    return msgErr(a->zErr, STORE_ERR_NOMEM, "archive: out of memory");
  }
  snprintf(a->zTmp, n + sizeof "/.tmp", "%s/.tmp",
           strcmp(a->zDir, "/") == 0 ? "" : a->zDir);
  return STORE_OK;
}

int store_archive_open(const char *zDir, store_archive **ppArchive)
{
  store_archive *a; /* The new handle */
  int rc;           /* Status */

  if(ppArchive == NULL) {
    return STORE_MISUSE;
  }
  a = calloc(1, sizeof *a);
  *ppArchive = a;
  if(a == NULL) {
    return STORE_ERR_NOMEM;
  }
  a->iMagic = ARCHIVE_MAGIC;
  if(pthread_mutex_init(&a->mu, NULL) != 0) {
    a->iMagic = 0;
    free(a);
    *ppArchive = NULL;
    return STORE_ERR_NOMEM;
  }
  if(zDir == NULL || zDir[0] == '\0') {
    rc = msgErr(a->zErr, STORE_MISUSE, "store_archive_open: no directory");
  } else {
    rc = setPaths(a, zDir);
  }
  if(rc == STORE_OK) {
    rc = openDirs(a);
  }
  a->isOpen = rc == STORE_OK;
  a->hasErr = rc != STORE_OK;
  return rc;
}

void store_archive_close(store_archive *a)
{
  if(a == NULL) {
    return;
  }
  STORE_ASSERT(a->iMagic == ARCHIVE_MAGIC);
  pthread_mutex_destroy(&a->mu);
  free(a->zDir);
  free(a->zTmp);
  a->iMagic = 0;
  free(a);
}

const char *store_archive_errmsg(store_archive *a)
{
  if(a == NULL) {
    return "out of memory (no archive handle)";
  }
  return a->hasErr ? a->zErr : "not an error";
}

const char *store_archive_tmpdir(store_archive *a)
{
  if(a == NULL || !a->isOpen) {
    return NULL;
  }
  return a->zTmp;
}

/* Records zMsg as the handle's last failure (thread-safe). */
static void keepErr(store_archive *a, const char *zMsg)
{
  pthread_mutex_lock(&a->mu);
  snprintf(a->zErr, sizeof a->zErr, "%s", zMsg);
  a->hasErr = 1;
  pthread_mutex_unlock(&a->mu);
}

int store_archive_tmpfile(store_archive *a, char *zPath, size_t nPath,
                          int *pFd)
{
  char zErr[STORE_ERRMSG_MAX]; /* Message of a failure */
  int fd;                      /* The new file */
  int n;                       /* Length of the template */

  if(a == NULL || !a->isOpen || zPath == NULL || pFd == NULL) {
    return STORE_MISUSE;
  }
  STORE_ASSERT(a->iMagic == ARCHIVE_MAGIC);
  n = snprintf(zPath, nPath, "%s/rx-XXXXXX", a->zTmp);
  if(n < 0 || (size_t)n >= nPath) {
    keepErr(a, "store_archive_tmpfile: zPath is too small for the path");
    return STORE_MISUSE;
  }
  fd = mkstemp(zPath); /* mode 0600 */
  if(fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    sysErr(zErr, "cannot create a temp file in", a->zTmp);
    if(fd >= 0) {
      close(fd);
      unlink(zPath);
    }
    keepErr(a, zErr);
    return STORE_ERR_IO;
  }
  *pFd = fd;
  return STORE_OK;
}

/* Checks the three UIDs before they become path components. */
static int checkUids(char *zErr, const char *zStudy, const char *zSeries,
                     const char *zSop)
{
  const char *azUid[3] = {zStudy, zSeries, zSop}; /* In path order */
  static const char *const azName[3] = {
      "Study Instance UID", "Series Instance UID", "SOP Instance UID"};
  int i; /* Which UID */

  for(i = 0; i < 3; i++) {
    if(!store_uid_valid(azUid[i])) {
      return msgErr(zErr, STORE_ERR_INVALID,
                    "archive: %s '%.80s%s' is not a valid DICOM UID (1 to "
                    "64 digits and dots, no empty component)",
                    azName[i], azUid[i] ? azUid[i] : "(none)",
                    azUid[i] && strlen(azUid[i]) > 80 ? "..." : "");
    }
  }
  return STORE_OK;
}

/* fsyncs the complete temp file, which must be a regular file. */
static int syncFile(char *zErr, const char *zPath)
{
  struct stat st;                             /* Its type */
  int fd = open(zPath, O_RDONLY | O_CLOEXEC); /* The temp file */
  int rc = STORE_OK;                          /* Status */

  if(fd < 0) {
    return sysErr(zErr, "cannot open", zPath);
  }
  if(fstat(fd, &st) != 0) {
    rc = sysErr(zErr, "cannot read", zPath);
  } else if(!S_ISREG(st.st_mode)) {
    rc =
        msgErr(zErr, STORE_MISUSE, "archive: %s is not a regular file", zPath);
  } else if(fsync(fd) != 0) {
    rc = sysErr(zErr, "cannot sync", zPath);
  }
  close(fd);
  return rc;
}

/* Allocates and fills the directory paths of one commit. */
static int makePaths(store_archive *a, char *zErr, const char *zStudy,
                     const char *zSeries, struct arch_paths *pP)
{
  size_t n = strlen(a->zDir) + PATH_EXTRA; /* Bytes of each buffer */
  char *zAll = malloc(3 * n);              /* The three buffers */

  if(zAll == NULL) {
    return msgErr(zErr, STORE_ERR_NOMEM, "archive: out of memory");
  }
  pP->nEach = n;
  pP->zStudyDir = zAll;
  pP->zSeriesDir = zAll + n;
  pP->zFinal = zAll + 2 * n;
  snprintf(pP->zStudyDir, n, "%s/%s", a->zDir, zStudy);
  snprintf(pP->zSeriesDir, n, "%s/%s/%s", a->zDir, zStudy, zSeries);
  pP->zFinal[0] = '\0';
  return STORE_OK;
}

/* Creates the study and series directories when missing.  Under the
 * mutex, so that a thread finding a directory another thread is creating
 * waits until its parent has been synced. */
static int ensureDirs(store_archive *a, char *zErr,
                      const struct arch_paths *pP)
{
  int rc; /* Status */

  pthread_mutex_lock(&a->mu);
  rc = makeDir(zErr, pP->zStudyDir, a->zDir);
  if(rc == STORE_OK) {
    rc = makeDir(zErr, pP->zSeriesDir, pP->zStudyDir);
  }
  pthread_mutex_unlock(&a->mu);
  return rc;
}

/* Reads up to n bytes, retrying after signals and short reads; returns
 * the count (less than n only at end of file) or -1. */
static ssize_t readFull(int fd, unsigned char *aBuf, size_t n)
{
  size_t nDone = 0; /* Bytes read so far */

  while(nDone < n) {
    ssize_t nGot = read(fd, aBuf + nDone, n - nDone);
    if(nGot < 0 && errno == EINTR) {
      continue;
    }
    if(nGot < 0) {
      return -1;
    }
    if(nGot == 0) {
      break;
    }
    nDone += (size_t)nGot;
  }
  return (ssize_t)nDone;
}

/* Compares two open files of equal size chunk by chunk. */
static int sameContent(char *zErr, int fdA, int fdB, const char *zA,
                       const char *zB, int *pSame)
{
  unsigned char *aBuf = malloc(2 * COMPARE_CHUNK); /* Both chunks */
  ssize_t nA, nB;                                  /* Bytes read */
  int rc = STORE_OK;                               /* Status */

  if(aBuf == NULL) {
    return msgErr(zErr, STORE_ERR_NOMEM, "archive: out of memory");
  }
  *pSame = 1;
  do {
    nA = readFull(fdA, aBuf, COMPARE_CHUNK);
    nB = readFull(fdB, aBuf + COMPARE_CHUNK, COMPARE_CHUNK);
    if(nA < 0 || nB < 0) {
      rc = sysErr(zErr, "cannot read", nA < 0 ? zA : zB);
      break;
    }
    if(nA != nB || memcmp(aBuf, aBuf + COMPARE_CHUNK, (size_t)nA) != 0) {
      *pSame = 0;
      break;
    }
  } while(nA == COMPARE_CHUNK);
  free(aBuf);
  return rc;
}

/* Sets *pSame to 1 when files zA and zB hold the same bytes. */
static int sameBytes(char *zErr, const char *zA, const char *zB, int *pSame)
{
  int fdA = open(zA, O_RDONLY | O_CLOEXEC); /* The new copy */
  int fdB = open(zB, O_RDONLY | O_CLOEXEC); /* The archived one */
  struct stat stA, stB;                     /* Their sizes */
  int rc = STORE_OK;                        /* Status */

  if(fdA < 0 || fdB < 0) {
    rc = sysErr(zErr, "cannot open", fdA < 0 ? zA : zB);
  } else if(fstat(fdA, &stA) != 0 || fstat(fdB, &stB) != 0) {
    rc = sysErr(zErr, "cannot read", zB);
  } else if(stA.st_size != stB.st_size) {
    *pSame = 0;
  } else {
    rc = sameContent(zErr, fdA, fdB, zA, zB, pSame);
  }
  if(fdA >= 0) {
    close(fdA);
  }
  if(fdB >= 0) {
    close(fdB);
  }
  return rc;
}

/* Where link(2) cannot work (no hard links on this file system): renames
 * zTemp to zFinal unless zFinal exists, under the mutex so that threads
 * of this process cannot both find the name free. */
static int renameNoReplace(store_archive *a, char *zErr, const char *zTemp,
                           const char *zFinal, int *pPlaced)
{
  struct stat st; /* zFinal, if it exists */
  int rc = STORE_OK;

  pthread_mutex_lock(&a->mu);
  if(lstat(zFinal, &st) == 0) {
    *pPlaced = 0;
  } else if(errno != ENOENT) {
    rc = sysErr(zErr, "cannot read", zFinal);
  } else if(rename(zTemp, zFinal) != 0) {
    rc = sysErr(zErr, "cannot move the received file to", zFinal);
  } else {
    *pPlaced = 1;
  }
  pthread_mutex_unlock(&a->mu);
  return rc;
}

/* Gives zTemp the name zFinal unless that name exists: *pPlaced is 1
 * when it did, 0 when zFinal was there already. */
static int placeOnce(store_archive *a, char *zErr, const char *zTemp,
                     const char *zFinal, int *pPlaced)
{
  if(link(zTemp, zFinal) == 0) {
    *pPlaced = 1;
    return STORE_OK;
  }
  switch(errno) {
  case EEXIST:
    *pPlaced = 0;
    return STORE_OK;
  case EPERM:
  case ENOSYS:
  case ENOTSUP:
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
  case EOPNOTSUPP:
#endif
    return renameNoReplace(a, zErr, zTemp, zFinal, pPlaced);
  case EXDEV:
    return msgErr(zErr, STORE_ERR_IO,
                  "archive: %s is not on the archive's file system; "
                  "receive into store_archive_tmpdir()",
                  zTemp);
  default:
    return sysErr(zErr, "cannot link the received file to", zFinal);
  }
}

/* Writes the name of copy v (1: <Sop>.dcm, else <Sop>.vN.dcm). */
static void finalName(struct arch_paths *pP, const char *zSop, int v)
{
  if(v == 1) {
    snprintf(pP->zFinal, pP->nEach, "%s/%s.dcm", pP->zSeriesDir, zSop);
  } else {
    snprintf(pP->zFinal, pP->nEach, "%s/%s.v%d.dcm", pP->zSeriesDir, zSop, v);
  }
}

/* Places zTemp by the duplicate rules; pP->zFinal ends as the name used
 * (or the identical copy found). */
static int place(store_archive *a, char *zErr, const char *zTemp,
                 const char *zSop, struct arch_paths *pP, int *pOutcome)
{
  int v;          /* Copy number tried */
  int isPlaced;   /* zTemp got the name */
  int isSame = 0; /* The existing copy holds the same bytes */
  int rc;         /* Status */

  for(v = 1; v <= STORE_ARCHIVE_MAX_VERSION; v++) {
    finalName(pP, zSop, v);
    rc = placeOnce(a, zErr, zTemp, pP->zFinal, &isPlaced);
    if(rc == STORE_OK && !isPlaced) {
      rc = sameBytes(zErr, zTemp, pP->zFinal, &isSame);
    }
    if(rc != STORE_OK) {
      return rc;
    }
    if(isPlaced || isSame) {
      /* After a link the temp name is left over; after a rename it is
       * gone.  Either way it is not part of the archive. */
      (void)unlink(zTemp);
      *pOutcome = isSame   ? STORE_ARCHIVE_SAME
                  : v == 1 ? STORE_ARCHIVE_NEW
                           : STORE_ARCHIVE_VERSION;
      return STORE_OK;
    }
  }
  return msgErr(zErr, STORE_ERR_INVALID,
                "archive: SOP Instance UID %s already has %d different "
                "copies in %s; refusing another",
                zSop, STORE_ARCHIVE_MAX_VERSION, pP->zSeriesDir);
}

/* The steps of a commit after the argument checks. */
static int commitSteps(store_archive *a, char *zErr, const char *zTemp,
                       const char *zStudy, const char *zSeries,
                       const char *zSop, size_t nFinal, struct arch_paths *pP,
                       int *pOutcome, int isSync)
{
  int rc; /* Status */

  rc = checkUids(zErr, zStudy, zSeries, zSop);
  if(rc == STORE_OK) {
    rc = syncFile(zErr, zTemp);
  }
  if(rc == STORE_OK) {
    rc = makePaths(a, zErr, zStudy, zSeries, pP);
  }
  /* Longest name: <series dir>/<Sop>.v999.dcm and its NUL. */
  if(rc == STORE_OK &&
     strlen(pP->zSeriesDir) + 1 + strlen(zSop) + sizeof ".v999.dcm" > nFinal) {
    rc = msgErr(zErr, STORE_MISUSE,
                "%s: nFinal %zu is too small for paths in %s",
                isSync ? "store_archive_commit" : "store_archive_place",
                nFinal, pP->zSeriesDir);
  }
  if(rc == STORE_OK) {
    rc = ensureDirs(a, zErr, pP);
  }
  if(rc == STORE_OK) {
    rc = place(a, zErr, zTemp, zSop, pP, pOutcome);
  }
  if(rc == STORE_OK && isSync) {
    rc = syncDir(zErr, pP->zSeriesDir);
    if(rc != STORE_OK && *pOutcome != STORE_ARCHIVE_SAME) {
      /* Not known to be durable: take it back, the sender will retry. */
      (void)unlink(pP->zFinal);
    }
  }
  return rc;
}

/* store_archive_commit() (isSync 1) and store_archive_place() (0). */
static int commitOrPlace(store_archive *a, const char *zTemp,
                         const char *zStudy, const char *zSeries,
                         const char *zSop, char *zFinal, size_t nFinal,
                         int *pOutcome, int isSync)
{
  char zErr[STORE_ERRMSG_MAX];   /* Message of a failure */
  struct arch_paths paths = {0}; /* Paths of this commit */
  int outcome = 0;               /* store_archive_outcome */
  int rc;                        /* Status */

  if(a == NULL || !a->isOpen || zTemp == NULL || zFinal == NULL ||
     nFinal == 0 || pOutcome == NULL) {
    rc = msgErr(zErr, STORE_MISUSE,
                "%s: NULL or failed handle, or NULL argument",
                isSync ? "store_archive_commit" : "store_archive_place");
  } else {
    STORE_ASSERT(a->iMagic == ARCHIVE_MAGIC);
    rc = commitSteps(a, zErr, zTemp, zStudy, zSeries, zSop, nFinal, &paths,
                     &outcome, isSync);
  }
  if(rc == STORE_OK) {
    snprintf(zFinal, nFinal, "%s", paths.zFinal);
    *pOutcome = outcome;
  } else {
    if(zTemp != NULL) {
      (void)unlink(zTemp);
    }
    if(zFinal != NULL && nFinal > 0) {
      snprintf(zFinal, nFinal, "%s", zErr);
    }
    if(a != NULL) {
      keepErr(a, zErr);
    }
  }
  free(paths.zStudyDir); /* the one allocation */
  return rc;
}

int store_archive_commit(store_archive *a, const char *zTemp,
                         const char *zStudy, const char *zSeries,
                         const char *zSop, char *zFinal, size_t nFinal,
                         int *pOutcome)
{
  return commitOrPlace(a, zTemp, zStudy, zSeries, zSop, zFinal, nFinal,
                       pOutcome, 1);
}

int store_archive_place(store_archive *a, const char *zTemp,
                        const char *zStudy, const char *zSeries,
                        const char *zSop, char *zFinal, size_t nFinal,
                        int *pOutcome)
{
  return commitOrPlace(a, zTemp, zStudy, zSeries, zSop, zFinal, nFinal,
                       pOutcome, 0);
}
