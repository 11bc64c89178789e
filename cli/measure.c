/* SPDX-License-Identifier: BSD-3-Clause
 *
 * measure.c - decode one file and take the first quality measures of
 * qc/, and record them: the work `dicomqc score` does per file and the
 * node's workers do per received instance.
 *
 * Measures: noise sigma (Immerkaer 1996) of the luminance in modality
 * units; sharpness as the Laplacian variance of the 0..255 display
 * rendering; exposure statistics.  Until modality profiles exist the
 * verdict is "unscored" (or "error" when the file does not decode): no
 * quality value is made up.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Metric rows: name, unit, and where the value is in a result. */
static const struct {
  const char *zName;
  const char *zUnit;
  size_t iOff;
} aMetric[] = {
    {"noise_sigma", "modality units", offsetof(struct cli_result, noise)},
    {"sharpness_laplacian_var", "display units^2",
     offsetof(struct cli_result, sharp)},
    {"exposure_mean", "modality units",
     offsetof(struct cli_result, expo.mean)},
    {"exposure_p01", "modality units", offsetof(struct cli_result, expo.p01)},
    {"exposure_p99", "modality units", offsetof(struct cli_result, expo.p99)},
    {"clipped_low_fraction", "fraction",
     offsetof(struct cli_result, expo.clipLow)},
    {"clipped_high_fraction", "fraction",
     offsetof(struct cli_result, expo.clipHigh)},
    {"dynamic_range", "modality units",
     offsetof(struct cli_result, expo.dynRange)},
    {"dynamic_range_bits", "bits",
     offsetof(struct cli_result, expo.dynRangeBits)},
};

const int cli_metric_count = (int)(sizeof(aMetric) / sizeof(aMetric[0]));

int cli_result_metric(const struct cli_result *r, int i, const char **pzName,
                      const char **pzUnit, double *pValue)
{
  if(!r->hasMetrics || i < 0 || i >= cli_metric_count)
    return 0;
  double v = *(const double *)((const char *)r + aMetric[i].iOff);
  if(isnan(v))
    return 0;
  *pzName = aMetric[i].zName;
  *pzUnit = aMetric[i].zUnit;
  *pValue = v;
  return 1;
}

/* Measures the middle frame of pImg into r. */
static int measure(const struct qc_image *pImg, struct cli_result *r)
{
  int32_t iFrame = pImg->nFrames / 2;
  size_t nPix = (size_t)pImg->nWidth * pImg->nHeight;
  float *aLuma = malloc(nPix * sizeof(float));
  float *aDisp = malloc(nPix * sizeof(float));
  int rc = QC_ERR_NOMEM;
  if(aLuma == NULL || aDisp == NULL)
    goto measure_end;
  rc = qc_image_luma(pImg, iFrame, aLuma);
  if(rc)
    goto measure_end;
  struct qc_plane raw = {aLuma, pImg->nWidth, pImg->nHeight};
  rc = qc_exposure_stats(&raw, pImg->detectorMin, pImg->detectorMax, &r->expo);
  if(rc)
    goto measure_end;
  /* Images smaller than 3x3 have no interior: no noise or sharpness. */
  if(qc_noise_immerkaer(&raw, &r->noise) != QC_OK)
    r->noise = NAN;
  r->sharp = NAN;
  if(qc_render_display(pImg, &raw, aDisp) == QC_OK) {
    struct qc_plane disp = {aDisp, pImg->nWidth, pImg->nHeight};
    if(qc_sharpness_laplacian_var(&disp, &r->sharp) != QC_OK)
      r->sharp = NAN;
  }
  r->hasMetrics = 1;
measure_end:
  free(aLuma);
  free(aDisp);
  return rc;
}

void cli_measure_file(const char *zPath, const struct dicom_limits *pLimits,
                      struct cli_result *r)
{
  dicom_file *f = NULL;
  struct qc_image *pImg = NULL;
  memset(r, 0, sizeof(*r));
  r->noise = r->sharp = NAN;
  int rc = dicom_open(zPath, pLimits, &f);
  if(rc == DICOM_OK)
    dicom_meta_read(f, &r->meta);
  if(rc == DICOM_OK)
    rc = dicom_image_read(f, &pImg);
  if(rc != DICOM_OK) {
    snprintf(r->zErrBuf, sizeof(r->zErrBuf), "%s", dicom_errmsg(f));
    r->zError = r->zErrBuf;
    goto measure_file_end;
  }
  r->nRows = pImg->nHeight;
  r->nCols = pImg->nWidth;
  r->nFrames = pImg->nFrames;
  rc = measure(pImg, r);
  if(rc) {
    snprintf(r->zErrBuf, sizeof(r->zErrBuf), "%s: measuring failed: %s", zPath,
             qc_strstatus(rc));
    r->zError = r->zErrBuf;
  }
measure_file_end:
  qc_image_free(pImg);
  dicom_close(f);
}

void cli_meta_instance(const struct qc_meta *m, const char *zPath,
                       struct store_instance *pIn)
{
  memset(pIn, 0, sizeof(*pIn));
  pIn->zSopInstanceUid = m->zSopInstanceUid;
  pIn->zStudyInstanceUid = m->zStudyUid;
  pIn->zSeriesInstanceUid = m->zSeriesUid;
  pIn->zSopClassUid = m->zSopClassUid;
  pIn->zTransferSyntax = m->zTransferSyntax;
  pIn->zModality = m->zModality;
  pIn->zBodyPart = m->zBodyPart;
  pIn->zStationName = m->zStationName;
  pIn->zOperatorName = m->zOperatorName;
  pIn->zInstitution = m->zInstitution;
  pIn->zAccessionNumber = m->zAccession;
  pIn->zStudyDate = m->zStudyDate;
  pIn->zStudyTime = m->zStudyTime;
  pIn->zFilePath = zPath;
}

void cli_result_instance(const struct cli_result *r, const char *zPath,
                         struct store_instance *pIn)
{
  struct stat st;
  cli_meta_instance(&r->meta, zPath, pIn);
  pIn->nFileSize = stat(zPath, &st) == 0 ? (int64_t)st.st_size : 0;
  pIn->nRows = r->nRows;
  pIn->nColumns = r->nCols;
  pIn->nFrames = r->nFrames;
}

int cli_result_record(store *pDb, int64_t iInstance,
                      const struct cli_result *r)
{
  int rc = STORE_OK;
  for(int i = 0; rc == STORE_OK && i < cli_metric_count; i++) {
    const char *zName, *zUnit;
    double v;
    if(cli_result_metric(r, i, &zName, &zUnit, &v))
      rc = store_metric_put(pDb, iInstance, zName, v, zUnit, -1);
  }
  if(rc == STORE_OK)
    rc = store_verdict_put(pDb, iInstance, r->zError ? "error" : "unscored",
                           NULL, "[]", r->zError);
  return rc;
}
