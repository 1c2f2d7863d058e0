#!/usr/bin/env bash
# Render the shipped blank form's pages to PNG for the README (needs poppler-utils).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p samples/previews
rm -f samples/previews/blank-*.png
pdftoppm -r 60 -png forms/opp-kort-v1.pdf samples/previews/blank
ls samples/previews
