"""Write the synthetic cardholders of examples/card_retention (data/customers.csv).

Deterministic (a fixed seed): rerunning it gives the same bytes. Cardholders live in the US time
zones in rough proportion to population (a few with no zone on file), consents are missing for
a realistic share, and the columns are correlated enough that every segment has members:
a falling spend goes with a higher churn score, a fee date is set only on fee cards.

    .venv/bin/python scripts/make_card_example.py [--rows 4000]
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "examples" / "card_retention" / "data"
ZONES = (
    ("America/New_York", 45),
    ("America/Chicago", 28),
    ("America/Denver", 7),
    ("America/Phoenix", 3),
    ("America/Los_Angeles", 14),
    ("America/Anchorage", 1),
    ("Pacific/Honolulu", 1),
    ("", 1),  # no zone on file: the strategy's zone applies
)
COLUMNS = (
    "id",
    "tz",
    "tier",
    "tenure_months",
    "monthly_spend",
    "spend_change_3m",
    "utilization",
    "annual_fee_due_days",
    "churn_score",
    "app_active",
    "email_opt_in",
    "sms_consent",
    "tcpa_consent",
)


def cardholder(rng: random.Random, n: int) -> list[object]:
    zone = rng.choices([z for z, _ in ZONES], [w for _, w in ZONES])[0]
    tier = rng.choices(("classic", "gold", "platinum"), (60, 30, 10))[0]
    tenure = rng.choices((1, 2, 4, 8, 14, 26, 40, 75, 120), (3, 3, 6, 10, 14, 18, 18, 16, 12))[0]
    spend = round(rng.lognormvariate(6.5 + 0.4 * ("classic", "gold", "platinum").index(tier), 0.6))
    change = round(rng.gauss(-5, 25), 1)
    churn = min(
        0.99, max(0.01, round(rng.betavariate(2.4, 3.6) + (0.25 if change < -30 else 0), 2))
    )
    fee_card = tier != "classic" or rng.random() < 0.2
    fee_due = rng.randint(0, 364) if fee_card else ""
    return [
        f"C{n:06d}",
        zone,
        tier,
        tenure,
        spend,
        change,
        min(99.0, round(rng.betavariate(2, 3) * 110, 1)),
        fee_due,
        churn,
        str(rng.random() < 0.7).lower(),
        str(rng.random() < 0.8).lower(),
        str(rng.random() < 0.6).lower(),
        str(rng.random() < 0.55).lower(),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=4000)
    args = ap.parse_args()
    rng = random.Random(2027)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "customers.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(COLUMNS)
        for n in range(1, args.rows + 1):
            out.writerow(cardholder(rng, n))


if __name__ == "__main__":
    main()
