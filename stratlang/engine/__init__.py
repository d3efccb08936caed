"""Segments on data: contact lists and real segment counts (DuckDB embedded, or Spark).

    from stratlang.engine import run_lists, segment_counts, DataError
    summary = run_lists(model, "customers.csv", engine="duckdb", out_dir="lists", fmt="csv")
    summary.counts()   # {"customers", "segments": {id: n}, "plays": {id: n}, "dropped_by_capacity"}

Both engines run the SQL compiled by `stratlang.backends.sql` (one code path). The data is read
and checked by DuckDB first (`engine.data`); any problem raises `DataError` before anything is
written; an output folder that must not be replaced raises `OutputError` before the data is read.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Model
from ..output import OutputError, output_folder
from .data import DataError
from .governance import contact_paths
from .output import FORMATS, Summary

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("duckdb", "spark")

__all__ = [
    "ENGINES",
    "FORMATS",
    "DataError",
    "OutputError",
    "Summary",
    "run_lists",
    "segment_counts",
]


def run_lists(
    model: Model,
    data_path: str | os.PathLike[str],
    engine: str = "duckdb",
    out_dir: str | os.PathLike[str] | None = None,
    fmt: str = "csv",
    spark_master: str | None = None,
    progress: Callable[[str], None] | None = None,
    spark_session: SparkSession | None = None,
    inputs: Iterable[Path] = (),
    on_wait: Callable[[str], None] | None = None,
    as_of: dt.date | None = None,
    history: Mapping[str, Path] | None = None,
    previous: str | os.PathLike[str] | None = None,
    contacts: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    root: Path | None = None,
) -> Summary:
    """Check the data, count segments, assign plays; write the lists to out_dir (if given).

    `root`: the project root; summary.json writes the paths of the files read relative to it.

    `previous`: the customer table of the previous run; the tier and lifecycle transitions since
    then go into `Summary.transitions` and `transitions.csv`, and plays on transition triggers
    get the customers who changed (without it, those plays get nobody: `engine.transitions`).

    `contacts`: the contact log, one path or several: CSV or Parquet files (key, channel,
    date[, control]) or folders of earlier lists (`engine.governance.log_files`): a customer of the log gets the first eligible play whose contacts fit
    every contact limit together with the logged ones (`Summary.dropped_by_policy`). Without it,
    the limits are kept by each play's own schedule only.

    Only the plays active on `as_of` (None: today) take part: a play whose own `period` does not
    contain that day gets no customers and takes none from others (`Summary.inactive` says why).

    The output folder is checked before the data is read and replaced as a whole at the end
    (`stratlang.output.output_folder`): it may not contain the data or `inputs` (the project's
    files); `on_wait(message)` is called if another run is writing beside it. Raises DataError or
    OutputError, with nothing written."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}")
    step = progress or (lambda msg: None)
    day = as_of or dt.date.today()
    from . import history as hist

    history_files = hist.find_files(model, Path(data_path), history or {})
    run = functools.partial(
        _run,
        model,
        Path(data_path),
        engine,
        fmt,
        spark_master,
        step,
        spark_session,
        day,
        history_files,
        previous=Path(previous) if previous is not None else None,
        contacts=contact_paths(contacts),
        root=root,
    )
    if out_dir is None:
        return run(None)
    reads = [Path(data_path), *history_files.values(), *inputs]
    reads += [Path(previous)] if previous is not None else []
    reads += list(contact_paths(contacts))
    with output_folder(Path(out_dir), inputs=reads, on_wait=on_wait) as folder:
        return run(folder)


def _run(
    model: Model,
    data_path: Path,
    engine: str,
    fmt: str,
    spark_master: str | None,
    step: Callable[[str], None],
    spark_session: SparkSession | None,
    as_of: dt.date,
    history_files: Mapping[str, Path],
    folder: Path | None,
    *,
    previous: Path | None = None,
    contacts: tuple[Path, ...] = (),
    root: Path | None = None,
) -> Summary:
    from ..backends.sql import CompileError
    from . import duckdb as ddb
    from . import governance as gov
    from . import transitions as trans
    from .output import summarize, write_lists

    con = ddb.connect()
    try:
        step("reading and checking the data")
        try:
            # with history aggregates, segments are counted on the enriched table, not in the scan;
            # the plays are picked in the scan too, unless the assignment reads another table
            # (history aggregates, transitions) or needs the contact log
            simple = engine == "duckdb" and not history_files
            ahead = simple and previous is None and not contacts
            ahead = ahead and not trans.transition_plays(model)
            src = ddb.load(
                con,
                model,
                data_path,
                with_counts=simple,
                pick=ddb.pick_case(model, as_of) if ahead else None,
            )
            table = "customers"
            history_stats = {}
            if history_files:
                from . import history as hist

                step("reading and checking the history")
                history_stats = hist.load(con, model, history_files)
                if engine == "duckdb":
                    step("computing history aggregates")
                    table = hist.enrich(con, model, as_of)
            log = None
            if contacts:
                step("reading and checking the contact log")
                log = gov.load(con, model, contacts)
            logged = gov.CONTACTS if log is not None else None
            if engine == "duckdb":
                if src.extra is not None:  # counted in the data check's scan
                    customers, counts = src.rows, dict(zip(model.segments, src.extra))
                else:
                    step("counting segments")
                    customers, counts = ddb.segment_counts_sql(con, model, table)
                step("assigning plays")
                table = trans.run_duckdb(con, model, table, previous)
                ddb.assign(
                    con,
                    model,
                    table,
                    as_of=as_of,
                    contacts=logged,
                    picked=src.picked if table == "customers" else None,
                )
            else:
                from . import spark

                customers, counts = spark.run(
                    con,
                    model,
                    master=spark_master,
                    progress=step,
                    session=spark_session,
                    as_of=as_of,
                    history=list(history_files),
                    previous=previous,
                    contacts=logged,
                )
        except CompileError as e:
            raise DataError(str(e)) from None
        dropped = gov.policy_counts(con, model)
        summary = summarize(con, model, engine, customers, counts, as_of, dropped)
        summary.root = root
        if log is not None:
            summary.contacts = log.to_dict()
        summary.history = {h: st.to_dict() for h, st in history_stats.items()}
        if previous is not None:
            summary.transitions = trans.matrix(con, model)
        if folder is not None:
            if previous is not None and (name := trans.write(con, model, folder, fmt)):
                summary.files.append(name)
            write_lists(con, model, summary, folder, fmt, progress=step)
        return summary
    finally:
        con.close()


def segment_counts(
    model: Model,
    data_path: str | os.PathLike[str],
    as_of: dt.date | None = None,
    history: Mapping[str, Path] | None = None,
) -> dict:
    """Members per segment (segment id -> count) on the data, with DuckDB (history aggregates as
    of `as_of`, default today). Raises DataError."""
    from . import duckdb as ddb
    from . import history as hist

    files = hist.find_files(model, Path(data_path), history or {})
    con = ddb.connect()
    try:
        ddb.load(con, model, Path(data_path))
        table = "customers"
        if files:
            hist.load(con, model, files)
            table = hist.enrich(con, model, as_of or dt.date.today())
        return ddb.segment_counts_sql(con, model, table)[1]
    finally:
        con.close()
