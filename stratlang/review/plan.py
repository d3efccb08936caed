"""The plan the review scores: flat, frozen data, independent of the language.

`plan_from_model` is the one place that reads a `stratlang.model.Model`: every target and tracked
measure of the objectives and plays (milestones, range highs, cadence with the strategy's default,
tolerance, weight) and every `review` as a trigger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import NamedTuple

from ..errors import StratlangError
from ..model import Model, Objective, Play, Review, Target
from .periods import CADENCES

UNITS = ("percent", "money", "number", "ratio", "multiple")
OPS = (">=", ">", "<=", "<", "between")
TRIGGER_KINDS = ("deviation", "threshold")
DEFAULT_TOLERANCE = 0.10


class PlanError(StratlangError):
    """The plan itself is inconsistent (a trigger on an unknown measure, a bad cadence, …)."""


class Milestone(NamedTuple):
    """The goal for one period: `(period_label, op, value)`, with `high` for a `between` range."""

    period: str
    op: str
    value: float
    high: float | None = None


@dataclass(frozen=True)
class PlanMeasure:
    id: str  # "OBJECTIVE.TARGET", "PLAY.TARGET" or a measure id
    label: str
    unit: str  # percent | money | number | ratio | multiple
    op: str | None  # >= > <= < between; None: tracked, no goal
    value: float | None = None  # the target (the low end for between)
    high: float | None = None  # the high end for between
    deadline: dt.date | None = None  # None: the strategy's end
    baseline: float | None = None
    milestones: tuple[Milestone, ...] = ()
    cadence: str = "quarterly"  # monthly | quarterly | yearly
    tolerance: float = DEFAULT_TOLERANCE
    weight: float = 1.0
    objective: str | None = None
    play: str | None = None
    perspective: str | None = None
    theme: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class PlanTrigger:
    id: str
    label: str
    measure: str
    kind: str  # deviation | threshold
    op: str | None  # threshold: >= > <= <; deviation: unused
    value: float  # deviation: the relative deviation (0.15 = 15%); threshold: the value
    periods: int = 1  # how many consecutive scored periods
    action: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Plan:
    start: dt.date
    end: dt.date
    measures: tuple[PlanMeasure, ...]
    triggers: tuple[PlanTrigger, ...] = ()
    plays: tuple[str, ...] = ()  # every play (outcomes may name a play without targets)

    def __post_init__(self) -> None:
        validate(self)

    def measure(self, measure_id: str) -> PlanMeasure | None:
        return next((m for m in self.measures if m.id == measure_id), None)


def validate(plan: Plan) -> None:
    """Refuse a plan the engine cannot score; every problem at once."""
    problems: list[str] = []
    if plan.end < plan.start:
        problems.append(f"the strategy period ends ({plan.end}) before it starts ({plan.start})")
    seen: set[str] = set()
    for m in plan.measures:
        problems += _measure_problems(m, seen)
        seen.add(m.id)
    for t in plan.triggers:
        if t.measure not in seen:
            problems.append(f"trigger `{t.id}`: unknown measure `{t.measure}`")
        if t.kind not in TRIGGER_KINDS:
            problems.append(f"trigger `{t.id}`: kind `{t.kind}` is not deviation or threshold")
        if t.kind == "threshold" and t.op not in OPS[:4]:
            problems.append(f"trigger `{t.id}`: a threshold needs a comparator (>=, >, <=, <)")
        if t.periods < 1:
            problems.append(f"trigger `{t.id}`: periods must be at least 1")
    if problems:
        raise PlanError(
            problems[0] if len(problems) == 1 else f"{len(problems)} problems in the plan",
            help="; ".join(problems[1:]) or None,
        )


def _measure_problems(m: PlanMeasure, seen: set[str]) -> list[str]:
    problems = []
    if m.id in seen:
        problems.append(f"measure `{m.id}` is declared twice")
    if m.unit not in UNITS:
        problems.append(f"measure `{m.id}`: unit `{m.unit}` is not one of {', '.join(UNITS)}")
    if m.cadence not in CADENCES:
        problems.append(f"measure `{m.id}`: cadence `{m.cadence}` is not one of {CADENCES}")
    if m.op is not None and m.op not in OPS:
        problems.append(f"measure `{m.id}`: comparator `{m.op}` is not one of {', '.join(OPS)}")
    if m.op is not None and m.value is None:
        problems.append(f"measure `{m.id}`: a comparator needs a value")
    if m.op == "between" and (m.high is None or m.value is None or m.high < m.value):
        problems.append(f"measure `{m.id}`: `between` needs a low value and a high value >= it")
    if m.tolerance < 0 or m.weight < 0:
        problems.append(f"measure `{m.id}`: tolerance and weight cannot be negative")
    return problems


def plan_from_model(model: Model) -> Plan:
    """The plan of a checked `stratlang.model.Model`: every target and tracked measure of the
    objectives and plays, in declaration order, and every review trigger.

    Units: the model does not tell money from counts (both accept 万/亿/k/m), so a plain number
    is `number`; percent, ratio and multiple keep their unit. A tracked measure takes the unit of
    a threshold review on it, else `number`."""
    if model.strategy.period is None:
        raise PlanError(
            "the strategy has no period, so there is nothing to review against",
            help="declare `period 2026-01-01 .. 2026-12-31` in the strategy",
        )
    start, end = model.strategy.period
    measures: list[PlanMeasure] = []
    owners: list[tuple[Objective | Play, str | None, str | None]] = [
        (o, o.id, None) for o in model.objectives.values()
    ]
    owners += [(p, None, p.id) for p in model.plays.values()]
    # a tracked measure has no value to take a unit from: a threshold review on it gives one
    tracked_units = {
        r.measure: r.value.unit for r in model.reviews.values() if r.kind == "threshold"
    }
    for owner, objective, play in owners:
        # where its measures sit: the template every measure of this owner is made from
        where = PlanMeasure(
            id="",
            label="",
            unit="number",
            op=None,
            objective=objective,
            play=play,
            perspective=owner.perspective if isinstance(owner, Objective) else None,
            theme=owner.theme if isinstance(owner, Objective) else None,
            owner=owner.owner,
        )
        for t in owner.targets:
            measures.append(_target_measure(model, f"{owner.id}.{t.id}", t, where))
        for ms in owner.measures:  # tracked: actuals, no goal
            mid = f"{owner.id}.{ms.id}"
            measures.append(
                replace(
                    where,
                    id=mid,
                    label=ms.label,
                    unit=tracked_units.get(mid, "number"),
                    cadence=model.cadence_of(ms),
                    weight=ms.weight,
                )
            )
    return Plan(
        start,
        end,
        tuple(measures),
        tuple(_trigger(r) for r in model.reviews.values()),
        tuple(model.plays),
    )


def _target_measure(model: Model, measure_id: str, t: Target, where: PlanMeasure) -> PlanMeasure:
    # `= V` is scored as the one-point range `between V and V` (met only exactly at V; a miss is
    # measured from V like any range's nearest end)
    exact = t.op == "="
    return replace(
        where,
        id=measure_id,
        label=t.label,
        unit=t.value.unit,
        op="between" if exact else t.op,
        value=float(t.value.value),
        high=float(t.value.value) if exact else None if t.high is None else float(t.high.value),
        deadline=t.by,
        baseline=None if t.baseline is None else float(t.baseline.value),
        milestones=tuple(
            Milestone(
                ms.period,
                "between" if ms.op == "=" else ms.op,
                float(ms.value.value),
                float(ms.value.value)
                if ms.op == "="
                else None
                if ms.high is None
                else float(ms.high.value),
            )
            for ms in t.milestones
        ),
        cadence=model.cadence_of(t),
        tolerance=DEFAULT_TOLERANCE if t.tolerance is None else t.tolerance,
        weight=t.weight,
    )


def _trigger(r: Review) -> PlanTrigger:
    """A review as the engine's trigger: a deviation of 15% is 0.15; a threshold keeps its value
    in the measure's unit. `for N UNIT` counts the measure's own periods (the checker makes sure
    the unit is its cadence's)."""
    value = r.value.value / 100 if r.kind == "deviation" else r.value.value
    return PlanTrigger(
        id=r.id,
        label=r.label,
        measure=r.measure,
        kind=r.kind,
        op=r.op,
        value=float(value),
        periods=r.count,
        action=r.action,
        owner=r.owner,
    )
