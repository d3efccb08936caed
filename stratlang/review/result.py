"""What a review finds: plain immutable data, read by the report (and later the diagnostics).

Period rows are NamedTuples: a review of 10,000 measures has hundreds of thousands of them, and a
tuple is built far faster than a frozen dataclass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from .plan import Plan, PlanMeasure

STATUSES = ("none", "green", "amber", "red")  # worst last

# Finding codes (registered in stratlang.diagnostics by its owner; listed in docs/review.md)
TARGET_RED = "REV801"
TARGET_AMBER = "REV802"
TRIGGER_FIRED = "REV803"
MISSING_ACTUAL = "REV804"


class PeriodScore(NamedTuple):
    period: str  # the cadence period's label
    start: dt.date
    end: dt.date
    actual: float | None
    goal: float | None  # the low end for between; None for a tracked measure
    goal_high: float | None  # between only
    status: str  # green | amber | red | none
    shortfall: float | None  # 0 when met; None when there is no actual, or the goal is 0
    attainment: float | None
    change: float | None  # against the previous period with an actual
    note: str | None


@dataclass(frozen=True)
class Forecast:
    """ "On current trend reaches `value` of `target` by `by`": least squares over `periods`."""

    value: float
    target: float | None
    target_high: float | None
    by: dt.date
    periods: int  # how many actuals the line is fitted to
    slope_per_day: float


@dataclass(frozen=True)
class MeasureReview:
    measure: PlanMeasure
    periods: tuple[PeriodScore, ...]
    status: str  # the latest period with an actual; none without one
    latest: str | None  # that period's label
    attainment: float | None
    change: float | None
    gap: float | None  # latest goal - latest actual (for between: to the nearest end)
    forecast: Forecast | None
    final_gap: float | None  # final target - forecast (between: to the nearest end)


@dataclass(frozen=True)
class Rollup:
    id: str  # an objective, a perspective or a theme id; "strategy" for the whole
    status: str
    score: float | None  # weighted mean attainment of the measures with an actual
    measures: int  # how many measures it covers
    scored: int  # how many of them have an actual


@dataclass(frozen=True)
class Evidence:
    period: str
    actual: float
    goal: float | None
    deviation: float | None


@dataclass(frozen=True)
class TriggerReview:
    id: str
    label: str
    measure: str
    fired: bool
    evidence: tuple[Evidence, ...]
    action: str | None
    owner: str | None


@dataclass(frozen=True)
class GroupRate:
    contacted: int
    converted: int
    rate: float | None


@dataclass(frozen=True)
class PlayOutcome:
    """Conversion of a play's treatment against its control, with a 95% Wald interval."""

    play: str
    period: str
    treatment: GroupRate | None
    control: GroupRate | None
    lift: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # warning | note
    message: str
    measure: str | None
    period: str | None
    trigger: str | None = None  # the review trigger's id, for REV803


@dataclass(frozen=True)
class ReviewResult:
    as_of: dt.date
    plan: Plan
    measures: tuple[MeasureReview, ...]
    objectives: tuple[Rollup, ...]
    perspectives: tuple[Rollup, ...]
    themes: tuple[Rollup, ...]
    strategy: Rollup
    triggers: tuple[TriggerReview, ...]
    plays: tuple[PlayOutcome, ...]
    findings: tuple[Finding, ...]
