#!/usr/bin/env bash
# Build the daemon and the tests of its shared state with a sanitizer, in a
# build tree of their own, and run them: the identity cache, the feed hub
# and the subscriber queue (unit), and many threads' calls and streams on
# one connection against the instrumented daemon (e2e). Only these targets
# are built, so the run stays within minutes.
#
#   tests/sanitize.sh thread SOURCE_DIR BUILD_DIR
#
# A report fails the run: an instrumented process that saw one exits 66,
# and the e2e test also checks the daemon's log.
set -euo pipefail
kind=$1
SRC=$(cd "$2" && pwd)
BUILD=$3

case $kind in
  thread)
    # Debian's gRPC, protobuf and Abseil are not instrumented: what they do
    # themselves is ignored, and tests/tsan.supp says what else is theirs.
    export TSAN_OPTIONS="ignore_noninstrumented_modules=1 second_deadlock_stack=1 history_size=4 suppressions=$SRC/tests/tsan.supp"
    ;;
  *)
    echo "sanitize.sh: unknown sanitizer '$kind' (thread)" >&2
    exit 2
    ;;
esac

cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSODSO_SANITIZER="$kind" >/dev/null
cmake --build "$BUILD" -j2 --target tsodso-gatewayd tsodso_race_tests tsodso_concurrency_tests
"$BUILD/bin/tsodso_race_tests"
# Instrumented code runs several times slower: fewer threads, a longer run.
TSODSO_CONCURRENCY_THREADS=8 TSODSO_CONCURRENCY_SECONDS=10 \
  "$BUILD/bin/tsodso_concurrency_tests" --gtest_filter='ConcurrencyTest.ThreadsShareOneConnection*'
