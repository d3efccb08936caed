#!/usr/bin/env python3
"""Language server latency over stdio: one-line edits and a typing burst, beside a full re-check.

    .venv/bin/python benchmarks/bench_lsp.py [--lines 2000 20000] [--edits 12] [--gap-ms 50]

For each size, generates a single-file project (gen_project.py) into benchmarks/.work/lsp-N/,
starts `python -m stratlang.lsp` with pygls' JSON-RPC client, opens the file and then:

- one-line edits, each typed into the text so far (a digit into a `priority`, or an `x` into a
  `supports` reference, so the diagnostics change too): the time from sending `didChange` to
  receiving the `publishDiagnostics` that holds the edit (the server waits for typing to pause
  first: its quiet period, `schedule.QUIET_SECONDS`, is part of this time). Each edit is paired
  with the baseline, a full re-check of the same text in this process (`check_entry` with the
  text as an overlay: what the server did for every change before), run right after it.
- a burst of 5 keystrokes `--gap-ms` apart (a `q` typed into a reference each time): the time
  from the last keystroke to the diagnostics of the last version, and how many diagnostics were
  published during the burst.

- in this process, the server's resolution and checks after each of the same edits: through its
  cache (`check.resolve.BuildCache`, what the server does) and without it (a full resolution and
  checks of the same parsed project), alternating, after an incremental parse of the edit.

Prints medians and the ratio to the baseline. The bars (issue 18): a one-line edit's diagnostics
within 100 ms at 2k lines and 250 ms at 20k lines after the quiet period, and the last version's
diagnostics within that budget after a burst.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from stratlang.check import BuildCache, check_entry, check_project
from stratlang.check.loader import load_project
from stratlang.lsp.convert import path_to_uri
from stratlang.lsp.incremental import IncrementalParser
from stratlang.lsp.schedule import QUIET_SECONDS

BARS = {2000: 100.0, 20000: 250.0}


def generate(lines: int) -> Path:
    work = HERE / ".work" / f"lsp-{lines}"
    work.mkdir(parents=True, exist_ok=True)
    objectives = max(20, lines // 8)
    for _ in range(6):
        subprocess.run(
            [
                sys.executable,
                str(HERE / "gen_project.py"),
                "--single-file",
                "--objectives",
                str(objectives),
                "--segments",
                str(max(10, objectives // 4)),
                "-o",
                str(work),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        n = (work / "main.strat").read_text(encoding="utf-8").count("\n")
        if abs(n - lines) / lines < 0.05:
            break
        objectives = max(20, int(objectives * lines / max(n, 1)))
    return work / "main.strat"


class Session:
    """A server over stdio and the diagnostics it publishes for one document."""

    def __init__(self, path: Path, quiet_ms: float | None):
        self.quiet_ms = quiet_ms
        self.path = path
        self.uri = path_to_uri(path)
        self.client = LanguageClient("bench", "1")
        self.published: list[tuple[float, str]] = []  # (arrival, messages)
        self.arrived = asyncio.Event()
        self.version = 1

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diags(params: lsp.PublishDiagnosticsParams):
            if params.uri == self.uri:
                messages = "\n".join(d.message for d in params.diagnostics)
                self.published.append((time.perf_counter(), messages))
                self.arrived.set()

    async def start(self, text: str) -> None:
        if self.quiet_ms is None:
            await self.client.start_io(sys.executable, "-m", "stratlang.lsp")
        else:  # the server with another quiet period
            await self.client.start_io(
                sys.executable,
                "-c",
                "import stratlang.lsp.schedule as s; "
                f"s.QUIET_SECONDS = {self.quiet_ms / 1000!r}; "
                "from stratlang.lsp.server import serve; serve()",
            )
        await self.client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(), root_uri=path_to_uri(self.path.parent)
            )
        )
        self.client.initialized(lsp.InitializedParams())
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                lsp.TextDocumentItem(uri=self.uri, language_id="stratlang", version=1, text=text)
            )
        )
        await self.wait_for(lambda m: True)

    def change(self, text: str) -> float:
        self.version += 1
        t = time.perf_counter()
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                [lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return t

    async def wait_for(self, holds, since: int = 0) -> float:
        """The arrival time of the first publication from index `since` whose messages hold."""
        while True:
            for t, messages in self.published[since:]:
                if holds(messages):
                    return t
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 120)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def one_line_edits(text: str, count: int) -> list[tuple[str, str]]:
    """`count` cumulative one-line edits: (new text, a word its diagnostics must hold or '')."""
    prios = [m.start() for m in re.finditer(r"(?<=priority )\d+", text)]
    refs = [m.start() for m in re.finditer(r"(?<=supports )\w", text)]
    out = []
    for i in range(count):
        if i % 2 == 0:
            at = prios[(i * 7) % len(prios)]
            text = text[:at] + "1" + text[at:]
            prios = [p + (p > at) for p in prios]
            refs = [r + (r > at) for r in refs]
            out.append((text, ""))
        else:
            at = refs[(i * 5) % len(refs)]
            end = re.compile(r"\w+").match(text, at).end()
            word = "x" + text[at:end]
            text = text[:at] + "x" + text[at:]
            prios = [p + (p >= at) for p in prios]
            refs = [r + (r > at) for r in refs]
            out.append((text, f"`{word}`"))
    return out


def full_check_ms(path: Path, text: str) -> float:
    t = time.perf_counter()
    check_entry(path, overlay={path: text})
    return (time.perf_counter() - t) * 1000


def resolution_ms(path: Path, text: str, edits: int) -> tuple[list[float], list[float]]:
    """Resolution and checks after each edit, through the cache and without it (alternating;
    the collector paused, as in the server)."""
    parser, cache = IncrementalParser(), BuildCache()
    entry = path.resolve()

    def timed(t: str, c: BuildCache | None) -> float:
        project = load_project(entry, None, {entry: t}, parse=parser.parse)
        gc.disable()
        start = time.perf_counter()
        check_project(project, cache=c)
        took = (time.perf_counter() - start) * 1000
        gc.freeze()
        gc.enable()
        return took

    timed(text, cache)
    cached, full = [], []
    for new, _ in one_line_edits(text, edits):
        cached.append(timed(new, cache))
        full.append(timed(new, None))
    gc.unfreeze()
    return cached, full


async def run(path: Path, edits: int, gap_ms: float, quiet_ms: float | None) -> dict:
    text = path.read_text(encoding="utf-8")
    full_check_ms(path, text)  # the baseline's parser is built once, like the server's
    s = Session(path, quiet_ms)
    await s.start(text)
    lsp_ms, base_ms = [], []
    for new, word in one_line_edits(text, edits):
        since = len(s.published)
        t0 = s.change(new)
        t1 = await s.wait_for(lambda m, w=word: w in m if w else True, since)
        lsp_ms.append((t1 - t0) * 1000)
        base_ms.append(full_check_ms(path, new))
        text = new
    await asyncio.sleep(0.3)
    # a burst: `q` typed five times into one reference
    at = re.search(r"(?<=supports )\w", text).start()
    word = re.compile(r"\w+").match(text, at).group()
    since = len(s.published)
    for k in range(1, 6):
        text = text[:at] + "q" + text[at:]
        t_last = s.change(text)
        if k < 5:
            await asyncio.sleep(gap_ms / 1000)
    t_done = await s.wait_for(lambda m: f"`{'q' * 5}{word}`" in m, since)
    await asyncio.sleep(0.5)
    burst_published = s.published[since:]
    last_is_last = f"`{'q' * 5}{word}`" in burst_published[-1][1]
    await s.stop()
    cached, full = resolution_ms(path, path.read_text(encoding="utf-8"), edits)
    return {
        "resolution_cached_ms": cached,
        "resolution_full_ms": full,
        "lines": text.count("\n"),
        "edit_ms": lsp_ms,
        "baseline_ms": base_ms,
        "burst_ms": (t_done - t_last) * 1000,
        "burst_published": len(burst_published),
        "burst_last_published_last": last_is_last,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--edits", type=int, default=12)
    ap.add_argument("--gap-ms", type=float, default=50.0, help="Time between burst keystrokes.")
    ap.add_argument(
        "--quiet-ms", type=float, default=None, help="The server's quiet period (default: its own)."
    )
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures as JSON here.")
    a = ap.parse_args()
    quiet = QUIET_SECONDS * 1000 if a.quiet_ms is None else a.quiet_ms
    figures = []
    for lines in a.lines:
        r = asyncio.run(run(generate(lines), a.edits, a.gap_ms, a.quiet_ms))
        edit, base = statistics.median(r["edit_ms"]), statistics.median(r["baseline_ms"])
        bar = BARS.get(lines)
        bar_text = f" (bar: {bar:.0f} ms after the quiet period)" if bar else ""
        print(
            f"{r['lines']} lines, {len(r['edit_ms'])} one-line edits: didChange -> diagnostics "
            f"median {edit:.0f} ms ({edit - quiet:.0f} ms after the {quiet:.0f} ms quiet period), "
            f"max {max(r['edit_ms']):.0f} ms; full re-check in-process (the old server's work "
            f"per change) median {base:.0f} ms; ratio {edit / base:.2f}x{bar_text}"
        )
        print(
            f"{r['lines']} lines, burst of 5 keystrokes {a.gap_ms:.0f} ms apart: last version's "
            f"diagnostics {r['burst_ms']:.0f} ms after the last keystroke "
            f"({r['burst_ms'] - quiet:.0f} ms after the quiet period; old server: five full "
            f"checks in a row, about {5 * base:.0f} ms), {r['burst_published']} published, "
            f"the last version's last: {r['burst_last_published_last']}"
        )
        cached, full = (
            statistics.median(r["resolution_cached_ms"]),
            statistics.median(r["resolution_full_ms"]),
        )
        print(
            f"{r['lines']} lines, resolution and checks after an edit (in-process): through the "
            f"cache median {cached:.0f} ms, without it {full:.0f} ms; ratio {cached / full:.2f}x"
        )
        figures.append(r)
    if a.json:
        a.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
