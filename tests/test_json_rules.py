"""model.json's rule texts: printed by the formatter, so they parse back and keep the grouping."""

from __future__ import annotations

import json

import pytest
from conftest import BASE

from stratlang import parse_text
from stratlang.backends.json import render_model_json
from stratlang.fmt import format_text, structure
from stratlang.syntax import ast

RULES = [
    # the issue's case: a control character in a string and a group of the same kind
    r'email = "a\u{1}b" and (age > 3 and age < 9)',
    r'email = "a\u{1}b" and (age > 3 or age < 9)',
    "payroll and (age > 3 and (age < 9 or risk_level in [R1, R2]))",
    "(payroll or age > 1) or email is missing",
    "not (payroll or age between 1 and 5) and not payroll",
    r'email in ["x\"y", "t\tb", "back\\slash", "\u{7F}", "中文"] or email is present',
    "risk_level >= R3 and aum > 50万",
]


def _rule_of(text: str) -> object:
    """The rule AST of `segment s "S" { rule TEXT }`."""
    tree, diags = parse_text(f'segment s "S" {{ rule {text} }}\n')
    assert diags == [], [d.message for d in diags]
    return tree.decls[0].items[0].value


def _fmt_rule(text: str) -> str:
    """The rule as `stratlang fmt` prints it (in a block of two lines, so on a line of its own)."""
    out = format_text(f'segment s "S" {{\n  rule {text}\n  description "d"\n}}\n')
    [line] = [ln.strip() for ln in out.splitlines() if ln.strip().startswith("rule ")]
    return line[len("rule ") :].lstrip()


def _model_json(project, text: str) -> dict:
    res = project(
        BASE + f'segment s "S" {{ rule {text} }}\n'
        'segment c "C" { extends s rule aum > 100 and email is present }\n'
    )
    assert res.ok, [d.message for d in res.diagnostics if d.severity.name == "ERROR"]
    return json.loads(render_model_json(res.model))


@pytest.mark.parametrize("text", RULES)
def test_rule_text_parses_back_and_equals_fmt(project, text):
    doc = _model_json(project, text)
    seg = doc["segments"][0]
    assert seg["rule"] == _fmt_rule(text)
    assert structure(_rule_of(seg["rule"])) == structure(_rule_of(text))


@pytest.mark.parametrize("text", RULES)
def test_full_rule_parses_back(project, text):
    """The chain is one `and`, ancestors first; the grouping inside each rule stays."""
    child = _model_json(project, text)["segments"][1]
    parent, own = _rule_of(text), _rule_of("aum > 100 and email is present")
    ops = (parent.operands if isinstance(parent, ast.And) else (parent,)) + own.operands
    assert structure(_rule_of(child["full_rule"])) == structure(ast.And(None, ops))


def test_the_issue_rule_keeps_its_escape_and_its_group(project):
    seg = _model_json(project, r'email = "a\u{1}b" and (age>3 and age<9)')["segments"][0]
    assert seg["rule"] == r'email = "a\u{1}b" and (age > 3 and age < 9)'


def test_trigger_rule_text_is_the_formatters(project):
    text = r'email = "a\u{1}b" and (age > 3 and age < 9)'
    res = project(
        BASE
        + 'segment s "S" { rule payroll }\n'
        + 'objective F1 "F" { perspective financial }\n'
        + 'channel phone "Phone" { kind outbound_call capacity 100 per day }\n'
        + 'script s1 "S" { channel phone pitch "hi" disclaimer "risk" }\n'
        + f'play p "P" {{ segment s when rule {text} step 1 phone using s1 supports F1 }}\n'
    )
    doc = json.loads(render_model_json(res.model))
    assert doc["plays"][0]["trigger"]["rule"] == _fmt_rule(text)


def test_text_block_in_a_rule_prints_on_one_line(project):
    doc = _model_json(project, 'email = """\n  a\n  """')
    assert doc["segments"][0]["rule"] == 'email = "a"'
