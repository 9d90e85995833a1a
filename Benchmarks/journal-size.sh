#!/usr/bin/env bash
# The journal-size row of BENCHMARKS.md: what one verification of a typical CAdES-LT signature takes in the audit
# journal. The signatures are made by `podpis sign --level LT` with the demo PKI (a timestamp from `podpis tsa serve`,
# OCSP answers and CRLs from `podpis pki serve`), verified through `POST /v1/verify` into a fresh SQLite journal,
# and the rows measured with sqlite3. Format 2 (before issue #21) kept the evidence text in the row: its size is the
# same row with the evidence text (from `audit export`) in place of the packed form. Sizes do not depend on the build
# or on the machine's load.
#
#   Benchmarks/journal-size.sh [PODPIS_BINARY] [N] [PKI]   # default: .build/release/podpis, 30 signatures, a new demo PKI
#
# PKI: a demo PKI whose `pki serve` already answers on 127.0.0.1:8790 (run.sh's); without it one is made and served.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PODPIS=${1:-$ROOT/.build/release/podpis}
N=${2:-30}
WORK=$(mktemp -d /tmp/podpis-journal-size.XXXXXX)
cleanup() { [ -f "$WORK/pids" ] && while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$WORK/pids"; rm -rf "$WORK"; }
trap cleanup EXIT
start_server() {
    local logfile=$1; shift
    "$@" >"$logfile" 2>&1 &
    echo $! >>"$WORK/pids"
    for _ in $(seq 1 400); do
        url=$(grep -o 'http://[0-9.:]*' "$logfile" | head -1 || true)
        [ -n "$url" ] && { echo "$url"; return; }
        sleep 0.05
    done
    cat "$logfile" >&2; exit 70
}

PKI=${3:-}
if [ -z "$PKI" ]; then
    PKI="$WORK/pki"
    "$PODPIS" pki demo "$PKI" >/dev/null 2>&1
    # The demo certificates point at 127.0.0.1:8790 for OCSP and CRLs.
    start_server "$WORK/pki.log" "$PODPIS" pki serve "$PKI" >/dev/null
fi
tsa=$(start_server "$WORK/tsa.log" "$PODPIS" tsa serve --key "$PKI/tsa.key" --cert "$PKI/tsa.pem" --chain "$PKI/rsa-chain.pem" \
      --port 0 --serial-file "$WORK/tsa.serial")
url=$(start_server "$WORK/serve.log" "$PODPIS" serve --port 0 --trust "$PKI/rsa-root.pem" --database "sqlite:$WORK/journal.sqlite" \
      --fetch-allow 127.0.0.1)
for i in $(seq 1 "$N"); do
    printf 'Приказ № %d о переходе на электронный документооборот.\n' "$i" >"$WORK/doc-$i.txt"
    "$PODPIS" sign "$WORK/doc-$i.txt" --key "$PKI/official-rsa.key" --cert "$PKI/official-rsa.pem" --chain "$PKI/rsa-chain.pem" \
        --tsa "$tsa/" --level LT --trust "$PKI/rsa-root.pem" >/dev/null 2>"$WORK/sign.err" || { cat "$WORK/sign.err" >&2; exit 70; }
    curl -sf -F "document=@$WORK/doc-$i.txt" -F "signature=@$WORK/doc-$i.txt.sig" "$url/v1/verify" >"$WORK/answer.json" \
        || { echo "journal-size.sh: /v1/verify refused signature $i" >&2; exit 70; }
    grep -q '"format":"CAdES-BASELINE-LT"' "$WORK/answer.json" || { echo "journal-size.sh: signature $i is not CAdES-LT" >&2; cat "$WORK/answer.json" >&2; exit 70; }
done
"$PODPIS" audit verify --database "sqlite:$WORK/journal.sqlite" >/dev/null
"$PODPIS" audit export --database "sqlite:$WORK/journal.sqlite" >"$WORK/export.jsonl"
sqlite3 "$WORK/journal.sqlite" "SELECT seq, length(CAST(seq AS BLOB)) + length(time) + length(request_id) + IFNULL(length(document_digest), 0)
    + length(signature_digest) + length(CAST(signers AS BLOB)) + length(policy_id) + length(policy_version) + length(indication)
    + IFNULL(length(sub_indication), 0) + length(CAST(evidence AS BLOB)) + IFNULL(length(packed), 0) + length(previous_hash) + length(hash),
    IFNULL(length(packed), 0) FROM journal ORDER BY seq" >"$WORK/rows.txt"
sqlite3 "$WORK/journal.sqlite" "SELECT COUNT(*), IFNULL(SUM(length(digest) + length(kind) + length(content)), 0), IFNULL(MAX(length(content)), 0) FROM journal_blobs" >"$WORK/blobs.txt"
python3 - "$WORK" "$N" <<'PY'
import json, statistics, sys
w, n = sys.argv[1], int(sys.argv[2])
evidence = {}
for line in open(f"{w}/export.jsonl"):
    e = json.loads(line); evidence[e["seq"]] = len(e["evidence"].encode())
rows = [tuple(int(x) for x in l.split("|")) for l in open(f"{w}/rows.txt").read().split()]
count, blob_bytes, largest = (int(x) for x in open(f"{w}/blobs.txt").read().strip().split("|"))
now = statistics.median(r[1] for r in rows)
before = statistics.median(r[1] - r[2] + evidence[r[0]] for r in rows)
num = lambda x: f"{x:,}".replace(",", " ")
print(f"| journal: median stored entry of a CAdES-LT verification (RSA, timestamp, OCSP; {n} entries via POST /v1/verify; "
      f"{count} certificates stored once, {num(blob_bytes)} B in all; a signer seen once adds its certificate, ≤ {num(largest)} B) "
      f"vs the same entries in format 2 (ratio: format 2 ÷ now) | {now/1024:.1f} KB | {before/1024:.1f} KB | {before/now:.2f} | ≤ 4 KB |")
PY
