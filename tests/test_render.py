"""Diagnostic renderers: text frames, JSON envelope, SARIF, GitHub workflow commands."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from golden import check_golden

from stratlang.diagnostics import (
    CODES,
    Applicability,
    Diagnostics,
    Label,
    Severity,
    Suggestion,
    make,
)
from stratlang.render import FORMATS, render
from stratlang.render.github import escape_data, escape_property, render_github
from stratlang.render.json import render_json
from stratlang.render.sarif import render_sarif, sarif_log
from stratlang.render.text import render_text, summary_line, use_color
from stratlang.source import SourceFile, SourceMap, Span, display_width

WEALTH = "\n".join(["# filler"] * 57 + ["  segment  payroll_yuong", ""])


def source_map(*files: SourceFile) -> SourceMap:
    sm = SourceMap()
    for f in files:
        sm.add(f)
    return sm


def span_at(sf: SourceFile, line: int, column: int, end_line: int, end_column: int) -> Span:
    return sf.span(sf.offset(line, column), sf.offset(end_line, end_column))


def span_of(sf: SourceFile, needle: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = sf.text.index(needle, start + 1)
    return sf.span(start, start + len(needle))


def frame_rows(out: str, line: int) -> tuple[str, str]:
    """The source row for `line` and the underline row after it."""
    rows = out.split("\n")
    for i, row in enumerate(rows):
        if row.lstrip().startswith(f"{line} |"):
            return row, rows[i + 1]
    raise AssertionError(f"line {line} not in frame:\n{out}")


# --- text ---------------------------------------------------------------------------------------


def test_text_matches_spec_example():
    sf = SourceFile("wealth.strat", WEALTH)
    d = make(
        "NAM201",
        "undefined segment `payroll_yuong`",
        span_at(sf, 58, 12, 58, 25),
        "not defined",
        help="did you mean `payroll_young`? (defined at wealth.strat:31:9)",
    )
    out = render_text([d], source_map(sf), color=False, summary=False)
    assert out == (
        "error[NAM201]: undefined segment `payroll_yuong`\n"
        "  --> wealth.strat:58:12\n"
        "   |\n"
        "58 |   segment  payroll_yuong\n"
        "   |            ^^^^^^^^^^^^^ not defined\n"
        "   |\n"
        "   = help: did you mean `payroll_young`? (defined at wealth.strat:31:9)\n"
    )


@pytest.mark.parametrize("needle", ["bad_ref", "客群乙", "中"])
def test_carets_line_up_under_chinese_text(needle):
    text = 'segment 代发年轻 {\n  label "代发年轻客群" 中文 bad_ref 客群乙\n}\n'
    sf = SourceFile("zh.strat", text)
    span = span_of(sf, needle)
    out = render_text([make("NAM201", "undefined", span, "here")], source_map(sf), color=False)
    src_row, mark_row = frame_rows(out, 2)
    caret_at = mark_row.index("^")
    # The underline row is ASCII, so its string index is its display column.
    gutter = len("2 | ")
    line_text = sf.line_text(2)
    expected = gutter + display_width(line_text[: span.column - 1])
    assert caret_at == expected
    assert mark_row.count("^") == display_width(needle)
    assert (
        display_width(src_row[: src_row.index(needle)]) == caret_at
    )  # same column in the source row
    assert mark_row.endswith("^ here")


def test_tabs_expand_the_same_in_source_and_underline():
    sf = SourceFile("t.strat", "\tsegment\t中x\tname\n")
    out = render_text([make("NAM201", "m", span_of(sf, "name"), "l")], source_map(sf), color=False)
    src_row, mark_row = frame_rows(out, 1)
    assert "\t" not in out
    pos = mark_row.index("^")
    assert display_width(src_row[: src_row.index("name")]) == pos
    assert mark_row.count("^") == 4


def test_multiline_span_shows_first_and_last_line():
    sf = SourceFile("m.strat", "play p {\n  a 1\n  b 2\n  c 3\n}\nnext\n")
    start = sf.text.index("{")
    end = sf.text.index("}") + 1
    d = make("SYN102", "block", sf.span(start, end), "this block")
    out = render_text([d], source_map(sf), color=False, summary=False)
    assert "1 | play p {\n" in out
    assert "  |        ^\n" in out  # from `{` to the end of the first line
    assert "5 | }\n  | ^ this block\n" in out
    assert "...\n" in out  # lines 2-4 elided
    assert "6 |" not in out


def test_multiline_span_ending_after_newline_stops_at_line_end():
    sf = SourceFile("m.strat", "ab\ncd\n")
    out = render_text([make("SYN101", "m", sf.span(0, 6), "all")], source_map(sf), color=False)
    assert "2 | cd\n  | ^^ all\n" in out
    assert "3 |" not in out


def test_secondary_labels_same_file_and_other_file():
    a = SourceFile("a.strat", "segment x {}\nsegment x {}\n")
    b = SourceFile("lib/b.strat", "\n\nsegment y {}\n")
    d = make(
        "NAM202",
        "duplicate id `x`",
        span_of(a, "x", 1),
        "defined again",
        labels=[Label(span_of(a, "x"), "first defined here"), Label(span_of(b, "y"), "see also")],
        notes="ids are global across imports",
    )
    out = render_text([d], source_map(a, b), color=False, summary=False)
    assert out == (
        "error[NAM202]: duplicate id `x`\n"
        " --> a.strat:2:9\n"
        "  |\n"
        "1 | segment x {}\n"
        "  |         - first defined here\n"
        "2 | segment x {}\n"
        "  |         ^ defined again\n"
        "  |\n"
        " --> lib/b.strat:3:9\n"
        "  |\n"
        "3 | segment y {}\n"
        "  |         - see also\n"
        "  |\n"
        "  = note: ids are global across imports\n"
    )


def test_several_labels_on_one_line_get_connectors():
    sf = SourceFile("s.strat", "link alpha -> beta -> gamma\n")
    d = make(
        "MAP408",
        "m",
        span_of(sf, "alpha"),
        "from",
        labels=[Label(span_of(sf, "beta"), "via"), Label(span_of(sf, "gamma"), "to")],
    )
    out = render_text([d], source_map(sf), color=False, summary=False)
    assert (
        "1 | link alpha -> beta -> gamma\n"
        "  |      ^^^^^    ----    ----- to\n"
        "  |      |        |\n"
        "  |      |        via\n"
        "  |      from\n"
    ) in out


def test_span_outside_file_is_clamped_and_missing_files_do_not_crash():
    sf = SourceFile("short.strat", "one\n")
    empty = SourceFile("empty.strat", "")
    bogus = Span("short.strat", 500, 900, 40, 80, 41, 3)
    backwards = Span("short.strat", 3, 1, 1, 4, 1, 2)
    nowhere = Span("gone.strat", 0, 0, 1, 1, 1, 1)
    diags = [
        make("SYN104", "eof", bogus, "here"),
        make("SYN104", "eof", Span("empty.strat", 0, 5, 3, 3, 3, 9)),
        make("SYN101", "back", backwards),
        make("NAM206", "import not found", nowhere, "x"),
    ]
    out = render_text(diags, source_map(sf, empty), color=False)
    assert "--> short.strat:2:1" in out
    assert "--> gone.strat:1:1" in out
    assert "--> empty.strat:1:1" in out
    for fmt in FORMATS:
        render(diags, source_map(sf, empty), fmt)


def test_control_characters_are_shown_not_sent():
    sf = SourceFile("c.strat", "name \x1b[31mred\x07 \u202eevil\n")
    d = make("NAM201", "bad \x1b[2J message", span_of(sf, "red"), "lbl\x1b")
    out = render_text([d], source_map(sf), color=False)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    src_row, mark_row = frame_rows(out, 1)
    pos = mark_row.index("^")
    assert src_row[pos:].startswith("red")


def test_colour_codes_only_when_asked():
    sf = SourceFile("wealth.strat", WEALTH)
    d = make("MAP402", "downward link", span_at(sf, 58, 3, 58, 10), "here")
    plain = render_text([d], source_map(sf), color=False)
    coloured = render_text([d], source_map(sf), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


class _Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("value", ["1", "", "0"])
def test_no_color_is_respected_whatever_its_value(monkeypatch, value):
    monkeypatch.setenv("NO_COLOR", value)
    assert use_color(_Tty()) is False
    monkeypatch.setattr(sys, "stderr", _Tty())
    sf = SourceFile("a.strat", "x\n")
    assert "\x1b" not in render_text([make("SYN101", "m", sf.span(0, 1))], source_map(sf))


def test_colour_on_a_terminal_only(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert use_color(_Tty()) is True
    assert use_color(io.StringIO()) is False
    monkeypatch.setenv("TERM", "dumb")
    assert use_color(_Tty()) is False


def test_summary_line_wording():
    sf = SourceFile("a.strat", "x\n")
    sp = sf.span(0, 1)
    e, w, i = make("SYN101", "m", sp), make("MAP402", "m", sp), make("MAP409", "m", sp)
    assert summary_line([e, e, e, w]) == "error: 3 errors, 1 warning emitted"
    assert summary_line([w, w, i]) == "warning: 2 warnings, 1 info emitted"
    assert summary_line([i]) == "info: 1 info emitted"
    assert summary_line([]) == ""
    assert render_text([], source_map(sf), color=False) == ""
    assert render_text([e, w], source_map(sf), color=False).endswith(
        "\nerror: 1 error, 1 warning emitted\n"
    )


def test_golden_full_text_rendering():
    main = SourceFile(
        "wealth.strat",
        (
            "strategy 财富管理 {\n"
            "  period 2026-01-01..2026-12-31\n"
            "}\n"
            "\n"
            "segment payroll_young {\n"
            '  label "代发年轻客群"\n'
            "  rule  payroll and age in 22..35\n"
            "}\n"
            "\n"
            "play 代发激活 {\n"
            "  segment  payroll_yuong\n"
            "  step 1 { channel phone  script 开场白 }\n"
            "}\n"
        ),
    )
    lib = SourceFile("lib/channels.strat", "channel phone {\n  capacity 3%\n}\n")
    diags = Diagnostics()
    diags.add(
        make(
            "NAM201",
            "undefined segment `payroll_yuong`",
            span_of(main, "payroll_yuong"),
            "not defined",
            labels=[Label(span_of(main, "payroll_young"), "similar segment defined here")],
            help="did you mean `payroll_young`? (defined at wealth.strat:5:9)",
            suggestions=[Suggestion(span_of(main, "payroll_yuong"), "payroll_young")],
        )
    )
    diags.add(
        make(
            "TYP304",
            "a percentage does not fit `capacity`",
            span_of(lib, "3%"),
            "a percentage",
            labels=[Label(span_of(main, "phone"), "channel used here")],
            help="capacity is a count per day, e.g. `capacity 300`",
        )
    )
    diags.add(
        make(
            "PLY601",
            "step's channel differs from its script's channel",
            span_of(main, "开场白"),
            "script `开场白` is for `wechat`",
            labels=[Label(span_of(main, "phone", 0), "step channel")],
            notes="a script is written for one channel",
        )
    )
    diags.add(
        make(
            "SYN102",
            "this `{` is never closed",
            span_of(main, "{", 2).cover(span_of(main, "}", 2)),
            "block starts here",
            severity=Severity.ERROR,
        )
    )
    diags.add(
        make(
            "MAP409",
            "strategy map is unbalanced",
            span_of(main, "财富管理"),
            "",
            notes="the financial perspective has no growth objective",
        )
    )
    check_golden("render/full.txt", render_text(diags, source_map(main, lib), color=False))
    check_golden("render/full.ansi.txt", render_text(diags, source_map(main, lib), color=True))


# --- JSON ---------------------------------------------------------------------------------------


def test_json_envelope_fields_and_cjk_byte_offsets():
    sf = SourceFile("zh.strat", "label 中文 bad\nx\n")
    span = span_of(sf, "bad")
    assert span.start == 9
    d = make(
        "NAM201",
        "undefined",
        span,
        "not defined",
        help="h",
        notes=("n1", "n2"),
        labels=[Label(span_of(sf, "中文"), "chinese")],
        suggestions=[Suggestion(span, "good", "use good", Applicability.MAYBE_INCORRECT)],
    )
    w = make("MAP402", "down", span_of(sf, "x"))
    doc = json.loads(render_json([d, w], source_map(sf)))
    assert list(doc) == ["format_version", "valid", "error_count", "warning_count", "diagnostics"]
    assert doc["format_version"] == 1 and doc["valid"] is False
    assert doc["error_count"] == 1 and doc["warning_count"] == 1
    first = doc["diagnostics"][0]
    assert list(first) == [
        "code",
        "severity",
        "message",
        "range",
        "labels",
        "notes",
        "help",
        "suggestions",
    ]
    assert first["code"] == "NAM201" and first["severity"] == "error"
    rng = first["range"]
    assert rng["file"] == "zh.strat"
    # `中文` is 2 code points but 6 UTF-8 bytes: everything after it is 4 bytes further on.
    assert rng["start"] == {"line": 1, "column": 10, "byte_offset": span.start + 4}
    assert rng["end"] == {"line": 1, "column": 13, "byte_offset": span.end + 4}
    assert [lb["primary"] for lb in first["labels"]] == [True, False]
    assert first["labels"][1]["range"]["start"]["byte_offset"] == 6
    assert first["labels"][1]["range"]["end"]["byte_offset"] == 12
    assert first["notes"] == ["n1", "n2"] and first["help"] == ["h"]
    assert first["suggestions"] == [
        {
            "range": rng,
            "replacement": "good",
            "message": "use good",
            "applicability": "maybe_incorrect",
        }
    ]
    assert doc["diagnostics"][1]["severity"] == "warning"
    # `strict`: warnings make the document invalid too.
    assert json.loads(render_json([w], source_map(sf)))["valid"] is True
    assert json.loads(render_json([w], source_map(sf), strict=True))["valid"] is False


def test_json_is_valid_with_no_files_and_no_diagnostics():
    missing = make("NAM206", "file not found: `nope.strat`", Span("nope.strat", 0, 0, 1, 1, 1, 1))
    doc = json.loads(render([missing], SourceMap(), "json"))
    assert doc["valid"] is False and doc["error_count"] == 1
    assert doc["diagnostics"][0]["range"]["start"] == {"line": 1, "column": 1, "byte_offset": None}
    empty = json.loads(render([], None, "json"))
    assert empty == {
        "format_version": 1,
        "valid": True,
        "error_count": 0,
        "warning_count": 0,
        "diagnostics": [],
    }


def test_json_is_deterministic_and_sorts_a_collector():
    sf = SourceFile("a.strat", "a\nb\n")
    coll = Diagnostics()
    coll.add(make("SYN101", "second", sf.span(2, 3)))
    coll.add(make("SYN101", "first", sf.span(0, 1)))
    coll.add(make("SYN101", "first", sf.span(0, 1)))
    out = render_json(coll, source_map(sf))
    assert out == render_json(coll, source_map(sf))
    assert [d["message"] for d in json.loads(out)["diagnostics"]] == ["first", "second"]


# --- SARIF --------------------------------------------------------------------------------------


def test_sarif_structure_and_every_code_is_a_rule(tmp_path):
    root = tmp_path / "proj"
    (root / "sub").mkdir(parents=True)
    sf = SourceFile("sub/策略 1.strat", "segment x {}\n", abspath=root / "sub" / "策略 1.strat")
    d = make(
        "NAM202",
        "dup",
        span_of(sf, "x"),
        "again",
        labels=[Label(span_of(sf, "segment"), "first")],
        suggestions=[Suggestion(span_of(sf, "x"), "y", "rename")],
    )
    w = make("MAP406", "no target", span_of(sf, "{}"))
    i = make("MAP410", "big", span_of(sf, "segment"))
    log = json.loads(render_sarif([d, w, i], source_map(sf), root=root))
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "stratlang" and isinstance(driver["version"], str)
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(CODES)
    for r in rules:
        assert r["shortDescription"]["text"] == CODES[r["id"]][1]
        assert r["fullDescription"]["text"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["NAM202", "MAP406", "MAP410"]
    assert [r["level"] for r in results] == ["error", "warning", "note"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["message"]["text"]
    loc = results[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {
        "uri": "sub/%E7%AD%96%E7%95%A5%201.strat",
        "uriBaseId": "%SRCROOT%",
    }
    assert loc["region"] == {"startLine": 1, "startColumn": 9, "endLine": 1, "endColumn": 10}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/proj/")
    assert run["columnKind"] == "unicodeCodePoints"
    assert results[0]["relatedLocations"][0]["message"]["text"] == "first"
    fix = results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert fix["insertedContent"] == {"text": "y"}


def test_sarif_relative_uri_from_absolute_display_path(tmp_path):
    path = tmp_path / "a.strat"
    sf = SourceFile(str(path), "x\n")
    log = sarif_log([make("SYN101", "m", sf.span(0, 1))], source_map(sf), root=tmp_path)
    assert (
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "a.strat"
    )
    # Without a root the display path is used as is, and an absolute one becomes a file URI.
    log = sarif_log([make("SYN101", "m", sf.span(0, 1))], source_map(sf))
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ].startswith("file:")


def test_sarif_rules_carry_the_explanations():
    from stratlang.explain import explanation

    rules = {r["id"]: r for r in sarif_log([])["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["NAM201"]["fullDescription"]["text"] == explanation("NAM201")
    assert rules["NAM201"]["shortDescription"]["text"] == CODES["NAM201"][1]


def test_sarif_uncatalogued_code_gets_a_rule():
    d = make("SYN101", "file not found", Span("x.strat", 0, 0, 1, 1, 1, 1))
    d = type(d)("IO001", Severity.ERROR, "file not found", d.span)
    log = sarif_log([d], SourceMap())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    result = log["runs"][0]["results"][0]
    assert rules[result["ruleIndex"]]["id"] == "IO001"
    assert len(rules) == len(CODES) + 1


# --- GitHub -------------------------------------------------------------------------------------


def test_github_annotation_form():
    sf = SourceFile("wealth.strat", WEALTH)
    d = make(
        "NAM201", "undefined segment `payroll_yuong`", span_at(sf, 58, 12, 58, 25), "not defined"
    )
    w = make("MAP402", "down", span_at(sf, 58, 3, 58, 10))
    i = make("MAP409", "unbalanced", span_at(sf, 1, 1, 1, 2))
    out = render_github([d, w, i], source_map(sf))
    lines = out.splitlines()
    assert lines[0] == (
        "::error file=wealth.strat,line=58,endLine=58,col=12,endColumn=25,"
        "title=NAM201::undefined segment `payroll_yuong`"
    )
    assert lines[1].startswith("::warning file=wealth.strat,") and lines[1].endswith(
        "title=MAP402::down"
    )
    assert lines[2].startswith("::notice ")
    assert out.endswith("\n") and len(lines) == 3


def test_github_escapes():
    assert escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    sf = SourceFile("dir:x/a,b%.strat", "x\n")
    d = make("SYN101", "100% bad,\nvery: bad", sf.span(0, 1), help="fix it")
    line = render_github([d], source_map(sf))
    assert line.count("\n") == 1
    assert "file=dir%3Ax/a%2Cb%25.strat," in line
    assert line.endswith("::100% bad,%0Avery: bad%0Ahelp: fix it\n".replace("100%", "100%25"))


# --- dispatch -----------------------------------------------------------------------------------


def test_render_dispatch_and_unknown_format():
    sf = SourceFile("a.strat", "x\n")
    d = [make("SYN101", "m", sf.span(0, 1))]
    assert FORMATS == ("text", "json", "sarif", "github")
    assert render(d, source_map(sf), "text", color=False).startswith("error[SYN101]: m")
    assert json.loads(render(d, source_map(sf), "json"))["error_count"] == 1
    assert json.loads(render(d, source_map(sf), "sarif"))["version"] == "2.1.0"
    assert render(d, source_map(sf), "github").startswith("::error ")
    with pytest.raises(ValueError):
        render(d, source_map(sf), "xml")


def test_render_is_fast_enough_for_many_diagnostics():
    sf = SourceFile(
        "big.strat", "".join(f'segment s{i} {{ label "客群{i}" }}\n' for i in range(3000))
    )
    diags = [make("SEG504", "unused", span_at(sf, i, 9, i, 12), "here") for i in range(1, 3001)]
    for fmt in FORMATS:
        assert render(diags, source_map(sf), fmt, color=True)


def test_root_path_type_accepted(tmp_path):
    sf = SourceFile("a.strat", "x\n", abspath=Path(tmp_path) / "a.strat")
    out = render([make("SYN101", "m", sf.span(0, 1))], source_map(sf), "github", root=str(tmp_path))
    assert "file=a.strat," in out


def test_root_rebases_every_path_in_every_format(tmp_path):
    # the CLI passes the repository root: a file below it is shown from there in every format
    # (labels and suggestions too); a file outside it gets its absolute path
    repo = tmp_path / "repo"
    inside = SourceFile("plays.strat", "segment x {}\n", abspath=repo / "sub" / "plays.strat")
    outside = SourceFile("../o.strat", "segment y {}\n", abspath=tmp_path / "o.strat")
    d = make(
        "NAM202",
        "duplicate",
        inside.span(8, 9),
        "here",
        labels=[Label(outside.span(8, 9), "first")],
        suggestions=[Suggestion(inside.span(8, 9), "z", "rename")],
        help="did you mean `y`? (defined at plays.strat:1:9)",
        notes=("as in old/plays.strat:2:1, in plays.strat's folder",),
    )
    sources = source_map(inside, outside)
    text = render([d], sources, "text", root=repo, color=False)
    assert "--> sub/plays.strat:1:9" in text and f"--> {tmp_path / 'o.strat'}:1:9" in text
    # a position in words moves with its file; another file's name, or the name alone, does not
    assert "(defined at sub/plays.strat:1:9)" in text
    assert "as in old/plays.strat:2:1, in plays.strat's folder" in text
    doc = json.loads(render([d], sources, "json", root=repo))["diagnostics"][0]
    assert doc["range"]["file"] == "sub/plays.strat"
    assert doc["range"]["start"]["byte_offset"] == 8  # the source is still found under its new name
    assert doc["suggestions"][0]["range"]["file"] == "sub/plays.strat"
    assert "file=sub/plays.strat," in render([d], sources, "github", root=repo)
    sarif = json.loads(render([d], sources, "sarif", root=repo))["runs"][0]["results"][0]
    assert sarif["relatedLocations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": (tmp_path / "o.strat").as_uri()
    }
    # the caller's diagnostics and sources are left as they were
    assert d.span.file == "plays.strat" and sources.get("plays.strat") is inside
    # run from the root, the paths are already the root's: nothing moves
    here = SourceFile("sub/p.strat", "segment x {}\n", abspath=repo / "sub" / "p.strat")
    e = make("SEG504", "unused", here.span(8, 9), "here", help="see sub/p.strat:1:9")
    assert render([e], source_map(here), "text", root=repo, color=False) == render(
        [e], source_map(here), "text", color=False
    )


def test_json_byte_offsets_agree_with_source_file():
    from stratlang.render.json import ByteOffsets

    sf = SourceFile("a.strat", "ab 中文\n\n😀x é\t末\n")
    index = ByteOffsets(source_map(sf))
    for offset in range(len(sf.text) + 1):
        assert index(sf, offset) == sf.byte_offset(offset) == len(sf.text[:offset].encode("utf-8"))


def test_random_spans_and_text_never_crash():
    import random

    rng = random.Random(7)
    alphabet = "ab \t\n中文\u0301\x00\x1b{}%:,\u202e😀"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        sf = SourceFile(rng.choice(["a.strat", "中.strat", "x:y,z%.strat"]), text)

        def any_span():
            if rng.random() < 0.5:
                a = rng.randint(0, len(text))
                return sf.span(a, rng.randint(a, len(text)))
            return Span(
                rng.choice([sf.path, "missing.strat"]), *(rng.randint(-3, 60) for _ in range(6))
            )

        d = make(
            rng.choice(list(CODES)),
            "m",
            any_span(),
            rng.choice(["", "x\ny"]),
            labels=[Label(any_span(), "s") for _ in range(rng.randint(0, 3))],
            suggestions=[Suggestion(any_span(), "r")],
        )
        for fmt in FORMATS:
            assert render([d], source_map(sf), fmt, color=rng.random() < 0.5)


# --- the machine documents agree with the exit code (through the real CLI) ----------------------

# what each project reports: nothing, an info only (MAP409), a warning only (MAP406), both, an error
# (edits of test_check_map's clean, balanced map)
UNBALANCED = ("  theme       productivity\n", "  theme       growth\n")
UNMEASURED = ('  target cert "Certified staff" >= 90% by 2026-06-30\n', "")
BROKEN = ("  perspective learning\n", "  perspective learning\n  bogus 1\n")
PROJECTS = {
    "clean": (),
    "info": (UNBALANCED,),
    "warning": (UNMEASURED,),
    "both": (UNBALANCED, UNMEASURED),
    "error": (BROKEN,),
}
LEVELS = {"error": 2, "warning": 1, "info": 0}  # severity ranks, highest first
WORST = {"clean": None, "info": "info", "warning": "warning", "both": "warning", "error": "error"}
FLAGS = [
    [],
    ["--strict"],
    ["--fail-level", "error"],
    ["--fail-level", "warning"],
    ["--fail-level", "info"],
    ["--strict", "--fail-level", "error"],
    ["--strict", "--fail-level", "warning"],
    ["--strict", "--fail-level", "info"],
]


def _check_cli(*args, subprocess_run: bool = False):
    """`stratlang check ARGS` -> (exit code, stdout, stderr): the real command, in this process
    (the matrix below is 120 runs) or, with `subprocess_run`, as the installed executable."""
    import os
    import subprocess

    if subprocess_run:
        env = dict(os.environ, NO_COLOR="1")
        env.pop("CI", None)
        r = subprocess.run(
            [str(Path(sys.executable).parent / "stratlang"), "check", *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        return r.returncode, r.stdout, r.stderr
    from click.testing import CliRunner

    from stratlang.cli import _register, main

    _register()
    r = CliRunner().invoke(main, ["check", *map(str, args)], env={"NO_COLOR": "1"})
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.stdout, r.stderr


def _map_project(tmp_path: Path, kind: str) -> Path:
    from conftest import BASE
    from test_check_map import INITIATIVE, LINKS, OBJECTIVES, THEMES

    objectives = OBJECTIVES
    for old, new in PROJECTS[kind]:
        assert old in objectives
        objectives = objectives.replace(old, new)
    f = tmp_path / kind / "main.strat"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(BASE + THEMES + objectives + LINKS + INITIATIVE, encoding="utf-8")
    return f


@pytest.mark.parametrize("kind", list(PROJECTS))
def test_cli_json_valid_and_sarif_exit_code_agree_with_the_exit_code(tmp_path, kind):
    f = _map_project(tmp_path, kind)
    doc = json.loads(_check_cli(f, "--format", "json")[1])
    severities = {d["severity"] for d in doc["diagnostics"]}
    worst = max(severities, key=LEVELS.get, default=None)
    assert worst == WORST[kind], doc["diagnostics"]  # the project says what it was made to say
    for flags in FLAGS:
        level = flags[flags.index("--fail-level") + 1] if "--fail-level" in flags else "error"
        if "--strict" in flags and level == "error":
            level = "warning"
        expected = 1 if worst is not None and LEVELS[worst] >= LEVELS[level] else 0
        code, out, err = _check_cli(f, "--format", "json", *flags)
        assert code == expected, (flags, err)
        assert json.loads(out)["valid"] is (expected == 0), flags
        code, out, err = _check_cli(f, "--format", "sarif", *flags)
        assert code == expected, (flags, err)
        [invocation] = json.loads(out)["runs"][0]["invocations"]
        assert invocation == {"executionSuccessful": True, "exitCode": expected}, flags
        code, out, _ = _check_cli(f, "--format", "github", *flags)
        assert code == expected, flags
        assert (out == "") is (worst is None)


def test_cli_strict_json_on_warnings_is_invalid_and_exits_1(tmp_path):
    # the reported case, through the installed executable
    f = _map_project(tmp_path, "warning")
    code, out, _ = _check_cli(f, "--strict", "--format", "json", subprocess_run=True)
    assert code == 1 and json.loads(out)["valid"] is False
    code, out, _ = _check_cli(f, "--format", "json", subprocess_run=True)
    assert code == 0 and json.loads(out)["valid"] is True


def test_cli_fatal_sarif_records_exit_code_2(tmp_path):
    code, out, _ = _check_cli(tmp_path / "missing.strat", "--format", "sarif")
    assert code == 2
    [invocation] = json.loads(out)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2


def test_render_fail_level_matches_the_exit_rule():
    sf = SourceFile("a.strat", "x\ny\n")
    w = make("MAP406", "no target", span_of(sf, "x"))
    i = make("MAP409", "unbalanced", span_of(sf, "y"))
    valid = {
        level: json.loads(render([w, i], source_map(sf), "json", fail_level=level))["valid"]
        for level in ("error", "warning", "info")
    }
    assert valid == {"error": True, "warning": False, "info": False}
    assert json.loads(render([i], source_map(sf), "json", fail_level="warning"))["valid"] is True
    assert (
        json.loads(render([i], source_map(sf), "json", strict=True, fail_level="info"))["valid"]
        is False
    )
    assert (
        "invocations" not in sarif_log([w], source_map(sf))["runs"][0]
    )  # only when the caller gives a rule
    with pytest.raises(ValueError, match="unknown fail level"):
        render([w], source_map(sf), "json", fail_level="fatal")
