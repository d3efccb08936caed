#!/usr/bin/env python3
"""Map benchmark: a generated 500-objective project, stratlang's time against Graphviz's.

    .venv/bin/python benchmarks/bench_map.py [--objectives 500] [--repeat 3] [--json out.json]

Reports, best of N runs:

  check      load + parse + resolve + every check of the project (stratlang.check_entry)
  dot        DOT generation for the view (render_dot)
  graphviz   `dot -Tsvg` laying out and drawing that DOT (a separate program)

and stratlang's share of the total (check + dot) / (check + dot + graphviz), per view.
The project comes from benchmarks/gen_project.py (seeded, deterministic).
"""

from __future__ import annotations

import argparse
import json
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
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
