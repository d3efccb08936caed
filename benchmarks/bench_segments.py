"""Pairwise overlap of 500 generated segments: how long the exact check takes.

    .venv/bin/python benchmarks/bench_segments.py [N] [SEED]

Generates N segment rules (conjunctions of 1-4 tests, some with `or`/`not`/`in`) over a 10-field
schema, type-checks them through the real pipeline, then decides overlap for every pair
(N*(N-1)/2) with the solver, and builds + confirms witnesses for the overlapping pairs.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from stratlang.check import check_entry
from stratlang.check.evaluator import evaluate
from stratlang.check.segments import reasoner
from stratlang.check.solver import overlap_env

HEADER = """strategy "Bench" { period 2026-01-01 .. 2026-12-31 }
schema customer {
  id string key
  age int
  aum money
  payroll bool
  tenure int
  city_tier int
  risk_level enum(R1, R2, R3, R4, R5) risk_tolerance
  channel string
  opened date
  email string optional
}
"""


def test(rng):
    k = rng.randrange(9)
    if k == 0:
        a = rng.randrange(18, 70)
        return f"age between {a} and {a + rng.randrange(1, 20)}"
    if k == 1:
        return f"aum {rng.choice(['<', '>=', '>', '<='])} {rng.choice([5, 10, 20, 50, 100, 300])}万"
    if k == 2:
        return rng.choice(["payroll", "not payroll"])
    if k == 3:
        return f"tenure {rng.choice(['<', '>='])} {rng.randrange(1, 120)}"
    if k == 4:
        return f"city_tier in [{', '.join(str(x) for x in sorted(rng.sample(range(1, 6), rng.randrange(1, 4))))}]"
    if k == 5:
        return f"risk_level {rng.choice(['>=', '<=', '='])} R{rng.randrange(1, 6)}"
    if k == 6:
        return f'channel {rng.choice(["=", "!="])} "{rng.choice(["app", "branch", "web"])}"'
    if k == 7:
        return (
            f"opened {rng.choice(['<', '>='])} 20{rng.randrange(10, 26)}-0{rng.randrange(1, 10)}-01"
        )
    return rng.choice(["email is missing", "email is present"])


def rule(rng):
    parts = [test(rng) for _ in range(rng.randrange(1, 5))]
    if rng.random() < 0.2:
        parts.append(f"({test(rng)} or {test(rng)})")
    if rng.random() < 0.1:
        parts.append(f"not ({test(rng)} and {test(rng)})")
    return " and ".join(parts)


def main(n=500, seed=1):
    rng = random.Random(seed)
    text = HEADER + "".join(f"segment s{i} {{ rule {rule(rng)} }}\n" for i in range(n))
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "main.strat"
        p.write_text(text, encoding="utf-8")
        t0 = time.perf_counter()
        res = check_entry(p, checks=False)
        t_parse = time.perf_counter() - t0
    model = res.model
    r = reasoner(model)
    ids = list(model.segments)
    t0 = time.perf_counter()
    comp = [r.compiled(s) for s in ids]
    t_compile = time.perf_counter() - t0
    comp = [c for c in comp if c is not None]
    t0 = time.perf_counter()
    pairs = overl = 0
    found = []
    space = r.space
    for j in range(len(comp)):
        b = comp[j]
        for i in range(j):
            pairs += 1
            env = overlap_env(space, comp[i], b)
            if env is not None:
                overl += 1
                found.append((comp[i], b, env))
    t_pairs = time.perf_counter() - t0
    t0 = time.perf_counter()
    confirmed = 0
    for a, b, env in found:
        w = space.witness(env)
        if evaluate(a.rule, w, model.schema) is True and evaluate(b.rule, w, model.schema) is True:
            confirmed += 1
    t_wit = time.perf_counter() - t0
    print(
        f"segments: {len(comp)} (parse+resolve {t_parse:.2f}s, compile {t_compile * 1000:.0f} ms)"
    )
    print(
        f"pairs: {pairs}, overlapping: {overl}, overlap verdicts in {t_pairs * 1000:.0f} ms "
        f"({t_pairs / max(pairs, 1) * 1e6:.1f} us/pair)"
    )
    print(
        f"witnesses built and confirmed by the evaluator: {confirmed}/{overl} in {t_wit * 1000:.0f} ms"
    )
    return 0 if confirmed == overl else 1


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:3])))
