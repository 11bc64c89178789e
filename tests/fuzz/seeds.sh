#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# seeds.sh - makes the seed corpora of the libFuzzer targets (tests/fuzz).
#
#   sh tests/fuzz/seeds.sh OUTDIR [SHARED_DIR]
#
# OUTDIR/fuzz_decode gets whole files: samples/dicom/*.dcm (every
# transfer syntax the node reads), tests/pixels/extra/*.dcm, the real
# files of SHARED_DIR/data/dicom (default ../shared beside the source
# tree; skipped, saying so, when absent), and, when DCMTK's tools are
# installed, small 32x32 copies of four samples in each transfer syntax
# DCMTK writes: mutating a 2 kB file is much faster than a 250 kB one.
# OUTDIR/fuzz_store gets the same files as fuzz_store reads them: one byte
# naming the transfer syntax of their File Meta (index into the
# listener's list, fuzz_store.c), then the dataset without preamble and
# File Meta; a file without File Meta gets implicit VR little endian.
# Files whose transfer syntax the listener does not accept are left out
# there.  Deterministic; OUTDIR's two folders are emptied first.
set -eu

[ $# -ge 1 ] || { echo "usage: seeds.sh OUTDIR [SHARED_DIR]" >&2; exit 2; }
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
shared=${2:-$src/../shared}
dec=$out/fuzz_decode
sto=$out/fuzz_store
rm -rf "$dec" "$sto"
mkdir -p "$dec" "$sto"

# Whole files, named after where they came from.
for f in "$src"/samples/dicom/*.dcm "$src"/tests/pixels/extra/*.dcm; do
  [ -f "$f" ] && cp "$f" "$dec/own_$(basename "$f")"
done
if [ -d "$shared/data/dicom" ]; then
  find "$shared/data/dicom" -type f ! -name MANIFEST.tsv | sort |
    while read -r f; do
      rel=${f#"$shared/data/dicom/"}
      cp "$f" "$dec/shared_$(echo "$rel" | tr '/ ' '__')"
    done
else
  echo "seeds: $shared/data/dicom absent: shared corpus skipped"
fi

# Small copies in every transfer syntax DCMTK writes.
if command -v dcmscale >/dev/null 2>&1 && command -v dcmcjpls >/dev/null 2>&1
then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for s in dx_chest_explicit_le cr_chest_mono1_implicit_le \
    mr_head_signed_explicit_le op_fundus_planar_explicit_le; do
    f=$src/samples/dicom/$s.dcm
    [ -f "$f" ] || continue
    small=$tmp/$s.dcm
    dcmscale +Sxv 32 +Syv 32 +te "$f" "$small" 2>/dev/null || continue
    cp "$small" "$dec/small_${s}_explicit_le.dcm"
    # name, command and options: one line each
    while read -r name cmd opts; do
      # shellcheck disable=SC2086
      "$cmd" $opts "$small" "$dec/small_${s}_$name.dcm" >/dev/null 2>&1 ||
        rm -f "$dec/small_${s}_$name.dcm"
    done <<EOF
implicit_le dcmconv +ti
explicit_be dcmconv +tb
deflated dcmconv +td
jpeg_baseline dcmcjpeg +eb
jpeg_extended dcmcjpeg +ee
jpeg_lossless dcmcjpeg +el
jpeg_lossless_sv1 dcmcjpeg +e1
jpegls_lossless dcmcjpls +el
jpegls_near_lossless dcmcjpls +en
rle dcmcrle +ot
EOF
  done
else
  echo "seeds: DCMTK's tools absent: no small copies"
fi

# fuzz_store: byte 0 = the transfer syntax's index, then the dataset.
python3 - "$dec" "$sto" <<'EOF'
import os, struct, sys

# The order of azXfer in tests/fuzz/fuzz_store.c (= dicom_scp.cc).
XFER = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
        "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
        "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81",
        "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201",
        "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"]
LONG = {b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"SQ", b"UC", b"UR",
        b"UT", b"UN", b"SV", b"UV"}


def split(data):
    """(transfer syntax UID, dataset bytes) of a file, or None."""
    if data[128:132] != b"DICM":
        return XFER[0], data
    pos, xfer = 132, None
    while pos + 8 <= len(data):
        group, elem = struct.unpack_from("<HH", data, pos)
        if group != 2:
            break
        vr = data[pos + 4:pos + 6]
        if vr in LONG:
            (n,) = struct.unpack_from("<I", data, pos + 8)
            head = 12
        else:
            (n,) = struct.unpack_from("<H", data, pos + 6)
            head = 8
        if elem == 0x10:
            raw = data[pos + head:pos + head + n]
            xfer = raw.rstrip(b"\0 ").decode("ascii", "replace")
        pos += head + n
    return (xfer, data[pos:]) if xfer else None


dec, sto = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(dec)):
    with open(os.path.join(dec, name), "rb") as f:
        got = split(f.read())
    if got is None or got[0] not in XFER:
        continue
    with open(os.path.join(sto, name), "wb") as f:
        f.write(bytes([XFER.index(got[0])]) + got[1])
EOF
echo "seeds: $(find "$dec" -type f | wc -l) in $dec," \
  "$(find "$sto" -type f | wc -l) in $sto"
