"""TYP301, TYP302, TYP303, TYP305 (dates outside the strategy period), TYP306, and the normalized form."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import BASE

from stratlang.render import render
from stratlang.rules import (
    All,
    Any,
    Between,
    Cmp,
    IsMissing,
    IsTrue,
    Member,
    Neg,
    show,
)

PLAY_TAIL = """
objective F1 "F" { perspective financial }
channel phone "Phone" { kind outbound_call capacity 100 per day }
script s1 "S" { channel phone pitch "hi" disclaimer "risk" }
play p "P" { segment s step 1 phone using s1 supports F1 }
"""


def at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    idx = -1
    for _ in range(nth + 1):
        idx = text.index(needle, idx + 1)
    line = text.count("\n", 0, idx) + 1
    return line, idx - (text.rfind("\n", 0, idx) + 1) + 1


def diags(res, code):
    return [d for d in res.diagnostics if d.code == code]


def seg(rule: str) -> str:
    return BASE + f'segment s "S" {{ rule {rule} }}\n' + PLAY_TAIL


def typ(res):
    return [d.code for d in res.diagnostics if d.code.startswith("TYP")]


# --------------------------------------------------------------------------- TYP301


def test_typ301_unknown_field_suggests_closest(project):
    text = seg("agee > 30 and payroll")
    res = project(text)
    [d] = diags(res, "TYP301")
    assert d.message == "unknown field `agee` in the rule of segment `s`"
    assert (d.span.line, d.span.column) == at(text, "agee")
    assert d.span.end_column - d.span.column == 4
    assert "did you mean `age`?" in d.help[0]
    assert d.suggestions[0].replacement == "age"


def test_typ301_fixed(project):
    assert typ(project(seg("age > 30 and payroll"))) == []


def test_typ301_in_play_trigger(project):
    text = (
        BASE
        + 'segment s "S" { rule payroll }\n'
        + PLAY_TAIL.replace("supports F1 }", "supports F1 when rule aumm > 5 }")
    )
    [d] = diags(project(text), "TYP301")
    assert d.message == "unknown field `aumm` in the trigger of play `p`"
    assert (d.span.line, d.span.column) == at(text, "aumm")


def test_typ301_without_schema_says_to_declare_one(project):
    text = 'strategy "T" { period 2026-01-01 .. 2026-12-31 }\nsegment s "S" { rule age > 3 and aum > 5 }\n'
    res = project(text)
    [d] = diags(res, "TYP301")  # once per rule, not once per test
    assert "no schema" in d.message
    assert "schema customer" in d.help[0]


# --------------------------------------------------------------------------- TYP302


@pytest.mark.parametrize(
    "rule, bad, fragment",
    [
        ('age > "x"', '"x"', '`age` is an int field, but `"x"` is a string'),
        ("payroll > 3", "3", "`payroll` is a bool field and has no order"),
        ("aum > 5%", "5%", "`aum` is a money field, but `5%` is a percentage"),
        ("share > 5", "5", "`share` is a percent field, but `5` is a plain number"),
        ('city < "b"', '"b"', "strings can only be tested"),
        ("opened > 5", "5", "`opened` is a date field, but `5` is a number"),
        ("age > 2026-01-01", "2026-01-01", "`age` is an int field, but `2026-01-01` is a date"),
        ('age in [1, "x"]', '"x"', '`age` is an int field, but `"x"` is a string'),
        ('city between "a" and "b"', "city between", "`between` needs an ordered field"),
        ("payroll between 1 and 2", "payroll between", "`between` needs an ordered field"),
        ("age", "age", "a bare field is a bool test"),
        ("city = beijing", "beijing", "put text in quotes"),
        (
            'risk_level = "R2"',
            '"R2"',
            '`risk_level` is an enum(R1, R2, R3, R4, R5) field, but `"R2"` is a string',
        ),
    ],
)
def test_typ302_type_mismatch(project, rule, bad, fragment):
    text = seg(rule).replace(
        "  email      string optional\n",
        "  email      string optional\n  share percent\n  city string\n  opened date\n",
    )
    res = project(text)
    [d] = diags(res, "TYP302")
    assert fragment in d.message + " " + " ".join(d.help)
    assert (d.span.line, d.span.column) == at(
        text, bad, text.count(bad, 0, text.index("rule " + rule))
    )


@pytest.mark.parametrize(
    "rule",
    [
        "age > 30",
        "payroll = true",
        "not payroll",
        "aum > 5万",
        "share > 5%",
        'city in ["a", "b"]',
        "opened > 2026Q1",
        "risk_level between R1 and R3",
        "age between 1 and 2",
        'city != "x"',
    ],
)
def test_typ302_fixed(project, rule):
    text = seg(rule).replace(
        "  email      string optional\n",
        "  email      string optional\n  share percent\n  city string\n  opened date\n",
    )
    assert typ(project(text)) == []


# --------------------------------------------------------------------------- TYP303


def test_typ303_unknown_enum_value_suggests_closest(project):
    text = seg("risk_level >= R22")
    [d] = diags(project(text), "TYP303")
    assert d.message == "`R22` is not a value of `risk_level`"
    assert (d.span.line, d.span.column) == at(text, "R22")
    assert d.help[0] == "did you mean `R2`?"
    assert "R1, R2, R3, R4, R5" in d.help[-1]


def test_typ303_fixed(project):
    assert typ(project(seg("risk_level >= R2"))) == []


# --------------------------------------------------------------------------- TYP305


def test_typ305_target_deadline_after_period(project):
    text = BASE + 'objective F1 "F" { perspective financial target t "T" >= 5% by 2027-03-31 }\n'
    [d] = diags(project(text), "TYP305")
    assert "deadline of target `t` of objective `F1`" in d.message
    assert (d.span.line, d.span.column) == at(text, "2027-03-31")
    assert "2026-01-01 .. 2026-12-31" in d.help[0]


def test_typ305_play_and_initiative_periods(project):
    text = (
        BASE
        + 'segment s "S" { rule payroll }\n'
        + PLAY_TAIL.replace("supports F1 }", "supports F1 period 2025-12-01 .. 2026-03-31 }")
        + 'initiative i "I" { supports F1 period 2026-02-01 .. 2027-01-31 }\n'
    )
    ds = diags(project(text), "TYP305")
    assert [(d.span.line, d.span.column) for d in ds] == [
        at(text, "2025-12-01"),
        at(text, "2027-01-31"),
    ]
    assert "starts before" in ds[0].message and "ends after" in ds[1].message


def test_typ305_fixed(project):
    text = (
        BASE
        + 'segment s "S" { rule payroll }\n'
        + PLAY_TAIL.replace(
            "supports F1 }",
            'supports F1 period 2026-02-01 .. 2026-03-31 target c "C" >= 5% by 2026Q4 }',
        )
    )
    assert typ(project(text)) == []


# --------------------------------------------------------------------------- TYP306


def test_typ306_unknown_customer_field_and_placeholder(project):
    text = (
        BASE + 'channel phone "P" { kind outbound_call }\n'
        'script s1 "S" { channel phone pitch "您好 {{ customer.nmae }}，{{ offer.lable }} {{ foo.bar }}" }\n'
    )
    text = text.replace(
        "  email      string optional\n", "  email      string optional\n  name string\n"
    )
    ds = diags(project(text), "TYP306")
    assert [d.message for d in ds] == [
        "unknown customer field `nmae` in placeholder `{{ customer.nmae }}`",
        "unknown placeholder `{{ offer.lable }}` in script `s1`",
        "unknown placeholder `{{ foo.bar }}` in script `s1`",
    ]
    assert (ds[0].span.line, ds[0].span.column) == at(text, "{{ customer.nmae }}")
    assert ds[0].span.end_column - ds[0].span.column == len("{{ customer.nmae }}")
    assert ds[0].help[0] == "did you mean `{{ customer.name }}`?"
    assert ds[1].suggestions[0].replacement == "{{ offer.label }}"


def test_typ306_fixed(project):
    text = (
        BASE + 'channel phone "P" { kind outbound_call }\n'
        'script s1 "S" { channel phone pitch "{{ customer.age }} {{offer.label}} {{ segment.label }} '
        '{{ strategy.owner }} {{ channel.label }}" }\n'
    )
    assert typ(project(text)) == []


# --------------------------------------------------------------------------- normalized form


def test_normalized_form_values_and_flattening(project):
    text = seg(
        "payroll and (age between 22 and 35 and risk_level >= R2) and not not aum < 5万 "
        "and (email is missing or risk_level in [R1, R5])"
    )
    res = project(text)
    n = res.model.typed_segment_rule("s")
    assert isinstance(n, All) and len(n.items) == 5  # nested and flattened, double negation removed
    assert n.items[0] == IsTrue("payroll", n.items[0].span)
    assert n.items[1] == Between("age", 22, 35, n.items[1].span)
    assert n.items[2] == Cmp("risk_level", ">=", 1, n.items[2].span)  # enum as ordinal
    assert n.items[3] == Cmp("aum", "<", 50000, n.items[3].span)
    alt = n.items[4]
    assert isinstance(alt, Any) and alt.items[0] == IsMissing("email", False, alt.items[0].span)
    assert alt.items[1] == Member("risk_level", (0, 4), False, alt.items[1].span)
    assert show(n, res.model.schema) == (
        "payroll and age between 22 and 35 and risk_level >= R2 and aum < 50000 "
        "and (email is missing or risk_level in [R1, R5])"
    )


def test_normalize_dates_and_extends(project):
    text = (
        BASE.replace("  email      string optional\n", "  email string optional\n  opened date\n")
        + 'segment p "P" { rule opened < 2026Q2 }\nsegment s "S" { extends p rule not payroll }\n'
    )
    res = project(text)
    n = res.model.typed_segment_rule("s")
    assert n == All(
        (
            Cmp("opened", "<", dt.date(2026, 6, 30), n.items[0].span),
            Neg(IsTrue("payroll", n.items[1].item.span), n.items[1].span),
        ),
        n.items[1].span,
    )


def test_golden_typ_text(project):
    from golden import check_golden

    text = seg("agee > 30 and aum > 5% and risk_level >= R22")
    res = project(text)
    out = render(
        [d for d in res.diagnostics if d.code.startswith("TYP")], res.sources, "text", color=False
    )
    check_golden("check/typ_rule.txt", out.replace(str(res.root), "<root>"))
