#!/usr/bin/env bash
# Hostile requests against a single node started as the README starts it: every endpoint × token kind ×
# in-scope, out-of-scope and foreign namespaces, path tricks, malformed and oversize input (Kivi.Benchmarks fuzz).
# Passes when no answer is a 5xx, every error has Cloudflare's envelope (the binding protocol: a status text
# and Kivi-Error-Code), and no key a refused request named was stored.
#   REQUESTS (default 100000), SEED (default 1)
source "$(dirname "$0")/common.sh"
build_kivi
dotnet build "$BENCH_ROOT/bench/Kivi.Benchmarks" -c Release -nologo -v quiet >&2
PORT=18787
start_kivi $PORT
dotnet "$BENCH_ROOT/bench/Kivi.Benchmarks/bin/Release/net10.0/Kivi.Benchmarks.dll" fuzz --origin "http://127.0.0.1:$PORT/" --token "$TOKEN" \
  --requests "${REQUESTS:-100000}" --seed "${SEED:-1}"
status=$?
kill -0 "$KIVI_PID" 2>/dev/null || { echo "the node died during the run" >&2; status=1; }
grep -c "Unhandled error" "$WORK/kivi.log" | xargs -I{} echo "unhandled errors in the node's log: {}" >&2
exit $status
