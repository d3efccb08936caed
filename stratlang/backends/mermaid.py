"""The strategy map and the playbook map as a Mermaid `flowchart` (`stratlang map -o map.mmd`).

    text = render_mermaid(model, view="strategy" | "playbook", options=None)   # str

GitHub, GitLab, Confluence and most Markdown editors draw Mermaid from a fenced ```mermaid block,
so the map can sit in a README or a pull request. The drawing is Mermaid's own (its layout, its
fonts); what the file keeps of the Graphviz map is its content and structure:

- Strategy view: `flowchart BT` (causes below, effects above: the links point up), a subgraph
  per perspective band in the map's order (financial first, at the top), an objective per node
  (`obj_F1["F1 财富客户AUM增长"]`; with `--targets` a line per target under it), cause-effect
  links as `-->` edges (feedback links dotted, `-.->`), labels on the edges, and a `classDef` per
  strategic theme in its colour.
- Playbook view: `flowchart LR`, a subgraph per play (segment → trigger → offer → steps) and
  the objectives it supports as shared nodes on the right.

Ids are stable: `obj_<id>`, `band_<perspective>`, `play_<id>`, `play_<id>_step<n>` (an id's
characters outside ASCII letters, digits and `_` become `u<hex>`), so a diff of two exports shows
what changed. Every label is a quoted string whose quote, `#`, `&`, `<`, `>`, `%`, `|`, backslash,
Markdown marks and line breaks are Mermaid entity codes (`#quot;`, `#35;` …), so no label can end
the string, open a comment (`%%`) or inject markup. The theme (`--theme`) picks Mermaid's own
theme (light: default, print: neutral, dark: dark) and the colours of the classes.
"""

from __future__ import annotations

import json
import re

from .. import model as m
from .. import words as w
from .base import Options
from .dot import (
    _CTRL,
    WORDS,
    _darken,
    _lang,
    _trigger_text,
    _valid_hex,
    map_bands,
    measure_text,
    play_meta,
    step_wait,
    text_color,
    theme_colors,
)
from .map_themes import MapTheme, theme_named
from .text_metrics import estimated_width

VIEWS = ("strategy", "playbook")
MERMAID_THEMES = {"light": "default", "print": "neutral", "dark": "dark"}
TARGET_COLUMNS = 36  # a target summary longer than this is cut with an ellipsis

# characters written as Mermaid entity codes inside a quoted label: the quote ends the string,
# `#` starts an entity, `|` an edge label, `<`/`>`/`&` markup, the rest Markdown (and `%%`, a
# comment, as `#37;#37;`; a single `%` as in `20%` stays readable)
_ENTITIES = {
    '"': "#quot;",
    "#": "#35;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    "\\": "#92;",
    "`": "#96;",
    "*": "#42;",
    "_": "#95;",
    "~": "#126;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
}
_NOT_ASCII_ID = re.compile(r"[^A-Za-z0-9_]")
# a label that starts like a Markdown list item or heading (`1. …`, `- …`, `+ …`): Mermaid's
# Markdown labels would draw "Unsupported markdown: list"
_LIST_START = re.compile(r"^(\s*)(\d+)([.)])|^(\s*)([-+])(\s)")


def text(s: object) -> str:
    """A label for inside `"…"`: entity codes for every character that could break out, line
    breaks and tabs as spaces, control characters dropped."""
    t = _CTRL.sub("", str(s)).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    t = t.replace("\t", " ")
    t = "".join(
        "#37;" if c == "%" and "%%" in t[max(i - 1, 0) : i + 2] else _ENTITIES.get(c, c)
        for i, c in enumerate(t)
    )

    def unlist(mt: re.Match[str]) -> str:
        if mt.group(2) is not None:
            return f"{mt.group(1)}{mt.group(2)}#{ord(mt.group(3))};"
        return f"{mt.group(4)}#{ord(mt.group(5))};{mt.group(6)}"

    return _LIST_START.sub(unlist, t)


def quoted(*lines: str) -> str:
    """A quoted label of one or more lines (joined by `<br>`, the only markup written)."""
    return '"' + "<br>".join(text(line) for line in lines) + '"'


def node_id(prefix: str, *names: str) -> str:
    """`obj_F1`, `play_p1_step2`: the prefix and the names, ASCII only (`u<hex>` for others)."""
    parts = [_NOT_ASCII_ID.sub(lambda mt: f"u{ord(mt.group(0)):x}", n) for n in names]
    return "_".join([prefix, *parts])


def _front_matter(model: m.Model, theme: MapTheme, subtitle: str | None = None) -> list[str]:
    """The title (a JSON string: valid YAML, any character escaped) and Mermaid's theme."""
    title = model.strategy.label or ""
    if subtitle:
        title = f"{title} · {subtitle}" if title else subtitle
    title = _CTRL.sub("", title).replace("\n", " ").replace("\r", " ")
    out = ["---"]
    if title:
        out.append(f"title: {json.dumps(title, ensure_ascii=False)}")
    out += ["config:", f"  theme: {MERMAID_THEMES[theme.name]}", "---"]
    return out


def _short(s: str, columns: int = TARGET_COLUMNS) -> str:
    """`s`, cut to `columns` (a CJK character is two) with an ellipsis when longer."""
    if estimated_width(s) <= columns:
        return s
    while s and estimated_width(s) > columns - 1:
        s = s[:-1]
    return s.rstrip() + "…"


def target_summary(t: m.Target, lang: str) -> str:
    """`财富中收 ≥ 1.2亿`: a target's measure and goal (its deadline is in the SVG's tooltip)."""
    return f"{t.label or t.id} {w.goal_as_written(t.op, t.value, t.high, lang)}"


def _class_def(name: str, fill: str, theme: MapTheme) -> str:
    border = theme.node_border or _darken(fill, 0.25)
    return (
        f"  classDef {name} fill:{fill},stroke:{border},stroke-width:{theme.line_width:g}px,"
        f"color:{text_color(fill)}"
    )


class _ThemeClasses:
    """The objectives' classes: one per strategic theme (`theme_<id>`, its colour) and
    `no_theme`; `lines()` writes a classDef and a `class` line for each class used."""

    def __init__(self, model: m.Model, theme: MapTheme) -> None:
        self.model, self.theme = model, theme
        self.colors = theme_colors(model)
        self.members: dict[str, list[str]] = {}
        self.fills: dict[str, str] = {}

    def add(self, o: m.Objective, nid: str) -> None:
        if o.theme and o.theme in self.model.themes:
            cls = node_id("theme", o.theme)
            fill = self.colors[o.theme] if self.theme.theme_colors else self.theme.no_theme_fill
        else:
            cls, fill = "no_theme", self.theme.no_theme_fill
        self.members.setdefault(cls, []).append(nid)
        self.fills[cls] = fill if _valid_hex(fill) else self.theme.no_theme_fill

    def lines(self) -> list[str]:
        out = []
        for cls, ids in self.members.items():
            out.append(_class_def(cls, self.fills[cls], self.theme))
            out.append(f"  class {','.join(ids)} {cls}")
        return out


def strategy_mermaid(model: m.Model, options: Options) -> str:
    lang = _lang(model, options)
    theme = theme_named(options.theme)
    out = _front_matter(model, theme)
    out.append("flowchart BT")
    bands = map_bands(model)
    ids = _Unique()
    node_of = {oid: ids(node_id("obj", oid)) for oid in model.objectives}
    classes = _ThemeClasses(model, theme)
    styles = []
    for bi, (pid, plabel) in enumerate(bands):
        members = [o for o in model.objectives.values() if o.perspective == pid]
        if not members:  # Mermaid draws an empty subgraph as a stray node
            continue
        band = ids(node_id("band", pid))
        out.append(f"  subgraph {band}[{quoted(plabel)}]")
        for o in members:
            lines = [_objective_words(o)]
            if options.show_targets:  # the goals only: deadlines make the boxes too wide
                lines += [_short(target_summary(t, lang)) for t in o.targets]
                lines += [_short(measure_text(ms, lang)) for ms in o.measures]
            out.append(f"    {node_of[o.id]}[{quoted(*lines)}]")
            classes.add(o, node_of[o.id])
        out.append("  end")
        fill = theme.band_fills[bi % 2]
        styles.append(f"  style {band} fill:{fill},stroke:{theme.band_border},color:{theme.ink}")
    for link in model.links:
        a, b = node_of.get(link.source), node_of.get(link.target)
        if a is None or b is None:
            continue
        arrow = "-.->" if link.kind == "feedback" else "-->"
        label = f"|{quoted(link.label)}|" if link.label else ""
        out.append(f"  {a} {arrow}{label} {b}")
    out += styles
    out += classes.lines()
    return "\n".join(out) + "\n"


def playbook_mermaid(model: m.Model, options: Options) -> str:
    lang = _lang(model, options)
    W = WORDS[lang]
    theme = theme_named(options.theme)
    out = _front_matter(model, theme, W["playbook_title"])
    out.append("flowchart LR")
    ids = _Unique()
    objectives: dict[str, str] = {}  # objective id -> node id, drawn once after the plays
    links: list[str] = []
    styles: list[str] = []
    boxes: dict[str, list[str]] = {"segment": [], "trigger": [], "offer": [], "step": []}
    for pi, p in enumerate(model.plays.values()):
        meta = play_meta(p, W)
        play = ids(node_id("play", p.id))
        out.append(f"  subgraph {play}[{quoted(' · '.join([p.label or p.id, *meta]))}]")
        chain: list[tuple[str, str | None]] = []
        seg = model.segments.get(p.segment) if p.segment else None
        nid = ids(f"{play}_segment")
        out.append(f"    {nid}[{quoted(W['segment'], (seg.label if seg else p.segment) or '')}]")
        boxes["segment"].append(nid)
        chain.append((nid, None))
        main, sub = _trigger_text(model, p.trigger, W, lang)
        nid = ids(f"{play}_trigger")
        out.append(f"    {nid}[{quoted(W['trigger'], main, *([sub] if sub else []))}]")
        boxes["trigger"].append(nid)
        chain.append((nid, None))
        if p.offer:
            off = model.offers.get(p.offer)
            nid = ids(f"{play}_offer")
            out.append(f"    {nid}[{quoted(W['offer'], (off.label if off else p.offer) or '')}]")
            boxes["offer"].append(nid)
            chain.append((nid, None))
        for s in p.steps:
            ch = model.channels.get(s.channel)
            sc = model.scripts.get(s.script)
            sname = (sc.label if sc else s.script) or ""
            quote = f"「{sname}」" if lang == "zh" else f"“{sname}”"
            nid = ids(f"{play}_step{s.number}")
            caption = f"{W['step']} {s.number}"
            out.append(
                f"    {nid}[{quoted(caption, (ch.label if ch else s.channel) or '', quote)}]"
            )
            boxes["step"].append(nid)
            chain.append((nid, " ".join(step_wait(s, W)) or None))
        for (a, _), (b, lab) in zip(chain, chain[1:]):
            out.append(f"    {a} -->{f'|{quoted(lab)}|' if lab else ''} {b}")
        out.append("  end")
        styles.append(
            f"  style {play} fill:{theme.band_fills[pi % 2]},stroke:{theme.band_border},"
            f"color:{theme.ink}"
        )
        for oid in p.supports:
            if oid not in model.objectives:
                continue
            if oid not in objectives:
                objectives[oid] = ids(node_id("obj", oid))
            links.append(f"  {chain[-1][0]} -.-> {objectives[oid]}")
    if not model.plays:
        out.append(f"  no_plays[{quoted(W['no_plays'])}]")
    classes = _ThemeClasses(model, theme)
    for oid, nid in objectives.items():
        o = model.objectives[oid]
        out.append(f"  {nid}[{quoted(_objective_words(o))}]")
        classes.add(o, nid)
    out += links + styles
    for kind, nids in boxes.items():
        if nids:
            style = getattr(theme, kind)
            out.append(
                f"  classDef {kind} fill:{style.fill},stroke:{style.border},"
                f"stroke-width:{theme.line_width:g}px,color:{theme.ink}"
            )
            out.append(f"  class {','.join(nids)} {kind}")
    out += classes.lines()
    return "\n".join(out) + "\n"


def _objective_words(o: m.Objective) -> str:
    return f"{o.id} {o.label or ''}".strip()


class _Unique:
    """Node ids made unique by a counter suffix (two ids may sanitise to the same text)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, nid: str) -> str:
        out, n = nid, 1
        while out in self.seen:
            n += 1
            out = f"{nid}_{n}"
        self.seen.add(out)
        return out


def render_mermaid(model: m.Model, view: str = "strategy", options: Options | None = None) -> str:
    """The map as Mermaid flowchart text."""
    options = options or Options()
    if view == "strategy":
        return strategy_mermaid(model, options)
    if view == "playbook":
        return playbook_mermaid(model, options)
    raise ValueError(f"Mermaid draws the {' and '.join(VIEWS)} maps, not {view!r}")


__all__ = ["VIEWS", "node_id", "render_mermaid", "text"]
