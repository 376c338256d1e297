#!/usr/bin/env bash
# Build the libFuzzer targets of tests/fuzz with clang under AddressSanitizer
# and UndefinedBehaviorSanitizer, in the build tree they share with the
# AddressSanitizer tests (tests/asan_tree.sh), building nothing else, and
# run each for a bounded time from its seed corpus.
#
#   tests/fuzz.sh SOURCE_DIR BUILD_DIR [TARGET...]
#
# TSODSO_FUZZ_SECONDS (default 30) is each target's run. A crash, a leak, a
# sanitizer report or an input that takes over TSODSO_FUZZ_TIMEOUT seconds
# (default 60) fails the run; the input that did it is kept in
# BUILD_DIR/fuzz-artifacts/TARGET/ and the script says how to replay it.
# Once the bug is fixed, that input goes into
# tests/fuzz/corpus/TARGET/regressions/ (every run starts by replaying the
# whole corpus, so it stays fixed).
#
# What the runs find that widens coverage goes to BUILD_DIR/fuzz-corpus/,
# never into the source tree; tests/fuzz/README.md says how to merge it.
set -euo pipefail
SRC=$(cd "$1" && pwd)
BUILD=$2
shift 2
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(requests_fuzz csv_fuzz config_fuzz)
SECONDS_EACH=${TSODSO_FUZZ_SECONDS:-30}
TIMEOUT=${TSODSO_FUZZ_TIMEOUT:-60}

# The tree the AddressSanitizer tests use too (tests/asan_tree.sh).
source "$SRC/tests/asan_tree.sh"
asan_tree_configure "$SRC" "$BUILD"
source "$SRC/tests/build_targets.sh"
build_targets "$BUILD" "${TARGETS[@]}"

# Leaks are reported after each input (-detect_leaks=1); undefined
# behaviour ends the run at its first report (-fno-sanitize-recover).
asan_tree_environment "$SRC"
# The targets that read files write their input to a scratch directory.
export TMPDIR=$BUILD/fuzz-tmp
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"

status=0
for t in "${TARGETS[@]}"; do
  corpus=$SRC/tests/fuzz/corpus/$t
  found=$BUILD/fuzz-corpus/$t
  artifacts=$BUILD/fuzz-artifacts/$t
  log=$BUILD/fuzz-$t.log
  rm -rf "$artifacts"
  mkdir -p "$found" "$artifacts"
  echo "== $t: ${SECONDS_EACH}s from $(find "$corpus" -type f | wc -l) seeds"
  start=$(date +%s)
  rc=0
  # New inputs go to the first directory; the seeds are only read.
  "$BUILD/bin/$t" -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -detect_leaks=1 -rss_limit_mb=4096 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$found" "$corpus" >"$log" 2>&1 || rc=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  echo "   $(($(date +%s) - start))s, exit $rc"
  # A report that did not stop the run fails it all the same.
  if ((rc != 0)) || grep -qE 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$log"; then
    status=1
    tail -n 80 "$log"
    echo
    echo "fuzz.sh: $t failed (whole log: $log). Replay what it kept with:"
    for a in "$artifacts"/*; do
      [[ -e $a ]] && echo "  $BUILD/bin/$t $a"
    done
    echo "and once fixed, keep it: cp <input> $corpus/regressions/"
  fi
done
rm -rf "$TMPDIR"
exit "$status"
