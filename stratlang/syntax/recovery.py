"""Recovery: cutting text into statements so that one error costs one statement.

The whole text is parsed in groups of statements first (`groups`); a group that fails is parsed
again statement by statement (`split_statements`). The cuts are made by scanning the text with
regular expressions that know strings, comments and braces, and the statement starters of
`stratlang.language`. The pre-parse depth scan (`check_depth`) lives here too: it refuses
statements nested too deep for Lark before Lark sees them.
"""

from __future__ import annotations

import re

from ..language import BLOCK_KINDS, STATEMENT_STARTERS
from ..source import SourceFile
from . import ast
from .limits import MAX_NESTING, MAX_PARENS, Abort, blocks_too_deep, parens_too_deep

# Possessive repetitions (`*+`, `++`), as in the grammar: no backtracking record per character.
_SCAN = re.compile(
    r'"""(?:[^"\\]++|\\[\s\S]?|"(?!""))*+(?:"""|$)|"(?:[^"\\\n]++|\\.)*+(?:"|$)|#[^\n]*|[{}]|\n',
    re.M,
)
_DEPTH_SCAN = re.compile(_SCAN.pattern[: -len(r"|[{}]|\n")] + r"|[{}()]", re.M)
_STARTER = re.compile(rf"[ \t]*(?:({'|'.join(STATEMENT_STARTERS)})(?!\w)|[^\W\d]\w*[ \t]*[-~]>)")


# Inside an open block, a column-1 line only counts as a new declaration when it cannot be an
# attribute: `theme growth` and `segment payroll_young` are attributes of an unindented block,
# `segment s {` and `event e "label"` are declarations.
_KINDS = rf"(?:{'|'.join(BLOCK_KINDS)})"
_STR = r'"(?:[^"\\\n]++|\\.)*+"'
_HEADER = re.compile(
    rf"(?:{_KINDS}[ \t]+[^\W\d]\w*[ \t]*(?:{_STR}[ \t]*(?:\{{|#|$)|\{{)"
    rf"|strategy(?![\w-])[ \t]*(?:{_STR}[ \t]*)?\{{|perspectives[ \t]*\{{|schema[ \t]+[^\W\d]\w*[ \t]*(?:{_STR}[ \t]*)?\{{"
    rf"|import[ \t]*\"|[^\W\d]\w*[ \t]*[-~]>)",
    re.M,
)


# `KIND id` at the start of a statement: the id a broken declaration would have declared.
_DECL_ID = re.compile(
    rf"\s*(?:#[^\n]*\n\s*)*(?:{'|'.join(BLOCK_KINDS + ('schema',))})\s+([^\W\d]\w*)"
)

GROUP_CHARS = 16_000


def groups(text: str) -> list[tuple[int, int]]:
    """Cut a long text into groups of whole top-level statements of about GROUP_CHARS, cutting
    only where no brace is open. Each group is parsed in one go; a syntax error then costs a
    statement-by-statement re-parse of its group only, not of the whole file (the language server
    re-checks files that, while being typed, almost always hold an error)."""
    if len(text) <= GROUP_CHARS:
        return [(0, len(text))]
    out, gs = [], 0
    for _start, end, unclosed in split_statements(text):
        if end - gs >= GROUP_CHARS and not unclosed and end < len(text):
            out.append((gs, end))
            gs = end
    out.append((gs, len(text)))
    return out


def check_depth(source: SourceFile, start: int, end: int) -> None:
    """Raise Abort when text[start:end] opens blocks or parentheses nested deeper than the parser
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
                raise Abort(blocks_too_deep(span) if tok == "{" else parens_too_deep(span))
        elif tok in closer and depth[closer[tok]]:
            depth[closer[tok]] -= 1


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


def declared_id(text: str, start: int) -> str | None:
    """The id the statement at text[start] declares, if it starts `KIND id`."""
    m = _DECL_ID.match(text, start)
    return m.group(1) if m else None


def scan_comments(source: SourceFile, start: int, end: int) -> list[ast.Comment]:
    """The comments of text[start:end], found without the parser (strings are skipped): for a
    statement the lexer stopped inside."""
    return [
        ast.Comment(source.span(m.start(), m.end()), m.group().rstrip())
        for m in _SCAN.finditer(source.text, start, end)
        if m.group().startswith("#")
    ]
