# SPDX-License-Identifier: BSD-3-Clause
#
# make_thumb_reference.py - reference thumbnails for
# tests/unit/test_cli_thumb.c (cli/thumb.c: a DICOM file rendered to an
# 8-bit PNG whose longer side is at most nmax), computed with pydicom,
# numpy and OpenCV, independently of dicomqc's C code and of DCMTK.
#
# For each sample file of samples/dicom/ listed in CASES:
#   decode        pydicom dcmread(...).pixel_array (stored values; planar
#                 configuration 1 comes back interleaved); a multi-frame
#                 image gives its middle frame, index frames // 2
#   modality LUT  x * RescaleSlope + RescaleIntercept (PS3.3 C.11.1.1.2),
#                 slope 1 and intercept 0 when absent
#   MONOCHROME1   inverted as dicomqc's decoder documents it
#                 (dicom/dicom_image.cc): with lo, hi the stored range
#                 0..2^BitsStored-1 (or the signed range) through the
#                 modality LUT, x -> lo + hi - x and the window centre
#                 c -> lo + hi - c
#   grey, window  the first Window Center / Width, linear VOI function of
#                 DICOM PS3.3 C.11.2.1.2.1 with output range 0..255:
#                 x <= c - 0.5 - (w-1)/2 -> 0; x > c - 0.5 + (w-1)/2 ->
#                 255; else ((x - (c - 0.5)) / (w-1) + 0.5) * 255
#   grey, none    numpy.percentile (linear) p01, p99 of the frame:
#                 clip((x - p01) / (p99 - p01) * 255, 0, 255)
#   RGB           BitsStored <= 8: clip(x, 0, 255); else
#                 (x - min) / (max - min) * 255 over the frame
#   size          longer side L = max(w, h); if L <= nmax, unchanged;
#                 else the longer side becomes nmax and the other
#                 max(1, floor(side * nmax / L + 0.5))
#   resize        cv2.resize(float64 image, (w', h'),
#                 interpolation=cv2.INTER_AREA), skipped when unchanged
#   to 8 bits     clip(numpy.rint(y), 0, 255) (round half to even, as
#                 OpenCV's cvRound / saturate_cast<uchar> do)
# and writes tests/reference/data/thumb/<png> (cv2.imwrite: 8-bit grey,
# or RGB written through COLOR_RGB2BGR so the file holds RGB) plus one
# row of tests/reference/thumb_reference.tsv:
#   file  nmax  width  height  channels  png
#
# Run from the repository root (Debian python3-numpy 1.24, pydicom 2.3.1,
# OpenCV 4.6.0 via cv2):
#   /usr/bin/python3 tests/reference/make_thumb_reference.py
# Deterministic: no random input.

import os

import cv2
import numpy as np
import pydicom

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.path.join(ROOT, "samples", "dicom")
OUT = os.path.join(HERE, "data", "thumb")
TSV = os.path.join(HERE, "thumb_reference.tsv")
COMMAND = "/usr/bin/python3 tests/reference/make_thumb_reference.py"

# (sample file, nmax): what each case covers.
CASES = [
    # MR, VOI window, explicit VR big endian, 256x256 -> 64 (factor 4)
    ("mr_head_explicit_be.dcm", 64),
    # CR MONOCHROME1 with window, 320x400 -> 51x64 (factors 6.27, 6.25)
    ("cr_chest_mono1_implicit_le.dcm", 64),
    # DX 14-bit with window, 512x512 -> 100 (factor 5.12)
    ("dx_chest_explicit_le.dcm", 100),
    # Grey 8-bit without a window (percentile window), JPEG baseline
    ("op_fundus_redfree_jpeg_baseline.dcm", 64),
    # RGB, planar configuration 1
    ("op_fundus_planar_explicit_le.dcm", 64),
    # RGB, RLE, 256 -> 100 (factor 2.56)
    ("op_fundus_rle.dcm", 100),
    # Multi-frame (3 frames, JPEG 2000 lossless): the middle frame
    ("mr_head_multiframe_j2k_lossless.dcm", 64),
    # MR, RLE, 256 -> 200 (factor 1.28: fractional weights below 2)
    ("mr_head_rle.dcm", 200),
    # Signed MR, nmax larger than the image: no resize
    ("mr_head_signed_explicit_le.dcm", 300),
]


def first(v):
    """First value of a possibly multi-valued attribute, as float."""
    if isinstance(v, pydicom.multival.MultiValue):
        v = v[0]
    return float(v)


def stored_range(ds):
    bits = int(ds.BitsStored)
    if int(ds.PixelRepresentation) == 1:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def render_grey(ds, x):
    slope = first(ds.RescaleSlope) if "RescaleSlope" in ds else 1.0
    icpt = first(ds.RescaleIntercept) if "RescaleIntercept" in ds else 0.0
    x = x.astype(np.float64) * slope + icpt
    has_window = "WindowCenter" in ds and "WindowWidth" in ds
    c = first(ds.WindowCenter) if has_window else 0.0
    w = first(ds.WindowWidth) if has_window else 0.0
    if ds.PhotometricInterpretation == "MONOCHROME1":
        smin, smax = stored_range(ds)
        a, b = smin * slope + icpt, smax * slope + icpt
        total = min(a, b) + max(a, b)
        x = total - x
        c = total - c
    if has_window:
        lower = c - 0.5 - (w - 1) / 2
        upper = c - 0.5 + (w - 1) / 2
        y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0
        y = np.where(x <= lower, 0.0, np.where(x > upper, 255.0, y))
        return y
    p01, p99 = np.percentile(x, [1.0, 99.0])
    return np.clip((x - p01) / (p99 - p01) * 255.0, 0.0, 255.0)


def render_rgb(ds, x):
    x = x.astype(np.float64)
    if int(ds.BitsStored) <= 8:
        return np.clip(x, 0.0, 255.0)
    lo, hi = x.min(), x.max()
    return (x - lo) / (hi - lo) * 255.0 if hi > lo else x * 0.0


def thumb_size(w, h, nmax):
    longer = max(w, h)
    if longer <= nmax:
        return w, h

    def side(n):
        return max(1, (2 * n * nmax + longer) // (2 * longer))

    return (nmax, side(h)) if w >= h else (side(w), nmax)


def make(name, nmax):
    ds = pydicom.dcmread(os.path.join(SAMPLES, name))
    px = ds.pixel_array
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if frames > 1:
        px = px[frames // 2]
    channels = int(ds.SamplesPerPixel)
    if channels == 1:
        img = render_grey(ds, px)
    else:
        if ds.PhotometricInterpretation != "RGB":
            raise SystemExit(name + ": only RGB colour samples are used")
        img = render_rgb(ds, px)
    h, w = img.shape[:2]
    tw, th = thumb_size(w, h, nmax)
    if (tw, th) != (w, h):
        img = cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA)
    out = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    png = "thumb_%s_%d.png" % (os.path.splitext(name)[0], nmax)
    if channels == 3:
        out = cv2.cvtColor(out, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(os.path.join(OUT, png), out):
        raise SystemExit("cannot write " + png)
    return (name, nmax, tw, th, channels, png)


def main():
    os.makedirs(OUT, exist_ok=True)
    rows = [make(name, nmax) for name, nmax in CASES]
    with open(TSV, "w") as f:
        f.write("# Made by: %s\n" % COMMAND)
        f.write("# Reference thumbnails of tests/unit/test_cli_thumb.c "
                "(PNGs in data/thumb/)\n")
        f.write("# file\tnmax\twidth\theight\tchannels\tpng\n")
        for r in rows:
            f.write("\t".join(str(v) for v in r) + "\n")


if __name__ == "__main__":
    main()
