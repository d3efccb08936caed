"""Incremental parsing for the language server: after an edit, only the changed text is parsed.

A file is cut into top-level statements (`recovery.split_statements`, at the statement starters
of `stratlang.language`) and into the parser's groups of statements (`recovery.groups`). Each
statement is parsed on its own and kept, keyed by its text (and by which occurrence of that text
it is, so that two equal statements never share nodes); an edit then costs the parse of the
statement it touched. A kept statement that moved (text inserted or deleted above it) has its
spans moved in place: every `Span` of a piece is listed once, when it is parsed, and moving is a
loop over that list.

The result must equal `parse_source` on the whole text, diagnostics included. A group whose
statements all parse cleanly parses cleanly as a whole, to the same nodes, so its statements are
used. So are they when the ones that fail, fail at a token (not at their end, and with no
malformed literal): the whole-file parser then recovers statement by statement and reports just
what each statement reports on its own. Any other group with a syntax error is parsed the way
the whole-file parser parses it: the group
text on its own (recovery, messages and all), extended by the following groups while it ends in
`unexpected end of file` (SYN104): the whole-file parser then parses the group together with the
next one, and says `unexpected end of file` only at the end of the file. Comments are
attached per piece; the comments a piece leaves dangling lead the next piece's first
declaration, as whole-file attachment gives them.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, is_dataclass, replace
from gc import get_referents

from .. import diagnostics as dg
from ..source import SourceFile, Span
from ..syntax import ast, recovery
from ..syntax.parser import parse_source

_NODE_TYPES = frozenset(
    {c for c in vars(ast).values() if isinstance(c, type) and is_dataclass(c)}
    | {dg.Diagnostic, dg.Label, dg.Suggestion}
)
_set = object.__setattr__  # spans are frozen: moving one rewrites it in place


def spans_in(roots: Iterable[object]) -> list[Span]:
    """Every distinct `Span` object reachable from `roots` through nodes, diagnostics, tuples."""
    out: list[Span] = []
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        o = stack.pop()
        t = type(o)
        if t is Span:
            if id(o) not in seen:
                seen.add(id(o))
                out.append(o)  # type: ignore[arg-type]
        elif t is tuple or t is list:
            stack.extend(o)  # type: ignore[arg-type]
        elif t in _NODE_TYPES:
            stack.extend(get_referents(o))
    return out


@dataclass(slots=True)
class Piece:
    """One statement, or a run of groups, parsed on its own and positioned at (offset, line)."""

    decls: tuple[ast.Decl, ...]
    comments: tuple[ast.Comment, ...]
    dangling: tuple[ast.Comment, ...]
    broken: tuple[str, ...]
    diags: list[dg.Diagnostic]
    spans: list[Span]
    offset: int = 0
    line: int = 0  # lines above the piece

    @property
    def clean(self) -> bool:
        return not self.diags and not self.broken

    def move(self, offset: int, line: int) -> None:
        delta, lines = offset - self.offset, line - self.line
        if lines:
            for s in self.spans:
                _set(s, "start", s.start + delta)
                _set(s, "end", s.end + delta)
                _set(s, "line", s.line + lines)
                _set(s, "end_line", s.end_line + lines)
        elif delta:
            for s in self.spans:
                _set(s, "start", s.start + delta)
                _set(s, "end", s.end + delta)
        self.offset, self.line = offset, line


def _parse_piece(path: str, text: str) -> Piece:
    file, diags = parse_source(SourceFile(path, text))
    spans = spans_in((file.decls, file.comments, file.dangling, diags))
    return Piece(file.decls, file.comments, file.dangling, file.broken_ids, diags, spans)


def _ends_early(piece: Piece) -> bool:
    """The piece's text ended where the parser still wanted more (SYN104, said only at the end
    of the text): in the whole file the parser would have gone on into the next group."""
    return any(d.code == "SYN104" for d in piece.diags)


def _fails_alike(piece: Piece) -> bool:
    """The statement fails on its own as it fails in its group: at a token the parser does not
    accept there, which does not depend on what comes after the statement (not at its end:
    `unexpected end of file`, `this { is never closed`), and with no malformed literal (whose
    error decides what else the group's recovery reports)."""
    failed = False
    for d in piece.diags:
        if d.code in ("SYN103", "SYN104") or (d.code == "SYN102" and "never closed" in d.message):
            return False
        failed = failed or d.severity == dg.Severity.ERROR
    return failed


Statement = tuple[int, int, list[int]]
# (a piece's first declaration, the comments it was given to lead) -> the declaration with them
Leads = dict[tuple[int, tuple[int, ...]], tuple[ast.Decl, tuple[ast.Comment, ...], ast.Decl]]


def _groups(statements: list[Statement], n: int) -> list[range]:
    """The statements (indices) of each of the parser's groups, as `recovery.groups` cuts them."""
    if n <= recovery.GROUP_CHARS:
        return [range(len(statements))]
    out: list[range] = []
    lo = gs = 0
    for k, (_start, end, unclosed) in enumerate(statements):
        if end - gs >= recovery.GROUP_CHARS and not unclosed and end < n:
            out.append(range(lo, k + 1))
            lo, gs = k + 1, end
    out.append(range(lo, len(statements)))
    return out


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix (binary search over slice comparisons: each is a
    memory compare, so a 1 MB text costs about 20 of them)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _open_string_at_end(window: str) -> bool:
    """A triple-quoted string runs to the end of `window`: in the whole text it may go on."""
    if '"""' not in window:
        return False
    tokens = deque(recovery._SCAN.finditer(window), maxlen=1)  # the statement scanner's own
    return bool(tokens) and tokens[0].end() == len(window) and tokens[0].group().startswith('"""')


def resplit(old_text: str, old: list[Statement], text: str) -> tuple[list[Statement], int, int]:
    """`recovery.split_statements(text)`, scanning only around the edit that made `text` out of
    `old_text` (whose statements are `old`); also how many statements at the start are the old
    ones, in place, and how many at the end are the old ones, moved.

    The scan restarts at a statement start before the edit (a statement starts outside braces,
    strings and comments: nothing carries over) and stops at a later statement start that the
    edit did not touch, if the scan arrives there in the same state (no brace open, no
    triple-quoted string running to the stop): from there on the statements are the old ones, moved."""
    prefix = _common_prefix(old_text, text)
    suffix = _common_suffix(old_text, text, min(len(old_text), len(text)) - prefix)
    delta = len(text) - len(old_text)
    old_end = len(old_text) - suffix  # the edit is old_text[prefix:old_end]
    starts = [st[0] for st in old]
    first = max(0, bisect_right(starts, max(prefix - 1, 0)) - 2)  # the statement before
    a = old[first][0]
    j = bisect_left(starts, old_end + 1)  # its newline is unchanged text
    for _ in range(4):
        stop = starts[j] + delta if j < len(old) else len(text)
        window = text[a:stop]
        found = recovery.split_statements(window)
        if j >= len(old) or (not found[-1][2] and not _open_string_at_end(window)):
            moved = [(s + a, e + a, [u + a for u in un]) for s, e, un in found]
            rest = [(s + delta, e + delta, [u + delta for u in un]) for s, e, un in old[j:]]
            return old[:first] + moved + rest, first, len(rest)
        j += 8
    return recovery.split_statements(text), 0, 0


@dataclass
class _FileState:
    text: str
    result: tuple[ast.File, list[dg.Diagnostic]]
    statements: list[Statement]
    pieces: list[Piece]  # one a statement
    runs: dict[tuple[str, int], Piece] = field(default_factory=dict)  # (text, nth) -> piece
    leads: Leads = field(default_factory=dict)  # declarations given dangling comments (`_assemble`)


class IncrementalParser:
    """`parse(source)` gives what `parse_source(source)` gives, reusing the pieces of the last
    parse of the same file (by display path). One parse at a time (a lock)."""

    def __init__(self) -> None:
        self.files: dict[str, _FileState] = {}
        self.lock = threading.Lock()
        self.parsed = 0  # pieces parsed (the rest were reused): for tests and the benchmark

    def forget(self, keep: Iterable[str]) -> None:
        """Drop the kept pieces of every file but `keep` (display paths)."""
        keep = set(keep)
        with self.lock:
            self.files = {p: s for p, s in self.files.items() if p in keep}

    def parse(self, source: SourceFile) -> tuple[ast.File, list[dg.Diagnostic]]:
        with self.lock:
            old = self.files.get(source.path)
            if old is not None and old.text == source.text:
                file, diags = old.result
                return file, list(diags)
            state = self._parse(source, old)
            self.files[source.path] = state
            file, diags = state.result
            return file, list(diags)

    def _parse(self, source: SourceFile, before: _FileState | None) -> _FileState:
        text, path = source.text, source.path
        if before is None:
            statements, first, kept = recovery.split_statements(text), 0, 0
            old: list[Piece] = []
        else:
            statements, first, kept = resplit(before.text, before.statements, text)
            old = before.pieces
        n = len(statements)
        pieces: list[Piece] = old[:first]  # before the edit: the same statements, in place
        # around the edit: kept pieces of the same text (the nth of equal texts for the nth)
        pool: dict[tuple[str, int], Piece] = {}
        if before is not None:
            for k in range(first, len(old) - kept):
                s, e, _ = before.statements[k]
                chunk = before.text[s:e]
                nth = 0
                while (chunk, nth) in pool:
                    nth += 1
                pool[(chunk, nth)] = old[k]
        seen: dict[str, int] = {}
        for s, e, _ in statements[first : n - kept]:
            chunk = text[s:e]
            nth = seen.get(chunk, 0)
            seen[chunk] = nth + 1
            piece = pool.pop((chunk, nth), None)
            if piece is None:
                piece = _parse_piece(path, chunk)
                self.parsed += 1
            piece.move(s, source.line_col(s)[0] - 1)
            pieces.append(piece)
        if kept:  # after the edit: the same statements, moved
            rest = old[len(old) - kept :]
            delta = statements[n - kept][0] - rest[0].offset
            lines = source.line_col(statements[n - kept][0])[0] - 1 - rest[0].line
            for piece in rest:
                piece.move(piece.offset + delta, piece.line + lines)
            pieces.extend(rest)

        old_runs = dict(before.runs) if before is not None else {}
        runs: dict[tuple[str, int], Piece] = {}

        def run_of(start: int, end: int) -> Piece:
            chunk = text[start:end]
            nth = 0
            while (chunk, nth) in runs:
                nth += 1
            piece = old_runs.pop((chunk, nth), None)
            if piece is None:
                piece = _parse_piece(path, chunk)
                self.parsed += 1
            piece.move(start, source.line_col(start)[0] - 1)
            runs[(chunk, nth)] = piece
            return piece

        groups = _groups(statements, len(text))
        chosen: list[Piece] = []
        i = 0
        while i < len(groups):
            group = groups[i]
            if all(pieces[k].clean or _fails_alike(pieces[k]) for k in group):
                chosen.extend(pieces[k] for k in group)
                i += 1
                continue
            # a syntax error: this group is parsed as the whole-file parser parses it
            j = i
            while True:
                last = groups[j]
                end = statements[last[-1]][1] if last else len(text)
                run = run_of(statements[group[0]][0] if group else 0, end)
                if j + 1 < len(groups) and _ends_early(run):
                    j += 1
                    continue
                break
            chosen.append(run)
            i = j + 1
        leads: Leads = {}
        file = _assemble(source, chosen, before.leads if before is not None else {}, leads)
        return _FileState(text, file, statements, pieces, runs, leads)


def _assemble(
    source: SourceFile, pieces: list[Piece], leads: Leads, kept: Leads
) -> tuple[ast.File, list[dg.Diagnostic]]:
    """The file of the pieces. A declaration given the comments dangling before it is a new node;
    it is the node made last time when the declaration and the comments are the same objects
    (taken from `leads`, kept in `kept`): unchanged declarations stay the same objects, which the
    resolution cache (`check.resolve.BuildCache`) relies on."""
    decls: list[ast.Decl] = []
    comments: list[ast.Comment] = []
    pending: list[ast.Comment] = []  # dangling after the last piece with declarations
    broken: list[str] = []
    diags: list[dg.Diagnostic] = []
    for p in pieces:
        ds = p.decls
        if pending and ds:
            key = (id(ds[0]), tuple(map(id, pending)))
            made = leads.get(key)
            if (
                made is None
                or made[0] is not ds[0]
                or any(a is not b for a, b in zip(made[1], pending, strict=True))
            ):
                made = (
                    ds[0],
                    tuple(pending),
                    replace(ds[0], leading=tuple(pending) + ds[0].leading),
                )
            kept[key] = made
            ds = (made[2], *ds[1:])
            pending = []
        decls.extend(ds)
        comments.extend(p.comments)
        pending.extend(p.dangling)
        broken.extend(p.broken)
        diags.extend(p.diags)
    file = ast.File(
        source.span(0, len(source.text)),
        source.path,
        tuple(decls),
        tuple(comments),
        tuple(pending),
        tuple(broken),
    )
    return file, diags
