"""Segment rules and play assignment as SQL: the one code path every engine runs.

Everything here builds sqlglot expression trees (`sqlglot.exp`); no user text is ever pasted into
SQL. Identifiers come from the schema and are always quoted; literals (numbers, strings, dates,
enum values, play ids) are sqlglot literals, so the dialect's own quoting rules apply. Dialects
come from sqlglot's transpilation (`expression.sql(dialect=...)`).

Rules are compiled from the typed trees resolution stored on the model (`Model.typed_segment_rule`,
`Trigger.typed_rule`: the nodes of `stratlang.rules`, the same form the reference evaluator
reads); this module never types a rule itself. SQL three-valued logic is carried over unchanged:

- a comparison on NULL is NULL (UNKNOWN); `and`/`or`/`not` are SQL's (Kleene's);
- enum comparisons follow the declared order: `risk_level >= R3` becomes
  `risk_level IN ('R3', 'R4', 'R5')` (index-friendly, and the same in every engine);
- a segment contains a customer when its rule is TRUE (`COALESCE(rule, FALSE)`).

Assignment (see docs/data.md): eligible plays per customer (segment TRUE and, for `when rule`
plays, the trigger TRUE), highest priority wins, ties go to the play declared first; the control
group is `bucket(key, play) < control% x 100` where bucket is the first 8 hex digits of
md5(key || '|' || play id) as an integer, mod 10000 (computed with portable string functions so
DuckDB and Spark agree bit for bit); channel capacity keeps, per channel of the play's first step,
the treated customers in order (priority desc, declaration order, hash, key) while their
cumulative demand per day (1 / days in the play's window, each) fits the channel's capacity.

Contact governance (docs/governance.md, docs/data.md "Assignment"): the global holdout is
bucket(key, 'holdout:' || seed) < holdout% x 100, drawn before everything else (held-out customers
keep the play they would have got, flagged `held`, and take no control place or capacity); a play
admits only customers with every consent field of every channel its arms use; a play with variants
gives each customer an arm by bucket(key, 'variant:' || play id) against the cumulative shares and
is one capacity unit per arm; with a contact log (`lists --contacts`), a customer of the log gets
the first eligible play whose scheduled steps fit every contact limit with the logged contacts
(`fits_query`). Without any of these the compiled SQL is what it was before them.

Periods: given an as-of day (`stratlang lists --as-of`), a play whose own `period` does not contain
that day is inactive: it is left out of the plan, so it gets no customers, takes none from other
plays and uses no channel capacity (`inactive_plays` says why). A play without its own `period` is
active on every day; PLY607 reasons the same way (plays whose periods are disjoint never compete).
Without an as-of day (`stratlang sql`) every play is compiled.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import sqlglot
from sqlglot import exp

from ..model import TRANSITION_TRIGGERS, Field, History, Model, Play, Schema, Variant
from ..rules import All, Any, Between, Cmp, Const, IsMissing, IsTrue, Member, Neg, NExpr, Value
from .history_sql import aggregate_column, enriched_query

DIALECTS = ("duckdb", "spark", "postgres", "trino", "bigquery", "snowflake")
OPS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
SQL_TYPES = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "money": "DOUBLE",
    "percent": "DOUBLE",
    "bool": "BOOLEAN",
    "string": "VARCHAR",
    "date": "DATE",
    "enum": "VARCHAR",
}
HEX_DIGITS = 8
# The customer table with its history aggregates, as `stratlang sql` names it (a CTE).
WITH_HISTORY = "customers_with_history"
BUCKETS = 10000


class CompileError(ValueError):
    """A rule that cannot be compiled (it does not type-check against the schema)."""


# --------------------------------------------------------------------------- building blocks


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def string(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def number(value: int | float) -> exp.Expr:
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CompileError(f"{value} is not a finite number")
        if value.is_integer() and abs(value) < 1e15:
            return exp.Literal.number(str(int(value)))
        return exp.Literal.number(repr(value))
    if value < 0:
        return exp.Neg(this=exp.Literal.number(str(-value)))
    return exp.Literal.number(str(value))


def boolean(value: bool) -> exp.Boolean:
    return exp.Boolean(this=bool(value))


def typed_null(sql_type: str) -> exp.Expr:
    return exp.Cast(this=exp.Null(), to=exp.DataType.build(sql_type))


def _unknown_if_null(column: exp.Expr, value: bool) -> exp.Expr:
    """A constant test that keeps SQL's NULL: NULL when the field is NULL, else `value`."""
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.Is(this=column.copy(), expression=exp.Null()), true=typed_null("BOOLEAN")
            )
        ],
        default=boolean(value),
    )


def _paren(e: exp.Expr) -> exp.Expr:
    return e if isinstance(e, (exp.Paren, exp.Column, exp.Boolean)) else exp.Paren(this=e)


def _group(e: exp.Expr) -> exp.Expr:
    """Parenthesize a nested and/or (comparisons bind tighter than AND/OR in every dialect)."""
    return exp.Paren(this=e) if isinstance(e, (exp.And, exp.Or)) else e


def _ordinal(value: Value) -> int:
    """An enum literal: its 0-based ordinal (rules are typed against the schema)."""
    assert isinstance(value, int), f"an enum literal is an ordinal, not {value!r}"
    return value


def literal(field: Field | None, value: Value) -> exp.Expr:
    """A rule literal for a field, as SQL (enum values as their text)."""
    if value is None:
        return exp.Null()
    if field is not None and field.type == "enum":
        return string(field.enum_values[_ordinal(value)])
    if isinstance(value, bool):
        return boolean(value)
    if isinstance(value, dt.date):
        return exp.Cast(this=string(value.isoformat()), to=exp.DataType.build("DATE"))
    if isinstance(value, str):
        return string(value)
    return number(value)


def _enum_in(column: exp.Expr, field: Field, chosen: Iterable[int]) -> exp.Expr:
    ordinals = sorted(set(chosen))
    if not ordinals:
        return _unknown_if_null(column, False)
    if len(ordinals) == len(field.enum_values):
        return _unknown_if_null(column, True)
    if len(ordinals) == 1:
        return exp.EQ(this=column, expression=string(field.enum_values[ordinals[0]]))
    return exp.In(this=column, expressions=[string(field.enum_values[i]) for i in ordinals])


def compile_rule(node: NExpr | None, schema: Schema | History | None) -> exp.Expr:
    """A typed rule -> a boolean SQL expression (three-valued); None means no rule (TRUE).
    A history aggregate reads its column of the enriched customer relation
    (`history_sql.enriched_query`); `schema` may be a history table (an aggregate's `where`)."""
    if node is None:
        return boolean(True)
    fields = schema.rule_fields if schema is not None else {}

    def go(n: NExpr) -> exp.Expr:
        if isinstance(n, Const):
            return boolean(n.value)
        if isinstance(n, All):
            if not n.items:
                return boolean(True)
            return exp.and_(*[_group(go(i)) for i in n.items], copy=False)
        if isinstance(n, Any):
            if not n.items:
                return boolean(False)
            return exp.or_(*[_group(go(i)) for i in n.items], copy=False)
        if isinstance(n, Neg):
            inner = go(n.item)
            return exp.Not(
                this=inner
                if isinstance(inner, (exp.Column, exp.Boolean))
                else exp.Paren(this=inner)
            )
        f = fields.get(n.field)
        if f is None:
            raise CompileError(f"unknown field `{n.field}`")
        c = col(aggregate_column(f) if f.aggregate is not None else f.name)
        if isinstance(n, IsMissing):
            is_null = exp.Is(this=c, expression=exp.Null())
            return exp.Not(this=is_null) if n.present else is_null
        if isinstance(n, IsTrue):
            return c
        if f.type == "enum":
            size = len(f.enum_values)
            if isinstance(n, Cmp):
                value = _ordinal(n.value)
                return _enum_in(c, f, [i for i in range(size) if OPS[n.op](i, value)])
            if isinstance(n, Between):
                low, high = _ordinal(n.low), _ordinal(n.high)
                return _enum_in(c, f, [i for i in range(size) if low <= i <= high])
            if isinstance(n, Member):
                chosen = {_ordinal(v) for v in n.values}
                if n.negated:
                    chosen = set(range(size)) - chosen
                return _enum_in(c, f, chosen)
        if isinstance(n, Cmp):
            cls = {
                "=": exp.EQ,
                "!=": exp.NEQ,
                "<": exp.LT,
                "<=": exp.LTE,
                ">": exp.GT,
                ">=": exp.GTE,
            }[n.op]
            return cls(this=c, expression=literal(f, n.value))
        if isinstance(n, Between):
            return exp.Between(this=c, low=literal(f, n.low), high=literal(f, n.high))
        if isinstance(n, Member):
            if not n.values:  # `in []`: FALSE (NULL stays NULL)
                return _unknown_if_null(c, n.negated)
            e = exp.In(this=c, expressions=[literal(f, v) for v in n.values])
            return exp.Not(this=_paren(e)) if n.negated else e
        raise CompileError(f"cannot compile {type(n).__name__}")

    return go(node)


def segment_expr(model: Model, segment_id: str) -> exp.Expr:
    """The full rule of a segment (incl. `extends`) as a two-valued SQL boolean (TRUE = member)."""
    rule = model.typed_segment_rule(segment_id)
    if rule is None:
        raise CompileError(f"the rule of segment `{segment_id}` does not type-check")
    return exp.func("COALESCE", compile_rule(rule, model.schema), boolean(False))


def moved_column(play_id: str) -> str:
    """The column a transition trigger reads: TRUE for a customer who changed as it asks since
    the previous data (`engine.transitions` adds it to the customer table)."""
    return f"__moved_{play_id}"


def trigger_expr(model: Model, play_id: str) -> exp.Expr | None:
    """A play's `when rule` condition (two-valued), or None when the play has no rule trigger;
    a transition trigger reads its `moved_column`."""
    play = model.plays[play_id]
    if play.trigger is not None and play.trigger.kind in TRANSITION_TRIGGERS:
        return exp.func("COALESCE", col(moved_column(play_id)), boolean(False))
    if play.trigger is None or play.trigger.kind != "rule" or play.trigger.rule is None:
        return None
    rule = play.trigger.typed_rule
    if rule is None:
        raise CompileError(f"the trigger of play `{play_id}` does not type-check")
    return exp.func("COALESCE", compile_rule(rule, model.schema), boolean(False))


def md5_text(key: exp.Expr, play: exp.Expr) -> exp.Expr:
    """md5(key || '|' || play id) as 32 lowercase hex digits."""
    text = exp.DPipe(
        this=exp.DPipe(
            this=exp.Cast(this=key, to=exp.DataType.build("VARCHAR")),
            expression=string("|"),
            safe=True,
        ),
        expression=play,
        safe=True,
    )
    return exp.MD5(this=text)


def hex_prefix_int(digest: exp.Expr, dialect: str | None = None) -> exp.Expr:
    """The first HEX_DIGITS hex digits of a digest column as an integer.

    For DuckDB: a native cast of '0x…' (fast). Everywhere else: written with substring and strpos
    only (no engine-specific hex parsing), so every dialect computes the same number; the tests
    check that both forms agree with Python's md5."""
    if dialect == "duckdb":
        hexpart = exp.Substring(this=digest, start=number(1), length=number(HEX_DIGITS))
        return exp.Cast(
            this=exp.DPipe(this=string("0x"), expression=hexpart, safe=True),
            to=exp.DataType.build("BIGINT"),
        )
    terms: list[exp.Expr] = []
    for i in range(HEX_DIGITS):
        digit: exp.Expr = exp.Sub(
            this=exp.StrPosition(
                this=string("0123456789abcdef"),
                substr=exp.Substring(this=digest.copy(), start=number(i + 1), length=number(1)),
            ),
            expression=number(1),
        )
        digit = exp.Cast(
            this=digit, to=exp.DataType.build("BIGINT")
        )  # 32-bit ints would overflow in Spark
        terms.append(
            exp.Mul(this=digit, expression=number(16 ** (HEX_DIGITS - 1 - i)))
            if i < HEX_DIGITS - 1
            else digit
        )
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return total


def bucket_of(key: object, play_id: str) -> int:
    """The control bucket (0..9999) of a customer for a play, computed in Python (tests, docs)."""
    import hashlib

    digest = hashlib.md5(f"{key}|{play_id}".encode()).hexdigest()
    return int(digest[:HEX_DIGITS], 16) % BUCKETS


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class PlayPlan:
    id: str
    segment: str
    channel: str | None
    script: str | None
    priority: int
    order: int
    control_bp: int  # control share in basis points of 10000 buckets (10% -> 1000)
    days: int  # days in the play's window
    cost: int | None  # this play's demand units per customer (capacity), None when unlimited
    limit: int | None  # the channel's capacity in the same units, None when unlimited
    # a play with variants has one plan per arm (its own first step's channel and capacity);
    # the arm takes the treated customers whose variant bucket is in [arm_lo, arm_hi)
    arm: str | None = None
    arm_order: int = 0
    arm_lo: int = 0
    arm_hi: int = BUCKETS


def _window_days(model: Model, play: Play) -> int:
    days = model.window_days(play)
    if days is None:  # pragma: no cover - a model that checks has a strategy period
        raise CompileError(f"play `{play.id}` has no period and the strategy has none")
    return days


def _segment(play: Play) -> str:
    if play.segment is None:  # pragma: no cover - a model that checks gives every play a segment
        raise CompileError(f"play `{play.id}` has no segment")
    return play.segment


def _key(model: Model) -> str:
    """The schema's key field; a project without one has nothing to compile."""
    if model.schema is None or model.schema.key is None:
        raise CompileError(
            "the project declares no schema with a key field; there is nothing to compile"
        )
    return model.schema.key


def play_active(play: Play, as_of: dt.date | None) -> bool:
    """Whether the play takes part in an assignment on the day `as_of` (None: every play does):
    its own `period` contains that day, both ends included; a play without one always does."""
    return as_of is None or play.period is None or play.period[0] <= as_of <= play.period[1]


def inactive_plays(model: Model, as_of: dt.date | None) -> dict[str, str]:
    """Play id -> why it is not active on `as_of`, in declaration order ({} when as_of is None)."""
    out: dict[str, str] = {}
    for p in sorted(model.plays.values(), key=lambda p: p.order):
        if not play_active(p, as_of) and p.period is not None and as_of is not None:
            start, end = p.period
            out[p.id] = (
                f"period {start.isoformat()} .. {end.isoformat()} does not contain {as_of.isoformat()}"
            )
    return out


def arm_bounds(play: Play) -> list[tuple[str, int, int]]:
    """A play's arms as (variant id, low, high) bucket ranges in basis points: the cumulative
    shares in declaration order (the last arm ends at BUCKETS); [] without variants."""
    out, low, total = [], 0, 0.0
    for i, v in enumerate(play.variants):
        total += v.share
        high = BUCKETS if i == len(play.variants) - 1 else round(total * BUCKETS / 100)
        out.append((v.id, low, high))
        low = high
    return out


def plan(model: Model, as_of: dt.date | None = None) -> list[PlayPlan]:
    """Plays in assignment order (priority desc, declaration order) with their capacity units;
    with `as_of`, only the plays active on that day (`play_active`). A play with variants gives
    one plan per arm, in declaration order: each arm's customers are charged to the channel of
    its own first step."""
    plays = sorted(
        (p for p in model.plays.values() if play_active(p, as_of)),
        key=lambda p: (-p.priority, p.order),
    )
    units_of: list[tuple[Play, Variant | None, int]] = [
        (p, v, i) for p in plays for i, v in enumerate(p.arms())
    ]
    by_channel: dict[str, list[tuple[str, str | None, int]]] = {}
    for p, v, _ in units_of:
        steps = p.steps_of(v)
        if steps:
            by_channel.setdefault(steps[0].channel, []).append(
                (p.id, v.id if v else None, _window_days(model, p))
            )
    units: dict[tuple[str, str | None], tuple[int, int | None]] = {}  # (play, arm) -> (cost, limit)
    for ch_id, ps in by_channel.items():
        ch = model.channels.get(ch_id)
        cap = ch.capacity if ch is not None else None
        if cap is None or cap.amount is None:
            continue
        per_day = Fraction(cap.amount).limit_denominator(10**6) / (7 if cap.per == "week" else 1)
        denom = math.lcm(*(d for _, _, d in ps), per_day.denominator)
        if denom <= 10**9:  # n x cost sums stay far inside 64 bits
            for pid, arm, d in ps:
                units[pid, arm] = (denom // d, math.floor(per_day * denom))
        else:  # very many distinct windows: a fine fixed scale (documented as approximate)
            scale = 10**9
            for pid, arm, d in ps:
                units[pid, arm] = (round(scale / d), math.floor(per_day * scale))
    out = []
    for p, v, i in units_of:
        steps = p.steps_of(v)
        first = steps[0] if steps else None
        cost, limit = units.get((p.id, v.id if v else None), (None, None))
        low, high = (0, BUCKETS)
        if v is not None:
            _, low, high = arm_bounds(p)[i]
        out.append(
            PlayPlan(
                id=p.id,
                segment=_segment(p),
                channel=first.channel if first else None,
                script=first.script if first else None,
                priority=p.priority,
                order=p.order,
                control_bp=round((p.control or 0) * BUCKETS / 100),
                days=_window_days(model, p),
                cost=cost,
                limit=limit,
                arm=v.id if v else None,
                arm_order=i,
                arm_lo=low,
                arm_hi=high,
            )
        )
    return out


# --------------------------------------------------------------------------- queries


def _table(name: str) -> exp.Table:
    return exp.Table(this=ident(name))


def segments_query(model: Model, table: str = "customers") -> exp.Select:
    """One row per customer: the key and one boolean column per segment (named by segment id)."""
    key = _key(model)
    sel = exp.select(col(key)).from_(_table(table))
    for sid in model.segments:
        sel = sel.select(exp.alias_(segment_expr(model, sid), ident(sid)), copy=False)
    return sel


def counts_query(model: Model, table: str = "customers") -> exp.Select:
    """One row: `customers` (the row count) and one count per segment (named s0, s1, … in order)."""
    sel = exp.select(exp.alias_(exp.Count(this=exp.Star()), "customers", quoted=True)).from_(
        _table(table)
    )
    for i, sid in enumerate(model.segments):
        sel = sel.select(
            exp.alias_(exp.CountIf(this=segment_expr(model, sid)), f"s{i}", quoted=True), copy=False
        )
    return sel


# --------------------------------------------------------------------------- governance


def holdout_bp(model: Model) -> int | None:
    """The global holdout in basis points of BUCKETS (5% -> 500); None without `holdout`."""
    share = model.strategy.holdout
    return None if share is None else round(share * BUCKETS / 100)


def holdout_text(model: Model) -> str:
    """What the holdout hash appends to the key: `holdout:` and the seed."""
    return f"holdout:{model.strategy.holdout_seed}"


def variant_text(play_id: str) -> str:
    """What the variant hash appends to the key: `variant:` and the play id."""
    return f"variant:{play_id}"


def has_variants(model: Model) -> bool:
    return any(p.variants for p in model.plays.values())


def _bucket(key: exp.Expr, text: str, dialect: str | None) -> exp.Expr:
    """bucket_of(key, text) in SQL: the first hex digits of md5(key || '|' || text) mod BUCKETS."""
    digits = hex_prefix_int(md5_text(key, string(text)), dialect)
    return exp.Mod(this=exp.Paren(this=digits), expression=number(BUCKETS))


def held_expr(model: Model, key: exp.Expr, dialect: str | None) -> exp.Expr | None:
    """TRUE for a customer in the global holdout; None when the strategy has no `holdout`."""
    bp = holdout_bp(model)
    if bp is None:
        return None
    return exp.LT(this=_bucket(key, holdout_text(model), dialect), expression=number(bp))


def arm_expr(
    play: Play, key: exp.Expr, dialect: str | None, values: Iterable[exp.Expr] | None = None
) -> exp.Expr:
    """The customer's arm of a play with variants: the variant bucket against the cumulative
    shares in declaration order. `values`: one expression per arm (default: the arm's id)."""
    bounds = arm_bounds(play)
    picked = list(values) if values is not None else [string(a) for a, _, _ in bounds]
    bucket = _bucket(key, variant_text(play.id), dialect)
    ifs = [
        exp.If(this=exp.LT(this=bucket.copy(), expression=number(high)), true=value)
        for (_, _, high), value in zip(bounds[:-1], picked[:-1])
    ]
    return exp.Case(ifs=ifs, default=picked[-1]) if ifs else picked[-1]


def consent_exprs(model: Model, play: Play) -> list[exp.Expr]:
    """COALESCE(field, FALSE) for every consent field of every channel any arm of the play steps
    through (all arms': the arm must not depend on consent)."""
    fields = dict.fromkeys(f for ch in play.channels() for f in model.consent_fields(ch))
    return [exp.func("COALESCE", col(f), boolean(False)) for f in fields]


def limit_windows(limit_days: float) -> int:
    """A limit's window in whole days: contacts are dated to the day, so `per 7d` is any 7
    consecutive days and `per 12h` (less than a day) any one day."""
    return max(1, math.ceil(limit_days - 1e-9))


@dataclass(frozen=True)
class LimitCheck:
    """One column of the contact-log check: logged contacts of a customer on `channels` dated
    from as-of + `start` to as-of + `start` + `window` - 1 (days)."""

    limit: int  # index in Model.limits()
    start: int
    window: int
    channels: frozenset[str] | None  # None: every channel


def limit_checks(
    model: Model, plays: Iterable[Play]
) -> tuple[list[LimitCheck], dict[tuple[str, str | None], list[tuple[int, int]]]]:
    """What fitting a play's contacts to every limit asks of a customer's logged contacts.

    For each (play, arm) and limit, every window of the limit's length that holds some of the
    arm's scheduled steps on the limit's channels (steps dated as-of + their whole day) may hold
    at most `count - steps in it` logged contacts on those channels. Returns the distinct
    windows (columns to count) and, per (play id, arm id), its (column index, most allowed)."""
    columns: dict[LimitCheck, int] = {}
    needs: dict[tuple[str, str | None], list[tuple[int, int]]] = {}
    every = frozenset(model.channels)
    for li, (_, limit) in enumerate(model.limits()):
        chans = model.limit_channels(limit)
        window = limit_windows(limit.days)
        for p in plays:
            for v in p.arms():
                days = [
                    math.floor(d)
                    for s, d in zip(p.steps_of(v), p.step_days(v))
                    if s.channel in chans
                ]
                got = needs.setdefault((p.id, v.id if v else None), [])
                if not days:
                    continue
                for start in range(min(days) - window + 1, max(days) + 1):
                    steps = sum(1 for d in days if start <= d < start + window)
                    if steps == 0:
                        continue
                    check = LimitCheck(li, start, window, None if chans == every else chans)
                    got.append((columns.setdefault(check, len(columns)), limit.count - steps))
    return list(columns), needs


CONTACT_COLUMNS = ("key", "channel", "date")


def fits_query(
    model: Model, plays: list[Play], contacts: str, as_of: dt.date, dialect: str | None
) -> tuple[exp.Select, dict[str, tuple[str, int]]] | None:
    """Per customer in the contact log (table `contacts`: CONTACT_COLUMNS, contacts only): for
    every play that has limits to keep, a bit (`fit_bit`) set when the play's scheduled steps (the
    customer's arm's) fit every limit together with the logged contacts. Returns the query and
    play id -> (mask column, bit); None when no limit concerns the plays."""
    checks, needs = limit_checks(model, plays)
    if not checks:
        return None

    def day(offset: int) -> exp.Expr:
        return exp.Cast(
            this=string((as_of + dt.timedelta(days=offset)).isoformat()),
            to=exp.DataType.build("DATE"),
        )

    date, channel = col("date"), col("channel")
    counts = [exp.alias_(col("key"), "__fk", quoted=True)]
    for i, c in enumerate(checks):
        cond: exp.Expr = exp.Between(
            this=date.copy(), low=day(c.start), high=day(c.start + c.window - 1)
        )
        if c.channels is not None:
            cond = exp.and_(
                exp.In(this=channel.copy(), expressions=[string(x) for x in sorted(c.channels)]),
                cond,
                copy=False,
            )
        counts.append(exp.alias_(exp.CountIf(this=cond), f"__n{i}", quoted=True))
    where: exp.Expr = exp.Between(
        this=date.copy(),
        low=day(min(c.start for c in checks)),
        high=day(max(c.start + c.window - 1 for c in checks)),
    )
    if all(c.channels is not None for c in checks):
        used = sorted(set().union(*(c.channels or () for c in checks)))
        where = exp.and_(
            exp.In(this=channel.copy(), expressions=[string(x) for x in used]), where, copy=False
        )
    logged = exp.select(*counts).from_(_table(contacts)).where(where).group_by(col("key"))

    def fit(pairs: list[tuple[int, int]]) -> exp.Expr:
        if not pairs:
            return boolean(True)
        return exp.and_(
            *[exp.LTE(this=col(f"__n{i}"), expression=number(allow)) for i, allow in pairs],
            copy=False,
        )

    out = exp.select(col("__fk")).from_(
        exp.Subquery(this=logged, alias=exp.TableAlias(this=ident("__log")))
    )
    # The fits travel as bit masks (FIT_BITS plays a BIGINT column): the customer table's join
    # with them then carries one or two columns, not one per play.
    names: dict[str, tuple[str, int]] = {}
    masks: dict[str, list[exp.Expr]] = {}
    for p in plays:
        arms = p.arms()
        if not any(needs[p.id, v.id if v else None] for v in arms):
            continue
        if p.variants:
            value = arm_expr(p, col("__fk"), dialect, [fit(needs[p.id, v.id]) for v in p.variants])
        else:
            value = fit(needs[p.id, None])
        column, bit = f"__fits{len(names) // FIT_BITS}", len(names) % FIT_BITS
        names[p.id] = (column, bit)
        masks.setdefault(column, []).append(
            exp.Case(ifs=[exp.If(this=value, true=number(1 << bit))], default=number(0))
        )
    if not names:
        return None
    for column, terms in masks.items():
        total = terms[0]
        for term in terms[1:]:
            total = exp.Add(this=total, expression=term)
        out = out.select(exp.alias_(total, column, quoted=True), copy=False)
    return out, names


FIT_BITS = 60  # plays per fit mask column (a BIGINT)


def fit_bit(column: exp.Expr, bit: int) -> exp.Expr:
    """TRUE when bit `bit` of the mask column is set: (column // 2^bit) % 2 = 1 (portable)."""
    shifted = exp.IntDiv(this=column, expression=number(1 << bit)) if bit else column
    return exp.EQ(
        this=exp.Mod(this=exp.Paren(this=shifted), expression=number(2)), expression=number(1)
    )


def _eligible(model: Model, p: PlayPlan, fit: exp.Expr | None = None) -> exp.Expr:
    """A play's admission test in the pick's CASE (NULL counts as not TRUE): its segment rule,
    its trigger, its consents and (with a contact log) its fit to the limits."""
    rule = model.typed_segment_rule(p.segment)
    if rule is None:
        raise CompileError(f"the rule of segment `{p.segment}` does not type-check")
    cond: exp.Expr = compile_rule(rule, model.schema)
    trig = trigger_expr(model, p.id)
    consents = consent_exprs(model, model.plays[p.id])
    if trig is not None or consents or fit is not None:
        more = [trig] if trig is not None else []
        more += consents
        more += [fit] if fit is not None else []
        cond = exp.and_(_group(cond), *more, copy=False)
    return cond


def _pick_case(
    model: Model, plays: list[PlayPlan], fits: dict[str, tuple[str, int]] | None = None
) -> exp.Case:
    """The first play in assignment order that admits the customer (`_eligible`); with `fits`,
    only among the plays whose contacts fit the limits (a customer not in the log fits)."""
    ifs = []
    for p in plays:
        fit = None
        if fits and p.id in fits:
            column, bit = fits[p.id]
            fit = exp.func("COALESCE", fit_bit(col(column, "fits"), bit), boolean(True))
        ifs.append(exp.If(this=_eligible(model, p, fit), true=string(p.id)))
    return exp.Case(ifs=ifs)


def _one_per_play(plans: list[PlayPlan]) -> list[PlayPlan]:
    return [p for p in plans if p.arm_order == 0]


# --------------------------------------------------------------------------- assignment


ASSIGN_COLUMNS = (
    "key",
    "segment",
    "play",
    "channel",
    "script",
    "control",
    "kept",
    "priority",
    "play_order",
)


def assign_columns(model: Model) -> tuple[str, ...]:
    """The columns of the assignment result: ASSIGN_COLUMNS, then `held` (TRUE: held out; the
    play is the one they would have got) with a holdout, and `arm` (the hash arm, '' without
    variants) and `variant` (the arm of a treated customer, else NULL) with variants. With a
    contact log, also `policy_from`: the play a customer of the log would have got but for the
    limits, when it is not the one they got (customers no play fits: a row with no play)."""
    out: tuple[str, ...] = ASSIGN_COLUMNS
    if holdout_bp(model) is not None:
        out += ("held",)
    if has_variants(model):
        out += ("arm", "variant")
    return out


def assignment_query(
    model: Model,
    table: str = "customers",
    dialect: str | None = None,
    as_of: dt.date | None = None,
    contacts: str | None = None,
) -> exp.Select | None:
    """Per assigned customer: key, segment, play, channel, script, control, kept (after capacity),
    and the governance columns of `assign_columns`.

    With `as_of`, only the plays active on that day compete (`play_active`). With `contacts` (a
    table of the contact log, CONTACT_COLUMNS) and `as_of`, a play admits a customer of the log
    only when its contacts fit every limit (`fits_query`). None when no play is active (or the
    project has none)."""
    plans = plan(model, as_of)
    if not plans:
        return None
    key = _key(model)
    plays = _one_per_play(plans)
    variants = any(p.arm is not None for p in plans)
    held = held_expr(model, col(key), dialect)
    got = (
        fits_query(model, [model.plays[p.id] for p in plays], contacts, as_of, dialect)
        if contacts is not None and as_of is not None
        else None
    )
    # 1-2. pick: the first eligible play in assignment order. CASE stops at the first TRUE branch,
    # so a customer's rules are evaluated only until a play admits them (NULL counts as not TRUE).
    pick = exp.select(
        exp.alias_(col(key), "k", quoted=True),
        exp.alias_(
            _pick_case(model, plays)
            if got is None
            else exp.Case(  # customers not in the log: the plain pick (no fit tests to pay for)
                ifs=[
                    exp.If(
                        this=exp.Is(this=col("__fk", "fits"), expression=exp.Null()),
                        true=_pick_case(model, plays),
                    )
                ],
                default=_pick_case(model, plays, got[1]),
            ),
            "play",
            quoted=True,
        ),
    ).from_(_table(table))
    if got is not None:
        pick = pick.join(
            exp.Subquery(this=got[0], alias=exp.TableAlias(this=ident("fits"))),
            on=exp.EQ(this=col(key, table), expression=col("__fk", "fits")),
            join_type="left",
        )
        # for the log's customers, the play they would have got but for the limits
        # (summary.json dropped_by_policy)
        first = exp.Case(
            ifs=[
                exp.If(
                    this=exp.Not(this=exp.Is(this=col("__fk", "fits"), expression=exp.Null())),
                    true=_pick_case(model, plays),
                )
            ]
        )
        pick = pick.select(exp.alias_(first, "policy_from", quoted=True), copy=False)
    if held is not None:  # the global holdout: drawn before anything else, by its own hash
        pick = pick.select(exp.alias_(held, "held", quoted=True), copy=False)
    if variants:  # each play's arm by its variant hash ('' for a play without variants)
        arms = [
            exp.If(
                this=exp.EQ(this=col("play"), expression=string(p.id)),
                true=arm_expr(model.plays[p.id], col("k"), dialect),
            )
            for p in plays
            if model.plays[p.id].variants
        ]
        pick = exp.select(
            exp.Star(), exp.alias_(exp.Case(ifs=arms, default=string("")), "arm", quoted=True)
        ).from_(exp.Subquery(this=pick, alias=exp.TableAlias(this=ident("__pick"))))
    # 3. the plays' attributes as a VALUES table
    rows = []
    for p in plans:
        values = [
            string(p.id),
            string(p.segment),
            string(p.channel) if p.channel else typed_null("VARCHAR"),
            string(p.script) if p.script else typed_null("VARCHAR"),
            number(p.priority),
            number(p.order),
            number(p.control_bp),
            number(p.cost) if p.cost is not None else typed_null("BIGINT"),
            number(p.limit) if p.limit is not None else typed_null("BIGINT"),
        ]
        if variants:
            values += [string(p.arm or ""), number(p.arm_order)]
        rows.append(exp.Tuple(expressions=values))
    meta_cols = [
        "play_id",
        "segment",
        "channel",
        "script",
        "priority",
        "play_order",
        "control_bp",
        "cost",
        "cap",
    ]
    if variants:
        meta_cols += ["arm", "arm_order"]
    meta = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(this=ident("meta"), columns=[ident(c) for c in meta_cols]),
    )
    on: exp.Expr = exp.EQ(this=col("play", "pick"), expression=col("play_id", "m"))
    if variants:
        on = exp.and_(on, exp.EQ(this=col("arm", "pick"), expression=col("arm", "m")), copy=False)
    joined = (
        exp.select(
            col("k", "pick"),
            col("play_id", "m"),
            col("segment", "m"),
            col("channel", "m"),
            col("script", "m"),
            col("priority", "m"),
            col("play_order", "m"),
            col("control_bp", "m"),
            col("cost", "m"),
            col("cap", "m"),
            exp.alias_(md5_text(col("k", "pick"), col("play_id", "m")), "d", quoted=True),
        )
        .from_(_table("pick"))
        .join(
            exp.Subquery(
                this=exp.select(exp.Star()).from_(meta), alias=exp.TableAlias(this=ident("m"))
            ),
            on=on,
            join_type="inner",
        )
    )
    if held is not None:
        joined = joined.select(col("held", "pick"), copy=False)
    if got is not None:
        joined = joined.select(col("policy_from", "pick"), copy=False)
    if variants:
        joined = joined.select(col("arm", "m"), col("arm_order", "m"), copy=False)
    # 4. control flag and capacity
    control: exp.Expr = exp.LT(
        this=exp.Mod(this=col("h"), expression=number(BUCKETS)), expression=col("control_bp")
    )
    if held is not None:  # a held-out customer takes no control place
        control = exp.and_(exp.Not(this=col("held")), control, copy=False)
    hashed = exp.select(
        exp.Star(), exp.alias_(hex_prefix_int(col("d"), dialect), "h", quoted=True)
    ).from_(_table("joined"))
    ctl = exp.select(exp.Star(), exp.alias_(control, "control", quoted=True)).from_(
        _table("hashed")
    )
    # Capacity. Within a channel the treated customers are ordered by (priority desc, play order,
    # hash, key) and kept while their cumulative demand fits: a prefix. Plays are contiguous in that
    # order and a play's customers all cost the same, so the prefix is computed per play: plays that
    # fit entirely are kept without ranking, later ones dropped, and only the one play straddling the
    # limit ranks its customers (row_number by hash, key) - no sort of every assigned customer.
    # A play with variants is one unit per arm (charged to the arm's first channel, in arm order);
    # held-out customers take no capacity.
    # The SQL below is fixed text (no user input) parsed by sqlglot so it transpiles like the rest.
    unit = ', "arm", "arm_order"' if variants else ""
    treated = 'NOT "control" AND NOT "held"' if held is not None else 'NOT "control"'
    per_play = sqlglot.parse_one(
        f'SELECT "play_id", "channel", "priority", "play_order", "cost", "cap"{unit}, '
        f'COUNT_IF({treated}) AS "n" FROM "ctl" '
        f'GROUP BY "play_id", "channel", "priority", "play_order", "cost", "cap"{unit}',
        read="duckdb",
    )
    quota = sqlglot.parse_one(
        f'SELECT "play_id"{", " + chr(34) + "arm" + chr(34) if variants else ""}, "n", '
        'CASE WHEN "cap" IS NULL THEN "n" '
        'WHEN "prev" >= "cap" THEN 0 '
        'ELSE LEAST("n", ("cap" - "prev") // "cost") END AS "m" '
        'FROM (SELECT *, COALESCE(SUM("n" * "cost") OVER (PARTITION BY "channel" '
        f'ORDER BY "priority" DESC, "play_order"{", " + chr(34) + "arm_order" + chr(34) if variants else ""} '
        'ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS "prev" '
        'FROM "per_play") AS "q"',
        read="duckdb",
    )
    same_arm = ' AND "c"."arm" = "q"."arm"' if variants else ""
    marked = sqlglot.parse_one(
        'SELECT "c".*, "q"."n", "q"."m" FROM "ctl" AS "c" JOIN "quota" AS "q" '
        f'ON "c"."play_id" = "q"."play_id"{same_arm}',
        read="duckdb",
    )
    extra = ', "held"' if held is not None else ""
    if variants:
        extra += ', "arm", CASE WHEN ' + treated + ' AND "arm" <> \'\' THEN "arm" END AS "variant"'
    if got is not None:
        extra += ', CASE WHEN "policy_from" <> "play_id" THEN "policy_from" END AS "policy_from"'
    cols = (
        'SELECT "k" AS "key", "segment", "play_id" AS "play", "channel", "script", "control", {kept} AS "kept", '
        '"priority", "play_order"' + extra + ' FROM "marked" WHERE {where}'
    )
    if held is not None:
        kept_whole = '(NOT "held" AND ("control" OR "m" >= "n"))'
        where_whole = '"held" OR "control" OR "m" >= "n" OR "m" <= 0'
        where_partial = 'NOT "held" AND NOT "control" AND "m" < "n" AND "m" > 0'
    else:
        kept_whole = '("control" OR "m" >= "n")'
        where_whole = '"control" OR "m" >= "n" OR "m" <= 0'
        where_partial = 'NOT "control" AND "m" < "n" AND "m" > 0'
    whole = sqlglot.parse_one(cols.format(kept=kept_whole, where=where_whole), read="duckdb")
    partition = '"play_id", "arm"' if variants else '"play_id"'
    partial = sqlglot.parse_one(
        cols.format(
            kept=f'(ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY "h", "k") <= "m")',
            where=where_partial,
        ),
        read="duckdb",
    )
    both = exp.union(whole, partial, distinct=False)
    if got is not None:  # the log's customers no eligible play fits: one row each, no play
        nothing = (
            'SELECT "k" AS "key", CAST(NULL AS VARCHAR) AS "segment", CAST(NULL AS VARCHAR) AS '
            '"play", CAST(NULL AS VARCHAR) AS "channel", CAST(NULL AS VARCHAR) AS "script", '
            'FALSE AS "control", FALSE AS "kept", CAST(NULL AS BIGINT) AS "priority", '
            'CAST(NULL AS BIGINT) AS "play_order"'
            + (', "held"' if held is not None else "")
            + (', \'\' AS "arm", CAST(NULL AS VARCHAR) AS "variant"' if variants else "")
            + ', "policy_from" FROM "pick" WHERE "play" IS NULL AND "policy_from" IS NOT NULL'
        )
        both = exp.union(both, sqlglot.parse_one(nothing, read="duckdb"), distinct=False)
    final = exp.select(exp.Star()).from_(
        exp.Subquery(this=both, alias=exp.TableAlias(this=ident("assigned")))
    )
    final = (
        final.with_("pick", as_=pick)
        .with_("joined", as_=joined)
        .with_("hashed", as_=hashed)
        .with_("ctl", as_=ctl)
        .with_("per_play", as_=per_play)
        .with_("quota", as_=quota)
        .with_("marked", as_=marked)
    )
    ctes = final.find(exp.With)
    assert ctes is not None  # added just above
    for cte in ctes.expressions:  # computed once although read twice (md5 is the cost)
        if (cte.alias == "ctl" or (cte.alias == "pick" and got is not None)) and dialect in (
            "duckdb",
            "postgres",
        ):
            cte.set("materialized", True)
    if dialect is not None:
        _dialect_null_order(final, dialect)
    return final


def _dialect_null_order(tree: exp.Expr, dialect: str) -> None:
    """Give the windows' ORDER BY the target dialect's own NULL placement.

    The window orderings (priority, declaration order, hash, key) are never NULL, so where NULLs
    would sort does not matter; parsed as DuckDB, though, they carry DuckDB's placement, which
    other dialects must spell `NULLS LAST` - and BigQuery cannot inside `SUM(...) OVER`
    (sqlglot warned "'NULLS LAST' translation not supported in window function SUM")."""
    from sqlglot.dialects.dialect import Dialect

    ordering = Dialect.get_or_raise(dialect).NULL_ORDERING
    for window in tree.find_all(exp.Window):
        for o in window.find_all(exp.Ordered):
            desc = bool(o.args.get("desc"))
            o.set(
                "nulls_first",
                (ordering == "nulls_are_small" and not desc)
                or (ordering == "nulls_are_large" and desc),
            )


def to_sql(expression: exp.Expr, dialect: str = "duckdb", pretty: bool = False) -> str:
    return expression.sql(dialect=dialect, pretty=pretty)


def comment_text(text: str) -> str:
    """User text made safe for a `--` comment: one line, no control characters."""
    out = []
    for ch in str(text):
        if ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" or ord(ch) < 32 or ord(ch) == 127:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def render_sql(
    model: Model, dialect: str = "duckdb", table: str | None = None, as_of: dt.date | None = None
) -> str:
    """The text `stratlang sql` prints: the segments query and the assignment query. With
    `as_of`: history aggregates count back from that day and only the plays active on it are
    assigned; without, from CURRENT_DATE, and every play."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect}")
    if model.schema is None or model.schema.key is None:
        raise CompileError(
            "the project declares no schema with a key field; there is nothing to compile"
        )
    table = table or model.schema.id
    source, enriched = table, None
    if model.schema.derived:
        # the rules read history aggregates: the queries read the customer table with one
        # column per aggregate, computed in a CTE (as of the engine's CURRENT_DATE)
        source = WITH_HISTORY
        tables = {h: h for h in model.histories}
        enriched = enriched_query(model, table, tables, as_of, compile_rule)

    def statement(q: exp.Select) -> str:
        if enriched is not None:
            q = q.with_(ident(WITH_HISTORY), as_=enriched.copy(), copy=False)
        return to_sql(q, dialect, pretty=True) + ";"

    lines = [
        f"-- stratlang: segment rules and play assignment for strategy: {comment_text(model.strategy.label)}",
        f"-- dialect: {dialect}; table: {comment_text(table)} (one row per customer, columns as the schema)",
    ]
    if enriched is not None:
        names = ", ".join(comment_text(h) for h in model.histories)
        lines.append(
            f"-- history tables: {names} (rows over time per customer); aggregates as of "
            + (as_of.isoformat() if as_of else "CURRENT_DATE")
            + "."
        )
    if model.limits():
        lines.append(
            "-- contact limits: enforced by `lists --contacts FILE` against the contact log; this "
            "query is the assignment without the log (each play's own schedule is checked)."
        )
    if any(p.trigger and p.trigger.kind in TRANSITION_TRIGGERS for p in model.plays.values()):
        lines.append(
            "-- transition triggers read __moved_PLAY: TRUE for a customer who changed since the "
            "previous customer table (lists --previous adds it; docs/data.md)."
        )
    lines += [
        "",
        "-- Segments: one boolean column per segment (TRUE = member).",
        statement(segments_query(model, source)),
        "",
    ]
    q = assignment_query(model, source, dialect, as_of)
    if q is not None:
        lines += [
            "-- Assignment: highest priority wins (ties: declared first); control = md5 bucket < control%;",
            "-- kept = within channel capacity over the play's window (lowest priority dropped first).",
            statement(q),
            "",
        ]
    return "\n".join(lines)
