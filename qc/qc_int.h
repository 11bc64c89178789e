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

#endif /* DICOMQC_QC_INT_H */
