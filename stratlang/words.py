"""Rules and values in plain words, and the fixed strings of the playbook, in Chinese and English.

    rule_in_words(expr, model, "zh")  -> "代发客户，年龄22至35岁，AUM低于5万"
    rule_in_words(expr, model, "en")  -> "payroll customers aged 22–35 with AUM under CNY 50,000"
    t("targets", "en")                -> "Targets"

Used by the HTML playbook and by the language server's hover. Conventions (see docs/playbook.md):

- A field is shown by its schema label (`aum money "资产规模"`) when it has one, else by its
  name unless it is in the small built-in glossary `FIELD_WORDS`
  (common names such as `age`, `aum`, `payroll`, `risk_level`); a field whose name ends in
  `_days` / `_months` gets the unit 天 / days, 个月 / months.
- Money: zh 5万, 100万, 1.2亿 (a currency other than CNY is appended); en `CNY 50,000`.
- Compound rules: `and` is a comma list, `or` is "或" / "or"; a compound inside another compound
  is put in brackets, so the grouping of the rule is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from .syntax import ast

if TYPE_CHECKING:
    from .model import Field, Measure, Milestone, Model, Quantity, Review, Target

LANGS = ("zh", "en")

# --------------------------------------------------------------------------- fixed strings

FIXED: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "playbook": ("策略图谱作业手册", "Strategy playbook"),
    "contents": ("目录", "Contents"),
    "owner": ("负责人", "Owner"),
    "period": ("周期", "Period"),
    "version": ("版本", "Version"),
    "currency": ("币种", "Currency"),
    "value_proposition": ("价值主张", "Value proposition"),
    "date": ("日期", "Date"),
    "targets": ("目标", "Targets"),
    "targets_table": ("目标一览", "Targets"),
    "objective": ("战略目标", "Objective"),
    "perspective": ("层面", "Perspective"),
    "target": ("指标", "Target"),
    "baseline": ("基线", "Baseline"),
    "deadline": ("期限", "Deadline"),
    "maps": ("战略地图与策略图谱", "Strategy map and playbook map"),
    "strategy_map": ("战略地图", "Strategy map"),
    "playbook_map": ("策略图谱", "Playbook map"),
    "map_unavailable": ("此处无法生成地图：", "The map could not be drawn here: "),
    "map_untiled": (
        "该图过大，无法在此以可读字号分页打印；stratlang build 在本页旁写出完整尺寸的 {file}。",
        "This map is too large to print here at a readable size; stratlang build writes it at "
        "full size as {file} beside this page.",
    ),
    "segments": ("客群目录", "Segment catalogue"),
    "segment": ("客群", "Segment"),
    "rule": ("规则", "Rule"),
    "everyone": ("全部客户", "all customers"),
    "extends": ("继承自", "Extends"),
    "lifecycle": ("生命周期", "Lifecycle"),
    "estimate": ("预估规模", "Estimated size"),
    "real_count": ("实际人数", "Real count"),
    "profile": ("画像", "Profile"),
    "demographic": ("人口特征", "Demographics"),
    "behavior": ("行为特征", "Behaviour"),
    "psychographic": ("心理特征", "Psychographics"),
    "needs": ("需求", "Needs"),
    "description": ("说明", "Description"),
    "plays": ("策略卡片", "Plays"),
    "play": ("策略", "Play"),
    "who": ("对象", "Who"),
    "when": ("时机", "When"),
    "offer": ("产品/权益", "Offer"),
    "risk": ("风险等级", "Risk"),
    "steps": ("触达步骤", "Steps"),
    "step": ("第{n}步", "Step {n}"),
    "day": ("第{n}天", "day {n}"),
    "after": ("上一步后{d}", "{d} after the previous step"),
    "unless_converted": ("未转化才执行", "only if not yet converted"),
    "step_offers": ("本步权益", "offers"),
    "tiering": ("客户分层", "Tiering"),
    "tier": ("层级", "Tier"),
    "share": ("占比", "Share"),
    "tiers_exclusive": (
        "互斥：每位客户至多属于一层",
        "exclusive: a customer is in at most one tier",
    ),
    "tiers_exhaustive": ("完备：每位客户至少属于一层", "exhaustive: every customer is in a tier"),
    "outside_tiers": ("不属于任何一层的客户", "customers in no tier"),
    "offers_by_step": (
        "（部分步骤另有权益，见触达步骤）",
        "(some steps make their own offers: see Steps)",
    ),
    "offers_each_step": ("各步骤各有权益，见触达步骤", "each step makes its own offers: see Steps"),
    "scripts": ("话术", "Scripts"),
    "script": ("话术", "Script"),
    "reading_time": ("朗读约{t}", "about {t} to read aloud"),
    "opening": ("开场", "Opening"),
    "discovery": ("需求挖掘", "Discovery"),
    "pitch": ("产品介绍", "Pitch"),
    "closing": ("结束语", "Closing"),
    "disclaimer": ("风险提示", "Disclaimer"),
    "opt_out": ("退订说明", "Opt-out"),
    "objections": ("异议处理", "Objection handling"),
    "supports": ("支撑目标", "Supports"),
    "control": ("对照组", "Control group"),
    "no_control": ("无对照组", "no control group"),
    "priority": ("优先级", "Priority"),
    "budget": ("预算", "Budget"),
    "expected_contacts": ("预计触达", "Expected contacts"),
    "channel_plan": ("渠道计划", "Channel plan"),
    "channel": ("渠道", "Channel"),
    "kind": ("类型", "Kind"),
    "capacity": ("产能", "Capacity"),
    "demand": ("日均需求", "Demand per day"),
    "per_day": ("每日", "per day"),
    "unlimited": ("不限", "unlimited"),
    "cost": ("单次成本", "Cost per contact"),
    "quiet": ("免打扰时段", "Quiet hours"),
    "cap": ("频次上限", "Contact cap"),
    "cap_value": ("{d}天内最多{n}次", "at most {n} per {d} days"),
    "over_capacity": ("超出产能", "over capacity"),
    "channel_note": (
        "日均需求 = 客群规模（有实际人数时用实际人数）×（1 − 对照组比例）÷ 策略周期天数，按渠道汇总。",
        "Demand per day = segment size (the real count when known) × (1 − control share) ÷ days in "
        "the play's period, summed per channel.",
    ),
    # contact governance (docs/governance.md)
    "governance": ("联系规范", "Contact governance"),
    "governance_note": (
        "以下承诺对所有策略同时生效：名单生成时逐一执行，违反者不会进入名单。",
        "These promises hold across every play at once: the contact lists enforce them, and a "
        "customer they exclude is never listed.",
    ),
    "all_channels": ("所有渠道合计", "all channels together"),
    "limit_words": (
        "每位客户{d}天内最多联系{n}次（{on}）",
        "At most {n} contacts in any {d} days ({on})",
    ),
    "consent_words": (
        "经{on}联系须客户已授权：{f}",
        "Contact through {on} needs the customer's consent: {f}",
    ),
    "holdout_words": (
        "全局留存组：{p}%的客户不参与任何策略，用于衡量整体成效（抽样种子 {seed}）",
        "Global holdout: {p}% of customers get no play at all, to measure the whole programme "
        "(hash seed {seed})",
    ),
    "zone_field": (
        "免打扰时段按客户所在时区（{f}）计算",
        "Quiet hours are kept in the customer's own time zone ({f})",
    ),
    "zone_field_default": (
        "免打扰时段按客户所在时区（{f}）计算；未填写时区的客户按 {z}",
        "Quiet hours are kept in the customer's own time zone ({f}); customers without one: {z}",
    ),
    "zone_default": ("免打扰时段按 {z} 时间计算", "Quiet hours are kept in {z} time"),
    "variants": ("实验方案（A/B）", "Variants (A/B test)"),
    "variant": ("方案", "Variant"),
    "variant_share": ("分流比例", "Share"),
    "variant_note": (
        "对照组先行抽出；其余客户按稳定哈希分配到各方案，与对照组的抽样相互独立。",
        "The control group is drawn first; the other customers are assigned to an arm by a "
        "stable hash, independent of the control draw.",
    ),
    "play_steps": ("同策略触达步骤", "the play's steps"),
    "initiatives": ("行动方案与预算", "Initiatives and budget"),
    "initiative": ("行动方案", "Initiative"),
    "total": ("合计", "Total"),
    "plays_budget": ("策略预算", "Play budgets"),
    "initiatives_budget": ("行动方案预算", "Initiative budgets"),
    "warnings": ("待处理的提示", "Remaining warnings"),
    "no_warnings": ("检查未发现问题。", "The check found no problems."),
    "code": ("代码", "Code"),
    "message": ("内容", "Message"),
    "location": ("位置", "Location"),
    "none": ("—", "—"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "seconds": ("{n}秒", "{n} s"),
    "minutes": ("{n}分钟", "{n} min"),
    "trigger_event": ("事件「{e}」发生后", "after the event “{e}”"),
    "trigger_event_within": ("事件「{e}」发生后{d}内", "within {d} of the event “{e}”"),
    "trigger_lifecycle": ("进入{s}阶段时", "on entering the {s} stage"),
    "trigger_schedule": ("{s}执行", "runs {s}"),
    "trigger_rule": ("当满足：{r}", "when: {r}"),
    "trigger_none": ("每轮执行一次", "once per wave"),
    "trigger_enters": ("新进入客群「{g}」时", "on entering the segment “{g}”"),
    "trigger_leaves": ("离开客群「{g}」时", "on leaving the segment “{g}”"),
    "trigger_becomes": ("生命周期转入{s}阶段时", "when the lifecycle stage becomes {s}"),
    # the lifecycle map (backends/lifecycle_map.py) and the transitions in the playbook
    "lifecycle_map": ("客户生命周期图", "Customer lifecycle map"),
    "lc_play": ("经营打法", "Play"),
    "lc_segment": ("客群", "Segment"),
    "lc_none": ("（无客群）", "(no segment)"),
    "lc_customers": ("实际 {n} 人", "{n} customers"),
    "lc_moved": ("{n} 人", "{n}"),
    "transitions": ("客户迁移", "Customer transitions"),
    "tr_from": ("上期", "Before"),
    "tr_to": ("本期", "Now"),
    "tr_none": ("（不在其中）", "(none)"),
    "upgrade": ("升级", "up"),
    "downgrade": ("降级", "down"),
    "move": ("迁移", "moved"),
    "entry": ("新进入", "entered"),
    "exit": ("离开", "left"),
    "same": ("不变", "unchanged"),
    "daily": ("每日", "daily"),
    "weekly": ("每周", "weekly"),
    "monthly": ("每月", "monthly"),
    "acquisition": ("获客", "acquisition"),
    "activation": ("激活", "activation"),
    "growth": ("提升", "growth"),
    "retention": ("留存", "retention"),
    "winback": ("挽回", "win-back"),
    "outbound_call": ("电话外呼", "outbound call"),
    "sms": ("短信", "SMS"),
    "push": ("推送", "push"),
    "wechat": ("微信", "WeChat"),
    "email": ("邮件", "email"),
    "branch": ("网点", "branch"),
    "rm_visit": ("客户经理面访", "RM visit"),
    "mail": ("信函", "mail"),
    "product": ("产品", "product"),
    "service": ("服务", "service"),
    "benefit": ("权益", "benefit"),
    "low_total_cost": ("总成本最低", "low total cost"),
    "product_leadership": ("产品领先", "product leadership"),
    "customer_solutions": ("客户解决方案", "customer solutions"),
    "system_lock_in": ("系统锁定", "system lock-in"),
    # objective kinds (the sub-headings of the 2-3-4-3 strategy map template)
    "kind_attributes": ("产品/服务特性", "Product/service attributes"),
    "kind_relationship": ("客户关系", "Relationship"),
    "kind_image": ("品牌形象", "Image"),
    "kind_operations": ("运营管理", "Operations management"),
    "kind_customer_management": ("客户管理", "Customer management"),
    "kind_innovation": ("创新", "Innovation"),
    "kind_regulatory_social": ("法规与社会", "Regulatory and social"),
    "kind_human_capital": ("人力资本", "Human capital"),
    "kind_information_capital": ("信息资本", "Information capital"),
    "kind_organization_capital": ("组织资本", "Organization capital"),
    "placeholder_note": (
        "带底色的字段在拨打/发送时替换为客户的实际信息。",
        "Shaded fields are filled with the customer's own data when the script is used.",
    ),
    "page": ("页", "page"),
    "days_unit": ("{n}天", "{n} days"),
    "hours_unit": ("{n}小时", "{n} hours"),
    "weeks_unit": ("{n}周", "{n} weeks"),
    "months_unit": ("{n}个月", "{n} months"),
    "years_unit": ("{n}年", "{n} years"),
    "warn_error": ("错误", "error"),
    "warn_warning": ("警告", "warning"),
    "warn_info": ("提示", "info"),
    # the strategy statement and the review loop (issue 12)
    "mission": ("使命", "Mission"),
    "vision": ("愿景", "Vision"),
    "quarterly": ("每季度", "quarterly"),
    "yearly": ("每年", "yearly"),
    "cadence": ("检视频率", "Cadence"),
    "weight": ("权重", "Weight"),
    "tolerance": ("容差", "Tolerance"),
    "cadence_value": ("{c}检视", "reviewed {c}"),
    "weight_value": ("权重 {n}", "weight {n}"),
    "tolerance_value": ("容差 {p}", "tolerance {p}"),
    "milestones": ("阶段目标", "Milestones"),
    "measure_tracked": ("跟踪指标", "tracked measure"),
    "no_goal": ("跟踪，不设目标值", "tracked, no goal"),
    "goal": ("目标值", "Goal"),
    "target_value": ("目标值", "Target value"),
    "no_target": ("未设指标", "no target"),
    "unknown": ("未知", "unknown"),
    "demand_partly_unknown": ("（另有{n}个策略规模未知）", " (+ {n} of unknown size)"),
    "themes": ("战略主题", "Strategic themes"),
    "offers_events": ("产品/权益与事件", "Offers and events"),
    "offers": ("产品/权益", "Offers"),
    "events": ("触发事件", "Events"),
    "event": ("事件", "Event"),
    "used_by": ("使用的策略", "Used by"),
    "review_loop": ("经营回检", "Review triggers and gaps"),
    "review_triggers": ("回检触发条件", "Review triggers"),
    "review_trigger": ("回检规则", "Trigger"),
    "condition": ("条件", "Condition"),
    "action": ("应对行动", "Action"),
    "gaps": ("机会差距", "Opportunity gaps"),
    "gap": ("差距", "Gap"),
    "gap_estimate": ("预估价值", "Estimated value"),
    "closed_by_objectives": ("弥补差距的战略目标", "Objectives closing it"),
    "closed_by_initiatives": ("弥补差距的行动方案", "Initiatives closing it"),
    "feedback_link": ("反馈链接（结果回到洞察）", "feedback link (results back to insight)"),
    "measure_line": ("跟踪指标：{m}", "measure: {m}"),
    "deviates": ("{m} 偏离目标超过{v}", "{m} deviates more than {v} from its goal"),
    "deviates_for": (
        "{m} 连续{n}{u}偏离目标超过{v}",
        "{m} deviates more than {v} from its goal for {n} consecutive {u}",
    ),
    "threshold": ("{m} {op} {v}", "{m} {op} {v}"),
    "threshold_for": ("{m} 连续{n}{u}{op} {v}", "{m} {op} {v} for {n} consecutive {u}"),
}


def t(key: str, lang: str, **kw: object) -> str:
    """A fixed string in `lang` (zh | en), formatted with `kw`; the key itself if unknown."""
    pair = FIXED.get(key)
    if pair is None:
        return key
    s = pair[0] if lang == "zh" else pair[1]
    return s.format(**kw) if kw else s


def lang_of(model: Model | None, override: str | None = None) -> str:
    """The page language: `override` (zh|en) or else from `strategy.locale` (zh-* -> zh, else en)."""
    if override in LANGS:
        return override
    loc = (getattr(getattr(model, "strategy", None), "locale", None) or "zh-CN").lower()
    return "zh" if loc.startswith("zh") else "en"


# --------------------------------------------------------------------------- values

_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _trim(x: float, places: int = 2) -> str:
    s = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def format_number(v: float | None, lang: str) -> str:
    """A plain count: zh 12万 / 1.2亿 (exact thousands below 1万), en 120,000."""
    if v is None:
        return "—"
    if lang == "zh":
        a = abs(v)
        if a >= 1e8:
            return _trim(v / 1e8) + "亿"
        if a >= 1e4:
            return _trim(v / 1e4) + "万"
        return _trim(v)
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def format_amount(v: float, lang: str) -> str:
    """An amount or count, scaled: zh 1115亿 / 8800万, en 111.5 bn / 88 m / 12k."""
    a = abs(v)
    if lang == "zh":
        for size, unit in ((1e8, "亿"), (1e4, "万")):
            if a >= size:
                return _trim(v / size) + unit
        return _trim(v)
    for size, unit in ((1e9, " bn"), (1e6, " m"), (1e4, "k")):
        if a >= size:
            return _trim(v / size) + unit
    return f"{v:,.2f}".rstrip("0").rstrip(".") if not float(v).is_integer() else f"{int(v):,}"


def format_value(v: float | None, unit: str, lang: str) -> str:
    """A measure's value in its own unit: 13.1%, 1115亿 / 111.5 bn, 1:1.2, 5倍 / 5x."""
    if v is None:
        return "—"
    if unit == "percent":
        return _trim(v, 1) + "%"
    if unit == "ratio":
        return "1:" + _trim(v)
    if unit == "multiple":
        return _trim(v) + ("倍" if lang == "zh" else "x")
    return format_amount(v, lang)


def format_goal(low: float | None, high: float | None, unit: str, lang: str) -> str:
    if low is None:
        return "—"
    if high is not None and high != low:
        return f"{format_value(low, unit, lang)}–{format_value(high, unit, lang)}"
    return format_value(low, unit, lang)


def format_money(v: float | None, lang: str, currency: str | None = None) -> str:
    """Money: zh 5万, 100万, 1.2亿 (a non-CNY currency is appended); en `CNY 50,000`."""
    if v is None:
        return "—"
    num = format_number(v, lang)
    if lang == "zh":
        if currency and currency.upper() not in ("CNY", "RMB"):
            return f"{num} {currency}"
        return num + ("元" if abs(v) < 1e4 else "")
    return f"{currency} {num}" if currency else num


def format_date(d: dt.date | None, lang: str) -> str:
    if d is None:
        return "—"
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return d.strftime("%d %b %Y").lstrip("0")


def format_period(p: tuple[dt.date, dt.date] | None, lang: str) -> str:
    if not p:
        return "—"
    sep = "至" if lang == "zh" else " – "
    return f"{format_date(p[0], lang)}{sep}{format_date(p[1], lang)}"


def format_days(days: float | None, lang: str) -> str:
    if days is None:
        return "—"
    if days < 1:
        return t("hours_unit", lang, n=_trim(days * 24))
    n = _trim(days)
    if lang == "en" and n == "1":
        return "1 day"
    return t("days_unit", lang, n=n)


def format_duration(d: ast.Duration, lang: str) -> str:
    key = {
        "h": "hours_unit",
        "d": "days_unit",
        "w": "weeks_unit",
        "mo": "months_unit",
        "y": "years_unit",
    }[d.unit]
    s = t(key, lang, n=d.amount)
    if lang == "en" and d.amount == 1:
        s = s[:-1]
    return s


def format_quantity(q: Quantity | None, lang: str, currency: str | None = None) -> str:
    """A target value (`model.Quantity`)."""
    if q is None:
        return "—"
    if q.unit == "percent":
        return f"{_trim(q.value)}%"
    if q.unit == "money":
        return format_money(q.value, lang, currency)
    if q.unit in ("ratio", "multiple"):
        return format_value(q.value, q.unit, lang)
    return format_number(q.value, lang)


OP_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "=", "!=": "≠"}


def quantity_as_written(q: Quantity, lang: str) -> str:
    """A target value as the plan wrote it (`1.2亿`, `20%`, `1:1.2`); a multiple in the page's
    language (`5倍` / `5x`), however it was written."""
    if q.unit == "multiple":
        return format_value(q.value, "multiple", lang)
    return str(q)


def goal_as_written(op: str, low: Quantity, high: Quantity | None, lang: str) -> str:
    """What a target or milestone compares with, values as written: `≥ 1.2亿`, `15%–20%`."""
    if op == "between" and high is not None:
        return f"{quantity_as_written(low, lang)}–{quantity_as_written(high, lang)}"
    return f"{OP_SYMBOLS.get(op, op)} {quantity_as_written(low, lang)}"


def goal_words(
    op: str, low: Quantity, high: Quantity | None, lang: str, currency: str | None = None
) -> str:
    """What a target or milestone compares with, values formatted: `≥ 1.2亿`, `15%–20%`."""
    if op == "between" and high is not None:
        return f"{format_quantity(low, lang, currency)}–{format_quantity(high, lang, currency)}"
    return f"{OP_SYMBOLS.get(op, op)} {format_quantity(low, lang, currency)}"


def milestone_words(ms: Milestone, lang: str, currency: str | None = None) -> str:
    """One milestone: `2026-Q2 ≥ 1150亿`."""
    return f"{ms.period} {goal_words(ms.op, ms.value, ms.high, lang, currency)}"


def review_settings(item: Target | Measure, lang: str) -> list[str]:
    """A target's or measure's review settings that differ from the defaults: `每月检视`,
    `权重 2`, `容差 15%` (a cadence the item states itself is shown even when it equals the
    strategy's)."""
    out = []
    if item.cadence is not None:
        out.append(t("cadence_value", lang, c=t(item.cadence, lang)))
    if item.weight != 1:
        out.append(t("weight_value", lang, n=_trim(item.weight)))
    tolerance = getattr(item, "tolerance", None)  # targets only
    if tolerance is not None:
        out.append(t("tolerance_value", lang, p=_trim(tolerance * 100, 1) + "%"))
    return out


# `for 2 quarters`: the period word of a review condition, (zh counter, en singular, en plural)
_PERIOD_WORDS = {
    "periods": ("个周期", "period", "periods"),
    "months": ("个月", "month", "months"),
    "quarters": ("个季度", "quarter", "quarters"),
    "years": ("年", "year", "years"),
}
_THRESHOLD_WORDS = {
    "<": ("低于", "below"),
    "<=": ("不高于", "at or below"),
    ">": ("高于", "above"),
    ">=": ("不低于", "at or above"),
    "=": ("等于", "equal to"),
}


def review_condition(review: Review, model: Model, lang: str) -> str:
    """A review trigger's condition in words: `财富中收 偏离目标超过15%` / `fee income deviates
    more than 15% from its goal`; `投入产出比 连续2个季度低于 1:1.2` / `ROI below 1:1.2 for 2
    consecutive quarters`. The measure is named by its label."""
    found = model.measure(review.measure)
    name = (found.label or found.id) if found is not None else review.measure
    value = format_quantity(review.value, lang, model.strategy.currency)
    zh_unit, one, many = _PERIOD_WORDS.get(review.unit, (review.unit, review.unit, review.unit))
    unit = zh_unit if lang == "zh" else (one if review.count == 1 else many)
    running = review.count > 1
    if review.kind == "deviation":
        key = "deviates_for" if running else "deviates"
        return t(key, lang, m=name, v=value, n=review.count, u=unit)
    words = _THRESHOLD_WORDS.get(review.op or "", (review.op or "", review.op or ""))
    op = words[0] if lang == "zh" else words[1]
    key = "threshold_for" if running else "threshold"
    return t(key, lang, m=name, op=op, v=value, n=review.count, u=unit)


def labelled(key: str, text: str, lang: str) -> str:
    """`使命：…` / `Mission: …`: a fixed label in front of user text."""
    return f"{t(key, lang)}：{text}" if lang == "zh" else f"{t(key, lang)}: {text}"


# --------------------------------------------------------------------------- fields

# name -> (zh label, en label, zh unit, en unit, en style)
# en style: "with" (after "with"), "bare" (written as is: "aged 22–35"), "noun" (bool: the head noun)
FIELD_WORDS: dict[str, tuple[str, str, str, str, str]] = {
    "age": ("年龄", "aged", "岁", "", "bare"),
    "aum": ("AUM", "AUM", "", "", "with"),
    "payroll": ("代发客户", "payroll customers", "", "", "noun"),
    "risk_level": ("风险等级", "risk level", "", "", "with"),
    "tenure_months": ("开户时长", "tenure", "个月", " months", "with"),
    "products_held": ("持有产品数", "products held", "", "", "with"),
    "last_txn_days": ("距上次交易", "days since last transaction", "天", "", "with"),
    "city_tier": ("城市等级", "city tier", "", "", "with"),
    "email": ("邮箱", "email", "", "", "with"),
    "name": ("姓名", "name", "", "", "with"),
    "gender": ("性别", "gender", "", "", "with"),
    "income": ("收入", "income", "", "", "with"),
}


def field_words(name: str, lang: str, field: Field | None = None) -> tuple[str, str, str]:
    """(label, unit, en style) of a schema field in plain words. A label given in the schema
    (`aum money "资产规模"`) wins over the built-in glossary."""
    own = field.label if field is not None else None
    g = FIELD_WORDS.get(name)
    if g is not None:
        zh, en, zu, eu, style = g
        label, unit, style = (zh, zu, style) if lang == "zh" else (en, eu, style)
        if own and lang == "en" and re.search(r"[\u3400-\u9fff]", own):
            own = None  # a Chinese label on an English page: the glossary's English reads better
        return (own or label), unit, style
    unit = ""
    if name.endswith("_days"):
        unit = "天" if lang == "zh" else " days"
    elif name.endswith("_months"):
        unit = "个月" if lang == "zh" else " months"
    if own and field is not None:  # `own` comes from the field
        # a labelled flag reads as its label in Chinese (已授权营销); in English the label need
        # not name people ("marketing consent"), so it reads "with marketing consent"
        noun = field.type == "bool" and lang == "zh"
        return own, unit, "noun" if noun else "with"
    return name, unit, "with"


_WINDOW_WORDS = {
    "zh": {"d": "天", "w": "周", "mo": "个月", "y": "年"},
    "en": {"d": "days", "w": "weeks", "mo": "months", "y": "years"},
}
_AGG_WORDS = {  # func -> (zh template, en template); {c} column, {t} table, {w} window
    "count": ("{w}{t}笔数", "number of {t}{w}"),
    "sum": ("{w}{c}合计", "total {c}{w}"),
    "avg": ("{w}平均{c}", "average {c}{w}"),
    "min": ("{w}最低{c}", "lowest {c}{w}"),
    "max": ("{w}最高{c}", "highest {c}{w}"),
    "change": ("{w}{c}变化", "change in {c}{w}"),
    "streak": ("{c}连续{d}次数", "consecutive {d} of {c}"),
    "days_since": ("距上次{t}天数", "days since last {t}"),
}


def aggregate_words(a: ast.Aggregate, lang: str, model: Model | None = None) -> str:
    """A history aggregate in plain words: `sum(txn.amount over 90d)` -> 近90天交易金额合计 /
    total amount in the last 90 days. A `where` is kept as rule text in brackets."""
    from .fmt.printer import expr_text

    zh = lang == "zh"
    h = model.histories.get(a.table.name) if model is not None else None
    table = h.label if h is not None else a.table.name
    column = ""
    if a.column is not None:
        f = h.fields.get(a.column.name) if h is not None else None
        column = f.label if f is not None and f.label else a.column.name
    window = ""
    if isinstance(a.window, ast.Duration):
        unit = _WINDOW_WORDS["zh" if zh else "en"][a.window.unit]
        window = f"近{a.window.amount}{unit}" if zh else f" in the last {a.window.amount} {unit}"
    rising = a.trend == "increasing"
    direction = ("上升" if rising else "下降") if zh else ("rises" if rising else "falls")
    zh_form, en_form = _AGG_WORDS[a.func.name]
    text = (zh_form if zh else en_form).format(c=column, t=table, w=window, d=direction)
    if a.where is not None:
        text += f"（{expr_text(a.where)}）" if zh else f" (where {expr_text(a.where)})"
    return text


def _aggregate_test_words(
    e: ast.Compare | ast.Between | ast.In | ast.Missing,
    model: Model | None,
    lang: str,
    negated: bool,
) -> tuple[str, str]:
    assert isinstance(e.field, ast.Aggregate)
    from .fmt.printer import operand

    label = aggregate_words(e.field, lang, model)
    fld = _field_type(model, operand(e.field))
    zh = lang == "zh"
    if isinstance(e, ast.Missing):
        missing = e.present == negated
        if zh:
            return label + ("为空" if missing else "有值"), "with"
        return label + (" is unknown" if missing else " is known"), "bare"
    if isinstance(e, ast.Compare):
        op = _NEG[e.op] if negated else e.op
        v = value_in_words(e.value, lang, model, fld)
        if zh:
            return label + _ZH_OPS[op] + v, "with"
        return _EN_BARE_OPS[op].format(f=label, v=v), "bare"
    if isinstance(e, ast.Between):
        lo = value_in_words(e.low, lang, model, fld)
        hi = value_in_words(e.high, lang, model, fld)
        if zh:
            return f"{label}{'不' if negated else ''}在{lo}至{hi}之间", "with"
        return f"{label} {'not ' if negated else ''}between {lo} and {hi}", "bare"
    items = "、".join(value_in_words(v, lang, model, fld) for v in e.values)
    out = e.negated != negated
    if zh:
        return f"{label}{'不' if out else ''}为{items}", "with"
    return f"{label} {'not ' if out else ''}in {items}", "bare"


def _field_type(model: Model | None, name: str) -> Field | None:
    schema = model.schema if model is not None else None
    if schema is None:
        return None
    return schema.rule_fields.get(name)


def value_in_words(
    v: ast.Value, lang: str, model: Model | None = None, field: Field | None = None
) -> str:
    currency = model.strategy.currency if model is not None else None
    if isinstance(v, ast.Number):
        if v.percent:
            return f"{_trim(v.value)}%"
        if field is not None and field.type == "money":
            return (
                format_money(v.value, lang, currency)
                if lang == "en"
                else format_number(v.value, lang)
            )
        if field is not None and field.type == "percent":
            return f"{_trim(v.value)}%"
        return (
            format_number(v.value, lang) if abs(v.value) >= 1e4 or lang == "en" else _trim(v.value)
        )
    if isinstance(v, ast.Str):
        return f"“{v.value}”"
    if isinstance(v, ast.Name):
        return _enum_value_words(v.name, lang, field)
    if isinstance(v, ast.Date):
        if v.quarter:
            return v.raw
        return format_date(v.value, lang)
    if isinstance(v, ast.Time):
        return v.raw
    if isinstance(v, ast.Duration):
        return format_duration(v, lang)
    return getattr(v, "raw", "?")


def _enum_value_words(value: str, lang: str, field: Field | None) -> str:
    """An enum value by its label (`branch "网点"` reads 网点); by its name when it has none, or
    on an English page when the label is Chinese (the name is the English identifier)."""
    label = field.value_label(value) if field is not None and field.type == "enum" else None
    if label is None or (lang == "en" and _CJK.search(label)):
        return value
    return label


def _join_list(items: list[str], lang: str, conj: str) -> str:
    if lang == "zh":
        if len(items) == 1:
            return items[0]
        return "、".join(items[:-1]) + conj + items[-1]
    if len(items) <= 2:
        return f" {conj} ".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


_ZH_OPS = {"=": "为", "!=": "不为", "<": "低于", "<=": "不高于", ">": "高于", ">=": "不低于"}
_ZH_DATE_OPS = {"=": "为", "!=": "不为", "<": "早于", "<=": "不晚于", ">": "晚于", ">=": "不早于"}
_EN_OPS = {
    "=": "{f} {v}",
    "!=": "{f} other than {v}",
    "<": "{f} under {v}",
    "<=": "{f} of at most {v}",
    ">": "{f} over {v}",
    ">=": "{f} of at least {v}",
}
_EN_BARE_OPS = {
    "=": "{f} {v}",
    "!=": "not {f} {v}",
    "<": "{f} under {v}",
    "<=": "{f} {v} or under",
    ">": "{f} over {v}",
    ">=": "{f} {v} or over",
}
_EN_DATE_OPS = {
    "=": "{f} on {v}",
    "!=": "{f} not on {v}",
    "<": "{f} before {v}",
    "<=": "{f} on or before {v}",
    ">": "{f} after {v}",
    ">=": "{f} on or after {v}",
}
_EN_ENUM_OPS = {
    "=": "{f} {v}",
    "!=": "{f} other than {v}",
    "<": "{f} below {v}",
    "<=": "{f} {v} or lower",
    ">": "{f} above {v}",
    ">=": "{f} {v} or higher",
}
_NEG = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _zh_join(label: str, rest: str) -> str:
    """Put a space between an ASCII label and a following digit (`AUM 5万`), none otherwise."""
    if (
        label
        and rest
        and label[-1].isascii()
        and label[-1].isalnum()
        and rest[0].isascii()
        and rest[0].isalnum()
    ):
        return f"{label} {rest}"
    return label + rest


def _flat(e: ast.And | ast.Or) -> list[ast.Expr]:
    """Operands of an and/or with nested same-kind groups spliced in (same meaning)."""
    out: list[ast.Expr] = []
    for x in e.operands:
        out.extend(_flat(x) if isinstance(x, (ast.And, ast.Or)) and type(x) is type(e) else [x])
    return out


def _test_words(
    e: ast.Compare | ast.Between | ast.In | ast.Missing | ast.BoolTest,
    model: Model | None,
    lang: str,
    negated: bool = False,
) -> tuple[str, str]:
    """One test in words -> (text, en style)."""
    if isinstance(e.field, ast.Aggregate) and not isinstance(e, ast.BoolTest):
        return _aggregate_test_words(e, model, lang, negated)
    name = e.field.name
    if (
        isinstance(e, ast.Compare)
        and e.op in ("=", "!=")
        and isinstance(e.value, ast.Name)
        and e.value.name in ("true", "false")
    ):
        # `flag = true` reads as the flag itself
        truth = (e.value.name == "true") == (e.op == "=")
        return _test_words(ast.BoolTest(e.span, e.field), model, lang, negated=negated == truth)
    fld = _field_type(model, name)
    label, unit, style = field_words(name, lang, fld)
    ftype = fld.type if fld is not None else None

    def val(v: ast.Value) -> str:
        return value_in_words(v, lang, model, fld)

    if isinstance(e, ast.Compare):
        op = _NEG[e.op] if negated else e.op
        v = val(e.value)
        is_date = ftype == "date" or isinstance(e.value, ast.Date)
        if lang == "zh":
            ops = _ZH_DATE_OPS if is_date else _ZH_OPS
            return label + ops[op] + v + unit, style
        if is_date:
            tmpl = _EN_DATE_OPS[op]
        elif op == "=" and isinstance(e.value, ast.Number) and style != "bare":
            tmpl = "{f} of {v}"
        elif ftype == "enum":
            tmpl = _EN_ENUM_OPS[op]
        elif style == "bare":
            tmpl = _EN_BARE_OPS[op]
        else:
            tmpl = _EN_OPS[op]
        return tmpl.format(f=label, v=v + unit), ("bare" if style == "bare" else "with")
    if isinstance(e, ast.Between):
        lo, hi = val(e.low), val(e.high)
        if lang == "zh":
            if negated:
                return _zh_join(label, f"不在{lo}至{hi}{unit}之间"), style
            return _zh_join(label, f"{lo}至{hi}{unit}"), style
        if style == "bare":
            return (
                f"{label} outside {lo}–{hi}{unit}" if negated else f"{label} {lo}–{hi}{unit}"
            ), "bare"
        if negated:
            return f"{label} outside {lo} to {hi}{unit}", "with"
        return f"{label} between {lo} and {hi}{unit}", "with"
    if isinstance(e, ast.In):
        neg = e.negated != negated
        items = [val(x) + unit for x in e.values]
        if lang == "zh":
            return label + ("不属于" if neg else "属于") + "、".join(items), style
        joined = _join_list(items, lang, "or")
        if style == "bare":
            return (f"not {label} {joined}" if neg else f"{label} {joined}"), "bare"
        return (f"{label} other than {joined}" if neg else f"{label} {joined}"), "with"
    if isinstance(e, ast.Missing):
        present = e.present != negated
        if lang == "zh":
            return label + ("有记录" if present else "缺失"), style
        return (f"a known {label}" if present else f"no {label} on record"), "with"
    if isinstance(e, ast.BoolTest):
        if lang == "zh":
            if style == "noun":
                return ("非" if negated else "") + label, style
            return label + ("为否" if negated else "为是"), style
        if style == "noun":
            return (f"non-{label}" if negated else label), "noun"
        return (f"no {label}" if negated else label), "with"
    return "?", "with"


def _words(e: ast.Expr, model: Model | None, lang: str, depth: int) -> tuple[str, str]:
    if isinstance(e, ast.Not):
        inner = e.operand
        if isinstance(inner, ast.TESTS):
            return _test_words(inner, model, lang, negated=True)
        text, _ = _words(inner, model, lang, depth + 1)
        return (f"并非{text}", "with") if lang == "zh" else (f"excluding {text}", "bare")
    if isinstance(e, (ast.And, ast.Or)):
        parts = [_words(x, model, lang, depth + 1)[0] for x in _flat(e)]
        if isinstance(e, ast.And):
            text = (
                ("，" if depth == 0 else "且").join(parts)
                if lang == "zh"
                else _join_list(parts, lang, "and")
            )
        else:
            text = "或".join(parts) if lang == "zh" else " or ".join(parts)
        if depth > 0:
            text = f"（{text}）" if lang == "zh" else f"({text})"
        return text, "with"
    return _test_words(e, model, lang)


def rule_in_words(expr: ast.Expr | None, model: Model | None = None, lang: str = "zh") -> str:
    """A segment rule in plain words of `lang` (None: everyone).

    Every operator is covered; compound parts nested in another compound are bracketed so the
    rule's grouping is kept. In English a top-level `and` is phrased around its subject:
    "payroll customers aged 22–35 with AUM under CNY 50,000".
    """
    if expr is None:
        return t("everyone", lang)
    if lang == "zh":
        return _words(expr, model, lang, 0)[0]
    if isinstance(expr, ast.Or):
        parts = [rule_in_words(x, model, "en") for x in _flat(expr)]
        if any(" and " in p or ", " in p or " or " in p or " with " in p for p in parts):
            parts = [f"({p})" for p in parts]
        return " or ".join(parts)
    operands = _flat(expr) if isinstance(expr, ast.And) else (expr,)
    nouns: list[str] = []
    bare: list[str] = []
    withs: list[str] = []
    for x in operands:
        text, style = _words(x, model, lang, 1)
        (nouns if style == "noun" else bare if style == "bare" else withs).append(text)
    out = " ".join(nouns) if nouns else "customers"
    if bare:
        out += " " + ", ".join(bare)
    if withs:
        out += " with " + _join_list(withs, lang, "and")
    return out


def condition_in_words(expr: ast.Expr, model: Model | None = None, lang: str = "zh") -> str:
    """One part of a rule in words, as it reads inside a list of parts (`stratlang eval`):
    "AUM under CNY 50,000", not "customers with AUM under CNY 50,000"; a nested and/or is
    bracketed."""
    return _words(expr, model, lang, 1)[0]


# --------------------------------------------------------------------------- scripts


def reading_seconds(text: str) -> int:
    """Seconds to read `text` aloud: 250 CJK characters a minute (plus Latin words at 150 a minute)."""
    cjk = len(_CJK.findall(text))
    words = len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’\-]*", _CJK.sub(" ", text)))
    secs = cjk * 60 / 250 + words * 60 / 150
    return max(1, round(secs)) if text.strip() else 0


def format_seconds(secs: int, lang: str) -> str:
    if secs < 60:
        return t("seconds", lang, n=secs)
    return t("minutes", lang, n=_trim(secs / 60, 1))
