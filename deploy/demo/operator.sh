#!/usr/bin/env bash
# The demo DSO operator: publishes notices, declares a red phase at PS Sud
# two hours ahead, caps agg-1's PS Sud portfolio an hour later and watches
# until agg-1 has acknowledged the order.
set -euo pipefail
source "$(dirname "$0")/common.sh"
wait_for_gateway operator
as operator notice publish --severity WARNING --pcc PS_SUD \
  --text "Expected congestion at Milano PS Sud, 18:00-20:00 UTC: flexibility may be limited" | prefixed operator
as operator notice publish --severity INFO --text "Gateway demo started" | prefixed operator
as operator intervene --pcc PS_SUD --from "$(hour_from_now 2)" --to "$(hour_from_now 3)" | prefixed operator

line=$(as operator curtail --pcc PS_SUD --from "$(hour_from_now 3)" --to "$(hour_from_now 4)" \
  --cap agg1-sud-vpp=2.5 --text "Transformer overload expected at PS Sud")
echo "$line" | prefixed operator
id=$(awk '{print $2}' <<<"$line")
# agg-1 acknowledges as soon as the order reaches its feed; a loaded machine
# may take a while.
deadline=$((SECONDS + 180))
while true; do
  status=$(as operator curtailment status "$id")
  grep -qE " acknowledged [0-9]" <<<"$status" && break
  ((SECONDS < deadline)) || break
  sleep 1
done
echo "$status" | prefixed operator
