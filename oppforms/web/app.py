"""The routes of ``oppforms serve``: each parses the request, calls the library (the same
calls the command line makes) and renders a template. Nothing here fills, reads or
judges a form.

Routes are part of the contract (people bookmark them): ``/`` overview, ``/invullen``,
``/terug``, ``/controleren``, ``/handtekeningen``, ``/export``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..spec import FormSpec
from .base import HTMX, MAX_BODY_MB, Settings
from .pages_archive import ArchivePages
from .pages_fill import FillPages
from .pages_review import ReviewPages
from .security import Guard

__all__ = ["HTMX", "Settings", "WebApp", "create_app"]


class WebApp(FillPages, ReviewPages, ArchivePages):
    """The app: every page (one class per part, :class:`~.base.Pages` their shared state),
    the overview and the routes."""

    # -- overview --------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        from ..issued import read_issued
        from ..signatures import signature_overview

        ws = self.workspace
        records = ws.records(self.spec)
        issued = list(read_issued(ws.issued_dir))
        pupils = signature_overview((r.corrected for r in records), self.spec, issued=issued)
        return self.render(
            request,
            "home.html",
            issued=len({str(e["document"]) for e in issued}),
            returned=sum(f.same_as is None for f in ws.returned_files()),  # a file that came again counts once
            forms=len(records),
            open_items=len(ws.queue(self.spec)),
            complete=sum(p.complete for p in pupils),
            pupils=len(pupils),
            jobs=ws.jobs(limit=8),
            history=ws.history(12),
        )

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
            Route("/controleren/uitgegeven", self.review_from_issued, methods=["POST"]),
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
