#!/bin/sh
# embed-defaults.sh OUTPUT ROOT
#
# Writes the Swift source that compiles the shipped defaults into podpis: each file of ROOT/policies, ROOT/certs
# (no private keys) and ROOT/Sources/PodpisReport/Templates, as Base64 under the name the binary knows it by
# (policies/…, certs/…, templates/…). Run by the EmbedDefaults build plugin whenever one of those files or folders
# changed; OUTPUT is replaced only when its content differs, so nothing recompiles for nothing.
set -eu
out=$1
root=$2
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
    printf '// Generated at build time by scripts/embed-defaults.sh (the EmbedDefaults plugin) from policies/, certs/\n'
    printf '// and Sources/PodpisReport/Templates. Do not edit: edit those files.\n\n'
    printf 'extension EmbeddedDefaults {\n    static let encoded: [(name: String, base64: String)] = [\n'
    for pair in "policies:policies" "certs:certs" "Sources/PodpisReport/Templates:templates"; do
        source=${pair%%:*}
        name=${pair##*:}
        [ -d "$root/$source" ] || continue
        (cd "$root/$source" && find . -type f ! -name '.*' ! -path '*/.*' ! -name '*.key' ! -name '*.p12' ! -name '*.pfx' | LC_ALL=C sort) |
            while IFS= read -r file; do
                relative=${file#./}
                escaped=$(printf '%s' "$relative" | sed 's/[\\"]/\\&/g')
                printf '        ("%s/%s", "%s"),\n' "$name" "$escaped" "$(base64 < "$root/$source/$relative" | tr -d '\n')"
            done
    done
    printf '    ]\n}\n'
} > "$tmp"
if cmp -s "$tmp" "$out"; then rm -f "$tmp"; else mv "$tmp" "$out"; fi
