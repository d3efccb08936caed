"""Segment reasoning: SEG501–SEG505, and the two play checks that need it, PLY602 and PLY607.

Every witness customer is a full record built by the solver and confirmed by the reference
evaluator before a diagnostic is emitted; if evaluation does not reproduce the claim, nothing is
reported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterator

from .. import diagnostics as dg
from ..model import Model, Offer, Play, Schema, Segment, Variant
from ..rules import TRUE, All, Cmp, NExpr, show
from ..rules import Value as RuleValue
from ..source import Span
from ..syntax import ast
from .evaluator import Record, evaluate
from .plays import arm_name
from .registry import Context, check
from .resolve_cache import field_values
from .solver import NT, Compiled, Conjunct, Space, T, Undecided, overlap_env
from .util import attr as _attr
from .util import id_span, per_model, span_of

# --------------------------------------------------------------------------- shared state


class _Answers:
    """What the solver answered over one schema space, kept from one model to the next: the
    language server checks after every edit, and its resolution cache (`check.resolve.BuildCache`)
    gives unchanged segments' typed rules as the same objects. Keyed by the rules' identity (the
    entries hold them): a rule's satisfiability, a full rule compiled, and the full rule made of
    the same rules (so that it is the same object too)."""

    def __init__(self, key: tuple[object, ...], space: Space) -> None:
        self.key = key  # the schema as the solver reads it, and the strategy's start
        self.space = space
        self.sat: dict[int, tuple[NExpr, bool | None]] = {}
        self.compiled: dict[int, tuple[NExpr, Compiled | None]] = {}
        # a segment's full rule (its own and its ancestors', `Model.typed_segment_rule`) by the
        # rules it is made of
        self.rules: dict[tuple[int, ...], tuple[tuple[NExpr | None, ...], NExpr]] = {}
        # (id(rule), test) -> (rule, a conjunct where the rule is TRUE and the test is not, or
        # None; or Undecided)
        self.short: dict[tuple[int, NExpr], tuple[NExpr, Conjunct | Undecided | None]] = {}

    def trim(self, segments: int) -> None:
        """Forget everything when far more is kept than one model asks (old edits' rules)."""
        if len(self.sat) + len(self.compiled) + len(self.rules) + len(self.short) > (
            8 * segments + 256
        ):
            self.sat.clear()
            self.compiled.clear()
            self.rules.clear()
            self.short.clear()


_ANSWERS: list[_Answers] = []  # the last space's answers (one at most)


def _answers(schema: Schema, start: dt.date | None) -> _Answers:
    fields = tuple(field_values(f) for f in schema.rule_fields.values())
    key = (tuple(schema.rule_fields), fields, schema.key, schema.risk_field, start)
    last = _ANSWERS[0] if _ANSWERS else None
    if last is None or last.key != key:
        last = _Answers(key, Space(schema, start))
        _ANSWERS[:] = [last]
    return last


class Reasoner:
    """The model's schema space and compiled full rules, built once per model (the solver's
    answers are kept across models of the same schema: `_Answers`)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.schema = model.schema
        start = model.strategy.period[0] if model.strategy.period else None
        self.answers = _answers(model.schema, start) if model.schema is not None else None
        self.space = self.answers.space if self.answers is not None else None
        if self.answers is not None:
            self.answers.trim(len(model.segments))
        self.cycles = extends_cycles(model)
        self.in_cycle = {s for c in self.cycles for s in c}
        self._rules: dict[str, NExpr | None] = {}
        self._compiled: dict[str, Compiled | None] = {}

    def rule(self, sid: str) -> NExpr | None:
        """Normalized full rule, or None (type errors, unknown, in an extends cycle)."""
        if sid in self.in_cycle or self.space is None:
            return None
        if sid not in self._rules:
            rule = self.model.typed_segment_rule(sid)
            if rule is not None and self.answers is not None:  # the last model's, if alike
                parts = tuple(s.typed_rule for s in self.model.segment_chain(sid))
                key = tuple(map(id, parts))
                kept = self.answers.rules.get(key)
                if kept is None or any(a is not b for a, b in zip(kept[0], parts, strict=True)):
                    kept = self.answers.rules[key] = (parts, rule)
                rule = kept[1]
            self._rules[sid] = rule
        return self._rules[sid]

    @property
    def solver(self) -> Space:
        """The space, for the questions asked once a check knows there is one (a schema)."""
        if self.space is None:
            raise ValueError("the model has no schema to reason about")
        return self.space

    def compiled(self, sid: str) -> Compiled | None:
        if sid not in self._compiled:
            r = self.rule(sid)  # None without a space
            if r is None or self.answers is None:
                self._compiled[sid] = None
                return None
            kept = self.answers.compiled.get(id(r))
            if kept is None or kept[0] is not r:
                try:
                    made: Compiled | None = Compiled(self.solver, r)
                except Undecided:
                    made = None
                kept = self.answers.compiled[id(r)] = (r, made)
            self._compiled[sid] = kept[1]
        return self._compiled[sid]

    def satisfiable(self, rule: NExpr) -> bool | None:
        """None when undecided (too deep)."""
        kept = self.answers.sat.get(id(rule)) if self.answers is not None else None
        if kept is not None and kept[0] is rule:
            return kept[1]
        try:
            sat: bool | None = self.solver.solve(self.solver.pos(rule, T)) is not None
        except Undecided:
            sat = None
        if self.answers is not None:
            self.answers.sat[id(rule)] = (rule, sat)
        return sat

    def falls_short(self, rule: NExpr, test: NExpr) -> Conjunct | None:
        """A conjunct where `rule` is TRUE and `test` is not (None: there is none). Raises
        Undecided when too deep. Kept across models (`_Answers`)."""
        answers = self.answers
        kept = answers.short.get((id(rule), test)) if answers is not None else None
        if kept is None or kept[0] is not rule:
            space = self.solver
            found: Conjunct | Undecided | None
            try:
                found = space.solve(space.conj([space.pos(rule, T), space.pos(test, NT)]))
            except Undecided as e:
                found = e
            kept = (rule, found)
            if answers is not None:
                answers.short[(id(rule), test)] = kept
        if isinstance(kept[1], Undecided):
            raise Undecided()
        return kept[1]

    def witness(
        self, env: Conjunct, check: Callable[[dict[str, RuleValue]], bool]
    ) -> dict[str, RuleValue] | None:
        """A record from a satisfying conjunct that `check(record)` confirms, or None."""
        for prefer_null in (False, True):
            rec = self.solver.witness(env, prefer_null)
            try:
                if check(rec):
                    return rec
            except (ValueError, TypeError):
                return None
        return None

    def is_true(self, rule: NExpr, rec: Record) -> bool:
        return evaluate(rule, rec, self.schema) is True


reasoner = per_model(Reasoner)


def format_witness(rec: Record, schema: Schema, first: Collection[str] = ()) -> str:
    """`witness: aum=1000000, age=30, …` — the fields in `first` (those that matter), then `…`."""
    fields = schema.rule_fields
    shown = [f for f in fields if f in first]
    parts: list[str] = []
    for name in shown:
        f, v = fields[name], rec.get(name)
        if v is None:
            text = "missing"
        elif isinstance(v, bool):
            text = "true" if v else "false"
        elif f.type == "enum":
            text = str(v)
        elif isinstance(v, str):
            text = '"' + v.replace('"', '\\"') + '"'
        elif isinstance(v, dt.date):
            text = v.isoformat()
        elif f.type == "percent":
            text = f"{v}%"
        else:
            text = str(v)
        parts.append(f"{name}={text}")
    if not shown:  # no field matters: any customer will do
        return (
            "witness: any customer, e.g. "
            + format_witness(rec, schema, list(fields)[:2])[len("witness: ") :]
        )
    if len(shown) < len(fields):
        parts.append("…")
    return "witness: " + ", ".join(parts)


def _ref_spans(node: ast.Block | None, attr_name: str, ident: str) -> list[Span]:
    a = _attr(node, attr_name)
    if a is None:
        return []
    v = a.value
    items = v.items if isinstance(v, ast.ListValue) else (v,)
    return [i.span for i in items if isinstance(i, ast.Name) and i.name == ident]


# a string literal (kept as written) or a `#` comment (dropped), as the grammar's STRING,
# LONG_STRING and COMMENT terminals define them
_STRING_OR_COMMENT = re.compile(r'("""(?:[^"\\]|\\[\s\S]|"(?!""))*"""|"(?:[^"\\\n]|\\.)*")|#[^\n]*')


def rule_text(source: str) -> str:
    """Rule source as one line: comments dropped, whitespace collapsed, strings kept as written."""
    strings: list[str] = []

    def keep(m: re.Match[str]) -> str:
        if m.group(1) is None:  # a comment
            return " "
        strings.append(re.sub(r"\s*\n\s*", " ", m.group(1)))
        return f"\0{len(strings) - 1}\0"

    code = " ".join(_STRING_OR_COMMENT.sub(keep, source).split())
    code = re.sub(r" ([)\]])", r"\1", re.sub(r"([(\[]) ", r"\1", code))
    return re.sub(r"\0(\d+)\0", lambda m: strings[int(m.group(1))], code)


def _text(ctx: Context | None, span: Span | None, fallback: str) -> str:
    if ctx is None or ctx.sources is None or not span:
        return fallback
    src = ctx.sources.get(span.file)
    if src is None:
        return fallback
    # the rule's own text: a comment inside the span is not part of the rule
    text = rule_text(src.text[span.start : span.end])
    # (a span that does not cover its closing parenthesis would print unbalanced text)
    return text if text.count("(") == text.count(")") else fallback


# --------------------------------------------------------------------------- extends cycles


def extends_cycles(model: Model) -> list[list[str]]:
    """Each cycle of `extends` once, starting at its first-declared segment."""
    order = {sid: i for i, sid in enumerate(model.segments)}
    cycles: list[list[str]] = []
    done: set[str] = set()
    for sid in model.segments:
        path: list[str] = []
        pos: dict[str, int] = {}
        cur: str | None = sid
        while cur is not None and cur in model.segments and cur not in done and cur not in pos:
            pos[cur] = len(path)
            path.append(cur)
            cur = model.segments[cur].extends
        if cur is not None and cur in pos:
            cyc = path[pos[cur] :]
            k = min(range(len(cyc)), key=lambda i: order[cyc[i]])
            cycles.append(cyc[k:] + cyc[:k])
        done.update(path)
    return cycles


# --------------------------------------------------------------------------- SEG checks


@check("SEG")
def segment_checks(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    r = reasoner(model)
    for cyc in r.cycles:
        first = model.segments[cyc[0]]
        a = _attr(first.node, "extends")
        span = a.value.span if a is not None else span_of(first)
        chain = " -> ".join(f"`{s}`" for s in cyc + [cyc[0]])
        labels: list[dg.Label] = []
        for s in cyc[1:]:
            b = _attr(model.segments[s].node, "extends")
            if b is not None:
                labels.append(dg.Label(b.value.span, "continues the cycle"))
        yield dg.make(
            "SEG505",
            f"`extends` chain is cyclic: {chain}",
            span,
            "closes a cycle",
            labels=labels,
            help="a segment cannot (even indirectly) extend itself; remove one `extends`",
        )
    if r.space is None:
        return
    for sid, seg in model.segments.items():
        own = seg.typed_rule
        if own is None or sid in r.in_cycle:
            continue
        if own is not TRUE:
            sat = r.satisfiable(own)
            if sat is False:
                yield _unsat(r, ctx, seg, own)
                continue
        if seg.extends and seg.extends in model.segments:
            full, parent = r.rule(sid), r.rule(seg.extends)
            if full is None or parent is None:
                continue
            if r.satisfiable(parent) and r.satisfiable(full) is False:
                a = _attr(seg.node, "extends")
                rule_attr = _attr(seg.node, "rule")
                span = rule_attr.value.span if rule_attr is not None else span_of(seg)
                labels = (
                    [dg.Label(a.value.span, "the parent's rule is added here")]
                    if a is not None
                    else []
                )
                pseg = model.segments[seg.extends]
                prule = _attr(pseg.node, "rule")
                if prule is not None:
                    labels.append(dg.Label(prule.value.span, f"rule of `{seg.extends}`"))
                yield dg.make(
                    "SEG505",
                    f"segment `{sid}` contradicts its parent `{seg.extends}`: together they "
                    "match no customer",
                    span,
                    "no member of the parent passes this",
                    labels=labels,
                    help=f"`extends {seg.extends}` means the parent's rule AND this one; relax one of "
                    "them, or stop extending",
                )


def _unsat(r: Reasoner, ctx: Context, seg: Segment, own: NExpr) -> dg.Diagnostic:
    """SEG501 with a minimal set of top-level tests that conflict (deletion-based core)."""
    items = list(own.items) if isinstance(own, All) else [own]
    core = items
    i = 0
    while i < len(core) and len(core) > 1:
        trial = core[:i] + core[i + 1 :]
        if r.satisfiable(All(tuple(trial))) is False:
            core = trial
        else:
            i += 1
    texts = [_text(ctx, n.span, show(n, r.schema)) for n in core]
    if len(core) == 1:
        msg = f"segment `{seg.id}` can match no customer: `{texts[0]}` is never true"
        label = "never true"
        help = "no customer can pass this test, so the segment is always empty"
        f = r.solver.schema.rule_fields.get(getattr(core[0], "field", ""), None)
        if f is not None and not f.optional and "missing" in texts[0]:
            help = f"`{f.name}` is not `optional`, so it is never missing"
        elif f is not None and f.minimum is not None:
            help = f"`{f.name}` is never below {f.minimum}"
        elif f is not None and f.type == "int" and "." in texts[0]:
            help = f"`{f.name}` is an int; it never equals a fraction"
    else:
        quoted = ", ".join(f"`{t}`" for t in texts[:-1]) + f" and `{texts[-1]}`"
        msg = f"segment `{seg.id}` can match no customer: {quoted} cannot all hold"
        if len(core) == 2:
            msg = msg.replace("cannot all hold", "cannot both hold")
        label = "cannot hold together with the other marked test" + ("s" if len(core) > 2 else "")
        help = (
            "no customer passes all of these tests; fix the bounds, or use `or` if either should do"
        )
    labels = [dg.Label(n.span, "conflicts with this") for n in core[1:] if n.span is not None]
    span = core[0].span or span_of(seg)
    return dg.make("SEG501", msg, span, label, labels=labels, help=help)


def _in_both(
    r: Reasoner, ca: Compiled, cb: Compiled, rule_a: NExpr, rule_b: NExpr
) -> tuple[Conjunct, dict[str, RuleValue]] | None:
    """(env, a customer record) meeting both rules, or None: they cannot overlap, or the solver
    cannot decide (no diagnostic then: only proven overlaps are reported)."""
    try:
        env = overlap_env(r.solver, ca, cb)
    except Undecided:
        return None
    if env is None:
        return None
    rec = r.witness(env, lambda x: r.is_true(rule_a, x) and r.is_true(rule_b, x))
    return None if rec is None else (env, rec)


@check("SEG")
def tiering_checks(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    r = reasoner(model)
    if r.space is None:
        return
    for tg in model.tierings.values():
        tiers = [s for s in dict.fromkeys(tg.segments) if s in model.segments]
        rules = {s: r.rule(s) for s in tiers}
        if tg.exclusive:
            for j, b in enumerate(tiers):
                for a in tiers[:j]:
                    ca, cb = r.compiled(a), r.compiled(b)
                    if ca is None or cb is None:
                        continue
                    both = _in_both(r, ca, cb, ca.rule, cb.rule)  # the rules of a and b
                    if both is None:
                        continue
                    env, rec = both
                    bs = _ref_spans(tg.node, "segments", b)
                    as_ = _ref_spans(tg.node, "segments", a)
                    span = bs[0] if bs else span_of(tg)
                    yield dg.make(
                        "SEG502",
                        f"tiers `{a}` and `{b}` of exclusive tiering `{tg.id}` overlap",
                        span,
                        f"overlaps `{a}`",
                        labels=[dg.Label(as_[0], "overlapping tier")] if as_ else [],
                        notes=(
                            format_witness(rec, r.solver.schema, env)
                            + f" is in both `{a}` and `{b}`",
                        ),
                        help="make the rules disjoint (one tier's bound where the next begins, `<` against `>=`), "
                        "or drop `exclusive true`",
                    )
        listed = _attr(tg.node, "segments")
        names = (
            (listed.value.items if isinstance(listed.value, ast.ListValue) else (listed.value,))
            if listed is not None
            else ()
        )
        # an unresolved tier is reported already (NAM201/NAM203); a gap would be noise
        unresolved = any(not isinstance(n, ast.Name) or n.name not in model.segments for n in names)
        if tg.exhaustive and not unresolved:
            typed = [rl for rl in rules.values() if rl is not None]  # one per tier, in order
            if len(typed) < len(tiers):
                continue
            try:
                gap_env = r.space.solve(r.space.conj([r.space.pos(rl, NT) for rl in typed]))
            except Undecided:
                continue
            if gap_env is None:
                continue
            gap = r.witness(gap_env, lambda x: not any(r.is_true(rl, x) for rl in typed))  # noqa: B023 (called here)
            if gap is None:
                continue
            ex_attr = _attr(tg.node, "exhaustive")
            span = ex_attr.span if ex_attr is not None else span_of(tg)
            yield dg.make(
                "SEG503",
                f"exhaustive tiering `{tg.id}` has a gap: some customers are in no tier",
                span,
                "not every customer is in a tier",
                notes=(format_witness(gap, r.space.schema, gap_env) + " is in no tier",),
                help="widen a tier (or add one) to cover these customers, or drop `exhaustive true`",
            )


@check("SEG")
def unused_segments(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    used = {p.segment for p in model.plays.values() if p.segment}
    for tg in model.tierings.values():
        used.update(tg.segments)
    stack = list(used)
    while stack:
        s = stack.pop()
        seg = model.segments.get(s)
        if seg is not None and seg.extends and seg.extends not in used:
            used.add(seg.extends)
            stack.append(seg.extends)
    for sid, seg in model.segments.items():
        if sid in used:
            continue
        span = id_span(seg)
        yield dg.make(
            "SEG504",
            f"segment `{sid}` is used by no play and no tiering",
            span,
            "unused segment",
            help=f"use it in a play (`segment {sid}`) or a tiering, delete it, or add `allow SEG504`",
        )


# --------------------------------------------------------------------------- PLY602, PLY607


def _offers_made(
    model: Model,
) -> Iterator[tuple[Play, Offer, Span | None, list[Variant | None]]]:
    """Every offer a play makes, once per play, with where it is named (a step's `with`, else
    the arm's `offer`; None: the play's `offer`) and the arms that make it: PLY602 applies per
    step and arm, to the step's own offers, else the arm's, else the play's."""
    for play in model.plays.values():
        made: dict[str, tuple[Offer, Span | None, list[Variant | None]]] = {}
        for v in play.arms():
            own_offer = _attr_in(v.node.items, "offer") if v is not None and v.node else None
            for step in play.steps_of(v):
                own = {n.name: n.span for n in step.node.offers} if step.node is not None else {}
                for oid in play.offers_of(step, v):
                    offer = model.offers.get(oid)
                    if offer is None:
                        continue
                    where = own.get(oid) or (
                        own_offer.value.span
                        if own_offer is not None and v is not None and v.offer == oid
                        else None
                    )
                    got = made.setdefault(oid, (offer, where, []))
                    if v not in got[2]:
                        got[2].append(v)
        for offer, where, arms in made.values():
            yield play, offer, where, arms
        offer = model.offers.get(play.offer) if play.offer else None
        if not play.steps and not play.variants and offer is not None:
            yield play, offer, None, [None]


def _attr_in(items: tuple[ast.Item, ...], name: str) -> ast.Attribute | None:
    for item in items:
        if isinstance(item, ast.Attribute) and item.name.name == name:
            return item
    return None


@check("PLY")
def suitability(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    """PLY602: the segment admits customers whose risk tolerance is below the offer's risk."""
    r = reasoner(model)
    schema = model.schema
    if r.space is None or schema is None or schema.risk_field is None:
        return
    rf = schema.fields[schema.risk_field]
    for play, offer, where, arms in _offers_made(model):
        if offer.risk is None or offer.risk not in rf.enum_values or not play.segment:
            continue
        rule = r.rule(play.segment)
        if rule is None:
            continue
        need = Cmp(rf.name, ">=", rf.enum_values.index(offer.risk))
        try:
            env = r.falls_short(rule, need)
        except Undecided:
            continue
        if env is None:
            continue
        rec = r.witness(env, lambda x: r.is_true(rule, x) and not r.is_true(need, x))  # noqa: B023 (called here)
        if rec is None:
            continue
        a = _attr(play.node, "offer")
        span = where or (a.value.span if a is not None else span_of(play))
        segs = _attr(play.node, "segment")
        below = "has no" if rec.get(rf.name) is None else f"`{rf.name}` {rec[rf.name]} is below"
        yield dg.make(
            "PLY602",
            f"play `{play.id}`{arm_name(play, arms)} offers `{offer.id}` (risk {offer.risk}) to "
            f"segment `{play.segment}`, "
            f"which admits customers whose `{rf.name}` is below {offer.risk}",
            span,
            f"risk {offer.risk}",
            labels=[dg.Label(segs.value.span, f"not every member has `{rf.name} >= {offer.risk}`")]
            if segs
            else [],
            notes=(
                format_witness(rec, r.solver.schema, env) + f" is a member ({below} {offer.risk})"
                if rec.get(rf.name) is not None
                else format_witness(rec, r.solver.schema, env)
                + f" is a member and has no `{rf.name}`",
            ),
            help=f"add `{rf.name} >= {offer.risk}` to the rule of `{play.segment}` (or use a narrower segment), "
            "or offer a lower-risk product",
        )


def _periods_meet(a: tuple[dt.date, dt.date] | None, b: tuple[dt.date, dt.date] | None) -> bool:
    if a is None or b is None:
        return True
    return a[0] <= b[1] and b[0] <= a[1]


@check("PLY")
def equal_priority_overlap(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    """PLY607: two plays of equal priority whose segments overlap."""
    r = reasoner(model)
    if r.space is None:
        return
    plays = [p for p in model.plays.values() if p.segment and r.compiled(p.segment) is not None]
    by_prio: dict[int, list[Play]] = {}
    for p in plays:
        by_prio.setdefault(p.priority, []).append(p)
    for prio, group in by_prio.items():
        for j, b in enumerate(group):
            for a in group[:j]:
                if not _periods_meet(a.period, b.period):
                    continue
                ca, cb = r.compiled(a.segment or ""), r.compiled(b.segment or "")
                if ca is None or cb is None:  # not among `plays`
                    continue
                both = _in_both(r, ca, cb, ca.rule, cb.rule)
                if both is None:
                    continue
                env, rec = both
                pa, pb = _attr(a.node, "priority"), _attr(b.node, "priority")
                span = pb.value.span if pb is not None else id_span(b)
                aspan = pa.value.span if pa is not None else id_span(a)
                same = (
                    "the same segment"
                    if a.segment == b.segment
                    else f"`{a.segment}` and `{b.segment}`"
                )
                yield dg.make(
                    "PLY607",
                    f"plays `{a.id}` and `{b.id}` have the same priority ({prio}) and overlapping "
                    f"segments ({same})",
                    span,
                    f"same priority as `{a.id}`",
                    labels=[dg.Label(aspan, f"priority of `{a.id}`")],
                    notes=(
                        format_witness(rec, r.solver.schema, env) + " is eligible for both",
                        f"such a customer gets `{a.id}`, the play declared first",
                    ),
                    help="give the play that should win a higher `priority`, or make the segments disjoint",
                )
