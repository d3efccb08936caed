"""Regenerate customers.csv: synthetic, deterministic sample data for the bank_wealth example.

    python examples/bank_wealth/data/generate.py [ROWS]

Every value is invented (names are 客户00001 …). The distributions are rough but plausible for a
city commercial bank: about 5% of customers hold 100万 or more, about 20% hold 20万–100万; payroll
customers skew young; risk tolerance rises with wealth and falls after 60; optional fields are
empty where the schema allows it.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

FIELDS = ["id", "name", "age", "city_tier", "aum", "payroll", "tenure_months", "products_held",
          "last_txn_days", "mobile_active", "marketing_consent", "channel_pref", "risk_level",
          "risk_assessed_on", "deposit_maturity_days", "email"]


def customer(i: int, rnd: random.Random) -> list:
    age = min(85, max(18, int(rnd.gauss(44, 14))))
    payroll = rnd.random() < (0.55 if age <= 35 else 0.35 if age < 60 else 0.05)
    tier = rnd.choices([1, 2, 3, 4, 5], [15, 25, 30, 20, 10])[0]
    band = rnd.random()
    if band < 0.05:
        aum = rnd.randint(1_000_000, 8_000_000)
    elif band < 0.25:
        aum = rnd.randint(200_000, 999_999)
    else:
        aum = int(rnd.paretovariate(1.2) * 3_000) if rnd.random() < 0.6 else rnd.randint(0, 199_999)
        aum = min(aum, 199_999)
    mobile = rnd.random() < (0.85 if age < 45 else 0.6 if age < 60 else 0.3)
    pref = rnd.choices(["app", "wechat", "phone", "branch"],
                       [50, 25, 15, 10] if age < 45 else [25, 25, 25, 25] if age < 60 else [10, 15, 40, 35])[0]
    level = 1 + (aum >= 50_000) + (aum >= 200_000) + (rnd.random() < 0.4) + (rnd.random() < 0.15)
    if age >= 60:
        level = max(1, level - 1)
    level = min(level, 5)
    assessed = ""
    if level > 1 or rnd.random() < 0.5:
        assessed = (dt.date(2025, 1, 1) + dt.timedelta(days=rnd.randint(0, 420))).isoformat()
    maturity = rnd.randint(0, 365) if rnd.random() < (0.45 if age >= 45 else 0.2) else ""
    return [
        f"C{i:05d}", f"客户{i:05d}", age, tier, aum, str(payroll).lower(), rnd.randint(1, 240),
        rnd.choices([0, 1, 2, 3, 4, 5, 6], [5, 30, 25, 18, 12, 7, 3])[0],
        rnd.randint(0, 30) if mobile else rnd.randint(0, 400), str(mobile).lower(),
        str(rnd.random() < 0.7).lower(), pref, f"R{level}", assessed, maturity,
        f"c{i:05d}@example.com" if rnd.random() < 0.4 else "",
    ]


def main(rows: int = 2000) -> None:
    rnd = random.Random(2026)
    out = Path(__file__).with_name("customers.csv")
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(FIELDS)
        for i in range(1, rows + 1):
            w.writerow(customer(i, rnd))
    print(f"wrote {rows} customers to {out}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
