"""Writing outputs so that nothing is lost: atomic files and atomically switched output folders.

Two promises, for every command that writes:

* **Never delete what stratlang did not write.** An output folder is either new, empty, or one that
  stratlang wrote before: it holds the manifest `.stratlang-output.json`, and every file in it is
  listed there. Anything else (the project, the data, a home folder, a file the user dropped in) is
  refused with an `OutputError` naming the folder, before any work is done.
* **A killed or concurrent run leaves the whole old output or the whole new one.** A folder is
  written complete in a hidden staging sibling (`.NAME.stratlang-new-XXXX`), its manifest last, and
  then swapped with the old folder in one step (`renameat2(RENAME_EXCHANGE)` on Linux); the old set,
  now under the staging name, is renamed `.NAME.stratlang-old-XXXX` and removed. Runs writing into
  the same parent folder are serialised by an advisory lock on that parent (`flock`), and each run,
  holding the lock, first removes what killed runs left behind.

    with output_folder(Path("out"), inputs=[entry, data]) as stage:
        (stage / "model.json").write_text(...)      # write everything into `stage`
    # here `out` is the complete new set; on an exception it is untouched

Single files (`map -o`, `playbook -o`, `fmt`) are written with `atomic_write`: a temporary file in
the same folder, flushed to disk, then renamed over the target.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .errors import StratlangError

MANIFEST = ".stratlang-output.json"
STAGING_MARK = ".stratlang-staging"  # present in a staging folder until its manifest is written
_NEW, _OLD = "stratlang-new-", "stratlang-old-"


class OutputError(StratlangError):
    """An output path that cannot or must not be written; nothing was written."""


# ------------------------------------------------------------------------------------ single files


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write a file atomically: a temporary file in the same folder, flushed, then renamed.

    A symlink is written through (its target is replaced, the link stays), and an existing file
    keeps its permission bits; a new file gets the mode a plain open() would give (0666 - umask)."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_file(path: Path, inputs: Iterable[Path] = ()) -> None:
    """Raise OutputError when `path` cannot be an output file or is one of the run's inputs."""
    path = Path(path)
    _check_name_lengths(path)
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder", "name an output file")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(
                    f"cannot write {path}: {parent} is a file, not a folder",
                    "choose an output path in a folder you can write to",
                )
            break
    target = _real(path)
    for given in inputs:
        if _real(Path(given)) == target:
            raise OutputError(
                f"refusing to write {path}: it is an input of this run",
                "choose another output file",
            )


# ---------------------------------------------------------------------------------- output folders


@contextlib.contextmanager
def output_folder(
    dest: Path, inputs: Iterable[Path] = (), on_wait: Callable[[str], None] | None = None
) -> Iterator[Path]:
    """Yield an empty staging folder; when the block ends normally, switch it in as `dest` whole.

    Raises OutputError (before the block runs) when `dest` must not be written: not a folder, not
    empty and not written by stratlang, holding files stratlang did not write, or containing one of
    `inputs` (the project's files, the data). `on_wait(message)` is called once if another run
    holds the lock on `dest`'s parent folder."""
    shown = Path(dest)
    dest = _resolve_dest(shown)
    _refuse_containing_inputs(dest, shown, inputs)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        parent_fd = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e:
        raise OutputError(
            f"cannot create the output folder {shown}: {e.strerror or e}",
            "choose an output folder you can write to",
        ) from None
    try:
        _lock(parent_fd, shown, on_wait)
        stage = _prepare(dest, shown)
        try:
            yield stage
            _seal(stage)
            _switch(stage, dest)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
    finally:
        os.close(parent_fd)  # closing the descriptor releases the lock


def _prepare(dest: Path, shown: Path) -> Path:
    """Holding the lock: clean up after killed runs, check `dest` is ours, make the staging folder."""
    try:
        _recover_leftovers(dest)
        _check_owned(dest, shown)
        return _new_stage(dest)
    except OSError as e:
        raise OutputError(
            f"cannot write {shown}: {e.strerror or e}", "choose an output folder you can write to"
        ) from None


def _resolve_dest(dest: Path) -> Path:
    """The absolute output folder, with symlinks in it resolved (a link to a folder is written
    through, so the link itself stays)."""
    _check_name_lengths(dest)
    try:
        real = Path(os.path.realpath(dest, strict=False))
    except OSError as e:  # a symlink loop
        raise OutputError(f"cannot use {dest} as the output folder: {e.strerror or e}") from None
    if real.parent == real:
        raise OutputError(
            f"cannot use {dest} as the output folder: it is the root of the file system",
            "choose an output folder of its own (-o out)",
        )
    if real.exists() and not real.is_dir():
        raise OutputError(
            f"cannot write {dest}: it is a file, not a folder", "choose an output folder (-o)"
        )
    for parent in real.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(
                    f"cannot write {dest}: {parent} is a file, not a folder",
                    "choose an output folder you can write to",
                )
            break
    return real


def _check_name_lengths(path: Path) -> None:
    """ENAMETOOLONG, said before the system says it in the middle of a run."""
    name_max, path_max = 255, 4095
    if any(len(os.fsencode(part)) > name_max for part in Path(path).parts):
        raise OutputError(
            f"cannot write {str(path)[:60]}…: a name in the path is longer than {name_max} bytes",
            "choose a shorter output path",
        )
    if len(os.fsencode(os.path.abspath(path))) > path_max:
        raise OutputError(
            f"cannot write {str(path)[:60]}…: the path is longer than {path_max} bytes",
            "choose a shorter output path",
        )


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except OSError:
        return Path(os.path.abspath(path))


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when below it."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


def _refuse_containing_inputs(dest: Path, shown: Path, inputs: Iterable[Path]) -> None:
    for given in inputs:
        real = _real(Path(given))
        if real == dest or dest in real.parents:
            raise OutputError(
                f"refusing to write the output folder {shown}: it contains {_shown(real)}, "
                "an input of this run",
                "choose an output folder of its own, outside the project and the data (-o out)",
            )


def _lock(parent_fd: int, shown: Path, on_wait: Callable[[str], None] | None) -> None:
    """An exclusive flock on the parent folder: runs writing beside each other take turns."""
    try:
        fcntl.flock(parent_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if on_wait:
            on_wait(f"waiting for another stratlang run writing into {shown} or beside it")
        fcntl.flock(parent_fd, fcntl.LOCK_EX)


def _siblings(dest: Path, kind: str) -> list[Path]:
    prefix = f".{dest.name}.{kind}"
    try:
        return sorted(
            p
            for p in dest.parent.iterdir()
            if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink()
        )
    except OSError:
        return []


def _recover_leftovers(dest: Path) -> None:
    """Clean up after killed runs (called holding the lock, so no live run owns these).

    A staging folder whose manifest was written is a complete new set: if the switch never
    happened because `dest` did not exist yet, it becomes `dest`. Everything else of ours goes:
    staging folders (marked) and old sets (renamed by us)."""
    if not dest.exists():
        complete = [p for p in _siblings(dest, _NEW) if _is_sealed(p)]
        if complete:
            os.rename(complete[-1], dest)
    for p in _siblings(dest, _NEW):
        if (p / STAGING_MARK).exists() or _is_sealed(p) or not any(p.iterdir()):
            shutil.rmtree(p, ignore_errors=True)
    for p in _siblings(dest, _OLD):
        shutil.rmtree(p, ignore_errors=True)


def _is_sealed(folder: Path) -> bool:
    return (folder / MANIFEST).is_file() and not (folder / STAGING_MARK).exists()


def _files_under(folder: Path) -> list[str]:
    """Every entry below `folder` that is not a folder (files, links, FIFOs), as sorted posix paths."""
    out: list[str] = []
    for top, dirs, files in os.walk(folder):
        rel = Path(top).relative_to(folder)
        out.extend((rel / f).as_posix() for f in files)
        out.extend((rel / d).as_posix() for d in dirs if os.path.islink(os.path.join(top, d)))
    return sorted(out)


def read_manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), list) else None


def _check_owned(dest: Path, shown: Path) -> None:
    """Refuse a folder that holds anything stratlang did not write."""
    if not dest.exists():
        return
    present = _files_under(dest)
    if not present:
        return
    if read_manifest(dest) is None:
        raise OutputError(
            f"refusing to write into {shown}: it is not empty and was not written by stratlang (no {MANIFEST})",
            "choose a new or empty output folder; stratlang replaces an output folder as a whole",
        )
    ours = _written_by_us(dest)
    foreign = [f for f in present if f not in ours]
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise OutputError(
            f"refusing to replace {shown}: it holds {', '.join(foreign[:3])}{more}, which stratlang did not write",
            "move those files out of the output folder, or choose another one",
        )


def _written_by_us(folder: Path) -> set[str]:
    """Files listed by the manifests in `folder` and its subfolders (paths relative to `folder`)."""
    ours: set[str] = set()
    for top, _dirs, _files in os.walk(folder):
        manifest = read_manifest(Path(top))
        if manifest is None:
            continue
        rel = Path(top).relative_to(folder)
        ours.add((rel / MANIFEST).as_posix())
        ours.update((rel / f).as_posix() for f in manifest["files"] if isinstance(f, str))
    return ours


def _new_stage(dest: Path) -> Path:
    stage = dest.parent / f".{dest.name}.{_NEW}{secrets.token_hex(4)}"
    os.mkdir(stage, 0o777)
    (stage / STAGING_MARK).touch()
    return stage


def _seal(stage: Path) -> None:
    """Flush every file to disk, then write the manifest (last) and drop the staging mark."""
    write_manifest(stage)
    os.unlink(
        stage / STAGING_MARK
    )  # a kill before this leaves a marked staging folder: removed later
    _fsync_path(stage)


def write_manifest(folder: Path) -> None:
    """List every file below `folder` in its manifest, after flushing them to disk. A folder with a
    manifest is one stratlang may replace later (`lists -o out/lists` inside a build's output)."""
    files = [f for f in _files_under(folder) if f not in (MANIFEST, STAGING_MARK)]
    for name in files:
        _fsync_path(folder / name)
    from . import __version__

    manifest = {"format_version": 1, "written_by": f"stratlang {__version__}", "files": files}
    atomic_write(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch(stage: Path, dest: Path) -> None:
    """Make `stage` be `dest` in one step; remove the old set."""
    if not dest.exists():
        os.rename(stage, dest)
        return
    os.chmod(stage, stat.S_IMODE(os.stat(dest).st_mode))
    if not _exchange(stage, dest):
        # No atomic exchange on this system: two renames. A kill between them leaves no `dest`,
        # and the next run promotes the complete staging set (see _recover_leftovers).
        old = dest.parent / f".{dest.name}.{_OLD}{secrets.token_hex(4)}"
        os.rename(dest, old)
        os.rename(stage, dest)
        shutil.rmtree(old, ignore_errors=True)
        return
    old = dest.parent / f".{dest.name}.{_OLD}{secrets.token_hex(4)}"
    os.rename(stage, old)  # `stage` now holds the old set
    shutil.rmtree(old, ignore_errors=True)
    _fsync_path(dest.parent)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False when the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))
