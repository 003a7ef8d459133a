#!/usr/bin/env bash
# Bulk import of KEYS (default 1,000,000) 100-byte values into a durable Kivi node: `kivi import` of an
# NDJSON file beside wrangler 4.86.0's `kv bulk put` of the same entries as a JSON array, in the same run,
# ROUNDS rounds each into a fresh namespace. Prints keys/s per round, the medians and their ratio, and the server's CPU
# seconds for each import (steadier than wall time on a shared machine).
#   bench/import-vs-wrangler.sh            (KEYS=1000000 ROUNDS=3 by default)
source "$(dirname "$0")/common.sh"
need bc bc
KEYS=${KEYS:-1000000}
PORT=18795
WRANGLER="$BENCH_ROOT/tests/clients/node_modules/.bin/wrangler"
[ -x "$WRANGLER" ] || (cd "$BENCH_ROOT/tests/clients" && npm install --no-audit --no-fund >&2)

build_kivi
dotnet build "$BENCH_ROOT/src/Kivi.Cli" -c Release -nologo -v quiet >&2
KIVI_CLI="$BENCH_ROOT/src/Kivi.Cli/bin/Release/net10.0/Kivi.Cli.dll"

python3 - "$KEYS" "$WORK/entries.ndjson" "$WORK/entries.json" <<'PY'
import sys
n, nd, js = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(nd, "w") as a, open(js, "w") as b:
    b.write("[")
    for i in range(n):
        line = '{"key":"key-%09d","value":"%s"}' % (i, ("v%09d" % i) * 10)  # 100-byte value
        a.write(line + "\n")
        b.write(("," if i else "") + line)
    b.write("]")
PY

start_kivi "$PORT"
now() { date +%s.%N; }
server_cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$KIVI_PID/stat"; } # user + system, in seconds
kivi_rates=(); wrangler_rates=(); kivi_cpu=(); wrangler_cpu=()
for round in $(seq 1 "$ROUNDS"); do
  ns=$(create_namespace "$PORT" "kivi-import-$round")
  c0=$(server_cpu); t0=$(now)
  KIVI_URL="http://127.0.0.1:$PORT" KIVI_TOKEN="$TOKEN" KIVI_ACCOUNT_ID="$ACCOUNT" dotnet "$KIVI_CLI" import "$ns" "$WORK/entries.ndjson" --quiet >&2
  t1=$(now); c1=$(server_cpu)
  kivi_rates+=("$(echo "$KEYS / ($t1 - $t0)" | bc -l)"); kivi_cpu+=("$(echo "$c1 - $c0" | bc -l)")

  ns=$(create_namespace "$PORT" "wrangler-bulk-$round")
  c0=$(server_cpu); t0=$(now)
  CLOUDFLARE_API_BASE_URL="http://127.0.0.1:$PORT/client/v4" CLOUDFLARE_API_TOKEN="$TOKEN" CLOUDFLARE_ACCOUNT_ID="$ACCOUNT" \
    WRANGLER_SEND_METRICS=false WRANGLER_LOG_PATH="$WORK/wrangler-logs" HOME="$WORK" \
    "$WRANGLER" kv bulk put "$WORK/entries.json" --namespace-id "$ns" --remote >"$WORK/wrangler.log" 2>&1 || { cat "$WORK/wrangler.log" >&2; exit 1; }
  t1=$(now); c1=$(server_cpu)
  wrangler_rates+=("$(echo "$KEYS / ($t1 - $t0)" | bc -l)"); wrangler_cpu+=("$(echo "$c1 - $c0" | bc -l)")
  count=$(curl -sf "http://127.0.0.1:$PORT/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$ns/keys?limit=10&prefix=key-00000000" -H "Authorization: Bearer $TOKEN" | grep -o '"name"' | wc -l)
  [ "$count" -ge 1 ] || { echo "wrangler wrote nothing" >&2; exit 1; }
  printf 'round %d: kivi import %.0f keys/s (server CPU %.2f s), wrangler kv bulk put %.0f keys/s (server CPU %.2f s)\n' \
    "$round" "${kivi_rates[-1]}" "${kivi_cpu[-1]}" "${wrangler_rates[-1]}" "${wrangler_cpu[-1]}"
done
k=$(printf '%s\n' "${kivi_rates[@]}" | median); w=$(printf '%s\n' "${wrangler_rates[@]}" | median)
printf 'median: kivi import %.0f keys/s, wrangler kv bulk put %.0f keys/s, ratio %.1f (goal: kivi >= 200000 keys/s)\n' "$k" "$w" "$(echo "$k / $w" | bc -l)"
printf 'median server CPU per import: kivi %.2f s, wrangler %.2f s\n' "$(printf '%s\n' "${kivi_cpu[@]}" | median)" "$(printf '%s\n' "${wrangler_cpu[@]}" | median)"
