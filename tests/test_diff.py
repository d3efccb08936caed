"""`stratlang diff`: the semantic diff of two models, through the real executable (a git
repository made in tmp_path with two commits; data moves on a generated CSV)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from test_cli import run  # the real executable, as in CI

pytestmark = pytest.mark.slow

PROJECT = """strategy "Diff test" {
  owner  "Growth"
  period 2026-01-01 .. 2026-12-31
  locale en
}

objective F1 "Grow revenue" {
  perspective financial
  owner "Finance"
  target revenue "Revenue growth" >= 10% by 2026-12-31
}

objective C1 "Keep customers" {
  perspective customer
  target churn "Churn" <= 8% by 2026-12-31
}

C1 -> F1

schema customer "Customers" {
  id     string key "Customer"
  age    int        "Age"
  spend  money      "Spend"
  active bool       "Active"
}

segment young "Young" {
  rule age < 30
}

segment big "Big spenders" {
  rule spend >= 1000 and active
}

channel mail "Email" {
  kind     email
  capacity unlimited
}

script hello "Hello" {
  channel mail
  pitch   "Hello there."
  opt_out "Unsubscribe below."
}

play welcome "Welcome" {
  segment  young
  step 1   mail using hello
  supports C1
  target   opened "Opened" >= 20% by 2026-12-31
  control  10%
  priority 10
}
"""

BIG_PLAY = """
play big_push "Big spender push" {
  segment  big
  step 1   mail using hello
  supports F1
  control  10%
  priority 20
}
"""


def changed(text: str) -> str:
    """The second commit: a target value, a segment rule and a new play."""
    return (
        text.replace(">= 10% by", ">= 12% by").replace("rule age < 30", "rule age < 35") + BIG_PLAY
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the project in `strat/`: commit 1 the original, commit 2 the change.
    A .strat file outside the project folder must never be read."""
    r = tmp_path / "repo"
    (r / "strat").mkdir(parents=True)
    git(r, "init", "-q")
    (r / "strat" / "main.strat").write_text(PROJECT, encoding="utf-8")
    (r / "other.strat").write_text("this is not stratlang {", encoding="utf-8")
    git(r, "add", ".")
    git(r, "commit", "-qm", "one")
    (r / "strat" / "main.strat").write_text(changed(PROJECT), encoding="utf-8")
    git(r, "commit", "-qam", "two")
    return r


def test_revision_against_working_tree(repo):
    r = run("diff", "HEAD~1", "strat/main.strat", cwd=repo)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "F1.revenue" in out and "≥ 10% → ≥ 12%" in out
    # the rule change in words, old and new
    assert "young" in out and "30" in out and "35" in out
    assert "+ big_push" in out
    assert "welcome" not in out  # unchanged play: not reported
    # a folder means its main.strat; NEW defaults to the current folder
    r2 = run("diff", "HEAD~1", cwd=repo / "strat")
    assert r2.returncode == 0, r2.stderr
    assert r2.stdout == out


def test_exit_code(repo):
    assert run("diff", "HEAD~1", "strat", "--exit-code", cwd=repo).returncode == 1
    same = run("diff", "HEAD", "strat", "--exit-code", cwd=repo)
    assert same.returncode == 0, same.stderr
    assert "no differences" in same.stdout
    files = run("diff", "strat/main.strat", "strat/main.strat", "--exit-code", cwd=repo)
    assert files.returncode == 0
    bad = run("diff", "no-such-rev", "strat", cwd=repo)
    assert bad.returncode == 2
    assert "neither a file or folder nor a git revision" in bad.stderr
    (repo / "empty").mkdir()
    (repo / "empty" / "plays.strat").write_text(PROJECT, encoding="utf-8")
    folder = run("diff", "strat", "empty", cwd=repo)
    assert folder.returncode == 2
    assert "is a folder without a main.strat" in folder.stderr


def test_moving_a_declaration_is_no_difference(repo):
    """Facts, not text: the play moved to an imported file and the file reformatted."""
    main = repo / "strat" / "main.strat"
    text = main.read_text(encoding="utf-8")
    (repo / "strat" / "plays.strat").write_text(BIG_PLAY.replace("  ", "    "), encoding="utf-8")
    main.write_text('import "plays.strat"\n\n' + text.replace(BIG_PLAY, ""), encoding="utf-8")
    r = run("diff", "HEAD", "strat", "--exit-code", cwd=repo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no differences" in r.stdout


def test_entry_missing_at_revision(repo):
    (repo / "strat" / "extra.strat").write_text(PROJECT, encoding="utf-8")
    r = run("diff", "HEAD", "strat/extra.strat", cwd=repo)
    assert r.returncode == 2
    assert "strat/extra.strat does not exist at HEAD" in r.stderr


def test_failed_check_is_exit_2(repo):
    (repo / "strat" / "main.strat").write_text(PROJECT + "\nplay broken {", encoding="utf-8")
    r = run("diff", "HEAD", "strat", "--exit-code", cwd=repo)
    assert r.returncode == 2
    assert "does not check" in r.stderr


def test_out_file(repo, tmp_path):
    out = tmp_path / "comment.md"
    r = run("diff", "HEAD~1", "strat", "--format", "markdown", "-o", out, cwd=repo)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    shown = run("diff", "HEAD~1", "strat", "--format", "markdown", cwd=repo).stdout
    assert out.read_text(encoding="utf-8") == shown
    # never over a project file
    bad = run("diff", "HEAD~1", "strat", "-o", "strat/main.strat", cwd=repo)
    assert bad.returncode == 2
    assert (repo / "strat" / "main.strat").read_text(encoding="utf-8") == changed(PROJECT)


def test_json_shape(repo):
    r = run("diff", "HEAD~1", "strat", "--format", "json", cwd=repo)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["changed"] is True
    assert d["old"] == "HEAD~1:strat/main.strat"
    assert d["kinds"]["targets"]["changed"]["F1.revenue"]["value"] == {
        "old": "≥ 10%",
        "new": "≥ 12%",
    }
    rule = d["kinds"]["segments"]["changed"]["young"]["rule"]
    assert "30" in rule["old"] and "35" in rule["new"]
    added = d["kinds"]["plays"]["added"]["big_push"]
    assert added["segment"] == "big" and added["priority"] == "20"
    assert added["step 1"] == "mail using hello"
    assert set(d["kinds"]) == {"targets", "segments", "plays"}  # only kinds with differences
    # stable: sorted keys, the same bytes on a second run
    assert r.stdout == json.dumps(d, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert run("diff", "HEAD~1", "strat", "--format", "json", cwd=repo).stdout == r.stdout


def test_markdown_shape(repo):
    r = run("diff", "HEAD~1", "strat", "--format", "markdown", cwd=repo)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # both sides named from the repository root, however NEW was typed
    assert lines[0] == "## stratlang diff: `HEAD~1:strat/main.strat` → `strat/main.strat`"
    heads = [x for x in lines if x.startswith("### ")]
    assert heads == ["### Targets (1 changed)", "### Segments (1 changed)", "### Plays (1 added)"]
    assert "| changed | `F1.revenue` | value | ≥ 10% | ≥ 12% |" in lines
    assert "| added | `big_push` | segment | — | big |" in lines
    # every table row has the header's five columns
    rows = [x for x in lines if x.startswith("| ") and "old \\ new" not in x]
    assert all(x.count(" | ") == 4 for x in rows if not x.startswith("| segment"))


def write_customers(path: Path, n: int = 300) -> list[dict]:
    rows = [
        {
            "id": f"C{i:04d}",
            "age": 18 + (i * 7) % 50,
            "spend": (i * 137) % 2000,
            "active": "true" if i % 3 else "false",
        }
        for i in range(n)
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return rows


def test_data_counts_and_moves(repo, tmp_path):
    rows = write_customers(tmp_path / "customers.csv")
    r = run(
        "diff", "HEAD~1", "strat", "--format", "json",
        "--data", tmp_path / "customers.csv", "--as-of", "2026-06-01",
        cwd=repo,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)["data"]
    young_old = sum(x["age"] < 30 for x in rows)
    young_new = sum(x["age"] < 35 for x in rows)
    big = sum(x["spend"] >= 1000 and x["active"] == "true" for x in rows)
    assert data["customers"] == len(rows)
    assert data["segments"]["young"] == {"old": young_old, "new": young_new}
    assert data["segments"]["big"] == {"old": big, "new": big}

    # the moves, from the rules: the higher priority wins
    def old_play(x):
        return "welcome" if x["age"] < 30 else ""

    def new_play(x):
        if x["spend"] >= 1000 and x["active"] == "true":
            return "big_push"
        return "welcome" if x["age"] < 35 else ""

    expected: dict[tuple[str, str], int] = {}
    for x in rows:
        key = (old_play(x), new_play(x))
        expected[key] = expected.get(key, 0) + 1
    got = {(m["from"], m["to"]): m["customers"] for m in data["moves"]}
    assert got == expected
    assert data["moved"] == sum(n for (a, b), n in expected.items() if a != b)

    text = run(
        "diff", "HEAD~1", "strat", "--data", tmp_path / "customers.csv", "--as-of", "2026-06-01",
        cwd=repo,
    )  # fmt: skip
    assert f"young  {young_old} → {young_new} (+{young_new - young_old})" in text.stdout
    assert f"{data['moved']} customers change play" in text.stdout
    assert "old \\ new" in text.stdout and "(none)" in text.stdout
    md = run(
        "diff", "HEAD~1", "strat", "--format", "markdown",
        "--data", tmp_path / "customers.csv", "--as-of", "2026-06-01",
        cwd=repo,
    )  # fmt: skip
    assert "| old \\ new | big_push | welcome | (none) |" in md.stdout
    assert f"| `young` | {young_old} | {young_new} | +{young_new - young_old} |" in md.stdout


def test_data_no_change_is_no_difference(repo, tmp_path):
    write_customers(tmp_path / "customers.csv", 50)
    r = run(
        "diff", "HEAD", "strat", "--exit-code", "--data", tmp_path / "customers.csv",
        cwd=repo,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "0 customers change play" in r.stdout


def test_two_files_schema_and_events(tmp_path):
    """Two entry files (no git): a field added, an enum widened, an event added."""
    old = PROJECT.replace(
        '  active bool       "Active"', '  active bool       "Active"\n  tier   enum(a, b)  "Tier"'
    )
    new = (
        old.replace("enum(a, b)", "enum(a, b, c)").replace(
            '  id     string key "Customer"',
            '  id     string key "Customer"\n  city   string optional "City"',
        )
        + '\nevent signup "Signed up"\n'
    )
    (tmp_path / "old.strat").write_text(old, encoding="utf-8")
    (tmp_path / "new.strat").write_text(new, encoding="utf-8")
    r = run("diff", "old.strat", "new.strat", "--format", "json", "--exit-code", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    kinds = json.loads(r.stdout)["kinds"]
    assert kinds["fields"]["added"]["customer.city"] == {
        "flags": "optional",
        "label": "City",
        "type": "string",
    }
    assert kinds["fields"]["changed"]["customer.tier"]["type"] == {
        "old": "enum(a, b)",
        "new": "enum(a, b, c)",
    }
    assert kinds["events"]["added"] == {"signup": {"label": "Signed up"}}


def test_channels_scripts_and_plays_fields(tmp_path):
    new = (
        changed(PROJECT)
        .replace("capacity unlimited", "capacity 500 per day")
        .replace('pitch   "Hello there."', 'pitch   "Hello again."')
        .replace("control  10%\n  priority 10", "control  5%\n  priority 10")
    )
    (tmp_path / "old.strat").write_text(changed(PROJECT), encoding="utf-8")
    (tmp_path / "new.strat").write_text(new, encoding="utf-8")
    r = run("diff", "old.strat", "new.strat", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "capacity: unlimited → 500 per day" in r.stdout
    assert "pitch: Hello there. → Hello again." in r.stdout  # the section that changed, by name
    assert "opt_out" not in r.stdout  # not the sections that did not
    assert "control: 10% → 5%" in r.stdout


def telecom_pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The telecom example twice (old and new, unchanged) and its data folder."""
    src = Path(__file__).resolve().parents[1] / "examples" / "telecom_winback"
    for side in ("old", "new"):
        shutil.copytree(src, tmp_path / side)
    return tmp_path / "old", tmp_path / "new", tmp_path / "new" / "data"


def plays_of(result: subprocess.CompletedProcess) -> dict[str, int]:
    assert result.returncode == 0, result.stderr
    moves = json.loads(result.stdout)["data"]["moves"]
    return {m["to"]: m["customers"] for m in moves if m["from"] == m["to"]}


@pytest.mark.slow
def test_data_reads_history_and_previous_like_lists(tmp_path):
    """Transition plays fire only with --previous (as in `lists`); --history NAME=FILE gives the
    same files the default finds beside --data; a name neither project has is exit 2."""
    old, new, data = telecom_pair(tmp_path)
    common = ["diff", old, new, "--format", "json", "--as-of", "2026-06-30"]
    common += ["--data", data / "customers.csv"]
    without = plays_of(run(*common))
    assert "downgrade_care" not in without
    with_previous = plays_of(run(*common, "--previous", data / "customers_previous.csv"))
    assert with_previous["downgrade_care"] > 0
    assert sum(with_previous.values()) == sum(without.values())  # every customer, once
    explicit = plays_of(
        run(
            *common, "--previous", data / "customers_previous.csv",
            "--history", f"monthly={data / 'monthly.csv.gz'}",
            "--history", f"topups={data / 'topups.csv.gz'}",
        )
    )  # fmt: skip
    assert explicit == with_previous
    bad = run(*common, "--history", f"montly={data / 'monthly.csv.gz'}")
    assert bad.returncode == 2
    assert "`montly`, which is a history table of neither project" in bad.stderr
