"""`stratlang init`: a project that checks clean, with data, CI and pre-commit; never overwrites."""

from __future__ import annotations

from click.testing import CliRunner

from stratlang.check import check_entry
from stratlang.cli import _register, main
from stratlang.engine import run_lists


def test_init_scaffolds_a_clean_project(tmp_path):
    _register()
    target = tmp_path / "proj"
    r = CliRunner().invoke(main, ["init", str(target), "--rows", "800"])
    assert r.exit_code == 0, r.output
    res = check_entry(target / "main.strat")
    assert res.diagnostics == [] or all(d.severity.name != "ERROR" for d in res.diagnostics)
    assert not [d for d in res.diagnostics if d.severity.name in ("ERROR", "WARNING")], (
        res.diagnostics
    )
    text = (target / "main.strat").read_text(encoding="utf-8")
    assert "客群" in text and "Segments" in text  # bilingual comments
    wf = (target / ".github/workflows/stratlang.yml").read_text()
    runs = [ln.split("- run:", 1)[1].strip() for ln in wf.splitlines() if "- run:" in ln]
    assert "stratlang check main.strat --format github" in runs
    assert "\t" not in wf and "__" not in wf  # YAML: spaces only, every placeholder filled
    pc = (target / ".pre-commit-config.yaml").read_text()
    hooks = [ln.split("id:", 1)[1].strip() for ln in pc.splitlines() if "- id:" in ln]
    assert hooks == ["stratlang-check", "stratlang-fmt"] and "rev: v" in pc and "__" not in pc
    # the sample data fits the schema and fills every play
    s = run_lists(res.model, target / "data" / "customers.csv")
    assert s.customers == 800
    assert all(p["listed"] > 0 for p in s.plays.values()), s.plays


def test_init_refuses_to_overwrite(tmp_path):
    _register()
    (tmp_path / "main.strat").write_text("# mine\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert r.exit_code == 2
    assert "refusing to overwrite" in r.output and "main.strat" in r.output
    assert (tmp_path / "main.strat").read_text(encoding="utf-8") == "# mine\n"
    assert not (tmp_path / "data").exists() and not (tmp_path / ".github").exists()


def test_init_on_a_file_is_a_usage_error(tmp_path):
    _register()
    f = tmp_path / "x"
    f.write_text("")
    r = CliRunner().invoke(main, ["init", str(f)])
    assert r.exit_code == 2
