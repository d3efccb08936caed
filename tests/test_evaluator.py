"""The reference evaluator: SQL three-valued logic, enum order, percents, dates, deep nesting."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import BASE

from stratlang import parse_text
from stratlang.check.evaluator import RecordError, evaluate, member
from stratlang.check.types import normalize

SCHEMA_TEXT = BASE.replace(
    "  email      string optional\n",
    "  email      string optional\n  share percent\n  opened date\n"
    "  bonus money optional\n  vip bool optional\n  tier enum(A, B, C) optional\n",
)


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    from stratlang.check import check_entry

    p = tmp_path_factory.mktemp("ev") / "main.strat"
    p.write_text(SCHEMA_TEXT, encoding="utf-8")
    return check_entry(p).model.schema


def rule(text):
    f, errs = parse_text(f"segment s {{ rule {text} }}", "r.strat")
    assert not errs, errs
    return f.decls[0].items[0].value


REC = {
    "id": "C1",
    "age": 30,
    "aum": 200000,
    "payroll": True,
    "risk_level": "R3",
    "email": None,
    "share": 12.5,
    "opened": dt.date(2025, 5, 1),
    "bonus": None,
    "vip": None,
    "tier": None,
}


def ev(schema, text, **changes):
    return evaluate(rule(text), {**REC, **changes}, schema)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("age between 22 and 35", True),
        ("age between 31 and 35", False),
        ("aum >= 20万", True),
        ("aum > 20万", False),
        ("risk_level >= R3", True),  # declared order, not text order
        ("risk_level > R3", False),
        ("risk_level in [R1, R3]", True),
        ("risk_level not in [R1, R3]", False),
        ("share > 12%", True),  # percent fields hold the number of percent
        ("share >= 13%", False),
        ("opened > 2025Q1", True),  # a quarter means its last day: 2025-03-31
        ("opened >= 2025Q2", False),  # 2025-06-30
        ("opened <= 2025-05-01", True),
        ("payroll", True),
        ("not payroll", False),
        ("payroll = false", False),
        ('id = "C1"', True),
        ('id != "C1"', False),
    ],
)
def test_two_valued_comparisons(schema, text, expected):
    assert ev(schema, text) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("bonus > 5", None),  # comparison on NULL: UNKNOWN
        ("not (bonus > 5)", None),  # not UNKNOWN = UNKNOWN
        ("bonus = 5 or bonus != 5", None),  # no excluded middle
        ("bonus > 5 and age > 99", False),  # UNKNOWN and FALSE = FALSE
        ("bonus > 5 and age > 1", None),  # UNKNOWN and TRUE = UNKNOWN
        ("bonus > 5 or age > 1", True),  # UNKNOWN or TRUE = TRUE
        ("bonus > 5 or age > 99", None),  # UNKNOWN or FALSE = UNKNOWN
        ("bonus is missing", True),  # never UNKNOWN
        ("bonus is present", False),
        ("not (bonus is missing)", False),
        ("tier not in [A]", None),  # not in with NULL: UNKNOWN
        ("tier in [A, B, C]", None),
        ("vip", None),
        ("not vip", None),
        ("bonus between 1 and 2", None),
        ('email = "x"', None),
    ],
)
def test_three_valued_logic(schema, text, expected):
    assert ev(schema, text) is expected


def test_missing_key_is_null(schema):
    rec = dict(REC)
    del rec["bonus"]
    assert evaluate(rule("bonus is missing"), rec, schema) is True
    assert evaluate(rule("bonus < 1"), rec, schema) is None


def test_date_as_iso_text_and_bad_values(schema):
    assert ev(schema, "opened = 2025-05-01", opened="2025-05-01") is True
    with pytest.raises(RecordError):
        ev(schema, "risk_level > R1", risk_level="R9")
    with pytest.raises(RecordError):
        ev(schema, "age > 1", age="30")


def test_rule_that_does_not_type_check_is_refused(schema):
    with pytest.raises(ValueError):
        ev(schema, 'age > "x"')


def test_deep_nesting_is_fine(schema):
    # alternating not/and/or as deep as the parser allows, and a long chain of parentheses
    text = "age > 1"
    for i in range(90):
        text = f"not ({text} {'and' if i % 2 else 'or'} bonus > {i})"
    n, d = normalize(rule(text), schema)
    assert not d
    # reference: evaluate the same thing directly in Python with Kleene logic
    val = True
    for i in range(90):
        other = None  # bonus is NULL
        if i % 2:
            val = (
                False
                if (val is False or other is False)
                else (None if None in (val, other) else True)
            )
        else:
            val = (
                True
                if (val is True or other is True)
                else (None if None in (val, other) else False)
            )
        val = None if val is None else not val
    assert evaluate(n, REC, schema) is val
    text2 = "(" * 190 + "age > 1" + ")" * 190
    assert ev(schema, text2) is True


def test_evaluator_is_iterative(schema):
    # normalized trees far deeper than Python's recursion limit
    from stratlang.rules import All, Any, Cmp, Neg

    node = Cmp("age", ">", 1)
    for i in range(5000):
        node = Neg(All((node, Cmp("age", "<", 99)))) if i % 2 else Any((Cmp("age", "=", 7), node))
    # each pair of levels maps x -> not (x or FALSE and TRUE) = not x; 2500 negations = identity
    assert evaluate(node, REC, schema) is True
    assert evaluate(node, {**REC, "age": 0}, schema) is False


def test_member_uses_extends_chain(project):
    res = project(
        BASE + 'segment p "P" { rule aum >= 100万 }\nsegment c "C" { extends p rule age < 40 }\n'
    )
    m = res.model
    rec = {
        "id": "x",
        "age": 30,
        "aum": 2_000_000,
        "payroll": False,
        "risk_level": "R1",
        "email": None,
    }
    assert member(m, "c", rec) is True
    assert member(m, "c", {**rec, "aum": 10}) is False
    assert member(m, "c", {**rec, "age": 45}) is False
