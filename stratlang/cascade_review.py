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
    children: Sequence[tuple[str, CheckResult, str]],
    out: Path | str,
    inputs: ReviewInputs,
    *,
    unit_labels: dict[str, str],
    child_actuals_name: str = CHILD_ACTUALS,
    lang: str | None = None,
    pdf: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> CascadeReviewed:
    """Review `parent` (shown as `parent_key`) with the projects below it ((key, checked result,
    key of the project above it) in tree order, parents first). Each project is reviewed on its
    own actuals with its own children's rolled up into it, bottom-up, so a team's actuals reach
    the head office through its branch. Raises DataError when an actuals file cannot be used
    (nothing is written)."""
    from .backends.cascade_review import cascade_map_dot, render_cascade_review
    from .backends.dot import run_dot
    from .backends.review_html import render_review
    from .review.diagnostics import review_diagnostics
    from .review.rollup import combined_actuals, rollups
    from .words import lang_of

    as_of = inputs.as_of or dt.date.today()
    require_data_file(inputs.actuals)
    read = project_inputs(parent) + [inputs.actuals]
    read += [p for _, r, _ in children for p in project_inputs(r)]
    if inputs.outcomes is not None:
        require_data_file(inputs.outcomes)
        read.append(inputs.outcomes)
    below: dict[str, list[str]] = {}
    for key, _, above in children:
        below.setdefault(above, []).append(key)
    done: dict[str, Child] = {}
    with tempfile.TemporaryDirectory(prefix="stratlang-rollup-") as tmp:
        for n, (key, res, above) in enumerate(reversed(children)):  # children before parents
            path = child_actuals(res, child_actuals_name)
            kids = [done[k] for k in below.get(key, ())]
            own = _child_review(key, res, path, child_actuals_name, as_of)
            got, rolled = _rolled(res.model, own, path, kids, Path(tmp) / str(n), as_of)
            done[key] = Child(key, res.model, got, path, above, rolled)
        kids = [done[k] for k in below.get(parent_key, ())]
        own = score_actuals(parent.model, inputs.actuals, as_of)
        rolled = rollups(parent.model, own, kids)
        actuals = combined_actuals(inputs.actuals, rolled, Path(tmp) / "actuals.csv")
        result = score_actuals(parent.model, actuals, as_of, inputs.outcomes)
    every = [done[key] for key, _, _ in children]
    read += [k.actuals for k in every if k.actuals is not None]
    lang = lang_of(parent.model, lang)
    files: dict[str, bytes | str] = dict(
        render_review(parent.model, result, lang=lang, level=inputs.level, pdf=pdf)
    )
    dot_text = cascade_map_dot(parent_key, parent.model, result, every, lang)
    files["cascade-map.svg"] = run_dot(dot_text, "svg")
    files.update(
        render_cascade_review(
            parent.model,
            result,
            every,
            rolled,
            unit_labels,
            lang,
            level=inputs.level,
            parent_key=parent_key,
        )
    )
    with output_folder(Path(out), inputs=read, on_wait=on_wait) as stage:
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (stage / name).write_bytes(data)
    diagnostics = review_diagnostics(result, parent.model)
    return CascadeReviewed(
        Path(out), tuple(sorted(files)), result, diagnostics, tuple(every), rolled
    )


def score_actuals(model, path: Path, as_of: dt.date, outcomes: Path | None = None):
    from .review import review as score

    return score(model, path, as_of=as_of, outcomes=outcomes)


def _rolled(
    model,
    own: ReviewResult | None,
    path: Path | None,
    kids: Sequence[Child],
    tmp: Path,
    as_of: dt.date,
) -> tuple[ReviewResult | None, tuple[Rollup, ...]]:
    """A project's review with its children's actuals rolled up into it, and the roll-ups.
    Without an actuals file of its own, its review is the rolled-up figures alone (None when
    nothing rolls up: its targets show no data)."""
    from .review.rollup import combined_actuals, rollups

    if not any(k.review is not None for k in kids):
        return own, ()
    tmp.mkdir()
    given = own
    if path is None or own is None:
        path = tmp / "own.csv"
        path.write_text("measure,period,value,note\n", encoding="utf-8")
        own = score_actuals(model, path, as_of)
    rolled = rollups(model, own, kids)
    if not any(p.own is None and p.total is not None for r in rolled for p in r.periods):
        return given, rolled  # nothing summed: the project's own figures as they are
    actuals = combined_actuals(path, rolled, tmp / "actuals.csv")
    return score_actuals(model, actuals, as_of), rolled
