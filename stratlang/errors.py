"""The library's errors: every refusal a caller can act on is a `StratlangError`.

The library never exits and never prints; the command line turns these into `error: …` lines and
exit codes (`cli/common.py`): `CheckFailed` is exit 1 (the diagnostics were found), every other
`StratlangError` is exit 2 (a usage or I/O problem: a path, the data, a missing program).
"""

from __future__ import annotations


class StratlangError(Exception):
    """A problem the user can fix; `help` says how (or None). Nothing was written."""

    def __init__(self, message: str, help: str | None = None):
        super().__init__(message)
        self.help = help


class CheckFailed(StratlangError):
    """The project has diagnostics at or above the failing level; `result` holds them."""

    def __init__(self, result, fail_level: str = "error"):
        super().__init__(f"the check failed at level {fail_level}")
        self.result = result
        self.fail_level = fail_level
