"""review.json's periods are written by DuckDB from the review's columns: the numbers, strings and
whole text must be exactly what `json.dumps` of Python's `round(x, 6)` gives."""

import dataclasses
import datetime as dt
import json
import math
import random
import struct

import duckdb
from test_review_actuals import DATA, PLAN

from stratlang.review import review, review_json
from stratlang.review.report import _ESCAPES, number, number_steps_sql, string_sql
from stratlang.review.result import PeriodRows


def _sql_numbers(values: list[float | None]) -> list[str]:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE v AS SELECT unnest(range(len($x))) AS i, unnest(CAST($x AS DOUBLE[])) AS x",
        {"x": values},
    )
    query = "SELECT i, x FROM v"
    for step in number_steps_sql("x"):
        query = f"SELECT *, {', '.join(step)} FROM ({query})"
    return [row[0] for row in con.execute(f"SELECT x__json FROM ({query}) ORDER BY i").fetchall()]


def _python_number(value: float | None) -> str:
    return json.dumps(number(value))


def test_numbers_round_and_print_as_python_does():
    rng = random.Random(7)
    values: list[float | None] = [None, 0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324]
    values += [
        2.0**33,
        -(2.0**33),
        math.nextafter(2.0**33, 0),
        1e300,
        -1e300,
        1.7976931348623157e308,
    ]
    values += [5e-7, -5e-7, 4.9999999e-7, 1.5e-6, 2.5e-6, 2.675, 0.5, 1.0000005, 105e9, 1e16]
    # exact ties at the 7th decimal: (2k + 1) / 128 is k × 10^-6 + 5 × 10^-7 exactly
    values += [(2 * k + 1) / 128 for k in range(-3000, 3000)]
    values += [(k + 0.5) / 1e6 for k in range(-3000, 3000)]
    values += [rng.gauss(0, 1) * 10 ** rng.uniform(-12, 14) for _ in range(40_000)]
    values += [rng.randrange(-(10**12), 10**12) / 10 ** rng.randrange(0, 10) for _ in range(20_000)]
    bits = (
        struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(20_000)
    )
    values += [v for v in bits if not math.isnan(v)]
    got = _sql_numbers(values)
    expected = [_python_number(v) for v in values]
    wrong = [(v, g, e) for v, g, e in zip(values, got, expected, strict=True) if g != e]
    assert not wrong, wrong[:10]


def test_strings_escape_as_json_dumps_does():
    texts = [None, "", "plain", "中文备注", 'say "hi"', "back\\slash", '\\"', "tab\there", "nl\nx"]
    texts += [chr(c) + "x" + chr(c) for c in range(0x80)]
    texts += ["\u2028\u2029", "\x7f", "=HYPERLINK()", "<b>&amp;</b>", "\u202e" + "rtl", "😀"]
    assert len(_ESCAPES) == 34
    con = duckdb.connect()
    con.execute("CREATE TABLE v (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(texts)))
    got = [r[0] for r in con.execute(f"SELECT {string_sql('x')} FROM v ORDER BY i").fetchall()]
    assert got == [json.dumps(t, ensure_ascii=False) for t in texts]


def test_the_columnar_periods_and_the_python_periods_give_the_same_text():
    result = review(
        PLAN, DATA / "actuals.csv", as_of=dt.date(2026, 10, 15), outcomes=DATA / "outcomes.csv"
    )
    given = dataclasses.replace(
        result,
        measures=tuple(
            dataclasses.replace(m, rows=PeriodRows.of(m.periods)) for m in result.measures
        ),
    )
    text = review_json(result)
    assert review_json(given) == text
    assert text.endswith("}\n") and "\n" not in text[:-1]
    doc = json.loads(text)
    assert [len(m["periods"]) for m in doc["measures"]] == [len(m.periods) for m in result.measures]
