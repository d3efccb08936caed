"""The language server driven over stdio by a real JSON-RPC client (pytest-lsp)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from stratlang.lsp.convert import path_to_uri

pytestmark = pytest.mark.asyncio(loop_scope="module")

OTHER = """\
channel phone "电话" { kind outbound_call  capacity 100 per day }
script call_a "话术" {
  channel phone
  pitch "您好，{{ customer.age }}岁的客户"
}
"""

MAIN = """\
strategy "测试" { period 2026-01-01 .. 2026-12-31 }
import "other.strat"

schema customer {
  id         string key
  age        int
  aum        money
  risk_level enum(R1, R2, R3) risk_tolerance
}

objective F1 "增长😀" {
  perspective financial
  target aum_growth "AUM增长" >= 20% by 2026-12-31
}

segment young "年轻" { rule age < 30 and risk_level >= R2 }

play p1 "激活" {
  segment  yuong
  step 1   phone using call_a
  supports F1
  target   conv "转化" >= 5% by 2026-12-31
  control  10%
}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lspproj")
    (root / "main.strat").write_text(MAIN, encoding="utf-8")
    (root / "other.strat").write_text(OTHER, encoding="utf-8")
    return root


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=[sys.executable, "-m", "stratlang.lsp"]))
async def client(lsp_client: LanguageClient, project):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=path_to_uri(project)))
    yield
    await lsp_client.shutdown_session()


async def barrier(client: LanguageClient, uri: str) -> None:
    """The server answers in order: once this reply is in, every earlier notification is too."""
    await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(0, 0)))
    client.diagnostics.pop(uri, None)


async def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path_to_uri(path)
    text = path.read_text(encoding="utf-8") if text is None else text
    await barrier(client, uri)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="stratlang", version=version, text=text)))
    await wait_diags(client, uri)
    return uri


async def change_doc(client: LanguageClient, uri: str, text: str, version: int):
    await barrier(client, uri)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
    return await wait_diags(client, uri)


async def wait_diags(client: LanguageClient, uri: str, timeout: float = 20.0):
    async def loop():
        while uri not in client.diagnostics:
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return client.diagnostics[uri]
    return await asyncio.wait_for(loop(), timeout)


def pos_of(text: str, needle: str, nth: int = 0, delta: int = 1) -> lsp.Position:
    """LSP position (UTF-16) inside the nth occurrence of `needle`."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    i += delta
    line = text.count("\n", 0, i)
    start = text.rfind("\n", 0, i) + 1
    return lsp.Position(line=line, character=len(text[start:i].encode("utf-16-le")) // 2)


async def test_diagnostics_codes_and_fields(client: LanguageClient, project: Path):
    uri = await open_doc(client, project / "main.strat")
    diags = client.diagnostics[uri]
    nam = [d for d in diags if d.code == "NAM201"]
    assert len(nam) == 1, [(d.code, d.message) for d in diags]
    d = nam[0]
    assert d.source == "stratlang"
    assert d.severity == lsp.DiagnosticSeverity.Error
    assert "yuong" in d.message and "did you mean `young`" in d.message
    line = MAIN.splitlines()[d.range.start.line]
    assert line[d.range.start.character:d.range.end.character] == "yuong"


async def test_typing_a_fix_clears_and_breaking_reports(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    fixed = MAIN.replace("yuong", "young")
    diags = await change_doc(client, uri, fixed, 2)
    assert not [d for d in diags if d.severity == lsp.DiagnosticSeverity.Error]
    broken = fixed.replace("control  10%", "control  10% {")
    diags = await change_doc(client, uri, broken, 3)
    assert any(d.code.startswith("SYN") for d in diags)
    # back to the original (with the misspelling) for the other tests
    diags = await change_doc(client, uri, MAIN, 4)
    assert [d.code for d in diags if d.code == "NAM201"] == ["NAM201"]


async def test_errors_in_imported_file_are_published_for_it(client: LanguageClient, project: Path):
    other_uri = path_to_uri(project / "other.strat")
    main_uri = path_to_uri(project / "main.strat")
    bad = OTHER.replace("channel phone\n", "channel phnoe\n")
    await open_doc(client, project / "other.strat", bad)
    diags = client.diagnostics[other_uri]
    assert [d.code for d in diags] == ["NAM201"]
    # fixing the buffer clears the imported file's diagnostics
    diags = await change_doc(client, other_uri, OTHER, 2)
    assert list(diags) == []
    assert main_uri  # main stays open for the following tests


async def test_hover_segment_rule_in_words(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(MAIN, "segment young", delta=9)))
    assert h is not None
    text = h.contents.value
    assert "segment" in text and "年轻" in text
    assert "30" in text  # the rule in words mentions the age bound


async def test_hover_objective_targets_and_field_type(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(MAIN, "supports F1", delta=10)))
    assert "objective" in h.contents.value and "aum_growth" in h.contents.value
    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(MAIN, "risk_level >=", delta=2)))
    assert "enum(R1, R2, R3)" in h.contents.value


async def test_definition_across_files_and_import(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    loc = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(MAIN, "using call_a", delta=8)))
    loc = loc[0] if isinstance(loc, list) else loc
    assert loc.uri == path_to_uri(project / "other.strat")
    line = OTHER.splitlines()[loc.range.start.line]
    assert line[loc.range.start.character:loc.range.end.character] == "call_a"
    loc = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(MAIN, '"other.strat"', delta=3)))
    loc = loc[0] if isinstance(loc, list) else loc
    assert loc.uri == path_to_uri(project / "other.strat")


async def test_references(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    locs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(MAIN, "1   phone", delta=5), context=lsp.ReferenceContext(include_declaration=True)))
    files = sorted(Path(l.uri).name for l in locs)
    # declaration + `channel phone` in other.strat, the step in main.strat
    assert files == ["main.strat", "other.strat", "other.strat"]


async def test_completion_ids_of_the_right_kind(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    text = MAIN.replace("  segment  yuong\n", "  segment  \n")
    await change_doc(client, uri, text, 10)
    res = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(text, "segment  \n", delta=9)))
    assert [i.label for i in res.items] == ["young"]
    res = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(text, "1   phone using ", delta=16)))
    assert [i.label for i in res.items] == ["call_a"]
    res = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(text, "  control", delta=2)))
    labels = {i.label for i in res.items}
    assert {"segment", "supports", "offer", "step", "target", "control"} <= labels
    assert "rule" not in labels and "perspective" not in labels
    await change_doc(client, uri, MAIN, 11)


async def test_completion_enum_values_in_a_half_typed_rule(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    text = MAIN.replace("rule age < 30 and risk_level >= R2 }", "rule age < 30 and risk_level = ")
    await change_doc(client, uri, text, 12)
    res = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(text, "risk_level = ", delta=13)))
    assert [i.label for i in res.items] == ["R1", "R2", "R3"]
    await change_doc(client, uri, MAIN, 13)


async def test_quick_fix_replaces_the_misspelt_id(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    diags = [d for d in client.diagnostics.get(uri) or [] if d.code == "NAM201"]
    assert diags
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=diags[0].range,
        context=lsp.CodeActionContext(diagnostics=diags)))
    assert len(actions) == 1
    a = actions[0]
    assert a.kind == lsp.CodeActionKind.QuickFix and a.is_preferred
    (edit,) = a.edit.changes[uri]
    assert edit.new_text == "young"
    lines = MAIN.splitlines()
    r = edit.range
    fixed_line = lines[r.start.line][:r.start.character] + edit.new_text + lines[r.start.line][r.end.character:]
    assert fixed_line == "  segment  young"


async def test_document_symbols(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    syms = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    names = [s.name for s in syms]
    assert names == ["strategy", "customer", "F1", "young", "p1"]
    f1 = syms[2]
    assert f1.kind == lsp.SymbolKind.Class
    assert [c.name for c in f1.children] == ["target aum_growth"]
    p1 = syms[4]
    assert [c.name for c in p1.children] == ["step 1", "target conv"]


async def test_rename_across_files_and_rejections(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    other = path_to_uri(project / "other.strat")
    edit = await client.text_document_rename_async(lsp.RenameParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(MAIN, "1   phone", delta=5),
        new_name="电话渠道"))
    assert set(edit.changes) == {uri, other}
    assert len(edit.changes[other]) == 2 and len(edit.changes[uri]) == 1
    assert all(e.new_text == "电话渠道" for es in edit.changes.values() for e in es)
    for bad in ("9lives", "a-b", "and", "young"):
        with pytest.raises(Exception) as info:
            await client.text_document_rename_async(lsp.RenameParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(MAIN, "1   phone", delta=5),
                new_name=bad))
        assert "valid id" in str(info.value) or "already declared" in str(info.value)


async def test_renaming_a_field_renames_its_placeholders(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    other = path_to_uri(project / "other.strat")
    edit = await client.text_document_rename_async(lsp.RenameParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos_of(MAIN, "age        int"),
        new_name="年龄"))
    assert len(edit.changes[uri]) == 2  # the schema field and the rule `age < 30`
    [ph] = edit.changes[other]
    line = OTHER.splitlines()[ph.range.start.line]
    assert line[ph.range.start.character:ph.range.end.character] == "age"
    assert "{{ customer." in line[:ph.range.start.character]


async def test_formatting(client: LanguageClient, project: Path):
    try:
        from stratlang.fmt import format_text
    except ImportError:
        pytest.fail("the formatter (stratlang.fmt.format_text) is not there yet")
    uri = path_to_uri(project / "main.strat")
    messy = MAIN.replace("  perspective financial", "perspective     financial")
    await change_doc(client, uri, messy, 20)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert len(edits) == 1 and edits[0].new_text == format_text(messy, "main.strat")
    broken = messy + "\nsegment {{{\n"
    await change_doc(client, uri, broken, 21)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert not edits


async def test_quick_fix_for_unknown_attribute(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    text = MAIN.replace("  control  10%", "  contorl  10%")
    diags = await change_doc(client, uri, text, 30)
    nam204 = [d for d in diags if d.code == "NAM204"]
    assert len(nam204) == 1
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=nam204[0].range,
        context=lsp.CodeActionContext(diagnostics=nam204)))
    (edit,) = [e for a in actions for e in a.edit.changes[uri] if e.new_text == "control"]
    line = text.splitlines()[edit.range.start.line]
    assert line[edit.range.start.character:edit.range.end.character] == "contorl"
    await change_doc(client, uri, MAIN, 31)


async def test_garbage_and_half_typed_text_never_break_the_server(client: LanguageClient, project: Path):
    path = project / "scratch" / "junk.strat"
    path.parent.mkdir(exist_ok=True)
    path.write_text("", encoding="utf-8")
    uri = path_to_uri(path)
    junk = 'segment "{{ ((( -> ->\n\x00\x01 😀 play p { step 1 \n' + "(" * 500 + "\nobjective"
    diags = client.diagnostics.get(await open_doc(client, path, junk))
    assert diags and all(d.code.startswith("SYN") for d in diags)
    for pos in (lsp.Position(0, 3), lsp.Position(1, 5), lsp.Position(4, 9), lsp.Position(40, 0)):
        ident = lsp.TextDocumentIdentifier(uri=uri)
        await client.text_document_hover_async(lsp.HoverParams(text_document=ident, position=pos))
        await client.text_document_definition_async(lsp.DefinitionParams(text_document=ident, position=pos))
        await client.text_document_completion_async(lsp.CompletionParams(text_document=ident, position=pos))
    syms = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert isinstance(syms, list)
    # still serving the real project
    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=path_to_uri(project / "main.strat")),
        position=pos_of(MAIN, "supports F1", delta=10)))
    assert "objective" in h.contents.value
