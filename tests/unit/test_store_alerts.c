/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_store_alerts.c - unit tests of store/alerts.c: the alert outbox as
 * the delivery channels read it, the per-channel delivery records, and
 * acknowledgments.
 *
 * An image alert carries its own instance's header fields and quality; a
 * study alert those of the study's first instance and no quality.  A
 * channel's failed try is retried no sooner than the time it was given
 * (a fixed clock, no sleeping); a delivered or given-up record never
 * changes again; a settled alert is no longer listed; acknowledgments
 * refuse unknown actions and things that do not exist.  Each test gets a
 * fresh ":memory:" database.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "test_util.h"

#include "test_store_util.h"

#define STUDY "1.2.826.0.1.3680043.8.498.50"
#define T0    "2026-11-27T14:00:00.000Z"

/* What the alert callback saw, copied. */
struct seen {
  int n;              /* Calls */
  int64_t aId[8];     /* Alert ids, in call order */
  char zKind[16];     /* Last alert's kind */
  int64_t iInstance;  /* ... */
  char zStudy[80];    /* ... */
  char zSop[80];      /* ... "(null)" when NULL */
  char zStation[32];  /* ... */
  char zOperator[32]; /* ... */
  char zReasons[128]; /* ... */
  int hasQuality;     /* ... */
  double quality;     /* ... */
  char zCreated[32];  /* ... */
};

static void copyText(char *z, size_t n, const char *zIn)
{
  snprintf(z, n, "%s", zIn ? zIn : "(null)");
}

static int onAlert(void *pCtx, const struct store_alert *a)
{
  struct seen *p = pCtx;
  if(p->n < 8)
    p->aId[p->n] = a->iId;
  p->n++;
  copyText(p->zKind, sizeof p->zKind, a->zKind);
  p->iInstance = a->iInstance;
  copyText(p->zStudy, sizeof p->zStudy, a->zStudyUid);
  copyText(p->zSop, sizeof p->zSop, a->zSopUid);
  copyText(p->zStation, sizeof p->zStation, a->zStation);
  copyText(p->zOperator, sizeof p->zOperator, a->zOperator);
  copyText(p->zReasons, sizeof p->zReasons, a->zReasonsJson);
  p->hasQuality = a->hasQuality;
  p->quality = a->quality;
  copyText(p->zCreated, sizeof p->zCreated, a->zCreatedAt);
  return 0;
}

/* Receives zSop at station zStation, scores it zVerdict with quality q
 * and raises its image alert when it is a retake; returns its id. */
static int64_t receiveScored(store *pStore, const char *zSop,
                             const char *zStation, const char *zVerdict,
                             double q)
{
  char zPath[256];
  struct store_instance in = tsu_instance(STUDY, zSop, zPath, sizeof zPath);
  int64_t iId = 0, iClaimed = 0;
  in.zStationName = zStation;
  in.zOperatorName = "RT^Ann";
  if(storeReceiveOne(pStore, &in, &iId) != STORE_OK)
    fail_msg("receive %s: %s", zSop, store_errmsg(pStore));
  assert_int_equal(
      store_queue_claim(pStore, "w", &iClaimed, zPath, sizeof zPath),
      STORE_OK);
  assert_int_equal(iClaimed, iId);
  assert_int_equal(store_begin(pStore), STORE_OK);
  assert_int_equal(
      store_verdict_put(pStore, iId, zVerdict, &q, "[\"Underexposed\"]", NULL),
      STORE_OK);
  assert_int_equal(store_alert_image(pStore, iId, NULL), STORE_OK);
  assert_int_equal(store_queue_done(pStore, iId, NULL), STORE_OK);
  assert_int_equal(store_commit(pStore), STORE_OK);
  return iId;
}

static void setClock(store *pStore, const char *zNow)
{
  assert_int_equal(store_clock_set(pStore, zNow), STORE_OK);
}

/* ---- tests ------------------------------------------------------------ */

static void test_store_alerts_image_and_study_fields(void **state)
{
  store *pStore = *state;
  struct seen s = {0};
  setClock(pStore, T0);
  int64_t iA = receiveScored(pStore, "1.2.3.1", "ROOM1", "retake", 12.5);
  receiveScored(pStore, "1.2.3.2", "ROOM2", "pass", 80.0);
  assert_int_equal(store_alerts_due(pStore, NULL, 10, onAlert, &s), STORE_OK);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.zKind, "image");
  assert_int_equal(s.iInstance, iA);
  assert_string_equal(s.zStudy, STUDY);
  assert_string_equal(s.zSop, "1.2.3.1");
  assert_string_equal(s.zStation, "ROOM1");
  assert_string_equal(s.zOperator, "RT^Ann");
  assert_string_equal(s.zReasons, "[\"Underexposed\"]");
  assert_true(s.hasQuality);
  assert_true(s.quality == 12.5);
  assert_string_equal(s.zCreated, T0);

  /* The study closes retake: its alert has the first instance's station
   * (ROOM1, received first) and no quality or SOP. */
  setClock(pStore, "2026-11-27T14:05:00.000Z");
  assert_int_equal(store_studies_close_idle(pStore, 60.0, NULL, NULL),
                   STORE_OK);
  memset(&s, 0, sizeof s);
  assert_int_equal(store_alerts_due(pStore, NULL, 10, onAlert, &s), STORE_OK);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.zKind, "study");
  assert_int_equal(s.iInstance, 0);
  assert_string_equal(s.zStudy, STUDY);
  assert_string_equal(s.zSop, "(null)");
  assert_string_equal(s.zStation, "ROOM1");
  assert_false(s.hasQuality);
  assert_true(s.aId[0] < s.aId[1]); /* oldest first */

  /* nMax bounds the list; get reads one; an unknown id is NOTFOUND. */
  memset(&s, 0, sizeof s);
  assert_int_equal(store_alerts_due(pStore, NULL, 1, onAlert, &s), STORE_OK);
  assert_int_equal(s.n, 1);
  int64_t iFirst = s.aId[0];
  memset(&s, 0, sizeof s);
  assert_int_equal(store_alert_get(pStore, iFirst, onAlert, &s), STORE_OK);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.zKind, "image");
  assert_int_equal(store_alert_get(pStore, 999, onAlert, &s), STORE_NOTFOUND);
  assert_int_equal(store_alerts_due(pStore, NULL, 0, onAlert, &s),
                   STORE_MISUSE);
}

static void test_store_delivery_retry_deliver_settle(void **state)
{
  store *pStore = *state;
  struct store_delivery d;
  struct seen s = {0};
  setClock(pStore, T0);
  receiveScored(pStore, "1.2.3.1", "ROOM1", "retake", 10.0);
  assert_int_equal(store_alerts_due(pStore, NULL, 10, onAlert, &s), STORE_OK);
  int64_t iAlert = s.aId[0];

  assert_int_equal(store_delivery_get(pStore, iAlert, "webhook", &d),
                   STORE_NOTFOUND);
  /* A failed try: pending, due 2 s later, one attempt. */
  assert_int_equal(
      store_delivery_record(pStore, iAlert, "webhook", "HTTP 500", 2.0),
      STORE_OK);
  assert_int_equal(store_delivery_get(pStore, iAlert, "webhook", &d),
                   STORE_OK);
  assert_int_equal(d.state, STORE_DELIVERY_PENDING);
  assert_int_equal(d.nAttempts, 1);
  assert_string_equal(d.zNextAt, "2026-11-27T14:00:02.000Z");
  /* Not due for the webhook before 14:00:02, due for another channel. */
  memset(&s, 0, sizeof s);
  assert_int_equal(store_alerts_due(pStore, "webhook", 10, onAlert, &s),
                   STORE_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(store_alerts_due(pStore, "exec", 10, onAlert, &s),
                   STORE_OK);
  assert_int_equal(s.n, 1);
  setClock(pStore, "2026-11-27T14:00:02.000Z");
  memset(&s, 0, sizeof s);
  assert_int_equal(store_alerts_due(pStore, "webhook", 10, onAlert, &s),
                   STORE_OK);
  assert_int_equal(s.n, 1);
  int64_t nFailed = -1, nRetrying = -1;
  assert_int_equal(store_delivery_counts(pStore, &nFailed, &nRetrying),
                   STORE_OK);
  assert_int_equal(nFailed, 0);
  assert_int_equal(nRetrying, 1);

  /* Delivered on the second try; a later record changes nothing. */
  setClock(pStore, "2026-11-27T14:00:03.000Z");
  assert_int_equal(store_delivery_record(pStore, iAlert, "webhook", NULL, 0.0),
                   STORE_OK);
  assert_int_equal(
      store_delivery_record(pStore, iAlert, "webhook", "late error", 5.0),
      STORE_OK);
  assert_int_equal(store_delivery_get(pStore, iAlert, "webhook", &d),
                   STORE_OK);
  assert_int_equal(d.state, STORE_DELIVERY_DELIVERED);
  assert_int_equal(d.nAttempts, 2);
  memset(&s, 0, sizeof s);
  assert_int_equal(store_alerts_due(pStore, "webhook", 10, onAlert, &s),
                   STORE_OK);
  assert_int_equal(s.n, 0); /* delivered: never due again */
  assert_int_equal(tsu_int(storeDb(pStore),
                           "SELECT count(*) FROM alert_deliveries"
                           " WHERE delivered_at = "
                           "'2026-11-27T14:00:03.000Z'"
                           " AND last_error = 'HTTP 500'"),
                   1);

  /* Another channel gives up: failed, counted. */
  assert_int_equal(
      store_delivery_record(pStore, iAlert, "exec", "status 1", -1.0),
      STORE_OK);
  assert_int_equal(store_delivery_get(pStore, iAlert, "exec", &d), STORE_OK);
  assert_int_equal(d.state, STORE_DELIVERY_FAILED);
  assert_int_equal(store_delivery_counts(pStore, &nFailed, &nRetrying),
                   STORE_OK);
  assert_int_equal(nFailed, 1);
  assert_int_equal(nRetrying, 0);

  /* A channel whose routes exclude the alert skips it: no attempt, not
   * offered again, not counted as a failure. */
  assert_int_equal(store_delivery_skip(pStore, iAlert, "ward3"), STORE_OK);
  assert_int_equal(store_delivery_get(pStore, iAlert, "ward3", &d), STORE_OK);
  assert_int_equal(d.state, STORE_DELIVERY_SKIPPED);
  assert_int_equal(d.nAttempts, 0);
  memset(&s, 0, sizeof s);
  assert_int_equal(store_alerts_due(pStore, "ward3", 10, onAlert, &s),
                   STORE_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(store_delivery_counts(pStore, &nFailed, &nRetrying),
                   STORE_OK);
  assert_int_equal(nFailed, 1);

  /* Settled: no longer listed, settling again is harmless. */
  assert_int_equal(store_alert_settle(pStore, iAlert), STORE_OK);
  assert_int_equal(store_alert_settle(pStore, iAlert), STORE_OK);
  memset(&s, 0, sizeof s);
  assert_int_equal(store_alerts_due(pStore, NULL, 10, onAlert, &s), STORE_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(store_alert_settle(pStore, 999), STORE_NOTFOUND);

  /* Records need an existing alert and a channel name. */
  assert_int_equal(store_delivery_record(pStore, 999, "webhook", NULL, 0.0),
                   STORE_ERR_CONSTRAINT);
  assert_int_equal(store_delivery_record(pStore, iAlert, "", NULL, 0.0),
                   STORE_MISUSE);
}

static void test_store_ack_put(void **state)
{
  store *pStore = *state;
  int64_t iAck = 0;
  setClock(pStore, T0);
  int64_t iA = receiveScored(pStore, "1.2.3.1", "ROOM1", "retake", 10.0);
  assert_int_equal(
      store_ack_put(pStore, iA, NULL, "retaken", "repeated", "Ann", &iAck),
      STORE_OK);
  assert_true(iAck >= 1);
  assert_int_equal(store_ack_put(pStore, 0, STUDY, "accepted", "", NULL, NULL),
                   STORE_OK);
  sqlite3 *db = storeDb(pStore);
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM acks WHERE"
                               " instance_id IS NOT NULL AND action ="
                               " 'retaken' AND comment = 'repeated'"
                               " AND by_name = 'Ann'"),
                   1);
  /* An empty comment is stored as none. */
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM acks WHERE"
                               " study_instance_uid IS NOT NULL AND"
                               " comment IS NULL AND by_name IS NULL"),
                   1);
  assert_int_equal(
      store_ack_put(pStore, iA, NULL, "ignored", NULL, NULL, NULL),
      STORE_MISUSE);
  assert_int_equal(
      store_ack_put(pStore, iA, STUDY, "retaken", NULL, NULL, NULL),
      STORE_MISUSE);
  assert_int_equal(store_ack_put(pStore, 0, NULL, "retaken", NULL, NULL, NULL),
                   STORE_MISUSE);
  assert_int_equal(
      store_ack_put(pStore, 999, NULL, "retaken", NULL, NULL, NULL),
      STORE_NOTFOUND);
  assert_int_equal(
      store_ack_put(pStore, 0, "9.9.9", "retaken", NULL, NULL, NULL),
      STORE_NOTFOUND);
  char zLong[1100];
  memset(zLong, 'x', sizeof zLong - 1);
  zLong[sizeof zLong - 1] = 0;
  assert_int_equal(
      store_ack_put(pStore, iA, NULL, "retaken", zLong, NULL, NULL),
      STORE_MISUSE);
  assert_int_equal(tsu_int(db, "SELECT count(*) FROM acks"), 2);
}

/* ---- runner ----------------------------------------------------------- */

#define MEM_TEST(f)                                                           \
  cmocka_unit_test_setup_teardown(f, tsu_setup_memory, tsu_teardown_memory)

int main(void)
{
  const struct CMUnitTest aTest[] = {
      MEM_TEST(test_store_alerts_image_and_study_fields),
      MEM_TEST(test_store_delivery_retry_deliver_settle),
      MEM_TEST(test_store_ack_put),
  };
  return cmocka_run_group_tests(aTest, NULL, NULL);
}
