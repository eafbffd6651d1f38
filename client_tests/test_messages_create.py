"""Black-box tests of POST /2010-04-01/Accounts/{AC}/Messages.json (create), through the SDK and raw HTTP.

Expected values come from Twilio's Message resource (www.twilio.com/docs/messaging/api/message-resource), its error pages, www.twilio.com/docs/iam/test-credentials,
Twilio's segment calculator (github.com/TwilioDevEd/message-segment-calculator) and the README."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from client_tests.spec import assert_error, assert_matches
from emulator.testing import twilio_client

MESSAGE = "api.v2010.account.message"
TO = "+15551230001"
FROM = "+15557650001"
UK = "+447700900123"
SM_SID = re.compile(r"^SM[0-9a-f]{32}$")
MM_SID = re.compile(r"^MM[0-9a-f]{32}$")
RFC2822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} \+0000$"
)




def message_count(http: requests.Session, messages_url: str) -> int:
    response = http.get(messages_url, params={"PageSize": 1000})
    assert response.status_code == 200, response.text
    return len(response.json()["messages"])


# -- the 201 response ------------------------------------------------------------------------------
def test_raw_create_answers_201_with_the_exact_message_json(http, messages_url, account):
    before = datetime.now(UTC).replace(microsecond=0)
    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "Hello"})
    after = datetime.now(UTC)

    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert_matches(body, MESSAGE)
    assert len(body) == 20
    sid = body["sid"]
    assert SM_SID.match(sid)
    assert body["account_sid"] == account[0]
    assert body["api_version"] == "2010-04-01"
    assert body["body"] == "Hello"
    assert body["to"] == TO
    assert body["from"] == FROM
    assert body["direction"] == "outbound-api"
    assert body["status"] == "queued"
    assert body["error_code"] is None
    assert body["error_message"] is None
    assert body["messaging_service_sid"] is None
    assert body["num_segments"] == "1"
    assert body["num_media"] == "0"
    assert body["price"] is None
    assert body["price_unit"] == "USD"
    assert body["date_sent"] is None
    for field in ("date_created", "date_updated"):
        assert isinstance(body[field], str) and RFC2822.match(body[field]), body[field]
        assert before - timedelta(seconds=1) <= parsedate_to_datetime(body[field]) <= after
    assert body["uri"] == f"/2010-04-01/Accounts/{account[0]}/Messages/{sid}.json"
    assert body["subresource_uris"]["media"] == f"/2010-04-01/Accounts/{account[0]}/Messages/{sid}/Media.json"


def test_sdk_create_returns_a_queued_message(client, account):
    message = client.messages.create(to=TO, from_=FROM, body="Hello from the SDK")

    assert SM_SID.match(message.sid)
    assert message.account_sid == account[0]
    assert message.status == "queued"
    assert message.to == TO
    assert message.from_ == FROM
    assert message.body == "Hello from the SDK"
    assert message.num_segments == "1"
    assert message.num_media == "0"
    assert message.date_sent is None
    assert message.messaging_service_sid is None
    assert message.direction == "outbound-api"
    # The SDK parsed the RFC 2822 date into an aware datetime.
    assert isinstance(message.date_created, datetime)
    assert message.date_created.utcoffset() == timedelta(0)


def test_a_fetch_after_the_create_shows_delivered(http, messages_url, base_url):
    created = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "Hello"}).json()
    assert created["status"] == "queued"

    response = http.get(base_url + created["uri"])

    assert response.status_code == 200, response.text
    fetched = response.json()
    assert_matches(fetched, MESSAGE)
    assert fetched["sid"] == created["sid"]
    assert fetched["status"] == "delivered"
    assert isinstance(fetched["date_sent"], str) and RFC2822.match(fetched["date_sent"])
    assert fetched["date_created"] == created["date_created"]


def test_each_create_gets_a_new_sid(http, messages_url):
    sids = {http.post(messages_url, data={"To": TO, "From": FROM, "Body": f"n{i}"}).json()["sid"] for i in range(5)}
    assert len(sids) == 5
    assert all(SM_SID.match(sid) for sid in sids)


def test_create_without_json_suffix_answers_json(http, messages_url):
    response = http.post(messages_url[: -len(".json")], data={"To": TO, "From": FROM, "Body": "Hello"})
    assert response.status_code == 201, response.text
    assert_matches(response.json(), MESSAGE)


# -- media -----------------------------------------------------------------------------------------
def test_repeated_media_url_gives_an_mm_sid_and_num_media_2(http, messages_url):
    data = [
        ("To", TO),
        ("From", FROM),
        ("Body", "Two pictures"),
        ("MediaUrl", "https://example.com/a.jpg"),
        ("MediaUrl", "https://example.com/b.jpg"),
    ]
    response = http.post(messages_url, data=data)

    assert response.status_code == 201, response.text
    body = response.json()
    assert_matches(body, MESSAGE)
    assert MM_SID.match(body["sid"])
    assert body["num_media"] == "2"
    assert body["uri"].endswith(f"/Messages/{body['sid']}.json")


def test_sdk_media_url_without_body_is_accepted(client):
    message = client.messages.create(to=TO, from_=FROM, media_url=["https://example.com/cat.gif"])

    assert MM_SID.match(message.sid)
    assert message.num_media == "1"
    assert message.status == "queued"


# -- segments (Twilio's segment calculator) ---------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, "1"),
        ("a" * 161, "2"),
        ("a" * 306, "2"),
        ("a" * 307, "3"),
        ("a" * 1530, "10"),
        ("€" * 80, "1"),
        ("€" * 81, "2"),
        ("ą" * 70, "1"),
        ("ą" * 71, "2"),
        ("ą" * 134, "2"),
        ("ą" * 135, "3"),
        ("😀" * 35, "1"),
        ("😀" * 36, "2"),
        ("a" * 69 + "😀", "2"),
        ("a" * 152 + "€" + "a" * 152, "3"),  # the escape pair moves whole to part 2
        ("ą" * 66 + "😀" + "ą" * 66, "3"),  # the surrogate pair moves whole to part 2
        ("€" * 77, "1"),  # 154 septets
        ("a\r\n" * 54, "2"),  # \r\n counts as 2: 162 septets
    ],
    ids=[
        "160a",
        "161a",
        "306a",
        "307a",
        "1530a",
        "80euro",
        "81euro",
        "70ucs2",
        "71ucs2",
        "134ucs2",
        "135ucs2",
        "35emoji",
        "36emoji",
        "69a+emoji",
        "escape-at-boundary",
        "surrogate-at-boundary",
        "77euro",
        "crlf",
    ],
)
def test_num_segments_follows_twilios_table(http, messages_url, body, segments):
    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": body})

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["num_segments"] == segments
    assert created["body"] == body


def test_1600_characters_are_accepted(http, messages_url):
    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "a" * 1600})

    assert response.status_code == 201, response.text
    assert response.json()["num_segments"] == "11"  # ceil(1600 / 153)


def test_1600_ucs2_characters_are_accepted(http, messages_url):
    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "ą" * 1600})

    assert response.status_code == 201, response.text
    assert response.json()["num_segments"] == "24"  # ceil(1600 / 67)


def test_smart_encoding_replaces_look_alikes_before_counting(http, messages_url):
    body = "\u2019" * 100  # right single quotation mark, UCS-2; smart-encoded to ' (GSM-7)
    plain = http.post(messages_url, data={"To": TO, "From": FROM, "Body": body})
    smart = http.post(messages_url, data={"To": TO, "From": FROM, "Body": body, "SmartEncoded": "true"})

    assert plain.status_code == smart.status_code == 201
    assert plain.json()["num_segments"] == "2"  # 100 UCS-2 units
    assert smart.json()["num_segments"] == "1"  # 100 GSM-7 septets


# -- media limits and content ------------------------------------------------------------------------
def test_ten_media_urls_are_accepted(http, messages_url):
    data = [("To", TO), ("From", FROM)] + [("MediaUrl", f"https://example.com/{i}.jpg") for i in range(10)]
    response = http.post(messages_url, data=data)

    assert response.status_code == 201, response.text
    assert response.json()["num_media"] == "10"


def test_eleven_media_urls_are_21623(http, messages_url):
    data = [("To", TO), ("From", FROM)] + [("MediaUrl", f"https://example.com/{i}.jpg") for i in range(11)]

    assert_error(http.post(messages_url, data=data), 21623, 400)
    assert message_count(http, messages_url) == 0


def test_content_sid_without_body_is_accepted(http, messages_url):
    response = http.post(messages_url, data={"To": TO, "From": FROM, "ContentSid": "HX" + "0" * 32})

    assert response.status_code == 201, response.text
    assert_matches(response.json(), MESSAGE)


# -- validation errors, each alone --------------------------------------------------------------------
UNKNOWN_MG = "MG" + "ab" * 16


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ({"From": FROM, "Body": "x"}, 21604, "A 'To' phone number is required."),
        ({"To": "", "From": FROM, "Body": "x"}, 21604, "A 'To' phone number is required."),
        ({"To": "123", "From": FROM, "Body": "x"}, 21211, "The 'To' number 123 is not a valid phone number."),
        ({"To": TO, "Body": "x"}, 21603, "A 'From' phone number is required."),
        (
            {"To": TO, "From": "+1", "Body": "x"},
            21212,
            "The 'From' number +1 is not a valid phone number, shortcode, or alphanumeric sender ID.",
        ),
        (
            {"To": TO, "From": "!!", "Body": "x"},
            21212,
            "The 'From' number !! is not a valid phone number, shortcode, or alphanumeric sender ID.",
        ),
        ({"To": TO, "From": FROM}, 21602, "Message body is required."),
        ({"To": TO, "From": FROM, "Body": ""}, 21602, "Message body is required."),
        (
            {"To": TO, "From": FROM, "Body": "a" * 1601},
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ),
        (
            {"To": TO, "From": FROM, "Body": "ą" * 1601},
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ),
        # The texts of 21705/21701 are not documented: code and status only.
        (
            {"To": UK, "From": "ABCDEFGHIJKL", "Body": "x"},
            21212,
            "The 'From' number ABCDEFGHIJKL is not a valid phone number, shortcode, or alphanumeric sender ID.",
        ),
        (
            {"To": TO, "From": "1234", "Body": "x"},
            21212,
            "The 'From' number 1234 is not a valid phone number, shortcode, or alphanumeric sender ID.",
        ),
        ({"To": TO, "MessagingServiceSid": "MGnope", "Body": "x"}, 21705, None),
        ({"To": TO, "MessagingServiceSid": UNKNOWN_MG, "Body": "x"}, 21701, None),
    ],
    ids=[
        "21604-no-To",
        "21604-empty-To",
        "21211-bad-To",
        "21603-no-From",
        "21212-From-plus1",
        "21212-From-bangs",
        "21212-alpha-12-chars",
        "21212-4-digits",
        "21602-no-Body",
        "21602-empty-Body",
        "21617-1601-gsm",
        "21617-1601-ucs2",
        "21705-malformed-MG",
        "21701-unknown-MG",
    ],
)
def test_validation_error(http, messages_url, data, code, message):
    response = http.post(messages_url, data=data)

    assert_error(response, code, 400, message)
    assert message_count(http, messages_url) == 0  # no Message is created


def test_sdk_raises_the_validation_error(client):
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=TO, from_=FROM)

    assert info.value.status == 400
    assert info.value.code == 21602
    assert info.value.msg == "Unable to create record: Message body is required."


# -- order of checks: the first failing check wins -------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, 21604),
        ({"Body": "x"}, 21604),  # no To and no From
        ({"From": "!!", "Body": "a" * 1601}, 21604),
        ({"To": "123", "From": "!!"}, 21211),
        ({"To": "123", "Body": "a" * 1601}, 21211),
        ({"To": "123", "MessagingServiceSid": "MGnope"}, 21211),
        ({"To": TO, "MessagingServiceSid": "MGnope", "From": "!!"}, 21705),
        ({"To": TO, "MessagingServiceSid": UNKNOWN_MG, "From": "!!"}, 21701),
        ({"To": TO, "MessagingServiceSid": UNKNOWN_MG}, 21701),  # and no Body
        ({"To": TO}, 21603),  # and no Body
        ({"To": TO, "Body": "a" * 1601}, 21603),
        ({"To": TO, "From": "!!"}, 21212),  # and no Body
        ({"To": TO, "From": "+1", "Body": "a" * 1601}, 21212),
        ({"To": TO, "From": "+15005550001"}, 21212),  # magic invalid From, no Body
        ({"To": TO, "From": "+15005550007"}, 21606),  # magic unowned From, no Body
        ({"To": "+15005550002", "From": FROM}, 21602),  # body before reachability
        ({"To": "+15005550003", "From": FROM, "Body": "a" * 1601}, 21617),  # length before geo permission
        ({"To": TO, "From": "ACME", "Body": "a" * 1601}, 21617),  # length before 21612
        ({"To": "+15005550004", "From": "+15005550008", "Body": "x"}, 21610),  # opt-out before queue
        ([("To", TO), ("From", FROM), ("Body", "a" * 1601)] + [("MediaUrl", "https://e.com/m")] * 11, 21617),
        ([("To", TO), ("From", "ACME"), ("Body", "x")] + [("MediaUrl", "https://e.com/m")] * 11, 21623),
    ],
    ids=[
        "nothing",
        "no-To-no-From",
        "no-To-bad-From-long",
        "bad-To-bad-From",
        "bad-To-long",
        "bad-To-bad-MG",
        "bad-MG-bad-From",
        "unknown-MG-bad-From",
        "unknown-MG-no-Body",
        "no-From-no-Body",
        "no-From-long",
        "bad-From-no-Body",
        "bad-From-long",
        "magic-From-21212-no-Body",
        "magic-From-21606-no-Body",
        "no-Body-unreachable-To",
        "long-geo-To",
        "long-alpha-to-US",
        "optout-before-queue",
        "long-before-media",
        "media-before-21612",
    ],
)
def test_first_failing_check_wins(http, messages_url, data, code):
    response = http.post(messages_url, data=data)
    assert_error(response, code, 429 if code == 21611 else 400)


# -- sender rules ----------------------------------------------------------------------------------------
def test_alphanumeric_from_to_a_us_number_is_21612(http, messages_url):
    response = http.post(messages_url, data={"To": TO, "From": "ACME", "Body": "x"})

    assert_error(
        response,
        21612,
        400,
        f"The 'To' phone number: {TO}, is not currently reachable using the 'From' phone number: ACME via SMS.",
    )


def test_alphanumeric_from_to_a_us_number_with_media_says_via_mms(http, messages_url):
    data = {"To": TO, "From": "ACME", "Body": "x", "MediaUrl": "https://example.com/a.jpg"}
    response = http.post(messages_url, data=data)

    assert_error(
        response,
        21612,
        400,
        f"The 'To' phone number: {TO}, is not currently reachable using the 'From' phone number: ACME via MMS.",
    )


def test_alphanumeric_from_to_a_non_nanp_number_is_accepted(http, messages_url):
    response = http.post(messages_url, data={"To": "+447700900123", "From": "ACME", "Body": "x"})

    assert response.status_code == 201, response.text
    assert response.json()["from"] == "ACME"
    assert response.json()["status"] == "queued"


def test_channel_addresses_are_accepted(http, messages_url):
    data = {"To": f"whatsapp:{TO}", "From": f"whatsapp:{FROM}", "Body": "x"}
    response = http.post(messages_url, data=data)

    assert response.status_code == 201, response.text
    assert response.json()["to"] == f"whatsapp:{TO}"
    assert response.json()["from"] == f"whatsapp:{FROM}"


def test_a_short_code_owned_by_another_account_is_21606(http, messages_url, base_url):
    other = twilio_client(base_url, "AC" + secrets.token_hex(16), "token")
    other.messages.create(to=TO, from_="55555", body="mine")

    assert_error(
        http.post(messages_url, data={"To": TO, "From": "55555", "Body": "x"}),
        21606,
        400,
        "The From phone number 55555 is not a valid, SMS-capable inbound phone number or short code for your account.",
    )


def test_the_magic_from_passes_even_with_strict_senders(control, http, messages_url, account):
    control.settings(account[0], strict_senders=True)

    response = http.post(messages_url, data={"To": TO, "From": "+15005550006", "Body": "x"})

    assert response.status_code == 201, response.text


def test_short_code_from_is_accepted(http, messages_url):
    response = http.post(messages_url, data={"To": TO, "From": "55555", "Body": "x"})

    assert response.status_code == 201, response.text
    assert response.json()["from"] == "55555"


def test_strict_senders_refuse_an_unowned_from_with_21606(control, http, messages_url, account, base_url):
    control.settings(account[0], strict_senders=True)

    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "x"})

    assert_error(
        response,
        21606,
        400,
        f"The From phone number {FROM} is not a valid, SMS-capable inbound phone number or short code for your account.",
    )
    # Once the account owns the number, the same send passes.
    numbers_url = f"{base_url}/2010-04-01/Accounts/{account[0]}/IncomingPhoneNumbers.json"
    assert http.post(numbers_url, data={"PhoneNumber": FROM}).status_code == 201
    assert http.post(messages_url, data={"To": TO, "From": FROM, "Body": "x"}).status_code == 201


def test_a_number_owned_by_another_account_is_21606(control, http, messages_url, base_url, account):
    other_sid, other_token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    other = twilio_client(base_url, other_sid, other_token)
    other.messages.create(to=TO, from_=FROM, body="mine")  # provisions FROM to the other account

    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "x"})

    assert_error(
        response,
        21606,
        400,
        f"The From phone number {FROM} is not a valid, SMS-capable inbound phone number or short code for your account.",
    )
    # The owner still sends from it.
    assert other.messages.create(to=TO, from_=FROM, body="still mine").status == "queued"


# -- test credentials' magic numbers (Twilio's table) ---------------------------------------------
MAGIC_OK = "+15005550006"


@pytest.mark.parametrize(
    ("to", "from_", "code", "status", "message"),
    [
        (
            TO,
            "+15005550001",
            21212,
            400,
            "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric sender ID.",
        ),
        (
            TO,
            "+15005550007",
            21606,
            400,
            "The From phone number +15005550007 is not a valid, SMS-capable inbound phone number or short code "
            "for your account.",
        ),
        (TO, "+15005550008", 21611, 429, "SMS queue is full."),
        ("+15005550001", MAGIC_OK, 21211, 400, "The 'To' number +15005550001 is not a valid phone number."),
        (
            "+15005550002",
            MAGIC_OK,
            21612,
            400,
            "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number: "
            "+15005550006 via SMS.",
        ),
        (
            "+15005550003",
            MAGIC_OK,
            21408,
            400,
            "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: "
            "+15005550003.",
        ),
        ("+15005550004", MAGIC_OK, 21610, 400, "Attempt to send to unsubscribed recipient"),
        ("+15005550009", MAGIC_OK, 21614, 400, "To number: +15005550009, is not a mobile number"),
    ],
    ids=["from-21212", "from-21606", "from-21611", "to-21211", "to-21612", "to-21408", "to-21610", "to-21614"],
)
def test_magic_numbers(http, messages_url, to, from_, code, status, message):
    response = http.post(messages_url, data={"To": to, "From": from_, "Body": "x"})

    assert_error(response, code, status, message)
    assert message_count(http, messages_url) == 0


def test_magic_from_that_passes(http, messages_url):
    response = http.post(messages_url, data={"To": TO, "From": MAGIC_OK, "Body": "x"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert_matches(body, MESSAGE)
    assert body["status"] == "queued"
    assert body["num_segments"] == "1"
    assert body["num_media"] == "0"
    assert "media" in body["subresource_uris"]


# -- optional parameters ------------------------------------------------------------------------------------
def test_every_optional_parameter_is_accepted_through_the_sdk(client):
    message = client.messages.create(
        to=TO,
        from_=FROM,
        body="All the options",
        status_callback="https://example.com/status",
        validity_period=600,
        provide_feedback=True,
        smart_encoded=True,
        force_delivery=False,
        content_retention="retain",
        address_retention="obfuscate",
        persistent_action=["geo:37.787890,-122.391664", "mailto:test@example.com"],
        traffic_type="free",
        attempt=1,
        max_price=0.5,
        send_as_mms=False,
        risk_check="disable",
    )

    assert SM_SID.match(message.sid)
    assert message.status == "queued"
    assert message.body == "All the options"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("StatusCallback", "https://example.com/status"),
        ("ValidityPeriod", "1"),
        ("ValidityPeriod", "36000"),
        ("ProvideFeedback", "true"),
        ("SmartEncoded", "false"),
        ("ForceDelivery", "true"),
        ("ContentRetention", "discard"),
        ("AddressRetention", "retain"),
        ("PersistentAction", "geo:37.787890,-122.391664"),
        ("TrafficType", "free"),
        ("Attempt", "2"),
        ("MaxPrice", "0.75"),
        ("SendAsMms", "true"),
        ("RiskCheck", "enable"),
    ],
)
def test_optional_parameter_accepted_raw(http, messages_url, name, value):
    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "x", name: value})

    assert response.status_code == 201, response.text
    assert_matches(response.json(), MESSAGE)
    assert response.json()["status"] == "queued"


@pytest.mark.parametrize("value", ["0", "36001", "-5", "abc", "1.5"])
def test_invalid_validity_period_is_20001(http, messages_url, value):
    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "x", "ValidityPeriod": value})

    assert_error(response, 20001, 400)
    assert message_count(http, messages_url) == 0


def test_invalid_boolean_is_20001(http, messages_url):
    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "x", "ProvideFeedback": "maybe"})

    assert_error(response, 20001, 400)


# -- scheduling (Twilio's Message resource) -----------------------------------------------------------------
def test_schedule_type_without_a_service_is_35118(http, messages_url):
    send_at = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = {"To": TO, "From": FROM, "Body": "later", "ScheduleType": "fixed", "SendAt": send_at}

    assert_error(http.post(messages_url, data=data), 35118, 400)
    assert message_count(http, messages_url) == 0
