"""Golden pictures: the examples' maps and the 22-objective fixture drawn to PNG and compared
with tests/golden/png/ within a tolerance, so a layout regression is seen (issue 15).

The PNGs are stored at half the size `map -o x.png` writes (72 dpi) to keep the repository
small. STRATLANG_REGEN=1 rewrites them; look at the new pictures before committing them."""

from __future__ import annotations

import io

import pytest
from conftest import EXAMPLES
from golden import GOLDEN_DIR, regenerating
from PIL import Image, ImageChops
from test_map_layout import MANUFACTURER, model_of

from stratlang.backends.base import Options
from stratlang.backends.dot import render_image

PICTURES = {
    **{
        f"{ex}.{view}": (EXAMPLES / ex / "main.strat", view)
        for ex in ("bank_wealth", "card_retention", "customer_equity", "telecom_winback")
        for view in ("strategy", "playbook")
    },
    "manufacturer.strategy": (MANUFACTURER, "strategy"),
}
CHANNEL = 48  # a pixel differs when one of its channels moves by more than this (of 255)
RATIO = 0.005  # at most this share of the pixels may differ
SIZE = 2  # the picture's width and height may move by this many pixels


def picture(entry, view: str) -> Image.Image:
    png = render_image(model_of(entry), view, "png", Options())
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    # 64 colours: a third of the file size, and the same on both sides of the comparison
    return image.quantize(64, dither=Image.Dither.NONE).convert("RGB")


def differing(a: Image.Image, b: Image.Image) -> float:
    """Share of the pixels of `a` that differ from `b` (cropped to the common size) by more
    than CHANNEL in some channel."""
    w, h = min(a.width, b.width), min(a.height, b.height)
    diff = ImageChops.difference(a.crop((0, 0, w, h)), b.crop((0, 0, w, h)))
    # a pixel differs when any of its channels does
    r, g, b = (c.point(lambda v: 255 if v > CHANNEL else 0) for c in diff.split())
    mask = ImageChops.lighter(ImageChops.lighter(r, g), b)
    return (w * h - mask.histogram()[0]) / (a.width * a.height)


FAST = {"bank_wealth.strategy", "manufacturer.strategy"}  # the others are `slow` (1-4 s each)


@pytest.mark.parametrize(
    "name", [n if n in FAST else pytest.param(n, marks=pytest.mark.slow) for n in sorted(PICTURES)]
)
def test_map_picture_matches_golden(name):
    entry, view = PICTURES[name]
    actual = picture(entry, view)
    path = GOLDEN_DIR / "png" / f"{name}.png"
    if regenerating():
        path.parent.mkdir(parents=True, exist_ok=True)
        actual.save(path, optimize=True)
        return
    assert path.exists(), f"{path} is missing; STRATLANG_REGEN=1 draws it"
    golden = Image.open(path).convert("RGB")
    assert (
        abs(actual.width - golden.width) <= SIZE and abs(actual.height - golden.height) <= SIZE
    ), (
        f"{name}: {actual.size} drawn, {golden.size} in the golden picture (STRATLANG_REGEN=1 "
        "redraws it)"
    )
    ratio = differing(actual, golden)
    assert ratio <= RATIO, f"{name}: {ratio:.2%} of the pixels differ (STRATLANG_REGEN=1 redraws)"


def test_the_comparison_sees_a_moved_layout():
    """The tolerance lets anti-aliasing through but not a layout change: the same picture with
    everything moved down by 4 pixels fails."""
    entry, view = PICTURES["bank_wealth.strategy"]
    a = picture(entry, view)
    assert differing(a, a.copy()) == 0
    moved = ImageChops.offset(a, 0, 4)
    assert differing(a, moved) > RATIO
