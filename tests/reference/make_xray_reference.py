# SPDX-License-Identifier: BSD-3-Clause
#
# make_xray_reference.py - reference values for tests/unit/test_qc_xray.c,
# the X-ray measures of qc/xray.c (qc_xray_measure), transcribed
# independently with numpy and SciPy from the definitions in qc/xray.c's
# head: numpy.percentile / numpy.median for the order statistics,
# scipy.ndimage.correlate for Immerkaer's mask, and
# scipy.ndimage.gaussian_filter(order=...) for the derivative-of-Gaussian
# gradients (the C code builds the same sampled kernels as SciPy's
# _gaussian_kernel1d, truncate 4).
#
# It builds small deterministic X-ray-like planes (seeded PCG64 noise on a
# smooth "anatomy", some with a black shutter band holding burnt-in text,
# a uniform bright band, clipping at the detector maximum, a blurred copy),
# writes them as little-endian float32 into tests/reference/data/xray_*.f32
# and their measures into tests/reference/xray_reference.tsv.
#
# Run from the repository root:
#   /usr/bin/python3 tests/reference/make_xray_reference.py

import math
import os

import numpy as np
import scipy.ndimage as ndi

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
TSV = os.path.join(HERE, "xray_reference.tsv")
COMMAND = "/usr/bin/python3 tests/reference/make_xray_reference.py"

IMMERKAER_N = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]],
                       dtype=np.float64)

# The constants of qc/xray.c's head.
BORDER_TOL = 0.05      # uniform-line tolerance, fraction of frame p99-p01
BORDER_INSIDE = 0.95   # fraction of a line within tolerance of its median
BLOCK = 32             # noise block side per 512 px
NOISE_Q = 10           # percentile of the block sigmas
SIGMA1 = 1.0           # fine gradient scale, px per 512 px
SIGMA2 = 2.0           # coarse gradient scale


def immerkaer(a):
    """Immerkaer sigma on the 'valid' interior of a (CVIU 1996 eq. 8)."""
    r = ndi.correlate(a, IMMERKAER_N, mode="constant")[1:-1, 1:-1]
    return math.sqrt(math.pi / 2.0) / (6.0 * r.size) * np.abs(r).sum()


def is_border_line(line, tol, dmax):
    if tol <= 0.0:
        return False
    med = np.median(line)
    if med >= dmax:
        return False
    if line.std() < tol:
        return True
    return np.count_nonzero(np.abs(line - med) <= tol) >= \
        BORDER_INSIDE * line.size


def field_rect(a, dmax):
    h, w = a.shape
    p01, p99 = np.percentile(a, [1, 99])
    tol = BORDER_TOL * (p99 - p01)
    t, b, l, r = 0, h, 0, w
    while True:
        old = (t, b, l, r)
        while b - t > 1 and is_border_line(a[t, l:r], tol, dmax):
            t += 1
        while b - t > 1 and is_border_line(a[b - 1, l:r], tol, dmax):
            b -= 1
        while r - l > 1 and is_border_line(a[t:b, l], tol, dmax):
            l += 1
        while r - l > 1 and is_border_line(a[t:b, r - 1], tol, dmax):
            r -= 1
        if (t, b, l, r) == old:
            return t, b, l, r


def gauss_sum2(sigma):
    """Sums of squares of SciPy's order-0 and order-1 Gaussian kernels."""
    radius = int(4.0 * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 / (sigma * sigma) * x * x)
    phi /= phi.sum()
    d = -x / (sigma * sigma) * phi
    return (phi * phi).sum(), (d * d).sum(), radius


def measure(a, dmin, dmax, target=0.0, header=None):
    """The struct qc_xray of plane a, as a dict."""
    a = np.asarray(a, dtype=np.float64)
    h, w = a.shape
    s = max(1.0, min(w, h) / 512.0)
    t, b, l, r = field_rect(a, dmax)
    f = a[t:b, l:r]
    out = {"field_top": t, "field_bottom": b, "field_left": l,
           "field_right": r}
    out["fieldFraction"] = f.size / a.size
    pos = f[f > dmin]
    out["exposureLevel"] = float(np.median(pos)) if pos.size else math.nan
    lev = out["exposureLevel"]
    if header is not None and "DI" in header:
        di, src = header["DI"], 1
    elif header is not None and "EI" in header and header["EI"] > 0 \
            and header["EI_T"] > 0:
        di, src = 10.0 * math.log10(header["EI"] / header["EI_T"]), 2
    elif target > dmin and lev > dmin:
        di, src = 10.0 * math.log10((lev - dmin) / (target - dmin)), 3
    else:
        di, src = math.nan, 0
    out["deviationIndex"], out["diSource"] = di, src
    out["saturatedFraction"] = np.count_nonzero((f >= dmax) | (f <= dmin)) \
        / f.size
    fp01, fp99 = np.percentile(f, [1, 99])
    frange = fp99 - fp01
    bs = int(math.floor(BLOCK * s + 0.5))
    sig = []
    for y in range(0, f.shape[0] - bs + 1, bs):
        for x in range(0, f.shape[1] - bs + 1, bs):
            blk = f[y:y + bs, x:x + bs]
            if np.any(blk <= dmin) or np.any(blk >= dmax):
                continue
            sig.append(immerkaer(blk))
    sn = float(np.percentile(sig, NOISE_Q)) if sig else math.nan
    out["noiseSigma"] = sn
    out["noisePercent"] = 100.0 * sn / frange \
        if frange > 0 and sig else math.nan
    # Sharpness: fine/coarse gradient energy ratio, noise corrected.
    s1, s2 = SIGMA1 * s, SIGMA2 * s
    m = int(4.0 * s2 + 0.5)
    energy = []
    for sg in (s1, s2):
        gy = ndi.gaussian_filter(f, sg, order=(1, 0), mode="constant")
        gx = ndi.gaussian_filter(f, sg, order=(0, 1), mode="constant")
        if f.shape[0] <= 2 * m or f.shape[1] <= 2 * m:
            energy.append(math.nan)
            continue
        e = (gx * gx + gy * gy)[m:f.shape[0] - m, m:f.shape[1] - m]
        p0, p1, _ = gauss_sum2(sg)
        noise = 2.0 * (sn if sig else 0.0) ** 2 * p0 * p1
        energy.append(e.mean() - noise)
    if math.isfinite(energy[1]) and energy[1] > 0:
        out["sharpness"] = max(0.0, energy[0]) / energy[1]
    else:
        out["sharpness"] = math.nan
    return out


def anatomy(h, w, rng):
    """A smooth X-ray-like plane: two dark 'lungs' in a bright body, ribs."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    body = 3000.0 - 900.0 * (((x - w / 2) / (0.55 * w)) ** 2)
    lungs = np.zeros((h, w))
    for cx in (0.3 * w, 0.7 * w):
        d = ((x - cx) / (0.16 * w)) ** 2 + ((y - 0.45 * h) / (0.3 * h)) ** 2
        lungs += 1200.0 / (1.0 + np.exp((d - 1.0) * 8.0))
    ribs = 150.0 * (np.sin(y / h * 2 * math.pi * 7) > 0.6)
    a = body - lungs + ribs * (lungs > 300)
    return a + rng.normal(0.0, 12.0, (h, w))


def formula_plane(w, h):
    """The 530 x 600 plane the C test rebuilds by the same arithmetic (too
    large to commit): a smooth body, a dark ellipse, integer ribs and
    integer hash noise, rounded as floor(v + 0.5), a black band on top."""
    a = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            u = (j - w / 2.0) / (0.55 * w)
            v = 2600.0 - 900.0 * (u * u)
            ex = (j - 0.3 * w) / (0.16 * w)
            ey = (i - 0.45 * h) / (0.3 * h)
            if ex * ex + ey * ey < 1.0:
                v -= 1000.0
                if (i // 20) % 3 == 0:
                    v += 100.0
            k = (i * w + j) * 2654435761 % 4294967296
            v += float((k >> 16) % 41) - 20.0
            a[i, j] = math.floor(v + 0.5)
    a[:30, :] = 0.0
    return a


def main():
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(20240611))
    planes = {}
    base = anatomy(96, 112, rng)
    planes["xray_plain"] = (np.clip(np.round(base), 0, 4095), {})
    sh = np.clip(np.round(anatomy(100, 90, rng)), 0, 4095)
    sh[:14, :] = 0.0                      # black shutter band at the top
    sh[4:8, 10:13] = 4095.0               # burnt-in text in the band
    sh[-5:, :] = 4064.0 + rng.integers(-8, 9, (5, 90))  # bright band
    sh[:, :3] = 0.0                       # black columns on the left
    planes["xray_shutter"] = (sh, {})
    over = np.minimum(4095.0, np.clip(np.round(anatomy(80, 80, rng)), 0,
                                      4095) * 1.5)
    planes["xray_clipped"] = (over, {})
    blur = ndi.gaussian_filter(anatomy(96, 112, rng), 1.5)
    planes["xray_blur"] = (np.clip(np.round(blur), 0, 4095), {})
    planes["xray_constant"] = (np.full((20, 24), 1000.0), {})

    planes["xray_formula"] = (formula_plane(530, 600), {})
    rows = []
    for name, (a, _) in planes.items():
        a32 = np.ascontiguousarray(a, dtype="<f4")
        if name != "xray_formula":
            a32.tofile(os.path.join(DATA, name + ".f32"))
        rows.append((name, "width", a.shape[1]))
        rows.append((name, "height", a.shape[0]))
        cases = [("", 0.0, None), ("_target", 2500.0, None),
                 ("_ei", 2500.0, {"EI": 400.0, "EI_T": 250.0}),
                 ("_di", 2500.0, {"DI": -1.5, "EI": 400.0, "EI_T": 250.0})]
        for suffix, target, hdr in cases:
            m = measure(a32.astype(np.float64), 0.0, 4095.0, target, hdr)
            keys = m.keys() if suffix == "" else ("deviationIndex",
                                                  "diSource")
            for k in keys:
                rows.append((name + suffix, k, m[k]))
    with open(TSV, "w") as fh:
        fh.write("# Reference values of qc_xray_measure, made by:\n")
        fh.write("#   %s\n" % COMMAND)
        fh.write("# detector range 0..4095; name metric value\n")
        for name, key, v in rows:
            fh.write("%s\t%s\t%s\n" % (name, key, repr(float(v))
                                       if not isinstance(v, int) else v))


if __name__ == "__main__":
    main()
