#!/usr/bin/env bash
# The cost of usage metering and /metrics: GET (hot, 1 KiB) and durable PUT (1 KiB) throughput of a node as a user
# starts it (usage counted, /metrics served and scraped every 5 s) beside the same build started with
# --usage false --metrics false, alternating rounds in one run. Reports medians and the ratio (goal: within 3%).
source "$(dirname "$0")/common.sh"
need wrk wrk
build_kivi
ON=18791; OFF=18792
PIDS=()
start_node() { # start_node PORT DATA [extra args]
  local port=$1 data=$2; shift 2
  dotnet "$BENCH_ROOT/src/Kivi.Server/bin/Release/net10.0/Kivi.Server.dll" --urls "http://127.0.0.1:$port" \
    --data "$data" --admin-token "$TOKEN" --account-id "$ACCOUNT" "$@" >"$data.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  cat "$data.log" >&2; exit 1
}
trap 'kill "${PIDS[@]}" 2>/dev/null; [ -n "${SCRAPER:-}" ] && kill "$SCRAPER" 2>/dev/null; cleanup' EXIT
start_node $ON "$WORK/on" ${ON_ARGS:-}
start_node $OFF "$WORK/off" ${OFF_ARGS---usage false --metrics false} # OFF_ARGS= for an A/A check of the harness
# Prometheus's side of it: a scrape of the metered node every 5 s throughout
(while sleep 5; do curl -sf "http://127.0.0.1:$ON/metrics" -H "Authorization: Bearer $TOKEN" >/dev/null; done) &
SCRAPER=$!

head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 >"$WORK/value"
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" >"$WORK/get.lua"
declare -A NS GET_URL
for port in $ON $OFF; do
  NS[$port]=$(create_namespace $port metering)
  GET_URL[$port]="http://127.0.0.1:$port/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/${NS[$port]}/values/hot"
  curl -sf -X PUT "${GET_URL[$port]}" -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/value" >/dev/null
  put_lua "${NS[$port]}" "$WORK/put-$port.lua"
  wrk -t2 -c64 -d3s -s "$WORK/get.lua" "${GET_URL[$port]}" >/dev/null       # warm up
  wrk -t2 -c64 -d3s -s "$WORK/put-$port.lua" "http://127.0.0.1:$port" >/dev/null
done

for kind in get put; do for port in $ON $OFF; do : >"$WORK/$kind-$port.rps"; : >"$WORK/$kind-$port.p99"; done; done
for round in $(seq 1 "$ROUNDS"); do
  order="$ON $OFF"; [ $((round % 2)) = 0 ] && order="$OFF $ON" # neither node always goes first
  for port in $order; do
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/get.lua" "${GET_URL[$port]}")
    echo "$out" | wrk_rps >>"$WORK/get-$port.rps"; echo "$out" | wrk_p99_ms >>"$WORK/get-$port.p99"
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/put-$port.lua" "http://127.0.0.1:$port")
    echo "$out" | wrk_rps >>"$WORK/put-$port.rps"; echo "$out" | wrk_p99_ms >>"$WORK/put-$port.p99"
  done
  for kind in get put; do awk -v a="$(tail -1 "$WORK/$kind-$ON.rps")" -v b="$(tail -1 "$WORK/$kind-$OFF.rps")" 'BEGIN{print a/b}' >>"$WORK/$kind.ratio"; done
  echo "round $round: GET on $(tail -1 "$WORK/get-$ON.rps") off $(tail -1 "$WORK/get-$OFF.rps"); PUT on $(tail -1 "$WORK/put-$ON.rps") off $(tail -1 "$WORK/put-$OFF.rps")" >&2
done
for kind in get put; do
  a=$(median <"$WORK/$kind-$ON.rps"); b=$(median <"$WORK/$kind-$OFF.rps")
  echo "| ${kind^^} 1 KiB, 64 connections | metered (default) $(printf '%.0f' "$a") req/s, p99 $(median <"$WORK/$kind-$ON.p99") ms | --usage false --metrics false $(printf '%.0f' "$b") req/s, p99 $(median <"$WORK/$kind-$OFF.p99") ms | ratio of medians $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", a/b}'), median of round ratios $(median <"$WORK/$kind.ratio" | awk '{printf "%.3f", $1}') | $ROUNDS × ${DURATION}s |"
done
