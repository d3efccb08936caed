"""Hover texts: what an id or a field under the cursor is, in Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index import Occurrence
    from .server import ProjectState


def hover_text(state: ProjectState, occ: Occurrence) -> str | None:
    """The hover of the id `occ` (Markdown), or None."""
    from ..words import _trim as w_trim
    from ..words import format_quantity, lang_of, rule_in_words

    model = state.result.model
    lang = lang_of(model)
    if occ.kind == "field":
        f = model.schema.fields.get(occ.name) if model and model.schema else None
        if f is None:
            return f"`{occ.name}`: unknown schema field"
        typ = f.type + (f"({', '.join(f.enum_values)})" if f.type == "enum" else "")
        flags = [
            x
            for x, on in (
                ("key", f.key),
                ("optional", f.optional),
                ("risk_tolerance", f.risk_tolerance),
                ("timezone", f.timezone),
            )
            if on
        ]
        head = f"**field** `{f.name}`: `{typ}`" + (" " + " ".join(flags) if flags else "")
        # enum values as people read them (`enum(app "手机银行", …)`)
        labelled = [f"- `{v}` {f.value_label(v)}" for v in f.enum_values if f.value_label(v)]
        return "\n".join([head, "", *labelled]) if labelled else head
    if occ.kind == "perspective":
        p = model.perspective(occ.name) if model else None
        return f"**perspective** `{occ.name}`" + (f" — {p.label}" if p else "")
    el = model.declaration(occ.name) if model else None
    kind = model.kinds.get(occ.name, occ.kind) if model else occ.kind
    if el is None:
        d = state.index.defs.get(occ.name)
        return f"**{d.kind if d else occ.kind}** `{occ.name}`" + ("" if d else " (not defined)")
    lines = [f"**{kind}** `{occ.name}` — {getattr(el, 'label', '')}"]

    def targets(ts):
        for t in ts:
            by = f" by {t.by.isoformat()}" if t.by else ""
            lines.append(
                f"- target `{t.id}` {t.label}: {t.op} {format_quantity(t.value, lang)}{by}"
            )

    if kind == "segment":
        rule = model.segment_rule(occ.name)
        lines.append("")
        lines.append(
            rule_in_words(rule, model, lang)
            if rule is not None
            else ("所有客户" if lang == "zh" else "every customer")
        )
    elif kind == "objective":
        lines.append(
            f"perspective `{el.perspective}`" + (f", theme `{el.theme}`" if el.theme else "")
        )
        targets(el.targets)
    elif kind == "play":
        if el.segment:
            lines.append(f"segment `{el.segment}`" + (f", offer `{el.offer}`" if el.offer else ""))
        if el.supports:
            lines.append("supports " + ", ".join(f"`{s}`" for s in el.supports))
        if el.variants:
            lines.append(
                "variants " + ", ".join(f"`{v.id}` {w_trim(v.share)}%" for v in el.variants)
            )
        targets(el.targets)
    elif kind == "offer" and el.risk:
        lines.append(f"risk {el.risk}")
    elif kind == "channel" and el.kind:
        lines.append(f"kind {el.kind}")
    elif kind == "script" and el.channel:
        lines.append(f"channel `{el.channel}`")
    elif kind == "tiering":
        lines.append("segments " + ", ".join(f"`{s}`" for s in el.segments))
    elif kind == "review":
        cond = f"deviates {el.value}" if el.kind == "deviation" else f"{el.op} {el.value}"
        span = f" for {el.count} {el.unit}" if el.count > 1 else ""
        lines.append(f"when `{el.measure}` {cond}{span}")
        if el.action:
            lines.append(f"action {el.action}" + (f" ({el.owner})" if el.owner else ""))
    elif kind == "policy":
        lines += [f"- {lim.text}" for lim in el.limits]
        lines += [f"- consent `{c.field}` on " + ", ".join(c.on) for c in el.consents]
    elif kind == "gap":
        if el.estimate is not None:
            lines.append(f"estimate {format_quantity(el.estimate, lang)}")
        lines.append("objectives " + ", ".join(f"`{o}`" for o in el.objectives))
        if el.initiatives:
            lines.append("initiatives " + ", ".join(f"`{i}`" for i in el.initiatives))
    return "\n".join(lines)
