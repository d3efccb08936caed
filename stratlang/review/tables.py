"""The plan as small DuckDB tables, and reading a user's file into a raw table.

Plan tables: `__review_measures` (one row per measure, `ord` = plan order), `__review_periods`
(every cadence period overlapping the strategy, `ord` = its index), `__review_milestones` (one row
per milestone, its period resolved to the cadence's label) and `__review_triggers`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ..engine.data import (
    DataError,
    Source,
    _csv_error,
    _first_line,
    _printable,
    _read,
    open_source,
)
from ..model import Field, Schema
from .periods import (
    CADENCE_KIND,
    CADENCES,
    Period,
    cadence_periods,
    parse_period,
    period_containing,
)
from .plan import Plan, PlanError, PlanMeasure

MEASURES = "__review_measures"
PERIODS = "__review_periods"
MILESTONES = "__review_milestones"
TRIGGERS = "__review_triggers"


def register(
    con: duckdb.DuckDBPyConnection, name: str, schema: dict[str, str], rows: dict[str, list[Any]]
) -> None:
    """Create (or replace) the temp table `name` from columns of Python values; `schema` gives
    each column's SQL type. The columns travel as list parameters (no pyarrow conversion of
    Python objects, which imports pandas when it is installed: half a second)."""
    picked = ", ".join(
        f'unnest(CAST($c{i} AS {sql_type}[])) AS "{column}"'
        for i, (column, sql_type) in enumerate(schema.items())
    )
    params = {f"c{i}": rows[column] for i, column in enumerate(schema)}
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT {picked}', params)


def register_plan(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """The plan's four tables; a second call replaces them (same plan, same tables)."""
    _register_measures(con, plan)
    _register_periods(con, plan)
    _register_milestones(con, plan)
    _register_triggers(con, plan)


def _register_measures(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    ms = plan.measures
    register(
        con,
        MEASURES,
        {
            "ord": "INTEGER",
            "id": "VARCHAR",
            "label": "VARCHAR",
            "unit": "VARCHAR",
            "op": "VARCHAR",
            "value": "DOUBLE",
            "high": "DOUBLE",
            "horizon": "DATE",
            "baseline": "DOUBLE",
            "cadence": "VARCHAR",
            "kind": "VARCHAR",
            "tolerance": "DOUBLE",
            "weight": "DOUBLE",
            "objective": "VARCHAR",
            "play": "VARCHAR",
            "perspective": "VARCHAR",
            "theme": "VARCHAR",
        },
        {
            "ord": list(range(len(ms))),
            "id": [m.id for m in ms],
            "label": [m.label for m in ms],
            "unit": [m.unit for m in ms],
            "op": [m.op for m in ms],
            "value": [m.value for m in ms],
            "high": [m.high for m in ms],
            "horizon": [m.deadline or plan.end for m in ms],
            "baseline": [m.baseline for m in ms],
            "cadence": [m.cadence for m in ms],
            "kind": [CADENCE_KIND[m.cadence] for m in ms],
            "tolerance": [m.tolerance for m in ms],
            "weight": [m.weight for m in ms],
            "objective": [m.objective for m in ms],
            "play": [m.play for m in ms],
            "perspective": [m.perspective for m in ms],
            "theme": [m.theme for m in ms],
        },
    )


def _register_periods(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    rows: dict[str, list[Any]] = {k: [] for k in ("kind", "ord", "label", "start", "end")}
    for cadence in CADENCES:
        for i, p in enumerate(cadence_periods(cadence, plan.start, plan.end)):
            for key, value in zip(rows, (p.kind, i, p.label, p.start, p.end), strict=True):
                rows[key].append(value)
    register(
        con,
        PERIODS,
        {"kind": "VARCHAR", "ord": "INTEGER", "label": "VARCHAR", "start": "DATE", "end": "DATE"},
        rows,
    )


def cadence_period(measure: PlanMeasure, label: str) -> Period | None:
    """The cadence period a label names for this measure: a label of the cadence's own
    granularity, or a date that is the last day of one of its periods; else None."""
    period = parse_period(label)
    kind = CADENCE_KIND[measure.cadence]
    if period is None or period.kind == kind:
        return period
    if period.kind == "day":
        containing = period_containing(kind, period.start)
        return containing if containing.end == period.start else None
    return None


def _register_milestones(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    rows: dict[str, list[Any]] = {k: [] for k in ("measure", "period", "op", "value", "high")}
    problems = []
    for m in plan.measures:
        for ms in m.milestones:
            period = cadence_period(m, ms.period)
            if period is None:
                problems.append(
                    f"measure `{m.id}`: milestone period `{_printable(ms.period)}` is not a "
                    f"{CADENCE_KIND[m.cadence]} (the measure's cadence is {m.cadence})"
                )
                continue
            for key, value in zip(
                rows, (m.id, period.label, ms.op, ms.value, ms.high), strict=True
            ):
                rows[key].append(value)
    if problems:
        raise PlanError(problems[0], help="; ".join(problems[1:]) or None)
    register(
        con,
        MILESTONES,
        {
            "measure": "VARCHAR",
            "period": "VARCHAR",
            "op": "VARCHAR",
            "value": "DOUBLE",
            "high": "DOUBLE",
        },
        rows,
    )


def _register_triggers(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    ts = plan.triggers
    register(
        con,
        TRIGGERS,
        {
            "ord": "INTEGER",
            "id": "VARCHAR",
            "measure": "VARCHAR",
            "kind": "VARCHAR",
            "op": "VARCHAR",
            "value": "DOUBLE",
            "periods": "INTEGER",
        },
        {
            "ord": list(range(len(ts))),
            "id": [t.id for t in ts],
            "measure": [t.measure for t in ts],
            "kind": [t.kind for t in ts],
            "op": [t.op for t in ts],
            "value": [t.value for t in ts],
            "periods": [t.periods for t in ts],
        },
    )


# --------------------------------------------------------------------------- reading a file


def read_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table_id: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    into: str,
) -> Source:
    """Read the file's `required` and present `optional` columns, as text, with the 1-based row
    number in column `row`, into the temp table `into`. Reading is engine/data.py's: the same
    kinds of file, the same CSV dialect handling and the same messages; a DuckDB file is read
    from its table named `table_id`."""
    probe = Schema(table_id, table_id, {}, None, None)
    src = open_source(con, path, probe)
    try:
        missing = [c for c in required if c not in src.columns]
        if missing:
            raise DataError(
                f"{path}: missing column " + ", ".join(f"`{c}`" for c in missing),
                help="columns in the file: "
                + (", ".join(f"`{_printable(c)}`" for c in src.columns) or "none")
                + "; needed: "
                + ", ".join(f"`{c}`" for c in required),
            )
        names = required + tuple(c for c in optional if c in src.columns)
        fields = {n: Field(n, "string", optional=n in optional) for n in names}
        schema = Schema(table_id, table_id, fields, None, None)
        try:
            _read(con, src, schema)
        except duckdb.Error as e:
            if src.kind == "csv":
                raise _csv_error(src, e) from None
            raise DataError(f"cannot read {path}: {_first_line(e)}") from None
        picked = ", ".join(
            f'CAST("{n}" AS VARCHAR) AS "{n}"' for n in names
        )  # names are our own constants
        absent = ", ".join(f'CAST(NULL AS VARCHAR) AS "{n}"' for n in optional if n not in names)
        con.execute(
            f'CREATE OR REPLACE TEMP TABLE "{into}" AS SELECT CAST("{src.row}" AS BIGINT) AS "row", '
            f"{picked}{', ' + absent if absent else ''} FROM __src"
        )
    finally:
        _release(con, src)
    return src


def _release(con: duckdb.DuckDBPyConnection, src: Source) -> None:
    """Drop what engine/data.py's reader left behind, so a second file can be read on `con`."""
    con.execute("DROP VIEW IF EXISTS __src")
    con.execute("DROP TABLE IF EXISTS __data")
    if src.kind == "duckdb":
        attached = con.execute(
            "SELECT count(*) FROM duckdb_databases() WHERE database_name = '__userdb'"
        ).fetchone()
        if attached and attached[0]:
            con.execute("DETACH __userdb")
