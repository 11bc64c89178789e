/* SPDX-License-Identifier: BSD-3-Clause
 *
 * profiles.c - reads the modality profiles (the .ini files of
 * models/profiles/, or of a site's copy named by --profile-dir) into
 * struct qc_profile, and picks the profile of an image.
 *
 * A profile file has a [profile] section (name, modalities, sop_classes,
 * body_parts, min_weight, quality_warn_below, quality_retake_below), an
 * optional [params] section of named numbers the metrics read (such as
 * exposure_target), and one [metric NAME] section per rule (points,
 * weight, warn_below, retake_below, warn_above, retake_above,
 * below_reason, above_reason, display_scale).  The format is documented
 * in models/profiles/README.md.  Every file of the folder ending in .ini
 * is read, in name order; an error names the file, the line and the key,
 * and no profile of a folder with an error is used.
 */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* State of one file's ini_parse(). */
struct profRun {
  struct qc_profile *p; /* Profile being filled */
  char zErr[300];       /* First error, without file and line */
};

/* Splits z at commas and blanks into up to nMax entries of nSize bytes.
 * Returns the count, or -1 (with zErr) for too many or too long. */
static int splitList(const char *z, char *aOut, int nMax, size_t nSize,
                     char *zErr, size_t nErr)
{
  int n = 0;
  while(*z) {
    size_t k = strcspn(z, ", \t");
    if(k > 0) {
      if(n == nMax || k >= nSize) {
        snprintf(zErr, nErr,
                 "more than %d entries, or one over %zu "
                 "characters",
                 nMax, nSize - 1);
        return -1;
      }
      memcpy(aOut + (size_t)n * nSize, z, k);
      aOut[(size_t)n * nSize + k] = 0;
      n++;
    }
    z += k;
    z += strspn(z, ", \t");
  }
  return n;
}

/* Parses a finite number; returns 0 or -1. */
static int parseNum(const char *z, double *pV)
{
  char *zEnd;
  errno = 0;
  double v = strtod(z, &zEnd);
  while(*zEnd == ' ' || *zEnd == '\t')
    zEnd++;
  if(zEnd == z || *zEnd || errno || !isfinite(v))
    return -1;
  *pV = v;
  return 0;
}

/* Parses key zKey's value into *pV; returns 0, or -1 with the reason. */
static int setNum(const char *zKey, const char *zValue, double *pV, char *zErr,
                  size_t nErr)
{
  if(parseNum(zValue, pV) == 0)
    return 0;
  snprintf(zErr, nErr, "%s: '%s' is not a number", zKey, zValue);
  return -1;
}

/* Parses "value:score value:score ..." into r's points. */
static int parsePoints(const char *z, struct qc_rule *r, char *zErr,
                       size_t nErr)
{
  int n = 0;
  while(*z) {
    char zTok[64];
    size_t k = strcspn(z, " \t,");
    if(k > 0) {
      char *zColon;
      if(k >= sizeof(zTok) || n == QC_RULE_POINT_MAX)
        goto points_bad;
      memcpy(zTok, z, k);
      zTok[k] = 0;
      zColon = strchr(zTok, ':');
      if(zColon == NULL)
        goto points_bad;
      *zColon = 0;
      if(parseNum(zTok, &r->aValue[n]) || parseNum(zColon + 1, &r->aScore[n]))
        goto points_bad;
      n++;
    }
    z += k;
    z += strspn(z, " \t,");
  }
  r->nPoint = n;
  return 0;
points_bad:
  snprintf(zErr, nErr,
           "expected up to %d points 'value:score' separated by blanks",
           QC_RULE_POINT_MAX);
  return -1;
}

/* A new rule for [metric zName]; NULL (with zErr) when full. */
static struct qc_rule *newRule(struct qc_profile *p, const char *zName,
                               char *zErr, size_t nErr)
{
  struct qc_rule *r;
  if(p->nRule == QC_PROFILE_RULE_MAX || strlen(zName) >= sizeof(r->zMetric)) {
    snprintf(zErr, nErr,
             "more than %d metrics, or a name over %zu "
             "characters",
             QC_PROFILE_RULE_MAX, sizeof(r->zMetric) - 1);
    return NULL;
  }
  r = &p->aRule[p->nRule++];
  memset(r, 0, sizeof(*r));
  memcpy(r->zMetric, zName, strlen(zName) + 1);
  r->weight = 1;
  r->displayScale = 1;
  r->warnBelow = r->retakeBelow = r->warnAbove = r->retakeAbove = NAN;
  return r;
}

/* One key of [metric NAME]. */
static int ruleKey(struct qc_profile *p, const char *zName, const char *zKey,
                   const char *zValue, char *zErr, size_t nErr)
{
  struct qc_rule *r = p->nRule > 0 ? &p->aRule[p->nRule - 1] : NULL;
  double *pNum = NULL;
  char *zText = NULL;
  if(r == NULL || strcmp(r->zMetric, zName) != 0) {
    for(int32_t i = 0; i < p->nRule; i++)
      if(strcmp(p->aRule[i].zMetric, zName) == 0) {
        snprintf(zErr, nErr, "[metric %s] appears twice", zName);
        return -1;
      }
    r = newRule(p, zName, zErr, nErr);
    if(r == NULL)
      return -1;
  }
  if(strcmp(zKey, "points") == 0)
    return parsePoints(zValue, r, zErr, nErr);
  if(strcmp(zKey, "weight") == 0)
    pNum = &r->weight;
  else if(strcmp(zKey, "warn_below") == 0)
    pNum = &r->warnBelow;
  else if(strcmp(zKey, "retake_below") == 0)
    pNum = &r->retakeBelow;
  else if(strcmp(zKey, "warn_above") == 0)
    pNum = &r->warnAbove;
  else if(strcmp(zKey, "retake_above") == 0)
    pNum = &r->retakeAbove;
  else if(strcmp(zKey, "display_scale") == 0)
    pNum = &r->displayScale;
  else if(strcmp(zKey, "below_reason") == 0)
    zText = r->zBelowReason;
  else if(strcmp(zKey, "above_reason") == 0)
    zText = r->zAboveReason;
  if(zText) {
    if(strlen(zValue) >= QC_REASON_LEN) {
      snprintf(zErr, nErr, "%s: over %d characters", zKey, QC_REASON_LEN - 1);
      return -1;
    }
    memcpy(zText, zValue, strlen(zValue) + 1);
    return 0;
  }
  if(pNum == NULL) {
    snprintf(zErr, nErr, "unknown key '%s' in [metric %s]", zKey, zName);
    return -1;
  }
  return setNum(zKey, zValue, pNum, zErr, nErr);
}

/* One key of [profile]. */
static int profileKey(struct qc_profile *p, const char *zKey,
                      const char *zValue, char *zErr, size_t nErr)
{
  if(strcmp(zKey, "name") == 0) {
    if(zValue[0] == 0 || strlen(zValue) >= sizeof(p->zName)) {
      snprintf(zErr, nErr, "name: 1 to %zu characters", sizeof(p->zName) - 1);
      return -1;
    }
    memcpy(p->zName, zValue, strlen(zValue) + 1);
    return 0;
  }
  const struct {
    const char *zKey; /* The list's key */
    char *a;          /* Its entries, nSize bytes apart */
    int32_t *pn;      /* Its count */
    size_t nSize;     /* Bytes of an entry */
  } aList[] = {
      {"modalities", &p->azModality[0][0], &p->nModality,
       sizeof(p->azModality[0])},
      {"sop_classes", &p->azSopClass[0][0], &p->nSopClass,
       sizeof(p->azSopClass[0])},
      {"body_parts", &p->azBodyPart[0][0], &p->nBodyPart,
       sizeof(p->azBodyPart[0])},
  };
  for(size_t i = 0; i < sizeof(aList) / sizeof(aList[0]); i++)
    if(strcmp(zKey, aList[i].zKey) == 0) {
      int n = splitList(zValue, aList[i].a, QC_PROFILE_LIST_MAX,
                        aList[i].nSize, zErr, nErr);
      *aList[i].pn = n < 0 ? 0 : n;
      return n < 0 ? -1 : 0;
    }
  if(strcmp(zKey, "description") == 0 || strcmp(zKey, "provenance") == 0)
    return 0;
  double *pNum =
      strcmp(zKey, "min_weight") == 0             ? &p->minWeight
      : strcmp(zKey, "quality_warn_below") == 0   ? &p->qualityWarnBelow
      : strcmp(zKey, "quality_retake_below") == 0 ? &p->qualityRetakeBelow
                                                  : NULL;
  if(pNum == NULL) {
    snprintf(zErr, nErr, "unknown key '%s' in [profile]", zKey);
    return -1;
  }
  return setNum(zKey, zValue, pNum, zErr, nErr);
}

/* One key of [params]. */
static int paramKey(struct qc_profile *p, const char *zKey, const char *zValue,
                    char *zErr, size_t nErr)
{
  if(p->nParam == QC_PROFILE_PARAM_MAX ||
     strlen(zKey) >= sizeof(p->aParam[0].zName)) {
    snprintf(zErr, nErr,
             "more than %d parameters, or a name over %zu "
             "characters",
             QC_PROFILE_PARAM_MAX, sizeof(p->aParam[0].zName) - 1);
    return -1;
  }
  if(setNum(zKey, zValue, &p->aParam[p->nParam].value, zErr, nErr))
    return -1;
  memcpy(p->aParam[p->nParam++].zName, zKey, strlen(zKey) + 1);
  return 0;
}

static int profHandler(void *pUser, const char *zSection, const char *zKey,
                       const char *zValue)
{
  struct profRun *r = pUser;
  int rc;
  if(strcmp(zSection, "profile") == 0)
    rc = profileKey(r->p, zKey, zValue, r->zErr, sizeof(r->zErr));
  else if(strcmp(zSection, "params") == 0)
    rc = paramKey(r->p, zKey, zValue, r->zErr, sizeof(r->zErr));
  else if(strncmp(zSection, "metric ", 7) == 0 && zSection[7])
    rc = ruleKey(r->p, zSection + 7, zKey, zValue, r->zErr, sizeof(r->zErr));
  else {
    snprintf(r->zErr, sizeof(r->zErr),
             "section [%s] is unknown (profile, params, metric NAME)",
             zSection);
    rc = -1;
  }
  return rc == 0; /* 0 makes ini_parse() return this line */
}

/* The first line of zPath longer than the INI reader takes (it would
 * cut it in two silently), or 0. */
static int longLine(const char *zPath)
{
  FILE *f = fopen(zPath, "r");
  int c, iLine = 1, n = 0, iLong = 0;
  if(f == NULL)
    return 0;
  while(iLong == 0 && (c = getc(f)) != EOF) {
    if(c == '\n') {
      iLine++;
      n = 0;
    } else if(++n >= INI_MAX_LINE - 1) {
      iLong = iLine;
    }
  }
  fclose(f);
  return iLong;
}

int cli_profile_read(const char *zPath, struct qc_profile *p, char *zErr,
                     size_t nErr)
{
  struct profRun r;
  char zCheck[300];
  const char *zBase = strrchr(zPath, '/');
  zBase = zBase ? zBase + 1 : zPath;
  memset(p, 0, sizeof(*p));
  p->minWeight = 1;
  p->qualityWarnBelow = p->qualityRetakeBelow = NAN;
  snprintf(p->zName, sizeof(p->zName), "%.*s", (int)strcspn(zBase, "."),
           zBase);
  memset(&r, 0, sizeof(r));
  r.p = p;
  int iLong = longLine(zPath);
  if(iLong) {
    snprintf(zErr, nErr,
             "%s:%d: longer than the %d characters a line may "
             "have",
             zPath, iLong, INI_MAX_LINE - 2);
    return -1;
  }
  int rc = ini_parse(zPath, profHandler, &r);
  if(rc < 0) {
    snprintf(zErr, nErr, "%s: cannot read the profile: %s", zPath,
             strerror(errno));
    return -1;
  }
  if(rc > 0) {
    snprintf(zErr, nErr, "%s:%d: %s", zPath, rc,
             r.zErr[0] ? r.zErr
                       : "not 'key = value', '[section]' or a comment");
    return -1;
  }
  if(qc_profile_check(p, zCheck, sizeof(zCheck)) != QC_OK) {
    snprintf(zErr, nErr, "%s: %s", zPath, zCheck);
    return -1;
  }
  return 0;
}

static int cmpName(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_profiles_load(const char *zDir, struct cli_profiles *pSet, char *zErr,
                      size_t nErr)
{
  DIR *d = opendir(zDir);
  struct dirent *e;
  char **azName = NULL;
  size_t nName = 0;
  int rc = -1;
  memset(pSet, 0, sizeof(*pSet));
  if(d == NULL) {
    snprintf(zErr, nErr, "%s: cannot read the profile folder: %s", zDir,
             strerror(errno));
    return -1;
  }
  while((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    char **azNew;
    if(n < 5 || e->d_name[0] == '.' || strcmp(e->d_name + n - 4, ".ini"))
      continue;
    azNew = realloc(azName, (nName + 1) * sizeof(char *));
    if(azNew == NULL || (azNew[nName] = strdup(e->d_name)) == NULL) {
      azName = azNew ? azNew : azName;
      snprintf(zErr, nErr, "out of memory");
      goto load_end;
    }
    azName = azNew;
    nName++;
  }
  if(nName == 0) {
    snprintf(zErr, nErr, "%s: no profile (*.ini) in the folder", zDir);
    goto load_end;
  }
  qsort(azName, nName, sizeof(char *), cmpName);
  pSet->a = calloc(nName, sizeof(struct qc_profile));
  if(pSet->a == NULL) {
    snprintf(zErr, nErr, "out of memory");
    goto load_end;
  }
  for(size_t i = 0; i < nName; i++) {
    char zPath[1200];
    snprintf(zPath, sizeof(zPath), "%s/%s", zDir, azName[i]);
    if(cli_profile_read(zPath, &pSet->a[i], zErr, nErr))
      goto load_end;
    for(size_t j = 0; j < i; j++)
      if(strcmp(pSet->a[j].zName, pSet->a[i].zName) == 0) {
        snprintf(zErr, nErr, "%s: profile name '%s' is also used by %s", zPath,
                 pSet->a[i].zName, azName[j]);
        goto load_end;
      }
    pSet->n++;
  }
  rc = 0;
load_end:
  for(size_t i = 0; i < nName; i++)
    free(azName[i]);
  free(azName);
  closedir(d);
  if(rc)
    cli_profiles_free(pSet);
  return rc;
}

void cli_profiles_free(struct cli_profiles *pSet)
{
  free(pSet->a);
  memset(pSet, 0, sizeof(*pSet));
}

const struct qc_profile *cli_profile_for(const struct cli_profiles *pSet,
                                         const struct qc_meta *m)
{
  const struct qc_profile *pBest = NULL;
  int best = -1;
  for(int i = 0; pSet && i < pSet->n; i++) {
    int s = qc_profile_match(&pSet->a[i], m->zModality, m->zSopClassUid,
                             m->zBodyPart);
    if(s > best) {
      best = s;
      pBest = &pSet->a[i];
    }
  }
  return pBest;
}
