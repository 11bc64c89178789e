/* SPDX-License-Identifier: BSD-3-Clause
 *
 * json.c - the one way the commands print a JSON result: one object on
 * one line of stdout (score, studies, show, compare --json), and the
 * verdict part of a result (quality, verdict, reasons).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

int cli_json_line(cJSON *o)
{
  char *z = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  if(z == NULL)
    return -1;
  puts(z);
  cJSON_free(z);
  return 0;
}

char *cli_reasons_json(const struct qc_assessment *a)
{
  cJSON *o = cJSON_CreateArray();
  char *z = NULL, *zOut = NULL;
  for(int32_t i = 0; o && i < a->nReason; i++)
    if(!cJSON_AddItemToArray(o, cJSON_CreateString(a->azReason[i])))
      goto reasons_end;
  z = o ? cJSON_PrintUnformatted(o) : NULL;
  if(z)
    zOut = strdup(z);
reasons_end:
  cJSON_free(z);
  cJSON_Delete(o);
  return zOut;
}

void cli_json_verdict(cJSON *o, const struct cli_result *r)
{
  const struct qc_assessment *a = &r->assess;
  if(r->zError || isnan(a->quality))
    cJSON_AddNullToObject(o, "quality");
  else
    cJSON_AddNumberToObject(o, "quality", a->quality);
  cJSON_AddStringToObject(
      o, "verdict", r->zError ? "unscored" : qc_verdict_name(a->verdict));
  cJSON *aR = cJSON_AddArrayToObject(o, "reasons");
  for(int32_t i = 0; aR && !r->zError && i < a->nReason; i++)
    cJSON_AddItemToArray(aR, cJSON_CreateString(a->azReason[i]));
}

void cli_json_text(cJSON *o, const char *zKey, const char *z)
{
  if(z)
    cJSON_AddStringToObject(o, zKey, z);
  else
    cJSON_AddNullToObject(o, zKey);
}

cJSON *cli_json_reasons(const char *zJson)
{
  cJSON *a = zJson ? cJSON_Parse(zJson) : NULL;
  if(!cJSON_IsArray(a)) {
    cJSON_Delete(a);
    a = cJSON_CreateArray();
  }
  return a;
}
