"""Reading actuals and outcomes: every refusal names file, row and column; inputs of every kind;
hostile notes kept as data; review.json deterministic and shaped as its schema says."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from stratlang.engine.data import DataError
from stratlang.review import Plan, PlanMeasure, load_actuals, load_outcomes, review, review_json
from stratlang.review.plan import PlanError, plan_from_model
from stratlang.schemas import load_schema

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "review"
START, END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
PLAN = Plan(
    START,
    END,
    (
        PlanMeasure("F1.aum_total", "财富客户AUM余额", "money", ">=", 1200e8, baseline=1000e8),
        PlanMeasure("F1.fee_income", "财富中收", "money", ">=", 1.2e8),
        PlanMeasure("C1.nps", "财富客户净推荐值", "number", ">=", 45.0),
        PlanMeasure("P2.contact_cost", "单次有效触达成本（元）", "number", "<=", 2.5),
        PlanMeasure("C4.reactivated", "沉睡VIP唤醒率", "percent", ">=", 25.0),
        PlanMeasure("M.monthly", "月度新开户数", "number", ">=", 100.0, cadence="monthly"),
    ),
    plays=("vip_winback",),
)


def refused(tmp_path: Path, body: str, loader=load_actuals, name="actuals.csv") -> list[str]:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    con = duckdb.connect()
    with pytest.raises(DataError) as err:
        loader(con, path, PLAN)
    made = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not made & {"review_actuals", "review_outcomes"}  # nothing else happened
    return err.value.problems


HEADER = "measure,period,value\n"


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        ("F1.aum_totl,2026-Q1,1000亿", "measure", "did you mean `F1.aum_total`"),
        (",2026-Q1,1000亿", "measure", "no measure given"),
        ("F1.aum_total,2026-Q1,很多", "value", "`很多` is not a number"),
        ("F1.aum_total,2026-Q1,", "value", "(empty) is not a number"),
        ("F1.aum_total,2026-13,1000亿", "period", "`2026-13` is not a period"),
        ("F1.aum_total,2025-Q4,1000亿", "period", "outside the strategy period"),
        ("F1.aum_total,2027,1000亿", "period", "outside the strategy period"),
        ("F1.aum_total,2026-03,1000亿", "period", "reviewed quarterly"),
        ("F1.aum_total,2026-05-31,1000亿", "period", "is not a quarter"),
        ("M.monthly,2026-Q1,100", "period", "reviewed monthly"),
        ("F1.aum_total,2026-Q1,13%", "value", "is a percent but `F1.aum_total`"),
        ("C4.reactivated,2026-Q1,2亿", "value", "measured as a percentage"),
        ("C4.reactivated,2026-Q1,1:2", "value", "is a ratio"),
        ("C1.nps,2026-Q1,5x", "value", "is a multiple"),
        ("C1.nps,2026-Q1,1e999", "value", "is not a number"),
    ],
)
def test_each_bad_row_is_named_by_row_and_column(tmp_path, row, column, expected):
    good = "F1.fee_income,2026-Q1,2600万\n"
    problems = refused(tmp_path, HEADER + good + row + "\n")
    assert len(problems) == 1
    assert problems[0].startswith(f"actuals.csv row 2, column `{column}`: ")
    assert expected in problems[0]


def test_duplicate_measure_and_period_names_both_rows(tmp_path):
    body = HEADER + "C1.nps,2026-Q1,33\nC1.nps,2026-03-31,34\n"
    (problem,) = refused(tmp_path, body)
    assert problem.startswith("actuals.csv row 2, column `period`")
    assert "`2026-Q1` in row 1" in problem


def test_all_problems_at_once(tmp_path):
    body = HEADER + "X,2026-Q1,1\nC1.nps,bad,1\nC1.nps,2026-Q2,?\n"
    problems = refused(tmp_path, body)
    assert [p.split(":")[0] for p in problems] == [
        "actuals.csv row 1, column `measure`",
        "actuals.csv row 2, column `period`",
        "actuals.csv row 3, column `value`",
    ]


def test_missing_column(tmp_path):
    (problem,) = refused(tmp_path, "measure,period\nC1.nps,2026-Q1\n")
    assert "missing column `value`" in problem


def test_outcome_problems(tmp_path):
    body = (
        "play,period,group,contacted,converted\n"
        "vip_winbak,2026-Q2,treatment,10,1\n"
        "vip_winback,2026-Q2,holdout,10,1\n"
        "vip_winback,2026-Q2,treatment,-5,1\n"
        "vip_winback,2026-Q2,control,10,11\n"
        "vip_winback,2026-Q2,control,1.5,1\n"
    )
    problems = refused(tmp_path, body, load_outcomes, "outcomes.csv")
    assert [p.split(":")[0] for p in problems] == [
        "outcomes.csv row 1, column `play`",
        "outcomes.csv row 2, column `group`",
        "outcomes.csv row 3, column `contacted`",
        "outcomes.csv row 4, column `converted`",
        "outcomes.csv row 5, column `contacted`",
        "outcomes.csv row 5, column `group`",
    ]
    assert "did you mean `vip_winback`" in problems[0]
    assert "negative" in problems[2]
    assert "more than the 10 contacted" in problems[3]


HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+SUM(A1:A9)",
    "<script>alert('复核')</script>",
    "\x1b[31m红色\x1b[0m",
    "'; DROP TABLE review_actuals; --",
    "长" * 50_000,
]


def test_hostile_notes_are_kept_as_data(tmp_path):
    path = tmp_path / "actuals.parquet"
    con = duckdb.connect()
    con.execute("CREATE TABLE t(measure VARCHAR, period VARCHAR, value VARCHAR, note VARCHAR)")
    for i, note in enumerate(HOSTILE):
        con.execute("INSERT INTO t VALUES ('C1.nps', ?, '40', ?)", [f"2026-{i + 1:02d}-01", note])
    # dates that are not a quarter's last day would be refused: use the quarters instead
    con.execute("UPDATE t SET period = '2026-Q' || CAST(1 + (rowid % 4) AS VARCHAR)")
    con.execute("DELETE FROM t WHERE rowid >= 4")
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    r = review(PLAN, path, as_of=dt.date(2027, 1, 1))
    notes = [p.note for p in r.measures[2].periods]
    assert notes == HOSTILE[:4]
    doc = json.loads(review_json(r))
    assert [p["note"] for p in doc["measures"][2]["periods"]] == HOSTILE[:4]
    long = tmp_path / "long.csv"
    long.write_text(
        HEADER.strip() + ',note\nC1.nps,2026-Q1,40,"' + HOSTILE[-1] + '"\n', encoding="utf-8"
    )
    assert review(PLAN, long, as_of=dt.date(2027, 1, 1)).measures[2].periods[0].note == HOSTILE[-1]


def test_csv_parquet_and_duckdb_give_the_same_review(tmp_path):
    csv_result = review_json(review(PLAN, DATA / "actuals.csv", as_of=dt.date(2026, 10, 15)))
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE actuals AS SELECT * FROM read_csv('{DATA / 'actuals.csv'}', all_varchar=true)"
    )
    con.execute(f"COPY actuals TO '{tmp_path / 'a.parquet'}' (FORMAT parquet)")
    db = duckdb.connect(str(tmp_path / "a.duckdb"))
    db.execute(f"CREATE TABLE actuals AS SELECT * FROM read_parquet('{tmp_path / 'a.parquet'}')")
    db.close()
    for other in ("a.parquet", "a.duckdb"):
        assert (
            review_json(review(PLAN, tmp_path / other, as_of=dt.date(2026, 10, 15))) == csv_result
        )


def test_parquet_with_numeric_values(tmp_path):
    path = tmp_path / "n.parquet"
    duckdb.execute(
        f"COPY (SELECT 'F1.aum_total' AS measure, '2026-Q1' AS period, 1.05e11::DOUBLE AS value) "
        f"TO '{path}' (FORMAT parquet)"
    )
    r = review(PLAN, path, as_of=dt.date(2026, 4, 1))
    assert r.measures[0].periods[0].actual == 1.05e11


def test_review_json_is_deterministic_from_any_folder(tmp_path):
    args = dict(as_of=dt.date(2026, 10, 15), outcomes=DATA / "outcomes.csv")
    first = review_json(review(PLAN, DATA / "actuals.csv", **args))
    assert first == review_json(review(PLAN, DATA / "actuals.csv", **args))
    script = (
        "import datetime as dt, sys; sys.path.insert(0, sys.argv[1]);"
        "from tests.test_review_actuals import PLAN, DATA;"
        "from stratlang.review import review, review_json;"
        "sys.stdout.write(review_json(review(PLAN, DATA / 'actuals.csv', as_of=dt.date(2026, 10, 15),"
        " outcomes=DATA / 'outcomes.csv')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(ROOT)],
        cwd=tmp_path,
        capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
        check=True,
    )
    assert out.stdout.decode("utf-8") == first


def _check_shape(value, schema, defs, path="$"):
    """A small structural check against the review schema (jsonschema is not required)."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].split("/")[-1]]
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        py = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
        ok = any(
            isinstance(value, (int, float)) and not isinstance(value, bool)
            if t in ("number", "integer")
            else isinstance(value, py[t])
            for t in types
        )
        assert ok, f"{path}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r}"
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            assert key in value, f"{path}: missing {key}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                _check_shape(value[key], sub, defs, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check_shape(item, schema["items"], defs, f"{path}[{i}]")


def test_review_json_matches_its_schema():
    schema = load_schema("review")
    result = review(
        PLAN, DATA / "actuals.csv", as_of=dt.date(2026, 10, 15), outcomes=DATA / "outcomes.csv"
    )
    doc = json.loads(review_json(result))
    assert doc["format"] == "stratlang-review" and doc["format_version"] == 1
    assert doc["plays"][0]["id"] == "vip_winback"
    try:
        import jsonschema
    except ImportError:
        _check_shape(doc, schema, schema.get("$defs", {}))
    else:
        jsonschema.validate(doc, schema)


def test_plan_from_the_bank_example():
    import stratlang

    model = stratlang.load(ROOT / "examples" / "bank_wealth" / "main.strat").check().model
    plan = plan_from_model(model)
    ids = [m.id for m in plan.measures]
    assert ids[0] == "F1.aum_growth" and "vip_winback.aum_back" in ids
    aum = plan.measure("F1.aum_total")
    assert (aum.value, aum.baseline, aum.unit, aum.cadence) == (
        1200e8,
        1000e8,
        "number",
        "quarterly",
    )
    assert plan.measure("F1.aum_growth").unit == "percent"
    assert (plan.start, plan.end) == (START, END)


def test_inconsistent_plan_is_refused():
    with pytest.raises(PlanError):
        Plan(START, END, (PlanMeasure("a", "甲", "money", "between", 1.0),))


def test_the_fast_value_path_agrees_with_the_full_patterns():
    """Values matched by FAST_VALUE are split without captures; the parts must be the ones the
    full patterns give, for every kind of text."""
    from stratlang.review.actuals import (
        _value_class_sql,
        _value_part_sql,
        _value_parts_sql,
        _value_sql,
    )

    texts = [
        "1200", "+1.5", "-3", "0", "007", "13%", "2.2亿", "5600万", "1.5k", "3m", "3M", "5x",
        "5X", "5倍", "1e5", "1E-3", "1_000", "1__000", " 12 ", "12 ", "1.", ".5", "12 k",
        "1:1.2", "1：1.2", "abc", "", "١٢", "12%%", "--1", "1.2.3", "12亿亿", "inf", "nan",
        "0x10", "+-1", "12％", "1.5kk", "9" * 400, "1.5e400", "亿", "%", "-", "+", None,
    ]  # fmt: skip
    con = duckdb.connect()
    con.execute("CREATE TABLE v (t VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?)", [[t] for t in texts])
    fast = [_value_part_sql("t", k) for k in "nsab"]
    slow = [f"({_value_parts_sql('t')}).{k}" for k in "nsab"]

    def parsed(parts: list[str]) -> list[tuple[object, ...]]:
        n, s, a, b = parts
        cls = _value_class_sql(n, s, a)
        return con.execute(
            f"SELECT t, {cls}, {_value_sql(n, s, a, b, cls)} FROM v ORDER BY rowid"
        ).fetchall()

    assert parsed(fast) == parsed(slow)
