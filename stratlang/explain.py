"""Long explanations of every diagnostic code, with a wrong and a right example.

`explanation(code)` is what `stratlang explain CODE` prints and what SARIF uses as a rule's full
description. The examples are real stratlang: the test suite checks each one inside a small
project (`EXAMPLE_BASE` + the entry's shared context + the snippet) and asserts that the wrong
example raises the code and the right one does not.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from .diagnostics import CODES

# What every example is checked inside (not printed): a strategy and a customer schema.
EXAMPLE_STRATEGY = """strategy "Example" {
  owner  "Retail Bank"
  period 2026-01-01 .. 2026-12-31
  locale en
}
"""
EXAMPLE_SCHEMA = """schema customer {
  id         string key
  name       string
  age        int
  aum        money
  payroll    bool
  risk_level enum(R1, R2, R3, R4, R5) risk_tolerance
  email      string optional
}
"""
EXAMPLE_BASE = EXAMPLE_STRATEGY + EXAMPLE_SCHEMA

# A small map (outcome F1 driven by C1, P1, L1), shared by the MAP examples.
MAP_CONTEXT = """
objective C1 "Loyal customers" { perspective customer  target nps "NPS" >= 40 by 2026-12-31 }
objective P1 "Fast onboarding" { perspective process  target days "Days to open" <= 2 by 2026-12-31 }
objective L1 "Skilled staff" { perspective learning  target cert "Certified" >= 90% by 2026-06-30 }
initiative training "Training" { supports L1, P1, C1 }
"""
F1 = 'objective F1 "Grow AUM" { perspective financial  target aum "AUM growth" >= 20% by 2026-12-31 }\n'

# One quarterly target from 10% to 20% over 2026, for the REV examples.
REVIEW_CONTEXT = """
objective F1 "Grow AUM" {
  perspective financial
  target aum "AUM growth" >= 20% by 2026-12-31 baseline 10%
}
"""

# One segment, for the TST examples (fixture files of example customers).
TEST_CONTEXT = """
segment young "Young payroll" {
  rule payroll and age between 22 and 35
}
"""

# The GOV examples' customers also say whether they agreed to app pushes (a consent field).
GOV_BASE = EXAMPLE_STRATEGY + EXAMPLE_SCHEMA.replace(
    "  email      string optional\n", "  email      string optional\n  push_ok    bool optional\n"
)

# Channels, scripts, a segment and an offer, shared by the PLY examples.
PLAY_CONTEXT = """
objective F1 "Grow AUM" { perspective financial  target aum "AUM growth" >= 20% by 2026-12-31 }
channel phone "Outbound call" {
  kind     outbound_call
  capacity 2000 per day
  cap      2 per 30d
}
channel app_push "App push" { kind push  capacity unlimited }
script call_script "Welcome call" {
  channel    phone
  pitch      "A flexible fund for your salary."
  disclaimer "Investments carry risk."
}
script push_script "Welcome push" {
  channel    app_push
  pitch      "Your salary arrived: invest in one tap."
  disclaimer "Investments carry risk."
  opt_out    "Reply STOP to opt out"
}
segment young "Young payroll" {
  rule     payroll and age between 22 and 35 and risk_level >= R2
  estimate 120000
}
offer fund "Salary fund" { risk R2 }
"""


def _play(
    name="activation",
    *,
    segment="young",
    steps=("phone using call_script", "app_push using push_script after 3d"),
    supports=True,
    target=True,
    control=True,
    priority=None,
    period=None,
    offer="fund",
    variants=(),
) -> str:
    lines = [f'play {name} "Payroll activation" {{', f"  segment  {segment}"]
    if offer:
        lines.append(f"  offer    {offer}")
    for i, s in enumerate(steps, start=1):
        lines.append(s if s.startswith("  step") else f"  step {i}   {s}")
    if supports:
        lines.append("  supports F1")
    if target:
        lines.append(f'  target   conversion_{name} "Conversion" >= 8% by 2026-09-30')
    if control:
        lines.append("  control  10%")
    if priority is not None:
        lines.append(f"  priority {priority}")
    if period:
        lines.append(f"  period   {period}")
    lines.extend(f"  variant  {v}" for v in variants)
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Explanation:
    meaning: str
    wrong: str
    right: str
    fix: str
    context: str = ""  # extra declarations the examples need (checked, not printed)
    base: str = EXAMPLE_BASE
    # REV codes come from `stratlang review`: the examples are actuals files (CSV) for the project
    # in `context` (printed, since the numbers mean nothing without it), reviewed on `as_of`
    actuals: bool = False
    as_of: str = "2026-07-15"
    # TST codes come from `stratlang test`: the examples are fixture files (rules.test.csv) of
    # example customers for the project in `context` (printed, as for REV)
    fixture: bool = False
    files: dict = field(default_factory=dict)  # other project files the right example imports
    # ALN codes (cascades): the examples are a child strategy; `parent` is its parent project's
    # main.strat (at hq/, printed); `tree`: found only when the parent and child are checked together
    parent: str = ""
    tree: bool = False


E = Explanation

EXPLANATIONS: dict[str, Explanation] = {
    # ------------------------------------------------------------------ syntax
    "SYN101": E(
        "The parser met a word or symbol it did not expect at this place. The message says, in words, "
        "what could come here instead (an attribute, a value, `}` …).",
        'objective F1 "Grow AUM" {\n  perspective financial\n  owner\n}\n',
        'objective F1 "Grow AUM" {\n  perspective financial\n  owner "Wealth Management"\n}\n',
        "Complete or remove the item the caret points at; every attribute is `name value`.",
    ),
    "SYN102": E(
        'A string (`"…"`, `"""…"""`) or a `{` block is opened but never closed. The diagnostic points at '
        "the opening quote or brace, which is where the problem starts.",
        'objective F1 "Grow AUM" {\n  perspective financial\n',
        'objective F1 "Grow AUM" {\n  perspective financial\n}\n',
        "Close the string or the block; check the blocks above for a missing `}`.",
    ),
    "SYN103": E(
        "A literal is malformed: a number with a bad suffix (`5万万`), an impossible date (`2026-13-01`), a "
        "time, duration or range that does not parse.",
        'initiative training "Training" {\n  period 2026-13-01 .. 2026-12-31\n}\n',
        'initiative training "Training" {\n  period 2026-03-01 .. 2026-12-31\n}\n',
        "Write dates as YYYY-MM-DD or a quarter (2026Q3), times as HH:MM, durations as 30d, 2w, 3mo, 1y, "
        "12h, numbers with one optional suffix (%, 万, 亿, k, m).",
    ),
    "SYN104": E(
        "The file ends in the middle of something: a link chain, a declaration, a block.",
        "L1 -> P1 ->",
        "L1 -> P1 -> C1\n",
        "Finish the construct at the end of the file, or delete the half-written line.",
        context=MAP_CONTEXT + F1,
    ),
    # ------------------------------------------------------------------ names
    "NAM201": E(
        "A reference names something that is not declared anywhere in the project. The help suggests the "
        "closest id of the right kind (at most 2 edits away, 1 for short names).",
        'objective F1 "Grow AUM" {\n  perspective financial\n  theme       growht\n}\n',
        'objective F1 "Grow AUM" {\n  perspective financial\n  theme       growth\n}\n',
        "Fix the spelling, or declare the missing element.",
        context='theme growth "Revenue growth"\n',
    ),
    "NAM202": E(
        "Two declarations use the same id. All ids share one project-wide namespace, whatever their kind and "
        "whichever file they live in; the second one is reported with a pointer to the first.",
        'segment vip "VIP" { rule aum >= 100万 }\nsegment vip "Dormant VIP" { rule aum >= 100万 and age > 60 }\n',
        'segment vip "VIP" { rule aum >= 100万 }\nsegment vip_senior "Senior VIP" { rule aum >= 100万 and age > 60 }\n',
        "Rename one of the two (and the references that meant it).",
    ),
    "NAM203": E(
        "A reference names an element of another kind than the attribute needs: a channel where an objective "
        "is expected, a script where a segment is expected.",
        'initiative training "Training" {\n  supports phone\n}\n',
        'initiative training "Training" {\n  supports L1\n}\n',
        "Reference an element of the kind the attribute takes (the message names it).",
        context='channel phone "Outbound call" { kind outbound_call }\n'
        'objective L1 "Skilled staff" { perspective learning }\n',
    ),
    "NAM204": E(
        "The block has an attribute this kind of declaration does not take (often a typo). The help "
        "suggests the closest known attribute.",
        'objective F1 "Grow AUM" {\n  perspective financial\n  ownr        "Wealth Management"\n}\n',
        'objective F1 "Grow AUM" {\n  perspective financial\n  owner       "Wealth Management"\n}\n',
        "Fix the attribute name; `stratlang explain` and docs/language.md list the attributes of each kind.",
    ),
    "NAM205": E(
        "A required attribute is missing: an objective without `perspective`, a play without `segment` or "
        "`step`, a script without `channel`, a project without `strategy` or its `period`.",
        'objective F1 "Grow AUM" {\n  owner "Wealth Management"\n}\n',
        'objective F1 "Grow AUM" {\n  perspective financial\n  owner       "Wealth Management"\n}\n',
        "Add the attribute the message names.",
    ),
    "NAM206": E(
        "An `import` names a file that does not exist, a path that leaves the project root (`..` above the "
        "folder of the entry file, or `--root`; a symbolic link counts where it leads), something that is not "
        "a regular file (a folder, a named pipe, a device), a name too long for the system, or imports form a "
        "cycle (the cycle is shown).",
        'import "chanels.strat"\n',
        'import "channels.strat"\n',
        "Fix the path (it is relative to the importing file), keep files inside the project root, and break "
        "import cycles by moving shared declarations into a file both import.",
        files={"channels.strat": 'channel phone "Outbound call" { kind outbound_call }\n'},
    ),
    "NAM207": E(
        "An attribute is given twice in one block (`target`, `step` and `objection` lines may repeat; "
        "nothing else).",
        'objective F1 "Grow AUM" {\n  perspective financial\n  owner "Wealth"\n  owner "Retail"\n}\n',
        'objective F1 "Grow AUM" {\n  perspective financial\n  owner "Wealth"\n}\n',
        "Keep one of the two; to record more, use `description`.",
    ),
    # ------------------------------------------------------------------ types
    "TYP301": E(
        "A rule or a script placeholder names a field that the `schema` does not declare.",
        'segment seniors "Seniors" { rule agee > 60 }\n',
        'segment seniors "Seniors" { rule age > 60 }\n',
        "Use a field of the schema (the help suggests the closest), or add the field to the schema.",
    ),
    "TYP302": E(
        "A value has the wrong type for where it is used: a string compared with an int field, a number used "
        "as a bool, money compared with a percentage.",
        'segment seniors "Seniors" { rule age > "sixty" }\n',
        'segment seniors "Seniors" { rule age > 60 }\n',
        "Compare each field with a value of its type (see the schema).",
    ),
    "TYP303": E(
        "A value is not one of the allowed values: an enum value the schema does not list, an unknown "
        "`kind`, `lifecycle` or diagnostic code.",
        'segment bold "Bold investors" { rule risk_level >= R9 }\n',
        'segment bold "Bold investors" { rule risk_level >= R4 }\n',
        "Use one of the listed values (the help suggests the closest).",
    ),
    "TYP304": E(
        "A value's unit does not fit the attribute: `control` takes a percentage, `capacity` a count per day "
        "or week, `budget` money. `allow` naming an error code is reported here too: errors cannot be "
        "silenced.",
        'channel phone "Outbound call" {\n  kind     outbound_call\n  capacity 3% per day\n}\n',
        'channel phone "Outbound call" {\n  kind     outbound_call\n  capacity 3000 per day\n}\n',
        "Write the value in the unit the attribute takes.",
    ),
    "TYP305": E(
        "A range ends before it starts, or a date lies outside the strategy `period` (a target deadline, a "
        "play's or initiative's period).",
        'initiative training "Training" {\n  period 2026-06-30 .. 2026-02-01\n}\n',
        'initiative training "Training" {\n  period 2026-02-01 .. 2026-06-30\n}\n',
        "Swap the ends, or move the date inside the strategy period.",
    ),
    "TYP306": E(
        "A script uses a placeholder that does not exist. Allowed: `{{ customer.FIELD }}` for a schema "
        "field, `{{ offer.label }}`, `{{ segment.label }}`, `{{ strategy.owner }}`, `{{ channel.label }}`.",
        'script hello "Hello" {\n  channel phone\n  opening "Hello {{ customer.nmae }}"\n}\n',
        'script hello "Hello" {\n  channel phone\n  opening "Hello {{ customer.name }}"\n}\n',
        "Fix the placeholder (the help suggests the closest).",
        context='channel phone "Outbound call" { kind outbound_call }\n',
    ),
    "TYP307": E(
        "The schema is inconsistent: no `key` field, two keys, `risk_tolerance` on a field that is not an "
        "enum, or an offer with `risk` while no field is marked `risk_tolerance`.",
        "schema customer {\n  id  string\n  age int\n}\n",
        "schema customer {\n  id  string key\n  age int\n}\n",
        "Mark exactly one field `key`; mark the customers' risk field (an enum) `risk_tolerance`.",
        base=EXAMPLE_STRATEGY,
    ),
    "TYP308": E(
        "A history table is inconsistent: it needs exactly one `key` column (the customer's key, of "
        "the same type as the schema's key) and exactly one `time` column of type `date`; "
        "`risk_tolerance` belongs to the customer table.",
        "history txn {\n  customer_id string\n  at          date\n  amount      money\n}\n",
        "history txn {\n  customer_id string key\n  at          date   time\n  amount      money\n}\n",
        "Mark the column holding the customer's key `key` and the row's date `time`.",
        base=EXAMPLE_STRATEGY + "schema customer {\n  id string key\n}\n",
    ),
    "TYP309": E(
        "An aggregate in a rule names a history table the project does not declare, or a column the "
        "table does not have.",
        "history txn {\n  customer_id string key\n  at          date   time\n  amount      money\n}\n\n"
        "segment big {\n  rule sum(txns.amount over 90d) >= 1000\n}\n",
        "history txn {\n  customer_id string key\n  at          date   time\n  amount      money\n}\n\n"
        "segment big {\n  rule sum(txn.amount over 90d) >= 1000\n}\n",
        "Use a declared `history` table and one of its columns.",
        base=EXAMPLE_STRATEGY + "schema customer {\n  id string key\n}\n",
    ),
    "TYP310": E(
        "An aggregate is given a part its function does not take, or lacks one it needs: `count` and "
        "`days_since` read a table (`count(txn where … over 30d)`, `days_since(last txn)`); `sum`, "
        "`avg`, `min`, `max`, `change` and `streak` read a number column (`sum(txn.amount over 90d)`); "
        "`streak` needs `increasing` or `decreasing`; a window is a positive number of days, weeks, "
        "months or years (`over 90d`, `over 6mo`).",
        "history txn {\n  customer_id string key\n  at          date   time\n  amount      money\n}\n\n"
        "segment active {\n  rule count(txn.amount over 30d) >= 3\n}\n",
        "history txn {\n  customer_id string key\n  at          date   time\n  amount      money\n}\n\n"
        "segment active {\n  rule count(txn over 30d) >= 3\n}\n",
        "Write the aggregate in the form its function takes (docs/language.md §5.5).",
        base=EXAMPLE_STRATEGY + "schema customer {\n  id string key\n}\n",
    ),
    # ------------------------------------------------------------------ map
    "MAP401": E(
        "Objectives are linked in a loop. A strategy map reads from drivers up to outcomes, so a cycle means "
        "some effect is said to drive its own cause. The whole cycle is shown in order, with each link. "
        "Feedback links (`F1 ~> P1`: results fed back into a driver) are not cause and effect and are "
        "not part of the check.",
        "L1 -> P1 -> C1 -> F1\nF1 -> P1\n",
        'L1 -> P1 -> C1 -> F1\nF1 ~> P1 "results feed back"\n',
        "Remove the link that runs backwards (usually the one from an outcome to a driver), or, when "
        "the loop back is meant, write it as a feedback link with `~>`.",
        context=MAP_CONTEXT + F1,
    ),
    "MAP402": E(
        "A link runs from a higher perspective to a lower one (e.g. financial -> customer). Links should run "
        "from a lower perspective to the same or a higher one: learning -> process -> customer -> financial.",
        "L1 -> P1 -> C1\nF1 -> C1\n",
        "L1 -> P1 -> C1 -> F1\n",
        "Reverse the link, or move one of the objectives to the right perspective.",
        context=MAP_CONTEXT + F1,
    ),
    "MAP403": E(
        "An objective lies on no causal path that ends in a top-perspective (outcome) objective, so nothing "
        "says why it matters.",
        "L1 -> C1 -> F1\n",
        "L1 -> P1 -> C1 -> F1\n",
        "Link it, directly or through other objectives, to an outcome; or drop it from the map.",
        context=MAP_CONTEXT + F1,
    ),
    "MAP404": E(
        "A top-perspective (outcome) objective has no driver: nothing in the map explains how it will be "
        "achieved.",
        "L1 -> P1 -> C1\n" + F1,
        "L1 -> P1 -> C1 -> F1\n" + F1,
        "Link at least one objective of a lower perspective to it.",
        context=MAP_CONTEXT,
    ),
    "MAP405": E(
        "A perspective has no objectives. With no `perspectives` block the default four apply (financial, "
        "customer, process, learning) and the diagnostic points at the strategy block.",
        'perspectives {\n  financial "财务"\n  customer  "客户"\n  process   "内部流程"\n  learning  "学习与成长"\n'
        '  community "社区"\n}\n',
        'perspectives {\n  financial "财务"\n  customer  "客户"\n  process   "内部流程"\n  learning  "学习与成长"\n}\n',
        "Add an objective to the perspective, or leave the perspective out.",
        context=MAP_CONTEXT + F1 + "L1 -> P1 -> C1 -> F1\n",
    ),
    "MAP406": E(
        "An objective has no `target` (nor a tracked `measure`): objective -> measure -> target -> action "
        "breaks at the first step, and progress cannot be tracked. (Silence with `allow MAP406` on "
        "objectives you measure elsewhere.)",
        'objective F1 "Grow AUM" {\n  perspective financial\n}\n',
        'objective F1 "Grow AUM" {\n  perspective financial\n  target aum "AUM growth" >= 20% by 2026-12-31\n}\n',
        'Add a target line: `target ID "label" CMP VALUE [by DATE] [baseline VALUE]` (or `measure ID '
        '"label"` for a measure tracked before it has a goal).',
        context=MAP_CONTEXT + "C1 -> F1\n",
    ),
    "MAP407": E(
        "No play or initiative supports the objective, nor any objective that drives it, so there is no "
        "action behind it. (Support flows along the links: an initiative on a driver also carries what it "
        "drives.)",
        'initiative academy "Agent academy" {\n  owner "HR"\n}\n',
        'initiative academy "Agent academy" {\n  owner    "HR"\n  supports L2\n}\n',
        "Add `supports OBJECTIVE` to a play or an initiative.",
        context=MAP_CONTEXT + F1 + "L1 -> P1 -> C1 -> F1\nL2 -> P1\n"
        'objective L2 "Customer data" { perspective learning  target q "Data quality" >= 95% by 2026-12-31 }\n',
    ),
    "MAP408": E(
        "The same link is written twice, or an objective is linked to itself. The second occurrence is "
        "reported, with the first.",
        'L1 -> P1 -> C1 -> F1\nP1 -> C1 "faster onboarding keeps customers"\n',
        'L1 -> P1\nP1 -> C1 "faster onboarding keeps customers"\nC1 -> F1\n',
        "Delete the repeated link (keep the label on the one that stays).",
        context=MAP_CONTEXT + F1,
    ),
    "MAP409": E(
        "With the default perspectives, the map is unbalanced: the financial perspective lacks a revenue-growth "
        "or a productivity objective (themes are recognised by words in their id or label: growth, revenue, "
        "收入, 增长 / productivity, cost, efficiency, 生产率, 成本, 效率), or, once objectives carry `kind` "
        "tags, a customer, process or learning kind family is used by no objective. Information only.",
        F1.replace("perspective financial", "perspective financial  theme growth"),
        F1.replace("perspective financial", "perspective financial  theme growth")
        + 'objective F2 "Cost to serve" { perspective financial  theme productivity  '
        'target cts "Cost per account" <= 40 by 2026-12-31 }\nP1 -> F2\n',
        "Add the missing kind of financial objective (or the missing kind tags), or `allow MAP409`.",
        context=MAP_CONTEXT
        + 'theme growth "收入增长"\ntheme productivity "生产率提升"\nL1 -> P1 -> C1 -> F1\n',
    ),
    "MAP410": E(
        "The map is too large to be read: more than 25 objectives, or more than 6 in one perspective. "
        "Information only.",
        "".join(
            f'objective C{i} "Customer goal {i}" {{ perspective customer }}\n' for i in range(2, 8)
        ),
        "".join(
            f'objective C{i} "Customer goal {i}" {{ perspective customer }}\n' for i in range(2, 7)
        ),
        "Merge related objectives, move detail into targets and plays, or split the map.",
        context=MAP_CONTEXT + F1 + "L1 -> P1 -> C1 -> F1\n",
    ),
    "MAP411": E(
        "A milestone contradicts its target: its comparator points the other way (a `<=` milestone on a "
        "`>=` target), or its goal lies beyond the final target or behind the baseline, so the interim "
        "goals do not lead from the baseline to the target.",
        'objective F2 "Fee income" {\n  perspective financial\n'
        '  target fees "Fee income" >= 1.2亿 by 2026-12-31 baseline 0.8亿 {\n'
        "    2026Q2 >= 1.5亿\n    2026Q3 <= 1.1亿\n  }\n}\n",
        'objective F2 "Fee income" {\n  perspective financial\n'
        '  target fees "Fee income" >= 1.2亿 by 2026-12-31 baseline 0.8亿 {\n'
        "    2026Q2 >= 0.95亿\n    2026Q3 >= 1.1亿\n  }\n}\n",
        "Give each milestone the target's comparator and a goal between the baseline and the target.",
        context=MAP_CONTEXT + F1 + "L1 -> P1 -> C1 -> F1\nC1 -> F2\n"
        'initiative fees_push "Fee push" { supports F2 }\n',
    ),
    "MAP412": E(
        "An opportunity gap (`gap`) names no initiative, and no play or initiative supports any of its "
        "objectives: nothing in the plan closes it.",
        'gap pensions "Pension opportunity" {\n  estimate   5000万\n  objectives F3\n}\n',
        'gap pensions "Pension opportunity" {\n  estimate    5000万\n  objectives  F3\n'
        "  initiatives pension_launch\n}\n",
        "Name the initiatives meant to close the gap (`initiatives …`), or support its objectives with a "
        "play or initiative.",
        context=MAP_CONTEXT + F1 + "L1 -> P1 -> C1 -> F1\nC1 -> F3\n"
        'objective F3 "Pension AUM" { perspective financial  target aum "Pension AUM" >= 1亿 by 2026-12-31 '
        "allow MAP407 }\n"
        'initiative pension_launch "Pension launch" { owner "Retail" }\n',
    ),
    # ------------------------------------------------------------------ segments
    "SEG501": E(
        "The segment's rule (including what it `extends`) can match no customer: its tests contradict each "
        "other. The message says which tests conflict.",
        'segment odd "Odd" { rule age > 60 and age < 30 }\n',
        'segment edges "Young or old" { rule age > 60 or age < 30 }\n',
        "Fix the comparison (often `and` meant `or`, or a bound is the wrong way round).",
    ),
    "SEG502": E(
        "An `exclusive` tiering has segments that overlap. The diagnostic gives a witness customer (field "
        "values) that is in two tiers.",
        'segment mid "Mid" { rule aum >= 20万 }\nsegment top "Top" { rule aum >= 100万 }\n'
        'tiering tiers "AUM tiers" {\n  segments  top, mid\n  exclusive true\n}\n',
        'segment mid "Mid" { rule aum >= 20万 and aum < 100万 }\nsegment top "Top" { rule aum >= 100万 }\n'
        'tiering tiers "AUM tiers" {\n  segments  top, mid\n  exclusive true\n}\n',
        "Make the rules disjoint (bound each tier on both sides).",
    ),
    "SEG503": E(
        "An `exhaustive` tiering leaves customers in no tier. The diagnostic gives a witness customer in "
        "none of the tiers.",
        'segment mass "Mass" { rule aum < 20万 }\nsegment top "Top" { rule aum >= 100万 }\n'
        'tiering tiers "AUM tiers" {\n  segments   top, mass\n  exhaustive true\n}\n',
        'segment mass "Mass" { rule aum < 20万 }\nsegment mid "Mid" { rule aum >= 20万 and aum < 100万 }\n'
        'segment top "Top" { rule aum >= 100万 }\n'
        'tiering tiers "AUM tiers" {\n  segments   top, mid, mass\n  exhaustive true\n}\n',
        "Add the missing tier, or widen a neighbouring rule.",
    ),
    "SEG504": E(
        "A segment is used by no play and no tiering: nothing happens to these customers.",
        'segment seniors "Seniors" { rule age > 60 }\n',
        'segment seniors "Seniors" { rule age > 60 }\nsegment others "Others" { rule age <= 60 }\n'
        'tiering by_age "Age" { segments seniors, others }\n',
        "Use it in a play or a tiering, delete it, or `allow SEG504` if it is kept for reporting.",
    ),
    "SEG505": E(
        "The `extends` chain is cyclic, or the child's own rule contradicts its parent's, so the child is "
        "empty.",
        'segment vip "VIP" { rule aum >= 100万 }\nsegment vip_small "Small VIP" { extends vip  rule aum < 10万 }\n',
        'segment vip "VIP" { rule aum >= 100万 }\nsegment vip_senior "Senior VIP" { extends vip  rule age > 60 }\n',
        "Remove the contradiction (the child adds conditions to the parent's rule) or break the cycle.",
    ),
    # ------------------------------------------------------------------ plays
    "PLY601": E(
        "A step sends a script on a channel the script is not written for (a phone script read out by "
        "push).",
        _play(steps=("phone using call_script", "phone using push_script after 3d")),
        _play(),
        "Use the script's channel in the step, or a script written for the step's channel.",
        context=PLAY_CONTEXT,
    ),
    "PLY602": E(
        "Suitability (适当性): the play's segment admits customers whose risk tolerance is below the offer's "
        "`risk`. The diagnostic gives a witness customer.",
        'segment over30 "Over 30" { rule age > 30 }\n' + _play(segment="over30"),
        'segment over30 "Over 30" { rule age > 30 and risk_level >= R2 }\n'
        + _play(segment="over30"),
        "Restrict the segment to `risk_level >= RISK` of the offer, or offer a lower-risk product.",
        context=PLAY_CONTEXT,
    ),
    "PLY603": E(
        "Compliance: a script used in a play whose offer has a `risk` has no `disclaimer`.",
        'script fund_call "Fund call" {\n  channel phone\n  pitch   "A flexible fund for your salary."\n}\n',
        'script fund_call "Fund call" {\n  channel    phone\n  pitch      "A flexible fund for your salary."\n'
        '  disclaimer "Investments carry risk. 理财非存款，产品有风险，投资须谨慎。"\n}\n',
        "Add a `disclaimer` to the script.",
        context=PLAY_CONTEXT + _play(steps=("phone using fund_call",)),
    ),
    "PLY604": E(
        "Channel capacity exceeded: the plays sharing a channel need more contacts per day than it has. A "
        "play's demand is its segment's `estimate` × (1 − control) ÷ days in its window (its `period`, else "
        "the strategy period); each play counts once per channel; plays whose segment has no `estimate` are "
        "not counted.",
        _play(steps=("phone using call_script",), period="2026-03-01 .. 2026-03-31"),
        _play(steps=("phone using call_script",), period="2026-03-01 .. 2026-12-31"),
        "Spread the play over a longer period, narrow the segment, raise the channel's capacity, or move a "
        "play to another channel.",
        context=PLAY_CONTEXT,
    ),
    "PLY605": E(
        "A play contacts a customer on one channel more often than the channel's `cap` allows within its "
        "window (steps are placed by their cumulative `after` offsets; step 1 is day 0).",
        _play(
            steps=(
                "phone using call_script",
                "phone using call_script after 7d",
                "phone using call_script after 7d",
            )
        ),
        _play(
            steps=(
                "phone using call_script",
                "phone using call_script after 7d",
                "app_push using push_script after 7d",
            )
        ),
        "Space the steps further apart than the cap window, move a step to another channel, or drop it.",
        context=PLAY_CONTEXT,
    ),
    "PLY606": E(
        "A play supports no objective, so it is not part of the strategy.",
        _play(supports=False),
        _play(),
        "Add `supports OBJECTIVE` naming the objective the play moves.",
        context=PLAY_CONTEXT,
    ),
    "PLY607": E(
        "Two plays with the same `priority` target overlapping segments, so the customers in both get "
        "whichever is declared first. The diagnostic gives a witness customer.",
        _play("deposits", segment="savers", priority=10),
        _play("deposits", segment="savers", priority=20),
        "Give the plays different priorities (higher wins), or make the segments disjoint.",
        context=PLAY_CONTEXT
        + _play(priority=10)
        + 'segment savers "Savers" { rule aum >= 5万 and risk_level >= R2 }\n',
    ),
    "PLY608": E(
        "Steps must be numbered 1, 2, 3 … in the order they are written, and the first step cannot have "
        "`after` (it starts when the play is triggered).",
        _play(
            steps=(
                "  step 1   phone using call_script",
                "  step 3   app_push using push_script after 3d",
            )
        ),
        _play(
            steps=(
                "  step 1   phone using call_script",
                "  step 2   app_push using push_script after 3d",
            )
        ),
        "Renumber the steps; move a delay on the first step into the trigger (`when event … within …`).",
        context=PLAY_CONTEXT,
    ),
    "PLY609": E(
        "A script contains a banned phrase (a promise of returns or of no risk). The strategy's `banned` "
        "list applies if given, matched literally; otherwise the default list: 保本保收益, 保本保息, 保证收益, "
        "保收益, 保本, 刚性兑付, 零风险, 无风险, 稳赚不赔, 稳赚, 100%收益, guaranteed return, guaranteed profit, "
        "risk-free, no risk, can't lose, cannot lose — where a default phrase directly after a negation "
        "(不保本, 非保本, not risk-free) is a disclosure and not reported. Latin letters match ignoring "
        "case. The diagnostic points at the phrase itself.",
        'script fund_push "Fund push" {\n  channel    app_push\n  pitch      "保本保收益，稳赚不赔！"\n'
        '  disclaimer "理财非存款，产品有风险，投资须谨慎。"\n  opt_out    "回复TD退订"\n}\n',
        'script fund_push "Fund push" {\n  channel    app_push\n  pitch      "灵活申赎，工资到账即可一键申购。"\n'
        '  disclaimer "理财非存款，产品有风险，投资须谨慎。"\n  opt_out    "回复TD退订"\n}\n',
        "Reword the text: describe the product, promise nothing about returns or risk.",
        context=PLAY_CONTEXT,
    ),
    "PLY610": E(
        "A script sent by `sms`, `push`, `wechat` or `email` has no `opt_out` text telling the customer how "
        "to stop the messages.",
        'script reminder "Reminder" {\n  channel app_push\n  pitch   "Your salary has arrived."\n}\n',
        'script reminder "Reminder" {\n  channel app_push\n  pitch   "Your salary has arrived."\n'
        '  opt_out "Reply STOP to opt out"\n}\n',
        'Add `opt_out "…"` (e.g. 回复TD退订).',
        context=PLAY_CONTEXT,
    ),
    # ------------------------------------------------------------------ review (actuals)
    "REV801": E(
        "The latest actual of a target misses the period's goal by more than the target's tolerance "
        "(default 10%). Without milestones the goal runs in a straight line from the baseline at the "
        "strategy's start to the target at its deadline; here Q2's goal is 10% + 10% × 180/364 ≈ 14.9%.",
        "measure,period,value\nF1.aum,2026-Q1,12.6%\nF1.aum,2026-Q2,12%\n",
        "measure,period,value\nF1.aum,2026-Q1,12.6%\nF1.aum,2026-Q2,15.2%\n",
        "Act on the target (its objective's initiatives and plays), or, if the plan was wrong, change "
        "the target or add milestones in a reviewed change; the review reports, it does not hide.",
        context=REVIEW_CONTEXT,
        actuals=True,
    ),
    "REV802": E(
        "The latest actual of a target misses the period's goal, but by no more than the target's "
        "tolerance (default 10%): a warning sign before it turns red. Here 14.0% is 6.3% short of 14.9%.",
        "measure,period,value\nF1.aum,2026-Q1,12.6%\nF1.aum,2026-Q2,14.0%\n",
        "measure,period,value\nF1.aum,2026-Q1,12.6%\nF1.aum,2026-Q2,15.2%\n",
        "Watch the trend in review.html; set `tolerance` on the target where 10% is not the right margin.",
        context=REVIEW_CONTEXT,
        actuals=True,
    ),
    "REV803": E(
        "A `review` condition held on the actuals: the measure deviated from its goal by more than the "
        "percentage given (`deviates`), or crossed the value given (`<`, `>`, …), in each of the last "
        "`for N` periods. The review names the action and its owner. Here Q2's goal is 14.9% and 12% "
        "deviates from it by 19.7%, more than 15%.",
        "measure,period,value\nF1.aum,2026-Q1,12.6%\nF1.aum,2026-Q2,12%\n",
        "measure,period,value\nF1.aum,2026-Q1,12.6%\nF1.aum,2026-Q2,15.2%\n",
        "Take the action the review names; the evidence (actual, goal, deviation per period) is in "
        "review.json and review.html.",
        context=REVIEW_CONTEXT + 'review aum_check "AUM off plan" {\n  when   F1.aum deviates 15%\n'
        '  action "Start a strategy review"\n  owner  "Strategy office"\n}\n',
        actuals=True,
    ),
    "REV804": E(
        "A period of the target's cadence ended before the review's day (`--as-of`, default today) and "
        "the actuals have no row for it, so its status is unknown.",
        "measure,period,value\nF1.aum,2026-Q1,12.6%\n",
        "measure,period,value\nF1.aum,2026-Q1,12.6%\nF1.aum,2026-Q2,15.2%\n",
        "Add the period's actual to the actuals file (measure `OBJECTIVE.TARGET`, period like 2026-Q2).",
        context=REVIEW_CONTEXT,
        actuals=True,
    ),
    "PLY611": E(
        "A play has no `target` or no `control` group, so its effect cannot be measured against customers "
        "who were not contacted.",
        _play(target=False, control=False),
        _play(),
        "Add a `target` line and `control N%` (a hold-out share chosen by a stable hash).",
        context=PLAY_CONTEXT,
    ),
    "PLY612": E(
        "A step combines offers with `with A + B`, and names one of them twice. A step offers each "
        "offer once; the repeat is most likely a typo for another offer.",
        _play(
            steps=(
                "phone using call_script",
                "app_push using push_script with gift + gift after 3d",
            )
        ),
        _play(
            steps=(
                "phone using call_script",
                "app_push using push_script with fund + gift after 3d",
            )
        ),
        "Remove the repeated name, or name the offer that was meant.",
        context=PLAY_CONTEXT + 'offer gift "Welcome gift" { kind benefit }\n',
    ),
    # ------------------------------------------------------------------ contact governance
    "GOV701": E(
        "A play's own schedule breaks a contact limit of a `policy`: more than N of its steps fall "
        "on the limit's channels within one window of its length (steps are placed by their "
        "cumulative `after`; step 1 is day 0; `per 7d` means any 7 consecutive days, so steps "
        "7 days apart are in different windows). With variants, each arm's schedule is checked. "
        "The schedule is shown.",
        'policy contact "Contact rules" {\n  at most 1 per 7d on outbound_call\n}\n'
        + _play(steps=("phone using call_script", "phone using call_script after 3d")),
        'policy contact "Contact rules" {\n  at most 1 per 7d on outbound_call\n}\n'
        + _play(steps=("phone using call_script", "phone using call_script after 7d")),
        "Space the steps out with `after`, move a step to a channel the limit does not count, or "
        "drop one.",
        context=PLAY_CONTEXT,
    ),
    "GOV702": E(
        "Two plays whose segments overlap (a witness customer is eligible for both) and whose "
        "periods overlap can together break a contact limit: one wave of `lists` may give a "
        "customer the first play and a later wave the second, and the most contacts each puts in "
        "one window add up to more than the limit. Reported at the play assigned later (lower "
        "priority, or declared later), with the combined schedule. `lists --contacts FILE` keeps "
        "the limit by skipping that play for such customers; without a contact log only each "
        "play's own schedule is kept.",
        'policy contact "Contact rules" {\n  at most 1 per 7d on outbound_call\n}\n'
        + _play("winback", segment="savers", steps=("phone using call_script",)),
        'policy contact "Contact rules" {\n  at most 1 per 7d on outbound_call\n}\n'
        + _play("winback", segment="savers", steps=("app_push using push_script",)),
        "Make the segments disjoint, move one play's steps to channels the limit does not count, "
        "or run the lists with `--contacts` so that they skip the later play; `allow GOV702` on "
        "the play when that is intended.",
        context=PLAY_CONTEXT
        + _play(priority=10)
        + 'segment savers "Savers" { rule aum >= 5万 and risk_level >= R2 }\n',
    ),
    "GOV703": E(
        "A play steps through a channel that a policy's `consent` covers, and its segment admits "
        "customers whose consent field is false or missing (a witness customer is given). The "
        "lists never contact them: such customers are left out of the play and fall to the next "
        "play that admits them. Say it in the segment's rule to make the play's audience what it "
        "claims.",
        'policy contact "Contact rules" {\n  consent push_ok on push\n}\n'
        + _play(steps=("app_push using push_script",)),
        'policy contact "Contact rules" {\n  consent push_ok on push\n}\n'
        'segment young_ok "Young payroll, pushes allowed" {\n  extends young\n'
        "  rule    push_ok\n}\n" + _play(segment="young_ok", steps=("app_push using push_script",)),
        "Add the consent field to the segment's rule (`and push_ok`), or `allow GOV703` on the play "
        "when leaving those customers out is intended.",
        context=PLAY_CONTEXT,
        base=GOV_BASE,
    ),
    "GOV704": E(
        "The shares of a play's `variant` lines do not add up to 100%. Each treated customer (the "
        "control group is drawn first) gets exactly one arm, by a stable hash against the "
        "cumulative shares; the message shows the sum and each share.",
        _play(variants=('short "Short text" 50%', 'gift "With a gift" 30% { offer gift }')),
        _play(variants=('short "Short text" 50%', 'gift "With a gift" 50% { offer gift }')),
        "Make the shares add up to 100%.",
        context=PLAY_CONTEXT + 'offer gift "Welcome gift" { kind benefit }\n',
    ),
    # ------------------------------------------------------------------ rule tests (fixtures)
    "TST901": E(
        "A row of a fixture file (`*.test.csv`) is an example customer with what it must get: the "
        "segments it must and must not be in, its tier, its play, its group. The reference evaluator "
        "gives this customer something else: the rules do not do what the fixture says.",
        "case,id,age,payroll,expect_segments\nyoung payroll,C1,40,true,young\n",
        "case,id,age,payroll,expect_segments\nyoung payroll,C1,30,true,young\n",
        "Fix the rule if the fixture states the intent, else the fixture; `stratlang eval` shows the "
        "customer's rules part by part.",
        context=TEST_CONTEXT,
        fixture=True,
    ),
    "TST902": E(
        "A fixture file cannot be read as the project's schema says: a column that is neither a field "
        "nor an `expect_*` column, a value that does not fit its field, an id that names no segment "
        "or play, or a row that expects nothing.",
        "case,id,age,payroll,expect_segment\nyoung payroll,C1,30,true,young\n",
        "case,id,age,payroll,expect_segments\nyoung payroll,C1,30,true,young\n",
        "Name columns after the schema's fields and docs/testing.md's `expect_*` columns; write values "
        "as the fields' types (true/false, numbers, ISO dates, enum names).",
        context=TEST_CONTEXT,
        fixture=True,
    ),
}


def normalize(code: str) -> str:
    return code.strip().upper()


def explanation(code: str) -> str:
    """The long explanation of a code; KeyError for an unknown code."""
    code = normalize(code)
    if code not in CODES or code not in EXPLANATIONS:
        raise KeyError(code)
    sev, short = CODES[code]
    e = EXPLANATIONS[code]
    out = [
        f"{code} ({sev}): {short}",
        "",
        textwrap.fill(e.meaning, 96),
        "",
        *(
            ["The project:", "", textwrap.indent(e.context.strip("\n"), "    "), ""]
            if e.actuals or e.fixture
            else []
        ),
        *(
            [
                "The parent project (hq/main.strat):",
                "",
                textwrap.indent(e.parent.strip("\n"), "    "),
                "",
            ]
            if e.parent
            else []
        ),
        "Wrong:"
        + (f" (actuals.csv, reviewed on {e.as_of})" if e.actuals else "")
        + (" (rules.test.csv)" if e.fixture else ""),
        "",
        textwrap.indent(e.wrong.rstrip("\n"), "    "),
        "",
        "Right:",
        "",
        textwrap.indent(e.right.rstrip("\n"), "    "),
        "",
        textwrap.fill("How to fix: " + e.fix, 96),
    ]
    if e.context and not e.actuals and not e.fixture:
        out += [
            "",
            "(The examples are parts of a project: the other ids they use are declared elsewhere in it.)",
        ]
    if e.parent and e.base:
        out += [
            "",
            '(The examples are part of a branch\'s strategy, main.strat: `parent "hq"`, `unit branch_sz`.)',
        ]
    if e.tree:
        out += [
            "",
            textwrap.fill(
                "Found when a parent and its children are checked together: `stratlang check "
                "FOLDER` (every project below it) or `stratlang check PARENT --children`.",
                96,
            ),
        ]
    if e.actuals:
        out += ["", "Found by `stratlang review`; `--fail-on red|amber` makes it fail a run."]
    elif sev.name != "ERROR":
        out += ["", f"This is a {sev}: silence it on one declaration with `allow {code}`."]
    return "\n".join(out) + "\n"


def example_project(code: str, which: str) -> dict[str, str]:
    """The files of a checkable project around the wrong or right example (for tests and docs)."""
    e = EXPLANATIONS[normalize(code)]
    snippet = e.wrong if which == "wrong" else e.right
    if e.actuals:  # the snippet is the actuals file of the project in `context`
        return {"main.strat": e.base + e.context, "actuals.csv": snippet}
    if e.fixture:  # the snippet is a fixture file of the project in `context`
        return {"main.strat": e.base + e.context, "rules.test.csv": snippet}
    files = {"main.strat": e.base + e.context + snippet}
    if e.parent:
        files["hq/main.strat"] = e.parent
    if which == "right":
        files.update(e.files)
    return files


from .explain_alignment import ALIGNMENT  # noqa: E402  (it builds on Explanation above)

EXPLANATIONS.update(ALIGNMENT)
