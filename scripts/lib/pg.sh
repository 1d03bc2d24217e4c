# shellcheck shell=bash
# Throwaway PostgreSQL owned by the calling script: initdb into a scratch directory as the
# `postgres` user, listen on a free loopback port, stop (and delete) on exit.
# Usage: source scripts/lib/pg.sh; pg_ensure_installed; pg_start; ... ; (pg_stop runs on EXIT)
# Exports PGHOST PGPORT PGUSER PGDATABASE and ETLFAST_TEST_PG (a keyword connection string).

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

pg_ensure_installed() {
  if ! pg_bindir >/dev/null; then
    echo "postgresql is missing: installing it with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    # Debian's package starts a cluster of its own; we use our own scratch cluster only.
    if command -v pg_lsclusters >/dev/null; then
      pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true; done
    fi
  fi
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
}

pg_free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

pg_start() {
  local bindir; bindir=$(pg_bindir) || { echo "no PostgreSQL server binaries found" >&2; return 1; }
  PG_SCRATCH=$(mktemp -d /tmp/etlfast-pg.XXXXXX)
  chown postgres: "$PG_SCRATCH"
  chmod 700 "$PG_SCRATCH"
  PGPORT=$(pg_free_port)
  su postgres -s /bin/sh -c "'$bindir/initdb' -D '$PG_SCRATCH/data' -U postgres -A trust -E UTF8 --locale=C.UTF-8 >'$PG_SCRATCH/initdb.log' 2>&1" \
    || { cat "$PG_SCRATCH/initdb.log" >&2; return 1; }
  # Settings for a throwaway test/bench server: no durability needed, enough connections for
  # parallel workers and tests. fsync stays configurable for benchmarks (PG_FSYNC=on).
  cat >>"$PG_SCRATCH/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PG_SCRATCH'
max_connections = 200
shared_buffers = 512MB
max_wal_size = 4GB
fsync = ${PG_FSYNC:-off}
synchronous_commit = off
full_page_writes = off
maintenance_work_mem = 512MB
max_parallel_maintenance_workers = 2
CONF
  su postgres -s /bin/sh -c "'$bindir/pg_ctl' -D '$PG_SCRATCH/data' -l '$PG_SCRATCH/server.log' -w -t 60 start >/dev/null" \
    || { cat "$PG_SCRATCH/server.log" >&2; return 1; }
  PG_BINDIR=$bindir
  export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres PG_SCRATCH PG_BINDIR
  export ETLFAST_TEST_PG="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=postgres"
  trap pg_stop EXIT
  echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') running on 127.0.0.1:$PGPORT (data in $PG_SCRATCH)" >&2
}

pg_stop() {
  [ -n "${PG_SCRATCH:-}" ] && [ -d "$PG_SCRATCH/data" ] || return 0
  su postgres -s /bin/sh -c "'$PG_BINDIR/pg_ctl' -D '$PG_SCRATCH/data' -m immediate -w stop >/dev/null 2>&1" || true
  rm -rf "$PG_SCRATCH"
  PG_SCRATCH=
}
