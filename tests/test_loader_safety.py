"""The loader stays inside the project root and never blocks: symlinks are resolved before the
root check, special files (FIFO, device, socket) are refused without being opened, and absurd
paths (a 300-character name, a symlink loop) are clean diagnostics or `error: …` exit 2."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASE

from stratlang.check import LoadError, check_entry

STRATLANG = [str(Path(sys.executable).parent / "stratlang")]
LONG = "a" * 300 + ".strat"
SECRET = "s3cr3t-value-never-shown"

posix_only = pytest.mark.skipif(
    os.name != "posix", reason="symlinks, FIFOs and sockets as on POSIX"
)
pytestmark = [posix_only, pytest.mark.slow]  # end to end: not in `make test-fast`


def run(*args, cwd=None, timeout=60):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("CI", None)
    env.pop("STRATLANG_DEBUG", None)
    r = subprocess.run(
        STRATLANG + [str(a) for a in args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    out = r.stdout + r.stderr
    assert "Traceback" not in out and "internal error" not in out, out
    return r


def project(tmp_path: Path, *imports: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    entry = root / "main.strat"
    entry.write_text(BASE + "".join(f'import "{i}"\n' for i in imports), encoding="utf-8")
    return entry


def nam206(res) -> list[str]:
    return [d.message for d in res.diagnostics if d.code == "NAM206"]


# --- symlinks may not lead out of the root ---------------------------------------------------------


@pytest.mark.parametrize("target", ["/etc/passwd", "/proc/self/environ", "OUTSIDE"])
def test_symlinked_import_leading_out_of_the_root_is_nam206(tmp_path, target):
    outside = tmp_path / "outside.strat"
    outside.write_text(f'event e "{SECRET}"\n', encoding="utf-8")
    target = str(outside) if target == "OUTSIDE" else target
    if not os.path.exists(target):
        pytest.skip(f"{target} does not exist here")
    entry = project(tmp_path, "link.strat")
    (entry.parent / "link.strat").symlink_to(target)
    res = check_entry(entry)
    [msg] = nam206(res)
    assert msg.startswith("import `link.strat` resolves to ") and msg.endswith(
        "outside the project root"
    )
    assert os.path.realpath(target) in msg
    assert [Path(f).name for f in res.sources.files] == ["main.strat"]  # nothing else was read
    r = run("check", entry, "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert [d["code"] for d in doc["diagnostics"] if d["severity"] == "error"] == ["NAM206"]
    r = run("check", entry)
    assert "resolves to" in r.stderr and SECRET not in r.stderr and "root:" not in r.stderr


def test_symlinked_folder_leading_out_of_the_root_is_nam206(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "ch.strat").write_text(f'event e "{SECRET}"\n', encoding="utf-8")
    entry = project(tmp_path, "shared/ch.strat")
    (entry.parent / "shared").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    res = check_entry(entry)
    [msg] = nam206(res)
    assert "resolves to" in msg and "outside the project root" in msg
    assert not any(SECRET in s.text for s in res.sources)


def test_symlink_inside_the_root_is_followed_and_loaded_once(tmp_path):
    entry = project(tmp_path, "real.strat", "alias.strat")
    (entry.parent / "real.strat").write_text('event e "E"\n', encoding="utf-8")
    (entry.parent / "alias.strat").symlink_to("real.strat")
    res = check_entry(entry)
    assert nam206(res) == []
    assert "NAM202" not in [d.code for d in res.diagnostics]  # one file, not two copies of `e`
    assert len(res.project.files) == 2


def test_project_reached_through_a_symlinked_folder_still_works(tmp_path):
    entry = project(tmp_path, "more.strat")
    (entry.parent / "more.strat").write_text('event e "E"\n', encoding="utf-8")
    (tmp_path / "via").symlink_to(entry.parent, target_is_directory=True)
    res = check_entry(tmp_path / "via" / "main.strat")
    assert nam206(res) == []
    assert run("check", tmp_path / "via" / "main.strat").returncode == 0
    assert run("check", tmp_path / "via").returncode == 0


def test_symlinked_entry_leading_out_of_the_root_is_refused(tmp_path):
    (tmp_path / "proj").mkdir()
    entry = tmp_path / "proj" / "main.strat"
    entry.symlink_to("/etc/passwd")
    with pytest.raises(LoadError, match="resolves to /etc/passwd, outside the project root"):
        check_entry(entry)
    for arg in (entry, entry.parent):
        r = run("check", arg)
        assert (
            r.returncode == 2 and "resolves to /etc/passwd" in r.stderr and "root:" not in r.stderr
        )
    # an explicit, wider root is the user's choice
    assert run("check", "--root", "/", entry).returncode == 1


def test_symlinked_entry_inside_the_root_is_fine(tmp_path):
    real = project(tmp_path)
    (real.parent / "link.strat").symlink_to("main.strat")
    res = check_entry(real.parent / "link.strat")
    assert nam206(res) == [] and res.project.entry == real.resolve()


# --- special files are refused, never opened --------------------------------------------------------


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()
    return path


@pytest.mark.parametrize(
    "make, kind", [(_fifo, "a named pipe (FIFO)"), (_socket, "a socket")], ids=["fifo", "socket"]
)
def test_special_file_import_is_refused_precisely(tmp_path, make, kind):
    entry = project(tmp_path, "special.strat")
    make(entry.parent / "special.strat")
    res = check_entry(entry)  # a FIFO that was opened would block here forever
    [d] = [d for d in res.diagnostics if d.code == "NAM206"]
    assert d.message == f"imported file `special.strat` is not a regular file: it is {kind}"
    assert (d.span.line, d.span.column) == (BASE.count("\n") + 1, 8)
    r = run("check", entry, timeout=20)
    assert r.returncode == 1 and "is not a regular file" in r.stderr


def test_device_import_is_refused(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    entry = project(tmp_path, os.path.relpath("/dev/zero", tmp_path / "proj"))
    res = check_entry(entry, root="/")  # reading /dev/zero would never end
    [msg] = nam206(res)
    assert msg.endswith("is not a regular file: it is a character device")


@pytest.mark.parametrize(
    "cmd",
    [
        ["check"],
        ["check", "--format", "json"],
        ["fmt"],
        ["fmt", "--check"],
        ["fmt", "--diff"],
        ["map"],
        ["sql"],
        ["build", "-o", "OUT"],
        ["playbook", "-o", "OUT.html"],
        ["lists", "--data", "DATA.csv", "-o", "OUT"],
    ],
    ids=lambda c: "-".join(c),
)
def test_fifo_entry_is_refused_by_every_command(tmp_path, cmd):
    fifo = _fifo(tmp_path / "pipe.strat")
    (tmp_path / "DATA.csv").write_text("id,age\n1,30\n", encoding="utf-8")
    args = [str(tmp_path / a) if a.startswith(("OUT", "DATA")) else a for a in cmd]
    r = run(*args, fifo, timeout=30)
    assert r.returncode == 2, r.stderr
    assert "pipe.strat is not a regular file (it is a named pipe (FIFO))" in r.stderr
    assert not any(p.name.startswith("OUT") for p in tmp_path.iterdir())


def test_fifo_entry_in_the_api(tmp_path):
    with pytest.raises(LoadError, match="is not a regular file"):
        check_entry(_fifo(tmp_path / "pipe.strat"))


def test_fmt_skips_a_fifo_in_a_folder_and_formats_through_a_symlink(tmp_path):
    _fifo(tmp_path / "pipe.strat")
    real = tmp_path / "real.strat"
    real.write_text('segment s "S"  {  rule age > 1 }\n', encoding="utf-8")
    (tmp_path / "link.strat").symlink_to("real.strat")
    r = run("fmt", tmp_path / "link.strat", timeout=30)
    assert r.returncode == 0, r.stderr
    assert (
        tmp_path / "link.strat"
    ).is_symlink()  # the link is kept, the file it names is formatted
    assert real.read_text(encoding="utf-8").startswith('segment s "S" {')
    r = run(
        "fmt", "--check", tmp_path, timeout=30
    )  # the folder's FIFO is not a .strat file to read
    assert r.returncode == 0, r.stderr


def test_folder_whose_main_strat_is_a_fifo(tmp_path):
    _fifo(tmp_path / "main.strat")
    r = run("check", tmp_path, timeout=30)
    assert r.returncode == 2 and "is not a regular file" in r.stderr


# --- absurd names and loops ------------------------------------------------------------------------


def test_import_with_a_300_character_name_is_nam206_at_the_import(tmp_path):
    entry = project(tmp_path, LONG)
    res = check_entry(entry)
    [d] = [d for d in res.diagnostics if d.code == "NAM206"]
    assert "the file name is too long" in d.message and len(d.message) < 200
    assert (d.span.line, d.span.column) == (BASE.count("\n") + 1, 8)
    assert run("check", entry).returncode == 1


def test_entry_with_a_300_character_name_is_exit_2(tmp_path):
    for cmd in (["check"], ["fmt"], ["fmt", "--check"], ["map"], ["sql"]):
        r = run(*cmd, tmp_path / LONG)
        assert r.returncode == 2 and "error:" in r.stderr and "too long" in r.stderr, (
            cmd,
            r.stderr,
        )
        assert max(len(line) for line in r.stderr.splitlines()) < 300


def test_entry_that_is_a_symlink_loop_is_exit_2(tmp_path):
    (tmp_path / "a.strat").symlink_to("b.strat")
    (tmp_path / "b.strat").symlink_to("a.strat")
    with pytest.raises(LoadError, match="symlink loop"):
        check_entry(tmp_path / "a.strat")
    for cmd in (["check"], ["fmt"], ["map"], ["build", "-o", tmp_path / "out"]):
        r = run(*cmd, tmp_path / "a.strat")
        assert r.returncode == 2 and "error:" in r.stderr and "symlink loop" in r.stderr, (
            cmd,
            r.stderr,
        )
    r = run("check", tmp_path)  # a folder of loops: every .strat file, each refused cleanly
    assert r.returncode == 2 and "symlink loop" in r.stderr


def test_import_that_is_a_symlink_loop_is_nam206(tmp_path):
    entry = project(tmp_path, "loop.strat")
    (entry.parent / "loop.strat").symlink_to("loop.strat")
    [msg] = nam206(check_entry(entry))
    assert (
        msg
        == "cannot read imported file `loop.strat`: a symlink loop (too many levels of symbolic links)"
    )


def test_import_cycle_through_a_symlink_is_a_cycle(tmp_path):
    entry = project(tmp_path, "again.strat")
    (entry.parent / "again.strat").symlink_to("main.strat")
    [msg] = nam206(check_entry(entry))
    assert msg.startswith("import cycle: ")


def test_hostile_import_messages_are_unchanged(tmp_path):
    entry = project(tmp_path, "missing.strat", "../outside.strat", "")
    msgs = nam206(check_entry(entry))
    assert msgs == [
        "imported file `missing.strat` not found",
        "import `../outside.strat` leaves the project root",
        "imported file `` not found",
    ]
