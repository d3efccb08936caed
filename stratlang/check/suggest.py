"""Did-you-mean among many ids, fast: `dg.closest`'s answer without its edit distance on every id.

`dg.closest` computes the edit distance (a Python loop over both names' characters) to every
candidate: 40 ms for one misspelt reference among 2,900 objectives, paid again on every check —
in the language server, on every keystroke while a reference is half typed. Here the distance is
computed only for candidates that may be close enough, and answers are remembered across checks:

- a candidate within distance 2 of the name shares with it a string left by deleting at most 2
  characters from each (an insertion deletes from one side, a substitution or a transposition one
  character from each). A set of candidates asked about again gets an index of those strings
  (2,900 ids: ~30 ms once; kept, and updated when a few ids come or go), and a name is then
  compared with the few candidates it meets there;
- a set asked about for the first time is filtered by letter counts instead: a candidate with more
  than 2 letters the name lacks, or lacking more than 2 of its letters, is too far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from .. import diagnostics as dg

_MEMO: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
# (name, candidates) answers kept, each holding its ids (~25 kB at 3,000); cleared when full
_MEMO_SIZE = 256
_ASKED: dict[tuple[str, ...], int] = {}  # candidate sets asked about (cleared when large)
INDEX_FROM = 200  # smaller sets are filtered by letter counts every time
REACH = 2  # dg.closest's largest distance


class _Index:
    """The strings left by deleting up to REACH characters from each of a set of candidates."""

    def __init__(self, candidates: set[str]) -> None:
        self.candidates: set[str] = set()
        self.by_string: dict[str, set[str]] = {}
        self.whole = True  # False while updating: an update cut short (a stale check) is dropped
        self.update(candidates)

    def update(self, candidates: set[str]) -> None:
        """Made the index of `candidates` (changing only what differs)."""
        self.whole = False
        for c in self.candidates - candidates:
            for s in _deletions(c):
                met = self.by_string[s]
                met.discard(c)
                if not met:
                    del self.by_string[s]
        for c in candidates - self.candidates:
            for s in _deletions(c):
                self.by_string.setdefault(s, set()).add(c)
        self.candidates = candidates
        self.whole = True

    def meets(self, name: str) -> set[str]:
        met: set[str] = set()
        for s in _deletions(name):
            met.update(self.by_string.get(s, ()))
        return met


_INDEXES: list[_Index] = []  # the sets of ids asked about again, last used first (4 at most)


def closest(name: str, candidates: Collection[str]) -> list[str]:
    """Exactly `dg.closest(name, candidates)`, closest first."""
    key = (name, tuple(candidates))
    found = _MEMO.get(key)
    if found is None:
        found = tuple(_closest(name, key[1]))
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = found
    return list(found)


def _closest(name: str, candidates: tuple[str, ...]) -> list[str]:
    if len(candidates) >= INDEX_FROM:
        index = _index_of(candidates)
        if index is not None:
            met = index.meets(name)
            return dg.closest(name, [c for c in candidates if c in met])
    return dg.closest(name, _by_letters(name, candidates))


def _index_of(candidates: tuple[str, ...]) -> _Index | None:
    """The index of `candidates`: one kept (updated when a few ids came or went: the language
    server's checks ask about nearly the same ids edit after edit), or a new one when the set
    is asked about a second time; None the first time (a single `check` asks once)."""
    wanted = set(candidates)
    _INDEXES[:] = [i for i in _INDEXES if i.whole]
    near = None
    for index in _INDEXES:
        if index.candidates == wanted:
            near = index
            break
        if near is None and len(index.candidates ^ wanted) <= max(16, len(wanted) // 8):
            near = index
    if near is not None:
        if near.candidates != wanted:
            near.update(wanted)
    elif _ASKED.get(candidates, 0) >= 1:
        near = _Index(wanted)
    else:
        if len(_ASKED) > 64:
            _ASKED.clear()
        _ASKED[candidates] = 1
        return None
    if near in _INDEXES:
        _INDEXES.remove(near)
    _INDEXES.insert(0, near)
    del _INDEXES[4:]
    return near


def _deletions(s: str) -> set[str]:
    """`s` with up to REACH (2) characters deleted (`s` itself included)."""
    one = {s[:i] + s[i + 1 :] for i in range(len(s))}
    two = {t[:j] + t[j + 1 :] for t in one for j in range(len(t))}
    return {s} | one | two


def _by_letters(name: str, candidates: tuple[str, ...]) -> list[str]:
    limit = 1 if len(name) < 3 else 2  # as dg.closest
    counts = Counter(name)
    n = len(name)
    near = []
    for c in candidates:
        if c == name or abs(len(c) - n) > limit:
            continue
        # A lower bound on the distance: a substitution changes the letters of each name by at
        # most one, an insertion or deletion those of one name, a transposition none; so no
        # fewer edits than the letters one name has beyond the other's.
        diff = Counter(c)
        diff.subtract(counts)
        more = fewer = 0
        for v in diff.values():
            if v > 0:
                more += v
            else:
                fewer -= v
        if more <= limit and fewer <= limit:
            near.append(c)
    return near
