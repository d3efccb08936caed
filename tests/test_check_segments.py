"""SEG501–SEG505, PLY602 and PLY607: triggered (code, span, message, witness) and fixed."""

from __future__ import annotations

import re

from conftest import BASE

from stratlang.check.evaluator import evaluate
from stratlang.check.segments import reasoner
from stratlang.render import render

TAIL = """
objective F1 "F" { perspective financial }
channel phone "Phone" { kind outbound_call capacity 100 per day }
script s1 "S" { channel phone pitch "hi" disclaimer "risk" }
"""


def at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    idx = -1
    for _ in range(nth + 1):
        idx = text.index(needle, idx + 1)
    return text.count("\n", 0, idx) + 1, idx - (text.rfind("\n", 0, idx) + 1) + 1


def pos(text: str, idx: int) -> tuple[int, int]:
    return text.count("\n", 0, idx) + 1, idx - (text.rfind("\n", 0, idx) + 1) + 1


def diags(res, code):
    return [d for d in res.diagnostics if d.code == code]


def play(pid, segment, extra=""):
    return f'play {pid} "{pid}" {{ segment {segment} step 1 phone using s1 supports F1 {extra} }}\n'


def witness_fields(note: str) -> dict:
    """Parse `witness: a=1, b=R2, …` back into text values."""
    body = note.split("witness: ", 1)[1]
    return dict(re.findall(r"(\w+)=([^,]+?)(?=,| is | …|$)", body))


# --------------------------------------------------------------------------- SEG501


def test_seg501_names_the_conflicting_tests(project):
    text = (
        BASE
        + 'segment s "S" { rule payroll and age > 60 and aum < 5万 and age < 30 }\n'
        + TAIL
        + play("p", "s")
    )
    [d] = diags(project(text), "SEG501")
    assert (
        d.message == "segment `s` can match no customer: `age > 60` and `age < 30` cannot both hold"
    )
    assert (d.span.line, d.span.column) == at(text, "age > 60")
    assert [(lb.span.line, lb.span.column) for lb in d.labels] == [at(text, "age < 30")]


def test_seg501_single_test_never_true(project):
    text = (
        BASE
        + 'segment s "S" { rule payroll and (id is missing or age = 3.5) }\n'
        + TAIL
        + play("p", "s")
    )
    [d] = diags(project(text), "SEG501")
    assert "`(id is missing or age = 3.5)` is never true" in d.message


def test_seg501_enum_and_in_lists(project):
    text = (
        BASE
        + 'segment s "S" { rule risk_level >= R4 and risk_level in [R1, R2, R3] }\n'
        + TAIL
        + play("p", "s")
    )
    [d] = diags(project(text), "SEG501")
    assert "cannot both hold" in d.message


def test_seg501_fixed(project):
    text = (
        BASE
        + 'segment s "S" { rule payroll and age > 60 and aum < 5万 and age < 90 }\n'
        + TAIL
        + play("p", "s")
    )
    assert diags(project(text), "SEG501") == []


# --------------------------------------------------------------------------- SEG502 / SEG503

TIERS = """
segment vip "VIP" {{ rule aum >= 100万 }}
segment mid "Mid" {{ rule aum >= 20万 and aum {mid_hi} 100万 }}
segment mass "Mass" {{ rule aum < 20万 {mass_extra} }}
tiering tiers "T" {{
  segments   vip, mid, mass
  exclusive  true
  exhaustive true
}}
"""


def test_seg502_overlap_with_confirmed_witness(project):
    text = BASE + TIERS.format(mid_hi="<=", mass_extra="") + TAIL
    res = project(text)
    [d] = diags(res, "SEG502")
    assert d.message == "tiers `vip` and `mid` of exclusive tiering `tiers` overlap"
    assert (d.span.line, d.span.column) == pos(text, text.index("mid, mass"))
    assert d.notes[0] == "witness: aum=1000000, … is in both `vip` and `mid`"
    m = res.model
    rec = reasoner(m).space.witness({})
    rec["aum"] = 1000000
    assert all(evaluate(m.segment_rule(s), rec, m.schema) is True for s in ("vip", "mid"))


def test_seg503_gap_with_witness(project):
    text = BASE + TIERS.format(mid_hi="<", mass_extra="and payroll") + TAIL
    res = project(text)
    [d] = diags(res, "SEG503")
    assert d.message == "exhaustive tiering `tiers` has a gap: some customers are in no tier"
    assert (d.span.line, d.span.column) == at(text, "exhaustive true")
    w = witness_fields(d.notes[0])
    assert w["payroll"] == "false" and float(w["aum"]) < 200000


def test_seg502_seg503_fixed(project):
    res = project(BASE + TIERS.format(mid_hi="<", mass_extra="") + TAIL)
    assert diags(res, "SEG502") == [] and diags(res, "SEG503") == []


def test_seg503_optional_field_null_is_a_gap(project):
    text = (
        BASE
        + """
segment a "A" { rule email = "x" }
segment b "B" { rule email != "x" }
tiering t "T" { segments a, b exhaustive true }
"""
        + TAIL
    )
    [d] = diags(project(text), "SEG503")
    assert "email=missing" in d.notes[0]  # NULL is in neither tier
    fixed = text.replace('rule email != "x"', 'rule email != "x" or email is missing')
    assert diags(project(fixed), "SEG503") == []


# --------------------------------------------------------------------------- SEG504


def test_seg504_unused_segment(project):
    text = (
        BASE
        + 'segment s "S" { rule payroll }\nsegment unused "U" { rule age > 3 }\n'
        + TAIL
        + play("p", "s")
    )
    [d] = diags(project(text), "SEG504")
    assert d.message == "segment `unused` is used by no play and no tiering"
    assert (d.span.line, d.span.column) == at(text, "unused")


def test_seg504_fixed_parent_of_used_counts_and_allow(project):
    text = (
        BASE
        + """
segment base "B" { rule payroll }
segment child "C" { extends base rule age > 30 }
segment spare "S" { rule age > 3 allow SEG504 }
"""
        + TAIL
        + play("p", "child")
    )
    assert diags(project(text), "SEG504") == []


# --------------------------------------------------------------------------- SEG505


def test_seg505_cycle(project):
    text = (
        BASE + 'segment a "A" { extends b rule payroll }\nsegment b "B" { extends c }\n'
        'segment c "C" { extends a }\n' + TAIL + play("p", "a")
    )
    [d] = diags(project(text), "SEG505")
    assert d.message == "`extends` chain is cyclic: `a` -> `b` -> `c` -> `a`"
    assert (d.span.line, d.span.column) == pos(text, text.index("extends b") + len("extends "))
    assert len(d.labels) == 2


def test_seg505_child_contradicts_parent(project):
    text = (
        BASE
        + 'segment vip "V" { rule aum >= 100万 }\nsegment young "Y" { extends vip rule aum < 5万 }\n'
        + TAIL
        + play("p", "young")
    )
    res = project(text)
    [d] = diags(res, "SEG505")
    assert (
        d.message == "segment `young` contradicts its parent `vip`: together they match no customer"
    )
    assert (d.span.line, d.span.column) == at(text, "aum < 5万")
    assert diags(res, "SEG501") == []  # the child's own rule is fine on its own


def test_seg505_fixed(project):
    text = (
        BASE
        + 'segment vip "V" { rule aum >= 100万 }\nsegment young "Y" { extends vip rule age < 30 }\n'
        + TAIL
        + play("p", "young")
    )
    assert diags(project(text), "SEG505") == []


# --------------------------------------------------------------------------- PLY602


OFFER = 'offer fund "Fund" { risk R3 }\n'


def test_ply602_segment_admits_lower_risk_tolerance(project):
    text = (
        BASE
        + 'segment s "S" { rule aum >= 100万 and risk_level >= R2 }\n'
        + OFFER
        + TAIL
        + play("p", "s", "offer fund")
    )
    res = project(text)
    [d] = diags(res, "PLY602")
    assert d.message == (
        "play `p` offers `fund` (risk R3) to segment `s`, which admits customers whose "
        "`risk_level` is below R3"
    )
    assert (d.span.line, d.span.column) == pos(
        text, text.index("offer fund", text.index("play p")) + 6
    )
    w = witness_fields(d.notes[0])
    assert w["risk_level"] == "R2" and int(w["aum"]) >= 1000000


def test_ply602_optional_risk_field_null(project):
    text = (
        BASE.replace(
            "risk_level enum(R1, R2, R3, R4, R5) risk_tolerance",
            "risk_level enum(R1, R2, R3, R4, R5) optional risk_tolerance",
        )
        + 'segment s "S" { rule not (risk_level < R3) }\n'
        + OFFER
        + TAIL
        + play("p", "s", "offer fund")
    )
    # `not (risk_level < R3)` is not TRUE for a NULL risk level: no unsuitable member
    assert diags(project(text), "PLY602") == []
    text2 = text.replace(
        "rule not (risk_level < R3)", "rule risk_level is missing or risk_level >= R3"
    )
    [d] = diags(project(text2), "PLY602")
    assert "risk_level=missing" in d.notes[0] and "has no `risk_level`" in d.notes[0]


def test_ply602_fixed(project):
    text = (
        BASE
        + 'segment s "S" { rule aum >= 100万 and risk_level >= R3 }\n'
        + OFFER
        + TAIL
        + play("p", "s", "offer fund")
    )
    assert diags(project(text), "PLY602") == []


# --------------------------------------------------------------------------- PLY607


def test_ply607_equal_priority_overlap(project):
    text = (
        BASE
        + 'segment a "A" { rule age < 40 }\nsegment b "B" { rule payroll }\n'
        + TAIL
        + play("p1", "a", "priority 5")
        + play("p2", "b", "priority 5")
    )
    [d] = diags(project(text), "PLY607")
    assert (
        d.message
        == "plays `p1` and `p2` have the same priority (5) and overlapping segments (`a` and `b`)"
    )
    assert (d.span.line, d.span.column) == pos(
        text, text.index("priority 5", text.index("play p2")) + 9
    )
    w = witness_fields(d.notes[0])
    assert int(w["age"]) < 40 and w["payroll"] == "true"


def test_ply607_fixed_by_priority_or_disjoint_segments(project):
    base = BASE + 'segment a "A" { rule age < 40 }\nsegment b "B" { rule age >= 40 }\n' + TAIL
    assert (
        diags(
            project(base + play("p1", "a", "priority 5") + play("p2", "b", "priority 5")), "PLY607"
        )
        == []
    )
    text = base.replace("age >= 40", "payroll")
    assert (
        diags(
            project(text + play("p1", "a", "priority 5") + play("p2", "b", "priority 6")), "PLY607"
        )
        == []
    )


# --------------------------------------------------------------------------- witnesses and golden


def test_every_witness_reproduces(project):
    """Every witness printed by SEG502/503, PLY602/607 is reproduced by the evaluator."""
    text = (
        BASE
        + TIERS.format(mid_hi="<=", mass_extra="and payroll")
        + OFFER
        + TAIL
        + play("p1", "vip", "priority 1 offer fund")
        + play("p2", "mid", "priority 1")
    )
    res = project(text)
    m = res.model
    sp = reasoner(m).space
    seen = 0
    for d in res.diagnostics:
        if d.code not in ("SEG502", "SEG503", "PLY602", "PLY607"):
            continue
        w = witness_fields(d.notes[0])
        rec = sp.witness({})
        for k, v in w.items():
            f = m.schema.fields[k]
            rec[k] = (
                None
                if v == "missing"
                else v == "true"
                if f.type == "bool"
                else v
                if f.type == "enum"
                else v.strip('"')
                if f.type == "string"
                else float(v)
            )
        if d.code == "SEG503":
            assert not any(
                evaluate(m.segment_rule(s), rec, m.schema) for s in ("vip", "mid", "mass")
            )
        elif d.code == "PLY602":
            assert evaluate(m.segment_rule("vip"), rec, m.schema) is True
            assert m.schema.fields["risk_level"].enum_values.index(rec["risk_level"]) < 2
        else:
            assert evaluate(m.segment_rule("vip"), rec, m.schema) is True
            assert evaluate(m.segment_rule("mid"), rec, m.schema) is True
        seen += 1
    assert seen == 4


def test_golden_seg_text(project):
    from golden import check_golden

    text = (
        BASE
        + 'segment s "S" { rule payroll and age > 60 and age < 30 }\n'
        + TIERS.format(mid_hi="<=", mass_extra="and payroll")
        + TAIL
        + play("p", "s")
        + play("q", "vip")
    )
    res = project(text)
    out = render(
        [d for d in res.diagnostics if d.code.startswith("SEG")], res.sources, "text", color=False
    )
    check_golden("check/seg.txt", out.replace(str(res.root), "<root>"))


def test_no_gap_reported_for_a_tiering_with_an_unresolved_tier(project):
    text = (
        BASE
        + 'segment a "A" { rule age < 40 }\ntiering t "T" { segments a, nope exhaustive true }\n'
        + TAIL
    )
    res = project(text)
    assert "NAM201" in [d.code for d in res.diagnostics]
    assert diags(res, "SEG503") == []


def test_gap_when_no_field_matters_shows_an_example_customer(project):
    text = (
        BASE
        + 'segment a "A" { rule age < 40 and age > 50 }\ntiering t "T" { segments a exhaustive true }\n'
        + TAIL
    )
    [d] = diags(project(text), "SEG503")
    assert d.notes[0].startswith('witness: any customer, e.g. id="C0001", age=0, … is in no tier')


def test_seg501_text_of_a_negated_group_is_balanced(project):
    text = BASE + 'segment s "S" { rule not (age > 1 or not age > 1) }\n' + TAIL + play("p", "s")
    [d] = diags(project(text), "SEG501")
    assert "`not (age > 1 or not age > 1)` is never true" in d.message
