"""The language server's stdio transport: framing, and JSON-RPC checks before pygls sees a message.

pygls reads `Content-Length` frames and hands each body to its protocol; a body that is not JSON,
not a JSON-RPC request or whose params do not fit the method's type is logged and dropped — a
request with an id then never gets a reply, and an editor waits forever. Here every frame is
checked first and a request that cannot be served gets a JSON-RPC error: -32700 (not JSON),
-32600 (not a valid request, or framed wrongly), -32602 (params of the wrong shape).

Framing recovers from a wrong `Content-Length`: a body cannot contain the bytes
`Content-Length:` (outside a JSON string they are not JSON, and a string cannot hold the raw line
break around them), so a header found inside a body ends it early (the length was too long); a
body that is not JSON but becomes JSON with the bytes up to the next header was cut short (too
short); and a body that stops arriving for `IDLE_SECONDS` is taken as it is. Bytes between frames
that are not a header are reported once as a parse error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import re
import sys
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol

from cattrs.errors import ClassValidationError

if TYPE_CHECKING:
    from pygls.protocol import JsonRPCProtocol
    from pygls.server import JsonRPCServer

log = logging.getLogger("stratlang.lsp")

HEADER = re.compile(rb"Content-Length[ \t]*:[ \t]*(\d{1,12})[ \t]*\r?\n", re.IGNORECASE)
HEADER_END = re.compile(rb"\r?\n\r?\n")
OTHER_HEADERS = re.compile(rb"(?:[ \t\r\n]*[A-Za-z][A-Za-z0-9-]*[ \t]*:[^\r\n]*\r?\n)+[ \t\r\n]*")
IDLE_SECONDS = 1.0
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
NOT_INITIALIZED = -32002
# the protocols (connections) whose client has sent `initialize`
_INITIALIZED: weakref.WeakSet[JsonRPCProtocol] = weakref.WeakSet()


@dataclass
class Frame:
    body: bytes
    problem: str | None = None  # the framing was wrong: the body is reported, not served


class Chunked(Protocol):
    """A stream without a file descriptor: `read1` returns what has arrived."""

    def read1(self, size: int = ..., /) -> bytes: ...


def _reader(stream: BinaryIO | Chunked) -> Callable[[], bytes]:
    """Reads up to 64 KiB, whatever has arrived: from the file descriptor, or with `read1`."""
    if hasattr(stream, "fileno"):
        fd = stream.fileno()
        return lambda: os.read(fd, 65536)
    return lambda: stream.read1(65536)


class ChunkReader:
    """Reads stdin on a daemon thread (it may block forever; nothing waits for it on exit)."""

    def __init__(self, stream: BinaryIO | Chunked):
        self.chunks: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(
            target=self._pump, args=(_reader(stream),), daemon=True, name="lsp-stdin"
        ).start()

    def _pump(self, read: Callable[[], bytes]) -> None:
        try:
            while chunk := read():
                self.chunks.put(chunk)
        except (OSError, ValueError):
            pass
        self.chunks.put(None)

    def get(self, timeout: float | None) -> bytes | None:
        """The next chunk; b"" when none came within `timeout`; None at end of input."""
        try:
            return self.chunks.get(timeout=timeout)
        except queue.Empty:
            return b""


class Framer:
    """Splits the input into message bodies (see the module's docstring for the recovery rules)."""

    def __init__(self, reader: ChunkReader, idle: float = IDLE_SECONDS):
        self.reader = reader
        self.idle = idle
        self.buf = bytearray()
        self.eof = False

    def _more(self, timeout: float | None) -> bool:
        """Append input; False when nothing came within `timeout` or the input ended."""
        if self.eof:
            return False
        chunk = self.reader.get(timeout)
        if chunk is None:
            self.eof = True
            return False
        self.buf += chunk
        return bool(chunk)

    def _take(self, end: int) -> bytes:
        out = bytes(self.buf[:end])
        del self.buf[:end]
        return out

    def next(self) -> Frame | None:
        """The next frame; None at the end of the input."""
        while True:
            head = HEADER.search(self.buf)
            if head is None:
                if self._more(self.idle if self.buf.strip() else None):
                    continue
                if self.buf.strip():  # stalled or ended without a header: no message in these bytes
                    return Frame(self._take(len(self.buf)), "bytes outside a Content-Length frame")
                if self.eof:
                    return None
                continue
            before = bytes(self.buf[: head.start()])
            if before.strip() and not OTHER_HEADERS.fullmatch(before):
                return Frame(self._take(head.start()), "bytes outside a Content-Length frame")
            end = HEADER_END.search(self.buf, head.end() - 1)
            if end is None:
                if self._more(self.idle):
                    continue
                return Frame(
                    self._take(len(self.buf)), "a header without the blank line that ends it"
                )
            if HEADER.search(
                self.buf, head.end(), end.end()
            ):  # a stray header line: the next one counts
                del self.buf[: head.end()]
                continue
            frame = self._body(end.end(), int(head.group(1)))
            if frame is not None:
                return frame

    def _body(self, start: int, length: int) -> Frame | None:
        """The body after a header block ending at `start` (the header is dropped with it)."""
        scanned = start
        while True:
            later = HEADER.search(self.buf, max(start, scanned - 24), start + length)
            if later is not None:  # the next message began inside this one: the length was too long
                del self.buf[:start]
                body = self._take(later.start() - start)
                return Frame(
                    body,
                    f"Content-Length says {length} bytes, but the next message begins after "
                    f"{len(body)}",
                )
            scanned = len(self.buf)
            if len(self.buf) >= start + length:
                del self.buf[:start]
                body = self._take(length)
                rest = bytes(self.buf.lstrip()[:64])
                if (
                    rest
                    and not HEADER.match(rest)
                    and not OTHER_HEADERS.match(rest)
                    and not _is_json(body)
                ):
                    nxt = HEADER.search(self.buf)
                    tail = bytes(self.buf[: nxt.start() if nxt else len(self.buf)])
                    if _is_json(
                        body + tail
                    ):  # the length was too short: the rest of the message follows
                        del self.buf[: len(tail)]
                        return Frame(
                            body + tail,
                            f"Content-Length says {length} bytes, but the message has "
                            f"{len(body) + len(tail)}",
                        )
                return Frame(body)
            if not self._more(self.idle):
                del self.buf[:start]
                body = self._take(len(self.buf))
                if self.eof and not body.strip():
                    return None
                return Frame(body, f"Content-Length says {length} bytes, but only {len(body)} came")


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------- checking a message


def _valid_id(value) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def send_error(
    protocol: JsonRPCProtocol, msg_id: int | str | None, code: int, message: str
) -> None:
    """A JSON-RPC error reply (`id` null when the request's id could not be read)."""
    protocol._send_data(
        {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
    )


def _params_problem(exc: Exception) -> str:
    """A one-line account of why params did not fit (cattrs lists every bad field)."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(cause, ClassValidationError):
        try:
            from cattrs import transform_error

            lines = [line.replace("$.", "", 1) for line in transform_error(cause)]
            return "; ".join(lines[:5]) + ("; …" if len(lines) > 5 else "")
        except Exception:  # pragma: no cover - an older cattrs
            pass
    return str(cause) or type(cause).__name__


def handle_frame(protocol: JsonRPCProtocol, frame: Frame) -> None:
    """Check one frame and pass it to pygls, or answer it with a JSON-RPC error."""
    try:
        data = json.loads(frame.body)
    except (ValueError, RecursionError) as e:  # RecursionError: JSON nested thousands deep
        why = frame.problem or f"the message is not valid JSON ({e})"
        send_error(protocol, None, PARSE_ERROR, f"Parse error: {why}")
        return
    msg_id = data.get("id") if isinstance(data, dict) else None
    msg_id = msg_id if _valid_id(msg_id) else None
    is_request = isinstance(data, dict) and "method" in data and msg_id is not None
    if frame.problem:
        log.warning("framing problem: %s", frame.problem)
        if is_request or not isinstance(data, dict) or "method" not in data:
            send_error(protocol, msg_id, INVALID_REQUEST, f"Invalid request: {frame.problem}")
        return
    problem = _request_problem(data)
    if problem:
        log.warning("invalid message: %s", problem)
        if not (
            isinstance(data, dict) and "method" in data and "id" not in data
        ):  # notifications get no reply
            send_error(protocol, msg_id, INVALID_REQUEST, f"Invalid request: {problem}")
        return
    if "method" not in data:  # a response to a request of ours
        _deliver(protocol, data, None)
        return
    if protocol._shutdown and data["method"] != "exit":
        if is_request:
            send_error(
                protocol, msg_id, INVALID_REQUEST, "Invalid request: the server is shutting down"
            )
        return
    if data["method"] == "initialize":
        _INITIALIZED.add(protocol)
    elif protocol not in _INITIALIZED and data["method"] != "exit":
        # LSP: before `initialize`, requests are refused with -32002 and notifications dropped
        if is_request:
            send_error(
                protocol, msg_id, NOT_INITIALIZED, "Server not initialized: send `initialize` first"
            )
        return
    if (
        "params" in data
        and data["params"] is not None
        and not isinstance(data["params"], (dict, list))
    ):
        if is_request:
            send_error(
                protocol, msg_id, INVALID_PARAMS, "Invalid params: `params` must be an object"
            )
        return
    _deliver(protocol, data, msg_id if is_request else None)


def _request_problem(data) -> str | None:
    """Why `data` is not a JSON-RPC 2.0 request, notification or response (None: it is one)."""
    if isinstance(data, list):
        return "batches are not part of the Language Server Protocol"
    if not isinstance(data, dict):
        return "a message must be a JSON object"
    if data.get("jsonrpc") != "2.0":
        return '`jsonrpc` must be "2.0"'
    if (
        "id" in data
        and not _valid_id(data["id"])
        and not (data["id"] is None and "method" not in data)
    ):
        return "`id` must be an integer or a string"
    if "method" in data:
        if not isinstance(data["method"], str) or not data["method"]:
            return "`method` must be a non-empty string"
        return None
    if "id" not in data:
        return "a message needs a `method` (a request or notification) or an `id` (a response)"
    if "result" not in data and "error" not in data:
        return "a response needs a `result` or an `error`"
    return None


def _deliver(protocol: JsonRPCProtocol, data: dict, request_id: int | str | None) -> None:
    try:
        message = protocol.structure_message(data)
    except Exception as e:  # params that do not fit the method's types (pygls logs the details)
        if request_id is not None:
            send_error(
                protocol,
                request_id,
                INVALID_PARAMS,
                f"Invalid params for {data.get('method')}: {_params_problem(e)}",
            )
        else:
            log.warning(
                "dropped %s: params do not fit (%s)", data.get("method"), _params_problem(e)
            )
        return
    try:
        protocol.handle_message(message)
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception:  # pygls answers requests itself; this is a bug around it
        log.exception("cannot handle %s", data.get("method"))
        if request_id is not None:
            send_error(
                protocol,
                request_id,
                -32603,
                "Internal error: the server could not handle this request",
            )


# ---------------------------------------------------------------------- the loop


def serve_stdio(
    server: JsonRPCServer, stdin: BinaryIO | Chunked | None = None, stdout: BinaryIO | None = None
) -> None:
    """Serve `server` (a pygls LanguageServer) over stdin/stdout until `exit` or end of input."""
    from pygls.io_ import StdoutWriter

    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    framer = Framer(ChunkReader(stdin or sys.stdin.buffer))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        frames: asyncio.Queue[Frame | None] = asyncio.Queue()

        def pump() -> (
            None
        ):  # framing waits on input: its own daemon thread, never the loop's executor
            while True:
                frame = framer.next()
                loop.call_soon_threadsafe(frames.put_nowait, frame)
                if frame is None:
                    return

        threading.Thread(target=pump, daemon=True, name="lsp-framer").start()
        while not stop.is_set():
            frame = await frames.get()
            if frame is None:
                break
            handle_frame(server.protocol, frame)
            await asyncio.sleep(0)  # let handlers scheduled by this message run before the next

    code = 0
    try:
        asyncio.run(main())
    except BrokenPipeError:
        log.error("the client closed the connection")
    except KeyboardInterrupt:
        pass
    except SystemExit as e:  # the `exit` notification: 0 after `shutdown`, else 1
        code = e.code if isinstance(e.code, int) else 0
    finally:
        server.shutdown()
    if code:
        sys.exit(code)
