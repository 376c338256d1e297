#!/usr/bin/env bash
# Install what tsodso-gateway needs to build, run and test on Debian 12,
# from Debian's own packages. Does nothing when everything is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libssl-dev openssl libpq-dev postgresql-15
  libspdlog-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev prometheus-cpp-dev
  coinor-libclp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-grpcio python3-protobuf
  util-linux procps tzdata
  docker-compose
)
# Tools the tests use and the container image's build stage does without:
# clang, libFuzzer and llvm-symbolizer for the fuzz targets (tests/fuzz.sh);
# Node.js and npm, which install Buf for the contract check
# (tests/contract.sh); Prometheus and promtool for the alert rules
# (tests/alerts.sh).
if [[ ${TSODSO_NO_TEST_TOOLS:-} != 1 ]]; then
  PACKAGES+=(clang libclang-rt-dev llvm nodejs npm prometheus)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  # Node.js from another source (NodeSource) ships its own npm, which
  # Debian's npm package conflicts with: an npm on the PATH will do.
  if [[ $p == npm ]] && command -v npm >/dev/null; then
    continue
  fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
