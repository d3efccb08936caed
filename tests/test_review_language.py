"""Issue 12's language in the model: milestones, ranges, ratios and multiples, target settings,
tracked measures, reviews, gaps and feedback links — resolution, checks, the review's plan, and
REV803 end to end on the bank example."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from stratlang.builder import ReviewInputs, review
from stratlang.check import check_entry
from stratlang.model import Gap, Measure, Review
from stratlang.review import review as score
from stratlang.review.plan import Milestone, plan_from_model

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "examples" / "bank_wealth"

BASE = """strategy "S" {
  period 2026-01-01 .. 2027-12-31
  mission "Grow every client's wealth"
  vision  "The first bank for wealth"
  cadence quarterly
}
"""

PROJECT = (
    BASE
    + """
objective F1 "Revenue" {
  perspective financial
  target revenue "Revenue" >= 5亿 by 2027-12-31 baseline 1亿 {
    2026Q4  >= 2亿
    2027-Q2 >= 3.5亿
    weight    2
    tolerance 15%
  }
  target roe "ROE" between 15% and 20% by 2027-12-31
  target roi "ROI" >= 1:1.2
  target lever "Cross-sell" >= 5倍 { cadence yearly }
  measure share "Market share" { cadence monthly  weight 0.5 }
}
objective C1 "Customers" { perspective customer  measure nps "NPS" }
C1 -> F1
F1 ~> C1 "feedback"
initiative i1 "Push" { supports C1 }
review r1 "Off plan" { when F1.revenue deviates 15%  action "Review"  owner "Strategy" }
review r2 "ROI low" { when F1.roi < 1:1.2 for 2 quarters  action "Reallocate" }
gap g1 "Opportunity" { estimate 5亿  objectives F1  initiatives i1 }
"""
)


def check(tmp_path: Path, text: str):
    p = tmp_path / "main.strat"
    p.write_text(text, encoding="utf-8")
    return check_entry(p)


def codes(result) -> list[str]:
    return [d.code for d in result.diagnostics]


def errors(result) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in result.diagnostics if d.severity.name == "ERROR"]


# --------------------------------------------------------------------------- resolution


def test_every_form_resolves(tmp_path):
    r = check(tmp_path, PROJECT)
    assert errors(r) == []
    m = r.model
    assert (m.strategy.mission, m.strategy.vision, m.strategy.cadence) == (
        "Grow every client's wealth",
        "The first bank for wealth",
        "quarterly",
    )
    revenue, roe, roi, lever = m.objectives["F1"].targets
    assert [(x.period, x.op, x.value.value) for x in revenue.milestones] == [
        ("2026-Q4", ">=", 200_000_000),
        ("2027-Q2", ">=", 350_000_000),
    ]
    assert revenue.milestones[0].start == dt.date(2026, 10, 1)
    assert revenue.milestones[0].end == dt.date(2026, 12, 31)
    assert (revenue.weight, revenue.tolerance, revenue.cadence) == (2.0, 0.15, None)
    assert m.cadence_of(revenue) == "quarterly"
    assert (roe.op, roe.value.value, roe.high and roe.high.value, roe.value.unit) == (
        "between",
        15,
        20,
        "percent",
    )
    assert (roi.value.unit, roi.value.value, roi.value.raw) == ("ratio", 1.2, "1:1.2")
    assert (lever.value.unit, lever.value.value, lever.cadence) == ("multiple", 5, "yearly")
    assert m.objectives["F1"].measures == (
        Measure("share", "Market share", "monthly", 0.5, *_span_node(m, "F1", "share")),
    )
    assert [(lk.source, lk.target, lk.kind) for lk in m.links] == [
        ("C1", "F1", "causal"),
        ("F1", "C1", "feedback"),
    ]
    r1, r2 = m.reviews.values()
    assert isinstance(r1, Review)
    assert (r1.measure, r1.kind, r1.op, r1.value.value, r1.count, r1.unit) == (
        "F1.revenue",
        "deviation",
        None,
        15,
        1,
        "periods",
    )
    assert (r1.action, r1.owner) == ("Review", "Strategy")
    assert (r2.kind, r2.op, r2.value.unit, r2.value.value, r2.count, r2.unit) == (
        "threshold",
        "<",
        "ratio",
        1.2,
        2,
        "quarters",
    )
    g = m.gaps["g1"]
    assert isinstance(g, Gap)
    assert (g.estimate and g.estimate.value, g.objectives, g.initiatives) == (
        500_000_000,
        ("F1",),
        ("i1",),
    )
    assert m.measure("F1.share") is m.objectives["F1"].measures[0]
    assert m.declaration("r1") is r1 and m.declaration("g1") is g
    assert m.kinds["r1"] == "review" and m.kinds["g1"] == "gap"


def _span_node(m, owner, mid):
    ms = next(x for x in m.objectives[owner].measures if x.id == mid)
    return ms.span, ms.node


def test_feedback_link_is_no_cycle_and_a_measure_satisfies_map406(tmp_path):
    r = check(tmp_path, PROJECT)
    assert "MAP401" not in codes(r) and "MAP402" not in codes(r)
    assert "MAP406" not in codes(r)  # C1 has only a measure
    cyclic = check(tmp_path, PROJECT.replace("F1 ~> C1", "F1 -> C1"))
    assert "MAP401" in codes(cyclic)


def test_feedback_link_is_still_checked_for_existence(tmp_path):
    r = check(tmp_path, PROJECT.replace("F1 ~> C1", "F1 ~> C9"))
    assert ("NAM201", "undefined objective `C9`") in errors(r)


@pytest.mark.parametrize(
    ("old", "new", "code", "words"),
    [
        ("2026Q4  >= 2亿", "2025Q4  >= 2亿", "TYP305", "outside the strategy period"),
        ("2027-Q2 >= 3.5亿", "2028-Q2 >= 3.5亿", "TYP305", "outside the strategy period"),
        ("2026Q4  >= 2亿", "2026-11  >= 2亿", "TYP305", "is not a quarter"),
        ("2026Q4  >= 2亿", "2026Q4  >= 20%", "TYP304", "is a percentage"),
        ("between 15% and 20%", "between 20% and 15%", "TYP305", "low end is above"),
        ("between 15% and 20%", "between 15% and 0.2", "TYP304", "different units"),
        ("tolerance 15%", "tolerance 150%", "TYP304", "between 0% and 100%"),
        ("weight    2", "weight    -2", "TYP304", "0 or more"),
        ("{ cadence yearly }", "{ cadence weekly }", "TYP303", "`weekly`"),
        ("deviates 15%", "deviates 15", "TYP304", "`deviates` takes a percentage"),
        ("< 1:1.2 for 2 quarters", "< 1.2 for 2 quarters", "TYP304", "measured as a ratio"),
        ("for 2 quarters", "for 0 quarters", "TYP304", "at least 1"),
        ("for 2 quarters", "for 2 weeks", "TYP303", "`weeks`"),
        ("for 2 quarters", "for 6 months", "TYP304", "reviewed quarterly"),
        ("< 1:1.2 for", "!= 1:1.2 for", "TYP302", "not `!=`"),
        ("F1.revenue deviates", "F1.revenu deviates", "NAM201", "undefined measure"),
        ("F1.revenue deviates", "F9.revenue deviates", "NAM201", "objective or play `F9`"),
        ("F1.revenue deviates", "i1.revenue deviates", "NAM203", "an objective or a play"),
        ("F1.revenue deviates", "F1.share deviates", "TYP302", "without a goal"),
        ("when F1.revenue deviates 15%", "when event e", "TYP302", "condition over a measure"),
        ("objectives F1", "objectives F9", "NAM201", "undefined objective `F9`"),
    ],
)
def test_errors(tmp_path, old, new, code, words):
    assert old in PROJECT
    r = check(tmp_path, PROJECT.replace(old, new, 1) + 'event e "E"\n')
    found = [msg for c, msg in errors(r) if c == code]
    assert any(words in msg for msg in found), (code, errors(r))


def test_a_play_when_must_not_be_a_measure_condition(tmp_path):
    play = """
segment s "S" { rule true_field }
play p "P" { segment s  supports F1  when F1.roi < 1:1.2  step 1 c using sc }
"""
    r = check(tmp_path, PROJECT + play)
    assert any("belongs in a `review`" in msg for c, msg in errors(r) if c == "TYP302")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("2026Q4  >= 2亿", "2026Q4  <= 2亿", "reads `<=`, the target `>=`"),
        ("2026Q4  >= 2亿", "2026Q4  >= 6亿", "beyond the final target"),
        ("2026Q4  >= 2亿", "2026Q4  >= 0.5亿", "behind the baseline"),
    ],
)
def test_milestone_contradicting_its_target_warns(tmp_path, old, new, words):
    r = check(tmp_path, PROJECT.replace(old, new))
    assert errors(r) == []
    assert any(d.code == "MAP411" and words in d.message for d in r.diagnostics)


def test_gap_nothing_closes_warns_and_allow_silences(tmp_path):
    text = PROJECT.replace("objectives F1  initiatives i1", "objectives F1")
    r = check(tmp_path, text)
    assert "MAP412" in codes(r)
    assert "MAP412" not in codes(
        check(tmp_path, text.replace("objectives F1 }", "objectives F1  allow MAP412 }"))
    )
    supported = check(tmp_path, text.replace("supports C1", "supports C1, F1"))
    assert "MAP412" not in codes(supported)


# --------------------------------------------------------------------------- the plan


def test_plan_reads_the_real_fields(tmp_path):
    plan = plan_from_model(check(tmp_path, PROJECT).model)
    by_id = {m.id: m for m in plan.measures}
    revenue = by_id["F1.revenue"]
    assert revenue.milestones == (
        Milestone("2026-Q4", ">=", 2e8),
        Milestone("2027-Q2", ">=", 3.5e8),
    )
    assert (revenue.tolerance, revenue.weight, revenue.cadence) == (0.15, 2.0, "quarterly")
    assert (by_id["F1.roe"].op, by_id["F1.roe"].value, by_id["F1.roe"].high) == ("between", 15, 20)
    assert (by_id["F1.roi"].unit, by_id["F1.roi"].value) == ("ratio", 1.2)
    assert (by_id["F1.lever"].unit, by_id["F1.lever"].cadence) == ("multiple", "yearly")
    share = by_id["F1.share"]
    assert (share.op, share.value, share.cadence, share.weight) == (None, None, "monthly", 0.5)
    assert by_id["C1.nps"].op is None
    t1, t2 = plan.triggers
    assert (t1.kind, t1.value, t1.periods, t1.action, t1.owner) == (
        "deviation",
        0.15,
        1,
        "Review",
        "Strategy",
    )
    assert (t2.kind, t2.op, t2.value, t2.periods) == ("threshold", "<", 1.2, 2)


AS_OF = dt.date(2026, 7, 15)


@pytest.fixture(scope="module")
def bank_review():
    result = check_entry(BANK / "main.strat")
    assert result.ok
    return result, score(result.model, BANK / "data" / "actuals.csv", as_of=AS_OF)


def _period(res, measure, period):
    m = next(x for x in res.measures if x.measure.id == measure)
    return next(p for p in m.periods if p.period == period)


def test_bank_milestone_target_by_hand(bank_review):
    _, res = bank_review
    # F1.aum_total >= 1200亿, baseline 1000亿, milestone 2026Q2 >= 1120亿; actual 1115亿:
    # shortfall (1120 − 1115) / 1120 = 0.446% <= 10% -> amber
    q2 = _period(res, "F1.aum_total", "2026-Q2")
    assert (q2.goal, q2.actual, q2.status) == (1120e8, 1115e8, "amber")
    assert q2.shortfall == pytest.approx(5 / 1120)
    # Q1 has no milestone: the straight line 1000 + 200 × 89/364 = 1048.9亿; 1052亿 is green
    q1 = _period(res, "F1.aum_total", "2026-Q1")
    assert q1.goal == pytest.approx(1000e8 + 200e8 * 89 / 364)
    assert q1.status == "green"


def test_bank_ratio_and_range_targets_by_hand(bank_review):
    _, res = bank_review
    # F3.roi >= 1:1.2 (1.2), tolerance 5%: Q2 actual 1:1.15 -> (1.2 − 1.15)/1.2 = 4.17% -> amber
    q2 = _period(res, "F3.roi", "2026-Q2")
    assert (q2.goal, q2.actual, q2.status) == (1.2, 1.15, "amber")
    assert _period(res, "F3.roi", "2026-Q1").status == "green"  # 1:1.25
    # F3.cost_income between 30% and 35%: 36.5% in Q1 (1.5/35 = 4.3% off: amber), 34.2% green
    assert _period(res, "F3.cost_income", "2026-Q1").status == "amber"
    assert _period(res, "F3.cost_income", "2026-Q2").status == "green"


def test_bank_exactly_one_review_fires(bank_review):
    _, res = bank_review
    fired = {t.id: t.fired for t in res.triggers}
    # fee income Q2: goal 0.9亿 + 0.3亿 × 180/364 = 1.048亿, actual 0.88亿: 16.1% off > 15%
    # ROI below 1:1.2 only in Q2 (Q1 was 1:1.25): not two quarters running
    assert fired == {"fee_deviation": True, "roi_low": False}


def test_rev803_end_to_end(bank_review, tmp_path):
    result, _ = bank_review
    reviewed = review(
        result,
        tmp_path / "out",
        ReviewInputs(BANK / "data" / "actuals.csv", as_of=AS_OF),
    )
    fired = [d for d in reviewed.diagnostics if d.code == "REV803"]
    assert len(fired) == 1
    d = fired[0]
    assert d.severity.name == "WARNING"
    assert "fee_deviation" in d.message and "F2.fee_income" in d.message
    assert d.span.file.endswith("main.strat")
    assert "when" in Path(d.span.file).read_text(encoding="utf-8").splitlines()[d.span.line - 1]
    assert d.notes == ("action: 启动战略评估 (战略部)",)


def test_findings_point_at_the_goal_not_the_body(bank_review, tmp_path):
    result, _ = bank_review
    reviewed = review(
        result, tmp_path / "out", ReviewInputs(BANK / "data" / "actuals.csv", as_of=AS_OF)
    )
    amber = next(d for d in reviewed.diagnostics if "F1.aum_total" in d.message)
    assert amber.code == "REV802"
    assert amber.span.line == amber.span.end_line  # the target line, without its milestones


def test_an_equals_target_is_scored_as_a_one_point_range(tmp_path):
    res = check(
        tmp_path,
        'strategy "S" { period 2026-01-01 .. 2026-12-31  locale en }\n'
        'objective F1 "Capital" { perspective financial\n'
        '  target ratio "Capital ratio" = 12% by 2026-12-31 { 2026Q1 = 11% } }\n',
    )
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(
        "measure,period,value\nF1.ratio,2026-Q1,11%\nF1.ratio,2026-Q2,11%\n", encoding="utf-8"
    )
    result = score(res.model, actuals, as_of=dt.date(2026, 7, 1))
    q1, q2 = result.measures[0].periods[:2]
    assert (q1.goal, q1.goal_high, q1.status) == (11, 11, "green")  # the milestone, met exactly
    assert (q2.goal, q2.goal_high, q2.status) == (12, 12, "amber")  # 1/12 = 8.3% short
    assert q2.shortfall == pytest.approx(1 / 12)


def test_the_report_states_a_fired_review_in_the_playbooks_words(bank_review):
    from stratlang.backends.review_html import trigger_rows

    result, scores = bank_review
    zh = trigger_rows(scores, result.model, "zh")
    en = trigger_rows(scores, result.model, "en")
    assert [r["measure"] for r in zh] == ["财富中收 偏离目标超过15%"]
    assert [r["label"] for r in zh] == ["营收偏差评估"]
    assert "deviates more than 15%" in str(en[0]["measure"])
