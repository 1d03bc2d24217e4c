# shellcheck shell=bash
# Helpers of scripts/bench.sh. Expects to run from the repository root.

bench_fail() { echo "bench: $*" >&2; exit 1; }

# A copy of the sources to build from, outside the shared work tree: builds here never touch
# src/*/obj of people working in the tree, and a HEAD snapshot makes "which commit" an honest answer.
bench_snapshot() {
  local rev; rev=$(git rev-parse "${1:-HEAD}")
  if [ "${BENCH_SRC:-head}" = tree ]; then
    BENCH_SNAPSHOT=/tmp/etlfast-bench-src.tree
    BENCH_SNAPSHOT_SOURCE="the working tree at commit $rev with $(git status --porcelain -- src | wc -l) uncommitted changes under src/"
    rm -rf "$BENCH_SNAPSHOT"
    mkdir -p "$BENCH_SNAPSHOT"
    tar -C . --exclude=.git --exclude=bin --exclude=obj --exclude=artifacts -cf - . | tar -C "$BENCH_SNAPSHOT" -xf -
  else
    BENCH_SNAPSHOT=/tmp/etlfast-bench-src.$rev
    BENCH_SNAPSHOT_SOURCE="commit $rev (clean snapshot)"
    if [ ! -f "$BENCH_SNAPSHOT/EtlFast.sln" ]; then
      mkdir -p "$BENCH_SNAPSHOT"
      git archive "$rev" | tar -C "$BENCH_SNAPSHOT" -xf -
    fi
  fi
  # The bench helpers come from the work tree (they may be newer than HEAD).
  mkdir -p "$BENCH_SNAPSHOT/scripts/lib/bench"
  cp -r scripts/lib/bench/AllocProbe "$BENCH_SNAPSHOT/scripts/lib/bench/"
}

# Publishes the NativeAOT binary into DIR unless BENCH_SKIP_PUBLISH is set and DIR/etlfast is the one
# this script published there (DIR/etlfast.source records its hash and sources): a binary that
# anything else wrote is never measured, since no one could say what it was built from.
bench_publish() {
  local dir=$1
  if [ -n "${BENCH_SKIP_PUBLISH:-}" ] && [ -x "$dir/etlfast" ]; then
    if [ -f "$dir/etlfast.source" ] && [ "$(cut -f1 "$dir/etlfast.source")" = "$(sha256sum "$dir/etlfast" | cut -d' ' -f1)" ]; then
      echo "== reusing $dir/etlfast (BENCH_SKIP_PUBLISH): $(cut -f2 "$dir/etlfast.source")" >&2
      return 0
    fi
    echo "== $dir/etlfast was not published by bench.sh (or was overwritten since): publishing again" >&2
  fi
  bench_snapshot
  echo "== publishing the NativeAOT binary from $BENCH_SNAPSHOT_SOURCE (takes minutes)" >&2
  mkdir -p "$dir"
  # Trim/AOT warnings are the smoke test's business (scripts/aot-smoke.sh fails on them); here they
  # must not stop a measurement, so they stay warnings and are counted into the record.
  local plog=/tmp/etlfast-bench-publish.$$.log warnings
  (cd "$BENCH_SNAPSHOT" && dotnet publish src/EtlFast.Cli -c Release -r linux-x64 -o "$root/$dir" -nologo -v quiet \
     -p:TreatWarningsAsErrors=false) >"$plog" 2>&1 || { tail -n 30 "$plog" >&2; bench_fail "dotnet publish failed"; }
  warnings=$(grep -Eo "warning (IL|AOT)[0-9]+" "$plog" | wc -l || true)
  rm -f "$plog"
  printf '%s\t%s\n' "$(sha256sum "$dir/etlfast" | cut -d' ' -f1)" "$BENCH_SNAPSHOT_SOURCE; publish raised $warnings trim/AOT warnings" >"$dir/etlfast.source"
}

bench_binary_source() {
  local dir=$1 hash
  hash=$(sha256sum "$dir/etlfast" | cut -d' ' -f1)
  if [ -f "$dir/etlfast.source" ] && [ "$(cut -f1 "$dir/etlfast.source")" = "$hash" ]; then
    cut -f2 "$dir/etlfast.source"
  else
    echo "unknown build ($dir/etlfast was not published by bench.sh; work tree at $(git rev-parse HEAD))"
  fi
}

# The snapshot the binary came from (a reused binary: the commit its record names).
bench_snapshot_of_binary() {
  local rev
  if [ -z "${BENCH_SNAPSHOT:-}" ]; then
    rev=$(sed -n 's/^commit \([0-9a-f]\{40\}\) (clean snapshot.*/\1/p' <<<"$etlfast_source")
    bench_snapshot "${rev:-HEAD}"
  fi
}

# Builds the allocation probe (JIT, Release) from the snapshot the binary came from; prints the path of its dll.
bench_build_probe() {
  bench_snapshot_of_binary
  (cd "$BENCH_SNAPSHOT" && dotnet build scripts/lib/bench/AllocProbe -c Release -o "$BENCH_SNAPSHOT/probe-out" -nologo -v quiet -clp:ErrorsOnly) >&2 \
    || return 1
  echo "$BENCH_SNAPSHOT/probe-out/AllocProbe.dll"
}

# Builds the MongoDB wire-protocol test server (JIT, Release) from the same snapshot; prints the path of its dll.
bench_build_wireserver() {
  bench_snapshot_of_binary
  (cd "$BENCH_SNAPSHOT" && dotnet build tests/EtlFast.WireServer -c Release -o "$BENCH_SNAPSHOT/wire-out" -nologo -v quiet -clp:ErrorsOnly) >&2 \
    || return 1
  echo "$BENCH_SNAPSHOT/wire-out/EtlFast.WireServer.dll"
}

# Starts the wire server once (script mode, like scripts/aot-smoke.sh) with COLLECTION_SPEC preloaded
# (db.coll=path.bson) and waits until it listens. Sets WIRE_PID and WIRE_URI (mongodb://127.0.0.1:PORT/).
# `dotnet X.dll` runs the app in its own process (no child), so WIRE_PID's /proc stat is the server's CPU.
bench_wire_start() {
  local dll=$1 spec=$2 outfile=$3 i
  dotnet "$dll" --port 0 --load "$spec" --no-stdin >"$outfile" 2>&1 &
  WIRE_PID=$!
  for i in $(seq 1 1200); do
    grep -q '^listening ' "$outfile" && break
    kill -0 "$WIRE_PID" 2>/dev/null || bench_fail "the wire test server exited: $(cat "$outfile")"
    sleep 0.1
  done
  WIRE_URI=$(sed -n 's/^listening //p' "$outfile" | head -1)
  [ -n "$WIRE_URI" ] || bench_fail "the wire test server did not start within 120 s: $(cat "$outfile")"
}

# SIGTERM (the server exits 0 on it), then wait; only the process this script started.
bench_wire_stop() {
  [ -n "${WIRE_PID:-}" ] || return 0
  kill -TERM "$WIRE_PID" 2>/dev/null || true
  wait "$WIRE_PID" 2>/dev/null || true
  WIRE_PID=
}

# utime+stime ticks of the wire server (all its threads), 0 when there is none. Bash builtins only, like
# bench_busy_ticks: it brackets the timed run. After "pid (comm) ", utime and stime are fields 12 and 13.
bench_source_ticks() {
  local stat
  if [ -z "${WIRE_PID:-}" ] || ! read -r stat 2>/dev/null </proc/"$WIRE_PID"/stat; then
    echo 0
    return
  fi
  local -a f
  read -r -a f <<<"${stat##*) }"
  echo $((f[11] + f[12]))
}

# "table<TAB>rows" for every table of a schema, sorted by table name.
bench_row_counts() {
  local schema=$1 sql
  sql=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT string_agg(format('SELECT %L, count(*) FROM %I.%I', tablename, schemaname, tablename), ' UNION ALL ' ORDER BY tablename) FROM pg_tables WHERE schemaname = '$schema'")
  [ -n "$sql" ] || bench_fail "schema $schema has no tables"
  psql -X -At -F $'\t' -v ON_ERROR_STOP=1 -c "$sql" | LC_ALL=C sort
}

bench_same_rows() {
  local expected=$1 got=$2 what=$3
  if ! diff -u "$expected" "$got" >&2; then
    bench_fail "$what: rows per table differ from the prepared load's (expected - / got +)"
  fi
}

# CPU ticks of the PostgreSQL server: the postmaster with its reaped children, plus its live children.
bench_server_ticks() { python3 scripts/lib/bench/ticks.py server "$(head -1 "$PG_SCRATCH/data/postmaster.pid")"; }
# Non-idle CPU ticks of the whole machine (/proc/stat: total - idle - iowait). Bash builtins only: it
# brackets the timed run, and a process start on a loaded machine would widen the window.
bench_busy_ticks() {
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}
bench_ticks_to_s() { python3 -c "print(f'{$1 / $(getconf CLK_TCK):.2f}')"; }

# The baseline run (kind a) as a script: drop + bare tables, 2 COPY streams, 2 key (and index) streams, 2 FK streams.
bench_write_baseline() {
  local sql=$1
  cat <<EOF
#!/usr/bin/env bash
# Baseline: psql \\copy of pre-rendered CSV into bare tables over two streams, then the keys.
# Prints "phase NAME START END" (epoch seconds) per step for the report's breakdown.
set -euo pipefail
p() { psql -X -q -v ON_ERROR_STOP=1 "\$@"; }
t0=\$EPOCHREALTIME
p -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS bench_a CASCADE" -f '$sql/ddl.sql' >/dev/null
echo "phase ddl \$t0 \$EPOCHREALTIME"
for wave in copy pk fk; do
  t0=\$EPOCHREALTIME
  p -f "$sql/\${wave}1.sql" & s1=\$!
  p -f "$sql/\${wave}2.sql" & s2=\$!
  wait \$s1
  wait \$s2
  echo "phase \$wave \$t0 \$EPOCHREALTIME"
done
EOF
}

bench_write_meta() {
  local k
  printf 'date\t%s\n' "$(date -u +'%Y-%m-%d %H:%M UTC')"
  printf 'workload\t%s\n' "$workload"
  printf 'users\t%s\n' "$users"
  printf 'documents\t%s\n' "$documents"
  printf 'keys\t%s\n' "$npk"
  printf 'indexes\t%s\n' "$nidx"
  printf 'foreign_keys\t%s\n' "$nfk"
  printf 'reps\t%s\n' "$reps"
  printf 'bson_bytes\t%s\n' "$bson_bytes"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'cpu_model\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'mem_total\t%s\n' "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  printf 'kernel\t%s\n' "$(uname -r)"
  printf 'postgresql\t%s\n' "$(psql -X -At -c 'SHOW server_version')"
  printf 'dotnet_sdk\t%s\n' "$(dotnet --version 2>/dev/null || echo '?')"
  printf 'dotnet_runtime\t%s\n' "$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')"
  printf 'etlfast_version\t%s\n' "$("$bin" --version 2>/dev/null | head -1)"
  printf 'etlfast_source\t%s\n' "$etlfast_source"
  printf 'binary_mb\t%s\n' "$(du -m "$bin" | cut -f1)"
  printf 'jobs\t%s\n' "${BENCH_JOBS:-default ($(nproc), the core count)}"
  printf 'chunk\t%s\n' "4 MiB (default)"
  for k in fsync synchronous_commit full_page_writes wal_level shared_buffers max_wal_size maintenance_work_mem max_parallel_maintenance_workers work_mem autovacuum; do
    printf 'pg.%s\t%s\n' "$k" "$(psql -X -At -c "SHOW $k")"
  done
  printf 'streams\t%s\n' "$(tr '\n' ';' <"$scratch/sql/streams.txt")"
  printf 'loadavg_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$live" = 1 ]; then
    printf 'live_source\t%s\n' "etlfast load --from $live_from -c users --mapping examples/seed-users.json --mode clean --schema bench_d --sink null${BENCH_JOBS:+ -j $BENCH_JOBS}"
  fi
}
