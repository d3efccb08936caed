"""The statistics of play outcomes: pure functions on a handful of counts (docs/review.md,
"Variants and lift"). DuckDB sums the rows; these take the sums.

Notation: group i has nᵢ customers contacted and xᵢ converted; its rate is pᵢ = xᵢ / nᵢ.
Φ is the standard normal CDF, Φ(z) = (1 + erf(z / √2)) / 2, computed with `math.erf` (no scipy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

Z_95 = 1.959963984540054  # Φ⁻¹(0.975): the 95% two-sided normal quantile
ALPHA = 0.05  # the significance level of every test here
MIN_CONTACTED = 30  # a group with fewer contacted customers is too small to name a winner
MIN_CONVERTED = 5  # ... or with fewer conversions


class Lift(NamedTuple):
    """Group 1 against group 2: rates, the difference and its 95% interval, the relative lift
    and the two-sided p-value of the pooled z-test (None where a count of 0 leaves it undefined)."""

    p1: float | None
    p2: float | None
    lift: float | None
    ci_low: float | None
    ci_high: float | None
    relative: float | None
    z: float | None
    p_value: float | None


def rate(converted: int, contacted: int) -> float | None:
    """p = x / n; None when n = 0."""
    return converted / contacted if contacted else None


def normal_cdf(z: float) -> float:
    """Φ(z) = (1 + erf(z / √2)) / 2."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def two_sided_p(z: float) -> float:
    """P(|Z| ≥ |z|) = 2 (1 − Φ(|z|)) = erfc(|z| / √2) (erfc keeps the precision of small p)."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def wald_margin(p1: float, n1: int, p2: float, n2: int) -> float:
    """The half-width of the 95% Wald interval of p₁ − p₂:
    1.959964 × √(p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂) (the review's lift interval)."""
    return Z_95 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)


def pooled_z(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """The two-proportion z statistic with the pooled rate p = (x₁ + x₂) / (n₁ + n₂):
    z = (p₁ − p₂) / √(p(1 − p)(1/n₁ + 1/n₂)). 0 when p is 0 or 1 (both rates equal);
    None when a group has no one contacted."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return (x1 / n1 - x2 / n2) / se if se > 0 else 0.0


def lift(x1: int, n1: int, x2: int, n2: int) -> Lift:
    """Group 1 (treatment, an arm) against group 2 (control, holdout, another arm):
    lift = p₁ − p₂ with its Wald interval, relative lift = (p₁ − p₂) / p₂ (None when p₂ = 0),
    and the pooled z-test's two-sided p-value (unadjusted)."""
    p1, p2 = rate(x1, n1), rate(x2, n2)
    if p1 is None or p2 is None:
        return Lift(p1, p2, None, None, None, None, None, None)
    diff = p1 - p2
    margin = wald_margin(p1, n1, p2, n2)
    z = pooled_z(x1, n1, x2, n2)
    return Lift(
        p1,
        p2,
        diff,
        diff - margin,
        diff + margin,
        diff / p2 if p2 else None,
        z,
        two_sided_p(z) if z is not None else None,
    )


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of m p-values (None: a test that could not be made, left
    out of m): sort them p₍₁₎ ≤ … ≤ p₍ₘ₎; the adjusted p₍ᵢ₎ is
    max over j ≤ i of min(1, (m − j + 1) p₍ⱼ₎). Rejecting where the adjusted p < α keeps the
    chance of any false rejection among the m at most α. Returned in the given order."""
    given = [(p, i) for i, p in enumerate(p_values) if p is not None]
    m = len(given)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(given)):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


# --------------------------------------------------------------------------- arms and a winner


class Group(NamedTuple):
    """An arm (or the control group) of one play and period: its counts summed."""

    id: str
    converted: int
    contacted: int


class Decision(NamedTuple):
    """Which arm won, or why none did. `reason` is a code: `winner`, `no_control`,
    `too_small` (`names[0]` is the group, with its counts), `not_above_control`,
    `best_not_above_control` (`names[0]` is the best arm), `not_told_apart` (`names` the two
    arms). `p_value`: the Holm-adjusted p the reason rests on (for a winner, its largest)."""

    winner: str | None
    reason: str
    names: tuple[str, ...] = ()
    p_value: float | None = None
    contacted: int | None = None
    converted: int | None = None


class ArmTests(NamedTuple):
    """Each arm against control (`lifts`, `p_adjusted`), in the arms' order, and the decision."""

    lifts: tuple[Lift, ...]
    p_adjusted: tuple[float | None, ...]
    decision: Decision


def compare_arms(control: Group | None, arms: Sequence[Group]) -> ArmTests:
    """Every arm against control and every pair of arms, by the pooled two-proportion z-test;
    the p-values Holm-adjusted together (k arms: k + k(k − 1)/2 tests). The winner is the arm
    with the highest rate (the first declared on a tie) when its lift over control is positive
    and significant (adjusted p < α) and it is significantly better than every other arm;
    never without significance. No winner either without a control group, or when any group
    has fewer than `MIN_CONTACTED` contacted or `MIN_CONVERTED` conversions."""
    none = Group("control", 0, 0)
    base = control if control is not None else none
    lifts = tuple(lift(a.converted, a.contacted, base.converted, base.contacted) for a in arms)
    pairs = [(i, j) for i in range(len(arms)) for j in range(i + 1, len(arms))]
    raw = [lf.p_value for lf in lifts] + [
        lift(arms[i].converted, arms[i].contacted, arms[j].converted, arms[j].contacted).p_value
        for i, j in pairs
    ]
    adjusted = holm(raw)
    vs_control = tuple(adjusted[: len(arms)])
    between = dict(zip(pairs, adjusted[len(arms) :], strict=True))
    return ArmTests(lifts, vs_control, _decide(control, arms, lifts, vs_control, between))


def _decide(
    control: Group | None,
    arms: Sequence[Group],
    lifts: Sequence[Lift],
    vs_control: Sequence[float | None],
    between: dict[tuple[int, int], float | None],
) -> Decision:
    if control is None or control.contacted == 0:
        return Decision(None, "no_control")
    for g in (control, *arms):
        if g.contacted < MIN_CONTACTED or g.converted < MIN_CONVERTED:
            return Decision(None, "too_small", (g.id,), None, g.contacted, g.converted)
    if not arms:
        return Decision(None, "not_above_control")

    def beats_control(i: int) -> bool:
        p, diff = vs_control[i], lifts[i].lift
        return p is not None and p < ALPHA and diff is not None and diff > 0

    if not any(beats_control(i) for i in range(len(arms))):
        return Decision(None, "not_above_control")
    rates = [a.converted / a.contacted for a in arms]
    top = max(range(len(arms)), key=lambda i: (rates[i], -i))
    if not beats_control(top):
        return Decision(None, "best_not_above_control", (arms[top].id,), vs_control[top])
    others = [(between[min(top, j), max(top, j)], j) for j in range(len(arms)) if j != top]
    worst = max(others, key=lambda pj: (1.0 if pj[0] is None else pj[0], -pj[1]), default=None)
    if worst is not None and (worst[0] is None or worst[0] >= ALPHA):
        return Decision(None, "not_told_apart", (arms[top].id, arms[worst[1]].id), worst[0])
    largest = max([vs_control[top] or 0.0] + [p or 0.0 for p, _ in others])
    return Decision(arms[top].id, "winner", (arms[top].id,), largest)
