/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dicom.h - the C interface of dicomqc's DICOM module.
 *
 * dicom/ is the only C++ in the tree: DCMTK (reading, JPEG, JPEG-LS, RLE,
 * deflate) and OpenJPEG (JPEG 2000 and HTJ2K, which DCMTK 3.6.7 cannot
 * decode) hidden behind this plain C header.  No C++ type, exception or
 * DCMTK header crosses it.  A file is opened into an opaque dicom_file,
 * then read as metadata (struct qc_meta), as the stored sample values the
 * codec produced (struct dicom_pixels, used to prove the decoder against
 * independent decoders) or as a struct qc_image ready for qc/.
 *
 * Everything read from a file is untrusted: sizes are bounded by struct
 * dicom_limits before anything is allocated, and every failure is a
 * status code plus a message that names the file; nothing aborts.
 *
 * Thread safety: distinct dicom_file handles may be used from different
 * threads at once; one handle must not be.
 */
#ifndef DICOMQC_DICOM_H
#define DICOMQC_DICOM_H

#include <stddef.h>
#include <stdint.h>

#include "qc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes of dicom/ functions.  0 is success. */
typedef enum dicom_status {
  DICOM_OK = 0,              /* Success */
  DICOM_ERR_IO = 1,          /* The file cannot be opened or read */
  DICOM_ERR_FORMAT = 2,      /* Not DICOM, or malformed/truncated */
  DICOM_ERR_NOPIXELS = 3,    /* A valid DICOM object without an image */
  DICOM_ERR_UNSUPPORTED = 4, /* A valid image in a form not handled */
  DICOM_ERR_TOOLARGE = 5,    /* Image exceeds the configured limits */
  DICOM_ERR_CODEC = 6,       /* The compressed pixel data does not decode */
  DICOM_ERR_NOMEM = 7,       /* Memory allocation failed */
  DICOM_MISUSE = 8           /* Library used incorrectly (NULL handle) */
} dicom_status;

/* Returns a static English description of a dicom_status.  Never NULL. */
const char *dicom_strstatus(int rc);

/* Limits applied before any pixel buffer is allocated. */
struct dicom_limits {
  uint32_t maxRows;    /* Largest accepted Rows, default 30000 */
  uint32_t maxColumns; /* Largest accepted Columns, default 30000 */
  uint64_t maxBytes;   /* Largest decoded image, all frames, as 32-bit
                          samples: Rows*Columns*Samples*Frames*4 bytes;
                          default 2 GiB */
};

/* Fills *pLimits with the defaults above.  Cannot fail. */
void dicom_limits_default(struct dicom_limits *pLimits);

typedef struct dicom_file dicom_file;

/* Opens and parses the DICOM file zPath: a Part 10 file, or a bare dataset
 * without preamble and meta header (implicit or explicit VR little endian
 * are tried).  pLimits may be NULL for the defaults; it is copied.  Large
 * pixel data is read lazily, when first needed.
 *
 * Like sqlite3_open(), *ppFile is set to a handle even on failure (unless
 * memory ran out, then NULL), so dicom_errmsg() can say why; close it with
 * dicom_close() either way.  Returns DICOM_OK, DICOM_ERR_IO,
 * DICOM_ERR_FORMAT or DICOM_ERR_NOMEM. */
int dicom_open(const char *zPath, const struct dicom_limits *pLimits,
               dicom_file **ppFile);

/* Closes the file and frees everything it owns.  NULL is a no-op. */
void dicom_close(dicom_file *pFile);

/* The message of the last failure on pFile, naming the file ("" if none).
 * Owned by the handle; valid until the next call on it or dicom_close().
 * Returns a static message for a NULL handle. */
const char *dicom_errmsg(const dicom_file *pFile);

/* Fills *pMeta from the header.  Cannot fail for an open file (absent
 * attributes are empty); returns DICOM_MISUSE for NULL arguments. */
int dicom_meta_read(dicom_file *pFile, struct qc_meta *pMeta);

/* Stored sample values as the codec produced them: one int32 per sample,
 * all frames, frame-major, row-major, samples of a pixel consecutive
 * (planar configuration 1 is interleaved here, YBR_FULL_422 native data
 * upsampled to one Y Cb Cr triple per pixel).  Each value is the raw
 * sample masked to Bits Stored and sign-extended when Pixel Representation
 * is 1.  No modality LUT, no MONOCHROME1 inversion, no colour conversion:
 * this is the form compared against independent decoders
 * (tests/pixels/README.md). */
struct dicom_pixels {
  int32_t nWidth;        /* Columns */
  int32_t nHeight;       /* Rows */
  int32_t nSamples;      /* Samples per pixel: 1 or 3 */
  int32_t nFrames;       /* Frames, >= 1 */
  int32_t bitsAllocated; /* 1, 8, 16 or 32 */
  int32_t bitsStored;    /* 1..bitsAllocated */
  int32_t isSigned;      /* Pixel Representation */
  char zPhotometric[33]; /* Photometric interpretation of the values here:
                            after a codec's colour transform (a lossy JPEG
                            in YBR decodes to RGB; JPEG 2000 with MCT to
                            RGB), otherwise the file's */
  int32_t *aValue;       /* nFrames*nHeight*nWidth*nSamples values, owned
                            by this struct */
};

/* Decodes all frames into a new struct dicom_pixels.  On success
 * *ppPix is set; free it with dicom_pixels_free().  Fails with
 * DICOM_ERR_NOPIXELS, DICOM_ERR_UNSUPPORTED, DICOM_ERR_TOOLARGE,
 * DICOM_ERR_FORMAT (e.g. truncated pixel data), DICOM_ERR_CODEC or
 * DICOM_ERR_NOMEM, with the reason in dicom_errmsg(). */
int dicom_pixels_read(dicom_file *pFile, struct dicom_pixels **ppPix);

/* Frees a struct dicom_pixels.  NULL is a no-op. */
void dicom_pixels_free(struct dicom_pixels *pPix);

/* Decodes all frames into a new struct qc_image (see qc.h): the modality
 * LUT applied (Modality LUT Sequence, else Rescale Slope/Intercept),
 * MONOCHROME1 inverted to MONOCHROME2, YBR_FULL/YBR_FULL_422 converted to
 * RGB (PS3.3 C.7.6.3.1.2), PALETTE COLOR looked up to 8-bit RGB, pixel
 * spacing and the first VOI window copied.  On success *ppImg is set;
 * free it with qc_image_free().  Fails as dicom_pixels_read() does. */
int dicom_image_read(dicom_file *pFile, struct qc_image **ppImg);

/* Both of the above from a single decode: fills *ppPix and/or *ppImg
 * (either may be NULL).  Saves decoding twice when a caller needs both. */
int dicom_decode(dicom_file *pFile, struct dicom_pixels **ppPix,
                 struct qc_image **ppImg);

/* ---------------------------------------------------------------------
 * The DICOM listener (SCP), dicom_scp.cc.
 *
 * Verification (C-ECHO) and Storage (C-STORE) for every storage SOP
 * class DCMTK 3.6.7 knows, in the transfer syntaxes the decoder handles:
 * implicit/explicit VR little endian, explicit VR big endian, deflated,
 * JPEG .50 .51 .57 .70, JPEG-LS .80 .81, RLE .5, JPEG 2000 .90 .91 and
 * HTJ2K .201 .202 .203 (all 1.2.840.10008.1.2...).  For each proposed
 * presentation context the first transfer syntax in the proposer's order
 * that is in this list is accepted, so a sender never has to convert.
 *
 * A received object is written straight from the network to a temp file
 * (Part 10: preamble, a File Meta group we write with the transfer syntax
 * of the presentation context, then the dataset bytes exactly as they
 * arrived; nothing is parsed or transcoded, memory stays at one PDU per
 * association), then handed to the xStore callback, which decides the
 * status.  Associations run concurrently on threads (DCMTK's SCP pool),
 * one thread each.
 *
 * Network notes: our sockets get TCP_NODELAY whatever the environment
 * says, and TCP_QUICKACK is re-armed after every read, so a sender that
 * keeps Nagle's algorithm on is not held up by our delayed ACKs (Linux).
 * Peers are reported by IPv4 address; no reverse DNS lookup is done
 * (DCMTK's process-wide dcmDisableGethostbyaddr is set).  IPv4 only.
 * A connection that sends nothing holds the accepting thread for at most
 * acseTimeout seconds (DCMTK reads the A-ASSOCIATE-RQ on that thread).
 * With TLS the handshake runs there too, also bounded by acseTimeout in
 * all; a failed handshake is logged (tls_failed) and only that connection
 * is closed.  A TLS record that stops half-way is waited for at most
 * dimseTimeout seconds.
 * --------------------------------------------------------------------- */

typedef struct dicom_scp dicom_scp;

/* One received C-STORE, as the xStore callback sees it.  Every pointer
 * is owned by the SCP and valid only during the callback. */
struct dicom_scp_instance {
  const char *zTempPath;       /* The complete received file (see above),
                                  in zTempDir, mode 0600 */
  const char *zSopClassUid;    /* Affected SOP Class UID of the request
                                  (untrusted: validate before use) */
  const char *zSopInstanceUid; /* Affected SOP Instance UID of the request
                                  (untrusted: validate before use) */
  const char *zTransferSyntax; /* UID of the presentation context */
  const char *zCallingAet;     /* Peer's AE title, spaces trimmed */
  const char *zCalledAet;      /* AE title the peer called (= our zAet) */
  const char *zPeerHost;       /* Peer's IPv4 address, dotted */
  uint64_t nBytes;             /* Size of zTempPath, bytes */
};

/* Configuration of a listener.  dicom_scp_new() copies it, strings too. */
struct dicom_scp_config {
  uint16_t port;              /* TCP port, 1..65535; 0 = any free port (read
                             it back with dicom_scp_port()) */
  const char *zBindAddr;      /* IPv4 address or host name to listen on;
                             NULL = all interfaces */
  const char *zAet;           /* Our AE title, 1..16 characters; the called AE
                             title must equal it (else rejected, logged) */
  int nMaxAssoc;              /* Concurrent associations, 1..1000, default 16;
                             more are rejected (local limit exceeded) */
  int acseTimeout;            /* Seconds to wait for association messages,
                             1..3600, default 30 */
  int dimseTimeout;           /* Seconds to wait for the next DIMSE message or
                             PDU, 1..86400, default 60: an idle or dead
                             peer loses its association after this */
  uint32_t maxPdu;            /* Largest PDU we receive, bytes, 4096..131072
                             (DCMTK's range), default 65536 */
  const char *const *azAllow; /* nAllow entries "AE" or "AE@HOST" (HOST:
                             IPv4 address or a name resolved at each
                             association); the calling AE title must
                             match one.  NULL/0 = everyone allowed */
  int nAllow;                 /* Entries in azAllow, 0..1000 */
  const char *zTempDir;       /* Existing directory for in-progress files, on
                             the archive's filesystem so a rename is
                             atomic */
  void *pCtx;                 /* Passed to xStore and xLog */
  /* DICOM TLS (PS3.15 B.1, DCMTK's dcmtls over OpenSSL): every connection
   * starts with a TLS handshake, or is closed.  All NULL/0 = plain TCP.
   * The files are read once, by dicom_scp_new(). */
  const char *zTlsCert;    /* Our certificate, PEM file (a chain: ours
                             first); NULL = plain TCP, and then the other
                             zTls* fields and tlsVerifyPeer must be unset */
  const char *zTlsKey;     /* Its private key, PEM file, unencrypted;
                             required with zTlsCert */
  const char *zTlsCaFile;  /* PEM file of the CA certificates trusted for
                             client certificates; NULL = none (then
                             tlsVerifyPeer must be 0) */
  int tlsVerifyPeer;       /* Client certificates: 0 = not asked for,
                             1 = asked for and verified against zTlsCaFile
                             if sent, 2 = required and verified */
  const char *zTlsProfile; /* DICOM TLS profile: "bcp195-nd" (default
                             when NULL; non-downgrading: TLS 1.2+ with
                             the four BCP 195 GCM suites), "bcp195"
                             (TLS 1.2+ preferred, 1.0/1.1 and the
                             retired AES/Basic suites still accepted,
                             for old modalities) or "bcp195-ex"
                             (extended: TLS 1.2 only, ECDSA suites too) */
  /* Called on the association's thread, possibly from several threads at
   * once, after the file is complete.  Returns the DIMSE status to send:
   * 0x0000 success, 0xA700 out of resources, 0xA900 dataset does not
   * match SOP class, 0xC000 cannot understand, or a 0xB000-range warning.
   * From the call on, the callback owns zTempPath: it must rename or
   * unlink it; if it returns a failure it must have unlinked it.
   * Required. */
  uint16_t (*xStore)(void *pCtx, const struct dicom_scp_instance *pInst);
  /* One structured log line: key=value pairs (values with spaces are
   * double-quoted), no newline, e.g. "event=assoc_rejected
   * calling_aet=FOO peer=127.0.0.1 reason=calling_aet_not_allowed".
   * zLevel is "info", "warn" or "error".  Called from several threads at
   * once.  May be NULL.  Events: assoc_accepted, assoc_end (counts),
   * assoc_rejected (reason), assoc_failed, store_failed; with TLS also
   * tls_accepted (protocol, cipher, client certificate subject) and
   * tls_failed (peer, reason: not_tls, no_client_certificate,
   * client_certificate_rejected, no_shared_cipher, protocol_version,
   * handshake_timeout, closed_by_peer, stopping or handshake_failed;
   * error: OpenSSL's text). */
  void (*xLog)(void *pCtx, const char *zLevel, const char *zLine);
};

/* Fills *pCfg with the defaults above: port 11112, zAet "DICOMQC",
 * nMaxAssoc 16, acseTimeout 30, dimseTimeout 60, maxPdu 65536, everything
 * else 0/NULL.  Cannot fail. */
void dicom_scp_config_default(struct dicom_scp_config *pCfg);

/* Validates *pCfg, copies it and binds and listens on the port, so that a
 * busy port is reported here, before dicom_scp_run(); connections that
 * arrive before run() wait in the listen queue.  On success *ppScp is a
 * new handle (free it with dicom_scp_free()) and DICOM_OK is returned.
 * On failure *ppScp is NULL and zErr (nErr bytes, may be NULL/0) says
 * why, naming the value, port, directory or file: DICOM_MISUSE (invalid
 * configuration; a TLS file that is not PEM of the right kind, a key that
 * does not match the certificate, an unknown TLS profile: with OpenSSL's
 * reason), DICOM_ERR_IO (the port cannot be bound: in use or not
 * permitted; zTempDir missing or not writable; a TLS file that cannot be
 * read) or DICOM_ERR_NOMEM.
 * Tests: tests/scp/test_scp.sh, tests/scp/test_tls.sh. */
int dicom_scp_new(const struct dicom_scp_config *pCfg, dicom_scp **ppScp,
                  char *zErr, size_t nErr);

/* The TCP port the listener is bound to (useful with port 0); 0 for a
 * NULL handle. */
uint16_t dicom_scp_port(dicom_scp *pScp);

/* Accepts and serves associations until dicom_scp_stop(), then waits for
 * the associations in flight and returns DICOM_OK.  Blocks the calling
 * thread; call it once per handle.  Returns DICOM_MISUSE for a bad handle
 * or a second call, DICOM_ERR_IO if DCMTK's network cannot be set up
 * (message in dicom_scp_errmsg()). */
int dicom_scp_run(dicom_scp *pScp);

/* Asks dicom_scp_run() to return: no new association is accepted
 * (connections are refused), an object being received is finished and
 * answered, then its association is aborted at the next message
 * boundary; idle associations are aborted at once.  So run() returns
 * within about one object's transfer time, at most dimseTimeout per PDU.
 * Callable from any thread, before or during run(), more than once; it
 * only sets a flag and writes to a pipe (async-signal-safe, though a
 * signal-handling thread is the intended caller). */
void dicom_scp_stop(dicom_scp *pScp);

/* Closes the socket and frees the handle.  Must not be called while
 * dicom_scp_run() is executing.  NULL is a no-op. */
void dicom_scp_free(dicom_scp *pScp);

/* The last error message of pScp ("" if none), owned by the handle and
 * valid until the next call on it; a static message for NULL. */
const char *dicom_scp_errmsg(dicom_scp *pScp);

#ifdef __cplusplus
}
#endif
#endif /* DICOMQC_DICOM_H */
