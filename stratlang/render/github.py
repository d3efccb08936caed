"""Diagnostics as GitHub Actions workflow commands (annotations on the pull request).

    ::error file=wealth.strat,line=58,endLine=58,col=12,endColumn=25,title=NAM201::undefined …

Escapes follow the runner's documented rules: in the message `%`, CR and LF become `%25`,
`%0D`, `%0A`; property values additionally escape `:` and `,` (`%3A`, `%2C`). Help lines are
appended to the message on lines of their own (GitHub shows multi-line annotations).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..diagnostics import Diagnostic, Severity
from ..source import SourceMap
from .common import as_list, clamp_span, relative_path

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(diag: Diagnostic, sources: SourceMap, root: Path | None = None) -> str:
    span = diag.span
    source = sources.get(span.file)
    if source is None:
        line, col, end_line, end_col = span.line, span.column, span.end_line, span.end_column
    else:
        line, col, end_line, end_col = clamp_span(source, span)
    props = [
        ("file", relative_path(span.file, sources, root)),
        ("line", str(max(1, line))),
        ("endLine", str(max(1, end_line))),
        ("col", str(max(1, col))),
        ("endColumn", str(max(1, end_col))),
        ("title", diag.code),
    ]
    message = "\n".join([diag.message] + [f"help: {h}" for h in diag.help])
    command = _COMMANDS.get(diag.severity, "error")
    return (
        f"::{command} "
        + ",".join(f"{k}={escape_property(v)}" for k, v in props)
        + "::"
        + escape_data(message)
    )


def render_github(
    diags: Iterable[Diagnostic], sources: SourceMap | None = None, *, root: Path | None = None
) -> str:
    """One workflow command per diagnostic, each on its own line."""
    sources = sources if sources is not None else SourceMap()
    return "".join(annotation(d, sources, root) + "\n" for d in as_list(diags))
