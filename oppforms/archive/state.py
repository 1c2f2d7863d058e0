"""The archive's state, replayed from its ledger: which packages exist, when each was
archived, when its pupil left, when it is due, whether it is held, and what was purged."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from .store import LedgerEntry, Store


@dataclass(frozen=True, slots=True)
class PackageState:
    """One package as the ledger knows it. Dates are ISO ``YYYY-MM-DD``; ``due`` is empty
    while the pupil's leaving date is unknown; ``purged`` is the date it was deleted."""

    package: str
    document: str
    form_version: str
    archived: str
    tag_digests: Mapping[str, str]
    left: str = ""
    due: str = ""
    held: bool = False
    purged: str = ""
    seq: int = 0


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def replay(entries: Iterable[LedgerEntry], retention_years: int) -> dict[str, PackageState]:
    """package id → its state, in the order the packages were added."""
    out: dict[str, PackageState] = {}
    for e in entries:
        d = e.data
        if e.event == "add":
            pid = str(d["package"])
            out[pid] = PackageState(
                pid,
                str(d.get("document", "")),
                str(d.get("form_version", "")),
                str(d.get("archived", ""))[:10],
                dict(d.get("tag_digests", {})),
                seq=e.line_no,
            )
        elif e.event == "left":
            for pid in d.get("packages", []):
                if pid in out:
                    left = str(d["left"])
                    due = add_years(dt.date.fromisoformat(left), retention_years).isoformat()
                    out[pid] = replace(out[pid], left=left, due=due)
        elif e.event in {"hold", "release"}:
            for pid in d.get("packages", []):
                if pid in out:
                    out[pid] = replace(out[pid], held=e.event == "hold")
        elif e.event == "purge":
            pid = str(d["package"])
            if pid in out:
                # the day it was deleted (the line's time), not the day the purge looked at (--on)
                out[pid] = replace(out[pid], purged=str(d.get("at") or d.get("date", ""))[:10])
    return out


def current(store: Store) -> dict[str, PackageState]:
    return replay(store.entries(), store.settings().retention_years)


def read_record(store: Store, package: str) -> dict[str, Any]:
    """The ``data/record.json`` of a package."""
    path = store.package_dir(package) / "data" / "record.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"package {package}: record.json unreadable ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise InputError(f"package {package}: record.json is no JSON object")
    return data


def pupil_of(record: Mapping[str, Any]) -> str:
    fields = record.get("fields") or {}
    return str(fields.get("leerling.nummer", "")).strip() if isinstance(fields, dict) else ""


def packages_of_pupil(store: Store, states: Mapping[str, PackageState], pupil: str) -> list[str]:
    """The live (not purged) packages whose record names this leerlingnummer, oldest first."""
    pupil = pupil.strip()
    out = []
    for pid, s in states.items():
        if s.purged or not (store.package_dir(pid) / "data" / "record.json").exists():
            continue
        if pupil_of(read_record(store, pid)) == pupil:
            out.append(pid)
    return out


def package_paths(store: Store) -> list[Path]:
    return sorted(p for p in store.packages.iterdir() if not p.name.startswith(".")) if store.packages.exists() else []
