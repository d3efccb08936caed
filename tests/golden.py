"""Golden-file comparison shared by the test suite.

    from golden import check_golden
    check_golden("render/basic.txt", actual)

`path` is relative to tests/golden/ (or absolute). With `STRATLANG_REGEN=1` in the environment
the file is (re)written with `actual` instead of compared — review the diff like code. Files are
read and written as UTF-8 with newlines kept exactly.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def regenerating() -> bool:
    return os.environ.get("STRATLANG_REGEN", "") not in ("", "0")


def check_golden(path: str | Path, actual: str | bytes) -> None:
    """Assert that `actual` equals the golden file at `path` (or rewrite it when regenerating)."""
    target = Path(path)
    if not target.is_absolute():
        target = GOLDEN_DIR / target
    data = actual.encode("utf-8") if isinstance(actual, str) else actual
    if regenerating():
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
        return
    if not target.exists():
        raise AssertionError(
            f"golden file {target} is missing; run the tests with STRATLANG_REGEN=1 to create it"
        )
    expected = target.read_bytes()
    if expected == data:
        return
    try:
        diff = "".join(
            difflib.unified_diff(
                expected.decode("utf-8").splitlines(keepends=True),
                data.decode("utf-8").splitlines(keepends=True),
                fromfile=f"{target} (golden)",
                tofile="actual",
            )
        )
    except UnicodeDecodeError:
        diff = f"binary contents differ ({len(expected)} vs {len(data)} bytes)"
    raise AssertionError(
        f"output differs from golden file {target} (STRATLANG_REGEN=1 rewrites it):\n{diff}"
    )
