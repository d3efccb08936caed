#!/usr/bin/env bash
# `make demo`: set up, then build the bank-wealth example (maps, playbook, model, contact lists).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

.venv/bin/stratlang build examples/bank_wealth/main.strat -o out/bank_wealth \
  --data examples/bank_wealth/data/customers.csv

echo
echo "demo: wrote out/bank_wealth/ (open out/bank_wealth/playbook.html in a browser)"
ls -1 out/bank_wealth
