"""The review's findings as diagnostics (REV801–REV804), placed on the declarations they concern.

The engine reports findings as data (`result.Finding`: a code, a message, the measure and the
period); here each is anchored at the target line (or the review trigger) it is about, so the
usual renderers (text, JSON, SARIF, GitHub annotations) and `--fail-on` handle them like any
other diagnostic.
"""

from __future__ import annotations

from .. import diagnostics as dg
from ..model import Model, Review, Target
from ..source import Span
from ..syntax import ast
from ..words import format_goal, format_value
from .result import TRIGGER_FIRED, Finding, MeasureReview, ReviewResult


def review_diagnostics(result: ReviewResult, model: Model) -> list[dg.Diagnostic]:
    """Every finding of `result` as a diagnostic, sorted by position like the checker's."""
    measures = {r.measure.id: r for r in result.measures}
    # numbers as the project writes them (万/亿 in a Chinese strategy); the messages are English
    lang = "zh" if model.strategy.locale.startswith("zh") else "en"
    out = dg.Diagnostics()
    for f in result.findings:
        span = _span_of(f, model)
        if span is None:  # a plan not built from this model: nothing to point at
            continue
        review = measures.get(f.measure or "")
        notes = _notes(f, review, lang) or _action(f, model)
        out.add(dg.make(f.code, f.message, span, _label(f), notes=notes))
    return out.sorted()


def _span_of(f: Finding, model: Model) -> Span | None:
    """The target line of the finding's measure (`OWNER.TARGET`), or the owner's declaration."""
    if f.code == TRIGGER_FIRED and f.trigger is not None:
        trigger = model.reviews.get(f.trigger)
        if trigger is not None:
            when = _when(trigger)  # the condition that held, else the whole review
            if when is not None:
                return when
            if trigger.span is not None:
                return trigger.span
    owner_id, _, target_id = (f.measure or "").partition(".")
    owner = model.objectives.get(owner_id) or model.plays.get(owner_id)
    if owner is None:
        return None
    for t in owner.targets:
        if t.id == target_id and t.span is not None:
            return _head(t)
    for measure in owner.measures:
        if measure.id == target_id and measure.span is not None:
            return measure.span
    return owner.span


def _head(t: Target) -> Span | None:
    """A target line without its `{ milestones and settings }`: the finding is about the goal."""
    node = t.node
    if node is None or node.body is None:
        return t.span
    last = (node.baseline or node.by or node.high or node.value).span
    s = node.span
    return Span(s.file, s.start, last.end, s.line, s.column, last.end_line, last.end_column)


def _when(review: Review) -> Span | None:
    for item in review.node.items if review.node is not None else ():
        if isinstance(item, ast.Attribute) and item.name.name == "when":
            return item.span
    return None


def _label(f: Finding) -> str:
    return f"in {f.period}" if f.period else ""


def _action(f: Finding, model: Model) -> tuple[str, ...]:
    """A fired review's action and who takes it."""
    trigger = model.reviews.get(f.trigger or "") if f.code == TRIGGER_FIRED else None
    if trigger is None or trigger.action is None:
        return ()
    return (f"action: {trigger.action}" + (f" ({trigger.owner})" if trigger.owner else ""),)


def _notes(f: Finding, review: MeasureReview | None, lang: str) -> tuple[str, ...]:
    """The numbers behind a status: actual, goal, shortfall and tolerance of the period."""
    if review is None or f.code == TRIGGER_FIRED:
        return ()
    period = next((p for p in review.periods if p.period == f.period), None)
    if period is None or period.actual is None or period.goal is None:
        return ()
    unit = review.measure.unit
    goal = format_goal(period.goal, period.goal_high, unit, lang)
    text = f"actual {format_value(period.actual, unit, lang)} against a goal of {goal}"
    if period.shortfall is not None:
        tolerance = f"{review.measure.tolerance:.0%}"
        text += f": {period.shortfall:.1%} short, " + (
            f"more than the {tolerance} tolerance"
            if period.status == "red"
            else f"within the {tolerance} tolerance"
        )
    return (text,)
