"""The playbook's tier tables: each `tiering` as a pyramid of its tiers (issue 13 §5).

A tier is a segment of the tiering, in the order the tiering names them (the first is the top).
Each row has the segment's rule in words and its size: the real count when the playbook was
built with data (`build --data`, the same counts the segment articles show), else the segment's
`estimate`. The bar under a tier is its size against the largest tier, centred, so the table
reads as a pyramid; with real counts each tier also has its share of all customers, and an
exclusive tiering a row for the customers in no tier.
"""

from __future__ import annotations

from .. import words as w
from ..model import Model, Tiering


def _sizes(model: Model, tiering: Tiering, counts: dict) -> tuple[list[float | None], bool]:
    """Each tier's size and whether they are real counts (all of them) or estimates."""
    real = counts.get("segments") or {}
    if tiering.segments and all(sid in real for sid in tiering.segments):
        return [real[sid] for sid in tiering.segments], True
    return [
        model.segments[sid].estimate if sid in model.segments else None for sid in tiering.segments
    ], False


def _share(n: float, customers: int | None, lang: str) -> str | None:
    if not customers:
        return None
    return w._trim(100 * n / customers, 1) + "%"


def _rules(tiering: Tiering, lang: str) -> list[str]:
    """The tiering's promises in words (exclusive: at most one tier; exhaustive: at least one)."""
    out = []
    if tiering.exclusive:
        out.append(w.t("tiers_exclusive", lang))
    if tiering.exhaustive:
        out.append(w.t("tiers_exhaustive", lang))
    return out


def tiering_view(model: Model, tiering: Tiering, counts: dict, lang: str) -> dict:
    sizes, real = _sizes(model, tiering, counts)
    customers = counts.get("customers") if real else None
    largest = max((s for s in sizes if s is not None), default=0) or 1
    tiers = []
    for rank, (sid, size) in enumerate(zip(tiering.segments, sizes), start=1):
        seg = model.segments.get(sid)
        tiers.append(
            {
                "rank": rank,
                "id": sid,
                "label": seg.label if seg is not None else sid,
                "anchor": f"seg-{sid}",
                "rule": w.rule_in_words(model.segment_rule(sid), model, lang) if seg else "",
                "size": w.format_number(size, lang) if size is not None else "—",
                "share": _share(size, customers, lang) if size is not None else None,
                # the bar's width in percent of the largest tier (at least a sliver when not 0)
                "width": 0 if not size else max(1.0, round(100 * size / largest, 1)),
            }
        )
    outside = None
    if real and tiering.exclusive and customers is not None:
        rest = customers - sum(s or 0 for s in sizes)
        if rest > 0 or not tiering.exhaustive:
            outside = {"size": w.format_number(rest, lang), "share": _share(rest, customers, lang)}
    return {
        "id": tiering.id,
        "label": tiering.label,
        "anchor": f"tiering-{tiering.id}",
        "description": tiering.description,
        "promises": _rules(tiering, lang),
        "size_title": w.t("real_count" if real else "estimate", lang),
        "real": real,
        "tiers": tiers,
        "outside": outside,
    }


def tiering_views(model: Model, counts: dict | None, lang: str) -> list[dict]:
    """The tier tables of the playbook, in declaration order."""
    return [tiering_view(model, tg, counts or {}, lang) for tg in model.tierings.values()]
