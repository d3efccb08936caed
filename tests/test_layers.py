"""Data flows one way: the stages after the checker read typed rules from the model
(`stratlang.rules`) and never import the checker's modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "stratlang"
# Modules below or after the checker: they may run a whole check (the package's API), nothing else.
# (samples.py, `stratlang sample-data`, is a tool beside the checker, like `stratlang test`: it asks
# the checker's solver for a member of each segment and its reference evaluator to confirm it.)
READERS = sorted(
    [*PACKAGE.glob("backends/*.py"), *PACKAGE.glob("engine/*.py")]
    + [PACKAGE / "model.py", PACKAGE / "rules.py"]
)
CHECK_API = frozenset(("check_entry", "check_project", "CheckResult", "LoadError"))


def _module_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts)


def _absolute(node: ast.ImportFrom, module: str) -> str:
    """The module an import-from names, with a relative import resolved against `module`."""
    if not node.level:
        return node.module or ""
    base = module.split(".")[: -node.level]
    return ".".join(base + ([node.module] if node.module else []))


def checker_imports(source: str, module: str) -> list[str]:
    """What a module's source imports from the checker, beyond running a whole check."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("stratlang.check")]
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, module)
            if target.startswith("stratlang.check."):
                found.append(target)
            elif target == "stratlang.check":
                found += [f"{target}.{a.name}" for a in node.names if a.name not in CHECK_API]
    return found


@pytest.mark.parametrize("path", READERS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_checker_imports_after_the_checker(path):
    assert checker_imports(path.read_text(encoding="utf-8"), _module_of(path)) == []


@pytest.mark.parametrize(
    "source",
    [
        "from ..check.types import typed_rule",
        "from ..check import types",
        "import stratlang.check.evaluator",
        "def f():\n    from stratlang.check.types import normalize\n",
    ],
)
def test_the_scan_finds_a_checker_import(source):
    assert checker_imports(source, "stratlang.backends.sql") != []


def test_the_scan_allows_running_a_check():
    assert checker_imports("from .check import check_entry", "stratlang.samples") == []
