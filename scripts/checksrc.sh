#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# checksrc.sh - the mechanical rules of ../shared/STYLE.md, checked (after
# curl's checksrc): lines of at most 79 columns, none of curl's banned
# functions (atoi, strtol, sprintf, strcpy, strtok ...), and, when
# clang-format is installed, the house format of .clang-format.
# Usage: scripts/checksrc.sh [SOURCE_DIR]; prints the offences and
# "N passed, N failed"; exit 1 on any offence.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2
files=$(git ls-files 'dicom/*.cc' 'dicom/*.h' 'qc/*.c' 'qc/*.h' 'store/*.c' \
  'store/*.h' 'cli/*.c' 'cli/*.h' 'tests/unit/*.c' 'tests/unit/*.h' \
  'tests/tools/*.c' 2>/dev/null)
[ -n "$files" ] || files=$(find dicom qc store cli tests/unit tests/tools \
  -name '*.[ch]' -o -name '*.cc')
pass=0 fail=0
check() { # check NAME STATUS
  if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "PASS $1"
  else fail=$((fail + 1)); echo "FAIL $1"; fi
}
# shellcheck disable=SC2086
long=$(awk 'length > 79 {print FILENAME ":" FNR ": longer than 79"}' $files)
[ -z "$long" ]; check "lines of at most 79 columns" $?
[ -z "$long" ] || echo "$long"
# shellcheck disable=SC2086
banned=$(grep -nE '\<(atoi|atol|strtol|strtoul|sprintf|vsprintf|strcpy|strcat|strtok|gets)\(' $files)
[ -z "$banned" ]; check "no banned functions" $?
[ -z "$banned" ] || echo "$banned"
if command -v clang-format >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files >/dev/null 2>&1
  check "clang-format (.clang-format)" $?
else
  echo "SKIP clang-format: not installed"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
