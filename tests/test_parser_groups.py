"""Long files are parsed in groups of statements: an error costs a re-parse of its group only.
The grouping must never change what a file means or which errors it reports."""

from __future__ import annotations

from stratlang import parse_text
from stratlang.syntax import recovery


def block(i: int) -> str:
    return (
        f"# objective number {i}\n"
        f'objective O{i} "Objective {i}" {{\n  perspective financial\n  owner "team {i}"\n'
        f'  target t{i} "T" >= {i}% by 2026-12-31\n}}\n'
    )


def long_text(n: int = 400) -> str:
    return "\n".join(block(i) for i in range(n))


def test_long_text_is_cut_into_groups_at_clean_boundaries():
    text = long_text()
    groups = recovery.groups(text)
    assert len(groups) > 3
    assert groups[0][0] == 0 and groups[-1][1] == len(text)
    for (a, b), (c, d) in zip(groups, groups[1:]):
        assert b == c
        assert text[c:].startswith("# objective") or text[c:].startswith("objective")


def test_grouped_parse_equals_single_parse():
    text = long_text()
    f, diags = parse_text(text)
    assert diags == []
    assert [d.id.name for d in f.decls] == [f"O{i}" for i in range(400)]
    assert len(f.comments) == 400
    assert all(
        d.leading and d.leading[0].text == f"# objective number {i}" for i, d in enumerate(f.decls)
    )


def test_errors_in_different_groups_all_reported_and_others_kept():
    blocks = [block(i) for i in range(400)]
    blocks[10] = blocks[10].replace('owner "team 10"', "owner")  # missing value, early group
    blocks[390] = blocks[390].replace(
        "perspective financial", "perspective financial }"
    )  # late group
    text = "\n".join(blocks)
    f, diags = parse_text(text)
    errors = [d for d in diags if d.severity == 2]
    lines = [d.span.line for d in errors]
    assert len(errors) == 2, [(d.code, d.span.line, d.message) for d in errors]
    assert lines[0] == text[: text.index("objective O10 ")].count("\n") + 4
    assert len(f.decls) == 398


def test_statement_continuing_across_a_cut_is_not_an_error():
    # a link chain continued on the next line, `B -> C` starting the line: a cut candidate
    text = long_text(60)
    pad = len(text)
    saved = recovery.GROUP_CHARS
    try:
        recovery.GROUP_CHARS = pad + 3  # the first cut falls between `O1 ->` and `O2 -> O3`
        assert recovery.groups(text + "\nO1 ->\nO2 -> O3\n" + "x" * pad)[1][0] == pad + len(
            "\nO1 ->\n"
        )
        text2 = text + "\nO1 ->\nO2 -> O3\n" + long_text(60).replace("O", "Q")
        f, diags = parse_text(text2)
    finally:
        recovery.GROUP_CHARS = saved
    assert diags == []
    links = [d for d in f.decls if d.__class__.__name__ == "Link"]
    assert [tuple(n.name for n in lk.chain) for lk in links] == [("O1", "O2", "O3")]
