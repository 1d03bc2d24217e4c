#!/usr/bin/env bash
# Starts a throwaway PostgreSQL and runs a command (default: an interactive shell) with
# PGHOST/PGPORT/PGUSER/PGDATABASE and ETLFAST_TEST_PG set; the server is removed afterwards.
#   scripts/pg-shell.sh                      # a shell with a scratch server
#   scripts/pg-shell.sh dotnet test tests/EtlFast.Core.Tests
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
pg_ensure_installed
pg_start
if [ $# -eq 0 ]; then "${SHELL:-bash}"; else "$@"; fi
