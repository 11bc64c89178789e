/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_store_archive.c - unit tests of store/archive.c, the archive of
 * received files.
 *
 * The focus is what issue 3 item 2 promises a sender: a file is placed at
 * <dir>/<Study>/<Series>/<SOP>.dcm with private modes (0700 directories,
 * the file's 0600 kept); an identical duplicate leaves one copy and a
 * different one is kept beside it as .v2, .v3; a UID that is not digits
 * and dots never becomes a path; on every failure the temp file is gone
 * and nothing new is visible in the archive; files a crash left in .tmp
 * are removed at open; and threads committing the same SOP Instance UID
 * at once never overwrite each other.  Each test gets a fresh mkdtemp()
 * directory, removed afterwards.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp, umask */
#endif

#include <pthread.h>

#include "test_util.h"

#include "test_store_util.h"

/* ---- helpers ---------------------------------------------------------- */

/* The UIDs most tests archive under. */
#define STUDY  "1.2.826.0.1.3680043.8.498.10"
#define SERIES "1.2.826.0.1.3680043.8.498.11"
#define SOP    "1.2.826.0.1.3680043.8.498.12"

/* Opens the archive at <tmp>/archive. */
static store_archive *openArchive(const struct tsu_dir *pTmp, char *zRoot,
                                  size_t nRoot)
{
  store_archive *a = NULL;

  snprintf(zRoot, nRoot, "%s/archive", pTmp->zDir);
  if(store_archive_open(zRoot, &a) != STORE_OK) {
    fail_msg("store_archive_open: %s", store_archive_errmsg(a));
  }
  return a;
}

/* Receives zData into a new temp file of a; its path goes to zPath. */
static void writeTemp(store_archive *a, const char *zData, char *zPath,
                      size_t nPath)
{
  int fd = -1;
  size_t n = strlen(zData);

  assert_int_equal(store_archive_tmpfile(a, zPath, nPath, &fd), STORE_OK);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, zData, n), (ssize_t)n);
  assert_int_equal(close(fd), 0);
}

/* Fails unless zPath holds exactly zData. */
static void assertFile(const char *zPath, const char *zData)
{
  size_t n = 0;
  char *z = tu_read_file(zPath, &n);

  if(z == NULL) {
    fail_msg("cannot read %s", zPath);
  }
  assert_int_equal(n, strlen(zData));
  assert_memory_equal(z, zData, n);
  free(z);
}

/* Fails unless zPath has permission bits iMode. */
static void assertMode(const char *zPath, unsigned iMode)
{
  struct stat st;

  assert_int_equal(stat(zPath, &st), 0);
  if((st.st_mode & 07777) != iMode) {
    fail_msg("%s has mode %o, expected %o", zPath,
             (unsigned)st.st_mode & 07777, iMode);
  }
}

/* Number of entries in directory zDir, "." and ".." excepted; -1 if it
 * cannot be read. */
static int countEntries(const char *zDir)
{
  DIR *pDir = opendir(zDir);
  struct dirent *pEnt;
  int n = 0;

  if(pDir == NULL) {
    return -1;
  }
  while((pEnt = readdir(pDir)) != NULL) {
    if(strcmp(pEnt->d_name, ".") != 0 && strcmp(pEnt->d_name, "..") != 0) {
      n++;
    }
  }
  closedir(pDir);
  return n;
}

static int fileExists(const char *zPath)
{
  struct stat st;

  return lstat(zPath, &st) == 0;
}

/* ---- UIDs ------------------------------------------------------------- */

static void test_store_uid_valid_table(void **state)
{
  /* 64 and 65 characters: the PS3.5 limit and one more. */
  static const char z64[] =
      "1.2.826.0.1.3680043.8.498.12345678901234567890123456789012345678";
  static const char z65[] =
      "1.2.826.0.1.3680043.8.498.123456789012345678901234567890123456789";
  static const struct {
    const char *z;
    int isValid;
  } aCase[] = {
      {"1.2.840.10008.1.2.1", 1}, /* Explicit VR Little Endian */
      {"1", 1},
      {"0", 1},
      {"1.0.2", 1},
      {"1.02.3", 1}, /* leading zero: PS3.5 forbids, accepted on purpose */
      {z64, 1},
      {z65, 0},
      {"", 0},
      {".1.2", 0},
      {"1.2.", 0},
      {"1..2", 0},
      {"../x", 0},
      {"..", 0},
      {".", 0},
      {"1.2.a", 0},
      {"1/2", 0},
      {"1.2 ", 0}, /* DICOM pads with a space or NUL: caller strips */
      {"-1.2", 0},
      {"1.2\n3", 0},
  };
  size_t i;

  (void)state;
  assert_int_equal(strlen(z64), 64);
  assert_int_equal(strlen(z65), 65);
  for(i = 0; i < sizeof aCase / sizeof aCase[0]; i++) {
    if(store_uid_valid(aCase[i].z) != aCase[i].isValid) {
      fail_msg("store_uid_valid(\"%s\") != %d", aCase[i].z, aCase[i].isValid);
    }
  }
  assert_int_equal(store_uid_valid(NULL), 0);
}

/* ---- opening ---------------------------------------------------------- */

static void test_store_archive_open_creates_dirs_0700(void **state)
{
  struct tsu_dir *pTmp = *state;
  mode_t oldMask = umask(0277); /* mkdir alone would give 0500 */
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  char zTmp[800];

  umask(oldMask);
  assertMode(zRoot, 0700);
  snprintf(zTmp, sizeof zTmp, "%s/.tmp", zRoot);
  assertMode(zTmp, 0700);
  assert_string_equal(store_archive_tmpdir(a), zTmp);
  assert_string_equal(store_archive_errmsg(a), "not an error");
  store_archive_close(a);
  /* Opening again keeps what is there. */
  a = openArchive(pTmp, zRoot, sizeof zRoot);
  assert_int_equal(countEntries(zRoot), 1);
  store_archive_close(a);
}

static void test_store_archive_open_removes_stale_tmp_files(void **state)
{
  struct tsu_dir *pTmp = *state;
  char zRoot[700];
  char zPath[900];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  int i;

  /* Three half-received files, as a crash would leave them. */
  for(i = 0; i < 3; i++) {
    writeTemp(a, "half a dataset", zPath, sizeof zPath);
  }
  assert_int_equal(countEntries(store_archive_tmpdir(a)), 3);
  store_archive_close(a);
  a = openArchive(pTmp, zRoot, sizeof zRoot);
  assert_int_equal(countEntries(store_archive_tmpdir(a)), 0);
  store_archive_close(a);
}

static void test_store_archive_open_missing_parent_returns_IO(void **state)
{
  struct tsu_dir *pTmp = *state;
  store_archive *a = NULL;
  char zRoot[700];

  snprintf(zRoot, sizeof zRoot, "%s/no/such/archive", pTmp->zDir);
  assert_int_equal(store_archive_open(zRoot, &a), STORE_ERR_IO);
  assert_non_null(a);
  tsu_contains(store_archive_errmsg(a), zRoot);
  tsu_contains(store_archive_errmsg(a), "No such file or directory");
  assert_null(store_archive_tmpdir(a));
  store_archive_close(a);
  assert_int_equal(store_archive_open(NULL, &a), STORE_MISUSE);
  store_archive_close(a);
  assert_int_equal(store_archive_open(zRoot, NULL), STORE_MISUSE);
  store_archive_close(NULL); /* harmless */
}

/* ---- committing ------------------------------------------------------- */

static void test_store_archive_commit_new_file_is_placed(void **state)
{
  struct tsu_dir *pTmp = *state;
  mode_t oldMask = umask(022);
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  char zTemp[900];
  char zFinal[1024];
  char zWant[1024];
  int outcome = 0;

  writeTemp(a, "DICM dataset one", zTemp, sizeof zTemp);
  assertMode(zTemp, 0600);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                        sizeof zFinal, &outcome),
                   STORE_OK);
  assert_int_equal(outcome, STORE_ARCHIVE_NEW);
  snprintf(zWant, sizeof zWant, "%s/%s/%s/%s.dcm", zRoot, STUDY, SERIES, SOP);
  assert_string_equal(zFinal, zWant);
  assertFile(zFinal, "DICM dataset one");
  assert_false(fileExists(zTemp));
  assert_int_equal(countEntries(store_archive_tmpdir(a)), 0);
  /* Private all the way down. */
  assertMode(zFinal, 0600);
  snprintf(zWant, sizeof zWant, "%s/%s", zRoot, STUDY);
  assertMode(zWant, 0700);
  snprintf(zWant, sizeof zWant, "%s/%s/%s", zRoot, STUDY, SERIES);
  assertMode(zWant, 0700);
  store_archive_close(a);
  umask(oldMask);
}

static void test_store_archive_commit_identical_duplicate_is_SAME(void **state)
{
  struct tsu_dir *pTmp = *state;
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  char zTemp[900];
  char zFirst[1024];
  char zSecond[1024];
  char zSeries[900];
  int outcome = 0;

  writeTemp(a, "same bytes", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFirst,
                                        sizeof zFirst, &outcome),
                   STORE_OK);
  writeTemp(a, "same bytes", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zSecond,
                                        sizeof zSecond, &outcome),
                   STORE_OK);
  assert_int_equal(outcome, STORE_ARCHIVE_SAME);
  assert_string_equal(zSecond, zFirst);
  assert_false(fileExists(zTemp));
  snprintf(zSeries, sizeof zSeries, "%s/%s/%s", zRoot, STUDY, SERIES);
  assert_int_equal(countEntries(zSeries), 1);
  assert_int_equal(countEntries(store_archive_tmpdir(a)), 0);
  store_archive_close(a);
}

static void
test_store_archive_commit_different_duplicate_keeps_both(void **state)
{
  struct tsu_dir *pTmp = *state;
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  char zTemp[900];
  char zFinal[1024];
  char zWant[1024];
  char zSeries[900];
  int outcome = 0;

  snprintf(zSeries, sizeof zSeries, "%s/%s/%s", zRoot, STUDY, SERIES);
  writeTemp(a, "first version", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                        sizeof zFinal, &outcome),
                   STORE_OK);
  /* Same length, other bytes: the compare must look at content. */
  writeTemp(a, "other version", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                        sizeof zFinal, &outcome),
                   STORE_OK);
  assert_int_equal(outcome, STORE_ARCHIVE_VERSION);
  snprintf(zWant, sizeof zWant, "%s/%s.v2.dcm", zSeries, SOP);
  assert_string_equal(zFinal, zWant);
  assertFile(zFinal, "other version");
  snprintf(zWant, sizeof zWant, "%s/%s.dcm", zSeries, SOP);
  assertFile(zWant, "first version");
  /* A third, different again: .v3. */
  writeTemp(a, "a third, longer version", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                        sizeof zFinal, &outcome),
                   STORE_OK);
  assert_int_equal(outcome, STORE_ARCHIVE_VERSION);
  snprintf(zWant, sizeof zWant, "%s/%s.v3.dcm", zSeries, SOP);
  assert_string_equal(zFinal, zWant);
  /* The second again: identical to .v2, so no .v4. */
  writeTemp(a, "other version", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                        sizeof zFinal, &outcome),
                   STORE_OK);
  assert_int_equal(outcome, STORE_ARCHIVE_SAME);
  snprintf(zWant, sizeof zWant, "%s/%s.v2.dcm", zSeries, SOP);
  assert_string_equal(zFinal, zWant);
  assert_int_equal(countEntries(zSeries), 3);
  assert_int_equal(countEntries(store_archive_tmpdir(a)), 0);
  store_archive_close(a);
}

static void test_store_archive_commit_invalid_uid_returns_INVALID(void **state)
{
  static const char *const azBad[] = {"../x", "1..2", "", "1.2.a", NULL,
                                      /* 65 characters */
                                      "1.2.826.0.1.3680043.8.498."
                                      "123456789012345678901234567890"
                                      "123456789"};
  struct tsu_dir *pTmp = *state;
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  char zTemp[900];
  char zFinal[1024];
  size_t i;
  int iPos;
  int outcome = -1;

  for(i = 0; i < sizeof azBad / sizeof azBad[0]; i++) {
    for(iPos = 0; iPos < 3; iPos++) {
      const char *zStudy = iPos == 0 ? azBad[i] : STUDY;
      const char *zSeries = iPos == 1 ? azBad[i] : SERIES;
      const char *zSop = iPos == 2 ? azBad[i] : SOP;

      writeTemp(a, "untrusted", zTemp, sizeof zTemp);
      assert_int_equal(store_archive_commit(a, zTemp, zStudy, zSeries, zSop,
                                            zFinal, sizeof zFinal, &outcome),
                       STORE_ERR_INVALID);
      tsu_contains(zFinal, "not a valid DICOM UID");
      tsu_contains(store_archive_errmsg(a), "not a valid DICOM UID");
      assert_false(fileExists(zTemp));
    }
  }
  assert_int_equal(outcome, -1);
  /* Nothing but .tmp, and .tmp empty: no path was ever made. */
  assert_int_equal(countEntries(zRoot), 1);
  assert_int_equal(countEntries(store_archive_tmpdir(a)), 0);
  store_archive_close(a);
}

static void test_store_archive_commit_study_is_a_file_returns_IO(void **state)
{
  struct tsu_dir *pTmp = *state;
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  char zTemp[900];
  char zFinal[1024];
  char zIn[900];
  int fd;
  int outcome = 0;

  /* <dir>/<Study> is a plain file: creating the series under it fails
   * with ENOTDIR, an I/O failure the caller answers with 0xA700. */
  snprintf(zIn, sizeof zIn, "%s/%s", zRoot, STUDY);
  fd = open(zIn, O_WRONLY | O_CREAT | O_EXCL, 0600);
  assert_true(fd >= 0);
  close(fd);
  writeTemp(a, "data", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                        sizeof zFinal, &outcome),
                   STORE_ERR_IO);
  tsu_contains(zFinal, zIn);
  tsu_contains(zFinal, "not a directory");
  assert_false(fileExists(zTemp));
  /* Now the series is a file inside a real study directory. */
  assert_int_equal(unlink(zIn), 0);
  assert_int_equal(mkdir(zIn, 0700), 0);
  snprintf(zIn, sizeof zIn, "%s/%s/%s", zRoot, STUDY, SERIES);
  fd = open(zIn, O_WRONLY | O_CREAT | O_EXCL, 0600);
  assert_true(fd >= 0);
  close(fd);
  writeTemp(a, "data", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                        sizeof zFinal, &outcome),
                   STORE_ERR_IO);
  tsu_contains(zFinal, zIn);
  tsu_contains(zFinal, "is not a directory");
  assert_false(fileExists(zTemp));
  assert_int_equal(countEntries(store_archive_tmpdir(a)), 0);
  store_archive_close(a);
}

static void test_store_archive_commit_temp_on_other_fs_returns_IO(void **state)
{
  struct tsu_dir *pTmp = *state;
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  char zTemp[] = "/dev/shm/dicomqc-test-XXXXXX";
  char zFinal[1024];
  char zSeries[900];
  struct stat stShm, stRoot;
  int outcome = 0;
  int fd;

  if(stat("/dev/shm", &stShm) != 0 || stat(zRoot, &stRoot) != 0 ||
     stShm.st_dev == stRoot.st_dev) {
    store_archive_close(a);
    skip(); /* no second file system to test with */
  }
  fd = mkstemp(zTemp);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "x", 1), 1);
  close(fd);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                        sizeof zFinal, &outcome),
                   STORE_ERR_IO);
  tsu_contains(zFinal, "not on the archive's file system");
  assert_false(fileExists(zTemp));
  snprintf(zSeries, sizeof zSeries, "%s/%s/%s", zRoot, STUDY, SERIES);
  assert_int_equal(countEntries(zSeries), 0);
  store_archive_close(a);
}

static void test_store_archive_commit_misuse_removes_temp(void **state)
{
  struct tsu_dir *pTmp = *state;
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  char zTemp[900];
  char zSmall[16];
  char zFinal[1024];
  int outcome = 0;

  /* zFinal too small: refused before anything is placed. */
  writeTemp(a, "data", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zSmall,
                                        sizeof zSmall, &outcome),
                   STORE_MISUSE);
  assert_false(fileExists(zTemp));
  tsu_contains(store_archive_errmsg(a), "too small");
  assert_int_equal(countEntries(zRoot), 1); /* only .tmp: nothing made */
  writeTemp(a, "data", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                        sizeof zFinal, NULL),
                   STORE_MISUSE);
  assert_false(fileExists(zTemp));
  writeTemp(a, "data", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_commit(NULL, zTemp, STUDY, SERIES, SOP,
                                        zFinal, sizeof zFinal, &outcome),
                   STORE_MISUSE);
  assert_false(fileExists(zTemp));
  assert_int_equal(outcome, 0);
  store_archive_close(a);
}

/* Places a new temp file holding zData with store_archive_place() and
 * checks the outcome, the name (zRoot/STUDY/SERIES/SOP + zSuffix) and the
 * content there. */
static void placeExpect(store_archive *a, const char *zRoot, const char *zData,
                        int wantOutcome, const char *zSuffix,
                        const char *zWantData)
{
  char zTemp[900];
  char zFinal[1024];
  char zWant[1024];
  int outcome = 0;

  writeTemp(a, zData, zTemp, sizeof zTemp);
  assert_int_equal(store_archive_place(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                       sizeof zFinal, &outcome),
                   STORE_OK);
  assert_int_equal(outcome, wantOutcome);
  snprintf(zWant, sizeof zWant, "%s/%s/%s/%s%s", zRoot, STUDY, SERIES, SOP,
           zSuffix);
  assert_string_equal(zFinal, zWant);
  assertFile(zFinal, zWantData);
  assert_false(fileExists(zTemp));
}

/* store_archive_place(): the same placement and duplicate rules as
 * commit (new, identical, new version), the folder sync left to the
 * caller (store_writer_receive_placed(); tested in test_store_writer). */
static void test_store_archive_place_follows_the_commit_rules(void **state)
{
  struct tsu_dir *pTmp = *state;
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  char zTemp[900];
  char zFinal[1024];

  placeExpect(a, zRoot, "placed once", STORE_ARCHIVE_NEW, ".dcm",
              "placed once");
  placeExpect(a, zRoot, "placed once", STORE_ARCHIVE_SAME, ".dcm",
              "placed once");
  placeExpect(a, zRoot, "other bytes", STORE_ARCHIVE_VERSION, ".v2.dcm",
              "other bytes");
  assert_int_equal(countEntries(store_archive_tmpdir(a)), 0);
  writeTemp(a, "data", zTemp, sizeof zTemp);
  assert_int_equal(store_archive_place(a, zTemp, STUDY, SERIES, SOP, zFinal,
                                       sizeof zFinal, NULL),
                   STORE_MISUSE);
  assert_false(fileExists(zTemp));
  tsu_contains(zFinal, "store_archive_place");
  store_archive_close(a);
}

/* ---- threads ---------------------------------------------------------- */

#define N_THREAD 4

/* One thread's commit; no cmocka calls in threads. */
struct commit_job {
  store_archive *a;          /* Shared handle */
  char zTemp[900];           /* Its temp file */
  char zFinal[1024];         /* OUT */
  int outcome;               /* OUT */
  int rc;                    /* OUT */
  pthread_barrier_t *pStart; /* All start together */
};

static void *commitThread(void *pArg)
{
  struct commit_job *pJob = pArg;

  pthread_barrier_wait(pJob->pStart);
  pJob->rc =
      store_archive_commit(pJob->a, pJob->zTemp, STUDY, SERIES, SOP,
                           pJob->zFinal, sizeof pJob->zFinal, &pJob->outcome);
  return NULL;
}

/* Runs N_THREAD commits of one SOP at once; isSame: identical bytes. */
static void commitConcurrently(const struct tsu_dir *pTmp, int isSame,
                               int *anOutcome)
{
  char zRoot[700];
  store_archive *a = openArchive(pTmp, zRoot, sizeof zRoot);
  struct commit_job aJob[N_THREAD];
  pthread_t aThread[N_THREAD];
  pthread_barrier_t start;
  char zData[64];
  int i;

  memset(aJob, 0, sizeof aJob);
  assert_int_equal(pthread_barrier_init(&start, NULL, N_THREAD), 0);
  for(i = 0; i < N_THREAD; i++) {
    snprintf(zData, sizeof zData, "dataset %d", isSame ? 0 : i);
    writeTemp(a, zData, aJob[i].zTemp, sizeof aJob[i].zTemp);
    aJob[i].a = a;
    aJob[i].pStart = &start;
  }
  for(i = 0; i < N_THREAD; i++) {
    assert_int_equal(pthread_create(&aThread[i], NULL, commitThread, &aJob[i]),
                     0);
  }
  for(i = 0; i < N_THREAD; i++) {
    pthread_join(aThread[i], NULL);
    assert_int_equal(aJob[i].rc, STORE_OK);
    anOutcome[aJob[i].outcome]++;
  }
  pthread_barrier_destroy(&start);
  assert_int_equal(countEntries(store_archive_tmpdir(a)), 0);
  store_archive_close(a);
}

static void test_store_archive_commit_threads_never_overwrite(void **state)
{
  struct tsu_dir *pTmp = *state;
  int anSame[4] = {0};
  int anDiff[4] = {0};
  char zSeries[900];

  snprintf(zSeries, sizeof zSeries, "%s/archive/%s/%s", pTmp->zDir, STUDY,
           SERIES);
  commitConcurrently(pTmp, 1, anSame);
  assert_int_equal(anSame[STORE_ARCHIVE_NEW], 1);
  assert_int_equal(anSame[STORE_ARCHIVE_SAME], N_THREAD - 1);
  assert_int_equal(countEntries(zSeries), 1);
  tsu_rm_rf(zSeries);
  commitConcurrently(pTmp, 0, anDiff);
  assert_int_equal(anDiff[STORE_ARCHIVE_NEW], 1);
  assert_int_equal(anDiff[STORE_ARCHIVE_VERSION], N_THREAD - 1);
  assert_int_equal(countEntries(zSeries), N_THREAD);
}

/* ---- runner ----------------------------------------------------------- */

#define DIR_TEST(f)                                                           \
  cmocka_unit_test_setup_teardown(f, tsu_setup_dir, tsu_teardown_dir)

int main(void)
{
  const struct CMUnitTest aTest[] = {
      cmocka_unit_test(test_store_uid_valid_table),
      DIR_TEST(test_store_archive_open_creates_dirs_0700),
      DIR_TEST(test_store_archive_open_removes_stale_tmp_files),
      DIR_TEST(test_store_archive_open_missing_parent_returns_IO),
      DIR_TEST(test_store_archive_commit_new_file_is_placed),
      DIR_TEST(test_store_archive_commit_identical_duplicate_is_SAME),
      DIR_TEST(test_store_archive_commit_different_duplicate_keeps_both),
      DIR_TEST(test_store_archive_commit_invalid_uid_returns_INVALID),
      DIR_TEST(test_store_archive_commit_study_is_a_file_returns_IO),
      DIR_TEST(test_store_archive_commit_temp_on_other_fs_returns_IO),
      DIR_TEST(test_store_archive_commit_misuse_removes_temp),
      DIR_TEST(test_store_archive_place_follows_the_commit_rules),
      DIR_TEST(test_store_archive_commit_threads_never_overwrite),
  };

  return cmocka_run_group_tests(aTest, NULL, NULL);
}
