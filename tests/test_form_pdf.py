"""The fillable PDF built from the spec: fields, text, fonts, metadata, drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from oppforms.build import INFO_FORM_ID, INFO_FORM_VERSION
from oppforms.spec import FieldKind, FormSpec

from .conftest import DATA, SHARED
from .pdftext import reading_order_text

# The contract's field dictionary (opp-kort-contract.md §2), written out on purpose: the
# spec must produce exactly these names and kinds.
WHO_ACTIES = ("leerling", "school", "opvoeders", "extern")
KOLOMMEN = ("acties", "uitleg", "nodig", "frequentie")
WHO_AKKOORD = ("leerling", "opvoeders", "zorgcoordinator")
MOMENTEN = ("start", "tussen", "eind")
CONTRACT_TEXT = [
    "leerling.naam", "leerling.nummer", "leerling.klas", "schooljaar", "begeleiding.mentor",
    "begeleiding.zorgcoordinator",
]
CONTRACT_MULTILINE = [
    "hulpvraag.leerling", "hulpvraag.school", "doelen.leerling", "doelen.school",
    *(f"acties.{w}.{k}" for w in WHO_ACTIES for k in KOLOMMEN),
    "wijzer.informatie", "wijzer.suggestie.1", "wijzer.suggestie.2", "wijzer.suggestie.3",
]
CONTRACT_DATES = [f"akkoord.{w}.{m}.datum" for w in WHO_AKKOORD for m in MOMENTEN]
CONTRACT_SIGNATURES = [f"akkoord.{w}.{m}.handtekening" for w in WHO_AKKOORD for m in MOMENTEN]

FF_MULTILINE = 1 << 12


def terminal_fields(reader: PdfReader) -> dict[str, DictionaryObject]:
    """Fully qualified name → terminal field dictionary, walking the field tree."""
    out: dict[str, DictionaryObject] = {}

    def walk(ref: IndirectObject, prefix: str) -> None:
        node = ref.get_object()
        name = prefix + ("." if prefix and "/T" in node else "") + str(node.get("/T", ""))
        kids = node.get("/Kids", [])
        if "/FT" in node:
            out[name] = node
        else:
            for kid in kids:
                walk(kid, name)

    for ref in reader.trailer["/Root"]["/AcroForm"]["/Fields"]:
        walk(ref, "")
    return out


def widgets_of(field: DictionaryObject) -> list[DictionaryObject]:
    if "/Kids" in field:
        return [k.get_object() for k in field["/Kids"]]
    return [field]


def test_the_form_has_exactly_the_contracts_fields_with_their_kinds(built_pdf: Path) -> None:
    fields = terminal_fields(PdfReader(built_pdf))
    assert len(fields) == 48
    assert sorted(fields) == sorted(CONTRACT_TEXT + CONTRACT_MULTILINE + CONTRACT_DATES + CONTRACT_SIGNATURES)
    for name in CONTRACT_TEXT + CONTRACT_DATES:
        assert fields[name]["/FT"] == "/Tx" and not int(fields[name]["/Ff"]) & FF_MULTILINE, name
    for name in CONTRACT_MULTILINE:
        assert fields[name]["/FT"] == "/Tx" and int(fields[name]["/Ff"]) & FF_MULTILINE, name
    for name in CONTRACT_SIGNATURES:
        assert fields[name]["/FT"] == "/Sig", name


def test_pypdf_sees_the_same_fully_qualified_names(built_pdf: Path) -> None:
    names = {k for k, v in PdfReader(built_pdf).get_fields().items() if "/FT" in v}
    assert names == set(CONTRACT_TEXT + CONTRACT_MULTILINE + CONTRACT_DATES + CONTRACT_SIGNATURES)


def test_the_pupils_name_is_one_field_with_a_widget_on_page_1_and_in_the_bijlage(
    built_pdf: Path, spec: FormSpec
) -> None:
    reader = PdfReader(built_pdf)
    naam = terminal_fields(reader)["leerling.naam"]
    pages = [reader.get_page_number(w["/P"].get_object()) + 1 for w in widgets_of(naam)]
    assert pages == [1, 4]
    assert spec.field("leerling.naam").widgets[1].page_no == 4


def test_every_widget_has_an_appearance_a_tooltip_and_sits_where_the_spec_says(
    built_pdf: Path, spec: FormSpec
) -> None:
    reader = PdfReader(built_pdf)
    fields = terminal_fields(reader)
    for f in spec.fields:
        node = fields[f.name]
        assert node["/TU"] == f.label
        for widget, w in zip(widgets_of(node), f.widgets, strict=True):
            assert "/N" in widget["/AP"]
            assert [round(float(v), 2) for v in widget["/Rect"]] == [round(v, 2) for v in w.rect.as_list()]
            assert int(widget["/F"]) & 4, "widgets must print"


def test_widgets_are_listed_on_each_page_in_reading_order(built_pdf: Path, spec: FormSpec) -> None:
    reader = PdfReader(built_pdf)
    for page_no, page in enumerate(reader.pages, 1):
        rects = [[round(float(v), 2) for v in a.get_object()["/Rect"]] for a in page.get("/Annots", [])]
        expected = [[round(v, 2) for v in w.rect.as_list()] for _, w in spec.widgets_on(page_no)]
        assert rects == expected


def test_dates_hint_their_format_and_signature_boxes_are_big_enough_to_sign(spec: FormSpec) -> None:
    for f in spec.fields:
        if f.kind is FieldKind.DATE:
            assert "dd-mm-jjjj" in f.label
        if f.kind is FieldKind.SIGNATURE:
            assert f.rect.width >= 100 and f.rect.height >= 60  # about 35 x 21 mm


def test_the_form_has_no_javascript_actions_or_need_appearances(built_pdf: Path) -> None:
    raw = built_pdf.read_bytes()
    reader = PdfReader(built_pdf)
    root = reader.trailer["/Root"]
    assert "/NeedAppearances" not in root["/AcroForm"]
    assert "/OpenAction" not in root and "/AA" not in root and "/Names" not in root
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            assert "/A" not in annot.get_object() and "/AA" not in annot.get_object()
    assert b"/JavaScript" not in raw and b"/JS" not in raw


def test_every_font_is_embedded_with_a_tounicode_map_and_no_base14_font_is_used(built_pdf: Path) -> None:
    reader = PdfReader(built_pdf)
    fonts: dict[str, DictionaryObject] = {}
    for page in reader.pages:
        for name, ref in page["/Resources"]["/Font"].items():
            fonts[name] = ref.get_object()
    for name, ref in reader.trailer["/Root"]["/AcroForm"]["/DR"]["/Font"].items():
        fonts["DR" + name] = ref.get_object()
    assert fonts
    for font in fonts.values():
        assert font["/Subtype"] == "/Type0" and font["/Encoding"] == "/Identity-H"
        assert "/ToUnicode" in font
        descendant = font["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"]
        assert re.fullmatch(r"/[A-Z]{6}\+Carlito.*", str(font["/BaseFont"]))


def test_the_document_says_what_it_is(built_pdf: Path, spec: FormSpec) -> None:
    reader = PdfReader(built_pdf)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "nl-NL"
    assert reader.metadata is not None
    assert reader.metadata["/Title"] == spec.title
    assert reader.metadata[INFO_FORM_ID] == "opp-kort"
    assert reader.metadata[INFO_FORM_VERSION] == spec.version
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<oppforms:form>opp-kort</oppforms:form>" in xmp and "nl-NL" in xmp
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]


def test_pages_are_a4_and_every_page_has_its_footer(built_pdf: Path, spec: FormSpec) -> None:
    reader = PdfReader(built_pdf)
    texts = reading_order_text(built_pdf)
    assert len(reader.pages) == spec.page_count == 5
    for n, (page, text) in enumerate(zip(reader.pages, texts, strict=True), 1):
        assert [round(float(v)) for v in page.mediabox] == [0, 0, 595, 842]
        assert f"opp-kort · versie {spec.version} · pagina {n} van {spec.page_count}" in text


def seed_lines() -> list[str]:
    lines = (DATA / "opp-kort-seed.txt").read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        text = " ".join(line.replace("•", " ").split())
        if text:
            out.append(text)
    return out


def test_the_vendored_seed_is_the_teams_seed() -> None:
    shared = SHARED / "seed" / "000_09d5918a5c303666.txt"
    if not shared.exists():
        pytest.skip("../shared/seed is not beside this checkout")
    assert shared.read_bytes() == (DATA / "opp-kort-seed.txt").read_bytes()


def test_every_line_of_the_template_is_on_the_form_in_the_templates_order(built_pdf: Path) -> None:
    text = " ".join(reading_order_text(built_pdf)).replace("•", " ")
    text = " ".join(text.split())
    pos = 0
    for line in seed_lines():
        found = text.find(line, pos)
        assert found >= 0, f"seed line missing or out of order: {line!r}"
        pos = found + len(line)


def test_the_shipped_pdf_matches_the_spec(built_pdf: Path, shipped_pdf: Path) -> None:
    """Compare fields and text, not bytes: `oppforms build-form` regenerates it."""
    fresh, shipped = PdfReader(built_pdf), PdfReader(shipped_pdf)
    fa, fb = terminal_fields(fresh), terminal_fields(shipped)
    assert sorted(fa) == sorted(fb), "run `oppforms build-form` to rebuild forms/"
    for name in fa:
        for key in ("/FT", "/Ff", "/TU", "/DA"):
            assert fa[name].get(key) == fb[name].get(key), (name, key)
        ra = [[round(float(v), 2) for v in w["/Rect"]] for w in widgets_of(fa[name])]
        rb = [[round(float(v), 2) for v in w["/Rect"]] for w in widgets_of(fb[name])]
        assert ra == rb, f"{name}: run `oppforms build-form` to rebuild forms/"
    assert reading_order_text(built_pdf) == reading_order_text(shipped_pdf)
    assert fresh.metadata == shipped.metadata


def test_typed_dutch_turkish_and_polish_letters_have_glyphs_in_the_field_font(
    built_pdf: Path, spec: FormSpec
) -> None:
    from fontTools.ttLib import TTFont
    import io

    reader = PdfReader(built_pdf)
    da = str(reader.trailer["/Root"]["/AcroForm"]["/DA"])
    resource = da.split()[0]
    font = reader.trailer["/Root"]["/AcroForm"]["/DR"]["/Font"][resource].get_object()
    data = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]["/FontFile2"].get_object().get_data()
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    for ch in "ZoëAnaïsNoëlIJsbrandÇelikÖzdemirŞahinYıldızİlaydaŁukaszśćźżąęń„”‘’–—€":
        assert ord(ch) in cmap, ch
