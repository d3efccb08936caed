"""Resolution of what the review reads: target settings and milestones, tracked measures,
review conditions and opportunity gaps (docs/language.md §3.15, §3.16, §4.1, §4.6).

Functions of the `Resolver` (`r`), kept apart from `resolve.py` so that each stays readable:
they report through `r.err` and read values with `r.conv` and `r.quantity`, exactly as the other
declarations do. Checks across declarations (a milestone outside the strategy, a review's unit
against its measure's, a gap nothing closes) are in `check/review.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import diagnostics as dg
from .. import language
from .. import model as m
from ..syntax import ast
from .util import replace_with

if TYPE_CHECKING:
    from .resolve import AttrNode, Resolver


# `for N UNIT` in a review condition: the words accepted, each to the plural it is kept as.
FOR_UNITS = {
    "period": "periods",
    "periods": "periods",
    "month": "months",
    "months": "months",
    "quarter": "quarters",
    "quarters": "quarters",
    "year": "years",
    "years": "years",
}
# The cadence a `for` unit counts in (`periods`: whatever the measure's cadence is).
UNIT_CADENCE = {"months": "monthly", "quarters": "quarterly", "years": "yearly"}
THRESHOLD_OPS = (">=", ">", "<=", "<")
MILESTONE_OPS = (">=", ">", "<=", "<", "=", "between")
MEASURE_OWNERS = ("objective", "play")


# --------------------------------------------------------------------------- target lines


def line_settings(
    r: Resolver, items: Sequence[ast.LineItem], word: str
) -> tuple[dict[str, ast.Attribute], list[ast.MilestoneLine]]:
    """The attributes (`cadence`, `weight`, `tolerance`) and milestone lines of a target's or a
    measure's `{ … }`, with NAM204 for an unknown attribute (or a milestone on a measure) and
    NAM207 for one given twice."""
    spec = language.LINE_ATTRIBUTES[word]
    attrs: dict[str, ast.Attribute] = {}
    milestones: list[ast.MilestoneLine] = []
    for it in items:
        if isinstance(it, ast.MilestoneLine):
            if word == "measure":
                r.err(
                    "NAM204",
                    "a `measure` has no goal, so it takes no milestones",
                    it.span,
                    "milestone on a measure",
                    help='make it a target (`target ID "label" >= VALUE { … }`), or remove the line',
                )
                continue
            milestones.append(it)
            continue
        name = it.name.name
        if name not in spec:
            r.unknown_attribute(it.name, f"a {word}", list(spec))
            continue
        if name in attrs:
            r.given_twice(it.name, attrs[name].name)
            continue
        attrs[name] = it
    return attrs, milestones


def weight(r: Resolver, attr: AttrNode | None) -> float:
    w = r.conv(attr, "count")
    if w is None:
        return float(language.DEFAULT_WEIGHT)
    if w < 0 and isinstance(attr, ast.Attribute):
        r._unit_error(attr.value, "weight", "a weight of 0 or more")
        return float(language.DEFAULT_WEIGHT)
    return float(w)


def milestone(r: Resolver, line: ast.MilestoneLine) -> m.Milestone | None:
    p = line.period
    if isinstance(p, ast.Period):
        gran = "quarter" if p.quarter is not None else "month" if p.month is not None else "year"
        label, start, end = p.label, p.start, p.end
    elif isinstance(p, ast.Date):
        if p.quarter:  # a quarter read as its last day
            q = (p.value.month - 1) // 3 + 1
            per = ast.Period(p.span, p.value.year, q, None, p.raw)
            gran, label, start, end = "quarter", per.label, per.start, per.end
        else:
            gran, label, start, end = "day", p.value.isoformat(), p.value, p.value
    else:
        if not isinstance(p, ast.Invalid):
            r._type_error(p, "milestone", "a period: `2026`, `2026Q4`, `2026-03` or `2026-06-30`")
        return None
    if line.op not in MILESTONE_OPS:
        r.err(
            "TYP302",
            f"a milestone compares with >=, >, <=, <, = or `between`, not `{line.op}`",
            line.span,
            "not a goal",
        )
        return None
    value = r.quantity(line.value)
    high = r.quantity(line.high) if line.high is not None else None
    if value is None or (line.high is not None and high is None):
        return None
    if not range_ok(r, value, high, line.value, line.high):
        return None
    return m.Milestone(label, line.op, value, high, line.span, start, end, gran, line)


def range_ok(
    r: Resolver,
    low: m.Quantity,
    high: m.Quantity | None,
    low_node: ast.Value,
    high_node: ast.Value | None,
) -> bool:
    """`between LOW and HIGH`: both in one unit (TYP304) and LOW <= HIGH (TYP305)."""
    if high is None or high_node is None:
        return True
    if high.unit != low.unit:
        r.err(
            "TYP304",
            f"`between {low.raw} and {high.raw}`: the two ends have different units "
            f"({low.unit} and {high.unit})",
            high_node.span,
            f"{high.unit}, not {low.unit}",
            labels=(dg.Label(low_node.span, f"the low end is {article_unit(low.unit)}"),),
            help="write both ends in the same unit",
        )
        return False
    if high.value < low.value:
        r.err(
            "TYP305",
            f"`between {low.raw} and {high.raw}`: the low end is above the high end",
            low_node.span.cover(high_node.span),
            "low above high",
            help=f"write `between {high.raw} and {low.raw}`",
        )
        return False
    return True


def article_unit(unit: str) -> str:
    return {
        "percent": "a percentage",
        "number": "a plain number",
        "ratio": "a ratio",
        "multiple": "a multiple",
    }.get(unit, unit)


def milestones(r: Resolver, lines: Sequence[ast.MilestoneLine]) -> tuple[m.Milestone, ...]:
    out: list[m.Milestone] = []
    seen: dict[str, ast.MilestoneLine] = {}
    for line in lines:
        ms = milestone(r, line)
        if ms is None:
            continue
        if ms.period in seen:
            r.err(
                "NAM202",
                f"the milestone for {ms.period} is given twice",
                line.period.span,
                "given again here",
                labels=(dg.Label(seen[ms.period].period.span, "first given here"),),
                help="a period has one goal: keep one of the two lines",
            )
            continue
        seen[ms.period] = line
        out.append(ms)
    return tuple(out)


def measure_lines(r: Resolver, lines: Sequence[ast.MeasureLine]) -> list[m.Measure]:
    out: list[m.Measure] = []
    for line in lines:
        attrs, _ = line_settings(r, line.items, "measure")
        out.append(
            m.Measure(
                line.id.name,
                line.label.value if line.label else line.id.name,
                r.conv(attrs.get("cadence"), "one:cadence"),
                weight(r, attrs.get("weight")),
                line.span,
                line,
            )
        )
    return out


# --------------------------------------------------------------------------- reviews


def measure_ids(block: ast.Block) -> list[str]:
    """The target and measure ids a block declares (from the text: a target whose value did not
    resolve can still be named, without a second error)."""
    return [it.id.name for it in block.items if isinstance(it, (ast.TargetLine, ast.MeasureLine))]


def measure_ref(r: Resolver, ref: ast.MeasureRef) -> str | None:
    """`OWNER.ID` resolved to a target or measure of an objective or a play."""
    owner = ref.owner
    d = r.decls.get(owner.name)
    if d is None:
        candidates = r.ids_of("objective") + r.ids_of("play")
        r._undefined(owner, "objective or play", candidates)
        return None
    if d.kind not in MEASURE_OWNERS:
        r.err(
            "NAM203",
            f"`{owner.name}` is {'an' if d.kind[0] in 'aeiou' else 'a'} {d.kind}; a measure "
            "belongs to an objective or a play",
            owner.span,
            "not an objective or play",
            labels=(
                dg.Label(d.block.id.span if d.block.id else d.block.kind_span, "declared here"),
            ),
            help="name it as `OBJECTIVE.TARGET`, `PLAY.TARGET` or `OBJECTIVE.MEASURE`",
        )
        return None
    ids = measure_ids(d.block)
    if ref.measure.name in ids:
        return ref.text
    if owner.name in r.broken_ids:
        return None
    near = r.closest(ref.measure.name, ids)
    helps: list[str] = []
    sugg = replace_with(ref.measure.span, near)
    if near:
        helps.append(f"did you mean `{owner.name}.{near[0]}`?")
    elif ids:
        helps.append(
            f"{d.kind} `{owner.name}` has " + ", ".join(f"`{owner.name}.{i}`" for i in ids)
        )
    else:
        helps.append(
            f"{d.kind} `{owner.name}` has no target or measure: add `measure "
            f'{ref.measure.name} "…"` to it'
        )
    r.err(
        "NAM201",
        f"undefined measure `{ref.text}`: {d.kind} `{owner.name}` has no target or measure "
        f"`{ref.measure.name}`",
        ref.measure.span,
        "not defined",
        labels=(dg.Label(owner.span, f"the {d.kind}"),),
        help=tuple(helps),
        suggestions=sugg,
    )
    return None


REVIEW_WHEN_HELP = (
    "write a condition over a measure's actuals: `when F2.revenue deviates 15%` or "
    "`when F2.roi < 1:1.2 for 2 quarters`"
)


def build_review(r: Resolver, b: ast.Block) -> m.Review | None:
    a, _ = r.read(b)
    assert b.id is not None
    when = a.get("when")
    t = when.value if isinstance(when, ast.Attribute) else None
    if t is None or isinstance(t, ast.Invalid):
        return None
    if not isinstance(t, ast.Trigger) or t.kind not in ("deviation", "threshold"):
        what = f"`{t.kind}` trigger" if isinstance(t, ast.Trigger) else "value"
        r.err(
            "TYP302",
            f"a review's `when` is a condition over a measure, not a play's {what}",
            t.span,
            "not a measure condition",
            help=REVIEW_WHEN_HELP,
        )
        return None
    measure = measure_ref(r, t.measure) if t.measure is not None else None
    value = review_value(r, t)
    count, unit = review_for(r, t)
    op = None
    if t.kind == "threshold":
        if t.op not in THRESHOLD_OPS:
            r.err(
                "TYP302",
                f"a review condition compares with >=, >, <=, or <, not `{t.op}`",
                t.span,
                "not a threshold",
                help="an actual is never exactly a value: use `deviates` or an ordering",
            )
            return None
        op = t.op
    if measure is None or value is None or count is None:
        return None
    return m.Review(
        b.id.name,
        b.label.value if b.label else b.id.name,
        measure,
        t.kind,
        op,
        value,
        count,
        unit,
        action=r.conv(a.get("action"), "str"),
        owner=r.conv(a.get("owner"), "str"),
        description=r.conv(a.get("description"), "str"),
        allow=r.conv(a.get("allow"), "codes") or frozenset(),
        span=b.span,
        node=b,
    )


def review_value(r: Resolver, t: ast.Trigger) -> m.Quantity | None:
    v = t.value
    if v is None or isinstance(v, ast.Invalid):
        return None
    if t.kind == "threshold":
        return r.quantity(v)
    if not isinstance(v, ast.Number) or not v.percent:
        r._unit_error(
            v,
            "deviates",
            "a percentage of the goal such as `15%`",
            help=f"write `{v.raw}%`" if isinstance(v, ast.Number) and not v.scaled else None,
        )
        return None
    if v.value < 0:
        r._unit_error(v, "deviates", "a percentage of 0% or more")
        return None
    return m.Quantity(v.value, "percent", v.raw)


def review_for(r: Resolver, t: ast.Trigger) -> tuple[int | None, str]:
    """`for N UNIT`: (N, the unit's plural); (1, "periods") without `for`; N None on an error."""
    if t.count is None:
        return 1, "periods"
    n = t.count
    ok = True
    count: int | None = None
    if isinstance(n, ast.Number) and isinstance(n.value, int) and not n.percent:
        if n.value < 1:
            r._unit_error(n, "for", "at least 1 period", help="leave `for` out for a single period")
            ok = False
        else:
            count = n.value
    elif not isinstance(n, ast.Invalid):
        r._type_error(n, "for", "a whole number of periods, as in `for 2 quarters`")
        ok = False
    unit = "periods"
    if t.unit is not None:
        if t.unit.name in FOR_UNITS:
            unit = FOR_UNITS[t.unit.name]
        else:
            r._unknown_value(t.unit, "for", tuple(FOR_UNITS))
            ok = False
    return (count if ok else None), unit


# --------------------------------------------------------------------------- gaps


def build_gap(r: Resolver, b: ast.Block) -> m.Gap:
    a, _ = r.read(b)
    assert b.id is not None
    est_attr = a.get("estimate")
    amount = r.conv(est_attr, "money")
    estimate = None
    if amount is not None and isinstance(est_attr, ast.Attribute):
        raw = est_attr.value.raw if isinstance(est_attr.value, ast.Number) else str(amount)
        estimate = m.Quantity(amount, "number", raw)
    return m.Gap(
        b.id.name,
        b.label.value if b.label else b.id.name,
        estimate,
        r.conv(a.get("objectives"), "refs:objective") or (),
        r.conv(a.get("initiatives"), "refs:initiative") or (),
        r.conv(a.get("description"), "str"),
        r.conv(a.get("allow"), "codes") or frozenset(),
        b.span,
        b,
    )


def link_kind(arrow: str) -> str:
    return "feedback" if arrow == "~>" else "causal"


__all__ = [
    "FOR_UNITS",
    "UNIT_CADENCE",
    "build_gap",
    "build_review",
    "line_settings",
    "link_kind",
    "measure_lines",
    "milestones",
    "range_ok",
    "weight",
]
