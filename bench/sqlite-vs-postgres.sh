#!/usr/bin/env bash
# The two stores side by side, same machine, same run: Kivi origins over SQLite and over PostgreSQL 15
# (Debian's package, a throwaway cluster with fsync and synchronous_commit on, default settings otherwise).
#  1. durable PUT throughput: 1 KiB values, 64 concurrent HTTP clients (wrk), alternating rounds;
#  2. list-page latency at 1,000,000 keys: a 1,000-key page under a random one of 1,000 prefixes, 8 clients
#     as fast as they go (closed loop: the machine saturated, so the tail is queueing for its two cores);
#  3. the same pages at fixed rates (LIST_RATES, pages/s, 8 clients paced by hey): the latency a request
#     sees when the machine is not saturated, which is what the p99 goal is about.
# Both nodes run --role origin (no in-process cache), so every request reaches its store. SETTLE=0 skips
# vacuuming and checkpointing PostgreSQL after the load; PG_EXTRA is appended to its connection string.
source "$(dirname "$0")/common.sh"
need wrk wrk
need hey hey
build_kivi
SQLITE_PORT=18791; PG_HTTP_PORT=18792; PG_PORT=25432
KEYS=${KEYS:-1000000}

# --- PostgreSQL ---------------------------------------------------------------------------------
start_postgres $PG_PORT
PG_KIVI=""
trap 'kill $PG_KIVI 2>/dev/null; cleanup' EXIT

# --- the two Kivi origins -----------------------------------------------------------------------
start_kivi $SQLITE_PORT --role origin
dotnet "$BENCH_ROOT/src/Kivi.Server/bin/Release/net10.0/Kivi.Server.dll" --urls "http://127.0.0.1:$PG_HTTP_PORT" \
  --data "$WORK/kivi-pg" --admin-token "$TOKEN" --account-id "$ACCOUNT" --role origin \
  --postgres "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres${PG_EXTRA:-}" >"$WORK/kivi-pg.log" 2>&1 &
PG_KIVI=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PG_HTTP_PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PG_HTTP_PORT/healthz" >/dev/null || { cat "$WORK/kivi-pg.log" >&2; exit 1; }

# --- 1. durable PUT -----------------------------------------------------------------------------
put_lua "$(create_namespace $SQLITE_PORT put)" "$WORK/put-sqlite.lua"
put_lua "$(create_namespace $PG_HTTP_PORT put)" "$WORK/put-pg.lua"
wrk -t2 -c64 -d3s -s "$WORK/put-sqlite.lua" "http://127.0.0.1:$SQLITE_PORT" >/dev/null
wrk -t2 -c64 -d3s -s "$WORK/put-pg.lua" "http://127.0.0.1:$PG_HTTP_PORT" >/dev/null
for s in sqlite pg; do : >"$WORK/put-$s.rps"; : >"$WORK/put-$s.p99"; done
for round in $(seq 1 "$ROUNDS"); do
  for s in sqlite pg; do
    port=$SQLITE_PORT; [ $s = pg ] && port=$PG_HTTP_PORT
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/put-$s.lua" "http://127.0.0.1:$port")
    echo "$out" | wrk_rps >>"$WORK/put-$s.rps"; echo "$out" | wrk_p99_ms >>"$WORK/put-$s.p99"
  done
  echo "PUT round $round: sqlite $(tail -1 "$WORK/put-sqlite.rps") req/s, postgres $(tail -1 "$WORK/put-pg.rps") req/s" >&2
done

# --- 2. list pages at 1,000,000 keys ------------------------------------------------------------
# Keys p000/k000000 … p999/k…: 1,000 prefixes of KEYS/1000 keys each, 100-byte values, written by bulk PUTs of 10,000.
per=$((KEYS / 1000))
for s in sqlite pg; do
  port=$SQLITE_PORT; [ $s = pg ] && port=$PG_HTTP_PORT
  ns=$(create_namespace $port list); echo "$ns" >"$WORK/list-$s.ns"
  start=$(date +%s.%N)
  for chunk in $(seq 0 $(( (KEYS + 9999) / 10000 - 1 ))); do
    awk -v c="$chunk" -v per="$per" -v total="$KEYS" 'BEGIN {
      v = sprintf("%100s", ""); gsub(/ /, "v", v); printf "["
      for (i = c * 10000; i < (c + 1) * 10000 && i < total; i++) {
        if (i > c * 10000) printf ","
        printf "{\"key\":\"p%03d/k%06d\",\"value\":\"%s\"}", int(i / per), i, v
      }
      printf "]" }' >"$WORK/chunk.json"
    curl -sf -X PUT "http://127.0.0.1:$port/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$ns/bulk" \
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @"$WORK/chunk.json" >/dev/null
  done
  echo "loaded $KEYS keys into $s in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s" >&2
done
# Measure the steady state, not the aftermath of the load: what autovacuum and the next checkpoint would
# do during the rounds (first run: p99 131-143 ms against a p50 of 3.5 ms) is done now.
if [ "${SETTLE:-1}" = 1 ]; then
  "$PG_BIN/psql" -h 127.0.0.1 -p $PG_PORT -U postgres -qc "VACUUM (ANALYZE) kivi_entries;" -c "CHECKPOINT;"
  echo "PostgreSQL vacuumed, analysed and checkpointed after the load" >&2
fi
list_lua() { # list_lua NS FILE
  cat >"$2" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
local base = "/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$1/keys?limit=1000&prefix=p"
request = function() return wrk.format("GET", base .. string.format("%03d", math.random(0, 999)) .. "/") end
LUA
}
list_lua "$(cat "$WORK/list-sqlite.ns")" "$WORK/list-sqlite.lua"; list_lua "$(cat "$WORK/list-pg.ns")" "$WORK/list-pg.lua"
for s in sqlite pg; do
  port=$SQLITE_PORT; [ $s = pg ] && port=$PG_HTTP_PORT
  wrk -t2 -c8 -d3s -s "$WORK/list-$s.lua" "http://127.0.0.1:$port" >/dev/null
  : >"$WORK/list-$s.rps"; : >"$WORK/list-$s.p50"; : >"$WORK/list-$s.p99"
done
for round in $(seq 1 "$ROUNDS"); do
  for s in sqlite pg; do
    port=$SQLITE_PORT; [ $s = pg ] && port=$PG_HTTP_PORT
    out=$(wrk -t2 -c8 -d"${DURATION}s" --latency -s "$WORK/list-$s.lua" "http://127.0.0.1:$port")
    echo "$out" | wrk_rps >>"$WORK/list-$s.rps"; echo "$out" | wrk_pct_ms 50 >>"$WORK/list-$s.p50"; echo "$out" | wrk_p99_ms >>"$WORK/list-$s.p99"
  done
  echo "list round $round: sqlite p50 $(tail -1 "$WORK/list-sqlite.p50") ms, postgres p50 $(tail -1 "$WORK/list-pg.p50") ms" >&2
done

# --- 3. list pages at fixed rates -----------------------------------------------------------------
LIST_RATES=${LIST_RATES:-400 800}
for rate in $LIST_RATES; do
  for s in sqlite pg; do : >"$WORK/rate$rate-$s.p50"; : >"$WORK/rate$rate-$s.p99"; done
  for round in $(seq 1 "$ROUNDS"); do
    prefix=$(printf 'p%03d/' $((RANDOM % 1000)))
    for s in sqlite pg; do
      port=$SQLITE_PORT; [ $s = pg ] && port=$PG_HTTP_PORT
      out=$(hey -z "${DURATION}s" -c 8 -q $((rate / 8)) -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$port/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$(cat "$WORK/list-$s.ns")/keys?limit=1000&prefix=$prefix")
      echo "$out" | hey_pct_ms 50 >>"$WORK/rate$rate-$s.p50"; echo "$out" | hey_pct_ms 99 >>"$WORK/rate$rate-$s.p99"
    done
    echo "list at $rate pages/s, round $round: sqlite p99 $(tail -1 "$WORK/rate$rate-sqlite.p99") ms, postgres p99 $(tail -1 "$WORK/rate$rate-pg.p99") ms" >&2
  done
done

ks=$(median <"$WORK/put-sqlite.rps"); kp=$(median <"$WORK/put-pg.rps")
echo "| durable PUT 1 KiB, 64 clients | SQLite $(printf '%.0f' "$ks") req/s (p99 $(median <"$WORK/put-sqlite.p99") ms) | PostgreSQL $(printf '%.0f' "$kp") req/s (p99 $(median <"$WORK/put-pg.p99") ms) | PostgreSQL/SQLite $(awk -v a="$kp" -v b="$ks" 'BEGIN{printf "%.2f", a/b}') | median of $ROUNDS × ${DURATION}s |"
ls50=$(median <"$WORK/list-sqlite.p50"); lp50=$(median <"$WORK/list-pg.p50")
echo "| list page of 1,000 at $KEYS keys, 8 clients | SQLite p50 $ls50 ms, p99 $(median <"$WORK/list-sqlite.p99") ms, $(printf '%.0f' "$(median <"$WORK/list-sqlite.rps")") pages/s | PostgreSQL p50 $lp50 ms, p99 $(median <"$WORK/list-pg.p99") ms, $(printf '%.0f' "$(median <"$WORK/list-pg.rps")") pages/s | p50 PostgreSQL/SQLite $(awk -v a="$lp50" -v b="$ls50" 'BEGIN{printf "%.2f", a/b}') | median of $ROUNDS × ${DURATION}s |"
for rate in $LIST_RATES; do
  echo "| list page of 1,000 at $KEYS keys, $rate pages/s (8 paced clients) | SQLite p50 $(median <"$WORK/rate$rate-sqlite.p50") ms, p99 $(median <"$WORK/rate$rate-sqlite.p99") ms | PostgreSQL p50 $(median <"$WORK/rate$rate-pg.p50") ms, p99 $(median <"$WORK/rate$rate-pg.p99") ms | p99 PostgreSQL/SQLite $(awk -v a="$(median <"$WORK/rate$rate-pg.p99")" -v b="$(median <"$WORK/rate$rate-sqlite.p99")" 'BEGIN{printf "%.2f", a/b}') | median of $ROUNDS × ${DURATION}s |"
done
