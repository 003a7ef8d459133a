#!/usr/bin/env bash
# GET throughput and p99 for a 1 KiB value (wrk, 64 connections) on a single node beside nginx serving
# a 1 KiB static file, alternating in one run. Reports medians and the ratios.
source "$(dirname "$0")/common.sh"
need wrk wrk; need nginx nginx
build_kivi
PORT=18788; NGINX_PORT=18089

start_kivi $PORT
NS=$(create_namespace $PORT get-bench)
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 >"$WORK/value"
URL="http://127.0.0.1:$PORT/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$NS/values/hot"
curl -sf -X PUT "$URL" -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/value" >/dev/null
curl -sf "$URL" -H "Authorization: Bearer $TOKEN" | cmp - "$WORK/value"
start_nginx $NGINX_PORT "$WORK/value"
get_vs_nginx "GET 1 KiB, 64 connections" "$URL" "http://127.0.0.1:$NGINX_PORT/value"
