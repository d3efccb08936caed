"""Maps in the printed playbook: page-sized tiles at a readable scale (map_pages.py), and the
smallest text size in the printed PDF (issue 15)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from test_map_layout import MAPS, model_of

from stratlang.backends.base import Options
from stratlang.backends.dot import render_image
from stratlang.backends.html import inline_svg
from stratlang.backends.map_pages import (
    MIN_PT,
    NEXT_PAGE_H,
    PAGE_H,
    PAGE_W,
    layout_of,
    map_tiles,
    svg_tiles,
)

STRATLANG = str(Path(sys.executable).parent / "stratlang")


@pytest.mark.parametrize("name", ["bank_wealth", "manufacturer", "telecom_winback"])
@pytest.mark.parametrize("view", ["strategy", "playbook", "lifecycle"])
def test_tiles_cover_the_map_fit_the_page_and_keep_text_readable(name, view):
    svg = render_image(model_of(MAPS[name]), view, "svg", Options()).decode()
    width, height, smallest, _, _ = layout_of(svg)
    scale, tiles = map_tiles(svg)
    assert smallest * scale >= MIN_PT - 1e-9  # the smallest text, printed
    assert scale <= 1.0
    # the tiles cover the map exactly, row by row
    assert min(t[0] for t in tiles) == 0 and max(t[2] for t in tiles) == pytest.approx(width)
    assert min(t[1] for t in tiles) == 0 and max(t[3] for t in tiles) == pytest.approx(height)
    area = sum((t[2] - t[0]) * (t[3] - t[1]) for t in tiles)
    assert area == pytest.approx(width * height)
    for i, (x0, y0, x1, y1) in enumerate(tiles):
        assert (x1 - x0) * scale <= PAGE_W + 1e-6
        room = PAGE_H if y0 == 0 else NEXT_PAGE_H
        assert (y1 - y0) * scale <= room + 1e-6, (i, y1 - y0)


def test_strategy_maps_are_cut_between_bands():
    """The 22-objective map is too tall for one landscape page at a readable scale: it is cut
    where one band ends and the next begins, never across an objective."""
    svg = render_image(model_of(MAPS["manufacturer"]), "strategy", "svg", Options()).decode()
    _, _, _, clusters, nodes = layout_of(svg)
    scale, tiles = map_tiles(svg)
    assert len(tiles) == 2
    cut = tiles[0][3]
    assert not any(y0 < cut < y1 for _, y0, _, y1 in clusters + nodes)


def test_a_small_map_is_one_tile_at_its_natural_size_or_less():
    svg = render_image(model_of(MAPS["spec_example"]), "strategy", "svg", Options()).decode()
    scale, tiles = map_tiles(svg)
    assert len(tiles) == 1 and scale <= 1.0
    html = str(svg_tiles(svg, inline_svg, "sm"))
    assert html.count("<svg") == 1 and 'class="map"' in html and "tile" not in html


def test_tiles_are_separate_svgs_with_their_own_ids_and_viewboxes():
    svg = render_image(model_of(MAPS["manufacturer"]), "strategy", "svg", Options()).decode()
    html = str(svg_tiles(svg, inline_svg, "sm"))
    assert html.count("<svg") == 2
    assert 'id="sm1-graph0"' in html and 'id="sm2-graph0"' in html
    assert 'data-tile="1/2"' in html and 'data-tile="2/2"' in html
    _, tiles = map_tiles(svg)
    for x0, y0, x1, y1 in tiles:
        assert f'viewBox="{x0:.2f} {y0:.2f} {x1 - x0:.2f} {y1 - y0:.2f}"' in html


def _smallest_text(pdf: bytes) -> tuple[float, int]:
    """(smallest rendered character size in points, landscape pages) of a PDF: pdfminer gives
    each character's size through the text matrix and the CTM (so an SVG scaled down is seen
    scaled down)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    def chars(o):
        if isinstance(o, LTChar):
            yield o
        elif hasattr(o, "__iter__"):
            for c in o:
                yield from chars(c)

    smallest, landscape = 1e9, 0
    for page in extract_pages(io.BytesIO(pdf)):
        landscape += page.width > page.height
        for c in chars(page):
            if c.get_text().strip():
                smallest = min(smallest, c.size)
    return smallest, landscape


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bank_wealth", "manufacturer"])
def test_printed_playbook_text_is_at_least_6_pt(name, tmp_path):
    """The playbook's --pdf path (WeasyPrint): maps on their landscape pages, no text under
    6 pt anywhere in the PDF."""
    out = tmp_path / "playbook.html"
    proc = subprocess.run(
        [STRATLANG, "playbook", str(MAPS[name]), "-o", str(out), "--pdf"],
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    smallest, landscape = _smallest_text(out.with_suffix(".pdf").read_bytes())
    assert smallest >= 6.0 - 0.01, smallest
    assert landscape >= 3  # the strategy map (two tiles for these two), the others
