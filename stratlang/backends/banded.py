"""The strategy map's bands drawn after the layout (two Graphviz runs).

`dot` keeps the bends of an edge (its virtual nodes) out of every cluster the edge does not
belong to, so with one cluster per band a link that skips a band loops around the band-header
column and its label floats far from it. The strategy map is therefore laid out with its bands
as plain subgraphs (`dot -Tdot` and `-Tjson` in one run), the band boxes are computed from the
positions of their nodes (all bands as wide as the widest and the link labels beside them, each
reaching halfway to the next), added as clusters with a fixed `bb`, and the result is drawn
without a new layout by `neato -n2`. The DOT text written by `stratlang map` keeps the clusters, so it still draws
bands when piped into `dot` alone.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

MARK = "// stratlang: band boxes after layout"
BAND = re.compile(r"subgraph cluster_(band\d+) \{")
MARGIN = 14.0  # points between a band's nodes and its box
GAP = 6.0  # points between two band boxes


def render_banded(dot_text: str, fmt: str, run: Callable[[list[str], str], bytes]) -> bytes:
    """Lay out `dot_text` (a strategy map with MARK) and draw it in `fmt` with its band boxes.
    `run(args, text)` runs one Graphviz command and returns its output (dot.py's runner)."""
    from .dot import MissingGraphviz, dot_executable

    neato = shutil.which("neato")
    if neato is None:
        raise MissingGraphviz()
    plain = BAND.sub(lambda mt: f"subgraph {mt.group(1)} {{", dot_text)
    with tempfile.TemporaryDirectory(prefix="stratlang-map-") as tmp:
        laid, positions = Path(tmp, "laid.dot"), Path(tmp, "laid.json")
        run([dot_executable(), "-Tdot", "-o", str(laid), "-Tjson", "-o", str(positions)], plain)
        laid_text = laid.read_text(encoding="utf-8")
        graph = json.loads(positions.read_text(encoding="utf-8"))
    boxes = band_boxes(graph)
    if not boxes:
        return run([neato, "-n2", f"-T{fmt}", *_dpi(fmt)], laid_text)
    clusters = []
    for name, (x0, y0, x1, y1), attrs in boxes:
        style = ", ".join(f'{k}="{v}"' for k, v in attrs.items())
        clusters.append(
            f'  subgraph cluster_{name} {{ graph [bb="{x0:.2f},{y0:.2f},{x1:.2f},{y1:.2f}", '
            f'label="", {style}]; }}'
        )
    # the graph's bounding box grows to hold the boxes
    gx0, gy0, gx1, gy1 = (float(v) for v in str(graph.get("bb", "0,0,0,0")).split(","))
    gx0 = min([gx0] + [b[0] for _, b, _ in boxes])
    gy0 = min([gy0] + [b[1] for _, b, _ in boxes])
    gx1 = max([gx1] + [b[2] for _, b, _ in boxes])
    gy1 = max([gy1] + [b[3] for _, b, _ in boxes])
    laid_text = re.sub(
        r'\bbb="[^"]*"', f'bb="{gx0:.2f},{gy0:.2f},{gx1:.2f},{gy1:.2f}"', laid_text, count=1
    )
    end = laid_text.rstrip().rfind("}")
    final = laid_text[:end] + "\n".join(clusters) + "\n}\n"
    return run([neato, "-n2", f"-T{fmt}", *_dpi(fmt)], final)


def _dpi(fmt: str) -> list[str]:
    return ["-Gdpi=144"] if fmt == "png" else []


def band_boxes(
    graph: dict,
) -> list[tuple[str, tuple[float, float, float, float], dict[str, str]]]:
    """(band name, (x0, y0, x1, y1) in points, its style attributes) for each band subgraph of
    a `dot -Tjson` layout, top to bottom."""
    objects = graph.get("objects", [])
    found = []
    for sub in objects:
        name = sub.get("name", "")
        if not re.fullmatch(r"band\d+", name) or not sub.get("nodes"):
            continue
        xs0, ys0, xs1, ys1 = [], [], [], []
        for gvid in sub["nodes"]:
            node = objects[gvid]
            if "pos" not in node:
                continue
            x, y = (float(v) for v in node["pos"].split(","))
            w, h = float(node.get("width", 0)) * 36, float(node.get("height", 0)) * 36
            xs0.append(x - w)
            xs1.append(x + w)
            ys0.append(y - h)
            ys1.append(y + h)
        if not xs0:
            continue
        attrs = {
            k: str(sub[k]) for k in ("style", "fillcolor", "color", "penwidth", "id") if k in sub
        }
        found.append((name, [min(xs0), min(ys0), max(xs1), max(ys1)], attrs))
    if not found:
        return []
    found.sort(key=lambda b: -b[1][3])  # top first (y grows upward in Graphviz)
    # as wide as the widest band, and wide enough for the link labels beside them
    xs = [x for x0, x1 in _label_spans(graph) for x in (x0, x1)]
    left = min([b[1][0] for b in found] + xs) - MARGIN
    right = max([b[1][2] for b in found] + xs) + MARGIN
    out = []
    ceiling = math.inf  # the top band stays under the map's title
    if "lp" in graph and "lheight" in graph:
        ceiling = float(str(graph["lp"]).split(",")[1]) - float(graph["lheight"]) * 36 - GAP
    for i, (name, (_, y0, _, y1), attrs) in enumerate(found):
        top, bottom = min(y1 + MARGIN, max(ceiling, y1 + 2)), y0 - MARGIN
        if i > 0:  # halfway to the band above
            top = (y1 + found[i - 1][1][1]) / 2 - GAP / 2
        if i + 1 < len(found):
            bottom = (y0 + found[i + 1][1][3]) / 2 + GAP / 2
        out.append((name, (left, bottom, right, top), attrs))
    return out


def _label_spans(graph: dict) -> list[tuple[float, float]]:
    """(left, right) of every edge label, from its drawing operations (`_ldraw_`)."""
    spans = []
    for edge in graph.get("edges", []):
        xs: list[float] = []
        for op in edge.get("_ldraw_", []):
            if op.get("op") in ("P", "p", "L", "b", "B"):
                xs += [float(pt[0]) for pt in op.get("points", [])]
            elif op.get("op") == "T":
                x, w = float(op["pt"][0]), float(op.get("width", 0))
                align = op.get("align", "c")
                x0 = x - w / 2 if align == "c" else (x - w if align == "r" else x)
                xs += [x0, x0 + w]
        if xs:
            spans.append((min(xs), max(xs)))
    return spans
