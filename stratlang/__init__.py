"""stratlang: strategy maps and customer-operations playbooks as checked, compiled text.

The small public API:

    from stratlang import check_entry
    result = check_entry("examples/bank_wealth/main.strat")
    result.model, result.diagnostics
"""

__version__ = "0.1.0"


def check_entry(entry, root=None, *, checks=True, overlay=None):
    """Load, parse, resolve and check the project whose entry file is `entry`."""
    from .check import check_entry as _check_entry

    return _check_entry(entry, root, checks=checks, overlay=overlay)


def parse_text(text: str, path: str = "<input>"):
    """Parse text into an `ast.File` and syntax diagnostics."""
    from .source import SourceFile
    from .syntax.parser import parse_source

    return parse_source(SourceFile(path, text))
