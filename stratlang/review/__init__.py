"""经营回检: reviewing actual results against a strategy's targets (docs/review.md).

    from stratlang.review import review, review_json
    result = review(model_or_plan, "actuals.csv", as_of=date(2026, 9, 30), outcomes="outcomes.csv")
    text = review_json(result)

With a model, the outcomes file's optional `channel` column is checked against the project's
channels and `result.channels` gives each channel's contacts against its capacity per period;
with a bare `Plan`, pass `channels=ChannelPlan(...)` for the same. Likewise its `variant` column
and `holdout` group are checked against the plays' variants and the strategy's holdout
(`experiments_from_model`; `experiments=ExperimentPlan(...)` with a bare `Plan`): each arm against
control and a winner per play and period, and every play against the holdout (`result.programme`).

The stages, one module each: `periods` (period labels), `plan` (the flat plan scored, and the
adapter from a model), `actuals` and `outcomes` (reading and checking the files, in SQL), `score`
(goals, statuses, trends, roll-ups, triggers, in SQL), `report` (review.json). The review raises
`StratlangError`s (`DataError` for the files, `PlanError` for the plan); it never prints or exits.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from .actuals import load_actuals
from .outcomes import (
    ChannelPlan,
    ExperimentPlan,
    PlanChannel,
    PlanVariant,
    channel_rows,
    channels_from_model,
    experiments_from_model,
    load_outcomes,
    outcome_rows,
    programme_rows,
)
from .plan import Milestone, Plan, PlanError, PlanMeasure, PlanTrigger, plan_from_model
from .report import review_json
from .result import ChannelUse, PlayOutcome, ProgrammeOutcome, ReviewResult
from .score import score

__all__ = [
    "ChannelPlan",
    "ChannelUse",
    "ExperimentPlan",
    "Milestone",
    "Plan",
    "PlanChannel",
    "PlanError",
    "PlanMeasure",
    "PlanTrigger",
    "PlanVariant",
    "ReviewResult",
    "channels_from_model",
    "experiments_from_model",
    "load_actuals",
    "load_outcomes",
    "plan_from_model",
    "review",
    "review_json",
]


def review(
    model_or_plan: Any,
    actuals_path: Path | str,
    *,
    as_of: dt.date,
    outcomes: Path | str | None = None,
    channels: ChannelPlan | None = None,
    experiments: ExperimentPlan | None = None,
) -> ReviewResult:
    """Score the actuals in `actuals_path` (and the play outcomes in `outcomes`) as of `as_of`.

    `model_or_plan`: a `Plan`, or a `stratlang.model.Model` (read by `plan_from_model`, and
    its channels by `channels_from_model` unless `channels` is given, its variants and holdout by
    `experiments_from_model` unless `experiments` is given)."""
    if isinstance(model_or_plan, Plan):
        plan = model_or_plan
    else:
        plan = plan_from_model(model_or_plan)
        if channels is None:
            channels = channels_from_model(model_or_plan)
        if experiments is None:
            experiments = experiments_from_model(model_or_plan)
    con = duckdb.connect()
    try:
        load_actuals(con, actuals_path, plan)
        plays: tuple[PlayOutcome, ...] = ()
        used: tuple[ChannelUse, ...] = ()
        programme: tuple[ProgrammeOutcome, ...] = ()
        if outcomes is not None:
            load_outcomes(con, outcomes, plan, channels, experiments)
            plays = outcome_rows(con, plan, experiments)
            used = channel_rows(con)
            programme = programme_rows(con)
        measures, rollups, strategy, triggers, findings = score(con, plan, as_of)
    finally:
        con.close()
    return ReviewResult(
        as_of=as_of,
        plan=plan,
        measures=measures,
        objectives=rollups["objective"],
        perspectives=rollups["perspective"],
        themes=rollups["theme"],
        strategy=strategy,
        triggers=triggers,
        plays=plays,
        findings=findings,
        channels=used,
        programme=programme,
    )
