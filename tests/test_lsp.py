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


def server_client():
    """The `client` fixture of an LSP test module: `stratlang.lsp` started over stdio, one per
    module, its workspace the module's `project` fixture (`client = server_client()`)."""

    @pytest_lsp.fixture(
        scope="module",
        config=ClientServerConfig(server_command=[sys.executable, "-m", "stratlang.lsp"]),
    )
    async def client(lsp_client: LanguageClient, project):
        await lsp_client.initialize_session(
            lsp.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=path_to_uri(project),
            )
        )
        yield
        await lsp_client.shutdown_session()

    return client


client = server_client()


async def barrier(client: LanguageClient, uri: str) -> None:
    """The server answers in order: once this reply is in, every earlier notification is too."""
    await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(0, 0)
        )
    )
    client.diagnostics.pop(uri, None)


async def open_doc(
    client: LanguageClient, path: Path, text: str | None = None, version: int = 1
) -> str:
    uri = path_to_uri(path)
    text = path.read_text(encoding="utf-8") if text is None else text
    await barrier(client, uri)
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri, language_id="stratlang", version=version, text=text
            )
        )
    )
    await wait_diags(client, uri)
    return uri


async def change_doc(client: LanguageClient, uri: str, text: str, version: int):
    await barrier(client, uri)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
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
    assert line[d.range.start.character : d.range.end.character] == "yuong"


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
    h = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(MAIN, "segment young", delta=9),
        )
    )
    assert h is not None
    text = h.contents.value
    assert "segment" in text and "年轻" in text
    assert "30" in text  # the rule in words mentions the age bound


async def test_hover_objective_targets_and_field_type(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    h = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(MAIN, "supports F1", delta=10),
        )
    )
    assert "objective" in h.contents.value and "aum_growth" in h.contents.value
    h = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(MAIN, "risk_level >=", delta=2),
        )
    )
    assert "enum(R1, R2, R3)" in h.contents.value


async def test_definition_across_files_and_import(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    loc = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(MAIN, "using call_a", delta=8),
        )
    )
    loc = loc[0] if isinstance(loc, list) else loc
    assert loc.uri == path_to_uri(project / "other.strat")
    line = OTHER.splitlines()[loc.range.start.line]
    assert line[loc.range.start.character : loc.range.end.character] == "call_a"
    loc = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(MAIN, '"other.strat"', delta=3),
        )
    )
    loc = loc[0] if isinstance(loc, list) else loc
    assert loc.uri == path_to_uri(project / "other.strat")


async def test_references(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    locs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(MAIN, "1   phone", delta=5),
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    files = sorted(Path(l.uri).name for l in locs)
    # declaration + `channel phone` in other.strat, the step in main.strat
    assert files == ["main.strat", "other.strat", "other.strat"]


async def test_completion_ids_of_the_right_kind(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    text = MAIN.replace("  segment  yuong\n", "  segment  \n")
    await change_doc(client, uri, text, 10)
    res = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(text, "segment  \n", delta=9),
        )
    )
    assert [i.label for i in res.items] == ["young"]
    res = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(text, "1   phone using ", delta=16),
        )
    )
    assert [i.label for i in res.items] == ["call_a"]
    res = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(text, "  control", delta=2),
        )
    )
    labels = {i.label for i in res.items}
    assert {"segment", "supports", "offer", "step", "target", "control"} <= labels
    assert "rule" not in labels and "perspective" not in labels
    await change_doc(client, uri, MAIN, 11)


async def test_completion_enum_values_in_a_half_typed_rule(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    text = MAIN.replace("rule age < 30 and risk_level >= R2 }", "rule age < 30 and risk_level = ")
    await change_doc(client, uri, text, 12)
    res = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(text, "risk_level = ", delta=13),
        )
    )
    assert [i.label for i in res.items] == ["R1", "R2", "R3"]
    await change_doc(client, uri, MAIN, 13)


async def test_quick_fix_replaces_the_misspelt_id(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    diags = [d for d in client.diagnostics.get(uri) or [] if d.code == "NAM201"]
    assert diags
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=diags[0].range,
            context=lsp.CodeActionContext(diagnostics=diags),
        )
    )
    assert len(actions) == 1
    a = actions[0]
    assert a.kind == lsp.CodeActionKind.QuickFix and a.is_preferred
    (edit,) = a.edit.changes[uri]
    assert edit.new_text == "young"
    lines = MAIN.splitlines()
    r = edit.range
    fixed_line = (
        lines[r.start.line][: r.start.character]
        + edit.new_text
        + lines[r.start.line][r.end.character :]
    )
    assert fixed_line == "  segment  young"


async def test_document_symbols(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    syms = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
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
    edit = await client.text_document_rename_async(
        lsp.RenameParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(MAIN, "1   phone", delta=5),
            new_name="电话渠道",
        )
    )
    assert set(edit.changes) == {uri, other}
    assert len(edit.changes[other]) == 2 and len(edit.changes[uri]) == 1
    assert all(e.new_text == "电话渠道" for es in edit.changes.values() for e in es)
    for bad in ("9lives", "a-b", "and", "young"):
        with pytest.raises(Exception) as info:
            await client.text_document_rename_async(
                lsp.RenameParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    position=pos_of(MAIN, "1   phone", delta=5),
                    new_name=bad,
                )
            )
        assert "valid id" in str(info.value) or "already declared" in str(info.value)


async def test_renaming_a_field_renames_its_placeholders(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    other = path_to_uri(project / "other.strat")
    edit = await client.text_document_rename_async(
        lsp.RenameParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(MAIN, "age        int"),
            new_name="年龄",
        )
    )
    assert len(edit.changes[uri]) == 2  # the schema field and the rule `age < 30`
    [ph] = edit.changes[other]
    line = OTHER.splitlines()[ph.range.start.line]
    assert line[ph.range.start.character : ph.range.end.character] == "age"
    assert "{{ customer." in line[: ph.range.start.character]


async def test_formatting(client: LanguageClient, project: Path):
    try:
        from stratlang.fmt import format_text
    except ImportError:
        pytest.fail("the formatter (stratlang.fmt.format_text) is not there yet")
    uri = path_to_uri(project / "main.strat")
    messy = MAIN.replace("  perspective financial", "perspective     financial")
    await change_doc(client, uri, messy, 20)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            options=lsp.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    assert len(edits) == 1 and edits[0].new_text == format_text(messy, "main.strat")
    broken = messy + "\nsegment {{{\n"
    await change_doc(client, uri, broken, 21)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            options=lsp.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    assert not edits


async def test_quick_fix_for_unknown_attribute(client: LanguageClient, project: Path):
    uri = path_to_uri(project / "main.strat")
    text = MAIN.replace("  control  10%", "  contorl  10%")
    diags = await change_doc(client, uri, text, 30)
    nam204 = [d for d in diags if d.code == "NAM204"]
    assert len(nam204) == 1
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=nam204[0].range,
            context=lsp.CodeActionContext(diagnostics=nam204),
        )
    )
    (edit,) = [e for a in actions for e in a.edit.changes[uri] if e.new_text == "control"]
    line = text.splitlines()[edit.range.start.line]
    assert line[edit.range.start.character : edit.range.end.character] == "contorl"
    await change_doc(client, uri, MAIN, 31)


async def test_garbage_and_half_typed_text_never_break_the_server(
    client: LanguageClient, project: Path
):
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
        await client.text_document_definition_async(
            lsp.DefinitionParams(text_document=ident, position=pos)
        )
        await client.text_document_completion_async(
            lsp.CompletionParams(text_document=ident, position=pos)
        )
    syms = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(syms, list)
    # still serving the real project
    h = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=path_to_uri(project / "main.strat")),
            position=pos_of(MAIN, "supports F1", delta=10),
        )
    )
    assert "objective" in h.contents.value


# --- documents the server does not know: an empty answer, never an error ------------------------


def _requests(uri: str) -> list:
    """One call per request kind on `uri`: (name, coroutine factory)."""
    ident = lsp.TextDocumentIdentifier(uri=uri)
    pos = lsp.Position(0, 0)
    far = lsp.Position(10**6, 10**6)
    return [
        (
            "hover",
            lambda c: c.text_document_hover_async(
                lsp.HoverParams(text_document=ident, position=pos)
            ),
        ),
        (
            "hover far",
            lambda c: c.text_document_hover_async(
                lsp.HoverParams(text_document=ident, position=far)
            ),
        ),
        (
            "definition",
            lambda c: c.text_document_definition_async(
                lsp.DefinitionParams(text_document=ident, position=pos)
            ),
        ),
        (
            "references",
            lambda c: c.text_document_references_async(
                lsp.ReferenceParams(
                    text_document=ident,
                    position=pos,
                    context=lsp.ReferenceContext(include_declaration=True),
                )
            ),
        ),
        (
            "completion",
            lambda c: c.text_document_completion_async(
                lsp.CompletionParams(text_document=ident, position=far)
            ),
        ),
        (
            "symbols",
            lambda c: c.text_document_document_symbol_async(
                lsp.DocumentSymbolParams(text_document=ident)
            ),
        ),
        (
            "formatting",
            lambda c: c.text_document_formatting_async(
                lsp.DocumentFormattingParams(
                    text_document=ident,
                    options=lsp.FormattingOptions(tab_size=2, insert_spaces=True),
                )
            ),
        ),
        (
            "prepare rename",
            lambda c: c.text_document_prepare_rename_async(
                lsp.PrepareRenameParams(text_document=ident, position=pos)
            ),
        ),
        (
            "rename",
            lambda c: c.text_document_rename_async(
                lsp.RenameParams(text_document=ident, position=pos, new_name="x")
            ),
        ),
        (
            "code action",
            lambda c: c.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=ident,
                    range=lsp.Range(pos, far),
                    context=lsp.CodeActionContext(diagnostics=[]),
                )
            ),
        ),
    ]


def _odd_uris(project: Path) -> list[str]:
    (project / "notes.txt").write_text("segment s { rule age > 1 }\n", encoding="utf-8")
    (project / "unopened.strat").write_text('event e "E"\n', encoding="utf-8")
    return [
        "untitled:Untitled-1",
        "http://example.com/a.strat",
        path_to_uri(project),
        path_to_uri(project / "notes.txt"),
        path_to_uri(project / "unopened.strat"),
        path_to_uri(project / "no such.strat"),
        "file:///tmp/a%20b%zz%00.strat",
        "file:",
        "file:///",
        "file:///etc/passwd",
        path_to_uri(project / ("x" * 300 + ".strat")),
        "not a uri at all",
    ]


async def test_unknown_documents_and_odd_uris_get_empty_answers(
    client: LanguageClient, project: Path
):
    for uri in _odd_uris(project):
        for name, call in _requests(uri):
            result = await call(client)  # an error reply would raise here
            assert result in (None, [], ()), (uri, name, result)


async def test_untitled_and_non_strat_documents_are_not_checked(
    client: LanguageClient, project: Path
):
    for uri in ("untitled:Untitled-2", path_to_uri(project / "readme.md")):
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=uri,
                    language_id="markdown" if uri.endswith(".md") else "plaintext",
                    version=1,
                    text="segment {{{ nonsense",
                )
            )
        )
        for name, call in _requests(uri):
            assert await call(client) in (None, [], ()), (uri, name)
        await barrier(client, uri)
        assert uri not in client.diagnostics
    # an untitled buffer the editor calls stratlang: completion and formatting work on its text alone
    uri = "untitled:Untitled-3"
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri,
                language_id="stratlang",
                version=1,
                text='segment s "S"  {  rule age > 1 }\n',
            )
        )
    )
    ident = lsp.TextDocumentIdentifier(uri=uri)
    items = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=ident, position=lsp.Position(1, 0))
    )
    assert "objective" in [i.label for i in items.items]
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=ident, options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert edits and edits[0].new_text.startswith('segment s "S" {')
    assert (
        await client.text_document_hover_async(
            lsp.HoverParams(text_document=ident, position=lsp.Position(0, 9))
        )
        is None
    )
    await barrier(client, uri)
    assert uri not in client.diagnostics


async def test_a_file_name_with_percent_escapes(client: LanguageClient, project: Path):
    # `%41` is part of the name: the URI says `%2541`, and must not be unquoted twice (to `A`)
    path = project / "a b%41 中.strat"
    text = MAIN
    path.write_text(text, encoding="utf-8")
    (project / "a bA 中.strat").write_text("this file must not be read {", encoding="utf-8")
    uri = await open_doc(client, path, text)
    assert "%2541" in uri
    assert [
        d.code for d in client.diagnostics[uri] if d.severity == lsp.DiagnosticSeverity.Error
    ] == ["NAM201"]
    h = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(text, "supports F1", delta=10),
        )
    )
    assert "objective" in h.contents.value


async def test_a_fifo_next_to_the_document_is_never_opened(client: LanguageClient, project: Path):
    # a FIFO named main.strat beside the document: not taken as its project's entry (opening it
    # would block the server for good); the document is checked on its own
    import os

    folder = project / "fifo_dir"
    folder.mkdir(exist_ok=True)
    os.mkfifo(folder / "main.strat")
    (folder / "pipe.strat").unlink(missing_ok=True)
    os.mkfifo(folder / "pipe.strat")
    uri = await open_doc(client, folder / "doc.strat", 'event e "E"\nimport "pipe.strat"\n')
    messages = [d.message.split("\n")[0] for d in client.diagnostics[uri]]
    assert "imported file `pipe.strat` is not a regular file: it is a named pipe (FIFO)" in messages


async def test_closing_the_last_file_of_a_project_forgets_the_project(
    client: LanguageClient, project: Path
):
    folder = project / "short_lived"
    folder.mkdir(exist_ok=True)
    text = 'strategy "S" { period 2026-01-01 .. 2026-12-31 }\nevent e "E"\n'
    (folder / "main.strat").write_text(text, encoding="utf-8")
    uri = await open_doc(client, folder / "main.strat", text)
    ident = lsp.TextDocumentIdentifier(uri=uri)
    assert (
        await client.text_document_hover_async(
            lsp.HoverParams(text_document=ident, position=lsp.Position(1, 6))
        )
        is not None
    )
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=ident))
    # no longer held: a request for it now has nothing to answer from
    assert (
        await client.text_document_hover_async(
            lsp.HoverParams(text_document=ident, position=lsp.Position(1, 6))
        )
        is None
    )
    # and the projects still open are untouched
    h = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=path_to_uri(project / "main.strat")),
            position=pos_of(MAIN, "supports F1", delta=10),
        )
    )
    assert "objective" in h.contents.value


# --- raw bytes on stdin: every request with an id is answered -----------------------------------


class RawServer:
    """`python -m stratlang.lsp` as a subprocess, spoken to in raw bytes. Replies and
    notifications are read on a thread; the server's log (stderr) goes to a file."""

    def __init__(self, cwd: Path | None = None):
        import subprocess
        import tempfile
        import threading

        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stratlang.lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd=cwd,
        )
        self.inbox: asyncio.Queue | None = None
        import queue

        self.messages: queue.Queue = queue.Queue()
        self.next_id = 1000
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        import json as _json

        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            self.messages.put(_json.loads(out.read(length)))

    def send_bytes(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message) -> None:
        import json as _json

        body = _json.dumps(message).encode("utf-8")
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params) -> int:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def wait(self, match, timeout: float = 30.0) -> tuple[dict, list[dict]]:
        """The first message `match(msg)` accepts, and every message read before it."""
        import queue
        import time

        seen = []
        end = time.monotonic() + timeout
        while True:
            try:
                msg = self.messages.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no answer within {timeout} s; got {seen}; server log:\n{self.stderr()}"
                )
            if msg is None:
                raise AssertionError(f"the server ended; got {seen}; server log:\n{self.stderr()}")
            assert "traceback" not in str(msg).lower(), msg
            if match(msg):
                return msg, seen
            seen.append(msg)

    def reply(self, msg_id, timeout: float = 30.0) -> tuple[dict, list[dict]]:
        return self.wait(lambda m: "method" not in m and m.get("id") == msg_id, timeout)

    def call(self, method: str, params, timeout: float = 30.0) -> dict:
        return self.reply(self.request(method, params), timeout)[0]

    def initialize(self, root: Path | None = None) -> None:
        r = self.call(
            "initialize",
            {"processId": None, "capabilities": {}, "rootUri": path_to_uri(root) if root else None},
        )
        assert "result" in r, r
        self.notify("initialized", {})

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> int:
        import subprocess

        try:
            if self.alive():
                self.call("shutdown", None, timeout=10)
                self.notify("exit", None)
            return self.proc.wait(timeout=10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            return self.proc.wait()
        finally:
            self.log.close()


@pytest.fixture(scope="module")
def raw(project):
    server = RawServer(cwd=project)
    server.initialize(project)
    yield server
    assert server.close() == 0  # `exit` after `shutdown`


def _ping(raw: RawServer) -> None:
    """A well-formed request still gets its normal answer (the stream is in step again)."""
    r = raw.call(
        "textDocument/hover",
        {"textDocument": {"uri": "untitled:ping"}, "position": {"line": 0, "character": 0}},
    )
    assert r.get("result", "missing") is None, r


def _frame(body: bytes, length: int | None = None) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body


def _error(reply: dict, code: int) -> str:
    assert "result" not in reply and reply["error"]["code"] == code, reply
    assert "data" not in reply["error"] or reply["error"]["data"] is None, reply
    return reply["error"]["message"]


def _null_id(m: dict) -> bool:
    return "method" not in m and m.get("id") is None


HOVER = {"textDocument": {"uri": "untitled:x"}, "position": {"line": 0, "character": 0}}


@pytest.mark.parametrize(
    "body, code",
    [
        (b"{bad json", -32700),
        (b"\xff\xfe not utf-8", -32700),
        (b"[" * 100000 + b"]" * 100000, -32700),
        (b"", -32700),
        (b"[]", -32600),
        (b'[{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}]', -32600),
        (b"42", -32600),
        (b'"text"', -32600),
        (b'{"jsonrpc": "2.0", "id": 1.5, "method": "textDocument/hover"}', -32600),
        (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "textDocument/hover"}', -32600),
        (b'{"jsonrpc": "2.0", "id": true, "method": "textDocument/hover"}', -32600),
        (b'{"jsonrpc": "2.0"}', -32600),
    ],
    ids=lambda v: v[:24].decode("utf-8", "replace") if isinstance(v, bytes) else str(v),
)
async def test_raw_unreadable_messages_get_an_error_with_a_null_id(raw, body, code):
    raw.send_bytes(_frame(body))
    reply, _ = raw.wait(_null_id)
    _error(reply, code)
    _ping(raw)


@pytest.mark.parametrize(
    "message, code",
    [
        ({"id": 7, "method": "textDocument/hover", "params": HOVER}, -32600),  # no "jsonrpc"
        ({"jsonrpc": "1.0", "id": 7, "method": "textDocument/hover", "params": HOVER}, -32600),
        ({"jsonrpc": "2.0", "id": 7, "method": 12, "params": HOVER}, -32600),
        ({"jsonrpc": "2.0", "id": 7, "method": "", "params": HOVER}, -32600),
        ({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover"}, -32602),  # params missing
        ({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": None}, -32602),
        ({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": "x"}, -32602),
        ({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": {}}, -32602),
        (
            {
                "jsonrpc": "2.0",
                "id": 7,
                "method": "textDocument/hover",
                "params": {
                    "textDocument": {"uri": 5},
                    "position": {"line": "a", "character": None},
                },
            },
            -32602,
        ),
        (
            {
                "jsonrpc": "2.0",
                "id": 7,
                "method": "textDocument/rename",
                "params": {
                    "textDocument": {"uri": "file:///x.strat"},
                    "position": {"line": 0, "character": 0},
                },
            },
            -32602,
        ),
        (
            {"jsonrpc": "2.0", "id": 7, "method": "textDocument/completion", "params": [1, 2]},
            -32602,
        ),
        ({"jsonrpc": "2.0", "id": "seven", "method": "no/such/method", "params": {}}, -32601),
    ],
    ids=str,
)
async def test_raw_malformed_requests_with_an_id_get_an_error_reply(raw, message, code):
    raw.send(message)
    reply, _ = raw.reply(message["id"])
    msg = _error(reply, code)
    assert "Traceback" not in msg and len(msg) < 600
    _ping(raw)


async def test_raw_malformed_notifications_get_no_reply_and_do_no_harm(raw):
    raw.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": 3}})
    raw.send(
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": "file:///never/opened.strat", "version": 2},
                "contentChanges": [{"text": "x"}],
            },
        }
    )
    raw.send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {}})
    raw.send({"jsonrpc": "2.0", "method": "no/such/notification"})
    _, before = raw.reply(raw.request("textDocument/hover", HOVER))
    assert not [m for m in before if "id" in m and "method" not in m], before
    assert raw.alive()


async def test_raw_content_length_too_long(raw):
    body = json_bytes({"jsonrpc": "2.0", "id": 71, "method": "textDocument/hover", "params": HOVER})
    raw.send_bytes(_frame(body, len(body) + 40))  # nothing follows: the body stalls
    reply, _ = raw.reply(71)
    assert "Content-Length says" in _error(reply, -32600)
    # too long, and the next message follows at once
    raw.send_bytes(
        _frame(body.replace(b"71", b"72"), len(body) + 500) + _frame(body.replace(b"71", b"73"))
    )
    assert "next message" in _error(raw.reply(72)[0], -32600)
    assert raw.reply(73)[0]["result"] is None
    _ping(raw)


async def test_raw_content_length_too_short(raw):
    body = json_bytes({"jsonrpc": "2.0", "id": 81, "method": "textDocument/hover", "params": HOVER})
    raw.send_bytes(_frame(body, len(body) - 10) + _frame(body.replace(b"81", b"82")))
    assert "Content-Length says" in _error(raw.reply(81)[0], -32600)
    assert raw.reply(82)[0]["result"] is None
    _ping(raw)


@pytest.mark.parametrize(
    "data",
    [
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n",  # headers in either order are fine
        b"\r\n\r\n",
        b"garbage that is not a header\r\n",
        b"Content-Length: 12\r\nContent-Length: ",  # a stray header line
    ],
    ids=["content-type", "blank lines", "garbage", "stray header"],
)
async def test_raw_noise_between_frames(raw, data):
    body = json_bytes({"jsonrpc": "2.0", "id": 91, "method": "textDocument/hover", "params": HOVER})
    raw.send_bytes(data + _frame(body))
    reply, before = raw.reply(91)
    assert reply["result"] is None
    assert all(m.get("error", {}).get("code") in (None, -32700, -32600) for m in before)


async def test_raw_a_request_without_headers_is_answered(raw):
    raw.send_bytes(
        json_bytes({"jsonrpc": "2.0", "id": 95, "method": "textDocument/hover", "params": HOVER})
    )
    assert "outside a Content-Length frame" in _error(raw.reply(95)[0], -32600)
    _ping(raw)


async def test_raw_odd_uris_and_positions_over_stdio(raw, project):
    for uri in _odd_uris(project):
        for method, extra in (
            ("textDocument/hover", {}),
            ("textDocument/definition", {}),
            ("textDocument/completion", {}),
            ("textDocument/documentSymbol", None),
            ("textDocument/formatting", {"options": {"tabSize": 2, "insertSpaces": True}}),
            ("textDocument/rename", {"newName": "x"}),
        ):
            params = {"textDocument": {"uri": uri}}
            if extra is not None:
                params.update(position={"line": 2**31 - 1, "character": 2**31 - 1}, **extra)
            r = raw.call(method, params)
            assert r.get("result", "missing") in (None, []), (uri, method, r)


async def test_raw_requests_after_shutdown_are_refused_and_exit_ends_the_server(project):
    server = RawServer(cwd=project)
    try:
        server.initialize(project)
        assert server.call("shutdown", None)["result"] is None
        assert "shutting down" in _error(server.call("textDocument/hover", HOVER), -32600)
        server.notify("exit", None)
        assert server.proc.wait(timeout=10) == 0
    finally:
        if server.alive():
            server.proc.kill()


async def test_raw_requests_before_initialize_are_refused(project):
    server = RawServer(cwd=project)
    try:
        assert "not initialized" in _error(server.call("textDocument/hover", HOVER), -32002)
        server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": path_to_uri(project / "main.strat"),
                    "languageId": "stratlang",
                    "version": 1,
                    "text": "x",
                }
            },
        )
        assert "not initialized" in _error(
            server.call(
                "textDocument/documentSymbol",
                {"textDocument": {"uri": path_to_uri(project / "main.strat")}},
            ),
            -32002,
        )
        server.initialize(project)
        assert server.call("textDocument/hover", HOVER)["result"] is None
    finally:
        assert server.close() == 0


async def test_raw_exit_without_shutdown_is_exit_code_1(project):
    server = RawServer(cwd=project)
    server.initialize(project)
    server.notify("exit", None)
    assert server.proc.wait(timeout=10) == 1


def json_bytes(message) -> bytes:
    import json as _json

    return _json.dumps(message).encode("utf-8")
