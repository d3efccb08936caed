"""The parser: the only module that imports Lark.

Text goes in; an `ast.File` and syntax diagnostics (SYN101–SYN104) come out. Lark's trees and
exceptions never leave this module: the grammar's rules are lowered to AST nodes *while*
parsing (Lark's inline transformer for LALR), and Lark errors are turned into diagnostics that
say in words what was expected.

Recovery: the whole file is parsed in one go first (the fast path). When that fails, the text is
cut into top-level statements (brace- and string-aware), each statement is parsed on its own, and
every statement that fails gives one diagnostic; the statements that parsed go on to resolution.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
import textwrap
import threading
from dataclasses import replace
from decimal import Decimal
from importlib import resources

from lark import Lark, Token, Transformer
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from .. import diagnostics as dg
from ..language import BLOCK_KINDS, STATEMENT_STARTERS
from ..source import SourceFile, Span
from . import ast

MAX_NESTING = 200
# Parentheses that only group (`((a))`) do not deepen the tree, so they may go deeper than
# MAX_NESTING; past this they are refused before Lark sees them (its stacks grow with the depth).
MAX_PARENS = 1000
# No number, date or duration anyone means is longer; and converting a long run of digits to an
# int is quadratic (a 1 MB literal took 40 s) and beyond 4,300 digits raises.
MAX_LITERAL = 40


def grammar_text() -> str:
    return resources.files("stratlang.grammar").joinpath("stratlang.lark").read_text("utf-8")


class _Abort(Exception):
    """Raised inside lowering for a problem that makes the statement unusable."""

    def __init__(self, diag: dg.Diagnostic):
        self.diag = diag


# --------------------------------------------------------------------------- literals

_NUMBER = re.compile(r"^(-?)(\d(?:_?\d)*)(\.\d+)?(%|万|亿|k|m)?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DURATION = re.compile(r"^(\d+)(mo|h|d|w|y)$")
_SCALE = {"万": 10_000, "亿": 100_000_000, "k": 1_000, "m": 1_000_000}
_LITERAL_HELP = (
    "a literal is a number (42, 3.5, 1_000_000), a number with `%`, `万`, `亿`, `k` or "
    "`m`, a date (2026-12-31), a quarter (2026Q4), a time (21:00) or a duration "
    "(12h, 30d, 2w, 3mo, 1y)"
)
_ESCAPE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|.)", re.S)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def _printable(text: str) -> str:
    """Text for a one-line message: control characters and line breaks as escapes."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _literal_hint(raw: str) -> str:
    if re.match(r"^-?\d+(?:\.\d+)?-\d+(?:\.\d+)?$", raw):
        a, b = raw.rsplit("-", 1)
        return f"for a range write `{a} .. {b}` (in a rule: `between {a} and {b}`)"
    m = re.match(r"^-?[\d_.]+([A-Za-z\u4e00-\u9fff%]+)$", raw)
    if m:
        return (
            f"`{m.group(1)}` is not a unit: numbers take `%`, `万`, `亿`, `k` or `m`; "
            "durations take `h`, `d`, `w`, `mo` or `y`"
        )
    return _LITERAL_HELP


def _parens_too_deep(span: Span) -> dg.Diagnostic:
    return dg.make(
        "SYN101",
        f"parentheses nested more than {MAX_PARENS} levels deep",
        span,
        "too deep",
        help="remove the parentheses that only group a single test",
    )


def _rule_too_deep(span: Span) -> dg.Diagnostic:
    return dg.make(
        "SYN101",
        f"rule nested more than {MAX_NESTING} levels deep",
        span,
        "too deep",
        help="split the rule into segments joined with `extends`",
    )


def _blocks_too_deep(span: Span) -> dg.Diagnostic:
    return dg.make(
        "SYN101",
        f"blocks nested more than {MAX_NESTING} levels deep",
        span,
        "too deep",
        help="a declaration holds attributes and `profile { … }` blocks; close the blocks that are "
        "still open",
    )


class Lowerer(Transformer):
    """Grammar rules -> AST nodes. One instance per parser; `begin()` resets it for a run."""

    def __init__(self):
        super().__init__(visit_tokens=False)
        self.begin(None, 0, 0)

    def begin(self, source: SourceFile | None, offset: int, line_offset: int):
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

    def span_of(self, x) -> Span:
        if isinstance(x, Token):
            return self.tspan(x)
        return x if isinstance(x, Span) else x.span

    def cover(self, first, last) -> Span:
        a = self.span_of(first)
        b = self.span_of(last)
        return Span(self.path, a.start, b.end, a.line, a.column, b.end_line, b.end_column)

    def cover_all(self, children) -> Span:
        present = [c for c in children if c is not None]
        return self.cover(present[0], present[-1])

    def on_comment(self, tok: Token) -> None:
        self.comments.append(ast.Comment(self.tspan(tok), str(tok).rstrip()))

    # ---------------------------------------------------------------- atoms

    def string(self, c):
        tok = c[0]
        return ast.Str(self.tspan(tok), self._unescape(tok, str(tok)[1:-1]))

    def long_string(self, c):
        tok = c[0]
        body = str(tok)[3:-3]
        lines = body.split("\n")
        if lines and not lines[0].strip():
            lines = lines[1:]
        if lines and not lines[-1].strip():
            lines = lines[:-1]
        text = textwrap.dedent("\n".join(lines))
        return ast.Str(self.tspan(tok), self._unescape(tok, text), triple=True)

    def _unescape(self, tok: Token, text: str) -> str:
        if "\\" not in text:
            return text

        def sub(m):
            e = m.group(1)
            if e in _ESCAPES:
                return _ESCAPES[e]
            if e.startswith("u{"):
                cp = int(e[2:-1], 16)
                if cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF:
                    return chr(cp)
            self.diags.append(
                dg.make(
                    "SYN103",
                    f"unknown escape `\\{_printable(e)}` in a string",
                    self.tspan(tok),
                    "here",
                    help='strings know `\\"`, `\\\\`, `\\n`, `\\t` and `\\u{XXXX}`',
                )
            )
            return m.group(0)

        return _ESCAPE.sub(sub, text)

    def literal(self, c):
        tok = c[0]
        raw = str(tok)
        span = self.tspan(tok)
        if len(raw) > MAX_LITERAL:
            return self._bad(
                span,
                raw,
                f"literal `{raw[:20]}…` is too long ({len(raw):,} characters)",
                f"a literal has at most {MAX_LITERAL} characters; " + _LITERAL_HELP,
            )
        m = _NUMBER.match(raw)
        if m:
            sign, whole, frac, suffix = m.groups()
            d = Decimal(sign + whole.replace("_", "") + (frac or ""))
            if suffix in _SCALE:
                d *= _SCALE[suffix]
            value = int(d) if d == d.to_integral_value() else float(d)
            return ast.Number(span, value, suffix == "%", raw, suffix in _SCALE)
        m = _DATE.match(raw)
        if m:
            try:
                return ast.Date(span, dt.date(int(m[1]), int(m[2]), int(m[3])), raw)
            except ValueError as e:
                return self._bad(
                    span,
                    raw,
                    f"invalid date `{raw}` ({e})",
                    "write a real calendar date: YYYY-MM-DD",
                )
        m = _QUARTER.match(raw)
        if m:
            year, q = int(m[1]), int(m[2])
            if year < dt.MINYEAR:
                return self._bad(
                    span,
                    raw,
                    f"invalid quarter `{raw}` (year {year} is out of range)",
                    f"years run from {dt.MINYEAR:04d} to {dt.MAXYEAR}: write e.g. 2026Q4",
                )
            last = (
                dt.date(year, 12, 31)
                if q == 4
                else dt.date(year, 3 * q + 1, 1) - dt.timedelta(days=1)
            )
            return ast.Date(span, last, raw, quarter=True)
        m = _TIME.match(raw)
        if m:
            h, mi = int(m[1]), int(m[2])
            if h < 24 and mi < 60:
                return ast.Time(span, h, mi, raw)
            return self._bad(span, raw, f"invalid time `{raw}`", "times run from 00:00 to 23:59")
        m = _DURATION.match(raw)
        if m:
            return ast.Duration(span, int(m[1]), m[2], raw)
        return self._bad(span, raw, f"malformed literal `{raw}`", _literal_hint(raw))

    def _bad(self, span, raw, message, help):
        self.diags.append(dg.make("SYN103", message, span, "not a valid literal", help=help))
        return ast.Invalid(span, raw)

    def name(self, c) -> ast.Name:
        """The `name` rule callback (children list) and the token -> Name helper."""
        if isinstance(c, Token):
            return ast.Name(self.tspan(c), str(c))
        return ast.Name(self.tspan(c[0]), str(c[0]))

    # ---------------------------------------------------------------- values

    def range(self, c):
        return ast.Range(self.cover(c[0], c[2]), c[0], c[2])

    def rate(self, c):
        return ast.Rate(self.cover(c[0], c[2]), c[0], c[2])

    def value_list(self, c):
        return ast.ListValue(self.cover(c[0], c[-1]), tuple(c))

    # ---------------------------------------------------------------- expressions

    def _nest(self, node, children, at=None):
        """Record `node`'s nesting depth (rules and blocks): deeper than MAX_NESTING is SYN101, so
        that every later stage can walk the tree recursively."""
        d = 1 + max((self.depth.get(id(x), 0) for x in children), default=0)
        if d > MAX_NESTING:
            if isinstance(node, ast.SubBlock):
                raise _Abort(_blocks_too_deep(at or node.span))
            raise _Abort(_rule_too_deep(node.span))
        self.depth[id(node)] = d
        return node

    def or_expr(self, c):
        ops = tuple(c[0::2])
        return self._nest(ast.Or(self.cover(c[0], c[-1]), ops), ops)

    def and_expr(self, c):
        ops = tuple(c[0::2])
        return self._nest(ast.And(self.cover(c[0], c[-1]), ops), ops)

    def negation(self, c):
        return self._nest(ast.Not(self.cover(c[0], c[1]), c[1]), (c[1],))

    def paren(self, c):
        # The parenthesised expression's span takes in the parentheses, so `not (a or b)` ends at `)`.
        inner = c[1]
        wide = replace(inner, span=self.cover(c[0], c[2]))
        # `inner` is dropped here and its id() may be reused by a later node: move its entry.
        d = self.depth.pop(id(inner), None)
        if d is not None:
            self.depth[id(wide)] = d
        return wide

    def compare(self, c):
        return ast.Compare(self.cover(c[0], c[2]), self.name(c[0]), str(c[1]), c[2])

    def between(self, c):
        return ast.Between(self.cover(c[0], c[4]), self.name(c[0]), c[2], c[4])

    def in_list(self, c):
        span, values = c[2]
        return ast.In(self.cover(c[0], span), self.name(c[0]), values)

    def not_in_list(self, c):
        span, values = c[3]
        return ast.In(self.cover(c[0], span), self.name(c[0]), values, negated=True)

    def is_missing(self, c):
        return ast.Missing(self.cover(c[0], c[2]), self.name(c[0]))

    def is_present(self, c):
        return ast.Missing(self.cover(c[0], c[2]), self.name(c[0]), present=True)

    def bool_test(self, c):
        return ast.BoolTest(self.tspan(c[0]), self.name(c[0]))

    def rule_list(self, c):
        values = tuple(x for x in c[1:-1] if x is not None)
        return self.cover(c[0], c[-1]), values

    # ---------------------------------------------------------------- items

    def attribute(self, c):
        return ast.Attribute(self.cover(c[0], c[1]), self.name(c[0]), c[1])

    schema_attr = attribute

    def sub_block(self, c):
        lbrace, items, rbrace = c[1]
        node = ast.SubBlock(self.cover(c[0], rbrace), self.name(c[0]), items)
        return self._nest(
            node, [i for i in items if isinstance(i, ast.SubBlock)], self.cover(c[0], lbrace)
        )

    def rule_attr(self, c):
        return ast.Attribute(self.cover(c[0], c[1]), self.name(c[0]), c[1])

    def when_attr(self, c):
        return ast.Attribute(self.cover(c[0], c[1]), self.name(c[0]), c[1])

    def target_line(self, c):
        tgt, id_, label, op, value, _by, by, _bl, baseline = c
        return ast.TargetLine(
            self.cover_all(c), self.name(id_), label, str(op), value, by, baseline
        )

    def step_line(self, c):
        step, number, channel, script, _after, after, unless, _conv = c
        return ast.StepLine(
            self.cover_all(c),
            self.literal([number]),
            self.name(channel),
            self.name(script),
            after,
            unless is not None,
        )

    def objection_line(self, c):
        return ast.ObjectionLine(self.cover(c[0], c[3]), c[1], c[3])

    def trigger_event(self, c):
        return ast.Trigger(self.cover_all(c), "event", ref=self.name(c[1]), within=c[3])

    def trigger_lifecycle(self, c):
        return ast.Trigger(self.cover(c[0], c[1]), "lifecycle", ref=self.name(c[1]))

    def trigger_schedule(self, c):
        return ast.Trigger(self.cover(c[0], c[1]), "schedule", ref=self.name(c[1]))

    def trigger_rule(self, c):
        return ast.Trigger(self.cover(c[0], c[1]), "rule", rule=c[1])

    def body(self, c):
        return c[0], tuple(c[1:-1]), c[-1]

    # ---------------------------------------------------------------- declarations

    def _block(self, kind_tok, id_tok, label, body, kind=None):
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

    def strategy(self, c):
        return self._block(c[0], None, c[1], c[2])

    def perspectives(self, c):
        return self._block(c[0], None, None, (c[1], tuple(c[2:-1]), c[-1]))

    def perspective_item(self, c):
        return ast.PerspectiveItem(self.cover_all(c), self.name(c[0]), c[1])

    def schema(self, c):
        return self._block(c[0], c[1], c[2], (c[3], tuple(c[4:-1]), c[-1]))

    def field_line(self, c):
        flags = tuple(self.name(t) for t in c[2:-1])
        return ast.FieldLine(self.cover_all(c), self.name(c[0]), c[1], flags, c[-1])

    def simple_type(self, c):
        return ast.TypeRef(self.tspan(c[0]), str(c[0]))

    def enum_type(self, c):
        values = tuple(self.name(t) for t in c[1:-1])
        return ast.TypeRef(self.cover(c[0], c[-1]), "enum", values)

    def block_decl(self, c):
        return self._block(c[0], c[1], c[2], c[3])

    def import_decl(self, c):
        return ast.Import(self.cover(c[0], c[1]), c[1])

    def link(self, c):
        label = c[-1]
        names = tuple(self.name(t) for t in c[:-1] if t.type == "NAME")
        return ast.Link(self.cover_all(c), names, label)

    def start(self, c):
        return c


# --------------------------------------------------------------------------- words for errors

_WORDS = {
    "NAME": "a name",
    "STRING": "a string",
    "LONG_STRING": "a string",
    "LITERAL": "a number",
    "TAG": "a name",
    "CMP": "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`)",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "ARROW": "`->`",
    "DOTDOT": "`..`",
    "COMMA": "`,`",
    "SEMICOLON": "`;`",
    "BLOCK_KIND": "a declaration",
    "FLAG": "`key`, `optional` or `risk_tolerance`",
    "$END": "end of file",
}
_TOP = {"STRATEGY", "PERSPECTIVES", "SCHEMA", "IMPORT", "BLOCK_KIND"}
_ITEM_STARTS = {"RULE", "WHEN", "TARGET", "STEP", "OBJECTION"}


_KEYWORD_TERMINAL = re.compile(r'^([A-Z][A-Z_]*)(?:\.\d+)?:\s*"([^"\\]+)"\s*$', re.M)
_literal_terminals: dict[str, str] | None = None


def _terminal_text(term: str) -> str | None:
    """The literal text of a keyword/punctuation terminal, read from the grammar (`USING` -> `using`)."""
    global _literal_terminals
    if _literal_terminals is None:
        _literal_terminals = {m[1]: m[2] for m in _KEYWORD_TERMINAL.finditer(grammar_text())}
        _literal_terminals.update({"USING": "using", "COMMA": ",", "SEMICOLON": ";"})
    return _literal_terminals.get(term)


def _word(term: str) -> str:
    """A terminal in words. Never the terminal's name: an unknown one becomes "another token"."""
    if term in _WORDS:
        return _WORDS[term]
    text = _terminal_text(term)
    if text is not None:
        return f"`{text}`"
    if term.isupper() and term.isalpha():
        return f"`{term.lower()}`"
    return "another token"


def describe_expected(expected) -> str:
    exp = set(expected)
    parts: list[str] = []
    if exp & _TOP:
        parts.append("a declaration (`objective`, `segment`, `play`, …)")
        exp -= _TOP | {"NAME", "SEMICOLON", "$END"}
    if "RBRACE" in exp and "NAME" in exp and exp & _ITEM_STARTS:
        parts.append("an attribute")
        exp -= _ITEM_STARTS | {"NAME", "SEMICOLON"}
    if {"NAME", "LITERAL"} <= exp and ({"STRING", "LONG_STRING"} & exp):
        parts.append("a value")
        exp -= {"NAME", "LITERAL", "STRING", "LONG_STRING", "TAG"}
    if {"NOT", "LPAR", "NAME"} <= exp:
        parts.append("a condition (`field >= value`, `flag`, `not …`, `( … )`)")
        exp -= {"NOT", "LPAR", "NAME"}
    exp.discard("SEMICOLON")
    if "STRING" in exp:
        exp.discard("LONG_STRING")
    if "NAME" in exp:
        exp.discard("TAG")
    closing = [_word(t) for t in ("RBRACE", "RPAR", "RSQB", "$END") if t in exp]
    exp -= {"RBRACE", "RPAR", "RSQB", "$END"}
    words = parts + sorted({_word(t) for t in exp}) + closing
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _found(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    text = str(tok)
    if len(text) > 30:
        text = text[:27] + "…"
    return f"`{text}`"


# --------------------------------------------------------------------------- statement splitting

# Possessive repetitions (`*+`, `++`), as in the grammar: no backtracking record per character.
_SCAN = re.compile(
    r'"""(?:[^"\\]++|\\[\s\S]?|"(?!""))*+(?:"""|$)|"(?:[^"\\\n]++|\\.)*+(?:"|$)|#[^\n]*|[{}]|\n',
    re.M,
)
_DEPTH_SCAN = re.compile(_SCAN.pattern[: -len(r"|[{}]|\n")] + r"|[{}()]", re.M)
_STARTER = re.compile(rf"[ \t]*(?:({'|'.join(STATEMENT_STARTERS)})(?!\w)|[^\W\d]\w*[ \t]*->)")


# Inside an open block, a column-1 line only counts as a new declaration when it cannot be an
# attribute: `theme growth` and `segment payroll_young` are attributes of an unindented block,
# `segment s {` and `event e "label"` are declarations.
_KINDS = rf"(?:{'|'.join(BLOCK_KINDS)})"
_STR = r'"(?:[^"\\\n]++|\\.)*+"'
_HEADER = re.compile(
    rf"(?:{_KINDS}[ \t]+[^\W\d]\w*[ \t]*(?:{_STR}[ \t]*(?:\{{|#|$)|\{{)"
    rf"|strategy(?![\w-])[ \t]*(?:{_STR}[ \t]*)?\{{|perspectives[ \t]*\{{|schema[ \t]+[^\W\d]\w*[ \t]*(?:{_STR}[ \t]*)?\{{"
    rf"|import[ \t]*\"|[^\W\d]\w*[ \t]*->)",
    re.M,
)


# `KIND id` at the start of a statement: the id a broken declaration would have declared.
_DECL_ID = re.compile(
    rf"\s*(?:#[^\n]*\n\s*)*(?:{'|'.join(BLOCK_KINDS + ('schema',))})\s+([^\W\d]\w*)"
)

GROUP_CHARS = 16_000


def _groups(text: str) -> list[tuple[int, int]]:
    """Cut a long text into groups of whole top-level statements of about GROUP_CHARS, cutting
    only where no brace is open. Each group is parsed in one go; a syntax error then costs a
    statement-by-statement re-parse of its group only, not of the whole file (the language server
    re-checks files that, while being typed, almost always hold an error)."""
    if len(text) <= GROUP_CHARS:
        return [(0, len(text))]
    groups, gs = [], 0
    for _start, end, unclosed in split_statements(text):
        if end - gs >= GROUP_CHARS and not unclosed and end < len(text):
            groups.append((gs, end))
            gs = end
    groups.append((gs, len(text)))
    return groups


def _check_depth(source: SourceFile, start: int, end: int) -> None:
    """Raise _Abort when text[start:end] opens blocks or parentheses nested deeper than the parser
    would accept (MAX_NESTING below a declaration's own braces), found by a scan: such a statement
    is never handed to Lark, whose stacks would grow with the depth (2 GB for 10 MB of `x {`,
    7 s for 1 MB of `(`)."""
    text = source.text
    braces = text.count("{", start, end) > MAX_NESTING + 1
    parens = text.count("(", start, end) > MAX_PARENS
    if not (braces or parens):
        return
    depth = {"{": 0, "(": 0}
    limit = {"{": MAX_NESTING + 1, "(": MAX_PARENS}
    closer = {"}": "{", ")": "("}
    for m in _DEPTH_SCAN.finditer(text, start, end):
        tok = m.group()
        if tok in depth:
            depth[tok] += 1
            if depth[tok] > limit[tok]:
                span = source.span(m.start(), m.end())
                raise _Abort(_blocks_too_deep(span) if tok == "{" else _parens_too_deep(span))
        elif tok in closer and depth[closer[tok]]:
            depth[closer[tok]] -= 1


def _is_eof(e) -> bool:
    return isinstance(e, UnexpectedEOF) or (
        isinstance(e, UnexpectedToken) and e.token.type == "$END"
    )


def split_statements(text: str) -> list[tuple[int, int, list[int]]]:
    """Cut text into top-level statements: (start, end, [offsets of unclosed '{']).

    A statement starts at the beginning of a line, outside any braces, whose first word is a
    declaration keyword or a link (`name ->`). If a brace is still open when a declaration
    keyword starts a line at column 1, the open block is taken to have been left unclosed there.
    """
    starts = [0]
    opens: list[int] = []
    unclosed: dict[int, list[int]] = {}
    pos = 0
    n = len(text)

    def at_line_start(i: int) -> None:
        nonlocal opens
        m = _STARTER.match(text, i)
        if not m:
            return
        if not opens:
            starts.append(i)
        elif text[i] not in " \t" and _HEADER.match(text, i):
            unclosed[i] = opens
            opens = []
            starts.append(i)

    for m in _SCAN.finditer(text):
        tok = m.group()
        if tok == "\n":
            pos = m.end()
            if pos < n:
                at_line_start(pos)
        elif tok == "{":
            opens.append(m.start())
        elif tok == "}" and opens:
            opens.pop()
    if opens:
        unclosed[n] = opens
    starts = sorted(set(starts))
    out = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else n
        out.append((s, e, unclosed.get(e, [])))
    return out


# --------------------------------------------------------------------------- the parser


class _Parser:
    def __init__(self):
        self.lowerer = Lowerer()
        self.lock = threading.Lock()
        self.lark = Lark(
            grammar_text(),
            parser="lalr",
            lexer="contextual",
            maybe_placeholders=True,
            transformer=self.lowerer,
            lexer_callbacks={"COMMENT": self.lowerer.on_comment},
            propagate_positions=False,
            cache=False,
        )

    def parse(self, source: SourceFile) -> tuple[ast.File, list[dg.Diagnostic]]:
        # The nodes built here are acyclic and all stay alive: the cyclic GC only re-scans them
        # (it costs ~40% of the parse time on large files), so it is paused during the parse.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            with self.lock:
                return self._parse(source)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _parse(self, source: SourceFile) -> tuple[ast.File, list[dg.Diagnostic]]:
        text = source.text
        decls, comments, diags = [], [], []
        self.broken: list[str] = []
        groups = _groups(text)
        i = 0
        while i < len(groups):
            gs, ge = groups[i]
            try:
                _check_depth(source, gs, ge)
                d, c, g = self._run(source, text[gs:ge], gs, source.line_col(gs)[0] - 1)
            except (UnexpectedInput, _Abort) as first:
                if _is_eof(first) and i + 1 < len(groups):
                    # a statement that runs on past the cut (a link chain continued on the next
                    # line): parse this group together with the next one
                    groups[i + 1] = (gs, groups[i + 1][1])
                    i += 1
                    continue
                d, c, g = self._recover(source, gs, ge, first)
            decls.extend(d)
            comments.extend(c)
            diags.extend(g)
            i += 1
        comments.sort(key=lambda c: c.span.start)
        file_span = source.span(0, len(text))
        decls, dangling = attach_comments(tuple(decls), comments)
        return ast.File(
            file_span, source.path, decls, tuple(comments), dangling, tuple(self.broken)
        ), diags

    def _run(self, source, text, offset, line_offset):
        low = self.lowerer
        low.begin(source, offset, line_offset)
        try:
            decls = self.lark.parse(text)
        except VisitError as e:  # an _Abort raised inside a callback
            if isinstance(e.orig_exc, _Abort):
                raise e.orig_exc from None
            raise
        return decls, low.comments, low.diags

    def _note_broken(self, text: str, start: int) -> None:
        m = _DECL_ID.match(text, start)
        if m:
            self.broken.append(m.group(1))

    def _recover(self, source: SourceFile, gs: int, ge: int, first):
        """Parse the statements of text[gs:ge] one by one: one diagnostic per broken statement.
        The ids of broken declarations are kept (`self.broken`) so that references to them do
        not add "undefined" errors on top of the syntax error."""
        text = source.text
        decls, comments, diags = [], [], []
        for start, end, unclosed in split_statements(text[gs:ge]):
            start, end, unclosed = start + gs, end + gs, [b + gs for b in unclosed]
            chunk = text[start:end]
            if not chunk.strip():
                low = self.lowerer
                low.begin(source, start, 0)
                continue
            line_offset = source.line_col(start)[0] - 1
            try:
                self.lowerer.begin(
                    source, start, line_offset
                )  # no stale diagnostics if the next line raises
                _check_depth(source, start, end)
                d, c, g = self._run(source, chunk, start, line_offset)
                decls.extend(d)
                comments.extend(c)
                diags.extend(g)
            except _Abort as e:
                self._note_broken(text, start)
                # The lexer stopped at the error: take the statement's comments from the text.
                comments.extend(_scan_comments(source, start, end))
                diags.extend(self.lowerer.diags)
                diags.append(e.diag)
            except UnexpectedInput as e:
                self._note_broken(text, start)
                comments.extend(_scan_comments(source, start, end))
                low = self.lowerer.diags
                diags.extend(low)
                if (
                    low
                    and isinstance(e, UnexpectedToken)
                    and e.token.type != "$END"
                    and low[-1].code == "SYN103"
                    and not text[low[-1].span.end : start + e.token.start_pos].strip()
                ):
                    # The token right after a malformed literal (`between 22-35 }`): the literal's
                    # SYN103 already says what is wrong; a second error would only repeat it.
                    continue
                diags.append(self._diagnose(source, e, start, end, unclosed))
        if not any(d.severity == dg.Severity.ERROR and d.code != "SYN103" for d in diags):
            # Every statement parsed on its own, yet the group as a whole did not: report the
            # group's error rather than nothing.
            if isinstance(first, _Abort):
                diags.append(first.diag)
            else:
                diags.append(self._diagnose(source, first, gs, ge, []))
            diags.sort(key=lambda d: d.span.start)
        return decls, comments, diags

    def _diagnose(
        self, source: SourceFile, e: UnexpectedInput, start: int, end: int, unclosed: list[int]
    ):
        text = source.text
        is_eof = isinstance(e, UnexpectedEOF) or (
            isinstance(e, UnexpectedToken) and e.token.type == "$END"
        )
        if is_eof:
            accepts = _accepts(e)
            at_eof = end >= len(text)
            stop = start + len(text[start:end].rstrip())
            if unclosed and (not at_eof or "RBRACE" in accepts):
                # The block's items are complete and only its `}` is missing (or the next
                # declaration starts at column 1 inside it): point at the opening brace.
                brace = unclosed[-1]
                return dg.make(
                    "SYN102",
                    "this `{` is never closed",
                    source.span(brace, brace + 1),
                    "opened here",
                    help="add the matching `}` at the end of the block",
                )
            span = source.span(stop, stop)
            expected = describe_expected(accepts)
            code = "SYN104" if at_eof else "SYN101"
            what = "unexpected end of file" if code == "SYN104" else "statement ends too early"
            labels = tuple(
                dg.Label(source.span(b, b + 1), "this `{` is still open") for b in unclosed[-1:]
            )
            return dg.make(
                code,
                f"{what}: expected {expected}{self._after(text, stop)}",
                span,
                "expected more here",
                labels=labels,
                help=_comment_help(text, start, stop, accepts),
            )
        if isinstance(e, UnexpectedCharacters):
            pos = start + e.pos_in_stream
            ch = text[pos]
            if ch == '"':
                line_end = text.find("\n", pos)
                line_end = len(text) if line_end == -1 else line_end
                # An unclosed `"""` lexes as an empty string `""` followed by a stray `"`.
                q = pos
                while q > start and q > pos - 2 and text[q - 1] == '"':
                    q -= 1
                if text.startswith('"""', q):
                    pos = q
                    return dg.make(
                        "SYN102",
                        'unterminated text block: `"""` is never closed',
                        source.span(pos, pos + 3),
                        "opened here",
                        help='close it with `"""`',
                    )
                return dg.make(
                    "SYN102",
                    "unterminated string",
                    source.span(pos, line_end),
                    "string starts here",
                    help='close the string with `"` on the same line, or use `"""` for text over several lines',
                )
            allowed = describe_expected(e.allowed or ())
            shown = ch if ch.isprintable() else ch.encode("unicode_escape").decode()
            return dg.make(
                "SYN101",
                f"unexpected character `{shown}`: expected {allowed}{self._after(text, pos)}",
                source.span(pos, pos + 1),
                "not expected here",
                help=_char_help(ch),
            )
        tok: Token = e.token
        pos = start + tok.start_pos
        span = source.span(pos, start + tok.end_pos)
        expected = describe_expected(_accepts(e))
        return dg.make(
            "SYN101",
            f"expected {expected}{self._after(text, pos)}, found {_found(tok)}",
            span,
            "unexpected here",
            help=_token_help(tok, e.expected) + _comment_help(text, start, pos, _accepts(e)),
        )

    @staticmethod
    def _after(text: str, pos: int) -> str:
        """`after `…`` naming the text just before the error (the current line, or the previous
        non-blank line)."""
        line_start = text.rfind("\n", 0, pos) + 1
        before = text[line_start:pos]
        before = before.split("#", 1)[0].strip() if '"' not in before else before.strip()
        end = line_start - 1
        while not before and end > 0:  # the previous non-blank line (without copying the text)
            prev_start = text.rfind("\n", 0, end) + 1
            before = text[prev_start:end].strip()
            if '"' not in before:
                before = before.split("#", 1)[0].strip()
            end = prev_start - 1
        if not before:
            return ""
        if len(before) > 40:
            before = "…" + before[-39:]
        return f" after `{before}`"


def _scan_comments(source: SourceFile, start: int, end: int) -> list[ast.Comment]:
    """The comments of text[start:end], found without the parser (strings are skipped)."""
    return [
        ast.Comment(source.span(m.start(), m.end()), m.group().rstrip())
        for m in _SCAN.finditer(source.text, start, end)
        if m.group().startswith("#")
    ]


def _accepts(e: UnexpectedInput) -> set[str]:
    """The terminals the parser would really accept here (LALR's `expected` set is merged
    across states and names too much)."""
    ip = getattr(e, "interactive_parser", None)
    if ip is not None:
        try:
            return set(ip.accepts())
        except Exception:  # pragma: no cover - fall back to Lark's approximation
            pass
    return set(getattr(e, "expected", ()) or ())


def _char_help(ch: str) -> str:
    if ch in "“”":
        return 'use straight quotes `"` for strings'
    if ch in "，；：（）【】":
        return "that is a full-width punctuation mark; use its ASCII form (`,` `;` `:` `(` `)` `[` `]`)"
    return "remove it, or put the text inside a string"


_VALUE_COMMENTED_OUT = re.compile(r"(?:^|[{;])[ \t]*[^\W\d]\w*[ \t]+#", re.M)


def _comment_help(text: str, start: int, pos: int, accepts) -> tuple[str, ...]:
    """`color #2b6cb0`: the value was read as a comment."""
    if not ({"STRING", "LITERAL", "NAME"} & set(accepts)):
        return ()
    line_start = text.rfind("\n", start, max(start, text.rfind("\n", start, pos))) + 1
    if _VALUE_COMMENTED_OUT.search(text, max(start, line_start), pos):
        return (
            "`#` starts a comment, so the rest of that line is ignored; write text that holds `#` "
            'as a string (`color "#2b6cb0"`)',
        )
    return ()


def _token_help(tok: Token, expected) -> tuple[str, ...]:
    if tok.type in ("RULE", "WHEN", "TARGET", "STEP", "OBJECTION") or str(tok) in (
        "rule",
        "when",
        "step",
        "target",
    ):
        return (f"`{tok}` starts an attribute; the previous attribute may be missing its value",)
    if "RBRACE" in expected and tok.type in ("BLOCK_KIND", "STRATEGY", "SCHEMA"):
        return ("a `}` may be missing before this declaration",)
    return ()


_PARSER: _Parser | None = None
_INIT_LOCK = threading.Lock()


def _parser() -> _Parser:
    global _PARSER
    if _PARSER is None:
        with _INIT_LOCK:
            if _PARSER is None:
                _PARSER = _Parser()
    return _PARSER


def parse_source(source: SourceFile) -> tuple[ast.File, list[dg.Diagnostic]]:
    """Parse one decoded source file. Never raises for any input text."""
    return _parser().parse(source)


def raw_lark_parse(text: str):
    """Lark's own parse of the text into a tree (no lowering): the benchmarks' baseline."""
    global _RAW
    try:
        raw = _RAW
    except NameError:
        raw = _RAW = Lark(
            grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=True
        )
    return raw.parse(text)


def build_strict_parser():
    """Build the parser in Lark's strict mode (raises on any grammar conflict); used by tests."""
    return Lark(
        grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=True, strict=True
    )


# --------------------------------------------------------------------------- comments


def attach_comments(nodes: tuple, comments: list[ast.Comment]):
    """Distribute comments over nodes (sorted by position): a comment on the line where a node
    ends is its trailing comment; other comments before a node are its leading comments;
    comments inside a block go to its items; what is left is dangling. Returns (nodes, dangling).
    """
    if not comments:
        return nodes, ()
    comments = sorted(comments, key=lambda c: c.span.start)
    out = []
    ci = 0
    nc = len(comments)
    for node in nodes:
        lead, trail_prev = [], []
        while ci < nc and comments[ci].span.start < node.span.start:
            c = comments[ci]
            if out and not lead and c.span.line == out[-1].span.end_line:
                trail_prev.append(c)
            else:
                lead.append(c)
            ci += 1
        if trail_prev:
            out[-1] = replace(out[-1], trailing=out[-1].trailing + tuple(trail_prev))
        inner = []
        while ci < nc and comments[ci].span.start < node.span.end:
            inner.append(comments[ci])
            ci += 1
        if lead or inner:
            changes = {}
            if lead:
                changes["leading"] = tuple(lead)
            if inner:
                if isinstance(node, (ast.Block, ast.SubBlock)):
                    items, dangling = attach_comments(node.items, inner)
                    changes["items"] = items
                    changes["dangling"] = dangling
                else:
                    changes["trailing"] = node.trailing + tuple(inner)
            node = replace(node, **changes)
        out.append(node)
    rest = comments[ci:]
    if out and rest and rest[0].span.line == out[-1].span.end_line:
        out[-1] = replace(out[-1], trailing=out[-1].trailing + (rest[0],))
        rest = rest[1:]
    return tuple(out), tuple(rest)
