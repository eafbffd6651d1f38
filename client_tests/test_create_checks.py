"""Create-time checks of round two (issue 11), through the official SDK: To equal to From (21266),
documented number lengths (21211/21212), a short code's country (21659), StatusCallback and MediaUrl
that are not URLs (21609, 21620), URL parameters of numbers, short codes and services (21402,
20001), and a short code's unset URLs (null). Expected texts are from Twilio's error pages and the
captures quoted in the issue-11 research notes."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from client_tests.spec import assert_error, assert_matches

NUMBER = "+15557650001"
HANDSET = "+15551230001"
CANADA = "+14165550100"
UK_MOBILE = "+447700900123"


def refused(call, code: int, message: str | None = None, status: int = 400) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as error:
        call()
    assert (error.value.status, error.value.code) == (status, code), error.value
    if message is not None:
        assert error.value.msg.endswith(message), error.value.msg
    return error.value


def test_to_equal_to_from_is_21266(client, control, account):
    refused(lambda: client.messages.create(to=NUMBER, from_=NUMBER, body="Hi"), 21266,
            "'To' and 'From' number cannot be the same")
    assert control.messages(account[0]) == []


def test_to_equal_to_from_comes_after_the_body_check(client):
    refused(lambda: client.messages.create(to=NUMBER, from_=NUMBER, body=""), 21602)


@pytest.mark.parametrize("to", ["+166321456", "+155512300012", "+1555123000", "+44770090012", "+4477009001234"])
def test_a_number_of_the_wrong_documented_length_is_21211(client, to):
    refused(lambda: client.messages.create(to=to, from_=NUMBER, body="Hi"), 21211,
            f"The 'To' number {to} is not a valid phone number.")


@pytest.mark.parametrize("to", [UK_MOBILE, "+442071838750", "+33612345678", "+15005550006"])
def test_numbers_of_the_right_or_undocumented_length_pass(client, to):
    assert client.messages.create(to=to, from_=NUMBER, body="Hi").status == "queued"


def test_a_from_of_the_wrong_nanp_length_is_21212(client):
    refused(lambda: client.messages.create(to=HANDSET, from_="+1555765000", body="Hi"), 21212)


def test_a_short_code_reaches_only_its_own_country(client, control, account):
    for to in (UK_MOBILE, CANADA):
        refused(lambda to=to: client.messages.create(to=to, from_="55555", body="Hi"), 21659,
                "'From' 55555 is not a Twilio phone number or Short Code country mismatch")
    assert client.messages.create(to=HANDSET, from_="55555", body="Hi").status == "queued"


def test_a_canadian_short_code_reaches_canada_only(client, control, account):
    control.load_fixtures({"accounts": [{"sid": account[0], "short_codes": [{"short_code": "55556", "country": "CA"}]}]})
    assert client.messages.create(to=CANADA, from_="55556", body="Hi").status == "queued"
    refused(lambda: client.messages.create(to=HANDSET, from_="55556", body="Hi"), 21659)


def test_a_service_never_picks_a_short_code_of_another_country(client, control, account):
    sid = "MG" + "3" * 32
    control.load_fixtures({"accounts": [{
        "sid": account[0], "numbers": [{"phone_number": NUMBER}], "short_codes": [{"short_code": "55555"}],
        "messaging_services": [{"sid": sid, "phone_numbers": [NUMBER], "short_codes": ["55555"]}],
    }]})
    to_canada = client.messages.create(to=CANADA, messaging_service_sid=sid, body="Hi")
    to_us = client.messages.create(to=HANDSET, messaging_service_sid=sid, body="Hi")
    assert client.messages(to_canada.sid).fetch().from_ == NUMBER
    assert client.messages(to_us.sid).fetch().from_ == "55555"


def test_status_callback_that_is_not_a_url_is_21609(client, control, account):
    refused(lambda: client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback="not a url"),
            21609, "The StatusCallback URL not a url is not a valid URL.")
    refused(lambda: client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback="ftp://x.com/s"),
            21609)
    assert control.messages(account[0]) == []


def test_local_status_callbacks_are_valid(client):
    # Twilio refuses localhost (it cannot reach it); the emulator checks the form only.
    for url in ("http://localhost:8000/status", "http://127.0.0.1:9/s", "https://user:pw@example.com/s?x=1"):
        assert client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=url).status == "queued"


def test_media_url_that_is_not_a_url_is_21620(client, control, account):
    refused(lambda: client.messages.create(to=HANDSET, from_=NUMBER, media_url=["cat.png"]), 21620,
            "Media urls: cat.png are invalid. Please use only valid http and https urls")
    refused(lambda: client.messages.create(to=HANDSET, from_=NUMBER, media_url=["https://ok.example/a.png", "x", "y"]),
            21620, 'Media urls: ["x", "y"] are invalid. Please use only valid http and https urls')
    assert control.messages(account[0]) == []


def test_media_url_check_comes_before_to_equal_to_from(client):
    refused(lambda: client.messages.create(to=NUMBER, from_=NUMBER, media_url=["nope"]), 21620)


def test_phone_number_urls_that_are_not_urls_are_21402(client, http, base_url, account):
    refused(lambda: client.incoming_phone_numbers.create(phone_number=NUMBER, sms_url="not a url"), 21402,
            "SmsUrl is not a valid URL: not a url")
    assert client.incoming_phone_numbers.list() == []
    number = client.incoming_phone_numbers.create(phone_number=NUMBER, sms_url="http://localhost:5000/sms")
    for field, param in (("sms_fallback_url", "SmsFallbackUrl"), ("status_callback", "StatusCallback")):
        refused(lambda field=field: client.incoming_phone_numbers(number.sid).update(**{field: "http://a_b.com/x"}),
                21402, f"{param} is not a valid URL: http://a_b.com/x")
    fetched = client.incoming_phone_numbers(number.sid).fetch()
    assert (fetched.sms_url, fetched.sms_fallback_url, fetched.status_callback) == ("http://localhost:5000/sms", "", "")
    # An empty URL unsets it.
    assert client.incoming_phone_numbers(number.sid).update(sms_url="").sms_url == ""


def test_short_code_urls_are_null_when_unset_and_checked_when_set(client, http, base_url, account):
    client.messages.create(to=HANDSET, from_="55555", body="Hi")
    [short_code] = client.short_codes.list()
    raw = http.get(f"{base_url}/2010-04-01/Accounts/{account[0]}/SMS/ShortCodes/{short_code.sid}.json").json()
    assert_matches(raw, "api.v2010.account.short_code")
    assert (raw["sms_url"], raw["sms_fallback_url"], raw["sms_method"]) == (None, None, "POST")
    refused(lambda: client.short_codes(short_code.sid).update(sms_url="sms.example"), 21402,
            "SmsUrl is not a valid URL: sms.example")
    assert client.short_codes(short_code.sid).update(sms_url="http://localhost/sc").sms_url == "http://localhost/sc"


def test_messaging_service_urls_that_are_not_urls_are_20001(client, http, base_url):
    response = http.post(f"{base_url}/v1/Services", data={"FriendlyName": "s", "InboundRequestUrl": "not a url"})
    assert_error(response, 20001, 400, "InboundRequestUrl is not a valid URL: not a url")
    assert client.messaging.v1.services.list() == []
    service = client.messaging.v1.services.create(friendly_name="s", inbound_request_url="http://localhost:1/in")
    for field, param in (("fallback_url", "FallbackUrl"), ("status_callback", "StatusCallback"),
                         ("inbound_request_url", "InboundRequestUrl")):
        refused(lambda field=field: client.messaging.v1.services(service.sid).update(**{field: "mailto:a@b.c"}),
                20001, f"{param} is not a valid URL: mailto:a@b.c")
    assert client.messaging.v1.services(service.sid).fetch().inbound_request_url == "http://localhost:1/in"
