"""Strategy map and playbook map as DOT: golden files, escaping, fonts, determinism, the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASE, EXAMPLES, ROOT
from golden import check_golden

from stratlang.backends import base as backends
from stratlang.backends.base import Options
from stratlang.backends.dot import (
    DEFAULT_FONT,
    PALETTE,
    contrast,
    render_dot,
    text_color,
    theme_colors,
    wrap,
    xml,
)
from stratlang.backends.text_metrics import measure_in_columns
from stratlang.check import check_entry

STRATLANG = str(Path(sys.executable).parent / "stratlang")
ENTRIES = {
    "bank_wealth": EXAMPLES / "bank_wealth" / "main.strat",
    "customer_equity": EXAMPLES / "customer_equity" / "main.strat",
    "telecom_winback": EXAMPLES / "telecom_winback" / "main.strat",
    "spec_example": ROOT / "tests" / "data" / "spec_example" / "wealth.strat",
}

HOSTILE = r"x \"q\" {b} [c]; \\N \\G \\L back\\slash <b>bold</b> <script>alert(1)</script> <img src=x onerror=alert(1)> ]]> &amp; -- end"
# the label text after the .strat string escapes are applied
HOSTILE_TEXT = (
    'x "q" {b} [c]; \\N \\G \\L back\\slash <b>bold</b> <script>alert(1)</script> '
    "<img src=x onerror=alert(1)> ]]> &amp; -- end"
)


def model_of(path):
    res = check_entry(path)
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"], res.diagnostics
    return res.model


def run(*args, env=None, cwd=None):
    e = dict(os.environ, NO_COLOR="1")
    e.update(env or {})
    return subprocess.run(
        [STRATLANG, *map(str, args)], capture_output=True, env=e, cwd=cwd, timeout=180
    )


def hostile_project(tmp_path: Path) -> Path:
    text = (
        BASE
        + f'''
theme t1 "{HOSTILE}" {{ color "#2b6cb0" }}
event ev "{HOSTILE}"
objective F1 "{HOSTILE}" {{
  perspective financial
  theme t1
  target tg "{HOSTILE}" >= 5% by 2026-12-31
}}
objective C1 "line one\\nline two\\ttab" {{ perspective customer }}
C1 -> F1 "{HOSTILE}"
segment s1 "{HOSTILE}" {{ rule age > 30 }}
offer o1 "{HOSTILE}"
channel ch "{HOSTILE}" {{ kind sms  capacity unlimited }}
script sc "{HOSTILE}" {{ channel ch  pitch "hi" }}
play p1 "{HOSTILE}" {{
  segment s1
  when event ev within 5d
  offer o1
  step 1 ch using sc
  step 2 ch using sc after 3d unless converted
  supports F1
  owner "{HOSTILE}"
}}
'''
    )
    p = tmp_path / "main.strat"
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------- golden DOT


@pytest.mark.parametrize("name", sorted(ENTRIES))
@pytest.mark.parametrize("view", ["strategy", "playbook"])
def test_golden_dot(name, view):
    model = model_of(ENTRIES[name])
    check_golden(f"maps/{name}.{view}.dot", render_dot(model, view, Options()))


def test_golden_dot_with_targets():
    model = model_of(ENTRIES["bank_wealth"])
    check_golden(
        "maps/bank_wealth.strategy-targets.dot",
        render_dot(model, "strategy", Options(show_targets=True)),
    )


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_dot_parses_with_graphviz(name):
    model = model_of(ENTRIES[name])
    for view in ("strategy", "playbook"):
        proc = subprocess.run(
            ["dot", "-Tcanon"], input=render_dot(model, view).encode(), capture_output=True
        )
        assert proc.returncode == 0, proc.stderr
        assert b"Warning" not in proc.stderr and b"Error" not in proc.stderr, proc.stderr


def test_node_ids_are_generated_not_user_text():
    model = model_of(ENTRIES["bank_wealth"])
    for view in ("strategy", "playbook"):
        dot = render_dot(model, view)
        statements = re.findall(r"^\s+([^\s\[{}]+) \[", dot, re.M)
        assert statements
        assert all(re.fullmatch(r"n\d+|graph|node|edge", s) for s in statements), statements
        edges = re.findall(r"^\s+(\S+) -> (\S+)", dot, re.M)
        assert edges and all(
            re.fullmatch(r"n\d+", a) and re.fullmatch(r"n\d+;?", b) for a, b in edges
        )


def test_strategy_bands_follow_declared_perspectives():
    model = model_of(ENTRIES["bank_wealth"])
    dot = render_dot(model, "strategy")
    bands = dot.split("subgraph cluster_band")[1:]
    assert len(bands) == len(model.perspectives)
    for p, band in zip(model.perspectives, bands):
        assert xml(p.label) in band
        for o in model.objectives.values():
            assert (f">{xml(o.id)}</font>" in band) == (o.perspective == p.id)


def test_fonts_set_on_graph_nodes_and_edges():
    model = model_of(ENTRIES["spec_example"])
    dot = render_dot(model, "strategy", Options(font="WenQuanYi Zen Hei"))
    for kind in ("graph", "node", "edge"):
        assert re.search(rf'^  {kind} \[fontname="WenQuanYi Zen Hei"', dot, re.M), kind
    assert "Noto" not in dot


def test_font_name_cannot_break_dot():
    model = model_of(ENTRIES["spec_example"])
    evil = 'Evil" ]; n999 [label="pwned"]; x="\\'
    dot = render_dot(model, "strategy", Options(font=evil))
    proc = subprocess.run(["dot", "-Tcanon"], input=dot.encode(), capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert b"n999" not in re.sub(rb'fontname="(?:[^"\\]|\\.)*"', b"", proc.stdout)


def test_hostile_labels_keep_dot_valid(tmp_path):
    model = model_of(hostile_project(tmp_path))
    for view in ("strategy", "playbook"):
        dot = render_dot(model, view, Options(show_targets=True))
        # user text never appears unescaped
        assert (
            "<script>" not in dot
            and "<img" not in dot
            and "<b>bold" not in dot
            and "]]>" not in dot
        )
        assert "\\N" not in dot and "\\G" not in dot
        proc = subprocess.run(["dot", "-Tcanon"], input=dot.encode(), capture_output=True)
        assert proc.returncode == 0, proc.stderr
        assert b"Warning" not in proc.stderr and b"Error" not in proc.stderr, proc.stderr
        # the same number of nodes in and out: nothing was injected
        ids_in = set(re.findall(r"\bn\d+\b", dot))
        ids_out = set(re.findall(rb"\bn\d+\b", proc.stdout))
        assert {i.encode() for i in ids_in} == ids_out


def test_xml_escape_and_wrap_units():
    assert xml('<a href="x">&\'\\N\x00\x07') == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&#92;&#92;N"
    for text in [
        "财富客户AUM增长率提升计划以及更多更多的中文字符",
        "a " * 40,
        "x" * 100,
        "混合 mixed 文字 text " * 5,
    ]:
        lines = wrap(text, 24)
        # columns of half an em, measured with the font file (without it: CJK 2, others 1)
        widths = [measure_in_columns(DEFAULT_FONT)(ln) for ln in lines]
        assert max(widths) <= 24, (lines, widths)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_text_contrast_picks_the_readable_colour():
    assert text_color("#ffffff") != "#ffffff"
    assert text_color("#000000") == "#ffffff"
    assert text_color("#2b6cb0") == "#ffffff"
    assert text_color("#edc948") != "#ffffff"
    for fill in PALETTE + ("#2b6cb0", "#2f855a", "#b7791f", "#e2e8f0"):
        fg = text_color(fill)
        other = "#1a202c" if fg == "#ffffff" else "#ffffff"
        assert contrast(fill, fg) >= contrast(fill, other)
        assert contrast(fill, fg) >= 3.0, fill


def test_themes_without_colour_get_distinct_palette_colours(project):
    res = project(
        BASE
        + """
theme a "A"
theme b "B" { color "#123456" }
theme c "C"
objective F1 "f" { perspective financial  theme a }
objective F2 "g" { perspective financial  theme c }
objective F3 "h" { perspective financial  theme b }
objective F4 "i" { perspective financial }
"""
    )
    colors = theme_colors(res.model)
    assert colors["b"] == "#123456"
    assert colors["a"] != colors["c"] and {colors["a"], colors["c"]} <= set(PALETTE)
    dot = render_dot(res.model, "strategy")
    for label in ("A", "B", "C"):
        assert f">{label}</td>" in dot
    assert "no theme" in dot  # F4 has none: the legend says so


def test_custom_perspectives_dot(project):
    res = project(
        BASE
        + """
perspectives {
  value "Value"
  satisfaction "Satisfaction"
  knowledge "Knowledge"
}
objective K1 "know" { perspective knowledge }
objective S1 "satisfy" { perspective satisfaction }
objective V1 "value" { perspective value }
K1 -> S1 -> V1
"""
    )
    dot = render_dot(res.model, "strategy")
    assert dot.index(">Value<") < dot.index(">Satisfaction<") < dot.index(">Knowledge<")
    assert "Financial" not in dot and "财务" not in dot
    # upward links are drawn effect -> cause with dir=back
    assert len(re.findall(r"dir=back", dot)) == 2


def test_wide_perspective_wraps_into_rows(project):
    objs = "\n".join(
        f'objective C{i} "Objective {i}" {{ perspective customer }}' for i in range(30)
    )
    res = project(BASE + objs)
    dot = render_dot(res.model, "strategy")
    rows = re.findall(r"\{ rank=same; ([^}]*) \}", dot)
    sizes = [len(r.split()) - 1 for r in rows]  # minus the header/spacer
    assert sum(sizes) == 30
    assert max(sizes) <= 6 and len([s for s in sizes if s]) == 5


def test_playbook_rows_in_declared_order():
    model = model_of(ENTRIES["bank_wealth"])
    dot = render_dot(model, "playbook", Options(lang="en"))
    positions = [dot.index(f"<b>{xml(p.label)}</b>") for p in model.plays.values()]
    assert positions == sorted(positions)
    for p in model.plays.values():
        for s in p.steps:
            if s.after_raw:
                assert f"+{s.after_raw}" in dot
    assert "unless converted" in dot
    zh = render_dot(model, "playbook", Options(lang="zh"))
    assert "未转化" in zh and "策略图谱" in zh


def test_dot_is_deterministic_across_processes(tmp_path):
    entry = ENTRIES["bank_wealth"]
    outs = []
    for seed in ("1", "2"):
        proc = run("map", entry, "--view", "playbook", env={"PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1] and outs[0].startswith(b"digraph")


# ---------------------------------------------------------------- backends and CLI


def test_backends_registered():
    registered = {b.name: b for b in backends.build_outputs()}
    assert {"map.svg", "playbook-map.svg"} <= set(registered)
    model = model_of(ENTRIES["spec_example"])
    svg = registered["playbook-map.svg"].render(model, Options())
    assert svg.startswith(b"<?xml") and b"playbook_map" in svg


@pytest.mark.slow
def test_cli_writes_by_suffix(tmp_path):
    entry = ENTRIES["spec_example"]
    stdout = run("map", entry).stdout
    for suffix, magic in (
        (".dot", b"digraph"),
        (".svg", b"<?xml"),
        (".png", b"\x89PNG"),
        (".pdf", b"%PDF"),
    ):
        out = tmp_path / f"m{suffix}"
        proc = run("map", entry, "-o", out, "--targets")
        assert proc.returncode == 0, proc.stderr
        assert out.read_bytes().startswith(magic)
    assert (tmp_path / "m.dot").read_bytes() != stdout  # --targets made a difference
    assert run("map", entry, "-o", tmp_path / "plain.dot").returncode == 0
    assert (tmp_path / "plain.dot").read_bytes() == stdout
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_unknown_suffix_and_failed_check_write_nothing(tmp_path):
    entry = ENTRIES["spec_example"]
    proc = run("map", entry, "-o", tmp_path / "m.txt")
    assert proc.returncode == 2 and b".svg, .png, .pdf, .dot or .mmd" in proc.stderr
    bad = tmp_path / "bad.strat"
    bad.write_text(BASE + 'objective F1 "x" { perspective nowhere }\n', encoding="utf-8")
    out = tmp_path / "bad.svg"
    proc = run("map", bad, "-o", out)
    assert proc.returncode == 1 and not out.exists()
    assert b"Traceback" not in proc.stderr


def test_cli_missing_graphviz_says_what_to_install(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "m.svg"
    proc = run("map", ENTRIES["spec_example"], "-o", out, env={"PATH": str(empty)})
    assert proc.returncode == 2
    assert b"apt-get install graphviz fonts-noto-cjk" in proc.stderr
    assert b"Traceback" not in proc.stderr and not out.exists()
    # DOT needs no Graphviz
    proc = run("map", ENTRIES["spec_example"], env={"PATH": str(empty)})
    assert proc.returncode == 0 and proc.stdout.startswith(b"digraph")
