"""stratlang: strategy maps and customer-operations playbooks as checked, compiled text.

The small public API (it raises `StratlangError`s; it never exits and never prints):

    import stratlang
    project = stratlang.load("examples/bank_wealth/main.strat")   # read and parse
    result = project.check()                                       # model + diagnostics
    built = stratlang.build(result, "out", data="examples/bank_wealth/data/customers.csv")
    built.files    # ('lifecycle-map.svg', 'map.svg', 'model.json', 'playbook-map.svg', …, 'lists/')

`stratlang.build(project, ...)` checks the project itself; `check_entry(path)` is load + check.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the package imports nothing heavy until a function is called
    from .builder import Built
    from .check import CheckResult, Project
    from .diagnostics import Diagnostic
    from .syntax import ast

__version__ = "0.1.0"
__all__ = ["build", "check_entry", "load", "parse_text"]


def load(entry: Path | str, root: Path | str | None = None) -> Project:
    """Read and parse the project whose entry file is `entry` (imports confined to `root`,
    default the entry's folder). Raises `LoadError` when the entry cannot be read."""
    from .check import load as _load

    return _load(entry, root)


def check_entry(
    entry: Path | str,
    root: Path | str | None = None,
    *,
    checks: bool = True,
    overlay: dict[str, str] | None = None,
) -> CheckResult:
    """Load, parse, resolve and check the project whose entry file is `entry`."""
    from .check import check_entry as _check_entry

    return _check_entry(entry, root, checks=checks, overlay=overlay)


def parse_text(text: str, path: str = "<input>") -> tuple[ast.File, list[Diagnostic]]:
    """Parse text into an `ast.File` and syntax diagnostics."""
    from .source import SourceFile
    from .syntax.parser import parse_source

    return parse_source(SourceFile(path, text))


def build(project: CheckResult | Project, out: Path | str, **options: Any) -> Built:
    """Write the outputs of a project (checked here if it is not yet) into the folder `out`,
    replacing it whole.

    Options: data=, engine="duckdb"|"spark", pdf=, lang=, fail_level=, progress=, on_wait=,
    map_budget=, layout_timeout= (a strategy map over the budget is drawn as a summary).
    Raises CheckFailed (the check fails at fail_level) or another StratlangError; see
    `stratlang.builder.build`."""
    from .builder import build as _build
    from .check import Project

    result = project.check() if isinstance(project, Project) else project
    return _build(result, out, **options)
