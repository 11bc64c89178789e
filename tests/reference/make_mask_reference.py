# SPDX-License-Identifier: BSD-3-Clause
#
# make_mask_reference.py - reference values for tests/unit/test_qc_mask.c
# (qc/mask.c: Otsu's threshold, binary dilation / erosion by a square,
# hole filling, largest connected component), computed with scikit-image
# and SciPy, independently of dicomqc's C code.
#
# Writes into tests/reference/data/:
#   mask_otsu_*.f32   float32 planes whose Otsu threshold is checked
#   mask_in_*.u8      input masks (one byte per pixel, 0 or 1)
#   mask_<op>_*.u8    the expected result of each operation
# and tests/reference/mask_reference.tsv (name, metric, value): plane
# sides, thresholds, component areas.
#
#   threshold: skimage.filters.threshold_otsu(x.astype(float64), nbins=256)
#   dilate/erode r: scipy.ndimage.binary_dilation / binary_erosion with
#     np.ones((2r+1, 2r+1)), border_value=0
#   fill: scipy.ndimage.binary_fill_holes (default cross structure)
#   largest: skimage.measure.label(connectivity=2), the label with the
#     largest np.bincount count (first on a tie)
#
# Run from the repository root (Debian python3-numpy 1.24, python3-scipy
# 1.10, python3-skimage 0.19):
#   /usr/bin/python3 tests/reference/make_mask_reference.py
# Deterministic: numpy PCG64 with fixed seeds.

import os

import numpy as np
import scipy.ndimage as ndi
from skimage.filters import threshold_otsu
from skimage.measure import label

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
TSV = os.path.join(HERE, "mask_reference.tsv")
COMMAND = "/usr/bin/python3 tests/reference/make_mask_reference.py"

rows = []


def put(name, metric, value):
    rows.append((name, metric, repr(float(value))))


def write_f32(name, arr):
    np.ascontiguousarray(arr, dtype="<f4").tofile(
        os.path.join(DATA, name + ".f32"))


def write_u8(name, arr):
    np.ascontiguousarray(arr, dtype=np.uint8).tofile(
        os.path.join(DATA, name + ".u8"))


def otsu_planes():
    rng = np.random.default_rng(20240701)
    h, w = 53, 71
    # Bimodal float plane: dark background, bright disc, noise.
    r, c = np.mgrid[0:h, 0:w]
    disc = (r - 26) ** 2 + (c - 40) ** 2 < 18 ** 2
    bim = np.where(disc, 800.0, 100.0) + rng.normal(0, 60.0, (h, w))
    # Integer plane, skewed, with repeated values (multiples of 4).
    skew = 4.0 * np.floor(rng.gamma(2.0, 20.0, (h, w)))
    # Float plane with negative values and a heavy tail.
    neg = rng.standard_t(3, (h, w)) * 50.0 - 20.0
    for name, x in (("bimodal", bim), ("skew", skew), ("signed", neg)):
        x32 = x.astype(np.float32)
        nm = "mask_otsu_%s_%dx%d" % (name, w, h)
        write_f32(nm, x32)
        put(nm, "width", w)
        put(nm, "height", h)
        put(nm, "threshold", threshold_otsu(x32.astype(np.float64)))
        # Only the left half of the columns (the aMask argument).
        sel = x32[:, : w // 2].astype(np.float64)
        put(nm, "threshold_lefthalf", threshold_otsu(sel))
    # Two values only.
    two = np.zeros((h, w), np.float32)
    two[5:20, 7:30] = 3.0
    nm = "mask_otsu_two_%dx%d" % (w, h)
    write_f32(nm, two)
    put(nm, "width", w)
    put(nm, "height", h)
    put(nm, "threshold", threshold_otsu(two.astype(np.float64)))


def binary_planes():
    rng = np.random.default_rng(20240702)
    h, w = 47, 61
    # Sparse random pixels (dilation), dense random pixels (erosion), and
    # blobs from smoothed noise (holes, several 8-connected components).
    sparse = rng.random((h, w)) < 0.04
    dense = rng.random((h, w)) < 0.93
    smooth = ndi.gaussian_filter(rng.normal(0, 1, (h, w)), 2.0)
    blobs = smooth > 0.05
    # A ring with a hole, touching the border on one side, and two
    # diagonally touching squares (one component in 8-connectivity).
    shapes = np.zeros((h, w), bool)
    shapes[5:20, 5:20] = True
    shapes[9:16, 9:16] = False
    shapes[12, 12] = True           # island inside the hole
    shapes[30:46, 0:10] = True
    shapes[35:40, 0:5] = False      # open to the border: not a hole
    shapes[25:30, 40:45] = True
    shapes[30:35, 45:50] = True     # touches the previous at a corner
    shapes[38:40, 55:57] = True
    for name, m in (("sparse", sparse), ("dense", dense), ("blobs", blobs),
                    ("shapes", shapes)):
        nm = "mask_in_%s_%dx%d" % (name, w, h)
        write_u8(nm, m)
        put(nm, "width", w)
        put(nm, "height", h)
        for rad in (1, 2, 5, 40):
            se = np.ones((2 * rad + 1, 2 * rad + 1), bool)
            write_u8("mask_dilate%d_%s_%dx%d" % (rad, name, w, h),
                     ndi.binary_dilation(m, se, border_value=0))
            write_u8("mask_erode%d_%s_%dx%d" % (rad, name, w, h),
                     ndi.binary_erosion(m, se, border_value=0))
        write_u8("mask_fill_%s_%dx%d" % (name, w, h), ndi.binary_fill_holes(m))
        lab = label(m, connectivity=2)
        cnt = np.bincount(lab.ravel())
        cnt[0] = 0
        if lab.max() > 0:
            big = lab == np.argmax(cnt)
        else:
            big = np.zeros_like(m)
        write_u8("mask_largest_%s_%dx%d" % (name, w, h), big)
        put(nm, "largest_area", big.sum())
        put(nm, "components", lab.max())


def main():
    os.makedirs(DATA, exist_ok=True)
    otsu_planes()
    binary_planes()
    with open(TSV, "w") as f:
        f.write("# Reference values for tests/unit/test_qc_mask.c, made by\n")
        f.write("#   %s\n" % COMMAND)
        f.write("# name\tmetric\tvalue\n")
        for r in rows:
            f.write("\t".join(r) + "\n")


if __name__ == "__main__":
    main()
