"""Typing of rules against the schema, and the checks of dates and script placeholders.

`normalize(expr, schema)` checks a rule (`segment.rule`, a play's `when rule`) and returns its
normalized tree (the nodes of `stratlang.rules`: Cmp, Between, Member, IsMissing, IsTrue, All, Any,
Neg, Const) plus diagnostics (TYP301 unknown field, TYP302 type mismatch, TYP303 unknown enum
value). Resolution (`check.resolve`) calls it once per segment rule and rule trigger, reports the
diagnostics and stores the trees on the model; later stages read them there and never type a rule
again.

This module also checks (@check("TYP")) script placeholders (TYP306) and dates outside the strategy
period (TYP305: target deadlines, play and initiative periods).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol, Unpack

from .. import diagnostics as dg
from .. import language
from ..fmt.printer import operand as operand_text
from ..model import Field, History, Model, Schema, Target
from ..rules import (
    NODES,
    TRUE,
    All,
    Any,
    Between,
    Cmp,
    Const,
    IsMissing,
    IsTrue,
    Member,
    Neg,
    NExpr,
    type_name,
)
from ..rules import Aggregate as NAggregate
from ..rules import Value as RuleValue
from ..source import Span
from ..syntax import ast
from .registry import Context, check
from .util import MakeOptions
from .util import attr as _attr

NUMERIC = ("int", "float", "money", "percent")


# --------------------------------------------------------------------------- typing


def _lit_text(v: ast.Value) -> str:
    if isinstance(v, ast.Number):
        return v.raw
    if isinstance(v, ast.Str):
        return '"' + v.value + '"'
    if isinstance(v, ast.Name):
        return v.name
    if isinstance(v, (ast.Date, ast.Time, ast.Duration, ast.Invalid)):
        return v.raw
    return "this value"


class _Typer:
    def __init__(
        self,
        schema: Schema | History | None,
        what: str,
        histories: Mapping[str, History] | None = None,
        derived: dict[str, Field] | None = None,
    ) -> None:
        self.schema = schema
        self.what = what
        self.histories: Mapping[str, History] = histories or {}
        # the aggregates typed so far, project-wide (rule text -> derived field)
        self.derived: dict[str, Field] = derived if derived is not None else {}
        self.diags: list[dg.Diagnostic] = []
        self.ok = True
        self.no_schema_reported = False

    def err(
        self, code: str, message: str, span: Span, label: str = "", **kw: Unpack[MakeOptions]
    ) -> None:
        self.ok = False
        self.diags.append(dg.make(code, message, span, label, **kw))

    def field(self, name: ast.Name) -> Field | None:
        if self.schema is None:
            if not self.no_schema_reported:
                self.no_schema_reported = True
                self.err(
                    "TYP301",
                    f"`{name.name}` is not a field: the project declares no schema",
                    name.span,
                    "no schema to look this up in",
                    help="declare the customer table: `schema customer { id string key  "
                    f"{name.name} int … }}`",
                )
            else:
                self.ok = False
            return None
        f = self.schema.fields.get(name.name)
        if f is None:
            near = dg.closest(name.name, self.schema.fields)
            help: tuple[str, ...] = ()
            sugg: tuple[dg.Suggestion, ...] = ()
            if near:
                help = (f"did you mean `{near[0]}`? ({type_name(self.schema.fields[near[0]])})",)
                sugg = (
                    dg.Suggestion(
                        name.span,
                        near[0],
                        f"use `{near[0]}`",
                        dg.Applicability.MACHINE_APPLICABLE
                        if len(near) == 1
                        else dg.Applicability.MAYBE_INCORRECT,
                    ),
                )
            else:
                help = (
                    "the schema's fields are: " + ", ".join(f"`{n}`" for n in self.schema.fields),
                )
            self.err(
                "TYP301",
                f"unknown field `{name.name}` in {self.what}",
                name.span,
                "not a schema field",
                help=help,
                suggestions=sugg,
            )
        return f

    def mismatch(self, f: Field, v: ast.Value, expected: str, help: str | None = None) -> None:
        self.err(
            "TYP302",
            f"`{f.name}` is {article(type_name(f))} field, but `{_lit_text(v)}` is {expected}",
            v.span,
            "type mismatch",
            help=help or (),
        )

    def value(self, f: Field, v: ast.Value, ordered: bool) -> RuleValue:
        """Convert a literal compared with field `f`; None (after a diagnostic) when it does not fit."""
        t = f.type
        if isinstance(v, ast.Invalid):
            self.ok = False  # reported as SYN103
            return None
        if t in NUMERIC:
            if isinstance(v, ast.Number):
                if t == "percent" and not v.percent:
                    self.mismatch(
                        f,
                        v,
                        "a plain number",
                        help=f"`{f.name}` holds a percentage: write `{v.raw}%`",
                    )
                    return None
                if t != "percent" and v.percent:
                    self.mismatch(
                        f,
                        v,
                        "a percentage",
                        help=f"`{f.name}` is not a percentage; write the number without `%`",
                    )
                    return None
                return v.value
            self._wrong_kind(f, v)
            return None
        if t == "date":
            if isinstance(v, ast.Date):
                return v.value
            self._wrong_kind(
                f, v, help="write a date such as `2026-06-30` (or a quarter, `2026Q2`)"
            )
            return None
        if t == "bool":
            if ordered:
                self.err(
                    "TYP302",
                    f"`{f.name}` is a bool field and has no order",
                    v.span,
                    "cannot order a bool",
                    help=f"test the field itself (`{f.name}` or `not {f.name}`) or compare with `= true`",
                )
                return None
            if isinstance(v, ast.Name) and v.name in ("true", "false"):
                return v.name == "true"
            self._wrong_kind(
                f, v, help=f"compare with `true` or `false`, or write `{f.name}` alone"
            )
            return None
        if t == "string":
            if ordered:
                self.err(
                    "TYP302",
                    f"`{f.name}` is a string field; strings can only be tested with `=`, `!=`, `in`",
                    v.span,
                    "cannot order a string",
                    help="engines sort strings differently, so rules do not compare them by order",
                )
                return None
            if isinstance(v, ast.Str):
                return v.value
            if isinstance(v, ast.Name):
                self.mismatch(f, v, "a name", help=f'put text in quotes: `"{v.name}"`')
                return None
            self._wrong_kind(f, v)
            return None
        if t == "enum":
            if isinstance(v, ast.Name):
                if v.name in f.enum_values:
                    return f.enum_values.index(v.name)
                near = dg.closest(v.name, f.enum_values)
                help = ((f"did you mean `{near[0]}`?",) if near else ()) + (
                    f"`{f.name}` takes one of: " + ", ".join(f.enum_values),
                )
                sugg = (
                    (dg.Suggestion(v.span, near[0], f"use `{near[0]}`"),) if len(near) == 1 else ()
                )
                self.err(
                    "TYP303",
                    f"`{v.name}` is not a value of `{f.name}`",
                    v.span,
                    "unknown value",
                    help=help,
                    suggestions=sugg,
                )
                return None
            if isinstance(v, ast.Str) and v.value in f.enum_values:
                self.mismatch(
                    f, v, "a string", help=f"write enum values without quotes: `{v.value}`"
                )
                return None
            self._wrong_kind(f, v, help=f"`{f.name}` takes one of: " + ", ".join(f.enum_values))
            return None
        self.ok = False
        return None

    def _wrong_kind(self, f: Field, v: ast.Value, help: str | None = None) -> None:
        """TYP302: a literal of the wrong kind for the field."""
        kinds: dict[type[ast.Value], str] = {
            ast.Number: "a number",
            ast.Str: "a string",
            ast.Name: "a name",
            ast.Date: "a date",
            ast.Time: "a time",
            ast.Duration: "a duration",
            ast.Range: "a range",
        }
        kind = kinds.get(type(v), "a value")
        if isinstance(v, ast.Number) and v.percent:
            kind = "a percentage"
        if isinstance(v, ast.Name) and v.name in ("true", "false"):
            kind = "a bool"
        self.mismatch(f, v, kind, help=help)

    def expr(self, e: ast.Expr) -> NExpr:
        flat: list[NExpr]
        if isinstance(e, ast.And):
            items = [self.expr(o) for o in e.operands]
            flat = []
            for i in items:
                flat.extend(i.items if isinstance(i, All) else (i,))
            return All(tuple(flat), e.span)
        if isinstance(e, ast.Or):
            items = [self.expr(o) for o in e.operands]
            flat = []
            for i in items:
                flat.extend(i.items if isinstance(i, Any) else (i,))
            return Any(tuple(flat), e.span)
        if isinstance(e, ast.Not):
            inner = self.expr(e.operand)
            if isinstance(inner, Neg):  # not not x == x, also in three-valued logic
                return inner.item
            return Neg(inner, e.span)
        if isinstance(e.field, ast.Aggregate):
            f = self.aggregate(e.field)
            name = f.name if f is not None else operand_text(e.field)
        else:
            f = self.field(e.field)
            name = e.field.name
        if isinstance(e, ast.Compare):
            if f is None:
                return Const(True, e.span)
            val = self.value(f, e.value, e.op not in ("=", "!="))
            return Cmp(name, e.op, val, e.span)
        if isinstance(e, ast.Between):
            if f is None:
                return Const(True, e.span)
            if f.type in ("string", "bool"):
                self.err(
                    "TYP302",
                    f"`between` needs an ordered field, but `{name}` is {article(f.type)} field",
                    e.span,
                    "not ordered",
                    help=f"use `{name} in [...]`"
                    if f.type == "string"
                    else f"test `{name}` itself",
                )
                return Const(True, e.span)
            lo = self.value(f, e.low, True)
            hi = self.value(f, e.high, True)
            return Between(name, lo, hi, e.span)
        if isinstance(e, ast.In):
            if f is None:
                return Const(True, e.span)
            vals = tuple(self.value(f, v, False) for v in e.values)
            return Member(name, vals, e.negated, e.span)
        if isinstance(e, ast.Missing):
            if f is not None and not f.optional:
                pass  # legal, but constant for a required field; the solver reports empty rules (SEG501)
            return IsMissing(name, e.present, e.span)
        if isinstance(e, ast.BoolTest):
            if f is not None and f.type != "bool":
                self.err(
                    "TYP302",
                    f"`{name}` is {article(type_name(f))} field, not a bool; a bare field is a bool test",
                    e.span,
                    "not a bool",
                    help=f"compare it: `{name} > …`, `{name} = …`",
                )
            return IsTrue(name, e.span)
        self.ok = False
        return Const(True)

    # ---------------------------------------------------------------- history aggregates

    def aggregate(self, a: ast.Aggregate) -> Field | None:
        """Type `FUNC(TABLE…)` (TYP309 unknown table or column, TYP310 a part the function does
        not take or lacks); the result is a derived field named by the aggregate's rule text,
        shared by every rule that writes the same aggregate."""
        text = operand_text(a)
        known = self.derived.get(text)
        if known is not None:
            return known
        func = a.func.name
        spec = language.AGGREGATES[func]
        h = self.history(a.table)
        if h is None:
            return None
        column = self.aggregate_column(a, h, func, bool(spec["column"]))
        if spec["column"] and column is None:
            return None
        if not self.aggregate_parts(a, func, spec):
            return None
        where: NExpr | None = None
        if a.where is not None:
            sub = _Typer(h, f"the `where` of `{text}`")
            where = sub.expr(a.where)
            self.diags.extend(sub.diags)
            if not sub.ok:
                self.ok = False
                return None
        window = None
        if isinstance(a.window, ast.Duration):
            window = (a.window.amount, a.window.unit)
        empty = spec["empty"]
        typ = spec["type"] or self.result_type(func, column)
        minimum = spec["minimum"]
        agg = NAggregate(
            text,
            func,
            h.id,
            column.name if column is not None else None,
            where,
            window,
            a.trend,
            empty if isinstance(empty, int) else None,
        )
        f = Field(
            text,
            str(typ),
            column.enum_values if column is not None else (),
            optional=empty is None,
            span=a.span,
            aggregate=agg,
            minimum=minimum if isinstance(minimum, int) else None,
        )
        self.derived[text] = f
        return f

    @staticmethod
    def result_type(func: str, column: Field | None) -> str:
        assert column is not None  # functions without a column have a fixed type
        if func == "avg" and column.type == "int":
            return "float"
        return column.type

    def history(self, name: ast.Name) -> History | None:
        h = self.histories.get(name.name)
        if h is not None:
            return h
        near = dg.closest(name.name, self.histories)
        if near:
            help: tuple[str, ...] = (f"did you mean `{near[0]}`?",)
        elif self.histories:
            help = ("the history tables are: " + ", ".join(f"`{n}`" for n in self.histories),)
        else:
            help = (
                "declare the table first: `history txn { customer_id string key  at date time  "
                "amount money }`",
            )
        self.err(
            "TYP309",
            f"unknown history table `{name.name}` in {self.what}",
            name.span,
            "not a history table",
            help=help,
            suggestions=(dg.Suggestion(name.span, near[0], f"use `{near[0]}`"),)
            if len(near) == 1
            else (),
        )
        return None

    def aggregate_column(
        self, a: ast.Aggregate, h: History, func: str, wanted: bool
    ) -> Field | None:
        if a.column is None:
            if wanted:
                self.err(
                    "TYP310",
                    f"`{func}` needs a column of `{h.id}`",
                    a.span,
                    "no column",
                    help=f"name the column: `{func}({h.id}.{_numeric_example(h)} …)`",
                )
            return None
        if not wanted:
            self.err(
                "TYP310",
                f"`{func}` takes a table, not a column",
                a.column.span,
                "no column here",
                help=f"write `{_form(func, h.id)}`"
                + (" (and `where …` to pick rows)" if func == "count" else ""),
            )
            return None
        f = h.fields.get(a.column.name)
        if f is None:
            near = dg.closest(a.column.name, h.fields)
            self.err(
                "TYP309",
                f"history `{h.id}` has no column `{a.column.name}`",
                a.column.span,
                "unknown column",
                help=(f"did you mean `{near[0]}`?",)
                if near
                else ("its columns are: " + ", ".join(f"`{n}`" for n in h.fields),),
                suggestions=(dg.Suggestion(a.column.span, near[0], f"use `{near[0]}`"),)
                if len(near) == 1
                else (),
            )
            return None
        if f.type not in NUMERIC:
            self.err(
                "TYP310",
                f"`{func}` needs a number column, but `{h.id}.{f.name}` is {article(type_name(f))}",
                a.column.span,
                "not a number",
                help=f"count rows instead: `count({h.id} where {f.name} = …)`"
                if f.type in ("enum", "bool", "string")
                else f"use a number column of `{h.id}`",
            )
            return None
        return f

    def aggregate_parts(self, a: ast.Aggregate, func: str, spec: Mapping[str, object]) -> bool:
        """`last`, `increasing`/`decreasing` and `over` where the function takes them (TYP310)."""
        form = _form(func, a.table.name)
        if bool(spec.get("last")) != a.last:
            self.err(
                "TYP310",
                f"`last` is written with `days_since` only: `{form}`"
                if a.last
                else f"write `{form}`: the days since the last row",
                a.span,
                "`last`" if a.last else "`last` missing",
            )
            return False
        if bool(spec.get("trend")) != (a.trend is not None):
            self.err(
                "TYP310",
                f"`{a.trend}` is written with `streak` only"
                if a.trend
                else "`streak` needs a direction: `increasing` or `decreasing`",
                a.span,
                "direction" if a.trend else "no direction",
                help=f"write `{form}`",
            )
            return False
        if a.window is None:
            return True
        if not spec["window"]:
            self.err(
                "TYP310",
                f"`{func}` takes no window",
                a.window.span,
                "no window here",
                help=f"write `{form}`; to look at recent rows only, count them: "
                f"`count({a.table.name} over 30d) = 0`",
            )
            return False
        if isinstance(a.window, ast.Invalid):
            self.ok = False  # reported as SYN103
            return False
        if (
            not isinstance(a.window, ast.Duration)
            or a.window.unit not in language.WINDOW_UNITS
            or not 0 < a.window.days <= language.MAX_WINDOW_DAYS
        ):
            self.err(
                "TYP310",
                f"`over {_lit_text(a.window)}` is not a window",
                a.window.span,
                "not a window",
                help="write a positive number of days, weeks, months or years, at most 100 years: "
                "`over 90d`, `over 12w`, `over 6mo`, `over 1y` (a history's time is a date)",
            )
            return False
        return True


def _form(func: str, table: str) -> str:
    """How a function is written, for messages."""
    return {
        "count": f"count({table} where … over 30d)",
        "days_since": f"days_since(last {table})",
        "streak": f"streak({table}.COLUMN increasing)",
    }.get(func, f"{func}({table}.COLUMN over 90d)")


def _numeric_example(h: History) -> str:
    for f in h.fields.values():
        if f.type in NUMERIC and not f.key:
            return f.name
    return "COLUMN"


def article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def normalize(
    expr: ast.Expr | NExpr | None,
    schema: Schema | History | None,
    what: str = "a rule",
    histories: Mapping[str, History] | None = None,
    derived: dict[str, Field] | None = None,
) -> tuple[NExpr | None, list[dg.Diagnostic]]:
    """Type a rule AST against the schema (and the history tables its aggregates read; each
    aggregate typed is added to `derived`). Returns (normalized rule or None if it has errors,
    diagnostics)."""
    if expr is None:
        return TRUE, []
    if isinstance(expr, NODES):  # already normalized
        return expr, []
    t = _Typer(schema, what, histories, derived)
    out = t.expr(expr)
    return (out if t.ok else None), t.diags


# --------------------------------------------------------------------------- checks


PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
OTHER_PLACEHOLDERS = ("offer.label", "segment.label", "strategy.owner", "channel.label")


def _placeholder_spans(ctx: Context | None, span: Span | None, count: int) -> list[Span] | None:
    """Spans of the placeholders inside a string literal's source text (None when unsure)."""
    if ctx is None or span is None or ctx.sources is None:
        return None
    src = ctx.sources.get(span.file)
    if src is None:
        return None
    raw = src.text[span.start : span.end]
    found = list(PLACEHOLDER.finditer(raw))
    if len(found) != count:
        return None
    return [src.span(span.start + m.start(), span.start + m.end()) for m in found]


@check("TYP")
def placeholders(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    fields: Mapping[str, Field] = model.schema.fields if model.schema is not None else {}
    allowed = [f"customer.{f}" for f in fields] + list(OTHER_PLACEHOLDERS)
    for script in model.scripts.values():
        texts = list(script.sections.values())
        for st in texts:
            if st.span is None:  # a text not from source (a model built by hand): nowhere to point
                continue
            matches = list(PLACEHOLDER.finditer(st.text))
            if not matches:
                continue
            spans = _placeholder_spans(ctx, st.span, len(matches))
            for i, mt in enumerate(matches):
                name = mt.group(1)
                if name in allowed:
                    continue
                span = spans[i] if spans else st.span
                near = dg.closest(name, allowed)
                if name.startswith("customer.") and model.schema is None:
                    help = (
                        "declare a `schema` so `{{ customer.FIELD }}` placeholders can be checked",
                    )
                elif near:
                    help = (f"did you mean `{{{{ {near[0]} }}}}`?",)
                else:
                    help = (
                        "placeholders are `{{ customer.FIELD }}`, `{{ offer.label }}`, `{{ segment.label }}`, "
                        "`{{ strategy.owner }}` and `{{ channel.label }}`",
                    )
                what = "field" if name.startswith("customer.") else "placeholder"
                sugg: tuple[dg.Suggestion, ...] = ()
                if near and len(near) == 1 and spans:
                    sugg = (dg.Suggestion(span, "{{ " + near[0] + " }}", f"use `{near[0]}`"),)
                msg = (
                    f"unknown customer field `{name[len('customer.') :]}` in placeholder `{{{{ {name} }}}}`"
                    if what == "field"
                    else f"unknown placeholder `{{{{ {name} }}}}` in script `{script.id}`"
                )
                yield dg.make(
                    "TYP306", msg, span, "unknown placeholder", help=help, suggestions=sugg
                )


class _Dated(Protocol):
    """A play or an initiative: what has a `period`."""

    @property
    def id(self) -> str: ...

    @property
    def period(self) -> tuple[dt.date, dt.date] | None: ...

    @property
    def node(self) -> ast.Block | None: ...


@check("TYP")
def dates_in_period(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    period = model.strategy.period
    if period is None:
        return
    lo, hi = period
    text = f"{lo.isoformat()} .. {hi.isoformat()}"
    help = f"the strategy period is {text}; move the date inside it or widen the strategy `period`"

    def targets(owner_kind: str, owner_id: str, tlist: Sequence[Target]) -> Iterator[dg.Diagnostic]:
        for t in tlist:
            if t.by is None or t.node is None or t.node.by is None:
                continue
            if t.by < lo or t.by > hi:
                where = "before the strategy starts" if t.by < lo else "after the strategy ends"
                yield dg.make(
                    "TYP305",
                    f"deadline of target `{t.id}` of {owner_kind} `{owner_id}` is {where}",
                    t.node.by.span,
                    f"outside {text}",
                    help=help,
                )

    for o in model.objectives.values():
        yield from targets("objective", o.id, o.targets)
    for p in model.plays.values():
        yield from targets("play", p.id, p.targets)
    dated: tuple[tuple[str, Mapping[str, _Dated]], ...] = (
        ("play", model.plays),
        ("initiative", model.initiatives),
    )
    for kind, coll in dated:
        for el in coll.values():
            if el.period is None:
                continue
            a = _attr(el.node, "period")
            if a is None or not isinstance(a.value, ast.Range):
                continue
            plo, phi = el.period
            if plo < lo:
                yield dg.make(
                    "TYP305",
                    f"period of {kind} `{el.id}` starts before the strategy period",
                    a.value.low.span,
                    f"before {lo.isoformat()}",
                    help=help,
                )
            if phi > hi:
                yield dg.make(
                    "TYP305",
                    f"period of {kind} `{el.id}` ends after the strategy period",
                    a.value.high.span,
                    f"after {hi.isoformat()}",
                    help=help,
                )
