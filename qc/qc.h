/* SPDX-License-Identifier: BSD-3-Clause
 *
 * qc.h - the public interface of dicomqc's image-quality module.
 *
 * qc/ holds pure functions on images: no DICOM, no SQLite, no I/O except
 * loading model files.  Its central type, struct qc_image, is the decoded
 * image every other module hands around: dicom/ fills it, qc/ measures it.
 * If a function is not declared here it is not part of the module's API.
 *
 * Pixel convention: a qc_image holds nFrames frames of nHeight rows of
 * nWidth pixels of nChannels float samples, frame-major, row-major,
 * channels interleaved (RGB RGB ...).  Grey images have 1 channel, colour
 * images 3 (always RGB: YBR is converted on decode).  Sample values are the
 * output of the modality LUT (rescale slope/intercept or LUT sequence) with
 * MONOCHROME1 already inverted, so "higher is brighter" holds everywhere.
 */
#ifndef DICOMQC_QC_H
#define DICOMQC_QC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes of qc/ functions.  0 is success. */
typedef enum qc_status {
  QC_OK = 0,        /* Success */
  QC_ERR_NOMEM = 1, /* Memory allocation failed */
  QC_ERR_RANGE = 2, /* Input outside the function's valid range (e.g. an
                       image too small for the kernel, a constant image
                       where a spread is needed) */
  QC_ERR_MISUSE = 3 /* Library used incorrectly (NULL handle, bad frame) */
} qc_status;

/* Returns a static English description of a qc_status.  Never NULL. */
const char *qc_strstatus(int rc);

/* A decoded image.  Plain data: fields may be read directly.  Create it
 * with qc_image_new(), free it with qc_image_free(). */
struct qc_image {
  int32_t nWidth;      /* Columns, pixels, 1..65535 */
  int32_t nHeight;     /* Rows, pixels, 1..65535 */
  int32_t nChannels;   /* Samples per pixel: 1 (grey) or 3 (RGB) */
  int32_t nFrames;     /* Number of frames, >= 1 */
  float *aPixel;       /* nFrames*nHeight*nWidth*nChannels samples, owned
                            by the image, freed by qc_image_free() */
  double rowSpacing;   /* Pixel spacing between rows, mm; 0 if unknown */
  double colSpacing;   /* Pixel spacing between columns, mm; 0 if unknown */
  int32_t bitsStored;  /* Bits Stored of the source, 1..32 */
  int32_t isSigned;    /* 1 if the stored values were signed */
  double detectorMin;  /* Smallest value the detector can produce, after
                            the modality LUT (the stored range mapped through
                            it); used to count clipped pixels */
  double detectorMax;  /* Largest such value */
  int32_t hasWindow;   /* 1 if the file proposes a VOI window */
  double windowCenter; /* VOI window centre (first one), modality units,
                            expressed for the MONOCHROME2 orientation */
  double windowWidth;  /* VOI window width, > 0 when hasWindow */
};

/* Allocates an image of the given size with zeroed pixels and no spacing or
 * window.  Sizes must be >= 1 and nChannels 1 or 3.  The caller checks that
 * the product fits its memory budget before calling.  Returns NULL if the
 * arguments are invalid, the byte count overflows size_t or exceeds
 * PTRDIFF_MAX, or memory is short.  Free with qc_image_free().
 * Tests: tests/unit/test_qc_image.c */
struct qc_image *qc_image_new(int32_t nWidth, int32_t nHeight,
                              int32_t nChannels, int32_t nFrames);

/* Frees an image and its pixels.  NULL is a harmless no-op. */
void qc_image_free(struct qc_image *pImg);

/* Number of samples in one frame: nWidth*nHeight*nChannels; 0 if pImg is
 * NULL, has no pixels, or holds sizes qc_image_new() would refuse. */
size_t qc_image_frame_len(const struct qc_image *pImg);

/* Pointer to the first sample of frame iFrame (0-based), or NULL if iFrame
 * is out of range (or pImg is as qc_image_frame_len() refuses).  Owned by
 * the image. */
float *qc_image_frame(const struct qc_image *pImg, int32_t iFrame);

/* What QC needs to know about an image besides its pixels: identity,
 * acquisition context and X-ray exposure indices.  Filled by dicom/ from
 * the file's header.  Strings are NUL-terminated, empty when the attribute
 * is absent, and truncated to fit (UIDs are at most 64 characters by
 * PS3.5 9.1, so they always fit). */
struct qc_meta {
  char zSopInstanceUid[65];       /* (0008,0018) */
  char zSopClassUid[65];          /* (0008,0016) */
  char zStudyUid[65];             /* (0020,000D) */
  char zSeriesUid[65];            /* (0020,000E) */
  char zTransferSyntax[65];       /* (0002,0010), or the one detected */
  char zModality[17];             /* (0008,0060) */
  char zBodyPart[65];             /* (0018,0015) */
  char zStationName[65];          /* (0008,1010) */
  char zOperatorName[129];        /* (0008,1070), first value */
  char zInstitution[129];         /* (0008,0080) */
  char zAccession[65];            /* (0008,0050) */
  char zStudyDate[17];            /* (0008,0020) YYYYMMDD */
  char zStudyTime[33];            /* (0008,0030) HHMMSS.FFFFFF */
  char zPhotometric[33];          /* (0028,0004) as stored in the file */
  char zPhaseDirection[5];        /* (0018,1312) "ROW" or "COL" (MR) */
  char zCallingAet[17];           /* Calling AE title when received over the
                                 network; empty for files */
  int32_t hasExposureIndex;       /* 1 if (0018,1411) is present */
  double exposureIndex;           /* (0018,1411) EI, IEC 62494-1 */
  int32_t hasTargetExposureIndex; /* 1 if (0018,1412) is present */
  double targetExposureIndex;     /* (0018,1412) EI_T */
  int32_t hasDeviationIndex;      /* 1 if (0018,1413) is present */
  double deviationIndex;          /* (0018,1413) DI = 10 log10(EI/EI_T) */
};

/* One grey plane: a view of nWidth*nHeight floats, row-major, owned by
 * whoever made it. */
struct qc_plane {
  const float *a;  /* First sample; row r starts at a + r*nWidth */
  int32_t nWidth;  /* Columns, >= 1 */
  int32_t nHeight; /* Rows, >= 1 */
};

/* Writes the luminance of frame iFrame of pImg into aOut, which must hold
 * nWidth*nHeight floats.  Grey images are copied; RGB becomes
 * 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, the weights of OpenCV's
 * COLOR_RGB2GRAY).  Returns QC_OK or QC_ERR_MISUSE (NULL pointer, bad
 * image, iFrame out of range; aOut is then untouched).
 * Tests: tests/unit/test_qc_image.c */
int qc_image_luma(const struct qc_image *pImg, int32_t iFrame, float *aOut);

/* Display rendering to 0..255 (what an 8-bit model or a viewer sees).
 * With the image's VOI window (hasWindow) it applies the linear VOI
 * function of DICOM PS3.3 C.11.2.1.2.1 with output range 0..255:
 *   x <= c - 0.5 - (w-1)/2        -> 0
 *   x >  c - 0.5 + (w-1)/2        -> 255
 *   else ((x - (c - 0.5)) / (w-1) + 0.5) * 255
 * Without a window it maps the 1st..99th percentile of the plane linearly
 * to 0..255, clamped (a robust window); percentiles as in
 * qc_exposure_stats().  pIn is a grey plane (luminance), aOut holds
 * nWidth*nHeight floats.  Returns QC_OK, QC_ERR_NOMEM, QC_ERR_MISUSE (a
 * NULL pointer), or QC_ERR_RANGE, leaving aOut untouched, for: an empty
 * plane; a window whose width is < 1 (PS3.3 C.11.2.1.2.1 requires >= 1
 * for LINEAR) or whose centre or width is not finite; without a window, a
 * plane whose 1st and 99th percentiles are equal (a constant plane, or
 * one where over 98% of the samples share a value) or not finite, or that
 * holds a NaN.  With a window, NaN samples render as 0.
 * Tests: tests/unit/test_qc_render.c */
int qc_render_display(const struct qc_image *pImg, const struct qc_plane *pIn,
                      float *aOut);

/* The grey 0..255 plane the natural-scene models (BRISQUE, NIQE, PIQE)
 * score, for frame iFrame of pImg, into aOut (nWidth*nHeight floats):
 *   - grey, at most 8 bits stored, unsigned, no VOI window, every sample
 *     an integer in 0..255 (an 8-bit MONOCHROME2 image such as a natural
 *     picture wrapped as Secondary Capture): the samples as they are, so
 *     the score equals the reference's on the original picture;
 *   - RGB of at most 8 bits: luminance rounded as OpenCV's
 *     cvtColor(COLOR_RGB2GRAY) computes it on 8-bit images,
 *     (9798 R + 19235 G + 3735 B + 2^14) >> 15, on the samples rounded
 *     and clamped to 0..255;
 *   - anything else: the luminance (qc_image_luma()) rendered by
 *     qc_render_display() (VOI window, else the robust 1..99 percentile
 *     window), not rounded.
 * *pIsDisplay (pIsDisplay may be NULL) is set to 1 when the last rule
 * applied, so that aOut is also the display rendering of the frame's
 * luminance and a caller need not render it again, else 0.
 * Returns QC_OK, or the status of qc_image_luma() / qc_render_display()
 * (QC_ERR_MISUSE, QC_ERR_RANGE for a constant plane, QC_ERR_NOMEM).
 * Tests: tests/unit/test_qc_render.c */
int qc_render_model_input(const struct qc_image *pImg, int32_t iFrame,
                          float *aOut, int *pIsDisplay /* OUT, may be NULL */);

/* Noise standard deviation by Immerkaer's fast method (J. Immerkaer, "Fast
 * Noise Variance Estimation", Computer Vision and Image Understanding
 * 64(2):300-302, 1996, eq. 8):
 *   sigma = sqrt(pi/2) / (6 (W-2)(H-2)) * sum |I * N|
 * with N = [1 -2 1; -2 4 -2; 1 -2 1] over the interior pixels (no border
 * padding).  Unit: the plane's units.  Needs W, H >= 3 (else
 * QC_ERR_RANGE).  A constant plane gives 0.  A non-finite sample gives
 * QC_ERR_RANGE, a NULL pointer QC_ERR_MISUSE.  *pSigma is written only on
 * success.  Tests: tests/unit/test_qc_noise.c */
int qc_noise_immerkaer(const struct qc_plane *pIn, double *pSigma);

/* Sharpness as the variance of the Laplacian (Pech-Pacheco et al., ICPR
 * 2000) of a plane, normally the 0..255 display rendering.  The Laplacian
 * is the 4-neighbour kernel [0 1 0; 1 -4 1; 0 1 0] (OpenCV's Laplacian
 * with ksize=1) evaluated on interior pixels only; the variance is the
 * population variance (divide by n).  Unit: (plane units)^2.  Needs W, H
 * >= 3 (else QC_ERR_RANGE).  A constant plane gives 0.  A non-finite
 * sample gives QC_ERR_RANGE, a NULL pointer QC_ERR_MISUSE.  *pVar is
 * written only on success.  Tests: tests/unit/test_qc_sharpness.c */
int qc_sharpness_laplacian_var(const struct qc_plane *pIn, double *pVar);

/* Exposure statistics of a plane in its own units (modality units for the
 * raw plane).  Percentiles follow numpy.percentile's default (linear
 * interpolation between closest ranks, method 'linear').  */
struct qc_exposure {
  double mean;         /* Arithmetic mean */
  double p01;          /* 1st percentile */
  double p99;          /* 99th percentile */
  double clipLow;      /* Fraction 0..1 of pixels <= detectorMin */
  double clipHigh;     /* Fraction 0..1 of pixels >= detectorMax */
  double dynRange;     /* p99 - p01, plane units */
  double dynRangeBits; /* log2(1 + dynRange): bits the used range spans */
};

/* Computes struct qc_exposure for pIn, counting clipped pixels against
 * detectorMin/detectorMax (pass the image's fields; a NaN limit counts
 * nothing).  A constant plane c gives mean = p01 = p99 = c and a dynamic
 * range of 0 (0 bits).  Returns QC_OK, QC_ERR_NOMEM, QC_ERR_MISUSE (a NULL
 * pointer), or QC_ERR_RANGE for an empty plane or a non-finite sample.
 * *pOut is written only on success.
 * Tests: tests/unit/test_qc_exposure.c */
int qc_exposure_stats(const struct qc_plane *pIn, double detectorMin,
                      double detectorMax, struct qc_exposure *pOut);

/* ---------------------------------------------------------------------
 * Natural scene statistics (qc/nss.c, qc/resize.c)
 *
 * The building blocks of BRISQUE, NIQE and PIQE: MSCN coefficients and
 * the two resizers their reference releases use.  Planes are grey, any
 * units (the 8-bit models pass 0..255).  Tests: tests/unit/test_qc_nss.c
 */

/* How a filter reads samples beyond the plane's edge. */
enum qc_border {
  QC_BORDER_ZERO,       /* 0 outside: MATLAB filter2(..., 'same') */
  QC_BORDER_REPLICATE,  /* aaa|abc|ccc: MATLAB imfilter 'replicate' */
  QC_BORDER_REFLECT101, /* cb|abc|ba: OpenCV's default BORDER_REFLECT_101 */
  QC_BORDER_SYMMETRIC   /* ba|abc|cb: MATLAB 'symmetric', OpenCV
                           BORDER_REFLECT */
};

/* Mean-subtracted contrast-normalised (MSCN) coefficients, Mittal,
 * Moorthy, Bovik, "No-Reference Image Quality Assessment in the Spatial
 * Domain", IEEE TIP 21(12), 2012, eq. 1-3:
 *   out = (I - mu) / (sigma + c),  mu = G * I,
 *   sigma = sqrt(|G * I^2 - mu^2|)
 * with G the nK x nK Gaussian exp(-(x^2+y^2)/(2 gaussSigma^2)) normalised
 * to sum 1 (MATLAB fspecial('gaussian', nK, gaussSigma), OpenCV
 * getGaussianKernel; applied separably), read across the edge as border
 * says.  BRISQUE and NIQE use nK = 7, gaussSigma = 7/6, c = 1 for 0..255
 * (LIVE) or c = 1/255 for 0..1 (OpenCV).  The absolute value (as the LIVE
 * releases write it) keeps sigma real where rounding makes the local
 * variance slightly negative; a constant plane gives out = 0.  mu and
 * sigma are computed in double and stored as float.
 *
 * pIn: the plane; nK odd, 1..255; gaussSigma > 0; c > 0, finite.  aOut
 * receives nWidth*nHeight floats; aMu and aSigma, when not NULL, receive
 * mu and sigma likewise.  The arrays must not overlap pIn->a or each
 * other.  Returns QC_OK; QC_ERR_MISUSE for a NULL pIn, pIn->a or aOut, a
 * bad nK, gaussSigma, c or border; QC_ERR_RANGE for an empty plane or a
 * non-finite sample (outputs untouched); QC_ERR_NOMEM.  Allocates about
 * (2 nK + 5) nWidth doubles of scratch (two rings of nK rows, padded
 * rows) and frees them before returning.  Reentrant.
 * Tests: tests/unit/test_qc_nss.c */
int qc_mscn(const struct qc_plane *pIn, int nK, double gaussSigma,
            enum qc_border border, double c, float *aOut, float *aMu,
            float *aSigma);

/* OpenCV cv::resize(..., INTER_CUBIC) of pIn to nOutW x nOutH, as
 * OpenCV's BRISQUE shrinks its second scale: Keys' cubic with a = -0.75,
 * source coordinate (d + 0.5) nIn/nOut - 0.5, edge samples replicated,
 * float arithmetic, no antialiasing (imgproc/src/resize.cpp).  aOut
 * receives nOutW*nOutH floats.  Returns QC_OK; QC_ERR_MISUSE (NULL
 * pointer); QC_ERR_RANGE (an empty plane, or a side < 1 or > 65535);
 * QC_ERR_NOMEM.  Non-finite samples propagate.  Reentrant; allocates its
 * weights and four rows once per call.  Tests: tests/unit/test_qc_nss.c */
int qc_resize_cubic_opencv(const struct qc_plane *pIn, int32_t nOutW,
                           int32_t nOutH, float *aOut);

/* Output side of MATLAB imresize(A, scale) for an input side n:
 * ceil(scale n); 0 if n < 1, scale is not a finite number > 0, or the
 * side would exceed 65535. */
int32_t qc_resize_matlab_side(int32_t n, double scale);

/* MATLAB imresize(A, scale) with its default 'bicubic' method and
 * antialiasing, for a double image (images/imresize.m): Keys' cubic with
 * a = -0.5, stretched by 1/scale when scale < 1, symmetric padding,
 * weights normalised per output sample, sums in double.  The LIVE BRISQUE
 * and NIQE releases call it with scale 0.5.  The output is
 * qc_resize_matlab_side(nWidth, scale) x qc_resize_matlab_side(nHeight,
 * scale) floats in aOut.  Returns QC_OK; QC_ERR_MISUSE (NULL pointer,
 * scale not finite or <= 0); QC_ERR_RANGE (an empty plane or an output
 * side of 0 or > 65535); QC_ERR_NOMEM.  Non-finite samples propagate.
 * Reentrant; allocates its weights and one input-wide row of doubles
 * per call.
 * Tests: tests/unit/test_qc_nss.c */
int qc_resize_bicubic_matlab(const struct qc_plane *pIn, double scale,
                             float *aOut);

/* ---- BRISQUE (qc/brisque.c) ---- */

/* Features per BRISQUE feature vector: 18 per scale, 2 scales. */
#define QC_BRISQUE_NFEAT 36

/* The two public BRISQUE models, each with the feature extractor it was
 * trained with (never mix a model with the other's range file or
 * features; models/README.md lists the files). */
enum qc_brisque_kind {
  QC_BRISQUE_OPENCV = 1, /* opencv_contrib brisque_model_live.yml +
                            brisque_range_live.yml: OpenCV's features
                            (INTER_CUBIC, replicate border) */
  QC_BRISQUE_LIVE = 2    /* LIVE release libsvm allmodel + allrange:
                            MATLAB's features (imresize, zero border) */
};

/* File names of the shipped models in the model folder (models/, whose
 * README.md gives their provenance and licences). */
#define QC_MODEL_BRISQUE_OPENCV       "brisque_opencv_model_live.yml"
#define QC_MODEL_BRISQUE_OPENCV_RANGE "brisque_opencv_range_live.yml"
#define QC_MODEL_BRISQUE_LIVE         "brisque_live_allmodel"
#define QC_MODEL_BRISQUE_LIVE_RANGE   "brisque_live_allrange"
#define QC_MODEL_NIQE_LIVE            "niqe_live_pristine.txt"

/* A loaded BRISQUE model (SVR + feature range); opaque, read-only after
 * loading, so one model may be shared by threads. */
typedef struct qc_brisque_model qc_brisque_model;

/* Loads the model file zModel and its range file zRange of the given
 * kind: OpenCV FileStorage YAML (ml::SVM EPS_SVR with an RBF kernel, 36
 * variables; a 2 x 36 matrix 'range') or libsvm text (epsilon_svr, rbf;
 * svm-scale 'x' range of 36 features).  On success *ppModel owns the
 * model; free it with qc_brisque_model_free().  On failure *ppModel is
 * untouched and zErr (nErr bytes, may be NULL) says which file, which
 * line and what was expected.  Returns QC_OK, QC_ERR_MISUSE (NULL
 * argument, unknown kind), QC_ERR_RANGE (a file that cannot be read or
 * is not such a model: over 64 MiB, over 100000 support vectors, a
 * number that does not parse, a range whose max is not above its min),
 * QC_ERR_NOMEM.  Tests: tests/unit/test_qc_brisque.c */
int qc_brisque_model_load(const char *zModel, const char *zRange,
                          enum qc_brisque_kind kind,
                          qc_brisque_model **ppModel, char *zErr, size_t nErr);

/* Frees a model.  NULL is a harmless no-op. */
void qc_brisque_model_free(qc_brisque_model *pModel);

/* The 36 unscaled BRISQUE features of a grey plane in 0..255, as the
 * release of the given kind computes them (qc/brisque.c head; Mittal et
 * al., IEEE TIP 21(12), 2012, table I): per scale the MSCN shape and
 * variance, then shape, mean, left and right variance of the paired
 * products H, V, D1, D2; scale 2 is the plane halved by that release's
 * resizer.  aFeat receives QC_BRISQUE_NFEAT doubles.  A plane with no
 * negative or no positive MSCN coefficient (a constant one) gives NaN
 * features.  Needs sides >= 2 (OpenCV) or >= 1 (LIVE) and <= 65535.
 * Returns QC_OK, QC_ERR_MISUSE (NULL pointer, unknown kind),
 * QC_ERR_RANGE (empty or too small plane, non-finite sample),
 * QC_ERR_NOMEM.  Reentrant; allocates 1.5 planes of floats per call.
 * Tests: tests/unit/test_qc_brisque.c */
int qc_brisque_features(const struct qc_plane *pIn, enum qc_brisque_kind kind,
                        double *aFeat);

/* BRISQUE score of a grey plane in 0..255 (the 8-bit model input) with a
 * loaded model: the RBF SVR prediction on the scaled features, unitless,
 * about 0 (best) .. 100 (worst) on natural images.  The raw value is kept
 * (OpenCV clamps to 0..100; this does not): values outside 0..100 say
 * the image is unlike the training set.  Returns QC_OK, QC_ERR_MISUSE
 * (NULL pointer or freed model), QC_ERR_RANGE (as qc_brisque_features(),
 * or a non-finite score: a constant plane), QC_ERR_NOMEM.  *pScore is
 * written only on success.  Reentrant.
 * Tests: tests/unit/test_qc_brisque.c */
int qc_brisque_score(const qc_brisque_model *pModel,
                     const struct qc_plane *pIn, double *pScore);

/* ---- NIQE (qc/niqe.c) ---- */

/* Features per NIQE block: 18 per scale, 2 scales. */
#define QC_NIQE_NFEAT 36

/* Size of a provenance string of a NIQE model, NUL included. */
#define QC_NIQE_ZMAX 256

/* A NIQE pristine model (mean and covariance of the 36 block features,
 * with its provenance); opaque, read-only once made. */
typedef struct qc_niqe_model qc_niqe_model;

/* A NIQE model fit in progress: planes are added one at a time. */
typedef struct qc_niqe_fit qc_niqe_fit;

/* Provenance the caller gives a fitted model; the strings are copied,
 * may be NULL (empty), must be shorter than QC_NIQE_ZMAX and hold no
 * control character (the model file is line-based). */
struct qc_niqe_provenance {
  const char *zDate;     /* When it was fitted, e.g. "2025-06-01" */
  const char *zSource;   /* Where the images came from (a folder) */
  const char *zModality; /* DICOM modality, e.g. "MR"; "" for natural */
};

/* What a model says about itself; the strings are owned by the model and
 * live as long as it does. */
struct qc_niqe_info {
  const char *zDate;     /* Provenance: date */
  const char *zSource;   /* Provenance: source folder */
  const char *zModality; /* Provenance: modality */
  int64_t nImage;        /* Images fitted on */
  int64_t nBlock;        /* 96x96 blocks behind the statistics */
  double sharpFraction;  /* Block selection threshold (0.75 for LIVE) */
};

/* Loads a NIQE model file (the text format of qc_niqe_model_write(); the
 * LIVE pristine model is models/niqe_live_pristine.txt).  On success
 * *ppModel owns the model; free it with qc_niqe_model_free().  On failure
 * *ppModel is untouched and zErr (nErr bytes, may be NULL) names the
 * file, the line and what was expected.  Returns QC_OK, QC_ERR_MISUSE
 * (NULL argument), QC_ERR_RANGE (unreadable or malformed file: unknown
 * header key, a non-finite number, a non-symmetric covariance),
 * QC_ERR_NOMEM.  Tests: tests/unit/test_qc_niqe.c */
int qc_niqe_model_load(const char *zPath, qc_niqe_model **ppModel, char *zErr,
                       size_t nErr);

/* Frees a model.  NULL is a harmless no-op. */
void qc_niqe_model_free(qc_niqe_model *pModel);

/* Fills *pInfo with the model's provenance.  Returns QC_OK or
 * QC_ERR_MISUSE (NULL pointer, freed model). */
int qc_niqe_model_info(const qc_niqe_model *pModel,
                       struct qc_niqe_info *pInfo);

/* Writes a model to zPath in the text format qc_niqe_model_load() reads
 * (provenance header, then mean and covariance with 17 significant
 * digits, so a reload is exact).  Returns QC_OK, QC_ERR_MISUSE, or
 * QC_ERR_RANGE when the file cannot be written (zErr says why; a partial
 * file is removed).  Tests: tests/unit/test_qc_niqe.c */
int qc_niqe_model_write(const qc_niqe_model *pModel, const char *zPath,
                        char *zErr, size_t nErr);

/* NIQE score of a grey plane in 0..255 (Mittal, Soundararajan, Bovik,
 * IEEE SPL 20(3), 2013, eq. 10, as the LIVE MATLAB release computes it;
 * qc/niqe.c head): the distance between the model and the multivariate
 * Gaussian of the plane's 96x96 blocks (no overlap, the plane cropped to
 * whole blocks at the top left), 2 scales, unitless, lower is better.
 * Needs both sides >= 96 and <= 65535.  Returns QC_OK, QC_ERR_MISUSE
 * (NULL pointer, freed model), QC_ERR_RANGE (plane too small or empty, a
 * non-finite sample, or no block without NaN features: a constant plane),
 * QC_ERR_NOMEM.  *pScore is written only on success.  Reentrant;
 * allocates about 3.5 floats per pixel per call.
 * Tests: tests/unit/test_qc_niqe.c */
int qc_niqe_score(const qc_niqe_model *pModel, const struct qc_plane *pIn,
                  double *pScore);

/* Starts a NIQE model fit (the LIVE release's estimatemodelparam.m):
 * of each plane added, the 96x96 blocks whose sharpness (mean local
 * deviation of the MSCN step) exceeds sharpFraction times the plane's
 * largest block sharpness are kept; the LIVE model used 0.75.
 * sharpFraction in [0, 1).  On success *ppFit owns the fit; free it with
 * qc_niqe_fit_free().  Returns QC_OK, QC_ERR_MISUSE, QC_ERR_NOMEM. */
int qc_niqe_fit_new(double sharpFraction, qc_niqe_fit **ppFit);

/* Adds one grey plane in 0..255 to a fit; *pnUsed (may be NULL) receives
 * the number of its blocks kept.  A constant plane keeps none.  Returns
 * QC_OK, QC_ERR_MISUSE, QC_ERR_RANGE (as qc_niqe_score() for the plane:
 * the fit is then unchanged), QC_ERR_NOMEM.  Memory stays O(36^2)
 * whatever the number of planes.  Tests: tests/unit/test_qc_niqe.c */
int qc_niqe_fit_add_plane(qc_niqe_fit *pFit, const struct qc_plane *pIn,
                          int32_t *pnUsed);

/* Makes a model from the blocks added so far (nanmean and nancov, as
 * MATLAB's estimatemodelparam.m) with the caller's provenance (pProv may
 * be NULL); the image count is the number of planes added.  The fit is
 * unchanged and may take more planes.  On success *ppModel owns a new
 * model (free with qc_niqe_model_free()).  Returns QC_OK, QC_ERR_MISUSE,
 * QC_ERR_RANGE (fewer than 2 kept blocks without NaN features, or a
 * provenance string too long or holding a control character),
 * QC_ERR_NOMEM.  Tests: tests/unit/test_qc_niqe.c */
int qc_niqe_fit_finish(const qc_niqe_fit *pFit,
                       const struct qc_niqe_provenance *pProv,
                       qc_niqe_model **ppModel);

/* Frees a fit.  NULL is a harmless no-op. */
void qc_niqe_fit_free(qc_niqe_fit *pFit);

/* ---- PIQE (qc/piqe.c) ---- */

/* Block counts of one PIQE evaluation: what the score is made of. */
struct qc_piqe_blocks {
  int32_t nBlock;    /* 16x16 blocks of the padded plane, >= 1 */
  int32_t nActive;   /* Blocks whose MSCN variance exceeds 0.1 */
  int32_t nArtefact; /* Active blocks with a noticeable artefact (an edge
                        segment of deviation < 0.1: blocking, ringing) */
  int32_t nNoise;    /* Active blocks classed as noisy (centre/surround
                        deviation criterion) */
};

/* PIQE, the training-free no-reference score of Venkatanath et al.,
 * "Blind Image Quality Evaluation Using Perception Based Features", NCC
 * 2015, as MATLAB's piqe() computes it: 0 (best) .. 100 (worst),
 * unitless, not clamped (as in MATLAB, a plane of mostly noisy blocks of
 * MSCN variance above 1 can score a little above 100).  pIn is a grey
 * plane in 0..255 (the 8-bit model input); its samples are rounded to
 * integers (halves away from zero), it is padded
 * at the bottom and right by replication to a multiple of 16 and cut into
 * 16x16 blocks.  Any size from 1x1 to QC_MAX_SIDE (65535) a side is
 * accepted; a plane with no active block (e.g. a constant one) scores
 * 100.  pBlocks, if not NULL, receives the block counts.  Returns QC_OK,
 * QC_ERR_NOMEM, QC_ERR_MISUSE (pIn, pIn->a or pScore NULL), or
 * QC_ERR_RANGE for an empty plane, a side above 65535 or a non-finite
 * sample.  *pScore and *pBlocks are written only on success.  Reentrant;
 * allocates two float copies of the padded plane per call.
 * Tests: tests/unit/test_qc_piqe.c */
int qc_piqe(const struct qc_plane *pIn, double *pScore,
            struct qc_piqe_blocks *pBlocks);

/* ---------------------------------------------------------------------
 * Full-reference metrics (qc/fr.c, qc/fr_fsim.c, qc/fr_vif.c)
 *
 * Each compares a distorted plane pDist with a reference plane pRef of
 * the same size (grey planes: luminance for colour images) and writes one
 * unitless number (MSE: plane units^2; PSNR: dB) to its out-parameter,
 * only on success.  dataRange L is the span of values the planes can take
 * (255 for 8-bit data, 4095 for 12-bit, the detector range for modality
 * values); it must be finite and > 0.  Metrics whose constants were set
 * for 0..255 data (GMSD, FSIM, VIF) scale the planes by 255/L first, so
 * with L = 255 they see the input unchanged.  All are reentrant (no
 * global state), allocate their working memory once per call and never
 * in per-pixel loops, and accept any finite samples.  Common failures:
 * QC_ERR_MISUSE for a NULL pointer or planes of different sizes (compare
 * sizes first); QC_ERR_RANGE for an empty plane, a side below the
 * metric's minimum, a non-finite sample or a bad dataRange;
 * QC_ERR_NOMEM.  Reference values and their sources:
 * tests/reference/make_fr_reference.py.  Tests: tests/unit/test_qc_fr.c
 * --------------------------------------------------------------------- */

/* Mean squared error, (1/n) sum (ref - dist)^2, in plane units squared
 * (skimage mean_squared_error, MATLAB immse).  Identical planes give 0.
 * Any size >= 1x1. */
int qc_fr_mse(const struct qc_plane *pRef, const struct qc_plane *pDist,
              double *pMse);

/* Peak signal-to-noise ratio 10 log10(L^2 / MSE) in dB (skimage
 * peak_signal_noise_ratio with data_range L); identical planes give
 * +INFINITY.  Any size >= 1x1. */
int qc_fr_psnr(const struct qc_plane *pRef, const struct qc_plane *pDist,
               double dataRange, double *pPsnr);

/* SSIM (Wang, Bovik, Sheikh, Simoncelli, IEEE TIP 13(4):600-612, 2004):
 * 11x11 Gaussian window sigma 1.5, K1 0.01, K2 0.03, the mean over the
 * window positions that fit in the plane -- equal to scikit-image's
 * structural_similarity(gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=L).  -1..1, 1 for identical
 * planes.  Sides >= 11.  Computed in float (samples centred and divided
 * by L), which agrees with scikit-image's double to about 1e-6. */
int qc_fr_ssim(const struct qc_plane *pRef, const struct qc_plane *pDist,
               double dataRange, double *pSsim);

/* MS-SSIM (Wang, Simoncelli, Bovik, Asilomar 2003) as the authors'
 * msssim.m: 5 scales, exponents 0.0448 0.2856 0.3001 0.2363 0.1333, the
 * SSIM window and constants of qc_fr_ssim() at each scale; between
 * scales each 2x2 block is averaged (imfilter(ones(2)/4, 'symmetric')
 * then every second sample; an odd last row/column pairs with itself).
 * A negative factor counts as 0 (msssim.m would give a complex number).
 * 0..1, 1 for identical planes.  Sides >= 176 (11 at the 5th scale). */
int qc_fr_ms_ssim(const struct qc_plane *pRef, const struct qc_plane *pDist,
                  double dataRange, double *pMsSsim);

/* GMSD (Xue, Zhang, Mou, Bovik, IEEE TIP 23(2):684-695, 2014) exactly as
 * OpenCV's cv::quality::QualityGMSD: 2x2 mean and every second sample
 * (output cvRound(side/2)), Prewitt/3 gradients with zero border, c =
 * 170, population standard deviation of the similarity map.  0 for
 * identical planes, larger is worse (about 0..0.35).  Sides >= 3. */
int qc_fr_gmsd(const struct qc_plane *pRef, const struct qc_plane *pDist,
               double dataRange, double *pGmsd);

/* FSIM (Zhang, Zhang, Mou, Zhang, IEEE TIP 20(8):2378-2386, 2011) as the
 * authors' FeatureSIM.m on grey planes: downsampling by round(min
 * side/256), phase congruency from log-Gabor filters (4 scales, 4
 * orientations), Scharr gradient magnitude, T1 0.85, T2 160.  0..1, 1 for
 * identical planes.  Sides >= 8.  A plane pair with no phase congruency
 * anywhere (flat) gives QC_ERR_RANGE (0/0). */
int qc_fr_fsim(const struct qc_plane *pRef, const struct qc_plane *pDist,
               double dataRange, double *pFsim);

/* FSIMc, FeatureSIM.m's colour form: FSIM on Y of YIQ (0.299 R + 0.587 G
 * + 0.114 B) times Re[(S_I S_Q)^0.03] of the I and Q chroma similarities
 * (T3 = T4 = 200), on frame iFrame of two images of the same size and
 * channel count.  Grey images give FSIM of their planes.  Fails as
 * qc_fr_fsim(), and with QC_ERR_MISUSE for images of different sizes or
 * channel counts or a frame missing from either. */
int qc_fr_fsimc(const struct qc_image *pRef, const struct qc_image *pDist,
                int32_t iFrame, double dataRange, double *pFsimc);

/* VIF in the pixel domain (VIFp; Sheikh and Bovik, IEEE TIP 15(2):
 * 430-444, 2006, as LIVE's vifp_mscale.m): 4 scales of Gaussian windows
 * 17, 9, 5, 3 (sigma N/5), the distortion channel fitted per window,
 * sigma_N^2 = 2.  Not symmetric: pRef is the reference.  0 (no
 * information kept) .. 1 (identical, up to 1e-11), above 1 for contrast
 * enhancement.  Sides >= 41.  A reference with no variance anywhere gives
 * QC_ERR_RANGE (0/0). */
int qc_fr_vif(const struct qc_plane *pRef, const struct qc_plane *pDist,
              double dataRange, double *pVif);

/* ---------------------------------------------------------------------
 * Modality metrics (qc/xray.c, qc/mr.c, qc/fundus.c, masks in qc/mask.c)
 *
 * Physical and photographic measures per modality, in the units a
 * technician or physicist knows.  Each function fills a struct whose
 * fields are NaN where a measure cannot be taken on this image (the
 * reason is then in the field's comment); the policy (qc/policy.c) maps
 * the values to sub-scores through a profile.  Definitions and their
 * anchors are in each file's head; reference values come from numpy /
 * SciPy / scikit-image transcriptions in tests/reference/.
 * --------------------------------------------------------------------- */

/* Axis along which an MR image was phase encoded, from (0018,1312) In-
 * plane Phase Encoding Direction: ROW means along a row (ghosts repeat
 * across columns, horizontally), COL along a column (vertically). */
enum qc_axis {
  QC_AXIS_UNKNOWN = 0, /* Not in the header: both axes are tried */
  QC_AXIS_ROW = 1,     /* "ROW" */
  QC_AXIS_COL = 2      /* "COL" */
};

/* X-ray (CR, DX) measures of one frame; exact definitions in qc/xray.c. */
struct qc_xray {
  double fieldFraction;     /* Collimated (exposed) field / image area, 0..1:
                               the frame minus the uniform bands along its
                               edges (a rectangle) */
  double exposureLevel;     /* Median of the field samples > detectorMin,
                               modality units; NaN if there is none */
  double deviationIndex;    /* DI, dB: the header's (0018,1413), else
                               10 log10(EI/EI_T) of (0018,1411/1412), else
                               10 log10((exposureLevel - detectorMin) /
                               (targetLevel - detectorMin)) when a target
                               is given; NaN without any of them */
  int32_t diSource;         /* 0 none, 1 header DI, 2 header EI and EI_T,
                               3 estimated from the pixels */
  double saturatedFraction; /* Field pixels >= detectorMax or <=
                               detectorMin, 0..1 */
  double noisePercent;      /* Quantum mottle: 10th percentile of the
                               Immerkaer sigmas of the unclipped 32 s x 32 s
                               blocks of the field, percent of the field's
                               1..99 percentile range; NaN without a block */
  double sharpness;         /* Noise-corrected gradient energy ratio, fine
                               (sigma s) over coarse (2 s) scale, s =
                               max(1, min(W,H)/512): about 2 for sharp
                               edges, towards 1 when blurred; NaN on a flat
                               or tiny field */
};

/* Measures frame iFrame of an X-ray image (grey; a colour image is
 * measured on its luminance).  pMeta may be NULL (no header indices);
 * targetLevel > 0 is the profile's target for exposureLevel, 0 for none.
 * Returns QC_OK, QC_ERR_MISUSE, QC_ERR_RANGE (image under 16x16, a
 * non-finite sample), QC_ERR_NOMEM.  *pOut is written only on success.
 * Tests: tests/unit/test_qc_xray.c */
int qc_xray_measure(const struct qc_image *pImg, int32_t iFrame,
                    const struct qc_meta *pMeta, double targetLevel,
                    struct qc_xray *pOut);

/* MR measures of one 2-D slice, after MRIQC's image quality metrics
 * (Esteban et al., PLoS ONE 12(9):e0184661, 2017). */
struct qc_mr {
  double foregroundFraction; /* Head mask area / slice area, 0..1 */
  double snr;                /* 0.655 mean(fg) / std(bg): SNR with the Rayleigh
                        correction of background noise (Dietrich et al.
                        2007; MRIQC snr_dietrich) */
  double ghostRatio;         /* Ghost-to-signal ratio along the phase-encoding
                        axis (MRIQC gsr): (mean(ghost) - mean(other
                        background)) / median(fg); the larger of the two
                        axes when the axis is unknown */
  int32_t ghostAxis;         /* enum qc_axis the ratio was taken on */
  double efc;                /* Entropy focus criterion, MRIQC efc (normalised
                        to its maximum), 0..1, higher is blurrier or more
                        ghosted */
  double fber;               /* Foreground-background energy ratio, MRIQC fber:
                        median(fg^2) / median(bg^2), the latter floored
                        at the quantisation variance q^2/12 (qc/mr.c) */
  double qi1;                /* Artefact fraction of the background (MRIQC
                        art_qi1 style), 0..1 */
  double edgeEnergy; /* Variance of the Laplacian of x / median(fg) inside
                        the head: falls with blur (qc/mr.c) */
};

/* Measures one MR slice (a grey plane in modality units), phase encoded
 * along axis.  Returns QC_OK, QC_ERR_MISUSE, QC_ERR_RANGE (plane under
 * 16x16, a non-finite sample, no foreground or no background), QC_ERR_NOMEM.
 * *pOut is written only on success.  Tests: tests/unit/test_qc_mr.c */
int qc_mr_measure(const struct qc_plane *pIn, enum qc_axis axis,
                  struct qc_mr *pOut);

/* Fundus photograph measures of one frame. */
struct qc_fundus {
  double fovFraction;    /* Field of view (the lit fundus region: blurred
                            max(R,G,B) > 0.1 of its 99th percentile, holes
                            filled, largest component) / image area, 0..1;
                            0 when nothing is lit (all else NaN then) */
  double fovRoundness;   /* 4 pi area / perimeter^2 of the field, Crofton
                            perimeter (4 directions), 0..1 */
  double focus;          /* Mean gradient magnitude of the luminance
                            (Gaussian derivatives, sigma 1.5 px at 570 px),
                            less the share of noise: grey levels per 1/570
                            of the frame (the same at any resolution), not
                            divided by brightness */
  double meanLevel;      /* Mean luminance (BT.601) in the field, 0..255 */
  double underFraction;  /* Field pixels with luminance < 20, 0..1 */
  double overFraction;   /* Field pixels with luminance >= 240, 0..1 */
  double nonUniformity;  /* Coefficient of variation of the mean luminance
                            of cells (field diameter / 10 wide) lying
                            inside the field, 0..1+ */
  double contrast;       /* std / mean of the green channel in the field */
  double fundusLikeness; /* 0..1: how much the image looks like a fundus
                            photograph at all (blue/red ratio, field size
                            and roundness, dark surround); low for
                            external-eye photographs and blank frames */
  double noiseSigma;     /* Noise standard deviation of the luminance in
                            the field (Immerkaer), grey levels */
  double sharpRatio;     /* Gradient energy at 1 px over 2 px (per 570 px
                            of frame), noise removed: about 2..3 sharp,
                            towards 1 defocused */
};

/* Measures frame iFrame of a fundus photograph (RGB in 0..255; a grey
 * image is measured as grey in all three channels).  Returns QC_OK,
 * QC_ERR_MISUSE, QC_ERR_RANGE (image under 32x32, a non-finite sample),
 * QC_ERR_NOMEM.  *pOut is written only on success.
 * Tests: tests/unit/test_qc_fundus.c */
int qc_fundus_measure(const struct qc_image *pImg, int32_t iFrame,
                      struct qc_fundus *pOut);

/* ---------------------------------------------------------------------
 * Graded distortions (qc/distort.c), for `dicomqc eval`
 *
 * The degradations a modality really suffers, at levels 0 (none) .. 4
 * (severe), applied to a decoded image to prove that quality falls as
 * severity rises.  Deterministic for a given seed.
 * --------------------------------------------------------------------- */

enum qc_distortion {
  QC_DIST_BLUR = 1,         /* Gaussian blur (X-ray, MR) */
  QC_DIST_NOISE = 2,        /* Additive Gaussian noise (X-ray, fundus) */
  QC_DIST_UNDEREXPOSE = 3,  /* Lower dose at the same brightness: more
                               quantum noise (X-ray) */
  QC_DIST_OVEREXPOSE = 4,   /* Higher signal, clipped at the detector's
                               maximum (X-ray) */
  QC_DIST_MOTION = 5,       /* Motion ghosting: k-space line phase errors
                               along the phase-encoding axis (MR) */
  QC_DIST_RICIAN = 6,       /* Rician noise of a magnitude image (MR) */
  QC_DIST_DEFOCUS = 7,      /* Disk (defocus) blur (fundus) */
  QC_DIST_ILLUMINATION = 8, /* Uneven illumination, a smooth gain field
                               (fundus) */
  QC_DIST_DARKEN = 9        /* Global darkening (fundus) */
};

/* Name of a distortion ("blur", "noise", ...), or NULL for an unknown
 * value. */
const char *qc_distortion_name(enum qc_distortion kind);

/* Makes *ppOut, a one-frame copy of frame iFrame of pIn distorted by
 * kind at level 0..4 (level 0 is an exact copy); the exact definitions
 * (kernels, 'reflect' borders, the splitmix64/Box-Muller draws and their
 * order) are in qc/distort.c's head.  Every channel is treated alike; the
 * noise kind adds N(0, (4 L)^2) to RGB images (fundus, 0..255) and
 * N(0, (0.01 L (p99 - p01))^2) to grey ones; motion takes the phase to be
 * encoded along the columns (k-space rows are the lines, ghosts repeat
 * vertically).  Random draws come from seed alone: the same arguments
 * give the same bytes.  The copy keeps pIn's size, channels, spacing,
 * bitsStored, isSigned, detector range and window; at levels >= 1 samples
 * are rounded half away from zero when every input sample of the frame is
 * an integer, then clamped to [detectorMin, detectorMax].  Free it with
 * qc_image_free().  Returns QC_OK, QC_ERR_MISUSE (NULL pointer, bad
 * frame, unknown kind, level outside 0..4), QC_ERR_RANGE (image under
 * 16x16, a detector range not finite or with detectorMin > detectorMax,
 * a non-finite sample in the frame), QC_ERR_NOMEM; *ppOut is written only
 * on success.  Reentrant; allocates the output and one working block per
 * call (motion on W x H: 16 W H bytes plus two FFT plans).
 * Tests: tests/unit/test_qc_distort.c */
int qc_distort(const struct qc_image *pIn, int32_t iFrame,
               enum qc_distortion kind, int level, uint64_t seed,
               struct qc_image **ppOut);

/* ---------------------------------------------------------------------
 * Modality profiles and the retake policy (qc/policy.c)
 *
 * A profile (models/profiles/<name>.ini, read by cli/profiles.c) says
 * which images it is for, how each metric maps to a 0..100 sub-score,
 * the warn and retake limits, and the sentence a technician reads when a
 * limit is crossed.  qc/ holds the profile as plain data and applies it;
 * it never reads the file.
 * --------------------------------------------------------------------- */

#define QC_PROFILE_LIST_MAX  16  /* Entries of a modality / SOP / body list */
#define QC_PROFILE_RULE_MAX  32  /* Metric rules of a profile */
#define QC_PROFILE_PARAM_MAX 8   /* Named parameters of a profile */
#define QC_RULE_POINT_MAX    12  /* Points of a sub-score map */
#define QC_REASON_LEN        200 /* Bytes of a reason, NUL included */
#define QC_REASON_MAX        8   /* Reasons kept per assessment */

/* One metric's place in a profile. */
struct qc_rule {
  char zMetric[48]; /* Metric name, e.g. "xray_noise" */
  int32_t nPoint;   /* Points of the map, 2..QC_RULE_POINT_MAX */
  double aValue[QC_RULE_POINT_MAX]; /* Metric values, strictly increasing */
  double aScore[QC_RULE_POINT_MAX]; /* Sub-scores there, 0..100; linear
                                       between points, flat beyond them */
  double weight;                    /* Weight in the profile's mean, >= 0 */
  double warnBelow;    /* Warn when the value is below; NaN: no limit */
  double retakeBelow;  /* Retake when below; NaN: no limit */
  double warnAbove;    /* Warn when above; NaN: no limit */
  double retakeAbove;  /* Retake when above; NaN: no limit */
  double displayScale; /* Factor for {value} and {limit} in reasons (100
                          shows a fraction as percent), > 0 */
  char zBelowReason[QC_REASON_LEN]; /* Sentence for a low value, with
                                       {value} and {limit} */
  char zAboveReason[QC_REASON_LEN]; /* Sentence for a high value */
};

/* A modality profile: plain data, filled by its reader, checked by
 * qc_profile_check(). */
struct qc_profile {
  char zName[32];                           /* "xray", "mr", ... */
  int32_t nModality;                        /* Entries used below */
  char azModality[QC_PROFILE_LIST_MAX][17]; /* "CR", "DX"; "*" = any */
  int32_t nSopClass;                        /* Entries used below */
  char azSopClass[QC_PROFILE_LIST_MAX][65]; /* SOP Class UIDs */
  int32_t nBodyPart;                        /* 0: any body part */
  char azBodyPart[QC_PROFILE_LIST_MAX][65]; /* (0018,0015) values */
  double minWeight;          /* quality = minWeight min(sub-scores) + (1 -
                       minWeight) weighted mean; 0..1 */
  double qualityWarnBelow;   /* Warn when quality is below; NaN: none */
  double qualityRetakeBelow; /* Retake when quality is below; NaN: none */
  int32_t nParam;            /* Entries used below */
  struct {
    char zName[32]; /* e.g. "exposure_target" */
    double value;
  } aParam[QC_PROFILE_PARAM_MAX];            /* Parameters for the metrics */
  int32_t nRule;                             /* Entries used below */
  struct qc_rule aRule[QC_PROFILE_RULE_MAX]; /* In the file's order */
};

/* Verdicts, worst last, as the database spells them (qc_verdict_name()).
 * UNSCORED: the profile has no rule this image could be measured by. */
enum qc_verdict {
  QC_VERDICT_UNSCORED = 0,
  QC_VERDICT_PASS = 1,
  QC_VERDICT_WARN = 2,
  QC_VERDICT_RETAKE = 3
};

/* "unscored", "pass", "warn", "retake"; NULL for another value. */
const char *qc_verdict_name(enum qc_verdict v);

/* What a profile says of one image. */
struct qc_assessment {
  double quality;          /* 0..100, higher is better; NaN if unscored */
  enum qc_verdict verdict; /* Worst limit crossed */
  int32_t nReason;         /* Reasons in azReason, worst first */
  char azReason[QC_REASON_MAX][QC_REASON_LEN]; /* Sentences */
};

/* Checks a filled profile: a name, lists within bounds, each rule with a
 * metric name, 2..QC_RULE_POINT_MAX finite points, values strictly
 * increasing, scores in 0..100, weight >= 0, displayScale > 0, limits
 * ordered (retakeBelow <= warnBelow < warnAbove <= retakeAbove where
 * given), and a reason for each side that has a limit; minWeight in 0..1.
 * Returns QC_OK, QC_ERR_MISUSE (NULL), or QC_ERR_RANGE with what is wrong
 * (naming the rule) in zErr (nErr bytes, may be NULL).
 * Tests: tests/unit/test_qc_policy.c */
int qc_profile_check(const struct qc_profile *p, char *zErr, size_t nErr);

/* How well a profile fits an image: -1 if it does not apply; otherwise
 * higher is more specific (a body part named and matched beats a
 * profile for any body part; a named modality or SOP class beats "*").
 * It applies when the modality or the SOP class is listed (or "*" is)
 * and, if the profile names body parts, the image's is one of them
 * (case-insensitive).  Strings may be empty, not NULL. */
int qc_profile_match(const struct qc_profile *p, const char *zModality,
                     const char *zSopClass, const char *zBodyPart);

/* The value of parameter zName of a profile, or dflt without one. */
double qc_profile_param(const struct qc_profile *p, const char *zName,
                        double dflt);

/* Applies profile p to the measured values of one image: aValue[i] is
 * the value of metric azName[i] (NaN when it could not be measured).
 * Each rule whose metric has a finite value gives a sub-score (its map)
 * and at most one reason (retake limits before warn limits); rules whose
 * value is missing are skipped.  quality combines the sub-scores (see
 * struct qc_profile); the verdict is the worst limit crossed, including
 * the quality limits, and pass otherwise; no applicable rule gives
 * QC_VERDICT_UNSCORED with quality NaN.  Reasons replace {value} and
 * {limit} by the numbers times displayScale, rounded for reading.
 * Returns QC_OK or QC_ERR_MISUSE (NULL pointer, n < 0).
 * Tests: tests/unit/test_qc_policy.c */
int qc_policy_assess(const struct qc_profile *p, const char *const *azName,
                     const double *aValue, int32_t n,
                     struct qc_assessment *pOut);

#ifdef __cplusplus
}
#endif
#endif /* DICOMQC_QC_H */
