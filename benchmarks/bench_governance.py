"""Benchmark: `stratlang lists` with contact governance vs the same lists without it.

    .venv/bin/python benchmarks/bench_governance.py                      # 10M customers, 2M log rows
    .venv/bin/python benchmarks/bench_governance.py --rows 1000000 --log-rows 200000

The project of bench_lists.py (50 segments, 50 plays on three capacity-limited channels, control
groups), each play with a second step (push, 2 days later), runs twice on the same generated
customers (Parquet):

- plain: `run_lists(model, parquet, as_of=…)` as today;
- governed: the same project with a policy (`at most 3 per 7d`, `at most 1 per 1d on
  outbound_call`, `consent consent on sms`, `consent mobile_active on push`) and a contact log
  of --log-rows rows (customers' keys, the three channels, dates around the as-of day, a tenth
  of them control rows): `run_lists(…, contacts=log)` — the log's check, the limit check per
  customer of the log, the dropped-by-policy counts;
- limits: the policy's two limits only (no consent), with the log: about as many customers listed
  as plain, so the writing is comparable and the ratio shows the limits' own cost.

Data is generated once into a cache folder (--cache; reused while the sizes match). Each run is
its own subprocess (its own peak memory); the median of --repeat runs is reported, with the
stages' times (from run_lists' progress messages). Bar (issue 14): governed <= 1.5x plain.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_lists

AS_OF = dt.date(2026, 3, 1)
POLICY = """
policy rules "Contact rules" {
  at most 3 per 7d
  at most 1 per 1d on outbound_call
  consent consent on sms
  consent mobile_active on push
}
"""


def project_text(mode: str) -> str:
    """The benchmark project: `plain`, `governed` (the policy) or `limits` (its limits only)."""
    text = re.sub(
        r"(step 1 \w+ using s_\w+)",
        r"\1  step 2 push using s_push after 2d",
        bench_lists.project_text(),
    )
    text = text.replace("allow PLY604, PLY607", "allow PLY604, PLY607, GOV702, GOV703")
    if mode == "limits":
        return text + "\n".join(ln for ln in POLICY.splitlines() if "consent" not in ln) + "\n"
    return text + (POLICY if mode == "governed" else "")


def generate_log(path: Path, customers: int, rows: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SELECT setseed(0.17)")
    con.execute(f"""
    COPY (
      SELECT 'C' || lpad(CAST(CAST(floor(random() * {customers}) AS BIGINT) AS VARCHAR), 10, '0') AS key,
             ['phone', 'sms', 'push'][CAST(1 + floor(random() * 3) AS BIGINT)] AS channel,
             DATE '{AS_OF.isoformat()}' + CAST(floor(random() * 21) - 12 AS INTEGER) AS date,
             random() < 0.1 AS control
      FROM range({rows}) t(i)
    ) TO '{path.as_posix()}' (FORMAT parquet)""")
    con.close()


def load_model(tmp: Path, mode: str):
    return bench_lists.load_model(tmp, project_text(mode), f"{mode}.strat")


def run_method(method: str, cache: Path, tmp: Path) -> dict:
    from stratlang.engine import run_lists

    governed = method != "plain"
    model = load_model(tmp, method)
    stages: dict[str, float] = {}
    last = [time.perf_counter(), "start"]

    def progress(msg: str) -> None:
        now = time.perf_counter()
        stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
        last[0], last[1] = now, "writing the lists" if msg.startswith("wrote ") else msg

    t0 = time.perf_counter()
    s = run_lists(
        model,
        cache / "customers.parquet",
        out_dir=tmp / f"out-{method}",
        fmt="parquet",
        as_of=AS_OF,
        contacts=cache / "contacts.parquet" if governed else None,
        progress=progress,
    )
    secs = time.perf_counter() - t0
    progress("wrote (end)")
    stages.pop("start", None)
    return {
        "seconds": secs,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "listed": sum(p["listed"] for p in s.plays.values()),
        "dropped_by_policy": s.dropped_by_policy or 0,
        "stages": stages,
    }


def _cached(cache: Path, rows: int, log_rows: int) -> None:
    stamp = cache / "sizes.json"
    want = {"rows": rows, "log_rows": log_rows}
    if stamp.exists() and json.loads(stamp.read_text()) == want:
        print(f"data from {cache} ({rows:,} customers, {log_rows:,} log rows)", flush=True)
        return
    cache.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    bench_lists.generate(cache / "customers.parquet", rows)
    generate_log(cache / "contacts.parquet", rows, log_rows)
    stamp.write_text(json.dumps(want))
    print(
        f"generated {rows:,} customers and {log_rows:,} log rows into {cache} in "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="customers")
    ap.add_argument("--log-rows", type=int, default=2_000_000, help="contact log rows")
    ap.add_argument("--repeat", type=int, default=3, help="report the median of this many runs")
    ap.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / "stratlang-bench-governance"),
        help="folder of the generated data (reused while the sizes match)",
    )
    ap.add_argument("--only", help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    a = ap.parse_args()
    cache = Path(a.cache) / f"{a.rows}-{a.log_rows}"
    if a.only:
        print(json.dumps(run_method(a.only, cache, Path(a.tmp))))
        return 0
    _cached(cache, a.rows, a.log_rows)
    results: dict[str, list[dict]] = {m: [] for m in ("plain", "governed", "limits")}
    with tempfile.TemporaryDirectory(prefix="bench-governance-") as d:
        for _ in range(a.repeat):
            for m in results:  # interleaved: both see the same machine state
                p = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--only",
                        m,
                        "--tmp",
                        d,
                        "--cache",
                        a.cache,
                        "--rows",
                        str(a.rows),
                        "--log-rows",
                        str(a.log_rows),
                    ],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                    env={**os.environ, "CI": "true"},
                )
                if p.returncode != 0:
                    print(f"{m}: failed\n{p.stderr[-2000:]}")
                    return 1
                results[m].append(json.loads(p.stdout.strip().splitlines()[-1]))
    ms = list(results)
    med = {m: statistics.median(r["seconds"] for r in rs) for m, rs in results.items()}
    peak = {m: max(r["peak_mb"] for r in rs) for m, rs in results.items()}
    first = {m: rs[0] for m, rs in results.items()}

    def line(label: str, values: list[str]) -> None:
        print(f"{label[:38]:<38}" + "".join(f"{v:>12}" for v in values))

    print()
    line("", ms)
    line(f"seconds (median of {a.repeat})", [f"{med[m]:.2f}" for m in ms])
    line("peak MB", [f"{peak[m]:.0f}" for m in ms])
    line("listed", [f"{first[m]['listed']:,}" for m in ms])
    line("dropped by policy", [f"{first[m]['dropped_by_policy']:,}" for m in ms])
    for n in dict.fromkeys(name for m in ms for name in first[m]["stages"]):
        stage = [statistics.median(r["stages"].get(n, 0.0) for r in results[m]) for m in ms]
        line(f"  {n}", [f"{x:.2f}" for x in stage])
    for m in ("governed", "limits"):
        ratio = med[m] / med["plain"]
        print(f"{m} / plain = {ratio:.2f} (bar <= 1.50): {'OK' if ratio <= 1.5 else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
