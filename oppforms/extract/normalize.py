"""Values read from a form → the values of a record (contract §3), the same way whatever
the producer.

The rules mirror what ``oppforms fill`` does to the values it puts on the form
(:mod:`oppforms.values`), so a filled form reads back exactly:

- text is NFC; line breaks (``\\r\\n``, ``\\r``, vertical tab, form feed, NEL, U+2028,
  U+2029) become ``\\n``; NUL and the other C0 control characters that no viewer shows are
  removed (they cannot be written to XML or spreadsheets either);
- a one-line field loses leading and trailing white space (some viewers pad with spaces or
  end a value with a line break); a multiline field loses the trailing white space of every
  line and blank lines at the start and the end, and keeps indentation and inner spaces;
- a date becomes ISO ``YYYY-MM-DD`` (read as :func:`oppforms.values.to_iso_date` reads it);
  one that cannot be read stays out of the record (``""``) and is handed to a person.

What was changed beyond that, and what ``oppforms fill`` would refuse when the record is
filled again (characters the form's font cannot draw, too many characters), is reported,
never with the value itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..i18n import N_
from ..spec import Field, FieldKind, FormSpec
from ..values import coercer_for, to_iso_date, trim_multiline

__all__ = ["Normalized", "normalize_value"]

_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")  # controls and line breaks other than \n


@dataclass(frozen=True, slots=True)
class Normalized:
    """A value as it goes into a record; ``warnings`` name what a person should know
    (never the value); ``review`` is set when the value could not be taken at all."""

    value: str
    warnings: tuple[str, ...] = ()
    review: str = ""


def normalize_value(raw: str, field: Field, spec: FormSpec) -> Normalized:
    """The record value of ``field`` read as ``raw`` from a form (see the module)."""
    text = raw
    warnings: list[str] = []
    if not text.isascii() or _SPECIAL.search(text):
        text = _LINE_BREAKS.sub("\n", text)
        if _CONTROLS.search(text):
            text = _CONTROLS.sub("", text)
            warnings.append(N_("{field}: control characters removed").format(field=field.name))
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    if field.kind is FieldKind.DATE:
        shown = " ".join(text.split())
        if not shown:
            return Normalized("")
        try:
            return Normalized(to_iso_date(shown))
        except ValueError as exc:
            return Normalized("", tuple(warnings), N_("{problem}; left empty").format(problem=exc))
    if field.multiline:
        text = trim_multiline(text)  # the same rule as filling
    else:
        text = text.strip()
        if "\n" in text:
            text = " ".join(part.strip() for part in text.split("\n") if part.strip())
            warnings.append(N_("{field}: line breaks in a one-line field were read as spaces").format(field=field.name))
    if text and not text.isascii():
        coercer = coercer_for(spec)
        bad = sorted(ch for ch in set(text) if not coercer.can_draw(ch))
        if bad:
            listed = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:5]) + (", …" if len(bad) > 5 else "")
            warnings.append(
                N_(
                    "{field}: holds characters the form's font cannot draw ({characters}); "
                    "oppforms fill would refuse this value"
                ).format(field=field.name, characters=listed)
            )
    if len(text) > field.max_length:
        warnings.append(
            N_(
                "{field}: {count} characters, more than the {limit} the form allows; "
                "oppforms fill would refuse this value"
            ).format(field=field.name, count=len(text), limit=field.max_length)
        )
    return Normalized(text, tuple(warnings))
