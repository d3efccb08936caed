"""Rules and values in plain words (zh / en), and the fixed strings of the playbook."""

from __future__ import annotations

import re

import pytest
from golden import check_golden

from stratlang import words as w
from stratlang.syntax import ast

SCHEMA = """
strategy "Words" {
  owner  "Ops"
  period 2026-01-01 .. 2026-12-31
  currency CNY
  locale zh-CN
}
schema customer {
  id            string key
  age           int
  aum           money
  payroll       bool
  vip_flag      bool
  churn_score   percent
  risk_level    enum(R1, R2, R3, R4, R5) risk_tolerance
  opened_on     date
  city          string
  last_txn_days int
  email         string optional
}
"""

# one rule per operator / shape; the golden file shows both languages
RULES = [
    "age = 30",
    "age != 30",
    "age < 30",
    "age <= 30",
    "age > 30",
    "age >= 30",
    "aum = 5万",
    "aum != 5万",
    "aum < 5万",
    "aum <= 100万",
    "aum > 1.2亿",
    "aum >= 12345",
    "age between 22 and 35",
    "aum between 20万 and 100万",
    "churn_score >= 70%",
    "risk_level >= R3",
    "risk_level < R2",
    "risk_level in [R2, R3]",
    "risk_level not in [R1]",
    'city in ["上海", "北京", "深圳"]',
    'city not in ["Shanghai"]',
    "opened_on < 2025-07-01",
    "opened_on >= 2025-07-01",
    "email is missing",
    "email is present",
    "payroll",
    "not payroll",
    "vip_flag",
    "not vip_flag",
    "payroll = true",
    "payroll = false",
    "not age > 30",
    "not age between 22 and 35",
    "not risk_level in [R1, R2]",
    "not email is missing",
    "last_txn_days > 90",
    "payroll and age between 22 and 35 and aum < 5万 and risk_level >= R2",
    "aum >= 100万 or vip_flag",
    "payroll and (aum >= 100万 or vip_flag)",
    "(payroll and age < 30) or (vip_flag and aum >= 100万)",
    "not (payroll or vip_flag)",
    "payroll and not (age < 30 and aum < 5万)",
    'age > 30 and (city = "上海" or (vip_flag and churn_score >= 50%))',
]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from stratlang.check import check_entry

    d = tmp_path_factory.mktemp("words")
    text = SCHEMA + "".join(f"segment s{i} {{ rule {r} }}\n" for i, r in enumerate(RULES))
    (d / "main.strat").write_text(text, encoding="utf-8")
    res = check_entry(d / "main.strat")
    errors = [x for x in res.diagnostics if x.severity.name == "ERROR"]
    assert not errors, errors
    return res.model


def test_every_operator_in_words_golden(model):
    lines = []
    for i, rule in enumerate(RULES):
        expr = model.segment_rule(f"s{i}")
        lines.append(
            f"{rule}\n  zh: {w.rule_in_words(expr, model, 'zh')}\n  en: {w.rule_in_words(expr, model, 'en')}\n"
        )
    check_golden("words/rules.txt", "\n".join(lines))


def test_grouping_is_kept(model):
    zh = w.rule_in_words(
        model.segment_rule(f"s{RULES.index('payroll and (aum >= 100万 or vip_flag)')}"), model, "zh"
    )
    assert "（AUM不低于100万或vip_flag为是）" in zh
    en = w.rule_in_words(
        model.segment_rule(
            f"s{RULES.index('(payroll and age < 30) or (vip_flag and aum >= 100万)')}"
        ),
        model,
        "en",
    )
    assert en.count("(") == 2 and " or " in en
    neg = w.rule_in_words(
        model.segment_rule(f"s{RULES.index('not (payroll or vip_flag)')}"), model, "en"
    )
    assert neg.startswith("customers excluding (")


def test_spec_examples_read_as_in_the_toolchain_doc(model):
    expr = model.segment_rule(
        f"s{RULES.index('payroll and age between 22 and 35 and aum < 5万 and risk_level >= R2')}"
    )
    assert w.rule_in_words(expr, model, "zh").startswith("代发客户，年龄22至35岁，AUM低于5万")
    assert w.rule_in_words(expr, model, "en").startswith(
        "payroll customers aged 22–35 with AUM under CNY 50,000"
    )


def test_everyone():
    assert w.rule_in_words(None, None, "zh") == "全部客户"
    assert w.rule_in_words(None, None, "en") == "all customers"


@pytest.mark.parametrize(
    "value,zh,en",
    [
        (50000, "5万", "CNY 50,000"),
        (1000000, "100万", "CNY 1,000,000"),
        (120000000, "1.2亿", "CNY 120,000,000"),
        (3.5, "3.5元", "CNY 3.5"),
        (12345, "1.23万", "CNY 12,345"),
    ],
)
def test_money(value, zh, en):
    assert w.format_money(value, "zh", "CNY") == zh
    assert w.format_money(value, "en", "CNY") == en


def test_money_other_currency_and_none():
    assert w.format_money(50000, "zh", "USD") == "5万 USD"
    assert w.format_money(50000, "en", None) == "50,000"
    assert w.format_money(None, "en", "USD") == "—"


def test_lang_of():
    class S:
        def __init__(self, loc):
            self.strategy = type("St", (), {"locale": loc})()

    assert w.lang_of(S("zh-CN")) == "zh"
    assert w.lang_of(S("en")) == "en"
    assert w.lang_of(S("en-US"), "zh") == "zh"
    assert w.lang_of(S("zh-CN"), "en") == "en"


def test_every_fixed_string_in_both_languages():
    for key, (zh, en) in w.FIXED.items():
        assert zh and en, key
        # the English text has no Chinese in it
        assert not re.search(r"[\u4e00-\u9fff]", en), key
    assert w.t("step", "zh", n=2) == "第2步" and w.t("step", "en", n=2) == "Step 2"
    assert w.t("no-such-key", "en") == "no-such-key"


def test_reading_time():
    # 250 Chinese characters a minute, 150 English words a minute
    assert w.reading_seconds("字" * 250) == 60
    assert w.reading_seconds(" ".join(["word"] * 150)) == 60
    assert w.reading_seconds("") == 0
    assert w.format_seconds(30, "zh") == "30秒" and w.format_seconds(90, "en") == "1.5 min"


def test_values():
    sp = None
    assert w.value_in_words(ast.Number(sp, 20, True, "20%"), "zh") == "20%"
    assert w.value_in_words(ast.Str(sp, "上海"), "zh") == "“上海”"
    import datetime as dt

    assert w.value_in_words(ast.Date(sp, dt.date(2026, 3, 1), "2026-03-01"), "zh") == "2026年3月1日"
    assert w.value_in_words(ast.Date(sp, dt.date(2026, 3, 1), "2026-03-01"), "en") == "1 Mar 2026"
    assert w.format_days(30, "zh") == "30天" and w.format_days(1, "en") == "1 day"


# ---------------------------------------------------------------- labels of fields and values

LABELLED = """
strategy "Labels" {
  owner  "Ops"
  period 2026-01-01 .. 2026-12-31
  locale zh-CN
}
schema customer {
  id                string key
  marketing_consent bool                                                    "已授权营销"
  newsletter        bool                                                    "newsletter opt-in"
  channel_pref      enum(app "手机银行", wechat "微信", phone "电话", branch) "偏好渠道"
  plan              enum(basic "Basic plan", plus "Plus plan")
}
"""
LABELLED_RULES = {
    "ne": "channel_pref != branch and channel_pref != app",
    "in": "channel_pref in [app, wechat]",
    "flag": "marketing_consent",
    "flag_true": "marketing_consent = true",
    "not_flag": "not marketing_consent",
    "en_flag": "newsletter and plan = plus",
}


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    from stratlang.check import check_entry

    d = tmp_path_factory.mktemp("labelled")
    text = LABELLED + "".join(f"segment {k} {{ rule {r} }}\n" for k, r in LABELLED_RULES.items())
    (d / "main.strat").write_text(text, encoding="utf-8")
    res = check_entry(d / "main.strat")
    assert not [x for x in res.diagnostics if x.severity.name == "ERROR"], res.diagnostics
    return res.model


def _says(model, key: str, lang: str) -> str:
    return w.rule_in_words(model.segment_rule(key), model, lang)


def test_enum_values_read_by_their_labels(labelled):
    # a labelled value reads as its label, an unlabelled one by its name
    assert _says(labelled, "ne", "zh") == "偏好渠道不为branch，偏好渠道不为手机银行"
    assert _says(labelled, "in", "zh") == "偏好渠道属于手机银行、微信"
    assert "branch" not in _says(labelled, "in", "zh")
    # an English page keeps the English identifier instead of a Chinese label …
    assert "app or wechat" in _says(labelled, "in", "en")
    # … and shows an English label
    assert "Plus plan" in _says(labelled, "en_flag", "en")
    assert "Plus plan" in _says(labelled, "en_flag", "zh")


def test_labelled_flag_reads_as_its_label(labelled):
    assert _says(labelled, "flag", "zh") == "已授权营销"
    assert _says(labelled, "flag_true", "zh") == "已授权营销"
    assert _says(labelled, "not_flag", "zh") == "非已授权营销"
    assert "为是" not in _says(labelled, "flag", "zh")
    # English: a label need not name people, so it follows "with"
    assert _says(labelled, "en_flag", "en") == "customers with newsletter opt-in and plan Plus plan"
    assert _says(labelled, "not_flag", "en") == "customers with no 已授权营销"


def test_every_diagnostic_code_has_chinese_words():
    from stratlang.diagnostic_words import CODES_ZH, code_words
    from stratlang.diagnostics import CODES

    assert set(CODES_ZH) == set(CODES)
    for code in CODES:
        zh = code_words(code, "zh")
        assert zh and re.search(r"[\u4e00-\u9fff]", zh), code
        assert code_words(code, "en") == CODES[code][1]
    assert code_words("XYZ999", "zh") is None
