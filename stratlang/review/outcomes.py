"""Play outcomes: conversion of the treatment group against the control group, in SQL.

`load_outcomes(con, path, plan)` reads `play, period, group, contacted, converted` (CSV, Parquet
or a DuckDB table `outcomes`) and checks it like the actuals: unknown play, unparsable period or
one outside the strategy, a group other than treatment/control, counts that are not whole
non-negative numbers, more converted than contacted, a (play, period, group) given twice.

`outcome_rows(con)` gives, per play and period, each group's rate and the lift (treatment rate -
control rate) with a 95% Wald interval: lift ± 1.959964 × sqrt(pt(1-pt)/nt + pc(1-pc)/nc).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ..diagnostics import closest
from .checks import Check, Failure, failures, quoted, raise_problems
from .periods import (
    period_end_sql,
    period_kind_and_start_sql,
    period_label_sql,
    period_parts_sql,
)
from .plan import Plan
from .result import GroupRate, PlayOutcome
from .tables import read_raw

RAW = "__review_outcomes_raw"
ROWS = "__review_outcome_rows"
OUTCOMES = "review_outcomes"
Z_95 = 1.959963984540054
COUNT = r"^\s*\d(?:_?\d)*\s*$"
HELP = "see docs/review.md: columns play, period, group (treatment|control), contacted, converted"


def _count_sql(text: str) -> str:
    return (
        f"CASE WHEN regexp_full_match({text}, '{COUNT}')"
        f" THEN TRY_CAST(replace(trim({text}), '_', '') AS BIGINT) END"
    )


def _parse_rows(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    kind, start = period_kind_and_start_sql("parts")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ROWS} AS
        WITH typed AS (
          SELECT "row", play AS play_text, trim(play) AS play_id, trim(period) AS period_text,
                 "group" AS group_text, lower(trim("group")) AS grp,
                 contacted AS contacted_text, converted AS converted_text,
                 {_count_sql("contacted")} AS contacted, {_count_sql("converted")} AS converted,
                 list_contains(?, trim(play)) AS known
          FROM {RAW}
        ), matched AS (SELECT *, {period_parts_sql("period_text")} AS parts FROM typed),
        parsed AS (SELECT *, {kind} AS p_kind, {start} AS p_start FROM matched)
        SELECT *, {period_end_sql("p_kind", "p_start")} AS p_end,
               {period_label_sql("p_kind", "p_start")} AS period,
               CAST(? AS DATE) AS plan_start, CAST(? AS DATE) AS plan_end,
               min("row") OVER (PARTITION BY play_id, {period_label_sql("p_kind", "p_start")}, grp)
                 AS first_row
        FROM parsed
        """,
        [list(_plays(plan)), plan.start, plan.end],
    )


def _plays(plan: Plan) -> tuple[str, ...]:
    from_measures = tuple(m.play for m in plan.measures if m.play is not None)
    return tuple(dict.fromkeys(plan.plays + from_measures))


def _count_check(column: str) -> Check:
    return Check(f"{column}_bad", column, f"{column} IS NULL", f"{column}_text")


OUTCOME_CHECKS = (
    Check("play_unknown", "play", "NOT coalesce(known, false)", "play_text"),
    Check("period_bad", "period", "p_kind IS NULL", "period_text"),
    Check(
        "period_outside",
        "period",
        "p_kind IS NOT NULL AND (p_end < plan_start OR p_start > plan_end)",
        "period_text",
    ),
    Check("group_bad", "group", "grp IS NULL OR grp NOT IN ('treatment', 'control')", "group_text"),
    _count_check("contacted"),
    _count_check("converted"),
    Check("converted_over", "converted", "converted > contacted", "converted", "contacted"),
    Check(
        "duplicate",
        "group",
        "known AND period IS NOT NULL AND grp IN ('treatment', 'control') AND first_row < \"row\"",
        "play_id || ' ' || period || ' ' || grp",
        "first_row",
    ),
)


def load_outcomes(con: duckdb.DuckDBPyConnection, path: Path | str, plan: Plan) -> int:
    """Read and check play outcomes into `review_outcomes`; DataError lists every problem."""
    path = Path(path)
    columns = ("play", "period", "group", "contacted", "converted")
    read_raw(con, path, "outcomes", columns, (), RAW)
    _parse_rows(con, plan)
    found, total = failures(con, ROWS, OUTCOME_CHECKS)
    raise_problems(path, found, total, lambda f: _describe(f, plan), HELP)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {OUTCOMES} AS SELECT play_id AS play, period, p_start AS start, "
        f'grp, contacted, converted, "row" FROM {ROWS} ORDER BY "row"'
    )
    con.execute(f"DROP TABLE IF EXISTS {ROWS}")
    con.execute(f"DROP TABLE IF EXISTS {RAW}")
    # fetchall: the result is read to its end, so the connection is free for con.sql()
    ((count,),) = con.execute(f"SELECT count(*) FROM {OUTCOMES}").fetchall()
    return int(count)


def _describe(f: Failure, plan: Plan) -> str:
    shown = quoted(f.shown)
    if f.check == "play_unknown":
        near = closest((f.shown or "").strip(), _plays(plan))
        return f"unknown play {shown}" + (f"; did you mean `{near[0]}`?" if near else "")
    if f.check == "period_bad":
        return f"{shown} is not a period: write 2026-Q4, 2026-03, 2026 or 2026-05-31"
    if f.check == "period_outside":
        return f"{shown} is outside the strategy period {plan.start} .. {plan.end}"
    if f.check == "group_bad":
        return f"{shown} is not a group: write treatment or control"
    if f.check in ("contacted_bad", "converted_bad"):
        negative = (f.shown or "").strip().startswith("-")
        what = "a negative count" if negative else "not a whole number"
        return f"{shown} is {what}: counts are whole numbers from 0"
    if f.check == "converted_over":
        return f"{shown} converted is more than the {f.detail} contacted"
    return f"{shown} was already given in row {f.detail}"


OUTCOME_SQL = f"""
WITH rates AS (
  SELECT play, period, min(start) AS start,
         sum(contacted) FILTER (WHERE grp = 'treatment') AS nt,
         sum(converted) FILTER (WHERE grp = 'treatment') AS xt,
         sum(contacted) FILTER (WHERE grp = 'control') AS nc,
         sum(converted) FILTER (WHERE grp = 'control') AS xc
  FROM {OUTCOMES} GROUP BY play, period
), lifted AS (
  SELECT *, xt / nullif(nt, 0) AS pt, xc / nullif(nc, 0) AS pc FROM rates
)
SELECT play, period, nt, xt, pt, nc, xc, pc, pt - pc AS lift,
       {Z_95} * sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc) AS margin
FROM lifted ORDER BY play, start
"""


def outcome_rows(con: duckdb.DuckDBPyConnection, plan: Plan) -> tuple[PlayOutcome, ...]:
    """Per play (plan order) and period (in time order): rates, lift and its interval."""
    order = {play: i for i, play in enumerate(_plays(plan))}
    rows = con.execute(OUTCOME_SQL).fetchall()
    rows.sort(key=lambda r: order[r[0]])  # stable: periods stay in time order
    return tuple(_outcome(r) for r in rows)


def _outcome(row: tuple[Any, ...]) -> PlayOutcome:
    play, period, nt, xt, pt, nc, xc, pc, lift, margin = row
    treatment = GroupRate(int(nt), int(xt), pt) if nt is not None else None
    control = GroupRate(int(nc), int(xc), pc) if nc is not None else None
    low = lift - margin if lift is not None and margin is not None else None
    high = lift + margin if lift is not None and margin is not None else None
    return PlayOutcome(str(play), str(period), treatment, control, lift, low, high)
