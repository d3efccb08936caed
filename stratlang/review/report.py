"""review.json: the review as versioned, deterministic JSON (schema: stratlang/schemas/review-1.json,
named by its `$schema`, with the version of stratlang that wrote it).

Compact (no indentation), keys sorted; lists keep plan order (measures, objectives, triggers,
plays) and time order (periods). `channels` (contacts per channel against capacity) is written
only when the review has any (the outcomes file has a `channel` column), a play's `variants`,
`winner` and `winner_reason` only for a play whose outcomes name arms (a `variant` column), and
`programme` only when the outcomes have holdout rows, so the review of a file without them is
unchanged. Every float is rounded to `DECIMALS` places as Python's `round`
does; NaN and ±Infinity become null, and -0.0 becomes 0.0, so the same review gives the same bytes
on every machine.

The periods (hundreds of thousands in a large review) are written by DuckDB from the review's
columns (`result.PeriodTable`), with the same rounding (exact: `ROUND_SQL`), the same number
text (DuckDB's DOUBLE to VARCHAR is Python's float repr) and the same string escapes as
`json.dumps`; the rest of the document is `json.dumps` of Python data, into which each
measure's period list is spliced.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import duckdb

from .. import __version__
from ..schemas import schema_url
from .result import (
    ChannelUse,
    Finding,
    Forecast,
    GroupRate,
    MeasureReview,
    PeriodScore,
    PeriodTable,
    PlayOutcome,
    ProgrammeOutcome,
    ReviewResult,
    Rollup,
    TriggerReview,
    VariantOutcome,
)

FORMAT = "stratlang-review"
FORMAT_VERSION = 1
DECIMALS = 6

Json = dict[str, Any]


def number(value: float | int | None) -> float | int | None:
    """A number for JSON: rounded, finite or null. Integers (counts) stay integers."""
    if value is None:
        return None
    if type(value) is float:  # the common case first: a review has a number in every field
        return round(value, DECIMALS) + 0.0 if math.isfinite(value) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not math.isfinite(value):
        return None
    return round(float(value), DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _period(p: PeriodScore) -> Json:
    return {
        "period": p.period,
        "start": _date(p.start),
        "end": _date(p.end),
        "actual": number(p.actual),
        "goal": number(p.goal),
        "goal_high": number(p.goal_high),
        "status": p.status,
        "shortfall": number(p.shortfall),
        "attainment": number(p.attainment),
        "change": number(p.change),
        "note": p.note,
    }


def _forecast(f: Forecast | None) -> Json | None:
    if f is None:
        return None
    return {
        "value": number(f.value),
        "target": number(f.target),
        "target_high": number(f.target_high),
        "by": _date(f.by),
        "periods": f.periods,
    }


def _measure(r: MeasureReview) -> Json:
    m = r.measure
    return {
        "id": m.id,
        "label": m.label,
        "unit": m.unit,
        "op": m.op,
        "target": number(m.value),
        "target_high": number(m.high),
        "baseline": number(m.baseline),
        "deadline": _date(m.deadline),
        "cadence": m.cadence,
        "tolerance": number(m.tolerance),
        "weight": number(m.weight),
        "objective": m.objective,
        "play": m.play,
        "status": r.status,
        "latest": r.latest,
        "attainment": number(r.attainment),
        "gap": number(r.gap),
        "periods": [],  # spliced in by review_json
        "trend": {
            "change": number(r.change),
            "slope_per_day": number(r.forecast.slope_per_day) if r.forecast else None,
        },
        "forecast": _forecast(r.forecast),
        "final_gap": number(r.final_gap),
    }


def _rollup(r: Rollup) -> Json:
    return {
        "id": r.id,
        "status": r.status,
        "score": number(r.score),
        "measures": r.measures,
        "scored": r.scored,
    }


def _trigger(t: TriggerReview) -> Json:
    return {
        "id": t.id,
        "label": t.label,
        "measure": t.measure,
        "fired": t.fired,
        "action": t.action,
        "owner": t.owner,
        "evidence": [
            {
                "period": e.period,
                "actual": number(e.actual),
                "goal": number(e.goal),
                "deviation": number(e.deviation),
            }
            for e in t.evidence
        ],
    }


def _group(g: GroupRate | None) -> Json | None:
    if g is None:
        return None
    return {"contacted": g.contacted, "converted": g.converted, "rate": number(g.rate)}


def _play(p: PlayOutcome) -> Json:
    play: Json = {
        "id": p.play,
        "period": p.period,
        "treatment": _group(p.treatment),
        "control": _group(p.control),
        "lift": number(p.lift),
        "ci_low": number(p.ci_low),
        "ci_high": number(p.ci_high),
    }
    if p.variants and p.winner is not None:
        play["variants"] = [_variant(v) for v in p.variants]
        w = p.winner
        play["winner"] = None if w.variant is None else {"variant": w.variant, "reason": w.reason}
        play["winner_reason"] = w.reason
    return play


def _variant(v: VariantOutcome) -> Json:
    return {
        "variant": v.variant,
        "label": v.label,
        "treatment": _group(v.treatment),
        "lift": number(v.lift),
        "ci_low": number(v.ci_low),
        "ci_high": number(v.ci_high),
        "relative_lift": number(v.relative_lift),
        "p_value": number(v.p_value),
    }


def _programme(p: ProgrammeOutcome) -> Json:
    return {
        "period": p.period,
        "treatment": _group(p.treatment),
        "holdout": _group(p.holdout),
        "lift": number(p.lift),
        "ci_low": number(p.ci_low),
        "ci_high": number(p.ci_high),
        "p_value": number(p.p_value),
        "significant": p.significant,
    }


def _channel(c: ChannelUse) -> Json:
    return {
        "channel": c.channel,
        "label": c.label,
        "period": c.period,
        "contacts": c.contacts,
        "capacity": number(c.capacity),
        "utilisation": number(c.utilisation),
        "over_capacity": c.over_capacity,
    }


def _finding(f: Finding) -> Json:
    return {
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "measure": f.measure,
        "period": f.period,
    }


def review_document(result: ReviewResult) -> Json:
    """The review as JSON-ready data (what `review_json` writes)."""
    document: Json = {
        "$schema": schema_url("review"),
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "stratlang_version": __version__,
        "as_of": _date(result.as_of),
        "strategy_period": {"start": _date(result.plan.start), "end": _date(result.plan.end)},
        "measures": [_measure(r) for r in result.measures],
        "objectives": [_rollup(r) for r in result.objectives],
        "perspectives": [_rollup(r) for r in result.perspectives],
        "themes": [_rollup(r) for r in result.themes],
        "strategy": _rollup(result.strategy),
        "triggers": [_trigger(t) for t in result.triggers],
        "plays": [_play(p) for p in result.plays],
        "findings": [_finding(f) for f in result.findings],
    }
    if result.channels:
        document["channels"] = [_channel(c) for c in result.channels]
    if result.programme:
        document["programme"] = [_programme(p) for p in result.programme]
    return document


def review_json(result: ReviewResult) -> str:
    """review.json's text: compact, UTF-8 as is (labels stay Chinese), keys sorted, a final
    newline."""
    text = _dumps(review_document(result))
    # each measure's `"periods":[]` (the key is ours and a string's quotes are escaped, so the
    # text occurs once per measure and nowhere else), in order, gets its periods
    parts = text.split(PLACEHOLDER)
    assert len(parts) == len(result.measures) + 1
    periods = _periods_json(result.measures)
    out = [parts[0]]
    for listed, rest in zip(periods, parts[1:], strict=True):
        out += ['"periods":', listed, rest]
    out.append("\n")
    return "".join(out)


PLACEHOLDER = '"periods":[]'


def _dumps(value: Any) -> str:
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )


def _periods_json(measures: tuple[MeasureReview, ...]) -> list[str]:
    """Each measure's periods as a JSON list: by DuckDB from the review's PeriodTable, or (for
    periods given as PeriodScores) by `json.dumps`; the two give the same text."""
    tables = {id(r.rows.table): r.rows.table for r in measures if r.rows.table is not None}
    listed = {key: _table_periods_json(table) for key, table in tables.items()}
    return [
        _dumps([_period(p) for p in r.periods])
        if r.rows.table is None
        else listed[id(r.rows.table)].get(r.rows.m_ord, "[]")
        for r in measures
    ]


# Python's round(x, 6), exactly, in SQL, in steps (each one IEEE operation, each a column of
# its own so no expression is repeated): x * 10^6 is computed exactly as p + err (Dekker's product:
# x is split into two 26-bit halves by Veltkamp's method, and 10^6 has 14 significant bits), so
# the integer k nearest to it (half to even) is known exactly, and k / 10^6 is the double nearest
# to the decimal k × 10^-6, which is what round() returns. From 2^33 on, the doubles are more than
# 10^-6 apart and round(x, 6) is x (and the steps run on 0 instead, so nothing overflows).
_SMALL = "CAST(8589934592 AS DOUBLE)"  # 2^33
_MILLION = "CAST(1e6 AS DOUBLE)"
ROUND_STEPS = (
    ("s", f"CASE WHEN abs({{x}}) < {_SMALL} THEN {{x}} ELSE CAST(0 AS DOUBLE) END"),
    ("p", f"{{s}} * {_MILLION}"),
    ("t", "CAST(134217729 AS DOUBLE) * {s}"),  # 2^27 + 1
    ("hi", "{t} - ({t} - {s})"),
    ("err", f"(({{hi}} * {_MILLION}) - {{p}}) + (({{s}} - {{hi}}) * {_MILLION})"),
    ("k0", "floor({p})"),
    ("d", "(({p} - {k0}) - CAST(0.5 AS DOUBLE)) + {err}"),
    (
        "k",
        "{k0} + CASE WHEN {d} > 0 OR ({d} = 0 AND {k0} - 2 * floor({k0} / 2) <> 0) THEN 1 ELSE 0 END",
    ),
    ("r", f"CASE WHEN abs({{x}}) < {_SMALL} THEN {{k}} / {_MILLION} ELSE {{x}} END"),
    (
        "json",
        "CASE WHEN {x} IS NULL OR NOT isfinite({x}) THEN 'null'"
        " WHEN {r} = 0 THEN '0.0' ELSE CAST({r} AS VARCHAR) END",
    ),
)


def number_steps_sql(column: str) -> list[list[str]]:
    """SQL select items, one list per step, that end in `<column>__json`: the JSON text of the
    DOUBLE column as `number` and json.dumps write it. Each step reads the previous ones'."""
    names = {"x": f'"{column}"'} | {name: f'"{column}__{name}"' for name, _ in ROUND_STEPS}
    return [[f"{expr.format(**names)} AS {names[name]}"] for name, expr in ROUND_STEPS]


# json.dumps(ensure_ascii=False) escapes the backslash, the quote and the control characters
_ESCAPES = [("\\", "\\\\"), ('"', '\\"')] + [(chr(c), json.dumps(chr(c))[1:-1]) for c in range(32)]


def string_sql(x: str) -> str:
    """SQL: the JSON text of the VARCHAR `x` as json.dumps(ensure_ascii=False) writes it."""
    escaped = x
    for char, escape in _ESCAPES:
        escaped = f"replace({escaped}, chr({ord(char)}), '{escape}')"
    return (
        f"CASE WHEN {x} IS NULL THEN 'null'"
        rf""" WHEN regexp_matches({x}, '[\x00-\x1f"\\]') THEN '"' || {escaped} || '"'"""
        f""" ELSE '"' || {x} || '"' END"""
    )


def _plain_string_sql(x: str) -> str:
    """SQL: the JSON text of `x`, a text of ours that needs no escape (a label, a date)."""
    return f"""'"' || {x} || '"'"""


NUMBERS = ("actual", "goal", "goal_high", "shortfall", "attainment", "change")


def _table_periods_json(table: PeriodTable) -> dict[int, str]:
    """The JSON list of the periods of each measure (by `m_ord`) in the table, by one query."""
    members = {
        "period": _plain_string_sql('"period"'),
        "start": _plain_string_sql('CAST("start" AS VARCHAR)'),
        "end": _plain_string_sql('CAST("end" AS VARCHAR)'),
        "status": _plain_string_sql('"status"'),
        "note": string_sql('"note"'),
    } | {name: f'"{name}__json"' for name in NUMBERS}
    assert sorted(members) == sorted(PeriodScore._fields)
    parts = []
    for i, key in enumerate(sorted(members)):
        parts += [f"""'{"{" if i == 0 else ","}{json.dumps(key)}:'""", members[key]]
    query = "SELECT m_ord, p_ord, * FROM periods"
    for step in zip(*(number_steps_sql(name) for name in NUMBERS), strict=True):
        query = f"SELECT *, {', '.join(item for items in step for item in items)} FROM ({query})"
    query = (
        f"SELECT m_ord, '[' || string_agg(concat({', '.join(parts)}, '}}'), ',' ORDER BY p_ord)"
        f" || ']' FROM ({query}) GROUP BY m_ord"
    )
    con = duckdb.connect()
    try:
        con.register("periods", table.table)
        return dict(con.execute(query).fetchall())
    finally:
        con.close()
