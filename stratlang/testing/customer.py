"""One customer through the reference evaluator: what they get and why (`stratlang eval`).

`explain_customer` gives every segment's rule part by part (held, failed, unknown), the tier of
each tiering, the plays in assignment order with the reason each admits or refuses, the holdout,
control and arm by the same hashes as the compiled SQL (`backends.sql.bucket_of`). Values are
read from text (`parse_value`) or JSON (`record_from_json`) as the schema's fields say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..backends.sql import (
    arm_bounds,
    bucket_of,
    holdout_bp,
    holdout_text,
    play_active,
    variant_text,
)
from ..check.evaluator import Record, evaluate
from ..model import TRANSITION_TRIGGERS, Field, Model, Play
from ..syntax import ast
from ..words import condition_in_words, lang_of, rule_in_words

BUCKETS = 10000
TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f")


class FixtureError(ValueError):
    """A value that cannot be read as its field says (the caller knows where it stands)."""


# --------------------------------------------------------------------------- explaining one customer


@dataclass(frozen=True)
class Condition:
    """A part of a rule in words with its value for the customer (True, False, None: unknown);
    `parts`: the operands of a nested `and`/`or`."""

    text: str
    value: bool | None
    parts: tuple[Condition, ...] = ()

    def to_json(self) -> dict:
        out: dict = {"text": self.text, "value": self.value}
        if self.parts:
            out["parts"] = [p.to_json() for p in self.parts]
        return out


@dataclass(frozen=True)
class SegmentResult:
    id: str
    label: str
    member: bool
    value: bool | None  # the rule's three-valued value
    conditions: tuple[Condition, ...]  # own rule's parts, parents' first (`extends`)


@dataclass(frozen=True)
class PlayResult:
    id: str
    label: str
    priority: int
    admits: bool
    reasons: tuple[str, ...]  # why it admits or refuses, in words


@dataclass
class Outcome:
    """What one customer gets (see the module's docstring)."""

    key: object
    segments: list[SegmentResult]
    tiers: dict[str, str | None]  # tiering id -> its first segment the customer is in
    plays: list[PlayResult]  # the active plays in assignment order
    play: str | None
    held: bool | None  # None: the strategy has no holdout
    control: bool
    variant: str | None
    buckets: dict[str, int] = field(default_factory=dict)  # hash name -> bucket 0..9999
    record: Record = field(default_factory=dict)  # the customer as evaluated

    @property
    def members(self) -> list[str]:
        return [s.id for s in self.segments if s.member]

    @property
    def group(self) -> str | None:
        """treated | control | held (None: no play)."""
        if self.play is None:
            return None
        if self.held:
            return "held"
        return "control" if self.control else "treated"

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "segments": self.members,
            "tiers": self.tiers,
            "play": self.play,
            "group": self.group,
            "variant": self.variant,
            "held": self.held,
            "buckets": self.buckets,
            "segment_rules": [
                {
                    "id": s.id,
                    "label": s.label,
                    "member": s.member,
                    "value": s.value,
                    "conditions": [c.to_json() for c in s.conditions],
                }
                for s in self.segments
            ],
            "plays": [
                {
                    "id": p.id,
                    "label": p.label,
                    "priority": p.priority,
                    "admits": p.admits,
                    "reasons": list(p.reasons),
                }
                for p in self.plays
            ],
        }


def _parts(e: ast.And | ast.Or) -> list[ast.Expr]:
    """Operands of an and/or with same-kind groups spliced in."""
    out: list[ast.Expr] = []
    for x in e.operands:
        out.extend(_parts(x) if isinstance(x, (ast.And, ast.Or)) and type(x) is type(e) else [x])
    return out


def _condition(e: ast.Expr, record: Record, model: Model, lang: str, top: bool) -> Condition:
    value = evaluate(e, record, model.schema)
    sub: tuple[Condition, ...] = ()
    if isinstance(e, (ast.And, ast.Or)) and not top:
        sub = tuple(_condition(x, record, model, lang, False) for x in _parts(e))
    return Condition(condition_in_words(e, model, lang), value, sub)


def rule_conditions(
    rule: ast.Expr | None, record: Record, model: Model, lang: str
) -> list[Condition]:
    """A rule's top-level `and` parts, each with its value (nested groups one level down)."""
    if rule is None:
        return []
    items = _parts(rule) if isinstance(rule, ast.And) else [rule]
    return [_condition(x, record, model, lang, False) for x in items]


def segment_result(model: Model, sid: str, record: Record, lang: str) -> SegmentResult:
    seg = model.segments[sid]
    rule = model.typed_segment_rule(sid)
    value = evaluate(rule, record, model.schema) if rule is not None else None
    conds: list[Condition] = []
    for s in reversed(model.segment_chain(sid)):
        conds.extend(rule_conditions(s.rule, record, model, lang))
    return SegmentResult(sid, seg.label, value is True, value, tuple(conds))


def truth_words(v: bool | None, lang: str) -> str:
    """A part's value in words: held, failed or unknown (zh or en)."""
    if lang == "zh":
        return {True: "成立", False: "不成立", None: "未知（缺值）"}[v]
    return {True: "held", False: "failed", None: "unknown (a value is missing)"}[v]


def _play_result(
    model: Model, play: Play, record: Record, member: dict[str, bool], lang: str
) -> PlayResult:
    zh = lang == "zh"
    reasons: list[str] = []
    ok = True
    seg = play.segment or ""
    if member.get(seg):
        reasons.append(f"在客群 {seg}" if zh else f"in segment `{seg}`")
    else:
        ok = False
        reasons.append(f"不在客群 {seg}" if zh else f"not in segment `{seg}`")
    trig = play.trigger
    if trig is not None and trig.kind == "rule":
        value = evaluate(trig.typed_rule, record, model.schema) if trig.typed_rule else None
        words = rule_in_words(trig.rule, model, lang)
        reasons.append(
            f"触发条件 {words}：{truth_words(value, lang)}"
            if zh
            else f"trigger `{words}` {truth_words(value, lang)}"
        )
        ok = ok and value is True
    elif trig is not None and trig.kind in TRANSITION_TRIGGERS:
        ok = False
        reasons.append(
            "转变触发需要上一期数据（lists --previous），此处不触发"
            if zh
            else f"a `{trig.kind}` trigger needs the previous data (lists --previous): not triggered here"
        )
    for f in dict.fromkeys(x for ch in play.channels() for x in model.consent_fields(ch)):
        given = record.get(f) is True
        if not given:
            ok = False
        reasons.append(
            (f"已授权 {f}" if given else f"未授权 {f}")
            if zh
            else (f"consent `{f}` given" if given else f"consent `{f}` not given")
        )
    return PlayResult(play.id, play.label, play.priority, ok, tuple(reasons))


def explain_customer(
    model: Model, record: Record, lang: str | None = None, as_of: dt.date | None = None
) -> Outcome:
    """What the customer `record` gets (see the module's docstring). Raises RecordError when a
    value does not fit its field."""
    lang = lang_of(model, lang)
    segments = [segment_result(model, sid, record, lang) for sid in model.segments]
    member = {s.id: s.member for s in segments}
    tiers = {
        t.id: next((s for s in t.segments if member.get(s)), None) for t in model.tierings.values()
    }
    plays = sorted(
        (p for p in model.plays.values() if play_active(p, as_of)),
        key=lambda p: (-p.priority, p.order),
    )
    results = [_play_result(model, p, record, member, lang) for p in plays]
    key = record.get(model.schema.key) if model.schema and model.schema.key else None
    buckets: dict[str, int] = {}
    held: bool | None = None
    bp = holdout_bp(model)
    if bp is not None and key is not None:
        buckets["holdout"] = bucket_of(key, holdout_text(model))
        held = buckets["holdout"] < bp
    chosen = next((r.id for r in results if r.admits), None)
    control, variant = False, None
    if chosen is not None and key is not None:
        play = model.plays[chosen]
        buckets["control"] = bucket_of(key, play.id)
        control = not held and buckets["control"] < round((play.control or 0) * BUCKETS / 100)
        if play.variants:
            buckets["variant"] = bucket_of(key, variant_text(play.id))
            arm = next(a for a, _, hi in arm_bounds(play) if buckets["variant"] < hi)
            variant = arm if not control and not held else None
    return Outcome(key, segments, tiers, results, chosen, held, control, variant, buckets, record)


# --------------------------------------------------------------------------- reading values


def parse_value(text: str, f: Field) -> object:
    """A fixture cell as the evaluator's value of field `f` ('' is NULL). Raises FixtureError."""
    s = text.strip()
    if s == "":
        return None
    t = f.type
    try:
        if t == "int":
            return int(s)
        if t in ("float", "money", "percent"):
            return float(s[:-1] if t == "percent" and s.endswith("%") else s)
        if t == "date":
            return dt.date.fromisoformat(s)
    except ValueError:
        raise FixtureError(f"`{s}` is not {'a date' if t == 'date' else 'a number'}") from None
    if t == "bool":
        low = s.lower()
        if low in TRUE_WORDS or low in FALSE_WORDS:
            return low in TRUE_WORDS
        raise FixtureError(f"`{s}` is not a bool (true or false)")
    if t == "enum" and s not in f.enum_values:
        raise FixtureError(f"`{s}` is not a value of `{f.name}` ({', '.join(f.enum_values)})")
    return s


def record_from_json(model: Model, data: dict) -> dict[str, object]:
    """A customer given as JSON (`eval --customer`): strings of date fields become dates; unknown
    fields are refused. Raises FixtureError."""
    fields = model.schema.rule_fields if model.schema else {}
    out: dict[str, object] = {}
    for name, v in data.items():
        f = fields.get(name)
        if f is None:
            raise FixtureError(f"`{name}` is not a field of the schema")
        out[name] = parse_value(v, f) if isinstance(v, str) and f.type != "string" else v
    return out
