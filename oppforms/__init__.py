"""oppforms: fill, read back and archive the Dutch school form "OntwikkelingsPerspectief
(OPP), korte versie".

The public API is re-exported here; everything else is internal.
"""

from ._version import __version__
from .errors import (
    BatchIncomplete,
    InputError,
    MissingDependencyError,
    NotThisFormError,
    OppformsError,
    OutputError,
    RecordError,
    SpecError,
    UsageError,
)
from .spec import Field, FieldKind, FormSpec, current_spec, load_spec


def __getattr__(name: str) -> object:
    # the heavier parts load on first use, so `import oppforms` and `oppforms --help` stay fast
    if name in {"fill_many", "FillResult"}:
        from . import batch

        return getattr(batch, name)
    if name == "RecordIn":
        from .intake import RecordIn

        return RecordIn
    if name == "Template":
        from .fill import Template

        return Template
    if name in {"coerce_record", "check_record"}:
        from . import values

        return getattr(values, name)
    if name in {"read_records", "load_mapping"}:
        from . import sources

        return getattr(sources, name)
    if name in {"extract_many", "read_pdf", "FileResult", "Limits"}:
        from . import extract

        return getattr(extract, name)
    if name == "open_writer":
        from .exports import open_writer

        return open_writer
    raise AttributeError(name)

__all__ = [
    "BatchIncomplete",
    "FileResult",
    "FillResult",
    "Limits",
    "extract_many",
    "open_writer",
    "read_pdf",
    "RecordIn",
    "Template",
    "check_record",
    "coerce_record",
    "fill_many",
    "load_mapping",
    "read_records",
    "Field",
    "FieldKind",
    "FormSpec",
    "InputError",
    "MissingDependencyError",
    "NotThisFormError",
    "OppformsError",
    "OutputError",
    "RecordError",
    "SpecError",
    "UsageError",
    "current_spec",
    "load_spec",
    "__version__",
]
