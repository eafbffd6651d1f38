"""The control API's input, as a developer with curl sends it: a + left unencoded (it arrives as a
space) is refused with the hint to encode it, and a JSON body not declared JSON is refused with
what to send instead. The server log tells the story at INFO: which keyword, which opt-out recorded or lifted."""

from __future__ import annotations

import json
import logging

import pytest
import requests

from emulator.testing import EmulatorServer, WebhookReceiver

AC = "AC" + "6" * 32
HANDSET, NUMBER = "+15551230001", "+15557650001"


@pytest.fixture
def server():
    """An emulator of the test's own, the account's number in use (owned from its first send)."""
    with EmulatorServer() as running:
        send(running.url, HANDSET, "hello").raise_for_status()
        yield running


def send(url: str, to: str, body: str, **extra: str) -> requests.Response:
    return requests.post(f"{url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "token"), timeout=5,
                         data={"To": to, "From": NUMBER, "Body": body, **extra})


def test_an_unencoded_plus_in_a_query_is_refused_with_the_hint(server):
    response = requests.get(f"{server.url}/_emulator/opt-outs?Recipient=+15551230001", timeout=5)
    assert response.status_code == 400
    assert "starts with a space: a + in a URL must be encoded as %2B" in response.json()["error"]
    encoded = requests.get(f"{server.url}/_emulator/opt-outs?Recipient=%2B15551230001", timeout=5)
    assert encoded.status_code == 200 and encoded.json() == {"opt_outs": []}


def test_a_plus_that_became_a_space_in_inbound_is_refused_with_the_hint(server):
    # What a + left unencoded in a URL or form field upstream turns into by the time it is JSON.
    response = requests.post(f"{server.url}/_emulator/inbound", json={"From": " 15551230001", "To": NUMBER,
                                                                       "Body": "STOP"}, timeout=5)
    assert response.status_code == 400
    assert "encode it as %2B" in response.json()["error"] and "' 15551230001'" in response.json()["error"]
    assert server.control.opt_outs() == []  # refused: nothing changed


def test_a_json_body_not_declared_json_is_refused_with_what_to_send(server):
    """`curl -d '{...}'` (a form type) and a body without a Content-Type are what a web page can
    send without asking: refused as such (403), saying what to send instead; nothing changes."""
    url = f"{server.url}/_emulator/accounts/{AC}/settings"
    body = json.dumps({"progression": "manual"})
    for headers in ({"Content-Type": "application/x-www-form-urlencoded"}, {}):
        response = requests.put(url, data=body, headers=headers, timeout=5)
        assert response.status_code == 403
        assert "Content-Type: application/json" in response.json()["error"]
    assert server.control.settings(AC)["progression"] == "immediate"
    assert requests.put(url, json={"progression": "manual"}, timeout=5).json()["progression"] == "manual"


def test_the_log_says_which_keyword_and_which_opt_out_at_info(server, caplog):
    with caplog.at_level(logging.INFO, logger="emulator"), WebhookReceiver() as hooks:
        server.control.inbound(from_=HANDSET, to=NUMBER, body="stop")
        refused = send(server.url, HANDSET, "again")
        server.control.inbound(from_=HANDSET, to=NUMBER, body="START")
        send(server.url, "+15551230002", "hi", StatusCallback=hooks.url("/s"))
        server.control.wait_for_webhooks()
    assert refused.status_code == 400
    text = caplog.text
    assert f"STOP keyword 'stop' from {HANDSET} to {NUMBER}" in text
    assert f"opt-out recorded: {HANDSET} is opted out of {NUMBER}" in text
    assert f"refused: 21610 Attempt to send to unsubscribed recipient ({HANDSET} is opted out of {NUMBER}" in text
    assert f"START keyword 'START' from {HANDSET} to {NUMBER}" in text
    assert f"opt-out lifted: {HANDSET} may receive from {NUMBER} again" in text
    assert "status-callback webhook for SM" in text and "delivered: POST http://127.0.0.1:" in text


def test_a_multipart_body_is_refused_before_it_is_parsed(server):
    """Found by the fuzzer: a multipart part with no name reached the fixture loader as a None key
    (a 500). A form body never reaches a control endpoint now."""
    body = b"--x\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--x--\r\n"
    response = requests.post(f"{server.url}/_emulator/fixtures", data=body, timeout=5,
                             headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 403 and "send JSON" in response.json()["error"]
