"""Cascades (docs/cascade.md): parent projects, `load_tree`, the ALN checks over the small tree in
tests/data/cascade (a head office, two branches and an orphan), and `stratlang check` on a tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from stratlang.check import check_entry
from stratlang.check.cascade import find_children, find_projects, load_tree

TREE = ROOT / "tests" / "data" / "cascade"
HQ = TREE / "hq" / "main.strat"
SZ = TREE / "branches" / "sz" / "main.strat"
GZ = TREE / "branches" / "gz" / "main.strat"
ORPHAN = TREE / "branches" / "orphan" / "main.strat"
ALL_CODES = {f"ALN{n:03d}" for n in range(1, 11)}


def run(*args, cwd=ROOT):
    exe = str(Path(sys.executable).parent / "stratlang")
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def aln(diags) -> list[tuple[str, str]]:
    """(code, file) of the ALN diagnostics, file relative to the tree."""
    out = []
    for d in diags:
        if d.code.startswith("ALN"):
            path = Path(os.path.abspath(d.span.file))
            if not path.exists():
                path = ROOT / d.span.file
            out.append((d.code, path.resolve().relative_to(TREE).as_posix()))
    return sorted(out)


def test_the_tree_raises_every_code_where_it_belongs():
    tree = load_tree(find_projects(TREE))
    assert aln(tree.diagnostics) == [
        ("ALN001", "branches/orphan/main.strat"),
        ("ALN002", "branches/sz/main.strat"),
        ("ALN003", "hq/main.strat"),
        ("ALN004", "branches/sz/main.strat"),
        ("ALN005", "branches/sz/main.strat"),
        ("ALN006", "hq/main.strat"),
        ("ALN007", "branches/gz/main.strat"),
        ("ALN008", "branches/gz/main.strat"),
        ("ALN009", "branches/sz/main.strat"),
        ("ALN010", "hq/main.strat"),
    ]
    # parents first (the orphan, whose parent is not in the tree, is a root too)
    order = list(tree.results)
    assert order.index(HQ.resolve()) < min(order.index(SZ.resolve()), order.index(GZ.resolve()))
    assert tree.parents == {SZ.resolve(): HQ.resolve(), GZ.resolve(): HQ.resolve()}
    assert sorted(tree.children(HQ.resolve())) == sorted([GZ.resolve(), SZ.resolve()])


def test_shortfall_gives_the_numbers():
    tree = load_tree([HQ, SZ, GZ])
    (d,) = [d for d in tree.diagnostics if d.code == "ALN006"]
    assert d.message == (
        "the children's targets for `F1.aum_total` add up to 900亿 by 2026-12-31, 300亿 short of "
        "the parent's >= 1200亿"
    )
    assert d.notes == (
        "children's targets: branch_gz `GZ_F1.aum_total` 600亿 (its 2026-Q4 milestone); "
        "branch_sz `SZ_F1.aum_total` 300亿",
    )


def test_a_child_alone_is_checked_against_its_parent_without_the_parents_diagnostics():
    r = check_entry(SZ)
    codes = {d.code for d in r.diagnostics if d.code.startswith("ALN")}
    assert codes == {"ALN002", "ALN004", "ALN005", "ALN009"}
    assert {d.span.file for d in r.diagnostics} == {r.model.files[0]}
    assert r.model.parent is not None
    assert r.model.parent.resolved == "tests/data/cascade/hq/main.strat"
    (d,) = [d for d in r.diagnostics if d.code == "ALN002"]
    assert d.help == ("did you mean `C1`?",)
    assert d.suggestions[0].replacement == "C1"


def test_the_parent_alone_has_no_tree_checks():
    codes = {d.code for d in check_entry(HQ).diagnostics if d.code.startswith("ALN")}
    assert codes == {"ALN010"}


def test_children_are_found_from_their_parent_links():
    assert find_children(HQ) == sorted([GZ.resolve(), SZ.resolve()])
    assert find_children(SZ) == []


def test_allow_silences_an_alignment_warning(tmp_path):
    (tmp_path / ".git").mkdir(parents=True)
    write(tmp_path / "hq" / "main.strat", PARENT)
    child = CHILD + 'objective S2 "Own" {\n  perspective learning\n  allow ALN004\n}\n'
    write(tmp_path / "sz" / "main.strat", child)
    r = check_entry(tmp_path / "sz" / "main.strat")
    assert [d.code for d in r.diagnostics if d.code.startswith("ALN")] == []


PARENT = """strategy "HQ" {
  unit   hq
  period 2026-01-01 .. 2026-12-31
}
unit hq "Head office"
unit sz "Shenzhen" { parent hq }
unit other "Other" { parent hq }
objective F1 "Grow" { perspective financial  owner hq  target aum "AUM" >= 100 by 2026-12-31 }
"""
CHILD = """strategy "SZ" {
  parent "../hq"
  unit   sz
  period 2026-01-01 .. 2026-12-31
}
objective S1 "Grow" { perspective financial  owner sz  align F1 }
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def aln_messages(entry: Path) -> list[str]:
    return [d.message for d in check_entry(entry).diagnostics if d.code.startswith("ALN")]


@pytest.mark.parametrize(
    ("parent", "message"),
    [
        ("../../outside", "parent `../../outside` is outside the repository"),
        ("../nowhere", "parent project `../nowhere` not found"),
        ("../empty", "parent `../empty` is a folder without main.strat: not a project"),
        ("", "the parent path is empty"),
    ],
)
def test_parent_paths_that_cannot_be_used(tmp_path, parent, message):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "empty").mkdir()
    write(tmp_path / "outside" / "main.strat", PARENT)
    child = write(repo / "sz" / "main.strat", CHILD.replace('"../hq"', f'"{parent}"'))
    assert aln_messages(child) == [message]


def test_a_symlink_may_not_lead_out_of_the_repository(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(tmp_path / "outside" / "main.strat", PARENT)
    (repo / "hq").symlink_to(tmp_path / "outside")
    child = write(repo / "sz" / "main.strat", CHILD)
    (msg,) = aln_messages(child)
    assert msg.startswith("parent `../hq` resolves to") and msg.endswith("outside the repository")


def test_outside_a_repository_the_parent_stays_next_to_the_project(tmp_path):
    write(tmp_path / "hq" / "main.strat", PARENT)
    child = write(tmp_path / "sz" / "main.strat", CHILD)
    assert aln_messages(child) == []
    deep = write(tmp_path / "a" / "sz" / "main.strat", CHILD.replace('"../hq"', '"../../hq"'))
    assert aln_messages(deep) == ["parent `../../hq` is outside the repository"]


def test_a_cycle_of_parents(tmp_path):
    (tmp_path / ".git").mkdir(parents=True)
    write(tmp_path / "hq" / "main.strat", PARENT.replace("unit   hq", 'parent "../sz"\n  unit hq'))
    child = write(tmp_path / "sz" / "main.strat", CHILD)
    assert aln_messages(child) == [
        "cycle of parents: sz/main.strat → hq/main.strat → sz/main.strat"
    ]


def test_units_must_nest_under_the_parent_strategys_unit(tmp_path):
    (tmp_path / ".git").mkdir(parents=True)
    write(tmp_path / "hq" / "main.strat", PARENT)
    child = write(tmp_path / "sz" / "main.strat", CHILD.replace("unit   sz", "unit   loose"))
    write(child, child.read_text() + 'unit loose "Loose"\n')
    assert aln_messages(child) == [
        "unit `loose` is not below `hq`, the unit of the parent strategy"
    ]
    child.write_text(CHILD.replace("  unit   sz\n", ""))
    assert aln_messages(child) == ["a strategy with a parent names its unit"]


def test_a_file_as_parent_and_a_grandparents_units(tmp_path):
    (tmp_path / ".git").mkdir(parents=True)
    write(tmp_path / "hq" / "main.strat", PARENT)
    write(tmp_path / "sz" / "main.strat", CHILD + 'unit team "Team" { parent sz }\n')
    team = CHILD.replace('"../hq"', '"../sz/main.strat"').replace("unit   sz", "unit   team")
    team = team.replace("owner sz  align F1", "owner other  align S1")
    entry = write(tmp_path / "team" / "main.strat", team)
    assert aln_messages(entry) == []  # `other` is the grandparent's unit


def test_check_a_folder_of_projects_through_the_executable():
    r = run("check", "tests/data/cascade")
    assert r.returncode == 1, r.stderr
    for shown in ("hq/main.strat", "branches/sz/main.strat", "branches/gz/main.strat"):
        assert f"tests/data/cascade/{shown}:" in r.stderr
    assert "error[ALN005]" in r.stderr and "warning[ALN006]" in r.stderr
    r = run("check", "tests/data/cascade", "--format", "json")
    doc = json.loads(r.stdout)
    assert {d["code"] for d in doc["diagnostics"] if d["code"].startswith("ALN")} == ALL_CODES
    assert r.returncode == 1


def test_check_a_parent_with_its_children_through_the_executable():
    r = run("check", "tests/data/cascade/hq", "--children", "--format", "json")
    got = {d["code"] for d in json.loads(r.stdout)["diagnostics"] if d["code"].startswith("ALN")}
    assert got == ALL_CODES - {"ALN001"}  # the orphan is no child of hq
    assert r.returncode == 1
    r = run("check", "tests/data/cascade/hq")
    assert "ALN003" not in r.stderr and "ALN006" not in r.stderr
    r = run("check", "tests/data/cascade/nowhere", "--children")
    assert r.returncode == 2 and "no main.strat" in r.stderr


def generated_tree(folder: Path, branches: int) -> list[Path]:
    """A head office with `branches` units and objectives, and a branch project for each."""
    hq = ['strategy "HQ" {\n  unit hq\n  period 2026-01-01 .. 2026-12-31\n}\nunit hq "HQ"']
    hq += [f'unit b{i} "Branch {i}" {{ parent hq }}' for i in range(branches)]
    hq += [
        f'objective F{i} "Goal {i}" {{\n  perspective financial\n  owner hq\n'
        f'  target aum "AUM" >= {branches * 10}亿 by 2026-12-31\n}}'
        for i in range(20)
    ]
    entries = [write(folder / "hq" / "main.strat", "\n".join(hq) + "\n")]
    for b in range(branches):
        objs = [
            f'objective B{b}_{i} "Goal {i}" {{\n  perspective financial\n  owner b{b}\n'
            f'  align F{i}\n  target aum "AUM" >= 10亿 by 2026-12-31\n}}'
            for i in range(20)
        ]
        head = f'strategy "B{b}" {{\n  parent "../hq"\n  unit b{b}\n  period 2026-01-01 .. 2026-12-31\n}}'
        entries.append(write(folder / f"b{b}" / "main.strat", head + "\n" + "\n".join(objs) + "\n"))
    return entries


def test_each_project_of_a_tree_is_parsed_once(tmp_path, monkeypatch):
    """The parent is parsed once for all its children (not once per child)."""
    from stratlang.check import cascade

    loads: list[Path] = []
    real = cascade.load_project

    def counting(entry, *a, **kw):
        loads.append(Path(entry))
        return real(entry, *a, **kw)

    monkeypatch.setattr(cascade, "load_project", counting)
    entries = generated_tree(tmp_path, 30)
    tree = load_tree(entries)
    assert len(loads) == 31 and len(set(loads)) == 31
    assert len(tree.parents) == 30
    loads.clear()
    load_tree(entries[::-1])  # the children named first: the parent is still checked first
    assert len(loads) == 31 and loads[0].parent.name == "hq"


@pytest.mark.slow
def test_load_tree_grows_linearly_with_the_branches(tmp_path):
    """Four times the branches cost about four times the time (not sixteen): nothing compares
    every pair of projects or objectives. CPU time, best of three (the machine is shared)."""

    def seconds(n: int) -> float:
        entries = generated_tree(tmp_path / str(n), n)
        best = float("inf")
        for _ in range(3):
            t = time.process_time()
            tree = load_tree(entries)
            best = min(best, time.process_time() - t)
        assert not [d for d in tree.diagnostics if d.code.startswith("ALN")]
        return best

    small, large = seconds(20), seconds(80)
    assert large < small * 4 * 1.5, (small, large)


def serving_tree(tmp_path: Path, target: str) -> Path:
    """hq with F1.aum_total >= 1200亿 and one branch whose SZ_F1 carries `target`."""
    (tmp_path / ".git").mkdir(parents=True)
    hq = HQ.read_text("utf-8")
    (tmp_path / "hq").mkdir()
    (tmp_path / "hq" / "main.strat").write_text(hq, "utf-8")
    child = (
        'strategy "SZ" {\n  parent "../hq"\n  unit branch_sz\n'
        "  period 2026-01-01 .. 2026-12-31\n}\n"
        f'objective SZ_F1 "SZ AUM" {{\n  perspective financial\n  owner branch_sz\n'
        f"  align F1\n  target {target}\n}}\n"
    )
    (tmp_path / "sz").mkdir()
    (tmp_path / "sz" / "main.strat").write_text(child, "utf-8")
    return tmp_path


def test_serves_names_the_parent_target_a_differently_named_target_serves(tmp_path):
    tree = serving_tree(
        tmp_path, 'sz_aum "SZ" >= 400亿 by 2026-12-31 {\n    serves F1.aum_total\n  }'
    )
    r = run("check", tree)
    assert "error" not in r.stderr.split("emitted")[-1] and r.returncode == 0, r.stderr
    assert "branch_sz `SZ_F1.sz_aum` 400亿" in r.stderr  # ALN006 sums it
    # without `serves` the target serves nothing: no child target adds up to F1.aum_total
    plain = serving_tree(tmp_path / "b", 'sz_aum "SZ" >= 400亿 by 2026-12-31')
    assert "SZ_F1.sz_aum" not in run("check", plain).stderr


def test_serves_overrides_the_same_id_rule_and_keeps_the_unit_check(tmp_path):
    tree = serving_tree(
        tmp_path, 'aum_total "SZ" >= 30% by 2026-12-31 {\n    serves F1.aum_total\n  }'
    )
    r = run("check", tree)
    assert "error[ALN005]" in r.stderr


@pytest.mark.parametrize(
    "ref,message",
    [
        ("F9.aum_total", "`F9` is not an objective of the parent strategy"),
        ("F1.aum_totl", "did you mean `F1.aum_total`?"),
    ],
)
def test_serves_naming_nothing_is_aln011(tmp_path, ref, message):
    tree = serving_tree(tmp_path, f'sz_aum "SZ" >= 400亿 by 2026-12-31 {{\n    serves {ref}\n  }}')
    r = run("check", tree / "sz")
    assert r.returncode == 1 and "error[ALN011]" in r.stderr and message in r.stderr


def test_serves_without_a_parent_is_aln011(tmp_path):
    text = (
        'strategy "S" {\n  period 2026-01-01 .. 2026-12-31\n}\n'
        'objective F1 "F" {\n  perspective financial\n'
        '  target a "A" >= 1亿 by 2026-12-31 { serves X1.a }\n}\n'
    )
    (tmp_path / "main.strat").write_text(text, "utf-8")
    r = run("check", tmp_path / "main.strat")
    assert "error[ALN011]" in r.stderr and "without a parent" in r.stderr


def importing_tree(tmp_path: Path) -> Path:
    """repo/two/{hq,sz}: the branch imports ../../shared/extra.strat, outside its own folder."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "shared").mkdir()
    (repo / "shared" / "extra.strat").write_text('theme growth "增长"\n', "utf-8")
    (repo / "two" / "hq").mkdir(parents=True)
    (repo / "two" / "hq" / "main.strat").write_text(HQ.read_text("utf-8"), "utf-8")
    (repo / "two" / "sz").mkdir()
    (repo / "two" / "sz" / "main.strat").write_text(
        'strategy "SZ" {\n  parent "../hq"\n  unit branch_sz\n'
        '  period 2026-01-01 .. 2026-12-31\n}\nimport "../../shared/extra.strat"\n'
        'objective SZ_F1 "SZ" {\n  perspective financial\n  owner branch_sz\n  align F1\n'
        '  target aum_total "AUM" >= 300亿 by 2026-12-31\n}\n',
        "utf-8",
    )
    return repo


def test_root_is_every_projects_root_in_a_tree(tmp_path):
    repo = importing_tree(tmp_path)
    plain = run("check", repo / "two")
    assert plain.returncode == 1 and "error[NAM206]" in plain.stderr  # the import leaves sz/
    assert " --> two/sz/main.strat" in plain.stderr  # paths from the repository root
    wide = run("check", repo / "two", "--root", repo / "two")
    assert "NAM206" in wide.stderr  # shared/ is outside two/ too
    assert " --> sz/main.strat" in wide.stderr  # paths from --root
    whole = run("check", repo / "two" / "hq", "--children", "--root", repo)
    assert whole.returncode == 0 and "NAM206" not in whole.stderr, whole.stderr
    assert "warning[ALN006]" in whole.stderr  # still a tree: the children were found
    narrow = run("check", repo / "two", "--root", repo / "two" / "sz")
    assert narrow.returncode == 2 and "outside the project root" in narrow.stderr


def test_root_in_the_cascade_command(tmp_path):
    repo = importing_tree(tmp_path)
    r = run("cascade", repo / "two", "-o", tmp_path / "out")
    assert r.returncode == 1 and "NAM206" in r.stderr
    r = run("cascade", repo / "two", "--root", repo / "two", "-o", tmp_path / "out")
    assert r.returncode == 1  # the import still leaves --root
    r = run("cascade", repo / "two", "--root", tmp_path, "-o", tmp_path / "out", "--layout", "tree")
    if "Graphviz" in r.stderr:
        pytest.skip("Graphviz is not installed")
    assert r.returncode == 0, r.stderr
    rows = (tmp_path / "out" / "traceability.csv").read_text("utf-8")
    assert "repo/two/sz/main.strat" in rows  # keys from --root, not from the repository


def test_a_parent_and_its_child_named_together_are_a_tree():
    r = run("check", HQ.parent, SZ.parent)  # `stratlang check hq branches/sz`
    assert "warning[ALN006]" in r.stderr and "warning[ALN003]" in r.stderr
    assert "add up to 300亿" in r.stderr  # only the child named serves F1.aum_total here
    files = run("check", HQ, SZ)
    assert "warning[ALN006]" in files.stderr
    siblings = run("check", SZ.parent, GZ.parent)  # neither is the other's parent: no tree
    assert "ALN006" not in siblings.stderr and "ALN003" not in siblings.stderr
    assert "error[ALN005]" in siblings.stderr  # each still checked against its parent


def test_a_tree_of_named_projects_needs_every_path_to_be_a_project(tmp_path):
    (tmp_path / "loose.strat").write_text('theme growth "增长"\n', "utf-8")
    for other in (tmp_path, tmp_path / "loose.strat"):  # no main.strat: maybe an imported file
        r = run("check", HQ, SZ, other)
        assert "ALN006" not in r.stderr  # checked one by one, as before


def test_finding_projects_skips_virtualenvs_and_package_folders(tmp_path):
    """A search outside a repository starts a folder up: a virtualenv or node_modules beside the
    project must not be walked (a venv's thousands of files made `review --children` crawl)."""
    from stratlang.check.cascade import find_projects

    for folder in ("plan", ".venv/lib", "env/lib/x", "node_modules/pkg"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "main.strat").write_text("", encoding="utf-8")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n", encoding="utf-8")
    assert find_projects(tmp_path) == [tmp_path / "plan" / "main.strat"]


def test_a_fifo_named_main_strat_does_not_block_the_search_for_children(tmp_path):
    """`--children` reads each candidate's `parent` line: a FIFO must be passed over, not read
    (reading it blocks forever; the suite's own temporary folders hold such FIFOs)."""
    from stratlang.check.cascade import written_parent

    (tmp_path / "pipe").mkdir()
    os.mkfifo(tmp_path / "pipe" / "main.strat")
    assert written_parent(tmp_path / "pipe" / "main.strat") is None
