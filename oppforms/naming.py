"""Output file names: built from fields by a pattern, safe on every platform, never twice.

A name never leaves the output folder and no value makes a folder: ``/`` in the *pattern*
makes subfolders, separators in *values* are replaced. Components are NFC, free of control
and reserved characters, not reserved Windows names, and at most 120 bytes.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from collections.abc import Mapping

from .i18n import N_
from .errors import UsageError
from .spec import FormSpec

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_MAX_COMPONENT_BYTES = 120


def safe_component(text: str) -> str:
    """One path component made safe on every platform: NFC, no separators, control or
    reserved characters, no leading/trailing dots or spaces, not a reserved Windows name,
    at most 120 bytes (longer names keep a hash of the full text so they stay distinct)."""
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE.sub("_", text).strip(" .")
    if not text:
        return ""
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text
    raw = text.encode("utf-8")
    if len(raw) > _MAX_COMPONENT_BYTES:
        digest = hashlib.sha256(raw).hexdigest()[:8]
        cut = raw[: _MAX_COMPONENT_BYTES - 9].decode("utf-8", "ignore").rstrip(" .")
        text = f"{cut}-{digest}"
    return text


class Namer:
    """Builds each record's relative file name from a pattern such as
    ``"{leerling.klas}/{leerling.nummer}"`` (``/`` in the pattern makes subfolders; ``{row}``
    is the record's row). Values never make folders or leave the output folder, and two
    records never get the same file: a name already given (compared without regard to
    case or Unicode normalisation, as Windows and macOS do) gets ``-2``, ``-3``, …"""

    def __init__(self, pattern: str, spec: FormSpec) -> None:
        names = {f.name for f in spec.value_fields} | {"row"}
        parts = [p for p in pattern.replace("\\", "/").split("/")]
        if not parts or any(p.strip() in {"", ".", ".."} for p in parts):
            raise UsageError(
                N_("--name {pattern}: every part between slashes needs a field, e.g. {{leerling.nummer}}").format(pattern=repr(pattern))
            )
        for part in parts:
            for _, ref, spec_, conv in string.Formatter().parse(part):
                if ref is not None and ref not in names:
                    raise UsageError(N_("--name {pattern}: unknown field {{{field}}}").format(pattern=repr(pattern), field=ref))
                if spec_ or conv:
                    raise UsageError(N_("--name {pattern}: format specs are not supported").format(pattern=repr(pattern)))
        self.parts = parts
        # each part parsed once: (literal, field or None) pairs, as string.Formatter gives them
        self._parsed = [[(literal, ref) for literal, ref, _, _ in string.Formatter().parse(part)] for part in parts]
        self.fields = tuple(ref for parsed in self._parsed for _, ref in parsed if ref and ref != "row")
        self.taken: set[str] = set()

    def name(self, values: Mapping[str, str], row: int) -> str:
        components = []
        for parsed in self._parsed:
            filled = ""
            for literal, ref in parsed:
                filled += literal
                if ref is not None:
                    filled += str(row) if ref == "row" else values.get(ref, "")
            components.append(safe_component(filled) or f"rij-{row}")
        stem = "/".join(components)
        candidate, n = stem, 1
        while self._key(candidate) in self.taken:
            n += 1
            candidate = f"{stem}-{n}"
        self.taken.add(self._key(candidate))
        return candidate + ".pdf"

    @staticmethod
    def _key(name: str) -> str:
        return unicodedata.normalize("NFC", name).casefold()
