"""`stratlang eval ENTRY --customer JSON | --data FILE --key K`: one customer's segments and play, and why."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from . import main
from .common import EXIT_OK, color_option, entry_file, fail_usage, load_checked, root_option
from .options import as_of_option, format_option

MARKS = {True: "✓", False: "✗", None: "?"}


@main.command("eval")
@click.argument("entry", type=click.Path(path_type=Path))
@click.option("--customer", default=None, help="The customer as JSON: '{\"age\": 30, …}'.")
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A CSV of customers (the schema's columns); with --key, the row of that customer.",
)
@click.option("--key", default=None, help="The key of the customer's row in --data.")
@format_option(["text", "json"])
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Words in zh or en.")
@as_of_option("Only the plays whose period contains this day compete (as `lists --as-of`).")
@root_option()
@color_option
def eval_command(
    entry: Path,
    customer: str | None,
    data: Path | None,
    key: str | None,
    fmt: str,
    lang: str | None,
    as_of,
    root: Path | None,
) -> None:
    """Evaluate one customer: the segments they fall in (each rule part by part, held or failed,
    in words), their tier in each tiering, and the play they get and why.

    ENTRY is the project's entry file (or its folder). Exit codes: 0 done, 2 usage or I/O error.
    """
    from ..testing import FixtureError, explain_customer, parse_value, record_from_json

    entry = entry_file(entry)
    if (customer is None) == (data is None):
        fail_usage("give the customer: --customer JSON, or --data FILE --key KEY")
    model = load_checked(entry, root).model
    if model.schema is None:
        fail_usage(f"{entry} declares no schema: there are no customers to evaluate")
    fields = model.schema.rule_fields
    try:
        if customer is not None:
            try:
                obj = json.loads(customer)
            except json.JSONDecodeError as e:
                fail_usage(f"--customer is not JSON: {e}")
            if not isinstance(obj, dict):
                fail_usage("--customer must be a JSON object: '{\"field\": value, …}'")
            record = record_from_json(model, obj)
        else:
            assert data is not None
            if key is None or model.schema.key is None:
                fail_usage("--data needs --key KEY (and the schema a key field)")
            row = _row(data, model.schema.key, key)
            record = {k: parse_value(v or "", fields[k]) for k, v in row.items() if k in fields}
    except FixtureError as e:
        fail_usage(str(e))
    out = explain_customer(model, record, lang, as_of.date() if as_of else None)
    if fmt == "json":
        click.echo(json.dumps(out.to_json(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(_text(model, out))
    sys.exit(EXIT_OK)


def _row(path: Path, key_field: str, key: str) -> dict[str, str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get(key_field) == key:
                    return row
    except OSError as e:
        fail_usage(f"cannot read {path}: {e.strerror or e}")
    fail_usage(f"no row with {key_field} = {key} in {path}")


def _text(model, out) -> str:
    lines = [f"customer {out.key}" if out.key is not None else "customer (no key)"]
    lines.append(f"  segments: {', '.join(out.members) or '(none)'}")
    for tid, sid in out.tiers.items():
        lines.append(f"  tier ({tid}): {sid or '(none)'}")
    unknown = [f for f in model.schema.fields if out.record.get(f) is None]
    if unknown:
        lines.append(f"  no value (NULL, so unknown in rules): {', '.join(unknown)}")
    if out.play is None:
        lines.append("  play: (none)")
    else:
        extra = f", variant {out.variant}" if out.variant else ""
        lines.append(f"  play: {out.play} ({out.group}{extra})")
    lines.append("")
    lines.append("segments:")
    for s in out.segments:
        lines.append(f'  {MARKS[s.member]} {s.id} "{s.label}"')
        for c in s.conditions:
            lines.extend(_cond(c, 6))
    lines.append("")
    lines.append("plays, by priority (the first that admits wins):")
    for p in out.plays:
        mark = "→" if p.id == out.play else MARKS[p.admits]
        lines.append(f"  {mark} {p.id} (priority {p.priority}): {'; '.join(p.reasons)}")
    if out.buckets:
        lines.append("")
        play = model.plays.get(out.play) if out.play else None
        for name, b in out.buckets.items():
            if name == "holdout":
                share = model.strategy.holdout
                lines.append(
                    f"holdout: bucket {b} of 10000 (held when < {round(share * 100)}): {'held out' if out.held else 'not held'}"
                )
            elif name == "control" and play is not None:
                lines.append(
                    f"control: bucket {b} of 10000 (control when < {round((play.control or 0) * 100)}): {'control' if out.control else 'treated'}"
                )
            elif name == "variant":
                lines.append(
                    f"variant: bucket {b} of 10000: arm {out.variant or '(none: not treated)'}"
                )
    return "\n".join(lines)


def _cond(c, indent: int) -> list[str]:
    out = [" " * indent + f"{MARKS[c.value]} {c.text}"]
    for p in c.parts:
        out.extend(_cond(p, indent + 2))
    return out
