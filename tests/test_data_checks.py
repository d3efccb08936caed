"""Bad data: every problem is an error naming the column and a row, exit 2, nothing written."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner
from conftest import write_project

from stratlang.cli import _register, main

PROJECT = """
strategy "T" { period 2026-01-01 .. 2026-12-31  locale en }
schema customer {
  id      string key
  age     int
  aum     money
  payroll bool
  risk    enum(R1, R2, R3) risk_tolerance
  opened  date
  email   string optional
}
objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-12-31 }
channel sms "SMS" { kind sms  capacity unlimited }
script s1 "s" { channel sms  pitch "hi"  opt_out "STOP" }
segment young "Young" { rule age < 30 }
play p "P" { segment young  step 1 sms using s1  supports F1  target t "t" >= 1% by 2026-12-31  control 10% }
"""

HEADER = "id,age,aum,payroll,risk,opened,email\n"
GOOD = [
    "c1,25,1000.5,true,R1,2025-01-02,a@x.com",
    "c2,40,20,false,R3,2025-03-04,",
    "c3,29,0,true,R2,2024-12-31,b@x.com",
    "c4,22,5,false,R2,2025-06-30,",
]


@pytest.fixture
def run(tmp_path):
    _register()
    entry = write_project(tmp_path, {"main.strat": PROJECT})
    out = tmp_path / "lists"

    def go(lines, header=HEADER, name="customers.csv", extra=()):
        data = tmp_path / name
        data.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
        r = CliRunner().invoke(
            main, ["lists", str(entry), "--data", str(data), "-o", str(out), *extra]
        )
        return r, out

    return go


def test_good_data_passes(run):
    r, out = run(GOOD)
    assert r.exit_code == 0, r.output
    assert (out / "p.csv").exists() and (out / "summary.json").exists()


def _fails(r, out, *needles):
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    for n in needles:
        assert n in r.output, (n, r.output)
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".lists")]


def test_missing_column(run):
    r, out = run(
        [",".join(x.split(",")[:6]) for x in GOOD], header="id,age,aum,payroll,risk,opened\n"
    )
    _fails(r, out, "missing column `email`")


def test_text_in_int_column(run):
    lines = GOOD[:2] + ["c3,abc,0,true,R2,2024-12-31,"] + GOOD[3:]
    r, out = run(lines)
    _fails(r, out, "column `age`", "`abc`", "row 3")


def test_fraction_in_int_column(run):
    r, out = run(GOOD[:3] + ["c4,22.5,5,false,R2,2025-06-30,"])
    _fails(r, out, "column `age`", "row 4", "integer")


def test_bad_bool_and_date(run):
    r, out = run(["c1,25,1,maybe,R1,2025-01-02,", "c2,25,1,true,R1,31.02.2025,"])
    _fails(r, out, "column `payroll`", "`maybe`", "row 1", "column `opened`", "row 2")


def test_null_in_required_field(run):
    r, out = run(GOOD[:1] + ["c2,,20,false,R3,2025-03-04,"] + GOOD[2:])
    _fails(r, out, "column `age`", "row 2", "not optional")


def test_null_in_optional_field_is_fine(run):
    r, out = run(GOOD)  # email empty in rows 2 and 4
    assert r.exit_code == 0, r.output


def test_duplicate_key(run):
    r, out = run(GOOD + ["c2,50,1,true,R1,2025-01-01,"])
    _fails(r, out, "column `id`", "duplicate key `c2`", "rows 2, 5")


def test_unknown_enum_value(run):
    r, out = run(GOOD[:2] + ["c3,29,0,true,R9,2024-12-31,"])
    _fails(r, out, "column `risk`", "`R9`", "row 3", "enum(R1, R2, R3)")


def test_ragged_csv_row(run):
    r, out = run(GOOD[:2] + ["c3,29,0,true,R2,2024-12-31,x,EXTRA"] + GOOD[3:])
    _fails(
        r,
        out,
        "cannot read",
        "row 3 (line 4) has 8 fields but the header has 7",
        "after column `email`",
    )
    assert "EXTRA" not in r.output  # no line of customer data in the message


def test_short_csv_row_names_the_missing_column(run):
    r, out = run(GOOD[:3] + ["c4,22,5,false,R2"])
    _fails(r, out, "row 4 (line 5) has 5 fields but the header has 7: column `opened` is missing")


def test_ragged_row_beyond_the_sniffer_sample(run):
    lines = [f"k{i},30,1,true,R1,2025-01-02," for i in range(30000)]
    lines[25000] += ",EXTRA"
    r, out = run(lines)
    _fails(r, out, "row 25001 (line 25002) has 8 fields")


def test_semicolon_and_quoted_fields(run):
    header = HEADER.replace(",", ";")
    r, out = run(
        [
            'c1;25;1000.5;true;R1;2025-01-02;"a;b@x.com"',
            'c2;40;20;false;R3;2025-03-04;"multi\nline"',
        ],
        header=header,
    )
    assert r.exit_code == 0, r.output


def test_unreadable_file(run, tmp_path):
    _register()
    entry = tmp_path / "main.strat"
    data = tmp_path / "customers.parquet"
    data.write_bytes(b"PAR1 this is not parquet")
    out = tmp_path / "lists"
    r = CliRunner().invoke(main, ["lists", str(entry), "--data", str(data), "-o", str(out)])
    _fails(r, out, "cannot read", "Parquet")


def test_missing_data_file(tmp_path):
    _register()
    entry = write_project(tmp_path, {"main.strat": PROJECT})
    r = CliRunner().invoke(
        main, ["lists", str(entry), "--data", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o")]
    )
    assert r.exit_code == 2 and "not found" in r.output


def test_existing_output_unchanged_on_bad_data(run):
    r, out = run(GOOD)
    assert r.exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    r, out = run(GOOD + ["c1,1,1,true,R1,2025-01-01,"])
    assert r.exit_code == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_parquet_and_duckdb_sources_checked_too(tmp_path):
    _register()
    entry = write_project(tmp_path, {"main.strat": PROJECT})
    csv = tmp_path / "c.csv"
    csv.write_text(
        HEADER + "\n".join(GOOD + ["c5,33,1,true,R7,2025-01-01,"]) + "\n", encoding="utf-8"
    )
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    con.execute(f"CREATE TABLE customer AS SELECT * FROM read_csv('{csv}', all_varchar=true)")
    con.execute(f"COPY customer TO '{tmp_path / 'c.parquet'}' (FORMAT parquet)")
    con.close()
    for name in ("c.parquet", "db.duckdb"):
        out = tmp_path / f"out-{name}"
        r = CliRunner().invoke(
            main, ["lists", str(entry), "--data", str(tmp_path / name), "-o", str(out)]
        )
        _fails(r, out, "column `risk`", "`R7`", "row 5")


def test_duckdb_file_without_the_table(tmp_path):
    _register()
    entry = write_project(tmp_path, {"main.strat": PROJECT})
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    con.execute("CREATE TABLE other (x INT)")
    con.close()
    out = tmp_path / "o"
    r = CliRunner().invoke(
        main, ["lists", str(entry), "--data", str(tmp_path / "db.duckdb"), "-o", str(out)]
    )
    _fails(r, out, "no table named `customer`", "other")


def test_empty_file(run, tmp_path):
    entry = tmp_path / "main.strat"
    data = tmp_path / "empty.csv"
    data.write_bytes(b"")
    out = tmp_path / "lists"
    r = CliRunner().invoke(main, ["lists", str(entry), "--data", str(data), "-o", str(out)])
    _fails(r, out, "is empty")


def test_not_utf8(run, tmp_path):
    entry = tmp_path / "main.strat"
    data = tmp_path / "gbk.csv"
    data.write_bytes((HEADER + "c1,25,1,true,R1,2025-01-02,张三\n").encode("gbk"))
    out = tmp_path / "lists"
    r = CliRunner().invoke(main, ["lists", str(entry), "--data", str(data), "-o", str(out)])
    _fails(
        r,
        out,
        "cannot read",
        "not UTF-8",
        "row 1 (line 2), column `email`",
        "iconv -f GBK -t UTF-8",
    )
    assert "Original Line" not in r.output
