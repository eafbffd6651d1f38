"""Run the app on a real socket in a background thread (tests, the pytest plugin) or in the foreground."""

from __future__ import annotations

import gc
import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.urls import uri_to_iri

from .app import shutdown


def tune_gc() -> None:
    """For a serving process: the emulator keeps many long-lived objects (messages, records, queued
    webhooks) and allocates a few per request, so the default collection thresholds make the cyclic
    GC rescan that heap far too often. Freeze what start-up built; collect the young less often."""
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)


class PlainLogRequestHandler(WSGIRequestHandler):
    """werkzeug's access log line without its ANSI colours: for a log that is not a terminal (a
    file, a CI log, `docker logs`)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        try:
            line = f"{self.command} {uri_to_iri(self.path)} {self.request_version}"
        except AttributeError:  # no path: the request line itself was bad
            line = self.requestline
        self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request: in-process servers run inside test suites."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class ThreadedServer:
    """A werkzeug server in a daemon thread. Port 0 picks a free port; `url` says which."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=QuietRequestHandler
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
