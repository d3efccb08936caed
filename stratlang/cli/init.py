"""`stratlang init [DIR]`: scaffold a project that checks clean.

Writes `main.strat` (a small complete bilingual example), `data/customers.csv` (sample customers
generated from its schema), `.github/workflows/stratlang.yml` (CI running `stratlang check
--format github`) and `.pre-commit-config.yaml` (the `stratlang-check` and `stratlang-fmt` hooks).
Existing files are never overwritten: if any of them exists, nothing is written (exit 2).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from ..output import atomic_write
from . import main
from .common import fail_usage

FILES = (
    "main.strat",
    "data/customers.csv",
    ".github/workflows/stratlang.yml",
    ".pre-commit-config.yaml",
)


def _template(name: str) -> str:
    return resources.files("stratlang").joinpath("data", name).read_text(encoding="utf-8")


def scaffold(target: Path, rows: int = 2000, seed: int = 7) -> list[Path]:
    """Render every file in memory, then write them (refusing to overwrite). Returns the paths."""
    from .. import __version__, samples
    from ..check import check_entry

    existing = [name for name in FILES if (target / name).exists()]
    if existing:
        raise FileExistsError(", ".join(existing))
    strat = _template("init_main.strat")
    # the sample data comes from the example's own schema: check it in a scratch folder first
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "main.strat"
        p.write_text(strat, encoding="utf-8")
        res = check_entry(p)
    model = res.model
    # every segment of the example has members (samples.sample plants them from the witnesses)
    period = model.strategy.period
    got = samples.sample(model, rows, seed, as_of=period[0] if period else None)
    csv_text = samples.to_csv(model, got.customers)
    contents = {
        "main.strat": strat,
        "data/customers.csv": csv_text,
        ".github/workflows/stratlang.yml": _template("init_workflow.yml")
        .replace("__VERSION__", __version__)
        .replace("__ENTRY__", "main.strat"),
        ".pre-commit-config.yaml": _template("init_pre_commit.yaml").replace(
            "__VERSION__", __version__
        ),
    }
    written = []
    for name, text in contents.items():
        path = target / name
        atomic_write(path, text)
        path.chmod(0o644)
        written.append(path)
    return written


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
    """Create a new project in DIRECTORY (default: here): example .strat, sample data, CI, pre-commit."""
    if directory.exists() and not directory.is_dir():
        fail_usage(f"{directory} exists and is not a folder")
    try:
        written = scaffold(directory, rows)
    except FileExistsError as e:
        fail_usage(
            f"refusing to overwrite existing files in {directory}: {e}",
            help="run `stratlang init` in an empty folder, or move these files away",
        )
    except OSError as e:
        fail_usage(f"cannot write to {directory}: {e.strerror or e}")
    for p in written:
        click.echo(f"  created {p}", err=True)
    click.echo(f"next: stratlang check {directory / 'main.strat'}", err=True)
