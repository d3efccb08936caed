"""Completion from the text alone: works on broken, half-typed files.

The enclosing block's kind is found by scanning backwards for the unmatched `{` (skipping
strings and comments); what the cursor needs comes from the current line before the cursor.
Ids come from a scan of the project's texts for declarations, so a file that does not parse
still completes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import language
from ..check.resolve import LINE_ITEMS
from ..language import (
    ATTRIBUTES,
    DECLARATION_KINDS,
    DEFAULT_PERSPECTIVE_IDS,
    ONE_OF,
    PROFILE_KEYS,
    STATEMENT_STARTERS,
    attributes_of,
)
from ..model import Schema

spec_of = attributes_of
BLOCK_KINDS = DECLARATION_KINDS  # the kinds whose `{` opens a block
DEFAULT_PERSPECTIVES = DEFAULT_PERSPECTIVE_IDS
ID = r"[^\W\d]\w*"
_DECL = re.compile(rf"^[ \t]*({'|'.join(BLOCK_KINDS)})[ \t]+({ID})", re.M)
_PERSP_BLOCK = re.compile(r"^[ \t]*perspectives[ \t]*\{(.*?)\}", re.M | re.S)
_PERSP_ITEM = re.compile(rf"^[ \t]*({ID})", re.M)

# what a keyword before the cursor asks for, by enclosing block kind (None: any)
_AFTER = [
    (
        re.compile(rf"^\s*step\s+\S+\s+{ID}\s+using\s+{ID}\s+with\s+(?:{ID}\s*\+\s*)*({ID})?$"),
        None,
        "offer",
    ),
    (re.compile(rf"^\s*step\s+\S+\s+{ID}\s+using\s+({ID})?$"), None, "script"),
    (re.compile(rf"^\s*step\s+\S+\s+({ID})?$"), None, "channel"),
    (re.compile(rf"\bwhen\s+event\s+({ID})?$"), None, "event"),
    (re.compile(rf"\bwhen\s+(?:enters|leaves)\s+segment\s+({ID})?$"), None, "segment"),
    (re.compile(rf"^\s*segments\s+(?:{ID}\s*,\s*)*({ID})?$"), None, "segment"),
    (re.compile(rf"^\s*supports\s+(?:{ID}\s*,\s*)*({ID})?$"), None, "objective"),
    (re.compile(rf"^\s*segment\s+({ID})?$"), "play", "segment"),
    (re.compile(rf"^\s*extends\s+({ID})?$"), None, "segment"),
    (re.compile(rf"^\s*offer\s+({ID})?$"), "play", "offer"),
    (re.compile(rf"^\s*perspective\s+({ID})?$"), None, "perspective"),
    (re.compile(rf"^\s*theme\s+({ID})?$"), "objective", "theme"),
    (re.compile(rf"^\s*channel\s+({ID})?$"), "script", "channel"),
    # units (docs/cascade.md): those of this file set; an ancestor project's are not offered
    (re.compile(rf"^\s*owner\s+({ID})?$"), None, "unit"),
    (re.compile(rf"^\s*parent\s+({ID})?$"), "unit", "unit"),
    (re.compile(rf"^\s*unit\s+({ID})?$"), "strategy", "unit"),
    (re.compile(rf"(?:^|\s)({ID})\s*->\s*(?:{ID}\s*->\s*)*({ID})?$"), "", "objective"),
]
# in a policy: `… on CH, CH` takes channels or channel kinds, `consent F` a bool field
_POLICY_ON = re.compile(
    rf"^\s*(?:at\s+most\s+\S+\s+per\s+\S+|consent\s+{ID})\s+on\s+(?:{ID}\s*,\s*)*({ID})?$"
)
_CONSENT_FIELD = re.compile(rf"^\s*consent\s+({ID})?$")
# in a cascade's child (docs/cascade.md): `align` takes the parent's objectives, `serves` one of
# their targets as OBJECTIVE.TARGET
_ALIGN = re.compile(rf"^\s*align\s+(?:{ID}\s*,\s*)*({ID})?$")
_SERVES = re.compile(rf"^\s*serves\s+(?:{ID}(?:\.(?:{ID})?)?)?$")
_ENUM_VALUE = re.compile(rf"\b({ID})\s*(?:=|!=|<=|>=|<|>)\s*({ID})?$")
_ENUM_LIST = re.compile(rf"\b({ID})\s+(?:not\s+)?in\s*\[[^\]]*?({ID})?$")
_RULE = re.compile(r"(?:^|\s)rule\s")
_ATTR_START = re.compile(rf"^\s*({ID})?$")
_LIFECYCLE_TRIGGER = re.compile(rf"^\s*when\s+lifecycle\s+(becomes\s+)?({ID})?$")
# the rule words as one types them (`is` comes with what it tests)
RULE_WORDS = tuple(w for w in language.RULE_WORDS if w not in ("is", "missing", "present")) + (
    "is missing",
    "is present",
)


def block_kind(text: str, offset: int) -> str | None:
    """Kind of the block whose `{` encloses `offset` (None at top level)."""
    opens: list[int] = []
    i, n = 0, min(offset, len(text))
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j == -1 or j > n else j
            continue
        if c == '"':
            if text.startswith('"""', i):
                j = text.find('"""', i + 3)
                i = n if j == -1 else j + 3
                continue
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == "{":
            opens.append(i)
        elif c == "}" and opens:
            opens.pop()
        elif c == "\n" and opens:
            # a declaration keyword at column 1 closes an unclosed block (as the parser does)
            m = _DECL.match(text, i + 1)
            if m and m.start(1) == i + 1:
                opens.clear()
        i += 1
    if not opens:
        return None
    start = text.rfind("\n", 0, opens[0]) + 1
    m = re.match(rf"\s*({'|'.join(BLOCK_KINDS)}|perspectives|profile)\b", text[start : opens[0]])
    if not m:
        return None
    if len(opens) > 1 and m.group(1) != "perspectives":
        inner = text.rfind("\n", 0, opens[-1]) + 1
        m2 = re.match(r"\s*(profile)\b", text[inner : opens[-1]])
        if m2:
            return "profile"
    return m.group(1)


def declared_ids(texts: Iterable[str]) -> dict[str, str]:
    """id -> kind from the declarations found in the texts (perspectives included)."""
    out: dict[str, str] = {}
    persp: list[str] = []
    for text in texts:
        for m in _DECL.finditer(text):
            out.setdefault(m.group(2), m.group(1))
        for m in _PERSP_BLOCK.finditer(text):
            persp.extend(x.group(1) for x in _PERSP_ITEM.finditer(m.group(1)))
    for p in persp or DEFAULT_PERSPECTIVES:
        out.setdefault(p, "perspective")
    return out


def complete(
    text: str,
    offset: int,
    ids: dict[str, str],
    schema: Schema | None = None,
    parent: dict[str, tuple[str, ...]] | None = None,
) -> list[tuple[str, str, str]]:
    """Completion items at `offset`: (label, what, detail) with what in id|attribute|keyword|field|value.
    `parent`: the parent project's objectives and their target ids, in a cascade's child."""
    line_start = text.rfind("\n", 0, offset) + 1
    before = text[line_start:offset]
    if "#" in before:
        return []
    kind = block_kind(text, offset)

    if kind == "objective" and parent is not None:
        if _ALIGN.search(before):
            return [(oid, "id", "parent objective") for oid in sorted(parent)]
        if _SERVES.search(before):
            return [
                (f"{oid}.{tid}", "id", "parent target")
                for oid in sorted(parent)
                for tid in parent[oid]
            ]

    for rx, in_kind, need in _AFTER:
        if in_kind == "" and kind is not None:
            continue
        if in_kind and kind != in_kind:
            continue
        if rx.search(before):
            return [(i, "id", need) for i, k in sorted(ids.items()) if k == need]

    if kind == "policy":
        if _POLICY_ON.search(before):
            chans = [(i, "id", "channel") for i, k in sorted(ids.items()) if k == "channel"]
            return chans + [(k, "value", "channel kind") for k in language.CHANNEL_KINDS]
        if _CONSENT_FIELD.search(before):
            bools = [f.name for f in schema.fields.values() if f.type == "bool"] if schema else []
            return [(name, "field", "bool") for name in bools]

    in_rule = bool(_RULE.search(before)) and kind in ("segment", "play")
    if in_rule and schema is not None:
        fields = schema.fields
        m = _ENUM_LIST.search(before) or _ENUM_VALUE.search(before)
        if m and m.group(1) in fields:
            f = fields[m.group(1)]
            if f.type == "enum":
                return [(v, "value", f"{f.name}: enum") for v in f.enum_values]
            if f.type == "bool":
                return [(v, "value", "bool") for v in ("true", "false")]
            return []
        return [(name, "field", f.type) for name, f in fields.items()] + [
            (w, "keyword", "rule") for w in RULE_WORDS
        ]

    if _ATTR_START.match(before):
        if kind is None:
            return [(k, "keyword", "declaration") for k in STATEMENT_STARTERS]
        if kind == "profile":
            return [(k, "attribute", "profile") for k in PROFILE_KEYS]
        out = [(name, "attribute", typ) for name, (typ, _) in sorted(spec_of(kind).items())]
        for word, kinds in LINE_ITEMS.values():
            if kind in kinds:
                out.append((word, "attribute", "line"))
        return out

    m = re.match(rf"^\s*({ID})\s+({ID})?$", before)
    if m and kind in ATTRIBUTES:
        typ = spec_of(kind).get(m.group(1), ("", False))[0]
        if typ.startswith("one:"):
            return [(v, "value", m.group(1)) for v in ONE_OF[typ[4:]]]
        if typ == "bool":
            return [(v, "value", "bool") for v in ("true", "false")]
        if typ == "risk" and schema is not None and schema.risk_field:
            return [(v, "value", "risk") for v in schema.fields[schema.risk_field].enum_values]
        if m.group(1) == "when":
            return [(v, "keyword", "trigger") for v in language.TRIGGER_WORDS]
    stage = _LIFECYCLE_TRIGGER.search(before)
    if stage and kind == "play":  # `when lifecycle S`, `when lifecycle becomes S`
        more = [] if stage.group(1) else [("becomes", "keyword", "trigger")]
        return [(v, "value", "lifecycle") for v in ONE_OF["lifecycle"]] + more
    return []
