#!/usr/bin/env bash
# The cost curve: how PUT throughput, GET p99 and list-page p99 change as one namespace grows to 100,000,
# 1,000,000 and 10,000,000 keys (SIZES), on a single node over SQLite started as the README starts it (to
# PG_MAX keys, 1,000,000 by default, also on an origin over PostgreSQL), and the data's size per key.
# At each size, after loading up to it (keys k00000000…, 100-byte values, bulk PUTs of 10,000):
#   - size: the data folder (SQLite: database and WAL) or the database (PostgreSQL), per key;
#   - GET: a random existing key at GET_RATE a second (8 paced clients, wrk), p99: on the single node mostly cache
#     misses once the keys outgrow its cache;
#   - list: a page of 1,000 under a random 5-character prefix (10,000 keys each, so every page is full) at LIST_RATE
#     pages a second (8 paced clients), p99;
#   - PUT: a new 100-byte value for a random existing key (the data keeps its shape), 64 clients as fast as they go, durable, req/s.
# Paced, not as fast as they go: on two cores shared with wrk (and PostgreSQL), a saturated closed loop measures
# the scheduler's queueing, not the store (see "PostgreSQL's list tail" in docs/benchmarks.md).
# Each measurement is the median of ROUNDS runs of DURATION seconds.
source "$(dirname "$0")/common.sh"
need wrk wrk
SIZES=${SIZES:-100000 1000000 10000000}; PG_MAX=${PG_MAX:-1000000}; GET_RATE=${GET_RATE:-2000}; LIST_RATE=${LIST_RATE:-400}
SQLITE_PORT=18795; PG_HTTP_PORT=18796; PG_PORT=25433
build_kivi
start_kivi $SQLITE_PORT
start_postgres $PG_PORT
dotnet "$BENCH_ROOT/src/Kivi.Server/bin/Release/net10.0/Kivi.Server.dll" --urls "http://127.0.0.1:$PG_HTTP_PORT" \
  --data "$WORK/kivi-pg" --admin-token "$TOKEN" --account-id "$ACCOUNT" --role origin \
  --postgres "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres" >"$WORK/kivi-pg.log" 2>&1 &
PG_KIVI=$!
trap 'kill $PG_KIVI 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PG_HTTP_PORT/healthz" >/dev/null && break; sleep 0.1; done
SQLITE_NS=$(create_namespace $SQLITE_PORT curve); PG_NS=$(create_namespace $PG_HTTP_PORT curve)

pace() { awk -v r="$1" 'BEGIN { printf "delay = function() return %d end\n", 8 * 1000 / r }'; } # 8 connections, each one request per 8/r s (less its own time)
lua() { # lua KIND NS KEYS FILE
  case $1 in
    get) echo "local base = \"/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$2/values/k\"
request = function() return wrk.format(\"GET\", base .. string.format(\"%08d\", math.random(0, $3 - 1))) end"; pace "$GET_RATE" ;;
    list) echo "local base = \"/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$2/keys?limit=1000&prefix=k\"
request = function() return wrk.format(\"GET\", base .. string.format(\"%04d\", math.random(0, $3 / 10000 - 1))) end"; pace "$LIST_RATE" ;;
    put) echo "wrk.method = \"PUT\"
wrk.body = string.rep(\"w\", 100)
wrk.headers[\"Content-Type\"] = \"application/octet-stream\"
local base = \"/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$2/values/k\"
request = function() return wrk.format(nil, base .. string.format(\"%08d\", math.random(0, $3 - 1))) end" ;;
  esac >"$4"
  echo "wrk.headers[\"Authorization\"] = \"Bearer $TOKEN\"" >>"$4"
}
measure() { # measure PORT KIND CLIENTS SCRIPT -> "median-rps median-p99"
  : >"$WORK/m.rps"; : >"$WORK/m.p99"
  for _ in $(seq 1 "$ROUNDS"); do
    out=$(wrk -t2 -c"$3" -d"${DURATION}s" --latency -s "$4" "http://127.0.0.1:$1")
    echo "$out" | wrk_rps >>"$WORK/m.rps"; echo "$out" | wrk_p99_ms >>"$WORK/m.p99"
  done
  echo "$(median <"$WORK/m.rps") $(median <"$WORK/m.p99")"
}

loaded=0
echo "| store | keys | bytes/key | GET p99 at $GET_RATE/s | list page p99 at $LIST_RATE/s | durable PUT req/s (p99) |"
echo "|---|---|---|---|---|---|"
for size in $SIZES; do
  for s in sqlite pg; do
    [ $s = pg ] && [ "$size" -gt "$PG_MAX" ] && continue
    port=$SQLITE_PORT; ns=$SQLITE_NS; [ $s = pg ] && { port=$PG_HTTP_PORT; ns=$PG_NS; }
    start=$(date +%s.%N)
    load_keys $port "$ns" "$loaded" "$size"
    echo "$s: loaded to $size keys in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s" >&2
    if [ $s = sqlite ]; then bytes=$(du -sb "$WORK/kivi-data" | cut -f1)
    else
      "$PG_BIN/psql" -h 127.0.0.1 -p $PG_PORT -U postgres -qc "VACUUM (ANALYZE) kivi_entries;" -c "CHECKPOINT;"
      bytes=$("$PG_BIN/psql" -h 127.0.0.1 -p $PG_PORT -U postgres -Atc "SELECT pg_database_size('postgres')")
    fi
    for k in get list put; do lua $k "$ns" "$size" "$WORK/$k.lua"; done
    wrk -t2 -c8 -d2s -s "$WORK/get.lua" "http://127.0.0.1:$port" >/dev/null
    read -r get_rps get_p99 < <(measure $port get 8 "$WORK/get.lua")
    read -r list_rps list_p99 < <(measure $port list 8 "$WORK/list.lua")
    read -r put_rps put_p99 < <(measure $port put 64 "$WORK/put.lua")
    echo "| $s | $size | $((bytes / size)) | $get_p99 ms | $list_p99 ms | $(printf '%.0f' "$put_rps") ($put_p99 ms) |"
  done
  loaded=$size
done
