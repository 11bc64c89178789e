# SPDX-License-Identifier: BSD-3-Clause
#
# lib.sh - shell helpers shared by the network tests (tests/scp,
# tests/node): pass/fail counting, File Meta reading, dataset comparison
# from the end of the File Meta group, and the storescu association
# profile that sends every sample in its own transfer syntax.
# Sourced; expects $T (a scratch folder) and, for same_inflated, $PY.

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # check NAME STATUS
  if [ "$2" = 0 ]; then ok "$1"; else bad "$1"; fi
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

# make_profile SAMPLES_DIR : writes $T/storescu.cfg (profile "Samples":
# one presentation context per (SOP class, transfer syntax) of the
# samples, so storescu 3.6.7, which proposes only its -x options' syntaxes,
# sends each file in its own syntax), $T/sent (files storescu sends),
# $T/htj2k and $T/raw (HTJ2K files, which storescu 3.6.7 cannot send: for
# rawscu.py).
make_profile() {
  : >"$T/pairs"
  : >"$T/sent"
  : >"$T/htj2k"
  : >"$T/raw"
  for f in "$1"/*.dcm; do
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
  } >"$T/storescu.cfg"
}
