"""The review report (`review.html`, `review.pdf`) and `render_review`, which gives every review file.

    files = render_review(model, result, lang="zh", level=None, pdf=False)
    # {"review-map.svg": bytes, "review.html": str, "review.json": str[, "review.pdf": bytes]}

The report has three levels, each a section that can be handed out alone (`level=`):
战略层 / strategy (the review map, perspectives and themes, fired triggers, performance gaps),
经营层 / operations (every objective and target by owner, with a trend chart per target) and
业务层 / business (each play's targets and its lift over the control group, each A/B arm against
control with the winner, every play against the holdout, and the contacts per channel against
the channel's capacity in each period).

Like the playbook (html.py, whose Jinja environment, SVG inlining and PDF printing it reuses):
autoescaped user text, no scripts, A4 print, deterministic bytes. Charts are inline SVG written
here from the few scored periods, with presentation attributes (WeasyPrint does not style inline
SVG from the page's CSS). These files need a ReviewResult, so they are not build backends.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .. import words as w
from ..model import Model
from ..review.outcomes import p_at_most, p_text
from ..review.report import review_json
from ..review.result import (
    ChannelUse,
    MeasureReview,
    PeriodScore,
    PlayOutcome,
    ProgrammeOutcome,
    ReviewResult,
    Rollup,
    VariantOutcome,
    Winner,
)
from ..review.stats import MIN_CONTACTED, MIN_CONVERTED
from .dot import GraphvizError
from .html import TEMPLATES, _environment, css_string, inline_svg, render_pdf
from .review_map import (
    STATUS_ORDER,
    STATUS_STYLES,
    TRIGGER_MARK,
    measure_title,
    review_map_svg,
    status_label,
)

LEVELS = ("strategy", "operations", "business")

TEXT: dict[str, tuple[str, str]] = {
    "title": ("经营回检报告", "Performance review"),
    "as_of": ("截至", "As of"),
    "period": ("战略周期", "Strategy period"),
    "overall": ("整体状态", "Overall status"),
    "score": ("达成度", "Attainment"),
    "legend": ("状态说明", "Status key"),
    "legend_note": (
        "达成：达到当期目标；关注：未达目标但差距在容差内（默认10%）；未达：差距超出容差；无数据：本期尚无实际值。",
        "On track: the period's goal is met; Watch: missed by no more than the tolerance (10% "
        "unless set); Off track: missed by more; No data: no actual for the period yet.",
    ),
    "strategy": ("战略层 · 战略回检", "Strategy level"),
    "strategy_lead": (
        "供管理层：战略地图各目标的状态、视角与主题汇总、已触发的回检规则与业绩差距。",
        "For the leadership: the status of every objective on the strategy map, perspectives "
        "and themes, the review triggers that fired, and the performance gaps.",
    ),
    "operations": ("经营层 · 目标执行", "Operations level"),
    "operations_lead": (
        "供经营部门：按负责部门列出每个目标与指标的最新实际、当期目标、偏差、趋势与预测。",
        "For the operating departments: every objective and target by owner — latest actual "
        "against its goal, deviation, trend and forecast.",
    ),
    "business": ("业务层 · 经营打法", "Business level"),
    "business_lead": (
        "供一线团队：每个经营打法的指标结果、相对对照组的提升与置信区间，以及各渠道触达量与产能。",
        "For the front line: each play's target results, its lift over the control group "
        "with a confidence interval, and the contacts per channel against its capacity.",
    ),
    "map": ("回检地图", "Review map"),
    "map_unavailable": ("此处无法生成地图：", "The map could not be drawn here: "),
    "perspectives": ("视角汇总", "Perspectives"),
    "themes": ("主题汇总", "Themes"),
    "name": ("名称", "Name"),
    "status": ("状态", "Status"),
    "scored": ("已有实际 / 指标数", "With actuals / targets"),
    "triggers": ("已触发的回检规则", "Review triggers fired"),
    "no_triggers": ("本期没有触发回检规则。", "No review trigger fired."),
    "not_fired": ("另有 {n} 条规则未触发。", "{n} other trigger(s) did not fire."),
    "trigger": ("规则", "Trigger"),
    "action": ("行动", "Action"),
    "owner": ("负责人", "Owner"),
    "evidence": ("依据", "Evidence"),
    "gaps": ("业绩差距", "Performance gaps"),
    "gaps_note": (
        "差距：最新实际距当期目标还差多少；到期差距：按当前趋势的预测值距最终目标还差多少（“可达成”表示预测已达到目标）。",
        "Gap: how far the latest actual is behind the period's goal; final gap: how far the "
        "forecast on current trend falls short of the final target (“reached”: it meets it).",
    ),
    "reached": ("可达成", "reached"),
    "no_gaps": ("所有指标均已达成当期目标。", "Every target meets its goal for the period."),
    "measure": ("指标", "Target"),
    "objective": ("战略目标", "Objective"),
    "actual": ("实际", "Actual"),
    "goal": ("目标", "Goal"),
    "gap": ("差距", "Gap"),
    "final_target": ("最终目标", "Final target"),
    "forecast": ("趋势预测", "Forecast"),
    "final_gap": ("到期差距", "Final gap"),
    "deviation": ("偏差", "Deviation"),
    "trend": ("环比", "Change"),
    "note": ("备注", "Note"),
    "no_owner": ("未指定负责人", "No owner"),
    "no_actual": ("暂无实际值", "no actual yet"),
    "forecast_sentence": (
        "按当前趋势，{by} 达到 {value}，目标 {target}",
        "on current trend reaches {value} of {target} by {by}",
    ),
    "no_forecast": ("实际值不足两期，暂无趋势预测", "fewer than two actuals: no forecast yet"),
    "play_targets": ("指标结果", "Target results"),
    "lift": ("相对对照组的提升", "Lift over control"),
    "treatment": ("实验组转化率", "Treatment rate"),
    "control": ("对照组转化率", "Control rate"),
    "ci": ("95% 置信区间", "95% interval"),
    "significant": ("显著", "significant"),
    "not_significant": ("不显著", "not significant"),
    "no_control": (
        "无对照组结果：仅有转化率不能说明打法的效果。",
        "No control-group result: conversion alone is not a result.",
    ),
    "no_plays": ("尚无经营打法。", "No plays yet."),
    "arms_period": ("{period} 方案对比", "Variants in {period}"),
    "variant": ("方案", "Variant"),
    "contacted": ("触达", "Contacted"),
    "conversion": ("转化率", "Conversion"),
    "lift_vs_control": ("较对照提升", "Lift vs control"),
    "significant_col": ("显著", "Significant"),
    "control_group": ("对照组", "Control"),
    "arms_note": (
        "较对照提升：方案转化率减对照组转化率（括号内为 95% 置信区间）。显著：两比例 z 检验（合并比例），"
        "同一打法同一期的全部比较（各方案对对照组、方案两两之间）经 Holm 校正后 p < 0.05。",
        "Lift vs control: the arm's rate minus the control rate (95% interval in brackets). "
        "Significant: the pooled two-proportion z-test, Holm-adjusted over every comparison of "
        "the play and period (each arm against control, each pair of arms), p < 0.05.",
    ),
    "winner": (
        "胜出方案：{arm}——显著优于对照组及其他所有方案（Holm 校正后 {p}）。",
        "Winner: {arm} — significantly better than control and every other arm "
        "(Holm-adjusted {p}).",
    ),
    "no_winner_no_control": (
        "暂无胜出方案：没有对照组结果，无法与对照组比较。",
        "No winner: there is no control-group result to compare the arms with.",
    ),
    "no_winner_too_small": (
        "暂无胜出方案：样本太少（{group} 触达 {n}、转化 {x}；每组至少需触达 {min_n}、转化 {min_x}）。",
        "No winner: the sample is too small ({group}: {n} contacted, {x} converted; every "
        "group needs at least {min_n} contacted and {min_x} conversions).",
    ),
    "no_winner_not_above_control": (
        "暂无胜出方案：没有方案显著优于对照组。",
        "No winner: no arm beats control significantly.",
    ),
    "no_winner_best_not_above_control": (
        "暂无胜出方案：转化率最高的方案 {arm} 未显著优于对照组（{p}）。",
        "No winner: the best arm, {arm}, does not beat control significantly ({p}).",
    ),
    "no_winner_not_told_apart": (
        "暂无胜出方案：方案 {a} 与 {b} 无法区分（{p}）。",
        "No winner: arms {a} and {b} are not told apart ({p}).",
    ),
    "programme": ("全部打法对比全局留存组", "All plays against the holdout"),
    "programme_line": (
        "{period}：全部打法实验组转化率 {t}（触达 {nt}），全局留存组 {h}（{nh}）；提升 {lift}"
        "（95% 置信区间 {ci}），{p}，{sig}。",
        "{period}: every play's treatment {t} ({nt} contacted), holdout {h} ({nh}); lift "
        "{lift} (95% interval {ci}), {p}, {sig}.",
    ),
    "programme_note": (
        "全局留存组：不参与任何打法的客户。每期一次两比例 z 检验（合并比例），p < 0.05 为显著。",
        "The holdout: customers no play contacts. One pooled two-proportion z-test a period; "
        "significant when p < 0.05.",
    ),
    "pp": ("个百分点", "pp"),
    "channels": ("渠道触达与产能", "Contacts per channel against capacity"),
    "channels_period": ("{period} 渠道使用", "Channels in {period}"),
    "channel": ("渠道", "Channel"),
    "contacts": ("触达量", "Contacts"),
    "capacity": ("产能", "Capacity"),
    "utilisation": ("使用率", "Utilisation"),
    "unlimited": ("不限", "unlimited"),
    "over_capacity": ("超出产能", "over capacity"),
    "channels_note": (
        "触达量：各经营打法实验组经该渠道触达的客户数之和（对照组不触达，不计入）。产能：渠道的日产能 × 当期天数"
        "（周产能 × 天数 ÷ 7，月产能 × 月数）；使用率超过100%即超出产能。",
        "Contacts: the customers of every play's treatment group contacted through the channel "
        "(the control group is not contacted, so it does not count). Capacity: the channel's "
        "capacity per day × the days in the period (per week × days ÷ 7, per month × months); "
        "over 100% is over capacity.",
    ),
    "contents": ("目录", "Contents"),
    "none": ("—", "—"),
}


def t(key: str, lang: str, **kw: object) -> str:
    zh, en = TEXT[key]
    s = zh if lang == "zh" else en
    return s.format(**kw) if kw else s


# C0 controls have no glyph (shown as U+FFFD, as in the playbook); bidi embeddings, overrides and
# isolates are removed, so a label cannot reverse the text that follows it in the page.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_page(html: str) -> str:
    return _BIDI.sub("", _CONTROL.sub("\ufffd", html))


# --------------------------------------------------------------------------- charts

_FONT = 'font-family="Noto Sans CJK SC, Noto Sans, sans-serif"'
_AXIS = f'font-size="9" fill="#5a6475" {_FONT}'


def _f(x: float) -> str:
    """A coordinate: one decimal, no -0."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


@dataclass(frozen=True)
class Frame:
    """A chart's plot area and value range; y(v) maps a value to its height."""

    left: float
    top: float
    width: float
    height: float
    vmin: float
    vmax: float

    def y(self, v: float) -> float:
        return self.top + (self.vmax - v) / (self.vmax - self.vmin) * self.height


def zones(
    op: str | None, low: float, high: float | None, tol: float
) -> list[tuple[str, float, float]]:
    """The status bands of one period's goal: (status, from, to) — open ends are ±inf."""
    inf = float("inf")
    if op in (">=", ">"):
        edge = low - tol * abs(low)
        return [("green", low, inf), ("amber", edge, low), ("red", -inf, edge)]
    if op in ("<=", "<"):
        edge = low + tol * abs(low)
        return [("green", -inf, low), ("amber", low, edge), ("red", edge, inf)]
    if op == "between" and high is not None:
        lo_edge, hi_edge = low - tol * abs(low), high + tol * abs(high)
        return [
            ("green", low, high),
            ("amber", lo_edge, low),
            ("amber", high, hi_edge),
            ("red", -inf, lo_edge),
            ("red", hi_edge, inf),
        ]
    return []


def _value_range(review: MeasureReview) -> tuple[float, float]:
    tol = review.measure.tolerance
    values: list[float] = []
    for p in review.periods:
        values += [v for v in (p.actual, p.goal, p.goal_high) if v is not None]
        if p.goal is not None:  # the amber band's far edge stays in view
            for _, a, b in zones(review.measure.op, p.goal, p.goal_high, tol):
                values += [v for v in (a, b) if abs(v) != float("inf")]
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    return lo - pad, hi + pad


def _bands(review: MeasureReview, fr: Frame, step: float) -> list[str]:
    out = []
    m = review.measure
    for i, p in enumerate(review.periods):
        if p.goal is None:
            continue
        x = fr.left + i * step
        for status, a, b in zones(m.op, p.goal, p.goal_high, m.tolerance):
            a, b = max(a, fr.vmin), min(b, fr.vmax)
            if b <= a:
                continue
            out.append(
                f'<rect class="band band-{status}" x="{_f(x)}" y="{_f(fr.y(b))}" '
                f'width="{_f(step)}" height="{_f(fr.y(a) - fr.y(b))}" '
                f'fill="{STATUS_STYLES[status].fill}"/>'
            )
    return out


def _goal_lines(review: MeasureReview, fr: Frame, xs: list[float]) -> list[str]:
    out = []
    for attr in ("goal", "goal_high"):
        pts = [
            f"{_f(x)},{_f(fr.y(getattr(p, attr)))}"
            for x, p in zip(xs, review.periods)
            if getattr(p, attr) is not None
        ]
        if len(pts) == 1:  # one period: a short level segment
            x, y = pts[0].split(",")
            pts = [f"{_f(float(x) - 12)},{y}", f"{_f(float(x) + 12)},{y}"]
        if pts:
            out.append(
                f'<polyline class="goal" points="{" ".join(pts)}" fill="none" stroke="#1a202c" '
                f'stroke-width="1.4" stroke-dasharray="4 3"/>'
            )
    return out


def _actual_marks(review: MeasureReview, fr: Frame, xs: list[float], lang: str) -> list[str]:
    m = review.measure
    pts = [(x, p) for x, p in zip(xs, review.periods) if p.actual is not None]
    out = []
    if len(pts) > 1:
        line = " ".join(f"{_f(x)},{_f(fr.y(p.actual))}" for x, p in pts if p.actual is not None)
        out.append(
            f'<polyline class="actual" points="{line}" fill="none" stroke="#1f4e79" '
            f'stroke-width="2"/>'
        )
    for x, p in pts:
        assert p.actual is not None
        style = STATUS_STYLES.get(p.status, STATUS_STYLES["none"])
        tip = (
            f"{p.period}: {w.format_value(p.actual, m.unit, lang)} ({status_label(p.status, lang)})"
        )
        out.append(
            f'<circle class="pt status-{p.status}" data-period="{escape(p.period)}" '
            f'cx="{_f(x)}" cy="{_f(fr.y(p.actual))}" r="3.6" fill="{style.chip}" '
            f'stroke="#1a202c" stroke-width="0.8"><title>{escape(tip)}</title></circle>'
        )
    return out


def _round3(v: float) -> float:
    """Three significant digits, for axis labels."""
    return float(f"{v:.3g}")


def trend_chart(review: MeasureReview, lang: str) -> Markup:
    """Actuals as a line over the periods, the goal as a dashed line, status bands behind."""
    periods = review.periods
    if not periods:
        return Markup("")
    width, height = 300, 118
    lo, hi = _value_range(review)
    fr = Frame(left=52, top=8, width=width - 60, height=height - 30, vmin=lo, vmax=hi)
    step = fr.width / len(periods)
    xs = [fr.left + (i + 0.5) * step for i in range(len(periods))]
    unit = review.measure.unit
    parts = [
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(measure_title(review.measure))}" '
        f'data-min="{lo!r}" data-max="{hi!r}" data-top="{_f(fr.top)}" '
        f'data-bottom="{_f(fr.top + fr.height)}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{_f(fr.left)}" y="{_f(fr.top)}" width="{_f(fr.width)}" '
        f'height="{_f(fr.height)}" fill="#ffffff" stroke="#d5dbe3"/>',
        *_bands(review, fr, step),
        *_goal_lines(review, fr, xs),
        *_actual_marks(review, fr, xs, lang),
        f'<text x="{_f(fr.left - 4)}" y="{_f(fr.top + 8)}" text-anchor="end" {_AXIS}>'
        f"{escape(w.format_value(_round3(hi), unit, lang))}</text>",
        f'<text x="{_f(fr.left - 4)}" y="{_f(fr.top + fr.height)}" text-anchor="end" {_AXIS}>'
        f"{escape(w.format_value(_round3(lo), unit, lang))}</text>",
    ]
    for x, p in zip(xs, periods):
        parts.append(
            f'<text x="{_f(x)}" y="{height - 8}" text-anchor="middle" {_AXIS}>'
            f"{escape(p.period)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def attainment_bar(score: float | None, status: str) -> Markup:
    """A bar from 0 to 150% attainment with a tick at 100%."""
    style = STATUS_STYLES.get(status, STATUS_STYLES["none"])
    label = "—" if score is None else f"{round(score * 100)}%"
    return _track_bar("bar", label, 0.0 if score is None else score, style.chip)


def _track_bar(cls: str, label: str, value: float, colour: str) -> Markup:
    """A bar filled from 0 to `value` (clamped to 0 .. 1.5), with a tick at 1 (two thirds)."""
    width, height, full = 150, 14, 100.0
    filled = max(0.0, min(value, 1.5)) * full
    return Markup(
        f'<svg class="{cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="0" y="2" width="{width}" height="10" fill="#eef3f8"/>'
        f'<rect class="fill" x="0" y="2" width="{_f(filled)}" height="10" fill="{colour}"/>'
        f'<line x1="{_f(full)}" y1="0" x2="{_f(full)}" y2="{height}" stroke="#1a202c" '
        f'stroke-width="1.5"/></svg>'
    )


def lift_chart(o: PlayOutcome | VariantOutcome | ProgrammeOutcome) -> Markup:
    """The lift (dot) with its 95% interval (bar) against zero (line)."""
    if o.lift is None or o.ci_low is None or o.ci_high is None:
        return Markup("")
    width, height = 160, 18
    lo, hi = min(o.ci_low, 0.0), max(o.ci_high, 0.0)
    span = (hi - lo) * 1.15 or 0.01
    lo -= (span - (hi - lo)) / 2

    def x(v: float) -> str:
        return _f(6 + (v - lo) / span * (width - 12))

    color = STATUS_STYLES["green" if o.ci_low > 0 else "none"].chip
    return Markup(
        f'<svg class="lift" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="lift" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{x(0)}" y1="1" x2="{x(0)}" y2="{height - 1}" stroke="#5a6475"/>'
        f'<line x1="{x(o.ci_low)}" y1="9" x2="{x(o.ci_high)}" y2="9" stroke="{color}" '
        f'stroke-width="4"/>'
        f'<circle cx="{x(o.lift)}" cy="9" r="4" fill="#1a202c"/></svg>'
    )


OVER_MARK = "■"  # the symbol of an over-capacity channel (red's, in the status palette)


def utilisation_bar(use: float | None, over: bool) -> Markup:
    """A bar from 0 to 150% utilisation with a tick at 100% (capacity); none when unlimited."""
    if use is None:
        return Markup("")
    colour = STATUS_STYLES["red"].chip if over else "#1f4e79"
    cls = "bar use over" if over else "bar use"
    return _track_bar(cls, f"{round(use * 100)}%", use, colour)


# --------------------------------------------------------------------------- view model


def _chip(status: str, lang: str) -> dict[str, str]:
    style = STATUS_STYLES.get(status, STATUS_STYLES["none"])
    return {"status": status, "text": status_label(status, lang), "bg": style.chip, "fg": style.ink}


def _score(score: float | None) -> str:
    return "—" if score is None else f"{round(score * 100)}%"


def _rollup_row(r: Rollup, label: str, lang: str) -> dict[str, object]:
    return {
        "id": r.id,
        "label": label,
        "chip": _chip(r.status, lang),
        "score": _score(r.score),
        "bar": attainment_bar(r.score, r.status),
        "scored": f"{r.scored} / {r.measures}",
    }


def _latest(review: MeasureReview) -> PeriodScore | None:
    return next((p for p in reversed(review.periods) if p.actual is not None), None)


def _signed_pct(x: float) -> str:
    return f"{x * 100:+.1f}%".replace("-", "−")


def _deviation(p: PeriodScore | None) -> str:
    if p is None or p.actual is None or p.goal is None:
        return "—"
    if p.goal_high is not None and p.goal <= p.actual <= p.goal_high:
        return _signed_pct(0.0)
    goal = p.goal_high if p.goal_high is not None and p.actual > p.goal_high else p.goal
    return _signed_pct((p.actual - goal) / abs(goal)) if goal else "—"


def _change(review: MeasureReview, lang: str) -> str:
    if review.change is None:
        return "—"
    arrow = "↑" if review.change > 0 else "↓" if review.change < 0 else "→"
    text = w.format_value(abs(review.change), review.measure.unit, lang)
    if review.measure.unit == "ratio":  # a change of a ratio is a number, not 1:x
        text = w.format_value(abs(review.change), "number", lang)
    return f"{arrow} {text}"


def forecast_sentence(review: MeasureReview, lang: str) -> str:
    fc, unit = review.forecast, review.measure.unit
    if fc is None:
        return t("no_forecast", lang)
    by = w.format_date(fc.by, lang) if lang == "zh" else fc.by.isoformat()
    target = w.format_goal(fc.target, fc.target_high, unit, lang)
    return t(
        "forecast_sentence", lang, by=by, value=w.format_value(fc.value, unit, lang), target=target
    )


def measure_row(review: MeasureReview, lang: str) -> dict[str, object]:
    m, p = review.measure, _latest(review)
    return {
        "id": m.id,
        "label": measure_title(m),
        "period": p.period if p else "—",
        "actual": w.format_value(p.actual, m.unit, lang) if p else t("no_actual", lang),
        "goal": w.format_goal(p.goal, p.goal_high, m.unit, lang) if p else "—",
        "deviation": _deviation(p),
        "chip": _chip(review.status, lang),
        "trend": _change(review, lang),
        "forecast": forecast_sentence(review, lang),
        "note": p.note if p is not None and p.note else None,
        "chart": trend_chart(review, lang),
        "points": sum(1 for q in review.periods if q.actual is not None),
    }


def _behind(gap: float | None, op: str | None, unit: str, lang: str) -> str:
    """How far a value is behind its goal, in the goal's direction (the engine's gap is goal −
    value, which is ahead for `<=`); nothing behind reads "reached"."""
    if gap is None:
        return "—"
    behind = -gap if op in ("<=", "<") else gap
    return w.format_value(behind, unit, lang) if behind > 0 else t("reached", lang)


def gap_rows(result: ReviewResult, model: Model, lang: str) -> list[dict[str, object]]:
    """The strategy's targets behind their goal (amber or red), with both gaps in numbers."""
    rows: list[dict[str, object]] = []
    for r in result.measures:
        m, p = r.measure, _latest(r)
        if m.objective is None or r.status not in ("amber", "red") or p is None:
            continue
        obj = model.objectives.get(m.objective)
        fc = r.forecast
        rows.append(
            {
                "objective": obj.label if obj is not None and obj.label else m.objective,
                "label": measure_title(m),
                "period": p.period,
                "goal": w.format_goal(p.goal, p.goal_high, m.unit, lang),
                "actual": w.format_value(p.actual, m.unit, lang),
                "gap": _behind(r.gap, m.op, m.unit, lang),
                "final_target": w.format_goal(m.value, m.high, m.unit, lang),
                "forecast": w.format_value(fc.value, m.unit, lang) if fc else "—",
                "final_gap": _behind(r.final_gap, m.op, m.unit, lang),
                "chip": _chip(r.status, lang),
            }
        )
    return rows


def trigger_rows(result: ReviewResult, model: Model, lang: str) -> list[dict[str, object]]:
    """The fired triggers: the condition in the playbook's words (the declared review's, else the
    measure's name), action, owner and the periods that fired it."""
    rows: list[dict[str, object]] = []
    for tr in result.triggers:
        if not tr.fired:
            continue
        m = result.plan.measure(tr.measure)
        declared = model.reviews.get(tr.id)
        unit = m.unit if m is not None else "number"
        evidence = [
            f"{e.period}: {w.format_value(e.actual, unit, lang)} / {t('goal', lang)} "
            f"{w.format_value(e.goal, unit, lang)}"
            + (
                f" ({t('deviation', lang)} {e.deviation * 100:.1f}%)"
                if e.deviation is not None
                else ""
            )
            for e in tr.evidence
        ]
        rows.append(
            {
                "label": tr.label or tr.id,
                "measure": w.review_condition(declared, model, lang)
                if declared is not None
                else measure_title(m)
                if m is not None
                else tr.measure,
                "action": tr.action or "—",
                "owner": tr.owner or "—",
                "evidence": evidence,
            }
        )
    return rows


def owner_groups(result: ReviewResult, model: Model, lang: str) -> list[dict[str, object]]:
    """Objectives (and their targets) grouped by owner, owners in order of first appearance."""
    groups: dict[str, list[dict[str, object]]] = {}
    rollups = {r.id: r for r in result.objectives}
    for oid, obj in model.objectives.items():
        reviews = [r for r in result.measures if r.measure.objective == oid]
        rollup = rollups.get(oid)
        if not reviews or rollup is None:
            continue
        groups.setdefault(obj.owner or t("no_owner", lang), []).append(
            {
                **_rollup_row(rollup, obj.label or oid, lang),
                "measures": [measure_row(r, lang) for r in reviews],
            }
        )
    return [{"owner": owner, "objectives": objs} for owner, objs in groups.items()]


def _rate(g: object) -> str:
    r = getattr(g, "rate", None)
    return "—" if r is None else f"{r * 100:.2f}%"


def _lift_texts(
    o: PlayOutcome | VariantOutcome | ProgrammeOutcome, lang: str
) -> tuple[str, str] | None:
    """The lift and its 95% interval in percentage points; None without them."""
    if o.lift is None or o.ci_low is None or o.ci_high is None:
        return None
    pp = t("pp", lang)
    return (
        f"{o.lift * 100:+.2f} {pp}".replace("-", "−"),
        f"{o.ci_low * 100:+.2f} ~ {o.ci_high * 100:+.2f} {pp}".replace("-", "−"),
    )


def _outcome_row(o: PlayOutcome, lang: str) -> dict[str, object]:
    row: dict[str, object] = {
        "period": o.period,
        "treatment": _rate(o.treatment),
        "control": _rate(o.control),
        "chart": lift_chart(o),
    }
    texts = _lift_texts(o, lang)
    if texts is None or o.ci_low is None or o.ci_high is None:
        row.update(lift=None, ci=None, significant=None)
        return row
    sig = o.ci_low > 0 or o.ci_high < 0
    row.update(
        lift=texts[0],
        ci=texts[1],
        significant=t("significant" if sig else "not_significant", lang),
    )
    return row


def _significance(significant: bool | None, lang: str) -> str:
    if significant is None:
        return "—"
    return t("significant" if significant else "not_significant", lang)


def _arm_row(v: VariantOutcome, lang: str) -> dict[str, object]:
    texts = _lift_texts(v, lang)
    return {
        "id": v.variant,
        "label": v.label,
        "contacted": "—" if v.treatment is None else w.format_number(v.treatment.contacted, lang),
        "rate": _rate(v.treatment),
        "lift": texts[0] if texts else "—",
        "ci": texts[1] if texts else "",
        "significant": _significance(v.significant, lang),
        "p": "" if v.p_value is None else p_text(v.p_value).replace(" ", "\u00a0"),  # one line
        "chart": lift_chart(v),
    }


def winner_line(winner: Winner, labels: dict[str, str], lang: str) -> str:
    """The winner, or why there is none, in the report's language."""
    names = [t("control_group", lang) if n == "control" else labels.get(n, n) for n in winner.names]
    if winner.variant is not None:
        return t("winner", lang, arm=names[0], p=p_at_most(winner.p_value))
    key = f"no_winner_{winner.code}"
    if winner.code == "too_small":
        return t(
            key,
            lang,
            group=names[0],
            n=winner.contacted,
            x=winner.converted,
            min_n=MIN_CONTACTED,
            min_x=MIN_CONVERTED,
        )
    if winner.code == "best_not_above_control":
        return t(key, lang, arm=names[0], p=p_text(winner.p_value))
    if winner.code == "not_told_apart":
        return t(key, lang, a=names[0], b=names[1], p=p_text(winner.p_value))
    return t(key, lang)


def arm_tables(o: PlayOutcome, lang: str) -> dict[str, object] | None:
    """One play's period with variants: a row per arm, the control row and the winner line."""
    if not o.variants or o.winner is None:
        return None
    labels = {v.variant: v.label for v in o.variants}
    control = {
        "contacted": "—" if o.control is None else w.format_number(o.control.contacted, lang),
        "rate": _rate(o.control),
    }
    return {
        "period": o.period,
        "title": t("arms_period", lang, period=o.period),
        "rows": [_arm_row(v, lang) for v in o.variants],
        "control": control,
        "winner": o.winner.variant,
        "line": winner_line(o.winner, labels, lang),
    }


def play_views(result: ReviewResult, model: Model, lang: str) -> list[dict[str, object]]:
    plays = []
    for pid, play in model.plays.items():
        reviews = [r for r in result.measures if r.measure.play == pid]
        mine = [o for o in result.plays if o.play == pid]
        outcomes = [_outcome_row(o, lang) for o in mine]
        plays.append(
            {
                "id": pid,
                "label": play.label or pid,
                "owner": play.owner or "—",
                "measures": [measure_row(r, lang) for r in reviews],
                "outcomes": outcomes,
                "has_lift": any(o["lift"] is not None for o in outcomes),
                "arms": [a for a in (arm_tables(o, lang) for o in mine) if a is not None],
            }
        )
    return plays


def programme_lines(result: ReviewResult, lang: str) -> list[dict[str, object]]:
    """Per period with holdout rows: every play's treatment against the holdout, one line."""
    lines: list[dict[str, object]] = []
    for p in result.programme:
        texts = _lift_texts(p, lang)
        line = t(
            "programme_line",
            lang,
            period=p.period,
            t=_rate(p.treatment),
            nt="—" if p.treatment is None else w.format_number(p.treatment.contacted, lang),
            h=_rate(p.holdout),
            nh="—" if p.holdout is None else w.format_number(p.holdout.contacted, lang),
            lift=texts[0] if texts else "—",
            ci=texts[1] if texts else "—",
            p=p_text(p.p_value),
            sig=_significance(p.significant, lang),
        )
        lines.append({"period": p.period, "line": line, "chart": lift_chart(p)})
    return lines


def _channel_row(c: ChannelUse, lang: str) -> dict[str, object]:
    return {
        "id": c.channel,
        "label": c.label,
        "contacts": w.format_number(c.contacts, lang),
        "capacity": t("unlimited", lang)
        if c.capacity is None
        else w.format_number(round(c.capacity), lang),
        "utilisation": "—" if c.utilisation is None else f"{c.utilisation * 100:.1f}%",
        "bar": utilisation_bar(c.utilisation, c.over_capacity),
        "over": c.over_capacity,
    }


def channel_tables(result: ReviewResult, lang: str) -> list[dict[str, object]]:
    """One table per outcomes period (in time order), a row per channel used in it."""
    tables: dict[str, list[dict[str, object]]] = {}
    for c in result.channels:
        tables.setdefault(c.period, []).append(_channel_row(c, lang))
    return [
        {"period": period, "title": t("channels_period", lang, period=period), "rows": rows}
        for period, rows in tables.items()
    ]


def _map(model: Model, result: ReviewResult, lang: str) -> dict[str, object]:
    try:
        return {"svg": inline_svg(review_map_svg(model, result, lang), "rm"), "error": None}
    except GraphvizError as e:  # Graphviz missing or failing: the report still renders
        return {"svg": None, "error": str(e) or type(e).__name__}


def _rollup_labels(model: Model) -> tuple[dict[str, str], dict[str, str]]:
    persp = {p.id: p.label or p.id for p in model.perspectives}
    themes = {tid: th.label or tid for tid, th in model.themes.items()}
    return persp, themes


def build_view(
    model: Model, result: ReviewResult, lang: str, levels: Sequence[str]
) -> dict[str, object]:
    s = model.strategy
    persp, themes = _rollup_labels(model)
    T: Callable[..., str] = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    fired = sum(1 for tr in result.triggers if tr.fired)
    view: dict[str, object] = {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "T": T,
        "review_css": Markup((TEMPLATES / "review.css").read_text(encoding="utf-8")),
        "header_css": css_string(f"{s.label} · {T('title')}"),
        "levels": list(levels),
        "strategy": {"label": s.label, "owner": s.owner or "—"},
        "as_of": w.format_date(result.as_of, lang),
        "period": w.format_period((result.plan.start, result.plan.end), lang),
        "overall": _rollup_row(result.strategy, s.label, lang),
        "legend": [_chip(st, lang) for st in STATUS_ORDER],
        "trigger_mark": TRIGGER_MARK,
    }
    if "strategy" in levels:
        view["map"] = _map(model, result, lang)
        view["perspectives"] = [
            _rollup_row(r, persp.get(r.id, r.id), lang) for r in result.perspectives
        ]
        view["themes"] = [_rollup_row(r, themes.get(r.id, r.id), lang) for r in result.themes]
        view["triggers"] = trigger_rows(result, model, lang)
        view["not_fired"] = len(result.triggers) - fired
        view["gaps"] = gap_rows(result, model, lang)
    if "operations" in levels:
        view["owners"] = owner_groups(result, model, lang)
    if "business" in levels:
        view["plays"] = play_views(result, model, lang)
        view["programme"] = programme_lines(result, lang)
        view["channels"] = channel_tables(result, lang)
        view["over_mark"] = OVER_MARK
    return view


# --------------------------------------------------------------------------- API


def _levels(level: str | None) -> tuple[str, ...]:
    if level is None:
        return LEVELS
    if level not in LEVELS:
        raise ValueError(f"unknown review level {level!r} (expected one of {', '.join(LEVELS)})")
    return (level,)


def render_review_html(
    model: Model, result: ReviewResult, *, lang: str | None = None, level: str | None = None
) -> str:
    """The report as one self-contained HTML page: all three levels, or only `level`."""
    language = w.lang_of(model, lang)
    view = build_view(model, result, language, _levels(level))
    return clean_page(_environment().get_template("review.html.j2").render(**view))


def render_review(
    model: Model,
    result: ReviewResult,
    *,
    lang: str | None = None,
    level: str | None = None,
    pdf: bool = False,
) -> dict[str, bytes | str]:
    """Every file of a review: the map, the report (and its PDF with `pdf`), review.json.

    Raises dot.MissingGraphviz / GraphvizError for the map and html.PdfError for the PDF; the
    caller writes the files (atomically)."""
    language = w.lang_of(model, lang)
    html = render_review_html(model, result, lang=language, level=level)
    files: dict[str, bytes | str] = {
        "review-map.svg": review_map_svg(model, result, language),
        "review.html": html,
        "review.json": review_json(result),
    }
    if pdf:
        files["review.pdf"] = render_pdf(html)
    return files
