"""Names and attributes: AST files -> Model + diagnostics.

One project-wide namespace of ids (NAM202 for duplicates), references resolved against the kind
they need (NAM201 with did-you-mean among ids of that kind, NAM203 for the wrong kind),
attributes read against a table per declaration kind (NAM204 unknown, NAM205 missing, NAM207
given twice) and typed (TYP302 wrong type, TYP303 unknown value, TYP304 wrong unit, TYP305 bad
range, TYP307 schema problems). Rules are typed here, once (`type_rules`, with `check.types`):
the model holds each rule as written and as its typed tree (TYP301–TYP303 are reported here).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, Unpack, cast, overload

from .. import diagnostics as dg
from .. import language
from .. import model as m
from ..language import FIELD_TYPES, LIFECYCLES, LOCALES, ONE_OF, PROFILE_KEYS, SCHEDULES
from ..rules import NExpr
from ..source import Span
from ..syntax import ast
from . import resolve_governance as rg
from . import resolve_history as rh
from . import resolve_measures as rm
from . import resolve_units as ru
from . import suggest
from .resolve_cache import BuildCache, Built, Decls, Kept, Touched, move_span, typing_key
from .types import normalize
from .util import MakeOptions, replace_with

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# The attribute tables and value sets are the language's facts (stratlang/language.py).
# Repeatable line items: AST class -> (word, kinds that take it).
LINE_ITEMS: dict[type[ast.Item], tuple[str, tuple[str, ...]]] = {
    ast.TargetLine: ("target", language.LINE_ITEMS["target"]),
    ast.MeasureLine: ("measure", language.LINE_ITEMS["measure"]),
    ast.StepLine: ("step", language.LINE_ITEMS["step"]),
    ast.ObjectionLine: ("objection", language.LINE_ITEMS["objection"]),
    ast.LimitLine: ("at", language.LINE_ITEMS["at"]),
    ast.ConsentLine: ("consent", language.LINE_ITEMS["consent"]),
    ast.VariantLine: ("variant", language.LINE_ITEMS["variant"]),
}
KIND_WORD = {
    "perspective": "perspective",
    "theme": "theme",
    "segment": "segment",
    "objective": "objective",
    "offer": "offer",
    "channel": "channel",
    "script": "script",
    "event": "event",
    "play": "play",
}


SUGGEST_BUDGET = 200_000  # candidate ids compared for did-you-mean suggestions, per project
MAX_SUGGESTED = 64  # longer names get no suggestion (the edit distance costs length²)


def article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


# attribute -> (type, required) for a declaration kind; one table per kind (read-only), not one
# built per block read (4,000 blocks: 20 ms)
spec_of = functools.cache(language.attributes_of)

AttrNode: TypeAlias = ast.Attribute | ast.SubBlock  # what `read` returns per attribute name

# `conv`'s attribute types (language.ATTRIBUTES), grouped by what they convert to. A new type
# goes into one of these (or gets an overload of its own); otherwise `conv` gives `object`.
TextType: TypeAlias = Literal[
    "str",
    "color",
    "locale",
    "currency",
    "risk",
    "ref:perspective",
    "ref:theme",
    "ref:segment",
    "ref:offer",
    "ref:channel",
    "ref:event",
    "ref:objective",
    "ref:initiative",
    "one:value_proposition",
    "one:objective_kind",
    "one:lifecycle",
    "one:offer_kind",
    "one:channel_kind",
    "one:cadence",
]
TextsType: TypeAlias = Literal["strs", "refs:objective", "refs:segment", "refs:initiative"]
NumberType: TypeAlias = Literal["money", "count", "percent"]


def value_text(v: ast.Value) -> str:
    if isinstance(v, (ast.Number, ast.Date, ast.Time, ast.Duration, ast.Invalid)):
        return v.raw
    if isinstance(v, ast.Name):
        return v.name
    if isinstance(v, ast.Str):
        return v.value
    return ""


@dataclass
class _Decl:
    kind: str
    block: ast.Block


def _id(b: ast.Block) -> ast.Name:
    """The id of a declared block (`collect` keeps only blocks that have one)."""
    assert b.id is not None, "a declaration without an id is never collected"
    return b.id


def _labels(span: Span | None, text: str) -> tuple[dg.Label, ...]:
    """A label at `span` (what resolution builds from source always has one)."""
    return (dg.Label(span, text),) if span is not None else ()


class Resolver:
    def __init__(
        self,
        files: Sequence[ast.File],
        syntax_errors: bool = False,
        cache: BuildCache | None = None,
    ) -> None:
        self.files = files
        self.syntax_errors = syntax_errors  # a broken block may be the missing one: no NAM205 noise
        self.broken_ids = {i for f in files for i in f.broken_ids}
        self.diags: list[dg.Diagnostic] = []
        self.decls: dict[str, _Decl] = {}
        self.strategy_block: ast.Block | None = None
        self.perspectives_block: ast.Block | None = None
        self.schema_block: ast.Block | None = None
        self.link_nodes: list[ast.Link] = []
        self.perspective_ids: dict[str, m.Perspective] = {}
        self.risk_values: tuple[str, ...] | None = None
        self.strategy_period: tuple[dt.date, dt.date] | None = None
        self.parent_link: m.ParentLink | None = None  # the strategy's `parent`
        self.strategy_unit: str | None = None  # the strategy's `unit`
        self._ids: dict[str, list[str]] | None = None  # kind -> ids
        self.suggest_budget = SUGGEST_BUDGET
        self.cache = cache

    # ------------------------------------------------------------------ did you mean

    def ids_of(self, kind: str) -> list[str]:
        """The declared ids of a kind (grouped once, not per reference)."""
        if self._ids is None or sum(map(len, self._ids.values())) != len(self.decls):
            self._ids = {}
            for i, x in self.decls.items():
                self._ids.setdefault(x.kind, []).append(i)
        return self._ids.get(kind, [])

    def closest(self, name: str, candidates: Collection[str]) -> list[str]:
        """`dg.closest` within the project's budget: each search compares the name with every
        candidate, so thousands of undefined names among thousands of ids would grow with their
        product (6,000 typos among 3,000 objectives took 150 s). Past the budget, and for names no
        one types by hand, there is no suggestion."""
        if self.suggest_budget <= 0 or len(name) > MAX_SUGGESTED:
            return []
        self.suggest_budget -= len(candidates)
        return suggest.closest(name, candidates)

    # ------------------------------------------------------------------ reporting

    def err(
        self, code: str, message: str, span: Span, label: str = "", **kw: Unpack[MakeOptions]
    ) -> None:
        self.diags.append(dg.make(code, message, span, label, **kw))

    # ------------------------------------------------------------------ pass 1: declarations

    def collect(self) -> None:
        for f in self.files:
            for d in f.decls:
                if isinstance(d, ast.Link):
                    self.link_nodes.append(d)
                elif isinstance(d, ast.Block):
                    if d.kind in ("strategy", "perspectives"):
                        first = (
                            self.strategy_block if d.kind == "strategy" else self.perspectives_block
                        )
                        if first is not None:
                            self.err(
                                "NAM202",
                                f"`{d.kind}` declared twice",
                                d.kind_span,
                                "declared again here",
                                labels=(dg.Label(first.kind_span, "first declared here"),),
                                help=f"a project has one `{d.kind}` block",
                            )
                            continue
                        if d.kind == "strategy":
                            self.strategy_block = d
                        else:
                            self.perspectives_block = d
                        continue
                    if d.id is None:
                        continue
                    if d.kind == "schema":
                        if self.schema_block is not None:
                            self.err(
                                "TYP307",
                                "a project has one schema; this is a second one",
                                d.id.span,
                                "second schema",
                                labels=(
                                    dg.Label(_id(self.schema_block).span, "first schema here"),
                                ),
                                help="put every customer field into one `schema` block",
                            )
                            continue
                        self.schema_block = d
                    prev = self.decls.get(d.id.name)
                    if prev is not None:
                        self.err(
                            "NAM202",
                            f"`{d.id.name}` is declared twice",
                            d.id.span,
                            "declared again here",
                            labels=(
                                dg.Label(
                                    _id(prev.block).span,
                                    f"first declared here as {article(prev.kind)}",
                                ),
                            ),
                            help="ids are project-wide: rename one of them",
                        )
                        continue
                    self.decls[d.id.name] = _Decl(d.kind, d)

    # ------------------------------------------------------------------ references

    def ref(self, name: ast.Name, kind: str) -> str | None:
        if kind == "perspective":
            if name.name in self.perspective_ids:
                return name.name
            self._undefined(name, kind, list(self.perspective_ids))
            return None
        d = self.decls.get(name.name)
        if d is None:
            if name.name in self.perspective_ids and kind != "perspective":
                pass
            self._undefined(name, kind, self.ids_of(kind))
            return None
        if d.kind != kind:
            self.err(
                "NAM203",
                f"`{name.name}` is {article(d.kind)}, but this needs {article(kind)}",
                name.span,
                f"not {article(kind)}",
                labels=(dg.Label(_id(d.block).span, f"`{name.name}` is declared here"),),
                help=self._kind_help(name, kind),
            )
            return None
        return name.name

    def _kind_help(self, name: ast.Name, kind: str) -> tuple[str, ...]:
        near = self.closest(name.name, self.ids_of(kind))
        if near:
            return (f"did you mean the {kind} `{near[0]}`?",)
        return ()

    def _undefined(self, name: ast.Name, kind: str, candidates: Collection[str]) -> None:
        if name.name in self.broken_ids:
            return None  # declared in a block that did not parse: the syntax error says enough
        near = self.closest(name.name, candidates)
        helps: list[str] = []
        sugg: list[dg.Suggestion] = []
        if near:
            where = ""
            d = self.decls.get(near[0])
            if d is not None:
                where = f" (defined at {_id(d.block).span})"
            elif near[0] in self.perspective_ids and self.perspective_ids[near[0]].span is not None:
                where = f" (defined at {self.perspective_ids[near[0]].span})"
            helps.append(f"did you mean `{near[0]}`?{where}")
            sugg.append(
                dg.Suggestion(
                    name.span,
                    near[0],
                    f"replace with `{near[0]}`",
                    dg.Applicability.MACHINE_APPLICABLE
                    if len(near) == 1
                    else dg.Applicability.MAYBE_INCORRECT,
                )
            )
        elif kind == "perspective":
            helps.append("perspectives are " + ", ".join(f"`{p}`" for p in self.perspective_ids))
        self.err(
            "NAM201",
            f"undefined {kind} `{name.name}`",
            name.span,
            "not defined",
            help=tuple(helps),
            suggestions=tuple(sugg),
        )
        return None

    # ------------------------------------------------------------------ attributes

    def read(self, block: ast.Block) -> tuple[dict[str, AttrNode], list[ast.Item]]:
        """Check a block's attributes against its kind; returns (attributes by name, line items:
        the items of the classes in LINE_ITEMS)."""
        spec = spec_of(block.kind)
        attrs: dict[str, AttrNode] = {}
        lines: list[ast.Item] = []
        for item in block.items:
            if type(item) in LINE_ITEMS:
                word, kinds = LINE_ITEMS[type(item)]
                if block.kind in kinds:
                    lines.append(item)
                else:
                    kw_span = Span(
                        item.span.file,
                        item.span.start,
                        item.span.start + len(word),
                        item.span.line,
                        item.span.column,
                        item.span.line,
                        item.span.column + len(word),
                    )
                    self.err(
                        "NAM204",
                        f"`{word}` lines are not allowed in {article(block.kind)}",
                        kw_span,
                        "not allowed here",
                        help=f"`{word}` lines belong in " + " and ".join(f"`{k}`" for k in kinds),
                    )
                continue
            if not isinstance(item, (ast.Attribute, ast.SubBlock)):
                continue
            name = item.name.name
            if name not in spec:
                self.unknown_attribute(item.name, article(block.kind), sorted(spec))
                continue
            if name in attrs:
                self.given_twice(
                    item.name,
                    attrs[name].name,
                    ", or list several values separated by commas"
                    if spec[name][0].startswith("refs")
                    else "",
                )
                continue
            if isinstance(item, ast.SubBlock) and spec[name][0] != "profile":
                self.err(
                    "TYP302", f"`{name}` takes a value, not a block", item.name.span, "not a block"
                )
                continue
            attrs[name] = item
        for name, (_, required) in spec.items():
            if required and name not in attrs:
                if block.kind == "segment" and name == "rule":
                    continue
                self._missing(block, name)
        return attrs, lines

    def unknown_attribute(self, name: ast.Name, owner: str, names: Sequence[str]) -> None:
        """NAM204 for an attribute `owner` ("a play") does not take, with the closest name."""
        near = dg.closest(name.name, names)
        self.err(
            "NAM204",
            f"unknown attribute `{name.name}` for {owner}",
            name.span,
            "unknown attribute",
            help=(f"did you mean `{near[0]}`?",)
            if near
            else (f"{owner} takes: " + ", ".join(names),),
            suggestions=replace_with(name.span, near),
        )

    def given_twice(self, name: ast.Name, first: ast.Name, more_help: str = "") -> None:
        self.err(
            "NAM207",
            f"`{name.name}` is given twice",
            name.span,
            "given again here",
            labels=(dg.Label(first.span, "first given here"),),
            help="keep one of them" + more_help,
        )

    def _missing(self, block: ast.Block, what: str, help: str | None = None) -> None:
        who = f"{block.kind} `{block.id.name}`" if block.id else f"`{block.kind}`"
        span = block.id.span if block.id else block.kind_span
        self.err(
            "NAM205",
            f"{who} has no `{what}`",
            span,
            f"`{what}` missing",
            help=help or f"add `{what} …` inside the block",
        )

    # ------------------------------------------------------------------ typed values

    @overload
    def conv(self, attr: AttrNode | None, typ: TextType, what: str | None = None) -> str | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: TextsType, what: str | None = None
    ) -> tuple[str, ...] | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: NumberType, what: str | None = None
    ) -> int | float | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["int"], what: str | None = None
    ) -> int | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["bool"], what: str | None = None
    ) -> bool | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["date_range"], what: str | None = None
    ) -> tuple[dt.date, dt.date] | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["time_range"], what: str | None = None
    ) -> tuple[dt.time, dt.time] | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["capacity"], what: str | None = None
    ) -> m.Capacity | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["cap"], what: str | None = None
    ) -> tuple[int, float] | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["codes"], what: str | None = None
    ) -> frozenset[str] | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["rule"], what: str | None = None
    ) -> ast.Expr | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["trigger"], what: str | None = None
    ) -> ast.Trigger | None: ...
    @overload
    def conv(
        self, attr: AttrNode | None, typ: Literal["profile"], what: str | None = None
    ) -> dict[str, str] | None: ...
    @overload
    def conv(self, attr: AttrNode | None, typ: str, what: str | None = None) -> object: ...
    def conv(self, attr: AttrNode | None, typ: str, what: str | None = None) -> object:
        """Convert an attribute's value to its type; None (after a diagnostic) when it does not fit."""
        if attr is None:
            return None
        if isinstance(attr, ast.SubBlock):
            return self.profile(attr)
        v = attr.value
        what = what or attr.name.name
        if isinstance(v, ast.Invalid):
            return None
        if typ == "str" or typ == "color":
            if isinstance(v, ast.Str):
                if typ == "color" and not _is_color(v.value):
                    self.err(
                        "TYP302",
                        f"`{v.value}` is not a colour",
                        v.span,
                        "not a colour",
                        help='write a colour as `"#2b6cb0"` (#rgb or #rrggbb)',
                    )
                    return None
                return v.value
            self._type_error(v, what, "a string", quote=True)
            return None
        if typ == "strs":
            items = v.items if isinstance(v, ast.ListValue) else (v,)
            out: list[str] = []
            for it in items:
                if not isinstance(it, ast.Str):
                    self._type_error(it, what, "strings separated by commas", quote=True)
                    return None
                out.append(it.value)
            return tuple(out)
        if typ.startswith("ref:"):
            if isinstance(v, ast.Name):
                return self.ref(v, typ[4:])
            self._type_error(v, what, f"{article(typ[4:])} id")
            return None
        if typ.startswith("refs:"):
            items = v.items if isinstance(v, ast.ListValue) else (v,)
            out = []
            for it in items:
                if not isinstance(it, ast.Name):
                    self._type_error(it, what, f"{typ[5:]} ids separated by commas")
                    continue
                r = self.ref(it, typ[5:])
                if r is not None and r not in out:
                    out.append(r)
            return tuple(out)
        if typ.startswith("one:"):
            options = ONE_OF[typ[4:]]
            return self.one_of(v, what, options)
        if typ == "locale":
            text = (
                v.name if isinstance(v, ast.Name) else v.value if isinstance(v, ast.Str) else None
            )
            if text in LOCALES:
                return text
            self._unknown_value(v, what, LOCALES, text)
            return None
        if typ == "currency":
            if (
                isinstance(v, ast.Name)
                and len(v.name) == 3
                and v.name.isascii()
                and v.name.isupper()
            ):
                return v.name
            self._type_error(v, what, "a three-letter currency code such as `CNY` or `USD`")
            return None
        if typ == "bool":
            if isinstance(v, ast.Name) and v.name in ("true", "false"):
                return v.name == "true"
            self._type_error(v, what, "`true` or `false`")
            return None
        if typ in ("money", "count", "int", "percent"):
            return self.number(v, what, typ)
        if typ == "date_range":
            return self.date_range(v, what)
        if typ == "time_range":
            if (
                isinstance(v, ast.Range)
                and isinstance(v.low, ast.Time)
                and isinstance(v.high, ast.Time)
            ):
                return (dt.time(v.low.hour, v.low.minute), dt.time(v.high.hour, v.high.minute))
            self._type_error(v, what, "a time range such as `21:00 .. 09:00`")
            return None
        if typ == "capacity":
            if isinstance(v, ast.Name) and v.name == "unlimited":
                return m.Capacity(None)
            if (
                isinstance(v, ast.Rate)
                and isinstance(v.per, ast.Name)
                and v.per.name in ("day", "week")
            ):
                n = self.number(v.amount, what, "count")
                return m.Capacity(n, v.per.name) if n is not None else None
            if isinstance(v, ast.Number) and v.percent:
                self._unit_error(
                    v, what, "a number of contacts `per day` or `per week`, or `unlimited`"
                )
                return None
            if isinstance(v, ast.Number):
                self._unit_error(
                    v,
                    what,
                    "a number of contacts `per day` or `per week`",
                    help=f"write `{v.raw} per day`",
                )
                return None
            self._type_error(v, what, "`N per day`, `N per week` or `unlimited`")
            return None
        if typ == "cap":
            if isinstance(v, ast.Rate) and isinstance(v.per, ast.Duration):
                n = self.number(v.amount, what, "int")
                return (n, v.per.days) if n is not None else None
            if isinstance(v, ast.Number):
                self._unit_error(
                    v, what, "a number of contacts per period", help=f"write `{v.raw} per 30d`"
                )
                return None
            self._type_error(v, what, "`N per DURATION`, e.g. `2 per 30d`")
            return None
        if typ == "timezone":
            return rg.zone_name(self, v, what)
        if typ == "codes":
            return self.codes(v)
        if typ == "risk":
            return self.risk(v, what)
        if typ == "rule":
            if isinstance(v, (ast.Or, ast.And, ast.Not) + ast.TESTS):
                return v
            return None
        if typ == "trigger":
            return v if isinstance(v, ast.Trigger) else None
        if typ == "profile":  # `profile x`: a value where a block belongs
            self._type_error(
                v,
                what,
                "a block, not a value",
                help='write `profile { demographic "…"  needs "…" }`',
            )
            return None
        raise AssertionError(typ)

    def _type_error(
        self, v: ast.Value, what: str, expected: str, quote: bool = False, help: str | None = None
    ) -> None:
        sugg: tuple[dg.Suggestion, ...] = ()
        if quote and isinstance(v, (ast.Name, ast.Number, ast.Date)):
            text = value_text(v)
            help = help or f'write it in quotes: `"{text}"`'
            sugg = (dg.Suggestion(v.span, f'"{text}"', "quote it"),)
        self.err(
            "TYP302",
            f"`{what}` takes {expected}",
            v.span,
            "wrong type of value",
            help=(help,) if help else (),
            suggestions=sugg,
        )
        return None

    def _unit_error(self, v: ast.Value, what: str, expected: str, help: str | None = None) -> None:
        self.err(
            "TYP304",
            f"`{what}` takes {expected}; `{value_text(v)}` does not fit",
            v.span,
            "wrong unit",
            help=(help,) if help else (),
        )
        return None

    def _unknown_value(
        self, v: ast.Value, what: str, options: Sequence[str], text: str | None = None
    ) -> None:
        text = text if text is not None else value_text(v)
        near = dg.closest(text or "", options)
        self.err(
            "TYP303",
            f"`{text}` is not a value of `{what}`",
            v.span,
            "unknown value",
            help=(f"did you mean `{near[0]}`?",)
            if near
            else ("it is one of " + ", ".join(f"`{o}`" for o in options),),
            suggestions=(
                dg.Suggestion(
                    v.span,
                    near[0],
                    f"replace with `{near[0]}`",
                    dg.Applicability.MACHINE_APPLICABLE
                    if len(near) == 1
                    else dg.Applicability.MAYBE_INCORRECT,
                ),
            )
            if near
            else (),
        )
        return None

    def one_of(self, v: ast.Value, what: str, options: Sequence[str]) -> str | None:
        if isinstance(v, ast.Name) and v.name in options:
            return v.name
        if isinstance(v, ast.Name):
            self._unknown_value(v, what, options)
            return None
        self._type_error(v, what, "one of " + ", ".join(f"`{o}`" for o in options))
        return None

    @overload
    def number(self, v: ast.Value, what: str, typ: Literal["int"]) -> int | None: ...
    @overload
    def number(self, v: ast.Value, what: str, typ: str) -> int | float | None: ...
    def number(self, v: ast.Value, what: str, typ: str) -> int | float | None:
        if not isinstance(v, ast.Number):
            word = {
                "money": "an amount of money",
                "count": "a number",
                "int": "a whole number",
                "percent": "a percentage such as `10%`",
            }[typ]
            self._type_error(v, what, word)
            return None
        if typ == "percent":
            if not v.percent:
                self._unit_error(
                    v,
                    what,
                    "a percentage such as `10%`",
                    help=None if v.scaled else f"write `{v.raw}%`",
                )
                return None
            if not 0 <= v.value <= 100:
                self._unit_error(v, what, "a percentage between 0% and 100%")
                return None
            return v.value
        if v.percent:
            word = {"money": "an amount of money", "count": "a count", "int": "a whole number"}[typ]
            self._unit_error(v, what, f"{word}, not a percentage")
            return None
        if typ == "int" and not isinstance(v.value, int):
            self._type_error(v, what, "a whole number")
            return None
        return v.value

    def quantity(self, v: ast.Value) -> m.Quantity | None:
        """A target, milestone, baseline or review value: a number (with `%` a percentage), a
        ratio `a:b` (kept as b/a, output per unit of input) or a multiple `5x`."""
        if isinstance(v, ast.Number):
            return m.Quantity(v.value, "percent" if v.percent else "number", v.raw)
        if isinstance(v, ast.Ratio):
            if v.left == 0:
                self.err(
                    "TYP305",
                    f"ratio `{v.raw}` has 0 on the left: nothing is put in",
                    v.span,
                    "input of 0",
                    help="a ratio `1:1.2` reads one unit in, 1.2 out",
                )
                return None
            return m.Quantity(v.right / v.left, "ratio", v.raw)
        if isinstance(v, ast.Multiple):
            return m.Quantity(v.value, "multiple", v.raw)
        if isinstance(v, ast.Invalid):
            return None
        self.err(
            "TYP302",
            "a target value is a number, optionally with `%`, `万`, `亿`, `k` or `m`, a ratio "
            "such as `1:1.2` or a multiple such as `5x`",
            v.span,
            "not a number",
        )
        return None

    def date(self, v: ast.Value, what: str) -> dt.date | None:
        if isinstance(v, ast.Date):
            return v.value
        if isinstance(v, ast.Invalid):
            return None
        self._type_error(v, what, "a date (2026-12-31) or a quarter (2026Q4)")
        return None

    def date_range(self, v: ast.Value, what: str) -> tuple[dt.date, dt.date] | None:
        if not (
            isinstance(v, ast.Range)
            and isinstance(v.low, ast.Date)
            and isinstance(v.high, ast.Date)
        ):
            if isinstance(v, ast.Range) and (
                isinstance(v.low, ast.Invalid) or isinstance(v.high, ast.Invalid)
            ):
                return None
            self._type_error(v, what, "a date range such as `2026-01-01 .. 2026-12-31`")
            return None
        lo, hi = v.low.value, v.high.value
        if v.low.quarter:  # a quarter as the start of a range means its first day
            lo = dt.date(lo.year, lo.month - 2, 1)
        if hi < lo:
            self.err(
                "TYP305",
                f"`{what}` ends before it starts ({v.high.raw} is before {v.low.raw})",
                v.span,
                "end before start",
                help="swap the two dates",
            )
            return None
        return (lo, hi)

    def codes(self, v: ast.Value) -> frozenset[str]:
        items = v.items if isinstance(v, ast.ListValue) else (v,)
        out: set[str] = set()
        for it in items:
            if not isinstance(it, ast.Name) or it.name not in dg.CODES:
                text = value_text(it)
                near = dg.closest(text, dg.CODES)
                self.err(
                    "TYP303",
                    f"`{text}` is not a diagnostic code",
                    it.span,
                    "unknown code",
                    help=(f"did you mean `{near[0]}`?",) if near else ("codes look like `MAP406`",),
                )
                continue
            if dg.CODES[it.name][0] == dg.Severity.ERROR:
                self.err(
                    "TYP304",
                    f"`{it.name}` is an error and cannot be silenced with `allow`",
                    it.span,
                    "an error",
                    help="only warnings and notes can be allowed; fix the problem instead",
                )
                continue
            out.add(it.name)
        return frozenset(out)

    def risk(self, v: ast.Value, what: str) -> str | None:
        if not isinstance(v, ast.Name):
            self._type_error(v, what, "a value of the schema's `risk_tolerance` field")
            return None
        if self.risk_values is None:
            self.err(
                "TYP307",
                "an offer has a `risk`, but the schema has no `risk_tolerance` field",
                v.span,
                "nothing to compare with",
                help="mark the customers' risk field in the schema: `risk_level enum(R1, R2, R3) risk_tolerance`",
            )
            return None
        if v.name not in self.risk_values:
            self._unknown_value(v, what, self.risk_values)
            return None
        return v.name

    def profile(self, sub: ast.SubBlock) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in sub.items:
            if not isinstance(item, ast.Attribute):
                continue
            key = item.name.name
            if key not in PROFILE_KEYS:
                near = dg.closest(key, PROFILE_KEYS)
                self.err(
                    "NAM204",
                    f"unknown profile attribute `{key}`",
                    item.name.span,
                    "unknown attribute",
                    help=(f"did you mean `{near[0]}`?",)
                    if near
                    else ("a profile takes " + ", ".join(f"`{k}`" for k in PROFILE_KEYS),),
                    suggestions=(
                        dg.Suggestion(item.name.span, near[0], f"replace with `{near[0]}`"),
                    )
                    if len(near) == 1
                    else (),
                )
                continue
            if key in out:
                self.err("NAM207", f"`{key}` is given twice", item.name.span, "given again here")
                continue
            val = self.conv(item, "str")
            if val is not None:
                out[key] = val
        return out

    # ------------------------------------------------------------------ declarations

    def build(self) -> m.Model:
        self.collect()
        strategy = self.build_strategy()
        perspectives = self.build_perspectives(strategy.locale)
        schema = self.build_schema()
        themes: dict[str, m.Theme] = {}
        events: dict[str, m.Event] = {}
        objectives: dict[str, m.Objective] = {}
        segments: dict[str, m.Segment] = {}
        tierings: dict[str, m.Tiering] = {}
        offers: dict[str, m.Offer] = {}
        channels: dict[str, m.Channel] = {}
        scripts: dict[str, m.Script] = {}
        plays: dict[str, m.Play] = {}
        initiatives: dict[str, m.Initiative] = {}
        reviews: dict[str, m.Review] = {}
        gaps: dict[str, m.Gap] = {}
        histories: dict[str, m.History] = {}
        policies: dict[str, m.Policy] = {}
        units: dict[str, m.Unit] = {}
        built = self.build_decl
        if self.cache is not None:
            built = self.cached
            self._start_cache(self.cache.kept)
        by_kind: dict[str, dict[str, Any]] = {
            "theme": themes,
            "event": events,
            "objective": objectives,
            "segment": segments,
            "tiering": tierings,
            "offer": offers,
            "channel": channels,
            "script": scripts,
            "play": plays,
            "initiative": initiatives,
            "review": reviews,
            "gap": gaps,
            "history": histories,
            "policy": policies,
            "unit": units,
        }
        for ident, d in self.decls.items():  # in declaration order (diagnostics, suggestions)
            into = by_kind.get(d.kind)  # (a schema is built above)
            if into is None:
                continue
            x = built(d)
            if d.kind == "play" and x.order != len(plays):
                x = self.derive(x, order=len(plays))
            if x is not None:  # (a review that did not resolve)
                into[ident] = x
        rh.check_keys(self, histories, schema)
        schema, segments, plays = self.type_rules(schema, histories, segments, plays)
        links = self.build_links()
        files = tuple(f.path for f in self.files)
        if self.cache is not None:
            self.cache.kept = self._fresh  # (an interrupted build leaves the cache as it was)
        return m.Model(
            strategy=strategy,
            perspectives=perspectives,
            themes=m._ro(themes),
            schema=schema,
            events=m._ro(events),
            objectives=m._ro(objectives),
            links=tuple(links),
            segments=m._ro(segments),
            tierings=m._ro(tierings),
            offers=m._ro(offers),
            channels=m._ro(channels),
            scripts=m._ro(scripts),
            plays=m._ro(plays),
            initiatives=m._ro(initiatives),
            files=files,
            custom_perspectives=self.perspectives_block is not None,
            kinds=m._ro({i: d.kind for i, d in self.decls.items()}),
            reviews=m._ro(reviews),
            gaps=m._ro(gaps),
            histories=m._ro(histories),
            policies=m._ro(policies),
            units=m._ro(units),
            parent=self.parent_link,
            unit=self.strategy_unit,
        )

    def build_decl(self, d: _Decl) -> Any:
        """A declaration's model element (a review's may be None)."""
        return _BUILDERS[d.kind](self, d.block)

    def _start_cache(self, kept: Kept) -> None:
        """What this build reuses (`kept`, from the last) and leaves for the next (`_fresh`)."""
        self._kept = kept
        world: tuple[object, ...] = (  # what a declaration's resolution may read besides ids
            self.schema_block,
            tuple(self.perspective_ids),
            self.risk_values,
            frozenset(self.broken_ids),
        )
        if kept.world and world[0] is kept.world[0] and world[1:] == kept.world[1:]:
            world = kept.world  # (the same: entries compare it by identity)
        decls = {i: (d.kind, d.block) for i, d in self.decls.items()}
        before = kept.decls
        # the ids whose declaration is not the last build's
        self._changed = {
            i
            for i, (kind, block) in decls.items()
            if (w := before.get(i)) is None or w[0] != kind or w[1] is not block
        } | (before.keys() - decls.keys())
        self._fresh = Kept(decls, world)
        self.decls = Decls(self.decls)  # lookups noted from here on

    def cached(self, d: _Decl) -> Any:
        """`build_decl` through the cache (`BuildCache`)."""
        cache = self.cache
        assert cache is not None
        b = d.block
        e = self._kept.entries.get(id(b))
        if e is not None and self._holds(e, b):
            self._fresh.entries[id(b)] = e
            cache.reused += 1
            return e.value
        cache.built += 1
        return self._recorded(b, lambda: self.build_decl(d), self._fresh.entries)

    def _holds(self, e: Built, node: object) -> bool:
        """The kept resolution `e` is still the resolution of `node`."""
        return (
            e.block is node
            and e.world is self._fresh.world
            and (not self._changed or self._changed.isdisjoint(e.reads))
        )

    def _recorded(self, node: Any, build: Callable[[], Any], into: dict[int, Built]) -> Any:
        """`build()`, noting what it looked up; kept in `into` when it reported nothing."""
        decls = self.decls
        assert isinstance(decls, Decls)
        diags, budget = len(self.diags), self.suggest_budget
        decls.reads = {}
        try:
            value = build()
            reads = decls.reads
        finally:
            decls.reads = None
        if len(self.diags) == diags and self.suggest_budget == budget:
            span = node.span
            into[id(node)] = Built(
                node, self._fresh.world, frozenset(reads), value, span.start, span.line
            )
        return value

    def type_rules(
        self,
        schema: m.Schema | None,
        histories: dict[str, m.History],
        segments: dict[str, m.Segment],
        plays: dict[str, m.Play],
    ) -> tuple[m.Schema | None, dict[str, m.Segment], dict[str, m.Play]]:
        """Segments and plays with their rules typed against the schema: the one place rules are
        typed (segments first, then plays, each in declaration order). The history aggregates
        the rules use become the schema's `derived` fields, named by their rule text."""
        derived: dict[str, m.Field] = Touched() if self.cache is not None else {}
        if self.cache is not None:
            histories = Touched(histories)
            self._typing = typing_key(schema)
        typed_segments: dict[str, m.Segment] = {}
        for sid, seg in segments.items():
            typed = self.typed(seg.rule, schema, histories, derived, f"the rule of segment `{sid}`")
            typed_segments[sid] = self.derive(seg, typed_rule=typed)
        typed_plays: dict[str, m.Play] = {}
        for pid, play in plays.items():
            t = play.trigger
            if t is not None and t.kind == "rule" and t.rule is not None:
                typed = self.typed(
                    t.rule, schema, histories, derived, f"the trigger of play `{pid}`"
                )
                play = self.derive(play, trigger=self.derive(t, typed_rule=typed))
            typed_plays[pid] = play
        if isinstance(derived, Touched):
            derived = dict(derived)
        if schema is not None and derived:
            schema = _replace(schema, derived=m._ro(derived))
        return schema, typed_segments, typed_plays

    def typed(
        self,
        rule: ast.Expr | None,
        schema: m.Schema | None,
        histories: dict[str, m.History],
        derived: dict[str, m.Field],
        what: str,
    ) -> NExpr | None:
        """A rule's typed tree (None after reporting its type errors)."""
        cache = self.cache
        if cache is None or rule is None:
            n, diags = normalize(rule, schema, what, histories, derived)
            self.diags.extend(diags)
            return n
        e = self._kept.typed.get(id(rule))
        if e is not None and e[0] is rule and e[1] == what and e[2] == self._typing:
            self._fresh.typed[id(rule)] = e
            return e[3]
        assert isinstance(histories, Touched) and isinstance(derived, Touched)
        histories.touched = derived.touched = False
        n, diags = normalize(rule, schema, what, histories, derived)
        self.diags.extend(diags)
        if not diags and not histories.touched and not derived.touched:
            self._fresh.typed[id(rule)] = (rule, what, self._typing, n)
        return n

    def derive(self, obj: _D, **changes: object) -> _D:
        """`dataclasses.replace(obj, **changes)`; with a cache, the object made by the last build
        when `obj` and the changes are the same objects."""
        if self.cache is None:
            return _replace(obj, **changes)
        key = id(obj)
        values = tuple(changes.items())
        e = self._kept.derived.get(key)
        if (
            e is None
            or e[0] is not obj
            or len(e[1]) != len(values)
            or any(
                k != k2 or (v is not v2 and not (type(v) is int and v == v2))
                for (k, v), (k2, v2) in zip(e[1], values)
            )
        ):
            e = (obj, values, _replace(obj, **changes))
        self._fresh.derived[key] = e
        return e[2]  # type: ignore[return-value]

    def build_strategy(self) -> m.Strategy:
        b = self.strategy_block
        if b is None:
            span = self.files[0].span if self.files else None
            if span is not None and not self.syntax_errors:
                start = Span(span.file, 0, 0, 1, 1, 1, 1)
                self.err(
                    "NAM205",
                    "the project has no `strategy` block",
                    start,
                    "no strategy",
                    help='start the entry file with `strategy "Name" { period 2026-01-01 .. 2026-12-31 }`',
                )
            return m.Strategy(label="")
        a, _ = self.read(b)
        period = self.conv(a.get("period"), "date_range")
        self.strategy_period = period
        self.parent_link = ru.parent_link(self, a.get("parent"))
        self.strategy_unit = ru.unit_ref(self, a.get("unit"))
        return m.Strategy(
            label=b.label.value if b.label else "",
            owner=self.conv(a.get("owner"), "str"),
            period=period,
            currency=self.conv(a.get("currency"), "currency"),
            locale=self.conv(a.get("locale"), "locale") or "zh-CN",
            version=self.conv(a.get("version"), "str"),
            value_proposition=self.conv(a.get("value_proposition"), "one:value_proposition"),
            banned=self.conv(a.get("banned"), "strs"),
            description=self.conv(a.get("description"), "str"),
            span=b.span,
            node=b,
            mission=self.conv(a.get("mission"), "str"),
            vision=self.conv(a.get("vision"), "str"),
            cadence=self.conv(a.get("cadence"), "one:cadence") or language.DEFAULT_CADENCE,
            holdout=self.conv(a.get("holdout"), "percent"),
            holdout_seed=self.conv(a.get("holdout_seed"), "str") or "holdout",
            timezone=rg.zone_attribute(self, a.get("timezone")),
        )

    def build_perspectives(self, locale: str = "zh-CN") -> tuple[m.Perspective, ...]:
        b = self.perspectives_block
        if b is None:
            locale_zh = not locale.startswith("en")
            out = tuple(
                m.Perspective(pid, zh if locale_zh else en, i)
                for i, (pid, en, zh) in enumerate(m.DEFAULT_PERSPECTIVES)
            )
        else:
            out_l: list[m.Perspective] = []
            for item in b.items:
                if not isinstance(item, ast.PerspectiveItem):
                    continue
                pid = item.id.name
                if pid in self.perspective_ids:
                    self.err(
                        "NAM202",
                        f"perspective `{pid}` is listed twice",
                        item.id.span,
                        "listed again",
                        labels=_labels(self.perspective_ids[pid].span, "first listed here"),
                    )
                    continue
                p = m.Perspective(
                    pid, item.label.value if item.label else pid, len(out_l), item.id.span
                )
                self.perspective_ids[pid] = p
                out_l.append(p)
            if not out_l:
                self.err(
                    "NAM205",
                    "`perspectives` lists no perspective",
                    b.kind_span,
                    "empty",
                    help='list them top (outcomes) to bottom (drivers): `financial "财务" customer "客户" …`',
                )
            out = tuple(out_l)
        self.perspective_ids = {p.id: p for p in out}
        return out

    def build_schema(self) -> m.Schema | None:
        b = self.schema_block
        if b is None:
            return None
        fields: dict[str, m.Field] = {}
        key = risk = None
        for item in b.items:
            if isinstance(item, ast.Attribute):
                if item.name.name != "description":
                    self.err(
                        "NAM204",
                        f"unknown attribute `{item.name.name}` for a schema",
                        item.name.span,
                        "unknown attribute",
                        help="a schema holds field lines: `name type [key] [optional]`",
                    )
                continue
            if not isinstance(item, ast.FieldLine):
                continue
            name = item.name.name
            if name in fields:
                self.err(
                    "TYP307",
                    f"schema field `{name}` is declared twice",
                    item.name.span,
                    "declared again",
                    labels=_labels(fields[name].span, "first declared here"),
                )
                continue
            f = self.field_of(item)
            if f is None:
                continue
            if f.key:
                if key is not None:
                    self.err(
                        "TYP307",
                        f"the schema has two key fields, `{key}` and `{name}`",
                        item.name.span,
                        "second key",
                        labels=_labels(fields[key].span, "first key"),
                        help="exactly one field identifies a customer: keep one `key`",
                    )
                else:
                    key = name
                if f.optional:
                    self.err(
                        "TYP307",
                        f"key field `{name}` cannot be `optional`",
                        item.name.span,
                        "optional key",
                        help="every customer needs a key: remove `optional`",
                    )
            if f.risk_tolerance:
                if f.type != "enum":
                    self.err(
                        "TYP307",
                        f"`risk_tolerance` field `{name}` must be an enum",
                        item.name.span,
                        "not an enum",
                        help="declare it as `enum(R1, R2, R3, R4, R5) risk_tolerance`",
                    )
                elif risk is not None:
                    self.err(
                        "TYP307",
                        f"the schema has two `risk_tolerance` fields, `{risk}` and `{name}`",
                        item.name.span,
                        "second risk_tolerance field",
                    )
                else:
                    risk = name
            fields[name] = f
        if key is None:
            self.err(
                "TYP307",
                f"schema `{_id(b).name}` has no key field",
                _id(b).span,
                "no key",
                help="mark the field that identifies a customer: `id string key`",
            )
        if risk is not None:
            self.risk_values = fields[risk].enum_values
        return m.Schema(
            _id(b).name,
            b.label.value if b.label else _id(b).name,
            m._ro(fields),
            key,
            risk,
            b.span,
            b,
            timezone_field=rg.timezone_field(self, fields),
        )

    def field_of(self, item: ast.FieldLine) -> m.Field | None:
        """A field line of a schema or a history table as a Field (None after TYP307 for an
        unknown type)."""
        name = item.name.name
        t = item.type
        if t.name not in FIELD_TYPES:
            near = dg.closest(t.name, FIELD_TYPES)
            self.err(
                "TYP307",
                f"unknown field type `{t.name}`",
                t.span,
                "unknown type",
                help=(f"did you mean `{near[0]}`?",)
                if near
                else (
                    "types are "
                    + ", ".join(f"`{x}`" for x in FIELD_TYPES)
                    + " and `enum(A, B, …)`",
                ),
                suggestions=(dg.Suggestion(t.span, near[0], f"replace with `{near[0]}`"),)
                if len(near) == 1
                else (),
            )
            return None
        values = tuple(v.name for v in t.enum_values or ())
        if t.name == "enum" and len(set(values)) != len(values):
            self.err("TYP307", f"enum of `{name}` lists a value twice", t.span, "repeated value")
        flags = {f.name for f in item.flags}
        f = m.Field(
            name,
            t.name,
            values,
            "key" in flags,
            "optional" in flags,
            "risk_tolerance" in flags,
            item.name.span,
            item.label.value if item.label is not None else None,
            timezone="timezone" in flags,
            enum_labels=tuple(
                (v.name, label.value)
                for v, label in zip(t.enum_values or (), t.enum_labels)
                if label is not None
            ),
        )
        return f

    def _label(self, b: ast.Block) -> str:
        return b.label.value if b.label else _id(b).name

    def build_theme(self, b: ast.Block) -> m.Theme:
        a, _ = self.read(b)
        return m.Theme(
            _id(b).name,
            self._label(b),
            self.conv(a.get("color"), "color"),
            self.conv(a.get("description"), "str"),
            b.span,
            b,
        )

    def build_event(self, b: ast.Block) -> m.Event:
        a, _ = self.read(b)
        return m.Event(
            _id(b).name, self._label(b), self.conv(a.get("description"), "str"), b.span, b
        )

    def goals(
        self, lines: Sequence[ast.Item]
    ) -> tuple[tuple[m.Target, ...], tuple[m.Measure, ...]]:
        """The targets and measures of an objective or play; their ids share one namespace in the
        block (a review names either as `OWNER.ID`)."""
        out: list[m.Target] = []
        seen: dict[str, ast.TargetLine | ast.MeasureLine] = {}
        measure_lines: list[ast.MeasureLine] = []
        for t in lines:
            if not isinstance(t, (ast.TargetLine, ast.MeasureLine)):
                continue
            if t.id.name in seen:
                self.err(
                    "NAM202",
                    f"`{t.id.name}` is declared twice in this block",
                    t.id.span,
                    "declared again",
                    labels=(dg.Label(seen[t.id.name].id.span, "first declared here"),),
                    help="targets and measures of one block need different ids",
                )
                continue
            seen[t.id.name] = t
            if isinstance(t, ast.MeasureLine):
                measure_lines.append(t)
                continue
            target = self.target(t)
            if target is not None:
                out.append(target)
        return tuple(out), tuple(rm.measure_lines(self, measure_lines))

    def target(self, t: ast.TargetLine) -> m.Target | None:
        value = self.quantity(t.value)
        if value is None:
            return None
        high = None
        if t.op == "between" and t.high is not None:
            high = self.quantity(t.high)
            if high is None or not rm.range_ok(self, value, high, t.value, t.high):
                return None
        by = self.date(t.by, "by") if t.by is not None else None
        baseline = self.quantity(t.baseline) if t.baseline is not None else None
        if baseline is not None and t.baseline is not None and baseline.unit != value.unit:
            self.err(
                "TYP302",
                f"baseline `{baseline.raw}` and target `{value.raw}` have different units",
                t.baseline.span,
                "different unit",
                labels=(dg.Label(t.value.span, "target value"),),
                help="write both as percentages or both as plain numbers",
            )
            baseline = None
        attrs, milestone_lines = rm.line_settings(self, t.items, "target")
        tolerance = self.conv(attrs.get("tolerance"), "percent")
        return m.Target(
            t.id.name,
            t.label.value if t.label else t.id.name,
            t.op,
            value,
            by,
            baseline,
            t.span,
            t,
            high=high,
            milestones=rm.milestones(self, milestone_lines),
            cadence=self.conv(attrs.get("cadence"), "one:cadence"),
            weight=rm.weight(self, attrs.get("weight")),
            tolerance=None if tolerance is None else tolerance / 100,
            serves=self._serves(attrs.get("serves")),
        )

    def _serves(self, attr: ast.Attribute | None) -> tuple[str, str] | None:
        """`serves F1.aum_total` in a target's body (checked against the parent: ALN011)."""
        if attr is None:
            return None
        if isinstance(attr.value, ast.MeasureRef):
            return attr.value.owner.name, attr.value.measure.name
        self._type_error(attr.value, "serves", "a parent target: `OBJECTIVE.TARGET`")
        return None

    def build_objective(self, b: ast.Block) -> m.Objective:
        a, lines = self.read(b)
        targets, measures = self.goals(lines)
        persp = self.conv(a.get("perspective"), "ref:perspective")
        owner, owner_unit = ru.owner(self, a.get("owner"))
        return m.Objective(
            _id(b).name,
            self._label(b),
            persp or "",
            theme=self.conv(a.get("theme"), "ref:theme"),
            owner=owner,
            owner_unit=owner_unit,
            aligns=ru.aligns(self, a.get("align")),
            description=self.conv(a.get("description"), "str"),
            kind=self.conv(a.get("kind"), "one:objective_kind"),
            targets=targets,
            measures=measures,
            allow=self.conv(a.get("allow"), "codes") or frozenset(),
            span=b.span,
            node=b,
        )

    def build_segment(self, b: ast.Block) -> m.Segment:
        a, _ = self.read(b)
        if "rule" not in a and "extends" not in a:
            self._missing(
                b,
                "rule",
                help="add `rule …` (a condition on the schema's fields), or `extends` a segment",
            )
        return m.Segment(
            _id(b).name,
            self._label(b),
            rule=self.conv(a.get("rule"), "rule"),
            extends=self.conv(a.get("extends"), "ref:segment"),
            lifecycle=self.conv(a.get("lifecycle"), "one:lifecycle"),
            estimate=self.conv(a.get("estimate"), "count"),
            profile=m._ro(self.conv(a.get("profile"), "profile") or {}),
            description=self.conv(a.get("description"), "str"),
            allow=self.conv(a.get("allow"), "codes") or frozenset(),
            span=b.span,
            node=b,
        )

    def build_tiering(self, b: ast.Block) -> m.Tiering:
        a, _ = self.read(b)
        return m.Tiering(
            _id(b).name,
            self._label(b),
            self.conv(a.get("segments"), "refs:segment") or (),
            bool(self.conv(a.get("exclusive"), "bool")),
            bool(self.conv(a.get("exhaustive"), "bool")),
            self.conv(a.get("description"), "str"),
            self.conv(a.get("allow"), "codes") or frozenset(),
            b.span,
            b,
        )

    def build_offer(self, b: ast.Block) -> m.Offer:
        a, _ = self.read(b)
        return m.Offer(
            _id(b).name,
            self._label(b),
            self.conv(a.get("risk"), "risk"),
            self.conv(a.get("kind"), "one:offer_kind"),
            self.conv(a.get("description"), "str"),
            self.conv(a.get("allow"), "codes") or frozenset(),
            b.span,
            b,
        )

    def build_channel(self, b: ast.Block) -> m.Channel:
        a, _ = self.read(b)
        return m.Channel(
            _id(b).name,
            self._label(b),
            self.conv(a.get("kind"), "one:channel_kind"),
            self.conv(a.get("capacity"), "capacity"),
            self.conv(a.get("cost"), "money"),
            self.conv(a.get("quiet"), "time_range"),
            self.conv(a.get("cap"), "cap"),
            self.conv(a.get("description"), "str"),
            self.conv(a.get("allow"), "codes") or frozenset(),
            b.span,
            b,
        )

    def build_script(self, b: ast.Block) -> m.Script:
        a, lines = self.read(b)
        sections: dict[str, m.ScriptText] = {}
        for sec in m.SCRIPT_SECTIONS:
            attr = a.get(sec)
            val = self.conv(attr, "str")
            if val is not None and isinstance(attr, ast.Attribute):  # (a text is an attribute)
                sections[sec] = m.ScriptText(val, attr.value.span)
        objections = tuple(
            m.Objection(o.question.value, o.answer.value, o.span)
            for o in lines
            if isinstance(o, ast.ObjectionLine)
        )
        return m.Script(
            _id(b).name,
            self._label(b),
            self.conv(a.get("channel"), "ref:channel"),
            m._ro(sections),
            objections,
            self.conv(a.get("description"), "str"),
            self.conv(a.get("allow"), "codes") or frozenset(),
            b.span,
            b,
        )

    def trigger(self, attr: AttrNode | None) -> m.Trigger | None:
        if not isinstance(attr, ast.Attribute):  # (`when` takes a value: never a SubBlock)
            return None
        t = attr.value
        if not isinstance(t, ast.Trigger):
            return None
        if t.kind in ("deviation", "threshold"):
            self.err(
                "TYP302",
                "a play's `when` is an event, a lifecycle stage, a schedule or a rule; a condition "
                "over a measure belongs in a `review`",
                t.span,
                "a review condition",
                help=(
                    'move it into `review ID "label" { when … action "…" }`',
                    "a play starts with `when event …`, `when lifecycle …`, `when schedule …` or "
                    "`when rule …`",
                ),
            )
            return None
        if t.kind in ("event", "lifecycle", "schedule") and t.ref is None:
            return None  # (the grammar gives these triggers a name)
        if t.kind == "event" and t.ref is not None:
            ref = self.ref(t.ref, "event")
            within = None
            if t.within is not None:
                if isinstance(t.within, ast.Duration):
                    within = t.within.days
                elif not isinstance(t.within, ast.Invalid):
                    self._type_error(t.within, "within", "a duration such as `30d`")
            return m.Trigger("event", ref, within, span=t.span) if ref else None
        if t.kind == "lifecycle" and t.ref is not None:
            stage = self.one_of(t.ref, "lifecycle", LIFECYCLES)
            return m.Trigger("lifecycle", stage, span=t.span) if stage else None
        if t.kind == "schedule" and t.ref is not None:
            when = self.one_of(t.ref, "schedule", SCHEDULES)
            return m.Trigger("schedule", when, span=t.span) if when else None
        if t.kind == "becomes" and t.ref is not None:
            stage = self.one_of(t.ref, "lifecycle", LIFECYCLES)
            return m.Trigger("becomes", stage, span=t.span) if stage else None
        if t.kind in ("enters", "leaves") and t.ref is not None:
            # any segment: entering one outside every tiering is a change worth a play too
            seg = self.ref(t.ref, "segment")
            return m.Trigger(t.kind, seg, span=t.span) if seg else None
        return m.Trigger("rule", rule=t.rule, span=t.span)

    def steps(self, lines: Sequence[ast.Item]) -> tuple[m.Step, ...]:
        """The step lines among `lines` as Steps (a play's, or a variant's own)."""
        steps: list[m.Step] = []
        for s in lines:
            if not isinstance(s, ast.StepLine):
                continue
            if (
                not isinstance(s.number, ast.Number)
                or not isinstance(s.number.value, int)
                or s.number.percent
            ):
                if not isinstance(s.number, ast.Invalid):
                    self._type_error(s.number, "step", "a step number (1, 2, 3 …)")
                continue
            ch = self.ref(s.channel, "channel")
            sc = self.ref(s.script, "script")
            after: float | None = None
            after_raw: str | None = None
            if s.after is not None:
                if isinstance(s.after, ast.Duration):
                    after, after_raw = s.after.days, s.after.raw
                elif not isinstance(s.after, ast.Invalid):
                    self._type_error(s.after, "after", "a duration such as `3d`")
            # each unknown offer is reported (NAM201); a repeated one once (PLY612, check/plays.py)
            offers = [self.ref(o, "offer") for o in s.offers]
            if ch and sc and all(offers):
                steps.append(
                    m.Step(
                        s.number.value,
                        ch,
                        sc,
                        after,
                        after_raw,
                        s.unless_converted,
                        s.span,
                        s,
                        offers=tuple(dict.fromkeys(o for o in offers if o)),
                    )
                )
        return tuple(steps)

    def build_play(self, b: ast.Block) -> m.Play:
        a, lines = self.read(b)
        steps = self.steps(lines)
        variants = rg.build_variants(self, lines)
        has_steps = any(isinstance(s, ast.StepLine) for s in lines)
        arms_have_steps = bool(variants) and all(v.steps for v in variants)
        if not has_steps and not arms_have_steps:
            self._missing(b, "step", help="add at least one step: `step 1 CHANNEL using SCRIPT`")
        targets, measures = self.goals(lines)
        owner, owner_unit = ru.owner(self, a.get("owner"))
        return m.Play(
            _id(b).name,
            self._label(b),
            segment=self.conv(a.get("segment"), "ref:segment"),
            trigger=self.trigger(a.get("when")),
            offer=self.conv(a.get("offer"), "ref:offer"),
            steps=steps,
            supports=self.conv(a.get("supports"), "refs:objective") or (),
            targets=targets,
            measures=measures,
            control=self.conv(a.get("control"), "percent"),
            priority=self.conv(a.get("priority"), "int") or 0,
            owner=owner,
            owner_unit=owner_unit,
            budget=self.conv(a.get("budget"), "money"),
            period=self.conv(a.get("period"), "date_range"),
            description=self.conv(a.get("description"), "str"),
            allow=self.conv(a.get("allow"), "codes") or frozenset(),
            span=b.span,
            node=b,
            variants=variants,
        )

    def build_initiative(self, b: ast.Block) -> m.Initiative:
        a, _ = self.read(b)
        owner, owner_unit = ru.owner(self, a.get("owner"))
        return m.Initiative(
            _id(b).name,
            self._label(b),
            supports=self.conv(a.get("supports"), "refs:objective") or (),
            owner=owner,
            owner_unit=owner_unit,
            budget=self.conv(a.get("budget"), "money"),
            period=self.conv(a.get("period"), "date_range"),
            description=self.conv(a.get("description"), "str"),
            allow=self.conv(a.get("allow"), "codes") or frozenset(),
            span=b.span,
            node=b,
        )

    def build_links(self) -> list[m.Link]:
        out: list[m.Link] = []
        for node in self.link_nodes:
            out.extend(self.link_edges(node) if self.cache is None else self.cached_links(node))
        return out

    def link_edges(self, node: ast.Link) -> tuple[m.Link, ...]:
        ids = [self.ref(n, "objective") for n in node.chain]
        label = node.label.value if node.label else None
        out: list[m.Link] = []
        for i, (_, _, arrow) in enumerate(node.edges()):
            a, b = ids[i], ids[i + 1]
            if a and b:
                span = node.chain[i].span.cover(node.chain[i + 1].span)
                out.append(m.Link(a, b, label, span, node, rm.link_kind(arrow)))
        return tuple(out)

    def cached_links(self, node: ast.Link) -> tuple[m.Link, ...]:
        """`link_edges` through the cache, as `cached` does for declarations. An edge's span is
        made here (from `a` to `b`), not the parser's: when the chain moved (text inserted or
        deleted above it) the kept spans are moved as the parser moves its own."""
        cache = self.cache
        assert cache is not None
        e = self._kept.links.get(id(node))
        if e is not None and self._holds(e, node):
            edges = cast(tuple[m.Link, ...], e.value)
            delta, lines = node.span.start - e.start, node.span.line - e.line
            if delta or lines:
                del self._kept.links[id(node)]  # (a move cut short leaves no entry behind)
                for link in edges:
                    move_span(link.span, delta, lines)
                e = Built(node, e.world, e.reads, edges, node.span.start, node.span.line)
            self._fresh.links[id(node)] = e
            return edges
        return cast(
            tuple[m.Link, ...],
            self._recorded(node, lambda: self.link_edges(node), self._fresh.links),
        )


def _is_color(s: str) -> bool:
    import re

    return bool(re.fullmatch(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})", s))


_D = TypeVar("_D", bound="DataclassInstance")


def _replace(obj: _D, **kw: object) -> _D:
    from dataclasses import replace

    return replace(obj, **kw)


# declaration kind -> how its block becomes a model element (`Resolver.build_decl`)
_BUILDERS: dict[str, Callable[[Resolver, ast.Block], Any]] = {
    "theme": Resolver.build_theme,
    "event": Resolver.build_event,
    "objective": Resolver.build_objective,
    "segment": Resolver.build_segment,
    "tiering": Resolver.build_tiering,
    "offer": Resolver.build_offer,
    "channel": Resolver.build_channel,
    "script": Resolver.build_script,
    "play": Resolver.build_play,
    "initiative": Resolver.build_initiative,
    "review": rm.build_review,
    "gap": rm.build_gap,
    "history": rh.build_history,
    "policy": rg.build_policy,
    "unit": ru.build_unit,
}


def build_model(
    files: Sequence[ast.File], syntax_errors: bool = False, cache: BuildCache | None = None
) -> tuple[m.Model, list[dg.Diagnostic]]:
    """The model and resolution's diagnostics; with `cache`, unchanged declarations are taken from
    the last build that used it (`BuildCache`)."""
    r = Resolver(files, syntax_errors, cache)
    model = r.build()
    return model, r.diags
