"""Measure the tests not marked slow and write tests/slow_tests.txt: those that take longer than
the threshold, so that `make test-fast` (everything but the slow tests) stays under a minute.

    .venv/bin/python scripts/measure_tests.py [--threshold 0.2] [--from DURATIONS_LOG]

Runs `pytest -m "not slow" --durations=0` (or reads the output of such a run) and lists every
test whose setup + call + teardown took at least THRESHOLD seconds. The list is data, reviewed in
the diff like a golden file; `tests/conftest.py` marks the tests it names `slow`. `make test`
runs every test either way: the list only decides what the quick loop leaves to CI.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIST = ROOT / "tests" / "slow_tests.txt"
# Files whose tests build on one another (one language server per file, documents opened by an
# earlier test): left whole, never split between the two subsets.
WHOLE_FILES = ("tests/test_lsp.py",)
LINE = re.compile(r"\s*([\d.]+)s (?:call|setup|teardown)\s+(tests/\S+)")
HEADER = """\
# Tests `make test-fast` leaves out (marked slow by tests/conftest.py), each over {threshold} s on
# a 2-core machine: written by scripts/measure_tests.py, regenerate rather than edit by hand.
# `make test` runs them all.
"""


def durations(log: str) -> Counter[str]:
    """Seconds per test id (setup, call and teardown together) from `--durations=0` output."""
    spent: Counter[str] = Counter()
    for line in log.splitlines():
        m = LINE.match(line)
        if m:
            spent[m.group(2)] += float(m.group(1))
    return spent


def run_fast_subset() -> str:
    """The output of the tests marked fast today, with every duration (the list itself empty, so
    that every test is measured again)."""
    LIST.write_text(HEADER.format(threshold="-"), encoding="utf-8")
    cmd = [sys.executable, "-m", "pytest", "-q", "-n", "auto", "--dist", "loadfile"]
    cmd += ["-m", "not slow", "--durations=0", "-p", "no:cacheprovider"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threshold", type=float, default=0.2, help="seconds (default 0.2)")
    ap.add_argument("--from", dest="log", type=Path, help="a saved --durations=0 output")
    args = ap.parse_args()
    log = args.log.read_text(encoding="utf-8") if args.log else run_fast_subset()
    spent = durations(log)
    slow = sorted(
        t for t, s in spent.items() if s >= args.threshold and not t.startswith(WHOLE_FILES)
    )
    kept = sum(s for t, s in spent.items() if t not in set(slow))
    LIST.write_text(
        HEADER.format(threshold=args.threshold) + "".join(t + "\n" for t in slow), encoding="utf-8"
    )
    print(
        f"{len(slow)} of {len(spent)} timed tests over {args.threshold} s "
        f"({sum(spent.values()) - kept:.0f} s) -> {LIST.relative_to(ROOT)}; "
        f"the rest take {kept:.0f} s of test time"
    )


if __name__ == "__main__":
    main()
