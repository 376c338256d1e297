#!/usr/bin/env bash
# Build and run the benchmarks; print the figures recorded in
# docs/PERFORMANCE.md. Usage: tests/bench/run.sh [benchmark args]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target tsodso_flex_bench tsodso_mol_bench tsodso_schedule_bench tsodso_gateway_bench \
  tsodso_storm_bench tsodso_feed_bench tsodso_national_bench
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
taskset -c 0 "$BUILD_DIR/bin/tsodso_flex_bench" --benchmark_counters_tabular=true "$@"
taskset -c 0 "$BUILD_DIR/bin/tsodso_mol_bench" --benchmark_counters_tabular=true "$@"
# The gateway, its PostgreSQL and the clients are separate processes: not
# pinned. Benchmark args above are Google Benchmark's; this one takes none.
"$BUILD_DIR/bin/tsodso_schedule_bench"
"$BUILD_DIR/bin/tsodso_gateway_bench"
"$BUILD_DIR/bin/tsodso_storm_bench"
"$BUILD_DIR/bin/tsodso_feed_bench"
# Pins each daemon to a core of its own; 2,000 PCCs, 2 minutes per run.
"$BUILD_DIR/bin/tsodso_national_bench"
