/* SPDX-License-Identifier: BSD-3-Clause
 *
 * nss.c - natural scene statistics shared by BRISQUE, NIQE and PIQE: MSCN
 * coefficients, the moments of MSCN samples and of their paired products,
 * and the generalized Gaussian (GGD) and asymmetric generalized Gaussian
 * (AGGD) moment-matching fits.
 *
 * MSCN: Mittal, Moorthy, Bovik, "No-Reference Image Quality Assessment in
 * the Spatial Domain", IEEE TIP 21(12):4695-4708, 2012 (BRISQUE), eq. 1-3;
 * the Gaussian is applied separably, one horizontal pass into a ring of
 * nK filtered rows, then one vertical pass per output row, so the scratch
 * is a few rows whatever the plane's height and the inner loops run along
 * contiguous rows (elementwise, which the compiler vectorises).  Every
 * sum is formed in the same order whatever the blocking, so the result
 * is the same to the bit however the loops are arranged: the flat
 * windows of some test images make MSCN rounding noise whose signs move
 * the fits' sample counts (see tests/unit/test_qc_brisque.c), so the
 * arithmetic of qc_mscn() is kept fixed.  BRISQUE streams the MSCN rows
 * straight into the moment sums (qc_nss_mscn_moments) without storing
 * the plane.
 *
 * Moments: sums of x^2 over x > 0 and x < 0, of |x| and the counts, over
 * MSCN samples or their paired products, without branches (signs are
 * random) and in independent lanes (see the moment sums below).
 *
 * Fits: the GGD fit is Sharifi and Leon-Garcia, "Estimation of shape
 * parameter for generalized Gaussian distributions in subband
 * decompositions of video", IEEE TCSVT 5(1), 1995; the AGGD fit is
 * Lasmar, Stitou, Berthoumieu, "Multiscale skewed heavy tailed model for
 * texture analysis", ICIP 2009, as BRISQUE eq. 5-7 and NIQE (Mittal,
 * Soundararajan, Bovik, "Making a 'Completely Blind' Image Quality
 * Analyzer", IEEE SPL 20(3), 2013) use them.  Both releases pick the shape
 * from the table gamma = 0.2:0.001:10 (9801 entries); the ratio
 * r(g) = G(2/g)^2 / (G(1/g) G(3/g)) is strictly increasing over it (the
 * smallest step, near g = 10, is 1.7e-6, far above rounding), so the entry
 * nearest the target is found by bisection with about 14 evaluations
 * instead of a 9801-entry table: no table, no global state.
 *
 * The releases differ in small ways, each a value of enum qc_nss_ref:
 * MATLAB (LIVE BRISQUE and NIQE) takes min() over the table, the first of
 * equal distances, and a NaN target gives the first entry (min ignores
 * NaN); OpenCV's AGGDfit walks up the table and stops when the distance
 * grows, keeping the later of equal distances, and a NaN target runs to
 * the last entry.  Paired products wrap around (MATLAB circshift) or see
 * zeros outside the plane (OpenCV's shifted copy); see qc_nss_pair_moments.
 *
 * Tests: tests/unit/test_qc_nss.c
 */
#include "qc_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The shape table gamma = 0.2:0.001:10 of the LIVE releases and OpenCV:
 * entry k is 0.2 + k 0.001, k = 0..GAMMA_LAST. */
#define GAMMA_FIRST 0.2
#define GAMMA_STEP  0.001
#define GAMMA_LAST  9800

/* Maps index i (may lie outside 0..n-1) to the sample a border rule reads,
 * or -1 for a zero.  n >= 1.  Reflections follow OpenCV's
 * borderInterpolate (core/src/copy.cpp) for any distance, so planes
 * smaller than the kernel are read as OpenCV reads them. */
QC_STATIC int32_t qc_border_map(int64_t i, int32_t n, enum qc_border border);
QC_STATIC int32_t qc_border_map(int64_t i, int32_t n, enum qc_border border)
{
  int64_t period; /* Length of one reflection cycle */

  if(i >= 0 && i < n) {
    return (int32_t)i;
  }
  switch(border) {
  case QC_BORDER_ZERO:
    return -1;
  case QC_BORDER_REPLICATE:
    return i < 0 ? 0 : n - 1;
  case QC_BORDER_REFLECT101:
    if(n == 1) {
      return 0;
    }
    period = 2 * (int64_t)n - 2;
    i = ((i % period) + period) % period;
    return (int32_t)(i < n ? i : period - i);
  case QC_BORDER_SYMMETRIC:
    period = 2 * (int64_t)n;
    i = ((i % period) + period) % period;
    return (int32_t)(i < n ? i : period - 1 - i);
  default:
    QC_ASSERT(0);
    return -1;
  }
}

/* Writes the normalised 1-D Gaussian of nK taps and standard deviation
 * sigma to g.  The 2-D window of fspecial('gaussian', nK, sigma) is the
 * outer product of this one with itself (both are normalised to sum 1,
 * MATLAB images/fspecial.m; OpenCV getGaussianKernel). */
static void gauss_kernel(int nK, double sigma, double *g)
{
  int h = nK / 2; /* Half width */
  double sum = 0.0;
  int k;

  for(k = 0; k < nK; k++) {
    double x = (double)(k - h);
    g[k] = exp(-(x * x) / (2.0 * sigma * sigma));
    sum += g[k];
  }
  for(k = 0; k < nK; k++) {
    g[k] /= sum;
  }
}

/* Rows of the MSCN filters are padded to a multiple of LANES columns, so
 * the filter loops run over whole blocks.  Every output is a sum formed
 * tap by tap in order of k, starting from 0, whatever the loop layout, so
 * the layout changes no bit of the result.  The 7-tap kernels of
 * BRISQUE, NIQE and PIQE have their own loops, one output per iteration
 * with the taps in locals, which GCC vectorises across outputs (measured:
 * 0.75 ns a sample for one horizontal pass, against 1.0 to 1.2 for blocks
 * of 2 to 8 outputs with a tap loop and 1.25 for a tap-outer loop). */
#define LANES 4

/* n rounded up to a multiple of LANES. */
static size_t lanes_up(size_t n)
{
  return (n + LANES - 1) / LANES * LANES;
}

/* out[c] = sum over k < nK of g[k] a[c + k], c < wp (a multiple of
 * LANES); a holds wp + nK - 1 samples. */
static void filt_h(const double *a, const double *g, int nK, double *out,
                   size_t wp)
{
  size_t c;
  int k, l;

  for(c = 0; c < wp; c += LANES) {
    double aSum[LANES] = {0.0};
    for(k = 0; k < nK; k++) {
      for(l = 0; l < LANES; l++) {
        aSum[l] += g[k] * a[c + (size_t)k + (size_t)l];
      }
    }
    memcpy(out + c, aSum, sizeof(aSum));
  }
}

/* filt_h() for nK = 7: one output per iteration, taps in locals, which
 * GCC vectorises across outputs. */
static void filt_h7(const double *a, const double *g, double *out, size_t wp)
{
  const double g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3];
  const double g4 = g[4], g5 = g[5], g6 = g[6];
  size_t c;

  for(c = 0; c < wp; c++) {
    const double *q = a + c;
    double s = 0.0;
    s += g0 * q[0];
    s += g1 * q[1];
    s += g2 * q[2];
    s += g3 * q[3];
    s += g4 * q[4];
    s += g5 * q[5];
    s += g6 * q[6];
    out[c] = s;
  }
}

/* out[c] = sum over k < nK of g[k] ap[k][c], c < wp (a multiple of
 * LANES). */
static void filt_v(const double *const *ap, const double *g, int nK,
                   double *out, size_t wp)
{
  size_t c;
  int k, l;

  for(c = 0; c < wp; c += LANES) {
    double aSum[LANES] = {0.0};
    for(k = 0; k < nK; k++) {
      const double *q = ap[k] + c;
      for(l = 0; l < LANES; l++) {
        aSum[l] += g[k] * q[l];
      }
    }
    memcpy(out + c, aSum, sizeof(aSum));
  }
}

/* filt_v() for nK = 7, written as filt_h7(). */
static void filt_v7(const double *const *ap, const double *g, double *out,
                    size_t wp)
{
  const double g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3];
  const double g4 = g[4], g5 = g[5], g6 = g[6];
  const double *q0 = ap[0], *q1 = ap[1], *q2 = ap[2], *q3 = ap[3];
  const double *q4 = ap[4], *q5 = ap[5], *q6 = ap[6];
  size_t c;

  for(c = 0; c < wp; c++) {
    double s = 0.0;
    s += g0 * q0[c];
    s += g1 * q1[c];
    s += g2 * q2[c];
    s += g3 * q3[c];
    s += g4 * q4[c];
    s += g5 * q5[c];
    s += g6 * q6[c];
    out[c] = s;
  }
}

/* Scratch and state of one streamed MSCN computation: rows come out in
 * order 0..h-1 from mscn_row(). */
struct mscn_work {
  const float *aIn;      /* Input plane */
  int32_t w;             /* Plane width */
  int32_t h;             /* Plane height */
  int nK;                /* Taps, odd, 1..255 */
  enum qc_border border; /* Rule for samples outside the plane */
  double c;              /* MSCN stabilising constant, > 0 */
  size_t wp;             /* w rounded up to LANES */
  int32_t rNext;         /* Next input row to filter horizontally */
  double g[255];         /* Normalised 1-D Gaussian, nK taps */
  double aFin[LANES];    /* Per-lane sums of input rows (finite check) */
  double *aPad;          /* Input row with nK/2 border samples each side,
                            then zeros: wp + nK - 1 samples */
  double *aPad2;         /* Its squares */
  double *aRingMu;       /* nK horizontally filtered rows of I, slot r % nK */
  double *aRingSq;       /* Same for I^2 */
  double *aZero;         /* wp zeros: a row outside, QC_BORDER_ZERO */
  double *aMu;           /* One row of mu = G * I (wp) */
  double *aSq;           /* One row of G * I^2, then sigma (wp) */
};

/* Fills p->aPad and p->aPad2 from input row r: the border samples come
 * from qc_border_map(), the row itself is copied, the padding is 0.  The
 * row's samples are added to the lanes of p->aFin. */
static void mscn_pad(struct mscn_work *p, int32_t r)
{
  const float *aRow = p->aIn + (size_t)r * (size_t)p->w;
  size_t half = (size_t)(p->nK / 2); /* Border samples each side */
  size_t w = (size_t)p->w;
  size_t c, nAll = p->wp + (size_t)p->nK - 1;
  double *restrict a = p->aPad;   /* a[half + c] is sample c */
  double *restrict a2 = p->aPad2; /* Squares (exact: floats squared) */
  double aFin[LANES];             /* p->aFin, in registers */
  int l;

  for(c = 0; c < nAll; c++) {
    int64_t i = (int64_t)c - (int64_t)half;
    int32_t j;
    if(c == half) {
      c += w - 1; /* The row itself: below */
      continue;
    }
    j = c < w + 2 * half ? qc_border_map(i, p->w, p->border) : -1;
    a[c] = j < 0 ? 0.0 : (double)aRow[j];
    a2[c] = a[c] * a[c];
  }
  memcpy(aFin, p->aFin, sizeof(aFin));
  for(c = 0; c + LANES <= w; c += LANES) {
    for(l = 0; l < LANES; l++) {
      double v = (double)aRow[c + (size_t)l];
      a[half + c + (size_t)l] = v;
      a2[half + c + (size_t)l] = v * v;
      aFin[l] += v;
    }
  }
  for(; c < w; c++) {
    double v = (double)aRow[c];
    a[half + c] = v;
    a2[half + c] = v * v;
    aFin[0] += v;
  }
  memcpy(p->aFin, aFin, sizeof(aFin));
}

/* Filters input row r horizontally into ring slot r % nK. */
static void mscn_hrow(struct mscn_work *p, int32_t r)
{
  size_t slot = (size_t)(r % p->nK) * p->wp;

  mscn_pad(p, r);
  if(p->nK == 7) {
    filt_h7(p->aPad, p->g, p->aRingMu + slot, p->wp);
    filt_h7(p->aPad2, p->g, p->aRingSq + slot, p->wp);
  } else {
    filt_h(p->aPad, p->g, p->nK, p->aRingMu + slot, p->wp);
    filt_h(p->aPad2, p->g, p->nK, p->aRingSq + slot, p->wp);
  }
}

/* Vertical pass for output row r: p->aMu and p->aSq of that row from the
 * ring, which holds the filtered rows r-nK/2 .. r+nK/2 that exist; rows
 * outside the plane are read as the border says (QC_BORDER_ZERO: a row
 * of zeros, whose terms g 0 = +0 leave the sum unchanged, as the sum is
 * never -0). */
static void mscn_vrow(struct mscn_work *p, int32_t r)
{
  const double *apMu[255], *apSq[255]; /* Filtered rows of the taps */
  int32_t half = p->nK / 2;
  int k;

  for(k = 0; k < p->nK; k++) {
    int32_t j = qc_border_map((int64_t)r + k - half, p->h, p->border);
    size_t slot = j < 0 ? 0 : (size_t)(j % p->nK) * p->wp;
    apMu[k] = j < 0 ? p->aZero : p->aRingMu + slot;
    apSq[k] = j < 0 ? p->aZero : p->aRingSq + slot;
  }
  if(p->nK == 7) {
    filt_v7(apMu, p->g, p->aMu, p->wp);
    filt_v7(apSq, p->g, p->aSq, p->wp);
  } else {
    filt_v(apMu, p->g, p->nK, p->aMu, p->wp);
    filt_v(apSq, p->g, p->nK, p->aSq, p->wp);
  }
}

/* Sets up p for the plane pIn (already checked) and allocates its
 * scratch; returns QC_OK or QC_ERR_NOMEM (nothing to free). */
static int mscn_open(struct mscn_work *p, const struct qc_plane *pIn, int nK,
                     double gaussSigma, enum qc_border border, double c)
{
  size_t nPad, nRing, nAll;
  double *a;

  memset(p, 0, sizeof(*p));
  p->aIn = pIn->a;
  p->w = pIn->nWidth;
  p->h = pIn->nHeight;
  p->nK = nK;
  p->border = border;
  p->c = c;
  p->wp = lanes_up((size_t)p->w);
  gauss_kernel(nK, gaussSigma, p->g);
  nPad = p->wp + (size_t)nK;  /* >= wp + nK - 1 */
  nRing = (size_t)nK * p->wp; /* One ring */
  nAll = 2 * nPad + 2 * nRing + 3 * p->wp;
  if(nAll > SIZE_MAX / sizeof(double)) {
    return QC_ERR_NOMEM;
  }
  a = malloc(nAll * sizeof(double));
  if(a == NULL) {
    return QC_ERR_NOMEM;
  }
  p->aPad = a;
  p->aPad2 = a + nPad;
  p->aRingMu = a + 2 * nPad;
  p->aRingSq = p->aRingMu + nRing;
  p->aZero = p->aRingSq + nRing;
  p->aMu = p->aZero + p->wp;
  p->aSq = p->aMu + p->wp;
  memset(p->aZero, 0, p->wp * sizeof(double));
  return QC_OK;
}

/* Frees p's scratch. */
static void mscn_close(struct mscn_work *p)
{
  free(p->aPad);
  p->aPad = NULL;
}

/* 1 if every input row filtered so far was finite (a double sum of
 * floats cannot overflow at these sizes, so it is finite exactly when
 * every sample is). */
static int mscn_finite(const struct mscn_work *p)
{
  double sum = 0.0;
  int l;

  for(l = 0; l < LANES; l++) {
    sum += p->aFin[l];
  }
  return isfinite(sum);
}

/* The MSCN step of the n samples aIn[x] of a row: with mu = aMu[x] and
 * s = aSq[x] (G * I^2), sigma = sqrt(|s - mu^2|) goes to aSq[x] and
 * (I - mu) / (sigma + c) to aOut[x].  GCC does not vectorise sqrt() as
 * long as errno must be set for negative arguments (-fmath-errno, the
 * default), though the argument here is never negative; with SSE2 the
 * loop is written with its intrinsics, whose operations (subtract,
 * multiply, |.|, sqrt, add, divide, double to float) are the same IEEE
 * operations as the scalar code's, so the two give the same bits
 * (measured: 1.9 ns a sample instead of 3.8).  Two floats are moved with
 * the unaligned, may-alias 64-bit load and store of SSE2. */
static void mscn_finish(const float *aIn, const double *aMu, double *aSq,
                        float *aOut, int32_t n, double c)
{
  int32_t x = 0;

#if defined(__SSE2__)
  const __m128d vC = _mm_set1_pd(c);
  const __m128d vAbs = _mm_castsi128_pd(_mm_set1_epi64x(INT64_MAX));
  for(; x + 2 <= n; x += 2) {
    __m128d mu = _mm_loadu_pd(aMu + x);
    __m128d s = _mm_loadu_pd(aSq + x);
    __m128d sd =
        _mm_sqrt_pd(_mm_and_pd(_mm_sub_pd(s, _mm_mul_pd(mu, mu)), vAbs));
    __m128d v = _mm_cvtps_pd(_mm_castsi128_ps(
        _mm_loadl_epi64((const __m128i *)(const void *)(aIn + x))));
    __m128d o = _mm_div_pd(_mm_sub_pd(v, mu), _mm_add_pd(sd, vC));
    _mm_storeu_pd(aSq + x, sd);
    _mm_storel_epi64((__m128i *)(void *)(aOut + x),
                     _mm_castps_si128(_mm_cvtpd_ps(o)));
  }
#endif
  for(; x < n; x++) {
    double mu = aMu[x];
    double sd = sqrt(fabs(aSq[x] - mu * mu));
    aOut[x] = (float)(((double)aIn[x] - mu) / (sd + c));
    aSq[x] = sd;
  }
}

/* Computes MSCN row r (rows in order 0..h-1) into aOut (w floats), and
 * mu and sigma into aMu and aSigma when they are not NULL. */
static void mscn_row(struct mscn_work *p, int32_t r, float *aOut, float *aMu,
                     float *aSigma)
{
  const float *aRow = p->aIn + (size_t)r * (size_t)p->w;
  int32_t x;

  for(; p->rNext < p->h && p->rNext <= r + p->nK / 2; p->rNext++) {
    mscn_hrow(p, p->rNext);
  }
  mscn_vrow(p, r);
  mscn_finish(aRow, p->aMu, p->aSq, aOut, p->w, p->c);
  if(aMu != NULL) {
    for(x = 0; x < p->w; x++) {
      aMu[x] = (float)p->aMu[x];
    }
  }
  if(aSigma != NULL) {
    for(x = 0; x < p->w; x++) {
      aSigma[x] = (float)p->aSq[x];
    }
  }
}

/* 1 if every sample of a[0..n-1] is finite: a double sum in LANES
 * independent lanes (vectorised; no reassociation of one sum). */
static int plane_is_finite(const float *a, size_t n)
{
  double aSum[LANES] = {0}, sum = 0.0;
  size_t i;
  int l;

  for(i = 0; i + LANES <= n; i += LANES) {
    for(l = 0; l < LANES; l++) {
      aSum[l] += a[i + l];
    }
  }
  for(; i < n; i++) {
    sum += a[i];
  }
  for(l = 0; l < LANES; l++) {
    sum += aSum[l];
  }
  return isfinite(sum);
}

/* The argument checks of qc_mscn() and qc_nss_mscn_moments(). */
static int mscn_check(const struct qc_plane *pIn, int nK, double gaussSigma,
                      enum qc_border border, double c, size_t *pnSample)
{
  if(nK < 1 || nK > 255 || nK % 2 == 0 || !(gaussSigma > 0.0) ||
     !isfinite(gaussSigma) || !(c > 0.0) || !isfinite(c) ||
     (unsigned)border > (unsigned)QC_BORDER_SYMMETRIC) {
    return QC_ERR_MISUSE;
  }
  return qc_plane_len(pIn, pnSample);
}

/* MSCN coefficients; see qc.h.  Tests: tests/unit/test_qc_nss.c */
int qc_mscn(const struct qc_plane *pIn, int nK, double gaussSigma,
            enum qc_border border, double c, float *aOut, float *aMu,
            float *aSigma)
{
  struct mscn_work work; /* Kernel, sizes and scratch rows */
  size_t nSample;        /* Samples in the plane */
  int32_t r;
  int rc;

  if(aOut == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = mscn_check(pIn, nK, gaussSigma, border, c, &nSample);
  if(rc != QC_OK) {
    return rc;
  }
  if(!plane_is_finite(pIn->a, nSample)) {
    return QC_ERR_RANGE;
  }
  rc = mscn_open(&work, pIn, nK, gaussSigma, border, c);
  if(rc != QC_OK) {
    return rc;
  }
  for(r = 0; r < work.h; r++) {
    size_t o = (size_t)r * (size_t)work.w; /* Offset of row r */
    mscn_row(&work, r, aOut + o, aMu ? aMu + o : NULL,
             aSigma ? aSigma + o : NULL);
  }
  mscn_close(&work);
  return QC_OK;
}

/* ---- Moment sums ---------------------------------------------------- */

/* The sums of struct qc_nss_moments over windows of samples or of
 * products of two samples.  Each sum is kept in SLANES lanes, lane l
 * summing the samples l, l + SLANES, ... of each row, so the loops
 * vectorise without reassociating one sum; the lanes are added at the
 * end.  The totals differ from a single running sum only by rounding
 * (relative 1e-16 per addition).  With fewer lanes GCC 12 at -O3
 * vectorises the row loop instead, with in-order reductions (measured:
 * 1.5 ns a product with 4 lanes, 0.5 with 16).
 *
 * No branch and no floating-point comparison: the signs of MSCN samples
 * and products are random, so a branch mispredicts half the time, and
 * GCC keeps a comparison of doubles as a branch (it may trap, and
 * -ftrapping-math is on).  Instead, with s = |x|, (x + s)^2 is 4 x^2 for
 * x > 0 and 0 otherwise, (x - s)^2 is 4 x^2 for x < 0 and 0 otherwise
 * (exact: doubling and the factor 1/4 applied to the totals are exact),
 * and the counts come from the float samples' bit patterns with integer
 * operations (sign bit; nonzero and not NaN is 1 <= magnitude bits <=
 * those of infinity).  A product of two floats is exact in double and
 * cannot underflow to zero, so its sign and zeroness are those of its
 * factors.  NaN samples are counted nowhere (as x > 0 and x < 0 are
 * false for them) and make every sum NaN. */
#define SLANES 16 /* Double lanes */
#define CLANES 32 /* Count lanes (uint32) */

/* Per-lane moment sums of a set of samples. */
struct lane_sums {
  double aPos2[SLANES]; /* Sum of (x + |x|)^2: 4 x^2 over x > 0 */
  double aNeg2[SLANES]; /* Sum of (x - |x|)^2: 4 x^2 over x < 0 */
  double aAbs[SLANES];  /* Sum of |x| */
  double nNonzero;      /* Samples that are neither 0 nor NaN */
  double nNeg;          /* Samples < 0 */
};

/* A window of nRow rows of n samples, row i at a + i stride; with b not
 * NULL, the products of the samples of a with those at the same offsets
 * from b. */
struct win {
  const float *a; /* First sample of row 0 */
  const float *b; /* First partner sample of row 0, or NULL */
  size_t n;       /* Samples per row, may be 0 */
  size_t nRow;    /* Rows, may be 0 */
  size_t stride;  /* Floats from a row to the next */
};

/* The bits of float v. */
static uint32_t float_bits(float v)
{
  uint32_t u;

  memcpy(&u, &v, sizeof(u));
  return u;
}

/* 1 if the float with bits u is neither zero nor NaN, else 0. */
static uint32_t bits_nonzero(uint32_t u)
{
  return (u & 0x7fffffffu) - 1u < 0x7f800000u;
}

/* Adds x to lane l of the three sums. */
static inline void lane_add(double *aPos2, double *aNeg2, double *aAbs, int l,
                            double x)
{
  double s = fabs(x);

  aPos2[l] += (x + s) * (x + s);
  aNeg2[l] += (x - s) * (x - s);
  aAbs[l] += s;
}

/* Adds the double sums of the samples of *pW (isProduct 0) or of their
 * products with pW->b (1) to *p.  Inlined into the two callers below, so
 * each gets its own loop with isProduct a constant. */
static inline void sums_window(struct lane_sums *p, const struct win *pW,
                               int isProduct)
{
  double aPos2[SLANES], aNeg2[SLANES], aAbs[SLANES]; /* In registers */
  size_t i, r;
  int l;

  memcpy(aPos2, p->aPos2, sizeof(aPos2));
  memcpy(aNeg2, p->aNeg2, sizeof(aNeg2));
  memcpy(aAbs, p->aAbs, sizeof(aAbs));
  for(r = 0; r < pW->nRow; r++) {
    const float *a = pW->a + r * pW->stride;
    const float *b = isProduct ? pW->b + r * pW->stride : a;
    for(i = 0; i + SLANES <= pW->n; i += SLANES) {
      for(l = 0; l < SLANES; l++) {
        double x = (double)a[i + (size_t)l];
        lane_add(aPos2, aNeg2, aAbs, l,
                 isProduct ? x * (double)b[i + (size_t)l] : x);
      }
    }
    for(l = 0; i < pW->n; i++, l++) {
      double x = (double)a[i];
      lane_add(aPos2, aNeg2, aAbs, l, isProduct ? x * (double)b[i] : x);
    }
  }
  memcpy(p->aPos2, aPos2, sizeof(aPos2));
  memcpy(p->aNeg2, aNeg2, sizeof(aNeg2));
  memcpy(p->aAbs, aAbs, sizeof(aAbs));
}

/* Adds the double sums of the samples of *pW (b NULL) to *p. */
static void sums_samples(struct lane_sums *p, const struct win *pW)
{
  sums_window(p, pW, 0);
}

/* Adds the double sums of the products of *pW to *p. */
static void sums_products(struct lane_sums *p, const struct win *pW)
{
  sums_window(p, pW, 1);
}

/* Rows of n samples whose counts fit the uint32 lanes: fewer than 2^31
 * samples between flushes. */
static size_t count_chunk(size_t n)
{
  return n == 0 ? 1 : (0x7fffffffu / n > 0 ? 0x7fffffffu / n : 1);
}

/* Adds the lanes aNz, aNeg to *p and zeroes them. */
static void counts_flush(uint32_t *aNz, uint32_t *aNeg, struct lane_sums *p)
{
  int l;

  for(l = 0; l < CLANES; l++) {
    p->nNonzero += (double)aNz[l];
    p->nNeg += (double)aNeg[l];
    aNz[l] = 0;
    aNeg[l] = 0;
  }
}

/* Adds the counts of the samples of *pW (b NULL) to *p. */
static void counts_samples(struct lane_sums *p, const struct win *pW)
{
  uint32_t aNz[CLANES] = {0}, aNeg[CLANES] = {0};
  size_t i, r, nChunk = count_chunk(pW->n);
  int l;

  for(r = 0; r < pW->nRow; r++) {
    const float *a = pW->a + r * pW->stride;
    for(i = 0; i + CLANES <= pW->n; i += CLANES) {
      for(l = 0; l < CLANES; l++) {
        uint32_t u = float_bits(a[i + (size_t)l]);
        uint32_t nz = bits_nonzero(u);
        aNz[l] += nz;
        aNeg[l] += nz & (u >> 31);
      }
    }
    for(l = 0; i < pW->n; i++, l++) {
      uint32_t u = float_bits(a[i]);
      uint32_t nz = bits_nonzero(u);
      aNz[l] += nz;
      aNeg[l] += nz & (u >> 31);
    }
    if((r + 1) % nChunk == 0) {
      counts_flush(aNz, aNeg, p);
    }
  }
  counts_flush(aNz, aNeg, p);
}

/* Adds the counts of the products of *pW to *p: a product is nonzero
 * when both factors are, negative when also their sign bits differ. */
static void counts_products(struct lane_sums *p, const struct win *pW)
{
  uint32_t aNz[CLANES] = {0}, aNeg[CLANES] = {0};
  size_t i, r, nChunk = count_chunk(pW->n);
  int l;

  for(r = 0; r < pW->nRow; r++) {
    const float *a = pW->a + r * pW->stride, *b = pW->b + r * pW->stride;
    for(i = 0; i + CLANES <= pW->n; i += CLANES) {
      for(l = 0; l < CLANES; l++) {
        uint32_t u = float_bits(a[i + (size_t)l]);
        uint32_t v = float_bits(b[i + (size_t)l]);
        uint32_t nz = bits_nonzero(u) & bits_nonzero(v);
        aNz[l] += nz;
        aNeg[l] += nz & ((u ^ v) >> 31);
      }
    }
    for(l = 0; i < pW->n; i++, l++) {
      uint32_t u = float_bits(a[i]), v = float_bits(b[i]);
      uint32_t nz = bits_nonzero(u) & bits_nonzero(v);
      aNz[l] += nz;
      aNeg[l] += nz & ((u ^ v) >> 31);
    }
    if((r + 1) % nChunk == 0) {
      counts_flush(aNz, aNeg, p);
    }
  }
  counts_flush(aNz, aNeg, p);
}

/* Adds the samples (b NULL) or products of *pW to *p. */
static void win_add(struct lane_sums *p, const struct win *pW)
{
  if(pW->b == NULL) {
    sums_samples(p, pW);
    counts_samples(p, pW);
  } else {
    sums_products(p, pW);
    counts_products(p, pW);
  }
}

/* Adds the lanes of *p to *pM (not its count n). */
static void lane_flush(const struct lane_sums *p, struct qc_nss_moments *pM)
{
  double sPos2 = 0.0, sNeg2 = 0.0, sAbs = 0.0;
  int l;

  for(l = 0; l < SLANES; l++) {
    sPos2 += p->aPos2[l];
    sNeg2 += p->aNeg2[l];
    sAbs += p->aAbs[l];
  }
  pM->nPos += p->nNonzero - p->nNeg;
  pM->nNeg += p->nNeg;
  pM->sumPos2 += 0.25 * sPos2;
  pM->sumNeg2 += 0.25 * sNeg2;
  pM->sumAbs += sAbs;
}

/* Adds the n samples of a to *pM.  Tests: tests/unit/test_qc_nss.c */
void qc_nss_moments_add(struct qc_nss_moments *pM, const float *a, size_t n)
{
  struct win win = {a, NULL, n, 1, 0};
  struct lane_sums s;

  memset(&s, 0, sizeof(s));
  win_add(&s, &win);
  pM->n += (double)n;
  lane_flush(&s, pM);
}

/* Row step and column step of each orientation (enum qc_nss_orient). */
static const int aPairDy[4] = {0, 1, 1, 1};
static const int aPairDx[4] = {1, 0, 1, -1};

/* Adds to *pS the products of nRow rows of w samples starting at p with
 * their partners in the rows starting at q (the same stride), for column
 * step dx (0, 1 or -1): p[c] q[c], p[c] q[c+1] or p[c+1] q[c] for the
 * pairs inside a row; with isWrap and dx not 0, also the pair that wraps
 * around the row (p[w-1] q[0], or p[0] q[w-1]), as circshift pairs it. */
static void pair_rows(struct lane_sums *pS, const float *p, const float *q,
                      size_t w, size_t nRow, size_t stride, int dx, int isWrap)
{
  size_t ia = dx < 0 ? 1 : 0, ib = dx > 0 ? 1 : 0; /* First pair */
  struct win win = {p + ia, q + ib, dx == 0 ? w : w - 1, nRow, stride};

  win_add(pS, &win);
  if(dx != 0 && isWrap) {
    win.a = p + (dx > 0 ? w - 1 : 0);
    win.b = q + (dx > 0 ? 0 : w - 1);
    win.n = 1;
    win_add(pS, &win);
  }
}

/* Paired-product moments of a w x h window; see qc_int.h.
 * Tests: tests/unit/test_qc_nss.c */
void qc_nss_pair_moments(const float *a, int32_t w, int32_t h, size_t stride,
                         enum qc_nss_orient orient, int isWrap,
                         struct qc_nss_moments *pM)
{
  int dy = aPairDy[orient], dx = aPairDx[orient];
  struct lane_sums s;

  QC_ASSERT((unsigned)orient < 4u && w >= 1 && h >= 1);
  memset(pM, 0, sizeof(*pM));
  memset(&s, 0, sizeof(s));
  pM->n = (double)w * (double)h;
  pair_rows(&s, a, a + (size_t)dy * stride, (size_t)w, (size_t)(h - dy),
            stride, dx, isWrap);
  if(dy != 0 && isWrap) {
    /* The last row with row 0 */
    pair_rows(&s, a + (size_t)(h - 1) * stride, a, (size_t)w, 1, stride, dx,
              isWrap);
  }
  lane_flush(&s, pM);
}

/* ---- One pass over the MSCN plane (qc_nss_mscn_moments) ------------- */

/* An MSCN row prepared for the moment loops of the one-pass function:
 * its samples as doubles, converted once rather than once per
 * orientation, and a 16-bit code per sample, the float's sign bit in bit
 * 15 and in bit 0 a 1 if it is neither zero nor NaN, which the count
 * loops read 8 to an SSE2 vector (measured, BRISQUE 1080x800: 10.5 ms,
 * against 11.0 with 32-bit codes and 12.2 with the float kernels of the
 * windows).  A sample is counted nonzero when bit 0 is set, negative when
 * bits 0 and 15 are; a product when both codes have bit 0, negative when
 * also their bits 15 differ. */
struct mrow {
  float *aF;    /* w MSCN samples, as qc_mscn() stores them */
  double *aD;   /* The same as doubles */
  uint16_t *aU; /* Their codes */
};

/* Count lanes of counts_codes(), 16-bit: a row of at most 65535 samples
 * adds at most 65535 / 32 + 32 to a lane before they are flushed. */
#define ULANES 32

/* Fills p->aD and p->aU from p->aF (w samples). */
static void mrow_prep(struct mrow *p, size_t w)
{
  size_t c;

  for(c = 0; c < w; c++) {
    uint32_t u = float_bits(p->aF[c]);
    p->aD[c] = (double)p->aF[c];
    p->aU[c] = (uint16_t)(((u >> 16) & 0x8000u) | bits_nonzero(u));
  }
}

/* Adds the double sums of d[i] (b NULL) or of d[i] b[i], i < n, to *p:
 * sums_samples() and sums_products() on prepared doubles. */
static void sums_doubles(struct lane_sums *p, const double *d, const double *b,
                         size_t n)
{
  double aPos2[SLANES], aNeg2[SLANES], aAbs[SLANES];
  size_t i;
  int l;

  memcpy(aPos2, p->aPos2, sizeof(aPos2));
  memcpy(aNeg2, p->aNeg2, sizeof(aNeg2));
  memcpy(aAbs, p->aAbs, sizeof(aAbs));
  if(b == NULL) {
    for(i = 0; i + SLANES <= n; i += SLANES) {
      for(l = 0; l < SLANES; l++) {
        double x = d[i + (size_t)l], s = fabs(x);
        aPos2[l] += (x + s) * (x + s);
        aNeg2[l] += (x - s) * (x - s);
        aAbs[l] += s;
      }
    }
  } else {
    for(i = 0; i + SLANES <= n; i += SLANES) {
      for(l = 0; l < SLANES; l++) {
        double x = d[i + (size_t)l] * b[i + (size_t)l], s = fabs(x);
        aPos2[l] += (x + s) * (x + s);
        aNeg2[l] += (x - s) * (x - s);
        aAbs[l] += s;
      }
    }
  }
  for(l = 0; i < n; i++, l++) {
    double x = b == NULL ? d[i] : d[i] * b[i], s = fabs(x);
    aPos2[l] += (x + s) * (x + s);
    aNeg2[l] += (x - s) * (x - s);
    aAbs[l] += s;
  }
  memcpy(p->aPos2, aPos2, sizeof(aPos2));
  memcpy(p->aNeg2, aNeg2, sizeof(aNeg2));
  memcpy(p->aAbs, aAbs, sizeof(aAbs));
}

/* Adds the counts of the samples of codes u[i] (v NULL) or of their
 * products with the samples of codes v[i], i < n (<= 65535), to *p. */
static void counts_codes(struct lane_sums *p, const uint16_t *u,
                         const uint16_t *v, size_t n)
{
  uint16_t aNz[ULANES] = {0}, aNeg[ULANES] = {0};
  size_t i;
  int l;

  if(v == NULL) {
    for(i = 0; i + ULANES <= n; i += ULANES) {
      for(l = 0; l < ULANES; l++) {
        aNz[l] += u[i + (size_t)l] & 1u;
        aNeg[l] += u[i + (size_t)l] & (u[i + (size_t)l] >> 15);
      }
    }
  } else {
    for(i = 0; i + ULANES <= n; i += ULANES) {
      for(l = 0; l < ULANES; l++) {
        uint16_t x = u[i + (size_t)l], y = v[i + (size_t)l];
        aNz[l] += x & y & 1u;
        aNeg[l] += x & y & ((x ^ y) >> 15);
      }
    }
  }
  for(l = 0; i < n; i++, l++) {
    uint16_t x = u[i], y = v == NULL ? 1u : v[i];
    aNz[l] += x & y & 1u;
    aNeg[l] += x & y & ((v == NULL ? x : x ^ y) >> 15);
  }
  for(l = 0; l < ULANES; l++) {
    p->nNonzero += (double)aNz[l];
    p->nNeg += (double)aNeg[l];
  }
}

/* pair_rows() for one pair of prepared rows a (above, or the same row
 * for H) and b. */
static void mrow_pair(struct lane_sums *pS, const struct mrow *a,
                      const struct mrow *b, size_t w, int dx, int isWrap)
{
  size_t ia = dx < 0 ? 1 : 0, ib = dx > 0 ? 1 : 0; /* First pair */
  size_t n = dx == 0 ? w : w - 1;                  /* Pairs in the row */

  sums_doubles(pS, a->aD + ia, b->aD + ib, n);
  counts_codes(pS, a->aU + ia, b->aU + ib, n);
  if(dx != 0 && isWrap) {
    size_t iw = dx > 0 ? w - 1 : 0, jw = dx > 0 ? 0 : w - 1;
    sums_doubles(pS, a->aD + iw, b->aD + jw, 1);
    counts_codes(pS, a->aU + iw, b->aU + jw, 1);
  }
}

/* Allocates the three prepared rows of qc_nss_mscn_moments (row 0, kept
 * for wrapping, and two alternating rows) in one block, freed with
 * free(a[0].aD).  Returns QC_OK or QC_ERR_NOMEM. */
static int mrows_alloc(struct mrow a[3], size_t w)
{
  size_t nByte = sizeof(double) + sizeof(float) + sizeof(uint16_t);
  char *p;
  int i;

  if(w > SIZE_MAX / 3 / nByte) {
    return QC_ERR_NOMEM;
  }
  p = malloc(3 * w * nByte);
  if(p == NULL) {
    return QC_ERR_NOMEM;
  }
  for(i = 0; i < 3; i++) {
    a[i].aD = (double *)(void *)(p + (size_t)i * w * sizeof(double));
    a[i].aF = (float *)(void *)(p + 3 * w * sizeof(double) +
                                (size_t)i * w * sizeof(float));
    a[i].aU =
        (uint16_t *)(void *)(p + 3 * w * (sizeof(double) + sizeof(float)) +
                             (size_t)i * w * sizeof(uint16_t));
  }
  return QC_OK;
}

/* MSCN and paired-product moments of one plane; see qc_int.h.
 * Tests: tests/unit/test_qc_nss.c, tests/unit/test_qc_brisque.c */
int qc_nss_mscn_moments(const struct qc_plane *pIn, enum qc_border border,
                        double c, int isWrap, struct qc_nss_moments aM[5])
{
  struct mscn_work work;
  struct lane_sums aS[5]; /* MSCN samples, then H, V, D1, D2 */
  struct mrow aRow[3];    /* Row 0 (kept for wrapping), two more rows */
  size_t nSample, w;
  int32_t r;
  int k, rc;

  if(aM == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = mscn_check(pIn, 7, 7.0 / 6.0, border, c, &nSample);
  if(rc != QC_OK) {
    return rc;
  }
  if(pIn->nWidth > QC_MAX_SIDE) {
    return QC_ERR_RANGE; /* 16-bit count lanes hold one row's counts */
  }
  w = (size_t)pIn->nWidth;
  rc = mrows_alloc(aRow, w);
  if(rc != QC_OK) {
    return rc;
  }
  rc = mscn_open(&work, pIn, 7, 7.0 / 6.0, border, c);
  if(rc != QC_OK) {
    free(aRow[0].aD);
    return rc;
  }
  memset(aS, 0, sizeof(aS));
  for(r = 0; r < work.h; r++) {
    struct mrow *pCur = &aRow[r == 0 ? 0 : 1 + r % 2];
    struct mrow *pPrev = &aRow[r <= 1 ? 0 : 1 + (r - 1) % 2];
    mscn_row(&work, r, pCur->aF, NULL, NULL);
    mrow_prep(pCur, w);
    sums_doubles(&aS[0], pCur->aD, NULL, w);
    counts_codes(&aS[0], pCur->aU, NULL, w);
    mrow_pair(&aS[1], pCur, pCur, w, 1, isWrap);
    for(k = QC_NSS_V; k <= QC_NSS_D2 && r > 0; k++) {
      mrow_pair(&aS[1 + k], pPrev, pCur, w, aPairDx[k], isWrap);
    }
    for(k = QC_NSS_V; k <= QC_NSS_D2 && r == work.h - 1 && isWrap; k++) {
      mrow_pair(&aS[1 + k], pCur, &aRow[0], w, aPairDx[k], isWrap);
    }
  }
  rc = mscn_finite(&work) ? QC_OK : QC_ERR_RANGE;
  mscn_close(&work);
  free(aRow[0].aD);
  if(rc != QC_OK) {
    return rc;
  }
  for(k = 0; k < 5; k++) {
    memset(&aM[k], 0, sizeof(aM[k]));
    aM[k].n = (double)nSample;
    lane_flush(&aS[k], &aM[k]);
  }
  return QC_OK;
}

/* The shape-ratio functions tabulated by the releases at g = 0.2 + k
 * 0.001: the AGGD ratio r(g) = G(2/g)^2 / (G(1/g) G(3/g)) (increasing)
 * and the GGD ratio G(1/g) G(3/g) / G(2/g)^2 (its inverse, decreasing),
 * each written as the release writes it. */
static double shape_ratio(int isGgd, int32_t k)
{
  double g = GAMMA_FIRST + (double)k * GAMMA_STEP;
  double g1 = tgamma(1.0 / g), g2 = tgamma(2.0 / g), g3 = tgamma(3.0 / g);

  return isGgd ? g1 * g3 / (g2 * g2) : g2 * g2 / (g1 * g3);
}

/* Index k of the table entry nearest target, as the reference picks it;
 * see the file head.  Bisection on the monotonic ratio finds the first
 * entry at or beyond the target, then the nearer of it and its
 * predecessor wins. */
static int32_t shape_search(int isGgd, double target, enum qc_nss_ref ref)
{
  int32_t lo = 0, hi = GAMMA_LAST;  /* Answer in lo..hi */
  double sign = isGgd ? -1.0 : 1.0; /* Makes the ratio increasing */
  double dLo, dHi;                  /* Distances of the two candidates */

  if(isnan(target)) {
    return ref == QC_NSS_OPENCV ? GAMMA_LAST : 0;
  }
  while(lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if(sign * shape_ratio(isGgd, mid) < sign * target) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if(lo == 0) {
    return 0;
  }
  dLo = fabs(shape_ratio(isGgd, lo - 1) - target);
  dHi = fabs(shape_ratio(isGgd, lo) - target);
  if(dHi < dLo || (dHi == dLo && ref == QC_NSS_OPENCV)) {
    return lo;
  }
  return lo - 1;
}

/* Shape value of table entry k: MATLAB's colon 0.2:0.001:10 gives
 * 0.2 + k 0.001 to rounding; OpenCV adds 0.001 k times to 0.2. */
static double shape_value(int32_t k, enum qc_nss_ref ref)
{
  double g = GAMMA_FIRST;
  int32_t i;

  if(ref != QC_NSS_OPENCV) {
    return GAMMA_FIRST + (double)k * GAMMA_STEP;
  }
  for(i = 0; i < k; i++) {
    g += GAMMA_STEP;
  }
  return g;
}

/* AGGD fit; see qc_int.h.  Tests: tests/unit/test_qc_nss.c */
void qc_aggd_fit(const struct qc_nss_moments *pM, enum qc_nss_ref ref,
                 struct qc_aggd *pOut)
{
  double left = sqrt(pM->sumNeg2 / pM->nNeg);  /* NaN if no negatives */
  double right = sqrt(pM->sumPos2 / pM->nPos); /* NaN if no positives */
  double g = left / right;
  double meanAbs = pM->sumAbs / pM->n;
  double rhat = meanAbs * meanAbs / ((pM->sumPos2 + pM->sumNeg2) / pM->n);
  double rnorm =
      rhat * (g * g * g + 1.0) * (g + 1.0) / ((g * g + 1.0) * (g * g + 1.0));

  pOut->alpha = shape_value(shape_search(0, rnorm, ref), ref);
  pOut->leftStd = left;
  pOut->rightStd = right;
}

/* GGD fit; see qc_int.h.  Tests: tests/unit/test_qc_nss.c */
void qc_ggd_fit(const struct qc_nss_moments *pM, enum qc_nss_ref ref,
                double *pAlpha, double *pSigma)
{
  double s2 = (pM->sumPos2 + pM->sumNeg2) / pM->n;
  double e = pM->sumAbs / pM->n;

  *pAlpha = shape_value(shape_search(1, s2 / (e * e), ref), ref);
  *pSigma = sqrt(s2);
}
