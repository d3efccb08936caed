"""Alignment between the strategies of a cascade (docs/cascade.md): the ALN checks.

`project_checks` needs one project and its ancestors (parent first): align names the parent's
objectives (ALN002), every objective of a child aligns (ALN004), a served target keeps the
parent's unit (ALN005) and deadline (ALN007), perspective order holds across levels (ALN008), and
units are declared, acyclic and nested under the parent's (ALN009, ALN010). `tree_checks` needs a
parent and all its children: every parent objective is carried (ALN003) and the children's
additive targets reach the parent's (ALN006). Where the parent project is and whether it loads
(ALN001) is `check/cascade.py`'s.

A child target *serves* the parent target with the same id in an objective it aligns with
(**Decision:** matching by id; a target with no such parent target serves nothing), or the one
its `serves OBJECTIVE.TARGET` names (ALN011 when that names nothing it may serve). Every check
is linear in the objectives and targets of the projects it reads: dictionaries by id, no scan of
one project's objectives per objective of another.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from .. import diagnostics as dg
from .. import model as m
from ..source import Span
from ..syntax import ast
from ..words import format_value
from .util import attr, id_span, replace_with

# Quantities that add up across units: amounts and counts. Rates, ratios and multiples do not.
ADDITIVE_UNITS = ("number",)
UPWARD = (">=", ">")
DOWNWARD = ("<=", "<")


def _lang(model: m.Model, written: str = "") -> str:
    """How numbers are shown: as written (`1200亿` stays 亿), else in the strategy's locale."""
    if "亿" in written or "万" in written:
        return "zh"
    return "en" if model.strategy.locale.startswith("en") else "zh"


def project_name(model: m.Model) -> str:
    """How a project is named in messages: its unit, else its strategy's label."""
    return model.unit or model.strategy.label or (model.files[0] if model.files else "?")


def deadline(model: m.Model, t: m.Target) -> dt.date | None:
    """A target's deadline: its `by`, else the end of the strategy's period."""
    if t.by is not None:
        return t.by
    return model.strategy.period[1] if model.strategy.period else None


def _by_span(t: m.Target) -> Span | None:
    if t.node is not None and t.node.by is not None:
        return t.node.by.span
    return t.span


def _value_span(t: m.Target) -> Span | None:
    return t.node.value.span if t.node is not None else t.span


@dataclass(frozen=True)
class Served:
    """A child target and the parent target it serves."""

    objective: m.Objective  # the child's
    target: m.Target
    parent_objective: m.Objective
    parent_target: m.Target


def served(model: m.Model, parent: m.Model) -> Iterator[Served]:
    """Each (child target, parent target it serves) pair: the one its `serves` names (when that
    is a target of an objective it aligns with; else ALN011 and nothing), else the parent target
    of the same id in an aligned objective."""
    for o in model.objectives.values():
        for t in o.targets:
            if t.serves is not None:
                pid, tid = t.serves
                po = parent.objectives.get(pid) if pid in o.aligns else None
                pt = next((x for x in po.targets if x.id == tid), None) if po else None
                if po is not None and pt is not None:
                    yield Served(o, t, po, pt)
        for pid in o.aligns:
            po = parent.objectives.get(pid)
            if po is None or not po.targets:
                continue
            theirs = {t.id: t for t in po.targets}
            for t in o.targets:
                pt = theirs.get(t.id)
                if pt is not None and t.serves is None:
                    yield Served(o, t, po, pt)


def _line_attr(node: ast.TargetLine | None, name: str) -> ast.Attribute | None:
    """The attribute `name` in a target's `{ … }`."""
    items = node.items if node is not None else ()
    return next((i for i in items if isinstance(i, ast.Attribute) and i.name.name == name), None)


def _serves_named(model: m.Model, parent: m.Model | None) -> Iterator[dg.Diagnostic]:
    """ALN011: `serves OBJ.TARGET` names no target of a parent objective this objective aligns
    with (or the strategy has no parent)."""
    for o in model.objectives.values():
        for t in o.targets:
            a = _line_attr(t.node, "serves")
            if t.serves is None or a is None:
                continue
            pid, tid = t.serves
            ref = f"{pid}.{tid}"
            if parent is None:
                yield dg.make(
                    "ALN011",
                    f"`serves {ref}` in a strategy without a parent",
                    a.span,
                    "no parent strategy",
                    help=('name the parent project in the strategy: `parent "../hq"`',),
                )
                continue
            po = parent.objectives.get(pid)
            ids = [x.id for x in po.targets] if po is not None else []
            if po is None or tid not in ids:
                what, among = (
                    ("objective", list(parent.objectives)) if po is None else ("target", ids)
                )
                near = dg.closest(pid if po is None else tid, among)
                fix = (f"{near[0]}.{tid}" if po is None else f"{pid}.{near[0]}") if near else ""
                yield dg.make(
                    "ALN011",
                    f"`{pid}` is not an objective of the parent strategy `{project_name(parent)}`"
                    if po is None
                    else f"the parent objective `{pid}` has no target `{tid}`",
                    a.value.span,
                    f"no such parent {what}",
                    help=(f"did you mean `{fix}`?",)
                    if fix
                    else (f"the {what}s there are " + (_list(among) or "none"),),
                    suggestions=replace_with(a.value.span, [fix] * len(near)),
                )
                continue
            if pid not in o.aligns:
                yield dg.make(
                    "ALN011",
                    f"`{o.id}` serves `{ref}` but does not align with `{pid}`",
                    a.value.span,
                    "objective not aligned with",
                    help=(f"add `{pid}` to the objective's `align`",),
                )


# ------------------------------------------------------------------------------ one project


def visible_units(model: m.Model, ancestors: Sequence[m.Model]) -> dict[str, m.Unit]:
    """The units a project may name: its own and its ancestors' (nearest first wins)."""
    out: dict[str, m.Unit] = {}
    for mod in (model, *ancestors):
        for uid, u in mod.units.items():
            out.setdefault(uid, u)
    return out


def project_checks(
    model: m.Model, ancestors: Sequence[m.Model], parent_loaded: bool
) -> list[dg.Diagnostic]:
    """The ALN checks of one project; `ancestors` parent first (empty without a parent or when
    it could not be loaded: `parent_loaded` False, ALN001 said why)."""
    out: list[dg.Diagnostic] = []
    parent = ancestors[0] if ancestors else None
    units = visible_units(model, ancestors)
    # without the parent the ancestors' units are unknown: no undefined-unit errors then
    known = model.parent is None or parent_loaded
    out.extend(_units(model, ancestors, units, known))
    if known:
        out.extend(_owners(model, units))
    if model.parent is None:
        for o in model.objectives.values():
            a = attr(o.node, "align")
            if o.aligns and a is not None:
                out.append(
                    dg.make(
                        "ALN002",
                        f"objective `{o.id}` aligns with `{'`, `'.join(o.aligns)}`, but the "
                        "strategy has no parent",
                        a.name.span,
                        "no parent to align with",
                        help='name the parent project in the strategy: `parent "../hq"`',
                    )
                )
        out.extend(_serves_named(model, None))
        return out
    for o in model.objectives.values():
        if not o.aligns:
            out.append(
                dg.make(
                    "ALN004",
                    f"objective `{o.id}` aligns with no objective of the parent strategy",
                    id_span(o),
                    "aligned with nothing",
                    help="add `align PARENT_OBJECTIVE` naming the objective of the parent it "
                    "serves, or `allow ALN004` when it is the unit's own",
                )
            )
    if parent is None or not parent_loaded:
        return out
    out.extend(_aligns(model, parent))
    out.extend(_serves_named(model, parent))
    out.extend(_served(model, parent))
    out.extend(_perspectives(model, parent))
    return out


def _aligns(model: m.Model, parent: m.Model) -> Iterator[dg.Diagnostic]:
    """ALN002: `align` names an objective the parent does not have."""
    for o in model.objectives.values():
        a = attr(o.node, "align")
        if a is None:
            continue
        for name in _names(a):
            if name.name in parent.objectives:
                continue
            near = dg.closest(name.name, parent.objectives)
            yield dg.make(
                "ALN002",
                f"`{name.name}` is not an objective of the parent strategy "
                f"`{project_name(parent)}`",
                name.span,
                "no such parent objective",
                help=(f"did you mean `{near[0]}`?",)
                if near
                else ("the parent's objectives are " + _list(parent.objectives),),
                notes=(f"the parent project is {model.parent.resolved}",)
                if model.parent is not None and model.parent.resolved
                else (),
                suggestions=replace_with(name.span, near),
            )


def _names(a: ast.Attribute) -> list[ast.Name]:
    v = a.value
    items = v.items if isinstance(v, ast.ListValue) else (v,)
    return [it for it in items if isinstance(it, ast.Name)]


def _list(ids: Mapping[str, object] | Sequence[str], most: int = 8) -> str:
    names = list(ids)
    shown = ", ".join(f"`{i}`" for i in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _served(model: m.Model, parent: m.Model) -> Iterator[dg.Diagnostic]:
    """ALN005 (unit) and ALN007 (deadline) for each target that serves a parent target."""
    for s in served(model, parent):
        t, pt = s.target, s.parent_target
        lang = _lang(parent, pt.value.raw)
        where = f"`{s.parent_objective.id}.{pt.id}`"
        if t.unit != pt.unit:
            span = _value_span(t)
            if span is not None:
                yield dg.make(
                    "ALN005",
                    f"target `{s.objective.id}.{t.id}` is {_unit_words(t.unit)} "
                    f"(`{t.value}`), but the parent target {where} it serves is "
                    f"{_unit_words(pt.unit)} (`{pt.value}`)",
                    span,
                    f"{_unit_words(t.unit)}, not {_unit_words(pt.unit)}",
                    help="write the target in the parent's unit, or give it an id of its own "
                    "so that it serves nothing",
                )
            continue
        mine, theirs = deadline(model, t), deadline(parent, pt)
        if mine and theirs and mine > theirs:
            span = _by_span(t)
            if span is not None:
                yield dg.make(
                    "ALN007",
                    f"target `{s.objective.id}.{t.id}` is due {mine.isoformat()}, after the "
                    f"parent target {where} ({format_value(pt.value.value, pt.unit, lang)} "
                    f"by {theirs.isoformat()})",
                    span,
                    "later than the parent's deadline",
                    help=f"bring the deadline to {theirs.isoformat()} or earlier, or add a "
                    "milestone for that date",
                )


def _unit_words(unit: str) -> str:
    return {
        "percent": "a percentage",
        "number": "an amount or count",
        "ratio": "a ratio",
        "multiple": "a multiple",
    }.get(unit, unit)


def _perspectives(model: m.Model, parent: m.Model) -> Iterator[dg.Diagnostic]:
    """ALN008: the shared perspectives keep the parent's order, and no objective aligns only
    with parent objectives of perspectives below its own."""
    mine = [p.id for p in model.perspectives]
    theirs = [p.id for p in parent.perspectives]
    shared_mine = [p for p in mine if p in set(theirs)]
    shared_theirs = [p for p in theirs if p in set(mine)]
    if shared_mine != shared_theirs:
        first = next((p.span for p in model.perspectives if p.span is not None), None)
        span = first or model.strategy.span
        if span is not None:
            yield dg.make(
                "ALN008",
                "the perspectives are in another order than the parent strategy's: "
                f"{' > '.join(shared_mine)} here, {' > '.join(shared_theirs)} in "
                f"`{project_name(parent)}`",
                span,
                "order differs from the parent's",
                help="list the shared perspectives in the parent's order",
            )
    rank = {pid: i for i, pid in enumerate(theirs)}
    for o in model.objectives.values():
        mine_rank = rank.get(o.perspective)
        if mine_rank is None or not o.aligns:
            continue
        ranks = [
            rank[po.perspective]
            for pid in o.aligns
            if (po := parent.objectives.get(pid)) is not None and po.perspective in rank
        ]
        if ranks and min(ranks) > mine_rank:
            a = attr(o.node, "align")
            below = ", ".join(
                f"`{pid}` ({parent.objectives[pid].perspective})"
                for pid in o.aligns
                if pid in parent.objectives
            )
            yield dg.make(
                "ALN008",
                f"{o.perspective} objective `{o.id}` aligns only with parent objectives of lower "
                f"perspectives: {below}",
                a.value.span if a is not None else id_span(o),
                "a lower perspective than the objective's",
                help="align it with a parent objective of its own perspective or a higher one, "
                "or move it to the perspective it serves",
            )


# ------------------------------------------------------------------------------ units


def _units(
    model: m.Model, ancestors: Sequence[m.Model], units: Mapping[str, m.Unit], known: bool
) -> Iterator[dg.Diagnostic]:
    """ALN009: unit parents and the strategy's unit name units; no cycle; a child's unit sits
    below the parent strategy's unit; a unit id is not declared again below an ancestor."""
    inherited = visible_units(ancestors[0], ancestors[1:]) if ancestors else {}
    for u in model.units.values():
        if u.id in inherited and u.node is not None and u.node.id is not None:
            first = inherited[u.id]
            yield dg.make(
                "ALN009",
                f"unit `{u.id}` is already declared by an ancestor project",
                u.node.id.span,
                "declared again",
                notes=(f"first declared at {first.span}",) if first.span else (),
                help="units are shared down the cascade: use the ancestor's, or rename this one",
            )
        if known and u.parent is not None and u.parent not in units:
            a = attr(u.node, "parent")
            if a is not None:
                yield _no_unit(u.parent, a.value.span, units, "the parent unit")
    yield from _unit_cycles(model, units)
    a = attr(model.strategy.node, "unit")
    if model.unit is not None and a is not None:
        if model.unit not in units:
            if known:
                yield _no_unit(model.unit, a.value.span, units, "the strategy's unit")
        elif ancestors and ancestors[0].unit is not None:
            top = ancestors[0].unit
            if not _below(model.unit, top, units):
                yield dg.make(
                    "ALN009",
                    f"unit `{model.unit}` is not below `{top}`, the unit of the parent strategy",
                    a.value.span,
                    f"not a unit under `{top}`",
                    help=f"give `{model.unit}` the parent `{top}` (or a unit under it): "
                    f'`unit {model.unit} "…" {{ parent {top} }}`',
                )
    elif model.parent is not None and model.unit is None:
        p = attr(model.strategy.node, "parent")
        if p is not None:
            yield dg.make(
                "ALN009",
                "a strategy with a parent names its unit",
                p.name.span,
                "no `unit` in this strategy",
                help="add `unit ID` to the strategy: the unit (a branch, a team) whose strategy "
                "this is",
            )


def _below(uid: str, top: str, units: Mapping[str, m.Unit]) -> bool:
    """`uid` is `top` or a unit under it (following `parent`, stopping on a cycle)."""
    seen: set[str] = set()
    cur: str | None = uid
    while cur is not None and cur not in seen:
        if cur == top:
            return True
        seen.add(cur)
        u = units.get(cur)
        cur = u.parent if u else None
    return False


def _unit_cycles(model: m.Model, units: Mapping[str, m.Unit]) -> Iterator[dg.Diagnostic]:
    """A cycle of `parent` through this project's units, reported once at its first unit."""
    done: set[str] = set()
    for start in model.units:
        path: list[str] = []
        on_path: set[str] = set()
        cur: str | None = start
        while cur is not None and cur not in done and cur not in on_path:
            path.append(cur)
            on_path.add(cur)
            u = units.get(cur)
            cur = u.parent if u else None
        if cur is not None and cur in on_path:
            cycle = path[path.index(cur) :]
            first = model.units.get(cycle[0])
            if first is not None and first.node is not None and first.node.id is not None:
                yield dg.make(
                    "ALN009",
                    "units are their own parents: " + " → ".join([*cycle, cycle[0]]),
                    first.node.id.span,
                    "this unit's parents lead back to it",
                    help="units form a tree: remove one `parent` of the cycle",
                )
        done.update(path)


def _no_unit(name: str, span: Span, units: Mapping[str, m.Unit], what: str) -> dg.Diagnostic:
    near = dg.closest(name, units)
    return dg.make(
        "ALN009",
        f"undefined unit `{name}` ({what})",
        span,
        "not a unit",
        help=(f"did you mean `{near[0]}`?",)
        if near
        else (("the units are " + _list(units),) if units else (f'declare it: `unit {name} "…"`',)),
        suggestions=replace_with(span, near),
    )


def _owners(model: m.Model, units: Mapping[str, m.Unit]) -> Iterator[dg.Diagnostic]:
    """ALN009 for an owner id that names no unit; ALN010 for a string owner where units exist."""
    labels: dict[str, str] | None = None
    owners: Iterator[m.Objective | m.Play | m.Initiative] = itertools.chain(
        model.objectives.values(), model.plays.values(), model.initiatives.values()
    )
    for o in owners:
        a = attr(o.node, "owner")
        if a is None or o.owner is None:
            continue
        if o.owner_unit is not None:
            if o.owner_unit not in units:
                yield _no_unit(o.owner_unit, a.value.span, units, "the owner")
            continue
        if not units:
            continue
        if labels is None:
            labels = {}
            for u in units.values():
                labels.setdefault(u.label, u.id)
        near = [labels[o.owner]] if o.owner in labels else dg.closest(o.owner, units)
        if not near:
            by_label = dg.closest(o.owner, labels)
            near = [labels[by_label[0]]] if by_label else []
        yield dg.make(
            "ALN010",
            f'{type(o).__name__.lower()} `{o.id}` is owned by the string "{o.owner}", not by a unit',
            a.value.span,
            "a free string",
            help=(f"did you mean the unit `{near[0]}` ({units[near[0]].label})?",)
            if near
            else ("the units are " + _list(units),),
            suggestions=replace_with(a.value.span, near),
        )


# ------------------------------------------------------------------------------ a whole tree


def tree_checks(parent: m.Model, children: Sequence[m.Model]) -> list[dg.Diagnostic]:
    """ALN003 and ALN006 on the parent's objectives and targets, given all its children."""
    out: list[dg.Diagnostic] = []
    carried: dict[str, list[str]] = {}  # parent objective -> children aligning with it
    serving: dict[tuple[str, str], list[tuple[m.Model, Served]]] = {}
    for child in children:
        name = project_name(child)
        for o in child.objectives.values():
            for pid in o.aligns:
                who = carried.setdefault(pid, [])
                if not who or who[-1] != name:
                    who.append(name)
        for s in served(child, parent):
            serving.setdefault((s.parent_objective.id, s.parent_target.id), []).append((child, s))
    for po in parent.objectives.values():
        if po.id not in carried and po.span is not None:
            out.append(
                dg.make(
                    "ALN003",
                    f"objective `{po.id}` is carried by no child strategy: none of "
                    f"{_list([project_name(c) for c in children])} aligns with it",
                    id_span(po),
                    "no child aligns with it",
                    help=f"add `align {po.id}` to a child objective that serves it, or "
                    "`allow ALN003` when the head office carries it alone",
                )
            )
        for pt in po.targets:
            found = serving.get((po.id, pt.id))
            if found:
                d = _shortfall(parent, po, pt, found)
                if d is not None:
                    out.append(d)
    return out


def _value_at(model: m.Model, t: m.Target, day: dt.date | None) -> tuple[float, str] | None:
    """What a target promises by `day`, and from where: its value when due by then, else its
    last milestone due by then (None: nothing is promised by that day)."""
    due = deadline(model, t)
    if day is None or due is None or due <= day:
        return t.value.value, ""
    best: m.Milestone | None = None
    for ms in t.milestones:
        if (
            ms.end is not None
            and ms.end <= day
            and ms.value.unit == t.unit
            and (best is None or (best.end is not None and ms.end > best.end))
        ):
            best = ms
    return (best.value.value, f" (its {best.period} milestone)") if best else None


def _shortfall(
    parent: m.Model,
    po: m.Objective,
    pt: m.Target,
    found: Sequence[tuple[m.Model, Served]],
) -> dg.Diagnostic | None:
    """ALN006 for one parent target: the serving children's values, summed at its deadline."""
    if pt.unit not in ADDITIVE_UNITS or pt.op not in UPWARD + DOWNWARD:
        return None
    direction = UPWARD if pt.op in UPWARD else DOWNWARD
    day = deadline(parent, pt)
    lang = _lang(parent, pt.value.raw)
    parts: list[str] = []
    late: list[str] = []
    total = 0.0
    for child, s in found:
        t = s.target
        if t.unit != pt.unit or t.op not in direction:
            continue  # ALN005's, or a target of another direction: not summed
        got = _value_at(child, t, day)
        who = f"{project_name(child)} `{s.objective.id}.{t.id}`"
        if got is None:
            late.append(who)
            continue
        total += got[0]
        parts.append(f"{who} {format_value(got[0], t.unit, lang)}{got[1]}")
    need = pt.value.value
    short = total < need if direction is UPWARD else total > need
    if not short or pt.span is None:
        return None
    span = _value_span(pt) or pt.span

    def fmt(v: float) -> str:
        return format_value(v, pt.unit, lang)

    gap = fmt(abs(need - total))
    when = f" by {day.isoformat()}" if day else ""
    verb = f"{gap} short of" if direction is UPWARD else f"{gap} over"
    notes = ["children's targets: " + "; ".join(parts)] if parts else []
    if late:
        notes.append(
            f"not counted (due after {day.isoformat() if day else 'the deadline'}, with no "
            "milestone by then): " + "; ".join(late)
        )
    return dg.make(
        "ALN006",
        f"the children's targets for `{po.id}.{pt.id}` add up to {fmt(total)}{when}, {verb} "
        f"the parent's {pt.op} {fmt(need)}",
        span,
        f"children add up to {fmt(total)}",
        notes=notes,
        help="raise the children's targets (or add a child that serves this one), or lower "
        "the parent's",
    )
