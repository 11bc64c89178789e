# SPDX-License-Identifier: BSD-3-Clause
#
# make_fr_reference.py - reference values for the full-reference metrics of
# qc/fr*.c (MSE, PSNR, SSIM, MS-SSIM, GMSD, FSIM, FSIMc, VIFp), computed
# by implementations independent of dicomqc's C code, and written to
# tests/reference/fr_reference.tsv for tests/unit/test_qc_fr.c.
#
# Test planes.  No plane is committed: each is generated from a seed by
# integer arithmetic only (splitmix64 draws, integer interpolation,
# clamping), which tests/unit/test_qc_fr.c repeats bit for bit in C, so
# both sides see the same float32 samples.  The TSV carries a checksum of
# every plane (sum of v[i] * (i % 1009 + 1)) that the C test checks before
# it trusts a value.  See scene(), distort() and scene12() below for the
# exact recipe; it is the contract with the C test.
#
# Implementations used (and cross-checks; the script stops when two
# implementations disagree beyond the stated tolerance):
#   MSE, PSNR   scikit-image metrics; checked against OpenCV's
#               cv2.quality.QualityMSE / QualityPSNR.
#   SSIM        scikit-image structural_similarity(gaussian_weights=True,
#               sigma=1.5, use_sample_covariance=False, data_range=L)
#               (the form the issue names); checked against ssim_maps()
#               below (scipy correlate2d 'valid', Wang et al. 2004 eq. 13).
#   MS-SSIM     ms_ssim() below, written from Wang, Simoncelli and Bovik,
#               "Multi-scale structural similarity for image quality
#               assessment", Asilomar 2003, and the authors' msssim.m
#               (5 scales, weights 0.0448 0.2856 0.3001 0.2363 0.1333,
#               2x2 mean with symmetric padding then every second sample);
#               every scale's SSIM is checked against scikit-image.
#   GMSD        OpenCV's cv2.quality.QualityGMSD (float64 input), the
#               variant qc/fr.c follows; checked against gmsd_np() below.
#   FSIM        fsim() below, written from Zhang, Zhang, Mou and Zhang,
#               "FSIM: a feature similarity index for image quality
#               assessment", IEEE TIP 20(8):2378-2386, 2011, and the
#               authors' FeatureSIM.m (phase congruency after Kovesi's
#               phasecong2, numpy.fft).  No second implementation is
#               installed; with ../shared present the script checks its
#               FSIMc against the authors' MATLAB values on five TID2013
#               pairs (ResultsCalibra results_official.csv).
#   VIFp        vifp() below, the pixel-domain multi-scale VIF of the LIVE
#               release vifp_mscale.m (H. R. Sheikh and A. C. Bovik,
#               "Image information and visual quality", IEEE TIP
#               15(2):430-444, 2006); checked against vifp_sep(), a second
#               numpy form with separable scipy.ndimage filters.
# The metrics run on the float32 planes cast to float64.
#
# Run from the repository root with Debian's packages (python3-numpy,
# python3-scipy, python3-skimage, python3-opencv):
#   /usr/bin/python3 tests/reference/make_fr_reference.py
# With ../shared/data/iqa-reference present it also prints the published
# values (OpenCV's tests, TID2013 official MATLAB values) next to these
# implementations' values on those images, and writes the values this
# script computes on the TID2013 pairs (scalars only, never planes) as
# rows tid2013_<image> so the C test can check the C code on real images.

import csv
import math
import os
import sys

import cv2
import numpy as np
import scipy
import scipy.ndimage
import scipy.signal
import skimage
from skimage.metrics import (mean_squared_error, peak_signal_noise_ratio,
                             structural_similarity)

HERE = os.path.dirname(os.path.abspath(__file__))
TSV = os.path.join(HERE, "fr_reference.tsv")
SHARED = os.path.join(HERE, "..", "..", "..", "shared", "data",
                      "iqa-reference")
COMMAND = "/usr/bin/python3 tests/reference/make_fr_reference.py"
MASK64 = (1 << 64) - 1


def check(what, err, tol):
    if not err <= tol:
        sys.exit(f"make_fr_reference: {what}: difference {err} > {tol}")


# ------------------------------------------------------------ test planes

class SplitMix64:
    """splitmix64 (Steele, Lea, Flood, OOPSLA 2014; Vigna's constants), the
    generator of tests/unit/test_util.h tu_rand()."""

    def __init__(self, seed):
        self.s = seed & MASK64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def draws(self, n, shift):
        return np.array([self.next() >> shift for _ in range(n)],
                        dtype=np.int64)


def bilinear(grid, cell, w, h):
    """Integer bilinear interpolation of grid (rows x cols) with cells of
    `cell` pixels: sum of the 4 corners times (cell-f) or f weights, then
    floor division by cell^2 (all operands non-negative)."""
    y, x = np.mgrid[0:h, 0:w]
    cy, fy = y // cell, y % cell
    cx, fx = x // cell, x % cell
    s = (grid[cy, cx] * (cell - fx) * (cell - fy) +
         grid[cy, cx + 1] * fx * (cell - fy) +
         grid[cy + 1, cx] * (cell - fx) * fy +
         grid[cy + 1, cx + 1] * fx * fy)
    return s // (cell * cell)


def scene(w, h, seed):
    """An 8-bit test scene, integers 0..255.  Draw order (one generator):
    a coarse grid of (h/16+2) x (w/16+2) values d>>56, row-major; a fine
    grid of (h/4+2) x (w/4+2) values d>>58; then one d>>60 per pixel,
    row-major.  v = 3c/4 + f/2 + n + 8 - 16 (c, f interpolated), clamped
    to 0..255; inside the disk centred (2w/5, h/2) of radius min(w,h)/4,
    v = v/2 + 110; the rectangle x in [3w/4, 3w/4 + w/8), y in [h/8,
    h/8 + h/4) is 240.  Divisions truncate (operands >= 0)."""
    g = SplitMix64(seed)
    ncx, ncy = w // 16 + 2, h // 16 + 2
    coarse = g.draws(ncx * ncy, 56).reshape(ncy, ncx)
    nfx, nfy = w // 4 + 2, h // 4 + 2
    fine = g.draws(nfx * nfy, 58).reshape(nfy, nfx)
    noise = g.draws(w * h, 60).reshape(h, w)
    c = bilinear(coarse, 16, w, h)
    f = bilinear(fine, 4, w, h)
    v = np.clip((c * 3) // 4 + f // 2 + noise + 8 - 16, 0, 255)
    y, x = np.mgrid[0:h, 0:w]
    dx, dy = x - (2 * w) // 5, y - h // 2
    r = min(w, h) // 4
    disk = dx * dx + dy * dy < r * r
    v = np.where(disk, v // 2 + 110, v)
    rect = ((x >= (3 * w) // 4) & (x < (3 * w) // 4 + w // 8) &
            (y >= h // 8) & (y < h // 8 + h // 4))
    return np.where(rect, 240, v).astype(np.int64)


def distort(v, kind, seed=0):
    """Integer distortions of an 8-bit scene (see the C twin):
    noise     v + d>>59 - 16 per pixel (row-major draws), clamped 0..255
    blur      [1 2 1]x[1 2 1] binomial, edges replicated, (sum + 8) >> 4
    quant     (v / 32) * 32 + 16
    contrast  (3 v) / 4 + 40
    shift     v[y][min(x + 1, w - 1)]"""
    h, w = v.shape
    if kind == "noise":
        d = SplitMix64(seed).draws(w * h, 59).reshape(h, w)
        return np.clip(v + d - 16, 0, 255)
    if kind == "blur":
        p = np.pad(v, 1, mode="edge")
        k = np.array([1, 2, 1])
        s = sum(k[i] * k[j] * p[i:i + h, j:j + w]
                for i in range(3) for j in range(3))
        return (s + 8) >> 4
    if kind == "quant":
        return (v // 32) * 32 + 16
    if kind == "contrast":
        return (3 * v) // 4 + 40
    if kind == "shift":
        return v[:, np.minimum(np.arange(w) + 1, w - 1)]
    raise ValueError(kind)


def scene12(v, seed):
    """A 12-bit version of a scene: 16 v + d>>60 (row-major draws)."""
    h, w = v.shape
    return v * 16 + SplitMix64(seed).draws(w * h, 60).reshape(h, w)


def noise12(v, seed):
    """12-bit noise: v + d>>55 - 256 per pixel, clamped 0..4095."""
    h, w = v.shape
    d = SplitMix64(seed).draws(w * h, 55).reshape(h, w)
    return np.clip(v + d - 256, 0, 4095)


def checksum(v):
    """sum of v[i] * (i % 1009 + 1) over the row-major samples: exact in a
    double (< 2^53 for the planes here)."""
    flat = v.reshape(-1).astype(np.int64)
    return int(np.sum(flat * (np.arange(flat.size) % 1009 + 1)))


# ---------------------------------------------------------------- metrics

def gauss1d(sigma, radius):
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-0.5 * x * x / (sigma * sigma))
    return g / g.sum()


def ssim_maps(x, y, L):
    """Wang et al. 2004 eq. 13 with an 11x11 Gaussian (sigma 1.5) window,
    'valid' positions only (scipy correlate2d): the SSIM and CS maps."""
    g = gauss1d(1.5, 5)
    win = np.outer(g, g)

    def f(a):
        return scipy.signal.correlate2d(a, win, mode="valid")
    c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
    mx, my = f(x), f(y)
    sxx = f(x * x) - mx * mx
    syy = f(y * y) - my * my
    sxy = f(x * y) - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    return (2 * mx * my + c1) / (mx * mx + my * my + c1) * cs, cs


def ssim_sk(x, y, L):
    return structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, data_range=L)


def ssim(x, y, L):
    s = ssim_sk(x, y, L)
    check("ssim: skimage vs correlate2d", abs(s - ssim_maps(x, y, L)[0]
                                             .mean()), 1e-12)
    return s


MSSSIM_W = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def half_msssim(a):
    """msssim.m: imfilter(a, ones(2)/4, 'symmetric', 'same'), then
    a(1:2:end, 1:2:end): mean of the 2x2 block at (2i, 2j), the row and
    column past the end repeating the last one."""
    p = np.pad(a, ((0, 1), (0, 1)), mode="symmetric")
    s = (p[:-1, :-1] + p[1:, :-1] + p[:-1, 1:] + p[1:, 1:]) / 4.0
    return s[0::2, 0::2]


def ms_ssim(x, y, L):
    """Wang 2003 MS-SSIM: prod_{j<5} cs_j^w_j * ssim_5^w_5; a negative
    factor counts as 0 (as TensorFlow's ssim_multiscale clamps), where
    msssim.m would give a complex number."""
    mcs = []
    for j in range(5):
        s, cs = ssim_maps(x, y, L)
        check(f"ms-ssim scale {j}: correlate2d vs skimage",
              abs(s.mean() - ssim_sk(x, y, L)), 1e-12)
        if j < 4:
            mcs.append(cs.mean())
            x, y = half_msssim(x), half_msssim(y)
    v = max(s.mean(), 0.0) ** MSSSIM_W[4]
    for j in range(4):
        v *= max(mcs[j], 0.0) ** MSSSIM_W[j]
    return v


def gmsd_np(x, y, L):
    """OpenCV's QualityGMSD (opencv_contrib modules/quality/src/
    qualitygmsd.cpp) in numpy on planes scaled to 0..255: 2x2 box mean
    anchored at the top-left with zero border (cv::blur, Point(0,0),
    BORDER_CONSTANT), every second sample of cvRound(h/2) x cvRound(w/2)
    (cv::resize 0.5, INTER_NEAREST; cvRound rounds half to even),
    Prewitt/3 'same' with zero border, T = 170, population std."""
    def grad(a):
        a = a * (255.0 / L)
        h, w = a.shape
        p = np.pad(a, ((0, 1), (0, 1)))
        b = (p[:-1, :-1] + p[1:, :-1] + p[:-1, 1:] + p[1:, 1:]) / 4.0
        nh, nw = int(np.rint(h * 0.5)), int(np.rint(w * 0.5))
        b = np.pad(b, ((0, 1), (0, 1)))
        d = np.pad(b[0:2 * nh:2, 0:2 * nw:2], 1)
        gx = (d[:-2, 2:] + d[1:-1, 2:] + d[2:, 2:] -
              d[:-2, :-2] - d[1:-1, :-2] - d[2:, :-2]) / 3.0
        gy = (d[2:, :-2] + d[2:, 1:-1] + d[2:, 2:] -
              d[:-2, :-2] - d[:-2, 1:-1] - d[:-2, 2:]) / 3.0
        return np.sqrt(gx * gx + gy * gy)
    g1, g2 = grad(x), grad(y)
    q = (2 * g1 * g2 + 170.0) / (g1 * g1 + g2 * g2 + 170.0)
    return float(np.std(q))


def gmsd(x, y, L):
    s = 255.0 / L
    v = cv2.quality.QualityGMSD_compute(x * s, y * s)[0][0]
    check("gmsd: cv2 vs numpy", abs(v - gmsd_np(x, y, L)), 1e-9)
    return v


def conv2_same(a, k):
    """MATLAB conv2(a, k, 'same'): the full convolution's central part,
    starting at index floor(size(k)/2)."""
    full = scipy.signal.convolve2d(a, k, mode="full")
    r0, c0 = k.shape[0] // 2, k.shape[1] // 2
    return full[r0:r0 + a.shape[0], c0:c0 + a.shape[1]]


def centred_range(m):
    """phasecong2's xrange/yrange: m samples normalised to +-0.5."""
    if m % 2:
        return np.arange(-(m - 1) / 2, (m - 1) / 2 + 1) / (m - 1)
    return np.arange(-m / 2, m / 2) / m


def phasecong2(im):
    """Kovesi's phase congruency as FeatureSIM.m embeds it (phasecong2):
    4 scales (wavelengths 6, 12, 24, 48), 4 orientations, log-Gabor
    sigmaOnf 0.55, angular spread pi/4/1.2, Butterworth low-pass 0.45
    order 15, noise threshold k = 2 from the median of the smallest
    scale's energy, divided by 1.7.  A pixel where every filter response
    is 0 gets PC 0 (MATLAB gives 0/0 there)."""
    nscale, norient = 4, 4
    rows, cols = im.shape
    imagefft = np.fft.fft2(im)
    x, y = np.meshgrid(centred_range(cols), centred_range(rows))
    radius = np.fft.ifftshift(np.sqrt(x * x + y * y))
    theta = np.fft.ifftshift(np.arctan2(-y, x))
    radius[0, 0] = 1.0
    sint, cost = np.sin(theta), np.cos(theta)
    lp = np.fft.ifftshift(1.0 / (1.0 + (np.sqrt(x * x + y * y) / 0.45)
                                 ** 30))
    loggabor = []
    for s in range(nscale):
        fo = 1.0 / (6.0 * 2.0 ** s)
        lg = np.exp(-np.log(radius / fo) ** 2 /
                    (2 * math.log(0.55) ** 2)) * lp
        lg[0, 0] = 0.0
        loggabor.append(lg)
    thetasigma = math.pi / norient / 1.2
    energy_all = np.zeros((rows, cols))
    an_all = np.zeros((rows, cols))
    for o in range(norient):
        angl = o * math.pi / norient
        ds = sint * math.cos(angl) - cost * math.sin(angl)
        dc = cost * math.cos(angl) + sint * math.sin(angl)
        spread = np.exp(-np.arctan2(ds, dc) ** 2 / (2 * thetasigma ** 2))
        eo, ifft_filt = [], []
        sum_e = np.zeros((rows, cols))
        sum_o = np.zeros((rows, cols))
        sum_an = np.zeros((rows, cols))
        for s in range(nscale):
            filt = loggabor[s] * spread
            ifft_filt.append(np.real(np.fft.ifft2(filt)) *
                             math.sqrt(rows * cols))
            e = np.fft.ifft2(imagefft * filt)
            eo.append(e)
            sum_an += np.abs(e)
            sum_e += e.real
            sum_o += e.imag
            if s == 0:
                em_n = np.sum(filt ** 2)
        xenergy = np.sqrt(sum_e ** 2 + sum_o ** 2) + 1e-4
        mean_e, mean_o = sum_e / xenergy, sum_o / xenergy
        energy = np.zeros((rows, cols))
        for e in eo:
            energy += (e.real * mean_e + e.imag * mean_o -
                       np.abs(e.real * mean_o - e.imag * mean_e))
        mean_e2n = -np.median(np.abs(eo[0]) ** 2) / math.log(0.5)
        noise_power = mean_e2n / em_n
        sum_an2 = sum(np.sum(f * f) for f in ifft_filt)
        sum_aiaj = sum(np.sum(ifft_filt[i] * ifft_filt[j])
                       for i in range(nscale) for j in range(i + 1, nscale))
        est2 = 2 * noise_power * sum_an2 + 4 * noise_power * sum_aiaj
        tau = math.sqrt(est2 / 2)
        t = (tau * math.sqrt(math.pi / 2) +
             2.0 * math.sqrt((2 - math.pi / 2) * tau ** 2)) / 1.7
        energy_all += np.maximum(energy - t, 0.0)
        an_all += sum_an
    safe = np.where(an_all > 0, an_all, 1.0)
    return np.where(an_all > 0, energy_all / safe, 0.0)


def fsim_planes(y1, y2, chroma=None):
    """FeatureSIM.m on luminance planes y1, y2 (0..255 scale) and, for
    FSIMc, chroma = (i1, i2, q1, q2).  Returns FSIM (or FSIMc)."""
    rows, cols = y1.shape
    f = max(1, int(math.floor(min(rows, cols) / 256.0 + 0.5)))
    k = np.ones((f, f)) / (f * f)

    def down(a):
        return conv2_same(a, k)[0:rows:f, 0:cols:f]
    y1, y2 = down(y1), down(y2)
    pc1, pc2 = phasecong2(y1), phasecong2(y2)
    dx = np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]]) / 16.0
    dy = dx.T
    g1 = np.sqrt(conv2_same(y1, dx) ** 2 + conv2_same(y1, dy) ** 2)
    g2 = np.sqrt(conv2_same(y2, dx) ** 2 + conv2_same(y2, dy) ** 2)
    pcs = (2 * pc1 * pc2 + 0.85) / (pc1 ** 2 + pc2 ** 2 + 0.85)
    gs = (2 * g1 * g2 + 160.0) / (g1 ** 2 + g2 ** 2 + 160.0)
    pcm = np.maximum(pc1, pc2)
    sim = gs * pcs
    if chroma is not None:
        i1, i2, q1, q2 = (down(a) for a in chroma)
        isim = (2 * i1 * i2 + 200.0) / (i1 ** 2 + i2 ** 2 + 200.0)
        qsim = (2 * q1 * q2 + 200.0) / (q1 ** 2 + q2 ** 2 + 200.0)
        sim = sim * np.real(np.power((isim * qsim).astype(complex), 0.03))
    return float(np.sum(sim * pcm) / np.sum(pcm))


def fsim(x, y, L):
    return fsim_planes(x * (255.0 / L), y * (255.0 / L))


def yiq(rgb):
    """FeatureSIM.m's Y, I, Q of an RGB float image (0..255)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return (0.299 * r + 0.587 * g + 0.114 * b,
            0.596 * r - 0.274 * g - 0.322 * b,
            0.211 * r - 0.523 * g + 0.312 * b)


def fsimc(rgb1, rgb2, L):
    y1, i1, q1 = yiq(rgb1 * (255.0 / L))
    y2, i2, q2 = yiq(rgb2 * (255.0 / L))
    return fsim_planes(y1, y2, (i1, i2, q1, q2))


def vif_window(n):
    """fspecial('gaussian', n, n/5) as a 1-D factor (the 2-D window is its
    outer product; fspecial's eps cut-off never applies at these sizes)."""
    return gauss1d(n / 5.0, n // 2)


def vifp_core(ref, dist, filt):
    """vifp_mscale.m with filt(a, n) = 'valid' filtering by the n x n
    window; sigma_n^2 = 2, eps 1e-10."""
    num = den = 0.0
    for scale in range(1, 5):
        n = 2 ** (4 - scale + 1) + 1
        if scale > 1:
            ref = filt(ref, n)[::2, ::2]
            dist = filt(dist, n)[::2, ::2]
        mu1, mu2 = filt(ref, n), filt(dist, n)
        s1 = filt(ref * ref, n) - mu1 * mu1
        s2 = filt(dist * dist, n) - mu2 * mu2
        s12 = filt(ref * dist, n) - mu1 * mu2
        s1[s1 < 0] = 0
        s2[s2 < 0] = 0
        g = s12 / (s1 + 1e-10)
        sv = s2 - g * s12
        m = s1 < 1e-10
        g[m], sv[m], s1[m] = 0, s2[m], 0
        m = s2 < 1e-10
        g[m], sv[m] = 0, 0
        m = g < 0
        sv[m], g[m] = s2[m], 0
        sv[sv <= 1e-10] = 1e-10
        num += np.sum(np.log10(1 + g * g * s1 / (sv + 2.0)))
        den += np.sum(np.log10(1 + s1 / 2.0))
    return num / den


def vifp_np(ref, dist, L):
    def filt(a, n):
        g = vif_window(n)
        return scipy.signal.correlate2d(a, np.outer(g, g), mode="valid")
    return vifp_core(ref * (255.0 / L), dist * (255.0 / L), filt)


def vifp_sep(ref, dist, L):
    def filt(a, n):
        g, r = vif_window(n), n // 2
        a = scipy.ndimage.correlate1d(a, g, axis=0, mode="constant")
        a = scipy.ndimage.correlate1d(a, g, axis=1, mode="constant")
        return a[r:a.shape[0] - r, r:a.shape[1] - r]
    return vifp_core(ref * (255.0 / L), dist * (255.0 / L), filt)


def vifp(ref, dist, L):
    v = vifp_np(ref, dist, L)
    check("vifp: correlate2d vs separable", abs(v - vifp_sep(ref, dist, L)),
          1e-9)
    return v


def mse_psnr(x, y, L):
    mse = mean_squared_error(x, y)
    check("mse: skimage vs cv2", abs(mse - cv2.quality.QualityMSE_compute(
        x, y)[0][0]), 1e-9 * (1 + mse))
    if mse == 0:
        return mse, math.inf
    psnr = peak_signal_noise_ratio(x, y, data_range=L)
    check("psnr: skimage vs cv2", abs(psnr - cv2.quality.QualityPSNR_compute(
        x, y, maxPixelValue=L)[0][0]), 1e-9)
    return mse, psnr


def all_metrics(x, y, L, sizes=("all",)):
    """Every metric that fits the plane size: dict name -> value."""
    h, w = x.shape
    out = {}
    out["mse"], out["psnr"] = mse_psnr(x, y, L)
    if min(h, w) >= 11:
        out["ssim"] = ssim(x, y, L)
    if min(h, w) >= 176:
        out["ms_ssim"] = ms_ssim(x, y, L)
    if min(h, w) >= 3:
        out["gmsd"] = gmsd(x, y, L)
    if min(h, w) >= 8:
        out["fsim"] = fsim(x, y, L)
    if min(h, w) >= 41:
        out["vif"] = vifp(x, y, L)
    return out


# -------------------------------------------------------------- the cases

# name -> (width, height, scene seed, distortion, distortion seed, 12-bit)
# Repeated in tests/unit/test_qc_fr.c (aCase); the TSV's width, height
# and checksums let the C test detect a mismatch.
CASES = {
    "noise_203x181": (203, 181, 1001, "noise", 2001, False),
    "blur_203x181": (203, 181, 1001, "blur", 0, False),
    "quant_203x181": (203, 181, 1001, "quant", 0, False),
    "contrast_203x181": (203, 181, 1001, "contrast", 0, False),
    "shift_203x181": (203, 181, 1001, "shift", 0, False),
    "noise_400x384": (400, 384, 1002, "noise", 2002, False),
    "blur_176x190": (176, 190, 1003, "blur", 0, False),
    "noise12_203x181": (203, 181, 1004, "noise12", 2004, True),
    "noise_64x48": (64, 48, 1005, "noise", 2005, False),
    "blur_41x41": (41, 41, 1006, "blur", 0, False),
    "noise_11x11": (11, 11, 1007, "noise", 2007, False),
    "quant_8x9": (8, 9, 1008, "quant", 0, False),
}


def case_planes(spec):
    w, h, seed, kind, dseed, is12 = spec
    v = scene(w, h, seed)
    if is12:
        ref = scene12(v, seed + 7)
        return ref, noise12(ref, dseed), 4095.0
    return v, distort(v, kind, dseed), 255.0


def rgb_case():
    """The FSIMc case: an RGB pair built from three scenes (R, G, B
    seeds 1101..1103) and the same distortions per channel (noise seeds
    2101..2103) at 96x80."""
    ref = np.stack([scene(96, 80, 1101 + c) for c in range(3)], axis=-1)
    dist = np.stack([distort(ref[..., c], "noise", 2101 + c)
                     for c in range(3)], axis=-1)
    return ref, dist


# ------------------------------------------------------- published values

def shared_checks(rows):
    """Prints published values beside this script's implementations on
    the shared images, and adds this script's values on the TID2013
    pairs (grey: MATLAB rgb2gray rounded to uint8) to rows."""
    if not os.path.isdir(SHARED):
        print(f"SKIP published values: {SHARED} not present")
        return
    d = os.path.join(SHARED, "opencv_extra_testdata")
    a = cv2.imread(os.path.join(d, "rock_1.bmp"), cv2.IMREAD_GRAYSCALE)
    b = cv2.imread(os.path.join(d, "rock_2.bmp"), cv2.IMREAD_GRAYSCALE)
    a, b = a.astype(np.float64), b.astype(np.float64)
    print("rock_1 vs rock_2 (OpenCV tests: MSE 2136.0525 PSNR 14.8347 "
          "SSIM 0.1501 GMSD 0.2393)")
    vals = all_metrics(a, b, 255.0)
    print("  " + " ".join(f"{k} {v:.6f}" for k, v in vals.items()))
    for k, v in vals.items():
        rows.append(("opencv_rock", k, v))
    a = cv2.imread(os.path.join(d, "RubberWhale1.png")).astype(np.float64)
    b = cv2.imread(os.path.join(d, "RubberWhale2.png")).astype(np.float64)
    print("RubberWhale1 vs 2 per channel B;G;R (OpenCV tests: MSE "
          "92.8235;109.4104;121.4 PSNR 28.4542;27.7402;27.2886 SSIM "
          "0.7541;0.7742;0.8095 GMSD 0.0942;0.1016;0.0995)")
    for c in range(3):
        vals = all_metrics(a[..., c], b[..., c], 255.0)
        print(f"  {'BGR'[c]}: " +
              " ".join(f"{k} {v:.6f}" for k, v in vals.items()))
        for k, v in vals.items():
            rows.append((f"opencv_rubberwhale_{'BGR'[c]}", k, v))
    t = os.path.join(SHARED, "tid2013_calibration")
    official = {}
    with open(os.path.join(t, "results_official.csv")) as f:
        for row in csv.reader(f):
            official[row[0]] = row[1:]
    print("TID2013 (official MATLAB values from results_official.csv)")
    for i, n in enumerate(("I03", "I04", "I06", "I08", "I19")):
        ref = cv2.imread(os.path.join(t, "ref_dir", n + ".bmp"))
        dis = cv2.imread(os.path.join(t, "dist_dir", n + ".bmp"))
        ref = ref[..., ::-1].astype(np.float64)   # RGB
        dis = dis[..., ::-1].astype(np.float64)
        g1, g2 = rgb2gray_matlab(ref), rgb2gray_matlab(dis)
        vals = all_metrics(g1, g2, 255.0)
        vals["fsimc"] = fsimc(ref, dis, 255.0)
        # The official PSNR is skimage's on the RGB images (all samples).
        vals["psnr_rgb"] = peak_signal_noise_ratio(ref, dis, data_range=255)
        print(f"  {n}: " + " ".join(
            f"{k} {v:.6f}" + (f" (official {official[k][i]})"
                              if k in official else "") +
            (f" (official {official['psnr'][i]})" if k == "psnr_rgb"
             else "")
            for k, v in vals.items() if k != "fsim") +
            f" fsim(grey) {vals['fsim']:.6f}" +
            f" (official fsim = FSIMc {official['fsim'][i]})")
        for k, v in vals.items():
            rows.append((f"tid2013_{n}", k, v))


def rgb2gray_matlab(rgb):
    """MATLAB rgb2gray on uint8: 0.298936021293775 R + 0.587043074451121
    G + 0.114020904255103 B, rounded to uint8."""
    return np.round(0.298936021293775 * rgb[..., 0] +
                    0.587043074451121 * rgb[..., 1] +
                    0.114020904255103 * rgb[..., 2])


# ------------------------------------------------------------------- main

def main():
    rows = []
    for name, spec in CASES.items():
        ref, dist, L = case_planes(spec)
        rows.append((name, "width", spec[0]))
        rows.append((name, "height", spec[1]))
        rows.append((name, "data_range", L))
        rows.append((name, "checksum_ref", checksum(ref)))
        rows.append((name, "checksum_dist", checksum(dist)))
        x, y = ref.astype(np.float32).astype(np.float64), \
            dist.astype(np.float32).astype(np.float64)
        for k, v in all_metrics(x, y, L).items():
            rows.append((name, k, v))
        # Identical planes: the values the metrics promise (ssim 1 ...).
        if name == "noise_203x181":
            for k, v in all_metrics(x, x, L).items():
                rows.append(("same_203x181", k, v))
    ref, dist = rgb_case()
    for c in range(3):
        rows.append(("rgb_96x80", f"checksum_ref_{c}", checksum(ref[..., c])))
        rows.append(("rgb_96x80", f"checksum_dist_{c}",
                     checksum(dist[..., c])))
    x, y = ref.astype(np.float64), dist.astype(np.float64)
    rows.append(("rgb_96x80", "fsimc", fsimc(x, y, 255.0)))
    lum = [yiq(a)[0].astype(np.float32).astype(np.float64) for a in (x, y)]
    rows.append(("rgb_96x80", "fsim_luma", fsim(lum[0], lum[1], 255.0)))
    shared_checks(rows)

    with open(TSV, "w", encoding="ascii", newline="\n") as f:
        f.write("# fr_reference.tsv - reference values for tests/unit/"
                "test_qc_fr.c.  Do not edit: generated by\n")
        f.write(f"#   {COMMAND}\n")
        f.write(f"# with numpy {np.__version__}, scipy {scipy.__version__}, "
                f"scikit-image {skimage.__version__}, OpenCV "
                f"{cv2.__version__}.\n")
        f.write("# Planes are generated, not stored: see the script.  "
                "Values are Python float repr (round-trip exact);\n")
        f.write("# tid2013_* rows are this script's values on the shared "
                "TID2013 pairs (present only when ../shared was).\n")
        f.write("name\tmetric\tvalue\n")
        for name, metric, value in rows:
            f.write(f"{name}\t{metric}\t{float(value)!r}\n")


if __name__ == "__main__":
    main()
