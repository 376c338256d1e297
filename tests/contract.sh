#!/usr/bin/env bash
# The contract in proto/: Buf's lint rules (proto/buf.yaml), and no change
# that breaks an existing client against the released contract of each
# package version (proto/baseline/<package>.json, a Buf image).
#
#   tests/contract.sh             lint, and check against every baseline
#   tests/contract.sh --release   write the baseline of every package in
#                                 proto/ (at a release, once it is tagged)
#
# A change that must break a client moves the package version
# (tsodso.v1 -> tsodso.v2, in proto/tsodso/v2/): a baseline whose package
# is no longer in proto/ is not checked against.
#
# Buf comes from npm (@bufbuild/buf, pinned below) into a cache directory;
# deploy/install-deps.sh installs Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
BUF_VERSION=1.75.0
cache=${XDG_CACHE_HOME:-$HOME/.cache}/tsodso/buf-$BUF_VERSION
buf=$cache/node_modules/.bin/buf
if [[ ! -x $buf ]]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "@bufbuild/buf@$BUF_VERSION" >&2
fi
cd proto

if [[ ${1:-} == --release ]]; then
  for dir in */v*/; do
    package=$(tr / . <<<"${dir%/}")
    "$buf" build --path "$dir" --exclude-source-info -o -#format=json | python3 -m json.tool --indent 1 \
      >"baseline/$package.json"
    echo "contract: wrote proto/baseline/$package.json"
  done
  exit 0
fi

"$buf" lint
echo "contract: buf lint passed"
status=0
for baseline in baseline/*.json; do
  package=$(basename "$baseline" .json)
  dir=${package//.//}
  if [[ ! -d $dir ]]; then
    echo "contract: $package is no longer in proto/ (the version moved); not checked against $baseline"
    continue
  fi
  if "$buf" breaking --against "$baseline"; then
    echo "contract: $package compatible with $baseline"
  else
    echo "contract: $package breaks clients of $baseline: move the package version, or undo the change" >&2
    status=1
  fi
done
exit "$status"
