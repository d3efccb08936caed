"""Backends are plugins behind one interface: a name, a file extension and `render`.

    @register
    class JsonBackend(Backend):
        name = "json"; extension = ".json"
        def render(self, model, options) -> bytes | str: ...

`stratlang build` runs the backends listed in BUILD_OUTPUTS; a new output is one module that
subclasses `Backend` and registers itself (third-party packages can register through the
`stratlang.backends` entry-point group).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from ..model import Model
from ..util import import_present

REGISTRY: dict[str, "Backend"] = {}
BUILTIN_MODULES = ("json", "dot", "html", "sql")


@dataclass
class Options:
    """Options shared by backends; each backend reads the ones it knows."""

    lang: str | None = None  # zh | en (default from strategy.locale)
    view: str = "strategy"  # maps: strategy | playbook
    show_targets: bool = False
    font: str = "Noto Sans CJK SC"
    counts: dict | None = None  # real segment / play counts from `lists` (build --data)
    warnings: list = field(default_factory=list)  # remaining diagnostics, for the playbook
    sources: Any = None
    date: str | None = None  # a date to print, only when asked (SOURCE_DATE_EPOCH / --date)
    extra: dict = field(default_factory=dict)


class Backend:
    name: str = ""
    extension: str = ""

    def render(self, model: Model, options: Options) -> bytes | str:  # pragma: no cover - interface
        raise NotImplementedError


def register(cls):
    REGISTRY[cls.name] = cls()
    return cls


def get(name: str) -> Backend:
    load()
    return REGISTRY[name]


_loaded = False


def load() -> None:
    global _loaded
    if _loaded:
        return
    import_present(__package__, BUILTIN_MODULES)
    for ep in entry_points(group="stratlang.backends"):
        ep.load()
    _loaded = True
