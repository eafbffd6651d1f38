"""Black-box fixtures: our own pytest plugin's (a real emulator on 127.0.0.1 and a free port, the
official twilio SDK), under the short names these tests use, plus raw-HTTP helpers. Nothing here
imports emulator internals beyond its public test helpers."""

from __future__ import annotations

import pytest
import requests

from emulator import Settings
from emulator.testing import WebhookReceiver


@pytest.fixture(scope="session", params=["memory", "sqlite"])
def twilio_emulator_settings(request, tmp_path_factory) -> Settings:
    """Every client test runs against both stores, so they cannot drift apart."""
    db = str(tmp_path_factory.mktemp("store") / "emulator.db") if request.param == "sqlite" else None
    return Settings(db=db)


@pytest.fixture
def emulator_server(twilio_emulator_server):
    return twilio_emulator_server


@pytest.fixture
def base_url(twilio_emulator_server) -> str:
    return twilio_emulator_server.url


@pytest.fixture
def control(twilio_emulator):
    """The control API, with all state reset before the test."""
    return twilio_emulator


@pytest.fixture
def account(twilio_account) -> tuple[str, str]:
    """A fresh (AccountSid, AuthToken), created on first use."""
    return twilio_account


@pytest.fixture
def client(twilio_client):
    """The official twilio.rest.Client, pointed at the emulator for every Twilio domain."""
    return twilio_client


@pytest.fixture
def http(account) -> requests.Session:
    """requests with the account's Basic auth, for raw-HTTP checks."""
    session = requests.Session()
    session.auth = account
    yield session
    session.close()


@pytest.fixture
def hooks():
    """A real webhook receiver on 127.0.0.1 and a free port, stopped after the test."""
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def messages_url(base_url, account) -> str:
    return f"{base_url}/2010-04-01/Accounts/{account[0]}/Messages.json"
