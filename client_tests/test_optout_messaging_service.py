"""Opt-outs and Messaging Services (support.twilio.com/hc/en-us/articles/223134027: two records; the README's "Fidelity notes":
asynchronous 21610; www.twilio.com/docs/errors/21610: the error's shape)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from twilio.base.exceptions import TwilioRestException

from client_tests.reference import ERROR_21610
from client_tests.spec import assert_matches

NUMBER_A = "+15557650001"
NUMBER_B = "+15557650002"
HANDSET = "+15551230001"
LEGACY_21610_TEXT = "The message From/To pair violates a blacklist rule."


@dataclass
class Pool:
    service_sid: str
    a: str
    b: str


@pytest.fixture
def pool(client) -> Pool:
    """A Messaging Service with two long codes, A and B."""
    service = client.messaging.v1.services.create(friendly_name="pool")
    for number in (NUMBER_A, NUMBER_B):
        pn = client.incoming_phone_numbers.create(phone_number=number)
        client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=pn.sid)
    return Pool(service.sid, NUMBER_A, NUMBER_B)


def message_url(base_url, account, sid):
    return f"{base_url}/2010-04-01/Accounts/{account[0]}/Messages/{sid}.json"


def send_from(http, messages_url, from_, to=HANDSET):
    return http.post(messages_url, data={"To": to, "From": from_, "Body": "Hello"})


def send_by_service(http, messages_url, service_sid, to=HANDSET):
    return http.post(messages_url, data={"To": to, "MessagingServiceSid": service_sid, "Body": "Hello"})


def fetch(http, base_url, account, sid):
    response = http.get(message_url(base_url, account, sid))
    assert response.status_code == 200
    body = response.json()
    assert_matches(body, "api.v2010.account.message")
    return body


def record_keys(records):
    return sorted((r["sender"] or "", r["messaging_service_sid"] or "", r["recipient"]) for r in records)


# -- two records (3.1) ----------------------------------------------------------------------------


def test_stop_to_a_pool_number_creates_a_number_record_and_a_service_record(control, account, pool):
    result = control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    assert result["opt_out_type"] == "STOP"
    records = control.opt_outs(account_sid=account[0], recipient=HANDSET)
    assert len(records) == 2
    assert record_keys(records) == [("", pool.service_sid, HANDSET), (pool.a, "", HANDSET)]
    for record in records:
        assert set(record) == {"account_sid", "sender", "messaging_service_sid", "recipient", "source", "consent_source",
                               "date_of_consent", "correlation_id", "created_at", "message_sid"}
        assert record["account_sid"] == account[0]
        assert record["message_sid"] == result["message"]["sid"]  # both written by the same STOP


def test_send_from_the_stopped_number_is_refused(http, messages_url, control, pool):
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    before = len(http.get(messages_url).json()["messages"])
    response = send_from(http, messages_url, pool.a)
    assert response.status_code == 400
    assert response.json() == ERROR_21610
    assert len(http.get(messages_url).json()["messages"]) == before


def test_send_from_another_pool_number_is_not_blocked(http, messages_url, control, pool):
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    response = send_from(http, messages_url, pool.b)
    assert response.status_code == 201
    body = response.json()
    assert_matches(body, "api.v2010.account.message")
    assert (body["from"], body["status"], body["error_code"]) == (pool.b, "queued", None)


def test_send_by_service_is_accepted_then_fails_with_21610(http, messages_url, base_url, account, control, pool):
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    response = send_by_service(http, messages_url, pool.service_sid)
    assert response.status_code == 201
    created = response.json()
    assert_matches(created, "api.v2010.account.message")
    assert created["status"] == "accepted"
    assert created["from"] is None
    assert created["num_segments"] == "0"
    assert created["messaging_service_sid"] == pool.service_sid
    assert created["error_code"] is None

    fetched = fetch(http, base_url, account, created["sid"])
    assert fetched["status"] == "failed"
    assert fetched["error_code"] == 21610


def test_send_by_service_through_the_sdk_fails_with_21610(client, control, pool):
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    created = client.messages.create(to=HANDSET, messaging_service_sid=pool.service_sid, body="Hi")
    assert created.status == "accepted"
    assert created.from_ is None
    fetched = client.messages(created.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 21610)


def test_sync_setting_refuses_service_sends_at_create(http, messages_url, account, control, pool):
    control.settings(account[0], messaging_service_opt_out="sync")
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    before = len(http.get(messages_url).json()["messages"])
    response = send_by_service(http, messages_url, pool.service_sid)
    assert response.status_code == 400
    assert response.json() == ERROR_21610
    assert len(http.get(messages_url).json()["messages"]) == before


def test_sync_setting_through_the_sdk(client, account, control, pool):
    control.settings(account[0], messaging_service_opt_out="sync")
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=HANDSET, messaging_service_sid=pool.service_sid, body="Hi")
    assert (info.value.code, info.value.status) == (21610, 400)


def test_sync_setting_does_not_refuse_a_recipient_who_did_not_opt_out(http, messages_url, account, control, pool):
    control.settings(account[0], messaging_service_opt_out="sync")
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    response = send_by_service(http, messages_url, pool.service_sid, to="+15551230002")
    assert response.status_code == 201
    assert response.json()["status"] == "accepted"


def test_service_record_blocks_whichever_pool_sender_is_picked(http, messages_url, base_url, account, control, pool):
    # Pin the sticky sender first, then STOP to the *other* pool number: the service record still applies.
    first = send_by_service(http, messages_url, pool.service_sid).json()
    picked = fetch(http, base_url, account, first["sid"])["from"]
    assert picked in (pool.a, pool.b)
    other = pool.b if picked == pool.a else pool.a
    control.inbound(from_=HANDSET, to=other, body="STOP")

    blocked = send_by_service(http, messages_url, pool.service_sid).json()
    fetched = fetch(http, base_url, account, blocked["sid"])
    assert (fetched["status"], fetched["error_code"]) == ("failed", 21610)
    # ... while a send From the picked number (no record of its own) still goes.
    assert send_from(http, messages_url, picked).status_code == 201


def test_number_record_made_before_joining_the_service_blocks_service_sends(client, http, messages_url, base_url,
                                                                          account, control):
    pn = client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    control.inbound(from_=HANDSET, to=NUMBER_A, body="STOP")  # not in a service yet: one record
    assert record_keys(control.opt_outs(account_sid=account[0])) == [(NUMBER_A, "", HANDSET)]
    service = client.messaging.v1.services.create(friendly_name="late")
    client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=pn.sid)
    created = send_by_service(http, messages_url, service.sid).json()
    fetched = fetch(http, base_url, account, created["sid"])
    assert (fetched["from"], fetched["status"], fetched["error_code"]) == (NUMBER_A, "failed", 21610)


def test_service_record_blocks_an_alphanumeric_pool_sender(client, http, messages_url, base_url, account, control,
                                                          pool):
    # Outside the US/Canada the service picks its alphanumeric sender, which can never be texted STOP;
    # the service record made by a STOP to a pool number still refuses the send.
    uk_handset = "+447700900123"
    client.messaging.v1.services(pool.service_sid).alpha_senders.create(alpha_sender="ACME")
    control.inbound(from_=uk_handset, to=pool.a, body="STOP")
    created = send_by_service(http, messages_url, pool.service_sid, to=uk_handset).json()
    fetched = fetch(http, base_url, account, created["sid"])
    assert (fetched["status"], fetched["error_code"]) == ("failed", 21610)


def test_send_with_from_and_service_ignores_the_service_record(client, base_url, account, control, pool):
    # 3.1 (corrected): the service record applies only "in place of a Sender"; with From=B only B's
    # own record counts. Created with a Messaging Service: accepted, from B, num_segments "0".
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    created = client.messages.create(to=HANDSET, from_=pool.b, messaging_service_sid=pool.service_sid, body="Hi")
    assert (created.status, created.from_, created.num_segments) == ("accepted", pool.b, "0")
    assert created.messaging_service_sid == pool.service_sid
    fetched = client.messages(created.sid).fetch()
    assert (fetched.status, fetched.error_code, fetched.from_, fetched.num_segments) == ("delivered", None, pool.b, "1")


def test_send_with_from_and_service_is_refused_at_create_by_the_from_record(client, control, pool):
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=HANDSET, from_=pool.a, messaging_service_sid=pool.service_sid, body="Hi")
    assert (refused.value.status, refused.value.code) == (400, 21610)


def test_stop_to_a_number_outside_the_service_does_not_block_the_service(client, http, messages_url, base_url,
                                                                        account, control, pool):
    client.incoming_phone_numbers.create(phone_number="+15557650009")
    control.inbound(from_=HANDSET, to="+15557650009", body="STOP")
    created = send_by_service(http, messages_url, pool.service_sid).json()
    fetched = fetch(http, base_url, account, created["sid"])
    assert (fetched["status"], fetched["error_code"]) == ("delivered", None)


# -- START (1.2, 3.1) ------------------------------------------------------------------------------


def test_start_to_the_same_number_clears_both_records(http, messages_url, base_url, account, control, pool):
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    result = control.inbound(from_=HANDSET, to=pool.a, body="START")
    assert result["opt_out_type"] == "START"
    assert control.opt_outs(account_sid=account[0]) == []

    created = send_by_service(http, messages_url, pool.service_sid)
    assert created.status_code == 201
    fetched = fetch(http, base_url, account, created.json()["sid"])
    assert (fetched["status"], fetched["error_code"]) == ("delivered", None)
    assert send_from(http, messages_url, pool.a).status_code == 201


def test_start_to_a_different_pool_number_clears_nothing(http, messages_url, base_url, account, control, pool):
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    control.inbound(from_=HANDSET, to=pool.b, body="START")
    assert record_keys(control.opt_outs(account_sid=account[0], recipient=HANDSET)) == [
        ("", pool.service_sid, HANDSET),
        (pool.a, "", HANDSET),
    ]
    response = send_from(http, messages_url, pool.a)
    assert (response.status_code, response.json()) == (400, ERROR_21610)
    created = send_by_service(http, messages_url, pool.service_sid).json()
    fetched = fetch(http, base_url, account, created["sid"])
    assert (fetched["status"], fetched["error_code"]) == ("failed", 21610)


# -- sticky sender ------------------------------------------------------------------------------


def test_sticky_sender_keeps_the_same_from_for_a_recipient(client, pool):
    senders = set()
    for _ in range(5):
        created = client.messages.create(to=HANDSET, messaging_service_sid=pool.service_sid, body="Hi")
        assert created.from_ is None
        senders.add(client.messages(created.sid).fetch().from_)
    assert len(senders) == 1
    assert senders <= {pool.a, pool.b}


def test_sticky_sender_survives_pool_growth(client, pool):
    first = client.messages.create(to=HANDSET, messaging_service_sid=pool.service_sid, body="Hi")
    sticky = client.messages(first.sid).fetch().from_
    assert sticky in (pool.a, pool.b)
    # More numbers in the pool must not move this recipient to another sender.
    for number in ("+15557650003", "+15557650004", "+15557650005", "+15557650006", "+15557650007"):
        pn = client.incoming_phone_numbers.create(phone_number=number)
        client.messaging.v1.services(pool.service_sid).phone_numbers.create(phone_number_sid=pn.sid)
    for _ in range(3):
        created = client.messages.create(to=HANDSET, messaging_service_sid=pool.service_sid, body="Again")
        assert client.messages(created.sid).fetch().from_ == sticky


# -- legacy error text (4.1, 12) ------------------------------------------------------------------


def test_legacy_error_text_setting(http, messages_url, account, control, pool):
    control.settings(account[0], legacy_error_text=True)
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    response = send_from(http, messages_url, pool.a)
    assert response.status_code == 400
    assert response.json() == {**ERROR_21610, "message": LEGACY_21610_TEXT}


def test_legacy_error_text_through_the_sdk(client, account, control, pool):
    control.settings(account[0], legacy_error_text=True)
    control.inbound(from_=HANDSET, to=pool.a, body="STOP")
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=HANDSET, from_=pool.a, body="Hi")
    assert (info.value.code, info.value.status) == (21610, 400)
    assert info.value.msg.endswith(LEGACY_21610_TEXT)
