"""UI tests, as rustc keeps them: for each input `tests/ui/CODE[-what].strat`, the exact text a
user sees (`CODE….txt`, `stratlang check` on stderr), the JSON a tool reads (`CODE….json`,
`--format json`) and the exit codes with and without `--strict` (`CODE….exit`) sit beside it.

Every diagnostic code has at least one input, and each input must raise its code. Regenerate the
expected files after a deliberate change with

    STRATLANG_REGEN=1 .venv/bin/pytest tests/test_ui.py      (or: make bless, which regenerates
                                                            every golden file of the suite)

and review the diff like code.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from golden import regenerating

from stratlang.cli import _register, main
from stratlang.diagnostics import CODES

UI = Path(__file__).resolve().parent / "ui"
INPUTS = sorted(UI.glob("*.strat"))


REVIEW_DAY = "2026-07-15"  # the day the REV inputs are reviewed on (their actuals sit beside them)


def run_check(name: str, *args: str, command: str = "check") -> tuple[int, str, str]:
    """`stratlang check NAME ARGS…` in tests/ui (paths in the output are as a user types them)."""
    _register()
    cwd = os.getcwd()
    os.chdir(UI)
    try:
        # paths from tests/ui, as a user checking these files sees them (the suite sits in a
        # git repository, whose root diagnostics' paths would otherwise start from)
        env = {"NO_COLOR": "1", "CI": "true", "GITHUB_WORKSPACE": str(UI)}
        result = CliRunner(env=env).invoke(main, [command, name, *args])
    finally:
        os.chdir(cwd)
    return result.exit_code, result.stdout, result.stderr


def ui_args(path: Path) -> list[str]:
    """Options an input's first line gives `check`: `# check: --children` (a cascade's parent,
    checked with its children under tests/ui/aln)."""
    first = path.read_text(encoding="utf-8").partition("\n")[0]
    return first.removeprefix("# check:").split() if first.startswith("# check:") else []


def outputs(path: Path) -> dict[str, str]:
    actuals = path.with_suffix(".actuals.csv")
    if actuals.exists():
        return review_outputs(path, actuals)
    fixture = path.with_suffix(".test.csv")
    if fixture.exists():
        return fixture_outputs(path, fixture)
    args = ui_args(path)
    code, _, text = run_check(path.name, *args)
    strict_code, _, _ = run_check(path.name, *args, "--strict")
    _, json_out, _ = run_check(path.name, *args, "--format", "json")
    return {
        ".txt": text,
        ".json": json_out,
        ".exit": f"check: {code}\ncheck --strict: {strict_code}\n",
    }


def review_outputs(path: Path, actuals: Path) -> dict[str, str]:
    """A REV input: `stratlang review NAME --actuals NAME.actuals.csv` on REVIEW_DAY, with and
    without `--fail-on amber`; the output folder's temporary path is shown as OUT."""
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "out")

        def review(*args: str) -> tuple[int, str, str]:
            base = ("--actuals", actuals.name, "--as-of", REVIEW_DAY, "-o", out)
            code, stdout, stderr = run_check(path.name, *base, *args, command="review")
            return code, stdout.replace(out, "OUT"), stderr.replace(out, "OUT")

        code, _, text = review()
        amber_code, _, _ = review("--fail-on", "amber")
        _, json_out, _ = review("--format", "json")
    return {
        ".txt": text,
        ".json": json_out,
        ".exit": f"review: {code}\nreview --fail-on amber: {amber_code}\n",
    }


def fixture_outputs(path: Path, fixture: Path) -> dict[str, str]:
    """A TST input: `stratlang test NAME.test.csv --entry NAME` (the rule tests of the project)."""
    code, summary, text = run_check(fixture.name, "--entry", path.name, command="test")
    _, json_out, _ = run_check(
        fixture.name, "--entry", path.name, "--format", "json", command="test"
    )
    return {".txt": text + summary, ".json": json_out, ".exit": f"test: {code}\n"}


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_ui(path):
    got = outputs(path)
    code = path.stem.split("-")[0]
    assert code in {d["code"] for d in json.loads(got[".json"])["diagnostics"]}, (
        f"{path.name} does not raise {code}"
    )
    for suffix, text in got.items():
        # no machine path: the same expectations hold in any checkout (as CI's fresh clone)
        assert str(UI.resolve().parents[1]) not in text, f"{path.name}{suffix}: a machine path"
        expected = path.with_suffix(suffix)
        if regenerating():
            expected.write_text(text, encoding="utf-8")
            continue
        assert expected.exists(), (
            f"{expected.name} is missing: run STRATLANG_REGEN=1 pytest tests/test_ui.py"
        )
        assert text == expected.read_text(encoding="utf-8"), (
            f"{expected.name} differs (bless if deliberate)"
        )


def test_every_code_has_a_ui_test():
    covered = {p.stem.split("-")[0] for p in INPUTS}
    assert sorted(set(CODES) - covered) == []


def test_no_expected_file_without_its_input():
    stems = {p.stem for p in INPUTS}
    orphans = [
        p.name
        for p in UI.iterdir()
        if p.suffix in (".txt", ".json", ".exit", ".csv") and p.stem.split(".")[0] not in stems
    ]
    assert orphans == []
