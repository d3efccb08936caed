"""Resolution and checks: AST -> Model + diagnostics."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import diagnostics as dg
from ..model import Model
from ..source import SourceMap
from .loader import LoadError, Project, gc_paused, load_project
from .registry import Context, run_checks
from .resolve import build_model
from .resolve_cache import BuildCache

if TYPE_CHECKING:
    from .cascade import Ancestry

__all__ = [
    "BuildCache",
    "CheckResult",
    "LoadError",
    "Project",
    "check_entry",
    "check_project",
    "load",
]


@dataclass
class CheckResult:
    """A checked project: the model (built even when there are errors, from what resolved), every
    diagnostic sorted by position, the sources they point into, and the loaded project."""

    model: Model
    diagnostics: list[dg.Diagnostic]
    sources: SourceMap
    root: Path
    project: Project
    timings: dict[str, float] = field(default_factory=dict)  # check family -> seconds

    @property
    def error_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == dg.Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == dg.Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def check_project(
    project: Project,
    *,
    checks: bool = True,
    ancestry: Ancestry | None = None,
    cache: BuildCache | None = None,
) -> CheckResult:
    """Resolve and check a loaded project. A project in a cascade (docs/cascade.md) loads its
    ancestors (through `ancestry`, which a run checking many projects shares) for the ALN checks.
    `cache` keeps declarations' resolutions for the next check of the project (the language
    server's, after an edit: `resolve.BuildCache`)."""
    diags = dg.Diagnostics()
    diags.extend(project.diagnostics)
    model, res = build_model(
        project.files, any(d.code.startswith("SYN") for d in project.diagnostics), cache
    )
    diags.extend(res)
    ctx = Context(sources=project.sources)
    if checks:
        diags.extend(run_checks(model, ctx))
        from . import cascade

        if cascade.uses_cascade(model):
            started = time.perf_counter()
            model, found = cascade.check_cascade(project, model, ancestry)
            diags.extend(found)
            ctx.timings["ALN"] = time.perf_counter() - started
    return CheckResult(model, diags.sorted(), project.sources, project.root, project, ctx.timings)


Overlay = Mapping[Path, str] | Mapping[str, str]  # file path -> text replacing the file on disk


def _overlay(overlay: Overlay | None) -> dict[Path, str] | None:
    """The overlay keyed by `Path`, as the loader looks files up (`stratlang.check_entry` takes
    text paths)."""
    return {Path(k): v for k, v in overlay.items()} if overlay else None


def load(
    entry: Path | str, root: Path | str | None = None, *, overlay: Overlay | None = None
) -> Project:
    """Read and parse a project: the entry and every file it imports, confined to `root` (default:
    the entry's folder). Syntax and import problems are in `project.diagnostics`; raises LoadError
    when the entry itself cannot be read."""
    with gc_paused():
        return load_project(Path(entry), Path(root) if root else None, _overlay(overlay))


def check_entry(
    entry: Path | str,
    root: Path | str | None = None,
    *,
    checks: bool = True,
    overlay: Overlay | None = None,
) -> CheckResult:
    """Load, parse, resolve and check a project. Raises LoadError when the entry cannot be read."""
    with gc_paused():
        project = load_project(Path(entry), Path(root) if root else None, _overlay(overlay))
        return check_project(project, checks=checks)
