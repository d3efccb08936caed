"""The plays picked in the data check's scan (engine.data `pick`, a typed Parquet or DuckDB file)
give the same lists, byte for byte, as the assignment reading the data again (a CSV, which is
typed first): on the bank example and on generated projects with a holdout, consents and variants."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from test_governance_engine import AS_OF, HEAD, _checked, customers, generate

from stratlang.check import check_entry
from stratlang.engine import DataError, run_lists
from stratlang.engine import duckdb as ddb

BANK = Path(__file__).resolve().parent.parent / "examples" / "bank_wealth"
# the columns read_csv would not type as the schema does (the rest it detects alike)
BANK_TYPES = {"risk_assessed_on": "DATE", "deposit_maturity_days": "BIGINT", "email": "VARCHAR"}


def _as_parquet(csv: Path, types: dict[str, str], out: Path) -> Path:
    """The CSV as a Parquet file `out` whose column types are the schema's (nothing is cast)."""
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{csv}', header = true, types = {types!r})) "
        f"TO '{out}' (FORMAT parquet)"
    )
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _same_lists(model, csv: Path, parquet: Path, tmp: Path, as_of: dt.date) -> None:
    a = run_lists(model, csv, out_dir=tmp / "from-csv", fmt="csv", as_of=as_of)
    b = run_lists(model, parquet, out_dir=tmp / "from-parquet", fmt="csv", as_of=as_of)
    assert a.to_json() == b.to_json()
    assert _files(tmp / "from-csv") == _files(tmp / "from-parquet")


def test_the_scan_picks_the_plays_of_a_typed_file(tmp_path):
    model = check_entry(BANK / "main.strat").model
    parquet = _as_parquet(BANK / "data" / "customers.csv", BANK_TYPES, tmp_path / "c.parquet")
    as_of = dt.date(2026, 6, 1)
    con = ddb.connect()
    try:
        src = ddb.load(con, model, parquet, with_counts=True, pick=ddb.pick_case(model, as_of))
        assert src.picked is not None and src.extra is not None
        picked = con.execute(f"SELECT count(*) FROM {src.picked}").fetchone()
        assert picked is not None and picked[0] > 0
    finally:
        con.close()
    _same_lists(model, BANK / "data" / "customers.csv", parquet, tmp_path, as_of)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_holdout_consents_and_variants_alike(tmp_path, seed):
    text, _ = generate(seed)
    model, errors = _checked(tmp_path, text)
    assert not errors, errors
    csv = tmp_path / "c.csv"
    customers(csv, seed, 500)
    types = {"id": "VARCHAR", "age": "BIGINT", "sms_ok": "BOOLEAN", "call_ok": "BOOLEAN"}
    _same_lists(model, csv, _as_parquet(csv, types, tmp_path / "c.parquet"), tmp_path, AS_OF)


def test_no_customer_with_a_play(tmp_path):
    model = check_entry(BANK / "main.strat").model
    csv = tmp_path / "c.csv"
    lines = (BANK / "data" / "customers.csv").read_text(encoding="utf-8").splitlines()
    # the first customers, every one without marketing consent: no play admits them
    rows = [",".join(x.split(",")[:10] + ["false"] + x.split(",")[11:]) for x in lines[1:50]]
    csv.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    parquet = _as_parquet(csv, BANK_TYPES, tmp_path / "c.parquet")
    _same_lists(model, csv, parquet, tmp_path, dt.date(2026, 6, 1))
    summary = run_lists(model, parquet, as_of=dt.date(2026, 6, 1))
    assert all(p["assigned"] == 0 for p in summary.plays.values())


# segments over optional fields (NULL in many rows): a rule under NOT, a rule extending another,
# an enum test, and a play's `when rule` trigger; the scan computes each segment's truth once
# (NULL as not a member) and the pick reads it only where NULL and FALSE mean the same
NULLS_PROJECT = (
    HEAD.format(holdout="")
    + """
segment high "High" { rule score > 50 }
segment low "Low" { rule not (score > 50) and tier in [a, b] }
segment high_ok "High OK" { extends high  rule sms_ok }
segment rest "Rest" { rule tier is missing or not (age >= 40) }
play p_high "P high" { segment high_ok  offer fund  step 1 sms using s_sms  supports F1  priority 3 }
play p_low "P low" {
  segment low  when rule call_ok  offer fund  step 1 phone using s_phone  supports F1  priority 2
}
play p_rest "P rest" { segment rest  offer gift  step 1 app using s_app  supports F1  priority 1 }
"""
)


def test_rules_over_missing_values_alike(tmp_path):
    text = NULLS_PROJECT.replace(
        "  sms_ok  bool optional",
        "  sms_ok  bool optional\n  score int optional\n  tier enum(a, b, c) optional",
    )
    model, errors = _checked(tmp_path, text)
    assert not errors, errors
    csv = tmp_path / "c.csv"
    rows = ["id,age,sms_ok,call_ok,score,tier"]
    for i in range(400):
        score = "" if i % 5 == 0 else str((i * 37) % 100)
        tier = ["a", "b", "c", ""][i % 4]
        rows.append(
            f"c{i},{18 + i % 60},{['true', 'false', ''][i % 3]},{['', 'true', 'false'][i % 3]},{score},{tier}"
        )
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    types = {
        "id": "VARCHAR",
        "age": "BIGINT",
        "sms_ok": "BOOLEAN",
        "call_ok": "BOOLEAN",
        "score": "BIGINT",
        "tier": "VARCHAR",
    }
    parquet = _as_parquet(csv, types, tmp_path / "c.parquet")
    _same_lists(model, csv, parquet, tmp_path, AS_OF)
    summary = run_lists(model, parquet, as_of=AS_OF)
    # every count and list as the rules say, read row by row (three-valued: NULL is no member)
    expected = {"high": 0, "low": 0, "high_ok": 0, "rest": 0}
    for line in rows[1:]:
        _, age, sms, _, score, tier = line.split(",")
        expected["high"] += score != "" and int(score) > 50
        expected["low"] += score != "" and int(score) <= 50 and tier in ("a", "b")
        expected["high_ok"] += score != "" and int(score) > 50 and sms == "true"
        expected["rest"] += tier == "" or int(age) < 40
    assert summary.counts()["segments"] == expected


@pytest.mark.parametrize(
    ("values", "first", "count"),
    [
        (["a", "b", "x", "c"], "x", 1),
        (["a", "A", "b ", "a"], "A", 2),  # exact: no case folding, no trimming
        (["a", "d_2", "b", "c"], None, 0),
    ],
)
def test_enum_values_checked_exactly(tmp_path, values, first, count):
    text = HEAD.format(holdout="").replace(
        "  sms_ok  bool optional", "  sms_ok  bool optional\n  tier enum(a, b, c, d_2) optional"
    )
    text += 'segment s "S" { rule tier in [a] }\n'
    model, errors = _checked(tmp_path, text)
    assert not errors, errors
    n = len(values)
    ids = [f"c{i}" for i in range(n)]
    ages = [30] * n
    for kind in ("csv", "parquet"):
        path = tmp_path / f"c.{kind}"
        con = duckdb.connect()
        con.execute(
            "CREATE TABLE t AS SELECT * FROM (SELECT unnest($1) AS id, unnest($2) AS age, "
            "CAST(NULL AS BOOLEAN) AS sms_ok, CAST(NULL AS BOOLEAN) AS call_ok, "
            "unnest($3) AS tier)",
            [ids, ages, values],
        )
        con.execute(f"INSERT INTO t VALUES ('c{n}', 30, NULL, NULL, NULL)")  # NULL: optional
        options = "FORMAT csv, HEADER true" if kind == "csv" else "FORMAT parquet"
        con.execute(f"COPY (SELECT * FROM t ORDER BY id) TO '{path}' ({options})")
        con.close()
        if first is None:
            assert run_lists(model, path, as_of=AS_OF).counts()["segments"] == {"s": 1}
            continue
        with pytest.raises(DataError) as e:
            run_lists(model, path, as_of=AS_OF)
        row = values.index(first) + 1
        more = f" ({count} rows in all)" if count > 1 else ""
        assert e.value.problems == [
            f"column `tier`: `{first}` in row {row} is not a value of enum(a, b, c, d_2){more}"
        ], kind
