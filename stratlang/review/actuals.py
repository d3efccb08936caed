"""Reading actual results (`measure, period, value[, note]`) into DuckDB, checked, all in SQL.

`load_actuals(con, path, plan)` reads a CSV, Parquet or DuckDB file (table `actuals`) the way
`--data` is read (engine/data.py), parses every period label and value in SQL, and refuses the
file, before anything is scored, with every problem named by file, row and column: an unknown
measure (with the closest id), an unparsable period or value, a period outside the strategy or of
another granularity than the measure's cadence, a value in the wrong unit, a period given twice.
The result is the temp table `review_actuals(measure, m_ord, period, period_ord, value, note, row)`
(`m_ord`, `period_ord`: the measure's and the cadence period's index in the plan tables).

Values are in the measure's own unit: `13%` or `13` (percent), `2.2亿`, `5600万`, `1.5k`, `3m`,
`1_000` (money and counts), `1:1.2` (a ratio a:b is the number b/a), `5x` or `5倍` (multiples).
Notes are kept as text, whatever they contain; nothing reads them but the report.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..diagnostics import closest
from .checks import Check, Failure, failures, quoted, raise_problems
from .periods import (
    CADENCE_KIND,
    period_end_sql,
    period_kind_and_start_sql,
    period_label_sql,
    period_parts_sql,
)
from .plan import Plan, PlanMeasure
from .tables import MEASURES, PERIODS, read_raw, register_plan

RAW = "__review_actuals_raw"
ROWS = "__review_actual_rows"
ACTUALS = "review_actuals"

_NUMBER = r"\d(?:_?\d)*(?:\.\d+)?(?:[eE][+-]?\d+)?"
SINGLE_VALUE = rf"^\s*([+-]?{_NUMBER})\s*(%|万|亿|[kKmM]|倍|[xX])?\s*$"
RATIO_VALUE = rf"^\s*({_NUMBER})\s*[:：]\s*({_NUMBER})\s*$"

# the value classes each unit accepts ("plain": a bare number)
ACCEPTED = {
    "percent": ("plain", "percent"),
    "money": ("plain", "scaled"),
    "number": ("plain", "scaled"),
    "ratio": ("plain", "ratio"),
    "multiple": ("plain", "multiple"),
}
EXAMPLES = {
    "percent": "13% or 13",
    "money": "2.2亿, 5600万, 1.5k or 1_000",
    "number": "1200, 8万 or 1.5k",
    "ratio": "1:1.2 or 1.2",
    "multiple": "5x, 5倍 or 5",
}
CLASS_NAMES = {
    "percent": "a percent",
    "scaled": "a number with 万/亿/k/m",
    "ratio": "a ratio",
    "multiple": "a multiple",
}
UNIT_NAMES = {  # "… is measured as …"
    "percent": "a percentage",
    "money": "an amount",
    "number": "an amount or a count",
    "ratio": "a ratio",
    "multiple": "a multiple",
}
HELP = "see docs/review.md for the actuals format: columns measure, period, value and note"


def _value_parts_sql(text: str) -> str:
    """SQL: the struct (n, s, a, b) of a value: number and suffix, or a ratio's two sides."""
    return (
        f"struct_concat(regexp_extract({text}, '{SINGLE_VALUE}', ['n', 's']),"
        f" regexp_extract({text}, '{RATIO_VALUE}', ['a', 'b']))"
    )


# A value that is a plain decimal number with at most one suffix character (`1200`, `13%`,
# `2.2亿`) — nearly every value — is matched without captures (RE2's fast DFA) and split at its
# last character; any other goes through SINGLE_VALUE and RATIO_VALUE. Both give the same parts.
FAST_VALUE = r"[+-]?\d+(?:\.\d+)?[%万亿kKmM倍xX]?"


def _fast_value_sql(text: str) -> str:
    return f"regexp_full_match({text}, '{FAST_VALUE}')"


def _value_part_sql(text: str, key: str, fast: str | None = None) -> str:
    """SQL: one part (n, s, a or b) of the value `text`; the regular expressions with captures
    run only on the rows that are not FAST_VALUE (`fast`: a column holding that match)."""
    digit_last = f"right({text}, 1) BETWEEN '0' AND '9'"
    part = {
        "n": f"CASE WHEN {digit_last} THEN {text} ELSE left({text}, length({text}) - 1) END",
        "s": f"CASE WHEN {digit_last} THEN '' ELSE right({text}, 1) END",
        "a": "''",
        "b": "''",
    }[key]
    return (
        f"CASE WHEN {fast or _fast_value_sql(text)} THEN {part}"
        f" ELSE ({_value_parts_sql(text)}).{key} END"
    )


def _value_class_sql(n: str, s: str, a: str) -> str:
    return (
        f"CASE WHEN {n} <> '' THEN CASE {s}"
        " WHEN '' THEN 'plain' WHEN '%' THEN 'percent' WHEN '倍' THEN 'multiple'"
        " WHEN 'x' THEN 'multiple' WHEN 'X' THEN 'multiple' ELSE 'scaled' END"
        f" WHEN {a} <> '' THEN 'ratio' END"
    )


def _value_sql(n: str, s: str, a: str, b: str, value_class: str) -> str:
    def number(part: str) -> str:
        return f"TRY_CAST(replace({part}, '_', '') AS DOUBLE)"

    scale = (
        f"CASE lower({s}) WHEN '万' THEN 1e4"
        " WHEN '亿' THEN 1e8 WHEN 'k' THEN 1e3 WHEN 'm' THEN 1e6 ELSE 1 END"
    )
    return (
        f"CASE {value_class} WHEN 'ratio' THEN {number(b)} / nullif({number(a)}, 0)"
        f" WHEN 'scaled' THEN {number(n)} * {scale} ELSE {number(n)} END"
    )


def _accepted_sql() -> str:
    whens = " ".join(
        f"WHEN '{unit}' THEN [{', '.join(repr(c) for c in classes)}]"
        for unit, classes in ACCEPTED.items()
    )
    return f"CASE unit {whens} END"


def _parse_rows(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """`ROWS`: every row read, with its measure, period and value parsed (NULL where not).

    A file has a few dozen distinct period labels: each is parsed, and matched to each cadence's
    period, once (`labels`), and the rows join that small table."""
    kind, start = period_kind_and_start_sql("parts")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ROWS} AS
        WITH typed AS (
          SELECT r."row", r.measure AS measure_text, trim(r.period) AS period_text,
                 r.value AS value_text, r.note, m.id AS measure, m.ord AS m_ord, m.unit,
                 coalesce(m.kind, '') AS cadence_kind, {_fast_value_sql("r.value")} AS v_fast
          FROM {RAW} r LEFT JOIN {MEASURES} m ON m.id = trim(r.measure)
        ), texts AS (
          SELECT period_text, {period_parts_sql("period_text")} AS parts
          FROM (SELECT DISTINCT trim(period) AS period_text FROM {RAW} WHERE period IS NOT NULL)
        ), parsed AS (
          SELECT period_text, {kind} AS p_kind, {start} AS p_start FROM texts
        ), labels AS (
          SELECT p.period_text, k.kind AS cadence_kind, p.p_kind, p.p_start,
                 {period_end_sql("p.p_kind", "p.p_start")} AS p_end,
                 {period_label_sql("p.p_kind", "p.p_start")} AS p_label,
                 cp.label AS period, cp.ord AS period_ord
          FROM parsed p
          CROSS JOIN (SELECT DISTINCT kind FROM {PERIODS} UNION ALL SELECT '') k
          LEFT JOIN {PERIODS} cp
            ON cp.kind = k.kind
           AND ((p.p_kind = cp.kind AND p.p_start = cp.start)
                OR (p.p_kind = 'day' AND p.p_start = cp."end"))
        ), matched AS (
          SELECT t.*, l.p_kind, l.p_start, l.p_end, l.p_label, l.period, l.period_ord,
                 {_value_part_sql("t.value_text", "n", "t.v_fast")} AS v_n,
                 {_value_part_sql("t.value_text", "s", "t.v_fast")} AS v_s,
                 {_value_part_sql("t.value_text", "a", "t.v_fast")} AS v_a,
                 {_value_part_sql("t.value_text", "b", "t.v_fast")} AS v_b
          FROM typed t
          LEFT JOIN labels l ON l.period_text = t.period_text AND l.cadence_kind = t.cadence_kind
        ), valued AS (
          SELECT *, {_value_class_sql("v_n", "v_s", "v_a")} AS v_class FROM matched
        ), numbered AS (
          SELECT *, {_value_sql("v_n", "v_s", "v_a", "v_b", "v_class")} AS v_number,
                 CAST(? AS DATE) AS plan_start, CAST(? AS DATE) AS plan_end
          FROM valued
        ), repeated AS (  -- (measure, period) given more than once: its first row
          SELECT m_ord, period_ord, min("row") AS first_row FROM numbered
          WHERE m_ord IS NOT NULL AND period_ord IS NOT NULL
          GROUP BY m_ord, period_ord HAVING count(*) > 1
        )
        SELECT n.*, r.first_row
        FROM numbered n
        LEFT JOIN repeated r ON r.m_ord = n.m_ord AND r.period_ord = n.period_ord
        """,
        [plan.start, plan.end],
    )


OUTSIDE = "p_kind IS NOT NULL AND (p_end < plan_start OR p_start > plan_end)"
ACTUAL_CHECKS = (
    Check("measure_empty", "measure", "coalesce(trim(measure_text), '') = ''", "measure_text"),
    Check(
        "measure_unknown",
        "measure",
        "coalesce(trim(measure_text), '') <> '' AND measure IS NULL",
        "measure_text",
    ),
    Check("period_bad", "period", "p_kind IS NULL", "period_text"),
    Check("period_outside", "period", OUTSIDE, "period_text"),
    Check(
        "period_granularity",
        "period",
        f"measure IS NOT NULL AND p_kind IS NOT NULL AND NOT ({OUTSIDE}) AND period IS NULL",
        "period_text",
        "measure",
    ),
    Check(
        "value_bad",
        "value",
        "v_class IS NULL OR v_number IS NULL OR NOT isfinite(v_number)",
        "value_text",
    ),
    Check(
        "value_unit",
        "value",
        f"measure IS NOT NULL AND v_class IS NOT NULL AND NOT list_contains({_accepted_sql()}, v_class)",
        "value_text",
        "measure || '|' || v_class",
    ),
    Check(
        "duplicate",
        "period",
        'period IS NOT NULL AND measure IS NOT NULL AND first_row < "row"',
        "period",
        "measure || '|' || first_row",
    ),
)


def load_actuals(con: duckdb.DuckDBPyConnection, path: Path | str, plan: Plan) -> int:
    """Read and check the actuals; create `review_actuals`. Returns the number of rows.

    Raises DataError (from engine/data.py) listing every problem; nothing is created then."""
    path = Path(path)
    register_plan(con, plan)
    read_raw(con, path, "actuals", ("measure", "period", "value"), ("note",), RAW)
    _parse_rows(con, plan)
    found, total = failures(con, ROWS, ACTUAL_CHECKS)
    measures = {m.id: m for m in plan.measures}
    raise_problems(path, found, total, lambda f: _describe(f, plan, measures), HELP)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ACTUALS} AS SELECT measure, m_ord, period, period_ord, "
        f'v_number AS value, note, "row" FROM {ROWS}'
    )
    con.execute(f"DROP TABLE IF EXISTS {ROWS}")
    con.execute(f"DROP TABLE IF EXISTS {RAW}")
    # fetchall: the result is read to its end, so the connection is free for con.sql()
    ((count,),) = con.execute(f"SELECT count(*) FROM {ACTUALS}").fetchall()
    return int(count)


def _named(m: PlanMeasure) -> str:
    return f"`{m.id}` ({m.label})"


def _describe(f: Failure, plan: Plan, measures: dict[str, PlanMeasure]) -> str:
    shown = quoted(f.shown)
    if f.check == "measure_empty":
        return "no measure given"
    if f.check == "measure_unknown":
        near = closest((f.shown or "").strip(), measures)
        hint = f"; did you mean `{near[0]}`?" if near else ""
        return f"unknown measure {shown}{hint}"
    if f.check == "period_bad":
        return f"{shown} is not a period: write 2026-Q4, 2026-03, 2026 or 2026-05-31"
    if f.check == "period_outside":
        return f"{shown} is outside the strategy period {plan.start} .. {plan.end}"
    if f.check == "period_granularity":
        m = measures[f.detail or ""]
        kind = CADENCE_KIND[m.cadence]
        return (
            f"{shown} is not a {kind}: {_named(m)} is reviewed {m.cadence}, so give one value "
            f"per {kind} (or the date of its last day)"
        )
    if f.check == "value_bad":
        return f"{shown} is not a number (e.g. 1200, 13%, 2.2亿, 1:1.2, 5x)"
    if f.check == "value_unit":
        measure_id, _, value_class = (f.detail or "").rpartition("|")
        m = measures[measure_id]
        return (
            f"{shown} is {CLASS_NAMES[value_class]} but {_named(m)} is measured as {UNIT_NAMES.get(m.unit, m.unit)}: "
            f"write it like {EXAMPLES[m.unit]}"
        )
    measure_id, _, first_row = (f.detail or "").rpartition("|")
    return f"{_named(measures[measure_id])} already has a value for {shown} in row {first_row}"
