#!/usr/bin/env bash
# make_samples.sh - regenerate dicomqc's synthetic DICOM samples.
#
# Usage: bash samples/make_samples.sh [OUTDIR]     (default: samples/dicom)
#
# Needs (Debian 12 packages): python3-numpy, python3-pydicom, dcmtk,
# libopenjp2-tools (opj_compress/opj_decompress), openjph-tools (ojph_compress).
# Computes the phantoms, encodes every transfer syntax, validates each file
# (dcmdump, DCMTK decompression or OpenJPEG decode, pixel comparison) and
# writes INDEX.tsv beside OUTDIR (samples/INDEX.tsv). Exits non-zero on the first failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
outdir="${1:-$here/dicom}"

missing=0
for tool in /usr/bin/python3 dcmdump dcmconv dcmcjpeg dcmdjpeg dcmcjpls dcmdjpls \
            dcmcrle dcmdrle opj_compress opj_decompress ojph_compress; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "make_samples.sh: missing tool '$tool' (install dcmtk, libopenjp2-tools," \
             "openjph-tools, python3-numpy, python3-pydicom)" >&2
        missing=1
    fi
done
/usr/bin/python3 -c 'import numpy, pydicom' 2>/dev/null || {
    echo "make_samples.sh: /usr/bin/python3 cannot import numpy and pydicom" \
         "(apt-get install python3-numpy python3-pydicom)" >&2
    missing=1
}
[ "$missing" -eq 0 ] || exit 1

echo "tools:"
echo "  $(dcmconv --version | head -n 1)"
echo "  $(opj_compress -h 2>/dev/null | grep -o 'openjp2 library v[0-9.]*' | head -n 1)"
echo "  openjph $(dpkg-query -W -f='${Version}' openjph-tools 2>/dev/null || echo '?')"
echo "  python $(/usr/bin/python3 -c 'import sys, numpy, pydicom; print(sys.version.split()[0], "numpy", numpy.__version__, "pydicom", pydicom.__version__)')"

/usr/bin/python3 "$here/make_samples.py" "$outdir"
du -sh "$outdir"
