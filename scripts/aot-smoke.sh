#!/usr/bin/env bash
# Publishes the NativeAOT binary (any trim/AOT warning fails the publish: warnings are errors) and
# runs it for real: help texts, the generator, a file load into PostgreSQL, and a live load from the
# MongoDB wire-protocol test server through the official driver (which only works under NativeAOT
# when MongoDB.Bson is rooted; a trimming fault there shows up only as a server-selection timeout),
# and from jongodb, a MongoDB-compatible server nobody here wrote (scripts/jongodb.sh).
# Last, scripts/chroot-smoke.sh runs the binary in a directory holding only it, its libraries and the
# data: the distroless property (needs root).
# Needs PGHOST/PGPORT/PGUSER (scripts/test.sh or scripts/pg-shell.sh set them).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${AOT_OUT:-artifacts/aot}
tmp=$(mktemp -d /tmp/etlfast-smoke.XXXXXX)
server_pid=
jongodb_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -n "$jongodb_pid" ] && kill "$jongodb_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "aot-smoke: $*" >&2; exit 1; }

if [ -z "${SKIP_PUBLISH:-}" ]; then
  dotnet publish src/EtlFast.Cli -c Release -r linux-x64 -o "$out" -nologo -v quiet -clp:ErrorsOnly 2>&1 | tee "$tmp/publish.log"
  ! grep -E "warning (IL|AOT)[0-9]+" "$tmp/publish.log" || fail "the publish raised trim/AOT warnings"
fi
bin=$out/etlfast
[ -x "$bin" ] || fail "no binary at $bin"
echo "   binary: $(du -h "$bin" | cut -f1)"

"$bin" --version | grep -Eq '^etlfast [0-9]+\.[0-9]+' || fail "--version"
"$bin" --help | grep -q "Exit codes" || fail "--help"
"$bin" load --help | grep -q -- "--mapping" || fail "load --help"
"$bin" gen --help | grep -q -- "--count" || fail "gen --help"
set +e; "$bin" load --from nowhere.bson --mapping examples/seed-users.json >/dev/null 2>"$tmp/err"; rc=$?; set -e
[ $rc -eq 2 ] || fail "a missing source should exit 2, got $rc: $(cat "$tmp/err")"

"$bin" gen users --count 300 --seed 7 -o "$tmp/users.bson" -q
to="host=$PGHOST port=$PGPORT user=$PGUSER dbname=${PGDATABASE:-postgres}"
"$bin" load --from "$tmp/users.bson" --mapping examples/seed-users.json --to "$to" --schema aot_file -q \
  || fail "file load failed"
psql_q() { psql -X -At -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "${PGDATABASE:-postgres}" -c "$1"; }
[ "$(psql_q 'select count(*) from aot_file.users')" = 300 ] || fail "file load: users is not 300 rows"
file_rows=$(psql_q "select sum(n) from (select count(*) n from aot_file.activity_log union all select count(*) from aot_file.attachments union all select count(*) from aot_file.messages) t")

# infer proposes a mapping from the file (no reflection-based JSON under AOT), and load takes it unchanged.
"$bin" infer --help | grep -q -- "--sample" || fail "infer --help"
"$bin" infer --from "$tmp/users.bson" -c users -o "$tmp/inferred.json" 2>"$tmp/infer.err" || fail "infer failed: $(cat "$tmp/infer.err")"
grep -q "proposed 15 tables" "$tmp/infer.err" || fail "infer did not propose the seed's 15 tables: $(cat "$tmp/infer.err")"
"$bin" load --from "$tmp/users.bson" --mapping "$tmp/inferred.json" --to "$to" --schema aot_infer -q \
  || fail "load with the inferred mapping failed"
infer_rows=$(psql_q "select sum(n) from (select count(*) n from aot_infer.activity_log union all select count(*) from aot_infer.attachments union all select count(*) from aot_infer.messages) t")
[ "$infer_rows" = "$file_rows" ] || fail "the inferred mapping loaded $infer_rows child rows, the seed mapping $file_rows"
echo "   infer: 15 tables proposed; loading with them gives the seed mapping's $file_rows child rows"
# The machine-facing output under NativeAOT: the dry run writes nothing; JSON progress and the summary file parse.
"$bin" load --dry-run --from "$tmp/users.bson" --mapping examples/seed-users.json --to "$to" --schema aot_dry >"$tmp/plan.txt" \
  || fail "--dry-run failed"
grep -q 'CREATE TABLE "aot_dry"."users" (' "$tmp/plan.txt" || fail "--dry-run printed no CREATE TABLE"
[ "$(psql_q "select count(*) from pg_namespace where nspname = 'aot_dry'")" = 0 ] || fail "--dry-run created the schema"
"$bin" load --from "$tmp/users.bson" --mapping examples/seed-users.json --to "$to" --schema aot_json --chunk-size 1 \
  --progress json --progress-interval 0.05 --summary-json "$tmp/summary.json" 2>"$tmp/progress.jsonl" || fail "--progress json load failed"
python3 - "$tmp/progress.jsonl" "$tmp/summary.json" "$(psql_q 'select count(*) from aot_json.messages')" <<'PY' || fail "JSON progress or summary is wrong"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
summary = json.load(open(sys.argv[2]))
assert events and events[-1]["event"] == "end" and events[-1]["exit_code"] == 0, events[-1:]
assert all("rows" in e and "tables" in e for e in events)
assert events[-1]["tables"]["users"] == 300 and summary["tables"]["users"]["rows"] == 300, summary["tables"]["users"]
assert summary["tables"]["messages"]["rows"] == int(sys.argv[3]) and summary["exit_code"] == 0
PY
echo "   dry run, JSON progress ($(wc -l <"$tmp/progress.jsonl") lines) and summary file checked"
# On a terminal (a pty from util-linux's script), progress is redrawn in place with the share done,
# an ETA and rows per table; 3,000 users in 1 MiB chunks give it a few seconds to draw.
"$bin" gen users --count 3000 -o "$tmp/users3k.bson" >/dev/null 2>&1 || fail "gen 3000 users"
script -qec "'$bin' load --from '$tmp/users3k.bson' --mapping examples/seed-users.json --to '$to' --schema aot_tty --chunk-size 1 --progress-interval 0.05" /dev/null >"$tmp/tty.out" 2>&1 \
  || fail "load on a terminal failed: $(tail -5 "$tmp/tty.out")"
grep -q $'\e\[J' "$tmp/tty.out" || fail "progress on a terminal was not redrawn in place"
grep -Eq '[0-9]+% done, ETA [0-9]+:[0-9][0-9]: [0-9,]+ documents' "$tmp/tty.out" || fail "progress on a terminal gave no ETA: $(tail -c 600 "$tmp/tty.out")"
grep -Eq '^  users [0-9,]+  addresses' "$tmp/tty.out" || fail "progress on a terminal gave no rows per table"
[ "$(psql_q 'select count(*) from aot_tty.users')" = 3000 ] || fail "the load on a terminal did not load 3000 users"
echo "   progress on a terminal: redrawn in place, share done, ETA, rows per table"
# Scale-out: three processes, each --partition I/3 of the same file, load it exactly once together.
pids=()
for i in 0 1 2; do
  "$bin" load --from "$tmp/users3k.bson" --mapping examples/seed-users.json --to "$to" --schema aot_part --chunk-size 1 -j 1 \
    --partition $i/3 -q 2>"$tmp/part$i.err" & pids+=($!)
done
for i in 0 1 2; do wait "${pids[$i]}" || fail "partition $i/3 failed: $(cat "$tmp/part$i.err")"; done
for t in users messages activity_log attachments; do
  [ "$(psql_q "select count(*) from (select * from aot_tty.$t except all select * from aot_part.$t) d")" = 0 ] \
    && [ "$(psql_q "select count(*) from aot_part.$t")" = "$(psql_q "select count(*) from aot_tty.$t")" ] \
    || fail "three partitions loaded $t differently from one process"
done
[ "$(psql_q "select count(*) from pg_constraint where conrelid = 'aot_part.messages'::regclass and contype in ('p','f')")" = 2 ] \
  || fail "the last partition did not build the keys of aot_part.messages"
echo "   --partition I/3: three processes loaded 3,000 users exactly once, keys built by the last"

# Live MongoDB source through the official driver, against the wire-protocol test server.
server=tests/EtlFast.WireServer/bin/Release/net10.0/EtlFast.WireServer.dll
[ -f "$server" ] || dotnet build tests/EtlFast.WireServer -c Release -nologo -v quiet -clp:ErrorsOnly
mkfifo "$tmp/stdin"
dotnet "$server" --port 0 --load "sample_db.users=$tmp/users.bson" <"$tmp/stdin" >"$tmp/server.out" 2>&1 &
server_pid=$!
exec 9>"$tmp/stdin"   # holds the server's stdin open; it exits when this script does
for _ in $(seq 1 100); do grep -q '^listening ' "$tmp/server.out" && break; sleep 0.1; done
uri=$(sed -n 's/^listening //p' "$tmp/server.out" | head -1)
[ -n "$uri" ] || fail "wire test server did not start: $(cat "$tmp/server.out")"
"$bin" load --from "$uri" --mapping examples/seed-users.json --to "$to" --schema aot_live -q \
  || fail "live load from $uri failed"
[ "$(psql_q 'select count(*) from aot_live.users')" = 300 ] || fail "live load: users is not 300 rows"
live_rows=$(psql_q "select sum(n) from (select count(*) n from aot_live.activity_log union all select count(*) from aot_live.attachments union all select count(*) from aot_live.messages) t")
[ "$live_rows" = "$file_rows" ] || fail "live load wrote $live_rows child rows, the file load $file_rows"
same=$(psql_q "select count(*) from (select * from aot_file.messages except select * from aot_live.messages) d")
[ "$same" = 0 ] || fail "live and file loads differ in messages"
echo "   file and live loads agree: 300 users, $file_rows child rows checked"
"$bin" infer --from "$uri" -d sample_db -c users --sample 100 -q -o "$tmp/live.json" || fail "infer from $uri failed"
grep -q '"path": "profile.education\[\]"' "$tmp/live.json" || fail "infer from $uri: no education table in $(cat "$tmp/live.json")"
echo "   infer from the live server (\$sample) works"

# jongodb lacks $bucketAuto and $sample, and its range queries match no embedded-document _id: the
# load must still give every document once (the plan's counts catch the gap), and infer must fall back.
jongodb=${ETLFAST_JONGODB:-$(bash scripts/jongodb.sh)} || fail "jongodb is not installed (bash scripts/jongodb.sh)"
"$jongodb" --host=127.0.0.1 --port=0 >"$tmp/jongodb.out" 2>&1 &
jongodb_pid=$!
for _ in $(seq 1 100); do grep -q '^JONGODB_URI=' "$tmp/jongodb.out" && break; sleep 0.1; done
jport=$(sed -n 's|^JONGODB_URI=mongodb://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/jongodb.out" | head -1)
[ -n "$jport" ] || fail "jongodb did not start on 127.0.0.1: $(cat "$tmp/jongodb.out")"
[ "$(python3 scripts/lib/mongo_seed.py 127.0.0.1 "$jport" db things 500)" = 500 ] || fail "could not seed jongodb"
cat >"$tmp/things.json" <<'JSON'
{ "database": "db", "collection": "things", "tables": [ { "name": "things", "primaryKey": ["i"], "columns": [
  { "name": "i", "type": "bigint", "from": "i" }, { "name": "id", "type": "jsonb", "from": "_id" }, { "name": "tag", "type": "text", "from": "tag" } ] } ] }
JSON
juri="mongodb://127.0.0.1:$jport/?directConnection=true"
"$bin" load --from "$juri" --mapping "$tmp/things.json" --to "$to" --schema aot_jongodb -j 2 2>"$tmp/jongodb-load.err" \
  || fail "live load from jongodb failed: $(cat "$tmp/jongodb-load.err")"
[ "$(psql_q "select count(*) || ' ' || count(distinct i) || ' ' || count(*) filter (where tag = 'document' and id ? 'region') from aot_jongodb.things")" = "500 500 100" ] \
  || fail "jongodb load: expected 500 rows, 100 of them with an embedded-document _id: $(psql_q 'select tag, count(*) from aot_jongodb.things group by 1')"
grep -q "the other 100 are read by one more query" "$tmp/jongodb-load.err" || fail "jongodb load did not say how it read what the ranges miss: $(cat "$tmp/jongodb-load.err")"
"$bin" infer --from "$juri" -d db -c things --sample 50 -o "$tmp/jongodb.json" 2>"$tmp/jongodb-infer.err" || fail "infer from jongodb failed: $(cat "$tmp/jongodb-infer.err")"
grep -q "the server does not implement \$sample" "$tmp/jongodb-infer.err" || fail "infer from jongodb did not say it read without \$sample"
echo "   jongodb: 500 documents of mixed _id types (100 embedded documents) loaded once; infer without \$sample"

bash scripts/chroot-smoke.sh "$bin" || fail "the binary does not run with only its libraries (scripts/chroot-smoke.sh)"
