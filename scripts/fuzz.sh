#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# fuzz.sh - builds the libFuzzer targets (tests/fuzz) in build-fuzz/ with
# clang, ASan and UBSan, and runs each for a while.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target, default 600; TARGETs fuzz_decode and fuzz_store by
# default, run one after the other (one core each).  Before fuzzing, every
# regression input of tests/fuzz/regress/ is replayed through its target.
# Seeds come from tests/fuzz/seeds.sh (samples/, ../shared/data/dicom when
# present) into build-fuzz/seeds/TARGET; the corpus grows in
# build-fuzz/corpus/TARGET (kept between runs), a crashing, leaking,
# out-of-memory or timed-out input lands in build-fuzz/crashes/TARGET and
# the libFuzzer log in build-fuzz/logs/TARGET.log.  Limits per input:
# -max_len 1 MiB, -rss_limit_mb 2048, -malloc_limit_mb 4096 (see opts),
# -timeout 10 s.  Prints one line per target (CPU seconds, executions,
# executions/s, corpus entries, coverage, findings) and, for each
# finding, the command that reproduces it.
# DICOMQC_FUZZ_DIR names another folder than build-fuzz.
# Exit status: 0 when nothing was found, 1 on a finding or a failed
# replay, 2 on a usage error.  Needs clang (Debian package clang).
set -eu

cd "$(dirname "$0")/.."
secs=${1:-600}
case "$secs" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2 ;;
esac
[ $# -gt 0 ] && shift
targets=${*:-fuzz_decode fuzz_store}
for t in $targets; do
  case "$t" in
    fuzz_decode | fuzz_store) ;;
    *) echo "fuzz.sh: unknown target '$t' (fuzz_decode, fuzz_store)" >&2
      exit 2 ;;
  esac
done
command -v clang >/dev/null 2>&1 || {
  echo "fuzz.sh: clang is not installed (apt-get install clang)" >&2
  exit 1
}

dir=${DICOMQC_FUZZ_DIR:-build-fuzz} # Build, corpus, crashes, logs
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$dir/logs"
echo "fuzz.sh: building $targets in $dir (log: $dir/logs/build.log)"
# shellcheck disable=SC2086
if ! { CC=clang CXX=clang++ cmake -S . -B "$dir" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDICOMQC_FUZZ=ON -DDICOMQC_TESTS=OFF &&
  cmake --build "$dir" -j "$jobs" --target $targets; } \
  >"$dir/logs/build.log" 2>&1; then
  tail -n 30 "$dir/logs/build.log" >&2
  echo "fuzz.sh: the build failed; see $dir/logs/build.log" >&2
  exit 1
fi
sh tests/fuzz/seeds.sh "$dir/seeds"

# A sanitizer report ends the run with a stack trace on stderr.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# -malloc_limit_mb 4096: DCMTK reserves an element's declared length (up
# to 4 GiB) before reading its value, and in a deflated dataset it cannot
# check that length against the bytes left; the untouched reservation
# costs no memory (19 MB peak for tests/fuzz/regress/store/
# deflate_huge_length), while -rss_limit_mb catches memory really used.
opts="-max_len=1048576 -rss_limit_mb=2048 -malloc_limit_mb=4096 -timeout=10"

# Replays regression inputs: fails on the first that still fails.
replay() { # replay TARGET FILE...
  t=$1
  shift
  [ $# -gt 0 ] && [ -f "$1" ] || return 0
  # shellcheck disable=SC2086
  if ! "$dir/$t" $opts "$@" >"$dir/logs/$t.replay.log" 2>&1; then
    echo "fuzz.sh: $t: a regression input fails again; see" \
      "$dir/logs/$t.replay.log" >&2
    exit 1
  fi
  echo "fuzz.sh: $t: $# regression inputs replayed, no failure"
}

# Children's CPU seconds (user + system) so far, from the shell's times
# (run in this shell: in a command substitution it would see none).
cpu() {
  times >"$dir/logs/times"
  awk 'NR == 2 {
    n = 0
    for(i = 1; i <= 2; i++) {
      split($i, a, "m"); sub("s", "", a[2]); n += a[1] * 60 + a[2]
    }
    printf "%.1f\n", n
  }' "$dir/logs/times"
}

found=0
rows=""
for t in $targets; do
  if [ "$t" = fuzz_decode ]; then
    replay "$t" tests/fuzz/regress/*.dcm
  else
    replay "$t" tests/fuzz/regress/store/*
  fi
  mkdir -p "$dir/corpus/$t" "$dir/crashes/$t"
  touch "$dir/logs/$t.start" # Findings are the files newer than this
  cpu >"$dir/logs/$t.cpu0"
  echo "fuzz.sh: $t for $secs s (log: $dir/logs/$t.log)"
  rc=0
  # shellcheck disable=SC2086
  "$dir/$t" $opts -max_total_time="$secs" -print_final_stats=1 \
    -dict=tests/fuzz/dicom.dict -artifact_prefix="$dir/crashes/$t/" \
    "$dir/corpus/$t" "$dir/seeds/$t" >"$dir/logs/$t.log" 2>&1 || rc=$?
  cpu >"$dir/logs/$t.cpu1"
  log=$dir/logs/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  n=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  bad=$(find "$dir/crashes/$t" -type f -newer "$dir/logs/$t.start" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' \
    -o -name 'timeout-*' \) | sort)
  nbad=$(echo "$bad" | grep -c . || true)
  cpus=$(cat "$dir/logs/$t.cpu0" "$dir/logs/$t.cpu1" |
    awk 'NR == 1 { a = $1 } NR == 2 { printf "%.0f", $1 - a }')
  rows="$rows$(printf '%-12s %8s %10s %8s %8s %6s %8s' "$t" "$cpus" \
    "${execs:--}" "${rate:--}" "${n:--}" "${cov:--}" "$nbad")
"
  for f in $bad; do
    found=1
    echo "fuzz.sh: $t: FINDING $f"
    echo "  reproduce: $dir/$t $opts $f"
  done
  if [ "$rc" != 0 ] && [ "$nbad" = 0 ]; then
    found=1 # libFuzzer failed without leaving an input: say so
    tail -n 20 "$log"
    echo "fuzz.sh: $t: libFuzzer exited $rc without a finding; see $log"
  fi
done

printf '%-12s %8s %10s %8s %8s %6s %8s\n' target cpu_s execs execs/s \
  corpus cov findings
printf '%s' "$rows"
if [ $found = 1 ]; then
  echo "fuzz.sh: findings or failures above (inputs under" \
    "$dir/crashes/)" >&2
  exit 1
fi
