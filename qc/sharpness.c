/* SPDX-License-Identifier: BSD-3-Clause
 *
 * sharpness.c - sharpness of a grey plane as the variance of its
 * Laplacian, the focus measure of J. L. Pech-Pacheco, G. Cristobal,
 * J. Chamorro-Martinez and J. Fernandez-Valdivia, "Diatom autofocusing in
 * brightfield microscopy: a comparative study", ICPR 2000, vol. 3,
 * pp. 314-317 (their "variance of Laplacian").
 *
 * The Laplacian is the 4-neighbour kernel [0 1 0; 1 -4 1; 0 1 0], which is
 * what OpenCV's cv::Laplacian computes with ksize=1, evaluated on interior
 * pixels only (no border padding); the variance is the population variance
 * (divide by n).  It is computed in two passes, mean first, then the mean
 * squared deviation, which avoids the cancellation of the one-pass
 * E[L^2] - E[L]^2 form (T. F. Chan, G. H. Golub and R. J. LeVeque,
 * "Algorithms for computing the sample variance: analysis and
 * recommendations", The American Statistician 37(3):242-247, 1983; numpy's
 * var does the same).  The Laplacian is recomputed in the
 * second pass instead of stored, so there is no allocation.  The input is
 * normally the 0..255 display rendering; the unit is (plane units)^2.
 *
 * Tests: tests/unit/test_qc_sharpness.c
 */
#include "qc_int.h"

#include <math.h>

/* 4-neighbour Laplacian at interior pixel p (row stride w). */
static double laplacian_at(const float *p, size_t w)
{
  return (double)p[-(ptrdiff_t)w] + p[-1] + p[1] + p[w] - 4.0 * p[0];
}

/* Sum over the interior of (L - mean)^k for k = 1 (with mean 0) or 2. */
static double interior_sum(const float *a, size_t w, size_t h, double mean,
                           int isSquare)
{
  double sum = 0.0; /* Running sum in double */
  size_t r, c;

  for(r = 1; r + 1 < h; r++) {
    const float *pRow = a + r * w; /* Start of row r */
    for(c = 1; c + 1 < w; c++) {
      double d = laplacian_at(pRow + c, w) - mean;
      sum += isSquare ? d * d : d;
    }
  }
  return sum;
}

/* Variance of the Laplacian; see qc.h.  A constant or linear plane gives
 * 0.  Returns QC_ERR_MISUSE for NULL pointers, QC_ERR_RANGE for a side
 * < 3 or a non-finite sample (which makes the sums non-finite; finite
 * floats cannot overflow them). */
int qc_sharpness_laplacian_var(const struct qc_plane *pIn, double *pVar)
{
  size_t w, h; /* Plane sides as size_t */
  double nIn;  /* Interior pixels, (w-2)(h-2) */
  double mean; /* Mean Laplacian over the interior */
  double var;  /* Population variance of the Laplacian */
  int rc;

  if(pVar == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_interior(pIn, &w, &h);
  if(rc != QC_OK) {
    return rc;
  }
  nIn = (double)(w - 2) * (double)(h - 2);
  mean = interior_sum(pIn->a, w, h, 0.0, 0) / nIn;
  if(!isfinite(mean)) {
    return QC_ERR_RANGE;
  }
  var = interior_sum(pIn->a, w, h, mean, 1) / nIn;
  if(!isfinite(var)) {
    return QC_ERR_RANGE;
  }
  *pVar = var;
  return QC_OK;
}
