"""`model.json`: the checked model as a versioned JSON document (see docs/model-json.md).

Deterministic: keys in a fixed order, collections in declaration order, no timestamps; file paths
(`files`, every `span.file`) relative to the project root with `/` (`project_paths`), so the bytes
do not depend on the working directory. The document names its JSON Schema (`$schema`,
stratlang/schemas/model-1.json) and the version of stratlang that wrote it.
Rules are exported both as stratlang text (printed by the formatter, `fmt.printer.expr_text`) and
as a JSON tree.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from .. import __version__
from .. import model as m
from ..fmt.printer import expr_text, operand
from ..fmt.printer import trigger as trigger_text
from ..project_paths import project_paths
from ..schemas import schema_url
from ..source import Span
from ..syntax import ast
from .base import Backend, Options, register

MODEL_FORMAT_VERSION = 1

JsonObject = dict[str, Any]


def value_json(v: ast.Value) -> JsonObject:
    if isinstance(v, ast.Number):
        return {"number": v.value, "percent": v.percent, "raw": v.raw}
    if isinstance(v, ast.Str):
        return {"string": v.value}
    if isinstance(v, ast.Name):
        return {"name": v.name}
    if isinstance(v, ast.Date):
        return {"date": v.value.isoformat(), "raw": v.raw}
    if isinstance(v, ast.Time):
        return {"time": v.raw}
    if isinstance(v, ast.Duration):
        return {"duration": v.raw, "days": v.days}
    return {"raw": getattr(v, "raw", None)}


def rule_text(rule: ast.Expr | None) -> str | None:
    """A rule as stratlang text: the formatter's one-line form, which parses back."""
    return expr_text(rule) if rule is not None else None


def full_rule(model: m.Model, sid: str) -> ast.Expr | None:
    """A segment's rule with its `extends` ancestors', ancestors first. Each rule's top-level
    `and` is spliced in (`a and b` with parent `c` is `c and a and b`): the chain is one `and`,
    while the grouping the user wrote inside each rule is kept."""
    rules = [s.rule for s in reversed(model.segment_chain(sid)) if s.rule is not None]
    if len(rules) < 2:
        return model.segment_rule(sid)
    operands: list[ast.Expr] = []
    for r in rules:
        operands.extend(r.operands if isinstance(r, ast.And) else (r,))
    return ast.And(rules[-1].span, tuple(operands))


def rule_json(e: ast.Expr | None) -> JsonObject | None:
    if e is None:
        return None
    if isinstance(e, ast.Or):
        return {"or": [rule_json(x) for x in e.operands]}
    if isinstance(e, ast.And):
        return {"and": [rule_json(x) for x in e.operands]}
    if isinstance(e, ast.Not):
        return {"not": rule_json(e.operand)}
    if isinstance(e, ast.Compare):
        return {**operand_json(e.field), "op": e.op, "value": value_json(e.value)}
    if isinstance(e, ast.Between):
        return {
            **operand_json(e.field),
            "op": "between",
            "low": value_json(e.low),
            "high": value_json(e.high),
        }
    if isinstance(e, ast.In):
        return {
            **operand_json(e.field),
            "op": "not in" if e.negated else "in",
            "values": [value_json(x) for x in e.values],
        }
    if isinstance(e, ast.Missing):
        return {**operand_json(e.field), "op": "is present" if e.present else "is missing"}
    if isinstance(e, ast.BoolTest):
        return {"field": e.field.name, "op": "is true"}
    return None


def operand_json(o: ast.Operand) -> JsonObject:
    """A test's left side: `{"field": NAME}`, or for a history aggregate `{"field": RULE TEXT,
    "aggregate": {func, table, column, trend, where, window}}`."""
    if isinstance(o, ast.Name):
        return {"field": o.name}
    return {
        "field": operand(o),
        "aggregate": {
            "func": o.func.name,
            "table": o.table.name,
            "column": o.column.name if o.column is not None else None,
            "trend": o.trend,
            "where": rule_json(o.where),
            "window": o.window.raw if isinstance(o.window, ast.Duration) else None,
        },
    }


def _field_json(f: m.Field) -> JsonObject:
    return {
        "name": f.name,
        "label": f.label,
        "type": f.type,
        "enum_values": list(f.enum_values) or None,
        "key": f.key,
        "optional": f.optional,
        "risk_tolerance": f.risk_tolerance,
        **({"timezone": True} if f.timezone else {}),
        **({"enum_labels": dict(f.enum_labels)} if f.enum_labels else {}),
    }


# Contact governance (docs/governance.md) is written only when the project uses it, so a project
# without it keeps its bytes.


def _governance_json(s: m.Strategy) -> JsonObject:
    out: JsonObject = {}
    if s.holdout is not None:
        out["holdout"] = {"share": s.holdout, "seed": s.holdout_seed}
    if s.timezone is not None:
        out["timezone"] = s.timezone
    return out


def _policy_json(model: m.Model, p: m.Policy) -> JsonObject:
    return {
        "id": p.id,
        "label": p.label,
        "description": p.description,
        "limits": [
            {
                "text": lim.text,
                "contacts": lim.count,
                "days": lim.days,
                "on": list(lim.on),
                "channels": sorted(model.limit_channels(lim)),
            }
            for lim in p.limits
        ],
        "consents": [{"field": c.field, "on": list(c.on)} for c in p.consents],
        "span": span_json(p.span),
    }


def _variant_json(v: m.Variant) -> JsonObject:
    """An arm of a play; `steps` only when it has its own (else it sends the play's)."""
    out: JsonObject = {"id": v.id, "label": v.label, "share": v.share, "offer": v.offer}
    if v.steps:
        out["steps"] = [_step(st) for st in v.steps]
    out["description"] = v.description
    return out


def _cascade_json(model: m.Model) -> JsonObject:
    """The strategy's `parent` and `unit` (docs/cascade.md), only when written: projects without
    a cascade keep their model.json."""
    out: JsonObject = {}
    if model.parent is not None:
        out["parent"] = {"path": model.parent.path, "resolved": model.parent.resolved}
    if model.unit is not None:
        out["unit"] = model.unit
    return out


def _unit_json(u: m.Unit) -> JsonObject:
    return {
        "id": u.id,
        "label": u.label,
        "parent": u.parent,
        "head": u.head,
        "description": u.description,
        "span": span_json(u.span),
    }


def span_json(span: Span | None) -> JsonObject | None:
    if span is None:
        return None
    return {
        "file": span.file,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def _date(d: dt.date | None) -> str | None:
    return d.isoformat() if isinstance(d, dt.date) else None


def _period(p: tuple[dt.date, dt.date] | None) -> JsonObject | None:
    return {"start": p[0].isoformat(), "end": p[1].isoformat()} if p else None


def _q(q: m.Quantity | None) -> JsonObject | None:
    return None if q is None else {"value": q.value, "unit": q.unit, "raw": q.raw}


def _step(st: m.Step) -> JsonObject:
    """A play's step; `offers` only when the step names its own (`with a + b`): without it the
    step makes the play's `offer`, and a project without step offers keeps its old bytes."""
    out: JsonObject = {
        "number": st.number,
        "channel": st.channel,
        "script": st.script,
        "after": st.after_raw,
        "after_days": st.after_days,
        "unless_converted": st.unless_converted,
    }
    if st.offers:
        out["offers"] = list(st.offers)
    return out


def _target(t: m.Target) -> JsonObject:
    return {
        "id": t.id,
        "label": t.label,
        "op": t.op,
        "value": _q(t.value),
        "high": _q(t.high),
        "by": _date(t.by),
        "baseline": _q(t.baseline),
        "milestones": [
            {
                "period": ms.period,
                "start": _date(ms.start),
                "end": _date(ms.end),
                "op": ms.op,
                "value": _q(ms.value),
                "high": _q(ms.high),
                "span": span_json(ms.span),
            }
            for ms in t.milestones
        ],
        "cadence": t.cadence,
        "weight": t.weight,
        "tolerance": t.tolerance,
        **({"serves": {"objective": t.serves[0], "target": t.serves[1]}} if t.serves else {}),
        "span": span_json(t.span),
    }


def _measure(ms: m.Measure) -> JsonObject:
    return {
        "id": ms.id,
        "label": ms.label,
        "cadence": ms.cadence,
        "weight": ms.weight,
        "span": span_json(ms.span),
    }


def review_when(review: m.Review) -> str | None:
    """A review's condition as stratlang text, printed by the formatter (`F2.revenue deviates
    15%`, `F3.roi < 1:1.2 for 2 quarters`); None when the model has no AST for it."""
    for item in review.node.items if review.node is not None else ():
        if (
            isinstance(item, ast.Attribute)
            and item.name.name == "when"
            and isinstance(item.value, ast.Trigger)
        ):
            return trigger_text(item.value)
    return None


def _review(r: m.Review) -> JsonObject:
    return {
        "id": r.id,
        "label": r.label,
        "measure": r.measure,
        "when": review_when(r),
        "kind": r.kind,
        "op": r.op,
        "value": _q(r.value),
        "count": r.count,
        "unit": r.unit,
        "action": r.action,
        "owner": r.owner,
        "description": r.description,
        "span": span_json(r.span),
    }


def _gap(g: m.Gap) -> JsonObject:
    return {
        "id": g.id,
        "label": g.label,
        "estimate": _q(g.estimate),
        "objectives": list(g.objectives),
        "initiatives": list(g.initiatives),
        "description": g.description,
        "span": span_json(g.span),
    }


def _supporters(model: m.Model) -> dict[str, list[str]]:
    """Objective id -> the plays, then the initiatives, that support it (`Model.supporters` for
    every objective at once: asked per objective, 10,000 objectives took 10 s)."""
    out: dict[str, list[str]] = {}
    for group in (model.plays.values(), model.initiatives.values()):
        for x in group:
            for oid in dict.fromkeys(x.supports):
                out.setdefault(oid, []).append(x.id)
    return out


def model_to_dict(
    model: m.Model, counts: dict | None = None, paths: Mapping[str, str] | None = None
) -> dict:
    """The document; `paths` maps the model's display paths to the paths written (the project
    paths: `project_paths.project_paths`). Without it, the display paths are written with `/`."""
    s = model.strategy
    counts = counts or {}
    seg_counts = counts.get("segments", {})
    play_counts = counts.get("plays", {})
    supporters = _supporters(model)
    doc = {
        "$schema": schema_url("model"),
        "format": "stratlang-model",
        "format_version": MODEL_FORMAT_VERSION,
        "stratlang_version": __version__,
        "strategy": {
            "label": s.label,
            "owner": s.owner,
            "period": _period(s.period),
            "currency": s.currency,
            "locale": s.locale,
            "version": s.version,
            "value_proposition": s.value_proposition,
            "banned": list(s.banned) if s.banned is not None else None,
            "description": s.description,
            "mission": s.mission,
            "vision": s.vision,
            "cadence": s.cadence,
            **_governance_json(s),
            **_cascade_json(model),
        },
        "files": list(model.files),
        "perspectives": [
            {"id": p.id, "label": p.label, "index": p.index} for p in model.perspectives
        ],
        "custom_perspectives": model.custom_perspectives,
        "themes": [
            {"id": t.id, "label": t.label, "color": t.color, "description": t.description}
            for t in model.themes.values()
        ],
        "schema": None
        if model.schema is None
        else {
            "id": model.schema.id,
            "label": model.schema.label,
            "key": model.schema.key,
            "risk_field": model.schema.risk_field,
            **(
                {"timezone_field": model.schema.timezone_field}
                if model.schema.timezone_field
                else {}
            ),
            "fields": [_field_json(f) for f in model.schema.fields.values()],
        },
        **(
            {
                "histories": [
                    {
                        "id": h.id,
                        "label": h.label,
                        "key": h.key,
                        "time": h.time,
                        "description": h.description,
                        "fields": [_field_json(f) for f in h.fields.values()],
                    }
                    for h in model.histories.values()
                ]
            }
            if model.histories
            else {}
        ),
        "events": [
            {"id": e.id, "label": e.label, "description": e.description}
            for e in model.events.values()
        ],
        "objectives": [
            {
                "id": o.id,
                "label": o.label,
                "perspective": o.perspective,
                "theme": o.theme,
                "kind": o.kind,
                "owner": o.owner,
                **({"owner_unit": o.owner_unit} if o.owner_unit else {}),
                **({"aligns": list(o.aligns)} if o.aligns else {}),
                "description": o.description,
                "targets": [_target(t) for t in o.targets],
                "measures": [_measure(ms) for ms in o.measures],
                "supported_by": supporters.get(o.id, []),
                "span": span_json(o.span),
            }
            for o in model.objectives.values()
        ],
        "links": [
            {
                "from": lk.source,
                "to": lk.target,
                "kind": lk.kind,
                "label": lk.label,
                "span": span_json(lk.span),
            }
            for lk in model.links
        ],
        "segments": [
            {
                "id": sg.id,
                "label": sg.label,
                "rule": rule_text(sg.rule),
                "rule_tree": rule_json(sg.rule),
                "extends": sg.extends,
                "full_rule": rule_text(full_rule(model, sg.id)),
                "lifecycle": sg.lifecycle,
                "estimate": sg.estimate,
                "count": seg_counts.get(sg.id),
                "profile": dict(sg.profile),
                "description": sg.description,
                "span": span_json(sg.span),
            }
            for sg in model.segments.values()
        ],
        "tierings": [
            {
                "id": t.id,
                "label": t.label,
                "segments": list(t.segments),
                "exclusive": t.exclusive,
                "exhaustive": t.exhaustive,
            }
            for t in model.tierings.values()
        ],
        "offers": [
            {
                "id": o.id,
                "label": o.label,
                "risk": o.risk,
                "kind": o.kind,
                "description": o.description,
            }
            for o in model.offers.values()
        ],
        "channels": [
            {
                "id": c.id,
                "label": c.label,
                "kind": c.kind,
                "capacity": None
                if c.capacity is None
                else {
                    "unlimited": c.capacity.amount is None,
                    "amount": c.capacity.amount,
                    "per": c.capacity.per,
                    "per_day": c.capacity.per_day,
                },
                "cost": c.cost,
                "quiet": None
                if c.quiet is None
                else {"start": c.quiet[0].strftime("%H:%M"), "end": c.quiet[1].strftime("%H:%M")},
                "cap": None if c.cap is None else {"contacts": c.cap[0], "days": c.cap[1]},
            }
            for c in model.channels.values()
        ],
        "scripts": [
            {
                "id": sc.id,
                "label": sc.label,
                "channel": sc.channel,
                "sections": {k: v.text for k, v in sc.sections.items()},
                "objections": [{"question": o.question, "answer": o.answer} for o in sc.objections],
            }
            for sc in model.scripts.values()
        ],
        "plays": [
            {
                "id": p.id,
                "label": p.label,
                "segment": p.segment,
                "trigger": None
                if p.trigger is None
                else {
                    "kind": p.trigger.kind,
                    "ref": p.trigger.ref,
                    "within_days": p.trigger.within_days,
                    "rule": rule_text(p.trigger.rule),
                },
                "offer": p.offer,
                "steps": [_step(st) for st in p.steps],
                "supports": list(p.supports),
                "targets": [_target(t) for t in p.targets],
                "measures": [_measure(ms) for ms in p.measures],
                "control": p.control,
                "priority": p.priority,
                "owner": p.owner,
                **({"owner_unit": p.owner_unit} if p.owner_unit else {}),
                "budget": p.budget,
                "period": _period(p.period),
                "count": play_counts.get(p.id),
                "span": span_json(p.span),
                **({"variants": [_variant_json(v) for v in p.variants]} if p.variants else {}),
            }
            for p in model.plays.values()
        ],
        "initiatives": [
            {
                "id": i.id,
                "label": i.label,
                "supports": list(i.supports),
                "owner": i.owner,
                **({"owner_unit": i.owner_unit} if i.owner_unit else {}),
                "budget": i.budget,
                "period": _period(i.period),
                "description": i.description,
            }
            for i in model.initiatives.values()
        ],
        "reviews": [_review(r) for r in model.reviews.values()],
        "gaps": [_gap(g) for g in model.gaps.values()],
        **(
            {"policies": [_policy_json(model, p) for p in model.policies.values()]}
            if model.policies
            else {}
        ),
        **({"units": [_unit_json(u) for u in model.units.values()]} if model.units else {}),
    }
    if counts:
        doc["data"] = {k: v for k, v in counts.items() if k not in ("segments", "plays")}
    _write_paths(doc, paths or {})
    return doc


def _write_paths(doc: Any, paths: Mapping[str, str]) -> None:
    """Every path of the document (`files`, each `span.file`) as written: through `paths`, `/` as
    the separator. A walk over the finished document: the spans sit at many depths."""

    def shown(path: str) -> str:
        return paths.get(path, path.replace("\\", "/"))

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            span = x.get("span")
            if isinstance(span, dict) and isinstance(span.get("file"), str):
                span["file"] = shown(span["file"])
            for v in x.values():
                if isinstance(v, dict | list):
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                if isinstance(v, dict | list):
                    walk(v)

    doc["files"] = [shown(f) for f in doc["files"]]
    walk(doc)


def render_model_json(
    model: m.Model, counts: dict | None = None, paths: Mapping[str, str] | None = None
) -> str:
    return json.dumps(model_to_dict(model, counts, paths), ensure_ascii=False, indent=2) + "\n"


@register
class ModelJson(Backend):
    name = "model.json"

    def render(self, model: m.Model, options: Options) -> str:
        return render_model_json(
            model, options.counts, project_paths(options.sources, options.root)
        )
