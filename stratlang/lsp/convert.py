"""Spans <-> LSP positions, diagnostics -> LSP diagnostics, paths <-> URIs.

Our spans count Unicode code points (1-based line and column, end exclusive); LSP positions
are 0-based lines and UTF-16 code units. A character outside the Basic Multilingual Plane
(most emoji) is one code point but two UTF-16 units; Chinese characters are one of each.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from lsprotocol import types as lsp

from .. import diagnostics as dg
from ..paths import unresolved_path
from ..source import SourceFile, Span

SEVERITY = {
    dg.Severity.ERROR: lsp.DiagnosticSeverity.Error,
    dg.Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    dg.Severity.INFO: lsp.DiagnosticSeverity.Information,
}


def uri_to_path(uri: str) -> Path:
    """A `file:` URI to an absolute, normalised path with symlinks resolved (never raises: a
    symlink loop or a name too long is left as it is)."""
    try:
        parsed = urlparse(uri)
    except ValueError:  # e.g. an unbalanced `[` in the host part
        return unresolved_path(Path(os.sep))
    path = unquote(parsed.path)
    if os.name == "nt" and path.startswith("/") and len(path) > 2 and path[2] == ":":
        path = path[1:]
    return unresolved_path(Path(os.path.normpath(path or os.sep)))


def document_path(uri: str) -> Path | None:
    """The file a document URI names, or None when it names none: another scheme (`untitled:`,
    `http:`), no path, or a NUL character in it."""
    if not isinstance(uri, str) or uri[:5].lower() != "file:":
        return None
    try:
        path = unquote(urlparse(uri).path)
    except ValueError:
        return None
    if not path or "\0" in path:
        return None
    return uri_to_path(uri)


def path_to_uri(path: Path | str) -> str:
    return "file://" + quote(str(unresolved_path(Path(path))).replace(os.sep, "/"), safe="/:")


def position(source: SourceFile, line: int, column: int) -> lsp.Position:
    """1-based code-point (line, column) -> LSP position."""
    return lsp.Position(line=max(0, line - 1), character=source.utf16_column(line, column))


def span_range(span: Span, source: SourceFile | None) -> lsp.Range:
    if source is None:  # no text at hand: code points are the best guess
        return lsp.Range(
            lsp.Position(max(0, span.line - 1), max(0, span.column - 1)),
            lsp.Position(max(0, span.end_line - 1), max(0, span.end_column - 1)),
        )
    return lsp.Range(
        position(source, span.line, span.column), position(source, span.end_line, span.end_column)
    )


def offset_at(source: SourceFile, pos: lsp.Position) -> int:
    """LSP position -> code-point offset into the source text (a position outside the text is
    clamped to it)."""
    line = max(0, pos.line) + 1
    if line > source.line_count:
        return len(source.text)
    return source.offset(line, source.column_from_utf16(line, max(0, pos.character)))


def line_col_at(source: SourceFile, pos: lsp.Position) -> tuple[int, int]:
    """LSP position -> 1-based code-point (line, column), clamped into the text."""
    line = max(0, pos.line) + 1
    if line > source.line_count:
        return source.line_col(len(source.text))
    return line, source.column_from_utf16(line, max(0, pos.character))


def to_lsp(
    d: dg.Diagnostic, sources: Mapping[str, SourceFile], uri_of: Callable[[str], str]
) -> lsp.Diagnostic:
    """Our diagnostic -> LSP. `sources`: display path -> SourceFile; `uri_of`: display path -> URI."""
    src = sources.get(d.span.file)
    related = []
    for label in d.labels:
        if not label.message:
            continue
        related.append(
            lsp.DiagnosticRelatedInformation(
                location=lsp.Location(
                    uri=uri_of(label.span.file),
                    range=span_range(label.span, sources.get(label.span.file)),
                ),
                message=label.message,
            )
        )
    message = d.message
    extra = [f"help: {h}" for h in d.help] + [f"note: {n}" for n in d.notes]
    if extra:
        message = message + "\n" + "\n".join(extra)
    return lsp.Diagnostic(
        range=span_range(d.span, src),
        message=message,
        severity=SEVERITY[d.severity],
        code=d.code,
        source="stratlang",
        related_information=related or None,
        code_description=None,
    )
