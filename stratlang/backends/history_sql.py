"""History aggregates as SQL: the customer table with one column per aggregate the rules use.

A rule tests an aggregate (`sum(txn.amount over 90d) >= 1000`) like a field: the typed rule
names it by its rule text (`Schema.derived`), and `sql.compile_rule` reads the column
`aggregate_column(field)` of the relation built here:

    SELECT c.*, COALESCE(g."agg_…", 0) AS "agg_…", …        -- one column per aggregate
    FROM customers AS c
    LEFT JOIN (SELECT key, SUM(CASE WHEN <window and where> THEN amount END) AS "agg_…", …
               FROM txn WHERE at <= <as-of> GROUP BY key) AS g ON c.key = g.key
    LEFT JOIN (<streak: LAG and a running count of breaks>) …
    LEFT JOIN (<change: first and last value in the window>) …

Semantics (docs/language.md §5.5, the same in every engine and in the reference evaluator
`check.evaluator.aggregate_value`): only rows dated on or before the as-of day count; `over D`
keeps rows dated after as-of − D; `count` and `sum` of no rows are 0, `avg`/`min`/`max`/`change`/
`days_since` of no rows are missing (NULL); `streak` is the number of consecutive increases
(decreases) ending at the latest row, 0 without rows; `change` is (last − first) / |first| × 100
over the rows in the window ordered by time (missing with fewer than two rows or a first value
of 0). Rows are ordered by (time, value), so ties on time are broken the same way everywhere.

Without an as-of day (`stratlang sql`) "now" is the engine's CURRENT_DATE.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping

from sqlglot import exp

from ..language import AGGREGATE_DECIMALS as DECIMALS
from ..model import Field, History, Model
from ..rules import Aggregate

# The row alias of the customer table in the enriched relation, and of each joined subquery.
CUSTOMER = "c"
KEY = "__key"
UNITS = {"d": ("DAY", 1), "w": ("DAY", 7), "mo": ("MONTH", 1), "y": ("MONTH", 12)}


def aggregate_column(f: Field) -> str:
    """The column holding a derived field: stable across edits of other rules (a hash of the
    aggregate's rule text), never a schema field's name (those cannot start with `agg_` and a
    digit-hex suffix by accident in practice; `enriched_query` checks)."""
    return "agg_" + hashlib.sha1(f.name.encode("utf-8")).hexdigest()[:12]


def derived_fields(model: Model) -> list[Field]:
    if model.schema is None:
        return []
    return list(model.schema.derived.values())


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=_ident(name), table=_ident(table) if table else None)


def as_of_expr(as_of: dt.date | None) -> exp.Expr:
    if as_of is None:
        return exp.CurrentDate()
    return exp.Cast(this=exp.Literal.string(as_of.isoformat()), to=exp.DataType.build("DATE"))


def _window_start(agg: Aggregate, now: exp.Expr) -> exp.Expr | None:
    if agg.window is None:
        return None
    amount, unit = agg.window
    sql_unit, factor = UNITS[unit]
    return exp.DateSub(
        this=now.copy(), expression=exp.Literal.number(amount * factor), unit=exp.Var(this=sql_unit)
    )


def _row_condition(
    agg: Aggregate, h: History, now: exp.Expr, compile_rule: Callable[..., exp.Expr]
) -> exp.Expr | None:
    """Which rows of the history an aggregate reads, beyond `time <= as-of` (None: all)."""
    assert h.time is not None  # a model with history errors is never compiled
    parts: list[exp.Expr] = []
    start = _window_start(agg, now)
    if start is not None:
        parts.append(exp.GT(this=_col(h.time), expression=start))
    if agg.where is not None:
        parts.append(exp.Paren(this=compile_rule(agg.where, h)))
    if not parts:
        return None
    return exp.and_(*parts, copy=False)


def _when(cond: exp.Expr | None, value: exp.Expr) -> exp.Expr:
    if cond is None:
        return value
    return exp.Case(ifs=[exp.If(this=cond.copy(), true=value)])


def _plain(agg: Aggregate, h: History, cond: exp.Expr | None, now: exp.Expr) -> exp.Expr:
    """count / sum / avg / min / max / days_since as one aggregate of the grouped scan."""
    if agg.func == "count":
        return exp.Count(this=_when(cond, exp.Literal.number(1)))
    if agg.func == "days_since":
        assert h.time is not None
        last = exp.Max(this=_when(cond, _col(h.time)))
        return exp.DateDiff(this=now.copy(), expression=last, unit=exp.Var(this="DAY"))
    assert agg.column is not None
    value = _when(cond, _col(agg.column))
    cls = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[agg.func]
    result = cls(this=value)
    if agg.func in ("sum", "avg") and h.fields[agg.column].type != "int":
        return _fixed(result)
    return result


def _fixed(value: exp.Expr) -> exp.Expr:
    """A computed value to `language.AGGREGATE_DECIMALS` places: a parallel sum of doubles
    depends on the order it is added in, and a customer whose average is exactly a rule's bound
    would otherwise be in or out from one run (or engine) to the next."""
    return exp.Cast(this=value, to=exp.DataType.build(f"DECIMAL(38, {DECIMALS})"))


def _scan(h: History, table: str, now: exp.Expr, where: exp.Expr | None = None) -> exp.Select:
    assert h.key is not None and h.time is not None
    cond: exp.Expr = exp.LTE(this=_col(h.time), expression=now.copy())
    if where is not None:
        cond = exp.and_(cond, where, copy=False)
    return (
        exp.select(exp.alias_(_col(h.key), KEY, quoted=True))
        .from_(exp.Table(this=_ident(table)))
        .where(cond, copy=False)
    )


def _ordered(h: History, agg: Aggregate, descending: bool = False) -> list[exp.Ordered]:
    assert h.time is not None and agg.column is not None
    return [
        exp.Ordered(this=_col(h.time), desc=descending, nulls_first=False),
        exp.Ordered(this=_col(agg.column), desc=descending, nulls_first=False),
    ]


def _window(h: History, agg: Aggregate, func: exp.Expr, descending: bool = False) -> exp.Window:
    return exp.Window(
        this=func,
        partition_by=[_col(KEY)],
        order=exp.Order(expressions=_ordered(h, agg, descending)),
    )


def _streak(
    agg: Aggregate,
    h: History,
    table: str,
    now: exp.Expr,
    name: str,
    compile_rule: Callable[..., exp.Expr],
) -> exp.Select:
    """Consecutive increases (decreases) ending at the latest row, per customer."""
    assert agg.column is not None and h.time is not None
    rows = _scan(h, table, now, _row_condition(agg, h, now, compile_rule))
    rows = rows.select(_col(h.time), _col(agg.column), copy=False)
    prev = _window(h, agg, exp.Lag(this=_col(agg.column)))
    # one sort: the row's place and the previous value over the same ordered window
    place = _window(h, agg, exp.RowNumber())
    steps = exp.select(
        _col(KEY),
        _col(agg.column),
        exp.alias_(prev, "__prev", quoted=True),
        exp.alias_(place, "__n", quoted=True),
    ).from_(rows.subquery("r"))
    cmp = exp.GT if agg.trend == "increasing" else exp.LT
    moved = exp.and_(
        exp.Not(this=exp.Is(this=_col("__prev"), expression=exp.Null())),
        cmp(this=_col(agg.column), expression=_col("__prev")),
    )
    # the streak: rows after the last row that did not move (the first row never moves)
    last_still = exp.Max(
        this=exp.Case(ifs=[exp.If(this=moved, true=exp.Literal.number(0))], default=_col("__n"))
    )
    streak = exp.Sub(this=exp.Max(this=_col("__n")), expression=last_still)
    return (
        exp.select(_col(KEY), exp.alias_(streak, name, quoted=True))
        .from_(steps.subquery("s"))
        .group_by(_col(KEY))
    )


def _change(
    agg: Aggregate,
    h: History,
    table: str,
    now: exp.Expr,
    name: str,
    compile_rule: Callable[..., exp.Expr],
) -> exp.Select:
    """(last − first) / |first| × 100 over the rows in the window, per customer."""
    assert agg.column is not None and h.time is not None
    present = exp.Not(this=exp.Is(this=_col(agg.column), expression=exp.Null()))
    cond = _row_condition(agg, h, now, compile_rule)
    cond = present if cond is None else exp.and_(cond, present, copy=False)
    rows = _scan(h, table, now, cond).select(_col(h.time), _col(agg.column), copy=False)
    first = _window(h, agg, exp.RowNumber())
    last = _window(h, agg, exp.RowNumber(), descending=True)
    ranked = exp.select(
        _col(KEY),
        _col(agg.column),
        exp.alias_(first, "__up", quoted=True),
        exp.alias_(last, "__down", quoted=True),
    ).from_(rows.subquery("r"))

    column = agg.column

    def at(rank: str) -> exp.Expr:
        return exp.Max(
            this=exp.Case(
                ifs=[
                    exp.If(
                        this=exp.EQ(this=_col(rank), expression=exp.Literal.number(1)),
                        true=_col(column),
                    )
                ]
            )
        )

    f, lst = at("__up"), at("__down")
    usable = exp.and_(
        exp.GTE(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(2)),
        exp.NEQ(this=f.copy(), expression=exp.Literal.number(0)),
    )
    ratio = exp.Div(
        this=exp.Mul(
            this=exp.Paren(this=exp.Sub(this=lst, expression=f.copy())),
            expression=exp.Literal.number("100.0"),
        ),
        expression=exp.Abs(this=f.copy()),
        typed=False,
        safe=False,
    )
    value = exp.Case(ifs=[exp.If(this=usable, true=_fixed(ratio))])
    return (
        exp.select(_col(KEY), exp.alias_(value, name, quoted=True))
        .from_(ranked.subquery("k"))
        .group_by(_col(KEY))
    )


def _comment(text: str) -> str:
    """Rule text made safe inside `/* … */`: one line (as a `--` comment) and no `*/`."""
    from .sql import comment_text  # (sql imports this module)

    return comment_text(text).replace("*/", "* /")


def enriched_query(
    model: Model,
    customers: str,
    tables: Mapping[str, str],
    as_of: dt.date | None,
    compile_rule: Callable[..., exp.Expr],
) -> exp.Select:
    """The customer table with one column per history aggregate (`aggregate_column`).

    `tables`: history id -> the table (or view) holding its rows. `compile_rule` is
    `sql.compile_rule` (passed in: that module imports this one)."""
    assert model.schema is not None and model.schema.key is not None
    key = model.schema.key
    now = as_of_expr(as_of)
    fields = derived_fields(model)
    for f in fields:
        if aggregate_column(f) in model.schema.fields:  # pragma: no cover - a 48-bit collision
            raise ValueError(f"a schema field is named {aggregate_column(f)}")
    sel = exp.select(exp.Column(this=exp.Star(), table=_ident(CUSTOMER))).from_(
        exp.alias_(exp.Table(this=_ident(customers)), CUSTOMER, quoted=True)
    )
    joins: list[tuple[str, exp.Select]] = []
    plain: dict[str, list[tuple[Field, Aggregate]]] = {}
    for f in fields:
        agg = f.aggregate
        assert agg is not None
        if agg.func in ("streak", "change"):
            h = model.histories[agg.table]
            build = _streak if agg.func == "streak" else _change
            joins.append(
                (
                    f"g{len(joins)}",
                    build(agg, h, tables[agg.table], now, aggregate_column(f), compile_rule),
                )
            )
        else:
            plain.setdefault(agg.table, []).append((f, agg))
    for table_id, items in plain.items():
        h = model.histories[table_id]
        scan = _scan(h, tables[table_id], now)
        for f, agg in items:
            cond = _row_condition(agg, h, now, compile_rule)
            scan = scan.select(
                exp.alias_(_plain(agg, h, cond, now), aggregate_column(f), quoted=True),
                copy=False,
            )
        # by the column, not its alias: Trino does not group by an output alias
        assert h.key is not None
        joins.append((f"g{len(joins)}", scan.group_by(_col(h.key), copy=False)))
    where_from: dict[str, str] = {}
    for alias, sub in joins:
        sel = sel.join(
            exp.alias_(exp.Subquery(this=sub), alias, quoted=True),
            on=exp.EQ(this=_col(key, CUSTOMER), expression=_col(KEY, alias)),
            join_type="LEFT",
            copy=False,
        )
        for e in sub.expressions:
            if e.alias and e.alias != KEY:
                where_from[e.alias] = alias
    for f in fields:
        agg = f.aggregate
        assert agg is not None
        name = aggregate_column(f)
        value: exp.Expr = _col(name, where_from[name])
        if agg.empty is not None:
            value = exp.func("COALESCE", value, exp.Literal.number(agg.empty))
        column = exp.alias_(value, name, quoted=True)
        # the rule text beside its opaque column name, for whoever reads `stratlang sql`
        column.add_comments([" " + _comment(f.name) + " "])
        sel = sel.select(column, copy=False)
    return sel
