"""Tierings in the playbook (issue 13 §5): a tier table per tiering with each tier's rule in
words and its size — the real count when built with data, else the estimate — in zh and en, and
in a real browser."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from conftest import EXAMPLES, write_project

from stratlang import words as w
from stratlang.backends.base import Options
from stratlang.backends.html import render_playbook
from stratlang.backends.playbook_tiers import tiering_views
from stratlang.check import check_entry
from stratlang.engine import run_lists

BANK = EXAMPLES / "bank_wealth"


class Tables(HTMLParser):
    """The rows (cell texts) of every tier table, by the id of its article."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.widths: dict[str, list[str]] = {}
        self._article: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article" and a.get("class") == "tiering":
            self._article = a["id"]
            self.tables[self._article] = []
            self.widths[self._article] = []
        elif self._article and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []
        elif self._article and tag == "span" and a.get("class") == "tierbar":
            self.widths[self._article].append(a["style"])

    def handle_endtag(self, tag):
        if tag == "article":
            self._article = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._article:
            self.tables[self._article].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def bank():
    res = check_entry(BANK / "main.strat")
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"]
    return res.model


@pytest.fixture(scope="module")
def bank_counts(bank):
    s = run_lists(bank, BANK / "data" / "customers.csv", as_of=dt.date(2026, 7, 15))
    return s.counts()


def test_without_data_each_tier_has_its_rule_and_estimate(bank):
    html = render_playbook(bank, Options())
    [table] = Tables(html).tables.values()
    head, *rows = table
    assert head[:4] == ["层级", "客群", "规则", "预估规模"]
    tiers = bank.tierings["aum_tiers"].segments
    assert [r[0] for r in rows] == ["1", "2", "3"]
    for row, sid in zip(rows, tiers):
        seg = bank.segments[sid]
        assert row[1] == f"{seg.label} {sid}"
        assert row[2] == w.rule_in_words(bank.segment_rule(sid), bank, "zh")
        assert row[3] == w.format_number(seg.estimate, "zh")
    assert "互斥：每位客户至多属于一层；完备：每位客户至少属于一层" in html
    assert 'id="tiering-aum_tiers"' in html and "客户分层 · AUM分层" in html


def test_with_data_the_real_counts_shares_and_bars(bank, bank_counts):
    html = render_playbook(bank, Options(counts=bank_counts))
    tables = Tables(html)
    head, *rows = tables.tables["tiering-aum_tiers"]
    assert head[3:5] == ["实际人数", "占比"]
    tiers = bank.tierings["aum_tiers"].segments
    real = [bank_counts["segments"][sid] for sid in tiers]
    customers = bank_counts["customers"]
    assert sum(real) == customers  # exclusive and exhaustive on the data too: no "outside" row
    assert len(rows) == 3
    for row, n in zip(rows, real):
        assert row[3] == w.format_number(n, "zh")
        assert row[4] == f"{w._trim(100 * n / customers, 1)}%"
    widths = [
        float(re.search(r"width: ([\d.]+)%", s).group(1))
        for s in tables.widths["tiering-aum_tiers"]
    ]
    assert max(widths) == 100.0
    for width, n in zip(widths, real):
        assert width == pytest.approx(max(1.0, round(100 * n / max(real), 1)))


def test_english_and_a_tiering_that_is_not_exhaustive(tmp_path):
    entry = write_project(
        tmp_path,
        {
            "main.strat": """
            strategy "T" { period 2026-01-01 .. 2026-12-31  locale en }
            schema customer { id string key  spend money  vip bool }
            objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-12-31 }
            segment top "Top spenders" { rule spend >= 1000  estimate 200 }
            segment middle "Middle" { rule spend >= 100 and spend < 1000  estimate 1500 }
            tiering spend_tiers "Spend tiers" { segments top, middle  exclusive true }
            """
        },
    )
    model = check_entry(entry).model
    counts = {"customers": 5000, "segments": {"top": 250, "middle": 1250}, "plays": {}}
    [view] = tiering_views(model, counts, "en")
    assert view["promises"] == ["exclusive: a customer is in at most one tier"]
    assert [t["size"] for t in view["tiers"]] == ["250", "1,250"]
    assert [t["share"] for t in view["tiers"]] == ["5%", "25%"]
    assert [t["width"] for t in view["tiers"]] == [20.0, 100.0]
    # not exhaustive: the customers in no tier have a row of their own
    assert view["outside"] == {"size": "3,500", "share": "70%"}
    html = render_playbook(model, Options(counts=counts))
    head, *rows = Tables(html).tables["tiering-spend_tiers"]
    assert head[:5] == ["Tier", "Segment", "Rule", "Real count", "Share"]
    assert rows[0][2] == w.rule_in_words(model.segment_rule("top"), model, "en")
    assert rows[-1][:4] == ["", "customers in no tier", "3,500", "70%"]
    # without real counts for every tier: estimates, no shares
    [est] = tiering_views(model, {"segments": {"top": 250}}, "en")
    assert [t["size"] for t in est["tiers"]] == ["200", "1,500"] and est["outside"] is None
    assert not est["real"] and est["size_title"] == "Estimated size"


def test_no_tiering_no_table(tmp_path):
    entry = write_project(
        tmp_path,
        {
            "main.strat": """
            strategy "T" { period 2026-01-01 .. 2026-12-31  locale en }
            schema customer { id string key  spend money }
            objective F1 "Grow" { perspective financial  target g "g" >= 5% by 2026-12-31 }
            segment top "Top spenders" { rule spend >= 1000 }
            """
        },
    )
    html = render_playbook(check_entry(entry).model, Options())
    assert Tables(html).tables == {} and "tierbar" not in html.split("</style>", 1)[1]


# ---------------------------------------------------------------- in a real browser and in print

MEASURE = """<script>
window.addEventListener("load", () => {
  const bars = [...document.querySelectorAll("#tiering-aum_tiers .tierbar")];
  document.body.setAttribute("data-bars",
    bars.map(b => Math.round(b.getBoundingClientRect().width * 10) / 10).join(","));
});
</script>"""


@pytest.mark.slow
def test_chromium_draws_the_bars_in_proportion(bank, bank_counts, tmp_path):
    from test_playbook_browser import chromium, console_lines

    html = render_playbook(bank, Options(counts=bank_counts))
    page = tmp_path / "playbook.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    r = chromium("--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri())
    assert r.returncode == 0 and console_lines(r.stderr) == []
    drawn = [float(x) for x in re.search(r'data-bars="([^"]*)"', r.stdout).group(1).split(",")]
    real = [bank_counts["segments"][s] for s in bank.tierings["aum_tiers"].segments]
    assert len(drawn) == 3 and max(drawn) > 50  # the largest tier fills its column
    for px, n in zip(drawn, real):
        assert px == pytest.approx(max(drawn) * max(0.01, n / max(real)), abs=1.5)


@pytest.mark.slow
def test_pdf_holds_the_tier_table(bank, bank_counts, tmp_path):
    import subprocess

    from stratlang.backends.html import render_pdf

    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(render_pdf(render_playbook(bank, Options(counts=bank_counts)), Options()))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("\n", "")
    assert "客户分层 · AUM分层" in text
    for sid in bank.tierings["aum_tiers"].segments:
        assert w.format_number(bank_counts["segments"][sid], "zh") in text
