#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# setup.sh - the README's two commands for a fresh Debian 12 machine (root).
#
#   scripts/setup.sh run    install what is missing, build, run the node
#                           with its defaults (port 11112, AE DICOMQC,
#                           ./dicomqc-data) until Ctrl-C
#   scripts/setup.sh test   install what is missing, build normally and with
#                           ASan+UBSan, run the whole test suite in both,
#                           then fuzz each libFuzzer target for
#                           DICOMQC_FUZZ_SECONDS (60) with clang
#
# Only Debian packages that are not installed yet are installed
# (apt-get update first).  Builds go to build/, build-asan/, build-fuzz/.
set -eu

cd "$(dirname "$0")/.."
MODE=${1:-}
case "$MODE" in
  run|test) ;;
  *) echo "usage: scripts/setup.sh run|test" >&2; exit 2 ;;
esac

# Build and run dependencies (DESIGN.md: DCMTK, OpenJPEG, SQLite, cmocka,
# cJSON, inih, libpng for thumbnails and the tests' PNG reference images,
# libcurl and libcrypto for webhooks, libmicrohttpd for the console); the
# DCMTK and OpenJPEG command-line tools are the independent decoders the
# tests and the benchmark compare against; chromium, its driver and
# Selenium open the console and the reports in the browser tests; clang
# and its runtime (libFuzzer, sanitizers) build the fuzz targets.
PKGS="cmake make gcc g++ pkg-config libdcmtk-dev dcmtk libopenjp2-7-dev
libopenjp2-tools libsqlite3-dev sqlite3 libcmocka-dev libcjson-dev libinih-dev
libpng-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev python3
chromium chromium-driver python3-selenium clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
      | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $missing
fi

jobs=$(nproc 2>/dev/null || echo 2)

build() { # build DIR [cmake args...]
  dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

if [ "$MODE" = run ]; then
  build build -DDICOMQC_TESTS=OFF
  echo "setup: starting the node (build/dicomqc serve): AE DICOMQC, port" \
    "11112, data in ./dicomqc-data; Ctrl-C stops it."
  echo "setup: send images with e.g. storescu -aec DICOMQC localhost 11112" \
    "FILE.dcm; see them with build/dicomqc studies"
  exec build/dicomqc serve
fi

build build -DDICOMQC_TESTS=ON
(cd build && ctest --output-on-failure -j "$jobs")
build build-asan -DDICOMQC_SANITIZE=ON -DDICOMQC_TESTS=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j "$jobs")
# The libFuzzer targets (tests/fuzz), DICOMQC_FUZZ_SECONDS (default 60)
# each, in build-fuzz/ with clang: a crash, leak or timeout fails the run.
sh scripts/fuzz.sh "${DICOMQC_FUZZ_SECONDS:-60}"
echo "setup: all tests passed in the normal and the ASan+UBSan builds, and the fuzz run found nothing"
