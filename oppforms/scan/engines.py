"""This process's OCR engines, made once per process (each worker has its own): the engine
of the factory last set (tesseract's Dutch model by default) and, beside the default, the
Latin-script model as a second opinion."""

from __future__ import annotations

from collections.abc import Callable

from .ocr import OcrEngine

_ENGINE: OcrEngine | None = None
_FACTORY: Callable[[], OcrEngine] | None = None


def set_engine_factory(factory: Callable[[], OcrEngine]) -> None:
    global _FACTORY, _ENGINE
    if factory is not _FACTORY:
        _FACTORY, _ENGINE = factory, None


def engine() -> OcrEngine:
    """This process's engine, made by the factory last set (default: tesseract)."""
    global _ENGINE
    if _ENGINE is None:
        from .ocr import default_engine

        _ENGINE = (_FACTORY or default_engine)()
    return _ENGINE


_SECOND: list[OcrEngine | None] = []


def second_engine() -> OcrEngine | None:
    """This process's second opinion (tesseract's Latin-script model), only beside the
    default engine and when installed; made on first use."""
    from .ocr import default_engine

    if _FACTORY not in (None, default_engine):
        return None  # a plugged-in engine reads alone
    if not _SECOND:
        from .ocr import second_engine as make

        _SECOND.append(make())
    return _SECOND[0]
