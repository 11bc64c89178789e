/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fr_fsim.c - FSIM and FSIMc, the feature similarity index of L. Zhang,
 * L. Zhang, X. Mou and D. Zhang, "FSIM: a feature similarity index for
 * image quality assessment", IEEE TIP 20(8):2378-2386, 2011, computed as
 * the authors' FeatureSIM.m computes it.
 *
 * Steps (equation numbers of the paper):
 *  1. Luminance Y (and for FSIMc the chroma I, Q of YIQ, sec. III.B) in
 *     0..255 units; FeatureSIM.m's downsampling by F = max(1,
 *     round(min(rows, cols) / 256)): conv2(Y, ones(F)/F^2, 'same'), zero
 *     border, then Y(1:F:end, 1:F:end).
 *  2. Phase congruency PC (eq. 4) as P. Kovesi's phasecong2 in
 *     FeatureSIM.m: log-Gabor filters (eq. 3) on 4 scales (wavelengths 6,
 *     12, 24, 48 pixels, sigma_r/f0 = 0.55) times a Gaussian in angle
 *     (4 orientations, sigma_theta = pi/4/1.2), and a Butterworth
 *     low-pass (cut-off 0.45, order 15), all built in the frequency plane
 *     of the image's own size and applied with the FFT (fr_fft.c);
 *     energy E = sum_s (e m_e + o m_o - |e m_o - o m_e|) per orientation,
 *     less the noise threshold T = (mu_R + 2 sigma_R) / 1.7, where the
 *     Rayleigh parameter comes from the median of the smallest scale's
 *     |response|^2; PC = sum_o max(E - T, 0) / sum_o sum_s |response|.
 *     A pixel where every response is 0 gets PC 0 (MATLAB gives 0/0).
 *     The filter autocorrelation sums of the noise model (EstSumAn2,
 *     EstSumAiAj, sums over pixels of products of real(ifft2(filter)))
 *     are taken in the frequency plane by Parseval's theorem, as
 *     sums of products of the filters' even parts (F(k) + F(-k))/2,
 *     which saves 16 inverse transforms per image.
 *  3. Gradient magnitude G (eq. 5) with Scharr's kernels
 *     [3 0 -3; 10 0 -10; 3 0 -3]/16, conv2 'same' (zero border).
 *  4. S_PC = (2 PC1 PC2 + T1)/(PC1^2 + PC2^2 + T1), T1 = 0.85 (eq. 6);
 *     S_G likewise with T2 = 160 (eq. 7); for FSIMc also S_I, S_Q with
 *     T3 = T4 = 200 (eq. 9).
 *  5. FSIM = sum S_PC S_G PCm / sum PCm, PCm = max(PC1, PC2) (eq. 8);
 *     FSIMc multiplies in Re[(S_I S_Q)^0.03] (eq. 10, lambda = 0.03; the
 *     power of a negative product is complex, as in MATLAB).
 *
 * Data range: planes are scaled by 255/L first, since T2 (and T3, T4)
 * assume 0..255 values; with L = 255 the input is used as it is.
 *
 * Cost: two forward and 32 inverse 2-D FFTs at the downsampled size
 * (about 256 pixels on the short side), plus O(pixels) work; memory about
 * 200 bytes per downsampled pixel, all allocated once per call.
 *
 * Tests: tests/unit/test_qc_fr.c
 */
#include "qc_int.h"

#include "fr_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Smallest side accepted: the smallest log-Gabor wavelength is 6 pixels
 * (phasecong2's minWaveLength); 8 leaves a little more than one period. */
#define FSIM_MIN_SIDE 8

#define PC_NSCALE    4      /* phasecong2 nscale */
#define PC_NORIENT   4      /* phasecong2 norient */
#define PC_MINWAVE   6.0    /* minWaveLength, pixels */
#define PC_MULT      2.0    /* mult, scale factor between wavelengths */
#define PC_SIGMAONF  0.55   /* sigmaOnf */
#define PC_DTHETA    1.2    /* dThetaOnSigma */
#define PC_K         2.0    /* k, noise standard deviations */
#define PC_EPSILON   0.0001 /* epsilon */
#define PC_LP_CUTOFF 0.45   /* lowpassfilter cut-off */
#define PC_LP_ORDER  15     /* lowpassfilter n */
#define PC_NOISE_DIV 1.7    /* Empirical rescaling of the threshold */

#define FSIM_T1     0.85  /* Eq. 6 */
#define FSIM_T2     160.0 /* Eq. 7, 0..255 data */
#define FSIM_T3     200.0 /* Eq. 9, I and Q */
#define FSIM_LAMBDA 0.03  /* Eq. 10 */

/* Working memory of phase congruency at nR x nC (one allocation). */
struct pcWork {
  size_t nR, nC, n;                /* Rows, columns, pixels */
  struct qc_fft *pRow;             /* Plan of length nC */
  struct qc_fft *pCol;             /* Plan of length nR */
  double *aMem;                    /* The allocation */
  double *aLogGabor;               /* PC_NSCALE x n, radial components */
  double *aSin, *aCos;             /* n each: sin and cos of theta */
  double *aSpread;                 /* n: angular component, current o */
  double *aSpec;                   /* 2n: the image's spectrum */
  double *aEO;                     /* PC_NSCALE x 2n: filter responses */
  double *aSumE, *aSumO, *aEnergy; /* n each, current orientation */
  double *aEnergyAll, *aAnAll;     /* n each, over orientations */
  double *aMed;                    /* n: scratch for the median */
};

/* Frequency of FFT bin i of m as phasecong2's ifftshift-ed xrange gives
 * it: (i < ceil(m/2) ? i : i - m) / (m even ? m : m - 1). */
static double pc_freq(size_t i, size_t m)
{
  double d = (double)(m % 2 == 0 ? m : m - 1);

  return (i < (m + 1) / 2 ? (double)i : (double)i - (double)m) / d;
}

/* Builds the log-Gabor radial filters and the sin/cos of theta. */
static void pc_filters(struct pcWork *p)
{
  double sl = log(PC_SIGMAONF); /* log(sigmaOnf) */
  size_t r, c;
  int s;

  for(r = 0; r < p->nR; r++) {
    double fy = pc_freq(r, p->nR);
    for(c = 0; c < p->nC; c++) {
      double fx = pc_freq(c, p->nC);
      size_t i = r * p->nC + c;
      double rad = sqrt(fx * fx + fy * fy);
      double theta = atan2(-fy, fx);
      double lp = 1.0 / (1.0 + pow(rad / PC_LP_CUTOFF, 2.0 * PC_LP_ORDER));
      p->aSin[i] = sin(theta);
      p->aCos[i] = cos(theta);
      for(s = 0; s < PC_NSCALE; s++) {
        double fo = 1.0 / (PC_MINWAVE * pow(PC_MULT, s));
        double lg = log((i == 0 ? 1.0 : rad) / fo);
        p->aLogGabor[(size_t)s * p->n + i] =
            i == 0 ? 0.0 : exp(-(lg * lg) / (2.0 * sl * sl)) * lp;
      }
    }
  }
}

/* Frees what pc_work_new() allocated; safe on a zeroed struct. */
static void pc_work_free(struct pcWork *p)
{
  qc_fft_free(p->pRow);
  qc_fft_free(p->pCol);
  free(p->aMem);
}

/* Allocates the working memory and plans for nR x nC and builds the
 * radial filters.  Returns QC_OK or QC_ERR_NOMEM (p then needs
 * pc_work_free()). */
static int pc_work_new(size_t nR, size_t nC, struct pcWork *p)
{
  size_t n = nR * nC;
  double *a;
  int rc;

  memset(p, 0, sizeof(*p));
  p->nR = nR;
  p->nC = nC;
  p->n = n;
  rc = qc_fft_new(nC, &p->pRow);
  if(rc == QC_OK) {
    rc = qc_fft_new(nR, &p->pCol);
  }
  if(rc != QC_OK) {
    return rc;
  }
  /* 4 log-Gabor + sin + cos + spread + 2 spectrum + 8 EO + 3 orientation
   * sums + 2 totals + median scratch = 23 n doubles. */
  p->aMem = malloc(23 * n * sizeof(double));
  if(p->aMem == NULL) {
    return QC_ERR_NOMEM;
  }
  a = p->aMem;
  p->aLogGabor = a;
  a += PC_NSCALE * n;
  p->aSin = a;
  a += n;
  p->aCos = a;
  a += n;
  p->aSpread = a;
  a += n;
  p->aSpec = a;
  a += 2 * n;
  p->aEO = a;
  a += 2 * PC_NSCALE * n;
  p->aSumE = a;
  a += n;
  p->aSumO = a;
  a += n;
  p->aEnergy = a;
  a += n;
  p->aEnergyAll = a;
  a += n;
  p->aAnAll = a;
  a += n;
  p->aMed = a;
  pc_filters(p);
  return QC_OK;
}

/* 2-D transform of the nR x nC complex array a in place: rows, then
 * columns. */
static void fft2(struct pcWork *p, double *a, int isInverse)
{
  size_t r, c;

  for(r = 0; r < p->nR; r++) {
    qc_fft_run(p->pRow, a + 2 * r * p->nC, 1, isInverse);
  }
  for(c = 0; c < p->nC; c++) {
    qc_fft_run(p->pCol, a + 2 * c, p->nC, isInverse);
  }
}

/* The k-th smallest of a[0..n-1] (0-based), reordering a so that
 * a[0..k-1] <= a[k] <= a[k+1..n-1]: N. Wirth's FIND (C. A. R. Hoare,
 * "Algorithm 65: find", CACM 4(7):321, 1961, in the form of Wirth,
 * "Algorithms + Data Structures = Programs", 1976, sec. 2.3.4), with the
 * element at k as the pivot.  a holds no NaN. */
static double select_kth(double *a, size_t n, size_t k)
{
  ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;

  while(lo < hi) {
    double x = a[kk]; /* Pivot */
    ptrdiff_t i = lo, j = hi;
    do {
      while(a[i] < x) {
        i++;
      }
      while(x < a[j]) {
        j--;
      }
      if(i <= j) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    } while(i <= j);
    if(j < kk) {
      lo = i;
    }
    if(kk < i) {
      hi = j;
    }
  }
  return a[k];
}

/* MATLAB's median of a[0..n-1] (n >= 1; the mean of the two middle
 * values for even n), reordering a. */
static double median(double *a, size_t n)
{
  size_t k = (n - 1) / 2, i;
  double lo = select_kth(a, n, k), hi;

  if(n % 2 == 1) {
    return lo;
  }
  hi = a[k + 1];
  for(i = k + 2; i < n; i++) {
    hi = a[i] < hi ? a[i] : hi;
  }
  return (lo + hi) / 2.0;
}

/* The angular component of orientation o (phasecong2 "spread"). */
static void pc_spread(struct pcWork *p, int o)
{
  double angl = (double)o * QC_PI / PC_NORIENT;
  double ca = cos(angl), sa = sin(angl);
  double ts = QC_PI / PC_NORIENT / PC_DTHETA; /* thetaSigma */
  size_t i;

  for(i = 0; i < p->n; i++) {
    double ds = p->aSin[i] * ca - p->aCos[i] * sa;
    double dc = p->aCos[i] * ca + p->aSin[i] * sa;
    double dt = fabs(atan2(ds, dc));
    p->aSpread[i] = exp(-(dt * dt) / (2.0 * ts * ts));
  }
}

/* The filter sums of the noise model for the current orientation:
 * *pEmN = sum_k F_0(k)^2 (EM_n), *pSumAn2 = sum_s sum_x f_s(x)^2 and
 * *pSumAiAj = sum_{s<t} sum_x f_s(x) f_t(x), f_s = real(ifft2(F_s))
 * sqrt(n), taken as sums over k of H_s(k) = (F_s(k) + F_s(-k)) / 2
 * (Parseval). */
static void pc_noise_sums(const struct pcWork *p, double *pEmN,
                          double *pSumAn2, double *pSumAiAj)
{
  double emN = 0.0, an2 = 0.0, aiaj = 0.0;
  size_t r, c;
  int s, t;

  for(r = 0; r < p->nR; r++) {
    size_t rm = (p->nR - r) % p->nR; /* Row of -k */
    for(c = 0; c < p->nC; c++) {
      size_t i = r * p->nC + c;
      size_t im = rm * p->nC + (p->nC - c) % p->nC; /* Index of -k */
      double aH[PC_NSCALE];
      for(s = 0; s < PC_NSCALE; s++) {
        const double *aL = p->aLogGabor + (size_t)s * p->n;
        aH[s] = 0.5 * (aL[i] * p->aSpread[i] + aL[im] * p->aSpread[im]);
        an2 += aH[s] * aH[s];
      }
      for(s = 0; s < PC_NSCALE; s++) {
        for(t = s + 1; t < PC_NSCALE; t++) {
          aiaj += aH[s] * aH[t];
        }
      }
      emN += (p->aLogGabor[i] * p->aSpread[i]) *
             (p->aLogGabor[i] * p->aSpread[i]);
    }
  }
  *pEmN = emN;
  *pSumAn2 = an2;
  *pSumAiAj = aiaj;
}

/* The responses of orientation o at every scale into p->aEO, with their
 * sums into aSumE, aSumO (current o) and aAnAll (all o). */
static void pc_responses(struct pcWork *p)
{
  double sc = 1.0 / (double)p->n; /* ifft2's 1/n */
  size_t i;
  int s;

  memset(p->aSumE, 0, p->n * sizeof(double));
  memset(p->aSumO, 0, p->n * sizeof(double));
  for(s = 0; s < PC_NSCALE; s++) {
    const double *aL = p->aLogGabor + (size_t)s * p->n;
    double *aE = p->aEO + 2 * (size_t)s * p->n;
    for(i = 0; i < p->n; i++) {
      double f = aL[i] * p->aSpread[i] * sc;
      aE[2 * i] = p->aSpec[2 * i] * f;
      aE[2 * i + 1] = p->aSpec[2 * i + 1] * f;
    }
    fft2(p, aE, 1);
    for(i = 0; i < p->n; i++) {
      double e = aE[2 * i], o = aE[2 * i + 1];
      p->aSumE[i] += e;
      p->aSumO[i] += o;
      p->aAnAll[i] += sqrt(e * e + o * o);
    }
  }
}

/* Energy of the current orientation (phasecong2: the sum over scales of
 * e m_e + o m_o - |e m_o - o m_e|, m the unit mean response vector). */
static void pc_energy(struct pcWork *p)
{
  size_t i;
  int s;

  for(i = 0; i < p->n; i++) {
    double x = sqrt(p->aSumE[i] * p->aSumE[i] + p->aSumO[i] * p->aSumO[i]) +
               PC_EPSILON;
    double me = p->aSumE[i] / x, mo = p->aSumO[i] / x;
    double en = 0.0;
    for(s = 0; s < PC_NSCALE; s++) {
      const double *pE = p->aEO + 2 * ((size_t)s * p->n + i);
      en += pE[0] * me + pE[1] * mo - fabs(pE[0] * mo - pE[1] * me);
    }
    p->aEnergy[i] = en;
  }
}

/* The noise threshold T of the current orientation from the median of
 * the smallest scale's |response|^2 and the filter sums. */
static double pc_threshold(struct pcWork *p)
{
  const double *aE = p->aEO; /* Scale 0 */
  double emN, an2, aiaj, med, noisePower, tau;
  size_t i;

  for(i = 0; i < p->n; i++) {
    p->aMed[i] = aE[2 * i] * aE[2 * i] + aE[2 * i + 1] * aE[2 * i + 1];
  }
  med = median(p->aMed, p->n);
  pc_noise_sums(p, &emN, &an2, &aiaj);
  noisePower = (-med / log(0.5)) / emN;
  tau = sqrt((2.0 * noisePower * an2 + 4.0 * noisePower * aiaj) / 2.0);
  return (tau * sqrt(QC_PI / 2.0) +
          PC_K * sqrt((2.0 - QC_PI / 2.0) * tau * tau)) /
         PC_NOISE_DIV;
}

/* Phase congruency of the nR x nC plane aY (row stride nStride) into
 * aPc (nR x nC). */
static void pc_run(struct pcWork *p, const double *aY, size_t nStride,
                   double *aPc)
{
  size_t r, c, i;
  int o;

  for(r = 0; r < p->nR; r++) {
    for(c = 0; c < p->nC; c++) {
      p->aSpec[2 * (r * p->nC + c)] = aY[r * nStride + c];
      p->aSpec[2 * (r * p->nC + c) + 1] = 0.0;
    }
  }
  fft2(p, p->aSpec, 0);
  memset(p->aEnergyAll, 0, p->n * sizeof(double));
  memset(p->aAnAll, 0, p->n * sizeof(double));
  for(o = 0; o < PC_NORIENT; o++) {
    double t;
    pc_spread(p, o);
    pc_responses(p);
    pc_energy(p);
    t = pc_threshold(p);
    for(i = 0; i < p->n; i++) {
      double e = p->aEnergy[i] - t;
      p->aEnergyAll[i] += e > 0.0 ? e : 0.0;
    }
  }
  for(i = 0; i < p->n; i++) {
    aPc[i] = p->aAnAll[i] > 0.0 ? p->aEnergyAll[i] / p->aAnAll[i] : 0.0;
  }
}

/* ------------------------------------------------------------------ FSIM */

/* One FSIM input: nCh interleaved channels (1 or 3) of w x h floats. */
struct fsimIn {
  const float *aRef;  /* Reference samples */
  const float *aDist; /* Distorted samples */
  size_t nCh;         /* Channels per pixel, 1 or 3 */
  size_t w, h;        /* Sides */
  double scale;       /* 255 / data range */
};

/* FeatureSIM.m's downsampling of the channel combination sum_c aW[c] x_c
 * (scaled): aOut[i][j] = (1/F^2) * the sum over rows iF - ceil(F/2) + 1
 * .. iF + floor(F/2) and the same columns (conv2 'same', zero border),
 * for i < nR, j < nC.  aOut has row stride nStride. */
static void fsim_down(const float *a, const struct fsimIn *pIn,
                      const double *aW, size_t f, double *aOut, size_t nR,
                      size_t nC, size_t nStride)
{
  ptrdiff_t lo = -(ptrdiff_t)((f + 1) / 2 - 1), hi = (ptrdiff_t)(f / 2);
  double norm = pIn->scale / (double)(f * f);
  size_t i, j, k;

  for(i = 0; i < nR; i++) {
    for(j = 0; j < nC; j++) {
      double sum = 0.0;
      ptrdiff_t di, dj;
      for(di = lo; di <= hi; di++) {
        ptrdiff_t y = (ptrdiff_t)(i * f) + di;
        if(y < 0 || y >= (ptrdiff_t)pIn->h) {
          continue;
        }
        for(dj = lo; dj <= hi; dj++) {
          ptrdiff_t x = (ptrdiff_t)(j * f) + dj;
          const float *pPix;
          if(x < 0 || x >= (ptrdiff_t)pIn->w) {
            continue;
          }
          pPix = a + ((size_t)y * pIn->w + (size_t)x) * pIn->nCh;
          for(k = 0; k < pIn->nCh; k++) {
            sum += aW[k] * pPix[k];
          }
        }
      }
      aOut[i * nStride + j] = sum * norm;
    }
  }
}

/* Scharr gradient magnitude (eq. 5) of the framed plane at interior row
 * pM (stride nS) for n pixels into aG; the frame is zero. */
static void fsim_grad_row(const double *pM, size_t nS, size_t n, double *aG)
{
  const double *pU = pM - nS, *pD = pM + nS;
  size_t j;

  for(j = 0; j < n; j++) {
    double gx =
        (3.0 * (pU[j + 1] - pU[j - 1]) + 10.0 * (pM[j + 1] - pM[j - 1]) +
         3.0 * (pD[j + 1] - pD[j - 1])) /
        16.0;
    double gy = (3.0 * (pD[j - 1] - pU[j - 1]) + 10.0 * (pD[j] - pU[j]) +
                 3.0 * (pD[j + 1] - pU[j + 1])) /
                16.0;
    aG[j] = sqrt(gx * gx + gy * gy);
  }
}

/* Re[p^lambda] for real p (MATLAB's real((ISim .* QSim) .^ lambda)). */
static double real_pow(double p)
{
  return p >= 0.0 ? pow(p, FSIM_LAMBDA)
                  : pow(-p, FSIM_LAMBDA) * cos(FSIM_LAMBDA * QC_PI);
}

/* Memory of one FSIM evaluation besides the phase congruency work. */
struct fsimMem {
  double *aMem;        /* The allocation */
  double *aY1, *aY2;   /* (nR+2) x (nC+2) framed luminance */
  double *aPc1, *aPc2; /* nR x nC phase congruency */
  double *aG;          /* 2 nC gradient rows */
  double *aI1, *aI2;   /* nR x nC chroma I (FSIMc), else NULL */
  double *aQ1, *aQ2;   /* nR x nC chroma Q (FSIMc), else NULL */
};

/* Sums S_PC S_G [chroma] PCm and PCm over the downsampled planes. */
static void fsim_sums(const struct fsimMem *m, size_t nR, size_t nC,
                      double *pNum, double *pDen)
{
  size_t nS = nC + 2; /* Stride of the framed planes */
  double num = 0.0, den = 0.0;
  size_t r, c;

  for(r = 0; r < nR; r++) {
    fsim_grad_row(m->aY1 + (r + 1) * nS + 1, nS, nC, m->aG);
    fsim_grad_row(m->aY2 + (r + 1) * nS + 1, nS, nC, m->aG + nC);
    for(c = 0; c < nC; c++) {
      size_t i = r * nC + c;
      double p1 = m->aPc1[i], p2 = m->aPc2[i];
      double g1 = m->aG[c], g2 = m->aG[nC + c];
      double pcm = p1 > p2 ? p1 : p2;
      double sim = (2.0 * p1 * p2 + FSIM_T1) / (p1 * p1 + p2 * p2 + FSIM_T1) *
                   ((2.0 * g1 * g2 + FSIM_T2) / (g1 * g1 + g2 * g2 + FSIM_T2));
      if(m->aI1 != NULL) {
        double i1 = m->aI1[i], i2 = m->aI2[i];
        double q1 = m->aQ1[i], q2 = m->aQ2[i];
        double si = (2.0 * i1 * i2 + FSIM_T3) / (i1 * i1 + i2 * i2 + FSIM_T3);
        double sq = (2.0 * q1 * q2 + FSIM_T3) / (q1 * q1 + q2 * q2 + FSIM_T3);
        sim *= real_pow(si * sq);
      }
      num += sim * pcm;
      den += pcm;
    }
  }
  *pNum = num;
  *pDen = den;
}

/* FSIM (isChroma 0) or FSIMc (isChroma 1, nCh 3) of a checked input. */
static int fsim_run(const struct fsimIn *pIn, int isChroma, double *pOut)
{
  static const double aGrey[1] = {1.0};
  static const double aYw[3] = {0.299, 0.587, 0.114}; /* FeatureSIM.m */
  static const double aIw[3] = {0.596, -0.274, -0.322};
  static const double aQw[3] = {0.211, -0.523, 0.312};
  const double *aLuma = pIn->nCh == 3 ? aYw : aGrey;
  struct pcWork pc = {0};
  struct fsimMem m = {0};
  size_t minSide = pIn->w < pIn->h ? pIn->w : pIn->h;
  size_t f = (size_t)floor((double)minSide / 256.0 + 0.5); /* MATLAB round */
  size_t nR, nC, nF, n;
  double num, den;
  int rc;

  f = f < 1 ? 1 : f;
  nR = (pIn->h + f - 1) / f;
  nC = (pIn->w + f - 1) / f;
  n = nR * nC;
  nF = (nR + 2) * (nC + 2);
  m.aMem =
      calloc(2 * nF + 2 * n + 2 * nC + (isChroma ? 4 * n : 0), sizeof(double));
  if(m.aMem == NULL) {
    return QC_ERR_NOMEM;
  }
  m.aY1 = m.aMem;
  m.aY2 = m.aY1 + nF;
  m.aPc1 = m.aY2 + nF;
  m.aPc2 = m.aPc1 + n;
  m.aG = m.aPc2 + n;
  if(isChroma) {
    m.aI1 = m.aG + 2 * nC;
    m.aI2 = m.aI1 + n;
    m.aQ1 = m.aI2 + n;
    m.aQ2 = m.aQ1 + n;
    fsim_down(pIn->aRef, pIn, aIw, f, m.aI1, nR, nC, nC);
    fsim_down(pIn->aDist, pIn, aIw, f, m.aI2, nR, nC, nC);
    fsim_down(pIn->aRef, pIn, aQw, f, m.aQ1, nR, nC, nC);
    fsim_down(pIn->aDist, pIn, aQw, f, m.aQ2, nR, nC, nC);
  }
  fsim_down(pIn->aRef, pIn, aLuma, f, m.aY1 + nC + 3, nR, nC, nC + 2);
  fsim_down(pIn->aDist, pIn, aLuma, f, m.aY2 + nC + 3, nR, nC, nC + 2);
  rc = pc_work_new(nR, nC, &pc);
  if(rc == QC_OK) {
    pc_run(&pc, m.aY1 + nC + 3, nC + 2, m.aPc1);
    pc_run(&pc, m.aY2 + nC + 3, nC + 2, m.aPc2);
    fsim_sums(&m, nR, nC, &num, &den);
    /* No phase congruency anywhere (a flat image): FSIM is 0/0. */
    rc = den > 0.0 && isfinite(num / den) ? QC_OK : QC_ERR_RANGE;
  }
  if(rc == QC_OK) {
    *pOut = num / den;
  }
  pc_work_free(&pc);
  free(m.aMem);
  return rc;
}

/* FSIM; see qc.h. */
int qc_fr_fsim(const struct qc_plane *pRef, const struct qc_plane *pDist,
               double dataRange, double *pFsim)
{
  struct fsimIn in = {0};
  int rc;

  if(pFsim == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_fr_pair(pRef, pDist, FSIM_MIN_SIDE, &in.w, &in.h);
  if(rc == QC_OK) {
    rc = qc_fr_range_check(dataRange);
  }
  if(rc != QC_OK) {
    return rc;
  }
  in.aRef = pRef->a;
  in.aDist = pDist->a;
  in.nCh = 1;
  in.scale = 255.0 / dataRange;
  return fsim_run(&in, 0, pFsim);
}

/* FSIMc; see qc.h. */
int qc_fr_fsimc(const struct qc_image *pRef, const struct qc_image *pDist,
                int32_t iFrame, double dataRange, double *pFsimc)
{
  struct fsimIn in = {0};
  size_t nLen; /* Samples per frame */
  int rc;

  if(pFsimc == NULL || pRef == NULL || pDist == NULL) {
    return QC_ERR_MISUSE;
  }
  nLen = qc_image_frame_len(pRef);
  in.aRef = qc_image_frame(pRef, iFrame);
  in.aDist = qc_image_frame(pDist, iFrame);
  if(in.aRef == NULL || in.aDist == NULL || pRef->nWidth != pDist->nWidth ||
     pRef->nHeight != pDist->nHeight || pRef->nChannels != pDist->nChannels) {
    return QC_ERR_MISUSE;
  }
  if(pRef->nWidth < FSIM_MIN_SIDE || pRef->nHeight < FSIM_MIN_SIDE ||
     !qc_fr_finite(in.aRef, nLen) || !qc_fr_finite(in.aDist, nLen)) {
    return QC_ERR_RANGE;
  }
  rc = qc_fr_range_check(dataRange);
  if(rc != QC_OK) {
    return rc;
  }
  in.nCh = (size_t)pRef->nChannels;
  in.w = (size_t)pRef->nWidth;
  in.h = (size_t)pRef->nHeight;
  in.scale = 255.0 / dataRange;
  return fsim_run(&in, in.nCh == 3, pFsimc);
}
