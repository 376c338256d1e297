#!/usr/bin/env bash
# Prepare a Debian 12 machine that reaches Debian's package mirror but no
# image registry to run the compose demo (deploy/docker-compose.yml) with
# podman, as tests/deploy/stack_test.sh does:
#
#   - podman 4.3 with runc, netavark and aardvark-dns (compose service names
#     resolve on the project network), catatonit (`init: true`), iptables,
#     debootstrap and docker-compose, from Debian's packages;
#   - /etc/containers/containers.conf: runc (crun refuses a machine that
#     mixes cgroup v1 and v2) and explicit ulimits (without CAP_SYS_RESOURCE
#     podman cannot raise the defaults it would otherwise ask for);
#   - debian:12 and debian:12-slim, bootstrapped from the mirror with
#     `debootstrap --variant=minbase bookworm`, stand-ins for the official
#     images deploy/Dockerfile starts from;
#   - localhost/tsodso-postgres:15, PostgreSQL 15 from Debian's packages
#     (deploy/containers/postgres/), a stand-in for postgres:15-bookworm.
#
# Run as root (or with sudo). A second run changes nothing and reuses the
# images; --refresh bootstraps the base images and the PostgreSQL image
# again. A machine with Docker, or one that can pull the official images,
# needs none of this. The gateway never runs this script.
#
#   deploy/containers/prepare-podman.sh [--refresh]
#
# Environment: DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR override the mirrors
# found in /etc/apt/sources.list*.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROG=prepare-podman
POSTGRES_IMAGE=localhost/tsodso-postgres:15

refresh=0
case ${1:-} in
  --refresh) refresh=1 ;;
  "") ;;
  *) echo "usage: $0 [--refresh]" >&2; exit 2 ;;
esac

say() { echo "$PROG: $*" >&2; }
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { say "run as root or install sudo"; exit 1; }
  SUDO=(sudo)
fi

# ---------------------------------------------------------------- packages --
PACKAGES=(podman runc conmon catatonit netavark aardvark-dns iptables debootstrap docker-compose)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  say "installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --------------------------------------------------------- containers.conf --
CONF=/etc/containers/containers.conf
MARK="# Written by tsodso-gateway's deploy/containers/prepare-podman.sh."
WANT="$MARK
# runc: crun refuses a machine that mixes cgroup v1 and v2. Explicit ulimits:
# without CAP_SYS_RESOURCE the defaults podman would set cannot be applied.
# netavark with aardvark-dns: containers find each other by service name.
[containers]
default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]

[engine]
runtime = \"runc\"

[network]
network_backend = \"netavark\""
if [[ ! -f $CONF ]] || [[ $(<"$CONF") != "$WANT" ]]; then
  if [[ -s $CONF ]] && ! grep -qxF "$MARK" "$CONF"; then
    "${SUDO[@]}" cp -p "$CONF" "$CONF.before-tsodso"
    say "kept the previous $CONF as $CONF.before-tsodso"
  fi
  printf '%s\n' "$WANT" | "${SUDO[@]}" tee "$CONF" >/dev/null
  say "wrote $CONF"
fi

PODMAN=("${SUDO[@]}" podman)
"${PODMAN[@]}" info >/dev/null || { say "podman does not work on this machine"; exit 1; }

has_image() { "${PODMAN[@]}" image exists "$1"; }

# -------------------------------------------------------------- base images --
# The mirrors this machine's apt already uses: the one serving bookworm and
# the one serving bookworm-security.
read -r main_mirror security_mirror < <(python3 - <<'PY'
import glob

entries = []
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = line.split("#")[0].split()
        if words[:1] != ["deb"]:
            continue
        words = words[1:]
        if words and words[0].startswith("["):
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            entries.append((words[0], words[1]))
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for para in open(path).read().split("\n\n"):
        fields = {}
        for line in para.splitlines():
            if ":" in line and not line.startswith((" ", "#")):
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
        if "deb" in fields.get("types", []):
            entries += [(u, s) for u in fields.get("uris", []) for s in fields.get("suites", [])]
main = next((u for u, s in entries if s == "bookworm"), "http://deb.debian.org/debian")
security = next((u for u, s in entries if s == "bookworm-security"), "http://deb.debian.org/debian-security")
print(main.rstrip("/"), security.rstrip("/"))
PY
)
main_mirror=${DEBIAN_MIRROR:-$main_mirror}
security_mirror=${DEBIAN_SECURITY_MIRROR:-$security_mirror}

if ((refresh)) || ! has_image docker.io/library/debian:12; then
  say "bootstrapping debian:12 from $main_mirror (about a minute)"
  work=$(mktemp -d /var/tmp/tsodso-debootstrap.XXXXXX)
  trap '"${SUDO[@]}" rm -rf "$work"' EXIT
  "${SUDO[@]}" debootstrap --variant=minbase bookworm "$work/rootfs" "$main_mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; say "debootstrap failed"; exit 1; }
  # As in the official image: the release, its updates and security
  # updates; no package lists or caches kept.
  "${SUDO[@]}" rm -f "$work/rootfs/etc/apt/sources.list"
  "${SUDO[@]}" tee "$work/rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null <<SOURCES
Types: deb
URIs: $main_mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  "${SUDO[@]}" sh -c "rm -rf '$work'/rootfs/var/lib/apt/lists/* '$work'/rootfs/var/cache/apt/*.bin \
    '$work'/rootfs/var/cache/apt/archives/*.deb '$work'/rootfs/var/log/*.log"
  "${SUDO[@]}" tar --numeric-owner -C "$work/rootfs" -c . |
    "${PODMAN[@]}" import --quiet \
      --change 'CMD ["bash"]' \
      --change "LABEL org.opencontainers.image.description=\"Debian 12 minbase, debootstrapped locally by tsodso-gateway's prepare-podman.sh\"" \
      - docker.io/library/debian:12 >/dev/null
  "${SUDO[@]}" rm -rf "$work"
  trap - EXIT
  refresh_slim=1
fi
if ((refresh)) || [[ -n ${refresh_slim:-} ]] || ! has_image docker.io/library/debian:12-slim; then
  # The official slim image leaves out documentation and translations.
  say "making debian:12-slim"
  ctx=$(mktemp -d)
  cat >"$ctx/Dockerfile" <<'SLIM'
FROM debian:12
RUN printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
      'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
      >/etc/dpkg/dpkg.cfg.d/docker \
 && find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete \
 && find /usr/share/doc -mindepth 1 -type d -empty -delete \
 && rm -rf /usr/share/man/* /usr/share/info/* \
 && find /usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
SLIM
  "${PODMAN[@]}" build --format docker --pull=never --squash-all -q -t docker.io/library/debian:12-slim "$ctx" >/dev/null
  rm -rf "$ctx"
fi

# --------------------------------------------------------- PostgreSQL image --
# Rebuilt when its recipe changes: the image carries the recipe's digest.
recipe=$(cat "$HERE/postgres/Dockerfile" "$HERE/postgres/docker-entrypoint.sh" | sha256sum | cut -c1-16)
have=""
if has_image "$POSTGRES_IMAGE"; then
  have=$("${PODMAN[@]}" image inspect --format '{{index .Labels "tsodso.recipe"}}' "$POSTGRES_IMAGE")
fi
if ((refresh)) || [[ $have != "$recipe" ]]; then
  say "building $POSTGRES_IMAGE from Debian's postgresql-15"
  "${PODMAN[@]}" build --format docker --pull=never -q --label "tsodso.recipe=$recipe" \
    -t "$POSTGRES_IMAGE" "$HERE/postgres" >/dev/null
fi
"${PODMAN[@]}" run --rm --pull=never "$POSTGRES_IMAGE" pg_isready --version >/dev/null ||
  { say "$POSTGRES_IMAGE has no pg_isready"; exit 1; }

# Every build after a change to the sources leaves the previous build's
# layers behind untagged: drop those older than a day, so that the store does
# not grow run after run. The current build's layers, the dependency layer
# among them, stay as the cache.
"${PODMAN[@]}" image prune -f --filter until=24h >/dev/null

say "ready: podman $("${PODMAN[@]}" version --format '{{.Client.Version}}'), images debian:12, debian:12-slim, $POSTGRES_IMAGE"
say "run the demo with TSODSO_POSTGRES_IMAGE=$POSTGRES_IMAGE (see README, \"The demo in containers\")"
