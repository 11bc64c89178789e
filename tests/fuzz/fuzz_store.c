/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fuzz_store.c - libFuzzer target for the dataset handling behind a
 * C-STORE: what the node does with a received dataset before it sends
 * its status.
 *
 * The listener (dicom/dicom_scp.cc handleStore()) parses nothing: it
 * writes a temp file of the 128-byte preamble, "DICM", a File Meta group
 * it builds itself (writeMeta(): version, the request's SOP class and
 * instance UIDs, the presentation context's transfer syntax, DCMTK's
 * implementation UID and name, the calling AE title) and then the
 * dataset bytes exactly as they arrived.  The node's xStore
 * (cli/serve.c readHeader()) then runs dicom_open() with the default
 * limits and dicom_meta_read() on that file, refuses it (0xC000) if that
 * fails or (0xA900) if its SOP class or instance UID differ from the
 * request's, and store_archive_place() checks the Study, Series and SOP
 * Instance UIDs with store_uid_valid() before they become path names.
 * No pixel data is decoded there (the workers do that later: see
 * fuzz_decode.c).
 *
 * Input: byte 0 picks the negotiated transfer syntax, its low 4 bits
 * indexing the 16 the listener accepts (azXfer below, in dicom_scp.cc's
 * order); the rest is the dataset as a peer sent it.  This target builds
 * the same file in an anonymous in-memory file (memfd_create(2), opened
 * as /proc/self/fd/N) and runs the same steps.  store_uid_valid() runs on
 * the three UIDs whatever the header check said, for coverage.
 *
 * The status and message of dicom_open() (per transfer syntax) feed
 * libFuzzer's extra counters (fuzz_feedback.h): DCMTK's parser is not
 * instrumented.
 *
 * Assumes: Linux.  Deterministic; no state kept between inputs; only a
 * crash, a sanitizer report, a leak or a timeout is a finding.
 */
#define _GNU_SOURCE /* memfd_create() */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dicom.h"
#include "fuzz_feedback.h"
#include "qc.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

/* The transfer syntaxes the listener accepts for storage, in the order
 * of azStoreXfer in dicom/dicom_scp.cc.  Input byte 0 & 15 indexes it. */
static const char *const azXfer[16] = {
    "1.2.840.10008.1.2",       "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",     "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.50",  "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",  "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",  "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.5",     "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",  "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"};

/* The C-STORE request's Affected SOP Class and Instance UIDs, as a
 * sender of the seed corpus would give them. */
#define REQ_SOP_CLASS    "1.2.840.10008.5.1.4.1.1.7"
#define REQ_SOP_INSTANCE "2.25.1234567890123456789012345678901234567"

/* A File Meta group as writeMeta() encodes it: explicit VR little
 * endian, group length first.  Big enough for the elements below. */
struct meta {
  uint8_t a[512]; /* Encoded bytes */
  size_t n;       /* Bytes used */
};

/* Appends element (0002,iElem) of VR zVr (2 letters) with nVal bytes of
 * aVal, padded to an even length with cPad (PS3.5 6.2).  OB uses the
 * long form (2 reserved bytes, 32-bit length), the others the short. */
static void metaPut(struct meta *m, uint16_t iElem, const char *zVr,
                    const void *aVal, size_t nVal, uint8_t cPad)
{
  size_t nPad = nVal + (nVal & 1); /* Value length, even */
  uint8_t *p = m->a + m->n;        /* Next byte to write */
  int isLong = strcmp(zVr, "OB") == 0;

  p[0] = 0x02;
  p[1] = 0x00;
  p[2] = (uint8_t)(iElem & 0xff);
  p[3] = (uint8_t)(iElem >> 8);
  p[4] = (uint8_t)zVr[0];
  p[5] = (uint8_t)zVr[1];
  if(isLong) {
    p[6] = p[7] = 0;
    p[8] = (uint8_t)(nPad & 0xff);
    p[9] = (uint8_t)(nPad >> 8);
    p[10] = p[11] = 0;
    p += 12;
  } else {
    p[6] = (uint8_t)(nPad & 0xff);
    p[7] = (uint8_t)(nPad >> 8);
    p += 8;
  }
  memcpy(p, aVal, nVal);
  if(nPad > nVal)
    p[nVal] = cPad;
  m->n = (size_t)(p + nPad - m->a);
}

/* Builds the File Meta group writeMeta() would write for a C-STORE of
 * the request above on a context of transfer syntax zXfer. */
static void metaBuild(struct meta *m, const char *zXfer)
{
  static const uint8_t aVersion[2] = {0, 1};
  uint8_t aLen[4] = {0, 0, 0, 0}; /* Group length, filled in last */
  size_t nGroup;                  /* Bytes after the group length */

  m->n = 0;
  metaPut(m, 0x0000, "UL", aLen, 4, 0);
  metaPut(m, 0x0001, "OB", aVersion, 2, 0);
  metaPut(m, 0x0002, "UI", REQ_SOP_CLASS, strlen(REQ_SOP_CLASS), 0);
  metaPut(m, 0x0003, "UI", REQ_SOP_INSTANCE, strlen(REQ_SOP_INSTANCE), 0);
  metaPut(m, 0x0010, "UI", zXfer, strlen(zXfer), 0);
  metaPut(m, 0x0012, "UI", "1.2.276.0.7230010.3.0.3.6.7", 27, 0);
  metaPut(m, 0x0013, "SH", "OFFIS_DCMTK_367", 15, ' ');
  metaPut(m, 0x0016, "AE", "FUZZSCU", 7, ' ');
  nGroup = m->n - 12;
  m->a[8] = (uint8_t)(nGroup & 0xff);
  m->a[9] = (uint8_t)(nGroup >> 8);
}

/* Writes all nData bytes of aData to fd.  Returns 0, or -1. */
static int writeAll(int fd, const void *aData, size_t nData)
{
  const uint8_t *p = aData; /* Next byte to write */
  while(nData > 0) {
    ssize_t n = write(fd, p, nData);
    if(n <= 0)
      return -1;
    p += n;
    nData -= (size_t)n;
  }
  return 0;
}

/* Writes the listener's temp file for dataset aData of nData bytes
 * received on a context of transfer syntax zXfer into fd. */
static void writeReceived(int fd, const char *zXfer, const uint8_t *aData,
                          size_t nData)
{
  static const uint8_t aPreamble[128];
  struct meta m; /* The File Meta group */

  metaBuild(&m, zXfer);
  if(writeAll(fd, aPreamble, sizeof(aPreamble)) != 0 ||
     writeAll(fd, "DICM", 4) != 0 || writeAll(fd, m.a, m.n) != 0 ||
     writeAll(fd, aData, nData) != 0) {
    perror("fuzz_store: write");
    abort(); /* The harness itself is broken: stop at once */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData)
{
  struct qc_meta meta;      /* Header as readHeader() reads it */
  dicom_file *pFile = NULL; /* The received file, open */
  char zPath[64];           /* /proc/self/fd/N of the memfd */
  int fd;                   /* The memfd */
  int rc;                   /* Status of dicom_open() */
  volatile int nValid = 0;  /* Valid UIDs: keeps the calls */

  if(nData < 1)
    return 0;
  fd = memfd_create("fuzz_store", MFD_CLOEXEC);
  if(fd < 0) {
    perror("fuzz_store: memfd_create");
    abort();
  }
  writeReceived(fd, azXfer[aData[0] & 15], aData + 1, nData - 1);
  snprintf(zPath, sizeof(zPath), "/proc/self/fd/%d", fd);
  /* readHeader(): default limits, header only. */
  rc = dicom_open(zPath, NULL, &pFile);
  fuzzNoteOutcome(aData[0] & 15, rc, dicom_errmsg(pFile), zPath);
  if(rc == DICOM_OK && dicom_meta_read(pFile, &meta) == DICOM_OK) {
    /* Accepted (status 0) only if the dataset is the request's. */
    int isSame = strcmp(meta.zSopInstanceUid, REQ_SOP_INSTANCE) == 0 &&
                 strcmp(meta.zSopClassUid, REQ_SOP_CLASS) == 0;
    /* store_archive_place(): the three UIDs become path names. */
    nValid = store_uid_valid(meta.zStudyUid) +
             store_uid_valid(meta.zSeriesUid) +
             store_uid_valid(meta.zSopInstanceUid) + isSame;
  }
  (void)nValid;
  dicom_close(pFile);
  close(fd);
  return 0;
}
