"""What a change means on data: each segment's members under both models and how many
customers move from play to play. Both models' assignment queries run in one DuckDB over the
same file; the matrix is a GROUP BY of their join (no Python loop over rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..model import Model

NONE = ""  # the matrix's name for "no play"


def compare(
    old: Model,
    new: Model,
    data: Path,
    as_of: dt.date | None = None,
    history: Mapping[str, Path] | None = None,
    previous: Path | None = None,
) -> dict[str, Any]:
    """{customers, segments: {id: {old, new}}, moves: [{from, to, customers}], moved}.

    A segment missing on one side has None there. `moves` holds every (old play, new play) pair
    with customers, "" for no play; `moved` counts the customers whose play differs. `history`
    and `previous` are read as `lists --history/--previous` read them, by each side that uses
    them. Raises DataError."""
    from ..backends.sql import CompileError
    from ..engine import duckdb as ddb
    from ..engine.data import DataError

    day = as_of or dt.date.today()
    history = dict(history or {})
    unknown = sorted(set(history) - set(old.histories) - set(new.histories))
    if unknown:
        raise DataError(
            f"--history names `{unknown[0]}`, which is a history table of neither project",
            help="history tables: "
            + (", ".join(f"`{h}`" for h in sorted({*old.histories, *new.histories})) or "none"),
        )
    con = ddb.connect()
    try:
        try:
            old_t, old_counts = _side(con, old, data, "old", day, history, previous)
            new_t, new_counts = _side(con, new, data, "new", day, history, previous)
            customers = con.execute("SELECT count(*) FROM __diff_new").fetchone()[0]
            rows = con.execute(
                f"SELECT coalesce(o.play, ''), coalesce(n.play, ''), count(*) "
                f"FROM __diff_new c "
                f"LEFT JOIN {old_t} o ON o.key = CAST(c.{_key(new)} AS VARCHAR) "
                f"LEFT JOIN {new_t} n ON n.key = CAST(c.{_key(new)} AS VARCHAR) "
                "GROUP BY ALL ORDER BY 1, 2"
            ).fetchall()
        except CompileError as e:
            raise DataError(str(e)) from None
    finally:
        con.close()
    segments = {
        sid: {"old": old_counts.get(sid), "new": new_counts.get(sid)}
        for sid in sorted(old_counts.keys() | new_counts.keys())
    }
    moves = [{"from": a, "to": b, "customers": n} for a, b, n in rows]
    return {
        "customers": customers,
        "as_of": day.isoformat(),
        "segments": segments,
        "moves": moves,
        "moved": sum(m["customers"] for m in moves if m["from"] != m["to"]),
    }


def _key(model: Model) -> str:
    assert model.schema is not None and model.schema.key is not None
    return f'"{model.schema.key}"'


def _side(
    con: Any,
    model: Model,
    data: Path,
    name: str,
    day: dt.date,
    history: Mapping[str, Path],
    previous: Path | None,
) -> tuple[str, dict]:
    """Read the data under this model's schema into `__diff_NAME`, count its segments and create
    `__diff_NAME_plays` (key, play) from its assignment query."""
    from ..backends.sql import assignment_query
    from ..engine import duckdb as ddb
    from ..engine import history as hist
    from ..engine import transitions as trans
    from ..engine.data import DataError, check_and_type, open_source

    if model.schema is None or model.schema.key is None:
        raise DataError(
            f"the {name} project declares no schema with a key field, so there is nothing to read "
            "data into"
        )
    table = f"__diff_{name}"
    src = open_source(con, data, model.schema)
    # distinct views per side: the old side's table must survive reading the file again
    src.view, src.copy = f"__src_{name}", f"__data_{name}"
    check_and_type(con, src, model.schema, table)
    files = hist.find_files(model, data, {h: f for h, f in history.items() if h in model.histories})
    if files:
        hist.load(con, model, files, customers=table)
        enriched = hist.enrich(con, model, day, customers=table)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_e AS SELECT * FROM {enriched}")
        table = f"{table}_e"
    counts = ddb.segment_counts_sql(con, model, table)[1]
    plays = f"__diff_{name}_plays"
    assigned = trans.run_duckdb(con, model, table, previous)
    q = assignment_query(model, assigned, "duckdb", day)
    if q is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {plays} (key VARCHAR, play VARCHAR)")
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {plays} AS SELECT CAST(key AS VARCHAR) AS key, play "
            f"FROM ({q.sql(dialect='duckdb')}) WHERE play IS NOT NULL"
        )
    return plays, dict(counts)
