"""The library API: check and build from Python, with typed errors, never an exit."""

from __future__ import annotations

import json

import pytest
from conftest import BASE, EXAMPLES, write_project

import stratlang
from stratlang import check
from stratlang.errors import CheckFailed, StratlangError
from stratlang.output import OutputError

BANK = EXAMPLES / "bank_wealth"


def test_check_then_build_with_data(tmp_path):
    result = stratlang.check_entry(BANK / "main.strat")
    built = stratlang.build(result, tmp_path / "out", data=BANK / "data" / "customers.csv")
    assert built.files == (
        "lifecycle-map.svg",
        "map.svg",
        "model.json",
        "playbook-map.svg",
        "playbook.html",
        "lists/",
    )
    model = json.loads((tmp_path / "out" / "model.json").read_text(encoding="utf-8"))
    assert sum(built.counts["plays"].values()) > 0
    assert {p["id"]: p["count"] for p in model["plays"]} == built.counts["plays"]
    assert (tmp_path / "out" / "lists" / "summary.json").is_file()


def test_a_failing_check_raises_check_failed_with_the_result(tmp_path):
    entry = write_project(tmp_path, {"main.strat": BASE + "segment s { rule agee > 3 }\n"})
    result = stratlang.check_entry(entry)
    with pytest.raises(CheckFailed) as caught:
        stratlang.build(result, tmp_path / "out")
    assert caught.value.result is result
    assert any(
        d.code.startswith("TYP") or d.code.startswith("NAM")
        for d in caught.value.result.diagnostics
    )
    assert not (tmp_path / "out").exists()


def test_warnings_fail_at_fail_level_warning(tmp_path):
    entry = write_project(tmp_path, {"main.strat": BASE + 'segment unused "U" { rule age > 3 }\n'})
    result = stratlang.check_entry(entry)
    assert "SEG504" in {d.code for d in result.diagnostics}  # a warning, no error
    with pytest.raises(CheckFailed):
        stratlang.build(result, tmp_path / "out", fail_level="warning")
    assert not (tmp_path / "out").exists()


def test_refusals_are_typed_errors_not_exits(tmp_path):
    result = stratlang.check_entry(BANK / "main.strat")
    with pytest.raises(OutputError, match="an input of this run"):
        stratlang.build(result, BANK)
    with pytest.raises(StratlangError, match="data file not found"):
        stratlang.build(result, tmp_path / "out", data=tmp_path / "missing.csv")
    assert not (tmp_path / "out").exists()


def test_load_then_check_then_build_a_project(tmp_path):
    project = stratlang.load(BANK / "main.strat")
    assert project.entry == (BANK / "main.strat").resolve()
    assert len(project.files) > 1  # the entry and what it imports, parsed
    result = project.check()
    assert result.ok and result.model is not None
    assert result.project is project
    built = stratlang.build(project, tmp_path / "out")  # a loaded project is checked by build
    assert built.files == (
        "lifecycle-map.svg",
        "map.svg",
        "model.json",
        "playbook-map.svg",
        "playbook.html",
    )
    stratlang.build(result, tmp_path / "again")
    assert (tmp_path / "out" / "model.json").read_bytes() == (
        tmp_path / "again" / "model.json"
    ).read_bytes()


def test_load_reports_syntax_problems_as_diagnostics_not_errors(tmp_path):
    entry = write_project(tmp_path, {"main.strat": BASE + "segment s { rule age > }\n"})
    project = stratlang.load(entry)
    assert [d.code[:3] for d in project.diagnostics] == ["SYN"]
    with pytest.raises(CheckFailed):
        stratlang.build(project, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_entry_that_cannot_be_read_is_a_stratlang_error(tmp_path):
    from stratlang.check import LoadError

    with pytest.raises(LoadError, match="file not found") as caught:
        stratlang.load(tmp_path / "missing.strat")
    assert isinstance(caught.value, StratlangError)
    with pytest.raises(LoadError, match="outside"):
        stratlang.load(BANK / "main.strat", root=tmp_path)


def test_the_api_leaves_the_garbage_collector_as_it_found_it():
    import gc

    assert gc.isenabled()
    stratlang.load(BANK / "main.strat").check()
    assert gc.isenabled()


def test_an_overlay_keyed_by_text_paths_replaces_the_file(tmp_path):
    """`stratlang.check_entry(..., overlay={path: text})` takes text paths; the loader looks files
    up by `Path`, so text keys used to be ignored and the file on disk was checked (issue 11)."""
    entry = write_project(tmp_path, {"main.strat": BASE})
    unsaved = entry.read_text(encoding="utf-8") + "segment s { rule agee > 3 }\n"
    on_disk = stratlang.check_entry(entry)
    assert not any(d.code == "TYP301" for d in on_disk.diagnostics)
    result = stratlang.check_entry(entry, overlay={str(entry): unsaved})
    assert any(d.code == "TYP301" for d in result.diagnostics)
    # the language server's overlay is keyed by Path
    result = check.check_entry(entry, overlay={entry: unsaved})
    assert any(d.code == "TYP301" for d in result.diagnostics)
