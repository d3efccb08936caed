"""Helpers shared across packages."""

from __future__ import annotations

import importlib


def import_present(package: str, names) -> None:
    """Import each module `package.name` that exists. A module that is missing is skipped (a part
    not in this build); a module that exists but fails to import raises as usual."""
    for name in names:
        try:
            importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{package}.{name}":
                raise
