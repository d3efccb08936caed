"""The strategy map's structure, measured on the SVG Graphviz draws: objectives in declared
order, kinds grouped under small headings, the value proposition in the customer band, the
mission and vision in the header, and links that skip bands drawn through the band area with
their labels on them (issue 15)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import BASE, ROOT
from test_maps import ENTRIES, model_of

from stratlang import words as w
from stratlang.backends.base import Options
from stratlang.backends.dot import render_dot, render_image

SVG = "{http://www.w3.org/2000/svg}"
MANUFACTURER = ROOT / "tests" / "data" / "manufacturer" / "main.strat"
MAPS = {**ENTRIES, "manufacturer": MANUFACTURER}
HEADER_FILL = "#2d3748"  # the band headers of the left column


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


def _box(points: list[float]) -> tuple[float, float, float, float]:
    return min(points[0::2]), min(points[1::2]), max(points[0::2]), max(points[1::2])


def _shape_points(g: ET.Element) -> list[float]:
    pts: list[float] = []
    for el in g:
        if el.tag in (f"{SVG}path", f"{SVG}polygon"):
            pts += _numbers(el.get("d") or el.get("points") or "")
    return pts


def _curve(d: str) -> list[tuple[float, float]]:
    """Points along a Graphviz edge path (a chain of cubic Béziers)."""
    v = _numbers(d)
    pts = list(zip(v[0::2], v[1::2]))
    out = []
    for i in range(0, len(pts) - 3, 3):
        p0, p1, p2, p3 = pts[i : i + 4]
        for k in range(21):
            t = k / 20
            c = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3)
            out.append(
                (
                    c[0] * p0[0] + c[1] * p1[0] + c[2] * p2[0] + c[3] * p3[0],
                    c[0] * p0[1] + c[1] * p1[1] + c[2] * p2[1] + c[3] * p3[1],
                )
            )
    return out


class Drawn:
    """What the SVG of a strategy map shows: objective boxes by id, band boxes top to bottom,
    header boxes, free texts (headings, the strip) and edges."""

    def __init__(self, svg: bytes, model) -> None:
        root = ET.fromstring(svg)
        self.objectives: dict[str, tuple[float, float, float, float]] = {}
        self.headers: list[tuple[float, float, float, float]] = []
        self.texts: list[tuple[str, float, float]] = []  # text, x, y of every node text
        self.bands: list[tuple[float, float, float, float]] = []
        self.edges: list[ET.Element] = []
        for g in root.iter(f"{SVG}g"):
            cls = g.get("class") or ""
            if cls == "cluster" and (g.findtext(f"{SVG}title") or "").startswith("cluster_band"):
                self.bands.append(_box(_shape_points(g)))
            elif cls == "edge":
                self.edges.append(g)
            elif cls.split()[:1] == ["node"]:
                texts = [t.text or "" for t in g.iter(f"{SVG}text")]
                for t in g.iter(f"{SVG}text"):
                    self.texts.append((t.text or "", float(t.get("x", 0)), float(t.get("y", 0))))
                pts = _shape_points(g)
                if texts and texts[0] in model.objectives and pts:
                    self.objectives[texts[0]] = _box(pts)
                fills = {el.get("fill") for el in g}
                if HEADER_FILL in fills and pts:
                    self.headers.append(_box(pts))
        self.bands.sort(key=lambda b: b[1])

    def centre(self, oid: str) -> tuple[float, float]:
        x0, y0, x1, y1 = self.objectives[oid]
        return (x0 + x1) / 2, (y0 + y1) / 2

    def text_at(self, text: str) -> list[tuple[float, float]]:
        return [(x, y) for t, x, y in self.texts if t.strip() == text]


def drawn(name: str, **options) -> tuple[Drawn, object]:
    model = model_of(MAPS[name])
    return Drawn(render_image(model, "strategy", "svg", Options(**options)), model), model


def rows_of(d: Drawn, ids: list[str]) -> list[list[str]]:
    """Objectives grouped by row (same vertical centre), each row left to right."""
    rows: dict[int, list[str]] = {}
    for oid in ids:
        rows.setdefault(round(d.centre(oid)[1]), []).append(oid)
    return [sorted(r, key=lambda o: d.centre(o)[0]) for _, r in sorted(rows.items())]


@pytest.mark.parametrize("name", sorted(MAPS))
def test_objectives_keep_declared_order_and_their_band(name):
    d, model = drawn(name)
    assert len(d.bands) == len(
        {o.perspective for o in model.objectives.values()} | {p.id for p in model.perspectives}
    )
    idx = model.perspective_index
    for pid, band in zip(sorted(idx, key=idx.get), d.bands):
        ids = [o.id for o in model.objectives.values() if o.perspective == pid]
        for oid in ids:  # inside its band's box
            x0, y0, x1, y1 = d.objectives[oid]
            assert band[0] <= x0 and x1 <= band[2] and band[1] <= y0 and y1 <= band[3], oid
        # read row by row, left to right, each kind's objectives come in declared order
        order = [o for row in rows_of(d, ids) for o in row]
        for kind in {model.objectives[o].kind for o in ids}:
            declared = [o for o in ids if model.objectives[o].kind == kind]
            assert [o for o in order if model.objectives[o].kind == kind] == declared, (pid, kind)
        # and the kinds' columns run left to right in the order of their first objective
        kinds = list(dict.fromkeys(model.objectives[o].kind for o in ids))
        lefts = [min(d.centre(o)[0] for o in ids if model.objectives[o].kind == k) for k in kinds]
        assert lefts == sorted(lefts), (pid, kinds)


def test_the_manufacturer_process_band_reads_as_the_template():
    """I1..I9 in four kind columns: operations (I1-I3), customer management (I4, I5),
    innovation (I6, I7), regulatory and social (I8, I9), each stacked top to bottom."""
    d, model = drawn("manufacturer")
    columns = [["I1", "I2", "I3"], ["I4", "I5"], ["I6", "I7"], ["I8", "I9"]]
    for col in columns:
        xs = [d.centre(o)[0] for o in col]
        ys = [d.centre(o)[1] for o in col]
        assert max(xs) - min(xs) < 20, col  # one column
        assert ys == sorted(ys), col  # declared order, top to bottom
    lefts = [d.centre(col[0])[0] for col in columns]
    assert lefts == sorted(lefts)
    assert [d.centre(c[0])[1] for c in columns] == [d.centre("I1")[1]] * 4  # one first row


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kind_headings_stand_over_their_objectives(lang):
    d, model = drawn("manufacturer", lang=lang)
    for kind in {o.kind for o in model.objectives.values() if o.kind}:
        heading = w.t(f"kind_{kind}", lang)
        assert heading != f"kind_{kind}"
        where = d.text_at(heading)
        assert len(where) == 1, (kind, where)
        hx, hy = where[0]
        for o in model.objectives.values():
            if o.kind == kind:
                x0, y0, x1, _ = d.objectives[o.id]
                assert hy < y0, (kind, o.id)  # above
                assert x0 - 120 <= hx <= x1 + 120, (kind, o.id)  # over its columns
    # objectives without a kind: no heading (the financial band has none)
    texts = {t for t, _, _ in d.texts}
    assert not any(t.startswith("kind_") for t in texts)


def test_objectives_without_a_kind_get_no_heading(project):
    res = project(
        BASE
        + """
perspectives { financial "Financial"  customer "Customer" }
objective F1 "Grow revenue" { perspective financial }
objective C1 "Loyal customers" { perspective customer  kind relationship }
objective C2 "Other aim" { perspective customer }
C1 -> F1
C2 -> F1
"""
    )
    model = res.model
    text = render_dot(model, "strategy", Options(lang="en"))
    assert text.count("Relationship") == 1
    for other in ("Operations management", "Product/service attributes", "Image"):
        assert other not in text
    d = Drawn(render_image(model, "strategy", "svg", Options(lang="en")), model)
    assert d.centre("C1")[0] < d.centre("C2")[0]  # declared order kept across the groups


@pytest.mark.parametrize(("name", "lang"), [("manufacturer", "zh"), ("bank_wealth", "en")])
def test_value_proposition_strip_in_the_customer_band_and_statement_in_the_header(name, lang):
    d, model = drawn(name, lang=lang)
    vp = model.strategy.value_proposition
    words = w.t(vp, lang)
    words = words[:1].upper() + words[1:]
    where = d.text_at(words)
    assert len(where) == 1, words
    x, y = where[0]
    customer = d.bands[model.perspective_index["customer"]]
    assert customer[0] <= x <= customer[2] and customer[1] <= y <= customer[3]
    customer_ids = [o.id for o in model.objectives.values() if o.perspective == "customer"]
    assert all(y < d.objectives[o][1] for o in customer_ids)  # a strip over the objectives
    # mission and vision: in the header, above the first band
    svg = render_image(model, "strategy", "svg", Options(lang=lang)).decode()
    root = ET.fromstring(svg)
    header = [t for t in root.iter(f"{SVG}text") if float(t.get("y", 0)) < d.bands[0][1]]
    joined = "".join(t.text or "" for t in header).replace(" ", "")
    for text in (model.strategy.mission, model.strategy.vision):
        assert text.replace(" ", "") in joined


@pytest.mark.parametrize("name", sorted(MAPS))
def test_links_stay_in_the_band_area_with_their_labels(name):
    """No link runs left of the band-header column (before issue 15 the links that skip a band
    looped around it: the bank map's leftmost link at x=0 with its headers ending at x=290), and
    every link label's box lies within 15 pt of its own link and inside the bands' width."""
    d, model = drawn(name)
    header_right = max(b[2] for b in d.headers)
    labelled = 0
    for g in d.edges:
        path = g.find(f"{SVG}path")
        if path is None:
            continue
        curve = _curve(path.get("d", ""))
        assert min(x for x, _ in curve) > header_right, g.findtext(f"{SVG}title")
        for bg in g.iter(f"{SVG}polygon"):
            if bg.get("fill") != "#ffffff":
                continue
            x0, y0, x1, y1 = _box(_numbers(bg.get("points", "")))
            gap = min(
                math.hypot(max(x0 - px, 0, px - x1), max(y0 - py, 0, py - y1)) for px, py in curve
            )
            assert gap <= 15, (g.findtext(f"{SVG}title"), gap)
            # and inside the bands' width (the boxes grow to hold the labels beside them)
            assert min(b[0] for b in d.bands) <= x0 and x1 <= max(b[2] for b in d.bands)
            labelled += 1
    assert labelled == sum(1 for link in model.links if link.label)


def test_dot_text_keeps_band_clusters_for_plain_dot():
    """`stratlang map` prints DOT with one cluster per band, so `| dot -Tsvg` still draws the
    bands; the map stratlang draws itself places them after the layout (banded.py)."""
    model = model_of(MANUFACTURER)
    text = render_dot(model, "strategy", Options())
    assert text.count("subgraph cluster_band") == 4
    assert "// stratlang: band boxes after layout" in text
