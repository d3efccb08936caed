"""The printer: an `ast.File` (with its attached comments) -> canonical text.

The canonical style is described in docs/formatting.md. In short: two-space indentation, one
item per line, item names padded to one column per block, `{` on the declaration line, blocks
with one short attribute on one line, rules re-parenthesised by precedence (not > and > or) and
broken before `and`/`or` when longer than `WIDTH`, strings re-quoted with minimal escapes,
literals written as the user wrote them, every comment kept next to the node it belongs to.

The printer only reads the AST: it never looks at the original text, so its output depends on
the meaning of the file and on where its comments and blank lines were, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TypeVar

from .. import language
from ..source import display_width
from ..syntax import ast

INDENT = "  "
WIDTH = 100  # rules longer than this (in display columns) are broken before `and`/`or`


class _Trail:
    """An output line whose trailing comment is aligned with its neighbours' comments."""

    __slots__ = ("code", "comment")

    def __init__(self, code: str, comment: str | None) -> None:
        self.code = code
        self.comment = comment


# --------------------------------------------------------------------------- strings and values


# Cc (control characters) is U+0000–U+001F and U+007F–U+009F; one regex finds what needs an
# escape, so a long string costs one C-level scan rather than a Python step per character.
_QUOTE_ESC = re.compile(r'[\x00-\x1f\x7f-\x9f"\\]')
_TRIPLE_ESC = re.compile(r'\\|"(?="")|[\x00-\x08\x0a-\x1f\x7f-\x9f]')
_NAMED = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    return _NAMED.get(ch) or f"\\u{{{ord(ch):X}}}"


def quote(value: str) -> str:
    """A one-line string literal with minimal escapes."""
    return '"' + _QUOTE_ESC.sub(_escape, value) + '"'


def _escape_triple_line(line: str, escape_lead: bool) -> str:
    """A line of a text block: `\\`, a `"` that would start `\"\"\"`, and control characters
    other than tab escaped."""
    lead = ""
    if escape_lead and line[:1] in (" ", "\t"):
        # The parser dedents the text block before it unescapes; an escaped first blank keeps
        # indentation the dedent would otherwise take away.
        lead, line = ("\\t" if line[0] == "\t" else "\\u{20}"), line[1:]
    return lead + _TRIPLE_ESC.sub(_escape, line)


def triple(value: str, indent: str) -> str:
    """A text block: `\"\"\"`, the lines at `indent` + 2 spaces, the closing `\"\"\"` at `indent`."""
    lines = value.split("\n")
    nonblank = [ln for ln in lines if ln.strip()]
    # The parser dedents by the common indentation and turns blank-only lines into empty ones,
    # so a value whose lines all start with a blank, or a line of only blanks, needs escapes.
    common = bool(nonblank) and all(ln[0] in " \t" for ln in nonblank)
    body = []
    inner = indent + INDENT
    for ln in lines:
        if not ln:
            body.append("")
            continue
        blank_only = not ln.strip()
        if blank_only:
            text = "".join(
                "\\t" if c == "\t" else "\\u{20}" if c == " " else _escape_triple_line(c, False)
                for c in ln
            )
        else:
            text = _escape_triple_line(ln, common)
        if text[-1].isspace():
            # a blank at the end of a line would be lost (output lines carry no trailing blanks)
            text = text[:-1] + ("\\t" if text[-1] == "\t" else f"\\u{{{ord(text[-1]):X}}}")
        body.append(inner + text)
    return '"""\n' + "\n".join(body) + "\n" + indent + '"""'


def value(v: ast.Value, indent: str = "", inline: bool = False) -> str:
    """A value in attribute position (text blocks take `indent` for their lines; `inline`: every
    string as a one-line literal)."""
    if isinstance(v, ast.Name):
        return v.name
    if isinstance(v, ast.Str):
        return triple(v.value, indent) if v.triple and not inline else quote(v.value)
    if isinstance(
        v,
        (
            ast.Number,
            ast.Date,
            ast.Time,
            ast.Duration,
            ast.Ratio,
            ast.Multiple,
            ast.Period,
            ast.Invalid,
        ),
    ):
        return v.raw
    if isinstance(v, ast.Range):
        return f"{value(v.low, indent)} .. {value(v.high, indent)}"
    if isinstance(v, ast.Rate):
        return f"{value(v.amount, indent)} per {value(v.per, indent)}"
    if isinstance(v, ast.ListValue):
        return ", ".join(value(x, indent) for x in v.items)
    if isinstance(v, ast.Trigger):
        return trigger(v)
    if isinstance(v, ast.MeasureRef):
        return v.text
    if isinstance(v, ast.TESTS + (ast.Or, ast.And, ast.Not)):
        return expr(v)
    raise TypeError(f"cannot print {type(v).__name__}")  # pragma: no cover - the AST is closed


def trigger(t: ast.Trigger) -> str:
    # The parser gives event, lifecycle and schedule triggers a name and rule triggers a rule.
    if t.kind == "event":
        assert t.ref is not None
        s = f"event {t.ref.name}"
        return s + (f" within {value(t.within)}" if t.within is not None else "")
    if t.kind in ("lifecycle", "schedule"):
        assert t.ref is not None
        return f"{t.kind} {t.ref.name}"
    if t.kind in ("enters", "leaves", "becomes"):  # transition triggers: the parser names them
        assert t.ref is not None
        words = "lifecycle becomes" if t.kind == "becomes" else f"{t.kind} segment"
        return f"{words} {t.ref.name}"
    if t.kind in ("deviation", "threshold"):
        # The parser gives a review condition its measure and value (and a unit with a count).
        assert t.measure is not None and t.value is not None
        op = "deviates" if t.kind == "deviation" else t.op
        s = f"{t.measure.text} {op} {value(t.value)}"
        if t.count is not None:
            assert t.unit is not None
            s += f" for {value(t.count)} {t.unit.name}"
        return s
    assert t.rule is not None
    return "rule " + expr(t.rule)


def goal(op: str, low: ast.Value, high: ast.Value | None) -> str:
    """`>= 5亿` or `between 15% and 20%`: what a target or a milestone compares with."""
    if op == "between":
        assert high is not None  # the parser gives every `between` its high end
        return f"between {value(low)} and {value(high)}"
    return f"{op} {value(low)}"


# --------------------------------------------------------------------------- rules

_PREC = {ast.Or: 1, ast.And: 2, ast.Not: 3}


def _operand(e: ast.Expr, parent: type, inline: bool = False) -> str:
    """An operand of `and`/`or`: parenthesised when it is itself an `and`/`or` that the parser
    would otherwise read differently (`a and (b or c)`, and a nested group of the same kind)."""
    s = expr(e, inline)
    if isinstance(e, (ast.Or, ast.And)) and _PREC[type(e)] <= _PREC[parent]:
        return f"({s})"
    return s


def expr_text(e: ast.Expr) -> str:
    """A rule on one line, as `stratlang fmt` writes it (text-block strings as one-line literals):
    the one rule printer; model.json's rule texts come from here, and they parse back."""
    return expr(e, inline=True)


def expr(e: ast.Expr, inline: bool = False) -> str:
    if isinstance(e, ast.Or):
        return " or ".join(_operand(x, ast.Or, inline) for x in e.operands)
    if isinstance(e, ast.And):
        return " and ".join(_operand(x, ast.And, inline) for x in e.operands)
    if isinstance(e, ast.Not):
        inner = expr(e.operand, inline)
        if isinstance(e.operand, (ast.Or, ast.And)):
            inner = f"({inner})"
        return "not " + inner
    if isinstance(e, ast.Compare):
        return f"{operand(e.field, inline)} {e.op} {value(e.value, inline=inline)}"
    if isinstance(e, ast.Between):
        low, high = value(e.low, inline=inline), value(e.high, inline=inline)
        return f"{operand(e.field, inline)} between {low} and {high}"
    if isinstance(e, ast.In):
        op = "not in" if e.negated else "in"
        items = ", ".join(value(x, inline=inline) for x in e.values)
        return f"{operand(e.field, inline)} {op} [{items}]"
    if isinstance(e, ast.Missing):
        return f"{operand(e.field, inline)} is {'present' if e.present else 'missing'}"
    if isinstance(e, ast.BoolTest):
        return e.field.name
    raise TypeError(f"cannot print {type(e).__name__}")  # pragma: no cover


def operand(o: ast.Operand, inline: bool = True) -> str:
    """A test's left side: a field name, or an aggregate written in its one canonical form
    (`sum(txn.amount where kind = topup over 90d)`); that text also names the aggregate in
    messages, witnesses and model.json."""
    if isinstance(o, ast.Name):
        return o.name
    parts = [o.func.name, "(", "last " if o.last else "", o.table.name]
    if o.column is not None:
        parts += [".", o.column.name]
    if o.trend is not None:
        parts += [" ", o.trend]
    if o.where is not None:
        parts += [" where ", expr(o.where, inline)]
    if o.window is not None:
        parts += [" over ", value(o.window, inline=inline)]
    return "".join(parts) + ")"


def broken_expr(e: ast.Expr, first_col: int, cont: str) -> list[str]:
    """A rule over several lines: its top-level `and`/`or` operands filled greedily up to WIDTH,
    each continuation line starting with the operator at `cont` (the value column)."""
    one = expr(e)
    if _fits(one, WIDTH - first_col) or not isinstance(e, (ast.Or, ast.And)):
        return [one]
    word = "or" if isinstance(e, ast.Or) else "and"
    parts = [_operand(x, type(e)) for x in e.operands]
    lines = [parts[0]]
    col = first_col + display_width(parts[0])
    for p in parts[1:]:
        piece = f"{word} {p}"
        if col + 1 + display_width(piece) <= WIDTH:
            lines[-1] += " " + piece
            col += 1 + display_width(piece)
        else:
            lines.append(cont + piece)
            col = display_width(cont + piece)
    return lines


# --------------------------------------------------------------------------- items


def _fits(text: str, width: int) -> bool:
    """Whether `text` takes at most `width` display columns. A text of over twice that many code
    points is taken not to (only zero-width marks could make it fit), so that deciding costs no
    walk over a megabyte-long string, however often it is asked."""
    return len(text) <= 2 * width and display_width(text) <= width


def _pad(name: str, width: int) -> str:
    return name + " " * (width - display_width(name))


def _key(item: ast.Item) -> str | None:
    """The text in an item's name column (None: the item is not aligned)."""
    if isinstance(item, ast.Attribute):
        return item.name.name
    if isinstance(item, ast.TargetLine):
        return "target"
    if isinstance(item, ast.MeasureLine):
        return "measure"
    if isinstance(item, ast.MilestoneLine):
        return value(item.period)
    if isinstance(item, ast.StepLine):
        return "step " + value(item.number)
    if isinstance(item, ast.ObjectionLine):
        return "objection"
    if isinstance(item, ast.LimitLine):
        return "at most"
    if isinstance(item, ast.ConsentLine):
        return "consent"
    if isinstance(item, ast.VariantLine):
        return "variant"
    if isinstance(item, (ast.FieldLine, ast.PerspectiveItem)):
        return item.name.name if isinstance(item, ast.FieldLine) else item.id.name
    return None


def _first_line(node: ast.Decl | ast.Item) -> int:
    return node.leading[0].span.line if node.leading else node.span.line


class Printer:
    def __init__(self) -> None:
        self.out: list[str | _Trail] = []

    # ---------------------------------------------------------------- output helpers

    def emit(self, line: str) -> None:
        self.out.append(line.rstrip())

    def blank(self) -> None:
        if self.out and not (isinstance(self.out[-1], str) and self.out[-1] == ""):
            self.out.append("")

    def comments(
        self,
        comments: Sequence[ast.Comment],
        indent: str,
        prev_line: int | None,
        next_line: int | None,
    ) -> None:
        """Own-line comments, keeping one blank line where the user had one or more
        (`prev_line`: the last line used before them; `next_line`: the line of what follows)."""
        last = prev_line
        for c in comments:
            if last is not None and c.span.line - last > 1:
                self.blank()
            self.emit(indent + c.text)
            last = c.span.end_line
        if comments and next_line is not None and last is not None and next_line - last > 1:
            self.blank()

    def finish(self, lines: list[str], trailing: Sequence[ast.Comment], aligned: bool) -> None:
        """Emit an item's lines; its first trailing comment goes on its last line, any further
        ones (from inside a multi-line rule) on their own lines just after."""
        if not trailing:
            for ln in lines[:-1]:
                self.emit(ln)
            if aligned and len(lines) == 1:
                self.out.append(_Trail(lines[0].rstrip(), None))
            else:
                self.emit(lines[-1])
            return
        for ln in lines[:-1]:
            self.emit(ln)
        last = lines[-1].rstrip()
        if aligned and len(lines) == 1:
            self.out.append(_Trail(last, trailing[0].text))
        else:
            self.out.append(f"{last}  {trailing[0].text}")
        indent = " " * (len(lines[0]) - len(lines[0].lstrip(" ")))
        for c in trailing[1:]:
            self.emit(indent + c.text)

    # ---------------------------------------------------------------- file

    def file(self, f: ast.File) -> str:
        prev = None  # (decl, was it printed on one line)
        for d in f.decls:
            if prev is not None:
                prev_decl, prev_single = prev
                gap = _first_line(d) - prev_decl.span.end_line > 1
                if gap or not prev_single or not self._single(d):
                    self.blank()
            self.comments(d.leading, "", None, d.span.line)
            self.decl(d)
            prev = (d, self._single(d))
        if f.dangling:
            prev_line = f.decls[-1].span.end_line if f.decls else None
            self.comments(f.dangling, "", prev_line, None)
        while self.out and isinstance(self.out[-1], str) and self.out[-1] == "":
            self.out.pop()
        return _render(self.out)

    def _single(self, d: ast.Decl) -> bool:
        """Whether a declaration prints on one line (decides blank lines between declarations)."""
        if isinstance(d, (ast.Import, ast.Link)):
            return len(d.trailing) <= 1 and not _inner_comments(d)
        return d.body is None or self._one_line_body(d, "") is not None

    def decl(self, d: ast.Decl) -> None:
        if isinstance(d, (ast.Import, ast.Link)):
            self.one_liner(d)
        else:
            self.block(d, "")

    def one_liner(self, d: ast.Import | ast.Link) -> None:
        """`import "path"`, `a -> b -> c "label"`. A comment written inside (`import  # why` with
        the path on the next line, or after a name of a chain) stays after the word it followed,
        and the statement goes on in the next line (`  -> b`)."""
        inner = _inner_comments(d)
        pieces = _pieces(d)
        line = pieces[0][0]
        for k in range(1, len(pieces)):
            text, start, sep = pieces[k]
            gap = [c for c in inner if pieces[k - 1][1] <= c.span.start < start]
            if gap:
                self.emit(f"{line}  {gap[0].text}")
                for c in gap[1:]:
                    self.emit(INDENT + c.text)
                line = INDENT + sep + text
            else:
                line += " " + sep + text
        rest = tuple(c for c in d.trailing if c not in inner)
        self.finish([line], rest, not inner)

    # ---------------------------------------------------------------- blocks

    def header(self, b: ast.Block | ast.SubBlock) -> str:
        if isinstance(b, ast.SubBlock):
            return b.name.name
        parts = [b.kind]
        if b.id is not None:
            parts.append(b.id.name)
        if b.label is not None:
            parts.append(value(b.label))
        return " ".join(parts)

    def _one_line_body(self, b: ast.Block | ast.SubBlock, indent: str) -> str | None:
        """`header { name value }` for a block with one short attribute and no comments inside."""
        if b.dangling or len(b.items) != 1:
            return None
        item = b.items[0]
        if not isinstance(item, ast.Attribute) or item.leading or item.trailing:
            return None
        v = item.value
        if isinstance(v, ast.Str) and v.triple:
            return None
        line = f"{indent}{self.header(b)} {{ {item.name.name} {value(v)} }}"
        if not _fits(line, WIDTH):
            return None
        return line

    def block(self, b: ast.Block | ast.SubBlock, indent: str) -> None:
        _drive(self._block(b, indent))

    def _block(self, b: ast.Block | ast.SubBlock, indent: str) -> _Job:
        """Print a block. A generator: it yields the generators of its nested parts instead of
        calling them, and `_drive` runs them on an explicit stack (no recursion per level)."""
        head = self.header(b)
        if isinstance(b, ast.Block) and b.body is None:
            self.finish([indent + head], b.trailing, True)
            return
        if not b.items and not b.dangling:
            self.finish([f"{indent}{head} {{}}"], b.trailing, True)
            return
        one = self._one_line_body(b, indent)
        if one is not None and not isinstance(b, ast.SubBlock):
            self.finish([one], b.trailing, True)
            return
        # a comment right after `{` stays on the `{` line
        if isinstance(b, ast.SubBlock):
            open_line = b.name.span.line
        else:
            assert b.body is not None  # a block without braces was printed above
            open_line = b.body.line
        items = list(b.items)
        dangling = list(b.dangling)
        brace_comment = None
        if items and items[0].leading and items[0].leading[0].span.line == open_line:
            brace_comment = items[0].leading[0]
            items[0] = _without_first_leading(items[0])
        elif not items and dangling and dangling[0].span.line == open_line:
            brace_comment = dangling.pop(0)
        self.emit(f"{indent}{head} {{" + (f"  {brace_comment.text}" if brace_comment else ""))
        inner = indent + INDENT
        yield self._items(items, inner)
        if dangling:
            prev_line = items[-1].span.end_line if items else None
            self.comments(dangling, inner, prev_line, None)
        self.finish([indent + "}"], b.trailing, False)

    def _items(self, items: Sequence[ast.Item], indent: str) -> _Job:
        keys = [_key(i) for i in items]
        width = max((display_width(k) for k in keys if k is not None), default=0)
        cells: dict[int, str] = {}
        for kind in (ast.FieldLine, ast.StepLine, ast.TargetLine, ast.MeasureLine):
            rows = [(i, _cells(i, indent)) for i in items if isinstance(i, kind)]
            if kind is ast.StepLine and not any(r[1][_WITH_CELL] for r in rows):
                for _, row in rows:  # no step has `with`: no column for it (steps as before)
                    del row[_WITH_CELL]
            for i, line in zip([r[0] for r in rows], columns([r[1] for r in rows])):
                cells[id(i)] = line
        prev = None
        for k, (item, key) in enumerate(zip(items, keys)):
            if prev is not None and _first_line(item) - prev.span.end_line > 1:
                self.blank()
            self.comments(
                item.leading,
                indent,
                prev.span.end_line if prev is not None else None,
                item.span.line,
            )
            if isinstance(item, ast.SubBlock):
                yield self._block(item, indent)
            elif isinstance(item, (ast.TargetLine, ast.MeasureLine)) and item.body is not None:
                assert key is not None
                yield self._line_block(
                    item, indent, f"{indent}{_pad(key, width)} {cells[id(item)]}"
                )
            elif isinstance(item, ast.VariantLine) and item.body is not None:
                assert key is not None
                head = f"{indent}{_pad(key, width)} {variant_head(item, indent)}"
                one = _one_line_variant(item, head)
                if one is not None:  # `variant gift "礼包版" 30% { offer gift_pack }`
                    self.finish([one], item.trailing, True)
                else:
                    yield self._line_block(item, indent, head + " {")
            else:
                assert key is not None  # only a sub-block has no name column
                # a line break ends nothing: `;` where the next item's first word would be read as
                # more of this one (a field `key "x"` after `id string`)
                nxt = items[k + 1] if k + 1 < len(items) else None
                end = ";" if nxt is not None and _first_word(nxt) in _continuations(item) else ""
                self.item(item, indent, _pad(key, width), cells.get(id(item)), end)
            prev = item

    def _line_block(
        self, item: ast.TargetLine | ast.MeasureLine | ast.VariantLine, indent: str, head: str
    ) -> _Job:
        """A target or a measure with `{ … }` (milestones, cadence, weight, tolerance), or a
        variant with its own offer and steps: its line (ending in `{`), the items one level in,
        then `}`."""
        assert item.body is not None  # only called for a line written with a body
        items = list(item.items)
        dangling = list(item.dangling)
        if not items and not dangling:
            self.finish([head + "}"], item.trailing, False)  # `{` ends the head: `{}`
            return
        open_line = item.body.line
        brace_comment = None
        if items and items[0].leading and items[0].leading[0].span.line == open_line:
            brace_comment = items[0].leading[0]
            items[0] = _without_first_leading(items[0])
        elif not items and dangling and dangling[0].span.line == open_line:
            brace_comment = dangling.pop(0)
        self.emit(head + (f"  {brace_comment.text}" if brace_comment else ""))
        inner = indent + INDENT
        yield self._items(items, inner)
        if dangling:
            prev_line = items[-1].span.end_line if items else open_line
            self.comments(dangling, inner, prev_line, None)
        self.finish([indent + "}"], item.trailing, False)

    def item(self, item: ast.Item, indent: str, key: str, rest: str | None, end: str = "") -> None:
        col = display_width(indent + key) + 1
        cont = " " * col
        if isinstance(item, ast.Attribute):
            v = item.value
            if isinstance(v, ast.TESTS + (ast.Or, ast.And, ast.Not)):
                parts = broken_expr(v, col, cont)
            elif isinstance(v, ast.Trigger) and v.kind == "rule":
                assert v.rule is not None  # the parser gives every rule trigger its rule
                parts = broken_expr(v.rule, col + 5, cont)
                parts[0] = "rule " + parts[0]
            else:
                parts = [value(v, indent)]
            lines = [f"{indent}{key} {parts[0]}"] + parts[1:]
            lines = "\n".join(lines).split("\n")  # a text block spans lines
        elif (
            rest is not None
        ):  # field, step and target lines: aligned columns (every one has cells)
            lines = f"{indent}{key} {rest}".split("\n")
        elif isinstance(item, ast.ObjectionLine):
            s = f"{indent}{key} {value(item.question, indent)} -> {value(item.answer, indent)}"
            lines = s.split("\n")
        elif isinstance(item, ast.MilestoneLine):
            lines = [f"{indent}{key} {goal(item.op, item.value, item.high)}"]
        elif isinstance(item, ast.LimitLine):
            on = " on " + ", ".join(n.name for n in item.on) if item.on else ""
            lines = [f"{indent}{key} {value(item.count)} per {value(item.window)}{on}"]
        elif isinstance(item, ast.ConsentLine):
            lines = [f"{indent}{key} {item.field.name} on " + ", ".join(n.name for n in item.on)]
        elif isinstance(item, ast.VariantLine):  # (one with a body is a line block)
            lines = f"{indent}{key} {variant_head(item, indent)}".split("\n")
        elif isinstance(item, ast.PerspectiveItem):
            s = f"{indent}{key}" + (
                f" {value(item.label, indent)}" if item.label is not None else ""
            )
            lines = s.split("\n")
        else:  # pragma: no cover - the AST is closed
            raise TypeError(f"cannot print {type(item).__name__}")
        lines[-1] = lines[-1].rstrip() + end
        self.finish(lines, item.trailing, True)


_FLAGS = frozenset(language.FIELD_FLAGS)


def _one_line_variant(item: ast.VariantLine, head: str) -> str | None:
    """A variant whose body is one short attribute and no comments, on one line."""
    if item.dangling or len(item.items) != 1:
        return None
    only = item.items[0]
    if not isinstance(only, ast.Attribute) or only.leading or only.trailing:
        return None
    if isinstance(only.value, ast.Str) and only.value.triple:
        return None
    line = f"{head} {{ {only.name.name} {value(only.value)} }}"
    return line if _fits(line, WIDTH) else None


def variant_head(item: ast.VariantLine, indent: str) -> str:
    """`short "短文案" 50%`: a variant's id, label and share."""
    label = f" {value(item.label, indent)}" if item.label is not None else ""
    return f"{item.id.name}{label} {value(item.share)}"


_RULE_GOES_ON = frozenset(("and", "or", "in", "is", "between", "not"))


def _first_word(item: ast.Item) -> str | None:
    if isinstance(item, (ast.Attribute, ast.FieldLine, ast.SubBlock)):
        return item.name.name
    return None  # `target`, `step`, `objection` and a perspective's id are never read as more of an item


def _continuations(item: ast.Item) -> frozenset[str]:
    """Words that, written after `item`, the parser would take as more of it (a superset is
    fine: it only adds a `;`)."""
    if isinstance(item, ast.FieldLine):
        return _FLAGS if item.label is None else frozenset()
    if isinstance(item, ast.StepLine):
        if item.unless_converted:
            return frozenset()
        if item.after is not None:
            return frozenset(("unless",))
        return frozenset(("after", "unless")) | (frozenset() if item.offers else {"with"})
    if isinstance(item, ast.TargetLine):
        if item.baseline is not None or item.body is not None:
            return frozenset()
        return frozenset(("baseline",)) if item.by is not None else frozenset(("by", "baseline"))
    if isinstance(item, ast.Attribute):
        v = item.value
        if isinstance(v, ast.TESTS + (ast.Or, ast.And, ast.Not)) or (
            isinstance(v, ast.Trigger) and v.kind == "rule"
        ):
            return _RULE_GOES_ON
        if isinstance(v, ast.Trigger):
            if v.kind in ("deviation", "threshold") and v.count is None:
                return frozenset(("for",))
            return frozenset(("within",)) if v.kind == "event" and v.within is None else frozenset()
        if isinstance(
            v, (ast.Name, ast.Str, ast.Number, ast.Date, ast.Time, ast.Duration, ast.Invalid)
        ):
            return frozenset(("per",))
    return frozenset()


_WITH_CELL = 3  # a step line's cells: channel, `using`, script, `with …`, `after …`, `unless …`


def _cells(item: ast.Item, indent: str) -> list[str]:
    """The columns of a field, step or target line after its key."""
    if isinstance(item, ast.FieldLine):
        return [
            type_ref(item.type, indent),
            " ".join(f.name for f in item.flags),
            value(item.label, indent) if item.label is not None else "",
        ]
    if isinstance(item, ast.StepLine):
        return [
            item.channel.name,
            "using",
            item.script.name,
            ("with " + " + ".join(o.name for o in item.offers)) if item.offers else "",
            f"after {value(item.after, indent)}" if item.after is not None else "",
            "unless converted" if item.unless_converted else "",
        ]
    if isinstance(item, ast.TargetLine):
        return _opens_body(
            item,
            [
                item.id.name,
                value(item.label, indent) if item.label is not None else "",
                goal(item.op, item.value, item.high),
                f"by {value(item.by, indent)}" if item.by is not None else "",
                f"baseline {value(item.baseline, indent)}" if item.baseline is not None else "",
            ],
        )
    if isinstance(item, ast.MeasureLine):
        label = value(item.label, indent) if item.label is not None else ""
        return _opens_body(item, [item.id.name, label])
    raise TypeError(
        f"no columns in {type(item).__name__}"
    )  # pragma: no cover - only called for those


def _opens_body(item: ast.TargetLine | ast.MeasureLine, cells: list[str]) -> list[str]:
    """A line written with `{ … }` ends in `{` (after its last cell, so the columns before it
    stay aligned with the lines around it)."""
    if item.body is not None:
        last = max(k for k, c in enumerate(cells) if c)
        cells[last] += " {"
    return cells


def columns(rows: list[list[str]]) -> list[str]:
    """Rows of cells -> lines with every column padded to its widest cell (no trailing blanks;
    a row holding a text block is written with single spaces)."""
    flat = [r for r in rows if not any("\n" in c for c in r)]
    n = max((len(r) for r in rows), default=0)
    widths = [0] * n
    for r in flat:
        last = max((k for k, c in enumerate(r) if c), default=-1)
        for k, c in enumerate(r[:last]):  # the last cell of a row needs no padding
            widths[k] = max(widths[k], display_width(c))
    out = []
    for r in rows:
        if r not in flat:
            out.append(" ".join(c for c in r if c))
            continue
        last = max((k for k, c in enumerate(r) if c), default=-1)
        parts = [(_pad(c, widths[k]) if widths[k] else c) for k, c in enumerate(r[:last])] + [
            r[last]
        ]
        out.append(" ".join(parts).rstrip())
    return out


def type_ref(t: ast.TypeRef, indent: str = "") -> str:
    if t.enum_values is None:
        return t.name
    labels = t.enum_labels or (None,) * len(t.enum_values)
    # a label keeps its kind of string, like a field's label: a `"""` label printed as `"…"`
    # would be another tree (and its text is dedented where a one-line string's is not)
    items = (
        v.name + (f" {value(label, indent)}" if label is not None else "")
        for v, label in zip(t.enum_values, labels)
    )
    return "enum(" + ", ".join(items) + ")"


def _pieces(d: ast.Import | ast.Link) -> list[tuple[str, int, str]]:
    """The words of an import or link: (text, where it starts, the separator written before it)."""
    if isinstance(d, ast.Import):
        return [("import", d.span.start, ""), (value(d.path), d.path.span.start, "")]
    arrows = ("",) + tuple(a + " " for a in d.arrows)
    out = [(n.name, n.span.start, arrows[k]) for k, n in enumerate(d.chain)]
    if d.label is not None:
        out.append((value(d.label), d.label.span.start, ""))
    return out


def _inner_comments(d: ast.Import | ast.Link) -> list[ast.Comment]:
    """The comments of an import or link that sit inside it (before its last word)."""
    last = d.path.span.start if isinstance(d, ast.Import) else (d.label or d.chain[-1]).span.start
    return [c for c in d.trailing if c.span.start < last]


_I = TypeVar("_I", bound=ast.Item)


def _without_first_leading(item: _I) -> _I:
    return replace(item, leading=item.leading[1:])


def _render(out: list[str | _Trail]) -> str:
    """Lines -> text, aligning the trailing comments of consecutive one-line items."""
    lines: list[str] = []
    i = 0
    while i < len(out):
        first = out[i]
        if isinstance(first, _Trail):
            run = [first]
            j = i + 1
            while j < len(out) and isinstance(nxt := out[j], _Trail):
                run.append(nxt)
                j += 1
            col = max((display_width(t.code) for t in run if t.comment), default=0) + 2
            for t in run:
                if t.comment:
                    lines.append(t.code + " " * (col - display_width(t.code)) + t.comment)
                else:
                    lines.append(t.code)
            i = j
        else:
            lines.append(first)
            i += 1
    return "\n".join(lines) + "\n" if lines else ""


# A printing generator: it yields the generators of the nested parts it prints.
_Job = Iterator["_Job"]


def _drive(gen: _Job) -> None:
    """Run a printing generator and every generator it yields, depth first, on a list: nested
    blocks cost no Python stack."""
    stack = [gen]
    while stack:
        sub = next(stack[-1], None)
        if sub is None:
            stack.pop()
        else:
            stack.append(sub)


def print_file(f: ast.File) -> str:
    return Printer().file(f)
