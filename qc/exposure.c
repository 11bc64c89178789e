/* SPDX-License-Identifier: BSD-3-Clause
 *
 * exposure.c - exposure statistics of a raw plane: mean, 1st and 99th
 * percentiles, the dynamic range they span, and the fractions of pixels
 * clipped at the detector's limits.
 *
 * Used on X-ray planes in modality units (after the modality LUT), where
 * under- and over-exposure show as a low mean, a narrow used range, or
 * pixels piled up at the detector minimum or maximum.  The percentiles
 * are numpy.percentile's default 'linear' method (qc/percentile.c), the
 * mean is accumulated in double in one pass that also counts clipped
 * pixels.  No threshold lives here: verdicts come from the modality
 * profiles in models/.
 *
 * Tests: tests/unit/test_qc_exposure.c
 */
#include "qc_int.h"

#include <math.h>

/* One pass over the plane: sum, and counts of pixels at or beyond the
 * detector limits (plain IEEE comparisons: a NaN limit counts nothing). */
static double sum_and_clip(const float *a, size_t n, double detectorMin,
                           double detectorMax, size_t *pnLow, size_t *pnHigh)
{
  double sum = 0.0; /* Running sum in double */
  size_t nLow = 0;  /* Samples <= detectorMin */
  size_t nHigh = 0; /* Samples >= detectorMax */
  size_t i;

  for(i = 0; i < n; i++) {
    double x = a[i];
    sum += x;
    nLow += (x <= detectorMin);
    nHigh += (x >= detectorMax);
  }
  *pnLow = nLow;
  *pnHigh = nHigh;
  return sum;
}

/* Exposure statistics; see qc.h.  A constant plane c gives p01 = p99 = c,
 * dynRange = 0, dynRangeBits = 0 and mean = c (exactly up to 2^29
 * samples: every partial sum k c of a float c then fits the 53-bit double
 * significand).  Returns QC_ERR_MISUSE for NULL pointers; QC_ERR_RANGE
 * for an empty plane (a side < 1) or a non-finite sample (detected by a
 * non-finite sum: finite floats cannot overflow it); QC_ERR_NOMEM. */
int qc_exposure_stats(const struct qc_plane *pIn, double detectorMin,
                      double detectorMax, struct qc_exposure *pOut)
{
  static const double aQ[2] = {1.0, 99.0}; /* Percentiles reported */
  double aP[2];                            /* p01, p99 */
  size_t n;                                /* Samples in the plane */
  size_t nLow, nHigh;                      /* Clipped sample counts */
  double sum;                              /* Sum of the samples */
  int rc;

  if(pOut == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_len(pIn, &n);
  if(rc != QC_OK) {
    return rc;
  }
  sum = sum_and_clip(pIn->a, n, detectorMin, detectorMax, &nLow, &nHigh);
  if(!isfinite(sum)) {
    return QC_ERR_RANGE;
  }
  rc = qc_percentiles(pIn->a, n, aQ, 2, aP);
  if(rc != QC_OK) {
    return rc;
  }
  pOut->mean = sum / (double)n;
  pOut->p01 = aP[0];
  pOut->p99 = aP[1];
  pOut->clipLow = (double)nLow / (double)n;
  pOut->clipHigh = (double)nHigh / (double)n;
  pOut->dynRange = aP[1] - aP[0];
  pOut->dynRangeBits = log2(1.0 + pOut->dynRange);
  return QC_OK;
}
