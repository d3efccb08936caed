"""The cascade review (docs/cascade.md "Roll-up in review"): a parent's review beside its
children's, as `cascade-review.html` and `cascade-review.json`.

The report's three levels follow the units:
- **战略层 / Strategy level**: the top strategy — each parent objective's status beside the
  status of every unit's objectives aligned with it, and the rolled-up targets per period (each
  child's actual, the total, the parent's goal and status); then the same for every project
  below that has children of its own (a branch and its teams), level by level.
- **经营层 / Operations level**: per unit (every project below the top, named by its trail of
  units, and within it per owning unit, e.g. a branch's teams) its objectives' targets: latest
  actual, goal, status.
- **业务层 / Business level**: per unit its plays' targets, the same way.

Every text is escaped; the page has no script. JSON: compact, keys sorted, floats rounded to 6
decimals, like review.json.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass

from .. import model as m
from ..review.result import MeasureReview, ReviewResult
from ..review.rollup import Child, Rollup
from ..words import format_goal, format_value
from .cascade import Cascade, Mark, Marks, Project, cascade_dot, ordered_objectives
from .review_map import STATUS_ORDER, STATUS_STYLES, status_label

TEXT = {
    "title": ("分解回检", "Cascade review"),
    "as_of": ("截至", "As of"),
    "strategy": ("战略层", "Strategy level"),
    "operations": ("经营层", "Operations level"),
    "business": ("业务层", "Business level"),
    "objective": ("上级目标", "Parent objective"),
    "parent": ("上级", "Parent"),
    "rolled": ("下级合计", "Rolled up from the units"),
    "period": ("期间", "Period"),
    "total": ("合计", "Total"),
    "goal": ("目标", "Goal"),
    "status": ("状态", "Status"),
    "target": ("指标", "Target"),
    "actual": ("实际", "Actual"),
    "own": ("上级自报实际 {v}（优先于合计）", "the parent's own actual {v} (used, not the total)"),
    "partial": ("部分单元无实际，不合计", "not summed: a unit has no actual"),
    "no_actuals": ("无实际数据文件", "no actuals file"),
    "none_aligned": ("无单元承接", "carried by no unit"),
    "plays": ("打法", "Plays"),
    "no_plays": ("无打法", "no plays"),
    "owner": ("负责单元", "Owning unit"),
    "below": ("{unit} 与下级单元", "{unit} and the units below it"),
}

CSS = """
body { font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; color: #1a202c; margin: 24px; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 28px; } h3 { font-size: 15px; }
section { break-before: page; } section:first-of-type { break-before: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid #cbd5e0; padding: 5px 8px; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #edf2f7; text-align: left; } td.num { text-align: right; }
.chip { display: inline-block; border-radius: 9px; padding: 0 7px; font-size: 12px;
        white-space: nowrap; margin: 1px 2px 1px 0; }
.small { font-size: 12px; color: #4a5568; } .gap { color: #b8460b; }
"""


def t(key: str, lang: str, **kw: object) -> str:
    zh, en = TEXT[key]
    return (zh if lang == "zh" else en).format(**kw)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _chip(status: str, lang: str, text: str | None = None) -> str:
    style = STATUS_STYLES.get(status, STATUS_STYLES["none"])
    label = status_label(status, lang) + (f" · {text}" if text else "")
    return (
        f'<span class="chip status-{_e(status)}" style="background:{style.chip};'
        f'color:{style.ink}">{_e(label)}</span>'
    )


@dataclass(frozen=True)
class Unit:
    """A unit's column: a project below the top (its key, label, model, review, the key of the
    project above it, its units from the top down, what rolled up into it)."""

    key: str
    label: str
    model: m.Model
    review: ReviewResult | None
    parent: str | None = None
    trail: str = ""
    rollups: tuple[Rollup, ...] = ()


def _status(review: ReviewResult | None, objective_id: str) -> str:
    if review is None:
        return "none"
    return next((r.status for r in review.objectives if r.id == objective_id), "none")


def _measures(review: ReviewResult | None) -> dict[str, MeasureReview]:
    return {mr.measure.id: mr for mr in review.measures} if review else {}


def _latest(mr: MeasureReview | None, lang: str) -> tuple[str, str, str]:
    """(actual, goal, status) of the latest period with an actual."""
    if mr is None:
        return "—", "—", "none"
    unit = mr.measure.unit
    p = next((p for p in reversed(mr.periods) if p.actual is not None), None)
    if p is None:
        return "—", format_goal(mr.measure.value, mr.measure.high, unit, lang), "none"
    goal = format_goal(p.goal, p.goal_high, unit, lang)
    return format_value(p.actual, unit, lang), f"{goal} ({p.period})", p.status


def _targets_table(model: m.Model, items, review: ReviewResult | None, lang: str) -> str:
    measures = _measures(review)
    rows = []
    for owner_id, tgt in items:
        mr = measures.get(f"{owner_id}.{tgt.id}")
        actual, goal, status = _latest(mr, lang)
        rows.append(
            f"<tr><td>{_e(owner_id)}.{_e(tgt.id)} {_e(tgt.label)}</td>"
            f'<td class="num">{_e(actual)}</td><td>{_e(goal)}</td><td>{_chip(status, lang)}</td></tr>'
        )
    head = "".join(f"<th>{_e(t(k, lang))}</th>" for k in ("target", "actual", "goal", "status"))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render_cascade_review(
    parent: m.Model,
    parent_review: ReviewResult,
    children: Sequence[Child],
    rolled: Sequence[Rollup],
    unit_labels: dict[str, str],
    lang: str,
    level: str | None = None,
    parent_key: str | None = None,
) -> dict[str, str]:
    """{"cascade-review.html": …, "cascade-review.json": …}; `children`: every project below
    the parent, in tree order (`Child.parent` None or `parent_key` for a direct child); `level`
    (strategy, operations or business): that level of the page only."""
    from .review_html import clean_page

    units: list[Unit] = []
    trails: dict[str | None, str] = {}
    for c in children:
        label = unit_labels.get(c.model.unit or "", c.model.strategy.label)
        above = None if c.parent == parent_key else c.parent
        trail = f"{trails[above]} › {label}" if above in trails else label
        trails[c.key] = trail
        units.append(Unit(c.key, label, c.model, c.review, above, trail, c.rollups))
    title = f"{t('title', lang)} · {parent.strategy.label}"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="small">{_e(t("as_of", lang))} {parent_review.as_of.isoformat()} · '
        + " ".join(_chip(s, lang) for s in STATUS_ORDER)
        + "</p>",
    ]
    if level in (None, "strategy"):
        out += _strategy_level(parent, parent_review, units, rolled, lang)
    if level in (None, "operations"):
        out += _operations_level(units, unit_labels, lang)
    if level in (None, "business"):
        out += _business_level(units, lang)
    out.append("</body></html>")
    page = clean_page("\n".join(out) + "\n")
    data = cascade_review_json(parent, parent_review, children, rolled, parent_key)
    return {"cascade-review.html": page, "cascade-review.json": data}


def _strategy_level(parent, parent_review, units, rolled, lang) -> list[str]:
    out = [f'<section id="level-strategy"><h2>{_e(t("strategy", lang))}</h2>']
    out += _carried(parent, parent_review, [u for u in units if u.parent is None], rolled, lang)
    for u in units:
        below = [v for v in units if v.parent == u.key]
        if below:
            out.append(f'<h3 class="level">{_e(t("below", lang, unit=u.trail))}</h3>')
            if u.review is None:
                out.append(f'<p class="small">{_e(t("no_actuals", lang))}</p>')
            review = u.review or _empty_review(parent_review)
            out += _carried(u.model, review, below, u.rollups, lang)
    out.append("</section>")
    return out


def _empty_review(like: ReviewResult) -> ReviewResult:
    """No figures (a unit without actuals): every status 'none'."""
    import dataclasses

    return dataclasses.replace(like, objectives=(), measures=())


def _carried(parent, parent_review, units, rolled, lang) -> list[str]:
    """A parent's objectives beside its direct units' aligned objectives, and its roll-ups."""
    out = []
    head = "".join(f"<th>{_e(u.label)}</th>" for u in units)
    out.append(
        f"<table><tr><th>{_e(t('objective', lang))}</th><th>{_e(t('parent', lang))}</th>{head}</tr>"
    )
    scores = {r.id: r for r in parent_review.objectives}
    for po in ordered_objectives(parent):
        r = scores.get(po.id)
        score = f"{round(r.score * 100)}%" if r and r.score is not None else None
        row = [
            f"<tr><td><b>{_e(po.id)}</b> {_e(po.label)}</td>",
            f"<td>{_chip(r.status if r else 'none', lang, score)}</td>",
        ]
        carried = False
        for u in units:
            objs = [o for o in ordered_objectives(u.model) if po.id in o.aligns]
            carried = carried or bool(objs)
            if u.review is None and objs:
                cell = f'<span class="small">{_e(t("no_actuals", lang))}</span>'
            else:
                cell = " ".join(_chip(_status(u.review, o.id), lang, o.id) for o in objs)
            row.append(f"<td>{cell or '—'}</td>")
        if not carried:
            row[0] = (
                row[0][:-5] + f'<div class="small gap">{_e(t("none_aligned", lang))}</div></td>'
            )
        out.append("".join(row) + "</tr>")
    out.append("</table>")
    final = _measures(parent_review)
    for r in rolled:
        out.append(f"<h3>{_e(t('rolled', lang))}: {_e(r.measure)} {_e(r.label)}</h3>")
        label_of = {u.key: u.label for u in units}
        head = "".join(
            f'<th>{_e(label_of.get(k, k))}<br><span class="small">{_e(cm)}</span></th>'
            for k, cm in r.serving
        )
        out.append(
            f"<table><tr><th>{_e(t('period', lang))}</th>{head}<th>{_e(t('total', lang))}</th>"
            f"<th>{_e(t('goal', lang))}</th><th>{_e(t('parent', lang))}</th></tr>"
        )
        mr = final.get(r.measure)
        unit = mr.measure.unit if mr else "number"
        scored = {p.period: p for p in mr.periods} if mr else {}
        for p in r.periods:
            cells = "".join(
                f'<td class="num">{_e(format_value(part.actual, unit, lang))} '
                f"{_chip(part.status, lang)}</td>"
                for part in p.parts
            )
            total = format_value(p.total, unit, lang)
            if p.own is not None:
                total += f'<div class="small">{_e(t("own", lang, v=format_value(p.own, unit, lang)))}</div>'
            elif p.total is None:
                total = f'<span class="small">{_e(t("partial", lang))}</span>'
            ps = scored.get(p.period)
            goal = format_goal(ps.goal, ps.goal_high, unit, lang) if ps else "—"
            out.append(
                f'<tr><td>{_e(p.period)}</td>{cells}<td class="num">{total}</td>'
                f"<td>{_e(goal)}</td><td>{_chip(ps.status if ps else 'none', lang)}</td></tr>"
            )
        out.append("</table>")
    return out


def _operations_level(units, unit_labels, lang) -> list[str]:
    out = [f'<section id="level-operations"><h2>{_e(t("operations", lang))}</h2>']
    for u in units:
        out.append(f'<h3>{_e(u.trail)} <span class="small">{_e(u.key)}</span></h3>')
        if u.review is None:
            out.append(f'<p class="small">{_e(t("no_actuals", lang))}</p>')
        groups: dict[str, list] = {}
        for o in ordered_objectives(u.model):
            owner = o.owner_unit or u.model.unit or ""
            groups.setdefault(owner, []).extend((o.id, tg) for tg in o.targets)
        for owner, items in groups.items():
            label = unit_labels.get(owner, owner)
            out.append(
                f'<p><b>{_e(t("owner", lang))}</b>: {_e(label)} <span class="small">{_e(owner)}</span></p>'
            )
            out.append(_targets_table(u.model, items, u.review, lang))
    out.append("</section>")
    return out


def _business_level(units, lang) -> list[str]:
    out = [f'<section id="level-business"><h2>{_e(t("business", lang))}</h2>']
    for u in units:
        out.append(f"<h3>{_e(u.trail)}</h3>")
        if not u.model.plays:
            out.append(f'<p class="small">{_e(t("no_plays", lang))}</p>')
            continue
        items = [(p.id, tg) for p in u.model.plays.values() for tg in p.targets]
        out.append(_targets_table(u.model, items, u.review, lang))
    out.append("</section>")
    return out


# ------------------------------------------------------------------------------------ map


def cascade_marks(
    parent_key: str, parent_review: ReviewResult, children: Sequence[Child], lang: str
) -> Marks:
    """Each reviewed objective's status as the cascade view draws it: the status's fill, its
    chip colour as the border, "▲ 关注 · 96%" (the symbol and word, never colour alone)."""
    out: Marks = {}
    reviews = [(parent_key, parent_review)] + [(c.key, c.review) for c in children]
    for key, review in reviews:
        for r in review.objectives if review else ():
            style = STATUS_STYLES.get(r.status, STATUS_STYLES["none"])
            text = status_label(r.status, lang)
            if r.score is not None:
                text += f" · {round(r.score * 100)}%"
            out[(key, r.id)] = Mark(style.fill, style.chip, text)
    return out


def cascade_map_dot(
    parent_key: str,
    parent: m.Model,
    parent_review: ReviewResult,
    children: Sequence[Child],
    lang: str,
) -> str:
    """The cascade view of the parent and its children, each objective coloured by its status
    (`cascade-map.svg`)."""
    cascade = Cascade(
        [Project(parent_key, parent)]
        + [Project(c.key, c.model, c.parent or parent_key) for c in children]
    )
    marks = cascade_marks(parent_key, parent_review, children, lang)
    return cascade_dot(cascade, layout="auto", lang=lang, marks=marks)


# ------------------------------------------------------------------------------------ JSON


def _num(v: float | None) -> float | None:
    if v is None or v != v or v in (float("inf"), float("-inf")):
        return None
    r = round(float(v), 6)
    return 0.0 if r == 0 else r


def cascade_review_json(
    parent: m.Model,
    parent_review: ReviewResult,
    children: Sequence[Child],
    rolled: Sequence[Rollup],
    parent_key: str | None = None,
) -> str:
    from .. import __version__
    from ..schemas import schema_url

    doc = {
        "$schema": schema_url("cascade-review"),
        "format": "stratlang-cascade-review",
        "format_version": 1,
        "stratlang_version": __version__,
        "as_of": parent_review.as_of.isoformat(),
        "parent": {
            "unit": parent.unit,
            "status": parent_review.strategy.status,
            "objectives": [
                {"id": r.id, "status": r.status, "score": _num(r.score)}
                for r in parent_review.objectives
            ],
        },
        "children": [
            {
                "project": c.key,
                "unit": c.model.unit,
                "status": c.review.strategy.status if c.review else "none",
                "objectives": [
                    {
                        "id": o.id,
                        "aligns": list(o.aligns),
                        "owner_unit": o.owner_unit,
                        "status": _status(c.review, o.id),
                    }
                    for o in c.model.objectives.values()
                ],
                "parent": c.parent or parent_key,
                "rollups": _rollups_json(c.rollups),
            }
            for c in children
        ],
        "rollups": _rollups_json(rolled),
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def _rollups_json(rolled: Sequence[Rollup]) -> list[dict]:
    return [
        {
            "measure": r.measure,
            "serving": [{"project": k, "measure": cm} for k, cm in r.serving],
            "periods": [
                {
                    "period": p.period,
                    "total": _num(p.total),
                    "own": _num(p.own),
                    "parts": [
                        {
                            "project": q.child,
                            "unit": q.unit,
                            "measure": q.measure,
                            "actual": _num(q.actual),
                            "status": q.status,
                        }
                        for q in p.parts
                    ],
                }
                for p in r.periods
            ],
        }
        for r in rolled
    ]
