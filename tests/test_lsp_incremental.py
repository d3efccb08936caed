"""The language server's incremental parse and its debounced, cancellable checks.

The incremental parse must give what a full parse gives (nodes, spans, comments, diagnostics)
after any edit; a burst of changes over stdio must end with the last version's diagnostics.
"""

from __future__ import annotations

import asyncio
import random
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from stratlang.check import check_entry, check_project
from stratlang.check.loader import load_project
from stratlang.lsp.convert import path_to_uri, to_lsp
from stratlang.lsp.incremental import IncrementalParser, resplit
from stratlang.lsp.schedule import Scheduler, Stale
from stratlang.source import SourceFile
from stratlang.syntax import recovery
from stratlang.syntax.parser import parse_source

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# what an editing session types: braces, arrows, strings, comments, a new declaration, newlines
SNIPPETS = (
    "{",
    "}",
    "\n",
    "x",
    " ",
    '"',
    "->",
    "segment s {",
    "# note\n",
    "7",
    '\nobjective Q9 "q" {\n',
    "\n\n",
    "a -> b ->\n",
    '"""',
    "(",
)


@asynccontextmanager
async def language_server(cwd: Path) -> AsyncIterator[tuple[LanguageClient, dict[str, list]]]:
    """`stratlang lsp` over stdio, initialized, with the diagnostics it publishes recorded by
    URI (the latest per document); shut down on leaving."""
    latest: dict[str, list] = {}
    client = LanguageClient("test", "1")

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _diags(params: lsp.PublishDiagnosticsParams) -> None:
        latest[params.uri] = params.diagnostics

    await client.start_io(sys.executable, "-m", "stratlang.lsp", cwd=str(cwd))
    try:
        await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
        client.initialized(lsp.InitializedParams())
        yield client, latest
    finally:
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()


def published(diags) -> list[tuple]:
    """Published LSP diagnostics as comparable tuples (range, code, message), in order."""
    return sorted(
        (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
        + (str(d.code), d.message)
        for d in diags
    )


def corpus() -> str:
    """Every example file, one after the other: long enough for several of the parser's groups."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*/*.strat")))
    assert len(text) > 3 * recovery.GROUP_CHARS
    return text


def edit(text: str, rng: random.Random) -> str:
    pos = rng.randrange(len(text))
    op = rng.random()
    if op < 0.5:
        return text[:pos] + rng.choice(SNIPPETS) + text[pos:]
    if op < 0.85:
        return text[:pos] + text[pos + rng.randrange(1, 40) :]
    start = text.rfind("\n", 0, pos) + 1  # a line removed
    end = text.find("\n", pos)
    return text[:start] + text[end + 1 :] if end != -1 else text[:start]


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_incremental_parse_equals_full_parse_after_random_edits(seed):
    rng = random.Random(seed)
    text = corpus()
    parser = IncrementalParser()
    for step in range(25):
        text = edit(text, rng)
        src = SourceFile("all.strat", text)
        inc_file, inc_diags = parser.parse(src)
        full_file, full_diags = parse_source(src)
        assert inc_diags == full_diags, f"seed {seed}, edit {step}"
        assert inc_file == full_file, f"seed {seed}, edit {step}"


@pytest.mark.parametrize("seed", range(2))
def test_statements_rescanned_around_an_edit_equal_a_full_scan(seed):
    rng = random.Random(seed)
    text = corpus()
    statements = recovery.split_statements(text)
    for step in range(150):
        new = edit(text, rng)
        statements = resplit(text, statements, new)[0]
        assert statements == recovery.split_statements(new), f"seed {seed}, edit {step}"
        text = new


def test_a_one_line_edit_parses_one_statement_again():
    text = corpus()
    parser = IncrementalParser()
    parser.parse(SourceFile("all.strat", text))
    before = parser.parsed
    at = text.index("period")  # inside the first strategy block: every later span moves
    changed = text[:at] + "  " + text[at:]
    inc_file, inc_diags = parser.parse(SourceFile("all.strat", changed))
    assert parser.parsed - before == 1
    assert (inc_file, inc_diags) == parse_source(SourceFile("all.strat", changed))


def test_equal_statements_do_not_share_nodes():
    link = "a -> b\n"
    text = 'strategy "s" { period 2026-01-01 .. 2026-12-31 }\n' + link * 3
    parser = IncrementalParser()
    parser.parse(SourceFile("m.strat", text))
    grown = text.replace("strategy", "\nstrategy", 1)
    file, _ = parser.parse(SourceFile("m.strat", grown))
    assert [d.span.line for d in file.decls] == [2, 3, 4, 5]
    assert file == parse_source(SourceFile("m.strat", grown))[0]


@pytest.mark.slow
def test_incremental_check_equals_full_check_after_random_edits(tmp_path):
    entry = EXAMPLES / "bank_wealth" / "main.strat"
    edited = (EXAMPLES / "bank_wealth" / "plays.strat").resolve()
    text = edited.read_text(encoding="utf-8")
    rng = random.Random(7)
    parser = IncrementalParser()
    for step in range(12):
        text = edit(text, rng)
        overlay = {edited: text}
        inc = check_project(load_project(entry.resolve(), None, overlay, parse=parser.parse))
        full = check_entry(entry, overlay=overlay)
        assert inc.diagnostics == full.diagnostics, f"edit {step}"


# ---------------------------------------------------------------------- over stdio

MAIN = """\
strategy "测试" { period 2026-01-01 .. 2026-12-31 }

schema customer {
  id         string key
  age        int
}

objective F1 "增长" {
  perspective financial
  target aum_growth "AUM增长" >= 20% by 2026-12-31
}

segment young "年轻" { rule age < 30 }

play p1 "激活" {
  segment  VERSION
  supports F1
}
"""


@pytest.mark.asyncio
async def test_a_burst_publishes_the_last_version_last(tmp_path):
    path = tmp_path / "main.strat"
    path.write_text(MAIN.replace("VERSION", "young"), encoding="utf-8")
    uri = path_to_uri(path)
    published: list[str] = []
    arrived = asyncio.Event()
    client = LanguageClient("test", "1")

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _diags(params: lsp.PublishDiagnosticsParams):
        if params.uri == uri:
            published.append(" ".join(d.message for d in params.diagnostics))
            arrived.set()

    await client.start_io(sys.executable, "-m", "stratlang.lsp")
    try:
        await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
        client.initialized(lsp.InitializedParams())
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                lsp.TextDocumentItem(
                    uri=uri,
                    language_id="stratlang",
                    version=1,
                    text=MAIN.replace("VERSION", "young"),
                )
            )
        )
        await asyncio.wait_for(arrived.wait(), 30)
        assert "young" not in published[0]  # (warnings about the small project, no NAM201)
        published.clear()
        for version in range(2, 7):  # five quick keystrokes
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    [
                        lsp.TextDocumentContentChangeWholeDocument(
                            MAIN.replace("VERSION", f"young{version}")
                        )
                    ],
                )
            )
        # no request follows (it would flush): the diagnostics come from the quiet period
        while not any("young6" in p for p in published):
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 30)
        await asyncio.sleep(0.5)  # nothing older may follow
        assert "young6" in published[-1]
        assert len(published) < 5, published  # versions already replaced are not published
        # a request answers from the last version
        hover = await client.text_document_hover_async(
            lsp.HoverParams(
                lsp.TextDocumentIdentifier(uri=uri), lsp.Position(line=15, character=12)
            )
        )
        assert hover is not None and "young6" in hover.contents.value
    finally:
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()


def test_a_change_interrupts_a_check_only_where_it_may():
    """Stale is raised inside `interruptible()` (resolution and checks), never outside it (parsing
    moves kept pieces in place: an exception there would leave them half moved)."""
    events: list[str] = []
    checking, finished = threading.Event(), threading.Event()

    def work(uris, stale):
        t = time.monotonic()
        while time.monotonic() - t < 0.3:  # "parsing": a change here must not interrupt
            pass
        events.append("parsed")
        if stale():
            events.append("given up")
            return None
        try:
            with scheduler.interruptible():
                checking.set()
                while time.monotonic() - t < 10 and not finished.is_set():
                    pass
            events.append("checked")
        except Stale:
            events.append("interrupted")
        return None

    scheduler = Scheduler(work, quiet=0.0)
    scheduler.changed("a")
    time.sleep(0.1)
    scheduler.changed("a")  # while "parsing"
    assert checking.wait(5)  # the second run, after the first was given up
    t0 = time.monotonic()
    scheduler.changed("a")  # while "checking"
    while events[-1:] != ["interrupted"] and time.monotonic() - t0 < 5:
        time.sleep(0.01)
    finished.set()  # (the worker checks again: let it end)
    assert events[:4] == ["parsed", "given up", "parsed", "interrupted"]
    assert time.monotonic() - t0 < 2


@pytest.mark.slow
@pytest.mark.asyncio
async def test_published_diagnostics_equal_a_full_check_after_random_edits(tmp_path, monkeypatch):
    """Over stdio: after each random edit of one file of a project (and a request, which waits for
    the check), the diagnostics published for it are those of a full check of the same texts."""
    for p in (EXAMPLES / "bank_wealth").glob("*.strat"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # display paths as the server shows them
    path = (tmp_path / "plays.strat").resolve()
    uri = path_to_uri(path)
    text = path.read_text(encoding="utf-8")
    async with language_server(tmp_path) as (client, latest):
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                lsp.TextDocumentItem(uri=uri, language_id="stratlang", version=1, text=text)
            )
        )
        rng = random.Random(3)
        for version in range(2, 14):
            text = edit(text, rng)
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    [lsp.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
            await client.text_document_document_symbol_async(  # a request: the check is in
                lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri=uri))
            )
            full = check_entry(tmp_path / "main.strat", overlay={path: text})
            shown = {d: path_to_uri(p) for d, p in full.project.paths.items()}
            want = [
                to_lsp(d, full.sources.files, shown.__getitem__)
                for d in full.diagnostics
                if shown.get(d.span.file) == uri
            ]
            assert published(latest.get(uri, [])) == published(want), f"edit {version - 1}"
