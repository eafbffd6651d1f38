"""Helpers for tests of code that uses Twilio: start an emulator, point the official SDK at it, and
drive the control API. Works with or without pytest (the pytest plugin is a thin layer over this).

    from emulator.testing import EmulatorServer, twilio_client
    with EmulatorServer() as server:
        client = twilio_client(server.url, "AC" + "0" * 32, "token")
        client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
        server.control.inbound(from_="+15551230001", to="+15557650001", body="STOP")

    with patch(server.url):   # or: every twilio.rest.Client built anywhere goes to the emulator
        Client(sid, token).messages.create(...)
"""

from __future__ import annotations

import functools
import os
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.auth import AuthBase
from werkzeug.wrappers import Request, Response

from .app import create_app
from .domain.paging import MAX_PAGE_SIZE
from .hosts import is_twilio_host
from .patching import RealTwilioRequestError, patch
from .server import EmulatorWSGIServer, QuietRequestHandler, ThreadedServer
from .settings import Settings

__all__ = [
    "ControlClient", "EmulatorError", "EmulatorServer", "RealTwilioRequestError", "WebhookReceiver", "patch",
    "twilio_client",
]

CONTROL_TOKEN_ENV = "TWILIO_EMULATOR_CONTROL_TOKEN"

POLL_SECONDS = 0.02  # how often a server thread checks for stop(): tests stop servers often


@functools.cache
def _http_client_class() -> type:
    # The twilio SDK is imported only when a client is wanted: the CLI and the scenario runner use
    # this module's servers without it.
    try:
        from twilio.http.http_client import TwilioHttpClient
    except ImportError as exc:  # pragma: no cover - the "testing" extra installs it
        raise ImportError("twilio_client needs the twilio SDK: pip install 'twilio-emulator[testing]'") from exc

    class EmulatorHttpClient(TwilioHttpClient):
        """The SDK's own HTTP client, sending every *.twilio.com request (api, messaging, accounts,
        any region or edge) to the emulator instead."""

        def __init__(self, base_url: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            parts = urlsplit(base_url)
            self._scheme, self._netloc = parts.scheme, parts.netloc

        def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # noqa: ANN202
            parts = urlsplit(url)
            if is_twilio_host(parts.hostname):
                url = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
            return super().request(method, url, *args, **kwargs)

    return EmulatorHttpClient


def __getattr__(name: str) -> Any:
    if name == "EmulatorHttpClient":
        return _http_client_class()
    raise AttributeError(name)


def twilio_client(base_url: str, account_sid: str, auth_token: str, **kwargs: Any) -> Any:
    """An official twilio.rest.Client talking to the emulator at base_url (any region or edge)."""
    from twilio.rest import Client

    return Client(account_sid, auth_token, http_client=_http_client_class()(base_url), **kwargs)


class BearerAuth(AuthBase):
    """Authorization: Bearer <token>, as a control API started with --control-token wants."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def control_token(token: str | None = None) -> str | None:
    """The control token to send: the one given, else $TWILIO_EMULATOR_CONTROL_TOKEN (the variable
    `serve` reads too), else none."""
    return token if token is not None else os.environ.get(CONTROL_TOKEN_ENV) or None


class ControlClient:
    """The emulator's control API (/_emulator) over HTTP. `token`: the emulator's --control-token
    (default: $TWILIO_EMULATOR_CONTROL_TOKEN, if set).

    Scoped to an account (`account_sid`, or `for_account(sid)`), reset() resets only that account
    and messages(), requests(), opt_outs(), auto_replies(), webhooks() and advance() see only its
    records: what a test needs on an emulator that others use too."""

    def __init__(
        self, base_url: str, session: requests.Session | None = None, account_sid: str | None = None,
        token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.account_sid = account_sid
        self.token = control_token(token)
        if self.token:
            self.session.auth = BearerAuth(self.token)

    def for_account(self, account_sid: str) -> ControlClient:
        """The same emulator, scoped to one account (a declared or fixture account, say)."""
        return ControlClient(self.base_url, self.session, account_sid, token=self.token or "")

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base_url}/_emulator{path}", timeout=30, **kwargs)
        if response.status_code >= 400:
            raise EmulatorError(response.status_code, response.json().get("error", response.text))
        return response.json() if response.content else None

    def reset(self, account_sid: str | None = None) -> None:
        """Back to the declared accounts and fixtures: everything, or only `account_sid`'s state."""
        account_sid = account_sid or self.account_sid
        self._call("POST", "/reset", json={"AccountSid": account_sid} if account_sid else None)

    def inbound(
        self, from_: str, to: str, body: str = "", channel: str = "sms", media_urls: list[str] | None = None
    ) -> dict:
        """Text the emulator as a handset would; returns the inbound message, opt_out_type, auto_replies."""
        payload = {"From": from_, "To": to, "Body": body, "Channel": channel, "MediaUrl": media_urls or []}
        return self._call("POST", "/inbound", json=payload)

    def load_fixtures(self, document: dict) -> None:
        """Load a fixture document (the --fixtures format) now; it lasts until the next reset."""
        self._call("POST", "/fixtures", json=document)

    def messages(self, account_sid: str | None = None, limit: int | None = None) -> list[dict]:
        """Every message (of one account, or all; at most `limit`), newest first, as Twilio's
        Message JSON. Follows the pages of GET /_emulator/messages."""
        account_sid = account_sid or self.account_sid
        found: list[dict] = []
        path: str | None = "/messages"
        params: dict[str, Any] = {"AccountSid": account_sid} if account_sid else {}
        params["PageSize"] = min(limit or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        while path is not None and (limit is None or len(found) < limit):
            page = self._call("GET", path, params=params)
            found.extend(page["messages"])
            path, params = page["next_page_uri"], {}
            path = path.removeprefix("/_emulator") if path else None
        return found[:limit]

    def requests(self, account_sid: str | None = None) -> list[dict]:
        """The Twilio-path requests since the last reset (of one account, or all): method, path,
        status, account_sid, and for an error its code, message and the emulator's reason."""
        account_sid = account_sid or self.account_sid
        params = {"AccountSid": account_sid} if account_sid else {}
        return self._call("GET", "/requests", params=params)["requests"]

    def errors(self, since: int = 0) -> list[dict]:
        """Errors raised inside the emulator (a handler, a webhook worker, a scheduled task, a
        commit), after the one with id `since`: id, where, error, traceback, time."""
        return self._call("GET", "/errors", params={"since": since})["errors"]

    def last_error_id(self) -> int:
        """The id of the newest error so far (0: none), to ask `errors(since=...)` later."""
        return self._call("GET", "/errors", params={"since": 2**53})["last_id"]

    def opt_outs(self, account_sid: str | None = None, recipient: str | None = None) -> list[dict]:
        account_sid = account_sid or self.account_sid
        params = {k: v for k, v in (("AccountSid", account_sid), ("Recipient", recipient)) if v}
        return self._call("GET", "/opt-outs", params=params)["opt_outs"]

    def contacts(self, account_sid: str | None = None) -> list[dict]:
        """Contacts stored by the Consent Management API (POST /v1/Contacts/Bulk)."""
        params = {"AccountSid": account_sid} if account_sid else {}
        return self._call("GET", "/contacts", params=params)["contacts"]

    def auto_replies(self, account_sid: str | None = None) -> list[dict]:
        account_sid = account_sid or self.account_sid
        params = {"AccountSid": account_sid} if account_sid else {}
        return self._call("GET", "/auto-replies", params=params)["auto_replies"]

    def settings(self, account_sid: str, **changes: Any) -> dict:
        return self._call("PUT", f"/accounts/{account_sid}/settings", json=changes)

    def advanced_opt_out(self, service_sid: str, **config: Any) -> dict:
        return self._call("PUT", f"/services/{service_sid}/advanced-opt-out", json=config)

    def senders(self, account_sid: str | None = None) -> list[dict]:
        """Every sender (of one account, or all): sid, address, type, registration, country."""
        params = {"AccountSid": account_sid} if account_sid else {}
        return self._call("GET", "/senders", params=params)["senders"]

    def sender(self, key: str, **changes: Any) -> dict:
        """Set a sender's `registration` (e.g. "unregistered") or a short code's `country`; `key` is
        its SID, number or short code."""
        return self._call("PUT", f"/senders/{key}", json=changes)

    def webhooks(self, account_sid: str | None = None, message_sid: str | None = None, kind: str | None = None) -> list:
        """Every webhook delivery attempt: url, method, params, headers, status_code, error_code, replies."""
        account_sid = account_sid or self.account_sid
        params = {k: v for k, v in (("AccountSid", account_sid), ("MessageSid", message_sid), ("Kind", kind)) if v}
        return self._call("GET", "/webhooks", params=params)["webhooks"]

    def wait_for_webhooks(self, timeout: float = 10.0) -> None:
        """Return once no webhook is pending (raises EmulatorError on timeout)."""
        self._call("POST", "/webhooks/wait", json={"Timeout": timeout})

    def advance(
        self, message_sid: str | None = None, account_sid: str | None = None, steps: int = 1, until_final: bool = False
    ) -> list[dict]:
        """Move outbound messages one status (or `steps`, or to the end) further: manual progression."""
        payload: dict[str, Any] = {"Steps": steps, "UntilFinal": until_final}
        if message_sid is None:
            account_sid = account_sid or self.account_sid
        payload.update({k: v for k, v in (("MessageSid", message_sid), ("AccountSid", account_sid)) if v})
        return self._call("POST", "/messages/advance", json=payload)["messages"]

    def advance_clock(self, seconds: float) -> str:
        """Move the emulator's clock forward; scheduled sends and timed progressions that fall due run."""
        return self._call("POST", "/clock/advance", json={"Seconds": seconds})["now"]

    def faults(self, *faults: dict) -> list[dict]:
        """Replace the injected delivery failures, e.g. {"to": "+1555…", "status": "undelivered",
        "error_code": 30003} or {"pattern": "^\\+1555", ...}; no argument clears them."""
        return self._call("PUT", "/faults", json={"faults": list(faults)})["faults"]


class WebhookReceiver:
    """A tiny HTTP server on 127.0.0.1 and a free port that records the webhooks it gets and answers
    each path as told (TwiML, status, delay). Use as a context manager.

        with WebhookReceiver() as hooks:
            hooks.respond("/sms", "<Response><Message>Thanks!</Message></Response>")
            ... point SmsUrl at hooks.url("/sms") ...
            hooks.requests  # [Recorded(method, path, url, form, headers), ...]
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._answers: dict[str, tuple[int, str, float, str]] = {}
        self._lock = threading.Lock()
        self._server = EmulatorWSGIServer("127.0.0.1", 0, self._wsgi, QuietRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self._server.port}{path}"

    def respond(
        self, path: str, body: str = "", status: int = 200, delay: float = 0.0, content_type: str = "text/xml"
    ) -> None:
        self._answers[path] = (status, body, delay, content_type)

    def received(self, path: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._answer(Request(environ))(environ, start_response)

    def _answer(self, request: Request) -> Response:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            url=request.url,
            form={k: v for k, v in (request.form if request.method == "POST" else request.args).items()},
            headers=dict(request.headers),
        )
        with self._lock:
            self.requests.append(recorded)
        status, body, delay, content_type = self._answers.get(request.path, (200, "", 0.0, "text/xml"))
        if delay:
            time.sleep(delay)
        return Response(body, status=status, content_type=content_type)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class RecordedRequest:
    method: str
    path: str
    url: str
    form: dict[str, str]
    headers: dict[str, str]


class EmulatorError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class EmulatorServer:
    """An emulator on 127.0.0.1 and a free port, in this process. Use as a context manager.
    With settings proxy=True or tls=True it serves those too (free ports: proxy_url, tls_url)."""

    def __init__(self, settings: Settings | None = None) -> None:
        settings = (settings or Settings()).with_(host="127.0.0.1", port=0)
        self._server = ThreadedServer(create_app(settings), settings.host, settings.port)
        self.url = self._server.url
        self.control = ControlClient(self.url, token=settings.control_token or "")
        self._listeners = None
        self.proxy_url = self.tls_url = None
        if settings.proxy or settings.tls:
            from .proxy import start_listeners

            self._listeners = start_listeners(self._server.app, settings, self._server.port)
            if self._listeners.proxy:
                self.proxy_url = f"http://127.0.0.1:{self._listeners.proxy.port}"
            if self._listeners.tls:
                self.tls_url = f"https://127.0.0.1:{self._listeners.tls.port}"

    @property
    def ca_file(self) -> str | None:
        """The CA certificate clients of the proxy or TLS port must trust."""
        ca = self._listeners.ca if self._listeners else None
        return str(ca.cert_path) if ca else None

    def start(self) -> EmulatorServer:
        self._server.start()
        return self

    def stop(self) -> None:
        if self._listeners:
            self._listeners.stop()
        self._server.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
