"""Roll-up of a cascade's actuals (docs/cascade.md "Roll-up in review").

A parent target is served by the children's targets of the same id (or naming it with
`serves`) in objectives aligned with the parent's objective (docs/cascade.md). For an additive
target (an amount or a count, never a percentage, ratio or multiple), each period's rolled-up
actual is the sum of the serving children's actuals for that period — read from the children's
own reviews (`ReviewResult`: the values already parsed and checked by the engine), so the sum
runs over a few aggregate numbers, never over rows of customer data. A period is summed only when every serving child has an actual
for it (a partial sum would read as a shortfall); the parent's own actual for a period, when its
file gives one, wins over the sum.

A project below the top with children of its own is rolled up the same way first, bottom-up
(`cascade_review.review_cascade`), so its figures are what its parent sums.

`rollups` computes the sums; `combined_actuals` writes the parent's actuals file with the sums
added as rows (through DuckDB, so the parent's file is read exactly as the review reads it), for
the parent's review to score like any actuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .. import model as m
from .result import ReviewResult
from .tables import read_raw


@dataclass(frozen=True)
class Part:
    """One child's share of a rolled-up period."""

    child: str  # the child's key
    unit: str | None  # the unit carrying the child's strategy
    measure: str  # the child's measure id (OBJECTIVE.TARGET)
    actual: float | None
    status: str  # the child's status for the period (none without an actual)


@dataclass(frozen=True)
class RolledPeriod:
    period: str
    total: float | None  # None: some serving child has no actual for the period
    parts: tuple[Part, ...]
    own: float | None  # the parent's own actual for the period, when its file gives one

    @property
    def used(self) -> float | None:
        """The actual the parent's review scores: its own, else the children's total."""
        return self.own if self.own is not None else self.total


@dataclass(frozen=True)
class Rollup:
    """A parent target with the children's targets serving it, per period."""

    measure: str  # the parent's measure id (OBJECTIVE.TARGET)
    label: str
    serving: tuple[tuple[str, str], ...]  # (child key, child measure id)
    periods: tuple[RolledPeriod, ...]


@dataclass(frozen=True)
class Child:
    """A project below the parent reviewed: `key` its entry as shown, its checked model, and
    its review (None when it has no actuals file and nothing rolls up into it); `parent` the
    key of the project above it, `rollups` what its own children rolled up into it."""

    key: str
    model: m.Model
    review: ReviewResult | None
    actuals: Path | None = None
    parent: str | None = None
    rollups: tuple[Rollup, ...] = ()


def additive(t: m.Target) -> bool:
    """Amounts and counts add up; percentages, ratios and multiples do not."""
    return t.value.unit == "number" and t.op != "between"


def serving(
    parent: m.Model, children: Sequence[Child]
) -> list[tuple[str, m.Target, list[tuple[Child, str]]]]:
    """Per additive parent target: (parent measure id, target, [(child, child measure id)]),
    the children's targets serving it as the ALN checks pair them (`check.alignment.served`:
    the same id, or `serves`)."""
    from ..check.alignment import served

    found: dict[tuple[str, str], list[tuple[Child, str]]] = {}
    for c in children:
        for s in served(c.model, parent):
            if additive(s.target):
                key = (s.parent_objective.id, s.parent_target.id)
                found.setdefault(key, []).append((c, f"{s.objective.id}.{s.target.id}"))
    return [
        (f"{po.id}.{t.id}", t, found[(po.id, t.id)])
        for po in parent.objectives.values()
        for t in po.targets
        if additive(t) and (po.id, t.id) in found
    ]


def _periods(review: ReviewResult | None) -> dict[str, dict[str, tuple[float | None, str]]]:
    """measure id -> period label -> (actual, status), for the periods scored."""
    if review is None:
        return {}
    return {
        mr.measure.id: {p.period: (p.actual, p.status) for p in mr.periods}
        for mr in review.measures
    }


def rollups(parent: m.Model, own: ReviewResult, children: Sequence[Child]) -> tuple[Rollup, ...]:
    """The parent's additive targets that children serve, each period summed (docs above).
    `own` is the parent's review of its own actuals: its periods, and which have an actual."""
    scored = {c.key: _periods(c.review) for c in children}
    own_periods = _periods(own)
    out = []
    for mid, t, found in serving(parent, children):
        periods = []
        for label in own_periods.get(mid, {}):
            parts = []
            for c, cmid in found:
                actual, status = scored[c.key].get(cmid, {}).get(label, (None, "none"))
                parts.append(Part(c.key, c.model.unit, cmid, actual, status))
            own_actual = own_periods[mid][label][0]
            if own_actual is None and all(p.actual is None for p in parts):
                continue  # nothing to show or sum: a period not reported yet
            complete = all(p.actual is not None for p in parts)
            total = float(sum(p.actual or 0.0 for p in parts)) if complete else None
            periods.append(RolledPeriod(label, total, tuple(parts), own_actual))
        out.append(
            Rollup(mid, t.label or t.id, tuple((c.key, cm) for c, cm in found), tuple(periods))
        )
    return tuple(out)


def combined_actuals(parent_actuals: Path, rolled: Sequence[Rollup], dest: Path) -> Path:
    """Write `dest` (CSV): the parent's actuals rows as given, then a row per rolled-up period
    the parent's file has no actual for (value: the children's total; note: 下级合计 / roll-up)."""
    con = duckdb.connect()
    try:
        raw = "__rollup_raw"
        read_raw(
            con, Path(parent_actuals), "actuals", ("measure", "period", "value"), ("note",), raw
        )
        columns = [r[0] for r in con.execute(f"DESCRIBE {raw}").fetchall()]
        note = "note" if "note" in columns else "NULL"
        con.execute(
            f"CREATE TEMP TABLE __rollup AS SELECT measure, period, value, {note} AS note "
            f'FROM {raw} ORDER BY "row"'
        )
        rows = [
            (r.measure, p.period, repr(p.total), "下级合计 / roll-up")
            for r in rolled
            for p in r.periods
            if p.own is None and p.total is not None
        ]
        if rows:
            con.executemany("INSERT INTO __rollup VALUES (?, ?, ?, ?)", rows)
        con.execute(f"COPY __rollup TO '{_sql_path(dest)}' (HEADER, DELIMITER ',')")
    finally:
        con.close()
    return dest


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
