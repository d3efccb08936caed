"""Play and compliance checks (PLY601, PLY603–606, PLY608–611): triggered and fixed."""

from __future__ import annotations

from pathlib import Path

from conftest import BASE, write_project
from golden import check_golden

from stratlang.check import check_entry
from stratlang.diagnostics import Severity
from stratlang.render import render

MAP = """
objective F1 "Grow AUM" {
  perspective financial
  target aum "AUM growth" >= 20% by 2026-12-31
}
"""

CHANNELS = """
channel phone "Outbound call" {
  kind     outbound_call
  capacity 2000 per day
  cap      2 per 30d
}
channel app_push "App push" { kind push  capacity unlimited }
"""

SCRIPTS = """
script call_script "Welcome call" {
  channel    phone
  pitch      "A flexible fund for your salary."
  disclaimer "Investments carry risk."
}
script push_script "Welcome push" {
  channel    app_push
  pitch      "Your salary arrived: invest in one tap."
  disclaimer "Investments carry risk."
  opt_out    "Reply STOP to opt out"
}
"""

SEGMENT = """
segment young "Young payroll" {
  rule     payroll and age between 22 and 35 and risk_level >= R2
  estimate 120000
}
offer fund "Salary fund" { risk R2 }
"""

PLAY = """
play activation "Payroll activation" {
  segment  young
  offer    fund
  step 1   phone using call_script
  step 2   app_push using push_script after 3d
  supports F1
  target   conversion "Conversion" >= 8% by 2026-09-30
  control  10%
}
"""


def build(tmp_path: Path, files: dict[str, str]):
    """Write a project (name -> text; the first file is the entry) and check it."""
    return check_entry(write_project(tmp_path, files))


def proj(
    tmp_path, *, base=BASE, channels=CHANNELS, scripts=SCRIPTS, segment=SEGMENT, play=PLAY, extra=""
):
    text = base + MAP + channels + scripts + segment + play + extra
    return build(tmp_path, {"main.strat": text}), text


def only(result, code):
    return [d for d in result.diagnostics if d.code == code]


def ply(result):
    return [d.code for d in result.diagnostics if d.code.startswith("PLY")]


def pos(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the nth occurrence of needle."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


def at(d):
    return d.span.line, d.span.column


def test_clean_project_has_no_play_diagnostics(tmp_path):
    r, _ = proj(tmp_path)
    assert ply(r) == []
    assert r.ok


# ----------------------------------------------------------------------------- PLY601


def test_ply601_step_channel_differs_from_script_channel(tmp_path):
    play = PLAY.replace("step 2   app_push using push_script", "step 2   phone using push_script")
    r, text = proj(tmp_path, play=play)
    [d] = only(r, "PLY601")
    assert d.severity == Severity.ERROR
    assert d.message == (
        "step 2 of play `activation` sends script `push_script` on channel `phone`, "
        "but the script is for `app_push`"
    )
    assert at(d) == pos(text, "phone using push_script")
    assert d.labels[0].span.line == pos(text, "channel    app_push")[0]
    assert "`step 2 app_push using push_script`" in d.help[0]


# ----------------------------------------------------------------------------- PLY603


def test_ply603_script_for_risky_offer_without_disclaimer(tmp_path):
    scripts = SCRIPTS.replace('  disclaimer "Investments carry risk."\n', "", 1)
    r, text = proj(tmp_path, scripts=scripts)
    [d] = only(r, "PLY603")
    assert d.severity == Severity.ERROR
    assert (
        d.message == "script `call_script` is used with a risk-rated offer but has no `disclaimer`"
    )
    assert at(d) == pos(text, "call_script", 0)
    assert d.labels[0].message == "used by play `activation` with offer `fund` (risk R2)"
    assert d.labels[0].span.line == pos(text, "using call_script")[0]


def test_ply603_not_for_offer_without_risk(tmp_path):
    scripts = SCRIPTS.replace('  disclaimer "Investments carry risk."\n', "", 1)
    r, _ = proj(
        tmp_path, scripts=scripts, segment=SEGMENT.replace("{ risk R2 }", "{ kind service }")
    )
    assert only(r, "PLY603") == []


# ----------------------------------------------------------------------------- PLY604


def test_ply604_capacity_exceeded_by_two_plays(tmp_path):
    # 120000 × 90% ÷ 365 ≈ 296 per day each; a second play on a 60-day period adds 1800.
    second = """
play reminder "Reminder" {
  segment  young
  step 1   phone using call_script
  supports F1
  target   conversion2 "Conversion" >= 5% by 2026-09-30
  control  10%
  period   2026-03-01 .. 2026-04-29
}
"""
    r, text = proj(tmp_path, extra=second)
    [d] = only(r, "PLY604")
    assert d.severity == Severity.WARNING
    assert d.message == (
        "channel `phone` needs about 2,096 contacts per day but has capacity 2,000 per day "
        "(plays `activation`, `reminder`)"
    )
    assert at(d) == pos(text, "2000 per day")
    assert [lab.message for lab in d.labels] == [
        "`activation`: about 296 per day",
        "`reminder`: about 1,800 per day",
    ]
    assert "`reminder` 120,000 customers × 90% ÷ 60 days = 1,800" in d.notes[0]
    # One play alone fits.
    assert only(proj(tmp_path)[0], "PLY604") == []


def test_ply604_fixed_by_a_longer_period_and_skips_unknown_sizes(tmp_path):
    second = """
play reminder "Reminder" {
  segment  young
  step 1   phone using call_script
  supports F1
  target   conversion2 "Conversion" >= 5% by 2026-09-30
  control  10%
  period   2026-03-01 .. 2026-06-30
}
"""
    r, _ = proj(tmp_path, extra=second)
    assert only(r, "PLY604") == []
    # A segment without `estimate` is not counted (no size to multiply).
    seg = SEGMENT.replace("  estimate 120000\n", "")
    r2, _ = proj(tmp_path, segment=seg, channels=CHANNELS.replace("2000 per day", "1 per day"))
    assert only(r2, "PLY604") == []


def test_ply604_weekly_capacity_and_each_play_once_per_channel(tmp_path):
    play = PLAY.replace(
        "  supports F1\n", "  step 3   phone using call_script after 40d\n  supports F1\n"
    )
    ch = CHANNELS.replace("capacity 2000 per day", "capacity 2000 per week")
    r, _ = proj(tmp_path, play=play, channels=ch)
    [d] = only(r, "PLY604")
    # 296 per day once (two steps on phone do not double it) vs 2000/7 ≈ 286.
    assert "about 296 contacts per day" in d.message
    assert "2,000 per week (286 per day)" in d.message


# ----------------------------------------------------------------------------- PLY605


def test_ply605_contact_cap(tmp_path):
    play = PLAY.replace(
        "  supports F1\n",
        "  step 3   phone using call_script after 10d\n"
        "  step 4   phone using call_script after 10d\n  supports F1\n",
    )
    r, text = proj(tmp_path, play=play)
    [d] = only(r, "PLY605")
    assert d.severity == Severity.WARNING
    assert (
        d.message
        == "play `activation` contacts a customer 3 times on `phone` within 30 days; the channel allows 2"
    )
    assert at(d) == pos(text, "step 4")
    assert d.label == "contact 3 on day 23"
    assert [lab.message for lab in d.labels] == ["contact on day 0", "contact on day 13", "the cap"]


def test_ply605_fixed_by_spacing(tmp_path):
    play = PLAY.replace(
        "  supports F1\n",
        "  step 3   phone using call_script after 10d\n"
        "  step 4   phone using call_script after 30d\n  supports F1\n",
    )
    r, _ = proj(tmp_path, play=play)
    assert only(r, "PLY605") == []


# ----------------------------------------------------------------------------- PLY606


def test_ply606_play_supports_nothing(tmp_path):
    r, text = proj(tmp_path, play=PLAY.replace("  supports F1\n", ""))
    [d] = only(r, "PLY606")
    assert d.severity == Severity.ERROR
    assert d.message == "play `activation` supports no objective"
    assert at(d) == pos(text, "activation")
    assert not r.ok


# ----------------------------------------------------------------------------- PLY608


def test_ply608_step_numbers_out_of_order(tmp_path):
    r, text = proj(tmp_path, play=PLAY.replace("step 2   app_push", "step 3   app_push"))
    [d] = only(r, "PLY608")
    assert d.severity == Severity.ERROR
    assert d.message == "step 3 of play `activation` should be step 2"
    line, col = pos(text, "step 3")
    assert at(d) == (line, col + 5)
    assert d.suggestions[0].replacement == "2"


def test_ply608_after_on_first_step(tmp_path):
    r, text = proj(
        tmp_path, play=PLAY.replace("phone using call_script", "phone using call_script after 2d")
    )
    [d] = only(r, "PLY608")
    assert d.message == "the first step of play `activation` has `after`"
    assert at(d) == pos(text, "2d")


# ----------------------------------------------------------------------------- PLY609


def test_ply609_default_list_points_at_phrase(tmp_path):
    scripts = SCRIPTS.replace(
        '"A flexible fund for your salary."', '"一款保本保收益的理财，Risk-Free!"'
    )
    r, text = proj(tmp_path, scripts=scripts)
    ds = only(r, "PLY609")
    assert [d.message for d in ds] == [
        "script `call_script` contains the banned phrase “保本保收益” in `pitch`",
        "script `call_script` contains the banned phrase “risk-free” in `pitch`",
    ]
    assert all(d.severity == Severity.ERROR for d in ds)
    assert at(ds[0]) == pos(text, "保本保收益")
    assert (ds[0].span.end_column - ds[0].span.column) == 5
    assert at(ds[1]) == pos(text, "Risk-Free")


def test_ply609_negated_default_phrase_is_fine(tmp_path):
    scripts = SCRIPTS.replace(
        '"Investments carry risk."', '"本产品不保本，理财非存款，并非无风险。"', 1
    )
    r, _ = proj(tmp_path, scripts=scripts)
    assert only(r, "PLY609") == []


def test_ply609_strategy_banned_list_triple_quoted_and_escapes(tmp_path):
    base = BASE.replace("  locale en\n", '  locale en\n  banned "稳赚", "double your money"\n')
    scripts = SCRIPTS.replace(
        '"A flexible fund for your salary."',
        '''"""
    \\"Hi!\\" This fund will
      Double Your Money.
  """''',
    )
    scripts += 'script other "o" { channel phone  closing "Zero risk, \\u{7A33}\\u{8D5A}!" }\n'
    r, text = proj(tmp_path, base=base, scripts=scripts)
    ds = only(r, "PLY609")
    assert [d.message for d in ds] == [
        "script `call_script` contains the banned phrase “double your money” in `pitch`",
        "script `other` contains the banned phrase “稳赚” in `closing`",
    ]
    assert at(ds[0]) == pos(text, "Double Your Money")
    # Written with escapes: not in the source literally, so the whole string is shown.
    assert at(ds[1]) == pos(text, '"Zero risk')
    assert ds[1].labels[0].message == "banned here"
    # The default list does not apply when the strategy has its own: "Zero risk" is fine here.
    assert not any("zero" in d.message.lower() for d in ds)


def test_ply609_objections_are_checked(tmp_path):
    scripts = SCRIPTS.replace(
        '  disclaimer "Investments carry risk."\n',
        '  disclaimer "Investments carry risk."\n  objection "Is it safe?" -> "It is 零风险."\n',
        1,
    )
    r, text = proj(tmp_path, scripts=scripts)
    [d] = only(r, "PLY609")
    assert (
        d.message
        == "script `call_script` contains the banned phrase “零风险” in an objection answer"
    )
    assert at(d) == pos(text, "零风险")


# ----------------------------------------------------------------------------- PLY610


def test_ply610_messaging_script_without_opt_out(tmp_path):
    r, text = proj(tmp_path, scripts=SCRIPTS.replace('  opt_out    "Reply STOP to opt out"\n', ""))
    [d] = only(r, "PLY610")
    assert d.severity == Severity.WARNING
    assert (
        d.message == "script `push_script` is sent by push (`app_push`) but has no `opt_out` text"
    )
    assert at(d) == pos(text, "push_script", 0)
    assert r.ok


# ----------------------------------------------------------------------------- PLY611


def test_ply611_no_target_no_control(tmp_path):
    play = PLAY.replace('  target   conversion "Conversion" >= 8% by 2026-09-30\n', "").replace(
        "  control  10%\n", ""
    )
    r, text = proj(tmp_path, play=play)
    [d] = only(r, "PLY611")
    assert d.severity == Severity.WARNING
    assert (
        d.message
        == "play `activation` has no `target` and no `control`, so its effect cannot be measured"
    )
    assert at(d) == pos(text, "activation")
    r2, _ = proj(tmp_path, play=PLAY.replace("  control  10%\n", ""))
    assert [x.message for x in only(r2, "PLY611")] == [
        "play `activation` has no `control`, so its effect cannot be measured"
    ]


# ----------------------------------------------------------------------------- golden


def test_golden_ply_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scripts = SCRIPTS.replace('"A flexible fund for your salary."', '"一款保本保收益的理财"')
    scripts = scripts.replace('  opt_out    "Reply STOP to opt out"\n', "")
    r, _ = proj(tmp_path, scripts=scripts)
    diags = only(r, "PLY609") + only(r, "PLY610")
    assert len(diags) == 2
    check_golden("check/ply609_ply610.txt", render(diags, r.sources, "text", color=False))
