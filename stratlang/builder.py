"""`build`: a checked project -> its output folder (model, maps, playbook, and with data the lists).

    import stratlang
    result = stratlang.check_entry("examples/bank_wealth/main.strat")
    built = stratlang.build(result, "out", data="examples/bank_wealth/data/customers.csv")
    built.files      # ['lifecycle-map.svg', 'lists/', 'map.svg', 'model.json', 'playbook-map.svg', …]

Everything is written into a staging folder and switched in whole at the end
(`stratlang.output.output_folder`): a failure or a kill leaves the old folder as it was. Raises
`CheckFailed` when the check fails at `fail_level`, and another `StratlangError` (`OutputError`,
`DataError`, `GraphvizError`, `PdfError`) when an output, the data or a program is the problem;
never exits, never prints (progress goes to the `progress` callback).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .backends.layout import LAYOUT_TIMEOUT, MAP_BUDGET, layout_session
from .check import CheckResult
from .diagnostics import Diagnostic, fails
from .errors import CheckFailed, StratlangError
from .output import output_folder

if TYPE_CHECKING:
    from .engine.governance import ContactsArg
    from .review import ReviewResult


@dataclass(frozen=True)
class Built:
    """What a build wrote: the folder, its files (`lists/` for the lists) and the real counts."""

    out: Path
    files: tuple[str, ...]
    counts: dict | None
    review: Reviewed | None = None  # with actuals: the review written beside the build
    inactive: dict | None = None  # with data: play id -> why it had no part in the lists that day
    notes: tuple[str, ...] = ()  # what the user should know about the outputs (a summarised map)


@dataclass(frozen=True)
class Reviewed:
    """What a review wrote, the scores, and the findings as REV diagnostics."""

    out: Path
    files: tuple[str, ...]
    result: ReviewResult
    diagnostics: list[Diagnostic]


@dataclass(frozen=True)
class ReviewInputs:
    """The files a review reads and the day it is taken on (docs/review.md)."""

    actuals: Path
    outcomes: Path | None = None
    as_of: dt.date | None = None  # None: today
    level: str | None = None  # strategy | operations | business; None: all three


def build(
    result: CheckResult,
    out: Path | str,
    *,
    data: Path | str | None = None,
    engine: str = "duckdb",
    pdf: bool = False,
    lang: str | None = None,
    theme: str = "light",
    fail_level: str = "error",
    progress: Callable[[str], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    actuals: ReviewInputs | None = None,
    as_of: dt.date | None = None,
    previous: Path | str | None = None,
    contacts: ContactsArg = None,
    map_budget: int | None = MAP_BUDGET,
    layout_timeout: float | None = LAYOUT_TIMEOUT,
) -> Built:
    """Write the outputs of a checked project into the folder `out`, replacing it whole; with
    `actuals`, the review's files too (`review`). The lists assign only the plays active on
    `as_of` (None: the review's day, else today; `stratlang.engine.run_lists`). `previous` (with
    `data`): the previous customer table; the transitions go into the lists, `counts` and the
    maps. `contacts` (with `data`): the contact log the lists keep the contact limits with.

    Each map is laid out once (`map.svg` and the playbook share the layout). A strategy map of
    more than `map_budget` objectives + links (None: no limit), or one Graphviz does not lay out
    within `layout_timeout` seconds, is drawn as a summary; `notes` says so
    (backends/layout.py)."""
    if fails(result.diagnostics, fail_level):
        raise CheckFailed(result, fail_level)
    step = progress or (lambda message: None)
    data_path = Path(data) if data is not None else None
    if data_path is not None:
        require_data_file(data_path)
    inputs = project_inputs(result) + ([data_path] if data_path is not None else [])
    previous_path = Path(previous) if previous is not None and data_path is not None else None
    inputs += [previous_path] if previous_path is not None else []
    contacts_paths: tuple[Path, ...] = ()
    if data_path is not None and contacts is not None:
        from .engine.governance import contact_paths

        contacts_paths = contact_paths(contacts)
    inputs += list(contacts_paths)
    if actuals is not None:
        inputs += _review_inputs(actuals)
    scored: tuple[ReviewResult, list[Diagnostic]] | None = None
    review_files: dict[str, bytes | str] = {}
    with output_folder(Path(out), inputs=inputs, on_wait=on_wait) as stage:
        day = as_of or (actuals.as_of if actuals is not None else None)
        listed = (
            _lists(
                result, data_path, engine, stage / "lists", step, day, previous_path, contacts_paths
            )
            if data_path is not None
            else None
        )
        counts, inactive = listed if listed is not None else (None, None)
        with layout_session(map_budget, layout_timeout, step) as layouts:
            outputs = _render(result, lang, counts, pdf, theme)
            if actuals is not None:
                scored, review_files = _review(result, actuals, lang, pdf)
                outputs.update(review_files)
        _write_all(stage, outputs)
    files = sorted(outputs) + (["lists/"] if data_path is not None else [])
    reviewed = Reviewed(Path(out), tuple(sorted(review_files)), *scored) if scored else None
    return Built(Path(out), tuple(files), counts, reviewed, inactive, tuple(layouts.notes))


def review(
    result: CheckResult,
    out: Path | str,
    inputs: ReviewInputs,
    *,
    lang: str | None = None,
    pdf: bool = False,
    fail_level: str = "error",
    on_wait: Callable[[str], None] | None = None,
) -> Reviewed:
    """Score the actuals against the checked project and write review-map.svg, review.html,
    review.json (and review.pdf) into the folder `out`, replacing it whole (docs/review.md).

    Raises CheckFailed when the project fails its check at `fail_level`, DataError when the
    actuals or outcomes cannot be used (every problem by row and column; nothing is written)."""
    if fails(result.diagnostics, fail_level):
        raise CheckFailed(result, fail_level)
    read = project_inputs(result) + _review_inputs(inputs)
    with output_folder(Path(out), inputs=read, on_wait=on_wait) as stage:
        with layout_session():  # the review map: laid out once for review.html and its .svg
            (scores, diagnostics), files = _review(result, inputs, lang, pdf)
        _write_all(stage, files)
    return Reviewed(Path(out), tuple(sorted(files)), scores, diagnostics)


def _review_inputs(inputs: ReviewInputs) -> list[Path]:
    require_data_file(inputs.actuals)
    if inputs.outcomes is not None:
        require_data_file(inputs.outcomes)
    return [inputs.actuals] + ([inputs.outcomes] if inputs.outcomes is not None else [])


def _review(
    result: CheckResult, inputs: ReviewInputs, lang: str | None, pdf: bool
) -> tuple[tuple[ReviewResult, list[Diagnostic]], dict[str, bytes | str]]:
    """Score in the engine, then render: (the scores and their diagnostics, name -> content)."""
    from .backends.review_html import render_review
    from .review import review as score
    from .review.diagnostics import review_diagnostics

    as_of = inputs.as_of or dt.date.today()
    scores = score(result.model, inputs.actuals, as_of=as_of, outcomes=inputs.outcomes)
    files = render_review(result.model, scores, lang=lang, level=inputs.level, pdf=pdf)
    return (scores, review_diagnostics(scores, result.model)), files


def _write_all(stage: Path, files: dict[str, bytes | str]) -> None:
    for name, content in files.items():
        (stage / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


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
    result: CheckResult,
    data: Path,
    engine: str,
    folder: Path,
    step: Callable[[str], None],
    as_of: dt.date | None,
    previous: Path | None = None,
    contacts: tuple[Path, ...] = (),
) -> tuple[dict, dict]:
    """Run the lists into `folder` (inside the staging folder): the real counts for the model and
    the plays inactive on `as_of`."""
    from .engine import run_lists

    summary = run_lists(
        result.model,
        data,
        engine=engine,
        out_dir=folder,
        fmt="csv",
        inputs=project_inputs(result),
        as_of=as_of,
        previous=previous,
        contacts=contacts,
        root=result.root,
    )
    counts = summary.counts()
    if summary.transitions:  # the lifecycle map and the playbook draw them
        counts["transitions"] = summary.transitions
    step(f"lists: {sum((counts.get('plays') or {}).values())} customers assigned")
    return counts, dict(summary.inactive)


def _render(
    result: CheckResult, lang: str | None, counts: dict | None, pdf: bool, theme: str = "light"
) -> dict[str, bytes | str]:
    """Every registered output of the build, rendered in memory in order: name -> content
    (the strategy and playbook maps in `theme`)."""
    from .backends.base import Options, build_outputs

    opts = Options(
        lang=lang,
        counts=counts,
        warnings=list(result.diagnostics),
        sources=result.sources,
        root=result.root,
        pdf=pdf,
        theme=theme,
    )
    for backend in build_outputs():
        if backend.wanted(opts):
            opts.rendered[backend.name] = backend.render(result.model, opts)
    return dict(opts.rendered)


__all__ = ["Built", "CheckFailed", "ReviewInputs", "Reviewed", "StratlangError", "build", "review"]
