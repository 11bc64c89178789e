#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# test_holdout.sh - the smoke check of the held-out images
# (../shared/data/holdout): every one decodes, is judged by the profile of
# its modality and gives a contract JSON line without error.  It checks
# only that a verdict exists, never what it says: those images are the
# project's independent evaluation, and nothing here is tuned on them.
#
# Usage: test_holdout.sh DICOMQC JSONCHECK SHARED_DIR
# Exit 0 when all pass, 1 on a failure, 77 (skip) without the folder.
set -u
BIN=$1 JSONCHECK=$2 SHARED=$3
D=$SHARED/data/holdout
if [ ! -d "$D" ]; then
  echo "SKIP holdout smoke check: $D not present"
  exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=$(find "$D" -type f -name '*.dcm' | wc -l)
"$BIN" score --json --quiet "$D" >"$T/out" 2>"$T/err"
rc=$?
fail=0
[ "$rc" = 0 ] && echo "PASS score exits 0 on $n holdout images" \
  || { echo "FAIL score exits $rc"; head "$T/err"; fail=1; }
"$JSONCHECK" <"$T/out" >"$T/jc" && grep -q "lines=$n ok=$n errors=0" "$T/jc" \
  && echo "PASS $n contract lines, no error ($(cat "$T/jc"))" \
  || { echo "FAIL contract lines: $(cat "$T/jc")"; fail=1; }
# Every image is CR/DX/MR/OP, so every one gets a profile and a verdict.
nj=$(grep -c '"profile":"\(xray\|mr\|fundus\)","quality":[0-9]' "$T/out")
[ "$nj" = "$n" ] && echo "PASS all $n judged by a modality profile" \
  || { echo "FAIL $nj of $n judged by a modality profile"; fail=1; }
[ "$fail" = 0 ]
