"""Contact governance: GOV701–GOV704 (the `policy` blocks and a play's variants).

Decisions recorded in docs/checks.md:

- A limit `at most N per Dd` counts the contacts on its channels (`Model.limit_channels`) in every
  window `[t, t + D)` of days: two contacts fall in one window when their days differ by less
  than D (`per 7d`: days t … t+6). A step's day is `Play.step_days` (step 1 is day 0).
- GOV701 looks at each arm's own schedule (arms that send the play's steps share one).
- GOV702 asks, for two plays A before B in assignment order (priority descending, then
  declaration order), whether the most contacts either can put in one window add up to more than
  N; only such pairs go to the solver, which looks for a customer eligible for both (both
  segments, and the consent every channel of each play needs). Plays whose periods do not meet
  are not paired; triggers are not looked at (as PLY607).
- GOV703 asks the solver for a member of the play's segment whose consent field is not TRUE
  (FALSE, or missing when the field is optional).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from .. import diagnostics as dg
from ..diagnostics import Label
from ..model import ContactLimit, Model, Play, Policy, Step, Variant
from ..rules import IsTrue, NExpr, conjunction
from ..rules import Value as RuleValue
from ..source import Span
from ..syntax import ast
from .plays import (
    Contact,
    arm_name,
    busiest_window,
    earlier_contacts,
    first_excess,
    schedules,
)
from .registry import Context, check
from .segments import _in_both, _periods_meet, format_witness, reasoner
from .solver import Compiled, Conjunct, Undecided
from .util import id_span

# GOV702 reports once per later play and limit; it names up to this many plays before it that
# break the limit together with it (the first in full), and stops looking after one more.
MAX_PARTNERS = 10

# --------------------------------------------------------------------------- schedules


def days_text(d: float) -> str:
    """`7 days`, `1 day`, `0.5 days`."""
    n = f"{d:g}"
    return f"{n} day" if d == 1 else f"{n} days"


def on_channels(
    steps: Sequence[Step], days: Sequence[float], channels: frozenset[str]
) -> list[Contact]:
    return [Contact(d, s) for d, s in zip(days, steps) if s.channel in channels]


def schedule_text(contacts: Sequence[Contact], shift: float = 0.0) -> str:
    """`day 0 app_push (step 1), day 3 sms (step 2)`; `shift` moves every day."""
    return ", ".join(
        f"day {c.day + shift:g} {c.step.channel} (step {c.step.number})" for c in contacts
    )


def limit_label(policy: Policy, limit: ContactLimit) -> str:
    return f"`{limit.text}` (policy `{policy.id}`)"


def _limit_labels(policy: Policy, limit: ContactLimit) -> tuple[Label, ...]:
    return (Label(limit.span, "the limit"),) if limit.span is not None else ()


# --------------------------------------------------------------------------- GOV701


def _limits(model: Model) -> list[tuple[Policy, ContactLimit, frozenset[str]]]:
    """Every well-formed limit with the channels it counts (a rejected count or window is the
    resolver's TYP304)."""
    return [
        (p, lim, model.limit_channels(lim))
        for p, lim in model.limits()
        if lim.count >= 1 and lim.days > 0
    ]


@check("GOV")
def own_schedules(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    """GOV701: one arm's schedule puts more than N contacts on a limit's channels in one window."""
    limits = _limits(model)
    if not limits:
        return
    for play in model.plays.values():
        for arms, steps, days in schedules(play):
            for policy, limit, chans in limits:
                inside = first_excess(on_channels(steps, days, chans), limit.count, limit.days)
                node = inside[-1].step.node if inside else None
                if inside is None or node is None:
                    continue
                last = inside[-1]
                labels = earlier_contacts(inside, lambda d: f"{d:g}") + _limit_labels(policy, limit)
                yield dg.make(
                    "GOV701",
                    f"play `{play.id}`{arm_name(play, arms)} contacts a customer {len(inside)} "
                    f"times within {days_text(limit.days)}; {limit_label(policy, limit)} allows "
                    f"{limit.count}",
                    node.span,
                    f"contact {len(inside)} on day {last.day:g}",
                    labels=labels,
                    notes=(
                        f"schedule: {schedule_text(inside)} — {len(inside)} contacts in "
                        f"{days_text(limit.days)}, at most {limit.count}",
                    ),
                    help=f"space the steps out with `after` ({days_text(limit.days)} or more "
                    "between the first and the last of a window), move a step to a channel the "
                    "limit does not count, or drop one",
                )


# --------------------------------------------------------------------------- eligibility


def _eligible(model: Model, play: Play) -> Compiled | None:
    """The play's eligibility as one compiled rule (its segment, and every consent field its
    channels need TRUE), or None when the solver cannot reason about it."""
    r = reasoner(model)
    rule = r.rule(play.segment) if play.segment and r.space is not None else None
    if rule is None:
        return None
    parts: list[NExpr] = [rule] + [IsTrue(f) for f in _consent_needed(model, play)]
    try:
        return Compiled(r.solver, conjunction(parts))
    except Undecided:
        return None


def _consent_needed(model: Model, play: Play) -> list[str]:
    """The consent fields (bool fields of the schema) the play's channels need, in order."""
    fields = model.schema.rule_fields if model.schema is not None else {}
    out: dict[str, None] = {}
    for ch in play.channels():
        for f in model.consent_fields(ch):
            if f in fields and fields[f].type == "bool":
                out.setdefault(f)
    return list(out)


# --------------------------------------------------------------------------- GOV702


class _Peak(NamedTuple):
    """The most contacts a play puts on a limit's channels in one window, and where."""

    size: int
    arms: list[Variant | None]
    contacts: list[Contact]


def _peak(play: Play, chans: frozenset[str], window: float) -> _Peak:
    best = _Peak(0, [], [])
    for arms, steps, days in schedules(play):
        run = busiest_window(on_channels(steps, days, chans), window)
        if len(run) > best.size:
            best = _Peak(len(run), arms, run)
    return best


def assignment_order(model: Model) -> list[Play]:
    """The order a customer's plays are tried in: priority descending, then declaration order."""
    return sorted(model.plays.values(), key=lambda p: (-p.priority, p.order))


@check("GOV")
def across_plays(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    """GOV702: two plays a customer may get in different waves break a limit together."""
    limits = _limits(model)
    r = reasoner(model)
    if not limits or r.space is None:
        return
    plays = assignment_order(model)
    eligible: dict[str, Compiled | None] = {}  # play -> its compiled eligibility
    both: dict[tuple[str, str], _Witness | None] = {}  # (A, B) -> a customer eligible for both
    for policy, limit, chans in limits:
        n = limit.count
        peaks = [(p, _peak(p, chans, limit.days)) for p in plays]
        # a play that breaks the limit alone is GOV701's; one without contacts cannot add any
        peaks = [(p, k) for p, k in peaks if 0 < k.size <= n]
        for j, (b, kb) in enumerate(peaks):
            if b.node is None:
                continue
            partners: list[tuple[Play, _Peak, _Witness]] = []  # in assignment order
            for a, ka in peaks[:j]:
                if ka.size + kb.size <= n or not _periods_meet(a.period, b.period):
                    continue
                if (a.id, b.id) not in both:
                    both[a.id, b.id] = _overlap(model, eligible, a, b)
                found = both[a.id, b.id]
                if found is not None:
                    partners.append((a, ka, found))
                    if len(partners) > MAX_PARTNERS:  # enough to say "and more"
                        break
            if partners:
                yield _gov702(model, policy, limit, b, kb, partners)


class _Witness(NamedTuple):
    record: dict[str, RuleValue]
    env: Conjunct  # the solver's conjunct: the fields that matter


def _overlap(
    model: Model, eligible: dict[str, Compiled | None], a: Play, b: Play
) -> _Witness | None:
    """A customer eligible for both plays (confirmed by the evaluator), or None."""
    for p in (a, b):
        if p.id not in eligible:
            eligible[p.id] = _eligible(model, p)
    ca, cb = eligible[a.id], eligible[b.id]
    if ca is None or cb is None:
        return None
    found = _in_both(reasoner(model), ca, cb, ca.rule, cb.rule)
    return None if found is None else _Witness(found[1], found[0])


def _gov702(
    model: Model,
    policy: Policy,
    limit: ContactLimit,
    b: Play,
    kb: _Peak,
    partners: list[tuple[Play, _Peak, _Witness]],
) -> dg.Diagnostic:
    """At B: the first play before it that breaks the limit together with it, in full (witness
    and combined schedule); the others found are named in a note."""
    schema = model.schema
    assert schema is not None  # the solver found a customer
    a, ka, found = partners[0]
    # B's busiest window starts on the day A's does: both fit in one window of the limit
    start = ka.contacts[0].day - kb.contacts[0].day
    shift_a, shift_b = (0.0, start) if start >= 0 else (-start, 0.0)
    total = ka.size + kb.size
    a_start = f" started on day {shift_a:g}" if shift_a else ""
    combined = (
        f"`{a.id}`{arm_name(a, ka.arms)}{a_start}: {schedule_text(ka.contacts, shift_a)}; "
        f"`{b.id}`{arm_name(b, kb.arms)} started on day {shift_b:g}: "
        f"{schedule_text(kb.contacts, shift_b)} → {total} contacts in {days_text(limit.days)}, "
        f"at most {limit.count}"
    )
    witness = format_witness(found.record, schema, found.env)
    labels = (Label(id_span(a), f"assigned before `{b.id}`"),) if a.node is not None else ()
    notes = [
        f"{witness} is eligible for both: one wave may give them `{a.id}` and a later one `{b.id}`",
        "schedule: " + combined,
    ]
    others = partners[1 : MAX_PARTNERS + 1]
    if others:
        more = ", and more" if len(partners) > MAX_PARTNERS else ""
        notes.append(
            f"`{b.id}` can break this limit with other plays assigned before it too (a customer "
            "eligible for both each): " + ", ".join(f"`{p.id}`" for p, _, _ in others) + more
        )
    return dg.make(
        "GOV702",
        f"plays `{a.id}` and `{b.id}` can together contact a customer {total} times within "
        f"{days_text(limit.days)}; {limit_label(policy, limit)} allows {limit.count}",
        id_span(b),
        f"together with `{a.id}`",
        labels=labels + _limit_labels(policy, limit),
        notes=tuple(notes),
        help=(
            f"with `lists --contacts FILE` (the contacts already made) the lists keep the limit "
            f"by skipping `{b.id}` for such customers; to avoid it, make the segments disjoint, "
            "space the steps out, or move a step to a channel the limit does not count",
        ),
    )


# --------------------------------------------------------------------------- GOV703


@check("GOV")
def consent(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    """GOV703: a play's segment admits customers without the consent one of its channels needs."""
    if not model.policies:
        return
    r = reasoner(model)
    schema = model.schema
    if r.space is None or schema is None:
        return
    where = _consent_spans(model)
    for play in model.plays.values():
        needed = _consent_needed(model, play)
        if not needed or not play.segment:
            continue
        rule = r.rule(play.segment)
        if rule is None:
            continue
        for f in needed:
            missing = IsTrue(f)
            try:
                env = r.falls_short(rule, missing)
            except Undecided:
                continue
            if env is None:
                continue
            rec = r.witness(
                env,
                lambda x: r.is_true(rule, x) and not r.is_true(missing, x),  # noqa: B023
            )
            step = _first_step_needing(model, play, f)
            if rec is None or step is None or step.node is None:
                continue
            chans = [c for c in play.channels() if f in model.consent_fields(c)]
            value = "missing" if rec.get(f) is None else "false"
            yield dg.make(
                "GOV703",
                f"play `{play.id}` contacts customers on "
                + ", ".join(f"`{c}`" for c in chans)
                + f", which needs consent `{f}`, but segment `{play.segment}` admits customers "
                f"whose `{f}` is not true",
                step.node.channel.span,
                f"needs `{f}`",
                labels=tuple(Label(s, "the consent") for s in where.get(f, ())),
                notes=(
                    format_witness(rec, schema, [*env, f]) + f" is a member (`{f}` {value})",
                    f"the lists leave such customers out of `{play.id}`: they fall to the next "
                    "play that admits them",
                ),
                help=f"add `and {f}` to the rule of `{play.segment}` (or use a segment that "
                f"requires it), or `allow GOV703` on the play if leaving them out is intended",
            )


def _first_step_needing(model: Model, play: Play, f: str) -> Step | None:
    for v in play.arms():
        for s in play.steps_of(v):
            if f in model.consent_fields(s.channel):
                return s
    return None


def _consent_spans(model: Model) -> dict[str, list[Span]]:
    out: dict[str, list[Span]] = {}
    for p in model.policies.values():
        for c in p.consents:
            if c.span is not None:
                out.setdefault(c.field, []).append(c.span)
    return out


# --------------------------------------------------------------------------- GOV704


@check("GOV")
def variant_shares(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    """GOV704: the shares of a play's variants do not add up to 100%."""
    for play in model.plays.values():
        vs = [v for v in play.variants if v.node is not None]
        written = {
            i.id.name
            for i in (play.node.items if play.node else ())
            if isinstance(i, ast.VariantLine)
        }
        # a variant whose share was rejected (TYP304) is not in the model: no sum to speak of
        if not vs or len(vs) < len(written):
            continue
        total = sum(v.share for v in vs)
        if abs(total - 100) < 1e-9:
            continue
        shares = [_share_span(v) for v in vs]
        each = ", ".join(f"`{v.id}` {v.share:g}%" for v in vs)
        yield dg.make(
            "GOV704",
            f"the variants of play `{play.id}` add up to {total:g}%, not 100% ({each})",
            shares[-1],
            f"shares add up to {total:g}%",
            labels=tuple(Label(s, f"`{v.id}` {v.share:g}%") for v, s in zip(vs[:-1], shares)),
            help="make the shares add up to 100%: every treated customer gets exactly one arm "
            "(the control group is drawn first)",
        )


def _share_span(v: Variant) -> Span:
    node = v.node
    assert node is not None  # only variants from source are reported
    return node.share.span
