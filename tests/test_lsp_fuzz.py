"""Fuzzing the language server over stdio: random edits of the examples, random requests.

Each hypothesis example opens documents in a fresh copy of an example project, changes them
(whole texts and incremental edits of mutated example text: byte flips, token deletions, splices,
repeats, deep nesting, long lines, odd Unicode) and interleaves requests (hover, definition, references, completion,
document symbols, formatting, prepare-rename, rename, code actions) at random positions, some far
outside the text. The property, checked on `python -m stratlang.lsp` through raw stdio:

- every request is answered, with a result or a JSON-RPC error that is not an internal error
  (-32603) and carries no traceback;
- every change of an open document publishes diagnostics for it, none saying "internal error";
- the server is still running at the end.

Budget, as in tests/test_fuzz.py: `test_lsp_fuzz` plays `STRATLANG_FUZZ_EXAMPLES` examples
(default 12, derandomised: the same ones every run, in a few seconds); with `STRATLANG_FUZZ_SECONDS`
set, `test_lsp_fuzz_for_a_while` plays fresh random examples for that many seconds (`pytest -s
tests/test_lsp_fuzz.py -k fuzz_for_a_while`, as `make fuzz` runs tests/test_fuzz.py). A failing
sequence is saved, shrunk, to `tests/fuzz_corpus/lsp-<hash>.json`, and every saved file is replayed
by `test_lsp_fuzz_corpus` as a regression case.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_lsp import RawServer

from stratlang.lsp.convert import path_to_uri

CORPUS = ROOT / "tests" / "fuzz_corpus"
EXAMPLE_COUNT = int(os.environ.get("STRATLANG_FUZZ_EXAMPLES", "12"))
SECONDS = float(os.environ.get("STRATLANG_FUZZ_SECONDS", "0") or 0)
PROJECT = EXAMPLES / "bank_wealth"
DOCS = sorted(p.name for p in PROJECT.glob("*.strat")) + ["scratch.strat"]
TEXTS = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*/*.strat"))]
REPLY_SECONDS = 60.0
MAX_TEXT = 200_000

ODD = [
    "\x00",
    "\ufeff",
    "\u200b",
    "\u202e",
    "😀",
    "𝔘",
    "\u0301",
    "中文",
    "\r",
    "\r\n",
    "\u2028",
    "\x85",
    "\ud800",
    "\udfff",
    "\t",
    "{",
    "}",
    '"',
    '"""',
    "#",
    "/*",
    "->",
    "..",
    "%",
    "{{ customer.",
    "\\",
    "\\u{",
    "0000Q4",
    "9" * 40,
    "segment",
    'import "main.strat"',
    "rule",
    "(",
    ")",
    "[",
    "]",
    ",",
    "\n\n",
    "🇨🇳",
    "ﬁ",
    "Ａ",
]
NAMES = ["x", "新名字", "_a1", "9lives", "and", "a-b", "", "p1", "😀", "x" * 300]
METHODS = [
    "hover",
    "definition",
    "references",
    "completion",
    "documentSymbol",
    "formatting",
    "prepareRename",
    "rename",
    "codeAction",
]


# ---------------------------------------------------------------------- the inputs


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(
            st.sampled_from(["flip", "delete", "insert", "splice", "repeat", "truncate", "nest"])
        )
        at = draw(st.integers(0, len(text)))
        if kind == "flip":
            data = bytearray(text.encode("utf-8", "surrogatepass"))
            if data:
                i = draw(st.integers(0, len(data) - 1))
                data[i] ^= draw(st.integers(1, 255))
            text = data.decode("utf-8", draw(st.sampled_from(["replace", "surrogateescape"])))
        elif kind == "delete":
            tokens = re.split(r"(\s+)", text)
            i = draw(st.integers(0, len(tokens)))
            del tokens[i : i + draw(st.integers(1, 6))]
            text = "".join(tokens)
        elif kind == "insert":
            text = (
                text[:at]
                + "".join(draw(st.lists(st.sampled_from(ODD), min_size=1, max_size=4)))
                + text[at:]
            )
        elif kind == "splice":
            other = draw(st.sampled_from(TEXTS))
            i = draw(st.integers(0, len(other)))
            text = text[:at] + other[i : i + draw(st.integers(1, 400))] + text[at:]
        elif kind == "repeat":
            piece = text[at : at + draw(st.integers(1, 40))]
            text = text[:at] + piece * draw(st.integers(2, 300)) + text[at:]
        elif kind == "nest":  # deep nesting or one very long line
            opener = draw(
                st.sampled_from(["(", "{", "[", "not ", "segment s { rule ", "a -> ", "x" * 50])
            )
            text = text[:at] + opener * draw(st.integers(1, 3000)) + text[at:]
        else:
            text = text[:at]
    return text[:MAX_TEXT]


positions = st.one_of(st.integers(0, 80), st.integers(0, 2**31 - 1))
docs = st.sampled_from(DOCS)
operations = st.one_of(
    st.fixed_dictionaries({"op": st.just("open"), "doc": docs, "text": mutated()}),
    st.fixed_dictionaries({"op": st.just("change"), "doc": docs, "text": mutated()}),
    st.fixed_dictionaries(
        {
            "op": st.just("edit"),
            "doc": docs,
            "range": st.lists(positions, min_size=4, max_size=4),
            "text": st.one_of(st.sampled_from(ODD), mutated().map(lambda t: t[:300])),
        }
    ),
    st.fixed_dictionaries(
        {
            "op": st.just("request"),
            "doc": docs,
            "method": st.sampled_from(METHODS),
            "line": positions,
            "character": positions,
            "name": st.sampled_from(NAMES),
        }
    ),
    st.fixed_dictionaries({"op": st.just("close"), "doc": docs}),
)
sequences = st.lists(operations, min_size=1, max_size=10)


# ---------------------------------------------------------------------- running one sequence


class Failure(AssertionError):
    pass


def _params(op: dict, uri: str) -> dict:
    ident = {"uri": uri}
    pos = {"line": op["line"], "character": op["character"]}
    method = op["method"]
    if method == "documentSymbol":
        return {"textDocument": ident}
    if method == "formatting":
        return {"textDocument": ident, "options": {"tabSize": 2, "insertSpaces": True}}
    if method == "references":
        return {"textDocument": ident, "position": pos, "context": {"includeDeclaration": True}}
    if method == "rename":
        return {"textDocument": ident, "position": pos, "newName": op["name"]}
    if method == "codeAction":
        return {
            "textDocument": ident,
            "range": {"start": {"line": 0, "character": 0}, "end": pos},
            "context": {"diagnostics": []},
        }
    return {"textDocument": ident, "position": pos}


def _check_reply(reply: dict, what: str) -> None:
    text = json.dumps(reply, ensure_ascii=False)
    if "traceback" in text.lower():
        raise Failure(f"{what}: a traceback in the reply: {text[:2000]}")
    if "error" in reply:
        if (
            reply["error"].get("code") == -32603
            or "internal error" in reply["error"].get("message", "").lower()
        ):
            raise Failure(f"{what}: internal error: {text[:2000]}")
        if reply["error"].get("code") not in (-32602, -32600):
            raise Failure(f"{what}: unexpected error: {text[:2000]}")
    elif "result" not in reply:
        raise Failure(f"{what}: neither result nor error: {text[:2000]}")


def _check_published(before: list[dict], uri: str, what: str) -> None:
    published = [
        m["params"]
        for m in before
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
    ]
    if not published:
        raise Failure(f"{what}: no diagnostics were published for {uri}")
    for params in published:
        for d in params["diagnostics"]:
            if "internal error" in d["message"].lower():
                raise Failure(f"{what}: {d['message'][:2000]}")


def run_sequence(server: RawServer, ops: list[dict]) -> None:
    """Play `ops` in a fresh copy of the project; raise Failure when the property breaks."""
    folder = Path(tempfile.mkdtemp(prefix="lspfuzz"))
    try:
        for p in PROJECT.glob("*.strat"):
            shutil.copyfile(p, folder / p.name)
        versions: dict[str, int] = {}
        for n, op in enumerate(ops):
            uri = path_to_uri(folder / op["doc"])
            what = f"step {n} ({op['op']} {op['doc']}{' ' + op['method'] if op['op'] == 'request' else ''})"
            kind = op["op"]
            if kind == "open":
                if (
                    uri in versions
                ):  # opening twice is a client bug; close first like an editor would
                    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
                versions[uri] = 1
                server.notify(
                    "textDocument/didOpen",
                    {
                        "textDocument": {
                            "uri": uri,
                            "languageId": "stratlang",
                            "version": 1,
                            "text": op["text"],
                        }
                    },
                )
            elif kind in ("change", "edit"):
                if uri not in versions:
                    continue  # a change to a closed document is not something a client sends
                versions[uri] += 1
                change = {"text": op["text"]}
                if kind == "edit":
                    l1, c1, l2, c2 = op["range"]
                    change["range"] = {
                        "start": {"line": l1, "character": c1},
                        "end": {"line": l2, "character": c2},
                    }
                server.notify(
                    "textDocument/didChange",
                    {
                        "textDocument": {"uri": uri, "version": versions[uri]},
                        "contentChanges": [change],
                    },
                )
            elif kind == "close":
                if uri in versions:
                    del versions[uri]
                    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
                continue
            if kind == "request":
                reply, _ = _answer(server, op["method"], _params(op, uri), what)
                _check_reply(reply, what)
            else:  # a barrier: the server handles messages in order, so diagnostics come before it
                reply, before = _answer(
                    server, "documentSymbol", {"textDocument": {"uri": uri}}, what
                )
                _check_reply(reply, what)
                _check_published(before, uri, what)
        for uri in versions:
            server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        if not server.alive():
            raise Failure("the server ended")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _answer(server: RawServer, method: str, params: dict, what: str):
    try:
        return server.reply(server.request(f"textDocument/{method}", params), timeout=REPLY_SECONDS)
    except AssertionError as e:
        raise Failure(f"{what}: textDocument/{method} was not answered: {e}"[:4000]) from None


# ---------------------------------------------------------------------- the tests


class Servers:
    """One server for many examples, restarted when one dies (or after `limit` examples)."""

    def __init__(self, limit: int = 300):
        self.server: RawServer | None = None
        self.used = 0
        self.limit = limit
        self.examples = self.operations = 0

    def get(self) -> RawServer:
        if self.server is None or not self.server.alive() or self.used >= self.limit:
            self.close()
            self.server = RawServer(cwd=ROOT)
            self.server.initialize()
            self.used = 0
        self.used += 1
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


def save_crasher(ops: list[dict], failure: str) -> Path:
    data = json.dumps({"ops": ops}, ensure_ascii=False, sort_keys=True)
    path = (
        CORPUS / f"lsp-{hashlib.sha1(data.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}.json"
    )
    CORPUS.mkdir(exist_ok=True)
    path.write_text(json.dumps({"failure": failure[:4000], "ops": ops}, indent=1), encoding="utf-8")
    return path


def _fuzz(servers: Servers, max_examples: int, derandomize: bool, deadline: float | None) -> None:
    failures: list[tuple[list[dict], str]] = []

    @given(ops=sequences)
    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=derandomize,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    def play(ops):
        if (
            deadline is not None and time.monotonic() > deadline and not failures
        ):  # (shrinking goes on)
            return
        try:
            run_sequence(servers.get(), ops)
            servers.examples += 1
            servers.operations += len(ops)
        except Failure as e:
            failures.append((ops, str(e)))
            raise

    try:
        play()
    except Exception:  # a Failure, or hypothesis' FlakyFailure when a replay did not fail again
        if not failures:
            raise
        ops, why = failures[-1]  # hypothesis replays the shrunk example last
        path = save_crasher(ops, why)
        raise Failure(f"{why}\n(saved to {path.relative_to(ROOT)})") from None


def test_lsp_fuzz():
    """The bounded run of the normal suite: the same `STRATLANG_FUZZ_EXAMPLES` examples every time."""
    servers = Servers()
    try:
        _fuzz(servers, max_examples=EXAMPLE_COUNT, derandomize=True, deadline=None)
    finally:
        servers.close()


@pytest.mark.skipif(not SECONDS, reason="a long run: set STRATLANG_FUZZ_SECONDS (make fuzz)")
def test_lsp_fuzz_for_a_while():
    """Fresh random examples for `STRATLANG_FUZZ_SECONDS` seconds; a failure is saved to the corpus."""
    servers = Servers()
    deadline = time.monotonic() + SECONDS
    try:
        while time.monotonic() < deadline:
            _fuzz(servers, max_examples=50, derandomize=False, deadline=deadline)
        print(
            f"\nlanguage server fuzz: {servers.examples} sequences, {servers.operations} operations, "
            f"no failure in {SECONDS:.0f} s"
        )
    finally:
        servers.close()


@pytest.mark.parametrize("path", sorted(CORPUS.glob("lsp-*.json")), ids=lambda p: p.name)
def test_lsp_fuzz_corpus(path):
    ops = json.loads(path.read_text(encoding="utf-8"))["ops"]
    servers = Servers()
    try:
        run_sequence(servers.get(), ops)
    finally:
        servers.close()


# ---------------------------------------------------------------------- the framing, in process


class _Chunks:
    """A stand-in for the stdin reader: the given chunks, then the end of the input."""

    def __init__(self, chunks: list[bytes]):
        self.chunks = list(chunks)

    def get(self, timeout):
        return self.chunks.pop(0) if self.chunks else None


def _frames(data: bytes, cuts: list[int]) -> list:
    from stratlang.lsp.transport import Framer

    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    framer = Framer(_Chunks([data[a:b] for a, b in zip(points, points[1:])]), idle=0)
    out = []
    for _ in range(10_000):
        frame = framer.next()
        if frame is None:
            return out
        out.append(frame)
    raise AssertionError("the framer does not come to an end")


bodies = st.lists(
    st.fixed_dictionaries(
        {
            "jsonrpc": st.just("2.0"),
            "id": st.integers(0, 10**6),
            "method": st.text(max_size=20),
            "params": st.dictionaries(st.text(max_size=5), st.text(max_size=30), max_size=3),
        }
    ),
    max_size=5,
).map(lambda ms: [json.dumps(m, ensure_ascii=bool(len(m["method"]) % 2)).encode() for m in ms])
noise = st.one_of(
    st.binary(max_size=40),
    st.sampled_from(
        [
            b"Content-Length: 5\r\n",
            b"\r\n",
            b"Content-Length: x",
            b"Content-Type: a\r\n",
            b"{",
            b"}\r\n\r\n",
        ]
    ),
)


@settings(
    max_examples=max(50, EXAMPLE_COUNT * 10), deadline=None, derandomize=not SECONDS, database=None
)
@given(messages=bodies, cuts=st.lists(st.integers(0, 10**6), max_size=8))
def test_framer_delivers_well_framed_messages_whole(messages, cuts):
    data = b"".join(b"Content-Length: %d\r\n\r\n" % len(m) + m for m in messages)
    frames = _frames(data, cuts)
    assert [(f.body, f.problem) for f in frames] == [(m, None) for m in messages]


@settings(
    max_examples=max(50, EXAMPLE_COUNT * 10), deadline=None, derandomize=not SECONDS, database=None
)
@given(
    parts=st.lists(
        st.one_of(
            bodies.map(lambda ms: b"".join(b"Content-Length: %d\r\n\r\n" % len(m) + m for m in ms)),
            noise,
            st.tuples(st.binary(max_size=60), st.integers(0, 100)).map(
                lambda t: b"Content-Length: %d\r\n\r\n" % t[1] + t[0]
            ),
        ),
        max_size=8,
    ),
    cuts=st.lists(st.integers(0, 10**6), max_size=8),
)
def test_framer_never_fails_on_any_bytes(parts, cuts):
    from stratlang.lsp.transport import handle_frame

    data = b"".join(parts)
    frames = _frames(data, cuts)
    assert sum(len(f.body) for f in frames) <= len(data)

    class Sink:  # handle_frame's view of the protocol: errors are sent, nothing is served
        _shutdown = True
        sent: list = []

        def _send_data(self, message):
            self.sent.append(message)

    sink = Sink()
    for frame in frames:
        handle_frame(sink, frame)
    assert all(m["error"]["code"] in (-32700, -32600, -32602) for m in sink.sent)
