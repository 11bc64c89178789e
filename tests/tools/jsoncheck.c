/* SPDX-License-Identifier: BSD-3-Clause
 *
 * jsoncheck.c - checks `dicomqc score --json` output against its contract.
 *
 * Reads JSON lines on stdin.  Each must parse (cJSON) as an object with
 * exactly the contract's keys and types: file (string), the three UIDs,
 * modality and transfer_syntax (string or null), rows/columns/frames
 * (number or null), metrics (object of numbers), profile (string or
 * null), quality (number 0..100 or null), verdict
 * (pass|warn|retake|unscored), reasons (array of strings), error (string
 * or null); and the verdict's rules: quality is null exactly when the
 * verdict is "unscored", and there are reasons exactly when it is "warn"
 * or "retake".  Prints "lines=N ok=N errors=N"
 * (errors = lines whose "error" is a string) and exits 1 on any violation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static int isStrOrNull(const cJSON *j)
{
  return j && (cJSON_IsString(j) || cJSON_IsNull(j));
}

static int isNumOrNull(const cJSON *j)
{
  return j && (cJSON_IsNumber(j) || cJSON_IsNull(j));
}

/* Returns NULL if the object meets the contract, else what is wrong. */
static const char *check(const cJSON *o)
{
  static const char *const azStr[] = {
      "sop_instance_uid", "study_instance_uid", "series_instance_uid",
      "modality",         "transfer_syntax",    "error",
      "profile"};
  static const char *const azNum[] = {"rows", "columns", "frames", "quality"};
  const cJSON *j;
  if(!cJSON_IsObject(o))
    return "not an object";
  if(cJSON_GetArraySize(o) != 15)
    return "not exactly the 15 contract keys";
  if(!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "file")))
    return "file is not a string";
  for(size_t i = 0; i < sizeof(azStr) / sizeof(azStr[0]); i++)
    if(!isStrOrNull(cJSON_GetObjectItemCaseSensitive(o, azStr[i])))
      return "a UID/modality/transfer_syntax/error/profile is not string or "
             "null";
  for(size_t i = 0; i < sizeof(azNum) / sizeof(azNum[0]); i++)
    if(!isNumOrNull(cJSON_GetObjectItemCaseSensitive(o, azNum[i])))
      return "rows/columns/frames/quality is not a number or null";
  j = cJSON_GetObjectItemCaseSensitive(o, "quality");
  if(cJSON_IsNumber(j) && (j->valuedouble < 0 || j->valuedouble > 100))
    return "quality outside 0..100";
  j = cJSON_GetObjectItemCaseSensitive(o, "metrics");
  if(!cJSON_IsObject(j))
    return "metrics is not an object";
  for(const cJSON *m = j->child; m; m = m->next)
    if(!cJSON_IsNumber(m))
      return "a metric is not a number";
  j = cJSON_GetObjectItemCaseSensitive(o, "verdict");
  if(!cJSON_IsString(j) ||
     (strcmp(j->valuestring, "pass") && strcmp(j->valuestring, "warn") &&
      strcmp(j->valuestring, "retake") && strcmp(j->valuestring, "unscored")))
    return "verdict is not pass|warn|retake|unscored";
  j = cJSON_GetObjectItemCaseSensitive(o, "reasons");
  if(!cJSON_IsArray(j))
    return "reasons is not an array";
  for(const cJSON *m = j->child; m; m = m->next)
    if(!cJSON_IsString(m))
      return "a reason is not a string";
  const char *zV = cJSON_GetObjectItemCaseSensitive(o, "verdict")->valuestring;
  int isUnscored = strcmp(zV, "unscored") == 0;
  int isFlagged = strcmp(zV, "warn") == 0 || strcmp(zV, "retake") == 0;
  if(isUnscored !=
     cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "quality")))
    return "quality is null but the verdict is not unscored, or the reverse";
  if(isFlagged != (cJSON_GetArraySize(j) > 0))
    return "reasons are given exactly for warn and retake";
  return NULL;
}

int main(void)
{
  static char zLine[1 << 16];
  int nLine = 0, nOk = 0, nErr = 0, nBad = 0;
  while(fgets(zLine, sizeof(zLine), stdin)) {
    nLine++;
    cJSON *o = cJSON_Parse(zLine);
    const char *zWhy = o ? check(o) : "does not parse as JSON";
    if(zWhy) {
      fprintf(stderr, "jsoncheck: line %d: %s\n", nLine, zWhy);
      nBad++;
    } else {
      nOk++;
      if(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "error")))
        nErr++;
    }
    cJSON_Delete(o);
  }
  printf("lines=%d ok=%d errors=%d\n", nLine, nOk, nErr);
  return nBad ? 1 : 0;
}
