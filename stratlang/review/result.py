"""What a review finds: plain immutable data, read by the report (and later the diagnostics).

A review of 10,000 measures has hundreds of thousands of scored periods. They stay columnar (a
`PeriodTable`: the pyarrow table DuckDB scored them into) until a consumer reads one measure's
`periods`; then that measure's rows become `PeriodScore` NamedTuples (a tuple is built far
faster than a frozen dataclass). review.json writes the columns without building any row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from .plan import Plan, PlanMeasure
from .stats import ALPHA

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


class PeriodTable:
    """Every scored period of a review as columns: a pyarrow Table ordered by measure, then
    period, with the measure's plan index `m_ord`, the period's index `p_ord` and the fields of
    `PeriodScore` (docs/review.md)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def scores(self, first: int, count: int) -> tuple[PeriodScore, ...]:
        """Rows `first` .. `first + count` as PeriodScores."""
        part = self.table.slice(first, count)
        columns = [part.column(name).to_pylist() for name in PeriodScore._fields]
        return tuple(map(PeriodScore._make, zip(*columns, strict=True)))


@dataclass(frozen=True, eq=False)
class PeriodRows:
    """Where one measure's scored periods are: rows `first` .. `first + count` of a review's
    `PeriodTable` (`m_ord` names the measure there), or, without a table, the PeriodScores."""

    table: PeriodTable | None
    m_ord: int = -1
    first: int = 0
    count: int = 0
    given: tuple[PeriodScore, ...] = ()

    @staticmethod
    def of(scores: Sequence[PeriodScore]) -> PeriodRows:
        return PeriodRows(None, count=len(scores), given=tuple(scores))

    def scores(self) -> tuple[PeriodScore, ...]:
        if self.table is None:
            return self.given
        return self.table.scores(self.first, self.count)


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
    rows: PeriodRows = field(repr=False, compare=False)  # its scored periods, not yet built
    status: str  # the latest period with an actual; none without one
    latest: str | None  # that period's label
    attainment: float | None
    change: float | None
    gap: float | None  # latest goal - latest actual (for between: to the nearest end)
    forecast: Forecast | None
    final_gap: float | None  # final target - forecast (between: to the nearest end)

    @cached_property
    def periods(self) -> tuple[PeriodScore, ...]:
        """Its scored periods in time order (built from the review's columns when first read)."""
        return self.rows.scores()


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
class VariantOutcome:
    """One arm of a play's A/B test in one period against the play's control (docs/review.md,
    "Variants and lift"): its rate, lift with a 95% Wald interval, relative lift, and the
    Holm-adjusted p-value of the pooled z-test against control."""

    variant: str
    label: str
    treatment: GroupRate | None  # None: the outcomes have no row for the arm in the period
    lift: float | None
    ci_low: float | None
    ci_high: float | None
    relative_lift: float | None  # lift / control rate
    p_value: float | None  # Holm-adjusted over every comparison of the play and period

    @property
    def significant(self) -> bool | None:
        """The lift over control is significant (adjusted p < 0.05); None without a test."""
        return None if self.p_value is None else self.p_value < ALPHA


@dataclass(frozen=True)
class Winner:
    """The arm that won a play's period, or (`variant` None) why none did. `reason` is the
    English sentence of review.json; `code`, `names`, `p_value`, `contacted`, `converted` say
    the same for a report in another language (`stats.Decision`)."""

    variant: str | None
    reason: str
    code: str
    names: tuple[str, ...] = ()
    p_value: float | None = None
    contacted: int | None = None
    converted: int | None = None


@dataclass(frozen=True)
class PlayOutcome:
    """Conversion of a play's treatment against its control, with a 95% Wald interval; for a
    play with variants (and an outcomes file with a `variant` column) each arm and the winner."""

    play: str
    period: str
    treatment: GroupRate | None
    control: GroupRate | None
    lift: float | None
    ci_low: float | None
    ci_high: float | None
    variants: tuple[VariantOutcome, ...] = ()  # declaration order; empty: no arms
    winner: Winner | None = None  # set when `variants` is


@dataclass(frozen=True)
class ProgrammeOutcome:
    """Every play's treatment rows against the holdout rows in one period (docs/review.md,
    "Programme against the holdout"): the unadjusted pooled z-test (one test per period)."""

    period: str
    treatment: GroupRate | None
    holdout: GroupRate | None
    lift: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    significant: bool | None  # p < 0.05; None without a test


@dataclass(frozen=True)
class ChannelUse:
    """A channel's contacts in one outcomes period against its capacity for that period
    (docs/review.md, "Contacts per channel"): the treatment rows' `contacted` through it."""

    channel: str
    label: str
    period: str
    contacts: int
    capacity: float | None  # for the period; None: unlimited (or no capacity declared)
    utilisation: float | None  # contacts / capacity; None without a capacity, or capacity 0
    over_capacity: bool = False  # contacts > capacity


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
    channels: tuple[ChannelUse, ...] = ()  # per period, then channel (empty: no channel column)
    programme: tuple[ProgrammeOutcome, ...] = ()  # per period (empty: no holdout rows)
