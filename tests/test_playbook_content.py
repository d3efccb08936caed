"""The playbook says everything, in one language (issue 15): every description, objectives without
a target, offers and events, unknown sizes and missing budgets shown as unknown, the warnings and
the playbook map in the page's language, rules in words with the labels of fields and values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_playbook import Page

from stratlang.backends.base import Options
from stratlang.backends.dot import playbook_dot
from stratlang.backends.html import render_playbook
from stratlang.check import check_entry
from stratlang.diagnostics import Severity, make

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "tests" / "data" / "playbook_descriptions" / "main.strat"
DESCRIBED = (
    "strategy",
    "theme",
    "event",
    "objective-targeted",
    "objective-bare",
    "segment",
    "segment-2",
    "tiering",
    "offer-used",
    "offer-unused",
    "channel",
    "script",
    "play",
    "policy",
    "initiative",
)


@pytest.fixture(scope="module")
def model():
    res = check_entry(ENTRY)
    assert not [d for d in res.diagnostics if d.severity == Severity.ERROR], res.diagnostics
    return res.model


@pytest.fixture(scope="module")
def pages(model):
    return {lang: render_playbook(model, Options(lang=lang)) for lang in ("zh", "en")}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", Page(html).visible)


def _section(html: str, sid: str) -> str:
    """The visible text of the section (or play card) with id `sid`."""
    m = re.search(rf'<(section|article)[^>]* id="{sid}">(.*?)</\1>', html, re.S)
    assert m is not None, sid
    return _text(m.group(2))


def _stat(card_html: str, key: str) -> str:
    m = re.search(rf"<dt>{key}</dt><dd>(.*?)</dd>", card_html)
    assert m is not None, key
    return m.group(1)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_description_is_shown(pages, lang):
    text = _text(pages[lang])
    written = set(re.findall(r'"DESC-([a-z0-9-]+)"', ENTRY.read_text(encoding="utf-8")))
    assert written == set(DESCRIBED)
    for d in DESCRIBED:
        assert f"DESC-{d}" in text, d


def test_each_description_sits_with_what_it_describes(pages):
    html = pages["zh"]
    targets = _section(html, "targets")
    assert "DESC-objective-targeted" in targets and "DESC-objective-bare" in targets
    assert "DESC-theme" in targets  # the themes under the targets, with their objectives
    catalogue = _section(html, "offers-events")
    for d in ("offer-used", "offer-unused", "event"):
        assert f"DESC-{d}" in catalogue
    card = _section(html, "play-p_known")
    for d in ("play", "offer-used", "event", "script"):
        assert f"DESC-{d}" in card
    assert "DESC-channel" in _section(html, "channels")
    assert "DESC-policy" in _section(html, "governance")


def test_objective_without_target_is_listed(pages):
    text = _text(pages["zh"])
    assert "客户信赖 C1" in text and "未设指标" in text
    assert "no target" in _text(pages["en"])


def test_offers_and_events_chapter(pages):
    page = Page(pages["zh"])
    assert "offers-events" in page.ids
    assert any(t == "a" and a.get("href") == "#offers-events" for t, a in page.tags)
    html = pages["zh"]
    row = re.search(r"<tr><td>备用权益 <code>o2</code>.*?</tr>", html, re.S)
    assert row is not None and row.group(0).endswith("<td>—</td></tr>")  # made by no play
    row = re.search(r"<tr><td>大额入账 <code>big_deposit</code>.*?</tr>", html, re.S)
    assert row is not None and "已知规模的策略" in row.group(0)


def test_targets_header_does_not_repeat_itself(pages):
    for lang, value in (("zh", "目标值"), ("en", "Target value")):
        heads = re.findall(r"<thead><tr>(.*?)</tr></thead>", pages[lang])
        for head in heads:
            cells = re.findall(r"<th[^>]*>(.*?)</th>", head)
            assert len(cells) == len(set(cells)), cells
        assert any(value in h for h in heads), lang
    assert ">Goal<" not in pages["en"]


@pytest.mark.parametrize(("lang", "unknown"), [("zh", "未知"), ("en", "unknown")])
def test_unknown_sizes_are_unknown_not_zero(pages, lang, unknown):
    html = pages[lang]
    card = re.search(r'<article class="card" id="play-p_unknown">.*?</article>', html, re.S)
    assert card is not None
    for key in (
        ("预估规模", "预计触达") if lang == "zh" else ("Estimated size", "Expected contacts")
    ):
        assert _stat(card.group(0), key) == unknown
    # the channel only that play uses: demand unknown, and the play is still named
    sms_row = re.search(r"<tr><td>短信.*?</tr>", html, re.S)
    assert sms_row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", sms_row.group(0), re.S)
    assert cells[2].strip() == unknown and "未知规模的策略" in cells[-1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_missing_budgets_total_a_dash(pages, lang):
    totals = re.search(r'<table class="grid small totals">.*?</table>', pages[lang], re.S)
    assert totals is not None
    values = re.findall(r'<td class="num">(.*?)</td>', totals.group(0))
    assert values == ["—", "—", "—"]
    assert "0元" not in _text(pages[lang])


def test_budgets_total_what_is_given(model):
    from dataclasses import replace

    plays = dict(model.plays)
    plays["p_known"] = replace(plays["p_known"], budget=50000)
    html = render_playbook(replace(model, plays=plays), Options())
    totals = re.search(r'<table class="grid small totals">.*?</table>', html, re.S)
    assert totals is not None
    assert re.findall(r'<td class="num">(.*?)</td>', totals.group(0)) == ["5万", "—", "5万"]


def test_rules_read_with_labels(pages):
    text = _text(pages["zh"])
    assert "偏好渠道不为手机银行" in text  # the value's label
    assert "偏好渠道不为branch" in text  # a value without one: its name
    assert "已授权营销" in text and "marketing_consent" not in text


def test_warnings_in_the_page_language(model):
    span = model.plays["p_known"].span
    d = make("PLY604", "channel `phone` is over capacity on 2026-03-01", span)
    zh = render_playbook(model, Options(warnings=[d]))
    row = re.search(r'<tr class="sev-warning">.*?</tr>', zh, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert "警告" in cells[0]
    assert cells[1].startswith("超出渠道产能")  # the code's words in Chinese first …
    assert 'lang="en"' in cells[1] and "over capacity on 2026-03-01" in cells[1]  # … the detail
    assert "main.strat:" in cells[2]
    en = render_playbook(model, Options(lang="en", warnings=[d]))
    row = re.search(r'<tr class="sev-warning">.*?</tr>', en, re.S)
    assert row is not None
    assert "超出" not in row.group(0) and "over capacity on 2026-03-01" in row.group(0)


def test_playbook_map_risk_in_the_page_language(model):
    assert "风险 R2" in playbook_dot(model, Options(lang="zh"))
    dot_en = playbook_dot(model, Options(lang="en"))
    assert "risk R2" in dot_en and "风险" not in dot_en


def test_demand_of_a_channel_some_of_whose_plays_are_unknown():
    from stratlang.backends.html import _demand_words

    row = {"demand": 1234.4, "plays": [{"id": "a"}], "unknown": ["b", "c"]}
    assert _demand_words(row, "zh") == "≥ 1234（另有2个策略规模未知）"
    assert _demand_words(row, "en") == "≥ 1,234 (+ 2 of unknown size)"
    assert _demand_words({**row, "plays": []}, "en") == "unknown"
    assert _demand_words({**row, "unknown": []}, "en") == "1,234"
