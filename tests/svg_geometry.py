"""Does every text run of a Graphviz SVG fit? Measured with the real font (text_metrics).

    from svg_geometry import overflows
    assert not overflows(svg_bytes)

For each `<text>` of a node, edge or cluster group: its extent is x (by `text-anchor`) to x plus
its width measured with the font file (or as a browser drew it), and from the baseline up by the font's ascent of the
glyphs (0.88 em) down by their descent (0.12 em). Its box is the smallest shape of the same group
(`polygon`, `path`, `ellipse`; bounds of their points) that holds the middle of the text; the text
must lie inside it (`TOLERANCE` points of rounding). A text with no shape around its middle (a
caption of a borderless table) has no box to leave. Two text runs of one group on one baseline
must not overlap (a title running into the words after it).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from stratlang.backends.text_metrics import text_width

NS = "{http://www.w3.org/2000/svg}"
TOLERANCE = 0.6  # points: Graphviz writes coordinates rounded to 0.5 or 0.1
ASCENT, DESCENT = 0.88, 0.12  # of CJK ideographs and Latin capitals in Noto Sans CJK, in em
_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def contains_point(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    def area(self) -> float:
        return (self.x1 - self.x0) * (self.y1 - self.y0)


@dataclass(frozen=True)
class Run:
    text: str
    box: Box  # the text's measured extent
    baseline: float
    group: str  # the group's id (node3, edge2, clust1)


def _bounds(el: ET.Element) -> Box | None:
    tag = el.tag.removeprefix(NS)
    if tag == "ellipse":
        cx, cy = float(el.get("cx", 0)), float(el.get("cy", 0))
        rx, ry = float(el.get("rx", 0)), float(el.get("ry", 0))
        return Box(cx - rx, cy - ry, cx + rx, cy + ry)
    raw = el.get("points") if tag == "polygon" else el.get("d") if tag == "path" else None
    if not raw:
        return None
    nums = [float(n) for n in _NUM.findall(raw)]
    xs, ys = nums[0::2], nums[1::2]
    if not xs or not ys:
        return None
    return Box(min(xs), min(ys), max(xs), max(ys))


def text_runs(svg: bytes, widths: list[float] | None = None) -> list[tuple[Run, list[Box]]]:
    """Every text of a node, edge or cluster with its measured extent, and its group's shapes.
    `widths`: the width of each `<text>` of the SVG in document order as a renderer drew it
    (a browser's `getComputedTextLength()`); without it, measured with the font file."""
    root = ET.fromstring(svg)
    index = {id(t): i for i, t in enumerate(root.iter(f"{NS}text"))}
    out = []
    for g in root.iter(f"{NS}g"):
        if g.get("class") not in ("node", "edge", "cluster"):
            continue
        shapes = [b for el in g if (b := _bounds(el)) is not None and b.area() > 0]
        for t in g.findall(f"{NS}text"):
            content = "".join(t.itertext())
            if not content.strip():
                continue
            size = float(t.get("font-size", "14"))
            family = t.get("font-family", "Times-Roman")
            if widths is not None:
                width = widths[index[id(t)]]
            else:
                width = text_width(content, size, family, t.get("font-weight") == "bold")
                assert width is not None, f"font {family!r} is not installed"
            x, y = float(t.get("x", 0)), float(t.get("y", 0))
            anchor = t.get("text-anchor", "start")
            x0 = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
            box = Box(x0, y - ASCENT * size, x0 + width, y + DESCENT * size)
            out.append((Run(content, box, y, g.get("id", "")), shapes))
    return out


def overflows(svg: bytes, widths: list[float] | None = None) -> list[str]:
    """What does not fit: one line per text run outside its box or over another run (`widths`:
    as for `text_runs`)."""
    problems = []
    runs = text_runs(svg, widths)
    for run, shapes in runs:
        b = run.box
        mid_x, mid_y = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
        around = [s for s in shapes if s.contains_point(mid_x, mid_y)]
        if not around:
            continue
        box = min(around, key=Box.area)
        if (
            b.x0 < box.x0 - TOLERANCE
            or b.x1 > box.x1 + TOLERANCE
            or b.y0 < box.y0 - TOLERANCE
            or b.y1 > box.y1 + TOLERANCE
        ):
            problems.append(
                f"{run.group}: {run.text!r} spans x {b.x0:.1f}..{b.x1:.1f}, y {b.y0:.1f}..{b.y1:.1f}"
                f" outside its box x {box.x0:.1f}..{box.x1:.1f}, y {box.y0:.1f}..{box.y1:.1f}"
            )
    by_line: dict[tuple[str, float], list[Run]] = {}
    for run, _ in runs:
        by_line.setdefault((run.group, round(run.baseline, 1)), []).append(run)
    for line in by_line.values():
        line.sort(key=lambda r: r.box.x0)
        for a, b2 in zip(line, line[1:]):
            if a.box.x1 > b2.box.x0 + TOLERANCE:
                problems.append(
                    f"{a.group}: {a.text!r} (to x {a.box.x1:.1f}) runs into {b2.text!r}"
                    f" (from x {b2.box.x0:.1f})"
                )
    return problems
