"""Syntax errors in words: what the parser expected, what it found, and a hint where one helps.

`parser.py` takes the facts out of Lark's exception (where, which token, which terminals the
parser would accept) and hands them here; no Lark object reaches this module.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from .. import diagnostics as dg
from ..source import SourceFile
from .grammar import terminal_text
from .lower import Token

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
    "FEEDBACK": "`~>`",
    "DOTDOT": "`..`",
    "DOT": "`.`",
    "COMMA": "`,`",
    "SEMICOLON": "`;`",
    "BLOCK_KIND": "a declaration",
    "FLAG": "`key`, `optional` or `risk_tolerance`",
    "ZONE_FLAG": "`timezone`",
    "TIME_FLAG": "`time`",
    "AGG_FUNC": "an aggregate (`count(…)`, `sum(…)`, `days_since(…)`, …)",
    "TREND": "`increasing` or `decreasing`",
    "$END": "end of file",
}
_TOP = {"STRATEGY", "PERSPECTIVES", "SCHEMA", "HISTORY", "IMPORT", "BLOCK_KIND"}
_ITEM_STARTS = {"RULE", "WHEN", "TARGET", "MEASURE", "STEP", "OBJECTION"}


def _word(term: str) -> str:
    """A terminal in words. Never the terminal's name: an unknown one becomes "another token"."""
    if term in _WORDS:
        return _WORDS[term]
    text = terminal_text(term)
    if text is not None:
        return f"`{text}`"
    if term.isupper() and term.isalpha():
        return f"`{term.lower()}`"
    return "another token"


def describe_expected(expected: Iterable[str]) -> str:
    """Terminals (Lark's names) in words, grouped where several make one idea: `a value`."""
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
        exp -= {"NOT", "LPAR", "NAME", "AGG_FUNC"}
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


# --------------------------------------------------------------------------- the three errors


def early_end(
    source: SourceFile, start: int, end: int, unclosed: list[int], accepts: Collection[str]
) -> dg.Diagnostic:
    """The statement text[start:end] ended (at the end of the file or of the statement) where
    the parser still wanted `accepts`."""
    text = source.text
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
    labels = tuple(dg.Label(source.span(b, b + 1), "this `{` is still open") for b in unclosed[-1:])
    return dg.make(
        code,
        f"{what}: expected {expected}{_after(text, stop)}",
        span,
        "expected more here",
        labels=labels,
        help=_comment_help(text, start, stop, accepts),
    )


def unexpected_char(
    source: SourceFile, start: int, pos: int, allowed: Iterable[str]
) -> dg.Diagnostic:
    """No token starts at text[pos] (in the statement starting at `start`)."""
    text = source.text
    ch = text[pos]
    if ch == '"':
        return _unterminated(source, start, pos)
    expected = describe_expected(allowed)
    shown = ch if ch.isprintable() else ch.encode("unicode_escape").decode()
    return dg.make(
        "SYN101",
        f"unexpected character `{shown}`: expected {expected}{_after(text, pos)}",
        source.span(pos, pos + 1),
        "not expected here",
        help=_char_help(ch),
    )


def _unterminated(source: SourceFile, start: int, pos: int) -> dg.Diagnostic:
    text = source.text
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end == -1 else line_end
    # An unclosed `"""` lexes as an empty string `""` followed by a stray `"`.
    q = pos
    while q > start and q > pos - 2 and text[q - 1] == '"':
        q -= 1
    if text.startswith('"""', q):
        return dg.make(
            "SYN102",
            'unterminated text block: `"""` is never closed',
            source.span(q, q + 3),
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


def unexpected_token(
    source: SourceFile,
    start: int,
    tok: Token,
    accepts: Collection[str],
    expected: Collection[str],
) -> dg.Diagnostic:
    """`tok` (positioned relative to `start`) is not one of `accepts`; `expected` is Lark's wider
    set, which names a missing `}` more often."""
    text = source.text
    pos = start + tok.start_pos
    return dg.make(
        "SYN101",
        f"expected {describe_expected(accepts)}{_after(text, pos)}, found {_found(tok)}",
        source.span(pos, start + tok.end_pos),
        "unexpected here",
        help=_token_help(tok, expected) + _comment_help(text, start, pos, accepts),
    )


# --------------------------------------------------------------------------- the pieces


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


def _found(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    text = str(tok)
    if len(text) > 30:
        text = text[:27] + "…"
    return f"`{text}`"


def _char_help(ch: str) -> str:
    if ch in "“”":
        return 'use straight quotes `"` for strings'
    if ch in "，；：（）【】":
        return "that is a full-width punctuation mark; use its ASCII form (`,` `;` `:` `(` `)` `[` `]`)"
    return "remove it, or put the text inside a string"


_VALUE_COMMENTED_OUT = re.compile(r"(?:^|[{;])[ \t]*[^\W\d]\w*[ \t]+#", re.M)


def _comment_help(text: str, start: int, pos: int, accepts: Iterable[str]) -> tuple[str, ...]:
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


def _token_help(tok: Token, expected: Collection[str]) -> tuple[str, ...]:
    if tok.type in ("RULE", "WHEN", "TARGET", "MEASURE", "STEP", "OBJECTION") or str(tok) in (
        "rule",
        "when",
        "step",
        "target",
        "measure",
    ):
        return (f"`{tok}` starts an attribute; the previous attribute may be missing its value",)
    if set(expected) == {"DOT"}:
        return ("a review condition names a measure as `OBJECTIVE.TARGET` (`F2.revenue`)",)
    if "RBRACE" in expected and tok.type in ("BLOCK_KIND", "STRATEGY", "SCHEMA"):
        return ("a `}` may be missing before this declaration",)
    return ()
