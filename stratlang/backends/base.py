"""Build outputs are plugins behind one interface: a file name and `render`.

    @register
    class ModelJson(Backend):
        name = "model.json"
        def render(self, model, options) -> bytes | str: ...

`stratlang build` writes one file per registered backend, in registration order: the built-in
ones (`model.json`, `map.svg`, `playbook-map.svg`, `playbook.html`, `playbook.pdf` with `--pdf`),
then those of installed packages that register through the `stratlang.backends` entry-point group
(the entry point names a module or class; importing it registers the backend). A new output is
one module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from ..errors import StratlangError
from ..model import Model

ENTRY_POINT_GROUP = "stratlang.backends"
REGISTRY: dict[str, Backend] = {}  # file name -> backend, in registration order
# names a backend may not take: what the output folder holds besides the backends' files
RESERVED_NAMES = ("lists", ".stratlang-output.json")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


@dataclass
class Options:
    """Options shared by backends; each backend reads the ones it knows."""

    lang: str | None = None  # zh | en (default from strategy.locale)
    view: str = "strategy"  # maps: strategy | playbook
    show_targets: bool = False
    theme: str = "light"  # maps: light | print | dark (backends/map_themes.py)
    font: str = "Noto Sans CJK SC"
    counts: dict | None = None  # real segment / play counts from `lists` (build --data)
    warnings: list = field(default_factory=list)  # remaining diagnostics, for the playbook
    sources: Any = None
    root: Path | None = None  # the project root: model.json's paths are relative to it
    date: str | None = None  # a date to print, only when asked (SOURCE_DATE_EPOCH / --date)
    pdf: bool = False  # build: also print the playbook to PDF
    rendered: dict = field(
        default_factory=dict
    )  # build: the files rendered so far (name -> content)
    extra: dict = field(default_factory=dict)  # for third-party backends


class Backend:
    """One file of a build's output folder."""

    name: str = ""  # the file name in the output folder, e.g. "model.json"

    def wanted(self, options: Options) -> bool:
        """Whether this build writes the file (e.g. the PDF only with --pdf)."""
        return True

    def render(self, model: Model, options: Options) -> bytes | str:  # pragma: no cover - interface
        raise NotImplementedError


class PluginError(StratlangError):
    """An installed output plugin could not be loaded or registered."""


def register(cls: type[Backend]) -> type[Backend]:
    """Class decorator: add a backend to the build. Its `name` must be a plain, new file name."""
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not _FILE_NAME.match(name) or name in RESERVED_NAMES:
        raise PluginError(
            f"backend {cls.__module__}.{cls.__qualname__} has no usable file name ({name!r})",
            'set `name` to a plain file name such as "report.html"',
        )
    if name in REGISTRY and type(REGISTRY[name]) is not cls:
        raise PluginError(
            f"two backends write {name}: {type(REGISTRY[name]).__module__} and {cls.__module__}",
            "uninstall one of the plugins, or give one another file name",
        )
    REGISTRY[name] = cls()
    return cls


_loaded = False


def build_outputs() -> list[Backend]:
    """Every registered backend, built-in ones first (imported on first use)."""
    global _loaded
    if not _loaded:
        from . import dot, html, json, lifecycle_map  # noqa: F401

        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            try:
                ep.load()
            except PluginError:
                raise
            except Exception as e:
                raise PluginError(
                    f"the output plugin `{ep.name}` ({ep.value}) failed to load: "
                    f"{type(e).__name__}: {e}",
                    f"fix or uninstall the package that provides it ({ENTRY_POINT_GROUP})",
                ) from None
        _loaded = True
    return list(REGISTRY.values())
