#!/usr/bin/env bash
# Runs every Kivi test: the .NET suites (xunit, real SQLite, real Kestrel, real child processes) and the
# real-client suites (wrangler, the cloudflare SDK on Node). Installs what is missing on a Debian machine
# with the .NET SDK, then ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
results=$(mktemp -d /tmp/kivi-test-results.XXXXXX)
trap 'rm -rf "$results"' EXIT

log() { printf '== %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- prerequisites -----------------------------------------------------------------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing Node.js and npm (Debian packages)"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
fi
if [ ! -x /usr/bin/chromium ]; then
  log "installing Chromium (Debian package) for the dashboard's browser tests; Playwright never downloads one"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
if ! /usr/bin/python3 -c "import prometheus_client.parser" 2>/dev/null; then
  log "installing Prometheus's Python client (Debian package), whose text parser checks /metrics"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-prometheus-client >&2
fi
if [ ! -d tests/clients/node_modules/wrangler ] || [ ! -d tests/clients/node_modules/workerd ] || [ tests/clients/package-lock.json -nt tests/clients/node_modules/.package-lock.json ]; then
  log "installing the real clients (wrangler, cloudflare, workerd) from npm"
  # npm install, not npm ci: the package registry reachable here lacks workerd's macOS and Windows builds, so
  # no lockfile can list them and npm ci refuses; install honours the lockfile and the exact pins all the same.
  (cd tests/clients && npm install --no-audit --no-fund --loglevel=error >&2) || { echo "npm install failed"; echo "0 passed, 1 failed"; exit 1; }
fi

# --- PostgreSQL: a throwaway server for the PostgreSQL engine's tests ----------------------------
# Debian's postgresql package, a cluster initdb'd in a temporary folder, listening on a loopback port only.
# If it cannot start, KIVI_TEST_POSTGRES stays unset and those tests fail (they never skip).
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  log "installing PostgreSQL (Debian package)"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
pg_dir=$(mktemp -d /tmp/kivi-test-pg.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() { [ -f "$pg_dir/data/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1; rm -rf "$pg_dir"; }
trap 'stop_pg; rm -rf "$results"' EXIT
pg_port=55432
while (echo >"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; do pg_port=$((pg_port + 1)); done
[ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
if [ -n "$pg_bin" ] \
  && as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1 \
  && as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
       -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=300" start >/dev/null 2>&1; then
  export KIVI_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
  log "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port"
else
  log "PostgreSQL did not start; its tests will fail"
  cat "$pg_dir"/*.log >&2 2>/dev/null
fi

# --- build -------------------------------------------------------------------------------------
log "building (Release)"
if ! dotnet build Kivi.slnx -c Release -nologo -v quiet >"$results/build.log" 2>&1; then
  cat "$results/build.log"
  echo "0 passed, 1 failed"
  exit 1
fi

# --- .NET tests --------------------------------------------------------------------------------
log "running the .NET test suites"
# On the console: each failure with its message (up to 60 lines of it) and its stack, and each suite's summary.
dotnet test Kivi.slnx -c Release --no-build --nologo --logger "trx" --logger "console;verbosity=normal" --results-directory "$results/trx" 2>&1 | tee "$results/dotnet.log" |
  awk '/Error Message:/ {msg = 1; n = 0; print; next} /Stack Trace:/ {msg = 0} msg && n++ < 60 {print; next} /^[[:space:]]*(Failed|Passed!|Failed!)|^[[:space:]]+at / {print}' >&2
dotnet_rc=${PIPESTATUS[0]}

# --- real clients ------------------------------------------------------------------------------
log "running the real-client suites (wrangler, cloudflare SDK, workerd)"
(cd tests/clients && KIVI_SERVER_DLL="$root/src/Kivi.Server/bin/Release/net10.0/Kivi.Server.dll" \
  node --test --test-concurrency=1 --test-reporter=tap) >"$results/node.tap" 2>&1
node_rc=$?
grep -E "^(not ok|ok) " "$results/node.tap" >&2
[ $node_rc -ne 0 ] && grep -A20 "^not ok" "$results/node.tap" >&2

# --- count from the real results ---------------------------------------------------------------
passed=0; failed=0
for trx in "$results"/trx/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
  f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
  passed=$((passed + p)); failed=$((failed + f))
done
node_pass=$(grep -E '^# pass [0-9]+' "$results/node.tap" | awk '{print $3}')
node_fail=$(grep -E '^# fail [0-9]+' "$results/node.tap" | awk '{print $3}')
passed=$((passed + ${node_pass:-0})); failed=$((failed + ${node_fail:-0}))
# A runner that died without reporting its failures still counts as one.
if [ "$dotnet_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then echo "dotnet test exited $dotnet_rc" >&2; failed=$((failed + 1)); fi
if [ "$node_rc" -ne 0 ] && [ "${node_fail:-0}" -eq 0 ]; then cat "$results/node.tap" >&2; failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
