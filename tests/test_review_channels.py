"""Contacts per channel against capacity (docs/review.md, "Contacts per channel").

The plan runs 2026-01-01 .. 2026-12-31. 2026-Q2 has 91 days (Apr 30 + May 31 + Jun 30),
2026-02 has 28. Capacities by hand: per day N × days, per week N × days / 7, per month N × months.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from stratlang.backends.review_html import render_review_html, t
from stratlang.check import check_entry
from stratlang.engine.data import DataError
from stratlang.model import Model
from stratlang.review import (
    ChannelPlan,
    PlanChannel,
    PlanMeasure,
    ReviewResult,
    channels_from_model,
    review,
    review_json,
)
from stratlang.review.plan import Plan

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "examples" / "bank_wealth"
START, END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
AS_OF = dt.date(2026, 7, 15)
HEADER = "play,period,group,channel,contacted,converted\n"

PLAN = Plan(
    START,
    END,
    (PlanMeasure("F1.x", "AUM", "number", ">=", 100.0),),
    (),
    ("winback", "upgrade"),
)
CHANNELS = ChannelPlan(
    (
        PlanChannel("call", "电话外呼", 100, "day"),
        PlanChannel("visit", "面访", 700, "week"),
        PlanChannel("mail", "邮寄", 3000, "month"),
        PlanChannel("push", "推送", None),
    ),
    {"winback": ("call", "visit", "mail", "push"), "upgrade": ("push", "call")},
)


def run(tmp_path: Path, body: str, channels: ChannelPlan | None = CHANNELS) -> ReviewResult:
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("measure,period,value\nF1.x,2026-Q1,100\n", encoding="utf-8")
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(body, encoding="utf-8")
    return review(PLAN, actuals, as_of=AS_OF, outcomes=outcomes, channels=channels)


def refused(tmp_path: Path, body: str, channels: ChannelPlan | None = CHANNELS) -> list[str]:
    with pytest.raises(DataError) as err:
        run(tmp_path, body, channels)
    return list(err.value.problems)


def uses(result: ReviewResult) -> dict[tuple[str, str], tuple[int, float | None, float | None]]:
    return {(c.period, c.channel): (c.contacts, c.capacity, c.utilisation) for c in result.channels}


# ---------------------------------------------------------------- capacity by hand


def test_capacity_per_day_week_month_for_a_quarter_and_a_month(tmp_path):
    r = run(
        tmp_path,
        HEADER
        + "winback,2026-Q2,treatment,call,9200,100\n"  # over: 9200 > 100 × 91
        + "winback,2026-Q2,treatment,visit,4550,50\n"
        + "winback,2026-Q2,treatment,mail,900,9\n"
        + "winback,2026-Q2,treatment,push,5000,20\n"
        + "winback,2026-Q2,control,,800,5\n"
        + "winback,2026-02,treatment,call,1400,10\n"
        + "winback,2026-02,treatment,visit,2800,10\n"
        + "winback,2026-02,treatment,mail,3000,10\n",
    )
    got = uses(r)
    # 2026-Q2, 91 days: 100/day × 91 = 9100; 700/week × 91 / 7 = 9100; 3000/month × 3 = 9000
    assert got[("2026-Q2", "call")] == (9200, 9100.0, pytest.approx(9200 / 9100))
    assert got[("2026-Q2", "visit")] == (4550, 9100.0, pytest.approx(0.5))
    assert got[("2026-Q2", "mail")] == (900, 9000.0, pytest.approx(0.1))
    assert got[("2026-Q2", "push")] == (5000, None, None)  # unlimited: no utilisation
    # 2026-02, 28 days: 2800; 700 × 28 / 7 = 2800; 3000 × 1 = 3000 (exactly at capacity: not over)
    assert got[("2026-02", "call")] == (1400, 2800.0, pytest.approx(0.5))
    assert got[("2026-02", "visit")] == (2800, 2800.0, pytest.approx(1.0))
    assert got[("2026-02", "mail")] == (3000, 3000.0, pytest.approx(1.0))
    over = {(c.period, c.channel) for c in r.channels if c.over_capacity}
    assert over == {("2026-Q2", "call")}
    # periods in time order, channels in declaration order
    assert [(c.period, c.channel) for c in r.channels] == [
        ("2026-02", "call"),
        ("2026-02", "visit"),
        ("2026-02", "mail"),
        ("2026-Q2", "call"),
        ("2026-Q2", "visit"),
        ("2026-Q2", "mail"),
        ("2026-Q2", "push"),
    ]
    assert r.channels[0].label == "电话外呼"


def test_a_week_capacity_over_a_quarter_of_90_days_and_a_single_day(tmp_path):
    r = run(
        tmp_path,
        HEADER
        + "winback,2026-Q1,treatment,visit,1000,1\n"
        + "winback,2026-04-30,treatment,mail,50,1\n",
    )
    got = uses(r)
    assert got[("2026-Q1", "visit")][1] == pytest.approx(700 * 90 / 7)  # Q1 2026: 90 days
    assert got[("2026-04-30", "mail")][1] == pytest.approx(3000 / 30)  # 1/30 of April


def test_contacts_sum_over_plays_and_only_treatment_rows_count(tmp_path):
    r = run(
        tmp_path,
        HEADER
        + "winback,2026-Q2,treatment,call,3000,30\n"
        + "upgrade,2026-Q2,treatment,call,2000,20\n"
        + "winback,2026-Q2,control,call,500,3\n"  # held out: never contacted, never counted
        + "upgrade,2026-Q2,control,,400,2\n",
    )
    assert uses(r) == {("2026-Q2", "call"): (5000, 9100.0, pytest.approx(5000 / 9100))}


# ---------------------------------------------------------------- lift unchanged


def test_split_rows_give_the_same_lift(tmp_path):
    whole = run(
        tmp_path,
        "play,period,group,contacted,converted\n"
        "winback,2026-Q2,treatment,3000,456\nwinback,2026-Q2,control,330,41\n",
    )
    split = run(
        tmp_path,
        HEADER
        + "winback,2026-Q2,treatment,call,2200,300\n"
        + "winback,2026-Q2,treatment,visit,700,150\n"
        + "winback,2026-Q2,treatment,push,100,6\n"
        + "winback,2026-Q2,control,,330,41\n",
    )
    assert split.plays == whole.plays
    (p,) = split.plays
    assert (p.treatment.contacted, p.treatment.converted) == (3000, 456)
    doc = json.loads(review_json(split))
    assert doc["plays"] == json.loads(review_json(whole))["plays"]


def test_split_rows_are_not_duplicates_but_a_channel_twice_is(tmp_path):
    problems = refused(
        tmp_path,
        HEADER
        + "winback,2026-Q2,treatment,call,10,1\n"
        + "winback,2026-Q2,treatment,visit,10,1\n"
        + "winback,2026-Q2,treatment,call,10,1\n",
    )
    assert problems == [
        "outcomes.csv row 3, column `group`: `winback 2026-Q2 treatment call` was already given"
        " in row 1"
    ]


# ---------------------------------------------------------------- refused by row and column


def test_unknown_channel_with_did_you_mean(tmp_path):
    problems = refused(
        tmp_path,
        HEADER + "winback,2026-Q2,treatment,call,10,1\nwinback,2026-Q2,treatment,cal,10,1\n",
    )
    assert problems == [
        "outcomes.csv row 2, column `channel`: unknown channel `cal`; did you mean `call`?"
    ]
    (far,) = refused(tmp_path, HEADER + "winback,2026-Q2,treatment,billboard,10,1\n")
    assert far.startswith("outcomes.csv row 1, column `channel`: unknown channel `billboard`")
    assert "call, visit, mail, push" in far


def test_channel_the_play_does_not_step_through(tmp_path):
    problems = refused(
        tmp_path,
        HEADER + "upgrade,2026-Q2,treatment,push,10,1\nupgrade,2026-Q2,treatment,visit,10,1\n",
    )
    assert problems == [
        "outcomes.csv row 2, column `channel`: play `upgrade` does not step through channel"
        " `visit`: it steps through push, call"
    ]


def test_treatment_row_needs_a_channel_and_every_problem_at_once(tmp_path):
    problems = refused(
        tmp_path,
        HEADER
        + "winback,2026-Q2,treatment,,10,1\n"
        + "winback,2026-Q2,control,,10,1\n"  # fine: the control group is not contacted
        + "upgrade,2026-Q2,treatment,mial,10,1\n"
        + "upgrade,2026-Q3,treatment,mail,10,1\n",
    )
    assert [p.split(":")[0] for p in problems] == [
        "outcomes.csv row 1, column `channel`",
        "outcomes.csv row 3, column `channel`",
        "outcomes.csv row 4, column `channel`",
    ]
    assert "needs the channel" in problems[0]
    assert "did you mean `mail`?" in problems[1]
    assert "does not step through channel `mail`" in problems[2]


def test_a_bare_plan_without_channels_only_splits_the_rows(tmp_path):
    r = run(
        tmp_path,
        HEADER + "winback,2026-Q2,treatment,anything,10,1\nwinback,2026-Q2,treatment,else,5,1\n",
        channels=None,
    )
    assert r.channels == () and r.plays[0].treatment.contacted == 15
    assert '"channels"' not in review_json(r)


# ---------------------------------------------------------------- old files unchanged

OLD = (
    "play,period,group,contacted,converted\n"
    "winback,2026-Q2,treatment,3000,456\nwinback,2026-Q2,control,330,41\n"
    "upgrade,2026-Q2,treatment,8000,376\n"
)
KEYS = {
    "$schema", "format", "format_version", "stratlang_version", "as_of", "strategy_period", "measures", "objectives",
    "perspectives", "themes", "strategy", "triggers", "plays", "findings",
}  # fmt: skip


def test_no_channel_column_no_channels_and_the_same_json(tmp_path):
    with_channels = run(tmp_path, OLD)
    without = run(tmp_path, OLD, channels=None)
    assert with_channels.channels == ()
    text = review_json(with_channels)
    assert text == review_json(without)
    assert set(json.loads(text)) == KEYS
    # the duplicates rule as today: (play, period, group)
    (dup,) = refused(tmp_path, OLD + "winback,2026-Q2,treatment,1,1\n")
    assert dup == (
        "outcomes.csv row 4, column `group`: `winback 2026-Q2 treatment` was already given in row 1"
    )


def test_channels_json_is_deterministic_and_rounded(tmp_path):
    r = run(tmp_path, HEADER + "winback,2026-Q1,treatment,visit,1000,1\n")
    text = review_json(r)
    assert text == review_json(run(tmp_path, HEADER + "winback,2026-Q1,treatment,visit,1000,1\n"))
    (use,) = json.loads(text)["channels"]
    assert use == {
        "channel": "visit",
        "label": "面访",
        "period": "2026-Q1",
        "contacts": 1000,
        "capacity": 9000.0,  # 700 × 90 / 7
        "utilisation": 0.111111,
        "over_capacity": False,
    }


# ---------------------------------------------------------------- the bank example and report


@pytest.fixture(scope="module")
def bank() -> tuple[Model, ReviewResult]:
    res = check_entry(BANK / "main.strat")
    assert res.model is not None
    result = review(
        res.model,
        BANK / "data" / "actuals.csv",
        as_of=AS_OF,
        outcomes=BANK / "data" / "outcomes.csv",
    )
    return res.model, result


def test_bank_example_phone_over_capacity_in_q2(bank):
    model, result = bank
    phone = model.channels["phone"]
    assert phone.capacity is not None and phone.capacity.per == "day"
    rate = float(phone.capacity.amount or 0)
    by = {(c.period, c.channel): c for c in result.channels}
    q2 = by[("2026-Q2", "phone")]
    assert q2.capacity == rate * 91
    assert q2.over_capacity and q2.utilisation is not None and q2.utilisation > 1
    assert [(c.period, c.channel) for c in result.channels if c.over_capacity] == [
        ("2026-Q2", "phone")
    ]
    assert by[("2026-Q1", "app_push")].capacity is None  # unlimited
    # the channel split leaves the lift as it was: payroll 2026-Q1 708/12000 vs 59/1300
    pay = next(p for p in result.plays if p.play == "payroll_activation")
    assert pay.lift == pytest.approx(708 / 12000 - 59 / 1300)


def test_channels_from_model_reads_the_plays_steps(bank):
    model, _ = bank
    plan = channels_from_model(model)
    assert [c.id for c in plan.channels] == list(model.channels)
    for pid, play in model.plays.items():
        assert set(plan.plays[pid]) == {s.channel for s in play.steps}


@pytest.mark.parametrize(
    ("lang", "over"), [("zh", "■ 超出产能"), ("en", "■ over capacity")]
)  # fmt: skip
def test_report_shows_a_channel_table_per_period(bank, lang, over):
    model, result = bank
    html = render_review_html(model, result, lang=lang, level="business")
    section = html.split('id="channels"')[1]
    for key in ("channels", "channel", "contacts", "capacity", "utilisation"):
        assert t(key, lang) in section
    if lang == "zh":
        assert all(w in section for w in ("渠道", "触达量", "产能", "使用率"))
    tables = section.split('<table class="grid channel-table"')[1:]
    assert [tb.split('data-period="')[1].split('"')[0] for tb in tables] == ["2026-Q1", "2026-Q2"]
    q1, q2 = tables
    assert over not in q1
    rows = q2.split("<tr ")[1:]
    marked = [row for row in rows if over in row]
    assert len(marked) == 1 and 'data-channel="phone"' in marked[0]
    assert 'class="channel over"' in marked[0]  # a class for print and a word, not colour alone
    assert q2.count('<svg class="bar use') == sum(
        1 for c in result.channels if c.period == "2026-Q2" and c.utilisation is not None
    )
    assert t("unlimited", lang) in q2  # app_push


def test_report_without_channels_has_no_table(bank):
    model, result = bank
    plain = dataclasses.replace(result, channels=())
    html = render_review_html(model, plain, lang="zh", level="business")
    assert 'id="channels"' not in html and t("channels", "zh") not in html
