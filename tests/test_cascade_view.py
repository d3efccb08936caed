"""The cascade view, the traceability matrix and the review roll-up (docs/cascade.md), through
the real `stratlang` executable, on examples/retail_cascade (head office + two branches)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES
from test_cli import run

pytestmark = pytest.mark.slow

TREE = EXAMPLES / "retail_cascade"
AS_OF = "2026-10-15"


def models():
    """The example's checked models by folder name (hq, shenzhen, guangzhou)."""
    from stratlang.check.cascade import find_projects, load_tree

    tree = load_tree(find_projects(TREE))
    return {e.parent.name: r.model for e, r in tree.results.items()}


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    out = tmp_path_factory.mktemp("cascade") / "out"
    r = run("cascade", TREE, "-o", out)
    assert r.returncode == 0, r.stderr
    return out, r


def test_the_example_checks_clean_with_the_shortfall_shown(view):
    _, r = view
    assert "error" not in r.stderr.split("warning:")[0]
    # the README's ALN006: the branches' AUM targets fall 20亿 short of the head office's
    assert "ALN006" in r.stderr and "1180亿" in r.stderr and "1200亿" in r.stderr
    assert "20亿" in r.stderr
    assert "wrote cascade.dot, cascade.svg, traceability.csv, traceability.html" in r.stderr


def test_view_has_a_cluster_per_project_and_an_edge_per_alignment(view):
    out, _ = view
    dot = (out / "cascade.dot").read_text(encoding="utf-8")
    ms = models()
    assert dot.count("subgraph cluster_") == len(ms)
    aligns = sum(len(o.aligns) for mdl in ms.values() for o in mdl.objectives.values())
    assert dot.count("[dir=back]") == aligns
    svg = (out / "cascade.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg
    for label in ("总行零售银行部", "深圳分行", "广州分行", "SZ_F1", "GZ_L1"):
        assert label in svg


def test_matrix_csv_lists_every_parent_objective_for_every_unit(view):
    out, _ = view
    rows = list(csv.DictReader(io.StringIO((out / "traceability.csv").read_text("utf-8"))))
    ms = models()
    hq = ms["hq"]
    for name in ("shenzhen", "guangzhou"):
        child = ms[name]
        for po in hq.objectives.values():
            got = [
                r["objective"]
                for r in rows
                if r["parent_objective"] == po.id and r["unit"] == child.unit
            ]
            want = [o.id for o in child.objectives.values() if po.id in o.aligns]
            assert sorted(got) == sorted(want) or (not want and got == [""]), (po.id, name)
    sz_f1 = next(r for r in rows if r["objective"] == "SZ_F1")
    assert sz_f1["parent_project"].endswith("retail_cascade/hq/main.strat")
    assert sz_f1["unit_label"] == "深圳分行" and "700亿" in sz_f1["targets"]
    assert "sz_founder_wealth" in sz_f1["plays"]  # the play supporting SZ_F1
    assert "1180亿" in sz_f1["children_totals"] and "20亿" in sz_f1["children_totals"]
    # the head office's L2 is carried by no branch: one empty row per branch
    l2 = [r for r in rows if r["parent_objective"] == "L2"]
    assert len(l2) == 2 and all(r["objective"] == "" for r in l2)


def test_matrix_html_has_a_column_per_unit(view):
    out, _ = view
    page = (out / "traceability.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "<th>深圳分行" in page and "<th>广州分行" in page
    assert page.count('<td class="gap">') == 2  # L2 × both branches


HOSTILE_HQ = """strategy "<script>alert(1)</script>" {
  unit top
  period 2026-01-01 .. 2026-12-31
}
unit top "=HYPERLINK(\\"http://x\\")"
unit kid "<b>分行</b>" { parent top }
objective F1 "=1+1 <i>AUM</i>" {
  perspective financial
  owner top
  target aum "@SUM(A1)" >= 100亿 by 2026-12-31
}
"""

HOSTILE_KID = """strategy "分行" {
  parent "../hq"
  unit kid
  period 2026-01-01 .. 2026-12-31
}
objective K1 "-2+3 \\u{202E}反转" {
  perspective financial
  owner kid
  align F1
  target aum "+cmd|' /C calc'!A0" >= 100亿 by 2026-12-31
}
"""


def test_matrix_escapes_html_and_guards_formulas(tmp_path):
    (tmp_path / "hq").mkdir()
    (tmp_path / "kid").mkdir()
    (tmp_path / "hq" / "main.strat").write_text(HOSTILE_HQ, encoding="utf-8")
    (tmp_path / "kid" / "main.strat").write_text(HOSTILE_KID, encoding="utf-8")
    r = run("cascade", tmp_path, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "out" / "traceability.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<i>AUM</i>" not in page and "<b>分行</b>" not in page
    assert "\u202e" not in page
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / "traceability.csv").read_text("utf-8"))))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    k1 = next(row for row in rows if "K1" in row)
    assert any(cell.startswith("'-2+3") for cell in k1)  # the child objective's label
    assert any(cell.startswith("'=1+1 <i>AUM</i>") for cell in k1)  # the parent's, kept as text
    dot = (tmp_path / "out" / "cascade.dot").read_text(encoding="utf-8")
    assert "<script>" not in dot


def test_a_large_cascade_is_drawn_as_a_tree_of_units(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import gen_cascade

    gen_cascade.write_tree(tmp_path / "t", gen_cascade.generate(20))
    r = run("cascade", tmp_path / "t", "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    dot = (tmp_path / "out" / "cascade.dot").read_text(encoding="utf-8")
    assert "cluster_" not in dot and "rankdir=LR" in dot
    assert dot.count("-> u") >= 20  # an edge from the head office to each branch at least
    assert "(21 projects)" in r.stderr
    page = (tmp_path / "out" / "traceability.html").read_text(encoding="utf-8")
    assert page.count("<tr><th>") == 1 + 20  # the header, then a row per branch (more than 12)
    forced = run("cascade", tmp_path / "t", "--layout", "clusters", "-o", tmp_path / "o2")
    assert forced.returncode == 0 and "cluster_20" in (tmp_path / "o2" / "cascade.dot").read_text()


def test_children_option_finds_the_branches(tmp_path):
    r = run("cascade", TREE / "hq", "--children", "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert "(3 projects)" in r.stderr


def test_a_failing_check_writes_nothing(tmp_path):
    shutil.copytree(TREE, tmp_path / "t")
    kid = tmp_path / "t" / "shenzhen" / "main.strat"
    kid.write_text(kid.read_text("utf-8").replace("align       F1", "align       F9"), "utf-8")
    r = run("cascade", tmp_path / "t", "-o", tmp_path / "out")
    assert r.returncode == 1 and "ALN002" in r.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------ roll-up


def review_json(folder: Path) -> dict:
    return json.loads((folder / "review.json").read_text(encoding="utf-8"))


def actuals_of(doc: dict, measure: str) -> dict[str, float | None]:
    m = next(x for x in doc["measures"] if x["id"] == measure)
    return {p["period"]: p["actual"] for p in m["periods"]}


@pytest.fixture(scope="module")
def rolled(tmp_path_factory):
    base = tmp_path_factory.mktemp("rollup")
    r = run(
        "review", TREE / "hq", "--children", "--actuals", TREE / "hq/data/actuals.csv",
        "--as-of", AS_OF, "-o", base / "hq",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    kids = {}
    for name in ("shenzhen", "guangzhou"):
        k = run(
            "review", TREE / name, "--actuals", TREE / name / "data/actuals.csv",
            "--as-of", AS_OF, "-o", base / name,
        )  # fmt: skip
        assert k.returncode == 0, k.stderr
        kids[name] = review_json(base / name)
    return base, r, kids


@pytest.mark.parametrize(
    "parent,sz_measure,gz_measure",
    [("F1.aum_total", "SZ_F1.aum_total", "GZ_F1.aum_total"),
     ("F2.fee_income", "SZ_F2.fee_income", "GZ_F2.gz_fee"),  # Guangzhou's `serves F2.fee_income`
     ("C1.new_clients", "SZ_C1.new_clients", "GZ_C1.new_clients")],
)  # fmt: skip
def test_rollup_sums_the_childrens_actuals(rolled, parent, sz_measure, gz_measure):
    base, _, kids = rolled
    got = actuals_of(review_json(base / "hq"), parent)
    sz = actuals_of(kids["shenzhen"], sz_measure)
    gz = actuals_of(kids["guangzhou"], gz_measure)
    for period in ("2026-Q1", "2026-Q2", "2026-Q3"):
        assert got[period] == pytest.approx(sz[period] + gz[period])


def test_rollup_leaves_rates_and_scores_alone(rolled):
    base, _, _ = rolled
    doc = review_json(base / "hq")
    # the head office's own actuals, not sums: a rate and a score
    assert actuals_of(doc, "P1.activation")["2026-Q3"] == pytest.approx(28.0)
    assert actuals_of(doc, "C2.nps")["2026-Q3"] == pytest.approx(42.0)
    cascade = json.loads((base / "hq" / "cascade-review.json").read_text("utf-8"))
    assert {r["measure"] for r in cascade["rollups"]} == {
        "F1.aum_total",
        "F2.fee_income",
        "C1.new_clients",
    }


def test_cascade_review_shows_each_childs_status_beside_the_parents(rolled):
    base, r, kids = rolled
    assert "cascade-review.html" in r.stderr
    doc = json.loads((base / "hq" / "cascade-review.json").read_text("utf-8"))
    hq = review_json(base / "hq")
    assert doc["parent"]["status"] == hq["strategy"]["status"]
    by_unit = {c["unit"]: c for c in doc["children"]}
    assert set(by_unit) == {"branch_sz", "branch_gz"}
    sz = {o["id"]: o["status"] for o in by_unit["branch_sz"]["objectives"]}
    assert sz == {o["id"]: o["status"] for o in kids["shenzhen"]["objectives"]}
    page = (base / "hq" / "cascade-review.html").read_text("utf-8")
    for level in ("level-strategy", "level-operations", "level-business"):
        assert f'id="{level}"' in page
    assert "深圳分行财富团队" in page  # the operations level follows the owning units
    assert "sz_founder_wealth" in page  # the business level lists the units' plays
    svg = (base / "hq" / "cascade-map.svg").read_text("utf-8")
    assert svg.count('<g id="clust') == 3  # the head office and both branches
    for objective in doc["parent"]["objectives"] + by_unit["branch_sz"]["objectives"]:
        assert objective["status"] in ("green", "amber", "red", "none")
    words = {"green": "● 达成", "amber": "▲ 关注", "red": "■ 未达"}
    for status in {o["status"] for o in doc["parent"]["objectives"]} - {"none"}:
        assert words[status] in svg  # each status by symbol and word, not colour alone


def test_level_gives_one_level_of_the_cascade_review(tmp_path):
    r = run(
        "review", TREE / "hq", "--children", "--actuals", TREE / "hq/data/actuals.csv",
        "--as-of", AS_OF, "--level", "operations", "-o", tmp_path / "out",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "out" / "cascade-review.html").read_text("utf-8")
    assert 'id="level-operations"' in page
    assert 'id="level-strategy"' not in page and 'id="level-business"' not in page


def test_the_parents_own_actual_wins_over_the_sum(tmp_path):
    shutil.copytree(TREE, tmp_path / "t")
    hq = tmp_path / "t" / "hq"
    with (hq / "data" / "actuals.csv").open("a", encoding="utf-8") as f:
        f.write("F1.aum_total,2026-Q1,1050亿,总行自报\n")
    r = run(
        "review", hq, "--children", "--actuals", hq / "data/actuals.csv", "--as-of", AS_OF,
        "-o", tmp_path / "out",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert actuals_of(review_json(tmp_path / "out"), "F1.aum_total")["2026-Q1"] == 1050e8


def test_a_child_without_actuals_is_not_summed(tmp_path):
    shutil.copytree(TREE, tmp_path / "t")
    (tmp_path / "t" / "guangzhou" / "data" / "actuals.csv").unlink()
    hq = tmp_path / "t" / "hq"
    r = run(
        "review", hq, "--children", "--actuals", hq / "data/actuals.csv", "--as-of", AS_OF,
        "-o", tmp_path / "out",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "guangzhou/main.strat has no data/actuals.csv" in r.stderr
    assert actuals_of(review_json(tmp_path / "out"), "F1.aum_total")["2026-Q1"] is None
    assert "REV804" in r.stderr  # the head office's AUM has no actual: reported missing


def test_cascade_needs_no_data_engine(tmp_path):
    """`stratlang cascade` is in the core install: it runs with DuckDB, sqlglot and PyArrow
    missing."""
    code = (
        "import sys\n"
        "for name in ('duckdb', 'sqlglot', 'pyarrow'):\n"
        "    sys.modules[name] = None\n"
        f"sys.argv = ['stratlang', 'cascade', {str(TREE)!r}, '-o', {str(tmp_path / 'out')!r}]\n"
        "from stratlang.cli import run\n"
        "run(quick_exit=False)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "traceability.csv").is_file()


def test_review_of_a_folder_of_projects_reviews_its_top(tmp_path):
    r = run(
        "review", TREE, "--children", "--actuals", TREE / "hq/data/actuals.csv",
        "--as-of", AS_OF, "-o", tmp_path / "out",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "out" / "cascade-review.json").read_text("utf-8"))
    assert doc["parent"]["unit"] == "retail_hq" and len(doc["children"]) == 2


def test_a_bad_childs_actuals_are_named_by_its_folder(tmp_path):
    shutil.copytree(TREE, tmp_path / "t")
    with (tmp_path / "t" / "shenzhen" / "data" / "actuals.csv").open("a", encoding="utf-8") as f:
        f.write("SZ_F1.aum_totl,2026-Q3,1亿,\n")
    hq = tmp_path / "t" / "hq"
    r = run(
        "review", hq, "--children", "--actuals", hq / "data/actuals.csv", "--as-of", AS_OF,
        "-o", tmp_path / "out",
    )  # fmt: skip
    assert r.returncode == 2
    assert "shenzhen/data/actuals.csv row 31, column `measure`" in r.stderr
    assert "did you mean `SZ_F1.aum_total`" in r.stderr
    assert not (tmp_path / "out").exists()


def test_cascade_review_json_matches_its_schema(rolled):
    import jsonschema

    from stratlang.schemas import load_schema, schema_url

    base, _, _ = rolled
    doc = json.loads((base / "hq" / "cascade-review.json").read_text("utf-8"))
    assert doc["$schema"] == schema_url("cascade-review")
    schema = load_schema("cascade-review")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(doc)] == []
