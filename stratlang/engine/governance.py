"""Contact governance on data: the contact log (`lists --contacts FILE`) and the holdout file.

The contact log is a CSV or Parquet file with at least the columns `key`, `channel` and `date`
(earlier lists' files are contact logs as they are). It is read and checked like the customer
table (`engine.data`): missing columns, bad dates and bools by row and column; a channel that is
not a channel id of the project is refused by row and column with the closest id; nothing is
written. Rows whose `control` is TRUE (the control group was not contacted) and rows without a
date (undated steps) are not contacts; rows whose key is no customer's are counted and reported,
not refused (a log often runs ahead of the customer extract). The contacts go into the table
CONTACTS (`backends.sql.CONTACT_COLUMNS`), which the assignment's limit check reads
(`backends.sql.fits_query`), on DuckDB or, handed over, on Spark.

Held-out customers (`holdout` on the strategy) are written to `holdout.csv` (or .parquet / .xlsx
as the lists): the key and the play each would have got, sorted by key.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from ..backends.sql import CONTACT_COLUMNS, ident, string
from ..model import Field, Model, Schema
from .data import DataError, check_and_type, open_source

if TYPE_CHECKING:
    from .data import SQLConnection

CONTACTS = "__contacts"
_LOG = "__contact_log"
HOLDOUT_COLUMNS = ("key", "play")


@dataclass
class ContactLog:
    """What a run read from the contact log (summary.json `contacts`)."""

    path: str
    rows: int
    contacts: int  # rows that are contacts: a date and not control
    unknown_keys: int  # rows whose key is no customer's (left out)
    example_key: str | None = None

    def to_dict(self) -> dict:
        out: dict = {
            "file": self.path,
            "rows": self.rows,
            "contacts": self.contacts,
            "unknown_keys": self.unknown_keys,
        }
        if self.example_key is not None:
            out["example_unknown_key"] = self.example_key
        return out


def _log_schema(model: Model, columns: dict) -> Schema:
    """The contact log as a table for the data checks: the key typed as the customers' key, the
    channel one of the project's channel ids (an enum: refused by row and column otherwise), an
    optional date and, when the file has one, an optional bool `control`."""
    assert model.schema is not None and model.schema.key is not None
    key_type = model.schema.fields[model.schema.key].type
    fields = {
        "key": Field("key", "string" if key_type == "enum" else key_type),
        "channel": Field("channel", "enum", tuple(model.channels)),
        "date": Field("date", "date", optional=True),
    }
    if "control" in columns:
        fields["control"] = Field("control", "bool", optional=True)
    return Schema("contacts", "contact log", fields, None, None)


_NOT_A_CHANNEL = re.compile(
    r"^column `channel`: `(?P<value>.*)` in row (?P<row>\d+) is not a value of enum\(.*\)"
    r"(?P<more> \(\d+ rows in all\))?$",
    re.DOTALL,
)


def _channel_problem(model: Model, problem: str) -> str:
    """The enum check's words for an unknown channel, as a channel's: with the closest id."""
    m = _NOT_A_CHANNEL.match(problem)
    if m is None:
        return problem
    close = difflib.get_close_matches(m["value"], list(model.channels), n=1, cutoff=0.0)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    return (
        f"column `channel`: `{m['value']}` in row {m['row']} is not a channel id of the project"
        f"{m['more'] or ''}{hint}"
    )


def load(con: SQLConnection, model: Model, path: Path, customers: str = "customers") -> ContactLog:
    """Read and check the contact log into CONTACTS; count rows of unknown customers."""
    if not model.channels:
        raise DataError(
            "a contact log needs channels: the project declares none",
            help="declare the channels the log names, or leave --contacts out",
        )
    if model.schema is None or model.schema.key is None:
        raise DataError("the project declares no schema with a key field")
    path = Path(path)
    try:
        src = open_source(con, path, Schema("contacts", "contact log", {}, None, None))
        src.view, src.copy = "__src_contacts", "__data_contacts"
        schema = _log_schema(model, src.columns)
        rows = check_and_type(con, src, schema, _LOG)
    except DataError as e:  # say which file: the customer data's errors do not need to
        problems = [_channel_problem(model, p) for p in e.problems]
        message = problems[0] if len(problems) == 1 else str(e)
        raise DataError(
            f"contact log ({path}): {message}", help=e.help, problems=problems
        ) from None
    key = ident(model.schema.key).sql("duckdb")
    control = " AND NOT coalesce(control, false)" if "control" in schema.fields else ""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CONTACTS} AS SELECT key, CAST(channel AS VARCHAR) AS "
        f"channel, date FROM {_LOG} WHERE date IS NOT NULL{control}"
    )
    got = con.execute(
        f"SELECT (SELECT count(*) FROM {CONTACTS}), count(*), min(CAST(l.key AS VARCHAR)) "
        f"FROM {_LOG} AS l WHERE NOT EXISTS (SELECT 1 FROM {ident(customers).sql('duckdb')} AS c "
        f"WHERE c.{key} = l.key)"
    ).fetchone()
    assert got is not None  # aggregates without GROUP BY: one row
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [_LOG]
    ).fetchone()
    con.execute(f"DROP {'VIEW' if kind == ('VIEW',) else 'TABLE'} IF EXISTS {_LOG}")
    assert tuple(CONTACT_COLUMNS) == ("key", "channel", "date")
    return ContactLog(str(path), rows, int(got[0]), int(got[1]), got[2] if got[1] else None)


def policy_counts(con: SQLConnection, model: Model) -> dict[str, int] | None:
    """Play -> customers of the contact log who would have got it but for the limits, held-out
    customers left out (`__assigned.policy_from`; {} without a log); None without limits."""
    from .output import _has_column

    if not model.limits():
        return None
    if not _has_column(con, "__assigned", "policy_from"):
        return {}
    held = " AND NOT held" if _has_column(con, "__assigned", "held") else ""
    rows = con.execute(
        "SELECT policy_from, count(*) FROM __assigned WHERE policy_from IS NOT NULL"
        f"{held} GROUP BY policy_from"
    ).fetchall()
    return {play: int(n) for play, n in rows}


def write_holdout(con: SQLConnection, model: Model, folder: Path, fmt: str) -> str:
    """Write the held-out customers (key, the play they would have got) as holdout.FMT."""
    from .output import _csv_query, _sorted, _write_xlsx

    name = f"holdout.{fmt}"
    target = folder / name
    rows = (
        exp.select(*(exp.column(c, table="__assigned", quoted=True) for c in HOLDOUT_COLUMNS))
        .from_("__assigned")
        .where(
            exp.and_(
                exp.column("held", table="__assigned", quoted=True),
                exp.Not(
                    this=exp.Is(
                        this=exp.column("play", table="__assigned", quoted=True),
                        expression=exp.Null(),
                    )
                ),
            )
        )
    )
    order = ("key", "play")
    if fmt == "csv":
        query = _csv_query(con, rows, HOLDOUT_COLUMNS, order)
        con.execute(
            f"COPY ({query}) TO {string(str(target)).sql('duckdb')} (FORMAT csv, HEADER true)"
        )
        return name
    query = _sorted(rows, [exp.column(c, quoted=True) for c in HOLDOUT_COLUMNS], order)
    if fmt == "parquet":
        con.execute(f"COPY ({query}) TO {string(str(target)).sql('duckdb')} (FORMAT parquet)")
    else:
        _write_xlsx(con, query, target, "holdout", HOLDOUT_COLUMNS)
    return name
