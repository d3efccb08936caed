"""Resolution of contact governance (docs/governance.md): `policy` blocks, a play's `variant`
lines, the strategy's `timezone` and the schema's `timezone` field.

Functions of the `Resolver` (`r`), kept apart from `resolve.py` like `resolve_history`: they report
through `r.err` and build steps with `r.steps`. What the plays' schedules, segments and consents
mean together is checked later, in `check/governance.py`.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import diagnostics as dg
from .. import language
from .. import model as m
from ..source import Span
from ..syntax import ast

if TYPE_CHECKING:
    from .resolve import Resolver

FIELD_TYPES_FOR_ZONE = ("string", "enum")


# Names `zoneinfo` lists that are no place's zone: `localtime` is the machine's own setting (the
# lists refuse it: an output must not depend on where it was made).
NOT_ZONES = frozenset({"localtime"})


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA zone names this machine knows (Python's `zoneinfo`), less NOT_ZONES."""
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def zone_name(r: Resolver, v: ast.Value, what: str) -> str | None:
    """An IANA time-zone name written as a string (`"Asia/Shanghai"`); TYP303 with the closest
    names for an unknown one."""
    if not isinstance(v, ast.Str):
        r._type_error(v, what, 'a time-zone name in quotes, such as `"Asia/Shanghai"`')
        return None
    if v.value in time_zones():
        return v.value
    near = dg.closest(v.value, sorted(time_zones()))
    r.err(
        "TYP303",
        f"`{v.value}` is not a time zone",
        v.span,
        "unknown time zone",
        help=(f'did you mean `"{near[0]}"`?',)
        if near
        else ('write an IANA zone name such as "Asia/Shanghai", "Europe/London" or "UTC"',),
        suggestions=(dg.Suggestion(v.span, f'"{near[0]}"', f'replace with `"{near[0]}"`'),)
        if near
        else (),
    )
    return None


def zone_attribute(r: Resolver, attr: ast.Attribute | ast.SubBlock | None) -> str | None:
    """The strategy's `timezone "Asia/Shanghai"`."""
    if isinstance(attr, ast.SubBlock):
        r.conv(attr, "str")  # (reports a block where a value belongs)
        return None
    if attr is None or isinstance(attr.value, ast.Invalid):
        return None
    return zone_name(r, attr.value, attr.name.name)


def timezone_field(r: Resolver, fields: dict[str, m.Field]) -> str | None:
    """The schema's field flagged `timezone`: a string or an enum of zone names, at most one
    (TYP307 otherwise; TYP303 for an enum value that is not a zone)."""
    found: str | None = None
    for name, f in fields.items():
        if not f.timezone:
            continue
        span = f.span or Span("", 0, 0, 1, 1, 1, 1)
        if f.type not in FIELD_TYPES_FOR_ZONE:
            r.err(
                "TYP307",
                f"`timezone` field `{name}` must be a string or an enum of zone names",
                span,
                f"a {f.type} field",
                help='declare it as `tz string optional timezone` (values such as "Asia/Shanghai")',
            )
            continue
        if found is not None:
            r.err(
                "TYP307",
                f"the schema has two `timezone` fields, `{found}` and `{name}`",
                span,
                "second timezone field",
                help="a customer has one time zone: keep one `timezone` flag",
            )
            continue
        for value in f.enum_values:
            if value not in time_zones():
                r.err(
                    "TYP303",
                    f"enum value `{value}` of `timezone` field `{name}` is not a time zone",
                    span,
                    "not a time zone",
                    help="an enum of zones needs IANA names; declare the field as `string` "
                    'and give names such as "Asia/Shanghai" in the data',
                )
        found = name
    return found


# ------------------------------------------------------------------------------ policy


def build_policy(r: Resolver, b: ast.Block) -> m.Policy:
    """A `policy` block: its limits and consents (the attributes are the common ones)."""
    assert b.id is not None  # collected declarations have an id
    a, lines = r.read(b)
    limits: list[m.ContactLimit] = []
    consents: list[m.Consent] = []
    for line in lines:
        if isinstance(line, ast.LimitLine):
            limit = _limit(r, line)
            if limit is not None:
                limits.append(limit)
        elif isinstance(line, ast.ConsentLine):
            consent = _consent(r, line)
            if consent is not None:
                consents.append(consent)
    return m.Policy(
        b.id.name,
        b.label.value if b.label else b.id.name,
        tuple(limits),
        tuple(consents),
        r.conv(a.get("description"), "str"),
        r.conv(a.get("allow"), "codes") or frozenset(),
        b.span,
        b,
    )


def _limit(r: Resolver, line: ast.LimitLine) -> m.ContactLimit | None:
    count = line.count
    ok = True
    if not isinstance(count, ast.Invalid) and not (
        isinstance(count, ast.Number)
        and isinstance(count.value, int)
        and not count.percent
        and count.value >= 1
    ):
        r.err(
            "TYP304",
            f"`at most` takes a whole number of contacts, at least 1, not `{_text(count)}`",
            count.span,
            "not a number of contacts",
            help="write `at most 3 per 7d`",
        )
        ok = False
    window = line.window
    if not isinstance(window, ast.Invalid) and not (
        isinstance(window, ast.Duration) and window.days > 0 and window.unit != "h"
    ):
        r.err(
            "TYP304",
            f"the window of `at most` is a number of days, weeks, months or years, not "
            f"`{_text(window)}`",
            window.span,
            "not a window",
            help="write `per 7d`, `per 2w` or `per 1mo`",
        )
        ok = False
    on = _channel_names(r, line.on)
    if not ok or on is None or not isinstance(count, ast.Number):
        return None
    if not isinstance(window, ast.Duration):  # malformed (`per 7ry`): the parser reported it
        return None
    text = f"at most {count.raw} per {window.raw}" + (" on " + ", ".join(on) if line.on else "")
    return m.ContactLimit(int(count.value), window.days, on, text, line.span)


def _consent(r: Resolver, line: ast.ConsentLine) -> m.Consent | None:
    on = _channel_names(r, line.on)
    name = line.field.name
    schema = r.schema_block
    if schema is None:
        r.err(
            "TYP301",
            f"consent field `{name}`: the project declares no schema",
            line.field.span,
            "no schema",
            help="declare the customers' fields in a `schema` block, with the consent as a bool",
        )
        return None
    fields = {i.name.name: i for i in schema.items if isinstance(i, ast.FieldLine)}
    item = fields.get(name)
    if item is None:
        near = r.closest(name, list(fields))
        r.err(
            "TYP301",
            f"consent field `{name}` is not a field of the schema",
            line.field.span,
            "unknown field",
            help=(f"did you mean `{near[0]}`?",) if near else (),
            suggestions=(dg.Suggestion(line.field.span, near[0], f"replace with `{near[0]}`"),)
            if near
            else (),
        )
        return None
    if item.type.name != "bool":
        r.err(
            "TYP302",
            f"consent field `{name}` is a {item.type.name} field; consent is a bool",
            line.field.span,
            "not a bool",
            labels=(dg.Label(item.name.span, "declared here"),),
            help=f"declare it as `{name} bool` (true: the customer agreed to be contacted)",
        )
        return None
    return m.Consent(name, on, line.span) if on is not None else None


def _channel_names(r: Resolver, names: Sequence[ast.Name]) -> tuple[str, ...] | None:
    """Channel ids or channel kinds (NAM201 with the closest for anything else); None after an
    error."""
    out: list[str] = []
    ok = True
    for n in names:
        if n.name in language.CHANNEL_KINDS:
            out.append(n.name)
            continue
        decl = r.decls.get(n.name)
        if decl is not None and decl.kind == "channel":
            out.append(n.name)
            continue
        ok = False
        candidates = list(r.ids_of("channel")) + list(language.CHANNEL_KINDS)
        near = r.closest(n.name, candidates)
        r.err(
            "NAM201" if decl is None else "NAM203",
            f"`{n.name}` is neither a channel nor a channel kind"
            if decl is None
            else f"`{n.name}` is {decl.kind}, not a channel or a channel kind",
            n.span,
            "not a channel",
            help=(f"did you mean `{near[0]}`?",)
            if near
            else ("kinds: " + ", ".join(language.CHANNEL_KINDS),),
            suggestions=(dg.Suggestion(n.span, near[0], f"replace with `{near[0]}`"),)
            if near and decl is None
            else (),
        )
    return tuple(dict.fromkeys(out)) if ok else None


def _text(v: ast.Value) -> str:
    return str(getattr(v, "raw", None) or getattr(v, "name", None) or getattr(v, "value", "?"))


# ------------------------------------------------------------------------------ variants


def build_variants(r: Resolver, lines: Sequence[ast.Item]) -> tuple[m.Variant, ...]:
    """A play's `variant` lines: id (NAM202 when repeated), label, share (a percentage), and
    the arm's own offer and steps. Shares adding up to 100% is GOV704 (check/governance.py)."""
    out: list[m.Variant] = []
    seen: dict[str, ast.VariantLine] = {}
    for line in lines:
        if not isinstance(line, ast.VariantLine):
            continue
        vid = line.id.name
        if vid in seen:
            r.err(
                "NAM202",
                f"variant `{vid}` is declared twice in this play",
                line.id.span,
                "declared again",
                labels=(dg.Label(seen[vid].id.span, "first declared here"),),
            )
            continue
        seen[vid] = line
        share = r.number(line.share, "variant", "percent")
        attrs, steps = _variant_items(r, line)
        if share is None:
            continue
        out.append(
            m.Variant(
                vid,
                line.label.value if line.label else vid,
                share,
                r.conv(attrs.get("offer"), "ref:offer"),
                r.steps(steps),
                r.conv(attrs.get("description"), "str"),
                line.span,
                line,
            )
        )
    return tuple(out)


def _variant_items(
    r: Resolver, line: ast.VariantLine
) -> tuple[dict[str, ast.Attribute], list[ast.StepLine]]:
    """A variant's `{ … }`: its attributes (language.VARIANT_ATTRIBUTES) and step lines; anything
    else is NAM204."""
    attrs: dict[str, ast.Attribute] = {}
    steps: list[ast.StepLine] = []
    for item in line.items:
        if isinstance(item, ast.StepLine):
            steps.append(item)
        elif isinstance(item, ast.Attribute) and item.name.name in language.VARIANT_ATTRIBUTES:
            if item.name.name in attrs:
                r.given_twice(item.name, attrs[item.name.name].name)
            else:
                attrs[item.name.name] = item
        elif isinstance(item, (ast.Attribute, ast.SubBlock)):
            r.unknown_attribute(item.name, "a variant", sorted(language.VARIANT_ATTRIBUTES))
        else:
            r.err(
                "NAM204",
                "a variant holds `offer`, `description` and `step` lines only",
                item.span,
                "not allowed in a variant",
            )
    return attrs, steps
