"""History tables on data: found, read, checked and joined to the customers as aggregates.

When the rules read history aggregates (`Schema.derived`), each history table they use is read
from its file — given as `--history NAME=PATH`, else the file named after the table beside the
customer data (`txn.csv`, `txn.csv.gz`, `txn.parquet`, `txn.pq`) — and checked like the customer
table (`engine.data`: missing columns, empty keys and times, bad dates and numbers by row and
column, nothing written). Rows whose key is no customer's are counted and reported, not refused:
a history extract often runs ahead of the customer extract. Then the customer table with one
column per aggregate (`backends.history_sql.enriched_query`, as of the run's day) is made once;
segment counts and the assignment read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from ..backends.history_sql import enriched_query
from ..backends.sql import compile_rule, ident
from ..model import Model, Schema
from .data import DataError, check_and_type, open_source

if TYPE_CHECKING:
    from .data import SQLConnection

ENRICHED = "__customers_history"
SUFFIXES = (".csv", ".csv.gz", ".tsv", ".parquet", ".pq")


def table_name(history_id: str) -> str:
    return f"__history_{history_id}"


@dataclass
class HistoryStats:
    """What a run read from one history table (summary.json `history`)."""

    path: str
    rows: int
    unknown_keys: int  # rows whose key is no customer's (left out)
    example_key: str | None = None

    def to_dict(self) -> dict:
        out: dict = {"file": self.path, "rows": self.rows, "unknown_keys": self.unknown_keys}
        if self.example_key is not None:
            out["example_unknown_key"] = self.example_key
        return out


def used_histories(model: Model) -> list[str]:
    """The history tables the rules read, in declaration order."""
    if model.schema is None:
        return []
    used = {f.aggregate.table for f in model.schema.derived.values() if f.aggregate is not None}
    return [h for h in model.histories if h in used]


def find_files(model: Model, data_path: Path, given: Mapping[str, Path]) -> dict[str, Path]:
    """Each used history table's file (DataError naming what was looked for when one is missing)."""
    unknown = sorted(set(given) - set(model.histories))
    if unknown:
        raise DataError(
            f"--history names `{unknown[0]}`, which is not a history table of the project",
            help="history tables: " + (", ".join(f"`{h}`" for h in model.histories) or "none"),
        )
    found: dict[str, Path] = {}
    for h in used_histories(model):
        if h in given:
            path = Path(given[h])
            if not path.is_file():
                raise DataError(f"history file for `{h}` not found: {path}")
            found[h] = path
            continue
        candidates = [data_path.parent / f"{h}{s}" for s in SUFFIXES]
        hit = next((c for c in candidates if c.is_file()), None)
        if hit is None:
            raise DataError(
                f"the rules read history table `{h}`, but no file holds it",
                help=f"give it with `--history {h}=FILE`, or put `{h}.csv` (or .csv.gz, .parquet) "
                f"beside {data_path.name}",
            )
        found[h] = hit
    return found


def _schema_of(model: Model, history_id: str) -> Schema:
    """The history as a table for the data checks: no unique key (a customer has many rows)."""
    h = model.histories[history_id]
    return Schema(h.id, h.label, h.fields, None, None)


def load(
    con: SQLConnection, model: Model, files: Mapping[str, Path], customers: str = "customers"
) -> dict[str, HistoryStats]:
    """Read and check each history file into its table; count rows of unknown customers."""
    assert model.schema is not None and model.schema.key is not None
    stats: dict[str, HistoryStats] = {}
    for h, path in files.items():
        table = table_name(h)
        try:
            src = open_source(con, path, _schema_of(model, h))
            src.view, src.copy = f"__src{table}", f"__data{table}"
            rows = check_and_type(con, src, _schema_of(model, h), table)
        except DataError as e:  # say which file: the customer data's errors do not need to
            raise DataError(
                f"history `{h}` ({path}): {e}", help=e.help, problems=e.problems
            ) from None
        hist = model.histories[h]
        assert hist.key is not None
        hk = exp.column(hist.key, table="h", quoted=True)
        ck = exp.column(model.schema.key, table="c", quoted=True)
        missing = (
            exp.select(
                exp.Count(this=exp.Star()),
                exp.Min(this=exp.Cast(this=hk.copy(), to=exp.DataType.build("VARCHAR"))),
            )
            .from_(exp.alias_(exp.Table(this=ident(table)), "h", quoted=True))
            .where(
                exp.Not(
                    this=exp.Exists(
                        this=exp.select(exp.Literal.number(1))
                        .from_(exp.alias_(exp.Table(this=ident(customers)), "c", quoted=True))
                        .where(exp.EQ(this=ck, expression=hk.copy()))
                    )
                )
            )
        )
        got = con.execute(missing.sql(dialect="duckdb")).fetchone()
        assert got is not None  # an aggregate without GROUP BY
        stats[h] = HistoryStats(str(path), rows, int(got[0]), got[1] if got[0] else None)
    return stats


def enriched_sql(model: Model, as_of: dt.date, dialect: str, customers: str = "customers") -> str:
    tables = {h: table_name(h) for h in used_histories(model)}
    return enriched_query(model, customers, tables, as_of, compile_rule).sql(dialect=dialect)


def enrich(con: SQLConnection, model: Model, as_of: dt.date, customers: str = "customers") -> str:
    """Create the customer table with its aggregates (DuckDB); returns its name."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ENRICHED} AS {enriched_sql(model, as_of, 'duckdb', customers)}"
    )
    return ENRICHED
