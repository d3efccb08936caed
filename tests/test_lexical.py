"""Lexical rules (language.md §1): identifiers, keywords reserved only where expected, numbers
with their suffixes, dates, quarters, times, durations, ranges, rates and strings."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import attrs, only_block, parse_ok, value

from stratlang.source import SourceFile
from stratlang.syntax import ast
from stratlang.syntax.parser import parse_source

# --------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    "name", ["wealth_vip", "代发客群", "F1", "_x", "Ωmega", "客群2", "a_b_c_9"]
)
def test_identifiers(name):
    b = only_block(f"segment {name} {{ rule {name} }}")
    assert b.id.name == name and attrs(b)["rule"].value.field.name == name


def test_identifiers_are_case_sensitive():
    f = parse_ok("event e\nevent E\nSegment -> segmenT")
    assert [d.id.name for d in f.decls[:2]] == ["e", "E"]
    assert [n.name for n in f.decls[2].chain] == ["Segment", "segmenT"]


def test_identifiers_cannot_start_with_a_digit():
    f, diags = parse_source(SourceFile("l.strat", "event 1abc"))
    assert [d.code for d in diags] == ["SYN101"]


def test_comment_runs_to_end_of_line_and_hash_in_strings_is_text():
    f = parse_ok('theme t { color "#fff" } # c { not code }\nevent e')
    assert [d.kind for d in f.decls] == ["theme", "event"]
    assert attrs(f.decls[0])["color"].value.value == "#fff"
    assert [c.text for c in f.comments] == ["# c { not code }"]


# --------------------------------------------------------------------------- literals


@pytest.mark.parametrize(
    "text, expected, percent, scaled",
    [
        ("42", 42, False, False),
        ("3.5", 3.5, False, False),
        ("1_000_000", 1_000_000, False, False),
        ("50万", 500_000, False, True),
        ("1.2亿", 120_000_000, False, True),
        ("0.3万", 3000, False, True),
        ("20%", 20, True, False),
        ("12.5%", 12.5, True, False),
        ("2k", 2000, False, True),
        ("1.5k", 1500, False, True),
        ("3m", 3_000_000, False, True),
        ("-5", -5, False, False),
        ("0", 0, False, False),
    ],
)
def test_numbers(text, expected, percent, scaled):
    v = value(text)
    assert isinstance(v, ast.Number)
    assert v.value == expected and type(v.value) is type(expected)
    assert (v.percent, v.scaled, v.raw) == (percent, scaled, text)


def test_scaled_numbers_are_exact():
    assert value("0.3万").value == 3000 and isinstance(value("0.3万").value, int)
    assert value("1.2亿").value == 120_000_000 and isinstance(value("1.2亿").value, int)
    assert value("0.0001万").value == 1


@pytest.mark.parametrize(
    "text, date, quarter",
    [
        ("2026-12-31", dt.date(2026, 12, 31), False),
        ("2024-02-29", dt.date(2024, 2, 29), False),
        ("2026Q1", dt.date(2026, 3, 31), True),
        ("2026Q2", dt.date(2026, 6, 30), True),
        ("2026Q3", dt.date(2026, 9, 30), True),
        ("2026Q4", dt.date(2026, 12, 31), True),
    ],
)
def test_dates_and_quarters(text, date, quarter):
    v = value(text)
    assert isinstance(v, ast.Date) and v.value == date and v.quarter is quarter and v.raw == text


@pytest.mark.parametrize(
    "text, hm", [("21:00", (21, 0)), ("09:30", (9, 30)), ("0:00", (0, 0)), ("23:59", (23, 59))]
)
def test_times(text, hm):
    v = value(text)
    assert isinstance(v, ast.Time) and (v.hour, v.minute) == hm and v.minutes == hm[0] * 60 + hm[1]


@pytest.mark.parametrize(
    "text, amount, unit, days",
    [
        ("30d", 30, "d", 30),
        ("2w", 2, "w", 14),
        ("3mo", 3, "mo", 90),
        ("1y", 1, "y", 365),
        ("12h", 12, "h", 0.5),
    ],
)
def test_durations(text, amount, unit, days):
    v = value(text)
    assert isinstance(v, ast.Duration) and (v.amount, v.unit, v.days) == (amount, unit, days)


@pytest.mark.parametrize(
    "text, low, high",
    [
        ("1 .. 5", 1, 5),
        ("1..5", 1, 5),
        ("3.5 .. 4.5", 3.5, 4.5),
        ("10% .. 20%", 10, 20),
    ],
)
def test_number_ranges(text, low, high):
    v = value(text)
    assert isinstance(v, ast.Range) and v.low.value == low and v.high.value == high


def test_date_and_time_ranges():
    v = value("2026-01-01..2026-12-31")
    assert (v.low.value, v.high.value) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    v = value("21:00 .. 09:00")  # wraps midnight: the parser keeps it as written
    assert (v.low.minutes, v.high.minutes) == (21 * 60, 9 * 60)
    assert v.span.column == 13 and v.span.end_column == 27


def test_rates():
    v = value("2000 per day")
    assert (
        isinstance(v, ast.Rate) and v.amount.value == 2000 and v.per == ast.Name(v.per.span, "day")
    )
    v = value("2 per 30d")
    assert isinstance(v, ast.Rate) and v.per.amount == 30 and v.per.unit == "d"
    v = value("100 per week")
    assert v.per.name == "week"


def test_value_lists_and_names():
    v = value("a, b, c")
    assert isinstance(v, ast.ListValue) and [n.name for n in v.items] == ["a", "b", "c"]
    v = value("代发客群")
    assert isinstance(v, ast.Name) and v.name == "代发客群"
    assert value("zh-CN").name == "zh-CN"
    assert value("en").name == "en"


# --------------------------------------------------------------------------- strings


@pytest.mark.parametrize(
    "src, expected",
    [
        (r'"plain"', "plain"),
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash"', "back\\slash"),
        (r'"line\nbreak"', "line\nbreak"),
        (r'"tab\there"', "tab\there"),
        (r'"\u{4E2D}\u{6587}"', "中文"),
        (r'"\u{1F600}"', "\U0001f600"),
        (r'"中文 # not a comment"', "中文 # not a comment"),
        ('""', ""),
    ],
)
def test_string_escapes(src, expected):
    v = value(src)
    assert isinstance(v, ast.Str) and v.value == expected and not v.triple


def test_string_span_counts_code_points():
    v = value('"中文"')
    assert (v.span.column, v.span.end_column) == (13, 17)


def test_triple_quoted_text_is_dedented():
    b = only_block(
        'script s {\n  opening """\n    first line\n      indented\n    last "quoted" line\n  """\n}\n'
    )
    v = attrs(b)["opening"].value
    assert v.triple
    assert v.value == 'first line\n  indented\nlast "quoted" line'
    assert (v.span.line, v.span.end_line) == (2, 6)


def test_triple_quoted_text_keeps_escapes_and_blank_lines():
    b = only_block('script s { pitch """\n  a\\tb\n\n  c\\u{4E2D}\n""" }')
    assert attrs(b)["pitch"].value.value == "a\tb\n\nc中"
    b = only_block('script s { pitch """one line""" }')
    assert attrs(b)["pitch"].value.value == "one line"
