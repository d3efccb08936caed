"""Enum values with labels (`channel_pref enum(app "手机银行", branch "网点")`): parsed, kept by
the formatter, resolved onto the field, written to model.json, read in rules in words."""

from __future__ import annotations

import textwrap

from stratlang import parse_text
from stratlang.backends.json import model_to_dict
from stratlang.check import check_entry
from stratlang.fmt import format_text, structure

PROJECT = textwrap.dedent(
    """\
    strategy "Labels" {
      owner  "Ops"
      period 2026-01-01 .. 2026-12-31
      locale zh-CN
    }
    schema customer {
      id           string key
      channel_pref enum(app "手机银行", wechat "微信", phone, branch "网点") "偏好渠道"
      tier         enum(a, b, c)
    }
    segment s "非网点客户" { rule channel_pref != branch }
    """
)


def test_parsed_with_and_without_labels():
    tree, diags = parse_text(PROJECT)
    assert not diags
    schema = next(d for d in tree.decls if getattr(d, "kind", None) == "schema")
    fields = {f.name.name: f for f in schema.items}
    t = fields["channel_pref"].type
    assert [v.name for v in t.enum_values] == ["app", "wechat", "phone", "branch"]
    assert [x.value if x else None for x in t.enum_labels] == ["手机银行", "微信", None, "网点"]
    assert fields["tier"].type.enum_labels == ()  # no label at all: nothing to keep


def test_formatter_keeps_the_labels_and_is_stable():
    messy = PROJECT.replace('app "手机银行", wechat', 'app   "手机银行" ,wechat').replace(
        "enum(a, b, c)", "enum( a,b ,c, )"
    )
    out = format_text(messy)
    assert 'enum(app "手机银行", wechat "微信", phone, branch "网点")' in out
    assert "enum(a, b, c)" in out
    assert format_text(out) == out
    assert structure(parse_text(out)[0]) == structure(parse_text(messy)[0])
    # a label needing escapes survives the round trip
    odd = PROJECT.replace('"微信"', '"微\\"信\\\\"')
    again = format_text(odd)
    assert structure(parse_text(again)[0]) == structure(parse_text(odd)[0])


def test_field_and_model_json(tmp_path):
    (tmp_path / "main.strat").write_text(PROJECT, encoding="utf-8")
    res = check_entry(tmp_path / "main.strat")
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"]
    f = res.model.schema.fields["channel_pref"]
    assert f.enum_values == ("app", "wechat", "phone", "branch")  # the comparison order
    assert f.value_label("branch") == "网点" and f.value_label("phone") is None
    fields = {x["name"]: x for x in model_to_dict(res.model)["schema"]["fields"]}
    assert fields["channel_pref"]["enum_labels"] == {
        "app": "手机银行",
        "wechat": "微信",
        "branch": "网点",
    }
    assert "enum_labels" not in fields["tier"]  # a project without labels keeps its bytes


def test_rules_in_words_use_the_labels(tmp_path):
    from stratlang import words as w

    (tmp_path / "main.strat").write_text(PROJECT, encoding="utf-8")
    m = check_entry(tmp_path / "main.strat").model
    assert w.rule_in_words(m.segment_rule("s"), m, "zh") == "偏好渠道不为网点"
