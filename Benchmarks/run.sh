#!/usr/bin/env bash
# Runs every podpis benchmark beside its OpenSSL baseline, in the same run on the same machine, and writes
# BENCHMARKS.md at the repository root. Benchmarks are not tests: CI only builds this package.
#
#   Benchmarks/run.sh                      # everything (about 10 minutes on 2 cores)
#   PODPIS_BENCH_BATCH=2000 Benchmarks/run.sh   # a smaller batch
#
# Needs: openssl, libengine-gost-openssl, wrk, hyperfine, time, python3 (installed below when missing and root).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BATCH=${PODPIS_BENCH_BATCH:-10000}      # signatures in the batch row
LOOP=${PODPIS_BENCH_LOOP:-1000}         # of them, how many the `openssl cms -verify` shell loop runs (rate is per signature)
DURATION=${PODPIS_BENCH_DURATION:-10s}  # each wrk run
OUT=${PODPIS_BENCH_OUT:-$ROOT/BENCHMARKS.md}
WORK=$(mktemp -d /tmp/podpis-bench.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

missing=()
for tool in wrk hyperfine openssl python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    else echo "run.sh: install ${missing[*]} first" >&2; exit 69; fi
fi

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
fmt() { python3 -c "import sys; print(f'{float(sys.argv[1]):,.0f}'.replace(',', ' '))" "$1"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$1" "$2"; }

log "building podpis and the benchmark harness (release)"
(cd "$ROOT" && swift build -c release --product podpis >&2)
(cd "$ROOT/Benchmarks" && swift build -c release --product PodpisBench >&2)
PODPIS="$ROOT/.build/release/podpis"
BENCH="$ROOT/Benchmarks/.build/release/PodpisBench"

ROWS=()
add() { ROWS+=("$1"); }

log "in-process: verify and sign (podpis vs OpenSSL C API), hashing in memory"
while IFS= read -r line; do add "$line"; done < <("$BENCH")

log "fixtures: demo PKI and $BATCH signed documents"
"$PODPIS" pki demo "$WORK/pki" >/dev/null
PKI="$WORK/pki"
"$BENCH" fixtures "$PKI" "$WORK/batch" "$BATCH"

log "batch: podpis verify --batch over $BATCH vs a shell loop of openssl cms -verify over $LOOP"
start=$(now)
status=0
# Both sides check revocation against the same CRLs (OpenSSL reads them from the CAfile with -crl_check_all).
cat "$PKI/rsa-root.pem" "$PKI/rsa-root.crl" "$PKI/rsa-ca.crl" >"$WORK/anchors-and-crls.pem"
"$PODPIS" verify --batch "$WORK/batch" --trust "$PKI/rsa-root.pem" --crl "$PKI/rsa-root.crl" --crl "$PKI/rsa-ca.crl" --offline --json \
    >"$WORK/batch.jsonl" || status=$?
podpis_seconds=$(elapsed "$start" "$(now)")
passed=$(grep -c '"TOTAL-PASSED"' "$WORK/batch.jsonl" || true)
[ "$status" = 0 ] && [ "$passed" -ge "$BATCH" ] || { echo "run.sh: batch verify did not pass every signature ($passed/$BATCH, exit $status)" >&2; exit 70; }
start=$(now)
for ((i = 0; i < LOOP; i++)); do
    openssl cms -verify -binary -inform DER -in "$WORK/batch/doc-$i.txt.sig" -content "$WORK/batch/doc-$i.txt" \
        -CAfile "$WORK/anchors-and-crls.pem" -crl_check_all -purpose any -out /dev/null 2>/dev/null \
        || { echo "run.sh: openssl cms -verify failed on doc-$i" >&2; exit 70; }
done
loop_seconds=$(elapsed "$start" "$(now)")
podpis_rate=$(python3 -c "print($BATCH / $podpis_seconds)")
loop_rate=$(python3 -c "print($LOOP / $loop_seconds)")
add "| batch verify, $BATCH RSA CAdES-B with CRLs (\`podpis verify --batch\`, all cores) vs shell loop of \`openssl cms -verify\` | $(fmt "$podpis_rate") signatures/s | $(fmt "$loop_rate") signatures/s | $(ratio "$podpis_rate" "$loop_rate") | ≥ 25 |"

log "sign: one command, podpis sign vs openssl cms -sign"
head -c 100000 /dev/urandom >"$WORK/order.pdf"
hyperfine --warmup 3 --runs 30 --export-json "$WORK/sign.json" \
    -n podpis "$PODPIS sign $WORK/order.pdf --key $PKI/official-rsa.key --cert $PKI/official-rsa.pem --chain $PKI/rsa-chain.pem --out $WORK/order.pdf.sig --force" \
    -n openssl "openssl cms -sign -binary -in $WORK/order.pdf -signer $PKI/official-rsa.pem -inkey $PKI/official-rsa.key -certfile $PKI/rsa-chain.pem -outform DER -out $WORK/order.openssl.sig" >&2
read -r podpis_ms openssl_ms < <(python3 -c "
import json; r = {x['command']: x['mean'] * 1000 for x in json.load(open('$WORK/sign.json'))['results']}
print(r['podpis'], r['openssl'])")
add "| single \`sign\` command, RSA-2048, 100 kB, process start to signature file (latency, lower is better) | $(printf '%.1f' "$podpis_ms") ms | $(printf '%.1f' "$openssl_ms") ms | $(ratio "$openssl_ms" "$podpis_ms") | — |"

log "hashing a 1 GiB file: podpis sign (streams the file through the digest) vs openssl dgst"
head -c 1073741824 /dev/urandom >"$WORK/big.bin"
cat "$WORK/big.bin" >/dev/null   # page cache warm for both sides
measure_file() { /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/err.txt" || { cat "$WORK/err.txt" >&2; exit 70; }; cat "$WORK/time.txt"; }
read -r p_s p_kb < <(measure_file "$PODPIS" sign "$WORK/big.bin" --key "$PKI/official-rsa.key" --cert "$PKI/official-rsa.pem" --out "$WORK/big.sig" --force)
read -r o_s o_kb < <(measure_file openssl dgst -sha256 "$WORK/big.bin")
add "| 1 GiB file, SHA-256: \`podpis sign\` (hash + RSA signature) vs \`openssl dgst -sha256\` | $(fmt "$(python3 -c "print(1024 / $p_s)")") MiB/s, peak RSS $((p_kb / 1024)) MiB | $(fmt "$(python3 -c "print(1024 / $o_s)")") MiB/s, peak RSS $((o_kb / 1024)) MiB | $(ratio "$o_s" "$p_s") | ≥ 0.9, RSS < 64 MiB |"
read -r p_s p_kb < <(measure_file "$PODPIS" sign "$WORK/big.bin" --key "$PKI/official-gost.key" --cert "$PKI/official-gost.pem" --out "$WORK/big.gost.sig" --force)
read -r o_s o_kb < <(measure_file openssl dgst -engine gost -md_gost12_256 "$WORK/big.bin")
add "| 1 GiB file, Streebog-256: \`podpis sign\` (hash + GOST signature) vs \`openssl dgst -engine gost -md_gost12_256\` | $(fmt "$(python3 -c "print(1024 / $p_s)")") MiB/s, peak RSS $((p_kb / 1024)) MiB | $(fmt "$(python3 -c "print(1024 / $o_s)")") MiB/s, peak RSS $((o_kb / 1024)) MiB | $(ratio "$o_s" "$p_s") | ≥ 0.9, RSS < 64 MiB |"
rm -f "$WORK/big.bin"

# A server in the background; prints its URL once it listens.
start_server() {
    local logfile=$1; shift
    "$@" >"$logfile" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 200); do
        url=$(grep -o 'http://[0-9.:]*' "$logfile" | head -1 || true)
        [ -n "$url" ] && { echo "$url"; return; }
        sleep 0.05
    done
    cat "$logfile" >&2; exit 70
}
# wrk with a fixed body; prints "requests/s p50_ms p99_ms non2xx".
wrk_post() {
    local url=$1 body=$2 type=$3
    cat >"$WORK/post.lua" <<LUA
local f = assert(io.open("$body", "rb")); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.headers["Content-Type"] = "$type"
LUA
    wrk -t1 -c16 -d"$DURATION" --latency -s "$WORK/post.lua" "$url" >"$WORK/wrk.txt"
    python3 - "$WORK/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"\s" + label + r"%\s+([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print(rate, ms("50"), ms("99"), bad.group(1) if bad else 0)
PY
}
single_core_rate=$(printf '%s\n' "${ROWS[@]}" | grep -m1 'RSA-2048, 1 KiB (evidence' | awk -F'|' '{print $4}' | tr -dc '0-9' || true)
[ -n "$single_core_rate" ] || single_core_rate=0

log "HTTP: POST /v1/verify under wrk (multipart and digest-only)"
# The demo PKI's CRL/OCSP server (its certificates point at 127.0.0.1:8790): the service fetches revocation data once
# and serves the rest from its revocation cache, as in production.
start_server "$WORK/pki.log" "$PODPIS" pki serve "$PKI" >/dev/null
url=$(start_server "$WORK/serve.log" "$PODPIS" serve --port 0 --trust "$PKI/rsa-root.pem" --database "sqlite:$WORK/journal.sqlite")
python3 - "$WORK" <<'PY'
import base64, hashlib, json, sys
w = sys.argv[1]
doc = open(f"{w}/batch/doc-0.txt", "rb").read(); sig = open(f"{w}/batch/doc-0.txt.sig", "rb").read()
b = "podpisbenchboundary"
parts = [f'--{b}\r\nContent-Disposition: form-data; name="document"; filename="doc.txt"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode(), doc,
         f'\r\n--{b}\r\nContent-Disposition: form-data; name="signature"; filename="doc.txt.sig"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode(), sig,
         f'\r\n--{b}--\r\n'.encode()]
open(f"{w}/multipart.body", "wb").write(b"".join(parts))
open(f"{w}/digest.json", "w").write(json.dumps({"signature": base64.b64encode(sig).decode(), "documentDigest": hashlib.sha256(doc).hexdigest(), "digestAlgorithm": "sha256"}))
PY
curl -sf -F "document=@$WORK/batch/doc-0.txt" -F "signature=@$WORK/batch/doc-0.txt.sig" "$url/v1/verify" | grep -q TOTAL-PASSED \
    || { echo "run.sh: the service does not pass the benchmark signature" >&2; exit 70; }
read -r rate p50 p99 bad < <(wrk_post "$url/v1/verify" "$WORK/multipart.body" "multipart/form-data; boundary=podpisbenchboundary")
[ "$bad" = 0 ] || { echo "run.sh: $bad non-2xx answers from /v1/verify" >&2; exit 70; }
add "| HTTP \`POST /v1/verify\` multipart, small RSA document, wrk 16 connections (p50 $(printf '%.1f' "$p50") ms, p99 $(printf '%.1f' "$p99") ms) vs in-process CMS_verify on one core | $(fmt "$rate") req/s | $(fmt "$single_core_rate") verifications/s | $(ratio "$rate" "$single_core_rate") | ≥ 2 000 req/s, p99 < 20 ms |"
read -r rate p50 p99 bad < <(wrk_post "$url/v1/verify" "$WORK/digest.json" "application/json")
[ "$bad" = 0 ] || { echo "run.sh: $bad non-2xx answers from digest-only /v1/verify" >&2; exit 70; }
add "| HTTP \`POST /v1/verify\` digest-only JSON, same signature (p50 $(printf '%.1f' "$p50") ms, p99 $(printf '%.1f' "$p99") ms) vs in-process CMS_verify on one core | $(fmt "$rate") req/s | $(fmt "$single_core_rate") verifications/s | $(ratio "$rate" "$single_core_rate") | ≥ 2 000 req/s, p99 < 20 ms |"

log "TSA: POST timestamp queries under wrk"
url=$(start_server "$WORK/tsa.log" "$PODPIS" tsa serve --key "$PKI/tsa.key" --cert "$PKI/tsa.pem" --chain "$PKI/rsa-chain.pem" --port 0 --serial-file "$WORK/tsa.serial")
openssl ts -query -data "$WORK/order.pdf" -sha256 -cert -out "$WORK/query.tsq" 2>/dev/null
read -r rate p50 p99 bad < <(wrk_post "$url/" "$WORK/query.tsq" "application/timestamp-query")
[ "$bad" = 0 ] || { echo "run.sh: $bad non-2xx answers from the TSA" >&2; exit 70; }
rsa_signs=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
add "| built-in TSA, RSA-2048, wrk 16 connections (p50 $(printf '%.1f' "$p50") ms, p99 $(printf '%.1f' "$p99") ms) vs \`openssl speed rsa2048\` signs/s on one core | $(fmt "$rate") timestamps/s | $(fmt "$rsa_signs") signs/s | $(ratio "$rate" "$rsa_signs") | ≥ 2 000/s |"

{
    echo "# podpis benchmarks"
    echo
    echo "Generated by \`Benchmarks/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
    echo "$(openssl version), $(swift --version 2>/dev/null | head -1)."
    echo "Each row is measured beside its baseline in the same run. Ratio: podpis ÷ baseline (throughput), or"
    echo "baseline ÷ podpis (latency): above 1 podpis is faster."
    echo
    echo "| what | podpis | baseline | ratio | goal |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    if [ -f "$ROOT/Benchmarks/NOTES.md" ]; then cat "$ROOT/Benchmarks/NOTES.md"; fi
} >"$OUT"
log "wrote $OUT"
cat "$OUT"
