#!/usr/bin/env bash
# Watch fan-out: WATCHERS watchers (default 10,000) of one namespace, spread over the 4 edges of a local cluster
# (started by the one-command `kivi cluster`), beside the same watchers all at the origin (what forwarding
# them would cost it), alternating, ROUNDS rounds. Each of WRITES writes at the origin is timed from its
# acknowledgement to its arrival at every watcher. While the watchers are open, the origin's open
# connections are read from its metrics: the edges' way, it serves each edge one feed.
source "$(dirname "$0")/common.sh"
WATCHERS=${WATCHERS:-10000}; WRITES=${WRITES:-200}; EDGES=${EDGES:-4}
build_kivi
build_bench
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
start_cluster "$EDGES" 18900
origin_connections() { # the origin's open connections, from its metrics
  curl -sf "${ORIGIN_URL%/}/metrics" -H "Authorization: Bearer $ADMIN" | awk '/^kestrel_active_connections/ {s += $NF} END {print s + 0}'
}
for round in $(seq 1 "$ROUNDS"); do
  for where in edges origin; do
    nodes=$EDGE_URLS; [ $where = origin ] && nodes=$ORIGIN_URL
    $BENCH watch-fanout --origin "$ORIGIN_URL" --nodes "$nodes" --token "$ADMIN" --watchers "$WATCHERS" --writes "$WRITES" >"$WORK/run.out" &
    run=$!
    peak=0
    while kill -0 $run 2>/dev/null; do c=$(origin_connections); [ "$c" -gt "$peak" ] && peak=$c; sleep 1; done
    wait $run
    echo "round $round, watchers at the $where: $(cat "$WORK/run.out") (the origin's open connections peaked at $peak)"
  done
done
