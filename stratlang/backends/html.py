"""The printable HTML playbook (Jinja2) and its PDF (WeasyPrint).

    html = render_playbook(model, options)       # one self-contained page, str
    pdf  = render_pdf(html, options)             # bytes; raises PdfError (with .help)

The page is rendered by a Jinja2 environment with autoescape on: every piece of user text is
escaped. Script text is never given to Jinja as a template: placeholders are found with a strict
regex (`{{ name.attr }}` only), everything else is escaped, and each allowed placeholder is
filled by a fixed one-expression template in an `ImmutableSandboxedEnvironment` whose context
holds only the names of language.md §3. Any other `{{ … }}` / `{% … %}` stays visible text.

Output is deterministic: no timestamps (unless `options.date`), no random ids, declaration order.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from .. import words as w
from ..diagnostic_words import code_words
from ..errors import StratlangError
from ..model import (
    SCRIPT_SECTIONS,
    Measure,
    Model,
    Play,
    Script,
    Step,
    Target,
    Trigger,
    Variant,
)
from .base import Backend, Options, register
from .dot import GraphvizError, render_image, run_dot
from .map_pages import svg_tiles, tiled
from .playbook_governance import governance_view, variant_views
from .playbook_tiers import tiering_views

TEMPLATES = Path(__file__).resolve().parent / "templates"


class PdfError(StratlangError):
    """The PDF could not be made (WeasyPrint missing, a glyph no font has, …)."""


# --------------------------------------------------------------------------- placeholders

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
ALLOWED_ATTRS = {
    "offer": {"label"},
    "segment": {"label"},
    "strategy": {"owner"},
    "channel": {"label"},
}

# C0 control characters (but tab and newlines) and DEL are not allowed in HTML text and have no
# glyph in any font (the PDF would refuse them): the templates hold none, so any in the page came
# from user text and is shown as U+FFFD.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_sandbox = ImmutableSandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
_sandbox_templates: dict[tuple[str, str], jinja2.Template] = {}


def _lookup(ns: str, attr: str, context: dict) -> str | None:
    """Fill one allowed placeholder through the sandbox (None: no value in this context)."""
    if context.get(ns, {}).get(attr) is None:
        return None
    key = (ns, attr)
    tmpl = _sandbox_templates.get(key)
    if tmpl is None:  # ns and attr are plain identifiers from the whitelist: a fixed template
        tmpl = _sandbox_templates[key] = _sandbox.from_string(f"{{{{ {ns}[{attr!r}] }}}}")
    safe_ctx = {k: dict(v) for k, v in context.items() if k in ALLOWED_ATTRS}
    return tmpl.render(**safe_ctx)


def render_script_text(text: str, context: dict, model: Model, lang: str) -> Markup:
    """Script text as HTML: escaped, with placeholders marked.

    `{{ customer.FIELD }}` (FIELD in the schema) becomes a shaded chip naming the field; the other
    allowed placeholders are filled from `context` and underlined; anything else is shown as typed.
    """
    out: list[str] = []
    pos = 0
    fields = model.schema.fields if model.schema is not None else {}
    for m in PLACEHOLDER.finditer(text):
        out.append(str(escape(text[pos : m.start()])))
        ns, attr = m.group(1), m.group(2)
        raw = m.group(0)
        if ns == "customer" and attr in fields:
            label, _, _ = w.field_words(attr, lang)
            shown = ("客户" + label) if lang == "zh" else f"customer {label}"
            out.append(
                f'<span class="ph" title="{escape("customer." + attr)}">{escape(shown)}</span>'
            )
        elif attr in ALLOWED_ATTRS.get(ns, ()):
            value = _lookup(ns, attr, context)
            if value is None:
                out.append(f'<span class="ph">{escape(ns + "." + attr)}</span>')
            else:  # already escaped by the sandbox's autoescape
                out.append(f'<span class="fill" title="{escape(ns + "." + attr)}">{value}</span>')
        else:
            out.append(str(escape(raw)))
        pos = m.end()
    out.append(str(escape(text[pos:])))
    html = "".join(out).replace("\n", "<br>\n")
    return Markup(html)


# --------------------------------------------------------------------------- maps (inline SVG)

_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)
_SCRIPT = re.compile(
    r"<script\b.*?</script\s*>|<foreignObject\b.*?</foreignObject\s*>", re.S | re.I
)
_EVENT_ATTR = re.compile(r"""\s+on[a-zA-Z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_TAG = re.compile(r"<[^>]*>")
_JS_HREF = re.compile(r"""((?:xlink:)?href\s*=\s*["'])\s*javascript:[^"']*""", re.I)


def inline_svg(svg: bytes | str, prefix: str) -> Markup:
    """An SVG document made fit to sit inside the page: no prolog/doctype/comments, every id
    prefixed (so two maps never collide), no scripts or event handlers, scaled to the width."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    text = _PROLOG.sub("", text)
    text = _SCRIPT.sub("", text)
    text = _TAG.sub(lambda m: _EVENT_ATTR.sub("", m.group(0)), text)
    text = _JS_HREF.sub(r"\1#", text)
    text = re.sub(r'\bid="([^"]*)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]*)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = re.sub(
        r'((?:xlink:)?href)="#([^"]*)"', lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', text
    )

    def fix_root(m: re.Match[str]) -> str:
        tag = m.group(0)
        tag = re.sub(r'\s(width|height)="[^"]*"', "", tag)
        return tag[:-1].rstrip() + ' class="map" preserveAspectRatio="xMidYMin meet">'

    text = re.sub(r"<svg\b[^>]*>", fix_root, text, count=1)
    return Markup(text.strip())


def _maps(model: Model, options: Options, lang: str) -> list[dict]:
    out = []
    for view, key, prefix, file in (
        ("strategy", "strategy_map", "sm", "map.svg"),
        ("playbook", "playbook_map", "pm", "playbook-map.svg"),
        ("lifecycle", "lifecycle_map", "lm", "lifecycle-map.svg"),
    ):
        item = {
            "title": w.t(key, lang),
            "id": f"map-{view}",
            "svg": None,
            "error": None,
            "note": None,
        }
        try:
            svg = render_image(model, view, "svg", options).decode("utf-8")
            item["svg"] = svg_tiles(svg, inline_svg, prefix)  # page-sized tiles in print
            if not tiled(svg):
                item["note"] = w.t("map_untiled", lang, file=file)
        except GraphvizError as e:  # Graphviz missing or failing: the playbook still renders
            item["error"] = str(e) or type(e).__name__
        out.append(item)
    return out + _transition_charts(model, options, lang)


def _transition_charts(model: Model, options: Options, lang: str) -> list[dict]:
    """After `build --data … --previous …`: a flow chart per tiering and the lifecycle, the
    customers' states before (left) and now (right), arrows as wide as the customers they carry."""
    from .lifecycle_map import transition_charts

    out = []
    for i, (title, dot_text) in enumerate(transition_charts(model, options, lang)):
        item = {
            "title": title,
            "id": f"transitions-{i + 1}",
            "svg": None,
            "error": None,
            "note": None,  # the template reads every map's note
        }
        try:
            item["svg"] = inline_svg(run_dot(dot_text), f"tr{i + 1}")
        except GraphvizError as e:
            item["error"] = str(e) or type(e).__name__
        out.append(item)
    return out


# --------------------------------------------------------------------------- channel chart


def segment_size(model: Model, sid: str | None, counts: dict | None) -> tuple[float | None, bool]:
    """(size, real) of a segment: the real count when given, else the estimate."""
    if sid is None:
        return None, False
    real = ((counts or {}).get("segments") or {}).get(sid)
    if real is not None:
        return real, True
    seg = model.segments.get(sid)
    return (seg.estimate if seg is not None else None), False


def channel_demand(model: Model, counts: dict | None) -> list[dict]:
    """Per channel: demand per day (segment size × (1 − control) ÷ days of the play's period,
    summed over the plays with a step on the channel) against capacity per day."""
    rows = []
    for ch in model.channels.values():
        demand, plays, unknown = 0.0, [], []
        for p in model.plays.values():
            if not any(s.channel == ch.id for s in p.steps):
                continue
            size, _ = segment_size(model, p.segment, counts)
            days = model.window_days(p)
            if size is None or days is None:
                unknown.append(p.id)
                continue
            per_day = size * (1 - (p.control or 0) / 100) / days
            demand += per_day
            plays.append({"id": p.id, "label": p.label, "per_day": per_day})
        cap = ch.capacity.per_day if ch.capacity is not None else None
        rows.append(
            {
                "id": ch.id,
                "label": ch.label,
                "demand": demand,
                "capacity": cap,
                "unlimited": ch.capacity is not None and ch.capacity.amount is None,
                "plays": plays,
                "unknown": unknown,
                "over": cap is not None and demand > cap,
            }
        )
    return rows


# presentation attributes, not classes: WeasyPrint does not style inline SVG from the page's CSS
_FONT = 'font-family="Noto Sans CJK SC, Noto Sans, sans-serif"'
_A = {
    "axis": f'font-size="11" fill="#5a6475" {_FONT}',
    "lbl": f'font-size="12" fill="#1a202c" {_FONT}',
    "num": f'font-size="11" fill="#1a202c" {_FONT}',
    "numover": f'font-size="11" fill="#c53030" font-weight="bold" {_FONT}',
    "track": 'fill="#eef3f8"',
    "bar": 'fill="#3b77b0"',
    "over": 'fill="#c53030"',
    "cap": 'stroke="#1a202c" stroke-width="2.5"',
}


def _demand_words(row: dict, lang: str) -> str:
    """A channel's demand per day: 未知 / unknown when no play on it has a known size; a lower
    bound (`≥ 1,200（1个策略规模未知）`) when some have."""
    if row["unknown"] and not row["plays"]:
        return w.t("unknown", lang)
    n = w.format_number(round(row["demand"]), lang)
    if row["unknown"]:
        return "≥ " + n + w.t("demand_partly_unknown", lang, n=len(row["unknown"]))
    return n


def channel_chart(rows: list[dict], lang: str) -> Markup:
    """Horizontal bars: demand per day (filled) against capacity (dark tick), one row per channel."""
    if not rows:
        return Markup("")
    label_w, bar_w, row_h, top = 170, 400, 34, 28
    width = label_w + bar_w + 130
    height = top + row_h * len(rows) + 10
    scale_max = max([r["demand"] for r in rows] + [r["capacity"] or 0 for r in rows] + [1])
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(w.t("channel_plan", lang))}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{label_w}" y="14" {_A["axis"]}>{escape(w.t("demand", lang))}</text>',
        f'<rect x="{label_w + 150}" y="5" width="12" height="10" {_A["bar"]}/>',
        f'<line x1="{label_w + 250}" y1="3" x2="{label_w + 250}" y2="17" {_A["cap"]}/>',
        f'<text x="{label_w + 256}" y="14" {_A["axis"]}>{escape(w.t("capacity", lang))}</text>',
    ]
    for i, r in enumerate(rows):
        y = top + i * row_h
        label = r["label"] if len(r["label"]) <= 18 else r["label"][:17] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" {_A["lbl"]}>{escape(label)}</text>'
        )
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" {_A["track"]}/>')
        dw = min(bar_w, bar_w * r["demand"] / scale_max)
        cls = "over" if r["over"] else "bar"
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{dw:.1f}" height="18" {_A[cls]}/>')
        if r["capacity"] is not None:
            cx = label_w + min(bar_w, bar_w * r["capacity"] / scale_max)
            parts.append(f'<line x1="{cx:.1f}" y1="{y}" x2="{cx:.1f}" y2="{y + 26}" {_A["cap"]}/>')
            cap_txt = w.format_number(round(r["capacity"]), lang)
        else:
            cap_txt = w.t("unlimited", lang)
        txt = f"{_demand_words(r, lang)} / {cap_txt}"
        parts.append(
            f'<text x="{label_w + bar_w + 8}" y="{y + 17}" {_A["numover" if r["over"] else "num"]}>'
            f"{escape(txt)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


# --------------------------------------------------------------------------- view model


@dataclass
class _Ctx:
    model: Model
    lang: str
    currency: str | None


def _money(v: float | None, c: _Ctx) -> str:
    return w.format_money(v, c.lang, c.currency)


def _trigger_words(model: Model, trig: Trigger | None, lang: str) -> str:
    if trig is None:
        return w.t("trigger_none", lang)
    if trig.kind == "event":
        ev = model.events.get(trig.ref) if trig.ref is not None else None
        name = ev.label if ev is not None else (trig.ref or "")
        if trig.within_days:
            return w.t(
                "trigger_event_within", lang, e=name, d=w.format_days(trig.within_days, lang)
            )
        return w.t("trigger_event", lang, e=name)
    if trig.kind == "lifecycle":
        return w.t("trigger_lifecycle", lang, s=w.t(trig.ref or "", lang))
    if trig.kind == "schedule":
        return w.t("trigger_schedule", lang, s=w.t(trig.ref or "", lang))
    if trig.kind == "rule":
        return w.t("trigger_rule", lang, r=w.rule_in_words(trig.rule, model, lang))
    if trig.kind in ("enters", "leaves"):  # a transition since the previous data
        seg = model.segments.get(trig.ref or "")
        return w.t(f"trigger_{trig.kind}", lang, g=seg.label if seg else trig.ref)
    if trig.kind == "becomes":
        return w.t("trigger_becomes", lang, s=w.t(trig.ref or "", lang))
    return trig.kind


def _trigger_description(model: Model, trig: Trigger | None) -> str | None:
    """The description of the event a play waits for (shown under the trigger)."""
    if trig is None or trig.kind != "event" or trig.ref is None:
        return None
    ev = model.events.get(trig.ref)
    return ev.description if ev is not None else None


def _target_row(t: Target, c: _Ctx, owner: str | None = None, objective: str | None = None) -> dict:
    return {
        "id": t.id,
        "label": t.label or t.id,
        "goal": w.goal_words(t.op, t.value, t.high, c.lang, c.currency),
        "baseline": w.format_quantity(t.baseline, c.lang, c.currency) if t.baseline else "—",
        "by": w.format_date(t.by, c.lang) if t.by else "—",
        "milestones": [w.milestone_words(ms, c.lang, c.currency) for ms in t.milestones],
        "settings": " · ".join(w.review_settings(t, c.lang)) or None,
        "tracked": False,
        "empty": False,
        "owner": owner or "—",
        "objective": objective,
    }


def _empty_row(objective: str, owner: str | None, lang: str) -> dict:
    """An objective with neither target nor measure in the targets table (MAP406 warns of it)."""
    return {
        "id": "",
        "label": w.t("no_target", lang),
        "goal": "—",
        "baseline": "—",
        "by": "—",
        "milestones": [],
        "settings": None,
        "tracked": False,
        "empty": True,
        "owner": owner or "—",
        "objective": objective,
    }


def _measure_row(
    ms: Measure, c: _Ctx, owner: str | None = None, objective: str | None = None
) -> dict:
    """A tracked measure in a targets table: no goal, no baseline, no deadline."""
    return {
        "id": ms.id,
        "label": ms.label or ms.id,
        "goal": w.t("no_goal", c.lang),
        "baseline": "—",
        "by": "—",
        "milestones": [],
        "settings": " · ".join(w.review_settings(ms, c.lang)) or None,
        "tracked": True,
        "empty": False,
        "owner": owner or "—",
        "objective": objective,
    }


def _script_view(
    model: Model, script: Script, play: Play, step: Step, lang: str, variant: Variant | None = None
) -> dict:
    # `{{ offer.label }}` reads as the offers of the step that first sends the script
    offers = [model.offers[o] for o in play.offers_of(step, variant) if o in model.offers]
    seg = model.segments.get(play.segment) if play.segment else None
    ch = model.channels.get(script.channel or step.channel or "")
    context = {
        "offer": {"label": " + ".join(o.label for o in offers) if offers else None},
        "segment": {"label": seg.label if seg else None},
        "strategy": {"owner": model.strategy.owner},
        "channel": {"label": ch.label if ch else None},
    }
    sections, spoken = [], []
    for name in SCRIPT_SECTIONS:
        st = script.sections.get(name)
        if st is None:
            continue
        sections.append(
            {
                "name": name,
                "title": w.t(name, lang),
                "html": render_script_text(st.text, context, model, lang),
            }
        )
        spoken.append(PLACEHOLDER.sub("某某", st.text))
    objections = [
        {
            "q": render_script_text(o.question, context, model, lang),
            "a": render_script_text(o.answer, context, model, lang),
        }
        for o in script.objections
    ]
    secs = w.reading_seconds("\n".join(spoken))
    return {
        "id": script.id,
        "label": script.label,
        "description": script.description,
        "channel": ch.label if ch else (script.channel or ""),
        "sections": sections,
        "objections": objections,
        "reading": w.t("reading_time", lang, t=w.format_seconds(secs, lang)),
        "seconds": secs,
    }


def _step_offers(model: Model, play: Play, step: Step, lang: str) -> list[dict]:
    """The offers a step makes (its own, else the play's), each with its kind and risk; empty
    when the step makes the play's offer (shown once at the top of the card)."""
    if not step.offers:
        return []
    out = []
    for oid in step.offers:
        offer = model.offers.get(oid)
        out.append(
            {
                "label": offer.label if offer else oid,
                "kind": w.t(offer.kind, lang) if offer and offer.kind else None,
                "risk": offer.risk if offer else None,
                "description": offer.description if offer else None,
            }
        )
    return out


def _play_view(model: Model, p: Play, c: _Ctx, counts: dict | None) -> dict:
    lang = c.lang
    seg = model.segments.get(p.segment) if p.segment else None
    offer = model.offers.get(p.offer) if p.offer else None
    size, real = segment_size(model, p.segment, counts)
    play_count = ((counts or {}).get("plays") or {}).get(p.id)
    own = any(st.offers for st in p.steps)  # some step makes its own offers
    steps, scripts, seen, day = [], [], set(), 0.0
    for st in p.steps:
        day += st.after_days or 0
        ch = model.channels.get(st.channel)
        sc = model.scripts.get(st.script)
        steps.append(
            {
                "n": st.number,
                "title": w.t("step", lang, n=st.number),
                "day": w.t("day", lang, n=w._trim(day)),
                "after": w.t("after", lang, d=w.format_days(st.after_days, lang))
                if st.after_days
                else None,
                "channel": ch.label if ch else st.channel,
                "script": sc.label if sc else st.script,
                "script_id": st.script,
                "unless": st.unless_converted,
                "offers": _step_offers(model, p, st, lang),
            }
        )
        if sc is not None and sc.id not in seen:
            seen.add(sc.id)
            scripts.append(_script_view(model, sc, p, st, lang))
    for v in p.variants:  # the scripts only an arm's own steps send
        for st in v.steps:
            sc = model.scripts.get(st.script)
            if sc is not None and sc.id not in seen:
                seen.add(sc.id)
                scripts.append(_script_view(model, sc, p, st, lang, v))
    expected = None
    if play_count is not None:
        expected = w.format_number(play_count, lang)
    elif size is not None:
        expected = w.format_number(round(size * (1 - (p.control or 0) / 100)), lang)
    return {
        "id": p.id,
        "label": p.label,
        "anchor": f"play-{p.id}",
        "segment": seg.label if seg else (p.segment or "—"),
        "segment_anchor": f"seg-{seg.id}" if seg else None,
        "rule": w.rule_in_words(model.segment_rule(seg.id), model, lang) if seg else "",
        "when": _trigger_words(model, p.trigger, lang),
        "offer": offer.label if offer else (w.t("offers_each_step", lang) if own else "—"),
        "offers_by_step": offer is not None and own,
        "offer_risk": offer.risk if offer else None,
        "offer_kind": w.t(offer.kind, lang) if offer and offer.kind else None,
        "offer_description": offer.description if offer else None,
        "when_description": _trigger_description(model, p.trigger),
        "steps": steps,
        "scripts": scripts,
        "supports": [(o, model.objectives[o].label) for o in p.supports if o in model.objectives],
        "targets": [_target_row(t, c) for t in p.targets]
        + [_measure_row(ms, c) for ms in p.measures],
        "control": f"{w._trim(p.control)}%" if p.control else w.t("no_control", lang),
        "priority": p.priority,
        "owner": p.owner or "—",
        "budget": _money(p.budget, c) if p.budget is not None else "—",
        "period": w.format_period(p.period or model.strategy.period, lang),
        "size": w.format_number(size, lang) if size is not None else w.t("unknown", lang),
        "size_real": real,
        "expected": expected or w.t("unknown", lang),
        "description": p.description,
        "variants": variant_views(model, p, lang),
    }


def _makes(play: Play, offer: str) -> bool:
    """Whether a play makes `offer`: as its own offer, in a step, or in a variant arm."""
    if play.offer == offer or any(offer in st.offers for st in play.steps):
        return True
    return any(v.offer == offer or any(offer in st.offers for st in v.steps) for v in play.variants)


def _total(values: Iterable[float | None]) -> float | None:
    """The sum of the values given; None (shown as —) when none is given, never a made-up 0."""
    given = [v for v in values if v is not None]
    return sum(given) if given else None


def css_string(text: str) -> Markup:
    """A CSS string literal holding `text`: every character but ASCII letters and digits
    (spaces too: a space after an escape would be eaten) is a 6-digit escape, so nothing can end
    the string or the <style> element."""
    out = "".join(ch if (ch.isascii() and ch.isalnum()) else f"\\{ord(ch):06x}" for ch in text)
    return Markup(f'"{out}"')


def build_view(model: Model, options: Options) -> dict:
    lang = w.lang_of(model, options.lang)
    s = model.strategy
    c = _Ctx(model, lang, s.currency)
    counts = options.counts or {}
    persp_label = {p.id: p.label for p in model.perspectives}
    targets = []
    for o in model.objectives.values():
        rows = [_target_row(t, c, owner=o.owner, objective=o.label) for t in o.targets]
        rows += [_measure_row(ms, c, owner=o.owner, objective=o.label) for ms in o.measures]
        if not rows:  # every objective is listed, with its description, even without a target
            rows = [_empty_row(o.label, o.owner, lang)]
        for i, row in enumerate(rows):
            row["objective_id"] = o.id
            row["perspective"] = persp_label.get(o.perspective, o.perspective)
            row["objective_description"] = o.description if i == 0 else None
            targets.append(row)
    themes = [
        {
            "id": th.id,
            "label": th.label,
            "description": th.description,
            "objectives": [(o.id, o.label) for o in model.objectives.values() if o.theme == th.id],
        }
        for th in model.themes.values()
    ]
    segments = []
    for sg in model.segments.values():
        real = (counts.get("segments") or {}).get(sg.id)
        parent = model.segments.get(sg.extends) if sg.extends is not None else None
        segments.append(
            {
                "id": sg.id,
                "label": sg.label,
                "anchor": f"seg-{sg.id}",
                "rule": w.rule_in_words(model.segment_rule(sg.id), model, lang),
                "extends": parent.label if parent is not None else sg.extends,
                "lifecycle": w.t(sg.lifecycle, lang) if sg.lifecycle else None,
                "estimate": w.format_number(sg.estimate, lang) if sg.estimate is not None else None,
                "count": w.format_number(real, lang) if real is not None else None,
                "profile": [(w.t(k, lang), v) for k, v in sg.profile.items()],
                "description": sg.description,
                "plays": [(p.id, p.label) for p in model.plays.values() if p.segment == sg.id],
            }
        )
    plays = [_play_view(model, p, c, counts) for p in model.plays.values()]
    offers = [
        {
            "id": o.id,
            "label": o.label,
            "kind": w.t(o.kind, lang) if o.kind else "—",
            "risk": o.risk or "—",
            "description": o.description,
            "plays": [(p.id, p.label) for p in model.plays.values() if _makes(p, o.id)],
        }
        for o in model.offers.values()
    ]
    events = [
        {
            "id": e.id,
            "label": e.label,
            "description": e.description,
            "plays": [
                (p.id, p.label)
                for p in model.plays.values()
                if p.trigger is not None and p.trigger.kind == "event" and p.trigger.ref == e.id
            ],
        }
        for e in model.events.values()
    ]
    rows = channel_demand(model, counts)
    channels = []
    for ch, r in zip(model.channels.values(), rows):
        cap = ch.capacity
        if cap is None:
            cap_txt = "—"
        elif cap.amount is None:
            cap_txt = w.t("unlimited", lang)
        else:
            per = {"day": ("每日", "per day"), "week": ("每周", "per week")}.get(
                cap.per, (cap.per, cap.per)
            )
            cap_txt = (
                (per[0] + w.format_number(cap.amount, lang))
                if lang == "zh"
                else f"{w.format_number(cap.amount, lang)} {per[1]}"
            )
        channels.append(
            {
                "label": ch.label,
                "id": ch.id,
                "kind": w.t(ch.kind, lang) if ch.kind else "—",
                "capacity": cap_txt,
                "demand": _demand_words(r, lang),
                "over": r["over"],
                "description": ch.description,
                "cost": _money(ch.cost, c) if ch.cost is not None else "—",
                "quiet": f"{ch.quiet[0].strftime('%H:%M')}–{ch.quiet[1].strftime('%H:%M')}"
                if ch.quiet
                else "—",
                "cap": w.t("cap_value", lang, n=ch.cap[0], d=w._trim(ch.cap[1])) if ch.cap else "—",
                "plays": ", ".join(
                    [p["label"] for p in r["plays"]] + [model.plays[p].label for p in r["unknown"]]
                )
                or "—",
            }
        )
    initiatives = [
        {
            "id": i.id,
            "label": i.label,
            "owner": i.owner or "—",
            "budget": _money(i.budget, c) if i.budget is not None else "—",
            "period": w.format_period(i.period, lang) if i.period else "—",
            "supports": ", ".join(
                model.objectives[o].label for o in i.supports if o in model.objectives
            ),
            "description": i.description,
        }
        for i in model.initiatives.values()
    ]
    reviews = [
        {
            "id": r.id,
            "label": r.label or r.id,
            "condition": w.review_condition(r, model, lang),
            "measure": r.measure,
            "action": r.action or "—",
            "owner": r.owner or "—",
            "description": r.description,
        }
        for r in model.reviews.values()
    ]
    gaps = [
        {
            "id": g.id,
            "label": g.label or g.id,
            "estimate": _money(g.estimate.value, c) if g.estimate is not None else "—",
            "objectives": [
                (o, model.objectives[o].label) for o in g.objectives if o in model.objectives
            ],
            "initiatives": [
                (i, model.initiatives[i].label) for i in g.initiatives if i in model.initiatives
            ],
            "description": g.description,
        }
        for g in model.gaps.values()
    ]
    play_budget = _total(p.budget for p in model.plays.values())
    init_budget = _total(i.budget for i in model.initiatives.values())
    total_budget = _total((play_budget, init_budget))
    warnings = []
    for d in sorted(options.warnings or [], key=lambda d: d.sort_key()):
        sp = d.span
        f = sp.file if sp is not None else ""
        if f and os.path.isabs(f):
            f = os.path.basename(f)
        sev = str(d.severity)
        # zh: the code's Chinese description, the checker's English message kept as the detail
        summary = code_words(d.code, lang) if lang == "zh" else None
        warnings.append(
            {
                "code": d.code,
                "severity": sev,
                "severity_text": w.t("warn_" + sev, lang),
                "message": summary or d.message,
                "detail": d.message if summary else None,
                "location": f"{f}:{sp.line}:{sp.column}" if sp else "",
            }
        )
    sections = [
        ("targets", w.t("targets_table", lang)),
        ("maps", w.t("maps", lang)),
        ("segments", w.t("segments", lang)),
    ]
    if offers or events:
        sections.append(("offers-events", w.t("offers_events", lang)))
    sections += [
        ("plays", w.t("plays", lang)),
        ("channels", w.t("channel_plan", lang)),
    ]
    governance = governance_view(model, lang)
    if governance is not None:
        sections.append(("governance", w.t("governance", lang)))
    sections += [("initiatives", w.t("initiatives", lang))]
    if reviews or gaps:
        sections.append(("review-loop", w.t("review_loop", lang)))
    sections.append(("warnings", w.t("warnings", lang)))
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "T": lambda key, **kw: w.t(key, lang, **kw),
        "strategy": {
            "label": s.label,
            "owner": s.owner or "—",
            "period": w.format_period(s.period, lang),
            "version": s.version,
            "currency": s.currency,
            "description": s.description,
            "value_proposition": w.t(s.value_proposition, lang) if s.value_proposition else None,
            "mission": s.mission,
            "vision": s.vision,
        },
        "date": options.date,
        "header_css": css_string(f"{s.label} · {w.t('playbook', lang)}"),
        "sections": sections,
        "targets": targets,
        "themes": themes,
        "offers": offers,
        "events": events,
        "maps": _maps(model, options, lang),
        "segments": segments,
        "tierings": tiering_views(model, counts, lang),
        "plays": plays,
        "channels": channels,
        "chart": channel_chart(rows, lang),
        "governance": governance,
        "initiatives": initiatives,
        "reviews": reviews,
        "gaps": gaps,
        "budget": {
            "plays": _money(play_budget, c),
            "initiatives": _money(init_budget, c),
            "total": _money(total_budget, c),
        },
        "warnings": warnings,
    }


_env: jinja2.Environment | None = None


def _environment() -> jinja2.Environment:
    global _env
    if _env is None:
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        _env.globals["css"] = Markup((TEMPLATES / "playbook.css").read_text(encoding="utf-8"))
    return _env


def render_playbook(model: Model, options: Options | None = None) -> str:
    """The playbook as one self-contained HTML page (str)."""
    options = options or Options()
    view = build_view(model, options)
    return _CONTROL.sub("\ufffd", _environment().get_template("playbook.html.j2").render(**view))


# --------------------------------------------------------------------------- PDF


class _GlyphWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.missing: list[str] = []
        self.other: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if ".notdef" in msg or "glyph" in msg.lower():
            self.missing.append(msg)


def render_pdf(html: str, options: Options | None = None) -> bytes:
    """Print the playbook page to PDF with WeasyPrint (fonts embedded, A4).

    A character that no installed font can draw is an error (PdfError), never a silent box."""
    try:
        import weasyprint
    except Exception as e:  # ImportError, or OSError when pango is missing
        raise PdfError(
            f"WeasyPrint cannot be loaded: {e}",
            help="install it with `pip install 'stratlang[pdf]'` (WeasyPrint; it needs the pango library)",
        ) from None
    watch = _GlyphWatch()
    loggers = [logging.getLogger("weasyprint"), logging.getLogger("fontTools")]
    for lg in loggers:
        lg.addHandler(watch)
    try:
        pdf = weasyprint.HTML(string=html, base_url=None).write_pdf()
    except Exception as e:
        raise PdfError(f"the PDF could not be made: {type(e).__name__}: {e}") from None
    finally:
        for lg in loggers:
            lg.removeHandler(watch)
    if watch.missing:
        chars = sorted(set(re.findall(r"U\+[0-9A-F]{4,6}", " ".join(watch.missing))))
        raise PdfError(
            f"the PDF would show empty boxes: no installed font has the glyph(s) {', '.join(chars) or '?'}",
            help="install a font covering these characters (e.g. fonts-noto-cjk for Chinese) "
            "or remove them from the text",
        )
    return pdf


@register
class Playbook(Backend):
    name = "playbook.html"

    def render(self, model: Model, options: Options) -> str:
        return render_playbook(model, options)


@register
class PlaybookPdf(Backend):
    name = "playbook.pdf"

    def wanted(self, options: Options) -> bool:
        return options.pdf

    def render(self, model: Model, options: Options) -> bytes:
        html = options.rendered.get(Playbook.name) or render_playbook(model, options)
        return render_pdf(html, options)
