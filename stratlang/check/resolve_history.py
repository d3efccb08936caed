"""Resolution of history tables (`history txn { … }`, docs/language.md §3.4).

A function of the `Resolver` (`r`), kept apart from `resolve.py` like `resolve_measures`: it
reports through `r.err` and reads field lines with `r.field_of`, as the schema does. The typing
of aggregates over these tables is in `check/types.py`; what each aggregate function takes is a
language fact (`language.AGGREGATES`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import diagnostics as dg
from .. import model as m
from ..syntax import ast

if TYPE_CHECKING:
    from .resolve import Resolver

CODE = "TYP308"
HOLDS = {"key": "the customer's key", "time": "the row's date"}
FORM = "`history txn { customer_id string key  at date time  amount money }`"


def build_history(r: Resolver, b: ast.Block) -> m.History:
    """The table's fields, its customer-key column and its time column (TYP308 when either is
    missing, given twice, or of the wrong type)."""
    assert b.id is not None  # collected declarations have an id
    name = b.id.name
    fields: dict[str, m.Field] = {}
    key: str | None = None
    time: str | None = None
    description: str | None = None
    for item in b.items:
        if isinstance(item, ast.Attribute):
            if item.name.name == "description" and isinstance(item.value, ast.Str):
                description = item.value.value
            else:
                r.err(
                    "NAM204",
                    f"unknown attribute `{item.name.name}` for a history table",
                    item.name.span,
                    "unknown attribute",
                    help=f"a history table holds field lines: {FORM}",
                )
            continue
        if not isinstance(item, ast.FieldLine):
            continue
        if item.name.name in fields:
            r.err(
                CODE,
                f"column `{item.name.name}` of history `{name}` is declared twice",
                item.name.span,
                "declared again",
                labels=_first(fields[item.name.name]),
            )
            continue
        f = r.field_of(item)
        if f is None:
            continue
        flags = {x.name for x in item.flags}
        if f.risk_tolerance:
            r.err(
                CODE,
                "`risk_tolerance` marks a field of the customer table, not of a history table",
                item.name.span,
                "not in a history",
                help="remove `risk_tolerance` here; keep it on the schema's field",
            )
        if "time" in flags:
            time = _one(r, name, "time", time, f, fields)
            if f.type != "date":
                r.err(
                    CODE,
                    f"the time column `{f.name}` of history `{name}` must be a date, not {f.type}",
                    item.type.span,
                    "not a date",
                    help="declare it `date`: windows such as `over 90d` count days back from the as-of day",
                )
        if f.key:
            key = _one(r, name, "key", key, f, fields)
            if f.optional:
                r.err(
                    CODE,
                    f"the key column `{f.name}` of history `{name}` cannot be `optional`",
                    item.name.span,
                    "optional key",
                    help="every row belongs to a customer: remove `optional`",
                )
        fields[f.name] = f
    for flag, what, example in (
        (key, "key", "customer_id string key"),
        (time, "time", "at date time"),
    ):
        if flag is None:
            r.err(
                CODE,
                f"history `{name}` has no `{what}` column",
                b.id.span,
                f"no {what} column",
                help=f"mark the column that holds {HOLDS[what]} with `{what}`, e.g. `{example}`",
            )
    return m.History(
        name,
        b.label.value if b.label else name,
        m._ro(fields),
        key,
        time,
        description,
        b.span,
        b,
    )


def _one(
    r: Resolver, table: str, flag: str, first: str | None, f: m.Field, fields: dict[str, m.Field]
) -> str:
    if first is not None:
        r.err(
            CODE,
            f"history `{table}` has two `{flag}` columns, `{first}` and `{f.name}`",
            f.span or fields[first].span,  # type: ignore[arg-type]
            f"second `{flag}` column",
            labels=_first(fields[first]),
            help=f"keep one `{flag}` column",
        )
        return first
    return f.name


def _first(f: m.Field) -> tuple[dg.Label, ...]:
    return (dg.Label(f.span, "first declared here"),) if f.span is not None else ()


def check_keys(r: Resolver, histories: dict[str, m.History], schema: m.Schema | None) -> None:
    """A history's key column must have the type of the customer table's key (TYP308)."""
    if schema is None or schema.key is None:
        for h in histories.values():
            if h.span is not None:
                r.err(
                    CODE,
                    f"history `{h.id}` needs a customer table: the project declares no schema "
                    "with a key",
                    h.span,
                    "no customers to join",
                    help="declare the customer table: `schema customer { id string key … }`",
                )
        return
    want = schema.fields[schema.key]
    for h in histories.values():
        if h.key is None:
            continue
        got = h.fields[h.key]
        if got.type != want.type and got.span is not None:
            r.err(
                CODE,
                f"the key column `{got.name}` of history `{h.id}` is {got.type}, but the customer "
                f"key `{want.name}` is {want.type}",
                got.span,
                "key types differ",
                labels=(dg.Label(want.span, "the customer key"),) if want.span else (),
                help=f"declare `{got.name} {want.type} key` so rows join the customer table",
            )
