"""Did-you-mean among many ids (`check.suggest.closest`) answers exactly what `dg.closest` does."""

from __future__ import annotations

import random

import pytest

from stratlang import diagnostics as dg
from stratlang.check import suggest


def mangle(name: str, rng: random.Random) -> str:
    """A name one or a few typing slips away: letters inserted, dropped, changed, swapped."""
    letters = "abxyzP0123_中"
    for _ in range(rng.randrange(0, 4)):
        i = rng.randrange(len(name) + 1)
        op = rng.randrange(4)
        if op == 0:
            name = name[:i] + rng.choice(letters) + name[i:]
        elif op == 1 and len(name) > 1:
            name = name[:i] + name[i + 1 :]
        elif op == 2 and i < len(name):
            name = name[:i] + rng.choice(letters) + name[i + 1 :]
        elif i + 1 < len(name):
            name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name or "a"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_closest_equals_the_edit_distance_over_every_candidate(seed):
    rng = random.Random(seed)
    ids = [f"{rng.choice('FCPL')}{n:05d}" for n in range(200)] + [
        "aum_growth",
        "ab",
        "ba",
        "a",
        "young",
        "yuong",
        "中文",
        "F00001",  # twice: duplicates are kept as dg.closest keeps them
    ]
    for _ in range(200):
        name = mangle(rng.choice(ids), rng)
        assert suggest.closest(name, ids) == dg.closest(name, ids), name


def test_answers_are_remembered_per_candidate_set():
    ids = ["F00001", "F00002", "C00001"]
    first = suggest.closest("F0001", ids)
    assert first == dg.closest("F0001", ids)
    first.append("changed by a caller")  # a caller's list is its own
    assert suggest.closest("F0001", ids) == dg.closest("F0001", ids)
    assert suggest.closest("F0001", [*ids, "F00011"]) == dg.closest("F0001", [*ids, "F00011"])


@pytest.mark.slow
def test_the_index_follows_ids_that_come_and_go():
    """Sets of ids asked about again are indexed, and the index is updated when a few ids come or
    go between checks (the language server's edits): answers stay dg.closest's."""
    rng = random.Random(5)
    ids = [f"{rng.choice('FCPL')}{n:05d}" for n in range(300)]
    for step in range(60):
        if step % 3 == 0:  # a declaration added, renamed or removed
            k = rng.randrange(len(ids))
            choice = rng.random()
            if choice < 0.4:
                ids.insert(k, mangle(ids[k], rng))
            elif choice < 0.7:
                ids[k] = mangle(ids[k], rng)
            else:
                del ids[k]
        name = mangle(rng.choice(ids), rng)
        assert suggest.closest(name, ids) == dg.closest(name, ids), (step, name)
    assert suggest._INDEXES, "the set was indexed"
