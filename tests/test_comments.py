"""Comments: kept by the parser and attached to the AST as leading, trailing or dangling, each
comment exactly once (the formatter and the language server rely on it)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from stratlang.source import SourceFile
from stratlang.syntax import ast
from stratlang.syntax.parser import parse_source

DATA = Path(__file__).resolve().parent / "data" / "spec_example"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def parse(text: str):
    return parse_source(SourceFile("c.strat", text))


def parse_ok(text: str) -> ast.File:
    f, diags = parse(text)
    assert diags == [], [(d.code, d.span.line, d.message) for d in diags]
    assert_each_comment_once(f)
    return f


def collect_comments(node) -> list[ast.Comment]:
    """Every comment attached anywhere in the tree (leading, trailing, dangling, at any depth)."""
    out: list[ast.Comment] = []

    def walk(x):
        if isinstance(x, ast.Comment):
            out.append(x)
        elif isinstance(x, tuple):
            for y in x:
                walk(y)
        elif dataclasses.is_dataclass(x) and not isinstance(x, type):
            for f in dataclasses.fields(x):
                if isinstance(x, ast.File) and f.name == "comments":
                    continue  # the file's full list, not an attachment
                walk(getattr(x, f.name))

    walk(node)
    return out


def assert_each_comment_once(f: ast.File) -> None:
    attached = collect_comments(f)
    assert Counter(attached) == Counter(f.comments)
    assert len(attached) == len(f.comments)
    assert list(f.comments) == sorted(f.comments, key=lambda c: c.span.start)


def texts(comments) -> list[str]:
    return [c.text for c in comments]


def test_leading_comment_before_a_block():
    f = parse_ok("# about s\n# more\nsegment s { rule a }\n")
    (s,) = f.decls
    assert texts(s.leading) == ["# about s", "# more"]
    assert s.trailing == () and s.dangling == () and f.dangling == ()


def test_trailing_comment_after_an_attribute():
    f = parse_ok("segment s {\n  rule a   # the rule\n  estimate 3\n}\n")
    rule, est = f.decls[0].items
    assert texts(rule.trailing) == ["# the rule"] and rule.leading == ()
    assert est.leading == () and est.trailing == ()
    c = rule.trailing[0]
    assert (c.span.line, c.span.column, c.span.end_column) == (2, 12, 22)


def test_item_leading_comment_on_its_own_line():
    f = parse_ok("segment s {\n  rule a\n  # why the estimate\n  estimate 3\n}\n")
    rule, est = f.decls[0].items
    assert texts(est.leading) == ["# why the estimate"] and rule.trailing == ()


def test_dangling_comment_in_an_empty_block():
    f = parse_ok("offer o {\n  # nothing yet\n}\n")
    (o,) = f.decls
    assert o.items == () and texts(o.dangling) == ["# nothing yet"]


def test_dangling_comment_at_end_of_file():
    f = parse_ok("event e\n\n# the end\n")
    assert texts(f.dangling) == ["# the end"] and f.decls[0].trailing == ()


def test_comment_only_file():
    f = parse_ok("# just a note\n# and another")
    assert f.decls == () and texts(f.dangling) == ["# just a note", "# and another"]


def test_block_dangling_after_the_last_item():
    f = parse_ok("segment s {\n  rule a\n  # closing remark\n}\n")
    (s,) = f.decls
    assert texts(s.dangling) == ["# closing remark"] and s.items[0].trailing == ()


def test_trailing_comments_of_declarations():
    f = parse_ok(
        'event e "E"   # an event\nimport "x.strat" # import\na -> b  # link\nsegment s { rule a } # seg\n'
    )
    assert [texts(d.trailing) for d in f.decls] == [
        ["# an event"],
        ["# import"],
        ["# link"],
        ["# seg"],
    ]


def test_trailing_comment_on_the_closing_brace_line():
    f = parse_ok("segment s {\n  rule a\n} # done\nevent e\n")
    s, e = f.decls
    assert texts(s.trailing) == ["# done"] and e.leading == ()


def test_comments_in_sub_blocks_and_rules():
    f = parse_ok(
        'segment s {\n  profile {\n    # who\n    needs "x"  # what\n    # end of profile\n  }\n'
        "  rule a and   # first\n       b       # second\n}\n"
    )
    profile, rule = f.decls[0].items
    assert texts(profile.items[0].leading) == ["# who"]
    assert texts(profile.items[0].trailing) == ["# what"]
    assert texts(profile.dangling) == ["# end of profile"]
    assert texts(rule.trailing) == ["# first", "# second"]


def test_comment_markers_inside_strings_are_not_comments():
    f = parse_ok(
        'theme t { color "#2b6cb0" }  # real\nscript s { pitch """\n  # not a comment\n""" }\n'
    )
    assert texts(f.comments) == ["# real"]


def test_comment_text_keeps_content_and_drops_trailing_blanks():
    f = parse_ok("# 中文注释 with spaces   \nevent e")
    (c,) = f.comments
    assert c.text == "# 中文注释 with spaces"
    assert (c.span.line, c.span.column) == (1, 1)


def test_comments_with_semicolons_and_items_on_one_line():
    f = parse_ok("segment s { rule a; estimate 3 } # one line\n")
    assert texts(f.decls[0].trailing) == ["# one line"]


@pytest.mark.parametrize(
    "path",
    [DATA / "wealth.strat", DATA / "channels.strat", *sorted(EXAMPLES.glob("**/*.strat"))],
    ids=lambda p: p.name,
)
def test_every_comment_of_real_files_is_attached_once(path):
    text = path.read_text("utf-8")
    f = parse_ok(text)
    assert len(f.comments) == text.count("#") - sum(s.count("#") for s in _strings(f))


def _strings(f):
    out = []

    def walk(x):
        if isinstance(x, ast.Str):
            out.append(x.value)
        elif isinstance(x, tuple):
            for y in x:
                walk(y)
        elif (
            dataclasses.is_dataclass(x)
            and not isinstance(x, type)
            and not isinstance(x, ast.Comment)
        ):
            for fl in dataclasses.fields(x):
                walk(getattr(x, fl.name))

    walk(f.decls)
    return out


def test_spec_example_attachment():
    f = parse_ok((DATA / "wealth.strat").read_text("utf-8"))
    strategy, imp, persp = f.decls[:3]
    assert texts(strategy.leading) == [
        "# 财富客户经营策略图谱 2026 — one project may span several files via `import`."
    ]
    assert texts(imp.trailing) == ["# path relative to this file, never outside the project root"]
    # a comment on the `{` line is inside the block: it leads the first item
    assert texts(persp.items[0].leading) == [
        "# optional; these four, top to bottom, are the default"
    ]
    links = [d for d in f.decls if isinstance(d, ast.Link)]
    assert texts(links[0].trailing) == ["# cause -> effect; chains allowed"]
    assert texts(links[1].trailing) == ["# optional label"]
    channels = parse_ok((DATA / "channels.strat").read_text("utf-8"))
    cap = next(i for i in channels.decls[0].items if i.name.name == "cap")
    assert texts(cap.trailing) == ["# at most 2 contacts per customer in any 30 days"]


def test_comments_survive_syntax_errors():
    text = (
        "# lead a\nsegment a { rule x }\n"
        "# lead bad\nsegment bad {\n  rule age >   # broken here\n  # after the error\n}\n"
        "# lead c\nsegment c { rule y } # trail c\n# end\n"
    )
    f, diags = parse(text)
    assert [d.code for d in diags] == ["SYN101"]
    assert texts(f.comments) == [
        "# lead a",
        "# lead bad",
        "# broken here",
        "# after the error",
        "# lead c",
        "# trail c",
        "# end",
    ]
    assert_each_comment_once(f)
    a, c = f.decls
    assert texts(a.leading) == ["# lead a"] and texts(c.trailing) == ["# trail c"]
    assert texts(f.dangling) == ["# end"]


def test_comments_survive_an_unclosed_brace_and_deep_nesting():
    text = "segment s {\n  # inside\n  rule a\n# tail\n"
    f, diags = parse(text)
    assert [d.code for d in diags] == ["SYN102"]
    assert texts(f.comments) == ["# inside", "# tail"]
    assert_each_comment_once(f)
    text = "# before\nsegment deep { rule " + "not " * 300 + "a }  # after\n"
    f, diags = parse(text)
    assert [d.code for d in diags] == ["SYN101"]
    assert texts(f.comments) == ["# before", "# after"]
    assert_each_comment_once(f)
