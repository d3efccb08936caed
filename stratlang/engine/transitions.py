"""Tier and lifecycle transitions between the previous customer table and today's (`--previous`).

Every fact is computed in SQL, in the engine that runs the lists (DuckDB, or Spark with the same
SQL in its dialect); Python only builds the queries and reads back the small matrix.

- A *dimension* is a tiering (its tiers in declared order: the first is the highest) or the
  lifecycle. A customer's state in a tiering is the first of its tiers whose rule admits them; the
  lifecycle stage is the stage of the first segment, in declaration order, that has a `lifecycle`
  and admits them. NULL (shown as `none`) when no tier or stage does, or the customer is not in
  that table at all.
- `__transitions` holds, per customer key in either table, the state before and after in every
  dimension and the membership before and after of every segment a transition trigger names.
- A play on a transition trigger (`when enters segment S`, `when leaves segment S`,
  `when lifecycle becomes X`) admits only the customers who changed that way; the engine assigns
  plays from a view of the customer table with one boolean column per such play
  (`backends.sql.moved_column`). Without previous data that column is FALSE: the play gets nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from ..backends.sql import boolean, col, ident, moved_column, segment_expr, string
from ..language import LIFECYCLES
from ..model import TRANSITION_TRIGGERS, Model, Play

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from .data import SQLConnection

PREVIOUS = "customers_previous"  # the previous customer table, read and checked like --data
TRANSITIONS = "__transitions"
MOVED = "__moved"  # the customer table plus one `moved_column(play)` per transition play
LIFECYCLE = "lifecycle"  # the lifecycle's dimension name (a tiering may not be called that)
CHANGES = ("upgrade", "downgrade", "move", "entry", "exit", "same")
NONE = "none"  # the state of a customer in no tier (or no stage), or not in that table


# --------------------------------------------------------------------------- what is tracked


def transition_plays(model: Model) -> list[Play]:
    """Plays whose trigger is a transition, in declaration order."""
    plays = sorted(model.plays.values(), key=lambda p: p.order)
    return [p for p in plays if p.trigger is not None and p.trigger.kind in TRANSITION_TRIGGERS]


def dimensions(model: Model) -> dict[str, tuple[str, ...]]:
    """Dimension -> its states in rank order: each tiering's tier segments (highest first), then
    the lifecycle's stages (acquisition … winback) when any segment has a lifecycle."""
    out: dict[str, tuple[str, ...]] = {t.id: tuple(t.segments) for t in model.tierings.values()}
    if lifecycle_segments(model):
        out.setdefault(LIFECYCLE, LIFECYCLES)
    return out


def lifecycle_segments(model: Model) -> list[tuple[str, str]]:
    """(segment id, stage) of every segment with a lifecycle, in declaration order."""
    return [(s.id, s.lifecycle) for s in model.segments.values() if s.lifecycle is not None]


def _watched_segments(model: Model) -> list[str]:
    """Segments named by `enters`/`leaves` triggers, once each, in order of first use."""
    out: list[str] = []
    for p in transition_plays(model):
        assert p.trigger is not None  # transition_plays keeps only plays with one
        if p.trigger.kind in ("enters", "leaves") and p.trigger.ref not in out:
            out.append(p.trigger.ref or "")
    return out


# --------------------------------------------------------------------------- queries


def _state_expr(model: Model, dimension: str) -> exp.Expr:
    """The customer's state in one dimension: the first tier (stage) that admits them, else NULL."""
    if _is_lifecycle(model, dimension):
        pairs = lifecycle_segments(model)
    else:
        pairs = [(sid, sid) for sid in model.tierings[dimension].segments]
    ifs = [exp.If(this=segment_expr(model, sid), true=string(state)) for sid, state in pairs]
    return exp.Case(ifs=ifs, default=exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR")))


def states_query(model: Model, table: str) -> exp.Select:
    """Per customer of `table`: key, one state column per dimension (d0, d1, …) and one membership
    column per watched segment (m0, m1, …)."""
    assert model.schema is not None and model.schema.key is not None  # the engine checked the data
    sel = exp.select(exp.alias_(col(model.schema.key), "k", quoted=True)).from_(
        exp.Table(this=ident(table))
    )
    for i, dim in enumerate(dimensions(model)):
        sel = sel.select(exp.alias_(_state_expr(model, dim), f"d{i}", quoted=True), copy=False)
    for i, sid in enumerate(_watched_segments(model)):
        sel = sel.select(exp.alias_(segment_expr(model, sid), f"m{i}", quoted=True), copy=False)
    return sel


def transitions_query(model: Model, now: str, previous: str) -> exp.Select:
    """Every key in either table: before (`from_i`, `was_i`) and after (`to_i`, `is_i`)."""
    n, p = "n", "p"
    key = exp.func("COALESCE", col("k", n), col("k", p))
    sel = exp.select(
        exp.alias_(key, "key", quoted=True),
        exp.alias_(
            exp.Not(this=exp.Is(this=col("k", n), expression=exp.Null())), "in_now", quoted=True
        ),
        exp.alias_(
            exp.Not(this=exp.Is(this=col("k", p), expression=exp.Null())),
            "in_previous",
            quoted=True,
        ),
    )
    for i in range(len(dimensions(model))):
        sel = sel.select(
            exp.alias_(col(f"d{i}", p), f"from_{i}", quoted=True),
            exp.alias_(col(f"d{i}", n), f"to_{i}", quoted=True),
            copy=False,
        )
    for i in range(len(_watched_segments(model))):
        sel = sel.select(
            exp.alias_(
                exp.func("COALESCE", col(f"m{i}", p), boolean(False)), f"was_{i}", quoted=True
            ),
            exp.alias_(
                exp.func("COALESCE", col(f"m{i}", n), boolean(False)), f"is_{i}", quoted=True
            ),
            copy=False,
        )
    now_states = exp.Subquery(this=states_query(model, now), alias=exp.TableAlias(this=ident(n)))
    prev_states = exp.Subquery(
        this=states_query(model, previous), alias=exp.TableAlias(this=ident(p))
    )
    return sel.from_(now_states).join(
        prev_states, on=exp.EQ(this=col("k", n), expression=col("k", p)), join_type="full outer"
    )


def moved_expr(model: Model, play: Play, previous: bool) -> exp.Expr:
    """Whether the customer changed the way the play's trigger asks (over `__transitions`)."""
    t = play.trigger
    assert t is not None and t.kind in TRANSITION_TRIGGERS and t.ref is not None
    if not previous:
        return boolean(False)
    if t.kind == "becomes":
        i = list(dimensions(model)).index(LIFECYCLE)
        now_is = exp.EQ(this=col(f"to_{i}", "t"), expression=string(t.ref))
        # NULL before (no stage, or a new customer) is a change too
        was_not = exp.func(
            "COALESCE", exp.NEQ(this=col(f"from_{i}", "t"), expression=string(t.ref)), boolean(True)
        )
        return exp.func("COALESCE", exp.and_(now_is, was_not), boolean(False))
    i = _watched_segments(model).index(t.ref)
    inside, outside = (f"is_{i}", f"was_{i}") if t.kind == "enters" else (f"was_{i}", f"is_{i}")
    return exp.func(
        "COALESCE", exp.and_(col(inside, "t"), exp.Not(this=col(outside, "t"))), boolean(False)
    )


def moved_query(model: Model, table: str, previous: bool) -> exp.Select:
    """`table` with one `moved_column(play)` per transition play (joined to `__transitions` when
    there is previous data; FALSE columns without)."""
    key = model.schema.key if model.schema is not None else None
    assert key is not None  # the engine checked the data against a schema with a key
    sel = exp.select(exp.Column(this=exp.Star(), table=ident("c"))).from_(
        exp.Table(this=ident(table), alias=exp.TableAlias(this=ident("c")))
    )
    for p in transition_plays(model):
        sel = sel.select(
            exp.alias_(moved_expr(model, p, previous), moved_column(p.id), quoted=True), copy=False
        )
    if previous:
        sel = sel.join(
            exp.Table(this=ident(TRANSITIONS), alias=exp.TableAlias(this=ident("t"))),
            on=exp.EQ(this=col(key, "c"), expression=col("key", "t")),
            join_type="left",
        )
    return sel


def _is_lifecycle(model: Model, dim: str) -> bool:
    return dim == LIFECYCLE and dim not in model.tierings


def _change_expr(model: Model, dim: str, ranks: tuple[str, ...], i: int) -> exp.Expr:
    """entry / exit / same, and upgrade or downgrade in a tiering (rank order), move in the lifecycle."""
    before, after = col(f"from_{i}"), col(f"to_{i}")

    def rank(c: exp.Expr) -> exp.Expr:
        return exp.Case(
            ifs=[
                exp.If(this=exp.EQ(this=c.copy(), expression=string(s)), true=exp.Literal.number(r))
                for r, s in enumerate(ranks)
            ]
        )

    up = exp.LT(this=rank(after), expression=rank(before))
    ifs = [
        exp.If(this=exp.Is(this=before.copy(), expression=exp.Null()), true=string("entry")),
        exp.If(this=exp.Is(this=after.copy(), expression=exp.Null()), true=string("exit")),
        exp.If(this=exp.EQ(this=before.copy(), expression=after.copy()), true=string("same")),
    ]
    if _is_lifecycle(model, dim):
        return exp.Case(ifs=ifs, default=string("move"))
    ifs.append(exp.If(this=up, true=string("upgrade")))
    return exp.Case(ifs=ifs, default=string("downgrade"))


def changes_query(model: Model, only_changed: bool) -> exp.Expr:
    """Per customer and dimension with a state before or after: key, dimension, from, to, change
    (only the customers whose state changed when `only_changed`)."""
    parts: list[exp.Select] = []
    for i, (dim, ranks) in enumerate(dimensions(model).items()):
        sel = exp.select(
            exp.alias_(col("key"), "key", quoted=True),
            exp.alias_(string(dim), "dimension", quoted=True),
            exp.alias_(col(f"from_{i}"), "from", quoted=True),
            exp.alias_(col(f"to_{i}"), "to", quoted=True),
            exp.alias_(_change_expr(model, dim, ranks, i), "change", quoted=True),
        ).from_(exp.Table(this=ident(TRANSITIONS)))
        present = exp.or_(
            exp.Not(this=exp.Is(this=col(f"from_{i}"), expression=exp.Null())),
            exp.Not(this=exp.Is(this=col(f"to_{i}"), expression=exp.Null())),
        )
        if only_changed:
            present = exp.and_(
                exp.Paren(this=present),
                exp.func(
                    "COALESCE",
                    exp.NEQ(this=col(f"from_{i}"), expression=col(f"to_{i}")),
                    boolean(True),
                ),
            )
        parts.append(sel.where(present))
    out: exp.Expr = parts[0]
    for part in parts[1:]:
        out = exp.union(out, part, distinct=False)
    return out


# --------------------------------------------------------------------------- running


def compute(
    run_sql: Callable[[str], object], model: Model, table: str, previous: bool, dialect: str
) -> str:
    """Create `__transitions` (with previous data) and the `__moved` view over `table`; return
    the view's name, the table plays are assigned from.

    `run_sql(statement)` runs one statement in the engine (DuckDB or Spark), in `dialect`. In
    DuckDB `__transitions` is a table (read by the assignment, the matrix and the file); Spark
    caches it."""
    if previous:
        q = transitions_query(model, table, _previous_table(run_sql, model, table, dialect))
        kind = "TABLE" if dialect == "duckdb" else "VIEW"
        run_sql(
            f"CREATE OR REPLACE TEMP {kind} {_name(TRANSITIONS, dialect)} AS {q.sql(dialect=dialect)}"
        )
        if dialect == "spark":
            run_sql(f"CACHE TABLE {_name(TRANSITIONS, dialect)}")
    q2 = moved_query(model, table, previous).sql(dialect=dialect)
    run_sql(f"CREATE OR REPLACE TEMP VIEW {_name(MOVED, dialect)} AS {q2}")
    return MOVED


def _previous_table(
    run_sql: Callable[[str], object], model: Model, table: str, dialect: str
) -> str:
    """The previous table as segment rules read it. When `table` carries history aggregates
    (`customers_with_history`), the previous customers get this run's aggregates by key: the
    history files are one series, not a snapshot (docs/data.md, "Transitions")."""
    if table == "customers":
        return PREVIOUS
    from ..backends.history_sql import aggregate_column, derived_fields

    assert model.schema is not None and model.schema.key is not None
    key = model.schema.key
    view = "__previous_with_history"
    q = (
        exp.select(exp.Column(this=exp.Star(), table=ident("p")))
        .from_(exp.Table(this=ident(PREVIOUS), alias=exp.TableAlias(this=ident("p"))))
        .join(
            exp.Table(this=ident(table), alias=exp.TableAlias(this=ident("e"))),
            on=exp.EQ(this=col(key, "p"), expression=col(key, "e")),
            join_type="left",
        )
    )
    for f in derived_fields(model):
        q = q.select(col(aggregate_column(f), "e"), copy=False)
    run_sql(f"CREATE OR REPLACE TEMP VIEW {_name(view, dialect)} AS {q.sql(dialect=dialect)}")
    return view


def _name(name: str, dialect: str) -> str:
    return ident(name).sql(dialect=dialect)


def matrix(con: SQLConnection, model: Model) -> dict:
    """The `transitions` section of summary.json, from `__transitions` (in DuckDB): per dimension
    its states, the from × to counts with their change, and the totals per change."""
    if not dimensions(model):
        return {}
    cols = [col(c) for c in ("dimension", "from", "to", "change")]
    changes = exp.Subquery(
        this=changes_query(model, only_changed=False), alias=exp.TableAlias(this=ident("c"))
    )
    q = (
        exp.select(*cols, exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
        .from_(changes)
        .group_by(*[c.copy() for c in cols])
    )
    rows = con.execute(q.sql(dialect="duckdb")).fetchall()
    row = con.execute(
        f"SELECT count_if(NOT in_previous), count_if(NOT in_now) FROM {TRANSITIONS}"
    ).fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    new, gone = row
    out: dict = {"new_customers": new, "gone_customers": gone, "dimensions": {}}
    for dim, states in dimensions(model).items():
        order = {s: i for i, s in enumerate((*states, None))}
        cells = sorted((r for r in rows if r[0] == dim), key=lambda r: (order[r[1]], order[r[2]]))
        out["dimensions"][dim] = {
            "kind": "lifecycle" if _is_lifecycle(model, dim) else "tiering",
            "states": list(states),
            "totals": {c: sum(r[4] for r in cells if r[3] == c) for c in CHANGES},
            "matrix": [
                {"from": r[1] or NONE, "to": r[2] or NONE, "change": r[3], "customers": r[4]}
                for r in cells
            ],
        }
    return out


def write(con: SQLConnection, model: Model, folder: Path, fmt: str) -> str | None:
    """Write the customers whose state changed (key, dimension, from, to, change; sorted by
    dimension order and key) as `transitions.csv` (`.parquet` with --format parquet); its name."""
    if not dimensions(model):
        return None
    changed = exp.Subquery(
        this=changes_query(model, only_changed=True), alias=exp.TableAlias(this=ident("r"))
    )
    key: exp.Expr = col("key", "r")
    if fmt != "parquet" and _is_text(con, changed):
        key = _formula_safe(key)
    rows = (
        exp.select(
            exp.alias_(key, "key", quoted=True),
            col("dimension", "r"),
            exp.alias_(exp.func("COALESCE", col("from", "r"), string(NONE)), "from", quoted=True),
            exp.alias_(exp.func("COALESCE", col("to", "r"), string(NONE)), "to", quoted=True),
            col("change", "r"),
        )
        .from_(changed)
        .order_by(_dimension_rank(model), col("key", "r"))
    )
    name = "transitions.parquet" if fmt == "parquet" else "transitions.csv"
    target = string(str(folder / name)).sql("duckdb")
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    con.execute(f"COPY ({rows.sql(dialect='duckdb')}) TO {target} ({options})")
    return name


def _dimension_rank(model: Model) -> exp.Expr:
    dims = enumerate(dimensions(model))
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.EQ(this=col("dimension", "r"), expression=string(d)),
                true=exp.Literal.number(i),
            )
            for i, d in dims
        ]
    )


def _is_text(con: SQLConnection, rows: exp.Subquery) -> bool:
    q = exp.select(col("key", "r")).from_(rows.copy())
    described = con.execute(f"DESCRIBE {q.sql(dialect='duckdb')}").fetchall()
    return bool(described) and described[0][1] == "VARCHAR"


def _formula_safe(key: exp.Expr) -> exp.Expr:
    """A text key that starts like a spreadsheet formula gets a `'` in front, as the contact
    lists' keys do (engine.output.CSV_QUOTED_PREFIXES)."""
    from .output import CSV_QUOTED_PREFIXES

    first = exp.Substring(
        this=key.copy(), start=exp.Literal.number(1), length=exp.Literal.number(1)
    )
    formula = exp.In(this=first, expressions=[string(p) for p in CSV_QUOTED_PREFIXES])
    quoted = exp.DPipe(this=string("'"), expression=key.copy(), safe=True)
    return exp.Case(ifs=[exp.If(this=formula, true=quoted)], default=key.copy())


def load_previous(con: SQLConnection, model: Model, path: Path) -> None:
    """Read and check the previous customer table like --data (same schema, problems by row and
    column, nothing written) into `customers_previous`."""
    from .data import DataError, prepare

    if not Path(path).exists():
        raise DataError(
            f"previous data file not found: {path}", help="check the path given with --previous"
        )
    try:
        prepare(con, Path(path), model.schema, table=PREVIOUS)
    except DataError as e:  # the same checks as --data; say which of the two files it was
        if e.problems == [str(e)] and str(path) not in str(e):
            raise DataError(f"previous data {path}: {e}", e.help) from None
        raise


def run_duckdb(con: SQLConnection, model: Model, table: str, previous: Path | None) -> str:
    """Load the previous table (if given) and compute the transitions in DuckDB; the table the
    plays are then assigned from (`table` itself when no play has a transition trigger and there
    is no previous data)."""
    if previous is not None:
        load_previous(con, model, previous)
    elif not transition_plays(model):
        return table
    return compute(con.execute, model, table, previous is not None, "duckdb")


def run_spark(
    con: SQLConnection,
    spark: SparkSession,
    model: Model,
    table: str,
    previous: Path | None,
    tmp: Path,
) -> str:
    """As `run_duckdb`, on Spark: the previous table is checked by DuckDB and handed over as
    typed Parquet, Spark computes the transitions with the same SQL, and `__transitions` comes
    back to DuckDB (for the matrix and the file, written by the shared writer)."""
    if previous is not None:
        load_previous(con, model, previous)
        typed = tmp / "customers_previous.parquet"
        con.execute(f"COPY {PREVIOUS} TO {string(typed.as_posix()).sql('duckdb')} (FORMAT parquet)")
        spark.read.parquet(str(typed)).createOrReplaceTempView(PREVIOUS)
    elif not transition_plays(model):
        return table
    moved = compute(spark.sql, model, table, previous is not None, "spark")
    if previous is not None:
        back = tmp / "transitions"
        spark.table(TRANSITIONS).write.mode("overwrite").parquet(str(back))
        files = string((back / "*.parquet").as_posix()).sql("duckdb")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {TRANSITIONS} AS SELECT * FROM read_parquet({files})"
        )
    return moved


def trigger_text(play: Play) -> str:
    """The play's transition trigger as written: `when lifecycle becomes winback`."""
    t = play.trigger
    assert t is not None and t.kind in TRANSITION_TRIGGERS
    words = "lifecycle becomes" if t.kind == "becomes" else f"{t.kind} segment"
    return f"when {words} {t.ref}"


def report_lines(model: Model, transitions: dict, previous_given: bool) -> list[str]:
    """What `lists`/`build` say on stderr: each dimension's changes with --previous; without
    it, a warning per play on a transition trigger (it got nobody)."""
    if not previous_given:
        return [
            f"warning: play `{p.id}` fires on a change ({trigger_text(p)}) and gets no one "
            "without the previous customer table: give --previous FILE"
            for p in transition_plays(model)
        ]
    out = []
    for dim, d in transitions.get("dimensions", {}).items():
        t = d["totals"]
        moved = (
            f"{t['move']} moved"
            if d["kind"] == "lifecycle"
            else f"{t['upgrade']} up, {t['downgrade']} down"
        )
        out.append(
            f"transitions `{dim}`: {moved}, {t['entry']} entered, {t['exit']} left, "
            f"{t['same']} unchanged"
        )
    return out
