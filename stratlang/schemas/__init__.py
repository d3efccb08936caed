"""The JSON Schemas (draft 2020-12) of stratlang's JSON files, shipped in the package.

    model    model.json    (`stratlang build`)            model-1.json
    summary  summary.json  (`stratlang lists`, build --data)  summary-1.json
    review   review.json   (`stratlang review`, build --actuals)  review-1.json
    cascade-review  cascade-review.json  (`stratlang review --children`)  cascade-review-1.json

Each file names its schema in `$schema` (`schema_url`), a stable URL that is the schema's `$id`;
the number is the file's `format_version`, so a new version gets a new schema and an old file keeps
pointing at the schema it was written for (docs/model-json.md "Schema"). `stratlang schema NAME`
prints one.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

BASE_URL = "https://stratlang.dev/schemas/"
# schema name -> (the file it describes, its format_version)
SCHEMAS = {
    "model": ("model.json", 1),
    "summary": ("summary.json", 1),
    "review": ("review.json", 1),
    "cascade-review": ("cascade-review.json", 1),
}


def schema_file(name: str) -> str:
    """The schema's file name in this package (and in its URL): `model-1.json`."""
    return f"{name}-{SCHEMAS[name][1]}.json"


def schema_url(name: str) -> str:
    """What a file's `$schema` holds, and its schema's `$id`."""
    return BASE_URL + schema_file(name)


def schema_text(name: str) -> str:
    return resources.files(__name__).joinpath(schema_file(name)).read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text(name))
    return schema
