"""Row checks as SQL conditions; the rows that fail, found by one query, become messages.

Each check is a condition over a table of read rows (column `row` is the 1-based row number) and
names the file's column it is about. The failing rows (at most `MAX_SHOWN`, first rows first) and
how many failed in all come back from DuckDB; only those few rows are seen by Python, to word
their messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import duckdb

from ..engine.data import DataError, _printable

MAX_SHOWN = 50  # problems listed in one error; the count says how many there are in all


class Check(NamedTuple):
    name: str
    column: str  # the file's column the problem is in
    condition: str  # SQL over the checked table: true when the row fails
    shown: str  # SQL: the text to quote (the value as written)
    detail: str = "NULL"  # SQL: more text for the message (the measure's label, the other row)


class Failure(NamedTuple):
    row: int
    check: str
    column: str
    shown: str | None
    detail: str | None


def failures(
    con: duckdb.DuckDBPyConnection, table: str, checks: Sequence[Check]
) -> tuple[list[Failure], int]:
    """The first failing (row, check) pairs in row then check order, and the number of them all."""
    order = {c.name: i for i, c in enumerate(checks)}
    parts = [
        f"SELECT \"row\", '{c.name}' AS check_name, '{c.column}' AS column_name, "
        f"CAST({c.shown} AS VARCHAR) AS shown, CAST({c.detail} AS VARCHAR) AS detail, "
        f'{order[c.name]} AS check_order FROM "{table}" WHERE {c.condition}'
        for c in checks
    ]
    union = " UNION ALL ".join(parts)
    total_row = con.execute(f"SELECT count(*) FROM ({union})").fetchone()
    total = int(total_row[0]) if total_row else 0
    if not total:
        return [], 0
    rows = con.execute(
        f'SELECT "row", check_name, column_name, shown, detail FROM ({union}) '
        f'ORDER BY "row", check_order LIMIT {MAX_SHOWN}'
    ).fetchall()
    return [Failure(*r) for r in rows], total


def raise_problems(
    path: Path,
    found: list[Failure],
    total: int,
    describe: Callable[[Failure], str],
    help: str,
) -> None:
    """Raise a DataError listing each failure as `FILE row N, column `c`: what is wrong`."""
    if not found:
        return
    problems = [f"{path.name} row {f.row}, column `{f.column}`: {describe(f)}" for f in found]
    if total > len(found):
        problems.append(f"… and {total - len(found)} more problems")
    message = problems[0] if total == 1 else f"{total} problems in {path}"
    raise DataError(message, help=help, problems=problems)


def quoted(text: str | None, limit: int = 80) -> str:
    """A value from the file for a message: control characters escaped, long text cut."""
    if text is None:
        return "(empty)"
    shown = _printable(text)
    return f"`{shown[:limit]}…`" if len(shown) > limit else f"`{shown}`"
