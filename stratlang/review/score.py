"""Scoring actuals against the plan, in DuckDB SQL (docs/review.md states the contract).

`score(con, plan, as_of)` needs the plan tables (tables.register_plan) and `review_actuals`
(actuals.load_actuals) on `con`. It scores, into an arrow table registered as `review_scored`
(and kept as the review's `PeriodTable`), one row per measure and cadence period
from the strategy's start up to min(as_of, the measure's deadline), with goal, status, shortfall,
attainment and change. Measure summaries, roll-ups and triggers are queries over that table.
Python only turns the query results into the result's data (and words the findings).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from .actuals import ACTUALS
from .plan import Plan, PlanMeasure
from .result import (
    MISSING_ACTUAL,
    STATUSES,
    TARGET_AMBER,
    TARGET_RED,
    TRIGGER_FIRED,
    Evidence,
    Finding,
    Forecast,
    MeasureReview,
    PeriodRows,
    PeriodTable,
    Rollup,
    TriggerReview,
)
from .tables import MEASURES, MILESTONES, PERIODS, TRIGGERS

SCORED = "review_scored"
SUMMARY = "review_measure_summary"
ROUNDING = 9  # shortfalls are compared with tolerances after rounding (0.1 is 0.1, not 0.1000…01)


def _comparison(op: str, left: str, right: str, high: str | None = None) -> str:
    """`left op right` in SQL for a comparator column `op` (between: right .. high)."""
    between = f" WHEN 'between' THEN {left} BETWEEN {right} AND {high}" if high else ""
    return (
        f"CASE {op} WHEN '>=' THEN {left} >= {right} WHEN '>' THEN {left} > {right}"
        f" WHEN '<=' THEN {left} <= {right} WHEN '<' THEN {left} < {right}{between} END"
    )


SCORED_SQL = f"""
WITH grid AS (
  SELECT m.ord AS m_ord, m.op AS m_op, m.value AS target, m.high AS target_high,
         m.baseline, m.horizon, m.tolerance, m.weight,
         p.ord AS p_ord, p.label AS period, p.start, p."end",
         date_diff('day', $plan_start, p."end") AS days,
         -- how far through the plan the period's end is: 0 at the strategy start, 1 at the deadline
         CASE WHEN m.horizon <= $plan_start THEN 1.0
              ELSE greatest(0.0, least(1.0, date_diff('day', $plan_start, p."end")
                                            / date_diff('day', $plan_start, m.horizon))) END AS progress
  FROM {MEASURES} m JOIN {PERIODS} p ON p.kind = m.kind
  WHERE p.start <= least($as_of, m.horizon)
), milestones AS (  -- by measure and period index, like the grid and the actuals
  SELECT m.ord AS m_ord, p.ord AS p_ord, ms.op, ms.value, ms.high
  FROM {MILESTONES} ms JOIN {MEASURES} m ON m.id = ms.measure
  JOIN {PERIODS} p ON p.kind = m.kind AND p.label = ms.period
), goals AS (
  SELECT g.*, a.value AS actual, a.note,
         coalesce(ms.op, g.m_op) AS op,
         CASE WHEN g.m_op IS NULL THEN NULL
              WHEN ms.m_ord IS NOT NULL THEN ms.value
              WHEN g.baseline IS NOT NULL THEN g.baseline + (g.target - g.baseline) * g.progress
              ELSE g.target END AS goal,
         CASE WHEN g.m_op IS DISTINCT FROM 'between' THEN NULL
              WHEN ms.m_ord IS NOT NULL THEN coalesce(ms.high, ms.value)
              WHEN g.baseline IS NOT NULL THEN g.baseline + (g.target_high - g.baseline) * g.progress
              ELSE g.target_high END AS goal_high
  FROM grid g
  LEFT JOIN milestones ms ON ms.m_ord = g.m_ord AND ms.p_ord = g.p_ord
  LEFT JOIN {ACTUALS} a ON a.m_ord = g.m_ord AND a.period_ord = g.p_ord
), judged AS (
  SELECT *,
         {_comparison("op", "actual", "goal", "goal_high")} AS met,
         -- the goal a miss is measured from: for between, the end the actual is beyond
         CASE WHEN op = 'between' AND actual > goal_high THEN goal_high ELSE goal END AS reference,
         op IN ('<=', '<') OR (op = 'between' AND actual > goal_high) AS upper_bound
  FROM goals
), measured AS (
  SELECT *,
         CASE WHEN actual IS NULL OR goal IS NULL THEN NULL
              WHEN met THEN 0.0
              WHEN reference = 0 THEN NULL
              ELSE round(greatest(0.0, CASE WHEN upper_bound THEN actual - reference
                                            ELSE reference - actual END) / abs(reference),
                         {ROUNDING}) END AS shortfall,
         CASE WHEN actual IS NULL OR goal IS NULL THEN NULL
              WHEN op = 'between' AND met THEN 0.0
              WHEN reference = 0 THEN CASE WHEN actual = 0 THEN 0.0 ELSE 'infinity'::DOUBLE END
              ELSE abs(actual - reference) / abs(reference) END AS deviation
  FROM judged
)
SELECT m_ord, p_ord, period, start, "end", days, actual, note, op, goal, goal_high,
       met, shortfall, deviation,
       CASE WHEN actual IS NULL OR goal IS NULL THEN 'none'
            WHEN met THEN 'green'
            WHEN shortfall IS NULL THEN 'red'
            WHEN shortfall <= tolerance THEN 'amber'
            ELSE 'red' END AS status,
       CASE WHEN actual IS NULL OR goal IS NULL THEN NULL
            WHEN op = 'between' THEN CASE WHEN met THEN 1.0 ELSE greatest(0.0, 1.0 - coalesce(shortfall, 1.0)) END
            WHEN op IN ('>=', '>') AND goal = 0 THEN CASE WHEN met THEN 1.0 ELSE 0.0 END
            WHEN op IN ('>=', '>') THEN least(1.5, greatest(0.0, actual / goal))
            WHEN actual = 0 THEN CASE WHEN met THEN 1.5 ELSE 0.0 END
            ELSE least(1.5, greatest(0.0, goal / actual)) END AS attainment,
       actual - last_value(actual IGNORE NULLS) OVER (
         PARTITION BY m_ord ORDER BY p_ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
       ) AS change
FROM measured
ORDER BY m_ord, p_ord
"""

# one row per measure: its latest scored period with an actual, and the least-squares line
SUMMARY_SQL = f"""
CREATE OR REPLACE TEMP TABLE {SUMMARY} AS
WITH latest AS (
  SELECT m_ord,
         arg_max(status, p_ord) FILTER (WHERE actual IS NOT NULL) AS status,
         arg_max(period, p_ord) FILTER (WHERE actual IS NOT NULL) AS period,
         arg_max(attainment, p_ord) FILTER (WHERE actual IS NOT NULL) AS attainment,
         arg_max(change, p_ord) FILTER (WHERE actual IS NOT NULL) AS change,
         arg_max(actual, p_ord) FILTER (WHERE actual IS NOT NULL) AS actual,
         arg_max(goal, p_ord) FILTER (WHERE actual IS NOT NULL) AS goal,
         arg_max(goal_high, p_ord) FILTER (WHERE actual IS NOT NULL) AS goal_high,
         count(actual) AS actuals,
         count(*) AS periods,
         -- in time order, so the sums are added in the same order (the same bits) every run
         regr_slope(actual, days ORDER BY p_ord) AS slope,
         regr_intercept(actual, days ORDER BY p_ord) AS intercept
  FROM {SCORED} GROUP BY m_ord
)
SELECT m.ord AS m_ord, m.id, m.op, m.value AS target, m.high AS target_high, m.horizon, m.weight,
       m.objective, m.perspective, m.theme,
       coalesce(l.status, 'none') AS status, l.period, l.attainment, l.change,
       {{gap}} AS gap,
       coalesce(l.actuals, 0) AS actuals, coalesce(l.periods, 0) AS periods, l.slope,
       CASE WHEN l.actuals >= 2 THEN l.intercept + l.slope * date_diff('day', $plan_start, m.horizon)
            END AS forecast
FROM {MEASURES} m LEFT JOIN latest l ON l.m_ord = m.ord
ORDER BY m.ord
"""


def _gap_sql(op: str, goal: str, goal_high: str, value: str) -> str:
    """goal - value; for between the distance to the nearest end (0 inside the range)."""
    return (
        f"CASE WHEN {op} = 'between' THEN CASE WHEN {value} < {goal} THEN {goal} - {value}"
        f" WHEN {value} > {goal_high} THEN {goal_high} - {value} ELSE 0.0 END"
        f" ELSE {goal} - {value} END"
    )


_RANK = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATUSES))
_STATUS = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(STATUSES))


def _rollup_sql(key: str) -> str:
    """Worst latest status and weighted mean attainment per value of `key` (a summary column;
    a constant for the whole strategy), in order of first appearance in the plan."""
    return f"""
    SELECT {key} AS id,
           CASE max(CASE status {_RANK} END) {_STATUS} END AS status,
           sum(weight * attainment ORDER BY m_ord) FILTER (WHERE attainment IS NOT NULL)
             / nullif(sum(weight ORDER BY m_ord) FILTER (WHERE attainment IS NOT NULL), 0) AS score,
           count(*) AS measures,
           count(*) FILTER (WHERE actuals > 0) AS scored
    FROM {SUMMARY} WHERE {key} IS NOT NULL
    GROUP BY {key} ORDER BY min(m_ord)
    """


TRIGGERS_SQL = f"""
WITH recent AS (
  SELECT t.ord AS t_ord, s.period, s.p_ord, s.actual, s.goal, s.deviation, t.kind, t.op,
         t.value AS limit_value, t.periods,
         row_number() OVER (PARTITION BY t.ord ORDER BY s.p_ord DESC) AS back
  FROM {TRIGGERS} t JOIN {MEASURES} m ON m.id = t.measure
  JOIN {SCORED} s ON s.m_ord = m.ord AND s.actual IS NOT NULL
), judged AS (
  SELECT *, CASE kind WHEN 'deviation' THEN coalesce(deviation > limit_value, false)
                      ELSE coalesce({_comparison("op", "actual", "limit_value")}, false) END AS hit
  FROM recent WHERE back <= periods
)
SELECT t.ord,
       coalesce(count(j.p_ord) = t.periods AND bool_and(j.hit)
                AND max(j.p_ord) - min(j.p_ord) = t.periods - 1, false) AS fired,
       list((j.period, j.actual, j.goal, j.deviation) ORDER BY j.p_ord)
         FILTER (WHERE j.p_ord IS NOT NULL) AS evidence
FROM {TRIGGERS} t LEFT JOIN judged j ON j.t_ord = t.ord
GROUP BY t.ord, t.periods ORDER BY t.ord
"""


def score(
    con: duckdb.DuckDBPyConnection, plan: Plan, as_of: dt.date
) -> tuple[
    tuple[MeasureReview, ...],
    dict[str, tuple[Rollup, ...]],
    Rollup,
    tuple[TriggerReview, ...],
    tuple[Finding, ...],
]:
    """Measures, roll-ups (objective, perspective, theme), the strategy, triggers and findings."""
    params = {"as_of": as_of, "plan_start": plan.start}
    # scored straight into arrow (the review keeps it as its PeriodTable), then read as SCORED
    scored = con.sql(SCORED_SQL, params=params).to_arrow_table()
    con.register(SCORED, scored)
    gap = _gap_sql("m.op", "l.goal", "l.goal_high", "l.actual")
    con.execute(SUMMARY_SQL.replace("{gap}", gap), {"plan_start": plan.start})
    measures = _measure_reviews(con, plan, PeriodTable(scored))
    rollups = {
        key: tuple(Rollup(*row) for row in con.execute(_rollup_sql(key)).fetchall())
        for key in ("objective", "perspective", "theme")
    }
    whole = con.execute(_rollup_sql("'strategy'")).fetchone()
    strategy = Rollup(*whole) if whole else Rollup("strategy", "none", None, 0, 0)
    triggers = _trigger_reviews(con, plan)
    missing = con.execute(
        f'SELECT m_ord, period FROM {SCORED} WHERE actual IS NULL AND "end" < $as_of '
        "ORDER BY m_ord, p_ord",
        {"as_of": as_of},
    ).fetchall()
    return measures, rollups, strategy, triggers, _findings(measures, triggers, missing)


def _measure_reviews(
    con: duckdb.DuckDBPyConnection, plan: Plan, table: PeriodTable
) -> tuple[MeasureReview, ...]:
    # the periods stay columns (the arrow table, in measure then time order): each measure
    # knows its slice of them
    summaries = con.execute(
        f"SELECT m_ord, status, period, attainment, change, gap, actuals, slope, forecast, "
        f"horizon, periods FROM {SUMMARY} ORDER BY m_ord"
    ).fetchall()
    reviews = []
    first = 0
    for i, (m, s) in enumerate(zip(plan.measures, summaries, strict=True)):
        count = s[-1]
        reviews.append(_measure_review(m, PeriodRows(table, i, first, count), s))
        first += count
    return tuple(reviews)


def _measure_review(m: PlanMeasure, rows: PeriodRows, summary: tuple[Any, ...]) -> MeasureReview:
    _, status, latest, attainment, change, gap, actuals, slope, forecast, horizon, _ = summary
    trend = None
    final_gap = None
    if forecast is not None and m.op is not None:
        trend = Forecast(forecast, m.value, m.high, horizon, actuals, slope)
        final_gap = _gap(m, forecast)
    elif forecast is not None:
        trend = Forecast(forecast, None, None, horizon, actuals, slope)
    return MeasureReview(m, rows, status, latest, attainment, change, gap, trend, final_gap)


def _gap(m: PlanMeasure, value: float) -> float | None:
    if m.value is None:
        return None
    if m.op == "between" and m.high is not None:
        return m.value - value if value < m.value else m.high - value if value > m.high else 0.0
    return m.value - value


def _trigger_reviews(con: duckdb.DuckDBPyConnection, plan: Plan) -> tuple[TriggerReview, ...]:
    rows = con.execute(TRIGGERS_SQL).fetchall() if plan.triggers else []
    return tuple(
        TriggerReview(
            t.id,
            t.label,
            t.measure,
            bool(fired),
            tuple(Evidence(*e) for e in (evidence or ())),
            t.action,
            t.owner,
        )
        for t, (_, fired, evidence) in zip(plan.triggers, rows, strict=True)
    )


def _findings(
    measures: tuple[MeasureReview, ...],
    triggers: tuple[TriggerReview, ...],
    missing: list[tuple[int, str]],
) -> tuple[Finding, ...]:
    """REV801/802 for a measure whose latest status is red/amber, REV804 for each period that
    ended before as_of without an actual (`missing`: (measure index, period) in plan and time
    order, from SQL), REV803 for each fired trigger. Plan order, then period."""
    found: list[Finding] = []
    gaps = iter(missing)
    gap = next(gaps, None)
    for i, r in enumerate(measures):
        m = r.measure
        while gap is not None and gap[0] == i:
            found.append(
                Finding(
                    MISSING_ACTUAL,
                    "warning",
                    f"`{m.id}` ({m.label}) has no actual for {gap[1]}, which has ended",
                    m.id,
                    gap[1],
                )
            )
            gap = next(gaps, None)
        if r.status in ("red", "amber"):
            code, severity = (
                (TARGET_RED, "warning") if r.status == "red" else (TARGET_AMBER, "note")
            )
            found.append(
                Finding(
                    code,
                    severity,
                    f"`{m.id}` ({m.label}) is {r.status} in {r.latest}",
                    m.id,
                    r.latest,
                )
            )
    for t in triggers:
        if t.fired:
            periods = ", ".join(e.period for e in t.evidence)
            found.append(
                Finding(
                    TRIGGER_FIRED,
                    "warning",
                    f"trigger `{t.id}` ({t.label}) fired on `{t.measure}` in {periods}",
                    t.measure,
                    t.evidence[-1].period if t.evidence else None,
                    t.id,
                )
            )
    return tuple(found)
