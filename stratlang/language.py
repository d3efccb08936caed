"""The language's facts, in one place: declaration kinds and their attributes, keywords, item
words, trigger words, field types and the value sets the checker knows.

Everything that needs to know the language reads it here: the parser's recovery (where a
statement starts, which words open a declaration), the resolver's attribute tables, the language
server's completions, symbols and reserved words, the Pygments lexer, and the tests that keep
the grammar (`grammar/stratlang.lark`), the TextMate grammar and the keyword table of
docs/language.md in step with these facts (`tests/test_language_facts.py`).

Adding a declaration kind: a grammar rule (or a word in BLOCK_KIND), an entry in ATTRIBUTES (and
BLOCK_KINDS), a model class, one resolve step, one check module.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------ declarations

# `KIND id "label"? { items }`: declarations that share the grammar's block_decl rule.
BLOCK_KINDS = (
    "theme",
    "event",
    "objective",
    "segment",
    "tiering",
    "offer",
    "channel",
    "script",
    "play",
    "initiative",
    "review",
    "gap",
    "policy",
    "unit",
)
# Top-level statements with a grammar rule of their own.
STATEMENT_WORDS = ("strategy", "perspectives", "schema", "history", "import")
# Every word that starts a top-level statement (a link `a -> b` starts with an id instead).
STATEMENT_STARTERS = STATEMENT_WORDS + BLOCK_KINDS
# Every kind of declaration a file can hold (import is a statement, not a declaration).
DECLARATION_KINDS = ("strategy", "perspectives", "schema", "history") + BLOCK_KINDS

# ------------------------------------------------------------------------------ attribute tables

LIFECYCLES = ("acquisition", "activation", "growth", "retention", "winback")
VALUE_PROPOSITIONS = (
    "low_total_cost",
    "product_leadership",
    "customer_solutions",
    "system_lock_in",
)
OBJECTIVE_KINDS = {
    "customer": ("attributes", "relationship", "image"),
    "process": ("operations", "customer_management", "innovation", "regulatory_social"),
    "learning": ("human_capital", "information_capital", "organization_capital"),
}
ALL_OBJECTIVE_KINDS = tuple(k for ks in OBJECTIVE_KINDS.values() for k in ks)
OFFER_KINDS = ("product", "service", "benefit")
CHANNEL_KINDS = ("outbound_call", "sms", "push", "wechat", "email", "branch", "rm_visit", "mail")
SCHEDULES = ("daily", "weekly", "monthly")
# How often a target or a measure is reviewed (`cadence`); a target without one takes the
# strategy's, and a strategy without one reviews quarterly.
CADENCES = ("monthly", "quarterly", "yearly")
DEFAULT_CADENCE = "quarterly"
LOCALES = ("zh-CN", "en")
PROFILE_KEYS = ("demographic", "behavior", "psychographic", "needs")
SCRIPT_SECTIONS = ("opening", "discovery", "pitch", "closing", "disclaimer", "opt_out")
DEFAULT_PERSPECTIVE_IDS = ("financial", "customer", "process", "learning")

# `one:NAME` attribute types take one of these words.
ONE_OF = {
    "value_proposition": VALUE_PROPOSITIONS,
    "objective_kind": ALL_OBJECTIVE_KINDS,
    "lifecycle": LIFECYCLES,
    "offer_kind": OFFER_KINDS,
    "channel_kind": CHANNEL_KINDS,
    "cadence": CADENCES,
}

_COMMON = {"description": "str", "allow": "codes"}

# kind -> attribute -> type; a "!" before the name: required. Types: str, strs, int, count, money,
# percent, bool, color, codes, currency, locale, date_range, time_range, capacity, cap, risk, rule,
# trigger, profile, ref:KIND, refs:KIND, one:VALUE_SET; owner (a unit id or a string), aligns (ids
# of the parent project's objectives). `ref:unit` names a unit of this project or of an ancestor
# project: checked with the cascade (stratlang/check/alignment.py), not by the resolver.
ATTRIBUTES: dict[str, dict[str, str]] = {
    "strategy": {
        "owner": "str",
        # a cascade (docs/cascade.md): the parent strategy project (a folder or a .strat file,
        # relative to this file) and the unit whose strategy this is
        "parent": "str",
        "unit": "ref:unit",
        "!period": "date_range",
        "currency": "currency",
        "locale": "locale",
        "version": "str",
        "value_proposition": "one:value_proposition",
        "banned": "strs",
        "mission": "str",
        "vision": "str",
        "cadence": "one:cadence",
        # contact governance (docs/governance.md): the global holdout and the customers' zone
        "holdout": "percent",
        "holdout_seed": "str",
        "timezone": "timezone",
        **_COMMON,
    },
    "theme": {"color": "color", **_COMMON},
    "event": {**_COMMON},
    "objective": {
        "!perspective": "ref:perspective",
        "theme": "ref:theme",
        "owner": "owner",
        "kind": "one:objective_kind",
        "align": "aligns",
        **_COMMON,
    },
    "segment": {
        "rule": "rule",
        "extends": "ref:segment",
        "lifecycle": "one:lifecycle",
        "estimate": "count",
        "profile": "profile",
        **_COMMON,
    },
    "tiering": {"segments": "refs:segment", "exclusive": "bool", "exhaustive": "bool", **_COMMON},
    "offer": {"risk": "risk", "kind": "one:offer_kind", **_COMMON},
    "channel": {
        "kind": "one:channel_kind",
        "capacity": "capacity",
        "cost": "money",
        "quiet": "time_range",
        "cap": "cap",
        **_COMMON,
    },
    "script": {"!channel": "ref:channel", **dict.fromkeys(SCRIPT_SECTIONS, "str"), **_COMMON},
    "play": {
        "!segment": "ref:segment",
        "when": "trigger",
        "offer": "ref:offer",
        "supports": "refs:objective",
        "control": "percent",
        "priority": "int",
        "owner": "owner",
        "budget": "money",
        "period": "date_range",
        **_COMMON,
    },
    "initiative": {
        "supports": "refs:objective",
        "owner": "owner",
        "budget": "money",
        "period": "date_range",
        **_COMMON,
    },
    # A review trigger: a condition over a measure (`when F2.revenue deviates 15%`), the action
    # it calls for and who takes it.
    "review": {
        "!when": "trigger",
        "!action": "str",
        "owner": "str",
        **_COMMON,
    },
    # An opportunity gap (机会差距): its estimated value and what is meant to close it.
    "gap": {
        "estimate": "money",
        "!objectives": "refs:objective",
        "initiatives": "refs:initiative",
        **_COMMON,
    },
    # Contact governance: `at most N per D [on …]` and `consent FIELD on …` lines.
    "policy": {**_COMMON},
    # An organisational unit (head office, branch, team): what owns objectives and carries a
    # strategy in a cascade. `parent` is the unit above it (declared here or in an ancestor
    # project), `head` the person who leads it.
    "unit": {"parent": "ref:unit", "head": "str", **_COMMON},
}

# Repeatable line items: the word that starts one -> the kinds that take it.
LINE_ITEMS = {
    "target": ("objective", "play"),
    "measure": ("objective", "play"),
    "step": ("play",),  # and inside a play's `variant { … }`
    "objection": ("script",),
    "at": ("policy",),  # `at most 3 per 7d on sms`
    "consent": ("policy",),
    "variant": ("play",),
}

# Inside a play's `variant ID "label" SHARE% { … }`: what the arm changes (its steps replace the
# play's when it has any).
VARIANT_ATTRIBUTES: dict[str, str] = {"offer": "ref:offer", "description": "str"}

# The attributes inside a target's or a measure's `{ … }` (besides a target's milestone lines
# `PERIOD CMP VALUE`), typed as in ATTRIBUTES. Defaults: cadence from the strategy (itself
# quarterly), weight 1, tolerance 10%.
LINE_ATTRIBUTES: dict[str, dict[str, str]] = {
    "target": {
        "cadence": "one:cadence",
        "weight": "count",
        "tolerance": "percent",
        # a child target in a cascade: the parent target it serves, `OBJECTIVE.TARGET` of the
        # parent project (instead of the same-id rule; docs/cascade.md)
        "serves": "measure_ref",
    },
    "measure": {"cadence": "one:cadence", "weight": "count"},
}
DEFAULT_WEIGHT = 1
DEFAULT_TOLERANCE = 10  # percent


def attributes_of(kind: str) -> dict[str, tuple[str, bool]]:
    """attribute -> (type, required) for a declaration kind."""
    return {
        name.lstrip("!"): (typ, name.startswith("!"))
        for name, typ in ATTRIBUTES.get(kind, {}).items()
    }


# ------------------------------------------------------------------------------ schema fields

FIELD_TYPES = ("int", "float", "money", "percent", "bool", "string", "date", "enum")
FIELD_FLAGS = ("key", "optional", "risk_tolerance", "timezone")
# In a `history` table: `key` marks the column holding the customer's key, `time` the row's date.
HISTORY_FLAGS = ("key", "time", "optional")

# ------------------------------------------------------------------------------ history aggregates

# `FUNC(...)` over a history table in a rule (docs/language.md §5.5): what each function takes and
# what it yields. `column`: the function reads TABLE.COLUMN (numeric); `last`: written
# `days_since(last TABLE)`; `trend`: `increasing`/`decreasing` required; `window`: `over D` allowed.
# `type`: the result type (None: the column's type); `minimum`: the least value it can take;
# `empty`: the value for a customer without matching rows (None: missing).
AGGREGATES: dict[str, dict[str, object]] = {
    "count": {"column": False, "window": True, "type": "int", "minimum": 0, "empty": 0},
    "sum": {"column": True, "window": True, "type": None, "minimum": None, "empty": 0},
    "avg": {"column": True, "window": True, "type": None, "minimum": None, "empty": None},
    "min": {"column": True, "window": True, "type": None, "minimum": None, "empty": None},
    "max": {"column": True, "window": True, "type": None, "minimum": None, "empty": None},
    "change": {"column": True, "window": True, "type": "percent", "minimum": None, "empty": None},
    "streak": {
        "column": True,
        "window": True,
        "trend": True,
        "type": "int",
        "minimum": 0,
        "empty": 0,
    },
    "days_since": {
        "column": False,
        "window": False,
        "last": True,
        "type": "int",
        "minimum": 0,
        "empty": None,
    },
}
AGGREGATE_WORDS = ("last", "increasing", "decreasing", "where", "over")
# Window units an aggregate takes (a history's time is a date: no hours).
WINDOW_UNITS = ("d", "w", "mo", "y")
# Places kept of a sum, an average or a change of non-integer values (as a DECIMAL): a parallel
# sum of doubles depends on its order, so an exact bound would otherwise decide run by run.
AGGREGATE_DECIMALS = 6
# The longest window (100 years): longer ones would reach before year 1 in date arithmetic.
MAX_WINDOW_DAYS = 36_525

# ------------------------------------------------------------------------------ keywords

# What may follow a play's `when` (`enters`/`leaves segment S`, `lifecycle becomes S`: transitions).
TRIGGER_WORDS = ("event", "lifecycle", "schedule", "rule", "enters", "leaves")
# The words with a fixed meaning, by where they occur (docs/language.md §1.4 shows this table).
# Keywords are reserved only where the grammar expects them (Lark's contextual lexer).
KEYWORDS_BY_PLACE = (
    ("start of a top-level statement", STATEMENT_STARTERS),
    ("start of an item in a block", ("rule", "when") + tuple(LINE_ITEMS)),
    ("schema field lines", ("enum",) + FIELD_FLAGS),
    ("history field lines", ("enum",) + HISTORY_FLAGS),
    ("triggers", TRIGGER_WORDS + ("segment", "becomes", "within")),
    ("target lines", ("by", "baseline", "between", "and")),
    ("review conditions", ("deviates", "for")),
    ("step lines", ("using", "with", "after", "unless", "converted")),
    ("policy lines", ("most", "per", "on")),
    ("values", ("per",)),
    ("rules", ("and", "or", "not", "between", "in", "is", "missing", "present")),
    ("aggregates in rules", tuple(AGGREGATES) + AGGREGATE_WORDS),
)
KEYWORDS = tuple(dict.fromkeys(w for _, words in KEYWORDS_BY_PLACE for w in words))
RULE_WORDS = dict(KEYWORDS_BY_PLACE)["rules"]
# Plain identifiers that the checker reads by position (not keywords).
CONSTANTS = ("true", "false", "unlimited")
