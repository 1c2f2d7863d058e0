"""XFDF and FDF (Acrobat's and pdftk's interchange formats): the (full name, value) pairs
of one form."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from ..errors import InputError


def _xfdf_fields(data: bytes, fail: Callable[[str], InputError]) -> list[tuple[str, str]]:
    """(full name, value) of every field in an XFDF document; several values (a list box)
    are joined with line breaks."""
    import xml.etree.ElementTree as ET

    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise fail("not accepted: the XML declares a document type or entities")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise fail(f"not valid XFDF ({exc})") from None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    if local(root.tag) != "xfdf":
        raise fail("not an XFDF document (no <xfdf> element)")
    out: list[tuple[str, str]] = []

    def walk(element: ET.Element, prefix: str) -> None:
        for child in element:
            if local(child.tag) != "field":
                continue
            name = child.get("name", "")
            full = f"{prefix}.{name}" if prefix and name else (name or prefix)
            values = [v.text or "" for v in child if local(v.tag) == "value"]
            if values:
                out.append((full, "\n".join(values)))
            walk(child, full)

    for fields in (c for c in root if local(c.tag) == "fields"):
        walk(fields, "")
    return out


def _fdf_fields(data: bytes, fail: Callable[[str], InputError]) -> list[tuple[str, str]]:
    """(full name, value) of every field in an FDF document (its objects read with pypdf's
    object parser; references resolved among the file's own objects)."""
    from pypdf.errors import PdfReadError
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
        read_object,
    )

    if not data.lstrip()[:5] == b"%FDF-":
        raise fail("not an FDF file (no %FDF- header)")
    objects: dict[int, object] = {}
    for m in re.finditer(rb"(?<![\d.])(\d+)\s+(\d+)\s+obj\b", data):
        stream = io.BytesIO(data)
        start = m.end()
        while start < len(data) and data[start : start + 1] in b" \t\r\n\x0c\x00":
            start += 1
        stream.seek(start)
        try:
            objects[int(m.group(1))] = read_object(stream, None)
        except (PdfReadError, ValueError, KeyError, RecursionError) as exc:
            raise fail(f"not a readable FDF file (object {int(m.group(1))}: {type(exc).__name__})") from None

    def resolve(obj: object, depth: int = 0) -> object:
        while isinstance(obj, IndirectObject) and depth < 32:
            obj = objects.get(obj.idnum)
            depth += 1
        return obj

    def text(obj: object) -> str:
        obj = resolve(obj)
        if isinstance(obj, NameObject):
            return str(obj)[1:]
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, bytes):
            return obj.decode("latin-1")
        if isinstance(obj, ArrayObject):
            return "\n".join(text(item) for item in obj)
        return ""

    root = next(
        (o for o in objects.values() if isinstance(o, DictionaryObject) and isinstance(resolve(o.get("/FDF")), DictionaryObject)),
        None,
    )
    if root is None:
        raise fail("not an FDF file (no /FDF dictionary)")
    fdf = resolve(root.get("/FDF"))
    assert isinstance(fdf, DictionaryObject)
    out: list[tuple[str, str]] = []
    seen: set[int] = set()

    def walk(items: object, prefix: str, depth: int) -> None:
        items = resolve(items)
        if not isinstance(items, ArrayObject) or depth > 32:
            return
        for item in items:
            node = resolve(item)
            if not isinstance(node, DictionaryObject) or id(node) in seen:
                continue
            seen.add(id(node))
            partial = text(node.get("/T")) if "/T" in node else ""
            full = f"{prefix}.{partial}" if prefix and partial else (partial or prefix)
            if "/V" in node:
                out.append((full, text(node.get("/V"))))
            walk(node.get("/Kids"), full, depth + 1)

    walk(fdf.get("/Fields"), "", 0)
    return out
