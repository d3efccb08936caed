"""The reference rule evaluator: the semantics every engine must reproduce.

`evaluate(expr, record, schema)` returns True, False or None (UNKNOWN), SQL's three-valued logic:

- a comparison (`=`, `!=`, `<`, …, `between`, `in`, `not in`, a bare bool field) on a NULL value
  (a missing key or `None` in the record; only `optional` fields may be NULL) is UNKNOWN;
- `is missing` / `is present` are never UNKNOWN;
- `not UNKNOWN` is UNKNOWN; `and`/`or` are Kleene's (FALSE and UNKNOWN = FALSE, TRUE or UNKNOWN = TRUE);
- enum values compare by their declared order (`risk_level >= R3`); percent fields hold the
  number of percent (20 means 20%); `between a and b` is `>= a and <= b`.

A customer belongs to a segment when the rule is TRUE (`member`). Record values are Python values:
numbers, `bool`, `str`, enum values by name (`"R2"`), dates as `datetime.date` or ISO text.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..language import AGGREGATE_DECIMALS as DECIMALS
from ..model import History, Model, Schema
from ..rules import (
    NODES,
    NTESTS,
    Aggregate,
    All,
    Between,
    Cmp,
    Const,
    IsMissing,
    IsTrue,
    Member,
    Neg,
    NExpr,
    NTest,
)
from ..syntax import ast
from .types import normalize

# A customer record: field name -> value, as read from data (see the module's docstring).
Record = Mapping[str, object]

# Any: a rule's literal and the record's value are of one field's type, so they compare; the
# operators are typed for any such pair.
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class RecordError(ValueError):
    """A record value that does not fit its schema field."""


def field_value(record: Record, name: str, schema: Schema | History | None) -> object:
    """The record's value of a field, converted for comparison (enum -> ordinal); None for NULL."""
    v = record.get(name)
    if v is None:
        return None
    f = schema.rule_fields.get(name) if schema is not None else None
    if f is None:
        return v
    t = f.type
    if t == "enum":
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        try:
            return f.enum_values.index(v)
        except ValueError:
            raise RecordError(
                f"`{v}` is not a value of `{name}` ({', '.join(f.enum_values)})"
            ) from None
    if t == "date" and isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            raise RecordError(f"`{v}` is not a date (field `{name}`)") from None
    if t == "date" and isinstance(v, dt.datetime):
        return v.date()
    if t == "bool" and not isinstance(v, bool):
        raise RecordError(f"`{v!r}` is not a bool (field `{name}`)")
    if t in ("int", "float", "money", "percent") and (
        isinstance(v, bool) or not isinstance(v, (int, float))
    ):
        raise RecordError(f"`{v!r}` is not a number (field `{name}`)")
    return v


def _test(n: NTest, record: Record, schema: Schema | History | None) -> bool | None:
    # Any: the value is of the field's type, like the literals it is compared with (`between`)
    v: Any = field_value(record, n.field, schema)
    if isinstance(n, IsMissing):
        return (v is not None) if n.present else (v is None)
    if v is None:
        return None
    if isinstance(n, Cmp):
        return OPS[n.op](v, n.value)
    if isinstance(n, Between):
        inside: bool = n.low <= v <= n.high
        return inside
    if isinstance(n, Member):
        found = v in n.values
        return not found if n.negated else found
    if isinstance(n, IsTrue):
        return v is True
    raise TypeError(n)


def _not(a: bool | None) -> bool | None:
    return None if a is None else not a


class _Frame:
    """A node of the walk: the next child to evaluate and the value folded so far."""

    __slots__ = ("acc", "i", "node")

    def __init__(self, node: NExpr) -> None:
        self.node = node
        self.i = 0
        self.acc: bool | None = None


def evaluate(
    expr: NExpr | ast.Expr | None, record: Record, schema: Schema | History | None
) -> bool | None:
    """Three-valued value of a rule (AST or normalized) for one record: True, False or None (UNKNOWN).

    Iterative (an explicit stack), so nesting depth is not limited by Python's recursion limit.
    Raises ValueError when the rule does not type-check against the schema, RecordError when a
    record value does not fit its field."""
    if expr is None:
        return True
    if not isinstance(expr, NODES):  # a rule AST (tests and tools): type it here
        n, diags = normalize(expr, schema)
        if n is None:
            raise ValueError("rule does not type-check: " + "; ".join(d.message for d in diags))
        expr = n
    # Post-order walk: each frame holds its node, the next child and the accumulator.
    stack = [_Frame(expr)]
    result: bool | None = None
    while stack:
        frame = stack[-1]
        node = frame.node
        if isinstance(node, NTESTS):
            result = _test(node, record, schema)
            stack.pop()
        elif isinstance(node, Const):
            result = node.value
            stack.pop()
        elif isinstance(node, Neg):
            if frame.i == 0:
                frame.i = 1
                stack.append(_Frame(node.item))
                continue
            result = _not(result)
            stack.pop()
        else:  # All / Any
            is_and = isinstance(node, All)
            i = frame.i
            if i > 0:  # fold in the child just evaluated
                acc = frame.acc
                if is_and:
                    acc = (
                        False
                        if (acc is False or result is False)
                        else (None if (acc is None or result is None) else True)
                    )
                else:
                    acc = (
                        True
                        if (acc is True or result is True)
                        else (None if (acc is None or result is None) else False)
                    )
                frame.acc = acc
                if (is_and and acc is False) or (not is_and and acc is True):
                    result = acc
                    stack.pop()
                    continue
            else:
                frame.acc = is_and  # identity: TRUE for and, FALSE for or
            if i < len(node.items):
                frame.i = i + 1
                stack.append(_Frame(node.items[i]))
                continue
            result = frame.acc
            stack.pop()
    return result


def member(model: Model, segment_id: str, record: Record) -> bool:
    """Whether the record belongs to the segment: its full rule (with `extends`) is TRUE."""
    rule = model.typed_segment_rule(segment_id)
    if rule is None:
        raise ValueError(f"segment `{segment_id}` is unknown or its rule does not type-check")
    return evaluate(rule, record, model.schema) is True


# --------------------------------------------------------------------------- history aggregates


def _months_back(day: dt.date, months: int) -> dt.date:
    """`day` minus whole months, clamped to the month's end (as DuckDB's and Spark's date math)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    last = (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(day.day, last))


def window_start(agg: Aggregate, as_of: dt.date) -> dt.date | None:
    """The day after which an aggregate's rows count (None: no window)."""
    if agg.window is None:
        return None
    amount, unit = agg.window
    if unit in ("d", "w"):
        return as_of - dt.timedelta(days=amount * (7 if unit == "w" else 1))
    return _months_back(as_of, amount * (12 if unit == "y" else 1))


def aggregate_value(
    agg: Aggregate, rows: Sequence[Record], history: History, as_of: dt.date
) -> object:
    """The reference value of an aggregate over one customer's history rows (the semantics
    `backends.history_sql` compiles; docs/language.md §5.5). Rows are records of the history
    table (dates as `datetime.date` or ISO text)."""
    assert history.time is not None
    start = window_start(agg, as_of)

    def when(r: Record) -> dt.date:
        v = field_value(r, history.time or "", history)
        assert isinstance(v, dt.date)
        return v

    picked = []
    for r in rows:
        t = when(r)
        if t > as_of or (start is not None and t <= start):
            continue
        if agg.where is not None and evaluate(agg.where, r, history) is not True:
            continue
        picked.append((t, r))
    if agg.func == "count":
        return len(picked)
    if agg.func == "days_since":
        return (as_of - max(t for t, _ in picked)).days if picked else None
    assert agg.column is not None
    # Any: the column is a number column (the typer refused others)
    values: list[tuple[dt.date, Any]] = [(t, r.get(agg.column)) for t, r in picked]
    present = [v for _, v in values if v is not None]
    exact = history.fields[agg.column].type == "int"
    if agg.func == "sum":
        return (sum(present) if exact else _fixed(sum(present))) if present else 0
    if not present and agg.func in ("avg", "min", "max"):
        return None
    if agg.func == "avg":
        return _fixed(sum(present) / len(present))
    if agg.func in ("min", "max"):
        return min(present) if agg.func == "min" else max(present)
    ordered = sorted(
        values, key=lambda tv: (tv[0], tv[1] is None, tv[1] if tv[1] is not None else 0)
    )
    if agg.func == "change":
        vs = sorted((t, v) for t, v in values if v is not None)
        if len(vs) < 2 or vs[0][1] == 0:
            return None
        return _fixed((vs[-1][1] - vs[0][1]) * 100.0 / abs(vs[0][1]))
    # streak: consecutive moves in the trend's direction ending at the latest row
    run = 0
    for i in range(len(ordered) - 1, 0, -1):
        v, prev = ordered[i][1], ordered[i - 1][1]
        moved = (
            v is not None
            and prev is not None
            and (v > prev if agg.trend == "increasing" else v < prev)
        )
        if not moved:
            break
        run += 1
    return run


def _fixed(value: float) -> float:
    """To the places SQL keeps (`language.AGGREGATE_DECIMALS`), rounding half away from zero as a cast
    to DECIMAL does."""
    scaled = abs(value) * 10**DECIMALS
    return math.copysign(math.floor(scaled + 0.5) / 10**DECIMALS, value)


def with_aggregates(
    record: Record,
    rows: Mapping[str, Sequence[Record]],
    schema: Schema,
    histories: Mapping[str, History],
    as_of: dt.date,
) -> dict[str, object]:
    """The record with the value of every history aggregate the rules use (`rows`: history id ->
    this customer's rows), ready for `evaluate`."""
    out = dict(record)
    for name, f in schema.derived.items():
        agg = f.aggregate
        assert agg is not None
        out[name] = aggregate_value(agg, rows.get(agg.table, ()), histories[agg.table], as_of)
    return out
