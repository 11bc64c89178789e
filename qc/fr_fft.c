/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fr_fft.c - complex discrete Fourier transforms of any length, for the
 * phase congruency of FSIM (fr_fsim.c), whose log-Gabor filtering is a
 * circular convolution of the whole image (FeatureSIM.m uses fft2/ifft2
 * at the image's own size, so padding to a convenient size would change
 * the result).
 *
 * A length whose prime factors are all <= 13 is transformed by a
 * recursive mixed-radix decimation in time (J. W. Cooley and J. W.
 * Tukey, "An algorithm for the machine calculation of complex Fourier
 * series", Math. Comp. 19:297-301, 1965): the input splits into r
 * interleaved subsequences, each is transformed, and r-point butterflies
 * with twiddle factors W_n^(jk) join them (radices 2 to 5 written out,
 * 7, 11 and 13 as a direct r-point DFT).  Any other length goes through
 * Bluestein's chirp-z algorithm (L. I. Bluestein, IEEE Trans. Audio
 * Electroacoust. 18(4):451-455, 1970): with jk = (j^2 + k^2 - (k-j)^2)/2,
 * X[k] = c[k] sum_j (x[j] c[j]) conj(c[k-j]), c[j] = exp(-pi i j^2 / n),
 * a circular convolution of length m = the smallest number >= 2n - 1
 * with no prime factor above 5, done with two mixed-radix transforms of
 * length m.  Twiddles come from a table of
 * exp(-2 pi i k / n) computed once per plan; chirp angles use j^2 mod 2n
 * so that they stay exact for large j.
 *
 * The inverse transform is unscaled (the caller divides by n); it uses
 * the conjugate twiddles, and Bluestein's inverse is
 * conj(forward(conj(x))).
 *
 * Tests: tests/unit/test_qc_fr.c (against a naive O(n^2) DFT)
 */
#include "qc_int.h"

#include "fr_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest length a plan accepts (2^24: far above FSIM's sizes, which
 * FeatureSIM.m's downsampling keeps near 256). */
#define FFT_MAX_N ((size_t)1 << 24)

/* Largest radix of the mixed-radix path; larger prime factors go to
 * Bluestein. */
#define FFT_MAX_RADIX 13

/* Most factors a length <= 2^24 can have. */
#define FFT_MAX_FACTOR 32

struct qc_fft {
  size_t n;                       /* Length, 1..FFT_MAX_N */
  int nFactor;                    /* Radices in aFactor; 0 with Bluestein */
  size_t aFactor[FFT_MAX_FACTOR]; /* Radices, outermost first */
  double *aTw;                    /* 2n: exp(-2 pi i k / n), k < n */
  double *aIn;                    /* 2n scratch: gathered input */
  double *aOut;                   /* 2n scratch: transform output */
  size_t m;                       /* Bluestein length (5-smooth), or 0 */
  double *aChirp;                 /* 2n: c[k] = exp(-pi i k^2 / n) */
  double *aKernel;                /* 2m: DFT of the wrapped conj(c) */
  double *aConv;                  /* 2m scratch */
  struct qc_fft *pSub;            /* Plan of length m (mixed radix) */
};

/* Splits n into radices 4, 2, 3, 5, 7, 11, 13 (4 first: fewer passes).
 * Returns the number of factors, or 0 if n has a larger prime factor. */
static int fft_factor(size_t n, size_t *aFactor)
{
  static const size_t aRadix[] = {4, 2, 3, 5, 7, 11, 13};
  int nFactor = 0;
  size_t i;

  for(i = 0; i < sizeof(aRadix) / sizeof(aRadix[0]) && n > 1; i++) {
    while(n % aRadix[i] == 0 && nFactor < FFT_MAX_FACTOR) {
      aFactor[nFactor++] = aRadix[i];
      n /= aRadix[i];
    }
  }
  return n == 1 ? nFactor : 0;
}

/* Nonzero if n's prime factors are all 2, 3 or 5 (a fast length for the
 * mixed-radix path); aFactor is scratch. */
static int is_smooth(size_t n, size_t *aFactor)
{
  int nFactor = fft_factor(n, aFactor), i;

  for(i = 0; i < nFactor; i++) {
    if(aFactor[i] > 5) {
      return 0;
    }
  }
  return nFactor > 0;
}

/* Fills the 2n table exp(-2 pi i k / n). */
static void fft_twiddles(double *aTw, size_t n)
{
  size_t k;

  for(k = 0; k < n; k++) {
    double a = -2.0 * QC_PI * (double)k / (double)n;
    aTw[2 * k] = cos(a);
    aTw[2 * k + 1] = sin(a);
  }
}

/* Frees a plan; NULL is a no-op. */
void qc_fft_free(struct qc_fft *pPlan)
{
  if(pPlan == NULL) {
    return;
  }
  qc_fft_free(pPlan->pSub);
  free(pPlan->aTw);
  free(pPlan->aIn);
  free(pPlan->aOut);
  free(pPlan->aChirp);
  free(pPlan->aKernel);
  free(pPlan->aConv);
  free(pPlan);
}

/* Sets up Bluestein's tables for p->n: the chirp, the length-m plan, and
 * the transformed kernel b[l] = conj(c[l]), b[m - l] = conj(c[l]). */
static int fft_bluestein_new(struct qc_fft *p)
{
  size_t aFactor[FFT_MAX_FACTOR];
  size_t n = p->n, m = 2 * n - 1, k;
  int rc;

  while(!is_smooth(m, aFactor)) {
    m++;
  }
  p->m = m;
  p->aChirp = malloc(2 * n * sizeof(double));
  p->aKernel = calloc(2 * m, sizeof(double));
  p->aConv = malloc(2 * m * sizeof(double));
  if(p->aChirp == NULL || p->aKernel == NULL || p->aConv == NULL) {
    return QC_ERR_NOMEM;
  }
  rc = qc_fft_new(m, &p->pSub);
  if(rc != QC_OK) {
    return rc;
  }
  for(k = 0; k < n; k++) {
    uint64_t kk = ((uint64_t)k * (uint64_t)k) % (2 * (uint64_t)n);
    double a = -QC_PI * (double)kk / (double)n;
    p->aChirp[2 * k] = cos(a);
    p->aChirp[2 * k + 1] = sin(a);
  }
  for(k = 0; k < n; k++) {
    p->aKernel[2 * k] = p->aChirp[2 * k];
    p->aKernel[2 * k + 1] = -p->aChirp[2 * k + 1];
    if(k > 0) {
      p->aKernel[2 * (m - k)] = p->aChirp[2 * k];
      p->aKernel[2 * (m - k) + 1] = -p->aChirp[2 * k + 1];
    }
  }
  qc_fft_run(p->pSub, p->aKernel, 1, 0);
  return QC_OK;
}

int qc_fft_new(size_t n, struct qc_fft **ppPlan)
{
  struct qc_fft *p;
  int rc = QC_OK;

  if(ppPlan == NULL || n < 1 || n > FFT_MAX_N) {
    return QC_ERR_MISUSE;
  }
  p = calloc(1, sizeof(*p));
  if(p == NULL) {
    return QC_ERR_NOMEM;
  }
  p->n = n;
  p->nFactor = fft_factor(n, p->aFactor);
  p->aIn = malloc(2 * n * sizeof(double));
  p->aOut = malloc(2 * n * sizeof(double));
  if(p->aIn == NULL || p->aOut == NULL) {
    rc = QC_ERR_NOMEM;
  } else if(p->nFactor > 0 || n == 1) {
    p->aTw = malloc(2 * n * sizeof(double));
    if(p->aTw == NULL) {
      rc = QC_ERR_NOMEM;
    } else {
      fft_twiddles(p->aTw, n);
    }
  } else {
    rc = fft_bluestein_new(p);
  }
  if(rc != QC_OK) {
    qc_fft_free(p);
    return rc;
  }
  *ppPlan = p;
  return QC_OK;
}

/* The r-point DFTs of the twiddled inputs aT (r complex values) for
 * r = 3, 4, 5, written to pOut[0], pOut[m], pOut[2m] ... (complex
 * strides): X_q = sum_j aT_j W_r^(jq), W_r = exp(-sg 2 pi i / r), in the
 * usual pairwise form (H. J. Nussbaumer, "Fast Fourier Transform and
 * Convolution Algorithms", Springer 1981, ch. 5).  Multiplying by -sg i
 * maps (x, y) to (sg y, -sg x). */
static void fft_radix3(const double *aT, double *pOut, size_t m, double sg)
{
  const double c = 0.86602540378443864676; /* sin(2 pi/3) = sqrt(3)/2 */
  double sr = aT[2] + aT[4], si = aT[3] + aT[5];
  double dr = aT[2] - aT[4], di = aT[3] - aT[5];
  double hr = aT[0] - 0.5 * sr, hi = aT[1] - 0.5 * si;

  pOut[0] = aT[0] + sr;
  pOut[1] = aT[1] + si;
  pOut[2 * m] = hr + sg * c * di;
  pOut[2 * m + 1] = hi - sg * c * dr;
  pOut[4 * m] = hr - sg * c * di;
  pOut[4 * m + 1] = hi + sg * c * dr;
}

static void fft_radix4(const double *aT, double *pOut, size_t m, double sg)
{
  double s02r = aT[0] + aT[4], s02i = aT[1] + aT[5];
  double d02r = aT[0] - aT[4], d02i = aT[1] - aT[5];
  double s13r = aT[2] + aT[6], s13i = aT[3] + aT[7];
  double d13r = aT[2] - aT[6], d13i = aT[3] - aT[7];
  double wdr = sg * d13i, wdi = -sg * d13r; /* W_4 (t1 - t3), W_4 = -sg i */

  pOut[0] = s02r + s13r;
  pOut[1] = s02i + s13i;
  pOut[2 * m] = d02r + wdr;
  pOut[2 * m + 1] = d02i + wdi;
  pOut[4 * m] = s02r - s13r;
  pOut[4 * m + 1] = s02i - s13i;
  pOut[6 * m] = d02r - wdr;
  pOut[6 * m + 1] = d02i - wdi;
}

static void fft_radix5(const double *aT, double *pOut, size_t m, double sg)
{
  const double c1 = 0.30901699437494742410;  /* cos(2 pi/5) */
  const double c2 = -0.80901699437494742410; /* cos(4 pi/5) */
  const double s1 = 0.95105651629515357212;  /* sin(2 pi/5) */
  const double s2 = 0.58778525229247312917;  /* sin(4 pi/5) */
  double a1r = aT[2] + aT[8], a1i = aT[3] + aT[9];
  double b1r = aT[2] - aT[8], b1i = aT[3] - aT[9];
  double a2r = aT[4] + aT[6], a2i = aT[5] + aT[7];
  double b2r = aT[4] - aT[6], b2i = aT[5] - aT[7];
  double p1r = aT[0] + c1 * a1r + c2 * a2r, p1i = aT[1] + c1 * a1i + c2 * a2i;
  double p2r = aT[0] + c2 * a1r + c1 * a2r, p2i = aT[1] + c2 * a1i + c1 * a2i;
  double q1r = s1 * b1r + s2 * b2r, q1i = s1 * b1i + s2 * b2i;
  double q2r = s2 * b1r - s1 * b2r, q2i = s2 * b1i - s1 * b2i;

  pOut[0] = aT[0] + a1r + a2r;
  pOut[1] = aT[1] + a1i + a2i;
  pOut[2 * m] = p1r + sg * q1i; /* X1 = p1 - sg i q1 */
  pOut[2 * m + 1] = p1i - sg * q1r;
  pOut[8 * m] = p1r - sg * q1i; /* X4 = p1 + sg i q1 */
  pOut[8 * m + 1] = p1i + sg * q1r;
  pOut[4 * m] = p2r + sg * q2i; /* X2 = p2 - sg i q2 */
  pOut[4 * m + 1] = p2i - sg * q2r;
  pOut[6 * m] = p2r - sg * q2i; /* X3 = p2 + sg i q2 */
  pOut[6 * m + 1] = p2i + sg * q2r;
}

/* Joins r transforms of length m stored one after the other in aOut
 * (Y_j[k] at aOut[j m + k]) into one of length r m:
 *   X[k + q m] = sum_j W_n^(j k) W_r^(j q) Y_j[k],
 * with W_n^x = aTw[x * stride] (stride = N / n, N the plan's length),
 * conjugated when sg = -1 (inverse). */
static void fft_butterfly(const double *aTw, double *aOut, size_t stride,
                          size_t m, size_t r, double sg)
{
  double aT[2 * FFT_MAX_RADIX];  /* The r twiddled inputs of one k */
  double aWr[2 * FFT_MAX_RADIX]; /* W_r^e = W_N^(e stride m), e < r */
  size_t k, j, q;

  for(j = 0; j < r; j++) {
    aWr[2 * j] = aTw[2 * (j * stride * m)];
    aWr[2 * j + 1] = aTw[2 * (j * stride * m) + 1];
  }
  for(k = 0; k < m; k++) {
    aT[0] = aOut[2 * k]; /* j = 0: twiddle 1 */
    aT[1] = aOut[2 * k + 1];
    for(j = 1; j < r; j++) {
      const double *pY = aOut + 2 * (j * m + k);
      double wr = aTw[2 * (j * k * stride)];
      double wi = sg * aTw[2 * (j * k * stride) + 1];
      aT[2 * j] = pY[0] * wr - pY[1] * wi;
      aT[2 * j + 1] = pY[0] * wi + pY[1] * wr;
    }
    if(r == 2) {
      aOut[2 * k] = aT[0] + aT[2];
      aOut[2 * k + 1] = aT[1] + aT[3];
      aOut[2 * (k + m)] = aT[0] - aT[2];
      aOut[2 * (k + m) + 1] = aT[1] - aT[3];
    } else if(r == 3) {
      fft_radix3(aT, aOut + 2 * k, m, sg);
    } else if(r == 4) {
      fft_radix4(aT, aOut + 2 * k, m, sg);
    } else if(r == 5) {
      fft_radix5(aT, aOut + 2 * k, m, sg);
    } else {
      for(q = 0; q < r; q++) {
        double xr = aT[0], xi = aT[1];
        size_t e = 0; /* (j q) mod r, kept incrementally */
        for(j = 1; j < r; j++) {
          double wr, wi;
          e += q;
          e = e >= r ? e - r : e;
          wr = aWr[2 * e];
          wi = sg * aWr[2 * e + 1];
          xr += aT[2 * j] * wr - aT[2 * j + 1] * wi;
          xi += aT[2 * j] * wi + aT[2 * j + 1] * wr;
        }
        aOut[2 * (k + q * m)] = xr;
        aOut[2 * (k + q * m) + 1] = xi;
      }
    }
  }
}

/* aOut[0..n) = DFT of aIn[0], aIn[stride], ... (n = product of aFactor;
 * stride in complex values, = N / n). */
static void fft_dit(const struct qc_fft *p, double *aOut, const double *aIn,
                    size_t stride, const size_t *aFactor, size_t n, double sg)
{
  size_t r = aFactor[0], m = n / r, j;

  if(m == 1) {
    for(j = 0; j < r; j++) {
      aOut[2 * j] = aIn[2 * j * stride];
      aOut[2 * j + 1] = aIn[2 * j * stride + 1];
    }
  } else {
    for(j = 0; j < r; j++) {
      fft_dit(p, aOut + 2 * j * m, aIn + 2 * j * stride, stride * r,
              aFactor + 1, m, sg);
    }
  }
  fft_butterfly(p->aTw, aOut, stride, m, r, sg);
}

/* Bluestein forward transform of p->aIn into p->aOut. */
static void fft_bluestein(struct qc_fft *p)
{
  size_t n = p->n, m = p->m, k;
  double *aC = p->aConv;

  for(k = 0; k < n; k++) {
    double xr = p->aIn[2 * k], xi = p->aIn[2 * k + 1];
    double cr = p->aChirp[2 * k], ci = p->aChirp[2 * k + 1];
    aC[2 * k] = xr * cr - xi * ci;
    aC[2 * k + 1] = xr * ci + xi * cr;
  }
  memset(aC + 2 * n, 0, 2 * (m - n) * sizeof(double));
  qc_fft_run(p->pSub, aC, 1, 0);
  for(k = 0; k < m; k++) {
    double ar = aC[2 * k], ai = aC[2 * k + 1];
    double br = p->aKernel[2 * k], bi = p->aKernel[2 * k + 1];
    aC[2 * k] = ar * br - ai * bi;
    aC[2 * k + 1] = ar * bi + ai * br;
  }
  qc_fft_run(p->pSub, aC, 1, 1);
  for(k = 0; k < n; k++) {
    double yr = aC[2 * k] / (double)m, yi = aC[2 * k + 1] / (double)m;
    double cr = p->aChirp[2 * k], ci = p->aChirp[2 * k + 1];
    p->aOut[2 * k] = yr * cr - yi * ci;
    p->aOut[2 * k + 1] = yr * ci + yi * cr;
  }
}

void qc_fft_run(struct qc_fft *pPlan, double *aData, size_t stride,
                int isInverse)
{
  size_t n = pPlan->n, k;
  double sg = isInverse ? -1.0 : 1.0; /* Sign applied to sin terms */

  QC_ASSERT(stride >= 1);
  for(k = 0; k < n; k++) {
    pPlan->aIn[2 * k] = aData[2 * k * stride];
    pPlan->aIn[2 * k + 1] = aData[2 * k * stride + 1];
  }
  if(n == 1) {
    return;
  }
  if(pPlan->nFactor > 0) {
    fft_dit(pPlan, pPlan->aOut, pPlan->aIn, 1, pPlan->aFactor, n, sg);
  } else {
    if(isInverse) { /* inverse(x) = conj(forward(conj(x))) */
      for(k = 0; k < n; k++) {
        pPlan->aIn[2 * k + 1] = -pPlan->aIn[2 * k + 1];
      }
    }
    fft_bluestein(pPlan);
    if(isInverse) {
      for(k = 0; k < n; k++) {
        pPlan->aOut[2 * k + 1] = -pPlan->aOut[2 * k + 1];
      }
    }
  }
  for(k = 0; k < n; k++) {
    aData[2 * k * stride] = pPlan->aOut[2 * k];
    aData[2 * k * stride + 1] = pPlan->aOut[2 * k + 1];
  }
}
