"""The language of contact governance (docs/language.md §3.1, §3.4, §3.13, §3.17): parsing,
formatting, resolution into the model, what is refused, completion and model.json."""

from __future__ import annotations

import json

import pytest
from conftest import BASE

from stratlang.backends.json import render_model_json
from stratlang.fmt import format_text
from stratlang.lsp.completion import complete

GOV = (
    BASE.replace(
        "locale en", 'locale en\n  holdout 5%\n  holdout_seed "fy2026"\n  timezone "Asia/Shanghai"'
    ).replace(
        "  email      string optional",
        "  email      string optional\n  tz string optional timezone\n  sms_ok bool\n  call_ok bool optional",
    )
    + """
objective F1 "Grow" { perspective financial }
segment young "Young" { rule age < 35 }
offer fund "Fund" { kind product }
offer gift "Gift" { kind benefit }
channel sms "SMS" { kind sms }
channel phone "Phone" { kind outbound_call  quiet 21:00 .. 09:00 }
script sms_a "A" { channel sms  pitch "hi"  opt_out "TD" }
script sms_b "B" { channel sms  pitch "hello"  opt_out "TD" }
script call_a "C" { channel phone  pitch "call" }
policy contact "Contact rules" {
  at most 3 per 7d
  at most 1 per 1d on outbound_call
  at most 2 per 30d on sms, phone
  consent sms_ok on sms
  consent call_ok on outbound_call
}
play p "P" {
  segment young
  offer fund
  step 1 sms using sms_a
  supports F1
  control 10%
  variant short "Short" 50%
  variant gift "Gift" 30% { offer gift  step 1 sms using sms_b }
  variant call "Call" 20% { step 1 phone using call_a }
}
"""
)


def test_the_model_holds_what_the_text_says(project):
    r = project(GOV)
    assert not [d for d in r.diagnostics if d.severity.value == "error"], r.diagnostics
    m = r.model
    assert (m.strategy.holdout, m.strategy.holdout_seed, m.strategy.timezone) == (
        5,
        "fy2026",
        "Asia/Shanghai",
    )
    assert m.schema.timezone_field == "tz" and m.schema.fields["tz"].timezone
    policy = m.policies["contact"]
    assert [(lim.count, lim.days, lim.on) for lim in policy.limits] == [
        (3, 7.0, ()),
        (1, 1.0, ("outbound_call",)),
        (2, 30.0, ("sms", "phone")),
    ]
    assert [lim.text for lim in policy.limits][1] == "at most 1 per 1d on outbound_call"
    assert [m.limit_channels(lim) for _, lim in m.limits()] == [
        {"sms", "phone"},
        {"phone"},
        {"sms", "phone"},
    ]
    assert m.consent_fields("sms") == ("sms_ok",) and m.consent_fields("phone") == ("call_ok",)
    play = m.plays["p"]
    assert [(v.id, v.share) for v in play.variants] == [("short", 50), ("gift", 30), ("call", 20)]
    short, gift, call = play.variants
    assert play.steps_of(short) == play.steps and play.offers_of(play.steps[0], short) == ("fund",)
    assert [s.script for s in play.steps_of(gift)] == ["sms_b"]
    assert play.offers_of(play.steps_of(gift)[0], gift) == ("gift",)
    assert play.channels() == ("sms", "phone")


def test_a_field_named_timezone_stays_a_field(project):
    r = project(
        BASE.replace("  email      string optional", "  email string optional\n  timezone string")
    )
    assert r.model.schema is not None and "timezone" in r.model.schema.fields
    assert r.model.schema.timezone_field is None


def test_format_is_stable_and_keeps_comments(project, tmp_path):
    text = GOV.replace("at most 3 per 7d", "at most 3 per 7d   # all channels").replace(
        "{ offer gift  step 1 sms using sms_b }",
        "{  # the gift arm\n    offer gift\n    step 1 sms using sms_b\n  }",
    )
    once = format_text(text)
    assert format_text(once) == once
    assert "  at most 3 per 7d  # all channels" in once
    assert '  variant  gift "Gift" 30% {  # the gift arm\n    offer  gift\n' in once
    assert "  consent sms_ok on sms\n" in once and "  at most 2 per 30d on sms, phone\n" in once
    assert '  variant  short "Short" 50%\n' in once


@pytest.mark.parametrize(
    "change, code, words",
    [
        ('timezone "Asia/Shanghai"', 'timezone "Asia/Shanghia"', ("TYP303", "Asia/Shanghai")),
        ('timezone "Asia/Shanghai"', 'timezone "localtime"', ("TYP303", "not a time zone")),
        ("holdout 5%", "holdout 5", ("TYP304", "percentage")),
        ("at most 3 per 7d", "at most 0 per 7d", ("TYP304", "at least 1")),
        ("at most 3 per 7d", "at most 3 per 7h", ("TYP304", "days, weeks")),
        ("on outbound_call", "on outbond_call", ("NAM201", "outbound_call")),
        ("consent sms_ok on sms", "consent sms_okk on sms", ("TYP301", "sms_ok")),
        ("consent sms_ok on sms", "consent email on sms", ("TYP302", "bool")),
        ("tz string optional timezone", "tz int optional timezone", ("TYP307", "timezone")),
        ('variant short "Short" 50%', 'variant gift "Short" 50%', ("NAM202", "twice")),
        ('variant short "Short" 50%', 'variant short "Short" 50', ("TYP304", "percentage")),
        ("{ offer gift  step", "{ colour red  offer gift  step", ("NAM204", "colour")),
    ],
)
def test_what_is_written_wrong_is_refused(project, change, code, words):
    text = GOV.replace(change, code, 1)
    assert text != GOV
    r = project(text)
    hits = [d for d in r.diagnostics if d.code == words[0]]
    assert hits, [(d.code, d.message) for d in r.diagnostics]
    assert any(words[1] in (d.message + " ".join(d.help)) for d in hits), [d.message for d in hits]


def test_lines_outside_their_block_are_refused(project):
    r = project(
        GOV.replace(
            'segment young "Young" { rule age < 35 }',
            'segment young "Young" { rule age < 35  at most 1 per 1d }',
        )
    )
    assert any(d.code == "NAM204" and "`at` lines" in d.message for d in r.diagnostics)


def test_a_play_whose_arms_have_steps_needs_none_of_its_own(project):
    text = GOV.replace("  step 1 sms using sms_a\n  supports F1", "  supports F1").replace(
        'variant short "Short" 50%', 'variant short "Short" 50% { step 1 sms using sms_a }'
    )
    r = project(text)
    assert not [d for d in r.diagnostics if d.code == "NAM205"]
    r = project(GOV.replace("  step 1 sms using sms_a\n  supports F1", "  supports F1"))
    assert [d for d in r.diagnostics if d.code == "NAM205" and "step" in d.message]


def test_completion_in_a_policy(project):
    r = project(GOV)
    ids = {"sms": "channel", "phone": "channel"}
    at = GOV.index("consent sms_ok on ") + len("consent sms_ok on ")
    got = complete(GOV, at, ids, r.model.schema)
    assert ("phone", "id", "channel") in got and ("outbound_call", "value", "channel kind") in got
    at = GOV.index("consent sms_ok") + len("consent ")
    assert complete(GOV, at, ids, r.model.schema) == [
        ("payroll", "field", "bool"),
        ("sms_ok", "field", "bool"),
        ("call_ok", "field", "bool"),
    ]
    at = GOV.index("  at most 3") + 2
    words = {w for w, *_ in complete(GOV, at, ids, r.model.schema)}
    assert {"at", "consent", "description"} <= words


def test_model_json_carries_governance_only_when_used(project):
    doc = json.loads(render_model_json(project(GOV).model))
    assert doc["strategy"]["holdout"] == {"share": 5, "seed": "fy2026"}
    assert doc["strategy"]["timezone"] == "Asia/Shanghai"
    assert doc["schema"]["timezone_field"] == "tz"
    limits = doc["policies"][0]["limits"]
    assert limits[1] == {
        "text": "at most 1 per 1d on outbound_call",
        "contacts": 1,
        "days": 1.0,
        "on": ["outbound_call"],
        "channels": ["phone"],
    }
    variants = doc["plays"][0]["variants"]
    assert [v["id"] for v in variants] == ["short", "gift", "call"]
    assert "steps" not in variants[0] and variants[1]["steps"][0]["script"] == "sms_b"
    plain = json.loads(render_model_json(project(BASE).model))
    assert "policies" not in plain and "holdout" not in plain["strategy"]
    assert all("timezone" not in f for f in plain["schema"]["fields"])


def test_a_variant_with_one_short_attribute_stays_on_one_line():
    text = GOV.replace("{ offer gift  step 1 sms using sms_b }", "{\n    offer gift\n  }")
    once = format_text(text)
    assert '  variant  gift "Gift" 30% { offer gift }\n' in once
    assert format_text(once) == once
