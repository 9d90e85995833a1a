#!/usr/bin/env bash
# Fuzzes every parser that takes outside input, with libFuzzer and AddressSanitizer.
#
#   Tests/Fuzz/run.sh                  # 60 s per target, all targets
#   Tests/Fuzz/run.sh 3600 signature   # an hour on one target
#   PODPIS_FUZZ_JOBS=2 Tests/Fuzz/run.sh 600   # two fuzzing processes per target
#
# Seeds come from a test PKI made on the spot (`podpis-fuzz seeds`) and the repository's policies; the growing
# corpus is kept in .build-fuzz/corpus/TARGET between runs. A crash, memory error, timeout or out-of-memory is copied to
# Tests/Fuzz/regressions/TARGET/ (replayed by the test suite from then on) and the script fails.
# Prints a table: target, executions, executions/s, findings.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SECONDS_EACH=${1:-60}
shift || true
ALL=(signature tsa-request tsa-response ocsp policy trust-list http-json http-multipart asic poa pdf)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi
JOBS=${PODPIS_FUZZ_JOBS:-1}

echo "== seeds (normal build)" >&2
swift build --product podpis-fuzz >&2
SEEDS=$(mktemp -d /tmp/podpis-seeds.XXXXXX)
trap 'rm -rf "$SEEDS"' EXIT
"$ROOT/.build/debug/podpis-fuzz" seeds "$SEEDS" "$ROOT/policies" >&2

echo "== fuzzer build (-sanitize=fuzzer,address)" >&2
swift build --scratch-path "$ROOT/.build-fuzz" --product podpis-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DPODPIS_LIBFUZZER -Xswiftc -parse-as-library >&2
FUZZER="$ROOT/.build-fuzz/debug/podpis-fuzz"

failed=0
printf '| target | seconds | executions | executions/s | findings |\n|---|---|---|---|---|\n'
for target in "${TARGETS[@]}"; do
    corpus="$ROOT/.build-fuzz/corpus/$target"
    artifacts="$ROOT/.build-fuzz/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    log="$ROOT/.build-fuzz/$target.log"
    status=0
    # Memory errors are fatal; libFuzzer's per-input leak check is off: the Swift runtime fills caches lazily
    # (metadata, lazily initialised globals) during the first inputs, which it reports as leaks.
    PODPIS_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
        "$FUZZER" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -detect_leaks=0 \
        -print_final_stats=1 -jobs="$JOBS" -workers="$JOBS" -artifact_prefix="$artifacts/" \
        "$corpus" "$SEEDS/$target" >"$log" 2>&1 || status=$?
    executions=$(grep -h 'stat::number_of_executed_units' "$log" "$ROOT"/fuzz-*.log 2>/dev/null | awk '{s += $2} END {print s + 0}')
    rm -f "$ROOT"/fuzz-*.log
    findings=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    if [ "$status" -ne 0 ] || [ "$findings" -gt 0 ]; then
        failed=1
        mkdir -p "$ROOT/Tests/Fuzz/regressions/$target"
        find "$artifacts" -type f -exec cp {} "$ROOT/Tests/Fuzz/regressions/$target/" \;
        echo "!! $target: exit $status, $findings findings; see $log; inputs copied to Tests/Fuzz/regressions/$target" >&2
        tail -30 "$log" >&2
    fi
    printf '| %s | %s | %s | %s | %s |\n' "$target" "$SECONDS_EACH" "$executions" "$((executions / SECONDS_EACH))" "$findings"
done
exit $failed
