#!/usr/bin/env bash
# Propagation with an origin and 8 edges on this machine, started by the one-command local cluster:
# from a PUT's acknowledgement to the new version being served by every edge, over WRITES writes.
# Then a cold read through an edge beside the same read at the origin.
source "$(dirname "$0")/common.sh"
WRITES=${WRITES:-1000}; EDGES=${EDGES:-8}
build_kivi
dotnet build "$BENCH_ROOT/bench/Kivi.Benchmarks" -c Release -nologo -v quiet >&2
BENCH="dotnet $BENCH_ROOT/bench/Kivi.Benchmarks/bin/Release/net10.0/Kivi.Benchmarks.dll"

dotnet "$BENCH_ROOT/src/Kivi.Server/bin/Release/net10.0/Kivi.Server.dll" cluster --edges "$EDGES" --port 18800 --data "$WORK/cluster" \
  >"$WORK/cluster.out" 2>&1 &
CLUSTER_PID=$!
trap 'kill $CLUSTER_PID 2>/dev/null; wait $CLUSTER_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 600); do grep -q '^ready' "$WORK/cluster.out" && break; sleep 0.1; done
grep -q '^ready' "$WORK/cluster.out" || { cat "$WORK/cluster.out" >&2; exit 1; }
ORIGIN_URL=$(awk '$1=="origin" {print $2}' "$WORK/cluster.out")
EDGE_URLS=$(awk '$1 ~ /^edge-/ {print $2}' "$WORK/cluster.out" | paste -sd, -)
ADMIN=$(cat "$WORK/cluster/admin-token")

for round in $(seq 1 "$ROUNDS"); do
  $BENCH propagation --origin "$ORIGIN_URL" --edges "$EDGE_URLS" --token "$ADMIN" --writes "$WRITES"
done
for round in $(seq 1 "$ROUNDS"); do
  $BENCH cold-read --origin "$ORIGIN_URL" --edge "${EDGE_URLS%%,*}" --token "$ADMIN" --keys 2000
done
