/* SPDX-License-Identifier: BSD-3-Clause
 *
 * config.c - the node's settings: one table drives the INI file (inih),
 * the command-line flags and `dicomqc serve --help`.  Precedence: the
 * defaults, then --config FILE, then the other flags, wherever they stand.
 *
 * Every value is checked as it is read; an error names the key or flag,
 * the value and what is allowed (and, for the file, the line).
 */
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* How a setting's text becomes its value. */
enum cfgType {
  CFG_STR,    /* Text, copied (bounded) into a char array */
  CFG_UINT,   /* Decimal integer in 1..nMax */
  CFG_PORT,   /* TCP port 1..65535, or 0 for any free port */
  CFG_COUNT,  /* Decimal integer in 0..nMax */
  CFG_AET,    /* AE title: 1..16 characters, no backslash or control */
  CFG_METRICS /* "all" or metric names, comma-separated (as a CFG_STR) */
};

/* One setting: the INI key, the flag, and where it lives. */
static const struct {
  const char *zKey;  /* INI key in [node], and --flag with '_' -> '-' */
  const char *zFlag; /* Flag, without "--" */
  enum cfgType type; /* How to parse */
  size_t iOff;       /* Offset in struct cli_serve_cfg */
  size_t nSize;      /* For CFG_STR: size of the char array */
  uint64_t nMax;     /* For CFG_UINT: largest value */
  const char *zArg;  /* Value name in --help */
  const char *zHelp; /* Help text (default in parentheses) */
} aSet[] = {
#define STR(f)                                                                \
  offsetof(struct cli_serve_cfg, f), sizeof(((struct cli_serve_cfg *)0)->f)
#define NUM(f) offsetof(struct cli_serve_cfg, f), 0
    {"ae_title", "aet", CFG_AET, STR(zAet), 0, "TITLE",
     "our AE title; associations calling another are refused (DICOMQC)"},
    {"port", "port", CFG_PORT, NUM(nPort), 65535, "N",
     "TCP port to listen on; 0 = any free one, logged (11112)"},
    {"data_dir", "data-dir", CFG_STR, STR(zDataDir), 0, "DIR",
     "archive at DIR/archive, database at DIR/dicomqc.db (./dicomqc-data)"},
    {"archive_dir", "archive-dir", CFG_STR, STR(zArchive), 0, "DIR",
     "archive folder (DATA_DIR/archive)"},
    {"database", "db", CFG_STR, STR(zDb), 0, "FILE",
     "SQLite database (DATA_DIR/dicomqc.db)"},
    {"max_associations", "max-assoc", CFG_UINT, NUM(nMaxAssoc), 256, "N",
     "concurrent associations (16)"},
    {"allow", "allow", CFG_STR, STR(zAllow), 0, "AE[@HOST],...",
     "only these calling AE titles (optionally from HOST) may connect "
     "(everyone)"},
    {"workers", "workers", CFG_COUNT, NUM(nWorkers), 256, "N",
     "scoring threads; 0 = receive only, the queue waits (one per core)"},
    {"study_idle", "study-idle", CFG_UINT, NUM(nStudyIdle), 86400, "SECONDS",
     "a study is complete after this long without a new instance (60)"},
    {"model_dir", "model-dir", CFG_STR, STR(zModelDir), 0, "DIR",
     "BRISQUE/NIQE model folder (the source tree's models/)"},
    {"profile_dir", "profile-dir", CFG_STR, STR(zProfileDir), 0, "DIR",
     "modality profiles, *.ini (MODEL_DIR/profiles)"},
    {"metrics", "metrics", CFG_METRICS, STR(zMetrics), 0, "LIST",
     "metrics the workers run, comma-separated names as in "
     "`dicomqc score --help` (all)"},
    {"acse_timeout", "acse-timeout", CFG_UINT, NUM(nAcseTimeout), 3600, "S",
     "association negotiation timeout, seconds (30)"},
    {"dimse_timeout", "dimse-timeout", CFG_UINT, NUM(nDimseTimeout), 3600, "S",
     "timeout between messages of an association, seconds (60)"},
    {"max_pdu", "max-pdu", CFG_UINT, NUM(nMaxPdu), 131072, "BYTES",
     "largest PDU we receive, 4096..131072 (65536)"},
    {"min_free_mib", "min-free-mib", CFG_COUNT, NUM(nMinFreeMib), 1048576,
     "MIB",
     "refuse new images (0xA700) while the archive's or the database's "
     "file system has less free space; 0 = until full (100)"},
    {"webhook", "webhook", CFG_STR, STR(zWebhook), 0, "URL",
     "POST every alert as JSON to URL, http:// or https:// (none)"},
    {"webhook_secret_file", "webhook-secret-file", CFG_STR,
     STR(zWebhookSecretFile), 0, "FILE",
     "sign webhook posts with HMAC-SHA256, key read from FILE (unsigned)"},
    {"alert_exec", "alert-exec", CFG_STR, STR(zAlertExec), 0, "PROGRAM",
     "run PROGRAM per alert: JSON on stdin, DICOMQC_* variables, no shell "
     "(none)"},
    {"alert_timeout", "alert-timeout", CFG_UINT, NUM(nAlertTimeout), 600, "S",
     "one delivery try (webhook, program) at most, seconds (10)"},
    {"alert_retry_max", "alert-retry-max", CFG_UINT, NUM(nAlertRetryMax),
     86400, "S",
     "failed tries wait 1, 2, 4, ... seconds, at most this long (300)"},
    {"alert_give_up", "alert-give-up", CFG_UINT, NUM(nAlertGiveUp), 2592000,
     "S", "stop retrying this long after the alert, seconds (86400)"},
    {"http", "http", CFG_STR, STR(zHttp), 0, "ADDR:PORT",
     "live console, /healthz and /metrics; 'off' = none (127.0.0.1:8104)"},
    {"console_url", "console-url", CFG_STR, STR(zConsoleUrl), 0, "URL",
     "console address used in alert links (http://ADDR:PORT/)"},
    {"tls_cert", "tls-cert", CFG_STR, STR(zTlsCert), 0, "FILE",
     "DICOM TLS on the port: our certificate (chain), PEM; needs "
     "--tls-key (plain TCP)"},
    {"tls_key", "tls-key", CFG_STR, STR(zTlsKey), 0, "FILE",
     "private key of --tls-cert, unencrypted PEM (none)"},
    {"tls_ca", "tls-ca", CFG_STR, STR(zTlsCa), 0, "FILE",
     "CA certificates (PEM) trusted for client certificates (none)"},
    {"tls_verify", "tls-verify", CFG_STR, STR(zTlsVerify), 0, "MODE",
     "client certificates: none, optional (verified if sent) or require "
     "(require with --tls-ca, else none)"},
    {"tls_profile", "tls-profile", CFG_STR, STR(zTlsProfile), 0, "NAME",
     "DICOM TLS profile: bcp195-nd (TLS 1.2+ only), bcp195 (also TLS "
     "1.0/1.1, for old modalities) or bcp195-ex (bcp195-nd)"},
#undef STR
#undef NUM
};
#define N_SET (int)(sizeof(aSet) / sizeof(aSet[0]))

void cli_serve_cfg_default(struct cli_serve_cfg *c)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  memset(c, 0, sizeof(*c));
  snprintf(c->zAet, sizeof(c->zAet), "DICOMQC");
  c->nPort = 11112;
  snprintf(c->zDataDir, sizeof(c->zDataDir), "./dicomqc-data");
  c->nMaxAssoc = 16;
  c->nWorkers = n > 0 && n < 256 ? (uint32_t)n : 2;
  c->nStudyIdle = 60;
  snprintf(c->zModelDir, sizeof(c->zModelDir), "%s", DICOMQC_MODEL_DIR);
  snprintf(c->zMetrics, sizeof(c->zMetrics), "all");
  c->nAcseTimeout = 30;
  c->nDimseTimeout = 60;
  c->nMaxPdu = 65536;
  c->nMinFreeMib = 100;
  c->nAlertTimeout = 10;
  c->nAlertRetryMax = 300;
  c->nAlertGiveUp = 86400;
  snprintf(c->zHttp, sizeof(c->zHttp), "127.0.0.1:8104");
}

/* Sets setting i from text z; returns 0, or -1 with zErr (size nErr) set
 * to "'VALUE' is ...". */
static int setOne(struct cli_serve_cfg *c, int i, const char *z, char *zErr,
                  size_t nErr)
{
  char *pBase = (char *)c + aSet[i].iOff;
  uint64_t n = 0;
  uint64_t mask = 0;
  switch(aSet[i].type) {
  case CFG_METRICS:
    if(cli_measures_parse(z, &mask, zErr, nErr))
      return -1;
    /* fall through */
  case CFG_STR:
    if(z[0] == 0 || strlen(z) >= aSet[i].nSize) {
      snprintf(zErr, nErr, "'%s' is empty or longer than %zu characters", z,
               aSet[i].nSize - 1);
      return -1;
    }
    memcpy(pBase, z, strlen(z) + 1);
    return 0;
  case CFG_AET:
    if(z[0] == 0 || strlen(z) > 16 || strchr(z, '\\')) {
      snprintf(zErr, nErr,
               "'%s' is not an AE title (1 to 16 characters, "
               "no backslash)",
               z);
      return -1;
    }
    for(const char *p = z; *p; p++)
      if((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
        snprintf(zErr, nErr,
                 "'%s' is not an AE title (printable ASCII "
                 "only)",
                 z);
        return -1;
      }
    memcpy(pBase, z, strlen(z) + 1);
    return 0;
  case CFG_PORT:
  case CFG_COUNT:
    if(strcmp(z, "0") == 0) {
      *(uint32_t *)pBase = 0;
      return 0;
    }
    /* fall through */
  case CFG_UINT:
    if(cli_parse_uint(z, aSet[i].nMax, &n)) {
      snprintf(zErr, nErr, "'%s' is not a number from 1 to %llu", z,
               (unsigned long long)aSet[i].nMax);
      return -1;
    }
    *(uint32_t *)pBase = (uint32_t)n;
    return 0;
  }
  return -1;
}

/* State of one ini_parse() run. */
struct iniRun {
  struct cli_serve_cfg *c; /* Settings being filled */
  const char *zFile;       /* For messages */
  int nBad;                /* Errors reported */
};

static int iniHandler(void *pUser, const char *zSection, const char *zKey,
                      const char *zValue)
{
  struct iniRun *r = pUser;
  char zErr[300];
  if(strncmp(zSection, "alert ", 6) == 0) {
    if(cli_channel_set(r->c, zSection + 6, zKey, zValue, zErr, sizeof(zErr))) {
      cli_errorf("%s: [%s] %s: %s", r->zFile, zSection, zKey, zErr);
      r->nBad++;
    }
    return 1;
  }
  if(strcmp(zSection, "node") != 0) {
    cli_errorf("%s: section [%s] is unknown; the settings go in [node], "
               "alert routes in [alert NAME]",
               r->zFile, zSection);
    r->nBad++;
    return 1;
  }
  for(int i = 0; i < N_SET; i++)
    if(strcmp(zKey, aSet[i].zKey) == 0) {
      if(setOne(r->c, i, zValue, zErr, sizeof(zErr))) {
        cli_errorf("%s: %s: %s", r->zFile, zKey, zErr);
        r->nBad++;
      }
      return 1;
    }
  cli_errorf("%s: key '%s' is unknown (see 'dicomqc serve --help')", r->zFile,
             zKey);
  r->nBad++;
  return 1;
}

int cli_serve_cfg_file(struct cli_serve_cfg *c, const char *zFile)
{
  struct iniRun r = {c, zFile, 0};
  int rc = ini_parse(zFile, iniHandler, &r);
  if(rc < 0) {
    cli_errorf("%s: cannot read the configuration: %s", zFile,
               rc == -1 ? strerror(errno) : "out of memory");
    return -1;
  }
  if(rc > 0) {
    cli_errorf("%s: line %d: not 'key = value' or '[section]'", zFile, rc);
    return -1;
  }
  return r.nBad ? -1 : 0;
}

int cli_serve_cfg_flag(struct cli_serve_cfg *c, const char *zFlag,
                       const char *zValue)
{
  char zErr[300];
  for(int i = 0; i < N_SET; i++)
    if(strcmp(zFlag, aSet[i].zFlag) == 0) {
      if(zValue == NULL)
        return cli_usagef("serve", "option --%s: needs a value (%s)", zFlag,
                          aSet[i].zArg);
      if(setOne(c, i, zValue, zErr, sizeof(zErr)))
        return cli_usagef("serve", "option --%s: %s", zFlag, zErr);
      return 0;
    }
  return cli_usagef("serve", "option --%s: is unknown", zFlag);
}

void cli_serve_cfg_help(FILE *out)
{
  for(int i = 0; i < N_SET; i++) {
    char z[48];
    snprintf(z, sizeof(z), "--%s %s", aSet[i].zFlag, aSet[i].zArg);
    fprintf(out, "  %-24s %s\n  %-24s [node] %s =\n", z, aSet[i].zHelp, "",
            aSet[i].zKey);
  }
}
