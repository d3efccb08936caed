#!/usr/bin/env python3
"""Map benchmark: a generated 500-objective project, stratlang's time against Graphviz's.

    .venv/bin/python benchmarks/bench_map.py [--objectives 500] [--repeat 3] [--json out.json]
                                             [--build] [--big 10000]

Reports, best of N runs:

  check      load + parse + resolve + every check of the project (stratlang.check_entry)
  dot        DOT generation for the view (render_dot)
  graphviz   `dot -Tsvg` laying out and drawing that DOT (a separate program)

and stratlang's share of the total (check + dot) / (check + dot + graphviz), per view.

With --build: `stratlang build` (the real executable) against bare Graphviz on the same project,
runs interleaved, medians: build / (one bare `dot` per map: strategy, playbook, lifecycle). A
build lays out each map once (backends/layout.py), so the ratio is about
(check + rendering + one layout per map) / (one layout per map); before, every map was laid out
twice. With --big N: one `stratlang build` of an N-objective project (10,000: over the layout
budget, so the strategy map is the summary), its wall and CPU time and its note about the map.
The project comes from benchmarks/gen_project.py (seeded, deterministic).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_project import generate, write_project

from stratlang.backends.dot import render_dot, run_dot
from stratlang.check import check_entry


def best(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--objectives", type=int, default=500)
    ap.add_argument("--segments", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--build", action="store_true", help="build against bare Graphviz")
    ap.add_argument("--big", type=int, default=0, help="time one build of this many objectives")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_map.") as tmp:
        entry = write_project(Path(tmp), generate(args.objectives, args.segments))
        t_check, res = best(lambda: check_entry(entry), args.repeat)
        model = res.model
        print(
            f"project: {len(model.objectives)} objectives, {len(model.links)} links, {len(model.plays)} plays"
        )
        print(f"check (load+parse+resolve+checks): {t_check * 1000:9.1f} ms")
        report = {
            "objectives": len(model.objectives),
            "links": len(model.links),
            "plays": len(model.plays),
            "check_s": t_check,
            "views": {},
        }
        for view in ("strategy", "playbook"):
            t_dot, dot = best(lambda: render_dot(model, view), args.repeat)
            t_gv, svg = best(lambda: run_dot(dot, "svg", timeout=None), max(1, min(args.repeat, 2)))
            own = t_check + t_dot
            share = own / (own + t_gv)
            print(
                f"{view:9} DOT generation {t_dot * 1000:8.1f} ms  ({len(dot) / 1024:.0f} KiB DOT)   "
                f"graphviz layout+svg {t_gv * 1000:9.1f} ms  ({len(svg) / 1024:.0f} KiB SVG)   "
                f"stratlang share {share:6.1%}"
            )
            report["views"][view] = {
                "dot_s": t_dot,
                "graphviz_s": t_gv,
                "stratlang_share": share,
                "dot_bytes": len(dot),
                "svg_bytes": len(svg),
            }
        if args.build:
            report["build"] = bench_build(Path(tmp), entry, model, args.repeat)
    if args.big:
        report["big"] = bench_big(args.big, max(1, args.big // 5))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


STRATLANG = str(Path(sys.executable).parent / "stratlang")


def timed_run(cmd: list[str], **kw) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the process and its children, the result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return wall, cpu, proc


def bench_build(tmp: Path, entry: Path, model, repeat: int) -> dict:
    """`stratlang build` against one bare `dot -Tsvg` per map, interleaved, medians."""
    dots = []
    for view in ("strategy", "playbook", "lifecycle"):
        path = tmp / f"{view}.dot"
        path.write_text(render_dot(model, view), encoding="utf-8")
        dots.append(path)
    dot = shutil.which("dot") or "dot"
    env = dict(os.environ, CI="1")  # no progress lines
    builds, bares = [], []
    for i in range(max(repeat, 3)):
        builds.append(timed_run([STRATLANG, "build", str(entry), "-o", str(tmp / "out")], env=env))
        bare = [timed_run([dot, "-Tsvg", str(p), "-o", os.devnull]) for p in dots]
        bares.append((sum(b[0] for b in bare), sum(b[1] for b in bare)))
    build_wall = statistics.median(b[0] for b in builds)
    build_cpu = statistics.median(b[1] for b in builds)
    bare_wall = statistics.median(b[0] for b in bares)
    bare_cpu = statistics.median(b[1] for b in bares)
    print(
        f"build {build_wall:7.2f} s wall ({build_cpu:.2f} s CPU)   bare dot, one per map "
        f"{bare_wall:7.2f} s wall ({bare_cpu:.2f} s CPU)   build / bare dot: "
        f"{build_wall / bare_wall:.2f}x wall, {build_cpu / bare_cpu:.2f}x CPU"
    )
    return {
        "build_s": build_wall,
        "build_cpu_s": build_cpu,
        "bare_dot_s": bare_wall,
        "bare_dot_cpu_s": bare_cpu,
        "ratio_wall": build_wall / bare_wall,
        "ratio_cpu": build_cpu / bare_cpu,
    }


def bench_big(objectives: int, segments: int) -> dict:
    """One `stratlang build` of a generated project this large: wall, CPU, the note."""
    with tempfile.TemporaryDirectory(prefix="bench_map_big.") as tmp:
        entry = write_project(Path(tmp), generate(objectives, segments))
        env = dict(os.environ, CI="1")
        wall, cpu, proc = timed_run([STRATLANG, "build", str(entry), "-o", f"{tmp}/out"], env=env)
        notes = [line for line in proc.stderr.splitlines() if line.startswith("note:")]
    print(f"build of {objectives:,} objectives: {wall:.1f} s wall, {cpu:.1f} s CPU (bar: 60 s)")
    for note in notes:
        print(f"  {note}")
    return {"objectives": objectives, "build_s": wall, "build_cpu_s": cpu, "notes": notes}


if __name__ == "__main__":
    raise SystemExit(main())
