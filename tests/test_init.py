"""`stratlang init`: a project that checks clean, with data, CI and pre-commit; never overwrites.

Inside a git repository the CI files go to the repository's root, pointed at the project's folder
(issue 16 §1); one that exists there is kept, and the run says what to add to it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from cli_run import STRATLANG, git_repo, run
from click.testing import CliRunner

from stratlang.check import check_entry
from stratlang.cli import _register, main
from stratlang.engine import run_lists

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def steps(workflow: Path) -> dict[str, dict]:
    """The workflow's steps by name (or by `uses`), after checking that it parses as YAML."""
    doc = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    job = doc["jobs"]["check"]
    return {s.get("name") or s.get("uses") or s["run"]: s for s in job["steps"]}


def hooks(config: Path) -> list[dict]:
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    return [h for repo in doc["repos"] for h in repo["hooks"]]


def test_init_scaffolds_a_clean_project(tmp_path):
    _register()
    target = tmp_path / "proj"
    r = CliRunner().invoke(main, ["init", str(target), "--rows", "800"])
    assert r.exit_code == 0, r.output
    res = check_entry(target / "main.strat")
    assert not [d for d in res.diagnostics if d.severity.name in ("ERROR", "WARNING")], (
        res.diagnostics
    )
    text = (target / "main.strat").read_text(encoding="utf-8")
    assert "客群" in text and "Segments" in text  # bilingual comments
    wf = (target / ".github/workflows/stratlang.yml").read_text()
    assert "\t" not in wf and "__" not in wf  # YAML: spaces only, every placeholder filled
    by_name = steps(target / ".github/workflows/stratlang.yml")
    assert by_name["stratlang check"]["run"].strip() == "stratlang check main.strat --format github"
    assert by_name["stratlang fmt"]["run"].strip() == "stratlang fmt --check ."
    pc = (target / ".pre-commit-config.yaml").read_text()
    assert [h["id"] for h in hooks(target / ".pre-commit-config.yaml")] == [
        "stratlang-check",
        "stratlang-fmt",
    ]
    assert all("files" not in h for h in hooks(target / ".pre-commit-config.yaml"))
    assert "rev: v" in pc and "__" not in pc
    # the sample data fits the schema and fills every play
    s = run_lists(res.model, target / "data" / "customers.csv")
    assert s.customers == 800
    assert all(p["listed"] > 0 for p in s.plays.values()), s.plays


def test_the_workflow_uploads_sarif_and_keeps_the_annotations(tmp_path):
    _register()
    r = CliRunner().invoke(main, ["init", str(tmp_path / "p"), "--rows", "20"])
    assert r.exit_code == 0, r.output
    workflow = tmp_path / "p" / ".github/workflows/stratlang.yml"
    doc = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    job = doc["jobs"]["check"]
    assert job["permissions"]["security-events"] == "write"
    assert job["permissions"]["contents"] == "read"
    by_name = steps(workflow)
    assert "--format github" in by_name["stratlang check"]["run"]
    sarif = by_name["stratlang check (SARIF)"]
    assert sarif["if"] == "always()"
    assert "--format sarif > stratlang.sarif" in sarif["run"]
    upload = by_name["upload SARIF"]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["if"] == "always()" and upload["with"]["sarif_file"] == "stratlang.sarif"
    assert "stratlang test" in by_name["stratlang test"]["run"]
    names = list(by_name)
    assert names.index("stratlang check") < names.index("upload SARIF")


@needs_git
@pytest.mark.slow
def test_init_in_a_repository_writes_the_ci_files_at_its_root(tmp_path):
    repo = git_repo(tmp_path / "repo")
    r = run("init", "plans/my plan", "--rows", "30", cwd=repo)
    assert r.returncode == 0, r.stderr
    assert f"in the git repository at {repo}" in r.stderr and "plans/my plan/" in r.stderr
    project = repo / "plans" / "my plan"
    assert (project / "main.strat").is_file() and (project / "data/customers.csv").is_file()
    assert not (project / ".github").exists() and not (project / ".pre-commit-config.yaml").exists()
    by_name = steps(repo / ".github/workflows/stratlang.yml")
    # the entry is one shell word, relative to the repository root (where the job runs)
    check = shlex.split(by_name["stratlang check"]["run"])
    assert check == ["stratlang", "check", "plans/my plan/main.strat", "--format", "github"]
    assert shlex.split(by_name["stratlang fmt"]["run"])[-1] == "plans/my plan"
    assert by_name["upload SARIF"]["with"]["category"] == "stratlang/plans/my plan"
    for hook in hooks(repo / ".pre-commit-config.yaml"):
        pattern = re.compile(hook["files"])
        assert pattern.search("plans/my plan/main.strat")
        assert not pattern.search("plans/my plan/data/customers.csv")
        assert not pattern.search("other/main.strat")
    # and what the workflow runs works from the repository root, paths and all
    r = run(*check[1:], cwd=repo, env={"GITHUB_WORKSPACE": str(repo)})
    assert r.returncode == 0, r.stdout + r.stderr


@needs_git
@pytest.mark.slow
def test_init_keeps_existing_ci_files_and_says_what_to_add(tmp_path):
    repo = git_repo(tmp_path / "repo")
    workflow = repo / ".github/workflows/stratlang.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: mine\n", encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    r = run("init", "plan", "--rows", "30", cwd=repo)
    assert r.returncode == 0, r.stderr
    assert workflow.read_text(encoding="utf-8") == "name: mine\n"
    assert (repo / ".pre-commit-config.yaml").read_text(encoding="utf-8") == "repos: []\n"
    assert (repo / "plan" / "main.strat").is_file()
    err = r.stderr
    assert "not written: .github/workflows/stratlang.yml: it exists" in err
    assert "stratlang check plan/main.strat --format github" in err  # the steps to add
    assert "not written: .pre-commit-config.yaml: it exists" in err
    assert "files: '^plan/.*\\.strat$'" in err  # the hooks to add, for this project
    # what it says to add is valid YAML, ready to paste
    said = err.split("add these to its job's `steps:`:\n", 1)[1].split("  not written", 1)[0]
    assert yaml.safe_load(said)[0]["name"] == "stratlang check"
    # a second project in the same repository: the hooks already there are limited to plan/
    (repo / ".pre-commit-config.yaml").unlink()
    workflow.unlink()
    assert run("init", "plan2", "--rows", "30", cwd=repo).returncode == 0
    r = run("init", "plan3", "--rows", "30", cwd=repo)
    assert r.returncode == 0, r.stderr
    assert "files: '^plan3/.*\\.strat$'" in r.stderr and "to run them on plan3/ too" in r.stderr


@needs_git
@pytest.mark.slow
def test_init_in_a_repository_refuses_to_overwrite_the_project(tmp_path):
    repo = git_repo(tmp_path / "repo")
    (repo / "plan").mkdir()
    (repo / "plan" / "main.strat").write_text("# mine\n", encoding="utf-8")
    r = run("init", "plan", cwd=repo)
    assert r.returncode == 2
    assert "refusing to overwrite" in r.stderr and "main.strat" in r.stderr
    assert not (repo / ".github").exists() and not (repo / ".pre-commit-config.yaml").exists()


@needs_git
@pytest.mark.slow
def test_the_workflow_sarif_step_tolerates_errors_but_not_a_missing_entry(tmp_path):
    # the step's own shell line, run as GitHub runs it (bash -e): errors found (exit 1) still
    # leave a SARIF log to upload; an entry that cannot be read (exit 2) fails the step
    repo = git_repo(tmp_path / "repo")
    assert run("init", "plan", "--rows", "30", cwd=repo).returncode == 0
    line = steps(repo / ".github/workflows/stratlang.yml")["stratlang check (SARIF)"]["run"]
    bindir = str(Path(STRATLANG).parent)
    env = dict(
        os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], GITHUB_WORKSPACE=str(repo)
    )
    with (repo / "plan" / "main.strat").open("a", encoding="utf-8") as f:
        f.write("\nsegment broken {\n")
    ok = subprocess.run(["bash", "-e", "-c", line], cwd=repo, env=env, capture_output=True)
    assert ok.returncode == 0, ok.stderr
    log = yaml.safe_load((repo / "stratlang.sarif").read_text(encoding="utf-8"))  # JSON is YAML
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in log["runs"][0]["results"]
        for loc in result["locations"]
    }
    assert uris == {"plan/main.strat"}
    (repo / "plan" / "main.strat").unlink()
    bad = subprocess.run(["bash", "-e", "-c", line], cwd=repo, env=env, capture_output=True)
    assert bad.returncode != 0


def test_init_refuses_to_overwrite(tmp_path):
    _register()
    (tmp_path / "main.strat").write_text("# mine\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert r.exit_code == 2
    assert "refusing to overwrite" in r.output and "main.strat" in r.output
    assert (tmp_path / "main.strat").read_text(encoding="utf-8") == "# mine\n"
    assert not (tmp_path / "data").exists() and not (tmp_path / ".github").exists()


def test_init_on_a_file_is_a_usage_error(tmp_path):
    _register()
    f = tmp_path / "x"
    f.write_text("")
    r = CliRunner().invoke(main, ["init", str(f)])
    assert r.exit_code == 2


def test_an_existing_workflow_is_read_for_this_entry_only(tmp_path):
    # init at a repository's root: `other/main.strat` in the workflow is not this `main.strat`
    _register()
    (tmp_path / ".git").mkdir()
    workflow = tmp_path / ".github/workflows/stratlang.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("steps:\n  - run: stratlang check other/main.strat\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["init", str(tmp_path), "--rows", "20"])
    assert r.exit_code == 0, r.output
    assert "to check main.strat in CI, add these" in r.output
    for name in ("main.strat", "data/customers.csv"):
        (tmp_path / name).unlink()
    workflow.write_text("steps:\n  - run: stratlang check main.strat\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["init", str(tmp_path), "--rows", "20"])
    assert r.exit_code == 0, r.output
    assert "it exists and already checks main.strat" in r.output
