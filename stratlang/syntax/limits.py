"""How deep and how long the parser lets things go, and the errors past the limits.

The limits keep every later stage safe to write recursively, and keep Lark's stacks (which grow
with the depth) and int() (quadratic in the digits) away from hostile input.
"""

from __future__ import annotations

from .. import diagnostics as dg
from ..source import Span

MAX_NESTING = 200
# Parentheses that only group (`((a))`) do not deepen the tree, so they may go deeper than
# MAX_NESTING; past this they are refused before Lark sees them (its stacks grow with the depth).
MAX_PARENS = 1000
# No number, date or duration anyone means is longer; and converting a long run of digits to an
# int is quadratic (a 1 MB literal took 40 s) and beyond 4,300 digits raises.
MAX_LITERAL = 40


class Abort(Exception):
    """Raised inside lowering for a problem that makes the statement unusable."""

    def __init__(self, diag: dg.Diagnostic):
        self.diag = diag


def _too_deep(what: str, limit: int, span: Span, help: str) -> dg.Diagnostic:
    return dg.make(
        "SYN101", f"{what} nested more than {limit} levels deep", span, "too deep", help=help
    )


def parens_too_deep(span: Span) -> dg.Diagnostic:
    return _too_deep(
        "parentheses", MAX_PARENS, span, "remove the parentheses that only group a single test"
    )


def rule_too_deep(span: Span) -> dg.Diagnostic:
    return _too_deep(
        "rule", MAX_NESTING, span, "split the rule into segments joined with `extends`"
    )


def blocks_too_deep(span: Span) -> dg.Diagnostic:
    return _too_deep(
        "blocks",
        MAX_NESTING,
        span,
        "a declaration holds attributes and `profile { … }` blocks; close the blocks that are "
        "still open",
    )
