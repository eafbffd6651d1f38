"""The proxy and TLS listeners beside the API port, serving the same app (so the same state)."""

from __future__ import annotations

import http.client
import logging
import socket
import socketserver
import sys
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..settings import Settings
from .ca import CertificateAuthority
from .handlers import HOP_BY_HOP, ProxyHandler, Site, TLSHandler
from .trust import TRUSTSTORE_PASSWORD, TrustFiles, write_trust_files

log = logging.getLogger("emulator.proxy")
POLL_SECONDS = 0.05  # how often the accept loop checks for stop()


class Listener(Site, socketserver.ThreadingTCPServer):
    """One listening socket, its accept loop in a daemon thread, a thread per connection."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, name: str, host: str, port: int, handler: type, app, ca: CertificateAuthority, ssl_context=None) -> None:  # noqa: ANN001, E501
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            socketserver.ThreadingTCPServer.__init__(self, (host, port), handler)
        except OSError as exc:
            option = "--proxy-port" if name == "proxy" else "--tls-port"
            raise OSError(exc.errno, f"cannot listen on {host}:{port} for the {name} ({exc.strerror}): "
                                     f"choose another port with {option}") from None
        Site.__init__(self, app, ssl_context, self.server_address[:2])
        self.name = name
        self.ca = ca
        self.port: int = self.server_address[1]
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self.serve_forever, args=(POLL_SECONDS,), name=f"twilio-emulator-{name}", daemon=True
        )

    def track(self, sock: socket.socket) -> None:
        with self._open_lock:
            self._open.add(sock)

    def untrack(self, sock: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(sock)

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        # A client that went away or failed its TLS handshake: worth a debug line, not a traceback.
        log.debug("%s: connection from %s ended: %r", self.name, client_address, sys.exc_info()[1])

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        with self._open_lock:
            open_sockets, self._open = list(self._open), set()
        for sock in open_sockets:  # keep-alive connections and tunnels end now, not at their timeout
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)


@dataclass
class Listeners:
    """What start_listeners() started. `settings` has the ports they actually bound."""

    settings: Settings
    ca: CertificateAuthority | None = None
    trust: TrustFiles | None = None
    proxy: Listener | None = None
    tls: Listener | None = None

    def stop(self) -> None:
        for listener in (self.proxy, self.tls):
            if listener is not None:
                listener.stop()

    def describe(self, host: str) -> list[str]:
        """Lines for the start banner."""
        lines = []
        if self.proxy:
            lines.append(f"  HTTPS proxy: http://{host}:{self.proxy.port} (CONNECT to *.twilio.com is answered "
                         "here; every other host is tunnelled untouched)")
        if self.tls:
            lines.append(f"  TLS: https://{host}:{self.tls.port} (certificates for twilio.com names)")
        if self.ca:
            lines.append(f"  CA: {self.ca.cert_path} (trusted by nothing until you say so: "
                         "`twilio-emulator env --sdk python` prints what a program needs)")
        return lines

    def info(self) -> dict:
        """The JSON of GET /_emulator/proxy: what `twilio-emulator env` needs."""
        assert self.ca is not None and self.trust is not None, "no listener was started"
        return proxy_info(self.settings, self.ca, self.trust)


def default_port(requested: int | None, api_port: int, offset: int) -> int:
    """The API port + offset by default; a free port when the API port was 0 (chosen at random)."""
    if requested is not None:
        return requested
    return api_port + offset if api_port else 0


def start_listeners(app, settings: Settings, api_port: int) -> Listeners:  # noqa: ANN001
    """Bind and start the proxy (settings.proxy) and the TLS port (settings.tls) beside the API.

    `app` is the emulator's Flask app, served in this process. None means the app lives in another
    process (--server granian): decrypted requests then go to the API port over loopback.
    Raises OSError when a port cannot be bound."""
    listeners = Listeners(settings)
    if not (settings.proxy or settings.tls):
        return listeners
    ca = CertificateAuthority(settings.ca_dir)
    # Files for containers that share the CA directory: they need the bundle, not only the CA.
    trust = write_trust_files(ca.pem, ca.directory)
    target = app if app is not None else LoopbackApp(settings.host, api_port)
    started: list[Listener] = []
    try:
        if settings.proxy:
            port = default_port(settings.proxy_port, settings.port, 1)
            started.append(Listener("proxy", settings.host, port, ProxyHandler, target, ca))
        if settings.tls:
            port = default_port(settings.tls_port, settings.port, 2)
            context = ca.context("api.twilio.com")  # a client that sends no SNI gets api.twilio.com
            started.append(Listener("tls", settings.host, port, TLSHandler, target, ca, context))
    except OSError:
        for listener in started:
            listener.server_close()
        raise
    for listener in started:
        listener.start()
    proxy = next((x for x in started if x.name == "proxy"), None)
    tls = next((x for x in started if x.name == "tls"), None)
    resolved = settings.with_(
        proxy_port=proxy.port if proxy else settings.proxy_port,
        tls_port=tls.port if tls else settings.tls_port,
        ca_dir=str(ca.directory),
    )
    return Listeners(resolved, ca, trust, proxy, tls)


def proxy_info(settings: Settings, ca: CertificateAuthority, trust: TrustFiles) -> dict:
    return {
        "proxy": {"enabled": settings.proxy, "port": settings.proxy_port if settings.proxy else None},
        "tls": {"enabled": settings.tls, "port": settings.tls_port if settings.tls else None},
        "hosts": "twilio.com and every name under it",
        "ca": {
            "certificate": ca.pem,
            "sha256": ca.fingerprint,
            "subject": ca.subject,
            "directory": str(ca.directory),
            "certificate_file": str(trust.ca),
            "bundle_file": str(trust.bundle),
            "java_truststore_file": str(trust.truststore),
            "java_truststore_password": TRUSTSTORE_PASSWORD,
        },
    }


class LoopbackApp:
    """A WSGI app that passes each request to the API port over loopback, with its Host and its
    scheme (X-Forwarded-Proto): for --server granian, whose worker process holds the state."""

    def __init__(self, host: str, port: int) -> None:
        loopback = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
        self.address = (loopback.get(host, host), port)
        self._local = threading.local()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        target = urlsplit(environ.get("REQUEST_URI") or environ["PATH_INFO"])
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        headers = {
            key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").title()] = environ[key]
        headers["X-Forwarded-Proto"] = environ["wsgi.url_scheme"]
        body = environ["wsgi.input"].read()
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: retry once on a new one
            connection = self._connection(fresh=attempt == 2)
            try:
                connection.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                if attempt == 2:
                    raise
        start_response(
            f"{response.status} {response.reason}",
            [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP],
        )
        return [payload]

    def _connection(self, fresh: bool) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None or fresh:
            connection = self._local.connection = http.client.HTTPConnection(*self.address, timeout=60)
        return connection
