# SPDX-License-Identifier: BSD-3-Clause
#
# make_qc_reference.py - reference values for the qc/ unit tests, computed
# by implementations independent of dicomqc's C code.
#
# It builds small deterministic test planes (ramp, checkerboard, seeded
# Gaussian noise on a smooth background, a clipped X-ray-like exposure and
# an RGB image), writes them as little-endian float32 raw files into
# tests/reference/data/, computes every qc/ metric on them with numpy,
# SciPy, OpenCV, scikit-image and pydicom, and writes
# tests/reference/qc_reference.tsv (name, metric, value) plus the expected
# per-pixel outputs of qc_render_display() and qc_image_luma() as .f32
# files.  The C tests (tests/unit/test_qc_*.c) read those files by path.
#
# Every metric is computed by one implementation and cross-checked by a
# second one where a second one exists; the script stops if they disagree.
# Metrics are computed on the float32 planes cast to float64, which is what
# the C code does (it reads float samples and accumulates in double).
#
# Run from the repository root, with Debian's packages (python3-numpy,
# python3-scipy, python3-skimage, python3-opencv, python3-pydicom):
#   /usr/bin/python3 tests/reference/make_qc_reference.py
# The output is deterministic: the noise comes from numpy's PCG64 generator
# with fixed seeds.  The committed .f32 files are the ground truth the C
# tests use; a numpy release that changed the PCG64 normal stream would
# regenerate different planes together with matching reference values.

import math
import os
import sys

import cv2
import numpy as np
import pydicom
import pydicom.pixel_data_handlers.util as pdutil
import scipy
import scipy.ndimage
import scipy.signal
import skimage
import skimage.exposure

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
TSV = os.path.join(HERE, "qc_reference.tsv")
COMMAND = "/usr/bin/python3 tests/reference/make_qc_reference.py"

# Immerkaer's noise kernel, J. Immerkaer, "Fast Noise Variance
# Estimation", CVIU 64(2):300-302, 1996, eq. 8 (difference of two
# Laplacian masks).
IMMERKAER_N = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]],
                       dtype=np.float64)


def write_f32(name, arr):
    """Writes arr as little-endian float32, row-major; returns the path."""
    path = os.path.join(DATA, name + ".f32")
    np.ascontiguousarray(arr, dtype="<f4").tofile(path)
    return path


# ---------------------------------------------------------------- planes

def plane_ramp(w, h):
    """I(r, c) = 4 c + 0.5 r: linear, so both Laplacians vanish."""
    r, c = np.mgrid[0:h, 0:w]
    return (4.0 * c + 0.5 * r).astype(np.float32)


def plane_checker(w, h, side=8, lo=10.0, hi=200.0):
    """Checkerboard of side x side squares of lo and hi."""
    r, c = np.mgrid[0:h, 0:w]
    return np.where(((r // side) + (c // side)) % 2 == 0, lo,
                    hi).astype(np.float32)


def plane_gauss(w, h, sigma=20.0, seed=20240601):
    """Smooth background plus N(0, sigma^2) noise from PCG64(seed)."""
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    bg = (1000.0 + 300.0 * np.sin(2 * np.pi * c / w) *
          np.cos(2 * np.pi * r / h) + 2.0 * c)
    rng = np.random.default_rng(seed)
    return (bg + rng.normal(0.0, sigma, size=(h, w))).astype(np.float32)


def plane_xray(w, h, seed=20240602):
    """A 12-bit exposure: Gaussian blob + noise, a shuttered band held at
    the detector minimum 0 and a saturated corner clipped at 4095, rounded
    to integers like stored pixel values."""
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    blob = 3000.0 * np.exp(-(((c - 0.45 * w) / (0.35 * w)) ** 2 +
                             ((r - 0.5 * h) / (0.4 * h)) ** 2))
    rng = np.random.default_rng(seed)
    img = 600.0 + blob + rng.normal(0.0, 30.0, size=(h, w))
    img[:, :6] = -50.0                              # shutter band
    img[: h // 5, w - w // 6:] += 5000.0            # direct exposure
    return np.clip(np.rint(img), 0.0, 4095.0).astype(np.float32)


def plane_rgb(w, h, seed=20240603):
    """An RGB image, 0..255 with fractional values, channels interleaved."""
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(seed)
    red = 255.0 * c / (w - 1)
    green = np.where(((r // 6) + (c // 6)) % 2 == 0, 40.0, 215.0)
    blue = np.clip(128.0 + rng.normal(0.0, 40.0, size=(h, w)), 0, 255)
    return np.stack([red, green, blue], axis=-1).astype(np.float32)


# --------------------------------------------------------------- metrics

def noise_immerkaer(p32):
    """Immerkaer 1996 eq. 8 with scipy.signal.convolve2d 'valid'
    (interior pixels only); cross-checked with OpenCV filter2D."""
    x = p32.astype(np.float64)
    h, w = x.shape
    conv = scipy.signal.convolve2d(x, IMMERKAER_N, mode="valid")
    sigma = (math.sqrt(math.pi / 2.0) / (6.0 * (w - 2) * (h - 2)) *
             np.sum(np.abs(conv)))
    # The kernel is symmetric, so correlation (filter2D) == convolution.
    corr = cv2.filter2D(x, cv2.CV_64F, IMMERKAER_N)[1:-1, 1:-1]
    check("noise: scipy vs cv2", np.max(np.abs(conv - corr)), 1e-9)
    return float(sigma)


def laplacian_var(p32):
    """Pech-Pacheco et al. 2000: population variance of the 4-neighbour
    Laplacian, OpenCV Laplacian ksize=1 on float64, interior pixels only;
    cross-checked with scipy.ndimage.laplace."""
    x = p32.astype(np.float64)
    lap = cv2.Laplacian(x, cv2.CV_64F, ksize=1)[1:-1, 1:-1]
    lap2 = scipy.ndimage.laplace(x)[1:-1, 1:-1]
    check("laplacian: cv2 vs scipy", np.max(np.abs(lap - lap2)), 1e-9)
    return float(np.var(lap))


def exposure(p32, dmin, dmax):
    """numpy mean and percentile (default method 'linear'), clipped
    fractions against the detector range."""
    x = p32.astype(np.float64)
    p01, p99 = np.percentile(x, [1.0, 99.0])
    dyn = float(p99 - p01)
    return {
        "exposure_mean": float(np.mean(x)),
        "exposure_p01": float(p01),
        "exposure_p99": float(p99),
        "exposure_clip_low": float(np.count_nonzero(x <= dmin) / x.size),
        "exposure_clip_high": float(np.count_nonzero(x >= dmax) / x.size),
        "exposure_dyn_range": dyn,
        "exposure_dyn_range_bits": math.log2(1.0 + dyn),
    }


def render_window(p32, center, width):
    """DICOM PS3.3 C.11.2.1.2.1 linear VOI function, output 0..255, in
    numpy; cross-checked with pydicom's apply_windowing."""
    x = p32.astype(np.float64)
    lo = center - 0.5 - (width - 1.0) / 2.0
    hi = center - 0.5 + (width - 1.0) / 2.0
    y = ((x - (center - 0.5)) / (width - 1.0) + 0.5) * 255.0
    y = np.where(x <= lo, 0.0, np.where(x > hi, 255.0, y))
    ds = pydicom.Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = 8            # output range 0..2^8-1 = 0..255
    ds.PixelRepresentation = 0
    ds.WindowCenter = center
    ds.WindowWidth = width
    y2 = pdutil.apply_windowing(x.copy(), ds)
    check("window: numpy vs pydicom", np.max(np.abs(y - y2)), 1e-9)
    return y.astype(np.float32)


def render_auto(p32):
    """1st..99th percentile of the plane mapped linearly to 0..255 and
    clamped, in numpy; cross-checked with skimage rescale_intensity."""
    x = p32.astype(np.float64)
    p01, p99 = np.percentile(x, [1.0, 99.0])
    y = np.clip((x - p01) / (p99 - p01) * 255.0, 0.0, 255.0)
    y2 = skimage.exposure.rescale_intensity(x, in_range=(p01, p99),
                                            out_range=(0.0, 255.0))
    check("auto window: numpy vs skimage", np.max(np.abs(y - y2)), 1e-9)
    return y.astype(np.float32), float(p01), float(p99)


def luma(rgb32):
    """ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B in float64; cross-
    checked with OpenCV COLOR_RGB2GRAY (float32 arithmetic)."""
    x = rgb32.astype(np.float64)
    y = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    y2 = cv2.cvtColor(rgb32, cv2.COLOR_RGB2GRAY).astype(np.float64)
    check("luma: numpy vs cv2", np.max(np.abs(y - y2) / (1 + np.abs(y))),
          1e-5)
    return y.astype(np.float32)


def check(what, err, tol):
    if not err <= tol:
        sys.exit(f"make_qc_reference: {what}: difference {err} > {tol}")


# ------------------------------------------------------------------ main

def main():
    os.makedirs(DATA, exist_ok=True)
    rows = []  # (name, metric, value)

    def put(name, metric, value):
        rows.append((name, metric, float(value)))

    # name -> (plane, detector_min, detector_max)
    planes = {
        "ramp_64x48": (plane_ramp(64, 48), 0.0, None),
        "checker_64x48": (plane_checker(64, 48), 10.0, 200.0),
        "gauss_101x77": (plane_gauss(101, 77), 900.0, 1300.0),
        "xray_101x77": (plane_xray(101, 77), 0.0, 4095.0),
    }
    for name, (p, dmin, dmax) in planes.items():
        if dmax is None:
            dmax = float(p.max())
        write_f32(name, p)
        h, w = p.shape
        put(name, "width", w)
        put(name, "height", h)
        put(name, "detector_min", dmin)
        put(name, "detector_max", dmax)
        put(name, "noise_immerkaer", noise_immerkaer(p))
        put(name, "laplacian_var", laplacian_var(p))
        for metric, value in exposure(p, dmin, dmax).items():
            put(name, metric, value)

    # Percentiles at more ranks, for the percentile selection itself.
    g64 = planes["gauss_101x77"][0].astype(np.float64)
    for q in (0.0, 0.5, 1.0, 25.0, 50.0, 75.0, 99.0, 99.5, 100.0):
        put("gauss_101x77", f"percentile_{q:g}", np.percentile(g64, q))

    # Edge cases of numpy.percentile that the C selection follows: an
    # interpolation involving an infinity (which can give NaN: 5 + inf * 0)
    # and the sign of a lone zero.  The inputs are repeated in
    # tests/unit/test_qc_exposure.c.
    edges = {
        "edge_5_inf": [5.0, math.inf],
        "edge_inf_inf": [math.inf, math.inf],
        "edge_neg_zero": [-0.0],
    }
    with np.errstate(invalid="ignore"):
        for name, values in edges.items():
            x = np.array(values, dtype=np.float32).astype(np.float64)
            for q in (0.0, 30.0, 50.0):
                put(name, f"percentile_{q:g}", np.percentile(x, q))

    # Display rendering with the file's window, and with none.
    xray = planes["xray_101x77"][0]
    center, width = 1800.5, 2000.0
    put("xray_101x77", "window_center", center)
    put("xray_101x77", "window_width", width)
    out = render_window(xray, center, width)
    write_f32("render_window_xray_101x77", out)
    put("xray_101x77", "render_window_mean", np.mean(out, dtype=np.float64))
    out, p01, p99 = render_auto(planes["gauss_101x77"][0])
    write_f32("render_auto_gauss_101x77", out)
    put("gauss_101x77", "render_auto_mean", np.mean(out, dtype=np.float64))

    # Luminance of an RGB image.
    rgb = plane_rgb(64, 48)
    write_f32("rgb_64x48", rgb)
    put("rgb_64x48", "width", 64)
    put("rgb_64x48", "height", 48)
    write_f32("luma_rgb_64x48", luma(rgb))

    # The 8-bit models' input of an 8-bit RGB image: OpenCV's
    # cvtColor(COLOR_RGB2GRAY) on uint8, which rounds in fixed point.
    rng = np.random.default_rng(20240604)
    rgb8 = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
    rgb8[0, :8] = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0],
                   [0, 0, 255], [1, 2, 3], [128, 128, 127], [254, 1, 253]]
    write_f32("rgb8_64x48", rgb8.astype(np.float32))
    put("rgb8_64x48", "width", 64)
    put("rgb8_64x48", "height", 48)
    gray8 = cv2.cvtColor(rgb8, cv2.COLOR_RGB2GRAY)
    c = rgb8.astype(np.int64)
    y = (9798 * c[..., 0] + 19235 * c[..., 1] + 3735 * c[..., 2] +
         16384) >> 15
    check("gray8: cv2 vs fixed-point formula",
          float(np.max(np.abs(y - gray8))), 0.0)
    write_f32("gray8_rgb8_64x48", gray8.astype(np.float32))

    with open(TSV, "w", encoding="ascii", newline="\n") as f:
        f.write("# qc_reference.tsv - reference values for tests/unit/"
                "test_qc_*.c.  Do not edit: generated by\n")
        f.write(f"#   {COMMAND}\n")
        f.write(f"# with numpy {np.__version__}, scipy {scipy.__version__}, "
                f"scikit-image {skimage.__version__}, OpenCV "
                f"{cv2.__version__}, pydicom {pydicom.__version__}.\n")
        f.write("# name = plane file tests/reference/data/<name>.f32 "
                "(little-endian float32, row-major, width x height).\n")
        f.write("# Values are Python float repr (round-trip exact).\n")
        f.write("name\tmetric\tvalue\n")
        for name, metric, value in rows:
            f.write(f"{name}\t{metric}\t{value!r}\n")


if __name__ == "__main__":
    main()
