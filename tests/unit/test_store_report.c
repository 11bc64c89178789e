/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_store_report.c - unit tests of store/report.c: the flagged list of
 * the console and the nightly report, the verdict counts of /metrics and
 * the received images of a report period.
 *
 * The focus is the contract of store.h: flagged images (verdict warn or
 * retake, time decided_at) and complete flagged studies (time
 * completed_at) come newest first, images before studies at one time;
 * a study row takes station, operator, accession and body part from its
 * first instance and its thumbnail from its worst image (retake before
 * warn, lowest quality first, none last, then id); each row carries its
 * alert and its latest acknowledgment; time bounds are [from, to),
 * normalised, either open; report images come oldest first with their
 * study's reported verdict.  The database is built with store_* calls;
 * verdict times, queue states and acknowledgments are set with plain SQL
 * so that every time is known.  Each test gets a fresh ":memory:"
 * database whose clock reads TSU_T0.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "test_util.h"

#include "test_store_util.h"

/* Two studies; UIDs chosen so that A sorts before B. */
#define STUDY_A "1.2.826.0.1.3680043.8.498.50"
#define STUDY_B "1.2.826.0.1.3680043.8.498.51"

/* Times of the fixture, all on 2026-11-27 UTC. */
#define T_RX "2026-11-27T08:00:00.000Z" /* arrivals */
#define T_09 "2026-11-27T09:00:00.000Z"
#define T_10 "2026-11-27T10:00:00.000Z"
#define T_11 "2026-11-27T11:00:00.000Z"
#define T_12 "2026-11-27T12:00:00.000Z"
#define T_13 "2026-11-27T13:00:00.000Z" /* studies close */

/* ---- helpers ---------------------------------------------------------- */

/* Receives image zSop of zStudy at zAt from station zStation; returns
 * its id.  Its queue row is marked done at once, as a worker would. */
static int64_t receive(store *pStore, const char *zStudy, const char *zSop,
                       const char *zAt, const char *zStation)
{
  char zPath[256];
  char zSql[128];
  struct store_instance in = tsu_instance(zStudy, zSop, zPath, sizeof zPath);
  int64_t iId = 0;

  in.zReceivedAt = zAt;
  in.zStationName = zStation;
  in.zOperatorName = "DOE^JANE";
  in.zAccessionNumber = "ACC-1";
  in.zBodyPart = "CHEST";
  if(storeReceiveOne(pStore, &in, &iId) != STORE_OK) {
    fail_msg("receive %s: %s", zSop, store_errmsg(pStore));
  }
  snprintf(zSql, sizeof zSql,
           "UPDATE queue SET state = 'done' WHERE instance_id = %lld",
           (long long)iId);
  tsu_exec(storeDb(pStore), zSql);
  return iId;
}

/* Gives instance iId verdict zVerdict (quality *pQ or none) decided at
 * zAt, and its image alert when it is a retake. */
static void judge(store *pStore, int64_t iId, const char *zVerdict,
                  const double *pQ, const char *zReasons, const char *zAt)
{
  char zSql[160];

  assert_int_equal(
      store_verdict_put(pStore, iId, zVerdict, pQ, zReasons, NULL), STORE_OK);
  snprintf(zSql, sizeof zSql,
           "UPDATE verdicts SET decided_at = '%s' WHERE instance_id = %lld",
           zAt, (long long)iId);
  tsu_exec(storeDb(pStore), zSql);
  assert_int_equal(store_alert_image(pStore, iId, NULL), STORE_OK);
}

/* Inserts acknowledgment number iAck (its row id) of instance iId (or of
 * study zStudy when iId is 0). */
static void ack(store *pStore, int iAck, int64_t iId, const char *zStudy,
                const char *zAction, const char *zComment, const char *zBy,
                const char *zAt)
{
  char zSql[512];

  if(iId > 0) {
    snprintf(zSql, sizeof zSql,
             "INSERT INTO acks(id, instance_id, action, comment, by_name,"
             " created_at) VALUES(%d, %lld, '%s', %s%s%s, '%s', '%s')",
             iAck, (long long)iId, zAction, zComment ? "'" : "",
             zComment ? zComment : "NULL", zComment ? "'" : "", zBy, zAt);
  } else {
    snprintf(zSql, sizeof zSql,
             "INSERT INTO acks(id, study_instance_uid, action, comment,"
             " by_name, created_at) VALUES(%d, '%s', '%s', %s%s%s, '%s',"
             " '%s')",
             iAck, zStudy, zAction, zComment ? "'" : "",
             zComment ? zComment : "NULL", zComment ? "'" : "", zBy, zAt);
  }
  tsu_exec(storeDb(pStore), zSql);
}

/* Ids of the fixture's instances. */
struct fixture {
  int64_t iA1; /* A, pass 80, station ST1 (first instance of A) */
  int64_t iA2; /* A, retake 30, 10:00, station ST2 */
  int64_t iA3; /* A, retake 20, 11:00: A's worst image */
  int64_t iA4; /* A, retake without quality, 09:00 */
  int64_t iA5; /* A, warn 5, 09:00 */
  int64_t iB1; /* B, warn 55, 13:00 */
};

/* Builds the fixture: study A closes retake, study B warn, both at
 * 13:00; acknowledgments on A3 (two) and on study A. */
static void build(store *pStore, struct fixture *f)
{
  static const double q80 = 80, q30 = 30, q20 = 20, q5 = 5, q55 = 55;

  f->iA1 = receive(pStore, STUDY_A, "1.2.3.1", T_RX, "ST1");
  f->iA2 = receive(pStore, STUDY_A, "1.2.3.2", T_RX, "ST2");
  f->iA3 = receive(pStore, STUDY_A, "1.2.3.3", T_RX, "ST2");
  f->iA4 = receive(pStore, STUDY_A, "1.2.3.4", T_RX, "ST2");
  f->iA5 = receive(pStore, STUDY_A, "1.2.3.5", T_RX, "ST2");
  f->iB1 = receive(pStore, STUDY_B, "1.2.3.6", T_RX, "ST3");
  judge(pStore, f->iA1, "pass", &q80, "[]", T_09);
  judge(pStore, f->iA2, "retake", &q30, "[\"Blurred\"]", T_10);
  judge(pStore, f->iA3, "retake", &q20, "[\"Noisy\"]", T_11);
  judge(pStore, f->iA4, "retake", NULL, "[\"Cut off\"]", T_09);
  judge(pStore, f->iA5, "warn", &q5, "[\"Dim\"]", T_09);
  judge(pStore, f->iB1, "warn", &q55, "[\"Tilted\"]", T_13);
  assert_int_equal(store_clock_set(pStore, T_13), STORE_OK);
  assert_int_equal(store_studies_close_idle(pStore, 60, NULL, NULL), STORE_OK);
  ack(pStore, 1, f->iA3, NULL, "accepted", NULL, "X", T_12);
  ack(pStore, 2, f->iA3, NULL, "retaken", "redone", "Y", T_13);
  ack(pStore, 3, 0, STUDY_A, "accepted", "fine", "Z", T_13);
}

/* One flagged row, copied. */
struct flag_row {
  char zKind[8];
  int64_t iInstance;
  char zStudy[80];
  char zSop[32];
  char zStation[16];
  char zOperator[16];
  char zAccession[16];
  char zBodyPart[16];
  char zVerdict[8];
  int hasQuality;
  double quality;
  char zReasons[128];
  char zAt[32];
  char zReceivedAt[32];
  char zFile[160];
  int64_t iThumb;
  int64_t iAlert;
  char zAck[16]; /* "(null)" when none */
  char zAckComment[32];
  char zAckBy[8];
  char zAckAt[32];
};

/* What a flagged-list callback saw. */
struct flag_seen {
  int n;                 /* Rows */
  int nStop;             /* Return non-zero at this row (0: never) */
  struct flag_row a[16]; /* The first 16 rows */
};

#define COPY(dst, src) snprintf(dst, sizeof dst, "%s", src ? src : "(null)")

static int onFlagged(void *pCtx, const struct store_flagged *p)
{
  struct flag_seen *pSeen = pCtx;
  struct flag_row *r = &pSeen->a[pSeen->n < 16 ? pSeen->n : 15];

  COPY(r->zKind, p->zKind);
  r->iInstance = p->iInstance;
  COPY(r->zStudy, p->zStudyUid);
  COPY(r->zSop, p->zSopUid);
  COPY(r->zStation, p->zStation);
  COPY(r->zOperator, p->zOperator);
  COPY(r->zAccession, p->zAccession);
  COPY(r->zBodyPart, p->zBodyPart);
  COPY(r->zVerdict, p->zVerdict);
  r->hasQuality = p->hasQuality;
  r->quality = p->quality;
  COPY(r->zReasons, p->zReasonsJson);
  COPY(r->zAt, p->zAt);
  COPY(r->zReceivedAt, p->zReceivedAt);
  COPY(r->zFile, p->zFilePath);
  r->iThumb = p->iThumbInstance;
  r->iAlert = p->iAlert;
  COPY(r->zAck, p->zAckAction);
  COPY(r->zAckComment, p->zAckComment);
  COPY(r->zAckBy, p->zAckBy);
  COPY(r->zAckAt, p->zAckAt);
  pSeen->n++;
  return pSeen->nStop != 0 && pSeen->n >= pSeen->nStop;
}

/* Lists flagged rows in [zFrom, zTo) into *pSeen; returns the status. */
static int listFlagged(store *pStore, const char *zFrom, const char *zTo,
                       int nMax, struct flag_seen *pSeen)
{
  int nStop = pSeen->nStop;

  memset(pSeen, 0, sizeof *pSeen);
  pSeen->nStop = nStop;
  return store_flagged_list(pStore, zFrom, zTo, nMax, onFlagged, pSeen);
}

static int64_t alertId(store *pStore, const char *zWhere)
{
  char zSql[200];

  snprintf(zSql, sizeof zSql, "SELECT id FROM alerts WHERE %s", zWhere);
  return tsu_int(storeDb(pStore), zSql);
}

/* ---- flagged list ----------------------------------------------------- */

static void test_store_flagged_list_newest_first_with_fields(void **state)
{
  store *pStore = *state;
  struct fixture f;
  struct flag_seen seen = {0};
  char zFile[160];
  char zWhere[96];

  build(pStore, &f);
  assert_int_equal(listFlagged(pStore, NULL, NULL, 100, &seen), STORE_OK);
  /* B1 (13:00), studies A and B (13:00), A3 (11:00), A2 (10:00), then
   * A4 and A5 (09:00; higher id first).  A1 passed: not listed. */
  assert_int_equal(seen.n, 7);
  assert_string_equal(seen.a[0].zKind, "image");
  assert_int_equal(seen.a[0].iInstance, f.iB1);
  assert_string_equal(seen.a[1].zKind, "study");
  assert_string_equal(seen.a[1].zStudy, STUDY_A);
  assert_string_equal(seen.a[2].zKind, "study");
  assert_string_equal(seen.a[2].zStudy, STUDY_B);
  assert_int_equal(seen.a[3].iInstance, f.iA3);
  assert_int_equal(seen.a[4].iInstance, f.iA2);
  assert_int_equal(seen.a[5].iInstance, f.iA5);
  assert_int_equal(seen.a[6].iInstance, f.iA4);

  /* Image A3: its own fields, its alert, its latest ack (id 2). */
  assert_string_equal(seen.a[3].zSop, "1.2.3.3");
  assert_string_equal(seen.a[3].zStation, "ST2");
  assert_string_equal(seen.a[3].zVerdict, "retake");
  assert_int_equal(seen.a[3].hasQuality, 1);
  assert_close(seen.a[3].quality, 20.0, 0);
  assert_string_equal(seen.a[3].zReasons, "[\"Noisy\"]");
  assert_string_equal(seen.a[3].zAt, T_11);
  assert_string_equal(seen.a[3].zReceivedAt, T_RX);
  snprintf(zFile, sizeof zFile, "archive/%s/1.2.3.3.dcm", STUDY_A);
  assert_string_equal(seen.a[3].zFile, zFile);
  assert_int_equal(seen.a[3].iThumb, f.iA3);
  snprintf(zWhere, sizeof zWhere, "kind = 'image' AND instance_id = %lld",
           (long long)f.iA3);
  assert_int_equal(seen.a[3].iAlert, alertId(pStore, zWhere));
  assert_string_equal(seen.a[3].zAck, "retaken");
  assert_string_equal(seen.a[3].zAckComment, "redone");
  assert_string_equal(seen.a[3].zAckBy, "Y");
  assert_string_equal(seen.a[3].zAckAt, T_13);
  /* A warn image has no alert; A2 no ack. */
  assert_int_equal(seen.a[0].iAlert, 0);
  assert_string_equal(seen.a[0].zAck, "(null)");
  assert_string_equal(seen.a[4].zAck, "(null)");
  assert_string_equal(seen.a[4].zAckComment, "(null)");

  /* Study A: first instance's station (ST1, not ST2), worst image A3
   * (retake 20 beats retake 30, retake without quality and warn 5). */
  assert_int_equal(seen.a[1].iInstance, 0);
  assert_string_equal(seen.a[1].zSop, "(null)");
  assert_string_equal(seen.a[1].zStation, "ST1");
  assert_string_equal(seen.a[1].zOperator, "DOE^JANE");
  assert_string_equal(seen.a[1].zAccession, "ACC-1");
  assert_string_equal(seen.a[1].zBodyPart, "CHEST");
  assert_string_equal(seen.a[1].zVerdict, "retake");
  assert_int_equal(seen.a[1].hasQuality, 0);
  assert_string_equal(seen.a[1].zAt, T_13);
  assert_string_equal(seen.a[1].zFile, zFile);
  assert_int_equal(seen.a[1].iThumb, f.iA3);
  assert_int_equal(seen.a[1].iAlert,
                   alertId(pStore, "kind = 'study' AND study_instance_uid"
                                   " = '" STUDY_A "'"));
  assert_string_equal(seen.a[1].zAck, "accepted");
  assert_string_equal(seen.a[1].zAckComment, "fine");
  assert_string_equal(seen.a[1].zAckBy, "Z");
  tsu_contains(seen.a[1].zReasons, "Noisy");
  tsu_contains(seen.a[1].zReasons, "Blurred");
  /* Study B: warn, no alert, no ack, thumbnail its only image. */
  assert_string_equal(seen.a[2].zVerdict, "warn");
  assert_string_equal(seen.a[2].zStation, "ST3");
  assert_int_equal(seen.a[2].iThumb, f.iB1);
  assert_int_equal(seen.a[2].iAlert, 0);
  assert_string_equal(seen.a[2].zAck, "(null)");
}

static void test_store_flagged_list_range_limit_and_stop(void **state)
{
  store *pStore = *state;
  struct fixture f;
  struct flag_seen seen = {0};

  build(pStore, &f);
  /* [10:00, 12:00): A3 and A2; the bound is read as SQLite reads it. */
  assert_int_equal(listFlagged(pStore, "2026-11-27T10:00Z",
                               "2026-11-27 12:00:00", 100, &seen),
                   STORE_OK);
  assert_int_equal(seen.n, 2);
  assert_int_equal(seen.a[0].iInstance, f.iA3);
  assert_int_equal(seen.a[1].iInstance, f.iA2);
  /* To alone: before 13:00 excludes B1 and both studies. */
  assert_int_equal(listFlagged(pStore, NULL, T_13, 100, &seen), STORE_OK);
  assert_int_equal(seen.n, 4);
  /* From alone, inclusive: 13:00 and later. */
  assert_int_equal(listFlagged(pStore, T_13, NULL, 100, &seen), STORE_OK);
  assert_int_equal(seen.n, 3);
  /* A study still open is not listed, whatever its column says. */
  tsu_exec(storeDb(pStore), "UPDATE studies SET complete = 0 WHERE"
                            " study_instance_uid = '" STUDY_B "'");
  assert_int_equal(listFlagged(pStore, T_13, NULL, 100, &seen), STORE_OK);
  assert_int_equal(seen.n, 2);
  /* nMax, and a callback that stops. */
  assert_int_equal(listFlagged(pStore, NULL, NULL, 2, &seen), STORE_OK);
  assert_int_equal(seen.n, 2);
  seen.nStop = 1;
  assert_int_equal(listFlagged(pStore, NULL, NULL, 100, &seen), STORE_OK);
  assert_int_equal(seen.n, 1);
  /* An empty range. */
  seen.nStop = 0;
  assert_int_equal(listFlagged(pStore, T_13, T_13, 100, &seen), STORE_OK);
  assert_int_equal(seen.n, 0);
}

static void test_store_flagged_list_bad_args_return_MISUSE(void **state)
{
  store *pStore = *state;
  struct flag_seen seen = {0};

  assert_int_equal(listFlagged(pStore, "yesterday", NULL, 10, &seen),
                   STORE_MISUSE);
  tsu_contains(store_errmsg(pStore), "yesterday");
  assert_int_equal(listFlagged(pStore, NULL, "2026-13-45", 10, &seen),
                   STORE_MISUSE);
  assert_int_equal(listFlagged(pStore, NULL, NULL, 0, &seen), STORE_MISUSE);
  assert_int_equal(store_flagged_list(pStore, NULL, NULL, 10, NULL, NULL),
                   STORE_MISUSE);
  assert_int_equal(store_flagged_list(NULL, NULL, NULL, 10, onFlagged, &seen),
                   STORE_MISUSE);
}

/* ---- verdict counts --------------------------------------------------- */

/* Verdict counts written as "MOD/verdict=n " in call order. */
struct count_seen {
  char z[256];
  int nStop; /* Stop after this many calls (0: never) */
  int n;     /* Calls */
};

static int onCount(void *pCtx, const char *zModality, const char *zVerdict,
                   int64_t n)
{
  struct count_seen *p = pCtx;
  size_t k = strlen(p->z);

  snprintf(p->z + k, sizeof p->z - k, "%s/%s=%lld ", zModality, zVerdict,
           (long long)n);
  p->n++;
  return p->nStop != 0 && p->n >= p->nStop;
}

static void test_store_verdict_counts_by_modality(void **state)
{
  store *pStore = *state;
  struct fixture f;
  struct count_seen seen = {{0}, 0, 0};
  char zPath[256];
  struct store_instance in = tsu_instance("9.9", "9.9.1", zPath, sizeof zPath);
  int64_t iMr = 0, iNone = 0;

  /* Nothing yet: no call. */
  assert_int_equal(store_verdict_counts(pStore, onCount, &seen), STORE_OK);
  assert_int_equal(seen.n, 0);
  build(pStore, &f);
  in.zModality = "MR";
  assert_int_equal(store_instance_put(pStore, &in, &iMr), STORE_OK);
  assert_int_equal(store_verdict_put(pStore, iMr, "error", NULL, NULL, "bad"),
                   STORE_OK);
  in.zSopInstanceUid = "9.9.2";
  in.zModality = NULL;
  assert_int_equal(store_instance_put(pStore, &in, &iNone), STORE_OK);
  assert_int_equal(
      store_verdict_put(pStore, iNone, "unscored", NULL, NULL, NULL),
      STORE_OK);
  /* An instance without a verdict is not counted. */
  in.zSopInstanceUid = "9.9.3";
  assert_int_equal(store_instance_put(pStore, &in, NULL), STORE_OK);
  assert_int_equal(store_verdict_counts(pStore, onCount, &seen), STORE_OK);
  assert_string_equal(seen.z, "/unscored=1 DX/pass=1 DX/retake=3 DX/warn=2 "
                              "MR/error=1 ");
  memset(&seen, 0, sizeof seen);
  seen.nStop = 2;
  assert_int_equal(store_verdict_counts(pStore, onCount, &seen), STORE_OK);
  assert_int_equal(seen.n, 2);
  assert_int_equal(store_verdict_counts(pStore, NULL, NULL), STORE_MISUSE);
}

/* ---- report images ---------------------------------------------------- */

/* Report rows written one per line: "id study mod station verdict q
 * study-verdict at". */
struct image_seen {
  char z[1024];
  int n;
};

static int onImage(void *pCtx, const struct store_report_image *p)
{
  struct image_seen *pSeen = pCtx;
  size_t k = strlen(pSeen->z);
  char zQ[16] = "-";

  if(p->hasQuality) {
    snprintf(zQ, sizeof zQ, "%g", p->quality);
  }
  snprintf(pSeen->z + k, sizeof pSeen->z - k, "%lld %s %s %s %s %s %s %s\n",
           (long long)p->iInstance, p->zStudyUid ? p->zStudyUid : "-",
           p->zModality ? p->zModality : "-", p->zStation ? p->zStation : "-",
           p->zVerdict ? p->zVerdict : "-", zQ,
           p->zStudyVerdict ? p->zStudyVerdict : "-",
           p->zReceivedAt ? p->zReceivedAt : "-");
  pSeen->n++;
  return 0;
}

static void
test_store_report_images_range_order_and_study_verdict(void **state)
{
  store *pStore = *state;
  struct image_seen seen = {{0}, 0};
  char zPath[256];
  struct store_instance in = tsu_instance("7.7", "7.7.1", zPath, sizeof zPath);
  static const double q = 61.5;
  int64_t iLoose = 0, i1, i2, i3, i4;

  /* Arrivals out of id order; study 5.5 closes (warn), 6.6 stays open. */
  i1 = receive(pStore, "5.5", "5.5.1", "2026-11-27T10:00:00.000Z", "S1");
  i2 = receive(pStore, "6.6", "6.6.1", "2026-11-27T09:00:00.000Z", NULL);
  i3 = receive(pStore, "5.5", "5.5.2", "2026-11-27T10:00:00.000Z", "S1");
  judge(pStore, i1, "warn", &q, "[]", T_11);
  judge(pStore, i3, "pass", NULL, "[]", T_11);
  assert_int_equal(store_clock_set(pStore, T_12), STORE_OK);
  assert_int_equal(store_studies_close_idle(pStore, 60, NULL, NULL), STORE_OK);
  /* 6.6 was closed too (nothing queued); reopen it as a new image
   * would. */
  i4 = receive(pStore, "6.6", "6.6.2", "2026-11-27T11:00:00.000Z", NULL);
  /* An instance with no study row (scored by `dicomqc score`). */
  in.zStudyInstanceUid = NULL;
  in.zReceivedAt = "2026-11-27T11:30:00.000Z";
  assert_int_equal(store_instance_put(pStore, &in, &iLoose), STORE_OK);

  assert_int_equal(store_report_images(pStore, NULL, NULL, onImage, &seen),
                   STORE_OK);
  assert_int_equal(seen.n, 5);
  (void)i4;
  assert_string_equal(seen.z,
                      "2 6.6 DX - - - pending 2026-11-27T09:00:00.000Z\n"
                      "1 5.5 DX S1 warn 61.5 warn 2026-11-27T10:00:00.000Z\n"
                      "3 5.5 DX S1 pass - warn 2026-11-27T10:00:00.000Z\n"
                      "4 6.6 DX - - - pending 2026-11-27T11:00:00.000Z\n"
                      "5 - DX - - - - 2026-11-27T11:30:00.000Z\n");
  /* [10:00, 11:00): the two images of 5.5; bounds in other forms. */
  memset(&seen, 0, sizeof seen);
  assert_int_equal(store_report_images(pStore, "2026-11-27T10:00Z",
                                       "2026-11-27T11:00:00", onImage, &seen),
                   STORE_OK);
  assert_int_equal(seen.n, 2);
  tsu_contains(seen.z, "1 5.5");
  tsu_contains(seen.z, "3 5.5");
  (void)i2;
  memset(&seen, 0, sizeof seen);
  assert_int_equal(
      store_report_images(pStore, "2026-11-27T11:00Z", NULL, onImage, &seen),
      STORE_OK);
  assert_int_equal(seen.n, 2);
  assert_int_equal(store_report_images(pStore, "noon", NULL, onImage, &seen),
                   STORE_MISUSE);
  assert_int_equal(store_report_images(pStore, NULL, NULL, NULL, NULL),
                   STORE_MISUSE);
}

/* ---- runner ----------------------------------------------------------- */

#define MEM_TEST(f)                                                           \
  cmocka_unit_test_setup_teardown(f, tsu_setup_memory, tsu_teardown_memory)

int main(void)
{
  const struct CMUnitTest aTest[] = {
      MEM_TEST(test_store_flagged_list_newest_first_with_fields),
      MEM_TEST(test_store_flagged_list_range_limit_and_stop),
      MEM_TEST(test_store_flagged_list_bad_args_return_MISUSE),
      MEM_TEST(test_store_verdict_counts_by_modality),
      MEM_TEST(test_store_report_images_range_order_and_study_verdict),
  };

  return cmocka_run_group_tests(aTest, NULL, NULL);
}
