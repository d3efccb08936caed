"""The lifecycle map (`lifecycle-map.svg`, `map --view lifecycle`) and the transition charts in
the playbook (issue 13 §3 and §2): golden DOT, columns in stage order, plays where they act,
counts and stage-to-stage arrows after --previous, escaping, the build and the playbook."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, write_project
from golden import check_golden
from test_transitions import PROJECT as TRANSITIONS_PROJECT

from stratlang.backends.base import Options
from stratlang.backends.dot import render_dot
from stratlang.backends.html import render_playbook
from stratlang.backends.lifecycle_map import play_stage, stage_moves, transition_charts
from stratlang.check import check_entry
from stratlang.cli import _register, main
from stratlang.engine import run_lists

TELECOM = EXAMPLES / "telecom_winback" / "main.strat"
# the transitions project, with a label to escape, a play without a trigger, and a play whose
# segment is in retention but whose trigger acts in winback
PROJECT = (
    TRANSITIONS_PROJECT.replace('"Lost"', '"Lost <b>&"')
    .replace(
        'play demoted "D" { segment silver  when leaves segment gold ',
        'play keep "K" { segment silver ',
    )
    .replace('play lost_now "L" { segment lost ', 'play lost_now "L" { segment silver ')
)
NOW = "id,score,churned\na,90,false\nb,50,false\nc,50,true\nd,85,false\n"
BEFORE = "id,score,churned\na,50,false\nb,90,false\nc,50,false\nd,55,false\n"


def _project(tmp_path):
    entry = write_project(tmp_path / "p", {"main.strat": PROJECT})
    (tmp_path / "now.csv").write_text(NOW, encoding="utf-8")
    (tmp_path / "before.csv").write_text(BEFORE, encoding="utf-8")
    return entry, check_entry(entry).model


def _counts(tmp_path, model):
    s = run_lists(
        model,
        tmp_path / "now.csv",
        previous=tmp_path / "before.csv",
        as_of=dt.date(2026, 3, 1),
    )
    return {**s.counts(), "transitions": s.transitions}


@pytest.mark.parametrize("name", ["telecom_winback", "bank_wealth"])  # English, Chinese
def test_golden_dot(name):
    model = check_entry(EXAMPLES / name / "main.strat").model
    check_golden(f"maps/{name}.lifecycle.dot", render_dot(model, "lifecycle", Options()))


def test_columns_in_stage_order_and_plays_where_they_act(tmp_path):
    _, model = _project(tmp_path)
    dot = render_dot(model, "lifecycle", Options())
    heads = re.findall(r"label=<<b>(acquisition|activation|growth|retention|win-back)</b>>", dot)
    assert heads == ["acquisition", "activation", "growth", "retention", "win-back"]
    # a `when lifecycle becomes winback` play acts in winback although its segment is retention
    assert play_stage(model, model.plays["lost_now"]) == "winback"
    assert play_stage(model, model.plays["keep"]) == "retention"
    winback = dot[dot.index("subgraph cluster_winback") :]
    assert "<b>L</b>" in winback[: winback.index("  }")]
    # without --previous: the nominal path, dashed, no numbers
    assert dot.count("style=dashed") == 4
    assert "Lost &lt;b&gt;&amp;" in dot and "Lost <b>&" not in dot


def test_counts_and_moves_after_previous(tmp_path):
    _, model = _project(tmp_path)
    counts = _counts(tmp_path, model)
    # a: retention -> growth, b: growth -> retention, c: retention -> winback, d: retention -> growth
    assert stage_moves(counts) == {
        ("retention", "growth"): 2,
        ("growth", "retention"): 1,
        ("retention", "winback"): 1,
    }
    dot = render_dot(model, "lifecycle", Options(counts=counts))
    assert "style=dashed" not in dot
    assert re.search(
        r"-> n\d+ \[color=\"#2d3748\", penwidth=5\.2, constraint=false, label=<<b>2</b>>", dot
    )
    assert "Segment · 2 customers" in dot  # gold: a and d


def test_map_cli_writes_the_lifecycle_view(tmp_path):
    _register()
    r = CliRunner().invoke(
        main, ["map", str(TELECOM), "--view", "lifecycle", "-o", str(tmp_path / "l.dot")]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "l.dot").read_text(encoding="utf-8").startswith("digraph lifecycle_map {")
    svg = CliRunner().invoke(
        main, ["map", str(TELECOM), "--view", "lifecycle", "-o", str(tmp_path / "l.svg")]
    )
    assert svg.exit_code == 0 and b"<svg" in (tmp_path / "l.svg").read_bytes()


def test_build_writes_the_map_and_the_playbook_shows_it_and_the_flows(tmp_path):
    _register()
    entry, model = _project(tmp_path)
    out = tmp_path / "out"
    r = CliRunner(env={"CI": "true"}).invoke(
        main,
        ["build", str(entry), "-o", str(out), "--data", str(tmp_path / "now.csv")]
        + ["--previous", str(tmp_path / "before.csv"), "--as-of", "2026-03-01"],
    )
    assert r.exit_code == 0, r.output
    assert (out / "lifecycle-map.svg").read_bytes().lstrip().startswith(b"<?xml")
    html = (out / "playbook.html").read_text(encoding="utf-8")
    assert 'id="map-lifecycle"' in html and "Customer lifecycle map" in html
    # one flow chart per dimension: the tiering, then the lifecycle
    assert 'id="transitions-1"' in html and 'id="transitions-2"' in html
    assert "Customer transitions: Value" in html and "Customer transitions: Lifecycle" in html


def test_transition_chart_draws_each_cell(tmp_path):
    _, model = _project(tmp_path)
    counts = _counts(tmp_path, model)
    (title, dot), _life = transition_charts(model, Options(counts=counts), "zh")
    assert title == "客户迁移：Value"
    assert dot.count(" -> ") - dot.count("style=invis") == len(
        counts["transitions"]["dimensions"]["value"]["matrix"]
    )
    assert "2 升级" in dot and "1 降级" in dot  # a and d rose to gold, b fell to silver


def test_playbook_without_previous_has_no_flow_charts(tmp_path):
    _, model = _project(tmp_path)
    html = render_playbook(model, Options())
    assert 'id="map-lifecycle"' in html and 'id="transitions-1"' not in html
