#!/usr/bin/env python3
"""Language server latency: `didChange` to published diagnostics for a ~2,000-line file.

    .venv/bin/python benchmarks/bench_lsp.py [--lines 2000] [--edits 20]

Generates a single-file project (gen_project.py) of about the given size into
benchmarks/.work/lsp/, starts `python -m stratlang.lsp` over stdio with pygls' client, opens the
file, then sends `--edits` whole-document changes (each edit changes a number in a different
line, alternating with one that misspells a reference so the diagnostics change too) and times
each from sending `didChange` to receiving `textDocument/publishDiagnostics` for the file.
Prints the median and p90; the bar (toolchain.md) is under 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
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
WORK = HERE / ".work" / "lsp"
sys.path.insert(0, str(ROOT))

from stratlang.lsp.convert import path_to_uri


def generate(lines: int) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
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
                str(WORK),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        n = (WORK / "main.strat").read_text(encoding="utf-8").count("\n")
        if abs(n - lines) / lines < 0.1:
            break
        objectives = max(20, int(objectives * lines / max(n, 1)))
    return WORK / "main.strat"


async def run(path: Path, edits: int) -> list[float]:
    client = LanguageClient("bench", "1")
    got: dict[str, asyncio.Event] = {}
    counts: list[int] = []

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _diags(params: lsp.PublishDiagnosticsParams):
        counts.append(len(params.diagnostics))
        ev = got.get(params.uri)
        if ev is not None:
            ev.set()

    await client.start_io(sys.executable, "-m", "stratlang.lsp")
    await client.initialize_async(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=path_to_uri(path.parent)
        )
    )
    client.initialized(lsp.InitializedParams())
    uri = path_to_uri(path)
    text = path.read_text(encoding="utf-8")
    got[uri] = asyncio.Event()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="stratlang", version=1, text=text)
        )
    )
    await asyncio.wait_for(got[uri].wait(), 60)
    numbers = [m.start() for m in re.finditer(r"(?<=priority )\d+", text)] or [
        m.start() for m in re.finditer(r"\b\d+\b", text)
    ]
    times = []
    for i in range(edits):
        if i % 2:
            new = re.sub(r"(supports\s+)(\w)", r"\1x\2", text, count=1)  # a misspelt reference
        else:
            at = numbers[i % len(numbers)]
            new = text[:at] + str(i + 1) + text[at:]
        got[uri] = asyncio.Event()
        t0 = time.perf_counter()
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(uri=uri, version=i + 2),
                [lsp.TextDocumentContentChangeWholeDocument(text=new)],
            )
        )
        await asyncio.wait_for(got[uri].wait(), 60)
        times.append((time.perf_counter() - t0) * 1000)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures as JSON here.")
    a = ap.parse_args()
    path = generate(a.lines)
    n = path.read_text(encoding="utf-8").count("\n")
    times = asyncio.run(run(path, a.edits))
    times_sorted = sorted(times)
    med = statistics.median(times)
    p90 = times_sorted[min(len(times) - 1, round(0.9 * (len(times) - 1)))]
    print(
        f"lsp didChange -> publishDiagnostics, {n} lines, {len(times)} edits: "
        f"median {med:.0f} ms, p90 {p90:.0f} ms, max {max(times):.0f} ms (bar: < 150 ms)"
    )
    if a.json:
        a.json.write_text(
            json.dumps(
                {
                    "lines": n,
                    "edits": len(times),
                    "median_ms": med,
                    "p90_ms": p90,
                    "times_ms": times,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
