/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dicom_scp.cc - the DICOM listener (SCP) of dicom.h: C-ECHO and C-STORE
 * on DCMTK 3.6.7's dcmnet, every received object streamed to a temp file
 * byte for byte and handed to a callback.
 *
 * How it sits on DCMTK:
 *   scpPool (a DcmBaseSCPPool, the base of DcmSCPPool<>) owns the accept
 *     loop.  It overrides listen() so that the socket bound by
 *     dicom_scp_new() (our address, our port, busy port reported early)
 *     replaces DCMTK's own, so that dicom_scp_stop() is seen at once
 *     (poll on a pipe) and so that rejections are logged.  It overrides
 *     createSCPWorker() because DcmSCPPool<SCP> default-constructs its SCP
 *     and so cannot hand it our handle.  Workers are detached threads:
 *     DCMTK 3.6.7 deletes a worker when its association ends but never
 *     joins its thread.
 *   scpHandler (a DcmThreadSCP) runs one association: AE title and
 *     allowlist checks, presentation context negotiation in the
 *     proposer's order of transfer syntaxes, C-STORE into a file.  It
 *     reads the dataset PDVs itself (DUL_NextPDV/DUL_ReadPDVs) rather
 *     than through DcmSCP::receiveSTORERequest(filename): that one goes
 *     through DIMSE_receiveDataSetInFile(), which refuses transfer
 *     syntaxes DCMTK 3.6.7 does not know (HTJ2K), writes through stdio
 *     (a late ENOSPC at fclose is lost) and opens the file itself.
 *     DCMTK 3.6.7's DIMSE layer also refuses any message on a context
 *     whose transfer syntax it does not know, so after the A-ASSOCIATE-AC
 *     such a context gets a known stand-in in DCMTK's local copy (see
 *     standInUnknownXfers()); the real UID goes to the peer and the file.
 *   scpConn (a DcmTCPConnection, made by our scpLayer transport layer)
 *     sets TCP_NODELAY on every accepted socket whatever the TCP_NODELAY
 *     environment variable says (DCMTK 3.6.7 leaves Nagle on otherwise),
 *     re-arms TCP_QUICKACK after every read so a sender that keeps Nagle
 *     on is acknowledged at once, sends with MSG_NOSIGNAL, and cuts an
 *     idle wait short once the listener is stopping.
 *   scpTlsConn (a DcmTLSConnection) is what scpLayer makes instead when
 *     the listener has a certificate: the same socket options, quick ACKs
 *     and stop-aware waits (after OpenSSL's own buffer, SSL_pending), plus
 *     a server handshake of our own: non-blocking, bounded by acseTimeout
 *     and the stop pipe, and logged (tls_accepted / tls_failed with the
 *     reason), where DCMTK's would block the accepting thread for as long
 *     as a silent peer likes.  scpLayer builds it exactly as DCMTK 3.6.7's
 *     DcmTLSTransportLayer::createConnection() builds a DcmTLSConnection
 *     (SSL_new on the layer's context, SSL_set_fd), on the context that
 *     dicom_scp_new() configured through DcmTLSTransportLayer: PEM
 *     certificate and key (checked to match), trusted CA file, client
 *     certificate verification mode, BCP 195 profile.  TLS writes go
 *     through OpenSSL's write(), not send(MSG_NOSIGNAL): SIGPIPE is
 *     ignored process-wide by DCMTK's DUL_InitializeNetwork().
 *
 * Assumes: everything from the network is untrusted.  Memory per
 * association is one PDU (maxPdu); nothing of the dataset is parsed.
 * Every DCMTK condition and C++ exception becomes a status and a message
 * here; nothing C++ leaves this file.
 */
#include "dicom_int.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dcmlayer.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dul.h>
#include <dcmtk/dcmnet/lst.h>
#include <dcmtk/dcmnet/scppool.h>
#include <dcmtk/dcmnet/scpthrd.h>
#include <dcmtk/dcmtls/tlslayer.h>
#include <dcmtk/dcmtls/tlstrans.h>
#include <dcmtk/oflog/oflog.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#define SCP_MAGIC 0x44534350u /* "DSCP": set while a handle is alive */

namespace {

/* One allowlist entry: "AE" (zHost empty) or "AE@HOST". */
struct scpAllow {
  std::string zAe;   /* Calling AE title that is allowed */
  std::string zHost; /* IPv4 address or host name, "" = any host */
};

} /* namespace */

struct dicom_scp {
  uint32_t magic;               /* SCP_MAGIC while alive */
  struct dicom_scp_config cfg;  /* Copy; its strings point below */
  std::string zAet;             /* Our AE title */
  std::string zBindAddr;        /* Address to bind, "" = any */
  std::string zTempDir;         /* Directory for in-progress files */
  std::vector<scpAllow> aAllow; /* Parsed allowlist, empty = everyone */
  std::string zErr;             /* Last error message, "" if none */
  int fdListen;                 /* Bound listening socket, -1 once
                                    handed to DCMTK in run() */
  int aPipe[2];                 /* Stop pipe: [0] becomes readable (and
                                    stays so) when stop is called */
  uint16_t port;                /* Port actually bound */
  std::atomic<bool> bStop;      /* dicom_scp_stop() was called */
  std::atomic<bool> bRan;       /* dicom_scp_run() was called */
  std::atomic<uint64_t> nSeq;   /* Counter for temp file names */
  std::string aTls[4];          /* Copies of zTlsCert, zTlsKey, zTlsCaFile,
                                   zTlsProfile ("" = NULL) */
  /* The TLS context of our connections (setupTls()); NULL = plain TCP. */
  std::unique_ptr<DcmTLSTransportLayer> pTls;
};

namespace {

std::once_flag gScpOnce; /* Process-wide DCMTK settings, set once */

/* The transfer syntaxes accepted for storage: those dicom/ decodes.  The
 * HTJ2K UIDs are unknown to DCMTK 3.6.7 and work here because they are
 * only compared as strings. */
const char *const azStoreXfer[] = {
    "1.2.840.10008.1.2",       "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",     "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.50",  "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",  "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",  "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.5",     "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",  "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"};

/* Transfer syntaxes for Verification: the three uncompressed ones. */
const char *const azEchoXfer[] = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
                                  "1.2.840.10008.1.2.2"};

/* Quiets DCMTK's logger (we log through xLog) and turns reverse DNS off:
 * it would stall the accepting thread and give names where the allowlist
 * and the logs want addresses.  Both are process-wide DCMTK settings.
 * OpenSSL is initialised here too, once: DCMTK's initializeOpenSSL() is
 * not thread-safe. */
void initScp()
{
  std::call_once(gScpOnce, [] {
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    dcmDisableGethostbyaddr.set(OFTrue);
    DcmTLSTransportLayer::initializeOpenSSL();
  });
}

bool isScp(const dicom_scp *p)
{
  return p != NULL && p->magic == SCP_MAGIC;
}

/* Records a printf-style message on the handle and returns rc. */
int fail(dicom_scp *p, int rc, const char *zFmt, ...)
    __attribute__((format(printf, 3, 4)));

int fail(dicom_scp *p, int rc, const char *zFmt, ...)
{
  char zBuf[512];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(zBuf, sizeof(zBuf), zFmt, ap);
  va_end(ap);
  p->zErr = zBuf;
  return rc;
}

/* A log value: control and non-ASCII bytes become '?', and the value is
 * double-quoted (with \" and \\ escaped) when it is empty or holds a
 * space, '"' or '='.  At most 128 bytes of z are used: values come from
 * the network. */
std::string logValue(const char *z)
{
  std::string s;
  bool bQuote = (z == NULL || z[0] == 0);
  for(size_t i = 0; z != NULL && z[i] != 0 && i < 128; i++) {
    unsigned char c = (unsigned char)z[i];
    if(c < 0x20 || c >= 0x7f)
      c = '?';
    if(c == ' ' || c == '"' || c == '=' || c == '\\')
      bQuote = true;
    if(c == '"' || c == '\\')
      s += '\\';
    s += (char)c;
  }
  return bQuote ? "\"" + s + "\"" : s;
}

/* Formats one log line and hands it to xLog, if there is one. */
void logLine(dicom_scp *p, const char *zLevel, const char *zFmt, ...)
    __attribute__((format(printf, 3, 4)));

void logLine(dicom_scp *p, const char *zLevel, const char *zFmt, ...)
{
  char zBuf[1024];
  va_list ap;
  if(p->cfg.xLog == NULL)
    return;
  va_start(ap, zFmt);
  vsnprintf(zBuf, sizeof(zBuf), zFmt, ap);
  va_end(ap);
  p->cfg.xLog(p->cfg.pCtx, zLevel, zBuf);
}

/* Writes all n bytes of a to fd.  Returns 0, or an errno value. */
int writeAll(int fd, const void *a, size_t n)
{
  const char *z = (const char *)a;
  while(n > 0) {
    ssize_t w = write(fd, z, n);
    if(w < 0 && errno == EINTR)
      continue;
    if(w < 0)
      return errno;
    if(w == 0)
      return EIO;
    z += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Dataset bytes received between two early write-back requests (see
 * startWriteback()). */
const off_t WRITEBACK_STEP = 512 * 1024;

/* Asks the kernel to start writing fd's data from offset from to its end
 * to disk now, without waiting (Linux sync_file_range(2); elsewhere
 * nothing).  A large object is then mostly on disk when it is complete,
 * and the fsync that must precede our acknowledgment waits only for its
 * tail, not for all of it.  Only a hint: durability is still the store's
 * fsync.  Pages already written or under write-back are skipped, so
 * from may lag behind the real offset (the dataset offsets used by
 * receiveToFile() lag by the File Meta header). */
void startWriteback(int fd, off_t from)
{
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
  (void)sync_file_range(fd, from, 0, SYNC_FILE_RANGE_WRITE);
#else
  (void)fd;
  (void)from;
#endif
}

/* Seconds since an unspecified start, monotonic. */
double nowSeconds()
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

bool inList(const char *z, const char *const *az, size_t n)
{
  for(size_t i = 0; i < n; i++)
    if(strcmp(z, az[i]) == 0)
      return true;
  return false;
}

bool isStorageClass(const char *z)
{
  for(int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; i++)
    if(strcmp(z, dcmAllStorageSOPClassUIDs[i]) == 0)
      return true;
  return false;
}

/* True if zHost (an IPv4 address or a name) is the peer address zPeer.
 * A name is resolved now (forward lookup, IPv4). */
bool hostMatches(const std::string &zHost, const std::string &zPeer)
{
  struct in_addr aHost, aPeer;
  struct addrinfo hints, *pList = NULL;
  bool bMatch = false;
  if(inet_pton(AF_INET, zPeer.c_str(), &aPeer) != 1)
    return false;
  if(inet_pton(AF_INET, zHost.c_str(), &aHost) == 1)
    return aHost.s_addr == aPeer.s_addr;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if(getaddrinfo(zHost.c_str(), NULL, &hints, &pList) != 0)
    return false;
  for(struct addrinfo *p = pList; p != NULL && !bMatch; p = p->ai_next) {
    const struct sockaddr_in *pSa = (const struct sockaddr_in *)p->ai_addr;
    bMatch = (pSa->sin_addr.s_addr == aPeer.s_addr);
  }
  freeaddrinfo(pList);
  return bMatch;
}

/* ---- Transport: one scpConn per accepted TCP connection -------------- */

/* What scpHandler needs from either of our connections. */
struct scpConnState {
  virtual ~scpConnState()
  {
  }
  bool bBusy = false; /* Inside a DIMSE message: a stop does not cut the
                         wait */
};

/* Turns Nagle's algorithm off on fd and asks for immediate ACKs (Linux
 * drops out of quick-ACK mode by itself, typically after we send, so
 * this is repeated after every read). */
void setNoDelay(int fd)
{
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void quickAck(int fd)
{
#ifdef TCP_QUICKACK
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
  (void)fd;
#endif
}

/* Waits up to timeout seconds (negative: no limit) for data on fd.
 * Between messages (!bBusy) the stop pipe is watched too, so that a
 * stopping listener does not wait for idle peers. */
OFBool waitReadable(dicom_scp *p, int fd, bool bBusy, int timeout)
{
  struct pollfd a[2];
  int nMs = timeout < 0 ? -1 : timeout * 1000;
  a[0].fd = fd;
  a[0].events = POLLIN;
  a[1].fd = p->aPipe[0];
  a[1].events = POLLIN;
  for(;;) {
    a[0].revents = a[1].revents = 0;
    int rc = poll(a, bBusy ? 1 : 2, nMs);
    if(rc < 0 && errno == EINTR)
      continue;
    if(rc <= 0)
      return OFFalse;
    return a[0].revents != 0 ? OFTrue : OFFalse;
  }
}

class scpConn : public DcmTCPConnection, public scpConnState {
public:
  scpConn(DcmNativeSocketType fd, dicom_scp *p) : DcmTCPConnection(fd), pScp(p)
  {
    setNoDelay(fd);
    quickAck(fd);
  }

  /* Reads as DCMTK does, then asks for immediate ACKs again. */
  ssize_t read(void *buf, size_t n) override
  {
    ssize_t r = DcmTCPConnection::read(buf, n);
    quickAck(getSocket());
    return r;
  }

  /* As DCMTK's write(), without SIGPIPE when the peer has gone. */
  ssize_t write(void *buf, size_t n) override
  {
    ssize_t w;
    do {
      w = send(getSocket(), buf, n, MSG_NOSIGNAL);
    } while(w < 0 && errno == EINTR);
    return w;
  }

  OFBool networkDataAvailable(int timeout) override
  {
    return waitReadable(pScp, getSocket(), bBusy, timeout);
  }

private:
  dicom_scp *pScp; /* Owner, for the stop pipe */
};

/* The peer of fd as a dotted IPv4 address, "" if unknown. */
std::string peerAddress(int fd)
{
  struct sockaddr_in sa;
  socklen_t n = sizeof(sa);
  char z[INET_ADDRSTRLEN];
  if(getpeername(fd, (struct sockaddr *)&sa, &n) != 0 ||
     sa.sin_family != AF_INET ||
     inet_ntop(AF_INET, &sa.sin_addr, z, sizeof(z)) == NULL)
    return "";
  return z;
}

/* A TLS connection (see the head of this file).  The SSL object is owned
 * by DcmTLSConnection, which frees it on close(); pSsl is our view of it
 * for the handshake and SSL_pending(). */
class scpTlsConn : public DcmTLSConnection, public scpConnState {
public:
  scpTlsConn(DcmNativeSocketType fd, SSL *s, dicom_scp *p)
      : DcmTLSConnection(fd, s), pSsl(s), pScp(p)
  {
    setNoDelay(fd);
    quickAck(fd);
  }

  OFCondition serverSideHandshake() override;

  ssize_t read(void *buf, size_t n) override
  {
    ssize_t r = DcmTLSConnection::read(buf, n);
    quickAck(getSocket());
    return r;
  }

  /* Bytes OpenSSL has already decrypted count as data; otherwise as for
   * a plain connection. */
  OFBool networkDataAvailable(int timeout) override
  {
    if(SSL_pending(pSsl) > 0)
      return OFTrue;
    return waitReadable(pScp, getSocket(), bBusy, timeout);
  }

private:
  int waitHandshake(int sslErr, double tEnd);
  void logFailure(const char *zReason, const std::string &zError);
  void logSuccess();

  SSL *pSsl;       /* The connection's OpenSSL object (not owned) */
  dicom_scp *pScp; /* Owner: timeouts, stop pipe, log */
};

/* Waits until the handshake can go on (1), its acseTimeout deadline tEnd
 * passed (0) or the listener stops (-1). */
int scpTlsConn::waitHandshake(int sslErr, double tEnd)
{
  struct pollfd a[2];
  a[0].fd = getSocket();
  a[0].events = sslErr == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
  a[1].fd = pScp->aPipe[0];
  a[1].events = POLLIN;
  for(;;) {
    double left = tEnd - nowSeconds();
    if(left <= 0)
      return 0;
    a[0].revents = a[1].revents = 0;
    int rc = poll(a, 2, (int)(left * 1000) + 1);
    if(rc < 0 && errno == EINTR)
      continue;
    if(rc < 0 || a[1].revents != 0)
      return -1;
    if(rc > 0)
      return 1;
  }
}

void scpTlsConn::logFailure(const char *zReason, const std::string &zError)
{
  logLine(pScp, "warn", "event=tls_failed peer=%s reason=%s error=%s",
          logValue(peerAddress(getSocket()).c_str()).c_str(), zReason,
          logValue(zError.c_str()).c_str());
}

void scpTlsConn::logSuccess()
{
  char zSubject[256] = "";
  X509 *pCert = SSL_get_peer_certificate(pSsl);
  if(pCert != NULL) {
    X509_NAME_oneline(X509_get_subject_name(pCert), zSubject,
                      (int)sizeof(zSubject));
    X509_free(pCert);
  }
  logLine(pScp, "info",
          "event=tls_accepted peer=%s protocol=%s cipher=%s "
          "client_cert=%s",
          logValue(peerAddress(getSocket()).c_str()).c_str(),
          logValue(SSL_get_version(pSsl)).c_str(),
          logValue(SSL_get_cipher_name(pSsl)).c_str(),
          logValue(pCert ? zSubject : "none").c_str());
}

/* The reason token of a failed handshake, from OpenSSL's first queued
 * error e and the certificate verification result. */
const char *tlsReason(unsigned long e, long verify)
{
  int r = ERR_GET_REASON(e);
  if(verify != X509_V_OK)
    return "client_certificate_rejected";
  if(r == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
    return "no_client_certificate";
  if(r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_HTTP_REQUEST ||
     r == SSL_R_HTTPS_PROXY_REQUEST || r == SSL_R_UNKNOWN_PROTOCOL ||
     r == SSL_R_PACKET_LENGTH_TOO_LONG || r == SSL_R_UNEXPECTED_MESSAGE ||
     r == SSL_R_UNEXPECTED_RECORD || r == SSL_R_RECORD_LENGTH_MISMATCH)
    return "not_tls";
  if(r == SSL_R_NO_SHARED_CIPHER)
    return "no_shared_cipher";
  if(r == SSL_R_UNSUPPORTED_PROTOCOL || r == SSL_R_VERSION_TOO_LOW)
    return "protocol_version";
  return "handshake_failed";
}

/* SSL_accept() on the non-blocking socket until it completes, fails,
 * acseTimeout seconds have passed in all or the listener stops; then the
 * socket is blocking again, with reads bounded by dimseTimeout (a record
 * that stops half-way).  Logs the outcome. */
OFCondition scpTlsConn::serverSideHandshake()
{
  int fd = getSocket();
  int flags = fcntl(fd, F_GETFL);
  double tEnd = nowSeconds() + pScp->cfg.acseTimeout;
  const char *zReason = NULL; /* Set when the handshake failed */
  std::string zError;         /* OpenSSL's text for it */
  if(flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return makeDcmnetCondition(DULC_TLSERROR, OF_error,
                               "cannot make the socket non-blocking");
  ERR_clear_error();
  for(;;) {
    int rc = SSL_accept(pSsl);
    if(rc == 1)
      break;
    int e = SSL_get_error(pSsl, rc);
    if(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      int w = waitHandshake(e, tEnd);
      if(w > 0)
        continue;
      zReason = w == 0 ? "handshake_timeout" : "stopping";
      zError = w == 0 ? "no complete handshake within the ACSE timeout"
                      : "the listener is stopping";
      break;
    }
    unsigned long err = ERR_peek_error();
    long verify = SSL_get_verify_result(pSsl);
    zReason = tlsReason(err, verify);
    if(verify != X509_V_OK)
      zError = X509_verify_cert_error_string(verify);
    else if(err != 0 && ERR_reason_error_string(err) != NULL)
      zError = ERR_reason_error_string(err);
    else {
      zReason = "closed_by_peer";
      zError = "connection closed during the handshake";
    }
    break;
  }
  ERR_clear_error();
  (void)fcntl(fd, F_SETFL, flags);
  if(zReason != NULL) {
    logFailure(zReason, zError);
    return makeDcmnetCondition(DULC_TLSERROR, OF_error, zError.c_str());
  }
  struct timeval tv = {(time_t)pScp->cfg.dimseTimeout, 0};
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  logSuccess();
  return EC_Normal;
}

/* Makes our connections for every socket DCMTK accepts: TLS ones (as
 * DCMTK 3.6.7's DcmTLSTransportLayer::createConnection() does, see the
 * head of this file) when the listener has a certificate. */
class scpLayer : public DcmTransportLayer {
public:
  explicit scpLayer(dicom_scp *p) : pScp(p)
  {
  }

  DcmTransportConnection *createConnection(DcmNativeSocketType fd,
                                           OFBool) override
  {
    if(!pScp->pTls)
      return new(std::nothrow) scpConn(fd, pScp);
    SSL *s = SSL_new(pScp->pTls->getNativeHandle());
    if(s == NULL)
      return NULL;
    scpTlsConn *c = NULL;
    if(SSL_set_fd(s, fd) == 1)
      c = new(std::nothrow) scpTlsConn(fd, s, pScp);
    if(c == NULL)
      SSL_free(s);
    return c;
  }

private:
  dicom_scp *pScp; /* Owner */
};

/* ---- One association -------------------------------------------------- */

class scpHandler : public DcmThreadSCP {
public:
  explicit scpHandler(dicom_scp *p)
      : pScp(p), pAssoc(NULL), pConn(NULL), bAccepted(false), nStored(0),
        nFailed(0), nBytes(0), tStart(0)
  {
  }

  /* DcmThreadSCP::run() with the association kept: DcmSCP keeps it
   * private, and we read PDVs and negotiate on it. */
  OFCondition run(T_ASC_Association *a)
  {
    pAssoc = a;
    tStart = nowSeconds();
    if(a != NULL && a->DULassociation != NULL)
      pConn = dynamic_cast<scpConnState *>(
          DUL_getTransportConnection(a->DULassociation));
    return DcmThreadSCP::run(a);
  }

protected:
  void notifyAssociationRequest(const T_ASC_Parameters &params,
                                DcmSCPActionType &) override;
  OFBool checkCalledAETitleAccepted(const OFString &zAe) override;
  OFBool checkCallingAETitleAccepted(const OFString &zAe) override;
  void refuseAssociation(const DcmRefuseReasonType reason) override;
  OFCondition negotiateAssociation() override;
  void notifyAssociationAcknowledge() override;
  void standInUnknownXfers();
  void notifyReleaseRequest() override
  {
    zEnd = "released";
  }
  void notifyAbortRequest() override
  {
    zEnd = "aborted_by_peer";
  }
  void notifyDIMSEError(const OFCondition &cond) override;
  void notifyAssociationTermination() override;
  OFCondition
  handleIncomingCommand(T_DIMSE_Message *pMsg,
                        const DcmPresentationContextInfo &info) override;

private:
  OFCondition handleStore(T_DIMSE_C_StoreRQ &req,
                          const DcmPresentationContextInfo &info);
  OFCondition nextPdv(DUL_PDV *pPdv);
  OFCondition receiveToFile(int fd, T_ASC_PresentationContextID id, int *pErr);
  int openTemp(std::string *pPath);
  int writeMeta(int fd, const T_DIMSE_C_StoreRQ &req, const OFString &zTs);
  uint16_t deliver(const std::string &zPath, const T_DIMSE_C_StoreRQ &req,
                   const OFString &zTs);
  void logStoreFailure(const T_DIMSE_C_StoreRQ &req, uint16_t status,
                       const char *zReason, int err);

  dicom_scp *pScp;           /* Owner */
  T_ASC_Association *pAssoc; /* The association being served */
  scpConnState *pConn;       /* Its connection (ours), may be NULL */
  std::string zCalling;      /* Calling AE title, trimmed */
  std::string zCalled;       /* Called AE title, trimmed */
  std::string zPeer;         /* Peer IPv4 address */
  std::string zReject;       /* Reason for the refusal being logged */
  std::string zEnd;          /* How the association ended */
  bool bAccepted;            /* The association was acknowledged */
  uint64_t nStored;          /* C-STOREs answered with success/warning */
  uint64_t nFailed;          /* C-STOREs answered with a failure */
  uint64_t nBytes;           /* Bytes of the files handed to xStore */
  double tStart;             /* nowSeconds() when the association began */
  std::string aRealTs[256];  /* By context ID: the negotiated transfer
                                syntax where DCMTK was given a stand-in,
                                "" elsewhere */
};

/* Trims the spaces DICOM pads AE titles with. */
std::string trimAe(const char *z)
{
  std::string s(z ? z : "");
  size_t i = s.find_first_not_of(' ');
  size_t j = s.find_last_not_of(' ');
  return i == std::string::npos ? std::string() : s.substr(i, j - i + 1);
}

void scpHandler::notifyAssociationRequest(const T_ASC_Parameters &params,
                                          DcmSCPActionType &)
{
  zCalling = trimAe(params.DULparams.callingAPTitle);
  zCalled = trimAe(params.DULparams.calledAPTitle);
  zPeer = params.DULparams.callingPresentationAddress;
}

OFBool scpHandler::checkCalledAETitleAccepted(const OFString &zAe)
{
  if(trimAe(zAe.c_str()) == pScp->zAet)
    return OFTrue;
  zReject =
      "called_aet_not_recognized expected=" + logValue(pScp->zAet.c_str());
  return OFFalse;
}

OFBool scpHandler::checkCallingAETitleAccepted(const OFString &zAe)
{
  std::string z = trimAe(zAe.c_str());
  bool bAeKnown = false;
  if(pScp->aAllow.empty())
    return OFTrue;
  for(const scpAllow &a : pScp->aAllow) {
    if(a.zAe != z)
      continue;
    bAeKnown = true;
    if(a.zHost.empty() || hostMatches(a.zHost, zPeer))
      return OFTrue;
  }
  zReject = bAeKnown ? "calling_host_not_allowed" : "calling_aet_not_allowed";
  return OFFalse;
}

void scpHandler::refuseAssociation(const DcmRefuseReasonType reason)
{
  if(zReject.empty()) {
    switch(reason) {
    case DCMSCP_BAD_APPLICATION_CONTEXT_NAME:
      zReject = "bad_application_context";
      break;
    case DCMSCP_NO_PRESENTATION_CONTEXTS:
      zReject = "no_acceptable_presentation_context";
      break;
    case DCMSCP_TOO_MANY_ASSOCIATIONS:
      zReject = "too_many_associations";
      break;
    default:
      zReject = "refused";
      break;
    }
  }
  logLine(pScp, "warn",
          "event=assoc_rejected calling_aet=%s called_aet=%s peer=%s "
          "reason=%s",
          logValue(zCalling.c_str()).c_str(),
          logValue(zCalled.c_str()).c_str(), logValue(zPeer.c_str()).c_str(),
          zReject.c_str());
  DcmThreadSCP::refuseAssociation(reason);
}

/* Accepts each proposed context whose abstract syntax we serve, with the
 * first of its transfer syntaxes (in the proposer's order) that we
 * accept: the sender then never has to convert.  Others are refused. */
OFCondition scpHandler::negotiateAssociation()
{
  T_ASC_Parameters *pParams = pAssoc ? pAssoc->params : NULL;
  if(pParams == NULL)
    return DIMSE_ILLEGALASSOCIATION;
  int n = ASC_countPresentationContexts(pParams);
  for(int i = 0; i < n; i++) {
    T_ASC_PresentationContext pc;
    OFCondition cond = ASC_getPresentationContext(pParams, i, &pc);
    if(cond.bad())
      return cond;
    bool bEcho = strcmp(pc.abstractSyntax, UID_VerificationSOPClass) == 0;
    const char *zTs = NULL;
    if(!bEcho && !isStorageClass(pc.abstractSyntax)) {
      cond = ASC_refusePresentationContext(pParams, pc.presentationContextID,
                                           ASC_P_ABSTRACTSYNTAXNOTSUPPORTED);
      if(cond.bad())
        return cond;
      continue;
    }
    for(int j = 0; j < pc.transferSyntaxCount && zTs == NULL; j++) {
      const char *z = pc.proposedTransferSyntaxes[j];
      if(bEcho ? inList(z, azEchoXfer, DIM_OF(azEchoXfer))
               : inList(z, azStoreXfer, DIM_OF(azStoreXfer)))
        zTs = z;
    }
    if(zTs == NULL)
      cond = ASC_refusePresentationContext(pParams, pc.presentationContextID,
                                           ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
    else
      cond = ASC_acceptPresentationContext(pParams, pc.presentationContextID,
                                           zTs, ASC_SC_ROLE_DEFAULT);
    if(cond.bad())
      return cond;
  }
  return EC_Normal;
}

/* DCMTK 3.6.7's DIMSE layer refuses every message (C-STORE command
 * included) on a presentation context whose transfer syntax it does not
 * know, such as HTJ2K.  So once the A-ASSOCIATE-AC with the real UID has
 * gone to the peer, DCMTK's own copy of such a context gets a transfer
 * syntax it knows and that nobody parses here (JPEG 2000 lossless), and
 * the real UID is kept in aRealTs for the File Meta and xStore.  The
 * dataset is never decoded on this side, so the stand-in has no effect
 * on the bytes stored. */
void scpHandler::standInUnknownXfers()
{
  T_ASC_Parameters *pParams = pAssoc->params;
  LST_HEAD **apList[2] = {&pParams->DULparams.acceptedPresentationContext,
                          &pParams->DULparams.requestedPresentationContext};
  for(LST_HEAD **pList : apList) {
    if(*pList == NULL)
      continue;
    DUL_PRESENTATIONCONTEXT *pPc = (DUL_PRESENTATIONCONTEXT *)LST_Head(pList);
    (void)LST_Position(pList, pPc);
    for(; pPc != NULL; pPc = (DUL_PRESENTATIONCONTEXT *)LST_Next(pList)) {
      if(pPc->result != ASC_P_ACCEPTANCE ||
         DcmXfer(pPc->acceptedTransferSyntax).getXfer() != EXS_Unknown)
        continue;
      aRealTs[pPc->presentationContextID] = pPc->acceptedTransferSyntax;
      OFStandard::strlcpy(pPc->acceptedTransferSyntax,
                          UID_JPEG2000LosslessOnlyTransferSyntax,
                          sizeof(pPc->acceptedTransferSyntax));
    }
  }
}

void scpHandler::notifyAssociationAcknowledge()
{
  bAccepted = true;
  standInUnknownXfers();
  logLine(pScp, "info",
          "event=assoc_accepted calling_aet=%s called_aet=%s peer=%s "
          "contexts=%d",
          logValue(zCalling.c_str()).c_str(),
          logValue(zCalled.c_str()).c_str(), logValue(zPeer.c_str()).c_str(),
          ASC_countAcceptedPresentationContexts(pAssoc->params));
}

void scpHandler::notifyDIMSEError(const OFCondition &cond)
{
  if(cond == DIMSE_NODATAAVAILABLE)
    zEnd = pScp->bStop ? "aborted_stopping" : "aborted_idle_timeout";
  else
    zEnd = std::string("aborted_error error=") + logValue(cond.text());
}

void scpHandler::notifyAssociationTermination()
{
  if(!bAccepted)
    return;
  logLine(pScp, zEnd == "released" ? "info" : "warn",
          "event=assoc_end calling_aet=%s peer=%s stored=%llu failed=%llu "
          "bytes=%llu seconds=%.3f end=%s",
          logValue(zCalling.c_str()).c_str(), logValue(zPeer.c_str()).c_str(),
          (unsigned long long)nStored, (unsigned long long)nFailed,
          (unsigned long long)nBytes, nowSeconds() - tStart,
          zEnd.empty() ? "unknown" : zEnd.c_str());
}

OFCondition
scpHandler::handleIncomingCommand(T_DIMSE_Message *pMsg,
                                  const DcmPresentationContextInfo &info)
{
  if(pMsg->CommandField == DIMSE_C_STORE_RQ)
    return handleStore(pMsg->msg.CStoreRQ, info);
  return DcmThreadSCP::handleIncomingCommand(pMsg, info);
}

/* The next dataset PDV, reading a PDU when none is buffered; waits at most
 * dimseTimeout seconds (the same steps as DCMTK's DIMSE_readNextPDV). */
OFCondition scpHandler::nextPdv(DUL_PDV *pPdv)
{
  int timeout = pScp->cfg.dimseTimeout;
  if(DUL_NextPDV(&pAssoc->DULassociation, pPdv).good())
    return EC_Normal;
  if(!ASC_dataWaiting(pAssoc, timeout))
    return DIMSE_NODATAAVAILABLE;
  OFCondition cond =
      DUL_ReadPDVs(&pAssoc->DULassociation, NULL, DUL_NOBLOCK, timeout);
  if(cond != DUL_PDATAPDUARRIVED)
    return cond.bad() ? cond : DIMSE_READPDVFAILED;
  return DUL_NextPDV(&pAssoc->DULassociation, pPdv);
}

/* Receives the dataset of a C-STORE on context id and appends its bytes
 * to fd as they arrive (fd -1: read and drop).  The first write error
 * stops the writing, not the reading, and lands in *pErr (an errno).
 * Returns a bad condition only for network or protocol errors, which end
 * the association. */
OFCondition scpHandler::receiveToFile(int fd, T_ASC_PresentationContextID id,
                                      int *pErr)
{
  off_t nWritten = 0; /* Dataset bytes appended to fd so far */
  off_t nKicked = 0;  /* Of these, handed to write-back early */
  for(;;) {
    DUL_PDV pdv;
    OFCondition cond = nextPdv(&pdv);
    if(cond.bad())
      return cond;
    if(pdv.pdvType != DUL_DATASETPDV)
      return DIMSE_UNEXPECTEDPDVTYPE;
    if(pdv.presentationContextID != id)
      return makeDcmnetCondition(DIMSEC_INVALIDPRESENTATIONCONTEXTID, OF_error,
                                 "dataset PDV on another presentation "
                                 "context than its C-STORE command");
    if(fd >= 0 && *pErr == 0 && pdv.fragmentLength > 0) {
      *pErr = writeAll(fd, pdv.data, pdv.fragmentLength);
      nWritten += pdv.fragmentLength;
      if(nWritten - nKicked >= WRITEBACK_STEP) {
        startWriteback(fd, nKicked);
        nKicked = nWritten;
      }
    }
    if(pdv.lastPDV) {
      /* The tail too, while the header is read. */
      if(fd >= 0 && *pErr == 0 && nWritten > nKicked)
        startWriteback(fd, nKicked);
      return EC_Normal;
    }
  }
}

/* Creates a new temp file in zTempDir, O_EXCL and mode 0600.  Returns the
 * descriptor and sets *pPath, or returns -1 with errno set. */
int scpHandler::openTemp(std::string *pPath)
{
  char zName[64];
  for(int iTry = 0; iTry < 100; iTry++) {
    snprintf(zName, sizeof(zName), "/.dicom_scp-%ld-%llu.part", (long)getpid(),
             (unsigned long long)pScp->nSeq.fetch_add(1));
    *pPath = pScp->zTempDir + zName;
    int fd =
        open(pPath->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if(fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1;
}

/* Writes the preamble, "DICM" and the File Meta group (PS3.10 7.1), built
 * and encoded by DCMTK as DIMSE_createFilestream() does, with the
 * transfer syntax of the presentation context.  Returns 0 or an errno. */
int scpHandler::writeMeta(int fd, const T_DIMSE_C_StoreRQ &req,
                          const OFString &zTs)
{
  static const Uint8 aVersion[2] = {0, 1};
  char aBuf[4096]; /* Six UIDs of at most 64 bytes fit easily */
  void *pOut = NULL;
  offile_off_t nOut = 0;
  DcmMetaInfo meta;
  OFCondition cond =
      meta.putAndInsertUint32(DCM_FileMetaInformationGroupLength, 0);
  if(cond.good())
    cond = meta.putAndInsertUint8Array(DCM_FileMetaInformationVersion,
                                       aVersion, 2);
  if(cond.good())
    cond = meta.putAndInsertString(DCM_MediaStorageSOPClassUID,
                                   req.AffectedSOPClassUID);
  if(cond.good())
    cond = meta.putAndInsertString(DCM_MediaStorageSOPInstanceUID,
                                   req.AffectedSOPInstanceUID);
  if(cond.good())
    cond = meta.putAndInsertString(DCM_TransferSyntaxUID, zTs.c_str());
  if(cond.good())
    cond = meta.putAndInsertString(DCM_ImplementationClassUID,
                                   OFFIS_IMPLEMENTATION_CLASS_UID);
  if(cond.good())
    cond = meta.putAndInsertString(DCM_ImplementationVersionName,
                                   OFFIS_DTK_IMPLEMENTATION_VERSION_NAME);
  if(cond.good() && !zCalling.empty())
    cond = meta.putAndInsertString(DCM_SourceApplicationEntityTitle,
                                   zCalling.c_str());
  if(cond.good())
    cond = meta.computeGroupLengthAndPadding(
        EGL_withGL, EPD_noChange, META_HEADER_DEFAULT_TRANSFERSYNTAX,
        EET_UndefinedLength);
  if(cond.bad())
    return ENOMEM;
  DcmOutputBufferStream out(aBuf, sizeof(aBuf));
  meta.transferInit();
  cond = meta.write(out, META_HEADER_DEFAULT_TRANSFERSYNTAX,
                    EET_ExplicitLength, NULL);
  meta.transferEnd();
  if(cond.bad())
    return EOVERFLOW;
  out.flushBuffer(pOut, nOut);
  return writeAll(fd, pOut, (size_t)nOut);
}

/* Hands the complete file to xStore and returns its status. */
uint16_t scpHandler::deliver(const std::string &zPath,
                             const T_DIMSE_C_StoreRQ &req, const OFString &zTs)
{
  struct dicom_scp_instance inst;
  struct stat st;
  inst.zTempPath = zPath.c_str();
  inst.zSopClassUid = req.AffectedSOPClassUID;
  inst.zSopInstanceUid = req.AffectedSOPInstanceUID;
  inst.zTransferSyntax = zTs.c_str();
  inst.zCallingAet = zCalling.c_str();
  inst.zCalledAet = zCalled.c_str();
  inst.zPeerHost = zPeer.c_str();
  inst.nBytes = stat(zPath.c_str(), &st) == 0 ? (uint64_t)st.st_size : 0;
  uint16_t status = pScp->cfg.xStore(pScp->cfg.pCtx, &inst);
  if(status == STATUS_Success || (status & 0xf000) == 0xb000)
    nBytes += inst.nBytes;
  return status;
}

void scpHandler::logStoreFailure(const T_DIMSE_C_StoreRQ &req, uint16_t status,
                                 const char *zReason, int err)
{
  logLine(pScp, err ? "error" : "warn",
          "event=store_failed calling_aet=%s peer=%s sop_instance_uid=%s "
          "status=0x%04X reason=%s%s%s",
          logValue(zCalling.c_str()).c_str(), logValue(zPeer.c_str()).c_str(),
          logValue(req.AffectedSOPInstanceUID).c_str(), status, zReason,
          err ? " error=" : "", err ? logValue(strerror(err)).c_str() : "");
}

/* One C-STORE: dataset into a new temp file, file to xStore, status back
 * to the peer.  A file we cannot create or write is answered with 0xA700
 * (out of resources) and removed; the association goes on. */
OFCondition scpHandler::handleStore(T_DIMSE_C_StoreRQ &req,
                                    const DcmPresentationContextInfo &info)
{
  T_ASC_PresentationContextID id = info.presentationContextID;
  OFString zTs = aRealTs[id].empty() ? info.acceptedTransferSyntax
                                     : OFString(aRealTs[id].c_str());
  std::string zPath;
  uint16_t status = STATUS_Success;
  int err = 0;
  if(req.DataSetType == DIMSE_DATASET_NULL)
    return DIMSE_BADMESSAGE;
  if(pConn)
    pConn->bBusy = true;
  bool bStorage = isStorageClass(info.abstractSyntax.c_str());
  int fd = bStorage ? openTemp(&zPath) : -1;
  if(bStorage && fd < 0)
    err = errno;
  if(fd >= 0)
    err = writeMeta(fd, req, zTs);
  OFCondition cond = receiveToFile(fd, id, &err);
  if(fd >= 0 && close(fd) != 0 && err == 0)
    err = errno;
  if(cond.bad()) {
    if(fd >= 0)
      (void)unlink(zPath.c_str());
    return cond;
  }
  if(!bStorage) {
    status = STATUS_STORE_Refused_SOPClassNotSupported;
    logStoreFailure(req, status, "not_a_storage_context", 0);
  } else if(err != 0) {
    if(fd >= 0)
      (void)unlink(zPath.c_str());
    status = STATUS_STORE_Refused_OutOfResources;
    logStoreFailure(req, status,
                    fd >= 0 ? "temp_file_write" : "temp_file_create", err);
  } else {
    status = deliver(zPath, req, zTs);
    if(status != STATUS_Success && (status & 0xf000) != 0xb000)
      logStoreFailure(req, status, "rejected_by_store", 0);
  }
  if(status == STATUS_Success || (status & 0xf000) == 0xb000)
    nStored++;
  else
    nFailed++;
  cond = sendSTOREResponse(id, req, status);
  if(pConn)
    pConn->bBusy = false;
  return cond;
}

/* ---- The pool --------------------------------------------------------- */

/* A pool worker: a thread running one scpHandler, as DcmSCPPool's own
 * SCPWorker does, but constructed with our handle. */
class scpWorker : public DcmBaseSCPPool::DcmBaseSCPWorker, private scpHandler {
public:
  scpWorker(DcmBaseSCPPool &pool, dicom_scp *p)
      : DcmBaseSCPWorker(pool), scpHandler(p)
  {
  }

  OFCondition setSharedConfig(const DcmSharedSCPConfig &cfg) override
  {
    return scpHandler::setSharedConfig(cfg);
  }

  OFBool busy() override
  {
    return scpHandler::isConnected();
  }

protected:
  /* The pool deletes a worker when its association ends but nobody joins
   * its thread, so it detaches itself. */
  void run() override
  {
    (void)pthread_detach(pthread_self());
    DcmBaseSCPWorker::run();
  }

  OFCondition workerListen(T_ASC_Association *const a) override
  {
    return scpHandler::run(a);
  }
};

class scpPool : public DcmBaseSCPPool {
public:
  explicit scpPool(dicom_scp *p) : pScp(p), layer(p)
  {
  }
  OFCondition listen() override;

protected:
  DcmBaseSCPWorker *createSCPWorker() override
  {
    return new(std::nothrow) scpWorker(*this, pScp);
  }

private:
  int waitForConnection(int fd);
  void acceptOne(T_ASC_Network *pNet, const DcmSharedSCPConfig &shared);

  dicom_scp *pScp; /* Owner */
  scpLayer layer;  /* Makes our connections */
};

/* Waits until fd has a connection (1), stop was asked (0) or poll fails
 * (-1). */
int scpPool::waitForConnection(int fd)
{
  struct pollfd a[2];
  a[0].fd = fd;
  a[0].events = POLLIN;
  a[1].fd = pScp->aPipe[0];
  a[1].events = POLLIN;
  for(;;) {
    a[0].revents = a[1].revents = 0;
    int rc = poll(a, 2, -1);
    if(rc < 0 && errno == EINTR)
      continue;
    if(rc < 0)
      return -1;
    if(a[1].revents != 0 || pScp->bStop)
      return 0;
    if(a[0].revents != 0)
      return 1;
  }
}

/* Reads one association request (on this thread, at most acseTimeout
 * seconds) and gives it to a worker, or rejects it when all nMaxAssoc
 * workers are busy or we are stopping. */
void scpPool::acceptOne(T_ASC_Network *pNet, const DcmSharedSCPConfig &shared)
{
  T_ASC_Association *pAssoc = NULL;
  OFBool bTls = pScp->pTls ? OFTrue : OFFalse;
  OFCondition cond = ASC_receiveAssociation(
      pNet, &pAssoc, (long)pScp->cfg.maxPdu, NULL, NULL, bTls, DUL_NOBLOCK, 1);
  if(cond == DUL_NOASSOCIATIONREQUEST) {
    (void)ASC_destroyAssociation(&pAssoc);
    return;
  }
  if(cond.bad() && cond.module() == OFM_dcmnet &&
     cond.code() == DULC_TLSERROR) {
    dropAndDestroyAssociation(pAssoc); /* Logged as tls_failed */
    return;
  }
  if(cond.bad()) {
    const char *zPeer =
        pAssoc && pAssoc->params
            ? pAssoc->params->DULparams.callingPresentationAddress
            : "";
    logLine(pScp, "warn", "event=assoc_failed peer=%s error=%s",
            logValue(zPeer).c_str(), logValue(cond.text()).c_str());
    dropAndDestroyAssociation(pAssoc);
    return;
  }
  const DUL_ASSOCIATESERVICEPARAMETERS &dul = pAssoc->params->DULparams;
  std::string zLog =
      "calling_aet=" + logValue(trimAe(dul.callingAPTitle).c_str()) +
      " called_aet=" + logValue(trimAe(dul.calledAPTitle).c_str()) +
      " peer=" + logValue(dul.callingPresentationAddress);
  if(pScp->bStop)
    cond = NET_EC_SCPBusy;
  else
    cond = runAssociation(pAssoc, shared);
  if(cond.good())
    return;
  logLine(pScp, "warn", "event=assoc_rejected %s reason=%s", zLog.c_str(),
          pScp->bStop              ? "stopping"
          : cond == NET_EC_SCPBusy ? "too_many_associations"
                                   : "cannot_start_thread");
  rejectAssociation(pAssoc, cond == NET_EC_SCPBusy
                                ? ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED
                                : ASC_REASON_SP_PRES_TEMPORARYCONGESTION);
  dropAndDestroyAssociation(pAssoc);
}

/* DcmBaseSCPPool::listen(), on our socket and with a prompt stop: accept
 * until stop, then refuse connections, wait for the workers and drop the
 * network. */
OFCondition scpPool::listen()
{
  T_ASC_Network *pNet = NULL;
  /* DCMTK binds a socket of its own (any address): port 0 makes that an
   * ephemeral one, replaced at once by ours below. */
  OFCondition cond =
      ASC_initializeNetwork(NET_ACCEPTOR, 0, pScp->cfg.acseTimeout, &pNet);
  if(cond.bad())
    return cond;
  int fd = (int)DUL_networkSocket(pNet->network);
  if(fd < 0 || dup3(pScp->fdListen, fd, O_CLOEXEC) < 0) {
    (void)ASC_dropNetwork(&pNet);
    return makeDcmnetCondition(DULC_TCPINITERROR, OF_error,
                               "cannot take over the listening socket");
  }
  (void)close(pScp->fdListen);
  pScp->fdListen = -1;
  cond = ASC_setTransportLayer(pNet, &layer, 0);
  if(cond.good()) {
    DcmSharedSCPConfig shared(getConfig());
    int rc;
    while((rc = waitForConnection(fd)) > 0)
      acceptOne(pNet, shared);
    if(rc < 0)
      cond = makeDcmnetCondition(DULC_TCPINITERROR, OF_error,
                                 "poll() on the listening socket failed");
  }
  (void)shutdown(fd, SHUT_RDWR); /* Newcomers are refused from here on */
  while(numThreads(OFFalse) > 0)
    (void)usleep(10000);
  (void)ASC_dropNetwork(&pNet);
  return cond;
}

/* ---- Configuration ---------------------------------------------------- */

/* True if z is a usable AE title: 1..16 printable ASCII characters, no
 * backslash, no leading or trailing space (PS3.5 6.2, VR AE). */
bool validAe(const char *z)
{
  size_t n = z ? strlen(z) : 0;
  if(n == 0 || n > 16 || z[0] == ' ' || z[n - 1] == ' ')
    return false;
  for(size_t i = 0; i < n; i++)
    if(z[i] < 0x20 || z[i] > 0x7e || z[i] == '\\')
      return false;
  return true;
}

/* The DICOM TLS profiles offered, by configuration name. */
const struct {
  const char *zName;             /* As in zTlsProfile */
  DcmTLSSecurityProfile profile; /* DCMTK's */
} aTlsProfile[] = {{"bcp195", TSP_Profile_BCP195},
                   {"bcp195-nd", TSP_Profile_BCP195_ND},
                   {"bcp195-ex", TSP_Profile_BCP195_Extended}};

/* Index of zName in aTlsProfile (NULL: bcp195-nd), or -1. */
int findTlsProfile(const char *zName)
{
  for(size_t i = 0; i < DIM_OF(aTlsProfile); i++)
    if(strcmp(zName ? zName : "bcp195-nd", aTlsProfile[i].zName) == 0)
      return (int)i;
  return -1;
}

/* Checks the TLS fields of *pCfg (not the files) as checkConfig() does. */
int checkTlsConfig(const struct dicom_scp_config *pCfg, char *zErr,
                   size_t nErr)
{
  bool bTls = pCfg->zTlsCert != NULL;
  if(!bTls && (pCfg->zTlsKey || pCfg->zTlsCaFile || pCfg->zTlsProfile ||
               pCfg->tlsVerifyPeer))
    snprintf(zErr, nErr,
             "TLS key, CA file, profile or peer verification given "
             "without a TLS certificate");
  else if(!bTls)
    return DICOM_OK;
  else if(pCfg->zTlsCert[0] == 0 || !pCfg->zTlsKey || !pCfg->zTlsKey[0])
    snprintf(zErr, nErr,
             "TLS needs both a certificate and its private key "
             "(PEM files)");
  else if(pCfg->tlsVerifyPeer < 0 || pCfg->tlsVerifyPeer > 2)
    snprintf(zErr, nErr,
             "TLS peer verification %d: must be 0 (none), 1 (optional) or "
             "2 (required)",
             pCfg->tlsVerifyPeer);
  else if(pCfg->tlsVerifyPeer > 0 &&
          (!pCfg->zTlsCaFile || !pCfg->zTlsCaFile[0]))
    snprintf(zErr, nErr,
             "TLS client certificate verification needs a CA file to "
             "verify against");
  else if(findTlsProfile(pCfg->zTlsProfile) < 0)
    snprintf(zErr, nErr,
             "TLS profile '%s': must be bcp195, bcp195-nd or bcp195-ex",
             pCfg->zTlsProfile);
  else
    return DICOM_OK;
  return DICOM_MISUSE;
}

/* Checks the numbers and strings of *pCfg; writes the first problem to
 * zErr and returns DICOM_MISUSE, or returns DICOM_OK. */
int checkConfig(const struct dicom_scp_config *pCfg, char *zErr, size_t nErr)
{
  if(!validAe(pCfg->zAet))
    snprintf(zErr, nErr,
             "AE title '%s': must be 1 to 16 printable "
             "characters without backslash or edge spaces",
             pCfg->zAet ? pCfg->zAet : "");
  else if(pCfg->nMaxAssoc < 1 || pCfg->nMaxAssoc > 1000)
    snprintf(zErr, nErr, "max associations %d: must be 1 to 1000",
             pCfg->nMaxAssoc);
  else if(pCfg->acseTimeout < 1 || pCfg->acseTimeout > 3600)
    snprintf(zErr, nErr, "ACSE timeout %d s: must be 1 to 3600",
             pCfg->acseTimeout);
  else if(pCfg->dimseTimeout < 1 || pCfg->dimseTimeout > 86400)
    snprintf(zErr, nErr, "DIMSE timeout %d s: must be 1 to 86400",
             pCfg->dimseTimeout);
  else if(pCfg->maxPdu < ASC_MINIMUMPDUSIZE ||
          pCfg->maxPdu > ASC_MAXIMUMPDUSIZE)
    snprintf(zErr, nErr, "max PDU %lu bytes: must be %d to %d",
             (unsigned long)pCfg->maxPdu, ASC_MINIMUMPDUSIZE,
             ASC_MAXIMUMPDUSIZE);
  else if(pCfg->nAllow < 0 || pCfg->nAllow > 1000 ||
          (pCfg->nAllow > 0 && pCfg->azAllow == NULL))
    snprintf(zErr, nErr, "allowlist of %d entries: must be 0 to 1000",
             pCfg->nAllow);
  else if(pCfg->zTempDir == NULL || pCfg->zTempDir[0] == 0)
    snprintf(zErr, nErr, "no temp directory given");
  else if(pCfg->xStore == NULL)
    snprintf(zErr, nErr, "no xStore callback given");
  else
    return checkTlsConfig(pCfg, zErr, nErr);
  return DICOM_MISUSE;
}

/* Parses the allowlist into p->aAllow. */
int parseAllow(dicom_scp *p, const struct dicom_scp_config *pCfg, char *zErr,
               size_t nErr)
{
  for(int i = 0; i < pCfg->nAllow; i++) {
    const char *z = pCfg->azAllow[i] ? pCfg->azAllow[i] : "";
    const char *zAt = strchr(z, '@');
    scpAllow a;
    a.zAe.assign(z, zAt ? (size_t)(zAt - z) : strlen(z));
    if(zAt)
      a.zHost = zAt + 1;
    if(!validAe(a.zAe.c_str()) || (zAt && a.zHost.empty()) ||
       a.zHost.size() > 255) {
      snprintf(zErr, nErr,
               "allowlist entry '%s': expected AE or AE@HOST "
               "with an AE title of 1 to 16 characters",
               z);
      return DICOM_MISUSE;
    }
    p->aAllow.push_back(a);
  }
  return DICOM_OK;
}

/* Binds and listens on zBindAddr (or any address) and port. */
int bindListen(dicom_scp *p, uint16_t port, char *zErr, size_t nErr)
{
  struct sockaddr_in sa;
  socklen_t nSa = sizeof(sa);
  const char *zAddr = p->zBindAddr.empty() ? "*" : p->zBindAddr.c_str();
  int one = 1;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  if(!p->zBindAddr.empty() && inet_pton(AF_INET, zAddr, &sa.sin_addr) != 1) {
    struct addrinfo hints, *pList = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(zAddr, NULL, &hints, &pList);
    if(rc != 0 || pList == NULL) {
      snprintf(zErr, nErr, "bind address '%s': %s", zAddr,
               rc ? gai_strerror(rc) : "no IPv4 address");
      return DICOM_ERR_IO;
    }
    sa.sin_addr = ((const struct sockaddr_in *)pList->ai_addr)->sin_addr;
    freeaddrinfo(pList);
  }
  p->fdListen = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if(p->fdListen < 0 ||
     setsockopt(p->fdListen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
     bind(p->fdListen, (struct sockaddr *)&sa, sizeof(sa)) ||
     listen(p->fdListen, 128) ||
     getsockname(p->fdListen, (struct sockaddr *)&sa, &nSa)) {
    int err = errno;
    snprintf(zErr, nErr, "port %u: cannot listen on %s:%u: %s%s", port, zAddr,
             port, strerror(err),
             err == EADDRINUSE ? " (another program listens there: choose "
                                 "another port or stop it)"
             : err == EACCES   ? " (ports below 1024 need privileges)"
                               : "");
    return DICOM_ERR_IO;
  }
  p->port = ntohs(sa.sin_port);
  return DICOM_OK;
}

/* DICOM_OK if zPath can be opened for reading, else DICOM_ERR_IO with
 * zErr naming zWhat, the file and the reason. */
int checkReadable(const char *zWhat, const char *zPath, char *zErr,
                  size_t nErr)
{
  int fd = open(zPath, O_RDONLY | O_CLOEXEC);
  if(fd < 0) {
    snprintf(zErr, nErr, "%s %s: cannot read: %s", zWhat, zPath,
             strerror(errno));
    return DICOM_ERR_IO;
  }
  (void)close(fd);
  return DICOM_OK;
}

/* Builds p->pTls from the checked configuration in p->cfg: certificate,
 * key (must match), trusted CA file, verification mode, profile.  Every
 * failure names the file (or profile) and gives OpenSSL's reason. */
int setupTls(dicom_scp *p, char *zErr, size_t nErr)
{
  static const DcmCertificateVerification aVerify[3] = {
      DCV_ignoreCertificate, DCV_checkCertificate, DCV_requireCertificate};
  const struct dicom_scp_config *c = &p->cfg;
  int rc = checkReadable("TLS certificate", c->zTlsCert, zErr, nErr);
  if(rc == DICOM_OK)
    rc = checkReadable("TLS key", c->zTlsKey, zErr, nErr);
  if(rc == DICOM_OK && c->zTlsCaFile)
    rc = checkReadable("TLS CA file", c->zTlsCaFile, zErr, nErr);
  if(rc)
    return rc;
  p->pTls.reset(new DcmTLSTransportLayer(NET_ACCEPTOR, NULL, OFFalse));
  DcmTLSTransportLayer &t = *p->pTls;
  if(!t) {
    snprintf(zErr, nErr, "TLS: OpenSSL cannot create a server context");
    return DICOM_ERR_NOMEM;
  }
  /* The key first: OpenSSL then drops a key that the certificate does
   * not match, and the check below says so (the other way round, loading
   * the key fails with a less clear "key values mismatch"). */
  t.setPrivateKeyPasswd(""); /* An encrypted key fails, never prompts */
  OFCondition cond = t.setPrivateKeyFile(c->zTlsKey, DCF_Filetype_PEM);
  if(cond.bad()) {
    snprintf(zErr, nErr,
             "TLS key %s: not a usable unencrypted PEM private key: %s",
             c->zTlsKey, cond.text());
    return DICOM_MISUSE;
  }
  cond = t.setCertificateFile(c->zTlsCert, DCF_Filetype_PEM);
  if(cond.bad()) {
    snprintf(zErr, nErr,
             "TLS certificate %s: not a usable PEM certificate: %s",
             c->zTlsCert, cond.text());
    return DICOM_MISUSE;
  }
  if(!t.checkPrivateKeyMatchesCertificate()) {
    snprintf(zErr, nErr,
             "TLS key %s: does not match the public key of certificate %s",
             c->zTlsKey, c->zTlsCert);
    return DICOM_MISUSE;
  }
  if(c->zTlsCaFile) {
    cond = t.addTrustedCertificateFile(c->zTlsCaFile, DCF_Filetype_PEM);
    if(cond.bad()) {
      snprintf(zErr, nErr, "TLS CA file %s: no usable PEM certificate: %s",
               c->zTlsCaFile, cond.text());
      return DICOM_MISUSE;
    }
  }
  t.setCertificateVerification(aVerify[c->tlsVerifyPeer]);
  int iProfile = findTlsProfile(c->zTlsProfile);
  cond = t.setTLSProfile(aTlsProfile[iProfile].profile);
  if(cond.good())
    cond = t.activateCipherSuites();
  if(cond.bad()) {
    snprintf(zErr, nErr, "TLS profile %s: cannot be set up: %s",
             aTlsProfile[iProfile].zName, cond.text());
    return DICOM_MISUSE;
  }
  return DICOM_OK;
}

/* Copies the TLS strings of *pCfg into p (p->cfg then points there). */
void copyTls(dicom_scp *p, const struct dicom_scp_config *pCfg)
{
  const char *const az[4] = {pCfg->zTlsCert, pCfg->zTlsKey, pCfg->zTlsCaFile,
                             pCfg->zTlsProfile};
  const char **apOut[4] = {&p->cfg.zTlsCert, &p->cfg.zTlsKey,
                           &p->cfg.zTlsCaFile, &p->cfg.zTlsProfile};
  for(int i = 0; i < 4; i++) {
    p->aTls[i] = az[i] ? az[i] : "";
    *apOut[i] = az[i] ? p->aTls[i].c_str() : NULL;
  }
}

/* Everything dicom_scp_new() does after the allocation. */
int setupScp(dicom_scp *p, const struct dicom_scp_config *pCfg, char *zErr,
             size_t nErr)
{
  struct stat st;
  int rc = checkConfig(pCfg, zErr, nErr);
  if(rc == DICOM_OK)
    rc = parseAllow(p, pCfg, zErr, nErr);
  if(rc)
    return rc;
  p->zAet = pCfg->zAet;
  p->zBindAddr = pCfg->zBindAddr ? pCfg->zBindAddr : "";
  p->zTempDir = pCfg->zTempDir;
  p->cfg = *pCfg;
  p->cfg.zAet = p->zAet.c_str();
  p->cfg.zBindAddr = pCfg->zBindAddr ? p->zBindAddr.c_str() : NULL;
  p->cfg.zTempDir = p->zTempDir.c_str();
  p->cfg.azAllow = NULL; /* Parsed into aAllow */
  copyTls(p, pCfg);
  int err = 0;
  if(stat(p->zTempDir.c_str(), &st) != 0)
    err = errno;
  else if(!S_ISDIR(st.st_mode))
    err = ENOTDIR;
  else if(access(p->zTempDir.c_str(), W_OK | X_OK) != 0)
    err = errno;
  if(err) {
    snprintf(zErr, nErr, "temp directory %s: %s", p->zTempDir.c_str(),
             strerror(err));
    return DICOM_ERR_IO;
  }
  if(p->cfg.zTlsCert != NULL) {
    rc = setupTls(p, zErr, nErr);
    if(rc)
      return rc;
  }
  if(pipe2(p->aPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    snprintf(zErr, nErr, "cannot create a pipe: %s", strerror(errno));
    return DICOM_ERR_IO;
  }
  return bindListen(p, pCfg->port, zErr, nErr);
}

} /* namespace */

extern "C" void dicom_scp_config_default(struct dicom_scp_config *pCfg)
{
  memset(pCfg, 0, sizeof(*pCfg));
  pCfg->port = 11112;
  pCfg->zAet = "DICOMQC";
  pCfg->nMaxAssoc = 16;
  pCfg->acseTimeout = 30;
  pCfg->dimseTimeout = 60;
  pCfg->maxPdu = 65536;
}

extern "C" int dicom_scp_new(const struct dicom_scp_config *pCfg,
                             dicom_scp **ppScp, char *zErr, size_t nErr)
{
  char zDummy[1];
  dicom_scp *p;
  if(zErr == NULL || nErr == 0) {
    zErr = zDummy;
    nErr = sizeof(zDummy);
  }
  zErr[0] = 0;
  if(ppScp == NULL)
    return DICOM_MISUSE;
  *ppScp = NULL;
  if(pCfg == NULL) {
    snprintf(zErr, nErr, "no configuration given");
    return DICOM_MISUSE;
  }
  initScp();
  try {
    p = new dicom_scp();
  } catch(const std::bad_alloc &) {
    snprintf(zErr, nErr, "out of memory");
    return DICOM_ERR_NOMEM;
  }
  p->magic = SCP_MAGIC;
  p->fdListen = p->aPipe[0] = p->aPipe[1] = -1;
  p->port = 0;
  int rc;
  try {
    rc = setupScp(p, pCfg, zErr, nErr);
  } catch(const std::bad_alloc &) {
    snprintf(zErr, nErr, "out of memory");
    rc = DICOM_ERR_NOMEM;
  }
  if(rc) {
    dicom_scp_free(p);
    return rc;
  }
  *ppScp = p;
  return DICOM_OK;
}

extern "C" uint16_t dicom_scp_port(dicom_scp *pScp)
{
  return isScp(pScp) ? pScp->port : 0;
}

extern "C" int dicom_scp_run(dicom_scp *pScp)
{
  if(!isScp(pScp))
    return DICOM_MISUSE;
  if(pScp->bRan.exchange(true))
    return fail(pScp, DICOM_MISUSE,
                "dicom_scp_run() was already called on this handle");
  pScp->zErr.clear();
  OFCondition cond;
  try {
    scpPool pool(pScp);
    DcmSCPConfig &c = pool.getConfig();
    c.setAETitle(pScp->zAet.c_str());
    c.setMaxReceivePDULength(pScp->cfg.maxPdu);
    c.setACSETimeout((Uint32)pScp->cfg.acseTimeout);
    c.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    c.setDIMSETimeout((Uint32)pScp->cfg.dimseTimeout);
    c.setConnectionBlockingMode(DUL_NOBLOCK);
    c.setConnectionTimeout(1);
    c.setHostLookupEnabled(OFFalse);
    pool.setMaxThreads((Uint16)pScp->cfg.nMaxAssoc);
    cond = pool.listen();
  } catch(const std::bad_alloc &) {
    return fail(pScp, DICOM_ERR_NOMEM, "port %u: out of memory", pScp->port);
  }
  if(cond.bad())
    return fail(pScp, DICOM_ERR_IO, "port %u: %s", pScp->port, cond.text());
  return DICOM_OK;
}

extern "C" void dicom_scp_stop(dicom_scp *pScp)
{
  static const char c = 1;
  if(!isScp(pScp))
    return;
  pScp->bStop.store(true);
  if(pScp->aPipe[1] >= 0) {
    ssize_t w = write(pScp->aPipe[1], &c, 1); /* Full pipe: already set */
    (void)w;
  }
}

extern "C" void dicom_scp_free(dicom_scp *pScp)
{
  if(!isScp(pScp))
    return;
  if(pScp->fdListen >= 0)
    (void)close(pScp->fdListen);
  for(int i = 0; i < 2; i++)
    if(pScp->aPipe[i] >= 0)
      (void)close(pScp->aPipe[i]);
  pScp->magic = 0;
  delete pScp;
}

extern "C" const char *dicom_scp_errmsg(dicom_scp *pScp)
{
  if(!isScp(pScp))
    return "not a dicom_scp handle";
  return pScp->zErr.c_str();
}
