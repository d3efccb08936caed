"""Schema field labels: `aum money "资产规模"` — parsed, kept by the formatter, in the model and
model.json, and used when rules are put into words."""

from __future__ import annotations

import json

from conftest import codes

from stratlang import parse_text
from stratlang.backends.json import render_model_json
from stratlang.fmt import format_text
from stratlang.words import rule_in_words

PROJECT = """
strategy "S" { period 2026-01-01 .. 2026-12-31 }
schema c {
  id     string key "客户号"
  assets money      "资产规模"
  vip    bool       "贵宾客户"
  score  int
}
segment s { rule vip and assets >= 5万 and score > 3 }
"""


def test_parse_label_after_flags():
    f, diags = parse_text(PROJECT)
    assert diags == []
    schema = f.decls[1]
    assert [(x.name.name, x.label.value if x.label else None) for x in schema.items] == [
        ("id", "客户号"),
        ("assets", "资产规模"),
        ("vip", "贵宾客户"),
        ("score", None),
    ]
    assert [g.name for g in schema.items[0].flags] == ["key"]


def test_model_and_json_carry_the_label(project):
    res = project(PROJECT)
    assert "NAM204" not in codes(res) and res.error_count == 0
    assert res.model.schema.fields["assets"].label == "资产规模"
    assert res.model.schema.fields["score"].label is None
    doc = json.loads(render_model_json(res.model))
    assert {f["name"]: f["label"] for f in doc["schema"]["fields"]}["vip"] == "贵宾客户"


def test_rule_words_use_labels(project):
    res = project(PROJECT)
    words = rule_in_words(res.model.segment_rule("s"), res.model, "zh")
    assert "贵宾客户" in words and "资产规模不低于5万" in words and "score" in words


def test_formatter_keeps_labels_and_is_stable():
    once = format_text(PROJECT)
    assert '"资产规模"' in once and '"客户号"' in once
    assert format_text(once) == once
