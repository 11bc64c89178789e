/* SPDX-License-Identifier: BSD-3-Clause
 *
 * percentile.c - exact percentiles of a float plane, numpy-compatible,
 * without sorting or copying it.
 *
 * qc_render_display() needs the 1st and 99th percentiles for its robust
 * window and qc_exposure_stats() reports them; an X-ray plane can hold
 * 4000 x 4000 samples, so sorting a copy (64 MB, O(n log n)) is avoided.
 * Instead each float is mapped to a 32-bit key whose unsigned order is the
 * float order, and the order statistics are found by a two-level radix
 * (histogram) selection: a pass counts the top 16 bits of every key, which
 * names the bucket holding each wanted rank, then one pass per distinct
 * bucket counts the low 16 bits of the keys in it.  This is the MSD radix
 * select of D. E. Knuth, TAOCP vol. 3, 2nd ed., section 5.2.5 applied to
 * selection.  Planes under NSMALL samples select in a copy of the keys
 * instead (Hoare's FIND), which is cheaper there.  The interpolation
 * between order statistics follows numpy's
 * default 'linear' method bit for bit (see qc_int.h).
 *
 * Tests: tests/unit/test_qc_exposure.c (against a naive sort-based oracle
 * and against numpy.percentile through tests/reference/qc_reference.tsv).
 */
#include "qc_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKET 65536u /* Buckets per level: 16 bits of a 32-bit key */
/* Below this many samples the histograms (2 x 512 KB to clear and scan)
 * cost more than selecting in a copy of the keys: quickselect instead. */
#define NSMALL 65536u

/* One order statistic being selected. */
struct rank {
  size_t iRank;     /* 0-based rank among the sorted samples */
  uint32_t iBucket; /* Top 16 bits of its key, found by the first pass */
  size_t iWithin;   /* Its rank among the samples of that bucket */
  uint32_t key;     /* Its full key, found by a second pass */
  int isDone;       /* 1 once key is known */
};

/* Maps a non-NaN float to a key whose unsigned order is the float order:
 * IEEE 754 binary32 is sign-magnitude, so negatives get all bits flipped
 * and non-negatives get the sign bit set (the classic radix-sort trick,
 * P. Terdiman, "Radix Sort Revisited", 2000).  -0 sorts just below +0;
 * they compare equal, so either order is a valid sort, as in numpy. */
static uint32_t float_key(float x)
{
  uint32_t u; /* Bit pattern of x */

  memcpy(&u, &x, sizeof(u));
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Inverse of float_key(). */
static float key_float(uint32_t k)
{
  uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k; /* Bits */
  float x;

  memcpy(&x, &u, sizeof(x));
  return x;
}

/* numpy's _lerp(a, b, t) (numpy/lib/function_base.py, numpy 1.24): the
 * form that starts from the nearer end, so t = 1 returns b exactly. */
static double lerp(double a, double b, double t)
{
  double diff = b - a; /* Step between the two order statistics */

  if(t >= 0.5) {
    return b - diff * (1.0 - t);
  }
  return a + diff * t;
}

/* Counts the top 16 bits of every key into aHist.  Returns QC_ERR_RANGE
 * on the first NaN sample, QC_OK otherwise. */
static int count_top(const float *a, size_t n, size_t *aHist)
{
  size_t i;

  memset(aHist, 0, NBUCKET * sizeof(*aHist));
  for(i = 0; i < n; i++) {
    if(isnan(a[i])) {
      return QC_ERR_RANGE;
    }
    aHist[float_key(a[i]) >> 16]++;
  }
  return QC_OK;
}

/* Counts the low 16 bits of the keys whose top 16 bits are iBucket. */
static void count_low(const float *a, size_t n, uint32_t iBucket,
                      size_t *aHist)
{
  size_t i;

  memset(aHist, 0, NBUCKET * sizeof(*aHist));
  for(i = 0; i < n; i++) {
    uint32_t k = float_key(a[i]); /* Key of this sample */
    if((k >> 16) == iBucket) {
      aHist[k & 0xffffu]++;
    }
  }
}

/* Finds the bucket of aHist holding rank iRank (which must be below the
 * histogram's total) and iRank's position within it. */
static void locate(const size_t *aHist, size_t iRank, uint32_t *piBucket,
                   size_t *piWithin)
{
  size_t nBelow = 0; /* Samples in buckets before b */
  uint32_t b;

  for(b = 0; b < NBUCKET - 1; b++) {
    if(iRank < nBelow + aHist[b]) {
      break;
    }
    nBelow += aHist[b];
  }
  QC_ASSERT(iRank - nBelow < aHist[b]);
  *piBucket = b;
  *piWithin = iRank - nBelow;
}

/* Fills in the key of every rank in aRank[0..nRank-1] (see the file
 * head).  aHist is scratch space of NBUCKET counts.  Returns QC_OK or
 * QC_ERR_RANGE (a NaN sample). */
static int select_ranks(const float *a, size_t n, struct rank *aRank,
                        size_t nRank, size_t *aHist)
{
  size_t i, j;
  int rc = count_top(a, n, aHist);

  if(rc != QC_OK) {
    return rc;
  }
  for(i = 0; i < nRank; i++) {
    locate(aHist, aRank[i].iRank, &aRank[i].iBucket, &aRank[i].iWithin);
    aRank[i].isDone = 0;
  }
  for(i = 0; i < nRank; i++) {
    if(aRank[i].isDone) {
      continue;
    }
    count_low(a, n, aRank[i].iBucket, aHist);
    for(j = i; j < nRank; j++) {
      uint32_t iLow; /* Low 16 bits of rank j's key */
      size_t iSame;  /* Rank among samples with that very key (unused) */
      if(aRank[j].isDone || aRank[j].iBucket != aRank[i].iBucket) {
        continue;
      }
      locate(aHist, aRank[j].iWithin, &iLow, &iSame);
      aRank[j].key = (aRank[j].iBucket << 16) | iLow;
      aRank[j].isDone = 1;
    }
  }
  return QC_OK;
}

/* Partition rounds a quickselect may take before giving up: random data
 * needs about 2 log2(n) < 40; more means a hostile order, and the caller
 * falls back to the radix selection, which is O(n) whatever the data. */
#define MAX_ROUNDS 64

/* Hoare's FIND (C. A. R. Hoare, "Algorithm 65: Find", CACM 4(7), 1961)
 * with a middle pivot: writes the key of rank iRank (0-based) of
 * aKey[0..n-1] to *pKey, searching only aKey[lo..n-1], which must hold
 * that rank (everything before lo is no greater than everything from lo
 * on).  Reorders aKey[lo..n-1] so that after it, keys before iRank are
 * no greater than *pKey and keys after it no smaller.  Returns 0, or -1
 * after MAX_ROUNDS rounds (nothing written). */
static int quickselect(uint32_t *aKey, size_t n, size_t lo, size_t iRank,
                       uint32_t *pKey)
{
  size_t hi = n - 1; /* The rank lies in aKey[lo..hi] */
  int nRound = 0;    /* Partition rounds so far */

  while(lo < hi) {
    if(++nRound > MAX_ROUNDS) {
      return -1;
    }
    uint32_t pivot = aKey[lo + (hi - lo) / 2];
    size_t i = lo, j = hi;
    while(i <= j) {
      while(aKey[i] < pivot) {
        i++;
      }
      while(aKey[j] > pivot) {
        j--;
      }
      if(i <= j) {
        uint32_t t = aKey[i];
        aKey[i] = aKey[j];
        aKey[j] = t;
        i++;
        if(j == 0) {
          break;
        }
        j--;
      }
    }
    if(iRank <= j) {
      hi = j;
    } else if(iRank >= i) {
      lo = i;
    } else {
      break;
    }
  }
  *pKey = aKey[iRank];
  return 0;
}

/* Moves the smallest of aKey[lo..n-1] (lo < n) to aKey[lo] and returns
 * it, which leaves the keys partitioned at lo as quickselect() does. */
static uint32_t min_key(uint32_t *aKey, size_t n, size_t lo)
{
  size_t iMin = lo; /* Position of the smallest so far */
  size_t i;
  uint32_t k;

  for(i = lo + 1; i < n; i++) {
    if(aKey[i] < aKey[iMin]) {
      iMin = i;
    }
  }
  k = aKey[iMin];
  aKey[iMin] = aKey[lo];
  aKey[lo] = k;
  return k;
}

/* select_ranks() for n < NSMALL: the keys in a copy, ranks taken in
 * increasing order.  Each selection leaves the keys partitioned at its
 * rank, so the next one searches only the part after it, and a rank
 * just after the previous one is the smallest key of that part (numpy's
 * linear method always asks for such pairs).  Returns QC_OK,
 * QC_ERR_NOMEM, QC_ERR_RANGE (a NaN sample) or -1 when a quickselect
 * gave up (use select_ranks()). */
static int select_small(const float *a, size_t n, struct rank *aRank,
                        size_t nRank)
{
  uint32_t *aKey = malloc(n * sizeof(*aKey));  /* Keys, reordered */
  struct rank *apOrder[2 * QC_PERCENTILE_MAX]; /* aRank by rank */
  struct rank *pPrev = NULL;                   /* Last one selected */
  size_t i, j;

  QC_ASSERT(nRank <= 2 * QC_PERCENTILE_MAX);
  if(aKey == NULL) {
    return QC_ERR_NOMEM;
  }
  for(i = 0; i < n; i++) {
    if(isnan(a[i])) {
      free(aKey);
      return QC_ERR_RANGE;
    }
    aKey[i] = float_key(a[i]);
  }
  for(i = 0; i < nRank; i++) { /* Insertion sort of a few pointers */
    for(j = i; j > 0 && apOrder[j - 1]->iRank > aRank[i].iRank; j--) {
      apOrder[j] = apOrder[j - 1];
    }
    apOrder[j] = &aRank[i];
  }
  for(i = 0; i < nRank; i++) {
    struct rank *pR = apOrder[i];
    if(pPrev != NULL && pR->iRank == pPrev->iRank) {
      pR->key = pPrev->key;
    } else if(pPrev != NULL && pR->iRank == pPrev->iRank + 1) {
      pR->key = min_key(aKey, n, pR->iRank);
    } else if(quickselect(aKey, n, pPrev ? pPrev->iRank + 1 : 0, pR->iRank,
                          &pR->key) != 0) {
      free(aKey);
      return -1;
    }
    pR->isDone = 1;
    pPrev = pR;
  }
  free(aKey);
  return QC_OK;
}

/* Percentiles as numpy.percentile(method='linear'); see qc_int.h. */
int qc_percentiles(const float *a, size_t n, const double *aQ, size_t nQ,
                   double *aOut)
{
  struct rank aRank[2 * QC_PERCENTILE_MAX]; /* Lower, upper rank per q */
  double aGamma[QC_PERCENTILE_MAX];         /* Interpolation weight per q */
  size_t *aHist = NULL;                     /* NBUCKET counts */
  size_t i;
  int rc;

  if(a == NULL || aQ == NULL || aOut == NULL || nQ < 1 ||
     nQ > QC_PERCENTILE_MAX) {
    return QC_ERR_MISUSE;
  }
  if(n == 0) {
    return QC_ERR_RANGE;
  }
  for(i = 0; i < nQ; i++) {
    /* numpy: q/100, then virtual index (n-1)*q; floor and floor+1, both
     * set to n-1 (with floor counted as -1) when the index is >= n-1. */
    double h = (double)(n - 1) * (aQ[i] / 100.0); /* Virtual index */
    if(!(aQ[i] >= 0.0 && aQ[i] <= 100.0)) {
      return QC_ERR_RANGE;
    }
    if(h >= (double)(n - 1)) {
      aRank[2 * i].iRank = n - 1;
      aRank[2 * i + 1].iRank = n - 1;
      aGamma[i] = h + 1.0;
    } else {
      aRank[2 * i].iRank = (size_t)floor(h);
      aRank[2 * i + 1].iRank = (size_t)floor(h) + 1;
      aGamma[i] = h - floor(h);
    }
  }
  rc = n < NSMALL ? select_small(a, n, aRank, 2 * nQ) : -1;
  if(rc == -1) {
    aHist = malloc(NBUCKET * sizeof(*aHist));
    if(aHist == NULL) {
      return QC_ERR_NOMEM;
    }
    rc = select_ranks(a, n, aRank, 2 * nQ, aHist);
  }
  if(rc != QC_OK) {
    goto percentiles_end;
  }
  for(i = 0; i < nQ; i++) {
    aOut[i] = lerp(key_float(aRank[2 * i].key),
                   key_float(aRank[2 * i + 1].key), aGamma[i]);
  }
percentiles_end:
  free(aHist);
  return rc;
}
