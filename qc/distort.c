/* SPDX-License-Identifier: BSD-3-Clause
 *
 * distort.c - the graded distortions of `dicomqc eval`: one frame of a
 * decoded image degraded at a level L = 0 (none) .. 4 (severe), so that
 * the evaluation can check that quality scores fall as L rises.  Every
 * random draw comes from the seed alone; the definitions below are the
 * contract that tests/reference/make_distort_reference.py transcribes in
 * numpy/SciPy to produce the reference outputs.
 *
 * Notation: the frame has W columns, H rows and C channels (1 or 3),
 * x its samples (modality units), [dmin, dmax] the image's detector
 * range, R = p99 - p01 and mean the 1st/99th percentiles (numpy's
 * 'linear' method, qc_percentiles()) and the arithmetic mean of all W H C
 * samples of the frame.  Scales: s = max(1, min(W,H)/512) (X-ray, MR),
 * s_f = max(1, min(W,H)/570) (fundus); divisions are real.  Each channel
 * is processed alike and on its own.
 *
 *   blur          Gaussian, sigma = 0.75 L s px, scipy.ndimage's
 *                 gaussian_filter: kernel exp(-x^2 / (2 sigma^2)) on
 *                 x = -r..r, r = (int)(4 sigma + 0.5) (truncate = 4),
 *                 normalised to sum 1; rows (vertical) first, then
 *                 columns, in double, each output formed as
 *                 k0 x0 + sum_j kj (x_j + x_-j) as SciPy's correlate1d.
 *   noise         x + sigma n, n ~ N(0,1) one per sample; sigma = 4 L for
 *                 RGB images (C = 3: fundus photographs, 0..255), else
 *                 0.01 L R (X-ray: 1% of the used range per level).
 *   underexpose   lower dose d = 2^-L at the same brightness:
 *                 x + sigma(x) n, sigma(x) = sigma0 sqrt(2^L - 1)
 *                 sqrt(max(x - dmin, 0) / (mean - dmin)) (0 when
 *                 mean <= dmin), sigma0 = max(Immerkaer noise sigma of
 *                 the frame (of its luminance when C = 3), 0.002 R);
 *                 quantum noise variance grows as 1/d - 1 and with the
 *                 signal (Poisson).
 *   overexpose    min(dmax, dmin + (x - dmin)(1 + 0.25 L)).
 *   motion        per channel: the 2-D DFT F of the plane (qc/fr_fft.c);
 *                 k-space row ky (a phase-encoding line; the phase is
 *                 encoded along the columns, readout along the rows) is
 *                 "moved" when its uniform draw u_ky < 0.3, and a moved
 *                 row is multiplied by exp(-2 pi i k D / W), k the signed
 *                 readout index (k for k < ceil(W/2), else k - W, as
 *                 numpy.fft.fftfreq), D = 0.75 L px; the output is
 *                 |inverse DFT| / (W H).  Ghosts repeat vertically.
 *                 qc_distort() has no header, so the axis is fixed.
 *   rician        sqrt((x + sigma n1)^2 + (sigma n2)^2), sigma =
 *                 0.02 L p99 (Rician noise of a magnitude image).
 *   defocus       uniform disk: the mean over the offsets (dx, dy),
 *                 integers with dx^2 + dy^2 <= rho^2 (in double),
 *                 rho = 1.5 L s_f px (scipy.ndimage.correlate with that
 *                 normalised kernel).
 *   illumination  x g, g = 1 + 0.15 L (1 - 2u), u = (c/(W-1) + r/(H-1))/2
 *                 at column c, row r: brighter top-left, darker
 *                 bottom-right.
 *   darken        x (1 - 0.18 L).
 *
 * Borders (blur, defocus) are scipy.ndimage's 'reflect' (d c b a | a b c
 * d), extended periodically with period 2n when a kernel is wider than
 * the plane.  Every value is formed in double, then rounded half away
 * from zero when every sample of the input frame is an integer, then
 * clamped to [dmin, dmax], then stored as float.  Level 0 is an exact
 * copy of the frame (no rounding or clamping).
 *
 * Random numbers: splitmix64 (G. Steele, D. Lea, C. Flood, "Fast
 * splittable pseudorandom number generators", OOPSLA 2014; constants of
 * S. Vigna's public-domain splitmix64.c) with its state set to the seed.
 * A uniform is (z >> 11) 2^-53 in [0, 1).  Normals come in Box-Muller
 * pairs (G. E. P. Box, M. E. Muller, Ann. Math. Stat. 29(2):610-611,
 * 1958): u1 = ((z1 >> 11) + 1) 2^-53 in (0, 1], u2 = (z2 >> 11) 2^-53,
 * rho = sqrt(-2 log u1), t = 2 pi u2; the pair gives rho cos t, then
 * rho sin t.  Draw order: noise and underexpose take one normal per
 * sample, rician two (n1 then n2), in raster order with channels
 * interleaved (sample index (r W + c) C + ch); motion takes H uniforms,
 * one per k-space row from ky = 0, shared by the channels.  Other kinds
 * draw nothing (the seed does not matter).
 *
 * Memory: the output image, plus one working block per call bounded by
 * the frame (blur: W H doubles and a padded line; defocus: a padded
 * prefix-sum plane, (H + 2 rho)(W + 2 rho + 1) doubles; motion: W H
 * complex doubles and two FFT plans; underexpose of RGB: a luminance
 * plane), plus qc_percentiles()'s histogram.
 *
 * Tests: tests/unit/test_qc_distort.c against
 * tests/reference/make_distort_reference.py.
 */
#include "qc_int.h"

#include "fr_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Smallest side qc_distort() accepts. */
#define DIST_MIN_SIDE 16

/* Highest level. */
#define DIST_MAX_LEVEL 4

/* Gaussian kernel half-width in sigmas (scipy's truncate default). */
#define DIST_TRUNCATE 4.0

/* Probability that a k-space line is moved (motion). */
#define DIST_MOTION_P 0.3

/* The frame being distorted and what every kind needs to know of it. */
struct dist_in {
  const struct qc_image *pImg; /* The image */
  int32_t iFrame;              /* The frame's index */
  const float *a;              /* First sample of the frame */
  size_t nW;                   /* Columns */
  size_t nH;                   /* Rows */
  size_t nC;                   /* Channels, 1 or 3 */
  size_t n;                    /* Samples, nW nH nC */
  int level;                   /* 1..4 */
  double dmin;                 /* Detector minimum, finite */
  double dmax;                 /* Detector maximum, finite, >= dmin */
  int isInt; /* 1 if every input sample is an integer: round */
};

/* splitmix64 state plus the second normal of a Box-Muller pair. */
struct dist_rng {
  uint64_t state; /* splitmix64 state, starts at the seed */
  int hasSpare;   /* 1 if spare holds an unused normal */
  double spare;   /* rho sin t of the last pair */
};

/* Next 64 random bits (splitmix64). */
static uint64_t rng_next(struct dist_rng *p)
{
  uint64_t z;

  p->state += 0x9e3779b97f4a7c15u;
  z = p->state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_unit(struct dist_rng *p)
{
  return (double)(rng_next(p) >> 11) * 0x1p-53;
}

/* Standard normal by Box-Muller (file head). */
static double rng_normal(struct dist_rng *p)
{
  double u1, u2, rho, t;

  if(p->hasSpare) {
    p->hasSpare = 0;
    return p->spare;
  }
  u1 = ((double)(rng_next(p) >> 11) + 1.0) * 0x1p-53;
  u2 = rng_unit(p);
  rho = sqrt(-2.0 * log(u1));
  t = 2.0 * QC_PI * u2;
  p->spare = rho * sin(t);
  p->hasSpare = 1;
  return rho * cos(t);
}

/* The stored value of a distorted sample: rounded half away from zero
 * for integer input, clamped to the detector range, as float. */
static float dist_finish(const struct dist_in *p, double v)
{
  if(p->isInt) {
    v = round(v);
  }
  if(v < p->dmin) {
    v = p->dmin;
  }
  if(v > p->dmax) {
    v = p->dmax;
  }
  return (float)v;
}

/* Index i mapped into 0..n-1 by scipy.ndimage's 'reflect' border
 * (d c b a | a b c d), periodic with period 2n. */
static size_t dist_reflect(ptrdiff_t i, size_t n)
{
  ptrdiff_t p = 2 * (ptrdiff_t)n;
  ptrdiff_t m = i % p;

  if(m < 0) {
    m += p;
  }
  return (size_t)(m < (ptrdiff_t)n ? m : p - 1 - m);
}

/* Percentiles 1 and 99 of the frame's samples into aP[0], aP[1]. */
static int dist_p01_p99(const struct dist_in *p, double *aP)
{
  static const double aQ[2] = {1.0, 99.0};

  return qc_percentiles(p->a, p->n, aQ, 2, aP);
}

/* Gaussian blur (file head).  aOut receives the frame. */
static int dist_gauss(const struct dist_in *p, double sigma, float *aOut)
{
  size_t nW = p->nW, nH = p->nH, nC = p->nC;
  size_t nR = (size_t)(DIST_TRUNCATE * sigma + 0.5); /* Kernel radius */
  double *aBlock; /* One allocation: kernel, plane, padded line */
  double *aK;     /* nR + 1 weights, aK[j] for offset +-j */
  double *aTmp;   /* nW nH: the vertical pass of one channel */
  double *aLine;  /* nW + 2 nR: one padded row of aTmp */
  size_t *aCol;   /* nW + 2 nR: reflected column of each padded index */
  double sum = 0.0;
  size_t j, r, c, ch;

  QC_ASSERT(sigma > 0.0);
  aBlock = malloc(((nR + 1) + nW * nH + (nW + 2 * nR)) * sizeof(double) +
                  (nW + 2 * nR) * sizeof(size_t));
  if(aBlock == NULL) {
    return QC_ERR_NOMEM;
  }
  aK = aBlock;
  aTmp = aK + nR + 1;
  aLine = aTmp + nW * nH;
  aCol = (size_t *)(void *)(aLine + nW + 2 * nR);
  for(j = 0; j <= nR; j++) {
    aK[j] = exp(-0.5 / (sigma * sigma) * (double)(j * j));
    sum += j == 0 ? aK[j] : 2.0 * aK[j];
  }
  for(j = 0; j <= nR; j++) {
    aK[j] /= sum;
  }
  for(j = 0; j < nW + 2 * nR; j++) {
    aCol[j] = dist_reflect((ptrdiff_t)j - (ptrdiff_t)nR, nW);
  }
  for(ch = 0; ch < nC; ch++) {
    for(r = 0; r < nH; r++) { /* Vertical: along each column */
      double *pT = aTmp + r * nW;
      const float *pRow = p->a + r * nW * nC + ch;
      for(c = 0; c < nW; c++) {
        pT[c] = aK[0] * (double)pRow[c * nC];
      }
      for(j = 1; j <= nR; j++) {
        const float *pUp =
            p->a + dist_reflect((ptrdiff_t)r - (ptrdiff_t)j, nH) * nW * nC +
            ch;
        const float *pDn =
            p->a + dist_reflect((ptrdiff_t)(r + j), nH) * nW * nC + ch;
        for(c = 0; c < nW; c++) {
          pT[c] += ((double)pDn[c * nC] + (double)pUp[c * nC]) * aK[j];
        }
      }
    }
    for(r = 0; r < nH; r++) { /* Horizontal: along each row */
      const double *pT = aTmp + r * nW;
      for(j = 0; j < nW + 2 * nR; j++) {
        aLine[j] = pT[aCol[j]];
      }
      for(c = 0; c < nW; c++) {
        const double *pL = aLine + c + nR; /* Centre */
        double v = aK[0] * pL[0];
        for(j = 1; j <= nR; j++) {
          v += (pL[j] + pL[-(ptrdiff_t)j]) * aK[j];
        }
        aOut[(r * nW + c) * nC + ch] = dist_finish(p, v);
      }
    }
  }
  free(aBlock);
  return QC_OK;
}

/* Uniform disk (defocus) blur of radius rho (file head), by running sums
 * along the rows of the reflect-padded plane. */
static int dist_disk(const struct dist_in *p, double rho, float *aOut)
{
  size_t nW = p->nW, nH = p->nH, nC = p->nC;
  size_t nR = (size_t)floor(rho); /* Rows of the disk above the centre */
  size_t nPW = nW + 2 * nR + 1;   /* Prefix row length */
  size_t nPH = nH + 2 * nR;       /* Padded rows */
  double *aS;      /* nPH x nPW prefix sums of the padded rows */
  size_t *aHalf;   /* nR + 1 half-widths of the disk rows |dy| */
  size_t *aCol;    /* nPW - 1 reflected columns */
  double nTap = 0; /* Offsets in the disk */
  size_t i, j, r, c, ch;

  QC_ASSERT(rho >= 1.0);
  aS = malloc(nPH * nPW * sizeof(double) + (nR + 1 + nPW) * sizeof(size_t));
  if(aS == NULL) {
    return QC_ERR_NOMEM;
  }
  aHalf = (size_t *)(void *)(aS + nPH * nPW);
  aCol = aHalf + nR + 1;
  for(i = 0; i <= nR; i++) { /* Largest dx with dx^2 + dy^2 <= rho^2 */
    size_t dx = 0;
    while((double)((dx + 1) * (dx + 1) + i * i) <= rho * rho) {
      dx++;
    }
    aHalf[i] = dx;
    nTap += (double)(2 * dx + 1) * (i == 0 ? 1.0 : 2.0);
  }
  for(j = 0; j + 1 < nPW; j++) {
    aCol[j] = dist_reflect((ptrdiff_t)j - (ptrdiff_t)nR, nW);
  }
  for(ch = 0; ch < nC; ch++) {
    for(i = 0; i < nPH; i++) {
      const float *pRow =
          p->a + dist_reflect((ptrdiff_t)i - (ptrdiff_t)nR, nH) * nW * nC + ch;
      double *pS = aS + i * nPW;
      pS[0] = 0.0;
      for(j = 0; j + 1 < nPW; j++) {
        pS[j + 1] = pS[j] + (double)pRow[aCol[j] * nC];
      }
    }
    for(r = 0; r < nH; r++) {
      for(c = 0; c < nW; c++) {
        double v = 0.0;
        size_t x = c + nR; /* Centre column in padded coordinates */
        for(i = 0; i <= 2 * nR; i++) {
          size_t dx = aHalf[i < nR ? nR - i : i - nR];
          const double *pS = aS + (r + i) * nPW;
          v += pS[x + dx + 1] - pS[x - dx];
        }
        aOut[(r * nW + c) * nC + ch] = dist_finish(p, v / nTap);
      }
    }
  }
  free(aS);
  return QC_OK;
}

/* Motion ghosting (file head). */
static int dist_motion(const struct dist_in *p, uint64_t seed, float *aOut)
{
  size_t nW = p->nW, nH = p->nH, nC = p->nC;
  double d = 0.75 * (double)p->level; /* Shift of a moved line, px */
  struct dist_rng rng = {seed, 0, 0.0};
  struct qc_fft *pPlanW = NULL, *pPlanH = NULL;
  double *aF;            /* 2 nW nH: k-space, row-major, re/im pairs */
  double *aPhase;        /* 2 nW: exp(-2 pi i k d / W) */
  unsigned char *aMoved; /* nH: 1 if k-space row ky is moved */
  double scale = 1.0 / ((double)nW * (double)nH);
  size_t k, r, c, ch;
  int rc;

  aF = malloc((2 * nW * nH + 2 * nW) * sizeof(double) + nH);
  if(aF == NULL) {
    return QC_ERR_NOMEM;
  }
  aPhase = aF + 2 * nW * nH;
  aMoved = (unsigned char *)(aPhase + 2 * nW);
  rc = qc_fft_new(nW, &pPlanW);
  if(rc == QC_OK) {
    rc = qc_fft_new(nH, &pPlanH);
  }
  if(rc != QC_OK) {
    goto motion_end;
  }
  for(k = 0; k < nW; k++) {
    double ks = k < (nW + 1) / 2 ? (double)k : (double)k - (double)nW;
    double t = -2.0 * QC_PI * ks * d / (double)nW;
    aPhase[2 * k] = cos(t);
    aPhase[2 * k + 1] = sin(t);
  }
  for(r = 0; r < nH; r++) {
    aMoved[r] = rng_unit(&rng) < DIST_MOTION_P;
  }
  for(ch = 0; ch < nC; ch++) {
    for(k = 0; k < nW * nH; k++) {
      aF[2 * k] = (double)p->a[k * nC + ch];
      aF[2 * k + 1] = 0.0;
    }
    for(r = 0; r < nH; r++) {
      qc_fft_run(pPlanW, aF + 2 * r * nW, 1, 0);
    }
    for(c = 0; c < nW; c++) {
      qc_fft_run(pPlanH, aF + 2 * c, nW, 0);
    }
    for(r = 0; r < nH; r++) {
      double *pRow = aF + 2 * r * nW;
      if(!aMoved[r]) {
        continue;
      }
      for(k = 0; k < nW; k++) {
        double xr = pRow[2 * k], xi = pRow[2 * k + 1];
        double wr = aPhase[2 * k], wi = aPhase[2 * k + 1];
        pRow[2 * k] = xr * wr - xi * wi;
        pRow[2 * k + 1] = xr * wi + xi * wr;
      }
    }
    for(c = 0; c < nW; c++) {
      qc_fft_run(pPlanH, aF + 2 * c, nW, 1);
    }
    for(r = 0; r < nH; r++) {
      qc_fft_run(pPlanW, aF + 2 * r * nW, 1, 1);
    }
    for(k = 0; k < nW * nH; k++) {
      aOut[k * nC + ch] =
          dist_finish(p, hypot(aF[2 * k], aF[2 * k + 1]) * scale);
    }
  }
motion_end:
  qc_fft_free(pPlanW);
  qc_fft_free(pPlanH);
  free(aF);
  return rc;
}

/* Lower dose at the same brightness (file head). */
static int dist_underexpose(const struct dist_in *p, uint64_t seed,
                            float *aOut)
{
  struct dist_rng rng = {seed, 0, 0.0};
  double aP[2];      /* p01, p99 */
  double sigma0;     /* Noise of the frame, modality units */
  double mean = 0.0; /* Mean of the frame */
  double den;        /* mean - dmin */
  double gain;       /* sigma0 sqrt(2^L - 1) */
  struct qc_plane plane = {p->a, (int32_t)p->nW, (int32_t)p->nH};
  float *aLuma = NULL; /* Luminance when nC = 3 */
  size_t i;
  int rc;

  rc = dist_p01_p99(p, aP);
  if(rc != QC_OK) {
    return rc;
  }
  if(p->nC == 3) {
    aLuma = malloc(p->nW * p->nH * sizeof(float));
    if(aLuma == NULL) {
      return QC_ERR_NOMEM;
    }
    rc = qc_image_luma(p->pImg, p->iFrame, aLuma);
    plane.a = aLuma;
  }
  if(rc == QC_OK) {
    rc = qc_noise_immerkaer(&plane, &sigma0);
  }
  free(aLuma);
  if(rc != QC_OK) {
    return rc;
  }
  if(sigma0 < 0.002 * (aP[1] - aP[0])) {
    sigma0 = 0.002 * (aP[1] - aP[0]);
  }
  for(i = 0; i < p->n; i++) {
    mean += p->a[i];
  }
  mean /= (double)p->n;
  den = mean - p->dmin;
  gain = sigma0 * sqrt(ldexp(1.0, p->level) - 1.0);
  for(i = 0; i < p->n; i++) {
    double x = p->a[i];
    double z = rng_normal(&rng);
    double s = 0.0; /* sigma(x) */
    if(den > 0.0) {
      s = gain * sqrt((x > p->dmin ? x - p->dmin : 0.0) / den);
    }
    aOut[i] = dist_finish(p, x + s * z);
  }
  return QC_OK;
}

/* The kinds that draw normals or map each sample alone: noise, rician,
 * overexpose, illumination, darken. */
static int dist_pointwise(const struct dist_in *p, enum qc_distortion kind,
                          uint64_t seed, float *aOut)
{
  struct dist_rng rng = {seed, 0, 0.0};
  double L = (double)p->level;
  double sigma = 0.0; /* noise, rician */
  double aP[2];
  size_t i, r, c, ch;
  int rc;

  if(kind == QC_DIST_NOISE && p->nC == 3) {
    sigma = 4.0 * L;
  } else if(kind == QC_DIST_NOISE || kind == QC_DIST_RICIAN) {
    rc = dist_p01_p99(p, aP);
    if(rc != QC_OK) {
      return rc;
    }
    sigma =
        kind == QC_DIST_NOISE ? 0.01 * L * (aP[1] - aP[0]) : 0.02 * L * aP[1];
  }
  switch(kind) {
  case QC_DIST_NOISE:
    for(i = 0; i < p->n; i++) {
      aOut[i] = dist_finish(p, (double)p->a[i] + sigma * rng_normal(&rng));
    }
    break;
  case QC_DIST_RICIAN:
    for(i = 0; i < p->n; i++) {
      double n1 = rng_normal(&rng);
      double n2 = rng_normal(&rng);
      double re = (double)p->a[i] + sigma * n1, im = sigma * n2;
      aOut[i] = dist_finish(p, sqrt(re * re + im * im));
    }
    break;
  case QC_DIST_OVEREXPOSE:
    for(i = 0; i < p->n; i++) {
      double v = p->dmin + ((double)p->a[i] - p->dmin) * (1.0 + 0.25 * L);
      aOut[i] = dist_finish(p, v < p->dmax ? v : p->dmax);
    }
    break;
  case QC_DIST_ILLUMINATION:
    for(r = 0; r < p->nH; r++) {
      for(c = 0; c < p->nW; c++) {
        double u = ((double)c / (double)(p->nW - 1) +
                    (double)r / (double)(p->nH - 1)) /
                   2.0;
        double g = 1.0 + 0.15 * L * (1.0 - 2.0 * u);
        for(ch = 0; ch < p->nC; ch++) {
          i = (r * p->nW + c) * p->nC + ch;
          aOut[i] = dist_finish(p, (double)p->a[i] * g);
        }
      }
    }
    break;
  case QC_DIST_DARKEN:
    for(i = 0; i < p->n; i++) {
      aOut[i] = dist_finish(p, (double)p->a[i] * (1.0 - 0.18 * L));
    }
    break;
  default:
    QC_ASSERT(0);
    return QC_ERR_MISUSE;
  }
  return QC_OK;
}

/* Name of a distortion; see qc.h. */
const char *qc_distortion_name(enum qc_distortion kind)
{
  switch(kind) {
  case QC_DIST_BLUR:
    return "blur";
  case QC_DIST_NOISE:
    return "noise";
  case QC_DIST_UNDEREXPOSE:
    return "underexpose";
  case QC_DIST_OVEREXPOSE:
    return "overexpose";
  case QC_DIST_MOTION:
    return "motion";
  case QC_DIST_RICIAN:
    return "rician";
  case QC_DIST_DEFOCUS:
    return "defocus";
  case QC_DIST_ILLUMINATION:
    return "illumination";
  case QC_DIST_DARKEN:
    return "darken";
  }
  return NULL;
}

/* Distorts frame iFrame of pIn into a new one-frame image; see qc.h and
 * the file head. */
int qc_distort(const struct qc_image *pIn, int32_t iFrame,
               enum qc_distortion kind, int level, uint64_t seed,
               struct qc_image **ppOut)
{
  struct dist_in in;
  struct qc_image *pOut;
  double minSide; /* min(W, H) */
  size_t i;
  int rc = QC_OK;

  if(pIn == NULL || ppOut == NULL) {
    return QC_ERR_MISUSE;
  }
  in.a = qc_image_frame(pIn, iFrame);
  if(in.a == NULL || qc_distortion_name(kind) == NULL || level < 0 ||
     level > DIST_MAX_LEVEL) {
    return QC_ERR_MISUSE;
  }
  if(pIn->nWidth < DIST_MIN_SIDE || pIn->nHeight < DIST_MIN_SIDE ||
     !isfinite(pIn->detectorMin) || !isfinite(pIn->detectorMax) ||
     pIn->detectorMin > pIn->detectorMax) {
    return QC_ERR_RANGE;
  }
  in.pImg = pIn;
  in.iFrame = iFrame;
  in.nW = (size_t)pIn->nWidth;
  in.nH = (size_t)pIn->nHeight;
  in.nC = (size_t)pIn->nChannels;
  in.n = in.nW * in.nH * in.nC;
  in.level = level;
  in.dmin = pIn->detectorMin;
  in.dmax = pIn->detectorMax;
  in.isInt = 1;
  for(i = 0; i < in.n; i++) {
    float v = in.a[i];
    if(!isfinite(v)) {
      return QC_ERR_RANGE;
    }
    if(floorf(v) != v) {
      in.isInt = 0;
    }
  }
  pOut = qc_image_new(pIn->nWidth, pIn->nHeight, pIn->nChannels, 1);
  if(pOut == NULL) {
    return QC_ERR_NOMEM;
  }
  pOut->rowSpacing = pIn->rowSpacing;
  pOut->colSpacing = pIn->colSpacing;
  pOut->bitsStored = pIn->bitsStored;
  pOut->isSigned = pIn->isSigned;
  pOut->detectorMin = pIn->detectorMin;
  pOut->detectorMax = pIn->detectorMax;
  pOut->hasWindow = pIn->hasWindow;
  pOut->windowCenter = pIn->windowCenter;
  pOut->windowWidth = pIn->windowWidth;
  minSide = (double)(in.nW < in.nH ? in.nW : in.nH);
  if(level == 0) {
    memcpy(pOut->aPixel, in.a, in.n * sizeof(float));
  } else if(kind == QC_DIST_BLUR) {
    double s = minSide / 512.0 > 1.0 ? minSide / 512.0 : 1.0;
    rc = dist_gauss(&in, 0.75 * (double)level * s, pOut->aPixel);
  } else if(kind == QC_DIST_DEFOCUS) {
    double s = minSide / 570.0 > 1.0 ? minSide / 570.0 : 1.0;
    rc = dist_disk(&in, 1.5 * (double)level * s, pOut->aPixel);
  } else if(kind == QC_DIST_MOTION) {
    rc = dist_motion(&in, seed, pOut->aPixel);
  } else if(kind == QC_DIST_UNDEREXPOSE) {
    rc = dist_underexpose(&in, seed, pOut->aPixel);
  } else {
    rc = dist_pointwise(&in, kind, seed, pOut->aPixel);
  }
  if(rc != QC_OK) {
    qc_image_free(pOut);
    return rc;
  }
  *ppOut = pOut;
  return QC_OK;
}
