"""Writing contact lists and `summary.json` from the assigned table (shared by every engine).

The assignment result sits in the DuckDB table `__assigned` (columns of
`backends.sql.ASSIGN_COLUMNS`), whichever engine computed it, so the files are byte-identical
across engines. Files are written into a staging folder that `run_lists` switches into place whole
(`stratlang.output.output_folder`) only when everything succeeded.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from ..backends.sql import (
    assign_columns,
    has_variants,
    inactive_plays,
    number,
    plan,
    string,
    typed_null,
)
from ..model import Model, Play, Variant
from . import timezones

if TYPE_CHECKING:
    from .data import SQLConnection

# One row per listed customer per step of the play (docs/data.md "Outputs"): what a dialler or a
# CRM imports as one task - who, which step, on which day, by which channel, with what.
LIST_COLUMNS = (
    "key",
    "segment",
    "play",
    "step",
    "day",
    "date",
    "channel",
    "script",
    "offer",
    "unless_converted",
    "control",
)
# The step's columns, from a VALUES table per play joined to the assigned customers.
STEP_COLUMNS = ("step", "day", "date", "channel", "script", "offer", "unless_converted")
# Triggers whose day is not in the customer table (the operational system sees the event or
# the customer entering the stage): their steps have no date, only their day after the trigger
# fires. A transition (`when enters segment …`, `when lifecycle becomes …`) is seen on the as-of
# day, so its steps are dated from it like a play without a trigger.
UNDATED_TRIGGERS = ("event", "lifecycle")
FORMATS = ("csv", "parquet", "xlsx")
XLSX_MAX_ROWS = 1_048_575


def list_columns(model: Model) -> tuple[str, ...]:
    """The columns of the model's lists: LIST_COLUMNS, then `variant` when some play has
    variants, then the customer's time zone and the step's send window when the project has zones
    (`engine.timezones`)."""
    return (
        LIST_COLUMNS
        + (("variant",) if has_variants(model) else ())
        + (timezones.COLUMNS if timezones.enabled(model) else ())
    )


@dataclass
class Summary:
    """What a `lists` run produced; `to_json()` is `summary.json`, `counts()` feeds `build --data`."""

    strategy: str
    engine: str
    customers: int
    segments: dict = field(default_factory=dict)  # segment id -> members
    plays: dict = field(default_factory=dict)  # play id -> {...}
    channels: dict = field(default_factory=dict)  # channel id -> {...}
    dropped_by_capacity: int = 0
    files: list = field(default_factory=list)
    as_of: str | None = None  # the day the plays' periods were read on (ISO)
    inactive: dict = field(default_factory=dict)  # play id -> why it took no part that day
    # history table id -> {file, rows, unknown_keys}: what the history aggregates read
    history: dict = field(default_factory=dict)
    # with --previous: per tiering and the lifecycle, the from x to counts (engine.transitions)
    transitions: dict = field(default_factory=dict)
    # with a strategy `holdout`: {share, seed, customers, plays: {play: n}}
    holdout: dict = field(default_factory=dict)
    # with contact limits: customers who would have got a play but for the limits (None: no limits)
    dropped_by_policy: int | None = None
    # with --contacts: what was read from the contact log (engine.governance.ContactLog)
    contacts: dict = field(default_factory=dict)
    # the project root: the history and contact-log paths are written relative to it (None: as given)
    root: Path | None = None

    def to_dict(self) -> dict:
        """summary.json's document (schema: stratlang/schemas/summary-1.json)."""
        from .. import __version__
        from ..schemas import schema_url

        return {
            "$schema": schema_url("summary"),
            "format": "stratlang-summary",
            "format_version": 1,
            "stratlang_version": __version__,
            "strategy": self.strategy,
            "engine": self.engine,
            "customers": self.customers,
            "segments": self.segments,
            "plays": self.plays,
            "channels": self.channels,
            "dropped_by_capacity": self.dropped_by_capacity,
            "as_of": self.as_of,
            "inactive": self.inactive,
            "files": self.files,
            **(
                {"history": {h: self._relocated(read) for h, read in self.history.items()}}
                if self.history
                else {}
            ),
            **({"transitions": self.transitions} if self.transitions else {}),
            **({"holdout": self.holdout} if self.holdout else {}),
            **(
                {"dropped_by_policy": self.dropped_by_policy}
                if self.dropped_by_policy is not None
                else {}
            ),
            **({"contacts": self._relocated(self.contacts)} if self.contacts else {}),
        }

    def _relocated(self, read: dict) -> dict:
        """What was read from a file (`{file or files, ...}`) with its paths relative to the
        project root (`project_paths`): summary.json does not depend on the working directory."""
        if self.root is None:
            return read
        from ..project_paths import project_path

        out = dict(read)
        if "file" in out:
            out["file"] = project_path(out["file"], self.root)
        if "files" in out:
            out["files"] = [project_path(f, self.root) for f in out["files"]]
        return out

    def to_json(self) -> str:
        d = self.to_dict()
        d.pop("engine")  # the same input gives the same file, whichever engine ran
        return json.dumps(d, ensure_ascii=False, indent=2) + "\n"

    def counts(self) -> dict:
        """Real counts for model.json and the playbook: segments -> members, plays -> listed customers."""
        return {
            "customers": self.customers,
            "segments": dict(self.segments),
            "plays": {p: v["listed"] for p, v in self.plays.items()},
            "dropped_by_capacity": self.dropped_by_capacity,
        }


def _r(x: float) -> float:
    return round(x, 2)


def summarize(
    con: SQLConnection,
    model: Model,
    engine: str,
    customers: int,
    segment_counts: dict,
    as_of: dt.date | None = None,
    dropped_by_policy: dict[str, int] | None = None,
) -> Summary:
    """The counts of `__assigned` per play and channel. Every play is listed; the ones not active
    on `as_of` (their own `period` does not contain it) have zeros and appear in `inactive`.
    Held-out customers (`held`) are counted in `holdout` only; a play with variants gets
    `variants` (treated customers listed per arm). `dropped_by_policy` (play -> customers,
    `governance.policy_counts`): given when the project has contact limits."""
    present = set(assign_columns(model))
    held = "held" in present and _has_column(con, "__assigned", "held")
    not_held = " WHERE NOT held" if held else ""
    rows = con.execute(
        "SELECT play, count(*), count_if(control), count_if(NOT control AND kept), count_if(NOT kept) "
        f"FROM __assigned{not_held} GROUP BY play"
    ).fetchall()
    stats = {r[0]: r[1:] for r in rows}
    # per (play, arm) of a play with variants: treated listed, dropped by capacity
    arms: dict[tuple[str, str], tuple[int, int]] = {}
    if "arm" in present and _has_column(con, "__assigned", "arm"):
        for play, arm, contacted, dropped in con.execute(
            "SELECT play, arm, count_if(NOT control AND kept), count_if(NOT kept) "
            f"FROM __assigned{not_held} GROUP BY play, arm"
        ).fetchall():
            arms[play, arm] = (contacted, dropped)
    s = Summary(model.strategy.label, engine, customers, dict(segment_counts))
    s.as_of = as_of.isoformat() if as_of is not None else None
    s.inactive = inactive_plays(model, as_of)
    channels: dict[str, dict] = {}
    for p in sorted(plan(model), key=lambda p: p.order):
        if p.id in s.plays:  # a play with variants: one plan per arm
            continue
        eligible, control, contacted, dropped = stats.get(p.id, (0, 0, 0, 0))
        s.plays[p.id] = {
            "segment": p.segment,
            "channel": p.channel,
            "script": p.script,
            "priority": p.priority,
            "window_days": p.days,
            "assigned": eligible,
            "control": control,
            "contacted": contacted,
            "dropped_by_capacity": dropped,
            "listed": eligible - dropped,
        }
        play = model.plays[p.id]
        if play.variants:
            s.plays[p.id]["variants"] = {
                v.id: arms.get((p.id, v.id), (0, 0))[0] for v in play.variants
            }
        if dropped_by_policy is not None:
            s.plays[p.id]["dropped_by_policy"] = dropped_by_policy.get(p.id, 0)
        s.dropped_by_capacity += dropped
    if dropped_by_policy is not None:
        s.dropped_by_policy = sum(dropped_by_policy.values())
    if held:
        s.holdout = _holdout_summary(con, model)
    for p in plan(model, as_of):  # channels in assignment order of their active plays (arms)
        if p.channel is None:
            continue
        ch = model.channels.get(p.channel)
        cap = ch.capacity.per_day if ch is not None and ch.capacity is not None else None
        c = channels.setdefault(
            p.channel,
            {
                "capacity_per_day": _r(cap) if cap is not None else None,
                "demand_per_day": 0.0,
                "contacts_per_day": 0.0,
                "contacted": 0,
                "dropped_by_capacity": 0,
                "plays": [],
            },
        )
        st = s.plays[p.id]
        contacted, dropped = (
            (st["contacted"], st["dropped_by_capacity"])
            if p.arm is None
            else arms.get((p.id, p.arm), (0, 0))
        )
        c["demand_per_day"] += (contacted + dropped) / p.days
        c["contacts_per_day"] += contacted / p.days
        c["contacted"] += contacted
        c["dropped_by_capacity"] += dropped
        if p.id not in c["plays"]:
            c["plays"].append(p.id)
    for c in channels.values():
        c["demand_per_day"] = _r(c["demand_per_day"])
        c["contacts_per_day"] = _r(c["contacts_per_day"])
    s.channels = {k: channels[k] for k in sorted(channels)}
    return s


def _has_column(con: SQLConnection, table: str, name: str) -> bool:
    return any(r[0] == name for r in con.execute(f"DESCRIBE {table}").fetchall())


def _holdout_summary(con: SQLConnection, model: Model) -> dict:
    """summary.json `holdout`: the share and seed, the held-out customers some play would have
    admitted, and how many per play (in declaration order)."""
    per = dict(
        con.execute(
            "SELECT play, count(*) FROM __assigned WHERE held AND play IS NOT NULL GROUP BY play"
        ).fetchall()
    )
    plays = sorted(model.plays.values(), key=lambda p: p.order)
    return {
        "share": model.strategy.holdout,
        "seed": model.strategy.holdout_seed,
        "customers": sum(per.values()),
        "plays": {p.id: per.get(p.id, 0) for p in plays},
    }


def _steps_table(model: Model, play: Play, as_of: dt.date | None) -> exp.Expr:
    """The play's steps as a VALUES table (STEP_COLUMNS): step number, day (whole days after the
    start: a delay in hours counts towards the day it falls on), channel, script, offers (joined
    with `+`), unless converted, and the date: in SQL, the as-of day plus the day, except for
    triggers whose day the data does not hold (UNDATED_TRIGGERS) and without an as-of day.
    A play with variants: every arm's steps and offers, with the column `arm` (the variant id)."""
    dated = as_of is not None and (
        play.trigger is None or play.trigger.kind not in UNDATED_TRIGGERS
    )
    rows = []
    for arm in play.arms():
        rows += _arm_rows(play, arm, as_of if dated else None)
    if not rows:  # a play without steps (not a checked model) still lists its customers
        rows.append(
            exp.Tuple(
                expressions=[typed_null("BIGINT"), typed_null("BIGINT"), typed_null("DATE")]
                + [typed_null("VARCHAR")] * 3
                + [typed_null("BOOLEAN")]
                + ([typed_null("VARCHAR")] if play.variants else [])
            )
        )
    columns = STEP_COLUMNS + (("arm",) if play.variants else ())
    values = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(
            this=exp.to_identifier("__steps", quoted=True),
            columns=[exp.to_identifier(c, quoted=True) for c in columns],
        ),
    )
    return values


def _arm_rows(play: Play, arm: Variant | None, as_of: dt.date | None) -> list[exp.Tuple]:
    """The step rows of one arm (the play itself when `arm` is None); dated from `as_of`."""
    rows = []
    for step, day in zip(play.steps_of(arm), play.step_days(arm)):
        whole = math.floor(day)
        date = (
            exp.Cast(
                this=exp.Add(
                    this=exp.Cast(this=string(as_of.isoformat()), to=exp.DataType.build("DATE")),
                    expression=number(whole),
                ),
                to=exp.DataType.build("DATE"),
            )
            if as_of is not None
            else typed_null("DATE")
        )
        offers = play.offers_of(step, arm)
        rows.append(
            exp.Tuple(
                expressions=[
                    exp.Cast(this=number(step.number), to=exp.DataType.build("BIGINT")),
                    exp.Cast(this=number(whole), to=exp.DataType.build("BIGINT")),
                    date,
                    string(step.channel),
                    string(step.script),
                    string("+".join(offers)) if offers else typed_null("VARCHAR"),
                    exp.Boolean(this=step.unless_converted),
                ]
                + ([string(arm.id)] if arm is not None else [])
            )
        )
    return rows


def _list_rows(model: Model, play: Play, as_of: dt.date | None) -> exp.Select:
    """The rows of a play's list, unsorted: every kept customer of the play (`__assigned`) times
    every step of the play (`_steps_table`), with the time-zone columns when the project has
    zones (`timezones.with_window`: the tables of `timezones.prepare`)."""
    assigned = ("key", "segment", "play")
    cols = [exp.column(c, table="__assigned", quoted=True) for c in assigned]
    cols += [exp.column(c, table="__steps", quoted=True) for c in STEP_COLUMNS]
    cols.append(exp.column("control", table="__assigned", quoted=True))
    if has_variants(model):  # the arm of a treated customer (control and plays without: empty)
        cols.append(exp.column("variant", table="__assigned", quoted=True))
    steps = _steps_table(model, play, as_of)
    rows = exp.select(*cols).from_("__assigned")
    if play.variants:  # each customer gets their arm's steps (control too: the arm is by hash)
        rows = rows.join(
            steps,
            on=exp.EQ(
                this=exp.column("arm", table="__steps", quoted=True),
                expression=exp.column("arm", table="__assigned", quoted=True),
            ),
            join_type="inner",
        )
    else:
        rows = rows.join(steps, join_type="cross")
    rows = rows.where(
        exp.and_(
            exp.EQ(
                this=exp.column("play_order", table="__assigned", quoted=True),
                expression=exp.Literal.number(play.order),
            ),
            exp.EQ(
                this=exp.column("play", table="__assigned", quoted=True),
                expression=string(play.id),
            ),
            exp.column("kept", table="__assigned", quoted=True),
        )
    )
    if timezones.enabled(model):
        rows = timezones.with_window(rows, model, play.order, "__assigned", "__steps")
    return rows


def _sorted(
    inner: exp.Select, columns: list[exp.Expr], order: tuple[str, ...] = ("key", "step")
) -> str:
    """SELECT columns FROM (inner) sorted by the raw key, then the step (or by `order`)."""
    sel = exp.select(*columns).from_(
        exp.Subquery(
            this=inner, alias=exp.TableAlias(this=exp.to_identifier("__list", quoted=True))
        )
    )
    sel = sel.order_by(*(exp.column(c, table="__list", quoted=True) for c in order))
    return sel.sql(dialect="duckdb")


def _select_play(model: Model, play: Play, as_of: dt.date | None) -> str:
    return _sorted(
        _list_rows(model, play, as_of), [exp.column(c, quoted=True) for c in list_columns(model)]
    )


def write_lists(
    con: SQLConnection,
    model: Model,
    summary: Summary,
    folder: Path,
    fmt: str,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Write one file per play plus summary.json into `folder`, a fresh staging folder that the
    caller switches into place whole (`stratlang.output.output_folder`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}")
    folder = Path(folder)
    as_of = dt.date.fromisoformat(summary.as_of) if summary.as_of else None
    plays = sorted(model.plays.values(), key=lambda p: p.order)
    columns = list_columns(model)
    if timezones.enabled(model):
        timezones.prepare(con, model, [_steps_table(model, p, as_of) for p in plays])
    for p in plays:
        name = f"{p.id}.{fmt}"
        target = folder / name
        query = _select_play(model, p, as_of)
        if fmt == "csv":
            con.execute(
                f"COPY ({_csv_query(con, _list_rows(model, p, as_of), columns)}) TO "
                f"{string(str(target)).sql('duckdb')} (FORMAT csv, HEADER true)"
            )
        elif fmt == "parquet":
            con.execute(f"COPY ({query}) TO {string(str(target)).sql('duckdb')} (FORMAT parquet)")
        else:
            _write_xlsx(con, query, target, p.id, columns)
        summary.files.append(name)
        if progress:
            progress(f"wrote {name}")
    if "held" in assign_columns(model):
        from .governance import write_holdout

        summary.files.append(write_holdout(con, model, folder, fmt))
    summary.files.append("summary.json")
    (folder / "summary.json").write_text(summary.to_json(), encoding="utf-8")


# OWASP "CSV injection": a cell starting with one of these is taken as a formula by spreadsheets
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# ... and a value starting with the quote itself gets one too, so a reader can always undo it:
# a value that starts with `'` has had exactly one `'` added
CSV_QUOTED_PREFIXES = FORMULA_PREFIXES + ("'",)


def _csv_query(
    con,
    rows: exp.Select,
    columns: tuple[str, ...] = LIST_COLUMNS,
    order: tuple[str, ...] = ("key", "step"),
) -> str:
    """A play's list query for CSV, with every text value that starts like a formula
    (FORMULA_PREFIXES) or with `'` prefixed with `'`, as OWASP recommends. Done in the SQL of the
    COPY (no pass over the rows in Python); numbers (an int key `-5`) and dates are not text and
    stay as they are; rows stay sorted by the raw key. Parquet lists are written raw."""
    described = con.execute(f"DESCRIBE {rows.sql(dialect='duckdb')}").fetchall()
    types = {name: typ for name, typ, *_ in described}
    cols: list[exp.Expr] = []
    for name in columns:
        raw = exp.column(name, table="__list", quoted=True)
        if types.get(name) != "VARCHAR":
            cols.append(raw)
            continue
        first = exp.Substring(
            this=raw.copy(), start=exp.Literal.number(1), length=exp.Literal.number(1)
        )
        formula = exp.In(this=first, expressions=[string(p) for p in CSV_QUOTED_PREFIXES])
        quoted = exp.Case(
            ifs=[
                exp.If(
                    this=formula,
                    true=exp.DPipe(this=string("'"), expression=raw.copy(), safe=True),
                )
            ],
            default=raw.copy(),
        )
        cols.append(exp.alias_(quoted, name, quoted=True))
    return _sorted(rows, cols, order)


def _write_xlsx(
    con, query: str, target: Path, play_id: str, columns: tuple[str, ...] = LIST_COLUMNS
) -> None:
    from openpyxl import Workbook

    from .data import DataError

    # openpyxl refuses ASCII control characters other than tab and line breaks (ILLEGAL_CHARACTERS_RE)
    n, bad = con.execute(
        f"SELECT count(*), min(CAST(key AS VARCHAR)) FILTER (WHERE regexp_matches("
        f"CAST(key AS VARCHAR), '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]')) FROM ({query})"
    ).fetchone()
    if n > XLSX_MAX_ROWS:
        raise DataError(
            f"play `{play_id}` lists {n} customers, more than an Excel sheet holds ({XLSX_MAX_ROWS})",
            help="use --format csv or parquet",
        )
    if bad is not None:
        shown = bad.encode("unicode_escape").decode("ascii")
        raise DataError(
            f"play `{play_id}`: key `{shown}` contains a control character, which an Excel sheet "
            "cannot store",
            help="use --format csv or parquet (or clean the key)",
        )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="list")
    ws.append(list(columns))
    key = columns.index("key")
    cur = con.execute(query)
    while True:
        batch = cur.fetchmany(10000)
        if not batch:
            break
        for row in batch:
            ws.append([_xlsx_safe(ws, v, text=i == key) for i, v in enumerate(row)])
    wb.save(target)


_OOXML_ESCAPED = re.compile(r"(_x[0-9A-Fa-f]{4}_)")


def _xlsx_safe(ws, v, text: bool = False):
    """A value for an Excel list, unaltered. openpyxl makes a string starting with `=` a formula
    and `#N/A` an error value: such strings become explicit text cells. The key (`text`) is always
    a text cell with the text number format `@`, so Excel neither evaluates `+86…` nor rounds a
    19-digit key to 15 digits. CR and a literal `_xHHHH_` are written in OOXML's escaped form,
    which Excel reads back as the original text."""
    from openpyxl.cell import WriteOnlyCell

    if text and v is not None and not isinstance(v, str):
        v = str(v)
    if not isinstance(v, str):
        return v
    if (
        "_x" in v or "\r" in v
    ):  # OOXML escapes (what Excel decodes): XML itself would turn CR into LF
        v = _OOXML_ESCAPED.sub(r"_x005F\1", v).replace("\r", "_x000D_")
    if not (text or v.startswith(("=", "#"))):
        return v
    cell = WriteOnlyCell(ws, value=v)
    cell.data_type = "s"
    if text:
        cell.number_format = "@"
    return cell
