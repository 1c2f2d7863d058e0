"""Validating a form spec's TOML into the dataclasses of :mod:`oppforms.spec`.

Strict on purpose: unknown keys, kinds and styles, duplicate names, rectangles that leave
the content area or overlap another field are :class:`SpecError`\\ s naming the file and
the entry.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import SpecError
from .geometry import PdfRect
from .spec import (
    Align,
    BulletsBlock,
    Block,
    Composite,
    Continuation,
    Field,
    FieldKind,
    FormSpec,
    Marks,
    Page,
    RecordRules,
    Run,
    Style,
    TableBlock,
    TableCell,
    TextBlock,
    ValueStyle,
    Widget,
)

_STYLE_KEYS = {"font", "size", "leading", "gray"}


class Loader:
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, entry: str, message: str) -> SpecError:
        return SpecError(f"{self.filename}: {entry}: {message}")

    # -- small typed readers ------------------------------------------------------------

    def table(self, raw: Any, entry: str, required: set[str], optional: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
        if not isinstance(raw, dict):
            raise self.fail(entry, "must be a table")
        unknown = sorted(set(raw) - required - set(optional))
        if unknown:
            raise self.fail(entry, f"unknown key(s) {', '.join(unknown)}")
        missing = sorted(required - set(raw))
        if missing:
            raise self.fail(entry, f"missing key(s) {', '.join(missing)}")
        return raw

    def string(self, raw: Any, entry: str, *, empty: bool = False) -> str:
        if not isinstance(raw, str) or (not empty and not raw.strip()):
            raise self.fail(entry, "must be a non-empty string")
        return raw

    def number(self, raw: Any, entry: str, *, positive: bool = False) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.fail(entry, "must be a number")
        if positive and raw <= 0:
            raise self.fail(entry, "must be greater than 0")
        return float(raw)

    def integer(self, raw: Any, entry: str, *, minimum: int = 0) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
            raise self.fail(entry, f"must be a whole number of at least {minimum}")
        return raw

    def numbers(self, raw: Any, entry: str, count: int | None = None) -> tuple[float, ...]:
        if not isinstance(raw, list) or (count is not None and len(raw) != count) or not raw:
            raise self.fail(entry, f"must be a list of {count or 'one or more'} numbers")
        return tuple(self.number(v, entry, positive=count is None) for v in raw)

    def rect(self, raw: Any, entry: str) -> PdfRect:
        r = PdfRect(*self.numbers(raw, entry, 4))
        if not r.is_valid():
            raise self.fail(entry, f"rectangle {r.as_list()} must have x0 < x1 and y0 < y1")
        return r

    def enum(self, raw: Any, entry: str, kind: type[enum.StrEnum], what: str) -> Any:
        try:
            return kind(raw)
        except ValueError:
            allowed = ", ".join(k.value for k in kind)
            raise self.fail(entry, f"unknown {what} {raw!r} (allowed: {allowed})") from None

    def style_name(self, raw: Any, entry: str, styles: Mapping[str, Style]) -> str:
        name = self.string(raw, entry)
        if name not in styles:
            raise self.fail(entry, f"unknown style {name!r}")
        return name

    def runs(self, raw: Any, entry: str, styles: Mapping[str, Style]) -> tuple[Run, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(entry, "must be a list of {style, text} tables")
        out = []
        for i, item in enumerate(raw, 1):
            e = f"{entry} run {i}"
            t = self.table(item, e, {"style", "text"})
            out.append(Run(self.style_name(t["style"], e, styles), self.string(t["text"], e)))
        return tuple(out)

    # -- the spec -------------------------------------------------------------------------

    def load(self, raw: Mapping[str, Any]) -> FormSpec:
        top = self.table(
            raw,
            "top level",
            {"form", "fonts", "styles", "values", "marks", "records", "continuation", "pages", "fields"},
        )
        form = self.table(
            top["form"], "[form]", {"id", "version", "title", "subject", "language", "page_size"}
        )
        width, height = self.numbers(form["page_size"], "[form] page_size", 2)
        page = PdfRect(0.0, 0.0, width, height)

        fonts_raw = self.table(top["fonts"], "[fonts]", {"regular", "bold", "coverage"})
        fonts = {k: self.string(fonts_raw[k], f"[fonts] {k}") for k in ("regular", "bold")}
        coverage = self.coverage(fonts_raw["coverage"])

        styles: dict[str, Style] = {}
        if not isinstance(top["styles"], dict) or not top["styles"]:
            raise self.fail("[styles]", "must hold at least one style")
        for name, s in top["styles"].items():
            e = f"[styles.{name}]"
            t = self.table(s, e, _STYLE_KEYS)
            font = self.string(t["font"], f"{e} font")
            if font not in fonts:
                raise self.fail(e, f"unknown font {font!r} (defined: {', '.join(fonts)})")
            size = self.number(t["size"], f"{e} size", positive=True)
            gray = self.number(t["gray"], f"{e} gray")
            if not 0 <= gray <= 1:
                raise self.fail(e, "gray must lie between 0 (black) and 1 (white)")
            styles[name] = Style(name, font, size, size * self.number(t["leading"], f"{e} leading", positive=True), gray)

        v = self.table(top["values"], "[values]", {"font", "size", "min_size", "leading", "padding"}, {"paragraph"})
        values = ValueStyle(
            font=self.string(v["font"], "[values] font"),
            size=self.number(v["size"], "[values] size", positive=True),
            min_size=self.number(v["min_size"], "[values] min_size", positive=True),
            leading=self.number(v["leading"], "[values] leading", positive=True),
            padding=self.number(v["padding"], "[values] padding"),
            paragraph=self.number(v.get("paragraph", 0.0), "[values] paragraph"),
        )
        if values.font not in fonts:
            raise self.fail("[values]", f"unknown font {values.font!r}")
        if values.min_size > values.size:
            raise self.fail("[values]", "min_size must not exceed size")

        marks = self.marks(top["marks"], page, styles)

        if not isinstance(top["pages"], list) or not top["pages"]:
            raise self.fail("[[pages]]", "the form needs at least one page")
        pages = tuple(self.page(p, i, marks, styles) for i, p in enumerate(top["pages"], 1))

        if not isinstance(top["fields"], list) or not top["fields"]:
            raise self.fail("[[fields]]", "the form needs at least one field")
        fields = tuple(self.field(f, i, len(pages), marks) for i, f in enumerate(top["fields"], 1))
        self.check_fields(fields)
        records = self.records(top["records"], fields)

        return FormSpec(
            source=self.filename,
            form_id=self.string(form["id"], "[form] id"),
            version=self.string(form["version"], "[form] version"),
            title=self.string(form["title"], "[form] title"),
            subject=self.string(form["subject"], "[form] subject"),
            language=self.string(form["language"], "[form] language"),
            page_width=width,
            page_height=height,
            fonts=fonts,
            coverage=coverage,
            styles=styles,
            values=values,
            marks=marks,
            pages=pages,
            fields=fields,
            records=records,
            continuation=self.continuation(top["continuation"], styles),
        )

    def continuation(self, raw: Any, styles: Mapping[str, Style]) -> Continuation:
        e = "[continuation]"
        t = self.table(
            raw,
            e,
            {"heading", "heading_style", "details", "details_style", "marker"},
            {"heading_again", "section_details", "section_gap", "head_gap", "keep_lines"},
        )
        heading = self.string(t["heading"], f"{e} heading")
        return Continuation(
            heading=heading,
            heading_style=self.style_name(t["heading_style"], f"{e} heading_style", styles),
            details=self.string(t["details"], f"{e} details"),
            details_style=self.style_name(t["details_style"], f"{e} details_style", styles),
            marker=self.string(t["marker"], f"{e} marker"),
            heading_again=self.string(t.get("heading_again", heading + " (vervolg)"), f"{e} heading_again"),
            section_details=self.string(t.get("section_details", "{section}"), f"{e} section_details"),
            section_gap=self.number(t.get("section_gap", 10.0), f"{e} section_gap"),
            head_gap=self.number(t.get("head_gap", 4.0), f"{e} head_gap"),
            keep_lines=self.integer(t.get("keep_lines", 2), f"{e} keep_lines", minimum=1),
        )

    def records(self, raw: Any, fields: Sequence[Field]) -> RecordRules:
        e = "[records]"
        t = self.table(raw, e, {"key", "person", "file_name"}, {"compose"})
        names = {f.name: f for f in fields}
        for k in ("key", "person"):
            name = self.string(t[k], f"{e} {k}")
            if name not in names or names[name].is_signature:
                raise self.fail(f"{e} {k}", f"{name!r} is not a text field of this form")
        file_name = self.string(t["file_name"], f"{e} file_name")
        import string

        for _, ref, _, _ in string.Formatter().parse(file_name):
            if ref is not None and ref not in names and ref != "row":
                raise self.fail(f"{e} file_name", f"unknown field {{{ref}}}")
        composites = []
        for i, c in enumerate(t.get("compose", []), 1):
            ce = f"{e} compose {i}"
            ct = self.table(c, ce, {"field", "parts"})
            name = self.string(ct["field"], f"{ce} field")
            if name not in names:
                raise self.fail(ce, f"unknown field {name!r}")
            parts = ct["parts"]
            if not isinstance(parts, list) or len(parts) < 2:
                raise self.fail(ce, "parts must list at least two lists of header names")
            composites.append(
                Composite(name, tuple(tuple(self.string(h, ce) for h in self.list_of(p, ce)) for p in parts))
            )
        return RecordRules(str(t["key"]), str(t["person"]), file_name, tuple(composites))

    def list_of(self, raw: Any, entry: str) -> list[Any]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(entry, "must be a non-empty list")
        return raw

    def coverage(self, raw: Any) -> str:
        """Ranges like ``"U+0020-U+007E"`` or single ``"U+20AC"`` → the characters."""
        if not isinstance(raw, list) or not raw:
            raise self.fail("[fonts] coverage", "must be a list of Unicode ranges")
        chars: list[str] = []
        for item in raw:
            e = f"[fonts] coverage {item!r}"
            text = self.string(item, e)
            try:
                lo_s, _, hi_s = text.partition("-")
                lo = int(lo_s.removeprefix("U+"), 16)
                hi = int(hi_s.removeprefix("U+"), 16) if hi_s else lo
            except ValueError:
                raise self.fail(e, "must look like U+0020-U+007E or U+20AC") from None
            if hi < lo:
                raise self.fail(e, "range ends before it starts")
            chars.extend(chr(c) for c in range(lo, hi + 1))
        return "".join(dict.fromkeys(chars))

    def marks(self, raw: Any, page: PdfRect, styles: Mapping[str, Style]) -> Marks:
        e = "[marks]"
        t = self.table(
            raw,
            e,
            {"content", "corner_size", "corner_inset", "qr_zones", "qr_size", "header", "footer"},
        )
        content = self.rect(t["content"], f"{e} content")
        if not page.contains(content):
            raise self.fail(f"{e} content", "lies off the page")
        qr = tuple(self.rect(z, f"{e} qr_zones") for z in t["qr_zones"])
        header = self.table(t["header"], f"{e} header", {"style", "x", "baseline", "text"})
        footer = self.table(t["footer"], f"{e} footer", {"style", "right", "baseline", "text"})
        marks = Marks(
            content=content,
            corner_size=self.number(t["corner_size"], f"{e} corner_size", positive=True),
            corner_inset=self.number(t["corner_inset"], f"{e} corner_inset", positive=True),
            qr_zones=qr,
            qr_size=self.number(t["qr_size"], f"{e} qr_size", positive=True),
            header_style=self.style_name(header["style"], f"{e} header style", styles),
            header_x=self.number(header["x"], f"{e} header x"),
            header_baseline=self.number(header["baseline"], f"{e} header baseline"),
            header_text=self.string(header["text"], f"{e} header text"),
            footer_style=self.style_name(footer["style"], f"{e} footer style", styles),
            footer_right=self.number(footer["right"], f"{e} footer right"),
            footer_baseline=self.number(footer["baseline"], f"{e} footer baseline"),
            footer_text=self.string(footer["text"], f"{e} footer text"),
        )
        for z in qr:
            if z.width < marks.qr_size or z.height < marks.qr_size:
                raise self.fail(e, f"QR zone {z.as_list()} is smaller than qr_size {marks.qr_size}")
        reserved = (*marks.corner_rects(page.x1, page.y1), *qr)
        for r in reserved:
            if not page.contains(r):
                raise self.fail(e, f"mark or QR zone {r.as_list()} lies off the page")
            if r.overlaps(content):
                raise self.fail(e, f"mark or QR zone {r.as_list()} overlaps the content area")
        for i, a in enumerate(reserved):
            for b in reserved[i + 1 :]:
                if a.overlaps(b):
                    raise self.fail(e, f"marks {a.as_list()} and {b.as_list()} overlap")
        return marks

    def inside_content(self, rect: PdfRect, entry: str, marks: Marks) -> None:
        if not marks.content.contains(rect):
            raise self.fail(
                entry,
                f"rectangle {[round(v, 2) for v in rect.as_list()]} leaves the content area "
                f"{marks.content.as_list()} (off the page or into the margins kept for scan marks)",
            )

    def page(self, raw: Any, index: int, marks: Marks, styles: Mapping[str, Style]) -> Page:
        e = f"page {index}"
        t = self.table(raw, f"[[pages]] {index}", {"number", "blocks"})
        number = self.integer(t["number"], f"{e} number", minimum=1)
        if number != index:
            raise self.fail(e, f"pages must be numbered 1, 2, 3, … in order (found {number})")
        if not isinstance(t["blocks"], list):
            raise self.fail(e, "blocks must be a list")
        blocks = tuple(self.block(b, f"page {index} block {i}", marks, styles) for i, b in enumerate(t["blocks"], 1))
        return Page(number, blocks)

    def block(self, raw: Any, entry: str, marks: Marks, styles: Mapping[str, Style]) -> Block:
        if not isinstance(raw, dict) or "kind" not in raw:
            raise self.fail(entry, "a block needs a kind (text, bullets or table)")
        kind = raw["kind"]
        if kind == "text":
            t = self.table(raw, entry, {"kind", "at", "width", "runs"}, {"align"})
            x, top = self.numbers(t["at"], f"{entry} at", 2)
            width = self.number(t["width"], f"{entry} width", positive=True)
            align = self.enum(t.get("align", "left"), f"{entry} align", Align, "alignment")
            block: Block = TextBlock(entry, x, top, width, self.runs(t["runs"], entry, styles), align)
            self.inside_content(PdfRect(x, top - 1, x + width, top), entry, marks)
        elif kind == "bullets":
            t = self.table(raw, entry, {"kind", "at", "width", "style", "items"}, {"indent", "gap"})
            x, top = self.numbers(t["at"], f"{entry} at", 2)
            width = self.number(t["width"], f"{entry} width", positive=True)
            items = t["items"]
            if not isinstance(items, list) or not items:
                raise self.fail(entry, "items must be a non-empty list of strings")
            block = BulletsBlock(
                entry,
                x,
                top,
                width,
                self.style_name(t["style"], f"{entry} style", styles),
                self.number(t.get("indent", 10), f"{entry} indent"),
                self.number(t.get("gap", 2), f"{entry} gap"),
                tuple(self.string(s, f"{entry} item") for s in items),
            )
            self.inside_content(PdfRect(x, top - 1, x + width, top), entry, marks)
        elif kind == "table":
            t = self.table(raw, entry, {"kind", "at", "columns", "rows", "cells"}, {"header_rows", "label_columns"})
            x, top = self.numbers(t["at"], f"{entry} at", 2)
            columns = self.numbers(t["columns"], f"{entry} columns")
            rows = self.numbers(t["rows"], f"{entry} rows")
            cells = []
            seen: set[tuple[int, int]] = set()
            for i, c in enumerate(t["cells"], 1):
                ce = f"{entry} cell {i}"
                ct = self.table(c, ce, {"row", "col", "runs"}, {"align"})
                row = self.integer(ct["row"], f"{ce} row")
                col = self.integer(ct["col"], f"{ce} col")
                if row >= len(rows) or col >= len(columns):
                    raise self.fail(ce, f"cell ({row}, {col}) lies outside the {len(rows)} x {len(columns)} table")
                if (row, col) in seen:
                    raise self.fail(ce, f"cell ({row}, {col}) is given twice")
                seen.add((row, col))
                align = self.enum(ct.get("align", "left"), f"{ce} align", Align, "alignment")
                cells.append(TableCell(row, col, self.runs(ct["runs"], ce, styles), align))
            block = TableBlock(
                entry,
                x,
                top,
                columns,
                rows,
                self.integer(t.get("header_rows", 1), f"{entry} header_rows"),
                self.integer(t.get("label_columns", 1), f"{entry} label_columns"),
                tuple(cells),
            )
            self.inside_content(block.rect, entry, marks)
        else:
            raise self.fail(entry, f"unknown block kind {kind!r} (allowed: text, bullets, table)")
        return block

    def field(self, raw: Any, index: int, page_count: int, marks: Marks) -> Field:
        named = isinstance(raw, dict) and isinstance(raw.get("name"), str)
        entry = f"field {raw['name']!r}" if named else f"field {index}"
        t = self.table(
            raw,
            entry,
            {"name", "kind", "label", "section", "widgets"},
            {"multiline", "max_length", "aliases"},
        )
        name = self.string(t["name"], f"{entry} name")
        entry = f"field {name!r}"
        if not all(part.isascii() and part.islower() or part.isdigit() for part in name.split(".")) or " " in name:
            raise self.fail(entry, "names are ASCII, lower case and dotted")
        kind: FieldKind = self.enum(t["kind"], f"{entry} kind", FieldKind, "field kind")
        multiline = t.get("multiline", False)
        if not isinstance(multiline, bool):
            raise self.fail(entry, "multiline must be true or false")
        if multiline and kind is not FieldKind.TEXT:
            raise self.fail(entry, "only text fields can be multiline")
        aliases = t.get("aliases", [])
        if not isinstance(aliases, list):
            raise self.fail(entry, "aliases must be a list of strings")
        widgets_raw = t["widgets"]
        if not isinstance(widgets_raw, list) or not widgets_raw:
            raise self.fail(entry, "needs at least one widget")
        widgets = []
        for i, w in enumerate(widgets_raw, 1):
            we = f"{entry} widget {i}"
            wt = self.table(w, we, {"page", "rect"}, {"frame"})
            page_no = self.integer(wt["page"], f"{we} page", minimum=1)
            if page_no > page_count:
                raise self.fail(we, f"page {page_no} does not exist (the form has {page_count})")
            rect = self.rect(wt["rect"], f"{we} rect")
            self.inside_content(rect, we, marks)
            frame = wt.get("frame", True)
            if not isinstance(frame, bool):
                raise self.fail(we, "frame must be true or false")
            widgets.append(Widget(page_no, rect, frame))
        default_max = 20000 if multiline else 200
        return Field(
            name=name,
            kind=kind,
            label=self.string(t["label"], f"{entry} label"),
            section=self.string(t["section"], f"{entry} section"),
            multiline=multiline,
            max_length=self.integer(t.get("max_length", default_max), f"{entry} max_length", minimum=1),
            aliases=tuple(self.string(a, f"{entry} alias") for a in aliases),
            widgets=tuple(widgets),
        )

    def check_fields(self, fields: Sequence[Field]) -> None:
        seen: dict[str, int] = {}
        for i, f in enumerate(fields, 1):
            if f.name in seen:
                raise self.fail(f"field {i}", f"duplicate name {f.name!r} (also field {seen[f.name]})")
            seen[f.name] = i
        placed = [(f, w) for f in fields for w in f.widgets]
        for i, (fa, wa) in enumerate(placed):
            for fb, wb in placed[i + 1 :]:
                if wa.page_no == wb.page_no and wa.rect.overlaps(wb.rect):
                    raise self.fail(
                        f"field {fb.name!r}",
                        f"rectangle overlaps field {fa.name!r} on page {wa.page_no}",
                    )
