"""The explanations of the ALN codes (cascades, docs/cascade.md), kept apart from `explain.py`
for length. Each example is a child strategy (`main.strat`) whose parent project `hq/main.strat`
is `HEAD_OFFICE`; ALN003 and ALN006 need the whole tree and are checked as one (`tree`).
"""

from __future__ import annotations

from .explain import Explanation as E

HEAD_OFFICE = """strategy "Retail head office" {
  unit   retail_hq
  period 2026-01-01 .. 2026-12-31
  locale en
}
unit retail_hq "Retail head office"
unit branch_sz "Shenzhen branch" { parent retail_hq }
objective F1 "Grow wealth AUM" {
  perspective financial
  owner       retail_hq
  target      aum "Wealth AUM" >= 1200亿 by 2026-12-31
}
objective C1 "Loyal customers" {
  perspective customer
  owner       retail_hq
  target      nps "NPS" >= 40 by 2026-12-31
}
C1 -> F1
"""


def _branch(parent: str = "hq", period: str = "2026-01-01 .. 2026-12-31") -> str:
    return (
        f'strategy "Shenzhen branch" {{\n  parent "{parent}"\n  unit   branch_sz\n'
        f"  period {period}\n  locale en\n}}\n"
    )


BRANCH = _branch()
# the branch's objective aligned with F1 (for examples about something else)
SZ_F1 = """objective S1 "Grow Shenzhen AUM" {
  perspective financial
  owner       branch_sz
  align       F1
  target      aum "Wealth AUM" >= 1200亿 by 2026-12-31
}
"""


def _objective(
    oid: str = "S1",
    perspective: str = "financial",
    owner: str = "branch_sz",
    align: str | None = "F1",
    target: str | None = 'aum "Wealth AUM" >= 1200亿 by 2026-12-31',
) -> str:
    lines = [f'objective {oid} "Shenzhen objective" {{', f"  perspective {perspective}"]
    lines.append(f"  owner       {owner}")
    if align:
        lines.append(f"  align       {align}")
    if target:
        lines.append(f"  target      {target}")
    return "\n".join(lines) + "\n}\n"


ALIGNMENT: dict[str, E] = {
    "ALN001": E(
        "A strategy's `parent` names the parent project of a cascade: a folder holding "
        "`main.strat`, or a `.strat` file, relative to the file that says it. It must exist, be "
        "a project, stay inside the repository (outside a git repository: inside the folder "
        "above the child project's folder), and the parents may not lead back to the project "
        "(a cycle).",
        _branch("head_office"),
        _branch("hq"),
        "Give the path of the parent project's folder or file, relative to this file.",
        base="",
        context=SZ_F1,
        parent=HEAD_OFFICE,
    ),
    "ALN002": E(
        "`align` names objectives of the parent project (its own ids, no qualification); an id "
        "the parent does not declare is an error, with the closest as suggestion. `align` in a "
        "strategy without a `parent` is an error too.",
        _objective(align="F2"),
        _objective(align="F1"),
        "Name an objective of the parent strategy (`stratlang check` on the parent lists them).",
        base=BRANCH,
        parent=HEAD_OFFICE,
    ),
    "ALN003": E(
        "When a tree of strategies is checked together (`stratlang check FOLDER`, or the parent "
        "with `--children`), every objective of a parent should be carried by at least one "
        "child objective that aligns with it. Reported at the parent's objective.",
        SZ_F1,
        SZ_F1 + _objective("S2", "customer", align="C1", target=None),
        "Align a child objective with it, or `allow ALN003` on the parent's objective when the "
        "head office carries it alone.",
        base=BRANCH,
        parent=HEAD_OFFICE,
        tree=True,
    ),
    "ALN004": E(
        "In a strategy with a parent, every objective aligns with at least one objective of the "
        "parent (`align F1`), whatever its perspective: a branch's learning objective serves "
        "the head office's learning or a higher objective too.",
        SZ_F1 + _objective("S2", "customer", align=None, target=None),
        SZ_F1 + _objective("S2", "customer", align="C1", target=None),
        "Add `align` naming the parent objective it serves, or `allow ALN004` when the objective "
        "is the unit's own.",
        base=BRANCH,
        parent=HEAD_OFFICE,
    ),
    "ALN005": E(
        "A child target serves the parent target with the same id in the objectives it aligns "
        "with (or the one its `serves` names). Its value must be of the same kind: an amount or count, a percentage, a ratio or "
        "a multiple. A branch's `30%` cannot serve the head office's `1200亿`.",
        _objective(target='aum "Wealth AUM" >= 30% by 2026-12-31'),
        _objective(target='aum "Wealth AUM" >= 300亿 by 2026-12-31'),
        "Write the target in the parent's unit, or give it an id of its own so that it serves "
        "nothing.",
        base=BRANCH,
        parent=HEAD_OFFICE,
    ),
    "ALN006": E(
        "When a tree is checked together, the children's targets that serve one parent target "
        "are added up when they are additive (amounts and counts; percentages, ratios and "
        "multiples are not) and compared with the parent's value at its deadline: for `>=` the "
        "sum must reach it, for `<=` stay within it. A child target due later counts with its "
        "last milestone due by then. The message gives each child's value, the sum, the "
        "parent's value and the gap.",
        _objective(target='aum "Wealth AUM" >= 300亿 by 2026-12-31'),
        _objective(target='aum "Wealth AUM" >= 1200亿 by 2026-12-31'),
        "Raise the children's targets, add a child that serves the target, or lower the "
        "parent's; `allow ALN006` on the parent's objective when the rest is carried elsewhere.",
        base=BRANCH,
        parent=HEAD_OFFICE,
        tree=True,
    ),
    "ALN007": E(
        "A child target is due after the parent target it serves (its `by`, or the end of its "
        "strategy's period): the parent's deadline would pass before the child delivers.",
        _objective(target='aum "Wealth AUM" >= 1200亿 by 2027-06-30'),
        _objective(target='aum "Wealth AUM" >= 1200亿 by 2026-12-31'),
        "Bring the deadline forward to the parent's, or add a milestone for the parent's date.",
        base=_branch(period="2026-01-01 .. 2027-06-30"),
        parent=HEAD_OFFICE,
    ),
    "ALN008": E(
        "Perspectives keep their order across levels: the perspectives a child shares with its "
        "parent are listed in the parent's order, and an objective does not align only with "
        "parent objectives of perspectives below its own (a financial objective that serves "
        "only a customer objective of the head office is in the wrong perspective).",
        _objective(align="C1", target=None),
        _objective(perspective="customer", align="C1", target=None),
        "Move the objective to the perspective of what it serves, or align it with a parent "
        "objective of its own perspective.",
        base=BRANCH,
        parent=HEAD_OFFICE,
    ),
    "ALN009": E(
        "Units are checked names: an objective's `owner` written as an id, a unit's `parent` "
        "and the strategy's `unit` name units declared in the project or an ancestor project; "
        "units form a tree (no cycle of `parent`); a strategy with a parent names its unit, and "
        "that unit sits under the parent strategy's unit; a unit is not declared again below "
        "an ancestor that declares it.",
        _objective(owner="branch_sx"),
        _objective(owner="branch_sz"),
        "Name a declared unit (the message suggests the closest), or declare the unit: "
        '`unit branch_sz "Shenzhen branch" { parent retail_hq }`.',
        base=BRANCH,
        parent=HEAD_OFFICE,
    ),
    "ALN010": E(
        "An owner may still be a free string, as before units existed; but once the project or "
        "an ancestor declares units, a string owner is most likely a unit written by its name. "
        "The closest unit (by label or id) is suggested.",
        _objective(owner='"Shenzhen branch"'),
        _objective(owner="branch_sz"),
        "Write the unit's id instead of its name.",
        base=BRANCH,
        parent=HEAD_OFFICE,
    ),
    "ALN011": E(
        "A child target serves the parent target with the same id; `serves OBJECTIVE.TARGET` in "
        "its body names another one instead (a branch's `sz_aum` serving the head office's "
        "`F1.aum`). It must name a target of a parent objective that the child objective aligns "
        "with, and the strategy must have a parent.",
        _objective(target='sz_aum "Shenzhen AUM" >= 300亿 by 2026-12-31 { serves F1.aun }'),
        _objective(target='sz_aum "Shenzhen AUM" >= 300亿 by 2026-12-31 { serves F1.aum }'),
        "Name the parent target as `OBJECTIVE.TARGET`, with the objective in `align`.",
        base=BRANCH,
        parent=HEAD_OFFICE,
    ),
}
