"""The pages that send forms out and take them back: ``/invullen`` (data in, a preview, a
fill job, its files) and ``/terug`` (returned files in, a reading job)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import base as limits
from . import texts
from .base import DATA_SUFFIXES, RETURNED_SUFFIXES, Pages, after_field, download, read_bounded, suffix_of


class FillPages(Pages):
    """``/invullen`` and ``/terug``."""

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
            suffix = suffix_of(upload.filename, DATA_SUFFIXES)
            if suffix is None:
                return self.render(request, "invullen.html", 400, jobs=self.workspace.jobs("fill"),
                                   error="Dit soort bestand kan oppforms niet lezen. Kies een Excel-bestand (.xlsx), "
                                         "een CSV-bestand of een JSON-bestand.")
            data = await read_bounded(upload)
            if data is None:
                return self.render(request, "invullen.html", 413, jobs=self.workspace.jobs("fill"),
                                   error=f"Het bestand is groter dan {limits.MAX_FILE_MB} MB.")
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
                               rows=[], total=0, good=0, ignore=ignore, notices=[], keyless=[])
        notices = [n.replace(str(upload.path), upload.name) for r in readers for n in r.notices]
        total, verdicts = duplicate_verdicts(readers, self.spec, "error")
        coercer = coercer_for(self.spec)
        good = 0
        keyless: list[int] = []  # rows without a leerlingnummer: named by their row, not found by number later
        for reader in readers:
            for row in reader:
                problems: list[tuple[str, str]] = []
                warnings: list[str] = []
                verdict = verdicts.get((row.source, row.row))
                if row.error is not None or row.raw is None:
                    problems.append((self.labels.get(getattr(row.error, "field", None) or "", ""),
                                     after_field(str(row.error), str(upload.path), row.row)))
                elif verdict:
                    problems.append((self.label(self.spec.records.key), "dit leerlingnummer staat meer dan één keer in het bestand; geen van deze rijen wordt ingevuld"))
                else:
                    _, errors = coercer.check(row.raw, row=row.row, source=row.source)
                    problems.extend((self.label(e.field), after_field(str(e), str(upload.path), row.row, e.field))
                                    for e in errors)
                    warnings = [texts.smart(w, self.label(w.field)) for w in check_smart(row.raw, self.spec)]
                good += not problems
                if not problems and not str((row.raw or {}).get(self.spec.records.key) or "").strip():
                    keyless.append(row.row)
                rows.append({"row": row.row, "name": (row.raw or {}).get("leerling.naam", ""),
                             "nummer": (row.raw or {}).get(self.spec.records.key, ""),
                             "problems": problems, "warnings": warnings})
            reader.close()
        return self.render(request, "voorbeeld.html", upload=upload, error="", rows=rows, total=total, good=good,
                           ignore=ignore, notices=notices, keyless=keyless)

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
        results = [self._labelled(r) for r in self.workspace.fill_results(job.id)]
        folder = self.workspace.job_dir(job.id)
        template = "taak-invullen-voortgang.html" if request.headers.get("hx-request") else "taak-invullen.html"
        uploads = self.workspace.job_uploads(job.id)
        resumed = job.state == "stopped" and bool(uploads) and any(  # a later fill of the same file went on and ended
            j.created >= job.created and j.id != job.id and j.state == "done"
            and [u.id for u in self.workspace.job_uploads(j.id)] == [uploads[0].id]
            for j in self.workspace.jobs("fill"))
        return self.render(request, template, job=job, results=results, resumed=resumed,
                           upload=uploads[0] if uploads and not resumed else None,
                           has_print=(folder / "afdrukken.pdf").exists(), has_report=(folder / "verslag.csv").exists(),
                           filled=sum(r["status"] != "failed" for r in results))

    _CONTINUED = "continued on added pages: "

    def _labelled(self, result: dict[str, Any]) -> dict[str, Any]:
        """A fill result whose reason names the fields continued on added pages by their
        labels, as the preview does, not by their names."""
        reason = result.get("reason") or ""
        if not reason.startswith(self._CONTINUED):
            return result
        fields = reason[len(self._CONTINUED):].split(", ")
        return {**result, "reason": "", "continued_labels": [self.label(f) for f in fields]}

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
            return download(buffer.getvalue(), what, "application/zip")
        if what in ("afdrukken.pdf", "verslag.csv") and (folder / what).is_file():
            kind = "application/pdf" if what.endswith(".pdf") else "text/csv; charset=utf-8"
            return download((folder / what).read_bytes(), what, kind)
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
                               error=f"Dat zijn te veel bestanden tegelijk: kies er hoogstens {limits.MAX_FILES}.")

    async def _returned_upload(self, request: Request) -> Response:
        stored = []
        refused = []
        async with request.form(max_files=limits.MAX_FILES, max_fields=10) as form:
            for item in form.getlist("bestanden"):
                if not isinstance(item, UploadFile) or not item.filename:
                    continue
                suffix = suffix_of(item.filename, RETURNED_SUFFIXES)
                data = await read_bounded(item) if suffix else None
                if suffix is None or data is None:
                    refused.append(item.filename)
                    continue
                stored.append(self.workspace.add_upload("returned", item.filename, suffix, data))
        if not stored:
            error = "Kies eerst de bestanden die terugkwamen (PDF, of scans als PNG, JPEG of TIFF)."
            if refused:
                error = (f"Deze bestanden zijn niet gelezen: {', '.join(refused)}. Alleen PDF, PNG, JPEG en TIFF "
                         f"tot {limits.MAX_FILE_MB} MB per bestand.")
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
