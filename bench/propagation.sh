#!/usr/bin/env bash
# Propagation with an origin and 8 edges on this machine, started by the one-command local cluster:
# from a PUT's acknowledgement to the new version being served by every edge, over WRITES writes.
# Then a cold read through an edge beside the same read at the origin.
# LOAD=5000: meanwhile the origin takes about that many durable 1 KiB writes a second (wrk, paced, other keys), so the
# feed carries them all to every edge while propagation is measured; the rate it really took is printed.
source "$(dirname "$0")/common.sh"
WRITES=${WRITES:-1000}; EDGES=${EDGES:-8}; LOAD=${LOAD:-0}
build_kivi
build_bench
start_cluster "$EDGES" 18800

LOAD_PID=""
if [ "$LOAD" -gt 0 ]; then
  need wrk wrk; need bc bc
  ORIGIN=${ORIGIN_URL%/}; ORIGIN_PORT=${ORIGIN##*:}
  TOKEN=$ADMIN; ACCOUNT=$(curl -sf "$ORIGIN/client/v4/accounts" -H "Authorization: Bearer $ADMIN" | sed -E 's/.*"id":"([0-9a-f]{32})".*/\1/')
  LOAD_NS=$(create_namespace "$ORIGIN_PORT" load)
  put_lua "$LOAD_NS" "$WORK/load.lua"
  CONNECTIONS=32 # each paced to LOAD/32 a second
  echo "delay = function() return $(awk -v c=$CONNECTIONS -v r="$LOAD" 'BEGIN{d=c*1000/r-2; if (d<0) d=0; printf "%d", d}') end" >>"$WORK/load.lua"
  wrk -t1 -c$CONNECTIONS -d3600s -s "$WORK/load.lua" "$ORIGIN" >"$WORK/load.out" 2>&1 &
  LOAD_PID=$!
  sleep 3
  trap 'kill $LOAD_PID 2>/dev/null || true; cleanup' EXIT
  # What following the load costs an edge: its CPU over 10 s of it (no probe reads), per change the origin committed.
  edge_ticks() { local t=0 pid; for pid in $(pgrep -P "$CLUSTER_PID" -f -- '--role edge'); do t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$t"; }
  mark() { curl -sf -X PUT "$ORIGIN/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$LOAD_NS/values/cpu-mark" -H "Authorization: Bearer $ADMIN" \
    --data-binary x -D - -o /dev/null | awk 'tolower($1) == "kivi-version:" {print $2 + 0}'; }
  v0=$(mark); c0=$(edge_ticks); sleep 10; v1=$(mark); c1=$(edge_ticks)
  printf 'edges following the load: %d changes in 10 s, %.1f us of CPU per change per edge (%d edges)\n' \
    "$((v1 - v0))" "$(echo "($c1 - $c0) * 10000 / ($v1 - $v0) / $EDGES" | bc -l)" "$EDGES"
fi
for round in $(seq 1 "$ROUNDS"); do
  $BENCH propagation --origin "$ORIGIN_URL" --edges "$EDGE_URLS" --token "$ADMIN" --writes "$WRITES"
done
if [ -n "$LOAD_PID" ]; then kill "$LOAD_PID" 2>/dev/null || true; LOAD_PID=""; fi
for round in $(seq 1 "$ROUNDS"); do
  $BENCH cold-read --origin "$ORIGIN_URL" --edge "${EDGE_URLS%%,*}" --token "$ADMIN" --keys 2000
done
