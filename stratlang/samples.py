"""Seeded sample customers for a project's schema: realistic values, boundary values and NULLs.

    python -m stratlang.samples ENTRY -n 20000 -o customers.csv [--seed 7] [--format csv|parquet]

Values are generated per field from its type and name (bank wealth clients: ages, AUM log-normal
in CNY, payroll flags, risk levels; telecom/retail churn fields: spend, churn scores, days since
…). Every literal a segment rule or `when rule` compares a field with is also planted, with its
neighbours (v-1, v, v+1 for counts; v-0.01, v, v+0.01 for money), so rule boundaries are hit;
`optional` fields are NULL in about 12% of rows. The same seed gives the same file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import sys
from pathlib import Path

from .model import Field, Model
from .rules import All, Any, Between, Cmp, Member, Neg, NExpr, Value

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁琳晨欣怡"
FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Wei",
    "Priya",
    "Carlos",
    "Aisha",
    "Yuki",
    "Olga",
    "Mohammed",
    "Fatima",
    "Liam",
    "Emma",
    "Noah",
    "Olivia",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Chen",
    "Kumar",
    "Nguyen",
    "Khan",
    "Tanaka",
    "Ivanova",
    "Okafor",
    "Silva",
    "Müller",
    "O'Brien",
]
OPTIONAL_NULL_SHARE = 0.12
BOUNDARY_SHARE = 0.08


def rule_literals(model: Model) -> dict[str, list[Value]]:
    """Field -> literal values compared in any segment rule or rule trigger (their typed trees)."""
    out: dict[str, list[Value]] = {}
    triggers = [p.trigger for p in model.plays.values() if p.trigger is not None]
    typed = [s.typed_rule for s in model.segments.values()] + [t.typed_rule for t in triggers]
    for rule in typed:
        if rule is not None:
            _collect_literals(rule, out)
    return out


def _collect_literals(rule: NExpr, out: dict[str, list[Value]]) -> None:
    stack = [rule]  # an explicit stack: rules may nest deeper than Python's recursion limit
    while stack:
        n = stack.pop()
        if isinstance(n, (All, Any)):
            stack.extend(n.items)
        elif isinstance(n, Neg):
            stack.append(n.item)
        elif isinstance(n, Cmp):
            out.setdefault(n.field, []).append(n.value)
        elif isinstance(n, Between):
            out.setdefault(n.field, []).extend([n.low, n.high])
        elif isinstance(n, Member):
            out.setdefault(n.field, []).extend(n.values)


class _Gen:
    def __init__(self, model: Model, seed: int) -> None:
        self.model = model
        self.rng = random.Random(seed)
        self.literals = rule_literals(model)
        self.zh = (model.strategy.locale or "zh-CN").lower().startswith("zh")
        period = model.strategy.period
        self.today = period[0] if period else dt.date(2026, 1, 1)

    def boundary(self, f: Field) -> Value:
        lits = [v for v in self.literals.get(f.name, []) if v is not None]
        if not lits or self.rng.random() >= BOUNDARY_SHARE:
            return None
        v = self.rng.choice(lits)
        if f.type == "enum" or f.type == "bool" or f.type == "string":
            return v
        # The rules are typed against the schema: a date field's literals are dates, and those
        # of the other (number) types are numbers.
        if f.type == "date":
            assert isinstance(v, dt.date)
            return v + dt.timedelta(days=self.rng.choice((-1, 0, 1)))
        assert isinstance(v, (int, float))
        step = 1 if f.type == "int" else (0.01 if f.type in ("money", "float") else 0.5)
        out = v + self.rng.choice((-step, 0, step))
        return int(out) if f.type == "int" else round(out, 2)

    def value(self, f: Field, i: int, row: dict[str, Value]) -> Value:
        rng = self.rng
        name = f.name.lower()
        if f.key:
            return f"C{i + 1:08d}" if f.type == "string" else i + 1
        if f.optional and rng.random() < OPTIONAL_NULL_SHARE:
            return None
        b = self.boundary(f)
        if b is not None:
            if f.type == "enum":
                return f.enum_values[b] if isinstance(b, int) else b
            return b
        t = f.type
        if t == "enum":
            vals = f.enum_values
            if f.risk_tolerance or "risk" in name:  # most customers are balanced (R2/R3)
                weights = [0.1, 0.35, 0.35, 0.14, 0.06][: len(vals)] + [0.05] * max(
                    0, len(vals) - 5
                )
            elif "status" in name and "active" in vals:
                weights = [0.8 if v == "active" else 0.2 / max(1, len(vals) - 1) for v in vals]
            else:
                weights = [1.0 / (k + 1.5) for k in range(len(vals))]
            return rng.choices(vals, weights=weights)[0]
        if t == "bool":
            p = 0.5
            if "payroll" in name or "代发" in name:
                p = 0.3
            elif "consent" in name or "active" in name:
                p = 0.65
            return rng.random() < p
        if t == "string":
            if "name" in name or "姓名" in name:
                if self.zh:
                    return rng.choice(SURNAMES) + "".join(
                        rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
                    )
                return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if "mail" in name:
                return f"user{i + 1}@example.com"
            if "phone" in name or "mobile" in name:
                return f"1{rng.randint(30, 99)}{rng.randint(0, 99999999):08d}"
            lits = [v for v in self.literals.get(f.name, []) if isinstance(v, str)]
            if lits and rng.random() < 0.5:
                return rng.choice(lits)
            return f"{f.name}_{rng.randint(1, 20)}"
        if t == "date":
            return self.today - dt.timedelta(days=int(rng.expovariate(1 / 240)))
        if t == "percent":
            if "churn" in name or "risk" in name or "lapse" in name or "score" in name:
                return round(100 * rng.betavariate(1.6, 4.0), 1)
            return round(rng.uniform(0, 100), 1)
        if t in ("money", "float"):
            if "aum" in name or "asset" in name or "balance" in name or "deposit" in name:
                return round(rng.lognormvariate(math.log(60000), 1.7), 2)
            if "spend" in name or "arpu" in name or "bill" in name or "fee" in name:
                return round(rng.lognormvariate(math.log(55), 0.6), 2)
            if "premium" in name:
                return round(rng.lognormvariate(math.log(6000), 0.8), 2)
            return round(rng.lognormvariate(math.log(1000), 1.0), 2)
        if t == "int":
            if name == "age" or name.endswith("_age"):
                return max(18, min(90, int(rng.gauss(44, 15))))
            if "tier" in name:
                return rng.choices([1, 2, 3, 4, 5], weights=[15, 25, 30, 20, 10])[0]
            if "tenure" in name or "months" in name:
                return int(rng.expovariate(1 / 48))
            if "days" in name:
                return int(rng.expovariate(1 / 60))
            if (
                "held" in name
                or "count" in name
                or "num" in name
                or "products" in name
                or "policies" in name
                or name.endswith("_12m")
            ):
                return min(12, int(rng.expovariate(1 / 1.8)))
            return rng.randint(0, 100)
        return None


def generate(model: Model, n: int = 1000, seed: int = 7, derived: bool = False) -> list[dict]:
    """n customer records (field name -> Python value; None = NULL) for the model's schema.

    `derived`: also a value for each history aggregate the rules use (by its rule text), drawn
    like a field's and never below the aggregate's minimum — what a customer's history would
    yield, for testing rules without generating the history itself."""
    if model.schema is None:
        raise ValueError("the project declares no schema")
    g = _Gen(model, seed)
    fields = list(model.schema.rule_fields.values() if derived else model.schema.fields.values())
    rows = []
    for i in range(n):
        row: dict[str, Value] = {}
        for f in fields:
            v = g.value(f, i, row)
            if f.minimum is not None and isinstance(v, (int, float)) and v < f.minimum:
                v = f.minimum
            row[f.name] = v
        rows.append(row)
    return rows


def _text(v: Value) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(round(v, 2)) if not v.is_integer() else str(int(v))
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def to_csv(model: Model, rows: list[dict]) -> str:
    if model.schema is None:
        raise ValueError("the project declares no schema")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = list(model.schema.fields)
    w.writerow(names)
    for r in rows:
        w.writerow([_text(r[n]) for n in names])
    return buf.getvalue()


def write(model: Model, path: Path, n: int = 20000, seed: int = 7) -> Path:
    """Write sample customers as CSV (or Parquet for a .parquet path), atomically."""
    from .output import atomic_write

    path = Path(path)
    rows = generate(model, n, seed)
    text = to_csv(model, rows)
    if path.suffix.lower() in (".parquet", ".pq"):
        import duckdb

        tmp = path.with_name(f".{path.name}.csv.tmp")
        tmp.write_text(text, encoding="utf-8")
        try:
            con = duckdb.connect()
            from .engine.data import prepare

            prepare(con, tmp, model.schema)
            from sqlglot import exp

            out = exp.Literal.string(str(path)).sql("duckdb")
            con.execute(f"COPY customers TO {out} (FORMAT parquet)")
            con.close()
        finally:
            tmp.unlink(missing_ok=True)
        return path
    atomic_write(path, text)
    return path


def main(argv: list[str] | None = None) -> int:
    import argparse

    from .check import check_entry

    ap = argparse.ArgumentParser(
        prog="python -m stratlang.samples", description=__doc__.splitlines()[0]
    )
    ap.add_argument("entry")
    ap.add_argument("-n", "--rows", type=int, default=20000)
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    res = check_entry(Path(a.entry))
    if res.model is None or res.model.schema is None:
        print("error: the project has no schema", file=sys.stderr)
        return 2
    write(res.model, Path(a.out), a.rows, a.seed)
    print(f"wrote {a.rows} customers to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
