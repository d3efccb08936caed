"""The playbook's contact governance (docs/governance.md): the promises every play keeps — the
global holdout, the customers' time zones, each policy's contact limits and consents — and, on a
play's card, its A/B variants.

Shown only when the project declares them: a playbook without governance is what it was.
"""

from __future__ import annotations

from .. import words as w
from ..model import ContactLimit, Model, Play, Variant


def _channel_names(model: Model, names: tuple[str, ...], lang: str) -> str:
    """Channel ids and kinds as people read them: a channel's label, a kind's word."""
    out = []
    for n in names:
        ch = model.channels.get(n)
        out.append(ch.label if ch is not None else w.t(n, lang))
    return ("、" if lang == "zh" else ", ").join(out)


def limit_words(model: Model, limit: ContactLimit, lang: str) -> str:
    """`at most 1 per 1d on outbound_call` -> "每位客户1天内最多1次（外呼）"."""
    days = w._trim(limit.days)
    on = _channel_names(model, limit.on, lang) if limit.on else w.t("all_channels", lang)
    return w.t("limit_words", lang, n=limit.count, d=days, on=on)


def governance_view(model: Model, lang: str) -> dict | None:
    """The chapter's content, or None when the project declares no governance."""
    s = model.strategy
    zone_field = model.schema.timezone_field if model.schema is not None else None
    if not model.policies and s.holdout is None and s.timezone is None and zone_field is None:
        return None
    promises = []
    if s.holdout is not None:
        promises.append(w.t("holdout_words", lang, p=w._trim(s.holdout), seed=s.holdout_seed))
    if zone_field is not None or s.timezone is not None:
        field = model.schema.fields.get(zone_field) if model.schema and zone_field else None
        label = w.field_words(zone_field, lang, field)[0] if zone_field else None
        if label and s.timezone:
            promises.append(w.t("zone_field_default", lang, f=label, z=s.timezone))
        elif label:
            promises.append(w.t("zone_field", lang, f=label))
        else:
            promises.append(w.t("zone_default", lang, z=s.timezone))
    policies = []
    for p in model.policies.values():
        consents = []
        for c in p.consents:
            field = model.schema.fields.get(c.field) if model.schema else None
            consents.append(
                w.t(
                    "consent_words",
                    lang,
                    f=w.field_words(c.field, lang, field)[0],
                    on=_channel_names(model, c.on, lang),
                )
            )
        policies.append(
            {
                "id": p.id,
                "label": p.label,
                "description": p.description,
                "limits": [limit_words(model, lim, lang) for lim in p.limits],
                "consents": consents,
            }
        )
    return {"promises": promises, "policies": policies}


def _arm_steps(model: Model, play: Play, v: Variant, lang: str) -> str:
    if not v.steps:
        return w.t("play_steps", lang)
    sep = "；" if lang == "zh" else "; "
    parts = []
    for st, day in zip(v.steps, play.step_days(v), strict=True):
        ch = model.channels.get(st.channel)
        sc = model.scripts.get(st.script)
        parts.append(
            w.t("step", lang, n=st.number)
            + f" · {w.t('day', lang, n=w._trim(day))} · "
            + f"{ch.label if ch else st.channel} — {sc.label if sc else st.script}"
        )
    return sep.join(parts)


def variant_views(model: Model, play: Play, lang: str) -> list[dict]:
    """One row per arm: its share, its offer (its own or the play's) and its steps."""
    rows = []
    for v in play.variants:
        offer_id = v.offer or play.offer
        offer = model.offers.get(offer_id) if offer_id else None
        rows.append(
            {
                "id": v.id,
                "label": v.label,
                "share": f"{w._trim(v.share)}%",
                "offer": offer.label if offer else "—",
                "own_offer": v.offer is not None,
                "steps": _arm_steps(model, play, v, lang),
                "description": v.description,
            }
        )
    return rows
