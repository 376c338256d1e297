#!/usr/bin/env bash
# The alert rules of deploy/prometheus/: valid for Prometheus (promtool
# check rules), and each fires on synthetic series that show its fault and
# stays quiet on healthy ones (promtool test rules, alerts_test.yml); the
# compose demo's Prometheus configuration that loads them is valid too.
# promtool comes with Debian's prometheus package (deploy/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../deploy/prometheus"
promtool check rules alerts.yml
promtool check config prometheus.yml
promtool test rules alerts_test.yml
