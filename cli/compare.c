/* SPDX-License-Identifier: BSD-3-Clause
 *
 * compare.c - `dicomqc compare [--json] [--frame N] A.dcm B.dcm`
 *
 * Full-reference comparison of image B with reference image A (the
 * lossless original and its lossy copy, the first acquisition and its
 * retake): both files are decoded, one frame of each is taken (the same
 * frame number in both), colour frames become luminance, and the seven
 * full-reference metrics of qc/ are printed as a table, or with --json as
 * one JSON object with the keys reference, compared, frame, rows,
 * columns, modality, scale, data_range, identical, mse, psnr, ssim,
 * ms_ssim, gmsd, fsim, vif.  A metric the images do not allow (too small,
 * or no structure at all) is null with a warning; infinite PSNR
 * (identical images) is null in JSON, since JSON has no infinity, and
 * "identical" says so.
 *
 * The scale rule.  Both images are compared in modality values (after the
 * modality LUT, MONOCHROME1 inverted; colour: BT.601 luminance of the RGB
 * values) with one data range L for both: the larger of the two files'
 * detector ranges (struct qc_image detectorMax - detectorMin: the stored
 * range mapped through the modality LUT, 4095 for 12-bit data, 255 for
 * 8-bit colour).  Why not the 0..255 VOI rendering: the uses are lossy
 * compression checks and retake comparisons, where the stored values are
 * what changed; a rendering clips everything outside the window (hiding
 * errors there), quantises nothing the codec did, and depends on each
 * file's own window, so two renderings of identical pixels with different
 * windows would compare as different.  PSNR's peak is then the detector
 * range, as usual for medical images, MSE is in modality units squared,
 * and the metrics whose constants assume 0..255 data (GMSD, FSIM, VIF)
 * scale by 255/L inside qc/.  One L for both keeps the comparison
 * symmetric in scale.  Files of different modalities are compared all
 * the same, with a warning (their values may not be comparable).
 *
 * Exit status: 0 when the metrics were computed, 1 when a file cannot be
 * read or the two cannot be compared (different sizes, a missing frame;
 * named on stderr), 2 for a usage error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* Options of `compare`: one table drives parsing and --help. */
enum { OPT_JSON, OPT_FRAME, OPT_QUIET, OPT_HELP };
static const struct cli_opt aOpt[] = {
    [OPT_JSON] = {"json", 0, "", "print one JSON object instead of a table"},
    [OPT_FRAME] = {"frame", 1, "N",
                   "compare frame N (1-based) of both files (default 1)"},
    [OPT_QUIET] = {"quiet", 0, "", "no warnings"},
    [OPT_HELP] = {"help", 0, "", "show this help and exit"},
};
#define N_OPT (int)(sizeof(aOpt) / sizeof(aOpt[0]))

/* The metrics, in output order.  nMinSide repeats the minimum side each
 * function documents in qc.h, to say why a metric is missing. */
typedef int (*xMetric)(const struct qc_plane *, const struct qc_plane *,
                       double, double *);

static int mseL(const struct qc_plane *pA, const struct qc_plane *pB, double L,
                double *pOut)
{
  (void)L;
  return qc_fr_mse(pA, pB, pOut);
}

static const struct {
  const char *zName; /* JSON key and table label */
  xMetric x;         /* qc/ function */
  int nMinSide;      /* Smallest side it accepts (qc.h) */
  const char *zNote; /* Table column: unit and direction */
} aMetric[] = {
    {"mse", mseL, 1, "modality units^2, 0 = identical"},
    {"psnr", qc_fr_psnr, 1, "dB, peak = data range, higher is better"},
    {"ssim", qc_fr_ssim, 11, "1 = identical (Wang 2004)"},
    {"ms_ssim", qc_fr_ms_ssim, 176, "1 = identical (Wang 2003)"},
    {"gmsd", qc_fr_gmsd, 3, "0 = identical, lower is better (Xue 2014)"},
    {"fsim", qc_fr_fsim, 8, "1 = identical (Zhang 2011)"},
    {"vif", qc_fr_vif, 41, "1 = identical, pixel-domain VIFp (Sheikh 2006)"},
};
#define N_METRIC (int)(sizeof(aMetric) / sizeof(aMetric[0]))

/* Settings of one run. */
struct compareCfg {
  int json;              /* --json */
  uint64_t iFrame;       /* --frame, 1-based */
  const char *azFile[2]; /* A (reference), B (compared) */
};

/* One decoded input. */
struct compareIn {
  const char *zPath;     /* As given */
  struct qc_meta meta;   /* Header */
  struct qc_image *pImg; /* Decoded image, owned */
  float *aLuma;          /* The frame's luminance, owned */
};

static void compareUsage(FILE *out)
{
  fprintf(out,
          "Usage: dicomqc compare [OPTIONS] A.dcm B.dcm\n"
          "Compare image B with reference image A by full-reference quality "
          "metrics\n(lossy copy against original, retake against first "
          "acquisition).\n\nOptions:\n");
  cli_opt_help(out, aOpt, N_OPT);
  fprintf(out,
          "\nScale: both images are compared in modality values (after "
          "rescale slope and\nintercept or the modality LUT, MONOCHROME1 "
          "inverted; colour images as BT.601\nluminance), with one data "
          "range for both: the larger of the two files'\ndetector ranges "
          "(the stored bit range mapped to modality units, e.g. 4095\nfor "
          "12-bit, 255 for 8-bit colour).  Not the display window: a "
          "rendering clips\nwhat lies outside the window and depends on "
          "each file's window.  PSNR's peak\nis that range; GMSD, FSIM and "
          "VIF scale it to 0..255, their published range.\nThe images must "
          "have the same size.\n\nMetrics: mse, psnr (dB), ssim (Wang 2004, "
          "as scikit-image), ms_ssim (Wang 2003,\n5 scales), gmsd (Xue 2014, "
          "as OpenCV), fsim (Zhang 2011, grey), vif (Sheikh and\nBovik 2006, "
          "pixel domain).  A metric the image size does not allow is null\n"
          "(ms_ssim needs 176 pixels a side, vif 41, ssim 11).  --json "
          "prints one object\nwith the keys reference, compared, frame, "
          "rows, columns, modality, scale,\ndata_range, identical and the "
          "seven metrics; psnr is null for identical images.\n\n"
          "Exit status:\n"
          "  0  the metrics were computed\n"
          "  1  a file cannot be read, or the two cannot be compared "
          "(different sizes,\n     a missing frame); named on stderr\n"
          "  2  usage error\n");
}

/* Parses the options; returns -1 to go on, or an exit code. */
static int parseArgs(int argc, char **argv, struct compareCfg *cfg)
{
  int i, nFile = 0;

  for(i = 1; i < argc; i++) {
    const char *zArg = NULL;
    int k = 0, rc = cli_opt_next("compare", aOpt, N_OPT, OPT_HELP, argc, argv,
                                 &i, &k, &zArg);
    if(rc == CLI_OPT_END)
      break;
    if(rc == CLI_OPT_POSITIONAL) {
      if(nFile < 2)
        cfg->azFile[nFile] = argv[i];
      nFile++;
      continue;
    }
    if(rc != CLI_OPT_FOUND)
      return rc;
    switch(k) {
    case OPT_JSON:
      cfg->json = 1;
      break;
    case OPT_FRAME:
      if(cli_parse_uint(zArg, 65535, &cfg->iFrame))
        return cli_usagef("compare",
                          "option --frame: '%s' is not a number from 1 to "
                          "65535",
                          zArg);
      break;
    case OPT_QUIET:
      cli_quiet = 1;
      break;
    case OPT_HELP:
      compareUsage(stdout);
      return CLI_EXIT_OK;
    }
  }
  for(; i < argc; i++) {
    if(nFile < 2)
      cfg->azFile[nFile] = argv[i];
    nFile++;
  }
  if(nFile != 2)
    return cli_usagef("compare", "expected two files A.dcm B.dcm, got %d",
                      nFile);
  return -1;
}

/* Decodes p->zPath and takes the luminance of frame iFrame (1-based).
 * Returns 0, or names the file and the reason on stderr and returns -1. */
static int loadInput(struct compareIn *p, uint64_t iFrame)
{
  struct dicom_limits limits;
  dicom_file *f = NULL;
  int rc;

  dicom_limits_default(&limits);
  rc = dicom_open(p->zPath, &limits, &f);
  if(rc == DICOM_OK)
    rc = dicom_meta_read(f, &p->meta);
  if(rc == DICOM_OK)
    rc = dicom_image_read(f, &p->pImg);
  if(rc != DICOM_OK) {
    cli_errorf("%s", dicom_errmsg(f));
    dicom_close(f);
    return -1;
  }
  dicom_close(f);
  if(iFrame > (uint64_t)p->pImg->nFrames) {
    cli_errorf("%s: has %d frame%s; --frame %llu does not exist", p->zPath,
               p->pImg->nFrames, p->pImg->nFrames == 1 ? "" : "s",
               (unsigned long long)iFrame);
    return -1;
  }
  p->aLuma = malloc((size_t)p->pImg->nWidth * (size_t)p->pImg->nHeight *
                    sizeof(float));
  if(p->aLuma == NULL ||
     qc_image_luma(p->pImg, (int32_t)(iFrame - 1), p->aLuma) != QC_OK) {
    cli_errorf("%s: out of memory taking the luminance", p->zPath);
    return -1;
  }
  return 0;
}

/* The data range rule (see the head of this file): the larger detector
 * range of the two images. */
static double dataRange(const struct compareIn *a)
{
  double l0 = a[0].pImg->detectorMax - a[0].pImg->detectorMin;
  double l1 = a[1].pImg->detectorMax - a[1].pImg->detectorMin;

  return l0 > l1 ? l0 : l1;
}

/* A JSON number, or null for a value that is not finite. */
static void jsonNum(cJSON *o, const char *zKey, double v)
{
  if(isfinite(v))
    cJSON_AddNumberToObject(o, zKey, v);
  else
    cJSON_AddNullToObject(o, zKey);
}

static int printJson(const struct compareCfg *cfg, const struct compareIn *a,
                     double L, const double *aV)
{
  cJSON *o = cJSON_CreateObject();

  if(o == NULL)
    return -1;
  cJSON_AddStringToObject(o, "reference", a[0].zPath);
  cJSON_AddStringToObject(o, "compared", a[1].zPath);
  cJSON_AddNumberToObject(o, "frame", (double)cfg->iFrame);
  cJSON_AddNumberToObject(o, "rows", a[0].pImg->nHeight);
  cJSON_AddNumberToObject(o, "columns", a[0].pImg->nWidth);
  if(a[0].meta.zModality[0])
    cJSON_AddStringToObject(o, "modality", a[0].meta.zModality);
  else
    cJSON_AddNullToObject(o, "modality");
  cJSON_AddStringToObject(o, "scale", "modality values");
  cJSON_AddNumberToObject(o, "data_range", L);
  cJSON_AddBoolToObject(o, "identical", aV[0] == 0.0);
  for(int k = 0; k < N_METRIC; k++)
    jsonNum(o, aMetric[k].zName, aV[k]);
  return cli_json_line(o);
}

static void printTable(const struct compareCfg *cfg, const struct compareIn *a,
                       double L, const double *aV)
{
  for(int i = 0; i < 2; i++) {
    printf("%-10s %s (%s, %dx%d, frame %llu of %d)\n",
           i ? "compared" : "reference", a[i].zPath,
           a[i].meta.zModality[0] ? a[i].meta.zModality : "no modality",
           a[i].pImg->nWidth, a[i].pImg->nHeight,
           (unsigned long long)cfg->iFrame, a[i].pImg->nFrames);
  }
  printf("%-10s modality values, data range %.6g (larger detector range)\n",
         "scale", L);
  for(int k = 0; k < N_METRIC; k++) {
    char z[32];
    if(isnan(aV[k]))
      snprintf(z, sizeof(z), "n/a");
    else if(isinf(aV[k]))
      snprintf(z, sizeof(z), "inf");
    else
      snprintf(z, sizeof(z), "%.6g", aV[k]);
    printf("%-10s %-12s %s\n", aMetric[k].zName, z, aMetric[k].zNote);
  }
}

/* Computes the metrics into aV (NAN where one is not defined for these
 * images, with a warning saying why).  Returns 0, or -1 after an error
 * message (memory). */
static int computeAll(const struct compareIn *a, double L, double *aV)
{
  struct qc_plane x = {a[0].aLuma, a[0].pImg->nWidth, a[0].pImg->nHeight};
  struct qc_plane y = {a[1].aLuma, a[1].pImg->nWidth, a[1].pImg->nHeight};
  int minSide = x.nWidth < x.nHeight ? x.nWidth : x.nHeight;

  for(int k = 0; k < N_METRIC; k++) {
    int rc = aMetric[k].x(&x, &y, L, &aV[k]);
    if(rc == QC_ERR_NOMEM) {
      cli_errorf("out of memory computing %s", aMetric[k].zName);
      return -1;
    }
    if(rc != QC_OK) {
      aV[k] = NAN;
      if(minSide < aMetric[k].nMinSide)
        cli_warnf("%s: needs images of at least %d pixels a side; these "
                  "have %d",
                  aMetric[k].zName, aMetric[k].nMinSide, minSide);
      else
        cli_warnf("%s: not defined for these images (%s)", aMetric[k].zName,
                  qc_strstatus(rc));
    }
  }
  return 0;
}

int cli_compare_main(int argc, char **argv)
{
  struct compareCfg cfg = {0};
  struct compareIn aIn[2] = {{0}};
  double aV[N_METRIC], L;
  int exitCode;

  cfg.iFrame = 1;
  exitCode = parseArgs(argc, argv, &cfg);
  if(exitCode >= 0)
    return exitCode;
  exitCode = CLI_EXIT_INPUT;
  for(int i = 0; i < 2; i++) {
    aIn[i].zPath = cfg.azFile[i];
    if(loadInput(&aIn[i], cfg.iFrame))
      goto compare_main_end;
  }
  if(aIn[0].pImg->nWidth != aIn[1].pImg->nWidth ||
     aIn[0].pImg->nHeight != aIn[1].pImg->nHeight) {
    cli_errorf("%s is %dx%d but %s is %dx%d: full-reference metrics need "
               "images of the same size",
               aIn[0].zPath, aIn[0].pImg->nWidth, aIn[0].pImg->nHeight,
               aIn[1].zPath, aIn[1].pImg->nWidth, aIn[1].pImg->nHeight);
    goto compare_main_end;
  }
  if(strcmp(aIn[0].meta.zModality, aIn[1].meta.zModality) != 0)
    cli_warnf("%s is %s but %s is %s: their values may not be comparable",
              aIn[0].zPath,
              aIn[0].meta.zModality[0] ? aIn[0].meta.zModality : "unknown",
              aIn[1].zPath,
              aIn[1].meta.zModality[0] ? aIn[1].meta.zModality : "unknown");
  L = dataRange(aIn);
  if(!(L > 0.0) || !isfinite(L)) {
    cli_errorf("%s, %s: no usable data range (detector ranges %g and %g)",
               aIn[0].zPath, aIn[1].zPath,
               aIn[0].pImg->detectorMax - aIn[0].pImg->detectorMin,
               aIn[1].pImg->detectorMax - aIn[1].pImg->detectorMin);
    goto compare_main_end;
  }
  if(computeAll(aIn, L, aV))
    goto compare_main_end;
  if(cfg.json) {
    if(printJson(&cfg, aIn, L, aV)) {
      cli_errorf("out of memory formatting the result");
      goto compare_main_end;
    }
  } else {
    printTable(&cfg, aIn, L, aV);
  }
  exitCode = CLI_EXIT_OK;
compare_main_end:
  for(int i = 0; i < 2; i++) {
    qc_image_free(aIn[i].pImg);
    free(aIn[i].aLuma);
  }
  return exitCode;
}
