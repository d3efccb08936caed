"""Child processes (Graphviz `dot`, the Spark JVM) die with the command that started them.

A `build` killed while `dot` lays out a big map must not leave `dot` running on its own (seen: a
3.4 GB orphan, minutes later). On Linux the kernel does it: `PR_SET_PDEATHSIG` asks for SIGKILL
when the parent dies, however it dies (SIGKILL included). Elsewhere nothing is set, and a child is
only stopped by the normal clean-up of `subprocess` on exceptions.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A `preexec_fn` for subprocess: the child is killed when this process dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: nothing more to do
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)
