#!/usr/bin/env bash
# Run the demo natively, the same parties as deploy/docker-compose.yml with
# the same scripts, flags and config files: demo certificates, the gateway
# on its private PostgreSQL (config/gateway.yaml has no database
# configured), a TSO (deploy/demo/tso.sh), two aggregators
# (deploy/demo/aggregator.sh) and the operator (deploy/demo/operator.sh).
# With --replicas 2 a second gateway serves the same database on port
# 50052, and the TSO follows the feed through it.
# Ctrl-C or SIGTERM stops everything this script started.
#
#   deploy/run-local.sh [--no-build] [--duration SECONDS] [--replicas 1|2]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
VAR=$ROOT/var   # config/gateway.yaml points here for certificates and data
DURATION=0
BUILD=1
REPLICAS=1
while (($#)); do
  case $1 in
    --no-build) BUILD=0 ;;
    --duration) DURATION=$2; shift ;;
    --replicas) REPLICAS=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "run-local: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $REPLICAS == 1 || $REPLICAS == 2 ]] || { echo "run-local: --replicas must be 1 or 2" >&2; exit 2; }

if ((BUILD)); then
  "$ROOT/deploy/install-deps.sh"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j2 --target tsodso-gatewayd tsodso
fi
BIN=$BUILD_DIR/bin
mkdir -p "$VAR/logs"
chmod 0755 "$VAR"
bash "$ROOT/deploy/certs/make-demo-certs.sh" "$VAR/certs" >/dev/null

gateways=()  # stopped last, the first replica (which runs the database) last of all
parties=()   # each in its own process group, stopped first
cleanup() {
  trap - EXIT INT TERM
  echo "run-local: stopping"
  for p in "${parties[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${parties[@]}"; do wait "$p" 2>/dev/null || true; done
  for ((i = ${#gateways[@]} - 1; i >= 0; i--)); do
    kill -TERM "${gateways[i]}" 2>/dev/null || true
    wait "${gateways[i]}" 2>/dev/null || true
  done
  echo "run-local: stopped"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# start_gateway N [daemon flags]: start replica N and print its port.
start_gateway() {
  local n=$1
  shift
  local ready=$VAR/ready-$n.json log=$VAR/logs/gateway-$n.log
  rm -f "$ready"
  "$BIN/tsodso-gatewayd" --config "$ROOT/config/gateway.yaml" --ready-file "$ready" "$@" >"$log" 2>&1 &
  gateways+=($!)
  # Its private PostgreSQL is created on the first start: allow a loaded
  # machine two minutes.
  local deadline=$((SECONDS + 120))
  while ((SECONDS < deadline)); do
    [[ -f $ready ]] && break
    if ! kill -0 "${gateways[-1]}" 2>/dev/null; then
      echo "run-local: gateway $n did not start; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [[ ! -f $ready ]]; then
    echo "run-local: gateway $n is not listening after 120 s; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  PORT=$(sed -n 's/.*"port": \([0-9]*\).*/\1/p' "$ready")
  echo "run-local: gateway $n listening on 127.0.0.1:$PORT (log: $log)"
  local metrics_port
  metrics_port=$(sed -n 's/.*"metrics_port": \([0-9]*\).*/\1/p' "$ready")
  if [[ -n $metrics_port && $metrics_port != 0 ]]; then
    echo "run-local: gateway $n metrics for Prometheus at http://127.0.0.1:$metrics_port/metrics"
  fi
}

start_gateway 1
export TSODSO_SERVER=127.0.0.1:$PORT TSODSO_CERTS=$VAR/certs TSODSO_STATE=$VAR TSODSO_CLI=$BIN/tsodso
TSO_SERVER=$TSODSO_SERVER
if ((REPLICAS == 2)); then
  # The second replica uses the first one's private PostgreSQL.
  export TSODSO_DATABASE_DSN="host=$VAR/gateway/postgres port=5432 user=tsodso dbname=tsodso"
  start_gateway 2 --listen 127.0.0.1:50052 --metrics-listen 127.0.0.1:9465
  unset TSODSO_DATABASE_DSN
  TSO_SERVER=127.0.0.1:$PORT
  echo "run-local: the TSO follows the feed through gateway 2; the others talk to gateway 1"
fi

rm -f "$VAR/tso.done"
party() { setsid "$@" & parties+=($!); }
party env TSODSO_SERVER="$TSO_SERVER" bash "$ROOT/deploy/demo/tso.sh"
party bash "$ROOT/deploy/demo/aggregator.sh" agg1 agg1-sud-vpp PS_SUD config/examples/prequalify-agg1.csv \
  --level 4 --every 300
party bash "$ROOT/deploy/demo/aggregator.sh" agg2 agg2-sud-ev PS_SUD config/examples/prequalify-agg2.csv \
  --level 2 --every 300
party bash "$ROOT/deploy/demo/operator.sh"

# The one-shot parts first: the TSO's questions and the operator's orders
# (each waits for what it needs, up to three minutes; on a loaded machine the
# whole takes a few minutes).
deadline=$((SECONDS + 600))
while ((SECONDS < deadline)); do
  [[ -f $VAR/tso.done ]] && ! kill -0 "${parties[-1]}" 2>/dev/null && break
  sleep 0.2
done
cat <<EOT
run-local: try, in another terminal:
  $BIN/tsodso --server $TSODSO_SERVER --cert $VAR/certs/operator.crt --key $VAR/certs/operator.key --ca $VAR/certs/ca.crt notice publish --text "hello"
  $BIN/tsodso --server $TSODSO_SERVER --cert $VAR/certs/agg1.crt --key $VAR/certs/agg1.key --ca $VAR/certs/ca.crt subscribe
run-local: Ctrl-C to stop.
EOT
if ((DURATION > 0)); then
  sleep "$DURATION"
else
  wait "${gateways[0]}"
fi
