"""A plain wheel of this checkout works on its own, and filling and reading live forms
work without the scanned-forms reader (the extra ``scan``).

What this proves: the wheel holds every module, the shipped forms, the fonts and the
``oppforms`` command, and needs nothing from the checkout (the commands run from another
folder, and ``oppforms`` is imported from the fresh environment). What it does not prove:
the wheel's dependency list; to stay fast and offline the fresh environment borrows the
test environment's installed packages (a ``.pth`` line) instead of installing them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

SCAN_MODULES = ("cv2", "numpy", "tesserocr", "spylls", "zxingcpp")
PROBE = (
    "oppforms/zzprobe/__init__.py",
    "oppforms/zzprobe/templates/base.html",
    "oppforms/zzprobe/templates/parts/row.html",
    "oppforms/zzprobe/static/app.css",
    "oppforms/zzprobe/static/vendor/htmx-2.0/htmx.min.js",
    "oppforms/zzprobe/locale/nl/LC_MESSAGES/oppforms.mo",
)

BLOCKER = '''
import importlib.abc

class Blocker(importlib.abc.MetaPathFinder):
    """As if the extra "scan" were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in %r:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
''' % (SCAN_MODULES,)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the wheel of this checkout installed (no checkout on its path)."""
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools (the extra test)")
    work = tmp_path_factory.mktemp("install")
    source = work / "source"  # a clean copy: no build/ or egg-info left by earlier builds
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "out", "dist"))
    for name in PROBE:  # a subpackage as a web app or a translation would add it: found with its data
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text("", encoding="utf-8")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work / "dist"), str(source)],
        capture_output=True, text=True, timeout=600, env=_own_env(),
    )
    assert built.returncode == 0, built.stderr[-2000:]
    assert "warning" not in built.stderr.lower(), built.stderr[-2000:]
    wheel = next((work / "dist").glob("oppforms-*.whl"))
    (work / "wheel-files.txt").write_text("\n".join(zipfile.ZipFile(wheel).namelist()), encoding="utf-8")
    with zipfile.ZipFile(wheel) as whl:
        metadata = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        (work / "wheel-metadata.txt").write_bytes(whl.read(metadata))
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True, text=True, timeout=600, env=_own_env(),
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True, env=_own_env()).stdout.strip())
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_borrowed_dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n", encoding="utf-8")
    return env_dir


def test_the_wheel_holds_every_subpackage_with_its_templates_static_files_and_catalogues(fresh: Path) -> None:
    names = set((fresh.parent / "wheel-files.txt").read_text(encoding="utf-8").splitlines())
    assert set(PROBE) <= names
    assert {"oppforms/forms/opp-kort-v1.toml", "oppforms/forms/opp-kort-v1.pdf", "oppforms/fonts/Carlito-Regular.ttf",
            "oppforms/fonts/OFL.txt", "oppforms/py.typed", "oppforms/scan/__init__.py"} <= names


def test_an_editable_install_as_the_readme_sets_up_says_nothing_that_reads_as_a_fault(fresh: Path, tmp_path: Path) -> None:
    """``pip install -e .`` (the README's set-up) of the clean copy into a new environment:
    no warning on the way (setuptools' notice on editable installs of a package at the top
    of its project is not shown: see setup.py), and ``oppforms`` is then the copy's."""
    source = fresh.parent / "source"
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True, env=_own_env()).stdout.strip())
    # the build runs in the new environment (no build isolation, offline): setuptools and
    # the rest borrowed from the test environment, as the fixture does
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_borrowed_dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-build-isolation", "-q", "-e", str(source)],
        capture_output=True, text=True, timeout=600, env=_own_env(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "warning" not in done.stderr.lower() and "!!" not in done.stderr, done.stderr[-2000:]
    where = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('oppforms').origin)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path, env=_own_env()).stdout.strip()
    assert Path(where) == source / "oppforms" / "__init__.py"


def test_the_wheel_requires_every_dependency_pyproject_declares(fresh: Path) -> None:
    """What a plain ``pip install oppforms`` installs (isal, for filling, among them): the
    wheel's unconditional Requires-Dist are exactly pyproject's dependencies."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    lines = (fresh.parent / "wheel-metadata.txt").read_text(encoding="utf-8").splitlines()
    required = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("Requires-Dist:") and "extra ==" not in ln]
    assert sorted(map(_requirement, required)) == sorted(map(_requirement, declared))
    assert any(r.startswith("isal") for r in required)


def _requirement(text: str) -> str:
    from packaging.requirements import Requirement

    req = Requirement(text)
    return f"{req.name.lower()}{sorted(req.extras)}{sorted(str(s) for s in req.specifier)}"


def _own_env() -> dict[str, str]:
    """This environment without what would point a fresh environment's Python at a checkout
    (a PYTHONPATH set by whoever runs the tests)."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}


def _run(env_dir: Path, cwd: Path, *args: str, block_scan: bool = False) -> subprocess.CompletedProcess[str]:
    env = _own_env()
    if block_scan:
        env["PYTHONPATH"] = str(cwd / "blocker")
        (cwd / "blocker").mkdir(exist_ok=True)
        (cwd / "blocker" / "_scan_blocker.py").write_text(BLOCKER, encoding="utf-8")
        (cwd / "blocker" / "sitecustomize.py").write_text(
            "import sys, _scan_blocker\nsys.meta_path.insert(0, _scan_blocker.Blocker())\n", encoding="utf-8"
        )
    return subprocess.run([str(env_dir / "bin" / "oppforms"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _samples(cwd: Path, n: int) -> list[dict[str, str]]:
    records = json.loads((ROOT / "samples" / "opp-leerlingen.json").read_text(encoding="utf-8"))[:n]
    (cwd / "leerlingen.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return records


def test_the_wheel_fills_and_reads_forms_back_from_another_folder(fresh: Path, tmp_path: Path) -> None:
    where = subprocess.run([str(fresh / "bin" / "python"), "-c", "import oppforms; print(oppforms.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True, env=_own_env()).stdout.strip()
    assert Path(where).is_relative_to(fresh), where  # not the checkout's
    records = _samples(tmp_path, 3)
    blank = _run(fresh, tmp_path, "blank", "-o", "leeg.pdf")
    assert blank.returncode == 0, blank.stderr
    assert (tmp_path / "leeg.pdf").read_bytes().startswith(b"%PDF")
    filled = _run(fresh, tmp_path, "fill", "leerlingen.json", "-o", "uit", "-q")
    assert filled.returncode == 0, filled.stderr
    back = _run(fresh, tmp_path, "extract", "uit", "-o", "terug.json")
    assert back.returncode == 0, back.stderr
    got = {r["fields"]["leerling.nummer"]: r["fields"] for r in json.loads((tmp_path / "terug.json").read_text(encoding="utf-8"))}
    for record in records:
        assert all(got[record["leerling.nummer"]][k] == v for k, v in record.items()), record["leerling.nummer"]


def test_without_the_scan_extra_live_forms_fill_and_read_back_and_scans_need_ocr(fresh: Path, tmp_path: Path) -> None:
    from PIL import Image

    records = _samples(tmp_path, 2)
    probe = _run(fresh, tmp_path, "--help", block_scan=True)
    assert probe.returncode == 0, probe.stderr
    for module in SCAN_MODULES:  # the blocker works: none of the scan reader's libraries can be imported
        check = subprocess.run([str(fresh / "bin" / "python"), "-c", f"import {module}"], cwd=tmp_path, capture_output=True,
                               text=True, env={**os.environ, "PYTHONPATH": str(tmp_path / "blocker")})
        assert check.returncode != 0 and "No module named" in check.stderr, module
    filled = _run(fresh, tmp_path, "fill", "leerlingen.json", "-o", "uit", "-q", block_scan=True)
    assert filled.returncode == 0, filled.stderr
    back = _run(fresh, tmp_path, "extract", "uit", "-o", "terug.json", block_scan=True)
    assert back.returncode == 0, back.stderr
    got = json.loads((tmp_path / "terug.json").read_text(encoding="utf-8"))
    assert sorted(r["fields"]["leerling.nummer"] for r in got) == sorted(r["leerling.nummer"] for r in records)
    Image.new("L", (850, 1100), 255).save(tmp_path / "scan.pdf", "PDF", resolution=100)  # a page that is only an image
    scanned = _run(fresh, tmp_path, "extract", "scan.pdf", "--report", "verslag.csv", block_scan=True)
    report = (tmp_path / "verslag.csv").read_text(encoding="utf-8-sig")
    assert "needs OCR" in report
    assert scanned.returncode == 5, scanned.stderr  # a library the scanned-forms reader needs is missing
    assert 'pip install "oppforms[scan]"' in scanned.stderr
