#!/usr/bin/env bash
# Durable PUT throughput, 1 KiB values, 64 concurrent HTTP clients (wrk), beside Redis SET with
# appendfsync always (redis-benchmark, 64 clients) and etcd 3.4 (Debian's etcd-server, fsync per commit) through its
# HTTP/JSON gateway /v3/kv/put (wrk, 64 clients), alternating in one run. Reports medians and the ratios.
source "$(dirname "$0")/common.sh"
need wrk wrk; need redis-server redis-server; need etcd etcd-server
build_kivi
PORT=18787; REDIS_PORT=16390; ETCD_PORT=12379

start_kivi $PORT ${KIVI_ARGS:-}
NS=$(create_namespace $PORT put-bench)
# warm up (JIT, tiered compilation) before anything is measured
curl -sf -X PUT "http://127.0.0.1:$PORT/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$NS/values/warm" -H "Authorization: Bearer $TOKEN" -d x >/dev/null
put_lua "$NS" "$WORK/put.lua"
mkdir -p "$WORK/redis"
redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
  --dir "$WORK/redis" --daemonize yes --pidfile "$WORK/redis/redis.pid" >/dev/null
etcd --name bench --data-dir "$WORK/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 --initial-cluster bench=http://127.0.0.1:12380 \
  --log-level warn >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
trap 'redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1; kill $ETCD_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null && break; sleep 0.1; done
# etcd's gateway takes base64 keys and values: 1 KiB values, 100,000 random keys (8 base64 characters of "k" + a number)
cat >"$WORK/etcd.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local value = "$(head -c 1024 /dev/zero | tr '\0' x | base64 -w0)"
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
request = function()
  local n, key = math.random(1, 100000), ""
  for _ = 1, 4 do local i = n % 64; key = key .. alphabet:sub(i + 1, i + 1); n = math.floor(n / 64) end
  return wrk.format(nil, "/v3/kv/put", nil, '{"key":"azAw' .. key .. '","value":"' .. value .. '"}')
end
LUA
curl -sf -X POST "http://127.0.0.1:$ETCD_PORT/v3/kv/put" -d '{"key":"d2FybQ==","value":"eA=="}' | grep -q revision || { cat "$WORK/etcd.log" >&2; exit 1; }
sleep 0.5
wrk -t2 -c64 -d3s -s "$WORK/put.lua" "http://127.0.0.1:$PORT" >/dev/null
wrk -t2 -c64 -d3s -s "$WORK/etcd.lua" "http://127.0.0.1:$ETCD_PORT" >/dev/null

: >"$WORK/kivi.rps"; : >"$WORK/kivi.p99"; : >"$WORK/redis.rps"; : >"$WORK/redis.p99"; : >"$WORK/etcd.rps"; : >"$WORK/etcd.p99"
for round in $(seq 1 "$ROUNDS"); do
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/put.lua" "http://127.0.0.1:$PORT")
  echo "$out" | wrk_rps >>"$WORK/kivi.rps"; echo "$out" | wrk_p99_ms >>"$WORK/kivi.p99"
  # redis-benchmark runs a fixed count: size it to about the same duration
  out=$(redis-benchmark -p $REDIS_PORT -t set -d 1024 -c 64 -r 100000 -n $((45000 * DURATION)) --precision 3 2>/dev/null | tr '\r' '\n')
  echo "$out" | awk '/throughput summary:/ {print $3}' >>"$WORK/redis.rps"
  echo "$out" | awk 'found {print $5; exit} /avg +min +p50 +p95 +p99/ {found=1}' >>"$WORK/redis.p99"
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/etcd.lua" "http://127.0.0.1:$ETCD_PORT")
  echo "$out" | grep -q "Non-2xx" && { echo "etcd refused puts: $out" >&2; exit 1; }
  echo "$out" | wrk_rps >>"$WORK/etcd.rps"; echo "$out" | wrk_p99_ms >>"$WORK/etcd.p99"
  echo "round $round: kivi $(tail -1 "$WORK/kivi.rps") req/s, redis $(tail -1 "$WORK/redis.rps") req/s, etcd $(tail -1 "$WORK/etcd.rps") req/s" >&2
done
k=$(median <"$WORK/kivi.rps"); r=$(median <"$WORK/redis.rps"); e=$(median <"$WORK/etcd.rps")
echo "| durable PUT 1 KiB, 64 clients | Kivi $(printf '%.0f' "$k") req/s (p99 $(median <"$WORK/kivi.p99") ms) | Redis appendfsync always $(printf '%.0f' "$r") req/s (p99 $(median <"$WORK/redis.p99") ms) | ratio $(awk -v a="$k" -v b="$r" 'BEGIN{printf "%.2f", a/b}') | median of $ROUNDS × ${DURATION}s |"
echo "| durable PUT 1 KiB, 64 clients | Kivi $(printf '%.0f' "$k") req/s | etcd 3.4 /v3/kv/put $(printf '%.0f' "$e") req/s (p99 $(median <"$WORK/etcd.p99") ms) | ratio $(awk -v a="$k" -v b="$e" 'BEGIN{printf "%.2f", a/b}') | median of $ROUNDS × ${DURATION}s |"
