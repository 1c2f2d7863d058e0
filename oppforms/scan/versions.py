"""What this process reads scans with, by version: compared between a client and every
worker of a cluster before a run (``oppforms cluster check``), because two machines
that differ in any of these can read the same page differently.

Models and dictionaries are named by the first 12 hex digits of their SHA-256 (Debian
and tessdata releases carry no version inside the file); oppforms itself by its version
and a hash of its code and form specs, so two checkouts of the same version number that
differ are told apart. Nothing here reads pupil data.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import platform
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from .. import _version
from .lexicon import DICTIONARY_DIRS, DICTIONARY_NAMES
from .ocr import LANGUAGE, SECOND_LANGUAGES, tessdata_dir

__all__ = ["installed"]

_PACKAGE = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=8)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]


def _file(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "absent"
    return _digest(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=1)
def _code() -> str:
    """A hash of oppforms' code and form specs (what decides how a page is read)."""
    from ..spec import current_spec, shipped_pdf_path

    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(_PACKAGE)).encode())
        h.update(path.read_bytes())
    spec_pdf = shipped_pdf_path(current_spec())
    for path in sorted(spec_pdf.parent.glob("*.toml")) + [spec_pdf]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _tesseract() -> str:
    try:
        import tesserocr

        return str(tesserocr.tesseract_version().split()[1]) + " (tesserocr " + str(tesserocr.__version__) + ")"
    except ImportError:
        pass
    program = shutil.which("tesseract")
    if program is None:
        return "absent"
    try:
        out = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "absent"
    first = (out.stdout or out.stderr).split("\n")[0].split()
    return (first[1] if len(first) > 1 else "unknown") + " (program)"


def _library(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def installed() -> dict[str, str]:
    """This process's versions of what reads a scan: oppforms (version and code), Python,
    tesseract, its Dutch and Latin-script models, the Dutch dictionary, OpenCV, zxing-cpp,
    pypdf, and whether the process may start the sandbox's reader processes."""
    tessdata = tessdata_dir()
    second = "absent"
    if tessdata is not None:
        for language in SECOND_LANGUAGES:
            if (tessdata / f"{language}.traineddata").is_file():
                second = f"{language} {_file(tessdata / f'{language}.traineddata')}"
                break
    dictionary = "absent"
    for folder in DICTIONARY_DIRS:
        found = [n for n in DICTIONARY_NAMES if (folder / f"{n}.dic").is_file()]
        if found:
            dictionary = f"{_file(folder / f'{found[0]}.dic')}/{_file(folder / f'{found[0]}.aff')}"
            break
    return {
        "oppforms": f"{_version.__version__} (code {_code()})",
        "python": ".".join(platform.python_version_tuple()[:2]),
        "tesseract": _tesseract(),
        f"model {LANGUAGE}": _file(tessdata / f"{LANGUAGE}.traineddata") if tessdata is not None else "absent",
        "model Latin": second,
        "dictionary nl": dictionary,
        "opencv": _library("opencv-python-headless"),
        "zxing-cpp": _library("zxing-cpp"),
        "pypdf": _library("pypdf"),
        "reader processes": "no (a daemonic worker)" if multiprocessing.current_process().daemon else "yes",
    }
