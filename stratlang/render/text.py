"""Human-readable diagnostics, modelled on rustc and Elm.

```
error[NAM201]: undefined segment `payroll_yuong`
  --> wealth.strat:58:12
   |
58 |   segment  payroll_yuong
   |            ^^^^^^^^^^^^^ not defined
   |
   = help: did you mean `payroll_young`? (defined at wealth.strat:31:9)
```

Columns in the frame are *display* columns: CJK characters take two cells (East Asian Width),
combining marks none, and a tab advances to the next multiple of `TAB_WIDTH`; the source line and
the underline are laid out by the same function so carets always sit under their text. Control
characters in source or messages are shown as visible symbols so no user text can drive the
terminal. Spans outside their file are clamped, never a crash.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from ..diagnostics import Diagnostic, Label
from ..source import SourceFile, SourceMap, Span, char_width
from .common import as_list, counts

TAB_WIDTH = 4
LONG_LINE = 200  # source lines longer than this (code points) are shown cut around their marks
CONTEXT = 40  # code points kept on each side of the marks in a cut line

# Plain ANSI SGR codes: cheaper than a rich Console for thousands of diagnostics.
_RESET = "\x1b[0m"
_STYLES = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "info": "\x1b[1;32m",
    "secondary": "\x1b[1;34m",
    "gutter": "\x1b[1;34m",
    "bold": "\x1b[1m",
    "help": "\x1b[1;36m",
    "note": "\x1b[1m",
}


def use_color(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, never when `NO_COLOR` is set (to any value, even empty) or
    `TERM=dumb`."""
    if "NO_COLOR" in os.environ:
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed or detached stream
        return False


# --- sanitising --------------------------------------------------------------------------------


def _visible(ch: str) -> str:
    """One code point in, one printable code point out (so column arithmetic is unchanged)."""
    o = ord(ch)
    if o < 0x20:
        return chr(0x2400 + o)  # control pictures: ␀ ␁ … ␛ …
    if o == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= o < 0xA0 or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069:
        return "\ufffd"  # C1 controls and bidi overrides ("trojan source")
    return ch


def _clean_message(text: str) -> str:
    """Messages keep their newlines; other controls become visible symbols."""
    if text.isprintable():
        return text
    return "".join(
        c if c in "\n" else (" " * TAB_WIDTH if c == "\t" else _visible(c)) for c in text
    )


def _clean_inline(text: str) -> str:
    """Labels sit on one row: newlines become spaces."""
    return _clean_message(text.replace("\r\n", " ").replace("\n", " "))


_CELLS: dict[str, tuple[str, int]] = {}  # code point -> (shown as, display width), memoised


def _layout(line: str) -> tuple[str, list[int]]:
    """The displayed text of a source line and the display column (0-based) where each code
    point starts; the list has one extra entry, the column just past the end of the line."""
    core = line.replace("…", "")  # the ellipsis of a cut line is one cell wide too
    if core.isascii() and core.isprintable():  # the common case: one cell per code point
        return line, list(range(len(line) + 1))
    out: list[str] = []
    cols: list[int] = []
    col = 0
    cells = _CELLS
    for ch in line:
        cols.append(col)
        if ch == "\t":
            n = TAB_WIDTH - col % TAB_WIDTH
            out.append(" " * n)
            col += n
            continue
        cell = cells.get(ch)
        if cell is None:
            shown = _visible(ch)
            cell = (shown, char_width(shown))
            if len(cells) < 65536:
                cells[ch] = cell
        out.append(cell[0])
        col += cell[1]
    cols.append(col)
    return "".join(out), cols


# --- frames ------------------------------------------------------------------------------------


class _Lines:
    """The source lines one rendering needs, each cut out of its file once: thousands of
    diagnostics on one long line must not copy that line for each of them (rendering would grow
    with line length × diagnostics)."""

    def __init__(self) -> None:
        self._texts: dict[tuple[int, int], str] = {}

    def text(self, source: SourceFile, line: int) -> str:
        key = (id(source), line)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = source.line_text(line)
        return text

    def clamp(self, source: SourceFile, span: Span) -> tuple[int, int, int, int]:
        """(line, column, end_line, end_column) of `span`, clamped into `source` and ordered
        (render.common.clamp_span, with the line lengths from here)."""

        def position(line: int, column: int) -> tuple[int, int]:
            line = max(1, min(line, source.line_count))
            return line, max(1, min(column, len(self.text(source, line)) + 1))

        line, col = position(span.line, span.column)
        end_line, end_col = position(span.end_line, span.end_column)
        if (end_line, end_col) < (line, col):
            end_line, end_col = line, col
        return line, col, end_line, end_col


@dataclass
class _Mark:
    """One underline on one line: code-point columns [start, end), 1-based."""

    start: int
    end: int
    primary: bool
    message: str


@dataclass
class _Frame:
    file: str
    source: SourceFile | None
    header: Span  # where the `-->` line points
    marks: dict[int, list[_Mark]]

    def lines(self) -> list[int]:
        return sorted(self.marks)


def _add_label(frame: _Frame, label: Label, lines: _Lines) -> None:
    source = frame.source
    assert source is not None
    line, col, end_line, end_col = lines.clamp(source, label.span)
    if end_line > line and end_col == 1:
        # The span ends just after a newline: underline to the end of the previous line.
        end_line -= 1
        end_col = len(lines.text(source, end_line)) + 1
    message = _clean_inline(label.message)
    if end_line == line:
        frame.marks.setdefault(line, []).append(
            _Mark(col, max(end_col, col), label.primary, message)
        )
        return
    # Multi-line: from the start to the end of the first line, then the last line up to the end
    # (from its first non-blank character), with the label there.
    first_len = len(lines.text(source, line))
    frame.marks.setdefault(line, []).append(
        _Mark(col, max(first_len + 1, col + 1), label.primary, "")
    )
    last = lines.text(source, end_line)
    indent = len(last) - len(last.lstrip(" \t")) + 1
    start = indent if indent < end_col else 1
    frame.marks.setdefault(end_line, []).append(_Mark(start, end_col, label.primary, message))


def _frames(diag: Diagnostic, sources: SourceMap, lines: _Lines) -> list[_Frame]:
    """The primary file's frame first, then one per other file in order of first mention."""
    frames: dict[str, _Frame] = {}
    for label in diag.all_labels:
        file = label.span.file
        frame = frames.get(file)
        if frame is None:
            frame = frames[file] = _Frame(file, sources.get(file), label.span, {})
        if frame.source is not None:
            _add_label(frame, label, lines)
    return list(frames.values())


# --- output ------------------------------------------------------------------------------------


class _Out:
    def __init__(self, color: bool):
        self.color = color
        self.parts: list[str] = []

    def style(self, text: str, style: str | None) -> str:
        if not self.color or not style or not text:
            return text
        return f"{_STYLES[style]}{text}{_RESET}"

    def line(self, *pieces: str) -> None:
        self.parts.append("".join(pieces).rstrip(" ") + "\n")


def _header_location(frame: _Frame, lines: _Lines) -> str:
    span = frame.header
    line, col = span.line, span.column
    if frame.source is not None:
        line, col, _, _ = lines.clamp(frame.source, span)
    return f"{frame.file}:{line}:{col}"


def _render_marks(
    out: _Out, gutter: str, line_cols: list[int], marks: list[_Mark], sev: str
) -> None:
    """Underline row plus, when several marks on the line carry messages, rustc-style
    connector rows:
        ^^^ -  - inline
        |   |
        |   second
        first
    """
    n = len(line_cols)

    def span_of(m: _Mark) -> tuple[int, int]:
        # Marks are clamped to the line (start at most one past its end); at least one cell wide.
        a = line_cols[min(m.start, n) - 1]
        b = line_cols[min(m.end, n) - 1]
        return a, max(b, a + 1)

    placed = sorted(((span_of(m), m) for m in marks), key=lambda t: (t[0][0], t[0][1]))
    width = max(b for (_, b), _ in placed)
    cells: list[tuple[str, str | None]] = [(" ", None)] * width
    # Secondary marks first so the primary wins where they overlap.
    for (a, b), m in sorted(placed, key=lambda t: t[1].primary):
        ch, st = ("^", sev) if m.primary else ("-", "secondary")
        for i in range(a, b):
            cells[i] = (ch, st)

    def row(
        cells_: list[tuple[str, str | None]], tail: str = "", tail_style: str | None = None
    ) -> None:
        text: list[str] = []
        run, run_style = "", None
        for ch, st in cells_:
            if st != run_style:
                text.append(out.style(run, run_style))
                run, run_style = "", st
            run += ch
        text.append(out.style(run, run_style))
        if tail:
            text.append(" " + out.style(tail, tail_style))
        out.line(gutter, *text)

    def style_of(m: _Mark) -> str:
        return sev if m.primary else "secondary"

    last_pos, last_mark = placed[-1]
    others = [(pos, m) for pos, m in placed[:-1] if m.message]
    # The rightmost mark's message goes inline, unless another mark ends beyond its start.
    inline = bool(last_mark.message) and not any(pos[1] > last_pos[0] for pos, _ in placed[:-1])
    if last_mark.message and not inline:
        others.append((last_pos, last_mark))
    row(cells, last_mark.message if inline else "", style_of(last_mark))
    if not others:
        return
    pending = sorted(others, key=lambda t: t[0][0])

    def pipes(upto: list[tuple[tuple[int, int], _Mark]]) -> list[tuple[str, str | None]]:
        w = max(pos[0] for pos, _ in upto) + 1
        c: list[tuple[str, str | None]] = [(" ", None)] * w
        for (a, _), m in upto:
            c[a] = ("|", style_of(m))
        return c

    row(pipes(pending))
    while pending:
        (a, _), m = pending.pop()
        left = [t for t in pending if t[0][0] < a]
        c = pipes(left) if left else []
        c = c + [(" ", None)] * (a - len(c))
        out.line(gutter, *(out.style(ch, st) for ch, st in c), out.style(m.message, style_of(m)))


def _render_diagnostic(out: _Out, diag: Diagnostic, sources: SourceMap, lines: _Lines) -> None:
    sev = str(diag.severity)
    sev = sev if sev in ("error", "warning", "info") else "error"
    message_lines = _clean_message(diag.message).split("\n")
    out.line(out.style(f"{sev}[{diag.code}]", sev), out.style(f": {message_lines[0]}", "bold"))
    for more_message in message_lines[1:]:
        out.line(out.style(more_message, "bold"))

    frames = _frames(diag, sources, lines)
    shown = [ln for f in frames if f.source is not None for ln in f.lines()]
    width = len(str(max(shown))) if shown else 1
    for f in frames:
        if f.source is not None:
            width = max(width, len(str(max(f.lines()))))
    blank = out.style(" " * width + " |", "gutter")
    gutter = blank + " "
    arrow = " " * width + out.style("--> ", "gutter")

    for index, frame in enumerate(frames):
        if index:
            out.line(blank)
        out.line(arrow, _header_location(frame, lines))
        if frame.source is None:
            continue
        out.line(blank)
        previous = None
        for ln in frame.lines():
            if previous is not None and ln > previous + 1:
                if ln == previous + 2:  # a one-line gap is cheaper shown than elided
                    _source_row(
                        out,
                        previous + 1,
                        width,
                        lines.text(frame.source, previous + 1),
                        [_Mark(1, 1, False, "")],
                    )
                else:
                    out.line(out.style("...", "gutter"))
            text_cols, marks = _source_row(
                out, ln, width, lines.text(frame.source, ln), frame.marks[ln]
            )
            _render_marks(out, gutter, text_cols, marks, sev)
            previous = ln

    extra: list[tuple[str, str]] = [("help", h) for h in diag.help]
    helps = set(diag.help)
    for s in diag.suggestions:
        # a suggestion the help already names (`did you mean `x`?`) is not said twice
        named = any(f"`{s.replacement}`" in h for h in diag.help)
        if s.message and s.message not in helps and not named:
            extra.append(("help", s.message))
            helps.add(s.message)
    extra += [("note", n) for n in diag.notes]
    if extra:
        out.line(blank)
    for kind, text in extra:
        text_lines = _clean_message(text).split("\n")
        lead = (
            " " * (width + 1)
            + out.style("= ", "gutter")
            + out.style(f"{kind}:", "help" if kind == "help" else "note")
        )
        out.line(lead, " ", text_lines[0])
        indent = " " * (width + 1 + 2 + len(kind) + 2)
        for more in text_lines[1:]:
            out.line(indent, more)


def _window(line: str, marks: list[_Mark]) -> tuple[str, list[_Mark]]:
    """A source line longer than LONG_LINE code points is cut to the part around its marks, with
    `…` where text was left out; the marks are shifted to match."""
    if len(line) <= LONG_LINE:
        return line, marks
    first = min(m.start for m in marks)
    last = max(max(m.end, m.start + 1) for m in marks)
    lo = max(1, first - CONTEXT)  # 1-based code point columns, [lo, hi)
    hi = min(len(line) + 1, max(last + CONTEXT, lo + LONG_LINE // 2), lo + LONG_LINE)
    head = "…" if lo > 1 else ""
    tail = "…" if hi <= len(line) else ""
    shift = lo - 1 - len(head)
    cut = [
        _Mark(max(1, m.start - shift), max(1, min(m.end, hi) - shift), m.primary, m.message)
        for m in marks
    ]
    return head + line[lo - 1 : hi - 1] + tail, cut


def _source_row(
    out: _Out, line: int, width: int, text: str, marks: list[_Mark]
) -> tuple[list[int], list[_Mark]]:
    """Print a source line (cut around `marks` when long); returns the display column of each
    code point of the printed text and the marks moved to match."""
    text, marks = _window(text, marks)
    text, cols = _layout(text)
    out.line(out.style(f"{line:>{width}} |", "gutter"), " ", text)
    return cols, marks


def summary_line(diags: list[Diagnostic]) -> str:
    """`error: 2 errors, 1 warning emitted` — the prefix is the worst severity present; counts
    of zero are left out; `info` is not pluralised. Empty when there is nothing to report."""
    e, w, i = counts(diags)
    parts = []
    if e:
        parts.append(f"{e} error" + ("s" if e != 1 else ""))
    if w:
        parts.append(f"{w} warning" + ("s" if w != 1 else ""))
    if i:
        parts.append(f"{i} info")
    if not parts:
        return ""
    worst = "error" if e else "warning" if w else "info"
    return f"{worst}: {', '.join(parts)} emitted"


def render_text(
    diags: Iterable[Diagnostic],
    sources: SourceMap,
    color: bool | None = None,
    *,
    summary: bool = True,
) -> str:
    """Every diagnostic with its code frame, a blank line between them, then the summary line.

    `color=None` decides with `use_color(sys.stderr)` (human text goes to stderr). Returns ""
    when there are no diagnostics.
    """
    items = as_list(diags)
    if color is None:
        color = use_color(sys.stderr)
    out = _Out(bool(color))
    lines = _Lines()
    for index, diag in enumerate(items):
        if index:
            out.parts.append("\n")
        _render_diagnostic(out, diag, sources, lines)
    if summary and items:
        line = summary_line(items)
        worst, rest = line.split(":", 1)
        out.parts.append("\n")
        out.line(out.style(worst, worst), out.style(":" + rest, "bold"))
    return "".join(out.parts)
