"""The typesetter's fitting is held to the reference implementation it replaced
(``tests/typeset_reference.py``): on any text, the same lines, split flags, paragraph
flags, places in the text, sizes and rests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oppforms.fonts import FontMetrics
from oppforms.spec import current_spec
from oppforms.typeset import fit_text, wrap

from . import typeset_reference as reference


@pytest.fixture(scope="module")
def metrics() -> FontMetrics:
    spec = current_spec()
    from oppforms.fill import Template

    return Template.for_spec(spec).value_metrics


# Words from a Dutch OPP, odd characters, very long words, runs of spaces and line breaks.
WORDS = st.sampled_from(
    [
        "de", "het", "leerling", "ondersteuningsbehoefte", "Şahin", "Wiśniewski", "½", "–", "€",
        "leerplichtambtenaar-contactpersoon", "a", "I", "W" * 30, "iiiiiiiiiiiiiiiiiiiiiiiiiiiiii",
        "Begeleidingsdoelen:", "(zie bijlage)", "‘citaat’", "\u00ad", "x\u200by",
    ]
)
SEPARATORS = st.sampled_from([" ", " ", " ", " ", "  ", "   ", "\n", "\n\n", " \n", "\n ", "\n   "])


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(WORDS, SEPARATORS), max_size=160))
    lead = draw(st.sampled_from(["", " ", "  ", "\n", " \n "]))
    return lead + "".join(w + s for w, s in parts) + draw(st.sampled_from(["", " ", "\n"]))


@given(text=texts(), width=st.floats(20, 500), size=st.sampled_from([7.0, 8.0, 9.5, 10.0, 12.0]))
@settings(max_examples=400, deadline=None)
def test_wrap_breaks_every_text_exactly_as_the_reference_does(metrics: FontMetrics, text: str, width: float, size: float) -> None:
    assert wrap(text, metrics, size, width) == reference.wrap(text, metrics, size, width)


@given(text=texts(), cut=st.integers(1, 400), size=st.sampled_from([8.0, 9.5, 10.0]), nudge=st.sampled_from([-1e-9, 0.0, 1e-9]))
@settings(max_examples=400, deadline=None)
def test_wrap_breaks_lines_exactly_full_as_the_reference_does(
    metrics: FontMetrics, text: str, cut: int, size: float, nudge: float
) -> None:
    # a width that a run of the text fills exactly: the line breaker's boundary case
    first = text.split("\n")[0][:cut].rstrip(" ")
    width = metrics.width(first, size) + nudge
    if width <= 0:
        return
    assert wrap(text, metrics, size, width) == reference.wrap(text, metrics, size, width)


@given(
    text=texts(),
    width=st.floats(30, 500),
    height=st.floats(8, 300),
    multiline=st.booleans(),
    paragraph=st.sampled_from([0.0, 0.4]),
    sizes=st.sampled_from([(10.0, 8.0), (10.0, 10.0), (9.0, 6.0), (12.0, 8.5)]),
    exact_lines=st.one_of(st.none(), st.integers(1, 25)),
)
@settings(max_examples=600, deadline=None)
def test_fit_text_lays_every_text_out_exactly_as_the_reference_does(
    metrics: FontMetrics,
    text: str,
    width: float,
    height: float,
    multiline: bool,
    paragraph: float,
    sizes: tuple[float, float],
    exact_lines: int | None,
) -> None:
    if exact_lines is not None:  # a box exactly so many lines high at the smallest size
        height = sizes[1] * 1.18 * exact_lines
    if not multiline:
        text = text.replace("\n", " ")
    kwargs = dict(width=width, height=height, size=sizes[0], min_size=sizes[1], leading=1.18, multiline=multiline, paragraph=paragraph)
    assert fit_text(text, metrics, **kwargs) == reference.fit_text(text, metrics, **kwargs)  # type: ignore[arg-type]


def test_fit_text_matches_the_reference_on_the_sample_pupils_in_every_box(metrics: FontMetrics) -> None:
    import json
    from pathlib import Path

    spec = current_spec()
    vs = spec.values
    records = json.loads((Path(__file__).parent.parent / "samples" / "opp-leerlingen.json").read_text(encoding="utf-8"))
    boxes = {(f.widgets[0].rect.width, f.widgets[0].rect.height, f.multiline) for f in spec.value_fields}
    compared = 0
    for record in records:
        for value in record.values():
            text = "\n".join(value) if isinstance(value, list) else str(value)
            for w, h, multiline in boxes:
                if not multiline and "\n" in text:
                    continue
                kwargs = dict(width=w - 2 * vs.padding, height=h - 2 * vs.padding, size=vs.size, min_size=vs.min_size,
                              leading=vs.leading, multiline=multiline, paragraph=vs.paragraph)
                assert fit_text(text, metrics, **kwargs) == reference.fit_text(text, metrics, **kwargs)  # type: ignore[arg-type]
                compared += 1
    assert compared > 100


def test_the_value_font_advances_are_whole_font_units(metrics: FontMetrics) -> None:
    # the fast line breaker compares exact sums against floor(limit): it relies on this
    assert all(w == int(w) for w in metrics.char_width.values())
