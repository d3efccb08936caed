"""Source files and spans.

A `Span` is where something is: 1-based line and column (columns count Unicode code points),
plus the code-point offsets into the decoded text. Byte offsets, needed by the JSON output,
are computed from the `SourceFile` on demand (UTF-8 encoding of the text before the offset).
Display width (East Asian Width) is what the terminal renderer uses to line carets up under
Chinese text.
"""

from __future__ import annotations

import bisect
import functools
import os
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .quick_init import quick_init


@dataclass(frozen=True, slots=True)
class Span:
    file: str
    start: int  # code-point offset, inclusive
    end: int  # code-point offset, exclusive
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def cover(self, other: Span) -> Span:
        """The smallest span holding both (same file)."""
        first, last = (self, other) if self.start <= other.start else (other, self)
        end = last if last.end >= first.end else first
        return Span(
            first.file, first.start, end.end, first.line, first.column, end.end_line, end.end_column
        )

    def contains(self, line: int, column: int) -> bool:
        if (line, column) < (self.line, self.column):
            return False
        return (line, column) <= (self.end_line, self.end_column)


quick_init(Span)  # ~500,000 spans in a 60,000-line parse


@functools.cache
def char_width(ch: str) -> int:
    """Columns a character takes in a terminal: 2 for wide/fullwidth (CJK), 0 for combining."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    if text.isascii():  # one column each (the formatter measures every cell it aligns)
        return len(text)
    return sum(map(char_width, text))


class SourceFile:
    """The decoded text of one file with a line index.

    `path` is the display path (relative to the project root where possible).
    """

    __slots__ = ("_line_bytes", "_line_starts", "abspath", "path", "text")

    def __init__(self, path: str, text: str, abspath: Path | None = None):
        self.path = path
        self.text = text
        self.abspath = abspath
        starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self._line_starts = starts
        self._line_bytes: list[int] | None = (
            None  # UTF-8 offset of each line start, built on demand
        )

    @staticmethod
    def decode(data: bytes) -> str:
        """UTF-8 with BOM stripped and CRLF/CR normalised to LF (columns then count the same
        on every platform). Raises UnicodeDecodeError for invalid UTF-8."""
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            text = text[1:]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line_text(self, line: int) -> str:
        """Text of a 1-based line without its newline."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
        return self.text[start:end]

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a code-point offset."""
        offset = max(0, min(offset, len(self.text)))
        idx = bisect.bisect_right(self._line_starts, offset) - 1
        return idx + 1, offset - self._line_starts[idx] + 1

    def offset(self, line: int, column: int) -> int:
        line = max(1, min(line, len(self._line_starts)))
        return min(self._line_starts[line - 1] + column - 1, len(self.text))

    def span(self, start: int, end: int) -> Span:
        line, col = self.line_col(start)
        end_line, end_col = self.line_col(end)
        return Span(self.path, start, end, line, col, end_line, end_col)

    def byte_offset(self, offset: int) -> int:
        """UTF-8 byte offset of a code-point offset (of the normalised text)."""
        if self._line_bytes is None:
            acc, out, starts, text = 0, [], self._line_starts, self.text
            for i, start in enumerate(starts):
                out.append(acc)
                end = starts[i + 1] if i + 1 < len(starts) else len(text)
                acc += len(text[start:end].encode("utf-8"))
            self._line_bytes = out
        offset = max(0, min(offset, len(self.text)))
        line, _ = self.line_col(offset)
        start = self._line_starts[line - 1]
        return self._line_bytes[line - 1] + len(self.text[start:offset].encode("utf-8"))

    def utf16_column(self, line: int, column: int) -> int:
        """0-based UTF-16 code-unit column (for LSP) of a 1-based code-point column."""
        prefix = self.line_text(line)[: column - 1]
        return sum(2 if ord(c) > 0xFFFF else 1 for c in prefix)

    def column_from_utf16(self, line: int, character: int) -> int:
        """1-based code-point column of a 0-based UTF-16 column (LSP position)."""
        text = self.line_text(line)
        units = 0
        for i, c in enumerate(text):
            if units >= character:
                return i + 1
            units += 2 if ord(c) > 0xFFFF else 1
        return len(text) + 1


class SourceMap:
    """All source files of one compilation, by display path."""

    def __init__(self) -> None:
        self.files: dict[str, SourceFile] = {}

    def add(self, source: SourceFile) -> SourceFile:
        self.files[source.path] = source
        return source

    def get(self, path: str) -> SourceFile | None:
        return self.files.get(path)

    def __iter__(self) -> Iterator[SourceFile]:
        return iter(self.files.values())


# ---------------------------------------------------------------------- reading files

_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words ("a named pipe (FIFO)"); "a regular file" otherwise."""
    for test, kind in _SPECIAL_KINDS:
        if test(mode):
            return kind
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


class NotRegularFile(OSError):
    """A path names a FIFO, a device, a socket or a folder: never read as source text."""

    def __init__(self, path: str | os.PathLike[str], kind: str):
        super().__init__(f"not a regular file: it is {kind}")
        self.filename = str(path)
        self.kind = kind


def read_file(path: Path | str) -> bytes:
    """The bytes of a regular file. Raises OSError when it cannot be read, `NotRegularFile` for a
    FIFO, device, socket or folder. Special files are refused from a `stat` before any `open`
    (opening a FIFO blocks until a writer comes; a device may never end), and the opened file is
    checked again (non-blocking open, then `fstat`) in case it was swapped in between."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(path, file_kind(st.st_mode))
    fd = os.open(
        path,
        os.O_RDONLY
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_NOCTTY", 0)
        | getattr(os, "O_BINARY", 0),
    )
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, file_kind(st.st_mode))
        return f.read()
