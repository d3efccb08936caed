"""Fixture files (`*.test.csv`, docs/testing.md): example customers and what each must get.

`run_fixture` evaluates every row with `customer.explain_customer` and returns TST901 diagnostics
placed on the cell whose expectation failed, TST902 for a fixture that cannot be read as the
schema says. One customer per line, so a diagnostic's line and column are the row's and the cell's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import diagnostics as dg
from ..check.evaluator import RecordError
from ..model import Model
from ..source import SourceFile, Span
from ..words import lang_of
from .customer import BUCKETS, FixtureError, Outcome, explain_customer, parse_value, truth_words

FIXTURE_SUFFIX = ".test.csv"
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
    return [f"{c.text}: {truth_words(c.value, lang)}" for c in seg.conditions]


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
