"""Diagnostics as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run; the driver lists every code of the catalogue as a rule (short description from
`diagnostics.CODES`, full description from `stratlang.explain` when that module is present), so
`ruleIndex` is stable across runs. Columns are Unicode code points (`columnKind`), regions use
SARIF's exclusive `endColumn`, and artifact URIs are relative to the root the caller gives (the
repository root from the CLI) with `uriBaseId: %SRCROOT%` — the base id GitHub code scanning and
the SARIF spec's examples use — so alerts land on the repository's files (SARIF 2.1.0 §3.4.4: a
`uriBaseId` goes with a relative reference only; a file outside the root is an absolute `file:`
URI without one).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..diagnostics import CODES, Diagnostic, Severity
from ..explain import EXPLANATIONS, explanation
from ..source import SourceMap, Span
from .common import as_list, clamp_span, is_valid, relative_path, tool_version

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
ROOT_BASE_ID = "%SRCROOT%"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _full_description(code: str, short: str) -> str:
    """The long explanation of a catalogued code (`stratlang explain`); the short one otherwise."""
    return explanation(code) if code in EXPLANATIONS else short


def _rule(code: str, severity: Severity, short: str) -> dict[str, Any]:
    full = _full_description(code, short)
    return {
        "id": code,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": full},
        "defaultConfiguration": {"level": _LEVELS.get(severity, "error")},
        "properties": {"tags": [code[:3].lower()]},
    }


def rules_for(diags: list[Diagnostic]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every catalogue code, then (sorted) any code a diagnostic uses that is not catalogued."""
    rules = [_rule(code, sev, short) for code, (sev, short) in CODES.items()]
    extra = sorted({d.code for d in diags if d.code not in CODES})
    by_code = {d.code: d for d in diags}
    for code in extra:
        rules.append(_rule(code, by_code[code].severity, by_code[code].message))
    return rules, {r["id"]: i for i, r in enumerate(rules)}


def _uri(span_file: str, sources: SourceMap, root: Path | None) -> str:
    path = relative_path(span_file, sources, root)
    if Path(path).is_absolute():
        return Path(path).as_uri()
    return quote(path, safe="/")


def _location(
    span: Span, sources: SourceMap, root: Path | None, message: str = ""
) -> dict[str, Any]:
    source = sources.get(span.file)
    if source is None:
        line, col = max(1, span.line), max(1, span.column)
        end_line, end_col = max(line, span.end_line), max(1, span.end_column)
        if (end_line, end_col) < (line, col):
            end_line, end_col = line, col
    else:
        line, col, end_line, end_col = clamp_span(source, span)
    artifact: dict[str, Any] = {"uri": _uri(span.file, sources, root)}
    if root is not None and not artifact["uri"].startswith("file:"):
        artifact["uriBaseId"] = ROOT_BASE_ID
    loc: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {
                "startLine": line,
                "startColumn": col,
                "endLine": end_line,
                "endColumn": end_col,
            },
        }
    }
    if message:
        loc["message"] = {"text": message}
    return loc


def _result(
    diag: Diagnostic, index: dict[str, int], sources: SourceMap, root: Path | None
) -> dict[str, Any]:
    text = diag.message
    if diag.help:
        text += "\n" + "\n".join(f"help: {h}" for h in diag.help)
    result: dict[str, Any] = {
        "ruleId": diag.code,
        "ruleIndex": index[diag.code],
        "level": _LEVELS.get(diag.severity, "error"),
        "message": {"text": text},
        "locations": [_location(diag.span, sources, root, diag.label)],
    }
    if diag.labels:
        result["relatedLocations"] = [
            dict(id=i, **_location(lb.span, sources, root, lb.message))
            for i, lb in enumerate(diag.labels, 1)
        ]
    if diag.suggestions:
        result["fixes"] = [
            {
                "description": {"text": s.message or f"replace with `{s.replacement}`"},
                "artifactChanges": [
                    {
                        "artifactLocation": _location(s.span, sources, root)["physicalLocation"][
                            "artifactLocation"
                        ],
                        "replacements": [
                            {
                                "deletedRegion": _location(s.span, sources, root)[
                                    "physicalLocation"
                                ]["region"],
                                "insertedContent": {"text": s.replacement},
                            }
                        ],
                    }
                ],
            }
            for s in diag.suggestions
        ]
    return result


def sarif_log(
    diags: Iterable[Diagnostic],
    sources: SourceMap | None = None,
    *,
    root: Path | None = None,
    fail_level: str | None = None,
) -> dict[str, Any]:
    """The SARIF log as Python data. With `fail_level` (as `stratlang check` gives it) the run
    records its invocation: `executionSuccessful` (the check itself ran) and the `exitCode` the
    command exits with, 1 when a result is at or above the fail level, else 0."""
    items = as_list(diags)
    sources = sources if sources is not None else SourceMap()
    root = Path(root) if root is not None else None
    rules, index = rules_for(items)
    version = tool_version()
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "stratlang",
                "version": version,
                "semanticVersion": version,
                "rules": rules,
            }
        },
    }
    if root is not None:
        base = root.resolve().as_uri()
        run["originalUriBaseIds"] = {
            ROOT_BASE_ID: {"uri": base if base.endswith("/") else base + "/"}
        }
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = [_result(d, index, sources, root) for d in items]
    if fail_level is not None:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "exitCode": 0 if is_valid(items, fail_level=fail_level) else 1,
            }
        ]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(
    diags: Iterable[Diagnostic],
    sources: SourceMap | None = None,
    *,
    root: Path | None = None,
    fail_level: str | None = None,
) -> str:
    log = sarif_log(diags, sources, root=root, fail_level=fail_level)
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
