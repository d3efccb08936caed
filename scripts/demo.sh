#!/usr/bin/env bash
# `make demo`: set up, then build the bank-wealth example (maps, playbook, model, contact lists and
# the review of its actuals), on a fixed day so the output is the same whenever it is run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

.venv/bin/stratlang build examples/bank_wealth/main.strat -o out/bank_wealth \
  --data examples/bank_wealth/data/customers.csv --as-of 2026-07-15 \
  --actuals examples/bank_wealth/data/actuals.csv --outcomes examples/bank_wealth/data/outcomes.csv

echo
echo "demo: wrote out/bank_wealth/ (open out/bank_wealth/playbook.html and review.html in a browser)"
ls -1 out/bank_wealth
