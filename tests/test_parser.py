"""The parser: the grammar builds strictly, the spec's example parses cleanly, every construct
lowers to the right AST node, and SYN101–SYN104 are reported where they belong, in words."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import attrs, only_block, parse_ok, value  # noqa: F401

from stratlang.source import SourceFile
from stratlang.syntax import ast
from stratlang.syntax.parser import build_strict_parser, describe_expected, parse_source

DATA = Path(__file__).resolve().parent / "data" / "spec_example"
SPEC = Path("/work/shared/spec/language.md")

# Raw terminal names must never reach a message.
TERMINAL_NAME = re.compile(
    r"\b(?:[A-Z]+_[A-Z_]+|LBRACE|RBRACE|LPAR|RPAR|LSQB|RSQB|NAME|LITERAL|STRING|CMP|"
    r"ARROW|DOTDOT|COMMA|SEMICOLON|TAG|FLAG)\b|\$END|__ANON"
)


def parse(text: str, path: str = "t.strat"):
    return parse_source(SourceFile(path, text))


def rule(text: str):
    return attrs(only_block(f"segment s {{ rule {text} }}"))["rule"].value


def shape(e) -> str:
    """A rule's tree as a compact s-expression (fields only)."""
    if isinstance(e, ast.Or):
        return "(or " + " ".join(shape(x) for x in e.operands) + ")"
    if isinstance(e, ast.And):
        return "(and " + " ".join(shape(x) for x in e.operands) + ")"
    if isinstance(e, ast.Not):
        return "(not " + shape(e.operand) + ")"
    return e.field.name


def errors(text: str):
    f, diags = parse(text)
    assert diags, "expected a diagnostic"
    for d in diags:
        assert not TERMINAL_NAME.search(d.message), d.message
        for h in d.help:
            assert not TERMINAL_NAME.search(h), h
    return f, diags


# --------------------------------------------------------------------------- grammar


def test_grammar_builds_in_strict_mode():
    pytest.importorskip("interegular")  # strict mode checks terminal collisions with it
    build_strict_parser()


def test_spec_example_files_match_the_spec():
    """tests/data/spec_example is a copy of language.md §2; keep them in step."""
    if not SPEC.exists():
        pytest.skip("spec not available")
    blocks = re.findall(r"```strat\n(.*?)```", SPEC.read_text("utf-8"), re.S)
    assert blocks[0] == (DATA / "wealth.strat").read_text("utf-8")
    assert blocks[1] == (DATA / "channels.strat").read_text("utf-8")


@pytest.mark.parametrize("name", ["wealth.strat", "channels.strat"])
def test_spec_example_parses_without_diagnostics(name):
    text = (DATA / name).read_text("utf-8")
    f = parse_ok(text)
    assert f.decls
    assert all(c.text.startswith("#") for c in f.comments)


def test_spec_example_lowers_as_written():
    f = parse_ok((DATA / "wealth.strat").read_text("utf-8"))
    kinds = [d.kind if isinstance(d, ast.Block) else type(d).__name__ for d in f.decls]
    assert kinds == [
        "strategy",
        "Import",
        "perspectives",
        "theme",
        "theme",
        "schema",
        "event",
        "objective",
        "objective",
        "objective",
        "objective",
        "Link",
        "Link",
        "segment",
        "segment",
        "segment",
        "segment",
        "segment",
        "tiering",
        "offer",
        "script",
        "play",
        "initiative",
    ]
    strategy = f.decls[0]
    assert strategy.id is None and strategy.label.value == "财富客户经营 2026"
    a = attrs(strategy)
    assert a["locale"].value == ast.Name(a["locale"].value.span, "zh-CN")
    assert a["period"].value.low.value == dt.date(2026, 1, 1)
    assert a["period"].value.high.value == dt.date(2026, 12, 31)
    assert f.decls[1].path.value == "channels.strat"
    persp = f.decls[2]
    assert [(p.id.name, p.label.value) for p in persp.items] == [
        ("financial", "财务"),
        ("customer", "客户"),
        ("process", "内部流程"),
        ("learning", "学习与成长"),
    ]
    schema = f.decls[5]
    fields = {fl.name.name: fl for fl in schema.items}
    assert [n.name for n in fields["id"].flags] == ["key"]
    assert fields["risk_level"].type.name == "enum"
    assert [v.name for v in fields["risk_level"].type.enum_values] == ["R1", "R2", "R3", "R4", "R5"]
    assert [n.name for n in fields["risk_level"].flags] == ["risk_tolerance"]
    assert [n.name for n in fields["email"].flags] == ["optional"]
    event = f.decls[6]
    assert event.body is None and event.items == () and event.label.value == "首次代发入账"
    f1 = f.decls[7]
    t1, t2 = [i for i in f1.items if isinstance(i, ast.TargetLine)]
    assert (t1.id.name, t1.label.value, t1.op) == ("aum_growth", "AUM增长率", ">=")
    assert (
        t1.value.value == 20 and t1.value.percent and t1.baseline.value == 8 and t1.baseline.percent
    )
    assert t2.value.value == 120_000_000 and t2.value.scaled and t2.baseline is None
    p1 = f.decls[9]
    (t,) = [i for i in p1.items if isinstance(i, ast.TargetLine)]
    assert t.by.quarter and t.by.value == dt.date(2026, 9, 30)
    chain, labelled = f.decls[11], f.decls[12]
    assert [n.name for n in chain.chain] == ["L1", "P1", "C1", "F1"] and chain.label is None
    assert [n.name for n in labelled.chain] == [
        "P1",
        "F1",
    ] and labelled.label.value == "交叉销售带动规模"
    young = f.decls[13]
    a = attrs(young)
    assert shape(a["rule"].value) == "(and payroll age aum risk_level)"
    assert a["lifecycle"].value.name == "acquisition"
    assert a["estimate"].value.value == 120_000
    (profile,) = [i for i in young.items if isinstance(i, ast.SubBlock)]
    assert profile.name.name == "profile"
    assert [i.name.name for i in profile.items] == ["demographic", "behavior", "needs"]
    dormant = f.decls[17]
    assert [i.name.name for i in dormant.items] == ["extends", "rule"]
    tiers = attrs(f.decls[18])
    assert [n.name for n in tiers["segments"].value.items] == ["wealth_vip", "wealth_mid", "mass"]
    assert tiers["exclusive"].value.name == "true"
    script = f.decls[20]
    opening = attrs(script)["opening"].value
    assert opening.triple
    assert opening.value == (
        "您好，{{ customer.name }}，我是{{ strategy.owner }}的客户经理。\n"
        "感谢您选择在我行代发工资。"
    )
    (obj,) = [i for i in script.items if isinstance(i, ast.ObjectionLine)]
    assert obj.question.value == "没时间" and obj.answer.value.startswith("只需两分钟")
    play = f.decls[21]
    a = attrs(play)
    when = a["when"].value
    assert isinstance(when, ast.Trigger) and when.kind == "event"
    assert when.ref.name == "payroll_first_credit" and when.within.days == 30
    s1, s2 = [i for i in play.items if isinstance(i, ast.StepLine)]
    assert (s1.number.value, s1.channel.name, s1.script.name, s1.after, s1.unless_converted) == (
        1,
        "phone",
        "payroll_welcome",
        None,
        False,
    )
    assert (s2.number.value, s2.channel.name, s2.script.name, s2.unless_converted) == (
        2,
        "app_push",
        "payroll_push",
        True,
    )
    assert s2.after.amount == 3 and s2.after.unit == "d"
    assert a["control"].value.percent and a["control"].value.value == 10
    assert a["budget"].value.value == 500_000


def test_channels_example_lowers_rates_and_wrapping_range():
    f = parse_ok((DATA / "channels.strat").read_text("utf-8"))
    phone = attrs(f.decls[0])
    cap = phone["capacity"].value
    assert isinstance(cap, ast.Rate) and cap.amount.value == 2000 and cap.per.name == "day"
    assert phone["cost"].value.value == 3.5
    quiet = phone["quiet"].value
    assert isinstance(quiet, ast.Range)
    assert (quiet.low.hour, quiet.low.minute, quiet.high.hour, quiet.high.minute) == (21, 0, 9, 0)
    c = phone["cap"].value
    assert (
        isinstance(c, ast.Rate) and c.amount.value == 2 and (c.per.amount, c.per.unit) == (30, "d")
    )
    push = attrs(f.decls[1])
    assert push["capacity"].value.name == "unlimited" and push["kind"].value.name == "push"


# --------------------------------------------------------------------------- declarations


def test_block_without_label_or_body():
    b = only_block("event e")
    assert (b.kind, b.id.name, b.label, b.body, b.items) == ("event", "e", None, None, ())
    b = only_block('event e "Label"')
    assert b.label.value == "Label" and b.span.end_column == 16


def test_block_spans():
    b = only_block('segment s "S" {\n  rule a\n}\n')
    assert (b.span.line, b.span.column, b.span.end_line, b.span.end_column) == (1, 1, 3, 2)
    assert (b.kind_span.column, b.kind_span.end_column) == (1, 8)
    assert (b.id.span.column, b.label.span.column) == (9, 11)
    assert (b.body.line, b.body.column) == (1, 15)


def test_strategy_and_perspectives_have_no_id():
    f = parse_ok('strategy { owner "x" }\nperspectives { value "V"; satisfaction }\n')
    s, p = f.decls
    assert s.kind == "strategy" and s.id is None and s.label is None
    assert p.kind == "perspectives" and [i.id.name for i in p.items] == ["value", "satisfaction"]
    assert p.items[1].label is None


def test_imports():
    f = parse_ok('import "a.strat"\nimport "sub/b.strat"')
    assert [i.path.value for i in f.decls] == ["a.strat", "sub/b.strat"]


def test_link_chains_and_labels():
    f = parse_ok('a -> b\nc -> d -> e "why"\nf->g')
    assert [[n.name for n in l.chain] for l in f.decls] == [["a", "b"], ["c", "d", "e"], ["f", "g"]]
    assert [l.label.value if l.label else None for l in f.decls] == [None, "why", None]
    assert f.decls[1].span.end_column == 18


def test_link_over_several_lines():
    f = parse_ok("a ->\n  b ->\n  c")
    assert [n.name for n in f.decls[0].chain] == ["a", "b", "c"]


def test_target_lines():
    b = only_block(
        'objective o {\n target t >= 20% by 2026-12-31 baseline 8%\n target u "U" < 5\n'
        " target v = 1.2亿 by 2026Q4\n target w != 3 }"
    )
    t, u, v = [i for i in b.items if isinstance(i, ast.TargetLine)][:3]
    assert (t.id.name, t.label, t.op, t.value.value, t.by.value, t.baseline.value) == (
        "t",
        None,
        ">=",
        20,
        dt.date(2026, 12, 31),
        8,
    )
    assert (t.span.line, t.span.column, t.span.end_column) == (2, 2, 43)
    assert (u.label.value, u.op, u.value.value, u.by, u.baseline) == ("U", "<", 5, None, None)
    assert v.by.quarter and v.value.value == 120_000_000


def test_step_lines():
    b = only_block(
        "play p {\n step 1 phone using s1\n step 2 sms using s2 after 3d\n"
        " step 3 app using s3 unless converted\n step 4 app using s3 after 1w unless converted\n}"
    )
    steps = [i for i in b.items if isinstance(i, ast.StepLine)]
    got = [
        (
            s.number.value,
            s.channel.name,
            s.script.name,
            s.after.raw if s.after else None,
            s.unless_converted,
        )
        for s in steps
    ]
    assert got == [
        (1, "phone", "s1", None, False),
        (2, "sms", "s2", "3d", False),
        (3, "app", "s3", None, True),
        (4, "app", "s3", "1w", True),
    ]


def test_objection_lines():
    b = only_block(
        'script s { objection "too busy" -> "two minutes" objection "no" -> """\n  ok\n""" }'
    )
    o1, o2 = b.items
    assert (o1.question.value, o1.answer.value) == ("too busy", "two minutes")
    assert o2.answer.value == "ok" and o2.answer.triple


@pytest.mark.parametrize(
    "text, kind, ref, within",
    [
        ("event payroll_first_credit within 30d", "event", "payroll_first_credit", 30),
        ("event e", "event", "e", None),
        ("lifecycle winback", "lifecycle", "winback", None),
        ("schedule weekly", "schedule", "weekly", None),
    ],
)
def test_when_triggers(text, kind, ref, within):
    w = attrs(only_block(f"play p {{ when {text} }}"))["when"].value
    assert isinstance(w, ast.Trigger) and w.kind == kind and w.ref.name == ref
    assert (w.within.days if w.within else None) == within and w.rule is None


def test_when_rule_trigger():
    w = attrs(only_block("play p { when rule last_txn_days > 90 and not payroll }"))["when"].value
    assert w.kind == "rule" and w.ref is None
    assert shape(w.rule) == "(and last_txn_days (not payroll))"


def test_semicolons_separate_statements_and_items():
    f = parse_ok('event a; event b "B"; segment s { rule x; estimate 3 ;; } ; a -> b;')
    assert [type(d).__name__ for d in f.decls] == ["Block", "Block", "Block", "Link"]
    assert [i.name.name for i in f.decls[2].items] == ["rule", "estimate"]


def test_free_form_layout():
    f = parse_ok('segment\n  s\n  "S"\n{\nrule\n  a\n  and\n  b\n}')
    assert shape(attrs(f.decls[0])["rule"].value) == "(and a b)"


def test_keywords_are_ids_where_not_expected():
    f = parse_ok(
        "segment lifecycle { lifecycle growth }\n"
        "objective rule { perspective process }\n"
        "offer event { kind event }\n"
        "channel when { kind sms }\n"
        "segment between { rule target > 3 and step and per = by }\n"
        'theme target { color "#fff" }\n'
    )
    assert [d.id.name for d in f.decls] == [
        "lifecycle",
        "rule",
        "event",
        "when",
        "between",
        "target",
    ]
    assert attrs(f.decls[0])["lifecycle"].value.name == "growth"
    assert attrs(f.decls[2])["kind"].value.name == "event"
    assert shape(attrs(f.decls[4])["rule"].value) == "(and target step per)"


def test_keyword_values_in_attributes():
    b = only_block('offer o { kind product description "d" risk R2 } ')
    assert attrs(b)["risk"].value.name == "R2"
    b = only_block("segment s { extends parent lifecycle retention }")
    assert attrs(b)["lifecycle"].value.name == "retention"
    b = only_block("play p { when event within within 1d }")  # an event called `within`
    w = attrs(b)["when"].value
    assert w.ref.name == "within" and w.within.days == 1


def test_schema_fields_and_attributes():
    b = only_block(
        'schema customer "C" {\n  id string key\n  tier enum(A, B, C,) optional\n'
        '  risk enum(R1,R2) risk_tolerance\n  description "the table"\n}'
    )
    fields = [i for i in b.items if isinstance(i, ast.FieldLine)]
    assert [(fl.name.name, fl.type.name) for fl in fields] == [
        ("id", "string"),
        ("tier", "enum"),
        ("risk", "enum"),
    ]
    assert [v.name for v in fields[1].type.enum_values] == ["A", "B", "C"]
    assert [n.name for n in fields[2].flags] == ["risk_tolerance"]
    (desc,) = [i for i in b.items if isinstance(i, ast.Attribute)]
    assert desc.name.name == "description" and desc.value.value == "the table"


def test_allow_attribute_takes_a_list_of_codes():
    b = only_block("objective o { allow MAP406, MAP407 }")
    assert [n.name for n in attrs(b)["allow"].value.items] == ["MAP406", "MAP407"]


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    "text, tree",
    [
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c", "(or (and a b) c)"),
        ("not a and b", "(and (not a) b)"),
        ("not a or not b and c", "(or (not a) (and (not b) c))"),
        ("not (a or b)", "(not (or a b))"),
        ("(a or b) and c", "(and (or a b) c)"),
        ("a and b and c and d", "(and a b c d)"),
        ("a or b or c", "(or a b c)"),
        ("not not a", "(not (not a))"),
        ("((a))", "a"),
        ("a and (b or c) and not (d and e)", "(and a (or b c) (not (and d e)))"),
    ],
)
def test_rule_precedence(text, tree):
    assert shape(rule(text)) == tree


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_comparisons(op):
    e = rule(f"aum {op} 5万")
    assert (
        isinstance(e, ast.Compare)
        and e.field.name == "aum"
        and e.op == op
        and e.value.value == 50_000
    )


def test_compare_values():
    assert rule("risk_level >= R2").value == ast.Name(rule("risk_level >= R2").value.span, "R2")
    assert rule('city = "上海"').value.value == "上海"
    assert rule("opened < 2026-01-01").value.value == dt.date(2026, 1, 1)
    assert rule("share >= 12.5%").value.percent


def test_between():
    e = rule("age between 22 and 35")
    assert isinstance(e, ast.Between) and (e.field.name, e.low.value, e.high.value) == (
        "age",
        22,
        35,
    )
    e = rule("age between 22 and 35 and payroll")
    assert shape(e) == "(and age payroll)" and isinstance(e.operands[0], ast.Between)


def test_in_and_not_in():
    e = rule("tier in [1, 2, 3]")
    assert isinstance(e, ast.In) and not e.negated and [v.value for v in e.values] == [1, 2, 3]
    assert (e.span.column, e.span.end_column) == (18, 35)
    e = rule('city not in ["北京", "上海",]')
    assert e.negated and [v.value for v in e.values] == ["北京", "上海"]
    e = rule("tier in []")
    assert e.values == ()
    e = rule("risk_level in [R1, R2] and not tier in [3]")
    assert shape(e) == "(and risk_level (not tier))"


def test_is_missing_and_is_present():
    e = rule("email is missing")
    assert isinstance(e, ast.Missing) and not e.present and e.field.name == "email"
    e = rule("email is present")
    assert isinstance(e, ast.Missing) and e.present
    assert (e.span.column, e.span.end_column) == (18, 34)


def test_bool_tests():
    e = rule("payroll")
    assert isinstance(e, ast.BoolTest) and e.field.name == "payroll"
    assert shape(rule("payroll and not vip")) == "(and payroll (not vip))"


def test_rule_spans_cover_their_operands():
    e = rule("a and (b or c)")
    assert (e.span.column, e.span.end_column) == (
        18,
        32,
    )  # a parenthesised operand's span takes in `(` `)`
    assert (e.operands[1].span.column, e.operands[1].span.end_column) == (24, 32)
    e = rule("not (a or b)")
    assert (e.span.column, e.span.end_column) == (18, 30)


# --------------------------------------------------------------------------- SYN101


def test_syn101_unexpected_token_in_words():
    _, diags = errors("segment s {\n  rule age >\n}\n")
    (d,) = diags
    assert d.code == "SYN101" and (d.span.line, d.span.column) == (3, 1)
    assert "expected a value" in d.message and "found `}`" in d.message


def test_syn101_missing_attribute_value_names_what_was_expected():
    _, diags = errors("objective o {\n  perspective = financial\n}\n")
    (d,) = diags
    assert d.code == "SYN101" and (d.span.line, d.span.column) == (2, 15)
    assert "expected" in d.message and "`=`" in d.message


def test_syn101_bad_token_at_top_level():
    _, diags = errors("segment s { rule a }\n}\n")
    (d,) = diags
    assert d.code == "SYN101" and (d.span.line, d.span.column) == (2, 1)
    assert "a declaration" in d.message


def test_syn101_unexpected_character():
    _, diags = errors("segment s { rule a @ b }")
    (d,) = diags
    assert d.code == "SYN101" and d.span.column == 20 and "`@`" in d.message


def test_syn101_fullwidth_punctuation_gets_help():
    _, diags = errors("tiering t { segments a，b }")
    (d,) = diags
    assert d.code == "SYN101" and "full-width" in " ".join(d.help)


def test_syn101_value_read_as_a_comment_gets_help():
    _, diags = errors("theme t {\n  color #2b6cb0\n}\n")
    (d,) = diags
    assert d.code == "SYN101" and (d.span.line, d.span.column) == (3, 1)
    assert "`#` starts a comment" in " ".join(d.help)
    _, diags = errors("segment s {\n  rule a  # fine\n  estimate\n}")
    assert not any("comment" in h for h in diags[0].help)
    parse_ok('theme t {\n  color "#2b6cb0"\n}\n')


def test_syn101_fixed_input_passes():
    parse_ok("segment s {\n  rule age > 30\n}\n")
    parse_ok("objective o {\n  perspective financial\n}\n")


def test_expected_sets_are_described_in_words():
    # Every reachable expected-set is described without raw terminal names.
    for exp in [
        {"RBRACE", "NAME", "RULE", "WHEN", "TARGET", "STEP", "OBJECTION", "SEMICOLON"},
        {"$END", "STRATEGY", "PERSPECTIVES", "SCHEMA", "IMPORT", "BLOCK_KIND", "NAME", "SEMICOLON"},
        {"NAME", "LITERAL", "STRING", "LONG_STRING", "TAG"},
        {"NOT", "LPAR", "NAME"},
        {"CMP", "BETWEEN", "IN", "NOT", "IS", "AND", "OR", "RBRACE"},
        {"USING"},
        {"RSQB", "COMMA"},
        {"ARROW"},
        {"DOTDOT", "PER", "COMMA"},
        {"MISSING", "PRESENT"},
        {"__ANON_0", "FOO_BAR"},
        set(),
    ]:
        words = describe_expected(exp)
        assert words and not TERMINAL_NAME.search(words), words


def test_every_parser_state_is_described_in_words():
    from stratlang.syntax.parser import _parser

    try:
        states = _parser().lark.parser.parser.parser.parse_table.states
    except AttributeError:  # pragma: no cover - Lark internals moved
        pytest.skip("Lark's parse table is not where this test looks")
    for actions in states.values():
        terms = {t for t in actions if t.isupper() or t.startswith("$")}
        words = describe_expected(terms)
        assert not TERMINAL_NAME.search(words) and "another token" not in words, (
            sorted(terms),
            words,
        )


# --------------------------------------------------------------------------- SYN102


def test_syn102_unterminated_string():
    _, diags = errors('segment s "Young {\n  rule a\n}\n')
    (d,) = diags
    assert d.code == "SYN102" and (d.span.line, d.span.column) == (1, 11)
    assert "unterminated string" in d.message


def test_syn102_unterminated_text_block_points_at_the_opening_quotes():
    _, diags = errors('script s {\n  opening """\n    hello\n}\n')
    (d,) = diags
    assert d.code == "SYN102" and (d.span.line, d.span.column, d.span.end_column) == (2, 11, 14)
    assert '"""' in d.message


def test_syn102_unterminated_text_block_on_one_line():
    _, diags = errors('script s { pitch """abc }')
    (d,) = diags
    assert d.code == "SYN102" and d.span.column == 18 and '"""' in d.message


def test_syn102_unbalanced_brace_points_at_the_opening_brace():
    _, diags = errors(
        'segment a { rule x }\nobjective o "O" {\n  perspective financial\n\nsegment s { rule y }\n'
    )
    (d,) = diags
    assert d.code == "SYN102" and (d.span.line, d.span.column, d.span.end_column) == (2, 17, 18)
    assert "never closed" in d.message


def test_syn102_unbalanced_brace_at_end_of_file():
    f, diags = errors("segment a { rule x }\nobjective o {\n  perspective financial\n")
    (d,) = diags
    assert d.code == "SYN102" and (d.span.line, d.span.column) == (2, 13)
    assert [b.id.name for b in f.decls] == ["a"]


def test_syn102_nested_unbalanced_brace_points_at_the_one_left_open():
    # braces match innermost first: the `}` closes `profile {`, so `segment s {` is left open
    _, diags = errors('segment s {\n  profile {\n    needs "x"\n}\n')
    (d,) = diags
    assert d.code == "SYN102" and (d.span.line, d.span.column) == (1, 11)


def test_syn102_fixed_input_passes():
    parse_ok('segment s "Young" {\n  rule a\n}\n')
    parse_ok('script s {\n  opening """\n    hello\n  """\n}\n')
    parse_ok('objective o "O" {\n  perspective financial\n}\nsegment s { rule y }\n')


# --------------------------------------------------------------------------- SYN103


@pytest.mark.parametrize(
    "literal, words",
    [
        ("10M", "`M` is not a unit"),
        ("3q", "`q` is not a unit"),
        ("5xx", "`xx` is not a unit"),
        ("50万元", "`万元` is not a unit"),
        ("1.2.3", "a literal is"),
        ("1__0", "a literal is"),
    ],
)
def test_syn103_malformed_numbers(literal, words):
    f, diags = errors(f"segment s {{ estimate {literal} }}")
    (d,) = diags
    assert d.code == "SYN103" and (d.span.line, d.span.column, d.span.end_column) == (
        1,
        22,
        22 + len(literal),
    )
    assert literal in d.message and words in " ".join(d.help)
    # the block still parses; the value is marked invalid
    assert isinstance(attrs(f.decls[0])["estimate"].value, ast.Invalid)


def test_syn103_bad_date():
    _, diags = errors("objective o { target t >= 5 by 2026-02-30 }")
    (d,) = diags
    assert d.code == "SYN103" and d.span.column == 32 and "2026-02-30" in d.message


def test_syn103_bad_time():
    _, diags = errors("channel c { quiet 25:00 .. 09:00 }")
    (d,) = diags
    assert d.code == "SYN103" and d.span.column == 19 and "25:00" in d.message
    _, diags = errors("channel c { quiet 21:00 .. 09:60 }")
    assert [d.code for d in diags] == ["SYN103"]


def test_syn103_dash_range_gets_the_range_hint():
    _, diags = errors("segment s { estimate 22-35 }")
    (d,) = diags
    assert d.code == "SYN103" and d.span.column == 22
    assert "`22 .. 35`" in " ".join(d.help)


def test_syn103_dash_range_in_between_suggests_and():
    _, diags = errors("segment s { rule age between 22-35 }")
    assert diags[0].code == "SYN103" and diags[0].span.column == 30
    assert "`between 22 and 35`" in " ".join(diags[0].help)


def test_syn103_bad_duration_and_quarter():
    _, diags = errors("play p { when event e within 3q }")
    assert [d.code for d in diags] == ["SYN103"]
    _, diags = errors("objective o { target t >= 5 by 2026Q5 }")
    assert [d.code for d in diags] == ["SYN103"]


@pytest.mark.parametrize(
    "src, esc",
    [
        (r'"a\qb"', r"\q"),
        (r'"\u{110000}"', r"\u{110000}"),
        (r'"\u{D800}"', r"\u{D800}"),
        (r'"\u{}"', r"\u"),
    ],
)
def test_syn103_bad_escape(src, esc):
    _, diags = errors(f"offer o {{ description {src} }}")
    (d,) = diags
    assert d.code == "SYN103" and d.span.column == 23 and esc in d.message


def test_syn103_fixed_input_passes():
    parse_ok("segment s { estimate 10m }")
    parse_ok("segment s { estimate 3k }")
    parse_ok("objective o { target t >= 5 by 2026-02-28 }")
    parse_ok("channel c { quiet 23:00 .. 09:00 }")
    parse_ok("segment s { rule age between 22 and 35 }")
    parse_ok(r'offer o { description "a\\qb" }')


# --------------------------------------------------------------------------- SYN104


def test_syn104_eof_in_a_link():
    _, diags = errors("a -> b\nc ->")
    (d,) = diags
    assert d.code == "SYN104" and (d.span.line, d.span.column) == (2, 5)
    assert "end of file" in d.message and "a name" in d.message


def test_syn104_eof_after_target_comparison():
    _, diags = errors("objective o {\n  target t >=")
    (d,) = diags
    assert d.code == "SYN104" and (d.span.line, d.span.column) == (2, 14)
    assert "end of file" in d.message and "a value" in d.message


def test_syn104_eof_after_declaration_keyword():
    _, diags = errors("segment")
    (d,) = diags
    assert d.code == "SYN104" and "a name" in d.message


def test_syn104_fixed_input_passes():
    parse_ok("a -> b\nc -> d")
    parse_ok("objective o {\n  target t >= 5\n}")


# --------------------------------------------------------------------------- recovery


def test_three_errors_in_three_blocks_are_all_reported():
    text = (
        "segment ok1 { rule a }\n"
        "segment bad1 {\n  rule age >\n}\n"
        "objective ok2 { perspective financial }\n"
        "play bad2 {\n  step one\n}\n"
        "a -> b\n"
        "offer bad3 { risk R2 kind }}\n"
        "event ok3\n"
    )
    f, diags = errors(text)
    assert [(d.code, d.span.line) for d in diags] == [("SYN101", 4), ("SYN101", 7), ("SYN101", 10)]
    names = [d.id.name if isinstance(d, ast.Block) else "link" for d in f.decls]
    assert names == ["ok1", "ok2", "link", "ok3"]
    # spans of the blocks after an error are still right
    assert f.decls[3].span.line == 11


def test_literal_and_syntax_errors_together():
    f, diags = errors("segment a { estimate 3q }\nsegment b { rule }\nsegment c { estimate 4 }\n")
    assert [(d.code, d.span.line) for d in diags] == [("SYN103", 1), ("SYN101", 2)]
    assert [d.id.name for d in f.decls] == ["a", "c"]


def test_error_in_the_first_statement_keeps_later_positions():
    f, diags = errors('strategy {\n  owner\n}\n\nsegment s "中文" {\n  rule x\n}\n')
    assert [d.code for d in diags] == ["SYN101"]
    (s,) = f.decls
    assert (s.span.line, s.label.span.column, s.items[0].span.line) == (5, 11, 6)


def test_recovery_keeps_unindented_blocks_whole():
    # `theme growth`, `segment a`, `offer b` at column 1 are attributes, not new declarations
    text = (
        "objective F1 {\nperspective financial\ntheme growth\n}\n"
        "play p {\nsegment a\noffer b\nstep 1 phone using s\n}\n"
        "segment bad { rule }\n"
    )
    f, diags = errors(text)
    assert [(d.code, d.span.line) for d in diags] == [("SYN101", 10)]
    o, p = f.decls
    assert [i.name.name for i in o.items] == ["perspective", "theme"]
    assert [getattr(i, "name", None) and i.name.name for i in p.items[:2]] == ["segment", "offer"]


@pytest.mark.parametrize(
    "header",
    [
        "segment s { rule x }",
        'segment s "S"',
        'segment s "S" # c',
        'import "x"',
        "a -> b",
        'strategy { owner "x" }',
        "schema c { id string key }",
        "perspectives { a }",
        'segment s "S" {\n  rule x\n}',
    ],
)
def test_unclosed_block_ends_where_a_declaration_starts_at_column_1(header):
    f, diags = errors(f"objective o {{\n  perspective financial\n\n{header}\n")
    assert diags[0].code == "SYN102" and (diags[0].span.line, diags[0].span.column) == (1, 13)
    assert len(f.decls) == 1 and f.decls[0].span.line == 4


def test_syn103_escape_of_a_line_break_stays_on_one_line():
    _, diags = errors('script s { pitch """\n  a \\\n  b\n""" }')
    (d,) = diags
    assert d.code == "SYN103" and "\n" not in d.message and "`\\\\n`" in d.message
