"""The stratlang language server (pygls, stdio).

Every open document belongs to a project: the entry whose imports include it (a `main.strat`
next to it, or an entry already open), or else the document itself. Each change re-checks that
project with the same checker as `stratlang check`, the unsaved buffers given as an overlay, and
publishes diagnostics for every file of the project (an empty list clears a file). Changes are
checked on a worker thread once typing pauses, and a check overtaken by a newer change is not
published (`schedule`); files are parsed again only where their text changed (`incremental`).

Requests answer from open documents and the projects checked for them; nothing else is read from
disk for a request. A document the server does not know (never opened, an `untitled:` or `http:`
URI, a folder, a file of another language) gets an empty answer (null or []), never an error, and
no error reply carries a Python traceback (see `StratProtocol`; malformed messages are answered
by `transport`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import TextDocument

from .. import __version__, language
from .. import diagnostics as dg
from ..check import BuildCache, CheckResult, LoadError, check_project
from ..check.loader import load_project
from ..model import Model
from ..paths import is_file
from ..source import SourceFile, Span
from . import completion as comp
from .convert import document_path, line_col_at, offset_at, path_to_uri, span_range, to_lsp
from .hover import hover_text
from .incremental import IncrementalParser
from .index import Index, Occurrence, build_index
from .schedule import Scheduler, Stale

log = logging.getLogger("stratlang.lsp")

SYMBOL_KIND = {
    "strategy": lsp.SymbolKind.Namespace,
    "perspectives": lsp.SymbolKind.Namespace,
    "theme": lsp.SymbolKind.Enum,
    "schema": lsp.SymbolKind.Struct,
    "event": lsp.SymbolKind.Event,
    "objective": lsp.SymbolKind.Class,
    "segment": lsp.SymbolKind.Interface,
    "tiering": lsp.SymbolKind.Enum,
    "offer": lsp.SymbolKind.Object,
    "channel": lsp.SymbolKind.Module,
    "script": lsp.SymbolKind.String,
    "play": lsp.SymbolKind.Function,
    "initiative": lsp.SymbolKind.Method,
    "review": lsp.SymbolKind.Event,
    "gap": lsp.SymbolKind.Number,
    "policy": lsp.SymbolKind.Key,
}
COMPLETION_KIND = {
    "id": lsp.CompletionItemKind.Reference,
    "attribute": lsp.CompletionItemKind.Property,
    "keyword": lsp.CompletionItemKind.Keyword,
    "field": lsp.CompletionItemKind.Field,
    "value": lsp.CompletionItemKind.EnumMember,
}
ID_RE = re.compile(r"[^\W\d]\w*")
RESERVED = set(language.KEYWORDS) | set(language.CONSTANTS)  # a rename may not pick these
LANGUAGE_IDS = {"stratlang", "strat"}
INTERNAL_ERROR = -32603
UNFREEZE_EVERY = 200  # checks between handing frozen objects back to the collector


class StratProtocol(LanguageServerProtocol):
    """pygls' protocol, except that an error reply never carries a traceback (pygls puts one in
    `data` for an exception in a handler; the traceback goes to the server's log, stderr), and
    that a request first publishes the check of every change before it (`Scheduler.flush`)."""

    def _handle_request(self, msg_id, method_name, params):
        server = self._server
        if isinstance(server, StratServer):
            server.scheduler.flush()
        super()._handle_request(msg_id, method_name, params)

    def _send_response(self, msg_id, result=None, error=None):
        if error is not None and getattr(error, "data", None) is not None:
            if error.code == INTERNAL_ERROR:
                log.error("internal error answering request %s: %s", msg_id, error.message)
                error = lsp.ResponseError(
                    code=error.code,
                    message=f"stratlang internal error: {error.message} "
                    "(a bug; the details are in the server's log)",
                )
            else:
                error = lsp.ResponseError(code=error.code, message=error.message)
        super()._send_response(msg_id, result, error)


@dataclass
class ProjectState:
    entry: Path
    result: CheckResult
    uris: dict[str, str]  # display path -> URI
    displays: dict[str, str]  # URI -> display path
    by_uri: dict[str, list] = field(
        default_factory=dict
    )  # URI -> [(our diagnostic, lsp diagnostic)]
    published: set[str] = field(default_factory=set)
    _index: Index | None = None

    @property
    def index(self) -> Index:
        """Built on the first request that needs it, not on every keystroke."""
        if self._index is None:
            self._index = build_index(self.result.project.files, self.result.sources)
        return self._index


class StratServer(LanguageServer):
    def __init__(self):
        super().__init__("stratlang", __version__, protocol_cls=StratProtocol)
        self.projects: dict[Path, ProjectState] = {}
        self.owner: dict[Path, Path] = {}  # file -> entry of its project
        self.last_check_ms: float = 0.0
        self.failure: str | None = None  # why the last `check` gave no result
        self.parser = IncrementalParser()
        self.caches: dict[Path, BuildCache] = {}  # entry -> its declarations' resolutions
        self.checks = 0
        self.check_lock = threading.RLock()  # one check at a time: the worker's or a request's
        self.scheduler = Scheduler(self._work)

    # ------------------------------------------------------------------ documents

    def document(self, uri: str) -> TextDocument | None:
        """The open document `uri` (pygls keys them by the unquoted URI), or None. Never reads the
        disk: `workspace.get_text_document` would, for any URI a client names (a FIFO blocks)."""
        if not isinstance(uri, str):
            return None
        return self.workspace.text_documents.get(unquote(uri))

    def strat_document(self, uri: str) -> TextDocument | None:
        """The open document `uri` if it is in our language (a `.strat` name, or the editor says
        stratlang), else None. Completion and formatting need only its text (an `untitled:` one too)."""
        doc = self.document(uri)
        if doc is None or not (
            doc.language_id in LANGUAGE_IDS or unquote(uri).lower().endswith(".strat")
        ):
            return None
        return doc

    def is_ours(self, uri: str) -> bool:
        """An open document of our language that is a file: checked as part of a project."""
        return self.strat_document(uri) is not None and document_path(uri) is not None

    # ------------------------------------------------------------------ projects

    def overlay(self) -> dict[Path, str]:
        out = {}
        for doc in list(self.workspace.text_documents.values()):
            path = document_path(doc.uri)
            if path is not None:
                out[path] = doc.source
        return out

    def entry_for(self, path: Path) -> Path:
        entry = self.owner.get(path)
        if entry is not None and entry != path:
            return entry
        main = path.parent / "main.strat"
        if main != path and is_file(main):
            state = self.check(main)
            if state is not None and path in state.result.project.paths.values():
                return main
        return path

    def check(self, entry: Path, stale=None) -> ProjectState | None:
        """Check the project of `entry` (raises Stale when `stale()` says a newer change came)."""
        with self.check_lock:
            return self._check(entry, stale)

    def _check(self, entry: Path, stale) -> ProjectState | None:
        t0 = time.perf_counter()
        self.failure = None
        collecting = gc.isenabled()  # paused: see `check.loader.gc_paused`
        gc.disable()
        try:
            project = load_project(entry, None, self.overlay(), parse=self.parser.parse)
            cache = self.caches.setdefault(entry, BuildCache())
            if stale is None:
                res = check_project(project, cache=cache)
            else:
                if stale():
                    raise Stale
                with self.scheduler.interruptible():
                    res = check_project(project, cache=cache)
        except Stale:
            raise
        except LoadError as e:
            log.warning("cannot check %s: %s", entry, e)
            self.failure = str(e)
            return None
        except RecursionError:
            log.warning("cannot check %s: nesting too deep", entry)
            self.failure = "the file is nested too deeply to check"
            return None
        except Exception as e:  # a checker bug must not take the editor session down
            log.exception("internal error while checking %s: %s", entry, e)
            self.failure = (
                f"stratlang internal error while checking: {type(e).__name__}: {e} "
                "(a bug; the details are in the server's log)"
            )
            return None
        finally:
            self.checks += 1
            # The project's objects (a 20,000-line file: ~350,000) stay alive until the next
            # check and are acyclic: moved out of the collector's sight, its full passes (~1 s
            # at that size) do not land on a later keystroke. Now and then they are handed back,
            # so that the few cycles among old results are freed.
            if self.checks % UNFREEZE_EVERY == 0:
                gc.unfreeze()
            else:
                gc.freeze()
            if collecting:
                gc.enable()
        project = res.project
        uris = {disp: path_to_uri(p) for disp, p in project.paths.items()}
        state = ProjectState(entry, res, uris, {u: d for d, u in uris.items()})
        old = self.projects.get(entry)
        if old is not None:
            state.published = old.published
        self.projects[entry] = state
        for p in project.paths.values():
            if self.owner.get(p) in (None, p) or p == entry:
                self.owner[p] = entry
        self.last_check_ms = (time.perf_counter() - t0) * 1000
        return state

    def recheck_and_publish(self, uri: str) -> None:
        publish = self.recheck(uri)
        if publish is not None:
            publish()

    def recheck(self, uri: str, stale=None):
        """Check the project of `uri`; the function that publishes the outcome (None: nothing
        to publish)."""
        path = document_path(uri)
        if path is None or not self.is_ours(uri):
            return None
        with self.check_lock:
            entry = self.entry_for(path)
            state = self.check(entry, stale)
            if (
                state is not None
                and entry != path
                and path not in state.result.project.paths.values()
            ):
                self.owner[path] = path  # no longer imported by that entry: a project of its own
                state = self.check(path, stale)
            if state is None:
                failure = self.failure
                return lambda: self.publish_failure(uri, failure)
        return lambda: self.publish(state)

    def _work(self, uris: list[str], stale):
        """The scheduler's work: check the projects of the changed documents."""
        publishes = []
        try:
            for uri in uris:
                publish = self.recheck(uri, stale)
                if publish is not None:
                    publishes.append(publish)
        except Stale:
            return None
        return lambda: [p() for p in publishes]

    def changed(self, uri: str) -> None:
        """A document's text changed: check it once typing pauses."""
        if self.scheduler.wake_loop is None:
            loop = asyncio.get_running_loop()
            self.scheduler.wake_loop = lambda: loop.call_soon_threadsafe(self.scheduler.drain)
        self.scheduler.changed(uri)

    def forget_closed_projects(self) -> None:
        """Drop the projects none of whose files is open any more (their diagnostics stay
        published): a long session that opens many projects does not keep every one in memory."""
        open_paths = set(self.overlay())
        for entry, state in list(self.projects.items()):
            if entry not in open_paths and open_paths.isdisjoint(
                state.result.project.paths.values()
            ):
                del self.projects[entry]
        self.owner = {p: e for p, e in self.owner.items() if e in self.projects}
        self.caches = {e: c for e, c in self.caches.items() if e in self.projects}

    def publish_failure(self, uri: str, failure: str | None = None) -> None:
        """The project could not be checked: say so on the document (an editor showing nothing
        would look like a clean file)."""
        message = failure or self.failure or "stratlang could not check this file"
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=uri,
                diagnostics=[
                    lsp.Diagnostic(
                        range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
                        message=message,
                        severity=lsp.DiagnosticSeverity.Error,
                        source="stratlang",
                    )
                ],
            )
        )

    def publish(self, state: ProjectState) -> None:
        sources = state.result.sources.files
        grouped: dict[str, list] = {u: [] for u in state.uris.values()}
        for d in state.result.diagnostics:
            uri = state.uris.get(d.span.file)
            if uri is None:
                continue
            grouped[uri].append(
                (d, to_lsp(d, sources, lambda f: state.uris.get(f, path_to_uri(f))))
            )
        state.by_uri = grouped
        for uri, pairs in grouped.items():
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[p[1] for p in pairs])
            )
        for uri in state.published - set(grouped):
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
        state.published = set(grouped)

    def state_of(self, uri: str) -> tuple[ProjectState | None, str | None, SourceFile | None]:
        """The project of a document, its display path there and its source (checking an open
        document if needed). (None, None, None) for a document the server does not know."""
        path = document_path(uri)
        if path is None:
            return None, None, None
        entry = self.owner.get(path)
        state = self.projects.get(entry) if entry else None
        if state is None and self.is_ours(uri):
            state = self.check(self.entry_for(path))
        if state is None:
            return None, None, None
        disp = state.displays.get(path_to_uri(path))
        src = state.result.sources.get(disp) if disp else None
        return state, disp, src

    def model_of(self, state: ProjectState | None) -> Model | None:
        return state.result.model if state is not None else None


server = StratServer()


# ---------------------------------------------------------------------- document sync


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: StratServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.scheduler.flush()
    ls.recheck_and_publish(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: StratServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: StratServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: StratServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.scheduler.flush()
    # the file on disk takes the buffer's place
    path = document_path(params.text_document.uri)
    if path is not None and is_file(path):
        state = ls.check(ls.entry_for(path))
        if state is not None:
            ls.publish(state)
    ls.forget_closed_projects()
    with ls.check_lock:
        ls.parser.forget(d for st in ls.projects.values() for d in st.result.project.paths)


# ---------------------------------------------------------------------- hover


def _at_cursor(
    ls: StratServer, uri: str, position: lsp.Position
) -> tuple[ProjectState, Occurrence | None, SourceFile] | None:
    """(project state, the id occurrence under the cursor or None, source) — or None when the
    document is not known."""
    state, disp, src = ls.state_of(uri)
    if state is None or disp is None or src is None:  # (a source comes with its state and name)
        return None
    line, col = line_col_at(src, position)
    return state, state.index.at(disp, line, col), src


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: StratServer, params: lsp.HoverParams) -> lsp.Hover | None:
    found = _at_cursor(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    state, occ, src = found
    if occ is None:
        return None
    text = hover_text(state, occ)
    if not text:
        return None
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
        range=span_range(occ.span, src),
    )


# ---------------------------------------------------------------------- definition, references


def _location(state: ProjectState, span: Span) -> lsp.Location:
    return lsp.Location(
        uri=state.uris.get(span.file, path_to_uri(span.file)),
        range=span_range(span, state.result.sources.get(span.file)),
    )


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: StratServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    path = document_path(params.text_document.uri)
    state, disp, src = ls.state_of(params.text_document.uri)
    if path is None or state is None or disp is None or src is None:  # (all four, or none)
        return None
    line, col = line_col_at(src, params.position)
    imp = state.index.import_at(disp, line, col)
    if imp is not None:  # only a file the project loaded: never a path outside it
        target = path.parent / imp
        uri = path_to_uri(target)
        return (
            lsp.Location(uri=uri, range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))
            if uri in state.displays
            else None
        )
    occ = state.index.at(disp, line, col)
    if occ is None:
        return None
    d = (state.index.fields if occ.kind == "field" else state.index.defs).get(occ.name)
    return _location(state, d.span) if d is not None else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def references(ls: StratServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    found = _at_cursor(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    state, occ, _ = found
    if occ is None:
        return None
    include = params.context.include_declaration if params.context else True
    occs = [o for o in state.index.references(occ.name, occ.kind) if include or not o.decl]
    occs.sort(key=lambda o: (o.span.file, o.span.start))
    return [_location(state, o.span) for o in occs]


# ---------------------------------------------------------------------- rename


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
def prepare_rename(ls: StratServer, params: lsp.PrepareRenameParams) -> lsp.Range | None:
    found = _at_cursor(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    _, occ, src = found
    if occ is None:
        return None
    return span_range(occ.span, src)


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
def rename(ls: StratServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    found = _at_cursor(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    state, occ, _ = found
    if occ is None:
        raise JsonRpcInvalidParams("nothing to rename here: put the cursor on an id")
    new = params.new_name
    if not ID_RE.fullmatch(new) or new in RESERVED:
        raise JsonRpcInvalidParams(
            f"`{new}` is not a valid id (a letter or `_`, then letters, digits or `_`; "
            "not a keyword)"
        )
    taken = state.index.fields if occ.kind == "field" else state.index.defs
    if new != occ.name and (
        new in taken
        or (occ.kind != "field" and new in comp.declared_ids(s.text for s in state.result.sources))
    ):
        raise JsonRpcInvalidParams(f"`{new}` is already declared: ids are project-wide")
    changes: dict[str, list[lsp.TextEdit]] = {}
    for o in state.index.references(occ.name, occ.kind):
        uri = state.uris.get(o.span.file, path_to_uri(o.span.file))
        changes.setdefault(uri, []).append(
            lsp.TextEdit(
                range=span_range(o.span, state.result.sources.get(o.span.file)), new_text=new
            )
        )
    return lsp.WorkspaceEdit(changes=changes)


# ---------------------------------------------------------------------- completion


@server.feature(
    lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[" ", ",", "[", ">"])
)
def completion(ls: StratServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    doc = ls.strat_document(params.text_document.uri)
    if doc is None:
        return None
    text = doc.source.replace("\r\n", "\n")
    src = SourceFile(doc.path, text)
    offset = offset_at(src, params.position)
    path = document_path(params.text_document.uri)
    entry = ls.owner.get(path) if path is not None else None
    state = ls.projects.get(entry) if entry else None
    texts = [text]
    schema = None
    if state is not None:
        texts += [s.text for s in state.result.sources if s.abspath != path]
        model = state.result.model
        schema = model.schema if model is not None else None
    parent = parent_targets(state.result) if state is not None else None
    items = comp.complete(text, offset, comp.declared_ids(texts), schema, parent)
    return lsp.CompletionList(
        is_incomplete=False,
        items=[
            lsp.CompletionItem(label=label, kind=COMPLETION_KIND[what], detail=detail)
            for label, what, detail in items
        ],
    )


def parent_targets(result: CheckResult) -> dict[str, tuple[str, ...]] | None:
    """The parent project's objectives and their target ids (None without a parent that loads),
    for `align` and `serves` completion: the parent as saved on disk, parsed and resolved only
    (no checks), cached until one of its files changes."""
    from ..check import check_entry
    from ..check.cascade import parent_entry

    link = result.model.parent if result.model is not None else None
    if link is None or result.project is None:
        return None
    entry, _ = parent_entry(result.project, link)
    if entry is None:
        return None
    hit = _PARENTS.get(entry)
    if hit is not None and all(_mtime(f) == t for f, t in hit[0].items()):
        return hit[1]
    try:
        parent = check_entry(entry, checks=False)
    except LoadError:
        return None
    files = parent.project.paths.values() if parent.project is not None else [entry]
    objectives = {oid: tuple(t.id for t in o.targets) for oid, o in parent.model.objectives.items()}
    _PARENTS[entry] = ({f: _mtime(f) for f in files}, objectives)
    return objectives


_PARENTS: dict[Path, tuple[dict[Path, float | None], dict[str, tuple[str, ...]]]] = {}


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


# ---------------------------------------------------------------------- symbols


def _item_symbol(item: object) -> tuple[str, lsp.SymbolKind, Span] | None:
    """The outline entry of a line inside a block (name, kind, the span to select), or None."""
    from ..syntax import ast

    if isinstance(item, ast.TargetLine):
        return f"target {item.id.name}", lsp.SymbolKind.Constant, item.id.span
    if isinstance(item, ast.MeasureLine):
        return f"measure {item.id.name}", lsp.SymbolKind.Variable, item.id.span
    if isinstance(item, ast.StepLine):
        return f"step {getattr(item.number, 'raw', '')}", lsp.SymbolKind.Event, item.span
    if isinstance(item, ast.FieldLine):
        return item.name.name, lsp.SymbolKind.Field, item.name.span
    if isinstance(item, ast.PerspectiveItem):
        return item.id.name, lsp.SymbolKind.EnumMember, item.id.span
    return None


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: StratServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    from ..syntax import ast

    state, disp, src = ls.state_of(params.text_document.uri)
    if state is None or src is None:  # (a source comes with its state)
        return []
    files = [f for f in state.result.project.files if f.path == disp]
    out = []
    for d in files[0].decls if files else ():
        if not isinstance(d, ast.Block):
            continue
        children = []
        for item in d.items:
            found = _item_symbol(item)
            if found is not None and found[0]:
                name, kind, sel = found
                children.append(
                    lsp.DocumentSymbol(
                        name=name,
                        kind=kind,
                        range=span_range(item.span, src),
                        selection_range=span_range(sel, src),
                    )
                )
        sel = d.id.span if d.id is not None else d.kind_span
        out.append(
            lsp.DocumentSymbol(
                name=d.id.name if d.id is not None else d.kind,
                kind=SYMBOL_KIND.get(d.kind, lsp.SymbolKind.Object),
                detail=f"{d.kind} {d.label.value}" if d.label is not None else d.kind,
                range=span_range(d.span, src),
                selection_range=span_range(sel, src),
                children=children or None,
            )
        )
    return out


# ---------------------------------------------------------------------- formatting


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: StratServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    from ..fmt import FormatError, format_text

    doc = ls.strat_document(params.text_document.uri)
    if doc is None:
        return None
    text = doc.source
    try:
        new = format_text(text, doc.path)
    except FormatError:
        return []
    except Exception as e:  # a formatter bug must not lose the user's text
        log.warning("formatter failed: %s", e)
        return []
    if new == text:
        return []
    lines = text.split("\n")
    # UTF-16 units counted, not encoded: a lone surrogate (a client may send one) is one unit
    end = lsp.Position(
        line=len(lines) - 1, character=sum(2 if ord(c) > 0xFFFF else 1 for c in lines[-1])
    )
    return [lsp.TextEdit(range=lsp.Range(lsp.Position(0, 0), end), new_text=new)]


# ---------------------------------------------------------------------- code actions


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (
        b.start.line,
        b.start.character,
    ) <= (a.end.line, a.end.character)


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
)
def code_action(ls: StratServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    state, disp, src = ls.state_of(params.text_document.uri)
    if state is None:
        return []
    out = []
    for ours, theirs in state.by_uri.get(params.text_document.uri, []):
        if not ours.suggestions or not _overlaps(theirs.range, params.range):
            continue
        for s in ours.suggestions:
            if s.applicability not in (
                dg.Applicability.MACHINE_APPLICABLE,
                dg.Applicability.MAYBE_INCORRECT,
            ):
                continue
            uri = state.uris.get(s.span.file, params.text_document.uri)
            edit = lsp.TextEdit(
                range=span_range(s.span, state.result.sources.get(s.span.file)),
                new_text=s.replacement,
            )
            out.append(
                lsp.CodeAction(
                    title=s.message or f"replace with `{s.replacement}`",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[theirs],
                    is_preferred=s.applicability == dg.Applicability.MACHINE_APPLICABLE,
                    edit=lsp.WorkspaceEdit(changes={uri: [edit]}),
                )
            )
    return out


def serve() -> None:
    from .transport import serve_stdio

    serve_stdio(server)
