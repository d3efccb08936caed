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
        STRATLANG + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=300
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
