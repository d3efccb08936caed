"""Strategy-map checks (MAP401–MAP410): the causal graph of objectives.

Feedback links (`a ~> b`) are not part of the causal graph (`Model.causal_graph`): they close the
loop from results back to insight on purpose, so MAP401 and MAP402 leave them alone.

Every check here is linear in objectives + links (the benchmark map has 10,000 objectives), so
graph questions are answered by one traversal each, never per objective:

- MAP401 one diagnostic per strongly connected component that holds a cycle; the cycle shown is
  the shortest one through the component's first-declared objective (BFS), so it is stable.
- MAP403 one reverse BFS from every top-perspective objective.
- MAP407 an objective counts as supported when a play or initiative supports it, or supports an
  objective that drives it (directly or through a chain): the action behind a driver is the action
  behind the outcome it drives. One forward BFS from the directly supported objectives.
- MAP409 themes are recognised by words in their id or label (see `theme_family`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import cast

from .. import diagnostics as dg
from ..diagnostics import Label
from ..model import DEFAULT_PERSPECTIVES, Link, Model, Objective
from ..source import Span
from ..words import lang_of
from .registry import Context, check
from .util import id_span, per_model

# Kaplan–Norton objective kinds, by the perspective they belong to (language.md §3).
KIND_FAMILIES = {
    "customer": ("attributes", "relationship", "image"),
    "process": ("operations", "customer_management", "innovation", "regulatory_social"),
    "learning": ("human_capital", "information_capital", "organization_capital"),
}

# Words that mark a theme as the revenue-growth or the productivity strategy (id or label,
# case-insensitive, substring match). Productivity is tested first: "成本增长" is not growth.
PRODUCTIVITY_WORDS = (
    "productivity",
    "efficien",
    "cost",
    "生产率",
    "生产力",
    "效率",
    "成本",
    "降本",
    "提效",
    "精益",
)
GROWTH_WORDS = ("growth", "revenue", "income", "增长", "收入", "增收", "营收", "规模", "创收")

DEFAULT_IDS = tuple(p[0] for p in DEFAULT_PERSPECTIVES)
MAX_OBJECTIVES = 25
MAX_PER_PERSPECTIVE = 6


def theme_family(theme_id: str, label: str = "") -> str | None:
    """'growth', 'productivity' or None, from the words in a theme's id and label."""
    text = f"{theme_id} {label}".lower()
    if any(w in text for w in PRODUCTIVITY_WORDS):
        return "productivity"
    if any(w in text for w in GROWTH_WORDS):
        return "growth"
    return None


class _Causal:
    """The causal links as adjacency lists, in the order they are written: what
    `Model.causal_graph` holds, without importing networkx (~0.25 s of every `check`)."""

    def __init__(self, model: Model) -> None:
        self.succ: dict[str, list[str]] = {oid: [] for oid in model.objectives}
        self.pred: dict[str, list[str]] = {oid: [] for oid in model.objectives}
        self.links: dict[tuple[str, str], list[Link]] = {}
        self._components: list[set[str]] | None = None
        for link in model.links:
            if link.kind != "causal":
                continue  # feedback runs from results back to insight: not cause and effect
            a, b = link.source, link.target
            if (a, b) in self.links:
                self.links[a, b].append(link)
                continue
            self.links[a, b] = [link]
            self.succ.setdefault(a, []).append(b)
            self.pred.setdefault(a, [])
            self.succ.setdefault(b, [])
            self.pred.setdefault(b, []).append(a)

    def __contains__(self, node: str) -> bool:
        return node in self.succ

    def successors(self, node: str) -> list[str]:
        return self.succ[node]

    def predecessors(self, node: str) -> list[str]:
        return self.pred[node]

    def components(self) -> list[set[str]]:
        """The strongly connected components (found once)."""
        if self._components is None:
            self._components = self._tarjan()
        return self._components

    def _tarjan(self) -> list[set[str]]:
        """Tarjan's algorithm, on an explicit stack."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        out: list[set[str]] = []
        for root in self.succ:
            if root in index:
                continue
            index[root] = low[root] = len(index)
            stack.append(root)
            on_stack.add(root)
            work = [(root, iter(self.succ[root]))]
            while work:
                v, todo = work[-1]
                for w in todo:
                    if w not in index:
                        index[w] = low[w] = len(index)
                        stack.append(w)
                        on_stack.add(w)
                        work.append((w, iter(self.succ[w])))
                        break
                    if w in on_stack:
                        low[v] = min(low[v], index[w])
                else:
                    work.pop()
                    if work:
                        u = work[-1][0]
                        low[u] = min(low[u], low[v])
                    if low[v] == index[v]:
                        comp: set[str] = set()
                        while True:
                            w = stack.pop()
                            on_stack.discard(w)
                            comp.add(w)
                            if w == v:
                                break
                        out.append(comp)
        return out


_LAST: list[tuple[tuple[str, ...], tuple[Link, ...], _Causal]] = []  # the last graph made


def _causal_of(model: Model) -> _Causal:
    """The last model's graph when the objectives and the links are the same (the links the same
    objects: the language server's resolution cache keeps unchanged ones), else a new one."""
    ids = tuple(model.objectives)
    if _LAST:
        was_ids, was_links, g = _LAST[0]
        if (
            was_ids == ids
            and len(was_links) == len(model.links)
            and all(a is b for a, b in zip(was_links, model.links))
        ):
            return g
    g = _Causal(model)
    _LAST[:] = [(ids, tuple(model.links), g)]
    return g


_causal = per_model(_causal_of)  # one graph for the three checks that read it


def _closure(starts: Iterable[str], neighbours: Callable[[str], Iterable[str]]) -> set[str]:
    """Every node reachable from `starts` by repeatedly following `neighbours` (BFS), starts included."""
    seen = set(starts)
    queue = deque(seen)
    while queue:
        for v in neighbours(queue.popleft()):
            if v not in seen:
                seen.add(v)
                queue.append(v)
    return seen


def _link_text(a: str, b: str) -> str:
    return f"`{a} -> {b}`"


def _strategy_span(model: Model) -> Span | None:
    node = model.strategy.node
    if node is not None:
        return node.kind_span.cover(node.label.span) if node.label is not None else node.kind_span
    for o in model.objectives.values():
        if o.span is not None:
            return Span(o.span.file, 0, 0, 1, 1, 1, 1)
    return None


# --------------------------------------------------------------------------- MAP401


def _cycle_through(g: _Causal, start: str, members: Collection[str]) -> list[str]:
    """Shortest cycle through `start` inside one strongly connected component (BFS)."""
    parent: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in g.successors(u):
            if v not in members:
                continue
            if v == start and u != start:
                path = [u]
                while (p := parent[path[-1]]) is not None:
                    path.append(p)
                path.reverse()
                return path
            if v not in parent:
                parent[v] = u
                queue.append(v)
    return [start]  # unreachable for a real component


def _pos(model: Model, span: Span | None) -> tuple[int, int]:
    if span is None:
        return (-1, -1)
    files = model.files
    return (files.index(span.file) if span.file in files else len(files), span.start)


@check("MAP")
def cycles(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    g = _causal(model)
    order = {oid: i for i, oid in enumerate(model.objectives)}
    comps = [c for c in g.components() if len(c) > 1]
    comps.sort(key=lambda c: min(order.get(n, len(order)) for n in c))
    for comp in comps:
        start = min(comp, key=lambda n: order.get(n, len(order)))
        cyc = _cycle_through(g, start, comp)
        ring = cyc + [start]
        links = [g.links[a, b][0] for a, b in zip(ring, ring[1:])]
        # Rotate so that the link written last closes the cycle (it is shown as the primary span).
        last = max(range(len(links)), key=lambda i: _pos(model, links[i].span))
        cyc = cyc[last + 1 :] + cyc[: last + 1]
        links = links[last + 1 :] + links[: last + 1]
        ring = cyc + [cyc[0]]
        text = " -> ".join(ring)
        closing = links[-1]
        labels = tuple(
            Label(link.span, f"`{link.source}` drives `{link.target}`")
            for link in links[:-1]
            if link.span is not None
        )
        notes: list[str] = []
        if len(comp) > len(cyc):
            others = sorted(comp - set(cyc), key=lambda n: order.get(n, 0))
            shown = ", ".join(f"`{n}`" for n in others[:10]) + (" …" if len(others) > 10 else "")
            notes.append(f"{len(comp)} objectives are caught in this loop; also {shown}")
        notes.append(
            "cause and effect run one way: a strategy map is read from drivers up to outcomes"
        )
        yield dg.make(
            "MAP401",
            f"causal cycle among objectives: {text}",
            cast(Span, closing.span),  # links written in a file have spans
            f"`{closing.source}` drives `{closing.target}`, closing the cycle",
            labels=labels,
            help="remove the link that runs backwards (the effect that is said to drive its own cause)",
            notes=tuple(notes),
        )


# --------------------------------------------------------------------------- MAP402, MAP408


@check("MAP")
def links(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    index = model.perspective_index
    seen: dict[tuple[str, str], Span] = {}  # (source, target) -> the link's span
    for link in model.links:
        if link.span is None:
            continue
        a, b = link.source, link.target
        if a == b:
            yield dg.make(
                "MAP408",
                f"objective `{a}` is linked to itself",
                link.span,
                "self-link",
                help="remove the link; an objective does not drive itself",
            )
            continue
        first = seen.get((a, b))
        if first is not None:
            yield dg.make(
                "MAP408",
                f"duplicate link {_link_text(a, b)}",
                link.span,
                "linked again here",
                labels=(Label(first, "first linked here"),),
                help="remove one of the two links (give the remaining one the label, if any)",
            )
            continue
        seen[(a, b)] = link.span
        if link.kind != "causal":
            continue  # feedback runs from results back down to insight, by design
        oa, ob = model.objectives.get(a), model.objectives.get(b)
        if oa is None or ob is None:
            continue
        ia, ib = index.get(oa.perspective), index.get(ob.perspective)
        if ia is None or ib is None:
            continue
        if ia < ib:
            pa, pb = model.perspectives[ia], model.perspectives[ib]
            yield dg.make(
                "MAP402",
                f"link {_link_text(a, b)} runs from the {pa.id} perspective down to the {pb.id} perspective",
                link.span,
                "runs downwards",
                labels=tuple(
                    Label(id_span(o), f"`{o.id}` is in `{o.perspective}`") for o in (oa, ob)
                ),
                help=f"links run from drivers up to outcomes; did you mean {_link_text(b, a)}?",
                notes=(
                    "perspectives, top (outcomes) to bottom (drivers): "
                    + " > ".join(p.id for p in model.perspectives),
                ),
            )


# --------------------------------------------------------------------------- MAP403, MAP404


@check("MAP")
def contribution(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    g = _causal(model)
    top = model.top_perspective
    if top is None:
        return
    tops = [oid for oid, o in model.objectives.items() if o.perspective == top]
    # Objectives from which some top objective can be reached: reverse BFS from the tops.
    reaches = _closure(tops, g.predecessors)
    for oid, o in model.objectives.items():
        if o.span is None or model.perspective_index.get(o.perspective) is None:
            continue
        if o.perspective == top:
            if not any(p != oid for p in g.predecessors(oid)):
                yield dg.make(
                    "MAP404",
                    f"top-perspective objective `{oid}` has no driver",
                    id_span(o),
                    "nothing drives this outcome",
                    help=f"link an objective of a lower perspective to it: `DRIVER -> {oid}`",
                )
        elif oid not in reaches:
            yield dg.make(
                "MAP403",
                f"objective `{oid}` reaches no `{top}` objective",
                id_span(o),
                "contributes to no outcome",
                help=f"link it (directly or through other objectives) to an objective of the `{top}` "
                f"perspective: `{oid} -> OUTCOME`",
                notes=("every objective should lie on a causal path that ends in an outcome",),
            )


# --------------------------------------------------------------------------- MAP405


@check("MAP")
def empty_perspectives(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    used = {o.perspective for o in model.objectives.values()}
    for p in model.perspectives:
        if p.id in used:
            continue
        span = p.span or _strategy_span(model)
        if span is None:
            continue
        where = "listed here" if p.span else "default perspective"
        notes = (
            ()
            if p.span
            else (
                "with no `perspectives` block the default four apply: "
                "financial, customer, process, learning",
            )
        )
        yield dg.make(
            "MAP405",
            f"perspective `{p.id}` has no objectives",
            span,
            where,
            help=f"add an objective with `perspective {p.id}`, or leave the perspective out of a "
            "`perspectives` block",
            notes=notes,
        )


# --------------------------------------------------------------------------- MAP406, MAP407


@check("MAP")
def measures_and_actions(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    g = _causal(model)
    direct: set[str] = set()
    for coll in (model.plays, model.initiatives):
        for el in coll.values():
            direct.update(el.supports)
    supported = _closure([s for s in direct if s in g], g.successors)
    for oid, o in model.objectives.items():
        if o.span is None:
            continue
        if not o.targets and not o.measures:
            yield dg.make(
                "MAP406",
                f"objective `{oid}` has no target",
                id_span(o),
                "no target",
                help='add a measurable target: `target ID "label" >= VALUE by DATE` (or, when '
                'there is no goal yet, a tracked `measure ID "label"`)',
                notes=(
                    "objective -> measure -> target -> action: an objective without a target "
                    "cannot be tracked",
                ),
            )
        if oid not in supported:
            yield dg.make(
                "MAP407",
                f"objective `{oid}` is supported by no play or initiative",
                id_span(o),
                "no action behind it",
                help=f"add `supports {oid}` to a play or initiative (or to one that supports a driver "
                f"of `{oid}`)",
            )


# --------------------------------------------------------------------------- MAP409, MAP410


def _first(objs: list[Objective]) -> Objective | None:
    return next((o for o in objs if o.span is not None), None)


@check("MAP")
def balance(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    # "The default perspectives": the four of Kaplan–Norton, whether implicit or listed.
    if tuple(p.id for p in model.perspectives) != DEFAULT_IDS or not model.objectives:
        return
    by_persp: dict[str, list[Objective]] = {}
    for o in model.objectives.values():
        by_persp.setdefault(o.perspective, []).append(o)
    fin = by_persp.get("financial", [])
    first = _first(fin)
    if first is not None:
        families: set[str | None] = set()
        for o in fin:
            t = model.themes.get(o.theme) if o.theme else None
            if t is not None:
                families.add(theme_family(t.id, t.label))
        missing = [f for f in ("growth", "productivity") if f not in families]
        if missing:
            examples = (
                {
                    "growth": '`theme growth "收入增长"`',
                    "productivity": '`theme productivity "生产率提升"`',
                }
                if lang_of(model) == "zh"
                else {
                    "growth": '`theme growth "Revenue growth"`',
                    "productivity": '`theme productivity "Productivity"`',
                }
            )
            yield dg.make(
                "MAP409",
                f"the financial perspective has no {' or '.join(missing)} objective",
                id_span(first),
                "financial objectives start here",
                help="add a financial objective in "
                + " and one in ".join(f"a {f} theme ({examples[f]})" for f in missing),
                notes=(
                    "Kaplan–Norton: financial strategy balances revenue growth with productivity; themes are "
                    "recognised by words in their id or label (growth/revenue/收入/增长, "
                    "productivity/cost/efficiency/生产率/成本/效率)",
                ),
            )
    if any(o.kind for o in model.objectives.values()):
        present = {o.kind for o in model.objectives.values() if o.kind}
        for persp, kinds in KIND_FAMILIES.items():
            if present.intersection(kinds):
                continue
            first = _first(by_persp.get(persp, []))
            if first is None:
                continue  # an empty perspective is MAP405
            yield dg.make(
                "MAP409",
                f"no {persp} objective carries a {persp} `kind` ({', '.join(kinds)})",
                id_span(first),
                f"{persp} objectives start here",
                help=f"tag the {persp} objectives with their kind, e.g. `kind {kinds[0]}`",
                notes=("checked once the map uses `kind` tags at all",),
            )


@check("MAP")
def size(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    objs = [o for o in model.objectives.values() if o.span is not None]
    if len(objs) > MAX_OBJECTIVES:
        o = objs[MAX_OBJECTIVES]
        yield dg.make(
            "MAP410",
            f"the strategy map has {len(objs)} objectives (more than {MAX_OBJECTIVES})",
            id_span(o),
            f"objective {MAX_OBJECTIVES + 1}",
            help="keep the map to the few objectives that matter; move detail into plays and targets",
            notes=("maps that size stop being read",),
        )
    by_persp: dict[str, list[Objective]] = {}
    for o in objs:
        by_persp.setdefault(o.perspective, []).append(o)
    for p in model.perspectives:
        lst = by_persp.get(p.id, [])
        if len(lst) > MAX_PER_PERSPECTIVE:
            yield dg.make(
                "MAP410",
                f"perspective `{p.id}` has {len(lst)} objectives (more than {MAX_PER_PERSPECTIVE})",
                id_span(lst[MAX_PER_PERSPECTIVE]),
                f"objective {MAX_PER_PERSPECTIVE + 1} of `{p.id}`",
                help="merge related objectives or move detail into targets",
                notes=("maps that size stop being read",),
            )
