#!/usr/bin/env bash
# Start PostgreSQL 15 as the postgres user on $PGDATA, creating the cluster,
# the POSTGRES_USER role (password POSTGRES_PASSWORD, or the content of
# POSTGRES_PASSWORD_FILE) and the POSTGRES_DB database on the first start.
# Any other command runs as given.
set -euo pipefail

if [[ ${1:-} == -* ]]; then
  set -- postgres "$@"
fi
if [[ ${1:-} != postgres ]]; then
  exec "$@"
fi

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

if [[ $(id -u) -eq 0 ]]; then
  # A fresh named volume or bind mount may belong to root.
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  if [[ -n ${POSTGRES_PASSWORD_FILE:-} ]]; then
    POSTGRES_PASSWORD=$(<"$POSTGRES_PASSWORD_FILE")
  fi
  if [[ -z ${POSTGRES_PASSWORD:-} ]]; then
    echo "docker-entrypoint: POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) must be set" >&2
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  trap - EXIT
  # Other containers reach it over the container network, with a password.
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [[ $db != postgres ]]; then
    # Single-user mode: nothing listens until the database exists.
    printf 'CREATE DATABASE "%s" OWNER "%s";\n' "${db//\"/\"\"}" "${user//\"/\"\"}" |
      postgres --single -j -D "$PGDATA" postgres >/dev/null
  fi
  echo "docker-entrypoint: created the cluster in $PGDATA, role $user, database $db"
fi

exec "$@"
