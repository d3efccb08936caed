"""Paths as output files write them: relative to the project root, with `/`, whatever the working
directory and however the entry was typed (docs/model-json.md "Paths").

The terminal and CI formats show paths relative to where people look (the working directory, the
repository); a file that is kept and compared (`model.json`, `summary.json`) must not depend on
that, or the same project gives different bytes from two folders.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from .source import SourceMap


def project_path(path: str | os.PathLike[str], root: Path) -> str:
    """`path` relative to the project root `root`, POSIX separators (`../data/x.csv` for a file
    beside the project). Symlinks are resolved on both sides, as the loader resolves them; a path
    on another drive (Windows) stays absolute."""
    real = os.path.realpath(path)
    try:
        rel = os.path.relpath(real, os.path.realpath(root))
    except ValueError:
        return PurePath(real).as_posix()
    return PurePath(rel).as_posix()


def project_paths(sources: SourceMap | None, root: Path | None) -> dict[str, str]:
    """Display path -> project path for every file of a `SourceMap` that has one on disk."""
    if root is None or sources is None:
        return {}
    out: dict[str, str] = {}
    for src in sources:
        if src.abspath is not None:
            out[src.path] = project_path(src.abspath, root)
    return out
