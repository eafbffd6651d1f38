"""A slow or dead webhook target neither blocks shutdown nor the API (README "Delivery": webhooks
never slow the API call that caused them; the workers are stopped without waiting for slow targets).

The slow target holds each request for SLOW seconds (or until the test releases it at teardown) and
records when a handler finishes, so every check is behavioural: "stop() returned while the target
was still answering", never "stop() took less than N seconds". Both stores."""

from __future__ import annotations

import secrets
import socket
import threading

import pytest
import requests

from emulator import Settings
from emulator.testing import EmulatorServer, WebhookReceiver

SLOW = 5.0  # seconds the slow target takes to answer
NUMBER = "+15557650001"
HANDSET = "+15551230001"


class SlowReceiver(WebhookReceiver):
    """A WebhookReceiver whose /slow path answers after SLOW seconds. `started` is set when a slow
    request arrives, `finished` when a slow handler is done; `release` lets held requests go at once
    (teardown only, after the assertions)."""

    def __init__(self, delay: float = SLOW) -> None:
        self.delay = delay
        self.started = threading.Event()
        self.finished = threading.Event()
        self.release = threading.Event()
        super().__init__()
        # Check for shutdown every 20 ms instead of 0.5 s.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def _wsgi(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith("/slow"):
            return WebhookReceiver._wsgi(self, environ, start_response)
        self.started.set()
        self.release.wait(self.delay)
        try:
            return WebhookReceiver._wsgi(self, environ, start_response)
        finally:
            self.finished.set()


def dead_url() -> str:
    """A URL on a port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/callback"


@pytest.fixture(params=["memory", "sqlite"])
def settings(request, tmp_path) -> Settings:
    return Settings(db=str(tmp_path / "emulator.db") if request.param == "sqlite" else None)


@pytest.fixture
def slow_target():
    with SlowReceiver() as receiver:
        try:
            yield receiver
        finally:
            receiver.release.set()  # let held handlers go before the receiver stops


def _session(account_sid: str) -> requests.Session:
    session = requests.Session()
    session.auth = (account_sid, secrets.token_hex(16))
    return session


def _send(session: requests.Session, server: EmulatorServer, callback: str, n: int = 0) -> requests.Response:
    url = f"{server.url}/2010-04-01/Accounts/{session.auth[0]}/Messages.json"
    return session.post(url, data={"To": HANDSET, "From": NUMBER, "Body": f"m{n}", "StatusCallback": callback},
                        timeout=30)


def test_stop_returns_while_a_webhook_target_is_still_answering(settings, slow_target):
    account = "AC" + secrets.token_hex(16)
    with EmulatorServer(settings) as server, _session(account) as session:
        assert _send(session, server, dead_url()).status_code == 201
        assert _send(session, server, slow_target.url("/slow")).status_code == 201
        # Bounded wait until a worker is stuck on the slow target.
        assert slow_target.started.wait(30), "the status callback never reached the slow target"
        server.stop()
        assert not slow_target.finished.is_set(), "stop() waited for the slow webhook target"
        # And the emulator really is down.
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}/_emulator/health", timeout=5)
        # The callbacks still queued were dropped at stop; the one on the wire is let go.
        slow_target.release.set()
        assert slow_target.finished.wait(30)
        assert len(slow_target.received("/slow")) == 1


def test_the_api_answers_while_webhooks_to_dead_and_slow_targets_are_pending(settings, slow_target):
    account = "AC" + secrets.token_hex(16)
    dead = dead_url()
    with EmulatorServer(settings) as server, _session(account) as session:
        refused = _send(session, server, dead)
        assert refused.status_code == 201
        assert _send(session, server, slow_target.url("/slow"), 1).status_code == 201
        assert slow_target.started.wait(30), "the status callback never reached the slow target"

        # Webhook workers are held by the slow target: the API must not be.
        statuses = [_send(session, server, slow_target.url("/slow"), n).status_code for n in range(2, 22)]
        statuses.append(_send(session, server, dead, 22).status_code)
        listed = session.get(f"{server.url}/2010-04-01/Accounts/{account}/Messages.json", timeout=30)
        statuses.append(listed.status_code)
        statuses.append(server.control.inbound(from_=HANDSET, to=NUMBER, body="hello")["message"]["status"])
        finished_meanwhile = slow_target.finished.is_set()
        assert statuses == [201] * 21 + [200, "received"]
        assert not finished_meanwhile, "the API calls waited for a slow webhook"

        # The refused connection was recorded as Twilio's 11200 (bounded poll: delivery is async).
        sid = refused.json()["sid"]
        _wait_until(lambda: len(server.control.webhooks(message_sid=sid)) == 3)
        attempts = server.control.webhooks(message_sid=sid)
        assert [a["params"]["MessageStatus"] for a in attempts] == ["sending", "sent", "delivered"]
        assert {a["error_code"] for a in attempts} == {11200}
        assert all(a["status_code"] is None for a in attempts)
        # Teardown: let every held webhook go and be delivered before the servers stop.
        slow_target.release.set()
        server.control.wait_for_webhooks(timeout=60)


def _wait_until(condition, attempts: int = 600) -> None:
    """Bounded polling for something asynchronous to happen (a wait, never an assertion on time)."""
    for _ in range(attempts):
        if condition():
            return
        threading.Event().wait(0.05)
