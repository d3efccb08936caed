"""Generate the telecom example's history tables from its customer table, deterministically.

    .venv/bin/python scripts/make_telecom_history.py

Writes examples/telecom_winback/data/monthly.csv.gz (one snapshot per subscriber and month,
2025-04 .. 2026-03) and data/topups.csv.gz (prepaid top-ups, 2025-10-01 .. 2026-03-14). The
shapes are chosen so that the example's history rules find people: a sixth of the mid-value
subscribers whose bills rose three months running, postpaid subscribers whose data use fell by
half in the last quarter, prepaid subscribers who stopped topping up. New subscribers (tenure
under a month) have no history at all. This is a data generator for the example, not part of
stratlang: stratlang reads these files with DuckDB or Spark like any other.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import random
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "examples" / "telecom_winback" / "data"
MONTHS = [
    dt.date(2025 + (3 + m) // 12, (3 + m) % 12 + 1, 1) for m in range(12)
]  # 2025-04 .. 2026-03
AS_OF = dt.date(2026, 3, 15)


def main() -> None:
    rng = random.Random(2026)
    with open(DATA / "customers.csv", newline="", encoding="utf-8") as f:
        customers = list(csv.DictReader(f))
    monthly: list[tuple] = []
    topups: list[tuple] = []
    for c in customers:
        tenure = int(c["tenure_months"])
        if tenure < 1:
            continue
        spend = float(c["monthly_spend"])
        shape = rng.random()
        rising = 40 <= spend < 100 and shape < 0.17
        falling = c["contract"] != "prepaid" and 0.17 <= shape < 0.27
        gb = round(rng.uniform(2, 30), 1)
        churned_at = None
        if c["status"] == "churned" and c["churned_days"]:
            churned_at = AS_OF - dt.timedelta(days=int(c["churned_days"]))
        for i, month in enumerate(MONTHS):
            if i < 12 - tenure or (churned_at is not None and month > churned_at):
                continue
            if rising and i >= 8:
                bill = spend * (0.85 + 0.06 * (i - 8))
            else:
                bill = spend * rng.uniform(0.92, 1.05)
            use = gb * (0.45 if falling and i >= 10 else 1) * rng.uniform(0.9, 1.1)
            monthly.append((c["id"], month.isoformat(), f"{bill:.2f}", f"{use:.1f}"))
        if c["contract"] == "prepaid":
            idle = int(c["days_since_last_usage"])
            day = dt.date(2025, 10, 1) + dt.timedelta(days=rng.randrange(20))
            last = AS_OF - dt.timedelta(days=idle)
            while day <= last:
                amount = rng.choice((10, 15, 20, 30))
                topups.append(
                    (c["id"], day.isoformat(), f"{amount}.00", rng.choice(("app", "store", "web")))
                )
                day += dt.timedelta(days=rng.randrange(12, 35))
    _write(DATA / "monthly.csv.gz", ("subscriber_id", "month", "spend", "data_gb"), monthly)
    _write(DATA / "topups.csv.gz", ("subscriber_id", "paid_on", "amount", "channel"), topups)
    print(f"monthly: {len(monthly)} rows, topups: {len(topups)} rows")


def _write(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    # mtime=0: the same bytes on every run
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        text = "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"
        gz.write(text.encode("utf-8"))


if __name__ == "__main__":
    main()
