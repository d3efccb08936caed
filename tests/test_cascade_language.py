"""The cascade's language (docs/cascade.md, docs/language.md): `unit` blocks, the strategy's
`parent` and `unit`, an objective's `owner` as a unit id and `align` — parsing, resolution into
the model, formatting and model.json."""

from __future__ import annotations

import json

from conftest import BASE

from stratlang.backends.json import model_to_dict
from stratlang.fmt import format_text

HQ = (
    BASE.replace('owner  "Ops"', 'owner  "Ops"\n  unit   retail_hq')
    + """
unit retail_hq "Retail head office" { head "Wang" }
unit branch_sz "Shenzhen branch" { parent retail_hq }
objective F1 "Grow AUM" {
  perspective financial
  owner       retail_hq
  target      aum "AUM" >= 1200亿 by 2026-12-31
}
objective C1 "Happy customers" {
  perspective customer
  owner       "Customer team"
}
"""
)


def errors(r):
    return [(d.code, d.message) for d in r.diagnostics if d.severity.name == "ERROR"]


def test_units_owners_and_the_strategys_unit_in_the_model(project):
    r = project(HQ)
    assert errors(r) == []
    m = r.model
    assert list(m.units) == ["retail_hq", "branch_sz"]
    assert m.units["branch_sz"].parent == "retail_hq"
    assert m.units["retail_hq"].head == "Wang"
    assert m.units["retail_hq"].label == "Retail head office"
    assert m.unit == "retail_hq"
    assert m.parent is None
    assert (m.objectives["F1"].owner, m.objectives["F1"].owner_unit) == ("retail_hq", "retail_hq")
    assert (m.objectives["C1"].owner, m.objectives["C1"].owner_unit) == ("Customer team", None)


def test_parent_and_align_are_kept_as_written(tmp_path, project):
    child = BASE.replace('owner  "Ops"', 'parent "../hq"\n  unit branch_sz') + (
        'objective S1 "Grow SZ AUM" {\n  perspective financial\n  align F1, F2, F1\n}\n'
    )
    r = project(child)
    m = r.model
    assert m.parent is not None and m.parent.path == "../hq"
    assert m.parent.span is not None and m.parent.span.line == 3
    assert m.unit == "branch_sz"
    assert m.objectives["S1"].aligns == ("F1", "F2")


def test_wrong_values_are_type_errors(project):
    r = project(
        BASE.replace('owner  "Ops"', 'owner  "Ops"\n  unit "hq"')
        + 'unit u "U" { parent "hq" }\n'
        + 'objective F1 "F" { perspective financial  owner 12  align "F1" }\n'
    )
    got = sorted(msg for code, msg in errors(r) if code == "TYP302")
    assert len(got) == 4, errors(r)
    assert any("`owner` takes a unit id or a string" in g for g in got)


def test_attributes_named_like_declarations_follow_a_string():
    """`unit` (and `offer`) after a string-valued attribute stay attributes: the parser's state
    after a top-level statement's string is not shared with an attribute's."""
    from stratlang.source import SourceFile
    from stratlang.syntax.parser import parse_source

    text = (
        'strategy "S" {\n  owner "x"\n  unit hq\n}\n'
        'play p "P" {\n  description "d"\n  offer o\n}\n'
        'event e "E"\nunit hq "HQ"\nimport "x.strat"\nunit t "T"\n'
    )
    file, diags = parse_source(SourceFile("t.strat", text))
    assert diags == []
    assert [d.kind for d in file.decls if hasattr(d, "kind")] == [
        "strategy",
        "play",
        "event",
        "unit",
        "unit",
    ]


def test_the_formatter_prints_units_and_alignment_canonically():
    text = (
        "# head\n"
        'strategy "S" {\n  parent   "../hq"   # up\n  unit branch_sz\n'
        "  period 2026-01-01 .. 2026-12-31\n}\n"
        'unit branch_sz "SZ" { parent retail_hq\n  head "Li" }\n'
        'unit t "T" { parent branch_sz }  # team\n'
        'objective S1 "O" {\n  perspective financial\n  owner  t\n  align F1,F2   # both\n}\n'
    )
    out = format_text(text)
    assert out == (
        "# head\n"
        'strategy "S" {\n  parent "../hq"  # up\n  unit   branch_sz\n'
        "  period 2026-01-01 .. 2026-12-31\n}\n\n"
        'unit branch_sz "SZ" {\n  parent retail_hq\n  head   "Li"\n}\n\n'
        'unit t "T" { parent branch_sz }  # team\n\n'
        'objective S1 "O" {\n  perspective financial\n  owner       t\n'
        "  align       F1, F2  # both\n}\n"
    )
    assert format_text(out) == out


def test_model_json_carries_the_cascade_only_when_used(project):
    doc = model_to_dict(project(HQ).model)
    assert doc["units"][1] == {
        "id": "branch_sz",
        "label": "Shenzhen branch",
        "parent": "retail_hq",
        "head": None,
        "description": None,
        "span": doc["units"][1]["span"],
    }
    assert doc["strategy"]["unit"] == "retail_hq"
    assert "parent" not in doc["strategy"]
    f1 = next(o for o in doc["objectives"] if o["id"] == "F1")
    c1 = next(o for o in doc["objectives"] if o["id"] == "C1")
    assert (f1["owner"], f1["owner_unit"]) == ("retail_hq", "retail_hq")
    assert c1["owner"] == "Customer team" and "owner_unit" not in c1 and "aligns" not in c1
    json.dumps(doc)


def test_model_json_of_a_project_without_a_cascade_has_no_cascade_keys(project):
    doc = model_to_dict(project(BASE + 'objective F1 "F" { perspective financial }\n').model)
    assert "units" not in doc
    assert not {"parent", "unit"} & set(doc["strategy"])
    assert not {"owner_unit", "aligns"} & set(doc["objectives"][0])


def test_completion_offers_the_units_of_the_file():
    from stratlang.lsp.completion import complete, declared_ids

    text = (
        'unit hq "HQ"\nunit sz "SZ" {\n  parent \n}\n'
        'objective F1 "F" {\n  owner \n}\nstrategy "S" {\n  unit \n}\n'
    )
    ids = declared_ids([text])
    for before in ("  parent ", "  owner ", "  unit "):
        offset = text.index(before) + len(before)
        assert complete(text, offset, ids) == [("hq", "id", "unit"), ("sz", "id", "unit")]


SERVES = (
    'objective S1 "O" {\n  perspective financial\n  align F1\n'
    '  target sz_aum "SZ AUM" >= 300亿 by 2026-12-31 {serves   F1.aum_total\n weight 2}\n}\n'
)


def test_serves_is_read_into_the_model(project):
    child = BASE.replace('owner  "Ops"', 'parent "../hq"\n  unit branch_sz') + SERVES
    t = project(child).model.objectives["S1"].targets[0]
    assert (t.id, t.serves, t.weight) == ("sz_aum", ("F1", "aum_total"), 2.0)


def test_model_json_writes_serves_only_when_given(project):
    child = BASE.replace('owner  "Ops"', 'parent "../hq"\n  unit branch_sz') + SERVES
    (target,) = model_to_dict(project(child).model)["objectives"][-1]["targets"]
    assert target["serves"] == {"objective": "F1", "target": "aum_total"}
    plain = model_to_dict(project(HQ).model)
    assert all("serves" not in t for o in plain["objectives"] for t in o["targets"])


def test_serves_takes_a_parent_target(project):
    r = project(BASE + SERVES.replace("F1.aum_total", '"F1"'))
    assert any("`serves`" in msg for code, msg in errors(r) if code == "TYP302"), errors(r)


def test_the_formatter_prints_serves_in_the_targets_body():
    out = format_text('strategy "S" {\n  period 2026-01-01 .. 2026-12-31\n}\n' + SERVES)
    assert (
        '  target      sz_aum "SZ AUM" >= 300亿 by 2026-12-31 {\n'
        "    serves F1.aum_total\n    weight 2\n  }\n"
    ) in out
    assert format_text(out) == out


PLAYS = """
segment young "Young" { rule age < 35 }
channel sms "SMS" { kind sms }
script hello "Hello" { channel sms  pitch "hi"  opt_out "STOP" }
play welcome "Welcome" {
  segment young
  step 1  sms using hello
  supports F1
  owner   branch_sz
}
play reminder "Reminder" {
  segment young
  step 1  sms using hello
  supports F1
  owner   "Shenzhen branch"
}
initiative crm "CRM" { supports F1  owner branch_gz }
"""


def test_plays_and_initiatives_are_owned_by_units_too(project):
    r = project(HQ + PLAYS)
    plays, initiative = r.model.plays, r.model.initiatives["crm"]
    assert (plays["welcome"].owner, plays["welcome"].owner_unit) == ("branch_sz", "branch_sz")
    assert plays["reminder"].owner_unit is None
    aln = {(d.code, d.message) for d in r.diagnostics if d.code in ("ALN009", "ALN010")}
    assert (
        "ALN010",
        'play `reminder` is owned by the string "Shenzhen branch", not by a unit',
    ) in aln
    assert any(code == "ALN009" and "`branch_gz`" in msg for code, msg in aln), aln
    assert initiative.owner_unit == "branch_gz"
    doc = model_to_dict(r.model)
    welcome = next(p for p in doc["plays"] if p["id"] == "welcome")
    reminder = next(p for p in doc["plays"] if p["id"] == "reminder")
    assert welcome["owner_unit"] == "branch_sz" and "owner_unit" not in reminder
    assert doc["initiatives"][0]["owner_unit"] == "branch_gz"
