"""Filling: exact values, every word visible, long text continued and never cut."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from oppforms.errors import RecordError
from oppforms.fill import Template, display_value, fit_text
from oppforms.spec import FormSpec
from oppforms.values import coerce_record

from .conftest import ROOT

SAMPLES = json.loads((ROOT / "samples" / "opp-leerlingen.json").read_text(encoding="utf-8"))
DUTCH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?()-/'\"€%&ëïéèöüçÇÖÜşŞıİğĞłŁśŚąęńźżćó„”‘’–—"


def fill(values: dict[str, str], **kw: object) -> bytes:
    spec = Template.for_spec().spec
    return Template.for_spec().fill(coerce_record(values, spec, row=1, source="test"), **kw).data  # type: ignore[arg-type]


def field_values(data: bytes) -> dict[str, str]:
    fields = PdfReader(io.BytesIO(data)).get_fields() or {}
    return {k: str(v.get("/V", "")) for k, v in fields.items() if "/FT" in v}


def page_words(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [" ".join((p.extract_text() or "").split()) for p in pdf.pages]


@pytest.mark.parametrize("record", SAMPLES, ids=[r["leerling.nummer"] for r in SAMPLES])
def test_every_sample_value_is_kept_exactly_in_the_field(record: dict[str, str], spec: FormSpec) -> None:
    got = field_values(fill(record))
    for f in spec.value_fields:
        assert got[f.name] == display_value(f, record[f.name]), f.name


@pytest.mark.parametrize("record", SAMPLES, ids=[r["leerling.nummer"] for r in SAMPLES])
def test_every_word_of_every_value_is_visible_on_the_flattened_pages(record: dict[str, str], spec: FormSpec) -> None:
    data = fill(record, flatten=True)
    assert not PdfReader(io.BytesIO(data)).get_fields()
    words = set(" ".join(page_words(data)).split())
    for f in spec.value_fields:
        for word in display_value(f, record[f.name]).split():
            assert word in words, (f.name, word)


def test_a_4000_character_goal_continues_on_a_marked_page_and_stays_whole_in_the_field(spec: FormSpec) -> None:
    record = dict(SAMPLES[0])
    sentence = "Aan het eind van periode 2 leest Zoë zelfstandig een tekst van drie pagina's en vat die samen. "
    record["doelen.school"] = (sentence * 45)[:4000].strip()
    result = Template.for_spec().fill(coerce_record(record, spec, row=1, source="test"), flatten=True)
    assert "doelen.school" in result.continued
    assert result.page_count > spec.page_count
    pages = page_words(result.data)
    box_page = spec.field("doelen.school").page_no
    marker = re.search(r"» vervolg op pagina (\d+)", pages[box_page - 1])
    assert marker, "the box must say where the text continues"
    continuation = pages[int(marker.group(1)) - 1]
    assert continuation.startswith("OPP korte versie")
    assert "Vervolg van: Begeleidingsdoelen – vanuit school, opvoeders, externe instanties" in continuation
    assert record["leerling.naam"] in continuation and "2. Begeleidingsdoelen" in continuation
    n = result.page_count
    assert f"pagina {n} van {n}" in pages[-1] and f"pagina 1 van {n}" in pages[0]
    # nothing lost: the words of the goal, in order, across the box and the continuation
    shown = " ".join(pages[box_page - 1:]).split()
    expected = record["doelen.school"].split()
    it = iter(shown)
    assert all(any(w == s for s in it) for w in expected)
    unflat = Template.for_spec().fill(coerce_record(record, spec, row=1, source="test"))
    assert field_values(unflat.data)["doelen.school"] == record["doelen.school"]


def test_text_shrinks_before_it_continues_and_never_below_8_pt(spec: FormSpec) -> None:
    metrics = Template.for_spec().value_metrics
    f = spec.field("hulpvraag.leerling")
    w, h = f.rect.width - 6, f.rect.height - 6
    text = "Zoë leest langzaam en maakt spelfouten. " * 20
    fitted = fit_text(text, metrics, width=w, height=h, size=10, min_size=8, leading=1.18, multiline=True)
    assert 8 <= fitted.size < 10 and fitted.rest == ""
    huge = fit_text(text * 4, metrics, width=w, height=h, size=10, min_size=8, leading=1.18, multiline=True)
    assert huge.size == 8 and huge.rest
    shown = " ".join(huge.lines).split() + huge.rest.split()
    assert shown == (text * 4).split()


def test_a_one_line_value_too_long_for_its_box_is_refused_naming_the_field(spec: FormSpec) -> None:
    values = coerce_record({"leerling.naam": "Kwakernaak " * 15}, spec, row=7, source="test")
    with pytest.raises(RecordError) as err:
        Template.for_spec().fill(values, row=7)
    assert err.value.field == "leerling.naam" and err.value.row == 7
    assert "Kwakernaak" not in str(err.value)


def test_dates_are_shown_and_stored_as_day_month_year(spec: FormSpec) -> None:
    data = fill({"akkoord.leerling.start.datum": "7-9-2026"})
    assert field_values(data)["akkoord.leerling.start.datum"] == "07-09-2026"
    assert "07-09-2026" in page_words(fill({"akkoord.leerling.start.datum": "7-9-2026"}, flatten=True))[2]


def test_the_pupils_name_is_in_both_widgets_and_in_every_page_header(spec: FormSpec) -> None:
    data = fill({"leerling.naam": "İlayda Yıldız", "leerling.nummer": "004512"}, doc_id="ABCD-EFGH", flatten=True)
    pages = page_words(data)
    assert all(p.startswith("OPP korte versie · İlayda Yıldız") for p in pages)
    assert all("document ABCD-EFGH" in p for p in pages)
    assert pages[0].count("İlayda Yıldız") == 2 and pages[3].count("İlayda Yıldız") == 2


def test_poppler_draws_the_values_from_our_appearance_streams(tmp_path: Path) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    path = tmp_path / "f.pdf"
    path.write_bytes(fill({"leerling.naam": "Łukasz Wiśniewski", "hulpvraag.leerling": "Şahin „leest” – graag"}))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Łukasz Wiśniewski" in text and "Şahin „leest” – graag" in text


def test_a_filled_form_is_an_incremental_update_of_the_template() -> None:
    template = Template.for_spec()
    data = fill({"leerling.naam": "Noël"})
    assert data.startswith(template.pdf)
    assert data.count(b"%%EOF") == 2


multiline_text = st.text(alphabet=DUTCH + "\n", min_size=1, max_size=600).map(lambda s: s.strip())
one_line_text = st.text(alphabet=DUTCH, min_size=1, max_size=40).map(lambda s: s.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(naam=one_line_text, doel=multiline_text, actie=multiline_text, info=multiline_text)
def test_any_dutch_turkish_or_polish_text_round_trips_exactly(naam: str, doel: str, actie: str, info: str) -> None:
    spec = Template.for_spec().spec
    record = {"leerling.naam": naam, "doelen.leerling": doel, "acties.extern.nodig": actie, "wijzer.informatie": info}
    values = coerce_record(record, spec, row=1, source="test")
    got = field_values(Template.for_spec().fill(values).data)
    for name, value in values.items():
        assert got[name] == value, name


def test_a_line_after_a_typed_break_is_set_a_paragraph_gap_lower(spec: FormSpec) -> None:
    from oppforms.typeset import line_offsets, text_height, typed_breaks, wrap

    metrics = Template.for_spec().value_metrics
    lines = wrap("Eerste regel.\nTweede regel\n\nNa een lege regel", metrics, 10, 200)
    assert [(ln.text, ln.para) for ln in lines] == [
        ("Eerste regel.", False),
        ("Tweede regel", True),
        ("", True),
        ("Na een lege regel", True),
    ]
    paras = [ln.para for ln in lines]
    assert line_offsets(paras, 12, 4) == [0, 16, 32, 48]
    assert text_height(paras, 12, 4) == 4 * 12 + 3 * 4
    # the reader's inverse: a pitch is a wrap, a pitch and a gap per typed break
    assert [typed_breaks(d, 12, 4) for d in (12, 16, 32, 48)] == [0, 1, 2, 3]
    # another program's layout sets no gap: an empty line is a pitch of its own
    assert [typed_breaks(d, 12, 0) for d in (12, 24, 36)] == [0, 2, 3]


def test_the_gaps_count_when_a_text_is_fitted_and_an_empty_line_never_ends_a_box(spec: FormSpec) -> None:
    metrics = Template.for_spec().value_metrics
    pitch, gap = 10 * 1.18, 10 * 0.4
    text = "een\ntwee\ndrie\n\nvier"
    # room for four lines without gaps, but the breaks need their gaps too
    fitted = fit_text(text, metrics, width=200, height=4 * pitch + 0.5, size=10, min_size=10, leading=1.18, multiline=True, paragraph=0.4)
    assert fitted.lines == ("een", "twee") and fitted.paras == (False, True)
    assert fitted.rest == "drie\n\nvier" and fitted.rest_para
    roomy = fit_text(text, metrics, width=200, height=5 * pitch + 4 * gap, size=10, min_size=10, leading=1.18, multiline=True, paragraph=0.4)
    assert roomy.rest == "" and roomy.lines == ("een", "twee", "drie", "", "vier")
    # the empty line that would have been the last one kept goes with the rest
    cut = fit_text("een\n\ntwee drie", metrics, width=200, height=3 * pitch + gap, size=10, min_size=10, leading=1.18, multiline=True, paragraph=0.4)
    assert cut.lines == ("een",) and cut.rest == "\ntwee drie" and cut.rest_para


def test_every_glyph_id_survives_a_literal_string_as_a_pdf_parser_reads_it() -> None:
    """Appearance text is written as literal strings of glyph ids, escaped (parentheses,
    backslash, CR and LF bytes occur in glyph ids); a PDF parser must read back exactly the
    glyph ids of every character the value font has."""
    import pikepdf

    metrics = Template.for_spec().value_metrics
    chars = sorted(metrics.char_to_gid)
    pdf = pikepdf.new()
    content = b" ".join(b"(%s) Tj" % metrics.literal(ch) for ch in chars) + b" (%s) Tj" % metrics.literal("".join(chars))
    stream = pikepdf.Stream(pdf, content)
    shown = [bytes(op.operands[0]) for op in pikepdf.parse_content_stream(stream) if str(op.operator) == "Tj"]
    assert shown == [metrics.encode(ch) for ch in chars] + [metrics.encode("".join(chars))]
    escaped = {ch for ch in chars if metrics.literal(ch) != metrics.encode(ch)}
    assert escaped, "the test covers glyph ids that need escaping"


@pytest.mark.parametrize("prefer_isal", [True, False], ids=["isal", "zlib"])
def test_both_deflaters_write_flate_streams_that_pypdf_and_pikepdf_decode_and_that_read_back(
    prefer_isal: bool, spec: FormSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streams are compressed with ISA-L (python-isal) and with zlib where isal cannot be
    imported: both must write /FlateDecode streams that readers decode to the same
    operators, and forms that read back exactly (continuation pages included)."""
    import zlib

    import pikepdf

    from oppforms import _pdfupdate as pdfupdate
    from oppforms.extract import read_pdf_bytes

    deflate = pdfupdate.deflater(prefer_isal)
    sample = bytes(range(256)) * 64
    assert zlib.decompress(deflate(sample)) == sample
    # the isal path really is isal (its output is not zlib's), the fallback really is zlib
    assert (deflate(sample) == zlib.compress(sample, pdfupdate.COMPRESSION_LEVEL)) is not prefer_isal
    short = pdfupdate.deflater(prefer_isal, short=True)
    assert zlib.decompress(short(sample[:600])) == sample[:600]
    assert (short(sample[:600]) == zlib.compress(sample[:600], pdfupdate.COMPRESSION_LEVEL)) is not prefer_isal
    monkeypatch.setattr(pdfupdate, "_deflate", deflate)
    monkeypatch.setattr(pdfupdate, "_deflate_short", short)
    record = dict(SAMPLES[0])
    record["doelen.school"] = ("Aan het eind van periode 2 leest Zoë zelfstandig een tekst en vat die samen. " * 50).strip()
    data = fill(record)
    template = Template.for_spec().pdf
    update = data[len(template):]
    numbers = sorted({int(n) for n in re.findall(rb"(?m)^(\d+) 0 obj", update)})
    reader = PdfReader(io.BytesIO(data))
    flate = 0
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for num in numbers:
            obj = pdf.get_object((num, 0))
            if isinstance(obj, pikepdf.Stream) and obj.get("/Filter") == pikepdf.Name.FlateDecode:
                flate += 1
                decoded = obj.read_bytes()
                assert zlib.decompress(obj.read_raw_bytes()) == decoded
                assert reader.get_object(num).get_data() == decoded  # type: ignore[union-attr]
    assert flate >= 10
    result = read_pdf_bytes(data, source="test.pdf")
    assert [r.fields for r in result.records] == [coerce_record(record, spec, row=1, source="test")]
    assert result.pages > spec.page_count


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(st.text(alphabet=DUTCH + "()\\", max_size=30), st.booleans()), max_size=12),
    marker=st.sampled_from(["", "» vervolg op pagina 7"]),
)
def test_line_operators_are_each_line_shown_with_its_move_before_it(rows: list[tuple[str, bool]], marker: str) -> None:
    """The box's lines are encoded in one pass (the moves stand in as LF and CR, then are
    replaced): the operators must be those of each line written on its own."""
    from oppforms.fill import _line_ops, _steps

    metrics = Template.for_spec().value_metrics
    lines = [text for text, _ in rows]
    paras = [para for _, para in rows]
    wrapped, typed = _steps(12.5, 4.0)
    expected = b""
    for i, (text, para) in enumerate(rows):
        if i:
            expected += typed if para else wrapped
        if text:
            expected += b" (%s) Tj" % metrics.literal(text)
    if marker:
        expected += (wrapped if lines else b"") + b" 0.35 g (%s) Tj" % metrics.literal(marker)
    assert _line_ops(metrics, lines, paras, 12.5, 4.0, marker) == expected


@pytest.mark.parametrize("flatten", [False, True])
def test_a_filled_form_carries_the_sha256_of_its_bytes_and_a_second_id_of_its_own(spec: FormSpec, flatten: bool) -> None:
    import hashlib

    template = Template.for_spec()
    long_record = dict(SAMPLES[1], **{"doelen.school": "Een doel dat doorloopt. " * 300})
    ids = set()
    for record in (SAMPLES[0], long_record):
        result = template.fill(coerce_record(record, spec, row=1, source="test"), doc_id="TEST-0001", flatten=flatten)
        assert result.sha256 == hashlib.sha256(result.data).hexdigest()
        first, second = re.findall(rb"/ID\[<([0-9a-f]+)><([0-9a-f]+)>\]", result.data)[-1]  # the update's trailer
        assert first != second
        ids.add(second)
    assert len(ids) == 2  # the update's own id differs with its content
