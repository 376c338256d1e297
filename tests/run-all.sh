#!/usr/bin/env bash
# Install dependencies, build, and run every test layer (unit, pg, e2e)
# against real PostgreSQL clusters and real daemons that the tests start
# and stop themselves. Usage: tests/run-all.sh [ctest args, e.g. -L unit]
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2
# The test binaries start private PostgreSQL clusters under /tmp; as root
# they run them as the postgres user, which Debian's package creates.
status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 1200 "$@" || status=$?
# ctest names a test it did not run but not why: the test says why and how
# to run it (the compose stack test without a container engine).
log=$BUILD_DIR/Testing/Temporary/LastTest.log
if [[ -f $log ]] && grep -q '^NOT RUN: ' "$log"; then
  echo
  grep -h -A3 '^NOT RUN: ' "$log" | grep -v '^--$' | grep -v '^<end of output>' || true
fi
exit "$status"
