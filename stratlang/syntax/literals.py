"""Literal tokens to values: numbers with their suffixes, dates, quarters, times, durations,
ratios and multiples, milestone periods, and the escapes and indentation of strings. No Lark
here: lowering hands over the token text.

`a:b` is read by place: where a target, milestone, baseline or review value stands
(`measure_value`) it is always a ratio (`1:20` is one to twenty); anywhere else a literal that
looks like a time (`H:MM` or `HH:MM`) is a time (`21:00`), and any other `a:b` is a ratio."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Callable
from decimal import Decimal

from .. import diagnostics as dg
from ..source import Span
from . import ast
from .limits import MAX_LITERAL

_NUMBER = re.compile(r"^(-?)(\d(?:_?\d)*)(\.\d+)?(%|万|亿|k|m)?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DURATION = re.compile(r"^(\d+)(mo|h|d|w|y)$")
_UNSIGNED = r"\d(?:_?\d)*(?:\.\d+)?"
_RATIO = re.compile(rf"^({_UNSIGNED}):({_UNSIGNED})$")
_MULTIPLE = re.compile(rf"^({_UNSIGNED})(x|倍)$")
_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_SCALE = {"万": 10_000, "亿": 100_000_000, "k": 1_000, "m": 1_000_000}
_LITERAL_HELP = (
    "a literal is a number (42, 3.5, 1_000_000), a number with `%`, `万`, `亿`, `k` or "
    "`m`, a date (2026-12-31), a quarter (2026Q4), a time (21:00), a duration "
    "(12h, 30d, 2w, 3mo, 1y), a ratio (1:1.2) or a multiple (5x, 5倍)"
)
_RATIO_HELP = (
    "a ratio is two numbers joined by `:` (`1:1.2`, `3:1`), the right one not 0; "
    "a multiple is a number followed by `x` or `倍` (`5x`, `5倍`)"
)
_PERIOD_HELP = (
    "a milestone's period is a year (2026), a quarter (2026Q4 or 2026-Q4), a month (2026-03) "
    "or a date (2026-06-30)"
)
_ESCAPE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|.)", re.S)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}

LiteralValue = ast.Number | ast.Date | ast.Time | ast.Duration | ast.Ratio | ast.Multiple
# What is wrong with a literal that is not valid: (message, help).
Problem = tuple[str, str]


def printable(text: str) -> str:
    """Text for a one-line message: control characters and line breaks as escapes."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _literal_hint(raw: str) -> str:
    if re.match(r"^-?\d+(?:\.\d+)?-\d+(?:\.\d+)?$", raw):
        a, b = raw.rsplit("-", 1)
        return f"for a range write `{a} .. {b}` (in a rule: `between {a} and {b}`)"
    m = re.match(r"^-?[\d_.]+([A-Za-z\u4e00-\u9fff%]+)$", raw)
    if m:
        return (
            f"`{m.group(1)}` is not a unit: numbers take `%`, `万`, `亿`, `k` or `m`; "
            "durations take `h`, `d`, `w`, `mo` or `y`; a multiple is a number followed by one "
            "`x` or `倍` (`5x`, `5倍`)"
        )
    return _LITERAL_HELP


def _too_long(raw: str) -> Problem | None:
    if len(raw) > MAX_LITERAL:
        return (
            f"literal `{raw[:20]}…` is too long ({len(raw):,} characters)",
            f"a literal has at most {MAX_LITERAL} characters; " + _LITERAL_HELP,
        )
    return None


def _unsigned(text: str) -> int | float:
    d = Decimal(text.replace("_", ""))
    return int(d) if d == d.to_integral_value() else float(d)


def _ratio(span: Span, raw: str) -> ast.Ratio | Problem:
    """`a:b` as a ratio (the caller knows it holds a `:`)."""
    m = _RATIO.match(raw)
    if m is None:
        return f"malformed ratio `{raw}`", _RATIO_HELP
    left, right = _unsigned(m[1]), _unsigned(m[2])
    if right == 0:
        if _TIME.match(raw):
            return (
                f"`{raw}` is neither a time nor a ratio",
                "times run from 00:00 to 23:59; " + _RATIO_HELP,
            )
        return f"ratio `{raw}` has 0 on its right side", _RATIO_HELP
    return ast.Ratio(span, left, right, raw)


def measure_value(span: Span, raw: str) -> LiteralValue | Problem:
    """A literal where a target, milestone, baseline or review value stands: as `literal_value`,
    except that `a:b` is always a ratio (`1:20` is one to twenty, not twenty past one)."""
    if ":" in raw and _too_long(raw) is None:
        return _ratio(span, raw)
    return literal_value(span, raw)


def period_value(span: Span, raw: str) -> ast.Period | ast.Date | Problem:
    """A milestone's period: a year, a quarter, a month or a date."""
    too_long = _too_long(raw)
    if too_long is not None:
        return too_long
    m = _YEAR.match(raw)
    if m:
        if int(m[1]) < dt.MINYEAR:
            return f"invalid year `{raw}`", _PERIOD_HELP
        return ast.Period(span, int(m[1]), None, None, raw)
    m = _QUARTER.match(raw)
    if m:
        if int(m[1]) < dt.MINYEAR:
            return f"invalid quarter `{raw}` (year {int(m[1])} is out of range)", _PERIOD_HELP
        return ast.Period(span, int(m[1]), int(m[2]), None, raw)
    m = _MONTH.match(raw)
    if m:
        if int(m[1]) < dt.MINYEAR or not 1 <= int(m[2]) <= 12:
            return f"invalid month `{raw}`", _PERIOD_HELP
        return ast.Period(span, int(m[1]), None, int(m[2]), raw)
    if _DATE.match(raw):
        value = literal_value(span, raw)
        if isinstance(value, ast.Date):
            return value
        if isinstance(value, tuple):
            return value
    return f"`{raw}` is not a period", _PERIOD_HELP


def literal_value(span: Span, raw: str) -> LiteralValue | Problem:
    """The value a literal token's text stands for, or what is wrong with it."""
    too_long = _too_long(raw)
    if too_long is not None:
        return too_long
    if raw.isdecimal():  # a plain whole number (most literals): what `_number` gives, faster
        return ast.Number(span, int(raw), False, raw, False)
    m = _NUMBER.match(raw)
    if m:
        return _number(span, raw, m)
    m = _DATE.match(raw)
    if m:
        try:
            return ast.Date(span, dt.date(int(m[1]), int(m[2]), int(m[3])), raw)
        except ValueError as e:
            return f"invalid date `{raw}` ({e})", "write a real calendar date: YYYY-MM-DD"
    m = _QUARTER.match(raw)
    if m:
        return _quarter(span, raw, int(m[1]), int(m[2]))
    m = _TIME.match(raw)
    if m:
        h, mi = int(m[1]), int(m[2])
        if h < 24 and mi < 60:
            return ast.Time(span, h, mi, raw)
        return (
            f"invalid time `{raw}`",
            "times run from 00:00 to 23:59 (a ratio such as `1:1.2` belongs in a target value)",
        )
    m = _DURATION.match(raw)
    if m:
        return ast.Duration(span, int(m[1]), m[2], raw)
    if ":" in raw:
        return _ratio(span, raw)
    m = _MULTIPLE.match(raw)
    if m:
        return ast.Multiple(span, _unsigned(m[1]), raw)
    return f"malformed literal `{raw}`", _literal_hint(raw)


def _number(span: Span, raw: str, m: re.Match[str]) -> ast.Number:
    sign, whole, frac, suffix = m.groups()
    d = Decimal(sign + whole.replace("_", "") + (frac or ""))
    if suffix in _SCALE:
        d *= _SCALE[suffix]
    value = int(d) if d == d.to_integral_value() else float(d)
    return ast.Number(span, value, suffix == "%", raw, suffix in _SCALE)


def _quarter(span: Span, raw: str, year: int, q: int) -> ast.Date | Problem:
    """A quarter means its last day."""
    if year < dt.MINYEAR:
        return (
            f"invalid quarter `{raw}` (year {year} is out of range)",
            f"years run from {dt.MINYEAR:04d} to {dt.MAXYEAR}: write e.g. 2026Q4",
        )
    last = dt.date(year, 12, 31) if q == 4 else dt.date(year, 3 * q + 1, 1) - dt.timedelta(days=1)
    return ast.Date(span, last, raw, quarter=True)


def text_block(body: str) -> str:
    """A `\"\"\"` string's text: the blank first and last lines dropped, the indentation removed."""
    lines = body.split("\n")
    if lines and not lines[0].strip():
        lines = lines[1:]
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    return textwrap.dedent("\n".join(lines))


def unescape(text: str, unknown: Callable[[str], object]) -> str:
    """Replace the escapes in a string's text; an unknown escape is kept as written and handed
    to `unknown` (which reports it)."""
    if "\\" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        e = m.group(1)
        if e in _ESCAPES:
            return _ESCAPES[e]
        if e.startswith("u{"):
            cp = int(e[2:-1], 16)
            if cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF:
                return chr(cp)
        unknown(e)
        return m.group(0)

    return _ESCAPE.sub(sub, text)


def unknown_escape(escape: str, span: Span) -> dg.Diagnostic:
    return dg.make(
        "SYN103",
        f"unknown escape `\\{printable(escape)}` in a string",
        span,
        "here",
        help='strings know `\\"`, `\\\\`, `\\n`, `\\t` and `\\u{XXXX}`',
    )
