"""The syntax tree: frozen dataclasses, `span` first, tuples for sequences.

The AST is close to the text (the formatter and the language server read it); meaning is given
by `stratlang.check.resolve`, which turns it into the `Model`.

Declarations (`Block`, `Import`, `Link`) and block items carry the comments that belong to
them: `leading` (whole-line comments just above) and `trailing` (a comment after it on its
last line). A block's `dangling` comments sit inside the block after its last item (or in an
empty block); the file's `dangling` comments come after the last declaration.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from ..language import DECLARATION_KINDS
from ..quick_init import quick_init
from ..source import Span


@dataclass(frozen=True, slots=True)
class Comment:
    span: Span
    text: str  # including the leading '#'


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Name:
    """An identifier in value position: a reference, an enum value or a keyword value."""

    span: Span
    name: str


@dataclass(frozen=True, slots=True)
class Str:
    span: Span
    value: str
    triple: bool = False


@dataclass(frozen=True, slots=True)
class Number:
    span: Span
    value: int | float  # scale suffixes applied: 50万 -> 500000; 20% -> 20
    percent: bool
    raw: str
    scaled: bool = False  # carried 万, 亿, k or m


@dataclass(frozen=True, slots=True)
class Date:
    span: Span
    value: _dt.date  # a quarter means its last day
    raw: str
    quarter: bool = False


@dataclass(frozen=True, slots=True)
class Time:
    span: Span
    hour: int
    minute: int
    raw: str

    @property
    def minutes(self) -> int:
        return self.hour * 60 + self.minute


DURATION_HOURS = {"h": 1, "d": 24, "w": 24 * 7, "mo": 24 * 30, "y": 24 * 365}


@dataclass(frozen=True, slots=True)
class Duration:
    span: Span
    amount: int
    unit: str  # h, d, w, mo, y
    raw: str

    @property
    def days(self) -> float:
        return self.amount * DURATION_HOURS[self.unit] / 24


@dataclass(frozen=True, slots=True)
class Ratio:
    """`1:1.2` (an input-output ratio): `left` to `right`; `right` is never 0."""

    span: Span
    left: int | float
    right: int | float
    raw: str

    @property
    def value(self) -> float:
        return self.left / self.right


@dataclass(frozen=True, slots=True)
class Multiple:
    """`5x`, `5倍`: `value` times something."""

    span: Span
    value: int | float
    raw: str


@dataclass(frozen=True, slots=True)
class Period:
    """A milestone's period: a year (`2026`), a quarter (`2026Q4`, `2026-Q4`) or a month
    (`2026-03`). A milestone written with a date (`2026-06-30`) holds a `Date` instead."""

    span: Span
    year: int
    quarter: int | None  # 1-4 for a quarter
    month: int | None  # 1-12 for a month
    raw: str

    @property
    def label(self) -> str:
        """The canonical spelling: `2026`, `2026-Q4`, `2026-03`."""
        if self.quarter is not None:
            return f"{self.year:04d}-Q{self.quarter}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @property
    def start(self) -> _dt.date:
        if self.quarter is not None:
            return _dt.date(self.year, 3 * self.quarter - 2, 1)
        return _dt.date(self.year, self.month or 1, 1)

    @property
    def end(self) -> _dt.date:
        """The period's last day."""
        if self.quarter is not None:
            last_month = 3 * self.quarter
        else:
            last_month = self.month or 12
        if last_month == 12:
            return _dt.date(self.year, 12, 31)
        return _dt.date(self.year, last_month + 1, 1) - _dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Invalid:
    """A malformed literal (already reported as SYN103)."""

    span: Span
    raw: str


@dataclass(frozen=True, slots=True)
class Range:
    span: Span
    low: Value
    high: Value


@dataclass(frozen=True, slots=True)
class Rate:
    """`2000 per day`, `2 per 30d`."""

    span: Span
    amount: Value
    per: Value


@dataclass(frozen=True, slots=True)
class ListValue:
    """A comma-separated list (`segments a, b, c`)."""

    span: Span
    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A schema field type: `int`, `money`, `enum(R1, R2)`, `enum(app "手机银行", branch "网点")`."""

    span: Span
    name: str
    enum_values: tuple[Name, ...] | None = None
    # a label per value (None: the value has none); empty when no value has one
    enum_labels: tuple[Str | None, ...] = ()


# --------------------------------------------------------------------------- rule expressions


@dataclass(frozen=True, slots=True)
class Or:
    span: Span
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class And:
    span: Span
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    span: Span
    operand: Expr


@dataclass(frozen=True, slots=True)
class Aggregate:
    """An aggregate over a history table in a rule: `FUNC([last] TABLE[.COLUMN] [increasing|decreasing]
    [where EXPR] [over DURATION])`, e.g. `sum(txn.amount over 90d)`, `days_since(last txn)`.
    The parser accepts every combination; the typer says which parts each function takes."""

    span: Span
    func: Name  # sum avg min max count change streak days_since
    table: Name
    column: Name | None = None
    last: bool = False  # `days_since(last txn)`
    trend: str | None = None  # streak: increasing / decreasing
    where: Expr | None = None  # over the history table's columns
    window: Value | None = None  # `over 90d`: a Duration when well-formed


# What a test reads: a customer field, or an aggregate over a history table.
Operand = Name | Aggregate


@dataclass(frozen=True, slots=True)
class Compare:
    span: Span
    field: Operand
    op: str  # = != < <= > >=
    value: Value


@dataclass(frozen=True, slots=True)
class Between:
    span: Span
    field: Operand
    low: Value
    high: Value


@dataclass(frozen=True, slots=True)
class In:
    span: Span
    field: Operand
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Missing:
    """`FIELD is missing` (present=False) or `FIELD is present` (present=True)."""

    span: Span
    field: Operand
    present: bool = False


@dataclass(frozen=True, slots=True)
class BoolTest:
    span: Span
    field: Name


Expr = Or | And | Not | Compare | Between | In | Missing | BoolTest
TESTS = (Compare, Between, In, Missing, BoolTest)


@dataclass(frozen=True, slots=True)
class MeasureRef:
    """`F2.revenue` in a review condition: a target or measure (`measure`) of a declaration
    (`OBJECTIVE.TARGET`, `PLAY.TARGET`, `OBJECTIVE.MEASURE`)."""

    span: Span
    owner: Name
    measure: Name

    @property
    def text(self) -> str:
        return f"{self.owner.name}.{self.measure.name}"


@dataclass(frozen=True, slots=True)
class Trigger:
    """`when event X [within D]` | `when lifecycle S` | `when schedule daily` | `when rule EXPR`
    | `when enters segment S` | `when leaves segment S` | `when lifecycle becomes S` (kinds
    `enters`, `leaves`, `becomes`: transitions since the previous data) (a play's trigger), or a review's condition over a measure:
    `when M deviates V [for N UNIT]` (kind `deviation`: |actual - goal| / |goal| > V) |
    `when M CMP V [for N UNIT]` (kind `threshold`: actual CMP V), N periods running."""

    span: Span
    kind: str  # event, lifecycle, schedule, rule, enters, leaves, becomes, deviation, threshold
    ref: Name | None = None
    within: Value | None = None
    rule: Expr | None = None
    measure: MeasureRef | None = None  # deviation, threshold
    op: str | None = None  # threshold: the comparator as written (the resolver refuses `!=`)
    value: Value | None = None  # deviation, threshold
    count: Value | None = None  # `for 2 quarters`: 2 (a Number when well-formed)
    unit: Name | None = None  # `for 2 quarters`: quarters (not validated by the parser)


Value = (
    Name
    | Str
    | Number
    | Date
    | Time
    | Duration
    | Ratio
    | Multiple
    | Period
    | Invalid
    | Range
    | Rate
    | ListValue
    | Expr
    | Trigger
    | MeasureRef  # `serves F1.aum_total` in a target's body
)


# --------------------------------------------------------------------------- block items


@dataclass(frozen=True, slots=True)
class Attribute:
    """`name value` — also `rule EXPR` (value is an Expr) and `when TRIGGER`."""

    span: Span
    name: Name
    value: Value
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class SubBlock:
    """`profile { demographic "..." ... }`."""

    span: Span
    name: Name
    items: tuple[Item, ...]
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()
    dangling: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class MilestoneLine:
    """`2026Q4 >= 2亿` or `2026Q4 between 1亿 and 2亿` in a target's body: the goal for a period.

    `period` is a `Period` (year, quarter, month), a `Date`, or `Invalid` (reported already)."""

    span: Span
    period: Value
    op: str  # = < <= > >= != or between
    value: Value  # the low end for between
    high: Value | None = None  # between only
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class TargetLine:
    """`target ID "label"? CMP VALUE [by D] [baseline V] [{ milestones and attributes }]`;
    `op` is `between` for `between LOW and HIGH` (`value` the low end, `high` the high end).

    `body` is the span of `{ … }` when one was written (None otherwise); `items` are its
    milestone lines and attributes (`cadence`, `weight`, `tolerance`), `dangling` the comments
    after its last item."""

    span: Span
    id: Name
    label: Str | None
    op: str
    value: Value
    by: Value | None = None
    baseline: Value | None = None
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()
    high: Value | None = None
    items: tuple[LineItem, ...] = ()
    body: Span | None = None
    dangling: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class MeasureLine:
    """`measure ID "label"? [{ attributes }]`: a measure tracked without a target value (it takes
    actuals). `body`, `items` and `dangling` as for `TargetLine`."""

    span: Span
    id: Name
    label: Str | None = None
    items: tuple[LineItem, ...] = ()
    body: Span | None = None
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()
    dangling: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class StepLine:
    """`step N CHANNEL using SCRIPT [with OFFER + OFFER …] [after D] [unless converted]`;
    `offers` empty: the step uses the play's offer."""

    span: Span
    number: Value
    channel: Name
    script: Name
    after: Value | None = None
    unless_converted: bool = False
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()
    offers: tuple[Name, ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectionLine:
    span: Span
    question: Str
    answer: Str
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class LimitLine:
    """`at most 3 per 7d [on outbound_call, sms]` in a `policy`: a contact limit."""

    span: Span
    count: Value
    window: Value  # a Duration when well-formed
    on: tuple[Name, ...] = ()  # channel kinds or channel ids; () means every channel
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class ConsentLine:
    """`consent FIELD on CHANNEL, …` in a `policy`: the field that holds a customer's consent."""

    span: Span
    field: Name
    on: tuple[Name, ...]
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class VariantLine:
    """`variant ID "label"? SHARE% [{ offer …  step … }]`: an arm of a play's A/B test."""

    span: Span
    id: Name
    label: Str | None
    share: Value
    items: tuple[Item, ...] = ()
    body: Span | None = None
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()
    dangling: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldLine:
    """A schema field: `name type [key] [optional] [risk_tolerance] ["label"]`."""

    span: Span
    name: Name
    type: TypeRef
    flags: tuple[Name, ...] = ()
    label: Str | None = None  # what people read (playbook, hover); the name is what rules use
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class PerspectiveItem:
    span: Span
    id: Name
    label: Str | None = None
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


# What a target's or a measure's `{ … }` holds.
LineItem = MilestoneLine | Attribute

Item = (
    Attribute
    | SubBlock
    | TargetLine
    | MeasureLine
    | StepLine
    | ObjectionLine
    | LimitLine
    | ConsentLine
    | VariantLine
    | FieldLine
    | PerspectiveItem
    | MilestoneLine
)


# --------------------------------------------------------------------------- declarations

BLOCK_KINDS = DECLARATION_KINDS  # the kinds a Block node may have (stratlang/language.py)


@dataclass(frozen=True, slots=True)
class Block:
    """`KIND id "label"? { items }` — also `strategy "label" {…}` (no id) and `perspectives {…}`.

    `body` is None for a declaration written without braces (`event e "label"`).
    """

    span: Span
    kind: str
    kind_span: Span
    id: Name | None
    label: Str | None
    items: tuple[Item, ...]
    body: Span | None = None
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()
    dangling: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class Import:
    span: Span
    path: Str
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    """`a -> b -> c "label"`; `a ~> b` is a feedback link (results back to insight).

    `arrows` holds one arrow per edge (`arrows[i]` joins `chain[i]` and `chain[i + 1]`), `->` or
    `~>`; left out, every edge is `->`."""

    span: Span
    chain: tuple[Name, ...]
    label: Str | None = None
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()
    arrows: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.arrows:
            object.__setattr__(self, "arrows", ("->",) * max(len(self.chain) - 1, 0))

    def edges(self) -> tuple[tuple[Name, Name, str], ...]:
        """(cause, effect, arrow) for each edge of the chain."""
        return tuple(zip(self.chain[:-1], self.chain[1:], self.arrows, strict=True))


Decl = Block | Import | Link


@dataclass(frozen=True, slots=True)
class File:
    span: Span
    path: str
    decls: tuple[Decl, ...]
    comments: tuple[Comment, ...] = ()  # every comment of the file, in order
    dangling: tuple[Comment, ...] = ()
    broken_ids: tuple[str, ...] = ()  # ids of declarations that did not parse (no NAM201 cascade)


# Every node class is built through the slots directly (`quick_init`): a parse builds hundreds of
# thousands of nodes, and a frozen dataclass's own `__init__` is twice as slow.
for _node in [
    c for c in list(globals().values()) if isinstance(c, type) and c.__module__ == __name__
]:
    quick_init(_node)
