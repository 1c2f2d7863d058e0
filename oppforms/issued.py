"""The issued registry of a fill output folder, written and read back.

``oppforms fill`` keeps, in ``DIR/.oppforms/issued/*.jsonl``, one JSON line per document it
issued: the document id, the file, the row, the form and version, the page count, the exact
values (dates ISO) and hashes. Filling writes it (:mod:`oppforms.batch`, through
:func:`append_entry`, with the document ids, the record hash and the values' canonical JSON
made here); reading scanned pages back verifies them against it (:mod:`oppforms.scan`).
This module sits low in the layers so that both can use it without importing each other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._io import atomic_write_bytes
from .errors import OutputError
from .i18n import N_

try:  # the values' canonical JSON, written per record (see canonical_json)
    from orjson import JSONEncodeError as _OrjsonError
    from orjson import dumps as _orjson_dumps
except ImportError:  # pragma: no cover - orjson is a dependency; json gives the same bytes
    _orjson_dumps = None

#: The folder inside a fill output folder that holds the secret key and the registry.
STATE_DIR = ".oppforms"


def issued_folder(out_dir: Path) -> Path:
    return Path(out_dir) / STATE_DIR / "issued"


def read_issued(out_dir: Path) -> Iterator[dict[str, object]]:
    """Every entry of the issued registry of a fill output folder, oldest first per file;
    lines that a kill cut short are skipped."""
    for path in sorted(issued_folder(out_dir).glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and "document" in entry:
                    yield entry


def latest_values(entries: Iterable[Mapping[str, object]], form_id: str) -> dict[str, dict[str, str]]:
    """Document id (upper case) → the values issued for it, from registry ``entries``
    (:func:`read_issued`): the latest entry of each document wins; entries of another form,
    and redacted ones (without values), are passed over."""
    out: dict[str, dict[str, str]] = {}
    for entry in entries:
        document, values = entry.get("document"), entry.get("values")
        if entry.get("form", form_id) != form_id or not isinstance(document, str) or not document.strip():
            continue
        if isinstance(values, Mapping):
            out[document.strip().upper()] = {str(k): "" if v is None else str(v) for k, v in values.items()}
    return out


# ---------------------------------------------------------------------------------------
# Written by a fill


def folder_secret(out_dir: Path) -> bytes:
    """The output folder's random key (``.oppforms/secret``), made on the first run."""
    path = out_dir / STATE_DIR / "secret"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        raise OutputError(N_("{file}: unreadable ({error})").format(file=path, error=exc)) from exc
    key = secrets.token_bytes(32)
    try:
        atomic_write_bytes(path, key.hex().encode("ascii"), overwrite=False)
    except OutputError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())  # another run made it first
    return key


def password_mac(secret: bytes, password: str) -> str:
    """What the registry keeps of a form's password, to notice that it changed: an HMAC
    with the output folder's key, never the password itself."""
    return hmac.new(secret, b"password\0" + password.encode("utf-8"), hashlib.sha256).hexdigest()


def document_id(secret: bytes, identity: str) -> str:
    """An opaque id like ``K7Q2-M9XD``: 40 bits of an HMAC, never pupil data."""
    digest = hmac.new(secret, identity.encode("utf-8"), hashlib.sha256).digest()
    code = base64.b32encode(digest[:5]).decode("ascii")
    return f"{code[:4]}-{code[4:]}"


def record_hash(values: Mapping[str, str], *, flatten: bool, version: str, encrypted: bool) -> str:
    """SHA-256 of the record's canonical JSON: the values and what else shapes the PDF.
    Earlier runs' registries are resumed by it, so it never changes for the same record."""
    return record_digest(canonical_json(values), flatten=flatten, version=version, encrypted=encrypted)


_MEMBER_HEADS: dict[tuple[object, ...], list[tuple[object, bytes]] | None] = {}  # key order → (key, b'"key": ')


def _member_heads(keys: tuple[object, ...]) -> list[tuple[object, bytes]] | None:
    """The keys in sorted order, each with its JSON text and json's ``": "`` (None when
    a key is no text); worked out once per set of keys in a given order (a batch's
    values all have the form's fields in form order), for a few such orders."""
    heads = _MEMBER_HEADS.get(keys)
    if heads is None and keys not in _MEMBER_HEADS:
        if all(type(k) is str for k in keys):
            try:
                heads = [(k, _orjson_dumps(k) + b": ") for k in sorted(keys)]  # type: ignore[misc]
            except _OrjsonError:  # a lone surrogate
                heads = None
        if len(_MEMBER_HEADS) < 64:
            _MEMBER_HEADS[keys] = heads
    return heads


def canonical_json(values: Mapping[str, str]) -> bytes:
    """The values as canonical JSON (keys sorted), in UTF-8, made once per record: it is
    both in the record hash and, as it stands, the registry line's ``values``. The bytes
    of ``json.dumps(values, ensure_ascii=False, sort_keys=True)``: with orjson each text
    is escaped by it (the same escapes as json's, for every character: tested) and the
    members are joined with json's separators, the keys' part of them made once for the
    batch (:func:`_member_heads`), in less than a quarter of json's time (11 µs against
    48 on the sample records)."""
    if _orjson_dumps is not None and set(map(type, values.values())) <= {str}:
        heads = _member_heads(tuple(values))
        if heads is not None:
            try:
                return b"{" + b", ".join([head + _orjson_dumps(values[k]) for k, head in heads]) + b"}"
            except _OrjsonError:  # a lone surrogate: as json does it
                pass
    return json.dumps(values, ensure_ascii=False, sort_keys=True).encode("utf-8")


def record_digest(values_json: bytes, *, flatten: bool, version: str, encrypted: bool) -> str:
    """:func:`record_hash` from the values' canonical JSON (UTF-8): the canonical JSON of
    ``{"values": …, "flatten": …, "version": …, "encrypted": …}`` with sorted keys,
    written around it (the same bytes as ``json.dumps(…, ensure_ascii=False,
    sort_keys=True)`` of the whole)."""
    head = f'{{"encrypted": {json.dumps(encrypted)}, "flatten": {json.dumps(flatten)}, "values": '
    tail = f', "version": {json.dumps(version, ensure_ascii=False)}}}'
    digest = hashlib.sha256(head.encode("utf-8"))
    digest.update(values_json)
    digest.update(tail.encode("utf-8"))
    return digest.hexdigest()


_REGISTRY: dict[str, Any] = {}  # out_dir → this process's open registry file (binary, appended)


def append_entry(out_dir: str, entry: dict[str, object], values_json: bytes) -> None:
    """One registry line, written through to the file: ``entry`` with the values' canonical
    JSON as its last member, ``"values"``."""
    fh = _REGISTRY.get(out_dir)
    if fh is None:
        # the registry holds every value filled in: its folders and files are the owner's
        # alone (0700, 0600), as the forms are, whatever the umask
        state = Path(out_dir) / STATE_DIR
        folder = state / "issued"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for private in (state, folder):
            if private.stat().st_mode & 0o077:
                private.chmod(0o700)
        name = folder / f"{os.getpid()}-{secrets.token_hex(4)}.jsonl"
        fh = os.fdopen(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o600), "ab")
        _REGISTRY[out_dir] = fh
    # orjson's JSON of the entry (no spaces) in a tenth of json's time; read back by any JSON reader
    head = _orjson_dumps(entry) if _orjson_dumps is not None else json.dumps(entry, ensure_ascii=False).encode("utf-8")
    fh.write(b"".join((head[:-1], b', "values": ', values_json, b"}\n")))
    fh.flush()


def close_registries() -> None:
    """Close every open registry file (all of them, even when one fails to: the first
    failure is raised after, as the registry may then lack its last lines)."""
    failed: tuple[str, OSError] | None = None
    for out_dir, fh in _REGISTRY.items():
        try:
            fh.close()
        except OSError as exc:
            failed = failed or (out_dir, exc)
    _REGISTRY.clear()
    if failed is not None:
        folder, exc = failed
        raise OutputError(N_("{folder}: cannot write the record of filled forms ({error})").format(
            folder=folder, error=exc.strerror)) from exc
