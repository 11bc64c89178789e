/* SPDX-License-Identifier: BSD-3-Clause
 *
 * deliver.c - the alert transports of deliver.h: one webhook POST with
 * libcurl (signed with HMAC-SHA256 from libcrypto), and one run of a
 * local hook program (posix_spawn, pipes, a poll() loop, a deadline).
 *
 * Each call is one attempt; the dispatcher owns retries and the outbox.
 * Nothing here keeps state between calls or touches a global but
 * libcurl's (cli_deliver_global_init), so the dispatcher may call these
 * from its own thread while the node's other threads run.  Assumptions:
 * SIGPIPE is ignored in the process (serve.c does it), so a hook that
 * closes its stdin gives EPIPE here, never a signal; and the node does
 * not change its environment once threads run (the hook's environment is
 * built from `environ`).  Linux/glibc 2.34 or later: pipe2(O_CLOEXEC)
 * and posix_spawn_file_actions_addclosefrom_np() keep every descriptor
 * of the node out of the hook, even one another thread opens meanwhile.
 */
#define _GNU_SOURCE /* pipe2(), posix_spawn_file_actions_addclosefrom_np() */
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

extern char **environ;

#define RESPONSE_KEEP 200  /* Response body bytes kept for a message */
#define CAPTURE_KEEP  1000 /* Hook stdout / stderr bytes kept, each */
#define LINE_KEEP     200  /* Characters of a hook's first output line */
#define ALERT_KEY_MAX 200  /* Longest X-Dicomqc-Alert value */
#define TICK_MS       20   /* Hook loop: how often waitpid() is tried */
/* After the hook exited, how long to wait for its pipes' EOF (a child it
 * left running may hold them open: it is not waited for). */
#define GRACE_MS 100
/* Reads of one pipe per poll() round, so that a fast writer cannot hold
 * off the deadline. */
#define READS_MAX 16

/* ---- messages ------------------------------------------------------- */

/* vsnprintf into zErr, which nErr (>= 1) bytes hold. */
static void setErr(char *zErr, size_t nErr, const char *zFmt, ...)
    __attribute__((format(printf, 3, 4)));
static void setErr(char *zErr, size_t nErr, const char *zFmt, ...)
{
  va_list ap;

  if(zErr == NULL || nErr == 0) {
    return;
  }
  va_start(ap, zFmt);
  vsnprintf(zErr, nErr, zFmt, ap);
  va_end(ap);
}

/* Copies n bytes of p into zOut (nOut >= 1 bytes, NUL-terminated) as
 * printable ASCII: control characters become spaces, bytes above 0x7e
 * '?'; trailing spaces are dropped. */
static void printable(char *zOut, size_t nOut, const char *p, size_t n)
{
  size_t i;
  size_t j = 0; /* Bytes written to zOut */

  for(i = 0; i < n && j + 1 < nOut; i++) {
    unsigned char c = (unsigned char)p[i];
    zOut[j++] = c < 0x20 || c == 0x7f ? ' ' : c > 0x7e ? '?' : (char)c;
  }
  while(j > 0 && zOut[j - 1] == ' ') {
    j--;
  }
  zOut[j] = '\0';
}

/* The first line of p (n bytes) that is not blank, printable (at most
 * LINE_KEEP characters), into zOut; "" if there is none. */
static void firstLine(char *zOut, size_t nOut, const char *p, size_t n)
{
  size_t i = 0;
  size_t nLine = 0; /* Length of the line at p + i */

  while(i < n &&
        (p[i] == '\n' || p[i] == '\r' || p[i] == ' ' || p[i] == '\t')) {
    i++;
  }
  while(i + nLine < n && p[i + nLine] != '\n' && p[i + nLine] != '\r') {
    nLine++;
  }
  if(nLine > LINE_KEEP) {
    nLine = LINE_KEEP;
  }
  printable(zOut, nOut, p + i, nLine);
}

/* Writes how messages name zUrl into zOut: "scheme://host:port", with
 * any "user:password@" dropped, plus "/..." when a path or query follows
 * (webhook paths and queries often hold the receiver's token). */
static void urlName(char *zOut, size_t nOut, const char *zUrl)
{
  const char *zSep = strstr(zUrl, "://"); /* End of the scheme */
  const char *zHost;                      /* Start of the authority */
  const char *zAt;                        /* Last '@' of the authority */
  size_t nAuth;                           /* Authority length */
  char zScheme[16];
  char zAuth[256];
  const char *zRest;

  if(zSep == NULL || zSep == zUrl ||
     (size_t)(zSep - zUrl) >= sizeof(zScheme)) {
    snprintf(zOut, nOut, "(not a URL)");
    return;
  }
  printable(zScheme, sizeof(zScheme), zUrl, (size_t)(zSep - zUrl));
  zHost = zSep + 3;
  nAuth = strcspn(zHost, "/?#");
  zRest = zHost + nAuth;
  for(zAt = zHost + nAuth; zAt > zHost && zAt[-1] != '@'; zAt--) {
  }
  printable(zAuth, sizeof(zAuth), zAt, (size_t)(zHost + nAuth - zAt));
  snprintf(zOut, nOut, "%s://%s%s", zScheme, zAuth,
           zRest[0] == '\0' || strcmp(zRest, "/") == 0 ? "" : "/...");
}

/* ---- HMAC-SHA256 ---------------------------------------------------- */

/* One piece of a message signed in parts. */
struct part {
  const void *p; /* Bytes, may be NULL when n is 0 */
  size_t n;      /* Byte count */
};

/* HMAC-SHA256 keyed with pKey (nKey bytes) of the concatenation of the
 * nPart pieces of aPart, as lowercase hex into zHex.  OpenSSL 3's
 * EVP_MAC "HMAC" with digest SHA256 (RFC 2104, FIPS 198-1).  Returns 0,
 * or -1 with zHex "". */
static int hmacParts(const void *pKey, size_t nKey, const struct part *aPart,
                     int nPart, char zHex[65])
{
  static const char zDigits[] = "0123456789abcdef";
  const unsigned char zero = 0; /* Key pointer for an empty key: OpenSSL
                                   reads a NULL key as "keep the old" */
  char zDigest[] = "SHA256";    /* OSSL_PARAM wants a char * */
  OSSL_PARAM aParam[2];
  EVP_MAC *pMac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *pCtx = pMac ? EVP_MAC_CTX_new(pMac) : NULL;
  unsigned char aMac[32]; /* The HMAC, SHA-256 size */
  size_t nMac = 0;
  int rc = -1;
  int i;

  zHex[0] = '\0';
  aParam[0] =
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, zDigest, 0);
  aParam[1] = OSSL_PARAM_construct_end();
  if(pCtx == NULL ||
     !EVP_MAC_init(pCtx, nKey > 0 ? pKey : &zero, nKey, aParam)) {
    goto hmac_end;
  }
  for(i = 0; i < nPart; i++) {
    if(aPart[i].n > 0 && !EVP_MAC_update(pCtx, aPart[i].p, aPart[i].n)) {
      goto hmac_end;
    }
  }
  if(!EVP_MAC_final(pCtx, aMac, &nMac, sizeof(aMac)) || nMac != sizeof(aMac)) {
    goto hmac_end;
  }
  for(i = 0; i < (int)sizeof(aMac); i++) {
    zHex[2 * i] = zDigits[aMac[i] >> 4];
    zHex[2 * i + 1] = zDigits[aMac[i] & 15];
  }
  zHex[64] = '\0';
  rc = 0;
hmac_end:
  EVP_MAC_CTX_free(pCtx);
  EVP_MAC_free(pMac);
  return rc;
}

int cli_hmac_sha256_hex(const void *pKey, size_t nKey, const void *pMsg,
                        size_t nMsg, char zHex[65])
{
  struct part msg = {pMsg, nMsg};

  if(zHex == NULL) {
    return -1;
  }
  if((pKey == NULL && nKey > 0) || (pMsg == NULL && nMsg > 0)) {
    zHex[0] = '\0';
    return -1;
  }
  return hmacParts(pKey, nKey, &msg, 1, zHex);
}

/* ---- webhook -------------------------------------------------------- */

int cli_deliver_global_init(char *zErr, size_t nErr)
{
  CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

  if(rc != CURLE_OK) {
    setErr(zErr, nErr, "libcurl cannot be initialised: %s",
           curl_easy_strerror(rc));
    return -1;
  }
  return 0;
}

void cli_deliver_global_cleanup(void)
{
  curl_global_cleanup();
}

/* The start of a response body, for the message of a failure. */
struct response {
  char a[RESPONSE_KEEP]; /* First bytes of the body */
  size_t n;              /* Bytes in a, 0..RESPONSE_KEEP */
};

/* CURLOPT_WRITEFUNCTION: keeps the first RESPONSE_KEEP bytes and takes
 * (discards) the rest, so a long answer is not an error. */
static size_t onBody(char *p, size_t nSize, size_t nItem, void *pArg)
{
  struct response *pResp = pArg;
  size_t n = nSize * nItem; /* libcurl: nSize is always 1 */
  size_t nCopy = sizeof(pResp->a) - pResp->n;

  if(nCopy > n) {
    nCopy = n;
  }
  memcpy(pResp->a + pResp->n, p, nCopy);
  pResp->n += nCopy;
  return n;
}

/* 1 if z starts with "http://" or "https://" (any case). */
static int isHttpUrl(const char *z)
{
  return strncasecmp(z, "http://", 7) == 0 ||
         strncasecmp(z, "https://", 8) == 0;
}

/* 1 if z is a usable alert key: 1..ALERT_KEY_MAX printable ASCII
 * characters, not starting or ending with a space (receivers trim those).
 * No control character: it goes in a header line.  Inner spaces are
 * allowed, as in a DICOM AE title. */
static int isAlertKey(const char *z)
{
  size_t i;

  for(i = 0; z[i] != '\0'; i++) {
    if(z[i] < ' ' || z[i] > '~' || i >= ALERT_KEY_MAX) {
      return 0;
    }
  }
  return i > 0 && z[0] != ' ' && z[i - 1] != ' ';
}

/* Appends the header line zFmt... to *ppList.  Returns 0, or -1 when
 * memory is short (the list is then unchanged). */
static int addHeader(struct curl_slist **ppList, const char *zFmt, ...)
    __attribute__((format(printf, 2, 3)));
static int addHeader(struct curl_slist **ppList, const char *zFmt, ...)
{
  char zLine[512];
  struct curl_slist *pNew;
  va_list ap;

  va_start(ap, zFmt);
  vsnprintf(zLine, sizeof(zLine), zFmt, ap);
  va_end(ap);
  pNew = curl_slist_append(*ppList, zLine);
  if(pNew == NULL) {
    return -1;
  }
  *ppList = pNew;
  return 0;
}

/* Builds the header list of a webhook request sent at zTs (Unix seconds
 * as text) into *ppList (free with curl_slist_free_all() even on error).
 * Returns 0, or -1 when memory is short or signing failed. */
static int buildHeaders(const struct cli_webhook *pHook, const char *zBody,
                        size_t nBody, const char *zAlertKey, const char *zTs,
                        struct curl_slist **ppList)
{
  int rc = 0;

  rc |= addHeader(ppList, "Content-Type: application/json");
  rc |= addHeader(ppList, "X-Dicomqc-Alert: %s", zAlertKey);
  rc |= addHeader(ppList, "X-Dicomqc-Timestamp: %s", zTs);
  /* No "Expect: 100-continue" round trip for a large body. */
  rc |= addHeader(ppList, "Expect:");
  if(pHook->zSecret != NULL && pHook->zSecret[0] != '\0') {
    /* Signed bytes: "<timestamp>.<body>", the timestamp as sent. */
    struct part aPart[3] = {{zTs, strlen(zTs)}, {".", 1}, {zBody, nBody}};
    char zHex[65];
    if(hmacParts(pHook->zSecret, strlen(pHook->zSecret), aPart, 3, zHex)) {
      return -1;
    }
    rc |= addHeader(ppList, "X-Dicomqc-Signature: sha256=%s", zHex);
  }
  return rc;
}

/* Sets the options of one webhook POST on pCurl.  Returns the first
 * libcurl error, or CURLE_OK. */
static CURLcode setOptions(CURL *pCurl, const struct cli_webhook *pHook,
                           const char *zBody, size_t nBody,
                           struct curl_slist *pList, struct response *pResp,
                           char *zCurlErr)
{
  CURLcode rc = curl_easy_setopt(pCurl, CURLOPT_URL, pHook->zUrl);

  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_PROTOCOLS_STR, "http,https");
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_FOLLOWLOCATION, 0L);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_NOSIGNAL, 1L);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_TIMEOUT_MS, pHook->nTimeoutMs);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_CONNECTTIMEOUT_MS,
                          pHook->nConnectTimeoutMs);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_POST, 1L);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_POSTFIELDS, zBody);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_POSTFIELDSIZE_LARGE,
                          (curl_off_t)nBody);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_HTTPHEADER, pList);
  }
  if(rc == CURLE_OK) {
    rc =
        curl_easy_setopt(pCurl, CURLOPT_USERAGENT, "dicomqc/" DICOMQC_VERSION);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_WRITEFUNCTION, onBody);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_WRITEDATA, pResp);
  }
  if(rc == CURLE_OK) {
    rc = curl_easy_setopt(pCurl, CURLOPT_ERRORBUFFER, zCurlErr);
  }
  return rc;
}

/* Writes the outcome of a finished transfer (rc, status nStatus) into
 * zErr.  Returns 0 for a 2xx answer, else -1. */
static int judge(CURL *pCurl, const struct cli_webhook *pHook, CURLcode rc,
                 long nStatus, const struct response *pResp,
                 const char *zCurlErr, const char *zWhere, char *zErr,
                 size_t nErr)
{
  char zText[CURL_ERROR_SIZE + RESPONSE_KEEP]; /* Reason, printable */

  if(rc == CURLE_OPERATION_TIMEDOUT) {
    curl_off_t nConnect = 0; /* Time to connect, us; 0 = never */
    long nMs = pHook->nTimeoutMs;
    curl_easy_getinfo(pCurl, CURLINFO_CONNECT_TIME_T, &nConnect);
    if(nConnect == 0 && pHook->nConnectTimeoutMs < nMs) {
      nMs = pHook->nConnectTimeoutMs;
    }
    setErr(zErr, nErr, "webhook %s: %stimed out after %ld ms", zWhere,
           nConnect == 0 ? "no connection: " : "", nMs);
    return -1;
  }
  if(rc != CURLE_OK) {
    const char *z = zCurlErr[0] ? zCurlErr : curl_easy_strerror(rc);
    printable(zText, sizeof(zText), z, strlen(z));
    setErr(zErr, nErr, "webhook %s: %s", zWhere, zText);
    return -1;
  }
  if(nStatus >= 200 && nStatus <= 299) {
    return 0;
  }
  if(nStatus >= 300 && nStatus <= 399) {
    setErr(zErr, nErr,
           "webhook %s: HTTP %ld: redirect not followed; configure the "
           "URL it points to",
           zWhere, nStatus);
    return -1;
  }
  printable(zText, sizeof(zText), pResp->a, pResp->n);
  setErr(zErr, nErr, "webhook %s: HTTP %ld: %s", zWhere, nStatus,
         zText[0] ? zText : "(empty response body)");
  return -1;
}

/* Checks the arguments of cli_webhook_post().  Returns 0, or -1 with
 * the reason in zErr. */
static int checkPost(const struct cli_webhook *pHook, const char *zBody,
                     size_t nBody, const char *zAlertKey, const char *zWhere,
                     char *zErr, size_t nErr)
{
  if(zBody == NULL && nBody > 0) {
    setErr(zErr, nErr, "webhook %s: no body", zWhere);
    return -1;
  }
  if(!isHttpUrl(pHook->zUrl)) {
    setErr(zErr, nErr,
           "webhook %s: only http:// and https:// URLs are allowed", zWhere);
    return -1;
  }
  if(zAlertKey == NULL || !isAlertKey(zAlertKey)) {
    setErr(zErr, nErr,
           "webhook %s: the alert key must be 1..%d printable ASCII "
           "characters, no space at either end",
           zWhere, ALERT_KEY_MAX);
    return -1;
  }
  if(pHook->nTimeoutMs <= 0 || pHook->nConnectTimeoutMs <= 0) {
    setErr(zErr, nErr, "webhook %s: timeouts must be above 0 ms", zWhere);
    return -1;
  }
  return 0;
}

int cli_webhook_post(const struct cli_webhook *pHook, const char *zBody,
                     size_t nBody, const char *zAlertKey, long *pnStatus,
                     char *zErr, size_t nErr)
{
  char zWhere[300];                /* The URL as messages name it */
  char zTs[24];                    /* Unix seconds, as sent and signed */
  char zCurlErr[CURL_ERROR_SIZE];  /* libcurl's detailed reason */
  struct response resp = {{0}, 0}; /* Start of the answer's body */
  struct curl_slist *pList = NULL; /* Request headers */
  CURL *pCurl = NULL;
  CURLcode rc;
  long nStatus = 0; /* HTTP status, 0 = no answer */
  int rcOut = -1;

  if(pnStatus != NULL) {
    *pnStatus = 0;
  }
  if(pHook == NULL || pHook->zUrl == NULL) {
    setErr(zErr, nErr, "webhook: no URL");
    return -1;
  }
  urlName(zWhere, sizeof(zWhere), pHook->zUrl);
  if(checkPost(pHook, zBody, nBody, zAlertKey, zWhere, zErr, nErr)) {
    return -1;
  }
  snprintf(zTs, sizeof(zTs), "%lld", (long long)time(NULL));
  zCurlErr[0] = '\0';
  if(buildHeaders(pHook, zBody ? zBody : "", nBody, zAlertKey, zTs, &pList)) {
    setErr(zErr, nErr, "webhook %s: out of memory or libcrypto failed",
           zWhere);
    goto post_end;
  }
  pCurl = curl_easy_init();
  if(pCurl == NULL) {
    setErr(zErr, nErr, "webhook %s: cannot create a libcurl handle", zWhere);
    goto post_end;
  }
  rc = setOptions(pCurl, pHook, zBody ? zBody : "", nBody, pList, &resp,
                  zCurlErr);
  if(rc == CURLE_OK) {
    rc = curl_easy_perform(pCurl);
  }
  curl_easy_getinfo(pCurl, CURLINFO_RESPONSE_CODE, &nStatus);
  if(pnStatus != NULL) {
    *pnStatus = nStatus;
  }
  rcOut =
      judge(pCurl, pHook, rc, nStatus, &resp, zCurlErr, zWhere, zErr, nErr);
post_end:
  curl_easy_cleanup(pCurl);
  curl_slist_free_all(pList);
  return rcOut;
}

/* ---- hook program --------------------------------------------------- */

/* The environment of a hook: pointers into `environ` and into zBlock. */
struct env {
  char **az;    /* NULL-terminated, owned (the array only) */
  char *zBlock; /* The sanitised azEnv strings, owned */
};

/* Length of the name of "NAME=value" z if NAME is letters, digits and
 * '_' not starting with a digit, else 0. */
static size_t envName(const char *z)
{
  size_t i;

  for(i = 0; z[i] != '=' && z[i] != '\0'; i++) {
    char c = z[i];
    int isAlpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if(!isAlpha && c != '_' && (i == 0 || c < '0' || c > '9')) {
      return 0;
    }
  }
  return z[i] == '=' ? i : 0;
}

/* 1 if "NAME=..." z has its name (nName bytes, '=' included) in a[i..]. */
static int envHas(const char *const *a, size_t i, const char *z, size_t nName)
{
  for(; a[i] != NULL; i++) {
    if(strncmp(a[i], z, nName + 1) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Builds the hook environment into *pEnv: `environ` less the names azEnv
 * sets, then azEnv with control characters of values made spaces (the
 * last entry wins for a repeated name).  Returns 0, or -1 with the
 * reason in zErr. */
static int envBuild(const char *const *azEnv, const char *zProg,
                    struct env *pEnv, char *zErr, size_t nErr)
{
  const char *const azNone[] = {NULL};
  size_t nNode = 0, nAdd = 0, nByte = 0, i, j = 0;
  char *z;

  azEnv = azEnv ? azEnv : azNone;
  for(nAdd = 0; azEnv[nAdd] != NULL; nAdd++) {
    if(envName(azEnv[nAdd]) == 0) {
      setErr(zErr, nErr, "hook %s: environment entry %zu is not NAME=value",
             zProg, nAdd + 1);
      return -1;
    }
    nByte += strlen(azEnv[nAdd]) + 1;
  }
  while(environ != NULL && environ[nNode] != NULL) {
    nNode++;
  }
  pEnv->az = malloc((nNode + nAdd + 1) * sizeof(char *));
  pEnv->zBlock = malloc(nByte + 1);
  if(pEnv->az == NULL || pEnv->zBlock == NULL) {
    setErr(zErr, nErr, "hook %s: out of memory", zProg);
    return -1;
  }
  for(i = 0; i < nNode; i++) {
    const char *zEq = strchr(environ[i], '=');
    if(zEq == NULL ||
       !envHas(azEnv, 0, environ[i], (size_t)(zEq - environ[i]))) {
      pEnv->az[j++] = environ[i];
    }
  }
  z = pEnv->zBlock;
  for(i = 0; i < nAdd; i++) {
    size_t k, n = strlen(azEnv[i]);
    if(envHas(azEnv, i + 1, azEnv[i], envName(azEnv[i]))) {
      continue; /* A later entry sets this name */
    }
    for(k = 0; k <= n; k++) {
      unsigned char c = (unsigned char)azEnv[i][k];
      z[k] = k < n && (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    pEnv->az[j++] = z;
    z += n + 1;
  }
  pEnv->az[j] = NULL;
  return 0;
}

/* Output of a hook on one pipe. */
struct capture {
  int fd;               /* Our read end, -1 once at EOF */
  char a[CAPTURE_KEEP]; /* First bytes read */
  size_t n;             /* Bytes in a */
};

/* A running hook. */
struct run {
  pid_t pid;          /* The hook, leader of its process group */
  int fdIn;           /* Write end of its stdin, -1 once closed */
  const char *zIn;    /* Bytes for its stdin */
  size_t nIn;         /* Their count */
  size_t iIn;         /* Bytes written so far */
  struct capture out; /* Its stdout */
  struct capture err; /* Its stderr */
  int isReaped;       /* 1 once waitpid() returned it */
  int status;         /* waitpid() status, valid once reaped */
  int isLost;         /* 1 if waitpid() failed (ECHILD) */
};

/* Closes *pFd if open and marks it closed. */
static void closeFd(int *pFd)
{
  if(*pFd >= 0) {
    close(*pFd);
    *pFd = -1;
  }
}

/* Milliseconds of CLOCK_MONOTONIC. */
static long long nowMs(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes what the hook's stdin pipe takes now; closes it when all is
 * written or the hook stopped reading (EPIPE: SIGPIPE is ignored). */
static void feedStdin(struct run *r)
{
  while(r->fdIn >= 0 && r->iIn < r->nIn) {
    size_t n = r->nIn - r->iIn;
    ssize_t w = write(r->fdIn, r->zIn + r->iIn, n > 65536 ? 65536 : n);
    if(w > 0) {
      r->iIn += (size_t)w;
    } else if(w < 0 && errno == EINTR) {
      continue;
    } else if(w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      closeFd(&r->fdIn);
    }
  }
  closeFd(&r->fdIn);
}

/* Reads what pipe p holds now (at most READS_MAX reads), keeping the
 * first CAPTURE_KEEP bytes; closes it at EOF or on an error. */
static void drain(struct capture *p)
{
  char aBuf[8192];
  int i;

  for(i = 0; i < READS_MAX && p->fd >= 0; i++) {
    ssize_t n = read(p->fd, aBuf, sizeof(aBuf));
    if(n > 0) {
      size_t nCopy = sizeof(p->a) - p->n;
      nCopy = nCopy < (size_t)n ? nCopy : (size_t)n;
      memcpy(p->a + p->n, aBuf, nCopy);
      p->n += nCopy;
    } else if(n < 0 && errno == EINTR) {
      continue;
    } else if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      closeFd(&p->fd);
    }
  }
}

/* Tries to reap the hook without waiting. */
static void reapNoWait(struct run *r)
{
  pid_t w;

  if(r->isReaped) {
    return;
  }
  w = waitpid(r->pid, &r->status, WNOHANG);
  if(w == r->pid) {
    r->isReaped = 1;
  } else if(w < 0 && errno != EINTR) {
    r->isReaped = 1; /* ECHILD: SIGCHLD ignored, or reaped elsewhere */
    r->isLost = 1;
  }
}

/* One poll() round of at most nWait ms over the open pipes. */
static void pollOnce(struct run *r, long long nWait)
{
  struct pollfd aFd[3];
  struct capture *apCap[3] = {NULL, NULL, NULL}; /* Capture of aFd[i] */
  nfds_t n = 0, i;

  if(r->fdIn >= 0) {
    aFd[n].fd = r->fdIn;
    aFd[n++].events = POLLOUT;
  }
  if(r->out.fd >= 0) {
    apCap[n] = &r->out;
    aFd[n].fd = r->out.fd;
    aFd[n++].events = POLLIN;
  }
  if(r->err.fd >= 0) {
    apCap[n] = &r->err;
    aFd[n].fd = r->err.fd;
    aFd[n++].events = POLLIN;
  }
  if(poll(aFd, n, (int)(nWait > 0 ? nWait : 0)) <= 0) {
    return; /* Timeout or EINTR: the caller's loop checks the clock */
  }
  for(i = 0; i < n; i++) {
    if(aFd[i].revents == 0) {
      continue;
    }
    if(apCap[i] == NULL) {
      feedStdin(r);
    } else {
      drain(apCap[i]);
    }
  }
}

/* SIGKILLs the hook's process group and reaps the hook.  Called only
 * before the hook is reaped: its group id cannot have been reused while
 * the leader, even as a zombie, holds it. */
static void killReap(struct run *r)
{
  kill(-r->pid, SIGKILL);
  while(waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR) {
  }
  r->isReaped = 1;
}

/* Feeds, reads and waits for the hook until it exited and its pipes are
 * at EOF (or GRACE_MS after its exit), or until nTimeoutMs passed: then
 * SIGKILLs its process group and reaps it.  Returns 1 on a timeout. */
static int runLoop(struct run *r, long nTimeoutMs)
{
  long long nDeadline = nowMs() + nTimeoutMs;
  long long nGraceEnd = 0; /* When the wait for EOF after exit ends */

  for(;;) {
    long long nNow = nowMs();
    long long nWait;
    if(!r->isReaped) {
      reapNoWait(r);
      nGraceEnd = nNow + GRACE_MS; /* Kept from the round it is reaped */
    }
    if(r->isReaped &&
       (nNow >= nGraceEnd || (r->out.fd < 0 && r->err.fd < 0))) {
      return 0;
    }
    if(!r->isReaped && nNow >= nDeadline) {
      break;
    }
    nWait = r->isReaped ? nGraceEnd - nNow : nDeadline - nNow;
    pollOnce(r, nWait < TICK_MS ? nWait : TICK_MS);
  }
  killReap(r);
  return 1;
}

/* Starts azArgv as described in deliver.h, filling r->pid and the
 * parent's pipe ends.  Returns 0, or an errno value. */
static int spawnHook(const char *const *azArgv, char **azEnvp, struct run *r)
{
  int aIn[2] = {-1, -1}, aOut[2] = {-1, -1}, aErr[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t all, none;
  int rc = 0;

  if(pipe2(aIn, O_CLOEXEC) || pipe2(aOut, O_CLOEXEC) ||
     pipe2(aErr, O_CLOEXEC)) {
    rc = errno;
  }
  if(rc == 0) {
    rc = posix_spawn_file_actions_init(&fa);
  }
  if(rc == 0) {
    rc = posix_spawnattr_init(&attr);
    if(rc != 0) {
      posix_spawn_file_actions_destroy(&fa);
    }
  }
  if(rc == 0) {
    sigfillset(&all);
    sigemptyset(&none);
    /* The node blocks SIGTERM/SIGINT in its threads and ignores
     * SIGPIPE; the hook gets the defaults and an empty mask. */
    rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                             POSIX_SPAWN_SETSIGDEF |
                                             POSIX_SPAWN_SETSIGMASK);
    rc = rc ? rc : posix_spawnattr_setpgroup(&attr, 0);
    rc = rc ? rc : posix_spawnattr_setsigdefault(&attr, &all);
    rc = rc ? rc : posix_spawnattr_setsigmask(&attr, &none);
    rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, aIn[0], 0);
    rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, aOut[1], 1);
    rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, aErr[1], 2);
    rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    rc = rc ? rc
            : posix_spawnp(&r->pid, azArgv[0], &fa, &attr,
                           (char *const *)azArgv, azEnvp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  closeFd(&aIn[0]);
  closeFd(&aOut[1]);
  closeFd(&aErr[1]);
  if(rc == 0 && (fcntl(aIn[1], F_SETFL, O_NONBLOCK) ||
                 fcntl(aOut[0], F_SETFL, O_NONBLOCK) ||
                 fcntl(aErr[0], F_SETFL, O_NONBLOCK))) {
    rc = errno; /* Cannot happen on a pipe; the caller kills the hook */
  }
  r->fdIn = aIn[1];
  r->out.fd = aOut[0];
  r->err.fd = aErr[0];
  return rc;
}

/* Writes the outcome of a finished run into zErr.  Returns 0 if the hook
 * exited with status 0, else -1. */
static int verdict(const struct run *r, int isTimeout, long nTimeoutMs,
                   const char *zProg, char *zErr, size_t nErr)
{
  char zWhy[64];
  char zLine[LINE_KEEP + 1]; /* First line of its output */

  if(isTimeout) {
    snprintf(zWhy, sizeof(zWhy), "timed out after %ld ms, killed", nTimeoutMs);
  } else if(r->isLost) {
    snprintf(zWhy, sizeof(zWhy), "exit status lost (SIGCHLD ignored?)");
  } else if(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0) {
    return 0;
  } else if(WIFEXITED(r->status)) {
    snprintf(zWhy, sizeof(zWhy), "exited with status %d",
             WEXITSTATUS(r->status));
  } else if(WIFSIGNALED(r->status)) {
    snprintf(zWhy, sizeof(zWhy), "killed by signal %d", WTERMSIG(r->status));
  } else {
    snprintf(zWhy, sizeof(zWhy), "stopped (wait status 0x%x)",
             (unsigned)r->status);
  }
  firstLine(zLine, sizeof(zLine), r->err.a, r->err.n);
  if(zLine[0] == '\0') {
    firstLine(zLine, sizeof(zLine), r->out.a, r->out.n);
  }
  setErr(zErr, nErr, "hook %s: %s%s%s", zProg, zWhy, zLine[0] ? ": " : "",
         zLine);
  return -1;
}

int cli_exec_hook(const char *const *azArgv, const char *const *azEnv,
                  const char *zStdin, size_t nStdin, long nTimeoutMs,
                  char *zErr, size_t nErr)
{
  char zProg[256];               /* azArgv[0], printable */
  struct env env = {NULL, NULL}; /* The hook's environment */
  struct run r;                  /* The running hook */
  int rc = -1;
  int e;

  memset(&r, 0, sizeof(r));
  r.fdIn = r.out.fd = r.err.fd = -1;
  if(azArgv == NULL || azArgv[0] == NULL || azArgv[0][0] == '\0') {
    setErr(zErr, nErr, "hook: no program");
    return -1;
  }
  printable(zProg, sizeof(zProg), azArgv[0], strlen(azArgv[0]));
  if(nTimeoutMs <= 0 || (zStdin == NULL && nStdin > 0)) {
    setErr(zErr, nErr, "hook %s: bad timeout or stdin", zProg);
    return -1;
  }
  if(envBuild(azEnv, zProg, &env, zErr, nErr)) {
    goto hook_end;
  }
  r.zIn = zStdin;
  r.nIn = nStdin;
  e = spawnHook(azArgv, env.az, &r);
  if(e != 0 && r.pid == 0) {
    setErr(zErr, nErr, "hook %s: cannot be run: %s", zProg, strerror(e));
    goto hook_end;
  }
  if(e != 0) {
    killReap(&r); /* The pipes are not usable */
    setErr(zErr, nErr, "hook %s: cannot set up its pipes: %s", zProg,
           strerror(e));
    goto hook_end;
  }
  feedStdin(&r); /* Closes stdin at once when there is nothing to write */
  rc = verdict(&r, runLoop(&r, nTimeoutMs), nTimeoutMs, zProg, zErr, nErr);
hook_end:
  closeFd(&r.fdIn);
  closeFd(&r.out.fd);
  closeFd(&r.err.fd);
  free(env.az);
  free(env.zBlock);
  return rc;
}
