"""`allow CODE` silences warnings on one declaration, never errors."""

from __future__ import annotations

from pathlib import Path

from conftest import BASE

from stratlang.check import check_entry
from stratlang.diagnostics import Severity

MAP = """
objective F1 "Grow revenue" {
  perspective financial
  target rev "Revenue" >= 10m by 2026-12-31
}
objective C1 "Loyal customers" {
  perspective customer
  ALLOW_C1
}
objective P1 "Fast onboarding" {
  perspective process
}
objective L1 "Skilled staff" {
  perspective learning
  target cert "Certified" >= 90% by 2026-06-30
}
L1 -> P1 -> C1 -> F1
initiative training "Training" { supports L1 }
"""


def check(tmp_path: Path, allow_c1: str = "", extra: str = ""):
    p = tmp_path / "main.strat"
    p.write_text(BASE + MAP.replace("ALLOW_C1", allow_c1) + extra, encoding="utf-8")
    return check_entry(p)


def where(result, code):
    return [d.message.split("`")[1] for d in result.diagnostics if d.code == code]


def test_without_allow_both_objectives_warn(tmp_path):
    r = check(tmp_path)
    assert where(r, "MAP406") == ["C1", "P1"]


def test_allow_silences_only_that_declaration(tmp_path):
    r = check(tmp_path, "allow MAP406")
    assert where(r, "MAP406") == ["P1"]
    assert r.ok
    assert not any(d.code in ("TYP303", "TYP304") for d in r.diagnostics)


def test_allow_list_and_other_codes_untouched(tmp_path):
    # allow MAP409 on C1 does not silence MAP406 there.
    r = check(tmp_path, "allow MAP409")
    assert where(r, "MAP406") == ["C1", "P1"]
    r = check(tmp_path, "allow MAP409, MAP406")
    assert where(r, "MAP406") == ["P1"]


def test_allow_on_a_play_silences_its_warning(tmp_path):
    play = """
channel phone "Phone" { kind outbound_call }
script s "S" { channel phone  pitch "Hi" }
segment seg "Seg" { rule age > 30 }
play p1 "P1" { segment seg  step 1 phone using s  supports F1 ALLOW }
play p2 "P2" { segment seg  step 1 phone using s  supports F1  priority 1 }
"""
    r = check(tmp_path, extra=play.replace("ALLOW", ""))
    assert where(r, "PLY611") == ["p1", "p2"]
    r = check(tmp_path, extra=play.replace("ALLOW", " allow PLY611"))
    assert where(r, "PLY611") == ["p2"]


def test_allow_cannot_silence_an_error(tmp_path):
    extra = """
objective X1 "x" { perspective process  target t "t" >= 1 by 2026-12-31  allow MAP401 }
objective X2 "y" { perspective process  target t2 "t" >= 1 by 2026-12-31 }
X1 -> X2 -> X1
"""
    r = check(tmp_path, extra=extra)
    [bad] = [d for d in r.diagnostics if d.code == "TYP304"]
    assert bad.severity == Severity.ERROR
    assert bad.message == "`MAP401` is an error and cannot be silenced with `allow`"
    assert bad.span.line == BASE.count("\n") + MAP.count("\n") + 2
    # ...and the cycle is still reported.
    assert [d.code for d in r.diagnostics if d.code == "MAP401"] == ["MAP401"]
    assert not r.ok


def test_allow_unknown_code_is_reported(tmp_path):
    r = check(tmp_path, "allow MAP46")
    [d] = [d for d in r.diagnostics if d.code == "TYP303"]
    assert "`MAP46` is not a diagnostic code" in d.message
    assert d.help[0] == "did you mean `MAP406`?"
