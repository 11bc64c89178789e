#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# test_tls.sh - DICOM TLS on dicom/'s listener (issue 7, item 5), as a
# modality configured for TLS meets it: a throwaway CA, an RSA 2048 server
# certificate, a CA-signed EC P-256 client certificate and a self-signed
# one, all made here with the openssl command line.  Through
# tests/tools/scpd on 127.0.0.1: `echoscu +tls` succeeds; `storescu +tls`
# stores every sample with a byte-identical dataset; a plain echoscu on
# the TLS port fails, is logged, and the listener answers a TLS echo
# after it; the three BCP 195 profiles, and the non-downgrading ones
# refusing a client limited to the retired AES profile; --tls-verify 2
# (require): no client certificate and a self-signed one are refused
# (logged with the reason), the CA-signed one is accepted; 1 (optional):
# no certificate accepted, a self-signed one refused; a silent peer in
# the handshake does not delay a stop; a wrong key, a missing file, a bad
# profile stop the program at start with a message naming it.  Through
# `dicomqc serve` on port 0: the TLS flags, the `tls=` key of the
# listening line, a sample stored by storescu +tls and found in the
# index and the archive, a silent peer cut at the ACSE timeout, usage
# errors for incomplete TLS flags.
#
# Usage: test_tls.sh SCPD DICOMQC SAMPLES_DIR
# Prints "N passed, N failed"; exit 1 on any failure, 77 (skip) when
# openssl or DCMTK's tools (with TLS) are missing.
set -u
SCPD=$1 BIN=$2 SAMPLES=$3
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in openssl echoscu storescu dcmdump od cmp; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool missing"; exit 77
  fi
done
if ! echoscu --help 2>&1 | grep -q -- '--enable-tls'; then
  echo "SKIP: DCMTK's echoscu was built without TLS (no +tls option)"
  exit 77
fi
PY=$(command -v python3 || true)
T=$(mktemp -d)
PIDS=""
cleanup() {
  for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
. "$HERE/lib.sh"

# ---- certificates ----------------------------------------------------
cat >"$T/x509.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
EOF
# cert NAME SUBJECT EXT KEYOPTS... : NAME.key and NAME.pem, signed by the CA
cert() {
  n=$1 subj=$2 ext=$3; shift 3
  openssl req -new -config "$T/x509.cnf" -nodes "$@" -keyout "$T/$n.key" \
    -subj "$subj" -out "$T/$n.csr" 2>>"$T/openssl.log" &&
    openssl x509 -req -in "$T/$n.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
      -set_serial "$(date +%s%N | cut -c 1-15)" -days 2 -sha256 \
      -extfile "$T/x509.cnf" -extensions "$ext" -out "$T/$n.pem" \
      2>>"$T/openssl.log"
}
openssl req -x509 -config "$T/x509.cnf" -extensions ca -nodes \
  -newkey rsa:2048 -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 -sha256 \
  -subj '/CN=dicomqc test CA' 2>>"$T/openssl.log" &&
  cert srv /CN=localhost server -newkey rsa:2048 &&
  cert cli /CN=modality1 client -newkey ec -pkeyopt ec_paramgen_curve:P-256 &&
  openssl req -x509 -config "$T/x509.cnf" -extensions client -nodes \
    -newkey rsa:2048 -keyout "$T/self.key" -out "$T/self.pem" -days 2 \
    -sha256 -subj '/CN=intruder' 2>>"$T/openssl.log"
if [ $? != 0 ]; then
  cat "$T/openssl.log"; echo "FAIL certificates"; exit 1
fi
C=$T # certificate folder
TLS="+tls $C/cli.key $C/cli.pem +cf $C/ca.pem" # a trusted client

# start NAME ARGS... : scpd with TLS (srv.pem) on a free port, output in
# $T/NAME; sets PORT PID
start() {
  name=$1; shift
  mkdir -p "$T/$name/out"
  "$SCPD" --port 0 --aet DICOMQC --dir "$T/$name/out" \
    --tls-cert "$C/srv.pem" --tls-key "$C/srv.key" "$@" \
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
# stop : SIGTERM, expect exit 0
stop() {
  kill -TERM "$PID"; wait "$PID"; rc=$?
  check "$name: SIGTERM ends scpd with exit 0 (got $rc)" "$rc"
  [ "$rc" = 0 ] || tail -n 40 "$T/$name/log" # why, in ctest's log
}
logged() { # logged NAME PATTERN: within 5 s (the server may log a
  # refusal just after the client has given up)
  n=0
  while [ $n -lt 50 ]; do
    grep -q "$2" "$T/$1/log" && return 0
    sleep 0.1; n=$((n + 1))
  done
  return 1
}
# echo_ok MSG ARGS... / echo_refused MSG ARGS... : echoscu to $PORT
echo_ok() {
  msg=$1; shift
  # shellcheck disable=SC2086
  echoscu -aec DICOMQC "$@" 127.0.0.1 "$PORT" >"$T/out" 2>&1
  rc=$?; [ $rc = 0 ] || cat "$T/out"
  check "$msg" $rc
}
echo_refused() {
  msg=$1; shift
  # shellcheck disable=SC2086
  echoscu -aec DICOMQC "$@" 127.0.0.1 "$PORT" >"$T/out" 2>&1
  [ $? != 0 ]; check "$msg" $?
}
# silent_peer SECONDS : a TCP connection to $PORT that sends nothing
silent_peer() {
  "$PY" -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(float(sys.argv[2]))' "$PORT" "$1" &
}
make_profile "$SAMPLES"

# ---- 1. no client certificates asked (default profile bcp195-nd) ------
start plain
# shellcheck disable=SC2086
echo_ok "echoscu +tls succeeds" $TLS
logged plain 'event=tls_accepted peer=127.0.0.1 protocol=TLSv1'
check "TLS handshake logged (protocol, cipher)" $?
logged plain 'event=assoc_accepted calling_aet=ECHOSCU'
check "association over TLS logged" $?
# shellcheck disable=SC2046,SC2086
storescu -aec DICOMQC $TLS -xf "$T/storescu.cfg" Samples 127.0.0.1 \
  "$PORT" $(cat "$T/sent") >"$T/out" 2>&1
rc=$?
[ $rc = 0 ] || cat "$T/out"
check "storescu +tls sends $(wc -l <"$T/sent") samples (exit $rc)" $rc
n=0
while read -r f; do
  got=$T/plain/out/$(uid "$f").dcm
  [ -f "$got" ] || continue
  if [ "$(meta "$f" 0002,0010)" = 1.2.840.10008.1.2.1.99 ]; then
    # storescu inflates and deflates again (see test_scp.sh)
    { [ -z "$PY" ] || same_inflated "$f" "$got"; } && n=$((n + 1))
  else
    same_dataset "$f" "$got" && n=$((n + 1))
  fi
done <"$T/sent"
[ "$n" = "$(wc -l <"$T/sent")" ]
check "every dataset received over TLS byte-identical ($n)" $?
echo_refused "plain echoscu on the TLS port fails"
logged plain 'event=tls_failed peer=127.0.0.1 reason=not_tls'
check "plain client logged: tls_failed reason=not_tls" $?
# shellcheck disable=SC2086
echo_ok "TLS echo still answered after the plain client" $TLS
# shellcheck disable=SC2086
echo_ok "a client without a certificate is fine when none is asked" \
  +tla +cf "$C/ca.pem"
echo_refused "a client that does not trust our CA refuses us" \
  +tls "$C/cli.key" "$C/cli.pem"
stop

# ---- 2. the BCP 195 profiles -----------------------------------------
for prof in bcp195 bcp195-nd bcp195-ex; do
  start "prof_$prof" --tls-profile "$prof"
  # shellcheck disable=SC2086
  echo_ok "$prof: a BCP 195 non-downgrading client is served" $TLS +py
  # shellcheck disable=SC2086
  echo_ok "$prof: an extended BCP 195 client is served" $TLS +pz
  if [ "$prof" = bcp195 ]; then
    # shellcheck disable=SC2086
    echo_ok "$prof: a client of the retired AES profile is served" $TLS +pa
  else
    # shellcheck disable=SC2086
    echo_refused "$prof: a client of the retired AES profile is refused" \
      $TLS +pa
    logged "prof_$prof" 'event=tls_failed .*reason=no_shared_cipher'
    check "$prof: the refusal logged: reason=no_shared_cipher" $?
  fi
  stop
done
[ "$(grep -c 'protocol=TLSv1.2' "$T/prof_bcp195-ex/log")" = 2 ]
check "bcp195-ex negotiates TLS 1.2 only" $?

# ---- 3. client certificates required / optional ----------------------
start req --tls-ca "$C/ca.pem" --tls-verify 2
echo_refused "require: a client without a certificate is refused" \
  +tla +cf "$C/ca.pem"
logged req 'event=tls_failed peer=127.0.0.1 reason=no_client_certificate'
check "require: logged reason=no_client_certificate" $?
# shellcheck disable=SC2086
echo_ok "require: a client with a CA-signed certificate is accepted" $TLS
logged req 'event=tls_accepted .*client_cert="/CN=modality1"'
check "require: the client certificate's subject logged" $?
echo_refused "require: a self-signed client certificate is refused" \
  +tls "$C/self.key" "$C/self.pem" +cf "$C/ca.pem"
logged req 'reason=client_certificate_rejected error="self-signed certificate"'
check "require: logged reason=client_certificate_rejected" $?
# shellcheck disable=SC2086
echo_ok "require: the listener still serves after the refusals" $TLS
stop
start opt --tls-ca "$C/ca.pem" --tls-verify 1
echo_ok "optional: a client without a certificate is accepted" \
  +tla +cf "$C/ca.pem"
echo_refused "optional: a self-signed client certificate is refused" \
  +tls "$C/self.key" "$C/self.pem" +cf "$C/ca.pem"
# shellcheck disable=SC2086
echo_ok "optional: a CA-signed certificate is accepted" $TLS
if [ -n "$PY" ]; then
  silent_peer 20
  SIL=$!
  sleep 0.5
  t0=$(date +%s)
  stop
  [ $(($(date +%s) - t0)) -le 3 ]
  check "a silent peer in the handshake does not hold up the stop" $?
  logged opt 'event=tls_failed .*reason=stopping'
  check "the cut handshake logged: reason=stopping" $?
  kill "$SIL" 2>/dev/null
else
  stop
fi

# ---- 4. errors at start ----------------------------------------------
# scpd_err NAME PATTERN ARGS... : scpd exits 1 and stderr matches PATTERN
scpd_err() {
  msg=$1 pat=$2; shift 2
  "$SCPD" --port 0 --aet DICOMQC --dir "$T" "$@" >"$T/out" 2>"$T/err"
  rc=$?
  [ $rc = 1 ] && grep -q "$pat" "$T/err"
  check "$msg (exit $rc: $(cat "$T/err"))" $?
}
scpd_err "wrong key for the certificate" "cli.key: does not match .*srv.pem" \
  --tls-cert "$C/srv.pem" --tls-key "$C/cli.key"
scpd_err "missing key file" "missing.key: cannot read: No such file" \
  --tls-cert "$C/srv.pem" --tls-key "$C/missing.key"
scpd_err "missing CA file" "nope.pem: cannot read" --tls-cert "$C/srv.pem" \
  --tls-key "$C/srv.key" --tls-ca "$C/nope.pem" --tls-verify 2
scpd_err "a key given as certificate" "srv.key: not a usable PEM cert" \
  --tls-cert "$C/srv.key" --tls-key "$C/srv.key"
openssl pkey -in "$C/srv.key" -aes256 -passout pass:x -out "$C/enc.key" \
  2>>"$T/openssl.log"
scpd_err "an encrypted key fails (no prompt)" "enc.key: not a usable" \
  --tls-cert "$C/srv.pem" --tls-key "$C/enc.key"
scpd_err "an unknown profile" "profile 'tls13'" --tls-cert "$C/srv.pem" \
  --tls-key "$C/srv.key" --tls-profile tls13
scpd_err "verification without a CA file" "needs a CA file" \
  --tls-cert "$C/srv.pem" --tls-key "$C/srv.key" --tls-verify 2

# ---- 5. dicomqc serve with TLS ---------------------------------------
if command -v sqlite3 >/dev/null 2>&1; then
  D=$T/node
  "$BIN" serve --port 0 --data-dir "$D" --http off --workers 0 \
    --acse-timeout 2 --tls-cert "$C/srv.pem" --tls-key "$C/srv.key" \
    --tls-ca "$C/ca.pem" 2>"$T/node.log" &
  NPID=$!
  PIDS="$PIDS $NPID"
  i=0
  while [ $i -lt 100 ] && ! grep -q 'event=listening' "$T/node.log"; do
    sleep 0.1; i=$((i + 1))
  done
  PORT=$(sed -n 's/.*event=listening port=\([0-9]*\).*/\1/p' "$T/node.log")
  grep -q 'event=listening .* tls=on tls_profile=bcp195-nd tls_verify=require' \
    "$T/node.log"
  check "serve: listening line says tls=on, bcp195-nd, require (--tls-ca)" $?
  f=$(head -n 1 "$T/sent")
  u=$(uid "$f")
  # shellcheck disable=SC2086
  storescu -aec DICOMQC $TLS -xf "$T/storescu.cfg" Samples 127.0.0.1 \
    "$PORT" "$f" >"$T/out" 2>&1
  check "serve: storescu +tls stores $(basename "$f")" $?
  [ "$(sqlite3 "$D/dicomqc.db" \
    "SELECT count(*) FROM instances WHERE sop_instance_uid='$u'")" = 1 ]
  check "serve: the instance is in the index" $?
  got=$(find "$D/archive" -name "$u.dcm")
  [ -n "$got" ] && same_dataset "$f" "$got"
  check "serve: archived dataset byte-identical" $?
  echo_refused "serve: a client without a certificate is refused" \
    +tla +cf "$C/ca.pem"
  n=0
  until grep -q 'event=tls_failed .*reason=no_client_certificate' \
      "$T/node.log" || [ $n -ge 50 ]; do
    sleep 0.1; n=$((n + 1))
  done
  grep -q 'event=tls_failed .*reason=no_client_certificate' "$T/node.log"
  check "serve: the refusal logged" $?
  if [ -n "$PY" ]; then
    silent_peer 6
    sleep 0.2
    # shellcheck disable=SC2086
    echo_ok "serve: after a silent peer's 2 s ACSE timeout, TLS echo works" \
      $TLS
    grep -q 'event=tls_failed .*reason=handshake_timeout' "$T/node.log"
    check "serve: the silent peer logged: reason=handshake_timeout" $?
  fi
  kill -TERM "$NPID"; wait "$NPID"; rc=$?
  check "serve: SIGTERM ends the node with exit 0 (got $rc)" "$rc"
  "$BIN" serve --port 0 --data-dir "$T/node2" --http off --workers 0 \
    --tls-cert "$C/srv.pem" --tls-key "$C/nokey.pem" >"$T/out" 2>"$T/err"
  rc=$?
  [ $rc != 0 ] && grep -q 'nokey.pem: cannot read' "$T/err"
  check "serve: a missing key file stops the start, named (exit $rc)" $?
  "$BIN" serve --port 0 --data-dir "$T/node2" --http off \
    --tls-cert "$C/srv.pem" >"$T/out" 2>"$T/err"
  rc=$?
  [ $rc = 2 ] && grep -q 'tls-key' "$T/err"
  check "serve: --tls-cert without --tls-key is a usage error" $?
  "$BIN" serve --port 0 --data-dir "$T/node2" --http off \
    --tls-cert "$C/srv.pem" --tls-key "$C/srv.key" --tls-verify require \
    >"$T/out" 2>"$T/err"
  rc=$?
  [ $rc = 2 ] && grep -q 'needs --tls-ca' "$T/err"
  check "serve: --tls-verify require without --tls-ca is a usage error" $?
  "$BIN" serve --port 0 --data-dir "$T/node2" --http off \
    --tls-cert "$C/srv.pem" --tls-key "$C/srv.key" --tls-profile tls13 \
    >"$T/out" 2>"$T/err"
  rc=$?
  [ $rc = 2 ] && grep -q "tls-profile: 'tls13'" "$T/err"
  check "serve: an unknown --tls-profile is a usage error" $?
else
  echo "SKIP dicomqc serve part: sqlite3 missing"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
