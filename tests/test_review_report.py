"""The review's pictures and report (review_map.py, review_html.py) on the bank example.

The fixture: examples/bank_wealth with examples/bank_wealth/data/actuals.csv (2026-Q1 and Q2; green,
amber and red targets), outcomes.csv (one play with a significant lift, one without, one
with no control group) and three review triggers (two fire), as of 2026-07-15.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from stratlang.backends.review_html import (
    LEVELS,
    render_review,
    render_review_html,
    t,
    trend_chart,
)
from stratlang.backends.review_map import STATUS_STYLES, review_map_svg, status_word
from stratlang.check import check_entry
from stratlang.model import Model
from stratlang.review import PlanTrigger, ReviewResult, plan_from_model, review

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "review"
BANK = ROOT / "examples" / "bank_wealth" / "main.strat"
BANK_DATA = BANK.parent / "data"
AS_OF = dt.date(2026, 7, 15)
TRIGGERS = (
    PlanTrigger(
        "fee_review", "财富中收偏离目标超过15%", "F2.fee_income", "deviation", None, 0.15, 1,
        "启动战略评估", "战略发展部",
    ),
    PlanTrigger(
        "winback_realloc", "沉睡VIP唤醒率连续两季度低于15%", "C4.reactivated", "threshold", "<",
        15, 2, "启动资源再分配", "私人银行部",
    ),
    PlanTrigger(
        "aum_review", "AUM偏离目标超过15%", "F1.aum_total", "deviation", None, 0.15, 1,
        "启动战略评估", "战略发展部",
    ),
)  # fmt: skip


def bank_review(
    model: Model, actuals: Path = BANK_DATA / "actuals.csv", triggers=TRIGGERS, plan=None
) -> ReviewResult:
    plan = replace(plan or plan_from_model(model), triggers=tuple(triggers))
    return review(plan, actuals, as_of=AS_OF, outcomes=BANK_DATA / "outcomes.csv")


@pytest.fixture(scope="module")
def bank() -> tuple[Model, ReviewResult]:
    res = check_entry(BANK)
    assert res.model is not None
    return res.model, bank_review(res.model)


@pytest.fixture(scope="module")
def pages(bank) -> dict[str, str]:
    model, result = bank
    return {lang: render_review_html(model, result, lang=lang) for lang in ("zh", "en")}


# ---------------------------------------------------------------- the map


def _nodes(svg: str) -> list[tuple[str, str]]:
    """(class, inner SVG) of every node group (Graphviz writes `-` in attributes as `&#45;`)."""
    svg = svg.replace("&#45;", "-")
    return re.findall(r'<g id="[^"]+" class="node ([^"]*)">(.*?)</g>', svg, re.S)


def test_map_colours_every_objective_by_its_status(bank):
    model, result = bank
    svg = review_map_svg(model, result, "zh").decode("utf-8")
    statuses = {r.id: r.status for r in result.objectives}
    coloured = [(cls, body) for cls, body in _nodes(svg) if "status-" in cls]
    assert len(coloured) == len(model.objectives)
    seen = set()
    for cls, body in coloured:
        oid = re.search(r">([A-Z]\d)</text>", body).group(1)
        status = statuses[oid]
        assert f"status-{status}" in cls.split(), (oid, cls)
        assert f'fill="{STATUS_STYLES[status].fill}"' in body
        assert status_word(status, "zh") in body  # a word, not colour alone
        seen.add(oid)
    assert seen == set(model.objectives)
    assert {"green", "amber", "red"} <= set(statuses.values())


def test_map_marks_fired_triggers_and_headlines(bank):
    model, result = bank
    svg = review_map_svg(model, result, "zh").decode("utf-8")
    fired = [body for cls, body in _nodes(svg) if "trigger-fired" in cls]
    bodies = "".join(fired)
    assert len(fired) == 2 and "启动战略评估" in bodies and "启动资源再分配" in bodies
    assert "财富中收: 8800万 / 目标 1.05亿" in svg  # headline actual against its goal


def test_map_legend_in_both_languages(bank):
    model, result = bank
    for lang in ("zh", "en"):
        svg = review_map_svg(model, result, lang).decode("utf-8")
        for status in ("green", "amber", "red", "none"):
            assert status_word(status, lang) in svg
    assert "Review status" in svg and "as of 2026&#45;07&#45;15" in svg


# ---------------------------------------------------------------- the report


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_three_levels_in_both_languages(pages, lang):
    html = pages[lang]
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in html
    for level in LEVELS:
        assert f'id="level-{level}"' in html
        assert t(level, lang) in html
    assert html.count('class="map"') == 1  # the review map, inline
    for key in ("perspectives", "themes", "triggers", "gaps"):
        assert t(key, lang) in html


def test_level_option_leaves_one_level(bank):
    model, result = bank
    for level in LEVELS:
        html = render_review_html(model, result, lang="en", level=level)
        assert f'id="level-{level}"' in html
        assert [lv for lv in LEVELS if f'id="level-{lv}"' in html] == [level]
    assert 'class="map"' not in render_review_html(model, result, level="business")
    with pytest.raises(ValueError, match="unknown review level"):
        render_review_html(model, result, level="board")


def test_strategy_level_triggers_and_gaps(pages):
    html = pages["zh"]
    strategy = html.split('id="level-strategy"')[1].split('id="level-operations"')[0]
    assert "启动战略评估" in strategy and "战略发展部" in strategy
    assert "2026-Q2: 8800万 / 目标 1.05亿 (偏差 16.1%)" in strategy
    assert "另有 1 条规则未触发" in strategy
    gaps = strategy.split('id="gaps"')[1]
    assert "财富中收" in gaps and "1683.52万" in gaps  # 1.0484亿 goal − 8800万 actual


def test_operations_level_by_owner_with_forecasts(pages):
    html = pages["zh"]
    ops = html.split('id="level-operations"')[1].split('id="level-business"')[0]
    owners = re.findall(r"负责人：<span class=\"name\">([^<]*)</span>", ops)
    assert owners[:2] == ["财富管理部", "零售银行部"] and len(owners) == len(set(owners))
    assert "按当前趋势，2026年12月31日 达到 7384.62万，目标 1.2亿" in ops
    assert "代销保险费率下调" in ops  # the latest note
    en = pages["en"]
    assert "on current trend reaches 73.85 m of 120 m by 2026-12-31" in en


def test_business_level_lift_and_missing_control(pages):
    html = pages["en"]
    biz = html.split('id="level-business"')[1]
    cards = dict(re.findall(r'<article class="play" id="play-([^"]+)">(.*?)</article>', biz, re.S))
    assert (
        "+1.31 pp" in cards["payroll_activation"] and "significant" in cards["payroll_activation"]
    )
    assert "not significant" in cards["vip_winback"]
    for pid in ("mid_upgrade_play", "deposit_rollover", "silver_pension"):
        assert "conversion alone is not a result" in cards[pid], pid
    assert "conversion alone is not a result" not in cards["payroll_activation"]


# ---------------------------------------------------------------- charts


def test_charts_have_one_point_per_actual(bank, pages):
    _, result = bank
    html = pages["zh"]
    for r in result.measures:
        card = html.split(f'id="m-{r.measure.id}"')[1].split('<div class="measure ')[0]
        svg = card.split('<svg class="trend"')[1].split("</svg>")[0]
        assert svg.count('class="pt ') == sum(p.actual is not None for p in r.periods), r.measure.id
        assert svg.count('text-anchor="middle"') == len(r.periods)  # one x label per period


def test_goal_line_at_the_goals_height(bank):
    _, result = bank
    for r in result.measures:
        svg = str(trend_chart(r, "en"))
        attrs = dict(re.findall(r'data-(min|max|top|bottom)="([^"]+)"', svg))
        lo, hi, top, bottom = (float(attrs[k]) for k in ("min", "max", "top", "bottom"))
        goals = re.search(r'<polyline class="goal" points="([^"]+)"', svg)
        scored = [p for p in r.periods if p.goal is not None]
        if not scored:
            assert goals is None
            continue
        ys = [float(pt.split(",")[1]) for pt in goals.group(1).split()]
        expected = [top + (hi - p.goal) / (hi - lo) * (bottom - top) for p in scored]
        if len(scored) == 1:
            expected *= 2
        assert ys == pytest.approx(expected, abs=0.06), r.measure.id
        assert all(top <= y <= bottom for y in ys)


def test_status_bands_follow_the_tolerance(bank):
    _, result = bank
    fee = next(r for r in result.measures if r.measure.id == "F2.fee_income")
    svg = str(trend_chart(fee, "zh"))
    assert svg.count("band-green") == svg.count("band-amber") == len(fee.periods)
    assert f'fill="{STATUS_STYLES["amber"].fill}"' in svg


# ---------------------------------------------------------------- files, hostile text, determinism


def test_render_review_gives_every_file(bank):
    model, result = bank
    files = render_review(model, result)
    assert sorted(files) == ["review-map.svg", "review.html", "review.json"]
    assert json.loads(files["review.json"])["format"] == "stratlang-review"
    assert b"<svg" in files["review-map.svg"]
    assert '<html lang="zh-CN">' in files["review.html"]  # the strategy's locale


HOSTILE = "<script>alert(1)</script></style><img src=x onerror=alert(2)>\u202eevil\u202c {{ 7*7 }}"


def hostile_review(model: Model, tmp_path: Path) -> tuple[Model, ReviewResult]:
    body = (BANK_DATA / "actuals.csv").read_text(encoding="utf-8")
    body = body.replace("代销保险费率下调", '"' + HOSTILE.replace('"', '""') + '"')
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(body, encoding="utf-8")
    objectives = dict(model.objectives)
    objectives["F2"] = replace(objectives["F2"], label=HOSTILE, owner="部" * 10_000)
    hostile = replace(model, objectives=objectives)
    plan = plan_from_model(hostile)
    measures = tuple(
        replace(m, label="长" * 10_000) if m.id == "C1.nps" else m for m in plan.measures
    )
    triggers = [replace(TRIGGERS[0], label=HOSTILE, action=HOSTILE, owner=HOSTILE)]
    return hostile, bank_review(hostile, actuals, triggers, replace(plan, measures=measures))


def test_hostile_text_is_inert(bank, tmp_path):
    model, result = hostile_review(bank[0], tmp_path)
    files = render_review(model, result, lang="en")
    html = files["review.html"]
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert html.count("</style>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;/style&gt;" in html
    assert "\u202e" not in html and "\u202c" not in html and "{{ 7*7 }}" in html
    assert "长" * 10_000 in html and "部" * 10_000 in html
    svg = files["review-map.svg"].decode("utf-8")
    assert "<script" not in svg and "&lt;script&gt;" in svg


def test_deterministic_across_runs_and_directories(bank, tmp_path):
    model, result = bank
    first = render_review(model, result, lang="en")
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        again = render_review(model, bank_review(check_entry(BANK).model), lang="en")
    finally:
        os.chdir(cwd)
    assert first == again
