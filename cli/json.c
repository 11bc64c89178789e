/* SPDX-License-Identifier: BSD-3-Clause
 *
 * json.c - the one way the commands print a JSON result: one object on
 * one line of stdout (score, studies, show, compare --json).
 */
#include <stdio.h>

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
