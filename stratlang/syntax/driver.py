"""A tight LALR loop over Lark's own tables: the parse of text that has no syntax error.

Lark's LALR parser is general: a lexer thread and a generator per parse, a line counter fed every
token, whitespace lexed as tokens, and for every token and every reduction a method call that
looks its action up through rule objects hashed in Python. On a 60,000-line project that is most
of the parse. This loop does the same work with the same tables, so it accepts exactly the
language Lark accepts and builds exactly what Lark builds:

- the **parse table** is Lark's (`IntParseTable`), turned once into plain dicts of ints: a shift
  is the next state, a reduction `~i` points into a list of (how many values it takes, the rule's
  callback, the rule's name for the goto);
- the **callbacks** do what Lark's do (its child filters around the lowering, `lower.py`),
  compiled into one function per rule (below), called with the same children in the same order;
- **lexing is contextual** as in Lark: in each parser state the text is matched with the regular
  expression of the terminals that state accepts (Lark's own compiled pattern for that state),
  and a word matched as a name that is one of that state's keywords becomes the keyword (Lark's
  "unless" rule);
- **tokens** are Lark's `Token`s with the positions Lark gives (1-based lines and columns,
  relative to the text given).

What it does not do is report errors: at the first thing Lark would reject it raises
`NotParsed`, and the caller (`parser.py`) parses the same text with Lark, which raises the error
that the messages and the recovery are built on. Errors are rare; the equality of the two parses
on valid text is tested (`tests/test_parse_driver.py`), on every example and on random texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from lark import Lark, Token, Tree
from lark.lexer import BasicLexer, UnlessCallback
from lark.parse_tree_builder import (
    ChildFilterLALR,
    ChildFilterLALR_NoPlaceholders,
    ExpandSingleChild,
)
from lark.parsers.lalr_analysis import Shift

__all__ = ["Driver", "NotParsed"]


class NotParsed(Exception):
    """The text has a syntax error (or a lexing one) at `pos`: Lark's parse says which."""

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.pos = pos


# A reduction: (number of values taken from the stack, the rule's callback, the rule's name).
_Reduce = tuple[int, Callable[[list[Any]], Any], str]
# A state's lexer: (its pattern's `match`, keyword of each word per terminal, ignored terminals).
_StateLexer = tuple[
    Callable[[str, int], "re.Match[str] | None"], dict[str, dict[str, str]], frozenset[str]
]

_WHITESPACE = re.compile(r"\s+").match  # the grammar's WS terminal (ignored)
# `Token(...)` without the wrapper that checks for old keyword names (comments; the other tokens
# are built in the loop itself)
_new_token: Callable[..., Token] = Token._future_new


class _StateLexers(dict[int, _StateLexer]):
    """Each parser state's lexer, built the first time the state is met (like Lark's own, whose
    patterns are compiled on first use: a small file meets a few of the ~440 states)."""

    def __init__(self, lexers: dict[int, BasicLexer]) -> None:
        super().__init__()
        self.lark_lexers = lexers
        self.by_lexer: dict[int, _StateLexer] = {}

    def __missing__(self, state: int) -> _StateLexer:
        lexer = self.lark_lexers[state]
        built = self.by_lexer.get(id(lexer))
        if built is None:
            built = self.by_lexer[id(lexer)] = _state_lexer(lexer)
        self[state] = built
        return built


def _state_lexer(lexer: BasicLexer) -> _StateLexer:
    scanner = lexer.scanner  # builds Lark's pattern and its "unless" callbacks
    if len(scanner._mres) != 1:  # Python's limit of 100 groups: never near it (~60 terminals)
        raise NotImplementedError("a lexer state with more than one pattern")
    keywords: dict[str, dict[str, str]] = {}
    for terminal, callback in lexer.callback.items():
        if isinstance(callback, UnlessCallback):
            # NAME matched `strategy` where STRATEGY is accepted: the token is STRATEGY. The
            # "unless" scanner holds literal strings only, so a dict lookup is its fullmatch
            # (as long as none is case-insensitive, `"strategy"i`: the grammar has none).
            strings = callback.scanner.terminals
            if any(t.pattern.flags for t in strings):
                raise NotImplementedError("a keyword with regex flags")
            keywords[terminal] = {t.pattern.value: t.name for t in strings}
        elif terminal != "COMMENT":  # the comment callback is the lowering's, called below
            raise NotImplementedError(f"a lexer callback on {terminal}")
    return scanner._mres[0].match, keywords, lexer.ignore_types


class Driver:
    """The loop, its tables taken from a Lark LALR parser built with the contextual lexer and
    the lowering as its inline transformer."""

    def __init__(self, lark: Lark, on_comment: Callable[[Any], None]) -> None:
        frontend = lark.parser
        parser = frontend.parser.parser  # lark.parsers.lalr_parser._Parser
        table = parser.parse_table
        self.start = table.start_states["start"]
        self.end = table.end_states["start"]
        self.on_comment = on_comment
        self.actions, self.reductions = _actions(
            table.states, _compiled_callbacks(parser.callbacks)
        )
        self.lexers = _StateLexers(frontend.lexer.lexers)
        # Lark's lexers are read now: a Lark built otherwise fails here, not in a parse
        self.first_lexer = self.lexers[self.start]

    def parse(self, text: str) -> Any:
        """What Lark's `parse(text)` returns, or `NotParsed` where Lark would raise.

        One function on purpose: it runs once per token and per reduction (~750,000 times in a
        60,000-line parse), so everything it uses is a local variable and nothing is a call
        that need not be."""
        actions = self.actions
        reductions = self.reductions
        lexers = self.lexers
        end = self.end
        on_comment = self.on_comment
        whitespace = _WHITESPACE
        new_token = _new_token
        new_str = str.__new__
        states = [self.start]
        values: list[Any] = []
        state = self.start
        size = len(text)
        line, line_start = 1, 0  # the current line, and the offset where it starts
        m = whitespace(text, 0)
        pos = m.end() if m else 0
        if pos and "\n" in text[:pos]:
            line += text.count("\n", 0, pos)
            line_start = text.rindex("\n", 0, pos) + 1
        while True:
            if pos < size:
                match, keywords, ignored = lexers[state]
                m = match(text, pos)
                if m is None:
                    raise NotParsed(pos)
                kind: str = m.lastgroup  # type: ignore[assignment]  # every group is named
                end_pos = m.end()
                value = m.group()
                if "\n" in value:  # a triple-quoted string, or whitespace Lark's pattern took
                    end_line = line + value.count("\n")
                    end_line_start = pos + value.rindex("\n") + 1
                else:
                    end_line, end_line_start = line, line_start
                if kind in ignored:
                    token = None
                    if kind == "COMMENT":
                        on_comment(
                            new_token(
                                kind, value, pos, line, pos - line_start + 1,
                                end_line, end_pos - end_line_start + 1, end_pos,
                            )
                        )  # fmt: skip
                else:
                    words = keywords.get(kind)
                    if words is not None:
                        kind = words.get(value, kind)
                    # Lark's Token, its slots set here rather than through `Token(...)`
                    token = new_str(Token, value)
                    token.type = kind
                    token.value = value
                    token.start_pos = pos
                    token.line = line
                    token.column = pos - line_start + 1
                    token.end_line = end_line
                    token.end_column = end_pos - end_line_start + 1
                    token.end_pos = end_pos
                line, line_start, pos = end_line, end_line_start, end_pos
                m = whitespace(text, pos)  # the whitespace after the token, in one step
                if m is not None:
                    ws_end = m.end()
                    newlines = text.count("\n", pos, ws_end)
                    if newlines:
                        line += newlines
                        line_start = text.rindex("\n", pos, ws_end) + 1
                    pos = ws_end
                if token is None:
                    continue
            else:
                kind, token = "$END", None
            while True:  # Lark's `feed_token`: reduce as long as the table says, then shift
                action = actions[state].get(kind)
                if action is None:
                    raise NotParsed(pos)
                if action >= 0:  # a shift: the next state
                    if token is None:  # `$END` is never shifted
                        raise NotParsed(pos)
                    state = action
                    states.append(state)
                    values.append(token)
                    break
                taken, callback, rule = reductions[~action]
                if taken:
                    children = values[-taken:]
                    del states[-taken:]
                    del values[-taken:]
                else:
                    children = []
                value = callback(children)
                state = actions[states[-1]][rule]
                states.append(state)
                values.append(value)
                if token is None and state == end:
                    return value


def _actions(
    states: dict[int, dict[str, tuple[Any, Any]]], callbacks: dict[Any, Any]
) -> tuple[dict[int, dict[str, int]], list[_Reduce]]:
    """Lark's table as plain dicts of ints: a shift (or a goto) is the next state (>= 0), a
    reduction `~i` (< 0) for the i-th of the list of reductions, made once per rule, so the
    loop never hashes Lark's rule objects."""
    if any(isinstance(key, str) for key in callbacks):
        raise NotImplementedError("a terminal callback")  # Lark would call it on every shift
    reductions: list[_Reduce] = []
    index: dict[int, int] = {}
    table: dict[int, dict[str, int]] = {}
    for state, row in states.items():
        plain: dict[str, int] = {}
        for symbol, (action, arg) in row.items():
            if action is Shift:
                plain[symbol] = arg
            else:
                if id(arg) not in index:
                    index[id(arg)] = len(reductions)
                    reductions.append((len(arg.expansion), callbacks[arg], arg.origin.name))
                plain[symbol] = ~index[id(arg)]
        table[state] = plain
    return table, reductions


# ---------------------------------------------------------------- the rules' callbacks
#
# Lark wraps each rule's lowering method in small objects: a child filter (drop the anonymous
# tokens such as `,` and `;`, put `None` where an optional part is absent, splice in the children
# of inlined `_rules`), an "expand single child" for `?rules`, and a `Tree` for rules without a
# method (the inlined `_rules` and the `__star` helpers Lark makes for `x*`). Half a million
# reductions of a large parse each pass through two or three of these calls and a `Tree`.
# `_compiled_callbacks` reads what each wrapper would do and writes it as one function per rule;
# an inlined rule's children travel as a `_Spliced` list instead of a `Tree`.


class _Spliced(list[Any]):
    """The children of an inlined `_rule`, spliced into its parent's children."""


def _compiled_callbacks(callbacks: dict[Any, Any]) -> dict[Any, Any]:
    """The same callbacks, one compiled function each; Lark's own where a wrapper is not one
    this module knows (then all of Lark's, since an inlined rule must be a `Tree` for them)."""
    try:
        return {rule: _compile(rule, callback) for rule, callback in callbacks.items()}
    except NotImplementedError:
        return callbacks


def _compile(rule: Any, callback: Any) -> Callable[[list[Any]], Any]:
    size = len(rule.expansion)
    if isinstance(callback, ChildFilterLALR):
        include = list(callback.to_include)
        trailing_nones = callback.append_none
        inner = callback.node_builder
    elif isinstance(callback, ChildFilterLALR_NoPlaceholders):
        include = [(i, splice, 0) for i, splice in callback.to_include]
        trailing_nones = 0
        inner = callback.node_builder
    else:
        include = [(i, False, 0) for i in range(size)]
        trailing_nones = 0
        inner = callback
    single = isinstance(inner, ExpandSingleChild)
    if single:
        inner = inner.node_builder
    if isinstance(inner, partial) and inner.func is Tree:
        name = inner.args[0]
        # an inlined rule (its parents splice it) travels as a list; any other stays a Tree
        build: Any = _Spliced if name.startswith("_") else partial(Tree, name)
    elif callable(inner) and not isinstance(inner, (ChildFilterLALR, ExpandSingleChild)):
        build = inner  # the lowering's method
    else:
        raise NotImplementedError(repr(callback))
    return _function(include, trailing_nones, single, build)


def _function(
    include: list[tuple[int, bool, int]], trailing_nones: int, single: bool, build: Any
) -> Callable[[list[Any]], Any]:
    """`build(children)` as the wrappers would call it, written out: `include` lists the rule's
    kept positions (index, spliced?, `None`s before it)."""
    lines = ["def callback(c):"]
    first_spliced = bool(include) and include[0][1] and include[0][2] == 0
    if first_spliced:
        # a left-recursive `x*` helper: keep growing the list it made (as Lark's filter does)
        lines.append(f"    out = c[{include[0][0]}]")
        rest = include[1:]
    else:
        lines.append("    out = _Spliced()" if build is _Spliced else "    out = []")
        rest = include
    for i, spliced, nones in rest:
        if nones:
            lines.append(f"    out += {'(None,) * ' + str(nones)}")
        lines.append(f"    out.{'extend' if spliced else 'append'}(c[{i}])")
    if trailing_nones:
        lines.append(f"    out += (None,) * {trailing_nones}")
    if single:
        lines.append("    if len(out) == 1:\n        return out[0]")
    # an inlined rule's list is made as a `_Spliced` above (or is the one it grows)
    lines.append("    return out" if build is _Spliced else "    return build(out)")
    namespace: dict[str, Any] = {"build": build, "_Spliced": _Spliced}
    exec("\n".join(lines), namespace)  # the text is built above from Lark's own wrappers
    function: Callable[[list[Any]], Any] = namespace["callback"]
    return function
