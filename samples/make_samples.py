#!/usr/bin/python3
"""make_samples.py - generate dicomqc's synthetic DICOM sample files.

Computes chest radiograph (DX, CR), brain MR and retinal fundus (OP) phantoms
with numpy, writes them as DICOM with pydicom, re-encodes them into every
transfer syntax dicomqc must read (DCMTK for native/JPEG/JPEG-LS/RLE, OpenJPEG
for JPEG 2000, OpenJPH for HTJ2K), validates every file (dcmdump, a DCMTK
decompression or an OpenJPEG decode, pixel comparison against the phantom) and
writes INDEX.tsv beside OUTDIR.

Everything is deterministic: fixed seeds (numpy's frozen legacy RandomState),
UIDs derived from file names under 2.25, fixed dates.  No patient data.

Usage: /usr/bin/python3 samples/make_samples.py [OUTDIR]   (default samples/dicom)
Run through samples/make_samples.sh.
"""

import hashlib
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_pixel_data_frame
from pydicom.sequence import Sequence

# ---------------------------------------------------------------------------
# constants

ROOT_SALT = "dicomqc-samples-v1"
IMPL_VERSION = "DICOMQC_SAMPLES1"

TS = {
    "implicit_le": "1.2.840.10008.1.2",
    "explicit_le": "1.2.840.10008.1.2.1",
    "deflated": "1.2.840.10008.1.2.1.99",
    "explicit_be": "1.2.840.10008.1.2.2",
    "jpeg_baseline": "1.2.840.10008.1.2.4.50",
    "jpeg_extended": "1.2.840.10008.1.2.4.51",
    "jpeg_lossless": "1.2.840.10008.1.2.4.57",
    "jpeg_lossless_sv1": "1.2.840.10008.1.2.4.70",
    "jpegls_lossless": "1.2.840.10008.1.2.4.80",
    "jpegls_near_lossless": "1.2.840.10008.1.2.4.81",
    "j2k_lossless": "1.2.840.10008.1.2.4.90",
    "j2k_lossy": "1.2.840.10008.1.2.4.91",
    "htj2k_lossless": "1.2.840.10008.1.2.4.201",
    "htj2k_rpcl_lossless": "1.2.840.10008.1.2.4.202",
    "htj2k_lossy": "1.2.840.10008.1.2.4.203",
    "rle": "1.2.840.10008.1.2.5",
}
LOSSY_TS = {"jpeg_baseline", "jpeg_extended", "jpegls_near_lossless",
            "j2k_lossy", "htj2k_lossy"}

# pydicom 2.3 predates HTJ2K (DICOM 2023b): teach it the three UIDs so that it
# writes/reads them as encapsulated (compressed) explicit VR little endian.
for _u, _n, _k in (
        ("1.2.840.10008.1.2.4.201",
         "High-Throughput JPEG 2000 Image Compression (Lossless Only)", "HTJ2KLossless"),
        ("1.2.840.10008.1.2.4.202",
         "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
         "HTJ2KLosslessRPCL"),
        ("1.2.840.10008.1.2.4.203",
         "High-Throughput JPEG 2000 Image Compression", "HTJ2K")):
    pydicom._uid_dict.UID_dictionary.setdefault(_u, (_n, "Transfer Syntax", "", "", _k))

SOP_DX_PRES = "1.2.840.10008.5.1.4.1.1.1.1"
SOP_CR = "1.2.840.10008.5.1.4.1.1.1"
SOP_MR = "1.2.840.10008.5.1.4.1.1.4"
SOP_SC = "1.2.840.10008.5.1.4.1.1.7"
SOP_SC_MF_WORD = "1.2.840.10008.5.1.4.1.1.7.3"
SOP_OP8 = "1.2.840.10008.5.1.4.1.1.77.1.5.1"


def uid(*parts):
    """Deterministic UID 2.25.<int> from a name (UUID-derived UID form)."""
    h = hashlib.sha256((ROOT_SALT + "|" + "|".join(parts)).encode()).digest()
    n = int.from_bytes(h[:15], "big") | (1 << 116)  # < 2**120 (fits 128 bits), non-zero
    u = "2.25.%d" % n
    assert len(u) <= 64 and re.fullmatch(r"[0-9]+(\.[0-9]+)*", u)
    return u


IMPL_CLASS_UID = uid("implementation", IMPL_VERSION)


# ---------------------------------------------------------------------------
# small image helpers (numpy only)

def gauss_kernel(sigma):
    r = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def blur(img, sigma):
    """Separable Gaussian blur with edge replication."""
    if sigma <= 0:
        return img
    k = gauss_kernel(sigma)
    r = len(k) // 2
    out = img.astype(np.float64)
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        p = np.pad(out, pad, mode="edge")
        acc = np.zeros_like(out)
        n = out.shape[axis]
        for i, w in enumerate(k):
            sl = [slice(None)] * out.ndim
            sl[axis] = slice(i, i + n)
            acc += w * p[tuple(sl)]
        out = acc
    return out


def smoothstep(e0, e1, x):
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def grid(rows, cols):
    """Normalised coordinates: x in [-1,1] across columns, y down the rows."""
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    x = (x + 0.5) / cols * 2 - 1
    y = (y + 0.5) / rows * 2 - 1
    return x, y


def ellipse(x, y, cx, cy, a, b, soft=0.01):
    """Soft-edged ellipse mask (1 inside)."""
    r = np.sqrt(((x - cx) / a) ** 2 + ((y - cy) / b) ** 2)
    return 1.0 - smoothstep(1.0 - soft / min(a, b), 1.0 + soft / min(a, b), r)


def chord(x, y, cx, cy, a, b):
    """Path length through an ellipsoid of semi-axes a,b (depth ~ a)."""
    r2 = ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2
    return np.sqrt(np.clip(1.0 - r2, 0.0, None))


# ---------------------------------------------------------------------------
# phantoms

def chest_phantom(rows, cols, seed, dose=1.0, bits=14, mono1=False, zoom=1.0):
    """Chest PA radiograph for presentation.

    Returns stored values (uint16, 0..2^bits-1). Attenuation line integrals are
    turned into transmitted photon counts (Poisson noise, scaled by dose),
    log-transformed ("LOG" pixel intensity relationship) and scaled so that
    attenuating structures are bright in MONOCHROME2. A flat collimation band
    at value 0 (black) surrounds the exposed field. mono1 inverts the grey
    scale (the band is then at the maximum value, still black).
    """
    rs = np.random.RandomState(seed)
    x, y = grid(rows, cols)
    x = x * (cols / rows) / zoom  # keep anatomy round on non-square detectors
    y = y / zoom
    mu = np.zeros_like(x)
    # trunk soft tissue
    body = chord(x, y, 0.0, 0.2, 0.84, 1.3)
    mu += 2.0 * body
    # shoulders / upper arms at the top corners
    for s in (-1, 1):
        mu += 0.9 * chord(x, y, s * 0.93, -0.7, 0.2, 0.5)
    # diaphragm domes (right side higher): lungs stop here, abdomen below
    dome = np.minimum(0.38 + 0.9 * (x + 0.36) ** 2, 0.44 + 0.9 * (x - 0.38) ** 2)
    below = smoothstep(-0.02, 0.03, y - dome)
    # heart, bulging to the patient's left (image right in PA)
    heart = chord(x, y, 0.09, 0.25, 0.3, 0.22)
    heart_m = ellipse(x, y, 0.09, 0.25, 0.3, 0.22, soft=0.06)
    # lungs: air replaces tissue, except where heart and mediastinum are
    lungs = np.zeros_like(x)
    for s, cx in ((-1, -0.37), (1, 0.38)):
        lungs += chord(x, y, cx, -0.05, 0.28, 0.62)
    med_m = np.exp(-(x / 0.14) ** 6)
    lungs *= (1 - below) * (1 - heart_m) * (1 - med_m)
    mu -= 1.45 * lungs
    mu += 0.35 * heart
    mu += 0.5 * med_m * smoothstep(-1.0, -0.7, y)  # mediastinum
    mu += 0.35 * below * (body > 0)  # liver / abdomen
    # spine: vertebral bodies with darker disc spaces, seen through the mediastinum
    spine = np.exp(-(x / 0.075) ** 4)
    discs = np.cos(np.pi * (y + 1) / 0.135) ** 12
    mu += 0.4 * spine * (1 - 0.35 * discs)
    # pedicles: paired bright ovals along the spine
    ped = np.zeros_like(x)
    for s in (-1, 1):
        ped += np.exp(-((x - s * 0.06) / 0.015) ** 2) * np.cos(np.pi * (y + 1) / 0.135 + 1.5) ** 8
    mu += 0.25 * ped
    # ribs: posterior arcs rise from the spine then curve down laterally;
    # anterior ribs (fainter) slope down towards the sternum
    thorax = (ellipse(x, y, 0.0, -0.05, 0.82, 0.85, soft=0.05) * (1 - below))
    ribs = np.zeros_like(x)
    for s in (-1, 1):
        u = s * x
        for i in range(10):
            y0 = -0.86 + i * 0.13
            yc = y0 - 0.12 * u + 0.5 * u * u + 1.0 * u ** 4
            t = 0.026 + 0.012 * i / 9
            prof = np.sqrt(np.clip(1 - ((y - yc) / t) ** 2, 0, None))
            ribs += prof * smoothstep(0.04, 0.1, u) * (1 - smoothstep(0.74, 0.82, u))
            ya = y0 + 0.3 + 0.55 * (0.8 - u)
            prof = np.sqrt(np.clip(1 - ((y - ya) / 0.035) ** 2, 0, None))
            ribs += 0.45 * prof * smoothstep(0.3, 0.4, u) * (1 - smoothstep(0.74, 0.82, u))
    mu += 0.45 * ribs * thorax
    # clavicles
    for s in (-1, 1):
        u = s * x
        yc = -0.66 - 0.2 * (u - 0.3) + 0.35 * (u - 0.3) ** 2
        prof = np.sqrt(np.clip(1 - ((y - yc) / 0.032) ** 2, 0, None))
        mu += 0.6 * prof * smoothstep(0.06, 0.1, u) * (1 - smoothstep(0.62, 0.7, u))
    # lung vessels: faint branching texture, denser towards the hila
    tex = blur(rs.normal(0, 1, x.shape), 3.0 * rows / 512)
    mu += 0.12 * np.abs(tex) / (np.abs(tex).mean() + 1e-9) * lungs
    mu = blur(mu, 1.0)  # focal spot and detector unsharpness
    # photons: ~30000 quanta per pixel in air at normal dose
    n0 = 30000.0 * dose
    counts = rs.poisson(n0 * np.exp(-mu)).astype(np.float64)
    counts = np.maximum(counts, 0.5)
    att = -np.log(counts / n0)  # 0 in air, ~3 behind the abdomen
    maxv = (1 << bits) - 1
    v = 0.05 * maxv + att / 3.6 * 0.9 * maxv
    v = blur(v, 0.6)
    # collimation: flat band outside the exposed field (asymmetric, like real shutters)
    field = np.zeros((rows, cols), bool)
    field[int(rows * 0.03):rows - int(rows * 0.045), int(cols * 0.05):cols - int(cols * 0.04)] = True
    v = np.clip(np.round(v), 1, maxv - 1)
    v[~field] = 0
    if mono1:
        v = maxv - v
    return v.astype(np.uint16)


def brain_phantom(rows, cols, seed, weighting="T1", slice_shift=0.0,
                  noise=18.0, signed_real=False):
    """Axial brain MR slice (magnitude with Rician noise, or real-valued)."""
    rs = np.random.RandomState(seed)
    x, y = grid(rows, cols)
    s = 1.0 - 0.06 * abs(slice_shift)
    # tissue signal levels (fraction of full scale) per contrast
    lv = {"T1": dict(fat=0.85, bone=0.03, csf=0.12, gm=0.42, wm=0.62, deep=0.48),
          "T2": dict(fat=0.45, bone=0.02, csf=0.95, gm=0.55, wm=0.38, deep=0.45)}[weighting]
    r = np.sqrt((x / (0.74 * s)) ** 2 + (y / (0.9 * s)) ** 2)
    img = np.zeros_like(x)
    head = r < 1.0
    img[head] = lv["fat"]
    img[r < 0.95] = lv["bone"]
    img[r < 0.895] = lv["csf"]
    # cortex with gyri: a smooth random field (same anatomy for every call) folds
    # the grey/white boundary and cuts sulci from the surface inwards
    ars = np.random.RandomState(7)
    g = blur(ars.normal(0, 1, (rows, cols)), rows / 56.0)
    g = g / (g.std() + 1e-9)
    depth = 0.875 * s - r * s  # distance below the brain surface (normalised)
    brain = r < 0.875
    img[brain] = lv["gm"]
    wm = brain & (depth > 0.07 + 0.06 * np.clip(-g, 0, None) - 0.035 * np.clip(g, 0, None))
    img[wm] = lv["wm"]
    sulci = brain & (g < -0.7) & (depth < 0.02 + 0.1 * (-g - 0.7))
    img[sulci] = lv["csf"]
    # interhemispheric fissure
    img[brain & (np.abs(x) < 0.014) & (np.abs(y) > 0.3)] = lv["csf"]
    # white-matter texture
    img[wm] += 0.02 * blur(ars.normal(0, 1, (rows, cols)), 1.5)[wm]
    # deep grey nuclei and ventricles
    for sx in (-1, 1):
        m = ellipse(x, y, sx * 0.2, 0.05, 0.1, 0.16) > 0.5
        img[m] = lv["deep"]
        m = ellipse(x, y, sx * 0.09, -0.1 + 0.03 * slice_shift, 0.06 * s, 0.26 * s) > 0.5
        img[m] = lv["csf"]
    img = blur(img, 0.8)
    # receive-coil bias field
    img *= 1.0 + 0.18 * x - 0.1 * y + 0.08 * (x * x + y * y)
    full = 2200.0
    sig = img * full
    n1 = rs.normal(0.0, noise, sig.shape)
    n2 = rs.normal(0.0, noise, sig.shape)
    if signed_real:
        phase = 0.5 * x + 0.35 * y * y
        out = sig * np.cos(phase) + n1
        return np.clip(np.round(out), -2048, 2047).astype(np.int16)
    out = np.sqrt((sig + n1) ** 2 + n2 ** 2)
    return np.clip(np.round(out), 0, 4095).astype(np.uint16)


def draw_segment(acc, p0, p1, width, strength, xs, ys):
    """Darkening profile of one vessel segment (in pixel coordinates)."""
    pad = width * 2 + 2
    x0 = int(max(0, math.floor(min(p0[0], p1[0]) - pad)))
    x1 = int(min(acc.shape[1], math.ceil(max(p0[0], p1[0]) + pad) + 1))
    y0 = int(max(0, math.floor(min(p0[1], p1[1]) - pad)))
    y1 = int(min(acc.shape[0], math.ceil(max(p0[1], p1[1]) + pad) + 1))
    if x0 >= x1 or y0 >= y1:
        return
    px = xs[y0:y1, x0:x1]
    py = ys[y0:y1, x0:x1]
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    ll = dx * dx + dy * dy
    t = np.clip(((px - p0[0]) * dx + (py - p0[1]) * dy) / max(ll, 1e-9), 0, 1)
    d = np.hypot(px - (p0[0] + t * dx), py - (p0[1] + t * dy))
    prof = strength * np.exp(-(d / (0.5 * width + 0.3)) ** 2)
    sub = acc[y0:y1, x0:x1]
    np.maximum(sub, prof, out=sub)


def fundus_phantom(size, seed, right_eye=True):
    """Colour fundus photograph, uint8 RGB (rows, cols, 3)."""
    rs = np.random.RandomState(seed)
    x, y = grid(size, size)
    if not right_eye:
        x = -x
    r = np.hypot(x, y)
    R0 = 0.92
    field = 1.0 - smoothstep(R0 - 0.015, R0 + 0.005, r)
    # choroidal texture and vignetting
    tex = blur(rs.normal(0, 1, (size, size)), size / 80.0)
    tex = tex / (tex.std() + 1e-9)
    vig = np.clip(1.0 - 0.55 * (r / R0) ** 2.2, 0.2, 1.0)
    base = np.stack([np.full_like(x, 215.0), np.full_like(x, 95.0), np.full_like(x, 42.0)], -1)
    img = base * (1 + 0.05 * tex)[..., None] * vig[..., None]
    # macula (darker, fovea centre slightly darker still)
    mac = np.exp(-(((x + 0.16) ** 2 + (y - 0.03) ** 2) / 0.018))
    img *= (1 - 0.35 * mac)[..., None] * np.array([1.0, 0.85, 0.8])[None, None, :] ** mac[..., None]
    # optic disc: bright yellow-white with a brighter cup
    dcx, dcy = 0.42, -0.02
    disc = ellipse(x, y, dcx, dcy, 0.085, 0.095, soft=0.02)
    cup = np.exp(-(((x - dcx - 0.01) ** 2 + (y - dcy) ** 2) / 0.0012))
    disc_col = np.array([250.0, 205.0, 140.0])
    img = img * (1 - disc[..., None]) + disc_col[None, None, :] * disc[..., None]
    img = img + (cup[..., None] * np.array([5.0, 30.0, 25.0]))
    # vessels: random branching tree from the disc
    xs, ys = np.meshgrid(np.arange(size, dtype=np.float64), np.arange(size, dtype=np.float64))
    vein = np.zeros((size, size))
    art = np.zeros((size, size))
    sgn = 1.0 if right_eye else -1.0
    to_px = lambda p: ((sgn * p[0] + 1) / 2 * size - 0.5, (p[1] + 1) / 2 * size - 0.5)
    w0 = size / 512.0 * 7.0
    stack = []
    # (pos, angle, width, kind, bend, steps-left)
    for ang, bend, kind in ((112, 1.6, 0), (100, 1.5, 1), (-112, -1.6, 0), (-100, -1.5, 1),
                            (20, 0.2, 0), (-25, -0.2, 1), (35, 0.1, 1), (-40, -0.1, 0)):
        a = math.radians(ang)
        w = w0 if abs(ang) > 90 else w0 * 0.7
        stack.append(([dcx, dcy], a, w * (1.0 if kind == 0 else 0.8), kind, bend, 60))
    step = 0.025
    while stack:
        p, a, w, kind, bend, left = stack.pop()
        p = list(p)
        for _ in range(left):
            a += math.radians(bend) * 1.6 + rs.normal(0, 0.035)
            q = [p[0] + step * math.cos(a), p[1] - step * math.sin(a)]
            if math.hypot(q[0], q[1]) > R0 - 0.01:
                break
            if math.hypot(q[0] + 0.16, q[1] - 0.03) < 0.07 + 0.04 * w / w0:
                break  # avascular zone around the fovea
            draw_segment(vein if kind == 0 else art, to_px(p), to_px(q), w,
                         min(1.0, 0.35 + w / (0.6 * w0)), xs, ys)
            p = q
            if rs.uniform() < 0.06 and w > 1.4:
                side = 1 if rs.uniform() < 0.5 else -1
                stack.append((list(p), a + side * math.radians(rs.uniform(25, 50)),
                              w * 0.65, kind, side * rs.uniform(0.1, 0.8), 22))
                w *= 0.85
            w *= 0.992
            if w < 0.8:
                break
    vcol = np.array([0.55, 0.38, 0.45])
    acol = np.array([0.75, 0.55, 0.6])
    img = img * (1 - vein[..., None] * (1 - vcol)) * (1 - art[..., None] * (1 - acol))
    img = np.stack([blur(img[..., c], 0.7) for c in range(3)], -1)
    img += rs.normal(0, 1.2, img.shape)
    # dark surround: nearly constant (sensor black level) so RLE finds runs
    dark = np.array([3.0, 2.0, 2.0]) + np.round(rs.normal(0, 0.35, img.shape))
    img = img * field[..., None] + (1 - field[..., None]) * dark
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def rgb_to_ybr_full(rgb):
    f = rgb.astype(np.float64)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    yy = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return np.clip(np.round(np.stack([yy, cb, cr], -1)), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------
# DICOM headers

def code_item(value, scheme, meaning):
    it = Dataset()
    it.CodeValue = value
    it.CodingSchemeDesignator = scheme
    it.CodeMeaning = meaning
    return it


def base_dataset(name, sop_class, modality, patient, study_key, series_no, desc):
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid("sop", name)
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = "20260101"
    ds.StudyTime = "090000"
    ds.SeriesTime = "090500"
    ds.ContentTime = ds.AcquisitionTime = "090512"
    ds.InstanceCreationDate = "20260101"
    ds.InstanceCreationTime = "090530"
    ds.AccessionNumber = "QCS%s" % hashlib.sha256(study_key.encode()).hexdigest()[:8].upper()
    ds.Modality = modality
    ds.Manufacturer = "dicomqc samples"
    ds.ManufacturerModelName = "synthetic phantom"
    ds.InstitutionName = "dicomqc Test Hospital"
    ds.ReferringPhysicianName = ""
    ds.StationName = {"DX": "DXROOM1", "CR": "CRREADER2", "MR": "MR3T01", "OP": "FUNDUS01"}[modality]
    ds.StudyDescription = desc[0]
    ds.SeriesDescription = desc[1]
    ds.OperatorsName = "TECH^ALEX"
    ds.PatientName = patient[0]
    ds.PatientID = patient[1]
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.PatientIdentityRemoved = "NO"
    ds.DeviceSerialNumber = "DQC-0001"
    ds.SoftwareVersions = "make_samples.py 1"
    ds.StudyInstanceUID = uid("study", study_key)
    ds.SeriesInstanceUID = uid("series", name)
    ds.StudyID = "1"
    ds.SeriesNumber = series_no
    ds.InstanceNumber = 1
    ds.ImageComments = "dicomqc synthetic phantom (no patient data): " + desc[2]
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    return ds


def set_pixel_module(ds, rows, cols, bits_alloc, bits_stored, signed, photometric,
                     spp=1, planar=0, frames=1):
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = photometric
    if spp > 1:
        ds.PlanarConfiguration = planar
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = bits_alloc
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0


def xray_dataset(name, kind, pix, series_no, bits, ei=None, tei=None, mono1=False,
                 slope=1.0, intercept=0.0, desc_extra=""):
    rows, cols = pix.shape
    if kind == "DX":
        ds = base_dataset(name, SOP_DX_PRES, "DX", ("PHANTOM^CHEST", "DQC-CHEST-01"),
                          "chest-dx", series_no,
                          ("XR CHEST PA", "Chest PA", "chest PA radiograph" + desc_extra))
    else:
        ds = base_dataset(name, SOP_CR, "CR", ("PHANTOM^CHEST", "DQC-CHEST-01"),
                          "chest-cr", series_no,
                          ("CR CHEST PA", "Chest PA (CR)", "chest PA computed radiograph" + desc_extra))
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.PatientOrientation = ["L", "F"]
    ds.ImageLaterality = "U"
    ds.AnatomicRegionSequence = Sequence([code_item("51185008", "SCT", "Chest")])
    ds.KVP = "120"
    # technique scales with the exposure index (EI 400 = 320 mA x 8 ms = 2.56 mAs)
    f = 1.0 if ei is None else ei / 400.0
    ds.ExposureTime = "%d" % max(1, round(8 * f))
    ds.XRayTubeCurrent = "320"
    ds.Exposure = "%d" % max(1, round(2.56 * f))
    ds.ExposureInuAs = int(round(2560 * f))
    ds.DistanceSourceToDetector = "1800"
    ds.DistanceSourceToPatient = "1600"
    ds.EstimatedRadiographicMagnificationFactor = "1.125"
    ds.Grid = "IN"
    ds.FilterType = "NONE"
    ds.FocalSpots = "1.2"
    ds.RelativeXRayExposure = 100 if ei is None else int(ei / 4)
    spacing = "0.7" if kind == "DX" else "0.8"
    ds.ImagerPixelSpacing = [spacing, spacing]
    ds.PixelSpacing = [spacing, spacing]
    ds.PixelSpacingCalibrationType = "GEOMETRY"
    ds.PixelSpacingCalibrationDescription = "uncorrected for magnification"
    if ei is not None:
        ds.ExposureIndex = "%g" % ei
        ds.TargetExposureIndex = "%g" % tei
        ds.DeviationIndex = "%.2f" % (10 * math.log10(ei / tei))
    set_pixel_module(ds, rows, cols, 16, bits, False,
                     "MONOCHROME1" if mono1 else "MONOCHROME2")
    ds.RescaleIntercept = "%g" % intercept
    ds.RescaleSlope = "%g" % slope
    ds.RescaleType = "US"
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = -1 if mono1 else 1
    # window from the exposed-field percentiles, in rescaled units
    exposed = pix[(pix > 0) & (pix < (1 << bits) - 1)].astype(np.float64) * slope + intercept
    lo, hi = np.percentile(exposed, [1, 99.5])
    ds.WindowCenter = "%d" % round((lo + hi) / 2)
    ds.WindowWidth = "%d" % round(hi - lo)
    ds.WindowCenterWidthExplanation = "CHEST"
    if kind == "DX":
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.DetectorType = "SCINTILLATOR"
        ds.DetectorConfiguration = "AREA"
        ds.DetectorID = "DET-A1"
        ds.PresentationLUTShape = "INVERSE" if mono1 else "IDENTITY"
        ds.ViewCodeSequence = Sequence([])
        ds.AcquisitionContextSequence = Sequence([])
    else:
        ds.PlateType = "IP-A"
        ds.PhosphorType = "BaFBr"
        ds.Sensitivity = "200"
    return ds


def mr_dataset(name, pix, series_no, weighting, pe_dir, frames=1, signed=False, sc=False,
               slice_locs=(0.0,)):
    rows, cols = pix.shape[-2:]
    kind = "%s-weighted axial brain" % weighting
    if signed:
        kind += ", real-valued (signed) reconstruction"
    sop = SOP_SC_MF_WORD if sc else SOP_MR
    ds = base_dataset(name, sop, "MR", ("PHANTOM^HEAD", "DQC-HEAD-01"), "head-mr", series_no,
                      ("MR BRAIN", "ax %s" % weighting, kind))
    ds.ImageType = ["ORIGINAL", "PRIMARY", "R" if signed else "M", "ND"]
    if sc:
        ds.ImageType = ["DERIVED", "SECONDARY"]
        ds.ConversionType = "SYN"
        ds.FrameIncrementPointer = pydicom.tag.Tag(0x0018, 0x2005)
        ds.SliceLocationVector = ["%.1f" % s for s in slice_locs]
        ds.RescaleIntercept = "0"
        ds.RescaleSlope = "1"
        ds.RescaleType = "US"
    ds.BodyPartExamined = "HEAD"
    ds.ScanningSequence = "SE"
    ds.SequenceVariant = "NONE"
    ds.ScanOptions = ""
    ds.MRAcquisitionType = "2D"
    ds.SequenceName = "se2d1"
    ds.MagneticFieldStrength = "3"
    ds.ImagingFrequency = "127.74"
    ds.ImagedNucleus = "1H"
    if weighting == "T1":
        ds.RepetitionTime, ds.EchoTime, ds.FlipAngle = "500", "10", "90"
    else:
        ds.RepetitionTime, ds.EchoTime, ds.FlipAngle = "4000", "95", "90"
    ds.EchoTrainLength = "1"
    ds.NumberOfAverages = "1"
    ds.SliceThickness = "5"
    ds.SpacingBetweenSlices = "5"
    ds.PixelBandwidth = "200"
    ds.ReceiveCoilName = "HEAD_32"
    ds.TransmitCoilName = "BODY"
    ds.InPlanePhaseEncodingDirection = pe_dir
    ds.AcquisitionMatrix = [0, cols, rows, 0] if pe_dir == "ROW" else [rows, 0, 0, cols]
    ds.PatientPosition = "HFS"
    ps = 230.0 / cols
    ds.PixelSpacing = ["%.6g" % ps, "%.6g" % ps]
    if not sc:  # Image Plane module (not part of the Secondary Capture IODs)
        ds.FrameOfReferenceUID = uid("for", "head-mr")
        ds.PositionReferenceIndicator = ""
        ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
        ds.ImagePositionPatient = ["%.4g" % (-cols * ps / 2), "%.4g" % (-rows * ps / 2),
                                   "%.1f" % slice_locs[0]]
        ds.SliceLocation = "%.1f" % slice_locs[0]
    set_pixel_module(ds, rows, cols, 16, 12, signed, "MONOCHROME2", frames=frames)
    inside = pix[pix > 150]
    c = float(np.percentile(inside, 60)) if inside.size else 1000.0
    ds.WindowCenter = "%d" % round(c)
    ds.WindowWidth = "%d" % round(2.2 * c)
    return ds


def op_dataset(name, pix, series_no, photometric, planar=0, laterality="R", redfree=False,
               sc=False):
    rows, cols = pix.shape[:2]
    what = "red-free (green channel) fundus photograph" if redfree else "colour fundus photograph"
    ds = base_dataset(name, SOP_SC if sc else SOP_OP8, "OP", ("PHANTOM^FUNDUS", "DQC-EYE-01"),
                      "eye-op", series_no,
                      ("OP FUNDUS", ("Red-free " if redfree else "Colour ") + laterality,
                       what + ", %s eye, 45 degree field" % ("right" if laterality == "R" else "left")))
    if sc:
        ds.ConversionType = "SYN"
        ds.ImageType = ["DERIVED", "SECONDARY"]
    else:
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
        ds.AcquisitionDateTime = "20260101090512"
        ds.AcquisitionDeviceTypeCodeSequence = Sequence(
            [code_item("409898007", "SCT", "Fundus Camera")])
        ds.IlluminationTypeCodeSequence = Sequence([])
        ds.LightPathFilterTypeStackCodeSequence = Sequence([])
        ds.ImagePathFilterTypeStackCodeSequence = Sequence([])
        ds.LensesCodeSequence = Sequence([])
        ds.DetectorType = "CCD"
        ds.PatientEyeMovementCommanded = "NO"
        ds.EmmetropicMagnification = 1.0
        ds.IntraOcularPressure = None
        ds.HorizontalFieldOfView = 45.0
        ds.PupilDilated = "YES"
    ds.BodyPartExamined = "EYE"
    ds.ImageLaterality = laterality
    ds.Laterality = laterality
    ds.AnatomicRegionSequence = Sequence([code_item("81745001", "SCT", "Eye")])
    ds.PatientOrientation = ""
    ps = 12.0 / cols  # ~12 mm field on the retina
    ds.PixelSpacing = ["%.6g" % ps, "%.6g" % ps]
    spp = 1 if redfree else 3
    set_pixel_module(ds, rows, cols, 8, 8, False, photometric, spp=spp, planar=planar)
    return ds


def save(ds, path, ts_key, pixel_bytes=None, frames=None):
    """Write ds to path with the given transfer syntax (native or encapsulated)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = TS[ts_key]
    meta.ImplementationClassUID = IMPL_CLASS_UID
    meta.ImplementationVersionName = IMPL_VERSION
    fds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    fds.update(ds)
    if frames is not None:
        fds.PixelData = encapsulate(frames, has_bot=True)
        fds["PixelData"].VR = "OB"
        fds["PixelData"].is_undefined_length = True
        fds.is_little_endian, fds.is_implicit_VR = True, False
    else:
        fds.PixelData = pixel_bytes
        fds["PixelData"].VR = "OB" if ds.BitsAllocated == 8 else "OW"
        fds.is_little_endian = True
        fds.is_implicit_VR = ts_key == "implicit_le"
    fds.save_as(path, write_like_original=False)


def native_bytes(pix, planar=0):
    """Little-endian native pixel bytes. pix: (rows, cols[, 3]) or (frames, rows, cols)."""
    a = pix
    if a.ndim == 3 and a.shape[-1] == 3 and planar == 1:
        a = a.transpose(2, 0, 1)
    if a.dtype == np.uint16:
        return a.astype("<u2").tobytes()
    if a.dtype == np.int16:
        return a.astype("<i2").tobytes()
    return a.astype(np.uint8).tobytes()


# ---------------------------------------------------------------------------
# external tools

def run(cmd, **kw):
    """Run a command, fail loudly on non-zero exit, record it."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        sys.stderr.write("FAILED (%d): %s\n%s%s" % (p.returncode, " ".join(cmd),
                                                    p.stdout.decode(errors="replace"),
                                                    p.stderr.decode(errors="replace")))
        raise SystemExit(1)
    return p


def write_pnm(path, a, bits):
    """PGM/PPM (binary, 16-bit big-endian above 8 bits) with maxval 2^bits-1."""
    maxv = (1 << bits) - 1
    if a.ndim == 2:
        hdr = b"P5\n%d %d\n%d\n" % (a.shape[1], a.shape[0], maxv)
    else:
        hdr = b"P6\n%d %d\n%d\n" % (a.shape[1], a.shape[0], maxv)
    data = a.astype(">u2").tobytes() if bits > 8 else a.astype(np.uint8).tobytes()
    with open(path, "wb") as f:
        f.write(hdr + data)


def read_pnm(path):
    with open(path, "rb") as f:
        data = f.read()
    toks = []
    pos = 0
    while len(toks) < 4:
        m = re.compile(rb"\s*(#[^\n]*\n\s*)*(\S+)").match(data, pos)
        toks.append(m.group(2))
        pos = m.end()
    pos += 1  # single whitespace after maxval
    magic, w, h, maxv = toks[0], int(toks[1]), int(toks[2]), int(toks[3])
    ch = 3 if magic == b"P6" else 1
    dt = ">u2" if maxv > 255 else np.uint8
    a = np.frombuffer(data[pos:], dtype=dt, count=w * h * ch)
    return a.reshape((h, w, 3) if ch == 3 else (h, w)).astype(np.int32)


def j2k_siz(cs):
    """Parse main-header info of a J2K codestream: components, precision, sign,
    size, progression order, markers present."""
    assert cs[:4] == b"\xff\x4f\xff\x51", "not a J2K codestream (no SOC/SIZ)"
    pos = 2
    info = {"markers": set()}
    while pos < len(cs):
        marker = struct.unpack(">H", cs[pos:pos + 2])[0]
        if marker == 0xFF90:  # SOT: main header ends
            break
        ln = struct.unpack(">H", cs[pos + 2:pos + 4])[0]
        seg = cs[pos + 4:pos + 2 + ln]
        info["markers"].add(marker)
        if marker == 0xFF51:
            rsiz, xs, ys, xo, yo = struct.unpack(">HIIII", seg[:18])
            ncomp = struct.unpack(">H", seg[34:36])[0]
            ssiz = seg[36]
            info.update(rsiz=rsiz, width=xs - xo, height=ys - yo, ncomp=ncomp,
                        precision=(ssiz & 0x7F) + 1, signed=bool(ssiz & 0x80))
        elif marker == 0xFF52:
            info.update(progression=seg[1], mct=seg[4], decomps=seg[5],
                        reversible=seg[9] == 1)
        pos += 2 + ln
    info["main_header_end"] = pos
    return info


def insert_tlm(cs):
    """Add a TLM marker segment (required by HTJ2K RPCL, PS3.5 10.18) listing all
    tile-parts, placed at the end of the main header."""
    info = j2k_siz(cs)
    if 0xFF55 in info["markers"]:
        return cs
    pos = info["main_header_end"]
    parts = []
    p = pos
    while p < len(cs) and cs[p:p + 2] == b"\xff\x90":
        isot, psot = struct.unpack(">HI", cs[p + 4:p + 10])
        assert psot > 0, "Psot 0 (last tile-part to EOC) not handled"
        parts.append((isot, psot))
        p += psot
    assert cs[p:p + 2] == b"\xff\xd9", "tile-parts do not end at EOC"
    body = bytes([0, 0x60])  # Ztlm=0; Stlm: ST=2 (16-bit Ttlm), SP=1 (32-bit Ptlm)
    for isot, psot in parts:
        body += struct.pack(">HI", isot, psot)
    seg = b"\xff\x55" + struct.pack(">H", 2 + len(body)) + body
    return cs[:pos] + seg + cs[pos:]


# ---------------------------------------------------------------------------
# building one sample of each kind

class Sample:
    def __init__(self, fname, ts_key, ds, pix, desc, phantom, encoder, lossy=False,
                 planar=0, near=0):
        self.fname, self.ts_key, self.ds, self.pix = fname, ts_key, ds, pix
        self.desc, self.phantom, self.encoder = desc, phantom, encoder
        self.lossy, self.planar, self.near = lossy, planar, near


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(here, "dicom")
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        if f.endswith(".dcm"):
            os.remove(os.path.join(outdir, f))
    work = tempfile.mkdtemp(prefix="dicomqc-samples-")
    try:
        samples = build(outdir, work)
        validate(samples, outdir, work)
        write_index(samples, outdir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sum(os.path.getsize(os.path.join(outdir, s.fname)) for s in samples)
    print("wrote %d files, %.2f MB, to %s" % (len(samples), total / 1e6, outdir))


def build(outdir, work):
    S = []
    out = lambda f: os.path.join(outdir, f)
    tmp = lambda f: os.path.join(work, f)

    # ---- phantoms -------------------------------------------------------
    dx = chest_phantom(512, 512, seed=101, dose=1.0, bits=14)
    dx_low = chest_phantom(512, 512, seed=102, dose=0.25, bits=14)
    cr1 = chest_phantom(400, 320, seed=103, dose=0.8, bits=12, mono1=True, zoom=0.92)
    cr2_raw = chest_phantom(400, 320, seed=104, dose=1.0, bits=12, mono1=True, zoom=0.92)
    t1 = brain_phantom(256, 256, seed=201, weighting="T1")
    t2 = np.stack([brain_phantom(256, 256, seed=210 + i, weighting="T2", slice_shift=i - 1)
                   for i in range(3)])
    t1s = brain_phantom(256, 256, seed=202, weighting="T1", signed_real=True)
    fu = fundus_phantom(512, seed=301, right_eye=True)
    fu_s = fundus_phantom(256, seed=302, right_eye=False)
    redfree = np.clip(np.round((fu[..., 1].astype(np.float64) - 4) * 1.9), 0, 255).astype(np.uint8)

    # ---- native files written directly by pydicom ------------------------
    def native(fname, ts_key, ds, pix, desc, phantom, planar=0):
        save(ds, out(fname), ts_key, native_bytes(pix, planar))
        S.append(Sample(fname, ts_key, ds, pix, desc, phantom,
                        "pydicom %s (native)" % pydicom.__version__, planar=planar))

    ds = xray_dataset("dx_chest_explicit_le", "DX", dx, 1, 14, ei=400, tei=400)
    native("dx_chest_explicit_le.dcm", "explicit_le", ds, dx,
           "DX chest PA, 14-bit, normal dose (DI 0.0)", "dx_chest")

    ds = xray_dataset("cr_chest_mono1_implicit_le", "CR", cr1, 1, 12, mono1=True)
    native("cr_chest_mono1_implicit_le.dcm", "implicit_le", ds, cr1,
           "CR chest PA, MONOCHROME1, 12-bit, 400 rows x 320 columns", "cr_chest_mono1")

    ds = mr_dataset("mr_head_signed_explicit_le", t1s, 3, "T1", "COL", signed=True)
    native("mr_head_signed_explicit_le.dcm", "explicit_le", ds, t1s,
           "MR T1 brain, signed 12-bit (two's complement, sign-extended), negative background",
           "mr_head_signed")

    ds = op_dataset("op_fundus_planar_explicit_le", fu_s, 2, "RGB", planar=1, laterality="L", sc=True)
    native("op_fundus_planar_explicit_le.dcm", "explicit_le", ds, fu_s,
           "fundus RGB 256x256, PlanarConfiguration 1 (Secondary Capture, Modality OP)",
           "op_fundus_small", planar=1)

    ybr = rgb_to_ybr_full(fu_s)
    ds = op_dataset("op_fundus_ybr_full_explicit_le", ybr, 3, "YBR_FULL", laterality="L", sc=True)
    native("op_fundus_ybr_full_explicit_le.dcm", "explicit_le", ds, ybr,
           "fundus 256x256, native YBR_FULL (Secondary Capture, Modality OP)",
           "op_fundus_small_ybr")

    # ---- sources for the encoders (explicit LE, in the work dir) ----------
    def source(key, ds, pix, planar=0):
        p = tmp(key + "_src.dcm")
        save(ds, p, "explicit_le", native_bytes(pix, planar))
        return p

    def dcmtk(fname, ts_key, ds, pix, desc, phantom, tool, flags, near=0):
        src = source(fname[:-4], ds, pix)
        run([tool] + flags + [src, out(fname)])
        S.append(Sample(fname, ts_key, ds, pix, desc, phantom,
                        " ".join([tool] + flags), lossy=ts_key in LOSSY_TS, near=near))

    ds = mr_dataset("mr_head_explicit_be", t1, 1, "T1", "ROW")
    dcmtk("mr_head_explicit_be.dcm", "explicit_be", ds, t1,
          "MR T1 brain 256x256, 12-bit, big endian (retired TS)", "mr_head_t1",
          "dcmconv", ["+tb"])

    ds = mr_dataset("mr_head_deflated", t1, 1, "T1", "ROW")
    dcmtk("mr_head_deflated.dcm", "deflated", ds, t1,
          "MR T1 brain 256x256, deflated explicit VR LE", "mr_head_t1", "dcmconv", ["+td"])

    ds = op_dataset("op_fundus_jpeg_baseline", fu, 1, "RGB")
    dcmtk("op_fundus_jpeg_baseline.dcm", "jpeg_baseline", ds, fu,
          "fundus RGB 512x512 -> JPEG baseline YBR_FULL_422, quality 90", "op_fundus",
          "dcmcjpeg", ["+eb", "+q", "90", "+un"])

    ds = op_dataset("op_fundus_redfree_jpeg_baseline", redfree, 4, "MONOCHROME2", redfree=True)
    dcmtk("op_fundus_redfree_jpeg_baseline.dcm", "jpeg_baseline", ds, redfree,
          "red-free fundus, 8-bit grey 512x512, JPEG baseline quality 90", "op_fundus_redfree",
          "dcmcjpeg", ["+eb", "+q", "90", "+sr", "+un"])

    # dcmcjpeg's lossy modes re-render monochrome images through the modality LUT;
    # by default (+sp +ri) they stretch min..max pixel value to the full range and
    # write an identity rescale, changing the stored values.  +sr keeps the range,
    # +rm writes the original RescaleSlope/Intercept.
    ds = xray_dataset("cr_chest_rescale_jpeg_extended", "CR", cr2_raw, 2, 12, mono1=True,
                      slope=0.5, intercept=-100, desc_extra=", rescale slope 0.5 intercept -100")
    dcmtk("cr_chest_rescale_jpeg_extended.dcm", "jpeg_extended", ds, cr2_raw,
          "CR chest, MONOCHROME1, 12-bit, RescaleSlope 0.5 / Intercept -100, JPEG extended (process 4) q90",
          "cr_chest_rescale", "dcmcjpeg", ["+ee", "+q", "90", "+sr", "+rm", "+un"])

    ds = xray_dataset("dx_chest_underexposed_jpeg_lossless", "DX", dx_low, 2, 14, ei=100, tei=400,
                      desc_extra=", underexposed (quarter dose)")
    dcmtk("dx_chest_underexposed_jpeg_lossless.dcm", "jpeg_lossless", ds, dx_low,
          "DX chest, 14-bit, quarter dose (EI 100, target 400, DI -6.02), JPEG lossless SV6",
          "dx_chest_underexposed", "dcmcjpeg", ["+el", "+sv", "6"])

    ds = mr_dataset("mr_head_jpeg_lossless_sv1", t1, 1, "T1", "ROW")
    dcmtk("mr_head_jpeg_lossless_sv1.dcm", "jpeg_lossless_sv1", ds, t1,
          "MR T1 brain 256x256, JPEG lossless first-order prediction (SV1)", "mr_head_t1",
          "dcmcjpeg", ["+e1"])

    ds = xray_dataset("cr_chest_mono1_jpegls_lossless", "CR", cr1, 1, 12, mono1=True)
    dcmtk("cr_chest_mono1_jpegls_lossless.dcm", "jpegls_lossless", ds, cr1,
          "CR chest MONOCHROME1 12-bit, JPEG-LS lossless", "cr_chest_mono1",
          "dcmcjpls", ["+el"])

    ds = xray_dataset("cr_chest_rescale_jpegls_near_lossless", "CR", cr2_raw, 2, 12, mono1=True,
                      slope=0.5, intercept=-100, desc_extra=", rescale slope 0.5 intercept -100")
    dcmtk("cr_chest_rescale_jpegls_near_lossless.dcm", "jpegls_near_lossless", ds, cr2_raw,
          "CR chest MONOCHROME1 12-bit rescaled, JPEG-LS near-lossless NEAR=3", "cr_chest_rescale",
          "dcmcjpls", ["+en", "+md", "3", "+un"], near=3)

    ds = mr_dataset("mr_head_multiframe_jpegls_lossless", t2, 2, "T2", "ROW", frames=3, sc=True,
                    slice_locs=(-5.0, 0.0, 5.0))
    dcmtk("mr_head_multiframe_jpegls_lossless.dcm", "jpegls_lossless", ds, t2,
          "MR T2 brain, 3 frames (Multi-frame Grayscale Word SC, Modality MR), JPEG-LS lossless",
          "mr_head_t2_3frames", "dcmcjpls", ["+el"])

    ds = mr_dataset("mr_head_rle", t1, 1, "T1", "ROW")
    dcmtk("mr_head_rle.dcm", "rle", ds, t1, "MR T1 brain 256x256, RLE lossless", "mr_head_t1",
          "dcmcrle", [])

    ds = op_dataset("op_fundus_rle", fu_s, 2, "RGB", laterality="L")
    dcmtk("op_fundus_rle.dcm", "rle", ds, fu_s, "fundus RGB 256x256, RLE lossless",
          "op_fundus_small", "dcmcrle", [])

    # ---- JPEG 2000 family: codestreams by opj_compress / ojph_compress ---
    def j2k(fname, ts_key, ds, pix, desc, phantom, tool, flags, photometric=None,
            lossy=False, tlm=False):
        frames_pix = pix if (pix.ndim == 3 and pix.shape[-1] != 3) else pix[None]
        bits = ds.BitsStored
        signed = ds.PixelRepresentation == 1
        frames = []
        for i, fp in enumerate(frames_pix):
            base = tmp("%s_f%d" % (fname[:-4], i))
            if signed:
                inp = base + (".rawl" if tool == "opj_compress" else ".yuv")
                fp.astype("<i2").tofile(inp)
            else:
                inp = base + (".ppm" if fp.ndim == 3 else ".pgm")
                write_pnm(inp, fp, bits)
            cs = base + (".j2k" if tool == "opj_compress" else ".j2c")
            cmd = [tool, "-i", inp, "-o", cs] + flags
            if signed and tool == "opj_compress":
                cmd += ["-F", "%d,%d,1,%d,s" % (fp.shape[1], fp.shape[0], bits)]
            run(cmd)
            with open(cs, "rb") as f:
                data = f.read()
            if tlm:
                data = insert_tlm(data)
            frames.append(data)
        d = Dataset()
        d.update(ds)
        if photometric:
            d.PhotometricInterpretation = photometric
        if lossy:
            raw = pix.size * (2 if ds.BitsAllocated == 16 else 1)
            comp = sum(len(f) for f in frames)
            d.LossyImageCompression = "01"
            d.LossyImageCompressionRatio = "%.2f" % (raw / comp)
            d.LossyImageCompressionMethod = "ISO_15444_15" if "htj2k" in ts_key else "ISO_15444_1"
            d.ImageType = ["DERIVED"] + list(ds.ImageType)[1:]
        save(d, out(fname), ts_key, frames=frames)
        S.append(Sample(fname, ts_key, d, pix, desc, phantom, " ".join([tool] + flags)
                        + (" + TLM marker inserted by make_samples.py" if tlm else ""),
                        lossy=lossy))

    ds = xray_dataset("dx_chest_j2k_lossless", "DX", dx, 3, 14, ei=400, tei=400)
    j2k("dx_chest_j2k_lossless.dcm", "j2k_lossless", ds, dx,
        "DX chest 14-bit, JPEG 2000 lossless (5/3)", "dx_chest", "opj_compress", [])

    ds = xray_dataset("dx_chest_htj2k_rpcl_lossless", "DX", dx, 4, 14, ei=400, tei=400)
    j2k("dx_chest_htj2k_rpcl_lossless.dcm", "htj2k_rpcl_lossless", ds, dx,
        "DX chest 14-bit, HTJ2K lossless RPCL with TLM", "dx_chest", "ojph_compress",
        ["-reversible", "true", "-prog_order", "RPCL", "-num_decomps", "5"], tlm=True)

    ds = mr_dataset("mr_head_signed_j2k_lossless", t1s, 3, "T1", "COL", signed=True)
    j2k("mr_head_signed_j2k_lossless.dcm", "j2k_lossless", ds, t1s,
        "MR T1 signed 12-bit, JPEG 2000 lossless (signed codestream)", "mr_head_signed",
        "opj_compress", [])

    ds = mr_dataset("mr_head_multiframe_j2k_lossless", t2, 2, "T2", "ROW", frames=3, sc=True,
                    slice_locs=(-5.0, 0.0, 5.0))
    j2k("mr_head_multiframe_j2k_lossless.dcm", "j2k_lossless", ds, t2,
        "MR T2 brain, 3 frames (SC Word, Modality MR), JPEG 2000 lossless, one fragment per frame",
        "mr_head_t2_3frames", "opj_compress", [])

    ds = mr_dataset("mr_head_j2k_lossy", t1, 1, "T1", "ROW")
    j2k("mr_head_j2k_lossy.dcm", "j2k_lossy", ds, t1,
        "MR T1 brain, JPEG 2000 irreversible 9/7, ratio 10", "mr_head_t1",
        "opj_compress", ["-I", "-r", "10"], lossy=True)

    ds = mr_dataset("mr_head_htj2k_lossless", t1, 1, "T1", "ROW")
    j2k("mr_head_htj2k_lossless.dcm", "htj2k_lossless", ds, t1,
        "MR T1 brain, HTJ2K lossless (LRCP)", "mr_head_t1", "ojph_compress",
        ["-reversible", "true", "-prog_order", "LRCP"])

    ds = mr_dataset("mr_head_htj2k_lossy", t1, 1, "T1", "ROW")
    j2k("mr_head_htj2k_lossy.dcm", "htj2k_lossy", ds, t1,
        "MR T1 brain, HTJ2K irreversible 9/7, qstep 0.002", "mr_head_t1", "ojph_compress",
        ["-reversible", "false", "-qstep", "0.002"], lossy=True)

    ds = op_dataset("op_fundus_j2k_lossless", fu_s, 2, "RGB", laterality="L")
    j2k("op_fundus_j2k_lossless.dcm", "j2k_lossless", ds, fu_s,
        "fundus RGB 256x256, JPEG 2000 lossless with RCT (YBR_RCT)", "op_fundus_small",
        "opj_compress", ["-mct", "1"], photometric="YBR_RCT")

    ds = op_dataset("op_fundus_j2k_lossy", fu, 1, "RGB")
    j2k("op_fundus_j2k_lossy.dcm", "j2k_lossy", ds, fu,
        "fundus RGB 512x512, JPEG 2000 9/7 with ICT (YBR_ICT), ratio 30", "op_fundus",
        "opj_compress", ["-I", "-mct", "1", "-r", "30"], photometric="YBR_ICT", lossy=True)

    ds = op_dataset("op_fundus_htj2k_lossless", fu_s, 2, "RGB", laterality="L")
    j2k("op_fundus_htj2k_lossless.dcm", "htj2k_lossless", ds, fu_s,
        "fundus RGB 256x256, HTJ2K lossless with RCT (YBR_RCT)", "op_fundus_small",
        "ojph_compress", ["-reversible", "true", "-colour_trans", "true"], photometric="YBR_RCT")

    ds = op_dataset("op_fundus_htj2k_lossy", fu, 1, "RGB")
    j2k("op_fundus_htj2k_lossy.dcm", "htj2k_lossy", ds, fu,
        "fundus RGB 512x512, HTJ2K 9/7 with ICT (YBR_ICT), qstep 0.02", "op_fundus",
        "ojph_compress", ["-reversible", "false", "-colour_trans", "true", "-qstep", "0.02"],
        photometric="YBR_ICT", lossy=True)
    return S


# ---------------------------------------------------------------------------
# validation

def to_compare(s):
    """Reference pixels as int32 in (frames, rows, cols[, 3]) layout."""
    a = s.pix.astype(np.int32)
    if a.ndim == 2 or (a.ndim == 3 and a.shape[-1] == 3):
        a = a[None]
    return a


def check_pixels(s, got, what):
    ref = to_compare(s)
    got = got.astype(np.int32).reshape(ref.shape)
    err = np.abs(got - ref)
    if not s.lossy:
        if err.max() != 0:
            raise SystemExit("%s: %s is not lossless (max error %d)" % (s.fname, what, err.max()))
        return 0.0
    if s.near:
        if err.max() > s.near:
            raise SystemExit("%s: near-lossless error %d > NEAR %d" % (s.fname, err.max(), s.near))
    peak = (1 << s.ds.BitsStored) - 1
    mse = float(np.mean((got - ref).astype(np.float64) ** 2))
    psnr = 99.0 if mse == 0 else 10 * math.log10(peak * peak / mse)
    if psnr < 30:
        raise SystemExit("%s: %s PSNR %.1f dB is implausibly low" % (s.fname, what, psnr))
    return psnr


def validate(samples, outdir, work):
    for s in samples:
        path = os.path.join(outdir, s.fname)
        p = run(["dcmdump", "+E", path])  # must parse; +E: errors to stderr
        if p.stderr.strip():
            raise SystemExit("%s: dcmdump complained:\n%s" % (s.fname, p.stderr.decode()))
        ds = pydicom.dcmread(path)
        if ds.file_meta.TransferSyntaxUID != TS[s.ts_key]:
            raise SystemExit("%s: TS %s, expected %s" % (s.fname, ds.file_meta.TransferSyntaxUID,
                                                         TS[s.ts_key]))
        s.psnr = None
        tsk = s.ts_key
        if "j2k" in tsk:
            nfr = int(getattr(ds, "NumberOfFrames", 1))
            got = []
            for i, cs in enumerate(generate_pixel_data_frame(ds.PixelData, nfr)):
                cs = cs.rstrip(b"\0") if not cs.endswith(b"\xff\xd9") else cs
                info = j2k_siz(cs)
                assert info["width"] == ds.Columns and info["height"] == ds.Rows, s.fname
                assert info["ncomp"] == ds.SamplesPerPixel, s.fname
                assert info["precision"] == ds.BitsStored, (s.fname, info)
                assert info["signed"] == (ds.PixelRepresentation == 1), s.fname
                assert info["reversible"] == (not s.lossy), s.fname
                if ds.SamplesPerPixel == 3:
                    assert info["mct"] == 1, s.fname
                    assert ds.PhotometricInterpretation == ("YBR_ICT" if s.lossy else "YBR_RCT")
                is_ht = tsk.startswith("htj2k")
                assert bool(info["rsiz"] & 0x4000) == is_ht, (s.fname, "Rsiz HT bit")
                if tsk == "htj2k_rpcl_lossless":
                    assert info["progression"] == 2, "RPCL required"
                    assert 0xFF55 in info["markers"], "TLM required"
                    assert max(ds.Rows, ds.Columns) >> info["decomps"] <= 64
                cfile = os.path.join(work, "chk_%s_%d.j2k" % (s.fname[:-4], i))
                with open(cfile, "wb") as f:
                    f.write(cs)
                if ds.PixelRepresentation == 1:
                    ofile = cfile[:-4] + ".rawl"
                    run(["opj_decompress", "-i", cfile, "-o", ofile])
                    # opj_decompress writes signed samples of precision < 16 masked to
                    # that precision (not sign-extended): sign-extend here.
                    v = np.fromfile(ofile, "<u2").astype(np.int32) & ((1 << ds.BitsStored) - 1)
                    sign = 1 << (ds.BitsStored - 1)
                    got.append(((v ^ sign) - sign).reshape(ds.Rows, ds.Columns))
                else:
                    ofile = cfile[:-4] + (".ppm" if ds.SamplesPerPixel == 3 else ".pgm")
                    run(["opj_decompress", "-i", cfile, "-o", ofile])
                    got.append(read_pnm(ofile))
            s.psnr = check_pixels(s, np.stack(got), "opj_decompress output")
        else:
            tool = {"jpeg_baseline": "dcmdjpeg", "jpeg_extended": "dcmdjpeg",
                    "jpeg_lossless": "dcmdjpeg", "jpeg_lossless_sv1": "dcmdjpeg",
                    "jpegls_lossless": "dcmdjpls", "jpegls_near_lossless": "dcmdjpls",
                    "rle": "dcmdrle"}.get(tsk, "dcmconv")
            dec = os.path.join(work, "dec_" + s.fname)
            run([tool] + (["+te"] if tool == "dcmconv" else []) + [path, dec])
            dd = pydicom.dcmread(dec)
            a = dd.pixel_array
            if tsk == "jpeg_baseline" and dd.SamplesPerPixel == 3:
                assert dd.PhotometricInterpretation == "RGB", dd.PhotometricInterpretation
            s.psnr = check_pixels(s, a, "%s output" % tool)
        print("ok  %-44s %-24s %8d bytes%s" % (
            s.fname, TS[s.ts_key], os.path.getsize(path),
            "" if s.psnr is None or not s.lossy else "  PSNR %.1f dB" % s.psnr))


def write_index(samples, outdir):
    cols = ["file", "modality", "sop_class_uid", "transfer_syntax_uid", "rows", "cols", "frames",
            "samples_per_pixel", "photometric", "planar_configuration", "bits_allocated",
            "bits_stored", "signed", "rescale_slope", "rescale_intercept", "window_center",
            "window_width", "lossy", "stored_min", "stored_max", "stored_mean",
            "phantom", "encoder", "description"]
    lines = ["\t".join(cols)]
    for s in sorted(samples, key=lambda s: s.fname):
        ds = pydicom.dcmread(os.path.join(outdir, s.fname), stop_before_pixels=True)
        p = s.pix
        lines.append("\t".join(str(v) for v in [
            s.fname, ds.Modality, ds.SOPClassUID, ds.file_meta.TransferSyntaxUID,
            ds.Rows, ds.Columns, int(getattr(ds, "NumberOfFrames", 1)), ds.SamplesPerPixel,
            ds.PhotometricInterpretation, getattr(ds, "PlanarConfiguration", ""),
            ds.BitsAllocated, ds.BitsStored, ds.PixelRepresentation,
            ds.get("RescaleSlope", ""), ds.get("RescaleIntercept", ""),
            ds.get("WindowCenter", ""), ds.get("WindowWidth", ""),
            1 if s.lossy else 0, int(p.min()), int(p.max()), "%.3f" % float(p.mean()),
            s.phantom, s.encoder, s.desc]))
    # Beside the folder, not in it: the folder holds only DICOM files, so
    # `dicomqc score samples/dicom` sees nothing else.
    with open(os.path.join(os.path.dirname(outdir), "INDEX.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
