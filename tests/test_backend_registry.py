"""The build's outputs come from the backend registry, and an installed package can add one
through the `stratlang.backends` entry-point group."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import EXAMPLES

from stratlang import check_entry
from stratlang.backends.base import Backend, PluginError, build_outputs, register

STRATLANG = str(Path(sys.executable).parent / "stratlang")
ENTRY = EXAMPLES / "telecom_winback" / "main.strat"


def test_builtin_outputs_in_order():
    names = [b.name for b in build_outputs()]
    assert sorted(names) == [
        "lifecycle-map.svg",
        "map.svg",
        "model.json",
        "playbook-map.svg",
        "playbook.html",
        "playbook.pdf",
    ]
    assert names.index("playbook.html") < names.index("playbook.pdf")  # the PDF prints the HTML


@pytest.mark.parametrize(
    "name", ["", "../escape.txt", "lists", ".stratlang-output.json", "a/b.txt", ".hidden"]
)
def test_a_backend_needs_a_plain_new_file_name(name):
    with pytest.raises(PluginError):
        register(type("Bad", (Backend,), {"name": name}))


def test_two_backends_cannot_write_one_file():
    with pytest.raises(PluginError, match="two backends write model.json"):
        register(type("Clash", (Backend,), {"name": "model.json"}))


def install_plugin(site: Path, module_source: str) -> dict:
    """An installed distribution as pip leaves it (module + dist-info with entry_points.txt), on a
    folder put on PYTHONPATH for the command."""
    site.mkdir()
    (site / "tiny_report.py").write_text(textwrap.dedent(module_source), encoding="utf-8")
    info = site / "tiny_report-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tiny-report\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[stratlang.backends]\ntiny = tiny_report\n", encoding="utf-8"
    )
    return dict(os.environ, PYTHONPATH=str(site), CI="true")


def test_an_installed_plugin_adds_an_output_to_build(tmp_path):
    env = install_plugin(
        tmp_path / "site",
        """
        from stratlang.backends.base import Backend, register

        @register
        class Objectives(Backend):
            name = "objectives.txt"

            def render(self, model, options):
                return "".join(f"{o.id}\\t{o.label}\\n" for o in model.objectives.values())
    """,
    )
    r = subprocess.run(
        [STRATLANG, "build", str(ENTRY), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "objectives.txt" in r.stderr
    model = check_entry(ENTRY).model
    expected = "".join(f"{o.id}\t{o.label}\n" for o in model.objectives.values())
    assert (tmp_path / "out" / "objectives.txt").read_text(encoding="utf-8") == expected
    assert "objectives.txt" in (tmp_path / "out" / ".stratlang-output.json").read_text(
        encoding="utf-8"
    )


def test_a_broken_plugin_is_a_clear_error(tmp_path):
    env = install_plugin(tmp_path / "site", "raise ImportError('needs reportlab')\n")
    r = subprocess.run(
        [STRATLANG, "build", str(ENTRY), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 2
    assert (
        "error: the output plugin `tiny` (tiny_report) failed to load: ImportError: needs reportlab"
        in r.stderr
    )
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert not (tmp_path / "out").exists()
