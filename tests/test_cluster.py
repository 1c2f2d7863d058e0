"""Reading on a Dask cluster (issue 12): a LocalCluster of two worker processes.

The scans come from the benchmark's generator and are "read" by the fake OCR engine of
test_scan.py (the real engine is not what is tested here, the seam is): the same records
as a local run, a worker killed mid-run, a page that kills every worker, files shipped
to workers that cannot see them, and workers with another version refused.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the cluster tests need Dask distributed (pip install 'oppforms[cluster]')")

from benchmarks.scangen import Batch, Scenario, generate  # noqa: E402
from oppforms import cli  # noqa: E402
from oppforms.errors import InputError, MissingDependencyError, UsageError  # noqa: E402
from oppforms.executor import DaskExecutor, check_workers, connect  # noqa: E402
from oppforms.extract import extract_many  # noqa: E402
from oppforms.extract import run as extract_run  # noqa: E402
from oppforms.records import FileStatus, Record  # noqa: E402
from oppforms.scan import read_scanned, read_scanned_files  # noqa: E402
from oppforms.scan.assemble import assemble  # noqa: E402
from oppforms.scan.images import list_pages  # noqa: E402
from oppforms.scan.pipeline import load_issued, read_pages  # noqa: E402
from oppforms.scan.results import Settings  # noqa: E402
from oppforms.scan.versions import installed  # noqa: E402
from oppforms.spec import FormSpec  # noqa: E402

from .test_scan import Reading, uniform_record  # noqa: E402

SCENARIO = Scenario(forms=2, dpi=200, profile="office", seed=12, handwriting_pages=0.3, long_text=False)


@pytest.fixture(scope="module")
def batch(spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    out = tmp_path_factory.mktemp("cluster-scans")
    return generate(SCENARIO, out, spec=spec, records=[uniform_record(i + 1, spec) for i in range(SCENARIO.forms)])


@pytest.fixture(scope="module")
def local(batch: Batch, spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Record], Path]:
    review = tmp_path_factory.mktemp("local-review")
    return read_scanned(batch.pdf, spec, issued=batch.issued, review_dir=review, ocr=Reading), review


@pytest.fixture(scope="module")
def cluster() -> DaskExecutor:
    with connect("local:2", prepare=_prepare) as executor:
        yield executor


@pytest.fixture(scope="module")
def two_pages(batch: Batch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first two pages of the scans, as a scanner PDF of their own."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(batch.pdf).pages[:2]:
        writer.add_page(page)
    path = tmp_path_factory.mktemp("two-pages") / "scan-two.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def as_json(records: list[Record], review: Path) -> str:
    """The records as the contract writes them, the review folder's path left out."""
    return json.dumps([r.to_json() for r in records], ensure_ascii=False).replace(str(review), "REVIEW")


def crops(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def worker_pids(executor: DaskExecutor) -> dict[str, int]:
    return executor.each_worker(os.getpid)


# ---------------------------------------------------------------------------------------
# Functions run in the workers (importable, so the workers find them by name)

_BLOCKED: list[str] = []
_PREPARED: list[int] = []


def _prepare() -> None:
    """What the workers run when they start (the product's loads the OCR engine)."""
    _PREPARED.append(os.getpid())


def _prepared() -> bool:
    return _PREPARED == [os.getpid()]


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _BLOCKED and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.abspath(os.fsdecode(args[0]))  # type: ignore[arg-type]
        if any(path.startswith(folder) for folder in _BLOCKED):
            raise PermissionError(f"this worker cannot see {path}")


def _hide(folder: str) -> None:
    """From now on this process cannot open files in ``folder`` (storage it does not share)."""
    if not getattr(sys, "_oppforms_test_audit", False):
        sys.addaudithook(_audit)
        sys._oppforms_test_audit = True  # type: ignore[attr-defined]
    _BLOCKED.append(os.path.abspath(folder))
    from oppforms.scan import images

    while images._OPEN:  # nor has it the scanner PDF open from an earlier test
        images._OPEN.pop()[1].close()


def _unhide() -> None:
    _BLOCKED.clear()


def _killer() -> Reading:
    """An OCR engine factory whose every use kills the process it runs in."""
    os.kill(os.getpid(), signal.SIGKILL)
    return Reading()


def _other_version(version: str) -> str:
    from oppforms import _version

    old = _version.__version__
    _version.__version__ = version
    return old


# ---------------------------------------------------------------------------------------
# Tests


def test_a_cluster_of_two_workers_gives_the_same_records_and_crops_as_a_local_run(
    batch: Batch, spec: FormSpec, local: tuple[list[Record], Path], cluster: DaskExecutor, tmp_path: Path
) -> None:
    records = read_scanned(batch.pdf, spec, issued=batch.issued, review_dir=tmp_path, ocr=Reading, executor=cluster)
    assert as_json(records, tmp_path) == as_json(local[0], local[1])
    assert any(r.review for r in records)  # the comparison covers review items and their crops
    assert crops(tmp_path) == crops(local[1])


def test_a_worker_killed_mid_run_costs_time_not_records(
    batch: Batch, spec: FormSpec, local: tuple[list[Record], Path], cluster: DaskExecutor, tmp_path: Path
) -> None:
    registry = load_issued(batch.issued, spec)
    settings = Settings(spec=spec, issued=registry, review_dir=str(tmp_path))
    before = worker_pids(cluster)
    victim = next(iter(before.values()))
    results = []
    for result in read_pages(list_pages(batch.pdf), settings, jobs=1, ocr=Reading, executor=cluster):
        results.append(result)
        if len(results) == 2:
            os.kill(victim, signal.SIGKILL)  # its pages in flight are read again elsewhere
    records = assemble(results, spec, issued=registry, alphabet=None)
    assert as_json(records, tmp_path) == as_json(local[0], local[1])
    cluster.client.wait_for_workers(2, timeout=180)
    assert victim not in worker_pids(cluster).values()  # the worker was really lost (and replaced)
    assert all(cluster.each_worker(_prepared).values())  # the new worker was prepared when it started, once


def test_files_are_shipped_to_workers_that_cannot_see_them(
    batch: Batch,
    spec: FormSpec,
    local: tuple[list[Record], Path],
    cluster: DaskExecutor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = str(batch.pdf.parent)
    cluster.each_worker(functools.partial(_hide, folder))
    monkeypatch.setattr(extract_run, "scanned_reader", lambda: functools.partial(read_scanned_files, ocr=Reading))
    try:
        with pytest.raises(InputError, match="--ship"):  # the workers really cannot read the scans from their paths
            read_scanned(batch.pdf, spec, issued=batch.issued, review_dir=tmp_path / "a", ocr=Reading, executor=cluster)
        # the whole extract: the file's first look in a sandbox on a worker, then its pages
        shipping = replace(cluster, ship=True)
        results = list(extract_many([batch.pdf], issued=batch.issued, spec=spec, review_dir=tmp_path / "b", executor=shipping))
    finally:
        cluster.each_worker(_unhide)
    assert [r.source for r in results] == [str(batch.pdf)]
    assert as_json(list(results[0].records), tmp_path / "b") == as_json(local[0], local[1])


def test_a_page_that_kills_every_worker_it_runs_on_makes_its_file_malformed(
    two_pages: Path, batch: Batch, spec: FormSpec, cluster: DaskExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the scanned-forms seam of extract, with an engine that kills the worker reading a page
    monkeypatch.setattr(extract_run, "scanned_reader", lambda: functools.partial(read_scanned_files, ocr=_killer))
    results = list(extract_many([two_pages], issued=batch.issued, spec=spec, executor=cluster))
    assert [r.status for r in results] == [FileStatus.MALFORMED]
    assert "died" in results[0].reason and two_pages.name in results[0].reason
    cluster.client.wait_for_workers(2, timeout=180)  # the next test gets both back


def test_workers_with_another_oppforms_version_are_refused_before_a_run(
    batch: Batch, cluster: DaskExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster.client.wait_for_workers(2, timeout=180)
    assert set(check_workers(cluster, installed)) == set(worker_pids(cluster))  # all the same: accepted
    worker = sorted(worker_pids(cluster))[0]
    old = cluster.client.run(functools.partial(_other_version, "0.0.0+other"), workers=[worker])[worker]
    try:
        with pytest.raises(MissingDependencyError) as caught:
            check_workers(cluster, installed)
        assert worker in str(caught.value) and "oppforms 0.0.0+other" in str(caught.value)
        with pytest.raises(SystemExit) as exited:
            cli.main(["extract", str(batch.pdf), "--issued", str(batch.issued), "--cluster", cluster.client.scheduler.address])
        assert exited.value.code == 5
        assert "differ" in capsys.readouterr().err
    finally:
        cluster.client.run(functools.partial(_other_version, old), workers=[worker])


def test_without_dask_installed_a_cluster_run_says_what_to_install(
    batch: Batch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    with pytest.raises(SystemExit) as exited:
        cli.main(["extract", str(batch.pdf), "--cluster", "local:2"])
    assert exited.value.code == 5
    assert "pip install 'oppforms[cluster]'" in capsys.readouterr().err


@pytest.mark.parametrize("address", ["nonsense", "local:0", "local:x", "http://host:8786", "tcp://host"])
def test_an_address_that_is_no_scheduler_nor_local_n_is_a_usage_error(address: str) -> None:
    with pytest.raises(UsageError, match="--cluster"):
        connect(address)


def test_ship_without_a_cluster_is_a_usage_error(batch: Batch, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["extract", str(batch.pdf), "--ship"])
    assert exited.value.code == 2 and "--ship needs --cluster" in capsys.readouterr().err


def test_a_shipped_page_is_the_same_image_as_the_page_in_its_file(batch: Batch, tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    from oppforms.scan.images import load_page, page_bytes

    refs = list_pages(batch.pdf)
    for ref in (refs[0], refs[-1]):
        shipped = replace(ref, load_from=page_bytes(ref))
        assert len(shipped.load_from) < batch.pdf.stat().st_size / 2  # the page alone, not the file
        assert np.array_equal(load_page(shipped), load_page(ref))
    frames = [np.asarray(load_page(r)) for r in refs[:2]]
    tiff = tmp_path / "stack.tif"
    Image.fromarray(frames[0]).save(tiff, save_all=True, append_images=[Image.fromarray(frames[1])])
    second = list_pages(tiff)[1]
    assert np.array_equal(load_page(replace(second, load_from=page_bytes(second))), load_page(second))


def test_a_page_a_worker_cannot_open_is_refused_naming_the_page_as_the_client_knows_it(batch: Batch) -> None:
    from oppforms.scan.images import PageRefused, load_page

    ref = replace(list_pages(batch.pdf)[2], load_from="/nowhere/scan.pdf")
    with pytest.raises(PageRefused, match=rf"^{batch.pdf.name} page 3: the worker cannot open the file"):
        load_page(ref)


def test_archive_add_reads_on_the_cluster_named_by_the_environment_and_archives_what_a_local_run_does(
    batch: Batch,
    cluster: DaskExecutor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from distributed import get_task_stream

    from oppforms.archive import init_archive

    monkeypatch.setattr(extract_run, "scanned_reader", lambda: functools.partial(read_scanned_files, ocr=Reading))

    def archive_add(folder: Path) -> list[tuple[str, str]]:
        init_archive(folder, organization="Het Voorbeeld College")
        with pytest.raises(SystemExit) as exited:
            cli.main(["archive", "add", str(folder), str(batch.pdf), "--issued", str(batch.issued), "--json"])
        assert exited.value.code in (0, None), capsys.readouterr().err
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        return sorted((r["document"], r["status"]) for r in lines)

    here = archive_add(tmp_path / "here")
    monkeypatch.setenv("OPPFORMS_CLUSTER", cluster.client.scheduler.address)
    with get_task_stream(cluster.client) as stream:
        there = archive_add(tmp_path / "there")
    assert sorted(document for document, _ in here) == sorted(batch.forms) and "added" in {s for _, s in here}
    assert there == here
    assert len(stream.data) >= len(list_pages(batch.pdf))  # its pages were read on the workers
