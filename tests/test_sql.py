"""SQL compilation: DuckDB members equal the reference evaluator's; injection-proof SQL; golden SQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT, write_project
from golden import check_golden

from stratlang import samples
from stratlang.backends.history_sql import aggregate_column
from stratlang.backends.sql import (
    DIALECTS,
    bucket_of,
    compile_rule,
    hex_prefix_int,
    md5_text,
    render_sql,
    segments_query,
    string,
)
from stratlang.check import check_entry
from stratlang.check.evaluator import evaluate, member
from stratlang.cli import _register, main
from stratlang.engine.data import prepare

ENTRIES = [
    EXAMPLES / "bank_wealth" / "main.strat",
    EXAMPLES / "customer_equity" / "main.strat",
    EXAMPLES / "telecom_winback" / "main.strat",
    ROOT / "tests" / "data" / "spec_example" / "wealth.strat",
]


def _model(entry):
    res = check_entry(entry)
    assert res.model is not None and res.model.schema is not None
    return res.model


def _load(model, rows, tmp_path):
    """The customers in DuckDB as `customers`; with history aggregates in the rules, their
    sampled values too, in the columns the compiled rules read (the aggregates themselves are
    tested against generated histories in tests/test_history.py)."""
    path = tmp_path / "customers.csv"
    path.write_text(samples.to_csv(model, rows), encoding="utf-8")
    con = duckdb.connect()
    prepare(con, path, model.schema)
    derived = list(model.schema.derived.values())
    if derived:
        key = model.schema.key
        con.execute("ALTER TABLE customers RENAME TO plain")
        columns = ", ".join(f'"{aggregate_column(f)}" DOUBLE' for f in derived)
        con.execute(f'CREATE TABLE aggs ("{key}" VARCHAR, {columns})')
        con.executemany(
            f"INSERT INTO aggs VALUES ({', '.join('?' * (len(derived) + 1))})",
            [[r[key], *(r[f.name] for f in derived)] for r in rows],
        )
        con.execute(f'CREATE TABLE customers AS SELECT * FROM plain JOIN aggs USING ("{key}")')
    return con


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda p: p.parent.name)
def test_duckdb_members_equal_reference_evaluator(entry, tmp_path):
    model = _model(entry)
    rows = samples.generate(model, 3000, seed=11, derived=True)
    # the generator plants NULLs and boundary values: make sure they are there
    optional = [f.name for f in model.schema.fields.values() if f.optional]
    for name in optional:
        assert any(r[name] is None for r in rows), name
    con = _load(model, rows, tmp_path)
    key = model.schema.key
    result = con.execute(segments_query(model, "customers").sql(dialect="duckdb")).fetchall()
    by_key = {r[key]: r for r in rows}
    assert len(result) == len(rows)
    seg_ids = list(model.segments)
    checked = 0
    for out in result:
        rec = by_key[out[0]]
        for i, sid in enumerate(seg_ids):
            expected = member(model, sid, rec)
            assert out[1 + i] is expected, (sid, rec)
            checked += 1
    assert checked == len(rows) * len(seg_ids)
    # and not trivially: every segment has members and non-members on this data, or at least one does
    for i, sid in enumerate(seg_ids):
        n = sum(1 for out in result if out[1 + i])
        assert n < len(rows), sid


def test_three_valued_logic_matches_evaluator_on_nulls(tmp_path):
    entry = write_project(
        tmp_path,
        {
            "main.strat": """
        strategy "T" { period 2026-01-01 .. 2026-12-31 }
        schema customer {
          id    string key
          score int optional
          tier  enum(A, B, C) optional
          vip   bool optional
          day   date optional
        }
        """
        },
    )
    model = _model(entry)
    exprs = [
        "not (score > 5)",
        "score > 5 or tier >= B",
        "not (score > 5 and vip)",
        "score is missing",
        "not (tier in [A, C])",
        "tier not in [A]",
        "not vip",
        "vip = false or score between 1 and 3",
        "not (tier >= A)",
        "not (tier > C)",
        "day >= 2026-03-01",
        "not (score != 3)",
        "tier < A",
    ]
    rows = []
    for i, (score, tier, vip, day) in enumerate(
        [
            (None, None, None, None),
            (3, "A", True, "2026-03-01"),
            (7, "C", False, "2026-02-28"),
            (5, None, None, None),
            (None, "B", True, "2027-01-01"),
            (1, "A", False, None),
        ]
    ):
        rows.append({"id": f"k{i}", "score": score, "tier": tier, "vip": vip, "day": day})
    con = _load(model, rows, tmp_path)
    for text in exprs:
        rule = _rule_from(text, model)
        sql = compile_rule(rule, model.schema).sql(dialect="duckdb")
        got = dict(con.execute(f'SELECT "id", {sql} FROM customers').fetchall())
        for r in rows:
            assert got[r["id"]] == evaluate(rule, r, model.schema), (text, r)


def _rule_from(text, model):
    """Parse a rule through a throwaway segment and type it."""
    import tempfile

    from stratlang.check.types import normalize

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "main.strat"
        p.write_text(
            'strategy "T" { period 2026-01-01 .. 2026-12-31 }\n'
            "schema customer { id string key  score int optional  tier enum(A, B, C) optional "
            " vip bool optional  day date optional }\n"
            f'segment s "s" {{ rule {text} }}\n',
            encoding="utf-8",
        )
        res = check_entry(p)
    seg = res.model.segments["s"]
    n, diags = normalize(seg.rule, model.schema)
    assert n is not None, diags
    return n


def test_control_hash_in_sql_equals_python():
    con = duckdb.connect()
    keys = ["C00000001", "客户-7", "a'b", "x|y", "12345"]
    for k in keys:
        for play in ("p1", "代发激活", "vip_winback"):
            h = hex_prefix_int(md5_text(string(k), string(play))).sql(dialect="duckdb")
            assert con.execute(f"SELECT ({h}) % 10000").fetchone()[0] == bucket_of(k, play)


HOSTILE = """
strategy "Evil \\"; DROP TABLE customers; --\\n/* x */ ok" { period 2026-01-01 .. 2026-12-31 }
schema customer {
  id   string key
  note string
  code enum(A, B)
}
segment s1 "lab'el; --" { rule note = "x'; DROP TABLE customers; --" }
segment s2 "/* c */" { rule note in ["a\\"b", "--", "/*", "';", "\\\\'"] or code >= B }
"""


def test_injection_proof_sql(tmp_path):
    entry = write_project(tmp_path, {"main.strat": HOSTILE})
    res = check_entry(entry)
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"], res.diagnostics
    model = res.model
    for d in DIALECTS:
        text = render_sql(model, d)
        header = text.splitlines()[0]
        assert "DROP TABLE" in header  # the label is there, but only inside the one-line comment
        statements = [s for s in sqlglot.parse(text, read=d) if s is not None]
        assert len(statements) == 1, d  # one SELECT (no plays): nothing smuggled in
        assert statements[0].find(exp_drop()) is None
    rows = [
        {"id": "k1", "note": "x'; DROP TABLE customers; --", "code": "A"},
        {"id": "k2", "note": "--", "code": "A"},
        {"id": "k3", "note": "\\'", "code": "A"},
        {"id": "k4", "note": 'a"b', "code": "A"},
        {"id": "k5", "note": "plain", "code": "B"},
        {"id": "k6", "note": "plain", "code": "A"},
    ]
    con = _load(model, rows, tmp_path)
    got = {
        r[0]: r[1:] for r in con.execute(render_sql(model, "duckdb", table="customers")).fetchall()
    }
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 6
    for r in rows:
        assert got[r["id"]] == tuple(member(model, s, r) for s in model.segments), r
    assert got["k1"][0] is True and got["k6"] == (False, False)


def exp_drop():
    from sqlglot import exp

    return exp.Drop


@pytest.mark.parametrize("dialect", DIALECTS)
def test_golden_sql_bank(dialect):
    model = _model(EXAMPLES / "bank_wealth" / "main.strat")
    check_golden(f"sql/bank_wealth.{dialect}.sql", render_sql(model, dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_golden_sql_telecom_with_history(dialect):
    """History aggregates as a CTE joined to the customers, as of a fixed day, in every dialect."""
    model = _model(EXAMPLES / "telecom_winback" / "main.strat")
    sql = render_sql(model, dialect, as_of=dt.date(2026, 3, 15))
    check_golden(f"sql/telecom_winback.{dialect}.sql", sql)
    assert sqlglot.parse(sql, read=dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sql_command_every_dialect_parses(dialect):
    _register()
    r = CliRunner().invoke(
        main, ["sql", str(EXAMPLES / "bank_wealth" / "main.strat"), "--dialect", dialect]
    )
    assert r.exit_code == 0, r.output
    parsed = [s for s in sqlglot.parse(r.output, read=dialect) if s is not None]
    assert len(parsed) == 2  # segments, assignment


def test_sql_command_on_broken_project_exits_1(tmp_path):
    _register()
    entry = write_project(
        tmp_path,
        {
            "main.strat": 'strategy "T" { period 2026-01-01 .. 2026-12-31 }\n'
            'schema c { id string key }\nsegment s "s" { rule nope > 1 }\n'
        },
    )
    r = CliRunner().invoke(main, ["sql", str(entry)])
    assert r.exit_code == 1
    assert "SELECT" not in r.output


def test_hostile_identifiers_and_enum_values_stay_quoted():
    """The grammar keeps ids and enum values to identifier characters, but the compiler must not rely
    on it: a schema built directly with quotes, `;`, `--` and `/*` in names still gives safe SQL."""
    from types import MappingProxyType

    from stratlang.model import Field, Schema
    from stratlang.rules import All, Cmp, Member

    weird = 'a"b; DROP TABLE t; --'
    enum = Field('r/*x*/"', "enum", enum_values=("lo'w", "mid; --", 'hi"/*'))
    fields = {"id": Field("id", "string", key=True), weird: Field(weird, "int"), enum.name: enum}
    schema = Schema("t", "t", MappingProxyType(fields), "id", None)
    rule = All((Cmp(weird, ">=", 3), Member(enum.name, (0, 2)), Cmp(enum.name, ">=", 1)))
    con = duckdb.connect()
    con.execute(
        'CREATE TABLE t ("id" VARCHAR, "a""b; DROP TABLE t; --" BIGINT, "r/*x*/""" VARCHAR)'
    )
    con.execute("INSERT INTO t VALUES ('k1', 5, 'hi\"/*'), ('k2', 5, 'lo''w'), ('k3', 1, 'hi\"/*')")
    for d in DIALECTS:
        sql = compile_rule(rule, schema).sql(dialect=d)
        parsed = sqlglot.parse(f"SELECT {sql} FROM t", read=d)
        assert len(parsed) == 1 and parsed[0].find(exp_drop()) is None
    sql = compile_rule(rule, schema).sql(dialect="duckdb")
    got = dict(con.execute(f'SELECT "id", {sql} FROM t').fetchall())
    assert got == {"k1": True, "k2": False, "k3": False}
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 3


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda p: p.parent.name)
def test_no_sqlglot_warning_in_any_dialect(entry, caplog):
    """sqlglot logs what it cannot translate (BigQuery: NULLS LAST in `SUM(...) OVER`): none may be left."""
    model = _model(entry)
    with caplog.at_level("WARNING", logger="sqlglot"):
        for dialect in DIALECTS:
            render_sql(model, dialect)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("sqlglot")] == []
