#!/usr/bin/env bash
# Edge hot GET of a 1 KiB value (wrk, 64 connections) beside nginx serving a 1 KiB static file,
# alternating in one run: an origin and one edge, the value cached at the edge. Medians and ratios.
source "$(dirname "$0")/common.sh"
need wrk wrk; need nginx nginx
build_kivi
ORIGIN=18790; EDGE=18791; NGINX_PORT=18089

start_kivi $ORIGIN
NS=$(create_namespace $ORIGIN edge-get-bench)
start_edge $EDGE $ORIGIN "$(replication_token $ORIGIN)"
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 >"$WORK/value"
curl -sf -X PUT "http://127.0.0.1:$ORIGIN/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$NS/values/hot" \
  -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/value" >/dev/null
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" >"$WORK/get.lua"
EDGE_URL="http://127.0.0.1:$EDGE/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$NS/values/hot"

NG="$WORK/nginx"; mkdir -p "$NG/html"; cp "$WORK/value" "$NG/html/value"; chmod -R a+rX "$WORK"
cat >"$NG/nginx.conf" <<CONF
worker_processes auto; pid $NG/nginx.pid; error_log $NG/error.log; events {}
http { access_log off; sendfile on; keepalive_requests 100000;
  client_body_temp_path $NG/cb; proxy_temp_path $NG/px; fastcgi_temp_path $NG/fc; uwsgi_temp_path $NG/uw; scgi_temp_path $NG/sc;
  server { listen 127.0.0.1:$NGINX_PORT; root $NG/html; } }
CONF
nginx -c "$NG/nginx.conf" -p "$NG/"
trap 'nginx -c "$NG/nginx.conf" -p "$NG/" -s quit 2>/dev/null; cleanup' EXIT
curl -sf "$EDGE_URL" -H "Authorization: Bearer $TOKEN" | cmp - "$WORK/value"
curl -sf "http://127.0.0.1:$NGINX_PORT/value" | cmp - "$WORK/value"

wrk -t2 -c64 -d3s -s "$WORK/get.lua" "$EDGE_URL" >/dev/null # warm up
for name in edge nginx; do : >"$WORK/$name.rps"; : >"$WORK/$name.p99"; done
for round in $(seq 1 "$ROUNDS"); do
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$WORK/get.lua" "$EDGE_URL")
  echo "$out" | wrk_rps >>"$WORK/edge.rps"; echo "$out" | wrk_p99_ms >>"$WORK/edge.p99"
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "http://127.0.0.1:$NGINX_PORT/value")
  echo "$out" | wrk_rps >>"$WORK/nginx.rps"; echo "$out" | wrk_p99_ms >>"$WORK/nginx.p99"
  echo "round $round: edge $(tail -1 "$WORK/edge.rps") req/s p99 $(tail -1 "$WORK/edge.p99") ms, nginx $(tail -1 "$WORK/nginx.rps") req/s p99 $(tail -1 "$WORK/nginx.p99") ms" >&2
done
k=$(median <"$WORK/edge.rps"); n=$(median <"$WORK/nginx.rps"); kp=$(median <"$WORK/edge.p99"); np=$(median <"$WORK/nginx.p99")
echo "| Edge hot GET 1 KiB, 64 connections | Kivi edge $(printf '%.0f' "$k") req/s, p99 $kp ms | nginx static file $(printf '%.0f' "$n") req/s, p99 $np ms | throughput ratio $(awk -v a="$k" -v b="$n" 'BEGIN{printf "%.2f", a/b}'), p99 ratio $(awk -v a="$kp" -v b="$np" 'BEGIN{printf "%.2f", a/b}') | median of $ROUNDS × ${DURATION}s |"
