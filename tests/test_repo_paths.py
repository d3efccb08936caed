"""Diagnostics' paths start at the repository root, whatever folder the command runs in (issue 16 §1).

Through the real executable: a git repository with the project in a subfolder, `check` run from
inside the subfolder and from outside the repository; every format names `sub/plays.strat`.
`$GITHUB_WORKSPACE` (when it holds the entry) and `--root` choose another root. See
docs/diagnostics.md, "Paths".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_run import git_repo, run
from conftest import BASE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make a repository"),
]

BROKEN = 'segment s "x" { rule age < 30 30 }\n'  # one syntax error, in the imported file


def files(prefix: str) -> set[str]:
    """The two files diagnostics name (the error in plays.strat, warnings in main.strat)."""
    return {f"{prefix}main.strat", f"{prefix}plays.strat"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """tmp/repo: a git work tree holding the project in `sub/` (main.strat imports plays.strat)."""
    root = git_repo(tmp_path / "repo")
    (root / "sub").mkdir()
    (root / "sub" / "main.strat").write_text(BASE + '\nimport "plays.strat"\n', encoding="utf-8")
    (root / "sub" / "plays.strat").write_text(BROKEN, encoding="utf-8")
    return root


def paths_in(fmt: str, out: str, err: str) -> set[str]:
    """Every file path a format reports."""
    if fmt == "text":
        return {ln.split("--> ", 1)[1].rsplit(":", 2)[0] for ln in err.splitlines() if "--> " in ln}
    if fmt == "github":
        return {
            ln.split("file=", 1)[1].split(",", 1)[0] for ln in out.splitlines() if "file=" in ln
        }
    doc = json.loads(out)
    if fmt == "json":
        return {d["range"]["file"] for d in doc["diagnostics"]}
    return {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in doc["runs"][0]["results"]
        for loc in result["locations"]
    }


@pytest.mark.parametrize("where", ["inside the subfolder", "outside the repository"])
@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_paths_are_relative_to_the_repository_root(repo: Path, fmt: str, where: str) -> None:
    if where == "inside the subfolder":
        cwd, entry = repo / "sub", "main.strat"
    else:
        cwd, entry = repo.parent, "repo/sub/main.strat"
    r = run("check", entry, "--format", fmt, cwd=cwd)
    assert r.returncode == 1, r.stderr
    assert paths_in(fmt, r.stdout, r.stderr) == files("sub/"), (r.stdout, r.stderr)


def test_sarif_locations_are_relative_to_srcroot(repo: Path) -> None:
    r = run("check", "main.strat", "--format", "sarif", cwd=repo / "sub")
    run_ = json.loads(r.stdout)["runs"][0]
    error = next(x for x in run_["results"] if x["level"] == "error")
    artifact = error["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "sub/plays.strat", "uriBaseId": "%SRCROOT%"}
    base = run_["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file://") and base.endswith("/")
    assert Path(base.removeprefix("file://")).resolve() == repo.resolve()


def test_github_workspace_is_the_root_when_it_holds_the_entry(repo: Path) -> None:
    workspace = repo.parent
    r = run(
        "check", "main.strat", "--format", "github", cwd=repo / "sub",
        env={"GITHUB_WORKSPACE": str(workspace)},
    )  # fmt: skip
    assert paths_in("github", r.stdout, r.stderr) == files("repo/sub/")
    # a workspace elsewhere (another checkout) is not this entry's: the repository decides
    elsewhere = workspace / "other"
    elsewhere.mkdir()
    r = run(
        "check", "main.strat", "--format", "github", cwd=repo / "sub",
        env={"GITHUB_WORKSPACE": str(elsewhere)},
    )  # fmt: skip
    assert paths_in("github", r.stdout, r.stderr) == files("sub/")


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_root_overrides_the_repository(repo: Path, fmt: str) -> None:
    r = run("check", "sub/main.strat", "--root", "sub", "--format", fmt, cwd=repo)
    assert paths_in(fmt, r.stdout, r.stderr) == files(""), (r.stdout, r.stderr)


def test_outside_a_repository_paths_are_as_before(tmp_path: Path) -> None:
    project = tmp_path / "plan"
    project.mkdir()
    (project / "main.strat").write_text(BASE + '\nimport "plays.strat"\n', encoding="utf-8")
    (project / "plays.strat").write_text(BROKEN, encoding="utf-8")
    # text: from the working folder; GitHub and SARIF: from the project root
    r = run("check", "plan/main.strat", cwd=tmp_path)
    assert paths_in("text", r.stdout, r.stderr) == files("plan/")
    r = run("check", "plan/main.strat", "--format", "github", cwd=tmp_path)
    assert paths_in("github", r.stdout, r.stderr) == files("")


def test_a_command_that_writes_outputs_shows_the_same_paths(repo: Path) -> None:
    # `sql` refuses a project that does not check, printing its diagnostics (common.load_checked)
    r = run("sql", "main.strat", cwd=repo / "sub")
    assert r.returncode == 1
    assert paths_in("text", r.stdout, r.stderr) == files("sub/"), r.stderr


def test_rule_test_failures_point_at_the_fixture_from_the_repository_root(repo: Path) -> None:
    (repo / "sub" / "main.strat").write_text(
        BASE + '\nsegment young "Young" { rule age < 30 }\n', encoding="utf-8"
    )
    (repo / "sub" / "tests").mkdir()
    (repo / "sub" / "tests" / "rules.test.csv").write_text(
        "case,id,age,expect_segments\nold,T1,50,young\n", encoding="utf-8"
    )
    r = run("test", "--format", "github", cwd=repo / "sub")
    assert r.returncode == 1, r.stderr
    assert paths_in("github", r.stdout, r.stderr) == {"sub/tests/rules.test.csv"}
