#!/usr/bin/env bash
# For maintainers: gather the messages marked in the code into the catalogue template
# (oppforms/locale/oppforms.pot), merge them into the nl and en catalogues (.po), and compile
# those to the .mo files that ship in the package. Needs Babel (pip install -e ".[test]").
# Translate what `pybabel update` left empty or fuzzy in oppforms/locale/*/LC_MESSAGES/oppforms.po
# and run this again; tests/test_i18n.py fails while a message has no Dutch translation.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
"$PYBABEL" extract --no-location --sort-output --omit-header --no-wrap \
    -k N_ -k gettext -k ngettext:1,2 -k format_message -k nformat:1,2 \
    -o oppforms/locale/oppforms.pot oppforms
for lang in nl en; do
    po="oppforms/locale/$lang/LC_MESSAGES/oppforms.po"
    if [ -f "$po" ]; then
        "$PYBABEL" update --no-wrap --ignore-obsolete -D oppforms -l "$lang" \
            -i oppforms/locale/oppforms.pot -d oppforms/locale
    else
        "$PYBABEL" init -D oppforms -l "$lang" -i oppforms/locale/oppforms.pot -d oppforms/locale
    fi
done
"$PYBABEL" compile --statistics -D oppforms -d oppforms/locale
