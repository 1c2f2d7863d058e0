"""The routes of ``oppforms serve``: each parses the request, calls the library (the same
calls the command line makes) and renders a template. Nothing here fills, reads or
judges a form.

Routes are part of the contract (people bookmark them): ``/`` overview, ``/invullen``,
``/terug``, ``/controleren``, ``/handtekeningen``, ``/export``.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..spec import FieldKind, FormSpec, current_spec
from ..workspace import Workspace
from . import texts
from .jobs import JobRunner
from .security import Guard

#: Limits on what may be uploaded at once.
MAX_FILE_MB = 50
MAX_FILES = 200
MAX_BODY_MB = 200
DATA_SUFFIXES = (".csv", ".xlsx", ".json", ".jsonl", ".txt")
RETURNED_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
LATER_REASONS = ("onleesbaar", "navragen bij de mentor", "het papieren formulier nodig", "anders")
HTMX = "htmx-2.0.11.min.js"


@dataclass(frozen=True, slots=True)
class Settings:
    workspace: Path
    token: str
    port: int


class WebApp:
    """The app's state: the workspace, the spec, the job runner and the templates.

    Routes that only read (and may read a lot: a preview, an export) are plain functions,
    which Starlette runs in its thread pool, so the server keeps answering meanwhile; routes
    that take a form are coroutines (the body is read asynchronously)."""

    def __init__(self, settings: Settings, spec: FormSpec | None = None) -> None:
        self.settings = settings
        self.spec = spec or current_spec()
        self.workspace = Workspace(settings.workspace)
        self.workspace.stop_unfinished_jobs()
        self.jobs = JobRunner(self.workspace, self.spec)
        self.env = Environment(
            loader=PackageLoader("oppforms.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["tijd"] = _local_time
        self.env.globals.update(htmx=HTMX, status=texts.status, reason=texts.reason, fill_status=texts.fill_status,
                                job_state=texts.JOB_STATE, archive_status=texts.ARCHIVE_STATUS, label=self.label)
        self.labels = {f.name: f.label for f in self.spec.fields}

    def label(self, field: str | None) -> str:
        return self.labels.get(field or "", field or "het hele formulier")

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        page = self.env.get_template(template).render(path=request.url.path, **context)
        return HTMLResponse(page, status_code=status_code)

    # -- overview --------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        from ..issued import read_issued
        from ..signatures import signature_overview

        ws = self.workspace
        records = ws.records(self.spec)
        pupils = signature_overview((r.corrected for r in records), self.spec)
        return self.render(
            request,
            "home.html",
            issued=len({str(e["document"]) for e in read_issued(ws.issued_dir)}),
            returned=len(ws.returned_files()),
            forms=len(records),
            open_items=len(ws.queue(self.spec)),
            complete=sum(p.complete for p in pupils),
            pupils=len(pupils),
            jobs=ws.jobs(limit=8),
            history=ws.history(12),
        )

    # -- invullen -------------------------------------------------------------------

    def fill_page(self, request: Request) -> Response:
        return self.render(request, "invullen.html", jobs=self.workspace.jobs("fill"), error="")

    async def fill_upload(self, request: Request) -> Response:
        try:
            return await self._fill_upload(request)
        except HTTPException:  # the multipart parser refused: more than one file
            return self.render(request, "invullen.html", 400, jobs=self.workspace.jobs("fill"),
                               error="Kies één bestand tegelijk.")

    async def _fill_upload(self, request: Request) -> Response:
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("bestand")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return self.render(request, "invullen.html", 400, jobs=self.workspace.jobs("fill"),
                                   error="Kies eerst een bestand (Excel, CSV of JSON).")
            suffix = _suffix(upload.filename, DATA_SUFFIXES)
            if suffix is None:
                return self.render(request, "invullen.html", 400, jobs=self.workspace.jobs("fill"),
                                   error="Dit soort bestand kan oppforms niet lezen. Kies een Excel-bestand (.xlsx), "
                                         "een CSV-bestand of een JSON-bestand.")
            data = await _read_bounded(upload)
            if data is None:
                return self.render(request, "invullen.html", 413, jobs=self.workspace.jobs("fill"),
                                   error=f"Het bestand is groter dan {MAX_FILE_MB} MB.")
            stored = self.workspace.add_upload("data", upload.filename, suffix, data)
            ignore = form.get("onbekend") == "overslaan"
        return RedirectResponse(f"/invullen/{stored.id}" + ("?onbekend=overslaan" if ignore else ""), status_code=303)

    def fill_preview(self, request: Request) -> Response:
        from ..errors import OppformsError
        from ..intake import ReadOptions, duplicate_verdicts, open_sources
        from ..smart import check_smart
        from ..values import coercer_for

        upload = self.workspace.upload(request.path_params["upload"])
        if upload is None or upload.kind != "data":
            return self.render(request, "niet-gevonden.html", 404)
        ignore = request.query_params.get("onbekend") == "overslaan"
        rows: list[dict[str, Any]] = []
        try:
            readers = open_sources([upload.path], self.spec, ReadOptions(ignore_unknown=ignore))
        except OppformsError as exc:
            return self.render(request, "voorbeeld.html", upload=upload, error=str(exc).replace(str(upload.path), upload.name),
                               rows=[], total=0, good=0, ignore=ignore, notices=[])
        notices = [n.replace(str(upload.path), upload.name) for r in readers for n in r.notices]
        total, verdicts = duplicate_verdicts(readers, self.spec, "error")
        coercer = coercer_for(self.spec)
        good = 0
        for reader in readers:
            for row in reader:
                problems: list[tuple[str, str]] = []
                warnings: list[str] = []
                verdict = verdicts.get((row.source, row.row))
                if row.error is not None or row.raw is None:
                    problems.append((self.labels.get(getattr(row.error, "field", None) or "", ""),
                                     _after_field(str(row.error), str(upload.path), row.row)))
                elif verdict:
                    problems.append((self.label(self.spec.records.key), "dit leerlingnummer staat meer dan één keer in het bestand; geen van deze rijen wordt ingevuld"))
                else:
                    _, errors = coercer.check(row.raw, row=row.row, source=row.source)
                    problems.extend((self.label(e.field), _after_field(str(e), str(upload.path), row.row, e.field))
                                    for e in errors)
                    warnings = [texts.smart(w, self.label(w.field)) for w in check_smart(row.raw, self.spec)]
                good += not problems
                rows.append({"row": row.row, "name": (row.raw or {}).get("leerling.naam", ""),
                             "nummer": (row.raw or {}).get(self.spec.records.key, ""),
                             "problems": problems, "warnings": warnings})
            reader.close()
        return self.render(request, "voorbeeld.html", upload=upload, error="", rows=rows, total=total, good=good,
                           ignore=ignore, notices=notices)

    async def fill_start(self, request: Request) -> Response:
        upload = self.workspace.upload(request.path_params["upload"])
        if upload is None or upload.kind != "data":
            return self.render(request, "niet-gevonden.html", 404)
        async with request.form(max_files=0, max_fields=10) as form:
            options = {"overwrite": form.get("vervangen") == "ja", "ignore_unknown": form.get("onbekend") == "overslaan"}
        job = self.workspace.add_job("fill", [upload.id], options)
        self.jobs.submit(job.id)
        return RedirectResponse(f"/invullen/taak/{job.id}", status_code=303)

    def fill_job(self, request: Request) -> Response:
        job = self.workspace.job(request.path_params["job"])
        if job is None or job.kind != "fill":
            return self.render(request, "niet-gevonden.html", 404)
        results = self.workspace.fill_results(job.id)
        folder = self.workspace.job_dir(job.id)
        template = "taak-invullen-voortgang.html" if request.headers.get("hx-request") else "taak-invullen.html"
        uploads = self.workspace.job_uploads(job.id)
        return self.render(request, template, job=job, results=results, upload=uploads[0] if uploads else None,
                           has_print=(folder / "afdrukken.pdf").exists(), has_report=(folder / "verslag.csv").exists(),
                           filled=sum(r["status"] != "failed" for r in results))

    def fill_download(self, request: Request) -> Response:
        job = self.workspace.job(request.path_params["job"])
        if job is None or job.kind != "fill" or job.active:
            return self.render(request, "niet-gevonden.html", 404)
        what = request.path_params["what"]
        folder = self.workspace.job_dir(job.id)
        if what == "formulieren.zip":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for r in self.workspace.fill_results(job.id):
                    if r["status"] != "failed" and r["file"]:
                        path = self.workspace.issued_dir / r["file"]
                        if path.is_file() and path.resolve().is_relative_to(self.workspace.issued_dir.resolve()):
                            archive.write(path, r["file"])
            return _download(buffer.getvalue(), what, "application/zip")
        if what in ("afdrukken.pdf", "verslag.csv") and (folder / what).is_file():
            kind = "application/pdf" if what.endswith(".pdf") else "text/csv; charset=utf-8"
            return _download((folder / what).read_bytes(), what, kind)
        return self.render(request, "niet-gevonden.html", 404)

    # -- terug ----------------------------------------------------------------------

    def returned_page(self, request: Request) -> Response:
        return self.render(request, "terug.html", files=self.workspace.returned_files(), jobs=self.workspace.jobs("read"),
                           error="")

    async def returned_upload(self, request: Request) -> Response:
        try:
            return await self._returned_upload(request)
        except HTTPException:  # the multipart parser refused: too many files or fields
            return self.render(request, "terug.html", 400, files=self.workspace.returned_files(),
                               jobs=self.workspace.jobs("read"),
                               error=f"Dat zijn te veel bestanden tegelijk: kies er hoogstens {MAX_FILES}.")

    async def _returned_upload(self, request: Request) -> Response:
        stored = []
        refused = []
        async with request.form(max_files=MAX_FILES, max_fields=10) as form:
            for item in form.getlist("bestanden"):
                if not isinstance(item, UploadFile) or not item.filename:
                    continue
                suffix = _suffix(item.filename, RETURNED_SUFFIXES)
                data = await _read_bounded(item) if suffix else None
                if suffix is None or data is None:
                    refused.append(item.filename)
                    continue
                stored.append(self.workspace.add_upload("returned", item.filename, suffix, data))
        if not stored:
            error = "Kies eerst de bestanden die terugkwamen (PDF, of scans als PNG, JPEG of TIFF)."
            if refused:
                error = (f"Deze bestanden zijn niet gelezen: {', '.join(refused)}. Alleen PDF, PNG, JPEG en TIFF "
                         f"tot {MAX_FILE_MB} MB per bestand.")
            return self.render(request, "terug.html", 400, files=self.workspace.returned_files(),
                               jobs=self.workspace.jobs("read"), error=error)
        job = self.workspace.add_job("read", [u.id for u in stored], {"refused": refused}, total=len(stored))
        self.jobs.submit(job.id)
        return RedirectResponse(f"/terug/taak/{job.id}", status_code=303)

    def returned_job(self, request: Request) -> Response:
        job = self.workspace.job(request.path_params["job"])
        if job is None or job.kind != "read":
            return self.render(request, "niet-gevonden.html", 404)
        files = self.workspace.returned_files(job.id)
        read = {f.name for f in files}
        waiting = [u.name for u in self.workspace.job_uploads(job.id)][len(files):]
        template = "taak-terug-voortgang.html" if request.headers.get("hx-request") else "taak-terug.html"
        return self.render(request, template, job=job, files=files, waiting=waiting, read=read,
                           refused=job.options.get("refused", []))

    # -- controleren ------------------------------------------------------------------

    def _signature_field(self, field: str | None) -> bool:
        return field is not None and field in self.labels and self.spec.field(field).kind is FieldKind.SIGNATURE

    def review_page(self, request: Request) -> Response:
        notice = "Dat punt was al beslist (twee keer Enter, of in een ander tabblad); er is niets veranderd." \
            if request.query_params.get("al") == "beslist" else ""
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
        if current is not None:
            item = current.record.review[current.index]
            f = self.spec.field(item.field) if item.field in self.labels else None
            value = current.record.fields.get(item.field or "", "") if f is not None else ""
            if f is not None and f.kind is FieldKind.DATE and len(value) == 10 and value[4] == "-":
                value = f"{value[8:10]}-{value[5:7]}-{value[0:4]}"
            context["current"] = {
                "record": current.record_id, "index": current.index, "item": item, "field": f,
                "value": typed if typed is not None else value,
                "original": value, "later": current.later, "certainty": _certainty(item),
                "pupil": current.record.fields.get("leerling.naam", ""), "source": current.record.source,
                "nummer": current.record.fields.get(self.spec.records.key, ""),
            }
        return self.render(request, "controleren.html", status_code, **context)

    async def review_decide(self, request: Request) -> Response:
        from ..review import check_value

        async with request.form(max_files=0, max_fields=20) as form:
            record_id, index = _int(form.get("record")), _int(form.get("item"))
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
        record_id, index = _int(request.path_params["record"]), _int(request.path_params["item"])
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
        return self.render(request, "pagina.html", record_id=request.path_params["record"], index=request.path_params["item"],
                           item=item, page=item.page or 1, source=record.source)

    def review_page_png(self, request: Request) -> Response:
        found = self._review_item(request)
        if found is None:
            return Response(status_code=404)
        record, item = found
        upload = self.workspace.record_upload(int(request.path_params["record"]))
        png = _page_png(self.workspace, upload.path, item.page or 1) if upload else None
        return Response(png, media_type="image/png") if png else Response(status_code=404)

    # -- handtekeningen ------------------------------------------------------------------

    def _pupils(self, request: Request) -> tuple[list[Any], bool]:
        from ..signatures import signature_overview

        pupils = signature_overview((r.corrected for r in self.workspace.records(self.spec)), self.spec)
        incomplete = request.query_params.get("filter") == "onvolledig"
        return ([p for p in pupils if not p.complete] if incomplete else pupils), incomplete

    def signatures_page(self, request: Request) -> Response:
        from ..signatures import box_columns

        pupils, incomplete = self._pupils(request)
        return self.render(request, "handtekeningen.html", pupils=pupils, incomplete=incomplete,
                           columns=box_columns(self.spec))

    def signatures_xlsx(self, request: Request) -> Response:
        from ..signatures import write_signatures_xlsx

        pupils, _ = self._pupils(request)
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "ontbrekend.xlsx"
            write_signatures_xlsx(pupils, target, self.spec)
            data = target.read_bytes()
        return _download(data, "ontbrekend.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    # -- export -------------------------------------------------------------------------

    def export_page(self, request: Request) -> Response:
        records = self.workspace.records(self.spec)
        return self.render(request, "export.html", forms=len(records),
                           open_items=sum(len(r.corrected.review) for r in records))

    def export_download(self, request: Request) -> Response:
        from ..exports import open_writer

        fmt = request.path_params["fmt"]
        if fmt not in ("xlsx", "csv"):
            return self.render(request, "niet-gevonden.html", 404)
        name = f"opp-terug.{fmt}"
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / name
            with open_writer(target, self.spec) as writer:
                for stored in self.workspace.records(self.spec):
                    writer.write(stored.corrected)
            data = target.read_bytes()
        kinds = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}
        return _download(data, name, kinds[fmt])

    # -- archief -----------------------------------------------------------------------

    def _archive_rows(self) -> list[Any] | None:
        """The archive's packages, or None when the workspace has no archive yet."""
        from ..archive import index_rows
        from ..errors import InputError

        try:
            return index_rows(self.workspace.archive_dir)
        except InputError:
            return None

    def archive_page(self, request: Request, *, error: str = "", report: Any = None, status_code: int = 200) -> Response:
        records = self.workspace.records(self.spec)
        return self.render(request, "archief.html", status_code, rows=self._archive_rows(), error=error, report=report,
                           ready=sum(not r.corrected.review for r in records),
                           waiting=sum(bool(r.corrected.review) for r in records), jobs=self.workspace.jobs("archive"))

    async def archive_init(self, request: Request) -> Response:
        from ..archive import init_archive

        async with request.form(max_files=0, max_fields=10) as form:
            organization = str(form.get("school") or "").strip()
            years = str(form.get("jaren") or "2").strip()
        if not organization or not years.isdigit() or not 1 <= int(years) <= 100:
            return self.archive_page(request, error="Vul de naam van de school in, en een bewaartermijn van 1 tot 100 jaar.",
                                     status_code=400)
        if self._archive_rows() is None:
            init_archive(self.workspace.archive_dir, organization=organization, retention_years=int(years))
            self.workspace.log(f"archief aangemaakt (bewaartermijn {years} jaar)")
        return RedirectResponse("/archief", status_code=303)

    async def archive_start(self, request: Request) -> Response:
        if self._archive_rows() is None:
            return RedirectResponse("/archief", status_code=303)
        job = self.workspace.add_job("archive", [], {})
        self.jobs.submit(job.id)
        return RedirectResponse(f"/archief/taak/{job.id}", status_code=303)

    def archive_job(self, request: Request) -> Response:
        job = self.workspace.job(request.path_params["job"])
        if job is None or job.kind != "archive":
            return self.render(request, "niet-gevonden.html", 404)
        template = "taak-archief-voortgang.html" if request.headers.get("hx-request") else "taak-archief.html"
        return self.render(request, template, job=job, results=self.workspace.archive_results(job.id))

    def archive_verify(self, request: Request) -> Response:
        from ..archive import verify

        if self._archive_rows() is None:
            return RedirectResponse("/archief", status_code=303)
        return self.archive_page(request, report=verify(self.workspace.archive_dir))

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.render(request, "niet-gevonden.html", 404)

    def routes(self) -> list[Route | Mount]:
        static = StaticFiles(packages=[("oppforms.web", "static")])
        return [
            Route("/", self.home),
            Route("/invullen", self.fill_page),
            Route("/invullen", self.fill_upload, methods=["POST"]),
            Route("/invullen/taak/{job:str}", self.fill_job),
            Route("/invullen/taak/{job:str}/{what:str}", self.fill_download),
            Route("/invullen/{upload:str}", self.fill_preview),
            Route("/invullen/{upload:str}/start", self.fill_start, methods=["POST"]),
            Route("/terug", self.returned_page),
            Route("/terug", self.returned_upload, methods=["POST"]),
            Route("/terug/taak/{job:str}", self.returned_job),
            Route("/controleren", self.review_page),
            Route("/controleren", self.review_decide, methods=["POST"]),
            Route("/controleren/handtekeningen", self.review_signatures, methods=["POST"]),
            Route("/controleren/ongedaan", self.review_undo, methods=["POST"]),
            Route("/controleren/{record:int}/{item:int}/uitsnede.png", self.review_crop),
            Route("/controleren/{record:int}/{item:int}/pagina", self.review_page_image),
            Route("/controleren/{record:int}/{item:int}/pagina.png", self.review_page_png),
            Route("/handtekeningen", self.signatures_page),
            Route("/handtekeningen/ontbrekend.xlsx", self.signatures_xlsx),
            Route("/archief", self.archive_page),
            Route("/archief/aanmaken", self.archive_init, methods=["POST"]),
            Route("/archief/archiveren", self.archive_start, methods=["POST"]),
            Route("/archief/controleren", self.archive_verify, methods=["POST"]),
            Route("/archief/taak/{job:str}", self.archive_job),
            Route("/export", self.export_page),
            Route("/export/opp-terug.{fmt:str}", self.export_download),
            Mount("/static", app=static, name="static"),
        ]


def create_app(settings: Settings, spec: FormSpec | None = None) -> tuple[Guard, WebApp]:
    """The ASGI app behind its guard (see :mod:`.security`), and the state for tests and
    the server (whose shutdown stops the job runner)."""
    web = WebApp(settings, spec)
    app = Starlette(routes=web.routes(), exception_handlers={404: web.not_found})
    guard = Guard(app, token=settings.token, port=settings.port, max_body=MAX_BODY_MB * 1024 * 1024)
    return guard, web


# ---------------------------------------------------------------------------------------
# helpers


def _suffix(filename: str, allowed: tuple[str, ...]) -> str | None:
    """The suffix the stored copy gets: the name's extension when it is one of
    ``allowed`` (the name itself is never used as a path)."""
    suffix = Path(filename.replace("\\", "/")).suffix.lower()
    return suffix if suffix in allowed else None


async def _read_bounded(upload: UploadFile) -> bytes | None:
    limit = MAX_FILE_MB * 1024 * 1024
    if upload.size is not None and upload.size > limit:
        return None
    data = await upload.read(limit + 1)
    return None if len(data) > limit else data


def _download(data: bytes, name: str, media_type: str) -> Response:
    return Response(data, media_type=media_type, headers={"content-disposition": f'attachment; filename="{name}"'})


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else (value if isinstance(value, int) else None)


def _after_field(message: str, path: str, row: int, field: str | None = None) -> str:
    """The reason part of a library message ("FILE, row N, FIELD: reason")."""
    text = message.replace(path, "")
    for lead in (f", row {row}, {field}: " if field else None, f", row {row}: "):
        if lead and lead in text:
            return texts.reason(text.split(lead, 1)[1])
    return texts.reason(text)


def _local_time(iso: str) -> str:
    """A stored UTC time as this computer's local time, the Dutch way (``6-12-2026 09:19``)."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    return f"{moment.day}-{moment.month}-{moment.year} {moment:%H:%M}"


def _certainty(item: Any) -> dict[str, str]:
    """How sure the reader was, as a word (and a colour beside it): ``laag`` for a missing
    or unmatched page and a scan that disagrees with what was issued, ``redelijk`` for the
    mildest reasons (a line end that may be an Enter), ``twijfel`` for everything else."""
    from ..review import severity_of
    from ..scan.report import SEVERITY

    level = severity_of(item)
    if level <= 3:
        return {"word": "laag", "css": "laag"}
    if len(SEVERITY) - 3 <= level < len(SEVERITY):
        return {"word": "redelijk", "css": "redelijk"}
    return {"word": "twijfel", "css": "twijfel"}


def _page_png(workspace: Workspace, path: Path, page: int) -> bytes | None:
    """Page ``page`` of a returned file as a PNG (:func:`oppforms.review.page_preview_png`);
    ``path`` must be a stored upload of the workspace."""
    from ..review import page_preview_png

    uploads = (workspace.root / "uploads").resolve()
    if not path.resolve().is_relative_to(uploads) or not path.is_file():
        return None
    return page_preview_png(path, page)
