/* SPDX-License-Identifier: BSD-3-Clause
 *
 * log.c - the node's structured log: one line per event on stderr,
 * "ts=2026-11-27T14:00:00.123Z level=info event=store ...", key=value
 * pairs a log collector can split on spaces.  Values that come from the
 * network or a DICOM header go through cli_logq(), which quotes them and
 * escapes quotes, backslashes and control characters, so a hostile value
 * cannot forge a line or a key.  A line is written with one stdio call
 * (stdio locks the stream), so lines from several threads never mix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

void cli_now_iso(char *zBuf, size_t nBuf)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(zBuf, nBuf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, ts.tv_nsec / 1000000);
}

void cli_log(const char *zLevel, const char *zFmt, ...)
{
  char zTs[32], zMsg[2048];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(zMsg, sizeof(zMsg), zFmt, ap);
  va_end(ap);
  cli_now_iso(zTs, sizeof(zTs));
  fprintf(stderr, "ts=%s level=%s %s\n", zTs, zLevel, zMsg);
}

const char *cli_logq(char *zBuf, size_t nBuf, const char *z)
{
  static const char aHex[] = "0123456789abcdef";
  size_t j = 0;
  if(nBuf < 3)
    return "";
  zBuf[j++] = '"';
  for(const unsigned char *p = (const unsigned char *)(z ? z : "");
      *p && j + 5 < nBuf; p++) {
    if(*p == '"' || *p == '\\') {
      zBuf[j++] = '\\';
      zBuf[j++] = (char)*p;
    } else if(*p < 0x20 || *p == 0x7f) {
      zBuf[j++] = '\\';
      zBuf[j++] = 'x';
      zBuf[j++] = aHex[*p >> 4];
      zBuf[j++] = aHex[*p & 15];
    } else {
      zBuf[j++] = (char)*p;
    }
  }
  zBuf[j++] = '"';
  zBuf[j] = 0;
  return zBuf;
}
