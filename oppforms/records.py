"""Records: the field dictionary as data, and the JSON Schema of a record (contract §4).

A record is what ``oppforms extract`` gives back for each form: where it came from, which
form and version, how it was read, all text and date values, which signature boxes are
signed, and what a person must review. ``fields`` keys are the contract's field names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from .spec import FieldKind, FormSpec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ISO_DATE_PATTERN = r"^$|^\d{4}-\d{2}-\d{2}$"


def describe_fields(spec: FormSpec) -> list[dict[str, Any]]:
    """One entry per field, in form order: name, kind, Dutch label, 1-based page and
    rectangle (PDF points, origin bottom-left) of the first widget, and all widgets."""
    out = []
    for f in spec.fields:
        out.append(
            {
                "name": f.name,
                "kind": f.kind.value,
                "label": f.label,
                "page": f.page_no,
                "rect": _rect(f.rect.as_list()),
                "multiline": f.multiline,
                "widgets": [{"page": w.page_no, "rect": _rect(w.rect.as_list())} for w in f.widgets],
            }
        )
    return out


def _rect(values: list[float]) -> list[float]:
    return [round(v, 2) for v in values]


def record_schema(spec: FormSpec) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one extracted record of ``spec``."""
    value_props: dict[str, Any] = {}
    for f in spec.value_fields:
        prop: dict[str, Any] = {"type": "string", "title": f.label, "maxLength": f.max_length}
        if f.kind is FieldKind.DATE:
            prop["pattern"] = ISO_DATE_PATTERN
            prop["description"] = "ISO date YYYY-MM-DD, or empty"
        elif not f.multiline:
            prop["pattern"] = r"^[^\n\r]*$"
            prop["description"] = "one line"
        else:
            prop["description"] = "multiline text, lines separated by \\n"
        value_props[f.name] = prop
    signed_props = {f.name: {"type": "boolean", "title": f.label} for f in spec.signature_fields}
    review_item = {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "field": {"type": ["string", "null"], "enum": [None, *(f.name for f in spec.fields)]},
            "reason": {"type": "string"},
            "page": {"type": ["integer", "null"], "minimum": 1},
            "box": {"type": ["array", "null"], "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
            "crop": {"type": ["string", "null"]},
        },
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:oppforms:{spec.form_id}:v{spec.version}:record",
        "title": f"{spec.title} (versie {spec.version}): record",
        "type": "object",
        "required": ["source", "form", "version", "method", "fields", "signed", "review", "warnings"],
        "properties": {
            "source": {"type": "string", "description": "the input file the record was read from"},
            "form": {"const": spec.form_id},
            "version": {"type": "string"},
            "method": {"enum": ["acroform", "text", "scan"]},
            "fields": {
                "type": "object",
                "properties": value_props,
                "required": list(value_props),
                "additionalProperties": False,
            },
            "signed": {
                "type": "object",
                "properties": signed_props,
                "required": list(signed_props),
                "additionalProperties": False,
            },
            "review": {"type": "array", "items": review_item},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "document": {"type": "string", "description": "the document id printed on forms filled by oppforms"},
            "pages": {
                "type": "array",
                "description": "where every page of the form came from, in form order (continuation pages included); "
                "a form whose pages came in several files names each file here, and source names the file of its first page",
                "items": {
                    "type": "object",
                    "required": ["page", "source", "source_page"],
                    "properties": {
                        "page": {"type": "integer", "minimum": 1, "description": "the page of the form, 1-based"},
                        "source": {"type": "string", "description": "the input file the page came from"},
                        "source_page": {"type": "integer", "minimum": 1, "description": "the page within that file, 1-based"},
                    },
                    "additionalProperties": False,
                },
            },
        },
    }


# ---------------------------------------------------------------------------------------
# Records read back (contract §4)

METHODS = ("acroform", "text", "scan")


class FileStatus(enum.StrEnum):
    """How reading one input file ended (one per input, in the extract summary)."""

    OK = "ok"
    WARNINGS = "ok with warnings"
    NOT_THIS_FORM = "not this form"
    ENCRYPTED = "encrypted"
    MALFORMED = "malformed"
    NEEDS_OCR = "needs OCR"
    REVIEW = "needs review"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """Something a person must look at: the field (or None for the whole page or form),
    why, the 1-based page, the box in PDF points (origin bottom-left) and, for scans, the
    path of the saved crop."""

    reason: str
    field: str | None = None
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    crop: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "reason": self.reason,
            "page": self.page,
            "box": list(self.box) if self.box else None,
            "crop": self.crop,
        }


@dataclass(frozen=True, slots=True)
class PageOrigin:
    """Where one page of a form came from: ``page`` is the form's page (1-based,
    continuation pages included), ``source`` the input file as the record names it, and
    ``source_page`` the page (or image frame) within that file, 1-based."""

    page: int
    source: str
    source_page: int

    @property
    def page_index(self) -> int:
        """The 0-based index of the page within its file (``source_page`` - 1)."""
        return self.source_page - 1

    def to_json(self) -> dict[str, Any]:
        return {"page": self.page, "source": self.source, "source_page": self.source_page}


@dataclass(frozen=True, slots=True)
class Record:
    """One form read back. ``fields`` holds every text and date field (dates ISO,
    empty as ""), ``signed`` every signature field; ``document`` is the document id when
    the form carries one (filled by oppforms), else "". ``pages`` says where each page of
    the form came from, in form order (empty when unknown): a form whose pages came in
    several files (phone photos, one PDF per page) is one record, and ``source`` names the
    file of its first page."""

    source: str
    form: str
    version: str
    method: str
    fields: dict[str, str]
    signed: dict[str, bool]
    review: tuple[ReviewItem, ...] = ()
    warnings: tuple[str, ...] = ()
    document: str = ""
    pages: tuple[PageOrigin, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        """Every input file the form's pages came from, in form order (``source`` alone
        when the pages are unknown)."""
        return tuple(dict.fromkeys(p.source for p in self.pages)) or (self.source,)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "form": self.form,
            "version": self.version,
            "method": self.method,
            "fields": dict(self.fields),
            "signed": dict(self.signed),
            "review": [r.to_json() for r in self.review],
            "warnings": list(self.warnings),
        }
        if self.document:
            out["document"] = self.document
        if self.pages:
            out["pages"] = [p.to_json() for p in self.pages]
        return out


def empty_values(spec: FormSpec) -> tuple[dict[str, str], dict[str, bool]]:
    """All fields empty and all signature boxes unsigned: the start of every record."""
    return {f.name: "" for f in spec.value_fields}, {f.name: False for f in spec.signature_fields}


@dataclass(frozen=True, slots=True)
class ScannedFile:
    """What became of one scanned input file in a run that assembled forms across files:
    ``records`` are the indices (in :attr:`ScanRun.records`) of the forms its pages went
    into, ``pages`` its page count, ``warnings`` what happened to its pages that concerns
    the file (blank backs dropped, pages of another form, unreadable pages), and ``error``
    why the file could not be read at all (then it gave no pages). Texts name files and
    pages, never values."""

    source: str
    pages: int = 0
    records: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    error: Exception | None = None


@dataclass(frozen=True, slots=True)
class ScanRun:
    """Scanned input files read together: one record per form found, whatever files its
    pages came in (each record's ``pages`` names them), and one :class:`ScannedFile` per
    input file, in input order."""

    records: tuple[Record, ...]
    files: tuple[ScannedFile, ...]


def record_from_json(data: dict[str, Any], spec: FormSpec) -> Record:
    """A record as :meth:`Record.to_json` (and ``oppforms extract``) writes it, back into
    a :class:`Record`. Missing fields are empty, unknown keys in ``fields`` and ``signed``
    are left out (the form's names are the contract); a value that is not the right type
    raises ``ValueError`` naming the key, never the value."""
    fields, signed = empty_values(spec)
    raw_fields = data.get("fields") or {}
    raw_signed = data.get("signed") or {}
    if not isinstance(raw_fields, dict) or not isinstance(raw_signed, dict):
        raise ValueError("'fields' and 'signed' must be objects")
    for name in fields:
        value = raw_fields.get(name, "")
        if not isinstance(value, str):
            raise ValueError(f"fields.{name} must be text")
        fields[name] = value
    for name in signed:
        flag = raw_signed.get(name, False)
        if not isinstance(flag, bool):
            raise ValueError(f"signed.{name} must be true or false")
        signed[name] = flag
    review = []
    for item in data.get("review") or ():
        if not isinstance(item, dict) or not isinstance(item.get("reason"), str):
            raise ValueError("every review item needs a 'reason'")
        box = item.get("box")
        review.append(
            ReviewItem(
                reason=item["reason"],
                field=item.get("field"),
                page=item.get("page"),
                box=tuple(float(v) for v in box) if box else None,  # type: ignore[arg-type]
                crop=item.get("crop"),
            )
        )
    return Record(
        source=str(data.get("source", "")),
        form=str(data.get("form", spec.form_id)),
        version=str(data.get("version", spec.version)),
        method=str(data.get("method", "")),
        fields=fields,
        signed=signed,
        review=tuple(review),
        warnings=tuple(str(w) for w in data.get("warnings") or ()),
        document=str(data.get("document", "")),
        pages=tuple(
            PageOrigin(int(p["page"]), str(p["source"]), int(p["source_page"]))
            for p in data.get("pages") or ()
            if isinstance(p, dict) and {"page", "source", "source_page"} <= p.keys()
        ),
    )
