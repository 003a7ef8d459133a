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
EDGE_URL="http://127.0.0.1:$EDGE/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$NS/values/hot"
curl -sf "$EDGE_URL" -H "Authorization: Bearer $TOKEN" | cmp - "$WORK/value"
start_nginx $NGINX_PORT "$WORK/value"
get_vs_nginx "Edge hot GET 1 KiB, 64 connections" "$EDGE_URL" "http://127.0.0.1:$NGINX_PORT/value"
