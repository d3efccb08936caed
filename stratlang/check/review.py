"""Checks of what the review reads (family REV): milestones against their target and the
strategy, review conditions against their measure, opportunity gaps against what closes them.

- TYP305 a milestone's period outside the strategy period, after the target's deadline, or not a
  period of the target's cadence (the review scores one goal per cadence period).
- TYP304 a milestone, or a threshold review's value, in another unit than the target's; a review's
  `for N UNIT` counting other periods than its measure's cadence.
- TYP302 `deviates` on a tracked measure (it has no goal to deviate from).
- MAP411 (warning) a milestone whose comparator points the other way than the target's, or whose
  goal lies beyond the final target or behind the baseline.
- MAP412 (warning) a gap with no initiative whose objectives no play or initiative supports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from .. import diagnostics as dg
from ..model import Gap, Measure, Milestone, Model, Objective, Play, Review, Target
from ..syntax import ast
from .registry import Context, check
from .resolve_measures import UNIT_CADENCE, article_unit
from .util import attr, id_span

# The granularity of a cadence's periods.
CADENCE_GRANULARITY = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}
UP, DOWN = (">=", ">"), ("<=", "<")


def _direction(op: str) -> str:
    return "up" if op in UP else "down" if op in DOWN else op


def _owned_targets(model: Model) -> Iterator[tuple[str, Target]]:
    owners: list[Objective | Play] = [*model.objectives.values(), *model.plays.values()]
    for owner in owners:
        for t in owner.targets:
            yield owner.id, t


def _cadence_end(cadence: str, day: dt.date) -> bool:
    """Whether `day` is the last day of a period of the cadence."""
    nxt = day + dt.timedelta(days=1)
    if cadence == "monthly":
        return nxt.day == 1
    if cadence == "quarterly":
        return nxt.day == 1 and nxt.month in (1, 4, 7, 10)
    return nxt.day == 1 and nxt.month == 1


# --------------------------------------------------------------------------- milestones


@check("REV")
def milestones(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    period = model.strategy.period
    for owner, t in _owned_targets(model):
        cadence = model.cadence_of(t)
        for ms in t.milestones:
            span = ms.node.period.span if ms.node is not None else ms.span
            if span is None or ms.start is None or ms.end is None:
                continue
            if period is not None and (ms.end < period[0] or ms.start > period[1]):
                yield dg.make(
                    "TYP305",
                    f"milestone {ms.period} of `{owner}.{t.id}` lies outside the strategy period "
                    f"{period[0]} .. {period[1]}",
                    span,
                    "outside the strategy",
                    help="give milestones for periods inside the strategy's `period`",
                )
                continue
            if t.by is not None and ms.start > t.by:
                yield dg.make(
                    "TYP305",
                    f"milestone {ms.period} of `{owner}.{t.id}` comes after the target's "
                    f"deadline {t.by}",
                    span,
                    "after the deadline",
                    help="a milestone is an interim goal: give it for a period before the deadline, "
                    "or move the deadline",
                )
                continue
            gran = CADENCE_GRANULARITY[cadence]
            if ms.granularity != gran and not (
                ms.granularity == "day" and _cadence_end(cadence, ms.start)
            ):
                yield dg.make(
                    "TYP305",
                    f"milestone {ms.period} of `{owner}.{t.id}` is not a {gran}: the target is "
                    f"reviewed {cadence}",
                    span,
                    f"not a {gran}",
                    help=f"give the milestone for a {gran} (or the date of a {gran}'s last day), "
                    "or set the target's `cadence`",
                )
                continue
            yield from _unit(owner, t, ms)
            yield from _contradicts(owner, t, ms)


def _unit(owner: str, t: Target, ms: Milestone) -> Iterator[dg.Diagnostic]:
    if ms.value.unit != t.value.unit and ms.span is not None:
        node = ms.node
        yield dg.make(
            "TYP304",
            f"milestone {ms.period} of `{owner}.{t.id}` is {article_unit(ms.value.unit)} "
            f"(`{ms.value.raw}`), but the target is {article_unit(t.value.unit)} (`{t.value.raw}`)",
            node.value.span if node is not None else ms.span,
            f"{ms.value.unit}, not {t.value.unit}",
            labels=(dg.Label(t.node.value.span, "the target's value"),) if t.node else (),
            help="write the milestone in the target's unit",
        )


def _contradicts(owner: str, t: Target, ms: Milestone) -> Iterator[dg.Diagnostic]:
    if ms.value.unit != t.value.unit or ms.span is None:
        return
    name = f"`{owner}.{t.id}`"
    labels = (dg.Label(t.node.id.span, "the target"),) if t.node is not None else ()
    if _direction(ms.op) != _direction(t.op):
        yield dg.make(
            "MAP411",
            f"milestone {ms.period} of {name} reads `{ms.op}`, the target `{t.op}`",
            ms.span,
            "comparator differs from the target's",
            labels=labels,
            help=f"write the milestone with the target's comparator: `{ms.period} {t.op} …`",
        )
        return
    if t.op not in UP + DOWN:
        return
    sign = 1 if t.op in UP else -1
    goal, final = ms.value.value, t.value.value
    if (goal - final) * sign > 0:
        yield dg.make(
            "MAP411",
            f"milestone {ms.period} of {name} asks for {ms.value.raw}, beyond the final target "
            f"{t.value.raw}",
            ms.span,
            "beyond the final target",
            labels=labels,
            help="an interim goal lies between the baseline and the target: lower the milestone "
            "or raise the target",
        )
    elif t.baseline is not None and (goal - t.baseline.value) * sign < 0:
        yield dg.make(
            "MAP411",
            f"milestone {ms.period} of {name} asks for {ms.value.raw}, behind the baseline "
            f"{t.baseline.raw}: it moves away from the target {t.value.raw}",
            ms.span,
            "the wrong way from the baseline",
            labels=labels,
            help="an interim goal lies between the baseline and the target",
        )


# --------------------------------------------------------------------------- reviews


@check("REV")
def reviews(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    for r in model.reviews.values():
        measure = model.measure(r.measure)
        if measure is None or r.node is None:
            continue
        yield from _review(model, r, measure)


def _when(r: Review) -> ast.Trigger | None:
    when = attr(r.node, "when")
    return when.value if when is not None and isinstance(when.value, ast.Trigger) else None


def _review(model: Model, r: Review, measure: Target | Measure) -> Iterator[dg.Diagnostic]:
    t = _when(r)
    if t is None or t.value is None or r.span is None:
        return
    value_span = t.value.span
    unit_span = t.unit.span if t.unit is not None else t.span
    label = (dg.Label(measure.span, "the measure"),) if measure.span is not None else ()
    if isinstance(measure, Measure) and r.kind == "deviation":
        yield dg.make(
            "TYP302",
            f"`{r.measure}` is a measure without a goal: it cannot deviate from one",
            value_span,
            "no goal to deviate from",
            labels=label,
            help=f"make it a target with a value, or compare it with a value: "
            f"`when {r.measure} < VALUE`",
        )
    if isinstance(measure, Target) and r.kind == "threshold" and r.value.unit != measure.unit:
        yield dg.make(
            "TYP304",
            f"review `{r.id}` compares `{r.measure}` with {article_unit(r.value.unit)} "
            f"(`{r.value.raw}`), but it is measured as {article_unit(measure.unit)} "
            f"(`{measure.value.raw}`)",
            value_span,
            f"{r.value.unit}, not {measure.unit}",
            labels=label,
            help="write the value in the measure's unit",
        )
    cadence = model.cadence_of(measure)
    wanted = UNIT_CADENCE.get(r.unit)
    if wanted is not None and wanted != cadence:
        per = {"monthly": "months", "quarterly": "quarters", "yearly": "years"}[cadence]
        yield dg.make(
            "TYP304",
            f"`for {r.count} {r.unit}` counts {r.unit}, but `{r.measure}` is reviewed {cadence}",
            unit_span,
            f"{r.unit}, not {per}",
            labels=label,
            help=f"count in the measure's periods: `for N {per}` (or `for N periods`), or give "
            f"the measure `cadence {wanted}`",
        )


# --------------------------------------------------------------------------- gaps


@check("REV")
def gaps(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    for g in model.gaps.values():
        if g.span is None or g.initiatives or not g.objectives:
            continue
        if any(model.supporters(o) for o in g.objectives):
            continue
        yield _unclosed(g)


def _unclosed(g: Gap) -> dg.Diagnostic:
    objs = ", ".join(f"`{o}`" for o in g.objectives)
    return dg.make(
        "MAP412",
        f"gap `{g.id}` has no initiative, and no play or initiative supports its objectives ({objs})",
        id_span(g),
        "nothing closes this gap",
        help=f"add `initiatives …` to the gap, or `supports {g.objectives[0]}` to a play or "
        "initiative",
    )
