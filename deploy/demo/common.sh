# Sourced by the demo parties (tso.sh, aggregator.sh, operator.sh), natively
# from deploy/run-local.sh and in the containers of deploy/docker-compose.yml:
# where the gateway is, which certificates speak, where state goes.
#   TSODSO_SERVER  gateway address            (default 127.0.0.1:50051)
#   TSODSO_CERTS   ca.crt and <party>.crt/key (default var/certs)
#   TSODSO_STATE   state files and pictures   (default var)
#   TSODSO_CLI     the tsodso command          (default build/bin/tsodso, else PATH)
#   TSODSO_TIMEOUT_MS  deadline of each call   (default 60000: a loaded machine
#                  or a gateway still computing its first figures answers late;
#                  the CLI's own default of 10 s is for an interactive user)
DEMO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TSODSO_SERVER=${TSODSO_SERVER:-127.0.0.1:50051}
TSODSO_CERTS=${TSODSO_CERTS:-$DEMO_ROOT/var/certs}
TSODSO_STATE=${TSODSO_STATE:-$DEMO_ROOT/var}
TSODSO_TIMEOUT_MS=${TSODSO_TIMEOUT_MS:-60000}
if [[ -z ${TSODSO_CLI:-} ]]; then
  if [[ -x $DEMO_ROOT/build/bin/tsodso ]]; then TSODSO_CLI=$DEMO_ROOT/build/bin/tsodso; else TSODSO_CLI=tsodso; fi
fi
EXAMPLES=$DEMO_ROOT/config/examples

# cli_of PARTY: set CLI to the command line of the CLI with PARTY's
# certificate (an array, so that it can run in the background as itself).
cli_of() {
  CLI=("$TSODSO_CLI" --server "$TSODSO_SERVER" --cert "$TSODSO_CERTS/$1.crt" --key "$TSODSO_CERTS/$1.key"
    --ca "$TSODSO_CERTS/ca.crt" --timeout-ms "$TSODSO_TIMEOUT_MS")
}

# as PARTY ARGS... : the CLI with PARTY's certificate. A call whose deadline
# passed before the connection to the gateway was ever established (the
# CLI's exit code 3 and its message say so) never reached the gateway, so
# it is made again, at most twice, by a new CLI with a connection of its own,
# as an operator would; the CLI's message stays in the party's log. A call
# that reached the gateway is never repeated here. A feed subscription
# (its own reconnects, its messages as they come) runs once.
as() {
  local CLI err rc attempt party=$1
  cli_of "$1"
  shift
  if [[ $1 == subscribe ]]; then
    "${CLI[@]}" "$@"
    return
  fi
  err=$(mktemp)
  for attempt in 1 2 3; do
    rc=0
    "${CLI[@]}" "$@" 2>"$err" || rc=$?
    cat "$err" >&2
    ((rc == 3 && attempt < 3)) && grep -q 'DEADLINE_EXCEEDED.*was never established' "$err" || break
    echo "demo $party: the call never reached the gateway; calling again" >&2
  done
  rm -f "$err"
  return "$rc"
}

prefixed() { sed -u "s/^/[$1] /"; }

# Wait until the gateway answers the health check (a container may start
# before the gateway listens).
wait_for_gateway() {
  for _ in $(seq 1 120); do
    as "$1" health >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "[$1] the gateway at $TSODSO_SERVER is not healthy" >&2
  return 1
}

# await_event PATTERN SECONDS PARTY ARGS... : run a feed command of the
# CLI as PARTY until a line matches PATTERN; fail after SECONDS (wall clock,
# however busy the machine).
await_event() {
  local pattern=$1 deadline=$((SECONDS + $2)) out pid found=1 CLI
  cli_of "$3"
  shift 3
  out=$(mktemp)
  "${CLI[@]}" "$@" >"$out" 2>&1 &
  pid=$!
  while ((SECONDS < deadline)); do
    if grep -q -- "$pattern" "$out"; then
      found=0
      break
    fi
    sleep 0.2
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$out"
  return $found
}

# The next whole hours, UTC, RFC 3339.
hour_from_now() { date -u -d "+$1 hours" +%Y-%m-%dT%H:00:00Z; }
