"""A project as it was at a git revision: its `.strat` files under the project root, read with
`git ls-tree`/`git cat-file` into a temporary folder (nothing outside the repository is read, no
checkout is touched, symlinks and submodules are left out)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath

from ..errors import StratlangError


class RevisionError(StratlangError):
    """The revision or the project at it cannot be read (a usage error: exit 2)."""


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, check=False, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RevisionError(f"cannot run git: {e}") from None
    if done.returncode != 0:
        raise RevisionError(done.stderr.decode(errors="replace").strip() or "git failed")
    return done.stdout


def toplevel(folder: Path) -> Path | None:
    """The git work tree holding `folder`, or None."""
    try:
        out = _git(["rev-parse", "--show-toplevel"], folder)
    except RevisionError:
        return None
    return Path(os.fsdecode(out.strip()))


def is_revision(rev: str, folder: Path) -> bool:
    """Whether `rev` names a commit in the repository holding `folder`."""
    if rev.startswith("-") or toplevel(folder) is None:
        return False
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], folder)
    except RevisionError:
        return False
    return True


def extract(rev: str, entry: Path, root: Path, dest: Path) -> tuple[Path, Path, str]:
    """Write the `.strat` files under `root` at `rev` into `dest` (same relative layout as in the
    repository); return the old entry and root in `dest` and the entry's repository path. Raises RevisionError when the entry did
    not exist at `rev` or the root is not inside the repository."""
    top = toplevel(root)
    if top is None:
        raise RevisionError(f"{root} is not inside a git repository")
    top = top.resolve()
    try:
        rel_root = root.resolve().relative_to(top)
        rel_entry = entry.resolve().relative_to(top)
    except ValueError:
        raise RevisionError(f"{entry} is not inside the repository {top}") from None
    spec = rel_root.as_posix() if rel_root.parts else "."
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev, "--", spec], top)
    for item in listing.split(b"\0"):
        if not item:
            continue
        meta, _, raw = item.partition(b"\t")
        mode, kind, sha = meta.split()
        name = PurePosixPath(os.fsdecode(raw))
        # regular files only: a symlink (120000) or submodule (commit) could lead elsewhere
        if kind != b"blob" or mode not in (b"100644", b"100755") or name.suffix != ".strat":
            continue
        if ".." in name.parts or name.is_absolute():
            continue
        target = dest.joinpath(*name.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_git(["cat-file", "blob", sha.decode()], top))
    old_entry = dest.joinpath(*rel_entry.parts)
    if not old_entry.is_file():
        raise RevisionError(f"{rel_entry.as_posix()} does not exist at {rev}")
    return old_entry, dest.joinpath(*rel_root.parts), rel_entry.as_posix()
