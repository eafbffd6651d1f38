"""emulator.testing.patch(): a twilio.rest.Client built anywhere in the process, sync or async,
talks to the emulator; anything else bound for a real Twilio host fails loudly, naming its caller."""

from __future__ import annotations

import asyncio
import socket
import urllib.request

import aiohttp
import pytest
import requests
from twilio.base.client_base import ClientBase
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from emulator.testing import RealTwilioRequestError, patch

AC = "AC" + "8" * 32
TOKEN = "patched"
HANDSET, NUMBER = "+15551230001", "+15557650001"


# -- "application code": it builds its own clients, deep inside, and knows nothing of the emulator --
class Notifications:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self._credentials = (account_sid, auth_token)

    def _client(self) -> Client:
        return Client(*self._credentials)

    def send(self, to: str, text: str) -> str:
        return self._client().messages.create(to=to, from_=NUMBER, body=text).sid

    def history(self, to: str) -> list[str]:
        return [m.body for m in self._client().messages.list(to=to, page_size=1)]

    async def send_async(self, to: str, text: str) -> str:
        async with AsyncTwilioHttpClient() as http:
            client = Client(*self._credentials, http_client=http)
            message = await client.messages.create_async(to=to, from_=NUMBER, body=text)
            listed = await client.messages.list_async(to=to, page_size=1)
        return f"{message.sid} {len(listed)}"


def start_order_flow(to: str) -> str:
    return Notifications(AC, TOKEN).send(to, "Your order shipped")
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def emulator(twilio_emulator_server, twilio_emulator):
    return twilio_emulator_server


def test_a_client_built_deep_inside_the_app_goes_to_the_emulator(emulator):
    with patch(emulator.url):
        sid = start_order_flow(HANDSET)
        emulator.control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
        with pytest.raises(TwilioRestException) as refused:
            start_order_flow(HANDSET)
        Notifications(AC, TOKEN).send("+15551230002", "two")
        Notifications(AC, TOKEN).send("+15551230002", "three")
        assert Notifications(AC, TOKEN).history("+15551230002") == ["three", "two"]  # paged one by one
    assert refused.value.code == 21610
    assert sid in [m["sid"] for m in emulator.control.messages(AC)]


# The SDK's async client still passes aiohttp.BasicAuth as auth=, deprecated since aiohttp 3.14.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning")
def test_async_clients_go_to_the_emulator_too(emulator):
    @patch(emulator.url)
    async def flow() -> str:
        return await Notifications(AC, TOKEN).send_async(HANDSET, "async hello")

    sid, listed = asyncio.run(flow()).split()
    assert listed == "1" and [m["sid"] for m in emulator.control.messages(AC)] == [sid]


def test_region_and_edge_settings_still_reach_the_emulator(emulator, monkeypatch):
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    with patch(emulator.url):
        assert Client(AC, TOKEN).messages.create(to=HANDSET, from_=NUMBER, body="au").status == "queued"


def test_as_a_decorator(emulator):
    @patch(emulator.url)
    def flow() -> str:
        return start_order_flow(HANDSET)

    assert flow().startswith("SM")


def test_requests_that_bypass_a_client_fail_naming_their_call_site(emulator):
    with patch(emulator.url):
        line = _line() + 2  # the line of requests.get below
        with pytest.raises(RealTwilioRequestError) as by_requests:
            requests.get(f"https://api.twilio.com/2010-04-01/Accounts/{AC}.json", timeout=5)
        with pytest.raises(RealTwilioRequestError) as by_sdk_http_client:
            TwilioHttpClient().request("GET", "https://messaging.twilio.com/v1/Services")
        with pytest.raises(RealTwilioRequestError) as by_urllib:
            urllib.request.urlopen("https://api.dublin.ie1.twilio.com/", timeout=5)

        async def aiohttp_call() -> None:
            async with aiohttp.ClientSession() as session:
                await session.get("https://api.twilio.com/2010-04-01/Accounts.json")

        with pytest.raises(RealTwilioRequestError) as by_aiohttp:
            asyncio.run(aiohttp_call())
    message = str(by_requests.value)
    assert message.startswith(f"blocked a request to the real Twilio (api.twilio.com) from {__file__}:{line} in "
                              "test_requests_that_bypass_a_client_fail_naming_their_call_site")
    assert f"twilio.rest.Client requests go to the emulator at {emulator.url}" in message
    assert by_sdk_http_client.value.host == "messaging.twilio.com"
    assert by_sdk_http_client.value.call_site.startswith(f"{__file__}:")
    assert by_urllib.value.host == "api.dublin.ie1.twilio.com"
    assert by_aiohttp.value.call_site.startswith(f"{__file__}:") and "aiohttp_call" in by_aiohttp.value.call_site
    # Other hosts are not the guard's business.
    with patch(emulator.url):
        assert requests.get(f"{emulator.url}/_emulator/health", timeout=5).json() == {"status": "ok"}


def test_the_guard_holds_behind_an_https_proxy(emulator, monkeypatch):
    """Through HTTPS_PROXY only the proxy's name is looked up: the CONNECT to Twilio is what shows."""
    with socket.socket() as probe:  # a proxy address nothing listens on: nothing may get that far
        probe.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    with patch(emulator.url), pytest.raises(RealTwilioRequestError) as blocked:
        requests.post(f"https://api.twilio.com/2010-04-01/Accounts/{AC}/Messages.json", timeout=5)
    assert blocked.value.host == "api.twilio.com" and blocked.value.call_site.startswith(f"{__file__}:")


def _line() -> int:
    import inspect

    return inspect.currentframe().f_back.f_lineno


def test_patches_nest_and_are_undone(emulator, twilio_emulator_settings):
    from emulator.testing import EmulatorServer

    originals = (socket.getaddrinfo, ClientBase.get_hostname, asyncio.BaseEventLoop.getaddrinfo,
                 aiohttp.ClientSession._request)
    with EmulatorServer(twilio_emulator_settings) as other:
        with patch(emulator.url):
            with patch(other.url):
                start_order_flow(HANDSET)
            start_order_flow(HANDSET)
        assert len(other.control.messages(AC)) == 1
        assert len(emulator.control.messages(AC)) == 1
    assert (socket.getaddrinfo, ClientBase.get_hostname, asyncio.BaseEventLoop.getaddrinfo,
            aiohttp.ClientSession._request) == originals


def test_a_bad_url_is_refused_at_once():
    with pytest.raises(ValueError, match="the emulator's URL"):
        patch("127.0.0.1:4010")
