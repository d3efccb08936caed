"""NAM201–NAM207: each code triggered, and the fixed input passing."""

from __future__ import annotations

import pytest
from conftest import BASE, codes

OBJ = (
    BASE
    + """
objective F1 "Grow revenue" {
  perspective financial
  target rev "Revenue" >= 10% by 2026-12-31
}
"""
)


def nam(result):
    return [d for d in result.diagnostics if d.code.startswith("NAM")]


def test_nam201_undefined_reference_suggests_closest_of_right_kind(project):
    text = (
        BASE
        + """
segment payroll_young "Young" { rule payroll and age < 35 }
channel phone "Phone" { kind outbound_call capacity 100 per day }
script s1 "S" { channel phone pitch "hi" }
objective F1 "F" { perspective financial }
play p "P" {
  segment  payroll_yuong
  step 1   phone using s1
  supports F1
}
"""
    )
    res = project(text)
    line = next(i for i, t in enumerate(text.split("\n"), 1) if "payroll_yuong" in t)
    [d] = [d for d in res.diagnostics if d.code == "NAM201"]
    assert d.message == "undefined segment `payroll_yuong`"
    assert (d.span.line, d.span.column) == (line, 12)
    assert "did you mean `payroll_young`?" in d.help[0]
    assert d.suggestions[0].replacement == "payroll_young"
    assert d.suggestions[0].applicability.value == "machine_applicable"


def test_nam201_fixed(project):
    res = project(
        BASE
        + """
segment payroll_young "Young" { rule payroll and age < 35 }
channel phone "Phone" { kind outbound_call capacity 100 per day }
script s1 "S" { channel phone pitch "hi" }
objective F1 "F" { perspective financial }
play p "P" {
  segment  payroll_young
  step 1   phone using s1
  supports F1
}
"""
    )
    assert nam(res) == []


def test_nam201_suggests_only_ids_of_the_needed_kind(project):
    # `phon` is close to the channel `phone`, but `segment` needs a segment: no suggestion.
    res = project(
        OBJ
        + """
channel phone "Phone" { kind sms }
play p { segment phon  step 1 phone using x  supports F1 }
"""
    )
    d = next(d for d in res.diagnostics if d.code == "NAM201" and "phon`" in d.message)
    assert d.help == () or "phone" not in d.help[0]


def test_nam201_perspective(project):
    res = project(BASE + 'objective F1 "F" { perspective finance }')
    [d] = [d for d in res.diagnostics if d.code == "NAM201"]
    assert "perspective `finance`" in d.message and "financial" in d.help[0]


def test_nam202_duplicate_id_across_kinds_with_first_definition(project):
    res = project(
        {
            "main.strat": BASE + 'import "more.strat"\nsegment vip "VIP" { rule aum >= 100 }\n',
            "more.strat": 'offer vip "VIP offer" { kind product }\n',
        }
    )
    [d] = [d for d in res.diagnostics if d.code == "NAM202"]
    assert "`vip` is declared twice" in d.message
    assert d.labels and d.labels[0].message.startswith("first declared here")
    assert {d.span.file, d.labels[0].span.file} == {
        str(res.project.files[0].path),
        str(res.project.files[1].path),
    }


def test_nam202_fixed(project):
    res = project(
        {
            "main.strat": BASE + 'import "more.strat"\nsegment vip "VIP" { rule aum >= 100 }\n',
            "more.strat": 'offer vip_offer "VIP offer" { kind product }\n',
        }
    )
    assert codes(res, "NAM") == []


def test_nam203_wrong_kind(project):
    res = project(
        OBJ
        + """
channel phone "Phone" { kind outbound_call }
script s1 { channel phone pitch "x" }
play p { segment phone step 1 phone using s1 supports F1 }
"""
    )
    [d] = [d for d in res.diagnostics if d.code == "NAM203"]
    assert d.message == "`phone` is a channel, but this needs a segment"
    assert d.labels[0].message == "`phone` is declared here"


def test_nam203_fixed(project):
    res = project(
        OBJ
        + """
channel phone "Phone" { kind outbound_call }
script s1 { channel phone pitch "x" }
segment all_young { rule age < 30 }
play p { segment all_young step 1 phone using s1 supports F1 }
"""
    )
    assert codes(res, "NAM") == []


def test_nam204_unknown_attribute_suggests_closest(project):
    res = project(BASE + 'objective F1 "F" { perspective financial  ownr "me" }')
    [d] = [d for d in res.diagnostics if d.code == "NAM204"]
    assert d.message == "unknown attribute `ownr` for an objective"
    assert d.help == ("did you mean `owner`?",)
    assert d.suggestions[0].replacement == "owner"


def test_nam204_line_item_in_wrong_block(project):
    res = project(BASE + "segment s { rule age > 1  step 1 a using b }")
    [d] = [d for d in res.diagnostics if d.code == "NAM204"]
    assert "`step` lines are not allowed in a segment" in d.message


def test_nam204_fixed(project):
    res = project(BASE + 'objective F1 "F" { perspective financial  owner "me" }')
    assert codes(res, "NAM") == []


@pytest.mark.parametrize(
    "text,what",
    [
        ('objective F1 "F" { owner "x" }', "perspective"),
        (
            'objective F1 "F" { perspective financial }\nplay p { segment s supports F1 }\nsegment s { rule age > 3 }',
            "step",
        ),
        ('script s { pitch "x" }', "channel"),
        ("segment s { lifecycle growth }", "rule"),
    ],
)
def test_nam205_required_attribute_missing(project, text, what):
    res = project(BASE + text)
    found = [d for d in res.diagnostics if d.code == "NAM205"]
    assert found and f"has no `{what}`" in found[0].message


def test_nam205_missing_strategy_period(project):
    res = project('strategy "x" { owner "y" }')
    assert any(d.code == "NAM205" and "`period`" in d.message for d in res.diagnostics)


def test_nam205_fixed(project):
    res = project(
        BASE
        + 'objective F1 "F" { perspective financial owner "x" }\nsegment s { rule age > 3 lifecycle growth }'
    )
    assert codes(res, "NAM") == []


def test_nam206_import_not_found_outside_root_and_cycle(project, tmp_path):
    res = project(
        {
            "main.strat": BASE
            + 'import "a.strat"\nimport "missing.strat"\nimport "../outside.strat"\n',
            "a.strat": 'import "b.strat"\n',
            "b.strat": 'import "a.strat"\n',
        }
    )
    msgs = [d.message for d in res.diagnostics if d.code == "NAM206"]
    assert any("`missing.strat` not found" in m for m in msgs)
    assert any("leaves the project root" in m for m in msgs)
    cyc = [m for m in msgs if m.startswith("import cycle")]
    assert cyc and "a.strat → b.strat → a.strat" in cyc[0].replace(str(tmp_path) + "/", "")


def test_nam206_fixed(project):
    res = project(
        {
            "main.strat": BASE + 'import "a.strat"\nimport "sub/c.strat"\n',
            "a.strat": 'import "b.strat"\n',
            "b.strat": 'event e "E"\n',
            "sub/c.strat": 'import "../b.strat"\n',
        }
    )
    assert codes(res, "NAM") == []
    assert len(res.project.files) == 4


def test_root_option_allows_parent_imports(tmp_path):
    from conftest import write_project

    from stratlang.check import check_entry

    write_project(
        tmp_path,
        {
            "shared/ch.strat": 'event e "E"\n',
            "proj/main.strat": BASE + 'import "../shared/ch.strat"\n',
        },
    )
    res = check_entry(tmp_path / "proj/main.strat")
    assert "NAM206" in codes(res)
    res = check_entry(tmp_path / "proj/main.strat", root=tmp_path)
    assert "NAM206" not in codes(res)


def test_nam207_attribute_given_twice(project):
    res = project(BASE + 'objective F1 "F" { perspective financial owner "a" owner "b" }')
    [d] = [d for d in res.diagnostics if d.code == "NAM207"]
    assert d.message == "`owner` is given twice" and d.labels[0].message == "first given here"


def test_nam207_targets_steps_objections_may_repeat(project):
    res = project(
        BASE
        + """
objective F1 "F" { perspective financial owner "a"
  target a1 >= 1% by 2026-12-31
  target a2 >= 2% by 2026-12-31 }
channel ph { kind outbound_call }
script s { channel ph pitch "x" objection "a" -> "b" objection "c" -> "d" }
segment seg { rule age > 1 }
play p { segment seg step 1 ph using s step 2 ph using s after 2d supports F1 }
"""
    )
    assert "NAM207" not in codes(res)


def test_not_utf8_is_a_diagnostic_with_position(tmp_path):
    from stratlang.check import check_entry

    p = tmp_path / "bad.strat"
    p.write_bytes('strategy "ok" {\n  owner "\u4e2d'.encode() + b"\xff\xfe" + b'"\n}\n')
    res = check_entry(p)
    [d] = res.diagnostics
    assert (
        d.code == "SYN101" and "not UTF-8" in d.message and (d.span.line, d.span.column) == (2, 11)
    )


def test_no_undefined_cascade_for_a_declaration_that_did_not_parse(project):
    # `seg` is broken (a rule with no condition): the play's reference to it is not a second error
    res = project(
        OBJ
        + """
channel ph { kind outbound_call }
script s { channel ph pitch "x" }
segment seg "S" { rule }
play p { segment seg step 1 ph using s supports F1 }
play q { segment sgx step 1 ph using s supports F1 }
"""
    )
    errors = [(d.code, d.message) for d in res.diagnostics if d.severity == 2]
    assert [c for c, _ in errors] == ["SYN101", "NAM201"], errors
    assert "sgx" in errors[1][1]  # a real typo elsewhere is still reported
