#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages podpis needs.
#
#   scripts/install-deps.sh            # to build and run podpis
#   scripts/install-deps.sh --test     # and everything the test suite uses (what CI installs)
#   scripts/install-deps.sh --dry-run  # print the commands instead of running them
#
# Works unchanged as root on a fresh machine (no sudo there) and as a user with sudo. The README's set-up commands
# and .ci/run both call it, so they install the same packages.
set -euo pipefail

test_packages=false
dry_run=false
for argument in "$@"; do
    case "$argument" in
        --test) test_packages=true ;;
        --dry-run) dry_run=true ;;
        *) echo "install-deps.sh: unknown option $argument (--test, --dry-run)" >&2; exit 64 ;;
    esac
done

# To build podpis and run it: OpenSSL with the GOST engine, libcurl, SQLite, libxml2 (Foundation's XML parser),
# qpdf (signed PDFs are read with its library) and DejaVu fonts (the printed copy's Cyrillic «отметка»).
packages=(libssl-dev openssl libengine-gost-openssl libcurl4-openssl-dev libsqlite3-dev libxml2 libqpdf-dev zlib1g-dev fonts-dejavu-core)
if $test_packages; then
    # The tests' independent peers and tools: Python `cryptography`, headless Chromium (the report and the
    # verification page), poppler (PDF text), PostgreSQL (the shared journal), SoftHSM2 with libp11 and OpenSC
    # (PKCS#11 tokens), lxml (МЧД validated against the ФНС schema; a signed accredited-CA list canonicalised),
    # git (`policy impact` against the committed policy), the qpdf CLI (test PDFs).
    packages+=(curl python3 python3-pip python3-lxml git qpdf chromium poppler-utils postgresql softhsm2 libengine-pkcs11-openssl opensc)
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        echo "install-deps.sh: run it as root, or install sudo" >&2
        exit 77
    fi
    sudo=(sudo)
fi

run() {
    if $dry_run; then echo "$*"; else "$@"; fi
}

export DEBIAN_FRONTEND=noninteractive
run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"

if $test_packages; then
    # Python packages: `cryptography` (an interop peer), schemathesis (attacks the service through its OpenAPI),
    # pyHanko (the independent peer for signed PDFs, both ways) and cryptography-vectors (NIST PKITS).
    pip_install() {
        run python3 -m pip install --quiet --break-system-packages "$@" 2>/dev/null || run python3 -m pip install --quiet "$@"
    }
    if $dry_run || ! python3 -c 'import cryptography' 2>/dev/null; then pip_install cryptography; fi
    if $dry_run || ! command -v schemathesis >/dev/null; then
        pip_install schemathesis || echo "schemathesis could not be installed: Tests/Hostile runs its other attacks without it" >&2
    fi
    if $dry_run || ! python3 -c 'import pyhanko' 2>/dev/null; then
        pip_install pyhanko || echo "pyhanko could not be installed: the PDF interop tests skip themselves" >&2
    fi
    # NIST PKITS (RFC 5280 path validation) from PyPI's cryptography-vectors; without it the PKITS suite downloads it
    # once into ~/.cache/podpis-tests, or skips itself.
    if $dry_run || ! python3 -c 'import cryptography_vectors' 2>/dev/null; then
        pip_install cryptography-vectors || echo "cryptography-vectors could not be installed: the PKITS suite tries its own download" >&2
    fi
fi
