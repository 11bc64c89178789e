#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# test_scp.sh - dicom/'s listener (dicom_scp_*) as a modality meets it,
# through tests/tools/scpd on 127.0.0.1 and DCMTK's echoscu/storescu:
# C-ECHO; every sample sent with storescu in its own transfer syntax and
# stored with a byte-identical dataset and the right File Meta transfer
# syntax; HTJ2K (which storescu 3.6.7 cannot send) and an unknown-to-DCMTK
# transfer syntax through rawscu.py; called AE and calling AE/host
# allowlist refusals with the reason logged; 8 concurrent associations;
# a failure status from the store callback; a busy port; SIGTERM.
#
# Usage: test_scp.sh SCPD SAMPLES_DIR
# Prints "N passed, N failed"; exit 1 on any failure, 77 (skip) when
# DCMTK's tools are not installed.
set -u
SCPD=$1 SAMPLES=$2
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in echoscu storescu dcmdump od cmp; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool missing"; exit 77
  fi
done
PY=$(command -v python3 || true)
T=$(mktemp -d)
PIDS=""
cleanup() {
  for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # check NAME STATUS
  if [ "$2" = 0 ]; then ok "$1"; else bad "$1"; fi
}

# start NAME ARGS... : scpd on a free port, output in $T/NAME; sets PORT PID
start() {
  name=$1; shift
  mkdir -p "$T/$name/out"
  "$SCPD" --port 0 --aet DICOMQC --dir "$T/$name/out" "$@" \
    >"$T/$name/stdout" 2>"$T/$name/log" &
  PID=$!
  PIDS="$PIDS $PID"
  i=0
  while [ $i -lt 50 ] && ! grep -q '^listening port=' "$T/$name/stdout"; do
    sleep 0.1; i=$((i + 1))
  done
  PORT=$(sed -n 's/^listening port=//p' "$T/$name/stdout")
  [ -n "$PORT" ] || { bad "$name: scpd did not start"; cat "$T/$name/log"; }
}
# stop : SIGTERM, expect exit 0 and no temp file left
stop() {
  kill -TERM "$PID"; wait "$PID"; rc=$?
  check "$name: SIGTERM ends scpd with exit 0 (got $rc)" "$rc"
  left=$(find "$T/$name/out" -name '*.part' | wc -l)
  check "$name: no temp file left behind ($left)" "$left"
}
# logged NAME PATTERN : the scpd log of NAME has a line matching PATTERN
logged() {
  grep -q "$2" "$T/$1/log"
}
# meta FILE TAG : value of a File Meta element
meta() {
  dcmdump -q -M -Un +P "$2" "$1" 2>/dev/null \
    | sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p' | head -n 1
}
# uid FILE : SOP Instance UID from the File Meta
uid() {
  dcmdump -q -M +P 0002,0003 "$1" | sed -n 's/.*\[\(.*\)\].*/\1/p'
}
# u32 FILE OFFSET : little-endian unsigned 32-bit value at OFFSET
u32() {
  od -An -tu1 -j "$2" -N 4 "$1" \
    | awk '{print $1 + 256 * $2 + 65536 * $3 + 16777216 * $4}'
}
# dataset_start FILE : offset of the first byte after the File Meta group
# (preamble 128 + "DICM" 4 + (0002,0000) UL element 12 + its value)
dataset_start() {
  [ "$(od -An -c -j 128 -N 4 "$1" | tr -d ' ')" = DICM ] || return 1
  [ "$(od -An -tx1 -j 132 -N 6 "$1" | tr -d ' ')" = 020000005553 ] \
    || [ "$(od -An -tx1 -j 132 -N 6 "$1" | tr -d ' ')" = 02000000554c ] \
    || return 1
  echo $((144 + $(u32 "$1" 140)))
}
# same_dataset SENT STORED : dataset bytes equal
same_dataset() {
  a=$(dataset_start "$1") && b=$(dataset_start "$2") || return 1
  tail -c +$((a + 1)) "$1" >"$T/a.bin" && tail -c +$((b + 1)) "$2" >"$T/b.bin"
  cmp -s "$T/a.bin" "$T/b.bin"
}

# same_inflated SENT STORED : deflated datasets inflate to the same bytes
same_inflated() {
  a=$(dataset_start "$1") && b=$(dataset_start "$2") || return 1
  "$PY" -c 'import sys, zlib
def inflate(p, o):
    return zlib.decompress(open(p, "rb").read()[o:], -15)
sys.exit(inflate(sys.argv[1], int(sys.argv[2])) !=
         inflate(sys.argv[3], int(sys.argv[4])))' "$1" "$a" "$2" "$b"
}

# ---- storescu association profile: one context per (SOP class, TS) -----
# storescu 3.6.7 proposes only its -x options' transfer syntaxes; with a
# profile listing each sample's own pair, every file goes in its native
# transfer syntax (no conversion).  HTJ2K is left to rawscu.py.
cfg=$T/storescu.cfg
: >"$T/pairs"
: >"$T/sent"
: >"$T/htj2k"
: >"$T/raw"
for f in "$SAMPLES"/*.dcm; do
  ts=$(meta "$f" 0002,0010)
  cls=$(meta "$f" 0002,0002)
  case $ts in
  1.2.840.10008.1.2.4.20[123])
    echo "$f" >>"$T/htj2k"
    echo "$f" >>"$T/raw"
    ;;
  *) echo "$f" >>"$T/sent"; echo "$cls $ts" >>"$T/pairs" ;;
  esac
done
{
  echo "[[TransferSyntaxes]]"
  n=0
  for ts in $(cut -d' ' -f2 "$T/pairs" | sort -u); do
    n=$((n + 1)); printf '[TS%d]\nTransferSyntax1 = %s\n' $n "$ts"
  done
  echo "[[PresentationContexts]]"
  echo "[Samples]"
  n=0
  sort -u "$T/pairs" | while read -r cls ts; do
    n=$((n + 1))
    k=$(cut -d' ' -f2 "$T/pairs" | sort -u | grep -n -x "$ts" | cut -d: -f1)
    printf 'PresentationContext%d = %s\\TS%d\n' $n "$cls" "$k"
  done
  printf '[[Profiles]]\n[Samples]\nPresentationContexts = Samples\n'
} >"$cfg"

# ---- 1. echo, every sample by storescu, byte-identical datasets --------
start main
echoscu -aec DICOMQC 127.0.0.1 "$PORT" >"$T/out" 2>&1
check "echoscu succeeds" $?
logged main 'event=assoc_accepted calling_aet=ECHOSCU'
check "association logged" $?
# shellcheck disable=SC2046
storescu -aec DICOMQC -xf "$cfg" Samples 127.0.0.1 "$PORT" \
  $(cat "$T/sent") >"$T/out" 2>&1
rc=$?
check "storescu sends $(wc -l <"$T/sent") samples (exit $rc)" $rc
grep -q "Converting transfer syntax" "$T/out"
[ $? != 0 ]; check "storescu converted no file" $?
[ $rc = 0 ] || cat "$T/out"
while read -r f; do
  u=$(uid "$f")
  got=$T/main/out/$u.dcm
  if [ ! -f "$got" ]; then bad "$(basename "$f"): not stored"; continue; fi
  if [ "$(meta "$f" 0002,0010)" = 1.2.840.10008.1.2.1.99 ]; then
    # storescu inflates and deflates again: compare the inflated bytes
    # here, the bytes themselves after rawscu.py below.
    [ -z "$PY" ] || { same_inflated "$f" "$got"
      check "$(basename "$f"): inflated dataset identical" $?; }
    echo "$f" >>"$T/raw"
    continue
  fi
  same_dataset "$f" "$got"
  check "$(basename "$f"): dataset byte-identical" $?
  [ "$(meta "$got" 0002,0010)" = "$(meta "$f" 0002,0010)" ]
  check "$(basename "$f"): meta transfer syntax $(meta "$f" 0002,0010)" $?
done <"$T/sent"
[ "$(stat -c %a "$T/main/out/$(uid "$(head -n 1 "$T/sent")").dcm")" = 600 ]
check "received file has mode 0600" $?

# ---- 2. HTJ2K (and deflated, bytes as they are) by rawscu.py -----------
if [ -n "$PY" ] && [ -s "$T/htj2k" ]; then
  # storescu 3.6.7 cannot: show it, then send with rawscu.py
  f=$(head -n 1 "$T/htj2k")
  storescu -aec DICOMQC 127.0.0.1 "$PORT" "$f" >"$T/out" 2>&1
  grep -q "unable to convert" "$T/out"
  check "storescu 3.6.7 cannot send HTJ2K (known limit)" $?
  # shellcheck disable=SC2046
  "$PY" "$HERE/rawscu.py" 127.0.0.1 "$PORT" RAWSCU DICOMQC \
    $(cat "$T/raw") >"$T/out" 2>&1
  check "rawscu.py sends $(wc -l <"$T/raw") HTJ2K/deflated samples" $?
  while read -r f; do
    got=$T/main/out/$(uid "$f").dcm
    same_dataset "$f" "$got" && \
      [ "$(meta "$got" 0002,0010)" = "$(meta "$f" 0002,0010)" ]
    check "$(basename "$f"): $(meta "$f" 0002,0010) stored byte-identical" $?
  done <"$T/raw"
else
  echo "SKIP HTJ2K: python3 or HTJ2K samples missing"
fi
echoscu -aec WRONG 127.0.0.1 "$PORT" >"$T/out" 2>&1
[ $? != 0 ]; check "wrong called AE is refused" $?
logged main \
  'event=assoc_rejected .*called_aet=WRONG.*reason=called_aet_not_recognized'
check "called AE refusal logged with reason" $?
stop

# ---- 3. allowlist --------------------------------------------------------
start allow --allow 'ECHOSCU,FAR@192.0.2.1,NEAR@127.0.0.1'
echoscu -aec DICOMQC 127.0.0.1 "$PORT" >"$T/out" 2>&1
check "allowed calling AE accepted" $?
echoscu -aet OTHER -aec DICOMQC 127.0.0.1 "$PORT" >"$T/out" 2>&1
[ $? != 0 ]; check "unknown calling AE refused" $?
logged allow \
  'event=assoc_rejected calling_aet=OTHER .*reason=calling_aet_not_allowed'
check "refusal logged: calling_aet_not_allowed" $?
echoscu -aet FAR -aec DICOMQC 127.0.0.1 "$PORT" >"$T/out" 2>&1
[ $? != 0 ]; check "allowed AE from another host refused" $?
logged allow 'calling_aet=FAR .*reason=calling_host_not_allowed'
check "refusal logged: calling_host_not_allowed" $?
echoscu -aet NEAR -aec DICOMQC 127.0.0.1 "$PORT" >"$T/out" 2>&1
check "AE@127.0.0.1 accepted" $?
stop

# ---- 4. 8 concurrent associations ---------------------------------------
start conc --max-assoc 8
i=1
while [ $i -le 8 ]; do
  mkdir -p "$T/c$i"
  # shellcheck disable=SC2046
  (storescu -aet "SCU$i" -aec DICOMQC -xf "$cfg" Samples 127.0.0.1 \
    "$PORT" $(cat "$T/sent") >"$T/c$i/out" 2>&1; echo $? >"$T/c$i/rc") &
  i=$((i + 1))
done
wait_all=0
i=1
while [ $i -le 8 ]; do
  while [ ! -f "$T/c$i/rc" ] && [ $wait_all -lt 600 ]; do
    sleep 0.1; wait_all=$((wait_all + 1))
  done
  [ "$(cat "$T/c$i/rc" 2>/dev/null)" = 0 ]
  check "concurrent storescu $i succeeds" $?
  i=$((i + 1))
done
n=$(grep -c "event=assoc_end .*stored=$(wc -l <"$T/sent") failed=0" \
  "$T/conc/log")
[ "$n" = 8 ]; check "8 associations each stored every sample ($n)" $?
stop

# ---- 5. a failure status from the store callback ------------------------
start failing --fail-status 0xA700
f=$(head -n 1 "$T/sent")
storescu -v -aec DICOMQC -xf "$cfg" Samples 127.0.0.1 "$PORT" "$f" \
  >"$T/out" 2>&1
rc=$?
[ $rc != 0 ] && grep -q "Refused: OutOfResources" "$T/out"
check "storescu reports the 0xA700 failure (exit $rc)" $?
n=$(find "$T/failing/out" -type f | wc -l)
[ "$n" = 0 ]; check "nothing left in the directory ($n files)" $?
logged failing 'event=store_failed .*status=0xA700'
check "store failure logged" $?
# ---- 6. a busy port is reported before run, naming the port -------------
"$SCPD" --port "$PORT" --aet DICOMQC --dir "$T/failing/out" \
  >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q "port $PORT" "$T/err"
check "busy port: exit 1 and the message names port $PORT" $?
stop

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
