"""Resolution of a cascade's declarations (docs/cascade.md): `unit` blocks, the strategy's
`parent` and `unit`, an objective's `owner` (a unit id or a string) and `align`.

Functions of the `Resolver` (`r`), kept apart from `resolve.py` like `resolve_governance`. Unit ids
may name units of an ancestor project and `align` names the parent project's objectives, so
neither is looked up here: the names are kept as written and checked with the parent loaded, in
`check/alignment.py` (ALN002, ALN009).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import model as m
from ..syntax import ast

if TYPE_CHECKING:
    from .resolve import AttrNode, Resolver


def unit_ref(r: Resolver, attr: AttrNode | None) -> str | None:
    """A unit id (`parent retail_hq`, `unit branch_sz`), unchecked; TYP302 for anything else."""
    if attr is None or isinstance(attr, ast.SubBlock):
        return None
    v = attr.value
    if isinstance(v, ast.Name):
        return v.name
    if not isinstance(v, ast.Invalid):
        r._type_error(v, attr.name.name, "a unit id")
    return None


def owner(r: Resolver, attr: AttrNode | None) -> tuple[str | None, str | None]:
    """(owner as written, the unit id when written as an id): `owner branch_sz` or
    `owner "张经理"` (a free string, as before units existed)."""
    if attr is None or isinstance(attr, ast.SubBlock):
        return None, None
    v = attr.value
    if isinstance(v, ast.Name):
        return v.name, v.name
    if isinstance(v, ast.Str):
        return v.value, None
    if not isinstance(v, ast.Invalid):
        r._type_error(v, "owner", "a unit id or a string")
    return None, None


def aligns(r: Resolver, attr: AttrNode | None) -> tuple[str, ...]:
    """`align F1, F2`: objective ids of the parent project, in order, each once."""
    if attr is None or isinstance(attr, ast.SubBlock):
        return ()
    v = attr.value
    items = v.items if isinstance(v, ast.ListValue) else (v,)
    out: list[str] = []
    for it in items:
        if isinstance(it, ast.Name):
            if it.name not in out:
                out.append(it.name)
        elif not isinstance(it, ast.Invalid):
            r._type_error(it, "align", "objective ids of the parent project separated by commas")
    return tuple(out)


def parent_link(r: Resolver, attr: AttrNode | None) -> m.ParentLink | None:
    """The strategy's `parent "../hq"`: a path to the parent project, resolved when loading."""
    path = r.conv(attr, "str")
    if path is None or attr is None or isinstance(attr, ast.SubBlock):
        return None
    return m.ParentLink(path, attr.value.span)


def build_unit(r: Resolver, b: ast.Block) -> m.Unit:
    assert b.id is not None  # collected declarations have an id
    a, _ = r.read(b)
    return m.Unit(
        b.id.name,
        b.label.value if b.label else b.id.name,
        parent=unit_ref(r, a.get("parent")),
        head=r.conv(a.get("head"), "str"),
        description=r.conv(a.get("description"), "str"),
        allow=r.conv(a.get("allow"), "codes") or frozenset(),
        span=b.span,
        node=b,
    )
