"""Scoring against hand-computed cases (docs/review.md states the contract being tested).

The strategy runs 2026-01-01 .. 2026-12-31 (364 days from start to end). Quarter ends are day 89
(03-31), 180 (06-30), 272 (09-30) and 364 (12-31) counted from the start.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from stratlang.review import Milestone, Plan, PlanMeasure, PlanTrigger, review
from stratlang.review.periods import cadence_periods, parse_period

START, END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
AS_OF = dt.date(2026, 10, 15)


def measure(id: str, unit: str = "number", op: str | None = ">=", value=100.0, **kw) -> PlanMeasure:
    return PlanMeasure(id, kw.pop("label", "财富客户AUM余额"), unit, op, value, **kw)


def run(tmp_path: Path, measures, rows, triggers=(), as_of=AS_OF, outcomes=None):
    path = tmp_path / "actuals.csv"
    path.write_text(
        "measure,period,value\n" + "".join(f"{m},{p},{v}\n" for m, p, v in rows), encoding="utf-8"
    )
    plan = Plan(START, END, tuple(measures), tuple(triggers), ("vip_winback",))
    return review(plan, path, as_of=as_of, outcomes=outcomes)


def periods(result, i=0):
    return {p.period: p for p in result.measures[i].periods}


def test_greater_or_equal_statuses_and_shortfalls(tmp_path):
    # T = 100, tolerance 0.10: met is green; a shortfall up to 10% amber (10% itself included)
    rows = [("F1.x", "2026-Q1", "100"), ("F1.x", "2026-Q2", "95"), ("F1.x", "2026-Q3", "90")]
    r = run(tmp_path, [measure("F1.x")], rows, as_of=dt.date(2027, 1, 1))
    got = periods(r)
    assert [(got[q].status, got[q].shortfall) for q in ("2026-Q1", "2026-Q2", "2026-Q3")] == [
        ("green", 0.0),
        ("amber", 0.05),
        ("amber", 0.1),
    ]
    assert got["2026-Q4"].status == "none"
    r = run(tmp_path, [measure("F1.x")], [("F1.x", "2026-Q1", "80")])
    assert periods(r)["2026-Q1"].status == "red"
    assert periods(r)["2026-Q1"].shortfall == pytest.approx(0.2)


def test_strictly_greater_is_not_met_on_equality(tmp_path):
    r = run(tmp_path, [measure("F1.x", op=">")], [("F1.x", "2026-Q1", "100")])
    q1 = periods(r)["2026-Q1"]
    assert (q1.status, q1.shortfall) == ("amber", 0.0)


def test_less_or_equal(tmp_path):
    # T = 180: 170 is met; 190 misses by 10/180 = 5.6% (amber); 200 by 20/180 = 11.1% (red)
    m = measure("F3.cost", op="<=", value=180.0, label="单客年经营成本（元）")
    rows = [
        ("F3.cost", "2026-Q1", "170"),
        ("F3.cost", "2026-Q2", "190"),
        ("F3.cost", "2026-Q3", "200"),
    ]
    got = periods(run(tmp_path, [m], rows))
    assert got["2026-Q1"].status == "green"
    assert got["2026-Q2"].status == "amber"
    assert got["2026-Q2"].shortfall == pytest.approx(10 / 180, abs=1e-9)
    assert got["2026-Q3"].status == "red"
    assert got["2026-Q2"].attainment == pytest.approx(180 / 190)


def test_baseline_above_target_interpolates_down(tmp_path):
    # baseline 230, target 180 by the strategy end: the Q2 goal is 230 - 50 * 180/364
    m = measure("F3.cost", op="<=", value=180.0, baseline=230.0)
    got = periods(run(tmp_path, [m], [("F3.cost", "2026-Q2", "206")]))
    goal = 230 - 50 * 180 / 364
    assert got["2026-Q2"].goal == pytest.approx(goal)
    assert got["2026-Q2"].status == "amber"
    assert got["2026-Q2"].shortfall == pytest.approx(round((206 - goal) / goal, 9))
    assert got["2026-Q4"].goal == pytest.approx(180.0)


def test_baseline_with_an_earlier_deadline_holds_the_target_after_it(tmp_path):
    # deadline 06-30 (day 180): Q1 goal 31 + 14 * 89/180; periods after the deadline not scored
    m = measure("C1.nps", value=45.0, baseline=31.0, deadline=dt.date(2026, 6, 30))
    got = periods(run(tmp_path, [m], [("C1.nps", "2026-Q1", "40")]))
    assert got["2026-Q1"].goal == pytest.approx(31 + 14 * 89 / 180)
    assert list(got) == ["2026-Q1", "2026-Q2"]


def test_between_range(tmp_path):
    # [40, 60]: 50 inside; 63 is 3/60 = 5% above (amber); 30 is 10/40 = 25% below (red)
    m = measure("C2.share", unit="percent", op="between", value=40.0, high=60.0)
    rows = [
        ("C2.share", "2026-Q1", "50%"),
        ("C2.share", "2026-Q2", "63"),
        ("C2.share", "2026-Q3", "30%"),
    ]
    got = periods(run(tmp_path, [m], rows))
    assert (got["2026-Q1"].status, got["2026-Q1"].attainment) == ("green", 1.0)
    assert (got["2026-Q2"].status, got["2026-Q2"].shortfall) == ("amber", 0.05)
    assert got["2026-Q2"].attainment == pytest.approx(0.95)
    assert (got["2026-Q3"].status, got["2026-Q3"].shortfall) == ("red", 0.25)


def test_between_with_baseline_moves_both_ends(tmp_path):
    m = measure("C2.share", op="between", value=40.0, high=60.0, baseline=20.0)
    got = periods(run(tmp_path, [m], [("C2.share", "2026-Q2", "35")]))
    f = 180 / 364
    assert got["2026-Q2"].goal == pytest.approx(20 + 20 * f)
    assert got["2026-Q2"].goal_high == pytest.approx(20 + 40 * f)
    assert got["2026-Q2"].status == "green"


def test_ratios_and_multiples(tmp_path):
    ratio = measure("P1.ratio", unit="ratio", value=1.5, label="存贷比")
    multiple = measure("P1.lever", unit="multiple", value=4.0, label="杠杆倍数")
    rows = [
        ("P1.ratio", "2026-Q1", "1:1.2"),  # 1.2: (1.5 - 1.2) / 1.5 = 20% short, red
        ("P1.ratio", "2026-Q2", "2:3"),  # 1.5: met
        ("P1.lever", "2026-Q1", "5x"),
        ("P1.lever", "2026-Q2", "3倍"),  # (4 - 3) / 4 = 25% short, red
    ]
    r = run(tmp_path, [ratio, multiple], rows)
    assert periods(r, 0)["2026-Q1"].actual == pytest.approx(1.2)
    assert [periods(r, 0)[q].status for q in ("2026-Q1", "2026-Q2")] == ["red", "green"]
    assert periods(r, 1)["2026-Q1"].actual == 5.0
    assert [periods(r, 1)[q].status for q in ("2026-Q1", "2026-Q2")] == ["green", "red"]


def test_milestone_overrides_the_interpolated_goal(tmp_path):
    m = measure("F1.x", baseline=0.0, milestones=(Milestone("2026-Q2", ">=", 70.0),))
    got = periods(run(tmp_path, [m], [("F1.x", "2026-Q2", "60"), ("F1.x", "2026-Q1", "30")]))
    assert got["2026-Q2"].goal == 70.0
    assert got["2026-Q1"].goal == pytest.approx(100 * 89 / 364)


def test_goal_zero_any_miss_is_red(tmp_path):
    m = measure("C3.complaints", op="<=", value=0.0, label="重大投诉件数")
    got = periods(
        run(tmp_path, [m], [("C3.complaints", "2026-Q1", "1"), ("C3.complaints", "2026-Q2", "0")])
    )
    assert (got["2026-Q1"].status, got["2026-Q1"].shortfall) == ("red", None)
    assert got["2026-Q2"].status == "green"


def test_missing_past_periods_are_findings_but_the_current_one_is_not(tmp_path):
    r = run(tmp_path, [measure("F1.x")], [("F1.x", "2026-Q1", "100")])
    missing = [(f.code, f.period) for f in r.findings if f.code == "REV804"]
    assert missing == [("REV804", "2026-Q2"), ("REV804", "2026-Q3")]  # Q4 is still running
    assert periods(r)["2026-Q4"].status == "none"


def test_monthly_and_quarterly_cadences(tmp_path):
    monthly = measure("F1.m", cadence="monthly")
    quarterly = measure("F1.q")
    rows = [("F1.m", "2026-01", "90"), ("F1.m", "2026-02-28", "100"), ("F1.q", "2026-03-31", "100")]
    r = run(tmp_path, [monthly, quarterly], rows, as_of=dt.date(2026, 3, 15))
    assert list(periods(r, 0)) == ["2026-01", "2026-02", "2026-03"]  # a date = its month
    assert periods(r, 0)["2026-02"].actual == 100
    assert list(periods(r, 1)) == ["2026-Q1"]
    assert periods(r, 1)["2026-Q1"].actual == 100  # 03-31 is the quarter's last day


def test_actuals_after_as_of_are_not_scored(tmp_path):
    r = run(tmp_path, [measure("F1.x")], [("F1.x", "2026-Q4", "10")], as_of=dt.date(2026, 6, 1))
    assert list(periods(r)) == ["2026-Q1", "2026-Q2"]
    assert r.measures[0].status == "none"


def test_trend_forecast_and_gaps(tmp_path):
    # Q1 100 (day 89), Q2 110 (day 180): slope 10/91 a day, at day 364: 110 + 10 * 184/91
    r = run(
        tmp_path,
        [measure("F1.x", value=150.0)],
        [("F1.x", "2026-Q1", "100"), ("F1.x", "2026-Q2", "110")],
    )
    mr = r.measures[0]
    assert mr.change == 10
    assert mr.forecast is not None
    assert mr.forecast.value == pytest.approx(110 + 10 * 184 / 91)
    assert mr.forecast.by == END and mr.forecast.target == 150
    assert mr.gap == pytest.approx(40)
    assert mr.final_gap == pytest.approx(150 - (110 + 10 * 184 / 91))


def test_deviation_and_threshold_triggers(tmp_path):
    triggers = [
        PlanTrigger(
            "dev", "AUM偏离预警", "F1.x", "deviation", None, 0.10, 2, "召开经营分析会", "财富管理部"
        ),
        PlanTrigger("low", "AUM低位预警", "F1.x", "threshold", "<", 90.0, 3),
        PlanTrigger("dip", "AUM单季回落", "F1.x", "threshold", "<", 90.0, 1),
    ]
    rows = [("F1.x", "2026-Q1", "85"), ("F1.x", "2026-Q2", "88")]  # 15% and 12% below 100
    r = run(tmp_path, [measure("F1.x")], rows, triggers)
    dev, low, dip = r.triggers
    assert dev.fired and [e.period for e in dev.evidence] == ["2026-Q1", "2026-Q2"]
    assert [e.deviation for e in dev.evidence] == pytest.approx([0.15, 0.12])
    assert not low.fired  # three periods asked, two given
    assert dip.fired and [e.actual for e in dip.evidence] == [88]
    assert [f.code for f in r.findings].count("REV803") == 2


def test_trigger_needs_consecutive_periods(tmp_path):
    t = PlanTrigger("dev", "偏离", "F1.x", "deviation", None, 0.10, 2)
    rows = [("F1.x", "2026-Q1", "80"), ("F1.x", "2026-Q3", "80")]  # Q2 has no actual
    assert not run(tmp_path, [measure("F1.x")], rows, [t]).triggers[0].fired


def test_rollup_worst_status_and_weighted_score(tmp_path):
    ms = [
        measure("F1.a", objective="F1", perspective="financial", theme="growth", weight=1.0),
        measure("F1.b", objective="F1", perspective="financial", theme="growth", weight=3.0),
        measure("C1.c", objective="C1", perspective="customer"),
        measure("C2.d", objective="C2", perspective="customer"),
    ]
    rows = [("F1.a", "2026-Q3", "80"), ("F1.b", "2026-Q3", "120"), ("C1.c", "2026-Q3", "95")]
    r = run(tmp_path, ms, rows)
    objectives = {o.id: o for o in r.objectives}
    # F1: red (80) and green (120, attainment 1.2): (0.8 * 1 + 1.2 * 3) / 4 = 1.1
    assert (objectives["F1"].status, objectives["F1"].score) == ("red", pytest.approx(1.1))
    assert (objectives["C1"].status, objectives["C1"].score) == ("amber", pytest.approx(0.95))
    assert (objectives["C2"].status, objectives["C2"].score) == ("none", None)
    assert [p.id for p in r.perspectives] == ["financial", "customer"]
    assert r.perspectives[1].status == "amber"
    assert r.strategy.status == "red"
    assert r.strategy.score == pytest.approx((0.8 + 3.6 + 0.95) / 5)


def test_attainment_is_capped(tmp_path):
    r = run(tmp_path, [measure("F1.x")], [("F1.x", "2026-Q1", "400")])
    assert periods(r)["2026-Q1"].attainment == 1.5


def test_tracked_measure_has_no_goal(tmp_path):
    r = run(tmp_path, [measure("M.visits", op=None, value=None)], [("M.visits", "2026-Q1", "1.5k")])
    q1 = periods(r)["2026-Q1"]
    assert (q1.actual, q1.goal, q1.status) == (1500, None, "none")


def test_play_lift_with_wald_interval(tmp_path):
    out = tmp_path / "outcomes.csv"
    out.write_text(
        "play,period,group,contacted,converted\n"
        "vip_winback,2026-Q2,treatment,1000,80\nvip_winback,2026-Q2,control,500,25\n",
        encoding="utf-8",
    )
    r = run(tmp_path, [measure("F1.x")], [], outcomes=out)
    (p,) = r.plays
    margin = 1.959963984540054 * math.sqrt(0.08 * 0.92 / 1000 + 0.05 * 0.95 / 500)
    assert p.lift == pytest.approx(0.03)
    assert (p.ci_low, p.ci_high) == (pytest.approx(0.03 - margin), pytest.approx(0.03 + margin))
    assert p.treatment.rate == pytest.approx(0.08) and p.control.converted == 25


def test_periods_in_python_match_sql_labels():
    assert parse_period("2026Q4").label == "2026-Q4"
    assert parse_period("2026-05-31").kind == "day"
    assert parse_period("2026-13") is None
    assert [p.label for p in cadence_periods("yearly", START, END)] == ["2026"]
    assert len(cadence_periods("monthly", dt.date(2026, 1, 1), dt.date(2028, 12, 31))) == 36
