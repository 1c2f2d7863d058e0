"""``data/original.pdf``: what came back, as it came back.

- A form read from one PDF, all of whose pages it is (a form filled in a viewer, printed
  to PDF, or one scanned document per file): that file, bit for bit.
- Otherwise (a copier stack of many forms, or a form whose pages came in several files):
  the form's own pages, in form order, taken out of their files without re-encoding —
  PDF pages are copied with qpdf (pikepdf), their image streams untouched; a JPEG photo
  becomes a page holding its JPEG bytes unchanged; PNG and TIFF frames are stored
  losslessly (Flate), pixel for pixel.

Where the pages came from is the record's ``pages`` list (contract §4) when it has one;
for a scan without it, the pages of the scanner file are identified by their QR page codes
(through :mod:`oppforms.scan`), once per file.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._io import shown_name
from ..errors import InputError, MissingDependencyError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})


@dataclass(frozen=True, slots=True)
class PageFrom:
    """One page of a form: the form's page (1-based), its file and the page (or image
    frame) within that file (1-based)."""

    page: int
    source: str
    source_page: int


@dataclass(frozen=True, slots=True)
class Original:
    """The bytes of ``original.pdf``, whether they are a source file bit for bit, and the
    pages they hold."""

    data: bytes
    whole_file: bool
    pages: tuple[PageFrom, ...]
    sources: tuple[str, ...]


@dataclass(slots=True)
class ScanIndex:
    """Page codes found per scanner file (filled once per file in one ``add`` run):
    path → document id (without dash) → [(page_no, source_page)]."""

    files: dict[str, dict[str, list[tuple[int, int]]]] = field(default_factory=dict)
    #: for encrypted scanner files (tried as extract tries them)
    passwords: tuple[str, ...] = ()

    def pages_of(self, path: Path, document: str, form_id: str) -> list[tuple[int, int]]:
        key = str(path)
        if key not in self.files:
            self.files[key] = _identify(path, form_id, self.passwords)
        return sorted(self.files[key].get(document.replace("-", "").upper(), []))


def _identify(path: Path, form_id: str, passwords: Sequence[str] = ()) -> dict[str, list[tuple[int, int]]]:
    try:
        from ..scan.images import list_pages, load_page
        from ..scan.locate import find_codes
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise MissingDependencyError("taking a scanned form's pages out of its file needs OpenCV and zxing-cpp: "
                                     "pip install opencv-python-headless zxing-cpp") from exc
    out: dict[str, list[tuple[int, int]]] = {}
    for ref in list_pages(path, passwords):
        try:
            codes = find_codes(load_page(ref), form_id)
        except InputError:
            continue
        docs = {h.code.document.replace("-", "").upper(): h.code.page_no for h in codes.hits if h.code.document}
        for doc, page_no in docs.items():
            out.setdefault(doc, []).append((page_no, ref.page_index + 1))
    return out


def page_origins(record: Any) -> tuple[PageFrom, ...]:
    """The record's ``pages`` (a :class:`~oppforms.records.Record` or its JSON), or ()."""
    pages = record.get("pages") if isinstance(record, dict) else getattr(record, "pages", ())
    out = []
    for p in pages or ():
        if isinstance(p, dict):
            out.append(PageFrom(int(p["page"]), str(p["source"]), int(p["source_page"])))
        else:
            out.append(PageFrom(int(p.page), str(p.source), int(p.source_page)))
    return tuple(out)


#: The files of names that are not the files' own: a name whose bytes are not UTF-8 is shown
#: in records with U+FFFD (:func:`oppforms._io.shown_name`), so the record's name no longer
#: opens its file. Name as shown → the file, or None when several files show as that name.
Located = Mapping[str, Path | None]


def source_file(name: str, paths: Located | None = None) -> Path:
    """The file a record's source name stands for (see :data:`Located`)."""
    if paths and name in paths:
        path = paths[name]
        if path is None:
            raise InputError(f"{Path(name).name}: more than one file has this name as it is shown (bytes of the "
                             "names that are not UTF-8 are shown as \ufffd): rename them")
        return path
    return Path(name)


def locate_inputs(paths: Sequence[Path]) -> dict[str, Path | None]:
    """:data:`Located` for input files whose names are not UTF-8 (none for the others)."""
    out: dict[str, Path | None] = {}
    own = {str(path) for path in paths}  # a file may bear the shown name as its own
    for path in paths:
        shown = shown_name(path)
        if shown != str(path):
            out[shown] = None if shown in own or (shown in out and out[shown] != path) else path
    return out


def build_original(
    record: Any, *, method: str, source: str, document: str, form_id: str,
    passwords: Sequence[str] = (), scans: ScanIndex | None = None, paths: Located | None = None,
) -> Original:
    """The original of one record (see the module's docstring). ``source`` is the record's
    source file; ``passwords`` open encrypted PDFs whose pages must be copied; ``paths``
    finds the files of names that are not their own (:data:`Located`)."""
    pages = page_origins(record)
    if not pages and method == "scan" and document and Path(source).suffix.lower() != "" :
        found = (scans or ScanIndex(passwords=tuple(passwords))).pages_of(source_file(source, paths), document, form_id)
        pages = tuple(PageFrom(page_no, source, sp) for page_no, sp in found)
    if not pages:
        return Original(_read(source_file(source, paths)), True, (), (source,))
    sources = tuple(dict.fromkeys(p.source for p in pages))
    if len(sources) == 1 and Path(source).suffix.lower() == ".pdf" and Path(sources[0]) == Path(source):
        src = source_file(source, paths)
        count = _pdf_page_count(src, passwords)
        if [p.source_page for p in pages] == list(range(1, count + 1)):
            return Original(_read(src), True, pages, sources)
    if len(sources) == 1 and len(pages) == 1 and Path(sources[0]).suffix.lower() == ".pdf":
        only = source_file(sources[0], paths)
        if _pdf_page_count(only, passwords) == 1:
            return Original(_read(only), True, pages, sources)
    return Original(_assemble(pages, passwords, paths), False, pages, sources)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{shown_name(path.name)}: cannot be read ({exc.strerror})") from exc


def _open_pdf(path: Path, passwords: Sequence[str]) -> Any:
    import pikepdf

    name = shown_name(path.name)
    # pikepdf cannot pass a name that is not UTF-8 on to qpdf: such a file is read from memory
    data = None if name == path.name else _read(path)
    for pw in ("", *passwords):
        try:
            return pikepdf.open(path if data is None else io.BytesIO(data), password=pw)
        except pikepdf.PasswordError:
            continue
        except (pikepdf.PdfError, OSError) as exc:
            raise InputError(f"{name}: not a readable PDF") from exc
    raise InputError(f"{name}: encrypted, and no password given opens it")


def _pdf_page_count(path: Path, passwords: Sequence[str]) -> int:
    with _open_pdf(path, passwords) as pdf:
        return len(pdf.pages)


def _assemble(pages: Sequence[PageFrom], passwords: Sequence[str], paths: Located | None = None) -> bytes:
    import pikepdf

    out = pikepdf.new()
    opened: dict[str, Any] = {}
    try:
        for p in pages:
            path = source_file(p.source, paths)
            if path.suffix.lower() in IMAGE_SUFFIXES:
                out.pages.append(image_page(out, path, p.source_page - 1))
                continue
            pdf = opened.get(p.source)
            if pdf is None:
                pdf = opened[p.source] = _open_pdf(path, passwords)
            if not 1 <= p.source_page <= len(pdf.pages):
                raise InputError(f"{Path(p.source).name}: has no page {p.source_page}")
            if hasattr(out, "add_pages_from"):  # pikepdf >= 10.18: carries the page's form fields along
                out.add_pages_from(pdf, [p.source_page - 1])
            else:  # pragma: no cover - older pikepdf
                out.pages.append(pdf.pages[p.source_page - 1])
        buf = io.BytesIO()
        out.save(buf, deterministic_id=True)
        return buf.getvalue()
    finally:
        for pdf in opened.values():
            pdf.close()


def image_page(pdf: Any, path: Path, frame: int, *, dpi: float | None = None) -> Any:
    """A page holding one image file's frame at its own resolution (``dpi`` when given;
    300 dpi when the file names none or an implausible one). A JPEG keeps its bytes
    (DCTDecode); other images are stored losslessly (Flate)."""
    import pikepdf
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as opened:
            im: Any = ImageSequence.Iterator(opened)[frame] if frame else opened
            found = (dpi, dpi) if dpi else (im.info.get("dpi") or (300, 300))
            xdpi, ydpi = (float(found[0]) or 300.0, float(found[1]) or 300.0)
            if xdpi < 50 or ydpi < 50:
                xdpi = ydpi = 300.0
            w, h = im.size
            if im.format == "JPEG" and im.mode in {"L", "RGB", "CMYK"}:
                data = path.read_bytes()
                image = pikepdf.Stream(pdf, data)
                image.Filter = pikepdf.Name.DCTDecode
                mode = im.mode
                if mode == "CMYK":
                    image.Decode = pikepdf.Array([1, 0, 1, 0, 1, 0, 1, 0])  # Adobe's inverted CMYK JPEGs
            else:
                if im.mode not in {"1", "L", "RGB"}:
                    im = im.convert("RGB")
                mode = im.mode
                raw = im.tobytes() if mode != "1" else im.convert("L").point(lambda v: 255 if v else 0).tobytes()
                if mode == "1":
                    mode = "L"
                import zlib

                image = pikepdf.Stream(pdf, zlib.compress(raw, 6))
                image.Filter = pikepdf.Name.FlateDecode
    except OSError as exc:
        raise InputError(f"{shown_name(path.name)}: not a readable image") from exc
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width, image.Height = w, h
    image.BitsPerComponent = 8
    image.ColorSpace = {"L": pikepdf.Name.DeviceGray, "RGB": pikepdf.Name.DeviceRGB, "CMYK": pikepdf.Name.DeviceCMYK}[mode]
    pw, ph = w * 72.0 / xdpi, h * 72.0 / ydpi
    content = f"q {pw:.3f} 0 0 {ph:.3f} 0 0 cm /Im0 Do Q".encode("ascii")
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, round(pw, 3), round(ph, 3)]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=pikepdf.Stream(pdf, content),
    )
    return pikepdf.Page(pdf.make_indirect(page))
