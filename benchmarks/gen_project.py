#!/usr/bin/env python3
"""Generate large, realistic, valid stratlang projects for benchmarks (seeded, deterministic).

    python benchmarks/gen_project.py --preset small -o benchmarks/.work/small     # ~6k lines
    python benchmarks/gen_project.py --preset large -o benchmarks/.work/large     # ~60k lines
    python benchmarks/gen_project.py --objectives 10000 --segments 2000 -o DIR [--single-file]

The project follows /work/shared/spec/language.md: a strategy, a customer schema (int, money,
bool, enum, date, string and optional fields), themes, events, objectives over the four default
perspectives with targets, acyclic cause -> effect links from lower to higher perspectives (every
objective reaches a financial one, every financial one has a driver), segments with varied rules
(and / or / not, between, in, not in, enum comparisons, is missing / is present, extends),
tierings, channels, offers (risky offers only go to segments that guarantee the risk tolerance),
scripts (placeholders limited to the allowed names, a disclaimer on each), plays and initiatives
(together supporting every objective).

Files written (few-file layout, the default): main.strat (strategy, imports, themes,
initiatives), objectives.strat (objectives and links), customers.strat (schema, events, segments,
tierings), playbook.strat (channels, offers, scripts, plays). `--single-file` writes main.strat
only. The entry file is always DIR/main.strat.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

PRESETS = {
    "small": dict(objectives=1000, segments=200),
    "large": dict(objectives=10000, segments=2000),
}

PERSPECTIVES = ("financial", "customer", "process", "learning")  # top (outcome) to bottom (driver)
PERSPECTIVE_SHARE = (0.08, 0.17, 0.35, 0.40)
PREFIX = {"financial": "F", "customer": "C", "process": "P", "learning": "L"}
KINDS = {
    "financial": (),
    "customer": ("attributes", "relationship", "image"),
    "process": ("operations", "customer_management", "innovation", "regulatory_social"),
    "learning": ("human_capital", "information_capital", "organization_capital"),
}

THEMES = [
    ("growth", "收入增长", "#2b6cb0"),
    ("productivity", "生产率提升", "#2f855a"),
    ("retention", "Customer retention", "#b7791f"),
    ("digital", "数字化经营", "#6b46c1"),
    ("wealth", "Wealth management", "#c53030"),
    ("payroll", "代发经营", "#2c7a7b"),
    ("risk", "Risk and compliance", "#4a5568"),
    ("service", "服务体验", "#d53f8c"),
]

OWNERS = [
    "零售银行部",
    "财富管理部",
    "零售营销中心",
    "培训中心",
    "数据与AI部",
    "运营管理部",
    "Consumer Retention",
    "Head of Wealth",
    "Digital Channels",
    "Care Operations",
    "Branch Network",
    "Credit Cards",
    "Payroll Services",
    "Customer Experience",
    "Compliance Office",
    "Private Banking",
]

ZH_VERBS = ["提升", "扩大", "优化", "巩固", "降低", "加快", "深化", "建设", "完善", "激活"]
ZH_NOUNS = [
    "代发客户AUM",
    "财富中收",
    "手机银行月活",
    "客户满意度",
    "信用卡交叉销售",
    "网点产能",
    "客户经理产能",
    "理财规模",
    "沉睡客户唤醒",
    "获客成本",
    "数据治理",
    "话术能力",
    "远程银行服务",
    "养老金账户",
    "私行客户数",
]
EN_VERBS = [
    "Grow",
    "Expand",
    "Improve",
    "Protect",
    "Reduce",
    "Accelerate",
    "Deepen",
    "Build",
    "Simplify",
    "Win back",
]
EN_NOUNS = [
    "payroll AUM",
    "fee income",
    "mobile engagement",
    "customer trust",
    "card cross-sell",
    "branch productivity",
    "advisor capacity",
    "investment balances",
    "dormant relationships",
    "acquisition cost",
    "data quality",
    "advisor skills",
    "remote service",
    "pension accounts",
    "private clients",
]
ZH_SEGS = [
    "代发年轻客群",
    "财富潜力客户",
    "沉睡VIP",
    "新开户客户",
    "高净值家庭",
    "退休人群",
    "小微企业主",
    "信用卡活跃",
    "手机银行新用户",
    "理财到期客户",
    "外地务工人员",
    "高校毕业生",
]
EN_SEGS = [
    "Young payroll",
    "Wealth potential",
    "Dormant VIP",
    "New to bank",
    "Affluent families",
    "Retirees",
    "Small business owners",
    "Active card holders",
    "New app users",
    "Maturing deposits",
    "Mass affluent",
    "Graduates",
]

CHANNELS = [
    # id, label, kind, capacity, cost, quiet, cap (per 30d)
    ("phone", "电话外呼", "outbound_call", "50万 per day", "3.5", "21:00 .. 09:00", 2),
    ("sms", "短信", "sms", "unlimited", "0.05", "21:00 .. 08:00", 4),
    ("app_push", "手机银行推送", "push", "unlimited", "0.01", None, 6),
    ("email", "Email", "email", "unlimited", "0.002", None, 6),
    ("wechat", "企业微信", "wechat", "unlimited", "0.02", "22:00 .. 08:00", 4),
    ("rm_visit", "客户经理面访", "rm_visit", "20万 per day", "45", None, 2),
]

SCHEMA_FIELDS = """\
  id                string key
  name              string
  age               int
  gender            enum(F, M, U)
  aum               money
  monthly_income    money
  card_spend_90d    money
  loan_balance      money optional
  payroll           bool
  has_app           bool
  marketing_consent bool
  tenure_months     int
  products_held     int
  last_txn_days     int
  app_logins_30d    int
  city_tier         int
  risk_level        enum(R1, R2, R3, R4, R5) risk_tolerance
  stage             enum(new, active, dormant, churned)
  branch            string
  opened_on         date
  email             string optional
"""


@dataclass
class Objective:
    id: str
    level: int
    label: str


@dataclass
class Segment:
    id: str
    label: str
    min_risk: int = 0  # the rule guarantees risk_level >= R{min_risk} (0: no guarantee)
    fields: frozenset = frozenset()  # fields its rule (with its parents') tests
    estimate: int | None = None
    lines: list[str] = field(default_factory=list)


class Gen:
    def __init__(self, objectives: int, segments: int, seed: int):
        self.r = random.Random(seed)
        self.n_obj = objectives
        self.n_seg = segments
        self.target_no = 0

    # ------------------------------------------------------------------ small helpers

    def label(self, zh_a, zh_b, en_a, en_b, n):
        r = self.r
        if r.random() < 0.5:
            return f"{r.choice(zh_a)}{r.choice(zh_b)} {n}"
        return f"{r.choice(en_a)} {r.choice(en_b)} {n}"

    def date(self, lo_month=2):
        r = self.r
        if r.random() < 0.2:
            return f"2026Q{r.randint(max(1, (lo_month + 2) // 3), 4)}"
        return f"2026-{r.randint(lo_month, 12):02d}-{r.randint(1, 28):02d}"

    def metric(self):
        """(label, cmp, value, baseline) of a target."""
        r = self.r
        kind = r.random()
        if kind < 0.5:
            base = r.randint(5, 60)
            if r.random() < 0.8:
                return (
                    r.choice(
                        ["转化率", "激活率", "Retention rate", "覆盖率", "Share of digital sales"]
                    ),
                    ">=",
                    f"{base + r.randint(2, 30)}%",
                    f"{base}%",
                )
            return (
                r.choice(["流失率", "Churn rate", "投诉率"]),
                "<=",
                f"{max(1, base // 4)}%",
                f"{base // 2 + 2}%",
            )
        if kind < 0.8:
            unit = r.choice(["万", "亿", "m", "k"])
            base = round(r.uniform(1, 90), 1)
            return (
                r.choice(["AUM增长", "中间业务收入", "Fee income", "Revenue won back"]),
                ">=",
                f"{round(base * r.uniform(1.1, 1.8), 1)}{unit}",
                f"{base}{unit}",
            )
        base = r.randint(10, 60)
        return (
            r.choice(["净推荐值", "NPS", "持证人数", "Certified advisors"]),
            ">=",
            str(base + r.randint(3, 20)),
            str(base),
        )

    def target_line(self, indent="  "):
        self.target_no += 1
        lbl, cmp, val, base = self.metric()
        tid = f"t{self.target_no}"
        parts = [f"target {tid}"]
        if self.r.random() < 0.7:
            parts.append(f'"{lbl}"')
        parts += [cmp, val, "by", self.date()]
        if self.r.random() < 0.6:
            parts += ["baseline", base]
        return indent + " ".join(parts)

    # ------------------------------------------------------------------ sections

    def objectives(self):
        n = self.n_obj
        counts = [max(1, int(n * s)) for s in PERSPECTIVE_SHARE]
        counts[-1] = max(1, n - sum(counts[:-1]))
        self.levels: list[list[Objective]] = []
        for level, (p, c) in enumerate(zip(PERSPECTIVES, counts)):
            self.levels.append(
                [
                    Objective(
                        f"{PREFIX[p]}{i:05d}",
                        level,
                        self.label(ZH_VERBS, ZH_NOUNS, EN_VERBS, EN_NOUNS, i),
                    )
                    for i in range(1, c + 1)
                ]
            )
        out = []
        for level, objs in enumerate(self.levels):
            p = PERSPECTIVES[level]
            out.append(f"# {'-' * 64} {p} ({len(objs)} objectives)")
            out.append("")
            for o in objs:
                r = self.r
                theme = r.choice(THEMES)[0]
                if r.random() < 0.2:
                    out.append(f'objective {o.id} "{o.label}" {{')
                    out.append(f"  perspective {p}")
                    out.append(f"  theme       {theme}")
                    if KINDS[p]:
                        out.append(f"  kind        {r.choice(KINDS[p])}")
                    out.append(f'  owner       "{r.choice(OWNERS)}"')
                    if r.random() < 0.1:
                        out.append('  description """')
                        out.append(
                            "    Part of the 2026 plan; reviewed quarterly by the strategy office."
                        )
                        out.append("    Measured on the monthly management report.")
                        out.append('  """')
                    for _ in range(r.choice((1, 1, 2))):
                        out.append(self.target_line())
                    out.append("}")
                else:
                    out.append(
                        f'objective {o.id} "{o.label}" {{ perspective {p}  theme {theme}  owner "{r.choice(OWNERS)}"'
                    )
                    out.append(self.target_line("  ") + " }")
            out.append("")
        return out

    def links(self):
        r = self.r
        edges: dict[str, list[str]] = {}
        has_driver = set()
        for level in range(1, len(self.levels)):
            for o in self.levels[level]:
                outs = []
                for _ in range(1 if r.random() < 0.7 else 2):
                    # mostly the next perspective up, sometimes further
                    up = level - 1 if r.random() < 0.85 else r.randint(0, level - 1)
                    t = r.choice(self.levels[up]).id
                    if t not in outs:
                        outs.append(t)
                edges[o.id] = outs
                has_driver.update(outs)
        for f in self.levels[0]:  # every outcome gets a driver
            if f.id not in has_driver:
                c = r.choice(self.levels[1]).id
                edges[c].append(f.id)
                has_driver.add(f.id)
        # emit as chains: follow unused edges upward from the bottom perspective
        out = [f"# {'-' * 64} cause -> effect", ""]
        remaining = {k: list(v) for k, v in edges.items()}
        order = [o.id for lv in reversed(self.levels[1:]) for o in lv]
        for start in order:
            while remaining.get(start):
                chain = [start]
                cur = start
                while remaining.get(cur) and len(chain) < 4:
                    nxt = remaining[cur].pop(0)
                    chain.append(nxt)
                    cur = nxt
                line = " -> ".join(chain)
                if len(chain) == 2 and r.random() < 0.15:
                    line += f' "{r.choice(["交叉销售带动规模", "skills drive service", "早接触早挽留", "better data, better offers"])}"'
                out.append(line)
        out.append("")
        return out

    def rule_test(self, field_name):
        r = self.r
        match field_name:
            case "age":
                a = r.randint(18, 60)
                return r.choice(
                    [f"age between {a} and {a + r.randint(5, 20)}", f"age >= {a}", f"age < {a + 5}"]
                )
            case "aum":
                v = r.choice(["5万", "20万", "50万", "100万", "300万", "600万"])
                return r.choice([f"aum >= {v}", f"aum < {v}", f"aum between 1万 and {v}"])
            case "monthly_income":
                v = r.randint(3, 60) * 1000
                return r.choice(
                    [f"monthly_income >= {v}", f"monthly_income between {v} and {v * 3}"]
                )
            case "card_spend_90d":
                return f"card_spend_90d > {r.randint(1, 50) * 1000}"
            case "loan_balance":
                return r.choice(
                    [
                        "loan_balance is missing",
                        "loan_balance is present",
                        f"loan_balance > {r.randint(1, 80)}万",
                    ]
                )
            case "payroll" | "has_app" | "marketing_consent":
                return field_name if r.random() < 0.75 else f"not {field_name}"
            case "tenure_months" | "products_held" | "last_txn_days" | "app_logins_30d":
                v = r.randint(1, 120) if field_name != "products_held" else r.randint(1, 6)
                return r.choice(
                    [
                        f"{field_name} >= {v}",
                        f"{field_name} <= {v}",
                        f"{field_name} > {v}",
                        f"{field_name} between {v} and {v * 2 + 1}",
                    ]
                )
            case "city_tier":
                return r.choice(
                    [
                        f"city_tier in [{', '.join(map(str, sorted(r.sample(range(1, 6), 2))))}]",
                        "city_tier not in [4, 5]",
                        f"city_tier <= {r.randint(1, 3)}",
                    ]
                )
            case "gender":
                return r.choice(["gender = F", "gender = M", "gender != U", "gender in [F, M]"])
            case "stage":
                return r.choice(
                    [
                        "stage = active",
                        "stage in [active, dormant]",
                        "stage != churned",
                        "stage not in [new, churned]",
                        "stage = dormant",
                    ]
                )
            case "branch":
                return r.choice(
                    ['branch = "SH01"', 'branch in ["BJ01", "BJ02", "GZ03"]', 'branch != "HQ"']
                )
            case "opened_on":
                return r.choice(
                    [f"opened_on >= 20{r.randint(10, 25)}-01-01", "opened_on < 2020-06-30"]
                )
            case "email":
                return "email is present"
        raise AssertionError(field_name)

    RULE_FIELDS = (
        "age",
        "aum",
        "monthly_income",
        "card_spend_90d",
        "loan_balance",
        "payroll",
        "has_app",
        "marketing_consent",
        "tenure_months",
        "products_held",
        "last_txn_days",
        "app_logins_30d",
        "city_tier",
        "gender",
        "stage",
        "branch",
        "opened_on",
        "email",
    )

    def rule(self, min_risk: int, avoid: frozenset = frozenset()) -> tuple[str, frozenset, int]:
        """A rule with 2-6 tests, each field used once and none from `avoid` (the parent's fields,
        so a child never contradicts its parent); `risk_level >= R{min_risk}` on top when asked.
        Returns the rule, the fields it uses and the risk level it guarantees (0: none)."""
        r = self.r
        pool = [f for f in self.RULE_FIELDS if f not in avoid]
        fields = r.sample(pool, min(len(pool), r.randint(2, 6)))
        tests = [self.rule_test(f) for f in fields]
        used = set(fields)
        guaranteed = 0
        shape = r.random()
        if shape < 0.45 or len(tests) < 3:
            expr = " and ".join(tests)
        elif shape < 0.7:
            expr = f"({tests[0]} or {tests[1]}) and " + " and ".join(tests[2:])
        elif shape < 0.85:
            expr = " and ".join(tests[:-1]) + f" and not ({tests[-1]})"
        else:
            k = len(tests) // 2
            expr = "(" + " and ".join(tests[:k]) + ") or (" + " and ".join(tests[k:]) + ")"
        if min_risk and "risk_level" not in avoid:
            used.add("risk_level")
            guaranteed = min_risk
            op = r.choice(["risk_level >=", "risk_level >=", "risk_level in"])
            if op == "risk_level in":
                guard = "risk_level in [" + ", ".join(f"R{k}" for k in range(min_risk, 6)) + "]"
            else:
                guard = f"risk_level >= R{min_risk}"
            expr = f"{guard} and ({expr})" if " or " in expr else f"{guard} and {expr}"
        elif r.random() < 0.2 and "risk_level" not in avoid:
            used.add("risk_level")
            expr += f" and risk_level <= R{r.randint(2, 5)}"
        return expr, frozenset(used), guaranteed

    def customers(self):
        r = self.r
        out = ['schema customer "零售客户" {', SCHEMA_FIELDS.rstrip("\n"), "}", ""]
        self.events = [f"ev_{i:03d}" for i in range(1, max(4, self.n_seg // 50) + 1)]
        for e in self.events:
            out.append(
                f'event {e} "{r.choice(["首次代发入账", "Large deposit", "理财到期", "Port-out request", "App login after 60 days"])} {e[3:]}" {{'
            )
            out.append('  description "Emitted by the event bus in real time."')
            out.append("}")
        out.append("")
        # tierings first: their segments are exclusive and exhaustive by construction
        out.append(f"# {'-' * 64} tiers")
        tiers = [
            (
                "aum_tiers",
                "AUM分层",
                [
                    ("tier_vip", "财富VIP", "aum >= 100万"),
                    ("tier_mid", "财富潜力", "aum >= 20万 and aum < 100万"),
                    ("tier_mass", "大众客户", "aum < 20万"),
                ],
            ),
            (
                "age_tiers",
                "Age bands",
                [
                    ("age_young", "Under 30", "age < 30"),
                    ("age_mid", "30 to 49", "age >= 30 and age < 50"),
                    ("age_senior", "50 and over", "age >= 50"),
                ],
            ),
        ]
        for tid, tlabel, segs in tiers:
            for sid, slabel, rule in segs:
                out.append(
                    f'segment {sid} "{slabel}" {{ rule {rule}  estimate {r.randint(5, 90)}万 }}'
                )
            out.append(f'tiering {tid} "{tlabel}" {{')
            out.append(f"  segments   {', '.join(s[0] for s in segs)}")
            out.append("  exclusive  true")
            out.append("  exhaustive true")
            out.append("}")
        out.append("")
        self.segments: list[Segment] = []
        n = max(0, self.n_seg - sum(len(t[2]) for t in tiers))
        # plays: about one per three segments, spread over the catalogue; the rest carry `allow SEG504`
        self.n_plays = max(5, self.n_seg // 3)
        self.play_segment_of = [(i * 7919) % n if n else None for i in range(1, self.n_plays + 1)]
        self.play_segments = set(self.play_segment_of)
        out.append(f"# {'-' * 64} segments ({n})")
        for i in range(1, n + 1):
            sid = f"seg_{i:05d}"
            label = self.label(ZH_SEGS, ["", "·A", "·B"], EN_SEGS, ["", "(A)", "(B)"], i)
            min_risk = r.choice([0, 0, 0, 2, 3, 4])
            seg = Segment(sid, label)
            parent = None
            if self.segments and r.random() < 0.12:
                parent = r.choice(self.segments[-50:])
            rule, seg.fields, seg.min_risk = self.rule(
                0 if parent and parent.min_risk >= min_risk else min_risk,
                parent.fields if parent else frozenset(),
            )
            if parent:  # the parent's rule applies too
                seg.fields |= parent.fields
                seg.min_risk = max(seg.min_risk, parent.min_risk)
            allow = "" if i - 1 in self.play_segments else "allow SEG504  "  # analysis-only segment
            if r.random() < 0.85:
                seg.estimate = r.randint(5, 300) * 100
            style = r.random()
            if style < 0.55 and len(rule) < 110:
                extra = f"  estimate {seg.estimate}" if seg.estimate else ""
                ext = f"extends {parent.id}  " if parent else ""
                out.append(
                    f'segment {sid} "{label}" {{ {ext}rule {rule}{extra}  {allow}}}'.replace(
                        "  }", " }"
                    )
                )
            else:
                out.append(f'segment {sid} "{label}" {{')
                if parent:
                    out.append(f"  extends   {parent.id}")
                if len(rule) > 90 and " and " in rule:
                    head, _, tail = rule.partition(" and ")
                    if head.count("(") == head.count(")"):
                        out.append(f"  rule      {head}")
                        out.append(f"            and {tail}")
                    else:
                        out.append(f"  rule      {rule}")
                else:
                    out.append(f"  rule      {rule}")
                out.append(
                    f"  lifecycle {r.choice(['acquisition', 'activation', 'growth', 'retention', 'winback'])}"
                )
                if seg.estimate:
                    out.append(f"  estimate  {seg.estimate}")
                if style > 0.85:
                    out.append("  profile {")
                    out.append('    demographic "22–35岁，代发工资入账"')
                    out.append('    behavior    "Mobile-first, rarely visits a branch"')
                    out.append('    needs       "短期理财、消费信贷"')
                    out.append("  }")
                if allow:
                    out.append(f"  {allow.strip()}")
                if style > 0.95:
                    out.append(
                        '  description "Reviewed monthly against the data warehouse counts."'
                    )
                out.append("}")
            self.segments.append(seg)
        out.append("")
        return out

    def playbook(self):
        r = self.r
        out = []
        for cid, label, kind, cap, cost, quiet, per in CHANNELS:
            out.append(f'channel {cid} "{label}" {{')
            out.append(f"  kind     {kind}")
            out.append(f"  capacity {cap}")
            out.append(f"  cost     {cost}")
            if quiet:
                out.append(f"  quiet    {quiet}")
            out.append(f"  cap      {per} per 30d")
            out.append("}")
        out.append("")
        self.offers = []
        for i in range(1, max(6, self.n_seg // 20) + 1):
            oid = f"offer_{i:04d}"
            risk = r.choice([0, 0, 1, 2, 3, 4])
            self.offers.append((oid, risk))
            attrs = [f"kind {r.choice(['product', 'service', 'benefit'])}"]
            if risk:
                attrs.append(f"risk R{risk}")
            out.append(
                f'offer {oid} "{r.choice(["薪享理财", "Loyalty bonus", "积分礼遇", "Fee waiver", "养老理财"])} {i}" {{ {"  ".join(attrs)} }}'
            )
        out.append("")
        self.scripts: dict[str, list[str]] = {c[0]: [] for c in CHANNELS}
        n_scripts = max(len(CHANNELS) * 2, self.n_seg // 8)
        for i in range(1, n_scripts + 1):
            ch = CHANNELS[i % len(CHANNELS)][0]
            sid = f"script_{i:04d}"
            self.scripts[ch].append(sid)
            out.append(
                f'script {sid} "{r.choice(["代发首月欢迎话术", "Win-back call", "理财到期提醒", "Renewal text"])} {i}" {{'
            )
            out.append(f"  channel    {ch}")
            if ch in ("phone", "rm_visit"):
                out.append('  opening    """')
                out.append("    您好，{{ customer.name }}，我是{{ strategy.owner }}的客户经理。")
                out.append("    感谢您一直以来的支持。")
                out.append('  """')
                out.append('  discovery  "How are you finding our {{ channel.label }} service?"')
            out.append('  pitch      "为您推荐{{ offer.label }}，适合{{ segment.label }}。"')
            if ch in ("phone", "rm_visit") and r.random() < 0.6:
                out.append(
                    '  objection  "没时间" -> "只需两分钟，我也可以把介绍发到您的手机银行。"'
                )
                out.append(
                    '  objection  "Not interested" -> "Understood. May I send you the details by email instead?"'
                )
            if ch in ("phone", "rm_visit"):
                out.append('  closing    "稍后会把产品说明发到您的手机银行。"')
            out.append('  disclaimer "理财非存款，产品有风险，投资须谨慎。"')
            if ch in ("sms", "email", "wechat", "app_push"):
                out.append('  opt_out    "回复TD退订"')
            out.append("}")
        out.append("")
        # plays: about one per three segments; they and the initiatives support every objective
        self.supported: set[str] = set()
        all_objs = [o for lv in self.levels for o in lv]
        cand = self.segments or []
        priorities = r.sample(range(1, self.n_plays * 3 + 1), self.n_plays)  # distinct: no ties
        for i in range(1, self.n_plays + 1):
            pid = f"play_{i:05d}"
            idx = self.play_segment_of[i - 1]
            seg = cand[idx] if idx is not None else None
            risky = [o for o in self.offers if 0 < o[1] <= (seg.min_risk if seg else 0)]
            plain = [o for o in self.offers if o[1] == 0]
            offer = r.choice(risky) if risky and r.random() < 0.7 else r.choice(plain)
            out.append(
                f'play {pid} "{r.choice(["代发客群首月激活", "Dormant VIP reactivation", "理财到期承接", "Card cross-sell"])} {i}" {{'
            )
            out.append(f"  segment  {seg.id if seg else 'tier_vip'}")
            when = r.random()
            if when < 0.35:
                out.append(
                    f"  when     event {r.choice(self.events)} within {r.choice(['7d', '14d', '30d', '2w'])}"
                )
            elif when < 0.55:
                out.append(
                    f"  when     lifecycle {r.choice(['acquisition', 'activation', 'growth', 'retention', 'winback'])}"
                )
            elif when < 0.75:
                out.append(f"  when     schedule {r.choice(['daily', 'weekly', 'monthly'])}")
            elif when < 0.9:
                out.append(
                    f"  when     rule last_txn_days > {r.randint(30, 120)} and marketing_consent"
                )
            out.append(f"  offer    {offer[0]}")
            chans = r.sample([c[0] for c in CHANNELS], r.choice([1, 2, 2, 3]))
            for k, ch in enumerate(chans, 1):
                after = f" after {r.choice(['1d', '3d', '7d', '2w'])}" if k > 1 else ""
                unless = " unless converted" if k > 1 and r.random() < 0.7 else ""
                out.append(f"  step {k}   {ch} using {r.choice(self.scripts[ch])}{after}{unless}")
            sup = r.sample(
                all_objs[: len(self.levels[0]) + len(self.levels[1]) + len(self.levels[2])],
                r.choice([1, 2, 2, 3]),
            )
            self.supported.update(o.id for o in sup)
            out.append(f"  supports {', '.join(o.id for o in sup)}")
            out.append(self.target_line("  ").replace("target ", "target   ", 1))
            out.append(f"  control  {r.choice([5, 10, 10, 15, 20])}%")
            out.append(f"  priority {priorities[i - 1]}")
            out.append(f'  owner    "{r.choice(OWNERS)}"')
            out.append(f"  budget   {r.randint(5, 200)}万")
            if r.random() < 0.1:
                out.append(
                    f"  period   2026-{r.randint(1, 6):02d}-01 .. 2026-{r.randint(7, 12):02d}-28"
                )
            out.append("}")
        out.append("")
        return out

    def initiatives(self):
        r = self.r
        rest = [o.id for lv in self.levels for o in lv if o.id not in self.supported]
        out = [f"# {'-' * 64} initiatives", ""]
        i = 0
        while rest:
            i += 1
            k = r.randint(6, 18)
            sup, rest = rest[:k], rest[k:]
            out.append(
                f'initiative init_{i:05d} "{r.choice(["客户经理话术认证", "Churn model v3", "数据中台建设", "Branch redesign"])} {i}" {{'
            )
            out.append(f"  supports {', '.join(sup)}")
            out.append(f'  owner    "{r.choice(OWNERS)}"')
            out.append(f"  budget   {r.randint(10, 500)}万")
            m = r.randint(1, 9)
            out.append(f"  period   2026-{m:02d}-01 .. 2026-{r.randint(m + 1, 12):02d}-28")
            out.append("}")
        out.append("")
        return out

    def build(self, single_file: bool) -> dict[str, str]:
        objectives = self.objectives() + self.links()
        customers = self.customers()
        playbook = self.playbook()
        initiatives = self.initiatives()
        head = [
            f"# Generated by benchmarks/gen_project.py: {self.n_obj} objectives, {self.n_seg} segments.",
            'strategy "财富客户经营 2026 (benchmark)" {',
            '  owner             "零售银行部"',
            "  value_proposition customer_solutions",
            "  period            2026-01-01 .. 2026-12-31",
            "  currency          CNY",
            "  locale            zh-CN",
            '  version           "bench-1"',
            "}",
            "",
        ]
        themes = []
        for tid, label, color in THEMES:
            themes.append(f'theme {tid} "{label}" {{ color "{color}" }}')
        themes.append("")
        if single_file:
            return {
                "main.strat": "\n".join(
                    head + themes + customers + objectives + playbook + initiatives
                )
                + "\n"
            }
        imports = [
            'import "customers.strat"',
            'import "objectives.strat"',
            'import "playbook.strat"',
            "",
        ]
        return {
            "main.strat": "\n".join(head + imports + themes + initiatives) + "\n",
            "customers.strat": "\n".join(customers) + "\n",
            "objectives.strat": "\n".join(objectives) + "\n",
            "playbook.strat": "\n".join(playbook) + "\n",
        }


def generate(
    objectives: int, segments: int, seed: int = 2026, single_file: bool = False
) -> dict[str, str]:
    """File name -> text of a generated project (entry: main.strat)."""
    return Gen(objectives, segments, seed).build(single_file)


def write_project(out: Path, files: dict[str, str]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.strat"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return out / "main.strat"


def parse_check(files: dict[str, str]) -> list:
    """Diagnostics of parsing every file with stratlang's parser (expected: none)."""
    from stratlang.source import SourceFile
    from stratlang.syntax.parser import parse_source

    diags = []
    for name, text in files.items():
        _, d = parse_source(SourceFile(name, text))
        diags.extend(d)
    return diags


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--preset", choices=sorted(PRESETS), help="small (~6k lines) or large (~60k lines)"
    )
    ap.add_argument(
        "--objectives", type=int, help="number of objectives (default: from the preset, else 1000)"
    )
    ap.add_argument(
        "--segments", type=int, help="number of segments (default: from the preset, else 200)"
    )
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--single-file", action="store_true", help="write everything into main.strat")
    ap.add_argument("--no-verify", action="store_true", help="skip the parse check of the output")
    ap.add_argument("-o", "--out", type=Path, required=True, help="output directory")
    a = ap.parse_args(argv)
    base = PRESETS[a.preset] if a.preset else PRESETS["small"]
    n_obj = a.objectives if a.objectives is not None else base["objectives"]
    n_seg = a.segments if a.segments is not None else base["segments"]
    if n_obj < 4 or n_seg < 1:
        ap.error("need at least 4 objectives and 1 segment")
    files = generate(n_obj, n_seg, a.seed, a.single_file)
    entry = write_project(a.out, files)
    lines = sum(t.count("\n") for t in files.values())
    print(
        f"wrote {entry} ({len(files)} files, {lines} lines, {n_obj} objectives, {n_seg} segments)"
    )
    if not a.no_verify:
        diags = parse_check(files)
        if diags:
            for d in diags[:20]:
                print(f"  {d}", file=sys.stderr)
            print(f"parse check: {len(diags)} diagnostics", file=sys.stderr)
            return 1
        print("parse check: 0 diagnostics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
