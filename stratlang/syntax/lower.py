"""Lowering: the grammar's rules to AST nodes.

Lark calls these methods while it parses (its inline transformer for LALR), so no parse tree is
ever built. Each method receives a rule's children, tokens and nodes lowered already, in the
grammar's order; a token is Lark's `Token`, a `str` carrying its position. Lark itself is not
imported here: `parser.py` and `driver.py` are the only modules that do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from .. import diagnostics as dg
from ..source import SourceFile, Span
from . import ast
from .limits import MAX_NESTING, Abort, blocks_too_deep, rule_too_deep
from .literals import (
    Problem,
    literal_value,
    measure_value,
    period_value,
    text_block,
    unescape,
    unknown_escape,
)

if TYPE_CHECKING:

    class Token(str):
        """Lark's `Token` as lowering reads it: a `str` (the token's text) with its terminal's
        name and its position, which the lexer always sets. Declared here so that only
        `parser.py` and `driver.py` import Lark; at run time lowering only tells tokens from nodes by `str`."""

        type: str
        start_pos: int
        end_pos: int
        line: int
        column: int
        end_line: int
        end_column: int

else:
    Token = str


class Positioned(Protocol):
    """A node already lowered: anything with a span."""

    @property
    def span(self) -> Span: ...


# A rule's children, in the grammar's order. Each position's type is fixed by the grammar (a
# token, a node, None for an absent `[optional]` part, or what another method returned), which
# the type checker cannot see; each method names the types it builds.
Children = list[Any]
# A block's `{ items }`: the braces (for spans) and the items.
Body = tuple[Token, tuple[ast.Item, ...], Token]
# A target's or a measure's `{ … }`.
LineBody = tuple[Token, tuple[ast.LineItem, ...], Token]
_Node = TypeVar("_Node", bound=Positioned)
_Test = TypeVar("_Test", ast.Compare, ast.Between, ast.In, ast.Missing)


class _Goal(NamedTuple):
    """`>= 5亿` or `between 15% and 20%`: what a target or a milestone compares with."""

    span: Span
    op: str
    value: ast.Value
    high: ast.Value | None


class Lowerer:
    """Grammar rules -> AST nodes. One instance per parser; `begin()` resets it for a run.

    Lark looks a rule's method up by the rule's name; a rule without one (the grammar's inlined
    `_rule`s and `?rule`s never need one) would become a Lark tree."""

    def __init__(self) -> None:
        self.begin(None, 0, 0)

    def begin(self, source: SourceFile | None, offset: int, line_offset: int) -> None:
        self.source = source
        self.path = source.path if source else ""
        self.offset = offset
        self.line_offset = line_offset
        self.diags: list[dg.Diagnostic] = []
        self.comments: list[ast.Comment] = []
        self.depth: dict[int, int] = {}

    # ---------------------------------------------------------------- spans

    def tspan(self, tok: Token) -> Span:
        lo = self.line_offset
        return Span(
            self.path,
            tok.start_pos + self.offset,
            tok.end_pos + self.offset,
            tok.line + lo,
            tok.column,
            tok.end_line + lo,
            tok.end_column,
        )

    def span_of(self, x: Token | Span | Positioned) -> Span:
        if isinstance(x, Token):
            return self.tspan(x)
        return x if isinstance(x, Span) else x.span

    def cover(self, first: Token | Span | Positioned, last: Token | Span | Positioned) -> Span:
        # Read from the tokens themselves rather than through `tspan`: a cover is taken ~125,000
        # times in a 60,000-line parse, and the two spans `tspan` would build are thrown away.
        if isinstance(first, Token):
            start, line, column = first.start_pos + self.offset, first.line, first.column
            line += self.line_offset
        else:
            a = first if isinstance(first, Span) else first.span
            start, line, column = a.start, a.line, a.column
        if isinstance(last, Token):
            end, end_line, end_column = last.end_pos + self.offset, last.end_line, last.end_column
            end_line += self.line_offset
        else:
            b = last if isinstance(last, Span) else last.span
            end, end_line, end_column = b.end, b.end_line, b.end_column
        return Span(self.path, start, end, line, column, end_line, end_column)

    def cover_all(self, children: Children) -> Span:
        present = [c for c in children if c is not None]
        return self.cover(present[0], present[-1])

    def on_comment(self, tok: Token) -> None:
        self.comments.append(ast.Comment(self.tspan(tok), str(tok).rstrip()))

    # ---------------------------------------------------------------- atoms

    def string(self, c: Children) -> ast.Str:
        tok = c[0]
        return ast.Str(self.tspan(tok), self._unescape(tok, str(tok)[1:-1]))

    def long_string(self, c: Children) -> ast.Str:
        tok = c[0]
        text = text_block(str(tok)[3:-3])
        return ast.Str(self.tspan(tok), self._unescape(tok, text), triple=True)

    def field_label(self, c: Children) -> ast.Str:
        return self.long_string(c) if c[0].type == "LONG_STRING" else self.string(c)

    decl_label = field_label

    def _unescape(self, tok: Token, text: str) -> str:
        return unescape(text, lambda e: self.diags.append(unknown_escape(e, self.tspan(tok))))

    def literal(self, c: Children) -> ast.Value:
        return self._classified(c[0], literal_value)

    def measure_literal(self, c: Children) -> ast.Value:
        """A literal where a target, milestone, baseline or review value stands (`a:b` is a
        ratio there)."""
        return self._classified(c[0], measure_value)

    def _classified(
        self, tok: Token, classify: Callable[[Span, str], ast.Value | Problem]
    ) -> ast.Value:
        raw = str(tok)
        span = self.tspan(tok)
        value = classify(span, raw)
        if isinstance(value, tuple):
            message, help = value
            return self._bad(span, raw, message, help)
        return value

    def _bad(self, span: Span, raw: str, message: str, help: str) -> ast.Invalid:
        self.diags.append(dg.make("SYN103", message, span, "not a valid literal", help=help))
        return ast.Invalid(span, raw)

    def name(self, c: Token | Children) -> ast.Name:
        """The `name` rule callback (children list) and the token -> Name helper."""
        if isinstance(c, Token):
            return ast.Name(self.tspan(c), str(c))
        return ast.Name(self.tspan(c[0]), str(c[0]))

    # ---------------------------------------------------------------- values

    def range(self, c: Children) -> ast.Range:
        return ast.Range(self.cover(c[0], c[2]), c[0], c[2])

    def rate(self, c: Children) -> ast.Rate:
        return ast.Rate(self.cover(c[0], c[2]), c[0], c[2])

    def value_list(self, c: Children) -> ast.ListValue:
        return ast.ListValue(self.cover(c[0], c[-1]), tuple(c))

    # ---------------------------------------------------------------- expressions

    def _nest(self, node: _Node, children: Iterable[object], at: Span | None = None) -> _Node:
        """Record `node`'s nesting depth (rules and blocks): deeper than MAX_NESTING is SYN101, so
        that every later stage can walk the tree recursively."""
        d = 1 + max((self.depth.get(id(x), 0) for x in children), default=0)
        if d > MAX_NESTING:
            if isinstance(node, ast.SubBlock):
                raise Abort(blocks_too_deep(at or node.span))
            raise Abort(rule_too_deep(node.span))
        self.depth[id(node)] = d
        return node

    def or_expr(self, c: Children) -> ast.Or:
        ops = tuple(c[0::2])
        return self._nest(ast.Or(self.cover(c[0], c[-1]), ops), ops)

    def and_expr(self, c: Children) -> ast.And:
        ops = tuple(c[0::2])
        return self._nest(ast.And(self.cover(c[0], c[-1]), ops), ops)

    def negation(self, c: Children) -> ast.Not:
        return self._nest(ast.Not(self.cover(c[0], c[1]), c[1]), (c[1],))

    def paren(self, c: Children) -> ast.Expr:
        # The parenthesised expression's span takes in the parentheses, so `not (a or b)` ends at `)`.
        inner: ast.Expr = c[1]
        wide = replace(inner, span=self.cover(c[0], c[2]))
        # `inner` is dropped here and its id() may be reused by a later node: move its entry.
        d = self.depth.pop(id(inner), None)
        if d is not None:
            self.depth[id(wide)] = d
        return wide

    def operand(self, c: Token | ast.Aggregate) -> ast.Operand:
        return c if isinstance(c, ast.Aggregate) else self.name(c)

    def _test(self, node: _Test) -> _Test:
        """A test over an aggregate is as deep as the aggregate's `where` (SYN101 counts it)."""
        return self._nest(node, (node.field,)) if isinstance(node.field, ast.Aggregate) else node

    def compare(self, c: Children) -> ast.Compare:
        return self._test(ast.Compare(self.cover(c[0], c[2]), self.operand(c[0]), str(c[1]), c[2]))

    def between(self, c: Children) -> ast.Between:
        return self._test(ast.Between(self.cover(c[0], c[4]), self.operand(c[0]), c[2], c[4]))

    def in_list(self, c: Children) -> ast.In:
        span, values = c[2]
        return self._test(ast.In(self.cover(c[0], span), self.operand(c[0]), values))

    def not_in_list(self, c: Children) -> ast.In:
        span, values = c[3]
        node = ast.In(self.cover(c[0], span), self.operand(c[0]), values, negated=True)
        return self._test(node)

    def is_missing(self, c: Children) -> ast.Missing:
        return self._test(ast.Missing(self.cover(c[0], c[2]), self.operand(c[0])))

    def is_present(self, c: Children) -> ast.Missing:
        node = ast.Missing(self.cover(c[0], c[2]), self.operand(c[0]), present=True)
        return self._test(node)

    def aggregate(self, c: Children) -> ast.Aggregate:
        # AGG_FUNC LPAR [LAST] NAME [DOT NAME] [TREND] [WHERE expr] [OVER LITERAL] RPAR
        func, _, last, table, _, column, trend, _, where, _, window, rpar = c
        node = ast.Aggregate(
            self.cover(func, rpar),
            self.name(func),
            self.name(table),
            self.name(column) if column is not None else None,
            last is not None,
            str(trend) if trend is not None else None,
            where,
            self.literal([window]) if window is not None else None,
        )
        return self._nest(node, (where,) if where is not None else ())

    def bool_test(self, c: Children) -> ast.BoolTest:
        return ast.BoolTest(self.tspan(c[0]), self.name(c[0]))

    def rule_list(self, c: Children) -> tuple[Span, tuple[ast.Value, ...]]:
        values = tuple(x for x in c[1:-1] if x is not None)
        return self.cover(c[0], c[-1]), values

    # ---------------------------------------------------------------- items

    def attribute(self, c: Children) -> ast.Attribute:
        return ast.Attribute(self.cover(c[0], c[1]), self.name(c[0]), c[1])

    schema_attr = attribute

    def sub_block(self, c: Children) -> ast.SubBlock:
        lbrace, items, rbrace = c[1]
        node = ast.SubBlock(self.cover(c[0], rbrace), self.name(c[0]), items)
        return self._nest(
            node, [i for i in items if isinstance(i, ast.SubBlock)], self.cover(c[0], lbrace)
        )

    def rule_attr(self, c: Children) -> ast.Attribute:
        return ast.Attribute(self.cover(c[0], c[1]), self.name(c[0]), c[1])

    def when_attr(self, c: Children) -> ast.Attribute:
        return ast.Attribute(self.cover(c[0], c[1]), self.name(c[0]), c[1])

    def goal_compare(self, c: Children) -> _Goal:
        return _Goal(self.cover(c[0], c[1]), str(c[0]), c[1], None)

    def goal_between(self, c: Children) -> _Goal:
        return _Goal(self.cover(c[0], c[3]), "between", c[1], c[3])

    def target_line(self, c: Children) -> ast.TargetLine:
        tgt, id_, label, goal, _by, by, _bl, baseline, body = c
        items, body_span, last = self._line_body(body)
        return ast.TargetLine(
            self.cover(tgt, last or baseline or by or goal),
            self.name(id_),
            label,
            goal.op,
            goal.value,
            by,
            baseline,
            high=goal.high,
            items=items,
            body=body_span,
        )

    def measure_line(self, c: Children) -> ast.MeasureLine:
        kw, id_, label, body = c
        items, body_span, last = self._line_body(body)
        return ast.MeasureLine(
            self.cover(kw, last or label or id_), self.name(id_), label, items, body_span
        )

    def _line_body(
        self, body: LineBody | None
    ) -> tuple[tuple[ast.LineItem, ...], Span | None, Token | None]:
        if body is None:
            return (), None, None
        lbrace, items, rbrace = body
        return items, self.cover(lbrace, rbrace), rbrace

    def line_body(self, c: Children) -> LineBody:
        return c[0], tuple(c[1:-1]), c[-1]

    def milestone_line(self, c: Children) -> ast.MilestoneLine:
        tok, goal = c
        period = self._classified(tok, period_value)
        return ast.MilestoneLine(self.cover(tok, goal), period, goal.op, goal.value, goal.high)

    def ref_attr(self, c: Children) -> ast.Attribute:
        return ast.Attribute(self.cover(c[0], c[1]), self.name(c[0]), c[1])

    def measure_ref(self, c: Children) -> ast.MeasureRef:
        return ast.MeasureRef(self.cover(c[0], c[2]), self.name(c[0]), self.name(c[2]))

    def _measure_trigger(self, c: Children, kind: str) -> ast.Trigger:
        ref, op, value, _for, count, unit = c
        return ast.Trigger(
            self.cover_all(c),
            kind,
            measure=ref,
            op=str(op) if kind == "threshold" else None,
            value=value,
            count=self.literal([count]) if count is not None else None,
            unit=self.name(unit) if unit is not None else None,
        )

    def trigger_deviation(self, c: Children) -> ast.Trigger:
        return self._measure_trigger(c, "deviation")

    def trigger_threshold(self, c: Children) -> ast.Trigger:
        return self._measure_trigger(c, "threshold")

    def step_line(self, c: Children) -> ast.StepLine:
        step, number, channel, script, _with, offers, _after, after, unless, _conv = c
        offers = offers or ()
        return ast.StepLine(
            self.cover_all([step, script, *offers, after, _conv]),
            self.literal([number]),
            self.name(channel),
            self.name(script),
            after,
            unless is not None,
            offers=offers,
        )

    def step_offers(self, c: Children) -> tuple[ast.Name, ...]:
        return tuple(self.name(t) for t in c if t.type == "NAME")

    def limit_line(self, c: Children) -> ast.LimitLine:
        at, _most, count, _per, window, _on, names = c
        return ast.LimitLine(
            self.cover_all([at, window, *(names or ())]),
            self.literal([count]),
            self.literal([window]),
            names or (),
        )

    def consent_line(self, c: Children) -> ast.ConsentLine:
        kw, field, _on, names = c
        return ast.ConsentLine(self.cover(kw, names[-1]), self.name(field), names)

    def channel_names(self, c: Children) -> tuple[ast.Name, ...]:
        return tuple(self.name(t) for t in c if t.type == "NAME")

    def variant_line(self, c: Children) -> ast.VariantLine:
        kw, id_, label, share, body = c
        items: tuple[ast.Item, ...] = ()
        body_span: Span | None = None
        last: Token | Positioned = share
        if body is not None:
            lbrace, items, rbrace = body
            body_span, last = self.cover(lbrace, rbrace), rbrace
        return ast.VariantLine(
            self.cover(kw, last), self.name(id_), label, self.literal([share]), items, body_span
        )

    def objection_line(self, c: Children) -> ast.ObjectionLine:
        return ast.ObjectionLine(self.cover(c[0], c[3]), c[1], c[3])

    def trigger_event(self, c: Children) -> ast.Trigger:
        return ast.Trigger(self.cover_all(c), "event", ref=self.name(c[1]), within=c[3])

    def trigger_lifecycle(self, c: Children) -> ast.Trigger:
        return ast.Trigger(self.cover(c[0], c[1]), "lifecycle", ref=self.name(c[1]))

    def trigger_becomes(self, c: Children) -> ast.Trigger:
        return ast.Trigger(self.cover(c[0], c[2]), "becomes", ref=self.name(c[2]))

    def trigger_enters(self, c: Children) -> ast.Trigger:
        return ast.Trigger(self.cover(c[0], c[2]), "enters", ref=self.name(c[2]))

    def trigger_leaves(self, c: Children) -> ast.Trigger:
        return ast.Trigger(self.cover(c[0], c[2]), "leaves", ref=self.name(c[2]))

    def trigger_schedule(self, c: Children) -> ast.Trigger:
        return ast.Trigger(self.cover(c[0], c[1]), "schedule", ref=self.name(c[1]))

    def trigger_rule(self, c: Children) -> ast.Trigger:
        return ast.Trigger(self.cover(c[0], c[1]), "rule", rule=c[1])

    def body(self, c: Children) -> Body:
        return c[0], tuple(c[1:-1]), c[-1]

    # ---------------------------------------------------------------- declarations

    def _block(
        self,
        kind_tok: Token,
        id_tok: Token | None,
        label: ast.Str | None,
        body: Body | None,
        kind: str | None = None,
    ) -> ast.Block:
        items: tuple[ast.Item, ...]
        body_span: Span | None
        last: Token | Positioned
        if body is None:
            items, body_span, last = (), None, (label or id_tok or kind_tok)
        else:
            lbrace, items, rbrace = body
            body_span, last = self.cover(lbrace, rbrace), rbrace
        return ast.Block(
            self.cover(kind_tok, last),
            kind or str(kind_tok),
            self.tspan(kind_tok),
            self.name(id_tok) if id_tok is not None else None,
            label,
            items,
            body_span,
        )

    def strategy(self, c: Children) -> ast.Block:
        return self._block(c[0], None, c[1], c[2])

    def perspectives(self, c: Children) -> ast.Block:
        return self._block(c[0], None, None, (c[1], tuple(c[2:-1]), c[-1]))

    def perspective_item(self, c: Children) -> ast.PerspectiveItem:
        return ast.PerspectiveItem(self.cover_all(c), self.name(c[0]), c[1])

    def schema(self, c: Children) -> ast.Block:
        return self._block(c[0], c[1], c[2], (c[3], tuple(c[4:-1]), c[-1]))

    def history(self, c: Children) -> ast.Block:
        return self._block(c[0], c[1], c[2], (c[3], tuple(c[4:-1]), c[-1]))

    def field_line(self, c: Children) -> ast.FieldLine:
        flags = tuple(self.name(t) for t in c[2:-1])
        return ast.FieldLine(self.cover_all(c), self.name(c[0]), c[1], flags, c[-1])

    history_field = field_line

    def simple_type(self, c: Children) -> ast.TypeRef:
        return ast.TypeRef(self.tspan(c[0]), str(c[0]))

    def enum_type(self, c: Children) -> ast.TypeRef:
        items = c[1:-1]
        values = tuple(v for v, _ in items)
        labels = tuple(label for _, label in items)
        if all(label is None for label in labels):
            labels = ()
        return ast.TypeRef(self.cover(c[0], c[-1]), "enum", values, labels)

    def enum_value(self, c: Children) -> tuple[ast.Name, ast.Str | None]:
        return self.name(c[0]), c[1]

    def block_decl(self, c: Children) -> ast.Block:
        return self._block(c[0], c[1], c[2], c[3])

    def import_decl(self, c: Children) -> ast.Import:
        return ast.Import(self.cover(c[0], c[1]), c[1])

    def link(self, c: Children) -> ast.Link:
        label = c[-1]
        names = tuple(self.name(t) for t in c[:-1] if t.type == "NAME")
        arrows = tuple(str(t) for t in c[:-1] if t.type in ("ARROW", "FEEDBACK"))
        return ast.Link(self.cover_all(c), names, label, arrows=arrows)

    def start(self, c: Children) -> list[ast.Decl]:
        return c
