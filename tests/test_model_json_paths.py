"""model.json's and summary.json's paths are relative to the project root, with `/`: the same
project gives the same bytes from any working directory and however the entry is typed (issue 16
§1). Through the real executable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES
from test_cli import run

from stratlang.project_paths import project_path

pytestmark = pytest.mark.slow


def bank_project(tmp_path: Path) -> Path:
    """bank_wealth in `repo/strategy/`, its plays moved into a subfolder `plays/`."""
    proj = tmp_path / "repo" / "strategy"
    shutil.copytree(EXAMPLES / "bank_wealth", proj, ignore=shutil.ignore_patterns("data", "tests"))
    (proj / "plays").mkdir()
    (proj / "plays.strat").rename(proj / "plays" / "plays.strat")
    main = proj / "main.strat"
    text = main.read_text(encoding="utf-8")
    main.write_text(text.replace('import "plays.strat"', 'import "plays/plays.strat"'), "utf-8")
    return proj


def spans(doc) -> list[str]:
    found = []

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("span"), dict):
                found.append(x["span"]["file"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc)
    return found


def test_model_json_is_the_same_from_every_folder_and_entry_spelling(tmp_path):
    proj = bank_project(tmp_path)
    repo = proj.parent
    ways = [  # (working directory, entry as typed)
        (proj, "main.strat"),
        (proj, "."),
        (repo, "strategy/main.strat"),
        (repo, "./strategy/../strategy/main.strat"),
        (proj / "plays", "../main.strat"),
        (Path("/"), str(proj / "main.strat")),
        (tmp_path, str(proj)),
    ]
    written = []
    for i, (cwd, entry) in enumerate(ways):
        out = tmp_path / f"out{i}"
        r = run("build", entry, "-o", out, cwd=cwd)
        assert r.returncode == 0, (entry, r.stderr)
        written.append((out / "model.json").read_bytes())
    assert all(w == written[0] for w in written[1:])
    text = written[0].decode("utf-8")
    assert str(tmp_path) not in text and "\\\\" not in text
    doc = json.loads(text)
    assert doc["files"] == [
        "main.strat",
        "customers.strat",
        "channels.strat",
        "plays/plays.strat",
    ]
    used = spans(doc)
    assert used and set(used) <= set(doc["files"])
    assert "plays/plays.strat" in used


def test_with_a_wider_root_paths_start_at_the_root(tmp_path):
    proj = bank_project(tmp_path)
    repo = proj.parent
    outs = []
    for i, cwd in enumerate((proj, tmp_path)):
        out = tmp_path / f"out{i}"
        r = run("build", proj / "main.strat", "--root", repo, "-o", out, cwd=cwd)
        assert r.returncode == 0, r.stderr
        outs.append((out / "model.json").read_bytes())
    assert outs[0] == outs[1]
    doc = json.loads(outs[0])
    assert doc["files"][0] == "strategy/main.strat"
    assert "strategy/plays/plays.strat" in doc["files"]


def test_summary_json_is_the_same_from_every_folder(tmp_path):
    """telecom_winback reads history tables found beside the data: their paths in summary.json
    are relative to the project root, whether the data was typed relative or absolute."""
    proj = tmp_path / "telecom"
    shutil.copytree(EXAMPLES / "telecom_winback", proj)
    runs = [
        (proj, ["."], "data/customers.csv"),
        (Path("/"), [str(proj / "main.strat")], str(proj / "data" / "customers.csv")),
        (proj / "data", [".."], "customers.csv"),
    ]
    written = []
    for i, (cwd, entry, data) in enumerate(runs):
        out = tmp_path / f"lists{i}"
        r = run("lists", *entry, "--data", data, "--as-of", "2026-06-01", "-o", out, cwd=cwd)
        assert r.returncode == 0, r.stderr
        written.append((out / "summary.json").read_bytes())
    assert all(w == written[0] for w in written[1:])
    doc = json.loads(written[0])
    assert {h: read["file"] for h, read in doc["history"].items()} == {
        "monthly": "data/monthly.csv.gz",
        "topups": "data/topups.csv.gz",
    }
    assert str(tmp_path) not in written[0].decode("utf-8")


def test_project_path_is_posix_and_relative(tmp_path):
    root = tmp_path / "p"
    (root / "a").mkdir(parents=True)
    (root / "a" / "b.strat").write_text("", encoding="utf-8")
    (tmp_path / "x.csv").write_text("", encoding="utf-8")
    assert project_path(root / "a" / "b.strat", root) == "a/b.strat"
    assert project_path(root / "a" / ".." / "a" / "b.strat", root) == "a/b.strat"
    assert project_path(tmp_path / "x.csv", root) == "../x.csv"
    link = tmp_path / "link"
    link.symlink_to(root, target_is_directory=True)
    assert project_path(link / "a" / "b.strat", root) == "a/b.strat"


def test_diff_json_names_the_sides_the_same_from_every_folder(tmp_path):
    """`diff --format json` names OLD and NEW by their entry files from the repository root (a
    folder holding `.git`), not as typed: the same bytes from three folders."""
    repo = tmp_path / "repo"
    for side in ("v1", "v2"):
        shutil.copytree(
            EXAMPLES / "bank_wealth", repo / side, ignore=shutil.ignore_patterns("data")
        )
    plays = repo / "v2" / "plays.strat"
    plays.write_text(
        plays.read_text(encoding="utf-8").replace("control  10%", "control 12%"), encoding="utf-8"
    )
    (repo / ".git").mkdir()  # what marks a repository's root (stratlang.repository)
    ways = [
        (repo, ["v1", "v2"]),
        (repo / "v2", ["../v1/main.strat", "."]),
        (Path("/"), [str(repo / "v1"), str(repo / "v2" / "main.strat")]),
    ]
    written = []
    for cwd, sides in ways:
        r = run("diff", *sides, "--format", "json", cwd=cwd)
        assert r.returncode == 0, r.stderr
        written.append(r.stdout)
    assert written[1] == written[0] and written[2] == written[0]
    doc = json.loads(written[0])
    assert (doc["old"], doc["new"], doc["changed"]) == ("v1/main.strat", "v2/main.strat", True)
