/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_cli_deliver.c - unit tests of cli/deliver.c: HMAC-SHA256, the
 * webhook POST and the hook program.
 *
 * The focus is the contract a receiver and an operator rely on.  HMAC is
 * checked against the published vectors of RFC 4231.  The webhook talks
 * to a receiver in this file (a thread serving one connection on
 * 127.0.0.1, port chosen by the kernel), which records the raw request:
 * the request line, each header, the body, and a signature recomputed
 * over "<timestamp>.<body>" with the RFC-checked function; answers 500,
 * 302 and silence fail with the reason; a closed port and non-HTTP URLs
 * fail naming the URL without its path.  The hook tests run /bin/sh
 * scripts (the test may use a shell; the function under test never
 * does) in a fresh mkdtemp() directory: stdin arrives byte-identical,
 * the environment is the node's plus sanitised DICOMQC_* values, shell
 * syntax in arguments and values stays literal, failures name the status,
 * signal or timeout plus the first stderr line, a timeout kills the whole
 * process group, and 1 MiB on any pipe never hangs.  Time bounds (< 3 s)
 * are functional limits on a call that must not hang, not benchmarks.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#include "deliver.h"

#define HANG_MS 3000 /* A call that must not hang returns within this */

/* ---- helpers ---------------------------------------------------------- */

/* Milliseconds of CLOCK_MONOTONIC. */
static long long nowMs(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fails the test unless zHay contains zNeedle. */
static void contains(const char *zHay, const char *zNeedle)
{
  if(strstr(zHay, zNeedle) == NULL) {
    fail_msg("\"%s\" does not contain \"%s\"", zHay, zNeedle);
  }
}

/* Fails the test if zHay contains zNeedle. */
static void lacks(const char *zHay, const char *zNeedle)
{
  if(strstr(zHay, zNeedle) != NULL) {
    fail_msg("\"%s\" contains \"%s\"", zHay, zNeedle);
  }
}

/* The decimal number z (digits only, at most 18); -1 if it is not. */
static long long decimal(const char *z)
{
  long long v = 0;
  size_t i;

  for(i = 0; z[i] >= '0' && z[i] <= '9' && i < 18; i++) {
    v = v * 10 + (z[i] - '0');
  }
  return i > 0 && z[i] == '\0' ? v : -1;
}

/* ---- HMAC-SHA256 ------------------------------------------------------ */

/* RFC 4231 ("Identifiers and Test Vectors for HMAC-SHA-224, HMAC-SHA-256,
 * HMAC-SHA-384, and HMAC-SHA-512"), section 4, the HMAC-SHA-256 rows of
 * test cases 1, 2, 3, 4, 6 and 7.  Case 5 is truncated to 128 bits; its
 * published value is the prefix checked below. */
struct hmac_case {
  const char *zName;
  const char *zKey; /* Key bytes */
  size_t nKey;
  const char *zMsg; /* Data bytes */
  size_t nMsg;
  const char *zHex; /* HMAC-SHA-256 as published (lowercase) */
};

/* "\xaa" x 131, the key of test cases 6 and 7. */
#define AA8   "\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
#define AA64  AA8 AA8 AA8 AA8 AA8 AA8 AA8 AA8
#define AA131 AA64 AA64 "\xaa\xaa\xaa"
/* "\xdd" x 50 and "\xcd" x 50, the data of test cases 3 and 4. */
#define DD10 "\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd"
#define CD10 "\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd"

static const struct hmac_case aRfc4231[] = {
    {"4.2 test case 1",
     "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
     "\x0b\x0b\x0b\x0b",
     20, "Hi There", 8,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"4.3 test case 2", "Jefe", 4, "what do ya want for nothing?", 28,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {"4.4 test case 3",
     "\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
     "\xaa\xaa\xaa\xaa",
     20, DD10 DD10 DD10 DD10 DD10, 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {"4.5 test case 4",
     "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
     "\x11\x12\x13\x14\x15\x16\x17\x18\x19",
     25, CD10 CD10 CD10 CD10 CD10, 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {"4.7 test case 6", AA131, 131,
     "Test Using Larger Than Block-Size Key - Hash Key First", 54,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {"4.8 test case 7", AA131, 131,
     "This is a test using a larger than block-size key and a larger than "
     "block-size data. The key needs to be hashed before being used by the "
     "HMAC algorithm.",
     152, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static void test_cli_hmac_rfc4231_vectors_match(void **state)
{
  char zHex[65];
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(aRfc4231) / sizeof(aRfc4231[0]); i++) {
    const struct hmac_case *c = &aRfc4231[i];
    assert_int_equal(strlen(c->zKey), c->nKey); /* Table typo guards */
    assert_int_equal(strlen(c->zMsg), c->nMsg);
    memset(zHex, 'x', sizeof(zHex));
    assert_int_equal(
        cli_hmac_sha256_hex(c->zKey, c->nKey, c->zMsg, c->nMsg, zHex), 0);
    if(strcmp(zHex, c->zHex) != 0) {
      fail_msg("RFC 4231 %s: got %s, expected %s", c->zName, zHex, c->zHex);
    }
  }
  /* 4.6 test case 5: output truncated to 128 bits in the RFC. */
  assert_int_equal(
      cli_hmac_sha256_hex("\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c"
                          "\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c",
                          20, "Test With Truncation", 20, zHex),
      0);
  assert_int_equal(strlen(zHex), 64);
  assert_memory_equal(zHex, "a3b6167473100ee06e0c796c2955552b", 32);
}

/* The empty key and message, which the webhook never signs with but the
 * function accepts: the values of the HMAC article's examples
 * (en.wikipedia.org/wiki/HMAC, "Examples"), checked with Python's hmac
 * module. */
static void test_cli_hmac_empty_key_and_message_match_published(void **state)
{
  char zHex[65];

  (void)state;
  assert_int_equal(cli_hmac_sha256_hex("", 0, "", 0, zHex), 0);
  assert_string_equal(
      zHex,
      "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  assert_int_equal(
      cli_hmac_sha256_hex(
          "key", 3, "The quick brown fox jumps over the lazy dog", 43, zHex),
      0);
  assert_string_equal(
      zHex,
      "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  assert_int_equal(cli_hmac_sha256_hex(NULL, 4, "x", 1, zHex), -1);
  assert_string_equal(zHex, "");
}

/* ---- loopback HTTP receiver ------------------------------------------- */

#define RX_MAX 65536 /* Largest request the receiver records */

/* A one-connection HTTP receiver on 127.0.0.1.  The thread never asserts
 * or allocates (cmocka's allocator is not thread-safe): it records, and
 * the test checks after rxJoin(). */
struct receiver {
  int fd;                /* Listening socket */
  int port;              /* Its port */
  const char *zAnswer;   /* Raw answer sent after the request; NULL =
                            accept, read, never answer */
  char aReq[RX_MAX + 1]; /* The request as received, NUL-terminated */
  size_t nReq;           /* Bytes in aReq */
  size_t nHead;          /* Head length through the blank line, 0 if
                            incomplete */
  int nConn;             /* Connections accepted */
  pthread_t thread;
};

/* 1 if fd is readable within nMs. */
static int readable(int fd, int nMs)
{
  struct pollfd p;

  p.fd = fd;
  p.events = POLLIN;
  p.revents = 0;
  return poll(&p, 1, nMs) == 1;
}

/* Content-Length of the head zReq (nHead bytes); 0 if absent. */
static size_t contentLength(const char *zReq, size_t nHead)
{
  const char *zName = "\r\ncontent-length:";
  size_t i, n = strlen(zName), v = 0;

  for(i = 0; i + n < nHead; i++) {
    if(strncasecmp(zReq + i, zName, n) == 0) {
      for(i += n; zReq[i] == ' '; i++) {
      }
      for(; zReq[i] >= '0' && zReq[i] <= '9'; i++) {
        v = v * 10 + (size_t)(zReq[i] - '0');
      }
      return v;
    }
  }
  return 0;
}

/* Reads one request from connection fd into p. */
static void rxRead(struct receiver *p, int fd)
{
  while(p->nReq < RX_MAX && readable(fd, 5000)) {
    ssize_t n = recv(fd, p->aReq + p->nReq, RX_MAX - p->nReq, 0);
    if(n <= 0) {
      break;
    }
    p->nReq += (size_t)n;
    p->aReq[p->nReq] = '\0';
    if(p->nHead == 0) {
      const char *zEnd = strstr(p->aReq, "\r\n\r\n");
      p->nHead = zEnd ? (size_t)(zEnd + 4 - p->aReq) : 0;
    }
    if(p->nHead > 0 &&
       p->nReq >= p->nHead + contentLength(p->aReq, p->nHead)) {
      break;
    }
  }
}

static void *rxMain(void *pArg)
{
  struct receiver *p = pArg;
  int fd;

  if(!readable(p->fd, 5000)) {
    return NULL;
  }
  fd = accept(p->fd, NULL, NULL);
  if(fd < 0) {
    return NULL;
  }
  p->nConn++;
  rxRead(p, fd);
  if(p->zAnswer != NULL) {
    size_t i = 0, n = strlen(p->zAnswer);
    while(i < n) {
      ssize_t w = send(fd, p->zAnswer + i, n - i, MSG_NOSIGNAL);
      if(w <= 0) {
        break;
      }
      i += (size_t)w;
    }
  } else {
    char aJunk[256];
    /* Silent: wait for the client to give up and close. */
    while(readable(fd, 5000) && recv(fd, aJunk, sizeof(aJunk), 0) > 0) {
    }
  }
  close(fd);
  return NULL;
}

/* Opens a socket bound to 127.0.0.1 on a port the kernel picks; returns
 * it and writes the port. */
static int bindLoopback(int *pPort)
{
  struct sockaddr_in sa;
  socklen_t nSa = sizeof(sa);
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  assert_true(fd >= 0);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &nSa), 0);
  *pPort = ntohs(sa.sin_port);
  return fd;
}

/* Starts a receiver that sends zAnswer (NULL: never answers). */
static void rxStart(struct receiver *p, const char *zAnswer)
{
  memset(p, 0, sizeof(*p));
  p->fd = bindLoopback(&p->port);
  p->zAnswer = zAnswer;
  assert_int_equal(listen(p->fd, 4), 0);
  assert_int_equal(pthread_create(&p->thread, NULL, rxMain, p), 0);
}

static void rxJoin(struct receiver *p)
{
  assert_int_equal(pthread_join(p->thread, NULL), 0);
  close(p->fd);
}

/* Number of header lines zName has in the request of p; the value of
 * the first (leading spaces dropped) goes to zOut. */
static int header(const struct receiver *p, const char *zName, char *zOut,
                  size_t nOut)
{
  const char *z = strstr(p->aReq, "\r\n"); /* Before the current line */
  const char *zEnd = p->aReq + p->nHead;
  size_t n = strlen(zName);
  int nFound = 0;

  zOut[0] = '\0';
  while(z != NULL && z + 2 < zEnd) {
    const char *zLine = z + 2;
    const char *zEol = strstr(zLine, "\r\n");
    if(zEol == NULL || zEol == zLine) {
      break;
    }
    if(strncasecmp(zLine, zName, n) == 0 && zLine[n] == ':') {
      const char *v = zLine + n + 1;
      while(*v == ' ') {
        v++;
      }
      if(nFound++ == 0) {
        snprintf(zOut, nOut, "%.*s", (int)(zEol - v), v);
      }
    }
    z = zEol;
  }
  return nFound;
}

/* ---- webhook ---------------------------------------------------------- */

#define JSON_BODY                                                             \
  "{\"verdict\":\"retake\",\"station\":\"DX1\",\"reasons\":"                  \
  "[\"Underexposed: deviation index -4.2, limit -3\"]}"
#define OK_ANSWER                                                             \
  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

/* Posts JSON_BODY with key zKey to zPath on receiver p's port with the
 * secret zSecret and timeout nMs; returns the status of the call. */
static int post(const struct receiver *p, const char *zPath,
                const char *zSecret, long nMs, const char *zKey,
                long *pnStatus, char *zErr, size_t nErr)
{
  char zUrl[256];
  struct cli_webhook hook;

  snprintf(zUrl, sizeof(zUrl), "http://127.0.0.1:%d%s", p->port, zPath);
  hook.zUrl = zUrl;
  hook.zSecret = zSecret;
  hook.nTimeoutMs = nMs;
  hook.nConnectTimeoutMs = nMs;
  return cli_webhook_post(&hook, JSON_BODY, strlen(JSON_BODY), zKey, pnStatus,
                          zErr, nErr);
}

static void
test_cli_webhook_signed_post_sends_headers_body_signature(void **state)
{
  struct receiver rx;
  char zErr[512] = "";
  char zVal[256];
  char zSigned[1024]; /* "<timestamp>.<body>" */
  char zHex[65];
  char zExpect[80];
  long nStatus = -1;
  long long t0 = (long long)time(NULL), t1, ts;
  int rc;

  (void)state;
  rxStart(&rx, OK_ANSWER);
  rc = post(&rx, "/alerts/dx?site=1", "s3cret-key", 5000,
            "DICOM QC/42/2026-11-27T14:00:00.123Z", &nStatus, zErr,
            sizeof(zErr));
  t1 = (long long)time(NULL);
  rxJoin(&rx);
  if(rc != 0) {
    fail_msg("post failed: %s", zErr);
  }
  assert_int_equal(nStatus, 200);
  assert_int_equal(rx.nConn, 1);
  assert_true(rx.nHead > 0);
  assert_memory_equal(rx.aReq, "POST /alerts/dx?site=1 HTTP/1.1\r\n", 33);
  assert_int_equal(header(&rx, "Content-Type", zVal, sizeof(zVal)), 1);
  assert_string_equal(zVal, "application/json");
  assert_int_equal(header(&rx, "User-Agent", zVal, sizeof(zVal)), 1);
  assert_string_equal(zVal, "dicomqc/" DICOMQC_VERSION);
  assert_int_equal(header(&rx, "X-Dicomqc-Alert", zVal, sizeof(zVal)), 1);
  assert_string_equal(zVal, "DICOM QC/42/2026-11-27T14:00:00.123Z");
  assert_int_equal(header(&rx, "Content-Length", zVal, sizeof(zVal)), 1);
  assert_int_equal(decimal(zVal), (long long)strlen(JSON_BODY));
  assert_int_equal(header(&rx, "Expect", zVal, sizeof(zVal)), 0);
  /* Body: byte for byte. */
  assert_int_equal(rx.nReq - rx.nHead, strlen(JSON_BODY));
  assert_memory_equal(rx.aReq + rx.nHead, JSON_BODY, strlen(JSON_BODY));
  /* Timestamp: Unix seconds of the call. */
  assert_int_equal(header(&rx, "X-Dicomqc-Timestamp", zVal, sizeof(zVal)), 1);
  ts = decimal(zVal);
  assert_true(ts >= t0 && ts <= t1);
  /* Signature: HMAC-SHA256(secret, "<timestamp as sent>.<body>"). */
  snprintf(zSigned, sizeof(zSigned), "%s.%s", zVal, JSON_BODY);
  assert_int_equal(
      cli_hmac_sha256_hex("s3cret-key", 10, zSigned, strlen(zSigned), zHex),
      0);
  snprintf(zExpect, sizeof(zExpect), "sha256=%s", zHex);
  assert_int_equal(header(&rx, "X-Dicomqc-Signature", zVal, sizeof(zVal)), 1);
  assert_string_equal(zVal, zExpect);
  /* Not a signature of the body alone (the timestamp is bound in). */
  assert_int_equal(cli_hmac_sha256_hex("s3cret-key", 10, JSON_BODY,
                                       strlen(JSON_BODY), zHex),
                   0);
  lacks(zVal, zHex);
}

static void test_cli_webhook_without_secret_sends_no_signature(void **state)
{
  const char *azSecret[] = {NULL, ""};
  size_t i;

  (void)state;
  for(i = 0; i < 2; i++) {
    struct receiver rx;
    char zErr[512] = "";
    char zVal[256];
    long nStatus = -1;
    int rc;
    rxStart(&rx, OK_ANSWER);
    rc = post(&rx, "/", azSecret[i], 5000, "k1", &nStatus, zErr, sizeof(zErr));
    rxJoin(&rx);
    if(rc != 0) {
      fail_msg("post failed: %s", zErr);
    }
    assert_int_equal(nStatus, 200);
    assert_int_equal(header(&rx, "X-Dicomqc-Alert", zVal, sizeof(zVal)), 1);
    assert_int_equal(header(&rx, "X-Dicomqc-Timestamp", zVal, sizeof(zVal)),
                     1);
    assert_int_equal(header(&rx, "X-Dicomqc-Signature", zVal, sizeof(zVal)),
                     0);
  }
}

static void test_cli_webhook_500_returns_status_and_body_excerpt(void **state)
{
  /* A body of 21 + 300 bytes: the message keeps the first 200, with the
   * control byte 0x01 and the newline made spaces. */
  char zAnswer[1024];
  char zBody[400];
  char zErr[1024] = "";
  char zWhere[64];
  struct receiver rx;
  long nStatus = -1;
  int rc;

  (void)state;
  snprintf(zBody, sizeof(zBody), "database\x01locked\nnow %0300d", 7);
  snprintf(zAnswer, sizeof(zAnswer),
           "HTTP/1.1 500 Internal Server Error\r\nContent-Length: %zu\r\n"
           "Connection: close\r\n\r\n%s",
           strlen(zBody), zBody);
  rxStart(&rx, zAnswer);
  rc = post(&rx, "/hooks/T0KEN-secret", "k", 5000, "k1", &nStatus, zErr,
            sizeof(zErr));
  rxJoin(&rx);
  assert_int_equal(rc, -1);
  assert_int_equal(nStatus, 500);
  snprintf(zWhere, sizeof(zWhere),
           "webhook http://127.0.0.1:%d/...: ", rx.port);
  contains(zErr, zWhere);
  contains(zErr, "HTTP 500: database locked now 0000");
  lacks(zErr, "T0KEN"); /* The path is not in the message */
  /* 200 bytes of body: "database locked now " is 20, then 180 zeros. */
  assert_int_equal(strlen(strstr(zErr, "database")), 200);
}

static void test_cli_webhook_302_is_not_followed(void **state)
{
  char zAnswer[256];
  char zErr[512] = "";
  struct receiver rx;
  long nStatus = -1;
  int rc;

  (void)state;
  snprintf(zAnswer, sizeof(zAnswer),
           "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\n"
           "Content-Length: 0\r\nConnection: close\r\n\r\n");
  rxStart(&rx, zAnswer);
  rc = post(&rx, "/old", NULL, 5000, "k1", &nStatus, zErr, sizeof(zErr));
  rxJoin(&rx);
  assert_int_equal(rc, -1);
  assert_int_equal(nStatus, 302);
  assert_int_equal(rx.nConn, 1);
  contains(zErr, "HTTP 302: redirect not followed");
}

static void test_cli_webhook_silent_receiver_times_out(void **state)
{
  char zErr[512] = "";
  struct receiver rx;
  long nStatus = -1;
  long long nStart, nMs;
  int rc;

  (void)state;
  rxStart(&rx, NULL);
  nStart = nowMs();
  rc = post(&rx, "/slow", "k", 300, "k1", &nStatus, zErr, sizeof(zErr));
  nMs = nowMs() - nStart;
  rxJoin(&rx);
  assert_int_equal(rc, -1);
  assert_int_equal(nStatus, 0);
  assert_int_equal(rx.nConn, 1);
  assert_true(rx.nHead > 0); /* The request did arrive */
  contains(zErr, "timed out after 300 ms");
  if(nMs < 250 || nMs >= HANG_MS) {
    fail_msg("returned after %lld ms, expected about 300", nMs);
  }
}

static void test_cli_webhook_refused_connection_names_url(void **state)
{
  char zUrl[128];
  char zWhere[64];
  char zErr[512] = "";
  struct cli_webhook hook;
  long nStatus = -1;
  int port;
  int fd = bindLoopback(&port); /* Bound, never listening, then closed */

  (void)state;
  close(fd);
  snprintf(zUrl, sizeof(zUrl), "http://alice:pa55word@127.0.0.1:%d/x?t=1",
           port);
  hook.zUrl = zUrl;
  hook.zSecret = "k";
  hook.nTimeoutMs = 5000;
  hook.nConnectTimeoutMs = 2000;
  assert_int_equal(
      cli_webhook_post(&hook, "{}", 2, "k1", &nStatus, zErr, sizeof(zErr)),
      -1);
  assert_int_equal(nStatus, 0);
  snprintf(zWhere, sizeof(zWhere), "webhook http://127.0.0.1:%d/...: ", port);
  contains(zErr, zWhere);
  contains(zErr, "onnect"); /* libcurl: "Failed to connect ..." */
  lacks(zErr, "pa55word");
}

static void
test_cli_webhook_non_http_urls_and_bad_keys_are_refused(void **state)
{
  const char *azUrl[] = {"ftp://127.0.0.1/alerts", "file:///etc/passwd",
                         "gopher://127.0.0.1:70/", "httpx://127.0.0.1/",
                         "127.0.0.1:8080/alerts"};
  const char *azKey[] = {"", " lead", "trail ", "k\r\nX-Injected: 1",
                         "k\xc3\xa9"};
  struct cli_webhook hook = {NULL, "k", 1000, 1000};
  char zErr[512];
  long nStatus;
  size_t i;

  (void)state;
  for(i = 0; i < sizeof(azUrl) / sizeof(azUrl[0]); i++) {
    hook.zUrl = azUrl[i];
    zErr[0] = '\0';
    nStatus = -1;
    assert_int_equal(
        cli_webhook_post(&hook, "{}", 2, "k1", &nStatus, zErr, sizeof(zErr)),
        -1);
    assert_int_equal(nStatus, 0);
    contains(zErr, "only http:// and https:// URLs are allowed");
  }
  hook.zUrl = "http://127.0.0.1:1/";
  for(i = 0; i < sizeof(azKey) / sizeof(azKey[0]); i++) {
    zErr[0] = '\0';
    assert_int_equal(
        cli_webhook_post(&hook, "{}", 2, azKey[i], NULL, zErr, sizeof(zErr)),
        -1);
    contains(zErr, "the alert key must be");
  }
}

/* ---- hook program ----------------------------------------------------- */

/* Fixture: a fresh mkdtemp() directory, as *state. */
static int dirSetup(void **state)
{
  char *zDir = malloc(64);

  if(zDir == NULL) {
    return -1;
  }
  snprintf(zDir, 64, "/tmp/dicomqc-deliver-XXXXXX");
  if(mkdtemp(zDir) == NULL) {
    free(zDir);
    return -1;
  }
  *state = zDir;
  return 0;
}

/* Removes the files the hook tests create, then the directory. */
static int dirTeardown(void **state)
{
  static const char *const azName[] = {
      "out", "out.env", "x",         "y",      "z",
      "a",   "pid",     "pid.child", "noexec", "a;touch b $(touch c)"};
  char zPath[256];
  size_t i;

  for(i = 0; i < sizeof(azName) / sizeof(azName[0]); i++) {
    snprintf(zPath, sizeof(zPath), "%s/%s", (char *)*state, azName[i]);
    remove(zPath);
  }
  if(rmdir(*state) != 0) {
    fprintf(stderr, "cannot remove %s: %s\n", (char *)*state, strerror(errno));
  }
  free(*state);
  return 0;
}

/* zDir/zName into zBuf. */
static const char *inDir(char *zBuf, size_t nBuf, const char *zDir,
                         const char *zName)
{
  assert_true((size_t)snprintf(zBuf, nBuf, "%s/%s", zDir, zName) < nBuf);
  return zBuf;
}

/* 1 if text z has the whole line zLine. */
static int hasLine(const char *z, const char *zLine)
{
  size_t n = strlen(zLine);
  const char *p;

  for(p = strstr(z, zLine); p != NULL; p = strstr(p + 1, zLine)) {
    if((p == z || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) {
      return 1;
    }
  }
  return 0;
}

/* Fails the test, freeing zText (from tu_read_file()), unless zText has
 * the whole line zLine (isWanted 1) or does not have it (isWanted 0). */
static void expectLine(char *zText, const char *zLine, int isWanted)
{
  if(hasLine(zText, zLine) != isWanted) {
    free(zText);
    fail_msg("the hook's environment %s the line \"%s\"",
             isWanted ? "lacks" : "has", zLine);
  }
}

/* 1 if file zPath exists. */
static int exists(const char *zPath)
{
  struct stat st;

  return stat(zPath, &st) == 0;
}

static void test_cli_exec_hook_stdin_and_environment_arrive(void **state)
{
  const char *zDir = *state;
  char zOut[256], zEnvFile[256];
  /* /proc/PID/environ is the environment exec() got: the shell's own
   * view (`env`) would hide a name given twice. */
  const char *azArgv[] = {"/bin/sh",
                          "-c",
                          "cat > \"$1\"; tr '\\000' '\\n' < /proc/$$/environ"
                          " > \"$1.env\"",
                          "hook",
                          NULL,
                          NULL};
  const char *azEnv[] = {"DICOMQC_VERDICT=retake",
                         "DICOMQC_REASON=line1\nline2\tx\x1b[31m\x7f!",
                         "DICOMQC_OVERRIDE=new", NULL};
  size_t nIn = 200000, nGot = 0, i; /* Over the 64 KiB a pipe holds */
  uint64_t seed = 42;
  char *zIn = malloc(nIn + 1);
  char *zGot, *zEnvText;
  char zErr[512] = "";
  int rc;

  assert_non_null(zIn);
  azArgv[4] = inDir(zOut, sizeof(zOut), zDir, "out");
  inDir(zEnvFile, sizeof(zEnvFile), zDir, "out.env");
  /* JSON-like text with UTF-8: printable ASCII, newlines and "é". */
  for(i = 0; i < nIn; i++) {
    zIn[i] = (char)(0x20 + tu_rand(&seed) % 95);
  }
  memcpy(zIn, "{\"a\":\"\xc3\xa9\"\n", 10);
  zIn[nIn] = '\0';
  assert_int_equal(setenv("DICOMQC_OVERRIDE", "old", 1), 0);
  assert_int_equal(setenv("DICOMQC_INHERITED", "yes", 1), 0);
  rc = cli_exec_hook(azArgv, azEnv, zIn, nIn, 10000, zErr, sizeof(zErr));
  unsetenv("DICOMQC_OVERRIDE");
  unsetenv("DICOMQC_INHERITED");
  if(rc != 0) {
    free(zIn);
    fail_msg("hook failed: %s", zErr);
  }
  zGot = tu_read_file(zOut, &nGot);
  assert_non_null(zGot);
  assert_int_equal(nGot, nIn);
  assert_memory_equal(zGot, zIn, nIn);
  free(zGot);
  free(zIn);
  zEnvText = tu_read_file(zEnvFile, &nGot);
  assert_non_null(zEnvText);
  expectLine(zEnvText, "DICOMQC_VERDICT=retake", 1);
  /* \n \t ESC DEL became spaces: one line. */
  expectLine(zEnvText, "DICOMQC_REASON=line1 line2 x [31m !", 1);
  expectLine(zEnvText, "DICOMQC_OVERRIDE=new", 1);
  expectLine(zEnvText, "DICOMQC_OVERRIDE=old", 0);
  expectLine(zEnvText, "DICOMQC_INHERITED=yes", 1);
  free(zEnvText);
}

static void test_cli_exec_hook_shell_syntax_stays_literal(void **state)
{
  const char *zDir = *state;
  char zOut[256], zX[256], zY[256], zZ[256], zA[256], zLit[256];
  char zEvil[1024], zEnvEvil[1100], zEnvName[300];
  const char *azArgv[] = {"sh",
                          "-c",
                          "printf '%s' \"$1\" > \"$2\"; "
                          "printf '%s' \"$DICOMQC_NOTE\" > \"$2.env\"",
                          "hook",
                          zEvil,
                          zOut,
                          NULL};
  const char *azEnv[] = {zEnvEvil, NULL};
  const char *azTouch[] = {"touch", zLit, NULL};
  char zErr[512] = "";
  char *zGot;
  size_t nGot;

  inDir(zOut, sizeof(zOut), zDir, "out");
  inDir(zEnvName, sizeof(zEnvName), zDir, "out.env");
  inDir(zX, sizeof(zX), zDir, "x");
  inDir(zY, sizeof(zY), zDir, "y");
  inDir(zZ, sizeof(zZ), zDir, "z");
  snprintf(zEvil, sizeof(zEvil), "$(touch %s); touch %s; `touch %s`", zX, zY,
           zZ);
  snprintf(zEnvEvil, sizeof(zEnvEvil), "DICOMQC_NOTE=%s", zEvil);
  /* "sh" is found through PATH. */
  if(cli_exec_hook(azArgv, azEnv, "", 0, 10000, zErr, sizeof(zErr)) != 0) {
    fail_msg("hook failed: %s", zErr);
  }
  zGot = tu_read_file(zOut, &nGot);
  assert_non_null(zGot);
  assert_string_equal(zGot, zEvil);
  free(zGot);
  zGot = tu_read_file(zEnvName, &nGot);
  assert_non_null(zGot);
  assert_string_equal(zGot, zEvil);
  free(zGot);
  assert_false(exists(zX));
  assert_false(exists(zY));
  assert_false(exists(zZ));
  /* A program that is not a shell: touch makes one file with the whole
   * argument as its name. */
  inDir(zLit, sizeof(zLit), zDir, "a;touch b $(touch c)");
  inDir(zA, sizeof(zA), zDir, "a");
  if(cli_exec_hook(azTouch, NULL, NULL, 0, 10000, zErr, sizeof(zErr)) != 0) {
    fail_msg("touch failed: %s", zErr);
  }
  assert_true(exists(zLit));
  assert_false(exists(zA));
}

static void
test_cli_exec_hook_exit_status_3_names_status_and_stderr(void **state)
{
  const char *azArgv[] = {"/bin/sh", "-c",
                          "echo progress; printf '\\n  first \\033 problem"
                          "\\nsecond problem\\n' >&2; exit 3",
                          NULL};
  char zErr[512] = "";

  (void)state;
  assert_int_equal(
      cli_exec_hook(azArgv, NULL, "{}", 2, 10000, zErr, sizeof(zErr)), -1);
  /* ESC became a space, between the two spaces around it. */
  assert_string_equal(zErr,
                      "hook /bin/sh: exited with status 3: first   problem");
}

static void test_cli_exec_hook_signals_reset_and_reported(void **state)
{
  const char *azTerm[] = {"/bin/sh", "-c", "kill -TERM $$; exit 0", NULL};
  const char *azPipe[] = {"/bin/sh", "-c", "kill -PIPE $$; exit 0", NULL};
  sigset_t term, old;
  char zErr[512] = "";
  int rc;

  (void)state;
  /* The node blocks SIGTERM in its threads and ignores SIGPIPE (main()
   * does it here): the hook must still die of both. */
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  assert_int_equal(pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  rc = cli_exec_hook(azTerm, NULL, NULL, 0, 10000, zErr, sizeof(zErr));
  assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
  assert_int_equal(rc, -1);
  assert_string_equal(zErr, "hook /bin/sh: killed by signal 15");
  assert_int_equal(
      cli_exec_hook(azPipe, NULL, NULL, 0, 10000, zErr, sizeof(zErr)), -1);
  assert_string_equal(zErr, "hook /bin/sh: killed by signal 13");
}

/* 1 once process pid is gone: no such process, or a zombie that only
 * waits for init to reap it. */
static int processGone(long long pid)
{
  char zPath[64];
  char zStat[512];
  const char *zState;
  size_t n;
  FILE *f;

  if(kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
    return 1;
  }
  snprintf(zPath, sizeof(zPath), "/proc/%lld/stat", pid);
  f = fopen(zPath, "r");
  if(f == NULL) {
    return 1;
  }
  n = fread(zStat, 1, sizeof(zStat) - 1, f);
  fclose(f);
  zStat[n] = '\0';
  zState = strrchr(zStat, ')'); /* "pid (comm) S ..." */
  return zState != NULL && zState[1] == ' ' && zState[2] == 'Z';
}

/* The pid in file zPath. */
static long long readPid(const char *zPath)
{
  size_t n = 0;
  char *z = tu_read_file(zPath, &n);
  long long pid;

  if(z == NULL) {
    fail_msg("no pid file %s", zPath);
  }
  while(n > 0 && (z[n - 1] == '\n')) {
    z[--n] = '\0';
  }
  pid = decimal(z);
  free(z);
  assert_true(pid > 1);
  return pid;
}

static void test_cli_exec_hook_timeout_kills_process_group(void **state)
{
  const char *zDir = *state;
  char zPidFile[256], zChildFile[256];
  const char *azArgv[] = {
      "/bin/sh",
      "-c",
      "echo $$ > \"$1\"; sleep 30 & echo $! > \"$1.child\";"
      " wait",
      "hook",
      zPidFile,
      NULL};
  char zErr[512] = "";
  long long nStart, nMs, pidSh, pidSleep;
  int i, rc;

  inDir(zPidFile, sizeof(zPidFile), zDir, "pid");
  inDir(zChildFile, sizeof(zChildFile), zDir, "pid.child");
  nStart = nowMs();
  rc = cli_exec_hook(azArgv, NULL, NULL, 0, 400, zErr, sizeof(zErr));
  nMs = nowMs() - nStart;
  assert_int_equal(rc, -1);
  assert_string_equal(zErr, "hook /bin/sh: timed out after 400 ms, killed");
  if(nMs < 350 || nMs >= HANG_MS) {
    fail_msg("returned after %lld ms, expected about 400", nMs);
  }
  pidSh = readPid(zPidFile);
  pidSleep = readPid(zChildFile);
  /* The hook was reaped: its pid is free at once. */
  assert_int_equal(kill((pid_t)pidSh, 0), -1);
  assert_int_equal(errno, ESRCH);
  /* Its child, in its group, was killed too (init reaps it). */
  for(i = 0; i < 100 && !processGone(pidSleep); i++) {
    struct timespec ts = {0, 20000000}; /* 20 ms */
    nanosleep(&ts, NULL);
  }
  if(!processGone(pidSleep)) {
    kill((pid_t)pidSleep, SIGKILL);
    fail_msg("sleep %lld outlived its hook", pidSleep);
  }
}

static void test_cli_exec_hook_missing_program_cannot_be_run(void **state)
{
  const char *zDir = *state;
  char zNoExec[256], zExpect[512];
  const char *azAbs[] = {"/nonexistent/dicomqc-hook", NULL};
  const char *azPath[] = {"dicomqc-no-such-hook-7f3a", NULL};
  const char *azNoExec[] = {zNoExec, NULL};
  const char *azBadEnv[] = {"NOEQUALS", NULL};
  const char *azBadName[] = {"1BAD=x", NULL};
  const char *azTrue[] = {"/bin/true", NULL};
  char zErr[512] = "";

  assert_int_equal(
      cli_exec_hook(azAbs, NULL, NULL, 0, 1000, zErr, sizeof(zErr)), -1);
  snprintf(zExpect, sizeof(zExpect),
           "hook /nonexistent/dicomqc-hook: cannot be run: %s",
           strerror(ENOENT));
  assert_string_equal(zErr, zExpect);
  assert_int_equal(
      cli_exec_hook(azPath, NULL, NULL, 0, 1000, zErr, sizeof(zErr)), -1);
  contains(zErr, "hook dicomqc-no-such-hook-7f3a: cannot be run: ");
  /* A file without the execute bit. */
  inDir(zNoExec, sizeof(zNoExec), zDir, "noexec");
  tu_write_file(zNoExec, "#!/bin/sh\nexit 0\n");
  assert_int_equal(chmod(zNoExec, 0644), 0);
  assert_int_equal(
      cli_exec_hook(azNoExec, NULL, NULL, 0, 1000, zErr, sizeof(zErr)), -1);
  snprintf(zExpect, sizeof(zExpect), "hook %s: cannot be run: %s", zNoExec,
           strerror(EACCES));
  assert_string_equal(zErr, zExpect);
  /* Environment entries that are not NAME=value. */
  assert_int_equal(
      cli_exec_hook(azTrue, azBadEnv, NULL, 0, 1000, zErr, sizeof(zErr)), -1);
  contains(zErr, "hook /bin/true: environment entry 1 is not NAME=value");
  assert_int_equal(
      cli_exec_hook(azTrue, azBadName, NULL, 0, 1000, zErr, sizeof(zErr)), -1);
  contains(zErr, "is not NAME=value");
}

static void test_cli_exec_hook_unread_1mib_stdin_does_not_hang(void **state)
{
  const char *azTrue[] = {"/bin/true", NULL};
  const char *azSleep[] = {"/bin/sh", "-c", "sleep 0.2", NULL};
  const char *azClose[] = {"/bin/sh", "-c", "exec 0<&-; sleep 0.2", NULL};
  const char *const *aaArgv[] = {azTrue, azSleep, azClose};
  size_t nIn = 1 << 20, i;
  char *zIn = malloc(nIn);
  char zErr[512];

  (void)state;
  assert_non_null(zIn);
  memset(zIn, '{', nIn);
  for(i = 0; i < 3; i++) {
    long long nStart = nowMs(), nMs;
    int rc;
    zErr[0] = '\0';
    rc = cli_exec_hook(aaArgv[i], NULL, zIn, nIn, 10000, zErr, sizeof(zErr));
    nMs = nowMs() - nStart;
    if(rc != 0 || nMs >= HANG_MS) {
      free(zIn);
      fail_msg("%s: rc %d after %lld ms: %s", aaArgv[i][0], rc, nMs, zErr);
    }
  }
  free(zIn);
}

static void test_cli_exec_hook_1mib_output_does_not_hang(void **state)
{
  const char *azOut[] = {"/bin/sh", "-c", "head -c 1048576 /dev/zero", NULL};
  const char *azBoth[] = {"/bin/sh", "-c",
                          "head -c 1048576 /dev/zero & "
                          "head -c 1048576 /dev/zero >&2; wait",
                          NULL};
  const char *azErr[] = {"/bin/sh", "-c",
                         "yes 'disk full on /var' | head -c 1048576 >&2;"
                         " exit 5",
                         NULL};
  char zErr[512] = "";
  long long nStart;

  (void)state;
  nStart = nowMs();
  if(cli_exec_hook(azOut, NULL, NULL, 0, 10000, zErr, sizeof(zErr)) != 0) {
    fail_msg("stdout 1 MiB: %s", zErr);
  }
  if(cli_exec_hook(azBoth, NULL, NULL, 0, 10000, zErr, sizeof(zErr)) != 0) {
    fail_msg("stdout and stderr 1 MiB: %s", zErr);
  }
  assert_int_equal(
      cli_exec_hook(azErr, NULL, NULL, 0, 10000, zErr, sizeof(zErr)), -1);
  assert_string_equal(zErr,
                      "hook /bin/sh: exited with status 5: disk full on /var");
  assert_true(nowMs() - nStart < HANG_MS);
}

static void
test_cli_exec_hook_exit_does_not_wait_for_its_children(void **state)
{
  const char *zDir = *state;
  char zPidFile[256];
  /* The background sleep keeps stdout and stderr open after sh exits. */
  const char *azArgv[] = {
      "/bin/sh", "-c",     "sleep 5 & echo $! > \"$1\"; exit 0",
      "hook",    zPidFile, NULL};
  char zErr[512] = "";
  long long nStart, nMs, pid;
  int rc;

  inDir(zPidFile, sizeof(zPidFile), zDir, "pid");
  nStart = nowMs();
  rc = cli_exec_hook(azArgv, NULL, NULL, 0, 10000, zErr, sizeof(zErr));
  nMs = nowMs() - nStart;
  pid = readPid(zPidFile);
  kill((pid_t)pid, SIGKILL); /* Left running by design; tidy up */
  if(rc != 0 || nMs >= HANG_MS) {
    fail_msg("rc %d after %lld ms: %s", rc, nMs, zErr);
  }
}

static void test_cli_exec_hook_inherits_no_other_descriptor(void **state)
{
  const char *zDir = *state;
  char zPath[256], zScript[256];
  const char *azArgv[] = {"/bin/sh", "-c", zScript, NULL};
  char zErr[512] = "";
  int fd;
  int rc;

  /* Opened without O_CLOEXEC, as a library of the node might. */
  fd = open(inDir(zPath, sizeof(zPath), zDir, "out"),
            O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd > 2);
  /* fd 2 must be there (so the check works), fd must not. */
  snprintf(zScript, sizeof(zScript),
           "[ -e /proc/$$/fd/2 ] || exit 8; [ -e /proc/$$/fd/%d ] && exit 9;"
           " exit 0",
           fd);
  rc = cli_exec_hook(azArgv, NULL, NULL, 0, 10000, zErr, sizeof(zErr));
  close(fd);
  if(rc != 0) {
    fail_msg("%s", zErr);
  }
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, dirSetup, dirTeardown)

/* libcurl's global set-up, once for the webhook tests. */
static int groupSetup(void **state)
{
  char zErr[256];

  (void)state;
  if(cli_deliver_global_init(zErr, sizeof(zErr)) != 0) {
    fprintf(stderr, "%s\n", zErr);
    return -1;
  }
  return 0;
}

static int groupTeardown(void **state)
{
  (void)state;
  cli_deliver_global_cleanup();
  return 0;
}

int main(void)
{
  const struct CMUnitTest aTest[] = {
      cmocka_unit_test(test_cli_hmac_rfc4231_vectors_match),
      cmocka_unit_test(test_cli_hmac_empty_key_and_message_match_published),
      cmocka_unit_test(
          test_cli_webhook_signed_post_sends_headers_body_signature),
      cmocka_unit_test(test_cli_webhook_without_secret_sends_no_signature),
      cmocka_unit_test(test_cli_webhook_500_returns_status_and_body_excerpt),
      cmocka_unit_test(test_cli_webhook_302_is_not_followed),
      cmocka_unit_test(test_cli_webhook_silent_receiver_times_out),
      cmocka_unit_test(test_cli_webhook_refused_connection_names_url),
      cmocka_unit_test(
          test_cli_webhook_non_http_urls_and_bad_keys_are_refused),
      DIR_TEST(test_cli_exec_hook_stdin_and_environment_arrive),
      DIR_TEST(test_cli_exec_hook_shell_syntax_stays_literal),
      DIR_TEST(test_cli_exec_hook_exit_status_3_names_status_and_stderr),
      DIR_TEST(test_cli_exec_hook_signals_reset_and_reported),
      DIR_TEST(test_cli_exec_hook_timeout_kills_process_group),
      DIR_TEST(test_cli_exec_hook_missing_program_cannot_be_run),
      DIR_TEST(test_cli_exec_hook_unread_1mib_stdin_does_not_hang),
      DIR_TEST(test_cli_exec_hook_1mib_output_does_not_hang),
      DIR_TEST(test_cli_exec_hook_exit_does_not_wait_for_its_children),
      DIR_TEST(test_cli_exec_hook_inherits_no_other_descriptor),
  };

  /* The node ignores SIGPIPE (serve.c); so does this test, so that a hook
   * closing its stdin gives EPIPE. */
  signal(SIGPIPE, SIG_IGN);
  /* Loopback requests must not go through a proxy of the environment. */
  setenv("no_proxy", "*", 1);
  setenv("NO_PROXY", "*", 1);
  return cmocka_run_group_tests(aTest, groupSetup, groupTeardown);
}
