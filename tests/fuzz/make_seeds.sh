#!/usr/bin/env bash
# Write the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/)
# from the repository's own inputs: the sample requests in seeds/requests
# (text format, encoded with protoc), excerpts of config/ and data/ for the
# CSV readers, and the configuration files. Run from anywhere after
# changing a seed; it rewrites the seeds and leaves corpus/*/regressions/
# (inputs that once failed) and anything else in the corpus alone.
#
#   tests/fuzz/make_seeds.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CORPUS=$HERE/corpus
SEP=$'\n%%\n'

# requests_fuzz: byte 0 is the request kind | caller << 4 (requests_fuzz.cc),
# then the message. Each seed's header names its message, kind and caller.
out=$CORPUS/requests_fuzz
mkdir -p "$out"
for f in "$HERE"/seeds/requests/*.txtpb; do
  message=$(sed -n 's/^# message: //p' "$f")
  kind=$(sed -n 's/^# kind: \([0-9]*\) caller: \([0-9]*\)$/\1/p' "$f")
  caller=$(sed -n 's/^# kind: \([0-9]*\) caller: \([0-9]*\)$/\2/p' "$f")
  [[ -n $message && -n $kind && -n $caller ]] || { echo "make_seeds: $f lacks its header" >&2; exit 1; }
  name=$(basename "$f" .txtpb)
  {
    printf "\\x$(printf %02x $((kind | caller << 4)))"
    protoc -I "$SRC/proto" --encode="$message" "$SRC"/proto/tsodso/v1/*.proto <"$f"
  } >"$out/$name"
done

# Text targets: byte 0 is '0' + the reader's number, then the text.
seed() {  # target name selector text
  mkdir -p "$CORPUS/$1"
  printf '%s%s' "$3" "$4" >"$CORPUS/$1/$2"
}

# csv_fuzz (the reader numbers of csv_fuzz.cc).
seed csv_fuzz generic 0 "$(cat "$SRC/config/examples/mol-ps-sud.csv")"
seed csv_fuzz year-profile 1 "$(head -n 49 "$SRC/config/profiles/pv.csv")"
seed csv_fuzz pvgis-tmy 2 "$(head -n 49 "$SRC/data/weather/pvgis_tmy_45.0N_8.0E.csv")"
seed csv_fuzz measured-load 3 "$(head -n 193 "$SRC/data/load/terna_north_zone_2024_jan-oct_15min.csv")"
seed csv_fuzz load-series 4 "$(head -n 97 "$SRC/data/load/terna_north_zone_2024_jan-oct_15min.csv" | sed '20,26d; 40s/,[0-9.]*$/,/')"
seed csv_fuzz grid-ieee33 5 "$(cat "$SRC/data/grids/ieee33_buses.csv")$SEP$(cat "$SRC/data/grids/ieee33_branches.csv")"
seed csv_fuzz grid-ps-sud-feeder1 6 "$(grep -E '^(bus,|PS,|F1-)' "$SRC/config/grids/ps-sud/buses.csv")$SEP$(grep -E '^(from_bus,|PS,F1-|F1-)' "$SRC/config/grids/ps-sud/branches.csv")"
seed csv_fuzz grid-csv-ieee33 7 "$(cat "$SRC/data/grids/ieee33_buses.csv")$SEP$(cat "$SRC/data/grids/ieee33_branches.csv")"
seed csv_fuzz cli-mol 8 "$(cat "$SRC/config/examples/mol-ps-sud.csv")"
seed csv_fuzz cli-assets 9 "$(cat "$SRC/config/examples/prequalify-agg1.csv")"
seed csv_fuzz cli-schedule : "$(head -n 17 "$SRC/config/examples/schedule-agg1.csv")"

# config_fuzz (the file numbers of config_fuzz.cc).
seed config_fuzz gateway 0 "$(cat "$SRC/config/gateway.yaml")"
seed config_fuzz der-classes 1 "$(cat "$SRC/config/der-classes.yaml")"
seed config_fuzz scenario-as-is 2 "$(cat "$SRC/config/ps-sud/as-is.yaml")"
seed config_fuzz scenario-2030 2 "$(cat "$SRC/config/ps-sud/2030.yaml")"
grid=$SRC/config/grids/ps-sud
seed config_fuzz grid-ps-sud 3 "$(cat "$grid/model.yaml")$SEP$(cat "$grid/buses.csv")$SEP$(cat "$grid/branches.csv")$SEP$(cat "$grid/der-placement.csv")$SEP$(cat "$grid/resources.csv")"
seed config_fuzz grid-tables-only 3 "$SEP$(cat "$SRC/data/grids/ieee33_buses.csv")$SEP$(cat "$SRC/data/grids/ieee33_branches.csv")"
