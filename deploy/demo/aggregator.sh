#!/usr/bin/env bash
# A demo aggregator: follows its own feed (receipts, bid limits, curtailment
# orders, which it acknowledges as they arrive) and, every --every seconds,
# has its assets prequalified (the first time, and renewed after) and
# submits tomorrow's schedule of its portfolio (96 UTC quarter hours,
# level + 0.75 level sin), each a new revision.
#
#   aggregator.sh PARTY PORTFOLIO PCC PREQUALIFY.csv [--level MW] [--every SECONDS]
set -euo pipefail
source "$(dirname "$0")/common.sh"
WHO=$1 PORTFOLIO=$2 PCC=$3 ASSETS=$4
shift 4
LEVEL=2
EVERY=300
while (($#)); do
  case $1 in
    --level) LEVEL=$2; shift ;;
    --every) EVERY=$2; shift ;;
    *) echo "aggregator.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $ASSETS == /* ]] || ASSETS=$DEMO_ROOT/$ASSETS
wait_for_gateway "$WHO"

as "$WHO" subscribe --reconnect --state-file "$TSODSO_STATE/$WHO.seq" --topic RECEIPT --topic BID_LIMITS \
  --topic CURTAILMENT 2>&1 |
  while IFS= read -r line; do
    echo "[$WHO] $line"
    id=$(sed -n 's/.* CURTAILMENT pcc=[^ ]* \([0-9a-f-]\{36\}\) .*/\1/p' <<<"$line")
    if [[ -n $id ]]; then as "$WHO" ack "$id" 2>&1 | prefixed "$WHO"; fi
  done &

schedule="$TSODSO_STATE/$WHO-schedule.csv"
first=1
while true; do
  as "$WHO" prequalify "$ASSETS" | prefixed "$WHO prequalify" || true
  tomorrow=$(date -u -d 'tomorrow' +%Y-%m-%d)
  {
    echo "start,p_mw,q_mvar"
    for q in $(seq 0 95); do
      t=$(date -u -d "$tomorrow 00:00 UTC + $((q * 15)) minutes" +%Y-%m-%dT%H:%M:%SZ)
      echo "$t,$(awk -v q="$q" -v l="$LEVEL" 'BEGIN { printf "%.2f", l + 0.75 * l * sin(q / 96 * 6.2832) }'),-0.5"
    done
  } >"$schedule"
  as "$WHO" schedule submit "$schedule" --portfolio "$PORTFOLIO" --pcc "$PCC" | prefixed "$WHO schedule" || true
  if ((first)); then
    as "$WHO" schedule get --portfolio "$PORTFOLIO" --revision 1 | sed -n '1,3p' | prefixed "$WHO schedule" || true
    first=0
  fi
  sleep "$EVERY"
done
