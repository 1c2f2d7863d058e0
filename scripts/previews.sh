#!/usr/bin/env bash
# Render the README's previews (needs poppler-utils): the blank form's pages, and page 1 and
# the continuation page of a filled sample (a fictional pupil with a very long goal, whose
# action cells are each made a little too long here, so the page shows several sections).
set -euo pipefail
cd "$(dirname "$0")/.."
OPPFORMS="${OPPFORMS:-oppforms}"
[ -x .venv/bin/oppforms ] && OPPFORMS=.venv/bin/oppforms
mkdir -p samples/previews
rm -f samples/previews/*.png
pdftoppm -r 60 -png forms/opp-kort-v1.pdf samples/previews/blank
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] && PY=.venv/bin/python
"$PY" - "$tmp/preview.json" <<'EOF'
import json, sys
records = json.load(open("samples/opp-leerlingen.json", encoding="utf-8"))
pupil = next(r for r in records if r["leerling.nummer"] == "115024")
for name in ("acties.leerling.uitleg", "acties.opvoeders.uitleg", "acties.extern.uitleg"):
    text = pupil[name] or pupil["acties.leerling.acties"]
    pupil[name] = " ".join([text] * 3)
json.dump([pupil], open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
EOF
"$OPPFORMS" fill "$tmp/preview.json" -o "$tmp" -q >/dev/null 2>&1 || true
pdftoppm -r 60 -png -f 1 -l 1 -singlefile "$tmp/115024.pdf" samples/previews/filled-1
pdftoppm -r 60 -png -f 6 -l 6 -singlefile "$tmp/115024.pdf" samples/previews/filled-6
ls samples/previews
