#!/usr/bin/env bash
# Attacks a live `podpis serve` with hostile input: schemathesis over the service's own /openapi.yaml (no 5xx
# allowed), then hostile.py (nested and huge ASN.1, 20 000 multipart parts, gigabytes of Base64, a trickled body,
# 2000 connections and a burst over the concurrency limit), checking answers, time and peak memory.
#
#   Tests/Hostile/run.sh            (uses .build/debug/podpis, or $PODPIS_BIN)
# Needs python3 and schemathesis (`pip install schemathesis`); the schemathesis part is skipped with a notice if absent.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PODPIS_BIN:-$ROOT/.build/debug/podpis}
ulimit -n 8192 2>/dev/null || true
WORK=$(mktemp -d /tmp/podpis-hostile.XXXXXX)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$BIN" pki demo "$WORK/pki" >/dev/null
printf 'Приказ № 7\n' >"$WORK/order.txt"
"$BIN" sign "$WORK/order.txt" --key "$WORK/pki/official-rsa.key" --cert "$WORK/pki/official-rsa.pem" --chain "$WORK/pki/rsa-chain.pem" >/dev/null

PODPIS_UPLOAD_GRACE=2 PODPIS_MIN_UPLOAD_RATE=1024 \
    "$BIN" serve --port 0 --trust "$WORK/pki/trust" --offline --database "sqlite:$WORK/journal.sqlite" --max-concurrent 32 \
    --policies "$ROOT/policies" --certs "$ROOT/certs" >"$WORK/serve.log" 2>&1 &
SERVER=$!
URL=""
for _ in $(seq 1 200); do
    URL=$(grep -o 'http://[0-9.:]*' "$WORK/serve.log" | head -1 || true)
    [ -n "$URL" ] && break
    sleep 0.05
done
[ -n "$URL" ] || { cat "$WORK/serve.log" >&2; exit 70; }
echo "service at $URL (pid $SERVER)"

status=0
if command -v schemathesis >/dev/null; then
    echo "== schemathesis: every operation of /openapi.yaml, no server errors"
    # /v1/timestamp takes binary DER that schemathesis cannot generate; the tsa-request fuzz target covers it.
    (cd "$WORK" && schemathesis run "$URL/openapi.yaml" --url "$URL" --checks not_a_server_error --max-examples "${PODPIS_SCHEMATHESIS_EXAMPLES:-40}" \
        --exclude-path /v1/timestamp \
        --no-color) || status=1
else
    echo "== schemathesis not installed: skipped (pip install schemathesis)"
fi
echo "== hostile clients"
python3 "$ROOT/Tests/Hostile/hostile.py" "$URL" "$SERVER" "$WORK/order.txt.sig" "$WORK/serve.log" || status=1
kill -0 "$SERVER" 2>/dev/null || { echo "FAIL the service died"; status=1; }
exit $status
