"""Diagnostics as data.

Every problem the compiler finds is a `Diagnostic`: a stable code, a severity, a one-line
message, a primary span, secondary labelled spans, help and note lines, and suggestions with
an applicability (as in rustc). Rendering lives in `stratlang.render`; this module only
describes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .source import Span


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


class Applicability(str, enum.Enum):
    MACHINE_APPLICABLE = "machine_applicable"
    MAYBE_INCORRECT = "maybe_incorrect"
    HAS_PLACEHOLDERS = "has_placeholders"
    UNSPECIFIED = "unspecified"


@dataclass(frozen=True, slots=True)
class Label:
    span: Span
    message: str = ""
    primary: bool = False


@dataclass(frozen=True, slots=True)
class Suggestion:
    span: Span
    replacement: str
    message: str = ""
    applicability: Applicability = Applicability.MACHINE_APPLICABLE


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span
    label: str = ""  # text under the primary span
    labels: tuple[Label, ...] = ()  # secondary labels
    help: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def all_labels(self) -> tuple[Label, ...]:
        return (Label(self.span, self.label, True),) + self.labels

    def sort_key(self) -> tuple[str, int, int, str]:
        s = self.span
        return (s.file, s.line, s.column, self.code)


# The catalogue: code -> (default severity, short description). Long explanations with wrong
# and right examples live in `stratlang.explain`.
CODES: dict[str, tuple[Severity, str]] = {
    "SYN101": (Severity.ERROR, "unexpected token"),
    "SYN102": (Severity.ERROR, "unterminated string or unbalanced brace"),
    "SYN103": (Severity.ERROR, "malformed literal"),
    "SYN104": (Severity.ERROR, "unexpected end of file"),
    "NAM201": (Severity.ERROR, "undefined reference"),
    "NAM202": (Severity.ERROR, "duplicate id"),
    "NAM203": (Severity.ERROR, "reference to the wrong kind"),
    "NAM204": (Severity.ERROR, "unknown attribute"),
    "NAM205": (Severity.ERROR, "required attribute missing"),
    "NAM206": (Severity.ERROR, "import not found, outside the project root, or cyclic"),
    "NAM207": (Severity.ERROR, "attribute given twice"),
    "TYP301": (Severity.ERROR, "unknown schema field"),
    "TYP302": (Severity.ERROR, "type mismatch"),
    "TYP303": (Severity.ERROR, "unknown enum value"),
    "TYP304": (Severity.ERROR, "value's unit does not fit the attribute"),
    "TYP305": (Severity.ERROR, "bad range or date"),
    "TYP306": (Severity.ERROR, "unknown placeholder in a script"),
    "TYP307": (Severity.ERROR, "schema problem"),
    "TYP308": (Severity.ERROR, "history table problem"),
    "TYP309": (Severity.ERROR, "unknown history table or column"),
    "TYP310": (Severity.ERROR, "aggregate written wrong"),
    "MAP401": (Severity.ERROR, "causal cycle among objectives"),
    "MAP402": (Severity.WARNING, "link runs from a higher perspective to a lower one"),
    "MAP403": (Severity.WARNING, "objective reaches no top-perspective objective"),
    "MAP404": (Severity.WARNING, "top-perspective objective has no driver"),
    "MAP405": (Severity.WARNING, "perspective has no objectives"),
    "MAP406": (Severity.WARNING, "objective has no target"),
    "MAP407": (Severity.WARNING, "objective is supported by no play or initiative"),
    "MAP408": (Severity.WARNING, "duplicate link or self-link"),
    "MAP409": (Severity.INFO, "strategy map is unbalanced"),
    "MAP410": (Severity.INFO, "strategy map is too large to read"),
    "MAP411": (Severity.WARNING, "milestone contradicts its target"),
    "MAP412": (Severity.WARNING, "opportunity gap has nothing to close it"),
    "SEG501": (Severity.ERROR, "segment rule can match no customer"),
    "SEG502": (Severity.ERROR, "exclusive tiering overlaps"),
    "SEG503": (Severity.ERROR, "exhaustive tiering has a gap"),
    "SEG504": (Severity.WARNING, "segment used by no play and no tiering"),
    "SEG505": (Severity.ERROR, "extends chain is cyclic or contradicts the parent"),
    "PLY601": (Severity.ERROR, "step's channel differs from its script's channel"),
    "PLY602": (Severity.ERROR, "offer's risk exceeds the segment's risk tolerance"),
    "PLY603": (Severity.ERROR, "script for a risk-rated offer has no disclaimer"),
    "PLY604": (Severity.WARNING, "channel capacity exceeded"),
    "PLY605": (Severity.WARNING, "play exceeds the channel's contact cap"),
    "PLY606": (Severity.ERROR, "play supports no objective"),
    "PLY607": (Severity.WARNING, "plays with equal priority target overlapping segments"),
    "PLY608": (Severity.ERROR, "step numbering"),
    "PLY609": (Severity.ERROR, "script contains a banned phrase"),
    "PLY610": (Severity.WARNING, "messaging script has no opt-out text"),
    "PLY611": (Severity.WARNING, "play's effect cannot be measured"),
    "PLY612": (Severity.ERROR, "step names an offer twice"),
    # contact governance: the `policy` blocks and a play's variants (docs/governance.md)
    "GOV701": (Severity.ERROR, "play's own schedule breaks a contact limit"),
    "GOV702": (Severity.WARNING, "two plays can together break a contact limit"),
    "GOV703": (Severity.WARNING, "play's segment admits customers without a needed consent"),
    "GOV704": (Severity.ERROR, "variants' shares do not add up to 100%"),
    # cascades: the alignment of a strategy with its parent's and its children's (docs/cascade.md)
    "ALN001": (Severity.ERROR, "parent project cannot be used"),
    "ALN002": (Severity.ERROR, "align names no objective of the parent strategy"),
    "ALN003": (Severity.WARNING, "parent objective is carried by no child strategy"),
    "ALN004": (Severity.WARNING, "child objective aligns with no parent objective"),
    "ALN005": (Severity.ERROR, "target's unit differs from the parent target it serves"),
    "ALN006": (Severity.WARNING, "children's targets fall short of the parent's target"),
    "ALN007": (Severity.WARNING, "target is due after the parent target it serves"),
    "ALN008": (Severity.WARNING, "perspective order differs across levels"),
    "ALN009": (Severity.ERROR, "unit problem: undefined, cyclic or outside the parent's unit"),
    "ALN010": (Severity.WARNING, "owner is a free string where units are declared"),
    "ALN011": (Severity.ERROR, "serves names no target of an aligned parent objective"),
    # found by `stratlang review` in the actuals, not by the checker (docs/review.md)
    "REV801": (
        Severity.WARNING,
        "target is red: its latest actual misses the goal beyond tolerance",
    ),
    "REV802": (
        Severity.INFO,
        "target is amber: its latest actual misses the goal within tolerance",
    ),
    "REV803": (Severity.WARNING, "review trigger fired"),
    "REV804": (Severity.WARNING, "no actual for a period that has ended"),
    # found by `stratlang test` in fixture files of example customers (docs/testing.md)
    "TST901": (Severity.ERROR, "customer does not get what the fixture expects"),
    "TST902": (Severity.ERROR, "fixture file cannot be read as the schema says"),
}


def make(
    code: str,
    message: str,
    span: Span,
    label: str = "",
    *,
    labels: Iterable[Label] = (),
    help: str | Iterable[str] = (),
    notes: str | Iterable[str] = (),
    suggestions: Iterable[Suggestion] = (),
    severity: Severity | None = None,
) -> Diagnostic:
    """Build a diagnostic with the catalogue's severity for `code`."""
    sev = severity if severity is not None else CODES[code][0]
    if isinstance(help, str):
        help = (help,)
    if isinstance(notes, str):
        notes = (notes,)
    return Diagnostic(
        code,
        sev,
        message,
        span,
        label,
        tuple(labels),
        tuple(help),
        tuple(notes),
        tuple(suggestions),
    )


@dataclass
class Diagnostics:
    """A collector: passes append, the API boundary sorts and decides."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic) -> None:
        self.items.append(diag)

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def error_count(self) -> int:
        return sum(1 for d in self.items if d.severity == Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return sum(1 for d in self.items if d.severity == Severity.WARNING)

    def sorted(self) -> list[Diagnostic]:
        seen = set()
        out = []
        for d in sorted(self.items, key=Diagnostic.sort_key):
            key = (d.code, d.span, d.message)
            if key not in seen:
                seen.add(key)
                out.append(d)
        return out


# The `--fail-level` of every command: a run fails when a diagnostic is at or above it.
FAIL_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


def fails(diags: Iterable[Diagnostic], fail_level: str = "error") -> bool:
    """True when a diagnostic is at or above `fail_level` ("error", "warning" or "info")."""
    threshold = FAIL_LEVELS[fail_level]
    return any(d.severity >= threshold for d in diags)


# "Did you mean": restricted Damerau-Levenshtein (optimal string alignment) distance, at most 1
# for names shorter than 3 characters and 2 otherwise, closest first.


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        prev2, prev = prev, cur
    return prev[len(b)]


def closest(name: str, candidates: Iterable[str]) -> list[str]:
    """Candidates within the allowed distance, closest first (ties by name)."""
    limit = 1 if len(name) < 3 else 2
    scored = []
    for c in candidates:
        if c == name:
            continue
        d = osa_distance(name, c, limit)
        if d <= limit:
            scored.append((d, c))
    scored.sort()
    return [c for _, c in scored]
