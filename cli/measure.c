/* SPDX-License-Identifier: BSD-3-Clause
 *
 * measure.c - decode one file, measure it with qc/, judge it by its
 * modality profile, and record it: the work `dicomqc score` does per
 * file, `eval` per distorted image and the node's workers per received
 * instance.
 *
 * Measures: noise sigma (Immerkaer 1996) of the luminance in modality
 * units; sharpness as the Laplacian variance of the 0..255 display
 * rendering; exposure statistics; the natural-scene models BRISQUE
 * (OpenCV's and LIVE's model), NIQE and PIQE on the 0..255 input plane
 * of qc_render_model_input(); and the modality measures (X-ray, MR over
 * every frame, fundus) when the image's profile has a rule on one of
 * them.  Which ones run is a bit mask over the metric table
 * (`--metrics`): a rule whose measure does not run is skipped.  The
 * models and profiles are loaded once per process (cli_measures_open())
 * and shared read-only by every thread.  The profile that fits the image
 * (cli_profile_for()) turns the values into quality, verdict and
 * reasons (qc_policy_assess()); without one the verdict is "unscored",
 * and "error" when the file does not decode: no quality value is made
 * up.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Metric rows: name, unit, where the value is in a result, and which
 * computation gives it (one computation can fill several rows). */
enum {
  M_NOISE,        /* qc_noise_immerkaer() */
  M_SHARP,        /* qc_sharpness_laplacian_var() of the display plane */
  M_EXPO,         /* qc_exposure_stats() */
  M_BRISQUE_CV,   /* qc_brisque_score(), OpenCV's model */
  M_BRISQUE_LIVE, /* qc_brisque_score(), LIVE's model */
  M_NIQE,         /* qc_niqe_score() */
  M_PIQE,         /* qc_piqe() */
  M_XRAY,         /* qc_xray_measure(), when the profile uses it */
  M_MR,           /* qc_mr_measure() per frame, median */
  M_FUNDUS        /* qc_fundus_measure() */
};
static const struct {
  const char *zName;
  const char *zUnit;
  size_t iOff;
  int iKind; /* M_... */
} aMetric[] = {
    {"noise_sigma", "modality units", offsetof(struct cli_result, noise),
     M_NOISE},
    {"sharpness_laplacian_var", "display units^2",
     offsetof(struct cli_result, sharp), M_SHARP},
    {"exposure_mean", "modality units", offsetof(struct cli_result, expo.mean),
     M_EXPO},
    {"exposure_p01", "modality units", offsetof(struct cli_result, expo.p01),
     M_EXPO},
    {"exposure_p99", "modality units", offsetof(struct cli_result, expo.p99),
     M_EXPO},
    {"clipped_low_fraction", "fraction",
     offsetof(struct cli_result, expo.clipLow), M_EXPO},
    {"clipped_high_fraction", "fraction",
     offsetof(struct cli_result, expo.clipHigh), M_EXPO},
    {"dynamic_range", "modality units",
     offsetof(struct cli_result, expo.dynRange), M_EXPO},
    {"dynamic_range_bits", "bits",
     offsetof(struct cli_result, expo.dynRangeBits), M_EXPO},
    {"brisque_opencv", "score, lower is better",
     offsetof(struct cli_result, brisqueOpencv), M_BRISQUE_CV},
    {"brisque_live", "score, lower is better",
     offsetof(struct cli_result, brisqueLive), M_BRISQUE_LIVE},
    {"niqe", "score, lower is better", offsetof(struct cli_result, niqe),
     M_NIQE},
    {"piqe", "score 0..100, lower is better",
     offsetof(struct cli_result, piqe), M_PIQE},
#define R(f) offsetof(struct cli_result, f)
    {"xray_field_fraction", "fraction", R(xray.fieldFraction), M_XRAY},
    {"xray_exposure_level", "modality units", R(xray.exposureLevel), M_XRAY},
    {"xray_deviation_index", "dB", R(xray.deviationIndex), M_XRAY},
    {"xray_di_source", "0 none, 1 header DI, 2 header EI, 3 estimate",
     R(xrayDiSource), M_XRAY},
    {"xray_saturated_fraction", "fraction", R(xray.saturatedFraction), M_XRAY},
    {"xray_noise", "percent of the field's range", R(xray.noisePercent),
     M_XRAY},
    {"xray_sharpness", "see README", R(xray.sharpness), M_XRAY},
    {"mr_foreground_fraction", "fraction", R(mr.foregroundFraction), M_MR},
    {"mr_snr", "ratio", R(mr.snr), M_MR},
    {"mr_ghost_ratio", "ratio", R(mr.ghostRatio), M_MR},
    {"mr_ghost_axis", "1 along rows (ROW), 2 along columns (COL)",
     R(mrGhostAxis), M_MR},
    {"mr_efc", "0..1", R(mr.efc), M_MR},
    {"mr_fber", "ratio", R(mr.fber), M_MR},
    {"mr_qi1", "fraction", R(mr.qi1), M_MR},
    {"mr_edge_energy", "variance of the Laplacian / median(head)^2",
     R(mr.edgeEnergy), M_MR},
    {"fundus_fov_fraction", "fraction", R(fundus.fovFraction), M_FUNDUS},
    {"fundus_fov_roundness", "0..1", R(fundus.fovRoundness), M_FUNDUS},
    {"fundus_focus", "see README", R(fundus.focus), M_FUNDUS},
    {"fundus_mean_level", "0..255", R(fundus.meanLevel), M_FUNDUS},
    {"fundus_under_fraction", "fraction", R(fundus.underFraction), M_FUNDUS},
    {"fundus_over_fraction", "fraction", R(fundus.overFraction), M_FUNDUS},
    {"fundus_non_uniformity", "coefficient of variation",
     R(fundus.nonUniformity), M_FUNDUS},
    {"fundus_contrast", "see README", R(fundus.contrast), M_FUNDUS},
    {"fundus_likeness", "0..1", R(fundus.fundusLikeness), M_FUNDUS},
    {"fundus_noise", "grey levels", R(fundus.noiseSigma), M_FUNDUS},
    {"fundus_sharpness", "ratio", R(fundus.sharpRatio), M_FUNDUS},
#undef R
};

_Static_assert(sizeof(aMetric) / sizeof(aMetric[0]) <= 64,
               "a metric mask is 64 bits");
const int cli_metric_count = (int)(sizeof(aMetric) / sizeof(aMetric[0]));

int cli_result_metric(const struct cli_result *r, int i, const char **pzName,
                      const char **pzUnit, double *pValue)
{
  if(!r->hasMetrics || i < 0 || i >= cli_metric_count ||
     !(r->mask & ((uint64_t)1 << i)))
    return 0;
  double v = *(const double *)((const char *)r + aMetric[i].iOff);
  if(isnan(v))
    return 0;
  *pzName = aMetric[i].zName;
  *pzUnit = aMetric[i].zUnit;
  *pValue = v;
  return 1;
}

const char *cli_metric_name(int i)
{
  return i >= 0 && i < cli_metric_count ? aMetric[i].zName : NULL;
}

int cli_measures_parse(const char *zList, uint64_t *pMask, char *zErr,
                       size_t nErr)
{
  uint64_t mask = 0;
  const char *z = zList;
  if(strcmp(zList, "all") == 0) {
    *pMask = CLI_METRICS_ALL;
    return 0;
  }
  while(*z) {
    size_t n = strcspn(z, ",");
    int k = -1;
    for(int i = 0; i < cli_metric_count; i++)
      if(strlen(aMetric[i].zName) == n && strncmp(z, aMetric[i].zName, n) == 0)
        k = i;
    if(k < 0) {
      snprintf(zErr, nErr, "'%.*s' is not a metric (names: see --help)",
               (int)(n > 64 ? 64 : n), z);
      return -1;
    }
    mask |= (uint64_t)1 << k;
    z += n;
    if(*z == ',')
      z++;
  }
  if(mask == 0) {
    snprintf(zErr, nErr, "no metric named");
    return -1;
  }
  *pMask = mask;
  return 0;
}

/* True if mask runs a metric of computation iKind. */
static int wants(uint64_t mask, int iKind)
{
  for(int i = 0; i < cli_metric_count; i++)
    if((mask & ((uint64_t)1 << i)) && aMetric[i].iKind == iKind)
      return 1;
  return 0;
}

/* Loads one BRISQUE model of the model folder.  Returns 0 or -1. */
static int loadBrisque(const char *zDir, const char *zModel,
                       const char *zRange, enum qc_brisque_kind kind,
                       qc_brisque_model **pp, char *zErr, size_t nErr)
{
  char zM[1200], zR[1200];
  snprintf(zM, sizeof(zM), "%s/%s", zDir, zModel);
  snprintf(zR, sizeof(zR), "%s/%s", zDir, zRange);
  return qc_brisque_model_load(zM, zR, kind, pp, zErr, nErr) == QC_OK ? 0 : -1;
}

/* The modality of a site NIQE model file name "niqe_<M>.txt" into zOut
 * (17 bytes); 0 if zName is not one (the LIVE model is not). */
static int siteModality(const char *zName, char *zOut)
{
  size_t n = strlen(zName);
  if(n <= 9 || n - 9 > 16 || strncmp(zName, "niqe_", 5) != 0 ||
     strcmp(zName + n - 4, ".txt") != 0 ||
     strcmp(zName, QC_MODEL_NIQE_LIVE) == 0)
    return 0;
  for(size_t i = 5; i < n - 4; i++)
    if(!(zName[i] >= 'A' && zName[i] <= 'Z') &&
       !(zName[i] >= '0' && zName[i] <= '9') && zName[i] != '_')
      return 0;
  memcpy(zOut, zName + 5, n - 9);
  zOut[n - 9] = 0;
  return 1;
}

/* Loads every site NIQE model of zDir.  Returns 0 or -1. */
static int loadSiteNiqe(const char *zDir, struct cli_measures *p, char *zErr,
                        size_t nErr)
{
  DIR *d = opendir(zDir);
  struct dirent *e;
  int rc = 0;
  if(d == NULL) {
    snprintf(zErr, nErr, "%s: cannot read the folder: %s", zDir,
             strerror(errno));
    return -1;
  }
  while(rc == 0 && (e = readdir(d)) != NULL) {
    char zMod[17], zPath[1200];
    if(!siteModality(e->d_name, zMod))
      continue;
    if(p->nSite == CLI_NIQE_SITE_MAX) {
      snprintf(zErr, nErr, "%s: more than %d site NIQE models", zDir,
               CLI_NIQE_SITE_MAX);
      rc = -1;
      break;
    }
    snprintf(zPath, sizeof(zPath), "%s/%s", zDir, e->d_name);
    if(qc_niqe_model_load(zPath, &p->aSite[p->nSite].pFit, zErr, nErr) !=
       QC_OK) {
      rc = -1;
      break;
    }
    memcpy(p->aSite[p->nSite++].zModality, zMod, sizeof(zMod));
  }
  closedir(d);
  return rc;
}

/* The NIQE model for an image of modality zModality. */
static const qc_niqe_model *niqeFor(const struct cli_measures *p,
                                    const char *zModality)
{
  for(int i = 0; i < p->nSite; i++)
    if(strcmp(p->aSite[i].zModality, zModality) == 0)
      return p->aSite[i].pFit;
  return p->pNiqe;
}

int cli_measures_open(const char *zModelDir, const char *zProfileDir,
                      uint64_t mask, struct cli_measures *p, char *zErr,
                      size_t nErr)
{
  char zPath[1200];
  memset(p, 0, sizeof(*p));
  p->mask = mask;
  if(wants(mask, M_BRISQUE_CV) &&
     loadBrisque(zModelDir, QC_MODEL_BRISQUE_OPENCV,
                 QC_MODEL_BRISQUE_OPENCV_RANGE, QC_BRISQUE_OPENCV,
                 &p->pBrisqueOpencv, zErr, nErr))
    goto open_fail;
  if(wants(mask, M_BRISQUE_LIVE) &&
     loadBrisque(zModelDir, QC_MODEL_BRISQUE_LIVE, QC_MODEL_BRISQUE_LIVE_RANGE,
                 QC_BRISQUE_LIVE, &p->pBrisqueLive, zErr, nErr))
    goto open_fail;
  snprintf(zPath, sizeof(zPath), "%s/" QC_MODEL_NIQE_LIVE, zModelDir);
  if(wants(mask, M_NIQE) &&
     (qc_niqe_model_load(zPath, &p->pNiqe, zErr, nErr) != QC_OK ||
      loadSiteNiqe(zModelDir, p, zErr, nErr)))
    goto open_fail;
  snprintf(zPath, sizeof(zPath), "%s/profiles", zModelDir);
  if(cli_profiles_load(zProfileDir ? zProfileDir : zPath, &p->profiles, zErr,
                       nErr))
    goto open_fail;
  return 0;
open_fail:
  cli_measures_close(p);
  return -1;
}

void cli_measures_close(struct cli_measures *p)
{
  qc_brisque_model_free(p->pBrisqueOpencv);
  qc_brisque_model_free(p->pBrisqueLive);
  qc_niqe_model_free(p->pNiqe);
  for(int i = 0; i < p->nSite; i++)
    qc_niqe_model_free(p->aSite[i].pFit);
  cli_profiles_free(&p->profiles);
  memset(p, 0, sizeof(*p));
}

/* True if mask runs one of the natural-scene models. */
static int wantsModels(uint64_t mask)
{
  return wants(mask, M_BRISQUE_CV) || wants(mask, M_BRISQUE_LIVE) ||
         wants(mask, M_NIQE) || wants(mask, M_PIQE);
}

/* The natural-scene models on their 0..255 input plane in (see
 * qc_render_model_input()); a model that cannot score this image (too
 * small, constant) leaves its value NaN, and so absent. */
static void measureModels(const struct qc_plane *pIn,
                          const struct cli_measures *pM, struct cli_result *r)
{
  double v;
  if(pM->pBrisqueOpencv &&
     qc_brisque_score(pM->pBrisqueOpencv, pIn, &v) == QC_OK)
    r->brisqueOpencv = v;
  if(pM->pBrisqueLive && qc_brisque_score(pM->pBrisqueLive, pIn, &v) == QC_OK)
    r->brisqueLive = v;
  if(pM->pNiqe &&
     qc_niqe_score(niqeFor(pM, r->meta.zModality), pIn, &v) == QC_OK)
    r->niqe = v;
  if(wants(pM->mask, M_PIQE) && qc_piqe(pIn, &v, NULL) == QC_OK)
    r->piqe = v;
}

/* True if r's profile has a rule on a metric of computation iKind and
 * the mask runs one of them. */
static int profileUses(const struct cli_result *r, int iKind)
{
  const struct qc_profile *p = r->pProfile;
  if(p == NULL || !wants(r->mask, iKind))
    return 0;
  for(int32_t k = 0; k < p->nRule; k++)
    for(int i = 0; i < cli_metric_count; i++)
      if(aMetric[i].iKind == iKind &&
         strcmp(aMetric[i].zName, p->aRule[k].zMetric) == 0)
        return 1;
  return 0;
}

static int cmpDouble(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of the finite values among the n of a (sorted in place),
 * NaN if there is none. */
static double finiteMedian(double *a, int32_t n)
{
  int32_t m = 0;
  for(int32_t i = 0; i < n; i++)
    if(isfinite(a[i]))
      a[m++] = a[i];
  if(m == 0)
    return NAN;
  qsort(a, (size_t)m, sizeof(double), cmpDouble);
  return m % 2 ? a[m / 2] : 0.5 * (a[m / 2 - 1] + a[m / 2]);
}

/* The MR measures of every frame of pImg, each field the median over the
 * frames that could be measured (a multi-frame series is judged by its
 * typical slice); aLuma is scratch of one frame.  NaN where no frame
 * could be measured. */
static int measureMr(const struct qc_image *pImg, const struct qc_meta *m,
                     float *aLuma, struct qc_mr *pOut)
{
  enum { N_FIELD = 7 };
  static const size_t aOff[N_FIELD] = {
      offsetof(struct qc_mr, foregroundFraction),
      offsetof(struct qc_mr, snr),
      offsetof(struct qc_mr, ghostRatio),
      offsetof(struct qc_mr, efc),
      offsetof(struct qc_mr, fber),
      offsetof(struct qc_mr, qi1),
      offsetof(struct qc_mr, edgeEnergy)};
  enum qc_axis axis = strcmp(m->zPhaseDirection, "ROW") == 0 ? QC_AXIS_ROW
                      : strcmp(m->zPhaseDirection, "COL") == 0
                          ? QC_AXIS_COL
                          : QC_AXIS_UNKNOWN;
  int32_t n = pImg->nFrames;
  double *a = malloc((size_t)n * N_FIELD * sizeof(double));
  int32_t nAxisRow = 0, nAxis = 0;
  if(a == NULL)
    return QC_ERR_NOMEM;
  for(int32_t f = 0; f < n; f++) {
    struct qc_plane pl = {aLuma, pImg->nWidth, pImg->nHeight};
    struct qc_mr one;
    int rc = qc_image_luma(pImg, f, aLuma);
    if(rc == QC_OK)
      rc = qc_mr_measure(&pl, axis, &one);
    if(rc == QC_ERR_NOMEM) {
      free(a);
      return rc;
    }
    for(int k = 0; k < N_FIELD; k++)
      a[(size_t)k * n + f] =
          rc == QC_OK ? *(double *)((char *)&one + aOff[k]) : NAN;
    if(rc == QC_OK) {
      nAxis++;
      nAxisRow += one.ghostAxis == QC_AXIS_ROW;
    }
  }
  for(int k = 0; k < N_FIELD; k++)
    *(double *)((char *)pOut + aOff[k]) = finiteMedian(a + (size_t)k * n, n);
  pOut->ghostAxis = nAxis == 0             ? QC_AXIS_UNKNOWN
                    : 2 * nAxisRow > nAxis ? QC_AXIS_ROW
                                           : QC_AXIS_COL;
  free(a);
  return QC_OK;
}

/* The modality measures r's profile uses, on frame iFrame (all frames
 * for MR).  A measure that cannot be taken on this image stays NaN;
 * only a shortage of memory fails. */
static int measureModality(const struct qc_image *pImg, int32_t iFrame,
                           float *aLuma, struct cli_result *r)
{
  int rc = QC_OK;
  if(profileUses(r, M_XRAY)) {
    double target = qc_profile_param(r->pProfile, "exposure_target", 0);
    rc = qc_xray_measure(pImg, iFrame, &r->meta, target, &r->xray);
    if(rc == QC_OK)
      r->xrayDiSource = r->xray.diSource;
  }
  if(rc != QC_ERR_NOMEM && profileUses(r, M_MR)) {
    rc = measureMr(pImg, &r->meta, aLuma, &r->mr);
    if(rc == QC_OK && r->mr.ghostAxis != QC_AXIS_UNKNOWN)
      r->mrGhostAxis = r->mr.ghostAxis;
  }
  if(rc != QC_ERR_NOMEM && profileUses(r, M_FUNDUS))
    rc = qc_fundus_measure(pImg, iFrame, &r->fundus);
  return rc == QC_ERR_NOMEM ? rc : QC_OK;
}

/* Applies r's profile to its measured values (r->assess); without a
 * profile the image is unscored. */
static void assess(struct cli_result *r)
{
  const char *azName[64];
  double aValue[64];
  int32_t n = 0;
  for(int i = 0; i < cli_metric_count; i++) {
    const char *zUnit;
    if(cli_result_metric(r, i, &azName[n], &zUnit, &aValue[n]))
      n++;
  }
  if(r->pProfile == NULL ||
     qc_policy_assess(r->pProfile, azName, aValue, n, &r->assess) != QC_OK) {
    memset(&r->assess, 0, sizeof(r->assess));
    r->assess.quality = NAN;
  }
}

/* Measures the middle frame of pImg into r.  The models' input plane is
 * rendered first when they run: for 12- and 16-bit images it is the
 * display rendering sharpness needs, which is then not rendered again. */
static int measure(const struct qc_image *pImg, const struct cli_measures *pM,
                   struct cli_result *r)
{
  int32_t iFrame = pImg->nFrames / 2;
  size_t nPix = (size_t)pImg->nWidth * pImg->nHeight;
  float *aLuma = malloc(nPix * sizeof(float));
  float *aDisp = malloc(nPix * sizeof(float));
  float *aModel = malloc(nPix * sizeof(float));
  int hasModel = 0, isDisplay = 0, rc = QC_ERR_NOMEM;
  if(aLuma == NULL || aDisp == NULL || aModel == NULL)
    goto measure_end;
  rc = qc_image_luma(pImg, iFrame, aLuma);
  if(rc)
    goto measure_end;
  struct qc_plane raw = {aLuma, pImg->nWidth, pImg->nHeight};
  if(wants(pM->mask, M_EXPO)) {
    rc = qc_exposure_stats(&raw, pImg->detectorMin, pImg->detectorMax,
                           &r->expo);
    if(rc)
      goto measure_end;
  }
  /* Images smaller than 3x3 have no interior: no noise or sharpness. */
  if(wants(pM->mask, M_NOISE) && qc_noise_immerkaer(&raw, &r->noise) != QC_OK)
    r->noise = NAN;
  if(wantsModels(pM->mask))
    hasModel =
        qc_render_model_input(pImg, iFrame, aModel, &isDisplay) == QC_OK;
  if(wants(pM->mask, M_SHARP)) {
    const float *aD = hasModel && isDisplay ? aModel : aDisp;
    if(aD == aModel || qc_render_display(pImg, &raw, aDisp) == QC_OK) {
      struct qc_plane disp = {aD, pImg->nWidth, pImg->nHeight};
      if(qc_sharpness_laplacian_var(&disp, &r->sharp) != QC_OK)
        r->sharp = NAN;
    }
  }
  if(hasModel) {
    struct qc_plane in = {aModel, pImg->nWidth, pImg->nHeight};
    measureModels(&in, pM, r);
  }
  rc = measureModality(pImg, iFrame, aLuma, r);
  if(rc)
    goto measure_end;
  r->hasMetrics = 1;
  assess(r);
measure_end:
  free(aLuma);
  free(aDisp);
  free(aModel);
  return rc;
}

/* Empties r for a new image: every metric NaN, unscored. */
static void resultReset(struct cli_result *r, const struct cli_measures *pM)
{
  memset(r, 0, sizeof(*r));
  r->mask = pM->mask;
  for(int i = 0; i < cli_metric_count; i++)
    *(double *)((char *)r + aMetric[i].iOff) = NAN;
  r->assess.quality = NAN;
}

int cli_measure_image(const struct qc_image *pImg, const struct qc_meta *pMeta,
                      const struct cli_measures *pM, struct cli_result *r)
{
  struct qc_meta meta = *pMeta; /* pMeta may be &r->meta */
  resultReset(r, pM);
  r->meta = meta;
  r->nRows = pImg->nHeight;
  r->nCols = pImg->nWidth;
  r->nFrames = pImg->nFrames;
  r->pProfile = cli_profile_for(&pM->profiles, pMeta);
  return measure(pImg, pM, r);
}

void cli_measure_file(const char *zPath, const struct dicom_limits *pLimits,
                      const struct cli_measures *pM, struct cli_result *r)
{
  dicom_file *f = NULL;
  struct qc_image *pImg = NULL;
  resultReset(r, pM);
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
  rc = cli_measure_image(pImg, &r->meta, pM, r);
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
  if(rc == STORE_OK) {
    char *zReasons = cli_reasons_json(&r->assess);
    double q = r->assess.quality;
    if(zReasons == NULL)
      return STORE_ERR_NOMEM;
    rc = store_verdict_put(
        pDb, iInstance,
        r->zError ? "error" : qc_verdict_name(r->assess.verdict),
        r->zError || isnan(q) ? NULL : &q, zReasons, r->zError);
    free(zReasons);
  }
  return rc;
}
