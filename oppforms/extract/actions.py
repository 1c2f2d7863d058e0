"""Actions a PDF would have a viewer run: found and reported, never run.

oppforms never executes anything from a PDF (it has no JavaScript engine and opens no
files or links); this module only tells a user that a returned form carries JavaScript,
a launch (run a program or open a file), a form submission or a data import, which a
form filled by oppforms never does. Looked at: the document's open action and additional
actions, the JavaScript name tree, every page's additional actions, and every
annotation's and form field's action and additional actions (links, form widgets,
field scripts), following ``/Next``
chains. The walk is bounded (objects are visited once, at most :data:`MAX_ACTIONS`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pikepdf

from ..i18n import N_
from .acroform import as_array, as_dict, type_code

__all__ = ["RISKY", "find_actions"]

#: Action types that are reported, with what they do, in words for a user.
RISKY = {
    "/JavaScript": N_("JavaScript"),
    "/Launch": N_("a launch action (runs a program or opens a file)"),
    "/SubmitForm": N_("a submit action (sends the form's data somewhere)"),
    "/ImportData": N_("an import action (loads data into the form)"),
    "/GoToE": N_("a go-to-embedded action"),
    "/RichMediaExecute": N_("a rich-media action"),
}
MAX_ACTIONS = 10_000
_DICT = pikepdf.ObjectType.dictionary


def _actions(obj: object, seen: set[tuple[int, int]], budget: list[int]) -> Iterator[str]:
    """The types of the action ``obj`` and the actions chained to it (``/Next``)."""
    stack = [obj]
    while stack and budget[0] > 0:
        budget[0] -= 1
        item = stack.pop()
        array = as_array(item)
        if array is not None:
            stack.extend(array)
            continue
        d = as_dict(item)
        if d is None:
            continue
        key = d.objgen
        if key != (0, 0):
            if key in seen:
                continue
            seen.add(key)
        kind = d.get("/S")
        if kind is not None:
            yield str(kind)
        nxt = d.get("/Next")
        if nxt is not None:
            stack.append(nxt)


def _additional(aa: object, seen: set[tuple[int, int]], budget: list[int]) -> Iterator[str]:
    d = as_dict(aa)
    if d is not None:
        for key in list(d.keys())[:64]:
            yield from _actions(d.get(key), seen, budget)


def find_actions(pdf: pikepdf.Pdf, field_nodes: Sequence[pikepdf.Dictionary] = ()) -> list[str]:
    """What ``pdf`` would have a viewer run, in words (one entry per kind), e.g.
    ``["JavaScript", "a launch action (runs a program or opens a file)"]``.
    ``field_nodes`` are the form fields with actions (``/A`` or ``/AA``), as the field
    tree walk found them (:attr:`.acroform.FieldTree.action_nodes`)."""
    seen: set[tuple[int, int]] = set()
    budget = [MAX_ACTIONS]
    kinds: list[str] = []
    root = pdf.Root
    kinds.extend(_actions(root.get("/OpenAction"), seen, budget))
    kinds.extend(_additional(root.get("/AA"), seen, budget))
    names = as_dict(root.get("/Names"))
    if names is not None and "/JavaScript" in names:
        kinds.append("/JavaScript")
    for node in field_nodes:
        kinds.extend(_actions(node.get("/A"), seen, budget))
        kinds.extend(_additional(node.get("/AA"), seen, budget))
    try:
        pages = list(pdf.pages)
    except (pikepdf.PdfError, RuntimeError, RecursionError):
        pages = []
    for page in pages[:2000]:
        kinds.extend(_additional(page.obj.get("/AA"), seen, budget))
        annots = as_array(page.obj.get("/Annots"))
        if annots is None:
            continue
        for annot in list(annots)[:5000]:
            if type_code(annot) == _DICT:
                if "/A" in annot:
                    kinds.extend(_actions(annot.get("/A"), seen, budget))
                if "/AA" in annot:
                    kinds.extend(_additional(annot.get("/AA"), seen, budget))
        if budget[0] <= 0:
            break
    found = dict.fromkeys(RISKY[k] for k in kinds if k in RISKY)
    return list(found)
