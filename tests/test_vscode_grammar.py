"""The VS Code extension files: valid JSON, a grammar whose regexes compile (they keep to the
subset Python's `re` and Oniguruma share), standard scope names, and — run through a small
TextMate-style scanner — every example tokenized with no `invalid` scope."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "stratlang.tmLanguage.json"
FILES = sorted(ROOT.glob("examples/*/*.strat")) + sorted(
    (ROOT / "tests/data/spec_example").glob("*.strat")
)

# Root scopes of the TextMate naming conventions that themes colour.
STANDARD_ROOTS = {
    "comment",
    "constant",
    "entity",
    "invalid",
    "keyword",
    "markup",
    "meta",
    "storage",
    "string",
    "support",
    "variable",
    "punctuation",
}


def load(path):
    return json.loads(path.read_text("utf-8"))


def grammar():
    return load(GRAMMAR)


def walk(patterns, repo, seen=None):
    """Every rule reachable from `patterns` (following includes)."""
    seen = set() if seen is None else seen
    for p in patterns:
        if "include" in p:
            key = p["include"].lstrip("#")
            assert p["include"].startswith("#") and key in repo, p["include"]
            if key not in seen:
                seen.add(key)
                yield from walk([repo[key]], repo, seen)
            continue
        yield p
        yield from walk(p.get("patterns", []), repo, seen)


def test_json_files_parse_and_agree():
    pkg = load(VSCODE / "package.json")
    load(VSCODE / "language-configuration.json")
    g = grammar()
    lang = pkg["contributes"]["languages"][0]
    assert lang["id"] == "stratlang" and ".strat" in lang["extensions"]
    assert (VSCODE / lang["configuration"]).is_file()
    gram = pkg["contributes"]["grammars"][0]
    assert (
        gram["language"] == "stratlang"
        and gram["scopeName"] == g["scopeName"] == "source.stratlang"
    )
    assert (VSCODE / gram["path"]).resolve() == GRAMMAR.resolve()
    assert "vscode-languageclient" in pkg["dependencies"]
    assert (VSCODE / pkg["main"]).is_file()
    assert (
        "lsp"
        in pkg["contributes"]["configuration"]["properties"]["stratlang.server.args"]["default"]
    )
    assert "onLanguage:stratlang" in pkg["activationEvents"]


def test_language_configuration():
    conf = load(VSCODE / "language-configuration.json")
    assert conf["comments"]["lineComment"] == "#"
    assert ["{", "}"] in conf["brackets"]
    assert any(p["open"] == '"' for p in conf["autoClosingPairs"])
    re.compile(conf["wordPattern"])


def test_regexes_compile_and_scopes_are_standard():
    g = grammar()
    rules = list(walk(g["patterns"], g["repository"]))
    assert len(rules) > 10
    for r in rules:
        for key in ("match", "begin", "end"):
            if key in r:
                re.compile(r[key])
        name = r.get("name")
        if name:
            assert name.split(".")[0] in STANDARD_ROOTS, name
            assert name.endswith(".stratlang"), name
    # every repository entry is used
    used = {p["include"].lstrip("#") for p in _includes(g)}
    assert used == set(g["repository"])


def _includes(node):
    if isinstance(node, dict):
        if "include" in node:
            yield node
        for v in node.values():
            yield from _includes(v)
    elif isinstance(node, list):
        for v in node:
            yield from _includes(v)


def scan(text: str):
    """A small TextMate-style scanner: line by line, at each position the first rule that
    matches there wins; begin/end rules push a state. Returns [(scope, text)]."""
    g = grammar()
    repo = g["repository"]

    def flat(patterns):
        return [r for r in walk(patterns, repo) if "match" in r or "begin" in r]

    top = flat(g["patterns"])
    stack: list[dict] = []
    out = []
    for line in text.split("\n"):
        pos = 0
        while pos <= len(line):
            if stack:
                state = stack[-1]
                end = re.compile(state["end"]).match(line, pos)
                if end:
                    out.append((state["name"], end.group()))
                    stack.pop()
                    pos = end.end() if end.end() > pos else pos + (0 if pos < len(line) else 1)
                    if end.end() == pos and pos >= len(line):
                        break
                    continue
                rules = flat(state.get("patterns", []))
            else:
                rules = top
            if pos >= len(line):
                break
            for r in rules:
                m = re.compile(r.get("match") or r["begin"]).match(line, pos)
                if m and m.end() > pos:
                    out.append((r.get("name", ""), m.group()))
                    if "begin" in r:
                        stack.append(r)
                    pos = m.end()
                    break
            else:
                out.append(("" if not stack else stack[-1]["name"], line[pos]))
                pos += 1
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_scan_without_invalid_scopes(path):
    toks = scan(path.read_text("utf-8"))
    assert not [t for t in toks if t[0].startswith("invalid")]
    unscoped = [t for t in toks if not t[0] and t[1].strip()]
    assert unscoped == []


def test_scopes_of_a_sample():
    toks = {
        text: scope
        for scope, text in scan(
            'segment young "Hi {{ customer.name }}\\n" {  # c\n'
            "  rule age between 22 and 35 and aum < 5万\n"
            "  when event e within 30d\n"
            "  period 2026-01-01 .. 2026Q4\n"
            '  opening """\n    text {{ offer.label }}\n  """\n'
            "}\nL1 -> P1\n"
        )
    }
    assert toks["segment"].startswith("storage.type")
    assert toks["# c"].startswith("comment")
    assert toks["{{ customer.name }}"].startswith("variable.other.placeholder")
    assert toks["{{ offer.label }}"].startswith("variable.other.placeholder")
    assert toks["\\n"].startswith("constant.character.escape")
    assert toks["between"].startswith("keyword.operator.word")
    assert toks["5万"].startswith("constant.numeric")
    assert toks["30d"].startswith("constant.numeric.duration")
    assert toks["2026-01-01"].startswith("constant.numeric.date")
    assert toks["2026Q4"].startswith("constant.numeric.date")
    assert toks["->"].startswith("keyword.operator.arrow")
    assert toks["young"].startswith("variable.other")
    assert scan("x 12abc\n")[-1][0].startswith("invalid")


def _hooks_yaml(text: str) -> list[dict]:
    """The flat list-of-mappings YAML of .pre-commit-hooks.yaml (PyYAML is not a dependency)."""
    hooks: list[dict] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("- "):
            hooks.append({})
            line = line[2:]
        key, _, val = line.strip().partition(":")
        val = val.strip()
        hooks[-1][key] = {"true": True, "false": False}.get(val, val)
    return hooks


def test_pre_commit_hooks():
    hooks = {h["id"]: h for h in _hooks_yaml((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))}
    assert set(hooks) == {"stratlang-check", "stratlang-fmt"}
    assert hooks["stratlang-check"]["entry"] == "stratlang check"
    assert hooks["stratlang-fmt"]["entry"] == "stratlang fmt"
    for h in hooks.values():
        assert h["language"] == "python" and h["pass_filenames"] is True
        assert re.search(h["files"], "examples/bank_wealth/main.strat")
        assert not re.search(h["files"], "main.strat.bak")
