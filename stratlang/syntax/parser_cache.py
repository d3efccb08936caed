"""Where the built parser is kept between runs, and how the file is written safely.

Building the LALR tables from the grammar takes 0.2-0.6 s; loading them takes ~40 ms. The parser
(`parser.py`) saves its tables with Lark's `Lark.save` and loads them the way Lark's own cache
does; this module only keeps the bytes:

- the file name and its first line are keyed by the grammar text, Lark's, stratlang's and
  Python's versions and the parser options, so a changed grammar or an upgrade builds (and keeps)
  a new file, and a file that is not ours is never loaded;
- the folder is `$STRATLANG_CACHE_DIR`, else `$XDG_CACHE_HOME/stratlang`, else
  `~/.cache/stratlang`; `STRATLANG_CACHE_DIR=` (empty) turns the cache off, and a folder that
  cannot be created or written is silently no cache;
- a file is written whole to a temporary name and renamed into place (`os.replace`), so runs in
  parallel never read half a file; a file that cannot be loaded (corrupted) is built again and
  replaced, never a crash.

Decision: not Lark's `cache=PATH` option. Lark hashes its options into the file, the path
included, so a file written under a temporary name never matches when read under the real one,
and Lark rewrites a bad file in place, which a parallel run can read half-written.
Decision: at most `KEEP` cache files are kept; older grammars' files are removed when a new one
is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
from pathlib import Path

KEEP = 8
_PREFIX, _SUFFIX = "parser-", ".lark-cache"


def cache_dir() -> Path | None:
    """The folder for cache files (None: caching is off)."""
    env = os.environ.get("STRATLANG_CACHE_DIR")
    if env is not None:
        return Path(env) if env.strip() else None
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "stratlang"
    home = os.path.expanduser("~")
    if home == "~":
        return None
    return Path(home) / ".cache" / "stratlang"


def cache_file(*key: str) -> tuple[Path, bytes] | None:
    """The cache file for this grammar, these library versions and options, and the first line
    that marks its content (None: no cache)."""
    folder = cache_dir()
    if folder is None:
        return None
    from lark import __version__ as lark_version

    from .. import __version__

    parts = (*key, lark_version, __version__, sys.version.split()[0])
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
    return folder / f"{_PREFIX}{digest[:24]}{_SUFFIX}", f"stratlang-parser {digest}\n".encode()


def read(file: tuple[Path, bytes] | None) -> bytes | None:
    """The bytes stored under this key, or None (no file, not readable, not ours)."""
    if file is None:
        return None
    path, header = file
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data[len(header) :] if data.startswith(header) else None


def write(file: tuple[Path, bytes] | None, payload: bytes) -> None:
    """Store the bytes (whole, atomically); silently nothing when the folder is not writable."""
    if file is None:
        return
    path, header = file
    private = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        private.write_bytes(header + payload)
        os.replace(private, path)
    except OSError:
        with contextlib.suppress(OSError):
            private.unlink(missing_ok=True)
        return
    _prune(path.parent)


def _prune(folder: Path) -> None:
    """Remove all but the KEEP newest cache files (older grammars, older versions)."""
    try:
        files = sorted(
            folder.glob(f"{_PREFIX}*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in files[KEEP:]:
            old.unlink()
    except OSError:
        pass
