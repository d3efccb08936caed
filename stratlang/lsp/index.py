"""A small index of a project's names for the language server.

Walks the AST files of one check (never the text) and records where every id is declared and
every place a name refers to one: attribute values of reference type (`segment`, `offer`,
`supports`, `extends`, `segments`, `perspective`, `theme`, `channel`), step lines (channel and
script), links, and `when event`. Schema field names used in rules are recorded too (for hover
and go to definition of fields); import paths map to their files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..check.resolve import spec_of
from ..source import SourceMap, Span
from ..syntax import ast


@dataclass(frozen=True, slots=True)
class Occurrence:
    name: str
    span: Span
    kind: str  # the kind of thing named: segment, objective, ..., perspective, field
    decl: bool  # the declaration itself (not a reference)


@dataclass
class Index:
    occurrences: dict[str, list[Occurrence]] = field(
        default_factory=dict
    )  # display file -> occurrences
    defs: dict[str, Occurrence] = field(default_factory=dict)  # id -> its declaration (first one)
    fields: dict[str, Occurrence] = field(default_factory=dict)  # schema field -> its declaration
    imports: dict[str, list[tuple[Span, str]]] = field(
        default_factory=dict
    )  # file -> (path span, path text)

    def add(self, occ: Occurrence) -> None:
        self.occurrences.setdefault(occ.span.file, []).append(occ)
        if occ.decl:
            target = self.fields if occ.kind == "field" else self.defs
            target.setdefault(occ.name, occ)

    def at(self, file: str, line: int, column: int) -> Occurrence | None:
        """The occurrence under a 1-based code-point position (its end counts as inside)."""
        for occ in self.occurrences.get(file, ()):
            if occ.span.contains(line, column):
                return occ
        return None

    def import_at(self, file: str, line: int, column: int) -> str | None:
        for span, path in self.imports.get(file, ()):
            if span.contains(line, column):
                return path
        return None

    def references(self, name: str, kind: str) -> list[Occurrence]:
        """Every occurrence (declaration included) of an id, or of a field when kind is `field`."""
        out = []
        for occs in self.occurrences.values():
            for occ in occs:
                if occ.name == name and (occ.kind == "field") == (kind == "field"):
                    out.append(occ)
        return out


_CUSTOMER_PLACEHOLDER = re.compile(r"\{\{\s*customer\.([^\W\d]\w*)\s*\}\}")


def build_index(files: list[ast.File], sources: SourceMap | None = None) -> Index:
    """`sources` (a SourceMap) lets the index find `{{ customer.FIELD }}` placeholders inside
    script text, so that renaming a field renames them too."""
    idx = Index()
    for f in files:
        for d in f.decls:
            if isinstance(d, ast.Import):
                idx.imports.setdefault(d.path.span.file, []).append((d.path.span, d.path.value))
            elif isinstance(d, ast.Link):
                for n in d.chain:
                    idx.add(Occurrence(n.name, n.span, "objective", False))
            elif isinstance(d, ast.Block):
                _block(idx, d)
                if d.kind == "script" and sources is not None:
                    _placeholders(idx, d, sources.get(f.path))
    return idx


def _placeholders(idx: Index, b: ast.Block, source) -> None:
    if source is None:
        return
    for item in b.items:
        if isinstance(item, ast.Attribute) and isinstance(item.value, ast.Str):
            span = item.value.span
            raw = source.text[
                span.start : span.end
            ]  # as written: placeholder names hold no escapes
            for m in _CUSTOMER_PLACEHOLDER.finditer(raw):
                start = span.start + m.start(1)
                idx.add(
                    Occurrence(
                        m.group(1), source.span(start, start + len(m.group(1))), "field", False
                    )
                )


def _block(idx: Index, b: ast.Block) -> None:
    if b.id is not None and b.kind not in ("strategy", "perspectives"):
        idx.add(Occurrence(b.id.name, b.id.span, b.kind, True))
    spec = spec_of(b.kind)
    for item in b.items:
        if isinstance(item, ast.PerspectiveItem):
            idx.add(Occurrence(item.id.name, item.id.span, "perspective", True))
        elif isinstance(item, ast.FieldLine):
            idx.add(Occurrence(item.name.name, item.name.span, "field", True))
        elif isinstance(item, ast.StepLine):
            idx.add(Occurrence(item.channel.name, item.channel.span, "channel", False))
            idx.add(Occurrence(item.script.name, item.script.span, "script", False))
            for offer in item.offers:
                idx.add(Occurrence(offer.name, offer.span, "offer", False))
        elif isinstance(item, ast.Attribute):
            typ = spec.get(item.name.name, ("", False))[0]
            if typ.startswith(("ref:", "refs:")):
                kind = typ.split(":", 1)[1]
                for n in _names(item.value):
                    idx.add(Occurrence(n.name, n.span, kind, False))
            elif typ == "rule":
                _rule(idx, item.value)
            elif typ == "trigger" and isinstance(item.value, ast.Trigger):
                t = item.value
                if t.kind == "event" and t.ref is not None:
                    idx.add(Occurrence(t.ref.name, t.ref.span, "event", False))
                elif t.kind in ("enters", "leaves") and t.ref is not None:
                    idx.add(Occurrence(t.ref.name, t.ref.span, "segment", False))
                elif t.kind == "rule" and t.rule is not None:
                    _rule(idx, t.rule)


def _names(v) -> list[ast.Name]:
    if isinstance(v, ast.Name):
        return [v]
    if isinstance(v, ast.ListValue):
        return [x for x in v.items if isinstance(x, ast.Name)]
    return []


def _rule(idx: Index, e) -> None:
    stack = [e]
    while stack:
        e = stack.pop()
        if isinstance(e, (ast.Or, ast.And)):
            stack.extend(e.operands)
        elif isinstance(e, ast.Not):
            stack.append(e.operand)
        elif isinstance(e, ast.TESTS):
            operand = e.field
            if isinstance(operand, ast.Name):
                idx.add(Occurrence(operand.name, operand.span, "field", False))
            else:  # `sum(txn.amount …)`: a reference to the history table (definition, rename)
                idx.add(Occurrence(operand.table.name, operand.table.span, "history", False))
