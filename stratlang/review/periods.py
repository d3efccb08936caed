"""Period labels: `2026-Q4` (or `2026Q4`), `2026-03`, `2026`, `2026-05-31`.

Python parses the few labels a plan declares (milestones); the labels of actual rows are parsed
in SQL by `period_columns_sql`, with the same patterns, so both agree on what a label means and
on its canonical spelling. A cadence's periods between two dates are listed here (a few dozen at
most) and handed to DuckDB as a table.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

CADENCES = ("monthly", "quarterly", "yearly")
CADENCE_KIND = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}

# The same patterns in both languages: Python's `re` and DuckDB's RE2 agree on these.
QUARTER_PATTERN = r"^(\d{4})-?[Qq]([1-4])$"
MONTH_PATTERN = r"^(\d{4})-(\d{2})$"
YEAR_PATTERN = r"^(\d{4})$"
DAY_PATTERN = r"^(\d{4})-(\d{2})-(\d{2})$"


@dataclass(frozen=True)
class Period:
    kind: str  # day | month | quarter | year
    start: dt.date
    end: dt.date  # the last day, included
    label: str  # canonical: 2026-Q4, 2026-03, 2026, 2026-05-31


def _month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def quarter(year: int, number: int) -> Period:
    first_month = 3 * (number - 1) + 1
    return Period(
        "quarter",
        dt.date(year, first_month, 1),
        _month_end(year, first_month + 2),
        f"{year:04d}-Q{number}",
    )


def month(year: int, number: int) -> Period:
    return Period(
        "month", dt.date(year, number, 1), _month_end(year, number), f"{year:04d}-{number:02d}"
    )


def year(number: int) -> Period:
    return Period("year", dt.date(number, 1, 1), dt.date(number, 12, 31), f"{number:04d}")


def day(date: dt.date) -> Period:
    return Period("day", date, date, date.isoformat())


def parse_period(text: str) -> Period | None:
    """The period a label names, or None when it names none (year 0 and month 13 included)."""
    text = text.strip()
    try:
        if m := re.match(QUARTER_PATTERN, text):
            return quarter(int(m[1]), int(m[2])) if int(m[1]) > 0 else None
        if m := re.match(MONTH_PATTERN, text):
            return month(int(m[1]), int(m[2]))
        if m := re.match(YEAR_PATTERN, text):
            return year(int(m[1]))
        if m := re.match(DAY_PATTERN, text):
            return day(dt.date(int(m[1]), int(m[2]), int(m[3])))
    except ValueError:  # month 13, 2026-02-30, year 0
        return None
    return None


def period_containing(kind: str, date: dt.date) -> Period:
    if kind == "month":
        return month(date.year, date.month)
    if kind == "quarter":
        return quarter(date.year, (date.month - 1) // 3 + 1)
    if kind == "year":
        return year(date.year)
    return day(date)


def cadence_periods(cadence: str, start: dt.date, end: dt.date) -> tuple[Period, ...]:
    """The cadence's periods that overlap [start, end], in order (the first may begin before
    `start` and the last end after `end` when the strategy does not start on a period boundary)."""
    kind = CADENCE_KIND[cadence]
    periods: list[Period] = []
    current = period_containing(kind, start)
    while current.start <= end:
        periods.append(current)
        current = period_containing(kind, current.end + dt.timedelta(days=1))
    return tuple(periods)


# One pattern for every label, so a row's label is matched once: year, then quarter, month or day
PERIOD_PATTERN = r"^(\d{4})(?:-?[Qq]([1-4])|-(\d{2})(?:-(\d{2}))?)?$"


def period_parts_sql(text: str) -> str:
    """SQL: the struct (y, q, m, d) of the label in the text expression `text` (all '' when it is
    no label). `text` must be SQL the caller built safely (a quoted column name)."""
    return f"regexp_extract({text}, '{PERIOD_PATTERN}', ['y', 'q', 'm', 'd'])"


def period_kind_and_start_sql(parts: str) -> tuple[str, str]:
    """SQL expressions over a column `parts` (from `period_parts_sql`) giving the period's kind
    and first day; both NULL when the text names no period (year 0, month 13, 2026-02-30
    included). `period_end_sql` and `period_label_sql` give the rest."""
    y, q, m, d = (f"TRY_CAST(nullif({parts}.{k}, '') AS INTEGER)" for k in "yqmd")
    start = (
        f"CASE WHEN {y} IS NULL OR {y} = 0 THEN NULL"
        f" WHEN {q} IS NOT NULL THEN make_date({y}, 3 * {q} - 2, 1)"
        f" WHEN {d} IS NOT NULL THEN TRY_CAST(printf('%04d-%02d-%02d', {y}, {m}, {d}) AS DATE)"
        f" WHEN {m} IS NOT NULL THEN CASE WHEN {m} BETWEEN 1 AND 12 THEN make_date({y}, {m}, 1) END"
        f" ELSE make_date({y}, 1, 1) END"
    )
    kind = (
        f"CASE WHEN ({start}) IS NULL THEN NULL WHEN {q} IS NOT NULL THEN 'quarter'"
        f" WHEN {d} IS NOT NULL THEN 'day' WHEN {m} IS NOT NULL THEN 'month' ELSE 'year' END"
    )
    return kind, start


def period_end_sql(kind: str, start: str) -> str:
    """The last day of the period of kind `kind` starting on `start` (both SQL expressions)."""
    return (
        f"CASE {kind} WHEN 'quarter' THEN CAST({start} + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE)"
        f" WHEN 'month' THEN CAST({start} + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE)"
        f" WHEN 'year' THEN CAST({start} + INTERVAL 1 YEAR - INTERVAL 1 DAY AS DATE)"
        f" WHEN 'day' THEN {start} END"
    )


def period_label_sql(kind: str, start: str) -> str:
    """The canonical label of the period of kind `kind` starting on `start`."""
    return (
        f"CASE {kind} WHEN 'quarter' THEN strftime({start}, '%Y') || '-Q'"
        f" || CAST(quarter({start}) AS VARCHAR)"
        f" WHEN 'month' THEN strftime({start}, '%Y-%m')"
        f" WHEN 'year' THEN strftime({start}, '%Y')"
        f" WHEN 'day' THEN strftime({start}, '%Y-%m-%d') END"
    )
