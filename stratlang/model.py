"""The checked, resolved, immutable model every backend reads.

Built by `stratlang.check.resolve.build_model` from the AST. References are resolved to ids
that exist (a reference that did not resolve is dropped and reported as a diagnostic), values
are typed (numbers with their unit, dates, durations in days), and every element keeps the AST
node it came from (`node`) so checks and the language server can point at attributes.

Rules are kept twice: as written (`Segment.rule`, `Trigger.rule`: the AST, which the formatter's
printer, the words and the maps read) and typed once by resolution (`Segment.typed_rule`,
`Trigger.typed_rule`, `Model.typed_segment_rule`: the normalized nodes of `stratlang.rules`, which
the evaluator, the solver and the SQL compiler read). A typed rule is None when the rule has type
errors (reported by resolution), so nothing later reasons about a rule that does not type-check.

Collections are dicts in declaration order wrapped read-only; elements are frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from . import language
from .rules import TRUE, Aggregate, NExpr, conjunction
from .source import Span
from .syntax import ast

if TYPE_CHECKING:
    import networkx as nx

DEFAULT_PERSPECTIVES = (
    ("financial", "Financial", "财务"),
    ("customer", "Customer", "客户"),
    ("process", "Internal process", "内部流程"),
    ("learning", "Learning & growth", "学习与成长"),
)

SCRIPT_SECTIONS = language.SCRIPT_SECTIONS


# The units a target, milestone, baseline or review value can have. Money is not told from a
# count: both are plain numbers (`1.2亿`, `45`), in the strategy's `currency` when money.
QUANTITY_UNITS = ("percent", "number", "ratio", "multiple")


@dataclass(frozen=True)
class Quantity:
    """A number with its unit: `percent` (20% -> 20), `number` (an amount or a count: 1.2亿 ->
    120000000), `ratio` (`1:1.2` -> 1.2: output per unit of input, a:b is b/a) or `multiple`
    (`5x`, `5倍` -> 5)."""

    value: int | float
    unit: str  # percent | number | ratio | multiple
    raw: str = ""

    def __str__(self) -> str:
        return self.raw or (f"{self.value}%" if self.unit == "percent" else str(self.value))


@dataclass(frozen=True)
class Strategy:
    label: str
    owner: str | None = None
    period: tuple[dt.date, dt.date] | None = None
    currency: str | None = None
    locale: str = "zh-CN"
    version: str | None = None
    value_proposition: str | None = None
    banned: tuple[str, ...] | None = None  # None: the default list applies
    description: str | None = None
    span: Span | None = None
    node: ast.Block | None = None
    mission: str | None = None
    vision: str | None = None
    cadence: str = language.DEFAULT_CADENCE  # monthly | quarterly | yearly: targets' default
    # contact governance (docs/governance.md)
    holdout: float | None = None  # percent held out of every play (5 means 5%)
    holdout_seed: str = "holdout"  # part of the holdout hash: another seed draws another holdout
    timezone: str | None = None  # IANA zone of customers without one of their own


@dataclass(frozen=True)
class Perspective:
    id: str
    label: str
    index: int  # 0 = top (outcomes)
    span: Span | None = None  # None for the default perspectives


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    color: str | None = None
    description: str | None = None
    span: Span | None = None
    node: ast.Block | None = None


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # int float money percent bool string date enum
    enum_values: tuple[str, ...] = ()
    key: bool = False
    optional: bool = False
    risk_tolerance: bool = False
    span: Span | None = None
    label: str | None = None  # the field as people read it ("资产规模"); None: shown by name
    # A quantity derived from a history table (`Schema.derived`): what it is, and the least value
    # its definition allows (counts, streaks and days are >= 0), which the solver respects.
    aggregate: Aggregate | None = None
    minimum: int | None = None
    timezone: bool = False  # the customer's IANA time zone (flag `timezone`)
    # (value, label) of the enum values given a label (`enum(app "手机银行", …)`), declared order
    enum_labels: tuple[tuple[str, str], ...] = ()

    def value_label(self, value: str) -> str | None:
        """How people read an enum value (its label), None when it has none."""
        return dict(self.enum_labels).get(value)


@dataclass(frozen=True)
class Schema:
    id: str
    label: str
    fields: Mapping[str, Field]
    key: str | None
    risk_field: str | None
    span: Span | None = None
    node: ast.Block | None = None
    # the history aggregates the rules use, by their rule text: tested like fields
    derived: Mapping[str, Field] = field(default_factory=dict)
    timezone_field: str | None = None  # the field flagged `timezone`, if any

    @cached_property
    def rule_fields(self) -> Mapping[str, Field]:
        """Everything a typed rule may test: the table's fields, then the history aggregates."""
        if not self.derived:
            return self.fields
        return {**self.fields, **self.derived}


@dataclass(frozen=True)
class History:
    """A history table (`history txn { … }`): rows over time for each customer. `key`: the column
    holding the customer's key; `time`: the row's date."""

    id: str
    label: str
    fields: Mapping[str, Field]
    key: str | None
    time: str | None
    description: str | None = None
    span: Span | None = None
    node: ast.Block | None = None

    @property
    def rule_fields(self) -> Mapping[str, Field]:
        """What an aggregate's `where` may test: the table's columns."""
        return self.fields


@dataclass(frozen=True)
class Event:
    id: str
    label: str
    description: str | None = None
    span: Span | None = None
    node: ast.Block | None = None


@dataclass(frozen=True)
class Milestone:
    """`2026Q4 >= 2亿` in a target's body: the goal for one period. `period` is the canonical
    label (`2026-Q4`, `2026-03`, `2026`, `2026-06-30`); `start` and `end` its first and last day
    (both the date for a date)."""

    period: str
    op: str  # >= > <= < = between
    value: Quantity  # the low end for between
    high: Quantity | None = None  # between only
    span: Span | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    granularity: str = "quarter"  # year | quarter | month | day
    node: ast.MilestoneLine | None = None


@dataclass(frozen=True)
class Target:
    id: str
    label: str
    op: str  # >= > <= < = between
    value: Quantity  # the low end for between
    by: dt.date | None = None
    baseline: Quantity | None = None
    span: Span | None = None
    node: ast.TargetLine | None = None
    high: Quantity | None = None  # between only
    milestones: tuple[Milestone, ...] = ()
    cadence: str | None = None  # None: the strategy's
    weight: float = 1.0
    tolerance: float | None = None  # a fraction (15% -> 0.15); None: the default 10%
    # `serves F1.aum_total`: (parent objective id, parent target id) this target serves in a
    # cascade; None: the parent target of the same id (docs/cascade.md)
    serves: tuple[str, str] | None = None

    @property
    def unit(self) -> str:
        return self.value.unit


@dataclass(frozen=True)
class Measure:
    """`measure share "市场份额"`: tracked (it takes actuals) but not targeted."""

    id: str
    label: str
    cadence: str | None = None  # None: the strategy's
    weight: float = 1.0
    span: Span | None = None
    node: ast.MeasureLine | None = None


@dataclass(frozen=True)
class Objective:
    id: str
    label: str
    perspective: str
    theme: str | None = None
    owner: str | None = None  # as written: a unit id or a free string
    description: str | None = None
    kind: str | None = None
    targets: tuple[Target, ...] = ()
    measures: tuple[Measure, ...] = ()
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None
    owner_unit: str | None = None  # the owner when written as an id: a unit (checked by ALN009)
    aligns: tuple[str, ...] = ()  # ids of the parent project's objectives it serves (`align`)


@dataclass(frozen=True)
class Unit:
    """`unit ID "label" { parent UNIT  head "name" }`: an organisational unit (docs/cascade.md)."""

    id: str
    label: str
    parent: str | None = None  # a unit of this project or of an ancestor project
    head: str | None = None
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None


@dataclass(frozen=True)
class ParentLink:
    """The strategy's `parent "../hq"`: the parent project of a cascade. `path` as written;
    `resolved` the parent's entry file relative to the repository root (the child's folder's
    parent outside a repository), set when the parent was found (stratlang/check/alignment.py)."""

    path: str
    span: Span | None = None
    resolved: str | None = None


@dataclass(frozen=True)
class Link:
    """One edge of a link chain: `a -> b` (kind `causal`: a drives b) or `a ~> b` (kind
    `feedback`: results of a feed back into b; not part of the causal graph)."""

    source: str
    target: str
    label: str | None = None
    span: Span | None = None  # the `a -> b` part of the chain
    node: ast.Link | None = None
    kind: str = "causal"  # causal | feedback


@dataclass(frozen=True)
class Segment:
    id: str
    label: str
    rule: ast.Expr | None = None  # the segment's own rule
    # its own rule typed by resolution: TRUE when there is none, None when it has type errors
    typed_rule: NExpr | None = None
    extends: str | None = None
    lifecycle: str | None = None
    estimate: int | float | None = None
    profile: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None


@dataclass(frozen=True)
class Tiering:
    id: str
    label: str
    segments: tuple[str, ...] = ()
    exclusive: bool = False
    exhaustive: bool = False
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None


@dataclass(frozen=True)
class Offer:
    id: str
    label: str
    risk: str | None = None
    kind: str | None = None
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None


@dataclass(frozen=True)
class Capacity:
    amount: int | float | None  # None: unlimited
    per: str = "day"  # day | week

    @property
    def per_day(self) -> float | None:
        if self.amount is None:
            return None
        return self.amount / 7 if self.per == "week" else float(self.amount)


@dataclass(frozen=True)
class Channel:
    id: str
    label: str
    kind: str | None = None
    capacity: Capacity | None = None
    cost: int | float | None = None
    quiet: tuple[dt.time, dt.time] | None = None
    cap: tuple[int, float] | None = None  # (contacts, window in days)
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None


@dataclass(frozen=True)
class ScriptText:
    text: str
    span: Span | None = None


@dataclass(frozen=True)
class Objection:
    question: str
    answer: str
    span: Span | None = None


@dataclass(frozen=True)
class Script:
    id: str
    label: str
    channel: str | None
    sections: Mapping[str, ScriptText] = field(default_factory=dict)  # opening … opt_out, in order
    objections: tuple[Objection, ...] = ()
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None


# Triggers on a change since the previous data (`lists --previous`): they need the previous run's
# customer table, and a customer qualifies only when their state changed (docs/data.md).
TRANSITION_TRIGGERS = ("enters", "leaves", "becomes")


@dataclass(frozen=True)
class Trigger:
    kind: str  # event lifecycle schedule rule; transitions (TRANSITION_TRIGGERS): enters leaves becomes
    ref: str | None = None  # event id, lifecycle stage, schedule or (enters, leaves) segment id
    within_days: float | None = None
    rule: ast.Expr | None = None
    # a `when rule` typed by resolution; None for other kinds and when it has type errors
    typed_rule: NExpr | None = None
    span: Span | None = None


@dataclass(frozen=True)
class Step:
    number: int
    channel: str
    script: str
    after_days: float | None = None
    after_raw: str | None = None
    unless_converted: bool = False
    span: Span | None = None
    node: ast.StepLine | None = None
    # the step's own offers (`with a + b`), each once; empty: the play's offer (`Play.offers_of`)
    offers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Play:
    id: str
    label: str
    segment: str | None
    trigger: Trigger | None = None
    offer: str | None = None
    steps: tuple[Step, ...] = ()
    supports: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    measures: tuple[Measure, ...] = ()
    control: float | None = None  # percent, 10 means 10%
    priority: int = 0
    owner: str | None = None  # as written: a unit id or a free string
    budget: int | float | None = None
    period: tuple[dt.date, dt.date] | None = None
    description: str | None = None
    allow: frozenset[str] = frozenset()
    order: int = 0  # declaration order among plays (assignment ties)
    span: Span | None = None
    node: ast.Block | None = None
    variants: tuple[Variant, ...] = ()  # the arms of an A/B test, in declaration order
    owner_unit: str | None = None  # the owner when written as an id: a unit (checked by ALN009)

    def arms(self) -> tuple[Variant | None, ...]:
        """What a customer of the play may get: `(None,)` (the play itself) without variants,
        else each variant."""
        return self.variants or (None,)

    def steps_of(self, variant: Variant | None = None) -> tuple[Step, ...]:
        """The steps an arm sends: its own when it has any, else the play's."""
        if variant is not None and variant.steps:
            return variant.steps
        return self.steps

    def offers_of(self, step: Step, variant: Variant | None = None) -> tuple[str, ...]:
        """What a step offers: its own offers (`with a + b`), else the arm's `offer`, else the
        play's `offer`, else none."""
        if step.offers:
            return step.offers
        if variant is not None and variant.offer:
            return (variant.offer,)
        return (self.offer,) if self.offer else ()

    def step_days(self, variant: Variant | None = None) -> tuple[float, ...]:
        """Each step's day after the play starts for a customer: step 1 on day 0, each later step
        its `after` later than the one before (docs/language.md §4.2)."""
        days, day = [], 0.0
        for i, step in enumerate(self.steps_of(variant)):
            if i > 0:
                day += step.after_days or 0
            days.append(day)
        return tuple(days)

    def channels(self) -> tuple[str, ...]:
        """Every channel any arm's steps go through, in order of first use."""
        return tuple(dict.fromkeys(s.channel for v in self.arms() for s in self.steps_of(v)))


@dataclass(frozen=True)
class Variant:
    """`variant ID "label" SHARE% [{ offer …  step … }]`: an arm of a play's A/B test. Its steps
    replace the play's when it has any; its offer replaces the play's `offer`."""

    id: str
    label: str
    share: float  # percent: 50 means 50%
    offer: str | None = None
    steps: tuple[Step, ...] = ()
    description: str | None = None
    span: Span | None = None
    node: ast.VariantLine | None = None


@dataclass(frozen=True)
class ContactLimit:
    """`at most COUNT per DAYS [on …]`: at most `count` contacts in any window of `days` days,
    on the channels named (channel ids or channel kinds; `on == ()`: every channel)."""

    count: int
    days: float
    on: tuple[str, ...] = ()
    text: str = ""  # canonical source text: "at most 1 per 1d on outbound_call"
    span: Span | None = None


@dataclass(frozen=True)
class Consent:
    """`consent FIELD on …`: a contact through these channels (ids or kinds) needs FIELD true."""

    field: str
    on: tuple[str, ...]
    span: Span | None = None


@dataclass(frozen=True)
class Policy:
    """`policy ID "label" { at most …  consent … }`: contact governance over every play."""

    id: str
    label: str
    limits: tuple[ContactLimit, ...] = ()
    consents: tuple[Consent, ...] = ()
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None


@dataclass(frozen=True)
class Initiative:
    id: str
    label: str
    supports: tuple[str, ...] = ()
    owner: str | None = None  # as written: a unit id or a free string
    budget: int | float | None = None
    period: tuple[dt.date, dt.date] | None = None
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None
    owner_unit: str | None = None  # the owner when written as an id: a unit (checked by ALN009)


@dataclass(frozen=True)
class Review:
    """`review ID "label" { when MEASURE deviates 15% | MEASURE CMP V [for N UNIT]; action … }`:
    a condition over a measure's actuals and what to do when it holds.

    `measure` is `OWNER.ID` (a target or measure of an objective or play). `kind` `deviation`:
    |actual − goal| / |goal| > value (a percent); `threshold`: actual `op` value (in the measure's
    unit). It must hold for `count` consecutive periods of the measure's cadence; `unit` is how
    `for` counted them (`periods`, `months`, `quarters`, `years`; `periods` without `for`)."""

    id: str
    label: str
    measure: str
    kind: str  # deviation | threshold
    op: str | None  # threshold: >= > <= <; None for deviation
    value: Quantity
    count: int = 1
    unit: str = "periods"
    action: str | None = None
    owner: str | None = None
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None


@dataclass(frozen=True)
class Gap:
    """`gap ID "label" { estimate 5亿  objectives …  initiatives … }`: an opportunity gap (机会差距),
    its estimated value and the objectives and initiatives meant to close it."""

    id: str
    label: str
    estimate: Quantity | None = None
    objectives: tuple[str, ...] = ()
    initiatives: tuple[str, ...] = ()
    description: str | None = None
    allow: frozenset[str] = frozenset()
    span: Span | None = None
    node: ast.Block | None = None


K = TypeVar("K")
V = TypeVar("V")


def _ro(d: dict[K, V]) -> Mapping[K, V]:
    return MappingProxyType(d)


@dataclass(frozen=True, eq=False)
class Model:
    strategy: Strategy
    perspectives: tuple[Perspective, ...]
    themes: Mapping[str, Theme]
    schema: Schema | None
    events: Mapping[str, Event]
    objectives: Mapping[str, Objective]
    links: tuple[Link, ...]
    segments: Mapping[str, Segment]
    tierings: Mapping[str, Tiering]
    offers: Mapping[str, Offer]
    channels: Mapping[str, Channel]
    scripts: Mapping[str, Script]
    plays: Mapping[str, Play]
    initiatives: Mapping[str, Initiative]
    files: tuple[str, ...] = ()  # display paths of the project's files, entry first
    custom_perspectives: bool = False
    kinds: Mapping[str, str] = field(default_factory=dict)  # id -> declaration kind
    reviews: Mapping[str, Review] = field(default_factory=dict)
    gaps: Mapping[str, Gap] = field(default_factory=dict)
    histories: Mapping[str, History] = field(default_factory=dict)
    policies: Mapping[str, Policy] = field(default_factory=dict)
    # a cascade (docs/cascade.md): the units declared here, the parent project, the strategy's unit
    units: Mapping[str, Unit] = field(default_factory=dict)
    parent: ParentLink | None = None
    unit: str | None = None

    # ------------------------------------------------------------------ lookups

    def limits(self) -> tuple[tuple[Policy, ContactLimit], ...]:
        """Every contact limit of every policy, in declaration order."""
        return tuple((p, lim) for p in self.policies.values() for lim in p.limits)

    def _channels_named(self, names: tuple[str, ...]) -> frozenset[str]:
        """The channel ids that channel ids or channel kinds name."""
        return frozenset(
            c.id for c in self.channels.values() if c.id in names or (c.kind and c.kind in names)
        )

    def limit_channels(self, limit: ContactLimit) -> frozenset[str]:
        """The channel ids a limit counts: those named by id or kind, or every channel."""
        if not limit.on:
            return frozenset(self.channels)
        return self._channels_named(limit.on)

    def consent_fields(self, channel_id: str) -> tuple[str, ...]:
        """The consent fields a contact through the channel needs (every policy's `consent`
        naming it or its kind), in declaration order."""
        out = [
            c.field
            for p in self.policies.values()
            for c in p.consents
            if channel_id in self._channels_named(c.on)
        ]
        return tuple(dict.fromkeys(out))

    def window_days(self, play: Play) -> int | None:
        """Days in a play's window: its `period`, else the strategy's, both ends included (at
        least 1). None only in a model with errors (the strategy's `period` is required).
        Capacity demand (PLY604), the channel chart and the lists' capacity all use this."""
        period = play.period or self.strategy.period
        if not period:
            return None
        return max(1, (period[1] - period[0]).days + 1)

    @cached_property
    def perspective_index(self) -> dict[str, int]:
        return {p.id: p.index for p in self.perspectives}

    def perspective(self, pid: str) -> Perspective | None:
        for p in self.perspectives:
            if p.id == pid:
                return p
        return None

    @property
    def top_perspective(self) -> str | None:
        return self.perspectives[0].id if self.perspectives else None

    def segment_chain(self, sid: str) -> list[Segment]:
        """The segment and its `extends` ancestors, child first (stops on a cycle)."""
        chain: list[Segment] = []
        seen: set[str] = set()
        cur = self.segments.get(sid)
        while cur is not None and cur.id not in seen:
            seen.add(cur.id)
            chain.append(cur)
            cur = self.segments.get(cur.extends) if cur.extends else None
        return chain

    def segment_rule(self, sid: str) -> ast.Expr | None:
        """The full rule of a segment: its own rule AND its parents' (None: everyone)."""
        rules = [s.rule for s in reversed(self.segment_chain(sid)) if s.rule is not None]
        if not rules:
            return None
        if len(rules) == 1:
            return rules[0]
        return ast.And(rules[-1].span, tuple(rules))

    def typed_segment_rule(self, sid: str) -> NExpr | None:
        """The typed full rule of a segment: its own AND every `extends` ancestor's, flattened.

        TRUE when no rule restricts it; None when a rule in the chain has type errors or the
        segment is unknown."""
        if sid not in self.segments:
            return None
        parts: list[NExpr] = []
        for seg in reversed(self.segment_chain(sid)):
            if seg.typed_rule is None:
                return None
            parts.append(seg.typed_rule)
        return conjunction(parts) if parts else TRUE

    @cached_property
    def causal_graph(self) -> nx.DiGraph:
        """networkx DiGraph of objectives; edge a -> b means a drives b (edge attr `links`)."""
        import networkx as nx

        g = nx.DiGraph()
        for oid, o in self.objectives.items():
            g.add_node(oid, perspective=o.perspective)
        for link in self.links:
            if link.kind != "causal":
                continue  # feedback runs from results back to insight: not cause and effect
            if g.has_edge(link.source, link.target):
                g.edges[link.source, link.target]["links"].append(link)
            else:
                g.add_edge(link.source, link.target, links=[link])
        return g

    def measure(self, ref: str) -> Target | Measure | None:
        """The target or measure `OWNER.ID` names (an objective's or a play's), or None."""
        owner_id, _, mid = ref.partition(".")
        owner: Objective | Play | None = self.objectives.get(owner_id) or self.plays.get(owner_id)
        if owner is None:
            return None
        for t in owner.targets:
            if t.id == mid:
                return t
        for ms in owner.measures:
            if ms.id == mid:
                return ms
        return None

    def cadence_of(self, measure: Target | Measure) -> str:
        """How often a target or measure is reviewed: its own `cadence`, else the strategy's."""
        return measure.cadence or self.strategy.cadence

    def supporters(self, objective_id: str) -> list[str]:
        """Plays and initiatives that support an objective."""
        out = [p.id for p in self.plays.values() if objective_id in p.supports]
        out += [i.id for i in self.initiatives.values() if objective_id in i.supports]
        return out

    def declaration(self, ident: str) -> Any:
        """The model element with this id, of any kind."""
        for coll in (
            self.themes,
            self.events,
            self.objectives,
            self.segments,
            self.tierings,
            self.offers,
            self.channels,
            self.scripts,
            self.plays,
            self.initiatives,
            self.reviews,
            self.gaps,
            self.policies,
        ):
            if ident in coll:
                return coll[ident]
        if self.schema is not None and self.schema.id == ident:
            return self.schema
        return None
