"""No input makes the parser raise: random bytes and text, token soup, huge files, deep nesting,
and line-ending / BOM variants give the same positions."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stratlang.diagnostics import Diagnostic
from stratlang.language import KEYWORDS, STATEMENT_STARTERS
from stratlang.source import SourceFile
from stratlang.syntax import ast
from stratlang.syntax.parser import MAX_NESTING, parse_source

# end to end (the real executable, a browser, Spark or big inputs): not in `make test-fast`
pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parent / "data" / "spec_example"
WEALTH = (DATA / "wealth.strat").read_text("utf-8")
CHANNELS = (DATA / "channels.strat").read_text("utf-8")


def parse(text: str, path: str = "r.strat"):
    f, diags = parse_source(SourceFile(path, text))
    check_result(f, diags, text)
    return f, diags


def check_result(f: ast.File, diags: list[Diagnostic], text: str) -> None:
    """Whatever the input: an ast.File, diagnostics with sane spans inside the text."""
    assert isinstance(f, ast.File)
    n = len(text)
    for d in diags:
        assert isinstance(d, Diagnostic) and d.code.startswith("SYN") and d.message
        s = d.span
        assert 0 <= s.start <= s.end <= n, (d.code, s, n)
        assert s.line >= 1 and s.column >= 1 and (s.end_line, s.end_column) >= (s.line, s.column)
    for decl in f.decls:
        assert 0 <= decl.span.start <= decl.span.end <= n
    for c in f.comments:
        assert text[c.span.start : c.span.end].rstrip() == c.text


# --------------------------------------------------------------------------- random input


@pytest.mark.parametrize("seed", range(40))
def test_random_bytes_decoded_with_replacement(seed):
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
    parse(data.decode("utf-8", "replace"))


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_mixed_into_a_valid_file(seed):
    rng = random.Random(1000 + seed)
    data = bytearray(WEALTH.encode("utf-8"))
    for _ in range(rng.randrange(1, 30)):
        i = rng.randrange(len(data))
        data[i : i + rng.randrange(0, 4)] = bytes(
            rng.randrange(256) for _ in range(rng.randrange(0, 4))
        )
    parse(bytes(data).decode("utf-8", "replace"))


def test_invalid_utf8_is_the_loaders_business():
    # SourceFile.decode raises for invalid UTF-8 (the loader turns it into a diagnostic).
    with pytest.raises(UnicodeDecodeError):
        SourceFile.decode(b"event \xff\xfe")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_unicode_text(text):
    parse(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=200))
def test_random_text_including_surrogates_and_controls(text):
    parse(text)


# Every keyword from the language's facts (new words join the random token soup by themselves),
# then the punctuation and literals the grammar knows.
TOKENS = [
    *STATEMENT_STARTERS,
    *(w for w in KEYWORDS if w not in STATEMENT_STARTERS),
    "using",
    "~>",
    ".",
    "1:1.2",
    "5x",
    "2026Q2",
    "->",
    "..",
    ">=",
    "<=",
    "!=",
    "=",
    "<",
    ">",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    "\n",
    " ",
    "\t",
    '"s"',
    '"',
    '"""',
    '"""\n  text\n"""',
    '"\\q"',
    '"\\u{4E2D}"',
    "# c\n",
    "#",
    "x",
    "代发",
    "F1",
    "zh-CN",
    "42",
    "3.5",
    "1_000",
    "50万",
    "1.2亿",
    "20%",
    "2k",
    "3m",
    "10M",
    "2026-12-31",
    "2026-02-30",
    "2026Q3",
    "2026Q9",
    "21:00",
    "25:00",
    "30d",
    "3mo",
    "12h",
    "22-35",
    "-",
    "-5",
    "\r\n",
    "\ufeff",
    "\x00",
    "@",
    "，",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=80))
def test_token_soup(tokens):
    parse(" ".join(tokens))
    parse("".join(tokens))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=0, max_value=len(WEALTH)), st.integers(min_value=0, max_value=len(WEALTH))
)
def test_truncated_and_spliced_spec_example(i, j):
    parse(WEALTH[:i])
    parse(WEALTH[: min(i, j)] + WEALTH[max(i, j) :])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(CHANNELS)), st.sampled_from(TOKENS)), max_size=6))
def test_tokens_inserted_into_a_valid_file(edits):
    text = CHANNELS
    for pos, tok in sorted(edits, reverse=True):
        text = text[:pos] + tok + text[pos:]
    parse(text)


# --------------------------------------------------------------------------- sizes


def test_empty_and_blank_files():
    for text in ["", " ", "\n\n\n", "\t \n", ";", ";;;\n;", "# only a comment"]:
        f, diags = parse(text)
        assert diags == [] and f.decls == ()


def _big(n_bytes: int) -> str:
    block = WEALTH.replace('import "channels.strat"', "") + CHANNELS
    return block * (n_bytes // len(block.encode("utf-8")) + 1)


def test_ten_megabyte_file_parses_and_an_error_near_its_end_is_found():
    # one parse of 10 MB (Lark takes tens of seconds on it), asserting both: every copy of the
    # example is there, and the broken segment after them is reported where it is
    big_text = _big(10 * 1024 * 1024)
    assert len(big_text.encode("utf-8")) >= 10 * 1024 * 1024
    tail = "segment broken {\n  rule age >\n}\nevent last\n"
    text = big_text + tail
    f, diags = parse_source(SourceFile("big.strat", text))
    line = text.count("\n", 0, len(big_text)) + 3
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("SYN101", line, 1)]
    per_copy = len(parse_source(SourceFile("one.strat", _big(1)))[0].decls)
    copies = len(big_text) // len(_big(1))
    assert len(f.decls) == per_copy * copies + 1  # the broken segment is dropped, `last` kept
    assert isinstance(f.decls[-1], ast.Block) and f.decls[-1].id.name == "last"
    assert f.decls[-1].span.line == line + 1


# --------------------------------------------------------------------------- nesting


def _rule(expr: str) -> tuple[ast.File, list[Diagnostic]]:
    return parse(f"segment s {{ rule {expr} }}\nevent after\n")


def test_500_nested_parentheses():
    f, diags = _rule("(" * 500 + "a" + ")" * 500)
    assert diags == []
    rule = f.decls[0].items[0].value
    assert isinstance(rule, ast.BoolTest)


def test_500_nested_parenthesised_operators_hit_the_nesting_limit():
    expr = "a"
    for _ in range(500):
        expr = f"(b or {expr})"
    f, diags = _rule(expr)
    assert [d.code for d in diags] == ["SYN101"] and "nested" in diags[0].message
    assert [d.id.name for d in f.decls] == ["after"]  # the rest of the file still parses


def test_500_nested_not():
    f, diags = _rule("not " * 500 + "a")
    assert [d.code for d in diags] == ["SYN101"]
    assert f"more than {MAX_NESTING} levels" in diags[0].message
    assert [d.id.name for d in f.decls] == ["after"]


def test_nesting_at_the_limit_is_accepted_and_can_be_walked():
    f, diags = _rule("not " * (MAX_NESTING - 1) + "a")
    assert diags == []
    e, depth = f.decls[0].items[0].value, 0
    while isinstance(e, ast.Not):
        e, depth = e.operand, depth + 1
    assert depth == MAX_NESTING - 1
    # the nodes compare and hash without running out of stack
    assert f == parse(f"segment s {{ rule {'not ' * (MAX_NESTING - 1)}a }}\nevent after\n")[0]
    hash(f.decls[0])


def test_nesting_limit_leaves_room_on_the_stack():
    assert sys.getrecursionlimit() > MAX_NESTING * 4


@pytest.mark.parametrize("n", [MAX_NESTING + 1, 1000, 5000])
def test_deep_nesting_never_raises(n):
    _rule("not " * n + "a")
    _rule("(" * n + "a" + ")" * n)
    _rule("(" * n + "a")  # unbalanced
    _rule("a and (" * n + "b" + ")" * n)


def test_repeated_nesting_errors_do_not_leak_between_parses():
    # depth bookkeeping is per parse: a failed deep rule must not make a later shallow one fail
    for _ in range(3):
        _rule("not " * 500 + "a")
        f, diags = _rule("(" * 150 + "a or b" + ")" * 150)
        assert diags == []


# --------------------------------------------------------------------------- line endings and BOM


def _positions(f: ast.File):
    """Every span in the tree, in order."""
    out = []

    def walk(x):
        if isinstance(x, tuple):
            for y in x:
                walk(y)
        elif hasattr(x, "__dataclass_fields__"):
            for name in x.__dataclass_fields__:
                v = getattr(x, name)
                if name == "span" or name == "kind_span" or name == "body":
                    out.append(v)
                else:
                    walk(v)

    walk(f.decls)
    walk(f.comments)
    return out


@pytest.mark.parametrize("name", ["wealth.strat", "channels.strat"])
def test_crlf_and_bom_give_the_same_positions(name):
    lf = (DATA / name).read_text("utf-8")
    raw = lf.encode("utf-8")
    variants = [
        raw.replace(b"\n", b"\r\n"),
        b"\xef\xbb\xbf" + raw,
        b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"),
        raw.replace(b"\n", b"\r"),
    ]
    f_lf, d_lf = parse(lf)
    assert d_lf == []
    for data in variants:
        text = SourceFile.decode(data)
        f, diags = parse(text)
        assert diags == []
        assert f == f_lf
        assert _positions(f) == _positions(f_lf)


def test_crlf_diagnostics_have_the_same_positions():
    lf = 'segment s {\n  rule age >\n}\nobjective o "中" {\n  owner "x\n}\n'
    _, d_lf = parse(lf)
    _, d_crlf = parse(SourceFile.decode(b"\xef\xbb\xbf" + lf.replace("\n", "\r\n").encode("utf-8")))
    assert [(d.code, d.span) for d in d_crlf] == [(d.code, d.span) for d in d_lf]
    assert [d.code for d in d_lf] == ["SYN101", "SYN102"]


def test_lone_carriage_returns_and_odd_whitespace_in_undecoded_text():
    # parse_source may be handed text that did not go through SourceFile.decode
    parse("segment s {\r  rule a\r}\r")
    parse("segment s {\u2028 rule a\u00a0and\u3000b }\x0c")
    parse("\ufeffevent e")
