"""stratlang: strategy maps and customer-operations playbooks as checked, compiled text.

The small public API (it raises `StratlangError`s; it never exits and never prints):

    import stratlang
    result = stratlang.check_entry("examples/bank_wealth/main.strat")
    result.model, result.diagnostics
    built = stratlang.build(result, "out", data="examples/bank_wealth/data/customers.csv")
    built.files    # ('map.svg', 'model.json', 'playbook-map.svg', 'playbook.html', 'lists/')
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


def build(result, out, **options):
    """Write the outputs of a checked project into the folder `out`, replacing it whole.

    Options: data=, engine="duckdb"|"spark", pdf=, lang=, fail_level=, progress=, on_wait=.
    Raises CheckFailed (the check fails at fail_level) or another StratlangError; see
    `stratlang.builder.build`."""
    from .builder import build as _build

    return _build(result, out, **options)
