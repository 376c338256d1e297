#!/usr/bin/env bash
# The demo TSO: follows the feed (every event it may receive, resuming from
# a state file), asks for PS Sud's flexibility now and in 2030, has its
# merit order list for the next ISP validated once agg-1's assets are
# prequalified, reads the traffic lights once the operator has declared a
# red phase, and reads the day-ahead and intraday forecasts.
set -euo pipefail
source "$(dirname "$0")/common.sh"
wait_for_gateway tso
as tso whoami | prefixed tso
as tso subscribe --reconnect --state-file "$TSODSO_STATE/tso.seq" 2>&1 | prefixed tso &

as tso flex --pcc PS_SUD --from "$(hour_from_now 0)" --to "$(hour_from_now 2)" --grid | prefixed "tso flex as-is"
as tso flex --pcc PS_SUD --scenario 2030 --from "$(hour_from_now 0)" --to "$(hour_from_now 2)" |
  prefixed "tso flex 2030"
as tso flex --pcc PS_SUD --from "$(hour_from_now 0)" --to "$(hour_from_now 168)" \
  --svg "$TSODSO_STATE/ps-sud-week.svg" >/dev/null 2>&1 &&
  echo "[tso] P-Q picture of PS Sud's coming week: $TSODSO_STATE/ps-sud-week.svg"

# Downward (more consumption below PS Sud): the DSO answers each bid on its
# private network model and the traffic light follows.
await_event " of agg-1 QUALIFIED" 180 tso subscribe --topic PREQUALIFICATION ||
  echo "[tso] agg-1's assets are not prequalified yet; validating anyway"
as tso mol validate "$EXAMPLES/mol-ps-sud.csv" --direction down | prefixed "tso mol"

await_event "RED (DIRECT_INTERVENTION)" 180 tso subscribe --topic TRAFFIC_LIGHT || true
as tso traffic-light --pcc PS_SUD | prefixed "tso lights"

# The DSO's forecasts of PS Sud: day-ahead (at the 12:00 gate for the next
# day; a gateway started before the gate issues one for the rest of today)
# and intraday, every quarter hour for the coming 6 hours, with the
# P10-P90 band; the picture shows the band and what was measured.
await_event "INTRADAY" 180 tso subscribe --topic FORECAST || true
as tso forecast --pcc PS_SUD --kind intraday | sed -n '1,10p' | prefixed "tso forecast"
as tso forecast --pcc PS_SUD --kind day-ahead --svg "$TSODSO_STATE/ps-sud-forecast.svg" 2>/dev/null |
  sed -n '1,2p' | prefixed "tso forecast"
echo "[tso] PS Sud's day-ahead forecast: $TSODSO_STATE/ps-sud-forecast.svg"
touch "$TSODSO_STATE/tso.done"
wait
