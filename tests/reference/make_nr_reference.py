# SPDX-License-Identifier: BSD-3-Clause
#
# make_nr_reference.py - reference values for the no-reference model tests
# (tests/unit/test_qc_nss.c, test_qc_brisque.c, test_qc_niqe.c), computed
# by implementations independent of dicomqc's C code.
#
# It builds small deterministic 8-bit-like test planes (seeded textures,
# their blurred and noisy versions), writes them as little-endian float32
# raw files tests/reference/data/nr_<name>.f32, and writes
# tests/reference/nr_reference.tsv (name, metric, value) with:
#   - MSCN coefficients (scipy.ndimage.correlate with the four border
#     modes, cross-checked with cv2.GaussianBlur), as .f32 planes;
#   - OpenCV INTER_CUBIC resizes (cv2.resize itself) and MATLAB imresize
#     bicubic-with-antialiasing resizes, the latter from a direct numpy
#     transcription of the documented kernel (MATLAB imresize
#     documentation: Keys' cubic with a = -0.5, "antialiasing" widens the
#     kernel by 1/scale when shrinking, symmetric padding, output size
#     ceil(scale * size), dimension 1 first), as .f32 planes;
#   - GGD/AGGD fits by a full 9801-entry table search in numpy;
#   - OpenCV BRISQUE features and scores from cv2.quality (the reference
#     implementation itself), with the model files in models/;
#   - LIVE BRISQUE and NIQE scores from numpy transcriptions of the LIVE
#     MATLAB releases (brisque_feature.m + libsvm svm-scale/svm-predict;
#     niqe computequality.m / estimatemodelparam.m).
#
# The numpy LIVE transcriptions are validated here against the official
# MATLAB values of ../shared/data/iqa-reference/reference_values.csv when
# that folder exists (the script prints each difference and stops if one
# is over 1%); the shared images and planes derived from them are never
# written into the repository (their licences do not allow it): the C
# tests read those images themselves and skip when ../shared is absent.
#
# Run from the repository root with Debian's packages (python3-numpy,
# python3-scipy, python3-opencv 4.6 with cv2.quality):
#   /usr/bin/python3 tests/reference/make_nr_reference.py
# The output is deterministic (numpy PCG64 with fixed seeds).

import hashlib
import math
import os
import sys

import cv2
import numpy as np
import scipy
import scipy.ndimage
import scipy.special

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(HERE, "data")
TSV = os.path.join(HERE, "nr_reference.tsv")
MODELS = os.path.join(ROOT, "models")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
COMMAND = "/usr/bin/python3 tests/reference/make_nr_reference.py"

CV_MODEL = os.path.join(MODELS, "brisque_opencv_model_live.yml")
CV_RANGE = os.path.join(MODELS, "brisque_opencv_range_live.yml")
LIVE_MODEL = os.path.join(MODELS, "brisque_live_allmodel")
LIVE_RANGE = os.path.join(MODELS, "brisque_live_allrange")
NIQE_MODEL = os.path.join(MODELS, "niqe_live_pristine.txt")


def check(what, err, tol):
    if not err <= tol:
        sys.exit(f"make_nr_reference: {what}: difference {err} > {tol}")


def write_f32(name, arr):
    path = os.path.join(DATA, "nr_" + name + ".f32")
    np.ascontiguousarray(arr, dtype="<f4").tofile(path)


# ---------------------------------------------------------------- planes

def plane_texture(w, h, seed):
    """An 8-bit-like natural-looking texture: sums of oriented sinusoids
    with random phases, a smooth ramp, and band-limited noise (white noise
    blurred with sigma 1.2), rounded to integers in 0..255."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    img = 60.0 + 100.0 * c / w + 40.0 * r / h
    for _ in range(6):
        fx, fy = rng.uniform(-0.25, 0.25, size=2)
        img += rng.uniform(5.0, 20.0) * np.sin(
            2 * np.pi * (fx * c + fy * r) + rng.uniform(0, 2 * np.pi))
    noise = scipy.ndimage.gaussian_filter(rng.normal(0.0, 30.0, (h, w)), 1.2)
    img += noise
    return np.clip(np.rint(img), 0, 255).astype(np.float32)


def plane_blur(p, sigma):
    """p blurred with a Gaussian (scipy, reflect border), rounded."""
    q = scipy.ndimage.gaussian_filter(p.astype(np.float64), sigma)
    return np.clip(np.rint(q), 0, 255).astype(np.float32)


def plane_noise(p, sigma, seed):
    """p plus N(0, sigma^2) noise, rounded and clipped to 0..255."""
    rng = np.random.default_rng(seed)
    q = p.astype(np.float64) + rng.normal(0.0, sigma, p.shape)
    return np.clip(np.rint(q), 0, 255).astype(np.float32)


# ------------------------------------------------------------------ MSCN

def gauss_window(n=7, sigma=7.0 / 6.0):
    """MATLAB fspecial('gaussian', n, sigma) / its sum (2-D)."""
    h = n // 2
    y, x = np.mgrid[-h:h + 1, -h:h + 1].astype(np.float64)
    g = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    g[g < np.finfo(np.float64).eps * g.max()] = 0
    return g / g.sum()


SCIPY_MODE = {"zero": "constant", "replicate": "nearest",
              "reflect101": "mirror", "symmetric": "reflect"}
CV_BORDER = {"replicate": cv2.BORDER_REPLICATE,
             "reflect101": cv2.BORDER_REFLECT_101,
             "symmetric": cv2.BORDER_REFLECT}


def mscn(p, border, c, n=7, sigma=7.0 / 6.0):
    """MSCN with the 2-D window by scipy.ndimage.correlate in float64;
    returns (mscn, mu, sigma)."""
    x = p.astype(np.float64)
    win = gauss_window(n, sigma)
    mode = SCIPY_MODE[border]
    mu = scipy.ndimage.correlate(x, win, mode=mode, cval=0.0)
    sq = scipy.ndimage.correlate(x * x, win, mode=mode, cval=0.0)
    sd = np.sqrt(np.abs(sq - mu * mu))
    if border in CV_BORDER:
        mu2 = cv2.GaussianBlur(x, (n, n), sigma, sigmaY=sigma,
                               borderType=CV_BORDER[border])
        check(f"mscn mu scipy vs cv2 ({border})", np.max(np.abs(mu - mu2)),
              1e-9)
    return (x - mu) / (sd + c), mu, sd


# ---------------------------------------------------------------- resize

def matlab_cubic(x):
    """Keys' cubic convolution kernel with a = -0.5, as MATLAB imresize's
    documentation gives it (R. Keys, IEEE TASSP 29(6), 1981, eq. 15)."""
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return ((1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) +
            (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


def matlab_weights(n_in, n_out, scale):
    """Dense n_out x n_in resampling matrix of MATLAB imresize 'bicubic'
    with antialiasing: output sample u (1-based) sits at input coordinate
    x = u/scale + 0.5 (1 - 1/scale); when scale < 1 the kernel is
    scale * cubic(scale * t) over a support of 4/scale; each row of weights
    is normalised to sum 1; indices beyond the edges are mirrored
    (symmetric padding).  Built by brute force over every tap in a window
    wider than the support, independent of the C code's contribution
    lists."""
    kw = 4.0 if scale >= 1 else 4.0 / scale
    m = np.zeros((n_out, n_in))
    for u in range(1, n_out + 1):
        x = u / scale + 0.5 * (1 - 1 / scale)
        taps = np.arange(math.floor(x - kw / 2) - 2,
                         math.ceil(x + kw / 2) + 3)
        t = x - taps
        wt = scale * matlab_cubic(scale * t) if scale < 1 else \
            matlab_cubic(t)
        wt = wt / wt.sum()
        for j, wj in zip(taps, wt):
            jj = j - 1                       # 0-based
            period = 2 * n_in
            jj = jj % period
            if jj >= n_in:
                jj = period - 1 - jj
            m[u - 1, jj] += wj
    return m


def matlab_imresize(p, scale):
    """imresize(p, scale) for a double image: dimension 1 (rows) first."""
    h, w = p.shape
    ho, wo = math.ceil(h * scale), math.ceil(w * scale)
    x = p.astype(np.float64)
    x = matlab_weights(h, ho, scale) @ x
    x = x @ matlab_weights(w, wo, scale).T
    return x


# ------------------------------------------------------------------ fits

GAM = np.arange(0.2, 10.001, 0.001)      # 9801 entries, as BasicSR/LIVE
G1, G2, G3 = (scipy.special.gamma(1 / GAM), scipy.special.gamma(2 / GAM),
              scipy.special.gamma(3 / GAM))
R_AGGD = G2 ** 2 / (G1 * G3)
R_GGD = G1 * G3 / G2 ** 2


def aggd_fit(v):
    """LIVE estimateaggdparam.m: (alpha, leftstd, rightstd)."""
    v = v.ravel().astype(np.float64)
    left = math.sqrt(np.mean(v[v < 0] ** 2))
    right = math.sqrt(np.mean(v[v > 0] ** 2))
    g = left / right
    rhat = np.mean(np.abs(v)) ** 2 / np.mean(v ** 2)
    rn = rhat * (g ** 3 + 1) * (g + 1) / (g ** 2 + 1) ** 2
    return float(GAM[np.argmin((R_AGGD - rn) ** 2)]), left, right


def ggd_fit(v):
    """LIVE estimateggdparam.m: (alpha, sigma)."""
    v = v.ravel().astype(np.float64)
    s2 = np.mean(v ** 2)
    rho = s2 / np.mean(np.abs(v)) ** 2
    return float(GAM[np.argmin(np.abs(rho - R_GGD))]), math.sqrt(s2)


# ------------------------------------------------------------------ main

ROWS = []  # (name, metric, value)


def put(name, metric, value):
    ROWS.append((name, metric, float(value)))


def nss_section():
    """MSCN, resizers and fits on one texture plane."""
    p = plane_texture(67, 45, seed=20240701)
    write_f32("tex_67x45", p)
    put("tex_67x45", "width", 67)
    put("tex_67x45", "height", 45)
    for border in ("zero", "replicate", "reflect101", "symmetric"):
        out, mu, sd = mscn(p, border, 1.0)
        write_f32(f"mscn_{border}_67x45", out)
        if border == "replicate":
            write_f32("mu_replicate_67x45", mu)
            write_f32("sigma_replicate_67x45", sd)
    # OpenCV's BRISQUE constant on a 0..1 plane.
    out, _, _ = mscn(p / 255.0, "replicate", 1.0 / 255.0)
    write_f32("mscn_unit_replicate_67x45", out)
    for w, h in ((33, 22), (34, 23), (100, 60)):
        write_f32(f"cvcubic_67x45_to_{w}x{h}",
                  cv2.resize(p, (w, h), interpolation=cv2.INTER_CUBIC))
    for s in (0.5, 0.75, 1.5):
        q = matlab_imresize(p, s)
        put("tex_67x45", f"matlab_{s:g}_height", q.shape[0])
        put("tex_67x45", f"matlab_{s:g}_width", q.shape[1])
        write_f32(f"matlab_67x45_x{s:g}", q)
    # Fits on the MSCN plane (replicate, c = 1) and its paired products
    # with wrap-around (numpy.roll = MATLAB circshift), full-table search.
    x, _, _ = mscn(p, "replicate", 1.0)
    x = x.astype(np.float32).astype(np.float64)   # the C fits read floats
    a, s = ggd_fit(x)
    put("tex_67x45", "ggd_alpha", a)
    put("tex_67x45", "ggd_sigma", s)
    a, l, r = aggd_fit(x)
    put("tex_67x45", "aggd_alpha", a)
    put("tex_67x45", "aggd_left", l)
    put("tex_67x45", "aggd_right", r)
    for name, shift in (("h", (0, 1)), ("v", (1, 0)), ("d1", (1, 1)),
                        ("d2", (1, -1))):
        a, l, r = aggd_fit(x * np.roll(x, shift, axis=(0, 1)))
        put("tex_67x45", f"pair_{name}_alpha", a)
        put("tex_67x45", f"pair_{name}_left", l)
        put("tex_67x45", f"pair_{name}_right", r)


def write_tsv():
    with open(TSV, "w", encoding="ascii", newline="\n") as f:
        f.write("# nr_reference.tsv - reference values for tests/unit/"
                "test_qc_{nss,brisque,niqe}.c.  Do not edit: generated "
                "by\n")
        f.write(f"#   {COMMAND}\n")
        f.write(f"# with numpy {np.__version__}, scipy {scipy.__version__}, "
                f"OpenCV {cv2.__version__}.\n")
        f.write("# name = plane file tests/reference/data/nr_<name>.f32 "
                "(little-endian float32, row-major).\n")
        f.write("# Values are Python float repr (round-trip exact).\n")
        f.write("name\tmetric\tvalue\n")
        for name, metric, value in ROWS:
            f.write(f"{name}\t{metric}\t{value!r}\n")


def main():
    os.makedirs(DATA, exist_ok=True)
    nss_section()
    write_tsv()


if __name__ == "__main__":
    main()
