"""The language server's resolution cache (`check.resolve.BuildCache`): after any edit, a check
that reuses the last check's resolved declarations equals a full check of the same texts —
diagnostics and model.

Edits are random: the snippets of test_lsp_incremental.py, and edits aimed at what the cache
depends on: an id changed (a reference or a declaration renamed, a typo, one id copied over
another: wrong kinds, duplicates), a line deleted, a block removed, and going back to an
earlier version (the incremental parse then gives back nodes the cache has seen).
`STRATLANG_CACHE_SEEDS` runs more seeds than CI's.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from test_lsp_incremental import edit as snippet_edit
from test_lsp_incremental import language_server, published

from stratlang.check import BuildCache, check_entry, check_project
from stratlang.check.loader import load_project
from stratlang.lsp.convert import path_to_uri, to_lsp
from stratlang.lsp.incremental import IncrementalParser

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PROJECTS = ("bank_wealth", "card_retention", "customer_equity", "telecom_winback")
SEEDS = int(os.environ.get("STRATLANG_CACHE_SEEDS", "2"))
WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def fields(model: object) -> dict[str, object]:
    """A model's contents (`Model` compares by identity)."""
    return {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}  # type: ignore[arg-type]


def aimed_edit(text: str, rng: random.Random, history: list[str]) -> str:
    op = rng.random()
    words = list(WORD.finditer(text))
    if op < 0.1 and history:
        return rng.choice(history)  # back to an earlier version
    if op < 0.45 and words:
        w = rng.choice(words)
        a, b = w.span()
        choice = rng.random()
        if choice < 0.3:
            new = w.group() + rng.choice("xq1")
        elif choice < 0.5:
            new = w.group()[:-1]
        else:
            new = rng.choice(words).group()  # another id (or keyword) in its place
        return text[:a] + new + text[b:]
    if op < 0.55:  # a top-level block removed
        starts = [m.start() for m in re.finditer(r"^\w", text, re.M)]
        if len(starts) > 2:
            k = rng.randrange(len(starts) - 1)
            return text[: starts[k]] + text[starts[k + 1] :]
    return snippet_edit(text, rng)


def run_edits(project: str, seed: int, steps: int) -> None:
    files = sorted((EXAMPLES / project).glob("*.strat"))
    entry = (EXAMPLES / project / "main.strat").resolve()
    texts = {p.resolve(): p.read_text(encoding="utf-8") for p in files}
    rng = random.Random(f"{project}-{seed}")
    parser = IncrementalParser()
    cache = BuildCache()
    history: list[str] = []
    for step in range(steps):
        path = rng.choice(sorted(texts))
        history.append(texts[path])
        texts[path] = aimed_edit(texts[path], rng, history[-8:])
        overlay = dict(texts)
        inc = check_project(load_project(entry, None, overlay, parse=parser.parse), cache=cache)
        full = check_entry(entry, overlay=overlay)
        where = f"{project} seed {seed} edit {step} ({path.name})"
        assert inc.diagnostics == full.diagnostics, where
        assert fields(inc.model) == fields(full.model), where


@pytest.mark.slow
@pytest.mark.parametrize("project", PROJECTS)
@pytest.mark.parametrize("seed", range(SEEDS))
def test_a_check_through_the_cache_equals_a_full_check_after_random_edits(project, seed):
    run_edits(project, seed, 15)


def test_an_edit_resolves_only_the_touched_declaration_again():
    entry = (EXAMPLES / "bank_wealth" / "main.strat").resolve()
    plays = (EXAMPLES / "bank_wealth" / "plays.strat").resolve()
    text = plays.read_text(encoding="utf-8")
    parser, cache = IncrementalParser(), BuildCache()
    check_project(load_project(entry, None, {plays: text}, parse=parser.parse), cache=cache)
    before = cache.built
    check_project(load_project(entry, None, {plays: text}, parse=parser.parse), cache=cache)
    reported = cache.built - before  # declarations with diagnostics: resolved every time
    at = text.index("priority") + len("priority ")
    edited = text[:at] + "1" + text[at:]  # one play's priority
    before = cache.built
    res = check_project(load_project(entry, None, {plays: edited}, parse=parser.parse), cache=cache)
    assert cache.built - before == reported + 1
    assert cache.reused > 0
    assert res.diagnostics == check_entry(entry, overlay={plays: edited}).diagnostics


def test_a_renamed_declaration_resolves_its_users_again():
    """A play that supports an objective is resolved again when the objective goes away, and
    reports it (the cached resolution looked the objective up)."""
    entry = (EXAMPLES / "bank_wealth" / "main.strat").resolve()
    parser, cache = IncrementalParser(), BuildCache()
    check_project(load_project(entry, None, {}, parse=parser.parse), cache=cache)
    main = entry.read_text(encoding="utf-8")
    m = re.search(r"^objective (\w+)", main, re.M)
    assert m is not None
    renamed = main[: m.start(1)] + "Renamed" + main[m.end(1) :]
    res = check_project(
        load_project(entry, None, {entry: renamed}, parse=parser.parse), cache=cache
    )
    full = check_entry(entry, overlay={entry: renamed})
    assert any(d.code == "NAM201" and m.group(1) in d.message for d in full.diagnostics)
    assert res.diagnostics == full.diagnostics


def test_a_malformed_window_in_a_contact_limit_is_reported_not_a_crash(tmp_path):
    """Found by the random edits: `at most 3 per 7ry` tripped an assertion in resolution."""
    main = tmp_path / "main.strat"
    main.write_text(
        'strategy "s" { period 2026-01-01 .. 2026-12-31 }\npolicy p "p" {\n  at most 3 per 7ry\n}\n',
        encoding="utf-8",
    )
    res = check_entry(main)
    assert [d.code for d in res.diagnostics if d.severity.name == "ERROR"] == ["SYN103"]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_published_diagnostics_equal_a_full_check_after_aimed_edits(tmp_path, monkeypatch):
    """Over stdio, the server (which checks through the cache): after each edit aimed at what
    the cache depends on, in one file or another of a project, the diagnostics published for
    every file are those of a full check of the same texts."""
    for p in (EXAMPLES / "telecom_winback").glob("*.strat"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # display paths as the server shows them
    paths = sorted(p.resolve() for p in tmp_path.glob("*.strat"))
    texts = {p: p.read_text(encoding="utf-8") for p in paths}
    uris = {p: path_to_uri(p) for p in paths}
    async with language_server(tmp_path) as (client, latest):
        for p in paths:
            client.text_document_did_open(
                lsp.DidOpenTextDocumentParams(
                    lsp.TextDocumentItem(uris[p], "stratlang", 1, texts[p])
                )
            )
        rng = random.Random(11)
        history: list[str] = []
        for version in range(2, 16):
            path = rng.choice(paths)
            history.append(texts[path])
            texts[path] = aimed_edit(texts[path], rng, history[-8:])
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(uri=uris[path], version=version),
                    [lsp.TextDocumentContentChangeWholeDocument(text=texts[path])],
                )
            )
            await client.text_document_document_symbol_async(  # a request: the check is in
                lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri=uris[path]))
            )
            full = check_entry(tmp_path / "main.strat", overlay=dict(texts))
            shown = {d: path_to_uri(p) for d, p in full.project.paths.items()}
            for p in paths:
                if p not in full.project.paths.values():
                    continue  # not imported any more: a project of its own
                want = [
                    to_lsp(d, full.sources.files, shown.__getitem__)
                    for d in full.diagnostics
                    if shown.get(d.span.file) == uris[p]
                ]
                got = latest.get(uris[p], [])
                assert published(got) == published(want), (
                    f"edit {version - 1} ({path.name}), {p.name}"
                )
