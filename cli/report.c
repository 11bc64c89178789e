/* SPDX-License-Identifier: BSD-3-Clause
 *
 * report.c - `dicomqc report`: the QC report of one period, for the
 * department's morning read, as one self-contained HTML file, one flat
 * CSV table or one JSON document.
 *
 *   dicomqc report [--data-dir DIR | --db FILE] [--from DATE --to DATE]
 *                  --format html|csv|json --out FILE [--title TEXT]
 *
 * The period is [from, to), by default the 24 h before now.  Its images
 * (store_report_images(), by arrival) are counted per modality, station
 * and operator: images, distinct studies, verdicts, retake and warn rate
 * of the judged images (pass + warn + retake), the retake rate of the
 * studies judged pass, warn or retake, and the median and 10th
 * percentile of quality; the same numbers for the previous period of the
 * same length, [from - length, from), give the change.  Then the quality
 * histogram of each modality, the retake rate over time, and the flagged
 * studies and images whose verdict fell in the period
 * (store_flagged_list()) with their reasons, acknowledgment and a
 * thumbnail.
 *
 * Everything read from the database (so from DICOM headers: station and
 * operator names, reasons, comments) is untrusted: it is made valid UTF-8
 * and, in HTML, escaped (& < > " ').  The HTML needs no script and loads
 * nothing: styles are inline, charts are inline SVG, thumbnails are
 * data: URIs, and a Content-Security-Policy says so to the browser.  The
 * report is written to FILE.tmp, synced, then renamed over FILE.
 *
 * The database is opened with store_open(), which creates a missing
 * file, so its existence is checked first: a report never creates an
 * empty database.  Bins of the retake-rate chart start at --from.
 *
 * Tests: tests/cli/test_report.sh (every number against SQL, escaping,
 * Chromium rendering).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "report.h"
#include "thumb.h"

/* Milliseconds of an hour and of a day. */
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

/* Longest period accepted, days: ten years of daily bins. */
#define PERIOD_MAX_DAYS 3660

/* Periods up to this long get hourly bins in the retake-rate chart,
 * longer ones daily bins. */
#define HOURLY_MAX_MS (48 * HOUR_MS)

/* Flagged rows listed at most; the rest are counted as cut. */
#define FLAGGED_MAX 500

/* Bins of the quality histogram: 10 of 10 points over 0..100. */
#define HIST_BINS 10

/* Thumbnail size, pixels on the longer side. */
#define THUMB_PX 128

/* Output formats. */
enum rep_format { FMT_NONE, FMT_HTML, FMT_CSV, FMT_JSON };

/* Verdict classes of an image.  V_PENDING: received, no verdict yet. */
enum rep_verdict {
  V_PASS,
  V_WARN,
  V_RETAKE,
  V_UNSCORED,
  V_ERROR,
  V_PENDING,
  V_COUNT
};

/* Sections of the tables: the whole period, then one per dimension. */
enum rep_dim { DIM_ALL, DIM_MODALITY, DIM_STATION, DIM_OPERATOR, DIM_COUNT };

static const char *const azDimName[DIM_COUNT] = {"all", "modality", "station",
                                                 "operator"};
static const char *const azDimTitle[DIM_COUNT] = {
    "Summary", "Per modality", "Per station", "Per operator"};
static const char *const azDimHead[DIM_COUNT] = {"Scope", "Modality",
                                                 "Station", "Operator"};

/* Options. */
enum {
  OPT_DATA_DIR,
  OPT_DB,
  OPT_FROM,
  OPT_TO,
  OPT_FORMAT,
  OPT_OUT,
  OPT_TITLE,
  OPT_HELP,
  OPT_COUNT
};

static const struct cli_opt aOpt[OPT_COUNT] = {
    {"data-dir", 1, "DIR", "the node's data folder (./dicomqc-data)"},
    {"db", 1, "FILE", "the database (DATA_DIR/dicomqc.db)"},
    {"from", 1, "DATE", "start of the period (default: 24 h before --to)"},
    {"to", 1, "DATE", "end of the period, excluded (default: now)"},
    {"format", 1, "FMT", "html, csv or json (required)"},
    {"out", 1, "FILE", "the report to write; - for stdout (required)"},
    {"title", 1, "TEXT", "heading (default \"dicomqc QC report\")"},
    {"help", 0, "", "show this help and exit"},
};

/* What the command line asked for. */
struct rep_opts {
  const char *zDataDir; /* --data-dir, or NULL */
  const char *zDb;      /* --db, or NULL */
  const char *zFrom;    /* --from, or NULL */
  const char *zTo;      /* --to, or NULL */
  int iFormat;          /* enum rep_format */
  const char *zOut;     /* --out */
  const char *zTitle;   /* --title */
};

/* Strings interned to small integer ids (keys and study UIDs). */
struct rep_intern {
  char **az;     /* Strings by id, owned */
  size_t n;      /* Strings held */
  size_t nAlloc; /* Slots of az */
  int *aSlot;    /* Open-addressing table: id + 1, 0 when empty */
  size_t nSlot;  /* Slots of aSlot: a power of two, > 2 n */
};

/* One image of the current or previous period. */
struct rep_img {
  int64_t tMs;         /* Arrival, ms since 1970 UTC; INT64_MIN unknown */
  int iPeriod;         /* 0 current, 1 previous */
  int aKey[DIM_COUNT]; /* Interned key of each dimension */
  int iStudy;          /* Interned study UID, -1 when none */
  int iVerdict;        /* enum rep_verdict */
  int iStudyVerdict;   /* V_PASS, V_WARN or V_RETAKE; -1 otherwise */
  int hasQ;            /* 1 when q holds a value */
  double q;            /* Quality 0..100 */
};

/* The numbers of one group in one period. */
struct rep_count {
  int64_t nImage;            /* Images received */
  int64_t aVerdict[V_COUNT]; /* Images by verdict class */
  int64_t nStudy;            /* Distinct studies among them */
  int64_t nStudyJudged;      /* ... whose verdict is pass/warn/retake */
  int64_t nStudyRetake;      /* ... whose verdict is retake */
  int64_t nQ;                /* Images with a quality */
  double median;             /* Median quality; NAN when nQ is 0 */
  double p10;                /* 10th percentile (linear, numpy's
                                 default); NAN when nQ is 0 */
};

/* One row of a table: a key and its two periods. */
struct rep_group {
  const char *zKey;         /* Modality, station, operator or "all";
                                 owned by the intern table */
  struct rep_count a[2];    /* [0] current, [1] previous period */
  int64_t aHist[HIST_BINS]; /* Current period's quality histogram */
};

/* One table. */
struct rep_section {
  struct rep_group *a; /* Rows, by key */
  size_t n;            /* Rows */
};

/* One bin of the retake rate over time (current period). */
struct rep_bin {
  int64_t nImage;  /* Images received in the bin */
  int64_t nJudged; /* ... judged pass, warn or retake */
  int64_t nRetake; /* ... judged retake */
};

/* Text fields of a flagged row, owned and valid UTF-8 (NULL: absent). */
enum rep_field {
  F_KIND,
  F_STUDY,
  F_SERIES,
  F_SOP,
  F_MODALITY,
  F_BODY_PART,
  F_STATION,
  F_OPERATOR,
  F_ACCESSION,
  F_VERDICT,
  F_AT,
  F_RECEIVED_AT,
  F_FILE,
  F_ACK_ACTION,
  F_ACK_COMMENT,
  F_ACK_BY,
  F_ACK_AT,
  F_COUNT
};

/* JSON keys of the fields up to F_FILE (the ack is an object). */
static const char *const azFieldJson[F_ACK_ACTION] = {"kind",
                                                      "study_instance_uid",
                                                      "series_instance_uid",
                                                      "sop_instance_uid",
                                                      "modality",
                                                      "body_part",
                                                      "station",
                                                      "operator",
                                                      "accession",
                                                      "verdict",
                                                      "at",
                                                      "received_at",
                                                      "file"};

/* One flagged image or study, copied out of the callback. */
struct rep_flag {
  char *az[F_COUNT]; /* Text fields, owned */
  int64_t iInstance; /* Instance id, 0 for a study */
  int64_t iThumb;    /* Instance of the thumbnail, 0 when none */
  int64_t iAlert;    /* Alert id, 0 when none */
  int hasQuality;    /* 1 when quality holds a value */
  double quality;    /* Quality 0..100 */
  cJSON *pReasons;   /* Array of reason strings, owned */
  char *zPath;       /* Archive path as stored (for the thumbnail),
                           owned; NULL when none */
};

/* The whole report, computed before any byte is written. */
struct rep {
  int64_t tFrom;                      /* Period start, ms */
  int64_t tTo;                        /* Period end (excluded), ms */
  int64_t tPrevFrom;                  /* Previous period start, ms */
  char zFrom[32];                     /* tFrom as ISO-8601 */
  char zTo[32];                       /* tTo */
  char zPrevFrom[32];                 /* tPrevFrom */
  char zNow[32];                      /* When the report was made */
  char *zTitle;                       /* Heading, clean UTF-8, owned */
  char *zDbPath;                      /* Database read, clean, owned */
  struct rep_intern keys;             /* Modality/station/operator names */
  struct rep_intern studies;          /* Study UIDs */
  struct rep_img *aImg;               /* Images of both periods */
  size_t nImg;                        /* Images */
  size_t nImgAlloc;                   /* Slots of aImg */
  struct rep_section aSec[DIM_COUNT]; /* The tables */
  int64_t binMs;                      /* Width of a time bin, ms */
  size_t nBin;                        /* Bins over [tFrom, tTo) */
  struct rep_bin *aBin;               /* The bins */
  struct rep_flag *aFlag;             /* Flagged rows, newest first */
  size_t nFlag;                       /* Rows */
  size_t nFlagAlloc;                  /* Slots of aFlag */
  int isCut;                          /* More than FLAGGED_MAX flagged */
  int isNoMem;                        /* A callback ran out of memory */
};

/* ---- help and options ----------------------------------------------- */

static void usage(FILE *out)
{
  fprintf(out,
          "Usage: dicomqc report [OPTIONS] --format FMT --out FILE\n"
          "Write the QC report of one period: images, studies, retake and "
          "warn rates\nper modality, station and operator with the change "
          "against the previous\nperiod of the same length, quality "
          "histograms, the retake rate over time,\nand the flagged studies "
          "and images with reasons and acknowledgments.\n\nOptions:\n");
  cli_opt_help(out, aOpt, OPT_COUNT);
  fprintf(out,
          "\nDATE is UTC ISO-8601 as SQLite reads it: 2026-11-27, "
          "2026-11-27T06:00Z,\n2026-11-27 06:00:00.000, or with an offset "
          "such as 2026-11-27T07:00+01:00.\nThe period is [from, to), at "
          "most %d days; --from alone runs until now.\nThe previous period "
          "is as long and ends at --from.  Rates are of judged\nimages "
          "(pass + warn + retake) and of studies judged pass, warn or "
          "retake.\nThe HTML file is self-contained (no script, no external "
          "resource).\n\n"
          "CSV: one header line, then one row per line, columns\n"
          "  section  current, previous, change (current - previous), "
          "histogram or\n"
          "           timeline\n"
          "  group    all, modality, station or operator\n"
          "  key      its value, \"(none)\" when the header has none\n"
          "  images, studies, retake_rate, warn_rate, study_retake_rate, "
          "judged,\n"
          "  pass, warn, retake, unscored, error, pending (no verdict yet),\n"
          "  studies_judged, study_retakes, quality_median, quality_p10,\n"
          "  bin_from, bin_to\n"
          "Rates are fractions 0..1; a cell is empty when there is nothing "
          "to divide.\nhistogram rows: one per modality and 10-point "
          "quality bin, count in images.\ntimeline rows: one per hour (day "
          "for periods over 48 h) with images,\njudged, retake and "
          "retake_rate.  Text starting with = + - @ gets a\nleading ' so "
          "that spreadsheets do not run it.\n\n%s",
          PERIOD_MAX_DAYS, cli_exit_help);
}

/* Reads the format name z into *pFormat; -1 when unknown. */
static int parseFormat(const char *z, int *pFormat)
{
  static const char *const az[] = {"html", "csv", "json"};
  static const int aFormat[] = {FMT_HTML, FMT_CSV, FMT_JSON};

  for(size_t i = 0; i < sizeof az / sizeof az[0]; i++) {
    if(strcmp(z, az[i]) == 0) {
      *pFormat = aFormat[i];
      return 0;
    }
  }
  return -1;
}

/* Stores option k's value z in *o.  Returns -1 to go on, or an exit
 * code. */
static int setOpt(struct rep_opts *o, int k, const char *z)
{
  switch(k) {
  case OPT_DATA_DIR:
    o->zDataDir = z;
    break;
  case OPT_DB:
    o->zDb = z;
    break;
  case OPT_FROM:
    o->zFrom = z;
    break;
  case OPT_TO:
    o->zTo = z;
    break;
  case OPT_FORMAT:
    if(parseFormat(z, &o->iFormat) != 0) {
      return cli_usagef("report",
                        "option --format: '%s' is not html, csv or json", z);
    }
    break;
  case OPT_OUT:
    o->zOut = z;
    break;
  case OPT_TITLE:
    o->zTitle = z;
    break;
  case OPT_HELP:
    usage(stdout);
    return CLI_EXIT_OK;
  default:
    /* cli_opt_next() returns only indexes of aOpt. */
    return CLI_EXIT_USAGE;
  }
  return -1;
}

/* Parses argv into *o.  Returns -1 to go on, or an exit code. */
static int parseArgs(int argc, char **argv, struct rep_opts *o)
{
  int i;            /* argv index */
  int k = 0;        /* Option found */
  const char *zArg; /* Its value */
  int rc;           /* What cli_opt_next() or setOpt() said */

  for(i = 1; i < argc; i++) {
    rc = cli_opt_next("report", aOpt, OPT_COUNT, OPT_HELP, argc, argv, &i, &k,
                      &zArg);
    if(rc == CLI_OPT_END) {
      if(i < argc) {
        return cli_usagef("report", "argument '%s': unexpected", argv[i]);
      }
      break;
    }
    if(rc == CLI_OPT_POSITIONAL) {
      return cli_usagef("report", "argument '%s': unexpected", argv[i]);
    }
    if(rc != CLI_OPT_FOUND) {
      return rc;
    }
    rc = setOpt(o, k, zArg);
    if(rc >= 0) {
      return rc;
    }
  }
  if(o->iFormat == FMT_NONE) {
    return cli_usagef("report", "option --format: missing (html, csv or "
                                "json)");
  }
  if(o->zOut == NULL || o->zOut[0] == '\0') {
    return cli_usagef("report", "option --out: missing (a file, or - for "
                                "stdout)");
  }
  if(o->zDb != NULL && o->zDataDir != NULL) {
    return cli_usagef("report", "options --db and --data-dir: give one");
  }
  return -1;
}

/* ---- time ----------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian): days_from_civil()
 * of H. Hinnant, "chrono-Compatible Low-Level Date Algorithms",
 * howardhinnant.github.io/date_algorithms.html. */
static int64_t daysFromCivil(int64_t y, int m, int d)
{
  int64_t era; /* 400-year era */
  int64_t yoe; /* Year of era, 0..399 */
  int64_t doy; /* Day of year from March 1st, 0..365 */
  int64_t doe; /* Day of era, 0..146096 */

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Reads n digits of *pz as a number into *pV, advancing *pz.  Returns 0,
 * or -1 when a digit is missing. */
static int digits(const char **pz, int n, int *pV)
{
  int v = 0; /* Value so far */

  for(int i = 0; i < n; i++) {
    if((*pz)[i] < '0' || (*pz)[i] > '9') {
      return -1;
    }
    v = v * 10 + ((*pz)[i] - '0');
  }
  *pz += n;
  *pV = v;
  return 0;
}

/* Days in month m (1..12) of year y. */
static int monthDays(int y, int m)
{
  static const int aDays[12] = {31, 28, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
  int isLeap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

  return m == 2 && isLeap ? 29 : aDays[m - 1];
}

/* Reads "HH:MM[:SS[.fff...]]" into milliseconds since midnight. */
static int parseClock(const char **pz, int64_t *pMs)
{
  int h = 0, mi = 0, s = 0; /* Hour, minute, second */
  int64_t ms = 0;           /* Fraction, ms */
  int64_t scale = 100;      /* Weight of the next fraction digit */
  const char *z = *pz;      /* Cursor */

  if(digits(&z, 2, &h) || *z++ != ':' || digits(&z, 2, &mi)) {
    return -1;
  }
  if(*z == ':') {
    z++;
    if(digits(&z, 2, &s)) {
      return -1;
    }
    if(*z == '.') {
      z++;
      if(*z < '0' || *z > '9') {
        return -1;
      }
      for(; *z >= '0' && *z <= '9'; z++) {
        ms += scale * (*z - '0');
        scale /= 10;
      }
    }
  }
  if(h > 23 || mi > 59 || s > 59) {
    return -1;
  }
  *pz = z;
  *pMs = ((int64_t)h * 3600 + mi * 60 + s) * 1000 + ms;
  return 0;
}

/* Reads a zone suffix: "", "Z", or "+HH:MM" / "-HH:MM", into the
 * offset east of UTC in ms. */
static int parseZone(const char *z, int64_t *pOffMs)
{
  int h = 0, mi = 0; /* Offset */
  int sign;          /* +1 or -1 */

  *pOffMs = 0;
  if(*z == '\0' || (z[0] == 'Z' && z[1] == '\0')) {
    return 0;
  }
  if(*z != '+' && *z != '-') {
    return -1;
  }
  sign = *z++ == '-' ? -1 : 1;
  if(digits(&z, 2, &h) || *z++ != ':' || digits(&z, 2, &mi) || *z != '\0' ||
     h > 14 || mi > 59) {
    return -1;
  }
  *pOffMs = sign * ((int64_t)h * 3600 + mi * 60) * 1000;
  return 0;
}

/* Parses z, "YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|(+|-)HH:MM]" (the
 * ISO-8601 forms SQLite's date functions read; year 1900..9999), into
 * ms since 1970-01-01 UTC.  Returns 0, or -1 when z is not such a
 * time. */
static int parseTime(const char *z, int64_t *pMs)
{
  int y = 0, m = 0, d = 0; /* Date */
  int64_t ms = 0;          /* Time of day */
  int64_t off = 0;         /* Zone offset */

  if(digits(&z, 4, &y) || *z++ != '-' || digits(&z, 2, &m) || *z++ != '-' ||
     digits(&z, 2, &d)) {
    return -1;
  }
  if(y < 1900 || m < 1 || m > 12 || d < 1 || d > monthDays(y, m)) {
    return -1;
  }
  if(*z == 'T' || *z == ' ') {
    z++;
    if(parseClock(&z, &ms) != 0) {
      return -1;
    }
  }
  if(parseZone(z, &off) != 0) {
    return -1;
  }
  *pMs = daysFromCivil(y, m, d) * DAY_MS + ms - off;
  return 0;
}

/* Writes t (ms since 1970, UTC) as "2026-11-27T14:00:00.000Z" to zBuf
 * (32 bytes). */
static void formatTime(int64_t t, char *zBuf)
{
  int64_t s = t >= 0 ? t / 1000 : -((-t + 999) / 1000); /* Floor */
  time_t tt = (time_t)s;                                /* For gmtime */
  struct tm tm;                                         /* Its fields */
  size_t n;                                             /* strftime() */

  if(gmtime_r(&tt, &tm) == NULL) {
    snprintf(zBuf, 32, "?");
    return;
  }
  n = strftime(zBuf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(zBuf + n, 32 - n, ".%03dZ", (int)(t - s * 1000));
}

/* The current time, ms since 1970. */
static int64_t nowMs(void)
{
  struct timespec ts; /* From the system clock */

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a --from/--to value; a usage error names the option. */
static int readDate(const char *zOpt, const char *z, int64_t *pMs)
{
  if(parseTime(z, pMs) != 0) {
    return cli_usagef("report",
                      "option --%s: '%s' is not a UTC time like 2026-11-27 "
                      "or 2026-11-27T06:00Z",
                      zOpt, z);
  }
  return -1;
}

/* Sets the period of r from the options.  Returns -1 to go on, or an
 * exit code. */
static int resolvePeriod(const struct rep_opts *o, struct rep *r)
{
  int rc; /* readDate() */

  r->tTo = nowMs();
  if(o->zTo != NULL) {
    rc = readDate("to", o->zTo, &r->tTo);
    if(rc >= 0) {
      return rc;
    }
  }
  r->tFrom = r->tTo - 24 * HOUR_MS;
  if(o->zFrom != NULL) {
    rc = readDate("from", o->zFrom, &r->tFrom);
    if(rc >= 0) {
      return rc;
    }
  }
  if(r->tFrom >= r->tTo) {
    return cli_usagef("report",
                      "options --from and --to: the period is empty (from "
                      "%s is not before to %s)",
                      o->zFrom ? o->zFrom : "-", o->zTo ? o->zTo : "now");
  }
  if(r->tTo - r->tFrom > PERIOD_MAX_DAYS * DAY_MS) {
    return cli_usagef("report",
                      "options --from and --to: the period is longer than "
                      "%d days",
                      PERIOD_MAX_DAYS);
  }
  r->tPrevFrom = r->tFrom - (r->tTo - r->tFrom);
  formatTime(r->tFrom, r->zFrom);
  formatTime(r->tTo, r->zTo);
  formatTime(r->tPrevFrom, r->zPrevFrom);
  formatTime(nowMs(), r->zNow);
  return -1;
}

/* ---- untrusted text ------------------------------------------------- */

/* Length of the valid UTF-8 sequence at z (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0 when z does not start one. */
static size_t utf8Length(const unsigned char *z)
{
  size_t n; /* Bytes of the sequence */

  if(z[0] < 0x80) {
    return 1;
  }
  if(z[0] >= 0xc2 && z[0] <= 0xdf) {
    n = 2;
  } else if(z[0] >= 0xe0 && z[0] <= 0xef) {
    n = 3;
  } else if(z[0] >= 0xf0 && z[0] <= 0xf4) {
    n = 4;
  } else {
    return 0;
  }
  for(size_t i = 1; i < n; i++) {
    if((z[i] & 0xc0) != 0x80) {
      return 0;
    }
  }
  if((z[0] == 0xe0 && z[1] < 0xa0) || (z[0] == 0xed && z[1] > 0x9f) ||
     (z[0] == 0xf0 && z[1] < 0x90) || (z[0] == 0xf4 && z[1] > 0x8f)) {
    return 0;
  }
  return n;
}

/* Returns a copy of z that is valid UTF-8 without control characters:
 * each byte that does not start a valid sequence becomes U+FFFD, each
 * control character a space.  NULL for NULL z or when memory is short.
 * The caller frees it with free(). */
static char *cleanDup(const char *z)
{
  const unsigned char *p = (const unsigned char *)z; /* Cursor */
  char *zOut;                                        /* The copy */
  size_t j = 0;                                      /* Bytes written */
  size_t n;                                          /* Sequence length */

  if(z == NULL) {
    return NULL;
  }
  zOut = malloc(3 * strlen(z) + 1);
  if(zOut == NULL) {
    return NULL;
  }
  while(*p) {
    n = utf8Length(p);
    if(n == 0) {
      memcpy(zOut + j, "\xef\xbf\xbd", 3);
      j += 3;
      p++;
    } else if(n == 1 && (*p < 0x20 || *p == 0x7f)) {
      zOut[j++] = ' ';
      p++;
    } else {
      memcpy(zOut + j, p, n);
      j += n;
      p += n;
    }
  }
  zOut[j] = '\0';
  return zOut;
}

/* Writes z to out with & < > " ' escaped, for HTML text and attribute
 * values.  z is clean UTF-8 (cleanDup()) or a string of ours. */
static void htmlText(FILE *out, const char *z)
{
  for(; z != NULL && *z; z++) {
    switch(*z) {
    case '&':
      fputs("&amp;", out);
      break;
    case '<':
      fputs("&lt;", out);
      break;
    case '>':
      fputs("&gt;", out);
      break;
    case '"':
      fputs("&quot;", out);
      break;
    case '\'':
      fputs("&#39;", out);
      break;
    default:
      fputc(*z, out);
    }
  }
}

/* ---- interning ------------------------------------------------------ */

/* FNV-1a, 32 bits (Fowler, Noll, Vo; www.isthe.com/chongo/tech/comp/fnv):
 * offset basis 2166136261, prime 16777619. */
static uint32_t strHash(const char *z)
{
  uint32_t h = 2166136261u; /* Running hash */

  for(; *z; z++) {
    h = (h ^ (unsigned char)*z) * 16777619u;
  }
  return h;
}

/* Doubles the hash table of p and re-inserts every string. */
static int internGrow(struct rep_intern *p)
{
  size_t nSlot = p->nSlot ? 2 * p->nSlot : 64; /* New size */
  int *aSlot = calloc(nSlot, sizeof *aSlot);   /* New table */

  if(aSlot == NULL) {
    return -1;
  }
  for(size_t i = 0; i < p->n; i++) {
    size_t h = strHash(p->az[i]) & (nSlot - 1);
    while(aSlot[h] != 0) {
      h = (h + 1) & (nSlot - 1);
    }
    aSlot[h] = (int)i + 1;
  }
  free(p->aSlot);
  p->aSlot = aSlot;
  p->nSlot = nSlot;
  return 0;
}

/* Appends zOwned (clean, malloc()ed) to p's strings as id p->n; p takes
 * it over on success. */
static int internAdd(struct rep_intern *p, char *zOwned)
{
  char **az; /* Grown array */

  if(p->n == p->nAlloc) {
    size_t nNew = p->nAlloc ? 2 * p->nAlloc : 32;
    az = realloc(p->az, nNew * sizeof *az);
    if(az == NULL) {
      return -1;
    }
    p->az = az;
    p->nAlloc = nNew;
  }
  p->az[p->n++] = zOwned;
  return 0;
}

/* Writes the id of z, made clean UTF-8 (cleanDup()), in p to *pId,
 * adding it when new: two texts that clean alike share an id.  Returns
 * 0, or -1 when memory is short. */
static int internGet(struct rep_intern *p, const char *z, int *pId)
{
  char *zClean; /* z made clean */
  size_t h;     /* Slot tried */

  if(2 * (p->n + 1) >= p->nSlot && internGrow(p) != 0) {
    return -1;
  }
  zClean = cleanDup(z);
  if(zClean == NULL) {
    return -1;
  }
  h = strHash(zClean) & (p->nSlot - 1);
  while(p->aSlot[h] != 0) {
    if(strcmp(p->az[p->aSlot[h] - 1], zClean) == 0) {
      *pId = p->aSlot[h] - 1;
      free(zClean);
      return 0;
    }
    h = (h + 1) & (p->nSlot - 1);
  }
  if(internAdd(p, zClean) != 0) {
    free(zClean);
    return -1;
  }
  p->aSlot[h] = (int)p->n;
  *pId = (int)p->n - 1;
  return 0;
}

static void internFree(struct rep_intern *p)
{
  for(size_t i = 0; i < p->n; i++) {
    free(p->az[i]);
  }
  free(p->az);
  free(p->aSlot);
  memset(p, 0, sizeof *p);
}

/* ---- reading the images --------------------------------------------- */

/* Verdict class of an image's verdict text (NULL: not scored yet). */
static int verdictClass(const char *z)
{
  static const char *const az[] = {"pass", "warn", "retake", "unscored",
                                   "error"};

  if(z == NULL) {
    return V_PENDING;
  }
  for(int i = 0; i < (int)(sizeof az / sizeof az[0]); i++) {
    if(strcmp(z, az[i]) == 0) {
      return i;
    }
  }
  /* The schema allows no other; count the unknown as unscored. */
  return V_UNSCORED;
}

/* Context of the image callback. */
struct img_ctx {
  struct rep *r; /* The report */
  int iPeriod;   /* Period being read: 0 current, 1 previous */
};

/* Makes room for one more image. */
static int imgReserve(struct rep *r)
{
  struct rep_img *a; /* Grown array */

  if(r->nImg < r->nImgAlloc) {
    return 0;
  }
  size_t nNew = r->nImgAlloc ? 2 * r->nImgAlloc : 256;
  a = realloc(r->aImg, nNew * sizeof *a);
  if(a == NULL) {
    return -1;
  }
  r->aImg = a;
  r->nImgAlloc = nNew;
  return 0;
}

static int onImage(void *pCtx, const struct store_report_image *p)
{
  struct img_ctx *c = pCtx; /* Report and period */
  struct rep *r = c->r;     /* The report */
  const char *azKey[DIM_COUNT] = {"all", p->zModality, p->zStation,
                                  p->zOperator}; /* Raw keys */
  struct rep_img *pImg;                          /* The new image */
  int sv;                                        /* Study verdict class */

  if(imgReserve(r) != 0) {
    r->isNoMem = 1;
    return 1;
  }
  pImg = &r->aImg[r->nImg];
  memset(pImg, 0, sizeof *pImg);
  pImg->iPeriod = c->iPeriod;
  if(p->zReceivedAt == NULL || parseTime(p->zReceivedAt, &pImg->tMs) != 0) {
    pImg->tMs = INT64_MIN;
  }
  for(int d = 0; d < DIM_COUNT; d++) {
    const char *z = azKey[d];
    if(z == NULL || z[0] == '\0') {
      z = "(none)";
    }
    if(internGet(&r->keys, z, &pImg->aKey[d]) != 0) {
      r->isNoMem = 1;
      return 1;
    }
  }
  pImg->iStudy = -1;
  if(p->zStudyUid != NULL &&
     internGet(&r->studies, p->zStudyUid, &pImg->iStudy) != 0) {
    r->isNoMem = 1;
    return 1;
  }
  pImg->iVerdict = verdictClass(p->zVerdict);
  sv = p->zStudyVerdict ? verdictClass(p->zStudyVerdict) : -1;
  pImg->iStudyVerdict = sv >= V_PASS && sv <= V_RETAKE ? sv : -1;
  pImg->hasQ = p->hasQuality && isfinite(p->quality);
  pImg->q = p->quality;
  r->nImg++;
  return 0;
}

/* ---- reading the flagged rows --------------------------------------- */

/* The reasons of zJson (a JSON array of sentences) as a new cJSON array
 * of clean strings; elements that are not strings are skipped, text
 * that is not a JSON array gives an empty array.  NULL when memory is
 * short. */
static cJSON *parseReasons(const char *zJson)
{
  cJSON *pIn = zJson ? cJSON_Parse(zJson) : NULL; /* As stored */
  cJSON *pOut = cJSON_CreateArray();              /* Clean copy */
  cJSON *pEl;                                     /* Element */

  if(pOut != NULL && cJSON_IsArray(pIn)) {
    cJSON_ArrayForEach(pEl, pIn)
    {
      char *z = cJSON_IsString(pEl) ? cleanDup(pEl->valuestring) : NULL;
      if(z != NULL) {
        cJSON_AddItemToArray(pOut, cJSON_CreateString(z));
      }
      free(z);
    }
  }
  cJSON_Delete(pIn);
  return pOut;
}

static void flagFree(struct rep_flag *f)
{
  for(int i = 0; i < F_COUNT; i++) {
    free(f->az[i]);
  }
  cJSON_Delete(f->pReasons);
  free(f->zPath);
}

/* Copies the callback's row into *f.  Returns 0, or -1 (f freed) when
 * memory is short. */
static int flagCopy(struct rep_flag *f, const struct store_flagged *p)
{
  const char *az[F_COUNT] = {
      p->zKind,      p->zStudyUid,  p->zSeriesUid,  p->zSopUid,
      p->zModality,  p->zBodyPart,  p->zStation,    p->zOperator,
      p->zAccession, p->zVerdict,   p->zAt,         p->zReceivedAt,
      p->zFilePath,  p->zAckAction, p->zAckComment, p->zAckBy,
      p->zAckAt}; /* Raw fields in enum order */
  int isBad = 0;  /* A copy failed */

  memset(f, 0, sizeof *f);
  for(int i = 0; i < F_COUNT; i++) {
    f->az[i] = cleanDup(az[i]);
    isBad |= az[i] != NULL && f->az[i] == NULL;
  }
  f->iInstance = p->iInstance;
  f->iThumb = p->iThumbInstance;
  f->iAlert = p->iAlert;
  f->hasQuality = p->hasQuality && isfinite(p->quality);
  f->quality = p->quality;
  f->pReasons = parseReasons(p->zReasonsJson);
  f->zPath = p->zFilePath ? strdup(p->zFilePath) : NULL;
  isBad |= p->zFilePath != NULL && f->zPath == NULL;
  if(isBad || f->pReasons == NULL) {
    flagFree(f);
    return -1;
  }
  return 0;
}

static int onFlagged(void *pCtx, const struct store_flagged *p)
{
  struct rep *r = pCtx; /* The report */
  struct rep_flag *a;   /* Grown array */

  if(r->nFlag == FLAGGED_MAX) {
    r->isCut = 1;
    return 1;
  }
  if(r->nFlag == r->nFlagAlloc) {
    size_t nNew = r->nFlagAlloc ? 2 * r->nFlagAlloc : 32;
    a = realloc(r->aFlag, nNew * sizeof *a);
    if(a == NULL) {
      r->isNoMem = 1;
      return 1;
    }
    r->aFlag = a;
    r->nFlagAlloc = nNew;
  }
  if(flagCopy(&r->aFlag[r->nFlag], p) != 0) {
    r->isNoMem = 1;
    return 1;
  }
  r->nFlag++;
  return 0;
}

/* Reads both periods' images and the flagged rows of the period.
 * Returns 0, or -1 after naming the failure. */
static int readStore(store *pDb, struct rep *r)
{
  struct img_ctx cur = {r, 0};  /* Current period */
  struct img_ctx prev = {r, 1}; /* Previous period */
  int rc;                       /* Store status */

  rc = store_report_images(pDb, r->zFrom, r->zTo, onImage, &cur);
  if(rc == STORE_OK && !r->isNoMem) {
    rc = store_report_images(pDb, r->zPrevFrom, r->zFrom, onImage, &prev);
  }
  if(rc == STORE_OK && !r->isNoMem) {
    /* One more than listed, to know whether the list is cut. */
    rc = store_flagged_list(pDb, r->zFrom, r->zTo, FLAGGED_MAX + 1, onFlagged,
                            r);
  }
  if(rc != STORE_OK) {
    cli_errorf("%s: cannot read the report's data: %s", r->zDbPath,
               store_errmsg(pDb));
    return -1;
  }
  if(r->isNoMem) {
    cli_errorf("%s: out of memory reading the report's data", r->zDbPath);
    return -1;
  }
  return 0;
}

/* ---- computing ------------------------------------------------------ */

/* One image in a table's sort order. */
struct rep_key {
  int iKey;    /* Interned key */
  int iPeriod; /* 0 current, 1 previous */
  int iStudy;  /* Interned study, -1 none */
  size_t iImg; /* Index in r->aImg */
};

static int cmpKey(const void *pA, const void *pB)
{
  const struct rep_key *a = pA, *b = pB;

  if(a->iKey != b->iKey) {
    return a->iKey < b->iKey ? -1 : 1;
  }
  if(a->iPeriod != b->iPeriod) {
    return a->iPeriod - b->iPeriod;
  }
  if(a->iStudy != b->iStudy) {
    return a->iStudy < b->iStudy ? -1 : 1;
  }
  return a->iImg < b->iImg ? -1 : a->iImg > b->iImg;
}

static int cmpDouble(const void *pA, const void *pB)
{
  double a = *(const double *)pA, b = *(const double *)pB;

  return a < b ? -1 : a > b;
}

/* The p-quantile of the n (>= 1) sorted values of a, linearly
 * interpolated between closest ranks: Hyndman and Fan's definition 7,
 * numpy.percentile's default and Python's statistics.quantiles(...,
 * method='inclusive'). */
static double quantile(const double *a, size_t n, double p)
{
  double h = (double)(n - 1) * p; /* Fractional rank */
  size_t lo = (size_t)floor(h);   /* Rank below */

  if(lo + 1 >= n) {
    return a[n - 1];
  }
  return a[lo] + (h - (double)lo) * (a[lo + 1] - a[lo]);
}

/* Counts the images aKey[i0..i1) of one (key, period) run into *c;
 * aQ has room for i1 - i0 qualities; aHist (NULL: none) gets the
 * histogram. */
static void countRun(const struct rep *r, const struct rep_key *aKey,
                     size_t i0, size_t i1, double *aQ, struct rep_count *c,
                     int64_t *aHist)
{
  int iLastStudy = -1; /* Study of the previous image of the run */

  memset(c, 0, sizeof *c);
  for(size_t i = i0; i < i1; i++) {
    const struct rep_img *pImg = &r->aImg[aKey[i].iImg];
    c->nImage++;
    c->aVerdict[pImg->iVerdict]++;
    if(aKey[i].iStudy >= 0 && aKey[i].iStudy != iLastStudy) {
      c->nStudy++;
      c->nStudyJudged += pImg->iStudyVerdict >= 0;
      c->nStudyRetake += pImg->iStudyVerdict == V_RETAKE;
    }
    iLastStudy = aKey[i].iStudy;
    if(pImg->hasQ) {
      aQ[c->nQ++] = pImg->q;
      if(aHist != NULL) {
        int b = (int)floor(pImg->q / (100.0 / HIST_BINS));
        aHist[b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b]++;
      }
    }
  }
  c->median = NAN;
  c->p10 = NAN;
  if(c->nQ > 0) {
    qsort(aQ, (size_t)c->nQ, sizeof *aQ, cmpDouble);
    c->median = quantile(aQ, (size_t)c->nQ, 0.5);
    c->p10 = quantile(aQ, (size_t)c->nQ, 0.1);
  }
}

/* Appends an empty group for key id iKey to *s. */
static struct rep_group *groupAdd(const struct rep *r, struct rep_section *s,
                                  int iKey)
{
  struct rep_group *g = &s->a[s->n++]; /* The new row */

  memset(g, 0, sizeof *g);
  g->zKey = r->keys.az[iKey];
  for(int k = 0; k < 2; k++) {
    g->a[k].median = NAN;
    g->a[k].p10 = NAN;
  }
  return g;
}

static int cmpGroup(const void *pA, const void *pB)
{
  const struct rep_group *a = pA, *b = pB;

  return strcmp(a->zKey, b->zKey);
}

/* Fills table d from the images: one group per key, by key text. */
static int computeSection(struct rep *r, int d, struct rep_key *aKey,
                          double *aQ)
{
  struct rep_section *s = &r->aSec[d]; /* The table */
  struct rep_group *g = NULL;          /* Row being filled */
  int iKey = -1;                       /* Its key */
  size_t i0, i1;                       /* One (key, period) run */

  for(size_t i = 0; i < r->nImg; i++) {
    aKey[i].iKey = r->aImg[i].aKey[d];
    aKey[i].iPeriod = r->aImg[i].iPeriod;
    aKey[i].iStudy = r->aImg[i].iStudy;
    aKey[i].iImg = i;
  }
  qsort(aKey, r->nImg, sizeof *aKey, cmpKey);
  s->a = calloc(r->nImg ? r->nImg : 1, sizeof *s->a);
  if(s->a == NULL) {
    return -1;
  }
  for(i0 = 0; i0 < r->nImg; i0 = i1) {
    for(i1 = i0 + 1; i1 < r->nImg && aKey[i1].iKey == aKey[i0].iKey &&
                     aKey[i1].iPeriod == aKey[i0].iPeriod;
        i1++) {
    }
    if(g == NULL || aKey[i0].iKey != iKey) {
      iKey = aKey[i0].iKey;
      g = groupAdd(r, s, iKey);
    }
    countRun(r, aKey, i0, i1, aQ, &g->a[aKey[i0].iPeriod],
             aKey[i0].iPeriod == 0 ? g->aHist : NULL);
  }
  qsort(s->a, s->n, sizeof *s->a, cmpGroup);
  return 0;
}

/* Bins the current period's images over time. */
static int computeBins(struct rep *r)
{
  int64_t len = r->tTo - r->tFrom; /* Period length, ms */

  r->binMs = len <= HOURLY_MAX_MS ? HOUR_MS : DAY_MS;
  r->nBin = (size_t)((len + r->binMs - 1) / r->binMs);
  r->aBin = calloc(r->nBin, sizeof *r->aBin);
  if(r->aBin == NULL) {
    return -1;
  }
  for(size_t i = 0; i < r->nImg; i++) {
    const struct rep_img *p = &r->aImg[i];
    if(p->iPeriod != 0 || p->tMs < r->tFrom || p->tMs >= r->tTo) {
      continue;
    }
    struct rep_bin *b = &r->aBin[(p->tMs - r->tFrom) / r->binMs];
    b->nImage++;
    b->nJudged += p->iVerdict <= V_RETAKE;
    b->nRetake += p->iVerdict == V_RETAKE;
  }
  return 0;
}

/* Computes every table and the bins.  Returns 0, or -1 when memory is
 * short. */
static int compute(struct rep *r)
{
  struct rep_key *aKey = malloc((r->nImg ? r->nImg : 1) * sizeof *aKey);
  double *aQ = malloc((r->nImg ? r->nImg : 1) * sizeof *aQ);
  int rc = aKey && aQ ? 0 : -1; /* Status */

  int iAll = 0; /* Key id of "all" */

  for(int d = 0; rc == 0 && d < DIM_COUNT; d++) {
    rc = computeSection(r, d, aKey, aQ);
  }
  /* The summary has its row even when no image arrived. */
  if(rc == 0 && r->aSec[DIM_ALL].n == 0) {
    rc = internGet(&r->keys, "all", &iAll);
    if(rc == 0) {
      groupAdd(r, &r->aSec[DIM_ALL], iAll);
    }
  }
  if(rc == 0) {
    rc = computeBins(r);
  }
  free(aKey);
  free(aQ);
  if(rc != 0) {
    cli_errorf("out of memory computing the report");
  }
  return rc;
}

/* ---- the numbers of a group ----------------------------------------- */

/* Kinds of number. */
enum { M_COUNT, M_RATE, M_QUALITY };

/* One number of a group: its CSV/JSON name, HTML label and kind. */
struct rep_metric {
  const char *zName;  /* CSV column and JSON key */
  const char *zLabel; /* HTML column heading */
  int iKind;          /* M_COUNT, M_RATE or M_QUALITY */
  int inHtml;         /* 1 when the HTML tables show it */
};

/* In CSV column order. */
enum {
  MET_IMAGES,
  MET_STUDIES,
  MET_RETAKE_RATE,
  MET_WARN_RATE,
  MET_STUDY_RETAKE_RATE,
  MET_JUDGED,
  MET_PASS,
  MET_WARN,
  MET_RETAKE,
  MET_UNSCORED,
  MET_ERROR,
  MET_PENDING,
  MET_STUDIES_JUDGED,
  MET_STUDY_RETAKES,
  MET_QUALITY_MEDIAN,
  MET_QUALITY_P10,
  MET_COUNT
};

static const struct rep_metric aMetric[MET_COUNT] = {
    {"images", "Images", M_COUNT, 1},
    {"studies", "Studies", M_COUNT, 1},
    {"retake_rate", "Retake rate", M_RATE, 1},
    {"warn_rate", "Warn rate", M_RATE, 1},
    {"study_retake_rate", "Study retake rate", M_RATE, 1},
    {"judged", "Judged", M_COUNT, 1},
    {"pass", "Pass", M_COUNT, 0},
    {"warn", "Warn", M_COUNT, 0},
    {"retake", "Retake", M_COUNT, 0},
    {"unscored", "Unscored", M_COUNT, 1},
    {"error", "Errors", M_COUNT, 1},
    {"pending", "Not scored yet", M_COUNT, 1},
    {"studies_judged", "Studies judged", M_COUNT, 0},
    {"study_retakes", "Study retakes", M_COUNT, 0},
    {"quality_median", "Quality median", M_QUALITY, 1},
    {"quality_p10", "Quality P10", M_QUALITY, 1},
};

/* num / den, or NAN when den is 0. */
static double ratio(int64_t num, int64_t den)
{
  return den > 0 ? (double)num / (double)den : NAN;
}

/* Metric m of c; NAN when undefined (a rate of nothing, no quality). */
static double metricValue(const struct rep_count *c, int m)
{
  int64_t nJudged = c->aVerdict[V_PASS] + c->aVerdict[V_WARN] +
                    c->aVerdict[V_RETAKE]; /* Judged images */

  switch(m) {
  case MET_IMAGES:
    return (double)c->nImage;
  case MET_STUDIES:
    return (double)c->nStudy;
  case MET_RETAKE_RATE:
    return ratio(c->aVerdict[V_RETAKE], nJudged);
  case MET_WARN_RATE:
    return ratio(c->aVerdict[V_WARN], nJudged);
  case MET_STUDY_RETAKE_RATE:
    return ratio(c->nStudyRetake, c->nStudyJudged);
  case MET_JUDGED:
    return (double)nJudged;
  case MET_STUDIES_JUDGED:
    return (double)c->nStudyJudged;
  case MET_STUDY_RETAKES:
    return (double)c->nStudyRetake;
  case MET_QUALITY_MEDIAN:
    return c->median;
  case MET_QUALITY_P10:
    return c->p10;
  default:
    break;
  }
  /* MET_PASS .. MET_PENDING follow the verdict classes' order. */
  return (double)c->aVerdict[m - MET_PASS];
}

/* Metric m of period k of g: k 0 current, 1 previous, 2 the change
 * (current - previous; NAN when either is undefined). */
static double groupValue(const struct rep_group *g, int k, int m)
{
  if(k < 2) {
    return metricValue(&g->a[k], m);
  }
  return metricValue(&g->a[0], m) - metricValue(&g->a[1], m);
}

/* ---- CSV ------------------------------------------------------------ */

/* Writes one CSV text cell (RFC 4180 quoting; a leading = + - @ gets a
 * ' so that spreadsheets do not read a formula) and a comma. */
static void csvText(FILE *out, const char *z)
{
  int isFormula = z[0] == '=' || z[0] == '+' || z[0] == '-' || z[0] == '@';

  fputc('"', out);
  if(isFormula) {
    fputc('\'', out);
  }
  for(; *z; z++) {
    if(*z == '"') {
      fputc('"', out);
    }
    fputc(*z, out);
  }
  fputs("\",", out);
}

/* Writes one CSV number cell: empty for NAN, an integer for counts. */
static void csvNumber(FILE *out, double v, int iKind)
{
  if(isnan(v)) {
    return;
  }
  if(iKind == M_COUNT) {
    fprintf(out, "%.0f", v);
  } else {
    fprintf(out, "%.10g", v);
  }
}

static void csvHeader(FILE *out)
{
  fputs("section,group,key", out);
  for(int m = 0; m < MET_COUNT; m++) {
    fprintf(out, ",%s", aMetric[m].zName);
  }
  fputs(",bin_from,bin_to\r\n", out);
}

/* Writes one CSV row: the metric cells aV (NAN: empty) and the bin
 * bounds ("" when not a bin). */
static void csvRow(FILE *out, const char *zSection, const char *zGroup,
                   const char *zKey, const double *aV, const char *zBinFrom,
                   const char *zBinTo)
{
  fprintf(out, "%s,%s,", zSection, zGroup);
  csvText(out, zKey);
  for(int m = 0; m < MET_COUNT; m++) {
    csvNumber(out, aV[m], aMetric[m].iKind);
    fputc(',', out);
  }
  fprintf(out, "%s,%s\r\n", zBinFrom, zBinTo);
}

/* Sets the MET_COUNT cells of aV to NAN (empty). */
static void csvClear(double *aV)
{
  for(int m = 0; m < MET_COUNT; m++) {
    aV[m] = NAN;
  }
}

/* Writes the rows of section k (0 current, 1 previous, 2 change). */
static void csvGroups(FILE *out, const struct rep *r, int k)
{
  static const char *const azSection[3] = {"current", "previous", "change"};
  double aV[MET_COUNT]; /* One row's numbers */

  for(int d = 0; d < DIM_COUNT; d++) {
    for(size_t i = 0; i < r->aSec[d].n; i++) {
      const struct rep_group *g = &r->aSec[d].a[i];
      for(int m = 0; m < MET_COUNT; m++) {
        aV[m] = groupValue(g, k, m);
      }
      csvRow(out, azSection[k], azDimName[d], g->zKey, aV, "", "");
    }
  }
}

static void csvHistograms(FILE *out, const struct rep *r)
{
  const struct rep_section *s = &r->aSec[DIM_MODALITY]; /* Modalities */
  double aV[MET_COUNT];                                 /* One row's numbers */
  char zA[8], zB[8];                                    /* Bin bounds */

  csvClear(aV);
  for(size_t i = 0; i < s->n; i++) {
    if(s->a[i].a[0].nImage == 0) {
      continue;
    }
    for(int b = 0; b < HIST_BINS; b++) {
      aV[MET_IMAGES] = (double)s->a[i].aHist[b];
      snprintf(zA, sizeof zA, "%d", b * 100 / HIST_BINS);
      snprintf(zB, sizeof zB, "%d", (b + 1) * 100 / HIST_BINS);
      csvRow(out, "histogram", "modality", s->a[i].zKey, aV, zA, zB);
    }
  }
}

static void csvTimeline(FILE *out, const struct rep *r)
{
  double aV[MET_COUNT]; /* One row's numbers */
  char zA[32], zB[32];  /* Bin bounds */

  csvClear(aV);
  for(size_t i = 0; i < r->nBin; i++) {
    const struct rep_bin *b = &r->aBin[i];
    int64_t t1 = r->tFrom + (int64_t)(i + 1) * r->binMs;
    formatTime(r->tFrom + (int64_t)i * r->binMs, zA);
    formatTime(t1 < r->tTo ? t1 : r->tTo, zB);
    aV[MET_IMAGES] = (double)b->nImage;
    aV[MET_JUDGED] = (double)b->nJudged;
    aV[MET_RETAKE] = (double)b->nRetake;
    aV[MET_RETAKE_RATE] = ratio(b->nRetake, b->nJudged);
    csvRow(out, "timeline", "all", "all", aV, zA, zB);
  }
}

static void writeCsv(FILE *out, const struct rep *r)
{
  csvHeader(out);
  for(int k = 0; k < 3; k++) {
    csvGroups(out, r, k);
  }
  csvHistograms(out, r);
  csvTimeline(out, r);
}

/* ---- JSON ----------------------------------------------------------- */

/* Adds v as zKey, or null when v is NAN. */
static void jsonNumber(cJSON *o, const char *zKey, double v)
{
  if(isnan(v)) {
    cJSON_AddNullToObject(o, zKey);
  } else {
    cJSON_AddNumberToObject(o, zKey, v);
  }
}

static void jsonText(cJSON *o, const char *zKey, const char *z)
{
  if(z == NULL) {
    cJSON_AddNullToObject(o, zKey);
  } else {
    cJSON_AddStringToObject(o, zKey, z);
  }
}

/* The object of group g: key, current, previous, change. */
static cJSON *jsonGroup(const struct rep_group *g)
{
  static const char *const azPart[3] = {"current", "previous", "change"};
  cJSON *o = cJSON_CreateObject(); /* The group */

  cJSON_AddStringToObject(o, "key", g->zKey);
  for(int k = 0; k < 3; k++) {
    cJSON *p = cJSON_AddObjectToObject(o, azPart[k]);
    for(int m = 0; m < MET_COUNT; m++) {
      jsonNumber(p, aMetric[m].zName, groupValue(g, k, m));
    }
  }
  return o;
}

static void jsonGroups(cJSON *root, const struct rep *r)
{
  cJSON *pGroups = cJSON_AddObjectToObject(root, "groups");

  for(int d = 0; d < DIM_COUNT; d++) {
    cJSON *a = cJSON_AddArrayToObject(pGroups, azDimName[d]);
    for(size_t i = 0; i < r->aSec[d].n; i++) {
      cJSON_AddItemToArray(a, jsonGroup(&r->aSec[d].a[i]));
    }
  }
}

static void jsonCharts(cJSON *root, const struct rep *r)
{
  const struct rep_section *s = &r->aSec[DIM_MODALITY]; /* Modalities */
  cJSON *a = cJSON_AddArrayToObject(root, "quality_histograms");
  char zA[32], zB[32]; /* Bin bounds */

  for(size_t i = 0; i < s->n; i++) {
    if(s->a[i].a[0].nImage == 0) {
      continue;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *c = cJSON_AddArrayToObject(o, "counts");
    cJSON_AddStringToObject(o, "modality", s->a[i].zKey);
    cJSON_AddNumberToObject(o, "bin_width", 100.0 / HIST_BINS);
    for(int b = 0; b < HIST_BINS; b++) {
      cJSON_AddItemToArray(c, cJSON_CreateNumber((double)s->a[i].aHist[b]));
    }
    cJSON_AddItemToArray(a, o);
  }
  cJSON_AddStringToObject(root, "timeline_bin",
                          r->binMs == HOUR_MS ? "hour" : "day");
  a = cJSON_AddArrayToObject(root, "retake_over_time");
  for(size_t i = 0; i < r->nBin; i++) {
    const struct rep_bin *b = &r->aBin[i];
    int64_t t1 = r->tFrom + (int64_t)(i + 1) * r->binMs;
    cJSON *o = cJSON_CreateObject();
    formatTime(r->tFrom + (int64_t)i * r->binMs, zA);
    formatTime(t1 < r->tTo ? t1 : r->tTo, zB);
    cJSON_AddStringToObject(o, "from", zA);
    cJSON_AddStringToObject(o, "to", zB);
    cJSON_AddNumberToObject(o, "images", (double)b->nImage);
    cJSON_AddNumberToObject(o, "judged", (double)b->nJudged);
    cJSON_AddNumberToObject(o, "retake", (double)b->nRetake);
    jsonNumber(o, "retake_rate", ratio(b->nRetake, b->nJudged));
    cJSON_AddItemToArray(a, o);
  }
}

/* The object of flagged row f. */
static cJSON *jsonFlag(const struct rep_flag *f)
{
  cJSON *o = cJSON_CreateObject(); /* The row */
  cJSON *pAck;                     /* Its acknowledgment */

  for(int i = 0; i < F_ACK_ACTION; i++) {
    jsonText(o, azFieldJson[i], f->az[i]);
  }
  cJSON_AddNumberToObject(o, "instance", (double)f->iInstance);
  cJSON_AddNumberToObject(o, "thumbnail_instance", (double)f->iThumb);
  cJSON_AddNumberToObject(o, "alert", (double)f->iAlert);
  jsonNumber(o, "quality", f->hasQuality ? f->quality : NAN);
  cJSON_AddItemToObject(o, "reasons", cJSON_Duplicate(f->pReasons, 1));
  if(f->az[F_ACK_ACTION] == NULL) {
    cJSON_AddNullToObject(o, "ack");
    return o;
  }
  pAck = cJSON_AddObjectToObject(o, "ack");
  jsonText(pAck, "action", f->az[F_ACK_ACTION]);
  jsonText(pAck, "comment", f->az[F_ACK_COMMENT]);
  jsonText(pAck, "by", f->az[F_ACK_BY]);
  jsonText(pAck, "at", f->az[F_ACK_AT]);
  return o;
}

/* Writes the JSON document.  Returns 0, or -1 when memory is short. */
static int writeJson(FILE *out, const struct rep *r)
{
  cJSON *root = cJSON_CreateObject(); /* The document */
  cJSON *a;                           /* Flagged rows */
  char *zText;                        /* Printed */

  jsonText(root, "title", r->zTitle);
  jsonText(root, "from", r->zFrom);
  jsonText(root, "to", r->zTo);
  jsonText(root, "previous_from", r->zPrevFrom);
  jsonText(root, "previous_to", r->zFrom);
  jsonText(root, "generated_at", r->zNow);
  jsonGroups(root, r);
  jsonCharts(root, r);
  a = cJSON_AddArrayToObject(root, "flagged");
  for(size_t i = 0; i < r->nFlag; i++) {
    cJSON_AddItemToArray(a, jsonFlag(&r->aFlag[i]));
  }
  cJSON_AddBoolToObject(root, "flagged_truncated", r->isCut);
  zText = cJSON_Print(root);
  cJSON_Delete(root);
  if(zText == NULL) {
    return -1;
  }
  fputs(zText, out);
  fputc('\n', out);
  free(zText);
  return 0;
}

/* ---- HTML: text helpers --------------------------------------------- */

/* Writes a stored time "2026-11-27T14:00:05.123Z" as "2026-11-27
 * 14:00:05 UTC"; any other text as it is.  Escaped. */
static void htmlTime(FILE *out, const char *z)
{
  if(z != NULL && strlen(z) >= 20 && z[10] == 'T' && z[19] == '.') {
    fprintf(out, "%.10s %.8s UTC", z, z + 11);
  } else {
    htmlText(out, z ? z : "-");
  }
}

/* Writes value v of kind iKind as the tables show it, with its unit. */
static void htmlValue(FILE *out, double v, int iKind)
{
  if(isnan(v)) {
    fputs("<span class=\"na\">&ndash;</span>", out);
  } else if(iKind == M_RATE) {
    fprintf(out, "%.1f&nbsp;%%", 100.0 * v);
  } else if(iKind == M_QUALITY) {
    fprintf(out, "%.1f", v);
  } else {
    fprintf(out, "%.0f", v);
  }
}

/* Writes the change d of kind iKind ("+1.2 pp", "-3"); nothing for
 * NAN.  A rise in a retake, warn or error number is marked bad. */
static void htmlChange(FILE *out, double d, int iKind, int isBadUp)
{
  const char *zClass = "d"; /* Style of the change */

  if(isnan(d)) {
    return;
  }
  if(isBadUp && d > 0) {
    zClass = "d up";
  } else if(isBadUp && d < 0) {
    zClass = "d down";
  }
  fprintf(out, "<br><span class=\"%s\">", zClass);
  if(iKind == M_RATE) {
    fprintf(out, "%+.1f&nbsp;pp", 100.0 * d);
  } else if(iKind == M_QUALITY) {
    fprintf(out, "%+.1f", d);
  } else {
    fprintf(out, "%+.0f", d);
  }
  fputs("</span>", out);
}

/* ---- HTML: head and tables ------------------------------------------ */

/* The style sheet: screen, then print (no backgrounds needed, rows and
 * charts kept whole, a new page before each big section). */
static const char zCss[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,"
    "Helvetica,Arial,sans-serif;color:#1b1f24;margin:24px auto;"
    "max-width:1160px;padding:0 16px}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;"
    "border-bottom:2px solid #d0d7de;padding-bottom:4px}\n"
    "h3{font-size:15px;margin:16px 0 6px}.meta{color:#57606a;margin:0}\n"
    "table{border-collapse:collapse;width:100%;margin:6px 0 12px}\n"
    "th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:right;"
    "vertical-align:top}\n"
    "th{background:#f3f5f7;font-weight:600}td.k,th.k{text-align:left}\n"
    "td.k{word-break:break-word;max-width:260px}\n"
    ".d{font-size:12px;color:#57606a}.d.up{color:#b3261e}"
    ".d.down{color:#1a7f37}.na{color:#8c959f}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}\n"
    "figure{margin:0;border:1px solid #d0d7de;padding:8px}"
    "figcaption{font-weight:600;margin-bottom:4px}\n"
    "svg text{font:11px sans-serif;fill:#1b1f24}\n"
    "svg .bar{fill:#3b6ea5}svg .rt{fill:#b3261e}svg .ax{stroke:#57606a}\n"
    "svg .nd{fill:#d0d7de}\n"
    "table.flags td,table.flags th{text-align:left}\n"
    ".v{font-weight:700;text-transform:uppercase}.v.retake{color:#b3261e}"
    ".v.warn{color:#9a6700}\n"
    ".thumb img{display:block;max-width:128px;max-height:128px}\n"
    ".noimg{width:96px;height:64px;border:1px dashed #8c959f;color:#57606a;"
    "display:flex;align-items:center;justify-content:center;"
    "font-size:12px}\n"
    "ul.r{margin:0;padding-left:18px}.uid{color:#57606a;font-size:11px;"
    "word-break:break-all}\n"
    ".ack{color:#1a7f37}.noack{color:#57606a}\n"
    "@media print{body{margin:0;max-width:none;font-size:11px}"
    "th{background:none}h2.big{break-before:page;page-break-before:always}"
    "tr,figure,.thumb{break-inside:avoid;page-break-inside:avoid}"
    "thead{display:table-header-group}"
    "h2,h3{break-after:avoid;page-break-after:avoid}}\n";

static void htmlHead(FILE *out, const struct rep *r)
{
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\""
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n<title>",
        out);
  htmlText(out, r->zTitle);
  fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", zCss);
  htmlText(out, r->zTitle);
  fputs("</h1>\n<p class=\"meta\">Period ", out);
  htmlTime(out, r->zFrom);
  fputs(" to ", out);
  htmlTime(out, r->zTo);
  fputs(" (end excluded); compared with ", out);
  htmlTime(out, r->zPrevFrom);
  fputs(" to ", out);
  htmlTime(out, r->zFrom);
  fputs(".</p>\n<p class=\"meta\">Generated ", out);
  htmlTime(out, r->zNow);
  fputs(" from ", out);
  htmlText(out, r->zDbPath);
  fputs(". Rates are of judged images (pass, warn, retake) and of studies "
        "judged pass, warn or retake; the small figures are the change "
        "against the previous period (pp: percentage points). Quality is "
        "0&ndash;100.</p>\n",
        out);
}

/* Whether a rise in metric m is bad news (shown red). */
static int isBadUp(int m)
{
  return m == MET_RETAKE_RATE || m == MET_WARN_RATE ||
         m == MET_STUDY_RETAKE_RATE || m == MET_UNSCORED || m == MET_ERROR;
}

/* Writes table d: one row per group, each cell the current value and
 * its change. */
static void htmlTable(FILE *out, const struct rep *r, int d)
{
  const struct rep_section *s = &r->aSec[d]; /* The table */
  int nCol = 1;                              /* Columns */

  fprintf(out, "<h2%s id=\"%s\">", d == DIM_ALL ? "" : " class=\"big\"",
          azDimName[d]);
  htmlText(out, azDimTitle[d]);
  fputs("</h2>\n<table>\n<thead><tr><th class=\"k\">", out);
  fputs(azDimHead[d], out);
  fputs("</th>", out);
  for(int m = 0; m < MET_COUNT; m++) {
    if(aMetric[m].inHtml) {
      fprintf(out, "<th>%s</th>", aMetric[m].zLabel);
      nCol++;
    }
  }
  fputs("</tr></thead>\n<tbody>\n", out);
  if(s->n == 0) {
    fprintf(out,
            "<tr><td class=\"k\" colspan=\"%d\">No images in either "
            "period.</td></tr>\n",
            nCol);
  }
  for(size_t i = 0; i < s->n; i++) {
    fputs("<tr><td class=\"k\">", out);
    htmlText(out, d == DIM_ALL ? "All images" : s->a[i].zKey);
    fputs("</td>", out);
    for(int m = 0; m < MET_COUNT; m++) {
      if(!aMetric[m].inHtml) {
        continue;
      }
      fputs("<td>", out);
      htmlValue(out, groupValue(&s->a[i], 0, m), aMetric[m].iKind);
      htmlChange(out, groupValue(&s->a[i], 2, m), aMetric[m].iKind,
                 isBadUp(m));
      fputs("</td>", out);
    }
    fputs("</tr>\n", out);
  }
  fputs("</tbody>\n</table>\n", out);
}

/* ---- HTML: charts --------------------------------------------------- */

/* Geometry of the histogram, SVG user units. */
#define HG_W  300 /* Width */
#define HG_H  170 /* Height */
#define HG_X0 40  /* Plot left */
#define HG_X1 290 /* Plot right */
#define HG_Y0 12  /* Plot top */
#define HG_Y1 140 /* Plot bottom (axis) */

/* The quality histogram of group g as an SVG bar chart. */
static void htmlHistogram(FILE *out, const struct rep_group *g)
{
  int64_t nMax = 1;                                /* Tallest bar */
  double bw = (double)(HG_X1 - HG_X0) / HIST_BINS; /* Bar width */

  for(int b = 0; b < HIST_BINS; b++) {
    nMax = g->aHist[b] > nMax ? g->aHist[b] : nMax;
  }
  fputs("<figure><figcaption>", out);
  htmlText(out, g->zKey);
  fprintf(out,
          ": quality of %lld images</figcaption>\n<svg xmlns=\"http://www.w3"
          ".org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
          "role=\"img\">\n",
          (long long)g->a[0].nQ, HG_W, HG_H, HG_W, HG_H);
  for(int b = 0; b < HIST_BINS; b++) {
    double h = (double)(HG_Y1 - HG_Y0) * (double)g->aHist[b] / (double)nMax;
    fprintf(out,
            "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
            "height=\"%.1f\"><title>quality %d-%d: %lld images</title>"
            "</rect>\n",
            HG_X0 + b * bw + 1, HG_Y1 - h, bw - 2, h, b * 10, b * 10 + 10,
            (long long)g->aHist[b]);
  }
  fprintf(out,
          "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
          "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n"
          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n"
          "<text x=\"%d\" y=\"%d\">0</text>"
          "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">50</text>"
          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">100</text>\n"
          "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">quality "
          "(0-100)</text>\n</svg></figure>\n",
          HG_X0, HG_Y1, HG_X1, HG_Y1, HG_X0, HG_Y0, HG_X0, HG_Y1, HG_X0 - 4,
          HG_Y0 + 8, (long long)nMax, HG_X0 - 4, HG_Y1, HG_X0, HG_Y1 + 14,
          (HG_X0 + HG_X1) / 2, HG_Y1 + 14, HG_X1, HG_Y1 + 14,
          (HG_X0 + HG_X1) / 2, HG_Y1 + 28);
}

static void htmlHistograms(FILE *out, const struct rep *r)
{
  const struct rep_section *s = &r->aSec[DIM_MODALITY]; /* Modalities */
  int n = 0;                                            /* Charts */

  fputs("<h2 class=\"big\" id=\"quality\">Quality distribution per "
        "modality</h2>\n<div class=\"charts\">\n",
        out);
  for(size_t i = 0; i < s->n; i++) {
    if(s->a[i].a[0].nImage > 0) {
      htmlHistogram(out, &s->a[i]);
      n++;
    }
  }
  if(n == 0) {
    fputs("<p>No images in the period.</p>\n", out);
  }
  fputs("</div>\n", out);
}

/* Geometry of the retake-rate chart, SVG user units. */
#define TL_W  1000 /* Width */
#define TL_H  230  /* Height */
#define TL_X0 56   /* Plot left */
#define TL_X1 985  /* Plot right */
#define TL_Y0 12   /* Plot top */
#define TL_Y1 180  /* Plot bottom (axis) */

/* The top of the rate axis: the first of 5, 10, 20, 25, 50, 100 % at or
 * above the highest rate. */
static double rateAxisMax(const struct rep *r)
{
  static const double aTop[] = {0.05, 0.1, 0.2, 0.25, 0.5, 1.0};
  double maxRate = 0; /* Highest bin */
  size_t i;           /* Bin, then step */

  for(i = 0; i < r->nBin; i++) {
    double v = ratio(r->aBin[i].nRetake, r->aBin[i].nJudged);
    maxRate = !isnan(v) && v > maxRate ? v : maxRate;
  }
  for(i = 0; i + 1 < sizeof aTop / sizeof aTop[0]; i++) {
    if(maxRate <= aTop[i]) {
      break;
    }
  }
  return aTop[i];
}

/* Label of the start of bin i: "HH:00" for hours, "MM-DD" for days. */
static void binLabel(const struct rep *r, size_t i, char *zBuf)
{
  char z[32]; /* Bin start */

  formatTime(r->tFrom + (int64_t)i * r->binMs, z);
  if(r->binMs == HOUR_MS) {
    snprintf(zBuf, 32, "%.5s", z + 11);
  } else {
    snprintf(zBuf, 32, "%.5s", z + 5);
  }
}

/* One bar of the retake-rate chart. */
static void htmlBinBar(FILE *out, const struct rep *r, size_t i, double top)
{
  const struct rep_bin *b = &r->aBin[i];                 /* The bin */
  double bw = (double)(TL_X1 - TL_X0) / (double)r->nBin; /* Bar width */
  double x = TL_X0 + (double)i * bw;                     /* Bar left */
  double v = ratio(b->nRetake, b->nJudged);              /* Its rate */
  double h;                                              /* Bar height */
  char zA[32];                                           /* Bin start */

  formatTime(r->tFrom + (int64_t)i * r->binMs, zA);
  if(isnan(v)) {
    fprintf(out,
            "<rect class=\"nd\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
            "height=\"3\"><title>%.16s: no judged images</title></rect>\n",
            x + bw * 0.1, TL_Y1 - 3, bw * 0.8, zA);
    return;
  }
  h = (double)(TL_Y1 - TL_Y0) * v / top;
  fprintf(out,
          "<rect class=\"rt\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
          "height=\"%.2f\"><title>%.16s: %.1f %% (%lld of %lld judged)"
          "</title></rect>\n",
          x + bw * 0.1, TL_Y1 - h, bw * 0.8, h, zA, 100.0 * v,
          (long long)b->nRetake, (long long)b->nJudged);
}

static void htmlTimeline(FILE *out, const struct rep *r)
{
  double top = rateAxisMax(r);                           /* Axis top */
  size_t nStep = r->nBin > 12 ? (r->nBin + 11) / 12 : 1; /* Label step */
  double bw = (double)(TL_X1 - TL_X0) / (double)r->nBin; /* Bar width */
  char zL[32];                                           /* Label */

  fprintf(out,
          "<h2 class=\"big\" id=\"timeline\">Retake rate over time</h2>\n"
          "<figure><figcaption>Retake rate of judged images per %s (grey: "
          "none judged)</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/"
          "svg\" width=\"100%%\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
          r->binMs == HOUR_MS ? "hour" : "day", TL_W, TL_H);
  for(size_t i = 0; i < r->nBin; i++) {
    htmlBinBar(out, r, i, top);
  }
  fprintf(out,
          "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
          "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f %%</text>\n"
          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0 %%</text>\n",
          TL_X0, TL_Y1, TL_X1, TL_Y1, TL_X0, TL_Y0, TL_X0, TL_Y1, TL_X0 - 4,
          TL_Y0 + 8, 100.0 * top, TL_X0 - 4, TL_Y1);
  for(size_t i = 0; i < r->nBin; i += nStep) {
    binLabel(r, i, zL);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s"
            "</text>\n",
            TL_X0 + ((double)i + 0.5) * bw, TL_Y1 + 16, zL);
  }
  fprintf(out,
          "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time (UTC), bin "
          "start</text>\n</svg></figure>\n",
          (TL_X0 + TL_X1) / 2, TL_Y1 + 40);
}

/* ---- HTML: flagged list --------------------------------------------- */

/* Thumbnails of one HTML report. */
struct thumb_ctx {
  struct dicom_limits limits; /* Decoder limits (the defaults) */
  int nMissing;               /* Flagged rows shown without one */
  char zFirstErr[600];        /* Why the first of them failed */
};

/* The thumbnail cell of f: its image (a study's worst image) rendered
 * by cli_thumb_png() as an inline PNG data: URI, or "no image" when the
 * file is gone from the archive or does not decode. */
static void htmlThumb(FILE *out, const struct rep_flag *f, struct thumb_ctx *t)
{
  unsigned char *aPng = NULL; /* The PNG */
  size_t nPng = 0;            /* Its bytes */
  char *zB64 = NULL;          /* Its base64 */
  char zErr[600];             /* Why it failed */

  snprintf(zErr, sizeof zErr, "no file recorded");
  if(f->zPath != NULL && cli_thumb_png(f->zPath, &t->limits, THUMB_PX, &aPng,
                                       &nPng, zErr, sizeof zErr) == 0) {
    zB64 = cli_base64(aPng, nPng);
    snprintf(zErr, sizeof zErr, "out of memory");
  }
  if(zB64 == NULL) {
    if(t->nMissing++ == 0) {
      snprintf(t->zFirstErr, sizeof t->zFirstErr, "%s", zErr);
    }
    fputs("<div class=\"noimg\">no image</div>", out);
  } else {
    fprintf(out, "<img alt=\"thumbnail\" src=\"data:image/png;base64,%s\">",
            zB64);
  }
  free(aPng);
  free(zB64);
}

static void htmlReasons(FILE *out, const struct rep_flag *f)
{
  const cJSON *pEl; /* One reason */

  if(cJSON_GetArraySize(f->pReasons) == 0) {
    fputs("<span class=\"na\">no reason recorded</span>", out);
    return;
  }
  fputs("<ul class=\"r\">", out);
  cJSON_ArrayForEach(pEl, f->pReasons)
  {
    fputs("<li>", out);
    htmlText(out, pEl->valuestring);
    fputs("</li>", out);
  }
  fputs("</ul>", out);
}

static void htmlAck(FILE *out, const struct rep_flag *f)
{
  if(f->az[F_ACK_ACTION] == NULL) {
    fputs("<span class=\"noack\">not acknowledged</span>", out);
    return;
  }
  fputs("<span class=\"ack\"><b>", out);
  htmlText(out, f->az[F_ACK_ACTION]);
  fputs("</b></span>", out);
  if(f->az[F_ACK_BY] != NULL) {
    fputs(" by ", out);
    htmlText(out, f->az[F_ACK_BY]);
  }
  fputs("<br>", out);
  htmlTime(out, f->az[F_ACK_AT]);
  if(f->az[F_ACK_COMMENT] != NULL) {
    fputs("<br>&ldquo;", out);
    htmlText(out, f->az[F_ACK_COMMENT]);
    fputs("&rdquo;", out);
  }
}

/* Writes text z of a flagged row, or "(none)" as the tables do. */
static void htmlCell(FILE *out, const char *z)
{
  fputs("<td>", out);
  htmlText(out, z && z[0] ? z : "(none)");
  fputs("</td>", out);
}

static void htmlFlagRow(FILE *out, const struct rep_flag *f,
                        struct thumb_ctx *t)
{
  const char *zV = f->az[F_VERDICT] ? f->az[F_VERDICT] : "?"; /* Verdict */

  fputs("<tr><td class=\"thumb\">", out);
  htmlThumb(out, f, t);
  fprintf(out, "</td><td><span class=\"v %s\">",
          strcmp(zV, "retake") == 0 ? "retake" : "warn");
  htmlText(out, zV);
  fputs("</span> ", out);
  htmlText(out, f->az[F_KIND]);
  fputs("<br>", out);
  htmlText(out, f->az[F_MODALITY] ? f->az[F_MODALITY] : "-");
  if(f->az[F_BODY_PART] != NULL) {
    fputs(" &middot; ", out);
    htmlText(out, f->az[F_BODY_PART]);
  }
  if(f->hasQuality) {
    fprintf(out, "<br>quality %.1f", f->quality);
  }
  fputs("<div class=\"uid\">", out);
  htmlText(out, f->az[f->iInstance ? F_SOP : F_STUDY]);
  fputs("</div></td><td>", out);
  htmlTime(out, f->az[F_AT]);
  fputs("</td>", out);
  htmlCell(out, f->az[F_STATION]);
  htmlCell(out, f->az[F_OPERATOR]);
  htmlCell(out, f->az[F_ACCESSION]);
  fputs("<td>", out);
  htmlReasons(out, f);
  fputs("</td><td>", out);
  htmlAck(out, f);
  fputs("</td></tr>\n", out);
}

/* The flagged list; thumbnails not shown are counted in *t. */
static void htmlFlagged(FILE *out, const struct rep *r, struct thumb_ctx *t)
{
  fprintf(out,
          "<h2 class=\"big\" id=\"flagged\">Flagged studies and images "
          "(%zu%s)</h2>\n",
          r->nFlag, r->isCut ? ", newest shown, more not listed" : "");
  if(r->nFlag == 0) {
    fputs("<p>No study or image was flagged in the period.</p>\n", out);
    return;
  }
  fputs("<table class=\"flags\">\n<thead><tr><th>Image</th><th>Verdict"
        "</th><th>Time</th><th>Station</th><th>Operator</th><th>Accession"
        "</th><th>Reasons</th><th>Acknowledgment</th></tr></thead>\n"
        "<tbody>\n",
        out);
  for(size_t i = 0; i < r->nFlag; i++) {
    htmlFlagRow(out, &r->aFlag[i], t);
  }
  fputs("</tbody>\n</table>\n", out);
}

static void writeHtml(FILE *out, const struct rep *r)
{
  struct thumb_ctx t; /* Thumbnails */

  memset(&t, 0, sizeof t);
  dicom_limits_default(&t.limits);
  htmlHead(out, r);
  for(int d = 0; d < DIM_COUNT; d++) {
    htmlTable(out, r, d);
  }
  htmlHistograms(out, r);
  htmlTimeline(out, r);
  htmlFlagged(out, r, &t);
  fputs("</body>\n</html>\n", out);
  if(t.nMissing > 0) {
    cli_warnf("%d flagged row%s shown without a thumbnail; the first: %s",
              t.nMissing, t.nMissing == 1 ? "" : "s", t.zFirstErr);
  }
}

/* ---- output file ---------------------------------------------------- */

/* Writes the report in format iFormat to out.  Returns 0, or -1 when
 * memory is short. */
static int writeReport(FILE *out, const struct rep *r, int iFormat)
{
  switch(iFormat) {
  case FMT_HTML:
    writeHtml(out, r);
    return 0;
  case FMT_CSV:
    writeCsv(out, r);
    return 0;
  case FMT_JSON:
    return writeJson(out, r);
  default:
    /* parseArgs() made sure of a format. */
    return -1;
  }
}

/* Writes the report to zOut through zOut.tmp: written, flushed, synced,
 * closed, then renamed, so FILE is either the old file or the whole new
 * report.  "-" writes stdout.  Returns 0, or -1 after naming the
 * failure (the temp file is removed). */
static int writeOut(const char *zOut, const struct rep *r, int iFormat)
{
  char *zTmp;   /* zOut.tmp */
  FILE *out;    /* The temp file */
  int rc;       /* Status */
  int iErr = 0; /* errno of the failure */

  if(strcmp(zOut, "-") == 0) {
    rc = writeReport(stdout, r, iFormat);
    if(rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
      cli_errorf("stdout: cannot write the report: %s", strerror(errno));
      return -1;
    }
    if(rc != 0) {
      cli_errorf("out of memory writing the report");
    }
    return rc;
  }
  zTmp = malloc(strlen(zOut) + 5);
  if(zTmp == NULL) {
    cli_errorf("out of memory writing the report");
    return -1;
  }
  snprintf(zTmp, strlen(zOut) + 5, "%s.tmp", zOut);
  out = fopen(zTmp, "w");
  if(out == NULL) {
    cli_errorf("%s: cannot create the report: %s", zTmp, strerror(errno));
    free(zTmp);
    return -1;
  }
  rc = writeReport(out, r, iFormat);
  if(fflush(out) != 0 || ferror(out) || fsync(fileno(out)) != 0) {
    iErr = errno;
    rc = -1;
  }
  if(fclose(out) != 0 && rc == 0) {
    iErr = errno;
    rc = -1;
  }
  if(rc == 0 && rename(zTmp, zOut) != 0) {
    iErr = errno;
    rc = -1;
  }
  if(rc != 0) {
    if(iErr != 0) {
      cli_errorf("%s: cannot write the report: %s", zTmp, strerror(iErr));
    } else {
      cli_errorf("out of memory writing the report");
    }
    unlink(zTmp);
  }
  free(zTmp);
  return rc;
}

/* ---- main ----------------------------------------------------------- */

static void repFree(struct rep *r)
{
  for(int d = 0; d < DIM_COUNT; d++) {
    free(r->aSec[d].a);
  }
  for(size_t i = 0; i < r->nFlag; i++) {
    flagFree(&r->aFlag[i]);
  }
  free(r->aFlag);
  free(r->aBin);
  free(r->aImg);
  internFree(&r->keys);
  internFree(&r->studies);
  free(r->zTitle);
  free(r->zDbPath);
}

int cli_report_main(int argc, char **argv)
{
  struct rep_opts o = {0};       /* Options */
  struct rep r;                  /* The report */
  char zPath[1100];              /* The database */
  store *pDb = NULL;             /* Its handle */
  int exitCode = CLI_EXIT_INPUT; /* Result */
  int rc;                        /* parseArgs()/resolvePeriod() */

  memset(&r, 0, sizeof r);
  o.zTitle = "dicomqc QC report";
  rc = parseArgs(argc, argv, &o);
  if(rc < 0) {
    rc = resolvePeriod(&o, &r);
  }
  if(rc >= 0) {
    return rc;
  }
  if(o.zDb != NULL) {
    snprintf(zPath, sizeof zPath, "%s", o.zDb);
  } else {
    snprintf(zPath, sizeof zPath, "%s/dicomqc.db",
             o.zDataDir ? o.zDataDir : "./dicomqc-data");
  }
  r.zTitle = cleanDup(o.zTitle);
  r.zDbPath = cleanDup(zPath);
  if(r.zTitle == NULL || r.zDbPath == NULL) {
    cli_errorf("out of memory");
    goto report_end;
  }
  pDb = cli_db_open_existing(zPath);
  if(pDb == NULL) {
    goto report_end;
  }
  if(readStore(pDb, &r) != 0 || compute(&r) != 0) {
    goto report_end;
  }
  if(writeOut(o.zOut, &r, o.iFormat) != 0) {
    goto report_end;
  }
  exitCode = CLI_EXIT_OK;
report_end:
  store_close(pDb);
  repFree(&r);
  return exitCode;
}
