"""The roll-up beyond one level (docs/cascade.md "Roll-up in review"): a 3-level tree — the
example's head office and branches, with two teams under the Shenzhen branch — reviewed with
`stratlang review HQ --children` through the real executable. The expected sums are computed here
from the CSV rows the test writes, not read from stratlang's output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES
from test_cli import run

pytestmark = pytest.mark.slow

AS_OF = "2026-10-15"
YI = 1e8

TEAM = """strategy "{label}" {{
  parent   "../shenzhen"
  unit     {unit}
  period   2026-01-01 .. 2026-12-31
  currency CNY
  locale   zh-CN
  cadence  quarterly
}}

objective {p}_F1 "{label}AUM" {{
  perspective financial
  owner       {unit}
  align       SZ_F1
  target      aum_total "财富AUM余额" >= {aum}亿 by 2026-12-31
}}

objective {p}_C1 "{label}新客" {{
  perspective customer
  owner       {unit}
  align       SZ_C1
  target      new_clients "新增财富客户数" >= 1万 by 2026-12-31
}}
"""

# the teams' AUM actuals in 亿 (the payroll team has no Q3 figure yet)
WEALTH_AUM = {"2026-Q1": 400, "2026-Q2": 420, "2026-Q3": 445}
PAYROLL_AUM = {"2026-Q1": 210, "2026-Q2": 228}


def read_csv_actuals(path: Path, measure: str) -> dict[str, float]:
    """measure's values by period from an actuals CSV of the example (亿/万 magnitudes)."""
    out = {}
    for line in path.read_text("utf-8").splitlines()[1:]:
        m, period, value = line.split(",")[:3]
        if m == measure:
            scale = YI if value.endswith("亿") else 1e4 if value.endswith("万") else 1.0
            out[period] = float(value.rstrip("亿万")) * scale
    return out


def review_json(folder: Path) -> dict:
    return json.loads((folder / "review.json").read_text("utf-8"))


def actuals_of(doc: dict, measure: str) -> dict[str, float | None]:
    m = next(x for x in doc["measures"] if x["id"] == measure)
    return {p["period"]: p["actual"] for p in m["periods"]}


def write_team(tree: Path, name: str, label: str, unit: str, p: str, aum: dict[str, int]) -> None:
    folder = tree / name
    (folder / "data").mkdir(parents=True)
    text = TEAM.format(label=label, unit=unit, p=p, aum=sum(aum.values()) // len(aum))
    (folder / "main.strat").write_text(text, encoding="utf-8")
    rows = ["measure,period,value,note"]
    rows += [f"{p}_F1.aum_total,{period},{v}亿," for period, v in aum.items()]
    rows += [f"{p}_C1.new_clients,{q},{n},," for q, n in (("2026-Q1", 3000), ("2026-Q2", 6000))]
    (folder / "data" / "actuals.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def three_levels(tmp_path_factory):
    """hq → shenzhen, guangzhou; shenzhen → sz_wealth_team, sz_payroll_team. Shenzhen reports
    no AUM of its own (its teams' sum is its figure) but keeps its own new-client counts."""
    tree = tmp_path_factory.mktemp("three") / "t"
    shutil.copytree(EXAMPLES / "retail_cascade", tree)
    write_team(tree, "sz_wealth_team", "深圳财富团队", "sz_wealth", "SZW", WEALTH_AUM)
    write_team(tree, "sz_payroll_team", "深圳代发团队", "sz_payroll", "SZP", PAYROLL_AUM)
    sz = tree / "shenzhen" / "data" / "actuals.csv"
    lines = sz.read_text("utf-8").splitlines()
    sz.write_text(
        "\n".join(x for x in lines if not x.startswith("SZ_F1.aum_total")) + "\n", "utf-8"
    )
    hq = tree / "hq"
    out = tree.parent / "out"
    r = run(
        "review", hq, "--children", "--actuals", hq / "data/actuals.csv", "--as-of", AS_OF,
        "-o", out,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    cascade = json.loads((out / "cascade-review.json").read_text("utf-8"))
    return tree, out, r, cascade


def test_teams_roll_up_through_their_branch_into_the_head_office(three_levels):
    tree, out, _, _ = three_levels
    gz = read_csv_actuals(tree / "guangzhou/data/actuals.csv", "GZ_F1.aum_total")
    got = actuals_of(review_json(out), "F1.aum_total")
    for period in ("2026-Q1", "2026-Q2"):  # both teams and Guangzhou have a figure
        expected = (WEALTH_AUM[period] + PAYROLL_AUM[period]) * YI + gz[period]
        assert got[period] == pytest.approx(expected)
    # Q3: the payroll team has no figure, so Shenzhen has none, so the head office has none
    assert got["2026-Q3"] is None


def test_the_branchs_own_figure_wins_over_its_teams(three_levels):
    tree, out, _, _ = three_levels
    sz = read_csv_actuals(tree / "shenzhen/data/actuals.csv", "SZ_C1.new_clients")
    gz = read_csv_actuals(tree / "guangzhou/data/actuals.csv", "GZ_C1.new_clients")
    got = actuals_of(review_json(out), "C1.new_clients")
    for period in ("2026-Q1", "2026-Q2", "2026-Q3"):
        assert got[period] == pytest.approx(sz[period] + gz[period])  # not the teams' 6,000


def test_the_cascade_review_shows_every_level(three_levels):
    _, out, _, doc = three_levels
    by_project = {Path(c["project"]).parent.name: c for c in doc["children"]}
    assert set(by_project) == {"shenzhen", "guangzhou", "sz_wealth_team", "sz_payroll_team"}
    hq_key = next(c["parent"] for c in doc["children"] if c["unit"] == "branch_sz")
    assert by_project["sz_wealth_team"]["parent"] == by_project["shenzhen"]["project"]
    assert by_project["guangzhou"]["parent"] == hq_key
    sz_rollups = {r["measure"]: r for r in by_project["shenzhen"]["rollups"]}
    assert set(sz_rollups) == {"SZ_F1.aum_total", "SZ_C1.new_clients"}
    q1 = next(p for p in sz_rollups["SZ_F1.aum_total"]["periods"] if p["period"] == "2026-Q1")
    assert q1["total"] == pytest.approx((WEALTH_AUM["2026-Q1"] + PAYROLL_AUM["2026-Q1"]) * YI)
    assert q1["own"] is None
    page = (out / "cascade-review.html").read_text("utf-8")
    assert "深圳分行 与下级单元" in page  # the branch's table of its teams
    assert "深圳分行 › 深圳分行财富团队" in page  # a team named by its trail of units
    svg = (out / "cascade-map.svg").read_text("utf-8")
    assert svg.count('<g id="clust') == 5


def test_three_levels_match_the_schema(three_levels):
    import jsonschema

    from stratlang.schemas import load_schema

    _, _, _, doc = three_levels
    validator = jsonschema.Draft202012Validator(load_schema("cascade-review"))
    assert [e.message for e in validator.iter_errors(doc)] == []


def test_review_children_takes_root(tmp_path):
    tree = EXAMPLES / "retail_cascade"
    hq = tree / "hq"
    r = run(
        "review", hq, "--children", "--actuals", hq / "data/actuals.csv", "--as-of", AS_OF,
        "--root", tree, "-o", tmp_path / "out",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "out" / "cascade-review.json").read_text("utf-8"))
    assert {c["project"] for c in doc["children"]} == {
        "shenzhen/main.strat",
        "guangzhou/main.strat",
    }
    r = run(
        "review", hq, "--children", "--actuals", hq / "data/actuals.csv", "--as-of", AS_OF,
        "--root", tree / "shenzhen", "-o", tmp_path / "out2",
    )  # fmt: skip
    assert r.returncode == 2 and "outside the project root" in r.stderr
