#!/usr/bin/env bash
# The distroless property, checked without Docker: the NativeAOT binary runs in a directory that holds
# nothing but the binary, the shared libraries `ldd` lists for it, the dynamic loader, the OpenSSL
# libraries .NET opens at run time (libssl.so.3 and libcrypto.so.3, by dlopen: hashing and TLS go
# through them even when no TLS is negotiated; without them a load aborts with "No usable version of
# libssl was found") and the data. zlib (for .bson.gz) is linked into the binary. No ICU: the build sets
# InvariantGlobalization. No /proc, /dev, /etc or CA certificates either (a container runtime adds
# /proc and /dev; TLS with certificate checks would need /etc/ssl/certs, as distroless provides).
# In that directory, `chroot DIR /etlfast` prints its version, loads a .bson file into PostgreSQL over
# TCP (127.0.0.1), and verifies the tables against the source. Dockerfile.aot's runtime stage
# (gcr.io/distroless/base-debian12) supplies exactly these libraries.
# Needs root (chroot) and PGHOST=127.0.0.1/PGPORT/PGUSER (scripts/lib/pg.sh listens on 127.0.0.1).
# Usage: scripts/chroot-smoke.sh [BINARY]   (default: artifacts/aot/etlfast, as scripts/aot-smoke.sh publishes it)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${AOT_OUT:-artifacts/aot}/etlfast}
fail() { echo "chroot-smoke: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no binary at $bin"
[ "$(id -u)" = 0 ] || fail "needs root, for chroot"
[ "${PGHOST:-}" = 127.0.0.1 ] || fail "PGHOST must be 127.0.0.1 (TCP: the chroot has no socket directory); got '${PGHOST:-}'"

root=$(mktemp -d /tmp/etlfast-chroot.XXXXXX)
trap 'rm -rf "$root"' EXIT

# Copies a library (symlinks resolved) to the same path inside the chroot.
put() { mkdir -p "$root$(dirname "$1")"; cp -L "$1" "$root$1"; }

cp "$bin" "$root/etlfast"
# What the binary links: `ldd` lines are "name => /path (addr)" or "/path/to/ld-linux (addr)".
linked=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
# What .NET opens at run time: OpenSSL 3 by soname, from wherever the dynamic linker finds it.
for soname in libssl.so.3 libcrypto.so.3; do
  # awk reads to the end: an early exit would let ldconfig die of SIGPIPE now and then, and with
  # pipefail and set -e that ended this script without a word (a flaky AOT smoke).
  path=$(ldconfig -p | awk -v n="$soname" '$1 == n && /x86-64/ && !found {print $NF; found = 1}')
  [ -n "$path" ] || fail "$soname is not installed (apt-get install libssl3)"
  linked="$linked $path $(ldd "$path" | awk '$2 == "=>" && $3 ~ /^\// {print $3}')"
done
for lib in $(tr ' ' '\n' <<<"$linked" | sort -u); do put "$lib"; done

mkdir "$root/data"
"$bin" gen users --count 300 --seed 11 -o "$root/data/users.bson" -q
cp examples/seed-users.json "$root/data/m.json"
echo "   chroot holds: $(cd "$root" && find . -type f ! -path './data/*' | sort | tr '\n' ' ')"

out=$(chroot "$root" /etlfast --version) || fail "--version failed in the chroot"
grep -Eq '^etlfast [0-9]+\.[0-9]+' <<<"$out" || fail "--version printed '$out'"

to="host=127.0.0.1 port=$PGPORT user=$PGUSER dbname=${PGDATABASE:-postgres}"
psql_q() { PGOPTIONS='-c client_min_messages=warning' psql -X -At -h 127.0.0.1 -p "$PGPORT" -U "$PGUSER" -d "${PGDATABASE:-postgres}" -c "$1"; }
psql_q 'drop schema if exists aot_chroot cascade' >/dev/null
chroot "$root" /etlfast load --from /data/users.bson --mapping /data/m.json --to "$to" --schema aot_chroot -q \
  || fail "load failed in the chroot"
[ "$(psql_q 'select count(*) from aot_chroot.users')" = 300 ] || fail "chroot load: users is not 300 rows"
chroot "$root" /etlfast verify --from /data/users.bson --mapping /data/m.json --to "$to" --schema aot_chroot -q \
  || fail "verify in the chroot found the tables differ from the source"
echo "   chroot: --version, load and verify ran with only the binary, $(tr ' ' '\n' <<<"$linked" | sort -u | wc -l) libraries and the data"
