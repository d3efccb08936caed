"""Paths as stratlang examines and shows them: whether a path is a file or a folder without ever
raising (a 300-character name, a symlink loop), why a file cannot be read in words, and a path as
people see it. Nothing here parses or checks, so `fmt` and the CLI's common code use it without
loading the checker (start-up, docs/performance.md)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .source import NotRegularFile

MISSING = (errno.ENOENT, errno.ENOTDIR)


def display_path(path: Path, base: Path | None = None) -> str:
    """A path as shown to people: relative to the working directory when below it."""
    base = base or Path.cwd()
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def short_path(path: str | os.PathLike[str], limit: int = 100) -> str:
    """A path for a message, its middle cut when it is absurdly long (a 300-character name)."""
    text = str(path)
    return text if len(text) <= limit else text[: limit // 2] + "…" + text[-(limit // 2 - 1) :]


def locate(path: Path) -> tuple[Path, os.stat_result]:
    """`path` with every symlink resolved, and the `stat` of the file it names. Raises OSError:
    ENOENT / ENOTDIR when it does not exist, ELOOP for a symlink loop, ENAMETOOLONG, EACCES…
    (a NUL character in the path is ENOENT: no such file can exist)."""
    try:
        real = Path(os.path.realpath(path, strict=True))
        return real, os.stat(real)
    except ValueError:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path)) from None


def unresolved_path(path: Path) -> Path:
    """Symlinks resolved as far as they exist (never raises): how the language server names
    a buffer that has no file on disk yet."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return Path(os.path.abspath(path))


def is_folder(path: str | os.PathLike[str]) -> bool:
    """A folder (symlinks followed); False, never an exception, for a path that cannot be examined."""
    return os.path.isdir(path)


def is_file(path: str | os.PathLike[str]) -> bool:
    """A regular file (symlinks followed; a FIFO or device is not); never raises."""
    return os.path.isfile(path)


def os_reason(e: OSError) -> str:
    """Why a file cannot be read, in words."""
    if isinstance(e, NotRegularFile):
        return f"it is not a regular file, but {e.kind}"
    if e.errno == errno.ELOOP:
        return "a symlink loop (too many levels of symbolic links)"
    if e.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    if e.errno in MISSING:
        return "no such file"
    return (e.strerror or str(e)).lower() if e.strerror else str(e)
