"""Inputs a review found answered with a 500 (or accepted and then lost): each is now a clear
refusal in the path's error shape, and nothing of it stays."""

from __future__ import annotations

import json

import pytest

from emulator import Settings
from emulator.app import create_app, shutdown
from emulator.domain.emulator import Emulator

AC = "AC" + "7" * 32
TOKEN = "token"
AUTH = {"Authorization": "Basic " + __import__("base64").b64encode(f"{AC}:{TOKEN}".encode()).decode()}


@pytest.fixture
def client():
    app = create_app(Settings())
    yield app.test_client()
    shutdown(app)


def consent(**item: object) -> str:
    return json.dumps({"contact_id": "+15551230001", "correlation_id": "c" * 32, "sender_id": "+15557650001",
                       "status": "opt-out", "source": "website", **item})


@pytest.mark.parametrize("field", ["status", "source"])
def test_a_consent_item_with_a_list_for_a_choice_is_a_per_item_failure(client, field):
    response = client.post("/v1/Consents/Bulk", headers=AUTH, data={"Items": [consent(**{field: []})]})
    assert response.status_code == 201
    assert response.get_json()["items"][0]["error_code"] == 30646


def test_a_contact_with_a_list_for_its_country_is_a_per_item_failure(client):
    item = json.dumps({"contact_id": "+15551230001", "correlation_id": "c" * 32, "country_iso_code": ["US"],
                       "zip_code": "12345"})
    response = client.post("/v1/Contacts/Bulk", headers=AUTH, data={"Items": [item]})
    assert response.status_code == 201
    assert response.get_json()["items"][0]["error_code"] == 30647


def test_a_fixture_alpha_sender_that_is_not_a_string_is_refused(client):
    document = {"accounts": [{"sid": AC, "messaging_services": [{"friendly_name": "s", "alpha_senders": [123]}]}]}
    response = client.post("/_emulator/fixtures", json=document)
    assert response.status_code == 400 and "alpha_senders[0]" in response.get_json()["error"]


@pytest.mark.parametrize("depth", [40, 100_000])
def test_an_absurdly_nested_key_policy_is_20001(client, depth):
    client.get(f"/2010-04-01/Accounts/{AC}/Messages.json", headers=AUTH)  # the account exists
    policy = "[" * depth + "]" * depth
    response = client.post("/v1/Keys", headers=AUTH,
                           data={"AccountSid": AC, "KeyType": "restricted", "Policy": f'{{"a": {policy}}}'})
    assert response.status_code == 400 and response.get_json()["code"] == 20001


def test_two_senders_cannot_share_a_fixed_sid(client):
    sid = "PN" + "1" * 32
    document = {"accounts": [
        {"sid": AC, "numbers": [{"phone_number": "+15557770001", "sid": sid}]},
        {"sid": "AC" + "8" * 32, "numbers": [{"phone_number": "+15557770002", "sid": sid}]},
    ]}
    response = client.post("/_emulator/fixtures", json=document)
    assert response.status_code == 400 and "is taken" in response.get_json()["error"]
    assert client.get("/_emulator/senders").get_json()["senders"] == []  # nothing of it stays


def test_the_retention_queue_stays_bounded_when_entries_go_from_behind_a_kept_one():
    """The plugin's pattern on a shared emulator: one long-lived message, then many short-lived
    accounts. Their queue entries are swept, not kept behind the long-lived one for ever."""
    emu = Emulator(Settings(max_messages=10)).start()
    from emulator.domain.messages import CreateMessage

    kept = emu.accounts.declare(AC, TOKEN)
    emu.messages.create(kept, CreateMessage(to="+15551230001", from_="+15557650001", body="kept"))
    other = "AC" + "9" * 32
    for _ in range(300):
        account = emu.accounts.declare(other, TOKEN)
        for n in range(3):
            emu.messages.create(account, CreateMessage(to=f"+155512300{n:02d}", from_="+15557650002", body="x"))
        emu.reset(other)
    queue = emu.state.kept_messages._queue
    assert emu.state.kept_messages.count == 1 and len(queue) <= 2 * 1 + 64 + 3
    emu.close()
