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
# When ../shared/data exists the script also prints the numpy LIVE
# transcriptions' scores on the five TID2013 images beside the official
# MATLAB values.  They agree to 0.01% where every 7x7 window has some
# texture (I03, I04; NIQE also I06), and differ by up to 10% on images
# with flat (constant) windows, where the MSCN coefficients are rounding
# noise (|x| ~ 1e-14) whose signs decide the positive and negative counts
# of the AGGD fits: each implementation's summation order gives its own
# noise (see tests/unit/test_qc_brisque.c).  The generated planes here
# have no flat window, so on them every implementation agrees to
# rounding.  The shared images and planes derived from them are never
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

def plane_texture(w, h, seed, beta=1.2, std=45.0):
    """An 8-bit 'natural' texture: Gaussian noise shaped to the 1/f^beta
    amplitude spectrum of natural scenes (D. J. Field, JOSA A 4(12),
    1987; beta about 1..1.2), mean 128, standard deviation std, rounded
    and clipped to 0..255.  BRISQUE and NIQE rank it as they rank natural
    images: clean better than its blurred or noisy versions."""
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    spec = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / \
        f ** beta
    spec[0, 0] = 0.0
    img = np.fft.irfft2(spec, s=(h, w))
    img = 128.0 + std * img / img.std()
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



# ------------------------------------------------- LIVE BRISQUE (numpy)

def load_libsvm_model(path):
    """libsvm text model: (gamma, rho, coef[n], sv[n, 36])."""
    lines = open(path, encoding="ascii").read().split("\n")
    i = lines.index("SV")
    hdr = dict(line.split(" ", 1) for line in lines[:i])
    coef, sv = [], []
    for line in lines[i + 1:]:
        if not line.strip():
            continue
        t = line.split()
        coef.append(float(t[0]))
        v = np.zeros(36)
        for kv in t[1:]:
            k, x = kv.split(":")
            v[int(k) - 1] = float(x)
        sv.append(v)
    return float(hdr["gamma"]), float(hdr["rho"]), np.array(coef), \
        np.array(sv)


def load_libsvm_range(path):
    """svm-scale range file: (lower, upper, min[36], max[36])."""
    lines = open(path, encoding="ascii").read().split("\n")
    assert lines[0] == "x"
    lo, up = map(float, lines[1].split())
    mn, mx = np.zeros(36), np.zeros(36)
    for line in lines[2:]:
        if line.strip():
            i, a, b = line.split()
            mn[int(i) - 1], mx[int(i) - 1] = float(a), float(b)
    return lo, up, mn, mx


def live_brisque_features(img):
    """LIVE brisque_feature.m: filter2 'same' (zero border), c = 1, GGD of
    MSCN, AGGD of circshift paired products, imresize(0.5) for scale 2."""
    f = []
    for _ in range(2):
        x, _, _ = mscn(img, "zero", 1.0)
        a, s = ggd_fit(x)
        f += [a, s * s]
        for sh in ((0, 1), (1, 0), (1, 1), (-1, 1)):
            a, l, r = aggd_fit(x * np.roll(x, sh, axis=(0, 1)))
            g1, g2, g3 = (math.gamma(k / a) for k in (1, 2, 3))
            f += [a, (r - l) * (g2 / g1) * math.sqrt(g1) / math.sqrt(g3),
                  l * l, r * r]
        img = matlab_imresize(img, 0.5)
    return np.array(f)


def live_brisque_score(f):
    """brisquescore.m's text pipeline: features written with '%f', then
    svm-scale -r allrange (scaled values printed with '%g'), then
    svm-predict with allmodel (epsilon-SVR, RBF), in double."""
    gamma, rho, coef, sv = load_libsvm_model(LIVE_MODEL)
    lo, up, mn, mx = load_libsvm_range(LIVE_RANGE)
    f = np.array([float("%f" % v) for v in f])
    x = np.where(f == mn, lo, np.where(f == mx, up,
                                       lo + (up - lo) * (f - mn) / (mx - mn)))
    x = np.array([float("%g" % v) for v in x])
    return float(coef @ np.exp(-gamma * np.sum((sv - x) ** 2, axis=1)) - rho)


# --------------------------------------------------------- NIQE (numpy)

def load_niqe_model(path):
    """dicomqc NIQE model text: (mu[36], cov[36, 36])."""
    lines = [ln for ln in open(path, encoding="ascii").read().split("\n")
             if ln and not ln.startswith("#")]
    i = lines.index("mu 36")
    mu = np.array([float(v) for v in lines[i + 1].split()])
    assert lines[i + 2] == "cov 36 36"
    cov = np.array([[float(v) for v in ln.split()]
                    for ln in lines[i + 3:i + 39]])
    return mu, cov


def niqe_block_features(x):
    """LIVE computefeature.m on one block of MSCN samples (18 values)."""
    a, l, r = aggd_fit(x)
    k = math.sqrt(math.gamma(1 / a) / math.gamma(3 / a))
    f = [a, (l * k + r * k) / 2]
    for sh in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a, l, r = aggd_fit(x * np.roll(x, sh, axis=(0, 1)))
        k = math.sqrt(math.gamma(1 / a) / math.gamma(3 / a))
        bl, br = l * k, r * k
        f += [a, (br - bl) * math.gamma(2 / a) / math.gamma(1 / a), bl, br]
    return f


def niqe_features(img, bs=96):
    """LIVE computequality.m / estimatemodelparam.m: per 96x96 block the
    36 features (2 scales, imfilter 'replicate', c = 1, imresize 0.5) and
    the sharpness (mean scale-1 sigma)."""
    h, w = img.shape
    nby, nbx = h // bs, w // bs
    img = img[:nby * bs, :nbx * bs].astype(np.float64)
    feats, sharp = [], None
    for scale in (1, 2):
        x, _, sd = mscn(img, "replicate", 1.0)
        b = bs // scale
        rows = []
        for by in range(nby):
            for bx in range(nbx):
                rows.append(niqe_block_features(
                    x[by * b:(by + 1) * b, bx * b:(bx + 1) * b]))
        if scale == 1:
            sharp = np.array([sd[by * b:(by + 1) * b,
                                 bx * b:(bx + 1) * b].mean()
                              for by in range(nby) for bx in range(nbx)])
        feats.append(np.array(rows))
        img = matlab_imresize(img, 0.5)
    return np.concatenate(feats, axis=1), sharp


def nan_mean_cov(rows):
    """MATLAB nanmean (per column) and nancov (complete rows, N - 1)."""
    mu = np.nanmean(rows, axis=0)
    ok = rows[~np.isnan(rows).any(axis=1)]
    cov = np.cov(ok, rowvar=False) if len(ok) > 1 else \
        np.zeros((rows.shape[1], rows.shape[1]))
    return mu, cov


def niqe_score(img, mu_p, cov_p):
    """NIQE eq. 10 with numpy.linalg.pinv (SVD, MATLAB's tolerance)."""
    rows, _ = niqe_features(img)
    mu_d, cov_d = nan_mean_cov(rows)
    m = (cov_p + cov_d) / 2
    inv = np.linalg.pinv(m, rcond=36 * np.finfo(np.float64).eps)
    d = mu_p - mu_d
    return float(math.sqrt(d @ inv @ d))


def niqe_fit(planes, th=0.75):
    """estimatemodelparam.m: keep blocks with sharpness > th * max per
    image; nanmean / nancov of all kept rows."""
    kept = []
    for p in planes:
        rows, sharp = niqe_features(p)
        kept.append(rows[sharp > th * sharp.max()])
    return nan_mean_cov(np.concatenate(kept, axis=0))


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


def write_u8(name, arr):
    """An integer plane 0..255 as raw bytes nr_<name>.u8, row-major."""
    a = np.asarray(arr)
    assert np.all(a == np.rint(a)) and a.min() >= 0 and a.max() <= 255
    path = os.path.join(DATA, "nr_" + name + ".u8")
    a.astype(np.uint8).tofile(path)


def cv_model_score(feat):
    """Unclamped OpenCV BRISQUE score from cv2's features: the range file
    and the SVM read with cv2.FileStorage, scaling and RBF SVR in numpy
    (cross-checks cv2.quality's clamped score where it is in 0..100)."""
    fs = cv2.FileStorage(CV_RANGE, cv2.FILE_STORAGE_READ)
    rng = fs.getNode("range").mat().astype(np.float64)
    svm = cv2.ml.SVM_load(CV_MODEL)
    x = -1 + 2 * (feat - rng[0]) / (rng[1] - rng[0])
    sv = svm.getSupportVectors().astype(np.float64)
    rho, alpha, _ = svm.getDecisionFunction(0)
    k = np.exp(-svm.getGamma() * np.sum((sv - x) ** 2, axis=1))
    return float(np.asarray(alpha, np.float64).ravel() @ k - rho)


def brisque_section():
    """OpenCV BRISQUE (cv2.quality) and LIVE BRISQUE (numpy) on generated
    8-bit planes: a texture, its blurred and noisy versions."""
    base = plane_texture(160, 120, seed=20240702)
    planes = {"btex_160x120": base,
              "bblur_160x120": plane_blur(base, 2.0),
              "bnoise_160x120": plane_noise(base, 20.0, seed=20240703)}
    for name, p in planes.items():
        write_u8(name, p)
        u8 = p.astype(np.uint8)
        feat = cv2.quality.QualityBRISQUE_computeFeatures(u8).ravel()
        score = cv2.quality.QualityBRISQUE_compute(u8, CV_MODEL,
                                                   CV_RANGE)[0]
        mine = cv_model_score(feat.astype(np.float64))
        if 0 < score < 100:
            check(f"{name}: cv2 score vs numpy SVR", abs(score - mine), 1e-3)
        put(name, "width", p.shape[1])
        put(name, "height", p.shape[0])
        put(name, "brisque_opencv", mine)
        put(name, "brisque_opencv_cv2_clamped", score)
        for i, v in enumerate(feat):
            put(name, f"brisque_opencv_feat{i}", v)
        f = live_brisque_features(p)
        put(name, "brisque_live", live_brisque_score(f))
        for i, v in enumerate(f):
            put(name, f"brisque_live_feat{i}", v)


def niqe_section():
    """NIQE with the LIVE model on generated planes, and a model fitted on
    four clean textures (estimatemodelparam.m in numpy) with the scores
    of held-back clean, blurred and noisy planes under it."""
    mu_p, cov_p = load_niqe_model(NIQE_MODEL)
    test = plane_texture(384, 288, seed=20240710)
    tests = {"nclean_384x288": test,
             "nblur_384x288": plane_blur(test, 1.5),
             "nnoise_384x288": plane_noise(test, 25.0, seed=20240711)}
    fits = [plane_texture(384, 288, seed=20240720 + i) for i in range(4)]
    for i, p in enumerate(fits):
        write_u8(f"nfit{i}_384x288", p)
        put(f"nfit{i}_384x288", "width", p.shape[1])
        put(f"nfit{i}_384x288", "height", p.shape[0])
    mu_f, cov_f = niqe_fit(fits, 0.75)
    nkept = sum(int(np.sum(s > 0.75 * s.max()))
                for s in (niqe_features(p)[1] for p in fits))
    put("nfit", "blocks", nkept)
    for i in range(36):
        put("nfit", f"mu{i}", mu_f[i])
        for j in range(36):
            put("nfit", f"cov{i}_{j}", cov_f[i, j])
    for name, p in tests.items():
        write_u8(name, p)
        put(name, "width", p.shape[1])
        put(name, "height", p.shape[0])
        put(name, "niqe_live", niqe_score(p, mu_p, cov_p))
        put(name, "niqe_fitted", niqe_score(p, mu_f, cov_f))


def shared_section():
    """Checks the numpy transcriptions against the official MATLAB values
    of ../shared (printed; nothing derived from the images is written)."""
    csv = os.path.join(SHARED, "iqa-reference", "reference_values.csv")
    if not os.path.exists(csv):
        print("make_nr_reference: ../shared absent; MATLAB check skipped")
        return
    tid = os.path.join(SHARED, "iqa-reference", "tid2013_calibration",
                       "dist_dir")
    mu_p, cov_p = load_niqe_model(NIQE_MODEL)
    off = {"I03": (94.6421, 15.7536293917814),
           "I04": (-0.107618, 3.65492152353770),
           "I06": (0.992889, 3.23547743716998),
           "I08": (5.35827, 3.18403333858339),
           "I19": (72.2617, 8.63519663862637)}
    for name, (b_ref, n_ref) in off.items():
        rgb = cv2.imread(os.path.join(tid, name + ".bmp"))[..., ::-1]
        g = rgb2gray_matlab(rgb)
        b = live_brisque_score(live_brisque_features(g))
        n = niqe_score(g, mu_p, cov_p)
        print(f"{name}: LIVE BRISQUE numpy {b:.6f} MATLAB {b_ref} "
              f"({(b - b_ref) / abs(b_ref):+.4%}); NIQE numpy {n:.6f} "
              f"MATLAB {n_ref} ({(n - n_ref) / n_ref:+.4%})")


def rgb2gray_matlab(rgb):
    """MATLAB rgb2gray on uint8: 0.298936021293775 R + 0.587043074451121 G
    + 0.114020904255103 B (first row of inv of the NTSC YIQ matrix),
    rounded half away from zero."""
    x = rgb.astype(np.float64)
    return np.floor(0.298936021293775 * x[..., 0] +
                    0.587043074451121 * x[..., 1] +
                    0.114020904255103 * x[..., 2] + 0.5)


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
    brisque_section()
    niqe_section()
    write_tsv()
    shared_section()


if __name__ == "__main__":
    main()
