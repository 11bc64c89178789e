/* SPDX-License-Identifier: BSD-3-Clause
 *
 * qc_int.h - declarations shared by the files of qc/ and by its unit tests,
 * not part of the module's API (that is qc.h alone).
 *
 * It holds the project assert macro QC_ASSERT, the QC_STATIC marker that
 * lets unit builds reach file-local helpers, and the few functions one qc/
 * file uses from another (plane validation, percentile selection).  Every
 * qc/ source file includes it first.  Plain C, no DICOM or SQLite type.
 */
#ifndef DICOMQC_QC_INT_H
#define DICOMQC_QC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "qc.h"

/* QC_ASSERT(x): asserts something only a bug in qc/ itself can break (never
 * the content of an image).  It is assert() normally and cmocka's
 * mock_assert() when UNIT_TESTING is defined, so that a test can wrap the
 * call in expect_assert_failure() (cmocka 1.1.5, "Using mock_assert()" in
 * its API documentation; the declaration below is the one cmocka.h makes).
 *
 * QC_STATIC marks a file-local helper that a unit test calls: it is
 * `static` normally and empty under UNIT_TESTING, as curl swaps `static` for
 * UNITTEST (curl/curl tests/unit/README.md).  A QC_STATIC helper has a
 * prototype just above its definition and a name that is unique across
 * qc/, because in a unit build it becomes an external symbol. */
#ifdef UNIT_TESTING
void mock_assert(const int result, const char *const expression,
                 const char *const file, const int line);
#define QC_ASSERT(x) mock_assert((int)(!!(x)), #x, __FILE__, __LINE__)
#define QC_STATIC
#else
#include <assert.h>
#define QC_ASSERT(x) assert(x)
#define QC_STATIC    static
#endif

/* pi to 21 significant digits (M_PI is not part of ISO C11). */
#define QC_PI 3.14159265358979323846

/* Largest value accepted for struct qc_image nWidth and nHeight (the DICOM
 * Rows and Columns attributes are US, PS3.3 C.7.6.3). */
#define QC_MAX_SIDE 65535

/* Largest number of percentiles one qc_percentiles() call computes. */
#define QC_PERCENTILE_MAX 8

/* Checks a plane handed to a public qc/ function and writes its number of
 * samples, nWidth*nHeight, to *pnSample.  Returns QC_ERR_MISUSE if pIn or
 * pIn->a is NULL, QC_ERR_RANGE if a side is < 1 (an empty plane) or the
 * product does not fit in size_t; QC_OK otherwise.  *pnSample is written
 * only on success.  Defined in qc/image.c. */
int qc_plane_len(const struct qc_plane *pIn, size_t *pnSample);

/* The checks of a 3x3-kernel measure (noise, sharpness): pIn valid as for
 * qc_plane_len() and both sides >= 3, so the plane has an interior.
 * Writes the sides to *pW and *pH and returns QC_OK, else QC_ERR_MISUSE
 * or QC_ERR_RANGE (nothing written).  Defined in qc/image.c. */
int qc_plane_interior(const struct qc_plane *pIn, size_t *pW, size_t *pH);

/* Percentiles of a[0..n-1] exactly as numpy.percentile's default method
 * ('linear', Hyndman & Fan 1996 definition 7): for q in [0, 100] with
 * h = (q/100)(n-1), lo = floor(h) and t = h - lo, the result is
 * x[lo] + (x[lo+1]-x[lo]) t for t < 0.5 and x[lo+1] - (x[lo+1]-x[lo])(1-t)
 * otherwise, x being a sorted; h >= n-1 gives x[n-1] (numpy 1.24
 * numpy/lib/function_base.py _quantile, _get_indexes and _lerp).  Samples
 * are ordered as floats (-0 before +0, which compare equal).  Infinite
 * samples are allowed; as in numpy, an interpolation that involves one can
 * give NaN (numpy gives NaN for percentile([5, inf], 0) and for
 * percentile([inf, inf], 50)).
 *
 * The order statistics come from a two-level radix selection on the
 * samples' ordered bit patterns (top 16 bits, then low 16 bits within the
 * one bucket that holds the rank), so the cost is O(n) per distinct bucket
 * and a is neither copied nor modified.  aQ holds nQ percentiles, 1 <= nQ
 * <= QC_PERCENTILE_MAX, in any order; aOut receives nQ values in the same
 * order, written only on success.
 *
 * Returns QC_OK; QC_ERR_RANGE if n is 0, a sample is NaN or a q is outside
 * [0, 100] (or NaN); QC_ERR_NOMEM if the 512 KiB histogram cannot be
 * allocated; QC_ERR_MISUSE for NULL pointers or a bad nQ.  Defined in
 * qc/percentile.c.  Tests: tests/unit/test_qc_exposure.c */
int qc_percentiles(const float *a, size_t n, const double *aQ, size_t nQ,
                   double *aOut);

/* ---- Natural scene statistics (qc/nss.c), used by brisque.c, niqe.c ---- */

/* Which release a fit follows where the releases differ (qc/nss.c head). */
enum qc_nss_ref {
  QC_NSS_MATLAB, /* LIVE MATLAB: min() over the table, first of equals */
  QC_NSS_OPENCV  /* OpenCV AGGDfit: walk up, stop when the distance grows */
};

/* Orientations of paired products: a sample times its right neighbour,
 * the one below, below-right (main diagonal), below-left (anti-diagonal).
 * These are the H, V, D1, D2 of BRISQUE eq. 8-11; the releases' shifts
 * (MATLAB circshift [0 1], [1 0], [1 1], [-1 1] or NIQE's [1 -1], OpenCV's
 * {0,1}, {1,0}, {1,1}, {-1,1}) pair the same samples. */
enum qc_nss_orient {
  QC_NSS_H,  /* (r, c) x (r, c+1) */
  QC_NSS_V,  /* (r, c) x (r+1, c) */
  QC_NSS_D1, /* (r, c) x (r+1, c+1) */
  QC_NSS_D2  /* (r, c) x (r+1, c-1) */
};

/* The sums a GGD or AGGD moment fit needs, over a set of samples. */
struct qc_nss_moments {
  double n;       /* Samples, zeros included */
  double nPos;    /* Samples > 0 */
  double nNeg;    /* Samples < 0 */
  double sumPos2; /* Sum of squares of the samples > 0 */
  double sumNeg2; /* Sum of squares of the samples < 0 */
  double sumAbs;  /* Sum of |sample| */
};

/* An AGGD fit (BRISQUE eq. 5-7): shape alpha, 0.2..10 in steps of 0.001,
 * and the left and right standard deviations sqrt(E[x^2 | x < 0]) and
 * sqrt(E[x^2 | x > 0]) (NaN when a side has no sample). */
struct qc_aggd {
  double alpha;    /* Shape */
  double leftStd;  /* Left standard deviation */
  double rightStd; /* Right standard deviation */
};

/* Adds the n samples of a (n may be 0) to *pM, which the caller zeroes
 * first.  Sums in double.  Defined in qc/nss.c. */
void qc_nss_moments_add(struct qc_nss_moments *pM, const float *a, size_t n);

/* Moments of the paired products of the w x h window at a (rows stride
 * floats apart) in orientation orient, written to *pM (zeroed first).
 * isWrap 1: the window wraps around (MATLAB circshift, LIVE BRISQUE and
 * NIQE), w h products.  isWrap 0: pairs leaving the window are products
 * with zero (OpenCV's shifted copy): they count in pM->n, which is w h
 * either way, and nowhere else.  Products are exact in double.
 * Defined in qc/nss.c. */
void qc_nss_pair_moments(const float *a, int32_t w, int32_t h, size_t stride,
                         enum qc_nss_orient orient, int isWrap,
                         struct qc_nss_moments *pM);

/* The moments of a whole plane that BRISQUE fits, in one streamed pass:
 * the MSCN coefficients of pIn as qc_mscn(pIn, 7, 7/6, border, c) gives
 * them (bit for bit), into aM[0] as qc_nss_moments_add() sums them, and
 * their paired products in the orientations H, V, D1, D2 into aM[1..4]
 * as qc_nss_pair_moments(..., isWrap, ...) over the whole plane sums
 * them.  The MSCN plane is never stored: two rows and row 0 (for
 * wrapping) are kept.  Sums may differ from those functions' in the last
 * bits (the order of additions).  aM is written only on success.
 * Returns QC_OK; QC_ERR_MISUSE and QC_ERR_RANGE as qc_mscn() (a
 * non-finite sample is QC_ERR_RANGE), QC_ERR_RANGE also for a width over
 * QC_MAX_SIDE; QC_ERR_NOMEM.  Defined in qc/nss.c. */
int qc_nss_mscn_moments(const struct qc_plane *pIn, enum qc_border border,
                        double c, int isWrap, struct qc_nss_moments aM[5]);

/* AGGD moment-matching fit of *pM (LIVE estimateaggdparam.m, OpenCV
 * AGGDfit): with l and r the left and right deviations, g = l/r,
 * rhat = E|x|^2 / E[x^2] and R = rhat (g^3 + 1)(g + 1) / (g^2 + 1)^2,
 * alpha is the table entry whose G(2/a)^2 / (G(1/a) G(3/a)) is nearest R,
 * chosen as ref says.  Writes *pOut.  A set with no negative or no
 * positive sample gives NaN deviations and the alpha the reference gives
 * a NaN target (0.2 for MATLAB, 10 for OpenCV).  Defined in qc/nss.c. */
void qc_aggd_fit(const struct qc_nss_moments *pM, enum qc_nss_ref ref,
                 struct qc_aggd *pOut);

/* GGD moment-matching fit of *pM (LIVE estimateggdparam.m): sigma =
 * sqrt(E[x^2]) and alpha the table entry whose G(1/a) G(3/a) / G(2/a)^2
 * is nearest E[x^2] / E|x|^2.  Writes *pAlpha and *pSigma.  Defined in
 * qc/nss.c. */
void qc_ggd_fit(const struct qc_nss_moments *pM, enum qc_nss_ref ref,
                double *pAlpha, double *pSigma);

/* ---- BRISQUE and NIQE internals (qc/brisque.c) ---- */

/* Formats a message into zErr (nErr bytes) when zErr is not NULL, as
 * snprintf does.  Defined in qc/brisque.c. */
void qc_errmsg(char *zErr, size_t nErr, const char *zFmt, ...);

/* Reads the model file zPath into a NUL-terminated buffer *pz that the
 * caller frees with free().  Model files are untrusted: over 64 MiB or
 * holding a NUL byte is QC_ERR_RANGE, as is a file that cannot be opened
 * or read (zErr names the file and the reason).  Returns QC_OK,
 * QC_ERR_RANGE, QC_ERR_NOMEM, QC_ERR_MISUSE (NULL).  Defined in
 * qc/brisque.c. */
int qc_model_read(const char *zPath, char **pz, char *zErr, size_t nErr);

/* Moore-Penrose pseudo-inverse of the symmetric n x n matrix aIn
 * (row-major) into aOut, from its cyclic Jacobi eigen-decomposition;
 * eigenvalues with |l| <= n eps(max |l|) count as zero (MATLAB pinv's
 * tolerance).  aWork holds 2 n n doubles.  aOut must not overlap aIn.
 * Defined in qc/niqe.c.  Tests: tests/unit/test_qc_niqe.c */
void qc_pinv_sym(const double *aIn, int n, double *aOut, double *aWork);

/* Immerkaer's noise mask N = [1 -2 1; -2 4 -2; 1 -2 1] applied at the
 * sample p of a plane whose rows are w samples apart (p must have all
 * eight neighbours): the response I * N, summed in double in one fixed
 * order, so that qc/noise.c, the X-ray blocks and the fundus field give
 * the same bits for the same samples. */
static inline double qc_immerkaer_at(const float *p, size_t w)
{
  const float *p0 = p - w, *p2 = p + w;
  return (double)p0[-1] - 2.0 * p0[0] + p0[1] - 2.0 * p[-1] + 4.0 * p[0] -
         2.0 * p[1] + p2[-1] - 2.0 * p2[0] + p2[1];
}

/* ---- Binary masks (qc/mask.c), shared by the modality metrics ----
 * A mask is nWidth*nHeight bytes, row-major, each 0 or 1.  Outside the
 * image counts as 0 for every operation (scipy.ndimage's border_value=0).
 * Each returns QC_OK, QC_ERR_MISUSE (NULL pointer, side < 1 or over
 * QC_MAX_SIDE, r < 0) or QC_ERR_NOMEM, and leaves the mask unchanged on
 * failure.  Tests: tests/unit/test_qc_mask.c */

/* Otsu's threshold of the n samples of a (only those whose aMask byte is
 * 1 when aMask is not NULL), as skimage.filters.threshold_otsu(x,
 * nbins=256): 256 equal bins from the minimum to the maximum, the
 * threshold is the centre of the bin that maximises the between-class
 * variance.  QC_ERR_RANGE when fewer than 2 distinct values are given or
 * a sample is not finite. */
int qc_otsu(const float *a, size_t n, const uint8_t *aMask, double *pThr);

/* Binary dilation / erosion by the (2r+1)x(2r+1) square
 * (scipy.ndimage.binary_dilation / binary_erosion with
 * np.ones((2r+1, 2r+1))).  r = 0 leaves the mask as it is. */
int qc_mask_dilate(uint8_t *a, int32_t nWidth, int32_t nHeight, int32_t r);
int qc_mask_erode(uint8_t *a, int32_t nWidth, int32_t nHeight, int32_t r);

/* Fills the holes of a mask: every 0 region (4-connected) that does not
 * reach the image border becomes 1 (scipy.ndimage.binary_fill_holes). */
int qc_mask_fill_holes(uint8_t *a, int32_t nWidth, int32_t nHeight);

/* Box-averages plane a (nWidth x nHeight) over f x f cells into aOut
 * (nWidth/f x nHeight/f floats, the partial cells at the right and
 * bottom dropped; each cell's sum in double, row by row, over f^2), and
 * writes to aMaskOut the mask aMask sampled at each cell's top-left
 * pixel.  Returns the number of cells marked.  f >= 1; a lower-resolution
 * view of a large image for the measures defined on a fixed grid (the
 * fundus gradients, the MR edge energy).  Cannot fail. */
size_t qc_box_shrink(const float *a, const uint8_t *aMask, size_t nWidth,
                     size_t nHeight, size_t f, float *aOut, uint8_t *aMaskOut);

/* Keeps only the largest 8-connected component of a mask (on a tie, the
 * one met first in raster order) and writes its area to *pnArea (0 for an
 * empty mask; pnArea may be NULL). */
int qc_mask_largest(uint8_t *a, int32_t nWidth, int32_t nHeight,
                    size_t *pnArea);

#endif /* DICOMQC_QC_INT_H */
