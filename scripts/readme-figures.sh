#!/usr/bin/env bash
# Regenerates the README's performance tables from the results committed in bench/results (the
# latest result of each size on each machine). Run it after committing a new scripts/bench.sh result;
# the test suite fails while the README and bench/results disagree.
#   scripts/readme-figures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ETLFAST_UPDATE_README=1 dotnet test tests/EtlFast.Core.Tests -c Release -nologo -v quiet \
  --filter "FullyQualifiedName~ReadmeFiguresTests" >/dev/null
git --no-pager diff --stat -- README.md
