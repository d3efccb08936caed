"""review.json: the review as versioned, deterministic JSON (schema: docs/review.schema.json).

Keys are sorted; lists keep plan order (measures, objectives, triggers, plays) and time order
(periods). Every float is rounded to `DECIMALS` places; NaN and ±Infinity become null, and -0.0
becomes 0.0, so the same review gives the same bytes on every machine.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from .result import (
    Finding,
    Forecast,
    GroupRate,
    MeasureReview,
    PeriodScore,
    PlayOutcome,
    ReviewResult,
    Rollup,
    TriggerReview,
)

FORMAT = "stratlang-review"
FORMAT_VERSION = 1
DECIMALS = 6

Json = dict[str, Any]


def number(value: float | int | None) -> float | int | None:
    """A number for JSON: rounded, finite or null. Integers (counts) stay integers."""
    if value is None:
        return None
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
        "periods": [_period(p) for p in r.periods],
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
    return {
        "id": p.play,
        "period": p.period,
        "treatment": _group(p.treatment),
        "control": _group(p.control),
        "lift": number(p.lift),
        "ci_low": number(p.ci_low),
        "ci_high": number(p.ci_high),
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
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
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


def review_json(result: ReviewResult) -> str:
    """review.json's text: UTF-8 as is (labels stay Chinese), keys sorted, a final newline."""
    return (
        json.dumps(
            review_document(result),
            ensure_ascii=False,
            sort_keys=True,
            indent=2,
            allow_nan=False,
        )
        + "\n"
    )
