"""Text on the maps: line breaking (kinsoku), measured widths, escaping that survives any label,
and text that fits its box in the SVG Graphviz draws (checked from the SVG's geometry).

The fuzzed labels and the rendered examples go through the real `dot`; the widths come from the
font file (Noto Sans CJK SC, fonts-noto-cjk), as the maps measure them.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import BASE, EXAMPLES
from svg_geometry import overflows
from test_maps import model_of
from test_playbook_browser import CHROMIUM, chromium
from test_review_report import BANK, bank_review

from stratlang.backends import text_metrics as tm
from stratlang.backends.base import Options
from stratlang.backends.dot import DEFAULT_FONT, render_dot, render_image, run_dot, wrap, xml
from stratlang.backends.review_map import review_map_svg
from stratlang.check import check_entry

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
needs_font = pytest.mark.skipif(
    tm.font_metrics(DEFAULT_FONT) is None, reason=f"{DEFAULT_FONT} is not installed"
)
EXAMPLE_ENTRIES = sorted(EXAMPLES.glob("*/main.strat"))
# the examples and the 22-objective 2-3-4-3 manufacturer map (kind sub-headings, value proposition)
MAP_ENTRIES = [*EXAMPLE_ENTRIES, EXAMPLES.parent / "tests" / "data" / "manufacturer" / "main.strat"]

# ---------------------------------------------------------------- line breaking

OPENING = "（《「『【〈([{"
CLOSING = "、，。；：！？）》」』】〉,.;:!?)]}"


def test_no_line_starts_with_closing_punctuation_or_ends_with_an_opening_bracket():
    rng = random.Random(15)
    words = ["客户", "经营", "资产", "提升", "Grow", "AUM", "ROE", "12%", "1.2亿", "价值主张"]

    def word() -> str:  # a word, maybe in brackets, maybe followed by punctuation
        text = rng.choice(words)
        if rng.random() < 0.3:
            text = rng.choice(OPENING) + text + rng.choice(CLOSING)
        if rng.random() < 0.3:
            text += rng.choice(CLOSING)
        return text + rng.choice(["", "", " "])

    for _ in range(400):
        text = "".join(word() for _ in range(rng.randint(1, 15)))
        for limit in (12, 16, 22, 30):
            lines = wrap(text, limit)
            assert "".join(lines).replace(" ", "") == "".join(text.split()), (text, lines)
            for i, line in enumerate(lines):
                if i > 0:
                    assert line[0] not in CLOSING, (text, limit, lines)
                if i < len(lines) - 1:
                    assert line[-1] not in OPENING, (text, limit, lines)


def test_the_line_breaks_the_issue_names():
    # a line may not start with 、 or ）, nor end with （
    # nine characters a line, filled greedily: a plain break would start the second line with
    # 、 / ）
    assert wrap("一二三四五六七八九、十", 18, balance=False) == ["一二三四五六七八", "九、十"]
    assert wrap("一二三四五六七八九）十", 18, balance=False) == ["一二三四五六七八", "九）十"]
    # … or end the first with （
    assert wrap("一二三四五六七八（九）", 18, balance=False) == ["一二三四五六七八", "（九）"]
    assert wrap("Grow AUM (assets) now", 12)[1][0] != ")"


def test_mixed_text_ends_a_line_at_a_space_rather_than_inside_cjk():
    # greedy would give "… ≥ 20% (截" / "至 2026-12-31)"
    lines = wrap("财富客户AUM增长率 ≥ 20% (截至 2026-12-31)", 30)
    assert lines == ["财富客户AUM增长率 ≥ 20%", "(截至 2026-12-31)"]
    # … but not when the line would be left short: plain CJK breaks as greedy as before
    assert wrap("目标 一二三四五六七八九十一二三四五六七八九十", 30)[0].startswith("目标 一二三")


def test_lines_are_balanced_unless_that_breaks_at_worse_places():
    measure = tm.measure_in_columns(DEFAULT_FONT)
    # an orphan of one character: the bracket moves down whole instead
    assert tm.break_lines("拓展收入来源（服务与海外）", 22, measure) == [
        "拓展收入来源（服务与海",
        "外）",
    ]
    assert wrap("拓展收入来源（服务与海外）", 22) == ["拓展收入来源", "（服务与海外）"]
    for text in ("Skilled retention agents", "Win back within 90 days", "自动化提升设备综合效率"):
        greedy, even = tm.break_lines(text, 20, measure), wrap(text, 20)
        assert len(even) == len(greedy) == 2
        assert max(map(measure, even)) < max(map(measure, greedy))
    # balancing would break between two CJK characters where greedy breaks before a bracket
    assert wrap("值得信赖的工业品牌（Reliable）", 22) == ["值得信赖的工业品牌", "（Reliable）"]


def test_latin_words_are_not_split_and_lines_are_measured():
    text = "Increase share of wallet among mass-affluent customers"
    lines = wrap(text, 22)
    words = text.split(" ")
    assert [w for ln in lines for w in ln.split()] == words
    measure = tm.measure_in_columns(DEFAULT_FONT)
    assert all(measure(ln) <= 22 for ln in lines)
    # a word longer than a whole line is the one thing cut
    assert max(map(measure, wrap("W" * 60, 22))) <= 22


@needs_font
def test_widths_come_from_the_font_file():
    # Noto Sans CJK: ideographs are 1 em, Latin is proportional, bold is wider
    assert tm.text_width("经营", 12, DEFAULT_FONT) == pytest.approx(24)
    narrow, wide = tm.text_width("iiii", 12, DEFAULT_FONT), tm.text_width("WWWW", 12, DEFAULT_FONT)
    # the column estimate would say 24 pt for both
    assert narrow is not None and wide is not None and narrow < 24 < wide
    bold = tm.text_width("Grow revenue", 12, DEFAULT_FONT, bold=True)
    regular = tm.text_width("Grow revenue", 12, DEFAULT_FONT)
    assert bold is not None and regular is not None and bold > regular
    path, _ = tm.font_file(DEFAULT_FONT) or ("", 0)
    assert "NotoSansCJK" in path


def test_without_the_font_file_the_column_estimate_is_used():
    assert tm.font_file("No Such Font 15") is None
    assert tm.text_width("经营", 12, "No Such Font 15") is None
    measure = tm.measure_in_columns("No Such Font 15")
    assert measure("经营ab") == 6  # CJK two columns, the rest one
    model = model_of(EXAMPLES / "bank_wealth" / "main.strat")
    # objective boxes: measured cell widths with the font, none without (Graphviz measures)
    without = render_dot(model, "strategy", Options(font="No Such Font 15"))
    measured = re.compile(r'<tr><td width="\d+"><font point-size="9"')
    assert '<tr><td><font point-size="9"' in without and not measured.search(without)
    if tm.font_metrics(DEFAULT_FONT) is not None:
        assert measured.search(render_dot(model, "strategy"))


# ---------------------------------------------------------------- escaping, fuzzed

ATOMS = [
    *"客户资产经营提升价值",
    *OPENING,
    *CLOSING,
    *"&<>\"'[]{}\\|;=-_#*/",
    "]",
    "]]",
    "]]>",
    "[[",
    "<br/>",
    "<b>bold</b>",
    "</td></tr></table>",
    "<!--",
    "-->",
    "&amp;",
    "&#93;",
    "&lt;",
    "<i>label</i>",
    "\\N",
    "\\G",
    "\\",
    "Supercalifragilisticexpialidocious" * 2,
    "https://example.com/a?b=c&d=[e]",
    "🎯",
    "✨",
    "👨‍👩‍👧",
    "é",
    "e\u0301",
    "\u200b",
    "\u2028",
    "\u202e",
    "\u0001",
    "\u007f",
    "\u0085",
    "\t",
    "\n",
    " ",
    " ",
    "Grow",
    "ROI ≥ 1:1.2",
]


def _strat_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif not ch.isprintable() and ch != " ":
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def fuzzed_labels(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    labels = list(SPECIALS)
    while len(labels) < n:
        labels.append("".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 24))).strip() or "x")
    return labels[:n]


def fuzzed_project(tmp_path: Path, labels: list[str]) -> Path:
    """A project that puts every label somewhere on the three maps: objectives, links, themes,
    segments (with a lifecycle), events, offers, channels, scripts, plays and their owners."""
    it = iter(labels)

    def s() -> str:
        return _strat_string(next(it, "x"))

    parts = [BASE.replace("locale en", "locale zh-CN"), f'theme t1 {s()} {{ color "#2b6cb0" }}']
    persp = ["financial", "customer", "process", "learning"]
    n_obj = len(labels) // 4
    for i in range(n_obj):
        parts.append(
            f"objective O{i} {s()} {{\n  perspective {persp[i % 4]}\n  theme t1\n"
            f"  target tg{i} {s()} >= 5% by 2026-12-31\n}}"
        )
    for i in range(1, n_obj):
        parts.append(f"O{i} -> O{i - 1} {s()}")
    stages = ["acquisition", "activation", "growth", "retention", "winback"]
    n_play = len(labels) // 12
    for i in range(n_play):
        parts.append(f"segment s{i} {s()} {{ rule age > {i}\n  lifecycle {stages[i % 5]} }}")
        parts.append(f"event ev{i} {s()}")
        parts.append(f"offer of{i} {s()}")
        parts.append(f"channel ch{i} {s()} {{ kind sms  capacity unlimited }}")
        parts.append(f'script sc{i} {s()} {{ channel ch{i}  pitch "hi" }}')
        parts.append(
            f"play p{i} {s()} {{\n  segment s{i}\n  when event ev{i} within 5d\n  offer of{i}\n"
            f"  step 1 ch{i} using sc{i}\n  step 2 ch{i} using sc{i} after 3d unless converted\n"
            f"  supports O{i % n_obj}\n  owner {s()}\n}}"
        )
    path = tmp_path / "main.strat"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def test_escaping_of_brackets_and_controls():
    assert xml("]") == "&#93;" and xml("[x]") == "&#91;x&#93;"
    assert xml("a\u0001b\u0085c\ud800d") == "abcd"
    assert xml("<b>&\"'") == "&lt;b&gt;&amp;&quot;&#39;"


SPECIALS = ['edge <i>label</i> " ]', "]", "]]", "[", "[[", "]]>", "x<br/>]", "<br/>]", "&#93;"]


@needs_dot
@pytest.mark.parametrize("label", SPECIALS)
def test_bracket_labels_render_on_every_map(tmp_path, label):
    """Every label of the project is `label` (a link label `]` made dot reject the map)."""
    model = model_of(fuzzed_project(tmp_path, [label] * 24))
    for view in ("strategy", "playbook", "lifecycle"):
        svg = run_dot(render_dot(model, view))  # raises GraphvizError on a rejected label
        assert b"<svg" in svg


@needs_dot
@pytest.mark.parametrize("seed", range(4))
def test_fuzzed_labels_pass_through_dot(tmp_path, seed):
    """Several hundred labels (4 seeds x 120: CJK, brackets, quotes, HTML-like text, long words,
    emoji, control characters) on every map: dot accepts each, and the text arrives intact."""
    labels = fuzzed_labels(seed, 120)
    path = fuzzed_project(tmp_path, labels)
    res = check_entry(path)
    errors = [d for d in res.diagnostics if d.severity.name == "ERROR"]
    assert not errors, errors
    for view in ("strategy", "playbook", "lifecycle"):
        options = Options(show_targets=True) if view == "strategy" else Options()
        svg = run_dot(render_dot(res.model, view, options))  # raises GraphvizError on a reject
        if view == "strategy":  # every objective's label is on the map as written
            shown = "".join("".join(ET.fromstring(svg).itertext()).split())
            for o in res.model.objectives.values():
                assert _visible(o.label or o.id) in shown, o.label


def _visible(text: str) -> str:
    """What of a label reaches the picture: no white space, no control characters."""
    return "".join(
        c for c in text if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cs")
    )


# ---------------------------------------------------------------- text inside its box


LONG_LABELS = [
    "提升AUM规模至1.2亿元 Grow assets under management（含理财、基金、保险）",
    "W" * 42,
    "i" * 50,
    "客户满意度NPS≥45，投诉率≤0.5%；「一户一策」Wealth MMMM management",
    "Increase share of wallet among mass-affluent customers, 大众富裕客群钱包份额",
    "数字化渠道活跃客户占比提升到百分之六十五以上并保持稳定增长趋势，同时降低成本",
    "A/B-test (SMS vs. WeCom) ROI ≥ 1:1.2 — “premium” segment ‘VIP’",
    "Annual-fee renewal save for premium cardholders WWW MMM",
]


def long_label_project(tmp_path: Path) -> Path:
    return fuzzed_project(tmp_path, LONG_LABELS * 4)


def _renders(model, lang=None):
    for view, options in (
        ("strategy", Options(lang=lang)),
        ("strategy", Options(lang=lang, show_targets=True)),
        ("playbook", Options(lang=lang)),
        ("lifecycle", Options(lang=lang)),
    ):
        yield (
            f"{view}{'+targets' if options.show_targets else ''}",
            render_image(model, view, "svg", options),
        )


@needs_dot
@needs_font
@pytest.mark.parametrize("entry", MAP_ENTRIES, ids=lambda p: p.parent.name)
def test_example_maps_text_fits_its_boxes(entry):
    model = model_of(entry)
    for name, svg in _renders(model):
        assert not overflows(svg), (name, overflows(svg))


@needs_dot
@needs_font
def test_long_labels_fit_their_boxes(tmp_path):
    model = model_of(long_label_project(tmp_path))
    for name, svg in _renders(model):
        assert not overflows(svg), (name, overflows(svg))


@needs_dot
@needs_font
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_review_map_text_fits_its_boxes(lang):
    """The review map: status badges, headline actuals and fired triggers in each box."""
    model = model_of(BANK)
    svg = review_map_svg(model, bank_review(model), lang)
    assert "▲".encode() in svg or "■".encode() in svg
    assert not overflows(svg)


@needs_dot
@needs_font
def test_play_title_does_not_run_into_its_priority():
    model = model_of(EXAMPLES / "customer_equity" / "main.strat")
    svg = render_image(model, "playbook", "svg")
    assert "优先级".encode() in svg
    assert not overflows(svg)


# ---------------------------------------------------------------- in Chromium

MEASURE_PAGE = """<!doctype html><meta charset="utf-8"><body>{svgs}<pre id="widths"></pre><script>
document.getElementById("widths").textContent = JSON.stringify(
  [...document.querySelectorAll("body > svg")].map(
    (svg) => [...svg.querySelectorAll("text")].map((t) => t.getComputedTextLength())));
</script></body>"""


def chromium_text_widths(svgs: list[bytes], tmp_path: Path) -> list[list[float]]:
    """The width Chromium draws each `<text>` of each SVG with (inline in one page)."""
    inline = [svg.decode("utf-8")[svg.decode("utf-8").index("<svg") :] for svg in svgs]
    page = tmp_path / "measure.html"
    page.write_text(MEASURE_PAGE.format(svgs="\n".join(inline)), encoding="utf-8")
    proc = chromium("--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'<pre id="widths">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stdout[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.slow
@needs_dot
@needs_font
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")
def test_text_fits_its_boxes_as_chromium_draws_it(tmp_path):
    """The examples' maps and the long labels, each text as wide as Chromium draws it."""
    renders = []
    for entry in MAP_ENTRIES:
        renders += [(f"{entry.parent.name} {n}", svg) for n, svg in _renders(model_of(entry))]
    long_model = model_of(long_label_project(tmp_path))
    renders += [(f"long labels {n}", svg) for n, svg in _renders(long_model)]
    widths = chromium_text_widths([svg for _, svg in renders], tmp_path)
    assert len(widths) == len(renders)
    for (name, svg), drawn in zip(renders, widths):
        assert drawn and max(drawn) > 0, name  # Chromium drew text
        assert not overflows(svg, drawn), (name, overflows(svg, drawn))
