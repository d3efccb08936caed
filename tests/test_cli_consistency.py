"""The options every command shares (issue 16 §7, §8): `-o/--out`, a folder for an entry file,
`--fail-level`, `-V`, `--color`, `build`'s last line and `--open`, the extras' install hints, and a
`check`/`fmt` that import none of the heavy data and PDF libraries (the pre-commit hooks install
only the core). Through the real executable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest
from conftest import EXAMPLES, ROOT
from test_cli import STRATLANG, run

pytestmark = pytest.mark.slow

BANK = EXAMPLES / "bank_wealth"
HEAVY = ("duckdb", "pyarrow", "weasyprint", "numpy", "pyspark", "openpyxl", "pandas")
# a project that checks without errors but with a warning (MAP405 and the like)
WARNS = (ROOT / "tests" / "ui" / "SEG504.strat").read_text(encoding="utf-8")
BROKEN = 'strategy "x" {\n  owner "a"\n  period 2026-01-01 .. 2026-12-31\n}\nsegment s "s" { rule age < }\n'


def without_no_color(**extra):
    e = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    e.pop("CI", None)
    e.update(extra)
    return e


# --- -V, --version ---------------------------------------------------------------------------


def test_short_version_flag_is_the_long_one():
    short, long_ = run("-V"), run("--version")
    assert short.returncode == long_.returncode == 0
    assert short.stdout == long_.stdout
    assert short.stdout.startswith("stratlang, version ")


# --- -o/--out everywhere; map keeps --output -----------------------------------------------------


@pytest.mark.parametrize("command", ["build", "lists", "review", "playbook", "map", "sql", "watch"])
def test_every_writing_command_takes_dash_o_and_dash_dash_out(command):
    r = run(command, "--help")
    assert r.returncode == 0
    assert "-o, --out" in r.stdout, r.stdout
    assert "--output" not in r.stdout  # the old spelling is hidden


def test_map_out_and_the_old_output_spelling_write_the_same_map(tmp_path):
    a, b = tmp_path / "a.dot", tmp_path / "b.dot"
    ra = run("map", BANK / "main.strat", "--out", a)
    rb = run("map", BANK / "main.strat", "--output", b)
    assert ra.returncode == rb.returncode == 0, ra.stderr + rb.stderr
    assert a.read_bytes() == b.read_bytes()
    both = run("map", BANK / "main.strat", "-o", tmp_path / "c.dot", "--output", tmp_path / "d.dot")
    assert both.returncode == 2
    assert "--output is the old spelling" in both.stderr
    assert not (tmp_path / "c.dot").exists() and not (tmp_path / "d.dot").exists()


def test_sql_writes_to_a_file_with_out(tmp_path):
    out = tmp_path / "segments.sql"
    r = run("sql", BANK / "main.strat", "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert out.read_text(encoding="utf-8") == run("sql", BANK / "main.strat").stdout


# --- a folder wherever an entry file is accepted ---------------------------------------------------


def test_a_folder_means_its_main_strat_for_every_entry_command(tmp_path):
    assert run("sql", BANK).stdout == run("sql", BANK / "main.strat").stdout != ""
    assert run("map", BANK).stdout == run("map", BANK / "main.strat").stdout != ""
    page = tmp_path / "p.html"
    r = run("playbook", BANK, "-o", page, env={"SOURCE_DATE_EPOCH": "0"})
    assert r.returncode == 0, r.stderr
    assert page.stat().st_size > 1000


@pytest.mark.parametrize(
    "command", [["build"], ["map"], ["playbook"], ["sql"], ["watch"], ["lists", "--data", "x.csv"]]
)
def test_a_folder_without_main_strat_is_a_clear_usage_error(tmp_path, command):
    (tmp_path / "plays.strat").write_text(WARNS, encoding="utf-8")
    r = run(*command[:1], tmp_path, *command[1:], cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "is a folder without a main.strat" in r.stderr
    assert "plays.strat" in r.stderr  # the help names the .strat file that is there


# --- build: --fail-level, --strict, the playbook's path, --open --------------------------------


def test_build_fail_level(tmp_path):
    entry = tmp_path / "main.strat"
    entry.write_text(WARNS, encoding="utf-8")
    for args in (["--fail-level", "warning"], ["--strict"], ["--fail-level", "info"]):
        out = tmp_path / f"out{len(args)}{args[-1]}"
        r = run("build", entry, "-o", out, *args)
        assert r.returncode == 1, (args, r.stderr)
        assert "nothing was written" in r.stderr
        assert not out.exists()
    ok = run("build", tmp_path, "-o", tmp_path / "ok", "--fail-level", "error")
    assert ok.returncode == 0, ok.stderr
    assert "warning[" in ok.stderr


def test_build_ends_with_the_playbook_path_and_open_opens_it(tmp_path):
    out = tmp_path / "out"
    # BROWSER is how Python's webbrowser is told which program to run: `echo` prints the URL
    r = run("build", BANK, "-o", out, "--open", env={"BROWSER": "echo %s"})
    assert r.returncode == 0, r.stderr
    assert r.stderr.rstrip("\n").splitlines()[-1] == f"playbook: {out / 'playbook.html'}"
    assert (out / "playbook.html").is_file()
    assert r.stdout.strip() == (out / "playbook.html").resolve().as_uri()


def test_open_without_a_browser_is_harmless(tmp_path):
    env = {"BROWSER": "false", "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    r = run("build", BANK, "-o", tmp_path / "out", "--open", env=env)
    assert r.returncode == 0, r.stderr
    assert "no web browser" in r.stderr


# --- --color -----------------------------------------------------------------------------------


def test_color_always_never_and_no_color(tmp_path):
    bad = tmp_path / "bad.strat"
    bad.write_text(BROKEN, encoding="utf-8")
    esc = "\x1b["
    # stderr is a pipe here: auto means no colour
    assert esc not in run("check", bad, env=without_no_color()).stderr
    always = run("check", bad, "--color", "always", env=without_no_color())
    assert always.returncode == 1 and esc in always.stderr
    assert esc in run("--color", "always", "check", bad, env=without_no_color()).stderr
    # an explicit --color always wins over NO_COLOR (https://no-color.org: flags may override)
    assert esc in run("check", bad, "--color", "always").stderr
    never = run("check", bad, "--color", "never", env=without_no_color())
    assert never.returncode == 1 and esc not in never.stderr
    assert "error[" in never.stderr
    # the other commands that print diagnostics honour it too
    assert esc in run("build", bad, "-o", tmp_path / "o", "--color", "always").stderr
    assert esc in run("fmt", "--check", bad, "--color", "always").stderr


def test_color_under_a_terminal_follows_no_color(tmp_path):
    """`auto` on a real terminal (a pty): colour, unless NO_COLOR is set or --color never."""
    import pty

    bad = tmp_path / "bad.strat"
    bad.write_text(BROKEN, encoding="utf-8")

    def on_tty(*args, env):
        pid, fd = pty.fork()
        if pid == 0:  # pragma: no cover - the child
            os.execve(STRATLANG[0], STRATLANG + [str(a) for a in args], env)
        chunks = []
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.waitpid(pid, 0)
        return b"".join(chunks).decode("utf-8", "replace")

    env = without_no_color(TERM="xterm")
    assert "\x1b[" in on_tty("check", bad, env=env)
    assert "\x1b[" not in on_tty("check", bad, env=dict(env, NO_COLOR="1"))
    assert "\x1b[" not in on_tty("check", bad, "--color", "never", env=env)


# --- extras: the hints name them; the core does not import them --------------------------------


def _in_fresh_python(code: str, env=None) -> subprocess.CompletedProcess:
    e = dict(os.environ, NO_COLOR="1")
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=e, timeout=180
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["check", str(BANK)],
        ["check", "--format", "sarif", str(BANK / "main.strat")],
        ["fmt", "--check", str(BANK)],
        ["fmt", "-"],
    ],
    ids=["check", "check-sarif", "fmt-check", "fmt-stdin"],
)
def test_check_and_fmt_import_none_of_the_heavy_libraries(argv):
    code = f"""
import sys
from stratlang.cli import run
sys.argv = ["stratlang"] + {argv!r}
try:
    run()
except SystemExit as e:
    code = e.code
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
print("HEAVY", heavy, "EXIT", code, file=sys.stderr)
"""
    r = subprocess.run(
        [sys.executable, "-c", code],
        input=(BANK / "main.strat").read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
        timeout=180,
    )
    assert "HEAVY [] EXIT 0" in r.stderr, r.stderr


def test_importtime_of_check_names_no_heavy_library():
    code = "import sys; sys.argv = ['stratlang', 'check', %r]; from stratlang.cli import run; run()"
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code % str(BANK)],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
        timeout=180,
    )
    assert r.returncode == 0, r.stderr
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in r.stderr.splitlines()}
    assert "lark" in imported  # the measurement works
    assert not imported & set(HEAVY), imported & set(HEAVY)


def test_a_missing_extra_is_named_not_a_traceback(tmp_path):
    # the core install without [data]: `import duckdb` fails as it would there
    code = f"""
import sys
sys.modules["duckdb"] = None
sys.argv = ["stratlang", "lists", {str(BANK)!r}, "--data", {str(BANK / "data" / "customers.csv")!r},
            "-o", {str(tmp_path / "lists")!r}]
from stratlang.cli import run
run()
"""
    r = _in_fresh_python(code)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "pip install 'stratlang[data]'" in r.stderr


def test_the_spark_hint_names_the_extra():
    code = """
import sys
sys.modules["pyspark"] = None
from stratlang.engine.spark import get_session
try:
    get_session()
except Exception as e:
    print(e, "|", e.help)
"""
    r = _in_fresh_python(code)
    assert "pip install 'stratlang[spark]'" in r.stdout, r.stdout + r.stderr


def test_extras_split_and_dev_installs_everything():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(reqs):
        return {r.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip() for r in reqs}

    core, extras = names(meta["dependencies"]), meta["optional-dependencies"]
    assert not core & {"duckdb", "pyarrow", "weasyprint", "pyspark", "openpyxl", "numpy"}
    assert {"duckdb", "pyarrow"} <= names(extras["data"])
    assert names(extras["pdf"]) == {"weasyprint"}
    assert names(extras["spark"]) == {"pyspark"}
    everything = names(extras["data"]) | names(extras["pdf"]) | names(extras["spark"])
    assert names(extras["all"]) == everything
    # scripts/setup.sh (make test, make demo) installs .[dev]: it must hold every extra
    assert "'.[dev]'" in (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert everything <= names(extras["dev"])


def test_the_pre_commit_hooks_install_the_core_only():
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "additional_dependencies" not in hooks
    assert "language: python" in hooks


def test_license_is_the_apache_2_text():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "Apache-2.0" in json.dumps(meta["license"])


@pytest.mark.parametrize(
    "argv",
    [
        ["build", str(BANK), "-o", "{tmp}/out"],
        ["map", str(BANK), "-o", "{tmp}/map.dot"],
        ["playbook", str(BANK), "-o", "{tmp}/p.html"],
        ["sql", str(BANK), "-o", "{tmp}/s.sql"],
        ["init", "{tmp}/plan"],
    ],
    ids=lambda a: a[0],
)
def test_the_core_commands_run_without_the_extras(tmp_path, argv):
    """What the docs promise for a plain `pip install stratlang`: the heavy libraries blocked
    (importing one fails, as when it is not installed), these commands still succeed."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code = f"""
import sys
for name in {HEAVY!r}:
    sys.modules[name] = None
sys.argv = ["stratlang"] + {argv!r}
from stratlang.cli import run
run()
"""
    r = _in_fresh_python(code)
    assert r.returncode == 0, r.stderr
