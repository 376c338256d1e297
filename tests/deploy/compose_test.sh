#!/usr/bin/env bash
# Check the container demo without a Docker engine: deploy/docker-compose.yml
# validates with Debian's docker-compose, every service runs the image that
# deploy/Dockerfile builds (the database aside) in the order the demo needs,
# every script and file it runs exists, and the configuration the gateway
# container starts with is accepted by the daemon.
#
#   tests/deploy/compose_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SRC=$(cd "$1" && pwd)
BUILD=$2
COMPOSE=$SRC/deploy/docker-compose.yml
DOCKERFILE=$SRC/deploy/Dockerfile

fail() { echo "FAIL: $*" >&2; exit 1; }

command -v docker-compose >/dev/null || fail "docker-compose is not installed (deploy/install-deps.sh installs it)"
[[ -f $DOCKERFILE ]] || fail "no deploy/Dockerfile"

# docker-compose validates against its schema and normalises the file:
# anchors merged, paths absolute, short forms expanded.
normalized=$(mktemp)
trap 'rm -f "$normalized"' EXIT
# The file's defaults, as a newcomer gets them: the variables that choose
# another PostgreSQL image or host port (the stack test sets them) unset.
compose() { env -u TSODSO_POSTGRES_IMAGE -u TSODSO_GATEWAY_PORT -u TSODSO_PROMETHEUS_PORT docker-compose -f "$COMPOSE" "$@"; }
compose config -q || fail "docker-compose config -q rejects $COMPOSE"
compose config >"$normalized"
echo "ok    docker-compose config -q"

# python3-yaml comes with docker-compose (a dependency of the Debian package).
python3 - "$SRC" "$normalized" <<'PY'
import os
import sys

import yaml

src, normalized = sys.argv[1], sys.argv[2]
with open(normalized) as f:
    doc = yaml.safe_load(f)
services = doc.get("services", {})
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


app_services = ["certs", "gateway", "tso", "agg1", "agg2", "operator"]
check(sorted(services) == sorted(app_services + ["postgres", "prometheus"]),
      f"services are postgres, prometheus + {', '.join(app_services)} (got {', '.join(sorted(services))})")

# The database: Debian-based PostgreSQL 15, data in a named volume, healthy
# only when it accepts connections to the gateway's database.
pg = services.get("postgres", {})
check(pg.get("image") == "postgres:15-bookworm", "postgres runs postgres:15-bookworm")
check("build" not in pg, "postgres is not built from deploy/Dockerfile")
pg_volumes = pg.get("volumes", [])
check(any(str(v).split(":")[1:2] == ["/var/lib/postgresql/data"] and str(v).split(":")[0] in doc.get("volumes", {})
          for v in pg_volumes), "postgres keeps its data in a named volume")
check("pg_isready" in pg.get("healthcheck", {}).get("test", []), "postgres has a pg_isready health check")
env = pg.get("environment", {})
check(all(env.get(k) == "tsodso" for k in ("POSTGRES_USER", "POSTGRES_DB")), "postgres user and database are tsodso")

# Everything else: the one image, built from deploy/Dockerfile with the
# repository as context.
images = set()
for name in app_services:
    s = services.get(name, {})
    build = s.get("build", {})
    check(os.path.realpath(build.get("context", "")) == os.path.realpath(src)
          and build.get("dockerfile") == "deploy/Dockerfile",
          f"{name} is built from deploy/Dockerfile with the repository as context")
    images.add(s.get("image"))
check(len(images) == 1 and None not in images, f"the application services share one image ({images})")


def depends(name):
    d = services.get(name, {}).get("depends_on", {})
    return d if isinstance(d, dict) else {k: {"condition": "service_started"} for k in d}


def condition(name, on):
    return depends(name).get(on, {}).get("condition")


def mounts(name):
    return [str(v) for v in services.get(name, {}).get("volumes", [])]


# The certificate job writes into the certs volume; everyone else reads it.
check(depends("certs") == {}, "certs depends on nothing")
check("certs:/opt/tsodso/var/certs:rw" in mounts("certs") or "certs:/opt/tsodso/var/certs" in mounts("certs"),
      "certs writes the certs volume at /opt/tsodso/var/certs")
check(services.get("certs", {}).get("command", [])[:2] == ["bash", "deploy/certs/make-demo-certs.sh"],
      "certs runs deploy/certs/make-demo-certs.sh")

gw = services.get("gateway", {})
check(condition("gateway", "postgres") == "service_healthy", "gateway waits for a healthy postgres")
check(condition("gateway", "certs") == "service_completed_successfully", "gateway waits for the certificates")
check(gw.get("command", [])[:1] == ["tsodso-gatewayd"] and "--listen" in gw.get("command", []),
      "gateway runs tsodso-gatewayd with --listen")
check(str(gw.get("environment", {}).get("TSODSO_DATABASE_DSN", "")).startswith("host=postgres "),
      "gateway's TSODSO_DATABASE_DSN names the postgres service")
check(f"{os.path.realpath(os.path.join(src, 'config'))}:/opt/tsodso/config:ro" in mounts("gateway"),
      "gateway mounts ../config read-only at /opt/tsodso/config")
check("certs:/opt/tsodso/var/certs:ro" in mounts("gateway"), "gateway mounts the certs volume read-only")
check(any(isinstance(p, dict) and str(p.get("target")) == "50051" and str(p.get("published")) == "50051"
          for p in gw.get("ports", [])),
      "gateway publishes port 50051 on the host's 50051")
check(gw.get("restart") == "unless-stopped", "gateway restarts unless stopped")

# Prometheus: Debian's package in its own image, the demo's scrape
# configuration and the gateway's alert rules, which must agree.
prom = services.get("prometheus", {})
prom_build = prom.get("build", {})
check(os.path.realpath(prom_build.get("context", "")) == os.path.realpath(src)
      and prom_build.get("dockerfile") == "deploy/containers/prometheus/Dockerfile",
      "prometheus is built from deploy/containers/prometheus/Dockerfile with the repository as context")
check(prom.get("image") not in images, "prometheus runs an image of its own")
check(any(isinstance(p, dict) and str(p.get("target")) == "9090" and str(p.get("published")) == "9090"
          for p in prom.get("ports", [])),
      "prometheus publishes port 9090 on the host's 9090")
check("--metrics-listen" in gw.get("command", []) and "0.0.0.0:9464" in gw.get("command", []),
      "gateway serves its metrics on 0.0.0.0:9464")
with open(os.path.join(src, "deploy", "prometheus", "prometheus.yml")) as f:
    prom_config = yaml.safe_load(f)
targets = [t for job in prom_config.get("scrape_configs", []) for sc in job.get("static_configs", [])
           for t in sc.get("targets", [])]
check(targets == ["gateway:9464"], f"prometheus scrapes gateway:9464 (got {targets})")
check(prom_config.get("rule_files") == ["alerts.yml"], "prometheus loads the alert rules")

for name in ("tso", "agg1", "agg2", "operator"):
    s = services.get(name, {})
    check(set(depends(name)) == {"gateway"} and condition(name, "gateway") == "service_healthy",
          f"{name} waits for a healthy gateway")
    env = s.get("environment", {})
    check(env.get("TSODSO_SERVER") == "gateway:50051" and env.get("TSODSO_CERTS") == "/opt/tsodso/var/certs",
          f"{name} reaches gateway:50051 with the certificates in /opt/tsodso/var/certs")
    check("certs:/opt/tsodso/var/certs:ro" in mounts(name), f"{name} mounts the certs volume read-only")

# What each container runs, relative to /opt/tsodso in the image, is the
# repository's deploy/ and config/: every such path must exist, and every
# script must parse.
scripts = []
for name, s in sorted(services.items()):
    for arg in s.get("command", []) or []:
        arg = str(arg)
        if arg.startswith(("deploy/", "config/")):
            path = os.path.join(src, arg)
            check(os.path.exists(path), f"{name}: {arg} exists in the repository")
            if arg.endswith(".sh") and os.path.exists(path):
                scripts.append(path)
for path in sorted(set(scripts)):
    rc = os.spawnlp(os.P_WAIT, "bash", "bash", "-n", path)
    check(rc == 0, f"bash -n {os.path.relpath(path, src)}")

# The same parties with the same arguments natively: each demo script's
# command line appears in deploy/run-local.sh (continuation lines joined).
with open(os.path.join(src, "deploy", "run-local.sh")) as f:
    native = " ".join(f.read().replace("\\\n", " ").split())
for name in ("tso", "agg1", "agg2", "operator"):
    cmd = [str(a) for a in services.get(name, {}).get("command", []) or []]
    if len(cmd) >= 2 and cmd[0] == "bash":
        args = " ".join(cmd[2:])
        script = "/" + cmd[1]
        check(script in native and (not args or f"{script} {args}" in native.replace('"$ROOT', "").replace('.sh"', ".sh")),
              f"{name}: run-local.sh runs {cmd[1]} {args} too")

if failures:
    sys.exit(1)
PY

# The image's layout and user, as docker-compose.yml relies on them.
grep -Eq '^FROM debian:12 AS build$' "$DOCKERFILE" || fail "the build stage is not debian:12"
grep -Eq '^FROM debian:12-slim$' "$DOCKERFILE" || fail "the runtime stage is not debian:12-slim"
grep -Eq '^USER tsodso$' "$DOCKERFILE" || fail "the image does not run as tsodso"
grep -Eq '^EXPOSE 50051$' "$DOCKERFILE" || fail "the image does not expose 50051"
grep -Eq '^WORKDIR /opt/tsodso$' "$DOCKERFILE" || fail "the image's working directory is not /opt/tsodso"
grep -q '"health"\]' "$DOCKERFILE" || fail "the image's HEALTHCHECK does not use tsodso health"
grep -q 'deploy/install-deps.sh' "$DOCKERFILE" || fail "the build stage does not use deploy/install-deps.sh"
echo "ok    deploy/Dockerfile: debian:12 build, debian:12-slim runtime as tsodso, health check, port 50051"
for ignored in .git/ build/ var/; do
  grep -qxF "$ignored" "$SRC/.dockerignore" || fail ".dockerignore does not leave out $ignored"
done
echo "ok    .dockerignore leaves out .git/, build/ and var/"

# The gateway container's configuration and flags, as the daemon reads them.
TSODSO_DATABASE_DSN="host=postgres dbname=tsodso user=tsodso password=tsodso" \
  "$BUILD/bin/tsodso-gatewayd" --config "$SRC/config/gateway.yaml" --listen 0.0.0.0:50051 --check-config ||
  fail "tsodso-gatewayd --check-config rejects config/gateway.yaml"
echo "ok    tsodso-gatewayd --config config/gateway.yaml --listen 0.0.0.0:50051 --check-config"
echo "compose_test: all checks passed"
