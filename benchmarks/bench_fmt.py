#!/usr/bin/env python3
"""`fmt --check` against a raw Lark parse of the same text (issue 18: bar 1.3x).

    .venv/bin/python benchmarks/bench_fmt.py                 # the large generated project
    .venv/bin/python benchmarks/bench_fmt.py --preset small --repeat 5

The project (gen_project.py, into benchmarks/.work/fmt-PRESET/) is formatted once, so that it is
in the canonical style, as a tree under `fmt --check` in CI is. Then, alternating the two sides
run by run (the machine is shared: only paired medians mean anything), it measures

  raw      Lark's own parse of every file into a plain tree (parser.raw_lark_parse), in-process
  check    format_text on the formatted text: what `fmt --check` does per file (parse, print,
           compare with the input; nothing to prove when they are equal)
  changed  format_text on the generated (unformatted) text: parse, print, parse the output
           again, compare structures and comments, print again
  cli      `stratlang fmt --check DIR` as a process, against a process doing the raw parse

and prints each as CPU seconds and as the ratio to the raw parse.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import gen_project

BAR = 1.3
STRATLANG = Path(sys.executable).parent / "stratlang"
RAW_PROCESS = (
    "import sys; from pathlib import Path; from stratlang.syntax.parser import raw_lark_parse\n"
    "for p in sorted(Path(sys.argv[1]).glob('*.strat')): raw_lark_parse(p.read_text('utf-8'))\n"
)


def cpu(fn) -> float:
    c = time.process_time()
    fn()
    return time.process_time() - c


def child_cpu(argv: list[str]) -> float:
    """CPU seconds of one child process (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="large", choices=sorted(gen_project.PRESETS))
    ap.add_argument("--repeat", type=int, default=3, help="paired runs; medians count")
    a = ap.parse_args(argv)

    from stratlang.fmt import format_text
    from stratlang.source import SourceFile
    from stratlang.syntax.parser import parse_source, raw_lark_parse

    files = gen_project.generate(**gen_project.PRESETS[a.preset], seed=2026)
    folder = WORK / f"fmt-{a.preset}"
    gen_project.write_project(folder, files)
    raw_texts = list(files.values())
    texts = [format_text(t) for t in raw_texts]
    for name, text in zip(files, texts):
        (folder / name).write_text(text, encoding="utf-8")
    lines = sum(t.count("\n") for t in texts)
    raw_lark_parse("")  # both parsers built (or loaded) before timing
    parse_source(SourceFile("<warm-up>", ""))

    runs: dict[str, list[float]] = {"raw": [], "check": [], "changed": []}
    for _ in range(a.repeat):
        runs["raw"].append(cpu(lambda: [raw_lark_parse(t) for t in texts]))
        runs["check"].append(cpu(lambda: [format_text(t) for t in texts]))
        runs["raw"].append(cpu(lambda: [raw_lark_parse(t) for t in texts]))
        runs["changed"].append(cpu(lambda: [format_text(t) for t in raw_texts]))
    procs: dict[str, list[float]] = {"raw process": [], "fmt --check": []}
    for _ in range(a.repeat):
        procs["raw process"].append(child_cpu([sys.executable, "-c", RAW_PROCESS, str(folder)]))
        procs["fmt --check"].append(child_cpu([str(STRATLANG), "fmt", "--check", str(folder)]))

    raw = statistics.median(runs["raw"])
    print(
        f"{a.preset}: {len(texts)} files, {lines} lines (formatted); CPU seconds, medians of {a.repeat}"
    )
    print(f"  {'raw Lark parse':28} {raw:7.3f} s   1.00x")
    for key, what in (("check", "format_text, formatted"), ("changed", "format_text, unformatted")):
        m = statistics.median(runs[key])
        print(f"  {what:28} {m:7.3f} s   {m / raw:.2f}x")
    raw_p = statistics.median(procs["raw process"])
    fmt_p = statistics.median(procs["fmt --check"])
    print(f"  {'raw parse, as a process':28} {raw_p:7.3f} s   1.00x")
    print(f"  {'stratlang fmt --check':28} {fmt_p:7.3f} s   {fmt_p / raw_p:.2f}x")
    ok = fmt_p / raw_p <= BAR
    print(f"bar: fmt --check <= {BAR}x a raw parse: {'ok' if ok else 'OVER THE BAR'}")
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "n/a"
    print(f"({os.cpu_count()} CPUs, load average {load}; Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
