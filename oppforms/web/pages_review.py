"""The pages where a person decides: ``/controleren`` (the review queue, one item at a
time, with its crop and page) and ``/handtekeningen`` (who still has to sign)."""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..spec import FieldKind
from . import texts
from .base import LATER_REASONS, Pages, as_int, certainty, download, page_png


def _as_pattern(message: str) -> re.Pattern[str]:
    """A review reason's format (``page {page} …``) as a pattern of the texts it gives."""
    return re.compile(re.escape(message).replace(r"\{page\}", r"(\d+)").replace(r"\{pages\}", r"(\d+)") + "$")


@functools.cache
def _unread_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    from ..scan.assemble import MISSING_PAGE, UNREAD_ON_MISSING_PAGE

    return _as_pattern(UNREAD_ON_MISSING_PAGE), _as_pattern(MISSING_PAGE)


class ReviewPages(Pages):
    """``/controleren`` and ``/handtekeningen``."""

    # -- controleren ------------------------------------------------------------------

    def _signature_field(self, field: str | None) -> bool:
        return field is not None and field in self.labels and self.spec.field(field).kind is FieldKind.SIGNATURE

    def review_page(self, request: Request) -> Response:
        notice = "Dat punt was al beslist (twee keer Enter, of in een ander tabblad); er is niets veranderd." \
            if request.query_params.get("al") == "beslist" else ""
        taken = as_int(request.query_params.get("overgenomen"))
        if taken:
            notice = (f"{taken} {'waarde' if taken == 1 else 'waarden'} overgenomen zoals uitgegeven. "
                      "“Laatste besluit ongedaan maken” zet ze in één keer terug.")
        elif taken == 0:
            notice = "Er is niets overgenomen: die punten waren al beslist, of het formulier is hier niet ingevuld."
        return self._review(request, notice=notice)

    def _review(self, request: Request, *, error: str = "", typed: str | None = None, status_code: int = 200,
                notice: str = "") -> Response:
        """The queue's first item; after a refused value, that error and what was typed (in
        the page, never in the address, which the history keeps)."""
        queue = self.workspace.queue(self.spec)
        signatures = [q for q in queue if self._signature_field(q.record.review[q.index].field)]
        others = [q for q in queue if not self._signature_field(q.record.review[q.index].field)]
        current = others[0] if others else None
        context: dict[str, Any] = {"queue_size": len(queue), "signatures": signatures, "current": None,
                                   "later_reasons": LATER_REASONS, "error": error, "notice": notice,
                                   "can_undo": self.workspace.decisions_count() > 0 or any(q.later for q in queue)}
        context["pupils"] = self._identities(([current] if current else []) + signatures)
        if current is not None:
            item = current.record.review[current.index]
            f = self.spec.field(item.field) if item.field in self.labels else None
            value = current.record.fields.get(item.field or "", "") if f is not None else ""
            # a field on a page that did not come back was not read: its input shows the
            # value as issued (when this workspace filled the form), never a blank to accept
            as_issued = f is not None and self._unread(item) and (issued := self._issued_values(current.record)) is not None
            if as_issued:
                value = issued.get(item.field or "", "")
            if f is not None and f.kind is FieldKind.DATE and len(value) == 10 and value[4] == "-":
                value = f"{value[8:10]}-{value[5:7]}-{value[0:4]}"
            context["current"] = {
                "record": current.record_id, "index": current.index, "item": item, "field": f,
                "value": typed if typed is not None else value,
                "original": value, "later": current.later, "certainty": certainty(item),
                "pupil": context["pupils"][current.record_id][1],
                "source": self._page_of(current.record_id, current.record, item.page or 1)[2] if item.page
                else current.record.source,
                "nummer": context["pupils"][current.record_id][0],
                "not_returned": self._not_returned(current.record, item), "as_issued": as_issued,
            }
            context["from_issued"] = self._issued_offer(current, queue)
        return self.render(request, "controleren.html", status_code, **context)

    @staticmethod
    def _unread(item: Any) -> bool:
        """A field's item whose page did not come back (its value was not read)."""
        return item.field is not None and _unread_patterns()[0].match(item.reason) is not None

    @staticmethod
    def _not_returned(record: Any, item: Any) -> bool:
        """The item's page is not among the pages that came back (a scan's ``pages`` say
        which did; a form read from its fields has none, and all its pages)."""
        return bool(item.page and record.pages and all(o.page != item.page for o in record.pages))

    def _issued_values(self, record: Any) -> dict[str, str] | None:
        """The values issued in this workspace for the record's document, or None."""
        from ..issued import latest_values, read_issued

        if not record.document:
            return None
        return latest_values(read_issued(self.workspace.issued_dir), self.spec.form_id).get(record.document.upper())

    def _unread_items(self, record_id: int, record: Any, queue: list[Any]) -> tuple[list[int], list[int], list[int]]:
        """The record's open review items for its pages that did not come back: those of
        its value fields, those of the pages themselves, and the pages (sorted)."""
        unread, missing = _unread_patterns()
        fields, page_items, pages = [], [], set()
        for q in queue:
            if q.record_id != record_id:
                continue
            item = record.review[q.index]
            if (m := unread.match(item.reason)) and item.field in self.labels and not self._signature_field(item.field):
                fields.append(q.index)
                pages.add(int(m.group(1)))
            elif (m := missing.match(item.reason)) and item.field is None:
                page_items.append(q.index)
                pages.add(int(m.group(1)))
        return fields, page_items, sorted(pages)

    def _issued_offer(self, current: Any, queue: list[Any]) -> dict[str, Any] | None:
        """When the current item is a page that did not come back (a parent sent only the
        signature page), or a field on it, and this workspace filled the form: how many fields
        can take the values as issued, on which pages."""
        unread, missing = _unread_patterns()
        record_id, record = current.record_id, current.record
        reason = record.review[current.index].reason
        if not (unread.match(reason) or missing.match(reason)):
            return None
        if self._issued_values(record) is None:
            return None
        fields, _, _ = self._unread_items(record_id, record, queue)
        if not fields:
            return None
        unread, missing = _unread_patterns()  # every page that did not come back, decided or not
        shown = [str(p) for p in sorted({i.page for i in record.review if i.page and (
            unread.match(i.reason) or missing.match(i.reason))})]
        return {"record": record_id, "count": len(fields),
                "pages": shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " en " + shown[-1],
                "plural": len(shown) > 1}

    async def review_from_issued(self, request: Request) -> Response:
        """Every field on the record's pages that did not come back takes its value as it
        was issued (in this workspace), and those pages' own items are seen: a decision per
        item, as if typed, all in one step (undone together; the log says it once).
        Signature boxes stay to be judged: a signature is never issued."""
        from ..review import check_value

        async with request.form(max_files=0, max_fields=5) as form:
            record_id = as_int(form.get("record"))
        record = self.workspace.record(record_id, self.spec) if record_id is not None else None
        issued = self._issued_values(record) if record is not None else None
        if record_id is None or record is None or issued is None:
            return RedirectResponse("/controleren", status_code=303)
        fields, page_items, _ = self._unread_items(record_id, record, self.workspace.queue(self.spec))
        decisions: dict[int, str | None] = {}
        for index in fields:
            field = record.review[index].field or ""
            checked, _ = check_value(field, issued.get(field, ""), self.spec)
            if checked is not None:
                decisions[index] = checked
        taken = len(decisions)
        if decisions:  # the pages' own items are seen with their fields
            decisions.update(dict.fromkeys(page_items))
        done = self.workspace.decide_values(
            record_id, decisions, what=f"{taken} waarden overgenomen zoals uitgegeven, {len(decisions) - taken} "
            "ontbrekende pagina's gezien")
        return RedirectResponse(f"/controleren?overgenomen={taken if done else 0}", status_code=303)

    async def review_decide(self, request: Request) -> Response:
        from ..review import check_value

        async with request.form(max_files=0, max_fields=20) as form:
            record_id, index = as_int(form.get("record")), as_int(form.get("item"))
            action = str(form.get("actie") or "goed")
            value = str(form.get("waarde") or "")
            reason = str(form.get("reden") or "")
        record = self.workspace.record(record_id, self.spec) if record_id is not None else None
        if record is None or index is None or not 0 <= index < len(record.review):
            return RedirectResponse("/controleren", status_code=303)
        field = record.review[index].field
        if action == "later":
            decided = self.workspace.decide(record_id, index,  # type: ignore[arg-type]
                                            later=reason if reason in LATER_REASONS else "anders", field=field or "")
        elif field in self.labels and not self._signature_field(field):
            if action != "later" and not value.strip() and self._unread(record.review[index]):
                issued = self._issued_values(record)
                if issued is None or issued.get(field or "", "").strip():
                    # Enter on an unread field must not make its value empty: nobody saw it
                    page = record.review[index].page
                    return self._review(request, status_code=400, typed=value, error=(
                        f"Pagina {page} is niet teruggekomen: deze waarde is niet gelezen en blijft niet leeg. "
                        "Typ de waarde, neem de waarden over zoals uitgegeven, of kies Later."))
            checked, problem = check_value(field, value.replace("\r\n", "\n"), self.spec)
            if checked is None:
                return self._review(request, error=f"{self.label(field)}: {texts.reason(problem)}", typed=value,
                                    status_code=400)
            decided = self.workspace.decide(record_id, index, value=checked, field=field or "")  # type: ignore[arg-type]
        else:
            decided = self.workspace.decide(record_id, index, field=field or "")  # type: ignore[arg-type]
        # a second Enter, or another tab that decided first: nothing changes, and the page says so
        return RedirectResponse("/controleren" + ("" if decided else "?al=beslist"), status_code=303)

    async def review_signatures(self, request: Request) -> Response:
        async with request.form(max_files=0, max_fields=500) as form:
            shown = form.getlist("vak")
            signed = set(form.getlist("getekend"))
        for key in shown:
            parts = str(key).split(":")
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                continue
            record_id, index = int(parts[0]), int(parts[1])
            record = self.workspace.record(record_id, self.spec)
            if record is None or not 0 <= index < len(record.review):
                continue
            self.workspace.decide(record_id, index, signed=str(key) in signed, field=record.review[index].field or "")
        return RedirectResponse("/controleren", status_code=303)

    async def review_undo(self, request: Request) -> Response:
        self.workspace.undo_last()
        return RedirectResponse("/controleren", status_code=303)

    def _review_item(self, request: Request) -> tuple[Any, Any] | None:
        record_id, index = as_int(request.path_params["record"]), as_int(request.path_params["item"])
        record = self.workspace.record(record_id, self.spec) if record_id is not None else None
        if record is None or index is None or not 0 <= index < len(record.review):
            return None
        return record, record.review[index]

    def review_crop(self, request: Request) -> Response:
        found = self._review_item(request)
        if found is None or not found[1].crop:
            return Response(status_code=404)
        path = Path(found[1].crop)
        jobs = (self.workspace.root / "jobs").resolve()
        if not path.resolve().is_relative_to(jobs) or path.suffix.lower() != ".png" or not path.is_file():
            return Response(status_code=404)
        return Response(path.read_bytes(), media_type="image/png")

    def review_page_image(self, request: Request) -> Response:
        found = self._review_item(request)
        if found is None:
            return self.render(request, "niet-gevonden.html", 404)
        record, item = found
        _, _, shown = self._page_of(int(request.path_params["record"]), record, item.page or 1)
        return self.render(request, "pagina.html", record_id=request.path_params["record"], index=request.path_params["item"],
                           item=item, page=item.page or 1, source=shown)

    def review_page_png(self, request: Request) -> Response:
        found = self._review_item(request)
        if found is None:
            return Response(status_code=404)
        record, item = found
        path, index, _ = self._page_of(int(request.path_params["record"]), record, item.page or 1)
        png = page_png(self.workspace, path, index) if path is not None else None
        return Response(png, media_type="image/png") if png else Response(status_code=404)

    def _identities(self, items: list[Any]) -> dict[int, tuple[str, str]]:
        """Record id → (leerlingnummer, naam) of the queue ``items``, as the page shows whose form it is: the
        record's, else — when the page with them did not come back, a signature page returned
        alone — those issued for its document (this workspace's fill registry)."""
        key = self.spec.records.key
        out = {q.record_id: (q.record.fields.get(key, ""), q.record.fields.get("leerling.naam", "")) for q in items}
        if all(n and m for n, m in out.values()):
            return out
        from ..issued import latest_values, read_issued

        issued = latest_values(read_issued(self.workspace.issued_dir), self.spec.form_id)
        for q in items:
            values = issued.get(q.record.document.upper(), {}) if q.record.document else {}
            nummer, naam = out[q.record_id]
            out[q.record_id] = (nummer or values.get(key, ""), naam or values.get("leerling.naam", ""))
        return out

    def _page_of(self, record_id: int, record: Any, page: int) -> tuple[Path | None, int, str]:
        """Where the form's page ``page`` is: the stored file, the page within it, and that
        file's name as it was given. A scanner stack holds the form's pages anywhere among
        other pupils' pages, and a form photographed page by page has them in several files:
        the record's ``pages`` say where; a form without them (fields) is its file, page for page."""
        origin = next((o for o in record.pages if o.page == page), None)
        if origin is not None:
            return Path(origin.source), origin.source_page, self.workspace.shown(origin.source, self.workspace.upload_names())
        upload = self.workspace.record_upload(record_id)
        return (upload.path if upload else None), page, (upload.name if upload else record.source)

    # -- handtekeningen ------------------------------------------------------------------

    def _pupils(self, request: Request) -> tuple[list[Any], bool, str, list[str]]:
        """Every pupil with a form filled here or returned (a filled form that did not come
        back: every box ``ontbreekt``, ``returned`` false); ``?filter=onvolledig``: only
        those not complete; ``?schooljaar=…``: only the forms of that schooljaar. Also the
        schooljaren there are, newest first."""
        from ..issued import read_issued
        from ..signatures import school_years, signature_overview

        records = [r.corrected for r in self.workspace.records(self.spec)]
        issued = list(read_issued(self.workspace.issued_dir))
        years = school_years(records, issued, self.spec)
        year = request.query_params.get("schooljaar", "")
        year = year if year in years else ""
        pupils = signature_overview(records, self.spec, issued=issued, school_year=year or None)
        incomplete = request.query_params.get("filter") == "onvolledig"
        return ([p for p in pupils if not p.complete] if incomplete else pupils), incomplete, year, years

    def signatures_page(self, request: Request) -> Response:
        from urllib.parse import urlencode

        from ..signatures import box_columns

        pupils, incomplete, year, years = self._pupils(request)
        query = urlencode({k: v for k, v in (("filter", "onvolledig" if incomplete else ""), ("schooljaar", year)) if v})
        return self.render(request, "handtekeningen.html", pupils=pupils, incomplete=incomplete,
                           columns=box_columns(self.spec), not_returned=sum(not p.returned for p in pupils),
                           year=year, years=years, query=query)

    def signatures_xlsx(self, request: Request) -> Response:
        from ..signatures import write_signatures_xlsx

        pupils, incomplete, _, _ = self._pupils(request)
        name = "ontbrekend.xlsx" if incomplete else "handtekeningen.xlsx"  # the whole list is not only who is missing
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / name
            write_signatures_xlsx(pupils, target, self.spec)
            data = target.read_bytes()
        return download(data, name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
