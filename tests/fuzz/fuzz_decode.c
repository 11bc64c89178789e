/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fuzz_decode.c - libFuzzer target for the file decoder: every transfer
 * syntax dicom/ reads (native LE/BE, deflated, JPEG, JPEG-LS, RLE, JPEG
 * 2000, HTJ2K; the transfer syntax comes from the input's own File Meta,
 * or none for a bare dataset), then the qc/ steps every decoded image
 * goes through in the node's workers (cli/measure.c measure()).
 *
 * One input is one file: dicom_open() takes a path, so the bytes go to an
 * anonymous in-memory file (memfd_create(2)) opened by its
 * /proc/self/fd/N name: no disk I/O, nothing left behind by a crash.
 * Then dicom_open(), dicom_meta_read(), dicom_decode() of all frames into
 * both the stored values and the qc_image, and on the middle frame (the
 * one the node measures): luminance, exposure statistics, Immerkaer
 * noise, the display rendering, the models' input plane
 * (qc_render_model_input()) and the Laplacian sharpness.  Decoding runs
 * with the default Rows and Columns limits (30000) but a decoded-size
 * limit of 64 MiB instead of 2 GiB, so that memory stays bounded by the
 * limits, not by the input; smaller Rows and Columns limits would hide
 * the size arithmetic of large headers (tests/fuzz/regress/README).
 *
 * Each step's status and message feed libFuzzer's extra counters
 * (fuzz_feedback.h): DCMTK and the codecs are not instrumented.
 *
 * Assumes: Linux (memfd_create).  Deterministic; no state kept between
 * inputs; every status is accepted, only a crash, a sanitizer report, a
 * leak or a timeout is a finding.  Build: tests/fuzz/CMakeLists.txt; run:
 * scripts/fuzz.sh.
 */
#define _GNU_SOURCE /* memfd_create() */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dicom.h"
#include "fuzz_feedback.h"
#include "qc.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

/* Decoded-size limit: one input then needs at most a few hundred MiB
 * (64 MiB of int32 values, as much again of floats, the codec's own
 * buffers); large enough for every seed. */
#define FUZZ_MAX_BYTES ((uint64_t)64 << 20)

/* Writes all nData bytes of aData to fd.  Returns 0, or -1. */
static int writeAll(int fd, const uint8_t *aData, size_t nData)
{
  while(nData > 0) {
    ssize_t n = write(fd, aData, nData);
    if(n <= 0)
      return -1;
    aData += n;
    nData -= (size_t)n;
  }
  return 0;
}

/* The qc/ steps of the node's measure() on frame iFrame of pImg.  Every
 * status is fine; the values are not used. */
static void measureFrame(const struct qc_image *pImg, int32_t iFrame)
{
  size_t nPix = (size_t)pImg->nWidth * pImg->nHeight; /* Pixels a frame */
  float *aLuma = malloc(nPix * sizeof(float));        /* Luminance plane */
  float *aDisp = malloc(nPix * sizeof(float));        /* Display rendering */
  float *aModel = malloc(nPix * sizeof(float));       /* Models' input plane */
  struct qc_exposure expo;                            /* Exposure statistics */
  double v;                                           /* A metric's value */
  int isDisplay = 0;                                  /* aModel is aDisp too */

  if(aLuma == NULL || aDisp == NULL || aModel == NULL)
    goto measure_end;
  if(qc_image_luma(pImg, iFrame, aLuma) != QC_OK)
    goto measure_end;
  struct qc_plane raw = {aLuma, pImg->nWidth, pImg->nHeight};
  (void)qc_exposure_stats(&raw, pImg->detectorMin, pImg->detectorMax, &expo);
  (void)qc_noise_immerkaer(&raw, &v);
  if(qc_render_display(pImg, &raw, aDisp) == QC_OK) {
    struct qc_plane disp = {aDisp, pImg->nWidth, pImg->nHeight};
    (void)qc_sharpness_laplacian_var(&disp, &v);
  }
  (void)qc_render_model_input(pImg, iFrame, aModel, &isDisplay);
measure_end:
  free(aLuma);
  free(aDisp);
  free(aModel);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData)
{
  struct dicom_limits limits;       /* The fuzzing limits */
  struct qc_meta meta;              /* Header as the node reads it */
  struct dicom_pixels *pPix = NULL; /* Stored values of all frames */
  struct qc_image *pImg = NULL;     /* Decoded image of all frames */
  dicom_file *pFile = NULL;         /* The open input */
  char zPath[64];                   /* /proc/self/fd/N of the memfd */
  int rc;                           /* Status of the last step */
  int fd = memfd_create("fuzz_decode", MFD_CLOEXEC);

  if(fd < 0) {
    perror("fuzz_decode: memfd_create");
    abort(); /* The harness itself is broken: stop at once */
  }
  if(writeAll(fd, aData, nData) != 0) {
    perror("fuzz_decode: write");
    abort();
  }
  snprintf(zPath, sizeof(zPath), "/proc/self/fd/%d", fd);
  dicom_limits_default(&limits);
  limits.maxBytes = FUZZ_MAX_BYTES;
  rc = dicom_open(zPath, &limits, &pFile);
  fuzzNoteOutcome(1, rc, dicom_errmsg(pFile), zPath);
  if(rc == DICOM_OK)
    rc = dicom_meta_read(pFile, &meta);
  if(rc == DICOM_OK) {
    fuzzNoteOutcome(2, rc, meta.zTransferSyntax, zPath);
    rc = dicom_decode(pFile, &pPix, &pImg);
    fuzzNoteOutcome(3, rc, dicom_errmsg(pFile), zPath);
  }
  if(rc == DICOM_OK)
    measureFrame(pImg, pImg->nFrames / 2);
  qc_image_free(pImg);
  dicom_pixels_free(pPix);
  dicom_close(pFile);
  close(fd);
  return 0;
}
