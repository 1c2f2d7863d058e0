"""``data/pdfa.pdf``: the preservation copy, PDF/A-2b, made and checked with
:mod:`pikepdf.pdfa` (which writes the file, reads it back and validates what it wrote).

- A form read from its fields or its page text (``acroform``, ``text``): the original's
  pages with every field and annotation burnt in (qpdf's flattening of their appearance
  streams), the form and its actions, JavaScript and annotations removed, its embedded
  fonts kept, an sRGB OutputIntent, no encryption.
- A scanned form: the original's pages (their images as scanned) with an invisible text
  layer (rendering mode 3) of the values read, set in the form's embedded font where the
  form's boxes are, so the archive can be searched and text copied.
- When a copy made that way does not pass (a font that is not embedded, a construct the
  checker cannot approve), the pages are rendered to images (poppler's ``pdftoppm``, 200
  dpi) and given the same invisible text layer: always PDF/A, searchable, and said so in
  the provenance (``pdfa_method``: ``flattened``, ``scan`` or ``rendered``).

The form id and version stay where PDF/A permits them: ``pdf:Keywords`` (``opp-kort;
versie 1``, as oppforms stamps every form), ``dc:source`` (``opp-kort versie 1``) and
``dc:identifier`` (the document id). The oppforms XMP properties of the original are
dropped (PDF/A forbids undeclared schemas); the original keeps them.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, MissingDependencyError
from ..spec import FormSpec

FLAVOUR = "2b"
RENDER_DPI = 200
#: The size of the invisible text, in points, and the drop from line to line.
TEXT_SIZE = 8.0
TEXT_PITCH = 9.6


@dataclass(frozen=True, slots=True)
class PdfaCopy:
    data: bytes
    method: str  # "flattened", "scan" or "rendered"
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PdfaCheck:
    """The verdict of :mod:`pikepdf.pdfa` on a file: ``passed`` and the findings (rule,
    where, what) when it did not pass."""

    passed: bool
    verdict: str
    findings: tuple[str, ...]


def _pdfa() -> Any:
    try:
        import pikepdf.pdfa as pdfa
    except ImportError as exc:
        raise MissingDependencyError(
            "making the PDF/A copy needs pikepdf 10.18 or newer with its PDF/A extras: pip install 'pikepdf[pdfa]>=10.18'"
        ) from exc
    return pdfa


def check_pdfa(source: Path | bytes) -> PdfaCheck:
    """Check a file against PDF/A-2b with pikepdf's allowlist validator (approves only
    what it knows to conform; a finding may be a false alarm, an approval should not)."""
    pdfa = _pdfa()
    stream: Any = io.BytesIO(source) if isinstance(source, bytes) else Path(source)
    report = pdfa.validate_written(stream, FLAVOUR)
    return PdfaCheck(report.passed, str(report.verdict), tuple(str(f) for f in report.findings))


def make_pdfa(
    original: bytes, *, method: str, spec: FormSpec, fields: Mapping[str, str], document: str,
    form_version: str, passwords: Sequence[str] = (), page_numbers: Sequence[int] = (),
) -> PdfaCopy:
    """The PDF/A-2b copy of ``original``. ``fields`` are the record's values (the text
    layer of scans); ``page_numbers`` the form's page number of each page of the original
    (1, 2, … when empty). Raises :class:`InputError` when not even the rendered copy
    passes."""
    pdfa = _pdfa()
    notes: list[str] = []
    first = "scan" if method == "scan" else "flattened"
    try:
        pdf = _open(original, passwords)
    except InputError:
        raise
    try:
        if first == "flattened":
            _flatten(pdf)
        else:
            _text_layer(pdf, spec, fields, page_numbers)
        _metadata(pdf, spec, document, form_version)
        return PdfaCopy(_save(pdfa, pdf), first, tuple(notes))
    except pdfa.PdfaError as exc:
        rules = sorted({f.rule for f in exc.report.findings})[:5]
        notes.append(f"the {first} copy did not pass PDF/A-2b ({', '.join(rules)}); the pages were rendered instead")
    finally:
        pdf.close()
    rendered = _rendered(original, passwords)
    try:
        _text_layer(rendered, spec, fields, page_numbers)
        _metadata(rendered, spec, document, form_version)
        try:
            return PdfaCopy(_save(pdfa, rendered), "rendered", tuple(notes))
        except pdfa.PdfaError as exc:
            raise InputError("the PDF/A copy could not be made: " + "; ".join(str(f) for f in exc.report.findings[:3])) from exc
    finally:
        rendered.close()


def _open(data: bytes, passwords: Sequence[str]) -> Any:
    import pikepdf

    for pw in ("", *passwords):
        try:
            return pikepdf.open(io.BytesIO(data), password=pw)
        except pikepdf.PasswordError:
            continue
        except pikepdf.PdfError as exc:
            raise InputError("the original is not a readable PDF") from exc
    raise InputError("the original is encrypted, and no password given opens it")


def _save(pdfa: Any, pdf: Any) -> bytes:
    buf = io.BytesIO()
    pdfa.save(pdf, buf, FLAVOUR, deterministic_id=False)
    return buf.getvalue()


def _flatten(pdf: Any) -> None:
    """Burn every field and annotation with an appearance into its page; remove the form,
    the rest of the annotations and every action."""
    pdf.flatten_annotations(mode="all")
    root = pdf.Root
    for key in ("/AcroForm", "/OpenAction", "/AA", "/Perms"):
        if key in root:
            del root[key]
    if "/Names" in root:
        for key in ("/JavaScript", "/EmbeddedFiles"):
            if key in root.Names:
                del root.Names[key]
    for page in pdf.pages:
        for key in ("/Annots", "/AA"):
            if key in page.obj:
                del page.obj[key]


def _metadata(pdf: Any, spec: FormSpec, document: str, form_version: str) -> None:
    keywords = f"{spec.form_id}; versie {form_version}"
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdf:Keywords"] = keywords
        meta["dc:source"] = f"{spec.form_id} versie {form_version}"
        if document:
            meta["dc:identifier"] = document
        if "dc:title" not in meta:
            meta["dc:title"] = spec.title


# ---------------------------------------------------------------------------------------
# The invisible text layer of a scanned (or rendered) form


def _text_layer(pdf: Any, spec: FormSpec, fields: Mapping[str, str], page_numbers: Sequence[int]) -> None:
    import pikepdf

    from ..fonts import FontMetrics, font_file_bytes, subset_font, subset_tag, to_unicode_cmap, widths_array

    filename = spec.fonts.get("regular") or next(iter(spec.fonts.values()))
    full = FontMetrics.shipped(filename)
    by_page: dict[int, list[tuple[Any, str]]] = {}
    for f in spec.value_fields:
        value = fields.get(f.name, "")
        if not value or not f.widgets:
            continue
        w = f.widgets[0]
        text = "".join(ch for ch in value if ch == "\n" or full.can_draw(ch))
        if text.strip():
            by_page.setdefault(w.page_no, []).append((w.rect, text))
    chars = {ch for items in by_page.values() for _, t in items for ch in t if ch != "\n"} | {" "}
    data = subset_font(font_file_bytes(filename), chars)
    metrics = FontMetrics(data)
    base = f"{subset_tag(chars, filename)}+{metrics.postscript_name}"
    d = metrics.descriptor
    font_file = pikepdf.Stream(pdf, data)
    font_file.Length1 = len(data)
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/" + base), Flags=d.flags,
        FontBBox=pikepdf.Array(list(d.bbox)), ItalicAngle=d.italic_angle, Ascent=d.ascent, Descent=d.descent,
        CapHeight=d.cap_height, StemV=d.stem_v, FontFile2=font_file,
    )
    widths = pikepdf.Array([pikepdf.Array(x) if isinstance(x, list) else x for x in widths_array(metrics.gid_width)])
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2, BaseFont=pikepdf.Name("/" + base),
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor), DW=1000, W=widths, CIDToGIDMap=pikepdf.Name.Identity,
    )
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name("/" + base),
        Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=pikepdf.Array([pdf.make_indirect(cid_font)]),
        ToUnicode=pikepdf.Stream(pdf, to_unicode_cmap(metrics.char_to_gid)),
    ))
    numbers = list(page_numbers) or list(range(1, len(pdf.pages) + 1))
    for index, page in enumerate(pdf.pages):
        page_no = numbers[index] if index < len(numbers) else index + 1
        items = by_page.get(page_no)
        if not items:
            continue
        box = [float(v) for v in page.mediabox]
        sx = (box[2] - box[0]) / spec.page_width
        sy = (box[3] - box[1]) / spec.page_height
        ops = ["q", f"{sx:.5f} 0 0 {sy:.5f} {box[0]:.3f} {box[1]:.3f} cm", "BT", "3 Tr", f"/OppText {TEXT_SIZE:g} Tf"]
        for rect, text in items:
            y = rect.y1 - TEXT_SIZE
            for line in text.split("\n"):
                if line:
                    width = metrics.width(line, TEXT_SIZE)
                    scale = min(100.0, 100.0 * max(rect.width - 4, 10) / width) if width else 100.0
                    ops.append(f"{scale:.2f} Tz 1 0 0 1 {rect.x0 + 2:.2f} {y:.2f} Tm <{metrics.encode(line).hex()}> Tj")
                y -= TEXT_PITCH
        ops += ["ET", "Q"]
        resources = page.obj.get("/Resources")
        if resources is None:
            page.obj.Resources = resources = pikepdf.Dictionary()
        if "/Font" not in resources:
            resources.Font = pikepdf.Dictionary()
        resources.Font.OppText = font
        page.contents_add(pikepdf.Stream(pdf, " ".join(ops).encode("ascii")), prepend=False)


# ---------------------------------------------------------------------------------------
# The rendered fallback


def _rendered(original: bytes, passwords: Sequence[str]) -> Any:
    """A new PDF whose pages are the original's pages rendered at RENDER_DPI (JPEG)."""
    import pikepdf

    from .originals import image_page

    program = shutil.which("pdftoppm")
    if program is None:
        raise MissingDependencyError("rendering pages for the PDF/A copy needs poppler's pdftoppm: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory(prefix="oppforms-pdfa-") as tmp:
        src = Path(tmp) / "in.pdf"
        with _open(original, passwords) as pdf:
            pdf.save(src)  # decrypted, for the renderer
        cmd = [program, "-r", str(RENDER_DPI), "-jpeg", "-jpegopt", "quality=90", str(src), str(Path(tmp) / "p")]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        except (subprocess.SubprocessError, OSError) as exc:
            raise InputError("the original's pages could not be rendered for the PDF/A copy") from exc
        out = pikepdf.new()
        for jpg in sorted(Path(tmp).glob("p-*.jpg"), key=lambda p: int(p.stem.split("-")[-1])):
            out.pages.append(image_page(out, jpg, 0, dpi=RENDER_DPI))
        buf = io.BytesIO()
        out.save(buf)
    return pikepdf.open(io.BytesIO(buf.getvalue()))
