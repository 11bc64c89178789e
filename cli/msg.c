/* SPDX-License-Identifier: BSD-3-Clause
 *
 * msg.c - the few functions every diagnostic of dicomqc goes through
 * (after curl's tool_msgs.c): program prefix, newline, --quiet.  Results
 * go to stdout elsewhere; everything here goes to stderr.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_quiet = 0;

const char cli_exit_help[] =
    "Exit status:\n"
    "  0  every input was processed (a retake verdict is a result, "
    "not an error)\n"
    "  1  an input or the database could not be processed; each is "
    "named on stderr\n"
    "  2  usage error\n";

static void vmsg(const char *zKind, const char *zFmt, va_list ap)
{
  assert(strchr(zFmt, '\n') == NULL);
  fputs("dicomqc: ", stderr);
  if(zKind)
    fputs(zKind, stderr);
  vfprintf(stderr, zFmt, ap);
  fputc('\n', stderr);
}

void cli_errorf(const char *zFmt, ...)
{
  va_list ap;
  va_start(ap, zFmt);
  vmsg(NULL, zFmt, ap);
  va_end(ap);
}

void cli_warnf(const char *zFmt, ...)
{
  va_list ap;
  if(cli_quiet)
    return;
  va_start(ap, zFmt);
  vmsg("warning: ", zFmt, ap);
  va_end(ap);
}

int cli_usagef(const char *zCmd, const char *zFmt, ...)
{
  va_list ap;
  va_start(ap, zFmt);
  vmsg(NULL, zFmt, ap);
  va_end(ap);
  fprintf(stderr, "dicomqc: try 'dicomqc %s%s--help'\n", zCmd ? zCmd : "",
          zCmd ? " " : "");
  return CLI_EXIT_USAGE;
}

int cli_parse_uint(const char *z, uint64_t nMax, uint64_t *pOut)
{
  uint64_t n = 0;
  if(z == NULL || *z == 0)
    return -1;
  for(const char *p = z; *p; p++) {
    if(*p < '0' || *p > '9')
      return -1;
    n = n * 10 + (uint64_t)(*p - '0');
    if(n > nMax)
      return -1;
  }
  if(n == 0)
    return -1;
  *pOut = n;
  return 0;
}
