#!/usr/bin/env bash
# Render the README's previews (needs poppler-utils): the blank form's pages, and page 1 and
# a continuation page of a filled sample (a fictional pupil with a very long goal).
set -euo pipefail
cd "$(dirname "$0")/.."
OPPFORMS="${OPPFORMS:-oppforms}"
[ -x .venv/bin/oppforms ] && OPPFORMS=.venv/bin/oppforms
mkdir -p samples/previews
rm -f samples/previews/*.png
pdftoppm -r 60 -png forms/opp-kort-v1.pdf samples/previews/blank
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$OPPFORMS" fill samples/opp-leerlingen.json -o "$tmp" -q >/dev/null 2>&1 || true
pdftoppm -r 60 -png -f 1 -l 1 -singlefile "$tmp/115024.pdf" samples/previews/filled-1
pdftoppm -r 60 -png -f 6 -l 6 -singlefile "$tmp/115024.pdf" samples/previews/filled-6
ls samples/previews
