"""The parser: with `driver.py`, the only modules that import Lark.

Text goes in; an `ast.File` and syntax diagnostics (SYN101–SYN104) come out. Lark's trees and
exceptions never leave this module: the grammar's rules are lowered to AST nodes *while*
parsing (Lark's inline transformer for LALR, `lower.py`), and Lark errors are turned into
diagnostics that say in words what was expected (`messages.py`).

The parse itself runs in `driver.py`, a tight loop over Lark's own tables that builds the same
nodes about twice as fast; where it meets an error, Lark parses the text again and raises it.

Recovery (`recovery.py`): the file is parsed in groups of statements in one go first (the fast
path). When a group fails, its text is cut into top-level statements (brace- and string-aware),
each statement is parsed on its own, and every statement that fails gives one diagnostic; the
statements that parsed go on to resolution. Comments are attached last (`comments.py`).
"""

from __future__ import annotations

import gc
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from lark import Lark, ParseTree
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from .. import diagnostics as dg
from ..source import SourceFile
from . import ast, messages, parser_cache, recovery
from .comments import attach_comments
from .driver import Driver, NotParsed
from .grammar import grammar_text
from .limits import MAX_LITERAL, MAX_NESTING, MAX_PARENS, Abort
from .lower import Lowerer, Token
from .messages import describe_expected
from .recovery import check_depth, declared_id, scan_comments, split_statements

# The names other modules and the tests import from here.
__all__ = [
    "MAX_LITERAL",
    "MAX_NESTING",
    "MAX_PARENS",
    "attach_comments",
    "build_strict_parser",
    "describe_expected",
    "gc_paused",
    "grammar_text",
    "parse_source",
    "raw_lark_parse",
    "split_statements",
]


# What parsing a group or a statement gives: declarations, comments, diagnostics.
_Parsed = tuple[list[ast.Decl], list[ast.Comment], list[dg.Diagnostic]]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while text is parsed (and, in `check.loader`, while
    a project is compiled): the nodes built are acyclic and stay alive, and the collector's passes
    over millions of them cost ~40% of a large parse.

    When it is switched back on, everything allocated meanwhile would still be in the youngest
    generation, and the next collections would walk all of it three times (young, middle, old:
    2.0 s of CPU after a 65k-line check). `gc.freeze()` + `gc.unfreeze()` moves it to the oldest
    generation in one step, without walking it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _lark(**options: Any) -> Lark:
    """The LALR parser for the grammar, loaded from the on-disk cache when it holds this grammar's
    tables (`parser_cache`: ~40 ms instead of 0.2-0.6 s to build them). `options` are the ones
    Lark allows when loading saved tables (the lowering's callbacks, positions)."""
    text = grammar_text()
    fixed = {"parser": "lalr", "lexer": "contextual", "maybe_placeholders": True}
    file = parser_cache.cache_file(text, repr(sorted(fixed.items())))
    saved = parser_cache.read(file)
    if saved is not None:
        try:
            # how Lark's own cache loads saved tables, attaching the callbacks given here
            return Lark.__new__(Lark)._load(io.BytesIO(saved), **options)
        except Exception:  # a corrupted file: built again below, and replaced
            pass
    lark = Lark(text, **fixed, **options)
    if file is not None:
        out = io.BytesIO()
        lark.save(out, exclude_options=tuple(options))  # the callbacks are given when loading
        parser_cache.write(file, out.getvalue())
    return lark


class _Parser:
    def __init__(self) -> None:
        self.lowerer = Lowerer()
        self.lock = threading.Lock()
        self.broken: list[str] = []
        self.lark = _lark(
            transformer=self.lowerer,
            lexer_callbacks={"COMMENT": self.lowerer.on_comment},
            propagate_positions=False,
        )
        self.driver = _driver(self.lark, self.lowerer.on_comment)

    def parse(self, source: SourceFile) -> tuple[ast.File, list[dg.Diagnostic]]:
        with gc_paused(), self.lock:
            return self._parse(source)

    def _parse(self, source: SourceFile) -> tuple[ast.File, list[dg.Diagnostic]]:
        text = source.text
        decls: list[ast.Decl] = []
        comments: list[ast.Comment] = []
        diags: list[dg.Diagnostic] = []
        self.broken = []
        whole = self._whole(source)
        groups = [] if whole is not None else recovery.groups(text)
        if whole is not None:
            decls, comments, diags = whole
        i = 0
        while i < len(groups):
            gs, ge = groups[i]
            try:
                check_depth(source, gs, ge)
                d, c, g = self._run(source, text[gs:ge], gs, source.line_col(gs)[0] - 1)
            except (UnexpectedInput, Abort) as first:
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
        attached, dangling = attach_comments(tuple(decls), comments)
        return ast.File(
            file_span, source.path, attached, tuple(comments), dangling, tuple(self.broken)
        ), diags

    def _whole(self, source: SourceFile) -> _Parsed | None:
        """The whole text parsed in one go by the driver, or None when it holds an error (then
        it is parsed in groups, with recovery). Cutting a text that has no error into groups
        (`recovery.groups`) costs ~5% of its parse; a text without error gives the same nodes
        either way (groups start at the start of a line, where a statement may start)."""
        text = source.text
        if len(text) <= recovery.GROUP_CHARS or self.driver is None:
            return None  # one group: the group parse below is this parse
        low = self.lowerer
        low.begin(source, 0, 0)
        try:
            check_depth(source, 0, len(text))
            decls = cast("list[ast.Decl]", self.driver.parse(text))
        except (NotParsed, Abort):
            return None
        return decls, low.comments, low.diags

    def _run(self, source: SourceFile, text: str, offset: int, line_offset: int) -> _Parsed:
        low = self.lowerer
        low.begin(source, offset, line_offset)
        # With the lowering as its transformer, the parse returns what `Lowerer.start` built.
        try:
            if self.driver is None:
                raise NotParsed(0)
            decls = cast("list[ast.Decl]", self.driver.parse(text))
        except (NotParsed, Abort):
            # A syntax error (or a limit): Lark's own parse of the same text raises the error
            # the messages and the recovery read. Lark calls the lowering methods directly (not
            # through a Transformer's visitor), so an Abort raised in one arrives as itself.
            low.begin(source, offset, line_offset)
            decls = cast("list[ast.Decl]", self.lark.parse(text))
        return decls, low.comments, low.diags

    def _note_broken(self, text: str, start: int) -> None:
        declared = declared_id(text, start)
        if declared:
            self.broken.append(declared)

    def _recover(
        self, source: SourceFile, gs: int, ge: int, first: UnexpectedInput | Abort
    ) -> _Parsed:
        """Parse the statements of text[gs:ge] one by one: one diagnostic per broken statement.
        The ids of broken declarations are kept (`self.broken`) so that references to them do
        not add "undefined" errors on top of the syntax error."""
        text = source.text
        decls: list[ast.Decl] = []
        comments: list[ast.Comment] = []
        diags: list[dg.Diagnostic] = []
        for start, end, unclosed in split_statements(text[gs:ge]):
            start, end, unclosed = start + gs, end + gs, [b + gs for b in unclosed]
            chunk = text[start:end]
            if not chunk.strip():
                self.lowerer.begin(source, start, 0)
                continue
            line_offset = source.line_col(start)[0] - 1
            try:
                self.lowerer.begin(
                    source, start, line_offset
                )  # no stale diagnostics if the next line raises
                check_depth(source, start, end)
                d, c, g = self._run(source, chunk, start, line_offset)
                decls.extend(d)
                comments.extend(c)
                diags.extend(g)
            except Abort as e:
                self._note_broken(text, start)
                # The lexer stopped at the error: take the statement's comments from the text.
                comments.extend(scan_comments(source, start, end))
                diags.extend(self.lowerer.diags)
                diags.append(e.diag)
            except UnexpectedInput as e:
                self._note_broken(text, start)
                comments.extend(scan_comments(source, start, end))
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
                diags.append(_diagnose(source, e, start, end, unclosed))
        if not any(d.severity == dg.Severity.ERROR and d.code != "SYN103" for d in diags):
            # Every statement parsed on its own, yet the group as a whole did not: report the
            # group's error rather than nothing.
            if isinstance(first, Abort):
                diags.append(first.diag)
            else:
                diags.append(_diagnose(source, first, gs, ge, []))
            diags.sort(key=lambda d: d.span.start)
        return decls, comments, diags


def _driver(lark: Lark, on_comment: Callable[[Any], None]) -> Driver | None:
    """The fast loop over this Lark's tables, or None when this Lark is not built the way
    `driver.py` reads it (another version of Lark): then Lark parses everything, as before,
    only slower. `tests/test_parse_driver.py` checks that the installed Lark gets the loop."""
    try:
        return Driver(lark, on_comment)
    except Exception:
        return None


def _diagnose(
    source: SourceFile, e: UnexpectedInput, start: int, end: int, unclosed: list[int]
) -> dg.Diagnostic:
    """The diagnostic for Lark's error `e` in the statement text[start:end]."""
    if _is_eof(e):
        return messages.early_end(source, start, end, unclosed, _accepts(e))
    if isinstance(e, UnexpectedCharacters):
        assert e.pos_in_stream is not None  # the lexer says where it stopped
        return messages.unexpected_char(source, start, start + e.pos_in_stream, e.allowed or ())
    if isinstance(e, UnexpectedToken):
        # Lark's token, positioned by the lexer: what `lower.Token` describes.
        tok = cast(Token, e.token)
        return messages.unexpected_token(source, start, tok, _accepts(e), e.expected)
    raise e  # Lark raises no other UnexpectedInput


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


def _is_eof(e: UnexpectedInput | Abort) -> bool:
    return isinstance(e, UnexpectedEOF) or (
        isinstance(e, UnexpectedToken) and e.token.type == "$END"
    )


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


_RAW: Lark | None = None


def raw_lark_parse(text: str) -> ParseTree:
    """Lark's own parse of the text into a tree (no lowering): the benchmarks' baseline."""
    global _RAW
    if _RAW is None:
        _RAW = _lark()
    return _RAW.parse(text)


def build_strict_parser() -> Lark:
    """Build the parser in Lark's strict mode (raises on any grammar conflict); used by tests."""
    return Lark(
        grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=True, strict=True
    )
