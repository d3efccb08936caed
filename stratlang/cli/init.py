"""`stratlang init [DIR]`: scaffold a project that checks clean.

Writes `main.strat` (a small complete bilingual example) and `data/customers.csv` (sample customers
generated from its schema) in DIR, and the CI files `.github/workflows/stratlang.yml` (`stratlang
check` as annotations and as SARIF for code scanning, `fmt --check`, the rule tests) and
`.pre-commit-config.yaml` (the `stratlang-check` and `stratlang-fmt` hooks).

Inside a git repository the CI files go to the repository's root, where GitHub and pre-commit read
them, pointed at the project's folder; one that exists there is left alone, and the run says what
to add to it. Outside a repository they go to DIR. Project files are never overwritten: if one
exists (or, outside a repository, any of the four), nothing is written (exit 2).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import textwrap
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import click

from ..output import atomic_write
from ..repository import repository_root
from . import main
from .common import fail_usage

PROJECT_FILES = ("main.strat", "data/customers.csv")
WORKFLOW = ".github/workflows/stratlang.yml"
PRE_COMMIT = ".pre-commit-config.yaml"
CI_FILES = (WORKFLOW, PRE_COMMIT)
FILES = PROJECT_FILES + CI_FILES
_STEPS_MARK = "# stratlang steps"  # the workflow's lines after it check one project


def _template(name: str) -> str:
    return resources.files("stratlang").joinpath("data", name).read_text(encoding="utf-8")


@dataclass
class Kept:
    """A CI file at the repository root that init did not write: why, and what to add to it."""

    path: Path
    why: str
    add: str = ""


@dataclass
class Scaffolded:
    written: list[Path] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    repository: Path | None = None  # the enclosing repository, whose root got the CI files
    project: str = ""  # the project's folder from there ("" at the root)


def workflow_text(version: str, project: str = "") -> str:
    """The workflow checking the project in `project` (a folder relative to the repository root,
    forward slashes; "" for the root itself). Paths are shell-quoted inside literal blocks, so any
    folder name stays valid YAML and a single shell word."""
    entry = f"{project}/main.strat" if project else "main.strat"
    category = f"stratlang/{project}" if project else "stratlang"
    return (
        _template("init_workflow.yml")
        .replace("__VERSION__", version)
        .replace("__ENTRY__", shlex.quote(entry))
        .replace("__PROJECT__", shlex.quote(project or "."))
        .replace("__CATEGORY__", json.dumps(category, ensure_ascii=False))
    )


def pre_commit_text(version: str, project: str = "") -> str:
    """The pre-commit config; for a project below the root each hook is limited to its `.strat`
    files (`files:` replaces the hook's own pattern, so it keeps the `.strat` suffix)."""
    text = _template("init_pre_commit.yaml").replace("__VERSION__", version)
    if not project:
        return text
    pattern = "^" + re.escape(project + "/") + r".*\.strat$"
    files = "        files: '" + pattern.replace("'", "''") + "'"
    lines = []
    for line in text.splitlines():
        lines.append(line)
        if line.strip().startswith("- id: stratlang-"):
            lines.append(files)
    return "\n".join(lines) + "\n"


def _after(text: str, start: str) -> str:
    """The lines of `text` after the first one starting (stripped) with `start`, dedented."""
    lines = text.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.strip().startswith(start))
    return textwrap.dedent("\n".join(lines[first + 1 :])) + "\n"


def _kept(path: Path, name: str, text: str, project: str) -> Kept:
    """Why an existing CI file was left alone, and what to add to it."""
    try:
        existing = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        existing = ""
    if name == WORKFLOW:
        entry = f"{project}/main.strat" if project else "main.strat"
        # the entry as a word of its own (`main.strat` is not `other/main.strat`)
        if re.search(r"(?<![\w./-])" + re.escape(shlex.quote(entry)) + r"(?![\w./-])", existing):
            return Kept(path, f"it exists and already checks {entry}")
        return Kept(
            path,
            f"it exists; to check {entry} in CI, add these to its job's `steps:`",
            _after(text, _STEPS_MARK),
        )
    if "stratlang-check" not in existing:
        return Kept(
            path, "it exists; to run the hooks, add this to its `repos:`", _after(text, "repos:")
        )
    if "files:" not in existing or _after(text, "hooks:").splitlines()[1] in existing:
        return Kept(path, "it exists and already runs the stratlang hooks on these files")
    return Kept(
        path,
        "it exists and runs the stratlang hooks on the files its `files:` patterns take; "
        f"to run them on {project}/ too, add these to the stratlang repository's `hooks:`",
        _after(text, "hooks:"),
    )


def scaffold(target: Path, rows: int = 2000, seed: int = 7) -> Scaffolded:
    """Render every file in memory, then write them (never overwriting). Inside a git repository
    the CI files go to its root (an existing one is kept and reported in `kept`); raises
    FileExistsError naming the files that stop the run (nothing is written then)."""
    from .. import __version__

    found = repository_root(target)
    ci_root = found if found is not None else target
    project = os.path.relpath(os.path.abspath(target), os.path.abspath(ci_root))
    project = "" if project == "." else Path(project).as_posix()
    stop = PROJECT_FILES if found is not None else FILES
    existing = [name for name in stop if (target / name).exists()]
    if existing:
        raise FileExistsError(", ".join(existing))
    strat = _template("init_main.strat")
    contents = {
        target / "main.strat": strat,
        target / "data/customers.csv": _sample_csv(strat, rows, seed),
    }
    done = Scaffolded(repository=found, project=project)
    for name, text in (
        (WORKFLOW, workflow_text(__version__, project)),
        (PRE_COMMIT, pre_commit_text(__version__, project)),
    ):
        path = ci_root / name
        if path.exists():
            done.kept.append(_kept(path, name, text, project))
        else:
            contents[path] = text
    for path, text in contents.items():
        atomic_write(path, text)
        path.chmod(0o644)
        done.written.append(path)
    return done


def _sample_csv(strat: str, rows: int, seed: int) -> str:
    """Sample customers for the example's own schema: checked in a scratch folder first; every
    segment of the example has members (samples.sample plants them from the witnesses)."""
    import tempfile

    from .. import samples
    from ..check import check_entry

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "main.strat"
        p.write_text(strat, encoding="utf-8")
        res = check_entry(p)
    model = res.model
    period = model.strategy.period
    got = samples.sample(model, rows, seed, as_of=period[0] if period else None)
    return samples.to_csv(model, got.customers)


def _shown(path: Path) -> str:
    """A path for a message: from the working folder when below it, else absolute."""
    rel = os.path.relpath(os.path.abspath(path))
    return str(os.path.abspath(path)) if rel.startswith("..") else rel


@main.command()
@click.argument(
    "directory", type=click.Path(path_type=Path, file_okay=False), default=Path("."), required=False
)
@click.option(
    "--rows",
    type=click.IntRange(1, 10_000_000),
    default=2000,
    show_default=True,
    help="Sample customers to generate.",
)
def init(directory: Path, rows: int) -> None:
    """Create a new project in DIRECTORY (default: here): example .strat, sample data, CI, pre-commit.

    Inside a git repository, the CI workflow and the pre-commit config go to the repository's
    root, pointed at DIRECTORY; one that already exists there is not overwritten (the run says
    what to add to it).
    """
    if directory.exists() and not directory.is_dir():
        fail_usage(f"{directory} exists and is not a folder")
    try:
        done = scaffold(directory, rows)
    except FileExistsError as e:
        fail_usage(
            f"refusing to overwrite existing files in {directory}: {e}",
            help="run `stratlang init` in an empty folder, or move these files away",
        )
    except OSError as e:
        fail_usage(f"cannot write to {directory}: {e.strerror or e}")
    if done.repository is not None and done.project:
        click.echo(
            f"  in the git repository at {done.repository}: the CI files go to its root, "
            f"pointed at {done.project}/",
            err=True,
        )
    for p in done.written:
        click.echo(f"  created {_shown(p)}", err=True)
    for kept in done.kept:
        click.echo(
            f"  not written: {_shown(kept.path)}: {kept.why}" + (":" if kept.add else ""), err=True
        )
        for line in kept.add.splitlines():
            click.echo(f"    {line}" if line.strip() else "", err=True)
    click.echo(f"next: stratlang check {_shown(directory / 'main.strat')}", err=True)
