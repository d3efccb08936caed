"""Rule tests and single-customer evaluation: `stratlang test` and `stratlang eval`.

`explain_customer` runs the reference evaluator (`check.evaluator`) on one customer record and
says what the lists would do with them: every segment's rule part by part (held, failed, unknown),
the tier of each tiering, the plays in assignment order with the reason each admits or refuses, the
holdout, control and arm by the same hashes as the compiled SQL (`backends.sql.bucket_of`).

A fixture file (`*.test.csv`, docs/testing.md) is a CSV table of example customers: any of the
schema's fields, plus `expect_*` columns saying what each must (and must not) get. `run_fixture`
evaluates every row and returns TST901 diagnostics placed on the cell whose expectation failed,
TST902 for a fixture that cannot be read as the schema says.

What the lists depend on beyond one customer is not modelled: channel capacity (it depends on the
whole population), a contact log's limits, and transition triggers (they need the previous data:
such plays admit nobody here, as in `lists` without `--previous`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import diagnostics as dg
from .backends.sql import (
    arm_bounds,
    bucket_of,
    holdout_bp,
    holdout_text,
    play_active,
    variant_text,
)
from .check.evaluator import Record, RecordError, evaluate
from .model import TRANSITION_TRIGGERS, Field, Model, Play
from .source import SourceFile, Span
from .syntax import ast
from .words import condition_in_words, lang_of, rule_in_words

FIXTURE_SUFFIX = ".test.csv"
BUCKETS = 10000

# The expectation columns of a fixture, and what each holds (docs/testing.md).
EXPECT_COLUMNS = {
    "expect_segments": "segments the customer must be in",
    "expect_not_segments": "segments the customer must not be in",
    "expect_tier": "the tier (a segment of a tiering) the customer must be in, or `none`",
    "expect_play": "the play the customer must get, or `none`",
    "expect_not_play": "plays the customer must not get",
    "expect_group": "treated, control or held",
}
NAME_COLUMN = "case"  # an optional column naming the row in messages
TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f")


class FixtureError(ValueError):
    """A fixture value that cannot be read (the column's position goes with it)."""


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


def _truth(v: bool | None, lang: str) -> str:
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
            f"触发条件 {words}：{_truth(value, lang)}"
            if zh
            else f"trigger `{words}` {_truth(value, lang)}"
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


# --------------------------------------------------------------------------- fixture files


def split_cells(line: str) -> list[tuple[str, int, int]]:
    """One CSV line -> (value, start, end) per cell; `"…"` quotes with `""` for a quote."""
    cells: list[tuple[str, int, int]] = []
    i, n = 0, len(line)
    while True:
        start = i
        if i < n and line[i] == '"':
            buf, i = [], i + 1
            while i < n:
                if line[i] == '"' and i + 1 < n and line[i + 1] == '"':
                    buf.append('"')
                    i += 2
                elif line[i] == '"':
                    i += 1
                    break
                else:
                    buf.append(line[i])
                    i += 1
            while i < n and line[i] != ",":
                buf.append(line[i])
                i += 1
            value = "".join(buf)
        else:
            j = line.find(",", i)
            j = n if j == -1 else j
            value, i = line[i:j], j
        cells.append((value, start, i))
        if i >= n:
            return cells
        i += 1  # the comma


def _ids(text: str) -> list[str]:
    return [x for x in text.replace(",", " ").split() if x]


@dataclass
class FixtureResult:
    path: str
    passed: int = 0
    failed: int = 0
    diagnostics: list[dg.Diagnostic] = field(default_factory=list)


def run_fixture(
    model: Model, source: SourceFile, lang: str | None = None, as_of: dt.date | None = None
) -> FixtureResult:
    """Evaluate every row of a fixture file; a TST901 per failed expectation, TST902 per problem."""
    res = FixtureResult(source.path)
    lines = source.text.split("\n")
    fields = model.schema.rule_fields if model.schema else {}

    def span(line: int, start: int, end: int) -> Span:
        base = source.offset(line, 1)
        s = source.span(base + start, base + max(end, start + 1 if end == start else end))
        return s

    def problem(msg: str, sp: Span, label: str = "", help: str = "") -> None:
        res.diagnostics.append(dg.make("TST902", msg, sp, label, help=help or ()))

    header_no = next((i for i, ln in enumerate(lines, 1) if ln.strip()), None)
    if header_no is None:
        problem("the fixture file is empty", span(1, 0, 0), help=_header_help(model))
        return res
    header = split_cells(lines[header_no - 1])
    columns: list[tuple[str, int, int]] = [(c.strip(), a, b) for c, a, b in header]
    bad = False
    for name, a, b in columns:
        if name in fields or name in EXPECT_COLUMNS or name == NAME_COLUMN:
            continue
        bad = True
        near = dg.closest(name, [*fields, *EXPECT_COLUMNS, NAME_COLUMN])
        problem(
            f"`{name}` is neither a field of the schema nor an expectation column",
            span(header_no, a, b),
            "unknown column",
            f"did you mean `{near[0]}`?" if near else _header_help(model),
        )
    if bad:
        return res
    for no in range(header_no + 1, len(lines) + 1):
        text = lines[no - 1]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        cells = split_cells(text)
        if len(cells) != len(columns):
            problem(
                f"row has {len(cells)} cells, the header {len(columns)}",
                span(no, 0, len(text)),
                "one cell per column",
            )
            continue
        _run_row(model, columns, cells, no, span, problem, res, lang, as_of)
    return res


def _header_help(model: Model) -> str:
    names = list(model.schema.fields) if model.schema else []
    return f"the header names schema fields ({', '.join(names)}) and expect_* columns"


def _run_row(model, columns, cells, no, span, problem, res, lang, as_of) -> None:
    fields = model.schema.rule_fields if model.schema else {}
    record: dict[str, object] = {}
    expects: list[tuple[str, str, Span]] = []
    case = ""
    for (name, _, _), (value, a, b) in zip(columns, cells):
        if name == NAME_COLUMN:
            case = value.strip()
        elif name in EXPECT_COLUMNS:
            if value.strip():
                expects.append((name, value.strip(), span(no, a, b)))
        else:
            try:
                record[name] = parse_value(value, fields[name])
            except FixtureError as e:
                problem(str(e), span(no, a, b), f"a value of `{name}`")
                res.failed += 1
                return
    if not expects:
        problem(
            "row expects nothing",
            span(no, 0, cells[-1][2]),
            help="fill in expect_segments, expect_play, … for this customer",
        )
        res.failed += 1
        return
    try:
        out = explain_customer(model, record, lang, as_of)
    except RecordError as e:  # pragma: no cover - parse_value fits values to fields first
        problem(str(e), span(no, 0, 1))
        res.failed += 1
        return
    who = f"`{case}`" if case else f"row {no}"
    failures = 0
    for name, want, sp in expects:
        for msg, label, notes in _compare(model, out, name, want, lang):
            if label is None:
                problem(msg, sp, "", notes[0] if notes else "")
            else:
                res.diagnostics.append(dg.make("TST901", f"{who}: {msg}", sp, label, notes=notes))
            failures += 1
    if failures:
        res.failed += 1
    else:
        res.passed += 1


def _why_not(out: Outcome, sid: str, lang: str) -> list[str]:
    seg = next((s for s in out.segments if s.id == sid), None)
    if seg is None:
        return []
    return [f"{c.text}: {_truth(c.value, lang)}" for c in seg.conditions]


def _unknown(kind: str, name: str, known) -> tuple[str, None, list[str]]:
    near = dg.closest(name, known)
    return (
        f"`{name}` is not a {kind} of the project",
        None,
        [f"did you mean `{near[0]}`?"] if near else [],
    )


def _compare(
    model: Model, out: Outcome, name: str, want: str, lang: str | None
) -> list[tuple[str, str | None, list[str]]]:
    """Failures of one expectation: (message, label, notes); label None: a fixture problem."""
    lang = lang_of(model, lang)
    got = out.members
    fails: list[tuple[str, str | None, list[str]]] = []
    if name in ("expect_segments", "expect_not_segments"):
        for sid in _ids(want):
            if sid not in model.segments:
                fails.append(_unknown("segment", sid, model.segments))
            elif name == "expect_segments" and sid not in got:
                fails.append(
                    (
                        f"expected in segment `{sid}`, but is not",
                        "not in it",
                        _why_not(out, sid, lang),
                    )
                )
            elif name == "expect_not_segments" and sid in got:
                fails.append(
                    (f"expected not in segment `{sid}`, but is", "in it", _why_not(out, sid, lang))
                )
    elif name == "expect_tier":
        for item in _ids(want):
            tid, _, sid = item.rpartition("=")
            tierings = [
                t for t in model.tierings.values() if (t.id == tid if tid else sid in t.segments)
            ]
            if sid == "none" and tid in model.tierings:
                if out.tiers.get(tid) is not None:
                    fails.append(
                        (
                            f"expected no tier of `{tid}`, got `{out.tiers[tid]}`",
                            f"tier `{out.tiers[tid]}`",
                            [],
                        )
                    )
                continue
            if not tierings or sid not in tierings[0].segments:
                fails.append(
                    (
                        f"`{item}` is not a segment of a tiering (write TIERING=SEGMENT or a segment of one)",
                        None,
                        [],
                    )
                )
                continue
            t = tierings[0]
            if out.tiers.get(t.id) != sid:
                have = out.tiers.get(t.id)
                fails.append(
                    (
                        f"expected tier `{sid}` of `{t.id}`, got {f'`{have}`' if have else 'no tier'}",
                        f"tier {f'`{have}`' if have else 'none'}",
                        _why_not(out, sid, lang),
                    )
                )
    elif name in ("expect_play", "expect_not_play"):
        for pid in _ids(want):
            if pid != "none" and pid not in model.plays:
                fails.append(_unknown("play", pid, [*model.plays, "none"]))
                continue
            wanted = None if pid == "none" else pid
            if name == "expect_play" and out.play != wanted:
                got_s = f"`{out.play}`" if out.play else "no play"
                fails.append(
                    (
                        f"expected {'no play' if wanted is None else f'play `{wanted}`'}, got {got_s}",
                        f"got {got_s}",
                        _play_notes(out, wanted),
                    )
                )
            elif name == "expect_not_play" and out.play == wanted:
                fails.append(
                    (
                        f"expected not to get {'no play' if wanted is None else f'play `{wanted}`'}, but does",
                        "it does",
                        _play_notes(out, wanted),
                    )
                )
    elif name == "expect_group":
        if want not in ("treated", "control", "held"):
            fails.append((f"`{want}` is not a group (treated, control or held)", None, []))
        elif out.group != want:
            fails.append(
                (
                    f"expected the {want} group, got {out.group or 'no play'}",
                    f"{out.group or 'no play'}",
                    [f"{k} bucket {v} of {BUCKETS}" for k, v in out.buckets.items()],
                )
            )
    return fails


def _play_notes(out: Outcome, wanted: str | None) -> list[str]:
    notes = []
    for p in out.plays:
        if p.admits or p.id == wanted:
            notes.append(
                f"`{p.id}` (priority {p.priority}) {'admits' if p.admits else 'refuses'}: {'; '.join(p.reasons)}"
            )
        if p.admits:
            break
    return notes


def discover(paths: Sequence[Path]) -> list[Path]:
    """Fixture files: each PATH a fixture file, or a folder searched for `*.test.csv`."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(x for x in p.rglob("*" + FIXTURE_SUFFIX) if ".git" not in x.parts))
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def entry_of(fixture: Path) -> Path | None:
    """The project a fixture tests: the nearest `main.strat` in its folder or above."""
    folder = fixture.resolve().parent
    while True:
        if (folder / "main.strat").is_file():
            return folder / "main.strat"
        if folder.parent == folder or (folder / ".git").exists():
            return None
        folder = folder.parent
