"""`stratlang test` (fixture files of example customers) and `stratlang eval` (one customer, and
why), through the real executable; the reference evaluation agrees with the compiled lists."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASE, EXAMPLES

from stratlang.backends.sql import bucket_of
from stratlang.check import check_entry
from stratlang.testing import explain_customer, parse_value, split_cells

STRATLANG = [str(Path(sys.executable).parent / "stratlang")]
BANK = EXAMPLES / "bank_wealth"

# end to end (the real executable, the example data through the lists): not in `make test-fast`
pytestmark = pytest.mark.slow


def run(*args, cwd=None):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("CI", None)
    return subprocess.run(
        STRATLANG + [str(a) for a in args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=120,
    )


# the test header plus a consent field, then a map, a channel and two plays
PROJECT = (
    BASE.replace(
        "  email      string optional\n",
        "  email      string optional\n  push_ok    bool optional\n",
    )
    + """
objective F1 "Grow AUM" { perspective financial  target aum "AUM growth" >= 20% by 2026-12-31 }
channel app_push "App push" { kind push  capacity unlimited }
script push_script "Welcome push" {
  channel    app_push
  pitch      "Your salary arrived: invest in one tap."
  disclaimer "Investments carry risk."
  opt_out    "Reply STOP to opt out"
}
policy contact "Contact rules" { consent push_ok on push }
segment young "Young payroll" {
  rule payroll and age between 22 and 35 and (risk_level >= R3 or email is missing)
}
segment rich "Rich" { rule aum >= 1000000 }
tiering wealth "Wealth" { segments rich, young }
play welcome "Welcome" {
  segment  young
  step 1   app_push using push_script
  supports F1
  target   conv "Conversion" >= 8% by 2026-09-30
  control  10%
  priority 5
}
play vip "VIP care" {
  segment  rich
  step 1   app_push using push_script
  supports F1
  target   conv_vip "Conversion" >= 8% by 2026-09-30
  control  50%
  priority 9
}
"""
)

HEADER = "case,id,age,aum,payroll,push_ok,risk_level,email"


def project(tmp_path: Path, fixture: str | None = None) -> Path:
    (tmp_path / "main.strat").write_text(PROJECT, encoding="utf-8")
    if fixture is not None:
        (tmp_path / "tests").mkdir()
        (tmp_path / "tests" / "rules.test.csv").write_text(fixture, encoding="utf-8")
    return tmp_path / "main.strat"


# --------------------------------------------------------------------------- stratlang test


def test_the_example_fixture_passes():
    r = run("test", BANK)
    assert r.returncode == 0, r.stderr
    rows = (BANK / "tests" / "rules.test.csv").read_text(encoding="utf-8").strip().count("\n")
    assert r.stdout.strip() == f"test: {rows} passed, 0 failed in 1 fixture file"
    assert r.stderr == ""


def test_fixtures_are_found_under_the_current_folder(tmp_path):
    fixture = f"{HEADER},expect_segments,expect_play\nyoung,C1,30,100,true,true,R3,,young,welcome\n"
    project(tmp_path, fixture)
    r = run("test", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "test: 1 passed, 0 failed in 1 fixture file"


def test_a_failed_expectation_is_a_diagnostic_on_its_cell(tmp_path):
    fixture = (
        f"{HEADER},expect_segments,expect_play\n"
        "ok,C1,30,100,true,true,R3,,young,welcome\n"
        "too old,C2,50,100,true,true,R3,,young,welcome\n"
    )
    project(tmp_path, fixture)
    r = run("test", "tests/rules.test.csv", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout.strip() == "test: 1 passed, 1 failed in 1 fixture file"
    line = fixture.splitlines()[2]
    col = line.index(",young,") + 2
    assert "error[TST901]: `too old`: expected in segment `young`, but is not" in r.stderr
    assert f"--> tests/rules.test.csv:3:{col}" in r.stderr
    assert "aged 22–35: failed" in r.stderr  # the part of the rule that failed
    assert "expected play `welcome`, got no play" in r.stderr
    # the same in JSON, for tools
    r = run("test", "--format", "json", cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert doc["valid"] is False
    spots = {
        (d["code"], d["range"]["start"]["line"], d["range"]["start"]["column"])
        for d in doc["diagnostics"]
    }
    assert ("TST901", 3, col) in spots
    assert ("TST901", 3, line.index(",welcome") + 2) in spots


@pytest.mark.parametrize(
    ("cells", "expect", "message"),
    [
        ("x,C1,thirty,100,true,true,R3,", "young", "`thirty` is not a number"),
        ("x,C1,30,100,maybe,true,R3,", "young", "`maybe` is not a bool"),
        ("x,C1,30,100,true,true,R9,", "young", "`R9` is not a value of `risk_level`"),
        ("x,C1,30,100,true,true,R3,", "yuong", "`yuong` is not a segment of the project"),
    ],
)
def test_a_fixture_problem_is_tst902(tmp_path, cells, expect, message):
    project(tmp_path, f"{HEADER},expect_segments\n{cells},{expect}\n")
    r = run("test", cwd=tmp_path)
    assert r.returncode == 1
    assert "error[TST902]: " + message in r.stderr


def test_an_unknown_column_is_named_with_the_closest(tmp_path):
    project(tmp_path, "id,age,expect_segment\nC1,30,young\n")
    r = run("test", cwd=tmp_path)
    assert r.returncode == 1
    assert "`expect_segment` is neither a field of the schema nor an expectation column" in r.stderr
    assert "did you mean `expect_segments`?" in r.stderr


def test_tier_not_play_and_group_expectations(tmp_path):
    key = next(f"K{i}" for i in range(1000) if bucket_of(f"K{i}", "vip") < 5000)  # control
    other = next(f"K{i}" for i in range(1000) if bucket_of(f"K{i}", "vip") >= 5000)
    fixture = (
        f"{HEADER},expect_tier,expect_not_play,expect_play,expect_group\n"
        f"rich,{key},30,2000000,true,true,R3,,wealth=rich,welcome,vip,control\n"
        f"rich treated,{other},60,2000000,false,true,R3,,rich,,vip,treated\n"
        "no consent,C3,30,100,true,false,R3,,young,welcome,none,\n"
        "nobody,C4,70,100,false,true,R3,,wealth=none,,none,\n"
    )
    project(tmp_path, fixture)
    r = run("test", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "test: 4 passed, 0 failed in 1 fixture file"
    wrong = fixture.replace(",vip,control", ",vip,treated")
    (tmp_path / "w").mkdir()
    project(tmp_path / "w", wrong)
    r = run("test", cwd=tmp_path / "w")
    assert r.returncode == 1
    assert "expected the treated group, got control" in r.stderr
    assert "control bucket" in r.stderr


def test_no_fixture_is_a_usage_error(tmp_path):
    project(tmp_path)
    r = run("test", cwd=tmp_path)
    assert r.returncode == 2
    assert "no fixture files (*.test.csv)" in r.stderr


def test_a_project_with_errors_runs_no_test(tmp_path):
    shutil.copy(BANK / "tests" / "rules.test.csv", tmp_path / "rules.test.csv")
    (tmp_path / "main.strat").write_text('strategy "x" {\n', encoding="utf-8")
    r = run("test", cwd=tmp_path)
    assert r.returncode == 1
    assert "the project does not check; no test was run" in r.stderr


def test_cells_keep_their_columns():
    assert split_cells('a,"b,""c""",,d') == [
        ("a", 0, 1),
        ('b,"c"', 2, 11),
        ("", 12, 12),
        ("d", 13, 14),
    ]


# --------------------------------------------------------------------------- stratlang eval


def test_eval_a_customer_in_words(tmp_path):
    entry = project(tmp_path)
    customer = {
        "id": "C1",
        "age": 30,
        "aum": 100,
        "payroll": True,
        "push_ok": True,
        "risk_level": "R1",
    }
    r = run("eval", entry, "--customer", json.dumps(customer))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "segments: young" in out
    assert "play: welcome (" in out
    # the `or` is true through its second part; the first part failed
    assert "✓ (risk level R3 or higher or no email on record)" in out
    assert "✗ risk level R3 or higher" in out
    assert "✓ no email on record" in out
    assert "→ welcome (priority 5)" in out
    assert "✗ vip (priority 9): not in segment `rich`" in out
    assert f"control: bucket {bucket_of('C1', 'welcome')} of 10000" in out


def test_eval_json_and_consent(tmp_path):
    entry = project(tmp_path)
    customer = {"id": "C1", "age": 30, "aum": 100, "payroll": True, "risk_level": "R3"}
    r = run("eval", tmp_path, "--customer", json.dumps(customer), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["segments"] == ["young"] and doc["play"] is None
    assert doc["tiers"] == {"wealth": "young"}
    welcome = next(p for p in doc["plays"] if p["id"] == "welcome")
    assert welcome["admits"] is False
    assert "consent `push_ok` not given" in welcome["reasons"]
    rules = {s["id"]: s for s in doc["segment_rules"]}
    assert [c["value"] for c in rules["young"]["conditions"]] == [True, True, True]
    assert entry.exists()


def test_eval_a_row_of_a_data_file():
    r = run(
        "eval",
        BANK / "main.strat",
        "--data",
        BANK / "data" / "customers.csv",
        "--key",
        "C00000002",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["key"] == "C00000002"
    assert "mass" in doc["segments"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--customer", "{nope"), "--customer is not JSON"),
        (("--customer", '{"height": 3}'), "`height` is not a field of the schema"),
        (("--customer", '{"risk_level": "R9"}'), "`R9` is not a value of `risk_level`"),
        ((), "give the customer"),
        (("--data", BANK / "data" / "customers.csv", "--key", "NOPE"), "no row with id = NOPE"),
    ],
)
def test_eval_usage_errors(args, message):
    r = run("eval", BANK, *args)
    assert r.returncode == 2
    assert message in r.stderr


# --------------------------------------------------------------------------- agreement with lists


def _lists(tmp_path: Path, example: str, as_of: str) -> dict[str, tuple]:
    out = tmp_path / "lists"
    src = EXAMPLES / example
    r = run("lists", src, "--data", src / "data" / "customers.csv", "--as-of", as_of, "-o", out)
    assert r.returncode == 0, r.stderr
    got: dict[str, tuple] = {}
    for path in out.glob("*.csv"):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            if path.stem == "holdout":
                got[row["key"]] = (row["play"], "held", None)
            elif row["step"] == "1":
                group = "control" if row["control"] == "true" else "treated"
                got[row["key"]] = (row["play"], group, row.get("variant") or None)
    return got


@pytest.mark.slow
@pytest.mark.parametrize(
    ("example", "as_of"), [("bank_wealth", "2026-03-01"), ("card_retention", "2027-03-01")]
)
def test_eval_agrees_with_the_lists(tmp_path, example, as_of):
    """Every customer of the example's data: the reference evaluation gives the play, group and
    arm the compiled SQL gives (capacity drops none in these examples)."""
    got = _lists(tmp_path, example, as_of)
    model = check_entry(EXAMPLES / example / "main.strat").model
    fields = model.schema.rule_fields
    day = dt.date.fromisoformat(as_of)
    differ = []
    with (EXAMPLES / example / "data" / "customers.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            record = {k: parse_value(v, fields[k]) for k, v in row.items() if k in fields}
            o = explain_customer(model, record, as_of=day)
            mine = (o.play, o.group, o.variant) if o.play else None
            if mine != got.get(str(o.key)):
                differ.append((o.key, mine, got.get(str(o.key))))
    assert differ == []


def test_entry_folder_color_and_paths_as_the_other_commands(tmp_path):
    fixture = f"{HEADER},expect_segments\ntoo old,C2,50,100,true,true,R3,,young\n"
    project(tmp_path, fixture)
    absolute = tmp_path / "tests" / "rules.test.csv"
    r = run("test", absolute, "--entry", tmp_path, "--color", "always", cwd=tmp_path)
    assert r.returncode == 1
    assert "\x1b[" in r.stderr
    assert "tests/rules.test.csv:2:" in r.stderr and str(tmp_path) not in r.stderr
    r = run("test", absolute, "--color", "never", cwd=tmp_path)
    assert "\x1b[" not in r.stderr
