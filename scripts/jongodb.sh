#!/usr/bin/env bash
# Installs jongodb, a MongoDB-compatible server nobody here wrote (a native binary shipped in the npm
# package @jongodb/memory-server-bin-linux-x64-gnu, Apache-2.0), into artifacts/jongodb (git-ignored),
# from the npm registry with npm; nothing is downloaded when it runs. Quick when already installed.
# Prints the binary's path on stdout. The live tests and scripts/aot-smoke.sh start it as
#   jongodb --host=127.0.0.1 --port=0      # prints "JONGODB_URI=mongodb://127.0.0.1:PORT/test" when ready
# (its only flags are --host, default 127.0.0.1, --port, default 0 = any free port, and --database).
set -euo pipefail
cd "$(dirname "$0")/.."
package=@jongodb/memory-server-bin-linux-x64-gnu
version=0.1.6
dir=${JONGODB_DIR:-$PWD/artifacts/jongodb}
pkg=$dir/node_modules/$package
bin=$pkg/bin/jongodb

installed() {
  [ -x "$bin" ] && grep -q "\"version\": \"$version\"" "$pkg/package.json" 2>/dev/null
}

if ! installed; then
  command -v npm >/dev/null || { echo "jongodb.sh: npm is missing (Debian: apt-get install npm)" >&2; exit 1; }
  mkdir -p "$dir"
  echo "jongodb.sh: installing $package@$version with npm into $dir" >&2
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$package@$version" >&2
  installed || { echo "jongodb.sh: npm installed no $bin" >&2; exit 1; }
  # The package records its binary's SHA-256; a truncated or swapped binary stops here.
  want=$(sed -n 's/.*"sha256": *"\([0-9a-f]\{64\}\)".*/\1/p' "$pkg/package.json")
  got=$(sha256sum "$bin" | cut -d' ' -f1)
  [ -n "$want" ] && [ "$want" = "$got" ] || { echo "jongodb.sh: $bin has SHA-256 $got, the package says ${want:-nothing}" >&2; rm -rf "$pkg"; exit 1; }
fi
echo "$bin"
