"""The fast parse loop (`stratlang/syntax/driver.py`) against Lark's own parse of the same text.

The loop is only ever trusted with what Lark would accept: where it stops (`NotParsed`), Lark
parses again and raises the error. So the property that matters is exact agreement: on any text,
the loop accepts exactly when Lark accepts, and then builds the same declarations, comments and
diagnostics (nodes, spans, values). It is checked on every `.strat` file of the repository and on
mutations of the examples (the fuzzer's edits: deleted and swapped tokens, keywords where names
go, odd Unicode, broken strings, deep nesting, …), whole and cut into statements as the recovery
cuts them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from lark.exceptions import UnexpectedInput
from test_fuzz import as_text, inputs

from stratlang.source import SourceFile
from stratlang.syntax import parser, recovery
from stratlang.syntax.driver import NotParsed
from stratlang.syntax.limits import Abort
from stratlang.syntax.recovery import split_statements

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    p
    for folder in ("examples", "tests", "docs", "benchmarks/fixtures")
    for p in (ROOT / folder).rglob("*.strat")
)
N_EXAMPLES = int(os.environ.get("STRATLANG_DRIVER_EXAMPLES") or 300)


def _outcome(parse: Any, text: str) -> tuple[Any, ...]:
    """What one parse of `text` gives: its result with the lowering's comments and diagnostics,
    or which way it failed."""
    p = parser._parser()
    low = p.lowerer
    low.begin(SourceFile("t.strat", text), 0, 0)
    try:
        result = parse(text)
    except (NotParsed, UnexpectedInput):
        return ("syntax error",)
    except Abort as e:
        return ("abort", e.diag)
    return ("parsed", result, list(low.comments), list(low.diags))


def assert_same(text: str) -> tuple[Any, ...]:
    p = parser._parser()
    fast = _outcome(p.driver.parse, text)
    lark = _outcome(p.lark.parse, text)
    if fast[0] == "abort":  # a limit met while lowering: parser.py parses with Lark then, too
        assert lark[0] != "parsed"
    else:
        assert fast == lark
    return fast


def test_every_file_of_the_repository_parses_the_same() -> None:
    assert len(FILES) > 50
    parsed = 0
    for path in FILES:
        text = SourceFile.decode(path.read_bytes())
        parsed += assert_same(text)[0] == "parsed"
        for start, end, _ in split_statements(text):
            assert_same(text[start:end])
    assert parsed > 40  # most files are valid: the comparison is not of two failures


def test_positions_after_multiline_tokens_and_odd_whitespace() -> None:
    text = (
        'objective F1 "a" {\r\n  description """\n  two\n  lines\n"""  owner x\n}\n'
        '\u3000# 注释 after an ideographic space\n\tF1 -> F2 ~> F3 "why"\x0c\n'
    )
    fast = assert_same(text)
    assert fast[0] == "parsed"
    assert [c.span.line for c in fast[2]] == [7]


def test_a_keyword_is_a_name_where_the_grammar_wants_a_name() -> None:
    # `segment` is a declaration word and an attribute name, `count` a function and a field
    text = "segment segment { rule count > 3 and segment = 1 }\nplay p { segment segment }\n"
    assert assert_same(text)[0] == "parsed"


def test_errors_are_refused_where_lark_refuses_them() -> None:
    for text in ["objective {", "objective F1 { owner }", 'x "unclosed', "F1 ->", "@", "}"]:
        assert assert_same(text) == ("syntax error",)


@settings(
    max_examples=N_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(inputs())
def test_mutated_examples_parse_the_same(example: tuple[Path, bytes]) -> None:
    text = as_text(example[1])
    assert_same(text)
    for start, end, _ in split_statements(text):
        assert_same(text[start:end])


def test_parse_source_falls_back_to_lark_for_the_errors() -> None:
    source = SourceFile("t.strat", 'objective F1 "a" { owner }\nobjective F2 "b" { owner x }\n')
    file, diags = parser.parse_source(source)
    assert [d.code for d in diags] == ["SYN101"]
    assert [b.id.name for b in file.decls if b.id] == ["F2"]


def _parse_both_ways(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`parse_source` on text without errors parses the whole text in one go; it must give what
    the parse in groups gives (with small groups, so that every file is cut many times)."""
    monkeypatch.setattr(recovery, "GROUP_CHARS", 120)
    source = SourceFile("t.strat", text)
    whole = parser.parse_source(source)
    with monkeypatch.context() as m:
        m.setattr(parser._Parser, "_whole", lambda self, source: None)
        grouped = parser.parse_source(source)
    assert whole == grouped


def test_a_whole_file_parses_as_its_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    for path in FILES:
        _parse_both_ways(SourceFile.decode(path.read_bytes()), monkeypatch)


@settings(
    max_examples=N_EXAMPLES // 3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(example=inputs())
def test_a_mutated_file_parses_as_its_groups(
    example: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    _parse_both_ways(as_text(example[1]), monkeypatch)


def test_the_installed_lark_gets_the_fast_loop() -> None:
    """Another Lark version could be built differently; then the parser falls back to Lark's
    own loop (correct, slower). With the Lark this project installs, the loop is in use."""
    assert parser._parser().driver is not None


def test_a_lark_built_otherwise_falls_back_to_lark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "Driver", _Broken)
    fresh = parser._Parser()
    assert fresh.driver is None
    text = 'objective F1 "a" { owner x }\n' * 800  # longer than a group
    monkeypatch.setattr(parser, "_PARSER", fresh)
    file, diags = parser.parse_source(SourceFile("t.strat", text))
    assert len(file.decls) == 800 and diags == []


class _Broken:
    def __init__(self, *args: object) -> None:
        raise AttributeError("_mres")
