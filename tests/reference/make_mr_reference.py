# SPDX-License-Identifier: BSD-3-Clause
#
# make_mr_reference.py - reference values for tests/unit/test_qc_mr.c
# (qc/mr.c, qc_mr_measure), from a numpy / SciPy / scikit-image
# transcription of MRIQC's anatomical metrics (mriqc/qc/anatomical.py:
# snr_dietrich, gsr, efc, fber, artifact_mask + art_qi1) on one slice,
# with the head mask and background of qc/mr.c's file head, written
# independently of the C code.
#
# Writes synthetic slices tests/reference/data/mr_*.f32 (a head-like
# ellipse with texture over Rayleigh-like background noise; ghosted
# copies along y or x; a quantised slice with a constant background; a
# signed float slice; a slice with bright streaks in the air) and
# tests/reference/mr_reference.tsv (name, metric, value).
#
# Run from the repository root (Debian python3-numpy 1.24, python3-scipy
# 1.10, python3-skimage 0.19):
#   /usr/bin/python3 tests/reference/make_mr_reference.py
# Deterministic: numpy PCG64 with fixed seeds.

import math
import os

import numpy as np
import scipy.ndimage as ndi
import scipy.stats
from skimage.filters import threshold_otsu
from skimage.measure import label

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
TSV = os.path.join(HERE, "mr_reference.tsv")
COMMAND = "/usr/bin/python3 tests/reference/make_mr_reference.py"

DIETRICH = 1.0 / math.sqrt(2.0 / (4.0 - math.pi))   # MRIQC DIETRICH_FACTOR
MADK = 1.0 / scipy.stats.norm.ppf(0.75)            # statsmodels mad scale


def head_mask(x):
    """Otsu, closing-like dilate/erode by the square of radius 2 per 256
    pixels of the shorter side (at least 2), fill holes, largest
    8-connected component."""
    r = max(2, 2 * (min(x.shape) // 256))
    sq = np.ones((2 * r + 1, 2 * r + 1), bool)
    m = x > threshold_otsu(x)
    m = ndi.binary_dilation(m, sq)
    m = ndi.binary_erosion(m, sq, border_value=0)
    m = ndi.binary_fill_holes(m)
    lab = label(m, connectivity=2)
    cnt = np.bincount(lab.ravel())
    cnt[0] = 0
    return lab == np.argmax(cnt)


def gsr(x, m, bg, ax):
    """MRIQC gsr with the mask rolled by n//2 along numpy axis ax; ghost
    and other background restricted to the background bg."""
    r = np.roll(m, x.shape[ax] // 2, axis=ax)
    ghost = r & bg
    other = bg & ~r
    if ghost.sum() == 0 or other.sum() == 0:
        return math.nan
    return (x[ghost].mean() - x[other].mean()) / np.median(x[m])


def measures(x32, axis):
    """axis: 0 unknown, 1 ROW (roll along x = numpy axis 1), 2 COL."""
    x = x32.astype(np.float64)
    h, w = x.shape
    m = head_mask(x)
    margin = max(2, min(w, h) // 32)
    bg = ~ndi.binary_dilation(m, np.ones((2 * margin + 1,) * 2, bool))
    q = np.diff(np.unique(x)).min()
    e = q / math.sqrt(12.0)
    fg, b = x[m], x[bg]
    out = {"foregroundFraction": m.mean()}
    out["snr"] = DIETRICH * fg.mean() / max(b.std(), e)
    g_row = gsr(x, m, bg, 1) if axis != 2 else math.nan
    g_col = gsr(x, m, bg, 0) if axis != 1 else math.nan
    if not math.isnan(g_row) and (math.isnan(g_col) or g_row > g_col):
        out["ghostRatio"], out["ghostAxis"] = g_row, 1
    else:
        out["ghostRatio"] = g_col
        out["ghostAxis"] = 0 if math.isnan(g_col) else 2
    # MRIQC efc with framemask None, on |x|.
    a = np.abs(x)
    n = a.size
    efc_max = 1.0 * n * (1.0 / np.sqrt(n)) * np.log(1.0 / np.sqrt(n))
    b_max = np.sqrt((a ** 2).sum())
    out["efc"] = float((1.0 / efc_max) *
                       np.sum((a / b_max) * np.log((a + 1e-16) / b_max)))
    out["fber"] = (np.median(np.abs(fg) ** 2) /
                   max(np.median(np.abs(b) ** 2), e * e))
    med = np.median(b)
    spread = max(MADK * np.median(np.abs(b - med)), e)
    z = np.zeros_like(x)
    z[bg] = (x[bg] - med) / spread
    near = ndi.binary_dilation(m, np.ones((21, 21), bool))
    cand = bg & ~near & (z > 10.0)
    art = ndi.binary_opening(cand, ndi.generate_binary_structure(2, 1),
                             border_value=0)
    out["qi1"] = art.sum() / bg.sum()
    # Edge energy: variance of scipy's Laplacian of x / median(head) over
    # the head pixels whose 4 neighbours are in the head (no border pixel).
    # A slice of 512 or more is box-averaged by f = floor(min side / 256)
    # first, the mask sampled at each cell's top-left pixel.
    xe, me = x, m
    f = min(w, h) // 256
    if f >= 2:
        hd, wd = h // f, w // f
        xe = x[:hd * f, :wd * f].reshape(hd, f, wd, f).mean(axis=(1, 3))
        xe = xe.astype(np.float32).astype(np.float64)
        me = m[:hd * f:f, :wd * f:f]
    inner = np.zeros_like(me)
    inner[1:-1, 1:-1] = (me[1:-1, 1:-1] & me[:-2, 1:-1] & me[2:, 1:-1] &
                         me[1:-1, :-2] & me[1:-1, 2:])
    lap = ndi.laplace(xe / np.median(fg))
    out["edgeEnergy"] = lap[inner].var() if inner.sum() >= 2 else math.nan
    return out


def phantom(w, h, rng):
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    ell = ((c - 0.52 * w) / (0.33 * w)) ** 2 + ((r - 0.47 * h) /
                                                 (0.36 * h)) ** 2
    head = np.where(ell < 1.0, 600.0, 0.0)
    head += np.where(ell < 0.75, -200.0 * np.cos(c / 3.0) ** 2, 0.0)
    head = ndi.gaussian_filter(head, 1.0)
    return head


def rayleigh(x, sigma, rng):
    return np.sqrt((x + rng.normal(0, sigma, x.shape)) ** 2 +
                   rng.normal(0, sigma, x.shape) ** 2)


def slices():
    rng = np.random.default_rng(20240710)
    w, h = 96, 80
    base = phantom(w, h, rng)
    out = {}
    out["mr_clean_96x80"] = (rayleigh(base, 12.0, rng), 0)
    gy = base + 0.15 * np.roll(base, h // 2, axis=0)
    out["mr_ghosty_96x80"] = (rayleigh(gy, 12.0, rng), 0)
    gx = base + 0.15 * np.roll(base, w // 2, axis=1)
    out["mr_ghostx_96x80"] = (rayleigh(gx, 12.0, rng), 0)
    out["mr_ghostx_row_96x80"] = (out["mr_ghostx_96x80"][0], 1)
    out["mr_ghostx_col_96x80"] = (out["mr_ghostx_96x80"][0], 2)
    # Quantised to multiples of 4 with a perfectly constant background.
    qz = 4.0 * np.round(np.where(base > 30.0,
                                 rayleigh(base, 12.0, rng), 12.0) / 4.0)
    out["mr_quant_96x80"] = (qz, 0)
    # Signed float slice (e.g. a phase-corrected real image).
    sg = base + rng.normal(0, 15.0, base.shape)
    out["mr_signed_96x80"] = (sg, 0)
    # Bright streaks in the air far from the head, on a 67x59 slice.
    w2, h2 = 67, 59
    b2 = phantom(w2, h2, rng)
    st = rayleigh(b2, 8.0, rng)
    st[2:5, 3:40] += 400.0
    st[50:57, 1:4] += 300.0
    st[30, 2] += 900.0   # a single pixel: removed by the opening
    out["mr_streaks_67x59"] = (st, 0)
    return out


def main():
    os.makedirs(DATA, exist_ok=True)
    rows = []
    written = set()
    for name, (x, axis) in slices().items():
        x32 = x.astype(np.float32)
        fname = name.replace("_row", "").replace("_col", "")
        if fname not in written:
            x32.tofile(os.path.join(DATA, fname + ".f32"))
            written.add(fname)
        h, w = x32.shape
        res = measures(x32, axis)
        rows.append((name, "file", fname))
        rows.append((name, "width", repr(float(w))))
        rows.append((name, "height", repr(float(h))))
        rows.append((name, "axis", repr(float(axis))))
        for k, v in res.items():
            rows.append((name, k, repr(float(v))))
    # A 672 x 560 slice (edge energy box-averaged by 2): the clean slice,
    # each pixel repeated 7 x 7, made in the test the same way.
    big = np.repeat(np.repeat(slices()["mr_clean_96x80"][0].astype(
        np.float32), 7, axis=0), 7, axis=1)
    res = measures(big, 0)
    rows.append(("mr_clean_x7", "width", repr(float(big.shape[1]))))
    rows.append(("mr_clean_x7", "height", repr(float(big.shape[0]))))
    for k, v in res.items():
        rows.append(("mr_clean_x7", k, repr(float(v))))
    with open(TSV, "w") as f:
        f.write("# Reference values for tests/unit/test_qc_mr.c, made by\n")
        f.write("#   %s\n" % COMMAND)
        f.write("# name\tmetric\tvalue\n")
        for r in rows:
            if r[1] != "file":
                f.write("\t".join(r) + "\n")


if __name__ == "__main__":
    main()
