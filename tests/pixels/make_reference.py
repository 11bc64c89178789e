#!/usr/bin/python3
"""Independent reference checksums of decoded DICOM pixel data.

Usage:
    /usr/bin/python3 tests/pixels/make_reference.py \
        --root shared=/work/shared/data/dicom --out tests/pixels/reference_shared.tsv

Every file under each root (recursively; MANIFEST.tsv, INDEX.tsv, README* and
non-DICOM files skipped) is decoded by a route that does not use the dicomqc
decoder:

  native TS (1.2.840.10008.1.2, .1.2.1, .1.2.2, .1.2.1.99) or no File Meta
                         -> pydicom's numpy pixel handler
  JPEG .4.50/.4.51/.4.57/.4.70   -> dcmdjpeg in out ; pydicom reads the output
  JPEG-LS .4.80/.4.81            -> dcmdjpls in out ; pydicom reads the output
  RLE 1.2.840.10008.1.2.5        -> dcmdrle in out  ; pydicom reads the output
  JPEG 2000 .4.90/.4.91, HTJ2K .4.201/.4.202/.4.203
                         -> pydicom extracts each frame's codestream,
                            opj_decompress -i frame.j2k -o frame.pgx (one PGX file per component)

and reduced to the canonical value sequence described in README.md, whose
FNV-1a-64 hash (over int32 little-endian values) is computed by fnv1a64.c.
See README.md for the exact canonical form.
"""

import argparse
import datetime
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pydicom
from pydicom.encaps import generate_pixel_data_frame
from pydicom.pixel_data_handlers import numpy_handler
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian)

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL_TIMEOUT = 60            # seconds per external tool call
MAX_VALUES = 1 << 28          # Rows*Columns*Frames*Samples limit
CHUNK = 1 << 22               # values per chunk streamed to the FNV helper

NATIVE_TS = {
    '1.2.840.10008.1.2',       # implicit VR little endian
    '1.2.840.10008.1.2.1',     # explicit VR little endian
    '1.2.840.10008.1.2.2',     # explicit VR big endian (retired)
    '1.2.840.10008.1.2.1.99',  # deflated explicit VR little endian
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
J2K_TS = {
    '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91',
    '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202',
    '1.2.840.10008.1.2.4.203',
}

COLUMNS = ['file', 'status', 'route', 'transfer_syntax', 'rows', 'columns',
           'frames', 'samples', 'bits_allocated', 'bits_stored', 'signed',
           'n_values', 'min', 'max', 'sum', 'fnv1a64', 'note']

SKIP_NAMES = {'MANIFEST.tsv', 'INDEX.tsv'}

# first-element groups that a DICOM dataset / ACR-NEMA file plausibly starts with
PLAUSIBLE_FIRST_GROUPS = {0x0000, 0x0002, 0x0004, 0x0008}


class RouteError(Exception):
    """A failure of the reference route: the file gets status ERROR."""


def one_line(text, limit=200):
    text = ' '.join(str(text).replace('\t', ' ').split())
    return text[:limit]


# --------------------------------------------------------------------------
# tools
# --------------------------------------------------------------------------

def run_tool(argv, cwd=None):
    """Run an external tool with a time limit; return CompletedProcess or raise."""
    try:
        proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RouteError('%s timed out after %d s' % (os.path.basename(argv[0]),
                                                      TOOL_TIMEOUT))
    except OSError as exc:
        raise RouteError('%s could not run: %s' % (argv[0], exc))
    if proc.returncode != 0:
        msg = (proc.stderr.decode('utf-8', 'replace').strip()
               or proc.stdout.decode('utf-8', 'replace').strip())
        # keep the most informative line (errors rather than warnings)
        lines = [l for l in msg.splitlines() if l.strip()]
        err = [l for l in lines if l.startswith(('E:', 'F:', '[ERROR]', 'ERROR'))]
        detail = (err or lines or [''])[0]
        raise RouteError('%s exit %d: %s' % (os.path.basename(argv[0]),
                                             proc.returncode, detail))
    return proc


def tool_version_lines():
    out = []

    def first_line(argv, pattern=None):
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=TOOL_TIMEOUT)
            lines = p.stdout.decode('utf-8', 'replace').splitlines()
        except Exception as exc:  # noqa: BLE001
            return 'unavailable (%s)' % exc
        for l in lines:
            if l.strip() and (pattern is None or re.search(pattern, l)):
                return l.strip()
        return 'unknown'

    out.append('pydicom %s; numpy %s; python %s' % (
        pydicom.__version__, np.__version__, sys.version.split()[0]))
    out.append(first_line(['dcmdjpeg', '--version']))
    out.append(first_line(['dcmdjpls', '--version']))
    out.append(first_line(['dcmdrle', '--version']))
    out.append('opj_decompress: ' + first_line(['opj_decompress', '-h'],
                                               r'openjp2 library'))
    out.append('cc: ' + first_line(['cc', '--version']))
    return out


class Fnv:
    """FNV-1a 64 via the small C helper tests/pixels/fnv1a64.c."""

    def __init__(self, workdir):
        src = os.path.join(HERE, 'fnv1a64.c')
        self.exe = os.path.join(workdir, 'fnv1a64')
        subprocess.run(['cc', '-O2', '-o', self.exe, src], check=True)
        # self test against published FNV-1a-64 vectors
        for data, want in ((b'', 'cbf29ce484222325'), (b'a', 'af63dc4c8601ec8c'),
                           (b'foobar', '85944171f73967e8')):
            got = self._run_bytes(data)
            if got != want:
                raise SystemExit('fnv1a64 self-test failed: %r -> %s' % (data, got))

    def _run_bytes(self, data):
        p = subprocess.run([self.exe], input=data, stdout=subprocess.PIPE,
                           check=True)
        return p.stdout.split()[0].decode()

    def values(self, v):
        """Hash int64 values `v` written as int32 little-endian."""
        proc = subprocess.Popen([self.exe], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
        try:
            for i in range(0, v.size, CHUNK):
                proc.stdin.write(v[i:i + CHUNK].astype('<i4').tobytes())
            proc.stdin.close()
            out = proc.stdout.read().split()
            proc.wait(timeout=TOOL_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0 or int(out[1]) != 4 * v.size:
            raise RouteError('fnv1a64 helper failed')
        return out[0].decode()


# --------------------------------------------------------------------------
# reading DICOM
# --------------------------------------------------------------------------

def sniff(path):
    """Return (is_dicom_candidate, dicm_at_128)."""
    try:
        with open(path, 'rb') as fh:
            head = fh.read(140)
    except OSError:
        return False, False
    if len(head) >= 132 and head[128:132] == b'DICM':
        return True, True
    if len(head) < 8:
        return False, False
    g_le = int.from_bytes(head[0:2], 'little')
    g_be = int.from_bytes(head[0:2], 'big')
    return (g_le in PLAUSIBLE_FIRST_GROUPS or g_be in PLAUSIBLE_FIRST_GROUPS), False


def dcmread(path, notes, stop_before_pixels=False):
    """pydicom.dcmread(force=True), with a fix-up for 'DICM' at offset 128
    that is not followed by a File Meta group (data, not a preamble)."""
    with open(path, 'rb') as fh:
        head = fh.read(134)
    if (head[128:132] == b'DICM' and head[132:134] != b'\x02\x00'
            and int.from_bytes(head[0:2], 'little') in PLAUSIBLE_FIRST_GROUPS):
        # bytes 128..131 'DICM' belong to the dataset; re-read it from offset 0
        with open(path, 'rb') as fh:
            data = fh.read()
        if not any(n.startswith('no preamble') for n in notes):
            notes.append('no preamble (DICM at 128 is element data); dataset read from offset 0')
        return pydicom.dcmread(io.BytesIO(b'\0' * 128 + b'DICM' + data), force=True,
                               stop_before_pixels=stop_before_pixels)
    return pydicom.dcmread(path, force=True, stop_before_pixels=stop_before_pixels)


def transfer_syntax(ds):
    meta = getattr(ds, 'file_meta', None)
    if meta is not None and 'TransferSyntaxUID' in meta:
        return str(meta.TransferSyntaxUID).strip('\0 ')
    return None


def int_attr(ds, keyword, default=None):
    if keyword not in ds:
        if default is not None:
            return default
        raise RouteError('missing %s' % keyword)
    elem = ds[keyword]
    value = elem.value
    if value is None or value == '':
        if default is not None:
            return default
        raise RouteError('empty %s' % keyword)
    if isinstance(value, (list, tuple)) or getattr(elem, 'VM', 1) > 1:
        raise RouteError('invalid %s (VM %d: %r)' % (keyword, elem.VM, value))
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RouteError('invalid %s %r' % (keyword, value))


def geometry(ds):
    """Image geometry of `ds` as a dict (raises RouteError if unusable)."""
    g = {}
    g['rows'] = int_attr(ds, 'Rows')
    g['columns'] = int_attr(ds, 'Columns')
    g['frames'] = int_attr(ds, 'NumberOfFrames', 1)
    g['samples'] = int_attr(ds, 'SamplesPerPixel', 1)
    g['bits_allocated'] = int_attr(ds, 'BitsAllocated')
    g['bits_stored'] = int_attr(ds, 'BitsStored')
    g['signed'] = int_attr(ds, 'PixelRepresentation')
    g['planar'] = int_attr(ds, 'PlanarConfiguration', 0)
    g['photometric'] = str(ds.get('PhotometricInterpretation', '')).strip()
    return g


def check_geometry(g):
    for k in ('rows', 'columns', 'frames', 'samples'):
        if g[k] < 1:
            raise RouteError('invalid %s %d' % (k, g[k]))
    n = g['rows'] * g['columns'] * g['frames'] * g['samples']
    if n > MAX_VALUES:
        raise RouteError('too large')
    if g['bits_allocated'] not in (1, 8, 16, 32):
        raise RouteError('unsupported BitsAllocated %d' % g['bits_allocated'])
    if not 1 <= g['bits_stored'] <= 32:
        raise RouteError('invalid BitsStored %d' % g['bits_stored'])
    if g['signed'] not in (0, 1):
        raise RouteError('invalid PixelRepresentation %d' % g['signed'])
    return n


def no_pixels(ds, ts):
    if ts is None:
        keys = list(ds.keys())
        return ('no PixelData (no File Meta; pydicom read %d top-level elements, '
                'first %s)' % (len(keys), keys[0] if keys else '-'))
    return 'no PixelData'


def native_values(ds, g, notes):
    """Decode native pixel data of `ds` with pydicom's numpy handler;
    return a (frames, rows, columns, samples) array in decoder output form."""
    ts = transfer_syntax(ds)
    if 'PixelData' not in ds:
        raise RouteError(no_pixels(ds, ts))
    if ts is None:
        # no File Meta: tell the numpy handler what pydicom detected
        if ds.is_little_endian is False:
            uid = ExplicitVRBigEndian
        elif ds.is_implicit_VR:
            uid = ImplicitVRLittleEndian
        else:
            uid = ExplicitVRLittleEndian
        ds.file_meta = getattr(ds, 'file_meta', None) or pydicom.dataset.FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = uid
        notes.append('no TransferSyntaxUID; pydicom read it as %s' % uid.name)
    elem = ds['PixelData']
    if not elem.value:
        raise RouteError('empty PixelData')
    if (not ds.is_little_endian and g['bits_allocated'] == 8 and elem.VR == 'OW'):
        # PS3.5: OW in big endian is byte-swapped as 16-bit words
        raw = bytearray(elem.value)
        raw[0:len(raw) // 2 * 2:2], raw[1:len(raw) // 2 * 2:2] = \
            raw[1:len(raw) // 2 * 2:2], raw[0:len(raw) // 2 * 2:2]
        ds.PixelData = bytes(raw)
        notes.append('8-bit OW big endian: bytes swapped per 16-bit word')
    arr = numpy_handler.get_pixeldata(ds)
    return shape_values(arr.reshape(-1), g)


def shape_values(flat, g):
    n = g['rows'] * g['columns'] * g['frames'] * g['samples']
    if flat.size != n:
        raise RouteError('decoded %d values, expected %d' % (flat.size, n))
    f, r, c, s = g['frames'], g['rows'], g['columns'], g['samples']
    if s > 1 and g['planar'] == 1:
        return flat.reshape(f, s, r, c).transpose(0, 2, 3, 1)
    return flat.reshape(f, r, c, s)


def canonical(arr, bits_stored, signed):
    """Stored samples -> int64 values per the canonical form."""
    a = np.ascontiguousarray(arr).reshape(-1)
    if a.dtype.kind not in 'iub':
        raise RouteError('non-integer pixel dtype %s' % a.dtype)
    v = a.astype(np.int64)          # signed dtypes keep two's complement bits
    mask = (1 << bits_stored) - 1
    v &= mask
    if signed == 1:
        neg = (v >> (bits_stored - 1)) & 1
        v -= neg << bits_stored
    return v


# --------------------------------------------------------------------------
# routes
# --------------------------------------------------------------------------

def route_native(path, hdr, g, notes, tmp):
    ds = dcmread(path, notes)
    return native_values(ds, g, notes), g


def route_dcmtk(tool, path, hdr, g, notes, tmp):
    out = os.path.join(tmp, 'decoded.dcm')
    run_tool([tool, path, out])
    try:
        ds = pydicom.dcmread(out, force=True)
    except Exception as exc:  # noqa: BLE001
        raise RouteError('pydicom cannot read %s output: %s' % (tool, one_line(exc)))
    if transfer_syntax(ds) not in NATIVE_TS:
        raise RouteError('%s output has transfer syntax %s' % (tool, transfer_syntax(ds)))
    dg = geometry(ds)
    changed = []
    for key, name in (('rows', 'Rows'), ('columns', 'Columns'),
                      ('frames', 'NumberOfFrames'), ('samples', 'SamplesPerPixel'),
                      ('bits_allocated', 'BitsAllocated'), ('bits_stored', 'BitsStored'),
                      ('signed', 'PixelRepresentation'),
                      ('planar', 'PlanarConfiguration'),
                      ('photometric', 'PhotometricInterpretation')):
        if key == 'planar' and g['samples'] == 1 and dg['samples'] == 1:
            continue
        if dg[key] != g[key]:
            changed.append('%s %s->%s' % (name, g[key], dg[key]))
    if changed:
        notes.append('%s output changed %s (output values used)' % (tool, ', '.join(changed)))
    check_geometry(dg)
    return native_values(ds, dg, notes), dg


PGX_RE = re.compile(r'PG (ML|LM) ?([+-]?) ?(\d+) (\d+) (\d+)\s*$')


def j2k_mct(frame):
    """MCT flag of the codestream's main-header COD marker (None if not found)."""
    pos = frame.find(b'\xff\x4f\xff\x51')       # SOC followed by SIZ
    if pos < 0:
        return None
    pos += 2
    while pos + 4 <= len(frame):
        marker = int.from_bytes(frame[pos:pos + 2], 'big')
        length = int.from_bytes(frame[pos + 2:pos + 4], 'big')
        if marker == 0xFF52 and pos + 9 <= len(frame):  # COD: Scod, SGcod(prog, layers, MCT)
            return frame[pos + 8]
        if marker in (0xFF90, 0xFF93) or marker < 0xFF00 or length < 2:
            return None                                 # SOT/SOD: end of main header
        pos += 2 + length
    return None


def route_opj(path, hdr, g, notes, tmp):
    ds = dcmread(path, notes)
    if 'PixelData' not in ds:
        raise RouteError('no PixelData')
    if not ds['PixelData'].value:
        raise RouteError('empty PixelData')
    if ds['PixelData'].value[:4] != b'\xfe\xff\x00\xe0':
        raise RouteError('PixelData is not encapsulated')
    try:
        frames = list(generate_pixel_data_frame(ds.PixelData, g['frames']))
    except Exception as exc:  # noqa: BLE001
        raise RouteError('pydicom frame extraction failed: %s' % one_line(exc))
    if len(frames) != g['frames']:
        raise RouteError('%d frames extracted, NumberOfFrames %d' % (len(frames), g['frames']))
    out = np.empty((g['frames'], g['rows'], g['columns'], g['samples']), dtype=np.int64)
    info = set()
    mcts = set()
    for i, frame in enumerate(frames):
        mcts.add(j2k_mct(frame))
        if frame[:4] == b'\x00\x00\x00\x0c' and frame[4:8] == b'jP  ':
            ext = 'jp2'
        else:
            ext = 'j2k'
        src = os.path.join(tmp, 'frame%d.%s' % (i, ext))
        # PGX output, one file per component: its header carries the sign
        # and precision and its samples keep their two's complement value.
        # (The .raw/.rawl writers of opj_decompress 2.5.0 store signed
        # samples masked to the codestream precision: a 14-bit -2000 comes
        # out as 14384, pydicom-data/693_J2KR.dcm.)
        dst = os.path.join(tmp, 'frame%d.pgx' % i)
        with open(src, 'wb') as fh:
            fh.write(frame)
        run_tool(['opj_decompress', '-i', src, '-o', dst])
        ncomp = 0
        while os.path.exists(os.path.join(tmp, 'frame%d_%d.pgx' % (i, ncomp))):
            ncomp += 1
        if ncomp != g['samples']:
            raise RouteError('frame %d: %d components, SamplesPerPixel %d'
                             % (i, ncomp, g['samples']))
        for idx in range(ncomp):
            cpath = os.path.join(tmp, 'frame%d_%d.pgx' % (i, idx))
            with open(cpath, 'rb') as fh:
                data = fh.read()
            os.unlink(cpath)
            nl = data.find(b'\n')
            m = PGX_RE.match(data[:nl + 1].decode('ascii', 'replace'))
            if nl < 0 or not m:
                raise RouteError('frame %d component %d: bad PGX header' % (i, idx))
            endian, psign, pprec, w, h = m.groups()
            w, h, prec = int(w), int(h), int(pprec)
            sgn = 'signed' if psign == '-' else 'unsigned'
            if (w, h) != (g['columns'], g['rows']):
                raise RouteError('frame %d component %d is %dx%d, image %dx%d'
                                 % (i, idx, w, h, g['columns'], g['rows']))
            if prec > 16:
                raise RouteError('component precision %d > 16' % prec)
            nbytes = 1 if prec <= 8 else 2
            dtype = (('>' if endian == 'ML' else '<') +
                     ('i' if psign == '-' else 'u') + str(nbytes))
            if len(data) - nl - 1 != w * h * nbytes:
                raise RouteError('frame %d component %d: PGX data size' % (i, idx))
            plane = np.frombuffer(data, dtype=dtype, count=w * h, offset=nl + 1)
            out[i, :, :, idx] = plane.reshape(h, w)
            info.add('%s%d' % ('s' if sgn == 'signed' else 'u', prec))
        os.unlink(src)
    notes.append('%scodestream %s' % ('JP2-wrapped ' if ext == 'jp2' else '',
                                      '/'.join(sorted(info))))
    if 1 in mcts:
        notes.append('codestream MCT=1: opj output is the inverse-transformed (RGB) form')
    elif g['photometric'] in ('YBR_ICT', 'YBR_RCT'):
        notes.append('codestream MCT=0 although PhotometricInterpretation %s: '
                     'components output untransformed' % g['photometric'])
    return out, g


# --------------------------------------------------------------------------
# per file
# --------------------------------------------------------------------------

def process(path, fnv):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        row = process_file(path, fnv)
    if row['status'] != 'OK':
        # pydicom's warnings often explain an ERROR (e.g. truncated PixelData)
        seen = []
        for w in caught:
            msg = one_line(str(w.message).replace(path, os.path.basename(path)), 160)
            if msg not in seen and 'allowed for VR' not in msg \
                    and 'Invalid value for VR' not in msg:
                seen.append(msg)
        if seen:
            row['note'] = one_line(row['note'] + '; pydicom warned: ' + ' | '.join(seen[:2]), 400)
    return row


def process_file(path, fnv):
    row = dict.fromkeys(COLUMNS, '')
    row['status'] = 'ERROR'
    notes = []
    tmp = tempfile.mkdtemp(prefix='pxref.')
    try:
        try:
            hdr = dcmread(path, notes, stop_before_pixels=True)
        except Exception as exc:  # noqa: BLE001
            raise RouteError('pydicom cannot read: %s' % one_line(exc))
        ts = transfer_syntax(hdr)
        row['transfer_syntax'] = ts or 'none'
        if ts is None or ts in NATIVE_TS:
            route = 'pydicom'
        elif ts in DCMTK_TS:
            route = DCMTK_TS[ts]
        elif ts in J2K_TS:
            route = 'opj_decompress'
        else:
            raise RouteError('unsupported transfer syntax %s' % ts)
        row['route'] = route
        # geometry of the ORIGINAL file; refuse huge images before decoding
        try:
            g = geometry(hdr)
        except RouteError:
            if 'PixelData' not in hdr and not any(
                    k in hdr for k in ('Rows', 'Columns', 'BitsAllocated')):
                raise RouteError(no_pixels(hdr, ts))
            raise
        for key in ('rows', 'columns', 'frames', 'samples', 'bits_allocated',
                    'bits_stored', 'signed'):
            row[key] = g[key]
        check_geometry(g)
        if route == 'pydicom':
            arr, used = route_native(path, hdr, g, notes, tmp)
        elif route == 'opj_decompress':
            arr, used = route_opj(path, hdr, g, notes, tmp)
        else:
            arr, used = route_dcmtk(route, path, hdr, g, notes, tmp)
        for key in ('rows', 'columns', 'frames', 'samples', 'bits_allocated',
                    'bits_stored', 'signed'):
            row[key] = used[key]
        v = canonical(arr, used['bits_stored'], used['signed'])
        if v.size == 0:
            raise RouteError('no values')
        row['n_values'] = v.size
        row['min'] = int(v.min())
        row['max'] = int(v.max())
        row['sum'] = int(v.sum(dtype=np.int64))   # |v| < 2^32, n <= 2^28: exact
        row['fnv1a64'] = fnv.values(v)
        row['status'] = 'OK'
        pi = used['photometric'] or '?'
        notes.insert(0, 'pi=%s' % pi)
        if used['bits_allocated'] == 32 and used['signed'] == 0 and used['bits_stored'] == 32:
            notes.append('values >= 2^31 hashed as their int32 bit pattern')
    except RouteError as exc:
        notes.insert(0, one_line(exc))
    except MemoryError:
        notes.insert(0, 'out of memory')
    except Exception as exc:  # noqa: BLE001 - never crash; record the reason
        notes.insert(0, one_line('%s: %s' % (type(exc).__name__, exc)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    note = '; '.join(notes).replace(tmp + os.sep, '').replace(path, os.path.basename(path))
    row['note'] = one_line(note, 400)
    return row


def walk(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            yield os.path.join(dirpath, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', action='append', required=True, metavar='NAME=DIR',
                    help='root folder; file column is NAME/relative/path')
    ap.add_argument('--out', required=True, help='output TSV')
    args = ap.parse_args()

    roots = []
    for spec in args.root:
        if '=' not in spec:
            ap.error('--root expects NAME=DIR, got %r' % spec)
        name, directory = spec.split('=', 1)
        if not os.path.isdir(directory):
            ap.error('not a directory: %s' % directory)
        roots.append((name, directory))

    started = time.time()
    work = tempfile.mkdtemp(prefix='pxref-fnv.')
    try:
        fnv = Fnv(work)
        rows, skipped = [], []
        for name, directory in roots:
            for path in walk(directory):
                rel = os.path.relpath(path, directory).replace(os.sep, '/')
                base = os.path.basename(path)
                label = '%s/%s' % (name, rel)
                if base in SKIP_NAMES or base.startswith('README'):
                    continue
                candidate, _ = sniff(path)
                if not candidate and base.lower().endswith(('.dcm', '.dicom')):
                    candidate = True
                if not candidate:
                    # last chance: a dataset pydicom can read with force=True
                    try:
                        ds = dcmread(path, [], stop_before_pixels=True)
                        first = next(iter(ds.keys()), None)
                        candidate = first is not None and (first >> 16) in PLAUSIBLE_FIRST_GROUPS
                    except Exception:  # noqa: BLE001
                        candidate = False
                if not candidate:
                    skipped.append(label)
                    continue
                t0 = time.time()
                row = process(os.path.abspath(path), fnv)
                row['file'] = label
                rows.append(row)
                print('%-6s %6.2fs %s %s' % (row['status'], time.time() - t0, label,
                                             row['note'] if row['status'] != 'OK' else ''),
                      file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    elapsed = time.time() - started
    n_ok = sum(r['status'] == 'OK' for r in rows)
    cmd = ' '.join(shlex.quote(a) for a in ['/usr/bin/python3'] + sys.argv)
    with open(args.out, 'w', encoding='utf-8', newline='\n') as fh:
        fh.write('# command (cwd %s): %s\n' % (shlex.quote(os.getcwd()), cmd))
        fh.write('# date: %s\n' % datetime.datetime.now(datetime.timezone.utc)
                 .strftime('%Y-%m-%dT%H:%M:%SZ'))
        for line in tool_version_lines():
            fh.write('# tool: %s\n' % line)
        fh.write('# canonical form and routes: tests/pixels/README.md\n')
        fh.write('# files: %d (%d OK, %d ERROR); skipped non-DICOM: %s; runtime %.1f s\n'
                 % (len(rows), n_ok, len(rows) - n_ok,
                    ', '.join(skipped) if skipped else 'none', elapsed))
        fh.write('\t'.join(COLUMNS) + '\n')
        for r in rows:
            fh.write('\t'.join(str(r[c]) for c in COLUMNS) + '\n')
    print('%d files: %d OK, %d ERROR, %d skipped, %.1f s -> %s'
          % (len(rows), n_ok, len(rows) - n_ok, len(skipped), elapsed, args.out),
          file=sys.stderr)


if __name__ == '__main__':
    main()
