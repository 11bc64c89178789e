/* SPDX-License-Identifier: BSD-3-Clause
 *
 * policy.c - the retake policy: a modality profile applied to the values
 * measured on one image gives a quality 0..100, a verdict (pass, warn,
 * retake) and the sentences a technician reads.
 *
 * A rule maps its metric's value to a sub-score by a piecewise-linear
 * curve through the profile's points (flat beyond the first and last
 * point), and compares the value with up to four limits: retake below,
 * warn below, warn above, retake above.  The image's quality is
 *   minWeight * min(sub-scores) + (1 - minWeight) * weighted mean,
 * so a profile can say "as bad as the worst measure" (minWeight 1), "the
 * average" (0) or between.  The verdict is the worst limit crossed by any
 * rule or by the quality itself; reasons are listed retake first, in
 * the profile's order.  Nothing here reads a file: cli/profiles.c fills
 * struct qc_profile from models/profiles/<name>.ini.
 */
#include "qc_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *qc_verdict_name(enum qc_verdict v)
{
  switch(v) {
  case QC_VERDICT_UNSCORED:
    return "unscored";
  case QC_VERDICT_PASS:
    return "pass";
  case QC_VERDICT_WARN:
    return "warn";
  case QC_VERDICT_RETAKE:
    return "retake";
  }
  return NULL;
}

/* Checks one rule; writes what is wrong to zErr and returns QC_ERR_RANGE,
 * or QC_OK. */
static int checkRule(const struct qc_rule *r, char *zErr, size_t nErr)
{
  const char *zWhy = NULL;
  double lo = isnan(r->warnBelow) ? r->retakeBelow : r->warnBelow;
  double hi = isnan(r->warnAbove) ? r->retakeAbove : r->warnAbove;
  if(r->zMetric[0] == 0 || memchr(r->zMetric, 0, sizeof(r->zMetric)) == NULL)
    zWhy = "no metric name";
  else if(r->nPoint < 2 || r->nPoint > QC_RULE_POINT_MAX)
    zWhy = "needs 2 to 12 points";
  else if(!(r->weight >= 0) || !isfinite(r->weight))
    zWhy = "weight must be a number >= 0";
  else if(!(r->displayScale > 0) || !isfinite(r->displayScale))
    zWhy = "display scale must be > 0";
  for(int32_t i = 0; zWhy == NULL && i < r->nPoint; i++) {
    if(!isfinite(r->aValue[i]) || !isfinite(r->aScore[i]))
      zWhy = "a point is not a finite number";
    else if(r->aScore[i] < 0 || r->aScore[i] > 100)
      zWhy = "a sub-score is outside 0..100";
    else if(i > 0 && !(r->aValue[i] > r->aValue[i - 1]))
      zWhy = "point values must increase strictly";
  }
  if(zWhy == NULL && ((!isnan(r->retakeBelow) && !isnan(r->warnBelow) &&
                       r->retakeBelow > r->warnBelow) ||
                      (!isnan(r->retakeAbove) && !isnan(r->warnAbove) &&
                       r->retakeAbove < r->warnAbove) ||
                      (!isnan(lo) && !isnan(hi) && !(lo < hi))))
    zWhy = "limits must be ordered: retake_below <= warn_below < "
           "warn_above <= retake_above";
  if(zWhy == NULL && ((!isnan(lo) && r->zBelowReason[0] == 0) ||
                      (!isnan(hi) && r->zAboveReason[0] == 0)))
    zWhy = "a limit has no reason sentence";
  if(zWhy == NULL)
    return QC_OK;
  if(zErr && nErr)
    snprintf(zErr, nErr, "metric %.48s: %s", r->zMetric, zWhy);
  return QC_ERR_RANGE;
}

int qc_profile_check(const struct qc_profile *p, char *zErr, size_t nErr)
{
  const char *zWhy = NULL;
  if(p == NULL)
    return QC_ERR_MISUSE;
  if(p->zName[0] == 0 || memchr(p->zName, 0, sizeof(p->zName)) == NULL)
    zWhy = "no name";
  else if(p->nModality < 0 || p->nModality > QC_PROFILE_LIST_MAX ||
          p->nSopClass < 0 || p->nSopClass > QC_PROFILE_LIST_MAX ||
          p->nBodyPart < 0 || p->nBodyPart > QC_PROFILE_LIST_MAX)
    zWhy = "a list has more than 16 entries";
  else if(p->nModality + p->nSopClass == 0)
    zWhy = "names no modality and no SOP class";
  else if(p->nParam < 0 || p->nParam > QC_PROFILE_PARAM_MAX)
    zWhy = "more than 8 parameters";
  else if(p->nRule < 0 || p->nRule > QC_PROFILE_RULE_MAX)
    zWhy = "more than 32 metric rules";
  else if(!(p->minWeight >= 0 && p->minWeight <= 1))
    zWhy = "min_weight must be in 0..1";
  else if(!isnan(p->qualityRetakeBelow) && !isnan(p->qualityWarnBelow) &&
          p->qualityRetakeBelow > p->qualityWarnBelow)
    zWhy = "quality_retake_below must not exceed quality_warn_below";
  if(zWhy) {
    if(zErr && nErr)
      snprintf(zErr, nErr, "profile %.32s: %s", p->zName, zWhy);
    return QC_ERR_RANGE;
  }
  for(int32_t i = 0; i < p->nRule; i++) {
    char zRule[160];
    if(checkRule(&p->aRule[i], zRule, sizeof(zRule)) != QC_OK) {
      if(zErr && nErr)
        snprintf(zErr, nErr, "profile %.32s: %s", p->zName, zRule);
      return QC_ERR_RANGE;
    }
  }
  return QC_OK;
}

/* 1 if z is one of the n entries of az (case-insensitive), 2 if only
 * "*" matched it, 0 if neither. */
static int listHas(const char (*az)[17], int32_t n, const char *z)
{
  int any = 0;
  for(int32_t i = 0; i < n; i++) {
    if(z[0] && strcasecmp(az[i], z) == 0)
      return 1;
    if(strcmp(az[i], "*") == 0)
      any = 2;
  }
  return any;
}

int qc_profile_match(const struct qc_profile *p, const char *zModality,
                     const char *zSopClass, const char *zBodyPart)
{
  int score = 0, byMod, bySop = 0;
  if(p == NULL || zModality == NULL || zSopClass == NULL || zBodyPart == NULL)
    return -1;
  byMod = listHas(p->azModality, p->nModality, zModality);
  for(int32_t i = 0; i < p->nSopClass && zSopClass[0]; i++)
    if(strcmp(p->azSopClass[i], zSopClass) == 0)
      bySop = 1;
  if(byMod == 0 && bySop == 0)
    return -1;
  score = (byMod == 1 || bySop) ? 2 : 0;
  if(p->nBodyPart > 0) {
    int32_t i;
    for(i = 0; i < p->nBodyPart; i++)
      if(zBodyPart[0] && strcasecmp(p->azBodyPart[i], zBodyPart) == 0)
        break;
    if(i == p->nBodyPart)
      return -1;
    score += 4;
  }
  return score;
}

double qc_profile_param(const struct qc_profile *p, const char *zName,
                        double dflt)
{
  for(int32_t i = 0; p && zName && i < p->nParam; i++)
    if(strcmp(p->aParam[i].zName, zName) == 0)
      return p->aParam[i].value;
  return dflt;
}

/* The sub-score of value v on rule r's curve. */
static double subscore(const struct qc_rule *r, double v)
{
  int32_t n = r->nPoint;
  if(v <= r->aValue[0])
    return r->aScore[0];
  if(v >= r->aValue[n - 1])
    return r->aScore[n - 1];
  for(int32_t i = 1; i < n; i++)
    if(v <= r->aValue[i]) {
      double t = (v - r->aValue[i - 1]) / (r->aValue[i] - r->aValue[i - 1]);
      return r->aScore[i - 1] + t * (r->aScore[i] - r->aScore[i - 1]);
    }
  return r->aScore[n - 1];
}

/* Writes v for reading: 3 significant digits, no exponent for everyday
 * magnitudes ("-4.2", "0.31", "1730"). */
static void fmtNumber(char *z, size_t n, double v)
{
  double a = fabs(v);
  if(a >= 100)
    snprintf(z, n, "%.0f", v);
  else if(a >= 10)
    snprintf(z, n, "%.1f", v);
  else if(a >= 0.1 || a == 0)
    snprintf(z, n, "%.2f", v);
  else
    snprintf(z, n, "%.2g", v);
}

/* Expands a reason template: {value} and {limit} become the numbers
 * (times scale); everything else is copied; the result is truncated to
 * fit zOut. */
static void expandReason(char *zOut, const char *zTpl, double value,
                         double limit, double scale)
{
  size_t j = 0;
  for(const char *z = zTpl; *z && j + 1 < QC_REASON_LEN;) {
    char zNum[32];
    const char *zPut = NULL;
    size_t nSkip = 1;
    if(strncmp(z, "{value}", 7) == 0) {
      fmtNumber(zNum, sizeof(zNum), value * scale);
      zPut = zNum;
      nSkip = 7;
    } else if(strncmp(z, "{limit}", 7) == 0) {
      fmtNumber(zNum, sizeof(zNum), limit * scale);
      zPut = zNum;
      nSkip = 7;
    }
    if(zPut) {
      for(; *zPut && j + 1 < QC_REASON_LEN; zPut++)
        zOut[j++] = *zPut;
    } else {
      zOut[j++] = *z;
    }
    z += nSkip;
  }
  zOut[j] = 0;
}

/* Adds a reason of severity v to pOut, keeping retake reasons before
 * warn reasons and at most QC_REASON_MAX of them. */
static void addReason(struct qc_assessment *pOut, int32_t *pnRetake,
                      enum qc_verdict v, const char *zTpl, double value,
                      double limit, double scale)
{
  int32_t at = v == QC_VERDICT_RETAKE ? (*pnRetake)++ : pOut->nReason;
  if(v > pOut->verdict)
    pOut->verdict = v;
  if(at >= QC_REASON_MAX) {
    if(v == QC_VERDICT_RETAKE)
      (*pnRetake)--;
    return;
  }
  int32_t nKeep =
      pOut->nReason < QC_REASON_MAX ? pOut->nReason : QC_REASON_MAX - 1;
  memmove(pOut->azReason[at + 1], pOut->azReason[at],
          (size_t)(nKeep - at) * QC_REASON_LEN);
  expandReason(pOut->azReason[at], zTpl, value, limit, scale);
  if(pOut->nReason < QC_REASON_MAX)
    pOut->nReason++;
}

/* The value of metric zName among the n given, NaN if absent. */
static double lookup(const char *const *azName, const double *aValue,
                     int32_t n, const char *zName)
{
  for(int32_t i = 0; i < n; i++)
    if(azName[i] && strcmp(azName[i], zName) == 0)
      return aValue[i];
  return NAN;
}

int qc_policy_assess(const struct qc_profile *p, const char *const *azName,
                     const double *aValue, int32_t n,
                     struct qc_assessment *pOut)
{
  double sumW = 0, sumWS = 0, minS = INFINITY;
  int32_t nUsed = 0, nRetake = 0;
  struct qc_assessment a;
  if(p == NULL || pOut == NULL || n < 0 || (n > 0 && (!azName || !aValue)))
    return QC_ERR_MISUSE;
  memset(&a, 0, sizeof(a));
  a.quality = NAN;
  a.verdict = QC_VERDICT_UNSCORED;
  for(int32_t i = 0; i < p->nRule; i++) {
    const struct qc_rule *r = &p->aRule[i];
    double v = lookup(azName, aValue, n, r->zMetric);
    if(!isfinite(v))
      continue;
    double s = subscore(r, v);
    nUsed++;
    sumW += r->weight;
    sumWS += r->weight * s;
    if(s < minS)
      minS = s;
    if(a.verdict < QC_VERDICT_PASS)
      a.verdict = QC_VERDICT_PASS;
    if(!isnan(r->retakeBelow) && v < r->retakeBelow)
      addReason(&a, &nRetake, QC_VERDICT_RETAKE, r->zBelowReason, v,
                r->retakeBelow, r->displayScale);
    else if(!isnan(r->retakeAbove) && v > r->retakeAbove)
      addReason(&a, &nRetake, QC_VERDICT_RETAKE, r->zAboveReason, v,
                r->retakeAbove, r->displayScale);
    else if(!isnan(r->warnBelow) && v < r->warnBelow)
      addReason(&a, &nRetake, QC_VERDICT_WARN, r->zBelowReason, v,
                r->warnBelow, r->displayScale);
    else if(!isnan(r->warnAbove) && v > r->warnAbove)
      addReason(&a, &nRetake, QC_VERDICT_WARN, r->zAboveReason, v,
                r->warnAbove, r->displayScale);
  }
  if(nUsed > 0) {
    double mean = sumW > 0 ? sumWS / sumW : minS;
    a.quality = p->minWeight * minS + (1 - p->minWeight) * mean;
    if(!isnan(p->qualityRetakeBelow) && a.quality < p->qualityRetakeBelow)
      addReason(&a, &nRetake, QC_VERDICT_RETAKE,
                "Overall quality {value}, limit {limit}", a.quality,
                p->qualityRetakeBelow, 1);
    else if(!isnan(p->qualityWarnBelow) && a.quality < p->qualityWarnBelow)
      addReason(&a, &nRetake, QC_VERDICT_WARN,
                "Overall quality {value}, limit {limit}", a.quality,
                p->qualityWarnBelow, 1);
  }
  *pOut = a;
  return QC_OK;
}
