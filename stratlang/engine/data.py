"""Reading customer data into DuckDB and checking it against the schema, all in SQL.

`prepare(con, path, schema)` opens a CSV, Parquet or DuckDB file, checks it (missing columns,
wrong types, NULLs in non-optional fields, unknown enum values, duplicate keys, unreadable files)
and creates the typed view `customers` (one column per schema field, in schema order) that the
compiled rules run on. Every check is a set-based DuckDB query (TRY_CAST, FILTER, GROUP BY) —
no Python loop over rows. Row numbers count data rows from 1 (the CSV header is not a row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlglot import exp

from ..backends.sql import SQL_TYPES, col, ident, string
from ..errors import StratlangError
from ..model import Schema

ROW = "__stratlang_row"
INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"} | INT_TYPES


class DataError(StratlangError):
    """The data cannot be used: unreadable, or it does not fit the schema. Exit code 2."""

    def __init__(self, message: str, help: str | None = None, problems: list[str] | None = None):
        super().__init__(message)
        self.help = help
        self.problems = problems or [message]


@dataclass
class Source:
    path: Path
    kind: str  # csv | parquet | duckdb
    rows: int = 0
    columns: dict = field(default_factory=dict)  # name -> DuckDB type
    extra: list | None = None  # values of check_and_type's `extra` aggregates, when computed


def detect_kind(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".gz", ".zst"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".duckdb", ".ddb", ".db")):
        return "duckdb"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None
    if head[:4] == b"PAR1":
        return "parquet"
    if head[8:12] == b"DUCK":
        return "duckdb"
    return "csv"


def _q(e: exp.Expression) -> str:
    return e.sql(dialect="duckdb")


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    if "not possible to automatically detect the CSV parsing dialect" in text:
        # DuckDB follows this with its whole search space (delimiters, quotes, comments)
        return "no CSV layout (delimiter, quoting) fits its content"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    keep = []
    for ln in lines[:6]:
        if ln.lower().startswith(("possible fixes", "* ")):
            break
        keep.append(ln)
    return " ".join(keep)[:600] or type(err).__name__


def open_source(con: duckdb.DuckDBPyConnection, path: Path, schema: Schema) -> Source:
    """Create the view `__src` (the file's columns plus a 1-based row number column)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a data file", help="give a CSV, Parquet or DuckDB file")
    kind = detect_kind(path)
    try:
        if path.stat().st_size == 0:
            raise DataError(f"{path} is empty", help="the data needs a header row and one row per customer")
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None
    lit = string(str(path))
    try:
        if kind == "csv":
            reader = exp.func("read_csv", lit,
                              exp.EQ(this=exp.column("all_varchar"), expression=exp.true()),
                              exp.EQ(this=exp.column("header"), expression=exp.true()),
                              exp.EQ(this=exp.column("strict_mode"), expression=exp.true()),
                              exp.EQ(this=exp.column("null_padding"), expression=exp.false()))
            con.execute(f"CREATE TEMP TABLE __raw AS SELECT * FROM {_q(reader)}")
            con.execute(f"CREATE TEMP VIEW __src AS SELECT rowid + 1 AS {ROW}, * FROM __raw")
        elif kind == "parquet":
            reader = exp.func("read_parquet", lit,
                              exp.EQ(this=exp.column("file_row_number"), expression=exp.true()))
            con.execute(f"CREATE TEMP VIEW __src AS SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {ROW} "
                        f"FROM {_q(reader)}")
        else:
            con.execute(f"ATTACH {_q(lit)} AS __userdb (READ_ONLY)")
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = '__userdb' ORDER BY table_name"
            ).fetchall()]
            tables += [r[0] for r in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE database_name = '__userdb' ORDER BY view_name"
            ).fetchall()]
            name = next((t for t in (schema.id, "customers") if t in tables), None)
            if name is None:
                raise DataError(f"{path} has no table named `{schema.id}` or `customers`",
                                help="tables found: " + (", ".join(tables) if tables else "none"))
            tbl = exp.Table(this=ident(name), db=ident("main"), catalog=ident("__userdb"))
            con.execute(f"CREATE TEMP VIEW __src AS SELECT rowid + 1 AS {ROW}, * FROM {_q(tbl)}")
        described = con.execute("DESCRIBE __src").fetchall()
    except DataError:
        raise
    except (duckdb.Error, OSError) as e:
        what = {"csv": "CSV", "parquet": "Parquet", "duckdb": "DuckDB database"}[kind]
        raise DataError(f"cannot read {path} as {what}: {_first_line(e)}",
                        help="the file must be UTF-8 CSV with a header row, and every row must have as many "
                             "fields as the header"
                        if kind == "csv" else None) from None
    columns = {r[0]: r[1] for r in described if r[0] != ROW}
    if kind == "csv":
        header = _csv_header(path)
        if header is not None and len(header) != len(columns):
            raise DataError(f"cannot read {path} as CSV: the header has {len(header)} fields but the rows have "
                            f"{len(columns)}",
                            help="every row must have as many fields as the header (quote fields that contain commas)")
    return Source(path, kind, columns=columns)


def _csv_header(path: Path) -> list[str] | None:
    """The CSV's first record as Python's csv module reads it (None when it cannot be read cheaply)."""
    import csv
    import gzip

    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
            sample = f.read(1 << 16)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        return next(csv.reader(sample.splitlines(), dialect), None)
    except (OSError, UnicodeDecodeError, csv.Error, EOFError):
        return None


def _base_type(t: str) -> str:
    return t.split("(")[0].upper()


def check_and_type(con: duckdb.DuckDBPyConnection, src: Source, schema: Schema, table: str = "customers",
                   extra: list | None = None) -> int:
    """Run every data check; raise DataError listing the problems. Creates the typed view `table`.

    `extra`: aggregate expressions over the typed columns (e.g. segment counts) to compute in the
    same scan when the file's types already match the schema; their values are left in
    `src.extra` (None when they could not share the scan). Returns the number of rows."""
    problems: list[str] = []
    missing = [f for f in schema.fields.values() if f.name not in src.columns]
    if missing:
        lower = {c.lower(): c for c in src.columns}
        for f in missing:
            near = lower.get(f.name.lower())
            hint = f" (found `{near}`: column names are case-sensitive)" if near else ""
            problems.append(f"missing column `{f.name}` (schema field `{f.name} {f.type}`){hint}")
        raise DataError(problems[0] if len(problems) == 1 else f"{len(problems)} problems in {src.path}",
                        help="columns in the file: " + ", ".join(f"`{c}`" for c in src.columns),
                        problems=problems)
    base = "__src"
    if src.kind == "duckdb":  # read the attached table once: schema columns (and row numbers) into memory
        cols_ = [exp.column(ROW)] + [col(f.name) for f in schema.fields.values()]
        try:
            con.execute(f"CREATE TEMP TABLE __data AS {_q(exp.select(*cols_).from_('__src'))}")
        except duckdb.Error as e:
            raise DataError(f"cannot read {src.path}: {_first_line(e)}") from None
        base = "__data"
    aggs: list[tuple[str, str, exp.Expression, exp.Expression]] = []  # (kind, field, condition, shown value)
    row = exp.column(ROW)
    for f in schema.fields.values():
        c = col(f.name)
        src_type = _base_type(src.columns[f.name])
        target = SQL_TYPES[f.type]
        present = exp.Not(this=exp.Is(this=c.copy(), expression=exp.Null()))
        if not f.optional:
            aggs.append(("null", f.name, exp.Is(this=c.copy(), expression=exp.Null()), exp.Null()))
        as_text = exp.Cast(this=c.copy(), to=exp.DataType.build("VARCHAR"))
        if f.type == "enum":
            bad = exp.and_(present, exp.Not(this=exp.In(this=as_text.copy(),
                                                        expressions=[string(v) for v in f.enum_values])))
            aggs.append(("enum", f.name, bad, as_text))
            continue
        if f.type == "string" or src_type == target or (target == "DOUBLE" and src_type in FLOAT_TYPES) \
                or (target == "BIGINT" and src_type in INT_TYPES):
            if target == "DOUBLE" and src_type in ("FLOAT", "DOUBLE", "REAL"):
                aggs.append(("type", f.name, exp.and_(present, exp.Not(this=exp.func("isfinite", c.copy()))),
                             as_text))
            continue
        tried = exp.TryCast(this=c.copy(), to=exp.DataType.build(target))
        bad = exp.and_(present, exp.Is(this=tried, expression=exp.Null()))
        if f.type == "int":
            as_double = exp.TryCast(this=c.copy(), to=exp.DataType.build("DOUBLE"))
            bad = exp.or_(bad, exp.and_(present.copy(), exp.NEQ(this=as_double, expression=tried.copy())))
        elif target == "DOUBLE":
            bad = exp.or_(bad, exp.and_(present.copy(), exp.Not(this=exp.func("isfinite", tried.copy()))))
        aggs.append(("type", f.name, bad, as_text))
    # pass 1: how many rows break each rule (cheap counts); pass 2 only for the rules that failed
    sel = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True)).from_(base)
    for i, (_, _, cond, _) in enumerate(aggs):
        sel = sel.select(exp.alias_(exp.CountIf(this=cond), f"c{i}"), copy=False)
    key = schema.key
    if key is not None:
        sel = sel.select(exp.alias_(exp.Count(this=exp.Distinct(expressions=[col(key)])), "distinct_keys"),
                         exp.alias_(exp.Count(this=col(key)), "keys"), copy=False)
    same_types = src.kind != "csv" and all(
        _base_type(src.columns[f.name]) == SQL_TYPES[f.type] for f in schema.fields.values())
    if extra and same_types:
        for j, e in enumerate(extra):
            sel = sel.select(exp.alias_(e, f"x{j}"), copy=False)
    try:
        res = con.execute(_q(sel)).fetchone()
        n = res[0]
        nk = 2 if key is not None else 0
        duplicates = key is not None and res[1 + len(aggs)] != res[2 + len(aggs)]
        if extra and same_types:
            src.extra = list(res[1 + len(aggs) + nk:])
        failed = [i for i in range(len(aggs)) if res[1 + i]]
        details = {}
        if failed:
            sel = exp.select(exp.Literal.number(1)).from_(base)
            for i in failed:
                cond, shown = aggs[i][2], aggs[i][3]
                sel = sel.select(
                    exp.alias_(exp.Filter(this=exp.Min(this=row.copy()), expression=exp.Where(this=cond.copy())),
                               f"r{i}"),
                    exp.alias_(exp.Filter(this=exp.func("arg_min", shown.copy(), row.copy()),
                                          expression=exp.Where(this=cond.copy())), f"v{i}"), copy=False)
            got = con.execute(_q(sel)).fetchone()
            for k, i in enumerate(failed):
                details[i] = (got[1 + 2 * k], res[1 + i], got[2 + 2 * k])
    except duckdb.Error as e:
        raise DataError(f"cannot read {src.path}: {_first_line(e)}") from None
    for i, (kind, name, _, _) in enumerate(aggs):
        if i not in details:
            continue
        first, count, value = details[i]
        f = schema.fields[name]
        more = f" ({count} rows in all)" if count > 1 else ""
        if kind == "null":
            problems.append(f"column `{name}`: empty value (NULL) in row {first}{more}; `{name}` is not optional")
        elif kind == "enum":
            problems.append(f"column `{name}`: `{value}` in row {first} is not a value of "
                            f"enum({', '.join(f.enum_values)}){more}")
        else:
            problems.append(f"column `{name}`: `{value}` in row {first} is not {_article(f.type)}{more}")
    if duplicates:
        dup = (exp.select(exp.alias_(exp.Cast(this=col(key), to=exp.DataType.build("VARCHAR")), "k", quoted=True),
                          exp.alias_(exp.func("list", exp.Order(this=row.copy(), expressions=[exp.Ordered(this=row.copy())])),
                                     "rows", quoted=True))
               .from_(base).where(exp.Not(this=exp.Is(this=col(key), expression=exp.Null())))
               .group_by(col(key)).having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))
        try:
            found = con.execute(f"SELECT k, rows FROM ({_q(dup)}) ORDER BY rows[1] LIMIT 1").fetchone()
        except duckdb.Error as e:
            raise DataError(f"cannot read {src.path}: {_first_line(e)}") from None
        if found is not None:
            rows = found[1]
            shown = ", ".join(str(r) for r in rows[:5]) + (", …" if len(rows) > 5 else "")
            problems.append(f"column `{key}`: duplicate key `{found[0]}` in rows {shown}")
    if problems:
        raise DataError(problems[0] if len(problems) == 1 else f"{len(problems)} problems in {src.path}",
                        help="fix the data (or the schema: mark a field `optional` if it may be empty)",
                        problems=problems)
    cols = []
    casts = False
    for f in schema.fields.values():
        c = col(f.name)
        src_type = _base_type(src.columns[f.name])
        if src_type != SQL_TYPES[f.type]:
            casts = True
            cast = exp.Cast(this=c, to=exp.DataType.build(SQL_TYPES[f.type]))
            if f.type == "int" and src_type not in INT_TYPES:  # checked integral above
                cast = exp.Cast(this=exp.Cast(this=c.copy(), to=exp.DataType.build("DOUBLE")),
                                to=exp.DataType.build("BIGINT"))
            cols.append(exp.alias_(cast, ident(f.name)))
        else:
            cols.append(c)
    view = exp.select(*cols).from_(base)
    if casts or src.kind == "csv":  # typed once, not on every scan
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_q(ident(table))} AS {_q(view)}")
        con.execute("DROP TABLE IF EXISTS __data")
        con.execute("DROP VIEW IF EXISTS __src")
        con.execute("DROP TABLE IF EXISTS __raw")
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_q(ident(table))} AS {_q(view)}")
    src.rows = n
    return n


def _article(t: str) -> str:
    return {"int": "an integer", "float": "a number", "money": "a number (money)",
            "percent": "a number (of percent)", "bool": "a bool (true/false)", "date": "a date (YYYY-MM-DD)"}.get(t, t)


def prepare(con: duckdb.DuckDBPyConnection, path: Path, schema: Schema, table: str = "customers",
            extra: list | None = None) -> Source:
    if schema is None or schema.key is None:
        raise DataError("the project declares no schema with a key field, so there is nothing to read data into")
    src = open_source(con, path, schema)
    check_and_type(con, src, schema, table, extra)
    return src
