"""The grammar file's text, and what the error messages read from it."""

from __future__ import annotations

import re
from importlib import resources


def grammar_text() -> str:
    return resources.files("stratlang.grammar").joinpath("stratlang.lark").read_text("utf-8")


_KEYWORD_TERMINAL = re.compile(r'^([A-Z][A-Z_]*)(?:\.\d+)?:\s*"([^"\\]+)"\s*$', re.M)
_literal_terminals: dict[str, str] | None = None


def terminal_text(term: str) -> str | None:
    """The literal text of a keyword/punctuation terminal, read from the grammar (`USING` -> `using`)."""
    global _literal_terminals
    if _literal_terminals is None:
        _literal_terminals = {m[1]: m[2] for m in _KEYWORD_TERMINAL.finditer(grammar_text())}
        _literal_terminals.update({"USING": "using", "COMMA": ",", "SEMICOLON": ";"})
    return _literal_terminals.get(term)
