#!/usr/bin/env bash
# Shared helpers for the side-by-side load benchmarks: install the peers, build Kivi, start it.
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
ACCOUNT=b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0
TOKEN=bench-token
WORK=$(mktemp -d /tmp/kivi-bench.XXXXXX)
KIVI_PID=""

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null && return
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2
}

build_kivi() {
  dotnet build "$BENCH_ROOT/src/Kivi.Server" -c Release -nologo -v quiet >&2
}

start_kivi() { # start_kivi PORT [extra args]; durable (fsync) like any production node, its data folder inside its
  # working directory as when started the README's way (./.kivi), so whatever that costs is measured too
  local port=$1; shift
  rm -rf "$WORK/kivi-data"
  (cd "$WORK" && exec dotnet "$BENCH_ROOT/src/Kivi.Server/bin/Release/net10.0/Kivi.Server.dll" --urls "http://127.0.0.1:$port" \
    --data kivi-data --admin-token "$TOKEN" --account-id "$ACCOUNT" "$@" >"$WORK/kivi.log" 2>&1) &
  KIVI_PID=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  cat "$WORK/kivi.log" >&2; exit 1
}

stop_kivi() { [ -n "$KIVI_PID" ] && kill "$KIVI_PID" 2>/dev/null && wait "$KIVI_PID" 2>/dev/null; KIVI_PID=""; }

create_namespace() { # create_namespace PORT TITLE -> prints the id
  curl -sf -X POST "http://127.0.0.1:$1/client/v4/accounts/$ACCOUNT/storage/kv/namespaces" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\"title\":\"$2\"}" |
    sed -E 's/.*"id":"([0-9a-f]{32})".*/\1/'
}

put_lua() { # put_lua NAMESPACE FILE: a wrk script of durable PUTs, 1 KiB values to 100,000 random keys
  cat >"$2" <<LUA
wrk.method = "PUT"
wrk.body = string.rep("x", 1024)
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/octet-stream"
local base = "/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$1/values/key:"
request = function() return wrk.format(nil, base .. math.random(1, 100000)) end
LUA
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# wrk's "Requests/sec" and p99 (in ms) from its --latency output
wrk_rps() { awk '/Requests\/sec/ {print $2}'; }
wrk_pct_ms() { awk -v p="$1%" '$1==p {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}'; }
wrk_p99_ms() { wrk_pct_ms 99; }
# hey's percentile lines ("  99% in 0.0079 secs") in ms, and its "Requests/sec"
hey_pct_ms() { awk -v p="$1%" '$1==p {printf "%.2f\n", $3 * 1000}'; }
hey_rps() { awk '/Requests\/sec/ {print $2}'; }

cleanup() { stop_edges; stop_kivi; rm -rf "$WORK"; }
trap cleanup EXIT

EDGE_PIDS=()
start_edge() { # start_edge PORT UPSTREAM_PORT REPLICATION_TOKEN [extra args]
  local port=$1 upstream=$2 token=$3; shift 3
  mkdir -p "$WORK/edge-$port" # its own working directory, holding its data folder (./.kivi) as a user's would
  (cd "$WORK/edge-$port" && exec dotnet "$BENCH_ROOT/src/Kivi.Server/bin/Release/net10.0/Kivi.Server.dll" --urls "http://127.0.0.1:$port" --role edge \
    --upstream "http://127.0.0.1:$upstream" --upstream-token "$token" "$@" >"$WORK/edge-$port.log" 2>&1) &
  EDGE_PIDS+=($!)
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  cat "$WORK/edge-$port.log" >&2; exit 1
}

stop_edges() { for pid in "${EDGE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; EDGE_PIDS=(); }

replication_token() { # replication_token PORT -> prints a new replication token's value
  curl -sf -X POST "http://127.0.0.1:$1/client/v4/accounts/$ACCOUNT/tokens" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d '{"name":"bench edges","permission":"replication"}' |
    sed -E 's/.*"value":"([^"]+)".*/\1/'
}

NGINX_DIR=""
start_nginx() { # start_nginx PORT FILE: serves FILE as /value, worker_processes auto, sendfile, no access log
  NGINX_DIR="$WORK/nginx"; mkdir -p "$NGINX_DIR/html"; cp "$2" "$NGINX_DIR/html/value"; chmod -R a+rX "$WORK"
  cat >"$NGINX_DIR/nginx.conf" <<CONF
worker_processes auto; pid $NGINX_DIR/nginx.pid; error_log $NGINX_DIR/error.log; events {}
http { access_log off; sendfile on; keepalive_requests 100000;
  client_body_temp_path $NGINX_DIR/cb; proxy_temp_path $NGINX_DIR/px; fastcgi_temp_path $NGINX_DIR/fc; uwsgi_temp_path $NGINX_DIR/uw; scgi_temp_path $NGINX_DIR/sc;
  server { listen 127.0.0.1:$1; root $NGINX_DIR/html; } }
CONF
  nginx -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR/"
  trap 'nginx -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR/" -s quit 2>/dev/null; cleanup' EXIT
  curl -sf "http://127.0.0.1:$1/value" | cmp - "$2"
}

get_vs_nginx() { # get_vs_nginx LABEL KIVI_URL NGINX_URL: alternating wrk rounds, then one Markdown row of medians and ratios
  local label=$1 kivi=$2 nginx_url=$3 out
  printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" >"$WORK/get.lua"
  wrk -t2 -c64 -d3s -s "$WORK/get.lua" "$kivi" >/dev/null # warm up
  for name in kivi nginx; do : >"$WORK/$name.rps"; : >"$WORK/$name.p99"; done
  for round in $(seq 1 "$ROUNDS"); do
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/get.lua" "$kivi")
    echo "$out" | wrk_rps >>"$WORK/kivi.rps"; echo "$out" | wrk_p99_ms >>"$WORK/kivi.p99"
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "$nginx_url")
    echo "$out" | wrk_rps >>"$WORK/nginx.rps"; echo "$out" | wrk_p99_ms >>"$WORK/nginx.p99"
    echo "round $round: kivi $(tail -1 "$WORK/kivi.rps") req/s p99 $(tail -1 "$WORK/kivi.p99") ms, nginx $(tail -1 "$WORK/nginx.rps") req/s p99 $(tail -1 "$WORK/nginx.p99") ms" >&2
  done
  local k n kp np
  k=$(median <"$WORK/kivi.rps"); n=$(median <"$WORK/nginx.rps"); kp=$(median <"$WORK/kivi.p99"); np=$(median <"$WORK/nginx.p99")
  echo "| $label | Kivi $(printf '%.0f' "$k") req/s, p99 $kp ms | nginx static file $(printf '%.0f' "$n") req/s, p99 $np ms | throughput ratio $(awk -v a="$k" -v b="$n" 'BEGIN{printf "%.2f", a/b}'), p99 ratio $(awk -v a="$kp" -v b="$np" 'BEGIN{printf "%.2f", a/b}') | median of $ROUNDS × ${DURATION}s |"
}

# A throwaway PostgreSQL cluster (Debian's package; fsync and synchronous_commit on, defaults otherwise) on
# 127.0.0.1:PORT, stopped and removed by cleanup; sets PG_BIN and PGW.
PGW=""
start_postgres() { # start_postgres PORT
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "${PG_BIN:-}/initdb" ] || { need psql postgresql; PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); }
  PGW=$(mktemp -d /tmp/kivi-bench-pg.XXXXXX) # its own folder: the server runs as postgres, and $WORK is private
  [ "$(id -u)" = 0 ] && chown postgres: "$PGW"
  as_pg "$PG_BIN/initdb" -D "$PGW/data" -A trust -U postgres -E UTF8 >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PGW/data" -l "$PGW/server.log" -w -o "-c listen_addresses=127.0.0.1 -p $1 -k $PGW" start >/dev/null
}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_postgres() { if [ -n "$PGW" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PGW/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGW"; PGW=""; fi; }

build_bench() { # builds bench/Kivi.Benchmarks; sets BENCH, the command that runs it
  dotnet build "$BENCH_ROOT/bench/Kivi.Benchmarks" -c Release -nologo -v quiet >&2
  BENCH="dotnet $BENCH_ROOT/bench/Kivi.Benchmarks/bin/Release/net10.0/Kivi.Benchmarks.dll"
}

CLUSTER_PID=""
start_cluster() { # start_cluster EDGES PORT: the one-command local cluster (`kivi cluster`); sets ORIGIN_URL, EDGE_URLS (comma-separated), ADMIN
  dotnet "$BENCH_ROOT/src/Kivi.Server/bin/Release/net10.0/Kivi.Server.dll" cluster --edges "$1" --port "$2" --data "$WORK/cluster" \
    >"$WORK/cluster.out" 2>&1 &
  CLUSTER_PID=$!
  for _ in $(seq 1 600); do grep -q '^ready' "$WORK/cluster.out" && break; sleep 0.1; done
  grep -q '^ready' "$WORK/cluster.out" || { cat "$WORK/cluster.out" >&2; exit 1; }
  ORIGIN_URL=$(awk '$1=="origin" {print $2}' "$WORK/cluster.out")
  EDGE_URLS=$(awk '$1 ~ /^edge-/ {print $2}' "$WORK/cluster.out" | paste -sd, -)
  ADMIN=$(cat "$WORK/cluster/admin-token")
}
stop_cluster() { if [ -n "$CLUSTER_PID" ]; then kill "$CLUSTER_PID" 2>/dev/null || true; wait "$CLUSTER_PID" 2>/dev/null || true; CLUSTER_PID=""; fi; }

cleanup() { stop_cluster; stop_edges; stop_kivi; stop_postgres; rm -rf "$WORK"; }

load_keys() { # load_keys PORT NAMESPACE FROM TO: keys k00000000… (FROM ≤ i < TO) with 100-byte values, by bulk PUTs of 10,000
  local port=$1 ns=$2 from=$3 to=$4 chunk
  for ((chunk = from; chunk < to; chunk += 10000)); do
    awk -v a="$chunk" -v b="$to" 'BEGIN {
      v = sprintf("%100s", ""); gsub(/ /, "v", v); printf "["
      for (i = a; i < a + 10000 && i < b; i++) { if (i > a) printf ","; printf "{\"key\":\"k%08d\",\"value\":\"%s\"}", i, v }
      printf "]" }' >"$WORK/chunk.json"
    curl -sf -X PUT "http://127.0.0.1:$port/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$ns/bulk" \
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @"$WORK/chunk.json" >/dev/null
  done
}
