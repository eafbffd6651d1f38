"""create_app(settings): builds the emulator and its Flask app from arguments; nothing at import time.

Start order: the store (inside the Emulator), the Emulator, the webhook dispatcher and the other
subscribers, then `emulator.start()` (restore or seed), so nothing is emitted before its listeners
exist. `shutdown(app)` stops them in the reverse order, after the HTTP server has stopped.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.formparser import FormDataParser

from . import ui
from .api import control, twilio
from .api.context import EXTENSION, GATE, REQUESTS, WEBHOOKS
from .api.control import guard as control_guard
from .api.control import live, sandbox
from .api.errors import register_error_handlers
from .domain import events
from .domain.emulator import Emulator
from .domain.models import Direction, Message
from .errors import ServiceUnavailable
from .settings import ACCOUNT_SID, Settings
from .webhooks import Webhooks

# Bigger bodies than any valid Twilio request (1600 characters, 10 media URLs) are refused early.
MAX_CONTENT_LENGTH = 1024 * 1024
RECENT_REQUESTS = 200
# Parameters of a refused Twilio request worth keeping in the request log (what a send said).
LOGGED_PARAMS = ("To", "From", "MessagingServiceSid", "Body")


class StrictFormParser(FormDataParser):
    """Werkzeug silently drops a form that is not UTF-8 (or keeps bad escapes as text); Twilio-shaped
    input validation needs it refused: a 400 in the path's error shape."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):  # noqa: ANN001, ANN202
        try:
            items = parse_qsl(stream.read().decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise BadRequest("The request body is not valid UTF-8 form data") from None
        return stream, self.cls(items), self.cls()

    def _parse_multipart(self, stream, mimetype, content_length, options):  # noqa: ANN001, ANN202
        # Werkzeug decodes multipart fields with errors="replace"; a U+FFFD is what is left of a
        # byte that was not UTF-8 (a literal U+FFFD in a Twilio parameter is refused as well).
        result = super()._parse_multipart(stream, mimetype, content_length, options)
        if any("\ufffd" in value for value in result[1].values()):
            raise BadRequest("The request body is not valid UTF-8 form data")
        return result


class EmulatorRequest(Request):
    form_data_parser_class = StrictFormParser


class Gate:
    """WSGI middleware that counts requests in flight, so shutdown can wait for them before it
    closes the store; a request that arrives once shutdown began (on a kept-alive connection) is
    answered 503 and changes nothing."""

    # In the path's error shape (api.errors), written out: nothing of the app may run any more.
    CLOSED = json.dumps(ServiceUnavailable("The emulator is shutting down").to_dict()).encode()
    CLOSED_CONTROL = b'{"error": "the emulator is shutting down"}'

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Condition()
        self._in_flight = 0
        self._closed = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            if self._closed:
                headers = [("Content-Type", "application/json"), ("Connection", "close")]
                start_response("503 Service Unavailable", headers)
                control = environ.get("PATH_INFO", "").startswith("/_emulator")
                return [self.CLOSED_CONTROL if control else self.CLOSED]
            self._in_flight += 1
        try:
            return _Answer(self._app(environ, start_response), self._done)
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()

    def close(self, timeout: float = 10.0) -> bool:
        """Admit no more requests; wait (up to `timeout`) for those in flight to finish."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._closed = True
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
        return True


class _Answer:
    """A response body that tells the Gate when the request is over: once the body is sent in full
    or closed, whichever comes first (a server closes every body; a test client may only read it)."""

    __slots__ = ("_body", "_chunks", "_done")

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self._body = body
        self._chunks = iter(body)
        self._done: Callable[[], None] | None = done

    def __iter__(self) -> _Answer:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            self._finish()
            raise

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()

    def _finish(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            done()


class RequestLog:
    """The last Twilio-path requests (since the last reset), each with the account it was for, so
    a failing test can show what we saw; an error answer carries the emulator's reason (why, beyond
    Twilio's body). A message create that Twilio accepts (201) may still fail later (a blocked
    sender, an opt-out found at sender assignment): its entry then shows the message's failure too
    (`message_status`, `message_error_code`, `reason`). A reset of one account forgets only that
    account's requests: other tests may share this emulator."""

    def __init__(self, size: int = RECENT_REQUESTS) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=size)
        # Failures of created messages, by SID (they may happen before their request is logged).
        self._failures: dict[str, dict] = {}

    def append(self, entry: dict) -> None:
        with self._lock:
            self._entries.append(entry)

    def failed(self, message: Message, reason: str | None = None) -> None:
        if message.error_code is None or message.direction is Direction.INBOUND:
            return
        with self._lock:
            self._failures[message.sid] = {"account_sid": message.account_sid,
                                           "message_status": message.status.value,
                                           "message_error_code": message.error_code,
                                           "reason": reason or message.error_message}
            while len(self._failures) > self._entries.maxlen:  # type: ignore[operator]
                del self._failures[next(iter(self._failures))]

    def entries(self, account_sid: str | None = None) -> list[dict]:
        with self._lock:
            return [
                {**entry, **self._failures.get(entry.get("message_sid") or "", {})}
                for entry in self._entries
                if account_sid in (None, entry["account_sid"])
            ]

    def forget(self, account_sid: str | None = None) -> None:
        with self._lock:
            def kept(item: dict) -> bool:
                return account_sid is not None and item["account_sid"] != account_sid

            entries = [e for e in self._entries if kept(e)]
            self._entries.clear()
            self._entries.extend(entries)
            self._failures = {sid: f for sid, f in self._failures.items() if kept(f)}


def _account_of_request() -> str | None:
    """The account a Twilio-path request was for: the one it authenticated as, else the AccountSid
    of its path or of its credentials (a refused request still belongs to the test that sent it)."""
    if "account" in g:
        return g.account.sid
    credentials = request.authorization
    for candidate in ((request.view_args or {}).get("AccountSid"), credentials and credentials.username):
        if isinstance(candidate, str) and ACCOUNT_SID.match(candidate):
            return candidate
    return None


def request_log(app: Flask, emulator: Emulator) -> None:
    log = app.extensions[REQUESTS] = RequestLog()
    emulator.events.subscribe(events.RESET, log.forget)
    emulator.events.subscribe(events.STATUS_CHANGED, log.failed)

    @app.after_request
    def remember(response: Response) -> Response:
        path = request.path
        if not path.startswith("/_emulator"):
            entry = {"method": request.method, "path": path, "status": response.status_code,
                     "account_sid": _account_of_request(), "error_code": None, "error_message": None, "reason": None}
            created = g.get("created_message_sid")
            if created is not None:
                entry["message_sid"] = created
            elif response.status_code >= 400 and response.is_json:
                body = response.get_json(silent=True) or {}
                entry["error_code"], entry["error_message"] = body.get("code"), body.get("message")
                entry["reason"] = g.get("error_reason") or body.get("message")
                if request.method == "POST":
                    try:
                        entry["params"] = {k: v for k, v in request.form.items() if k in LOGGED_PARAMS}
                    except HTTPException:  # the form itself was what was refused
                        pass
            log.append(entry)
        return response


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask("emulator")
    app.request_class = EmulatorRequest
    app.config.update(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False
    logging.getLogger("emulator").setLevel(settings.log_level.upper())
    emulator = Emulator(settings)
    app.extensions[EXTENSION] = emulator
    app.extensions[WEBHOOKS] = Webhooks(
        emulator,
        timeout=settings.webhook_timeout,
        workers=settings.webhook_workers,
        queue_size=settings.webhook_queue_size,
        keep=settings.webhook_log_cap,
    )
    events.log_events(emulator.events)
    register_error_handlers(app)
    control_guard.register(app, settings)
    request_log(app, emulator)
    twilio.register(app)
    control.register(app)
    sandbox.register(app)
    live.register(app, emulator.events)
    ui.register(app)
    app.wsgi_app = app.extensions[GATE] = Gate(app.wsgi_app)  # type: ignore[method-assign]
    emulator.start()
    return app


def shutdown(app: Flask) -> None:
    """Stop what create_app started, in reverse order: event streams end (they would never finish),
    requests in flight finish (and no new ones are admitted), then the webhook workers, the
    emulator's ticker, and last the store."""
    app.extensions[live.LIVE].close()
    app.extensions[GATE].close()
    app.extensions[WEBHOOKS].close()
    app.extensions[EXTENSION].close()
