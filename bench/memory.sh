#!/usr/bin/env bash
# Memory of a single node under mixed load, then idle, then under 20 slow 24 MiB uploads: RSS sampled from
# /proc every 5 s. The node is started as the README starts it (plus its data folder and admin token).
#   MEM_DURATION   seconds of mixed load (default 240: the four minutes the hardening probe ran)
#   KIVI_ARGS      extra server arguments (e.g. --cache-bytes 16777216 to compare)
source "$(dirname "$0")/common.sh"
need wrk wrk
build_kivi
PORT=18787
MEM_DURATION=${MEM_DURATION:-240}
start_kivi $PORT ${KIVI_ARGS:-}
NS=$(create_namespace $PORT memory)
rss() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$KIVI_PID/status"; }
start=$(rss)
echo "RSS at start: ${start} MB" >&2

# 60 % reads, 30 % writes of 1-8 KiB to 200,000 keys (so the 256 MiB cache fills and evicts), 10 % list pages.
cat >"$WORK/mixed.lua" <<LUA
local base = "/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$NS"
local values = {}
for i = 1, 8 do values[i] = string.rep(string.char(96 + i), i * 1024) end
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function()
  local r = math.random(1, 10)
  local key = "key:" .. math.random(1, 200000)
  if r <= 6 then return wrk.format("GET", base .. "/values/" .. key) end
  if r <= 9 then return wrk.format("PUT", base .. "/values/" .. key, nil, values[math.random(1, 8)]) end
  return wrk.format("GET", base .. "/keys?limit=100&prefix=key:" .. math.random(1, 9))
end
LUA
peak=0
wrk -t2 -c64 -d"${MEM_DURATION}s" -s "$WORK/mixed.lua" "http://127.0.0.1:$PORT" >"$WORK/mixed.out" &
WRK=$!
while kill -0 $WRK 2>/dev/null; do sleep 5; r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; done
wait $WRK || true
echo "mixed load: $(awk '/Requests\/sec/ {print $2}' "$WORK/mixed.out") req/s for ${MEM_DURATION}s; RSS peak ${peak} MB, at the end $(rss) MB" >&2
under=$peak
sleep 30
idle=$(rss)
echo "RSS after 30 s idle: ${idle} MB" >&2

# 20 uploads of 24 MiB at 4 MiB/s each: their bodies are read into memory only as the upload budget allows.
head -c $((24 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
upeak=0; uploads=()
for i in $(seq 1 20); do
  curl -s -o /dev/null -w '%{http_code}\n' --limit-rate 4M -X PUT -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/big.bin" \
    "http://127.0.0.1:$PORT/client/v4/accounts/$ACCOUNT/storage/kv/namespaces/$NS/values/big$i" >>"$WORK/uploads.codes" &
  uploads+=($!)
done
running() { for p in "${uploads[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while running; do sleep 2; r=$(rss); [ "$r" -gt "$upeak" ] && upeak=$r; done
echo "20 slow 24 MiB uploads: answers $(sort "$WORK/uploads.codes" | uniq -c | tr '\n' ' '); RSS peak ${upeak} MB" >&2
echo "| single node, ${KIVI_ARGS:-defaults}${DOTNET_gcServer:+, DOTNET_gcServer=$DOTNET_gcServer} | start ${start} MB | peak under ${MEM_DURATION} s of mixed load ${under} MB | after 30 s idle ${idle} MB | peak under 20 slow 24 MiB uploads ${upeak} MB |"
