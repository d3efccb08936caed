"""The HTML playbook: contents, language, safety against hostile text, determinism, the command."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from stratlang.backends.base import Options
from stratlang.backends.html import (
    PdfError,
    channel_demand,
    css_string,
    inline_svg,
    render_pdf,
    render_playbook,
    render_script_text,
)
from stratlang.check import check_entry
from stratlang.diagnostics import make

# end to end (the real executable, a browser, Spark or big inputs): not in `make test-fast`
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "data" / "spec_example" / "wealth.strat"
SECTIONS = (
    "cover",
    "toc",
    "targets",
    "maps",
    "segments",
    "plays",
    "channels",
    "initiatives",
    "warnings",
)


class Page(HTMLParser):
    """Collects start tags, ids, hrefs and the visible text of a page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.ids: list[str] = []
        self.text: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.append(a["id"])
        if tag in ("style", "svg"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "svg"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)

    @property
    def visible(self) -> str:
        return "".join(self.text)

    def count(self, tag, **attrs):
        return sum(
            1 for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        )


@pytest.fixture(scope="module")
def spec():
    res = check_entry(SPEC)
    return res


def test_all_sections_and_one_card_per_play(spec):
    html = render_playbook(spec.model, Options())
    page = Page(html)
    for s in SECTIONS:
        assert s in page.ids, s
    cards = [a for t, a in page.tags if t == "article" and "card" in a.get("class", "")]
    assert len(cards) == len(spec.model.plays)
    # ids unique across the page, including both inline SVG maps
    assert len(page.ids) == len(set(page.ids))
    # every internal link points at an id of the page
    for t, a in page.tags:
        if t == "a" and "href" in a and "xlink:href" not in a:
            assert a["href"].startswith("#") and a["href"][1:] in page.ids, a["href"]


def test_contents(spec):
    html = render_playbook(spec.model, Options())
    text = Page(html).visible
    m = spec.model
    assert m.strategy.label in text and m.strategy.owner in text
    assert "2026年1月1日至2026年12月31日" in text
    # targets table
    for o in m.objectives.values():
        for t in o.targets:
            assert t.label in text
    assert "1.2亿" in text  # fee income target, money formatting
    # segment rule in words
    assert "代发客户，年龄22至35岁，AUM低于5万，风险等级不低于R2" in text
    # play card: trigger, steps, unless converted, scripts in full, objection, disclaimer, opt-out, control, budget
    assert "事件「首次代发入账」发生后30天内" in text
    assert "未转化才执行" in text and "上一步后3天" in text
    for sc in m.scripts.values():
        for sec in sc.sections.values():
            plain = sec.text.split("{{")[0].strip().split("\n")[0]
            if plain:
                assert plain in text, plain
    assert "只需两分钟" in text and "回复TD退订" in text
    assert "理财非存款，产品有风险，投资须谨慎。" in text
    assert "10%" in text and "50万" in text and "零售营销中心" in text
    assert "朗读约" in text
    # channel plan chart and initiatives with totals (50万 + 80万)
    assert '<svg class="chart"' in html
    assert "客户经理话术认证" in text and "130万" in text
    assert "检查未发现问题。" in text


def test_placeholders_marked_and_filled(spec):
    html = render_playbook(spec.model, Options())
    assert '<span class="ph" title="customer.name">客户姓名</span>' in html
    assert '<span class="fill" title="offer.label">薪享理财</span>' in html
    assert '<span class="fill" title="strategy.owner">零售银行部</span>' in html
    assert "{{" not in Page(html).visible


def test_language_default_and_override(spec):
    zh = render_playbook(spec.model, Options())
    en = render_playbook(spec.model, Options(lang="en"))
    assert '<html lang="zh-CN">' in zh and "客群目录" in zh
    assert '<html lang="en">' in en and "Segment catalogue" in en and "客群目录" not in en
    assert "payroll customers aged 22–35 with AUM under CNY 50,000" in en
    assert "120,000,000" in en  # the 1.2亿 fee-income target


def test_deterministic_and_no_timestamp(spec):
    a = render_playbook(spec.model, Options())
    b = render_playbook(check_entry(SPEC).model, Options())
    assert a == b
    assert "2026-11" not in a
    dated = render_playbook(spec.model, Options(date="2026-03-01"))
    assert "2026-03-01" in Page(dated).visible


def test_self_contained(spec):
    html = render_playbook(spec.model, Options())
    page = Page(html)
    assert page.count("script") == 0 and page.count("link") == 0 and page.count("img") == 0
    assert "http://" not in html.replace("http://www.w3.org/", "")
    assert "https://" not in html
    assert "@import" not in html and "url(" not in html.split("</style>")[0]


def test_real_counts_and_warnings(spec):
    m = spec.model
    seg = next(iter(m.segments))
    d = make("PLY604", "channel capacity exceeded on phone", m.plays["payroll_activation"].span)
    html = render_playbook(
        m, Options(counts={"segments": {seg: 123457}, "plays": {}}, warnings=[d])
    )
    text = Page(html).visible
    assert "实际人数" in text and "12.35万" in text
    assert (
        "PLY604" in text
        and "channel capacity exceeded on phone" in text
        and "wealth.strat:" in text
    )


def test_channel_demand(spec):
    m = spec.model
    rows = {r["id"]: r for r in channel_demand(m, None)}
    # 12万 × 90% ÷ 365 days
    assert rows["phone"]["demand"] == pytest.approx(120000 * 0.9 / 365)
    assert rows["phone"]["capacity"] == 2000 and not rows["phone"]["over"]
    assert rows["app_push"]["capacity"] is None
    counted = {r["id"]: r for r in channel_demand(m, {"segments": {"payroll_young": 1_000_000}})}
    assert counted["phone"]["demand"] == pytest.approx(1_000_000 * 0.9 / 365)
    assert counted["phone"]["over"]


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% for x in y %}loop{% endfor %}",
    "{{ offer.__class__ }}",
    "</style><b>bold</b>",
]


def _hostile_project(tmp_path: Path) -> Path:
    def q(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    h = HOSTILE
    text = f"""
strategy {q(h[0] + " plan")} {{
  owner  {q(h[1])}
  period 2026-01-01 .. 2026-12-31
  locale zh-CN
  version {q(h[5])}
}}
schema customer {{
  id   string key
  name string
  aum  money
  risk_level enum(R1, R2, R3) risk_tolerance
}}
objective F1 {q(h[1])} {{
  perspective financial
  owner {q(h[3])}
  target t1 {q(h[0])} >= 10% by 2026-12-31
}}
segment s1 {q(h[0])} {{
  rule aum >= 1万 and risk_level >= R2
  estimate 1000
  profile {{ needs {q(h[2])} }}
}}
offer o1 {q(h[1])} {{ risk R2 }}
channel phone {q(h[0])} {{ kind outbound_call  capacity 100 per day }}
script sc1 {q(h[3])} {{
  channel phone
  opening {q("您好 {{ customer.name }} " + h[2] + " " + h[4] + " {{ customer.nosuch }} {{ offer.label }}")}
  pitch {q(h[0] + h[1])}
  objection {q(h[3])} -> {q(h[2])}
  disclaimer {q("理财非存款，产品有风险，投资须谨慎。" + h[5])}
}}
play p1 {q(h[2])} {{
  segment s1
  offer o1
  step 1 phone using sc1
  supports F1
  owner {q(h[4])}
}}
initiative i1 {q(h[5])} {{ supports F1  owner {q(h[0])} }}
"""
    p = tmp_path / "main.strat"
    p.write_text(text, encoding="utf-8")
    return p


def test_hostile_text_stays_text(tmp_path):
    res = check_entry(_hostile_project(tmp_path))
    assert res.model is not None and "p1" in res.model.plays, [
        str(d.message) for d in res.diagnostics
    ]
    for lang in ("zh", "en"):
        html = render_playbook(res.model, Options(lang=lang, warnings=list(res.diagnostics)))
        page = Page(html)
        # no injected elements
        assert page.count("script") == 0 and page.count("img") == 0 and page.count("b") == 0
        assert not any(k.startswith("on") for _, a in page.tags for k in a)
        assert page.count("style") == 1
        # template code is shown, never evaluated
        assert "49" not in page.visible
        assert "loop" in page.visible and "{% for x in y %}" in page.visible
        assert "{{ 7*7 }}" in page.visible and "{{ offer.__class__ }}" in page.visible
        assert "<script>alert(1)</script>" in page.visible
        assert '"><img src=x onerror=alert(1)>' in page.visible
        assert "{{ customer.nosuch }}" in page.visible  # not an allowed placeholder: shown as typed
        assert "&lt;script&gt;" in html


def test_script_text_placeholders_strict(spec):
    ctx = {
        "offer": {"label": "<b>x</b>"},
        "segment": {"label": None},
        "strategy": {"owner": "O"},
        "channel": {"label": "C"},
    }
    out = str(
        render_script_text(
            "a {{offer.label}} {{ segment.label }} {{ customer.name }} {{ customer.__dict__ }}"
            " {{ offer.__class__ }} {{ 7*7 }} {% if 1 %}x{% endif %}\nb",
            ctx,
            spec.model,
            "en",
        )
    )
    assert '<span class="fill" title="offer.label">&lt;b&gt;x&lt;/b&gt;</span>' in out
    assert '<span class="ph">segment.label</span>' in out  # no value in this context: a chip
    assert '<span class="ph" title="customer.name">customer name</span>' in out
    assert (
        "{{ customer.__dict__ }}" in out and "{{ offer.__class__ }}" in out and "{{ 7*7 }}" in out
    )
    assert "{% if 1 %}x{% endif %}" in out and "<br>" in out


def test_inline_svg_prefixes_ids_and_strips_active_content():
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<!-- c -->\n'
        '<svg width="100pt" height="50pt" viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
        '<defs><linearGradient id="g1"/></defs><g id="graph0"><rect fill="url(#g1)"/>'
        '<a xlink:href="javascript:alert(1)"><use xlink:href="#graph0"/></a><script>alert(2)</script></g></svg>'
    )
    a, b = str(inline_svg(svg, "sm")), str(inline_svg(svg, "pm"))
    for out, p in ((a, "sm"), (b, "pm")):
        assert (
            out.startswith("<svg")
            and "<?xml" not in out
            and "DOCTYPE" not in out
            and "<!--" not in out
        )
        assert (
            f'id="{p}-graph0"' in out
            and f"url(#{p}-g1)" in out
            and f'xlink:href="#{p}-graph0"' in out
        )
        assert "onload" not in out and "<script" not in out and "javascript:" not in out
        assert 'width="100pt"' not in out and 'viewBox="0 0 100 50"' in out
    ids_a = set(Page(a).ids)
    assert ids_a and not ids_a & set(Page(b).ids)


def test_css_string_cannot_escape():
    s = str(css_string('a"; } </style><script>x</script> 中'))
    assert s.startswith('"') and s.endswith('"') and '"' not in s[1:-1]
    assert "<" not in s and ";" not in s and "}" not in s


def test_pdf_missing_glyph_is_an_error():
    with pytest.raises(PdfError) as e:
        render_pdf("<html><body><p>x\U0010fffd</p></body></html>")
    assert "U+10FFFD" in str(e.value) and e.value.help


# --------------------------------------------------------------------------- the command


def _run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-c", "from stratlang.cli import run; run()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_command_writes_html_and_pdf(tmp_path):
    out = tmp_path / "sub" / "book.html"
    r = _run("playbook", str(SPEC), "-o", str(out), "--pdf", "--lang", "en")
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "Segment catalogue" in html
    pdf = out.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    # same input, same bytes
    out2 = tmp_path / "again.html"
    assert _run("playbook", str(SPEC), "-o", str(out2), "--lang", "en").returncode == 0
    assert out2.read_text(encoding="utf-8") == html


def test_command_default_output_and_nothing_written_on_errors(tmp_path):
    r = _run("playbook", str(SPEC), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "playbook.html").exists()
    bad = tmp_path / "bad.strat"
    bad.write_text(
        'strategy "x" { period 2026-01-01 .. 2026-12-31 }\nsegment s { rule nosuch > 1 }\n',
        encoding="utf-8",
    )
    r = _run("playbook", str(bad), "-o", str(tmp_path / "bad.html"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "bad.html").exists()
    r = _run("playbook", str(tmp_path / "missing.strat"), "-o", str(tmp_path / "m.html"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = _run("playbook", str(SPEC), "--lang", "fr")
    assert r.returncode == 2


def test_playbook_includes_the_lifecycle_map():
    """The third map (issue 13 §3) is inlined in the maps chapter, after the other two."""
    model = check_entry(ROOT / "examples" / "telecom_winback" / "main.strat").model
    html = render_playbook(model, Options())
    ids = [i for i in ("map-strategy", "map-playbook", "map-lifecycle") if f'id="{i}"' in html]
    assert ids == ["map-strategy", "map-playbook", "map-lifecycle"]
    assert html.index('id="map-playbook"') < html.index('id="map-lifecycle"')
    section = html[html.index('id="map-lifecycle"') :]
    assert 'class="map"' in section[:3000] and "Customer lifecycle map" in section
