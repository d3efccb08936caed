"""Hostile input through the real `stratlang` executable: every command answers bad paths, bad
bytes, huge nesting, many errors and nasty labels with a diagnostic or an `error: …` line and exit
code 1 or 2 — never a traceback, never an "internal error", never a half-written output."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import xml.dom.minidom
from pathlib import Path

import pytest
from conftest import ROOT

# end to end (the real executable, a browser, Spark or big inputs): not in `make test-fast`
pytestmark = pytest.mark.slow

STRATLANG = [str(Path(sys.executable).parent / "stratlang")]
SPEC = ROOT / "tests" / "data" / "spec_example"
WEALTH = SPEC / "wealth.strat"

HEAD = """strategy "S" {
  owner "o"
  period 2026-01-01 .. 2026-12-31
}
schema customer {
  id  string key
  age int
}
"""


def run(*args, cwd=None, stdin=None):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("CI", None)
    env.pop("STRATLANG_DEBUG", None)
    return subprocess.run(
        STRATLANG + [str(a) for a in args],
        capture_output=True,
        cwd=cwd,
        env=env,
        input=stdin,
        timeout=120,
    )


def assert_clean_failure(r, codes=(1, 2)):
    """Exit code in `codes`, and nothing a user should never see."""
    out = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
    assert r.returncode in codes, out
    assert "Traceback" not in out and "internal error" not in out, out
    return out


def _project(tmp_path: Path) -> Path:
    """A copy of the spec example (wealth.strat + channels.strat) in tmp_path."""
    for p in SPEC.glob("*.strat"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    return tmp_path / "wealth.strat"


# --- bad input paths, every command ------------------------------------------------------------

COMMANDS = [
    ["check"],
    ["build", "-o", "OUT"],
    ["map"],
    ["map", "-o", "OUT.svg"],
    ["playbook", "-o", "OUT.html"],
    ["fmt"],
    ["fmt", "--check"],
    ["sql"],
    ["lists", "--data", "DATA.csv", "-o", "OUT"],
]


def _cmd(tmp_path, cmd):
    return [str(tmp_path / a) if a.startswith(("OUT", "DATA")) else a for a in cmd]


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_missing_file_and_path_under_a_file(tmp_path, cmd):
    (tmp_path / "x.strat").write_text("x", encoding="utf-8")
    (tmp_path / "DATA.csv").write_text("id,age\n1,30\n", encoding="utf-8")
    for bad in (tmp_path / "missing.strat", tmp_path / "x.strat" / "y.strat"):
        r = run(*_cmd(tmp_path, cmd), bad)
        out = assert_clean_failure(r, (2,))
        assert "error:" in out
    assert not any(p.name.startswith("OUT") for p in tmp_path.iterdir())


@pytest.mark.parametrize("cmd", [["check"], ["build"], ["fmt"], ["map"]], ids=lambda c: c[0])
def test_folder_without_strat_files(tmp_path, cmd):
    (tmp_path / "empty_dir").mkdir()
    out = assert_clean_failure(run(*cmd, tmp_path / "empty_dir"), (1, 2))
    assert "error" in out


@pytest.mark.parametrize("seed", [1, 2])
def test_random_bytes(tmp_path, seed):
    rnd = random.Random(seed)
    p = tmp_path / "rand.strat"
    data = bytes(rnd.randrange(256) for _ in range(3000))
    p.write_bytes(data)
    for cmd in (["check"], ["fmt", "--check"], ["map", "-o", tmp_path / "m.svg"]):
        out = assert_clean_failure(run(*cmd, p))
        assert "error" in out
    assert p.read_bytes() == data
    assert not (tmp_path / "m.svg").exists()
    out = assert_clean_failure(run("fmt", "-", stdin=data), (2,))
    assert "error" in out


def test_empty_and_comment_only_files(tmp_path):
    for name, text in (("empty.strat", ""), ("comments.strat", "# only\n# comments\n")):
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        out = assert_clean_failure(run("check", p), (1,))
        assert "NAM205" in out  # no strategy block
        assert run("fmt", "--check", p).returncode == 0
        assert p.read_text(encoding="utf-8") == text


def test_bom_and_crlf_check_like_lf(tmp_path):
    entry = _project(tmp_path)
    plain = run("check", "--format", "json", entry)
    entry.write_bytes(b"\xef\xbb\xbf" + WEALTH.read_bytes().replace(b"\n", b"\r\n"))
    crlf = run("check", "--format", "json", entry)
    assert plain.returncode == crlf.returncode == 0
    spans = lambda r: [
        (d["code"], d["range"]["start"]["line"], d["range"]["start"]["column"])
        for d in json.loads(r.stdout)["diagnostics"]
    ]
    assert spans(plain) == spans(crlf)


# --- size and depth ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "not " * 5000 + "age > 1",
        "(" * 5000 + "age > 1" + ")" * 5000,
        "(" * 5000 + "age > 1 and " * 5000 + "age > 2",
    ],
)
def test_deep_nesting(tmp_path, rule):
    p = tmp_path / "deep.strat"
    p.write_text(HEAD + f'segment s "S" {{ rule {rule} }}\n', encoding="utf-8")
    for cmd in (["check"], ["fmt", "--check"], ["sql"]):
        r = run(*cmd, p)
        assert_clean_failure(r, (0, 1, 2))


def test_braces_5000_deep(tmp_path):
    p = tmp_path / "braces.strat"
    p.write_text(HEAD + "{" * 5000 + "\n", encoding="utf-8")
    out = assert_clean_failure(run("check", p), (1,))
    assert "error[SYN" in out


def test_300_errors_are_all_reported(tmp_path):
    p = tmp_path / "many.strat"
    p.write_text(
        HEAD + "".join(f'segment s{i} "S" {{ rule nofield{i} > 1 }}\n' for i in range(300)),
        encoding="utf-8",
    )
    r = run("check", "--format", "json", p)
    assert_clean_failure(r, (1,))
    doc = json.loads(r.stdout)
    assert doc["error_count"] == 300
    assert {f"nofield{i}" for i in range(300)} <= {
        w for d in doc["diagnostics"] for w in d["message"].replace("`", " ").split()
    }


def test_ten_megabyte_file_of_comments(tmp_path):
    p = tmp_path / "big.strat"
    p.write_text(
        WEALTH.read_text("utf-8").replace('import "channels.strat"', "")
        + ("# " + "x" * 98 + "\n") * 100_000,
        encoding="utf-8",
    )
    assert p.stat().st_size > 10_000_000
    out = assert_clean_failure(run("check", p), (1,))  # channels are missing: names unknown
    assert "error[NAM" in out


# --- options and output paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd", ["check", "build", "map", "playbook", "fmt", "explain", "sql", "lists", "init"]
)
def test_unknown_option(cmd):
    r = run(cmd, "--no-such-option")
    out = assert_clean_failure(r, (2,))
    assert "No such option" in out


@pytest.mark.parametrize(
    "cmd,target",
    [
        (["map", "-o"], "/proc/x.svg"),
        (["map", "-o"], "/proc/x.dot"),
        (["map", "-o"], "FILE/x.svg"),
        (["map", "--view", "playbook", "-o"], "FILE/sub/x.png"),
        (["playbook", "-o"], "/proc/x.html"),
        (["playbook", "--pdf", "-o"], "FILE/x.html"),
        (["build", "-o"], "/proc/out"),
        (["build", "-o"], "/proc"),
        (["build", "-o"], "FILE/out"),
    ],
)
def test_unwritable_output(tmp_path, cmd, target):
    entry = _project(tmp_path)
    (tmp_path / "FILE").write_text("not a folder", encoding="utf-8")
    target = target.replace("FILE", str(tmp_path / "FILE"))
    out = assert_clean_failure(run(*cmd, target, entry), (2,))
    # /proc exists and is not empty: refused as a folder stratlang did not write
    assert (
        f"error: cannot write {target}" in out or f"error: refusing to write into {target}" in out
    )
    assert (tmp_path / "FILE").read_text(encoding="utf-8") == "not a folder"
    assert not list(Path("/proc").glob("*.tmp"))


@pytest.mark.parametrize(
    "cmd", [["map", "-o"], ["playbook", "-o"], ["build", "-o"]], ids=lambda c: c[0]
)
def test_output_over_an_existing_folder_or_file(tmp_path, cmd):
    entry = _project(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep").write_text("k", encoding="utf-8")
    (tmp_path / "f.svg").write_text("k", encoding="utf-8")
    target = tmp_path / ("f.svg" if cmd[0] == "build" else "d")
    assert_clean_failure(run(*cmd, target, entry), (2,))
    assert (tmp_path / "d" / "keep").read_text(encoding="utf-8") == "k"
    assert (tmp_path / "f.svg").read_text(encoding="utf-8") == "k"


def _strings(doc):
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for v in doc.values():
            yield from _strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _strings(v)


# --- hostile labels ----------------------------------------------------------------------------

NASTY = (
    r"q\"uote \\ back {{ x }} <script>alert(1)</script> ]]> line\nbreak \u{001b}[31m "
    r"\u{202E}evil\u{202C} &amp; --> <!-- "
)


def test_hostile_labels_do_not_escape(tmp_path):
    entry = _project(tmp_path)
    text = entry.read_text("utf-8")
    for old in (
        '"财富客户AUM增长"',
        '"代发年轻客群"',
        '"代发客群首月激活"',
        '"交叉销售带动规模"',
        '"零售营销中心"',
    ):
        assert old in text
        text = text.replace(old, f'"{NASTY}"', 1)
    entry.write_text(text, encoding="utf-8")
    out_dir = tmp_path / "out"
    r = run("build", "-o", out_dir, entry)
    assert r.returncode == 0, r.stderr.decode()
    for svg in ("map.svg", "playbook-map.svg"):
        xml.dom.minidom.parse(str(out_dir / svg))  # still well-formed XML
        assert b"<script" not in (out_dir / svg).read_bytes()
    html = (out_dir / "playbook.html").read_text("utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "\x1b" not in html
    model = json.loads((out_dir / "model.json").read_text("utf-8"))
    assert any(
        v.startswith('q"uote \\ back {{ x }} <script>alert(1)</script> ]]> line\nbreak \x1b[31m')
        for v in _strings(model)
    )
    r = run("map", "--view", "playbook", entry)
    assert r.returncode == 0
    assert b"<script>alert(1)" not in r.stdout


@pytest.mark.parametrize("cmd", [["check"], ["map"], ["build", "-o", "OUT"]], ids=lambda c: c[0])
def test_entry_outside_the_given_root(tmp_path, cmd):
    (tmp_path / "p").mkdir()
    entry = _project(tmp_path / "p")
    (tmp_path / "other").mkdir()
    for root in (tmp_path / "other", tmp_path / "nonexistent"):
        out = assert_clean_failure(run(*_cmd(tmp_path, cmd), "--root", root, entry), (2,))
        assert f"is outside the project root {root}" in out
        assert "NAM206" not in out  # not blamed on the import
    assert not (tmp_path / "OUT").exists()
    assert run(*_cmd(tmp_path, cmd), "--root", tmp_path, entry).returncode == 0


def test_fmt_stdin_given_twice():
    r = run("fmt", "-", "-", stdin=b'segment s "S" { rule age > 1 }\n')
    out = assert_clean_failure(r, (2,))
    assert "only once" in out and r.stdout == b""


def test_a_very_long_source_line_is_shown_cut_around_its_mark(tmp_path):
    p = tmp_path / "long.strat"
    p.write_text(
        HEAD
        + 'segment s "S" { rule '
        + "not " * 5000
        + "age > 1 }\n"
        + 'event e "'
        + "宽" * 300
        + '" bogus 1\n',
        encoding="utf-8",
    )
    out = assert_clean_failure(run("check", p), (1,))
    assert "rule nested more than 200 levels deep" in out
    assert max(len(line) for line in out.splitlines()) < 400
    rows = out.splitlines()
    i = next(k for k, line in enumerate(rows) if line.startswith("10 | …"))
    source, marks = rows[i], rows[i + 1]
    # the caret sits under the `1` (CJK characters are two cells wide)
    col = sum(2 if ch == "宽" else 1 for ch in source[: source.index(" 1") + 1])
    assert marks.index("^") == col


def test_hostile_imports(tmp_path):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "adir").mkdir()
    (tmp_path / "rand.strat").write_bytes(bytes(range(128, 256)))
    entry = tmp_path / "main.strat"
    entry.write_text(
        HEAD
        + "\n".join(
            f'import "{p}"'
            for p in ("afile/y.strat", "adir", "rand.strat", "/etc/passwd", r"\u{0}", "")
        ),
        encoding="utf-8",
    )
    r = run("check", "--format", "json", entry)
    assert_clean_failure(r, (1,))
    msgs = [d["message"] for d in json.loads(r.stdout)["diagnostics"] if d["severity"] == "error"]
    assert "imported file `afile/y.strat` not found" in msgs
    assert "imported path `adir` is a folder" in msgs
    assert "import `/etc/passwd` leaves the project root" in msgs
    assert any("not UTF-8" in m for m in msgs)
    assert len(msgs) == 6


LONG_NAME = "n" * 300


@pytest.mark.parametrize(
    "args",
    [
        ["build", "-o", LONG_NAME],
        ["lists", "--data", "DATA", "-o", LONG_NAME],
        ["build", "--data", LONG_NAME],
        ["lists", "--data", LONG_NAME],
        ["map", "-o", LONG_NAME + ".svg"],
        ["playbook", "-o", LONG_NAME + ".html"],
    ],
    ids=["build-o", "lists-o", "build-data", "lists-data", "map-o", "playbook-o"],
)
def test_over_long_output_and_data_names(tmp_path, args):
    entry = _project(tmp_path)
    data = tmp_path / "customers.csv"
    data.write_text("id\n1\n", encoding="utf-8")
    args = [a.replace("DATA", str(data)) for a in args]
    out = assert_clean_failure(run(args[0], entry, *args[1:], cwd=tmp_path), (2,))
    assert "error: cannot" in out and ("longer than" in out or "too long" in out), out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "channels.strat",
        "customers.csv",
        "wealth.strat",
    ]


def test_build_with_bad_data_names_every_problem(tmp_path):
    entry = _project(tmp_path)
    data = tmp_path / "bad.csv"
    data.write_text("id,age\nC1,40\n", encoding="utf-8")
    out = assert_clean_failure(run("build", entry, "-o", tmp_path / "out", "--data", data), (2,))
    assert "problems in" in out
    assert "  - missing column `aum` (schema field `aum money`)" in out
    assert "nothing was written" in out
    assert not (tmp_path / "out").exists()
