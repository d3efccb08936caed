"""Benchmark: `stratlang lists` on a CSV bigger than its memory limit, against a hand-written DuckDB query.

    nice .venv/bin/python benchmarks/bench_bigdata.py                       # 2 GB CSV, 4GB limit
    nice .venv/bin/python benchmarks/bench_bigdata.py --size 200MB --memory-limit 1GB

The customers are bench_lists.py's (its `generate`: DuckDB SQL, no Python loop over rows, first
to Parquet, then COPY to CSV until the file has about `--size` bytes) and so is the project (50
segments, 50 plays, shared capacity-limited channels, control groups). Two methods, each in its
own process, each with the same DuckDB memory limit:

- stratlang: the real command, `stratlang lists bench.strat --data customers.csv --format parquet`
  with `STRATLANG_MEMORY_LIMIT` set: CSV read once (spilling to its own temporary folder), data
  checks, segment counts, assignment, one key-sorted Parquet file per play and summary.json;
- hand-written: bench_lists.py's one assignment query over `read_csv` (types sniffed by DuckDB),
  written with COPY … PARTITION_BY (play) — no data checks, no segment counts, no sorting.

Printed: wall time, rows/s, peak RSS of each process (its own max RSS, from wait4) and the ratio
to the hand-written query. The bar (issue 10): the stratlang run succeeds under the limit and
exits 0, where without a limit a 2 GB CSV peaked at 16.4 GB.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_lists import generate, hand_query, load_model

STRATLANG = Path(sys.executable).parent / "stratlang"


def parse_size(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?", text.strip(), re.IGNORECASE)
    if m is None:
        raise argparse.ArgumentTypeError(f"not a size: {text} (e.g. 2GB, 500MB)")
    return int(float(m.group(1)) * 1000 ** " kmgt".index(m.group(2).lower() or " "))


def write_csv(path: Path, rows: int, tmp: Path) -> None:
    """`rows` generated customers as CSV: bench_lists.generate's SQL to Parquet, then DuckDB COPY."""
    import duckdb

    parquet = tmp / f"gen-{rows}.parquet"
    generate(parquet, rows)
    con = duckdb.connect()
    con.execute(f"SET temp_directory = '{(tmp / 'gen-spill').as_posix()}'")
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{parquet.as_posix()}')) TO '{path.as_posix()}' "
        "(FORMAT csv, HEADER true)"
    )
    con.close()
    parquet.unlink()


def measure(cmd: list[str], env: dict) -> dict:
    """Run a command; wall seconds, exit code, its own peak RSS (MB) and the tail of its stderr."""
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err.seek(0)
    return {
        "seconds": seconds,
        "code": p.returncode,
        "peak_mb": usage.ru_maxrss / 1024,
        "stderr": err.read().decode("utf-8", "replace")[-1500:],
    }


def run_hand(csv: Path, tmp: Path, limit: str) -> None:
    """The hand-written query (in its own process: `--only hand`)."""
    import duckdb

    model = load_model(tmp)
    spill = tmp / "hand-spill"
    con = duckdb.connect(
        config={
            "memory_limit": limit,
            "temp_directory": str(spill),
            "preserve_insertion_order": False,
        }
    )
    parquet_scan = re.compile(r"read_parquet\('[^']*'\)")
    q = parquet_scan.sub(
        f"read_csv('{csv.as_posix()}', header = true)", hand_query(tmp / "x.parquet", model)
    )
    out = tmp / "out-hand"
    con.execute(
        f"COPY ({q}) TO '{out.as_posix()}' (FORMAT parquet, PARTITION_BY (play), OVERWRITE_OR_IGNORE)"
    )
    listed = con.execute(
        f"SELECT count(*) FROM read_parquet('{out.as_posix()}/*/*.parquet')"
    ).fetchone()[0]
    print(f"listed {listed}", file=sys.stderr)
    con.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--size", type=parse_size, default=parse_size("2GB"), help="CSV size (default 2GB)"
    )
    ap.add_argument(
        "--memory-limit",
        default="4GB",
        help="STRATLANG_MEMORY_LIMIT for both methods (default 4GB)",
    )
    ap.add_argument(
        "--tmp", type=Path, default=None, help="work folder (default: a new one in TMPDIR)"
    )
    ap.add_argument(
        "--keep", action="store_true", help="keep the work folder (and the CSV) afterwards"
    )
    ap.add_argument("--only", help=argparse.SUPPRESS)
    ap.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.only == "hand":
        run_hand(a.csv, a.tmp, a.memory_limit)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="bench-bigdata-", dir=a.tmp))
    try:
        free = shutil.disk_usage(tmp).free
        if free < 3 * a.size:
            print(
                f"need about {3 * a.size / 1e9:.1f} GB free in {tmp} (CSV, spill, lists); {free / 1e9:.1f} GB free"
            )
            return 1
        sample = tmp / "sample.csv"
        write_csv(sample, 100_000, tmp)
        rows = max(1000, int(a.size / (sample.stat().st_size / 100_000)))
        sample.unlink()
        csv = tmp / "customers.csv"
        t0 = time.perf_counter()
        write_csv(csv, rows, tmp)
        mb = csv.stat().st_size / 1e6
        print(
            f"generated {rows:,} customers: {mb:,.0f} MB of CSV in {time.perf_counter() - t0:.0f} s; "
            f"memory limit {a.memory_limit} for both methods",
            flush=True,
        )
        entry = tmp / "bench.strat"
        load_model(tmp)  # writes bench.strat (and checks it)
        env = {
            **os.environ,
            "CI": "true",
            "STRATLANG_MEMORY_LIMIT": a.memory_limit,
            "TMPDIR": str(tmp),
        }
        results = {
            "stratlang": measure(
                [
                    str(STRATLANG),
                    "lists",
                    str(entry),
                    "--data",
                    str(csv),
                    "-o",
                    str(tmp / "lists"),
                    "--format",
                    "parquet",
                ],
                env,
            ),
            "hand-written": measure(
                [
                    sys.executable,
                    __file__,
                    "--only",
                    "hand",
                    "--csv",
                    str(csv),
                    "--tmp",
                    str(tmp),
                    "--memory-limit",
                    a.memory_limit,
                ],
                env,
            ),
        }
        base = results["hand-written"]["seconds"] if results["hand-written"]["code"] == 0 else None
        print(
            f"\n{'method':<14}{'exit':>5}{'seconds':>10}{'rows/s':>12}{'vs hand':>9}{'peak MB':>10}"
        )
        for name, r in results.items():
            ratio = f"{r['seconds'] / base:.2f}x" if base else "-"
            print(
                f"{name:<14}{r['code']:>5}{r['seconds']:>10.1f}{rows / r['seconds']:>12,.0f}{ratio:>9}"
                f"{r['peak_mb']:>10,.0f}"
            )
        for name, r in results.items():
            if r["code"] != 0:
                print(f"\n{name} failed (exit {r['code']}):\n{r['stderr']}")
        leftovers = [p.name for p in tmp.iterdir() if p.name.startswith("stratlang-duckdb-")]
        print(f"\nspill folders left behind: {leftovers or 'none'}")
        return 0 if all(r["code"] == 0 for r in results.values()) else 1
    finally:
        if a.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
