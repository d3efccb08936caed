"""Tier and lifecycle transitions (`lists --previous`) and the triggers on them (issue 13 §2):
the syntax, the checker, the matrix and file computed in SQL, the plays that fire only for the
customers who changed, and what happens without previous data."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, write_project

from stratlang.check import check_entry
from stratlang.cli import _register, main
from stratlang.engine import DataError, run_lists
from stratlang.fmt import format_text

PROJECT = """
strategy "T" { period 2026-01-01 .. 2026-12-31  locale en }
schema customer { id string key  score int  churned bool }
objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-12-31 }
channel sms "SMS" { kind sms  capacity unlimited }
script text "t" { channel sms  pitch "hi"  opt_out "STOP" }
segment lost "Lost" { rule churned  lifecycle winback }
segment gold "Gold" { rule score >= 80  lifecycle growth }
segment silver "Silver" { rule score >= 40 and score < 80  lifecycle retention }
tiering value "Value" { segments gold, silver }
play promoted "P" { segment gold  when enters segment gold  step 1 sms using text  supports F1  priority 30 }
play demoted "D" { segment silver  when leaves segment gold  step 1 sms using text  supports F1  priority 20 }
play lost_now "L" { segment lost  when lifecycle becomes winback  step 1 sms using text  supports F1  priority 10 }
"""
# a: silver -> gold; b: gold -> silver; c: churned (silver both times); d: in no tier both times;
# e: new this time (gold); f: gone since (was silver); g: gold both times.
NOW = "id,score,churned\na,90,false\nb,50,false\nc,50,true\nd,10,false\ne,85,false\ng,85,false\n"
BEFORE = (
    "id,score,churned\na,50,false\nb,90,false\nc,50,false\nd,10,false\nf,45,false\ng,85,false\n"
)
DAY = dt.date(2026, 3, 1)


@pytest.fixture
def proj(tmp_path):
    entry = write_project(tmp_path / "p", {"main.strat": PROJECT})
    (tmp_path / "now.csv").write_text(NOW, encoding="utf-8")
    (tmp_path / "before.csv").write_text(BEFORE, encoding="utf-8")
    res = check_entry(entry)
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"], res.diagnostics
    return res.model, entry, tmp_path / "now.csv", tmp_path / "before.csv"


def _keys(path):
    with path.open(encoding="utf-8") as f:
        return sorted({row["key"] for row in csv.DictReader(f)})


# ---------------------------------------------------------------- syntax and checking


def test_triggers_format_canonically_and_stably():
    text = (
        'play p "P" {\n  segment s\n  when enters   segment  vip\n}\n'
        'play q "Q" {\n  segment s\n  when leaves segment vip\n}\n'
        'play r "R" {\n  segment s\n  when lifecycle   becomes winback\n}\n'
    )
    once = format_text(text)
    assert "  when    enters segment vip\n" in once  # aligned like every attribute
    assert "  when    leaves segment vip\n" in once
    assert "  when    lifecycle becomes winback\n" in once
    assert format_text(once) == once


def test_checker_resolves_transition_triggers(tmp_path):
    bad = PROJECT.replace("when enters segment gold", "when enters segment glod").replace(
        "becomes winback", "becomes wonback"
    )
    res = check_entry(write_project(tmp_path, {"main.strat": bad}))
    found = {(d.code, d.message) for d in res.diagnostics}
    assert ("NAM201", "undefined segment `glod`") in found
    assert any(code == "TYP303" and "wonback" in msg for code, msg in found)


def test_model_keeps_transition_triggers(proj):
    model = proj[0]
    kinds = {p.id: (p.trigger.kind, p.trigger.ref) for p in model.plays.values()}
    assert kinds == {
        "promoted": ("enters", "gold"),
        "demoted": ("leaves", "gold"),
        "lost_now": ("becomes", "winback"),
    }


# ---------------------------------------------------------------- the matrix and the file


def test_matrix_counts_every_change(proj, tmp_path):
    model, _, now, before = proj
    s = run_lists(model, now, out_dir=tmp_path / "out", previous=before, as_of=DAY)
    t = s.transitions
    assert (t["new_customers"], t["gone_customers"]) == (1, 1)
    value = t["dimensions"]["value"]
    assert value["kind"] == "tiering" and value["states"] == ["gold", "silver"]
    cells = {(c["from"], c["to"]): (c["change"], c["customers"]) for c in value["matrix"]}
    assert cells == {
        ("gold", "gold"): ("same", 1),
        ("gold", "silver"): ("downgrade", 1),
        ("silver", "gold"): ("upgrade", 1),
        ("silver", "silver"): ("same", 1),
        ("silver", "none"): ("exit", 1),
        ("none", "gold"): ("entry", 1),
    }
    assert value["totals"] == {
        "upgrade": 1, "downgrade": 1, "move": 0, "entry": 1, "exit": 1, "same": 2,
    }  # fmt: skip
    life = t["dimensions"]["lifecycle"]
    assert life["kind"] == "lifecycle"
    cells = {(c["from"], c["to"]): (c["change"], c["customers"]) for c in life["matrix"]}
    # c is silver and churned: `lost` is declared first, so its stage is winback
    assert cells == {
        ("growth", "growth"): ("same", 1),
        ("growth", "retention"): ("move", 1),
        ("retention", "growth"): ("move", 1),
        ("retention", "winback"): ("move", 1),
        ("retention", "none"): ("exit", 1),
        ("none", "growth"): ("entry", 1),
    }
    on_disk = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["transitions"] == t
    assert "transitions.csv" in on_disk["files"]


def test_transitions_file_lists_who_changed(proj, tmp_path):
    model, _, now, before = proj
    run_lists(model, now, out_dir=tmp_path / "out", previous=before, as_of=DAY)
    text = (tmp_path / "out" / "transitions.csv").read_text(encoding="utf-8")
    assert text.splitlines() == [
        "key,dimension,from,to,change",
        "a,value,silver,gold,upgrade",
        "b,value,gold,silver,downgrade",
        "e,value,none,gold,entry",
        "f,value,silver,none,exit",
        "a,lifecycle,retention,growth,move",
        "b,lifecycle,growth,retention,move",
        "c,lifecycle,retention,winback,move",
        "e,lifecycle,none,growth,entry",
        "f,lifecycle,retention,none,exit",
    ]


def test_transition_plays_get_only_who_changed(proj, tmp_path):
    model, _, now, before = proj
    out = tmp_path / "out"
    s = run_lists(model, now, out_dir=out, previous=before, as_of=DAY)
    assert _keys(out / "promoted.csv") == ["a", "e"]  # e is new: entering gold counts
    assert _keys(out / "demoted.csv") == ["b"]
    assert _keys(out / "lost_now.csv") == ["c"]
    assert {p: v["listed"] for p, v in s.plays.items()} == {
        "promoted": 2, "demoted": 1, "lost_now": 1,
    }  # fmt: skip


def test_without_previous_transition_plays_get_nobody_and_say_so(proj, tmp_path):
    _register()
    model, entry, now, _ = proj
    out = tmp_path / "out"
    r = CliRunner(env={"CI": "true"}).invoke(
        main, ["lists", str(entry), "--data", str(now), "-o", str(out), "--as-of", "2026-03-01"]
    )
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {p: v["listed"] for p, v in summary["plays"].items()} == {
        "promoted": 0, "demoted": 0, "lost_now": 0,
    }  # fmt: skip
    assert "transitions" not in summary and not (out / "transitions.csv").exists()
    assert (
        "warning: play `demoted` fires on a change (when leaves segment gold) and gets no one "
        "without the previous customer table: give --previous FILE"
    ) in r.output


def test_cli_lists_previous_reports_changes(proj, tmp_path):
    _register()
    _, entry, now, before = proj
    r = CliRunner(env={"CI": "true"}).invoke(
        main,
        [
            "lists",
            str(entry),
            "--data",
            str(now),
            "--previous",
            str(before),
            "-o",
            str(tmp_path / "o"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "transitions `value`: 1 up, 1 down, 1 entered, 1 left, 2 unchanged" in r.output
    assert "transitions `lifecycle`: 3 moved, 1 entered, 1 left, 1 unchanged" in r.output
    assert "wrote 3 lists" in r.output


def test_bad_previous_data_is_refused_by_row_and_column(proj, tmp_path):
    _register()
    _, entry, now, _ = proj
    bad = tmp_path / "bad.csv"
    bad.write_text("id,score,churned\na,50,false\nb,lots,false\n", encoding="utf-8")
    out = tmp_path / "o"
    r = CliRunner(env={"CI": "true"}).invoke(
        main, ["lists", str(entry), "--data", str(now), "--previous", str(bad), "-o", str(out)]
    )
    assert r.exit_code == 2, r.output
    assert (
        f"error: previous data {bad}: column `score`: `lots` in row 2 is not an integer" in r.output
    )
    assert not out.exists()
    missing = CliRunner(env={"CI": "true"}).invoke(
        main, ["lists", str(entry), "--data", str(now), "--previous", str(tmp_path / "no.csv")]
    )
    assert missing.exit_code == 2 and "previous data file not found" in missing.output


def test_build_previous_needs_data(proj, tmp_path):
    _register()
    _, entry, _, before = proj
    r = CliRunner().invoke(
        main, ["build", str(entry), "-o", str(tmp_path / "b"), "--previous", str(before)]
    )
    assert r.exit_code == 2 and "--previous needs --data" in r.output


def test_library_build_takes_previous(proj, tmp_path):
    import stratlang

    _, entry, now, before = proj
    built = stratlang.build(
        check_entry(entry), tmp_path / "b", data=now, previous=before, as_of=DAY
    )
    assert built.counts["transitions"]["dimensions"]["value"]["totals"]["upgrade"] == 1
    assert (tmp_path / "b" / "lists" / "transitions.csv").exists()


def test_example_previous_table_is_regenerated_byte_for_byte(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_prev", EXAMPLES.parent / "scripts" / "make_telecom_previous.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    committed = (mod.DATA / "customers_previous.csv").read_bytes()
    (tmp_path / "customers.csv").write_bytes((mod.DATA / "customers.csv").read_bytes())
    monkeypatch.setattr(mod, "DATA", tmp_path)
    mod.main()
    assert (tmp_path / "customers_previous.csv").read_bytes() == committed


def test_key_that_looks_like_a_formula_is_quoted_in_the_file(tmp_path):
    entry = write_project(tmp_path / "p", {"main.strat": PROJECT})
    (tmp_path / "now.csv").write_text("id,score,churned\n=cmd,90,false\n", encoding="utf-8")
    (tmp_path / "before.csv").write_text("id,score,churned\n=cmd,50,false\n", encoding="utf-8")
    run_lists(
        check_entry(entry).model,
        tmp_path / "now.csv",
        out_dir=tmp_path / "o",
        previous=tmp_path / "before.csv",
    )
    rows = (tmp_path / "o" / "transitions.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1] == "'=cmd,value,silver,gold,upgrade"


def test_data_error_type(proj, tmp_path):
    model, _, now, _ = proj
    with pytest.raises(DataError, match="previous data file not found"):
        run_lists(model, now, previous=tmp_path / "missing.csv")


@pytest.mark.slow
def test_spark_transitions_equal_duckdb(tmp_path):
    from stratlang.engine.spark import get_session

    entry = EXAMPLES / "telecom_winback" / "main.strat"
    data = EXAMPLES / "telecom_winback" / "data"
    model = check_entry(entry).model
    day = dt.date(2026, 3, 15)
    prev = data / "customers_previous.csv"
    run_lists(model, data / "customers.csv", out_dir=tmp_path / "d", previous=prev, as_of=day)
    run_lists(
        model,
        data / "customers.csv",
        engine="spark",
        out_dir=tmp_path / "s",
        previous=prev,
        as_of=day,
        spark_session=get_session("local[2]"),
    )
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert "transitions.csv" in names
    assert names == sorted(p.name for p in (tmp_path / "s").iterdir())
    for n in names:
        assert (tmp_path / "d" / n).read_bytes() == (tmp_path / "s" / n).read_bytes(), n


# ---------------------------------------------------------------- the language server


def test_completion_after_transition_words():
    from stratlang.lsp.completion import complete

    def labels(text):
        return [label for label, *_ in complete(text, len(text), {"vip": "segment", "o": "offer"})]

    head = 'play p "P" {\n  when '
    assert {"enters", "leaves"} <= set(labels(head))
    assert labels(head + "enters segment ") == ["vip"]
    assert labels(head + "leaves segment v") == ["vip"]
    assert labels(head + "lifecycle ")[-1] == "becomes"
    assert labels(head + "lifecycle becomes ") == [
        "acquisition", "activation", "growth", "retention", "winback",
    ]  # fmt: skip


def test_rename_reaches_the_segment_a_trigger_names(tmp_path):
    from stratlang.lsp.index import build_index

    entry = write_project(tmp_path, {"main.strat": PROJECT})
    res = check_entry(entry)
    refs = build_index(list(res.project.files)).references("gold", "segment")
    # the play `promoted` (its segment and its trigger) and `demoted`'s trigger (lines 11, 12)
    triggers = [o for o in refs if not o.decl and o.span.line in (11, 12)]
    assert len(triggers) == 3
