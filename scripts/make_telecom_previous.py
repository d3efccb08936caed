"""Generate the telecom example's previous customer table (a month earlier), deterministically.

    .venv/bin/python scripts/make_telecom_previous.py

Writes examples/telecom_winback/data/customers_previous.csv from data/customers.csv: the same
subscribers as they were a month before, so that `stratlang lists --previous` finds movement.
Every subscriber is a month younger in tenure, an annual contract is 30 days further from its
end, a churned subscriber churned 30 days later (those who churned in the last 30 days were
still active then, with their spend), and, chosen by a hash of the id: one in eight had a bill
a third higher (some fell out of a value tier since), one in eight a bill a third lower (some
rose), one in fifty is new this month (not in the previous table), and fifty subscribers of
last month have left the base. This is a data generator for the example, not part of
stratlang.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "examples" / "telecom_winback" / "data"
GONE = 50  # subscribers in last month's table only


def _bucket(key: str, n: int) -> int:
    return zlib.crc32(key.encode("utf-8")) % n


def month_earlier(row: dict[str, str]) -> dict[str, str] | None:
    """The subscriber a month before; None for a subscriber who is new this month."""
    key = row["id"]
    if _bucket(key + "/new", 50) == 0:
        return None
    old = dict(row)
    old["tenure_months"] = str(max(0, int(row["tenure_months"]) - 1))
    spend = float(row["monthly_spend"])
    if _bucket(key, 8) == 0:
        old["monthly_spend"] = f"{spend * 4 / 3:.2f}"
    elif _bucket(key, 8) == 1:
        old["monthly_spend"] = f"{spend * 3 / 4:.2f}"
    if row["contract_end_days"]:
        old["contract_end_days"] = str(int(row["contract_end_days"]) + 30)
    if row["churned_days"]:
        days = int(row["churned_days"]) - 30
        if days < 0 and row["status"] == "churned":
            old["status"], old["churned_days"] = "active", ""
        else:
            old["churned_days"] = str(max(days, 0))
    return old


def main() -> None:
    with (DATA / "customers.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    previous = [old for row in rows if (old := month_earlier(row)) is not None]
    template = rows[0]
    for i in range(1, GONE + 1):  # left the base since: in last month's table only
        gone = dict(template, id=f"C9{i:07d}", name=f"Former subscriber {i}")
        gone["email"] = f"former{i}@example.com"
        previous.append(gone)
    with (DATA / "customers_previous.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(previous)


if __name__ == "__main__":
    main()
