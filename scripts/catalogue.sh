#!/usr/bin/env bash
# For maintainers: gather the messages marked in the code into the catalogue template
# (oppforms/locale/oppforms.pot), merge them into the nl and en catalogues (.po), and compile
# those to the .mo files that ship in the package. Needs Babel (pip install -e ".[test]").
# English is the language of the code, so the en catalogue takes each new message as it is;
# translate what is left empty in oppforms/locale/nl/LC_MESSAGES/oppforms.po and run this
# again. tests/test_i18n.py fails while a marked message has no Dutch translation.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
"$PYTHON" -m babel.messages.frontend extract --no-location --sort-output --omit-header --no-wrap \
    -k N_ -k NC_:1c,2 -k gettext -k ngettext:1,2 -k pgettext:1c,2 -k format_message -k nformat:1,2 \
    -k _ -k _n:1,2 -o oppforms/locale/oppforms.pot oppforms
for lang in nl en; do
    "$PYTHON" -m babel.messages.frontend update --no-wrap --no-fuzzy-matching --ignore-obsolete \
        -D oppforms -l "$lang" -i oppforms/locale/oppforms.pot -d oppforms/locale
done
"$PYTHON" - <<'PY'
from babel.messages.pofile import read_po, write_po

path = "oppforms/locale/en/LC_MESSAGES/oppforms.po"
with open(path, "rb") as fh:
    catalogue = read_po(fh)
for message in catalogue:
    if message.id and not (message.string if isinstance(message.string, str) else all(message.string)):
        message.string = message.id
with open(path, "wb") as fh:
    write_po(fh, catalogue, width=0, no_location=True, sort_output=True)
PY
"$PYTHON" -m babel.messages.frontend compile --statistics -D oppforms -d oppforms/locale
