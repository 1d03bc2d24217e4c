#!/usr/bin/env bash
# The main job end to end on an embedded default: a throwaway local PostgreSQL, a generated sample
# of the seed benchmark's user documents, loaded into its 15 tables with examples/seed-users.json.
#   bash scripts/demo.sh [USERS]        (default 10000; the server is removed afterwards)
#   KEEP=1 bash scripts/demo.sh         (leaves the server running and prints how to connect)
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-10000}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

source scripts/lib/pg.sh
pg_ensure_installed
pg_start

if [ -x artifacts/aot/etlfast ]; then
  etlfast=(artifacts/aot/etlfast)
else
  echo "building etlfast (Release; scripts/aot-smoke.sh publishes the NativeAOT binary)" >&2
  dotnet build src/EtlFast.Cli -c Release -nologo -v quiet -clp:ErrorsOnly
  etlfast=(dotnet src/EtlFast.Cli/bin/Release/net10.0/etlfast.dll)
fi

data=$(mktemp -d /tmp/etlfast-demo.XXXXXX)
trap 'rm -rf "$data"; pg_stop' EXIT
echo
echo "\$ etlfast gen users --count $users -o users.bson"
"${etlfast[@]}" gen users --count "$users" -o "$data/users.bson"
echo
echo "\$ etlfast load --from users.bson --mapping examples/seed-users.json --to postgresql://postgres@127.0.0.1:$PGPORT/postgres"
"${etlfast[@]}" load --from "$data/users.bson" --mapping examples/seed-users.json --to "postgresql://postgres@127.0.0.1:$PGPORT/postgres"
echo
echo "\$ psql -c 'select u.username, count(m.*) as messages ... limit 5'"
psql -X -c "select u.id, u.username, a.city, count(m.id) as messages
            from users u join addresses a on a.user_id = u.id left join messages m on m.user_id = u.id
            group by u.id, u.username, a.city order by u.id limit 5"
if [ -n "${KEEP:-}" ]; then
  trap 'rm -rf "$data"' EXIT
  echo "PostgreSQL keeps running: psql -h 127.0.0.1 -p $PGPORT -U postgres   (stop: su postgres -c '$PG_BINDIR/pg_ctl -D $PG_SCRATCH/data stop')"
fi
