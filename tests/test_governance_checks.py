"""Contact governance checks (GOV701–GOV704) and the play checks run per variant arm."""

from __future__ import annotations

import textwrap
import time

import pytest
from conftest import BASE

from stratlang.check import check_entry
from stratlang.check import governance as gov
from stratlang.check.registry import run_checks
from stratlang.diagnostics import Severity

HEAD = (
    BASE.replace(
        "  email      string optional\n", "  sms_ok     bool\n  call_ok    bool optional\n"
    )
    + """
objective F1 "Grow AUM" { perspective financial  target aum "AUM growth" >= 20% by 2026-12-31 }
channel phone "Outbound call" { kind outbound_call  capacity 2000 per day }
channel app_push "App push" { kind push  capacity unlimited }
channel sms "SMS" { kind sms  capacity unlimited }
script call_s "Call" { channel phone  pitch "A fund."  disclaimer "Risk." }
script push_s "Push" { channel app_push  pitch "Invest."  disclaimer "Risk."  opt_out "STOP" }
script sms_s "SMS" { channel sms  pitch "Invest."  disclaimer "Risk."  opt_out "STOP" }
segment young "Young" { rule age between 22 and 35 and risk_level >= R2  estimate 36500 }
segment old "Old" { rule age > 60 and risk_level >= R2 }
segment rich "Rich" { rule aum >= 100万 and risk_level >= R2 }
offer fund "Fund" { risk R2 }
offer gift "Gift" { kind benefit }
"""
)

PLAY_TAIL = """  supports F1
  target   conv_{id} "Conversion" >= 8% by 2026-09-30
  control  10%
"""


def play(pid: str, segment: str, *steps: str, extra: str = "", priority: int = 0) -> str:
    """A play; each step is `CHANNEL using SCRIPT [after D]`, numbered in order."""
    lines = [f'play {pid} "{pid}" {{', f"  segment  {segment}", "  offer    fund"]
    lines += [f"  step {i} {s}" for i, s in enumerate(steps, start=1)]
    body = "\n".join(lines) + "\n" + PLAY_TAIL.format(id=pid)
    if priority:
        body += f"  priority {priority}\n"
    return body + textwrap.indent(textwrap.dedent(extra), "  ") + "}\n"


def policy(*lines: str) -> str:
    return 'policy rules "Rules" {\n' + "".join(f"  {x}\n" for x in lines) + "}\n"


def check(tmp_path, text: str):
    p = tmp_path / "main.strat"
    p.write_text(HEAD + text, encoding="utf-8")
    return check_entry(p)


def of(result, code: str):
    return [d for d in result.diagnostics if d.code == code]


def errors(result):
    return [(d.code, d.message) for d in result.diagnostics if d.severity == Severity.ERROR]


# --------------------------------------------------------------------------- GOV701


@pytest.mark.parametrize(
    ("gap", "reported"), [("6d", True), ("7d", False), ("1d", True), ("8d", False)]
)
def test_gov701_window_is_t_to_t_plus_d_minus_1(tmp_path, gap, reported):
    r = check(
        tmp_path,
        policy("at most 1 per 7d on outbound_call")
        + play("p", "young", "phone using call_s", f"phone using call_s after {gap}"),
    )
    got = of(r, "GOV701")
    assert bool(got) is reported
    if reported:
        d = got[0]
        assert d.severity == Severity.ERROR
        assert d.span.line == r.model.plays["p"].steps[1].span.line
        assert f"day 0 phone (step 1), day {gap[:-1]} phone (step 2)" in d.notes[0]
        assert "2 contacts in 7 days, at most 1" in d.notes[0]
        limit_span = r.model.policies["rules"].limits[0].span
        assert any(lb.span == limit_span for lb in d.labels)


def test_gov701_counts_only_the_limits_channels_and_every_channel_without_on(tmp_path):
    steps = ("phone using call_s", "app_push using push_s after 1d", "sms using sms_s after 1d")
    on_kind = check(
        tmp_path, policy("at most 1 per 7d on outbound_call") + play("p", "young", *steps)
    )
    assert of(on_kind, "GOV701") == []
    on_two = check(tmp_path, policy("at most 1 per 7d on push, sms") + play("p", "young", *steps))
    [d] = of(on_two, "GOV701")
    assert "day 1 app_push (step 2), day 2 sms (step 3)" in d.notes[0]
    every = check(tmp_path, policy("at most 2 per 7d") + play("p", "young", *steps))
    [d] = of(every, "GOV701")
    assert "3 times within 7 days" in d.message


def test_gov701_per_arm_names_the_arms(tmp_path):
    extra = """
    variant a "A" 50%
    variant b "B" 30% { offer gift }
    variant c "C" 20% {
      step 1 phone using call_s
      step 2 phone using call_s after 2d
    }
    """
    r = check(
        tmp_path,
        policy("at most 1 per 7d on outbound_call")
        + play("p", "young", "phone using call_s", "phone using call_s after 3d", extra=extra),
    )
    msgs = sorted(d.message for d in of(r, "GOV701"))
    assert len(msgs) == 2  # the play's schedule once (arms a, b), arm c's own once
    assert "(variants `a`, `b`)" in msgs[0] or "(variants `a`, `b`)" in msgs[1]
    assert any("(variant `c`)" in m for m in msgs)


def test_no_policy_no_governance_diagnostics(tmp_path):
    r = check(tmp_path, play("p", "young", "phone using call_s", "phone using call_s after 1d"))
    assert [d for d in r.diagnostics if d.code.startswith("GOV")] == []


# --------------------------------------------------------------------------- GOV702


def test_gov702_reported_at_the_later_play_with_witness_and_schedule(tmp_path):
    text = (
        policy("at most 2 per 7d")
        + play("first", "rich", "phone using call_s", priority=5)
        + play("second", "young", "sms using sms_s", "sms using sms_s after 2d")
    )
    r = check(tmp_path, text)
    [d] = of(r, "GOV702")
    assert d.severity == Severity.WARNING
    assert "`first` and `second`" in d.message and "3 times within 7 days" in d.message
    assert r.sources is not None
    assert d.span == r.model.plays["second"].node.id.span
    assert "witness:" in d.notes[0] and "aum=" in d.notes[0] and "age=" in d.notes[0]
    assert d.notes[1].endswith(
        "`first`: day 0 phone (step 1); `second` started on day 0: day 0 sms (step 1), "
        "day 2 sms (step 2) → 3 contacts in 7 days, at most 2"
    )
    assert "--contacts" in d.help[0]
    # priority decides the order: with `second` first, the report moves to `first`
    swapped = text.replace("  priority 5\n", "") + ""
    r2 = check(
        tmp_path, swapped.replace('play second "second" {', 'play second "second" {\n  priority 9')
    )
    [d2] = of(r2, "GOV702")
    assert d2.span == r2.model.plays["first"].node.id.span


@pytest.mark.parametrize(
    ("seg_a", "gap_b", "period_a", "period_b"),
    [
        ("old", "2d", "", ""),  # the segments are disjoint
        ("rich", "7d", "", ""),  # b's two contacts are never in one window
        ("rich", "2d", "2026-01-01 .. 2026-03-31", "2026-06-01 .. 2026-12-31"),  # periods apart
    ],
)
def test_gov702_not_reported(tmp_path, seg_a, gap_b, period_a, period_b):
    def period(p: str) -> str:
        return f"period {p}\n" if p else ""

    r = check(
        tmp_path,
        policy("at most 2 per 7d")
        + play("a", seg_a, "phone using call_s", extra=period(period_a))
        + play(
            "b",
            "young",
            "sms using sms_s",
            f"sms using sms_s after {gap_b}",
            extra=period(period_b),
        ),
    )
    assert of(r, "GOV702") == []


def test_gov702_skips_a_pair_gov701_fails_and_respects_consent(tmp_path):
    alone = check(
        tmp_path,
        policy("at most 1 per 7d")
        + play("a", "rich", "phone using call_s")
        + play("b", "young", "sms using sms_s", "sms using sms_s after 2d"),
    )
    assert len(of(alone, "GOV701")) == 1 and of(alone, "GOV702") == []
    # b needs sms_ok; a's segment holds only customers without it: no customer gets both
    r = check(
        tmp_path,
        policy("at most 1 per 7d", "consent sms_ok on sms")
        + 'segment no_sms "No SMS" { rule aum >= 100万 and risk_level >= R2 and not sms_ok }\n'
        + play("a", "no_sms", "phone using call_s")
        + play("b", "young", "sms using sms_s"),
    )
    assert of(r, "GOV702") == []


def test_gov702_allow_on_the_later_play(tmp_path):
    r = check(
        tmp_path,
        policy("at most 1 per 7d")
        + play("a", "rich", "phone using call_s")
        + play("b", "young", "sms using sms_s", extra="allow GOV702\n"),
    )
    assert of(r, "GOV702") == []
    assert r.ok


def test_gov702_sends_only_pairs_whose_schedules_can_exceed_to_the_solver(tmp_path, monkeypatch):
    calls: list[tuple[str, str]] = []
    real = gov._overlap

    def counting(model, eligible, a, b):
        calls.append((a.id, b.id))
        return real(model, eligible, a, b)

    monkeypatch.setattr(gov, "_overlap", counting)
    plays = "".join(play(f"one{i}", "young", "sms using sms_s") for i in range(6))
    plays += play("two", "rich", "phone using call_s", "phone using call_s after 1d")
    r = check(tmp_path, policy("at most 2 per 7d") + plays)
    # the one-step plays together make 2: never sent; each meets `two` (2 + 1 > 2)
    assert sorted(calls) == sorted((f"one{i}", "two") for i in range(6))
    [d] = of(r, "GOV702")  # once per later play and limit: the first partner in full
    assert "`one0` and `two`" in d.message
    assert d.notes[2].endswith(": `one1`, `one2`, `one3`, `one4`, `one5`")


# --------------------------------------------------------------------------- GOV703


def test_gov703_segment_without_consent(tmp_path):
    r = check(tmp_path, policy("consent sms_ok on sms") + play("p", "young", "sms using sms_s"))
    [d] = of(r, "GOV703")
    assert d.severity == Severity.WARNING
    assert "sms_ok=false" in d.notes[0]
    assert "leave such customers out" in d.notes[1]
    assert d.span == r.model.plays["p"].steps[0].node.channel.span


def test_gov703_not_when_the_rule_guarantees_consent_also_through_extends(tmp_path):
    own = 'segment ok "OK" { rule age > 20 and risk_level >= R2 and sms_ok }\n'
    r = check(tmp_path, policy("consent sms_ok on sms") + own + play("p", "ok", "sms using sms_s"))
    assert of(r, "GOV703") == []
    child = 'segment ok "OK" { extends young  rule sms_ok }\n'
    r = check(
        tmp_path, policy("consent sms_ok on sms") + child + play("p", "ok", "sms using sms_s")
    )
    assert of(r, "GOV703") == []


def test_gov703_optional_field_missing_and_any_arms_channel(tmp_path):
    extra = 'variant a "A" 50%\nvariant b "B" 50% { step 1 phone using call_s }\n'
    r = check(
        tmp_path,
        policy("consent call_ok on outbound_call")
        + 'segment ok2 "OK" { rule risk_level >= R2 }\n'
        + play("p", "ok2", "sms using sms_s", extra=extra),
    )
    [d] = of(r, "GOV703")
    assert "call_ok" in d.message and "(`call_ok` " in d.notes[0]
    assert d.span.line == r.model.plays["p"].variants[1].span.line


# --------------------------------------------------------------------------- GOV704


def test_gov704_shares(tmp_path):
    bad = check(
        tmp_path,
        play("p", "young", "sms using sms_s", extra='variant a "A" 60%\nvariant b "B" 39.5%\n'),
    )
    [d] = of(bad, "GOV704")
    assert d.severity == Severity.ERROR
    assert "99.5%" in d.message and "`a` 60%" in d.message and "`b` 39.5%" in d.message
    good = check(
        tmp_path,
        play("p", "young", "sms using sms_s", extra='variant a "A" 60.5%\nvariant b "B" 39.5%\n'),
    )
    assert of(good, "GOV704") == []


def test_gov704_not_after_a_rejected_share(tmp_path):
    r = check(
        tmp_path,
        play("p", "young", "sms using sms_s", extra='variant a "A" 60%\nvariant b "B" 150%\n'),
    )
    assert "TYP304" in [d.code for d in r.diagnostics]
    assert of(r, "GOV704") == []


# --------------------------------------------------------------------------- per-arm play checks


def test_step_checks_run_on_a_variants_own_steps(tmp_path):
    extra = """
    variant a "A" 50%
    variant b "B" 50% {
      step 1 phone using push_s after 2d
      step 3 app_push using push_s with gift + gift
    }
    """
    r = check(tmp_path, play("p", "young", "sms using sms_s", extra=extra))
    assert [d.message for d in of(r, "PLY601")] == [
        "step 1 of play `p` (variant `b`) sends script `push_s` on channel `phone`, but the "
        "script is for `app_push`"
    ]
    ply608 = sorted(d.message for d in of(r, "PLY608"))
    assert ply608 == [
        "step 3 of play `p` (variant `b`) should be step 2",
        "the first step of play `p` (variant `b`) has `after`",
    ]
    assert [d.message for d in of(r, "PLY612")] == [
        "step 3 of play `p` (variant `b`) names offer `gift` twice"
    ]


def test_ply603_with_an_arms_risky_offer(tmp_path):
    text = (
        'script bare "Bare" { channel sms  pitch "Hi."  opt_out "STOP" }\n'
        'offer bold "Bold" { risk R2 }\n'
        'play p "p" {\n  segment young\n  offer gift\n  step 1 sms using bare\n'
        + PLAY_TAIL.format(id="p")
        + '  variant a "A" 50%\n  variant b "B" 50% { offer bold }\n}\n'
    )
    r = check(tmp_path, text)
    [d] = of(r, "PLY603")
    assert "(variant `b`)" in d.labels[0].message


def test_ply604_counts_each_arm_with_its_share(tmp_path):
    # young: 36,500 customers x 90% / 365 days = 90 a day; phone takes 50 a day
    cap = 'channel small "Small" { kind outbound_call  capacity 50 per day }\n'
    cap += 'script small_s "S" { channel small  pitch "Hi."  disclaimer "Risk." }\n'
    plain = check(tmp_path, cap + play("p", "young", "small using small_s"))
    [d] = of(plain, "PLY604")
    assert "about 90 contacts per day" in d.message
    extra = 'variant a "A" 60%\nvariant b "B" 40% { step 1 small using small_s }\n'
    split = check(tmp_path, cap + play("p", "young", "sms using sms_s", extra=extra))
    assert of(split, "PLY604") == []  # 90 x 40% = 36 a day
    extra = 'variant a "A" 60%\nvariant b "B" 40% { step 1 sms using sms_s }\n'
    most = check(tmp_path, cap + play("p", "young", "small using small_s", extra=extra))
    [d] = of(most, "PLY604")
    assert "about 54 contacts per day" in d.message
    assert "× 60% (its variants on `small`)" in d.notes[0]


def test_ply605_once_for_arms_sharing_the_plays_steps(tmp_path):
    cap = 'channel capped "Capped" { kind sms  capacity unlimited  cap 1 per 7d }\n'
    cap += 'script capped_s "C" { channel capped  pitch "Hi."  disclaimer "R."  opt_out "STOP" }\n'
    extra = 'variant a "A" 50%\nvariant b "B" 50% { offer gift }\n'
    r = check(
        tmp_path,
        cap
        + play(
            "p", "young", "capped using capped_s", "capped using capped_s after 1d", extra=extra
        ),
    )
    [d] = of(r, "PLY605")
    assert "(variants `a`, `b`)" in d.message


def test_ply602_names_the_arm_and_points_at_its_offer(tmp_path):
    text = 'offer bold "Bold" { risk R4 }\n' + play(
        "p",
        "young",
        "sms using sms_s",
        extra='variant a "A" 50%\nvariant b "B" 50% { offer bold }\n',
    )
    r = check(tmp_path, text)
    [d] = of(r, "PLY602")
    assert "play `p` (variant `b`) offers `bold`" in d.message
    assert d.span.line == r.model.plays["p"].variants[1].span.line


# --------------------------------------------------------------------------- cost


def test_gov702_stays_fast_on_many_plays(tmp_path):
    """120 plays over 4 segments under two limits: every pair's schedules can exceed."""
    segs = ["young", "old", "rich", "young"]
    plays = "".join(
        play(f"p{i}", segs[i % 4], "sms using sms_s", "phone using call_s after 1d", priority=i % 7)
        for i in range(120)
    )
    r = check(tmp_path, policy("at most 3 per 7d", "at most 1 per 1d on outbound_call") + plays)
    t = time.perf_counter()
    got = run_checks(r.model)
    took = time.perf_counter() - t
    reports = [d for d in got if d.code == "GOV702"]
    # once per later play and limit; past MAX_PARTNERS partners the search stops
    assert 100 < len(reports) <= 2 * 120
    assert any(d.notes[-1].endswith(", and more") for d in reports)
    assert took < 10, took


def test_allow_takes_the_warnings_not_the_errors(tmp_path):
    r = check(
        tmp_path,
        policy("consent sms_ok on sms")
        + play("p", "young", "sms using sms_s", extra="allow GOV703\n"),
    )
    assert of(r, "GOV703") == [] and r.ok
    r = check(tmp_path, play("p", "young", "sms using sms_s", extra="allow GOV704\n"))
    assert "TYP304" in [d.code for d in r.diagnostics]
