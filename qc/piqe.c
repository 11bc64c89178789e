/* SPDX-License-Identifier: BSD-3-Clause
 *
 * piqe.c - PIQE, the Perception based Image Quality Evaluator: a
 * training-free no-reference score of a 0..255 grey plane, 0 (best) to
 * 100 (worst).
 *
 * Venkatanath N., Praneeth D., Maruthi Chandrasekhar Bh., Sumohana S.
 * Channappayya, Swarup S. Medasani, "Blind Image Quality Evaluation Using
 * Perception Based Features", Twenty First National Conference on
 * Communications (NCC), 2015, computed as MATLAB's Image Processing
 * Toolbox piqe() computes it (its documentation and the published M-file
 * that implements it; the paper's symbols in brackets):
 *   1. the plane is padded at the bottom and right to a multiple of 16 by
 *      replicating its last row and column (padarray 'replicate' 'post');
 *   2. I = round(255 * im2double(image)), i.e. the 0..255 grey values
 *      rounded to integers, halves away from zero (C's round());
 *   3. MSCN coefficients Ihat = (I - mu) / (sigma + 1), mu and sigma from
 *      a 7x7 Gaussian window of standard deviation 7/6 with replicated
 *      borders (paper eq. 1-3; imgaussfilt 'FilterSize' 7, 'Padding'
 *      'replicate'), computed by qc_mscn() of qc/nss.c;
 *   4. Ihat is cut into 16x16 non-overlapping blocks; a block is active
 *      (spatially prominent) if the sample variance (divide by N-1)
 *      [nu_k] of its 256 coefficients exceeds 0.1 (paper section II-B);
 *   5. an active block shows a noticeable artefact (blocking, ringing, a
 *      sudden edge) if on any of its four edges - first and last row,
 *      first and last column - one of the 11 segments of 6 contiguous
 *      samples has a sample standard deviation below 0.1 (paper II-C.1);
 *   6. an active block is noisy if sigma_blk > 2 beta, sigma_blk the
 *      block's standard deviation and beta = |sigma_blk - r| /
 *      max(sigma_blk, r), r the ratio of the sample standard deviation of
 *      the block's centre to that of its surround (paper II-C.2, eq. 6).
 *      The centre is columns 7 and 8 (0-based), 32 samples.  The surround
 *      is what MATLAB's centerSurDev leaves after deleting column 7 and
 *      then column 8 of the already shortened block: the block without
 *      its original columns 7 and 9, 224 samples (so it holds one centre
 *      column; this keeps MATLAB's scores).  r = 0/0 counts as 0; r = x/0
 *      makes beta NaN and the block is not noisy;
 *   7. score = 100 (C1 + sum over active blocks of [artefact] (1 - nu_k)
 *      + [noise] nu_k) / (C1 + number of active blocks), C1 = 1 (paper
 *      eq. 7).  A plane with no active block (a constant one) scores 100.
 *      The score is not clamped: a block of variance above 1 that is only
 *      noisy adds more than 1, so a score above 100 can occur, as in
 *      MATLAB.
 *
 * Input: one grey plane, normally the 0..255 rendering an 8-bit model
 * sees (qc_render_model_input()).  Sample values outside 0..255 are used
 * as they are, as MATLAB uses double input.  Work memory is two float
 * copies of the padded plane, allocated once per call.  Block statistics
 * are two-pass in double; the centre and surround deviations come from
 * per-column sums of one pass over the block (columns_std()), not from
 * copies of the samples.
 *
 * Tests: tests/unit/test_qc_piqe.c
 */
#include "qc_int.h"

#include <math.h>
#include <stdlib.h>

/* Constants of MATLAB's piqe.m and of the paper (section and equation). */
#define BLOCK       16  /* Block side (blockSize) */
#define ACTIVITY_T  0.1 /* Active: variance above (II-B) */
#define IMPAIRED_T  0.1 /* Impaired segment: deviation below */
#define SEGMENT     6   /* Edge segment length (windowSize) */
#define N_SEGMENT   (BLOCK - SEGMENT + 1) /* Segments per edge: 11 */
#define CENTRE_MASK (3u << 7)   /* Centre: columns 7, 8 (0-based bits) */
#define NOT_AROUND  (5u << 7)   /* Not in the surround: columns 7, 9 */
#define GAUSS_SIDE  7           /* MSCN window side */
#define GAUSS_SIGMA (7.0 / 6.0) /* MSCN window standard deviation */
#define C_MSCN      1.0         /* Added to the local sigma (eq. 1) */
#define C_POOL      1.0         /* C1 of the pooled score (eq. 7) */

/* Step 1-2: writes the plane rounded and replicate-padded to wp x hp into
 * aOut.  Returns QC_ERR_RANGE, with aOut partly written, for a non-finite
 * sample. */
static int pad_round(const struct qc_plane *pIn, size_t wp, size_t hp,
                     float *aOut)
{
  size_t w = (size_t)pIn->nWidth; /* Input sides */
  size_t h = (size_t)pIn->nHeight;
  size_t r, c;

  for(r = 0; r < h; r++) {
    const float *pRow = pIn->a + r * w; /* Input row r */
    float *pOut = aOut + r * wp;        /* Output row r */
    for(c = 0; c < w; c++) {
      if(!isfinite(pRow[c])) {
        return QC_ERR_RANGE;
      }
      pOut[c] = (float)round((double)pRow[c]);
    }
    for(; c < wp; c++) {
      pOut[c] = pOut[w - 1];
    }
  }
  for(; r < hp; r++) {
    const float *pLast = aOut + (h - 1) * wp; /* Last input row, padded */
    float *pOut = aOut + r * wp;
    for(c = 0; c < wp; c++) {
      pOut[c] = pLast[c];
    }
  }
  return QC_OK;
}

/* Column moments of the 16x16 block at p, rows stride apart: the block
 * mean, and for each column c the sum aSum[c] of its samples and the sum
 * aDev2[c] of their squared deviations from the block mean.  Two passes
 * (like MATLAB's var and std), each over rows of 16 contiguous samples so
 * that the compiler vectorises the column loop. */
static double block_moments(const float *p, size_t stride, double aSum[BLOCK],
                            double aDev2[BLOCK])
{
  double mean = 0.0; /* Block mean */
  size_t r, c;

  for(c = 0; c < BLOCK; c++) {
    aSum[c] = 0.0;
    aDev2[c] = 0.0;
  }
  for(r = 0; r < BLOCK; r++) {
    for(c = 0; c < BLOCK; c++) {
      aSum[c] += p[r * stride + c];
    }
  }
  for(c = 0; c < BLOCK; c++) {
    mean += aSum[c];
  }
  mean /= BLOCK * BLOCK;
  for(r = 0; r < BLOCK; r++) {
    for(c = 0; c < BLOCK; c++) {
      double d = p[r * stride + c] - mean;
      aDev2[c] += d * d;
    }
  }
  return mean;
}

/* Sample standard deviation (N-1) of the columns of a block flagged in
 * mask (bit c for column c), from block_moments()'s output: with n
 * samples of mean m in the set and the block mean mb, the set's sum of
 * squared deviations is sum(aDev2) - n (m - mb)^2 (exact algebra; taking
 * deviations from mb first keeps the cancellation small). */
static double columns_std(const double *aSum, const double *aDev2, double mean,
                          unsigned mask)
{
  double sum = 0.0, dev2 = 0.0; /* Sums over the flagged columns */
  double n = 0.0;               /* Samples in the set */
  double m, ss;                 /* Set mean, sum of squared deviations */
  size_t c;

  for(c = 0; c < BLOCK; c++) {
    if(mask & (1u << c)) {
      sum += aSum[c];
      dev2 += aDev2[c];
      n += BLOCK;
    }
  }
  QC_ASSERT(n >= 2.0);
  m = sum / n;
  ss = dev2 - n * (m - mean) * (m - mean);
  return ss > 0.0 ? sqrt(ss / (n - 1.0)) : 0.0;
}

/* 1 if one of the N_SEGMENT windows of SEGMENT samples of the edge that
 * starts at p, samples step apart, has a sample standard deviation (N-1,
 * two-pass) below IMPAIRED_T (step 5). */
static int edge_impaired(const float *p, size_t step)
{
  size_t k, i;

  for(k = 0; k < N_SEGMENT; k++) {
    const float *pSeg = p + k * step; /* First sample of segment k */
    double mean = 0.0, ss = 0.0;
    for(i = 0; i < SEGMENT; i++) {
      mean += pSeg[i * step];
    }
    mean /= SEGMENT;
    for(i = 0; i < SEGMENT; i++) {
      double d = pSeg[i * step] - mean;
      ss += d * d;
    }
    if(sqrt(ss / (SEGMENT - 1)) < IMPAIRED_T) {
      return 1;
    }
  }
  return 0;
}

/* Step 5 for the block at p: 1 if any of its four edges (top row, right
 * column, bottom row, left column) is impaired. */
static int block_artefact(const float *p, size_t stride)
{
  return edge_impaired(p, 1) || edge_impaired(p + BLOCK - 1, stride) ||
         edge_impaired(p + (BLOCK - 1) * stride, 1) ||
         edge_impaired(p, stride);
}

/* Step 6 for a block of sample variance var > 0 and the moments of
 * block_moments(): 1 if noisy. */
static int block_noisy(const double *aSum, const double *aDev2, double mean,
                       double var)
{
  const unsigned all = (1u << BLOCK) - 1u; /* Every column */
  double sigma = sqrt(var);                /* Block standard deviation */
  double sdCentre = columns_std(aSum, aDev2, mean, CENTRE_MASK);
  double sdSurround = columns_std(aSum, aDev2, mean, all & ~NOT_AROUND);
  double ratio, beta; /* r and beta of paper eq. 6 */

  if(sdSurround == 0.0) {
    /* MATLAB: 0/0 is NaN, replaced by 0; x/0 is Inf, beta = Inf/Inf is
     * NaN and sigma > 2 beta is false. */
    if(sdCentre != 0.0) {
      return 0;
    }
    ratio = 0.0;
  } else {
    ratio = sdCentre / sdSurround;
  }
  beta = fabs(sigma - ratio) / fmax(sigma, ratio);
  return sigma > 2.0 * beta;
}

/* Steps 4-7 on the MSCN plane aMscn of wp x hp (multiples of BLOCK):
 * fills *pCount and returns the score. */
static double pool_blocks(const float *aMscn, size_t wp, size_t hp,
                          struct qc_piqe_blocks *pCount)
{
  double dist = 0.0; /* Sum of the distorted blocks' scores */
  size_t r, c;

  pCount->nBlock = (int32_t)((wp / BLOCK) * (hp / BLOCK));
  pCount->nActive = 0;
  pCount->nArtefact = 0;
  pCount->nNoise = 0;
  for(r = 0; r < hp; r += BLOCK) {
    for(c = 0; c < wp; c += BLOCK) {
      const float *p = aMscn + r * wp + c; /* Block's first sample */
      double aSum[BLOCK], aDev2[BLOCK];    /* Column moments */
      double mean = block_moments(p, wp, aSum, aDev2);
      double var = 0.0; /* Sample variance of the block */
      size_t k;
      for(k = 0; k < BLOCK; k++) {
        var += aDev2[k];
      }
      var /= BLOCK * BLOCK - 1;
      if(!(var > ACTIVITY_T)) {
        continue;
      }
      pCount->nActive++;
      if(block_artefact(p, wp)) {
        pCount->nArtefact++;
        dist += 1.0 - var;
      }
      if(block_noisy(aSum, aDev2, mean, var)) {
        pCount->nNoise++;
        dist += var;
      }
    }
  }
  return 100.0 * (dist + C_POOL) / (C_POOL + pCount->nActive);
}

/* PIQE score of a grey plane; see qc.h. */
int qc_piqe(const struct qc_plane *pIn, double *pScore,
            struct qc_piqe_blocks *pBlocks)
{
  struct qc_piqe_blocks count; /* Block counts of this call */
  struct qc_plane padded;      /* Rounded, padded plane */
  float *aWork = NULL;         /* Padded plane, then the MSCN plane */
  size_t n, wp, hp;            /* Input samples; padded sides */
  double score;
  int rc;

  if(pScore == NULL) {
    return QC_ERR_MISUSE;
  }
  rc = qc_plane_len(pIn, &n);
  if(rc != QC_OK) {
    return rc;
  }
  if(pIn->nWidth > QC_MAX_SIDE || pIn->nHeight > QC_MAX_SIDE) {
    return QC_ERR_RANGE;
  }
  wp = ((size_t)pIn->nWidth + BLOCK - 1) / BLOCK * BLOCK;
  hp = ((size_t)pIn->nHeight + BLOCK - 1) / BLOCK * BLOCK;
  if(wp > SIZE_MAX / sizeof(float) / 2 / hp) {
    return QC_ERR_RANGE;
  }
  aWork = malloc(2 * wp * hp * sizeof(float));
  if(aWork == NULL) {
    return QC_ERR_NOMEM;
  }
  rc = pad_round(pIn, wp, hp, aWork);
  if(rc != QC_OK) {
    goto piqe_end;
  }
  padded.a = aWork;
  padded.nWidth = (int32_t)wp;
  padded.nHeight = (int32_t)hp;
  rc = qc_mscn(&padded, GAUSS_SIDE, GAUSS_SIGMA, QC_BORDER_REPLICATE, C_MSCN,
               aWork + wp * hp, NULL, NULL);
  if(rc != QC_OK) {
    goto piqe_end;
  }
  score = pool_blocks(aWork + wp * hp, wp, hp, &count);
  if(!isfinite(score)) {
    rc = QC_ERR_RANGE;
    goto piqe_end;
  }
  *pScore = score;
  if(pBlocks != NULL) {
    *pBlocks = count;
  }
piqe_end:
  free(aWork);
  return rc;
}
