"""Issue 12's language in the outputs: model.json, the strategy map and the playbook show the
mission and vision, ranges, ratios and multiples, milestones, review settings, tracked measures,
feedback links, review triggers and opportunity gaps."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from test_maps import HOSTILE, HOSTILE_TEXT
from test_playbook import Page

from stratlang.backends.base import Options
from stratlang.backends.dot import STATEMENT_LINES, render_dot, render_image
from stratlang.backends.html import render_playbook
from stratlang.backends.json import model_to_dict

PLAN = """
strategy "Wealth 2026" {
  owner   "Retail"
  period  2026-01-01 .. 2027-12-31
  locale  zh-CN
  mission "MISSION_TEXT"
  vision  "VISION_TEXT"
  cadence quarterly
}
objective F1 "财富中收" {
  perspective financial
  target fee "财富中收" >= 1200亿 by 2027-12-31 baseline 1000亿 {
    2026Q2  >= 1150亿
    2026-Q3 >= 1180亿
    cadence quarterly
    weight  2
    tolerance 15%
  }
  target roe "ROE" between 15% and 20% by 2026-12-31
  target roi "投入产出比" >= 1:1.2
  target lever "交叉销售倍数" >= 5倍
  measure share "市场份额"
}
objective C1 "客户信赖" {
  perspective customer
  target nps "NPS" >= 45
}
objective P1 "流程" { perspective process }
initiative I1 "养老金融产品线" { supports C1 }
C1 -> F1 "驱动收入"
P1 -> C1
F1 ~> P1 "经营回检"
review fee_check "中收偏差评估" {
  when   F1.fee deviates 15%
  action "ACTION_TEXT"
  owner  "战略部"
}
review roi_low "ROI 预警" {
  when   F1.roi < 1:1.2 for 2 quarters
  action "启动资源再分配"
  owner  "财务部"
}
gap pension_gap "养老金融机会差距" {
  estimate    4亿
  objectives  C1, F1
  initiatives I1
  description "与同业相比的规模差距"
}
"""


def _plan(mission: str = "让每位客户的财富稳健增长", vision: str = "客户首选的财富银行") -> str:
    return (
        PLAN.replace("MISSION_TEXT", mission)
        .replace("VISION_TEXT", vision)
        .replace("ACTION_TEXT", "启动战略评估")
    )


@pytest.fixture
def model(project):
    res = project(_plan())
    errors = [d for d in res.diagnostics if d.severity.name == "ERROR"]
    assert not errors, [(d.code, d.message) for d in errors]
    return res.model


@pytest.fixture
def hostile(project):
    """Hostile text in the mission, the vision and a review's action (as the .strat escapes it)."""
    res = project(
        PLAN.replace("MISSION_TEXT", HOSTILE)
        .replace("VISION_TEXT", HOSTILE)
        .replace("ACTION_TEXT", HOSTILE)
    )
    errors = [d for d in res.diagnostics if d.severity.name == "ERROR"]
    assert not errors, [(d.code, d.message) for d in errors]
    return res.model


# ---------------------------------------------------------------- model.json


def test_model_json_strategy_statement_and_cadence(model):
    doc = model_to_dict(model)
    assert doc["format_version"] == 1  # additive fields keep the version
    s = doc["strategy"]
    assert (s["mission"], s["vision"], s["cadence"]) == (
        "让每位客户的财富稳健增长",
        "客户首选的财富银行",
        "quarterly",
    )


def test_model_json_targets_ranges_ratios_multiples_milestones(model):
    doc = model_to_dict(model)
    f1 = doc["objectives"][0]
    fee, roe, roi, lever = f1["targets"]
    assert [
        (m["period"], m["op"], m["value"]["raw"], m["value"]["value"]) for m in fee["milestones"]
    ] == [
        ("2026-Q2", ">=", "1150亿", 115000000000),
        ("2026-Q3", ">=", "1180亿", 118000000000),
    ]
    assert fee["milestones"][0]["start"] == "2026-04-01"
    assert fee["milestones"][0]["end"] == "2026-06-30"
    assert (fee["cadence"], fee["weight"], fee["tolerance"]) == ("quarterly", 2, 0.15)
    assert (roe["op"], roe["value"]["raw"], roe["high"]["raw"]) == ("between", "15%", "20%")
    assert roe["cadence"] is None and roe["tolerance"] is None and roe["weight"] == 1
    assert roi["value"] == {"value": 1.2, "unit": "ratio", "raw": "1:1.2"}
    assert lever["value"] == {"value": 5, "unit": "multiple", "raw": "5倍"}
    assert roi["high"] is None and roi["milestones"] == []
    assert f1["measures"] == [
        {
            "id": "share",
            "label": "市场份额",
            "cadence": None,
            "weight": 1,
            "span": f1["measures"][0]["span"],
        }
    ]
    assert f1["measures"][0]["span"]["line"] > 0
    assert doc["objectives"][1]["measures"] == []


def test_model_json_links_reviews_gaps(model):
    doc = model_to_dict(model)
    kinds = [(lk["from"], lk["to"], lk["kind"], lk["label"]) for lk in doc["links"]]
    assert kinds == [
        ("C1", "F1", "causal", "驱动收入"),
        ("P1", "C1", "causal", None),
        ("F1", "P1", "feedback", "经营回检"),
    ]
    fee, roi = doc["reviews"]
    assert fee["when"] == "F1.fee deviates 15%"
    assert (fee["measure"], fee["kind"], fee["op"], fee["count"]) == (
        "F1.fee",
        "deviation",
        None,
        1,
    )
    assert fee["value"]["raw"] == "15%" and fee["action"] == "启动战略评估"
    assert roi["when"] == "F1.roi < 1:1.2 for 2 quarters"
    assert (roi["kind"], roi["op"], roi["count"], roi["unit"]) == ("threshold", "<", 2, "quarters")
    assert roi["value"] == {"value": 1.2, "unit": "ratio", "raw": "1:1.2"}
    assert roi["owner"] == "财务部"
    [gap] = doc["gaps"]
    assert gap["estimate"] == {"value": 400000000, "unit": "number", "raw": "4亿"}
    assert (gap["objectives"], gap["initiatives"]) == (["C1", "F1"], ["I1"])
    assert gap["description"] == "与同业相比的规模差距"
    json.dumps(doc)  # serialisable as it is


# ---------------------------------------------------------------- the strategy map


def _edge_lines(dot: str) -> list[str]:
    return [ln for ln in dot.splitlines() if re.match(r"\s*n\d+ -> n\d+ \[(?!style=invis)", ln)]


def test_map_feedback_link_is_dashed_and_does_not_constrain(model):
    dot = render_dot(model, "strategy", Options())
    edges = _edge_lines(dot)
    [feedback] = [e for e in edges if "经营回检" in e]
    assert "style=dashed" in feedback and "constraint=false" in feedback
    # F1 ~> P1 runs downward: written from P1 up to F1, the arrow drawn at P1 (dir=back)
    ids = dict(re.findall(r"(n\d+) \[fillcolor=[^\n]*?>(F1|P1)</font>", dot))
    ids = {v: k for k, v in ids.items()}
    assert feedback.strip().startswith(f"{ids['P1']} -> {ids['F1']} [dir=back")
    causal = [e for e in edges if "经营回检" not in e]
    assert causal and all("style=dashed" not in e for e in causal)
    assert "反馈链接" in dot  # explained in the legend


def test_map_chips_show_ranges_ratios_multiples_and_measures(model):
    dot = render_dot(model, "strategy", Options(show_targets=True))
    assert "ROE 15%–20%" in dot
    assert "投入产出比 ≥ 1:1.2" in dot
    assert "交叉销售倍数 ≥ 5倍" in dot
    assert "跟踪指标：市场份额" in dot
    en = render_dot(model, "strategy", Options(show_targets=True, lang="en"))
    assert "交叉销售倍数 ≥ 5x" in en and "measure: 市场份额" in en
    plain = re.sub(r'tooltip="[^"]*"', "", render_dot(model, "strategy", Options()))
    assert "跟踪指标" not in plain  # chips only with targets (the tooltips always list them)


def test_map_header_wraps_a_long_statement(project):
    long = "以客户为中心，" * 60
    res = project(_plan(mission=long))
    dot = render_dot(res.model, "strategy", Options())
    header = dot.splitlines()[1]
    mission = re.search(r"<b>使命</b>：(.*?)</font>", header)
    assert mission is not None
    lines = mission.group(1).split("<br/>")
    assert len(lines) == STATEMENT_LINES and lines[-1].endswith("…")
    assert "<b>愿景</b>：客户首选的财富银行" in header


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


@needs_dot
def test_map_svg_shows_mission_vision_and_chips(model):
    svg = render_image(model, "strategy", "svg", Options(show_targets=True))
    texts = "".join(
        t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
    )
    squashed = re.sub(r"\s+", "", texts)
    assert "使命：让每位客户的财富稳健增长" in squashed
    assert "愿景：客户首选的财富银行" in squashed
    assert "ROE15%–20%" in squashed and "≥1:1.2" in squashed


@needs_dot
def test_map_svg_hostile_statement_stays_text(hostile):
    svg = render_image(hostile, "strategy", "svg", Options())
    root = ET.fromstring(svg)  # well-formed
    tags = {el.tag.split("}")[-1] for el in root.iter()}
    assert not tags & {"script", "img", "b"}
    texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "<script>alert(1)</script>" in texts


# ---------------------------------------------------------------- the playbook


@pytest.fixture
def no_maps(monkeypatch):
    """The playbook without Graphviz (the maps are tested above)."""
    from stratlang.backends import html

    monkeypatch.setattr(html, "_maps", lambda model, options, lang: [])


def test_playbook_cover_has_mission_and_vision(model, no_maps):
    zh = Page(render_playbook(model, Options(lang="zh")))
    assert "使命让每位客户的财富稳健增长" in zh.visible.replace("\n", "").replace(" ", "")
    assert "愿景客户首选的财富银行" in zh.visible.replace("\n", "").replace(" ", "")
    en = Page(render_playbook(model, Options(lang="en")))
    assert "Mission" in en.visible and "Vision" in en.visible


def test_playbook_targets_show_goals_milestones_settings_and_measures(model, no_maps):
    zh = Page(render_playbook(model, Options(lang="zh"))).visible
    assert "2026-Q2 ≥ 1150亿 · 2026-Q3 ≥ 1180亿" in zh
    assert "每季度检视 · 权重 2 · 容差 15%" in zh
    assert "15%–20%" in zh and "≥ 1:1.2" in zh and "≥ 5倍" in zh
    assert "市场份额" in zh and "跟踪，不设目标值" in zh
    en = Page(render_playbook(model, Options(lang="en"))).visible
    assert "reviewed quarterly · weight 2 · tolerance 15%" in en
    assert "≥ 5x" in en and "tracked, no goal" in en


def test_playbook_review_triggers_and_gaps_zh(model, no_maps):
    html = render_playbook(model, Options(lang="zh"))
    page = Page(html)
    assert "review-loop" in page.ids
    text = page.visible
    assert "财富中收 偏离目标超过15%" in text
    assert "投入产出比 连续2个季度低于 1:1.2" in text
    assert "启动战略评估" in text and "战略部" in text and "启动资源再分配" in text
    assert "养老金融机会差距" in text and "4亿" in text and "养老金融产品线" in text
    assert "客户信赖" in text


def test_playbook_review_triggers_and_gaps_en(model, no_maps):
    text = Page(render_playbook(model, Options(lang="en"))).visible
    assert "Review triggers" in text and "Opportunity gaps" in text
    assert "财富中收 deviates more than 15% from its goal" in text
    assert "投入产出比 below 1:1.2 for 2 consecutive quarters" in text


def test_playbook_without_reviews_or_gaps_has_no_such_section(project, no_maps):
    text = _plan()
    text = text[: text.index("review fee_check")]
    res = project(text)
    assert "review-loop" not in Page(render_playbook(res.model, Options())).ids


def test_playbook_hostile_statement_and_action_are_escaped(hostile, no_maps):
    html = render_playbook(hostile, Options(lang="zh"))
    page = Page(html)
    assert page.count("script") == 0 and page.count("img") == 0
    assert page.visible.count(HOSTILE_TEXT) >= 3  # mission, vision, action
    assert "<b>bold</b>" not in html
