"""The language's facts (stratlang/language.py) and everything that must agree with them: the
Lark grammar, the keyword table of docs/language.md, the resolver's tables, the Pygments lexer, the
TextMate grammar and the language server. A word added in one place and not the others fails here."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT
from pygments.token import Keyword, Operator

from stratlang import language
from stratlang.pygments_lexer import StratlangLexer

GRAMMAR = (ROOT / "grammar" / "stratlang.lark").read_text(encoding="utf-8")
DOCS = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
TEXTMATE = json.loads(
    (ROOT / "editors/vscode/syntaxes/stratlang.tmLanguage.json").read_text(encoding="utf-8")
)


def grammar_alternatives(terminal: str) -> tuple[str, ...]:
    """The words of a regex terminal written as `NAME.p: /(?:a|b|c)(?!\\w)/`."""
    m = re.search(
        rf"^{terminal}(?:\.\d+)?:\s*/\(\?:([\w|]+)\)\((?:\?!\\w|\?=\\\()\)/", GRAMMAR, re.M
    )
    assert m, f"terminal {terminal} not found in the grammar"
    return tuple(m.group(1).split("|"))


def grammar_keywords() -> set[str]:
    """Every word the grammar treats as a keyword: quoted word terminals and inline quoted words."""
    words = set(re.findall(r'^[A-Z_]+(?:\.\d+)?:\s*"([a-z_]+)"\s*$', GRAMMAR, re.M))
    rule_lines = [
        ln for ln in GRAMMAR.splitlines() if not re.match(r"\s*(?:[A-Z_]+(?:\.\d+)?:|//)", ln)
    ]
    words |= {w for ln in rule_lines for w in re.findall(r'"([a-z_]+)"', ln)}
    words |= set(re.findall(r"^[A-Z_]+(?:\.\d+)?:\s*/([a-z_]+)\(\?!\\w\)/", GRAMMAR, re.M))
    for terminal in ("BLOCK_KIND", "FLAG", "AGG_FUNC", "TREND"):
        words |= set(grammar_alternatives(terminal))
    words |= set(re.findall(r"^ZONE_FLAG(?:\.\d+)?:\s*/([a-z_]+)\(\?!\\w\)", GRAMMAR, re.M))
    return words


def test_aggregate_functions_are_the_grammars():
    assert grammar_alternatives("AGG_FUNC") == tuple(language.AGGREGATES)


def test_block_kinds_are_the_grammars():
    assert grammar_alternatives("BLOCK_KIND") == language.BLOCK_KINDS


def test_field_flags_are_the_grammars():
    # `timezone` has a terminal of its own (it stays a field name when a type follows it)
    assert grammar_alternatives("FLAG") + ("timezone",) == language.FIELD_FLAGS
    assert re.search(r"^ZONE_FLAG\.2: /timezone\(", GRAMMAR, re.M)


def test_keywords_are_exactly_the_grammars():
    assert grammar_keywords() == set(language.KEYWORDS)


def test_every_kind_has_an_attribute_table():
    assert set(language.ATTRIBUTES) == set(language.DECLARATION_KINDS) - {
        "perspectives",
        "schema",
        "history",
    }
    for kind, items in language.LINE_ITEMS.items():
        assert set(items) <= set(language.BLOCK_KINDS), kind


def test_the_docs_keyword_table_is_the_facts():
    section = DOCS[DOCS.index("### 1.4 Keywords") : DOCS.index("### 1.5")]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]*`[^|]+) \|$", section, re.M)
    table = tuple((place, tuple(re.findall(r"`(\w+)`", words))) for place, words in rows)
    assert table == language.KEYWORDS_BY_PLACE


def test_the_resolver_reads_the_facts():
    from stratlang.check import resolve

    read = dict(resolve.LINE_ITEMS.values())
    # `measure` lines (issue 12) parse already; the resolver takes them up with their semantics.
    # Once it reads them this is the plain equality again.
    pending = {"measure"} - set(read)
    assert read == {w: k for w, k in language.LINE_ITEMS.items() if w not in pending}


@pytest.mark.parametrize("word", language.KEYWORDS)
def test_pygments_highlights_every_keyword(word):
    tokens = [(t, v) for t, v in StratlangLexer().get_tokens(word) if v.strip()]
    assert tokens == [(tokens[0][0], word)]
    assert tokens[0][0] in Keyword or tokens[0][0] in Operator.Word


def textmate_words(scope_prefix: str) -> set[str]:
    words: set[str] = set()
    for pattern in TEXTMATE["repository"]["keyword"]["patterns"]:
        if pattern["name"].startswith(scope_prefix):
            m = re.search(r"\(\?:([\w|]+)\)", pattern["match"])
            words |= set(m.group(1).split("|"))
    return words


def test_textmate_highlights_every_keyword():
    highlighted = textmate_words("storage.type") | textmate_words("keyword")
    assert set(language.KEYWORDS) <= highlighted, sorted(set(language.KEYWORDS) - highlighted)
    assert textmate_words("storage.type") == set(language.DECLARATION_KINDS)
    assert textmate_words("keyword.operator.word") == set(language.RULE_WORDS)


def test_the_language_server_reads_the_facts():
    from stratlang.lsp import completion, server

    assert set(language.KEYWORDS) <= server.RESERVED
    assert completion.spec_of("play") == language.attributes_of("play")
    top = [label for label, *_ in completion.complete("", 0, {})]
    assert top == list(language.STATEMENT_STARTERS)


def test_the_docs_describe_every_line_attribute():
    for word, attrs in language.LINE_ATTRIBUTES.items():
        for name in attrs:
            assert f"- `{name} " in DOCS, f"{word} body attribute `{name}`"
