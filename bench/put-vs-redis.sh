#!/usr/bin/env bash
# Durable PUT throughput, 1 KiB values, 64 concurrent HTTP clients (wrk), beside Redis SET with
# appendfsync always (redis-benchmark, 64 clients), alternating in one run. Reports medians and the ratio.
source "$(dirname "$0")/common.sh"
need wrk wrk; need redis-server redis-server
build_kivi
PORT=18787; REDIS_PORT=16390

start_kivi $PORT ${KIVI_ARGS:-}
NS=$(create_namespace $PORT put-bench)
# warm up (JIT, tiered compilation) before anything is measured
curl -sf -X PUT "http://127.0.0.1:$PORT/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$NS/values/warm" -H "Authorization: Bearer $TOKEN" -d x >/dev/null
put_lua "$NS" "$WORK/put.lua"
mkdir -p "$WORK/redis"
redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
  --dir "$WORK/redis" --daemonize yes --pidfile "$WORK/redis/redis.pid" >/dev/null
trap 'redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1; cleanup' EXIT
sleep 0.5
wrk -t2 -c64 -d3s -s "$WORK/put.lua" "http://127.0.0.1:$PORT" >/dev/null

: >"$WORK/kivi.rps"; : >"$WORK/kivi.p99"; : >"$WORK/redis.rps"; : >"$WORK/redis.p99"
for round in $(seq 1 "$ROUNDS"); do
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/put.lua" "http://127.0.0.1:$PORT")
  echo "$out" | wrk_rps >>"$WORK/kivi.rps"; echo "$out" | wrk_p99_ms >>"$WORK/kivi.p99"
  # redis-benchmark runs a fixed count: size it to about the same duration
  out=$(redis-benchmark -p $REDIS_PORT -t set -d 1024 -c 64 -r 100000 -n $((45000 * DURATION)) --precision 3 2>/dev/null | tr '\r' '\n')
  echo "$out" | awk '/throughput summary:/ {print $3}' >>"$WORK/redis.rps"
  echo "$out" | awk 'found {print $5; exit} /avg +min +p50 +p95 +p99/ {found=1}' >>"$WORK/redis.p99"
  echo "round $round: kivi $(tail -1 "$WORK/kivi.rps") req/s, redis $(tail -1 "$WORK/redis.rps") req/s" >&2
done
k=$(median <"$WORK/kivi.rps"); r=$(median <"$WORK/redis.rps")
echo "| durable PUT 1 KiB, 64 clients | Kivi $(printf '%.0f' "$k") req/s (p99 $(median <"$WORK/kivi.p99") ms) | Redis appendfsync always $(printf '%.0f' "$r") req/s (p99 $(median <"$WORK/redis.p99") ms) | ratio $(awk -v a="$k" -v b="$r" 'BEGIN{printf "%.2f", a/b}') | median of $ROUNDS × ${DURATION}s |"
