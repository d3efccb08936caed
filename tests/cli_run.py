"""Running the real `stratlang` executable in a folder, as a user or a CI job does, and making git
repositories to run it in (tests of repository-relative paths and of `init`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STRATLANG = str(Path(sys.executable).parent / "stratlang")


def run(*args, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`stratlang ARGS` in `cwd`, without colour and outside CI and GitHub Actions unless `env`
    says otherwise."""
    e = dict(os.environ, NO_COLOR="1")
    for name in ("CI", "GITHUB_WORKSPACE", "GITHUB_ACTIONS"):
        e.pop(name, None)
    e.update(env or {})
    return subprocess.run(
        [STRATLANG, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=e, timeout=300
    )


def git_repo(path: Path) -> Path:
    """`git init` in `path` (created when missing)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True, capture_output=True)
    return path
