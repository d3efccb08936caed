"""Presenting diagnostics: text for people, JSON / SARIF / GitHub annotations for tools.

The formats are described in docs/diagnostics.md. Renderers only present: they never decide
which diagnostics exist, and they never fail on a span that lies outside its file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..diagnostics import Diagnostic
from ..source import SourceMap
from .common import fail_level_of, rebase
from .github import render_github
from .json import render_json
from .sarif import render_sarif
from .text import render_text, summary_line, use_color

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github")


def render(
    diags: Iterable[Diagnostic],
    sources: SourceMap | None,
    fmt: str,
    *,
    root: Path | None = None,
    color: bool | None = None,
    strict: bool = False,
    fail_level: str | None = None,
) -> str:
    """Render `diags` in format `fmt` (one of `FORMATS`).

    `root` is the folder every file path is shown relative to, in every format (the CLI gives the
    repository root: docs/diagnostics.md, "Paths"); without it text and JSON show the paths as
    the loader gave them and SARIF/GitHub leave them as they are. `color` applies to text
    only (None: decide from stderr and NO_COLOR). `fail_level` ("error", "warning", "info") and
    `strict` (= "warning") are the run's failure rule, as for the exit code: JSON's `valid` is
    false when a diagnostic reaches it, and SARIF records the exit code it implies (only when
    `fail_level` is given). Raises ValueError for an unknown format or fail level.
    """
    sources = sources if sources is not None else SourceMap()
    level = fail_level_of(strict, fail_level)
    if root is not None:
        diags, sources = rebase(diags, sources, root)
    if fmt == "text":
        return render_text(diags, sources, color=color)
    if fmt == "json":
        return render_json(diags, sources, fail_level=level)
    if fmt == "sarif":
        return render_sarif(
            diags,
            sources,
            root=root,
            fail_level=level if (fail_level is not None or strict) else None,
        )
    if fmt == "github":
        return render_github(diags, sources, root=root)
    raise ValueError(f"unknown diagnostic format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render_fatal(message: str, fmt: str) -> str:
    """A valid machine document for a run that failed before checking (file missing, unreadable
    entry: exit code 2). JSON adds a `fatal` field; SARIF marks the invocation as failed with the
    message as a tool notification; GitHub gets one `::error` line."""
    import json

    if fmt == "json":
        from .json import envelope

        doc = envelope([], SourceMap())
        doc["valid"] = False
        doc["fatal"] = message
        return json.dumps(doc, ensure_ascii=False, indent=2)
    if fmt == "sarif":
        from .sarif import sarif_log

        log = sarif_log([], SourceMap())
        log["runs"][0]["invocations"] = [
            {
                "executionSuccessful": False,
                "exitCode": 2,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": message}}],
            }
        ]
        return json.dumps(log, ensure_ascii=False, indent=2)
    if fmt == "github":
        from .github import escape_data

        return f"::error title=stratlang::{escape_data(message)}"
    return f"error: {message}"


__all__ = [
    "FORMATS",
    "rebase",
    "render",
    "render_fatal",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
    "summary_line",
    "use_color",
]
