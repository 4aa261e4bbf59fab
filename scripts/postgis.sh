#!/usr/bin/env bash
# Installs (where missing) and starts PostgreSQL + PostGIS from the OS packages, then creates
# the application role, the database and the test database. Safe to run again: each step
# checks before it acts. Settings come from the same variables the application reads.
set -euo pipefail

DB_USER=${REGISTRY_DB_USER:-registry}
DB_PASSWORD=${REGISTRY_DB_PASSWORD:-registry}
DB_NAME=${REGISTRY_DB_NAME:-registry}
TEST_DB_NAME=${REGISTRY_TEST_DB_NAME:-registry_test}
DB_PORT=${REGISTRY_DB_PORT:-5432}
CLUSTER=${REGISTRY_DB_CLUSTER:-main}   # another name makes a cluster of its own (chaos tests)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }

pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n1; }

install_packages() {
  local major; major=$(pg_major)
  if [ -n "$major" ] && [ -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    return
  fi
  echo "postgis.sh: installing PostgreSQL and PostGIS from the OS packages"
  as_root apt-get update -qq
  if [ -n "$major" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$major-postgis-3"
  else
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgis
  fi
}

start_cluster() {
  local major; major=$(pg_major)
  if ! pg_lsclusters -h | awk -v v="$major" -v c="$CLUSTER" '$1 == v && $2 == c' | grep -q .; then
    as_root pg_createcluster "$major" "$CLUSTER" --port "$DB_PORT"
  fi
  if ! pg_lsclusters -h | awk -v v="$major" -v c="$CLUSTER" '$1 == v && $2 == c && $4 == "online"' | grep -q .; then
    as_root pg_ctlcluster "$major" "$CLUSTER" start
  fi
  for _ in $(seq 1 30); do
    as_postgres pg_isready -q -p "$DB_PORT" && return
    sleep 1
  done
  echo "postgis.sh: PostgreSQL did not become ready on port $DB_PORT" >&2
  exit 1
}

psql_admin() { as_postgres env PGOPTIONS=--client-min-messages=warning psql -v ON_ERROR_STOP=1 -qAt -p "$DB_PORT" "$@"; }

create_role_and_databases() {
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]; then
    psql_admin -c "CREATE ROLE \"$DB_USER\" LOGIN CREATEDB PASSWORD '$DB_PASSWORD'"
  fi
  # PostGIS in template1: databases the tests create for themselves get it without superuser.
  psql_admin -d template1 -c "CREATE EXTENSION IF NOT EXISTS postgis"
  for db in "$DB_NAME" "$TEST_DB_NAME"; do
    if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
      psql_admin -c "CREATE DATABASE \"$db\" OWNER \"$DB_USER\""
    fi
    psql_admin -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  done
}

install_packages
start_cluster
create_role_and_databases
echo "postgis.sh: PostgreSQL + PostGIS ready on 127.0.0.1:$DB_PORT (cluster $CLUSTER, database $DB_NAME, tests $TEST_DB_NAME)"
