"""A Dutch word list as a prior for the best guess of a word the print cannot decide.

Read from the paper alone, some letters look alike at the sizes a form prints: a capital
``I`` and a small ``l`` in Carlito differ by under two pixels of height at 300 dpi, ``è``
and ``ê`` by a few pixels of accent. When the print cannot tell which was printed, the
word goes to review anyway; this module only decides which reading to show there, and so
which one a person confirms with one look instead of retyping it: of the look-alike
readings, the one that is a Dutch word ("leerplichtambtenaar", not "Ieerplichtambtenaar").

The word list is the OpenTaal Hunspell dictionary (Debian ``hunspell-nl``), read with
``spylls`` (Hunspell in pure Python: it knows Dutch compounds, which a plain word list does
not). Both are optional at run time: without them the guesses are the print's alone. Never
used to accept a value: a word the print does not confirm stays in review.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

#: Where Debian and others install Hunspell dictionaries, and the Dutch ones' names.
DICTIONARY_DIRS = (Path("/usr/share/hunspell"), Path("/usr/share/myspell/dicts"), Path("/usr/share/myspell"))
DICTIONARY_NAMES = ("nl_NL", "nl")

_PIECE = 4  # the fewest letters a known start or end of a word must have
_MORE = 3  # … and how many more letters a reading's must cover to be likelier

_EDGES = re.compile(r"^([^\w]*)(.*?)([^\w]*)$", re.DOTALL)
_PARTS = re.compile(r"[-/]")


class _Lookup(Protocol):
    def lookup(self, word: str) -> bool: ...


class Lexicon:
    """Which words are Dutch. A word is its letters without the punctuation around it;
    compounds joined by a hyphen or slash are known when each part is."""

    def __init__(self, dictionary: _Lookup) -> None:
        self._dictionary = dictionary
        self._known: dict[str, bool] = {}
        self._parts: dict[str, bool] = {}

    def knows(self, word: str) -> bool:
        m = _EDGES.match(word)
        core = m.group(2) if m else word
        if not any(ch.isalpha() for ch in core):
            return True  # numbers, dates, signs: nothing for a word list to say
        if core not in self._known:
            parts = [p for p in _PARTS.split(core) if p]
            self._known[core] = bool(parts) and all(self._part(p) for p in parts)
        return self._known[core]

    def _part(self, part: str) -> bool:
        if not any(ch.isalpha() for ch in part):
            return True
        if part not in self._parts:
            try:
                self._parts[part] = bool(self._dictionary.lookup(part)) or (
                    part[:1].isupper() and bool(self._dictionary.lookup(part.lower()))
                )
            except Exception:  # noqa: BLE001 - a word the dictionary chokes on is not known
                self._parts[part] = False
        return self._parts[part]

    def likelier(self, word: str, readings: Iterable[str]) -> list[str]:
        """Of ``readings`` (look-alikes of ``word``), those that are Dutch words, when
        ``word`` is not one; otherwise none (a name or a rare word read right stays).
        When none is a word, those that differ from ``word`` by a capital I for a small l
        (or back) and whose start and end are words over more letters than ``word``'s
        ("leerling…administratie", a compound the list lacks, for "Ieerling…"), best first."""
        if self.knows(word):
            return []
        candidates = list(dict.fromkeys(r for r in readings if r != word))
        known = [r for r in candidates if self.knows(r)]
        if known:
            return known
        ells = [r for r in candidates if _ell_swap(word, r)]
        if not ells:
            return []
        base = self.covered(word)
        scored = sorted(((self.covered(r), r) for r in ells), key=lambda x: -x[0])
        return [r for c, r in scored if c >= base + _MORE]

    def covered(self, word: str) -> int:
        """How many letters of ``word`` the longest known word it starts with and the
        longest it ends with cover (each of at least four letters)."""
        m = _EDGES.match(word)
        core = m.group(2) if m else word
        n = len(core)
        head = next((k for k in range(n, _PIECE - 1, -1) if self._part(core[:k])), 0)
        if head == n:
            return n
        tail = next((k for k in range(n - head, _PIECE - 1, -1) if self._part(core[n - k :])), 0)
        return head + tail


def _ell_swap(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ only where one has a capital I and the other an l."""
    return len(a) == len(b) and a != b and all(x == y or {x, y} == {"I", "l"} for x, y in zip(a, b, strict=True))


_LOADED: list[Lexicon | None] = []


def dutch(dirs: Sequence[Path] = DICTIONARY_DIRS) -> Lexicon | None:
    """This process's Dutch word list, loaded on first use (about two seconds); None when
    ``spylls`` or the dictionary is not installed."""
    if _LOADED:
        return _LOADED[0]
    lexicon: Lexicon | None = None
    found = next((d / n for d in dirs for n in DICTIONARY_NAMES if (d / f"{n}.dic").is_file() and (d / f"{n}.aff").is_file()), None)
    if found is None:
        log.info("no Dutch Hunspell dictionary (hunspell-nl): review guesses use the print alone")
    else:
        try:
            from spylls.hunspell import Dictionary  # type: ignore[import-untyped]
        except ImportError:
            log.info("spylls is not installed: review guesses use the print alone")
        else:
            lexicon = Lexicon(Dictionary.from_files(str(found)))
    _LOADED.append(lexicon)
    return lexicon
