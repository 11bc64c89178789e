# SPDX-License-Identifier: BSD-3-Clause
#
# make_fundus_reference.py - reference values for qc_fundus_measure()
# (qc/fundus.c), computed by an independent numpy / SciPy / scikit-image
# transcription of the definitions in the head of qc/fundus.c.
#
# It builds three small deterministic RGB test images (a synthetic fundus:
# a lit disc with dark vessels, shading and seeded noise on a black
# surround; a bluish "external eye" frame with no surround; a dark noisy
# disc cut by the frame), writes them as little-endian float32 files
# (rows x columns x 3, row-major) into tests/reference/data/, and writes
# tests/reference/fundus_reference.tsv (name, metric, value).  The C test
# tests/unit/test_qc_fundus.c reads both by path.
#
# Library functions used where they exist: scipy.ndimage.gaussian_filter
# (also its derivative orders), binary_fill_holes, label, binary_erosion,
# convolve; numpy.percentile; skimage.measure.perimeter_crofton.
#
# Run from the repository root with Debian's python3-numpy, -scipy,
# -skimage:
#   /usr/bin/python3 tests/reference/make_fundus_reference.py
# The images come from numpy's PCG64 generator with fixed seeds.

import math
import os

import numpy as np
import scipy.ndimage as ndi
from skimage.measure import perimeter_crofton

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
TSV = os.path.join(HERE, "fundus_reference.tsv")
COMMAND = "/usr/bin/python3 tests/reference/make_fundus_reference.py"

IMMERKAER_N = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]],
                       dtype=np.float64)

METRICS = ["fovFraction", "fovRoundness", "focus", "meanLevel",
           "underFraction", "overFraction", "nonUniformity", "contrast",
           "fundusLikeness", "noiseSigma", "sharpRatio"]


def ramp(x, lo, hi):
    """0 at x <= lo, 1 at x >= hi, linear between."""
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


def gauss_kernels(sigma):
    """scipy's 1-D Gaussian kernel (truncate 4) and its first derivative,
    as scipy.ndimage builds them (_gaussian_kernel1d)."""
    r = int(4.0 * sigma + 0.5)
    x = np.arange(-r, r + 1, dtype=np.float64)
    phi = np.exp(-0.5 * x * x / (sigma * sigma))
    phi /= phi.sum()
    return phi, -x / (sigma * sigma) * phi


def measure(img):
    """The struct qc_fundus of an H x W x 3 image, as a dict."""
    img = np.asarray(img, dtype=np.float64)
    h, w, _ = img.shape
    s = max(1.0, min(w, h) / 570.0)
    r, g, b = img[:, :, 0], img[:, :, 1], img[:, :, 2]
    # Luminance (BT.601), rounded to float32 as the C code stores it.
    y = (0.299 * r + 0.587 * g + 0.114 * b).astype(np.float32)
    y = y.astype(np.float64)
    out = dict.fromkeys(METRICS, math.nan)

    # Field of view: the blurred maximum channel above a tenth of its
    # 99th percentile, holes filled, largest 8-connected component.
    v = img.max(axis=2)
    vb = ndi.gaussian_filter(v, 2.0 * s, mode="nearest").astype(np.float32)
    thr = 0.1 * np.percentile(vb, 99)
    field = ndi.binary_fill_holes(vb > thr)
    lab, n = ndi.label(field, structure=np.ones((3, 3)))
    if n == 0:
        out["fovFraction"] = 0.0
        out["fundusLikeness"] = 0.0
        return out
    size = np.bincount(lab.ravel())
    size[0] = 0
    field = lab == int(np.argmax(size))
    area = float(field.sum())
    out["fovFraction"] = area / (w * h)
    per = perimeter_crofton(field, directions=4)
    out["fovRoundness"] = min(1.0, 4.0 * math.pi * area / (per * per))

    # Analysis region: the field eroded by a (2 re + 1) square.
    re = int(math.floor(3.0 * s + 0.5))
    m = ndi.binary_erosion(field, structure=np.ones((2 * re + 1,) * 2),
                           border_value=0)
    if not m.any():
        out["fundusLikeness"] = 0.0
        return out
    ym = y[m]
    mean_y = ym.mean()
    out["meanLevel"] = mean_y
    out["underFraction"] = float((ym < 20.0).mean())
    out["overFraction"] = float((ym >= 240.0).mean())
    gm = g[m]
    out["contrast"] = gm.std() / gm.mean() if gm.mean() > 0 else math.nan

    # Noise: Immerkaer's estimate on the luminance over the region.
    resp = ndi.convolve(y, IMMERKAER_N, mode="nearest")[m]
    sn = math.sqrt(math.pi / 2.0) / 6.0 * np.abs(resp).mean()
    out["noiseSigma"] = sn

    # The gradient measures: on Y box-averaged by f = floor(s) (partial
    # cells dropped) and the region sampled at each cell's top-left pixel,
    # when s >= 2.
    f = int(math.floor(s))
    yg, mg, sg, ng = y, m, s, sn
    if f >= 2:
        hd, wd = h // f, w // f
        yg = y[:hd * f, :wd * f].reshape(hd, f, wd, f).mean(axis=(1, 3))
        yg = yg.astype(np.float32).astype(np.float64)
        mg = m[:hd * f:f, :wd * f:f]
        sg = s / f
        if mg.any():
            rg = ndi.convolve(yg, IMMERKAER_N, mode="nearest")
            inner = np.zeros_like(mg)
            inner[1:-1, 1:-1] = mg[1:-1, 1:-1]
            ng = math.sqrt(math.pi / 2.0) / 6.0 * \
                np.abs(rg[inner]).sum() / mg.sum()
    if not mg.any():
        out["focus"] = out["sharpRatio"] = math.nan
    else:
        # Focus: mean gradient magnitude of Gaussian derivatives, less the
        # part white noise of sigma ng would give, per 1/570 of the frame.
        sf = 1.5 * sg
        gx = ndi.gaussian_filter(yg, sf, order=(0, 1), mode="nearest")
        gy = ndi.gaussian_filter(yg, sf, order=(1, 0), mode="nearest")
        mag = np.hypot(gx, gy)[mg].mean()
        phi, dphi = gauss_kernels(sf)
        var = ng * ng * (phi * phi).sum() * (dphi * dphi).sum()
        out["focus"] = s / f * math.sqrt(max(0.0, mag * mag - 2.0 * var))

        # Sharpness ratio: gradient energy at s over 2 s, noise removed.
        def energy(sig):
            ex = ndi.gaussian_filter(yg, sig, order=(0, 1), mode="nearest")
            ey = ndi.gaussian_filter(yg, sig, order=(1, 0), mode="nearest")
            ph, dph = gauss_kernels(sig)
            nvar = ng * ng * (ph * ph).sum() * (dph * dph).sum()
            return (ex * ex + ey * ey)[mg].mean() - 2.0 * nvar
        e1, e2 = energy(sg), energy(2.0 * sg)
        out["sharpRatio"] = max(0.0, e1) / e2 if e2 > 1e-12 else math.nan

    # Non-uniformity: CV of the means of c x c cells inside the region.
    dia = 2.0 * math.sqrt(area / math.pi)
    c = max(2, int(math.floor(dia / 10.0)))
    cells = []
    for y0 in range(0, h - c + 1, c):
        for x0 in range(0, w - c + 1, c):
            if m[y0:y0 + c, x0:x0 + c].all():
                cells.append(y[y0:y0 + c, x0:x0 + c].mean())
    if len(cells) >= 4:
        cells = np.array(cells)
        out["nonUniformity"] = cells.std() / cells.mean() \
            if cells.mean() > 0 else math.nan

    # Fundus likeness: colour x field shape x dark surround.
    mr, mb = r[m].mean(), b[m].mean()
    br = mb / mr if mr > 0 else math.inf
    c_col = ramp(0.6 - br, 0.0, 0.3)
    c_shape = ramp(out["fovFraction"], 0.2, 0.4) * \
        ramp(out["fovRoundness"], 0.5, 0.7)
    rest = ~field
    if rest.any() and mean_y > 0:
        ratio = y[rest].mean() / mean_y
        c_sur = ramp(0.5 - ratio, 0.0, 0.25)
    else:
        c_sur = 1.0
    out["fundusLikeness"] = c_col * c_shape * c_sur
    return out


def synth_fundus(w, h, seed):
    """A lit disc (red > green > blue) with dark curved vessels, a bright
    optic disc, left-right shading and noise, on a black surround."""
    rng = np.random.Generator(np.random.PCG64(seed))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cx, cy, rad = w * 0.5, h * 0.5, min(w, h) * 0.45
    d = np.hypot(xx - cx, yy - cy)
    disc = d < rad
    shade = 0.8 + 0.4 * xx / (w - 1)
    base = np.stack([180 * shade, 90 * shade, 30 * shade], axis=-1)
    ves = np.zeros((h, w))
    for k in range(4):
        a = rng.uniform(-0.3, 0.3)
        y0 = h * (0.2 + 0.2 * k)
        yc = y0 + a * (xx - cx) + 3 * np.sin(xx / 7.0 + k)
        ves = np.maximum(ves, np.exp(-0.5 * ((yy - yc) / 1.2) ** 2))
    base *= (1 - 0.4 * ves)[:, :, None]
    od = np.exp(-0.5 * (np.hypot(xx - 0.7 * w, yy - cy) / 4.0) ** 2)
    base += 70 * od[:, :, None] * np.array([1.0, 1.3, 1.5])
    base *= disc[:, :, None]
    base += rng.normal(0, 3.0, base.shape)
    return np.clip(np.round(base), 0, 255)


def synth_external(w, h, seed):
    """A skin-coloured frame filling the image (blue close to red), a
    dark iris, fine texture: should score a low fundus likeness."""
    rng = np.random.Generator(np.random.PCG64(seed))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3))
    img[:, :, 0] = 200 - 30 * yy / h
    img[:, :, 1] = 160 - 30 * yy / h
    img[:, :, 2] = 140 - 30 * yy / h
    iris = np.hypot(xx - w / 2, yy - h / 2) < h / 5
    img[iris] = [60, 40, 30]
    img += rng.normal(0, 8.0, img.shape)
    return np.clip(np.round(img), 0, 255)


def synth_dark(w, h, seed):
    """A dim, noisy disc cut by the top and bottom of the frame, a hole
    of zeros inside it and a saturated blob."""
    rng = np.random.Generator(np.random.PCG64(seed))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    d = np.hypot(xx - w / 2, yy - h / 2)
    img = np.zeros((h, w, 3))
    lit = d < 0.48 * w
    img[lit] = [40, 25, 6]
    img[(np.abs(xx - 20) < 3) & (np.abs(yy - 30) < 3)] = 0
    img[(np.abs(xx - 50) < 4) & (np.abs(yy - 20) < 4)] = 255
    img[lit] += rng.normal(0, 5.0, (int(lit.sum()), 3))
    return np.clip(np.round(img), 0, 255)


def main():
    os.makedirs(DATA, exist_ok=True)
    cases = [("fundus_synth_72x64", synth_fundus(72, 64, 20240611)),
             ("fundus_external_64x48", synth_external(64, 48, 7)),
             ("fundus_dark_80x40", synth_dark(80, 40, 11))]
    rows = []
    for name, img in cases:
        path = os.path.join(DATA, name + ".f32")
        np.ascontiguousarray(img, dtype="<f4").tofile(path)
        res = measure(img.astype(np.float32))
        rows.append((name, "width", img.shape[1]))
        rows.append((name, "height", img.shape[0]))
        for k in METRICS:
            rows.append((name, k, res[k]))
    # A large photograph (s >= 2: the gradient measures run box-averaged),
    # made in the test as here: the synthetic fundus, each pixel repeated
    # 18 x 18 (1296 x 1152, s = 2.02, f = 2).
    big = np.repeat(np.repeat(cases[0][1].astype(np.float32), 18, axis=0),
                    18, axis=1)
    res = measure(big)
    rows.append(("fundus_synth_x18", "width", big.shape[1]))
    rows.append(("fundus_synth_x18", "height", big.shape[0]))
    for k in METRICS:
        rows.append(("fundus_synth_x18", k, res[k]))
    with open(TSV, "w") as f:
        f.write("# Made by: %s\n" % COMMAND)
        f.write("# name\tmetric\tvalue (qc_fundus_measure, qc/fundus.c)\n")
        for name, k, val in rows:
            f.write("%s\t%s\t%.17g\n" % (name, k, val))


if __name__ == "__main__":
    main()
