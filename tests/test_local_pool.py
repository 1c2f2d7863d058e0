"""The local process pool (oppforms.executor.LocalPool) when a page kills the process
reading it: the page is read again alone, given up after three deaths, and its file ends
``malformed`` while the rest of the batch is read as without it; nothing else is lost.

Processes are killed on purpose here: by a function of this module that kills the process
it runs in on one item, and by a page reader patched in this process before the pool forks
its workers (so they inherit it).
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import shutil
import signal
from pathlib import Path

import pytest

from benchmarks.scangen import Batch, Scenario, generate
from oppforms.executor import LocalPool, Lost
from oppforms.extract import extract_many
from oppforms.extract import run as extract_run
from oppforms.records import FileStatus
from oppforms.scan import pipeline, read_scanned_files
from oppforms.spec import FormSpec

from .test_scan import Reading, uniform_record

SCENARIO = Scenario(forms=2, dpi=200, profile="office", seed=12, handwriting_pages=0.3, long_text=False)

fork_only = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the patched page reader reaches the pool's workers only when they are forked",
)


def _square_or_die(item: int, attempts: str) -> int:
    """``item`` squared; item 3 kills the process it runs in (each try noted in ``attempts``)."""
    with open(attempts, "a", encoding="utf-8") as fh:
        fh.write(f"{item}\n")
    if item == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return item * item


def test_an_item_that_kills_its_process_is_lost_after_three_deaths_and_the_others_all_come_back(tmp_path: Path) -> None:
    attempts = tmp_path / "attempts.txt"
    out = list(LocalPool(2).run(_square_or_die, range(20), common=str(attempts)))
    assert [x for i, x in enumerate(out) if i != 3] == [i * i for i in range(20) if i != 3]
    assert isinstance(out[3], Lost) and out[3].died and "3 times" in out[3].reason
    tries = attempts.read_text(encoding="utf-8").split()
    assert tries.count("3") == 3  # once in the pool, then twice alone
    assert set(tries) == {str(i) for i in range(20)}


@pytest.fixture(scope="module")
def batch(spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    out = tmp_path_factory.mktemp("pool-scans")
    return generate(SCENARIO, out, spec=spec, records=[uniform_record(i + 1, spec) for i in range(SCENARIO.forms)])


def _read_page_or_die(real, ref, settings):  # type: ignore[no-untyped-def]
    """The page reader, except that a page of bad.pdf kills the worker process reading it."""
    if Path(ref.path).name == "bad.pdf":
        assert multiprocessing.parent_process() is not None, "only a worker process may be killed"
        os.kill(os.getpid(), signal.SIGKILL)
    return real(ref, settings)


def as_json(results: list, review: Path) -> str:  # type: ignore[type-arg]
    return json.dumps([r.to_json() for res in results for r in res.records], ensure_ascii=False).replace(str(review), "REVIEW")


@fork_only
def test_a_scanned_file_whose_page_kills_the_pool_is_malformed_and_the_batch_goes_on(
    batch: Batch, spec: FormSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract_run, "scanned_reader", lambda: functools.partial(read_scanned_files, ocr=Reading))
    good = tmp_path / "good.pdf"
    bad = tmp_path / "bad.pdf"
    shutil.copy(batch.pdf, good)
    shutil.copy(batch.pdf, bad)
    alone = list(extract_many([good], issued=batch.issued, spec=spec, review_dir=tmp_path / "alone"))
    monkeypatch.setattr(pipeline, "read_page", functools.partial(_read_page_or_die, pipeline.read_page))
    results = list(extract_many([bad, good], jobs=2, issued=batch.issued, spec=spec, review_dir=tmp_path / "pool"))
    assert [r.source for r in results] == [str(bad), str(good)]
    assert results[0].status is FileStatus.MALFORMED and not results[0].records
    assert "bad.pdf page 1" in results[0].reason and "died" in results[0].reason
    assert results[1].status is alone[0].status
    assert as_json(results[1:], tmp_path / "pool") == as_json(alone, tmp_path / "alone")
