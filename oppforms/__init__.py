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

__all__ = [
    "BatchIncomplete",
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
