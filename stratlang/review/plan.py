"""The plan the review scores: flat, frozen data, independent of the language.

`plan_from_model` is the one place that reads a `stratlang.model.Model`. Fields the language does
not have yet (milestones, cadence, tolerance, weight, range highs, review triggers) are read with
`getattr` defaults, so switching to the real fields later touches this one function.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import StratlangError
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


def plan_from_model(model: Any) -> Plan:
    """The plan of today's `stratlang.model.Model`: every target of the objectives and plays.

    Units: a percent target is `percent`, a target with a `unit` attribute keeps it, anything else
    is `number` (the model does not tell money from counts yet: both accept 万/亿/k/m)."""
    if model.strategy.period is None:
        raise PlanError(
            "the strategy has no period, so there is nothing to review against",
            help="declare `period 2026-01-01 .. 2026-12-31` in the strategy",
        )
    start, end = model.strategy.period
    measures: list[PlanMeasure] = []
    owners = [(o, o.id, None) for o in model.objectives.values()]
    owners += [(p, None, p.id) for p in model.plays.values()]
    for owner, objective, play in owners:
        for t in owner.targets:
            value = t.value.value if t.value is not None else None
            high = getattr(t, "high", None)
            baseline = t.baseline.value if t.baseline is not None else None
            measures.append(
                PlanMeasure(
                    id=f"{owner.id}.{t.id}",
                    label=t.label,
                    unit=getattr(t, "unit", None) or _unit(t.value),
                    op=t.op,
                    value=None if value is None else float(value),
                    high=None if high is None else float(getattr(high, "value", high)),
                    deadline=t.by,
                    baseline=None if baseline is None else float(baseline),
                    milestones=tuple(getattr(t, "milestones", ())),
                    cadence=getattr(t, "cadence", None) or "quarterly",
                    tolerance=getattr(t, "tolerance", None) or DEFAULT_TOLERANCE,
                    weight=getattr(t, "weight", None) or 1.0,
                    objective=objective,
                    play=play,
                    perspective=getattr(owner, "perspective", None),
                    theme=getattr(owner, "theme", None),
                    owner=owner.owner,
                )
            )
    return Plan(
        start,
        end,
        tuple(measures),
        tuple(getattr(model, "triggers", ())),
        tuple(model.plays),
    )


def _unit(quantity: Any) -> str:
    return "percent" if getattr(quantity, "unit", None) == "percent" else "number"
