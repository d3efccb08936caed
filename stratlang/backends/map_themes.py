"""The looks of a map (`stratlang map --theme light|print|dark`): one table of colours per theme.

    theme = THEMES["dark"]
    theme.background, theme.ink, theme.palette, …

A theme is data: each field names a role (the page, its text, the bands, the link labels, the
playbook's kinds of box), never an `if theme == …` in the drawing code. `light` is the look the
maps always had; `print` is black and grey on white with no fills and thicker lines; `dark` is
light text on a dark page, every text colour at least 4.5:1 against what it is drawn on (WCAG AA,
tested). The strategic themes' colours (`theme t { color … }`) are kept in light and dark; print
draws every objective white (docs/maps.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# colour-blind-safe palette for strategic themes without a `color`
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


@dataclass(frozen=True)
class BoxStyle:
    """One kind of box on the playbook map: its fill, border and the colour of its caption."""

    fill: str
    border: str
    caption: str


@dataclass(frozen=True)
class MapTheme:
    name: str
    background: str
    ink: str  # the title and any text without a colour of its own
    muted: str  # subtitles, captions, links and their labels
    statement: str  # the mission and vision under the title
    band_fills: tuple[str, str]  # alternate bands (and plays on the playbook map)
    band_border: str
    header_fill: str  # the perspective names in the left column
    header_border: str
    header_text: str
    rule: str  # the line under a kind's heading
    vp_fill: str  # the value proposition strip
    vp_border: str
    vp_caption: str
    vp_words: str
    downward: str  # a link that runs down the map (dashed)
    label_fill: str  # behind a link's label
    feedback: str  # feedback links (dashed)
    no_theme_fill: str
    theme_colors: bool  # objectives filled with their strategic theme's colour (else no_theme_fill)
    node_border: str | None  # None: the fill, darkened
    line_width: float  # nodes and links
    band_width: float
    segment: BoxStyle
    trigger: BoxStyle
    offer: BoxStyle
    step: BoxStyle


LIGHT = MapTheme(
    name="light",
    background="#ffffff",
    ink="#1a202c",
    muted="#4a5568",
    statement="#2d3748",
    band_fills=("#f7fafc", "#edf2f7"),
    band_border="#cbd5e0",
    header_fill="#2d3748",
    header_border="#2d3748",
    header_text="#ffffff",
    rule="#a0aec0",
    vp_fill="#ebf8ff",
    vp_border="#90cdf4",
    vp_caption="#2c5282",
    vp_words="#1a365d",
    downward="#c53030",
    label_fill="#ffffff",
    feedback="#6b46c1",
    no_theme_fill="#e2e8f0",
    theme_colors=True,
    node_border=None,
    line_width=1.2,
    band_width=1.0,
    segment=BoxStyle("#ebf8ff", "#3182ce", "#2b6cb0"),
    trigger=BoxStyle("#fffaf0", "#dd6b20", "#c05621"),
    offer=BoxStyle("#f0fff4", "#38a169", "#2f855a"),
    step=BoxStyle("#faf5ff", "#805ad5", "#6b46c1"),
)

_PRINT_BOX = BoxStyle("#ffffff", "#000000", "#404040")
PRINT = replace(
    LIGHT,
    name="print",
    ink="#000000",
    muted="#404040",
    statement="#000000",
    band_fills=("#ffffff", "#ffffff"),
    band_border="#808080",
    header_fill="#ffffff",
    header_border="#000000",
    header_text="#000000",
    rule="#808080",
    vp_fill="#ffffff",
    vp_border="#000000",
    vp_caption="#404040",
    vp_words="#000000",
    downward="#000000",
    feedback="#404040",
    no_theme_fill="#ffffff",
    theme_colors=False,
    node_border="#000000",
    line_width=2.0,
    band_width=1.5,
    segment=_PRINT_BOX,
    trigger=_PRINT_BOX,
    offer=_PRINT_BOX,
    step=_PRINT_BOX,
)

DARK = replace(
    LIGHT,
    name="dark",
    background="#1a202c",
    ink="#f7fafc",
    muted="#cbd5e0",
    statement="#e2e8f0",
    band_fills=("#2d3748", "#283141"),
    band_border="#4a5568",
    header_fill="#4a5568",
    header_border="#718096",
    header_text="#ffffff",
    rule="#718096",
    vp_fill="#1e3a5f",
    vp_border="#2c5282",
    vp_caption="#bee3f8",
    vp_words="#ebf8ff",
    downward="#fc8181",
    label_fill="#1a202c",
    feedback="#b794f4",
    no_theme_fill="#4a5568",
    segment=BoxStyle("#1e3a5f", "#63b3ed", "#90cdf4"),
    trigger=BoxStyle("#3d2c14", "#ed8936", "#fbd38d"),
    offer=BoxStyle("#1c4532", "#48bb78", "#9ae6b4"),
    step=BoxStyle("#322659", "#9f7aea", "#d6bcfa"),
)

THEMES: dict[str, MapTheme] = {t.name: t for t in (LIGHT, PRINT, DARK)}
THEME_NAMES = tuple(THEMES)


def theme_named(name: str | None) -> MapTheme:
    """The theme called `name` (None: light); ValueError for an unknown name."""
    if name is None:
        return LIGHT
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(
            f"unknown map theme {name!r} (expected one of {', '.join(THEME_NAMES)})"
        ) from None
