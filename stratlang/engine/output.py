"""Writing contact lists and `summary.json` from the assigned table (shared by every engine).

The assignment result sits in the DuckDB table `__assigned` (columns of
`backends.sql.ASSIGN_COLUMNS`), whichever engine computed it, so the files are byte-identical
across engines. Files are written into a staging folder that `run_lists` switches into place whole
(`stratlang.output.output_folder`) only when everything succeeded.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from ..backends.sql import inactive_plays, plan, string
from ..model import Model

if TYPE_CHECKING:
    from .data import SQLConnection

LIST_COLUMNS = ("key", "segment", "play", "channel", "script", "control")
FORMATS = ("csv", "parquet", "xlsx")
XLSX_MAX_ROWS = 1_048_575


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

    def to_dict(self) -> dict:
        return {
            "format_version": 1,
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
        }

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
) -> Summary:
    """The counts of `__assigned` per play and channel. Every play is listed; the ones not active
    on `as_of` (their own `period` does not contain it) have zeros and appear in `inactive`."""
    rows = con.execute(
        "SELECT play, count(*), count_if(control), count_if(NOT control AND kept), count_if(NOT kept) "
        "FROM __assigned GROUP BY play"
    ).fetchall()
    stats = {r[0]: r[1:] for r in rows}
    s = Summary(model.strategy.label, engine, customers, dict(segment_counts))
    s.as_of = as_of.isoformat() if as_of is not None else None
    s.inactive = inactive_plays(model, as_of)
    channels: dict[str, dict] = {}
    for p in sorted(plan(model), key=lambda p: p.order):
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
        s.dropped_by_capacity += dropped
    for p in plan(model, as_of):  # channels in assignment order of their active plays
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
        c["demand_per_day"] += (st["contacted"] + st["dropped_by_capacity"]) / p.days
        c["contacts_per_day"] += st["contacted"] / p.days
        c["contacted"] += st["contacted"]
        c["dropped_by_capacity"] += st["dropped_by_capacity"]
        c["plays"].append(p.id)
    for c in channels.values():
        c["demand_per_day"] = _r(c["demand_per_day"])
        c["contacts_per_day"] = _r(c["contacts_per_day"])
    s.channels = {k: channels[k] for k in sorted(channels)}
    return s


def _select_play(play_id: str, order: int) -> str:
    sel = (
        exp.select(*[exp.column(c, quoted=True) for c in LIST_COLUMNS])
        .from_("__assigned")
        .where(
            exp.and_(
                exp.EQ(
                    this=exp.column("play_order", quoted=True), expression=exp.Literal.number(order)
                ),
                exp.EQ(this=exp.column("play", quoted=True), expression=string(play_id)),
                exp.column("kept", quoted=True),
            )
        )
        .order_by(exp.column("key", quoted=True))
    )
    return sel.sql(dialect="duckdb")


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
    for p in sorted(model.plays.values(), key=lambda p: p.order):
        name = f"{p.id}.{fmt}"
        target = folder / name
        query = _select_play(p.id, p.order)
        if fmt == "csv":
            con.execute(
                f"COPY ({_csv_query(con, query)}) TO {string(str(target)).sql('duckdb')} "
                "(FORMAT csv, HEADER true)"
            )
        elif fmt == "parquet":
            con.execute(f"COPY ({query}) TO {string(str(target)).sql('duckdb')} (FORMAT parquet)")
        else:
            _write_xlsx(con, query, target, p.id)
        summary.files.append(name)
        if progress:
            progress(f"wrote {name}")
    summary.files.append("summary.json")
    (folder / "summary.json").write_text(summary.to_json(), encoding="utf-8")


# OWASP "CSV injection": a cell starting with one of these is taken as a formula by spreadsheets
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# ... and a value starting with the quote itself gets one too, so a reader can always undo it:
# a value that starts with `'` has had exactly one `'` added
CSV_QUOTED_PREFIXES = FORMULA_PREFIXES + ("'",)


def _csv_query(con, query: str) -> str:
    """The play's query for a CSV list, with every text value that starts like a formula
    (FORMULA_PREFIXES) or with `'` prefixed with `'`, as OWASP recommends. Done in the SQL of the
    COPY (no pass over the rows in Python); numbers (an int key `-5`) are not text and stay as they
    are; rows stay sorted by the raw key. Parquet lists are written raw."""
    import sqlglot

    types = dict(
        con.execute("SELECT column_name, column_type FROM (DESCRIBE __assigned)").fetchall()
    )
    sel = sqlglot.parse_one(query, read="duckdb")
    cols = []
    for c in sel.expressions:
        if types.get(c.name) == "VARCHAR":
            raw = exp.column(c.name, table="__assigned", quoted=True)
            first = exp.Substring(
                this=raw.copy(), start=exp.Literal.number(1), length=exp.Literal.number(1)
            )
            formula = exp.In(this=first, expressions=[string(p) for p in CSV_QUOTED_PREFIXES])
            c = exp.alias_(
                exp.Case(
                    ifs=[
                        exp.If(
                            this=formula,
                            true=exp.DPipe(this=string("'"), expression=raw.copy(), safe=True),
                        )
                    ],
                    default=raw.copy(),
                ),
                c.name,
                quoted=True,
            )
        cols.append(c)
    sel.set("expressions", cols)
    for o in sel.args["order"].expressions:  # by the raw column, not the output's alias
        o.set("this", exp.column(o.this.name, table="__assigned", quoted=True))
    return sel.sql(dialect="duckdb")


def _write_xlsx(con, query: str, target: Path, play_id: str) -> None:
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
    ws.append(list(LIST_COLUMNS))
    key = LIST_COLUMNS.index("key")
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
