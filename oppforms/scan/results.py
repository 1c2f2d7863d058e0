"""What reading one page gives, and how pages are read: small, picklable records that a
worker process sends back (:class:`PageResult`) and receives (:class:`Settings`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..geometry import PdfRect
from ..pagecode import PageCode
from ..records import ReviewItem
from ..spec import FormSpec
from .ink import SignatureVerdict


@dataclass(frozen=True, slots=True)
class Settings:
    """How pages are read (sent to each worker)."""

    spec: FormSpec
    issued: Mapping[str, Mapping[str, str]] | None  # document id → issued values
    review_dir: str | None
    accept_confidence: float = 90.0
    box_timeout: float = 20.0
    page_timeout: float = 120.0
    handwriting_mm: float = 2.5


@dataclass(frozen=True, slots=True)
class FieldRead:
    """One box read. ``status``: ``verified`` (agrees with the issued value), ``accepted``
    (read with confidence, no issued value), ``empty``, or ``review``. ``value`` is what the
    record gets (the issued value when verified); ``read`` the text as the engine read it;
    ``continued_on`` the page the text continues on (0 when it does not)."""

    field: str
    page_no: int
    status: str
    value: str
    read: str
    confidence: float
    reason: str = ""
    box: PdfRect | None = None
    crop: str | None = None
    continued_on: int = 0


@dataclass(frozen=True, slots=True)
class SignatureRead:
    field: str
    page_no: int
    verdict: SignatureVerdict
    ink: float
    streak: bool
    box: PdfRect
    crop: str | None = None


@dataclass(frozen=True, slots=True)
class ContinuationRead:
    """The text of one section of a continuation page and the field it continues (by its
    heading); ``next_page`` is where its text goes on (0 when it ends there)."""

    field: str | None
    text: str
    confidence: float
    next_page: int
    lead: str = ""  # the line breaks typed before its first line ("" for a wrap)
    sure: bool = False  # read as surely as an accepted field (see boxes.PageReader.judge_unverified)


@dataclass(frozen=True, slots=True)
class PageResult:
    """What one page gave. ``kind``: ``form`` (a page of the form, identified by its code
    or, with ``by_layout``, without one: by its printed footer or layout), ``blank`` (an
    empty back), ``foreign`` (another form's code or footer), ``unknown`` (not
    recognised), ``refused`` (unreadable image), ``lost`` (the processes reading it died
    again and again: its file is malformed). A page without a readable code also
    gives the pupil's name its header shows (``person``) and the page count its footer
    prints (``pages_printed``), for assembly to place it when its document id is unsure."""

    source: str
    page_index: int
    kind: str
    code: PageCode | None = None
    page_no: int = 0
    by_layout: bool = False
    person: str = ""
    pages_printed: int = 0
    quality: float = 0.0
    alignment: str = ""
    residual_pt: float = 0.0
    fields: tuple[FieldRead, ...] = ()
    signatures: tuple[SignatureRead, ...] = ()
    continuation: ContinuationRead | None = None  # the first of ``continuations``
    review: tuple[ReviewItem, ...] = ()
    warnings: tuple[str, ...] = ()
    show_through: bool = False
    seconds: float = 0.0
    ocr_seconds: float = 0.0
    #: a continuation page's sections, top to bottom (one field's text each)
    continuations: tuple[ContinuationRead, ...] = ()
    #: a page found without a readable code: its footer's document id as printed (grey,
    #: upright at the reading resolution), for assembly to weigh ids its pages disagree on
    id_print: npt.NDArray[np.uint8] | None = _field(default=None, compare=False, repr=False)

    @property
    def sections(self) -> tuple[ContinuationRead, ...]:
        """The continuation sections read on this page (``continuation`` alone for a
        result made without ``continuations``)."""
        if self.continuations:
            return self.continuations
        return (self.continuation,) if self.continuation is not None else ()

    @property
    def label(self) -> str:
        return f"{Path(self.source).name} page {self.page_index + 1}"
