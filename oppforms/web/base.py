"""What every page of ``oppforms serve`` shares: the upload limits, the settings, the state
(workspace, spec, job runner, templates) and small request helpers. The pages themselves are
in :mod:`.pages_fill`, :mod:`.pages_review` and :mod:`.pages_archive`; :mod:`.app` puts them
together with the routes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..spec import FormSpec, current_spec
from ..workspace import Workspace
from . import texts
from .jobs import JobRunner

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


class Pages:
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
        self.env.filters["tijd"] = local_time
        self.env.globals.update(htmx=HTMX, status=texts.status, reason=texts.reason, fill_status=texts.fill_status,
                                job_state=texts.JOB_STATE, job_kind=texts.JOB_KIND, job_page=texts.JOB_PAGE,
                                archive_status=texts.ARCHIVE_STATUS, label=self.label)
        self.labels = {f.name: f.label for f in self.spec.fields}

    def label(self, field: str | None) -> str:
        return self.labels.get(field or "", field or "het hele formulier")

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        page = self.env.get_template(template).render(path=request.url.path, **context)
        return HTMLResponse(page, status_code=status_code)


def suffix_of(filename: str, allowed: tuple[str, ...]) -> str | None:
    """The suffix the stored copy gets: the name's extension when it is one of
    ``allowed`` (the name itself is never used as a path)."""
    suffix = Path(filename.replace("\\", "/")).suffix.lower()
    return suffix if suffix in allowed else None


async def read_bounded(upload: UploadFile) -> bytes | None:
    limit = MAX_FILE_MB * 1024 * 1024
    if upload.size is not None and upload.size > limit:
        return None
    data = await upload.read(limit + 1)
    return None if len(data) > limit else data


def download(data: bytes, name: str, media_type: str) -> Response:
    return Response(data, media_type=media_type, headers={"content-disposition": f'attachment; filename="{name}"'})


def as_int(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else (value if isinstance(value, int) else None)


def after_field(message: str, path: str, row: int, field: str | None = None) -> str:
    """The reason part of a library message ("FILE, row N, FIELD: reason")."""
    text = message.replace(path, "")
    for lead in (f", row {row}, {field}: " if field else None, f", row {row}: "):
        if lead and lead in text:
            return texts.reason(text.split(lead, 1)[1])
    return texts.reason(text)


def local_time(iso: str) -> str:
    """A stored UTC time as this computer's local time, the Dutch way (``6-12-2026 09:19``)."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if len(iso) == 10:  # a day, no time (the archive's index): not midnight
        return f"{moment.day}-{moment.month}-{moment.year}"
    moment = moment.astimezone()
    return f"{moment.day}-{moment.month}-{moment.year} {moment:%H:%M}"


def certainty(item: Any) -> dict[str, str]:
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


def page_png(workspace: Workspace, path: Path, page: int) -> bytes | None:
    """Page ``page`` of a returned file as a PNG (:func:`oppforms.review.page_preview_png`);
    ``path`` must be a stored upload of the workspace."""
    from ..review import page_preview_png

    uploads = (workspace.root / "uploads").resolve()
    if not path.resolve().is_relative_to(uploads) or not path.is_file():
        return None
    return page_preview_png(path, page)
