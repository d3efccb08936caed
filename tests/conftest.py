"""Shared test helpers: write small projects to a temporary folder and check them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from stratlang.check import check_entry

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# A minimal complete project header: strategy + schema, to which tests add declarations.
BASE = textwrap.dedent("""
    strategy "Test" {
      owner  "Ops"
      period 2026-01-01 .. 2026-12-31
      locale en
    }
    schema customer {
      id         string key
      age        int
      aum        money
      payroll    bool
      risk_level enum(R1, R2, R3, R4, R5) risk_tolerance
      email      string optional
    }
""")


def write_project(tmp_path: Path, files: dict[str, str]) -> Path:
    """Write files (name -> text, dedented) under tmp_path; return the first one (the entry)."""
    first = None
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
        first = first or p
    return first


@pytest.fixture
def project(tmp_path):
    """project({"main.strat": "..."}) -> CheckResult"""

    def make(files: dict[str, str] | str, **kw):
        if isinstance(files, str):
            files = {"main.strat": files}
        entry = write_project(tmp_path, files)
        return check_entry(entry, **kw)

    return make


def codes(result, code_prefix: str = "") -> list[str]:
    return [d.code for d in result.diagnostics if d.code.startswith(code_prefix)]


# --- parsing one snippet (test_lexical, test_parser) ---------------------------------------------


def parse_ok(text: str, path: str = "t.strat"):
    """Parse `text`; assert there is no diagnostic; return the ast.File."""
    from stratlang.source import SourceFile
    from stratlang.syntax.parser import parse_source

    f, diags = parse_source(SourceFile(path, text))
    assert diags == [], [(d.code, d.span.line, d.span.column, d.message) for d in diags]
    return f


def only_block(text: str):
    """The one declaration of `text` (an ast.Block)."""
    f = parse_ok(text)
    assert len(f.decls) == 1
    return f.decls[0]


def attrs(block) -> dict:
    """Attribute name -> ast.Attribute of a block."""
    from stratlang.syntax import ast

    return {i.name.name: i for i in block.items if isinstance(i, ast.Attribute)}


def value(text: str):
    """The value of `v` in `offer o { v TEXT }` (the value starts at column 13)."""
    return attrs(only_block(f"offer o {{ v {text} }}"))["v"].value


# ----------------------------------------------------------------------------- the fast subset
SLOW_TESTS = Path(__file__).with_name("slow_tests.txt")


def pytest_collection_modifyitems(config, items):
    """Mark `slow` the tests tests/slow_tests.txt names (measured by scripts/measure_tests.py),
    beside those marked in their files: `make test-fast` leaves both out, `make test` runs all."""
    lines = SLOW_TESTS.read_text(encoding="utf-8").splitlines() if SLOW_TESTS.exists() else []
    listed = {x.strip() for x in lines if x.strip() and not x.startswith("#")}
    for item in items:
        if item.nodeid in listed:
            item.add_marker(pytest.mark.slow)
