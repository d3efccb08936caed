"""Start-up: the parser's tables cached on disk (stratlang/syntax/parser_cache.py), commands
imported only when called (stratlang/cli/__init__.py), and the quick exit of the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES

from stratlang.cli import _register, command_modules, main
from stratlang.source import SourceFile
from stratlang.syntax import parser as P
from stratlang.syntax import parser_cache

BANK = EXAMPLES / "bank_wealth"
STRATLANG = str(Path(sys.executable).parent / "stratlang")


def bank_sources() -> list[SourceFile]:
    return [SourceFile(str(p), p.read_text(encoding="utf-8")) for p in sorted(BANK.glob("*.strat"))]


class NoBuild(P.Lark):
    """A Lark that may only be loaded from saved tables, never built from the grammar."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("the parser was built, not loaded from the cache")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("STRATLANG_CACHE_DIR", str(folder))
    return folder


def cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("parser-*.lark-cache"))


def test_the_first_parser_is_saved_and_the_next_is_loaded_and_parses_the_same(cache, monkeypatch):
    built = P._Parser()
    assert len(cache_files(cache)) == 1
    monkeypatch.setattr(P, "Lark", NoBuild)
    loaded = P._Parser()
    for source in bank_sources():
        assert loaded.parse(source) == built.parse(source) == P.parse_source(source)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_corrupted_cache_file_is_rebuilt_not_a_crash(cache, monkeypatch, damage):
    P._Parser()
    (path,) = cache_files(cache)
    data = path.read_bytes()
    damaged = {
        "garbage": os.urandom(5000),
        "truncated": data[: len(data) // 2],  # the right first line, half the tables
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    rebuilt = P._Parser()
    source = bank_sources()[0]
    assert rebuilt.parse(source) == P.parse_source(source)
    assert path.read_bytes() != damaged  # replaced by a good file ...
    monkeypatch.setattr(P, "Lark", NoBuild)
    P._Parser()  # ... which loads
    assert not list(cache.glob(".*.tmp"))


def test_a_changed_grammar_or_version_has_its_own_file(cache):
    a = parser_cache.cache_file("grammar one", "options")
    b = parser_cache.cache_file("grammar two", "options")
    c = parser_cache.cache_file("grammar one", "other options")
    assert a is not None and b is not None and c is not None
    assert len({a[0], b[0], c[0]}) == 3
    assert a[0].parent == cache
    # a file written for one key is not read for another
    parser_cache.write(a, b"tables")
    assert parser_cache.read(a) == b"tables"
    b[0].write_bytes(a[0].read_bytes())
    assert parser_cache.read(b) is None


def test_only_the_newest_files_are_kept(cache):
    for i in range(parser_cache.KEEP + 3):
        parser_cache.write(parser_cache.cache_file(f"grammar {i}"), b"x")
    assert len(cache_files(cache)) == parser_cache.KEEP


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("STRATLANG_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert parser_cache.cache_dir() == tmp_path / "xdg" / "stratlang"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert parser_cache.cache_dir() == tmp_path / "home" / ".cache" / "stratlang"
    monkeypatch.setenv("STRATLANG_CACHE_DIR", "")
    assert parser_cache.cache_dir() is None
    assert parser_cache.cache_file("grammar") is None


def test_an_unusable_cache_folder_means_no_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("STRATLANG_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    source = bank_sources()[0]
    assert P._Parser().parse(source) == P.parse_source(source)
    monkeypatch.setenv("STRATLANG_CACHE_DIR", "")  # turned off
    assert P._Parser().parse(source) == P.parse_source(source)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STRATLANG, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1", **(env or {})),
        timeout=180,
    )


@pytest.mark.slow
def test_parallel_first_runs_share_one_cache_file(tmp_path):
    env = dict(os.environ, NO_COLOR="1", STRATLANG_CACHE_DIR=str(tmp_path / "cache"))
    procs = [
        subprocess.Popen(
            [STRATLANG, "check", "--format", "json", str(BANK)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    assert len({o for o, _ in outs}) == 1
    assert len(cache_files(tmp_path / "cache")) == 1
    assert not list((tmp_path / "cache").glob(".*.tmp"))


def imported_modules(*argv: str) -> set[str]:
    """The modules a command imports (in a fresh interpreter, as `stratlang ARGV`)."""
    code = (
        "import json, sys\n"
        "from stratlang.cli import run\n"
        f"sys.argv = ['stratlang', *{list(argv)!r}]\n"
        "try:\n    run()\nexcept SystemExit as e:\n    code = e.code\n"
        "print('MODULES', json.dumps(sorted(sys.modules)), code, file=sys.stderr)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
        timeout=180,
    )
    line = next(x for x in r.stderr.splitlines() if x.startswith("MODULES "))
    mods, code = line[len("MODULES ") :].rsplit(" ", 1)
    assert code in ("0", "None"), r.stderr
    return set(json.loads(mods))


def test_version_imports_neither_the_parser_nor_the_checker():
    mods = imported_modules("--version")
    assert "stratlang.cli" in mods  # the measurement works
    assert not {m for m in mods if m.split(".")[0] == "lark" or m.startswith("stratlang.check")}


def test_fmt_parses_and_prints_without_the_checker():
    """`fmt --check` (the pre-commit hook) needs the parser and the printer, not the model or
    the checks: 0.15 s instead of 0.30 s on the bank example (docs/performance.md)."""
    mods = imported_modules("fmt", "--check", str(BANK))
    assert "stratlang.fmt" in mods and "stratlang.syntax.parser" in mods
    assert not {m for m in mods if m.startswith("stratlang.check") or m == "stratlang.model"}


def test_check_imports_no_other_command_and_no_backend():
    mods = imported_modules("check", str(BANK))
    assert "stratlang.cli.check" in mods
    _register()
    others = {c.callback.__module__ for c in main.commands.values()} - {"stratlang.cli.check"}
    assert not mods & others, mods & others
    assert not {m for m in mods if m.startswith("stratlang.backends") or m == "stratlang.builder"}


def test_every_command_is_found_by_its_name():
    _register()
    for name, command in main.commands.items():
        assert command.callback.__module__ in command_modules(name), (
            f"the command {name!r} is defined in {command.callback.__module__}: name the module "
            "after the command, or it is found only by importing every command"
        )


def test_the_quick_exit_keeps_exit_codes_and_flushes_output(tmp_path):
    bad = tmp_path / "bad.strat"
    bad.write_text('strategy "x" {\n  owner "a\n}\n', encoding="utf-8")
    r = run("check", "--format", "json", str(bad))
    assert r.returncode == 1
    assert json.loads(r.stdout)  # the whole document arrived
    r = run("check", str(BANK))
    assert (r.returncode, r.stderr) == (0, "")
    r = run("no-such-command")
    assert r.returncode == 2 and "No such command" in r.stderr
    r = run("--version")
    assert r.returncode == 0 and "stratlang" in r.stdout


def test_python_code_calling_run_gets_control_back():
    code = (
        "import sys; from stratlang.cli import run\n"
        "sys.argv = ['stratlang', '--version']\n"
        "try:\n    run()\nexcept SystemExit as e:\n    print('BACK', e.code)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert "BACK 0" in r.stdout, r.stdout + r.stderr


def test_check_imports_no_networkx():
    mods = imported_modules("check", str(BANK))
    assert "stratlang.check.mapgraph" in mods
    assert not {m for m in mods if m.split(".")[0] == "networkx"}


@pytest.mark.parametrize("seed", range(30))
def test_the_map_checks_components_are_networkx_s(seed):
    import random

    import networkx as nx

    from stratlang.check.mapgraph import _Causal

    rng = random.Random(seed)
    n = rng.randint(1, 25)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from((rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 3 * n)))
    ours = _Causal.__new__(_Causal)
    ours.succ = {str(v): [str(w) for w in g.successors(v)] for v in g}
    ours._components = None  # found on first use
    expected = sorted(sorted(str(v) for v in c) for c in nx.strongly_connected_components(g))
    assert sorted(sorted(c) for c in ours.components()) == expected
