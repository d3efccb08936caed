"""Play and compliance checks (PLY601, PLY603–PLY606, PLY608–PLY612).

PLY602 (suitability) and PLY607 (equal-priority overlap) need the rule solver and live in
`segments.py`. Decisions recorded in docs/checks.md:

- PLY604 demand per day of a play on a channel = segment `estimate` × (1 − control) ÷ days in the
  play's window (its `period`, else the strategy `period`, both ends included). A play counts once
  per channel it uses; plays whose segment has no `estimate` (or with no window) are not counted.
  With variants, a channel counts with the summed shares of the arms whose steps use it.
- PLY602 (segments.py) and PLY603 apply per step, with the step's offers: its own (`with a + b`),
  else the arm's `offer`, else the play's (`Play.offers_of`).
- Every step check runs per arm (`Play.arms`, `Play.steps_of`); arms that send the play's steps
  share one schedule (`schedules`), and a message names the arms when the play has variants.
- PLY605 a step's day is the sum of the `after` offsets of the steps up to it (step 1 is day 0);
  steps on one channel whose days fall in any window of `cap` days are counted.
- PLY609 the default banned list (DEFAULT_BANNED) applies when the strategy has no `banned`; a
  default phrase directly preceded by a negation (不保本, 非保本, not risk-free) is not a promise and
  is not reported. A strategy's own `banned` list is matched literally. Latin letters match
  case-insensitively. Each phrase is reported where it is; at most MAX_BANNED_PER_TEXT per text
  (the last one notes how many more), so a text repeating a phrase 10,000 times stays readable.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from .. import diagnostics as dg
from ..diagnostics import Label
from ..model import Model, Offer, Play, Script, Step, Variant
from ..source import Span
from ..syntax import ast
from .registry import Context, check
from .util import attr, id_span

MESSAGING_KINDS = ("sms", "push", "wechat", "email")

DEFAULT_BANNED = (
    "保本保收益",
    "保本保息",
    "保证收益",
    "保收益",
    "保本",
    "刚性兑付",
    "零风险",
    "无风险",
    "稳赚不赔",
    "稳赚",
    "100%收益",
    "guaranteed return",
    "guaranteed profit",
    "risk-free",
    "no risk",
    "can't lose",
    "can’t lose",
    "cannot lose",
)
# A default phrase right after one of these is a disclaimer, not a promise (不保本, not risk-free).
NEGATIONS = ("不", "非", "未", "无法", "不能", "not ", "not a ", "never ", "non-", "no ")
# PLY609 reports at most this many phrases per text; the last one says how many more there are.
MAX_BANNED_PER_TEXT = 10


def _num(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:,.1f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- arms


def arm_name(play: Play, arms: Sequence[Variant | None]) -> str:
    """` (variant `a`)` / ` (variants `a`, `b`)` for a play with variants; "" without."""
    names = [v.id for v in arms if v is not None]
    if not play.variants or not names:
        return ""
    word = "variant" if len(names) == 1 else "variants"
    return f" ({word} " + ", ".join(f"`{n}`" for n in names) + ")"


def schedules(play: Play) -> list[tuple[list[Variant | None], tuple[Step, ...], tuple[float, ...]]]:
    """(the arms, their steps, the steps' days) for each distinct schedule of the play, in arm
    order: arms that send the play's own steps share one."""
    out: list[tuple[list[Variant | None], tuple[Step, ...], tuple[float, ...]]] = []
    by_steps: dict[int, int] = {}
    for v in play.arms():
        steps = play.steps_of(v)
        k = by_steps.setdefault(id(steps), len(out))
        if k == len(out):
            out.append(([], steps, play.step_days(v)))
        out[k][0].append(v)
    return out


class Contact(NamedTuple):
    """A step of a schedule on its day (step 1 is day 0)."""

    day: float
    step: Step


def first_excess(contacts: Sequence[Contact], n: int, window: float) -> list[Contact] | None:
    """The first run of more than `n` contacts that fall in one window `[t, t + window)` (days
    differ by less than `window`), ending at the one that makes n+1; None when there is none.
    `contacts` are in day order."""
    lo = 0
    for hi in range(len(contacts)):
        while contacts[hi].day - contacts[lo].day >= window:
            lo += 1
        if hi - lo + 1 > n:
            return list(contacts[lo : hi + 1])
    return None


def earlier_contacts(inside: Sequence[Contact], show: Callable[[float], str]) -> tuple[Label, ...]:
    """`contact on day D` at each contact of a window but the last (the one reported)."""
    return tuple(
        Label(c.step.node.span, f"contact on day {show(c.day)}")
        for c in inside[:-1]
        if c.step.node is not None
    )


def busiest_window(contacts: Sequence[Contact], window: float) -> list[Contact]:
    """The most contacts that fall in one window (the first such run)."""
    best: list[Contact] = []
    lo = 0
    for hi in range(len(contacts)):
        while contacts[hi].day - contacts[lo].day >= window:
            lo += 1
        if hi - lo + 1 > len(best):
            best = list(contacts[lo : hi + 1])
    return best


def step_lines(play: Play) -> Iterator[tuple[Variant | None, list[ast.StepLine]]]:
    """The step lines as written: the play's (None), then each variant's own."""
    if play.node is not None:
        yield None, [s for s in play.node.items if isinstance(s, ast.StepLine)]
    for v in play.variants:
        if v.node is not None and v.node.items:
            lines = [s for s in v.node.items if isinstance(s, ast.StepLine)]
            if lines:
                yield v, lines


# --------------------------------------------------------------------------- PLY601, PLY603


@check("PLY")
def step_channels(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    for play in model.plays.values():
        for arms, steps, _ in schedules(play):
            yield from _step_channels(model, play, arms, steps)


def _step_channels(
    model: Model, play: Play, arms: list[Variant | None], steps: tuple[Step, ...]
) -> Iterator[dg.Diagnostic]:
    for step in steps:
        sc = model.scripts.get(step.script)
        if sc is None or sc.channel is None or sc.channel == step.channel or step.node is None:
            continue
        ch_attr = attr(sc.node, "channel")
        labels = (
            (Label(ch_attr.value.span, f"`{sc.id}` is written for `{sc.channel}`"),)
            if ch_attr
            else ()
        )
        yield dg.make(
            "PLY601",
            f"step {step.number} of play `{play.id}`{arm_name(play, arms)} sends script "
            f"`{sc.id}` on channel "
            f"`{step.channel}`, but the script is for `{sc.channel}`",
            step.node.channel.span,
            "channel of the step",
            labels=labels,
            help=f"use `step {step.number} {sc.channel} using {sc.id}`, or a script written for "
            f"`{step.channel}`",
        )


def risky_offer(
    model: Model, play: Play, step: Step, variant: Variant | None = None
) -> Offer | None:
    """The first offer of the step (its own, else the arm's, else the play's) that has a `risk`,
    if any."""
    for oid in play.offers_of(step, variant):
        offer = model.offers.get(oid)
        if offer is not None and offer.risk is not None:
            return offer
    return None


@check("PLY")
def disclaimers(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    """PLY603, per step: a script sent with a risk-rated offer (the step's own, else the play's)
    must carry a disclaimer. Each script is named once per play."""
    # script -> [(play, arm, step, offer)]
    uses: dict[str, list[tuple[Play, Variant | None, Step, Offer]]] = {}
    for play in model.plays.values():
        seen: set[str] = set()
        for v in play.arms():
            for step in play.steps_of(v):
                offer = risky_offer(model, play, step, v)
                if offer is None or step.script in seen:
                    continue
                seen.add(step.script)
                uses.setdefault(step.script, []).append((play, v, step, offer))
    for sid, lst in uses.items():
        sc = model.scripts.get(sid)
        if sc is None or "disclaimer" in sc.sections or sc.span is None:
            continue
        labels = tuple(
            Label(
                step.node.script.span,
                f"used by play `{play.id}`{arm_name(play, [v])} with offer `{offer.id}` "
                f"(risk {offer.risk})",
            )
            for play, v, step, offer in lst
            if step.node is not None
        )
        yield dg.make(
            "PLY603",
            f"script `{sid}` is used with a risk-rated offer but has no `disclaimer`",
            id_span(sc),
            "no disclaimer",
            labels=labels,
            help=f'add a risk disclosure to `{sid}`: `disclaimer "理财非存款，产品有风险，投资须谨慎。"`',
            notes=(
                "compliance: every script used in a play whose offer has a `risk` must carry a "
                "`disclaimer`",
            ),
        )


# --------------------------------------------------------------------------- PLY612


@check("PLY")
def repeated_step_offers(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    """PLY612: a step that names one offer twice (`with a + a`), from the syntax."""
    for play in model.plays.values():
        for v, lines in step_lines(play):
            yield from _repeated_offers(play, v, lines)


def _repeated_offers(
    play: Play, v: Variant | None, lines: list[ast.StepLine]
) -> Iterator[dg.Diagnostic]:
    for line in lines:
        first: dict[str, ast.Name] = {}
        for name in line.offers:
            earlier = first.setdefault(name.name, name)
            if earlier is name:
                continue
            yield dg.make(
                "PLY612",
                f"step {getattr(line.number, 'raw', '?')} of play `{play.id}`"
                f"{arm_name(play, [v])} names offer `{name.name}` twice",
                name.span,
                "named again",
                labels=(Label(earlier.span, "first named here"),),
                help=f"remove the second `{name.name}`; to combine offers, name different "
                "ones: `with trial_pack + store_gift`",
                suggestions=(
                    dg.Suggestion(
                        _repeat_span(line, name),
                        "",
                        f"remove the repeated `{name.name}`",
                        dg.Applicability.MACHINE_APPLICABLE,
                    ),
                ),
            )


def _repeat_span(line: ast.StepLine, name: ast.Name) -> Span:
    """The text to delete for a repeated offer: ` + NAME` from the end of the offer before it."""
    before = line.offers[line.offers.index(name) - 1]
    return Span(
        name.span.file,
        before.span.end,
        name.span.end,
        before.span.end_line,
        before.span.end_column,
        name.span.end_line,
        name.span.end_column,
    )


# --------------------------------------------------------------------------- PLY604


class _Demand(NamedTuple):
    """A play's demand on a channel (PLY604)."""

    play: Play
    per_day: float
    step: Step  # the play's first step on the channel
    estimate: int | float  # of the play's segment
    arms: float = 1.0  # the share of the treated customers whose arm uses the channel


@check("PLY")
def capacity(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    demand: dict[str, list[_Demand]] = {}  # channel -> the plays that use it
    skipped: dict[str, list[str]] = {}
    for play in model.plays.values():
        channels: dict[str, Step] = {}  # channel -> the first step on it
        arm_share: dict[str, float] = {}  # channel -> the share of the treated whose arm uses it
        for v in play.arms():
            used: dict[str, Step] = {}
            for step in play.steps_of(v):
                channels.setdefault(step.channel, step)
                used.setdefault(step.channel, step)
            for chid in used:
                arm_share[chid] = arm_share.get(chid, 0.0) + (v.share / 100 if v else 1.0)
        if not channels:
            continue
        seg = model.segments.get(play.segment) if play.segment else None
        days = model.window_days(play)
        if seg is None or seg.estimate is None or not days:
            for chid in channels:
                skipped.setdefault(chid, []).append(play.id)
            continue
        share = 1 - (play.control or 0) / 100
        per_day = seg.estimate * share / days
        for chid, step in channels.items():
            demand.setdefault(chid, []).append(
                _Demand(play, per_day * arm_share[chid], step, seg.estimate, arm_share[chid])
            )
    for cid, lst in demand.items():
        ch = model.channels.get(cid)
        if ch is None or ch.capacity is None or ch.capacity.per_day is None:
            continue
        cap = ch.capacity.per_day
        total = sum(x.per_day for x in lst)
        if total <= cap:
            continue
        cap_attr = attr(ch.node, "capacity")
        span = cap_attr.value.span if cap_attr is not None else id_span(ch)
        names = ", ".join(f"`{x.play.id}`" for x in lst)
        labels = tuple(
            Label(x.step.node.channel.span, f"`{x.play.id}`: about {_num(x.per_day)} per day")
            for x in lst
            if x.step.node is not None
        )
        amount = ch.capacity.amount  # not None: the capacity has a rate per day
        unit = (
            f"{_num(amount)} per week ({_num(cap)} per day)"
            if ch.capacity.per == "week" and amount is not None
            else f"{_num(cap)} per day"
        )
        notes = [
            f"plays sharing `{cid}`: "
            + "; ".join(
                f"`{p.id}` {_num(estimate)} customers × {100 - (p.control or 0):g}% "
                + (f"× {arms * 100:g}% (its variants on `{cid}`) " if p.variants else "")
                + f"÷ {model.window_days(p)} days = {_num(d)}"
                for p, d, _, estimate, arms in lst
            )
        ]
        if skipped.get(cid):
            notes.append(
                "not counted (segment without `estimate`, or no period): "
                + ", ".join(f"`{p}`" for p in skipped[cid])
            )
        yield dg.make(
            "PLY604",
            f"channel `{cid}` needs about {_num(total)} contacts per day but has capacity "
            f"{unit} (plays {names})",
            span,
            "capacity exceeded",
            labels=labels,
            help="raise the capacity, spread the plays over a longer `period`, narrow their segments, "
            "or move a play to another channel",
            notes=tuple(notes),
        )


# --------------------------------------------------------------------------- PLY605


@check("PLY")
def contact_caps(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    for play in model.plays.values():
        for arms, steps, days in schedules(play):
            yield from _caps(model, play, arms, steps, days)


def _caps(
    model: Model,
    play: Play,
    arms: list[Variant | None],
    steps: tuple[Step, ...],
    days: tuple[float, ...],
) -> Iterator[dg.Diagnostic]:
    on: dict[str, list[Contact]] = {}
    for day, step in zip(days, steps):
        on.setdefault(step.channel, []).append(Contact(day, step))
    for cid, lst in on.items():
        ch = model.channels.get(cid)
        if ch is None or ch.cap is None:
            continue
        n, window = ch.cap
        inside = first_excess(lst, n, window)
        node = inside[-1].step.node if inside else None
        if inside is None or node is None:
            continue
        last = inside[-1]
        labels = earlier_contacts(inside, _num)
        cap_attr = attr(ch.node, "cap")
        if cap_attr is not None:
            labels += (Label(cap_attr.value.span, "the cap"),)
        yield dg.make(
            "PLY605",
            f"play `{play.id}`{arm_name(play, arms)} contacts a customer {len(inside)} times on "
            f"`{cid}` within {_num(window)} days; the channel allows {n}",
            node.span,
            f"contact {len(inside)} on day {_num(last.day)}",
            labels=labels,
            help=f"space the steps out with `after` (more than {_num(window)} days apart), move a "
            "step to another channel, or drop one",
        )


# --------------------------------------------------------------------------- PLY606, PLY608, PLY611


@check("PLY")
def play_shape(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    for play in model.plays.values():
        if play.span is None or play.node is None:
            continue
        if not play.supports and attr(play.node, "supports") is None:
            yield dg.make(
                "PLY606",
                f"play `{play.id}` supports no objective",
                id_span(play),
                "supports nothing",
                help="say which objective it serves: `supports OBJECTIVE_ID`",
                notes=("every play should move an objective of the strategy map",),
            )
        # Step numbering, from the syntax (steps with unresolved references count too).
        for v, lines in step_lines(play):
            yield from _numbering(play, v, lines)
        # From the syntax: a `control` whose value was rejected (TYP304) is not reported again.
        missing: list[str] = []
        if not any(isinstance(t, ast.TargetLine) for t in play.node.items):
            missing.append("target")
        if attr(play.node, "control") is None:
            missing.append("control")
        if missing:
            what = " and no ".join(f"`{m}`" for m in missing)
            hlp = []
            if "target" in missing:
                hlp.append('`target conversion "转化率" >= 8% by 2026-09-30`')
            if "control" in missing:
                hlp.append("`control 10%` (a hold-out group)")
            yield dg.make(
                "PLY611",
                f"play `{play.id}` has no {what}, so its effect cannot be measured",
                id_span(play),
                "not measurable",
                help="add " + " and ".join(hlp),
            )


def _numbering(play: Play, v: Variant | None, lines: list[ast.StepLine]) -> Iterator[dg.Diagnostic]:
    """PLY608 for one list of step lines (the play's, or a variant's own)."""
    whose = f"play `{play.id}`{arm_name(play, [v])}"
    for i, s in enumerate(lines, start=1):
        if not isinstance(s.number, ast.Number) or not isinstance(s.number.value, int):
            break
        if s.number.value != i:
            yield dg.make(
                "PLY608",
                f"step {s.number.value} of {whose} should be step {i}",
                s.number.span,
                f"expected {i}",
                help="number the steps 1, 2, 3 … in the order they are written",
                suggestions=(
                    dg.Suggestion(
                        s.number.span,
                        str(i),
                        f"renumber as step {i}",
                        dg.Applicability.MAYBE_INCORRECT,
                    ),
                ),
            )
            break
    first_after = lines[0].after if lines else None
    if first_after is not None:
        yield dg.make(
            "PLY608",
            f"the first step of {whose} has `after`",
            first_after.span,
            "nothing comes before it",
            help="the first step starts when the play is triggered; remove `after` "
            "(use `when event … within …` to delay or bound the start)",
        )


# --------------------------------------------------------------------------- PLY609, PLY610


def _lower(text: str) -> str:
    """Lower-case without changing length (so offsets stay valid)."""
    low = text.lower()
    if len(low) == len(text):  # lower() never shortens: equal length means no character grew
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


@functools.lru_cache(maxsize=16)
def _pattern(phrases: tuple[str, ...], default: bool) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex for a banned list (lower-cased, longest first, so that where matches overlap the
    leftmost and then the longest wins) and the phrase each lower-cased match was written as. For
    the default list a negation just before a phrase (one fixed-width look-behind each) rules
    the match out there."""
    written: dict[str, str] = {}
    for ph in phrases:
        written.setdefault(_lower(ph), ph)
    written.pop("", None)
    alternatives = "|".join(re.escape(p) for p in sorted(written, key=len, reverse=True))
    guard = "".join(f"(?<!{re.escape(n)})" for n in NEGATIONS) if default else ""
    return re.compile(f"{guard}(?:{alternatives})"), written


def _find(
    text: str, phrases: Iterable[str], default: bool, limit: int
) -> tuple[list[tuple[int, int, str]], int]:
    """(start, end, phrase) of the first `limit` matches, and how many there are in all."""
    rx, written = _pattern(tuple(phrases), default)
    if not written:
        return [], 0
    found = rx.finditer(_lower(text))
    hits = [(m.start(), m.end(), written[m.group()]) for m in itertools.islice(found, limit)]
    return hits, len(hits) + sum(1 for _ in found)


def _texts(sc: Script) -> Iterator[tuple[str, str, Span]]:
    """(what, text, Str span) of every text of a script."""
    for name, st in sc.sections.items():
        if st.span is not None:
            yield f"`{name}`", st.text, st.span
    if sc.node is not None:
        for item in sc.node.items:
            if isinstance(item, ast.ObjectionLine):
                yield "an objection", item.question.value, item.question.span
                yield "an objection answer", item.answer.value, item.answer.span


def _phrase_spans(
    ctx: Context | None, text: str, span: Span, hits: list[tuple[int, int, str]]
) -> list[Span]:
    """Where each hit (start, end, phrase) of the string's value is in the source: the k-th
    occurrence of a phrase in the value is its k-th occurrence in the source text of the string,
    when the phrase occurs as often in both (escapes and dedent can hide or split one); else, and
    when the source is not at hand, the whole string."""
    sources = ctx.sources if ctx is not None else None
    src = sources.get(span.file) if sources is not None else None
    if src is None or not hits:
        return [span] * len(hits)
    low, raw = _lower(text), _lower(src.text[span.start : span.end])
    walks: dict[
        str, list[int] | None
    ] = {}  # phrase -> [offset in value, offset in source], in step
    out: list[Span] = []
    for start, end, ph in hits:  # in order of `start`
        p = _lower(ph)
        if p not in walks:
            walks[p] = [low.find(p), raw.find(p)] if low.count(p) == raw.count(p) else None
        walk = walks[p]
        while walk is not None and -1 < walk[0] < start:
            walk[0], walk[1] = low.find(p, walk[0] + 1), raw.find(p, walk[1] + 1)
        if walk is None or walk[0] != start or walk[1] == -1:
            out.append(span)
        else:
            out.append(src.span(span.start + walk[1], span.start + walk[1] + (end - start)))
    return out


@check("PLY")
def banned_phrases(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    default = model.strategy.banned is None
    phrases = DEFAULT_BANNED if default else model.strategy.banned
    if not phrases:
        return
    banned_attr = attr(model.strategy.node, "banned")
    labels = (Label(banned_attr.value.span, "banned here"),) if banned_attr is not None else ()
    for sc in model.scripts.values():
        for what, text, span in _texts(sc):
            shown, total = _find(text, phrases, default, MAX_BANNED_PER_TEXT)
            for k, ((_, _, ph), at) in enumerate(zip(shown, _phrase_spans(ctx, text, span, shown))):
                notes: tuple[str, ...] = ()
                if default:
                    notes += (
                        "the default banned list applies because the strategy has no `banned`; "
                        "see `stratlang explain PLY609`",
                    )
                if k == len(shown) - 1 and total > len(shown):
                    more = total - len(shown)
                    notes += (
                        f"{more:,} more banned phrase{'s' * (more != 1)} in this text "
                        f"{'are' if more != 1 else 'is'} not reported one by one",
                    )
                yield dg.make(
                    "PLY609",
                    f"script `{sc.id}` contains the banned phrase “{ph}” in {what}",
                    at,
                    "banned phrase",
                    labels=labels,
                    help="reword it: promise nothing about returns or risk (宣传不得承诺保本保收益)",
                    notes=notes,
                )


@check("PLY")
def opt_outs(model: Model, ctx: Context) -> Iterator[dg.Diagnostic]:
    for sc in model.scripts.values():
        ch = model.channels.get(sc.channel) if sc.channel else None
        if (
            ch is None
            or ch.kind not in MESSAGING_KINDS
            or "opt_out" in sc.sections
            or sc.span is None
        ):
            continue
        yield dg.make(
            "PLY610",
            f"script `{sc.id}` is sent by {ch.kind} (`{ch.id}`) but has no `opt_out` text",
            id_span(sc),
            "no opt-out",
            help='add how to stop the messages: `opt_out "回复TD退订"` / `opt_out "Reply STOP to opt out"`',
        )
