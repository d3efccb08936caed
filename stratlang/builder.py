"""`build`: a checked project -> its output folder (model, maps, playbook, and with data the lists).

    import stratlang
    result = stratlang.check_entry("examples/bank_wealth/main.strat")
    built = stratlang.build(result, "out", data="examples/bank_wealth/data/customers.csv")
    built.files      # ['lists/', 'map.svg', 'model.json', 'playbook-map.svg', 'playbook.html']

Everything is written into a staging folder and switched in whole at the end
(`stratlang.output.output_folder`): a failure or a kill leaves the old folder as it was. Raises
`CheckFailed` when the check fails at `fail_level`, and another `StratlangError` (`OutputError`,
`DataError`, `GraphvizError`, `PdfError`) when an output, the data or a program is the problem;
never exits, never prints (progress goes to the `progress` callback).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .check import CheckResult
from .diagnostics import fails
from .errors import CheckFailed, StratlangError
from .output import output_folder


@dataclass(frozen=True)
class Built:
    """What a build wrote: the folder, its files (`lists/` for the lists) and the real counts."""

    out: Path
    files: tuple[str, ...]
    counts: dict | None


def build(
    result: CheckResult,
    out: Path | str,
    *,
    data: Path | str | None = None,
    engine: str = "duckdb",
    pdf: bool = False,
    lang: str | None = None,
    fail_level: str = "error",
    progress: Callable[[str], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Built:
    """Write the outputs of a checked project into the folder `out`, replacing it whole."""
    if fails(result.diagnostics, fail_level):
        raise CheckFailed(result, fail_level)
    step = progress or (lambda message: None)
    data_path = Path(data) if data is not None else None
    if data_path is not None:
        require_data_file(data_path)
    inputs = project_inputs(result) + ([data_path] if data_path is not None else [])
    with output_folder(Path(out), inputs=inputs, on_wait=on_wait) as stage:
        counts = (
            _lists(result, data_path, engine, stage / "lists", step)
            if data_path is not None
            else None
        )
        outputs = _render(result, lang, counts, pdf)
        for name, content in outputs.items():
            (stage / name).write_bytes(
                content.encode("utf-8") if isinstance(content, str) else content
            )
    files = sorted(outputs) + (["lists/"] if data_path is not None else [])
    return Built(Path(out), tuple(files), counts)


def require_data_file(data: Path) -> None:
    """A data path that is not a readable regular file is a DataError, before any work."""
    from .engine.data import DataError

    help_ = "give the customer data as a CSV, Parquet or DuckDB file (--data)"
    try:
        found = data.is_file()
    except OSError as e:  # a name too long, a loop of links
        raise DataError(
            f"cannot read the data file {str(data)[:80]}: {e.strerror or e}", help_
        ) from None
    if not found:
        raise DataError(
            f"data file not found: {data}"
            if not data.exists()
            else f"{data} is not a regular file",
            help_,
        )


def project_inputs(result: CheckResult) -> list[Path]:
    """The files a run reads: outputs must never overwrite or contain them."""
    return list(result.project.paths.values()) if result.project else []


def _lists(
    result: CheckResult, data: Path, engine: str, folder: Path, step: Callable[[str], None]
) -> dict:
    """Run the lists into `folder` (inside the staging folder); the real counts for the model."""
    from .engine import run_lists

    summary = run_lists(
        result.model, data, engine=engine, out_dir=folder, fmt="csv", inputs=project_inputs(result)
    )
    counts = summary.counts()
    step(f"lists: {sum((counts.get('plays') or {}).values())} customers assigned")
    return counts


def _render(
    result: CheckResult, lang: str | None, counts: dict | None, pdf: bool
) -> dict[str, bytes | str]:
    """Every registered output of the build, rendered in memory in order: name -> content."""
    from .backends.base import Options, build_outputs

    opts = Options(
        lang=lang, counts=counts, warnings=list(result.diagnostics), sources=result.sources, pdf=pdf
    )
    for backend in build_outputs():
        if backend.wanted(opts):
            opts.rendered[backend.name] = backend.render(result.model, opts)
    return dict(opts.rendered)


__all__ = ["Built", "CheckFailed", "StratlangError", "build"]
