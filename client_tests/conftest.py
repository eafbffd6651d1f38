"""Black-box fixtures: a real emulator on 127.0.0.1 and a free port, driven through the official
twilio SDK and requests. Nothing here imports emulator internals beyond its public test helpers."""

from __future__ import annotations

import secrets

import pytest
import requests

from emulator import Settings
from emulator.testing import ControlClient, EmulatorServer, twilio_client


@pytest.fixture(scope="session", params=["memory", "sqlite"])
def emulator_server(request, tmp_path_factory):
    """Every client test runs against both stores, so they cannot drift apart."""
    db = str(tmp_path_factory.mktemp("store") / "emulator.db") if request.param == "sqlite" else None
    server = EmulatorServer(Settings(db=db)).start()
    yield server
    server.stop()


@pytest.fixture
def base_url(emulator_server) -> str:
    return emulator_server.url


@pytest.fixture
def control(emulator_server) -> ControlClient:
    """The control API, with all state reset before the test."""
    emulator_server.control.reset()
    return emulator_server.control


@pytest.fixture
def account(control) -> tuple[str, str]:
    """A fresh (AccountSid, AuthToken), created on first use."""
    return "AC" + secrets.token_hex(16), secrets.token_hex(16)


@pytest.fixture
def client(base_url, account):
    """The official twilio.rest.Client, pointed at the emulator for every Twilio domain."""
    return twilio_client(base_url, *account)


@pytest.fixture
def http(account) -> requests.Session:
    """requests with the account's Basic auth, for raw-HTTP checks."""
    session = requests.Session()
    session.auth = account
    yield session
    session.close()


@pytest.fixture
def messages_url(base_url, account) -> str:
    return f"{base_url}/2010-04-01/Accounts/{account[0]}/Messages.json"
