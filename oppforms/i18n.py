"""The words school staff read, in Dutch or English, from one message catalogue.

Records keep machine text: a file's status is one of :class:`~oppforms.records.FileStatus`'s
values and a review item's ``reason`` is the English sentence the contract shows
("handwriting added on paper"), so exports, reports and scripts stay stable whatever the
reader's language. What is *shown* to a person (the CLI's messages, the review report, the
web app) goes through this module.

The catalogue is gettext (``oppforms/locale/<lang>/LC_MESSAGES/oppforms.mo``), compiled from
the ``.po`` files beside it with Babel by maintainers (``bash scripts/catalogue.sh``); at run
time only the standard library's :mod:`gettext` reads it. Message ids are English
``str.format`` templates: the code marks them with :func:`N_` and fills their placeholders
(``N_("page {page} of the form is missing").format(page=3)``). :func:`translate` takes such a
finished English text and finds its template again, so a reason stored in a record is
translated when shown, its numbers and field names kept. Placeholders named in
:data:`NESTED` hold another message, which is translated too; every other placeholder
(values read from the paper, file names) is kept exactly as it was.

Nothing happens at import time; catalogues are read on first use and cached.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import os
import re
import string
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: The languages shipped; anything else is shown in English.
LANGUAGES = ("nl", "en")
#: The web app's language, and :func:`translate`'s default.
DEFAULT_LANGUAGE = "nl"
DOMAIN = "oppforms"
LOCALE_DIR = Path(__file__).parent / "locale"

#: Placeholders that hold another message (translated in turn); all others are kept as is.
NESTED = frozenset({"reason", "problem", "detail", "what", "label", "how"})
#: Placeholders that hold another message or a name (a field's, a signer's, a PDF's kind
#: of field): translated when they are a message, kept when they are not.
MAYBE_NESTED = frozenset({"where", "kind", "who", "columns", "last"})
#: Placeholders that hold a list of messages joined with ", " (each translated in turn).
LISTS = frozenset({"rows", "items"})
#: Placeholders that hold a number (matched as one; a decimal point becomes a comma in Dutch),
#: as do all with a format spec (``{seconds:g}``).
NUMBERS = frozenset(
    {"page", "pages", "n", "count", "conf", "seconds", "mb", "row", "first", "start", "end", "through",
     "blank", "limit", "width", "height", "million", "size", "line"}
)
#: Placeholders that hold a field name or a list of them (no spaces but ", ").
FIELDS = frozenset({"field", "fields", "listed", "name"})
#: Placeholders with a shape of their own: a column header (in quotes) and a column letter
#: or number, so that a list of them is not read as one.
PATTERNS = {"header": r'[^"]+', "column": r"[A-Z]{1,3}|\d+"}
#: Placeholders that hold a file or folder name.
FILES = frozenset({"source", "file", "folder"})


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, do not translate yet"
    """Mark ``message`` (an English ``str.format`` template) for the catalogue; return it
    unchanged. The English text is what records keep."""
    return message


def language(lang: str | None) -> str:
    """``lang`` as one of :data:`LANGUAGES`: ``"nl"``, ``"nl_NL"``, ``"nl-BE.UTF-8"`` give
    ``"nl"``; anything else (``None``, ``"C"``, ``"de"``) gives ``"en"``."""
    if not lang:
        return "en"
    code = re.split(r"[_.@:-]", lang.strip(), maxsplit=1)[0].lower()
    return code if code in LANGUAGES else "en"


def cli_language(environ: Mapping[str, str] | None = None) -> str:
    """The command line's language, from the locale as gettext reads it: the first of
    ``LANGUAGE`` (its first entry), ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set.
    ``nl_NL.UTF-8`` (any ``nl``) gives Dutch; anything else, or nothing set, English. On
    Windows, where none of them is usually set, the user's locale decides."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if var == "LANGUAGE":
            value = value.split(":")[0]
        if value:
            return language(value)
    if environ is None and sys.platform == "win32":  # Windows sets no LANG: its own setting
        import locale

        name = locale.getlocale()[0] or ""
        return "nl" if name.lower().startswith(("nl", "dutch")) else "en"
    return "en"


@functools.cache
def _catalogue(lang: str) -> _gettext.NullTranslations:
    return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


def gettext(message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The exact message ``message`` (a template or a plain text) in ``lang``; itself when the
    catalogue lacks it."""
    return _catalogue(language(lang)).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """The singular or plural form for ``n`` in ``lang`` (a template still to be formatted)."""
    return _catalogue(language(lang)).ngettext(singular, plural, n)


def format_message(template: str, lang: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """``template`` (an English message id) translated to ``lang`` and formatted with
    ``values``; numbers written the language's way."""
    lang = language(lang)
    return _fill(gettext(template, lang), values, comma=lang == "nl")


def nformat(singular: str, plural: str, n: int, lang: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """:func:`ngettext` for ``n``, formatted with ``n`` and ``values``."""
    lang = language(lang)
    return _fill(ngettext(singular, plural, n, lang), {"n": n, **values}, comma=lang == "nl")


def translate(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """``text``, an English message as the library writes it (a review reason, a warning, a
    file's reason, a fill error), in ``lang``.

    An exact message is looked up; otherwise the templates with placeholders are tried, most
    specific first, and the one that matches is filled with what its placeholders matched
    (nested messages translated in turn). Messages joined with ``"; "`` are translated part
    by part. Text the catalogue does not know comes back unchanged, so nothing is ever lost
    in translation."""
    lang = language(lang)
    if lang == "en" or not text:
        return text
    whole = _translate_one(text, lang)
    if whole is not None and whole[1]:
        return whole[0]
    parts = text.split("; ")
    if len(parts) > 1:
        out: list[str] = []
        complete = True
        i = 0
        while i < len(parts):
            for j in range(len(parts), i, -1):  # the longest run of parts that is one message
                got = _translate_one("; ".join(parts[i:j]), lang)
                if got is not None and got[1]:
                    out.append(got[0])
                    i = j
                    break
            else:
                out.append(parts[i])
                complete = False
                i += 1
        if complete or whole is None:
            return "; ".join(out)
    return whole[0] if whole is not None else text


def translate_reason(reason: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A review item's or a file's ``reason`` in ``lang`` (see :func:`translate`)."""
    return translate(reason, lang)


def NC_(context: str, message: str) -> str:  # noqa: N802 - gettext's convention, with a context
    """Mark ``message`` in ``context`` for the catalogue (a word that means different things in
    different places, such as a status ``"ok"``); return it unchanged."""
    return message


def pgettext(context: str, message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The message ``message`` in ``context`` in ``lang``; itself when the catalogue lacks it."""
    return _catalogue(language(lang)).pgettext(context, message)


#: The machine values of statuses, by what they are the status of, with the context their
#: labels have in the catalogue. English labels are the machine values themselves.
_STATUSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "file": (
        "file status",
        (
            NC_("file status", "ok"),
            NC_("file status", "ok with warnings"),
            NC_("file status", "needs review"),
            NC_("file status", "not this form"),
            NC_("file status", "encrypted"),
            NC_("file status", "malformed"),
            NC_("file status", "needs OCR"),
        ),
    ),
    "fill": ("fill status", (NC_("fill status", "ok"), NC_("fill status", "skipped"), NC_("fill status", "failed"))),
    "signature": (
        "signature status",
        (NC_("signature status", "signed"), NC_("signature status", "missing"), NC_("signature status", "review")),
    ),
}


def status_label(status: str, lang: str = DEFAULT_LANGUAGE, *, of: str = "file") -> str:
    """The label a person reads for a machine ``status`` value: ``of="file"`` for
    :class:`~oppforms.records.FileStatus` (``"needs review"`` is "controleren" in Dutch),
    ``"fill"`` for a filled row (``ok``, ``skipped``, ``failed``), ``"signature"`` for a
    signature box (``signed``, ``missing``, ``review``). In English the label is the value
    itself; an unknown status is shown as it is."""
    if of not in _STATUSES:
        raise ValueError(f"no statuses of {of!r}; known: {', '.join(_STATUSES)}")
    context, known = _STATUSES[of]
    value = str(status)
    return pgettext(context, value, lang) if value in known else value


# -- finding a template again ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Template:
    msgid: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    numbers: frozenset[str]
    specificity: int


_FIELD = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


def _fill(template: str, values: Mapping[str, object], *, comma: bool = False) -> str:
    """``template``'s ``{name}`` (or ``{name:spec}``) placeholders replaced by ``values``
    (numbers formatted with the spec, and with a decimal comma when ``comma``); braces
    doubled stay single."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            return m.group(0)
        value = values[name]
        spec = m.group(0)[len(name) + 1 : -1]
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = format(value, spec[1:] if spec.startswith(":") else "")
            return text.replace(".", ",") if comma else text
        return str(value)

    return _FIELD.sub(one, template).replace("{{", "{").replace("}}", "}")


def _pattern_for(name: str, spec: str) -> str:
    if name in NUMBERS or spec:
        return r"-?\d+(?:[.,]\d+)?"
    if name in FIELDS:
        return r"[A-Za-z0-9_.]+(?:, [A-Za-z0-9_.]+)*"
    if name in PATTERNS:
        return PATTERNS[name]
    if name in FILES:  # never across "; ", where messages are joined
        return r"(?:(?!; ).)+?"
    return r".+?"


def _compile(msgid: str) -> _Template | None:
    try:
        parsed = list(string.Formatter().parse(msgid))
    except ValueError:
        return None
    regex: list[str] = []
    names: list[str] = []
    numbers: set[str] = set()
    literal = 0
    for text, name, spec, _conv in parsed:
        regex.append(re.escape(text))
        literal += len(text)
        if name is None:
            continue
        if not name.isidentifier():
            return None  # positional or indexed placeholders are not used in messages
        if name in names:  # the same placeholder twice: the same text twice
            regex.append(f"(?P={name})")
            continue
        names.append(name)
        if name in NUMBERS or spec:
            numbers.add(name)
        regex.append(f"(?P<{name}>{_pattern_for(name, spec or '')})")
    if not names:
        return None
    shaped = any(
        n in numbers or n in FIELDS or n in FILES or n in PATTERNS or n in NESTED or n in LISTS for n in names
    )
    if literal < 5 and not shaped:
        return None  # "{a}, {b}: {c}" would match almost any text: shown, never read back
    return _Template(msgid, re.compile("".join(regex), re.DOTALL), tuple(names), frozenset(numbers), literal)


@functools.cache
def _templates(lang: str) -> tuple[_Template, ...]:
    catalogue = _catalogue(lang)
    messages = getattr(catalogue, "_catalog", {})
    found = [t for key in messages if isinstance(key, str) and "{" in key and (t := _compile(key)) is not None]
    # the most literal text first: "page {page} of the form is missing" before "{field}: {reason}"
    return tuple(sorted(found, key=lambda t: (-t.specificity, t.msgid)))


def _translate_one(text: str, lang: str, depth: int = 0) -> tuple[str, bool] | None:
    """``text`` translated, and whether every nested message in it was; None when no message
    matches. A match whose nested messages all translate is preferred to one that leaves
    some in English."""
    catalogue = _catalogue(lang)
    if text in getattr(catalogue, "_catalog", {}):
        return catalogue.gettext(text), True
    if depth > 4:
        return None
    partial: tuple[str, bool] | None = None
    for t in _templates(lang):
        m = t.pattern.fullmatch(text)
        if m is None:
            continue
        values: dict[str, object] = {}
        complete = True
        for name in t.names:
            got = m.group(name)
            if name in NESTED or name in MAYBE_NESTED:
                inner = _translate_one(got, lang, depth + 1)
                if inner is not None:
                    got = inner[0]
                complete &= name in MAYBE_NESTED or (inner is not None and inner[1])
            elif name in LISTS:
                inners = [_translate_one(part, lang, depth + 1) for part in got.split(", ")]
                got = ", ".join(i[0] if i else part for i, part in zip(inners, got.split(", "), strict=True))
                complete &= all(i is not None and i[1] for i in inners)
            elif name in t.numbers and lang == "nl":
                got = got.replace(".", ",")
            values[name] = got
        result = _fill(catalogue.gettext(t.msgid), values)
        if complete:
            return result, True
        partial = partial or (result, False)
    return partial
