"""Test credentials' magic numbers, every row of Twilio's table (www.twilio.com/docs/iam/test-credentials; messages templated as
the errors' own), through the official SDK. The emulator honours them in every account (README)."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

MAGIC_FROM_OK = "+15005550006"
HANDSET = "+15551230001"


def create_error(client, to, from_):
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=to, from_=from_, body="Magic")
    return info.value


def test_from_15005550006_passes(client):
    message = client.messages.create(to=HANDSET, from_=MAGIC_FROM_OK, body="Magic")
    assert message.status == "queued"
    assert message.num_segments == "1"
    assert message.num_media == "0"
    assert message.from_ == MAGIC_FROM_OK
    assert message.to == HANDSET
    assert message.sid.startswith("SM")
    assert "media" in message.subresource_uris


def test_from_15005550006_passes_over_http(http, messages_url):
    response = http.post(messages_url, data={"To": HANDSET, "From": MAGIC_FROM_OK, "Body": "Magic"})
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["num_segments"], body["num_media"]) == ("queued", "1", "0")
    assert body["subresource_uris"]["media"]


@pytest.mark.parametrize(
    ("from_", "code", "status", "text"),
    [
        (
            "+15005550001",
            21212,
            400,
            "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric sender ID.",
        ),
        (
            "+15005550007",
            21606,
            400,
            "The From phone number +15005550007 is not a valid, SMS-capable inbound phone number or short code "
            "for your account.",
        ),
        ("+15005550008", 21611, 429, "SMS queue is full."),
    ],
    ids=["21212", "21606", "21611-429"],
)
def test_magic_from_numbers(client, from_, code, status, text):
    exc = create_error(client, HANDSET, from_)
    assert exc.code == code
    assert exc.status == status
    assert exc.msg.endswith(text), exc.msg


def test_magic_from_errors_create_no_message(client):
    for from_ in ("+15005550001", "+15005550007", "+15005550008"):
        create_error(client, HANDSET, from_)
    assert client.messages.list() == []


def test_from_any_other_number_is_not_owned(client, account, control):
    # Test credentials cannot use any other number (TC). The emulator provisions unknown senders unless
    # strict_senders is on; with it, an unowned number is 21606 as section 5 says.
    control.settings(account[0], strict_senders=True)
    exc = create_error(client, HANDSET, "+15005550000")
    assert (exc.code, exc.status) == (21606, 400)


@pytest.mark.parametrize(
    ("to", "code", "text"),
    [
        ("+15005550001", 21211, "The 'To' number +15005550001 is not a valid phone number."),
        (
            "+15005550002",
            21612,
            "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number: "
            "+15005550006 via SMS.",
        ),
        (
            "+15005550003",
            21408,
            "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: "
            "+15005550003.",
        ),
        ("+15005550004", 21610, None),  # text: current or legacy 21610 wording (4.1)
        ("+15005550009", 21614, "To number: +15005550009, is not a mobile number"),
    ],
    ids=["21211", "21612", "21408", "21610", "21614"],
)
def test_magic_to_numbers(client, to, code, text):
    exc = create_error(client, to, MAGIC_FROM_OK)
    assert exc.code == code
    assert exc.status == 400
    if text is not None:
        assert exc.msg.endswith(text), exc.msg
    else:
        assert exc.msg.endswith(
            ("Attempt to send to unsubscribed recipient", "The message From/To pair violates a blacklist rule.")
        ), exc.msg


def test_magic_to_errors_create_no_message(client):
    for to in ("+15005550001", "+15005550002", "+15005550003", "+15005550004", "+15005550009"):
        create_error(client, to, MAGIC_FROM_OK)
    assert client.messages.list() == []


def test_magic_to_15005550004_needs_no_stop(client, account, control):
    # 21610 without any opt-out record.
    assert control.opt_outs(account_sid=account[0]) == []
    exc = create_error(client, "+15005550004", MAGIC_FROM_OK)
    assert (exc.code, exc.status) == (21610, 400)


def test_to_any_other_number_is_validated_as_usual(client):
    message = client.messages.create(to="+15005550005", from_=MAGIC_FROM_OK, body="Magic")
    assert message.status == "queued"
    exc = create_error(client, "123", MAGIC_FROM_OK)
    assert (exc.code, exc.status) == (21211, 400)
    assert exc.msg.endswith("The 'To' number 123 is not a valid phone number.")


def test_magic_numbers_work_from_an_account_owned_number(client):
    # The To magic numbers are checked whatever the From.
    client.incoming_phone_numbers.create(phone_number="+15557650001")
    exc = create_error(client, "+15005550009", "+15557650001")
    assert (exc.code, exc.status) == (21614, 400)


@pytest.mark.parametrize(
    ("to", "from_", "code", "status"),
    [
        ("+15005550001", "+15005550001", 21211, 400),  # To before From
        ("+15005550002", "+15005550007", 21606, 400),  # From before reachability
        ("+15005550004", "+15005550008", 21610, 400),  # opt-out before queue
        ("+15005550009", "+15005550008", 21614, 400),  # mobile check before queue
        ("+15005550004", "+15005550001", 21212, 400),  # From before opt-out
    ],
    ids=["21211-first", "21606-before-21612", "21610-before-21611", "21614-before-21611", "21212-before-21610"],
)
def test_combined_magic_numbers_follow_the_order_of_checks(client, to, from_, code, status):
    # 4.2: To (21211) -> From (21212, 21606) -> ... -> 21612/21408/21614 -> opt-out (21610) -> queue (21611).
    exc = create_error(client, to, from_)
    assert (exc.code, exc.status) == (code, status)
