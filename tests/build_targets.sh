# Sourced by tests/sanitize.sh and tests/fuzz.sh: build some targets of a
# build tree, with the machine's build lock, and the build's output in a file
# so that what the tests then report is not lost among it. A failed build
# shows its end.

build_targets() {  # BUILD_DIR TARGET...
  local build=$1 log=$1/targets-build.log
  shift
  echo "$(basename "$0"): building $* in $build (log: $log)"
  # Builds on a shared machine take turns; the lock costs nothing elsewhere.
  if ! flock "${TSODSO_BUILD_LOCK:-/tmp/tsodso-build.lock}" cmake --build "$build" -j2 --target "$@" >"$log" 2>&1; then
    tail -n 80 "$log"
    echo "$(basename "$0"): the build failed (above: the end of $log)"
    return 1
  fi
}
