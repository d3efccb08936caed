"""`stratlang review` and `build --actuals` as a user runs them: the real executable, the bank
example's actuals, bad actuals refused by row and column with nothing written, --fail-on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES

BANK = EXAMPLES / "bank_wealth"
ACTUALS = BANK / "data" / "actuals.csv"
OUTCOMES = BANK / "data" / "outcomes.csv"
STRATLANG = [str(Path(sys.executable).parent / "stratlang")]

pytestmark = pytest.mark.slow  # the real executable, Graphviz, several runs


def run(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("STRATLANG_DEBUG", None)
    return subprocess.run(
        STRATLANG + [str(a) for a in args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=300,
    )


def review(
    out: Path, *args: object, actuals: Path = ACTUALS, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    entry = BANK / "main.strat"
    return run(
        "review", entry, "--actuals", actuals, "--as-of", "2026-07-15", "-o", out, *args, cwd=cwd
    )


def test_review_writes_the_map_report_and_json_and_prints_the_findings(tmp_path):
    r = review(tmp_path / "out", "--outcomes", OUTCOMES)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == [
        "review-map.svg",
        "review.html",
        "review.json",
    ]
    doc = json.loads((tmp_path / "out" / "review.json").read_text(encoding="utf-8"))
    assert doc["format"] == "stratlang-review" and doc["as_of"] == "2026-07-15"
    red = {m["id"] for m in doc["measures"] if m["status"] == "red"}
    assert "F2.fee_income" in red
    assert "warning[REV801]: `F2.fee_income` (财富中收) is red in 2026-Q2" in r.stderr
    assert "actual 8800万 against a goal of 1.05亿" in r.stderr
    assert "review: strategy red;" in r.stderr
    assert "Traceback" not in r.stderr


def test_fail_on_red_and_amber_make_the_run_fail(tmp_path):
    assert review(tmp_path / "a", "--fail-on", "red").returncode == 1
    assert review(tmp_path / "b", "--fail-on", "amber").returncode == 1
    doc = json.loads(review(tmp_path / "c", "--fail-on", "red", "--format", "json").stdout)
    assert doc["valid"] is False
    assert {d["code"] for d in doc["diagnostics"]} >= {"REV801", "REV802"}


def test_green_actuals_pass_fail_on_amber(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "main.strat").write_text(
        'strategy "S" { period 2026-01-01 .. 2026-12-31  locale en }\n'
        'objective F1 "Grow" { perspective financial\n'
        '  target aum "AUM growth" >= 20% by 2026-12-31 baseline 10% }\n',
        encoding="utf-8",
    )
    (project / "actuals.csv").write_text(
        "measure,period,value\nF1.aum,2026-Q1,13%\nF1.aum,2026-Q2,15.5%\n", encoding="utf-8"
    )
    r = run(
        "review", project / "main.strat", "--actuals", project / "actuals.csv",
        "--as-of", "2026-07-01", "-o", tmp_path / "out", "--fail-on", "amber",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "review: strategy green; 0 red, 0 amber" in r.stderr


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("F9.nothing,2026-Q1,3%", "row 1, column `measure`"),
        ("F1.aum_growth,2026-Q5,3%", "row 1, column `period`"),
        ("F1.aum_growth,2026-Q1,lots", "row 1, column `value`"),
        ("F1.aum_growth,2031-Q1,3%", "row 1, column `period`"),
        ("F2.fee_income,2026-Q1,13%", "row 1, column `value`"),
    ],
)
def test_bad_actuals_are_refused_by_row_and_column_with_nothing_written(tmp_path, row, expected):
    bad = tmp_path / "actuals.csv"
    bad.write_text("measure,period,value\n" + row + "\n", encoding="utf-8")
    r = review(tmp_path / "out", actuals=bad)
    assert r.returncode == 2, r.stderr
    assert expected in r.stderr, r.stderr
    assert "nothing was written" in r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_a_failed_review_leaves_the_previous_review_whole(tmp_path):
    out = tmp_path / "out"
    assert review(out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad.csv"
    bad.write_text("measure,period,value\nC1.nps,2026-Q1,about forty\n", encoding="utf-8")
    assert review(out, actuals=bad).returncode == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_duplicate_and_a_missing_file_are_usage_errors(tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text("measure,period,value\nC1.nps,2026-Q1,36\nC1.nps,2026Q1,37\n", encoding="utf-8")
    r = review(tmp_path / "o1", actuals=dup)
    assert r.returncode == 2, r.stderr
    assert "row 2, column `period`" in r.stderr and "already has a value" in r.stderr, r.stderr
    r = review(tmp_path / "o2", actuals=tmp_path / "missing.csv")
    assert r.returncode == 2 and "not found" in r.stderr, r.stderr


def test_build_with_actuals_writes_the_review_beside_the_build(tmp_path):
    r = run(
        "build", BANK / "main.strat", "-o", tmp_path / "out",
        "--actuals", ACTUALS, "--as-of", "2026-07-15",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"map.svg", "model.json", "playbook.html", "review.html", "review.json"} <= names
    assert "warning[REV801]" in r.stderr


def test_the_review_is_byte_identical_from_another_working_directory(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert review(one).returncode == 0
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    assert review(two, cwd=elsewhere).returncode == 0
    for name in ("review-map.svg", "review.html", "review.json"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_map_with_actuals_draws_the_review_map_by_suffix(tmp_path):
    r = run(
        "map", BANK / "main.strat", "--actuals", ACTUALS, "--as-of", "2026-07-15",
        "-o", tmp_path / "review.dot",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    dot = (tmp_path / "review.dot").read_text(encoding="utf-8")
    assert "未达" in dot and "达成" in dot  # status words beside the colours
    r = run(
        "map", BANK / "main.strat", "--actuals", ACTUALS, "--as-of", "2026-07-15",
        "-o", tmp_path / "review.png",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "review.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = run("map", BANK / "main.strat", "--actuals", ACTUALS, "--view", "playbook")
    assert r.returncode == 2 and "--actuals draws the strategy map" in r.stderr
