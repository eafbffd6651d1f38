"""HTTP/1.1 request handlers for the proxy port, the TLS tunnels it terminates and the TLS port.

They reuse werkzeug's request parsing and WSGI environ (the API port's), but keep connections
alive: werkzeug's development handler closes every connection, which inside a TLS tunnel would
cost a handshake per request. Request bodies are read before the app runs and responses are
buffered whole, so each response has a Content-Length and the next request starts where it should.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler

from ..hosts import is_twilio_host
from ..server import JsonErrors, read_body, with_body

log = logging.getLogger("emulator.proxy")

IDLE_SECONDS = 120  # an idle keep-alive connection is closed after this
CONNECT_SECONDS = 10  # to reach a host that is tunnelled or forwarded untouched
# Bodies up to this size are read before the app runs; a larger one is left to the app to refuse
# (its limit is 1 MiB), and the connection closes after the answer.
BODY_LIMIT = 1024 * 1024
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "transfer-encoding", "upgrade",
})


class Site:
    """What werkzeug's request handler reads from its server: the WSGI app and how it was reached
    (ssl_context set means https, which is how the app learns the scheme of its absolute URLs)."""

    multithread = True
    multiprocess = False
    passthrough_errors = False
    _server_version = "twilio-emulator"

    server_address: Any

    def __init__(self, app: Any, ssl_context: Any, server_address: tuple[str, int]) -> None:
        self.app = app
        self.ssl_context = ssl_context
        self.server_address = server_address

    def log(self, type: str, message: str, *args: object) -> None:
        getattr(log, "debug" if type != "error" else "error")(message, *args)

    def track(self, sock: socket.socket) -> None:
        """Listeners remember open sockets to close them at stop(); a tunnel's site has none."""

    def untrack(self, sock: socket.socket) -> None:
        pass


class AppHandler(JsonErrors, WSGIRequestHandler):
    """Serves the emulator's app on one connection (plain, or already inside TLS), with keep-alive."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    disable_nagle_algorithm = True
    server: Site  # type: ignore[assignment]  # werkzeug reads only what Site provides

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def run_wsgi(self) -> None:
        self.serve_app()

    def serve_app(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        _quick_ack(self.connection)
        environ = with_body(self, self.make_environ(), read_body(self, BODY_LIMIT))
        status, headers, payload = self._call(environ)
        self._respond(status, headers, payload, send_body=self.command != "HEAD")

    def _call(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
        started: list = []
        written: list[bytes] = []

        def start_response(status, headers, exc_info=None):  # noqa: ANN001, ANN202
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return written.append

        try:
            iterable = self.server.app(environ, start_response)
            try:
                written.extend(iterable)
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()
            return started[0], started[1], b"".join(written)
        except Exception:  # the app renders its own errors; this is a bug in ours, never a silent hang
            log.exception("error serving %s %s", self.command, self.path)
            self.close_connection = True
            return "500 Internal Server Error", [("Content-Type", "text/plain")], b"internal error\n"

    def _respond(self, status: str, headers: list[tuple[str, str]], payload: bytes, send_body: bool = True) -> None:
        code = int(status.split(None, 1)[0])
        lines = [f"HTTP/1.1 {status}", f"Server: {self.server._server_version}", f"Date: {self.date_time_string()}"]
        has_length = False
        for name, value in headers:
            lowered = name.lower()
            if lowered in HOP_BY_HOP:
                continue
            has_length = has_length or lowered == "content-length"
            lines.append(f"{name}: {value}")
        if not has_length and code >= 200 and code not in (204, 304):
            lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            lines.append("Connection: close")
        # One write: head and body in one TLS record and TCP segment.
        self.wfile.write("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + (payload if send_body else b""))
        self.log_request(code, len(payload))

    def plain(self, code: int, text: str) -> None:
        """A short text answer from the proxy itself, after which the connection closes."""
        self.close_connection = True
        reason = self.responses.get(code, ("",))[0]
        self._respond(f"{code} {reason}", [("Content-Type", "text/plain; charset=utf-8")], (text + "\n").encode())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        scheme = "https" if self.server.ssl_context is not None else "http"
        absolute = "://" in self.path or self.command == "CONNECT"
        target = self.path if absolute else f"{scheme}://{self.headers.get('Host', '')}{self.path}"
        log.info('%s "%s %s" %s', self.address_string(), self.command, target, code)

    def log_error(self, format: str, *args: object) -> None:
        log.debug(format, *args)

    def log_message(self, format: str, *args: object) -> None:
        log.debug(format, *args)


class ProxyHandler(AppHandler):
    """The proxy port: CONNECT to a Twilio host is answered by the app inside TLS made with our CA;
    CONNECT to any other host is tunnelled untouched; absolute-URI plain-HTTP requests go to the
    app (Twilio hosts) or are forwarded to their host."""

    def do_CONNECT(self) -> None:  # noqa: N802 - the http.server naming
        self.close_connection = True
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit():
            self.plain(400, f"CONNECT needs host:port, not {self.path!r}")
        elif is_twilio_host(host):
            self._intercept(host.lower().rstrip("."), int(port))
        else:
            self._tunnel(host, int(port))

    def run_wsgi(self) -> None:
        target = urlsplit(self.path)
        if target.scheme != "http" or not target.hostname:
            self.plain(
                400,
                "This is twilio-emulator's HTTP proxy: use it as HTTPS_PROXY (see `twilio-emulator env`). "
                "The Twilio API itself answers on the emulator's own port.",
            )
        elif is_twilio_host(target.hostname):
            # Plain-HTTP Twilio requests are rare: one per connection keeps the routing simple.
            self.close_connection = True
            self.serve_app()
        else:
            self._forward(target)

    def _established(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

    def _intercept(self, host: str, port: int) -> None:
        context = self.server.ca.context(host)  # type: ignore[attr-defined]  # the proxy's Listener has one
        self._established()
        try:
            tls = context.wrap_socket(self.connection, server_side=True)
        except OSError as exc:  # ssl.SSLError included: most often a client that does not trust our CA
            log.warning(
                "TLS with a client for %s failed: %s (does it trust the CA? see `twilio-emulator ca`)", host, exc
            )
            return
        log.info("%s CONNECT %s:%s: answered by the emulator", self.address_string(), host, port)
        self.server.track(tls)
        try:
            site = Site(self.server.app, context, (host, port))
            AppHandler(tls, self.client_address, site)  # type: ignore[arg-type]
        finally:
            self.server.untrack(tls)
            tls.close()

    def _open(self, host: str, port: int) -> socket.socket | None:
        try:
            upstream = socket.create_connection((host, port), timeout=CONNECT_SECONDS)
        except OSError as exc:
            self.plain(502, f"twilio-emulator's proxy could not reach {host}:{port}: {exc}")
            return None
        upstream.settimeout(None)
        return upstream

    def _tunnel(self, host: str, port: int) -> None:
        upstream = self._open(host, port)
        if upstream is None:
            return
        self._established()
        log.info("%s CONNECT %s:%s: tunnelled untouched", self.address_string(), host, port)
        self._relay(upstream)

    def _forward(self, target) -> None:  # noqa: ANN001 - a SplitResult
        self.close_connection = True
        upstream = self._open(target.hostname, target.port or 80)
        if upstream is None:
            return
        named = {v.strip().lower() for v in self.headers.get("Connection", "").split(",")}
        query = "?" + target.query if target.query else ""
        lines = [f"{self.command} {target.path or '/'}{query} {self.request_version}"]
        lines += [
            f"{name}: {value}" for name, value in self.headers.items()
            if name.lower() not in named | {"connection", "keep-alive", "proxy-connection", "proxy-authorization"}
        ]
        if "Host" not in self.headers:
            lines.append(f"Host: {target.netloc}")
        lines.append("Connection: close")  # the answer ends with the connection: relay until then
        log.info("%s %s %s: forwarded untouched", self.address_string(), self.command, self.path)
        self._relay(upstream, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def _relay(self, upstream: socket.socket, first: bytes = b"") -> None:
        """Copy bytes both ways until the far side closes."""
        self.server.track(upstream)
        self.connection.settimeout(None)

        def client_to_upstream() -> None:
            try:
                if first:
                    upstream.sendall(first)
                while data := self.rfile.read1(65536):  # read1: bytes already buffered come first
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                _shutdown(upstream)

        sender = threading.Thread(target=client_to_upstream, name="twilio-emulator-relay", daemon=True)
        sender.start()
        try:
            while data := upstream.recv(65536):
                self.connection.sendall(data)
        except OSError:
            pass
        finally:
            _shutdown(self.connection)
            sender.join(timeout=1)
            self.server.untrack(upstream)
            upstream.close()


def _quick_ack(sock: socket.socket) -> None:
    """Acknowledge the request head now. A client that sends head and body in two writes without
    TCP_NODELAY (urllib3 inside a proxy tunnel does) holds the body until the head is acknowledged,
    and Linux delays that acknowledgement by up to 40 ms: a stall on every request with a body."""
    if hasattr(socket, "TCP_QUICKACK"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class TLSHandler(AppHandler):
    """The TLS port: the handshake runs in the connection's own thread, never in the accept loop."""

    def setup(self) -> None:
        self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.request.close()
