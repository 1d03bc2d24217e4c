#!/usr/bin/env bash
# Coverage-guided fuzzing with AFL++ through SharpFuzz: scripts/fuzz.sh [TARGET|all] [SECONDS]
# Targets (tests/EtlFast.Fuzz): framer, reader, mapping. Default: all, 60 s each.
# Installs what is missing (afl++ from apt, the sharpfuzz tool into $FUZZ_WORK/tools), publishes the
# fuzz project into a scratch folder, instruments the copies of EtlFast.Bson.dll and EtlFast.Core.dll
# there (the build output is never rewritten), seeds from the BSON corpus and examples/*.json (with a
# dictionary of the mapping's words), runs
# afl-fuzz for SECONDS, prints execs/s, paths, crashes and hangs, and copies every crash and hang into
# tests/EtlFast.Bson.Tests/FuzzRegressions/TARGET/, which FuzzRegressionTests replays on every test run.
# Exits 1 when a target found a crash or hang (commit the copied inputs with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
targets=${1:-all}
seconds=${2:-60}
work=${FUZZ_WORK:-/tmp/etlfast-fuzz}
[ "$targets" = all ] && targets="framer reader mapping"
case "$seconds" in ''|*[!0-9]*) echo "fuzz: SECONDS must be a number, not '$seconds'" >&2; exit 2 ;; esac

if ! command -v afl-fuzz >/dev/null; then
  echo "fuzz: installing afl++"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
if [ ! -x "$work/tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$work/tools" >/dev/null
fi

bin=$work/bin
rm -rf "$bin"
dotnet publish tests/EtlFast.Fuzz -c Release -o "$bin" -nologo -v quiet -clp:ErrorsOnly
for dll in EtlFast.Bson.dll EtlFast.Core.dll; do
  "$work/tools/sharpfuzz" "$bin/$dll" >/dev/null
done

# No core dumps to a handler, a CPU shared with others, no native instrumentation in dotnet itself.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_UI=1 AFL_QUIET=1
found=0
for target in $targets; do
  seeds=$work/$target/seeds out=$work/$target/out keep=tests/EtlFast.Bson.Tests/FuzzRegressions/$target
  rm -rf "$seeds" "$out"
  dotnet "$bin/EtlFast.Fuzz.dll" seeds "$target" "$seeds" "$root"
  dicts=()  # the mapping's own words, and AFL++'s JSON tokens
  [ -f "$seeds.dict" ] && dicts+=(-x "$seeds.dict")
  json=/usr/share/doc/afl++-doc/afl/dictionaries/json.dict
  [ "$target" = mapping ] && [ -f "$json" ] && dicts+=(-x "$json")
  # -t: ms per input, generous for a JIT on a loaded machine; -V: stop after SECONDS.
  afl-fuzz -i "$seeds" -o "$out" -t 5000 -m none -V "$seconds" "${dicts[@]}" -- "$(command -v dotnet)" "$bin/EtlFast.Fuzz.dll" "$target" \
    > "$work/$target/afl.log" 2>&1 || { tail -20 "$work/$target/afl.log" >&2; exit 1; }
  stats=$out/default/fuzzer_stats
  get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  echo "fuzz $target: $(get execs_done) execs in $(get run_time) s, $(get execs_per_sec) execs/s, $(get corpus_count) paths, $(get saved_crashes) crashes, $(get saved_hangs) hangs"
  mkdir -p "$keep"
  for f in "$out"/default/crashes/id:* "$out"/default/hangs/id:*; do
    [ -f "$f" ] || continue
    kind=$(basename "$(dirname "$f")")
    copy=$keep/${kind%es}-$(sha1sum "$f" | cut -c1-16).bin
    [ -f "$copy" ] || { cp "$f" "$copy"; echo "  kept $copy"; found=1; }
  done
done
exit $found
