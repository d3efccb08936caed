"""Outputs are sacred: a run never deletes what it did not write, and a killed or concurrent run
leaves the whole old output or the whole new one (`stratlang.output`).

The invariant is checked on real `stratlang build --data` runs: killed at every file-system step
(fault injection: the process exits on the spot at its N-th rename, unlink, mkdir, …), killed with
SIGKILL at random instants, and run six at a time into one folder. After each kill the output
folder must be byte for byte the old set or the new set, and the next run must leave no leftovers.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES

from stratlang.output import MANIFEST, OutputError, output_folder, read_manifest

STRATLANG = str(Path(sys.executable).parent / "stratlang")
PROJECT = EXAMPLES / "customer_equity"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (relative path -> bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.stratlang-")
    )


def build_args(data: Path, out: Path) -> list[str]:
    return ["build", str(PROJECT / "main.strat"), "-o", str(out), "--data", str(data)]


def run_build(data: Path, out: Path, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, CI="true")
    return subprocess.run(
        [STRATLANG, *build_args(data, out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        **kw,
    )


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory):
    """Two builds of one project on different data: the old set (200 customers) and the new (400)."""
    base = tmp_path_factory.mktemp("sets")
    rows = (
        (PROJECT / "data" / "customers.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    )
    old_data, new_data = base / "old.csv", base / "new.csv"
    old_data.write_text("".join(rows[:201]), encoding="utf-8")
    new_data.write_text("".join(rows[:401]), encoding="utf-8")
    sets = {}
    for name, data in (("old", old_data), ("new", new_data)):
        out = base / f"ref-{name}"
        r = run_build(data, out)
        assert r.returncode == 0, r.stderr
        sets[name] = out
    assert snapshot(sets["old"]) != snapshot(sets["new"])
    return {"old_data": old_data, "new_data": new_data, "old": sets["old"], "new": sets["new"]}


def fresh_old(two_sets, where: Path) -> Path:
    """`where/out` holding the old set (leftovers of earlier kills stay: the next run removes them)."""
    out = where / "out"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(two_sets["old"], out)
    return out


def assert_old_or_new(out: Path, two_sets) -> str:
    got = snapshot(out) if out.exists() else {}
    if got == snapshot(two_sets["old"]):
        return "old"
    assert got == snapshot(two_sets["new"]), f"mixed output: {sorted(got)}"
    return "new"


# ------------------------------------------------------------------------------ what may be written


def test_refuses_a_folder_stratlang_did_not_write(tmp_path):
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "letter.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match="not empty and was not written by stratlang"):
        with output_folder(mine):
            pytest.fail("the block must not run")
    assert snapshot(mine) == {"letter.txt": b"keep me"}
    assert leftovers(mine) == []


def test_refuses_a_folder_holding_a_file_it_did_not_write(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as stage:
        (stage / "model.json").write_text("{}", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="notes.txt, which stratlang did not write"):
        with output_folder(out):
            pytest.fail("the block must not run")
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_refuses_a_folder_containing_an_input(tmp_path):
    data = tmp_path / "data" / "customers.csv"
    data.parent.mkdir()
    data.write_text("id\n1\n", encoding="utf-8")
    for dest in (tmp_path, tmp_path / "data"):
        with pytest.raises(OutputError, match="an input of this run"):
            with output_folder(dest, inputs=[data]):
                pytest.fail("the block must not run")
    assert data.read_text(encoding="utf-8") == "id\n1\n"


def test_a_failing_run_leaves_the_old_set_and_no_staging(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as stage:
        (stage / "a.txt").write_text("old", encoding="utf-8")
    before = snapshot(out)
    with pytest.raises(RuntimeError), output_folder(out) as stage:
        (stage / "a.txt").write_text("new", encoding="utf-8")
        raise RuntimeError("a backend failed")
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_the_new_set_replaces_the_old_whole_and_keeps_the_folder_mode(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as stage:
        (stage / "gone.txt").write_text("old", encoding="utf-8")
        (stage / "sub").mkdir()
        (stage / "sub" / "x.csv").write_text("1", encoding="utf-8")
    os.chmod(out, 0o750)
    with output_folder(out) as stage:
        (stage / "kept.txt").write_text("new", encoding="utf-8")
    assert set(snapshot(out)) == {"kept.txt", MANIFEST}
    assert read_manifest(out)["files"] == ["kept.txt"]
    assert oct(out.stat().st_mode & 0o777) == oct(0o750)
    assert leftovers(out) == []


def test_an_output_inside_an_output_is_its_own_and_the_parents(tmp_path):
    """`lists -o out/lists` after a build: both folders stay replaceable."""
    out = tmp_path / "out"
    with output_folder(out) as stage, output_folder(stage / "lists") as lists:
        (lists / "a.csv").write_text("1", encoding="utf-8")
    with output_folder(out / "lists") as lists:
        (lists / "b.csv").write_text("2", encoding="utf-8")
    with output_folder(out) as stage:  # the parent accepts what the nested run wrote
        (stage / "model.json").write_text("{}", encoding="utf-8")
    assert set(snapshot(out)) == {"model.json", MANIFEST}


def test_leftovers_of_killed_runs_are_removed_and_nothing_else(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as stage:
        (stage / "a.txt").write_text("1", encoding="utf-8")
    staging = tmp_path / ".out.stratlang-new-dead"
    staging.mkdir()
    (staging / ".stratlang-staging").touch()
    (staging / "half.csv").write_text("x", encoding="utf-8")
    old = tmp_path / ".out.stratlang-old-dead"
    old.mkdir()
    unrelated = tmp_path / ".out.backup"
    unrelated.mkdir()
    with output_folder(out) as stage:
        (stage / "a.txt").write_text("2", encoding="utf-8")
    assert leftovers(out) == []
    assert unrelated.is_dir()


def test_a_complete_staged_set_is_promoted_when_the_folder_is_missing(tmp_path):
    """Where no atomic exchange exists, a kill between the two renames leaves no folder; the next
    run finds the sealed new set and puts it in place before going on."""
    out = tmp_path / "out"
    with output_folder(tmp_path / "elsewhere") as stage:
        (stage / "a.txt").write_text("new", encoding="utf-8")
    os.rename(tmp_path / "elsewhere", tmp_path / ".out.stratlang-new-sealed")
    with output_folder(out):
        promoted = (out / "a.txt").read_text(encoding="utf-8")
    assert promoted == "new"
    assert leftovers(out) == []


# ------------------------------------------------------------------------------ kills and races

INJECT = r"""
import os, shutil, sys
N = int(sys.argv[1])
calls = 0

def fault(name, real):
    def wrapper(*a, **kw):
        global calls
        calls += 1
        if calls == N:
            os._exit(137)          # killed on the spot: no except, no finally, no atexit
        return real(*a, **kw)
    return wrapper

for name in ("rename", "replace", "unlink", "mkdir", "rmdir"):  # the steps that change the file system
    setattr(os, name, fault(name, getattr(os, name)))
shutil.rmtree = fault("rmtree", shutil.rmtree)
import stratlang.output as out
out._exchange = fault("exchange", out._exchange)
sys.argv = ["stratlang"] + sys.argv[2:]
from stratlang.cli import run
run()
"""


@pytest.mark.slow
def test_killed_at_every_file_system_step(two_sets, tmp_path):
    driver = tmp_path / "inject.py"
    driver.write_text(INJECT, encoding="utf-8")
    outcomes = []
    for n in range(1, 200):
        out = fresh_old(two_sets, tmp_path)
        r = subprocess.run(
            [sys.executable, str(driver), str(n), *build_args(two_sets["new_data"], out)],
            capture_output=True,
            text=True,
            env=dict(os.environ, CI="true"),
            timeout=300,
        )
        assert r.returncode in (0, 137), r.stderr
        outcomes.append(assert_old_or_new(out, two_sets))
        if r.returncode == 0:
            break
    else:
        pytest.fail("the build never got past the fault injection")
    assert outcomes[0] == "old" and outcomes[-1] == "new"
    assert len(outcomes) > 10  # the injection reached the steps of the switch, not just the start
    # what the killed runs left behind goes with the next run, which writes the new set
    assert run_build(two_sets["new_data"], out).returncode == 0
    assert assert_old_or_new(out, two_sets) == "new"
    assert leftovers(out) == []


@pytest.mark.slow
def test_killed_at_random_instants(two_sets, tmp_path):
    rng = random.Random(20261202)
    start = time.monotonic()
    assert run_build(two_sets["new_data"], tmp_path / "timing").returncode == 0
    full = time.monotonic() - start
    for _ in range(10):
        out = fresh_old(two_sets, tmp_path)
        proc = subprocess.Popen(
            [STRATLANG, *build_args(two_sets["new_data"], out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, CI="true"),
        )
        time.sleep(rng.uniform(0.2, full * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert_old_or_new(out, two_sets)  # a whole set; which one depends on the instant


@pytest.mark.slow
def test_concurrent_builds_into_one_folder_take_turns(two_sets, tmp_path):
    out = fresh_old(two_sets, tmp_path)
    env = dict(os.environ, CI="true")
    procs = [
        subprocess.Popen(
            [STRATLANG, *build_args(two_sets["new_data" if i % 2 else "old_data"], out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(6)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0] * 6, results
    assert assert_old_or_new(out, two_sets) in ("old", "new")
    assert leftovers(out) == []


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def dense_map_project(folder: Path) -> Path:
    """112 objectives with 672 labelled links: Graphviz needs many seconds to lay this out."""
    rng = random.Random(1)
    perspectives = ["financial", "customer", "process", "learning"]
    ids = {p: [f"{p[0].upper()}{i}" for i in range(1, 29)] for p in perspectives}
    text = ['strategy "Dense" {\n  owner "o"\n  period 2026-01-01 .. 2026-12-31\n  locale en\n}\n']
    for p in perspectives:
        text += [
            f'objective {o} "Objective {o} with a longer label" {{\n  perspective {p}\n}}\n'
            for o in ids[p]
        ]
    for lower, upper in zip(perspectives[1:], perspectives):
        text += [f'{o} -> {t} "drives"\n' for o in ids[lower] for t in rng.sample(ids[upper], 8)]
    entry = folder / "main.strat"
    entry.write_text("".join(text), encoding="utf-8")
    return entry


@pytest.mark.slow
def test_graphviz_dies_with_the_command(tmp_path):
    entry = dense_map_project(tmp_path)
    proc = subprocess.Popen(
        [STRATLANG, "map", str(entry), "-o", str(tmp_path / "map.svg")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    dot = []
    while not dot and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        dot = _children(proc.pid)
    assert dot, "dot never started (or finished before it could be seen)"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _alive(dot[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(dot[0]), "dot outlived the killed command"
    assert not (tmp_path / "map.svg").exists()


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        found += kids
        todo += kids
    return found


@pytest.mark.slow
def test_the_spark_jvm_dies_with_the_command(tmp_path):
    """PySpark's gateway JVM watches its stdin, a pipe from stratlang: it exits when stratlang dies,
    however it dies (killed while the JVM still starts, it sees the closed pipe once it is up)."""
    pytest.importorskip("pyspark")
    data = PROJECT / "data" / "customers.csv"
    proc = subprocess.Popen(
        [
            STRATLANG,
            "lists",
            str(PROJECT / "main.strat"),
            "--engine",
            "spark",
            "-o",
            str(tmp_path / "lists"),
            "--data",
            str(data),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    family: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        family = _descendants(proc.pid)
        if any(
            "java" in Path(f"/proc/{p}/comm").read_text()
            for p in family
            if Path(f"/proc/{p}/comm").exists()
        ):
            break
        time.sleep(0.1)
    assert proc.poll() is None, "the Spark run ended before its JVM could be seen"
    family = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in family if _alive(p)], (
        "a process of the Spark run outlived the killed command"
    )
    assert not (tmp_path / "lists").exists()
