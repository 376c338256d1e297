#!/usr/bin/env bash
# Run the demo natively: demo certificates, the gateway on its private
# PostgreSQL (config/gateway.yaml has no database configured), a TSO client
# printing every event it receives and validating a merit order list, and an
# operator publishing notices and declaring a red phase.
# Ctrl-C or SIGTERM stops everything this script started.
#
#   deploy/run-local.sh [--no-build] [--duration SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
VAR=$ROOT/var   # config/gateway.yaml points here for certificates and data
DURATION=0
BUILD=1
while (($#)); do
  case $1 in
    --no-build) BUILD=0 ;;
    --duration) DURATION=$2; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "run-local: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if ((BUILD)); then
  "$ROOT/deploy/install-deps.sh"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j2 --target tsodso-gatewayd tsodso
fi
BIN=$BUILD_DIR/bin
mkdir -p "$VAR/logs"
chmod 0755 "$VAR"
bash "$ROOT/deploy/certs/make-demo-certs.sh" "$VAR/certs" >/dev/null

pids=()
cleanup() {
  trap - EXIT INT TERM
  echo "run-local: stopping"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "run-local: stopped"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

rm -f "$VAR/ready.json"
"$BIN/tsodso-gatewayd" --config "$ROOT/config/gateway.yaml" --ready-file "$VAR/ready.json" \
  >"$VAR/logs/gateway.log" 2>&1 &
GATEWAY_PID=$!
pids+=("$GATEWAY_PID")
for _ in $(seq 1 600); do
  [[ -f $VAR/ready.json ]] && break
  if ! kill -0 "$GATEWAY_PID" 2>/dev/null; then
    echo "run-local: the gateway did not start; its log:" >&2
    cat "$VAR/logs/gateway.log" >&2
    exit 1
  fi
  sleep 0.1
done
PORT=$(sed -n 's/.*"port": \([0-9]*\).*/\1/p' "$VAR/ready.json")
echo "run-local: gateway listening on 127.0.0.1:$PORT (log: $VAR/logs/gateway.log)"

as() {  # as PARTY ARGS... : run the CLI with PARTY's demo certificate
  local who=$1; shift
  "$BIN/tsodso" --server "127.0.0.1:$PORT" --cert "$VAR/certs/$who.crt" --key "$VAR/certs/$who.key" \
    --ca "$VAR/certs/ca.crt" "$@"
}

as tso whoami | sed 's/^/[tso] /'
# The TSO follows the feed; its state file makes a restarted client resume.
as tso subscribe --reconnect --state-file "$VAR/tso.seq" 2>&1 | sed -u 's/^/[tso] /' &
pids+=($!)
sleep 1
as operator notice publish --severity WARNING --pcc PS_SUD \
  --text "Expected congestion at Milano PS Sud, 18:00-20:00 UTC: flexibility may be limited" | sed 's/^/[operator] /'
as operator notice publish --severity INFO --text "Gateway demo started" | sed 's/^/[operator] /'

# What the TSO can ask: PS Sud's flexibility today (with what the DSO's
# network lets the DERs do) and in the 2030 scenario, for the next two
# hours, and the P-Q picture of the coming week.
FROM=$(date -u +%Y-%m-%dT%H:00:00Z)
TO=$(date -u -d '+2 hours' +%Y-%m-%dT%H:00:00Z)
WEEK=$(date -u -d '+7 days' +%Y-%m-%dT%H:00:00Z)
as tso flex --pcc PS_SUD --from "$FROM" --to "$TO" --grid | sed 's/^/[tso flex as-is] /'
as tso flex --pcc PS_SUD --scenario 2030 --from "$FROM" --to "$TO" | sed 's/^/[tso flex 2030] /'
as tso flex --pcc PS_SUD --from "$FROM" --to "$WEEK" --svg "$VAR/ps-sud-week.svg" >/dev/null 2>&1 &&
  echo "run-local: P-Q picture of PS Sud's coming week: $VAR/ps-sud-week.svg"

# The aggregator agg-1 has its PS Sud assets prequalified; then the TSO's
# merit order list for the next ISP, downward (more consumption below PS
# Sud): the DSO answers each bid on its private network model and the
# traffic light follows. The operator then declares a red phase.
as agg1 prequalify "$ROOT/config/examples/prequalify-agg1.csv" | sed 's/^/[agg1 prequalify] /'
as tso mol validate "$ROOT/config/examples/mol-ps-sud.csv" --direction down | sed 's/^/[tso mol] /'
RED_FROM=$(date -u -d '+2 hours' +%Y-%m-%dT%H:00:00Z)
RED_TO=$(date -u -d '+3 hours' +%Y-%m-%dT%H:00:00Z)
as operator intervene --pcc PS_SUD --from "$RED_FROM" --to "$RED_TO" | sed 's/^/[operator] /'
as tso traffic-light --pcc PS_SUD | sed 's/^/[tso lights] /'

# The aggregator agg-1 follows its own receipts, bid limits and curtailment
# orders, submits
# tomorrow's schedule of its PS Sud portfolio (UTC quarter hours, 96 of
# them), revises it, and reads the first revision back.
as agg1 subscribe --topic RECEIPT --topic BID_LIMITS --topic CURTAILMENT 2>&1 | sed -u 's/^/[agg1] /' &
pids+=($!)
TOMORROW=$(date -u -d 'tomorrow' +%Y-%m-%d)
{
  echo "start,p_mw,q_mvar"
  for q in $(seq 0 95); do
    t=$(date -u -d "$TOMORROW 00:00 UTC + $((q * 15)) minutes" +%Y-%m-%dT%H:%M:%SZ)
    echo "$t,$(awk -v q="$q" 'BEGIN { printf "%.2f", 4 + 3 * sin(q / 96 * 6.2832) }'),-0.5"
  done
} >"$VAR/agg1-schedule.csv"
as agg1 schedule submit "$VAR/agg1-schedule.csv" --portfolio agg1-sud-vpp --pcc PS_SUD | sed 's/^/[agg1 schedule] /'
as agg1 schedule submit "$VAR/agg1-schedule.csv" --portfolio agg1-sud-vpp --pcc PS_SUD | sed 's/^/[agg1 schedule] /'
as agg1 schedule get --portfolio agg1-sud-vpp --revision 1 | sed -n '1,3s/^/[agg1 schedule] /p'

# The DSO's forecasts of PS Sud: day-ahead (at the 12:00 gate for the next
# day; a gateway started before the gate issues one for the rest of today)
# and intraday, every quarter hour for the coming 6 hours, with the
# P10-P90 band; the picture shows the band and what was measured.
as tso forecast --pcc PS_SUD --kind intraday | sed -n '1,10s/^/[tso forecast] /p'
as tso forecast --pcc PS_SUD --kind day-ahead --svg "$VAR/ps-sud-forecast.svg" 2>/dev/null |
  sed -n '1,2s/^/[tso forecast] /p'
echo "run-local: PS Sud's day-ahead forecast: $VAR/ps-sud-forecast.svg"

# The red phase: the operator caps agg-1's PS Sud portfolio for an hour;
# agg-1 receives its order and acknowledges it; the operator sees that.
CURT_FROM=$(date -u -d '+3 hours' +%Y-%m-%dT%H:00:00Z)
CURT_TO=$(date -u -d '+4 hours' +%Y-%m-%dT%H:00:00Z)
CURT_ID=$(as operator curtail --pcc PS_SUD --from "$CURT_FROM" --to "$CURT_TO" --cap agg1-sud-vpp=2.5 \
  --text "Transformer overload expected at PS Sud" | tee >(sed 's/^/[operator] /' >&2) | awk '{print $2}')
sleep 0.5
as operator curtailment status "$CURT_ID" | sed 's/^/[operator] /'
as agg1 ack "$CURT_ID" | sed 's/^/[agg1] /'
as operator curtailment status "$CURT_ID" | sed 's/^/[operator] /'

cat <<EOT
run-local: try, in another terminal:
  $BIN/tsodso --server 127.0.0.1:$PORT --cert $VAR/certs/operator.crt --key $VAR/certs/operator.key --ca $VAR/certs/ca.crt notice publish --text "hello"
  $BIN/tsodso --server 127.0.0.1:$PORT --cert $VAR/certs/agg1.crt --key $VAR/certs/agg1.key --ca $VAR/certs/ca.crt subscribe
run-local: Ctrl-C to stop.
EOT
if ((DURATION > 0)); then
  sleep "$DURATION"
else
  wait "$GATEWAY_PID"
fi
