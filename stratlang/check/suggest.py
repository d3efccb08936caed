"""Did-you-mean among many ids, fast: `dg.closest`'s answer without its edit distance on every id.

`dg.closest` computes the edit distance (a Python loop over both names' characters) to every
candidate: 40 ms for one misspelt reference among 2,900 objectives, paid again on every check —
in the language server, on every keystroke while a reference is half typed. Here most candidates
are ruled out by a bound that needs no alignment, and answers are remembered across checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from .. import diagnostics as dg

_MEMO: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
_MEMO_SIZE = 2048  # (name, candidates) answers kept; cleared when full


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
    return dg.closest(name, near)
