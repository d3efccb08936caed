"""Reading customer data into DuckDB and checking it against the schema, all in SQL.

`prepare(con, path, schema)` opens a CSV, Parquet or DuckDB file, checks it (missing columns,
wrong types, NULLs in non-optional fields, unknown enum values, duplicate keys, unreadable files)
and creates the typed view `customers` (one column per schema field, in schema order) that the
compiled rules run on. Every check is a set-based DuckDB query (TRY_CAST, FILTER, GROUP BY) —
no Python loop over rows. Row numbers count data rows from 1 (the CSV header is not a row).

Names DuckDB gives virtual columns (`rowid`, `file_row_number`, `filename`, …) may also be the
names of the user's columns, so the file's columns are read under internal positional names
(`__c0`, `__c1`, …) and renamed back in the view `__src`; its row-number column gets a name that
is not a schema field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from sqlglot import exp

from ..backends.sql import SQL_TYPES, col, ident, string
from ..errors import StratlangError
from ..model import Schema
from . import timezones

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import TypeAlias

    from .duckdb import Connection

    # what the engine runs SQL on: a DuckDB connection, or engine.duckdb's wrapper around one
    SQLConnection: TypeAlias = duckdb.DuckDBPyConnection | Connection

ROW = "__stratlang_row"
INT_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"} | INT_TYPES
DEFAULT_HELP = "see docs/data.md for how the data is read and checked"
CSV_DELIMITERS = (",", "\t", ";", "|")
EXACT_DOUBLE = 2**53  # integers above this are not all exact as DOUBLE
# HUGEINT is written to Parquet as DOUBLE (lists, the copy handed to Spark), so an int column of
# these types is typed DECIMAL(38,0): exact in DuckDB, Parquet and Spark alike
WIDE_INTS = {"HUGEINT", "UHUGEINT"}
WIDE_INT = "DECIMAL(38, 0)"


class DataError(StratlangError):
    """The data cannot be used: unreadable, or it does not fit the schema. Exit code 2.

    `problems`: every problem found (each names the file's column and a row where there is one);
    a single problem is the message itself. `help`: what to do, always set."""

    def __init__(self, message: str, help: str | None = None, problems: list[str] | None = None):
        super().__init__(message)
        self.help = help or DEFAULT_HELP
        self.problems = list(problems) if problems else [message]


def _problems_error(path: Path, problems: list[str], help: str) -> DataError:
    message = problems[0] if len(problems) == 1 else f"{len(problems)} problems in {path}"
    return DataError(message, help=help, problems=problems)


@dataclass
class Source:
    path: Path
    kind: str  # csv | parquet | duckdb
    rows: int = 0
    columns: dict = field(default_factory=dict)  # the file's column name -> DuckDB type
    extra: list | None = None  # values of check_and_type's `extra` aggregates, when computed
    # check_and_type's `pick`, when computed in the check's scan: the view of the customers it
    # gives a play (columns: the key, `play`)
    picked: str | None = None
    reader: str = ""  # SQL of the relation that reads the file (csv: columns named __c0, __c1, …)
    names: dict = field(default_factory=dict)  # the file's column name -> its name in `reader`
    header: list = field(default_factory=list)  # csv: the header's names, in order
    delimiter: str = ","
    row: str = ROW  # name of the 1-based row-number column of `view`
    # the view of the file under schema names, and the in-memory copy behind it (when copied):
    # distinct per source, so that a customer view over `__src` survives reading a history file
    view: str = "__src"
    copy: str = "__data"


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


def _q(e: exp.Expr) -> str:
    return e.sql(dialect="duckdb")


def _first_line(err: Exception) -> str:
    """DuckDB's reason, short: no search space, no "Original Line" (customer data), no fixes."""
    text = str(err).strip()
    if "not possible to automatically detect the CSV parsing dialect" in text:
        # DuckDB follows this with its whole search space (delimiters, quotes, comments)
        return "no CSV layout (delimiter, quoting) fits its content"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    keep = []
    for ln in lines[:6]:
        if ln.lower().startswith(
            ("possible fixes", "possible solution", "* ", "file =", "line 1:")
        ):
            break
        if ln.startswith(("Original Line:", "CSV Error on Line:")):
            continue
        keep.append(ln)
    return " ".join(keep)[:600] or type(err).__name__


def _printable(text: str) -> str:
    """Data quoted in a message, with control characters escaped (no terminal escape sequences)."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text)
    )


def _opener(path: Path):
    import gzip

    return gzip.open if path.name.lower().endswith(".gz") else open


# --------------------------------------------------------------------------- opening a file


def open_source(con: SQLConnection, path: Path, schema: Schema) -> Source:
    """Find the file's kind and columns (nothing is read in bulk yet)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file not found: {path}", help="check the path given with --data")
    if path.is_dir():
        raise DataError(
            f"{path} is a folder, not a data file", help="give a CSV, Parquet or DuckDB file"
        )
    if not path.is_file():
        raise DataError(f"{path} is not a regular file", help="give a CSV, Parquet or DuckDB file")
    kind = detect_kind(path)
    try:
        if path.stat().st_size == 0:
            raise DataError(
                f"{path} is empty", help="the data needs a header row and one row per customer"
            )
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None
    src = Source(path, kind)
    lit = string(str(path))
    if kind == "csv":
        _open_csv(src)
        return src
    try:
        if kind == "parquet":
            src.reader = _q(exp.func("read_parquet", lit))
        else:
            con.execute(f"ATTACH {_q(lit)} AS __userdb (READ_ONLY)")
            tables = [
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = '__userdb' ORDER BY table_name"
                ).fetchall()
            ]
            tables += [
                r[0]
                for r in con.execute(
                    "SELECT view_name FROM duckdb_views() WHERE database_name = '__userdb' ORDER BY view_name"
                ).fetchall()
            ]
            name = next((t for t in (schema.id, "customers") if t in tables), None)
            if name is None:
                raise DataError(
                    f"{path} has no table named `{schema.id}` or `customers`",
                    help="tables found: " + (", ".join(tables) if tables else "none"),
                )
            src.reader = _q(
                exp.Table(this=ident(name), db=ident("main"), catalog=ident("__userdb"))
            )
        described = con.execute(f"DESCRIBE SELECT * FROM {src.reader}").fetchall()
    except DataError:
        raise
    except (duckdb.Error, OSError) as e:
        what = {"parquet": "Parquet", "duckdb": "DuckDB database"}[kind]
        raise DataError(
            f"cannot read {path} as {what}: {_first_line(e)}",
            help=f"the file must be a complete {what} file",
        ) from None
    src.columns = {r[0]: r[1] for r in described}
    src.names = {c: c for c in src.columns}
    return src


def _open_csv(src: Source) -> None:
    """Read the header with Python (one record), choose the delimiter, and build the reader.

    DuckDB's sniffer is not used: on a file with a ragged row it falls back to "one column per
    line" (or, with a multi-line field, to no rows at all), and it renames duplicate names. The
    reader gets the dialect and the columns (all text, internal names) explicitly, so a ragged
    row is DuckDB's error naming its line."""
    import codecs
    import csv
    import io
    import zlib

    path = src.path
    try:
        with _opener(path)(path, "rb") as f:
            raw = f.read(1 << 20)
            first = raw.split(b"\n", 1)[0]
            while len(first) == len(raw) and len(raw) < (
                64 << 20
            ):  # a header longer than the sample
                more = f.read(1 << 20)
                if not more:
                    break
                raw += more
                first = raw.split(b"\n", 1)[0]
            whole = not f.read(1)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    nul = raw.find(b"\0")
    if nul >= 0:  # no text file has one
        line = raw.count(b"\n", 0, nul) + 1
        raise DataError(
            f"cannot read {path} as CSV: it is not a text file (a NUL byte on line {line})",
            help="give a UTF-8 CSV, a Parquet or a DuckDB file",
        )
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _encoding_error(src) from None
    delim = "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else _delimiter(text)
    record = raw.decode("utf-8-sig", errors="replace")
    try:
        header = next(
            csv.reader(
                io.StringIO(record, newline=""),
                delimiter=delim,
                quotechar='"',
                doublequote=True,
                strict=False,
            ),
            None,
        )
    except csv.Error:
        header = None
    if not header or header == [""]:
        raise DataError(
            f"cannot read {path} as CSV: the first line is empty",
            help="the data needs a header row naming the columns",
        )
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(header):
        if name in seen and name != "":
            problems.append(
                f"column `{_printable(name)}` appears twice in the header (line 1): "
                f"columns {seen[name] + 1} and {i + 1}"
            )
        seen.setdefault(name, i)
    if problems:
        raise _problems_error(path, problems, "give every column its own name")
    src.header = header
    src.delimiter = delim
    try:  # the sample is UTF-8 (a character cut at its end is fine): binary junk stops here, named
        codecs.getincrementaldecoder("utf-8")().decode(raw, final=whole)
    except UnicodeDecodeError:
        raise _encoding_error(src) from None
    src.columns = dict.fromkeys(header, "VARCHAR")
    src.names = {name: f"__c{i}" for i, name in enumerate(header)}
    columns = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.Literal.string(f"__c{i}"), expression=string("VARCHAR"))
            for i in range(len(header))
        ]
    )

    def opt(k: str, v: exp.Expr) -> exp.Expr:
        return exp.EQ(this=exp.column(k), expression=v)

    src.reader = _q(
        exp.func(
            "read_csv",
            string(str(path)),
            opt("auto_detect", exp.false()),
            opt("header", exp.true()),
            opt("delim", string(delim)),
            opt("quote", string('"')),
            opt("escape", string('"')),
            opt("strict_mode", exp.true()),
            opt("null_padding", exp.false()),
            opt("columns", columns),
        )
    )


def _delimiter(header_line: str) -> str:
    """The delimiter of the header line: the most frequent candidate outside quotes (',' on a tie)."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equal counts
    return best if counts[best] else ","


# --------------------------------------------------------------------------- CSV errors with row, line and column


def _csv_error(src: Source, err: Exception) -> DataError:
    text = str(err)
    path = src.path
    if "invalid unicode" in text.lower() or "not utf-8" in text.lower():
        return _encoding_error(src)
    m = re.search(r"CSV Error on Line: (\d+)", text)
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    help = (
        "every row must have as many fields as the header; quote a field that contains the delimiter "
        f"(`{_shown(src.delimiter)}`) or a line break with double quotes"
    )
    if m and counts:
        line, want, got = int(m.group(1)), int(counts.group(1)), int(counts.group(2))
        where = f"row {line - 1} (line {line})"
        fields = f"{got} field" + ("s" if got != 1 else "")
        if got > want:
            what = (
                f"{where} has {fields} but the header has {want}: field {want + 1} comes after column "
                f"`{src.header[-1]}`"
            )
        else:
            what = f"{where} has {fields} but the header has {want}: column `{src.header[got]}` is missing"
        return DataError(f"cannot read {path} as CSV: {what}", help=help)
    if m:
        line = int(m.group(1))
        # DuckDB: "CSV Error on Line: N", "Original Line: …" (customer data, maybe several lines),
        # the reason, then "Possible fixes": the reason is the last line before the fixes
        body = re.split(r"\n\s*Possible (?:fixes|Solution)", text[m.end() :], maxsplit=1)[0]
        reason = next((ln.strip() for ln in reversed(body.splitlines()) if ln.strip()), "")
        if "unterminated quote" in reason:
            reason = 'a quoted field is not closed (a `"` inside a quoted field is written `""`)'
            help = 'close the quoted field, or write a quote inside a field as `""`'
        elif reason.startswith("Original Line:") or not reason:
            reason = "not valid CSV"
        return DataError(
            f"cannot read {path} as CSV: row {line - 1} (line {line}): {reason[:300]}", help=help
        )
    return DataError(f"cannot read {path} as CSV: {_first_line(err)}", help=help)


def _shown(delim: str) -> str:
    return "\\t" if delim == "\t" else delim


def _encoding_error(src: Source) -> DataError:
    """One line naming the first byte that is not UTF-8: its line, row, column and value."""
    path = src.path
    found = _first_bad_utf8(path)
    help = (
        f"convert the file to UTF-8, e.g. from GBK: `iconv -f GBK -t UTF-8 {path.name} > utf8-{path.name}` "
        "(-f names the file's real encoding: GB18030, BIG5, LATIN1, …)"
    )
    if found is None:
        return DataError(f"cannot read {path} as CSV: it is not UTF-8 text", help=help)
    line, before, bad, _ = found
    delim = (src.delimiter or _delimiter(before.decode("utf-8", "replace"))).encode()
    column = len(re.sub(rb'"[^"]*"', b"", before).split(delim))  # 1-based field of the bad byte
    if line == 1 or not src.header:
        where = (
            f"the header (line {line}), column {column}"
            if line == 1
            else f"line {line}, column {column}"
        )
    else:
        name = src.header[column - 1] if column <= len(src.header) else None
        where = f"row {line - 1} (line {line}), " + (
            f"column `{name}`" if name is not None else f"field {column}"
        )
    return DataError(
        f"cannot read {path} as CSV: it is not UTF-8: {where} has the byte 0x{bad.hex().upper()} "
        f"(byte {len(before) + 1} of the line)",
        help=help,
    )


def _first_bad_utf8(path: Path) -> tuple[int, bytes, bytes, bytes] | None:
    """(line number, the line's bytes before the bad byte, the bad byte(s), the rest of the line),
    or None. Decodes the file in 1 MB chunks (C speed); only ever run when DuckDB reports bad UTF-8."""
    line = 1
    tail = b""  # the current line's bytes seen so far (bounded)
    carry = b""
    try:
        with _opener(path)(path, "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                data = carry + chunk
                if not data:
                    return None
                try:
                    data.decode("utf-8")
                    good, carry = len(data), b""
                except UnicodeDecodeError as e:
                    if (
                        chunk and e.reason == "unexpected end of data"
                    ):  # a character cut by the chunk
                        good, carry = e.start, data[e.start :]
                    else:
                        start = data.rfind(b"\n", 0, e.start) + 1
                        before = (tail if start == 0 else b"") + data[start : e.start]
                        end = data.find(b"\n", e.end)
                        rest = data[e.end : end if end >= 0 else len(data)][:4096]
                        return (
                            line + data.count(b"\n", 0, e.start),
                            before[-65536:],
                            data[e.start : e.end],
                            rest,
                        )
                line += data.count(b"\n", 0, good)
                nl = data.rfind(b"\n", 0, good)
                tail = data[nl + 1 : good] if nl >= 0 else (tail + data[:good])[-65536:]
    except (OSError, EOFError):
        return None


# --------------------------------------------------------------------------- reading and checking


def _row_name(schema: Schema) -> str:
    return _free_name(schema, ROW)


def _free_name(schema: Schema, base: str) -> str:
    """`base`, or `base_1`, `base_2`, …: the first that is not a schema field."""
    name, i = base, 1
    while name in schema.fields:
        name, i = f"{base}_{i}", i + 1
    return name


def _read(con: SQLConnection, src: Source, schema: Schema) -> None:
    """Create the view `__src`: the row number (column `src.row`) and the schema's columns, under
    their schema names, whatever names DuckDB uses virtually."""
    src.row = _row_name(schema)
    fields = list(schema.fields)
    rename = ", ".join(
        f"{_q(ident(f'__f{j}'))} AS {_q(ident(name))}" for j, name in enumerate(fields)
    )
    if src.kind == "parquet" and "file_row_number" not in src.columns:
        # scanned in place; the reader's own row numbers
        lit = string(str(src.path))
        reader = _q(
            exp.func(
                "read_parquet",
                lit,
                exp.EQ(this=exp.column("file_row_number"), expression=exp.true()),
            )
        )
        picked = ", ".join(
            f"{_q(ident(name))} AS {_q(ident(f'__f{j}'))}" for j, name in enumerate(fields)
        )
        con.execute(
            f"CREATE TEMP VIEW {_q(ident(src.view))} AS SELECT file_row_number + 1 AS "
            f"{_q(ident(src.row))}, {rename} "
            f"FROM (SELECT file_row_number, {picked} FROM {reader})"
        )
        return
    # copied into memory (a CSV is read once; a DuckDB table is copied; a Parquet file whose own
    # column is named file_row_number too), schema columns only, in file order: row = rowid + 1
    picked = ", ".join(
        f"{_q(ident(src.names[name]))} AS {_q(ident(f'__f{j}'))}" for j, name in enumerate(fields)
    )
    setting = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    assert setting is not None  # a SELECT without FROM returns one row
    ordered = setting[0]
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(f"CREATE TEMP TABLE {_q(ident(src.copy))} AS SELECT {picked} FROM {src.reader}")
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if ordered else 'false'}")
    con.execute(
        f"CREATE TEMP VIEW {_q(ident(src.view))} AS SELECT rowid + 1 AS {_q(ident(src.row))}, "
        f"{rename} FROM {_q(ident(src.copy))}"
    )


def _base_type(t: str) -> str:
    return t.split("(")[0].upper()


def _integral(t: str) -> bool:
    """An integer type, or a DECIMAL without a fraction: kept as typed (exact), never via DOUBLE."""
    base = _base_type(t)
    return base in INT_TYPES or (base == "DECIMAL" and t.replace(" ", "").endswith(",0)"))


def _int_key(c: exp.Expr) -> exp.Expr:
    return exp.TryCast(this=c, to=exp.DataType.build("BIGINT"))


def check_and_type(
    con: SQLConnection,
    src: Source,
    schema: Schema,
    table: str = "customers",
    extra: list | None = None,
    pick: exp.Expr | None = None,
) -> int:
    """Run every data check; raise DataError listing the problems. Creates the typed view `table`.

    `extra`: aggregate expressions over the typed columns (e.g. segment counts) to compute in the
    same scan when the file's types already match the schema; their values are left in
    `src.extra` (None when they could not share the scan). `pick`: an expression over the typed
    columns giving a customer's play (NULL: none), also computed in that scan when it can be: the
    customers with a play are kept in the view `src.picked` (the key and `play`), so that the
    assignment does not read the data again (engine.duckdb.assign). Returns the number of rows."""
    problems: list[str] = []
    missing = [f for f in schema.fields.values() if f.name not in src.columns]
    if missing:
        lower = {c.lower().strip(): c for c in src.columns}
        for f in missing:
            near = lower.get(f.name.lower())
            hint = ""
            if near is not None:
                hint = f" (found `{_printable(near)}`: " + (
                    "column names are case-sensitive)"
                    if near.strip() == near
                    else "mind the spaces around the name)"
                )
            problems.append(f"missing column `{f.name}` (schema field `{f.name} {f.type}`){hint}")
        raise DataError(
            problems[0] if len(problems) == 1 else f"{len(problems)} problems in {src.path}",
            help="columns in the file: " + ", ".join(f"`{_printable(c)}`" for c in src.columns),
            problems=problems,
        )
    try:
        _read(con, src, schema)
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as e:
        if src.kind == "csv":
            raise _csv_error(src, e) from None
        raise DataError(f"cannot read {src.path}: {_first_line(e)}") from None
    base = src.view
    no_nulls = _columns_without_nulls(con, src)
    aggs: list[tuple[str, str, exp.Expr, exp.Expr]] = []  # (kind, field, condition, shown value)
    row = exp.column(src.row, quoted=True)
    for f in schema.fields.values():
        c = col(f.name)
        src_type = _base_type(src.columns[f.name])
        target = SQL_TYPES[f.type]
        present = exp.Not(this=exp.Is(this=c.copy(), expression=exp.Null()))
        if not f.optional and f.name not in no_nulls:
            aggs.append(("null", f.name, exp.Is(this=c.copy(), expression=exp.Null()), exp.Null()))
        as_text = exp.Cast(this=c.copy(), to=exp.DataType.build("VARCHAR"))
        if f.type == "enum":
            bad = exp.and_(present, _not_one_of(as_text.copy(), f.enum_values))
            aggs.append(("enum", f.name, bad, as_text))
            continue
        if (
            f.type == "int" and src_type in WIDE_INTS
        ):  # typed DECIMAL(38,0): the widest exact type everywhere
            aggs.append(
                (
                    "wide",
                    f.name,
                    exp.and_(
                        present,
                        exp.Is(
                            this=exp.TryCast(this=c.copy(), to=exp.DataType.build(WIDE_INT)),
                            expression=exp.Null(),
                        ),
                    ),
                    as_text,
                )
            )
            continue
        if (
            f.type == "string"
            or src_type == target
            or (target == "DOUBLE" and src_type in FLOAT_TYPES)
            or (target == "BIGINT" and _integral(src.columns[f.name]))
        ):
            if target == "DOUBLE" and src_type in ("FLOAT", "DOUBLE", "REAL"):
                aggs.append(
                    (
                        "type",
                        f.name,
                        exp.and_(present, exp.Not(this=exp.func("isfinite", c.copy()))),
                        as_text,
                    )
                )
            continue
        tried = exp.TryCast(this=c.copy(), to=exp.DataType.build(target))
        bad = exp.Is(this=tried, expression=exp.Null())
        if f.type == "int":
            # integral and exact: the DOUBLE comparison rejects fractions (and `0x10`); above 2^53,
            # where DOUBLE cannot tell 9007199254740993 from …992, an exact DECIMAL comparison
            # (in a CASE, so only those rare values pay for the DECIMAL cast)
            as_double = exp.TryCast(this=c.copy(), to=exp.DataType.build("DOUBLE"))
            as_decimal = exp.TryCast(this=c.copy(), to=exp.DataType.build("DECIMAL(38, 18)"))
            exact = exp.Between(
                this=tried.copy(),
                low=exp.Neg(this=exp.Literal.number(EXACT_DOUBLE)),
                high=exp.Literal.number(EXACT_DOUBLE),
            )
            bad = exp.or_(
                bad,
                exp.Case(
                    ifs=[
                        exp.If(
                            this=exact,
                            true=exp.NullSafeNEQ(this=as_double, expression=tried.copy()),
                        )
                    ],
                    default=exp.NullSafeNEQ(this=as_decimal, expression=tried.copy()),
                ),
            )
        elif target == "DOUBLE":
            bad = exp.or_(bad, exp.Not(this=exp.func("isfinite", tried.copy())))
        aggs.append(("type", f.name, exp.and_(present, exp.Paren(this=bad)), as_text))
    # pass 1: how many rows break each rule (cheap counts); pass 2 only for the rules that failed
    sel = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True)).from_(base)
    for i, (_, _, cond, _) in enumerate(aggs):
        sel = sel.select(exp.alias_(exp.CountIf(this=cond), f"c{i}"), copy=False)
    key = schema.key
    key_expr: exp.Expr | None = col(key) if key is not None else None
    if key is not None and schema.fields[key].type == "int" and not _integral(src.columns[key]):
        key_expr = _int_key(col(key))  # `12` and `12.0` are the same customer
    scanned = exp.select(exp.Star()).from_(base)  # the rows scanned, with the columns added below
    if key_expr is not None:
        sel = sel.select(exp.alias_(exp.Count(this=key_expr.copy()), "keys"), copy=False)
    same_types = src.kind != "csv" and all(
        _base_type(src.columns[f.name]) == SQL_TYPES[f.type] for f in schema.fields.values()
    )
    fold = pick is not None and same_types and key is not None and key != "play"
    members: list[tuple[exp.Expr, str]] = []  # (a segment's rule, the column holding its truth)
    if extra and same_types:
        for j, aggregate in enumerate(extra):
            if isinstance(aggregate, exp.CountIf):
                # a segment's rule evaluated once per row, for its count and for the pick: a
                # column of the scanned rows that both read
                members.append((aggregate.this, _free_name(schema, f"{ROW}_s{j}")))
                scanned = scanned.select(
                    exp.alias_(_truth(aggregate.this.copy()), members[-1][1], quoted=True),
                    copy=False,
                )
                aggregate = exp.CountIf(this=exp.column(members[-1][1], quoted=True))
            sel = sel.select(exp.alias_(aggregate, f"x{j}"), copy=False)
    play = _free_name(schema, ROW + "_play")
    if fold and pick is not None and key is not None:
        # the pick reads the members' columns for the rules it shares with the segments; the
        # customers with a play, gathered in the same scan: one list (of the few columns the
        # assignment needs), kept in a one-row table beside the counts and unnested by a view
        pick = _read_members(pick, members)
        scanned = scanned.select(exp.alias_(pick.copy(), play, quoted=True), copy=False)
        fields = [(key, col(key)), ("play", exp.column(play, quoted=True))]
        row_of = exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.Literal.string(name), expression=value)
                for name, value in fields
            ]
        )
        chosen = exp.Not(this=exp.Is(this=exp.column(play, quoted=True), expression=exp.Null()))
        sel = sel.select(
            exp.alias_(
                exp.Filter(this=exp.func("list", row_of), expression=exp.Where(this=chosen)),
                "__picked",
                quoted=True,
            ),
            copy=False,
        )
        src.picked = "__picked"
    sel = sel.from_(
        exp.Subquery(this=scanned, alias=exp.TableAlias(this=ident("__scan"))), copy=False
    )
    try:
        if src.picked is not None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE __checked AS {_q(sel)}")
            res = con.execute('SELECT * EXCLUDE ("__picked") FROM __checked').fetchone()
            # a table, not a view over the one-row list: the assignment reading it runs in parallel
            con.execute(
                'CREATE OR REPLACE TEMP TABLE __picked AS SELECT UNNEST(COALESCE("__picked", []), '
                "recursive := true) FROM __checked"
            )
            con.execute("DROP TABLE __checked")
        else:
            res = con.execute(_q(sel)).fetchone()
        assert res is not None  # aggregates without GROUP BY: always one row
        n = res[0]
        nk = 1 if key is not None else 0
        duplicates = key_expr is not None and _may_repeat(con, base, key_expr, res[1 + len(aggs)])
        if extra and same_types:
            src.extra = list(res[1 + len(aggs) + nk :])
        failed = [i for i in range(len(aggs)) if res[1 + i]]
        details = {}
        if failed:
            sel = exp.select(exp.Literal.number(1)).from_(base)
            for i in failed:
                cond, shown = aggs[i][2], aggs[i][3]
                sel = sel.select(
                    exp.alias_(
                        exp.Filter(
                            this=exp.Min(this=row.copy()), expression=exp.Where(this=cond.copy())
                        ),
                        f"r{i}",
                    ),
                    exp.alias_(
                        exp.Filter(
                            this=exp.func("arg_min", shown.copy(), row.copy()),
                            expression=exp.Where(this=cond.copy()),
                        ),
                        f"v{i}",
                    ),
                    copy=False,
                )
            got = con.execute(_q(sel)).fetchone()
            assert got is not None  # aggregates without GROUP BY: always one row
            for k, i in enumerate(failed):
                details[i] = (got[1 + 2 * k], res[1 + i], got[2 + 2 * k])
        # the zone field's values against the zone names both engines know (engine.timezones)
        zone_problems = timezones.check_values(con, base, src.row, schema)
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as e:
        raise DataError(f"cannot read {src.path}: {_first_line(e)}") from None
    for i, (kind, name, _, _) in enumerate(aggs):
        if i not in details:
            continue
        first, count, value = details[i]
        value = _printable(value) if value is not None else None
        f = schema.fields[name]
        more = f" ({count} rows in all)" if count > 1 else ""
        if kind == "null":
            problems.append(
                f"column `{name}`: empty value (NULL) in row {first}{more}; `{name}` is not optional"
            )
        elif kind == "enum":
            problems.append(
                f"column `{name}`: `{value}` in row {first} is not a value of "
                f"enum({', '.join(f.enum_values)}){more}"
            )
        elif kind == "wide":
            problems.append(
                f"column `{name}`: `{value}` in row {first} is too large for an int (at most 38 digits)"
                f"{more}; declare the field `string` if it is an identifier"
            )
        elif f.type == "int" and value is not None and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            problems.append(
                f"column `{name}`: `{value}` in row {first} is too large for an int (64 bits, at most "
                f"±9223372036854775807){more}; declare the field `string` if it is an identifier"
            )
        else:
            problems.append(
                f"column `{name}`: `{value}` in row {first} is not {_article(f.type)}{more}"
            )
    problems += zone_problems
    if duplicates:
        assert key_expr is not None  # keys are only counted when the schema has one
        dup = (
            exp.select(
                exp.alias_(
                    exp.Cast(this=key_expr.copy(), to=exp.DataType.build("VARCHAR")),
                    "k",
                    quoted=True,
                ),
                exp.alias_(
                    exp.func(
                        "list",
                        exp.Order(this=row.copy(), expressions=[exp.Ordered(this=row.copy())]),
                    ),
                    "rows",
                    quoted=True,
                ),
            )
            .from_(base)
            .where(exp.Not(this=exp.Is(this=key_expr.copy(), expression=exp.Null())))
            .group_by(key_expr.copy())
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        )
        try:
            found = con.execute(
                f"SELECT k, rows FROM ({_q(dup)}) ORDER BY rows[1] LIMIT 1"
            ).fetchone()
        except duckdb.OutOfMemoryException:
            raise
        except duckdb.Error as e:
            raise DataError(f"cannot read {src.path}: {_first_line(e)}") from None
        if found is not None:
            rows = found[1]
            listed = ", ".join(str(r) for r in rows[:5]) + (", …" if len(rows) > 5 else "")
            problems.append(
                f"column `{key}`: duplicate key `{_printable(found[0])}` in rows {listed}"
            )
    if problems:
        raise _problems_error(
            src.path,
            problems,
            "fix the data (or the schema: mark a field `optional` if it may be empty)",
        )
    cols = []
    casts = False
    for f in schema.fields.values():
        c = col(f.name)
        src_type = _base_type(src.columns[f.name])
        if f.type == "int" and src_type in WIDE_INTS:
            casts = True  # (checked above: it fits)
            cols.append(
                exp.alias_(exp.Cast(this=c, to=exp.DataType.build(WIDE_INT)), ident(f.name))
            )
        elif src_type != SQL_TYPES[f.type] and not (
            f.type == "int" and _integral(src.columns[f.name])
        ):
            casts = (
                True  # (checked above: an int is integral, so the cast is exact - never via DOUBLE)
            )
            cols.append(
                exp.alias_(
                    exp.Cast(this=c, to=exp.DataType.build(SQL_TYPES[f.type])), ident(f.name)
                )
            )
        else:
            cols.append(c)
    view = exp.select(*cols).from_(base)
    if casts or src.kind == "csv":  # typed once, not on every scan
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_q(ident(table))} AS {_q(view)}")
        con.execute(f"DROP VIEW IF EXISTS {_q(ident(src.view))}")
        con.execute(f"DROP TABLE IF EXISTS {_q(ident(src.copy))}")
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_q(ident(table))} AS {_q(view)}")
    src.rows = n
    return n


def _not_one_of(text: exp.Expr, values: Iterable[str]) -> exp.Expr:
    """TRUE when the (non-NULL) text is none of `values`, exactly: a TRY_CAST to an ENUM of them
    is NULL. Not `NOT text IN (…)`: DuckDB casts a dictionary-encoded column (Parquet) once per
    distinct value, where IN compares every row (0.02 s against 0.17 s CPU at 10M rows)."""
    enum = exp.DataType(
        this=exp.DataType.Type.ENUM, expressions=[string(v) for v in dict.fromkeys(values)]
    )
    return exp.Is(this=exp.TryCast(this=text, to=enum), expression=exp.Null())


def _truth(cond: exp.Expr) -> exp.Expr:
    """`CASE WHEN cond THEN TRUE ELSE FALSE END`: whether `cond` is true (NULL: FALSE). DuckDB
    tests a CASE's condition as a filter, each part of an AND only on the rows the parts before
    it kept, where the bare condition computes every part on every row (docs/data.md: the
    bank's 8 segments at 10M rows, 2.0 s against 2.7 s CPU for the whole scan)."""
    return exp.Case(ifs=[exp.If(this=cond, true=exp.true())], default=exp.false())


def _read_members(pick: exp.Expr, members: list[tuple[exp.Expr, str]]) -> exp.Expr:
    """The pick, reading a member's column (`_truth` of its rule) where it tests the same rule
    in a place where NULL and FALSE mean the same: a WHEN's condition, or a part of an AND that
    is one. Elsewhere (under NOT, in a COALESCE, …) the rule stays as written."""

    def truth_context(node: exp.Expr) -> exp.Expr:
        for rule, name in members:
            if node == rule:
                return exp.column(name, quoted=True)
        if isinstance(node, exp.Paren):
            return exp.Paren(this=truth_context(node.this))
        if isinstance(node, exp.And):
            return exp.And(this=truth_context(node.this), expression=truth_context(node.expression))
        return node

    if not isinstance(pick, exp.Case):
        return pick
    out = pick.copy()
    for branch in out.args.get("ifs") or []:
        branch.set("this", truth_context(branch.this))
    return out


def _columns_without_nulls(con: SQLConnection, src: Source) -> set[str]:
    """The columns of a Parquet file read in place whose footer counts no NULL in any row group
    (every row group carrying the count): their NULL check needs no scan, and a column that only
    it would read is not read at all. Empty for other files (and footers without counts)."""
    if src.kind != "parquet" or "file_row_number" in src.columns:
        return set()
    meta = exp.select(
        exp.column("path_in_schema"),
        exp.Count(this=exp.Star()),
        exp.Count(this=exp.column("stats_null_count")),
        exp.Sum(this=exp.column("stats_null_count")),
    ).from_(exp.func("parquet_metadata", string(str(src.path))))
    try:
        rows = con.execute(_q(meta.group_by(exp.column("path_in_schema")))).fetchall()
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error:  # no footer to read: the scan checks every column
        return set()
    return {name for name, groups, counted, nulls in rows if groups == counted and nulls == 0}


def _may_repeat(con: SQLConnection, base: str, key: exp.Expr, keys: int) -> bool:
    """Whether the `keys` non-NULL keys of `base` may repeat (False: they are all distinct).
    Cheaply (docs/data.md "Performance"), without count(DISTINCT) over the keys themselves:

    1. each key compared with the one before it in scan order (a streaming window over the key
       column alone: no hash table, no sort); when the non-NULL keys form one run, each greater
       than the one before, they are distinct - a file in key order pays only this;
    2. otherwise, as many distinct 64-bit hashes as keys prove them distinct (a hash table of
       integers, not of the keys);
    3. otherwise they may repeat: the caller looks for a repeated key exactly (and finds none
       when only hashes collided)."""
    if keys <= 1:
        return False
    run = exp.select(
        exp.CountIf(this=exp.GT(this=exp.column("k"), expression=exp.column("p")))
    ).from_(
        exp.Subquery(
            this=exp.select(
                exp.column("k"),
                exp.alias_(exp.Window(this=exp.func("lag", exp.column("k")), over="OVER"), "p"),
            ).from_(
                exp.Subquery(
                    this=exp.select(exp.alias_(key.copy(), "k")).from_(base),
                    alias=exp.TableAlias(this=ident("__keys")),
                )
            ),
            alias=exp.TableAlias(this=ident("__pairs")),
        )
    )
    ascending = con.execute(_q(run)).fetchone()
    assert ascending is not None  # an aggregate without GROUP BY returns one row
    if ascending[0] == keys - 1:  # (a NULL between two keys breaks the run)
        return False
    hashed = exp.select(
        exp.Count(this=exp.Distinct(expressions=[exp.func("hash", key.copy())]))
    ).from_(base)
    distinct = con.execute(_q(hashed)).fetchone()
    assert distinct is not None  # an aggregate without GROUP BY returns one row
    return distinct[0] != keys


def _article(t: str) -> str:
    return {
        "int": "an integer",
        "float": "a number",
        "money": "a number (money)",
        "percent": "a number (of percent)",
        "bool": "a bool (true/false)",
        "date": "a date (YYYY-MM-DD)",
    }.get(t, t)


def prepare(
    con: SQLConnection,
    path: Path,
    schema: Schema | None,
    table: str = "customers",
    extra: list | None = None,
    pick: exp.Expr | None = None,
) -> Source:
    if schema is None or schema.key is None:
        raise DataError(
            "the project declares no schema with a key field, so there is nothing to read data into",
            help="declare a `schema` with a `key` field (see docs/data.md)",
        )
    src = open_source(con, path, schema)
    check_and_type(con, src, schema, table, extra, pick)
    return src
