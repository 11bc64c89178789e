/* SPDX-License-Identifier: BSD-3-Clause
 *
 * deliver.h - the transports that carry a retake alert to the technician
 * (deliver.c): an HTTP(S) webhook POST of the alert's JSON, signed with
 * HMAC-SHA256 when the channel has a secret, and a local hook program
 * that gets the JSON on its standard input.  The dispatcher (outbox,
 * retries, routing) calls these; each call is one attempt, reports its
 * outcome as 0 / -1 plus a message in a caller-owned buffer, and keeps
 * no state between calls.  Every function is thread-safe once
 * cli_deliver_global_init() has run.
 *
 * A webhook request carries these headers (the receiver's contract; the
 * README repeats it):
 *
 *   Content-Type: application/json
 *   User-Agent: dicomqc/<version>
 *   X-Dicomqc-Alert: <alert key>   same key on every retry: receivers
 *                                  drop duplicates with it
 *   X-Dicomqc-Timestamp: <t>       Unix time, seconds, decimal
 *   X-Dicomqc-Signature: sha256=<hex>   only when a secret is set
 *
 * where <hex> is the lowercase hex HMAC-SHA256, keyed with the secret,
 * of the bytes "<t>.<body>": the timestamp exactly as sent, a '.', then
 * the body.  A receiver recomputes it, compares in constant time, and
 * refuses a timestamp too far from its clock (replay).
 */
#ifndef DICOMQC_DELIVER_H
#define DICOMQC_DELIVER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Initialises libcurl (curl_global_init) once for the process, before
 * any thread calls cli_webhook_post() and while only one thread runs.
 * Returns 0, or -1 with libcurl's reason in zErr (nErr bytes, at least
 * 1).  Pair it with cli_deliver_global_cleanup(). */
int cli_deliver_global_init(char *zErr, size_t nErr);

/* Releases what cli_deliver_global_init() set up, once no thread uses
 * libcurl any more.  Cannot fail. */
void cli_deliver_global_cleanup(void);

/* One webhook channel.  The strings are the caller's, only read. */
struct cli_webhook {
  const char *zUrl;       /* http:// or https:// only */
  const char *zSecret;    /* HMAC key, NULL or "" = no signature header */
  long nTimeoutMs;        /* Whole request, ms, > 0 (e.g. 10000) */
  long nConnectTimeoutMs; /* Connection set-up, ms, > 0 (e.g. 3000) */
};

/* POSTs zBody (nBody bytes of JSON) to pHook->zUrl with the headers
 * above; zAlertKey (1..200 printable ASCII characters, no space at
 * either end) goes in X-Dicomqc-Alert.  Redirects are not followed and
 * only http and https are spoken.  Proxies of the environment
 * (https_proxy, no_proxy ...) apply, as in curl.
 *
 * Returns 0 when the receiver answered 2xx.  Returns -1 otherwise, with
 * zErr (nErr bytes, at least 1) naming the URL and saying why:
 * "HTTP <status>: <first 200 bytes of the response body, printable
 * ASCII>", "HTTP 3xx: redirect not followed; ...", "timed out after
 * N ms" (after "no connection: " when it was never made, N then the
 * connect timeout), curl's error text (connection refused, TLS, DNS
 * ...), or a bad argument.  The URL is named as scheme://host:port only,
 * with "/..." when it has more: webhook paths and queries often hold
 * tokens, and the message lands in logs.  *pnStatus (may be NULL) gets
 * the HTTP status, 0 if no answer came.  Thread-safe; keeps nothing
 * after the call.
 * Tests: tests/unit/test_cli_deliver.c */
int cli_webhook_post(const struct cli_webhook *pHook, const char *zBody,
                     size_t nBody, const char *zAlertKey, long *pnStatus,
                     char *zErr, size_t nErr);

/* HMAC-SHA256 (RFC 2104 / FIPS 198-1) of pMsg (nMsg bytes) keyed with
 * pKey (nKey bytes, may be 0), written to zHex as 64 lowercase hex digits
 * and a NUL.  Returns 0, or -1 (zHex is then "") if libcrypto fails.
 * Tests: tests/unit/test_cli_deliver.c (RFC 4231 section 4 vectors) */
int cli_hmac_sha256_hex(const void *pKey, size_t nKey, const void *pMsg,
                        size_t nMsg, char zHex[65]);

/* Runs a hook program without a shell: azArgv (NULL-terminated, at least
 * one entry) is its argv, and azArgv[0] an absolute path or a name
 * looked up in PATH.  Its environment is the node's plus azEnv (may be
 * NULL; "NAME=value" strings, NULL-terminated, NAME of letters, digits
 * and '_'), which replaces variables of the same name; control
 * characters of a value become spaces.  zStdin (nStdin bytes) is written
 * to its standard input, which is then closed; a program that exits
 * without reading it is fine.  Its stdout and stderr are read as they
 * come (the first 1000 bytes of each kept, the rest discarded).  It runs
 * in a process group of its own, with default signal dispositions and
 * no blocked signals, and inherits no descriptor but 0, 1 and 2.  After
 * nTimeoutMs (> 0) the whole group is killed with SIGKILL; the program
 * is always reaped before the call returns.  A child the program leaves
 * running when it exits is neither waited for (past 100 ms for the
 * pipes) nor killed.
 *
 * Returns 0 when the program exited with status 0.  Returns -1 otherwise,
 * with zErr (nErr bytes, at least 1) naming the program and saying
 * "cannot be run: <errno text>", "exited with status N", "killed by
 * signal N" or "timed out after N ms, killed", followed by ": " and the
 * first non-empty line of its stderr (else of its stdout), in printable
 * ASCII, when there is one.  Thread-safe; SIGPIPE must be ignored in the
 * process (the node does), so a program that closes its stdin early
 * cannot kill the node.
 * Tests: tests/unit/test_cli_deliver.c */
int cli_exec_hook(const char *const *azArgv, const char *const *azEnv,
                  const char *zStdin, size_t nStdin, long nTimeoutMs,
                  char *zErr, size_t nErr);

#ifdef __cplusplus
}
#endif

#endif /* DICOMQC_DELIVER_H */
