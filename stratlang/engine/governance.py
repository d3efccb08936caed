"""Contact governance on data: the contact log (`lists --contacts FILE`) and the holdout file.

The contact log is one or more CSV or Parquet files with at least the columns `key`, `channel`
and `date` (earlier lists' files are contact logs as they are), or folders of earlier lists
(`log_files`: every list file in them, not `holdout` or `transitions`). A CSV list writes a key that
starts like a formula with one `'` before it (`engine.output.CSV_QUOTED_PREFIXES`); the log reads
it back without it, so a wave's lists fed to the next wave name the same customers. It is read and checked like the customer
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
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from ..backends.sql import CONTACT_COLUMNS, ident, string
from ..model import Field, Model, Schema
from .data import DataError, check_and_type, open_source
from .output import CSV_QUOTED_PREFIXES

if TYPE_CHECKING:
    from .data import SQLConnection

CONTACTS = "__contacts"
_LOG = "__contact_log"
HOLDOUT_COLUMNS = ("key", "play")
# In a folder of earlier lists: the files that are lists (not the holdout or the transitions)
LOG_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
NOT_LISTS = ("holdout", "transitions")

ContactsArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def contact_paths(contacts: ContactsArg) -> tuple[Path, ...]:
    """`contacts` as given to `run_lists` (one path, several, or None) as a tuple of paths."""
    if contacts is None:
        return ()
    if isinstance(contacts, (str, os.PathLike)):
        return (Path(contacts),)
    return tuple(Path(c) for c in contacts)


def log_files(paths: Sequence[Path]) -> list[Path]:
    """The files of a contact log: each path a file, or a folder of earlier lists, whose list
    files (CSV or Parquet, sorted by name; not `holdout` or `transitions`) are read."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted(
            f
            for f in path.iterdir()
            if f.is_file()
            and f.name.lower().endswith(LOG_SUFFIXES)
            and f.name.split(".")[0] not in NOT_LISTS
        )
        if not found:
            raise DataError(
                f"contact log: {path} is a folder without list files (CSV or Parquet)",
                help="give earlier lists written with --format csv or parquet, or the files",
            )
        out += found
    return out


@dataclass
class ContactLog:
    """What a run read from the contact log (summary.json `contacts`)."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    contacts: int = 0  # rows that are contacts: a date and not control
    unknown_keys: int = 0  # rows whose key is no customer's (left out)
    example_key: str | None = None

    def to_dict(self) -> dict:
        where = {"file": self.files[0]} if len(self.files) == 1 else {"files": self.files}
        out: dict = {
            **where,
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


def load(
    con: SQLConnection, model: Model, paths: Sequence[Path], customers: str = "customers"
) -> ContactLog:
    """Read and check the contact log's files into CONTACTS; count rows of unknown customers."""
    if not model.channels:
        raise DataError(
            "a contact log needs channels: the project declares none",
            help="declare the channels the log names, or leave --contacts out",
        )
    if model.schema is None or model.schema.key is None:
        raise DataError("the project declares no schema with a key field")
    log = ContactLog()
    for n, path in enumerate(log_files(paths)):
        _load_file(con, model, path, customers, log, first=n == 0)
    row = con.execute(f"SELECT count(*) FROM {CONTACTS}").fetchone()
    assert row is not None  # an aggregate without GROUP BY: one row
    log.contacts = int(row[0])
    assert tuple(CONTACT_COLUMNS) == ("key", "channel", "date")
    return log


def _unguarded_key(src_kind: str, schema: Schema) -> str:
    """The log's key as SQL: a CSV list's formula guard undone (one `'` before a value that
    starts like a formula, or with `'`), else the key as it is."""
    if src_kind != "csv" or schema.fields["key"].type != "string":
        return "key"
    guarded = ", ".join(string(p).sql("duckdb") for p in CSV_QUOTED_PREFIXES)
    return (
        f"CASE WHEN substr(key, 1, 1) = '''' AND substr(key, 2, 1) IN ({guarded}) "
        "THEN substr(key, 2) ELSE key END"
    )


def _load_file(
    con: SQLConnection, model: Model, path: Path, customers: str, log: ContactLog, first: bool
) -> None:
    """One file of the log: checked (errors name the file), its contacts added to CONTACTS."""
    assert model.schema is not None and model.schema.key is not None
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
    logged = _unguarded_key(src.kind, schema)
    control = " AND NOT coalesce(control, false)" if "control" in schema.fields else ""
    verb = f"CREATE OR REPLACE TEMP TABLE {CONTACTS} AS" if first else f"INSERT INTO {CONTACTS}"
    con.execute(
        f"{verb} SELECT {logged} AS key, CAST(channel AS VARCHAR) AS channel, date "
        f"FROM {_LOG} WHERE date IS NOT NULL{control}"
    )
    got = con.execute(
        f"SELECT count(*), min(CAST(l.k AS VARCHAR)) FROM (SELECT {logged} AS k FROM {_LOG}) AS l "
        f"WHERE NOT EXISTS (SELECT 1 FROM {ident(customers).sql('duckdb')} AS c "
        f"WHERE c.{key} = l.k)"
    ).fetchone()
    assert got is not None  # aggregates without GROUP BY: one row
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [_LOG]
    ).fetchone()
    con.execute(f"DROP {'VIEW' if kind == ('VIEW',) else 'TABLE'} IF EXISTS {_LOG}")
    log.files.append(str(path))
    log.rows += rows
    log.unknown_keys += int(got[0])
    if got[0] and log.example_key is None:
        log.example_key = got[1]


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
