# SPDX-License-Identifier: BSD-3-Clause
#
# lib.sh - shell helpers shared by the CLI tests (test_cli.sh,
# test_compare.sh).  The caller sets T (a temp folder) and pass=0 fail=0
# before using them.

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# expect NAME WANT_RC CMD... : run, compare the exit code
expect() {
  name=$1 want=$2; shift 2
  "$@" >"$T/out" 2>"$T/err"; rc=$?
  if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"
  else bad "$name: exit $rc, expected $want"; cat "$T/err"; fi
}
# same_text NAME FILE TEXT : FILE's content must equal TEXT exactly
same_text() {
  printf '%s\n' "$3" >"$T/want"
  if cmp -s "$2" "$T/want"; then ok "$1"
  else bad "$1"; echo "--- got"; cat "$2"; echo "--- expected"; cat "$T/want"
  fi
}
