"""Diagnostics as a versioned JSON envelope (documented in docs/diagnostics.md).

Keys are emitted in a fixed order so the same input gives byte-identical output. Byte offsets
are UTF-8 offsets into the normalised text (BOM stripped, CRLF as LF); they are `null` when the
span's file is not in the source map (a run that failed before reading it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..diagnostics import Diagnostic
from ..source import SourceFile, SourceMap, Span
from .common import as_list, clamp_offset, clamp_span, counts, is_valid

FORMAT_VERSION = 1


class ByteOffsets:
    """UTF-8 byte offsets of code-point offsets, equal to `SourceFile.byte_offset`, with the
    line-start byte offsets of each file computed in one pass per render (thousands of
    diagnostics in one large file stay linear)."""

    def __init__(self, sources: SourceMap):
        self.sources = sources
        self._line_bytes: dict[str, list[int]] = {}

    def __call__(self, source: SourceFile, offset: int) -> int:
        starts = self._line_bytes.get(source.path)
        if starts is None:
            starts = [0]
            total = 0
            for line in range(1, source.line_count):
                total += len(source.line_text(line).encode("utf-8")) + 1
                starts.append(total)
            self._line_bytes[source.path] = starts
        line, col = source.line_col(clamp_offset(source, offset))
        return starts[line - 1] + len(source.line_text(line)[: col - 1].encode("utf-8"))


def range_json(
    span: Span, sources: SourceMap, byte_offsets: ByteOffsets | None = None
) -> dict[str, Any]:
    """`{file, start: {line, column, byte_offset}, end: {...}}`; the end is exclusive."""
    source = sources.get(span.file)
    if source is None:
        line, col, end_line, end_col = span.line, span.column, span.end_line, span.end_column
        start_byte = end_byte = None
    else:
        bytes_of = byte_offsets or ByteOffsets(sources)
        line, col, end_line, end_col = clamp_span(source, span)
        start_byte = bytes_of(source, span.start)
        end_byte = max(start_byte, bytes_of(source, span.end))
    return {
        "file": span.file,
        "start": {"line": line, "column": col, "byte_offset": start_byte},
        "end": {"line": end_line, "column": end_col, "byte_offset": end_byte},
    }


def diagnostic_json(
    diag: Diagnostic, sources: SourceMap, byte_offsets: ByteOffsets | None = None
) -> dict[str, Any]:
    byte_offsets = byte_offsets or ByteOffsets(sources)
    return {
        "code": diag.code,
        "severity": str(diag.severity),
        "message": diag.message,
        "range": range_json(diag.span, sources, byte_offsets),
        "labels": [
            {
                "range": range_json(lb.span, sources, byte_offsets),
                "message": lb.message,
                "primary": lb.primary,
            }
            for lb in diag.all_labels
        ],
        "notes": list(diag.notes),
        "help": list(diag.help),
        "suggestions": [
            {
                "range": range_json(s.span, sources, byte_offsets),
                "replacement": s.replacement,
                "message": s.message,
                "applicability": getattr(s.applicability, "value", str(s.applicability)),
            }
            for s in diag.suggestions
        ],
    }


def envelope(
    diags: Iterable[Diagnostic],
    sources: SourceMap | None = None,
    *,
    strict: bool = False,
    fail_level: str | None = None,
) -> dict[str, Any]:
    """The envelope as Python data. `valid` is false when a diagnostic is at or above the fail
    level (errors by default; warnings too with `strict`) — the same rule as the exit code."""
    items = as_list(diags)
    sources = sources if sources is not None else SourceMap()
    errors, warnings, _ = counts(items)
    byte_offsets = ByteOffsets(sources)
    return {
        "format_version": FORMAT_VERSION,
        "valid": is_valid(items, strict, fail_level),
        "error_count": errors,
        "warning_count": warnings,
        "diagnostics": [diagnostic_json(d, sources, byte_offsets) for d in items],
    }


def render_json(
    diags: Iterable[Diagnostic],
    sources: SourceMap | None = None,
    *,
    strict: bool = False,
    fail_level: str | None = None,
) -> str:
    """The envelope as a JSON document (2-space indent, UTF-8 text unescaped, trailing newline)."""
    doc = envelope(diags, sources, strict=strict, fail_level=fail_level)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
