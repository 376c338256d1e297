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
# A failed test's output can be long (a sanitizer run prints its build), and
# a reader of a CI log may see only its start and end: repeat, last, for each
# failed test the lines of its output that say what failed and its last lines
# (all a timeout leaves).
if [[ $status != 0 && -f $log ]]; then
  echo
  echo "What failed:"
  awk '
    /^[0-9]+\/[0-9]+ Test: / { name = $3; kept = ""; n = 0; out = 0; lines = 0; next }
    /^Output:$/ { out = 1; next }
    /^<end of output>$/ { out = 0; next }
    out && !/^-+$/ {
      last[lines++ % 8] = $0
      if ($0 ~ /FAILED|Failure|ERROR: |SUMMARY: |runtime error|^FAIL|[Aa]borted|Segmentation|error:/ && n++ < 30)
        kept = kept "  " $0 "\n"
    }
    /^Test Failed/ {
      printf "--- %s\n%s  ... its last lines:\n", name, kept
      for (k = (lines > 8 ? lines - 8 : 0); k < lines; k++) print "  " last[k % 8]
    }' "$log"
fi
exit "$status"
