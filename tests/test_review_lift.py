"""Lift per A/B arm with a winner, and every play against the holdout (docs/review.md,
"Variants and lift", "Programme against the holdout").

Known values: R's `prop.test(c(x1, x2), c(n1, n2), correct = FALSE)` gives X² = z² of the pooled
z-test and its p-value; `p.adjust(p, "holm")` the Holm adjustment.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_review_actuals import _check_shape

from stratlang.backends.review_html import render_review_html
from stratlang.check import check_entry
from stratlang.cli import _register, main
from stratlang.engine.data import DataError
from stratlang.model import Model
from stratlang.review import (
    ExperimentPlan,
    PlanMeasure,
    PlanVariant,
    ReviewResult,
    experiments_from_model,
    review,
    review_json,
)
from stratlang.review.plan import Plan
from stratlang.review.stats import (
    ALPHA,
    Group,
    compare_arms,
    holm,
    lift,
    normal_cdf,
    pooled_z,
    two_sided_p,
)
from stratlang.schemas import load_schema

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "tests" / "data" / "review_variants"
AS_OF = dt.date(2026, 7, 15)
HEADER = "play,period,group,variant,contacted,converted\n"
PLAN = Plan(
    dt.date(2026, 1, 1),
    dt.date(2026, 12, 31),
    (PlanMeasure("F1.x", "AUM", "number", ">=", 100.0),),
    (),
    ("spring", "senior"),
)
ARMS = ExperimentPlan(
    {"spring": (PlanVariant("short", "短文案"), PlanVariant("gift", "礼包版"))}, holdout=True
)
EXAMPLE = (
    HEADER + "spring,2026-Q2,treatment,short,5000,250\n"
    "spring,2026-Q2,treatment,gift,3000,240\n"
    "spring,2026-Q2,control,,1000,40\n"
)


def run(
    tmp_path: Path, body: str, experiments: ExperimentPlan | None = ARMS, plan: object = PLAN
) -> ReviewResult:
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("measure,period,value\nF1.x,2026-Q1,100\n", encoding="utf-8")
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(body, encoding="utf-8")
    return review(plan, actuals, as_of=AS_OF, outcomes=outcomes, experiments=experiments)


def refused(tmp_path: Path, body: str, experiments: ExperimentPlan | None = ARMS) -> list[str]:
    with pytest.raises(DataError) as err:
        run(tmp_path, body, experiments)
    return list(err.value.problems)


@pytest.fixture(scope="module")
def model() -> Model:
    result = check_entry(PROJECT / "main.strat")
    assert result.model is not None and not any(
        d.severity.name == "ERROR" for d in result.diagnostics
    )
    return result.model


def project_review(model: Model, outcomes: Path = PROJECT / "outcomes.csv") -> ReviewResult:
    return review(model, PROJECT / "actuals.csv", as_of=AS_OF, outcomes=outcomes)


# --------------------------------------------------------------------------- the statistics


def test_normal_cdf_and_two_sided_p_known_values():
    assert normal_cdf(0) == 0.5
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975, abs=1e-12)
    assert normal_cdf(-1) == pytest.approx(0.15865525393145707, abs=1e-12)
    assert two_sided_p(1.959963984540054) == pytest.approx(0.05, abs=1e-12)
    assert two_sided_p(-2.5758293035489004) == pytest.approx(0.01, abs=1e-12)
    assert two_sided_p(0) == 1.0
    # erfc keeps small p-values that 1 - Φ would round to 0
    assert 0 < two_sided_p(9) < 1e-18


@pytest.mark.parametrize(
    ("counts", "chi2", "p"),
    [
        ((80, 1000, 50, 1000), 7.4044, 0.006507),  # prop.test(c(80, 50), c(1000, 1000))
        ((30, 100, 20, 100), 2.6667, 0.1025),  # prop.test(c(30, 20), c(100, 100))
    ],
)
def test_pooled_z_test_against_prop_test(counts, chi2, p):
    z = pooled_z(*counts)
    assert z is not None and z * z == pytest.approx(chi2, abs=1e-4)
    assert lift(*counts).p_value == pytest.approx(p, abs=1e-4)


def test_lift_interval_relative_lift_and_undefined_cases():
    lf = lift(80, 1000, 50, 1000)
    margin = 1.959963984540054 * math.sqrt(0.08 * 0.92 / 1000 + 0.05 * 0.95 / 1000)
    assert (lf.p1, lf.p2) == (0.08, 0.05)
    assert lf.lift == pytest.approx(0.03)
    assert (lf.ci_low, lf.ci_high) == pytest.approx((0.03 - margin, 0.03 + margin))
    assert lf.relative == pytest.approx(0.6)
    assert lift(5, 100, 0, 100).relative is None  # control rate 0: no relative lift
    assert lift(5, 100, 0, 0).lift is None and lift(5, 100, 0, 0).p_value is None
    assert pooled_z(0, 100, 0, 50) == 0.0  # both rates 0: nothing told apart
    assert lift(0, 100, 0, 50).p_value == 1.0


def test_holm_against_p_adjust():
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0]  # capped at 1, never decreasing in rank
    assert holm([None, 0.02, 0.01]) == [None, 0.02, 0.02]  # an untested comparison is not counted
    assert holm([]) == []


# --------------------------------------------------------------------------- the winner


def arms(*counts: tuple[int, int]) -> list[Group]:
    return [Group(name, x, n) for name, (x, n) in zip("abcde", counts, strict=False)]


def test_a_clear_winner():
    tests = compare_arms(Group("control", 40, 1000), arms((250, 5000), (240, 3000), (110, 2000)))
    d = tests.decision
    assert (d.winner, d.reason) == ("b", "winner")
    assert d.p_value is not None and d.p_value < ALPHA
    # Holm over 3 arm-control + 3 arm-arm tests: b against control has the second smallest
    # raw p (b against a the smallest), so it is multiplied by 5
    raw = lift(240, 3000, 40, 1000).p_value
    assert raw is not None and tests.p_adjusted[1] == pytest.approx(5 * raw)
    assert tests.p_adjusted[0] > ALPHA and tests.p_adjusted[2] > ALPHA


def test_arms_not_told_apart_have_no_winner():
    d = compare_arms(Group("control", 50, 2000), arms((160, 2000), (150, 2000))).decision
    assert d.winner is None and d.reason == "not_told_apart"
    assert d.names == ("a", "b") and d.p_value is not None and d.p_value >= ALPHA


def test_too_small_a_sample_has_no_winner_whatever_the_rates():
    d = compare_arms(Group("control", 0, 25), arms((20, 25), (1, 25))).decision
    assert (d.winner, d.reason, d.names) == (None, "too_small", ("control",))
    assert (d.contacted, d.converted) == (25, 0)
    d = compare_arms(Group("control", 40, 1000), arms((400, 1000), (4, 1000))).decision
    assert (d.reason, d.names, d.converted) == ("too_small", ("b",), 4)


def test_an_arm_worse_than_control_never_wins():
    only_worse = compare_arms(Group("control", 100, 1000), arms((40, 1000))).decision
    assert (only_worse.winner, only_worse.reason) == (None, "not_above_control")
    one_worse = compare_arms(Group("control", 100, 1000), arms((40, 1000), (200, 1000)))
    assert one_worse.decision.winner == "b"
    assert one_worse.lifts[0].lift is not None and one_worse.lifts[0].lift < 0
    assert one_worse.p_adjusted[0] is not None and one_worse.p_adjusted[0] < ALPHA


def test_the_best_arm_must_itself_beat_control():
    # a: 8.5% of 200 (not significant against 5% of 2000); b: 8% of 5000 (significant)
    d = compare_arms(Group("control", 100, 2000), arms((17, 200), (400, 5000))).decision
    assert (d.winner, d.reason, d.names) == (None, "best_not_above_control", ("a",))


def test_no_control_group_no_winner():
    assert compare_arms(None, arms((100, 1000))).decision.reason == "no_control"


def test_never_a_winner_without_significance():
    control = Group("control", 50, 1000)
    grid = [(x, 1000) for x in (40, 55, 70, 90, 120)]
    for pair in itertools.combinations(grid, 2):
        tests = compare_arms(control, arms(*pair))
        if tests.decision.winner is None:
            continue
        i = "ab".index(tests.decision.winner)
        assert tests.p_adjusted[i] is not None and tests.p_adjusted[i] < ALPHA
        assert tests.decision.p_value is not None and tests.decision.p_value < ALPHA


# --------------------------------------------------------------------------- the file's rules


def test_arms_against_control_and_the_winner(tmp_path):
    (spring,) = run(tmp_path, EXAMPLE).plays
    assert [v.variant for v in spring.variants] == ["short", "gift"]
    gift = spring.variants[1]
    assert gift.label == "礼包版" and gift.treatment is not None
    assert (gift.treatment.contacted, gift.treatment.converted) == (3000, 240)
    assert gift.lift == pytest.approx(0.04) and gift.relative_lift == pytest.approx(1.0)
    assert gift.significant and not spring.variants[0].significant
    assert spring.winner is not None and spring.winner.variant == "gift"
    # the play's own lift is over every arm's rows summed, as without the column
    assert spring.treatment is not None and spring.treatment.contacted == 8000
    merged = HEADER + "spring,2026-Q2,treatment,,8000,490\nspring,2026-Q2,control,,1000,40\n"
    (plain,) = run(tmp_path, merged, None).plays
    assert (plain.lift, plain.ci_low, plain.ci_high) == (spring.lift, spring.ci_low, spring.ci_high)


def test_a_missing_arm_is_listed_and_too_small(tmp_path):
    body = HEADER + "spring,2026-Q2,treatment,gift,3000,240\nspring,2026-Q2,control,,1000,40\n"
    (spring,) = run(tmp_path, body).plays
    short = spring.variants[0]
    assert short.variant == "short" and short.treatment is None and short.lift is None
    assert spring.winner is not None and spring.winner.code == "too_small"
    assert "`short` has 0 contacted" in spring.winner.reason


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            "spring,2026-Q2,treatment,,10,1",
            "variant",
            "play `spring` has variants (short, gift): a treatment row names its arm",
        ),
        (
            "spring,2026-Q2,treatment,gfit,10,1",
            "variant",
            "unknown variant `gfit` of play `spring`; did you mean `gift`?",
        ),
        (
            "spring,2026-Q2,treatment,zzzzz,10,1",
            "variant",
            "unknown variant `zzzzz` of play `spring` (its variants: short, gift)",
        ),
        (
            "senior,2026-Q2,treatment,gift,10,1",
            "variant",
            "play `senior` has no variants: leave the variant empty, not `gift`",
        ),
        (
            "spring,2026-Q2,control,gift,10,1",
            "variant",
            "a control row leaves the variant empty (only treated customers get an arm), not `gift`",
        ),
        (
            "spring,2026-Q2,holdout,short,10,1",
            "variant",
            "a holdout row leaves the variant empty",
        ),
    ],
)
def test_variant_rules_refused_by_row_and_column(tmp_path, row, column, message):
    body = HEADER + "spring,2026-Q2,treatment,short,10,1\n" + row + "\n"
    (problem,) = refused(tmp_path, body)
    assert problem.startswith(f"outcomes.csv row 2, column `{column}`: "), problem
    assert message in problem


def test_holdout_needs_the_strategy_holdout(tmp_path):
    body = HEADER + "senior,2026-Q2,treatment,,10,1\nsenior,2026-Q2,holdout,,10,1\n"
    (problem,) = refused(tmp_path, body, ExperimentPlan(holdout=False))
    assert problem.startswith("outcomes.csv row 2, column `group`: ")
    assert "needs a strategy `holdout`" in problem
    (bare,) = refused(tmp_path, body, None)  # a bare Plan without experiments: refused too
    assert "needs a strategy `holdout`" in bare
    (other,) = refused(tmp_path, body.replace("holdout,", "held,"), ExperimentPlan(holdout=False))
    assert other.endswith("is not a group: write treatment or control")
    assert len(run(tmp_path, body, ExperimentPlan(holdout=True)).programme) == 1


def test_the_same_arm_twice_is_a_duplicate_and_other_arms_are_not(tmp_path):
    body = EXAMPLE + "spring,2026-Q2,treatment,gift,1,0\n"
    (problem,) = refused(tmp_path, body)
    assert problem.startswith("outcomes.csv row 4, column `group`: ")
    assert "`spring 2026-Q2 treatment gift` was already given in row 2" in problem


def test_without_experiments_the_arms_are_the_files(tmp_path):
    body = HEADER + (
        "spring,2026-Q2,treatment,b2,3000,240\n"
        "spring,2026-Q2,treatment,a1,5000,250\n"
        "spring,2026-Q2,control,,1000,40\n"
        "senior,2026-Q2,treatment,,300,20\n"
    )
    spring, senior = run(tmp_path, body, None).plays
    assert [(v.variant, v.label) for v in spring.variants] == [("b2", "b2"), ("a1", "a1")]
    assert senior.variants == () and senior.winner is None
    (problem,) = refused(tmp_path, body + "spring,2026-Q3,treatment,,3,1\n", None)
    assert problem == (
        "outcomes.csv row 5, column `variant`: play `spring` has variants (b2, a1): a treatment"
        " row names its arm"
    )


# --------------------------------------------------------------------------- programme


def test_programme_is_every_treatment_row_against_every_holdout_row(tmp_path):
    body = HEADER + (
        "spring,2026-Q2,treatment,short,5000,250\n"
        "spring,2026-Q2,treatment,gift,3000,240\n"
        "spring,2026-Q2,control,,1000,40\n"
        "spring,2026-Q2,holdout,,560,21\n"
        "senior,2026-Q2,treatment,,3600,101\n"
        "senior,2026-Q2,control,,400,10\n"
        "senior,2026-Q2,holdout,,200,5\n"
        "senior,2026-Q1,treatment,,100,5\n"  # a period without holdout rows: not listed
    )
    r = run(tmp_path, body)
    (q2,) = r.programme
    assert q2.period == "2026-Q2" and q2.treatment is not None and q2.holdout is not None
    assert (q2.treatment.contacted, q2.treatment.converted) == (11600, 591)
    assert (q2.holdout.contacted, q2.holdout.converted) == (760, 26)
    expected = lift(591, 11600, 26, 760)
    assert (q2.lift, q2.ci_low, q2.ci_high, q2.p_value) == (
        expected.lift,
        expected.ci_low,
        expected.ci_high,
        expected.p_value,
    )
    assert q2.significant == (expected.p_value is not None and expected.p_value < 0.05)
    # holdout rows never enter a play's own lift (treatment against control)
    senior = next(p for p in r.plays if p.play == "senior" and p.period == "2026-Q2")
    assert senior.control is not None and senior.control.contacted == 400


# --------------------------------------------------------------------------- review.json


def test_json_keys_only_when_used(tmp_path, model):
    plain = HEADER.replace(",variant", "") + (
        "spring_push,2026-Q2,treatment,10000,600\nspring_push,2026-Q2,control,1000,40\n"
    )
    path = tmp_path / "plain.csv"
    path.write_text(plain, encoding="utf-8")
    doc = json.loads(review_json(project_review(model, path)))
    assert "programme" not in doc
    assert all(k not in p for p in doc["plays"] for k in ("variants", "winner", "winner_reason"))

    doc = json.loads(review_json(project_review(model)))
    spring, senior = doc["plays"]
    assert spring["winner"] == {"variant": "gift", "reason": spring["winner_reason"]}
    assert [v["variant"] for v in spring["variants"]] == ["short", "gift", "call"]
    assert set(spring["variants"][0]) == {
        "variant", "label", "treatment", "lift", "ci_low", "ci_high", "relative_lift", "p_value",
    }  # fmt: skip
    assert "variants" not in senior and "winner" not in senior
    assert [p["period"] for p in doc["programme"]] == ["2026-Q2"]
    schema = load_schema("review")
    _check_shape(doc, schema, schema["$defs"])
    assert set(spring) <= set(schema["$defs"]["play"]["properties"])


def test_no_winner_is_null_with_a_reason(tmp_path):
    body = HEADER + (
        "spring,2026-Q2,treatment,short,2000,160\n"
        "spring,2026-Q2,treatment,gift,2000,150\n"
        "spring,2026-Q2,control,,2000,50\n"
    )
    (play,) = json.loads(review_json(run(tmp_path, body)))["plays"]
    assert play["winner"] is None
    assert play["winner_reason"].startswith("arms `short` and `gift` are not told apart (p = ")


def test_a_review_without_the_new_columns_is_unchanged(tmp_path):
    body = "play,period,group,contacted,converted\nspring,2026-Q2,treatment,100,9\n"
    body += "spring,2026-Q2,control,100,5\n"
    text = review_json(run(tmp_path, body, None))
    assert review_json(run(tmp_path, body, ARMS)) == text
    assert "variants" not in text and "programme" not in text


def test_review_json_is_deterministic(model):
    assert review_json(project_review(model)) == review_json(project_review(model))


def test_experiments_from_the_model(model):
    exp = experiments_from_model(model)
    assert exp.holdout is True
    assert [(v.id, v.label) for v in exp.variants["spring_push"]] == [
        ("short", "短文案"),
        ("gift", "礼包版"),
        ("call", "外呼版"),
    ]
    assert "senior_care" not in exp.variants


def test_a_channel_only_an_arm_steps_through_is_the_plays(tmp_path, model):
    body = "play,period,group,variant,channel,contacted,converted\n"
    body += "spring_push,2026-Q2,treatment,call,call_a,2000,110\n"
    path = tmp_path / "o.csv"
    path.write_text(body, encoding="utf-8")
    (use,) = project_review(model, path).channels
    assert (use.channel, use.contacts) == ("call_a", 2000)


# --------------------------------------------------------------------------- the report


def test_the_report_shows_each_arm_the_winner_and_the_programme(model):
    result = project_review(model)
    zh = render_review_html(model, result, level="business")
    assert zh.count('class="grid arm-table"') == 1
    for text in (
        "方案",
        "触达",
        "转化率",
        "较对照提升",
        "显著",
        "胜出方案：礼包版",
        "全部打法对比全局留存组",
    ):
        assert text in zh, text
    en = render_review_html(model, result, lang="en", level="business")
    for text in ("Variant", "Contacted", "Conversion", "Lift vs control", "Significant"):
        assert f">{text}</th>" in en, text
    assert "Winner: 礼包版" in en and "All plays against the holdout" in en
    assert 'data-variant="gift"' in en and 'class="arm winner"' in en


def test_the_report_says_why_there_is_no_winner(tmp_path, model):
    body = HEADER + (
        "spring_push,2026-Q2,treatment,short,20,3\n"
        "spring_push,2026-Q2,treatment,gift,20,9\n"
        "spring_push,2026-Q2,treatment,call,20,1\n"
        "spring_push,2026-Q2,control,,100,8\n"
    )
    path = tmp_path / "o.csv"
    path.write_text(body, encoding="utf-8")
    result = project_review(model, path)
    assert "暂无胜出方案：样本太少（短文案 触达 20、转化 3" in render_review_html(model, result)
    en = render_review_html(model, result, lang="en")
    assert "No winner: the sample is too small (短文案: 20 contacted, 3 converted" in en
    assert "programme" not in en.split('id="level-business"')[1].split("</section>")[0]


# --------------------------------------------------------------------------- the command


def test_stratlang_review_with_outcomes_end_to_end(tmp_path):
    _register()
    out = tmp_path / "out"
    args = [
        "review", str(PROJECT / "main.strat"), "--actuals", str(PROJECT / "actuals.csv"),
        "--outcomes", str(PROJECT / "outcomes.csv"), "--as-of", "2026-07-15", "-o", str(out),
    ]  # fmt: skip
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "review.json").read_text(encoding="utf-8"))
    spring = doc["plays"][0]
    assert spring["id"] == "spring_push" and spring["winner"]["variant"] == "gift"
    assert doc["programme"][0]["significant"] is True
    assert "胜出方案：礼包版" in (out / "review.html").read_text(encoding="utf-8")

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "spring_push,2026-Q2,treatment,gfit,10,1\n", encoding="utf-8")
    args[args.index(str(PROJECT / "outcomes.csv"))] = str(bad)
    args[-1] = str(tmp_path / "out2")
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2
    assert (
        "bad.csv row 1, column `variant`: unknown variant `gfit` of play `spring_push`" in r.output
    )
    assert "did you mean `gift`?" in r.output
    assert not (tmp_path / "out2").exists()
