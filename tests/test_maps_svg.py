"""Maps rendered by real Graphviz: labels present, bands in order, no injected markup, bounded
width, byte-identical output."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from conftest import BASE
from test_maps import ENTRIES, HOSTILE_TEXT, hostile_project, model_of

from stratlang.backends.base import Options
from stratlang.backends.dot import render_image

SVG = "{http://www.w3.org/2000/svg}"

if shutil.which("dot") is None:  # the set-up installs it (apt-get install graphviz fonts-noto-cjk)
    raise RuntimeError(
        "Graphviz `dot` is required by these tests: apt-get install graphviz fonts-noto-cjk"
    )


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def nodes(svg: bytes) -> list[dict]:
    """Every visible node: its texts (in order), its box (min/max x, y) and font families."""
    root = ET.fromstring(svg)
    out = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") != "node":
            continue
        texts = [t.text or "" for t in g.iter(f"{SVG}text")]
        pts = []
        for el in g:
            if el.tag in (f"{SVG}path", f"{SVG}polygon"):
                data = el.get("d") or el.get("points") or ""
                pts += [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", data)]
        if not texts:
            continue
        box = (
            (
                min(p[0] for p in pts),
                min(p[1] for p in pts),
                max(p[0] for p in pts),
                max(p[1] for p in pts),
            )
            if pts
            else None
        )
        fonts = {t.get("font-family") for t in g.iter(f"{SVG}text")}
        out.append(
            {"title": g.find(f"{SVG}title").text, "texts": texts, "box": box, "fonts": fonts}
        )
    return out


def objective_nodes(svg: bytes, model) -> dict[str, dict]:
    """objective id -> node (the first text of an objective box is its id)."""
    found = {}
    for n in nodes(svg):
        if n["texts"] and n["texts"][0] in model.objectives and n["box"] is not None:
            found[n["texts"][0]] = n
    return found


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_strategy_svg_labels_and_band_order(name):
    model = model_of(ENTRIES[name])
    svg = render_image(model, "strategy", "svg", Options(show_targets=True))
    found = objective_nodes(svg, model)
    assert set(found) == set(model.objectives)
    for oid, o in model.objectives.items():
        assert squash(o.label) in squash("".join(found[oid]["texts"])), oid
        for t in o.targets:
            assert squash(t.label or t.id) in squash("".join(found[oid]["texts"]))
        assert found[oid]["fonts"] == {"Noto Sans CJK SC"}
    index = model.perspective_index
    for a in model.objectives.values():
        for b in model.objectives.values():
            if index[a.perspective] < index[b.perspective]:
                # a higher perspective: strictly above (smaller y) in SVG coordinates
                assert found[a.id]["box"][3] < found[b.id]["box"][1], (a.id, b.id)
    # band labels are shown, and sit left of their band's objectives
    headers = {squash("".join(n["texts"])): n for n in nodes(svg)}
    for p in model.perspectives:
        head = headers[squash(p.label)]
        for o in model.objectives.values():
            if o.perspective == p.id:
                assert head["box"][2] < found[o.id]["box"][0], (p.id, o.id)
    # the title and the legend
    all_text = squash("".join(t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")))
    assert squash(model.strategy.label) in all_text
    for t in model.themes.values():
        assert squash(t.label) in all_text
    for link in model.links:
        if link.label:
            assert squash(link.label) in all_text
    # one drawn edge per link
    edges = [
        g
        for g in ET.fromstring(svg).iter(f"{SVG}g")
        if g.get("class") == "edge" and g.find(f"{SVG}path") is not None
    ]  # invisible layout edges are not drawn
    assert len(edges) == len(model.links)


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_playbook_svg_one_row_per_play(name):
    model = model_of(ENTRIES[name])
    svg = render_image(model, "playbook", "svg", Options())
    root = ET.fromstring(svg)
    clusters = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert len(clusters) == len(model.plays)
    tops = []
    for c, p in zip(clusters, model.plays.values()):
        label = squash("".join(t.text or "" for t in c.iter(f"{SVG}text")))
        assert squash(p.label) in label
        poly = c.find(f"{SVG}path") if c.find(f"{SVG}path") is not None else c.find(f"{SVG}polygon")
        ys = [
            float(y)
            for _, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", poly.get("d") or poly.get("points"))
        ]
        tops.append((min(ys), max(ys)))
    for (t1, b1), (t2, b2) in zip(tops, tops[1:]):
        assert b1 < t2  # declared order, top to bottom, no overlap
    all_text = squash("".join(t.text or "" for t in root.iter(f"{SVG}text")))
    for p in model.plays.values():
        for s in p.steps:
            assert squash(model.channels[s.channel].label) in all_text
            assert squash(model.scripts[s.script].label) in all_text
        for oid in p.supports:
            assert squash(model.objectives[oid].label) in all_text
        assert squash(model.segments[p.segment].label) in all_text


def test_hostile_labels_do_not_inject_into_svg(tmp_path):
    model = model_of(hostile_project(tmp_path))
    for view in ("strategy", "playbook"):
        svg = render_image(model, view, "svg", Options(show_targets=True))
        root = ET.fromstring(svg)  # well-formed XML
        tags = {el.tag.replace(SVG, "") for el in root.iter()}
        assert tags <= {"svg", "g", "title", "text", "path", "polygon", "polyline", "ellipse"}, tags
        assert not any(k.startswith("on") for el in root.iter() for k in el.attrib)
        joined = squash("".join(t.text or "" for t in root.iter(f"{SVG}text")))
        assert squash(HOSTILE_TEXT) in joined, view
        if view == "strategy":
            assert "lineone" in joined and "linetwo" in joined


def test_svg_is_byte_identical_and_has_no_timestamps():
    model = model_of(ENTRIES["bank_wealth"])
    for view in ("strategy", "playbook"):
        a = render_image(model, view, "svg")
        b = render_image(model_of(ENTRIES["bank_wealth"]), view, "svg")
        assert a == b
        assert not re.search(rb"20\d\d-\d\d-\d\dT\d\d:", a)


def test_custom_perspectives_svg(project):
    res = project(
        BASE
        + """
perspectives {
  value "Value"
  satisfaction "Satisfaction"
  interaction "Interaction"
  knowledge "Knowledge"
}
objective K1 "know" { perspective knowledge }
objective I1 "interact" { perspective interaction }
objective S1 "satisfy" { perspective satisfaction }
objective S2 "satisfy more" { perspective satisfaction }
objective V1 "value" { perspective value }
K1 -> I1 -> S1 -> V1
K1 -> S2
S2 -> V1
"""
    )
    svg = render_image(res.model, "strategy", "svg")
    found = objective_nodes(svg, res.model)
    y = {k: (v["box"][1] + v["box"][3]) / 2 for k, v in found.items()}
    assert y["V1"] < y["S1"] < y["I1"] < y["K1"]
    assert y["S2"] < y["I1"]
    headers = {squash("".join(n["texts"])): (n["box"][1] + n["box"][3]) / 2 for n in nodes(svg)}
    assert (
        headers["Value"] < headers["Satisfaction"] < headers["Interaction"] < headers["Knowledge"]
    )


def test_wide_perspective_svg_width_is_bounded(project):
    objs = "\n".join(
        f'objective C{i} "Customer objective number {i}" {{ perspective customer }}'
        for i in range(30)
    )
    res = project(BASE + objs + '\nobjective F1 "Top" { perspective financial }\n')
    svg = render_image(res.model, "strategy", "svg")
    width = float(re.search(rb'<svg width="([\d.]+)pt"', svg).group(1))
    assert width < 1600, width
    found = objective_nodes(svg, res.model)
    rows = {round(v["box"][1]) for k, v in found.items() if k.startswith("C")}
    assert len(rows) == 5
    assert all(found["F1"]["box"][3] < v["box"][1] for k, v in found.items() if k.startswith("C"))


def test_large_map_lays_out_quickly_and_keeps_bands(project):
    import time

    persp = ["financial", "customer", "process", "learning"]
    decl, links = [], []
    for i in range(140):
        p = persp[min(i // 35, 3)]
        decl.append(f'objective O{i} "Objective {i}" {{ perspective {p} }}')
        if i >= 35:
            links.append(f"O{i} -> O{(i * 7) % 35 + 35 * (min(i // 35, 3) - 1)}")
    res = project(BASE + "\n".join(decl + links) + "\n")
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"]
    t0 = time.perf_counter()
    svg = render_image(res.model, "strategy", "svg")
    assert time.perf_counter() - t0 < 60
    found = objective_nodes(svg, res.model)
    assert len(found) == 140
    idx = res.model.perspective_index
    lowest_of = {}
    for oid, n in found.items():
        band = idx[res.model.objectives[oid].perspective]
        lo, hi = lowest_of.get(band, (1e18, -1e18))
        lowest_of[band] = (min(lo, n["box"][1]), max(hi, n["box"][3]))
    for b in range(3):
        assert lowest_of[b][1] < lowest_of[b + 1][0]
    width = float(re.search(rb'<svg width="([\d.]+)pt"', svg).group(1))
    assert width < 1600, width


def test_png_and_pdf_are_reproducible(monkeypatch):
    model = model_of(ENTRIES["spec_example"])
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = render_image(model, "strategy", "pdf")
    assert a.startswith(b"%PDF") and b"/CreationDate (D:19700101000000" in a
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    b = render_image(model, "strategy", "pdf")
    assert b"/CreationDate (D:20260101000000" in b and len(a) == len(b)
    assert render_image(model, "strategy", "pdf") == b
    png = render_image(model, "playbook", "png")
    assert png.startswith(b"\x89PNG") and png == render_image(model, "playbook", "png")


def test_band_header_stays_left_of_a_lone_objective_with_links(tmp_path):
    # found by looking at a rendered map: with cluster re-crossing on, L1 ended left of its header
    text = """strategy "Wide" { owner "Ops"  period 2026-01-01 .. 2026-12-31  locale en }
theme a "Alpha" { color "#edc948" }
theme b "Beta"
"""
    text += "\n".join(
        f'objective C{i} "Customer objective number {i}" {{ perspective customer '
        f"theme {'a' if i % 2 else 'b'} }}"
        for i in range(30)
    )
    text += (
        """
objective F1 "Top outcome" { perspective financial }
objective L1 "People" { perspective learning }
"""
        + "\n".join(f"C{i} -> F1" for i in range(0, 30, 5))
        + '\nL1 -> C3\nF1 -> L1 "backwards"\n'
    )
    (tmp_path / "main.strat").write_text(text, encoding="utf-8")
    model = model_of(tmp_path / "main.strat")
    svg = render_image(model, "strategy", "svg")
    found = objective_nodes(svg, model)
    headers = {squash("".join(n["texts"])): n for n in nodes(svg)}
    for p in model.perspectives:
        for o in model.objectives.values():
            if o.perspective == p.id:
                assert headers[squash(p.label)]["box"][2] < found[o.id]["box"][0], o.id
