"""Writing a PDF incremental update: dictionaries serialised once, streams deflated, the
update's objects, its xref section and trailer, and one SHA-256 over the file as it is
written.

:mod:`oppforms.fill` builds what changes per record; this module turns it into bytes. A
filled form is the template's bytes unchanged followed by one update (PDF 32000-1, 7.5.6).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from functools import partial
from itertools import accumulate
from typing import Any, Protocol

from pypdf.generic import DictionaryObject, NameObject, PdfObject


class Base(Protocol):
    """What an update is appended to: the template's bytes and what its trailer names."""

    pdf: bytes
    pdf_hash: Any  # hashlib's SHA-256 state after ``pdf``
    root_ref: int
    info_ref: int | None
    first_id: bytes
    prev_xref: int


def serialise(obj: PdfObject) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf)
    return buf.getvalue()


def dict_prefix(d: DictionaryObject, drop: set[str]) -> bytes:
    """``d`` serialised without the keys in ``drop`` and without its closing ``>>``, so
    more entries can be appended per record."""
    kept = DictionaryObject({NameObject(k): v for k, v in d.items() if k not in drop})
    body = serialise(kept).rstrip()
    assert body.endswith(b">>")
    return body[:-2]


#: Deflate level of the streams written when filling. Measured on the sample records
#: (about 28 streams, 21 KB of operators per form): zlib's level 1 took 0.57 ms per form
#: and level 6 0.75-1.0 ms for 5 % smaller streams; ISA-L's level 1 took 0.3 ms for
#: streams 2 % smaller than zlib's level 1 (its levels 2 and 3: the same time and size).
COMPRESSION_LEVEL = 1
#: Streams shorter than this (a value's appearance of a few lines; most of a form's
#: streams) take ISA-L's level 0: each call to its level 1 costs about 5 µs however short
#: the stream, its level 0 about 1.5 µs. Measured on the sample records, in turns: level 1
#: throughout 99.9 KB per form, level 0 below 1 KB 102.4 KB (2.4 % larger) for 7-10 % less
#: time per form, level 0 throughout 104.7 KB for 11-15 % less. Where zlib stands in for
#: ISA-L, its level 1 (zlib's level 0 does not compress at all).
SHORT_STREAM = 1024
#: Shorter streams are written uncompressed: deflate does not make them smaller (measured
#: on the sample records: the one-line values' appearance streams, about 100 bytes, came
#: out larger, and before the filter's name is counted), and each call has a fixed cost.
MIN_COMPRESSED = 128


def deflater(prefer_isal: bool = True, *, short: bool = False) -> Callable[[bytes], bytes]:
    """The zlib-format compressor of filled streams (``short``: of those shorter than
    :data:`SHORT_STREAM`): ISA-L's (python-isal, a dependency), twice as fast as zlib's
    at a smaller size; zlib's from the standard library only where isal cannot be
    imported (a platform without its wheel). Both write the zlib format that
    /FlateDecode means."""
    if prefer_isal:
        try:
            from isal import isal_zlib
        except ImportError:
            pass
        else:
            # no Python frame per call
            return partial(isal_zlib.compress, level=0 if short else COMPRESSION_LEVEL)
    return partial(zlib.compress, level=COMPRESSION_LEVEL)


_deflate = deflater()
_deflate_short = deflater(short=True)


def stream(dictionary: bytes, data: bytes) -> bytes:
    """A stream object's body: ``dictionary``'s entries (without ``<<>>``), ``/Length``, and
    ``data`` deflated as :data:`MIN_COMPRESSED` and :data:`SHORT_STREAM` say."""
    if len(data) < MIN_COMPRESSED:
        return b"<<%s/Length %d>>\nstream\n%s\nendstream" % (dictionary, len(data), data)
    packed = _deflate_short(data) if len(data) < SHORT_STREAM else _deflate(data)
    return b"<<%s/Filter/FlateDecode/Length %d>>\nstream\n%s\nendstream" % (dictionary, len(packed), packed)


class Update:
    """The objects of one incremental update, and its xref section and trailer."""

    __slots__ = ("objects", "next_num")

    def __init__(self, size: int) -> None:
        self.objects: dict[int, bytes] = {}
        self.next_num = size

    def add(self, body: bytes) -> int:
        num = self.next_num
        self.next_num += 1
        self.objects[num] = body
        return num

    def set(self, num: int, body: bytes) -> None:
        self.objects[num] = body

    def finish(self, template: Base) -> tuple[bytes, str]:
        """The filled PDF (the template and this update) and its SHA-256 (hex)."""
        objects = self.objects
        nums = sorted(objects)
        chunks = [b"%d 0 obj\n%s\nendobj\n" % (num, objects[num]) for num in nums]
        offsets = list(accumulate(map(len, chunks), initial=len(template.pdf)))  # each chunk's, then the end
        offset = offsets.pop()
        body = b"".join(chunks)
        # one hash over the file as it is written: its state after the update's objects
        # gives the second /ID (SHA-256: 3x quicker than MD5 here), its end the file's hash
        state = template.pdf_hash.copy()
        state.update(body)
        digest = state.hexdigest()[:32]
        entries = [b"%010d 00000 n \n" % o for o in offsets]
        xref = [b"xref\n"]
        # a subsection per run of consecutive object numbers
        starts = [0, *(i for i in range(1, len(nums)) if nums[i] != nums[i - 1] + 1), len(nums)] if nums else []
        for i, j in zip(starts, starts[1:]):
            xref.append(b"%d %d\n" % (nums[i], j - i))
            xref += entries[i:j]
        info = b"/Info %d 0 R" % template.info_ref if template.info_ref is not None else b""
        trailer = (
            b"trailer\n<</Size %d/Root %d 0 R%s/ID[<%s><%s>]/Prev %d>>\nstartxref\n%d\n%%%%EOF\n"
            % (
                self.next_num,
                template.root_ref,
                info,
                template.first_id.hex().encode(),
                digest.encode(),
                template.prev_xref,
                offset,
            )
        )
        tail = b"".join((*xref, trailer))
        state.update(tail)
        return b"".join((template.pdf, body, tail)), state.hexdigest()
