"""The syntax of issue 12 (经营回检): range targets, ratios and multiples, target bodies (milestones,
cadence, weight, tolerance), tracked measures, `review` and `gap` declarations, feedback links;
their spans, their syntax errors, recovery around them, their highlighting, and a check that
never crashes on them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from conftest import attrs, only_block, parse_ok
from pygments.token import Number, Operator

from stratlang.cli import _register, main
from stratlang.pygments_lexer import StratlangLexer
from stratlang.source import SourceFile
from stratlang.syntax import ast
from stratlang.syntax.parser import build_strict_parser, parse_source

_register()

TERMINAL_NAME = re.compile(r"\b(?:[A-Z]+_[A-Z_]+|DOT|FEEDBACK|MEASURE|DEVIATES|LITERAL|CMP)\b")


def parse(text: str):
    return parse_source(SourceFile("t.strat", text))


def errors(text: str):
    f, diags = parse(text)
    assert diags, "expected a diagnostic"
    for d in diags:
        assert not TERMINAL_NAME.search(d.message), d.message
    return f, diags


def items(text: str):
    return only_block(text).items


def target(text: str) -> ast.TargetLine:
    (t,) = [i for i in items(f"objective o {{\n  {text}\n}}") if isinstance(i, ast.TargetLine)]
    return t


def at(node, line: int, column: int, end_column: int) -> None:
    s = node.span
    assert (s.line, s.column, s.end_column) == (line, column, end_column), s


def test_the_grammar_is_still_lalr_without_conflicts():
    build_strict_parser()


# --------------------------------------------------------------------------- range targets


def test_range_target():
    t = target('target roe "净资产收益率" between 15% and 20% by 2026-12-31')
    assert t.op == "between"
    assert isinstance(t.value, ast.Number) and t.value.value == 15 and t.value.percent
    assert isinstance(t.high, ast.Number) and t.high.value == 20
    assert isinstance(t.by, ast.Date)
    at(t, 2, 3, 56)
    at(t.high, 2, 39, 42)


def test_a_comparison_target_has_no_high():
    t = target("target t >= 5亿")
    assert t.op == ">=" and t.high is None and t.items == () and t.body is None


@pytest.mark.parametrize(
    "text, column, words",
    [
        ("target t between 1 2", 34, "expected `and`"),
        ("target t between 1 and }", 38, "expected a value"),
        ("target t 5", 24, "`between`, a comparison"),
    ],
)
def test_malformed_range_targets(text, column, words):
    _, diags = errors(f"objective o {{ {text} }}")
    assert diags[0].code == "SYN101" and diags[0].span.column == column
    assert words in diags[0].message


# --------------------------------------------------------------------------- ratios and multiples


def test_ratio_and_multiple_values():
    t = target("target roi >= 1:1.2")
    assert isinstance(t.value, ast.Ratio)
    assert (t.value.left, t.value.right, t.value.raw) == (1, 1.2, "1:1.2")
    assert t.value.value == pytest.approx(1 / 1.2)
    at(t.value, 2, 17, 22)
    for raw, n in (("5x", 5), ("5倍", 5), ("2.5x", 2.5)):
        m = target(f"target lever >= {raw}").value
        assert isinstance(m, ast.Multiple) and (m.value, m.raw) == (n, raw)


def test_a_ratio_in_a_target_value_is_never_a_time():
    # `1:20` would be twenty past one elsewhere; where a target value stands it is one to twenty
    t = target("target roi >= 1:20 baseline 1:30")
    assert isinstance(t.value, ast.Ratio) and (t.value.left, t.value.right) == (1, 20)
    assert isinstance(t.baseline, ast.Ratio)
    quiet = attrs(only_block("channel c { quiet 21:00 .. 1:20 }"))["quiet"].value
    assert isinstance(quiet.high, ast.Time)
    # elsewhere, a literal that is not a time is a ratio too
    assert isinstance(attrs(only_block("offer o { v 1:1.2 }"))["v"].value, ast.Ratio)


@pytest.mark.parametrize(
    "raw, words",
    [
        ("1:", "malformed ratio `1:`"),
        ("1:0", "ratio `1:0` has 0 on its right side"),
        ("1:2:3", "malformed ratio"),
        ("5xx", "`xx` is not a unit"),
        ("25:00", "neither a time nor a ratio"),
    ],
)
def test_malformed_ratios_and_multiples_are_syn103(raw, words):
    f, diags = errors(f"objective o {{ target t >= {raw} }}")
    (d,) = diags
    assert d.code == "SYN103" and (d.span.line, d.span.column) == (1, 27)
    assert d.span.end_column == 27 + len(raw)
    assert words in d.message + " ".join(d.help)
    assert "`1:1.2`" in " ".join(d.help) or "`5x`" in " ".join(d.help)
    (t,) = f.decls[0].items
    assert isinstance(t.value, ast.Invalid)


def test_times_elsewhere_are_reported_as_before():
    _, diags = errors("channel c { quiet 25:00 .. 09:00 }")
    assert [(d.code, d.span.column) for d in diags] == [("SYN103", 19)]
    assert "invalid time `25:00`" in diags[0].message


# --------------------------------------------------------------------------- target bodies

BODY = """objective F2 "营收增长" {
  target revenue "销售收入" >= 5亿 by 2028-12-31 baseline 1亿 {
    2026Q4 >= 2亿
    2027-Q4 between 3亿 and 3.5亿
    2026-03 >= 0.5亿
    2028 >= 4亿
    2026-06-30 <= 1:3
    cadence quarterly
    weight 2
    tolerance 15%
  }
}
"""


def test_target_with_milestones_cadence_weight_and_tolerance():
    (t,) = only_block(BODY).items
    assert isinstance(t, ast.TargetLine)
    at(t, 2, 3, 4)
    assert t.span.end_line == 11
    assert t.body is not None and (t.body.line, t.body.column, t.body.end_line) == (2, 57, 11)
    milestones = [i for i in t.items if isinstance(i, ast.MilestoneLine)]
    settings = {i.name.name: i.value for i in t.items if isinstance(i, ast.Attribute)}
    assert [m.op for m in milestones] == [">=", "between", ">=", ">=", "<="]
    periods = [m.period for m in milestones]
    assert [(p.year, p.quarter, p.month) for p in periods[:4]] == [
        (2026, 4, None),
        (2027, 4, None),
        (2026, None, 3),
        (2028, None, None),
    ]
    assert [p.label for p in periods[:4]] == ["2026-Q4", "2027-Q4", "2026-03", "2028"]
    assert periods[0].end == dt.date(2026, 12, 31) and periods[2].end == dt.date(2026, 3, 31)
    assert periods[2].start == dt.date(2026, 3, 1) and periods[3].end == dt.date(2028, 12, 31)
    assert isinstance(periods[4], ast.Date) and periods[4].value == dt.date(2026, 6, 30)
    assert milestones[1].value.raw == "3亿" and milestones[1].high.raw == "3.5亿"
    assert isinstance(milestones[4].value, ast.Ratio)
    at(milestones[0], 3, 5, 17)
    at(milestones[1], 4, 5, 32)
    assert settings["cadence"].name == "quarterly"
    assert settings["weight"].value == 2 and settings["tolerance"].value == 15


def test_an_empty_body_is_kept_as_written():
    t = target("target t >= 5 {}")
    assert t.items == () and t.body is not None and t.span.end_column == t.body.end_column


def test_comments_inside_a_target_body_attach_to_its_lines():
    f = parse_ok(
        "objective o {\n  target t >= 5 {  # a\n    # b\n    2026 >= 1  # c\n    # d\n  }  # e\n}\n"
    )
    (t,) = f.decls[0].items
    assert [c.text for c in t.items[0].leading] == ["# a", "# b"]
    assert [c.text for c in t.items[0].trailing] == ["# c"]
    assert [c.text for c in t.dangling] == ["# d"]
    assert [c.text for c in t.trailing] == ["# e"]


@pytest.mark.parametrize(
    "period, words",
    [
        ("2026-13", "invalid month `2026-13`"),
        ("2026Q5", "`2026Q5` is not a period"),
        ("2026-02-30", "invalid date"),
        ("26", "`26` is not a period"),
    ],
)
def test_malformed_milestone_periods_are_syn103(period, words):
    _, diags = errors(f"objective o {{ target t >= 5 {{ {period} >= 4 }} }}")
    (d,) = diags
    assert d.code == "SYN103" and d.span.column == 31 and words in d.message
    assert "a year (2026), a quarter (2026Q4 or 2026-Q4), a month (2026-03)" in " ".join(
        d.help
    ) or "calendar date" in " ".join(d.help)


def test_a_milestone_needs_a_comparison():
    _, diags = errors("objective o { target t >= 5 { 2026Q4 4 } }")
    assert diags[0].code == "SYN101" and diags[0].span.column == 38
    assert "`between` or a comparison" in diags[0].message


# --------------------------------------------------------------------------- measures


def test_tracked_measures():
    ms = [
        i
        for i in items(
            'objective o {\n  measure share "市场份额"\n  measure nps { cadence monthly  weight 1 }\n}'
        )
        if isinstance(i, ast.MeasureLine)
    ]
    assert [m.id.name for m in ms] == ["share", "nps"]
    assert ms[0].label.value == "市场份额" and ms[0].body is None and ms[0].items == ()
    at(ms[0], 2, 3, 23)
    at(ms[1], 3, 3, 44)
    assert [i.name.name for i in ms[1].items] == ["cadence", "weight"]
    play = items("play p { measure contacts }")
    assert isinstance(play[0], ast.MeasureLine)


def test_measure_is_a_keyword_only_where_an_item_starts():
    f = parse_ok("measure -> x\nobjective measure { perspective p }\n")
    assert isinstance(f.decls[0], ast.Link) and f.decls[0].chain[0].name == "measure"
    assert f.decls[1].id.name == "measure"


# --------------------------------------------------------------------------- review and gap

REVIEWS = """review revenue_check "营收偏差评估" {
  when F2.revenue deviates 15%
  action "启动战略评估"
  owner "战略部"
}
review roi_low "投入产出比偏低" {
  when F3.roi < 1:1.2 for 2 quarters
  action "启动资源再分配"
}
"""


def test_review_conditions():
    f = parse_ok(REVIEWS)
    a, b = (attrs(d)["when"].value for d in f.decls)
    assert f.decls[0].kind == "review" and f.decls[0].id.name == "revenue_check"
    assert a.kind == "deviation" and a.measure.text == "F2.revenue" and a.op is None
    assert a.value.raw == "15%" and a.count is None and a.unit is None
    at(a, 2, 8, 31)
    at(a.measure, 2, 8, 18)
    at(a.measure.measure, 2, 11, 18)
    assert b.kind == "threshold" and b.op == "<" and isinstance(b.value, ast.Ratio)
    assert b.count.value == 2 and b.unit.name == "quarters"
    at(b, 7, 8, 37)
    at(b.unit, 7, 29, 37)


@pytest.mark.parametrize(
    "cond, column, words",
    [
        ("F2 deviates 15%", 20, "expected `.`"),
        ("F2.x deviates }", 31, "expected a value"),
        ("F2.x > 1 for quarters }", 30, "expected a number"),
        ("F2. deviates 1", 30, "expected `deviates` or a comparison"),
    ],
)
def test_malformed_review_conditions(cond, column, words):
    _, diags = errors(f"review r {{ when {cond} }}")
    assert diags[0].code == "SYN101" and diags[0].span.column == column, diags[0]
    assert words in diags[0].message


def test_dots_do_not_disturb_ranges_and_decimals():
    v = attrs(only_block("offer o { v 1.5 .. 2.5 }"))["v"].value
    assert isinstance(v, ast.Range) and v.low.value == 1.5 and v.high.value == 2.5
    v = attrs(only_block("offer o { v 1..2 }"))["v"].value
    assert isinstance(v, ast.Range) and (v.low.value, v.high.value) == (1, 2)
    _, diags = errors("offer o { v a.b }")
    assert diags[0].code == "SYN101"


def test_gap():
    b = only_block(
        'gap pension_gap "养老金融机会差距" { estimate 4亿  objectives C2, P1  initiatives I1 }'
    )
    a = attrs(b)
    assert b.kind == "gap" and b.label.value == "养老金融机会差距"
    assert a["estimate"].value.value == 400_000_000
    assert [n.name for n in a["objectives"].value.items] == ["C2", "P1"]
    assert a["initiatives"].value.name == "I1"


# --------------------------------------------------------------------------- feedback links


def test_feedback_links():
    f = parse_ok('R1 ~> C1 "反馈"\na -> b ~> c\nx -> y\n')
    fb, mixed, plain = f.decls
    assert fb.arrows == ("~>",) and fb.label.value == "反馈"
    at(fb, 1, 1, 14)
    assert mixed.arrows == ("->", "~>")
    assert [(a.name, b.name, k) for a, b, k in mixed.edges()] == [
        ("a", "b", "->"),
        ("b", "c", "~>"),
    ]
    assert plain.arrows == ("->",)
    # built without arrows (as older code does), every edge is a causal one
    assert ast.Link(fb.span, fb.chain).arrows == ("->",)


def test_a_feedback_link_may_continue_on_the_next_line():
    f = parse_ok("a ~> b\n  -> c\nd -> e\n")
    assert [d.arrows for d in f.decls] == [("~>", "->"), ("->",)]


# --------------------------------------------------------------------------- recovery


def test_a_broken_review_costs_only_itself():
    f, diags = errors(
        "review r {\n  when F2 deviates 15%\n}\n"
        "objective o { perspective financial }\n"
        "gap g { objectives o,\n}\n"
        "objective p { perspective financial }\n"
    )
    assert [(d.code, d.span.line) for d in diags] == [("SYN101", 2), ("SYN101", 6)]
    assert [d.id.name for d in f.decls] == ["o", "p"]
    assert set(f.broken_ids) == {"r", "g"}


def test_a_broken_target_body_costs_only_its_block():
    f, diags = errors(
        "objective o {\n  target t >= 5 {\n    2026Q4 >=\n  }\n}\n"
        "objective p { perspective financial }\n"
    )
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("SYN101", 4, 3)]
    assert [d.id.name for d in f.decls] == ["p"] and f.broken_ids == ("o",)


def test_an_unclosed_review_is_closed_at_the_next_declaration():
    f, diags = errors(
        'review r {\n  when F2.x deviates 15%\n  action "a"\ngap g { objectives o }\n'
    )
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("SYN102", 1, 10)]
    assert [d.kind for d in f.decls] == ["gap"]


def test_a_broken_feedback_link_costs_only_itself():
    f, diags = errors("a ~>\nobjective o { perspective financial }\n")
    assert diags[0].span.line == 1
    assert [d.id.name for d in f.decls] == ["o"]


# --------------------------------------------------------------------------- highlighting


def test_pygments_highlights_the_new_forms():
    toks = {
        v: t
        for t, v in StratlangLexer().get_tokens(
            "target roi >= 1:1.2 { 2026-Q4 >= 5倍\n 2026-03 >= 5x }\nR1 ~> C1\n"
        )
    }
    for literal in ("1:1.2", "5倍", "5x", "2026-Q4", "2026-03"):
        assert toks[literal] in Number, literal
    assert toks["~>"] in Operator


def test_textmate_highlights_the_new_forms():
    from test_vscode_grammar import scan

    toks = {
        text: scope
        for scope, text in scan(
            "review r { when F2.roi < 1:1.2 for 2 quarters }\nR1 ~> C1\ntarget t >= 5倍 { 2026-Q4 >= 2x }\n"
        )
    }
    assert toks["review"].startswith("storage.type")
    assert toks["1:1.2"].startswith("constant.numeric.ratio")
    assert toks["5倍"].startswith("constant.numeric.multiple")
    assert toks["2x"].startswith("constant.numeric.multiple")
    assert toks["2026-Q4"].startswith("constant.numeric.date")
    assert toks["~>"].startswith("keyword.operator.arrow")
    assert toks["for"].startswith("keyword")
    assert not [s for s, _ in scan("2026-03 >= 1:20\n") if s.startswith("invalid")]


# --------------------------------------------------------------------------- check never crashes

EVERY_FORM = """strategy "经营回检 2026" {
  owner   "战略部"
  mission "让每一位客户的财富稳健增长"
  vision  "成为客户首选的财富管理银行"
  cadence quarterly
  period  2026-01-01 .. 2028-12-31
}
objective F2 "营收增长" {
  perspective financial
  target revenue "销售收入" >= 5亿 by 2028-12-31 baseline 1亿 {
    2026Q4 >= 2亿
    2027-Q4 between 3亿 and 3.5亿
    2028 >= 4亿
    2026-03 >= 0.5亿
    cadence quarterly
    weight 2
    tolerance 15%
  }
  target roe "净资产收益率" between 15% and 20% by 2026-12-31
  target roi "投入产出比" >= 1:1.2
  target lever >= 5倍
  measure share "市场份额" { cadence monthly  weight 1 }
}
objective C1 "客户洞察" { perspective customer }
initiative I1 "养老金融" { supports F2 }
C1 -> F2
F2 ~> C1 "反馈"
review revenue_check "营收偏差评估" {
  when   F2.revenue deviates 15%
  action "启动战略评估"
  owner  "战略部"
}
review roi_low "投入产出比偏低" {
  when   F2.roi < 1:1.2 for 2 quarters
  action "启动资源再分配"
}
gap pension_gap "养老金融机会差距" {
  estimate    4亿
  objectives  F2, C1
  initiatives I1
}
"""


@pytest.mark.parametrize("args", [["check"], ["check", "--format", "json"]])
def test_check_on_every_new_form_does_not_crash(tmp_path, args):
    p = tmp_path / "main.strat"
    p.write_text(EVERY_FORM, encoding="utf-8")
    r = CliRunner().invoke(main, [*args, str(p)])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code in (0, 1), r.output
    assert "internal error" not in r.output.lower() and "Traceback" not in r.output
