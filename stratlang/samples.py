"""Seeded sample customers for a project's schema: realistic values, boundary values, NULLs, and
members for every segment (`stratlang sample-data`; docs/data.md, "Sample customers").

    python -m stratlang.samples ENTRY -n 20000 -o customers.csv [--seed 7] [--format csv|parquet]

Values are generated per field from its type and name (bank wealth clients: ages, AUM log-normal
in CNY, payroll flags, risk levels; telecom/retail churn fields: spend, churn scores, days since
…; real IANA zones for the `timezone` field). Every literal a segment rule or `when rule` compares a
field with is also planted, with its neighbours (v-1, v, v+1 for counts; v-0.01, v, v+0.01 for
money), so rule boundaries are hit; `optional` fields are NULL in about 12% of rows. `sample` adds
a history for each history table and, for a segment no row falls in, members built from the
solver's witness (confirmed by the reference evaluator). The same seed gives the same file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .model import Field, History, Model, Schema
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
# real IANA zones (every one known to zoneinfo and DuckDB's ICU), the first most common
ZONES_ZH = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "America/Los_Angeles",
)
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
)


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
    def __init__(self, model: Model, seed: int, as_of: dt.date | None = None) -> None:
        self.model = model
        self.rng = random.Random(seed)
        self.literals = rule_literals(model)
        self.zh = (model.strategy.locale or "zh-CN").lower().startswith("zh")
        period = model.strategy.period
        self.today = as_of or (period[0] if period else dt.date(2026, 1, 1))

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
            if f.timezone:
                zones = ZONES_ZH if self.zh else ZONES
                return rng.choices(zones, weights=[1.0 / (k + 0.6) for k in range(len(zones))])[0]
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
            if lits and rng.random() < 0.2:
                return rng.choice(lits)
            return f"{f.name}_{rng.randint(1, 20)}"
        if t == "date":
            return self.today - dt.timedelta(days=int(rng.expovariate(1 / 240)))
        if t == "percent":
            if "change" in name or "growth" in name or "delta" in name:
                return round(rng.gauss(0, 20), 1)
            if "churn" in name or "risk" in name or "lapse" in name or "score" in name:
                return round(100 * rng.betavariate(1.6, 4.0), 1)
            return round(rng.uniform(0, 100), 1)
        if t in ("money", "float"):
            if "aum" in name or "asset" in name or "balance" in name or "deposit" in name:
                return round(rng.lognormvariate(math.log(60000), 1.7), 2)
            if "spend" in name or "arpu" in name or "bill" in name or "fee" in name:
                return round(rng.lognormvariate(math.log(55), 0.6), 2)
            if t == "float" and ("score" in name or "prob" in name or "propensity" in name):
                return round(rng.betavariate(1.6, 4.0), 3)
            if "gb" in name.split("_") or "data" in name:
                return round(rng.lognormvariate(math.log(8), 0.9), 1)
            if "amount" in name:
                return round(rng.lognormvariate(math.log(40), 0.9), 2)
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
                or "complaint" in name
                or "visits" in name
                or name.endswith(("_12m", "_90d", "_30d", "_7d"))
            ):
                return min(12, int(rng.expovariate(1 / 1.8)))
            return rng.randint(0, 100)
        return None


def generate(
    model: Model, n: int = 1000, seed: int = 7, derived: bool = False, as_of: dt.date | None = None
) -> list[dict]:
    """n customer records (field name -> Python value; None = NULL) for the model's schema.

    `derived`: also a value for each history aggregate the rules use (by its rule text), drawn
    like a field's and never below the aggregate's minimum — what a customer's history would
    yield, for testing rules without generating the history itself."""
    if model.schema is None:
        raise ValueError("the project declares no schema")
    g = _Gen(model, seed, as_of)
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


# --------------------------------------------------------------------------- coverage and history

PLANTED_MAX = 20  # members planted per segment the random rows left empty
SEARCH_TRIES = 400  # random histories tried for a segment whose rule reads history aggregates


@dataclass
class Samples:
    """Sample customers, their history tables' rows (table id -> rows) and the segments that are
    still empty (no witness the reference evaluator confirms)."""

    customers: list[dict]
    history: dict[str, list[dict]]
    empty: list[str]
    planted: dict[str, int]  # segment -> members planted from its witness


def sample(model: Model, n: int = 10000, seed: int = 7, as_of: dt.date | None = None) -> Samples:
    """Customers (`generate`) with a history for each table the project declares, then, for every
    segment no row falls in, members built from the solver's witness for its rule (and, for a
    rule on history aggregates, a history found by a seeded search), each confirmed by the
    reference evaluator. Deterministic for a seed, n and as-of day."""
    from .check.evaluator import evaluate, with_aggregates
    from .check.solver import Space, T, Undecided

    if model.schema is None or model.schema.key is None:
        raise ValueError("the project declares no schema with a key")
    schema = model.schema
    day = as_of or dt.date.today()
    rows = generate(model, n, seed, as_of=day)
    g = _Gen(model, seed + 1, day)
    key = schema.key
    assert key is not None  # checked above
    hist: dict[str, dict[object, list[dict]]] = {h: {} for h in model.histories}
    for r in rows:
        for h in model.histories:
            hist[h][r[key]] = _history_rows(g, model, h, r, day, None)
    rules = {sid: model.typed_segment_rule(sid) for sid in model.segments}

    def member(rule, rec, k) -> bool:
        if schema.derived:
            rec = with_aggregates(
                rec, {h: v.get(k, ()) for h, v in hist.items()}, schema, model.histories, day
            )
        try:
            return evaluate(rule, rec, schema) is True
        except (ValueError, TypeError):
            return False

    found: set[str] = set()  # segments some row already falls in
    for r in rows:
        for sid, rule in rules.items():
            if rule is not None and sid not in found and member(rule, r, r[key]):
                found.add(sid)
    space = Space(schema, day)
    planted: dict[str, int] = {}
    used: set[int] = set()
    per = max(1, min(PLANTED_MAX, n // 500))
    for sid, rule in rules.items():
        if rule is None or sid in found:
            continue
        try:
            env = space.solve(space.pos(rule, T))
        except Undecided:
            env = None
        if env is None:
            continue
        free = [i for i in range(n) if i not in used] or list(range(n))
        for i in g.rng.sample(free, min(per, len(free))):
            rec = _fit(space, env, rows[i], key, g)
            k = rec[key]
            saved = {h: hist[h].get(k, []) for h in hist}
            ok = False
            reads = _tables_read(rule)
            for _ in range(SEARCH_TRIES if reads else 2):
                for h in reads:
                    hist[h][k] = _history_rows(g, model, h, rec, day, g.rng)
                if member(rule, rec, k):
                    ok = True
                    break
                if not reads:
                    rec = {**space.witness(env), key: k}
            if ok:
                rows[i] = rec
                used.add(i)
                planted[sid] = planted.get(sid, 0) + 1
            else:
                for h in hist:
                    hist[h][k] = saved[h]
    empty = [
        sid
        for sid, rule in rules.items()
        if rule is None or not any(member(rule, r, r[key]) for r in rows)
    ]
    history = {h: [x for r in rows for x in hist[h].get(r[key], [])] for h in model.histories}
    return Samples(rows, history, empty, planted)


def _tables_read(rule: NExpr) -> list[str]:
    """The history tables a rule's aggregates read (by the aggregate text `func(table…`)."""
    fields: dict[str, list[Value]] = {}
    out: set[str] = set()
    _collect_literals(rule, fields)
    for name in fields:
        if "(" in name:
            rest = name.split("(", 1)[1].removeprefix("last ").strip()
            out.add(re.split(r"[.\s)]", rest, maxsplit=1)[0])
    return sorted(out)


def _fit(space, env, row: dict, key: str, g: _Gen) -> dict:
    """The row changed only where the witness conjunct `env` needs it: each field whose value is
    not in the conjunct's set gets a value of the set (the row's own value if it is)."""
    rec = dict(row)
    for name, (null_ok, dom) in env.items():
        fi = space.info.get(name)
        if fi is None or name == key or fi.field.aggregate is not None:
            continue
        v = rec.get(name)
        if v is None:
            if null_ok:
                continue
            point = space.default(fi)
        else:
            point = fi.lit(fi.field.enum_values.index(v) if fi.kind == "enum" else v)
        if v is not None and not fi.dom.is_empty(fi.dom.inter(dom, fi.dom.point(point))):
            continue
        if fi.dom.is_empty(dom):
            rec[name] = None
            continue
        if fi.field.timezone and fi.kind == "string" and dom[0]:
            zones = [z for z in (ZONES_ZH if g.zh else ZONES) if z not in dom[1]]
            rec[name] = zones[0]
            continue
        value = fi.value(fi.dom.pick(dom, point))
        if fi.kind in ("money", "float", "percent") and isinstance(value, float):
            value = round(value, 2) if round(value, 2) != value else value
        rec[name] = value
    return rec


def _like(customer: dict, column: str) -> Value:
    """The customer's own value for a history column of the same quantity (`spend` ~
    `monthly_spend`), so that a history agrees with its customer; None when there is none."""
    for name, v in customer.items():
        if (name == column or name.endswith("_" + column)) and isinstance(v, (int, float)):
            return None if isinstance(v, bool) else v
    return None


def _history_rows(
    g: _Gen, model: Model, h: str, customer: dict, day: dt.date, shape: random.Random | None
) -> list[dict]:
    """One customer's rows of history table `h` up to `day`: monthly snapshots when the time
    column is a month, else events some days apart. `shape` (a search's random source): any
    count, spacing, last-row age and trend, for finding a history a rule needs."""
    hist = model.histories[h]
    rng = shape or g.rng
    time = hist.time or ""
    monthly = (
        "month" in time.lower() or "month" in (hist.fields[time].label or "").lower()
        if time
        else False
    )
    if shape is None:
        count = (
            rng.choice((0, 3, 6, 9, 12, 12, 12))
            if monthly
            else min(12, int(rng.expovariate(1 / 4)))
        )
        gap, last, trend = 30, int(rng.expovariate(1 / 20)), 1 + rng.uniform(-0.03, 0.03)
    else:
        count = rng.randint(1, 12)
        gap = rng.randint(5, 45)
        last = rng.choice((0, 0, 5, 20, rng.randint(0, 150)))
        trend = rng.choice((0.5, 0.7, 0.85, 0.95, 1.0, 1.05, 1.15, 1.4))
    dates = []
    end = day - dt.timedelta(days=last)
    for k in range(count):
        if monthly:
            y, m = divmod(end.year * 12 + end.month - 1 - k, 12)
            dates.append(dt.date(y, m + 1, 1))
        else:
            dates.append(end - dt.timedelta(days=k * gap + (rng.randint(0, gap // 3) if k else 0)))
    dates.reverse()
    assert model.schema is not None and model.schema.key is not None
    key = customer[model.schema.key]
    base = {
        f.name: _like(customer, f.name) or g.value(f, 0, {})
        for f in hist.fields.values()
        if f.type in ("int", "float", "money", "percent") and f.name not in (time, hist.key)
    }
    out = []
    for k, d in enumerate(dates):
        row: dict[str, Value] = {}
        for f in hist.fields.values():
            if f.name == hist.key:
                row[f.name] = key
            elif f.name == time:
                row[f.name] = d
            elif f.name in base:
                b = base[f.name]
                num = b if isinstance(b, (int, float)) else None
                v = None if num is None else num * trend**k * rng.uniform(0.98, 1.02)
                row[f.name] = None if v is None else (int(v) if f.type == "int" else round(v, 2))
            else:
                row[f.name] = g.value(f, 0, row) if not f.key else key
        out.append(row)
    return out


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
    return table_csv(list(model.schema.fields), rows)


def table_csv(names: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for r in rows:
        w.writerow([_text(r[n]) for n in names])
    return buf.getvalue()


def output_files(model: Model, s: Samples, out: Path, fmt: str = "csv") -> list[tuple[Path, bytes]]:
    """(path, bytes) of the customer file `out` and of each history table's file beside it
    (`NAME.csv` or `NAME.parquet`, where `stratlang lists` looks for it)."""
    assert model.schema is not None
    tables: list[tuple[Path, str, Schema | History]] = [
        (out, to_csv(model, s.customers), model.schema)
    ]
    for h, hist in model.histories.items():
        tables.append(
            (out.with_name(f"{h}.{fmt}"), table_csv(list(hist.fields), s.history[h]), hist)
        )
    if fmt == "csv":
        return [(p, text.encode("utf-8")) for p, text, _ in tables]
    return [(p, _parquet(text, table)) for p, text, table in tables]


def _parquet(text: str, table: Schema | History) -> bytes:
    """A CSV table as Parquet bytes, typed by its schema (DuckDB, one thread: the same bytes)."""
    import tempfile

    import duckdb
    from sqlglot import exp

    from .engine.data import check_and_type, open_source

    schema = (
        table
        if isinstance(table, Schema)
        else Schema(table.id, table.label, table.fields, None, None)
    )
    with tempfile.TemporaryDirectory() as d:
        src, dst = Path(d) / "t.csv", Path(d) / "t.parquet"
        src.write_text(text, encoding="utf-8")
        con = duckdb.connect()
        try:
            con.execute("SET threads TO 1")
            check_and_type(con, open_source(con, src, schema), schema, "customers")
            out = exp.Literal.string(str(dst)).sql("duckdb")
            con.execute(f"COPY customers TO {out} (FORMAT parquet)")
        finally:
            con.close()
        return dst.read_bytes()


def write(model: Model, path: Path, n: int = 20000, seed: int = 7) -> Path:
    """Write sample customers (`generate`: no coverage, no history) as CSV, or Parquet for a
    .parquet path, atomically."""
    from .output import atomic_write

    assert model.schema is not None
    path = Path(path)
    text = to_csv(model, generate(model, n, seed))
    parquet = path.suffix.lower() in (".parquet", ".pq")
    atomic_write(path, _parquet(text, model.schema) if parquet else text)
    return path


def main(argv: list[str] | None = None) -> int:
    """`python -m stratlang.samples ARGS`: the same as `stratlang sample-data ARGS`."""
    from .cli import _register
    from .cli import main as cli

    _register()
    try:
        cli(["sample-data", *(sys.argv[1:] if argv is None else argv)], standalone_mode=True)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
