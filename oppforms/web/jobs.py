"""Background jobs of the web app: filling and reading back run in a thread beside the
server, one at a time, and write their progress to the workspace after every item, so a
page polls it and a reload or a second tab shows the same. A stopped server leaves a
job ``stopped``; filling it again resumes where it stopped (the fill registry skips what
is done).

The work itself is the library's: :func:`oppforms.batch.fill_many` and
:func:`oppforms.extract.extract_many`, the same calls the command line makes.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from pathlib import Path

from typing import TYPE_CHECKING

from ..spec import FormSpec
from ..workspace import Upload, Workspace, record_digest

if TYPE_CHECKING:
    from ..batch import FillResult

log = logging.getLogger(__name__)

#: The reason of a returned file not read again because its bytes came back before (in
#: English, as the library writes reasons; texts.py says it in Dutch). ``date`` is when
#: the earlier file came in (ISO 8601, UTC).
SAME_FILE = "the same file came back before as {name} ({date}); not read again"


class JobRunner:
    """One worker thread taking job ids from a queue. :meth:`stop` asks the running job to
    stop after its current item and does not wait long: the server must stop within
    seconds."""

    def __init__(self, workspace: Workspace, spec: FormSpec) -> None:
        self.workspace = workspace
        self.spec = spec
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, job_id: str) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="oppforms-jobs", daemon=True)
            self._thread.start()
        self._queue.put(job_id)

    def stop(self, timeout: float = 2.0) -> bool:
        """Ask the job to stop; True when the thread ended within ``timeout`` seconds."""
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def wait_idle(self, timeout: float) -> bool:
        """For tests: wait until every submitted job is done."""
        done = threading.Event()

        def check() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=check, daemon=True).start()
        return done.wait(timeout)

    def _work(self) -> None:
        while not self._stop.is_set():
            job_id = self._queue.get()
            try:
                if job_id is None:
                    return
                job = self.workspace.job(job_id)
                if job is None:
                    continue
                self.workspace.update_job(job_id, state="running")
                try:
                    if job.kind == "fill":
                        self._fill(job_id, job.options)
                    elif job.kind == "archive":
                        self._archive(job_id)
                    else:
                        self._read(job_id)
                except Exception as exc:  # a bug or an unreadable input: the job fails, the server goes on
                    log.exception("job %s failed", job_id)
                    self.workspace.update_job(job_id, state="failed", message=type(exc).__name__ + ": " + str(exc))
                    continue
                self.workspace.update_job(job_id, state="stopped" if self._stop.is_set() else "done")
            finally:
                self._queue.task_done()

    def _fill(self, job_id: str, options: dict[str, object]) -> None:
        from ..batch import fill_many, merge_for_print, print_copy_path, write_report
        from ..errors import OppformsError
        from ..intake import ReadOptions, duplicate_verdicts, open_sources, records_from

        ws = self.workspace
        uploads = ws.job_uploads(job_id)
        names = ws.upload_names()
        try:
            readers = open_sources([u.path for u in uploads], self.spec,
                                   ReadOptions(ignore_unknown=bool(options.get("ignore_unknown"))))
        except OppformsError as exc:
            ws.update_job(job_id, state="failed", message=Workspace.shown(str(exc), names))
            return
        total, verdicts = duplicate_verdicts(readers, self.spec, "error")
        ws.update_job(job_id, total=total)
        results = []
        pending: list[tuple[int, FillResult]] = []
        flushed = time.monotonic()
        for position, result in enumerate(
            fill_many(records_from(readers, verdicts), ws.issued_dir, spec=self.spec,
                      overwrite=bool(options.get("overwrite")), print_copies=True), 1
        ):
            result = _renamed(result, names)
            results.append(result)
            pending.append((position, result))
            if len(pending) >= 50 or time.monotonic() - flushed > 0.5:  # progress twice a second
                ws.add_fill_results(job_id, pending)
                pending, flushed = [], time.monotonic()
            if self._stop.is_set():
                break
        ws.add_fill_results(job_id, pending)
        folder = ws.job_dir(job_id)
        write_report(results, folder / "verslag.csv")
        done = [r for r in results if r.status != "failed"]
        if done:
            merge_for_print((print_copy_path(ws.issued_dir, r.document) for r in done), folder / "afdrukken.pdf")
        shutil.rmtree(ws.issued_dir / ".oppforms" / "print", ignore_errors=True)

    def _read(self, job_id: str) -> None:
        """Read the job's uploads, each file in its place in the job. A file whose bytes
        were read before (in another upload), or came earlier in this job, is not read
        again: reading it again would add its forms a second time, beside the ones already
        checked and corrected. It gets a line of its own that says so, and no forms."""
        from ..extract import FileResult, extract_many
        from ..records import FileStatus

        ws = self.workspace
        uploads = ws.job_uploads(job_id)
        ws.update_job(job_id, total=len(uploads))
        # each upload not read again, by its position in the job → the files id of the file
        # read before (None when it is an earlier upload of this job), the position of that
        # earlier upload in this job (-1 when it came in another job), and that upload
        same: dict[int, tuple[int | None, int, Upload]] = {}
        first: dict[str, int] = {}  # SHA-256 → the position of its first upload in this job
        for i, upload in enumerate(uploads):
            before = ws.read_before(upload.id)
            digest = ws.upload_sha256(upload.id)
            if before is not None:
                same[i] = (before[0], -1, before[1])
            elif digest and digest in first:
                same[i] = (None, first[digest], uploads[first[digest]])
            elif digest:
                first[digest] = i
        to_read = [u for i, u in enumerate(uploads) if i not in same]
        crops = ws.job_dir(job_id) / "crops"
        crops.mkdir(parents=True, exist_ok=True)
        results = iter(extract_many([u.path for u in to_read], issued=ws.issued_dir, spec=self.spec, review_dir=crops)
                       if to_read else ())
        file_ids: dict[int, int] = {}  # position in the job → files id
        try:  # one result per file read, in order
            for i, upload in enumerate(uploads):
                if i in same:
                    file_id, earlier_position, earlier = same[i]
                    result = FileResult(str(upload.path), FileStatus.OK,
                                        reason=SAME_FILE.format(name=earlier.name, date=earlier.created))
                    ws.add_returned(job_id, upload, result, i + 1,
                                    same_as=file_id if file_id is not None else file_ids.get(earlier_position))
                else:
                    read = next(results, None)
                    if read is None:
                        break
                    file_ids[i] = ws.add_returned(job_id, upload, read, i + 1)
                if self._stop.is_set():
                    break
        finally:
            close = getattr(results, "close", None)
            if close is not None:  # the generator's own cleanup: stop the worker processes
                close()


    def _archive(self, job_id: str) -> None:
        """Archive every corrected record with nothing left to check (the archive's
        ``add_record``, with the record's stored file as its source; a form archived
        before comes back ``duplicate``)."""
        from ..archive import add_record

        ws = self.workspace
        ready = [r for r in ws.records(self.spec) if not r.corrected.review]
        ws.update_job(job_id, total=len(ready))
        for position, stored in enumerate(ready, 1):
            upload = ws.record_upload(stored.id)
            data = {**stored.corrected.to_json(), "source": str(upload.path) if upload else stored.record.source}
            result = add_record(ws.archive_dir, data, issued=ws.issued_dir, spec=self.spec)
            ws.add_archive_result(job_id, position, stored.id, result, record_digest(stored.corrected))
            if self._stop.is_set():
                break


def _renamed(result: FillResult, names: dict[str, str]) -> FillResult:
    from dataclasses import replace

    return replace(result, source=names.get(result.source, Path(result.source).name), reason=Workspace.shown(result.reason, names))
