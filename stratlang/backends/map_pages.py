"""A map in the printed playbook: cut into page-sized tiles at a readable scale.

    scale, tiles = map_tiles(svg_text)  # tiles: [(x0, y0, x1, y1) in the SVG's units]
    svg_tiles(svg_text, inline, "sm")   # the inline <svg> elements, one per tile

A map is drawn on landscape pages (the CSS page `map`) inside PAGE_W x PAGE_H. A map that fits
there with its smallest text at MIN_PT or more is drawn whole (never above its natural size).
A larger one is drawn at the scale that fits the page width, but never below the scale that
keeps its smallest text at MIN_PT; it is then cut into tiles one page high (and, if it is wider
than the page at that scale, one page wide), each cut placed in a gap between bands, play rows
or nodes where there is one. Every tile is the same SVG with its own viewBox and size, so on
screen the tiles of a map stacked one under the other read as the whole map.
"""

from __future__ import annotations

import functools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from markupsafe import Markup

MM = 72 / 25.4  # points per millimetre
PAGE_W = 275 * MM  # the map's room on a landscape A4 page (277 mm inside its margins), in points
PAGE_H = 140 * MM  # … in height, under the chapter heading and the figure's caption
NEXT_PAGE_H = 172 * MM  # … on the pages that continue a map (no heading, no caption)
MIN_PT = 6.0  # the smallest printed text size a map may have (points)
# every tile repeats the whole SVG (only its viewBox differs): past this many the page would
# grow by the map's size for each (a 2,000-objective build wrote an 80 MB playbook), so such a
# map is drawn once, to the page's width, and its file named beside it (html.py)
MAX_TILES = 12
_PREFIX = "\x00"  # where the tile's id prefix goes (xml() keeps control characters out of text)
SVG = "{http://www.w3.org/2000/svg}"

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the viewBox's units


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def layout_of(svg: str) -> tuple[float, float, float, list[Box], list[Box]]:
    """(width, height, smallest font size, boxes of the top-level clusters, boxes of the
    nodes and free texts) of a Graphviz SVG, in viewBox units (y downward)."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox", "0 0 0 0").split())
    graph = root.find(f"{SVG}g")
    tx = ty = 0.0
    if graph is not None:
        mt = re.search(r"translate\(([-\d.]+)[ ,]+([-\d.]+)\)", graph.get("transform", ""))
        if mt:
            tx, ty = float(mt.group(1)), float(mt.group(2))
    sizes = [float(t.get("font-size", "14")) for t in root.iter(f"{SVG}text")]
    clusters: list[Box] = []
    nodes: list[Box] = []

    def box_of(el: ET.Element) -> Box | None:
        xs: list[float] = []
        ys: list[float] = []
        for shape in el.iter():
            tag = shape.tag.replace(SVG, "")
            if tag in ("polygon", "polyline"):
                pts = _numbers(shape.get("points", ""))
            elif tag == "path":
                pts = _numbers(shape.get("d", ""))
            elif tag == "text":
                x, y = float(shape.get("x", 0)), float(shape.get("y", 0))
                size = float(shape.get("font-size", "14"))
                pts = [x, y - size, x, y + size * 0.3]
            elif tag == "ellipse":
                cx, cy = float(shape.get("cx", 0)), float(shape.get("cy", 0))
                rx, ry = float(shape.get("rx", 0)), float(shape.get("ry", 0))
                pts = [cx - rx, cy - ry, cx + rx, cy + ry]
            else:
                continue
            xs += pts[0::2]
            ys += pts[1::2]
        if not xs:
            return None
        return (min(xs) + tx, min(ys) + ty, max(xs) + tx, max(ys) + ty)

    for el in graph if graph is not None else ():
        cls = el.get("class")
        tag = el.tag.replace(SVG, "")
        if cls == "cluster":
            b = box_of(el)
            if b:
                clusters.append(b)
        elif cls == "node" or tag == "text":
            b = box_of(el)
            if b:
                nodes.append(b)
    return width, height, min(sizes, default=14.0), clusters, nodes


def _gaps(boxes: list[Box], axis: int, length: float) -> list[float]:
    """Middles of the stretches along `axis` (0: x, 1: y) that no box covers."""
    spans = sorted((b[axis], b[axis + 2]) for b in boxes)
    out, reach = [], 0.0
    for lo, hi in spans:
        if lo > reach:
            out.append((reach + lo) / 2)
        reach = max(reach, hi)
    if reach < length:
        out.append((reach + length) / 2)
    return out


def _cuts(
    length: float,
    room: float,
    preferred: list[list[float]],
    next_room: float | None = None,
    even: bool = False,
) -> list[float]:
    """Cut [0, length] into pieces of at most `room` (the pieces after the first: `next_room`),
    each cut at a gap of the first list of `preferred` gaps that has one in reach, else at the
    piece's end: the farthest gap (pages filled), or with `even` the gap nearest to an even
    share of what is left (no sliver at the end)."""
    cuts, start = [0.0], 0.0
    while length - start > room:
        end = start + room
        aim = start + (length - start) / math.ceil((length - start) / room) if even else end
        cut = None
        for gaps in preferred:
            fits = [g for g in gaps if start + room * 0.3 < g <= end]
            if even:  # near the even share only
                fits = [g for g in fits if abs(g - aim) <= room * 0.2]
            if fits:
                cut = min(fits, key=lambda g: abs(g - aim))
                break
        cut = cut if cut is not None else aim
        cuts.append(cut)
        start = cut
        room = next_room or room
    cuts.append(length)
    return cuts


@functools.lru_cache(maxsize=4)  # svg_tiles and tiled ask for the same map
def map_tiles(svg: str) -> tuple[float, list[Box]]:
    """(scale from SVG points to printed points, the tiles as viewBox boxes)."""
    width, height, smallest, clusters, nodes = layout_of(svg)
    if width <= 0 or height <= 0:
        return 1.0, [(0.0, 0.0, width, height)]
    readable = MIN_PT / smallest
    whole = min(PAGE_W / width, PAGE_H / height, 1.0)
    if whole >= readable:
        return whole, [(0.0, 0.0, width, height)]
    y_gaps = [_gaps(clusters + nodes, 1, height), _gaps(nodes, 1, height)]
    x_gaps = [_gaps(nodes, 0, width)]

    def tiles_at(scale: float) -> list[Box]:
        xs = _cuts(width, PAGE_W / scale, x_gaps, even=True)
        ys = _cuts(height, PAGE_H / scale, y_gaps, NEXT_PAGE_H / scale)
        return [(x0, y0, x1, y1) for y0, y1 in zip(ys, ys[1:]) for x0, x1 in zip(xs, xs[1:])]

    # the largest scale that fits the width (not below `readable`), or a smaller one down to
    # `readable` when that saves a page (e.g. the legend alone on the last page)
    top = max(min(PAGE_W / width, 1.0), readable)
    best = top, tiles_at(top)
    for i in range(1, 11):
        scale = top - (top - readable) * i / 10
        tiles = tiles_at(scale)
        if len(tiles) < len(best[1]):
            best = scale, tiles
    return best


def tiled(svg: str) -> bool:
    """Whether `svg_tiles` cuts the map into tiles (at most MAX_TILES)."""
    return len(map_tiles(svg)[1]) <= MAX_TILES


def svg_tiles(svg: str, inline: Callable[[str, str], str], prefix: str) -> Markup:
    """The map as inline SVG tiles (see the module doc); `inline(svg, prefix)` is the page's
    sanitiser (html.inline_svg), given a distinct id prefix per tile. A map of more than
    MAX_TILES tiles: one copy, not tiled."""
    scale, tiles = map_tiles(svg)
    if len(tiles) > MAX_TILES:
        return Markup(str(inline(svg, prefix)))
    # sanitised once; each tile only puts its own prefix in (a map's size times its tiles
    # through the sanitiser's regexes took 45 s on a 2,000-objective build)
    sanitised = str(inline(svg, _PREFIX)) if len(tiles) > 1 else ""
    parts = []
    for i, (x0, y0, x1, y1) in enumerate(tiles):
        if len(tiles) == 1:
            text = str(inline(svg, prefix))
        else:
            text = sanitised.replace(_PREFIX, f"{prefix}{i + 1}")
        w, h = x1 - x0, y1 - y0
        size = f'width="{w * scale:.1f}pt" height="{h * scale:.1f}pt"'
        text = re.sub(
            r'viewBox="[^"]*"',
            f'viewBox="{x0:.2f} {y0:.2f} {w:.2f} {h:.2f}" {size}',
            text,
            count=1,
        )
        if len(tiles) > 1:
            text = text.replace('class="map"', f'class="map" data-tile="{i + 1}/{len(tiles)}"', 1)
        parts.append(text)
    return Markup("".join(parts))
