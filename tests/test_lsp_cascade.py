"""The language server in a cascade's child, over stdio with a real JSON-RPC client: `align`
completes the parent project's objectives and `serves` their targets (OBJECTIVE.TARGET), read
from the parent as saved on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from test_lsp import open_doc, pos_of, server_client

pytestmark = pytest.mark.asyncio(loop_scope="module")

HQ = """\
strategy "HQ" { period 2026-01-01 .. 2026-12-31  locale en }
objective F1 "Grow AUM" {
  perspective financial
  target aum_total "AUM" >= 1200亿 by 2026-12-31
  target fee "Fees" >= 30亿 by 2026-12-31
}
objective C1 "Trusted adviser" { perspective customer }
"""
CHILD = """\
strategy "Branch" { period 2026-01-01 .. 2026-12-31  locale en  parent "../hq" }
objective S1 "Branch AUM" {
  perspective financial
  align F1, C1
  target sz_aum "AUM" >= 300亿 by 2026-12-31 {
    serves F1.aum_total
  }
}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lspcascade")
    (root / ".git").mkdir()  # the repository the parent link may not leave
    for name, text in (("hq", HQ), ("sz", CHILD)):
        (root / name).mkdir()
        (root / name / "main.strat").write_text(text, encoding="utf-8")
    return root


client = server_client()


async def labels(client: LanguageClient, uri: str, needle: str) -> set[str]:
    done = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=pos_of(CHILD, needle, delta=len(needle)),
        )
    )
    items = done.items if isinstance(done, lsp.CompletionList) else done
    return {i.label for i in items}


async def test_align_and_serves_complete_from_the_parent(client: LanguageClient, project: Path):
    uri = await open_doc(client, project / "sz" / "main.strat")
    assert await labels(client, uri, "align F1, ") == {"F1", "C1"}
    assert await labels(client, uri, "serves F1.") == {"F1.aum_total", "F1.fee"}
