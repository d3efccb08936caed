"""Rule tests and single-customer evaluation: `stratlang test` and `stratlang eval`.

`customer` explains one customer; `fixtures` reads and runs fixture files.

`explain_customer` runs the reference evaluator (`check.evaluator`) on one customer record and
says what the lists would do with them: every segment's rule part by part (held, failed, unknown),
the tier of each tiering, the plays in assignment order with the reason each admits or refuses, the
holdout, control and arm by the same hashes as the compiled SQL (`backends.sql.bucket_of`).

A fixture file (`*.test.csv`, docs/testing.md) is a CSV table of example customers: any of the
schema's fields, plus `expect_*` columns saying what each must (and must not) get. `run_fixture`
evaluates every row and returns TST901 diagnostics placed on the cell whose expectation failed,
TST902 for a fixture that cannot be read as the schema says.

What the lists depend on beyond one customer is not modelled: channel capacity (it depends on the
whole population), a contact log's limits, and transition triggers (they need the previous data:
such plays admit nobody here, as in `lists` without `--previous`).
"""

from __future__ import annotations

from .customer import (
    Condition,
    FixtureError,
    Outcome,
    PlayResult,
    SegmentResult,
    explain_customer,
    parse_value,
    record_from_json,
    rule_conditions,
)
from .fixtures import (
    EXPECT_COLUMNS,
    FIXTURE_SUFFIX,
    FixtureResult,
    discover,
    entry_of,
    run_fixture,
    split_cells,
)

__all__ = [
    "EXPECT_COLUMNS",
    "FIXTURE_SUFFIX",
    "Condition",
    "FixtureError",
    "FixtureResult",
    "Outcome",
    "PlayResult",
    "SegmentResult",
    "discover",
    "entry_of",
    "explain_customer",
    "parse_value",
    "record_from_json",
    "rule_conditions",
    "run_fixture",
    "split_cells",
]
