/* SPDX-License-Identifier: BSD-3-Clause
 *
 * noise.c - noise standard deviation of a grey plane by Immerkaer's fast
 * method, for X-ray and MR noise checks.
 *
 * J. Immerkaer, "Fast Noise Variance Estimation", Computer Vision and
 * Image Understanding 64(2):300-302, 1996.  The mask N, the difference of
 * two 3x3 Laplacian masks, is the outer product of the second differences
 * [1 -2 1] along rows and columns, so it vanishes on every polynomial of
 * degree < 4 (constant, ramp, quadratic shading) and what survives is
 * mostly noise; eq. 8 turns the mean absolute response into a standard
 * deviation:
 *   sigma = sqrt(pi/2) / (6 (W-2)(H-2)) * sum over interior pixels |I * N|
 *   N = [1 -2 1; -2 4 -2; 1 -2 1]
 * Only interior pixels are used (no border padding), the 'valid' region of
 * a convolution.  The input is the raw plane in its own units; the sum is
 * accumulated in double.  One pass, no allocation.
 *
 * Tests: tests/unit/test_qc_noise.c
 */
#include "qc_int.h"

#include <math.h>

/* Sum over the interior pixels of row r (1..H-2) of |I * N|. */
static double row_abs_response(const float *a, size_t w, size_t r)
{
  const float *p1 = a + r * w; /* This row */
  double sum = 0.0;            /* Sum of |response| along the row */
  size_t c;

  for(c = 1; c + 1 < w; c++) {
    sum += fabs(qc_immerkaer_at(p1 + c, w));
  }
  return sum;
}

/* Immerkaer noise sigma; see qc.h.  A constant plane gives exactly 0, a
 * polynomial plane of degree < 4 gives 0 up to rounding.
 * Returns QC_ERR_MISUSE for NULL pointers, QC_ERR_RANGE for a side < 3 or
 * a non-finite sample (detected by a non-finite sum: finite floats cannot
 * overflow a double sum of this size). */
int qc_noise_immerkaer(const struct qc_plane *pIn, double *pSigma)
{
  size_t w, h;      /* Plane sides as size_t */
  double sum = 0.0; /* Sum of |I * N| over the interior */
  size_t r;
  int rc;

  if(pSigma == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_interior(pIn, &w, &h);
  if(rc != QC_OK) {
    return rc;
  }
  for(r = 1; r + 1 < h; r++) {
    sum += row_abs_response(pIn->a, w, r);
  }
  if(!isfinite(sum)) {
    return QC_ERR_RANGE;
  }
  *pSigma =
      sqrt(QC_PI / 2.0) / (6.0 * (double)(w - 2) * (double)(h - 2)) * sum;
  return QC_OK;
}
