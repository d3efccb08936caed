"""`stratlang diff`: what a change to a project means, declaration by declaration.

Each checked model is reduced to *facts*: per kind (objectives, targets, segments, plays, …) a
mapping id -> {field: shown value}, the values as people read them (a segment's rule in words, a
target as `≥ 30%`, a play's step as `call renewal_call after 3d`). Two models' facts are compared
kind by kind; renderers (`render.py`) present the result, `data.py` adds what it means on data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import Field, Measure, Model, Play, Step, Target
from ..words import goal_words, lang_of, rule_in_words

# The kinds in the order they are reported.
KINDS = (
    "strategy",
    "perspectives",
    "themes",
    "objectives",
    "links",
    "targets",
    "measures",
    "fields",
    "events",
    "segments",
    "tierings",
    "offers",
    "channels",
    "scripts",
    "plays",
    "policies",
    "initiatives",
    "reviews",
    "gaps",
)

Facts = dict[str, dict[str, dict[str, str]]]  # kind -> id -> field -> shown value


@dataclass
class KindDiff:
    """One kind's differences: added and removed ids with their facts, changed ids with
    (old, new) per field that differs (None: the field is absent on that side)."""

    added: dict[str, dict[str, str]] = field(default_factory=dict)
    removed: dict[str, dict[str, str]] = field(default_factory=dict)
    changed: dict[str, dict[str, tuple[str | None, str | None]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class Diff:
    """The semantic difference of two models; `data` is filled by `data.compare` (--data)."""

    kinds: dict[str, KindDiff]
    old: str = ""  # what was compared, as given (a revision as REV:PATH)
    new: str = ""
    data: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return any(self.kinds.values()) or bool(self.data and self.data["moved"])

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every mapping sorted by key, so that equal diffs are equal bytes."""
        kinds = {
            k: {
                "added": _sorted(d.added),
                "removed": _sorted(d.removed),
                "changed": {
                    i: {f: {"old": o, "new": n} for f, (o, n) in sorted(fs.items())}
                    for i, fs in sorted(d.changed.items())
                },
            }
            for k, d in self.kinds.items()
            if d
        }
        out: dict[str, Any] = {
            "old": self.old,
            "new": self.new,
            "changed": bool(self),
            "kinds": kinds,
        }
        if self.data is not None:
            out["data"] = self.data
        return out


def _sorted(m: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    return {i: dict(sorted(fs.items())) for i, fs in sorted(m.items())}


def compare(old: Model, new: Model, old_name: str = "", new_name: str = "") -> Diff:
    """The differences of two models (the words in the new model's language)."""
    lang = lang_of(new)
    a, b = facts(old, lang), facts(new, lang)
    kinds: dict[str, KindDiff] = {}
    for kind in KINDS:
        x, y = a.get(kind, {}), b.get(kind, {})
        d = KindDiff()
        d.added = {i: y[i] for i in y if i not in x}
        d.removed = {i: x[i] for i in x if i not in y}
        for i in x.keys() & y.keys():
            fs = {
                f: (x[i].get(f), y[i].get(f))
                for f in dict.fromkeys([*x[i], *y[i]])
                if x[i].get(f) != y[i].get(f)
            }
            if fs:
                d.changed[i] = fs
        kinds[kind] = d
    return Diff(kinds, old_name, new_name)


# --------------------------------------------------------------------------- facts


def facts(model: Model, lang: str = "en") -> Facts:
    """Every declaration of the model as id -> {field: shown value}; empty fields left out."""
    s = model.strategy
    cur = s.currency
    out: Facts = {k: {} for k in KINDS}
    out["strategy"]["strategy"] = _clean(
        label=s.label,
        owner=s.owner,
        period=_period(s.period),
        holdout=_num(s.holdout, "%"),
        holdout_seed=s.holdout_seed if s.holdout is not None else None,
        currency=s.currency,
        locale=s.locale,
        timezone=s.timezone,
        cadence=s.cadence,
        mission=s.mission,
        vision=s.vision,
        value_proposition=s.value_proposition,
    )
    if model.custom_perspectives:
        for pv in model.perspectives:
            out["perspectives"][pv.id] = _clean(label=pv.label, position=str(pv.index + 1))
    for th in model.themes.values():
        out["themes"][th.id] = _clean(label=th.label, color=th.color)
    if model.schema is not None:
        for name, fd in model.schema.fields.items():
            out["fields"][f"{model.schema.id}.{name}"] = _field(fd)
    for h in model.histories.values():
        for name, fd in h.fields.items():
            out["fields"][f"{h.id}.{name}"] = _field(fd)
        out["fields"][h.id] = _clean(label=h.label, key=h.key, time=h.time)
    for ev in model.events.values():
        out["events"][ev.id] = _clean(label=ev.label)
    for o in model.objectives.values():
        out["objectives"][o.id] = _clean(
            label=o.label, perspective=o.perspective, theme=o.theme, owner=o.owner, kind=o.kind
        )
        for t in o.targets:
            out["targets"][f"{o.id}.{t.id}"] = _target(t, lang, cur)
        for m in o.measures:
            out["measures"][f"{o.id}.{m.id}"] = _measure(m)
    for link in model.links:
        out["links"][f"{link.source} -> {link.target}"] = _clean(label=link.label, kind=link.kind)
    for g in model.segments.values():
        out["segments"][g.id] = _clean(
            label=g.label,
            rule=rule_in_words(g.rule, model, lang),
            extends=g.extends,
            lifecycle=g.lifecycle,
        )
    for tr in model.tierings.values():
        out["tierings"][tr.id] = _clean(
            label=tr.label,
            segments=", ".join(tr.segments),
            exclusive=_flag(tr.exclusive),
            exhaustive=_flag(tr.exhaustive),
        )
    for f in model.offers.values():
        out["offers"][f.id] = _clean(label=f.label, kind=f.kind, risk=f.risk)
    for c in model.channels.values():
        cap = c.capacity
        out["channels"][c.id] = _clean(
            label=c.label,
            kind=c.kind,
            capacity=None
            if cap is None
            else ("unlimited" if cap.amount is None else f"{_n(cap.amount)} per {cap.per}"),
            cost=_num(c.cost),
            quiet=None if c.quiet is None else f"{c.quiet[0]:%H:%M} .. {c.quiet[1]:%H:%M}",
            cap=None if c.cap is None else f"{c.cap[0]} per {_n(c.cap[1])}d",
        )
    for sc in model.scripts.values():
        sections = {name: txt.text for name, txt in sc.sections.items()}
        objections = {
            f"objection {i}": f"{ob.question} -> {ob.answer}"
            for i, ob in enumerate(sc.objections, 1)
        }
        out["scripts"][sc.id] = _clean(label=sc.label, channel=sc.channel, **sections, **objections)
    for p in model.plays.values():
        out["plays"][p.id] = _play(p, model, lang)
        for t in p.targets:
            out["targets"][f"{p.id}.{t.id}"] = _target(t, lang, cur)
        for m in p.measures:
            out["measures"][f"{p.id}.{m.id}"] = _measure(m)
    for pol in model.policies.values():
        limits = {f"limit {i}": lim.text for i, lim in enumerate(pol.limits, 1)}
        consents = {f"consent {c.field}": ", ".join(c.on) for c in pol.consents}
        out["policies"][pol.id] = _clean(label=pol.label, **limits, **consents)
    for ini in model.initiatives.values():
        out["initiatives"][ini.id] = _clean(
            label=ini.label,
            supports=", ".join(ini.supports),
            owner=ini.owner,
            budget=_num(ini.budget),
            period=_period(ini.period),
        )
    for rv in model.reviews.values():
        test = f"{rv.op} {rv.value}" if rv.op else f"deviation {rv.value}"
        out["reviews"][rv.id] = _clean(
            label=rv.label,
            measure=rv.measure,
            when=f"{test} for {rv.count} {rv.unit}",
            action=rv.action,
            owner=rv.owner,
        )
    for gp in model.gaps.values():
        out["gaps"][gp.id] = _clean(
            label=gp.label,
            estimate=str(gp.estimate) if gp.estimate is not None else None,
            objectives=", ".join(gp.objectives),
            initiatives=", ".join(gp.initiatives),
        )
    return out


def _field(fd: Field) -> dict[str, str]:
    """A declared field (aggregates derived from rules are not declarations: their changes show
    in the rules that use them)."""
    flags = [
        name
        for name, on in (
            ("key", fd.key),
            ("optional", fd.optional),
            ("risk_tolerance", fd.risk_tolerance),
            ("timezone", fd.timezone),
        )
        if on
    ]
    kind = fd.type + (f"({', '.join(fd.enum_values)})" if fd.enum_values else "")
    return _clean(
        label=fd.label,
        type=kind,
        flags=" ".join(flags),
        enum_labels=", ".join(f"{v} {lb}" for v, lb in fd.enum_labels),
    )


def _measure(m: Measure) -> dict[str, str]:
    return _clean(
        label=m.label, cadence=m.cadence, weight=_n(m.weight) if m.weight != 1.0 else None
    )


def _play(p: Play, model: Model, lang: str) -> dict[str, str]:
    tr = p.trigger
    trigger = None
    if tr is not None:
        parts = [tr.kind]
        if tr.ref:
            parts.append(tr.ref)
        if tr.rule is not None:
            parts.append(rule_in_words(tr.rule, model, lang))
        if tr.within_days is not None:
            parts.append(f"within {_n(tr.within_days)}d")
        trigger = " ".join(parts)
    steps = {f"step {s.number}": _step(s) for s in p.steps}
    variants = {
        f"variant {v.id}": " ".join(
            x
            for x in (
                f"{_n(v.share)}%",
                f"offer {v.offer}" if v.offer else "",
                "; ".join(_step(s) for s in v.steps),
            )
            if x
        )
        for v in p.variants
    }
    return _clean(
        label=p.label,
        segment=p.segment,
        trigger=trigger,
        offer=p.offer,
        control=_num(p.control, "%"),
        priority=str(p.priority),
        owner=p.owner,
        budget=_num(p.budget),
        period=_period(p.period),
        supports=", ".join(p.supports),
        **steps,
        **variants,
    )


def _step(s: Step) -> str:
    out = f"{s.channel} using {s.script}"
    if s.after_raw or s.after_days is not None:
        out += f" after {s.after_raw or _n(s.after_days or 0) + 'd'}"
    if s.unless_converted:
        out += " unless converted"
    if s.offers:
        out += " with " + " + ".join(s.offers)
    return out


def _target(t: Target, lang: str, currency: str | None) -> dict[str, str]:
    return _clean(
        label=t.label,
        value=goal_words(t.op, t.value, t.high, lang, currency),
        deadline=t.by.isoformat() if t.by else None,
        baseline=str(t.baseline) if t.baseline is not None else None,
        weight=_n(t.weight) if t.weight != 1.0 else None,
        milestones="; ".join(
            f"{m.period} {goal_words(m.op, m.value, m.high, lang, currency)}" for m in t.milestones
        )
        or None,
    )


def _clean(**kw: str | None) -> dict[str, str]:
    return {k: v for k, v in kw.items() if v not in (None, "")}


def _n(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _num(v: float | None, unit: str = "") -> str | None:
    return None if v is None else _n(v) + unit


def _flag(b: bool) -> str | None:
    return "yes" if b else None


def _period(p: Any) -> str | None:
    return None if p is None else f"{p[0].isoformat()} .. {p[1].isoformat()}"
