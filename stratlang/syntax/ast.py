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
    """A schema field type: `int`, `money`, `enum(R1, R2)`."""

    span: Span
    name: str
    enum_values: tuple[Name, ...] | None = None


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
class Compare:
    span: Span
    field: Name
    op: str  # = != < <= > >=
    value: Value


@dataclass(frozen=True, slots=True)
class Between:
    span: Span
    field: Name
    low: Value
    high: Value


@dataclass(frozen=True, slots=True)
class In:
    span: Span
    field: Name
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Missing:
    """`FIELD is missing` (present=False) or `FIELD is present` (present=True)."""

    span: Span
    field: Name
    present: bool = False


@dataclass(frozen=True, slots=True)
class BoolTest:
    span: Span
    field: Name


Expr = Or | And | Not | Compare | Between | In | Missing | BoolTest
TESTS = (Compare, Between, In, Missing, BoolTest)


@dataclass(frozen=True, slots=True)
class Trigger:
    """`when event X [within D]` | `when lifecycle S` | `when schedule daily` | `when rule EXPR`."""

    span: Span
    kind: str  # event, lifecycle, schedule, rule
    ref: Name | None = None
    within: Value | None = None
    rule: Expr | None = None


Value = (
    Name
    | Str
    | Number
    | Date
    | Time
    | Duration
    | Invalid
    | Range
    | Rate
    | ListValue
    | Expr
    | Trigger
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
class TargetLine:
    span: Span
    id: Name
    label: Str | None
    op: str
    value: Value
    by: Value | None = None
    baseline: Value | None = None
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class StepLine:
    span: Span
    number: Value
    channel: Name
    script: Name
    after: Value | None = None
    unless_converted: bool = False
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectionLine:
    span: Span
    question: Str
    answer: Str
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


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


Item = Attribute | SubBlock | TargetLine | StepLine | ObjectionLine | FieldLine | PerspectiveItem


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
    """`a -> b -> c "label"`."""

    span: Span
    chain: tuple[Name, ...]
    label: Str | None = None
    leading: tuple[Comment, ...] = ()
    trailing: tuple[Comment, ...] = ()


Decl = Block | Import | Link


@dataclass(frozen=True, slots=True)
class File:
    span: Span
    path: str
    decls: tuple[Decl, ...]
    comments: tuple[Comment, ...] = ()  # every comment of the file, in order
    dangling: tuple[Comment, ...] = ()
    broken_ids: tuple[str, ...] = ()  # ids of declarations that did not parse (no NAM201 cascade)
