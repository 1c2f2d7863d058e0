"""The form specification: one TOML file per form version, loaded into frozen dataclasses.

The spec is the single source of truth for the page layout (every text of the template,
the tables, the labels), for each field's name, kind, page and rectangle, and for the
record schema. Nothing else in oppforms knows a field name, a coordinate or a page number.

All coordinates are PDF points with the origin at the bottom-left of the page
(:class:`~oppforms.geometry.PdfRect`); pages are numbered from 1 (``page_no``).

The loader is strict: unknown keys, unknown kinds or styles, duplicate names, rectangles
that leave the page's content area or overlap another field are :class:`SpecError`\\ s that
name the file and the entry.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from .errors import SpecError
from .geometry import PdfRect

#: The spec that ``oppforms`` uses when none is named.
CURRENT_SPEC = "opp-kort-v1.toml"


class FieldKind(enum.StrEnum):
    TEXT = "text"
    DATE = "date"
    SIGNATURE = "signature"


class Align(enum.StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Style:
    """How a text is drawn: font key (see ``FormSpec.fonts``), size and leading in points,
    and a grey level (0 black, 1 white)."""

    name: str
    font: str
    size: float
    leading: float
    gray: float


@dataclass(frozen=True, slots=True)
class Widget:
    """One place on the page where a field is shown; ``frame`` draws a white, ruled box
    behind it (widgets inside a table cell use the cell as their frame)."""

    page_no: int
    rect: PdfRect
    frame: bool


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: FieldKind
    label: str
    section: str
    multiline: bool
    max_length: int
    aliases: tuple[str, ...]
    widgets: tuple[Widget, ...]

    @property
    def page_no(self) -> int:
        """The page of the first widget."""
        return self.widgets[0].page_no

    @property
    def rect(self) -> PdfRect:
        """The rectangle of the first widget."""
        return self.widgets[0].rect

    @property
    def is_signature(self) -> bool:
        return self.kind is FieldKind.SIGNATURE


@dataclass(frozen=True, slots=True)
class Run:
    """A paragraph of text in one style; ``\\n`` starts a new line."""

    style: str
    text: str


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Wrapped text whose first line hangs from ``top`` (points from the page bottom)."""

    entry: str
    x: float
    top: float
    width: float
    runs: tuple[Run, ...]
    align: Align


@dataclass(frozen=True, slots=True)
class BulletsBlock:
    entry: str
    x: float
    top: float
    width: float
    style: str
    indent: float
    gap: float
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableCell:
    row: int
    col: int
    runs: tuple[Run, ...]
    align: Align


@dataclass(frozen=True, slots=True)
class TableBlock:
    """A ruled table. Rows ``< header_rows`` are header cells (shaded darker), columns
    ``< label_columns`` are label cells (shaded lighter); the rest are white value cells."""

    entry: str
    x: float
    top: float
    columns: tuple[float, ...]
    rows: tuple[float, ...]
    header_rows: int
    label_columns: int
    cells: tuple[TableCell, ...]

    @property
    def rect(self) -> PdfRect:
        return PdfRect(self.x, self.top - sum(self.rows), self.x + sum(self.columns), self.top)

    def cell_rect(self, row: int, col: int) -> PdfRect:
        x0 = self.x + sum(self.columns[:col])
        y1 = self.top - sum(self.rows[:row])
        return PdfRect(x0, y1 - self.rows[row], x0 + self.columns[col], y1)


Block = TextBlock | BulletsBlock | TableBlock


@dataclass(frozen=True, slots=True)
class Page:
    page_no: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Marks:
    """What every page carries outside the template's content: the content area all
    blocks and widgets must stay in, the corner marks for aligning scans, the zones kept
    free for QR codes, and the running header and footer. ``footer`` is a template with
    ``{form}``, ``{version}``, ``{page}`` and ``{pages}``."""

    content: PdfRect
    corner_size: float
    corner_inset: float
    qr_zones: tuple[PdfRect, ...]
    qr_size: float
    header_style: str
    header_x: float
    header_baseline: float
    header_text: str
    footer_style: str
    footer_right: float
    footer_baseline: float
    footer_text: str

    def qr_rects(self) -> tuple[PdfRect, ...]:
        """Where the QR codes are drawn: ``qr_size`` squares centred in their zones."""
        out = []
        for z in self.qr_zones:
            x = z.x0 + (z.width - self.qr_size) / 2
            y = z.y0 + (z.height - self.qr_size) / 2
            out.append(PdfRect(x, y, x + self.qr_size, y + self.qr_size))
        return tuple(out)

    def corner_rects(self, page_width: float, page_height: float) -> tuple[PdfRect, ...]:
        s, d = self.corner_size, self.corner_inset
        return (
            PdfRect(d, page_height - d - s, d + s, page_height - d),
            PdfRect(page_width - d - s, page_height - d - s, page_width - d, page_height - d),
            PdfRect(d, d, d + s, d + s),
            PdfRect(page_width - d - s, d, page_width - d, d + s),
        )


@dataclass(frozen=True, slots=True)
class ValueStyle:
    """How field values are drawn: the form's size, the legible minimum it may shrink
    to before text continues elsewhere, leading as a multiple of the size, the inner
    padding of a widget in points, and the extra space before a line that follows a typed
    line break, as a multiple of the size (``paragraph``; 0 for none)."""

    font: str
    size: float
    min_size: float
    leading: float
    padding: float
    paragraph: float = 0.0


@dataclass(frozen=True, slots=True)
class Composite:
    """A field that spreadsheets often split over several columns (an administration's
    ``Roepnaam``, ``Tussenvoegsel``, ``Achternaam`` → the pupil's name). ``parts`` lists,
    per part, the header names that may hold it; non-empty parts are joined with a space."""

    field: str
    parts: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class RecordRules:
    """Which field identifies a record (duplicates, resuming), which holds the pupil's
    name (shown on continuation pages and in the running header, never in file names by
    default), the default output file name pattern, and composite columns."""

    key: str
    person: str
    file_name: str
    composites: tuple[Composite, ...]


@dataclass(frozen=True, slots=True)
class Continuation:
    """How text that does not fit its box continues on pages added after the form:
    a heading (``{label}``), a line of details (``{section}``, ``{person}``), and the
    marker left in the box (``{page}``).

    The overflow of one form is packed (see :mod:`oppforms.continuation`): sections one
    after another in form order. A page's first section hangs from the top of the content
    area under ``heading`` (or ``heading_again`` when it goes on from the page before) and
    ``details``, its text from :attr:`FormSpec.continuation_text_top`; a section that
    follows another on the page starts ``section_gap`` below it, under ``heading`` and
    ``section_details``, its text ``head_gap`` below them. A section starts on a page only
    with room below its heading for ``keep_lines`` of its lines (or all of them, if
    fewer); every page keeps a line's room at its foot for the marker that says where a
    text goes on."""

    heading: str
    heading_style: str
    details: str
    details_style: str
    marker: str
    heading_again: str = "Vervolg van: {label} (vervolg)"
    section_details: str = "{section}"
    section_gap: float = 10.0
    head_gap: float = 4.0
    keep_lines: int = 2


@dataclass(frozen=True, slots=True)
class FormSpec:
    source: str
    form_id: str
    version: str
    title: str
    subject: str
    language: str
    page_width: float
    page_height: float
    fonts: Mapping[str, str]
    coverage: str
    styles: Mapping[str, Style]
    values: ValueStyle
    marks: Marks
    pages: tuple[Page, ...]
    fields: tuple[Field, ...]
    records: RecordRules
    continuation: Continuation

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def page_rect(self) -> PdfRect:
        return PdfRect(0.0, 0.0, self.page_width, self.page_height)

    @property
    def continuation_text_top(self) -> float:
        """Where the text of a continuation page starts (points from the page's bottom):
        below two lines of heading, two of details and a little space."""
        cont = self.continuation
        return self.marks.content.y1 - 2 * self.styles[cont.heading_style].leading - 2 * self.styles[cont.details_style].leading - 8

    def first_baseline(self, top: float, size: float, ascent: float) -> float:
        """The baseline of a value's first line set at ``size`` below ``top`` (``ascent``
        in the font's thousandths of an em)."""
        return top - size * ascent / 1000.0

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def value_fields(self) -> tuple[Field, ...]:
        """The text and date fields, in form order (the keys of a record's ``fields``)."""
        return tuple(f for f in self.fields if not f.is_signature)

    @property
    def signature_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_signature)

    def widgets_on(self, page_no: int) -> Iterator[tuple[Field, Widget]]:
        for f in self.fields:
            for w in f.widgets:
                if w.page_no == page_no:
                    yield f, w


# ---------------------------------------------------------------------------------------
# Loading


def spec_path(name: str = CURRENT_SPEC) -> Path:
    """The path of a shipped spec file."""
    return Path(str(resources.files("oppforms.forms").joinpath(name)))


def shipped_pdf_path(spec: FormSpec) -> Path:
    """The fillable PDF built from ``spec`` and shipped beside it in ``forms/``."""
    return spec_path(Path(spec.source).with_suffix(".pdf").name)


@cache
def current_spec() -> FormSpec:
    """The shipped spec of the current form version (loaded once per process)."""
    return load_spec(spec_path())


def load_spec(path: Path) -> FormSpec:
    """Load and validate a spec file; every problem raises :class:`SpecError`."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path.name}: cannot read the spec ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name}: not valid TOML ({exc})") from exc
    from ._spec_loader import Loader

    return Loader(path.name).load(raw)
