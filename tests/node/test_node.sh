#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# test_node.sh - `dicomqc serve` as a PACS administrator and a modality
# meet it, real processes on 127.0.0.1: the node starts from an INI file
# (flags win), answers C-ECHO, takes every sample in its own transfer
# syntax (storescu; HTJ2K by rawscu.py) and archives it byte-identical
# under <archive>/<Study>/<Series>/<SOP>.dcm with private modes; every
# instance gets its index row, metrics and verdict; studies complete after
# the idle time and `studies --json` / `show --json` report them; an
# unknown calling AE is refused; 8 concurrent associations all succeed;
# a node stopped with a full queue (--workers 0), with one row left
# 'claimed' as by a crash, scores everything after a restart, once; a
# score that cannot be recorded is tried 3 times, left claimed, and scored
# once after a restart.
#
# Usage: test_node.sh DICOMQC SOURCE_DIR
# Prints "N passed, N failed"; exit 1 on any failure, 77 (skip) when
# DCMTK's tools or sqlite3 are missing.
set -u
BIN=$1 SRC=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SAMPLES=$SRC/samples/dicom
for tool in echoscu storescu dcmdump od cmp sqlite3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool missing"; exit 77; }
done
PY=$(command -v python3 || true)
T=$(mktemp -d)
PID=""
cleanup() {
  [ -z "$PID" ] || kill -9 "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
. "$HERE/../scp/lib.sh"
make_profile "$SAMPLES"
NSENT=$(wc -l <"$T/sent")
NALL=$(ls "$SAMPLES"/*.dcm | wc -l)

# start LOG ARGS... : the node on a free port; sets PORT and PID
start() {
  log=$1; shift
  "$BIN" serve --port 0 "$@" 2>"$T/$log" &
  PID=$!
  i=0
  while [ $i -lt 100 ] && ! grep -q 'event=listening' "$T/$log"; do
    sleep 0.1; i=$((i + 1))
  done
  PORT=$(sed -n 's/.*event=listening port=\([0-9]*\).*/\1/p' "$T/$log")
  [ -n "$PORT" ] || { bad "node did not start"; cat "$T/$log"; exit 1; }
}
# stop : SIGTERM, expect exit 0
stop() {
  kill -TERM "$PID"; wait "$PID"; rc=$?; PID=""
  check "SIGTERM ends the node with exit 0 (got $rc)" "$rc"
}
# db SQL : one value from the node's database
db() {
  sqlite3 "$T/data/dicomqc.db" "$1"
}
# drained N : waits (30 s at most) until N instances are scored
drained() {
  i=0
  while [ $i -lt 300 ]; do
    [ "$(db "SELECT count(*) FROM queue WHERE state='done'")" -ge "$1" ] \
      && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
# send : every sample, storescu in its own syntax, HTJ2K by rawscu.py
send() {
  # shellcheck disable=SC2046
  storescu -aec DICOMQC -xf "$T/storescu.cfg" Samples 127.0.0.1 "$PORT" \
    $(cat "$T/sent") >"$T/out" 2>&1 || return 1
  [ -z "$PY" ] || [ ! -s "$T/htj2k" ] || \
    "$PY" "$HERE/../scp/rawscu.py" 127.0.0.1 "$PORT" RAWSCU DICOMQC \
      $(cat "$T/htj2k") >"$T/out" 2>&1
}

# ---- 1. configuration file, flags win --------------------------------
cat >"$T/node.ini" <<EOF
[node]
ae_title = FROMFILE
data_dir = $T/data
study_idle = 1
EOF
start log1 --config "$T/node.ini" --aet DICOMQC --allow STORESCU,ECHOSCU,RAWSCU
grep -q "aet=DICOMQC archive=$T/data/archive db=$T/data/dicomqc.db" "$T/log1"
check "INI file read, --aet overrides it" $?

# ---- 2. echo, every sample, byte-identical archive -------------------
echoscu -aec DICOMQC 127.0.0.1 "$PORT" >"$T/out" 2>&1
check "echoscu succeeds" $?
send
check "storescu and rawscu send all $NALL samples" $?
n=0
while read -r f; do
  st=$(meta "$f" 0002,0010)
  u=$(uid "$f")
  got=$(find "$T/data/archive" -name "$u.dcm")
  [ -n "$got" ] || { bad "$(basename "$f"): not archived"; continue; }
  study=$(dcmdump -q +P 0020,000d "$f" | sed -n 's/.*\[\(.*\)\].*/\1/p')
  series=$(dcmdump -q +P 0020,000e "$f" | sed -n 's/.*\[\(.*\)\].*/\1/p')
  [ "$got" = "$T/data/archive/$study/$series/$u.dcm" ] || \
    bad "$(basename "$f"): archived at $got"
  if [ "$st" = 1.2.840.10008.1.2.1.99 ]; then
    same_inflated "$f" "$got" 2>/dev/null || [ -z "$PY" ]
  else
    same_dataset "$f" "$got"
  fi && n=$((n + 1))
done <"$T/sent"
[ -z "$PY" ] || while read -r f; do
  same_dataset "$f" "$(find "$T/data/archive" -name "$(uid "$f").dcm")" \
    && n=$((n + 1))
done <"$T/htj2k"
[ "$n" = "$NALL" ] || [ -z "$PY" ]
check "archived datasets identical to the sent ones ($n of $NALL)" $?
f=$(find "$T/data/archive" -name '*.dcm' | head -n 1)
[ "$(stat -c %a "$f")" = 600 ] && \
  [ "$(stat -c %a "$(dirname "$f")")" = 700 ] && \
  [ "$(stat -c %a "$T/data/dicomqc.db")" = 600 ]
check "archive files 0600, folders 0700, database 0600" $?
[ -z "$(ls -A "$T/data/archive/.tmp")" ]
check "no temp file left in archive/.tmp" $?

# ---- 3. index, scores, study verdicts --------------------------------
drained "$NALL"
check "every instance scored (queue drained)" $?
[ "$(db 'SELECT count(*) FROM instances')" = "$NALL" ]
check "one instance row per sample" $?
[ "$(db "SELECT count(DISTINCT instance_id) FROM metrics
         WHERE name='noise_sigma'")" = "$NALL" ]
check "noise_sigma recorded for every instance" $?
[ "$(db "SELECT count(*) FROM verdicts v JOIN instances i ON i.id =
         v.instance_id WHERE v.verdict IN ('pass','warn','retake') AND
         v.quality BETWEEN 0 AND 100 AND i.modality IN ('CR','DX','MR','OP')
         AND json_valid(v.reasons)")" = "$NALL" ]
check "a verdict and quality for every instance (every sample is CR/DX/MR/OP)" $?
nretake=$(db "SELECT count(*) FROM verdicts WHERE verdict='retake'")
[ "$nretake" -gt 0 ] && \
  [ "$(db "SELECT count(*) FROM verdicts WHERE verdict='retake' AND
           json_array_length(reasons) > 0")" = "$nretake" ] && \
  [ "$(db "SELECT count(*) FROM alerts WHERE kind='image'")" = "$nretake" ]
check "$nretake retake verdicts, each with reasons and one image alert" $?
grep -q 'event=listening .*profiles=default,fundus,mr,xray' "$T/log1" && \
  [ "$(grep -c 'event=score id=[0-9]* profile=\(xray\|mr\|fundus\) verdict=\(pass\|warn\|retake\) quality=[0-9.]*' \
       "$T/log1")" = "$NALL" ] && \
  [ "$(grep -c 'event=alert kind=image id=[0-9]* verdict=retake reason="[A-Z]' \
       "$T/log1")" = "$nretake" ]
check "log: profiles loaded, each score with profile, verdict and quality, each alert with its reason" $?
[ "$(db "SELECT count(*) FROM instances WHERE calling_aet='STORESCU'")" \
  = "$NSENT" ]
check "calling AE title recorded" $?
i=0
while [ $i -lt 50 ] && \
  [ "$(db 'SELECT count(*) FROM studies WHERE complete=0')" != 0 ]; do
  sleep 0.1; i=$((i + 1))
done
"$BIN" studies --data-dir "$T/data" --json >"$T/studies" 2>"$T/err"
check "studies --json exits 0" $?
nstudy=$(db 'SELECT count(DISTINCT study_instance_uid) FROM instances')
[ "$(wc -l <"$T/studies")" = "$nstudy" ] && \
  [ "$(grep -c '"complete":true' "$T/studies")" = "$nstudy" ] && \
  [ "$(db "SELECT count(*) FROM studies s WHERE s.verdict = (SELECT CASE
           max(CASE v.verdict WHEN 'retake' THEN 3 WHEN 'warn' THEN 2
           WHEN 'pass' THEN 1 ELSE 0 END) WHEN 3 THEN 'retake'
           WHEN 2 THEN 'warn' WHEN 1 THEN 'pass' ELSE 'unscored' END
           FROM instances i JOIN verdicts v ON v.instance_id = i.id
           WHERE i.study_instance_uid = s.study_instance_uid)")" = "$nstudy" ]
check "studies --json: $nstudy studies, complete, each the worst of its images (every sample is its own series; MR series of 3+ by the median: test_store_studies)" $?
grep -q '"study_instance_uid":"[0-9.]*","modality":"[A-Z]*","instances":[0-9]*,"scored":[0-9]*,"verdict":"[a-z]*","reasons":\[[^]]*\],"complete":true}' \
  "$T/studies"
check "studies --json keys in contract order" $?
grep -q 'event=study_verdict' "$T/log1"
check "study verdict logged" $?
s=$(db 'SELECT study_instance_uid FROM instances LIMIT 1')
"$BIN" show --data-dir "$T/data" --json "$s" >"$T/show" 2>"$T/err" && \
  grep -q '"images":\[{"sop_instance_uid".*"metrics":{[^}]*"noise_sigma":' "$T/show"
check "show --json lists the instances with metrics" $?
# The text form names each image's quality, and the reasons of a retake.
s=$(db "SELECT i.study_instance_uid FROM instances i JOIN verdicts v ON
        v.instance_id = i.id WHERE v.verdict = 'retake' LIMIT 1")
"$BIN" show --data-dir "$T/data" "$s" >"$T/out" 2>"$T/err" && \
  grep -q '^  quality [0-9]' "$T/out" && grep -q '^  reasons \["[A-Z]' "$T/out"
check "show prints quality and the reasons of a retake" $?
"$BIN" show --data-dir "$T/data" 1.2.3.4 >"$T/out" 2>"$T/err"
[ $? = 1 ] && grep -q "study 1.2.3.4: not in" "$T/err"
check "show of an unknown study: exit 1, named" $?

# ---- 4. refusals, concurrency ----------------------------------------
echoscu -aet STRANGER -aec DICOMQC 127.0.0.1 "$PORT" >"$T/out" 2>&1
[ $? != 0 ] && grep -q 'event=assoc_rejected.*STRANGER.*calling_aet_not_allowed' \
  "$T/log1"
check "unknown calling AE refused and logged" $?
pids=""
for k in 1 2 3 4 5 6 7 8; do
  # shellcheck disable=SC2046
  storescu -aec DICOMQC -xf "$T/storescu.cfg" Samples 127.0.0.1 "$PORT" \
    $(cat "$T/sent") >"$T/par$k" 2>&1 &
  pids="$pids $!"
done
okn=0
for p in $pids; do wait "$p" && okn=$((okn + 1)); done
[ "$okn" = 8 ]
check "8 concurrent associations all succeed ($okn)" $?
[ "$(db 'SELECT count(*) FROM instances')" = "$NALL" ]
check "re-sent identical instances: no second row" $?
[ "$(find "$T/data/archive" -name '*.dcm' | wc -l)" = "$NALL" ]
check "re-sent identical instances: no second copy" $?
grep -q 'outcome=identical_copy' "$T/log1"
check "identical copies logged as such" $?
# A dataset that is not DICOM (0xC000) and one whose SOP Instance UID is
# not the request's (0xA900): refused, nothing archived, reason logged.
if [ -n "$PY" ]; then
  f=$(head -n 1 "$T/sent")
  a=$(dataset_start "$f")
  head -c "$a" "$f" >"$T/junk.dcm"
  printf 'this is not a DICOM data set, only text pretending to be' \
    >>"$T/junk.dcm"
  "$PY" "$HERE/../scp/rawscu.py" 127.0.0.1 "$PORT" RAWSCU DICOMQC \
    "$T/junk.dcm" >"$T/out" 2>&1
  [ $? = 1 ] && grep -q 'event=store_failed status=0xC000' "$T/log1"
  check "garbage data set refused with 0xC000 and logged" $?
  # The File Meta's SOP Instance UID (what rawscu.py puts in the request)
  # with its last digit changed; the data set keeps the original.
  "$PY" -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"\x02\x00\x03\x00UI", 132)
n = d[i + 6] | d[i + 7] << 8
j = i + 8 + n - 1
while d[j] in b"\x00 ":
    j -= 1
d[j] = ord("1") if d[j] != ord("1") else ord("2")
open(sys.argv[2], "wb").write(d)' "$f" "$T/other.dcm"
  "$PY" "$HERE/../scp/rawscu.py" 127.0.0.1 "$PORT" RAWSCU DICOMQC \
    "$T/other.dcm" >"$T/out" 2>&1
  [ $? = 1 ] && grep -q 'event=store_failed status=0xA900' "$T/log1"
  check "data set of another SOP instance refused with 0xA900" $?
  [ "$(find "$T/data/archive" -name '*.dcm' | wc -l)" = "$NALL" ] && \
    [ -z "$(ls -A "$T/data/archive/.tmp")" ]
  check "refused data sets leave no file behind" $?
fi
stop

# ---- 5. a dead peer cannot hold a slot -------------------------------
# One slot; a peer that associates and then says nothing holds it until
# the DIMSE timeout (2 s) aborts it and, the peer not closing, the ACSE
# timeout (2 s) ends the wait for its close; then the slot is free again.
if [ -n "$PY" ]; then
  start logd --data-dir "$T/dead" --max-assoc 1 --dimse-timeout 2 \
    --acse-timeout 2
  "$PY" -c 'import socket, sys, time
sys.path.insert(0, sys.argv[1])
import rawscu
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
rawscu.associate(s, "DEADPEER", "DICOMQC",
                 {1: ("1.2.840.10008.1.1", "1.2.840.10008.1.2")})
time.sleep(8)' "$HERE/../scp" "$PORT" >"$T/dead.out" 2>&1 &
  dead=$!
  sleep 1
  echoscu -aec DICOMQC 127.0.0.1 "$PORT" >"$T/out" 2>&1
  [ $? != 0 ] && grep -q 'event=assoc_rejected.*too_many_associations' \
    "$T/logd"
  check "the slot held by a silent peer is not given to another" $?
  sleep 4
  echoscu -aec DICOMQC 127.0.0.1 "$PORT" >"$T/out" 2>&1
  check "the timeouts free it: the next association is served" $?
  grep -q 'event=assoc_end calling_aet=DEADPEER' "$T/logd"
  check "the silent peer's association end is logged" $?
  kill "$dead" 2>/dev/null; wait "$dead" 2>/dev/null
  stop
fi

# ---- 6. a full queue survives a stop and a crash ---------------------
rm -rf "$T/data"
start log2 --data-dir "$T/data" --workers 0
send
check "receive-only node (--workers 0) takes all samples" $?
stop
[ "$(db "SELECT count(*) FROM queue WHERE state='pending'")" = "$NALL" ]
check "all $NALL queued after the stop, none scored" $?
# As if a worker had died mid-image: one row claimed, never finished.
db "UPDATE queue SET state='claimed', attempts=1 WHERE instance_id=(SELECT
    min(instance_id) FROM queue)"
start log3 --data-dir "$T/data" --workers 2
drained "$NALL"
check "restart scores the whole queue, the claimed row included" $?
[ "$(db 'SELECT count(*) FROM verdicts')" = "$NALL" ] && \
  [ "$(db "SELECT count(*) FROM metrics WHERE name='noise_sigma'")" = "$NALL" ]
check "each instance scored once: $NALL verdicts, no duplicate metrics" $?
stop

# ---- 7. a score that cannot be recorded is not lost -------------------
# A trigger makes every verdict insert fail, as a full disk would: the
# worker tries three times, a second apart, then leaves the image claimed;
# after a restart without the fault it is scored, once.
rm -rf "$T/data"
start log4 --data-dir "$T/data" --workers 0
storescu -aec DICOMQC 127.0.0.1 "$PORT" "$SAMPLES/dx_chest_explicit_le.dcm" \
  >"$T/out" 2>&1
check "one image received" $?
stop
db "CREATE TABLE test_refuse(on_ INTEGER); INSERT INTO test_refuse VALUES(1);
    CREATE TRIGGER test_refuse_verdicts BEFORE INSERT ON verdicts
    WHEN (SELECT count(*) FROM test_refuse) > 0
    BEGIN SELECT RAISE(ABORT, 'verdict refused by test'); END;"
start log5 --data-dir "$T/data" --workers 1
i=0
while [ $i -lt 150 ] && ! grep -q 'event=score_given_up' "$T/log5"; do
  sleep 0.1; i=$((i + 1))
done
[ "$(grep -c 'event=score_failed .*attempt=[123] .*verdict refused by test' \
      "$T/log5")" = 3 ] && grep -q 'event=score_given_up id=1 attempts=3' \
  "$T/log5"
check "a failing record is tried 3 times, then given up with a log line" $?
[ "$(db "SELECT state FROM queue")" = claimed ] && \
  [ "$(db "SELECT count(*) FROM verdicts")" = 0 ] && \
  [ "$(db "SELECT count(*) FROM metrics")" = 0 ]
check "nothing of it is written; the image stays claimed" $?
stop
db "DELETE FROM test_refuse"
start log6 --data-dir "$T/data" --workers 1
drained 1
check "after a restart without the fault it is scored" $?
[ "$(db "SELECT count(*) FROM verdicts")" = 1 ] && \
  [ "$(db "SELECT count(*) FROM metrics WHERE name='noise_sigma'")" = 1 ]
check "once: one verdict, no duplicate metrics" $?
stop

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
