"""Pages into forms: group the pages read by document id, in page order, whatever order
they were scanned in; report missing pages, duplicates (the better scan is kept) and pages
that belong to no form; merge each form's boxes into one :class:`~oppforms.records.Record`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..i18n import N_
from ..records import Record, ReviewItem, empty_values
from ..spec import FormSpec
from .ink import SignatureVerdict
from .results import ContinuationRead, FieldRead, PageResult
from .readings import _looks_alike
from .text import agrees, first_difference, normalise_space


@dataclass(slots=True)
class _Form:
    document: str
    pages: int
    by_page: dict[int, PageResult] = field(default_factory=dict)
    duplicates: list[PageResult] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Tally:
    """What happened to the pages of one input, for its warnings."""

    blank: int
    show_through: int
    foreign: int
    unknown: int
    refused: int


def assemble(
    results: Sequence[PageResult],
    spec: FormSpec,
    *,
    issued: Mapping[str, Mapping[str, str]] | None,
    alphabet: frozenset[str] | None,
    source: str,
) -> list[Record]:
    forms: dict[str, _Form] = {}
    loose: list[PageResult] = []  # pages of the form that belong to no known document
    file_warnings: list[str] = []
    blank = sum(1 for r in results if r.kind == "blank")
    if blank:
        through = sum(1 for r in results if r.kind == "blank" and r.show_through)
        file_warnings.append(
            N_("{blank} blank page(s) dropped (backs of a duplex scan; {through} with print showing through from the other side)").format(
                blank=blank, through=through
            )
            if through
            else N_("{blank} blank page(s) dropped (backs of a duplex scan)").format(blank=blank)
        )
    for r in results:
        if r.kind in {"foreign", "unknown", "refused"}:
            file_warnings.extend(r.warnings)
    results = _footers_joined(results)
    order = 0
    blank_form_seq = 0
    last_blank_key = ""
    for r in results:
        if r.kind != "form":
            continue
        order += 1
        if r.code is None or not r.code.document:
            if r.code is not None and not r.code.document:
                # a page of the blank form (filled in by hand): pages run 1..n per form
                if not last_blank_key or r.page_no in forms[last_blank_key].by_page:
                    blank_form_seq += 1
                    last_blank_key = f"blank-{blank_form_seq}"
                    forms[last_blank_key] = _Form("", r.code.pages)
                key = last_blank_key
            else:
                loose.append(r)
                continue
        else:
            key = r.code.document
            if key not in forms:
                forms[key] = _Form(key, r.code.pages)
        form = forms[key]
        form.pages = max(form.pages, r.code.pages if r.code else 0)
        if r.page_no in form.by_page:
            kept = form.by_page[r.page_no]
            if r.quality > kept.quality:
                form.by_page[r.page_no], r = r, kept
            form.duplicates.append(r)
        else:
            form.by_page[r.page_no] = r
        form.sources.append(r.source)
    records = [_record(form, spec, issued, alphabet, source, file_warnings) for form in forms.values()]
    for r in loose:
        records.append(_record(_Form("", spec.page_count, {r.page_no: r}), spec, None, alphabet, source, file_warnings, loose=True))
    return records


def _footers_joined(results: Sequence[PageResult]) -> list[PageResult]:
    """The pages, with each page found by its layout whose footer names a document no page
    code in the scan names, but which looks like exactly one that does (a 5 read for an S),
    taken as that document's (with a review item saying so)."""
    coded = {r.code.document for r in results if r.kind == "form" and not r.by_layout and r.code and r.code.document}
    out = []
    for r in results:
        doc = r.code.document if r.by_layout and r.code else ""
        if doc and doc not in coded:
            alike = [d for d in coded if _looks_alike(d, doc)]
            if len(alike) == 1:
                assert r.code is not None
                note = ReviewItem(
                    N_("the footer's document id was read as {read}; taken as {document}, the one document in the scan it can be").format(
                        read=doc, document=alike[0]
                    ),
                    page=r.page_no,
                )
                r = replace(r, code=replace(r.code, document=alike[0]), review=(*r.review, note))
        out.append(r)
    return out


def _record(
    form: _Form,
    spec: FormSpec,
    issued: Mapping[str, Mapping[str, str]] | None,
    alphabet: frozenset[str] | None,
    source: str,
    file_warnings: list[str],
    *,
    loose: bool = False,
) -> Record:
    values, signed = empty_values(spec)
    review: list[ReviewItem] = []
    warnings = list(file_warnings)
    expected = issued.get(form.document) if issued is not None and form.document else None
    if issued is not None and form.document and expected is None:
        warnings.append(
            N_("document {document} is not in the issued registry: its values are read from the paper alone").format(document=form.document)
        )
    pages = sorted(form.by_page.values(), key=lambda r: r.page_no)
    missing = [n for n in range(1, form.pages + 1) if n not in form.by_page] if not loose else []
    for n in missing:
        review.append(ReviewItem(N_("page {page} of {pages} is missing from the scan").format(page=n, pages=form.pages), page=n))
    for d in form.duplicates:
        warnings.append(N_("page {page} was scanned more than once ({label}); the clearer scan is used").format(page=d.page_no, label=d.label))
    for p in pages:
        warnings.extend(p.warnings)
        review.extend(p.review)

    reads: dict[str, list[FieldRead]] = {}
    for p in pages:
        for fr in p.fields:
            reads.setdefault(fr.field, []).append(fr)
    continuations: dict[str, list[tuple[int, ContinuationRead]]] = {}
    for p in pages:
        if p.continuation is not None and p.continuation.field:
            continuations.setdefault(p.continuation.field, []).append((p.page_no, p.continuation))

    for f in spec.value_fields:
        got = reads.get(f.name, [])
        if not got:
            continue  # its page is missing (reported above): nothing is made up
        order = {"verified": 0, "accepted": 1, "empty": 2, "review": 3}
        best = min(got, key=lambda fr: order.get(fr.status, 9))
        value = best.value
        status = best.status
        reason = best.reason
        if best.continued_on:
            numbered = continuations.get(f.name, [])
            parts = [c for _, c in numbered]
            joined = " ".join([best.read, *(c.text for c in parts)])
            if expected is not None:
                want = expected.get(f.name, "")
                if agrees(joined, want, alphabet):
                    value, status, reason = want, "verified", ""
                else:
                    a, b = first_difference(joined, want)
                    value, status = want, "review"
                    reason = N_("the scan reads differently from the issued value: scan «{scan}», issued «{issued}»").format(scan=a, issued=b)
            else:
                # the box's text, then each page's, after the line breaks typed before it
                # (its first line stands lower) or a space (the text wrapped there)
                value = best.value + "".join((c.lead or " ") + c.text for c in parts)
                if best.status == "accepted" and _whole_chain(best.continued_on, numbered) and all(c.sure for c in parts):
                    status, reason = "accepted", ""
                else:
                    status = "review"
                    reason = best.reason or N_("continues on page {page}: check the joined text").format(page=best.continued_on)
        # a field shown twice (the pupil's name) must read the same in both places
        shown = best  # the place a person is sent to look at
        if status in {"accepted", "verified"} and len(got) > 1:
            others = [g for g in got if g is not best]
            if status == "verified":
                odd = next((g for g in others if g.status == "review"), None)
            else:
                odd = next(
                    (g for g in others if g.status in {"accepted", "review"} and g.value and normalise_space(g.value) != normalise_space(value)),
                    None,
                )
            if odd is not None:
                # the place that reads otherwise is the one to look at (a correction or a
                # note written there, or a misread); a verified value stays the issued one
                verified_elsewhere = status == "verified"
                status, shown = "review", odd
                reason = N_("this field reads differently here than on page {page}").format(page=best.page_no)
                if verified_elsewhere and odd.reason:
                    reason = N_("{reason} (page {page} shows the issued value)").format(reason=odd.reason, page=best.page_no)
        values[f.name] = value
        if status == "review":
            review.append(
                ReviewItem(
                    reason,
                    field=f.name,
                    page=shown.page_no,
                    box=tuple(shown.box.as_list()) if shown.box else None,  # type: ignore[arg-type]
                    crop=shown.crop or best.crop,
                )
            )
    for p in pages:
        for s in p.signatures:
            signed[s.field] = s.verdict is SignatureVerdict.SIGNED
    if loose:
        review.insert(0, ReviewItem(N_("this page could not be matched to a form: its values are on their own"), page=pages[0].page_no))
    return Record(
        source=source,
        form=spec.form_id,
        version=pages[0].code.version if pages and pages[0].code else spec.version,
        method="scan",
        fields=values,
        signed=signed,
        review=tuple(review),
        warnings=tuple(dict.fromkeys(warnings)),
        document=form.document,
    )


def _whole_chain(first: int, parts: Sequence[tuple[int, ContinuationRead]]) -> bool:
    """The continuation pages are all there, in order: the box points to the first, each
    page to the next, the last to none."""
    want = first
    for page_no, part in parts:
        if page_no != want:
            return False
        want = part.next_page
    return want == 0 and bool(parts)


def page_label(r: PageResult) -> str:
    return N_("{file} page {page}").format(file=Path(r.source).name, page=r.page_index + 1)
