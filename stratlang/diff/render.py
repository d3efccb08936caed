"""A `Diff` for people (text), for a pull-request comment (Markdown) and for tools (JSON)."""

from __future__ import annotations

import json
from typing import Any

from . import KINDS, Diff

NO_PLAY = "(none)"


def to_json(d: Diff) -> str:
    return json.dumps(d.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _counts(kd) -> str:
    parts = [
        f"{len(x)} {w}"
        for x, w in ((kd.added, "added"), (kd.removed, "removed"), (kd.changed, "changed"))
        if x
    ]
    return ", ".join(parts)


def _brief(fields: dict[str, str]) -> str:
    """An added or removed declaration in one line: its label and a few facts."""
    label = fields.get("label")
    rest = [f"{k} {v}" for k, v in fields.items() if k != "label"][:4]
    head = f'"{label}"' if label else ""
    return " ".join(x for x in (head, "; ".join(rest)) if x)


def _shown(v: str | None) -> str:
    return "—" if v is None else v


def to_text(d: Diff) -> str:
    lines: list[str] = []
    for kind in KINDS:
        kd = d.kinds[kind]
        if not kd:
            continue
        lines.append(f"{kind}: {_counts(kd)}")
        for i in sorted(kd.added):
            lines.append(f"  + {i} {_brief(kd.added[i])}".rstrip())
        for i in sorted(kd.removed):
            lines.append(f"  - {i} {_brief(kd.removed[i])}".rstrip())
        for i in sorted(kd.changed):
            lines.append(f"  ~ {i}")
            for f, (o, n) in kd.changed[i].items():
                if len(_shown(o)) + len(_shown(n)) > 70:  # long values (rules) one under the other
                    lines += [f"      {f}:", f"        - {_shown(o)}", f"        + {_shown(n)}"]
                else:
                    lines.append(f"      {f}: {_shown(o)} → {_shown(n)}")
    if not lines:
        lines.append(f"no differences between {d.old} and {d.new}")
    if d.data is not None:
        lines.append("")
        lines.extend(_data_text(d.data))
    return "\n".join(lines) + "\n"


def _data_text(data: dict[str, Any]) -> list[str]:
    out = [f"on the data ({data['customers']} customers, as of {data['as_of']}):", "  segments:"]
    width = max((len(s) for s in data["segments"]), default=0)
    for sid, c in data["segments"].items():
        out.append(f"    {sid:<{width}}  {_count_change(c['old'], c['new'])}")
    out.append(f"  {data['moved']} customers change play")
    for m in data["moves"]:
        if m["from"] != m["to"]:
            out.append(f"    {m['from'] or NO_PLAY} → {m['to'] or NO_PLAY}: {m['customers']}")
    out.append("  plays (rows: old play, columns: new play):")
    out.extend("    " + line for line in _matrix_lines(data, "text"))
    return out


def _count_change(o: int | None, n: int | None) -> str:
    if o is None:
        return f"new: {n}"
    if n is None:
        return f"removed (was {o})"
    delta = n - o
    return f"{o} → {n} ({delta:+d})" if delta else f"{o} (unchanged)"


def _matrix(data: dict[str, Any]) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    cells = {(m["from"], m["to"]): m["customers"] for m in data["moves"]}
    rows = sorted({a for a, _ in cells}, key=lambda p: (p == "", p))
    cols = sorted({b for _, b in cells}, key=lambda p: (p == "", p))
    return rows, cols, cells


def _matrix_lines(data: dict[str, Any], style: str) -> list[str]:
    rows, cols, cells = _matrix(data)
    head = ["old \\ new", *[c or NO_PLAY for c in cols]]
    body = [[r or NO_PLAY, *[str(cells.get((r, c), 0)) for c in cols]] for r in rows]
    if style == "markdown":
        return [
            "| " + " | ".join(head) + " |",
            "|" + "|".join(["---"] + ["--:"] * len(cols)) + "|",
            *["| " + " | ".join(r) + " |" for r in body],
        ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    return [
        "  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths)))
        for r in [head, *body]
    ]


def _md(s: str | None) -> str:
    return _shown(s).replace("|", "\\|").replace("\n", " ")


def to_markdown(d: Diff) -> str:
    lines = [f"## stratlang diff: `{d.old}` → `{d.new}`", ""]
    if not any(d.kinds.values()):
        lines += ["No differences in the model.", ""]
    for kind in KINDS:
        kd = d.kinds[kind]
        if not kd:
            continue
        lines += [f"### {kind.capitalize()} ({_counts(kd)})", ""]
        lines += ["| | id | field | old | new |", "|---|---|---|---|---|"]
        for i in sorted(kd.added):
            for f, v in kd.added[i].items():
                lines.append(f"| added | `{i}` | {f} | — | {_md(v)} |")
        for i in sorted(kd.removed):
            for f, v in kd.removed[i].items():
                lines.append(f"| removed | `{i}` | {f} | {_md(v)} | — |")
        for i in sorted(kd.changed):
            for f, (o, n) in kd.changed[i].items():
                lines.append(f"| changed | `{i}` | {f} | {_md(o)} | {_md(n)} |")
        lines.append("")
    if d.data is not None:
        data = d.data
        lines += [
            f"### On the data ({data['customers']} customers, as of {data['as_of']})",
            "",
            "| segment | old | new | change |",
            "|---|--:|--:|--:|",
        ]
        for sid, c in data["segments"].items():
            o, n = c["old"], c["new"]
            delta = "" if o is None or n is None else (f"{n - o:+d}" if n != o else "0")
            lines.append(f"| `{sid}` | {_md(_opt(o))} | {_md(_opt(n))} | {delta} |")
        lines += [
            "",
            f"**{data['moved']} customers change play** (rows: old play, columns: new play)",
            "",
        ]
        lines += _matrix_lines(data, "markdown")
        lines.append("")
    return "\n".join(lines)


def _opt(n: int | None) -> str | None:
    return None if n is None else str(n)
