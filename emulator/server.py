"""Run the app on a real socket in a background thread (tests, the pytest plugin) or in the foreground.

The default server is werkzeug's threaded one, hardened for a sandbox others can reach: a client
has READ_TIMEOUT seconds to send its whole request (head and body: one that stops, or sends a byte
at a time, is dropped), at most MAX_CONNECTIONS are served at once (more wait in the listen
backlog), and errors raised before the app sees a request are JSON in the path's shape.
"""

from __future__ import annotations

import gc
import io
import json
import re
import socket
import threading
import time
from http import HTTPStatus
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, DechunkedInput, ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.urls import uri_to_iri

from .app import MAX_CONTENT_LENGTH, shutdown

READ_TIMEOUT = 5.0
MAX_CONNECTIONS = 256
_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s]*")


def tune_gc() -> None:
    """For a serving process: the emulator keeps many long-lived objects (messages, records, queued
    webhooks) and allocates a few per request, so the default collection thresholds make the cyclic
    GC rescan that heap far too often. Freeze what start-up built; collect the young less often."""
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)


def read_body(handler: WSGIRequestHandler, limit: int = MAX_CONTENT_LENGTH) -> bytes | None:
    """The request's whole body (chunked or not), read before the app runs; None when it is larger
    than `limit` (the app refuses it unread, and the connection cannot be reused)."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        stream, parts, size = DechunkedInput(handler.rfile), [], 0  # type: ignore[arg-type]
        while chunk := stream.read(65536):
            size += len(chunk)
            if size > limit:
                return None
            parts.append(chunk)
        return b"".join(parts)
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        length = -1
    if length < 0 or length > limit:
        return None
    body = handler.rfile.read(length) if length else b""
    if len(body) < length:
        handler.close_connection = True
    return body


def with_body(handler: WSGIRequestHandler, environ: dict[str, Any], body: bytes | None) -> dict[str, Any]:
    """The WSGI environ of a request whose body `read_body` already read."""
    if body is None:
        handler.close_connection = True
    else:
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
    return environ


class JsonErrors:
    """http.server answers what it cannot parse (a 70,000-character request line: 414; a header
    line too long: 431; bad syntax: 400) with an HTML page: answer in the path's error shape."""

    raw_requestline: bytes
    close_connection: bool

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        status = HTTPStatus(code)
        text = message or status.phrase
        target = self.raw_requestline.split(b" ", 2)[1:2] if getattr(self, "raw_requestline", b"") else []
        if target and target[0].startswith(b"/_emulator"):
            body: dict[str, Any] = {"error": text}
        else:
            body = {"code": 20001, "message": text, "more_info": "https://www.twilio.com/docs/errors/20001",
                    "status": code}
        payload = json.dumps(body).encode()
        self.close_connection = True
        writer: Any = self
        writer.request_version = "HTTP/1.1"  # garbage parses as HTTP/0.9, which would drop the head
        writer.send_response(code, status.phrase)
        writer.send_header("Content-Type", "application/json")
        writer.send_header("Content-Length", str(len(payload)))
        writer.send_header("Connection", "close")
        writer.end_headers()
        if writer.command != "HEAD" and code >= 200 and code not in (204, 304):
            writer.wfile.write(payload)


class _DeadlineReader(io.RawIOBase):
    """The connection's reading side. Each read waits only until the request's deadline, so a client
    that sends its request a byte at a time is dropped as surely as one that stops sending."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the client did not send its request in time")
            self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class RequestHandler(JsonErrors, WSGIRequestHandler):
    """werkzeug's request handler with the request's deadline (see the module's docstring)."""

    server: EmulatorWSGIServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.read_timeout)  # per socket operation, writes included
        self.rfile.close()
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader, 65536)

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.server.read_timeout
        super().handle_one_request()

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._body = read_body(self)
        self._reader.deadline = None  # the request is in: the app may take its time
        self.connection.settimeout(self.server.read_timeout)
        super().run_wsgi()

    def make_environ(self) -> dict[str, Any]:
        return with_body(self, super().make_environ(), self._body)

    def log_error(self, format: str, *args: Any) -> None:
        # A dropped slow client or a malformed request is the client's doing, not an error of ours.
        self.log("info", format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self._hide_token()
        super().log_request(code, size)

    def _hide_token(self) -> None:
        # The control token may ride in a query string (EventSource): never in the log. werkzeug
        # builds its line from the path (the request line when there is none).
        self.requestline = _TOKEN_IN_QUERY.sub(r"\1…", self.requestline)
        if hasattr(self, "path"):
            self.path = _TOKEN_IN_QUERY.sub(r"\1…", self.path)


class PlainLogRequestHandler(RequestHandler):
    """The access log line without werkzeug's ANSI colours: for a log that is not a terminal (a
    file, a CI log, `docker logs`)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self._hide_token()
        try:
            line = f"{self.command} {uri_to_iri(self.path)} {self.request_version}"
        except AttributeError:  # no path: the request line itself was bad
            line = self.requestline
        self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)


class QuietRequestHandler(RequestHandler):
    """No access log line per request: in-process servers run inside test suites."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class EmulatorWSGIServer(ThreadedWSGIServer):
    """werkzeug's threaded server serving at most `max_connections` connections at once: the accept
    loop waits for a free slot, so more clients queue in the listen backlog instead of each taking
    a thread."""

    def __init__(
        self, host: str, port: int, app: Any, handler: type[RequestHandler] = RequestHandler, *,
        read_timeout: float = READ_TIMEOUT, max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        super().__init__(host, port, app, handler)
        self.read_timeout = read_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._stopping = False

    def process_request(self, request: Any, client_address: Any) -> None:
        while not self._slots.acquire(timeout=0.05):
            if self._stopping:
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def shutdown(self) -> None:
        self._stopping = True
        super().shutdown()


class ThreadedServer:
    """A werkzeug server in a daemon thread. Port 0 picks a free port; `url` says which."""

    def __init__(
        self, app: Flask, host: str = "127.0.0.1", port: int = 0, *,
        read_timeout: float = READ_TIMEOUT, max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.app = app
        self._server: BaseWSGIServer = EmulatorWSGIServer(
            host, port, app, QuietRequestHandler, read_timeout=read_timeout, max_connections=max_connections
        )
        self.host = host
        self.port = self._server.port
        # A short poll interval: stop() returns within ~20 ms instead of the default 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="twilio-emulator", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ThreadedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, let the requests in flight finish, then stop the emulator (the reverse
        of the start order)."""
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()
        shutdown(self.app)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
