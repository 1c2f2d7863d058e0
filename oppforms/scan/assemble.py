"""Pages into forms: group the pages read by document id, in page order, whatever file
and order they were scanned in (a whole scanner PDF, one photo or one PDF per page, or all
of these in one run); report missing pages, duplicates (the better scan is kept) and pages
that belong to no form; merge each form's boxes into one :class:`~oppforms.records.Record`
whose ``pages`` say which file and page each of its pages came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..i18n import N_
from ..pagecode import PageCode
from ..records import PageOrigin, Record, ReviewItem, empty_values
from ..spec import FormSpec
from .ink import SignatureVerdict
from .results import ContinuationRead, FieldRead, PageResult
from .printed import hamming, printed_id, same_person
from .readings import _looks_alike
from .text import agrees, first_difference, normalise_space


#: The review item of a page a form misses, and that of each field on such a page (its
#: value is unread, not empty). The web app knows them by these texts.
MISSING_PAGE = N_("page {page} of {pages} is missing from the scan")
UNREAD_ON_MISSING_PAGE = N_("page {page} is not in the scan: this field could not be read")


@dataclass(slots=True)
class _Form:
    document: str
    pages: int
    by_page: dict[int, PageResult] = field(default_factory=dict)
    duplicates: list[PageResult] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # the files of all its pages, duplicates too


@dataclass(frozen=True, slots=True)
class Assembly:
    """Pages of one run assembled into forms: the records, and per input file (by the
    ``source`` of its pages) the indices of the records its pages went into and its own
    warnings (blank backs dropped, pages of another form, unreadable pages)."""

    records: list[Record]
    files: dict[str, tuple[int, ...]]
    warnings: dict[str, tuple[str, ...]]


def assemble(
    results: Sequence[PageResult],
    spec: FormSpec,
    *,
    issued: Mapping[str, Mapping[str, str]] | None,
    alphabet: frozenset[str] | None,
    names: Mapping[str, str] | None = None,
) -> list[Record]:
    """The forms in ``results`` (see :func:`assemble_run`)."""
    return assemble_run(results, spec, issued=issued, alphabet=alphabet, names=names).records


def assemble_run(
    results: Sequence[PageResult],
    spec: FormSpec,
    *,
    issued: Mapping[str, Mapping[str, str]] | None,
    alphabet: frozenset[str] | None,
    names: Mapping[str, str] | None = None,
) -> Assembly:
    """The pages read in one run (any number of files, in input order) assembled into
    forms: by document id and page number, whatever file and order each page came in.
    Pages of the blank form filled in by hand (no document id) make forms within their
    file only, in scan order. ``names`` maps a page's ``source`` (its file's path) to how
    records name that file (default: the path)."""
    name_of = (lambda path: names.get(path, path)) if names is not None else (lambda path: path)
    forms: dict[str, _Form] = {}
    loose: list[PageResult] = []  # pages of the form that belong to no known document
    file_warnings: dict[str, list[str]] = {}
    for r in results:
        file_warnings.setdefault(r.source, [])
    for source, mine in file_warnings.items():
        blank = sum(1 for r in results if r.source == source and r.kind == "blank")
        if blank:
            through = sum(1 for r in results if r.source == source and r.kind == "blank" and r.show_through)
            mine.append(
                N_("{blank} blank page(s) dropped (backs of a duplex scan; {through} with print showing through from the other side)").format(
                    blank=blank, through=through
                )
                if through
                else N_("{blank} blank page(s) dropped (backs of a duplex scan)").format(blank=blank)
            )
    for r in results:
        if r.kind in {"foreign", "unknown", "refused"}:
            file_warnings[r.source].extend(r.warnings)
    results = _placed(results, spec, issued)
    blank_form_seq = 0
    last_blank_key = ""
    last_source: str | None = None
    for r in results:
        if r.kind != "form":
            continue
        if r.source != last_source:
            last_source, last_blank_key = r.source, ""  # a hand-filled blank form stays in its file
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
        form.sources.append(r.source)  # a page set aside as the less clear of two is the form's too
        if r.page_no in form.by_page:
            kept = form.by_page[r.page_no]
            if r.quality > kept.quality:
                form.by_page[r.page_no], r = r, kept
            form.duplicates.append(r)
        else:
            form.by_page[r.page_no] = r
    all_forms = [(form, False) for form in forms.values()]
    all_forms += [(_Form("", spec.page_count, {r.page_no: r}, sources=[r.source]), True) for r in loose]
    records: list[Record] = []
    files: dict[str, list[int]] = {source: [] for source in file_warnings}
    for form, is_loose in all_forms:
        touched = list(dict.fromkeys(form.sources))
        warnings = [w for source in touched for w in file_warnings.get(source, ())]
        index = len(records)
        records.append(
            _record(form, spec, None if is_loose else issued, alphabet, name_of, warnings, loose=is_loose, unplaced=loose)
        )
        for source in touched:
            files.setdefault(source, []).append(index)
    return Assembly(
        records,
        {source: tuple(ix) for source, ix in files.items()},
        {source: tuple(dict.fromkeys(ws)) for source, ws in file_warnings.items()},
    )


def _named_by_print(pages: Sequence[PageResult], spec: FormSpec) -> Counter[str]:
    """How many pages found by their print name each document: the id its footer was read
    as, or, where another such page's footer reads an id at most two characters off, the
    one of them whose drawing explains the page's printed id clearly best. Five footers
    that read one glyph alike wrong do not outvote the print of the form's pages."""
    ids = {r.code.document for r in pages if r.by_layout and r.code and r.code.document}
    out: Counter[str] = Counter()
    for r in pages:
        if not (r.by_layout and r.code and r.code.document):
            continue
        doc = r.code.document
        rivals = [d for d in sorted(ids) if d != doc and hamming(d, doc) <= 2]
        if rivals and r.id_print is not None:
            doc = printed_id(r.id_print, [doc, *rivals], spec) or doc
        out[doc] += 1
    return out


def _placed(
    results: Sequence[PageResult], spec: FormSpec, issued: Mapping[str, Mapping[str, str]] | None
) -> list[PageResult]:
    """The pages, with each page found without a readable code placed in its document when
    its footer's id is unsure (each with a review item saying how):

    - an id that no page code in the scan names (nor the issued registry), but that looks
      like exactly one better-attested document (a page code, the registry, or an id more
      footers name, weighed by their print: :func:`_named_by_print`): that document (a 5 read for an S); or, two characters off at most,
      the one such document of the pupil the page's header names;
    - no id read at all: the one document of the pupil its header (or its own name box)
      names, whose page count agrees; for a continuation page without a name, the one
      document whose text continues on that page (its heading names the field).

    Anything else stays as read: a page of a document not in the scan is never joined to
    another one."""
    pages = [r for r in results if r.kind == "form"]
    coded = {r.code.document for r in pages if not r.by_layout and r.code and r.code.document}
    named = _named_by_print(pages, spec)
    registry = set(issued) if issued is not None else set()
    persons = _persons(pages, spec, issued)

    def noted(r: PageResult, doc: str, pages_: int, why: str) -> PageResult:
        code = PageCode(spec.form_id, spec.version, doc, r.page_no, pages_)
        return replace(r, code=code, review=(*r.review, ReviewItem(why, page=r.page_no)))

    out: list[PageResult] = []
    for r in results:
        doc = r.code.document if r.kind == "form" and r.by_layout and r.code else ""
        if doc and doc not in coded and doc not in registry:
            better = coded | registry | {d for d, n in named.items() if n > named[doc]}
            alike = [d for d in better if _looks_alike(d, doc)]
            if len(alike) == 1:
                r = noted(
                    r,
                    alike[0],
                    r.code.pages if r.code else 0,
                    N_("the footer's document id was read as {read}; taken as {document}, the one document in the scan it can be").format(
                        read=doc, document=alike[0]
                    ),
                )
            elif not alike and _name_of(r, spec):
                near = [d for d in better if hamming(d, doc) <= 2 and any(same_person(n, _name_of(r, spec)) for n in persons.get(d, ()))]
                if len(near) == 1:
                    r = noted(
                        r,
                        near[0],
                        r.code.pages if r.code else 0,
                        N_("the footer's document id was read as {read}; taken as {document}, the document of the pupil its header names").format(
                            read=doc, document=near[0]
                        ),
                    )
        out.append(r)
    docs_pages: dict[str, int] = {}
    taken: dict[str, set[int]] = {}
    for r in out:
        if r.kind == "form" and r.code and r.code.document:
            docs_pages[r.code.document] = max(docs_pages.get(r.code.document, 0), r.code.pages)
            taken.setdefault(r.code.document, set()).add(r.page_no)
    candidates = set(docs_pages) | registry
    for k, r in enumerate(out):
        if r.kind != "form" or not r.by_layout or r.code is not None:
            continue
        name = _name_of(r, spec)
        fits = [d for d in candidates if not r.pages_printed or docs_pages.get(d, r.pages_printed) == r.pages_printed]
        if name:
            found = [d for d in fits if any(same_person(n, name) for n in persons.get(d, ()))]
            free = [d for d in found if r.page_no not in taken.get(d, set())]
            found = free if len(found) > 1 and free else found
            if len(found) == 1:
                doc = found[0]
                out[k] = noted(r, doc, docs_pages.get(doc, r.pages_printed), N_("the footer's document id could not be read; placed in document {document} by the pupil's name its header shows").format(document=doc))
                continue
        if r.continuation is not None and r.continuation.field and r.page_no > spec.page_count:
            field = r.continuation.field
            points = [
                d for d in fits
                if r.page_no not in taken.get(d, set()) and any(
                    p.code and p.code.document == d and (
                        any(f.field == field and f.continued_on == r.page_no for f in p.fields)
                        or (p.continuation is not None and p.continuation.field == field and p.continuation.next_page == r.page_no)
                    )
                    for p in out if p.kind == "form"
                )
            ]
            if len(points) == 1:
                doc = points[0]
                out[k] = noted(r, doc, docs_pages.get(doc, r.pages_printed), N_("the footer's document id could not be read; placed in document {document}, whose text continues on this page").format(document=doc))
    return out


def _name_of(r: PageResult, spec: FormSpec) -> str:
    """The pupil's name a page shows: its header's, else its own name box's."""
    if r.person:
        return r.person
    return next((f.value or f.read for f in r.fields if f.field == spec.records.person and (f.value or f.read)), "")


def _persons(pages: Sequence[PageResult], spec: FormSpec, issued: Mapping[str, Mapping[str, str]] | None) -> dict[str, set[str]]:
    """document → the pupil's names its pages show (headers and name boxes), and the name
    issued for it."""
    out: dict[str, set[str]] = {}
    for r in pages:
        if r.code and r.code.document:
            name = _name_of(r, spec)
            if name:
                out.setdefault(r.code.document, set()).add(name)
    for doc, values in (issued or {}).items():
        if values.get(spec.records.person):
            out.setdefault(doc, set()).add(values[spec.records.person])
    return out


def _record(
    form: _Form,
    spec: FormSpec,
    issued: Mapping[str, Mapping[str, str]] | None,
    alphabet: frozenset[str] | None,
    name_of: Callable[[str], str],
    file_warnings: list[str],
    *,
    loose: bool = False,
    unplaced: Sequence[PageResult] = (),
) -> Record:
    """The record of one form; ``unplaced`` are the pages of the run that could not be
    matched to a form (one of them may be a page this form misses)."""
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
        review.append(ReviewItem(MISSING_PAGE.format(page=n, pages=form.pages), page=n))
        for other in unplaced:
            if other.page_no == n and (not other.pages_printed or other.pages_printed == form.pages):
                review.append(
                    ReviewItem(
                        N_("page {page} may be {label}, a page {page} that was not matched to any form; check it").format(page=n, label=page_label(other)),
                        page=n,
                    )
                )
    for d in form.duplicates:
        warnings.append(N_("page {page} was scanned more than once; the clearer scan is used, not {label}").format(page=d.page_no, label=d.label))
    for p in pages:
        warnings.extend(p.warnings)
        review.extend(p.review)

    reads: dict[str, list[FieldRead]] = {}
    for p in pages:
        for fr in p.fields:
            reads.setdefault(fr.field, []).append(fr)
    continuations: dict[str, list[tuple[int, ContinuationRead]]] = {}
    for p in pages:
        for section in p.sections:
            if section.field:
                continuations.setdefault(section.field, []).append((p.page_no, section))

    seen = set(reads) | {s.field for p in pages for s in p.signatures}
    for f in spec.fields:
        # a field on a missing page is not empty but unread: a person fills it in (or
        # scans the page) rather than take the blank for its value
        if f.name not in seen and (page := next((w.page_no for w in f.widgets if w.page_no in missing), 0)):
            rect = next(w.rect for w in f.widgets if w.page_no == page)
            review.append(
                ReviewItem(
                    UNREAD_ON_MISSING_PAGE.format(page=page),
                    field=f.name,
                    page=page,
                    box=(rect.x0, rect.y0, rect.x1, rect.y1),
                )
            )
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
        source=name_of(pages[0].source),
        form=spec.form_id,
        version=pages[0].code.version if pages and pages[0].code else spec.version,
        method="scan",
        fields=values,
        signed=signed,
        review=tuple(review),
        warnings=tuple(dict.fromkeys(warnings)),
        document=form.document,
        pages=tuple(PageOrigin(p.page_no, name_of(p.source), p.page_index + 1) for p in pages),
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
