#!/usr/bin/env bash
# Run deploy/run-local.sh --replicas 2 on a fresh demo state, stop it with
# SIGTERM after a while, and check what a newcomer would see: the TSO
# (following the feed through the second replica) prints events of every
# kind the gateway produces, its flexibility, validated merit order list, traffic lights
# and forecasts; each aggregator its receipts; the operator sees the
# acknowledgement; nothing is left running.
set -euo pipefail
SRC=$1
BUILD=$2
out=$(mktemp)
started=$(date +%s)
# A bad argument is refused before anything starts.
if bash "$SRC/deploy/run-local.sh" --no-build --replicas 3 >"$out" 2>&1; then
  echo "FAIL: --replicas 3 was accepted"; exit 1
fi
grep -q -- '--replicas must be 1 or 2' "$out" || { echo "FAIL: no message for --replicas 3"; cat "$out"; exit 1; }
# A developer's own demo state is set aside and put back afterwards.
kept=""
if [[ -e $SRC/var ]]; then
  kept=$SRC/var.kept-by-test-$$
  mv "$SRC/var" "$kept"
fi
restore() {
  rm -f "$out"
  if [[ -n $kept ]]; then
    rm -rf "$SRC/var"
    mv "$kept" "$SRC/var"
  fi
}
trap restore EXIT
# The lines the demo prints on its own time: the parties' feeds, and what the
# TSO prints last. The test waits for each of them (the gateway publishes its
# first figures when it has computed them, seconds to a minute after it
# listens, longer on a loaded machine) instead of sleeping a fixed time.
awaited=(
  '^\[tso\] #[0-9]* .* FLEXIBILITY pcc=PS_SUD 96 intervals'
  '^\[tso\] #[0-9]* .* NOTICE pcc='
  '^\[tso\] #[0-9]* .* BID_LIMITS pcc='
  '^\[tso\] #[0-9]* .* TRAFFIC_LIGHT pcc='
  '^\[tso\] #[0-9]* .* PREQUALIFICATION pcc='
  '^\[tso\] #[0-9]* .* CURTAILMENT pcc=PS_SUD .*caps 2.50 MW in all'
  '^\[tso\] #[0-9]* .* FORECAST pcc='
  "^\\[tso\\] PS Sud's day-ahead forecast: "
  '^\[agg1\] #[0-9]* .* RECEIPT pcc=PS_SUD portfolio agg1-sud-vpp revision'
  '^\[agg1\] #[0-9]* .* BID_LIMITS pcc=PS_SUD'
  '^\[agg1\] #[0-9]* .* CURTAILMENT pcc=PS_SUD'
  '^\[agg1\] notice .* acknowledged at'
  '^\[agg2\] #[0-9]* .* RECEIPT pcc=PS_SUD portfolio agg2-sud-ev revision'
  '^\[operator\]   agg-1      acknowledged'
)
# await_lines SECONDS: until every awaited line is in the output, the demo
# has exited or SECONDS have passed; prints what is still missing.
await_lines() {
  local deadline=$((SECONDS + $1)) missing p
  while true; do
    missing=()
    for p in "${awaited[@]}"; do grep -q -- "$p" "$out" || missing+=("$p"); done
    ((${#missing[@]} == 0)) && return 0
    if ! kill -0 "$demo" 2>/dev/null || ((SECONDS >= deadline)); then
      printf 'run_local_test: still missing after %d s: %s\n' "$SECONDS" "${missing[@]}"
      return 1
    fi
    sleep 0.5
  done
}
# As a newcomer stops it: SIGTERM (as Ctrl-C) once the demo has shown
# everything. Generous bounds: a bound reached is reported by the checks
# below, which name the line that is missing.
BUILD_DIR=$BUILD bash "$SRC/deploy/run-local.sh" --no-build --replicas 2 >"$out" 2>&1 &
demo=$!
SECONDS=0
deadline=$((SECONDS + 480))
while ((SECONDS < deadline)); do
  grep -q '^run-local: Ctrl-C to stop' "$out" && break
  kill -0 "$demo" 2>/dev/null || break
  sleep 0.2
done
up=$SECONDS
if await_lines 180; then
  echo "run_local_test: the demo was up after ${up} s and had shown every awaited line after ${SECONDS} s"
fi
# What Prometheus would scrape from the first replica while the demo runs.
metrics=$(python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9464/metrics", timeout=5).read().decode())' 2>&1 || true)
kill -TERM "$demo" 2>/dev/null || true
rc=0
wait "$demo" || rc=$?
cat "$out"
fail() { echo "FAIL: $*"; exit 1; }
((rc == 0)) || fail "run-local.sh exited with $rc"
grep -q '^run-local: Ctrl-C to stop' "$out" || fail "the demo did not come up"
grep -q '^\[tso\] party tso-terna role TSO' "$out" || fail "no whoami line for the TSO"
grep -q '^\[tso\] #[0-9]* .* NOTICE pcc=PS_SUD WARNING "Expected congestion at Milano PS Sud' "$out" ||
  fail "the TSO did not print the PS Sud notice"
grep -q '^\[tso\] #[0-9]* .* NOTICE pcc=\* INFO "Gateway demo started"' "$out" || fail "no global notice"
grep -q '^\[tso\] #[0-9]* .* FLEXIBILITY pcc=PS_SUD 96 intervals' "$out" || fail "no FLEXIBILITY event for PS Sud"
grep -q '^\[tso flex as-is\] PCC PS_SUD, scenario current' "$out" || fail "no as-is flexibility table"
grep -q '^\[tso flex 2030\] PCC PS_SUD, scenario 2030' "$out" || fail "no 2030 flexibility table"
[[ $(grep -c '^\[tso flex 2030\] 20' "$out") -eq 8 ]] || fail "the 2030 table should have 8 quarter hours"
grep -q '<svg' "$SRC/var/ps-sud-week.svg" || fail "no P-Q picture"
grep -q '^\[agg1 prequalify\] agg1-bess-01 .* QUALIFIED ' "$out" || fail "agg-1's battery was not prequalified"
grep -q '^\[agg1 prequalify\] agg1-pv-02 .* NOT_QUALIFIED  OUTSIDE_CONNECTION_AGREEMENT' "$out" ||
  fail "an asset beyond its agreement was qualified"
grep -q '^\[tso\] #[0-9]* .* PREQUALIFICATION pcc=PS_SUD agg1-bess-01 of agg-1 QUALIFIED' "$out" ||
  fail "the TSO did not learn the prequalification"
grep -Eq '^\[tso mol\] .* (ACCEPTED|LIMITED) +[0-9.]+ +([1-9][0-9]*\.[0-9]+|0\.[0-9]*[1-9][0-9]*) ' "$out" || fail "no bid of the TSO's list may be activated at all"
grep -q '^\[tso mol\] .* LIMITED .*_LIMIT' "$out" || fail "the TSO's list has no bid limited by the grid"
grep -q '^\[tso mol\] .* REJECTED .* NOT_PREQUALIFIED' "$out" || fail "no bid rejected by the registry"
grep -q '^\[tso\] #[0-9]* .* BID_LIMITS pcc=PS_SUD validation' "$out" || fail "no BID_LIMITS event"
# A rerun of the demo within the hour finds the lights already set: the
# changes are events only the first time, the states are there every time.
grep -q '^\[tso mol\] traffic light PS_SUD: YELLOW' "$out" || fail "no yellow light after the list"
grep -q '^\[tso lights\] PS_SUD .* RED (DIRECT_INTERVENTION)' "$out" || fail "no red phase"
grep -q '^\[agg1 schedule\] schedule agg1-sud-vpp revision [0-9]* at PS_SUD: ACCEPTED, 96 intervals' "$out" ||
  fail "the aggregator's schedule was not accepted"
grep -q '^\[agg1\] #[0-9]* .* RECEIPT pcc=PS_SUD portfolio agg1-sud-vpp revision' "$out" ||
  fail "the aggregator did not receive its receipt"
grep -q '^\[agg1\] #[0-9]* .* BID_LIMITS pcc=PS_SUD' "$out" || fail "the aggregator did not receive its bid limits"
if grep -q '^\[tso\] #[0-9]* .* RECEIPT' "$out"; then fail "the TSO received an aggregator's receipt"; fi
grep -q '^\[agg1\] #[0-9]* .* CURTAILMENT pcc=PS_SUD .*agg1-sud-vpp injection <= 2.50 MW' "$out" ||
  fail "the aggregator did not receive its curtailment order"
grep -q '^\[tso\] #[0-9]* .* CURTAILMENT pcc=PS_SUD .*caps 2.50 MW in all' "$out" || fail "the TSO got no curtailment summary"
grep -q '^\[agg1\] notice .* acknowledged at' "$out" || fail "the aggregator did not acknowledge"
grep -q '^\[operator\]   agg-1      acknowledged' "$out" || fail "the operator does not see the acknowledgement"
# Forecasts: both kinds readable; each came as an event in this run unless
# the demo's database already held the issue (a rerun within its period).
for kind in day-ahead intraday; do
  issued=$(sed -n "s/^\[tso forecast\] $kind forecast of PS_SUD issued \([^ ]*\) .*/\1/p" "$out" | head -1)
  [[ -n $issued ]] || fail "no $kind forecast table"
  event=${kind^^}; event=${event/-/_}
  if ! grep -q "^\[tso\] #[0-9]* .* FORECAST pcc=PS_SUD $event, " "$out" &&
    (($(date -d "$issued" +%s) >= started)); then
    fail "the TSO received no $kind forecast event"
  fi
done
grep -q '^\[tso\] #[0-9]* .* FORECAST pcc=PS_SUD INTRADAY, 24 intervals' "$out" ||
  grep -q '^\[tso forecast\] intraday forecast of PS_SUD issued .*, 24 intervals' "$out" ||
  fail "the intraday forecast should span 24 quarter hours"
grep -q '<svg' "$SRC/var/ps-sud-forecast.svg" || fail "no forecast picture"
grep -q '^run-local: gateway 2 listening' "$out" || fail "no second replica"
grep -q '^run-local: gateway 1 metrics for Prometheus at http://127.0.0.1:9464/metrics' "$out" ||
  fail "run-local does not say where the metrics are"
grep -q '^tsodso_tls_certificate_not_after_timestamp_seconds{certificate="server"}' <<<"$metrics" ||
  fail "the first replica's metrics listener did not answer: $metrics"
for topic in NOTICE FLEXIBILITY BID_LIMITS TRAFFIC_LIGHT PREQUALIFICATION CURTAILMENT FORECAST; do
  grep -q "^\[tso\] #[0-9]* .* $topic pcc=" "$out" || fail "the TSO received no $topic event"
done
grep -q '^\[agg2\] #[0-9]* .* RECEIPT pcc=PS_SUD portfolio agg2-sud-ev revision' "$out" ||
  fail "agg-2 did not receive its receipt"
grep -q '^\[agg2 prequalify\] agg2-bess-01 .* QUALIFIED ' "$out" || fail "agg-2's battery was not prequalified"
if grep -q '^\[agg2\] #[0-9]* .* CURTAILMENT' "$out"; then fail "agg-2 received agg-1's curtailment order"; fi
if grep -q '^\[agg2\] #[0-9]* .* RECEIPT .*agg1-' "$out"; then fail "agg-2 received agg-1's receipt"; fi
grep -q 'run-local: stopped' "$out" || fail "no clean stop"
# run-local.sh has waited for everything it started; a process that is still
# on its way out gets a few seconds.
deadline=$((SECONDS + 15))
while pgrep -f "tsodso-gatewayd --config $SRC/config/gateway.yaml|$SRC/var/gateway/postgres|$SRC/deploy/demo/" \
  >/dev/null && ((SECONDS < deadline)); do
  sleep 0.2
done
if pgrep -f "tsodso-gatewayd --config $SRC/config/gateway.yaml" >/dev/null; then fail "gateway still running"; fi
if pgrep -f "$SRC/var/gateway/postgres" >/dev/null; then fail "private PostgreSQL still running"; fi
if pgrep -f "$SRC/deploy/demo/" >/dev/null; then fail "a demo party is still running"; fi
echo "PASS"
