"""Reviewing a parent strategy with its children (docs/cascade.md "Roll-up in review").

`review_cascade` scores each child's actuals, rolls the children's actuals up into the parent's
additive targets (`review.rollup`), scores the parent on its own actuals plus the rolled-up ones,
and writes into the output folder, replaced as a whole: the parent's review (`review-map.svg`,
`review.html`, `review.json`, as `stratlang review` writes them) and the cascade review
(`cascade-review.html`, `cascade-review.json`) with each child's status beside the parent's.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .builder import ReviewInputs, project_inputs, require_data_file
from .check import CheckResult
from .diagnostics import Diagnostic
from .output import output_folder
from .review.result import ReviewResult
from .review.rollup import Child, Rollup

CHILD_ACTUALS = "data/actuals.csv"  # each child's actuals, relative to its project folder


@dataclass(frozen=True)
class CascadeReviewed:
    out: Path
    files: tuple[str, ...]
    result: ReviewResult  # the parent's, with the rolled-up actuals
    diagnostics: list[Diagnostic]  # the parent's findings
    children: tuple[Child, ...]
    rollups: tuple[Rollup, ...]


def child_actuals(res: CheckResult, name: str = CHILD_ACTUALS) -> Path | None:
    """A child's actuals file: `name` relative to its project folder, when it exists."""
    if res.project is None:
        return None
    path = res.project.entry.parent / name
    return path if path.is_file() else None


def _child_review(
    key: str, res: CheckResult, path: Path | None, name: str, as_of: dt.date
) -> ReviewResult | None:
    """A child's review on its own actuals (None without a file); a DataError names the child's
    file, since every child's file is called alike."""
    from .engine.data import DataError
    from .review import review as score

    if path is None:
        return None
    try:
        return score(res.model, path, as_of=as_of)
    except DataError as e:
        shown = f"{Path(key).parent.as_posix()}/{name}"

        def named(
            problem: str,
        ) -> str:  # "actuals.csv row 3 …" -> "branch/data/actuals.csv row 3 …"
            head = path.name if path is not None else ""
            return shown + problem[len(head) :] if problem.startswith(head + " ") else problem

        raise DataError(named(str(e)), e.help, [named(p) for p in e.problems]) from None


def review_cascade(
    parent: CheckResult,
    parent_key: str,
    children: Sequence[tuple[str, CheckResult]],
    out: Path | str,
    inputs: ReviewInputs,
    *,
    unit_labels: dict[str, str],
    child_actuals_name: str = CHILD_ACTUALS,
    lang: str | None = None,
    pdf: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> CascadeReviewed:
    """Review `parent` (shown as `parent_key`) with its `children` ((key, checked result) in
    tree order). Raises DataError when an actuals file cannot be used (nothing is written)."""
    from .backends.cascade_review import cascade_map_dot, render_cascade_review
    from .backends.dot import run_dot
    from .backends.review_html import render_review
    from .review import review as score
    from .review.diagnostics import review_diagnostics
    from .review.rollup import combined_actuals, rollups
    from .words import lang_of

    as_of = inputs.as_of or dt.date.today()
    require_data_file(inputs.actuals)
    kids = []
    for key, res in children:
        path = child_actuals(res, child_actuals_name)
        got = _child_review(key, res, path, child_actuals_name, as_of)
        kids.append(Child(key, res.model, got, path))
    own = score(parent.model, inputs.actuals, as_of=as_of)
    rolled = rollups(parent.model, own, kids)
    read = project_inputs(parent) + [inputs.actuals]
    read += [k.actuals for k in kids if k.actuals is not None]
    read += [p for _, r in children for p in project_inputs(r)]
    if inputs.outcomes is not None:
        require_data_file(inputs.outcomes)
        read.append(inputs.outcomes)
    with tempfile.TemporaryDirectory(prefix="stratlang-rollup-") as tmp:
        actuals = combined_actuals(inputs.actuals, rolled, Path(tmp) / "actuals.csv")
        result = score(parent.model, actuals, as_of=as_of, outcomes=inputs.outcomes)
    lang = lang_of(parent.model, lang)
    files: dict[str, bytes | str] = dict(
        render_review(parent.model, result, lang=lang, level=inputs.level, pdf=pdf)
    )
    dot_text = cascade_map_dot(parent_key, parent.model, result, kids, lang)
    files["cascade-map.svg"] = run_dot(dot_text, "svg")
    files.update(
        render_cascade_review(
            parent.model, result, kids, rolled, unit_labels, lang, level=inputs.level
        )
    )
    with output_folder(Path(out), inputs=read, on_wait=on_wait) as stage:
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (stage / name).write_bytes(data)
    diagnostics = review_diagnostics(result, parent.model)
    return CascadeReviewed(
        Path(out), tuple(sorted(files)), result, diagnostics, tuple(kids), rolled
    )
