#!/usr/bin/env bash
# The one test command (the README's, and what CI runs through .ci/run):
#   installs what is missing, starts a throwaway PostgreSQL, builds with warnings as errors, runs
#   every test project against that server, publishes the NativeAOT binary and runs its smoke test.
# Ends with a line "N passed, N failed" and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
command -v dotnet >/dev/null || { echo "the .NET SDK is missing (dotnet is not on PATH); see global.json for the version" >&2; exit 1; }

source scripts/lib/pg.sh
pg_ensure_installed
pg_start

echo "== jongodb, the second MongoDB-compatible server of the live tests (npm; quick when installed)"
# A failed install does not stop the run: the tests against jongodb then fail, naming what is missing.
if jongodb=$(bash scripts/jongodb.sh); then export ETLFAST_JONGODB=$jongodb; echo "   $jongodb"; else echo "   jongodb NOT installed: its tests will fail"; fi

echo "== build (Release, warnings as errors)"
dotnet build EtlFast.sln -c Release -nologo -v quiet -clp:ErrorsOnly

passed=0; failed=0; status=0
logs=$(mktemp -d /tmp/etlfast-test.XXXXXX)
for proj in tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  if dotnet test "$proj" -c Release --no-build -nologo --logger "console;verbosity=minimal" >"$logs/$name.log" 2>&1; then
    rc=0
  else
    rc=$?
  fi
  # "Passed!  - Failed:     0, Passed:    42, Skipped:     0, Total:    42, Duration: 3 s - X.dll (net10.0)"
  line=$(grep -E "^(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+" "$logs/$name.log" | tail -1 || true)
  if [ -n "$line" ]; then
    f=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$line"); p=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f))
    echo "   $p passed, $f failed"
  else
    echo "   (no test summary; see output below)"; failed=$((failed + 1))
  fi
  if [ $rc -ne 0 ]; then
    status=1
    grep -vE "^\s*$" "$logs/$name.log" | tail -80
  fi
done

echo "== NativeAOT publish and smoke test"
if bash scripts/aot-smoke.sh; then
  passed=$((passed + 1)); echo "   AOT smoke test passed"
else
  failed=$((failed + 1)); status=1; echo "   AOT smoke test FAILED"
fi

echo "== the README's first command: scripts/demo.sh (on the binary just published)"
if bash scripts/demo.sh 300 >"$logs/demo.log" 2>&1 \
   && grep -q "users  *300 " "$logs/demo.log" && grep -q "(5 rows)" "$logs/demo.log"; then
  passed=$((passed + 1)); echo "   demo passed: 300 users loaded into 15 tables, the sample query answered"
else
  failed=$((failed + 1)); status=1; echo "   demo FAILED"; tail -40 "$logs/demo.log"
fi

echo "== done in $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
exit $status
