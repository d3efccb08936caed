"""Strategy-map checks MAP401–MAP410: each triggered (code, severity, place, message) and fixed."""

from __future__ import annotations

from pathlib import Path

from conftest import BASE, write_project
from golden import check_golden

from stratlang.check import check_entry
from stratlang.diagnostics import Severity
from stratlang.render import render

THEMES = """
theme growth       "收入增长"
theme productivity "生产率提升"
"""

# A balanced, clean map: every objective measured, supported, on a path to an outcome.
OBJECTIVES = """
objective F1 "Grow revenue" {
  perspective financial
  theme       growth
  target rev "Revenue" >= 10m by 2026-12-31
}
objective F2 "Lower cost to serve" {
  perspective financial
  theme       productivity
  target cts "Cost to serve" <= 40 by 2026-12-31
}
objective C1 "Loyal customers" {
  perspective customer
  target nps "NPS" >= 40 by 2026-12-31
}
objective P1 "Fast onboarding" {
  perspective process
  target days "Days to open" <= 2 by 2026-12-31
}
objective L1 "Skilled staff" {
  perspective learning
  target cert "Certified staff" >= 90% by 2026-06-30
}
"""
LINKS = """
L1 -> P1 -> C1 -> F1
P1 -> F2
"""
INITIATIVE = """
initiative training "Training" { supports L1 }
"""


def build(tmp_path: Path, files: dict[str, str]):
    """Write a project (name -> text; the first file is the entry) and check it."""
    return check_entry(write_project(tmp_path, files))


def main(
    tmp_path, *parts, objectives=OBJECTIVES, links=LINKS, initiative=INITIATIVE, themes=THEMES
):
    text = BASE + themes + objectives + links + initiative + "".join(parts)
    return build(tmp_path, {"main.strat": text}), text


def only(result, code):
    return [d for d in result.diagnostics if d.code == code]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = text.split("\n")
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    return hits[nth]


def col_of(text: str, line: int, needle: str) -> int:
    return text.split("\n")[line - 1].index(needle) + 1


def test_clean_map_has_no_map_diagnostics(tmp_path):
    r, _ = main(tmp_path)
    assert [d.code for d in r.diagnostics if d.code.startswith("MAP")] == []
    assert r.ok


# ----------------------------------------------------------------------------- MAP401


def test_map401_cycle_shows_whole_cycle_in_order(tmp_path):
    r, text = main(tmp_path, '\nF1 -> L1 "backwards"\n')
    [d] = only(r, "MAP401")
    assert d.severity == Severity.ERROR
    assert "L1 -> P1 -> C1 -> F1 -> L1" in d.message
    # The link written last closes the cycle and is the primary span; the others are labelled.
    assert (d.span.line, d.span.column) == (line_of(text, "F1 -> L1"), 1)
    assert d.label == "`F1` drives `L1`, closing the cycle"
    labels = [lab.message for lab in d.labels]
    assert labels == ["`L1` drives `P1`", "`P1` drives `C1`", "`C1` drives `F1`"]
    assert {lab.span.line for lab in d.labels} == {line_of(text, "L1 -> P1 -> C1 -> F1")}
    assert not r.ok


def test_map401_one_diagnostic_per_component_deterministic(tmp_path):
    extra = """
objective X1 "x" { perspective process  target t "t" >= 1 by 2026-12-31 }
objective X2 "y" { perspective process  target t2 "t" >= 1 by 2026-12-31 }
X1 -> X2 -> X1
C1 -> P1
"""
    r, _ = main(tmp_path, extra)
    msgs = [d.message for d in only(r, "MAP401")]
    assert msgs == [
        "causal cycle among objectives: X1 -> X2 -> X1",
        "causal cycle among objectives: P1 -> C1 -> P1",
    ]
    r2, _ = main(tmp_path, extra)
    assert [d.message for d in only(r2, "MAP401")] == msgs


def test_map401_self_link_is_map408_not_a_cycle(tmp_path):
    r, text = main(tmp_path, "\nC1 -> C1\n")
    assert only(r, "MAP401") == []
    [d] = only(r, "MAP408")
    assert d.severity == Severity.WARNING
    assert "linked to itself" in d.message
    assert d.span.line == line_of(text, "C1 -> C1")


# ----------------------------------------------------------------------------- MAP402


def test_map402_link_downwards(tmp_path):
    objs = (
        OBJECTIVES
        + """
objective C2 "Trusted brand" {
  perspective customer
  target trust "Trust" >= 50 by 2026-12-31
}
"""
    )
    r, text = main(tmp_path, "\nC2 -> F1\nF2 -> C2\n", objectives=objs)
    [d] = only(r, "MAP402")
    assert d.severity == Severity.WARNING
    assert (
        d.message
        == "link `F2 -> C2` runs from the financial perspective down to the customer perspective"
    )
    line = line_of(text, "F2 -> C2")
    assert (d.span.line, d.span.column, d.span.end_column) == (line, 1, 9)
    assert "did you mean `C2 -> F2`?" in d.help[0]


def test_map402_fixed(tmp_path):
    objs = (
        OBJECTIVES
        + """
objective C2 "Trusted brand" {
  perspective customer
  target trust "Trust" >= 50 by 2026-12-31
}
"""
    )
    r, _ = main(
        tmp_path,
        "\nC2 -> F1\nC2 -> F2\n",
        objectives=objs,
        initiative='\ninitiative training "Training" { supports L1, C2 }\n',
    )
    assert only(r, "MAP402") == []
    assert [d.code for d in r.diagnostics if d.code.startswith("MAP")] == []


# ----------------------------------------------------------------------------- MAP403, MAP404


def test_map403_objective_reaching_no_outcome(tmp_path):
    objs = (
        OBJECTIVES
        + """
objective P9 "Orphan process" {
  perspective process
  target t9 "t" >= 1 by 2026-12-31
}
"""
    )
    r, text = main(tmp_path, "\nL1 -> P9\n", objectives=objs)
    [d] = only(r, "MAP403")
    assert d.severity == Severity.WARNING
    assert d.message == "objective `P9` reaches no `financial` objective"
    line = line_of(text, "objective P9")
    assert (d.span.line, d.span.column) == (line, 11)
    # L1 reaches F1 through P1, so only P9 is reported.
    r2, _ = main(tmp_path, "\nL1 -> P9\nP9 -> C1\n", objectives=objs)
    assert only(r2, "MAP403") == []


def test_map404_top_objective_without_driver(tmp_path):
    r, text = main(tmp_path, links="\nL1 -> P1 -> C1 -> F1\n")
    [d] = only(r, "MAP404")
    assert d.severity == Severity.WARNING
    assert d.message == "top-perspective objective `F2` has no driver"
    assert (d.span.line, d.span.column) == (line_of(text, "objective F2"), 11)
    # F2 is not "supported" either now that nothing drives it.
    assert [x.message for x in only(r, "MAP407")] == [
        "objective `F2` is supported by no play or initiative"
    ]
    r2, _ = main(tmp_path)
    assert only(r2, "MAP404") == []


def test_map404_self_link_is_not_a_driver(tmp_path):
    r, _ = main(tmp_path, "\nF2 -> F2\n", links="\nL1 -> P1 -> C1 -> F1\n")
    assert [d.message for d in only(r, "MAP404")] == [
        "top-perspective objective `F2` has no driver"
    ]


# ----------------------------------------------------------------------------- MAP405


def test_map405_declared_perspective_without_objectives(tmp_path):
    persp = """
perspectives {
  financial "财务"
  customer  "客户"
  process   "内部流程"
  learning  "学习与成长"
  community "社区"
}
"""
    r, text = main(tmp_path, persp)
    [d] = only(r, "MAP405")
    assert d.severity == Severity.WARNING
    assert d.message == "perspective `community` has no objectives"
    line = line_of(text, 'community "社区"')
    assert (d.span.line, d.span.column) == (line, 3)


def test_map405_default_perspective_points_at_strategy(tmp_path):
    objs = OBJECTIVES.replace(
        """objective L1 "Skilled staff" {
  perspective learning""",
        """objective L1 "Skilled staff" {
  perspective process""",
    )
    r, text = main(tmp_path, objectives=objs)
    [d] = only(r, "MAP405")
    assert d.message == "perspective `learning` has no objectives"
    assert (d.span.line, d.span.column) == (line_of(text, 'strategy "Test"'), 1)
    assert "default" in d.label


# ----------------------------------------------------------------------------- MAP406, MAP407


def test_map406_no_target(tmp_path):
    objs = OBJECTIVES.replace('  target nps "NPS" >= 40 by 2026-12-31\n', "")
    r, text = main(tmp_path, objectives=objs)
    [d] = only(r, "MAP406")
    assert d.severity == Severity.WARNING
    assert d.message == "objective `C1` has no target"
    assert (d.span.line, d.span.column) == (line_of(text, "objective C1"), 11)
    assert only(main(tmp_path)[0], "MAP406") == []


def test_map407_unsupported_objective(tmp_path):
    r, text = main(tmp_path, initiative='\ninitiative training "Training" { supports P1 }\n')
    [d] = only(r, "MAP407")
    assert d.severity == Severity.WARNING
    assert d.message == "objective `L1` is supported by no play or initiative"
    assert (d.span.line, d.span.column) == (line_of(text, "objective L1"), 11)


def test_map407_support_flows_to_what_a_driver_drives(tmp_path):
    # The initiative on L1 carries P1, C1, F1, F2 (all driven by L1); nothing is reported.
    r, _ = main(tmp_path)
    assert only(r, "MAP407") == []
    # A play supporting C1 directly also counts.
    r2, _ = main(tmp_path, initiative='\ninitiative training "Training" { supports L1, C1 }\n')
    assert only(r2, "MAP407") == []


# ----------------------------------------------------------------------------- MAP408


def test_map408_duplicate_link_points_at_second(tmp_path):
    r, text = main(tmp_path, '\nP1 -> C1 "again"\n')
    [d] = only(r, "MAP408")
    assert d.severity == Severity.WARNING
    assert d.message == "duplicate link `P1 -> C1`"
    assert d.span.line == line_of(text, 'P1 -> C1 "again"')
    assert d.labels[0].message == "first linked here"
    assert d.labels[0].span.line == line_of(text, "L1 -> P1 -> C1")
    assert (d.labels[0].span.column, d.labels[0].span.end_column) == (7, 15)


# ----------------------------------------------------------------------------- MAP409


def test_map409_financial_lacks_productivity(tmp_path):
    objs = OBJECTIVES.replace("  theme       productivity\n", "  theme       growth\n")
    r, text = main(tmp_path, objectives=objs)
    [d] = only(r, "MAP409")
    assert d.severity == Severity.INFO
    assert d.message == "the financial perspective has no productivity objective"
    assert (d.span.line, d.span.column) == (line_of(text, "objective F1"), 11)
    assert r.ok


def test_map409_help_example_follows_the_locale(tmp_path):
    objs = OBJECTIVES.replace("  theme       productivity\n", "  theme       growth\n")
    r, _ = main(tmp_path / "en", objectives=objs)  # BASE says `locale en`
    [d] = only(r, "MAP409")
    assert any('`theme productivity "Productivity"`' in h for h in d.help)
    zh = build(
        tmp_path / "zh",
        {
            "main.strat": (BASE + THEMES + objs + LINKS + INITIATIVE).replace(
                "locale en", "locale zh-CN"
            )
        },
    )
    [d] = only(zh, "MAP409")
    assert any('`theme productivity "生产率提升"`' in h for h in d.help)


def test_map409_themes_recognised_by_chinese_label(tmp_path):
    themes = '\ntheme t_a "收入增长"\ntheme t_b "成本与效率"\n'
    objs = OBJECTIVES.replace("theme       growth", "theme       t_a").replace(
        "theme       productivity", "theme       t_b"
    )
    r, _ = main(tmp_path, themes=themes, objectives=objs)
    assert only(r, "MAP409") == []
    themes2 = '\ntheme t_a "收入增长"\ntheme t_b "客户体验"\n'
    r2, _ = main(tmp_path, themes=themes2, objectives=objs)
    assert [d.message for d in only(r2, "MAP409")] == [
        "the financial perspective has no productivity objective"
    ]


def test_map409_kind_family_absent(tmp_path):
    objs = OBJECTIVES.replace(
        "  perspective customer\n", "  perspective customer\n  kind relationship\n"
    )
    r, text = main(tmp_path, objectives=objs)
    msgs = [d.message for d in only(r, "MAP409")]
    assert msgs == [
        "no process objective carries a process `kind` (operations, customer_management, innovation, "
        "regulatory_social)",
        "no learning objective carries a learning `kind` (human_capital, information_capital, "
        "organization_capital)",
    ]
    objs2 = objs.replace(
        "  perspective process\n", "  perspective process\n  kind operations\n"
    ).replace("  perspective learning\n", "  perspective learning\n  kind human_capital\n")
    assert only(main(tmp_path, objectives=objs2)[0], "MAP409") == []


def test_map409_not_for_custom_perspectives(tmp_path):
    text = (
        BASE
        + """
perspectives { value "价值"  interaction "互动" }
objective V1 "v" { perspective value  target t "t" >= 1 by 2026-12-31 }
objective I1 "i" { perspective interaction  target t2 "t" >= 1 by 2026-12-31 }
I1 -> V1
initiative x "x" { supports I1 }
"""
    )
    r = build(tmp_path, {"main.strat": text})
    assert [d.code for d in r.diagnostics if d.code.startswith("MAP")] == []


# ----------------------------------------------------------------------------- MAP410


def _many(n: int, persp_of) -> str:
    out = []
    for i in range(n):
        out.append(
            f'objective O{i} "o{i}" {{ perspective {persp_of(i)}  target t{i} "t" >= 1 by 2026-12-31 }}\n'
        )
    return "".join(out)


def test_map410_more_than_six_in_a_perspective(tmp_path):
    objs = OBJECTIVES + _many(3, lambda i: "customer")
    r, text = main(tmp_path, "\n" + "".join(f"O{i} -> F1\n" for i in range(3)), objectives=objs)
    assert only(r, "MAP410") == []
    objs = OBJECTIVES + _many(6, lambda i: "customer")
    r, text = main(tmp_path, "\n" + "".join(f"O{i} -> F1\n" for i in range(6)), objectives=objs)
    [d] = only(r, "MAP410")
    assert d.severity == Severity.INFO
    assert d.message == "perspective `customer` has 7 objectives (more than 6)"
    assert (d.span.line, d.span.column) == (line_of(text, "objective O5 "), 11)


def test_map410_more_than_25_objectives(tmp_path):
    persps = ["financial", "customer", "process", "learning"]
    objs = OBJECTIVES + _many(21, lambda i: persps[i % 4])
    r, text = main(tmp_path, objectives=objs)
    # Sorted by place: the 7th financial objective (O16) comes before the 26th objective (O20).
    assert [d.message for d in only(r, "MAP410")] == [
        "perspective `financial` has 8 objectives (more than 6)",
        "the strategy map has 26 objectives (more than 25)",
    ]
    assert [d.span.line for d in only(r, "MAP410")] == [
        line_of(text, "objective O16 "),
        line_of(text, "objective O20 "),
    ]


# ----------------------------------------------------------------------------- golden


def test_golden_map401_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # paths are shown relative to the working directory
    r, _ = main(tmp_path, '\nF1 -> L1 "backwards"\n')
    diags = only(r, "MAP401") + only(r, "MAP402")
    check_golden("check/map401_map402.txt", render(diags, r.sources, "text", color=False))
