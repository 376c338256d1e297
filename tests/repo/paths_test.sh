#!/usr/bin/env bash
# Every file of the repository must work in a bare clone on another machine:
# nothing may refer to a directory beside the checkout or to one machine's
# checkout or home directory. Fails, naming file and line, on
#
#   ../shared                 a sibling of the checkout, absent in a clone
#                             (reference data lives in data/, see data/README.md);
#   /work/ /home/ /root/ /Users/
#                             absolute paths into a checkout or a home
#                             directory, which exist on one machine only.
#
# Not flagged, because they mean the same on every machine: system paths
# (/usr/bin/python3, /bin/bash, /etc/..., /var/lib/postgresql/...), the
# container's own layout (/opt/tsodso), temporary files (/tmp/...), paths
# built from $HOME or a variable, and URLs (https://host/home/... is a web
# address, not a file: the pattern only matches a path that starts a word).
#
# Files: those git tracks (a bare clone has exactly these); in a source tree
# without .git, every file but build/, var/ and .git/.
#
#   paths_test.sh SOURCE_DIR
set -euo pipefail
SRC=${1:?usage: paths_test.sh SOURCE_DIR}
cd "$SRC"
SELF=tests/repo/paths_test.sh  # names the patterns it looks for

# The patterns (POSIX ERE, GNU grep): a ../shared path component, and an
# absolute path whose first component is a checkout or home root, at the
# start of a word (start of line, after a blank, quote, '=', '(' or ',') or
# after file://.
SIBLING='\.\./shared\b'
ABSOLUTE='(^|[^A-Za-z0-9_.~/-]|file://)/(work|home|root|Users)(/|\b)'

# The patterns must catch what they are meant to and nothing else: a pattern
# that silently matched nothing would let every file pass.
must_match=(
  'std::string(TSODSO_SOURCE_DIR) + "/../shared/data/grids"'
  '--model ../shared/data/grids --kv 12.66'
  'constexpr char kTmyPath[] = "/work/shared/data/weather/x.csv";'
  'cd /home/alice/tsodso && make'
  'HOME=/root'
  'open("file:///Users/bob/data.csv")'
  "path: '/work/main/config/gateway.yaml'"
)
must_not_match=(
  'COMMAND /usr/bin/python3 tests/e2e/python_interop.py'
  'char out_tmpl[] = "/tmp/tsodso-cmd-out-XXXXXX";'
  'COPY --from=build /opt/tsodso /opt/tsodso'
  'key: /etc/tsodso/server.key'
  'PGDATA=/var/lib/postgresql/data'
  'see https://example.org/home/docs and https://host/work/x'
  'cert: ../pki/certs/server.crt'
  'std::shared_ptr<Hub> hub = ../shared_state'
  'TSODSO_STATE=$HOME/tsodso'
  'data/weather/pvgis_tmy_45.0N_8.0E.csv'
)
for line in "${must_match[@]}"; do
  if ! grep -qE "$SIBLING" <<<"$line" && ! grep -qE "$ABSOLUTE" <<<"$line"; then
    echo "FAIL: the check misses a forbidden path in: $line"
    exit 1
  fi
done
for line in "${must_not_match[@]}"; do
  if grep -qE "$SIBLING" <<<"$line" || grep -qE "$ABSOLUTE" <<<"$line"; then
    echo "FAIL: the check flags a legitimate path in: $line"
    exit 1
  fi
done

bad=0
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -d '' files < <(git ls-files -z)
  # Tracked symbolic links: their target must stay inside the checkout.
  while read -r mode _ _ link; do
    [[ $mode == 120000 ]] || continue
    target=$(git cat-file -p ":$link")
    if [[ $target == /* ]]; then
      echo "$link: symbolic link to an absolute path: $target"
      bad=1
    fi
  done < <(git ls-files -s)
else
  mapfile -d '' files < <(find . \( -path ./build -o -path ./var -o -path ./.git \) -prune -o -type f -print0)
fi
files=("${files[@]#./}")
((${#files[@]} > 50)) || { echo "FAIL: only ${#files[@]} files found under $SRC"; exit 1; }

# -I: binary files are skipped; text data (CSV) is read like the rest. A
# tracked file deleted in the work tree is not there to read; symbolic links
# were checked above.
hits=$(for f in "${files[@]}"; do [[ $f != "$SELF" && -f $f && ! -L $f ]] && printf '%s\0' "$f"; done |
  xargs -0 grep -nIHE -e "$SIBLING" -e "$ABSOLUTE" -- || true)
if [[ -n $hits ]]; then
  echo "$hits"
  bad=1
fi
if ((bad)); then
  echo "FAIL: the lines above refer to ../shared or to an absolute path into a checkout or home directory;"
  echo "      use a path relative to the source tree (reference data: data/, see data/README.md)"
  exit 1
fi
echo "PASS: ${#files[@]} files, no ../shared and no absolute checkout or home path"
