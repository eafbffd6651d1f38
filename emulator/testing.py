"""Helpers for tests of code that uses Twilio: start an emulator, point the official SDK at it, and
drive the control API. Works with or without pytest (the pytest plugin is a thin layer over this).

    from emulator.testing import EmulatorServer, twilio_client
    with EmulatorServer() as server:
        client = twilio_client(server.url, "AC" + "0" * 32, "token")
        client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
        server.control.inbound(from_="+15551230001", to="+15557650001", body="STOP")
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from .app import create_app
from .server import ThreadedServer
from .settings import Settings

try:
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client
except ImportError as exc:  # pragma: no cover - the "testing" extra installs it
    raise ImportError("emulator.testing needs the twilio SDK: pip install 'twilio-emulator[testing]'") from exc

TWILIO_HOST = re.compile(r"^[a-z0-9.-]*twilio\.com$")


class EmulatorHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, sending every *.twilio.com request (api, messaging, accounts, any
    region or edge) to the emulator instead."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base_url)
        self._scheme, self._netloc = parts.scheme, parts.netloc

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # noqa: ANN201
        parts = urlsplit(url)
        if parts.hostname and TWILIO_HOST.match(parts.hostname):
            url = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


def twilio_client(base_url: str, account_sid: str, auth_token: str, **kwargs: Any) -> Client:
    """An official twilio.rest.Client talking to the emulator at base_url."""
    return Client(account_sid, auth_token, http_client=EmulatorHttpClient(base_url), **kwargs)


class ControlClient:
    """The emulator's control API (/_emulator) over HTTP."""

    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base_url}/_emulator{path}", timeout=30, **kwargs)
        if response.status_code >= 400:
            raise EmulatorError(response.status_code, response.json().get("error", response.text))
        return response.json() if response.content else None

    def reset(self) -> None:
        self._call("POST", "/reset")

    def inbound(
        self, from_: str, to: str, body: str = "", channel: str = "sms", media_urls: list[str] | None = None
    ) -> dict:
        """Text the emulator as a handset would; returns the inbound message, opt_out_type, auto_replies."""
        payload = {"From": from_, "To": to, "Body": body, "Channel": channel, "MediaUrl": media_urls or []}
        return self._call("POST", "/inbound", json=payload)

    def opt_outs(self, account_sid: str | None = None, recipient: str | None = None) -> list[dict]:
        params = {k: v for k, v in (("AccountSid", account_sid), ("Recipient", recipient)) if v}
        return self._call("GET", "/opt-outs", params=params)["opt_outs"]

    def auto_replies(self, account_sid: str | None = None) -> list[dict]:
        params = {"AccountSid": account_sid} if account_sid else {}
        return self._call("GET", "/auto-replies", params=params)["auto_replies"]

    def settings(self, account_sid: str, **changes: Any) -> dict:
        return self._call("PUT", f"/accounts/{account_sid}/settings", json=changes)

    def advanced_opt_out(self, service_sid: str, **config: Any) -> dict:
        return self._call("PUT", f"/services/{service_sid}/advanced-opt-out", json=config)


class EmulatorError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class EmulatorServer:
    """An emulator on 127.0.0.1 and a free port, in this process. Use as a context manager."""

    def __init__(self, settings: Settings | None = None) -> None:
        settings = (settings or Settings()).with_(host="127.0.0.1", port=0)
        self._server = ThreadedServer(create_app(settings), settings.host, settings.port)
        self.url = self._server.url
        self.control = ControlClient(self.url)

    def start(self) -> EmulatorServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
