# SPDX-License-Identifier: BSD-3-Clause
#
# make_piqe_reference.py - reference values for tests/unit/test_qc_piqe.c,
# computed by a numpy implementation of PIQE written apart from qc/piqe.c.
#
# PIQE: Venkatanath N., Praneeth D., Maruthi Chandrasekhar Bh., Sumohana
# S. Channappayya, Swarup S. Medasani, "Blind Image Quality Evaluation
# Using Perception Based Features", NCC 2015, as MATLAB's Image Processing
# Toolbox piqe() computes it (the function's documentation and the
# algorithm its published M-file follows):
#   1. pad the grey image at the bottom and right by replicating its last
#      row and column up to a multiple of 16 (padarray 'replicate' 'post');
#   2. I = round(255 * im2double(image)): the 0..255 grey values rounded to
#      integers (MATLAB round: halves away from zero);
#   3. MSCN: mu and E[I^2] by a 7x7 Gaussian of sigma 7/6 with replicated
#      borders (imgaussfilt 'FilterSize' 7, 'Padding' 'replicate'),
#      sigma = sqrt(|E[I^2] - mu^2|), Ihat = (I - mu) / (sigma + 1);
#   4. 16x16 non-overlapping blocks of Ihat; a block is active (spatially
#      prominent) if its sample variance (N-1) exceeds 0.1;
#   5. an active block shows a noticeable artefact if, on any of its four
#      edges (first/last row, first/last column), one of the 11 segments of
#      6 contiguous samples has a sample standard deviation below 0.1;
#   6. an active block is noisy if sigma_blk > 2 beta, sigma_blk the block's
#      standard deviation, beta = |sigma_blk - r| / max(sigma_blk, r), r the
#      ratio of the standard deviation of the centre (columns 8 and 9 of 16,
#      1-based, 32 samples) to that of the surround.  The surround is what
#      MATLAB's centerSurDev leaves after Block(:,8) = [] and then
#      Block(:,9) = [] on the already shortened block, i.e. the block minus
#      its original columns 8 and 10 (1-based): 16x14 samples.  A 0/0 ratio
#      counts as 0; x/0 is infinite, beta is then NaN and the block is not
#      noisy;
#   7. score = 100 (C1 + sum over active blocks of
#      [artefact] (1 - var) + [noise] var) / (C1 + number of active blocks),
#      C1 = 1.  Lower is better; a plane with no active block gives 100.
#
# The implementation below works on all blocks at once (reshaped arrays,
# sliding windows); a second one walks the blocks one by one exactly as the
# steps read and must agree with it, and the MSCN from SciPy's correlate1d
# (mode 'nearest' = replicate) is checked against OpenCV's GaussianBlur
# with BORDER_REPLICATE.  Everything is float64, as in MATLAB.
#
# It writes deterministic test planes (seeded textures: smooth, noisy,
# JPEG-compressed, blurred, block-averaged) as little-endian float32 raw
# files tests/reference/data/piqe_<name>.f32 and their scores and block
# counts to tests/reference/piqe_reference.tsv.  When ../shared/data holds
# the five TID2013 images of the MATLAB calibration set it also scores
# them (MATLAB rgb2gray then piqe) and writes those scores, compared with
# MATLAB's published values; no pixel of those images is written.
#
# Run from the repository root, with Debian's python3-numpy, python3-scipy
# and python3-opencv:
#   /usr/bin/python3 tests/reference/make_piqe_reference.py
# The planes come from numpy's PCG64 with fixed seeds and OpenCV's JPEG
# codec; the committed .f32 files are the ground truth the C test uses.

import math
import os
import sys

import cv2
import numpy as np
import scipy
import scipy.ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
TSV = os.path.join(HERE, "piqe_reference.tsv")
COMMAND = "/usr/bin/python3 tests/reference/make_piqe_reference.py"
TID_DIR = os.path.normpath(os.path.join(
    HERE, "..", "..", "..", "shared", "data", "iqa-reference",
    "tid2013_calibration", "dist_dir"))

# MATLAB piqe() values of the TID2013 calibration images (two decimals),
# chaofengc/IQA-PyTorch ResultsCalibra/results_official.csv, as copied in
# ../shared/data/iqa-reference/reference_values.csv.
TID_MATLAB = {"I03": 100.00, "I04": 21.62, "I06": 35.86, "I08": 41.15,
              "I19": 76.95}

BLOCK = 16             # Block side (piqe.m blockSize)
ACTIVITY_T = 0.1       # Active block: variance above this
IMPAIRED_T = 0.1       # Impaired segment: standard deviation below this
SEGMENT = 6            # Samples in an edge segment (piqe.m windowSize)
GAUSS_SIZE = 7         # MSCN window side
GAUSS_SIGMA = 7.0 / 6.0
C_MSCN = 1.0           # Added to the local sigma
C_POOL = 1.0           # C1 of the pooled score


def check(what, err, tol):
    if not err <= tol:
        sys.exit(f"make_piqe_reference: {what}: difference {err} > {tol}")


def write_f32(name, arr):
    path = os.path.join(DATA, name + ".f32")
    np.ascontiguousarray(arr, dtype="<f4").tofile(path)


def matlab_round(x):
    """MATLAB round(): to nearest, halves away from zero."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


# ------------------------------------------------------------------ PIQE

def gauss_kernel():
    """Normalised 1-D Gaussian taps at -3..3 (imgaussfilt's separable
    kernel for FilterSize 7)."""
    t = np.arange(GAUSS_SIZE, dtype=np.float64) - (GAUSS_SIZE - 1) / 2
    g = np.exp(-t * t / (2.0 * GAUSS_SIGMA * GAUSS_SIGMA))
    return g / g.sum()


def mscn(x):
    """Mean-subtracted contrast-normalised coefficients of float64 x."""
    g = gauss_kernel()

    def blur(y):
        y = scipy.ndimage.correlate1d(y, g, axis=0, mode="nearest")
        return scipy.ndimage.correlate1d(y, g, axis=1, mode="nearest")

    mu = blur(x)
    sigma = np.sqrt(np.abs(blur(x * x) - mu * mu))
    mu2 = cv2.GaussianBlur(x, (GAUSS_SIZE, GAUSS_SIZE), GAUSS_SIGMA,
                           borderType=cv2.BORDER_REPLICATE)
    check("mscn: scipy vs cv2 mean", float(np.max(np.abs(mu - mu2))), 1e-9)
    return (x - mu) / (sigma + C_MSCN)


def prepare(grey):
    """Steps 1-2: replicate-pad to a multiple of 16, round."""
    h, w = grey.shape
    ph, pw = (-h) % BLOCK, (-w) % BLOCK
    x = np.pad(grey.astype(np.float64), ((0, ph), (0, pw)), mode="edge")
    return matlab_round(x)


def blocks_of(z):
    """(rows, cols, 16, 16) view of the 16x16 blocks of z."""
    h, w = z.shape
    return z.reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).swapaxes(1, 2)


def piqe_vectorised(grey):
    """Steps 1-7 on all blocks at once; returns (score, counts dict)."""
    b = blocks_of(mscn(prepare(grey)))
    var = b.var(axis=(2, 3), ddof=1)
    active = var > ACTIVITY_T
    edges = [b[..., 0, :], b[..., :, BLOCK - 1], b[..., BLOCK - 1, :],
             b[..., :, 0]]
    impaired = np.zeros_like(active)
    seg_margin = math.inf
    for e in edges:
        seg = np.lib.stride_tricks.sliding_window_view(e, SEGMENT, axis=-1)
        sd = seg.std(axis=-1, ddof=1)
        impaired |= np.any(sd < IMPAIRED_T, axis=-1)
        if np.any(active):
            seg_margin = min(seg_margin,
                             float(np.min(np.abs(sd[active] - IMPAIRED_T))))
    c1 = (BLOCK - 1 + 1) // 2 - 1      # 0-based first centre column: 7
    centre = b[..., :, c1:c1 + 2].reshape(b.shape[:2] + (-1,))
    keep = [k for k in range(BLOCK) if k not in (c1, c1 + 2)]
    surround = b[..., :, keep].reshape(b.shape[:2] + (-1,))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = centre.std(axis=-1, ddof=1) / surround.std(axis=-1, ddof=1)
        ratio = np.where(np.isnan(ratio), 0.0, ratio)
        sig = np.sqrt(var)
        beta = np.abs(sig - ratio) / np.maximum(sig, ratio)
        noise = sig > 2.0 * beta
    impaired &= active
    noise &= active
    dist = np.sum(np.where(impaired, 1.0 - var, 0.0) +
                  np.where(noise, var, 0.0))
    score = (dist + C_POOL) / (C_POOL + np.count_nonzero(active)) * 100.0
    counts = {"blocks": active.size, "active": np.count_nonzero(active),
              "artefact": np.count_nonzero(impaired),
              "noise": np.count_nonzero(noise)}
    # Smallest distance of a decision's quantity from its threshold: how
    # far a reimplementation's rounding may go before a block changes
    # class (variance vs 0.1 over all blocks, segment deviations vs 0.1
    # and sigma vs 2 beta over the active ones).
    finite = active & np.isfinite(beta)
    margin = min(float(np.min(np.abs(var - ACTIVITY_T))), seg_margin,
                 float(np.min(np.abs(sig - 2.0 * beta)[finite]))
                 if np.any(finite) else math.inf)
    return float(score), counts, margin


def piqe_loop(grey):
    """The same, block by block as the steps read (the cross-check)."""
    z = mscn(prepare(grey))
    total, n_active = 0.0, 0
    for i in range(0, z.shape[0], BLOCK):
        for j in range(0, z.shape[1], BLOCK):
            blk = z[i:i + BLOCK, j:j + BLOCK]
            v = np.var(blk.ravel(), ddof=1)
            if not v > ACTIVITY_T:
                continue
            n_active += 1
            bad = False
            for e in (blk[0, :], blk[:, -1], blk[-1, :], blk[:, 0]):
                for k in range(BLOCK - SEGMENT + 1):
                    if np.std(e[k:k + SEGMENT], ddof=1) < IMPAIRED_T:
                        bad = True
            centre = np.concatenate([blk[:, 7], blk[:, 8]])
            surround = np.delete(np.delete(blk, 7, axis=1), 8, axis=1)
            cs, ss = np.std(centre, ddof=1), np.std(surround, ddof=1)
            r = 0.0 if cs == 0 and ss == 0 else (
                math.inf if ss == 0 else cs / ss)
            s = math.sqrt(v)
            m = max(s, r)
            noisy = (not math.isinf(r)) and s > 2.0 * abs(s - r) / m
            total += (1.0 - v if bad else 0.0) + (v if noisy else 0.0)
    return (total + C_POOL) / (C_POOL + n_active) * 100.0


def piqe(grey, what):
    score, counts, margin = piqe_vectorised(grey)
    score2 = piqe_loop(grey)
    check(f"{what}: vectorised vs block loop", abs(score - score2), 1e-9)
    return score, counts, margin


# ---------------------------------------------------------------- planes

def texture(w, h, seed, lo=30.0, hi=225.0, slope=1.8):
    """A natural-looking texture: PCG64(seed) white noise whose spectrum
    is divided by f^(slope/2 + 1/2) (f the radial frequency, DC removed),
    rescaled to lo..hi."""
    rng = np.random.default_rng(seed)
    white = rng.normal(size=(h, w))
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    spec = np.fft.fft2(white) / f ** (slope / 2.0 + 0.5)
    spec[0, 0] = 0.0
    t = np.real(np.fft.ifft2(spec))
    t = (t - t.min()) / (t.max() - t.min())
    return lo + (hi - lo) * t


def plane_smooth(w, h):
    """Slow gradients and sinusoids: few active blocks."""
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    return (120.0 + 0.6 * c - 0.3 * r + 40.0 * np.sin(2 * np.pi * c / 70.0)
            * np.cos(2 * np.pi * r / 55.0))


def plane_noisy(base, sigma, seed):
    rng = np.random.default_rng(seed)
    return np.clip(base + rng.normal(0.0, sigma, size=base.shape), 0, 255)


def plane_jpeg(base, quality):
    """base as 8-bit through OpenCV's baseline JPEG codec (libjpeg)."""
    u8 = np.clip(matlab_round(base), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        sys.exit("make_piqe_reference: JPEG encoding failed")
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float64)


def plane_blur(base, sigma):
    return scipy.ndimage.gaussian_filter(base, sigma, mode="reflect")


def plane_blocky(base, side):
    """Each side x side cell (partial at the right and bottom) replaced by
    its mean: pure blocking artefacts."""
    out = np.empty_like(base)
    for i in range(0, base.shape[0], side):
        for j in range(0, base.shape[1], side):
            out[i:i + side, j:j + side] = base[i:i + side, j:j + side].mean()
    return out


# ------------------------------------------------------------- TID2013

def matlab_rgb2gray_uint8(rgb):
    """MATLAB rgb2gray on uint8: the first row of
    inv([1 0.956 0.621; 1 -0.272 -0.647; 1 -1.106 1.703]) as weights
    (0.298936021293775, 0.587043074451121, 0.114020904255103 in the
    function's documentation), rounded to uint8 (halves away from zero,
    saturated)."""
    t = np.linalg.inv(np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647],
                                [1.0, -1.106, 1.703]]))
    coef = t[0]
    check("rgb2gray weights", float(np.max(np.abs(
        coef - [0.298936021293775, 0.587043074451121,
                0.114020904255103]))), 1e-15)
    x = rgb.astype(np.float64)
    y = coef[0] * x[..., 0] + coef[1] * x[..., 1] + coef[2] * x[..., 2]
    return np.clip(matlab_round(y), 0, 255)


# ------------------------------------------------------------------ main

def main():
    os.makedirs(DATA, exist_ok=True)
    rows = []

    def put(name, metric, value):
        rows.append((name, metric, value))

    tex = texture(128, 96, 20240711)
    tex_odd = texture(161, 113, 20240712)
    planes = {
        "piqe_smooth_100x75": plane_smooth(100, 75),
        "piqe_texture_128x96": tex,
        "piqe_noisy_128x96": plane_noisy(tex, 25.0, 20240713),
        "piqe_jpeg_128x96": plane_jpeg(tex, 8),
        "piqe_blur_128x96": plane_blur(tex, 1.0),
        "piqe_blocky_127x93": plane_blocky(tex[:93, :127], 8),
        "piqe_texture_161x113": tex_odd,
        "piqe_noisy_161x113": plane_noisy(tex_odd, 12.0, 20240714),
    }
    for name, p in planes.items():
        p32 = p.astype(np.float32)
        write_f32(name, p32)
        score, counts, margin = piqe(p32, name)
        h, w = p32.shape
        put(name, "width", w)
        put(name, "height", h)
        put(name, "piqe", score)
        for k, v in counts.items():
            put(name, "piqe_n_" + k, v)
        put(name, "piqe_margin", margin)
        print(f"{name}: {score:.6f} {counts} margin {margin:.3g}")

    if os.path.isdir(TID_DIR):
        for stem, matlab in TID_MATLAB.items():
            bgr = cv2.imread(os.path.join(TID_DIR, stem + ".bmp"),
                             cv2.IMREAD_COLOR)
            if bgr is None:
                sys.exit(f"make_piqe_reference: cannot read {stem}.bmp")
            grey = matlab_rgb2gray_uint8(bgr[..., ::-1])
            score, counts, margin = piqe(grey, stem)
            name = "tid2013_" + stem
            put(name, "piqe", score)
            for k, v in counts.items():
                put(name, "piqe_n_" + k, v)
            put(name, "piqe_margin", margin)
            put(name, "piqe_matlab", matlab)
            print(f"{name}: {score:.6f} MATLAB {matlab:.2f} "
                  f"difference {score - matlab:+.4f} {counts} "
                  f"margin {margin:.3g}")
    else:
        print(f"note: {TID_DIR} absent; TID2013 rows not written")

    with open(TSV, "w", encoding="ascii", newline="\n") as f:
        f.write("# piqe_reference.tsv - reference values for tests/unit/"
                "test_qc_piqe.c.  Do not edit: generated by\n")
        f.write(f"#   {COMMAND}\n")
        f.write(f"# with numpy {np.__version__}, scipy {scipy.__version__}, "
                f"OpenCV {cv2.__version__}.\n")
        f.write("# name = plane file tests/reference/data/<name>.f32 "
                "(little-endian float32, row-major, width x height);\n")
        f.write("# tid2013_* rows are scores of ../shared/data images "
                "(MATLAB rgb2gray, then PIQE), no plane stored.\n")
        f.write("# Values are Python repr (round-trip exact).\n")
        f.write("name\tmetric\tvalue\n")
        for name, metric, value in rows:
            f.write(f"{name}\t{metric}\t{value!r}\n")


if __name__ == "__main__":
    main()
