# SPDX-License-Identifier: BSD-3-Clause
#
# make_distort_reference.py - reference outputs of the graded distortions
# of qc/distort.c (qc_distort()), computed by an independent numpy/SciPy
# transcription of the definitions in that file's head, for
# tests/unit/test_qc_distort.c.
#
# Test planes (seeded numpy PCG64, written to tests/reference/data/):
#   dist_xray.f32    40x32 grey, integers in 0..4095 (12-bit X-ray-like:
#                    a blob on a background, a shutter band at 0, a
#                    saturated corner at 4095); detector 0..4095.
#   dist_fundus.u8   40x32 RGB, integers 0..255 (a lit disc on a dark
#                    surround, noise); detector 0..255.
#   dist_mr.f32      24x20 grey, NOT integers (0.5 k + 0.25, k integer: a
#                    rescale slope), a bright ellipse on Rayleigh
#                    background; detector 0.25..2047.75.
# Every kind (blur, noise, underexpose, overexpose, motion, rician,
# defocus, illumination, darken) is applied to every plane at levels 2 and
# 4 with seed 987654321 + 1000 plane + 10 kind + level; the outputs are
# data/dist_<plane>_<kind>_L<level>.f32 (.u8 for the RGB plane, whose
# outputs are integers 0..255).  Level 0 is an exact copy by definition
# and is checked in C against the input plane.
#
# Independence: the filters are SciPy's (scipy.ndimage.gaussian_filter
# with mode='reflect', truncate=4; scipy.ndimage.correlate with the
# normalised disk, mode='reflect'), cross-checked against OpenCV
# (sepFilter2D / filter2D with BORDER_REFLECT, which is SciPy's
# 'reflect'); the DFT is numpy.fft.fft2/ifft2; percentiles are
# numpy.percentile (linear); Immerkaer's noise is
# scipy.signal.convolve2d 'valid'.  The random draws (splitmix64,
# Box-Muller) are transcribed in pure Python with the math module (the same
# libm as the C code), checked against splitmix64's published first
# outputs for seed 1234567.
#
# Rounding: for integer planes the C code and this script round the same
# double value half away from zero, so they agree exactly unless the two
# doubles fall on either side of a .5 (they differ by a few ulps: SciPy
# sums the kernel in another order, the FFTs differ).  The TSV row
# "ties" counts the samples whose unrounded value is within 1e-6 of a
# half-integer without being one; the C test allows that many samples to
# differ by 1.  Values exactly on a half-integer ("exact_ties") come from
# exact arithmetic (overexpose: an odd value times 1.5) that C repeats
# exactly, so they must round alike.
#
# Run from the repository root with Debian's packages:
#   /usr/bin/python3 tests/reference/make_distort_reference.py

import math
import os

import cv2
import numpy as np
import scipy
import scipy.ndimage
import scipy.signal

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
TSV = os.path.join(HERE, "distort_reference.tsv")
COMMAND = "/usr/bin/python3 tests/reference/make_distort_reference.py"

MASK64 = (1 << 64) - 1

KINDS = {  # enum qc_distortion
    "blur": 1, "noise": 2, "underexpose": 3, "overexpose": 4, "motion": 5,
    "rician": 6, "defocus": 7, "illumination": 8, "darken": 9}


# ------------------------------------------------------------ random draws

class Rng:
    """splitmix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c) with
    Box-Muller normals, as qc/distort.c's head defines them."""

    def __init__(self, seed):
        self.state = seed & MASK64
        self.spare = None

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def unit(self):
        return float(self.next() >> 11) * 2.0 ** -53

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u1 = (float(self.next() >> 11) + 1.0) * 2.0 ** -53
        u2 = self.unit()
        rho = math.sqrt(-2.0 * math.log(u1))
        t = 2.0 * math.pi * u2
        self.spare = rho * math.sin(t)
        return rho * math.cos(t)

    def normals(self, n):
        return np.array([self.normal() for _ in range(n)], dtype=np.float64)


def check_rng():
    """splitmix64's first outputs for seed 1234567 (the values printed by
    Vigna's splitmix64.c and quoted by many ports), and the Box-Muller
    stream's first two moments."""
    r = Rng(1234567)
    got = [r.next() for _ in range(3)]
    assert got == [6457827717110365317, 3203168211198807973,
                   9817491932198370423], got
    z = Rng(42).normals(200000)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01


# ------------------------------------------------------------------ planes

def plane_xray(w=40, h=32, seed=20240711):
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    blob = 2500.0 * np.exp(-(((c - 0.5 * w) / (0.3 * w)) ** 2 +
                             ((r - 0.5 * h) / (0.35 * h)) ** 2))
    rng = np.random.default_rng(seed)
    img = 500.0 + blob + 20.0 * c + rng.normal(0.0, 40.0, size=(h, w))
    img[:, :4] = 0.0                       # shutter band at the minimum
    img[: h // 5, w - w // 6:] = 5000.0    # saturated corner
    return np.clip(np.rint(img), 0.0, 4095.0).astype(np.float32)


def plane_fundus(w=40, h=32, seed=20240712):
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(seed)
    d = np.hypot((c - (w - 1) / 2) / (0.45 * w), (r - (h - 1) / 2) /
                 (0.45 * h))
    lit = np.clip(1.2 - d, 0.0, 1.0) ** 0.5
    vessel = 1.0 - 0.4 * (np.abs(r - 0.3 * c - 8.0) < 1.5)
    red = 230.0 * lit * vessel + 5.0
    green = 120.0 * lit * vessel + 3.0
    blue = 60.0 * lit + 2.0
    img = np.stack([red, green, blue], axis=-1)
    img += rng.normal(0.0, 6.0, size=img.shape)
    return np.clip(np.rint(img), 0.0, 255.0).astype(np.float32)


def plane_mr(w=24, h=20, seed=20240713):
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(seed)
    head = (((c - 11.5) / 8.0) ** 2 + ((r - 9.5) / 7.0) ** 2) <= 1.0
    sig = np.where(head, 1800.0 + 400.0 * np.cos(c / 3.0), 0.0)
    n1 = rng.normal(0.0, 60.0, size=(h, w))
    n2 = rng.normal(0.0, 60.0, size=(h, w))
    k = np.clip(np.rint(np.hypot(sig + n1, n2)), 0, 4095)
    return (0.5 * k + 0.25).astype(np.float32)


# ------------------------------------------------------------ distortions

def reflect_index(i, n):
    """scipy.ndimage 'reflect' (d c b a | a b c d), period 2n."""
    m = i % (2 * n)
    return m if m < n else 2 * n - 1 - m


def round_half_away(v):
    """Exact round-half-away-from-zero of a float64 array."""
    a = np.abs(v)
    f = np.floor(a)
    r = f + (a - f >= 0.5)
    return np.copysign(r, v)


def finish(v, is_int, dmin, dmax):
    if is_int:
        v = round_half_away(v)
    return np.clip(v, dmin, dmax).astype(np.float32)


def near_ties(v, is_int):
    """(near, exact): samples within 1e-6 of a half-integer but not on
    one, and samples exactly on one (those come from exact arithmetic,
    e.g. an odd value times 1.5, which C repeats exactly)."""
    if not is_int:
        return 0, 0
    a = np.abs(v)
    d = np.abs(a - np.floor(a) - 0.5)
    return int(np.sum((d < 1e-6) & (d > 0))), int(np.sum(d == 0))


def immerkaer(p):
    n = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)
    h, w = p.shape
    conv = scipy.signal.convolve2d(p, n, mode="valid")
    return (math.sqrt(math.pi / 2.0) / (6.0 * (w - 2) * (h - 2)) *
            np.sum(np.abs(conv)))


def gauss(x, sigma):
    """scipy gaussian_filter per channel, checked against OpenCV."""
    out = np.empty_like(x)
    radius = int(4.0 * sigma + 0.5)
    k = np.exp(-0.5 / sigma ** 2 * np.arange(-radius, radius + 1) ** 2)
    k /= k.sum()
    for ch in range(x.shape[2]):
        out[:, :, ch] = scipy.ndimage.gaussian_filter(
            x[:, :, ch], sigma, mode="reflect", truncate=4.0)
        cv = cv2.sepFilter2D(x[:, :, ch], cv2.CV_64F, k, k,
                             borderType=cv2.BORDER_REFLECT)
        assert np.max(np.abs(cv - out[:, :, ch])) < 1e-9 * (
            1 + np.max(np.abs(x))), "gauss vs OpenCV"
    return out


def disk(x, rho):
    rr = int(math.floor(rho))
    dy, dx = np.mgrid[-rr:rr + 1, -rr:rr + 1]
    k = ((dx * dx + dy * dy).astype(np.float64) <= rho * rho).astype(
        np.float64)
    k /= k.sum()
    out = np.empty_like(x)
    for ch in range(x.shape[2]):
        out[:, :, ch] = scipy.ndimage.correlate(x[:, :, ch], k,
                                                mode="reflect")
        cv = cv2.filter2D(x[:, :, ch], cv2.CV_64F, k,
                          borderType=cv2.BORDER_REFLECT)
        assert np.max(np.abs(cv - out[:, :, ch])) < 1e-9 * (
            1 + np.max(np.abs(x))), "disk vs OpenCV"
    return out


def motion(x, level, rng):
    h, w, nc = x.shape
    d = 0.75 * level
    moved = np.array([rng.unit() < 0.3 for _ in range(h)])
    k = np.arange(w)
    ks = np.where(k < (w + 1) // 2, k, k - w).astype(np.float64)
    assert np.array_equal(ks, np.fft.fftfreq(w, 1.0 / w))
    phase = np.exp(-2j * np.pi * ks * d / w)
    out = np.empty_like(x)
    for ch in range(nc):
        f = np.fft.fft2(x[:, :, ch])
        f[moved, :] *= phase[None, :]
        out[:, :, ch] = np.abs(np.fft.ifft2(f))
    return out, int(moved.sum())


def distort(p32, dmin, dmax, kind, level, seed):
    """The distorted double values (before rounding/clamping) and a dict of
    the parameters used."""
    x = p32.astype(np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    h, w, nc = x.shape
    lv = float(level)
    p01, p99 = np.percentile(x.ravel(), [1.0, 99.0])
    rng = Rng(seed)
    info = {}
    if kind == "blur":
        s = max(1.0, min(w, h) / 512.0)
        info["sigma"] = 0.75 * lv * s
        v = gauss(x, info["sigma"])
    elif kind == "defocus":
        s = max(1.0, min(w, h) / 570.0)
        info["rho"] = 1.5 * lv * s
        v = disk(x, info["rho"])
    elif kind == "noise":
        sigma = 4.0 * lv if nc == 3 else 0.01 * lv * (p99 - p01)
        info["sigma"] = sigma
        v = x + sigma * rng.normals(x.size).reshape(x.shape)
    elif kind == "rician":
        sigma = 0.02 * lv * p99
        info["sigma"] = sigma
        z = rng.normals(2 * x.size).reshape(h, w, nc, 2)
        v = np.sqrt((x + sigma * z[..., 0]) ** 2 + (sigma * z[..., 1]) ** 2)
    elif kind == "underexpose":
        if nc == 3:
            luma = (0.299 * x[:, :, 0] + 0.587 * x[:, :, 1] +
                    0.114 * x[:, :, 2]).astype(np.float32)
        else:
            luma = p32
        sigma0 = max(immerkaer(luma.astype(np.float64)), 0.002 * (p99 - p01))
        mean = float(np.mean(x))
        den = mean - dmin
        z = rng.normals(x.size).reshape(x.shape)
        if den > 0:
            s = (sigma0 * math.sqrt(2.0 ** level - 1.0) *
                 np.sqrt(np.maximum(x - dmin, 0.0) / den))
        else:
            s = np.zeros_like(x)
        info["sigma0"] = sigma0
        info["mean"] = mean
        v = x + s * z
    elif kind == "overexpose":
        v = np.minimum(dmax, dmin + (x - dmin) * (1.0 + 0.25 * lv))
    elif kind == "motion":
        v, info["moved"] = motion(x, level, rng)
    elif kind == "illumination":
        r, c = np.mgrid[0:h, 0:w].astype(np.float64)
        u = (c / (w - 1) + r / (h - 1)) / 2.0
        g = 1.0 + 0.15 * lv * (1.0 - 2.0 * u)
        v = x * g[:, :, None]
    elif kind == "darken":
        v = x * (1.0 - 0.18 * lv)
    else:
        raise ValueError(kind)
    return v, info


# ------------------------------------------------------------------- main

def write(name, arr, ext):
    path = os.path.join(DATA, name + ext)
    if ext == ".u8":
        assert np.array_equal(arr, np.rint(arr)) and arr.min() >= 0 and \
            arr.max() <= 255
        np.ascontiguousarray(arr, dtype=np.uint8).tofile(path)
    else:
        np.ascontiguousarray(arr, dtype="<f4").tofile(path)


def main():
    check_rng()
    planes = [
        ("xray", plane_xray(), 0.0, 4095.0, ".f32"),
        ("fundus", plane_fundus(), 0.0, 255.0, ".u8"),
        ("mr", plane_mr(), 0.25, 2047.75, ".f32"),
    ]
    rows = []
    for ip, (pname, p32, dmin, dmax, ext) in enumerate(planes):
        h, w = p32.shape[:2]
        nc = 1 if p32.ndim == 2 else p32.shape[2]
        is_int = bool(np.all(np.floor(p32) == p32))
        base = "dist_%s" % pname
        write(base, p32, ext)
        rows += [(base, "width", w), (base, "height", h),
                 (base, "channels", nc), (base, "dmin", dmin),
                 (base, "dmax", dmax), (base, "integer", int(is_int))]
        for kind, ik in KINDS.items():
            for level in (2, 4):
                seed = 987654321 + 1000 * ip + 10 * ik + level
                v, info = distort(p32, dmin, dmax, kind, level, seed)
                out = finish(v, is_int, dmin, dmax)
                if nc == 1:
                    out = out[:, :, 0]
                name = "%s_%s_L%d" % (base, kind, level)
                write(name, out, ext)
                near, exact = near_ties(v, is_int)
                rows += [(name, "seed", seed), (name, "ties", near),
                         (name, "exact_ties", exact)]
                for key, val in info.items():
                    rows.append((name, key, val))
                assert not np.array_equal(out, p32), name
    with open(TSV, "w") as f:
        f.write("# distort_reference.tsv - reference data for "
                "tests/unit/test_qc_distort.c.  Do not edit: generated "
                "by\n#   %s\n# with numpy %s, scipy %s, OpenCV %s.  Planes "
                "and outputs are in data/dist_*.\n# Columns: name, metric, "
                "value (Python float repr, round-trip exact).\n" %
                (COMMAND, np.__version__, scipy.__version__,
                 cv2.__version__))
        for name, metric, val in rows:
            f.write("%s\t%s\t%r\n" % (name, metric,
                                      float(val) if isinstance(val, float)
                                      or isinstance(val, np.floating)
                                      else val))


if __name__ == "__main__":
    main()
