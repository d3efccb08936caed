"""History tables and aggregates in rules (docs/language.md §3.6): syntax, typing, the exact
segment reasoning, and the same answers from the reference evaluator, DuckDB and Spark on
generated histories with NULLs, customers without history and rows of unknown customers."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
import sqlglot
from conftest import ROOT

import stratlang
from stratlang.backends.sql import DIALECTS, render_sql, segments_query
from stratlang.check.evaluator import aggregate_value, member, with_aggregates
from stratlang.engine import duckdb as ddb
from stratlang.engine import history as hist
from stratlang.engine.data import DataError
from stratlang.fmt import format_text

AS_OF = dt.date(2026, 3, 15)
PROJECT = """strategy "History" {
  owner  "Test"
  period 2026-01-01 .. 2026-12-31
  locale en
}
schema customer {
  id   string key
  tier enum(low, mid, high)
}
history txn "Transactions" {
  customer_id string key
  at          date   time
  amount      money  optional
  kind        enum(topup, bill)
}
segment heavy "Heavy" {
  rule sum(txn.amount over 90d) >= 100 and count(txn where kind = topup over 30d) between 1 and 5
}
segment light "Light" {
  rule sum(txn.amount over 90d) < 100
}
segment quiet "Quiet" {
  rule days_since(last txn) > 20 or days_since(last txn) is missing
}
segment rising "Rising" {
  rule streak(txn.amount increasing) >= 2 or change(txn.amount over 3mo) < -30% or avg(txn.amount over 6mo) > 60
       or max(txn.amount over 1y) >= 90 or min(txn.amount over 12w) <= 5
}
segment never "Never" {
  rule count(txn over 30d) < 0
}
"""


def project(tmp_path: Path, text: str = PROJECT):
    f = tmp_path / "main.strat"
    f.write_text(text, encoding="utf-8")
    return stratlang.load(f).check()


def test_aggregates_format_stably_and_round_trip():
    text = format_text(PROJECT, "main.strat")
    assert format_text(text, "main.strat") == text
    assert "count(txn where kind = topup over 30d) between 1 and 5" in text
    assert "days_since(last txn) is missing" in text


def test_a_field_may_be_named_like_an_aggregate_function(tmp_path):
    res = project(
        tmp_path,
        PROJECT.replace("tier enum(low, mid, high)", "count int").replace(
            'segment never "Never" {\n  rule count(txn over 30d) < 0',
            'segment never "Never" {\n  rule count >= 2 and count(txn over 30d) < 0',
        ),
    )
    assert not [d for d in res.diagnostics if d.code.startswith(("SYN", "TYP"))]


def test_aggregates_are_derived_fields_with_their_bounds(tmp_path):
    res = project(tmp_path)
    derived = res.model.schema.derived
    count = derived["count(txn where kind = topup over 30d)"]
    assert (count.type, count.optional, count.minimum) == ("int", False, 0)
    assert derived["sum(txn.amount over 90d)"].type == "money"
    assert derived["days_since(last txn)"].optional
    assert derived["change(txn.amount over 3mo)"].type == "percent"
    # counts are never negative: the solver proves `never` empty (SEG501) ...
    empty = [d for d in res.diagnostics if d.code == "SEG501"]
    assert [d.message for d in empty] == [
        "segment `never` can match no customer: `count(txn over 30d) < 0` is never true"
    ]
    # ... and the same aggregate in two segments is one quantity: heavy and light never overlap
    assert not [d for d in res.diagnostics if d.code == "SEG502" and "heavy" in d.message]


def test_hostile_text_in_an_aggregate_stays_inside_its_sql_string_and_comment(tmp_path):
    text = PROJECT.replace(
        "  kind        enum(topup, bill)\n",
        "  kind        enum(topup, bill)\n  note        string optional\n",
    )
    text = text.replace(
        "rule count(txn over 30d) < 0",
        'rule count(txn where note = "x */ DROP TABLE t; --\\n\\u{2028}*/" over 30d) < 0',
    )
    model = project(tmp_path, text).model
    for dialect in DIALECTS:
        sql = render_sql(model, dialect)
        for line in sql.splitlines():
            if "/*" in line:  # each comment closes on its own line, once
                assert line.count("*/") == 1, line
        (tree,) = sqlglot.parse(sql, read=dialect)  # one statement: the project has no play
        strings = [lit.this for lit in tree.find_all(sqlglot.exp.Literal) if lit.is_string]
        assert any(v.startswith("x */ DROP TABLE t; --") for v in strings), dialect


def test_sql_in_every_dialect_reads_the_history_in_a_cte(tmp_path):
    model = project(tmp_path).model
    for dialect in DIALECTS:
        sql = render_sql(model, dialect)
        assert "customers_with_history" in sql and "GROUP BY" in sql, dialect
        assert "CURRENT_DATE" in sql.upper() or "CURRENT DATE" in sql.upper(), dialect


# --------------------------------------------------------------------------- the data


def _generate(tmp_path: Path, seed: int) -> tuple[Path, Path, list[dict], list[dict]]:
    rng = random.Random(seed)
    customers = [
        {"id": f"C{i:03d}", "tier": rng.choice(["low", "mid", "high"])} for i in range(120)
    ]
    rows = []
    for c in customers:
        if rng.random() < 0.2:
            continue  # no history at all
        day = AS_OF - dt.timedelta(days=rng.randrange(400))
        for _ in range(rng.randrange(1, 9)):
            amount = None if rng.random() < 0.1 else rng.randrange(0, 120)
            rows.append(
                {
                    "customer_id": c["id"],
                    "at": day,
                    "amount": amount,
                    "kind": rng.choice(["topup", "bill"]),
                }
            )
            day += dt.timedelta(days=rng.randrange(0, 70))  # some in the future of AS_OF, some ties
    rows.append({"customer_id": "NOBODY", "at": AS_OF, "amount": 5, "kind": "bill"})
    data = tmp_path / "customers.csv"
    data.write_text("id,tier\n" + "".join(f"{c['id']},{c['tier']}\n" for c in customers))
    txn = tmp_path / "txn.csv"
    txn.write_text(
        "customer_id,at,amount,kind\n"
        + "".join(
            f"{r['customer_id']},{r['at'].isoformat()},{'' if r['amount'] is None else r['amount']},{r['kind']}\n"
            for r in rows
        )
    )
    return data, txn, customers, rows


def _reference(model, customers, rows) -> dict[str, set[str]]:
    by_customer: dict[str, list[dict]] = {}
    for r in rows:
        by_customer.setdefault(r["customer_id"], []).append(r)
    out: dict[str, set[str]] = {s: set() for s in model.segments}
    for c in customers:
        rec = with_aggregates(
            c, {"txn": by_customer.get(c["id"], [])}, model.schema, model.histories, AS_OF
        )
        for s in model.segments:
            if member(model, s, rec):
                out[s].add(c["id"])
    return out


def _duckdb(model, data: Path, txn: Path) -> dict[str, set[str]]:
    con = ddb.connect()
    try:
        ddb.load(con, model, data)
        stats = hist.load(con, model, {"txn": txn})
        assert stats["txn"].unknown_keys == 1 and stats["txn"].example_key == "NOBODY"
        table = hist.enrich(con, model, AS_OF)
        got = con.execute(segments_query(model, table).sql(dialect="duckdb")).fetchall()
    finally:
        con.close()
    return {s: {r[0] for r in got if r[1 + i]} for i, s in enumerate(model.segments)}


@pytest.mark.parametrize(
    "seed", [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)]
)
def test_duckdb_agrees_with_the_reference_evaluator(tmp_path, seed):
    model = project(tmp_path).model
    data, txn, customers, rows = _generate(tmp_path, seed)
    expected = _reference(model, customers, rows)
    assert _duckdb(model, data, txn) == expected
    assert any(expected[s] for s in ("heavy", "quiet", "rising"))  # the data exercises the rules


def test_reference_aggregates_by_hand(tmp_path):
    model = project(tmp_path).model
    h = model.histories["txn"]
    derived = model.schema.derived
    rows = [
        {"at": "2026-01-10", "amount": 10, "kind": "bill"},
        {"at": "2026-02-10", "amount": 20, "kind": "topup"},
        {"at": "2026-03-10", "amount": 30, "kind": "topup"},
        {"at": "2026-03-20", "amount": 99, "kind": "topup"},
    ]  # after the as-of day: ignored
    value = {name: aggregate_value(f.aggregate, rows, h, AS_OF) for name, f in derived.items()}
    assert value["sum(txn.amount over 90d)"] == 60
    assert value["count(txn where kind = topup over 30d)"] == 1
    assert value["days_since(last txn)"] == 5
    assert value["streak(txn.amount increasing)"] == 2
    assert value["change(txn.amount over 3mo)"] == pytest.approx(200.0)


def test_history_files_are_checked_by_row_and_column(tmp_path):
    model = project(tmp_path).model
    data, txn, _, _ = _generate(tmp_path, 1)
    txn.write_text("customer_id,at,amount,kind\nC001,2026-02-30,5,bill\n")
    con = ddb.connect()
    try:
        ddb.load(con, model, data)
        with pytest.raises(DataError) as e:
            hist.load(con, model, {"txn": txn})
    finally:
        con.close()
    assert "column `at`: `2026-02-30` in row 1 is not a date" in str(e.value.problems)


def test_a_missing_history_file_is_named(tmp_path):
    model = project(tmp_path).model
    data, txn, _, _ = _generate(tmp_path, 1)
    txn.unlink()
    with pytest.raises(DataError, match="history table `txn`"):
        hist.find_files(model, data, {})
    with pytest.raises(DataError, match="not a history table"):
        hist.find_files(model, data, {"txns": data})


@pytest.mark.slow
def test_spark_counts_equal_duckdbs_and_the_reference_on_generated_history(tmp_path):
    from stratlang.engine import run_lists

    model = project(tmp_path).model
    data, _, customers, rows = _generate(tmp_path, 4)
    expected = {s: len(ids) for s, ids in _reference(model, customers, rows).items()}
    duck = run_lists(model, data, "duckdb", as_of=AS_OF)
    spark = run_lists(model, data, "spark", as_of=AS_OF)
    assert duck.counts()["segments"] == spark.counts()["segments"] == expected
    assert spark.history["txn"]["unknown_keys"] == 1


@pytest.mark.slow
def test_spark_lists_equal_duckdbs(tmp_path):
    from stratlang.engine import run_lists

    example = ROOT / "examples" / "telecom_winback"
    res = stratlang.load(example / "main.strat").check()
    data = example / "data" / "customers.csv"
    a = run_lists(res.model, data, "duckdb", tmp_path / "a", as_of=AS_OF)
    b = run_lists(res.model, data, "spark", tmp_path / "b", as_of=AS_OF)
    assert a.counts()["segments"] == b.counts()["segments"]
    assert a.counts()["segments"]["rising_mid"] > 0 and a.history["monthly"]["rows"] > 0
    for name in a.files:
        if name != "summary.json":
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), (
                name
            )


def _lists(tmp_path: Path, *extra: str):
    import subprocess
    import sys

    return subprocess.run(
        [
            str(Path(sys.executable).parent / "stratlang"),
            "lists",
            "main.strat",
            "--data",
            "customers.csv",
            "--as-of",
            AS_OF.isoformat(),
            "-o",
            "out",
            *extra,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow  # the command line end to end, one process per case
@pytest.mark.parametrize(
    "header, row, message",
    [
        (
            "customer_id,at,amount,kind",
            "C001,2026-13-01,5,bill",
            "column `at`: `2026-13-01` in row 1 is not a date",
        ),
        (
            "customer_id,at,amount,kind",
            "C001,2026-01-01,5,refund",
            "column `kind`: `refund` in row 1 is not a value of enum(topup, bill)",
        ),
        ("id,at,amount,kind", "C001,2026-01-01,5,bill", "missing column `customer_id`"),
        (
            "customer_id,at,amount,kind",
            ",2026-01-01,5,bill",
            "column `customer_id`: empty value (NULL) in row 1",
        ),
    ],
)
def test_a_bad_history_file_stops_the_run_with_nothing_written(tmp_path, header, row, message):
    project(
        tmp_path,
        PROJECT.replace('segment never "Never" {\n  rule count(txn over 30d) < 0\n}\n', ""),
    )
    data, txn, _, _ = _generate(tmp_path, 1)
    txn.write_text(f"{header}\n{row}\n")
    run = _lists(tmp_path)
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and "txn.csv" in run.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # the command line end to end
def test_unknown_customers_in_the_history_are_counted_and_said(tmp_path):
    project(
        tmp_path,
        PROJECT.replace('segment never "Never" {\n  rule count(txn over 30d) < 0\n}\n', ""),
    )
    _generate(tmp_path, 1)
    (tmp_path / "txn.csv").rename(tmp_path / "elsewhere.csv")
    run = _lists(tmp_path, "--history", "txn=elsewhere.csv")
    assert run.returncode == 0, run.stderr
    assert "history `txn`: 1 of" in run.stderr and "(e.g. `NOBODY`)" in run.stderr
    summary = __import__("json").loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["history"]["txn"]["unknown_keys"] == 1
    bad = _lists(tmp_path, "--history", "txn")
    assert bad.returncode == 2 and "--history takes NAME=FILE" in bad.stderr


def test_parquet_customers_read_in_place_and_a_parquet_history(tmp_path):
    """Customers whose Parquet types match the schema are read in place (a view over the file's
    view): reading the history beside them must not disturb it."""
    import duckdb

    from stratlang.engine import segment_counts

    model = project(tmp_path).model
    data, txn, customers, rows = _generate(tmp_path, 2)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{data}', all_varchar=true)) TO "
        f"'{tmp_path / 'customers.parquet'}' (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * FROM read_csv('{txn}')) TO '{tmp_path / 'txn.parquet'}' (FORMAT parquet)"
    )
    con.close()
    txn.unlink()
    counts = segment_counts(model, tmp_path / "customers.parquet", AS_OF)
    expected = {s: len(ids) for s, ids in _reference(model, customers, rows).items()}
    assert counts == expected
