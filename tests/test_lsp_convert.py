"""Code points (our spans) <-> UTF-16 code units (LSP positions), with Chinese text and emoji."""

from __future__ import annotations

from lsprotocol import types as lsp

from stratlang import diagnostics as dg
from stratlang.lsp.completion import block_kind, complete, declared_ids
from stratlang.lsp.convert import (
    line_col_at,
    offset_at,
    path_to_uri,
    span_range,
    to_lsp,
    uri_to_path,
)
from stratlang.source import SourceFile

TEXT = 'objective F1 "增长😀" { owner "部门" }\nsegment 年轻😀客群 "x" { rule age < 30 }\n'


def test_utf16_column_counts_astral_characters_twice():
    src = SourceFile("t.strat", TEXT)
    line1 = TEXT.splitlines()[0]
    col_brace = line1.index("{") + 1  # 1-based code-point column
    # 增长 are one unit each; 😀 is two: the brace is one unit further right than its code-point index
    assert src.utf16_column(1, col_brace) == line1.index("{") + 1
    assert src.utf16_column(1, 1) == 0
    line2 = TEXT.splitlines()[1]
    after = line2.index('"')  # code points before the quote
    assert (
        src.utf16_column(2, after + 1) == len(line2[:after].encode("utf-16-le")) // 2 == after + 1
    )


def test_column_from_utf16_round_trips_every_column():
    src = SourceFile("t.strat", TEXT)
    for line in (1, 2):
        text = src.line_text(line)
        for col in range(1, len(text) + 2):
            units = src.utf16_column(line, col)
            assert src.column_from_utf16(line, units) == col
            assert units == len(text[: col - 1].encode("utf-16-le")) // 2


def test_column_from_utf16_inside_a_surrogate_pair_and_past_the_end():
    src = SourceFile("t.strat", "a😀b")
    assert src.column_from_utf16(1, 1) == 2  # before the emoji
    assert src.column_from_utf16(1, 2) == 3  # between its two units: snaps past it
    assert src.column_from_utf16(1, 3) == 3  # b
    assert src.column_from_utf16(1, 99) == 4  # end of line (3 code points)


def test_span_to_range_and_back():
    src = SourceFile("t.strat", TEXT)
    start = TEXT.index("年轻😀客群")
    span = src.span(start, start + len("年轻😀客群"))
    r = span_range(span, src)
    assert r.start == lsp.Position(1, 8)
    assert r.end == lsp.Position(1, 8 + 6)  # 4 BMP characters (1 unit each) + one emoji (2 units)
    assert offset_at(src, r.start) == span.start and offset_at(src, r.end) == span.end
    assert line_col_at(src, r.end) == (span.end_line, span.end_column)
    assert offset_at(src, lsp.Position(99, 0)) == len(TEXT)


def test_diagnostic_conversion_keeps_code_severity_and_related():
    src = SourceFile("t.strat", TEXT)
    s1 = TEXT.index("F1")
    s2 = TEXT.index("年轻")
    d = dg.make(
        "NAM202",
        "`x` is declared twice",
        src.span(s2, s2 + 2),
        "again",
        labels=(dg.Label(src.span(s1, s1 + 2), "first declared here"),),
        help="rename one",
    )
    out = to_lsp(d, {"t.strat": src}, lambda f: "file:///p/" + f)
    assert out.code == "NAM202" and out.source == "stratlang"
    assert out.severity == lsp.DiagnosticSeverity.Error
    assert "help: rename one" in out.message
    (rel,) = out.related_information
    assert rel.message == "first declared here" and rel.location.uri == "file:///p/t.strat"
    assert rel.location.range.start == lsp.Position(0, 10)
    w = dg.make("MAP406", "no target", src.span(s1, s1 + 2))
    assert to_lsp(w, {"t.strat": src}, str).severity == lsp.DiagnosticSeverity.Warning


def test_uri_round_trip_with_spaces_and_chinese(tmp_path):
    p = tmp_path / "策略 图谱" / "main.strat"
    uri = path_to_uri(p)
    assert " " not in uri and uri.startswith("file:///")
    assert uri_to_path(uri) == p.resolve()


def test_block_kind_skips_strings_comments_and_closed_blocks():
    text = (
        'segment a "x {" { rule age < 3 }   # { not a brace\n'
        'script s "y" {\n  pitch "{{ customer.name }}"\n  \n'
    )
    assert block_kind(text, len(text) - 1) == "script"
    assert block_kind(text, 5) is None
    # an unclosed block ends where the next declaration starts at column 1
    text2 = "play p {\n  segment a\nsegment b {\n  "
    assert block_kind(text2, len(text2)) == "segment"


def test_complete_on_broken_text():
    text = "offer o1 { risk R2 }\nobjective F1 { perspective customer }\nplay p {\n  offer "
    ids = declared_ids([text])
    assert [c[0] for c in complete(text, len(text), ids)] == ["o1"]
    text = "objective F1 {\n  perspective "
    labels = [c[0] for c in complete(text, len(text), declared_ids([text]))]
    assert labels == ["customer", "financial", "learning", "process"]
    text = "F1 -> "
    assert [
        c[0]
        for c in complete(
            "objective F1 {}\n" + text,
            len("objective F1 {}\n" + text),
            declared_ids(["objective F1 {}"]),
        )
    ] == ["F1"]
