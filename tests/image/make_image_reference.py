#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent reference for dicom_image_read(): the float image contract.

Usage (from the repository root):
    /usr/bin/python3 tests/image/make_image_reference.py \\
        --root shared=/work/shared/data/dicom \\
        [--root samples=/work/main/samples/dicom] \\
        --out tests/image/image_reference.tsv

For every chosen file this computes, with pydicom 2.3 + numpy and without
any dicomqc code, the image that struct qc_image (qc/qc.h) and
dicom_image_read() (dicom/dicom.h) promise, and writes its summary to the
TSV that tests/unit/test_dicom_image.c checks:

  stored values  pixel_array of pydicom's numpy handler, masked to Bits
                 Stored and sign-extended when Pixel Representation is 1
                 (PS3.5 8.1.1).  Compressed files are first decompressed
                 with DCMTK (dcmdjpeg / dcmdjpls / dcmdrle, default
                 options) to a native temp file, whose attributes (notably
                 Photometric Interpretation: dcmdjpeg turns lossy YBR into
                 RGB) are the ones used.  JPEG 2000 / HTJ2K frames go
                 through opj_decompress (PGX output); with the COD
                 marker's MCT flag set, YBR_ICT/YBR_RCT come out as RGB.
  grey           pydicom.pixel_data_handlers.util.apply_modality_lut
                 (Modality LUT Sequence, else Rescale Slope/Intercept;
                 a lone slope or intercept gets the other's default).
                 detector_min/max = min/max of the modality LUT applied to
                 the whole stored range [0, 2^BitsStored-1] (or the signed
                 range); for a LUT sequence that is min/max of its data.
                 MONOCHROME1: out = detector_min + detector_max - out, and
                 the window centre is mirrored the same way.
  YBR_FULL(_422) pydicom's convert_color_space(arr, 'YBR_FULL', 'RGB')
                 (native YBR_FULL_422 is upsampled by pydicom's handler).
                 It rounds to integers and clips to 0..255, whereas dicomqc
                 keeps floats clamped to the sample range, so these rows
                 carry tolerance 0.5 (rounding) + 0.001 (pydicom's float32
                 arithmetic near a .5 tie).  The script checks that bound
                 against its own float64 evaluation of PS3.3 C.7.6.3.1.2.
  PALETTE COLOR  pydicom's apply_color_lut; 16-bit entries divided by 257
                 (65535 -> 255), 8-bit entries as they are; detector range
                 0..255.
  RGB            stored values; detector range [0, 2^BitsStored-1].
  spacing        Pixel Spacing (0028,0030), else Imager Pixel Spacing
                 (0018,1164); a value <= 0 or not finite gives 0.
  window         first values of Window Center/Width (0028,1050/1051),
                 kept when both are finite and width >= 1 (PS3.3
                 C.11.2.1.2), for grey and colour alike.

Columns: file (NAME/relative path), width, height, channels, frames,
mean_k/min_k/max_k per channel k over all frames ("-" for absent channels),
detector_min, detector_max, has_window, window_center, window_width,
row_spacing, col_spacing, tolerance, note.  tolerance is the absolute
tolerance of the pixel statistics: 1e-6 * max(1, largest |value|) for exact
rows (dicomqc stores float32, this script float64), plus 0.501 for rows
converted from YBR here.  The other columns are exact.

Roots: for a root named "shared" the curated list CHOSEN below is used (it
covers each feature of the contract); any other root (e.g. "samples", the
synthetic files of samples/make_samples.py) is walked recursively and every
DICOM file in it is used (INDEX.tsv, MANIFEST.tsv, README* skipped).  A file
the reference cannot compute is listed as a "# skipped:" comment line.
"""

import argparse
import datetime
import glob
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pydicom
import pydicom.config
from pydicom.encaps import generate_pixel_data_frame
from pydicom.pixel_data_handlers import numpy_handler
from pydicom.pixel_data_handlers.util import (apply_color_lut,
                                              apply_modality_lut,
                                              convert_color_space,
                                              get_nr_frames)

TOOL_TIMEOUT = 120  # seconds per external tool call

# Curated files of /work/shared/data/dicom, each with the feature it covers.
CHOSEN = {
    'shared': [
        # Rescale Slope/Intercept not identity
        'pydicom/CT_small.dcm',                         # signed, -1024
        'dicomParser/CT1_UNC.explicit_big_endian.dcm',  # big endian CT
        'fo-dicom/D_CLUNIE_CT1_RLE_FRAGS.dcm',          # RLE CT
        'pydicom-data/MR2_UNCR.dcm',                    # slope 3.774114
        'orthanc-tests/2021-02-19-MalaterreCP246.dcm',  # JPEG-LS, 14 bit
        'pydicom/JPEG-lossy.dcm',                       # JPEG 12 bit
        # Modality LUT Sequence
        'fo-dicom/CR-ModalitySequenceLUT.dcm',   # 16-bit OW LUT, MONO1
        'orthanc-tests/KarstenHilbertRF.dcm',    # 8-bit US LUT, window
        # MONOCHROME1
        'fo-dicom/CR-MONO1-10-chest',            # no meta, window
        'pydicom/dicomdirtests__77654033__CR1__6154',  # + rescale, IPS
        'orthanc-tests/Issue44__Monochrome1-Jpeg.dcm',  # lossy JPEG
        'pydicom-data/RG1_J2KI.dcm',             # J2K, 15 bit
        # Signed
        'dcm4che/test16signed.dcm',              # window 0/65536
        'pydicom/MR_small.dcm',                  # window, spacing
        'pydicom-data/JLSL_16_15_1_1F.dcm',      # signed 15 of 16 bits
        'pydicom/MR_small_jp2klossless.dcm',     # J2K signed
        # Overlays in the file, multi-valued window
        'pydicom-data/MR-SIEMENS-DICOM-WithOverlays.dcm',
        # Multi-frame grey
        'pydicom-data/emri_small.dcm',           # 10 frames, 12 bit
        'fo-dicom/mr_brucker.dcm',               # 4 frames, signed
        # RGB native, planar configuration
        'pydicom-data/SC_rgb_gdcm2k_uncompressed.dcm',
        'orthanc-tests/TransferSyntaxes__1.2.840.10008.1.2.1.dcm',
        'orthanc-tests/ColorTestMalaterre.dcm',  # implicit VR
        'pydicom/ExplVR_BigEnd.dcm',             # planar 1, big endian
        'orthanc-tests/2022-11-14-RLEPlanarConfiguration.dcm',
        'pydicom/SC_rgb_rle_16bit.dcm',          # 16-bit RGB
        # YBR
        'dcm4che/YBR_FULL-RLE.dcm',              # YBR_FULL, RLE
        'pydicom/SC_ybr_full_422_uncompressed.dcm',  # YBR_FULL_422
        'fo-dicom/JPEGwithIcon.dcm',             # lossy 422 -> RGB
        'fo-dicom/GH538-jpeg1.dcm',              # lossy, window
        'dicomParser/encapsulated__multi-frame__IM00001.'
        'fragmented_no_bot_jpeg_baseline.50.dcm',  # 8 frames
        'pydicom-data/US1_J2KI.dcm',             # YBR_ICT, MCT
        # PALETTE COLOR
        'pydicom-data/OBXXXX1A_rle.dcm',         # 16-bit palette, RLE
        'dcm4che/jpeg-ls-Palette.dcm',           # 10 frames, JPEG-LS
    ],
}

DCMTK_TS = {
    '1.2.840.10008.1.2.4.50': 'dcmdjpeg',
    '1.2.840.10008.1.2.4.51': 'dcmdjpeg',
    '1.2.840.10008.1.2.4.57': 'dcmdjpeg',
    '1.2.840.10008.1.2.4.70': 'dcmdjpeg',
    '1.2.840.10008.1.2.4.80': 'dcmdjpls',
    '1.2.840.10008.1.2.4.81': 'dcmdjpls',
    '1.2.840.10008.1.2.5': 'dcmdrle',
}
J2K_TS = {'1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91',
          '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202',
          '1.2.840.10008.1.2.4.203'}
NATIVE_TS = {'1.2.840.10008.1.2', '1.2.840.10008.1.2.1',
             '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99'}
SKIP_NAMES = {'INDEX.tsv', 'MANIFEST.tsv'}

COLUMNS = (['file', 'width', 'height', 'channels', 'frames'] +
           ['%s_%d' % (s, k) for k in range(3)
            for s in ('mean', 'min', 'max')] +
           ['detector_min', 'detector_max', 'has_window', 'window_center',
            'window_width', 'row_spacing', 'col_spacing', 'tolerance',
            'note'])

YBR_TOL = 0.501   # pydicom rounds YBR->RGB to integers (0.5) + float32 tie


class Skip(Exception):
    """The reference cannot be computed for this file."""


def run(argv):
    proc = subprocess.run(argv, capture_output=True, timeout=TOOL_TIMEOUT)
    if proc.returncode != 0:
        raise Skip('%s exit %d: %s' % (argv[0], proc.returncode,
                                       proc.stderr.decode(errors='replace')
                                       .strip()[:200]))
    return proc.stdout.decode(errors='replace')


def tool_versions():
    out = []
    for tool in ('dcmdjpeg', 'dcmdjpls', 'dcmdrle'):
        text = subprocess.run([tool, '--version'], capture_output=True,
                              text=True).stdout
        out.append(text.splitlines()[0].strip() if text else tool + ' ?')
    text = subprocess.run(['opj_decompress', '-h'], capture_output=True,
                          text=True).stdout
    m = re.search(r'openjp2 library v[0-9.]+', text)
    out.append('opj_decompress ' + (m.group(0) if m else '?'))
    return out


def is_dicom(path):
    with open(path, 'rb') as f:
        head = f.read(132)
    if head[128:132] == b'DICM':
        return True
    if len(head) >= 2:
        for order in ('little', 'big'):
            if int.from_bytes(head[:2], order) in (0x0002, 0x0008):
                return True
    return path.lower().endswith(('.dcm', '.dicom'))


def file_list(name, root):
    if name in CHOSEN:
        return CHOSEN[name]
    rels = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn in SKIP_NAMES or fn.startswith('README'):
                continue
            full = os.path.join(dirpath, fn)
            if is_dicom(full):
                rels.append(os.path.relpath(full, root))
    return rels


def j2k_mct(frame):
    """MCT flag of the main-header COD marker, or None."""
    pos = frame.find(b'\xff\x4f\xff\x51')  # SOC SIZ (also inside a .jp2)
    if pos < 0:
        return None
    pos += 2
    while pos + 4 <= len(frame):
        marker = int.from_bytes(frame[pos:pos + 2], 'big')
        length = int.from_bytes(frame[pos + 2:pos + 4], 'big')
        if marker == 0xFF52 and pos + 9 <= len(frame):
            return frame[pos + 8]  # Lcod, Scod, prog, layers(2), MCT
        if marker == 0xFF90:       # SOT: end of the main header
            return None
        pos += 2 + length
    return None


def read_pgx(path):
    with open(path, 'rb') as f:
        data = f.read()
    m = re.match(rb'PG\s+(ML|LM)\s*([+-]?)\s*(\d+)\s+(\d+)\s+(\d+)\s', data)
    if not m:
        raise Skip('bad PGX header in ' + path)
    big = m.group(1) == b'ML'
    signed = m.group(2) == b'-'
    depth, width, height = (int(m.group(i)) for i in (3, 4, 5))
    nbyte = 1 if depth <= 8 else 2 if depth <= 16 else 4
    dt = np.dtype('%s%s%d' % ('>' if big else '<', 'i' if signed else 'u',
                              nbyte))
    arr = np.frombuffer(data[m.end():m.end() + width * height * nbyte],
                        dtype=dt)
    if arr.size != width * height:
        raise Skip('short PGX data in ' + path)
    return arr.reshape(height, width).astype(np.int64)


def j2k_values(ds, tmp, notes):
    """Stored values of a JPEG 2000 / HTJ2K file via opj_decompress."""
    nframes = get_nr_frames(ds)
    frames = []
    mcts = set()
    for i, frame in enumerate(generate_pixel_data_frame(ds.PixelData,
                                                        nframes)):
        mcts.add(j2k_mct(frame))
        ext = '.jp2' if frame[4:8] == b'jP  ' else '.j2k'
        src = os.path.join(tmp, 'f%d%s' % (i, ext))
        with open(src, 'wb') as f:
            f.write(frame)
        dst = os.path.join(tmp, 'f%d.pgx' % i)
        run(['opj_decompress', '-i', src, '-o', dst])
        comps = sorted(glob.glob(os.path.join(tmp, 'f%d_*.pgx' % i)),
                       key=lambda p: int(p.rsplit('_', 1)[1][:-4]))
        if not comps:
            comps = [dst]
        planes = [read_pgx(p) for p in comps]
        frames.append(np.stack(planes, axis=-1))
    photometric = str(ds.PhotometricInterpretation)
    if photometric in ('YBR_ICT', 'YBR_RCT'):
        if mcts != {1}:
            raise Skip('%s codestream without MCT: no agreed contract'
                       % photometric)
        photometric = 'RGB'
        notes.append('opj MCT=1 -> RGB')
    return np.stack(frames), photometric


def load(path, tmp, notes):
    """Returns (dataset used for attributes, stored values as int64 array
    (frames, rows, cols, samples), photometric of the values)."""
    ds = pydicom.dcmread(path, force=True)
    meta = getattr(ds, 'file_meta', None)
    ts = str(getattr(meta, 'TransferSyntaxUID', '') or '')
    if 'PixelData' not in ds:
        raise Skip('no PixelData')
    if ts in DCMTK_TS:
        tool = DCMTK_TS[ts]
        out = os.path.join(tmp, 'native.dcm')
        run([tool, path, out])
        notes.append(tool)
        orig = str(ds.PhotometricInterpretation)
        ds = pydicom.dcmread(out, force=True)
        if str(ds.PhotometricInterpretation) != orig:
            notes.append('%s->%s' % (orig, ds.PhotometricInterpretation))
    elif ts in J2K_TS:
        arr, photometric = j2k_values(ds, tmp, notes)
        notes.append('opj_decompress')
        return ds, mask_values(ds, arr), photometric
    elif ts and ts not in NATIVE_TS:
        raise Skip('transfer syntax %s has no reference route' % ts)
    if not ts:
        # No File Meta: pydicom guessed the encoding; say which.
        ds.file_meta = pydicom.dataset.FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = (
            pydicom.uid.ImplicitVRLittleEndian if ds.is_implicit_VR else
            pydicom.uid.ExplicitVRLittleEndian if ds.is_little_endian else
            pydicom.uid.ExplicitVRBigEndian)
        notes.append('no File Meta')
    # pixel_array: numpy handler (the only one enabled), planar
    # configuration undone, native YBR_FULL_422 upsampled.
    photometric = str(ds.get('PhotometricInterpretation', '') or
                      'MONOCHROME2')  # dicomqc's default, 1 sample only
    spp = int(ds.get('SamplesPerPixel', 1))
    rows, cols, nframes = int(ds.Rows), int(ds.Columns), get_nr_frames(ds)
    ds_arr = ds.pixel_array
    arr = np.asarray(ds_arr).astype(np.int64)
    arr = arr.reshape(nframes, rows, cols, spp)
    return ds, mask_values(ds, arr), photometric


def mask_values(ds, arr):
    """Masks to Bits Stored and sign-extends (PS3.5 8.1.1)."""
    bs = int(ds.BitsStored)
    mask = (1 << bs) - 1
    arr = arr.astype(np.int64) & mask
    if int(getattr(ds, 'PixelRepresentation', 0) or 0) == 1:
        arr = np.where(arr >= (1 << (bs - 1)), arr - (1 << bs), arr)
    return arr


def stored_range(ds):
    bs = int(ds.BitsStored)
    if int(getattr(ds, 'PixelRepresentation', 0) or 0) == 1:
        return -(1 << (bs - 1)), (1 << (bs - 1)) - 1
    return 0, (1 << bs) - 1


def modality_ds(ds):
    """ds, with the default of a lone Rescale Slope or Intercept added
    (apply_modality_lut needs both)."""
    has_s, has_i = 'RescaleSlope' in ds, 'RescaleIntercept' in ds
    if has_s != has_i and not ds.get('ModalityLUTSequence'):
        ds = ds.copy()
        if not has_s:
            ds.RescaleSlope = 1
        if not has_i:
            ds.RescaleIntercept = 0
    return ds


def grey(ds, arr, photometric, notes):
    mds = modality_ds(ds)
    out = apply_modality_lut(arr, mds).astype(np.float64)
    if mds.get('ModalityLUTSequence'):
        desc = list(mds.ModalityLUTSequence[0].LUTDescriptor)
        n = desc[0] or 65536
        first = desc[1]
        if int(getattr(ds, 'PixelRepresentation', 0) or 0) == 1 and \
                first >= 32768:
            first -= 65536
        lut = apply_modality_lut(np.arange(first, first + n,
                                           dtype=np.int64), mds)
        dmin, dmax = float(np.min(lut)), float(np.max(lut))
        notes.append('Modality LUT Sequence %s' % desc)
    else:
        lo, hi = stored_range(ds)
        ends = apply_modality_lut(np.array([lo, hi], dtype=np.int64), mds)
        dmin, dmax = float(np.min(ends)), float(np.max(ends))
        if 'RescaleSlope' in ds or 'RescaleIntercept' in ds:
            notes.append('rescale %s/%s' % (ds.get('RescaleSlope', 1),
                                             ds.get('RescaleIntercept', 0)))
    if photometric == 'MONOCHROME1':
        out = dmin + dmax - out
        notes.append('MONOCHROME1 inverted')
    return out, dmin, dmax


def ybr_float64(arr):
    """PS3.3 C.7.6.3.1.2 in float64, clamped, not rounded (a check)."""
    y = arr[..., 0].astype(np.float64)
    cb = arr[..., 1] - 128.0
    cr = arr[..., 2] - 128.0
    rgb = np.stack([y + 1.402 * cr,
                    y - 0.344136 * cb - 0.714136 * cr,
                    y + 1.772 * cb], axis=-1)
    return np.clip(rgb, 0, 255)


def colour(ds, arr, photometric, notes):
    """Returns (RGB float64, detector min, detector max, tolerance add)."""
    bs = int(ds.BitsStored)
    if photometric == 'PALETTE COLOR':
        rgb = apply_color_lut(arr[..., 0], ds)
        if rgb.dtype == np.uint16 and \
                int(ds.RedPaletteColorLookupTableDescriptor[2]) == 16:
            notes.append('palette 16-bit /257')
            return rgb.astype(np.float64) / 257.0, 0.0, 255.0, 0.0
        notes.append('palette %d-bit' % (rgb.dtype.itemsize * 8))
        return rgb.astype(np.float64), 0.0, 255.0, 0.0
    if photometric == 'RGB':
        return arr.astype(np.float64), 0.0, float((1 << bs) - 1), 0.0
    if photometric in ('YBR_FULL', 'YBR_FULL_422'):
        if bs != 8:
            raise Skip('%s with %d bits: pydicom converts 8 bits only'
                       % (photometric, bs))
        rgb = convert_color_space(arr.astype(np.uint8), 'YBR_FULL', 'RGB')
        rgb = rgb.astype(np.float64)
        worst = float(np.max(np.abs(rgb - ybr_float64(arr))))
        if worst > YBR_TOL:
            raise Skip('pydicom YBR->RGB differs from float64 by %g' % worst)
        notes.append('%s->RGB by pydicom (max |rounding| %.3f)'
                     % (photometric, worst))
        return rgb, 0.0, 255.0, YBR_TOL
    raise Skip('photometric %s has no reference route' % photometric)


def first_float(ds, keyword, index):
    if keyword not in ds:
        return None
    v = ds[keyword].value
    if isinstance(v, (list, tuple, pydicom.multival.MultiValue)):
        if len(v) <= index:
            return None
        v = v[index]
    elif index > 0:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def spacing(ds):
    for kw in ('PixelSpacing', 'ImagerPixelSpacing'):
        r, c = first_float(ds, kw, 0), first_float(ds, kw, 1)
        if r is not None and c is not None:
            fix = lambda v: v if math.isfinite(v) and v > 0 else 0.0
            return fix(r), fix(c)
    return 0.0, 0.0


def window(ds):
    wc = first_float(ds, 'WindowCenter', 0)
    ww = first_float(ds, 'WindowWidth', 0)
    if wc is None or ww is None or not math.isfinite(wc) or \
            not math.isfinite(ww) or ww < 1.0:
        return 0, 0.0, 0.0
    return 1, wc, ww


def fmt(v):
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return str(v)


def reference_row(label, path):
    notes = []
    with tempfile.TemporaryDirectory(prefix='imgref') as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            ds, arr, photometric = load(path, tmp, notes)
            has_w, wc, ww = window(ds)
            if photometric in ('MONOCHROME1', 'MONOCHROME2'):
                img, dmin, dmax = grey(ds, arr[..., 0], photometric, notes)
                img = img[..., np.newaxis]
                tol_add = 0.0
                if photometric == 'MONOCHROME1' and has_w:
                    wc = dmin + dmax - wc
            else:
                img, dmin, dmax, tol_add = colour(ds, arr, photometric,
                                                  notes)
    frames, rows, cols, nch = img.shape
    flat = img.reshape(-1, nch)
    stats = []
    for k in range(3):
        if k < nch:
            stats += [float(np.mean(flat[:, k])), float(np.min(flat[:, k])),
                      float(np.max(flat[:, k]))]
        else:
            stats += ['-', '-', '-']
    biggest = max(1.0, float(np.max(np.abs(flat))))
    tol = float('%.3g' % (1e-6 * biggest)) + tol_add
    rs, cs = spacing(ds)
    row = [label, cols, rows, nch, frames] + stats + [
        dmin, dmax, has_w, wc, ww, rs, cs, tol,
        '; '.join([photometric] + notes)]
    return [fmt(v) for v in row]


def main():
    pydicom.config.pixel_data_handlers = [numpy_handler]
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', action='append', required=True,
                    metavar='NAME=DIR')
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    roots = []
    for spec in args.root:
        name, sep, d = spec.partition('=')
        if not sep or not name or not os.path.isdir(d):
            ap.error('--root %s: want NAME=DIR with an existing DIR' % spec)
        roots.append((name, d))

    rows, skipped = [], []
    for name, d in roots:
        for rel in file_list(name, d):
            label = '%s/%s' % (name, rel)
            try:
                rows.append(reference_row(label, os.path.join(d, rel)))
            except Skip as e:
                skipped.append('%s: %s' % (label, e))
            except Exception as e:  # pydicom raised: not a reference case
                skipped.append('%s: %s: %s' % (label, type(e).__name__, e))
    for s in skipped:
        print('skipped ' + s, file=sys.stderr)

    cmd = ' '.join(shlex.quote(a) for a in
                   ['/usr/bin/python3', 'tests/image/make_image_reference.py']
                   + sys.argv[1:])
    head = [
        '# Reference for dicom_image_read(): tests/unit/test_dicom_image.c',
        '# command (cwd repository root): ' + cmd,
        '# date: ' + datetime.datetime.now(datetime.timezone.utc)
        .strftime('%Y-%m-%dT%H:%M:%SZ'),
        '# tool: pydicom %s; numpy %s; python %s' % (
            pydicom.__version__, np.__version__, sys.version.split()[0]),
    ] + ['# tool: ' + t for t in tool_versions()] + [
        '# how: see the docstring of make_image_reference.py.  tolerance '
        'applies to mean/min/max;',
        '# it is 1e-6*max(1,max|value|) (float32 vs float64), + 0.501 for '
        'YBR rows (pydicom',
        '# convert_color_space rounds to integers, dicomqc keeps floats).',
        '# rows: %d; skipped: %d' % (len(rows), len(skipped)),
    ] + ['# skipped: ' + s for s in skipped]
    with open(args.out, 'w') as f:
        for line in head:
            f.write(line + '\n')
        f.write('\t'.join(COLUMNS) + '\n')
        for r in rows:
            f.write('\t'.join(r) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
