"""The traceability matrix of a cascade (docs/cascade.md): parent objective × unit → the unit's
objectives aligned with it, their targets and the plays (and initiatives) serving them.

One matrix per project that has children in the cascade. `matrix_rows` gives the rows as data;
`matrix_csv` writes them as CSV (one row per parent objective, unit and aligned objective; a
parent objective a unit carries with nothing is a row with the objective columns empty; a child
objective aligned with nothing is a row with the parent objective columns empty), every text
cell that a spreadsheet would take as a formula prefixed with `'` (OWASP, as the lists' CSV);
`matrix_html` a self-contained page (no script, every text escaped).
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .. import model as m
from .. import words as w
from .cascade import Cascade, Project, ordered_objectives

COLUMNS = (
    "parent_project",
    "parent_unit",
    "perspective",
    "parent_objective",
    "parent_objective_label",
    "parent_targets",
    "children_totals",
    "unit",
    "unit_label",
    "project",
    "objective",
    "objective_label",
    "targets",
    "plays",
    "initiatives",
)

TEXT = {
    "zh": {
        "title": "战略分解追溯矩阵",
        "parent_objective": "上级目标",
        "none": "—",
        "unaligned": "未对齐上级目标",
        "plays": "打法",
        "initiatives": "行动方案",
        "total": "下级合计 {sum}，上级 {goal}",
        "short": "，差 {gap}",
        "note": "每个单元格：该单元对齐此上级目标的目标、目标值，以及支撑它的打法和行动方案。"
        "虚线单元格：该单元没有目标对齐此上级目标。",
    },
    "en": {
        "title": "Cascade traceability matrix",
        "parent_objective": "Parent objective",
        "none": "—",
        "unaligned": "Aligned with no parent objective",
        "plays": "Plays",
        "initiatives": "Initiatives",
        "total": "children {sum} against {goal}",
        "short": ", short by {gap}",
        "note": "Each cell: the unit's objectives aligned with the parent objective, their "
        "targets, and the plays and initiatives serving them. Dashed cells: the unit aligns "
        "nothing with it.",
    },
}


@dataclass(frozen=True)
class Total:
    """A parent target's additive total: the children's same-id targets summed."""

    target: m.Target
    total: float
    children: int

    @property
    def short(self) -> float:
        """How far the total falls short of the parent's value in its direction (0: reached)."""
        goal = self.target.value.value
        if self.target.op in (">=", ">", "="):
            return max(0.0, goal - self.total)
        if self.target.op in ("<=", "<"):
            return max(0.0, self.total - goal)
        return 0.0


@dataclass(frozen=True)
class Row:
    parent: Project | None
    parent_objective: m.Objective | None
    totals: tuple[Total, ...]
    project: Project
    objective: m.Objective | None


def additive(t: m.Target) -> bool:
    """Amounts and counts add up; percentages, ratios and multiples do not (docs/cascade.md)."""
    return t.value.unit == "number" and t.op != "between"


def totals(parent_objective: m.Objective, children: tuple[Project, ...]) -> tuple[Total, ...]:
    """Per additive target of the parent objective: the sum of the children's targets serving
    it in objectives aligned with it — the same id, or `serves` naming it (only targets some
    child serves)."""
    out = []
    for t in parent_objective.targets:
        if not additive(t):
            continue
        values = [
            ct.value.value
            for c in children
            for o in c.model.objectives.values()
            if parent_objective.id in o.aligns
            for ct in o.targets
            if ct.serves == (parent_objective.id, t.id) or (ct.serves is None and ct.id == t.id)
            if ct.value.unit == "number"
        ]
        if values:
            out.append(Total(t, float(sum(values)), len(values)))
    return tuple(out)


def matrix_rows(cascade: Cascade) -> Iterator[Row]:
    """Per parent project (tree order), per parent objective (perspective order), per child
    project: a row per aligned objective or one empty row; then the children's objectives aligned
    with nothing."""
    for parent in cascade.projects:
        children = cascade.children(parent.key)
        if not children:
            continue
        for po in ordered_objectives(parent.model):
            sums = totals(po, children)
            for child in children:
                aligned: list[m.Objective | None] = [
                    o for o in ordered_objectives(child.model) if po.id in o.aligns
                ]
                for o in aligned or [None]:
                    yield Row(parent, po, sums, child, o)
        for child in children:
            for o in ordered_objectives(child.model):
                if not o.aligns:
                    yield Row(parent, None, (), child, o)


def _qty(v: float, like: m.Quantity, lang: str) -> str:
    return w.format_value(v, like.unit, lang)


def totals_text(sums: tuple[Total, ...], lang: str) -> str:
    words = TEXT[lang]
    parts = []
    for s in sums:
        text = words["total"].format(
            sum=_qty(s.total, s.target.value, lang),
            goal=w.goal_as_written(s.target.op, s.target.value, s.target.high, lang),
        )
        if s.short:
            text += words["short"].format(gap=_qty(s.short, s.target.value, lang))
        parts.append(f"{s.target.id}: {text}")
    return "; ".join(parts)


def _targets(o: m.Objective | None, lang: str) -> str:
    if o is None:
        return ""
    return "; ".join(
        f"{t.id} {t.label} {w.goal_as_written(t.op, t.value, t.high, lang)}"
        + (f" by {t.by.isoformat()}" if t.by else "")
        for t in o.targets
    )


def _actions(model: m.Model, o: m.Objective | None, kind: str) -> list[tuple[str, str]]:
    if o is None:
        return []
    items = model.plays if kind == "plays" else model.initiatives
    return [(a.id, a.label) for a in items.values() if o.id in a.supports]


def _unit_label(cascade: Cascade, p: Project) -> str:
    return cascade.title(p)


# ------------------------------------------------------------------------------------ CSV


# the lists' CSV guard (engine/output.py CSV_QUOTED_PREFIXES, OWASP "CSV injection"), kept here
# so that the matrix needs no data engine (`stratlang cascade` is in the core install)
CSV_QUOTED_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "'")


def _guard(text: str) -> str:
    return "'" + text if text.startswith(CSV_QUOTED_PREFIXES) else text


def matrix_csv(cascade: Cascade, lang: str | None = None) -> str:
    """The matrix as CSV (UTF-8 with a header row; `\\r\\n` line ends, as the csv module
    writes)."""
    lang = lang if lang in TEXT else cascade.lang
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for r in matrix_rows(cascade):
        po, o, model = r.parent_objective, r.objective, r.project.model
        cells = [
            r.parent.key if r.parent else "",
            (r.parent.model.unit or "") if r.parent else "",
            po.perspective if po else o.perspective if o else "",
            po.id if po else "",
            po.label if po else "",
            _targets(po, lang),
            totals_text(r.totals, lang),
            model.unit or "",
            _unit_label(cascade, r.project),
            r.project.key,
            o.id if o else "",
            o.label if o else "",
            _targets(o, lang),
            "; ".join(f"{i} {label}" for i, label in _actions(model, o, "plays")),
            "; ".join(f"{i} {label}" for i, label in _actions(model, o, "initiatives")),
        ]
        writer.writerow([_guard(c) for c in cells])
    return buf.getvalue()


# ------------------------------------------------------------------------------------ HTML

CSS = """
body { font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; color: #1a202c; margin: 24px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
p.note { color: #4a5568; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; table-layout: fixed; }
th, td { border: 1px solid #cbd5e0; padding: 6px 8px; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #edf2f7; text-align: left; }
td.gap { border: 1px dashed #b8460b; color: #b8460b; text-align: center; }
.obj + .obj { border-top: 1px dotted #cbd5e0; margin-top: 6px; padding-top: 6px; }
.id { font-weight: bold; } .small { font-size: 12px; color: #4a5568; }
.short { color: #b8460b; } ul { margin: 2px 0 0 0; padding-left: 16px; }
"""


# as in the review report: C0 controls shown as U+FFFD, bidi embeddings/overrides/isolates removed
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_page(page: str) -> str:
    return _BIDI.sub("", _CONTROL.sub("\ufffd", page))


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(model: m.Model, objs: list[m.Objective], lang: str) -> str:
    words = TEXT[lang]
    if not objs:
        return f'<td class="gap">{words["none"]}</td>'
    parts = []
    for o in objs:
        items = "".join(
            f"<li>{_e(t.label)} {_e(w.goal_as_written(t.op, t.value, t.high, lang))}"
            + (f' <span class="small">{_e(t.by.isoformat())}</span>' if t.by else "")
            + "</li>"
            for t in o.targets
        )
        acts = ""
        for kind in ("plays", "initiatives"):
            named = _actions(model, o, kind)
            if named:
                acts += (
                    f'<div class="small">{words[kind]}：'
                    + "、".join(f"{_e(label)}（{_e(i)}）" for i, label in named)
                    + "</div>"
                )
        parts.append(
            f'<div class="obj"><span class="id">{_e(o.id)}</span> {_e(o.label)}'
            f"<ul>{items}</ul>{acts}</div>"
        )
    return "<td>" + "".join(parts) + "</td>"


WIDE = 12  # up to this many children a column each; more: a row each (the table transposed)


def _parent_cell(parent: Project, po: m.Objective, children, lang: str) -> str:
    """A parent objective with its targets and the children's totals (the cell's content)."""
    persp = parent.model.perspective(po.perspective)
    targets = "".join(
        f"<li>{_e(t.label)} {_e(w.goal_as_written(t.op, t.value, t.high, lang))}</li>"
        for t in po.targets
    )
    total = "".join(
        f'<div class="small{" short" if s.short else ""}">{_e(totals_text((s,), lang))}</div>'
        for s in totals(po, children)
    )
    return (
        f'<span class="id">{_e(po.id)}</span> {_e(po.label)}'
        f'<div class="small">{_e(persp.label if persp else po.perspective)}</div>'
        f"<ul>{targets}</ul>{total}"
    )


def _unit_cell(cascade: Cascade, c: Project) -> str:
    return f'{_e(cascade.title(c))}<br><span class="small">{_e(c.key)}</span>'


def _grid(cascade: Cascade, parent: Project, lang: str) -> list[str]:
    """The matrix of one parent: parent objectives down and units across, or, with more than
    WIDE children, units down and parent objectives across."""
    words = TEXT[lang]
    children = cascade.children(parent.key)
    objectives = ordered_objectives(parent.model)
    cells = {
        (po.id, c.key): _cell(
            c.model, [o for o in ordered_objectives(c.model) if po.id in o.aligns], lang
        )
        for po in objectives
        for c in children
    }
    loose = {c.key: [o for o in ordered_objectives(c.model) if not o.aligns] for c in children}
    out = ["<table>"]
    if len(children) <= WIDE:
        head = "".join(f"<th>{_unit_cell(cascade, c)}</th>" for c in children)
        out.append(f"<thead><tr><th>{_e(words['parent_objective'])}</th>{head}</tr></thead><tbody>")
        for po in objectives:
            row = "".join(cells[(po.id, c.key)] for c in children)
            out.append(f"<tr><td>{_parent_cell(parent, po, children, lang)}</td>{row}</tr>")
        if any(loose.values()):
            row = "".join(
                _cell(c.model, loose[c.key], lang) if loose[c.key] else "<td></td>"
                for c in children
            )
            out.append(f"<tr><td>{_e(words['unaligned'])}</td>{row}</tr>")
    else:
        head = "".join(f"<th>{_parent_cell(parent, po, children, lang)}</th>" for po in objectives)
        out.append(
            f"<thead><tr><th></th>{head}<th>{_e(words['unaligned'])}</th></tr></thead><tbody>"
        )
        for c in children:
            row = "".join(cells[(po.id, c.key)] for po in objectives)
            rest = _cell(c.model, loose[c.key], lang) if loose[c.key] else "<td></td>"
            out.append(f"<tr><th>{_unit_cell(cascade, c)}</th>{row}{rest}</tr>")
    out.append("</tbody></table>")
    return out


def matrix_html(cascade: Cascade, lang: str | None = None) -> str:
    lang = lang if lang in TEXT else cascade.lang
    words = TEXT[lang]
    top = cascade.projects[0].model.strategy.label if cascade.projects else ""
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{_e(words['title'])} · {_e(top)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(words['title'])} · {_e(top)}</h1>",
        f'<p class="note">{_e(words["note"])}</p>',
    ]
    for parent in cascade.projects:
        if cascade.children(parent.key):
            out.append(
                f"<h2>{_e(cascade.title(parent))} · {_e(parent.model.strategy.label)} "
                f'<span class="small">{_e(parent.key)}</span></h2>'
            )
            out += _grid(cascade, parent, lang)
    out.append("</body></html>")
    return clean_page("\n".join(out) + "\n")
