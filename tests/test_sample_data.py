"""`stratlang sample-data` through the real executable: every example's schema -> a file that
`stratlang lists --data` reads, every segment with members; the same seed the same bytes; Parquet;
exit codes on bad paths and failing projects."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES

from stratlang import samples
from stratlang.check import check_entry
from stratlang.check.evaluator import evaluate

pytestmark = pytest.mark.slow

STRATLANG = [str(Path(sys.executable).parent / "stratlang")]
EXAMPLE_DIRS = sorted(p.parent for p in EXAMPLES.glob("*/main.strat"))
AS_OF = "2026-03-15"


def run(*args, cwd=None):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("CI", None)
    return subprocess.run(
        STRATLANG + [str(a) for a in args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=lambda p: p.name)
@pytest.mark.parametrize("n", [25, 2000])
def test_every_segment_has_members_in_lists(tmp_path, example, n):
    out = tmp_path / "data" / "customers.csv"
    r = run("sample-data", example, "-n", n, "-o", out, "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr
    model = check_entry(example / "main.strat").model
    for h in model.histories:  # each history table beside the customers, where lists looks
        assert (out.parent / f"{h}.csv").is_file()
    r = run("lists", example, "--data", out, "-o", tmp_path / "lists", "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "lists" / "summary.json").read_text(encoding="utf-8"))
    assert summary["customers"] == n
    assert set(summary["segments"]) == set(model.segments)
    assert all(count > 0 for count in summary["segments"].values()), summary["segments"]


OWN_SCHEMA = """strategy "Custom" {
  owner  "Ops"
  period 2026-01-01 .. 2026-12-31
  locale en
}

schema member "Members" {
  member_no   int key
  zone        string optional timezone
  plan        enum(basic "Basic plan", plus "Plus plan", pro "Pro plan")
  joined_on   date
  city        string
  visits_30d  int
  balance     money optional
  consent     bool
}

history logins "Logins" {
  member_no int key
  at        date time "day"
  device    enum(web, ios, android)
}

segment rare "Rare" {
  rule plan = pro and city = "Reykjavik" and visits_30d = 17 and joined_on >= 2025-12-30
       and balance is missing
}
segment quiet "Quiet" {
  rule count(logins where device = ios over 30d) = 0 and days_since(last logins) between 40 and 60
       and consent
}
segment loyal "Loyal" {
  rule count(logins over 90d) >= 8 and zone = "Europe/Berlin"
}
"""


def test_a_schema_of_ones_own(tmp_path):
    """Rules few random rows meet (a conjunction of rare values, history counts and recency, a
    zone): each segment still gets members, and lists reads the files."""
    (tmp_path / "main.strat").write_text(OWN_SCHEMA, encoding="utf-8")
    out = tmp_path / "d" / "members.csv"
    r = run("sample-data", tmp_path, "-n", 40, "-o", out, "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    assert "segment `rare`: 1 member planted from its witness" in r.stderr
    assert (tmp_path / "d" / "logins.csv").is_file()
    r = run("lists", tmp_path, "--data", out, "-o", tmp_path / "lists", "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "lists" / "summary.json").read_text(encoding="utf-8"))
    assert all(count > 0 for count in summary["segments"].values()), summary["segments"]


def test_python_m_samples_is_the_command(tmp_path):
    example = EXAMPLES / "bank_wealth"
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run("sample-data", example, "-n", 50, "-o", a, "--as-of", AS_OF)
    r = subprocess.run(
        [sys.executable, "-m", "stratlang.samples", example, "-n", "50", "-o", b, "--as-of", AS_OF],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert a.read_bytes() == b.read_bytes()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    example = EXAMPLES / "telecom_winback"
    files = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        out = tmp_path / name / "customers.csv"
        r = run("sample-data", example, "-n", 300, "-o", out, "--seed", seed, "--as-of", AS_OF)
        assert r.returncode == 0, r.stderr
        files.append({p.name: p.read_bytes() for p in sorted(out.parent.iterdir())})
    assert files[0] == files[1]
    assert set(files[0]) == {"customers.csv", "monthly.csv", "topups.csv"}
    assert files[0]["customers.csv"] != files[2]["customers.csv"]


def test_parquet_output_reads_in_lists(tmp_path):
    example = EXAMPLES / "telecom_winback"
    out = tmp_path / "customers.parquet"
    r = run("sample-data", example / "main.strat", "-n", 500, "-o", out, "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:4] == b"PAR1"
    assert (tmp_path / "monthly.parquet").read_bytes()[:4] == b"PAR1"
    again = tmp_path / "again" / "customers.parquet"
    run("sample-data", example, "-n", 500, "-o", again, "--format", "parquet", "--as-of", AS_OF)
    assert again.read_bytes() == out.read_bytes()
    r = run("lists", example, "--data", out, "-o", tmp_path / "lists", "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "lists" / "summary.json").read_text(encoding="utf-8"))
    assert summary["customers"] == 500
    assert all(count > 0 for count in summary["segments"].values())


def test_bad_paths_exit_2_and_write_nothing(tmp_path):
    example = EXAMPLES / "bank_wealth"
    r = run("sample-data", tmp_path / "missing.strat", "-o", tmp_path / "c.csv")
    assert r.returncode == 2 and "error:" in r.stderr
    r = run("sample-data", tmp_path, "-o", tmp_path / "c.csv")  # a folder without main.strat
    assert r.returncode == 2 and "main.strat" in r.stderr
    (tmp_path / "file").write_text("x", encoding="utf-8")
    r = run("sample-data", example, "-n", 10, "-o", tmp_path / "file" / "c.csv")
    assert r.returncode == 2 and "error:" in r.stderr
    r = run("sample-data", example, "-n", 10, "-o", example / "main.strat")  # an input
    assert r.returncode == 2
    telecom = EXAMPLES / "telecom_winback"
    r = run("sample-data", telecom, "-n", 10, "-o", tmp_path / "monthly.csv")  # a history's file
    assert r.returncode == 2 and "history table `monthly`" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_failing_project_exits_1_and_writes_nothing(tmp_path):
    bad = tmp_path / "main.strat"
    bad.write_text('segment s "S" { rule age < }\n', encoding="utf-8")
    r = run("sample-data", bad, "-o", tmp_path / "c.csv")
    assert r.returncode == 1, r.stderr
    assert not (tmp_path / "c.csv").exists()


def test_values_fit_the_schema():
    """Enum values declared, the key unique, real zones, optional fields sometimes NULL."""
    import zoneinfo

    model = check_entry(EXAMPLES / "card_retention" / "main.strat").model
    got = samples.sample(model, 1000, 5, dt.date(2026, 3, 15))
    schema = model.schema
    keys = [r[schema.key] for r in got.customers]
    assert len(set(keys)) == len(keys)
    for f in schema.fields.values():
        values = [r[f.name] for r in got.customers]
        if f.type == "enum":
            assert {v for v in values if v is not None} <= set(f.enum_values)
        if f.timezone:
            for zone in {v for v in values if v is not None}:
                zoneinfo.ZoneInfo(zone)
        if f.optional:
            assert None in values
        else:
            assert None not in values
    for sid in model.segments:
        rule = model.typed_segment_rule(sid)
        assert any(evaluate(rule, r, schema) is True for r in got.customers), sid
