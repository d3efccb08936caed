"""The JSON Schemas shipped in the package (stratlang/schemas/): every example's model.json,
summary.json and review.json, written by the real executable, validates against them; the
schemas are strict enough to catch a wrong file; `stratlang schema NAME` prints them."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
from conftest import EXAMPLES, ROOT
from test_cli import run

from stratlang import __version__, language
from stratlang.schemas import SCHEMAS, load_schema, schema_file, schema_text, schema_url

# every project among the examples (a cascade holds one per unit: retail_cascade/hq, …)
EXAMPLE_FOLDERS = sorted(p.parent for p in EXAMPLES.rglob("main.strat"))


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(name: str, doc: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in validator(name).iter_errors(doc)
    ]


def test_each_schema_is_draft_2020_12_and_its_id_is_the_url_files_name():
    for name in SCHEMAS:
        schema = load_schema(name)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == schema_url(name)
        assert schema_url(name).endswith("/" + schema_file(name))
        # the document's own `$schema` must be the schema's id
        assert schema["properties"]["$schema"] == {"const": schema["$id"]}
        assert {"$schema", "format", "format_version", "stratlang_version"} <= set(
            schema["required"]
        )
        assert schema["additionalProperties"] is False


def build_example(folder: Path, out: Path) -> Path:
    """`stratlang build` of an example with everything it has: its data (and previous customers,
    history tables beside the data), its actuals and outcomes. Run from the example's folder
    with relative paths, as its README says."""
    data = folder / "data"
    args = ["build", ".", "-o", out, "--as-of", "2026-10-15"]
    if (data / "customers.csv").is_file():
        args += ["--data", "data/customers.csv"]
        if (data / "customers_previous.csv").is_file():
            args += ["--previous", "data/customers_previous.csv"]
    if (data / "actuals.csv").is_file():
        args += ["--actuals", "data/actuals.csv"]
        if (data / "outcomes.csv").is_file():
            args += ["--outcomes", "data/outcomes.csv"]
    r = run(*args, cwd=folder)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    "folder", EXAMPLE_FOLDERS, ids=lambda p: p.relative_to(EXAMPLES).as_posix()
)
def test_every_example_output_matches_its_schema(folder, tmp_path):
    out = build_example(folder, tmp_path / "out")
    found = {
        "model": out / "model.json",
        "summary": out / "lists" / "summary.json",
        "review": out / "review.json",
    }
    assert found["model"].is_file()
    for name, path in found.items():
        if not path.is_file():
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert errors(name, doc) == [], path
        assert doc["$schema"] == schema_url(name)
        assert doc["stratlang_version"] == __version__
    # `stratlang lists` writes the same summary.json as `build --data` does into lists/
    if found["summary"].is_file():
        args = ["lists", ".", "--data", "data/customers.csv", "--as-of", "2026-10-15"]
        if (folder / "data" / "customers_previous.csv").is_file():
            args += ["--previous", "data/customers_previous.csv"]
        r = run(*args, "-o", tmp_path / "lists", cwd=folder)
        assert r.returncode == 0, r.stderr
        listed = (tmp_path / "lists" / "summary.json").read_bytes()
        assert listed == found["summary"].read_bytes()


@pytest.mark.slow
def test_a_summary_with_a_contact_log_matches_its_schema(tmp_path):
    """card_retention keeps contact limits: its lists given as the contact log of the next run
    give summary.json `contacts` (a folder of files), the paths relative to the project root."""
    folder = EXAMPLES / "card_retention"
    first = build_example(folder, tmp_path / "first")
    r = run(
        "lists", ".", "--data", "data/customers.csv", "--as-of", "2026-10-15",
        "--contacts", first / "lists", "-o", tmp_path / "again", cwd=folder,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "again" / "summary.json").read_text(encoding="utf-8"))
    assert errors("summary", doc) == []
    logged = doc["contacts"]["files"]
    assert logged and all(not Path(f).is_absolute() and "\\" not in f for f in logged)
    real = folder.resolve()
    assert all((real / f).resolve().parent == (first / "lists").resolve() for f in logged)


def a_model_json(tmp_path: Path) -> dict:
    out = tmp_path / "m"
    r = run("build", EXAMPLES / "bank_wealth", "-o", out)
    assert r.returncode == 0, r.stderr
    return json.loads((out / "model.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_model_schema_refuses_what_is_not_a_model_json(tmp_path):
    good = a_model_json(tmp_path)
    assert errors("model", good) == []

    def broken(change) -> list[str]:
        doc = copy.deepcopy(good)
        change(doc)
        return errors("model", doc)

    assert broken(lambda d: d.update(surprise=1))  # closed at the top
    assert broken(lambda d: d.pop("segments"))  # a required key
    assert broken(lambda d: d["segments"][0].update(lifecycle="hibernation"))  # an enum
    assert broken(lambda d: d["plays"][0].update(priority="high"))  # a type
    assert broken(lambda d: d["objectives"][0]["span"].update(line=0))  # 1-based
    assert broken(lambda d: d["objectives"][0]["targets"][0].update(op="~"))
    assert broken(lambda d: d["links"][0].update(kind="maybe"))
    assert broken(lambda d: d["segments"][0]["rule_tree"].update(op="like"))  # rule trees too
    assert broken(lambda d: d.update({"$schema": "https://example.com/other.json"}))
    assert broken(lambda d: d.update(format_version=2))


def test_the_schemas_enums_are_the_languages_words():
    """The words a model.json may hold are the language's (stratlang/language.py): a new word
    there needs the schema too."""
    defs = load_schema("model")["$defs"]
    props = load_schema("model")["properties"]

    def words(node):
        options = node.get("enum", [])
        return {w for w in options if w is not None}

    seg = props["segments"]["items"]["properties"]
    assert words(seg["lifecycle"]) == set(language.LIFECYCLES)
    assert set(seg["profile"]["propertyNames"]["enum"]) == set(language.PROFILE_KEYS)
    obj = props["objectives"]["items"]["properties"]
    assert words(obj["kind"]) == set(language.ALL_OBJECTIVE_KINDS)
    assert words(props["offers"]["items"]["properties"]["kind"]) == set(language.OFFER_KINDS)
    assert words(props["channels"]["items"]["properties"]["kind"]) == set(language.CHANNEL_KINDS)
    assert words(defs["field"]["properties"]["type"]) == set(language.FIELD_TYPES)
    assert words(defs["target"]["properties"]["cadence"]) == set(language.CADENCES)
    strategy = props["strategy"]["properties"]
    assert words(strategy["locale"]) == set(language.LOCALES)
    assert words(strategy["value_proposition"]) == set(language.VALUE_PROPOSITIONS)
    sections = props["scripts"]["items"]["properties"]["sections"]["propertyNames"]["enum"]
    assert set(sections) == set(language.SCRIPT_SECTIONS)


@pytest.mark.slow
def test_schema_command_prints_each_schema(tmp_path):
    for name in SCHEMAS:
        r = run("schema", name)
        assert r.returncode == 0, r.stderr
        assert r.stdout == schema_text(name)
        assert json.loads(r.stdout)["$id"] == schema_url(name)
    r = run("schema", "playbook")
    assert r.returncode == 2 and "playbook" in r.stderr


def test_schema_runs_without_the_extras():
    """`stratlang schema` is core (docs/cli.md): it reads package files, never duckdb & co."""
    from test_cli_consistency import HEAVY, _in_fresh_python

    code = f"""
import sys
for name in {HEAVY!r}:
    sys.modules[name] = None
sys.argv = ["stratlang", "schema", "model"]
from stratlang.cli import run
run()
"""
    r = _in_fresh_python(code)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["$id"] == schema_url("model")


def test_the_schemas_ship_in_the_package():
    """pyproject: stratlang.schemas is a package and its JSON files are package data; every
    package folder is listed (setuptools installs an unlisted one only as deprecated data)."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    packages = set(tool["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "stratlang").rglob("__init__.py")
    }
    assert on_disk <= packages, on_disk - packages
    assert "schemas/*.json" in tool["setuptools"]["package-data"]["stratlang"]
    for name in SCHEMAS:
        assert (ROOT / "stratlang" / "schemas" / schema_file(name)).is_file()


def test_jsonschema_is_a_test_dependency():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(r.startswith("jsonschema") for r in meta["optional-dependencies"]["dev"])


def test_the_docs_point_at_the_packaged_review_schema():
    assert not (ROOT / "docs" / "review.schema.json").exists()
    assert "stratlang/schemas/review-1.json" in (ROOT / "docs" / "review.md").read_text(
        encoding="utf-8"
    )
