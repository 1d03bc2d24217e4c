#!/usr/bin/env bash
# Starts a throwaway PostgreSQL and runs a command (default: an interactive shell) with
# PGHOST/PGPORT/PGUSER/PGDATABASE and ETLFAST_TEST_PG set; the server is removed afterwards. It also
# installs jongodb (scripts/jongodb.sh, npm, quick when installed) for the live tests against it.
#   scripts/pg-shell.sh                      # a shell with a scratch server
#   scripts/pg-shell.sh dotnet test tests/EtlFast.Core.Tests
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
pg_ensure_installed
pg_start
if jongodb=$(bash scripts/jongodb.sh); then export ETLFAST_JONGODB=$jongodb; else echo "jongodb is not installed: the tests against it will fail" >&2; fi
if [ $# -eq 0 ]; then "${SHELL:-bash}"; else "$@"; fi
