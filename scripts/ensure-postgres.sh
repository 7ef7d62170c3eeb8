#!/usr/bin/env bash
# Makes sure the local PostgreSQL server that the store tests use is running and has the
# `test` database (test/support/postgres.ts: postgres://postgres@127.0.0.1:5432/test).
# Starts the cluster when it is down. Fails, saying so, when PostgreSQL is not installed:
# the PostgreSQL tests are part of CI and are never skipped silently.
set -euo pipefail
host="${PGHOST_TEST:-127.0.0.1}"
port="${PGPORT_TEST:-5432}"
database="${PGDATABASE_TEST:-test}"
timeout_s="${PG_START_TIMEOUT:-60}"

fail() {
  echo "ensure-postgres: $*" >&2
  exit 1
}

if ! command -v pg_isready >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /etc/postgresql ]; then
  fail "PostgreSQL is not installed on this machine (no pg_isready/pg_ctlcluster or /etc/postgresql).
  The store and replica tests need a local PostgreSQL server on $host:$port with trust auth for user postgres
  and a database '$database'. On Debian: apt-get install postgresql, then run this script again."
fi

as_root=""
if [ "$(id -u)" != 0 ] && [ "$(id -un)" != postgres ]; then
  command -v sudo >/dev/null 2>&1 || fail "PostgreSQL is down and starting it needs root or the postgres user (sudo is not available)"
  as_root="sudo"
fi

if ! pg_isready -q -h "$host" -p "$port"; then
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  [ -n "$version" ] || fail "no cluster under /etc/postgresql"
  echo "ensure-postgres: PostgreSQL $version is not answering on $host:$port; starting cluster $version/main..."
  $as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  deadline=$((SECONDS + timeout_s))
  until pg_isready -q -h "$host" -p "$port"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "PostgreSQL did not become ready on $host:$port within ${timeout_s}s (see /var/log/postgresql/)"
    sleep 0.5
  done
fi

psql_admin() { psql -X -q -h "$host" -p "$port" -U postgres "$@"; }
if ! psql_admin -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
  fail "PostgreSQL answers on $host:$port but user postgres cannot log in without a password (the tests expect trust auth on 127.0.0.1)"
fi
if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
  echo "ensure-postgres: creating database '$database'"
  psql_admin -d postgres -c "CREATE DATABASE \"$database\""
fi
echo "ensure-postgres: PostgreSQL is ready on $host:$port (database '$database')"
