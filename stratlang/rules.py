"""Typed, resolved rules: the normalized form every stage after resolution reads.

Resolution (`check.resolve`) types each segment `rule` and each `when rule` trigger against the
schema once (`check.types.normalize`) and stores the result on the model (`Segment.typed_rule`,
`Trigger.typed_rule`, `Model.typed_segment_rule`). The reference evaluator, the solver, the SQL
compiler and the sample generator read these nodes; none of them types rules again.

    Cmp(field, op, value)        op in = != < <= > >=
    Between(field, low, high)    inclusive on both ends
    Member(field, values, negated)   `in [...]` / `not in [...]`
    IsMissing(field, present)    `is missing` (present=False) / `is present` (present=True)
    IsTrue(field)                a bare bool field
    All(items) / Any(items) / Neg(item)    and / or / not (nested All/Any flattened)
    Const(value)                 TRUE for "no rule" (everyone)

Literal values are Python values: numbers (int/float; a percent field's `20%` is 20), an enum
value is its 0-based ordinal in the declared order (`Field.enum_values[i]` gives the name back),
dates are `datetime.date` (a quarter is its last day), strings `str`, bools `bool`. A value is
None only in a tree that failed to type (such trees are never stored on the model).

This module is data only: it imports nothing from the checker, so backends can read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from .source import Span

if TYPE_CHECKING:  # the model imports this module; these are for annotations only
    from .model import Field, Schema

Value: TypeAlias = int | float | str | bool | dt.date | None


@dataclass(frozen=True, slots=True)
class Cmp:
    field: str
    op: str
    value: Value
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Between:
    field: str
    low: Value
    high: Value
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Member:
    field: str
    values: tuple[Value, ...]
    negated: bool = False
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class IsMissing:
    field: str
    present: bool = False
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class IsTrue:
    field: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[NExpr, ...]
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Any:
    items: tuple[NExpr, ...]
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Neg:
    item: NExpr
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Const:
    value: bool
    span: Span | None = None


NExpr: TypeAlias = Cmp | Between | Member | IsMissing | IsTrue | All | Any | Neg | Const


@dataclass(frozen=True, slots=True)
class Aggregate:
    """An aggregate over a history table, typed (docs/language.md §5.5). A rule tests it like a
    field: its `Field` (`Schema.derived[text]`) is named by `text`, the canonical rule text
    (`sum(txn.amount over 90d)`), so the solver, the evaluator and the SQL compiler read it as one
    more customer quantity.

    `window`: (amount, unit) with unit d, w, mo or y — rows whose time lies in
    (as_of - window, as_of]; None: every row up to the as-of day. `where`: typed over the history
    table's columns. `empty`: the value for a customer without matching rows (None: missing)."""

    text: str
    func: str  # count sum avg min max change streak days_since
    table: str
    column: str | None = None
    where: NExpr | None = None
    window: tuple[int, str] | None = None
    trend: str | None = None  # streak: increasing / decreasing
    empty: int | None = None


NTest: TypeAlias = Cmp | Between | Member | IsMissing | IsTrue
NTESTS = (Cmp, Between, Member, IsMissing, IsTrue)
NODES = (*NTESTS, All, Any, Neg, Const)
TRUE = Const(True)


def conjunction(parts: list[NExpr]) -> NExpr:
    """Rules AND-ed together as one flat node (TRUE when there are none)."""
    flat: list[NExpr] = []
    for p in parts:
        if p is not TRUE:
            flat.extend(p.items if isinstance(p, All) else (p,))
    if not flat:
        return TRUE
    if len(flat) == 1:
        return flat[0]
    return All(tuple(flat), flat[-1].span)


# --------------------------------------------------------------------------- rule text


def type_name(f: Field) -> str:
    if f.type == "enum":
        return "enum(" + ", ".join(f.enum_values) + ")"
    return f.type


def show_value(f: Field | None, v: Value) -> str:
    """A literal as the user would write it."""
    if v is None:
        return "missing"
    if f is not None and f.type == "enum" and isinstance(v, int) and not isinstance(v, bool):
        return f.enum_values[v] if 0 <= v < len(f.enum_values) else str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    if f is not None and f.type == "percent":
        return f"{v}%"
    return str(v)


def show(node: NExpr, schema: Schema | None) -> str:
    """A normalized rule written back as rule text (for messages; model.json prints the AST)."""
    fields: Mapping[str, Field] = schema.rule_fields if schema is not None else {}
    return _show(node, 0, fields)


def _show(n: NExpr, parent: int, fields: Mapping[str, Field]) -> str:
    if isinstance(n, Const):
        return "true" if n.value else "false"
    if isinstance(n, All):
        s = " and ".join(_show(i, 2, fields) for i in n.items)
        return f"({s})" if parent > 2 else s
    if isinstance(n, Any):
        s = " or ".join(_show(i, 1, fields) for i in n.items)
        return f"({s})" if parent > 1 else s
    if isinstance(n, Neg):
        return "not " + _show(n.item, 3, fields)
    return _show_test(n, fields.get(n.field))


def _show_test(n: NTest, f: Field | None) -> str:
    if isinstance(n, Cmp):
        return f"{n.field} {n.op} {show_value(f, n.value)}"
    if isinstance(n, Between):
        return f"{n.field} between {show_value(f, n.low)} and {show_value(f, n.high)}"
    if isinstance(n, Member):
        items = ", ".join(show_value(f, v) for v in n.values)
        return f"{n.field} {'not in' if n.negated else 'in'} [{items}]"
    if isinstance(n, IsMissing):
        return f"{n.field} is {'present' if n.present else 'missing'}"
    return n.field  # IsTrue
