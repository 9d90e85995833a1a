#!/usr/bin/env bash
# Renders the HTML verification protocol in a real browser: `podpis demo` writes a valid and an invalid protocol,
# headless Chromium prints each to PDF and PNG, and the check is that the page rendered (PNG not empty) and that the
# verdict is in the PDF's text (pdftotext). Needs the Debian packages chromium and poppler-utils.
#
#   Tests/render-report.sh [PODPIS_BINARY] [OUT_DIR]
set -euo pipefail

PODPIS="${1:-.build/debug/podpis}"
OUT="${2:-$(mktemp -d)/render-report}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

for tool in chromium pdftotext; do
    command -v "$tool" >/dev/null || { echo "render-report: $tool is missing (apt-get install chromium poppler-utils)" >&2; exit 2; }
done

"$PODPIS" demo "$OUT/demo" --lang en >"$OUT/demo.log" 2>&1 || { cat "$OUT/demo.log" >&2; exit 1; }

PROFILE="$(mktemp -d)"
trap 'rm -rf "$PROFILE"' EXIT

render() {  # name html verdict-regex
    local name="$1" html="$2" verdict="$3"
    [ -s "$html" ] || { echo "render-report: $html was not written" >&2; exit 1; }
    local flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$PROFILE"
                 --hide-scrollbars)
    timeout 180 chromium "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$OUT/$name.pdf" "file://$html" >"$OUT/$name.chromium.log" 2>&1 || true
    timeout 180 chromium "${flags[@]}" --window-size=1000,1600 --screenshot="$OUT/$name.png" "file://$html" >>"$OUT/$name.chromium.log" 2>&1 || true
    [ -s "$OUT/$name.png" ] || { echo "render-report: no PNG for $name" >&2; cat "$OUT/$name.chromium.log" >&2; exit 1; }
    [ "$(head -c 8 "$OUT/$name.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "render-report: $name.png is not a PNG" >&2; exit 1; }
    [ -s "$OUT/$name.pdf" ] || { echo "render-report: no PDF for $name" >&2; cat "$OUT/$name.chromium.log" >&2; exit 1; }
    local text
    text="$(pdftotext "$OUT/$name.pdf" - | tr -s '[:space:]' ' ')"
    if ! grep -Eq "$verdict" <<<"$text"; then
        echo "render-report: the verdict /$verdict/ is not in $name.pdf; its text: ${text:0:600}" >&2
        exit 1
    fi
    grep -q "Electronic signature verification report" <<<"$text" || { echo "render-report: no title in $name.pdf" >&2; exit 1; }
    echo "rendered: $name ($OUT/$name.pdf, $OUT/$name.png, $(stat -c %s "$OUT/$name.png") bytes of PNG, $(pdfinfo "$OUT/$name.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}') page(s))"
}

render valid "$OUT/demo/prikaz-123-report.html" "The signatures? (is|are) valid"
render invalid "$OUT/demo/prikaz-123-tampered-report.html" "The signature is invalid|The document's signatures fail validation"
