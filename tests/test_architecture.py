"""The house plan, checked: the import direction of the layers, a quiet library, no AGPL.

Layers, lowest first; a module may import its own layer or lower ones only, and
``fill`` and ``extract`` never import each other (round trips are composed in tests).
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "oppforms"
LAYERS: list[set[str]] = [
    {"errors", "geometry", "_version", "i18n"},
    {"spec", "_spec_loader", "fonts", "_io", "pagecode", "qr", "issued", "_pdfsyntax", "_pdfupdate", "executor", "_dask_worker"},
    {"typeset", "records", "values", "naming", "continuation", "smart"},
    {"draw"},
    {"build", "sources", "intake", "fill", "deliver", "extract", "exports", "scan", "template", "archive", "review", "signatures"},
    {"batch", "workspace", "workspace_schema"},
    {"cli", "cli_archive", "cli_extract", "cli_text", "__main__", "__init__", "web"},
]
NEVER = {("fill", "extract"), ("extract", "fill"), ("scan", "fill"), ("scan", "batch"), ("archive", "fill"), ("extract", "archive")}
#: Inside ``sources``, lowest first: helpers, the reader every format shares, one module
#: per format, the entry points. A module imports lower ones only, so no format reader
#: leans on another's code: what they share belongs in ``base``.
SOURCES_LAYERS: list[set[str]] = [
    {"encodings", "headers", "interchange"},
    {"base"},
    {"csv_reader", "xlsx_reader", "json_reader"},
    {"readers"},
    {"__init__"},
]


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f"oppforms.{module} is in no layer: add it to LAYERS in this test")


def modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def internal_imports(name: str, tree: ast.Module) -> set[str]:
    found = set()
    package_parts = name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
                if target:
                    found.add(target)
                else:
                    found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("oppforms."):
                found.add(node.module.removeprefix("oppforms."))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("oppforms."):
                    found.add(alias.name.removeprefix("oppforms."))
    return found


def test_lower_layers_never_import_higher_ones() -> None:
    problems = []
    for name, tree in modules().items():
        if name == "__init__" or name.startswith("forms"):
            continue
        for target in internal_imports(name, tree):
            if target.startswith("forms"):
                continue
            if layer_of(target) > layer_of(name):
                problems.append(f"{name} imports {target}")
            if (name.split(".")[0], target.split(".")[0]) in NEVER:
                problems.append(f"{name} imports {target} (fill and extract stay apart)")
    assert not problems, problems


def test_inside_sources_the_format_readers_share_only_the_lower_modules() -> None:
    def level(module: str) -> int:
        sub = module.removeprefix("sources").removeprefix(".") or "__init__"
        for i, layer in enumerate(SOURCES_LAYERS):
            if sub in layer:
                return i
        raise AssertionError(f"oppforms.{module} is in no layer: add it to SOURCES_LAYERS in this test")

    problems = []
    for name, tree in modules().items():
        if name.split(".")[0] != "sources":
            continue
        for target in internal_imports(name, tree):
            if target.split(".")[0] == "sources" and level(target) >= level(name):
                problems.append(f"{name} imports {target}")
    assert not problems, problems


def test_only_the_cli_prints_exits_or_knows_click() -> None:
    problems = []
    for name, tree in modules().items():
        if name in {"cli", "cli_archive", "cli_extract", "cli_text", "__main__"}:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"print", "exit"}:
                problems.append(f"{name}: {node.func.id}()")
            if isinstance(node, ast.Attribute) and node.attr == "exit" and getattr(node.value, "id", "") == "sys":
                problems.append(f"{name}: sys.exit")
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] == "click" for m in mods):
                    problems.append(f"{name}: imports click")
    assert not problems, problems


def test_the_product_never_imports_pymupdf() -> None:
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(m.split(".")[0] in {"fitz", "pymupdf"} for m in mods), name
