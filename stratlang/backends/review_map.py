"""The review map (`review-map.svg`): the strategy map with every objective coloured by its status.

    svg = review_map_svg(model, result, lang="zh")   # bytes (needs Graphviz)
    dot = review_map_dot(model, result, lang="zh")   # str

The drawing is dot.py's `strategy_dot`; this module only decides the decorations: per objective a
fill and border by status, a chip with the status symbol and word (never colour alone), its
headline actuals against their goals, a mark when a review trigger on one of its measures fired,
and a legend of the statuses. The palette, value formatting and status words are shared with the
report (`review_html.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Model
from ..review.plan import PlanMeasure
from ..review.result import MeasureReview, ReviewResult
from ..words import format_goal, format_value
from .base import Options
from .dot import Decoration, MapDecorations, run_dot, strategy_dot


@dataclass(frozen=True)
class StatusStyle:
    """One status: a symbol and a word (so colour is never the only cue), a strong colour for
    chips and lines, a light fill for boxes and bands, and the text colour on the chip."""

    symbol: str
    chip: str
    fill: str
    ink: str
    words: tuple[str, str]  # zh, en


# Colour-blind-safe (Okabe–Ito hues: bluish green, orange, vermillion), each with its own symbol.
STATUS_STYLES: dict[str, StatusStyle] = {
    "green": StatusStyle("●", "#1a7f64", "#dff1ea", "#ffffff", ("达成", "On track")),
    "amber": StatusStyle("▲", "#e69f00", "#fcefd2", "#1a202c", ("关注", "Watch")),
    "red": StatusStyle("■", "#b8460b", "#f8dfd1", "#ffffff", ("未达", "Off track")),
    "none": StatusStyle("○", "#6b7280", "#eef0f3", "#ffffff", ("无数据", "No data")),
}
STATUS_ORDER = ("green", "amber", "red", "none")  # legend order
TRIGGER_MARK = "◆"

WORDS: dict[str, tuple[str, str]] = {
    "goal": ("目标", "goal"),
    "fired": ("触发", "triggered"),
    "review": ("经营回检", "Performance review"),
    "as_of": ("截至", "as of"),
    "legend": ("回检状态", "Review status"),
    "trigger_legend": ("回检规则已触发", "review trigger fired"),
    "no_actual": ("暂无实际值", "no actual yet"),
}


def word(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return zh if lang == "zh" else en


def status_word(status: str, lang: str) -> str:
    style = STATUS_STYLES.get(status, STATUS_STYLES["none"])
    return style.words[0] if lang == "zh" else style.words[1]


def status_label(status: str, lang: str) -> str:
    """The symbol and the word: "● 达成", "▲ Watch"."""
    style = STATUS_STYLES.get(status, STATUS_STYLES["none"])
    return f"{style.symbol} {status_word(status, lang)}"


def headline(review: MeasureReview, lang: str) -> str:
    """ "2.2亿 / 目标 2.0亿" for the latest period with an actual (or "no actual yet")."""
    m = review.measure
    latest = next((p for p in reversed(review.periods) if p.actual is not None), None)
    if latest is None:
        return word("no_actual", lang)
    actual = format_value(latest.actual, m.unit, lang)
    if latest.goal is None:
        return actual
    return f"{actual} / {word('goal', lang)} {format_goal(latest.goal, latest.goal_high, m.unit, lang)}"


def measure_title(m: PlanMeasure) -> str:
    return m.label or m.id


# ---------------------------------------------------------------- decorations

MAX_LINES = 2  # headline lines per objective; the report has them all


def fired_measures(result: ReviewResult) -> dict[str, list[str]]:
    """Measure id -> the actions (or labels) of the review triggers that fired on it."""
    out: dict[str, list[str]] = {}
    for t in result.triggers:
        if t.fired:
            out.setdefault(t.measure, []).append(t.action or t.label or t.id)
    return out


def objective_decoration(
    objective_id: str, result: ReviewResult, lang: str, fired: dict[str, list[str]]
) -> Decoration:
    rollup = next((r for r in result.objectives if r.id == objective_id), None)
    status = rollup.status if rollup is not None else "none"
    style = STATUS_STYLES.get(status, STATUS_STYLES["none"])
    reviews = [mr for mr in result.measures if mr.measure.objective == objective_id]
    lines = [f"{measure_title(mr.measure)}: {headline(mr, lang)}" for mr in reviews[:MAX_LINES]]
    actions = [a for mr in reviews for a in fired.get(mr.measure.id, [])]
    lines += [f"{TRIGGER_MARK} {word('fired', lang)}: {a}" for a in actions]
    badge = status_label(status, lang)
    if rollup is not None and rollup.score is not None:
        badge += f" · {round(rollup.score * 100)}%"
    return Decoration(
        fill=style.fill,
        border=style.chip,
        badge=badge,
        badge_fill=style.chip,
        lines=tuple(lines),
        css_class=f"status-{status}" + (" trigger-fired" if actions else ""),
        penwidth=3.5 if actions else 2.0,
    )


def map_decorations(model: Model, result: ReviewResult, lang: str) -> MapDecorations:
    fired = fired_measures(result)
    decos = {oid: objective_decoration(oid, result, lang, fired) for oid in model.objectives}
    legend = [(status_label(s, lang), STATUS_STYLES[s].chip) for s in STATUS_ORDER]
    if fired:
        legend.append((f"{TRIGGER_MARK} {word('trigger_legend', lang)}", "#1a202c"))
    subtitle = f"{word('review', lang)} · {word('as_of', lang)} {result.as_of.isoformat()}"
    return MapDecorations(decos, word("legend", lang), tuple(legend), subtitle)


def review_map_dot(model: Model, result: ReviewResult, lang: str, font: str | None = None) -> str:
    options = Options(lang=lang, font=font) if font else Options(lang=lang)
    return strategy_dot(model, options, map_decorations(model, result, lang))


def review_map_svg(model: Model, result: ReviewResult, lang: str) -> bytes:
    """The review map as SVG (raises dot.MissingGraphviz / GraphvizError). In a layout session
    (a build, a review) it is laid out once however often it is drawn, and a map over the
    layout budget is drawn as the strategy map's summary (backends/layout.py)."""
    from .layout import current_session

    session = current_session()
    if session is None:
        return run_dot(review_map_dot(model, result, lang), "svg")
    return session.strategy_map(model, lambda: review_map_dot(model, result, lang), "svg")
