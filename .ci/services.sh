#!/usr/bin/env bash
# Services the tests need: PostgreSQL from Debian's packages, a cluster listening on
# 127.0.0.1, and a database and user for the incident-log tests. Idempotent; run as
# root. Prints the environment the tests read, e.g.
#   eval "$(bash .ci/services.sh)"
# Everything else it says goes to stderr, so the eval only ever sees `export` lines.
set -euo pipefail

DB_NAME="${DRILLBIT_PG_DB:-drillbit_test}"
DB_USER="${DRILLBIT_PG_USER:-drillbit}"
DB_PASS="${DRILLBIT_PG_PASSWORD:-drillbit}"

say() { echo "services: $*" >&2; }

# Commands below run as the postgres user, who may not be allowed into the caller's
# folder (a private temporary clone); nothing here uses a relative path.
cd /

if [ "$(id -u)" -ne 0 ]; then
  say "must run as root (installs packages and starts a cluster as the postgres user)"
  exit 1
fi

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  say "installing postgresql from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q postgresql >&2
fi

bin="$(pg_bin)"
version="$(basename "$(dirname "$bin")")"

# A cluster: the package normally creates 'main'; create it when it did not
# (e.g. installed with create_main_cluster = false).
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v' | grep -q .; then
  say "creating cluster $version/main"
  pg_createcluster "$version" main >&2
fi
cluster="$(pg_lsclusters -h | awk -v v="$version" '$1 == v {print $2; exit}')"
port="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $3; exit}')"
status="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $4; exit}')"

if [ "$status" != "online" ]; then
  say "starting cluster $version/$cluster on 127.0.0.1:$port"
  # Debian's default listen_addresses is 'localhost': loopback only.
  pg_ctlcluster "$version" "$cluster" start >&2
fi

# Wait until it answers (a fresh start can take a moment).
for _ in $(seq 1 60); do
  if runuser -u postgres -- psql -p "$port" -qtAc "select 1" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
runuser -u postgres -- psql -p "$port" -qtAc "select 1" >/dev/null

psql_su() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ "$(psql_su -c "select 1 from pg_roles where rolname = '$DB_USER'")" != "1" ]; then
  say "creating role $DB_USER"
  psql_su -c "create role \"$DB_USER\" login password '$DB_PASS'" >&2
else
  psql_su -c "alter role \"$DB_USER\" login password '$DB_PASS'" >&2
fi
if [ "$(psql_su -c "select 1 from pg_database where datname = '$DB_NAME'")" != "1" ]; then
  say "creating database $DB_NAME"
  psql_su -c "create database \"$DB_NAME\" owner \"$DB_USER\"" >&2
fi
# PostgreSQL 15 no longer lets every user create in schema public; the tests create a
# schema per test, which needs CREATE on the database (the owner has it).
psql_su -d "$DB_NAME" -c "alter schema public owner to \"$DB_USER\"" >&2

echo "export DRILLBIT_TEST_PG_URL=postgresql+psycopg://$DB_USER:$DB_PASS@127.0.0.1:$port/$DB_NAME"

# A Docker engine for the chaos tests (the live game days' faults), from Debian's
# packages when none answers, with the static busybox the test images are built from
# (no image is pulled) and iptables for the network faults.
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
# The test images are FROM scratch: only a statically linked busybox runs in them.
ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable' || need+=(busybox-static)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
if [ "${#need[@]}" -gt 0 ]; then
  say "installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q "${need[@]}" >&2
fi
if ! docker version >/dev/null 2>&1; then
  say "starting dockerd"
  nohup dockerd >/var/log/drillbit-dockerd.log 2>&1 &
  for _ in $(seq 1 120); do
    if docker version >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  docker version >/dev/null 2>&1 || { say "dockerd did not start; see /var/log/drillbit-dockerd.log"; exit 1; }
fi
