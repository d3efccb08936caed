"""Duplicate keys, found cheaply (engine.data): keys in order cost nothing more than the check's
scan; keys out of order are proven distinct by their hashes; a duplicate is always named with its
rows, whatever the order of the file, its kind or NULL keys between the copies."""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner
from conftest import write_project

from stratlang.cli import _register, main

PROJECT = """
strategy "T" { period 2026-01-01 .. 2026-12-31  locale en }
schema customer {
  id      KEYTYPE key
  age     int
  aum     money
  email   string optional
}
objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-12-31 }
channel sms "SMS" { kind sms  capacity unlimited }
script s1 "s" { channel sms  pitch "hi"  opt_out "STOP" }
segment young "Young" { rule age < 30 }
play p "P" { segment young  step 1 sms using s1  supports F1  target t "t" >= 1% by 2026-12-31  control 10% }
"""


@pytest.fixture
def lists(tmp_path):
    _register()

    def go(rows_sql: str, kind: str = "parquet", key_type: str = "string"):
        """Customers from a DuckDB query (columns id, age, aum, email), written as `kind`."""
        folder = tmp_path / f"p{len(list(tmp_path.iterdir()))}"
        entry = write_project(folder, {"main.strat": PROJECT.replace("KEYTYPE", key_type)})
        data = folder / f"customers.{kind}"
        fmt = "parquet, ROW_GROUP_SIZE 2048" if kind == "parquet" else "csv, HEADER true"
        duckdb.connect().execute(f"COPY ({rows_sql}) TO '{data}' (FORMAT {fmt})")
        out = folder / "lists"
        r = CliRunner().invoke(main, ["lists", str(entry), "--data", str(data), "-o", str(out)])
        return r, out

    return go


def _rows(n: int, order: str = "i", key: str = "'c' || lpad(CAST(i AS VARCHAR), 7, '0')") -> str:
    return (
        f"SELECT {key} AS id, CAST(18 + i % 50 AS BIGINT) AS age, CAST(i AS DOUBLE) AS aum, "
        f"CAST(NULL AS VARCHAR) AS email FROM range({n}) t(i) ORDER BY {order}"
    )


@pytest.mark.parametrize("kind", ["parquet", "csv"])
@pytest.mark.parametrize("order", ["i", "i DESC", "hash(i)"])
def test_distinct_keys_in_any_order_pass(lists, kind, order):
    r, out = lists(_rows(20_000, order), kind)
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["customers"] == 20_000


@pytest.mark.parametrize("kind", ["parquet", "csv"])
@pytest.mark.parametrize("order", ["i", "hash(i)"])
def test_one_duplicate_among_many_is_named_with_its_rows(lists, kind, order):
    dup = _rows(
        20_000,
        order,
        key="'c' || lpad(CAST(CASE WHEN i = 15000 THEN 7 ELSE i END AS VARCHAR), 7, '0')",
    )
    r, out = lists(dup, kind)
    assert r.exit_code == 2, r.output
    assert "column `id`: duplicate key `c0000007` in rows " in r.output
    assert not out.exists()


def test_adjacent_duplicates_in_a_sorted_file(lists):
    r, _ = lists(_rows(5000, key="'c' || lpad(CAST(i // 2 AS VARCHAR), 7, '0')"))
    assert r.exit_code == 2
    assert "duplicate key `c0000000` in rows 1, 2" in r.output


def test_copies_split_by_a_null_key_are_both_reported(lists):
    key = "CASE WHEN i = 1 THEN NULL WHEN i = 2 THEN 'a' ELSE 'a' || CAST(i AS VARCHAR) END"
    r, _ = lists(_rows(4, key=key), "csv")  # rows: a0, (empty), a, a3
    assert r.exit_code == 2
    assert "column `id`: empty value (NULL) in row 2" in r.output
    r, _ = lists(_rows(4, key=key.replace("'a' || CAST(i AS VARCHAR)", "'a'")))  # a, NULL, a, a
    assert "column `id`: empty value (NULL) in row 2" in r.output
    assert "duplicate key `a` in rows 1, 3, 4" in r.output


def test_int_keys_written_as_floats_are_compared_as_ints(lists):
    # 12 and 12.0 are the same customer, in order or not
    rows = "SELECT * FROM (VALUES (11.0, 20, 1.0, NULL), (12.0, 20, 1.0, NULL), (12, 20, 1.0, NULL)) t(id, age, aum, email)"
    r, _ = lists(rows, key_type="int")
    assert r.exit_code == 2
    assert "duplicate key `12` in rows 2, 3" in r.output


# --------------------------------------------------------------------------- NULLs from the footer


@pytest.mark.parametrize("statistics", [True, False])
def test_null_in_a_parquet_column_found_with_or_without_footer_counts(tmp_path, statistics):
    """A Parquet footer that counts no NULL spares the column's check; without counts (or with
    a NULL) the scan checks it: the message is the same either way."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _register()
    entry = write_project(tmp_path, {"main.strat": PROJECT.replace("KEYTYPE", "string")})
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "age": pa.array([20, None, 40], pa.int64()),
            "aum": [1.0, 2.0, 3.0],
            "email": pa.array([None, None, None], pa.string()),
        }
    )
    data = tmp_path / "c.parquet"
    pq.write_table(table, data, write_statistics=statistics)
    r = CliRunner().invoke(
        main, ["lists", str(entry), "--data", str(data), "-o", str(tmp_path / "o")]
    )
    assert r.exit_code == 2, r.output
    assert "column `age`: empty value (NULL) in row 2; `age` is not optional" in r.output
    pq.write_table(table.set_column(1, "age", pa.array([20, 30, 40], pa.int64())), data)
    r = CliRunner().invoke(
        main, ["lists", str(entry), "--data", str(data), "-o", str(tmp_path / "o")]
    )
    assert r.exit_code == 0, r.output
