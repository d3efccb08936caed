#!/usr/bin/env python3
"""Generate a cascade of strategy projects for benchmarks: one head office and N branches.

    python benchmarks/gen_cascade.py --branches 200 -o benchmarks/.work/cascade   # ~60k lines

The projects are the realistic example examples/retail_cascade (head office + Shenzhen branch)
scaled up: the head office declares a unit per branch; each branch is the Shenzhen project with
its own unit and teams, `parent "../hq"`, its additive targets (AUM, fee income, new clients)
set so that all branches together reach the head office's values, and extra aligned objectives
(so a branch is about 300 lines, like a real branch plan). Seeded and deterministic.

Layout: DIR/hq/main.strat, DIR/bNNN/main.strat (siblings, as in the example: `parent "../hq"`
stays inside DIR outside a repository too). `stratlang check DIR` checks the tree.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "retail_cascade"

# the head office's additive targets (aum_total in 亿, fee_income in 万, new_clients a count):
# every branch gets a share, the shares add up to at least the head office's value
ADDITIVE = {"aum_total": 1200.0, "fee_income": 12000.0, "new_clients": 60000.0}

EXTRA_PER_BRANCH = 12  # aligned objectives added to each branch (7 lines each)
EXTRA = (  # (perspective, parent objective, label, target id, label, op, value, baseline)
    ("customer", "C2", "网点客户满意度", "branch_nps", "网点净推荐值", ">=", "45", "32"),
    ("process", "P2", "厅堂销售合规", "complaints", "销售类投诉件数", "<=", "20", "35"),
    ("process", "P1", "代发企业拓展", "payroll_firms", "新增代发企业数", ">=", "60", "0"),
    ("learning", "L1", "理财经理队伍建设", "planners", "持证理财经理人数", ">=", "40", "25"),
)

EFFECT = {"customer": "SZ_F1", "process": "SZ_C1", "learning": "SZ_P1"}  # each extra's link


def _units(n: int) -> str:
    return "\n".join(f'unit branch_{i:03d} "第{i}分行" {{ parent retail_hq }}' for i in range(n))


def head_office(n: int) -> str:
    text = (EXAMPLE / "hq" / "main.strat").read_text(encoding="utf-8")
    old = re.search(r"unit branch_sz .*\nunit branch_gz .*\n", text)
    assert old, "the example's head office declares branch_sz and branch_gz"
    return text.replace(old.group(0), _units(n) + "\n")


def _shares(total: float, n: int, r: random.Random) -> list[float]:
    """n positive shares adding up to at least `total` (rounded up to 2 decimals each)."""
    weights = [r.uniform(0.5, 1.5) for _ in range(n)]
    s = sum(weights)
    return [-(-total * w / s * 100 // 1) / 100 for w in weights]  # ceil to 0.01


def branch(i: int, template: str, values: dict[str, float], r: random.Random) -> str:
    text = template.replace("branch_sz", f"branch_{i:03d}")
    text = text.replace("sz_wealth", f"b{i:03d}_wealth").replace("sz_payroll", f"b{i:03d}_payroll")
    text = text.replace("深圳分行", f"第{i}分行").replace("深圳", f"第{i}分行")
    text = re.sub(r"(aum_total .*?>= )700亿", rf"\g<1>{values['aum_total']}亿", text)
    text = re.sub(r"(fee_income .*?>= )7000万", rf"\g<1>{values['fee_income']}万", text)
    text = re.sub(r"(new_clients .*?>= )3.5万", rf"\g<1>{values['new_clients']:.0f}", text)
    text = text.replace("baseline 590亿", f"baseline {values['aum_total'] * 0.85:.2f}亿")
    text = text.replace("baseline 5200万", f"baseline {values['fee_income'] * 0.75:.2f}万")
    extra = ["", "# ---------------------------------------------------------------- 专项目标"]
    for k in range(EXTRA_PER_BRANCH):
        persp, parent, label, tid, tlabel, op, value, baseline = EXTRA[k % len(EXTRA)]
        v = int(value) + r.randint(-3, 3)
        extra += [
            "",
            f'objective X{k:02d} "{label}（{k + 1}）" {{',
            f"  perspective {persp}",
            f"  owner       b{i:03d}_wealth",
            f"  align       {parent}",
            f'  target      {tid} "{tlabel}" {op} {v} by 2026-12-31 baseline {baseline}',
            "}",
            f"X{k:02d} -> {EFFECT[persp]}",
        ]
    extra += [
        "",
        'initiative extra_support "专项目标推进" {',
        "  supports    " + ", ".join(f"X{k:02d}" for k in range(EXTRA_PER_BRANCH)),
        f'  owner       "第{i}分行零售部"',
        "}",
    ]
    return text + "\n".join(extra) + "\n"


def generate(branches: int, seed: int = 2026) -> dict[str, str]:
    """Relative path -> text of every project file of the tree."""
    r = random.Random(seed)
    template = (EXAMPLE / "shenzhen" / "main.strat").read_text(encoding="utf-8")
    shares = {k: _shares(v, branches, r) for k, v in ADDITIVE.items()}
    files = {"hq/main.strat": head_office(branches)}
    for i in range(branches):
        values = {k: s[i] for k, s in shares.items()}
        files[f"b{i:03d}/main.strat"] = branch(i, template, values, r)
    return files


def write_tree(out: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--branches", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("-o", "--out", type=Path, required=True, help="output directory")
    a = ap.parse_args(argv)
    files = generate(a.branches, a.seed)
    write_tree(a.out, files)
    lines = sum(t.count("\n") for t in files.values())
    print(f"wrote {len(files)} projects ({lines} lines) to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
