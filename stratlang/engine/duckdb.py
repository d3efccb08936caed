"""The embedded DuckDB engine: check the data, count segments, assign plays, all in SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..backends.sql import assignment_query, counts_query
from ..model import Model
from .data import DataError, Source, prepare


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    return con


def segment_counts_sql(con, model: Model, table: str = "customers") -> tuple[int, dict]:
    row = con.execute(counts_query(model, table).sql(dialect="duckdb")).fetchone()
    return row[0], {sid: row[1 + i] for i, sid in enumerate(model.segments)}


def assign(con, model: Model, table: str = "customers") -> None:
    """Create the table `__assigned` with the assignment result."""
    q = assignment_query(model, table, "duckdb")
    if q is None:
        con.execute("CREATE OR REPLACE TEMP TABLE __assigned (key VARCHAR, segment VARCHAR, play VARCHAR, "
                    "channel VARCHAR, script VARCHAR, control BOOLEAN, kept BOOLEAN, priority BIGINT, "
                    "play_order BIGINT)")
        return
    # kept rows first, sorted by play: each play's file then reads a few row groups (zonemaps), not all
    con.execute(f"CREATE OR REPLACE TEMP TABLE __assigned AS SELECT * FROM ({q.sql(dialect='duckdb')}) "
                "ORDER BY play_order")


def count_exprs(model: Model) -> list:
    """count_if per segment (three-valued rule: NULL is not counted, as FALSE)."""
    from sqlglot import exp

    from ..backends.sql import CompileError, compile_rule
    from ..check.types import typed_rule

    out = []
    for sid in model.segments:
        rule = typed_rule(model, sid)
        if rule is None:
            raise CompileError(f"the rule of segment `{sid}` does not type-check")
        out.append(exp.CountIf(this=compile_rule(rule, model.schema)))
    return out


def load(con, model: Model, data_path: Path, with_counts: bool = False) -> Source:
    """Read and check the data; with_counts: also count segments in the check's scan when possible."""
    try:
        extra = count_exprs(model) if with_counts and model.schema is not None else None
        return prepare(con, Path(data_path), model.schema, extra=extra)
    except duckdb.Error as e:  # pragma: no cover - prepare converts the expected ones
        raise DataError(f"cannot read {data_path}: {e}") from None
