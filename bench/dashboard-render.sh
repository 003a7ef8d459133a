#!/usr/bin/env bash
# The dashboard's server time to render the first page of keys (50, with value previews) and the metadata index view
# (metadata fields as columns) of a namespace of 1,000,000 keys, and a page in the middle of the keyspace by prefix,
# beside the REST list call the page itself makes (the floor it stands on), measured in the same run.
# Each figure is the node's own Server-Timing (render;dur=...) and the client's time to the whole page over a
# kept-alive connection; goal: p99 under 50 ms. The node is started as a user starts it (defaults).
source "$(dirname "$0")/common.sh"
KEYS=${KEYS:-1000000}
REQUESTS=${REQUESTS:-300}
PORT=18796
build_kivi
dotnet build "$BENCH_ROOT/src/Kivi.Cli" -c Release -nologo -v quiet >&2
KIVI_CLI="$BENCH_ROOT/src/Kivi.Cli/bin/Release/net10.0/Kivi.Cli.dll"

/usr/bin/python3 - "$KEYS" "$WORK/entries.ndjson" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
teams = ["payments", "search", "web", "mobile", "growth"]
with open(path, "w") as f:
    for i in range(n):
        f.write('{"key":"flags/%s/flag-%07d","value":"{\\"rollout\\":%d}","metadata":{"owner":"%s","enabled":%s,"rollout":%d}}\n'
                % (teams[i % 5], i, i % 100, teams[i % 5], "true" if i % 3 else "false", i % 100))
PY

start_kivi "$PORT"
ns=$(create_namespace "$PORT" "flags")
t0=$(date +%s.%N)
KIVI_URL="http://127.0.0.1:$PORT" KIVI_TOKEN="$TOKEN" KIVI_ACCOUNT_ID="$ACCOUNT" dotnet "$KIVI_CLI" import "$ns" "$WORK/entries.ndjson" --quiet >&2
echo "loaded $KEYS keys in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s" >&2

/usr/bin/python3 - "$PORT" "$TOKEN" "$ACCOUNT" "$ns" "$REQUESTS" "${ROUNDS}" <<'PY'
import http.client, re, sys, time, urllib.parse, statistics
port, token, account, ns, requests, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
conn = http.client.HTTPConnection("127.0.0.1", int(port))
cookies = {}
def call(method, path, body=None, headers=None):
    h = dict(headers or {})
    if cookies: h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    for k, v in r.getheaders():
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            cookies[name] = rest.split(";")[0]
    return r, data
# Sign in as a browser does: the form's anti-forgery token, then the session cookie.
r, page = call("GET", "/dashboard/signin")
form = re.search(rb'name="__kivi_form" type="hidden" value="([^"]+)"', page).group(1).decode()
r, _ = call("POST", "/dashboard/signin", urllib.parse.urlencode({"token": token, "__kivi_form": form}),
            {"Content-Type": "application/x-www-form-urlencoded"})
assert "kivi_session" in cookies, f"sign-in failed: {r.status}"
api = f"/client/v4/accounts/{account}/storage/kv/namespaces/{ns}/keys?limit=50"
views = [
    ("first page of keys (value previews)", f"/dashboard/ns/{ns}", {}),
    ("metadata index (owner, enabled, rollout)", f"/dashboard/ns/{ns}?fields=owner,enabled,rollout", {}),
    ("a prefix in the middle (flags/search/flag-05)", f"/dashboard/ns/{ns}?prefix=flags%2Fsearch%2Fflag-05", {}),
    ("REST list of 50 keys, the call the page makes", api, {"Authorization": f"Bearer {token}"}),
]
def pct(xs, p): xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
results = {v[0]: {"server": [], "client": []} for v in views}
for _ in range(20):  # warm up
    for _, path, h in views: call("GET", path, headers=h)
for rnd in range(rounds):
    for name, path, h in views:
        for _ in range(requests):
            t = time.perf_counter()
            r, body = call("GET", path, headers=h)
            client = (time.perf_counter() - t) * 1000
            assert r.status == 200, (path, r.status, body[:300])
            if path.startswith("/dashboard"): assert b'<tr>' in body, "the page listed no keys"
            m = re.search(r"render;dur=([0-9.]+)", r.getheader("Server-Timing") or "")
            results[name]["client"].append(client)
            if m: results[name]["server"].append(float(m.group(1)))
print(f"| view ({requests} requests × {rounds} rounds, 1 connection) | server p50 | server p99 | client p50 | client p99 |")
print("|---|---|---|---|---|")
for name, _, _ in views:
    s, c = results[name]["server"], results[name]["client"]
    sv = (f"{pct(s,50):.1f} ms", f"{pct(s,99):.1f} ms") if s else ("n/a", "n/a")
    print(f"| {name} | {sv[0]} | {sv[1]} | {pct(c,50):.1f} ms | {pct(c,99):.1f} ms |")
PY
