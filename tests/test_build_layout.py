"""`build` lays out each map once, and draws a summary of a strategy map over the layout budget
(backends/layout.py, backends/summary_map.py). Graphviz is real: the runs are counted by shims
on PATH that log each call and hand it to the real `dot` / `neato`."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

import stratlang
from stratlang.backends.html import inline_svg
from stratlang.backends.layout import layout_session
from stratlang.backends.map_pages import MAX_TILES, map_tiles, svg_tiles
from stratlang.backends.summary_map import summary_dot
from stratlang.check import check_entry

sys.path.insert(0, str(ROOT / "benchmarks"))
from gen_project import generate, write_project

pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None or shutil.which("neato") is None, reason="needs Graphviz"
)
STRATLANG = [str(Path(sys.executable).parent / "stratlang")]


def shims(folder: Path, log: Path, slow_json: float = 0) -> dict[str, str]:
    """`dot` and `neato` shims in `folder` that append `tool args checksum-of-input` to `log`
    and run the real program (with `slow_json`: the layout pass `dot -Tjson` sleeps first).
    Returns the environment that puts them first on PATH."""
    folder.mkdir(exist_ok=True)
    for tool in ("dot", "neato"):
        real = shutil.which(tool)
        delay = (
            f'case "$*" in *-Tjson*) exec sleep {slow_json};; esac\n'
            if slow_json and tool == "dot"
            else ""
        )
        script = folder / tool
        script.write_text(
            "#!/bin/sh\n"
            'tmp=$(mktemp)\ncat > "$tmp"\n'
            f'echo "{tool} $* $(cksum < "$tmp" | cut -d" " -f1)" >> "{log}"\n'
            f"{delay}"
            f'"{real}" "$@" < "$tmp"\nrc=$?\nrm -f "$tmp"\nexit $rc\n',
            encoding="utf-8",
        )
        script.chmod(0o755)
    return dict(os.environ, PATH=f"{folder}{os.pathsep}{os.environ['PATH']}")


def runs(log: Path) -> list[tuple[str, str]]:
    """(tool, checksum of its input) per Graphviz run, temporary file names left out."""
    if not log.exists():
        return []
    return [(line.split()[0], line.split()[-1]) for line in log.read_text().splitlines()]


def build_cli(entry: Path, out: Path, env: dict[str, str], *args: str):
    env = dict(env, NO_COLOR="1")
    env.pop("CI", None)
    return subprocess.run(
        STRATLANG + ["build", str(entry), "-o", str(out), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A generated 200-objective project (about 440 objectives + links)."""
    return write_project(tmp_path_factory.mktemp("gen200"), generate(200, 40))


@pytest.mark.slow
def test_build_lays_out_each_map_once(tmp_path):
    log = tmp_path / "graphviz.log"
    env = shims(tmp_path / "bin", log)
    r = build_cli(EXAMPLES / "bank_wealth", tmp_path / "out", env)
    assert r.returncode == 0, r.stderr
    done = runs(log)
    assert len(done) == len(set(done)), f"a map was laid out twice: {done}"
    # three maps (map.svg, playbook-map.svg, lifecycle-map.svg), each drawn by one `dot`; the
    # strategy map's bands are added after its layout and drawn by `neato -n2`
    assert [tool for tool, _ in done].count("dot") == 3
    assert [tool for tool, _ in done].count("neato") == 1
    # the playbook's inline strategy map is the map.svg drawing
    html = (tmp_path / "out" / "playbook.html").read_text(encoding="utf-8")
    svg = (tmp_path / "out" / "map.svg").read_text(encoding="utf-8")
    title = re.search(r"<title>([^<]+)</title>", svg.split('<g id="node', 1)[1]).group(1)
    assert title in html


@pytest.mark.slow
def test_over_budget_build_says_so_and_draws_a_summary(tmp_path, generated):
    log = tmp_path / "graphviz.log"
    env = shims(tmp_path / "bin", log)
    r = build_cli(generated, tmp_path / "out", env, "--map-budget", "100")
    assert r.returncode == 0, r.stderr
    model = check_entry(generated).model
    n_obj, n_links = len(model.objectives), len(model.links)
    assert f"note: the strategy map has {n_obj:,} objectives and {n_links:,} links" in r.stderr
    assert "layout budget of 100" in r.stderr
    # the full layout never ran (its first pass is `dot -Tdot -Tjson`); the summary is small
    assert not any("-Tjson" in line for line in log.read_text().splitlines())
    svg = (tmp_path / "out" / "map.svg").read_text(encoding="utf-8")
    assert "strategy_map_summary" in svg
    assert svg.count('class="node"') < 60  # a box per perspective and theme, not per objective
    nodes = re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, re.S)
    boxes = [n for node in nodes for n in re.findall(r"<text[^>]*>([\d,]+)</text>", node)]
    assert sum(int(b.replace(",", "")) for b in boxes) == n_obj  # every objective counted once
    html = (tmp_path / "out" / "playbook.html").read_text(encoding="utf-8")
    assert "strategy_map_summary" in html
    assert len(runs(log)) == len(set(runs(log)))


@pytest.mark.slow
def test_within_budget_build_draws_the_full_map(tmp_path, generated):
    log = tmp_path / "graphviz.log"
    r = build_cli(generated, tmp_path / "out", shims(tmp_path / "bin", log))
    assert r.returncode == 0, r.stderr
    assert not [line for line in r.stderr.splitlines() if line.startswith("note:")]
    assert "strategy_map_summary" not in (tmp_path / "out" / "map.svg").read_text()
    assert sum("-Tjson" in line for line in log.read_text().splitlines()) <= 1


@pytest.mark.slow
def test_summarised_build_is_byte_identical_across_runs(tmp_path, generated):
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        r = build_cli(generated, out, dict(os.environ), "--map-budget", "100")
        assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir())
    for name in names:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_a_layout_past_the_timeout_is_stopped_and_summarised(tmp_path, monkeypatch):
    entry = EXAMPLES / "bank_wealth" / "main.strat"
    env = shims(tmp_path / "bin", tmp_path / "graphviz.log", slow_json=60)
    monkeypatch.setenv("PATH", env["PATH"])
    res = check_entry(entry)
    built = stratlang.build(res, tmp_path / "out", layout_timeout=1.0)
    assert len(built.notes) == 1
    assert "was not laid out within 1 s" in built.notes[0]
    assert "strategy_map_summary" in (tmp_path / "out" / "map.svg").read_text()


def test_summary_counts_every_objective_and_stays_small():
    model = check_entry(EXAMPLES / "bank_wealth" / "main.strat").model
    dot = summary_dot(model)
    assert dot == summary_dot(model)  # deterministic
    counts = re.findall(r"<br/>([\d,]+)</font>>\];", dot)
    assert sum(int(c.replace(",", "")) for c in counts) == len(model.objectives)
    for p in model.perspectives:
        assert p.label in dot


@pytest.mark.parametrize("name", ["light", "print", "dark"])
def test_the_summary_is_drawn_in_the_maps_theme(name):
    """`build --theme dark` over the budget: the summary in dark too, no light colour left."""
    from stratlang.backends.base import Options
    from stratlang.backends.dot import run_dot
    from stratlang.backends.map_themes import LIGHT, THEMES

    model = check_entry(EXAMPLES / "bank_wealth" / "main.strat").model
    looks = THEMES[name]
    dot = summary_dot(model, Options(theme=name))
    assert f'bgcolor="{looks.background}"' in dot
    assert f'fillcolor="{looks.header_fill}"' in dot and f'fillcolor="{looks.vp_fill}"' in dot
    if looks is not LIGHT:
        assert f'fillcolor="{LIGHT.band_fills[0]}"' not in dot
    assert b"<svg" in run_dot(dot, "svg")


def test_no_session_no_cache(tmp_path):
    """Outside a build every call lays out (stratlang map, the library), as before."""
    model = check_entry(EXAMPLES / "bank_wealth" / "main.strat").model
    from stratlang.backends.dot import render_image

    with layout_session() as session:
        a = render_image(model, "playbook")
        b = render_image(model, "playbook")
    assert a == b and session.runs == 1
    assert render_image(model, "playbook") == a


def test_a_map_of_many_tiles_is_inlined_once():
    rows = "".join(
        f'<g class="node"><text x="10" y="{40 * i}" font-size="14">n{i}</text></g>'
        for i in range(1, 2000)
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400pt" height="80000pt" '
        f'viewBox="0.00 0.00 400.00 80000.00"><g id="graph0" class="graph">{rows}</g></svg>'
    )
    assert len(map_tiles(svg)[1]) > MAX_TILES
    html = str(svg_tiles(svg, inline_svg, "sm"))
    assert html.count("<svg") == 1 and "data-tile" not in html


@pytest.mark.slow
def test_a_project_over_the_default_budget_builds_with_a_note(tmp_path):
    """1,300 generated objectives (about 2,850 objectives + links, over 2,500): no `--map-budget`,
    the full strategy layout (which would take about 20 s) never starts."""
    entry = write_project(tmp_path / "big", generate(1300, 260))
    log = tmp_path / "graphviz.log"
    r = build_cli(entry, tmp_path / "out", shims(tmp_path / "bin", log))
    assert r.returncode == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "more than the layout budget of 2,500" in notes[0]
    assert not any("-Tjson" in line for line in log.read_text().splitlines())
    assert "strategy_map_summary" in (tmp_path / "out" / "map.svg").read_text()
    assert len(runs(log)) == 3  # the summary, the playbook map, the lifecycle map: once each
    # `stratlang playbook` alone lays out the same way
    env = dict(shims(tmp_path / "bin", log), NO_COLOR="1")
    env.pop("CI", None)
    page = tmp_path / "playbook.html"
    r = subprocess.run(
        [*STRATLANG, "playbook", str(entry), "-o", str(page)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "note: the strategy map has 1,300 objectives" in r.stderr
    assert "strategy_map_summary" in page.read_text(encoding="utf-8")
    assert len(runs(log)) == 6


def test_review_lays_out_its_map_once(tmp_path):
    """`stratlang review`: review.html's inline map and review-map.svg are one layout."""
    log = tmp_path / "graphviz.log"
    env = dict(shims(tmp_path / "bin", log), NO_COLOR="1")
    bank = EXAMPLES / "bank_wealth"
    r = subprocess.run(
        STRATLANG
        + ["review", str(bank), "--actuals", str(bank / "data" / "actuals.csv")]
        + ["--as-of", "2026-07-15", "-o", str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    done = runs(log)
    assert done and len(done) == len(set(done)), f"a map was laid out twice: {done}"
    svg = (tmp_path / "out" / "review-map.svg").read_text(encoding="utf-8")
    assert "财富客户AUM增长" in svg  # F1, drawn in full


def test_a_review_map_over_the_budget_is_the_summary(tmp_path, generated):
    """In a build the review map keeps the budget too: over it, the strategy map's summary
    (it used to be laid out in full and fail at the timeout)."""
    from stratlang.backends.review_map import review_map_svg
    from stratlang.review import review

    model = check_entry(generated).model
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("measure,period,value,note\n", encoding="utf-8")
    result = review(model, actuals, as_of=dt.date(2026, 7, 15))
    with layout_session(budget=100) as session:
        svg = review_map_svg(model, result, "en").decode("utf-8")
    assert "strategy_map_summary" in svg
    assert session.notes and "layout budget of 100" in session.notes[0]
