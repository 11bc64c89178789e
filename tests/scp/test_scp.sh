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
. "$HERE/lib.sh"

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
make_profile "$SAMPLES"
cfg=$T/storescu.cfg

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
