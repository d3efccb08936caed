"""`stratlang explain`: every code explained, and every example checked for real."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from stratlang.builder import ReviewInputs, review
from stratlang.check import check_entry
from stratlang.check.cascade import load_tree
from stratlang.diagnostics import CODES
from stratlang.explain import EXPLANATIONS, example_project, explanation
from stratlang.source import SourceFile
from stratlang.testing import run_fixture


def build(tmp_path: Path, files: dict[str, str], as_of: str | None = None, tree: bool = False):
    """Write a project (name -> text; the first file is the entry) and check it; with `as_of`,
    review its actuals.csv on that day (a REV example): the check's and the review's diagnostics.
    With `tree` (ALN003, ALN006) the entry and its parent hq/main.strat are checked as a tree."""
    entry = None
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        entry = entry or p
    result = check_entry(entry)
    if tree:
        found = load_tree([entry, tmp_path / "hq" / "main.strat"]).diagnostics
        return replace(result, diagnostics=found)
    fixture = tmp_path / "rules.test.csv"
    if fixture.exists():  # a TST example: the fixture's diagnostics from the reference evaluator
        source = SourceFile("rules.test.csv", fixture.read_text(encoding="utf-8"))
        found = run_fixture(result.model, source).diagnostics
        return replace(result, diagnostics=result.diagnostics + found)
    if as_of is None:
        return result
    day = dt.date.fromisoformat(as_of)
    reviewed = review(result, tmp_path / "out", ReviewInputs(tmp_path / "actuals.csv", as_of=day))
    return replace(result, diagnostics=result.diagnostics + reviewed.diagnostics)


def run(*args):
    exe = str(Path(sys.executable).parent / "stratlang")
    return subprocess.run(
        [exe, *map(str, args)], capture_output=True, text=True, encoding="utf-8", timeout=120
    )


def test_every_code_has_an_explanation():
    assert set(EXPLANATIONS) == set(CODES)
    for code in CODES:
        text = explanation(code)
        assert text.startswith(f"{code} ({CODES[code][0]}): {CODES[code][1]}")
        assert "Wrong:" in text and "Right:" in text and "How to fix:" in text


@pytest.mark.parametrize("code", sorted(CODES))
def test_wrong_example_triggers_and_right_does_not(tmp_path, code):
    as_of = EXPLANATIONS[code].as_of if EXPLANATIONS[code].actuals else None
    tree = EXPLANATIONS[code].tree
    wrong = build(tmp_path / "wrong", example_project(code, "wrong"), as_of, tree)
    got = [d.code for d in wrong.diagnostics]
    assert code in got, f"{code}: wrong example gave {got}"
    right = build(tmp_path / "right", example_project(code, "right"), as_of, tree)
    got = [d for d in right.diagnostics if d.code == code]
    assert got == [], f"{code}: right example still gives {[d.message for d in got]}"
    # The right example is a valid project (warnings about other things may remain).
    assert right.ok, [(d.code, d.message) for d in right.diagnostics if d.severity.name == "ERROR"]


def test_explanation_is_case_insensitive_and_rejects_unknown():
    assert explanation("map401") == explanation("MAP401")
    with pytest.raises(KeyError):
        explanation("MAP499")


def test_cli_explain_prints_examples():
    r = run("explain", "ply609")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("PLY609 (error): script contains a banned phrase")
    assert "保本保收益" in r.stdout
    assert r.stdout == explanation("PLY609")


def test_cli_explain_unknown_code_suggests():
    r = run("explain", "MAP4O1")
    assert r.returncode == 2
    assert r.stdout == ""
    assert "unknown diagnostic code `MAP4O1`" in r.stderr
    assert "did you mean `MAP401`?" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_explain_list():
    r = run("explain", "--list")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert len(lines) == len(CODES)
    assert lines[0].split()[:2] == ["SYN101", "error"]
    assert any(line.startswith("MAP409") and "info" in line for line in lines)


def test_cli_explain_needs_a_code():
    r = run("explain")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_the_checks_doc_lists_every_code():
    table = (Path(__file__).resolve().parent.parent / "docs" / "checks.md").read_text("utf-8")
    listed = set(re.findall(r"^\| `([A-Z]{3}\d{3})` \|", table, re.M))
    assert listed == set(CODES)
