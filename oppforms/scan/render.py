"""What a page should look like: the blank form rendered, once per process.

The blank form (the shipped PDF) is rendered with ``pdftoppm`` at the resolution pages are
read at; a scanned page is compared with it to find ink the form does not print
(handwriting, notes) and, at low resolution, to find a page without a readable code by
its layout.
"""

from __future__ import annotations

import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ..i18n import N_
from ..errors import MissingDependencyError
from .images import PROGRAM_TIMEOUT
from .ocr import Gray


def render_pdf_pages(pdf_path: str, dpi: float, pages: int) -> list[Gray]:
    """Pages 1..``pages`` of a PDF as grey images at ``dpi``."""
    with tempfile.TemporaryDirectory(prefix="oppforms-") as tmp:
        try:
            subprocess.run(
                ["pdftoppm", "-r", f"{dpi:g}", "-gray", "-l", str(pages), pdf_path, str(Path(tmp) / "p")],
                check=True,
                capture_output=True,
                timeout=PROGRAM_TIMEOUT * 2,
            )
        except FileNotFoundError as exc:
            raise MissingDependencyError(N_("reading scans needs poppler: sudo apt-get install poppler-utils")) from exc
        out = []
        for path in sorted(Path(tmp).glob("p-*.pgm")):
            img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            out.append(np.asarray(img, dtype=np.uint8))
        return out


@lru_cache(maxsize=2)
def blank_pages(pdf_path: str, dpi: float, pages: int) -> tuple[Gray, ...]:
    return tuple(render_pdf_pages(pdf_path, dpi, pages))
