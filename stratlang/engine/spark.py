"""The Spark engine: the same compiled SQL (sqlglot's spark dialect) run through PySpark.

DuckDB reads and checks the data first (one set of data rules for every engine) and hands Spark
a typed Parquet copy; Spark registers it as the view `customers`, runs the segment counts and the
assignment query, and the result comes back to DuckDB to be written by the shared writer.
`local[*]` by default; any master with `master=` (`--spark-master`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..backends.sql import assignment_query, counts_query
from ..model import Model
from . import transitions
from .data import DataError
from .duckdb import create_empty_assigned

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from .data import SQLConnection

_SESSION = None
# Spark's own console logging would print Java stack traces before stratlang's error message.
_QUIET_LOG4J = (
    Path(__file__).resolve().parent.parent / "data" / "log4j2-quiet.properties"
).as_uri()


def _lit(path: Path) -> str:
    from sqlglot import exp

    return exp.Literal.string(path.as_posix()).sql(dialect="duckdb")


def get_session(master: str | None = None) -> SparkSession:
    """A SparkSession (created once per process and reused), with quiet logging."""
    global _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DataError(
            "the Spark engine needs PySpark",
            help="pip install 'stratlang[spark]' (and a Java 17 runtime)",
        ) from None
    if _SESSION is not None:
        return _SESSION
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON", "python3"))
    builder = (
        SparkSession.builder.appName("stratlang")
        .master(master or "local[*]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_QUIET_LOG4J}")
        .config("spark.sql.ansi.enabled", "false")
    )
    try:
        spark = builder.getOrCreate()
    except Exception as e:  # no Java, bad master URL, ...
        raise DataError(
            f"cannot start Spark ({master or 'local[*]'}): {str(e).strip().splitlines()[0][:300]}",
            help="the Spark engine needs Java 17+ and a reachable master",
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    _SESSION = spark
    return spark


def run(
    con: SQLConnection,
    model: Model,
    master: str | None = None,
    progress: Callable[[str], None] | None = None,
    session: SparkSession | None = None,
    as_of: dt.date | None = None,
    history: Sequence[str] = (),
    previous: Path | None = None,
    contacts: str | None = None,
) -> tuple[int, dict[str, int]]:
    """Run counts and assignment on Spark; leaves the result in DuckDB's `__assigned` table.

    `history`: the history tables loaded in DuckDB (`engine.history`); Spark computes the
    aggregates itself from them, with the same SQL. `contacts`: the contact log's table in DuckDB
    (`engine.governance`), handed to Spark under the same name for the limit check. Returns the
    customers and the segment counts."""
    step = progress or (lambda msg: None)
    spark = session or get_session(master)
    tmp = Path(tempfile.mkdtemp(prefix="stratlang-spark-"))
    try:
        step("handing the typed data to Spark")
        typed = tmp / "customers.parquet"
        # (exact: an int column is BIGINT, DECIMAL(p,0) or UBIGINT, never HUGEINT, which Parquet
        # would get as DOUBLE - engine.data types those as DECIMAL(38,0))
        con.execute(f"COPY customers TO {_lit(typed)} (FORMAT parquet)")
        df = spark.read.parquet(str(typed))
        df.createOrReplaceTempView("customers")
        table = "customers"
        if history:
            table = _enrich(con, spark, model, history, tmp, as_of or dt.date.today(), step)
        step("counting segments (Spark)")
        row = spark.sql(counts_query(model, table).sql(dialect="spark")).collect()[0]
        customers = int(row[0])
        counts = {sid: int(row[1 + i]) for i, sid in enumerate(model.segments)}
        step("assigning plays (Spark)")
        table = transitions.run_spark(con, spark, model, table, previous, tmp)
        if contacts is not None:
            step("handing the contact log to Spark")
            path = tmp / "contacts.parquet"
            con.execute(f"COPY {contacts} TO {_lit(path)} (FORMAT parquet)")
            spark.read.parquet(str(path)).createOrReplaceTempView(contacts)
        q = assignment_query(model, table, "spark", as_of, contacts)
        if q is None:
            create_empty_assigned(con, model)
            return customers, counts
        out = tmp / "assigned"
        spark.sql(q.sql(dialect="spark")).write.mode("overwrite").parquet(str(out))
        # the key comes back in DuckDB's type for it (Spark reads a UBIGINT key as DECIMAL(20,0)), so
        # the files equal the DuckDB engine's byte for byte
        # (engine.duckdb.load refused data for a project without a schema with a key)
        assert model.schema is not None and model.schema.key is not None
        key_type = dict(
            con.execute("SELECT column_name, column_type FROM (DESCRIBE customers)").fetchall()
        )[model.schema.key]
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __assigned AS SELECT * REPLACE (CAST(key AS {key_type}) AS key) "
            f"FROM read_parquet({_lit(out / '*.parquet')})"
        )
        return customers, counts
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _enrich(
    con: SQLConnection,
    spark: SparkSession,
    model: Model,
    history: Sequence[str],
    tmp: Path,
    as_of: dt.date,
    step: Callable[[str], None],
) -> str:
    """The customers with their history aggregates, computed by Spark (cached: counted and
    assigned from once)."""
    from .history import ENRICHED, enriched_sql, table_name

    step("handing the history to Spark")
    for h in history:
        path = tmp / f"history_{h}.parquet"
        con.execute(f"COPY {table_name(h)} TO {_lit(path)} (FORMAT parquet)")
        spark.read.parquet(str(path)).createOrReplaceTempView(table_name(h))
    step("computing history aggregates (Spark)")
    enriched = spark.sql(enriched_sql(model, as_of, "spark"))
    enriched.cache().createOrReplaceTempView(ENRICHED)
    return ENRICHED
