#!/usr/bin/env bash
# Verify against load, end to end, in the same run on the same throwaway PostgreSQL (issue #12 item 7:
# the full verify in at most 1.5x the load's time, with disk use bounded by a chunk, no temp copy).
#   scripts/bench-verify.sh [USERS]     (default 100000; writes bench/results/<date>-verify-<USERS>.md,
#                                        or -2, -3, ... when that exists)
# Each repetition: `load --mode clean` (timed), then `verify` (timed) while the size of the server's
# data directory is sampled every 0.5 s; temp_files/temp_bytes of pg_stat_database before and after.
# Environment: BENCH_REPS (default 2), BENCH_AOT_DIR, BENCH_SKIP_PUBLISH=1, BENCH_SRC (as scripts/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
reps=${BENCH_REPS:-2}
out=${BENCH_OUT:-bench/results}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
source scripts/lib/bench/common.sh
[[ $users =~ ^[0-9]+$ ]] && [ "$users" -gt 0 ] || bench_fail "USERS must be a positive integer, not \"$users\""

scratch=$(mktemp -d /tmp/etlfast-bench-verify.XXXXXX)
aot=${BENCH_AOT_DIR:-artifacts/aot-bench}
bench_publish "$aot"
bin=$scratch/etlfast
cp "$aot/etlfast" "$bin"
etlfast_source=$(bench_binary_source "$aot")

source scripts/lib/pg.sh
pg_ensure_installed
pg_start
trap 'pg_stop; rm -rf "$scratch"' EXIT
psql_q() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }
psql_q "ALTER SYSTEM SET autovacuum = off" >/dev/null
psql_q "SELECT pg_reload_conf()" >/dev/null

bson=$scratch/users.bson
echo "== generating $users users (seed 42)" >&2
"$bin" gen users --count "$users" --seed 42 -o "$bson" -q

temp() { psql_q "SELECT temp_files || ' ' || temp_bytes FROM pg_stat_database WHERE datname = current_database()"; }
now() { date +%s.%N; }
rows=()
for ((i = 1; i <= reps; i++)); do
  t0=$(now)
  "$bin" load --from "$bson" --mapping examples/seed-users.json --mode clean --schema bench -q
  t1=$(now)
  before=$(temp)
  base0=$(du -sb "$PG_SCRATCH/data/base" | cut -f1)
  peak=$base0
  "$bin" verify --from "$bson" --mapping examples/seed-users.json --schema bench -q >"$scratch/verify.out" 2>&1 &
  vpid=$!
  while kill -0 "$vpid" 2>/dev/null; do
    size=$(du -sb "$PG_SCRATCH/data/base" 2>/dev/null | cut -f1 || echo "$peak")
    [ "$size" -gt "$peak" ] && peak=$size
    sleep 0.5
  done
  wait "$vpid" || { cat "$scratch/verify.out" >&2; bench_fail "verify failed"; }
  t2=$(now)
  after=$(temp)
  load_s=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
  verify_s=$(python3 -c "print(f'{$t2 - $t1:.2f}')")
  ratio=$(python3 -c "print(f'{($t2 - $t1) / ($t1 - $t0):.2f}')")
  growth=$(( (peak - base0) / 1048576 ))
  temp_files=$(( ${after% *} - ${before% *} )); temp_mb=$(( (${after#* } - ${before#* }) / 1048576 ))
  echo "   rep $i: load $load_s s, verify $verify_s s, verify/load $ratio, data dir growth peak $growth MiB, temp files $temp_files ($temp_mb MiB)" >&2
  rows+=("| $i | $load_s | $verify_s | **$ratio** | $growth MiB | $temp_files ($temp_mb MiB) |")
done

mkdir -p "$out"
name="$out/$(date -u +%Y-%m-%d)-verify-$users"
file="$name.md"; n=2
while [ -e "$file" ]; do file="$name-$n.md"; n=$((n + 1)); done
{
  echo "# verify against load, $users users"
  echo
  echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- etlfast: $etlfast_source"
  echo "- command: \`scripts/bench-verify.sh $users\` (BENCH_REPS=$reps); load --mode clean then verify, alternating, same server"
  echo "- BSON: $(stat -c %s "$bson") bytes; rows: $(psql_q "SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'bench'")"
  echo
  echo "| rep | load s | verify s | verify / load | data dir growth during verify (peak) | temp files during verify |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} >"$file"
echo "wrote $file" >&2
cat "$file"
