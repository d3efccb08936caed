"""A Pygments lexer for stratlang, so `.strat` code highlights in Sphinx, MkDocs and anything
else that uses Pygments. Registered as the entry point `pygments.lexers: stratlang`.

It mirrors grammar/stratlang.lark's terminals; editors/vscode/syntaxes/stratlang.tmLanguage.json
is the same lexer for TextMate. Keywords are highlighted wherever they appear (the real lexer
is contextual, so `lifecycle` is also an attribute name; highlighting it as a keyword either way
is what readers expect).
"""

from __future__ import annotations

# Pygments ships no type information and types-Pygments is not a dev dependency.
from pygments.lexer import RegexLexer, include, words  # type: ignore[import-untyped]
from pygments.token import (  # type: ignore[import-untyped]
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from . import language

__all__ = ["StratlangLexer"]

# Derived from the language's facts (stratlang/language.py); the lexer highlights a keyword
# wherever it appears, and a few attribute names that read as keywords (`supports`, `extends`,
# `allow`) too.
DECLARATIONS = language.DECLARATION_KINDS
RULE_OPERATORS = language.RULE_WORDS
KEYWORDS = tuple(w for w in language.KEYWORDS if w not in DECLARATIONS + RULE_OPERATORS) + (
    "extends",
    "supports",
    "allow",
)
CONSTANTS = language.CONSTANTS
TYPES = tuple(t for t in language.FIELD_TYPES if t != "enum")

# identifiers: a letter (any script) or `_`, then word characters
_NAME = r"[^\W\d]\w*"
_END = r"(?![\w])"


class StratlangLexer(RegexLexer):
    name = "stratlang"
    aliases = ["stratlang", "strat"]
    filenames = ["*.strat"]
    mimetypes = ["text/x-stratlang"]
    url = "https://github.com/stratlang/stratlang"

    tokens = {
        "root": [
            (r"[ \t\r\f\v]+", Whitespace),
            (r"\n", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"""', String.Double, "text_block"),
            (r'"', String.Double, "string"),
            include("literals"),
            (words(DECLARATIONS, suffix=_END), Keyword.Declaration),
            (words(RULE_OPERATORS, suffix=_END), Operator.Word),
            (words(KEYWORDS, suffix=_END), Keyword),
            (words(CONSTANTS, suffix=_END), Keyword.Constant),
            (words(TYPES, suffix=_END), Keyword.Type),
            # a language tag such as zh-CN or en-US
            (r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]+)+(?![\w-])", Name.Constant),
            (_NAME, Name),
            (r"->|~>|\.\.|>=|<=|!=|=|<|>|\+", Operator),
            (r"[{}()\[\],;.]", Punctuation),
        ],
        "literals": [
            # dates, quarters, times and durations before plain numbers
            (r"\d{4}-\d{2}-\d{2}(?![\w%:\-])", Number.Other),
            (r"\d{4}-?Q[1-4](?![\w%:\-])", Number.Other),
            (r"\d{4}-\d{2}(?![\w%:\-])", Number.Other),  # a month (a milestone's period)
            (r"\d{1,2}:\d{2}(?![\w%:\-])", Number.Other),
            (r"\d+(?:mo|h|d|w|y)(?![\w%:\-])", Number.Other),
            # ratios (1:1.2) and multiples (5x, 5倍)
            (r"\d(?:_?\d)*(?:\.\d+)?:\d(?:_?\d)*(?:\.\d+)?(?![\w%:\-])", Number.Other),
            (r"\d(?:_?\d)*(?:\.\d+)?(?:x|倍)(?![\w%:\-])", Number.Other),
            (r"-?\d(?:_?\d)*\.\d+(?:%|万|亿|k|m)?(?![\w%:\-]|\.\d)", Number.Float),
            (r"-?\d(?:_?\d)*(?:%|万|亿|k|m)?(?![\w%:\-]|\.\d)", Number.Integer),
            # anything else that starts with a digit is a (malformed) literal for the checker
            (r"-?\d(?:[\w%:\-]|\.(?!\.))*", Number),
        ],
        "escapes": [
            (r"\\(?:u\{[0-9A-Fa-f]{1,6}\}|.)", String.Escape),
            (r"\{\{[^}\"\n]*\}\}", String.Interpol),
        ],
        "string": [
            include("escapes"),
            (r'"', String.Double, "#pop"),
            (r"\n", Text, "#pop"),  # unterminated: the checker reports it; do not colour the rest
            (r'[^"\\{\n]+', String.Double),
            (r"[{\\]", String.Double),
        ],
        "text_block": [
            include("escapes"),
            (r'"""', String.Double, "#pop"),
            (r'[^"\\{]+', String.Double),
            (r'["{\\]', String.Double),
        ],
    }
