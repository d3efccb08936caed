#!/usr/bin/env python3
"""Bounded cost on hostile inputs: each shape at 1 MB and 10 MB, checked and format-checked.

    .venv/bin/python benchmarks/bench_shapes.py                  # every shape at 1 and 10 MB
    .venv/bin/python benchmarks/bench_shapes.py --sizes 1 --shapes long_string,banned --json out.json

Shapes (each one file, written to benchmarks/.work/shapes/, which is gitignored):

  long_line     one line holding a link chain of undefined objectives: one NAM201 per link, all
                on that line (rendering cost grew with line length × diagnostics)
  banned        a script whose pitch repeats a banned phrase (保本) on one line (each hit
                rescanned the text)
  long_string   one string literal of that size (lexing cost ~245 bytes of memory per character)
  deep_parens   a rule in that many nested parentheses (accepted at any depth)
  deep_blocks   blocks nested that deep (SYN101 past 200 levels; fmt refuses the file)
  many_decls    that many small declarations (objectives with a target, linked in pairs)

For each file three commands run as subprocesses, one at a time: `stratlang check FILE`,
`stratlang fmt --check FILE` and, as the baseline, Lark's raw LALR parse of the same text
(stratlang.syntax.parser.raw_lark_parse, no lowering) in a fresh Python. Reported: wall time,
peak resident memory of that process (os.wait4's rusage), the ratio to the baseline, the exit
code. The target (issue 10): every check and fmt under 5 s and 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "shapes"
TIME_BAR_S = 5.0
RSS_BAR_MB = 500.0
MB = 1_000_000

HEADER = 'strategy "shapes" {\n  period 2026-01-01 .. 2026-12-31\n}\n'


def _fill(unit: str, size: int, sep: str = "") -> str:
    return sep.join([unit] * max(1, size // (len((unit + sep).encode("utf-8")))))


def long_line(size: int) -> str:
    n, parts, i = 0, [], 0
    while n < size:
        p = f"O{i}"
        parts.append(p)
        n += len(p) + 4
        i += 1
    return HEADER + " -> ".join(parts) + "\n"


def banned(size: int) -> str:
    return (
        HEADER
        + 'channel phone { kind outbound_call }\nscript s {\n  channel phone\n  pitch "'
        + _fill("保本", size)
        + '"\n}\n'
    )


def long_string(size: int) -> str:
    return HEADER.replace("shapes", _fill("长文本 long text ", size))


def deep_parens(size: int) -> str:
    n = size // 2
    return HEADER + "segment s {\n  rule " + "(" * n + "a" + ")" * n + "\n}\n"


def deep_blocks(size: int) -> str:
    n = size // 6
    return HEADER + "segment s {\n  rule a\n  " + "x { " * n + "y 1" + " }" * n + "\n}\n"


def many_decls(size: int) -> str:
    out, n, i = [HEADER], len(HEADER), 0
    while n < size:
        d = (
            f'objective O{i} "目标 {i}" {{\n  perspective customer\n  target t{i} >= 5% by 2026Q4\n}}\n'
            + (f"O{i - 1} -> O{i}\n" if i % 2 else "")
        )
        out.append(d)
        n += len(d.encode("utf-8"))
        i += 1
    return "".join(out)


SHAPES = {
    "long_line": long_line,
    "banned": banned,
    "long_string": long_string,
    "deep_parens": deep_parens,
    "deep_blocks": deep_blocks,
    "many_decls": many_decls,
}


def stratlang_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "stratlang"
    return (
        [str(exe)]
        if exe.exists()
        else [sys.executable, "-c", "from stratlang.cli import run; run()"]
    )


RAW = (
    "import sys\nfrom stratlang.syntax.parser import raw_lark_parse\n"
    "sys.setrecursionlimit(10**6)\n"
    "raw_lark_parse(open(sys.argv[1], encoding='utf-8').read())\n"
)


def run(cmd: list[str], timeout: float, max_mb: float) -> dict:
    """Run one command; wall time, peak RSS (MB) of that process alone, exit code. The process
    gets at most `max_mb` of address space (a runaway input must not take the machine down)."""

    def limit() -> None:
        cap = int(max_mb * 2**20)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    # stderr (the diagnostics: megabytes) goes to a file: a pipe nobody reads would block the run
    with tempfile.TemporaryFile() as errors:
        t = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            cwd=ROOT,
            env={**os.environ, "NO_COLOR": "1"},
            preexec_fn=limit,
        )
        deadline = t + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                return {"s": None, "rss_mb": usage.ru_maxrss / 1024, "rc": "timeout", "err": ""}
            time.sleep(0.01)
        wall = time.perf_counter() - t
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        err = errors.read(4096).decode("utf-8", "replace")  # the first lines say enough
    if "MemoryError" in err:
        rc = "oom"
    return {
        "s": wall,
        "rss_mb": usage.ru_maxrss / 1024,
        "rc": rc,
        "err": err if "internal error" in err or rc not in (0, 1, 2) else "",
    }


def measure(shape: str, size_mb: float, timeout: float, max_mb: float) -> dict:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{shape}_{size_mb:g}mb.strat"
    text = SHAPES[shape](int(size_mb * MB))
    path.write_text(text, encoding="utf-8")
    res = {"shape": shape, "size_mb": size_mb, "bytes": path.stat().st_size}
    res["raw"] = run([sys.executable, "-c", RAW, str(path)], timeout, max_mb)
    res["check"] = run(stratlang_cmd() + ["check", str(path)], timeout, max_mb)
    res["fmt"] = run(stratlang_cmd() + ["fmt", "--check", str(path)], timeout, max_mb)
    return res


def _s(r: dict) -> str:
    return f"{'timeout':>8}" if r["s"] is None else f"{r['s']:7.2f}s"


def report(results: list[dict]) -> list[str]:
    bad = []
    print(f"{'shape':12} {'size':>7} {'raw parse':>18} {'check':>26} {'fmt --check':>26}")
    print(
        f"{'':12} {'':>7} {'time':>8} {'RSS':>9} {'time':>8} {'RSS':>9} {'×raw':>6} {'rc':>2} "
        f"{'time':>8} {'RSS':>9} {'×raw':>6} {'rc':>2}"
    )
    for r in results:
        raw = r["raw"]
        cells = [f"{r['shape']:12} {r['bytes'] / MB:5.1f}MB {_s(raw)} {raw['rss_mb']:6.0f} MB"]
        for cmd in ("check", "fmt"):
            c = r[cmd]
            ratio = (
                f"{c['s'] / raw['s']:6.1f}" if c["s"] is not None and raw["s"] else f"{'n/a':>6}"
            )
            cells.append(f"{_s(c)} {c['rss_mb']:6.0f} MB {ratio} {c['rc']!s:>2}")
            what = f"{r['shape']} {r['size_mb']:g} MB {cmd}"
            if c["s"] is None or c["s"] > TIME_BAR_S:
                bad.append(f"{what}: {_s(c).strip()} (bar {TIME_BAR_S:g} s)")
            if c["rss_mb"] > RSS_BAR_MB:
                bad.append(f"{what}: {c['rss_mb']:.0f} MB (bar {RSS_BAR_MB:g} MB)")
            if c["rc"] == "oom":
                bad.append(f"{what}: out of memory")
            elif c["err"]:
                bad.append(f"{what}: exit {c['rc']}: {c['err'].strip().splitlines()[0]}")
        print(" ".join(cells))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"(one run each; rc: 0 clean, 1 diagnostics/would reformat, 2 refused; {os.cpu_count()} CPUs, "
        f"load average {load}; Python {sys.version.split()[0]}; inputs in {WORK.relative_to(ROOT)}/)"
    )
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--shapes", default=",".join(SHAPES), help="comma-separated: " + ", ".join(SHAPES)
    )
    ap.add_argument("--sizes", default="1,10", help="sizes in MB, comma-separated (default 1,10)")
    ap.add_argument(
        "--timeout", type=float, default=120, help="seconds before a run is killed (default 120)"
    )
    ap.add_argument(
        "--max-memory",
        type=float,
        default=4000,
        help="address-space cap of each run in MB (default 4000); over it the run fails (rc oom)",
    )
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    a = ap.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    shapes = [s.strip() for s in a.shapes.split(",") if s.strip()]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        ap.error(f"unknown shape(s): {', '.join(unknown)}")
    results = []
    for size in (float(x) for x in a.sizes.split(",")):
        for shape in shapes:
            print(f"measuring {shape} at {size:g} MB ...", file=sys.stderr, flush=True)
            results.append(measure(shape, size, a.timeout, a.max_memory))
    bad = report(results)
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for b in bad:
        print(f"over the bar: {b}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
