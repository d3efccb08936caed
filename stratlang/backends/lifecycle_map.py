"""The lifecycle map (`lifecycle-map.svg`): the customer lifecycle as five columns, left to right.

acquisition → activation → growth → retention → winback (`language.LIFECYCLES`). In each column:
the stage's segments (a segment's `lifecycle`) with their rule in words and, after `build --data`,
their member counts; and the plays that act there — a play whose segment is in the stage, or
whose trigger is `when lifecycle S` / `when lifecycle becomes S` (then it is drawn in S, linked
from its segment). Between the stages' headers: the customer flow. Without `--previous` it is the
nominal path (dashed, no numbers); with it, one arrow per pair of stages customers moved between,
labelled with how many (`counts["transitions"]`, from `engine.transitions`).

The same escaping and layout rules as the other maps (backends/dot.py): generated node ids,
HTML-like labels of escaped text, deterministic output in declaration order.
"""

from __future__ import annotations

from .. import model as m
from .. import words as w
from ..language import LIFECYCLES
from .base import Backend, Options, register
from .dot import (
    DEFAULT_FONT,
    _header,
    _Ids,
    _lang,
    _node_label,
    _number,
    _title,
    _use_font,
    render_image,
)

STAGE_FILLS = ("#ebf8ff", "#e6fffa", "#f0fff4", "#fffff0", "#fff5f5")
STAGE_COLORS = ("#2b6cb0", "#2c7a7b", "#2f855a", "#b7791f", "#c53030")
RULE_WRAP = 34  # a rule in words: columns per line in a segment box


def play_stage(model: m.Model, play: m.Play) -> str | None:
    """Where a play acts: the stage its trigger names, else its segment's stage."""
    t = play.trigger
    if t is not None and t.kind in ("lifecycle", "becomes") and t.ref in LIFECYCLES:
        return t.ref
    seg = model.segments.get(play.segment or "")
    return seg.lifecycle if seg is not None else None


def stage_moves(counts: dict | None) -> dict[tuple[str, str], int]:
    """(from stage, to stage) -> customers, for customers who changed stage (after --previous)."""
    lc = ((counts or {}).get("transitions") or {}).get("dimensions", {}).get("lifecycle")
    if not lc or lc.get("kind") != "lifecycle":
        return {}
    return {
        (c["from"], c["to"]): c["customers"]
        for c in lc["matrix"]
        if c["change"] == "move" and c["customers"]
    }


def lifecycle_dot(model: m.Model, options: Options) -> str:
    lang = _lang(model, options)
    new = _Ids()
    counts = options.counts or {}
    out = _header(
        "lifecycle_map",
        _use_font(options.font or DEFAULT_FONT),
        "TB",
        _title(model, w.t("lifecycle_map", lang)),
    )
    # every node id first, so a play can be linked from a segment in a later column
    segs = {s.id: new() for s in model.segments.values() if s.lifecycle in LIFECYCLES}
    plays = {p.id: new() for p in sorted(model.plays.values(), key=lambda p: p.order)}
    heads = {stage: new() for stage in LIFECYCLES}
    links: list[str] = []
    for i, stage in enumerate(LIFECYCLES):
        out.append(f"  subgraph cluster_{stage} {{")
        out.append(
            f'    graph [style="filled,rounded", fillcolor="{STAGE_FILLS[i]}", color="#cbd5e0", '
            'label="", margin=12];'
        )
        out.append(
            f'    {heads[stage]} [shape=box, style="filled", fillcolor="{STAGE_COLORS[i]}", '
            f'color="{STAGE_COLORS[i]}", fontcolor="#ffffff", fontsize=15, '
            f"label=<<b>{_stage_title(stage, lang)}</b>>];"
        )
        body = _column(model, stage, segs, plays, counts, lang, out, links)
        if not body:
            body.append(new())
            out.append(
                f'    {body[0]} [shape=plaintext, style="", fontcolor="#718096", '
                f"label=<{_esc(w.t('lc_none', lang))}>];"
            )
        # the column top to bottom: header, then each segment followed by its plays
        for a, b in zip([heads[stage], *body], body):
            out.append(f"    {a} -> {b} [style=invis, weight=20];")
        out.append("  }")
    out.append(f"  {{ rank=same; {' '.join(heads.values())} }}")
    out.extend(links)
    out.extend(_flow(heads, stage_moves(counts), lang))
    out.append("}")
    return "\n".join(out) + "\n"


def _column(
    model: m.Model,
    stage: str,
    segs: dict[str, str],
    plays: dict[str, str],
    counts: dict,
    lang: str,
    out: list[str],
    links: list[str],
) -> list[str]:
    """Emit one stage's nodes into `out` (segment, then the stage's plays on it; then the plays
    here on segments elsewhere) and their segment -> play arrows into `links`; the node order."""
    color = STAGE_COLORS[LIFECYCLES.index(stage)]
    seg_counts = counts.get("segments", {}) if isinstance(counts, dict) else {}
    here = [
        p
        for p in sorted(model.plays.values(), key=lambda p: p.order)
        if play_stage(model, p) == stage
    ]
    body: list[str] = []
    for seg in model.segments.values():
        if seg.lifecycle != stage:
            continue
        body.append(segs[seg.id])
        sub = w.rule_in_words(seg.rule, model, lang) if seg.rule is not None else None
        caption = w.t("lc_segment", lang)
        if seg.id in seg_counts:
            caption += " · " + w.t("lc_customers", lang, n=_number(seg_counts[seg.id], lang))
        out.append(
            f'    {segs[seg.id]} [fillcolor="#ffffff", color="{color}", label=<'
            f"{_node_label(caption, seg.label or seg.id, sub, color, RULE_WRAP)}>];"
        )
        body += [_play_node(model, p, plays[p.id], lang, out) for p in here if p.segment == seg.id]
    body += [
        _play_node(model, p, plays[p.id], lang, out)
        for p in here
        if p.segment not in segs or model.segments[p.segment].lifecycle != stage
    ]
    for p in here:
        if p.segment in segs:
            same = model.segments[p.segment].lifecycle == stage
            links.append(
                f'  {segs[p.segment]} -> {plays[p.id]} [color="#805ad5"'
                + ("" if same else ", constraint=false")
                + "];"
            )
    return body


def _play_node(model: m.Model, p: m.Play, nid: str, lang: str, out: list[str]) -> str:
    from .html import _trigger_words

    out.append(
        f'    {nid} [shape=box, style="filled", fillcolor="#faf5ff", color="#805ad5", label=<'
        f"{_node_label(w.t('lc_play', lang), p.label or p.id, _trigger_words(model, p.trigger, lang), '#6b46c1', 24)}>];"
    )
    return nid


def _flow(heads: dict[str, str], moves: dict[tuple[str, str], int], lang: str) -> list[str]:
    """Arrows between the stage headers: the customers who moved (after --previous), else the
    nominal path, dashed."""
    if not moves:
        return [
            f'  {heads[a]} -> {heads[b]} [style=dashed, color="#a0aec0", weight=100];'
            for a, b in zip(LIFECYCLES, LIFECYCLES[1:])
        ]
    lines = [
        f"  {heads[a]} -> {heads[b]} [style=invis, weight=100];"
        for a, b in zip(LIFECYCLES, LIFECYCLES[1:])
    ]
    for (a, b), n in sorted(
        moves.items(), key=lambda kv: (LIFECYCLES.index(kv[0][0]), LIFECYCLES.index(kv[0][1]))
    ):
        width = 1.2 + min(4.0, n / max(moves.values()) * 4)
        label = _esc(w.t("lc_moved", lang, n=_number(n, lang)))
        lines.append(
            f'  {heads[a]} -> {heads[b]} [color="#2d3748", penwidth={width:.1f}, '
            f"constraint=false, label=<<b>{label}</b>>"
            # back to an earlier stage: over the top, so it does not cover the forward arrow
            + (", tailport=n, headport=n" if LIFECYCLES.index(a) > LIFECYCLES.index(b) else "")
            + "];"
        )
    return lines


def _stage_title(stage: str, lang: str) -> str:
    """The stage in the page's language only (获客, not 获客 acquisition: a Chinese page is Chinese)."""
    return _esc(w.t(stage, lang))


def _esc(text: str) -> str:
    from .dot import xml

    return xml(text)


def render_lifecycle(model: m.Model, fmt: str = "svg", options: Options | None = None) -> bytes:
    return render_image(model, "lifecycle", fmt, options)


@register
class LifecycleMap(Backend):
    name = "lifecycle-map.svg"

    def render(self, model: m.Model, options: Options) -> bytes:
        return render_lifecycle(model, "svg", options)


def transition_charts(model: m.Model, options: Options, lang: str) -> list[tuple[str, str]]:
    """(title, DOT) of a flow chart per dimension of `counts["transitions"]` (tierings, then the
    lifecycle): its states before on the left, now on the right, `none` (in no state, or not in
    that table) last; one arrow per from → to cell, as wide as its share of customers."""
    dims = ((options.counts or {}).get("transitions") or {}).get("dimensions", {})
    charts = []
    for dim, d in dims.items():
        tiering = model.tierings.get(dim)
        name = (tiering.label or dim) if tiering else w.t("lifecycle", lang)
        title = (
            f"{w.t('transitions', lang)}：{name}"
            if lang == "zh"
            else f"{w.t('transitions', lang)}: {name}"
        )
        charts.append((title, _transition_dot(model, d, lang, options.font or DEFAULT_FONT)))
    return charts


def _state_label(model: m.Model, state: str, lang: str) -> str:
    if state == "none":
        return w.t("tr_none", lang)
    seg = model.segments.get(state)
    if seg is not None:
        return seg.label or state
    return w.t(state, lang)


def _transition_dot(model: m.Model, d: dict, lang: str, font: str) -> str:
    new = _Ids()
    out = _header("transitions", font, "LR", "")
    states = [*d["states"], "none"]
    total = max([c["customers"] for c in d["matrix"]] or [1])
    left = {s: new() for s in states}
    right = {s: new() for s in states}
    # two columns, before and now: each a header over its states, in state order top to bottom
    # (a rank of its own, ordered by flat invisible edges; no clusters, which would let dot
    # reorder them), rows aligned by an invisible edge between a state's two nodes
    for side, caption in ((left, "tr_from"), (right, "tr_to")):
        head = new()
        out.append(
            f'  {head} [shape=plaintext, style="", fontsize=14, label=<<b>{_esc(w.t(caption, lang))}</b>>];'
        )
        for s in states:
            fill = "#edf2f7" if s == "none" else "#ebf8ff"
            label = _esc(_state_label(model, s, lang))
            out.append(f'  {side[s]} [fillcolor="{fill}", color="#3182ce", label=<{label}>];')
        column = [head, *(side[x] for x in states)]
        out.append(f"  {{ rank=same; {' '.join(column)} }}")
        out.extend(f"  {a} -> {b} [style=invis, weight=1000];" for a, b in zip(column, column[1:]))
    out.extend(f"  {left[s]} -> {right[s]} [style=invis, weight=10];" for s in states)
    colors = {
        "upgrade": "#2f855a",
        "downgrade": "#c53030",
        "move": "#2b6cb0",
        "entry": "#805ad5",
        "exit": "#718096",
        "same": "#cbd5e0",
    }
    for c in d["matrix"]:
        width = 0.8 + c["customers"] / total * 8
        label = f"{_number(c['customers'], lang)} {w.t(c['change'], lang)}"
        out.append(
            f'  {left[c["from"]]} -> {right[c["to"]]} [color="{colors[c["change"]]}", '
            f"penwidth={width:.1f}, label=<{_esc(label)}>];"
        )
    out.append("}")
    return "\n".join(out) + "\n"
