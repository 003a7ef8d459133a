#!/usr/bin/env bash
# Creates a namespace and a write token scoped to it on a running Kivi, writes config.capnp, and runs
# the Worker in stock workerd. Settings: KIVI_URL, KIVI_ADMIN_TOKEN, PORT, WORKERD (all have defaults).
set -euo pipefail
cd "$(dirname "$0")"
KIVI_URL=${KIVI_URL:-http://127.0.0.1:8787}
KIVI_ADMIN_TOKEN=${KIVI_ADMIN_TOKEN:-$(cat ../../.kivi/admin-token)}
PORT=${PORT:-8080}
if [ -z "${WORKERD:-}" ]; then
  [ -x node_modules/.bin/workerd ] || npm install --no-audit --no-fund --loglevel=error >&2
  WORKERD=node_modules/.bin/workerd
fi
api() { curl -sf -H "Authorization: Bearer $KIVI_ADMIN_TOKEN" -H 'Content-Type: application/json' "$@"; }
id_of() { sed -E 's/.*"id":"([0-9a-f]{32})".*/\1/'; }

ACCOUNT=$(api "$KIVI_URL/client/v4/accounts" | id_of)
NAMESPACE=$(api -X POST "$KIVI_URL/client/v4/accounts/$ACCOUNT/storage/kv/namespaces" -d "{\"title\":\"workerd-sample-$(date +%s)\"}" | id_of)
# Least privilege: the Worker's token reads and writes this one namespace and nothing else.
TOKEN=$(api -X POST "$KIVI_URL/client/v4/accounts/$ACCOUNT/tokens" \
  -d "{\"name\":\"workerd sample\",\"permission\":\"write\",\"namespaces\":[\"$NAMESPACE\"]}" | sed -E 's/.*"value":"([^"]+)".*/\1/')

sed -e "s|@KIVI_ADDRESS@|${KIVI_URL#http://}|" -e "s|@TOKEN@|$TOKEN|" -e "s|@NAMESPACE@|$NAMESPACE|" -e "s|@PORT@|$PORT|" \
  config.capnp.in > config.capnp
echo "namespace $NAMESPACE; Worker on http://127.0.0.1:$PORT" >&2
exec "$WORKERD" serve config.capnp
