/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_policy.c - unit tests of qc/policy.c: the retake policy on small
 * fixed cases whose answers follow from the definitions by hand.
 *
 * A two-rule profile (an exposure-like rule with limits on both sides and
 * a noise-like rule with upper limits) is applied to chosen values: the
 * piecewise-linear sub-scores at, between and beyond the points; the
 * quality for minWeight 0, 1 and 0.5 with weights; pass, warn and retake
 * with the sentences written out ({value} and {limit} rounded for
 * reading, displayScale applied); retake reasons before warn reasons;
 * missing metrics skipped; no rule applicable -> unscored; the quality
 * limits.  Then qc_profile_check() on each kind of broken profile, and
 * qc_profile_match() for modality, SOP class, "*" and body part.
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

/* A rule with points (x, s) ... and no limits. */
static void setRule(struct qc_rule *r, const char *zMetric, int n,
                    const double *aXS)
{
  memset(r, 0, sizeof(*r));
  snprintf(r->zMetric, sizeof(r->zMetric), "%s", zMetric);
  r->nPoint = n;
  for(int i = 0; i < n; i++) {
    r->aValue[i] = aXS[2 * i];
    r->aScore[i] = aXS[2 * i + 1];
  }
  r->weight = 1;
  r->displayScale = 1;
  r->warnBelow = r->retakeBelow = r->warnAbove = r->retakeAbove = NAN;
}

/* The profile of most tests: "di" scored 100 at 0 falling to 0 at +-6,
 * warn beyond +-1.5, retake beyond +-3; "noise" (a fraction shown as
 * percent) 100 up to 0.01, 0 from 0.05, warn above 0.02, retake above
 * 0.04, weight 3. */
static void makeProfile(struct qc_profile *p)
{
  static const double aDi[] = {-6, 0, -3, 40, 0, 100, 3, 40, 6, 0};
  static const double aNoise[] = {0.01, 100, 0.05, 0};
  memset(p, 0, sizeof(*p));
  snprintf(p->zName, sizeof(p->zName), "xray");
  p->nModality = 2;
  snprintf(p->azModality[0], sizeof(p->azModality[0]), "CR");
  snprintf(p->azModality[1], sizeof(p->azModality[1]), "DX");
  p->minWeight = 0;
  p->qualityWarnBelow = p->qualityRetakeBelow = NAN;
  p->nRule = 2;
  setRule(&p->aRule[0], "di", 5, aDi);
  p->aRule[0].warnBelow = -1.5;
  p->aRule[0].retakeBelow = -3;
  p->aRule[0].warnAbove = 1.5;
  p->aRule[0].retakeAbove = 3;
  snprintf(p->aRule[0].zBelowReason, QC_REASON_LEN,
           "Underexposed: deviation index {value}, limit {limit}");
  snprintf(p->aRule[0].zAboveReason, QC_REASON_LEN,
           "Overexposed: deviation index {value}, limit {limit}");
  setRule(&p->aRule[1], "noise", 2, aNoise);
  p->aRule[1].weight = 3;
  p->aRule[1].displayScale = 100;
  p->aRule[1].warnAbove = 0.02;
  p->aRule[1].retakeAbove = 0.04;
  snprintf(p->aRule[1].zAboveReason, QC_REASON_LEN, "%s",
           "Noisy: {value}% noise, limit {limit}%");
}

/* The quality of a one-rule profile is that rule's sub-score. */
static double subscore(const struct qc_profile *p, int iRule, double v)
{
  struct qc_profile one = *p;
  struct qc_assessment a;
  const char *azName[] = {p->aRule[iRule].zMetric};
  one.nRule = 1;
  one.aRule[0] = p->aRule[iRule];
  one.aRule[0].warnBelow = one.aRule[0].retakeBelow = NAN;
  one.aRule[0].warnAbove = one.aRule[0].retakeAbove = NAN;
  assert_int_equal(qc_policy_assess(&one, azName, &v, 1, &a), QC_OK);
  assert_int_equal(a.verdict, QC_VERDICT_PASS);
  return a.quality;
}

static void test_subscore_curve(void **state)
{
  struct qc_profile p;
  (void)state;
  makeProfile(&p);
  assert_close(subscore(&p, 0, 0), 100, 0);
  assert_close(subscore(&p, 0, -3), 40, 0);
  assert_close(subscore(&p, 0, -1.5), 70, 1e-12); /* halfway */
  assert_close(subscore(&p, 0, 4.5), 20, 1e-12);  /* halfway */
  assert_close(subscore(&p, 0, -100), 0, 0);      /* flat beyond */
  assert_close(subscore(&p, 0, 1e300), 0, 0);
  assert_close(subscore(&p, 1, 0), 100, 0);
  assert_close(subscore(&p, 1, 0.03), 50, 1e-12);
}

/* The reason a one-rule profile gives for a value below its limit. */
static const char *reason(const char *zTpl, double value, double limit,
                          double scale)
{
  static struct qc_assessment a;
  struct qc_profile p;
  const char *azName[] = {"x"};
  static const double aXS[] = {-1e9, 0, 1e9, 100};
  makeProfile(&p);
  p.nRule = 1;
  setRule(&p.aRule[0], "x", 2, aXS);
  p.aRule[0].warnBelow = limit;
  p.aRule[0].displayScale = scale;
  snprintf(p.aRule[0].zBelowReason, QC_REASON_LEN, "%s", zTpl);
  assert_int_equal(qc_policy_assess(&p, azName, &value, 1, &a), QC_OK);
  assert_int_equal(a.verdict, QC_VERDICT_WARN);
  assert_int_equal(a.nReason, 1);
  return a.azReason[0];
}

static void test_reason_text(void **state)
{
  (void)state;
  assert_string_equal(reason("DI {value}, limit {limit}.", -4.2345, -3, 1),
                      "DI -4.23, limit -3.00.");
  assert_string_equal(reason("{value}%/{limit}%", 0.0112, 0.02, 100),
                      "1.12%/2.00%");
  assert_string_equal(reason("{value} {limit} {value}", 12.34, 1234.4, 1),
                      "12.3 1234 12.3");
  assert_string_equal(reason("{value} {valu} {", 0.0123, 1, 1),
                      "0.012 {valu} {");
  /* A template as long as the field is cut, never overflowing. */
  char zLong[QC_REASON_LEN];
  memset(zLong, 'x', sizeof(zLong) - 8);
  memcpy(zLong + sizeof(zLong) - 8, "{value}", 8);
  assert_int_equal(strlen(reason(zLong, -1.5e30, 0, 1)), QC_REASON_LEN - 1);
}

/* Assesses {di, noise} = (di, noise) with profile p. */
static struct qc_assessment run(const struct qc_profile *p, double di,
                                double noise)
{
  const char *azName[] = {"other", "di", "noise"};
  double aValue[] = {123, di, noise};
  struct qc_assessment a;
  memset(&a, 0xA5, sizeof(a));
  assert_int_equal(qc_policy_assess(p, azName, aValue, 3, &a), QC_OK);
  return a;
}

static void test_verdicts(void **state)
{
  struct qc_profile p;
  struct qc_assessment a;
  (void)state;
  makeProfile(&p);

  a = run(&p, 0, 0.005); /* both perfect */
  assert_int_equal(a.verdict, QC_VERDICT_PASS);
  assert_close(a.quality, 100, 0);
  assert_int_equal(a.nReason, 0);

  /* di -1.5 -> 70 (weight 1), noise 0.03 -> 50 (weight 3): mean 55. */
  a = run(&p, -1.5, 0.03);
  assert_close(a.quality, (70 + 3 * 50) / 4.0, 1e-12);
  assert_int_equal(a.verdict, QC_VERDICT_WARN);
  assert_int_equal(a.nReason, 1); /* -1.5 is not below -1.5 */
  assert_string_equal(a.azReason[0], "Noisy: 3.00% noise, limit 2.00%");

  p.minWeight = 1; /* as bad as the worst */
  a = run(&p, -1.5, 0.03);
  assert_close(a.quality, 50, 1e-12);
  p.minWeight = 0.5;
  a = run(&p, -1.5, 0.03);
  assert_close(a.quality, 0.5 * 50 + 0.5 * 55, 1e-12);

  /* A warn first in profile order, a retake second: retake listed
   * first. */
  a = run(&p, -2, 0.045);
  assert_int_equal(a.verdict, QC_VERDICT_RETAKE);
  assert_int_equal(a.nReason, 2);
  assert_string_equal(a.azReason[0], "Noisy: 4.50% noise, limit 4.00%");
  assert_string_equal(a.azReason[1],
                      "Underexposed: deviation index -2.00, limit -1.50");

  a = run(&p, 3.5, 0.01);
  assert_int_equal(a.verdict, QC_VERDICT_RETAKE);
  assert_string_equal(a.azReason[0],
                      "Overexposed: deviation index 3.50, limit 3.00");
}

static void test_missing_and_unscored(void **state)
{
  struct qc_profile p;
  struct qc_assessment a;
  (void)state;
  makeProfile(&p);
  a = run(&p, NAN, 0.03); /* di not measured: skipped */
  assert_close(a.quality, 50, 1e-12);
  assert_int_equal(a.verdict, QC_VERDICT_WARN);

  const char *azName[] = {"unrelated"};
  double aValue[] = {1};
  assert_int_equal(qc_policy_assess(&p, azName, aValue, 1, &a), QC_OK);
  assert_int_equal(a.verdict, QC_VERDICT_UNSCORED);
  assert_true(isnan(a.quality));
  assert_int_equal(a.nReason, 0);
  assert_int_equal(qc_policy_assess(&p, NULL, NULL, 0, &a), QC_OK);
  assert_int_equal(a.verdict, QC_VERDICT_UNSCORED);
  assert_string_equal(qc_verdict_name(a.verdict), "unscored");
  assert_string_equal(qc_verdict_name(QC_VERDICT_RETAKE), "retake");
  assert_null(qc_verdict_name((enum qc_verdict)7));

  assert_int_equal(qc_policy_assess(NULL, azName, aValue, 1, &a),
                   QC_ERR_MISUSE);
  assert_int_equal(qc_policy_assess(&p, azName, aValue, -1, &a),
                   QC_ERR_MISUSE);
  assert_int_equal(qc_policy_assess(&p, NULL, aValue, 1, &a), QC_ERR_MISUSE);
}

static void test_quality_limits(void **state)
{
  struct qc_profile p;
  struct qc_assessment a;
  (void)state;
  makeProfile(&p);
  p.qualityWarnBelow = 80;
  p.qualityRetakeBelow = 60;
  a = run(&p, 1.2, 0.012); /* 76, 95: mean 90.25, no limit crossed */
  assert_close(a.quality, (76 + 3 * 95) / 4.0, 1e-9);
  assert_int_equal(a.verdict, QC_VERDICT_PASS);
  a = run(&p, 1.2, 0.019); /* 76, 77.5: mean 77.125 -> warn */
  assert_int_equal(a.verdict, QC_VERDICT_WARN);
  assert_string_equal(a.azReason[0], "Overall quality 77.1, limit 80.0");
  p.aRule[1].warnAbove = p.aRule[1].retakeAbove = NAN;
  a = run(&p, 0, 0.035); /* 100, 37.5: mean 53.125 -> retake */
  assert_int_equal(a.verdict, QC_VERDICT_RETAKE);
  assert_int_equal(a.nReason, 1);
  assert_string_equal(a.azReason[0], "Overall quality 53.1, limit 60.0");
}

static void test_many_reasons(void **state)
{
  struct qc_profile p;
  const char *azName[QC_PROFILE_RULE_MAX];
  double aValue[QC_PROFILE_RULE_MAX];
  char azN[QC_PROFILE_RULE_MAX][16];
  struct qc_assessment a;
  static const double aXS[] = {0, 100, 1, 0};
  (void)state;
  makeProfile(&p);
  p.nRule = 12;
  for(int i = 0; i < p.nRule; i++) {
    snprintf(azN[i], sizeof(azN[i]), "m%d", i);
    setRule(&p.aRule[i], azN[i], 2, aXS);
    p.aRule[i].warnAbove = 0.5;
    p.aRule[i].retakeAbove = 0.8;
    snprintf(p.aRule[i].zAboveReason, QC_REASON_LEN, "m%d {value}", i);
    azName[i] = azN[i];
    aValue[i] = i % 2 ? 0.9 : 0.6; /* odd: retake, even: warn */
  }
  assert_int_equal(qc_profile_check(&p, NULL, 0), QC_OK);
  assert_int_equal(qc_policy_assess(&p, azName, aValue, p.nRule, &a), QC_OK);
  assert_int_equal(a.verdict, QC_VERDICT_RETAKE);
  assert_int_equal(a.nReason, QC_REASON_MAX);
  /* The six retakes first, then the first two warnings. */
  static const char *azWant[] = {"m1 0.90", "m3 0.90",  "m5 0.90", "m7 0.90",
                                 "m9 0.90", "m11 0.90", "m0 0.60", "m2 0.60"};
  for(int i = 0; i < QC_REASON_MAX; i++)
    assert_string_equal(a.azReason[i], azWant[i]);
}

static void test_profile_check(void **state)
{
  struct qc_profile p;
  char zErr[200];
  (void)state;
  makeProfile(&p);
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_OK);
  assert_int_equal(qc_profile_check(NULL, zErr, sizeof(zErr)), QC_ERR_MISUSE);

  p.aRule[0].aValue[2] = -3; /* not increasing */
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  assert_non_null(strstr(zErr, "metric di: point values must increase"));
  makeProfile(&p);
  p.aRule[1].aScore[0] = 101;
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  assert_non_null(strstr(zErr, "outside 0..100"));
  makeProfile(&p);
  p.aRule[0].retakeBelow = -1; /* above warn_below */
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  assert_non_null(strstr(zErr, "limits must be ordered"));
  makeProfile(&p);
  p.aRule[0].warnAbove = -2; /* below warn_below */
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  makeProfile(&p);
  p.aRule[1].zAboveReason[0] = 0;
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  assert_non_null(strstr(zErr, "no reason sentence"));
  makeProfile(&p);
  p.aRule[0].nPoint = 1;
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  makeProfile(&p);
  p.aRule[0].aValue[1] = NAN;
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  makeProfile(&p);
  p.aRule[0].weight = -1;
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  makeProfile(&p);
  p.minWeight = 1.5;
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  assert_non_null(strstr(zErr, "profile xray: min_weight"));
  makeProfile(&p);
  p.nModality = 0;
  assert_int_equal(qc_profile_check(&p, zErr, sizeof(zErr)), QC_ERR_RANGE);
  makeProfile(&p);
  p.zName[0] = 0;
  assert_int_equal(qc_profile_check(&p, NULL, 0), QC_ERR_RANGE);
}

static void test_profile_match(void **state)
{
  struct qc_profile any, xr, chest;
  static const char *zOp = "1.2.840.10008.5.1.4.1.1.77.1.5.1";
  (void)state;
  makeProfile(&xr);
  makeProfile(&any);
  any.nModality = 1;
  snprintf(any.azModality[0], sizeof(any.azModality[0]), "*");
  makeProfile(&chest);
  chest.nBodyPart = 1;
  snprintf(chest.azBodyPart[0], sizeof(chest.azBodyPart[0]), "CHEST");

  assert_int_equal(qc_profile_match(&xr, "DX", "", ""), 2);
  assert_int_equal(qc_profile_match(&xr, "dx", "", "HAND"), 2);
  assert_int_equal(qc_profile_match(&xr, "MR", "", ""), -1);
  assert_int_equal(qc_profile_match(&any, "MR", "", ""), 0);
  assert_int_equal(qc_profile_match(&any, "", "", ""), 0);
  assert_int_equal(qc_profile_match(&chest, "CR", "", "chest"), 6);
  assert_int_equal(qc_profile_match(&chest, "CR", "", "HAND"), -1);
  assert_int_equal(qc_profile_match(&chest, "CR", "", ""), -1);
  assert_true(qc_profile_match(&chest, "CR", "", "CHEST") >
              qc_profile_match(&xr, "CR", "", "CHEST"));
  assert_true(qc_profile_match(&xr, "CR", "", "") >
              qc_profile_match(&any, "CR", "", ""));

  /* By SOP class alone (an ophthalmic photograph labelled XC). */
  xr.nSopClass = 1;
  snprintf(xr.azSopClass[0], sizeof(xr.azSopClass[0]), "%s", zOp);
  assert_int_equal(qc_profile_match(&xr, "XC", zOp, ""), 2);
  assert_int_equal(qc_profile_match(&xr, "XC", "1.2.3", ""), -1);
  assert_int_equal(qc_profile_match(NULL, "XC", "", ""), -1);
  assert_int_equal(qc_profile_match(&xr, NULL, "", ""), -1);

  xr.nParam = 1;
  snprintf(xr.aParam[0].zName, sizeof(xr.aParam[0].zName), "target");
  xr.aParam[0].value = 2100;
  assert_close(qc_profile_param(&xr, "target", 0), 2100, 0);
  assert_close(qc_profile_param(&xr, "other", -1), -1, 0);
  assert_close(qc_profile_param(NULL, "target", 5), 5, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_subscore_curve),
      cmocka_unit_test(test_reason_text),
      cmocka_unit_test(test_verdicts),
      cmocka_unit_test(test_missing_and_unscored),
      cmocka_unit_test(test_quality_limits),
      cmocka_unit_test(test_many_reasons),
      cmocka_unit_test(test_profile_check),
      cmocka_unit_test(test_profile_match),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
