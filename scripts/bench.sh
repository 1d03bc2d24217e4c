#!/usr/bin/env bash
# End-to-end benchmark: `etlfast load` against the ingest ceiling (plain COPY of pre-rendered CSV
# through two psql streams into bare tables, keys added afterwards), measured in the same run on
# the same throwaway PostgreSQL, runs alternating a,b,c,d,a,b,c,d,... so drift hits every kind alike.
#   scripts/bench.sh [USERS]            (default 100000; writes bench/results/<date>-<USERS>.{md,json}, or
#                                        <date>-<USERS>-2, -3, ... when that exists: results are never overwritten)
#   scripts/bench.sh app [ORDERS]       the whole-database workload: `etlfast gen app` (app_db: 5 collections,
#                                        references between them, orders ~85% of the bytes; default 1000000
#                                        orders), loaded with examples/app/; writes <date>-app-<ORDERS>.{md,json}
# Kinds:
#   a  baseline: psql \copy FROM csv, 2 streams, then the primary keys (and indexes) over 2 streams, then
#      the foreign keys over 2 streams: the same tables, keys and indexes etlfast made (seed: 15 PKs, 14 FKs)
#   b  etlfast load --mode clean (default jobs, constraints after); app: from the dump directory
#   c  etlfast load --sink null (read, walk, encode; nothing sent to PostgreSQL)
#   e  app only: etlfast load --mode clean from the same database as one mongodump archive file
#   d  etlfast load --from mongodb://127.0.0.1:PORT/sample_db -c users --sink null: c's work, the same
#      documents read live through the official MongoDB driver from the wire-protocol test server
#      (tests/EtlFast.WireServer, JIT, started once after generation with users.bson preloaded and warmed
#      by one untimed d run, all outside the timing; stopped at the end). Client CPU is etlfast's only; the server's CPU during each d run
#      (/proc/PID/stat utime+stime) is reported apart as "source server CPU". The summary sets d against
#      c: client CPU per M rows and per document, d/c, and the driver's extra CPU per document.
# Environment:
#   BENCH_REPS=3            repetitions of each kind
#   BENCH_AOT_DIR=DIR       where the NativeAOT binary is published (default artifacts/aot-bench, not
#                           artifacts/aot, which scripts/aot-smoke.sh republishes from any tree)
#   BENCH_SKIP_PUBLISH=1    reuse the binary this script published there before (else publish it)
#   BENCH_SRC=head|tree     publish from a clean snapshot of HEAD (default) or of the working tree
#   BENCH_JOBS=N            pass -j N to etlfast (default: its own default, the core count)
#   BENCH_ALLOC=0           skip the allocation probe (a JIT run of the engine that prints AllocatedBytes;
#                           file source with the null and postgres sinks, and the live source (d) with null)
#   BENCH_LIVE=0            skip kind d (no wire server is built or started)
#   BENCH_OUT=DIR           where results go (default bench/results)
#   PG_FSYNC=on             a durable server (the scratch default is fsync=off)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
workload=users
if [ "${1:-}" = app ]; then workload=app; shift; fi
users=${1:-$([ "$workload" = app ] && echo 1000000 || echo 100000)}   # users, or the app's orders
reps=${BENCH_REPS:-3}
live=${BENCH_LIVE:-1}
out=${BENCH_OUT:-bench/results}
jobs_flag=()
[ -n "${BENCH_JOBS:-}" ] && jobs_flag=(-j "$BENCH_JOBS")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
source scripts/lib/bench/common.sh

[[ $users =~ ^[0-9]+$ ]] && [ "$users" -gt 0 ] || bench_fail "USERS (ORDERS for app) must be a positive integer, not \"$users\""
[[ $reps =~ ^[0-9]+$ ]] && [ "$reps" -ge 1 ] || bench_fail "BENCH_REPS must be a positive integer"
[[ $live =~ ^[01]$ ]] || bench_fail "BENCH_LIVE must be 0 or 1"
[ -x /usr/bin/time ] || { echo "installing GNU time" >&2; apt-get update -qq >&2; apt-get install -y -qq time >&2; }

scratch=$(mktemp -d /tmp/etlfast-bench.XXXXXX)
log=$scratch/log
mkdir -p "$log" "$scratch/csv" "$scratch/sql"
bench_cleanup() { bench_wire_stop; pg_stop; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$scratch"; }
trap 'rm -rf "$scratch"' EXIT

# 1. The binary, built once, and a private copy of it. Its own directory: scripts/aot-smoke.sh (run
#    by scripts/test.sh) republishes artifacts/aot from whatever tree it runs in, at any time.
aot=${BENCH_AOT_DIR:-artifacts/aot-bench}
bench_publish "$aot"
bin=$scratch/etlfast
cp "$aot/etlfast" "$bin"
etlfast_source=$(bench_binary_source "$aot")
echo "etlfast: $etlfast_source" >&2

source scripts/lib/pg.sh
pg_ensure_installed
pg_start
trap bench_cleanup EXIT
psql_q() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }
# Autovacuum would analyze each fresh table during the next run, on a 2-core machine: off, and said so.
psql_q "ALTER SYSTEM SET autovacuum = off" >/dev/null
psql_q "SELECT pg_reload_conf()" >/dev/null

# 2. The workload, generated once. src_b is what (b) and (c) load, src_e what (e) loads.
if [ "$workload" = users ]; then
  bson=$scratch/users.bson
  echo "== generating $users users (seed 42)" >&2
  "$bin" gen users --count "$users" --seed 42 -o "$bson" -q
  bson_bytes=$(stat -c %s "$bson")
  src_b=(--from "$bson" --mapping examples/seed-users.json)
  kinds=(a b c)
else
  echo "== generating app_db with $users orders (seed 42): a dump directory and an archive of the same bytes" >&2
  "$bin" gen app --count "$users" --seed 42 -o "$scratch/dump" -q
  "$bin" gen app --count "$users" --seed 42 -o "$scratch/app.archive" -q
  bson_bytes=$(cat "$scratch"/dump/app_db/*.bson | wc -c)
  src_b=(--from "$scratch/dump" --mapping examples/app)
  src_e=(--from "$scratch/app.archive" --mapping examples/app)
  kinds=(a b c e)
  # The live source and the allocation probe read one collection of the seed; neither applies here.
  [ "$live" = 0 ] || echo "   (the app workload has no live kind d: BENCH_LIVE ignored)" >&2
  live=0
  BENCH_ALLOC=0
fi

# 2b. The live source for kind d: the wire-protocol test server, built from the binary's snapshot and
#     started once with the same users.bson; it holds the documents in memory and idles between d runs.
if [ "$live" = 1 ]; then
  kinds+=(d)
  echo "== starting the MongoDB wire test server (JIT build from the snapshot)" >&2
  bench_snapshot_of_binary   # here, not in the $(...) below: later builds must find (not redo) the snapshot it runs from
  wire_dll=$(bench_build_wireserver) || bench_fail "could not build the wire test server"
  bench_wire_start "$wire_dll" "sample_db.users=$bson" "$log/wire-server.out"
  live_from=${WIRE_URI}sample_db
  echo "   $live_from (pid $WIRE_PID); one untimed d run to warm it up" >&2
  # The server is a JIT build: its first pass over the collection (tier-0 code, then OSR and tier-1
  # compiles) cost it ~4x the CPU of later passes and made that d run ~2x slower; not the driver's cost.
  if ! "$bin" load --from "$live_from" -c users --mapping examples/seed-users.json --mode clean --schema bench_d --sink null \
       "${jobs_flag[@]}" >"$log/d0.out" 2>"$log/d0.err"; then
    cat "$log/d0.err" >&2
    bench_fail "the warm-up live run failed"
  fi
fi

# 3. The baseline's input, prepared outside the timing: one etlfast load into bench_a, its bare-table
#    DDL (pg_dump pre-data: no keys), its keys as ALTER statements, and every table as CSV.
echo "== preparing the baseline (load, export to CSV)" >&2
"$bin" load "${src_b[@]}" --mode clean --schema bench_a 2>"$log/prepare.err" || { cat "$log/prepare.err" >&2; bench_fail "the preparing load failed"; }
documents=$(python3 -c "import sys; sys.path.insert(0, 'scripts/lib/bench'); import summary; print(summary.parse('$log/prepare.err')['documents'])")
pg_dump --schema-only --section=pre-data -n bench_a >"$scratch/sql/ddl.sql"
bench_row_counts bench_a >"$scratch/rows-expected.tsv"
mapfile -t tables < <(cut -f1 "$scratch/rows-expected.tsv")
for t in "${tables[@]}"; do
  psql -X -q -v ON_ERROR_STOP=1 -c "\\copy bench_a.$t TO '$scratch/csv/$t.csv' (FORMAT csv)"
done
# Keys and indexes as etlfast made them: "kind<TAB>table<TAB>referenced table<TAB>statement"; p primary
# key, u unique constraint, i an index no constraint owns (a foreign key's conindid is the key it references).
psql_q "SELECT c.contype, c.conrelid::regclass, coalesce(c.confrelid::regclass::text, ''),
               format('ALTER TABLE %s ADD CONSTRAINT %I %s;', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
        FROM pg_constraint c WHERE c.connamespace = 'bench_a'::regnamespace AND c.contype IN ('p', 'u', 'f')
        UNION ALL
        SELECT 'i', x.indrelid::regclass, '', pg_get_indexdef(x.indexrelid) || ';'
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE i.relnamespace = 'bench_a'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))
        ORDER BY 1 DESC, 2" | tr '|' '\t' >"$scratch/sql/keys.tsv"
npk=$(grep -c '^[pu]' "$scratch/sql/keys.tsv" || true); nfk=$(grep -c '^f' "$scratch/sql/keys.tsv" || true)
nidx=$(grep -c '^i' "$scratch/sql/keys.tsv" || true)
if [ "$workload" = users ]; then
  [ "${#tables[@]}" = 15 ] || bench_fail "expected 15 tables in bench_a, found ${#tables[@]}"
  [ "$npk" = 15 ] && [ "$nfk" = 14 ] && [ "$nidx" = 0 ] || bench_fail "expected 15 primary keys, 14 foreign keys and no index in bench_a, found $npk, $nfk and $nidx"
fi
python3 scripts/lib/bench/split_streams.py "$scratch/csv" "$scratch/sql/keys.tsv" "$scratch/sql"
bench_write_baseline "$scratch/sql" "$scratch/csv" >"$scratch/baseline.sh"
psql_q "SET client_min_messages = warning; DROP SCHEMA bench_a CASCADE" >/dev/null
psql_q "CHECKPOINT" >/dev/null
expected_rows=$(awk -F'\t' '{s += $2} END {print s}' "$scratch/rows-expected.tsv")
echo "   $documents documents, $expected_rows rows in ${#tables[@]} tables, $npk keys, $nidx indexes, $nfk foreign keys; csv $(du -sh "$scratch/csv" | cut -f1)" >&2
sed 's/^/   /' "$scratch/sql/streams.txt" >&2

# 4. The runs, alternating. Each run starts with its schema absent, after a CHECKPOINT.
printf 'seq\tkind\trep\twall\tuser\tsys\tmaxrss_kb\tserver_cpu\tother_cpu\tload1\tsource_cpu\n' >"$scratch/runs.tsv"
seq=0
for rep in $(seq 1 "$reps"); do
  for kind in "${kinds[@]}"; do
    seq=$((seq + 1))
    name=$kind$rep
    case $kind in
      a) cmd=(bash "$scratch/baseline.sh") ;;
      b) cmd=("$bin" load "${src_b[@]}" --mode clean --schema bench_b "${jobs_flag[@]}") ;;
      c) cmd=("$bin" load "${src_b[@]}" --mode clean --schema bench_c --sink null "${jobs_flag[@]}") ;;
      e) cmd=("$bin" load "${src_e[@]}" --mode clean --schema bench_e "${jobs_flag[@]}") ;;
      d) cmd=("$bin" load --from "$live_from" -c users --mapping examples/seed-users.json --mode clean --schema bench_d --sink null "${jobs_flag[@]}") ;;
    esac
    load1=$(cut -d' ' -f1 /proc/loadavg)
    s0=$(bench_server_ticks)
    w0=$(bench_source_ticks)
    t0=$(bench_busy_ticks)
    if ! /usr/bin/time -f "%e %U %S %M" -o "$log/$name.time" "${cmd[@]}" >"$log/$name.out" 2>"$log/$name.err"; then
      cat "$log/$name.err" >&2
      bench_fail "run $name failed: ${cmd[*]}"
    fi
    t1=$(bench_busy_ticks)
    w1=$(bench_source_ticks)
    s1=$(bench_server_ticks)
    read -r wall user sys maxrss <"$log/$name.time"
    srv=$(bench_ticks_to_s $((s1 - s0)))
    # The wire server's CPU: the source's for d, idle (a check: ~0) for the others; not "other" CPU either way.
    src=$(bench_ticks_to_s $((w1 - w0)))
    other=$(python3 -c "print(f'{max(0.0, ($t1 - $t0) / $(getconf CLK_TCK) - $user - $sys - $srv - $src):.2f}')")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$seq" "$kind" "$rep" "$wall" "$user" "$sys" "$maxrss" "$srv" "$other" "$load1" "$src" >>"$scratch/runs.tsv"
    case $kind in
      a) bench_row_counts bench_a >"$log/$name.rows"
         bench_same_rows "$scratch/rows-expected.tsv" "$log/$name.rows" "baseline run $name" ;;
      b|e) bench_row_counts "bench_$kind" >"$log/$name.rows"
         bench_same_rows "$scratch/rows-expected.tsv" "$log/$name.rows" "etlfast run $name" ;;
      c) python3 scripts/lib/bench/summary.py rows "$log/$name.err" >"$log/$name.rows"
         bench_same_rows "$scratch/rows-expected.tsv" "$log/$name.rows" "etlfast --sink null run $name (its summary)" ;;
      d) python3 scripts/lib/bench/summary.py rows "$log/$name.err" >"$log/$name.rows"
         bench_same_rows "$scratch/rows-expected.tsv" "$log/$name.rows" "etlfast live --sink null run $name (its summary)"
         docs=$(python3 -c "import sys; sys.path.insert(0, 'scripts/lib/bench'); import summary; print(summary.parse('$log/$name.err')['documents'])")
         [ "$docs" = "$users" ] || bench_fail "live run $name read $docs documents, not $users" ;;
    esac
    printf '   %-3s wall %6.2f s  client cpu %6.2f s  rss %5d MB  server cpu %6.2f s  source cpu %6.2f s  other %5.2f s\n' \
      "$name" "$wall" "$(python3 -c "print($user + $sys)")" $((maxrss / 1024)) "$srv" "$src" "$other" >&2
    psql_q "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bench_a, bench_b, bench_c, bench_d, bench_e CASCADE" >/dev/null
    psql_q "CHECKPOINT" >/dev/null
  done
done
# (a) and (b) agree per table by transitivity: each equals the prepared load's counts.

# 5. Allocation figures: the CLI's summary prints GC counts but not LoadSummary.AllocatedBytes,
#    so a JIT build of the engine prints them (one run per sink, outside the alternation).
alloc_json=$scratch/alloc.jsonl
: >"$alloc_json"
if [ "${BENCH_ALLOC:-1}" != 0 ]; then
  echo "== allocation probe (JIT build of the engine)" >&2
  bench_snapshot_of_binary
  probe=$(bench_build_probe) || bench_fail "could not build the allocation probe"
  for sink in null postgres; do
    dotnet "$probe" "$bson" examples/seed-users.json bench_alloc "$sink" ${BENCH_JOBS:-} >>"$alloc_json" \
      || bench_fail "allocation probe ($sink) failed"
    psql_q "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bench_alloc CASCADE" >/dev/null
  done
  # The live mode: the same engine and sink as d, the source the wire server's URI (through the driver).
  if [ "$live" = 1 ]; then
    dotnet "$probe" -c users "$live_from" examples/seed-users.json bench_alloc null ${BENCH_JOBS:-} >>"$alloc_json" \
      || bench_fail "allocation probe (live, null) failed"
  fi
  cat "$alloc_json" >&2
fi
bench_wire_stop

# 6. The report.
bench_write_meta >"$scratch/meta.tsv"
mkdir -p "$out"
stamp=$(date -u +%Y-%m-%d)
prefix=$out/$stamp-$users
[ "$workload" = users ] || prefix=$out/$stamp-$workload-$users
n=1
base=$prefix
while [ -e "$prefix.md" ] || [ -e "$prefix.json" ]; do   # a second run the same day keeps the first's files
  n=$((n + 1))
  prefix=$base-$n
done
python3 scripts/lib/bench/report.py "$scratch" "$prefix"
echo "results: $prefix.md and $prefix.json" >&2
