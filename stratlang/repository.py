"""The repository a project lives in, found without running git (start-up time matters: the
pre-commit hook and the editor call `check` constantly).

The repository root is where diagnostics' paths start (GitHub annotations and SARIF alerts are
placed by repository-relative paths) and what a cascade's `parent` path may not leave.
"""

from __future__ import annotations

import os
from pathlib import Path


def repository_root(start: Path | str) -> Path | None:
    """The enclosing git work tree of `start` (a file or a folder): the nearest folder at or above
    it holding `.git` — a folder, or a file for worktrees and submodules. None outside a repository."""
    folder = Path(os.path.abspath(start))
    # os.path's tests answer False for any OSError (a name too long, a folder not readable)
    if not os.path.isdir(folder):
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        if os.path.exists(candidate / ".git"):
            return candidate
    return None


def workspace_root(start: Path | str) -> Path | None:
    """The folder paths are shown relative to: `$GITHUB_WORKSPACE` in GitHub Actions when it holds
    `start`, else the enclosing repository, else None."""
    here = Path(os.path.abspath(start))
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        ws = Path(os.path.abspath(workspace))
        if here == ws or ws in here.parents:
            return ws
    return repository_root(here)
