/* SPDX-License-Identifier: BSD-3-Clause
 *
 * scpd.c - a small DICOM storage server on dicom/'s SCP, for the tests in
 * tests/scp and for measurements.  Each received object is renamed to
 * DIR/<SOPInstanceUID>.dcm (no fsync: this is a test tool, not the
 * archive), or removed and answered with --fail-status.
 *
 * Usage: scpd --port N --aet AE --dir DIR [--allow A,B@HOST,...]
 *             [--max-assoc N] [--fail-status 0xA700] [--temp-dir DIR]
 *             [--tls-cert PEM --tls-key PEM [--tls-ca PEM]
 *              [--tls-verify 0|1|2] [--tls-profile NAME]]
 * --port 0 picks a free port.  Prints "listening port=N" on stdout when
 * the port is bound, logs to stderr ("scpd: LEVEL LINE"), stops cleanly
 * on SIGTERM or SIGINT (a thread waits for them with sigwait() and calls
 * dicom_scp_stop()).  Exit 0 after a clean stop, 1 on an error, 2 on a
 * usage error.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dicom.h"

#define MAX_ALLOW 64

/* What the callbacks need. */
struct scpd {
  const char *zDir;    /* Where received objects go */
  uint16_t failStatus; /* Status to answer instead of storing, 0 = none */
};

/* Parses a decimal (or 0x hexadecimal) number of at most max into *pVal.
 * Returns 0, or -1 for junk, a sign or a value out of range. */
static int parseNum(const char *z, unsigned long max, unsigned long *pVal)
{
  unsigned long v = 0, base = 10;
  if(z[0] == '0' && (z[1] == 'x' || z[1] == 'X')) {
    base = 16;
    z += 2;
  }
  if(*z == 0)
    return -1;
  for(; *z; z++) {
    unsigned long d;
    if(*z >= '0' && *z <= '9')
      d = (unsigned long)(*z - '0');
    else if(base == 16 && *z >= 'a' && *z <= 'f')
      d = (unsigned long)(*z - 'a' + 10);
    else if(base == 16 && *z >= 'A' && *z <= 'F')
      d = (unsigned long)(*z - 'A' + 10);
    else
      return -1;
    if(v > (max - d) / base)
      return -1;
    v = v * base + d;
  }
  *pVal = v;
  return 0;
}

/* True if z is a UID fit to be a file name: digits and dots, 1..64. */
static int validUid(const char *z)
{
  size_t n = strlen(z);
  if(n == 0 || n > 64)
    return 0;
  return strspn(z, "0123456789.") == n && z[0] != '.';
}

static uint16_t xStore(void *pCtx, const struct dicom_scp_instance *p)
{
  struct scpd *pD = pCtx;
  char zPath[PATH_MAX];
  if(pD->failStatus != 0 || !validUid(p->zSopInstanceUid)) {
    unlink(p->zTempPath);
    return pD->failStatus ? pD->failStatus : 0xA900;
  }
  snprintf(zPath, sizeof(zPath), "%s/%s.dcm", pD->zDir, p->zSopInstanceUid);
  if(rename(p->zTempPath, zPath) != 0) {
    fprintf(stderr, "scpd: error rename %s %s: %s\n", p->zTempPath, zPath,
            strerror(errno));
    unlink(p->zTempPath);
    return 0xA700;
  }
  return 0;
}

static void xLog(void *pCtx, const char *zLevel, const char *zLine)
{
  (void)pCtx;
  fprintf(stderr, "scpd: %s %s\n", zLevel, zLine);
}

/* Waits for SIGTERM/SIGINT (blocked in every thread) and stops the SCP.
 * SIGUSR1 only ends the thread (sent by main when run() returned). */
static void *signalThread(void *pArg)
{
  sigset_t set;
  int sig = 0;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  if(sigwait(&set, &sig) == 0 && sig != SIGUSR1) {
    fprintf(stderr, "scpd: info event=signal signal=%d\n", sig);
    dicom_scp_stop(pArg);
  }
  return NULL;
}

static int usage(const char *zMsg, const char *zArg)
{
  fprintf(stderr, "scpd: %s%s\n", zMsg, zArg ? zArg : "");
  fprintf(stderr, "usage: scpd --port N --aet AE --dir DIR [--allow A,B] "
                  "[--max-assoc N] [--fail-status 0xA700] "
                  "[--temp-dir DIR] [--tls-cert PEM --tls-key PEM "
                  "[--tls-ca PEM] [--tls-verify 0|1|2] "
                  "[--tls-profile bcp195|bcp195-nd|bcp195-ex]]\n");
  return 2;
}

/* Splits the comma-separated list z (modified) into az; returns the
 * count or -1 if there are more than MAX_ALLOW. */
static int splitList(char *z, const char **az)
{
  int n = 0;
  for(char *p = z; p != NULL;) {
    char *zComma = strchr(p, ',');
    if(zComma)
      *zComma = 0;
    if(n == MAX_ALLOW)
      return -1;
    az[n++] = p;
    p = zComma ? zComma + 1 : NULL;
  }
  return n;
}

/* Fills *pCfg and *pD from argv; returns 0 or the usage exit code. */
static int parseArgs(int argc, char **argv, struct dicom_scp_config *pCfg,
                     struct scpd *pD, const char **azAllow)
{
  unsigned long v;
  for(int i = 1; i < argc; i++) {
    const char *zOpt = argv[i];
    const char *zVal = i + 1 < argc ? argv[i + 1] : NULL;
    if(zVal == NULL)
      return usage("missing value for ", zOpt);
    i++;
    if(strcmp(zOpt, "--port") == 0 && parseNum(zVal, 65535, &v) == 0)
      pCfg->port = (uint16_t)v;
    else if(strcmp(zOpt, "--aet") == 0)
      pCfg->zAet = zVal;
    else if(strcmp(zOpt, "--dir") == 0)
      pD->zDir = zVal;
    else if(strcmp(zOpt, "--temp-dir") == 0)
      pCfg->zTempDir = zVal;
    else if(strcmp(zOpt, "--allow") == 0) {
      pCfg->nAllow = splitList(argv[i], azAllow);
      pCfg->azAllow = azAllow;
      if(pCfg->nAllow < 0)
        return usage("too many --allow entries", NULL);
    } else if(strcmp(zOpt, "--max-assoc") == 0 &&
              parseNum(zVal, 1000, &v) == 0)
      pCfg->nMaxAssoc = (int)v;
    else if(strcmp(zOpt, "--fail-status") == 0 &&
            parseNum(zVal, 0xffff, &v) == 0 && v != 0)
      pD->failStatus = (uint16_t)v;
    else if(strcmp(zOpt, "--tls-cert") == 0)
      pCfg->zTlsCert = zVal;
    else if(strcmp(zOpt, "--tls-key") == 0)
      pCfg->zTlsKey = zVal;
    else if(strcmp(zOpt, "--tls-ca") == 0)
      pCfg->zTlsCaFile = zVal;
    else if(strcmp(zOpt, "--tls-verify") == 0 && parseNum(zVal, 2, &v) == 0)
      pCfg->tlsVerifyPeer = (int)v;
    else if(strcmp(zOpt, "--tls-profile") == 0)
      pCfg->zTlsProfile = zVal;
    else
      return usage("bad option or value: ", zOpt);
  }
  if(pD->zDir == NULL)
    return usage("--dir is required", NULL);
  if(pCfg->zTempDir == NULL)
    pCfg->zTempDir = pD->zDir;
  return 0;
}

int main(int argc, char **argv)
{
  struct dicom_scp_config cfg;
  struct scpd d = {NULL, 0};
  const char *azAllow[MAX_ALLOW];
  char zErr[512];
  dicom_scp *pScp = NULL;
  sigset_t set;
  pthread_t tid;
  int rc;

  dicom_scp_config_default(&cfg);
  cfg.pCtx = &d;
  cfg.xStore = xStore;
  cfg.xLog = xLog;
  rc = parseArgs(argc, argv, &cfg, &d, azAllow);
  if(rc)
    return rc;
  /* Block the stop signals in every thread; only signalThread takes
   * them. */
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  if(dicom_scp_new(&cfg, &pScp, zErr, sizeof(zErr)) != DICOM_OK) {
    fprintf(stderr, "scpd: %s\n", zErr);
    return 1;
  }
  printf("listening port=%u\n", (unsigned)dicom_scp_port(pScp));
  fflush(stdout);
  if(pthread_create(&tid, NULL, signalThread, pScp) != 0) {
    fprintf(stderr, "scpd: cannot start the signal thread\n");
    dicom_scp_free(pScp);
    return 1;
  }
  rc = dicom_scp_run(pScp);
  if(rc != DICOM_OK)
    fprintf(stderr, "scpd: %s\n", dicom_scp_errmsg(pScp));
  pthread_kill(tid, SIGUSR1); /* No-op if it already returned */
  pthread_join(tid, NULL);
  dicom_scp_free(pScp);
  return rc == DICOM_OK ? 0 : 1;
}
