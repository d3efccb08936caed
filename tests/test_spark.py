"""The Spark engine runs the same compiled SQL and produces the same lists as DuckDB (real local Spark)."""

from __future__ import annotations

import datetime as dt

import pyspark  # noqa: F401
import pytest
from conftest import EXAMPLES, write_project

from stratlang import samples
from stratlang.backends.sql import bucket_of, hex_prefix_int, md5_text, string
from stratlang.check import check_entry
from stratlang.engine import run_lists

# end to end (the real executable, a browser, Spark or big inputs): not in `make test-fast`
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def spark():
    from stratlang.engine.spark import get_session

    return get_session("local[2]")


def _same_dirs(a, b):
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n


def _history_beside(model, data, day):
    """Rows for each history table beside the generated customers (found there by name): a
    random walk per customer and month, some customers without history, some NULL values."""
    import csv
    import random

    rng = random.Random(5)
    keys = [r[model.schema.key] for r in csv.DictReader(data.open(encoding="utf-8"))]
    for h in model.histories.values():
        lines = [",".join(h.fields)]
        for k in keys:
            if rng.random() < 0.15:
                continue
            value = rng.uniform(10, 120)
            for m in range(12):
                when = day - dt.timedelta(days=30 * m + rng.randrange(5))
                value *= rng.uniform(0.8, 1.2)
                row = []
                for f in h.fields.values():
                    if f.name == h.key:
                        row.append(k)
                    elif f.name == h.time:
                        row.append(when.isoformat())
                    elif f.type == "enum":
                        row.append(rng.choice(f.enum_values))
                    else:
                        row.append("" if f.optional and rng.random() < 0.05 else f"{value:.2f}")
                lines.append(",".join(row))
        (data.parent / f"{h.id}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("example", ["bank_wealth", "telecom_winback"])
def test_spark_lists_equal_duckdb(spark, tmp_path, example):
    model = check_entry(EXAMPLES / example / "main.strat").model
    data = tmp_path / "customers.csv"
    samples.write(model, data, n=3000, seed=5)
    day = dt.date(2026, 3, 15)  # inside every play's period of both examples
    if model.histories:
        _history_beside(model, data, day)
    d = run_lists(model, data, engine="duckdb", out_dir=tmp_path / "duck", as_of=day)
    s = run_lists(
        model, data, engine="spark", out_dir=tmp_path / "spark", spark_session=spark, as_of=day
    )
    assert not s.inactive and s.segments == d.segments and s.customers == 3000
    assert sum(p["control"] for p in s.plays.values()) > 0
    _same_dirs(tmp_path / "duck", tmp_path / "spark")


def test_spark_capacity_and_hash_equal_duckdb(spark, tmp_path):
    entry = write_project(
        tmp_path,
        {
            "main.strat": """
        strategy "T" { period 2026-01-01 .. 2026-01-10  locale en }
        schema customer { id int key  score int  vip bool }
        objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-01-10 }
        channel phone "Phone" { kind outbound_call  capacity 3 per day }
        script call "c" { channel phone  pitch "hi" }
        segment vips "VIP" { rule vip }
        segment high "High" { rule score >= 50 }
        play hi "H" { segment vips  step 1 phone using call  supports F1  priority 9  control 25%
                      target t "t" >= 1% by 2026-01-10 }
        play lo "L" { segment high  step 1 phone using call  supports F1  priority 2  control 25%
                      target t "t" >= 1% by 2026-01-10 }
        """
        },
    )
    model = check_entry(entry).model
    rows = [{"id": i, "score": (i * 7) % 100, "vip": i % 5 == 0} for i in range(1, 301)]
    data = tmp_path / "c.csv"
    data.write_text(samples.to_csv(model, rows), encoding="utf-8")
    d = run_lists(model, data, engine="duckdb", out_dir=tmp_path / "duck")
    run_lists(model, data, engine="spark", out_dir=tmp_path / "spark", spark_session=spark)
    assert d.dropped_by_capacity > 0
    _same_dirs(tmp_path / "duck", tmp_path / "spark")
    # the bucket computed by Spark equals Python's md5 bucket
    keys = ["C00000001", "客户-7", "a'b"]
    exprs = ", ".join(
        f"({hex_prefix_int(md5_text(string(k), string('p1'))).sql(dialect='spark')}) % 10000"
        for k in keys
    )
    got = list(spark.sql(f"SELECT {exprs}").collect()[0])
    assert got == [bucket_of(k, "p1") for k in keys]


def test_spark_play_periods_equal_duckdb(spark, tmp_path):
    """Two plays of equal priority on one segment with disjoint periods: on Spark, as on DuckDB,
    a day in a period gives every member to that play; a day in neither gives nobody."""
    entry = write_project(
        tmp_path,
        {
            "main.strat": """
        strategy "T" { period 2026-01-01 .. 2026-01-10  locale en }
        schema customer { id int key  score int }
        objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-01-10 }
        channel sms "SMS" { kind sms  capacity unlimited }
        script text "t" { channel sms  pitch "hi"  opt_out "STOP" }
        segment high "High" { rule score >= 50 }
        play early "E" { segment high  step 1 sms using text  supports F1  priority 5  control 10%
                         period 2026-01-01 .. 2026-01-04  target t "t" >= 1% by 2026-01-04 }
        play late "L" { segment high  step 1 sms using text  supports F1  priority 5  control 10%
                        period 2026-01-06 .. 2026-01-10  target t "t" >= 1% by 2026-01-10 }
        """
        },
    )
    res = check_entry(entry)
    assert "PLY607" not in [d.code for d in res.diagnostics]
    model = res.model
    rows = [{"id": i, "score": (i * 7) % 100} for i in range(1, 301)]
    members = sum(r["score"] >= 50 for r in rows)
    data = tmp_path / "c.csv"
    data.write_text(samples.to_csv(model, rows), encoding="utf-8")
    for day, active in (
        (dt.date(2026, 1, 2), "early"),
        (dt.date(2026, 1, 8), "late"),
        (dt.date(2026, 1, 5), None),
    ):
        d = run_lists(model, data, engine="duckdb", out_dir=tmp_path / f"d{day}", as_of=day)
        s = run_lists(
            model,
            data,
            engine="spark",
            out_dir=tmp_path / f"s{day}",
            spark_session=spark,
            as_of=day,
        )
        _same_dirs(tmp_path / f"d{day}", tmp_path / f"s{day}")
        assert s.inactive == d.inactive
        for play in ("early", "late"):
            assert s.plays[play]["assigned"] == (members if play == active else 0), (day, play)
