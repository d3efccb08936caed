"""Contact lists: assignment by priority, ties, control group, capacity, outputs, API."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, write_project

from stratlang import samples
from stratlang.backends.sql import bucket_of
from stratlang.check import check_entry
from stratlang.check.evaluator import evaluate, member
from stratlang.cli import _register, main
from stratlang.engine import DataError, run_lists, segment_counts
from stratlang.engine.output import LIST_COLUMNS

HEAD = """
strategy "T" { period 2026-01-01 .. 2026-01-10  locale en }
schema customer {
  id    string key
  score int
  vip   bool
  days  int optional
}
objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-01-10 }
channel phone "Phone" { kind outbound_call  capacity 3 per day }
channel sms "SMS" { kind sms  capacity unlimited }
script call "c" { channel phone  pitch "hi" }
script text "t" { channel sms  pitch "hi"  opt_out "STOP" }
segment all_high "High" { rule score >= 50 }
segment vips "VIP" { rule vip }
segment soon "Soon" { rule days is present }
"""

PLAYS = """
play first_decl "A" { segment all_high  step 1 sms using text  supports F1  priority 5  control 20%
                      target t "t" >= 1% by 2026-01-10 }
play tie_later "B" { segment vips  step 1 sms using text  supports F1  priority 5  control 20%
                     target t "t" >= 1% by 2026-01-10 }
play top "C" { segment vips  when rule score >= 90  step 1 sms using text  supports F1  priority 9
               control 20%  target t "t" >= 1% by 2026-01-10 }
play calls "D" { segment soon  step 1 phone using call  supports F1  priority 1  control 10%
                 target t "t" >= 1% by 2026-01-10 }
"""


def _rows(n=400):
    rows = []
    for i in range(n):
        rows.append(
            {
                "id": f"k{i:04d}",
                "score": (i * 37) % 101,
                "vip": i % 3 == 0,
                "days": None if i % 4 == 0 else i % 30,
            }
        )
    return rows


@pytest.fixture
def proj(tmp_path):
    entry = write_project(tmp_path, {"main.strat": HEAD + PLAYS})
    res = check_entry(entry)
    errors = [d for d in res.diagnostics if d.severity.name == "ERROR"]
    assert not errors, errors
    data = tmp_path / "customers.csv"
    rows = _rows()
    data.write_text(samples.to_csv(res.model, rows), encoding="utf-8")
    return res.model, data, rows, entry


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _expected_play(model, rec):
    """Reference assignment in Python: eligible plays, highest priority, ties -> declared first."""
    best = None
    for p in model.plays.values():
        if not member(model, p.segment, rec):
            continue
        trigger = p.trigger.typed_rule if p.trigger is not None else None
        if trigger is not None and evaluate(trigger, rec, model.schema) is not True:
            continue
        if best is None or (p.priority, -p.order) > (best.priority, -best.order):
            best = p
    return best


def test_assignment_priority_ties_and_control(proj, tmp_path):
    model, data, rows, _ = proj
    out = tmp_path / "out"
    summary = run_lists(model, data, out_dir=out)
    listed = {}
    for p in model.plays:
        for r in _read(out / f"{p}.csv"):
            assert r["key"] not in listed  # one play per customer
            listed[r["key"]] = r
    dropped = summary.dropped_by_capacity
    assert dropped > 0  # phone: 3 per day x 10 days = 30 treated calls at most
    n_ties = 0
    for rec in rows:
        exp = _expected_play(model, rec)
        got = listed.get(rec["id"])
        if exp is None:
            assert got is None
            continue
        if got is None:  # only capacity drops, and only on the capacity-limited channel
            assert exp.id == "calls"
            continue
        assert got["play"] == exp.id, rec
        assert got["segment"] == exp.segment
        assert got["control"] == (
            "true" if bucket_of(rec["id"], exp.id) < exp.control * 100 else "false"
        )
        if rec["vip"] and rec["score"] >= 50 and rec["score"] < 90:
            n_ties += 1
            assert got["play"] == "first_decl"  # tie on priority 5: the play declared first
    assert n_ties > 0
    calls = _read(out / "calls.csv")
    treated = [r for r in calls if r["control"] == "false"]
    assert len(treated) == 30
    assert summary.plays["calls"]["dropped_by_capacity"] == dropped
    assert summary.channels["phone"]["contacts_per_day"] == 3.0
    # kept treated calls are the first 30 by (hash, key) among the play's treated customers
    eligible = [
        r["id"]
        for r in rows
        if _expected_play(model, r) is not None
        and _expected_play(model, r).id == "calls"
        and bucket_of(r["id"], "calls") >= 1000
    ]
    import hashlib

    def h(k):
        return int(hashlib.md5(f"{k}|calls".encode()).hexdigest()[:8], 16)

    assert sorted(r["key"] for r in treated) == sorted(
        sorted(eligible, key=lambda k: (h(k), k))[:30]
    )


def test_capacity_drops_lowest_priority_first(tmp_path):
    text = (
        HEAD
        + """
play hi "H" { segment vips  step 1 phone using call  supports F1  priority 9  target t "t" >= 1% by 2026-01-10 }
play lo "L" { segment all_high  step 1 phone using call  supports F1  priority 2  target t "t" >= 1% by 2026-01-10 }
"""
    )
    entry = write_project(tmp_path, {"main.strat": text})
    model = check_entry(entry).model
    rows = [{"id": f"k{i:03d}", "score": 60, "vip": i < 20, "days": 1} for i in range(100)]
    data = tmp_path / "c.csv"
    data.write_text(samples.to_csv(model, rows), encoding="utf-8")
    s = run_lists(model, data, out_dir=tmp_path / "o")
    assert s.plays["hi"]["listed"] == 20 and s.plays["hi"]["dropped_by_capacity"] == 0
    assert s.plays["lo"]["listed"] == 10 and s.plays["lo"]["dropped_by_capacity"] == 70
    assert (
        s.channels["phone"]["demand_per_day"] == 10.0
        and s.channels["phone"]["contacts_per_day"] == 3.0
    )


def test_reruns_identical_and_control_stable(proj, tmp_path):
    model, data, _, _ = proj
    run_lists(model, data, out_dir=tmp_path / "a")
    run_lists(model, data, out_dir=tmp_path / "b", fmt="csv")
    for f in (tmp_path / "a").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()


def test_counts_api_and_summary(proj, tmp_path):
    model, data, rows, _ = proj
    counts = segment_counts(model, data)
    for sid in model.segments:
        assert counts[sid] == sum(member(model, sid, r) for r in rows)
    s = run_lists(model, data)  # no out_dir: nothing written
    c = s.counts()
    assert c["segments"] == counts and c["customers"] == len(rows)
    assert set(c["plays"]) == set(model.plays)


def test_formats(proj, tmp_path):
    model, data, _, _ = proj
    import duckdb
    import openpyxl

    run_lists(model, data, out_dir=tmp_path / "csv")
    run_lists(model, data, out_dir=tmp_path / "pq", fmt="parquet")
    run_lists(model, data, out_dir=tmp_path / "x", fmt="xlsx")
    csv_rows = _read(tmp_path / "csv" / "first_decl.csv")
    pq = (
        duckdb.connect()
        .execute(f"SELECT key, control FROM '{tmp_path / 'pq' / 'first_decl.parquet'}'")
        .fetchall()
    )
    assert [(r["key"], r["control"] == "true") for r in csv_rows] == pq
    wb = openpyxl.load_workbook(tmp_path / "x" / "first_decl.xlsx")
    ws = wb.active
    assert [c.value for c in ws[1]] == list(LIST_COLUMNS)
    assert ws.max_row == len(csv_rows) + 1


def test_cli_lists_quiet_in_ci_and_summary(proj, tmp_path):
    _register()
    model, data, _, entry = proj
    out = tmp_path / "cli"
    r = CliRunner(env={"CI": "true"}).invoke(
        main, ["lists", str(entry), "--data", str(data), "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["customers"] == 400 and "engine" not in summary
    assert sorted(summary["files"]) == sorted([f"{p}.csv" for p in model.plays] + ["summary.json"])


def test_bank_example_lists(tmp_path):
    data = EXAMPLES / "bank_wealth" / "data" / "customers.csv"
    model = check_entry(EXAMPLES / "bank_wealth" / "main.strat").model
    s = run_lists(model, data, out_dir=tmp_path / "bank", as_of=dt.date(2026, 3, 15))
    with open(data, encoding="utf-8") as f:
        assert s.customers == sum(1 for _ in f) - 1
    assert all(v > 0 for v in s.segments.values()), s.segments
    assert all(p["listed"] > 0 for p in s.plays.values())


def test_model_without_schema_is_a_data_error(tmp_path):
    entry = write_project(
        tmp_path, {"main.strat": 'strategy "T" { period 2026-01-01 .. 2026-12-31 }\n'}
    )
    model = check_entry(entry).model
    (tmp_path / "c.csv").write_text("id\n1\n")
    with pytest.raises(DataError):
        run_lists(model, tmp_path / "c.csv")


# --------------------------------------------------------------------------- periods (--as-of)

DISJOINT = """
play early "E" { segment all_high  step 1 sms using text  supports F1  priority 5
                 period 2026-01-01 .. 2026-01-04  target t "t" >= 1% by 2026-01-04 }
play late "L" { segment all_high  step 1 sms using text  supports F1  priority 5
                period 2026-01-06 .. 2026-01-10  target t "t" >= 1% by 2026-01-10 }
"""


@pytest.fixture
def disjoint(tmp_path):
    entry = write_project(tmp_path, {"main.strat": HEAD + DISJOINT})
    res = check_entry(entry)
    data = tmp_path / "customers.csv"
    rows = _rows()
    data.write_text(samples.to_csv(res.model, rows), encoding="utf-8")
    return res, data, rows, entry


def test_disjoint_periods_ply607_silent_and_lists_agree(disjoint, tmp_path):
    """Two plays of equal priority on one segment with disjoint periods: PLY607 is silent (they
    never compete) and the lists agree: on a day in either period every member goes to the play
    whose period contains it, the other is inactive; on a day in neither, nobody is assigned."""
    res, data, rows, _ = disjoint
    model = res.model
    codes = [d.code for d in res.diagnostics]
    assert "PLY607" not in codes and not [d for d in res.diagnostics if d.severity.name == "ERROR"]
    members = sum(member(model, "all_high", r) for r in rows)
    assert members > 0
    for day, active, idle in (
        (dt.date(2026, 1, 1), "early", "late"),
        (dt.date(2026, 1, 4), "early", "late"),  # both ends of a period are inside it
        (dt.date(2026, 1, 6), "late", "early"),
        (dt.date(2026, 1, 10), "late", "early"),
    ):
        out = tmp_path / day.isoformat()
        s = run_lists(model, data, out_dir=out, as_of=day)
        assert s.plays[active]["assigned"] == members, day
        assert s.plays[idle]["assigned"] == 0 and not _read(out / f"{idle}.csv"), day
        assert len(_read(out / f"{active}.csv")) == members
        assert list(s.inactive) == [idle]
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["as_of"] == day.isoformat()
        assert summary["inactive"] == {idle: s.inactive[idle]}
        assert day.isoformat() in s.inactive[idle] and "does not contain" in s.inactive[idle]
    s = run_lists(model, data, as_of=dt.date(2026, 1, 5))  # in neither period
    assert all(p["assigned"] == 0 for p in s.plays.values())
    assert list(s.inactive) == ["early", "late"]


def test_same_plays_overlapping_periods_warn_ply607(tmp_path):
    """The counterpart: the same plays with overlapping periods compete, and PLY607 says so."""
    text = HEAD + DISJOINT.replace("2026-01-06 .. 2026-01-10", "2026-01-04 .. 2026-01-10")
    res = check_entry(write_project(tmp_path, {"main.strat": text}))
    assert "PLY607" in [d.code for d in res.diagnostics]


def test_inactive_play_takes_no_capacity_and_no_customers(tmp_path):
    """A higher-priority play outside its period neither takes customers nor channel capacity."""
    text = (
        HEAD
        + """
play hi "H" { segment vips  step 1 phone using call  supports F1  priority 9
              period 2026-01-06 .. 2026-01-10  target t "t" >= 1% by 2026-01-10 }
play lo "L" { segment all_high  step 1 phone using call  supports F1  priority 2  target t "t" >= 1% by 2026-01-10 }
"""
    )
    model = check_entry(write_project(tmp_path, {"main.strat": text})).model
    rows = [{"id": f"k{i:03d}", "score": 60, "vip": i < 20, "days": 1} for i in range(100)]
    data = tmp_path / "c.csv"
    data.write_text(samples.to_csv(model, rows), encoding="utf-8")
    on = run_lists(model, data, as_of=dt.date(2026, 1, 7))
    # active, hi's 20 members over its 5-day window (4/day) fill the 3/day: 15 kept, none for lo
    assert on.plays["hi"]["listed"] == 15 and on.plays["lo"]["listed"] == 0 and not on.inactive
    off = run_lists(model, data, as_of=dt.date(2026, 1, 2))
    assert off.plays["hi"]["assigned"] == 0 and list(off.inactive) == ["hi"]
    # lo now has all 100 members; capacity 3/day over its 10-day window keeps 30
    assert off.plays["lo"]["assigned"] == 100 and off.plays["lo"]["listed"] == 30
    assert off.channels["phone"]["plays"] == ["lo"]


def test_cli_lists_and_build_as_of(disjoint, tmp_path):
    _register()
    _, data, rows, entry = disjoint
    out = tmp_path / "cli"
    r = CliRunner(env={"CI": "true"}).invoke(
        main, ["lists", str(entry), "--data", str(data), "-o", str(out), "--as-of", "2026-01-07"]
    )
    assert r.exit_code == 0, r.output
    assert (
        "play `early` is not active: period 2026-01-01 .. 2026-01-04 does not contain 2026-01-07"
        in r.stderr
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["as_of"] == "2026-01-07" and list(summary["inactive"]) == ["early"]
    assert summary["plays"]["early"]["listed"] == 0 and summary["plays"]["late"]["listed"] > 0
    b = tmp_path / "built"
    r = CliRunner(env={"CI": "true"}).invoke(
        main, ["build", str(entry), "--data", str(data), "-o", str(b), "--as-of", "2026-01-02"]
    )
    assert r.exit_code == 0, r.output
    assert "play `late` is not active" in r.stderr
    summary = json.loads((b / "lists" / "summary.json").read_text(encoding="utf-8"))
    assert list(summary["inactive"]) == ["late"] and summary["plays"]["early"]["listed"] > 0
