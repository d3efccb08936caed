"""The Pygments lexer: found through the entry point, no error tokens on real code, the right
token types for each kind of literal."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String

from stratlang.pygments_lexer import StratlangLexer

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(ROOT.glob("examples/*/*.strat")) + sorted(
    (ROOT / "tests/data/spec_example").glob("*.strat")
)


def tokens(text):
    return [(t, v) for t, v in StratlangLexer().get_tokens(text) if v.strip()]


def test_found_through_entry_point():
    assert isinstance(get_lexer_by_name("stratlang"), StratlangLexer)
    assert isinstance(get_lexer_by_name("strat"), StratlangLexer)
    assert isinstance(get_lexer_for_filename("main.strat"), StratlangLexer)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_highlight_without_errors(path):
    text = path.read_text("utf-8")
    toks = list(StratlangLexer().get_tokens(text))
    assert "".join(v for _, v in toks) == (text if text.endswith("\n") else text + "\n")
    errors = [v for t, v in toks if t in Error]
    assert errors == []
    kinds = {t for t, _ in toks}
    assert Keyword.Declaration in kinds and Name in kinds
    assert "<span" in highlight(text, get_lexer_by_name("stratlang"), HtmlFormatter())


def test_token_types():
    src = (
        'segment young "年轻 {{ customer.name }}\\n" {  # note\n'
        "  rule age between 22 and 35 and aum < 5万 and not x in [a, b] and e is missing\n"
        "  when event e within 30d\n"
        "  period 2026-01-01 .. 2026Q4\n"
        "  quiet 21:00 .. 08:00\n"
        "  locale zh-CN\n"
        "  rate 3.5% per day\n"
        "}\n"
        'a -> b "x"\n'
    )
    toks = tokens(src)
    d = {v: t for t, v in toks}
    assert d["segment"] in Keyword.Declaration
    assert d["young"] in Name
    assert d["{{ customer.name }}"] in String.Interpol
    assert d["\\n"] in String.Escape
    assert d["# note"] in Comment
    for w in ("between", "and", "not", "in", "is", "missing"):
        assert d[w] in Operator.Word, w
    for w in ("when", "event", "within"):
        assert d[w] in Keyword, w
    for lit in ("22", "5万", "30d", "2026-01-01", "2026Q4", "21:00", "3.5%"):
        assert d[lit] in Number, lit
    assert d["->"] in Operator and d[".."] in Operator and d["<"] in Operator
    assert d["zh-CN"] in Name


def test_text_block_spans_lines_with_placeholders():
    src = 'script s {\n  opening """\n    您好，{{ customer.name }} "quoted"\n    \\u{4E2D}\n  """\n}\n'
    toks = tokens(src)
    assert any(t in String.Interpol and v == "{{ customer.name }}" for t, v in toks)
    assert any(t in String.Escape and v == "\\u{4E2D}" for t, v in toks)
    # after the text block, `}` is punctuation again, not string
    assert toks[-1][1] == "}" and toks[-1][0] not in String
    assert not any(t in Error for t, _ in toks)


def test_unterminated_string_does_not_colour_the_rest():
    toks = tokens('offer o { description "oops\n  kind benefit\n}\n')
    d = {v: t for t, v in toks}
    assert d["kind"] in Name and d["}"] not in String
