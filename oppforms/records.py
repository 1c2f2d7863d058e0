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
class Record:
    """One form read back. ``fields`` holds every text and date field (dates ISO,
    empty as ""), ``signed`` every signature field; ``document`` is the document id when
    the form carries one (filled by oppforms), else ""."""

    source: str
    form: str
    version: str
    method: str
    fields: dict[str, str]
    signed: dict[str, bool]
    review: tuple[ReviewItem, ...] = ()
    warnings: tuple[str, ...] = ()
    document: str = ""

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
        return out


def empty_values(spec: FormSpec) -> tuple[dict[str, str], dict[str, bool]]:
    """All fields empty and all signature boxes unsigned: the start of every record."""
    return {f.name: "" for f in spec.value_fields}, {f.name: False for f in spec.signature_fields}


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
    )
