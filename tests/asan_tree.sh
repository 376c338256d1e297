# Sourced by tests/sanitize.sh (address,undefined) and tests/fuzz.sh: the
# one build tree they share, so that the libraries under both are compiled
# once. clang, AddressSanitizer with leak detection, UndefinedBehaviorSanitizer
# that does not recover (a report ends the process), and libFuzzer's
# coverage instrumentation in every library (harmless to the tests: the
# sanitizer runtime answers its hooks). -O1: quick to build, and what
# libFuzzer's documentation recommends.
#
# Debian's gRPC, protobuf, Abseil, yaml-cpp and libpq are built by gcc
# without the sanitizers. Linking against them is fine. No
# detect_container_overflow=0 is needed for them: libstdc++'s containers are
# annotated for AddressSanitizer only when asked (_GLIBCXX_SANITIZE_VECTOR),
# so that check, which misfires when uninstrumented code resizes a
# container, has nothing to look at.

asan_tree_configure() {  # SOURCE_DIR BUILD_DIR
  command -v clang++ >/dev/null || {
    echo "$0: clang++ is missing (deploy/install-deps.sh installs it)" >&2
    exit 2
  }
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
    -DTSODSO_SANITIZER=address,undefined -DTSODSO_FUZZ=ON >/dev/null
}

asan_tree_environment() {  # SOURCE_DIR
  # tests/lsan.supp names the third-party allocations kept for the life of
  # the process on purpose.
  export ASAN_OPTIONS="detect_leaks=1 check_initialization_order=1 strict_init_order=1"
  export LSAN_OPTIONS="suppressions=$1/tests/lsan.supp print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"
  if command -v llvm-symbolizer >/dev/null; then
    ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer)
    export ASAN_SYMBOLIZER_PATH
  fi
}
