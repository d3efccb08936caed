"""Play outcomes: conversion of the treatment group against the control group, in SQL.

`load_outcomes(con, path, plan)` reads `play, period, group, contacted, converted` (CSV, Parquet
or a DuckDB table `outcomes`) and checks it like the actuals: unknown play, unparsable period or
one outside the strategy, a group other than treatment/control, counts that are not whole
non-negative numbers, more converted than contacted, a (play, period, group) given twice.

`outcome_rows(con)` gives, per play and period, each group's rate and the lift (treatment rate -
control rate) with a 95% Wald interval: lift ± 1.959964 × sqrt(pt(1-pt)/nt + pc(1-pc)/nc),
over the rows of each (play, period, group) summed.

An optional column `variant` names the arm of a play's A/B test a treatment row is about, and a
group `holdout` gives the customers held out of every play (docs/review.md, "Variants and lift",
"Programme against the holdout"). With the project's experiments (`ExperimentPlan`, from
`experiments_from_model`) the arm must be one of the play's, a play without variants takes none,
and `holdout` needs a strategy `holdout` (without `experiments` the arms are the file's and the
group is refused). `outcome_rows` then gives each arm against control and
the winner (`stats.compare_arms`), and `programme_rows` every play's treatment against the
holdout per period. The sums are DuckDB's; only the per-group counts reach Python.

An optional column `channel` splits a group's rows by the channel that contacted them (a treatment
row needs one; a (play, period, group, channel) is then given once). With the project's channels
(`ChannelPlan`, from `channels_from_model`) the channel must be one of the project's and one the
play steps through, and `channel_rows(con)` gives per channel and period the treatment contacts
against the channel's capacity for that period (docs/review.md, "Contacts per channel").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..diagnostics import closest
from ..model import Model
from .checks import Check, Failure, failures, quoted, raise_problems
from .periods import (
    period_end_sql,
    period_kind_and_start_sql,
    period_label_sql,
    period_parts_sql,
)
from .plan import Plan, PlanError
from .result import (
    ChannelUse,
    GroupRate,
    PlayOutcome,
    ProgrammeOutcome,
    VariantOutcome,
    Winner,
)
from .stats import ALPHA, MIN_CONTACTED, MIN_CONVERTED, Decision, Group, compare_arms, lift
from .tables import read_raw, register

RAW = "__review_outcomes_raw"
ROWS = "__review_outcome_rows"
OUTCOMES = "review_outcomes"
CHANNELS = "__review_channels"
PLAY_CHANNELS = "__review_play_channels"
PLAY_VARIANTS = "__review_play_variants"
Z_95 = 1.959963984540054
COUNT = r"^\s*\d(?:_?\d)*\s*$"
HELP = (
    "see docs/review.md: columns play, period, group (treatment|control|holdout), contacted,"
    " converted, optional channel and variant"
)
PERS = ("day", "week", "month")


@dataclass(frozen=True)
class PlanChannel:
    """A channel of the project: its capacity is `capacity` contacts per `per` (day, week or
    month); None when unlimited (or not declared)."""

    id: str
    label: str
    capacity: float | None = None
    per: str = "day"

    def __post_init__(self) -> None:
        if self.per not in PERS:
            raise PlanError(
                f"channel `{self.id}`: capacity per `{self.per}` is not day, week or month"
            )
        if self.capacity is not None and self.capacity < 0:
            raise PlanError(f"channel `{self.id}`: capacity cannot be negative")


@dataclass(frozen=True)
class ChannelPlan:
    """The project's channels (declaration order) and, per play, the channels its steps go
    through (step order): what the outcomes file's `channel` column is checked against."""

    channels: tuple[PlanChannel, ...] = ()
    plays: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def channels_from_model(model: Model) -> ChannelPlan:
    """The channels of a checked model and the channels each play steps through."""
    channels = tuple(
        PlanChannel(
            c.id,
            c.label or c.id,
            None if c.capacity is None or c.capacity.amount is None else float(c.capacity.amount),
            c.capacity.per if c.capacity is not None else "day",
        )
        for c in model.channels.values()
    )
    plays = {pid: p.channels() for pid, p in model.plays.items()}  # every arm's channels
    return ChannelPlan(channels, plays)


@dataclass(frozen=True)
class PlanVariant:
    """An arm of a play's A/B test: its id and label."""

    id: str
    label: str


@dataclass(frozen=True)
class ExperimentPlan:
    """The project's experiments: per play with variants its arms (declaration order), and
    whether the strategy holds customers out of every play (`holdout`). What the outcomes
    file's `variant` column and `holdout` group are checked against."""

    variants: Mapping[str, tuple[PlanVariant, ...]] = field(default_factory=dict)
    holdout: bool = False


def experiments_from_model(model: Model) -> ExperimentPlan:
    """The variants of a checked model's plays and whether its strategy has a holdout."""
    variants = {
        pid: tuple(PlanVariant(v.id, v.label or v.id) for v in p.variants)
        for pid, p in model.plays.items()
        if p.variants
    }
    return ExperimentPlan(variants, model.strategy.holdout is not None)


def _register_channels(con: duckdb.DuckDBPyConnection, channels: ChannelPlan | None) -> None:
    cs = channels.channels if channels is not None else ()
    register(
        con,
        CHANNELS,
        {"ord": "INTEGER", "id": "VARCHAR", "label": "VARCHAR", "rate": "DOUBLE", "per": "VARCHAR"},
        {
            "ord": list(range(len(cs))),
            "id": [c.id for c in cs],
            "label": [c.label for c in cs],
            "rate": [c.capacity for c in cs],
            "per": [c.per for c in cs],
        },
    )
    plays = channels.plays if channels is not None else {}
    register(
        con,
        PLAY_CHANNELS,
        {"pc_play": "VARCHAR", "pc_channels": "VARCHAR[]"},
        {"pc_play": list(plays), "pc_channels": [list(v) for v in plays.values()]},
    )


def _register_variants(con: duckdb.DuckDBPyConnection, experiments: ExperimentPlan | None) -> None:
    """The plays' arms: the plan's, or (without one) those the file's treatment rows name."""
    if experiments is None:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {PLAY_VARIANTS} AS
            SELECT pv_play, list(arm ORDER BY first_row) AS pv_variants FROM (
              SELECT trim(play) AS pv_play, trim(variant) AS arm, min("row") AS first_row
              FROM {RAW} WHERE nullif(trim(variant), '') IS NOT NULL
                AND lower(trim("group")) = 'treatment'
              GROUP BY trim(play), trim(variant)
            ) GROUP BY pv_play"""
        )
        return
    plays = experiments.variants
    register(
        con,
        PLAY_VARIANTS,
        {"pv_play": "VARCHAR", "pv_variants": "VARCHAR[]"},
        {"pv_play": list(plays), "pv_variants": [[v.id for v in vs] for vs in plays.values()]},
    )


def _count_sql(text: str) -> str:
    return (
        f"CASE WHEN regexp_full_match({text}, '{COUNT}')"
        f" THEN TRY_CAST(replace(trim({text}), '_', '') AS BIGINT) END"
    )


def _parse_rows(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    kind, start = period_kind_and_start_sql("parts")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ROWS} AS
        WITH typed AS (
          SELECT "row", play AS play_text, trim(play) AS play_id, trim(period) AS period_text,
                 "group" AS group_text, lower(trim("group")) AS grp,
                 contacted AS contacted_text, converted AS converted_text,
                 {_count_sql("contacted")} AS contacted, {_count_sql("converted")} AS converted,
                 list_contains(?, trim(play)) AS known,
                 channel AS channel_text, nullif(trim(channel), '') AS ch,
                 pc_channels AS play_channels,
                 EXISTS (SELECT 1 FROM {CHANNELS} c WHERE c.id = nullif(trim(channel), ''))
                   AS ch_known,
                 variant AS variant_text, nullif(trim(variant), '') AS arm,
                 pv_variants AS play_variants
          FROM {RAW} LEFT JOIN {PLAY_CHANNELS} ON pc_play = trim(play)
          LEFT JOIN {PLAY_VARIANTS} ON pv_play = trim(play)
        ), matched AS (SELECT *, {period_parts_sql("period_text")} AS parts FROM typed),
        parsed AS (SELECT *, {kind} AS p_kind, {start} AS p_start FROM matched)
        SELECT *, {period_end_sql("p_kind", "p_start")} AS p_end,
               {period_label_sql("p_kind", "p_start")} AS period,
               CAST(? AS DATE) AS plan_start, CAST(? AS DATE) AS plan_end,
               min("row") OVER (
                 PARTITION BY play_id, {period_label_sql("p_kind", "p_start")}, grp, ch, arm
               ) AS first_row
        FROM parsed
        """,
        [list(_plays(plan)), plan.start, plan.end],
    )


def _plays(plan: Plan) -> tuple[str, ...]:
    from_measures = tuple(m.play for m in plan.measures if m.play is not None)
    return tuple(dict.fromkeys(plan.plays + from_measures))


def _count_check(column: str) -> Check:
    return Check(f"{column}_bad", column, f"{column} IS NULL", f"{column}_text")


OUTCOME_CHECKS = (
    Check("play_unknown", "play", "NOT coalesce(known, false)", "play_text"),
    Check("period_bad", "period", "p_kind IS NULL", "period_text"),
    Check(
        "period_outside",
        "period",
        "p_kind IS NOT NULL AND (p_end < plan_start OR p_start > plan_end)",
        "period_text",
    ),
    Check(
        "group_bad",
        "group",
        "grp IS NULL OR grp NOT IN ('treatment', 'control', 'holdout')",
        "group_text",
    ),
    _count_check("contacted"),
    _count_check("converted"),
    Check("converted_over", "converted", "converted > contacted", "converted", "contacted"),
    Check(
        "duplicate",
        "group",
        "known AND period IS NOT NULL AND grp IN ('treatment', 'control', 'holdout')"
        ' AND first_row < "row"',
        "play_id || ' ' || period || ' ' || grp || coalesce(' ' || ch, '') || coalesce(' ' || arm, '')",
        "first_row",
    ),
)
# with a `channel` column
CHANNEL_CHECKS = (Check("channel_missing", "channel", "grp = 'treatment' AND ch IS NULL", "NULL"),)
# ... checked against the project's channels
PROJECT_CHANNEL_CHECKS = (
    Check("channel_unknown", "channel", "ch IS NOT NULL AND NOT ch_known", "channel_text"),
    Check(
        "channel_not_in_play",
        "channel",
        "ch IS NOT NULL AND ch_known AND coalesce(known, false)"
        " AND NOT coalesce(list_contains(play_channels, ch), false)",
        "channel_text",
        "play_id || chr(31) || coalesce(array_to_string(play_channels, ', '), '')",
    ),
)


# a holdout group needs the strategy's holdout (`ExperimentPlan.holdout`)
NO_HOLDOUT_CHECKS = (Check("holdout_unplanned", "group", "grp = 'holdout'", "group_text"),)
# with a `variant` column
VARIANT_CHECKS = (
    Check(
        "variant_missing",
        "variant",
        "grp = 'treatment' AND arm IS NULL AND play_variants IS NOT NULL",
        "NULL",
        "play_id || chr(31) || array_to_string(play_variants, ', ')",
    ),
    Check(
        "variant_on_group",
        "variant",
        "grp IN ('control', 'holdout') AND arm IS NOT NULL",
        "variant_text",
        "grp",
    ),
)
# ... checked against the project's experiments
PROJECT_VARIANT_CHECKS = (
    Check(
        "variant_unknown",
        "variant",
        "grp = 'treatment' AND arm IS NOT NULL AND play_variants IS NOT NULL"
        " AND NOT list_contains(play_variants, arm)",
        "variant_text",
        "play_id || chr(31) || array_to_string(play_variants, ', ')",
    ),
    Check(
        "variant_unplanned",
        "variant",
        "grp = 'treatment' AND arm IS NOT NULL AND coalesce(known, false)"
        " AND play_variants IS NULL",
        "variant_text",
        "play_id",
    ),
)


def load_outcomes(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    plan: Plan,
    channels: ChannelPlan | None = None,
    experiments: ExperimentPlan | None = None,
) -> int:
    """Read and check play outcomes into `review_outcomes`; DataError lists every problem.

    `channels`: the project's channels, which a `channel` column is checked against (without
    them the column only splits the rows, and `channel_rows` finds no channel use).
    `experiments`: the plays' variants and the strategy's holdout, which a `variant` column and
    a `holdout` group are checked against (without them any arm is taken, as the file names
    it, and the group `holdout` is refused)."""
    path = Path(path)
    columns = ("play", "period", "group", "contacted", "converted")
    src = read_raw(con, path, "outcomes", columns, ("channel", "variant"), RAW)
    _register_channels(con, channels)
    _register_variants(con, experiments)
    _parse_rows(con, plan)
    checks: tuple[Check, ...] = OUTCOME_CHECKS
    if experiments is None or not experiments.holdout:
        checks += NO_HOLDOUT_CHECKS
    if "channel" in src.columns:
        checks += CHANNEL_CHECKS + (PROJECT_CHANNEL_CHECKS if channels is not None else ())
    if "variant" in src.columns:
        checks += VARIANT_CHECKS + (PROJECT_VARIANT_CHECKS if experiments is not None else ())
    found, total = failures(con, ROWS, checks)
    raise_problems(path, found, total, lambda f: _describe(f, plan, channels, experiments), HELP)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {OUTCOMES} AS SELECT play_id AS play, period, p_start AS start, "
        f'p_end AS "end", p_kind AS kind, grp, ch AS channel, arm AS variant, contacted, '
        f'converted, "row" FROM {ROWS} ORDER BY "row"'
    )
    for table in (ROWS, RAW, PLAY_CHANNELS, PLAY_VARIANTS):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    # fetchall: the result is read to its end, so the connection is free for con.sql()
    ((count,),) = con.execute(f"SELECT count(*) FROM {OUTCOMES}").fetchall()
    return int(count)


def _describe(
    f: Failure, plan: Plan, channels: ChannelPlan | None, experiments: ExperimentPlan | None
) -> str:
    shown = quoted(f.shown)
    if f.check.startswith("channel_"):
        return _describe_channel(f, channels)
    if f.check.startswith("variant_"):
        return _describe_variant(f)
    if f.check == "play_unknown":
        near = closest((f.shown or "").strip(), _plays(plan))
        return f"unknown play {shown}" + (f"; did you mean `{near[0]}`?" if near else "")
    if f.check == "period_bad":
        return f"{shown} is not a period: write 2026-Q4, 2026-03, 2026 or 2026-05-31"
    if f.check == "period_outside":
        return f"{shown} is outside the strategy period {plan.start} .. {plan.end}"
    if f.check == "group_bad":
        holdout = experiments is not None and experiments.holdout
        return f"{shown} is not a group: write treatment or control" + (
            " (or holdout)" if holdout else ""
        )
    if f.check == "holdout_unplanned":
        return (
            "the group `holdout` needs a strategy `holdout` (the share of customers held out of"
            " every play), and this strategy has none"
        )
    if f.check in ("contacted_bad", "converted_bad"):
        negative = (f.shown or "").strip().startswith("-")
        what = "a negative count" if negative else "not a whole number"
        return f"{shown} is {what}: counts are whole numbers from 0"
    if f.check == "converted_over":
        return f"{shown} converted is more than the {f.detail} contacted"
    return f"{shown} was already given in row {f.detail}"


def _describe_channel(f: Failure, channels: ChannelPlan | None) -> str:
    shown = quoted(f.shown)
    if f.check == "channel_missing":
        return "a treatment row needs the channel its customers were contacted through"
    ids = [c.id for c in channels.channels] if channels is not None else []
    if f.check == "channel_unknown":
        near = closest((f.shown or "").strip(), ids)
        listed = (
            f" (the project's channels: {', '.join(ids)})" if ids else " (the project has none)"
        )
        return f"unknown channel {shown}" + (f"; did you mean `{near[0]}`?" if near else listed)
    play, _, steps = (f.detail or "").partition("\x1f")
    through = f"steps through {steps}" if steps else "has no steps"
    return f"play `{play}` does not step through channel {shown}: it {through}"


def _describe_variant(f: Failure) -> str:
    shown = quoted(f.shown)
    play, _, arms = (f.detail or "").partition("\x1f")
    if f.check == "variant_missing":
        return f"play `{play}` has variants ({arms}): a treatment row names its arm"
    if f.check == "variant_on_group":
        return (
            f"a {f.detail} row leaves the variant empty (only treated customers get an arm),"
            f" not {shown}"
        )
    if f.check == "variant_unplanned":
        return f"play `{play}` has no variants: leave the variant empty, not {shown}"
    near = closest((f.shown or "").strip(), arms.split(", "))
    hint = f"; did you mean `{near[0]}`?" if near else f" (its variants: {arms})"
    return f"unknown variant {shown} of play `{play}`" + hint


OUTCOME_SQL = f"""
WITH rates AS (
  SELECT play, period, min(start) AS start,
         sum(contacted) FILTER (WHERE grp = 'treatment') AS nt,
         sum(converted) FILTER (WHERE grp = 'treatment') AS xt,
         sum(contacted) FILTER (WHERE grp = 'control') AS nc,
         sum(converted) FILTER (WHERE grp = 'control') AS xc
  FROM {OUTCOMES} WHERE grp IN ('treatment', 'control') GROUP BY play, period
), lifted AS (
  SELECT *, xt / nullif(nt, 0) AS pt, xc / nullif(nc, 0) AS pc FROM rates
)
SELECT play, period, nt, xt, pt, nc, xc, pc, pt - pc AS lift,
       {Z_95} * sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc) AS margin
FROM lifted ORDER BY play, start
"""


def outcome_rows(
    con: duckdb.DuckDBPyConnection, plan: Plan, experiments: ExperimentPlan | None = None
) -> tuple[PlayOutcome, ...]:
    """Per play (plan order) and period (in time order): rates, lift and its interval; for a
    play whose treatment rows name arms, each arm against control and the winner. The arms are
    the play's in `experiments` (declaration order), else those of the file (first row first)."""
    order = {play: i for i, play in enumerate(_plays(plan))}
    rows = con.execute(OUTCOME_SQL).fetchall()
    rows.sort(key=lambda r: order[r[0]])  # stable: periods stay in time order
    outcomes = tuple(_outcome(r) for r in rows)
    counts: dict[tuple[str, str], dict[str, Group]] = {}
    found: dict[str, dict[str, None]] = {}
    for play, period, arm, contacted, converted in con.execute(ARM_SQL).fetchall():
        counts.setdefault((play, period), {})[arm] = Group(arm, int(converted), int(contacted))
        found.setdefault(play, {})[arm] = None
    arms = {
        play: experiments.variants.get(play, ())
        if experiments is not None
        else tuple(PlanVariant(v, v) for v in vs)
        for play, vs in found.items()
    }
    return tuple(
        _with_arms(o, arms[o.play], counts.get((o.play, o.period), {})) if arms.get(o.play) else o
        for o in outcomes
    )


def _outcome(row: tuple[Any, ...]) -> PlayOutcome:
    play, period, nt, xt, pt, nc, xc, pc, lift, margin = row
    treatment = GroupRate(int(nt), int(xt), pt) if nt is not None else None
    control = GroupRate(int(nc), int(xc), pc) if nc is not None else None
    low = lift - margin if lift is not None and margin is not None else None
    high = lift + margin if lift is not None and margin is not None else None
    return PlayOutcome(str(play), str(period), treatment, control, lift, low, high)


# each arm's treatment rows summed per play and period; arms in the order of their first row
ARM_SQL = f"""
SELECT play, period, variant, sum(contacted), sum(converted)
FROM {OUTCOMES} WHERE grp = 'treatment' AND variant IS NOT NULL
GROUP BY play, period, variant ORDER BY min("row")
"""


def _with_arms(
    o: PlayOutcome, arms: tuple[PlanVariant, ...], counts: Mapping[str, Group]
) -> PlayOutcome:
    control = Group("control", o.control.converted, o.control.contacted) if o.control else None
    groups = [counts.get(a.id, Group(a.id, 0, 0)) for a in arms]
    tests = compare_arms(control, groups)
    variants = tuple(
        VariantOutcome(
            a.id,
            a.label,
            GroupRate(g.contacted, g.converted, lf.p1) if a.id in counts else None,
            lf.lift,
            lf.ci_low,
            lf.ci_high,
            lf.relative,
            p,
        )
        for a, g, lf, p in zip(arms, groups, tests.lifts, tests.p_adjusted, strict=True)
    )
    return dataclasses.replace(o, variants=variants, winner=_winner(tests.decision))


def p_text(p: float | None) -> str:
    """A p-value for a sentence: `p = 0.31`, `p = 0.0123`, `p < 0.001`."""
    if p is None:
        return "p unknown"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def p_at_most(p: float | None) -> str:
    """The largest of some p-values for a sentence: `p ≤ 0.0123`, `p < 0.001`."""
    return p_text(p).replace("p = ", "p ≤ ")


def _winner(d: Decision) -> Winner:
    """The decision with its English sentence (review.json's `reason`)."""
    return Winner(d.winner, _reason(d), d.reason, d.names, d.p_value, d.contacted, d.converted)


def _reason(d: Decision) -> str:
    names = [f"`{n}`" if n != "control" else n for n in d.names]
    if d.reason == "winner":
        return (
            f"{names[0]} beats control and every other arm significantly"
            f" (Holm-adjusted {p_at_most(d.p_value)})"
        )
    if d.reason == "no_control":
        return "no control group result: no arm can be compared with control"
    if d.reason == "too_small":
        return (
            f"the sample is too small: {names[0]} has {d.contacted} contacted and"
            f" {d.converted} converted (a winner needs at least {MIN_CONTACTED} contacted and"
            f" {MIN_CONVERTED} conversions in every group)"
        )
    if d.reason == "best_not_above_control":
        return f"the best arm {names[0]} does not beat control significantly ({p_text(d.p_value)})"
    if d.reason == "not_told_apart":
        return f"arms {names[0]} and {names[1]} are not told apart ({p_text(d.p_value)})"
    return "no arm beats control significantly"


PROGRAMME_SQL = f"""
SELECT period,
       sum(contacted) FILTER (WHERE grp = 'treatment'),
       sum(converted) FILTER (WHERE grp = 'treatment'),
       sum(contacted) FILTER (WHERE grp = 'holdout'),
       sum(converted) FILTER (WHERE grp = 'holdout')
FROM {OUTCOMES} GROUP BY period
HAVING count(*) FILTER (WHERE grp = 'holdout') > 0
ORDER BY min(start), min("end"), period
"""


def programme_rows(con: duckdb.DuckDBPyConnection) -> tuple[ProgrammeOutcome, ...]:
    """Per outcomes period with holdout rows (in time order): every play's treatment rows
    summed against the holdout rows summed; one pooled z-test a period, unadjusted."""
    out = []
    for period, nt, xt, nh, xh in con.execute(PROGRAMME_SQL).fetchall():
        treated = (int(xt), int(nt)) if nt is not None else (0, 0)
        held = (int(xh), int(nh))
        lf = lift(*treated, *held)
        out.append(
            ProgrammeOutcome(
                str(period),
                GroupRate(treated[1], treated[0], lf.p1) if nt is not None else None,
                GroupRate(held[1], held[0], lf.p2),
                lf.lift,
                lf.ci_low,
                lf.ci_high,
                lf.p_value,
                None if lf.p_value is None else lf.p_value < ALPHA,
            )
        )
    return tuple(out)


CHANNEL_SQL = f"""
WITH used AS (
  SELECT channel, period, min(start) AS start, min("end") AS p_end, min(kind) AS kind,
         sum(contacted) AS contacts
  FROM {OUTCOMES} WHERE grp = 'treatment' AND channel IS NOT NULL
  GROUP BY channel, period
), sized AS (
  SELECT u.*, c.ord, c.label, c.rate, c.per,
         CAST(datediff('day', u.start, u.p_end) + 1 AS DOUBLE) AS days,
         CASE u.kind WHEN 'month' THEN CAST(1 AS DOUBLE) WHEN 'quarter' THEN CAST(3 AS DOUBLE)
              WHEN 'year' THEN CAST(12 AS DOUBLE)
              ELSE CAST(1 AS DOUBLE) / dayofmonth(last_day(u.start)) END AS months
  FROM used u JOIN {CHANNELS} c ON c.id = u.channel
), capped AS (
  SELECT *, CASE per WHEN 'day' THEN rate * days WHEN 'week' THEN rate * days / 7
                     WHEN 'month' THEN rate * months END AS capacity
  FROM sized
)
SELECT channel, label, period, CAST(contacts AS BIGINT), capacity,
       contacts / nullif(capacity, 0) AS utilisation,
       coalesce(contacts > capacity, false) AS over_capacity
FROM capped ORDER BY start, p_end, period, ord
"""


def channel_rows(con: duckdb.DuckDBPyConnection) -> tuple[ChannelUse, ...]:
    """Per outcomes period (in time order) and channel (declaration order): the treatment
    contacts through the channel, its capacity for the period and the utilisation. Empty
    without a `channel` column or without the project's channels."""
    rows = con.execute(CHANNEL_SQL).fetchall()
    return tuple(
        ChannelUse(str(ch), str(label), str(period), int(n), cap, use, bool(over))
        for ch, label, period, n, cap, use, over in rows
    )
