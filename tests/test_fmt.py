"""The formatter: idempotent, meaning-preserving, comments kept, canonical; the `fmt` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from stratlang import parse_text
from stratlang.check import check_entry
from stratlang.cli import _register, main
from stratlang.fmt import FormatError, comment_texts, format_text, read_source, structure

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_FILES = sorted(ROOT.glob("examples/*/*.strat")) + sorted(
    (ROOT / "tests/data/spec_example").glob("*.strat")
)

_register()


def fmt(text: str) -> str:
    return format_text(textwrap.dedent(text).lstrip("\n"))


def assert_proven(text: str, path: str = "<input>") -> str:
    """Format, then check equivalence, comments and stability independently of the guard."""
    out = format_text(text, path)
    before, _ = parse_text(text, path)
    after, diags = parse_text(out, path)
    assert not diags
    assert structure(after) == structure(before)
    assert comment_texts(after) == comment_texts(before)
    assert format_text(out, path) == out
    assert out.endswith("\n") or out == ""
    assert not any(line != line.rstrip() for line in out.splitlines()), "trailing whitespace"
    return out


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_idempotent_and_equivalent(path):
    assert EXAMPLE_FILES
    assert_proven(read_source(path), str(path))


def _model_dict(entry: Path):
    from stratlang.backends.json import model_to_dict

    res = check_entry(entry)
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"]

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "span"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return strip(model_to_dict(res.model)), sorted((d.code, d.message) for d in res.diagnostics)


@pytest.mark.parametrize("project", ["bank_wealth", "customer_equity", "telecom_winback"])
def test_checked_model_unchanged_by_formatting(project, tmp_path):
    src = ROOT / "examples" / project
    dst = tmp_path / project
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("data", "out"))
    before = _model_dict(dst / "main.strat")
    result = CliRunner().invoke(main, ["fmt", str(dst)])
    assert result.exit_code == 0, result.output
    after = _model_dict(dst / "main.strat")
    assert after == before


def test_generated_corpus(tmp_path):
    gen = ROOT / "benchmarks" / "gen_project.py"
    subprocess.run(
        [
            sys.executable,
            str(gen),
            "--objectives",
            "120",
            "--segments",
            "60",
            "--seed",
            "7",
            "-o",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    files = sorted(tmp_path.glob("*.strat"))
    assert len(files) >= 2
    for f in files:
        assert_proven(read_source(f), str(f))


# --------------------------------------------------------------------------- comments, one per position


def test_comment_before_a_block():
    out = fmt("""
        # about the segment
        segment a "A" { rule x }
    """)
    assert out == '# about the segment\nsegment a "A" { rule x }\n'


def test_comment_after_an_attribute_on_its_line():
    out = fmt("""
        segment a {
          rule x   # why x
          lifecycle growth
        }
    """)
    assert "  rule      x  # why x\n" in out
    assert_proven(out)


def test_comment_inside_an_empty_block():
    out = fmt("""
        segment a {
            # nothing yet
        }
    """)
    assert out == "segment a {\n  # nothing yet\n}\n"


def test_comment_after_open_brace_stays_there():
    out = fmt("""
        segment a {   # the first one
          rule x
          lifecycle growth
        }
    """)
    assert out.splitlines()[0] == "segment a {  # the first one"


def test_comment_at_end_of_file():
    out = fmt("""
        segment a { rule x }


        # the end
    """)
    assert out == "segment a { rule x }\n\n# the end\n"


def test_comment_before_an_item_inside_a_block():
    out = fmt("""
        segment a {
          rule x
            # the stage
          lifecycle growth
        }
    """)
    assert out == "segment a {\n  rule      x\n  # the stage\n  lifecycle growth\n}\n"


def test_comment_after_the_last_item_of_a_block():
    out = fmt("""
        segment a {
          rule x
          lifecycle growth
          # more to come
        }
    """)
    assert out.endswith("  lifecycle growth\n  # more to come\n}\n")


def test_comment_between_top_level_declarations():
    out = fmt("""
        event e "E"
        # between
        event f "F"
    """)
    assert out == 'event e "E"\n# between\nevent f "F"\n'


def test_comment_after_a_link_and_aligned_with_the_next():
    out = fmt("""
        a -> b -> c "why"   # first
        c -> d # second
    """)
    assert out == 'a -> b -> c "why"  # first\nc -> d             # second\n'


def test_comment_in_the_middle_of_a_multiline_rule():
    src = textwrap.dedent("""
        segment a {
          rule x and y   # about y
               and z     # about z
          lifecycle growth
        }
    """)
    out = assert_proven(src)
    assert "# about y" in out and "# about z" in out
    assert out.index("# about y") < out.index("# about z") < out.index("lifecycle")


def test_comment_after_closing_brace():
    out = fmt("""
        segment a {
          rule x
          lifecycle growth
        }   # closing
    """)
    assert out.endswith("}  # closing\n")


# --------------------------------------------------------------------------- canonical layout


def test_messy_input_becomes_canonical():
    messy = (
        'segment   young "Young"{rule payroll and(age between 22 and 35 or aum<5万);lifecycle   '
        'acquisition;estimate 12万;profile{needs "x" ;behavior "y"}}\n'
        'a->b->c   "label"\n'
    )
    out = format_text(messy)
    assert out == textwrap.dedent("""\
        segment young "Young" {
          rule      payroll and (age between 22 and 35 or aum < 5万)
          lifecycle acquisition
          estimate  12万
          profile {
            needs    "x"
            behavior "y"
          }
        }

        a -> b -> c "label"
    """)
    assert_proven(messy)


def test_parentheses_only_where_precedence_needs_them():
    out = fmt("""
        segment a { rule ((a and b)) or (c and not (d or e)) or (not f) }
        segment b { rule a and (b and c) }
        segment c { rule (a or b) or c }
    """)
    assert "rule a and b or c and not (d or e) or not f" in out
    assert "rule a and (b and c)" in out  # a nested group is kept: the AST differs without it
    assert "rule (a or b) or c" in out
    for text in (out,):
        assert_proven(text)


def test_literals_written_as_the_user_wrote_them():
    out = fmt("""
        play p { budget 1_000_000   control 10%  period 2026Q1..2026Q4  when event e within 30d }
        channel c { quiet 21:00..08:00  capacity 2万 per day  cap 2 per 30d }
    """)
    assert "budget  1_000_000" in out
    assert "period  2026Q1 .. 2026Q4" in out
    assert "when    event e within 30d" in out
    assert "quiet    21:00 .. 08:00" in out and "capacity 2万 per day" in out


def test_strings_requoted_with_minimal_escapes():
    out = fmt(r"""
        offer o { description "say \"hi\"\ttab \\ \u{4E2D}" }
    """)
    assert r'description "say \"hi\"\ttab \\ 中"' in out
    assert_proven(out)


def test_text_block_reindented_and_value_kept():
    src = 'script s {\n        channel phone\n  opening """\n          line one\n            indented\n\n          three\n        """\n}\n'
    before, _ = parse_text(src)
    out = assert_proven(src)
    assert '  opening """\n    line one\n      indented\n\n    three\n  """\n' in out
    after, _ = parse_text(out)
    assert before.decls[0].items[1].value.value == after.decls[0].items[1].value.value


def test_text_block_with_awkward_content():
    # quotes, backslashes, a line of blanks and common indentation made by escapes
    src = 'script s {\n  opening """\n    a \\"\\"\\" b \\\\ c\n    \\u{20}\\u{20}\n  """\n  pitch """\n    \\u{20}x\n    \\u{20}y\n  """\n}\n'
    before, _ = parse_text(src)
    assert before.decls[0].items[0].value.value == 'a """ b \\ c\n  '
    assert before.decls[0].items[1].value.value == " x\n y"
    assert_proven(src)


def test_alignment_of_names_fields_steps_and_perspectives():
    out = fmt("""
        schema customer { id string key
          age int
          risk_level enum(R1,R2) risk_tolerance
          email string optional }
        perspectives { financial "F"  learning "L" }
        play p { segment s  step 1 sms using a  step 2 phone_call using bb after 3d unless converted  control 10% }
    """)
    assert "  id         string       key\n" in out
    assert "  age        int\n" in out
    assert "  risk_level enum(R1, R2) risk_tolerance\n" in out
    assert '  financial "F"\n  learning  "L"\n' in out
    assert "  step 1  sms        using a\n" in out
    assert "  step 2  phone_call using bb after 3d unless converted\n" in out
    assert "  control 10%\n" in out


def test_long_rule_broken_before_operators():
    cond = " and ".join(f"field_{i} >= {i}" for i in range(12))
    out = fmt(f"segment a {{\n  rule {cond}\n  lifecycle growth\n}}\n")
    lines = out.splitlines()
    rule_lines = [ln for ln in lines if "field_" in ln]
    assert len(rule_lines) > 1
    assert all(len(ln) <= 100 for ln in rule_lines)
    assert all(ln.startswith(" " * 12 + "and ") for ln in rule_lines[1:])
    assert_proven(out)


def test_blank_lines_between_declarations():
    out = fmt("""
        import "a.strat"
        import "b.strat"
        segment a {
          rule x


          lifecycle growth
        }
        event e
        event f

        event g
    """)
    assert out == textwrap.dedent("""\
        import "a.strat"
        import "b.strat"

        segment a {
          rule      x

          lifecycle growth
        }

        event e
        event f

        event g
    """)


def test_empty_file_and_comments_only():
    assert format_text("") == ""
    assert format_text("\n\n  \n") == ""
    assert format_text("# one\n\n\n# two\n") == "# one\n\n# two\n"


def test_syntax_error_raises_with_diagnostics():
    with pytest.raises(FormatError) as e:
        format_text("segment a { rule x >= }\n", "bad.strat")
    assert e.value.diagnostics and e.value.diagnostics[0].code.startswith("SYN")


def test_deeply_nested_rule():
    rule = "(" * 150 + "a" + ")" * 150
    assert "rule not a and b }" in format_text(f"segment s {{ rule not {rule} and b }}\n")
    nested = "x"
    for i in range(100):
        nested = f"(v{i} or ({nested} and w{i}))"
    assert_proven(f"segment s {{ rule {nested} }}\n")


# --------------------------------------------------------------------------- the command

MESSY = "segment a {rule x;lifecycle growth}   # c\n"


def _run(args, input=None):
    return CliRunner().invoke(main, ["fmt", *args], input=input)


def test_cli_check_exit_codes(tmp_path):
    f = tmp_path / "a.strat"
    f.write_text(MESSY, "utf-8")
    r = _run(["--check", str(f)])
    assert r.exit_code == 1
    assert f"would reformat {f}" in r.output
    assert f.read_text("utf-8") == MESSY
    assert _run([str(f)]).exit_code == 0
    assert f.read_text("utf-8") != MESSY
    r = _run(["--check", str(f)])
    assert r.exit_code == 0 and "would reformat" not in r.output


def test_cli_diff(tmp_path):
    f = tmp_path / "a.strat"
    f.write_text(MESSY, "utf-8")
    r = _run(["--diff", str(f)])
    assert r.exit_code == 1
    assert "-segment a {rule x;lifecycle growth}   # c" in r.output
    assert "+  lifecycle growth" in r.output
    assert f.read_text("utf-8") == MESSY
    f.write_text(format_text(MESSY), "utf-8")
    r = _run(["--diff", str(f)])
    assert r.exit_code == 0 and "+++" not in r.output


def test_cli_stdin_to_stdout():
    r = _run(["-"], input=MESSY)
    assert r.exit_code == 0
    assert r.stdout == format_text(MESSY)
    r = _run(["--check", "-"], input=MESSY)
    assert r.exit_code == 1


def test_cli_syntax_error_exits_2_and_leaves_file(tmp_path):
    f = tmp_path / "bad.strat"
    bad = "segment a {   rule x >= }\n"
    f.write_text(bad, "utf-8")
    good = tmp_path / "good.strat"
    good.write_text(MESSY, "utf-8")
    r = _run([str(f), str(good)])
    assert r.exit_code == 2
    assert "SYN101" in r.stderr and "cannot format" in r.stderr
    assert f.read_text("utf-8") == bad
    assert good.read_text("utf-8") == format_text(MESSY)  # the other file is still formatted
    assert _run(["--check", str(f)]).exit_code == 2


def test_cli_missing_file_and_bad_bytes(tmp_path):
    r = _run([str(tmp_path / "nope.strat")])
    assert r.exit_code == 2 and "cannot read" in r.stderr
    f = tmp_path / "bin.strat"
    f.write_bytes(b"\xff\xfe\x00garbage")
    r = _run([str(f)])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_cli_folder_and_crlf(tmp_path):
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "x.strat"
    f.write_bytes(b'event e "E"\r\nevent f "F"\r\n')
    assert _run(["--check", str(tmp_path)]).exit_code == 1
    assert _run([str(tmp_path)]).exit_code == 0
    assert f.read_bytes() == b'event e "E"\nevent f "F"\n'


def test_cli_installed_entry_point(tmp_path):
    exe = Path(sys.executable).parent / "stratlang"
    f = tmp_path / "a.strat"
    f.write_text(MESSY, "utf-8")
    p = subprocess.run([str(exe), "fmt", "--check", str(f)], capture_output=True, text=True)
    assert p.returncode == 1 and "would reformat" in p.stderr


# --------------------------------------------------------------------------- issue 12 forms

REVIEW_FORMS = """\
strategy "经营回检" { mission "稳健增长"  vision "首选银行"  cadence quarterly  period 2026-01-01 .. 2028-12-31 }
objective F2 "营收增长" {
  perspective financial
  target revenue "销售收入" >= 5亿 by 2028-12-31 baseline 1亿 {   # 里程碑
    2026Q4 >= 2亿
    # 第二年
    2027-Q4 between 3亿 and 3.5亿   # 区间
    2028 >= 4亿
    cadence quarterly
    weight 2
    tolerance 15%
  }
  target roe "净资产收益率" between 15% and 20% by 2026-12-31
  target roi "投入产出比" >= 1:1.2
  target lever >= 5倍
  measure share "市场份额" { cadence monthly  weight 1 }
  measure nps
}
review roi_low "投入产出比偏低" { when F2.roi < 1:1.2 for 2 quarters; action "启动资源再分配"; owner "财务部" }
review revenue_check { when F2.revenue deviates 15%  action "启动战略评估" }
gap pension_gap "养老金融机会差距" { estimate 4亿  objectives F2, C1  initiatives I1 }
R1 ~> C1 "反馈"
a -> b ~> c
"""


def test_issue12_forms_are_proven():
    out = assert_proven(REVIEW_FORMS)
    assert out == fmt(out)


def test_target_body_layout_and_alignment():
    out = fmt(REVIEW_FORMS)
    assert (
        '  target      revenue "销售收入"     >= 5亿              by 2028-12-31 baseline 1亿 {'
        "  # 里程碑\n"
        "    2026Q4    >= 2亿\n"
        "    # 第二年\n"
        "    2027-Q4   between 3亿 and 3.5亿  # 区间\n"
        "    2028      >= 4亿\n"
        "    cadence   quarterly\n"
        "    weight    2\n"
        "    tolerance 15%\n"
        "  }\n"
        '  target      roe     "净资产收益率" between 15% and 20% by 2026-12-31\n'
        '  target      roi     "投入产出比"   >= 1:1.2\n'
        "  target      lever                  >= 5倍\n"
        '  measure     share "市场份额" {\n'
        "    cadence monthly\n"
        "    weight  1\n"
        "  }\n"
        "  measure     nps\n"
    ) in out


def test_review_gap_and_feedback_links_print_as_written():
    out = fmt(REVIEW_FORMS)
    assert "  when   F2.roi < 1:1.2 for 2 quarters\n" in out
    assert "review revenue_check {\n  when   F2.revenue deviates 15%\n" in out
    assert "  objectives  F2, C1\n" in out
    assert 'R1 ~> C1 "反馈"\na -> b ~> c\n' in out


def test_empty_and_commented_line_bodies_are_kept():
    out = fmt(
        """
        objective o {
          target t >= 5 {}  # x
          measure m {  # after the brace
          }
          measure n {
            # inside
          }
        }
        """
    )
    assert "target  t  >= 5 {}  # x\n" in out
    assert "  measure m {  # after the brace\n  }\n" in out
    assert "  measure n {\n    # inside\n  }\n" in out
    assert_proven(out)


def test_a_condition_without_a_count_then_the_next_item():
    out = assert_proven('review r {\n  when F2.x deviates 15%\n  action "a"\n}\n')
    assert out == 'review r {\n  when   F2.x deviates 15%\n  action "a"\n}\n'


def test_fmt_check_on_the_new_forms(tmp_path):
    p = tmp_path / "main.strat"
    p.write_text(REVIEW_FORMS, encoding="utf-8")
    assert _run(["--check", str(p)]).exit_code == 1
    assert _run([str(p)]).exit_code == 0
    assert _run(["--check", str(p)]).exit_code == 0
    assert p.read_text("utf-8") == format_text(REVIEW_FORMS)


@pytest.mark.parametrize(
    "path", sorted(ROOT.glob("examples/*/*.strat")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_examples_are_written_in_the_canonical_style(path):
    # the README's tour shows `fmt --check examples/bank_wealth/` finding nothing to change
    result = CliRunner().invoke(main, ["fmt", "--check", str(path)])
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- speed (issue 18)


def test_a_formatted_file_is_parsed_once_and_a_changed_one_is_proven(monkeypatch):
    import stratlang.fmt as fmt_module

    parsed: list[str] = []
    real = fmt_module._parse

    def counting(text, path):
        parsed.append(text)
        return real(text, path)

    monkeypatch.setattr(fmt_module, "_parse", counting)
    messy = 'strategy "s" {  owner "a"\n period 2026-01-01 .. 2026-12-31 }\n'
    clean = format_text(messy)
    assert len(parsed) == 2  # changed: the output is parsed again and compared
    parsed.clear()
    assert format_text(clean) == clean
    assert parsed == [clean]  # already formatted: output == input, nothing left to prove


@pytest.mark.parametrize(
    "text", ["", "plain ascii\t~", "客户目标", "e\u0301", "ｆｕｌｌ", "混合 mix"]
)
def test_display_width_is_the_sum_of_the_characters(text):
    from stratlang.source import char_width, display_width

    assert display_width(text) == sum(char_width(c) for c in text)


def test_an_enum_label_written_as_a_text_block_stays_one():
    # found by the fuzzer: the label was printed as "…", another tree, and formatting refused
    text = 'schema customer "x" {\n  channel enum(app """ a "" b """, wechat "微信") "偏好"\n}\n'
    out = format_text(text)
    assert structure(parse_text(out)[0]) == structure(parse_text(text)[0])
    assert '"""' in out and format_text(out) == out


def test_a_comment_inside_a_block_without_braces_follows_it():
    # found by the fuzzer: it went to the block's (absent) body and was lost
    out = format_text('event # c\n card_issued "Card issued"\n')
    assert out == 'event card_issued "Card issued"  # c\n' and format_text(out) == out
