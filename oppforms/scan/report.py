"""The review list as one self-contained HTML page: every review item of every record,
worst first, each with its crop (inline, as a data URI) beside the values, for a person to
check. No scripts, no external files: it can be mailed or archived as it is."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

from .._io import atomic_write_bytes
from ..records import Record, ReviewItem

#: Reasons, most serious first (matched on how they start); anything else comes last.
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


def severity(item: ReviewItem) -> int:
    for i, start in enumerate(SEVERITY):
        if item.reason.startswith(start):
            return i
    return len(SEVERITY)


def _crop_uri(path: str | None) -> str:
    if not path:
        return ""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


_STYLE = """
body{font-family:Calibri,Carlito,Arial,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #bbb;padding:.4em;vertical-align:top;text-align:left}
th{background:#eee}td.value{white-space:pre-wrap;max-width:28em}
img{max-width:520px;max-height:420px;border:1px solid #999}
.sev0,.sev1,.sev2,.sev3{background:#fdecea}.sev4,.sev5{background:#fff4e0}
"""


def render_review_html(records: Sequence[Record]) -> str:
    rows = []
    for rec in records:
        for item in rec.review:
            rows.append((severity(item), rec, item))
    rows.sort(key=lambda r: (r[0], r[1].document, r[2].page or 0))
    out = [
        "<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'>",
        "<title>OPP scans: te controleren</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>OPP scans: te controleren</h1>",
        f"<p>{len(records)} formulier(en), {len(rows)} punt(en) om na te kijken, het ernstigste eerst.</p>",
    ]
    if rows:
        out.append(
            "<table><tr><th>#</th><th>document</th><th>bron</th><th>pagina</th><th>veld</th>"
            "<th>reden</th><th>waarde in het record</th><th>uitsnede</th></tr>"
        )
    for n, (sev, rec, item) in enumerate(rows, 1):
        value = rec.fields.get(item.field, "") if item.field else ""
        if item.field in rec.signed:
            value = "getekend" if rec.signed[item.field] else "niet getekend"
        uri = _crop_uri(item.crop)
        img = f"<img src='{uri}' alt='uitsnede'>" if uri else ""
        out.append(
            f"<tr class='sev{sev}'><td>{n}</td><td>{html.escape(rec.document or '–')}</td>"
            f"<td>{html.escape(Path(rec.source).name)}</td><td>{item.page or ''}</td>"
            f"<td>{html.escape(item.field or '')}</td><td>{html.escape(item.reason)}</td>"
            f"<td class='value'>{html.escape(value)}</td><td>{img}</td></tr>"
        )
    if rows:
        out.append("</table>")
    warnings = dict.fromkeys((rec.document or Path(rec.source).name, w) for rec in records for w in rec.warnings)
    if warnings:
        out.append("<h2>Meldingen</h2><ul>")
        for who, w in warnings:
            out.append(f"<li>{html.escape(who)}: {html.escape(w)}</li>")
        out.append("</ul>")
    out.append("</body></html>\n")
    return "".join(out)


def write_review_html(records: Sequence[Record], path: Path) -> None:
    atomic_write_bytes(Path(path), render_review_html(records).encode("utf-8"))
