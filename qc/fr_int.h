/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fr_int.h - declarations shared by the full-reference metric files of
 * qc/ (fr.c, fr_fsim.c, fr_vif.c, fr_fft.c) and by their unit test
 * tests/unit/test_qc_fr.c; not part of the module's API (qc.h is).
 *
 * It holds the argument checks every full-reference metric makes and the
 * mixed-radix/Bluestein FFT that FSIM's phase congruency needs.  Plain
 * C, included after qc_int.h.
 */
#ifndef DICOMQC_FR_INT_H
#define DICOMQC_FR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "qc_int.h"

/* Checks a reference/distorted pair handed to a public qc_fr_ function:
 * both valid as for qc_plane_len() (else QC_ERR_MISUSE or QC_ERR_RANGE),
 * of the same size (else QC_ERR_MISUSE: the caller compares sizes
 * first), both sides >= nMinSide (else QC_ERR_RANGE: too small for the
 * metric), every sample finite (else QC_ERR_RANGE).  Writes the sides to
 * *pW and *pH only on success.  Defined in qc/fr.c. */
int qc_fr_pair(const struct qc_plane *pRef, const struct qc_plane *pDist,
               int32_t nMinSide, size_t *pW, size_t *pH);

/* QC_OK if dataRange is finite and > 0, else QC_ERR_RANGE.  Defined in
 * qc/fr.c. */
int qc_fr_range_check(double dataRange);

/* Nonzero if all n samples of a are finite (neither NaN nor infinite).
 * Defined in qc/fr.c. */
int qc_fr_finite(const float *a, size_t n);

/* A plan for complex discrete Fourier transforms of one length n:
 *   X[k] = sum_j x[j] exp(-2 pi i j k / n)        (forward)
 *   x[j] = sum_k X[k] exp(+2 pi i j k / n)        (inverse, unscaled:
 *                                                  the caller divides by n)
 * Lengths whose prime factors are all <= 13 run as a recursive
 * mixed-radix decimation in time (Cooley and Tukey 1965, radices 4, 2,
 * 3, 5, 7, 11, 13); other lengths use Bluestein's chirp-z algorithm
 * (L. I. Bluestein, "A linear filtering approach to the computation of
 * the discrete Fourier transform", IEEE Trans. Audio Electroacoust.
 * 18(4):451-455, 1970) over a 5-smooth length m >= 2n - 1.  A plan
 * owns its tables and scratch memory, so one plan must not be used by two
 * threads at once; distinct plans may.  Defined in qc/fr_fft.c. */
struct qc_fft;

/* Creates the plan for length n, 1 <= n <= 2^24.  Returns QC_OK and sets
 * *ppPlan (free it with qc_fft_free()), QC_ERR_NOMEM, or QC_ERR_MISUSE for
 * a bad n or NULL pointer (*ppPlan untouched on failure). */
int qc_fft_new(size_t n, struct qc_fft **ppPlan);

/* Frees a plan; NULL is a no-op. */
void qc_fft_free(struct qc_fft *pPlan);

/* Transforms n complex values in place: aData holds re, im pairs, the
 * value j at aData[2 j*stride], aData[2 j*stride + 1] (stride >= 1
 * complex values).  isInverse selects the sign above.  Cannot fail. */
void qc_fft_run(struct qc_fft *pPlan, double *aData, size_t stride,
                int isInverse);

#endif /* DICOMQC_FR_INT_H */
