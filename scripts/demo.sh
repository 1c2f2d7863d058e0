#!/usr/bin/env bash
# Set up and run the main job on the samples: write the blank form and list its fields,
# fill the sample spreadsheet (one PDF per pupil, plus one merged file for printing), and
# read the filled forms back into one spreadsheet, and archive them (out/archief/).
# Usage: bash scripts/demo.sh   (output in out/); the web app comes along (oppforms serve).
OPPFORMS_EXTRAS="${OPPFORMS_EXTRAS:-[web]}"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

say "writing the blank form to out/opp-kort-leeg.pdf"
.venv/bin/oppforms blank -o out/opp-kort-leeg.pdf
say "the form's fields"
.venv/bin/oppforms fields
say "filling samples/opp-leerlingen.xlsx into out/ingevuld/"
.venv/bin/oppforms fill samples/opp-leerlingen.xlsx -o out/ingevuld --merged out/afdrukken.pdf
say "reading the filled forms back into out/terug.xlsx"
.venv/bin/oppforms extract out/ingevuld -o out/terug.xlsx
say "archiving the returned forms in out/archief/ and checking the archive"
rm -rf out/archief
.venv/bin/oppforms archive init out/archief --organization "Het Voorbeeld College"
.venv/bin/oppforms archive add out/archief out/ingevuld --issued out/ingevuld
.venv/bin/oppforms archive verify out/archief
.venv/bin/oppforms archive index out/archief -o out/archief-index.xlsx
