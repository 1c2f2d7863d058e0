"""The review list as one HTML page: every review item of every record, worst first, each
with its crop beside the value, for a person to check. In Dutch by default (``lang``),
through the message catalogue; the records themselves keep their English reasons.

The page stays small however many items it lists: the crops are not put inside it but
shown from the image files beside it (the review folder the scanned-forms reader saved them
in), by a relative link, loaded as the reader scrolls. Keep the page and that folder
together (a zip of both, or the folder they are in) to mail or archive them. No scripts
and no external requests."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path

from .._io import atomic_write_bytes
from ..i18n import N_, format_message, language, nformat, status_label, translate
from ..records import Record, ReviewItem
from ..spec import FormSpec, current_spec

#: Reasons, most serious first (matched on how the stored English reason starts); anything
#: else comes last.
SEVERITY = (
    "page ",  # a missing page
    "this page could not be matched",
    "no readable page code",
    "the scan reads differently",
    "handwriting",
    "the box is empty",
    "signature",
    "not a date",
    "the lines read",
    "the two places",
    "read with low confidence",
    "a sentence ends where a line ends",
    "continues on page",
    "reading the page took",
)
#: How serious, in words (never by colour alone), by severity rank.
LEVELS = ((4, N_("serious")), (6, N_("check")), (len(SEVERITY) + 1, N_("look")))


def severity(item: ReviewItem) -> int:
    for i, start in enumerate(SEVERITY):
        if item.reason.startswith(start):
            return i
    return len(SEVERITY)


def _level(sev: int) -> tuple[int, str]:
    for n, (limit, word) in enumerate(LEVELS):
        if sev < limit:
            return n, word
    return len(LEVELS) - 1, LEVELS[-1][1]


_STYLE = """
body{font-family:Calibri,Carlito,Arial,sans-serif;margin:2em;color:#222;line-height:1.35}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #bbb;padding:.4em;vertical-align:top;text-align:left}
th{background:#eee}td.value{white-space:pre-wrap;max-width:28em}
.name{color:#555;font-size:.85em;display:block}
.level{font-weight:bold;white-space:nowrap}
td.crop{width:40%}
img{max-width:100%;max-height:420px;width:auto;height:auto;border:1px solid #999;background:#fff}
tr.l0{background:#fdecea}tr.l1{background:#fff4e0}
"""


def _crop_link(crop: str | None, folder: Path) -> str:
    """The crop's path relative to the page's folder, as a URL path (or "" when there is no
    crop file)."""
    if not crop or not Path(crop).is_file():
        return ""
    rel = os.path.relpath(Path(crop).resolve(), folder.resolve())
    return "/".join(html.escape(part, quote=True) for part in Path(rel).parts)


def render_review_html(
    records: Sequence[Record], folder: Path | None = None, *, lang: str = "nl", spec: FormSpec | None = None
) -> str:
    """The page for ``records``, for a file in ``folder`` (crops are linked relative to it;
    the current folder when None), in ``lang``."""
    lang = language(lang)
    spec = spec or current_spec()
    folder = Path(folder) if folder is not None else Path.cwd()
    labels = {f.name: f.label for f in spec.fields}

    def _(message: str, /, **values: object) -> str:  # the message in ``lang``, escaped
        return html.escape(format_message(message, lang, **values))

    rows = []
    for rec in records:
        for item in rec.review:
            rows.append((severity(item), rec, item))
    rows.sort(key=lambda r: (r[0], r[1].document, r[2].page or 0))
    title = _("OPP scans: to check")
    out = [
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{title}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        "<p>"
        + html.escape(
            nformat("{n} form", "{n} forms", len(records), lang)
            + ", "
            + nformat("{n} item to check, the most serious first.", "{n} items to check, the most serious first.",
                      len(rows), lang)
        )
        + "</p>",
    ]
    if rows:
        out.append(
            "<table><tr>"
            + "".join(
                "<th scope='col'>" + (_(h) if h != "#" else h) + "</th>"
                for h in (
                    "#", N_("how serious"), N_("document"), N_("source"), N_("page"), N_("field"),
                    N_("reason"), N_("value in the record"), N_("crop"),
                )
            )
            + "</tr>"
        )
    for n, (sev, rec, item) in enumerate(rows, 1):
        value = rec.fields.get(item.field, "") if item.field else ""
        if item.field in rec.signed:
            value = status_label("signed" if rec.signed[item.field] else "missing", lang, of="signature")
        level, word = _level(sev)
        how = _(word)
        if item.field:
            label = labels.get(item.field, item.field)
            field = f"{html.escape(label)}<span class='name'>{html.escape(item.field)}</span>"
        else:
            label, field = "", ""
        link = _crop_link(item.crop, folder)
        what = label or format_message(N_("the page"), lang)
        alt = _("crop of {what}, page {page}", what=what, page=item.page or "")
        img = f"<a href='{link}'><img src='{link}' alt='{alt}' loading='lazy'></a>" if link else ""
        out.append(
            f"<tr class='l{level}'><td>{n}</td><td class='level'>{how}</td>"
            f"<td>{html.escape(rec.document or '–')}</td>"
            f"<td>{html.escape(Path(rec.source).name)}</td><td>{item.page or ''}</td>"
            f"<td>{field}</td><td>{html.escape(translate(item.reason, lang))}</td>"
            f"<td class='value'>{html.escape(value)}</td><td class='crop'>{img}</td></tr>"
        )
    if rows:
        out.append("</table>")
    warnings = dict.fromkeys((rec.document or Path(rec.source).name, w) for rec in records for w in rec.warnings)
    if warnings:
        notes = _("Notes")
        out.append(f"<h2>{notes}</h2><ul>")
        for who, w in warnings:
            out.append(f"<li>{html.escape(who)}: {html.escape(translate(w, lang))}</li>")
        out.append("</ul>")
    out.append("</body></html>\n")
    return "".join(out)


def write_review_html(records: Sequence[Record], path: Path, *, lang: str = "nl", spec: FormSpec | None = None) -> None:
    """Write the page for ``records`` to ``path`` (atomically), its crops linked relative to
    it."""
    path = Path(path)
    atomic_write_bytes(path, render_review_html(records, path.parent, lang=lang, spec=spec).encode("utf-8"))
