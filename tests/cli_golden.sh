#!/usr/bin/env bash
# The regression net: re-runs the golden set (scripts/fingerprint golden: a
# few dozen `xlat sim` / `xlat walk` runs over modes, presets, page policies
# and inputs) and compares every figure with the committed recording in
# tests/golden. A change that moves a figure on purpose re-records it
# (`scripts/fingerprint golden tests/golden`) in a commit of its own that
# says which figures moved and why.
set -euo pipefail
: "${XLAT_BIN:?}" "${XLAT_SRC:?}"
command -v python3 >/dev/null || { echo "skip: python3 is needed to compare JSON"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$XLAT_SRC/scripts/fingerprint" golden "$tmp/now" "$XLAT_BIN" >/dev/null
"$XLAT_SRC/scripts/fingerprint" compare "$XLAT_SRC/tests/golden" "$tmp/now"
