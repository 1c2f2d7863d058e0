"""Review decisions: a person's answer to a record's review items, applied to the record.

A record read back carries ``review`` items (contract §4): a value the reader was unsure
of, a signature box it could not judge, handwriting. A :class:`Decision` answers one item
by its position in ``record.review``: the value to keep (for a text or date field), whether
the box is signed (for a signature box), or nothing but "seen" (for an item without a
field). :func:`apply_decisions` gives the corrected record: decided items are gone from
``review``, decided values and signatures are in ``fields`` and ``signed``. The web app
keeps decisions in its workspace; this module only applies them.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .records import Record, ReviewItem
from .scan.report import severity
from .spec import FieldKind, FormSpec, current_spec
from .values import coercer_for

__all__ = ["Decision", "apply_decisions", "check_value", "review_order", "severity_of"]


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to ``record.review[index]``: ``value`` for a text or date field (the
    value as the record holds it: dates ISO), ``signed`` for a signature box, neither for
    an item that only had to be seen."""

    index: int
    value: str | None = None
    signed: bool | None = None


def check_value(field: str, value: str, spec: FormSpec | None = None) -> tuple[str | None, str]:
    """``value`` for ``field`` as a record holds it (a date typed ``15-1-2027`` becomes
    ``2027-01-15``), or ``(None, reason)`` when the form cannot take it. The reason names
    the field, never the value."""
    spec = spec or current_spec()
    f = spec.field(field)
    if f.kind is FieldKind.SIGNATURE:
        return None, f"{field} is a signature box: it is signed or not"
    values, errors = coercer_for(spec).check({field: value}, row=1, source="review", given_only=True)
    if values is None:
        reason = str(errors[0]).split(f"{field}: ", 1)[-1] if errors else "not a valid value"
        return None, reason
    return values[field], ""


def apply_decisions(record: Record, decisions: Iterable[Decision] | Mapping[int, Decision]) -> Record:
    """``record`` with ``decisions`` applied: their values and signatures set, their
    review items removed. Decisions for items the record does not have are ignored."""
    chosen = {d.index: d for d in (decisions.values() if isinstance(decisions, Mapping) else decisions)}
    fields = dict(record.fields)
    signed = dict(record.signed)
    left: list[ReviewItem] = []
    for i, item in enumerate(record.review):
        decision = chosen.get(i)
        if decision is None:
            left.append(item)
            continue
        if item.field is not None and decision.value is not None and item.field in fields:
            fields[item.field] = decision.value
        if item.field is not None and decision.signed is not None and item.field in signed:
            signed[item.field] = decision.signed
    return replace(record, fields=fields, signed=signed, review=tuple(left))


def severity_of(item: ReviewItem) -> int:
    """How serious a review item is, 0 the worst (see :data:`oppforms.scan.report.SEVERITY`);
    a reason that starts with its field's name ("leerling.klas: …") is judged on the rest."""
    if item.field and item.reason.startswith(item.field + ": "):
        item = replace(item, reason=item.reason[len(item.field) + 2 :])
    return severity(item)


def review_order(items: Iterable[tuple[object, ReviewItem]]) -> list[tuple[object, ReviewItem]]:
    """Review items worst first (a missing page before an unsure letter), keeping the
    given order among equals; the first element of each pair is the caller's key."""
    return sorted(items, key=lambda pair: severity_of(pair[1]))


def page_preview_png(path: Path, page_no: int, *, dpi: int = 70, largest: tuple[int, int] = (1200, 1700)) -> bytes | None:
    """Page ``page_no`` (1-based) of a returned file as a PNG, for a person to see the
    whole page of a review item: a PDF page rendered by poppler's ``pdftoppm`` at ``dpi``;
    a frame of an image file scaled to fit ``largest`` pixels, in grey. None when the page cannot be
    shown (no such page, no pdftoppm, an unreadable file)."""
    if path.suffix.lower() == ".pdf":
        try:
            done = subprocess.run(
                ["pdftoppm", "-f", str(page_no), "-l", str(page_no), "-r", str(dpi), "-png", str(path)],
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 and done.stdout else None
    try:
        from PIL import Image

        with Image.open(path) as image:
            image.seek(min(page_no - 1, getattr(image, "n_frames", 1) - 1))
            image.thumbnail(largest)
            out = io.BytesIO()
            image.convert("L").save(out, "PNG")
            return out.getvalue()
    except (OSError, ValueError, ImportError):
        return None
