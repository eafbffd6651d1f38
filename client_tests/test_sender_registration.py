"""Sender registration (issue 11): a US long code not registered to an A2P 10DLC campaign, or a
toll-free number not verified, is accepted (201) and the message then ends `undelivered` with
30034/30035/30033 or 30032, in the message, its status callback and the request log. Sources:
Twilio's error pages 30032-30035; "Shutdown of Unregistered 10DLC Messaging FAQ" (US-bound only);
a live status callback with ErrorCode=30034 and MessageStatus=undelivered."""

from __future__ import annotations

import pytest

from emulator.testing import EmulatorError

LONG_CODE = "+15557650001"
TOLL_FREE = "+18005550100"
HANDSET = "+15551230001"
CANADA = "+14165550100"
UK = "+447700900123"
SERVICE = "MG" + "4" * 32


@pytest.fixture
def senders(control, account):
    control.load_fixtures({"accounts": [{
        "sid": account[0],
        "numbers": [{"phone_number": LONG_CODE}, {"phone_number": TOLL_FREE}],
        "short_codes": [{"short_code": "55555"}],
    }]})
    return control


def outcome(client, sid):
    fetched = client.messages(sid).fetch()
    return fetched.status, fetched.error_code, fetched.error_message


def test_senders_are_registered_and_verified_by_default(client, senders, account):
    listed = {s["address"]: s for s in senders.senders(account[0])}
    assert {a: (s["type"], s["registration"], s["country"]) for a, s in listed.items()} == {
        LONG_CODE: ("long_code", "registered", None),
        TOLL_FREE: ("toll_free", "verified", None),
        "55555": ("short_code", None, "US"),
    }
    for from_ in (LONG_CODE, TOLL_FREE, "55555"):
        created = client.messages.create(to=HANDSET, from_=from_, body="Hi")
        assert outcome(client, created.sid) == ("delivered", None, None)


@pytest.mark.parametrize(("state", "code", "title"), [
    ("unregistered", 30034, "US A2P 10DLC - Message from an Unregistered Number"),
    ("pending", 30035, "US A2P 10DLC - Message from a number still being configured"),
    ("suspended", 30033, "US A2P 10DLC - Campaign Suspended"),
])
def test_an_unregistered_10dlc_number_fails_after_201(client, senders, hooks, state, code, title):
    assert senders.sender(LONG_CODE, registration=state)["registration"] == state
    created = client.messages.create(to=HANDSET, from_=LONG_CODE, body="Hi", status_callback=hooks.url("/s"))
    assert created.status == "queued"
    assert outcome(client, created.sid) == ("undelivered", code, title)
    senders.wait_for_webhooks()
    callbacks = [r.form for r in hooks.received("/s")]
    assert [c["MessageStatus"] for c in callbacks] == ["sending", "sent", "undelivered"]
    assert callbacks[-1]["ErrorCode"] == str(code)
    assert all("ErrorCode" not in c for c in callbacks[:-1])


def test_the_request_log_shows_why_the_accepted_message_failed(client, senders):
    senders.sender(LONG_CODE, registration="unregistered")
    created = client.messages.create(to=HANDSET, from_=LONG_CODE, body="Hi")
    [entry] = [r for r in senders.requests() if r["method"] == "POST"]
    assert (entry["status"], entry["message_sid"], entry["error_code"]) == (201, created.sid, None)
    assert (entry["message_status"], entry["message_error_code"]) == ("undelivered", 30034)
    assert "A2P 10DLC registration of sender +15557650001 is 'unregistered'" in entry["reason"]


def test_10dlc_blocks_only_us_bound_traffic(client, senders):
    senders.sender(LONG_CODE, registration="unregistered")
    for to in (CANADA, UK):
        created = client.messages.create(to=to, from_=LONG_CODE, body="Hi")
        assert outcome(client, created.sid) == ("delivered", None, None)
    # Puerto Rico is US-bound traffic.
    created = client.messages.create(to="+17875550100", from_=LONG_CODE, body="Hi")
    assert outcome(client, created.sid)[:2] == ("undelivered", 30034)


@pytest.mark.parametrize("state", ["unverified", "pending", "rejected"])
def test_an_unverified_toll_free_number_fails_with_30032_to_the_us_and_canada(client, senders, state):
    senders.sender(TOLL_FREE, registration=state)
    for to in (HANDSET, CANADA):
        created = client.messages.create(to=to, from_=TOLL_FREE, body="Hi")
        assert outcome(client, created.sid) == ("undelivered", 30032, "Toll-Free Number Has Not Been Verified")
    created = client.messages.create(to=UK, from_=TOLL_FREE, body="Hi")
    assert outcome(client, created.sid) == ("delivered", None, None)


def test_a_service_send_from_an_unregistered_pool_number_fails(client, control, account, hooks):
    control.load_fixtures({"accounts": [{
        "sid": account[0],
        "numbers": [{"phone_number": LONG_CODE, "registration": "unregistered"}],
        "messaging_services": [{"sid": SERVICE, "phone_numbers": [LONG_CODE], "status_callback": hooks.url("/svc")}],
    }]})
    created = client.messages.create(to=HANDSET, messaging_service_sid=SERVICE, body="Hi")
    assert created.status == "accepted"
    assert outcome(client, created.sid)[:2] == ("undelivered", 30034)
    control.wait_for_webhooks()
    last = hooks.received("/svc")[-1].form
    assert (last["MessageStatus"], last["ErrorCode"], last["From"]) == ("undelivered", "30034", LONG_CODE)


def test_registering_again_lets_messages_through(client, senders):
    senders.sender(LONG_CODE, registration="unregistered")
    senders.sender(LONG_CODE, registration="registered")
    created = client.messages.create(to=HANDSET, from_=LONG_CODE, body="Hi")
    assert outcome(client, created.sid) == ("delivered", None, None)


def test_refused_registration_settings(senders, account):
    sc_sid = next(s["sid"] for s in senders.senders(account[0]) if s["type"] == "short_code")
    for key, changes, status in (
        ("55555", {"registration": "unregistered"}, 400),
        (LONG_CODE, {"registration": "verified"}, 400),
        (TOLL_FREE, {"registration": "registered"}, 400),
        (LONG_CODE, {"country": "CA"}, 400),
        (sc_sid, {"country": "XX"}, 400),
        (LONG_CODE, {"colour": "red"}, 400),
        ("+15550000000", {"registration": "unregistered"}, 404),
    ):
        with pytest.raises(EmulatorError) as refused:
            senders.sender(key, **changes)
        assert refused.value.status == status, (key, changes)
    assert senders.sender(sc_sid, country="CA")["country"] == "CA"
