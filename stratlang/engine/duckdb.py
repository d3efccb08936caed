"""The embedded DuckDB engine: check the data, count segments, assign plays, all in SQL.

Every connection runs with a memory limit and its own spill folder, so data larger than the
limit spills to disk instead of growing without bound (docs/data.md, "Memory"):

- `memory_limit`: `STRATLANG_MEMORY_LIMIT` (`4GB`, `512MiB`, `25%`, …), else half of the
  machine's memory (or of the cgroup's limit, when lower);
- `temp_directory`: a fresh `stratlang-duckdb-PID-*` folder in the system's temporary folder
  (`TMPDIR`), removed when the connection is closed; folders left by killed runs (their process
  is gone) are removed by the next run;
- `preserve_insertion_order = false`: no query relies on it (lists are sorted by key; the one
  statement that needs file order for row numbers turns it on for itself).

An out-of-memory error that still happens (or a full spill disk) becomes a `DataError` with a
help line, never an internal error.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ..backends.sql import SQL_TYPES, assign_columns, assignment_query, counts_query
from ..model import Model
from .data import DataError, Source, prepare

if TYPE_CHECKING:
    from sqlglot import exp

    from .data import SQLConnection

MEMORY_ENV = "STRATLANG_MEMORY_LIMIT"
SPILL_PREFIX = "stratlang-duckdb-"
DEFAULT_MEMORY_SHARE = 0.5  # of physical memory (or the cgroup limit)
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


def physical_memory() -> int:
    """Bytes of memory this process may use: physical memory, or the cgroup's limit when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def memory_limit_bytes() -> int:
    """The DuckDB memory limit in bytes: STRATLANG_MEMORY_LIMIT, else DEFAULT_MEMORY_SHARE of memory."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    if not raw:
        return int(physical_memory() * DEFAULT_MEMORY_SHARE)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(%|[kmgt]i?b|b)", raw, re.IGNORECASE)
    if m is None:
        raise DataError(
            f"{MEMORY_ENV}={raw!r} is not a memory size",
            help=f"give a size with a unit or a share of the machine's memory, e.g. "
            f"{MEMORY_ENV}=4GB, 512MiB or 25%",
        )
    number, unit = float(m.group(1)), m.group(2).lower()
    size = int(physical_memory() * number / 100) if unit == "%" else int(number * _UNITS[unit])
    if size < 1 << 20:
        raise DataError(f"{MEMORY_ENV}={raw} is less than 1MB", help=f"e.g. {MEMORY_ENV}=4GB")
    return size


def _shown_size(n: int) -> str:
    raw = os.environ.get(MEMORY_ENV, "").strip()
    if raw:
        return raw
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.0f} MiB"


class Connection:
    """A DuckDB connection with a memory limit and its own spill folder (removed on close).

    Everything else is the DuckDB connection's own API; calls through it turn DuckDB's
    out-of-memory and spill-disk errors into DataError."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = memory_limit_bytes() if limit is None else limit
        self.data_path: Path | None = None  # named in messages (set by load())
        _remove_stale_spill_folders()
        self.spill = Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.spill, True)
        try:
            self._con = duckdb.connect(
                ":memory:",
                config={
                    "memory_limit": f"{max(1, self.limit // 1024)}KiB",
                    "temp_directory": str(self.spill),
                    "preserve_insertion_order": False,
                },
            )
        except BaseException:
            self._cleanup()
            raise

    def close(self) -> None:
        try:
            self._con.close()
        finally:
            self._cleanup()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._con, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = attr(*args, **kwargs)
            except duckdb.OutOfMemoryException as e:
                raise self._out_of_memory(e) from None
            except duckdb.IOException as e:
                if str(self.spill) in str(e) or "no space left" in str(e).lower():
                    on = f" while working on {self.data_path}" if self.data_path is not None else ""
                    raise DataError(
                        f"DuckDB could not spill to {self.spill}{on}: {str(e).strip().splitlines()[0]}",
                        help="free disk space there, or point TMPDIR at a disk with room",
                    ) from None
                raise
            return self if result is self._con else result  # execute() returns the connection

        return call

    def _out_of_memory(self, e: Exception) -> DataError:
        on = f" on {self.data_path}" if self.data_path is not None else ""
        return DataError(
            f"DuckDB ran out of memory{on} (limit {_shown_size(self.limit)})",
            help=f"raise the limit, e.g. {MEMORY_ENV}=8GB (the default is half the machine's memory), "
            f"or convert a large CSV to Parquet once; spilled data goes to {tempfile.gettempdir()} "
            "(TMPDIR), which needs free space",
            problems=[f"DuckDB: {str(e).strip().splitlines()[0][:300]}"],
        )


def _remove_stale_spill_folders() -> None:
    """Remove the spill folders of killed runs: ours (same user), named by a process that is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*-*"):
        m = re.fullmatch(re.escape(SPILL_PREFIX) + r"(\d+)-\w+", folder.name)
        if m is None or int(m.group(1)) == os.getpid():
            continue
        try:
            if folder.lstat().st_uid != os.getuid() or not folder.is_dir() or folder.is_symlink():
                continue
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:  # the run that made it is gone
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive (or not ours to look at)
            continue


def connect() -> Connection:
    return Connection()


def segment_counts_sql(
    con: SQLConnection, model: Model, table: str = "customers"
) -> tuple[int, dict]:
    row = con.execute(counts_query(model, table).sql(dialect="duckdb")).fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    return row[0], {sid: row[1 + i] for i, sid in enumerate(model.segments)}


_ASSIGNED_TYPES = {
    "control": "bool",
    "kept": "bool",
    "held": "bool",
    "priority": "int",
    "play_order": "int",
}


def create_empty_assigned(con: SQLConnection, model: Model) -> None:
    """`__assigned` without rows (no play is active), with the model's columns."""
    cols = ", ".join(
        f"{c} {SQL_TYPES[_ASSIGNED_TYPES.get(c, 'string')]}" for c in assign_columns(model)
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE __assigned ({cols})")


def assign(
    con: SQLConnection,
    model: Model,
    table: str = "customers",
    as_of: dt.date | None = None,
    contacts: str | None = None,
    picked: str | None = None,
) -> None:
    """Create the table `__assigned` with the assignment result (with `as_of`: among the plays
    active on that day; with `contacts`, the contact log's table: keeping the contact limits).

    `picked`: the view of the customers `pick_case` gave a play in the data check's scan (`load`
    with `pick`; the key and `play`): the assignment starts from it instead of reading `table`."""
    q = assignment_query(model, table, "duckdb", as_of, contacts)
    if q is None:
        create_empty_assigned(con, model)
        return
    parts = _pick_parts(q, table) if picked is not None else None
    if parts is not None:  # the play is already chosen: the pick reads it, not the whole table
        from sqlglot import exp

        case, source = parts
        case.set("this", exp.column("play", quoted=True))
        source.replace(exp.Table(this=exp.to_identifier(picked)))
    # kept rows first, sorted by play: each play's file then reads a few row groups (zonemaps), not all
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE __assigned AS SELECT * FROM ({q.sql(dialect='duckdb')}) "
        "ORDER BY play_order"
    )


def pick_case(model: Model, as_of: dt.date | None, table: str = "customers") -> exp.Expr | None:
    """The assignment's pick (the first play in assignment order that admits the customer, NULL
    for none) as one expression over the customer columns: `load` computes it in the data check's
    scan, so that the assignment does not read the data a second time. None when the assignment
    has no such pick (no active play)."""
    q = assignment_query(model, table, "duckdb", as_of)
    parts = _pick_parts(q, table) if q is not None else None
    return parts[0].this.copy() if parts is not None else None


def _pick_parts(q: exp.Select, table: str) -> tuple[exp.Alias, exp.Table] | None:
    """In an assignment query: the pick's `CASE … AS play` and the table it reads (None if the
    query has another shape: then nothing is computed ahead)."""
    from sqlglot import exp

    ctes = [c for c in q.find_all(exp.CTE) if c.alias == "pick"]
    if len(ctes) != 1:
        return None
    cases = [
        a for a in ctes[0].find_all(exp.Alias) if a.alias == "play" and isinstance(a.this, exp.Case)
    ]
    tables = [t for t in ctes[0].find_all(exp.Table) if t.name == table]
    return (cases[0], tables[0]) if len(cases) == 1 and len(tables) == 1 else None


def count_exprs(model: Model) -> list[exp.Expr]:
    """count_if per segment (three-valued rule: NULL is not counted, as FALSE)."""
    from sqlglot import exp

    from ..backends.sql import CompileError, compile_rule

    out: list[exp.Expr] = []
    for sid in model.segments:
        rule = model.typed_segment_rule(sid)
        if rule is None:
            raise CompileError(f"the rule of segment `{sid}` does not type-check")
        out.append(exp.CountIf(this=compile_rule(rule, model.schema)))
    return out


def load(
    con: SQLConnection,
    model: Model,
    data_path: Path,
    with_counts: bool = False,
    pick: exp.Expr | None = None,
) -> Source:
    """Read and check the data; with_counts: also count segments in the check's scan when
    possible; `pick` (`pick_case`): also pick the plays in it (`Source.picked`)."""
    if isinstance(con, Connection):
        con.data_path = Path(data_path)
    try:
        extra = count_exprs(model) if with_counts and model.schema is not None else None
        return prepare(con, Path(data_path), model.schema, extra=extra, pick=pick)
    except duckdb.Error as e:  # pragma: no cover - prepare converts the expected ones
        raise DataError(f"cannot read {data_path}: {e}") from None
