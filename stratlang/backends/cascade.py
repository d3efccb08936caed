"""The cascade view (docs/cascade.md): the strategies of a tree of projects side by side.

A `Cascade` is the checked projects of a tree in tree order (a parent before its children) with
each project's parent. `cascade_dot` draws it for Graphviz:

- **clusters** (up to `CLUSTER_LIMIT` projects): one cluster per project, titled by the unit
  carrying its strategy, its objectives in rows by perspective (the top perspective first); an
  edge from every child objective to each parent objective it aligns with (the arrow at the
  parent). A parent objective no child aligns with and a child objective aligned with nothing
  are drawn dashed.
- **tree** (larger organisations): one node per declared unit with its parent unit, and for a
  unit carrying a strategy its counts (objectives, of them aligned, plays), instead of every
  objective.

The matrix of the same cascade (parent objective × unit) is `backends/traceability.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from .. import model as m
from .dot import DEFAULT_FONT, quoted, target_text, wrapped, xml

CLUSTER_LIMIT = 12  # projects drawn as clusters; more: the tree of units
LAYOUTS = ("auto", "clusters", "tree")
# one light fill per perspective row (by the perspective's position), dark text on all
ROW_FILLS = ("#dbe7f6", "#dcefe4", "#f6ecd6", "#ece3f4", "#e6e9ee")
ALIGN_COLOR = "#2b6cb0"
GAP_COLOR = "#b8460b"  # the dashed border of an objective without alignment
INK = "#1a202c"
MUTED = "#4a5568"

WORDS = {
    "zh": {
        "title": "战略分解图",
        "objectives": "目标 {n} 个",
        "aligned": "已对齐 {n} 个",
        "plays": "打法 {n} 个",
        "no_strategy": "无战略项目",
        "projects": "{n} 个战略项目",
        "uncovered": "{n} 个目标无人承接",
    },
    "en": {
        "title": "Strategy cascade",
        "objectives": "{n} objectives",
        "aligned": "{n} aligned",
        "plays": "{n} plays",
        "no_strategy": "no strategy project",
        "projects": "{n} strategy projects",
        "uncovered": "{n} objectives carried by no unit",
    },
}


@dataclass(frozen=True)
class Project:
    """One strategy project of a cascade: `key` its entry file as shown (relative to the
    repository root), `parent` the key of its parent project in this cascade (None at the top,
    or when its parent is outside the cascade)."""

    key: str
    model: m.Model
    parent: str | None = None


class Cascade:
    """The projects of a tree, in tree order (each parent before its children; siblings in the
    order given)."""

    def __init__(self, projects: Iterable[Project]):
        given = list(projects)
        keys = {p.key for p in given}
        kids: dict[str | None, list[Project]] = {}
        for p in given:
            kids.setdefault(p.parent if p.parent in keys else None, []).append(p)
        ordered: list[Project] = []
        stack = list(reversed(kids.get(None, [])))
        while stack:
            p = stack.pop()
            ordered.append(p)
            stack.extend(reversed(kids.get(p.key, [])))
        self.projects: tuple[Project, ...] = tuple(ordered)
        self._children = {k: tuple(v) for k, v in kids.items() if k is not None}

    def children(self, key: str) -> tuple[Project, ...]:
        return self._children.get(key, ())

    def parent_of(self, project: Project) -> Project | None:
        return next((p for p in self.projects if p.key == project.parent), None)

    @cached_property
    def units(self) -> dict[str, m.Unit]:
        """Every unit declared in the cascade (the first declaration of an id wins)."""
        out: dict[str, m.Unit] = {}
        for p in self.projects:
            for uid, u in p.model.units.items():
                out.setdefault(uid, u)
        return out

    def unit_of(self, project: Project) -> str | None:
        return project.model.unit

    def title(self, project: Project) -> str:
        """The unit carrying the project's strategy (its label), else the strategy's label."""
        unit = self.units.get(project.model.unit or "")
        return unit.label if unit else project.model.strategy.label

    @property
    def lang(self) -> str:
        from ..words import lang_of

        return lang_of(self.projects[0].model if self.projects else None)


def ordered_objectives(model: m.Model) -> list[m.Objective]:
    """The objectives in perspective order (top first), then declaration order."""
    index = model.perspective_index
    objs = list(model.objectives.values())
    return sorted(objs, key=lambda o: index.get(o.perspective, len(index)))


def aligned_ids(children: Sequence[Project]) -> set[str]:
    """The parent objective ids some child objective aligns with."""
    return {a for c in children for o in c.model.objectives.values() for a in o.aligns}


@dataclass(frozen=True)
class Mark:
    """How a reviewed objective is drawn (the cascade review's map): its fill, its border and a
    line of text ("▲ 关注 · 96%"); the caller decides what they say."""

    fill: str
    border: str
    text: str


Marks = dict[tuple[str, str], Mark]  # (project key, objective id) -> its mark


def cascade_dot(
    cascade: Cascade,
    *,
    layout: str = "auto",
    lang: str | None = None,
    font: str = DEFAULT_FONT,
    targets: bool = True,
    marks: Marks | None = None,
) -> str:
    """The DOT text of the cascade view; `layout` auto chooses clusters up to CLUSTER_LIMIT
    projects and the tree of units above it. `marks` (clusters only): objectives drawn with a
    status instead of their perspective's fill."""
    lang = lang if lang in WORDS else cascade.lang
    if layout == "tree" or (layout == "auto" and len(cascade.projects) > CLUSTER_LIMIT):
        return _tree_dot(cascade, lang, font)
    return _clusters_dot(cascade, lang, font, targets, marks or {})


def _head(title: str, font: str, rankdir: str = "TB") -> list[str]:
    f = quoted(font)
    return [
        "digraph cascade {",
        f"  graph [rankdir={rankdir}, newrank=true, nodesep=0.25, ranksep=0.45, fontname={f}, "
        f'label=<<b>{xml(title)}</b>>, labelloc=t, fontsize=18, fontcolor="{INK}", pad=0.3];',
        f'  node [shape=box, style="rounded,filled", fontname={f}, fontsize=10, '
        f'color="{MUTED}", fontcolor="{INK}", margin="0.12,0.06"];',
        f'  edge [color="{ALIGN_COLOR}", arrowsize=0.7, penwidth=1.2];',
    ]


def _objective_node(
    nid: str, o: m.Objective, row: int, lang: str, targets: bool, gap: bool, mark: Mark | None
) -> str:
    lines = [f"<b>{xml(o.id)}</b> {wrapped(o.label, 22)}"]
    if mark is not None:
        lines.append(f'<font point-size="9"><b>{xml(mark.text)}</b></font>')
    if targets:
        lines += [f'<font point-size="8">{xml(target_text(t, lang))}</font>' for t in o.targets]
    style = ', style="rounded,filled,dashed", color="' + GAP_COLOR + '"' if gap else ""
    fill = ROW_FILLS[min(row, len(ROW_FILLS) - 1)]
    if mark is not None:
        fill = mark.fill
        style = style or f', color="{mark.border}", penwidth=1.6'
    return f'    {nid} [label=<{"<br/>".join(lines)}>, fillcolor="{fill}"{style}];'


def _clusters_dot(cascade: Cascade, lang: str, font: str, targets: bool, marks: Marks) -> str:
    out = _head(_title(cascade, lang), font)
    node_of: dict[tuple[str, str], str] = {}
    firsts: dict[str, tuple[str, str]] = {}  # project key -> (first node, last row's first node)
    for n, p in enumerate(cascade.projects):
        kids = cascade.children(p.key)
        covered = aligned_ids(kids)
        has_parent = cascade.parent_of(p) is not None
        out.append(f"  subgraph cluster_{n} {{")
        out.append(
            f"    label=<<b>{xml(cascade.title(p))}</b><br/>"
            f'<font point-size="9">{xml(p.model.strategy.label)} · {xml(p.key)}</font>>;'
        )
        out.append(f'    style="rounded"; color="{MUTED}"; fontsize=12; margin=12;')
        rows: dict[str, list[str]] = {}
        index = p.model.perspective_index
        for k, o in enumerate(ordered_objectives(p.model)):
            nid = f"o{n}_{k}"
            node_of[(p.key, o.id)] = nid
            gap = (bool(kids) and o.id not in covered) or (has_parent and not o.aligns)
            band = index.get(o.perspective, 0)
            mark = marks.get((p.key, o.id))
            out.append(_objective_node(nid, o, band, lang, targets, gap, mark))
            rows.setdefault(o.perspective, []).append(nid)
        ordered_rows = [rows[pid] for pid in sorted(rows, key=lambda q: index.get(q, len(index)))]
        for row in ordered_rows:
            out.append("    { rank=same; " + "; ".join(row) + "; }")
        for upper, lower in zip(ordered_rows, ordered_rows[1:], strict=False):
            out.append(f"    {upper[0]} -> {lower[0]} [style=invis];")
        if ordered_rows:
            firsts[p.key] = (ordered_rows[0][0], ordered_rows[-1][0])
        out.append("  }")
    for p in cascade.projects:
        parent = cascade.parent_of(p)
        if parent is None:
            continue
        if parent.key in firsts and p.key in firsts:  # children below their parent
            out.append(f"  {firsts[parent.key][1]} -> {firsts[p.key][0]} [style=invis];")
        for o in p.model.objectives.values():
            for a in o.aligns:
                if (parent.key, a) in node_of:
                    out.append(
                        f"  {node_of[(parent.key, a)]} -> {node_of[(p.key, o.id)]} [dir=back];"
                    )
    out.append("}")
    return "\n".join(out) + "\n"


def _title(cascade: Cascade, lang: str) -> str:
    top = cascade.projects[0].model.strategy.label if cascade.projects else ""
    return f"{WORDS[lang]['title']} · {top}" if top else WORDS[lang]["title"]


def _tree_dot(cascade: Cascade, lang: str, font: str) -> str:
    words = WORDS[lang]
    title = _title(cascade, lang) + " · " + words["projects"].format(n=len(cascade.projects))
    out = _head(title, font, rankdir="LR")  # a unit's children stack downwards
    carrying = {p.model.unit: p for p in cascade.projects if p.model.unit}
    ids = {uid: f"u{k}" for k, uid in enumerate(cascade.units)}
    for uid, u in cascade.units.items():
        lines = [f"<b>{wrapped(u.label, 20)}</b>", f'<font point-size="8">{xml(uid)}</font>']
        p = carrying.get(uid)
        if p is None:
            lines.append(f'<font point-size="8" color="{MUTED}">{xml(words["no_strategy"])}</font>')
            fill = "#f4f5f7"
        else:
            objs = p.model.objectives.values()
            counts = [
                words["objectives"].format(n=len(objs)),
                words["aligned"].format(n=sum(1 for o in objs if o.aligns)),
                words["plays"].format(n=len(p.model.plays)),
            ]
            lines.append(f'<font point-size="8">{xml(" · ".join(counts))}</font>')
            kids = cascade.children(p.key)
            if kids:
                uncovered = len(set(p.model.objectives) - aligned_ids(kids))
                if uncovered:
                    text = words["uncovered"].format(n=uncovered)
                    lines.append(f'<font point-size="8" color="{GAP_COLOR}">{xml(text)}</font>')
            fill = ROW_FILLS[0]
        out.append(f'  {ids[uid]} [label=<{"<br/>".join(lines)}>, fillcolor="{fill}"];')
    for uid, u in cascade.units.items():
        if u.parent in ids:
            out.append(f'  {ids[u.parent]} -> {ids[uid]} [dir=none, color="{MUTED}"];')
    out.append("}")
    return "\n".join(out) + "\n"
