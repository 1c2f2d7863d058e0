"""The pages that take the records out: ``/export`` (the corrected records as a file) and
``/archief`` (the archive: create, add, verify)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..workspace import Workspace
from .base import Pages, download


class ArchivePages(Pages):
    """``/export`` and ``/archief``."""

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
            names = self.workspace.upload_names()
            with open_writer(target, self.spec) as writer:
                for stored in self.workspace.records(self.spec):
                    writer.write(_as_given(stored.corrected, names))
            data = target.read_bytes()
        kinds = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}
        return download(data, name, kinds[fmt])

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
        if report is None and request.query_params.get("controle") == "1" and self._archive_rows() is not None:
            from ..archive import verify

            report = verify(self.workspace.archive_dir)  # it only reads (and finishes what an interruption left)
        records = self.workspace.records(self.spec)
        archived = self.workspace.archived_records()
        done = {r.id for r in records if Workspace.is_archived(r, archived)}
        return self.render(request, "archief.html", status_code, rows=self._archive_rows(), error=error, report=report,
                           ready=sum(not r.corrected.review and r.id not in done for r in records),
                           archived=len(done),
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
        key = self.spec.records.key
        pupils = {r.id: r.corrected.fields.get(key, "") for r in self.workspace.records(self.spec)}
        return self.render(request, template, job=job, results=self.workspace.archive_results(job.id), pupils=pupils)

    def archive_verify(self, request: Request) -> Response:
        """The check's result is shown by a page of its own address (``?controle=1``), so
        back, forward and reload never send the form again (as every other button)."""
        return RedirectResponse("/archief?controle=1" if self._archive_rows() is not None else "/archief",
                                status_code=303)


def _as_given(record: Any, names: dict[str, str]) -> Any:
    """``record`` with the stored uploads it names (its pages' files, in its warnings and
    review reasons) named as they were given: the workspace keeps the stored paths, so the
    archive finds each page's file; what leaves the web app shows the names people know."""
    from dataclasses import replace

    from ..workspace import Workspace

    def shown(text: str) -> str:
        return Workspace.shown(text, names)

    return replace(
        record,
        source=shown(record.source),
        pages=tuple(replace(p, source=shown(p.source)) for p in record.pages),
        warnings=tuple(shown(w) for w in record.warnings),
        review=tuple(replace(item, reason=shown(item.reason)) for item in record.review),
    )
