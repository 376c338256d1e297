#!/usr/bin/env bash
# Build tests with a sanitizer, in a build tree of their own that builds only
# what they run, and run them.
#
#   tests/sanitize.sh thread SOURCE_DIR BUILD_DIR
#     ThreadSanitizer: the daemon's shared state, i.e. the identity cache,
#     the feed hub, the subscriber queue and the hand-over of work to gRPC's
#     executor (unit), and many threads' calls
#     and streams on one connection against the instrumented daemon (e2e).
#   tests/sanitize.sh address,undefined SOURCE_DIR BUILD_DIR
#     AddressSanitizer (with leak detection) and UndefinedBehaviorSanitizer:
#     the domain's and the daemon's unit tests and the PostgreSQL tests,
#     built by clang in the tree the fuzz targets share (tests/asan_tree.sh).
#
# A report fails the run: an instrumented process that saw one exits
# non-zero (66 for ThreadSanitizer, 1 for the others; undefined behaviour
# is not recovered from), and the e2e test also checks the daemon's log.
set -euo pipefail
kind=$1
SRC=$(cd "$2" && pwd)
BUILD=$3

case $kind in
  thread)
    # Debian's gRPC, protobuf and Abseil are not instrumented: what they do
    # themselves is ignored, and tests/tsan.supp says what else is theirs.
    export TSAN_OPTIONS="ignore_noninstrumented_modules=1 second_deadlock_stack=1 history_size=4 suppressions=$SRC/tests/tsan.supp"
    targets=(tsodso-gatewayd tsodso_race_tests tsodso_concurrency_tests)
    ;;
  address,undefined)
    # The tree the fuzz targets use too (tests/asan_tree.sh).
    source "$SRC/tests/asan_tree.sh"
    asan_tree_environment "$SRC"
    targets=(tsodso_domain_tests tsodso_unit_tests tsodso_pg_tests)
    ;;
  *)
    echo "sanitize.sh: unknown sanitizer '$kind' (thread, address,undefined)" >&2
    exit 2
    ;;
esac

if [[ $kind == thread ]]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSODSO_SANITIZER="$kind" >/dev/null
else
  asan_tree_configure "$SRC" "$BUILD"
fi
source "$SRC/tests/build_targets.sh"
build_targets "$BUILD" "${targets[@]}"
# Each test binary says only what failed, and how many passed.
run() {
  echo "sanitize.sh: $*"
  "$@" --gtest_brief=1
}

case $kind in
  thread)
    run "$BUILD/bin/tsodso_race_tests"
    # Instrumented code runs several times slower: fewer threads, a longer run.
    TSODSO_CONCURRENCY_THREADS=8 TSODSO_CONCURRENCY_SECONDS=10 \
      run "$BUILD/bin/tsodso_concurrency_tests" --gtest_filter='ConcurrencyTest.ThreadsShareOneConnection*'
    ;;
  address,undefined)
    run "$BUILD/bin/tsodso_domain_tests"
    run "$BUILD/bin/tsodso_unit_tests"
    run "$BUILD/bin/tsodso_pg_tests"
    ;;
esac
