"""Map exports (issue 16 §6): Mermaid (`map -o map.mmd`), SVG tooltips and stable element ids,
and `--theme light|print|dark`. Through the real executable where a user would type a command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import EXAMPLES
from golden import check_golden

from stratlang.backends.base import Options
from stratlang.backends.dot import contrast, render_dot, run_dot, tooltip
from stratlang.backends.map_themes import THEME_NAMES, THEMES
from stratlang.backends.mermaid import node_id, render_mermaid, text
from stratlang.check import check_entry
from stratlang.cli import map as map_cli

STRATLANG = str(Path(sys.executable).parent / "stratlang")
BANK = EXAMPLES / "bank_wealth" / "main.strat"
SVG = "{http://www.w3.org/2000/svg}"

# a label with everything that could end a Mermaid string, open a comment, inject markup or
# expand in Graphviz; written with .strat escapes (\" \\ \n)
HOSTILE = (
    r"x \"q\" [b] (c) {d} |p| <script>alert(1)</script> %% c %%{init: {}}%% #quot; "
    r"&amp; \\N \\G `t` *e* end\nnext"
)
HOSTILE_TEXT = (
    'x "q" [b] (c) {d} |p| <script>alert(1)</script> %% c %%{init: {}}%% #quot; '
    "&amp; \\N \\G `t` *e* end\nnext"
)
HOSTILE_PROJECT = f"""
strategy "S {HOSTILE}" {{
  owner  "Ops"
  period 2026-01-01 .. 2026-12-31
  locale zh-CN
}}
schema customer {{
  id  string key
  age int
}}
theme t1 "{HOSTILE}" {{ color "#2b6cb0" }}
objective 财务一 "{HOSTILE}" {{
  perspective financial
  theme t1
  owner "{HOSTILE}"
  target tg "{HOSTILE}" >= 5% by 2026-12-31
}}
objective C1 "1. line one\\nline two" {{ perspective customer }}
C1 -> 财务一 "{HOSTILE}"
segment s1 "{HOSTILE}" {{ rule age > 30 }}
channel ch "{HOSTILE}" {{ kind sms  capacity unlimited }}
script sc "{HOSTILE}" {{ channel ch  pitch "hi" }}
play p1 "{HOSTILE}" {{
  segment s1
  step 1 ch using sc
  step 2 ch using sc after 3d unless converted
  supports 财务一
  owner "{HOSTILE}"
}}
"""


def run(*args, cwd=None):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [STRATLANG, *map(str, args)], capture_output=True, env=env, cwd=cwd, timeout=300
    )


def model_of(path):
    res = check_entry(path)
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"], res.diagnostics
    return res.model


@pytest.fixture
def hostile(tmp_path) -> Path:
    p = tmp_path / "main.strat"
    p.write_text(HOSTILE_PROJECT, encoding="utf-8")
    return p


MERMAID_NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">"}


def decode(label: str) -> str:
    """What Mermaid shows for a quoted label: its entity codes decoded."""
    return re.sub(
        r"#(\w+);",
        lambda mt: chr(int(mt.group(1))) if mt.group(1).isdigit() else MERMAID_NAMED[mt.group(1)],
        label,
    )


# ---------------------------------------------------------------- Mermaid


@pytest.mark.parametrize("view", ["strategy", "playbook"])
def test_golden_mermaid_bank_wealth(view):
    check_golden(f"maps/bank_wealth.{view}.mmd", render_mermaid(model_of(BANK), view, Options()))


def test_map_writes_mermaid_by_suffix(tmp_path):
    out = tmp_path / "map.mmd"
    proc = run("map", BANK, "-o", out)
    assert proc.returncode == 0, proc.stderr.decode()
    assert f"wrote {out}" in proc.stderr.decode()
    mmd = out.read_text(encoding="utf-8")
    model = model_of(BANK)
    assert mmd.startswith("---\n") and "\nflowchart BT\n" in mmd
    # the bands in the map's order, financial first; each objective in its own band
    bands = re.findall(r"^  subgraph (\w+)\[\"([^\"]*)\"\]$", mmd, re.M)
    assert [b for b, _ in bands] == [f"band_{p.id}" for p in model.perspectives]
    assert [decode(label) for _, label in bands] == [p.label for p in model.perspectives]
    for pid, block in zip(
        [p.id for p in model.perspectives], re.findall(r"subgraph .*?\n  end", mmd, re.S)
    ):
        inside = set(re.findall(r"^    obj_(\w+)\[", block, re.M))
        assert inside == {o.id for o in model.objectives.values() if o.perspective == pid}
    for o in model.objectives.values():  # CJK labels written as they are
        assert f'obj_{o.id}["{o.id} {o.label}"]' in mmd
    edges = re.findall(r"^  obj_(\w+) (-->|-\.->)(?:\|\"[^\"]*\"\|)? obj_(\w+)$", mmd, re.M)
    assert [(a, b) for a, _, b in edges] == [(lk.source, lk.target) for lk in model.links]
    assert all(
        (arrow == "-.->") == (lk.kind == "feedback")
        for (_, arrow, _), lk in zip(edges, model.links)
    )
    # every objective in the class of its strategic theme, in the theme's colour
    assert "classDef theme_growth fill:#2b6cb0" in mmd


def test_mermaid_playbook_view_and_theme(tmp_path):
    out = tmp_path / "plays.mermaid"
    proc = run("map", BANK, "--view", "playbook", "--theme", "dark", "-o", out)
    assert proc.returncode == 0, proc.stderr.decode()
    mmd = out.read_text(encoding="utf-8")
    model = model_of(BANK)
    assert "  theme: dark\n" in mmd and "\nflowchart LR\n" in mmd
    assert re.findall(r"^  subgraph (\w+)\[", mmd, re.M) == [
        f"play_{p.id}" for p in model.plays.values()
    ]
    for p in model.plays.values():
        for oid in p.supports:
            assert re.search(rf"^  play_{p.id}_step\d+ -\.-> obj_{oid}$", mmd, re.M)


def test_mermaid_refuses_lifecycle_and_review_maps(tmp_path):
    for extra in (["--view", "lifecycle"], ["--actuals", tmp_path / "a.csv"]):
        out = tmp_path / "x.mmd"
        proc = run("map", BANK, *extra, "-o", out)
        assert proc.returncode == 2 and b"Mermaid export draws" in proc.stderr
        assert not out.exists() and b"Traceback" not in proc.stderr


def test_hostile_labels_stay_inside_their_mermaid_strings(hostile, tmp_path):
    for view in ("strategy", "playbook"):
        out = tmp_path / f"{view}.mmd"
        proc = run("map", hostile, "--view", view, "--targets", "-o", out)
        assert proc.returncode == 0, proc.stderr.decode()
        mmd = out.read_text(encoding="utf-8")
        body = mmd.split("\n---\n", 1)[1]
        # one statement a line, quotes balanced, no comment, directive or markup from the labels
        for line in body.splitlines():
            assert line.count('"') % 2 == 0, line
            assert "%%" not in line and "<script" not in line and "`" not in line, line
            assert line.startswith(("flowchart ", "  ")), line
        labels = re.findall(r'"([^"]*)"', body)
        shown = [decode(label) for label in labels]
        flat = HOSTILE_TEXT.replace("\n", " ")
        assert any(flat in s for s in shown)  # the text comes back, character for character
        assert all("\n" not in s for s in shown)
        # the title is a JSON string in the front matter: the whole text, escaped
        title = re.search(r"^title: (.*)$", mmd, re.M)
        assert title and "\\n" not in title.group(1) and '\\"q\\"' in title.group(1)
        # node ids are ASCII, stable and unique
        ids = re.findall(r"^\s+(\w+)\[\"", body, re.M)
        assert ids and all(re.fullmatch(r"[A-Za-z0-9_]+", i) for i in ids)
        assert len(ids) == len(set(ids))
    assert node_id("obj", "财务一") == "obj_u8d22u52a1u4e00"


def test_mermaid_text_escapes():
    assert text('a "b"') == "a #quot;b#quot;"
    assert text("20% of 100%%") == "20% of 100#37;#37;"
    assert text("#quot;") == "#35;quot;"
    assert text("1. first") == "1#46; first"  # not a Markdown list
    assert decode(text("x <y> & |z|\\ `m` *e*")) == "x <y> & |z|\\ `m` *e*"


# ---------------------------------------------------------------- SVG: ids and tooltips


def groups(svg: bytes) -> dict[str, ET.Element]:
    return {g.get("id"): g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("id")}


def title_of(g: ET.Element) -> str:
    t = g.find(f"{SVG}title")
    return (t.text or "") if t is not None else ""


def test_map_svg_has_stable_ids_and_target_tooltips(tmp_path):
    model = model_of(BANK)
    outs = []
    for i in (1, 2):
        out = tmp_path / f"map{i}.svg"
        proc = run("map", BANK, "-o", out)
        assert proc.returncode == 0, proc.stderr.decode()
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    found = groups(outs[0])
    for o in model.objectives.values():
        g = found[f"obj-{o.id}"]
        assert g.get("class") == "node"
        tip = title_of(g)
        assert tip.startswith(f"{o.id} {o.label}")
        if o.owner:
            assert o.owner in tip
        for t in o.targets:  # measure, goal and deadline
            assert t.label in tip and t.by is not None and t.by.isoformat() in tip
    for p in model.perspectives:
        assert found[f"band-{p.id}"].get("class") == "cluster"
    for lk in model.links:
        g = found[f"link-{lk.source}-{lk.target}"]
        assert g.get("class") == "edge"
        assert title_of(g).startswith(f"{lk.source} ")
        if lk.label:
            assert lk.label in title_of(g)
    # no link element is left: the tooltip is the <title>, the drawing keeps its structure
    assert not [e for e in ET.fromstring(outs[0]).iter() if e.tag == f"{SVG}a"]


def test_playbook_map_svg_ids(tmp_path):
    model = model_of(BANK)
    out = tmp_path / "plays.svg"
    assert run("map", BANK, "--view", "playbook", "-o", out).returncode == 0
    found = groups(out.read_bytes())
    for p in model.plays.values():
        assert found[f"play-{p.id}"].get("class") == "cluster"
        assert f"play-{p.id}-segment" in found and f"play-{p.id}-step-1" in found
        tip = title_of(found[f"play-{p.id}-objectives"])
        assert all(oid in tip for oid in p.supports)


def test_hostile_tooltips_are_text(hostile):
    model = model_of(hostile)
    svg = run_dot(render_dot(model, "strategy", Options()), "svg")
    found = groups(svg)  # parses: nothing escaped the attribute or the title
    tip = title_of(found["obj-财务一"])
    assert HOSTILE_TEXT in tip  # \N stays \N: not the node's name
    assert tip.count("\n") >= 3  # label (two lines), owner, target
    assert not [e for e in ET.fromstring(svg).iter() if e.tag in (f"{SVG}script", f"{SVG}a")]
    assert "link-C1-财务一" in found
    assert tooltip('a\\b"c\n') == "a&#92;&#92;&#92;&#92;b&quot;c&#10;"


def test_long_tooltips_are_cut_to_what_graphviz_takes():
    model = model_of(BANK)
    objectives = dict(model.objectives)
    objectives["F1"] = replace(objectives["F1"], owner="部" * 10_000, label="\\" * 5_000)
    model = replace(model, objectives=objectives)
    svg = run_dot(render_dot(model, "strategy", Options()), "svg")  # dot takes 16 KB a string
    tip = title_of(groups(svg)["obj-F1"])
    assert "…" in tip and "部" * 100 in tip and len(tip.encode()) < 9000
    assert all(len(line) <= 160 for line in tip.splitlines())


@pytest.mark.slow
def test_playbook_html_inline_map_keeps_ids_and_tooltips(tmp_path):
    out = tmp_path / "out"
    proc = run("build", BANK, "-o", out, "--theme", "dark")
    assert proc.returncode == 0, proc.stderr.decode()
    dark = THEMES["dark"].background.encode()
    for name in ("map.svg", "playbook-map.svg"):  # build draws both maps in the theme
        assert b'fill="' + dark + b'"' in (out / name).read_bytes(), name
    assert b'fill="' + dark + b'"' not in (out / "lifecycle-map.svg").read_bytes()
    html = (out / "playbook.html").read_text(encoding="utf-8")
    # the inline maps' ids carry a prefix per map (and per print tile): sm-obj-F1, sm1-obj-F1
    assert re.search(r'id="[a-z]+\d*-obj(?:&#45;|-)F1"', html)
    assert re.search(r'id="[a-z]+\d*-band(?:&#45;|-)financial"', html)
    assert re.search(r"<title>F1 财富客户AUM增长&#10;", html)
    assert b'id="obj&#45;F1"' in (out / "map.svg").read_bytes()


# ---------------------------------------------------------------- themes


def test_themes_are_the_cli_choices():
    assert set(THEME_NAMES) == set(map_cli.THEMES) == {"light", "print", "dark"}


@pytest.mark.parametrize("name", ["print", "dark"])  # light is the look the maps always had
def test_theme_text_contrast(name):
    th = THEMES[name]
    pairs = [
        (th.ink, th.background),
        (th.muted, th.background),
        (th.statement, th.background),
        (th.header_text, th.header_fill),
        (th.vp_caption, th.vp_fill),
        (th.vp_words, th.vp_fill),
        (th.muted, th.label_fill),
        (th.feedback, th.background),
    ]
    pairs += [(th.muted, fill) for fill in th.band_fills]
    pairs += [(th.ink, fill) for fill in th.band_fills]
    for box in (th.segment, th.trigger, th.offer, th.step):
        pairs += [(th.ink, box.fill), (box.caption, box.fill)]
    for fg, bg in pairs:
        assert contrast(fg, bg) >= 4.5, (name, fg, bg, round(contrast(fg, bg), 2))


def fills(svg: bytes) -> set[str]:
    return {c.decode().lower() for c in re.findall(rb'(?:fill|stroke)="(#[0-9a-fA-F]{6})"', svg)}


@pytest.mark.parametrize("view", ["strategy", "playbook"])
@pytest.mark.parametrize("name", THEME_NAMES)
def test_each_theme_renders(tmp_path, name, view):
    out = tmp_path / f"{name}.svg"
    proc = run("map", BANK, "--view", view, "--theme", name, "-o", out)
    assert proc.returncode == 0, proc.stderr.decode()
    svg = out.read_bytes()
    th = THEMES[name]
    root = ET.fromstring(svg)
    background = root.find(f"{SVG}g/{SVG}polygon")
    assert background is not None and background.get("fill") in (th.background, "white")
    colours = fills(svg)
    if name == "print":  # black and grey only
        assert all(c[1:3] == c[3:5] == c[5:7] for c in colours), colours
        assert re.search(rb'stroke-width="2"', svg)
    if name == "dark":
        assert th.background in colours and th.background != "#ffffff"
        title = next(t for t in root.iter(f"{SVG}text") if t.get("font-size") == "22.00")
        assert title.get("fill") == th.ink


def test_theme_refused_for_lifecycle_map(tmp_path):
    proc = run("map", BANK, "--view", "lifecycle", "--theme", "dark", "-o", tmp_path / "l.svg")
    assert proc.returncode == 2 and b"--theme dark" in proc.stderr


def test_light_theme_is_the_default_look():
    model = model_of(BANK)
    for view in ("strategy", "playbook"):
        assert render_dot(model, view, Options(theme="light")) == render_dot(model, view)
        dark = render_dot(model, view, Options(theme="dark"))
        assert 'bgcolor="#1a202c"' in dark
        # the lifecycle map after a dark one is drawn in its own colours again
        assert 'bgcolor="#ffffff"' in render_dot(model, "lifecycle", Options(theme="dark"))
