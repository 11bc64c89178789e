#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# test_cli.sh - the dicomqc program as a user meets it: exit codes, the
# exact usage-error text, --help/--version on stdout, the --json contract
# on samples/ and on the shared corpus, and --db recording.
#
# Usage: test_cli.sh DICOMQC JSONCHECK SOURCE_DIR SHARED_DIR
# Prints "N passed, N failed"; exit 1 on any failure.
set -u
BIN=$1 JSONCHECK=$2 SRC=$3 SHARED=$4
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

. "$(dirname "$0")/lib.sh"

expect "no arguments is a usage error" 2 "$BIN"
expect "--help exits 0" 0 "$BIN" --help
grep -q "^  score " "$T/out" && ok "--help on stdout lists score" \
  || bad "--help on stdout lists score"
expect "--version exits 0" 0 "$BIN" --version
grep -q "^dicomqc [0-9]" "$T/out" && ok "--version on stdout" \
  || bad "--version on stdout"
expect "score --help exits 0" 0 "$BIN" score --help
grep -q -- "--json" "$T/out" && grep -q "Exit status" "$T/out" \
  && ok "score --help lists --json and the exit codes" \
  || bad "score --help lists --json and the exit codes"

expect "unknown option" 2 "$BIN" score --frobnicate x
same_text "unknown option: exact stderr" "$T/err" \
"dicomqc: option --frobnicate: is unknown
dicomqc: try 'dicomqc score --help'"
expect "unknown command" 2 "$BIN" frobnicate
same_text "unknown command: exact stderr" "$T/err" \
"dicomqc: command 'frobnicate' is unknown
dicomqc: try 'dicomqc --help'"
expect "score without PATH" 2 "$BIN" score --json
same_text "score without PATH: exact stderr" "$T/err" \
"dicomqc: no PATH given
dicomqc: try 'dicomqc score --help'"
expect "bad --max-dim" 2 "$BIN" score --max-dim -5 x
same_text "bad --max-dim: exact stderr" "$T/err" \
"dicomqc: option --max-dim: '-5' is not a number from 1 to 65535
dicomqc: try 'dicomqc score --help'"

expect "missing file exits 1" 1 "$BIN" score "$T/nope.dcm"
grep -q "nope.dcm: cannot open: No such file or directory" "$T/err" \
  && ok "missing file named with the reason" \
  || bad "missing file named with the reason"

printf 'not dicom at all\n' >"$T/junk.dcm"
expect "junk file exits 1" 1 "$BIN" score --json "$T/junk.dcm"
grep -q "junk.dcm: not a DICOM file" "$T/err" \
  && ok "junk file: clear error on stderr" \
  || bad "junk file: clear error on stderr"
"$JSONCHECK" <"$T/out" >"$T/jc" && grep -q "lines=1 ok=1 errors=1" "$T/jc" \
  && ok "junk file: one contract JSON line with error" \
  || { bad "junk file: one contract JSON line with error"; cat "$T/jc"; }

# Every sample decodes and scores; the JSON meets the contract.
n=$(ls "$SRC/samples/dicom"/*.dcm | wc -l)
expect "score --json samples/ exits 0" 0 \
  "$BIN" score --json --db "$T/qc.db" "$SRC/samples/dicom"
"$JSONCHECK" <"$T/out" >"$T/jc" && grep -q "lines=$n ok=$n errors=0" "$T/jc" \
  && ok "samples: $n contract lines, no error" \
  || { bad "samples: $n contract lines, no error"; cat "$T/jc"; }
# Each sample is judged by its modality's profile (models/profiles).
python3 - "$T/out" <<'PY' && ok "samples: quality 0..100, verdict and profile per modality" \
  || bad "samples: quality 0..100, verdict and profile per modality"
import json, sys
want = {"CR": "xray", "DX": "xray", "MR": "mr", "OP": "fundus"}
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["profile"] == want[o["modality"]], o["file"]
    assert 0 <= o["quality"] <= 100, o["file"]
    assert o["verdict"] in ("pass", "warn", "retake"), o["file"]
    assert (o["verdict"] == "pass") == (o["reasons"] == []), o["file"]
PY
# A fixed case: the quarter-dose sample's header says EI 100, EI_T 400,
# so DI = 10 log10(100/400) = -6.02 dB, below the retake limit of -3.
u=dx_chest_underexposed_jpeg_lossless.dcm
grep "$u" "$T/out" | grep -q '"verdict":"retake","reasons":\["Underexposed: deviation index -6.02 dB, limit -3.00 dB"' \
  && ok "underexposed sample: retake, with DI and limit in the reason" \
  || { bad "underexposed sample: retake, with DI and limit in the reason";
       grep "$u" "$T/out"; }

# A blank exposure (every pixel 2000) is a retake, not a perfect image.
cp "$SRC/samples/dicom/dx_chest_explicit_le.dcm" "$T/blank.dcm"
python3 -c 'import sys; sys.stdout.buffer.write(b"\xd0\x07" * 512 * 512)' \
  >"$T/blank.raw"
if dcmodify -nb -mf "(7fe0,0010)=$T/blank.raw" "$T/blank.dcm" \
     >/dev/null 2>&1; then
  "$BIN" score --json "$T/blank.dcm" >"$T/out" 2>&1
  grep -q '"verdict":"retake","reasons":\["Blank or empty image: 0.00 bits of dynamic range, limit 4.00"\]' \
    "$T/out" && ok "a blank X-ray is retaken as blank" \
    || { bad "a blank X-ray is retaken as blank"; cat "$T/out"; }
else
  bad "dcmodify could not blank the pixel data"
fi

# A site copies the profiles and edits a limit: no recompiling.
cp -r "$SRC/models/profiles" "$T/prof"
sed -i 's/^retake_below = -3$/retake_below = -7/' "$T/prof/xray.ini"
"$BIN" score --json --profile-dir "$T/prof" "$SRC/samples/dicom/$u" \
  >"$T/out" 2>"$T/err"
grep -q '"Underexposed: deviation index -6.02 dB, limit -1.50 dB"' "$T/out" \
  && ok "--profile-dir: an edited limit makes the DI a warning, not a retake" \
  || { bad "--profile-dir: an edited limit makes the DI a warning";
       cat "$T/out" "$T/err"; }
# Only the default profile: measured, never judged.
mkdir "$T/prof0" && cp "$SRC/models/profiles/default.ini" "$T/prof0/"
"$BIN" score --json --profile-dir "$T/prof0" "$SRC/samples/dicom/$u" \
  >"$T/out" 2>"$T/err"
grep -q '"profile":"default","quality":null,"verdict":"unscored","reasons":\[\]' \
  "$T/out" && ok "default profile: unscored, quality null" \
  || { bad "default profile: unscored, quality null"; cat "$T/out"; }
# Broken profiles are refused with the file, the line and the key.
printf '[profile]\nmodalities = DX\n[metric xray_noise]\npoints = 1:0 oops\n' \
  >"$T/prof0/bad.ini"
expect "a profile with a bad line is an input error" 1 \
  "$BIN" score --profile-dir "$T/prof0" "$SRC/samples/dicom/$u"
grep -q "prof0/bad.ini:4: expected up to 12 points 'value:score'" "$T/err" \
  && ok "... naming file, line and what is expected" \
  || { bad "... naming file, line and what is expected"; cat "$T/err"; }
printf '[profile]\nmodalities = DX\n[metric xray_noise]\nabove_reason = %0250d\n' 0 \
  >"$T/prof0/bad.ini"
expect "a profile line over 198 characters is an input error" 1 \
  "$BIN" score --profile-dir "$T/prof0" "$SRC/samples/dicom/$u"
grep -q "bad.ini:4: longer than the 198 characters" "$T/err" \
  && ok "... naming the line and the limit" \
  || { bad "... naming the line and the limit"; cat "$T/err"; }
printf '[profile]\nmodalities = DX\n[metric xray_noise]\npoints = 1:0 0:100\n' \
  >"$T/prof0/bad.ini"
expect "a profile whose points go backwards is an input error" 1 \
  "$BIN" score --profile-dir "$T/prof0" "$SRC/samples/dicom/$u"
grep -q "bad.ini: profile bad: metric xray_noise: point values must increase" \
  "$T/err" && ok "... naming the profile and the metric" \
  || { bad "... naming the profile and the metric"; cat "$T/err"; }

# --db recorded one instance per sample, with metrics (sqlite3 CLI).
if command -v sqlite3 >/dev/null 2>&1; then
  got=$(sqlite3 "$T/qc.db" "SELECT count(*) FROM instances")
  [ "$got" = "$n" ] && ok "--db: $n instances recorded" \
    || bad "--db: $got instances recorded, expected $n"
  got=$(sqlite3 "$T/qc.db" "SELECT count(DISTINCT instance_id) FROM metrics
    WHERE name='noise_sigma'")
  [ "$got" = "$n" ] && ok "--db: noise_sigma for every instance" \
    || bad "--db: noise_sigma for $got instances, expected $n"
  "$BIN" score --quiet --db "$T/qc.db" "$SRC/samples/dicom" >/dev/null 2>&1
  got=$(sqlite3 "$T/qc.db" "SELECT count(*) FROM instances")
  [ "$got" = "$n" ] && ok "--db: re-scoring does not duplicate rows" \
    || bad "--db: $got instances after re-scoring, expected $n"
fi

# Limits: refuse before allocating, and say so.
f=$(ls "$SRC/samples/dicom"/*.dcm | head -n 1)
expect "--max-dim 16 refuses a larger sample" 1 \
  "$BIN" score --max-dim 16 "$f"
grep -q "exceeds\|limits are" "$T/err" && ok "size limit named in error" \
  || { bad "size limit named in error"; cat "$T/err"; }

# The 8-bit models' input rule: a picture wrapped as 8-bit Secondary
# Capture (grey, and RGB) scores as OpenCV's BRISQUE scores the picture
# (tests/cli/data/models.tsv, made by tests/cli/make_model_samples.py;
# tolerance 0.002 as OpenCV's own test).
grep -v '^#' "$SRC/tests/cli/data/models.tsv" | tail -n +2 |
while IFS="$(printf '\t')" read -r f metric want; do
  "$BIN" score --json --metrics "$metric" "$SRC/tests/cli/data/$f" \
    >"$T/out" 2>"$T/err"
  got=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["metrics"]'\
'.get(sys.argv[1], "missing"))' "$metric" <"$T/out")
  if python3 -c 'import sys; sys.exit(abs(float(sys.argv[1]) -
    float(sys.argv[2])) > 0.002)' "$got" "$want" 2>/dev/null; then
    echo "PASS $f: $metric $got (OpenCV $want)"
  else
    echo "FAIL $f: $metric $got, OpenCV $want"; cat "$T/err"
    echo x >>"$T/modelfail"
  fi
done
if [ -s "$T/modelfail" ]; then bad "wrapped pictures score as OpenCV's"
else ok "wrapped pictures score as OpenCV's"; fi
"$BIN" score --json --metrics niqe,piqe "$SRC"/tests/cli/data/*.dcm >"$T/out" \
  2>"$T/err" && [ "$(grep -c '"niqe":' "$T/out")" = 2 ] \
  && [ "$(grep -c 'brisque' "$T/out")" = 0 ] \
  && ok "--metrics niqe,piqe runs only those" \
  || { bad "--metrics niqe,piqe runs only those"; cat "$T/out" "$T/err"; }
expect "--metrics with an unknown name is a usage error" 2 \
  "$BIN" score --metrics niqe,nope "$SRC"/tests/cli/data/*.dcm
grep -q "'nope' is not a metric" "$T/err" && ok "the unknown name is named" \
  || bad "the unknown name is named"
expect "a missing model folder is an input error" 1 \
  "$BIN" score --model-dir "$T/none" "$SRC"/tests/cli/data/*.dcm
grep -q "$T/none/brisque_opencv_model_live.yml" "$T/err" \
  && ok "the missing model file is named" || bad "the missing model file is named"

# train niqe: usage errors, a model with its provenance, and a model fitted
# on clean pictures scores the blurred and noisy versions of held-back
# pictures worse than the clean ones (tests/cli/data/niqe).
D="$SRC/tests/cli/data/niqe"
expect "train --help exits 0" 0 "$BIN" train --help
expect "train without a model kind is a usage error" 2 "$BIN" train "$D"
expect "train niqe without --modality is a usage error" 2 \
  "$BIN" train niqe --out "$T/m.txt" "$D/train"
expect "train niqe --sharpness 1 is a usage error" 2 \
  "$BIN" train niqe --modality OT --sharpness 1 --out "$T/m.txt" "$D/train"
expect "train niqe with no image of the modality fails" 1 \
  "$BIN" train niqe --modality MR --out "$T/m.txt" "$D/train"
[ ! -e "$T/m.txt" ] && ok "... and writes nothing" || bad "... and writes nothing"
mkdir "$T/models"
cp "$SRC/models/niqe_live_pristine.txt" "$T/models/"
cp -r "$SRC/models/profiles" "$T/models/"
expect "train niqe fits the clean pictures" 0 \
  "$BIN" train niqe --modality OT --out "$T/models/niqe_OT.txt" "$D/train"
grep -q "^modality OT$" "$T/models/niqe_OT.txt" \
  && grep -q "^images 16$" "$T/models/niqe_OT.txt" \
  && grep -q "^source .*tests/cli/data/niqe/train$" "$T/models/niqe_OT.txt" \
  && grep -q "^date 20" "$T/models/niqe_OT.txt" \
  && ok "the model file names its modality, images, source and date" \
  || { bad "the model file names its provenance"; head -12 "$T/models/niqe_OT.txt"; }
"$BIN" score --json --metrics niqe --model-dir "$T/models" "$D/holdout" \
  >"$T/out" 2>"$T/err"
if python3 - "$T/out" <<'PY'
import json, sys
v = {json.loads(l)["file"].rsplit("/", 1)[1][:-4]:
     json.loads(l)["metrics"]["niqe"] for l in open(sys.argv[1])}
worse = all(v["%s_%02d" % (k, i)] > v["clean_%02d" % i]
            for i in range(3) for k in ("blur", "noise"))
print(" ".join("%s=%.2f" % kv for kv in sorted(v.items())))
sys.exit(0 if worse and len(v) == 9 else 1)
PY
then ok "the site model scores blurred and noisy versions worse"
else bad "the site model scores blurred and noisy versions worse"; cat "$T/err"
fi

# MR: the phase-encoding direction (0018,1312) picks the ghosting axis
# (the sample says ROW; a copy says COL).
m=mr_head_explicit_be.dcm
cp "$SRC/samples/dicom/$m" "$T/col.dcm"
if command -v dcmodify >/dev/null 2>&1 && \
   dcmodify -nb -i "(0018,1312)=COL" "$T/col.dcm" >/dev/null 2>&1; then
  "$BIN" score --json "$SRC/samples/dicom/$m" "$T/col.dcm" >"$T/out" 2>&1
  [ "$(grep -o '"mr_ghost_axis":[0-9]' "$T/out" | tr '\n' ' ')" = \
    '"mr_ghost_axis":1 "mr_ghost_axis":2 ' ] \
    && ok "(0018,1312) ROW / COL sets the MR ghosting axis" \
    || { bad "(0018,1312) ROW / COL sets the MR ghosting axis"; cat "$T/out"; }
else
  bad "dcmodify could not set (0018,1312)"
fi

# eval: usage, a missing labels file, and the table on a small labelled
# folder made of samples (the labels are for the plumbing only).
expect "eval without DIR is a usage error" 2 "$BIN" eval
expect "eval --jobs 0 is a usage error" 2 "$BIN" eval --jobs 0 "$T"
expect "eval without labels.tsv is an input error" 1 "$BIN" eval "$T"
grep -q "labels.tsv: cannot read the labels" "$T/err" \
  && ok "... naming the labels file" || bad "... naming the labels file"
mkdir -p "$T/ev/x" "$T/ev/m" "$T/ev/f"
cp "$SRC/samples/dicom/dx_chest_explicit_le.dcm" "$T/ev/x/a.dcm"
cp "$SRC/samples/dicom/$m" "$T/ev/m/still.dcm"
cp "$SRC/samples/dicom/mr_head_j2k_lossy.dcm" "$T/ev/m/moved.dcm"
cp "$SRC/samples/dicom/op_fundus_jpeg_baseline.dcm" "$T/ev/f/good.dcm"
cp "$SRC/samples/dicom/op_fundus_redfree_jpeg_baseline.dcm" "$T/ev/f/bad.dcm"
printf 'file\tset\tsource\tlabel\tsubject\tslice
x/a.dcm\txray\ts\tunlabeled_reference\t\t
m/still.dcm\tmr\ts\tnomotion\tS1\t5
m/moved.dcm\tmr\ts\tmotion\tS1\t5
f/good.dcm\tfundus\ts\tgood\t\t
f/bad.dcm\tfundus\ts\tbad\t\t
' >"$T/ev/labels.tsv"
expect "eval on a labelled folder exits 0" 0 \
  "$BIN" eval --quiet --jobs 2 --tsv "$T/ev.tsv" "$T/ev"
[ "$(grep -cE '^(xray|mr|fundus) +[a-z]+ +1 ' "$T/out")" = 11 ] \
  && grep -q '^mr       pair accuracy [01].[0-9]* ([01]/1 pairs' "$T/out" \
  && grep -q '^fundus   good vs bad+outlier ROC AUC [01].[0-9]* (1 good, 1 bad' \
    "$T/out" \
  && ok "eval prints the 11 families and the real-image lines" \
  || { bad "eval prints the 11 families and the real-image lines";
       cat "$T/out"; }
# 5 originals + (4 + 3 + 4 families) x 4 levels of the 3 acceptable ones.
[ "$(tail -n +2 "$T/ev.tsv" | wc -l)" = 49 ] && \
  [ "$(grep -c "$(printf '\tdefocus\t4\t')" "$T/ev.tsv")" = 1 ] \
  && ok "eval --tsv: one row per judged image and level (49)" \
  || { bad "eval --tsv: one row per judged image and level";
       cut -f1-7 "$T/ev.tsv"; }

# The shared corpus: one valid line per file, errors named, no crash.
if [ -d "$SHARED/data/dicom" ]; then
  n=$(find "$SHARED/data/dicom" -type f ! -name '.*' | wc -l)
  "$BIN" score --json "$SHARED/data/dicom" >"$T/out" 2>"$T/err"; rc=$?
  [ "$rc" = 1 ] && ok "shared corpus: exit 1 (it holds malformed files)" \
    || bad "shared corpus: exit $rc, expected 1"
  "$JSONCHECK" <"$T/out" >"$T/jc" && grep -q "lines=$n ok=$n" "$T/jc" \
    && ok "shared corpus: $n contract lines ($(cat "$T/jc"))" \
    || { bad "shared corpus: $n contract lines"; cat "$T/jc"; }
  nerr=$(grep -c . "$T/err")
  nline=$(sed 's/.*errors=//' "$T/jc")
  [ "$nerr" = "$nline" ] && ok "shared corpus: one stderr line per error" \
    || bad "shared corpus: $nerr stderr lines for $nline errors"
else
  echo "SKIP shared corpus checks: $SHARED/data/dicom not present"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
