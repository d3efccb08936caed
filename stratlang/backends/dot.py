"""Strategy map and playbook map (策略图谱) as Graphviz DOT, and SVG/PNG/PDF through `dot`.

Public API (used by `stratlang map`, `stratlang build` and the HTML playbook):

    render_dot(model, view="strategy" | "playbook", options=None) -> str
    render_image(model, view, fmt="svg" | "png" | "pdf", options=None) -> bytes

Design rules (see docs/maps.md):

- Node ids are generated (`n1`, `n2`, …); user text never becomes an id.
- Every label is an HTML-like label built from fully XML-escaped text, so no quote, brace,
  backslash, `<b>`, `]]>` or `\\N` in a label can break the DOT or inject markup into the SVG.
  The only quoted strings are the font name (backslash-escaped) and colours (validated hex).
- `fontname` is set on graph, nodes and edges, so dot measures text with the font it writes.
- Strategy view: one band (cluster) per perspective in declared order, each band made of
  `rank=same` rows of at most `per_row` objectives chained left to right in declared order
  (with kinds: a column block per kind under a small heading); the left column of band headers
  (and spacers for the other rows) is chained with invisible edges, which fixes the vertical
  order. Drawn by stratlang, the bands are boxes added after the layout (banded.py), so links
  that skip a band run through it.
  Causal links are drawn effect -> cause with `dir=back`, so arrows point upward and agree
  with the ranking; links that run downward or inside one band do not constrain the layout.
- Output is deterministic: everything is emitted in declaration order.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeGuard

from .. import language
from .. import model as m
from .. import words as w
from ..children import die_with_parent
from ..errors import StratlangError
from .banded import MARK
from .base import Backend, Options, register
from .layout import current_session
from .map_themes import LIGHT, PALETTE, MapTheme, theme_named
from .text_metrics import break_lines, measure_in_columns, text_width

VIEWS = ("strategy", "playbook", "lifecycle")  # lifecycle: backends/lifecycle_map.py
FORMATS = ("svg", "png", "pdf")
DEFAULT_FONT = "Noto Sans CJK SC"
PER_ROW = 6  # objectives per row inside a band before it wraps
GROUP_ROWS = 3  # a band grouped by kind: rows before a kind's objectives take a second column
# from this many objectives on, the strategy map trades layout polish for speed: straight edges
# and bounded network-simplex / crossing-minimisation work (500 objectives: ~230 s -> ~1 s in dot)
LARGE_MAP = 120
LARGE_MAP_GRAPH_ATTRS = "nslimit=0.2, mclimit=0.1, splines=line, nodesep=0.1"
WRAP = 24  # label width (CJK characters count 2) before a line break
STATEMENT_WRAP = 96  # the mission and vision in the map header: columns per line
STATEMENT_LINES = 3  # … and at most this many lines each
FEEDBACK_COLOR = LIGHT.feedback  # feedback links (results back to insight): dashed, in this colour

NO_THEME_FILL = LIGHT.no_theme_fill
DARK_TEXT = "#1a202c"
LIGHT_TEXT = "#ffffff"
BAND_FILLS = LIGHT.band_fills
INSTALL_HELP = (
    "install Graphviz and the CJK font: apt-get install graphviz fonts-noto-cjk "
    "(macOS: brew install graphviz font-noto-sans-cjk)"
)

WORDS = {
    "zh": {
        "playbook_title": "策略图谱",
        "segment": "客群",
        "trigger": "触发",
        "offer": "产品/权益",
        "step": "步骤",
        "objective": "战略目标",
        "unless": "未转化",
        "no_trigger": "每波次执行",
        "event": "事件",
        "lifecycle": "生命周期",
        "schedule": "定期",
        "rule": "条件",
        "within": "内",
        "legend": "战略主题",
        "no_theme": "未归属主题",
        "priority": "优先级",
        "control": "对照组",
        "estimate": "预估",
        "count": "实际",
        "no_plays": "（尚无经营打法）",
        "daily": "每日",
        "weekly": "每周",
        "monthly": "每月",
        "by": "截至",
    },
    "en": {
        "playbook_title": "Playbook map",
        "segment": "Segment",
        "trigger": "Trigger",
        "offer": "Offer",
        "step": "Step",
        "objective": "Objective",
        "unless": "unless converted",
        "no_trigger": "once per wave",
        "event": "event",
        "lifecycle": "lifecycle",
        "schedule": "schedule",
        "rule": "when",
        "within": "within",
        "legend": "Strategic themes",
        "no_theme": "no theme",
        "priority": "priority",
        "control": "control",
        "estimate": "est.",
        "count": "actual",
        "no_plays": "(no plays yet)",
        "daily": "daily",
        "weekly": "weekly",
        "monthly": "monthly",
        "by": "by",
    },
}
STAGES_ZH = {
    "acquisition": "获客",
    "activation": "激活",
    "growth": "成长",
    "retention": "留存",
    "winback": "挽回",
}


class GraphvizError(StratlangError):
    """`dot` ran but failed."""

    def __init__(self, message: str, help: str | None = None) -> None:
        super().__init__(
            message,
            help
            or "write the map as .dot (stratlang map -o map.dot) to look at the input Graphviz got",
        )


class MissingGraphviz(GraphvizError):
    """The `dot` program is not installed: SVG/PNG/PDF need it (DOT output does not)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "Graphviz (the `dot` program) is not installed; SVG, PNG and PDF maps need it",
            INSTALL_HELP,
        )


class GraphvizTimeout(GraphvizError):
    """Graphviz did not finish a layout in the time it was given (and was stopped)."""


@dataclass(frozen=True)
class Decoration:
    """How a caller (the review map) marks one objective on the strategy map. Text is plain:
    it is escaped here; colours that are not hex and classes that are not `[A-Za-z0-9_-]+` are
    ignored."""

    fill: str | None = None  # replaces the theme colour
    border: str | None = None
    badge: str | None = None  # a chip above the label, e.g. "▲ 关注"
    badge_fill: str | None = None
    lines: tuple[str, ...] = ()  # extra lines under the label
    css_class: str | None = None  # SVG class of the node's <g>, next to "node"
    penwidth: float | None = None


@dataclass(frozen=True)
class MapDecorations:
    """Per-objective decorations, and the legend that explains them (replacing the themes')."""

    objectives: Mapping[str, Decoration] = field(default_factory=dict)
    legend_title: str | None = None
    legend: tuple[tuple[str, str], ...] = ()  # (label, hex colour of its swatch)
    subtitle: str | None = None


_CSS_CLASS = re.compile(r"[A-Za-z0-9_-]+(?: [A-Za-z0-9_-]+)*")


# ---------------------------------------------------------------- escaping and text

# control characters (C0 but tab and line breaks, DEL, C1), lone surrogates (not encodable as
# UTF-8) and the non-characters U+FFFE/U+FFFF: dropped from every label
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# the font of the map being drawn (set by each map's entry point): what `wrap` and `_fit` measure
_FONT: ContextVar[str] = ContextVar("map_font", default=DEFAULT_FONT)
SLACK = 4.0  # points a measured table cell gets beyond its text (rounding, a renderer's hinting)


# the theme of the map being drawn: every map's entry point starts in light (through `_use_font`);
# the strategy and playbook maps then take the one asked for (`Options.theme`)
_THEME: ContextVar[MapTheme] = ContextVar("map_theme", default=LIGHT)


def _use_font(font: str) -> str:
    _FONT.set(font)
    _THEME.set(LIGHT)
    return font


def _use_theme(name: str | None) -> MapTheme:
    theme = theme_named(name)
    _THEME.set(theme)
    return theme


def xml(text: object) -> str:
    """Text for an HTML-like label: XML-escaped, control characters removed, no line breaks.

    `[` and `]` are written as character references too: Graphviz's HTML-label lexer rejects a
    text run that is only `]` or `]]` (a wrapped line `]` after `<br/>` failed the whole map)."""
    s = _CTRL.sub("", str(text)).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    s = s.replace("'", "&#39;").replace("[", "&#91;").replace("]", "&#93;")
    # dot substitutes `\N`, `\G`, `\E`, `\H`, `\T` even inside HTML labels (after decoding
    # entities) and turns `\\` into one backslash: so every backslash is doubled
    return s.replace("\\", "&#92;&#92;").replace("\n", " ")


def quoted(text: str) -> str:
    """A DOT quoted string (for the font name): backslashes and quotes escaped, no controls."""
    s = _CTRL.sub("", str(text)).replace("\n", " ").replace("\r", " ")
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrap(text: str, limit: int = WRAP, bold: bool = False, balance: bool = True) -> list[str]:
    """Break a label into lines at most `limit` columns wide. A column is half an em of the map's
    font measured with its font file (a CJK character is two; without the file: CJK two, others
    one). Breaks at spaces and between CJK characters, never before closing punctuation nor after
    an opening bracket; Latin words are split only when longer than a line; with `balance` the
    lines are as even as the fewest lines allow (text_metrics)."""
    measure = measure_in_columns(_FONT.get(), bold)
    return break_lines(_CTRL.sub("", str(text)), limit, measure, balance)


def wrapped(text: str, limit: int = WRAP, bold: bool = False) -> str:
    return "<br/>".join(xml(line) for line in wrap(text, limit, bold))


def _fit(lines: list[str], size: float, bold: bool = False, pad: float = 1) -> str:
    """` width="N"` for a table cell holding `lines` at `size` points: its widest line measured
    with the font file, plus the cell padding on both sides and SLACK. Graphviz takes it as the
    cell's least width, so the box is never narrower than the text is in any renderer. Without
    the font file: "" (Graphviz's own measure)."""
    widths = [text_width(line, size, _FONT.get(), bold) for line in lines]
    if not widths or any(x is None for x in widths):
        return ""
    return f' width="{math.ceil(max(x or 0.0 for x in widths) + 2 * pad + SLACK)}"'


def _cell(
    text: str, limit: int, size: float, bold: bool = False, pad: float = 1
) -> tuple[str, str]:
    """(width attribute, escaped lines joined by <br/>) of wrapped text for one table cell."""
    lines = wrap(text, limit, bold)
    return _fit(lines, size, bold, pad), "<br/>".join(xml(line) for line in lines)


# ---------------------------------------------------------------- colours


def _rgb(color: str) -> tuple[int, int, int]:
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def luminance(color: str) -> float:
    """WCAG relative luminance of a hex colour."""

    def chan(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(color)
    return 0.2126 * chan(r) + 0.7152 * chan(g) + 0.0722 * chan(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_color(fill: str) -> str:
    """White or near-black, whichever contrasts more with `fill`."""
    return LIGHT_TEXT if contrast(fill, LIGHT_TEXT) >= contrast(fill, DARK_TEXT) else DARK_TEXT


def _valid_hex(color: object) -> TypeGuard[str]:
    return (
        isinstance(color, str)
        and re.fullmatch(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})", color) is not None
    )


def theme_colors(model: m.Model) -> dict[str, str]:
    """Theme id -> fill colour: its `color`, else the next palette colour."""
    out, i = {}, 0
    for tid, t in model.themes.items():
        if _valid_hex(t.color):
            out[tid] = t.color.lower()
        else:
            out[tid] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def _darken(color: str, amount: float) -> str:
    r, g, b = _rgb(color)
    r, g, b = (round(c * (1 - amount)) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


# ---------------------------------------------------------------- helpers


def _lang(model: m.Model, options: Options) -> str:
    lang = options.lang if options and options.lang else None
    if lang is None:
        loc = (model.strategy.locale or "zh-CN").lower()
        lang = "zh" if loc.startswith("zh") else "en"
    return lang if lang in WORDS else "en"


def _number(v: float | None, lang: str) -> str:
    if v is None:
        return ""
    if lang == "zh" and abs(v) >= 10000:
        if abs(v) >= 1e8:
            s, unit = v / 1e8, "亿"
        else:
            s, unit = v / 1e4, "万"
        return f"{s:.4g}{unit}"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v:,}" if isinstance(v, int) else f"{v:,.4g}"


def target_text(t: m.Target, lang: str) -> str:
    """A target in a chip: `财富中收 ≥ 1.2亿 (截至 2026-12-31)`, `ROE 15%–20%`, `ROI ≥ 1:1.2`."""
    label = t.label or t.id
    s = f"{label} {w.goal_as_written(t.op, t.value, t.high, lang)}"
    if t.by is not None:
        s += f" ({WORDS[lang]['by']} {t.by.isoformat()})"
    return s


def measure_text(ms: m.Measure, lang: str) -> str:
    """A tracked measure in a chip: named, without a goal."""
    return w.t("measure_line", lang, m=ms.label or ms.id)


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"n{self.n}"


# ---------------------------------------------------------------- stable SVG ids and tooltips

_NOT_ID = re.compile(r"[^\w.]")


def svg_id(kind: str, *names: str) -> str:
    """A stable element id for the SVG (`obj-F1`, `link-P1-F1`, `band-financial`): the kind and
    the declared names joined by `-`. Names are identifiers (letters, digits, `_`; CJK allowed),
    so `-` never occurs in one; anything else is replaced by `_`, keeping the DOT string safe."""
    return "-".join([kind, *(_NOT_ID.sub("_", _CTRL.sub("", n)) for n in names)])


class LinkIds:
    """`link-<from>-<to>`, then `link-<from>-<to>-2`, … for a pair linked more than once."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, source: str, target: str) -> str:
        base = svg_id("link", source, target)
        n = self.seen[base] = self.seen.get(base, 0) + 1
        return base if n == 1 else f"{base}-{n}"


TOOLTIP_LINE = 160  # characters a tooltip line keeps (then "…")
# Graphviz rejects a quoted string over 16,384 bytes: a tooltip stays far under
TOOLTIP_BYTES = 8000


def tooltip(text: str) -> str:
    """Text for a DOT `tooltip="…"` (an escString, written to the SVG as `xlink:title` and, by
    `svg_titles`, as the element's `<title>`): XML-escaped, so Graphviz copies it through as is;
    a backslash is four `&#92;` (Graphviz takes two rounds of backslash escapes from a tooltip,
    `\\N` would become the node's name); line breaks as `&#10;`; control characters dropped.
    Lines are cut at TOOLTIP_LINE characters and the whole at TOOLTIP_BYTES, with "…"."""
    s = _CTRL.sub("", str(text)).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    lines = [
        line if len(line) <= TOOLTIP_LINE else line[: TOOLTIP_LINE - 1] + "…"
        for line in s.split("\n")
    ]
    out: list[str] = []
    size = 0
    for c in "\n".join(lines):
        piece = _TOOLTIP_ESCAPES.get(c, c)
        size += len(piece.encode("utf-8"))
        if size > TOOLTIP_BYTES:
            out.append("…")
            break
        out.append(piece)
    return "".join(out)


_TOOLTIP_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\\": "&#92;" * 4,
    "\n": "&#10;",
}


def objective_tooltip(o: m.Objective, lang: str) -> str:
    """What hovering an objective shows: its id and label, owner, then a line per target (measure,
    goal, deadline) and per tracked measure."""
    lines = [f"{o.id} {o.label or ''}".strip()]
    if o.owner:
        lines.append(w.labelled("owner", o.owner, lang))
    lines += [f"· {target_text(t, lang)}" for t in o.targets]
    lines += [f"· {measure_text(ms, lang)}" for ms in o.measures]
    return "\n".join(lines)


def link_tooltip(model: m.Model, link: m.Link, lang: str) -> str:
    """`P1 代发客户首月激活 → F1 财富客户AUM增长`, and the link's label under it."""

    def name(oid: str) -> str:
        o = model.objectives.get(oid)
        return f"{oid} {o.label}" if o is not None and o.label else oid

    arrow = " ⇢ " if link.kind == "feedback" else " → "
    text = name(link.source) + arrow + name(link.target)
    return text + (f"\n{link.label}" if link.label else "")


def _objective_fill(o: m.Objective, colors: Mapping[str, str]) -> str:
    """An objective's fill: its strategic theme's colour (when the map theme shows them)."""
    theme = _THEME.get()
    if not theme.theme_colors or not o.theme:
        return theme.no_theme_fill
    return colors.get(o.theme, theme.no_theme_fill)


# Graphviz writes a node's name (`n5`) as its <title> and wraps what it draws in
# `<g id="a_…"><a xlink:title="tooltip">`; nothing in a map has a link of its own
_TOOLTIP = re.compile(
    rb'<title>[^<]*</title>\n<g id="a_[^"]*"><a xlink:title="([^"]*)">\n(.*?)</a>\n</g>\n', re.S
)


def svg_titles(svg: bytes) -> bytes:
    """Each element drawn with a tooltip gets it as its <title> (in place of the generated node
    name), without the `<a>` Graphviz wraps around it: <title> is the SVG's own tooltip and
    accessible name in every viewer, and the drawing keeps its plain structure. The text is
    Graphviz's escaped attribute value, valid as element content."""
    return _TOOLTIP.sub(lambda mt: b"<title>" + mt.group(1) + b"</title>\n" + mt.group(2), svg)


def _header(
    name: str, font: str, rankdir: str, title_html: str, theme: MapTheme = LIGHT
) -> list[str]:
    f = quoted(font)
    # light keeps the attributes it always had (its DOT unchanged); other themes set the text colour
    ink = "" if theme is LIGHT else f', fontcolor="{theme.ink}"'
    return [
        f"digraph {name} {{",
        f"  graph [fontname={f}, rankdir={rankdir}, newrank=true, compound=true, splines=spline, "
        f'nodesep=0.3, ranksep=0.55, pad=0.4, bgcolor="{theme.background}", labelloc=t, labeljust=c, fontsize=22{ink}, '
        f"label=<{title_html}>];",
        f'  node [fontname={f}, fontsize=12, shape=box, style="rounded,filled", penwidth={theme.line_width:g}, '
        f'margin="0.14,0.08"{ink}];',
        f'  edge [fontname={f}, fontsize=10, color="{theme.muted}", fontcolor="{theme.muted}", arrowsize=0.8, penwidth={theme.line_width:g}];',
    ]


def _title(model: m.Model, subtitle: str | None = None, lang: str | None = None) -> str:
    """The map's header: the strategy's name, then subtitle · owner · period; with `lang`, the
    mission and the vision under it (each wrapped and kept to STATEMENT_LINES lines)."""
    s = model.strategy
    parts = [f"<b>{wrapped(s.label or '', 60)}</b>"]
    info = []
    if subtitle:
        info.append(subtitle)
    if s.owner:
        info.append(s.owner)
    if s.period:
        info.append(f"{s.period[0].isoformat()} – {s.period[1].isoformat()}")
    if info:
        muted = _THEME.get().muted
        parts.append(f'<font point-size="12" color="{muted}">{xml(" · ".join(info))}</font>')
    statement = [
        (key, text)
        for key, text in (("mission", s.mission), ("vision", s.vision))
        if lang is not None and text
    ]
    if not statement or lang is None:
        return "<br/>".join(parts)
    # with a statement the header is a table: rows keep their own spacing, so the lines of
    # the title, the facts and the statement do not crowd each other
    rows = [f'<tr><td cellpadding="2">{part}</td></tr>' for part in parts]
    for key, text in statement:
        lines = [xml(line) for line in _statement_lines(w.labelled(key, text, lang))]
        label = xml(w.t(key, lang))
        if lines[0].startswith(label):  # the label in bold: 使命 / Mission
            lines[0] = f"<b>{label}</b>{lines[0][len(label) :]}"
        rows.append(
            f'<tr><td cellpadding="1"><font point-size="11" color="{_THEME.get().statement}">'
            f"{'<br/>'.join(lines)}</font></td></tr>"
        )
    return f'<table border="0" cellborder="0" cellspacing="0">{"".join(rows)}</table>'


def _statement_lines(text: str) -> list[str]:
    """A mission or vision for the header: wrapped at STATEMENT_WRAP columns; past
    STATEMENT_LINES lines the rest is cut with an ellipsis, so a long text cannot swamp the map."""
    lines = wrap(text, STATEMENT_WRAP, balance=False)  # cut after STATEMENT_LINES: fill them
    if len(lines) > STATEMENT_LINES:
        lines = lines[:STATEMENT_LINES]
        last = lines[-1]
        measure = measure_in_columns(_FONT.get())
        while last and measure(last) > STATEMENT_WRAP - 2:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


# ---------------------------------------------------------------- strategy view


def map_bands(model: m.Model) -> list[tuple[str, str]]:
    """(perspective id, label) of the bands top to bottom: the declared perspectives, then any
    perspective an objective names that is not declared."""
    bands: list[tuple[str, str]] = [(p.id, p.label or p.id) for p in model.perspectives]
    known = {pid for pid, _ in bands}
    for o in model.objectives.values():
        if o.perspective not in known:
            known.add(o.perspective)
            bands.append((o.perspective, o.perspective))
    return bands


def _rows(items: list, per_row: int) -> list[list]:
    """Split into rows of at most `per_row`, as even as possible (7 -> 4 + 3)."""
    if not items:
        return [[]]
    n = math.ceil(len(items) / per_row)
    size = math.ceil(len(items) / n)
    return [items[i : i + size] for i in range(0, len(items), size)]


_Row = list[tuple[int, m.Objective]]  # (index of the objective's kind group, objective)


def _band_rows(
    objs: list[m.Objective], per_row: int
) -> tuple[list[tuple[str | None, list[m.Objective]]], list[_Row]]:
    """A band's kind groups and rows, in declaration order.

    Without kinds: one group, rows of at most `per_row` (as even as possible). With kinds: a
    group per kind in the order of its first objective (objectives without a kind make a group
    of their own), each group a block of columns filled row by row. The band gets the largest
    group's size in rows (at most GROUP_ROWS), more when the groups would not fit `per_row`
    columns; so the process band of the 2-3-4-3 template is four columns side by side."""
    groups: dict[str | None, list[m.Objective]] = {}
    for o in objs:
        groups.setdefault(o.kind, []).append(o)
    if not any(kind is not None for kind in groups):
        return [(None, objs)], [[(0, o) for o in row] for row in _rows(objs, per_row)]
    sizes = [len(members) for members in groups.values()]
    n_rows = min(max(sizes), GROUP_ROWS)
    while sum(math.ceil(s / n_rows) for s in sizes) > per_row and n_rows < max(sizes):
        n_rows += 1
    rows: list[_Row] = [[] for _ in range(n_rows)]
    for gi, members in enumerate(groups.values()):
        cols = math.ceil(len(members) / n_rows)
        for i, o in enumerate(members):
            rows[i // cols].append((gi, o))
    return list(groups.items()), rows


def _kind_heading_attrs(kind: str, cols: int, lang: str) -> str:
    """The small heading over one kind's objectives in a band (运营管理 / Operations
    management), underlined across the kind's columns."""
    width = cols * 1.9 + (cols - 1) * 0.3
    return (
        f'shape=plaintext, style="", margin=0, width={width:g}, label=<<table border="0" '
        f'cellborder="0" cellspacing="0" cellpadding="2"><tr><td sides="b" border="1" '
        f'color="{_THEME.get().rule}" width="{round(width * 72)}"><font point-size="10" '
        f'color="{_THEME.get().muted}">'
        f"<b>{xml(w.t('kind_' + kind, lang))}</b></font></td></tr></table>>"
    )


def _value_proposition_band(model: m.Model, band_ids: list[str]) -> str | None:
    """The band that carries the value proposition: the one holding objectives of a customer
    kind (attributes, relationship, image), else the perspective `customer`."""
    customer_kinds = language.OBJECTIVE_KINDS["customer"]
    for o in model.objectives.values():
        if o.kind in customer_kinds and o.perspective in band_ids:
            return o.perspective
    return "customer" if "customer" in band_ids else None


def _value_proposition_strip(value: str, lang: str) -> str:
    """The customer band's label: 价值主张：客户解决方案 / Value proposition: Customer solutions."""
    words = w.t(value, lang)
    words = words[:1].upper() + words[1:]
    sep = "：" if lang == "zh" else ": "
    # the caption and the words in cells of their own (spans in one cell are placed by
    # Graphviz's estimate, and a trailing space collapses in browsers)
    caption = w.t("value_proposition", lang) + sep.strip()
    th = _THEME.get()
    return (
        f'<table border="1" color="{th.vp_border}" cellborder="0" cellspacing="0" cellpadding="5" '
        f'bgcolor="{th.vp_fill}"><tr><td><table border="0" cellborder="0" cellspacing="0" '
        f'cellpadding="0"><tr><td{_fit([caption], 11, pad=0)}><font point-size="11" '
        f'color="{th.vp_caption}">{xml(caption)}</font></td><td width="{0 if lang == "zh" else 4}"></td>'
        f'<td{_fit([words], 12, bold=True, pad=0)}><font point-size="12" color="{th.vp_words}">'
        f"<b>{xml(words)}</b></font></td></tr></table></td></tr></table>"
    )


def _objective_label(
    o: m.Objective, fg: str, show_targets: bool, lang: str, deco: Decoration | None = None
) -> str:
    rows = []
    if deco is not None and deco.badge:
        chip = deco.badge_fill if _valid_hex(deco.badge_fill) else DARK_TEXT
        fit, badge = _cell(deco.badge, 30, 9, bold=True, pad=2)
        rows.append(
            f'<tr><td bgcolor="{chip}" cellpadding="2"{fit}><font point-size="9" '
            f'color="{text_color(chip)}"><b>{badge}</b></font></td></tr>'
        )
    small = [o.id]  # 9 pt lines under the label: targets and measures, the decoration's lines
    if show_targets:
        small += [target_text(t, lang) for t in o.targets]
        small += [measure_text(ms, lang) for ms in o.measures]
    small += deco.lines if deco is not None else ()
    fit, label = _cell(o.label or o.id, 22, 12, bold=True)
    rows += [
        f'<tr><td{_fit([o.id], 9)}><font point-size="9" color="{fg}">{xml(o.id)}</font></td></tr>',
        f'<tr><td{fit}><font color="{fg}"><b>{label}</b></font></td></tr>',
    ]
    for text in small[1:]:
        fit, lines = _cell(text, 30, 9)
        rows.append(f'<tr><td{fit}><font point-size="9" color="{fg}">{lines}</font></td></tr>')
    return (
        '<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        + "".join(rows)
        + "</table>"
    )


def _node_style(fill: str, deco: Decoration | None) -> tuple[str, str, str]:
    """(fill, border, extra attributes) of an objective node, with its decoration applied."""
    own = _THEME.get().node_border
    if deco is None:
        return fill, own or _darken(fill, 0.25), ""
    fill = deco.fill.lower() if deco.fill and _valid_hex(deco.fill) else fill
    border = deco.border if deco.border and _valid_hex(deco.border) else own or _darken(fill, 0.25)
    extra = ""
    if deco.css_class and _CSS_CLASS.fullmatch(deco.css_class):
        extra += f', class="{deco.css_class}"'
    if deco.penwidth is not None and 0 < deco.penwidth <= 10:
        extra += f", penwidth={deco.penwidth:g}"
    return fill, border, extra


def strategy_dot(
    model: m.Model, options: Options, decorations: MapDecorations | None = None
) -> str:
    """The strategy map; `decorations` (the review map's statuses) restyle objectives and the
    legend without changing the layout."""
    lang = _lang(model, options)
    font = _use_font(options.font or DEFAULT_FONT)
    theme = _use_theme(options.theme)
    per_row = int((options.extra or {}).get("per_row", PER_ROW)) or PER_ROW
    new = _Ids()
    colors = theme_colors(model)
    decos = decorations.objectives if decorations is not None else {}
    subtitle = decorations.subtitle if decorations is not None else None
    out = _header("strategy_map", font, "TB", _title(model, subtitle, lang), theme)
    if len(model.objectives) < LARGE_MAP:  # large maps keep dot's clusters: narrower, faster
        out.insert(2, f"  {MARK}")
        # links run between the objectives (their bends take room in every row they cross),
        # so the nodes sit closer than dot's default: the 22-objective 2-3-4-3 map is ~1,070 pt
        # wide instead of ~1,640 pt, which prints on a landscape page at a readable scale
        # and the rows closer (0.4 in, was 0.55): the 22-objective map 1,110 pt high, not 1,240
        out[1] = (
            out[1].replace("nodesep=0.3", "nodesep=0.12").replace("ranksep=0.55", "ranksep=0.4")
        )
    # the second crossing-minimisation pass over clusters can move an objective left of its band
    # header (flat edges are not respected there); one pass keeps the header column on the left
    out.insert(2, "  graph [remincross=false];")
    if len(model.objectives) >= LARGE_MAP:
        out.insert(2, f"  graph [{LARGE_MAP_GRAPH_ATTRS}];")

    bands = map_bands(model)
    band_index = {pid: i for i, (pid, _) in enumerate(bands)}

    # bands -> rows -> objectives, each row one rank headed by a node of the left column (the
    # band's name on its first row of objectives, invisible spacers elsewhere). A band may open
    # with a row for the value proposition and a row of the kinds' headings.
    vp_band = _value_proposition_band(model, [pid for pid, _ in bands])
    header_width = 1.3
    column: list[str] = []  # left column: band headers and row spacers, top to bottom
    node_of: dict[str, str] = {}
    for bi, (pid, plabel) in enumerate(bands):
        groups, grid = _band_rows(
            [o for o in model.objectives.values() if o.perspective == pid], per_row
        )
        for row in grid:
            for _, o in row:
                node_of[o.id] = new()
        grouped = any(kind is not None for kind, _ in groups)
        column_of: dict[str, str] = {}  # objective id -> the dot group of its kind's column
        # the rows of this band as node ids: [value proposition], [headings], objective rows
        row_ids: list[list[str]] = [[node_of[o.id] for _, o in row] for row in grid]
        fill = theme.band_fills[bi % 2]
        out.append(f"  subgraph cluster_band{bi + 1} {{")
        out.append(
            f'    graph [label="", style="filled,rounded", fillcolor="{fill}", color="{theme.band_border}", '
            f'penwidth={theme.band_width:g}, margin=14, id="{svg_id("band", pid)}"];'
        )
        if grouped:  # a row of small headings, one over each kind's columns
            headings: list[str] = []
            for gi, (kind, _) in enumerate(groups):
                if kind is None:
                    continue
                cols = sum(1 for g, _ in grid[0] if g == gi)
                hid = new()
                headings.append(hid)
                # a kind's column shares a dot `group`: its edges are kept straight, so the
                # column stays under its heading while links pull at it
                members = [o for row in grid for g, o in row if g == gi]
                for i, o in enumerate(members):
                    column_of[o.id] = f"b{bi + 1}k{gi + 1}c{i % cols + 1}"
                group = f', group="b{bi + 1}k{gi + 1}c1"' if cols == 1 else ""
                out.append(f"    {hid} [{_kind_heading_attrs(kind, cols, lang)}{group}];")
                for g, o in grid[0]:  # the heading stays over its objectives
                    if g == gi:
                        out.append(f"    {hid} -> {node_of[o.id]} [style=invis, weight=20];")
            row_ids.insert(0, headings)
            for row_above, row in zip(grid, grid[1:]):  # a kind's columns stay stacked
                for g, o in row:
                    above = [u for gu, u in row_above if gu == g]
                    col = [x for gx, x in row if gx == g].index(o)
                    out.append(
                        f"    {node_of[above[col].id]} -> {node_of[o.id]} [style=invis, weight=20];"
                    )
        if pid == vp_band and model.strategy.value_proposition:
            sid = new()
            strip = _value_proposition_strip(model.strategy.value_proposition, lang)
            out.append(f'    {sid} [shape=plaintext, style="", margin=0, label=<{strip}>];')
            for nid in row_ids[0]:  # centred over the band
                out.append(f"    {sid} -> {nid} [style=invis];")
            row_ids.insert(0, [sid])
        first = len(row_ids) - len(grid)  # the first row of objectives
        for ri, ids in enumerate(row_ids):
            head = new()
            column.append(head)
            if ri == first:
                out.append(
                    f'    {head} [shape=box, style="filled", fillcolor="{theme.header_fill}", '
                    f'color="{theme.header_border}", width={header_width}, fixedsize=false, '
                    f'id="{svg_id("band", pid, "name")}", label=<<font color="{theme.header_text}" '
                    f'point-size="13"><b>{wrapped(plabel, 12, bold=True)}</b></font>>];'
                )
            else:
                out.append(f'    {head} [shape=box, style=invis, width={header_width}, label=""];')
            out.append(f"    {{ rank=same; {' '.join([head] + ids)} }}")
            if ids:  # the header column on the left, then the row in declared order
                out.append(f"    {' -> '.join([head] + ids)} [style=invis, weight=5];")
        for row in grid:
            for _, o in row:
                theme_fill = _objective_fill(o, colors)
                deco = decos.get(o.id)
                fill_o, border, extra = _node_style(theme_fill, deco)
                fg = text_color(fill_o) if theme.theme_colors else theme.ink
                label = _objective_label(o, fg, options.show_targets, lang, deco)
                if o.id in column_of:
                    extra += f', group="{column_of[o.id]}"'
                out.append(
                    f'    {node_of[o.id]} [fillcolor="{fill_o}", color="{border}", width=1.9{extra}, '
                    f'id="{svg_id("obj", o.id)}", tooltip="{tooltip(objective_tooltip(o, lang))}", '
                    f"label=<{label}>];"
                )
        out.append("  }")
    for upper, lower in zip(column, column[1:]):
        out.append(f"  {upper} -> {lower} [style=invis, weight=100];")

    # causal links: a drives b; drawn b -> a with dir=back so the arrow points at b (upward)
    # feedback links (results back to insight) are dashed and never rank (constraint=false)
    link_ids = LinkIds()
    for link in model.links:
        a, b = node_of.get(link.source), node_of.get(link.target)
        if a is None or b is None:
            continue
        pa = band_index.get(model.objectives[link.source].perspective, 0)
        pb = band_index.get(model.objectives[link.target].perspective, 0)
        attrs = []
        if link.kind == "feedback":
            # always written from the lower band to the upper one (dir=back when it runs
            # downward): written top to bottom like the causal links, dot's crossing
            # minimisation took it in and reordered the rows (seen on the bank example)
            edge, back = (f"{b} -> {a}", True) if pa < pb else (f"{a} -> {b}", False)
            if back:
                attrs.append("dir=back")
            attrs.append(
                f'constraint=false, style=dashed, color="{theme.feedback}", '
                f'fontcolor="{theme.feedback}"'
            )
        elif pb < pa:  # upward, as a strategy map should run
            edge = f"{b} -> {a}"
            attrs.append("dir=back")
        else:  # same band or downward: drawn as declared, without pulling the layout
            edge = f"{a} -> {b}"
            attrs.append("constraint=false")
            if pb > pa:
                attrs.append(f'color="{theme.downward}", style=dashed')
        if link.label:
            fit, lines = _cell(link.label, 20, 10, pad=2)
            attrs.append(
                f'label=<<table border="0" cellborder="0" cellspacing="0" cellpadding="2" '
                f'bgcolor="{theme.label_fill}"><tr><td{fit}>{lines}</td></tr></table>>'
            )
        attrs.append(
            f'id="{link_ids(link.source, link.target)}", '
            f'tooltip="{tooltip(link_tooltip(model, link, lang))}"'
        )
        out.append(f"  {edge} [{', '.join(attrs)}];")

    # legend of themes (or of the decorations)
    title, entries = _legend_entries(model, colors, lang, decorations)
    if not theme.theme_colors and not (decorations is not None and decorations.legend):
        entries = []  # objectives drawn without their themes' colours: no swatches to explain
    feedback = any(link.kind == "feedback" for link in model.links)
    # (a light map without themes has no legend, as before; print keeps the feedback line's)
    if (entries or (feedback and not theme.theme_colors)) and column:
        rows = (
            [f'<tr><td colspan="2" align="left"><b>{xml(title)}</b></td></tr>'] if entries else []
        )
        for label, color in entries:
            fit, lines = _cell(label, 30, 12, pad=2)
            rows.append(
                f'<tr><td width="18" height="12" bgcolor="{color}" border="1" color="{_darken(color, 0.25)}">'
                f'</td><td align="left"{fit}>{lines}</td></tr>'
            )
        if feedback:
            rows.append(
                f'<tr><td><font color="{theme.feedback}"><b>┄┄→</b></font></td>'
                f'<td align="left">{xml(w.t("feedback_link", lang))}</td></tr>'
            )
        legend = new()
        out.append(
            f'  {legend} [shape=plaintext, style="", margin=0, label=<<table border="0" cellborder="0" '
            f'cellspacing="4" cellpadding="2">{"".join(rows)}</table>>];'
        )
        out.append(f"  {column[-1]} -> {legend} [style=invis, weight=100];")
    out.append("}")
    return "\n".join(out) + "\n"


def _legend_entries(
    model: m.Model, colors: dict[str, str], lang: str, decorations: MapDecorations | None
) -> tuple[str, list[tuple[str, str]]]:
    if decorations is not None and decorations.legend:
        entries = [
            (label, c if _valid_hex(c) else NO_THEME_FILL) for label, c in decorations.legend
        ]
        return decorations.legend_title or "", entries
    used = {o.theme for o in model.objectives.values()}
    entries = [(t.label or t.id, colors[tid]) for tid, t in model.themes.items()]
    if None in used or any(t not in colors for t in used if t):
        entries.append((WORDS[lang]["no_theme"], NO_THEME_FILL))
    return WORDS[lang]["legend"], entries


# ---------------------------------------------------------------- playbook view


def _node_label(
    caption: str, main: str, sub: str | None = None, color: str | None = None, width: int = 20
) -> str:
    muted = _THEME.get().muted
    color = color or muted
    fit, lines = _cell(main, width, 12, bold=True)
    rows = [
        f'<tr><td align="left"{_fit([caption], 9)}><font point-size="9" color="{color}">'
        f"{xml(caption)}</font></td></tr>",
        f'<tr><td align="left"{fit}><b>{lines}</b></td></tr>',
    ]
    if sub:
        fit, lines = _cell(sub, 30, 9)
        rows.append(
            f'<tr><td align="left"{fit}><font point-size="9" color="{muted}">{lines}</font></td></tr>'
        )
    return (
        '<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        + "".join(rows)
        + "</table>"
    )


def play_meta(p: m.Play, W: Mapping[str, str]) -> list[str]:
    """What a play's title is followed by: priority, control group, owner."""
    meta = [f"{W['priority']} {p.priority}"]
    if p.control is not None:
        meta.append(f"{W['control']} {_number(p.control, 'en')}%")
    if p.owner:
        meta.append(p.owner)
    return meta


def step_wait(s: m.Step, W: Mapping[str, str]) -> list[str]:
    """The words on the link into a step: its wait (`+3d`) and `unless converted`."""
    wait = []
    if s.after_days is not None or s.after_raw:
        wait.append("+" + (s.after_raw or f"{_number(s.after_days, 'en')}d"))
    if s.unless_converted:
        wait.append(W["unless"])
    return wait


def _play_title(title: str, meta: list[str]) -> str:
    """A play's cluster label: its title (13 pt, bold) and, in a cell of its own after a gap,
    priority · control · owner (10 pt); both cells as wide as their measured text, so the title
    never runs into the words after it."""
    t_fit, t_lines = _cell(title, 40, 13, bold=True, pad=0)
    m_fit, m_lines = _cell(" · ".join(meta), 80, 10, pad=0)
    return (
        '<table border="0" cellborder="0" cellspacing="0" cellpadding="0"><tr>'
        f'<td align="left" valign="bottom"{t_fit}><b>{t_lines}</b></td><td width="12"></td>'
        f'<td align="left" valign="bottom"{m_fit}><font point-size="10" '
        f'color="{_THEME.get().muted}">{m_lines}</font></td></tr></table>'
    )


def _trigger_text(
    model: m.Model, t: m.Trigger | None, W: dict, lang: str
) -> tuple[str, str | None]:
    if t is None:
        return W["no_trigger"], None
    if t.kind == "event":
        ev = model.events.get(t.ref) if t.ref is not None else None
        label = (ev.label if ev and ev.label else t.ref) or ""
        sub = None
        if t.within_days is not None:
            days = int(t.within_days) if float(t.within_days).is_integer() else t.within_days
            sub = f"{days}天{W['within']}" if lang == "zh" else f"{W['within']} {days}d"
        return label, sub
    if t.kind == "lifecycle":
        stage = STAGES_ZH.get(t.ref or "", t.ref) if lang == "zh" else t.ref
        return f"{W['lifecycle']}: {stage}", None
    if t.kind == "schedule":
        return W.get(t.ref or "", t.ref or ""), None
    if t.kind in m.TRANSITION_TRIGGERS:  # the playbook's words: "on leaving the segment …"
        seg = model.segments.get(t.ref or "")
        name = (seg.label if seg else t.ref) if t.kind != "becomes" else w.t(t.ref or "", lang)
        return w.t(f"trigger_{t.kind}", lang, g=name, s=name), None
    return w.rule_in_words(t.rule, model, lang) if t.rule is not None else "", None


def playbook_dot(model: m.Model, options: Options) -> str:
    """One row per play, top to bottom in declared order: segment → trigger → offer → steps →
    the objectives it supports. Rows are `rank=same` groups (flat edges run left to right), chained
    by invisible edges between their first nodes, each row in its own cluster."""
    lang = _lang(model, options)
    W = WORDS[lang]
    font = _use_font(options.font or DEFAULT_FONT)
    theme = _use_theme(options.theme)
    new = _Ids()
    colors = theme_colors(model)
    counts = (options.counts or {}) if options else {}
    seg_counts = counts.get("segments", {}) if isinstance(counts, dict) else {}
    out = _header("playbook_map", font, "TB", _title(model, W["playbook_title"]), theme)
    # nodes closer than dot's default: the rows of the examples fit a landscape page at 6 pt
    out[1] = out[1].replace("nodesep=0.3", "nodesep=0.15").replace("ranksep=0.55", "ranksep=0.35")

    firsts: list[str] = []
    for pi, p in enumerate(model.plays.values()):
        meta = play_meta(p, W)
        out.append(f"  subgraph cluster_play{pi + 1} {{")
        out.append(
            f'    graph [style="filled,rounded", fillcolor="{theme.band_fills[pi % 2]}", '
            f'color="{theme.band_border}", penwidth={theme.band_width:g}, id="{svg_id("play", p.id)}", '
            f"labeljust=l, fontsize=13, margin=12, label=<{_play_title(p.label or p.id, meta)}>];"
        )
        chain: list[tuple[str, str | None]] = []  # (node, label of the edge into it)
        seg = model.segments.get(p.segment) if p.segment else None
        sub = []
        if seg is not None and seg.estimate is not None:
            sub.append(f"{W['estimate']} {_number(seg.estimate, lang)}")
        if p.segment in seg_counts:
            sub.append(f"{W['count']} {_number(seg_counts[p.segment], lang)}")
        nid = new()
        seg_label = (seg.label if seg else p.segment) or ""
        box = theme.segment
        out.append(
            f'    {nid} [fillcolor="{box.fill}", color="{box.border}", '
            f'id="{svg_id("play", p.id, "segment")}", label=<'
            f"{_node_label(W['segment'], seg_label, ' · '.join(sub) or None, box.caption)}>];"
        )
        chain.append((nid, None))
        firsts.append(nid)
        main, tsub = _trigger_text(model, p.trigger, W, lang)
        nid = new()
        box = theme.trigger
        width = 32 if p.trigger and p.trigger.kind == "rule" else 20
        out.append(
            f'    {nid} [shape=box, style="filled", fillcolor="{box.fill}", color="{box.border}", '
            f'id="{svg_id("play", p.id, "trigger")}", label=<'
            f"{_node_label(W['trigger'], main, tsub, box.caption, width)}>];"
        )
        chain.append((nid, None))
        if p.offer:
            off = model.offers.get(p.offer)
            risk = "风险" if lang == "zh" else "risk"
            osub = f"{risk} {off.risk}" if off is not None and off.risk else None
            nid = new()
            box = theme.offer
            out.append(
                f'    {nid} [fillcolor="{box.fill}", color="{box.border}", '
                f'id="{svg_id("play", p.id, "offer")}", label=<'
                f"{_node_label(W['offer'], (off.label if off else p.offer) or '', osub, box.caption)}>];"
            )
            chain.append((nid, None))
        for s in p.steps:
            ch = model.channels.get(s.channel)
            sc = model.scripts.get(s.script)
            sname = (sc.label if sc else s.script) or ""
            quote = f"「{sname}」" if lang == "zh" else f"“{sname}”"
            if s.offers:  # the step's own offers (a step without makes the play's, drawn before)
                labels = [model.offers[o].label if o in model.offers else o for o in s.offers]
                quote += " · " + " + ".join(labels)
            caption = f"{W['step']} {s.number}"
            nid = new()
            box = theme.step
            out.append(
                f'    {nid} [fillcolor="{box.fill}", color="{box.border}", '
                f'id="{svg_id("play", p.id, "step", str(s.number))}", label=<'
                f"{_node_label(caption, (ch.label if ch else s.channel) or '', quote, box.caption)}>];"
            )
            chain.append((nid, "\n".join(step_wait(s, W)) or None))
        objs = [model.objectives[o] for o in p.supports if o in model.objectives]
        if objs:
            rows = [
                f'<tr><td align="left" cellpadding="2"><font point-size="9" color="{theme.muted}">'
                f"{xml(W['objective'])}</font></td></tr>"
            ]
            for o in objs:
                fill = _objective_fill(o, colors)
                fg = text_color(fill) if theme.theme_colors else theme.ink
                # an outline where the fill does not mark the objective (print)
                outline = f' border="1" color="{theme.node_border}"' if theme.node_border else ""
                fit, label = _cell(o.label or o.id, 22, 12, bold=True)
                rows.append(  # the id and the label in cells of their own, side by side
                    f'<tr><td align="left" bgcolor="{fill}" cellpadding="3"{outline}><table border="0" '
                    f'cellborder="0" cellspacing="0" cellpadding="2"><tr><td valign="top"'
                    f'{_fit([o.id], 9, pad=2)}><font color="{fg}" point-size="9">{xml(o.id)}</font>'
                    f'</td><td align="left"{fit}><font color="{fg}"><b>{label}</b></font></td>'
                    f"</tr></table></td></tr>"
                )
            nid = new()
            tip = "\n\n".join(objective_tooltip(o, lang) for o in objs)
            out.append(
                f'    {nid} [shape=plaintext, style="", margin=0, id="{svg_id("play", p.id, "objectives")}", '
                f'tooltip="{tooltip(tip)}", label=<<table border="0" '
                f'cellborder="0" cellspacing="3" cellpadding="0">{"".join(rows)}</table>>];'
            )
            chain.append((nid, None))
        out.append(f"    {{ rank=same; {' '.join(n for n, _ in chain)} }}")
        for (a, _), (b, lab) in zip(chain, chain[1:]):
            attrs = []
            if lab:
                attrs.append(f"label=<{'<br/>'.join(xml(part) for part in lab.split(chr(10)))}>")
            out.append(f"    {a} -> {b}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
        out.append("  }")

    if not model.plays:
        nid = new()
        out.append(f'  {nid} [shape=plaintext, style="", label=<{xml(W["no_plays"])}>];')
    for a, b in zip(firsts, firsts[1:]):  # plays in declared order, top to bottom
        out.append(f"  {a} -> {b} [style=invis, weight=100];")
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- API


def render_dot(model: m.Model, view: str = "strategy", options: Options | None = None) -> str:
    """The map as DOT text (no Graphviz needed)."""
    options = options or Options()
    if view == "strategy":
        return strategy_dot(model, options)
    if view == "playbook":
        return playbook_dot(model, options)
    if view == "lifecycle":
        from .lifecycle_map import lifecycle_dot

        return lifecycle_dot(model, options)
    raise ValueError(f"unknown map view {view!r} (expected one of {', '.join(VIEWS)})")


def dot_executable() -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise MissingGraphviz()
    return exe


def run_dot(dot_text: str, fmt: str = "svg", timeout: float | None = 600) -> bytes:
    """Lay out DOT text with Graphviz `dot`; raises MissingGraphviz / GraphvizError
    (GraphvizTimeout after `timeout` seconds). In a build (layout.layout_session) each DOT text
    is laid out once, within the session's timeout."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r} (expected one of {', '.join(FORMATS)})")
    session = current_session()
    if session is not None:
        return session.layout(
            dot_text,
            fmt,
            lambda limit: _laid_out(dot_text, fmt, timeout if limit is None else limit),
        )
    return _laid_out(dot_text, fmt, timeout)


def _laid_out(dot_text: str, fmt: str, timeout: float | None) -> bytes:
    if MARK in dot_text:  # the strategy map: bands drawn after the layout (banded.py)
        from .banded import render_banded

        data = render_banded(dot_text, fmt, lambda args, text: _graphviz(args, text, timeout))
    else:
        args = [dot_executable(), f"-T{fmt}"] + (["-Gdpi=144"] if fmt == "png" else [])
        data = _graphviz(args, dot_text, timeout)
    if fmt == "svg":
        data = svg_titles(data)
    return _fixed_pdf_dates(data) if fmt == "pdf" else data


def _graphviz(args: list[str], dot_text: str, timeout: float | None) -> bytes:
    """Run one Graphviz command on `dot_text`; its standard output."""
    try:
        proc = subprocess.run(
            args,
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            preexec_fn=die_with_parent,
        )
    except FileNotFoundError:
        raise MissingGraphviz() from None
    except subprocess.TimeoutExpired:  # subprocess.run killed it
        raise GraphvizTimeout(
            f"Graphviz took longer than {timeout:.0f} s to lay out the map and was stopped",
            'a build draws a summary of a map this large (docs/maps.md, "The layout budget"); '
            "`stratlang build --map-budget N` sets the size from which it does",
        ) from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphvizError(
            "Graphviz failed: " + (msg[-1] if msg else f"exit code {proc.returncode}")
        )
    return proc.stdout


def _fixed_pdf_dates(data: bytes) -> bytes:
    """cairo stamps PDFs with the current time: replace it (same length, so the xref table stays
    valid) with SOURCE_DATE_EPOCH when set, else with the epoch, so PDFs are reproducible."""
    import datetime as dt
    import os

    try:
        epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    except ValueError:
        epoch = 0
    stamp = dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y%m%d%H%M%S").encode()
    return re.sub(rb"(/(?:CreationDate|ModDate) \(D:)\d{14}", lambda mt: mt.group(1) + stamp, data)


def render_image(
    model: m.Model, view: str = "strategy", fmt: str = "svg", options: Options | None = None
) -> bytes:
    """The map as SVG, PNG or PDF bytes (needs Graphviz). In a build (layout.layout_session):
    the strategy map's summary when the map is over the layout budget."""
    session = current_session()
    if session is not None:
        return session.image(model, view, fmt, options)
    return run_dot(render_dot(model, view, options), fmt)


@register
class StrategyMap(Backend):
    name = "map.svg"
    view = "strategy"

    def render(self, model: m.Model, options: Options) -> bytes:
        return render_image(model, self.view, "svg", options)


@register
class PlaybookMap(StrategyMap):
    name = "playbook-map.svg"
    view = "playbook"
