"""Finding the repository root without git (stratlang/repository.py)."""

from __future__ import annotations

from pathlib import Path

from stratlang.repository import repository_root, workspace_root


def test_repository_root_walks_up_to_the_git_folder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    entry = tmp_path / "strategy" / "hq" / "main.strat"
    entry.parent.mkdir(parents=True)
    entry.write_text("", encoding="utf-8")
    assert repository_root(entry) == tmp_path
    assert repository_root(entry.parent) == tmp_path


def test_a_git_file_marks_a_worktree_or_submodule(tmp_path: Path) -> None:
    sub = tmp_path / "vendor" / "plan"
    sub.mkdir(parents=True)
    (sub / ".git").write_text("gitdir: ../../.git/modules/plan\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    assert repository_root(sub / "main.strat") == sub


def test_outside_a_repository_there_is_none(tmp_path: Path) -> None:
    assert repository_root(tmp_path / "main.strat") is None  # /tmp is in no repository


def test_github_workspace_wins_when_it_holds_the_path(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".git").mkdir()
    ws = tmp_path / "ws"
    (ws / "plan").mkdir(parents=True)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(ws))
    assert workspace_root(ws / "plan" / "main.strat") == ws
    assert workspace_root(tmp_path / "other.strat") == tmp_path


def test_a_name_too_long_is_no_error(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert repository_root(tmp_path / ("a" * 300 + ".strat")) == tmp_path
