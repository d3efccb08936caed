"""The summarised strategy map a build draws when the map is over the layout budget (layout.py).

    summary_dot(model, options) -> str     # DOT text; a few dozen nodes whatever the model's size

One band per perspective (declared order, top to bottom) headed by its name and its number of
objectives; in it one box per theme (then "no theme") with the number of that theme's
objectives in the perspective, in the theme's colour. Arrows join the boxes the links join,
as thick as the links they carry and labelled with their number, drawn upward like the full
map's (the cause under the effect); only the MAX_ARROWS heaviest are drawn, and a note over the
map says so and why the map is summarised. Deterministic: declaration order, ties by order.
"""

from __future__ import annotations

from .. import model as m
from .base import Options
from .dot import (
    DEFAULT_FONT,
    _header,
    _lang,
    _title,
    _use_font,
    _use_theme,
    text_color,
    theme_colors,
    xml,
)
from .map_themes import MapTheme

MAX_ARROWS = 60  # the heaviest connections drawn; the note counts the rest

WORDS = {
    "zh": {
        "subtitle": "概览",
        "objectives": "{n} 个战略目标",
        "to": "→ {band}：{n} 条连线",
        "no_theme": "未归属主题",
        "note": "战略地图共有 {objectives} 个战略目标、{links} 条连线，超出版面预算，此处按层面与主题汇总：",
        "boxes": "每个方框是一个层面中某一主题的目标数；层面标题列出通往其他层面的连线数，"
        "箭头是同一主题内相邻层面之间的连线数。",
        "shown": "主题内的箭头只画出连线最多的 {shown} 条（共 {total} 条）。",
        "detail": "逐项内容见 model.json 与打法手册。",
    },
    "en": {
        "subtitle": "summary",
        "objectives": "{n} objectives",
        "to": "→ {band}: {n} links",
        "no_theme": "No theme",
        "note": "The strategy map has {objectives} objectives and {links} links, more than a "
        "map can lay out; it is summarised by perspective and theme:",
        "boxes": "each box counts one theme's objectives in a perspective; a perspective's "
        "header counts its links to the others, an arrow the links within one theme from a "
        "perspective to the next.",
        "shown": "Of the {total} arrows within themes the {shown} heaviest are drawn.",
        "detail": "Every objective and link is in model.json and the playbook.",
    },
}


def _n(value: int) -> str:
    return f"{value:,}"


def _arrow(
    cause: str, effect: str, upward: bool, count: int, heaviest: int, theme: MapTheme
) -> str:
    """An arrow carrying `count` links, as thick as its share of the heaviest."""
    attrs = f'penwidth={1 + 5 * count / heaviest:.1f}, label="{_n(count)}"'
    if upward:  # the effect above its cause, drawn effect -> cause (as in the full map)
        return f"  {effect} -> {cause} [{attrs}, dir=back];"
    # downward: drawn as declared, without pulling the layout
    down = theme.downward
    return f'  {cause} -> {effect} [{attrs}, constraint=false, color="{down}", style=dashed];'


def summary_dot(model: m.Model, options: Options | None = None) -> str:
    """The summarised strategy map as DOT text (see the module doc)."""
    options = options or Options()
    lang = _lang(model, options)
    words = WORDS.get(lang, WORDS["en"])
    font = _use_font(options.font or DEFAULT_FONT)
    looks = _use_theme(options.theme)
    colors = theme_colors(model) if looks.theme_colors else {}

    # bands: declared perspectives, then any an objective names that is not declared
    bands = [(p.id, p.label or p.id) for p in model.perspectives]
    known = {pid for pid, _ in bands}
    for o in model.objectives.values():
        if o.perspective not in known:
            known.add(o.perspective)
            bands.append((o.perspective, o.perspective))
    band_index = {pid: i for i, (pid, _) in enumerate(bands)}
    themes: list[str | None] = [*model.themes, None]
    theme_index = {t: i for i, t in enumerate(themes)}

    def cell(o: m.Objective) -> tuple[int, int]:
        theme = o.theme if o.theme in theme_index else None
        return band_index[o.perspective], theme_index[theme]

    counts: dict[tuple[int, int], int] = {}
    for o in model.objectives.values():
        counts[cell(o)] = counts.get(cell(o), 0) + 1
    # the band headers count all links from one perspective to another; the arrows between the
    # boxes the links that stay within one theme from a band to the next
    between: dict[tuple[int, int], int] = {}
    arrows: dict[tuple[tuple[int, int], tuple[int, int]], int] = {}
    for link in model.links:
        a, b = model.objectives.get(link.source), model.objectives.get(link.target)
        if a is None or b is None or link.kind == "feedback":
            continue
        ca, cb = cell(a), cell(b)
        if ca[0] == cb[0]:
            continue
        between[(ca[0], cb[0])] = between.get((ca[0], cb[0]), 0) + 1
        if ca[1] == cb[1] and abs(ca[0] - cb[0]) == 1:
            arrows[(ca, cb)] = arrows.get((ca, cb), 0) + 1
    drawn = sorted(sorted(arrows, key=lambda k: (-arrows[k], k))[:MAX_ARROWS])

    n_obj, n_links = len(model.objectives), len(model.links)
    subtitle = f"{words['subtitle']} · {words['objectives'].format(n=_n(n_obj))}"
    out = _header("strategy_map_summary", font, "TB", _title(model, subtitle, lang), looks)
    out.insert(2, "  graph [ranksep=0.6, nodesep=0.25, remincross=false];")
    note = [words["note"].format(objectives=_n(n_obj), links=_n(n_links))]
    note.append(words["boxes"])
    if len(arrows) > len(drawn):
        note.append(words["shown"].format(shown=_n(len(drawn)), total=_n(len(arrows))))
    note.append(words["detail"])
    rows = "".join(f'<tr><td align="left">{xml(line)}</td></tr>' for line in note)
    out.append(
        f'  note [shape=box, style="filled", fillcolor="{looks.vp_fill}", color="{looks.vp_border}", '
        f'fontcolor="{looks.vp_words}", '
        f'label=<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{rows}'
        f"</table>>];"
    )

    # a column per theme that has objectives: a band without one keeps an invisible box there
    used = [
        ti for ti in range(len(themes)) if any((bi, ti) in counts for bi in band_index.values())
    ]
    node: dict[tuple[int, int], str] = {}
    heads: list[str] = []
    for bi, (_, plabel) in enumerate(bands):
        cells = [(bi, ti) for ti in used]
        total = sum(counts.get(c, 0) for c in cells)
        head = f"band{bi + 1}"
        heads.append(head)
        out.append(f"  subgraph cluster_band{bi + 1} {{")
        out.append(
            f'    graph [label="", style="filled,rounded", fillcolor="{looks.band_fills[bi % 2]}", '
            f'color="{looks.band_border}", penwidth={looks.band_width:g}, margin=14];'
        )
        facts = [words["objectives"].format(n=_n(total))] + [
            words["to"].format(band=bands[other][1], n=_n(count))
            for (source, other), count in sorted(between.items())
            if source == bi
        ]
        lines = "".join(f"<br/>{xml(fact)}" for fact in facts)
        out.append(
            f'    {head} [shape=box, style="filled", fillcolor="{looks.header_fill}", '
            f'color="{looks.header_border}", group=head, label=<<font '
            f'color="{looks.header_text}" point-size="13"><b>{xml(plabel)}</b></font><font '
            f'color="{looks.header_text}" point-size="10">{lines}</font>>];'
        )
        for c in cells:
            theme = themes[c[1]]
            fill = (
                colors.get(theme, looks.no_theme_fill) if theme is not None else looks.no_theme_fill
            )
            border = looks.node_border or fill
            ink = text_color(fill) if looks.theme_colors else looks.ink
            label = (model.themes[theme].label or theme) if theme is not None else words["no_theme"]
            node[c] = f"c{c[0] + 1}_{c[1] + 1}"
            hidden = ", style=invis" if c not in counts else ""
            out.append(
                f'    {node[c]} [fillcolor="{fill}", color="{border}", group=t{c[1] + 1}{hidden}, '
                f'label=<<font color="{ink}"><b>{xml(label)}</b><br/>'
                f"{_n(counts.get(c, 0))}</font>>];"
            )
        out.append(f"    {{ rank=same; {' '.join([head] + [node[c] for c in cells])} }}")
        out.append(f"    {' -> '.join([head] + [node[c] for c in cells])} [style=invis, weight=5];")
        out.append("  }")
    if heads:
        out.append(f"  note -> {heads[0]} [style=invis, weight=100];")
    for bi, (upper, lower) in enumerate(zip(heads, heads[1:])):
        out.append(f"  {upper} -> {lower} [style=invis, weight=100];")
        for ti in used:  # the theme's column stays straight
            out.append(f"  {node[(bi, ti)]} -> {node[(bi + 1, ti)]} [style=invis, weight=10];")
    heaviest = max(arrows.values(), default=1)
    for ca, cb in drawn:
        out.append(_arrow(node[ca], node[cb], cb[0] < ca[0], arrows[(ca, cb)], heaviest, looks))
    out.append("}")
    return "\n".join(out) + "\n"


__all__ = ["MAX_ARROWS", "summary_dot"]
