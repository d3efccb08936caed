"""Staged and combined plays (issue 13 §4): a step's own offers (`with a + b`) — syntax, format,
resolution, per-step suitability and disclaimers, model.json, the schedule in the lists, the
playbook."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pytest
from conftest import BASE, write_project

from stratlang import samples
from stratlang.backends.base import Options
from stratlang.backends.html import render_playbook
from stratlang.backends.json import render_model_json
from stratlang.check import check_entry
from stratlang.check.evaluator import member
from stratlang.engine import run_lists
from stratlang.engine.output import LIST_COLUMNS
from stratlang.fmt import format_text

# ---------------------------------------------------------------- a project with a staged play

TAIL = """
objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-12-31 }
channel phone "Phone" { kind outbound_call  capacity unlimited }
channel sms "SMS" { kind sms  capacity unlimited }
script call "Call" { channel phone  pitch "We offer {{ offer.label }}."  disclaimer "Investments carry risk." }
script text "Text" { channel sms  pitch "Hi: {{ offer.label }}."  opt_out "STOP" }
script plain "Plain text" { channel sms  pitch "Hi"  opt_out "STOP" }
offer gift "Welcome gift" { kind benefit }
offer trial "Trial pack" { kind benefit }
offer fund "Balanced fund" { kind product  risk R3 }
event joined "Joined" { description "a customer joins" }
segment rich "Rich" { rule aum >= 100万 and risk_level >= R3 }
segment payroll_all "Payroll" { rule payroll }
"""

STAGED = """
play staged "Staged" {
  segment  rich
  offer    gift
  step 1   sms   using text with trial
  step 2   phone using call with fund + gift after 2w unless converted
  step 3   sms   using text after 36h
  supports F1
  target   t "t" >= 1% by 2026-12-31
  control  20%
  priority 5
}
play evented "On joining" {
  segment  payroll_all
  when     event joined within 30d
  offer    gift
  step 1   sms using plain
  step 2   sms using plain after 3d
  supports F1
  target   t "t" >= 1% by 2026-12-31
  control  10%
}
"""

# step days of `staged` as the language defines them (§4.2): step 1 on day 0, each `after` from the
# step before; 36h ends on day 14 + 1.5 = 15.5, so the list's whole day is 15
STAGED_DAYS = {1: 0, 2: 14, 3: 15}
AS_OF = dt.date(2026, 3, 15)


def diags(res, code):
    return [d for d in res.diagnostics if d.code == code]


def errors(res):
    return [d for d in res.diagnostics if d.severity.name == "ERROR"]


@pytest.fixture
def staged(tmp_path):
    entry = write_project(tmp_path, {"main.strat": BASE + TAIL + STAGED})
    res = check_entry(entry)
    assert not errors(res), errors(res)
    return res


# ---------------------------------------------------------------- syntax and format


def test_step_offers_parse_resolve_and_fall_back_to_the_plays(staged):
    play = staged.model.plays["staged"]
    assert [s.offers for s in play.steps] == [("trial",), ("fund", "gift"), ()]
    assert [play.offers_of(s) for s in play.steps] == [("trial",), ("fund", "gift"), ("gift",)]
    assert play.step_days() == (0.0, 14.0, 15.5)
    assert staged.model.plays["evented"].offers_of(staged.model.plays["evented"].steps[0]) == (
        "gift",
    )


def test_format_is_stable_and_leaves_plays_without_with_alone():
    text = BASE + TAIL + STAGED.replace("with fund + gift", "with   fund+gift")
    once = format_text(text)
    assert "step 2   phone using call with fund + gift after 2w unless converted" in once
    assert "step 1   sms   using text with trial" in once
    assert format_text(once) == once
    # a play without `with` keeps its columns (no empty `with` column)
    assert "  step 2   sms using plain after 3d\n" in once


def test_format_keeps_the_semicolon_before_an_attribute_named_with():
    # after a step without offers, `with …` would be read as the step's offers: `;` must stay
    text = (
        BASE
        + TAIL
        + STAGED.replace("  step 1   sms using plain\n", "  step 1   sms using plain; with gift\n")
    )
    out = format_text(text)
    assert "  step 1   sms using plain;\n  with     gift\n" in out
    assert format_text(out) == out


def test_offer_attribute_after_the_steps_stays_the_plays(project):
    # whitespace separates nothing: the step's word had to be `with`, never `offer`
    moved = STAGED.replace(
        "  offer    gift\n  step 1   sms   using text", "  step 1   sms   using text"
    )
    moved = moved.replace("after 36h\n", "after 36h\n  offer    gift\n", 1)
    res = project(BASE + TAIL + moved)
    assert not errors(res), errors(res)
    play = res.model.plays["staged"]
    assert play.offer == "gift" and play.steps[2].offers == ()


def test_unknown_step_offer_is_nam201_with_did_you_mean(project):
    res = project(BASE + TAIL + STAGED.replace("with fund + gift", "with fund + gfit"))
    [d] = diags(res, "NAM201")
    assert d.message == "undefined offer `gfit`" and "did you mean `gift`?" in " ".join(d.help)


def test_a_step_of_another_kind_is_nam203(project):
    res = project(BASE + TAIL + STAGED.replace("with fund + gift", "with fund + rich"))
    [d] = diags(res, "NAM203")
    assert "`rich` is a segment, but this needs an offer" in d.message


def test_repeated_step_offer_is_ply612_and_kept_once(project):
    text = BASE + TAIL + STAGED.replace("with fund + gift", "with fund + gift + fund")
    res = project(text)
    [d] = diags(res, "PLY612")
    assert d.message == "step 2 of play `staged` names offer `fund` twice"
    line = text.splitlines()[d.span.line - 1]
    assert line[d.span.column - 1 : d.span.end_column - 1] == "fund"
    assert line[: d.span.column - 1].endswith("gift + ")
    [fix] = d.suggestions
    assert (
        line[fix.span.column - 1 : fix.span.end_column - 1] == " + fund" and fix.replacement == ""
    )
    assert res.model.plays["staged"].steps[1].offers == ("fund", "gift")


# ---------------------------------------------------------------- per-step suitability and disclaimers


def _witness(note: str) -> dict:
    body = note.split("witness: ", 1)[1]
    return dict(re.findall(r"(\w+)=([^,]+?)(?=,| is | …|$)", body))


def test_ply602_applies_to_a_steps_own_offer_with_a_witness(project):
    # the play's own offer has no risk; step 2's fund (R3) goes to a segment admitting R2
    text = BASE + TAIL.replace("risk_level >= R3 }", "risk_level >= R2 }") + STAGED
    res = project(text)
    [d] = diags(res, "PLY602")
    assert d.message.startswith("play `staged` offers `fund` (risk R3) to segment `rich`")
    line = text.splitlines()[d.span.line - 1]
    assert line.startswith("  step 2") and line[d.span.column - 1 :].startswith("fund + gift")
    w = _witness(d.notes[0])
    assert w["risk_level"] == "R2"
    # the witness is a member of the segment and below the offer's risk
    rec = {"id": "w", "age": 30, "aum": float(w["aum"]), "payroll": False, "risk_level": "R2"}
    assert member(res.model, "rich", rec)


def test_ply602_silent_when_no_step_makes_the_risky_offer(project):
    # the play's `offer` is the risky fund, but every step makes its own risk-free offers
    text = (
        BASE
        + TAIL.replace("risk_level >= R3 }", "risk_level >= R1 }")
        + STAGED.replace("  offer    gift\n", "  offer    fund\n", 1)
        .replace("with fund + gift", "with trial + gift")
        .replace("using text after 36h", "using text with gift after 36h")
    )
    res = project(text)
    assert diags(res, "PLY602") == [] and diags(res, "PLY603") == []


def test_ply603_per_step_with_the_steps_offers(project):
    # `plain` has no disclaimer: fine while its step makes risk-free offers, not with the fund
    text = BASE + TAIL + STAGED.replace("using call with fund + gift", "using call with gift")
    assert diags(project(text), "PLY603") == []
    risky = text.replace("  step 1   sms using plain\n", "  step 1   sms using plain with fund\n")
    res = project(risky)
    [d] = diags(res, "PLY603")
    assert d.message == "script `plain` is used with a risk-rated offer but has no `disclaimer`"
    [label] = d.labels
    assert label.message == "used by play `evented` with offer `fund` (risk R3)"
    assert res.model.plays["evented"].steps[0].offers == ("fund",)


# ---------------------------------------------------------------- model.json and the playbook


def test_model_json_has_offers_only_on_steps_that_name_them(staged):
    doc = json.loads(render_model_json(staged.model))
    steps = {p["id"]: p["steps"] for p in doc["plays"]}
    assert [s.get("offers") for s in steps["staged"]] == [["trial"], ["fund", "gift"], None]
    assert all("offers" not in s for s in steps["evented"])


def test_playbook_shows_each_steps_offers_and_fills_the_placeholder(staged):
    html = render_playbook(staged.model, Options(lang="en"))
    card = html[html.index('id="play-staged"') : html.index('id="play-evented"')]
    items = re.findall(r"<li>(.*?)</li>", card, re.S)
    assert len(items) == 3
    assert "Trial pack" in items[0] and "Balanced fund" in items[1] and "Welcome gift" in items[1]
    assert "Risk R3" in items[1] and 'class="plus"' in items[1]
    assert 'class="offers"' not in items[2]  # step 3 makes the play's offer, shown at the top
    assert "some steps make their own offers" in card
    # {{ offer.label }} of a script reads as the offers of the step that first sends it
    assert '<span class="fill" title="offer.label">Balanced fund + Welcome gift</span>' in card
    assert '<span class="fill" title="offer.label">Trial pack</span>' in card
    zh = render_playbook(staged.model, Options(lang="zh"))
    assert "本步权益" in zh and "部分步骤另有权益" in zh


# ---------------------------------------------------------------- the schedule in the lists


def _rows(n=300):
    return [
        {
            "id": f"c{i:04d}",
            "age": 20 + i % 50,
            "aum": (i % 7) * 40_0000.0,
            "payroll": i % 2 == 0,
            "risk_level": f"R{1 + i % 5}",
            "email": None,
        }
        for i in range(n)
    ]


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def listed(staged, tmp_path):
    data = tmp_path / "customers.csv"
    rows = _rows()
    data.write_text(samples.to_csv(staged.model, rows), encoding="utf-8")
    summary = run_lists(staged.model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    return staged.model, rows, summary, tmp_path / "out"


def test_one_row_per_customer_per_step_with_days_dates_and_offers(listed):
    model, rows, summary, out = listed
    got = _read(out / "staged.csv")
    assert tuple(got[0]) == LIST_COLUMNS
    members = sorted(r["id"] for r in rows if member(model, "rich", r))
    assert members and summary.plays["staged"]["listed"] == len(members)
    assert [r["key"] for r in got] == [k for k in members for _ in range(3)]  # sorted by key, step
    play = model.plays["staged"]
    for r in got:
        step = play.steps[int(r["step"]) - 1]
        day = STAGED_DAYS[int(r["step"])]
        assert int(r["day"]) == day
        assert r["date"] == (AS_OF + dt.timedelta(days=day)).isoformat()
        assert (r["channel"], r["script"]) == (step.channel, step.script)
        assert r["offer"] == {1: "trial", 2: "fund+gift", 3: "gift"}[int(r["step"])]
        assert r["unless_converted"] == ("true" if int(r["step"]) == 2 else "false")
    # a customer's control flag is the same on every step
    by_key: dict[str, set] = {}
    for r in got:
        by_key.setdefault(r["key"], set()).add(r["control"])
    assert all(len(v) == 1 for v in by_key.values())
    assert {"true", "false"} <= {r["control"] for r in got}


def test_event_triggered_steps_have_days_but_no_date(listed):
    model, rows, summary, out = listed
    got = _read(out / "evented.csv")
    assert got and {r["date"] for r in got} == {""}
    assert {(r["step"], r["day"]) for r in got} == {("1", "0"), ("2", "3")}
    # every payroll customer not taken by the higher-priority staged play, twice
    expected = [
        r["id"] for r in rows if member(model, "payroll_all", r) and not member(model, "rich", r)
    ]
    assert len(got) == 2 * len(expected)


def test_parquet_and_xlsx_carry_the_same_schedule(listed, tmp_path):
    import duckdb
    import openpyxl

    model, rows, _, out = listed
    data = tmp_path / "customers.csv"
    run_lists(model, data, out_dir=tmp_path / "pq", fmt="parquet", as_of=AS_OF)
    run_lists(model, data, out_dir=tmp_path / "x", fmt="xlsx", as_of=AS_OF)
    con = duckdb.connect()
    pq = con.execute(
        f"SELECT key, step, day, CAST(date AS VARCHAR), offer FROM '{tmp_path / 'pq' / 'staged.parquet'}'"
    ).fetchall()
    csv_rows = [
        (r["key"], int(r["step"]), int(r["day"]), r["date"], r["offer"])
        for r in _read(out / "staged.csv")
    ]
    assert pq == csv_rows
    types = dict(
        con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{tmp_path / 'pq' / 'staged.parquet'}')"
        ).fetchall()
    )
    assert (
        types["date"] == "DATE"
        and types["step"] == "BIGINT"
        and types["unless_converted"] == "BOOLEAN"
    )
    ws = openpyxl.load_workbook(tmp_path / "x" / "staged.xlsx").active
    assert [c.value for c in ws[1]] == list(LIST_COLUMNS)
    assert ws.max_row == len(csv_rows) + 1
    assert ws.cell(
        row=3, column=LIST_COLUMNS.index("date") + 1
    ).value.date() == AS_OF + dt.timedelta(days=14)


def test_the_example_staged_winback_lists_its_schedule(tmp_path):
    from conftest import EXAMPLES

    model = check_entry(EXAMPLES / "telecom_winback" / "main.strat").model
    play = model.plays["staged_winback"]
    assert [len(play.offers_of(s)) for s in play.steps] == [1, 1, 2]
    s = run_lists(
        model,
        EXAMPLES / "telecom_winback" / "data" / "customers.csv",
        out_dir=tmp_path / "o",
        as_of=dt.date(2026, 7, 15),
    )
    got = _read(tmp_path / "o" / "staged_winback.csv")
    assert s.plays["staged_winback"]["listed"] > 0
    assert len(got) == 3 * s.plays["staged_winback"]["listed"]
    assert {(r["step"], r["date"], r["offer"]) for r in got} == {
        ("1", "2026-07-15", "feedback_voucher"),
        ("2", "2026-08-14", "trial_pack"),
        ("3", "2026-09-13", "members_evening+store_gift"),
    }


def test_playbook_map_names_a_steps_own_offers(staged):
    from stratlang.backends.dot import render_dot

    dot = render_dot(staged.model, "playbook", Options(lang="en"))
    lines = [ln.replace("<br/>", " ") for ln in dot.splitlines() if ">Step " in ln]
    assert [re.search(r">Step (\d)<", ln).group(1) for ln in lines[:3]] == ["1", "2", "3"]
    assert "“Text” · Trial pack" in lines[0]
    assert "“Call” · Balanced fund + Welcome gift" in lines[1]
    assert "Welcome gift" not in lines[2]  # the play's offer, drawn once before the steps


@pytest.mark.slow
def test_spark_writes_the_same_schedule_as_duckdb(listed, tmp_path):
    from stratlang.engine.spark import get_session

    model, _, duck, out = listed
    spark = run_lists(
        model,
        tmp_path / "customers.csv",
        engine="spark",
        out_dir=tmp_path / "spark",
        spark_session=get_session("local[2]"),
        as_of=AS_OF,
    )
    assert spark.plays == duck.plays
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in (tmp_path / "spark").iterdir())
    for n in names:
        assert (out / n).read_bytes() == (tmp_path / "spark" / n).read_bytes(), n
    assert len(_read(out / "staged.csv")) == 3 * duck.plays["staged"]["listed"] > 0


def test_language_server_knows_step_offers(staged):
    from stratlang.lsp.completion import complete, declared_ids
    from stratlang.lsp.index import build_index

    idx = build_index(list(staged.project.files))
    refs = [o for o in idx.references("gift", "offer") if not o.decl]
    # the play attributes (`offer gift` twice) and step 2's `with fund + gift`
    assert len(refs) == 3 and {o.kind for o in refs} == {"offer"}
    text = BASE + TAIL + "play p {\n  step 1 sms using text with trial + "
    ids = declared_ids([text])
    items = complete(text, len(text), ids)
    assert {label for label, what, _ in items} == {"gift", "trial", "fund"}


def test_transition_trigger_steps_are_dated_from_the_as_of_day(tmp_path):
    # a change is seen on the run's day: its schedule starts then (an event's day is unknown)
    from conftest import EXAMPLES

    model = check_entry(EXAMPLES / "telecom_winback" / "main.strat").model
    data = EXAMPLES / "telecom_winback" / "data"
    day = dt.date(2026, 3, 15)
    run_lists(
        model,
        data / "customers.csv",
        out_dir=tmp_path / "o",
        previous=data / "customers_previous.csv",
        as_of=day,
    )
    for play in model.plays.values():
        got = _read(tmp_path / "o" / f"{play.id}.csv")
        kind = play.trigger.kind if play.trigger else None
        dates = {r["date"] for r in got}
        if kind in ("event", "lifecycle"):
            assert dates <= {""}, play.id
        else:
            days = play.step_days()
            want = {(day + dt.timedelta(days=int(d))).isoformat() for d in days}
            assert dates <= want, play.id
            if kind in ("enters", "leaves", "becomes"):
                assert got and dates == want, play.id
