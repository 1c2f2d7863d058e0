"""Adding returned forms to the archive: one BagIt package per document.

A package (``packages/<id>/``, an opaque id) is a BagIt bag (RFC 8493) with SHA-256 and
SHA-512 manifests and tag manifests::

    bagit.txt  bag-info.txt  manifest-sha256.txt  manifest-sha512.txt
    tagmanifest-sha256.txt  tagmanifest-sha512.txt
    data/original.pdf      what came back (see :mod:`.originals`)
    data/pdfa.pdf          the PDF/A-2b preservation copy (see :mod:`.preservation`)
    data/record.json       the record as ``extract`` gives it
    data/provenance.json   where it came from, when, how, and what it was issued as

A package is made in ``.staging/<id>/``, recorded in the ledger (with the SHA-256 of both
tag manifests) and only then renamed into ``packages/``; the next command that takes the
lock finishes a rename an interruption left undone, and removes half-made packages. Its
folders are 0700 and its files 0600, whatever the umask.

A form whose document id the archive purged (its retention ended) is not archived again
(``purged``): re-running ``add`` on the same folder each term must not bring deleted data
back, as a package that nobody gives a leaving date again that would never be due.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import InputError, OppformsError
from ..executor import Executor
from ..issued import read_issued
from ..records import Record
from ..spec import FormSpec, current_spec
from . import store as _store
from .originals import Located, ScanIndex, build_original, locate_inputs, source_file
from .preservation import make_pdfa
from .state import PackageState, current, pupil_of, read_record
from .._io import file_sha256
from .store import DIR_MODE, FILE_MODE, Store, make_private, new_package_id, private_dir, utc_now

CHECKSUMS = ("sha256", "sha512")
TAG_MANIFESTS = tuple(f"tagmanifest-{a}.txt" for a in CHECKSUMS)


@dataclass(frozen=True, slots=True)
class AddResult:
    """What became of one form (or of an input file that gave none). ``status``:
    ``added``, ``new version`` (a new package following ``previous``), ``duplicate``
    (already archived as ``package``), ``part of`` (a file whose pages all went into a form
    whose first page is in another file, as phone photos do: that form's result is its
    outcome; ``reason`` names the file), ``purged`` (a package of this document id was
    deleted when its retention ended: not archived again; ``reason`` gives the date), or
    ``failed`` (``reason`` says why, without values). ``purged`` and ``failed`` are forms
    not archived."""

    source: str
    status: str
    package: str = ""
    document: str = ""
    previous: str = ""
    reason: str = ""


def add(
    archive: Path,
    inputs: Iterable[Path],
    *,
    issued: Path | None = None,
    passwords: Sequence[str] = (),
    jobs: int = 1,
    executor: Executor | None = None,
) -> Iterator[AddResult]:
    """Read every input as ``oppforms extract`` does and archive each form found: one
    result per form (and one per input file that gave no form), in input order.
    ``executor`` reads elsewhere (a cluster, :func:`oppforms.executor.connect`) instead of in
    ``jobs`` local processes; the packages are written here."""
    from ..extract import extract_many, find_inputs

    store = Store.open(archive)
    spec = current_spec()
    scans = ScanIndex(passwords=tuple(passwords))
    read_at = utc_now()
    found = find_inputs(inputs)
    paths = locate_inputs([i.path for i in found])  # records show names that are not UTF-8 otherwise
    for result in extract_many(found, jobs=jobs, passwords=passwords, issued=issued, spec=spec, executor=executor):
        if not result.records:
            if result.part_of:  # its pages went into a form another file's result holds: archived with that one
                yield AddResult(result.source, "part of", reason=result.reason)
            else:
                yield AddResult(result.source, "failed", reason=f"{result.status}: {result.reason}" if result.reason else str(result.status))
            continue
        for record in result.records:
            yield add_record(store.root, record, issued=issued, passwords=passwords, read_at=read_at, scans=scans, spec=spec,
                             paths=paths)
        read_at = utc_now()


def add_record(
    archive: Path, record: Record | Mapping[str, Any], *, issued: Path | None = None, passwords: Sequence[str] = (),
    read_at: str = "", scans: ScanIndex | None = None, spec: FormSpec | None = None, paths: Located | None = None,
) -> AddResult:
    """Archive one record (a :class:`~oppforms.records.Record`, or its JSON with the
    review decisions applied, as the web app keeps it); its source file(s) must still be
    where the record says, or, for names that are not UTF-8, where ``paths`` says
    (:data:`~oppforms.archive.originals.Located`). Never raises for a problem of this
    record: the result says."""
    data = record.to_json() if isinstance(record, Record) else dict(record)
    source = str(data.get("source", ""))
    document = str(data.get("document", ""))
    try:
        return _add(Store.open(archive), data, record, issued, passwords, read_at or utc_now(), scans, spec or current_spec(),
                    paths or {})
    except OppformsError as exc:
        return AddResult(source, "failed", document=document, reason=str(exc))


def fingerprint(record: Mapping[str, Any]) -> str:
    """What makes two readings the same document: form, version, document id, every value
    and every signature box (not the file, the method or the review notes)."""
    keep = {k: record.get(k) for k in ("form", "version", "document", "fields", "signed")}
    return hashlib.sha256(_store.canonical(keep)).hexdigest()


def _add(
    store: Store, data: dict[str, Any], record: Any, issued: Path | None, passwords: Sequence[str], read_at: str,
    scans: ScanIndex | None, spec: FormSpec, paths: Located,
) -> AddResult:
    source = str(data.get("source", ""))
    document = str(data.get("document", ""))
    method = str(data.get("method", ""))
    version = str(data.get("version", spec.version))
    try:  # before the work of copying and converting; the check under the lock below decides
        refused = _purged(source, document, current(store))
    except InputError:  # a ledger line being written by another process: the lock will tell
        refused = None
    if refused is not None:
        return refused
    original = build_original(
        record, method=method, source=source, document=document, form_id=spec.form_id, passwords=passwords, scans=scans,
        paths=paths,
    )
    numbers = [p.page for p in original.pages]
    pdfa = make_pdfa(
        original.data, method=method, spec=spec, fields=data.get("fields", {}), document=document,
        form_version=version, passwords=passwords, page_numbers=numbers,
    )
    import pikepdf

    provenance = {
        "source": {"name": Path(source).name, "sha256": _sha_of(source, paths)},
        "sources": [{"name": Path(s).name, "sha256": _sha_of(s, paths)} for s in original.sources],
        "original": {
            "whole_file": original.whole_file,
            "sha256": hashlib.sha256(original.data).hexdigest(),
            "pages": [{"page": p.page, "source": Path(p.source).name, "source_page": p.source_page} for p in original.pages],
        },
        "read_at": read_at,
        "archived_at": "",
        "oppforms_version": __version__,
        "method": method,
        "document": document,
        "form": data.get("form", spec.form_id),
        "form_version": version,
        "issued": _issued_entry(issued, document, original.data) if issued else None,
        "pdfa": {"flavour": "PDF/A-2b", "method": pdfa.method, "notes": list(pdfa.notes), "checked_with": f"pikepdf {pikepdf.__version__}"},
    }
    mine = fingerprint(data)
    pupil = pupil_of(data)
    with store.locked():
        recover(store)
        states = current(store)
        refused = _purged(source, document, states)
        if refused is not None:
            return refused
        same, previous = _earlier(store, states, document, pupil, mine)
        if same:
            return AddResult(source, "duplicate", same, document, reason="this document is archived already, unchanged")
        if previous and document and states[previous].document == document:
            lacking = _lacking_pages(data, read_record(store, previous), spec.page_count)
            if lacking:
                return AddResult(source, "failed", document=document, reason=(
                    f"page(s) {', '.join(map(str, lacking))} of the form are missing from this copy, and package "
                    f"{previous} holds them: not archived as the newer version of that form; add this copy when it "
                    "is whole"))
        pid = new_package_id()
        archived = utc_now()
        provenance["archived_at"] = archived
        stage = store.staging / pid
        _write_bag(store, stage, original.data, pdfa.data, data, provenance, document)
        digests = {name: file_sha256(stage / name) for name in TAG_MANIFESTS}
        store.append({"event": "add", "package": pid, "document": document, "form_version": version,
                      "archived": archived, "tag_digests": digests})
        _rename_in(stage, store.package_dir(pid))
        _inherit(store, states, previous, pid)
    note = ""
    if not pupil:  # no pupil number reaches it: `left --pupil` cannot make it due
        note = (f"no leerlingnummer: give its leaving date with `archive left --document {document}`" if document
                else "no leerlingnummer and no document id: its leaving date cannot be given")
    return AddResult(source, "new version" if previous else "added", pid, document, previous, note)


def _purged(source: str, document: str, states: Mapping[str, PackageState]) -> AddResult | None:
    """The refusal of a form whose document id had a package purged (its retention ended),
    or None. Only the document id can be known: a purge keeps no pupil number."""
    if not document:
        return None
    dates = sorted(s.purged for s in states.values() if s.purged and s.document == document)
    if not dates:
        return None
    return AddResult(source, "purged", document=document,
                     reason=f"document {document} was deleted on {dates[-1]} when its retention ended; it is not archived again")


def _lacking_pages(new: Mapping[str, Any], earlier: Mapping[str, Any], form_pages: int) -> list[int]:
    """The form's pages an earlier package of the same document holds and this copy of it
    lacks (a scan with a page left out of the stack): such a copy would become the newest
    version and hide the earlier one's pages and signatures. None when this copy does not
    say which pages it has (a form with fields is whole); an earlier package that does not
    say so has every page of the form."""
    def pages(record: Mapping[str, Any]) -> set[int]:
        return {int(p["page"]) for p in record.get("pages") or () if isinstance(p, Mapping) and "page" in p}

    mine = pages(new)
    if not mine:
        return []
    theirs = pages(earlier) or set(range(1, form_pages + 1))
    return sorted(theirs - mine)


def _rename_in(stage: Path, target: Path) -> None:
    """The one step that makes a package visible (atomic on one file system)."""
    os.replace(stage, target)


def _sha_of(name: str, paths: Located) -> str:
    try:
        return file_sha256(source_file(name, paths))
    except (OSError, InputError):
        return ""


def _issued_entry(folder: Path, document: str, original: bytes) -> dict[str, Any] | None:
    """The fill registry's entry of this document id (the latest), without its values."""
    found = None
    for entry in read_issued(folder):
        if document and str(entry.get("document", "")).upper() == document.upper():
            found = entry
    if found is None:
        return None
    keep = {k: found.get(k) for k in ("document", "file", "row", "form", "version", "pages", "record_sha256", "pdf_sha256")}
    keep["original_is_the_issued_file"] = hashlib.sha256(original).hexdigest() == found.get("pdf_sha256")
    return keep


def _earlier(
    store: Store, states: Mapping[str, PackageState], document: str, pupil: str, mine: str,
) -> tuple[str, str]:
    """(the package holding this very document, or ""), (the newest earlier package of the
    same document or, failing that, of the same pupil, or "")."""
    same_document = ""
    same_pupil = ""
    for pid, s in states.items():
        if s.purged or not store.package_dir(pid).exists():
            continue
        summary = _summary(store, pid)
        if summary is None:
            continue
        their_pupil, their_fingerprint = summary
        if document and s.document == document:
            same_document = pid
        elif pupil and their_pupil == pupil:
            same_pupil = pid
        else:
            continue
        if their_fingerprint == mine:
            return pid, ""
    return "", same_document or same_pupil


#: (archive, package id) → (leerlingnummer, fingerprint): a package never changes once
#: made (verify finds it out if it does), so one process reads each record.json once.
_SUMMARIES: dict[tuple[str, str], tuple[str, str]] = {}


def _summary(store: Store, pid: str) -> tuple[str, str] | None:
    key = (str(store.root.resolve()), pid)
    found = _SUMMARIES.get(key)
    if found is None:
        try:
            rec = read_record(store, pid)
        except InputError:
            return None
        found = _SUMMARIES[key] = (pupil_of(rec), fingerprint(rec))
    return found


def _write_bag(
    store: Store, stage: Path, original: bytes, pdfa: bytes, record: Mapping[str, Any], provenance: Mapping[str, Any], document: str,
) -> None:
    import bagit

    if stage.exists():
        shutil.rmtree(stage)
    private_dir(stage)
    (stage / "original.pdf").write_bytes(original)
    (stage / "pdfa.pdf").write_bytes(pdfa)
    (stage / "record.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (stage / "provenance.json").write_text(json.dumps(provenance, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    info = {
        "Source-Organization": store.settings().organization,
        "External-Description": "OntwikkelingsPerspectief (OPP), korte versie",
        "Bag-Software-Agent": f"oppforms {__version__} with bagit {getattr(bagit, 'VERSION', '')}".strip(),
    }
    if document:
        info["External-Identifier"] = document
    with _store._THREAD_LOCK:  # make_bag changes the working directory while it runs
        bagit.make_bag(str(stage), info, processes=1, checksums=list(CHECKSUMS))
    for path in stage.rglob("*"):  # bagit writes with the umask's modes: the owner's only
        if path.is_file():
            os.chmod(path, FILE_MODE)
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        elif path.is_dir():
            os.chmod(path, DIR_MODE)


def _inherit(store: Store, states: Mapping[str, PackageState], previous: str, pid: str) -> None:
    """A new version of a pupil who left, or whose packages are held, is so too."""
    if not previous:
        return
    before = states[previous]
    if before.left:
        store.append({"event": "left", "packages": [pid], "left": before.left})
    if before.held:
        holds = store.holds()
        if previous in holds:
            holds[pid] = dict(holds[previous])
            store.write_holds(holds)
        store.append({"event": "hold", "packages": [pid], "reason_sha256": _reason_digest(holds.get(pid, {}).get("reason", ""))})


def _reason_digest(reason: str) -> str:
    return hashlib.sha256(reason.encode("utf-8")).hexdigest()


def recover(store: Store, removed: list[str] | None = None) -> list[str]:
    """Finish what an interrupted command left (the caller holds the lock): a package the
    ledger records but that is still in ``.staging/`` is renamed in when its tag manifests
    are the ones recorded; a package the ledger records as purged is removed; anything else
    in ``.staging/`` is a half-made package (or a purged one) and is removed. Returns the
    ids of the packages moved in, and adds to ``removed`` those the ledger records as purged
    that were still in ``packages/`` (an interrupted purge, or a copy restored from a
    backup). ``packages/`` and ``.staging/`` are made private (0700) when an older oppforms
    made them with the umask's mode."""
    make_private(store.packages)
    if not store.staging.exists():
        private_dir(store.staging)
        return []
    make_private(store.staging)
    states = current(store)
    moved = []
    for pid, gone in states.items():
        if gone.purged and store.package_dir(pid).exists():  # a purge interrupted after its ledger line
            os.replace(store.package_dir(pid), store.staging / f"purge-{pid}")
            if removed is not None:
                removed.append(pid)
    for stage in sorted(store.staging.iterdir()):
        s = states.get(stage.name)
        if (s is not None and not s.purged and not store.package_dir(stage.name).exists()
                and all((stage / n).is_file() and file_sha256(stage / n) == s.tag_digests.get(n) for n in TAG_MANIFESTS)):
            os.replace(stage, store.package_dir(stage.name))
            moved.append(stage.name)
        elif stage.is_dir():
            shutil.rmtree(stage, ignore_errors=True)
        else:
            stage.unlink(missing_ok=True)
    return moved


__all__ = ["AddResult", "add", "add_record", "fingerprint", "recover"]
