#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# test_compare.sh - `dicomqc compare` as a user meets it, on the files of
# samples/dicom: a file against itself (ssim 1, mse 0, psnr null in JSON,
# inf in the table), the same phantom stored lossless and lossy (ssim
# below 1, psnr finite), lossless copies in other transfer syntaxes
# (identical), colour images (compared as luminance, data range 255),
# multi-frame files and --frame, the data range rule, and every error:
# exit codes and the exact stderr text of usage errors, a missing file,
# a file that is not DICOM, different sizes, a frame that does not exist.
#
# With the shared corpus (SHARED_DIR/data/dicom), also an image too small
# for most metrics: they are null, with one warning each.
#
# Usage: test_compare.sh DICOMQC SOURCE_DIR [SHARED_DIR]
# Prints "N passed, N failed"; exit 1 on any failure.
set -u
BIN=$1 SRC=$2 SHARED=${3:-}
S=$SRC/samples/dicom
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

. "$(dirname "$0")/lib.sh"
# key NAME : the value of "NAME" in the one-line JSON object in $T/out
key() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" "$T/out"; }
# check NAME AWK_CONDITION VALUE : awk tests the condition on v = VALUE
check() {
  if awk -v v="$3" "BEGIN { exit !($2) }"; then ok "$1 ($3)"
  else bad "$1: $3 fails $2"; cat "$T/out"; fi
}

[ -d "$S" ] || { echo "SKIP: $S not present"; exit 77; }

# --- help and usage errors
expect "compare --help exits 0" 0 "$BIN" compare --help
grep -q -- "--json" "$T/out" && grep -q -- "--frame N" "$T/out" &&
  grep -q "data range" "$T/out" && grep -q "Exit status" "$T/out" &&
  [ ! -s "$T/err" ] && ok "compare --help on stdout: options, scale rule, exit codes" ||
  bad "compare --help on stdout: options, scale rule, exit codes"
expect "dicomqc --help exits 0" 0 "$BIN" --help
grep -q "^  compare " "$T/out" && ok "dicomqc --help lists compare" ||
  bad "dicomqc --help lists compare"

expect "no files is a usage error" 2 "$BIN" compare
same_text "no files: exact stderr" "$T/err" \
"dicomqc: expected two files A.dcm B.dcm, got 0
dicomqc: try 'dicomqc compare --help'"
expect "three files is a usage error" 2 "$BIN" compare a b c
same_text "three files: exact stderr" "$T/err" \
"dicomqc: expected two files A.dcm B.dcm, got 3
dicomqc: try 'dicomqc compare --help'"
expect "unknown option" 2 "$BIN" compare --frobnicate a b
same_text "unknown option: exact stderr" "$T/err" \
"dicomqc: option --frobnicate: is unknown
dicomqc: try 'dicomqc compare --help'"
expect "--frame 0" 2 "$BIN" compare --frame 0 a b
same_text "--frame 0: exact stderr" "$T/err" \
"dicomqc: option --frame: '0' is not a number from 1 to 65535
dicomqc: try 'dicomqc compare --help'"
expect "--frame without a value" 2 "$BIN" compare a b --frame
same_text "--frame without a value: exact stderr" "$T/err" \
"dicomqc: option --frame: needs a value (N)
dicomqc: try 'dicomqc compare --help'"

# --- files that cannot be read or compared: exit 1, named on stderr
expect "missing file exits 1" 1 "$BIN" compare "$T/nope.dcm" "$S/mr_head_rle.dcm"
grep -q "nope.dcm: cannot open: No such file or directory" "$T/err" &&
  [ ! -s "$T/out" ] && ok "missing file named with the reason, nothing on stdout" ||
  { bad "missing file named with the reason"; cat "$T/err"; }
printf 'not dicom at all\n' >"$T/junk.dcm"
expect "junk file exits 1" 1 "$BIN" compare --json "$S/mr_head_rle.dcm" "$T/junk.dcm"
grep -q "junk.dcm: not a DICOM file" "$T/err" && ok "junk file: clear error" ||
  { bad "junk file: clear error"; cat "$T/err"; }
expect "different sizes exit 1" 1 \
  "$BIN" compare "$S/op_fundus_j2k_lossy.dcm" "$S/op_fundus_rle.dcm"
same_text "different sizes: exact stderr" "$T/err" \
"dicomqc: $S/op_fundus_j2k_lossy.dcm is 512x512 but $S/op_fundus_rle.dcm is 256x256: full-reference metrics need images of the same size"
expect "a frame past the end exits 1" 1 "$BIN" compare --frame 4 \
  "$S/mr_head_multiframe_j2k_lossless.dcm" "$S/mr_head_multiframe_jpegls_lossless.dcm"
same_text "a frame past the end: exact stderr" "$T/err" \
"dicomqc: $S/mr_head_multiframe_j2k_lossless.dcm: has 3 frames; --frame 4 does not exist"

# --- a file against itself: the ideal values
f=$S/mr_head_explicit_be.dcm
expect "file against itself" 0 "$BIN" compare --json "$f" "$f"
[ "$(grep -c . "$T/out")" = 1 ] && ok "--json: one line" || bad "--json: one line"
missing=
for k in reference compared frame rows columns modality scale data_range \
  identical mse psnr ssim ms_ssim gmsd fsim vif; do
  grep -q "\"$k\":" "$T/out" || missing="$missing $k"
done
[ -z "$missing" ] && ok "--json has the documented keys" ||
  { bad "--json lacks:$missing"; cat "$T/out"; }
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import json, sys; json.load(sys.stdin)' <"$T/out" &&
    ok "--json parses as JSON" || bad "--json parses as JSON"
fi
check "itself: ssim 1" "v == 1" "$(key ssim)"
check "itself: ms_ssim 1" "v == 1" "$(key ms_ssim)"
check "itself: fsim 1" "v == 1" "$(key fsim)"
check "itself: mse 0" "v == 0" "$(key mse)"
check "itself: gmsd 0" "v == 0" "$(key gmsd)"
check "itself: vif 1 within 1e-9" "v > 0.999999999 && v <= 1" "$(key vif)"
[ "$(key psnr)" = null ] && ok "itself: psnr null (infinite)" ||
  bad "itself: psnr $(key psnr), expected null"
[ "$(key identical)" = true ] && ok "itself: identical true" ||
  bad "itself: identical $(key identical)"
check "12-bit MR: data range 4095" "v == 4095" "$(key data_range)"
expect "file against itself, table" 0 "$BIN" compare "$f" "$f"
grep -q "^psnr  *inf " "$T/out" && grep -q "^ssim  *1 " "$T/out" &&
  ok "table: psnr inf, ssim 1" || { bad "table: psnr inf, ssim 1"; cat "$T/out"; }

# --- the same phantom, lossless and lossy (JPEG 2000 9/7, ratio 10)
expect "lossless vs lossy" 0 "$BIN" compare --json "$f" "$S/mr_head_j2k_lossy.dcm"
check "lossy: ssim below 1 and above 0.9" "v < 1 && v > 0.9" "$(key ssim)"
check "lossy: psnr finite, above 30 dB" "v > 30 && v < 200" "$(key psnr)"
check "lossy: mse above 0" "v > 0" "$(key mse)"
check "lossy: gmsd above 0" "v > 0" "$(key gmsd)"
check "lossy: vif below 1" "v < 1 && v > 0" "$(key vif)"
[ "$(key identical)" = false ] && ok "lossy: identical false" ||
  bad "lossy: identical $(key identical)"
# HTJ2K qstep 0.002 is milder than J2K ratio 10: ranks as better.
ssimJ2k=$(key ssim)
expect "lossless vs HTJ2K lossy" 0 \
  "$BIN" compare --json "$S/mr_head_htj2k_lossless.dcm" "$S/mr_head_htj2k_lossy.dcm"
check "milder compression scores higher" "v > $ssimJ2k && v < 1" "$(key ssim)"

# --- lossless copies in other transfer syntaxes decode to the same pixels
expect "DX lossless copies" 0 \
  "$BIN" compare --json "$S/dx_chest_explicit_le.dcm" "$S/dx_chest_j2k_lossless.dcm"
[ "$(key identical)" = true ] && ok "DX explicit LE vs J2K lossless: identical" ||
  bad "DX explicit LE vs J2K lossless: identical $(key identical)"
check "14-bit DX: data range 16383" "v == 16383" "$(key data_range)"

# --- colour: luminance, data range 255
expect "fundus RGB lossless copies" 0 \
  "$BIN" compare --json "$S/op_fundus_rle.dcm" "$S/op_fundus_j2k_lossless.dcm"
[ "$(key identical)" = true ] && ok "fundus RLE vs J2K lossless (YBR_RCT): identical" ||
  bad "fundus RLE vs J2K lossless: identical $(key identical)"
check "8-bit colour: data range 255" "v == 255" "$(key data_range)"
expect "fundus JPEG q90 vs J2K ratio 30" 0 \
  "$BIN" compare --json "$S/op_fundus_jpeg_baseline.dcm" "$S/op_fundus_j2k_lossy.dcm"
check "two lossy fundus copies: ssim below 1" "v < 1 && v > 0.5" "$(key ssim)"

# --- multi-frame: the frame asked for
expect "--frame 2 of a 3-frame file" 0 "$BIN" compare --json --frame 2 \
  "$S/mr_head_multiframe_j2k_lossless.dcm" "$S/mr_head_multiframe_jpegls_lossless.dcm"
check "--frame 2: frame 2" "v == 2" "$(key frame)"
[ "$(key identical)" = true ] && ok "--frame 2: lossless copies identical" ||
  bad "--frame 2: identical $(key identical)"

# --- different modalities: compared, with a warning (--quiet: none)
expect "fundus against MR" 0 "$BIN" compare "$S/op_fundus_rle.dcm" "$S/mr_head_rle.dcm"
grep -q "^dicomqc: warning: .*op_fundus_rle.dcm is OP but .*mr_head_rle.dcm is MR: their values may not be comparable$" \
  "$T/err" && ok "different modalities: warning" ||
  { bad "different modalities: warning"; cat "$T/err"; }
check "different ranges: the larger (4095)" "v == 4095" \
  "$(sed -n 's/^scale .*data range \([0-9.]*\).*/\1/p' "$T/out")"
expect "--quiet" 0 "$BIN" compare --quiet "$S/op_fundus_rle.dcm" "$S/mr_head_rle.dcm"
[ ! -s "$T/err" ] && ok "--quiet: no warning" || bad "--quiet: no warning"

# --- an image too small for most metrics (shared corpus: 3x3 RGB)
tiny=$SHARED/data/dicom/fo-dicom/1403-OB.dcm
if [ -n "$SHARED" ] && [ -f "$tiny" ]; then
  expect "3x3 image against itself" 0 "$BIN" compare --json "$tiny" "$tiny"
  [ "$(key ssim)" = null ] && [ "$(key ms_ssim)" = null ] &&
    [ "$(key vif)" = null ] && [ "$(key fsim)" = null ] &&
    [ "$(key mse)" = 0 ] && [ "$(key gmsd)" = 0 ] &&
    ok "3x3: ssim, ms_ssim, fsim, vif null; mse and gmsd 0" ||
    { bad "3x3: nulls"; cat "$T/out"; }
  grep -q "^dicomqc: warning: ms_ssim: needs images of at least 176 pixels a side; these have 3$" \
    "$T/err" && [ "$(grep -c warning "$T/err")" = 4 ] &&
    ok "3x3: one warning per missing metric" ||
    { bad "3x3: one warning per missing metric"; cat "$T/err"; }
else
  echo "SKIP 3x3 image checks: $SHARED/data/dicom not present"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
