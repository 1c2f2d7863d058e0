"""The AcroForm field tree of any PDF, walked the way the PDF specification defines it.

Whatever made the file (Acrobat, pdf.js, Preview, LibreOffice, pdftk, pypdf, PyPDFForm …)
a field's fully qualified name is the partial names (``/T``) of its ancestors joined with
dots; ``/FT``, ``/V``, ``/DV``, ``/Ff`` and ``/DA`` are inherited from the nearest ancestor
that has them; a field's widgets are either the field dictionary itself (merged field and
widget) or its kids without a ``/T``. Kids *with* a ``/T`` are fields of their own, even
in a tree that also has widget kids (some producers mix them).

Broken trees are read as far as they go: a loop (a kid that is its own ancestor), a kid
that is no dictionary, or a tree deeper than :data:`MAX_DEPTH` is skipped and noted.
Nothing here knows the OPP form; :mod:`.live` maps the fields onto the spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import pikepdf

from ..i18n import N_
from .pdfstrings import decode_text_string

__all__ = [
    "MAX_DEPTH",
    "FieldTree",
    "PdfField",
    "as_array",
    "as_dict",
    "as_stream",
    "field_tree",
    "string_bytes",
    "text_value",
    "type_code",
]

#: Deeper field trees than this are not followed (real forms are a few levels deep; the
#: limit only stops crafted files from exhausting the stack).
MAX_DEPTH = 32
_INHERITED = frozenset({"/FT", "/V", "/DV", "/Ff", "/DA"})
_DICT = pikepdf.ObjectType.dictionary
_STREAM = pikepdf.ObjectType.stream
_ARRAY = pikepdf.ObjectType.array
_STRING = pikepdf.ObjectType.string
_NAME = pikepdf.ObjectType.name_


def type_code(obj: object) -> pikepdf.ObjectType | None:
    """The pikepdf object type of ``obj``; None for what pikepdf gives as a Python value
    (integers, reals, booleans, null)."""
    return getattr(obj, "_type_code", None)


def as_dict(obj: object) -> pikepdf.Dictionary | None:
    """``obj`` when it is a dictionary (not a stream), else None."""
    return cast(pikepdf.Dictionary, obj) if type_code(obj) == _DICT else None


def as_array(obj: object) -> pikepdf.Array | None:
    return cast(pikepdf.Array, obj) if type_code(obj) == _ARRAY else None


def as_stream(obj: object) -> pikepdf.Stream | None:
    return cast(pikepdf.Stream, obj) if type_code(obj) == _STREAM else None


def string_bytes(obj: object) -> bytes | None:
    """The bytes of a PDF string object, else None."""
    return bytes(cast(pikepdf.String, obj)) if type_code(obj) == _STRING else None


@dataclass(slots=True)
class PdfField:
    """One terminal field: its full name, type (``/Tx``, ``/Sig``, ``/Btn``, ``/Ch`` or
    ``""``), value object (``None`` when it has none), flags, the field dictionary and its
    widget annotations. Holds live pikepdf objects: use it while the PDF is open."""

    name: str
    kind: str
    value: object
    flags: int
    node: pikepdf.Dictionary
    widgets: list[pikepdf.Dictionary] = field(default_factory=list)


@dataclass(slots=True)
class FieldTree:
    """The terminal fields by full name (in tree order), whether the form asks viewers to
    make appearances (``/NeedAppearances``), whether it has an XFA form, what was wrong
    with the tree (no values), and the nodes that carry actions (``/A`` or ``/AA``)."""

    fields: dict[str, PdfField]
    need_appearances: bool
    xfa: bool
    problems: list[str]
    action_nodes: list[pikepdf.Dictionary] = field(default_factory=list)


def text_value(obj: object) -> str:
    """The text of a field value: a text string, a name (without its slash), the text
    strings of an array joined by line breaks (list boxes), or a stream's text; else ""."""
    if obj is None:
        return ""
    code = type_code(obj)
    if code == _STRING:
        return decode_text_string(bytes(cast(pikepdf.String, obj)))
    if code == _NAME:
        return str(obj)[1:]
    if code == _ARRAY:
        return "\n".join(text_value(item) for item in cast(pikepdf.Array, obj))
    if code == _STREAM:
        try:
            return decode_text_string(cast(pikepdf.Stream, obj).read_bytes())
        except pikepdf.PdfError:
            return ""
    return ""


def field_tree(pdf: pikepdf.Pdf) -> FieldTree:
    """Every terminal field of ``pdf``'s AcroForm (an empty tree when it has none)."""
    fields: dict[str, PdfField] = {}
    problems: list[str] = []
    acroform = as_dict(pdf.Root.get("/AcroForm"))
    if acroform is None:
        return FieldTree(fields, False, False, problems)
    asks_viewer = acroform.get("/NeedAppearances", False)  # only read: oppforms never sets it
    need = asks_viewer is True
    xfa = "/XFA" in acroform
    roots = as_array(acroform.get("/Fields"))
    if roots is None:
        return FieldTree(fields, need, xfa, problems)
    seen: set[tuple[int, int]] = set()
    action_nodes: list[pikepdf.Dictionary] = []

    def walk(node: pikepdf.Dictionary, keys: set[str], parent: str, inherited: dict[str, object], depth: int) -> None:
        key = node.objgen
        if key != (0, 0):
            if key in seen:
                problems.append(N_("a loop in the field tree"))
                return
            seen.add(key)
        if depth > MAX_DEPTH:
            problems.append(N_("a field tree deeper than {n} levels").format(n=MAX_DEPTH))
            return
        if "/AA" in keys or "/A" in keys:
            action_nodes.append(node)
        name = parent
        if "/T" in keys:
            partial = text_value(node.get("/T"))
            name = f"{parent}.{partial}" if parent else partial
        own = inherited
        if not keys.isdisjoint(_INHERITED):
            own = dict(inherited)
            for k in keys.intersection(_INHERITED):
                own[k] = node.get(k)
        child_fields: list[tuple[pikepdf.Dictionary, set[str]]] = []
        widgets: list[pikepdf.Dictionary] = []
        if "/Kids" in keys:
            kids = as_array(node.get("/Kids"))
            for item in kids if kids is not None else ():
                kid = as_dict(item)
                if kid is None:
                    problems.append(N_("a field kid that is no dictionary"))
                    continue
                kid_keys = kid.keys()
                if "/T" in kid_keys:
                    child_fields.append((kid, kid_keys))
                else:
                    widgets.append(kid)
        for kid, kid_keys in child_fields:
            walk(kid, kid_keys, name, own, depth + 1)
        if child_fields and not widgets:
            return
        if "/Rect" in keys or node.get("/Subtype") == "/Widget":
            widgets.insert(0, node)
        if not name:
            problems.append(N_("a field without a name"))
            return
        if name in fields:
            # the same full name twice (a re-saved form): the widgets belong together; the
            # first value stays, as viewers show it
            fields[name].widgets.extend(widgets)
            return
        ft = own.get("/FT")
        flags = own.get("/Ff")
        fields[name] = PdfField(
            name=name,
            kind=str(ft) if type_code(ft) == _NAME else "",
            value=own.get("/V"),
            flags=flags if isinstance(flags, int) else 0,
            node=node,
            widgets=widgets,
        )

    for item in roots:
        root = as_dict(item)
        if root is None:
            problems.append(N_("a field that is no dictionary"))
            continue
        walk(root, root.keys(), "", {}, 0)
    return FieldTree(fields, need, xfa, sorted(set(problems)), action_nodes)
