"""The command line as a user runs it: exit codes, output streams, machine formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASE, EXAMPLES

# end to end (the real executable, a browser, Spark or big inputs): not in `make test-fast`
pytestmark = pytest.mark.slow

STRATLANG = [str(Path(sys.executable).parent / "stratlang")]
EXAMPLE_ENTRIES = sorted(p for p in EXAMPLES.glob("*/main.strat"))


def run(*args, cwd=None, env=None):
    e = dict(os.environ, NO_COLOR="1")
    e.pop("CI", None)
    e.update(env or {})
    return subprocess.run(
        STRATLANG + [str(a) for a in args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=e,
        timeout=120,
    )


THREE_ERRORS = """strategy "三处错误" {
  owner "测试"
  period 2026-01-01 .. 2026-12-31
}
objective F1 "财务目标" {
  perspective financial
  target t "收入" >=
}
segment s "客群" { rule age < 30 30 }
objective C1 "客户目标" {
  perspective customer
  owner "a
}
"""


def test_examples_exist():
    assert len(EXAMPLE_ENTRIES) >= 3, EXAMPLE_ENTRIES


@pytest.mark.parametrize("entry", EXAMPLE_ENTRIES, ids=lambda p: p.parent.name)
def test_every_example_checks_clean(entry):
    # the examples are the first thing a user runs: no error, no warning, no note
    r = run("check", "--fail-level", "info", entry)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


def test_three_errors_in_three_blocks_all_reported_with_frames(tmp_path):
    f = tmp_path / "three.strat"
    f.write_text(THREE_ERRORS, encoding="utf-8")
    r = run("check", f)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.count("error[") == 3
    for line in ("8", "9", "12"):  # the missing value is found at the `}` on line 8
        assert f"three.strat:{line}:" in r.stderr
    assert r.stderr.count(" | ") >= 3  # a code frame for each
    assert "Traceback" not in r.stderr


def test_three_errors_json(tmp_path):
    f = tmp_path / "three.strat"
    f.write_text(THREE_ERRORS, encoding="utf-8")
    r = run("check", f, "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["valid"] is False and doc["error_count"] == 3 and doc["format_version"] == 1
    errors = [
        (d["code"], d["range"]["start"]["line"])
        for d in doc["diagnostics"]
        if d["severity"] == "error"
    ]
    assert errors == [("SYN101", 8), ("SYN101", 9), ("SYN102", 12)]


def test_missing_file_exit_2_and_valid_machine_document(tmp_path):
    r = run("check", tmp_path / "nope.strat")
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr
    for fmt in ("json", "sarif"):
        r = run("check", tmp_path / "nope.strat", "--format", fmt)
        assert r.returncode == 2
        json.loads(r.stdout)
    r = run("check", tmp_path / "nope.strat", "--format", "github")
    assert r.returncode == 2 and r.stdout.startswith("::error ")


def test_strict_fails_on_warnings(tmp_path):
    f = tmp_path / "w.strat"
    # an objective without a target is a warning (MAP406), not an error
    f.write_text(BASE + 'objective F1 "F" { perspective financial }\n', encoding="utf-8")
    r = run("check", f)
    assert r.returncode == 0
    assert "warning[" in r.stderr
    assert run("check", f, "--strict").returncode == 1
    assert run("check", f, "--fail-level", "warning").returncode == 1


def test_github_format(tmp_path):
    f = tmp_path / "g.strat"
    f.write_text(BASE + 'objective F1 "F" { perspective finance }\n', encoding="utf-8")
    r = run("check", f, "--format", "github", cwd=tmp_path)
    assert r.returncode == 1
    assert any(
        line.startswith("::error file=g.strat,line=") and "title=NAM201::" in line
        for line in r.stdout.splitlines()
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xef\xbb\xbf",
        os.urandom(2000),
        b"\x00" * 100,
        ("(" * 500).encode(),
        ("not " * 500).encode(),
    ],
)
def test_hostile_files_never_traceback(tmp_path, data):
    f = tmp_path / "h.strat"
    f.write_bytes(data)
    r = run("check", f)
    assert r.returncode in (1,), r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_folder_argument_uses_main_strat():
    r = run("check", EXAMPLES / "bank_wealth")
    assert r.returncode == 0, r.stderr


def test_build_writes_nothing_when_check_fails(tmp_path):
    f = tmp_path / "three.strat"
    f.write_text(THREE_ERRORS, encoding="utf-8")
    out = tmp_path / "out"
    r = run("build", f, "-o", out)
    assert r.returncode == 1 and "nothing was written" in r.stderr
    assert not out.exists()


def test_build_writes_model_json_deterministically(tmp_path):
    entry = EXAMPLES / "bank_wealth" / "main.strat"
    a, b = tmp_path / "a", tmp_path / "b"
    assert run("build", entry, "-o", a).returncode == 0
    assert run("build", entry, "-o", b).returncode == 0
    doc = json.loads((a / "model.json").read_text(encoding="utf-8"))
    assert doc["format"] == "stratlang-model" and doc["objectives"]
    for f in a.iterdir():
        if f.is_file():
            assert f.read_bytes() == (b / f.name).read_bytes(), f.name


def test_imported_file_is_checked_as_part_of_its_project():
    # pre-commit passes staged files one at a time: channels.strat alone has references into
    # the rest of the project, so it is checked through the main.strat that imports it.
    r = run("check", EXAMPLES / "bank_wealth" / "channels.strat")
    assert r.returncode == 0, r.stderr
    r = run("check", *sorted(EXAMPLES.glob("*/*.strat")))
    assert r.returncode == 0, r.stderr


def test_lists_random_bytes_and_output_under_a_file(tmp_path):
    entry = EXAMPLES / "bank_wealth" / "main.strat"
    junk = tmp_path / "rand.bin"
    junk.write_bytes(bytes(range(256)) * 12)
    r = run("lists", entry, "--data", junk, "-o", tmp_path / "out")
    assert r.returncode == 2 and "cannot read" in r.stderr
    assert "Delimiter Candidates" not in r.stderr and len(r.stderr) < 600
    assert not (tmp_path / "out").exists()
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = run(
        "lists",
        entry,
        "--data",
        EXAMPLES / "bank_wealth" / "data" / "customers.csv",
        "-o",
        afile / "lists",
    )
    assert r.returncode == 2 and f"{afile} is a file, not a folder" in r.stderr
