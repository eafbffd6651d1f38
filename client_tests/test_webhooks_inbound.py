"""Incoming-message webhooks: parameters, method, target selection (number vs Messaging Service),
keyword forwarding, OptOutType and signatures. Expected values come from Twilio's docs:
support.twilio.com/hc/en-us/articles/223134027, support.twilio.com/hc/en-us/articles/31560110671259, www.twilio.com/docs/messaging/tutorials/advanced-opt-out and www.twilio.com/docs/usage/webhooks/webhooks-security."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

NUMBER = "+15557650001"
OTHER_NUMBER = "+15557650002"
HANDSET = "+15551230001"

BASE_PARAMS = {
    "MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "NumSegments",
    "SmsStatus", "ApiVersion",
}  # fmt: skip
GEO_PARAMS = {"ToCountry", "ToState", "ToCity", "ToZip", "FromCountry", "FromState", "FromCity", "FromZip"}


def number_with_url(client, hooks, path="/sms", method="POST", number=NUMBER):
    return client.incoming_phone_numbers.create(phone_number=number, sms_url=hooks.url(path), sms_method=method)


def service_with_number(client, number_sid, **config):
    service = client.messaging.v1.services.create(friendly_name="svc", **config)
    client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=number_sid)
    return service


def only_request(hooks, path="/sms"):
    got = hooks.received(path)
    assert len(got) == 1, [(r.path, r.form.get("Body")) for r in hooks.received()]
    return got[0]


def assert_signed(request, token, url=None, params=None):
    signature = request.headers.get("X-Twilio-Signature")
    assert signature, "no X-Twilio-Signature header"
    url = url or request.url
    params = request.form if params is None else params
    assert RequestValidator(token).validate(url, params, signature), (url, params, signature)


# -- parameters and headers (7.1) --------------------------------------------------------------


def test_inbound_message_is_posted_form_encoded_with_the_documented_parameters(client, control, account, hooks):
    number_with_url(client, hooks)
    result = control.inbound(from_=HANDSET, to=NUMBER, body="Hello there")
    control.wait_for_webhooks()
    request = only_request(hooks)
    sid = result["message"]["sid"]
    assert request.method == "POST"
    form = request.form
    assert BASE_PARAMS | GEO_PARAMS <= set(form), sorted(BASE_PARAMS | GEO_PARAMS - set(form))
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"] == sid
    assert form["AccountSid"] == account[0]
    assert form["From"] == HANDSET and form["To"] == NUMBER
    assert form["Body"] == "Hello there"
    assert form["NumMedia"] == "0"
    assert form["NumSegments"] == "1"
    assert form["SmsStatus"] == "received"
    assert form["ApiVersion"] == "2010-04-01"
    assert "OptOutType" not in form
    assert "MessagingServiceSid" not in form
    assert not any(name.startswith("MediaUrl") for name in form)


def test_inbound_webhook_headers(client, control, account, hooks):
    number_with_url(client, hooks)
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    request = only_request(hooks)
    assert request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
    assert request.headers.get("User-Agent") == "TwilioProxy/1.1"
    assert request.headers.get("I-Twilio-Idempotency-Token")
    assert_signed(request, account[1], url=hooks.url("/sms"))


def test_signature_does_not_validate_with_another_token(client, control, account, hooks):
    number_with_url(client, hooks)
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    request = only_request(hooks)
    signature = request.headers["X-Twilio-Signature"]
    assert RequestValidator(account[1]).validate(hooks.url("/sms"), request.form, signature)
    assert not RequestValidator("not-the-token").validate(hooks.url("/sms"), request.form, signature)


def test_signature_covers_unusual_characters_in_the_body(client, control, account, hooks):
    number_with_url(client, hooks)
    body = "Ünïcødé & +plus = 100% 😀 <tag> \"quotes\""
    control.inbound(from_=HANDSET, to=NUMBER, body=body)
    control.wait_for_webhooks()
    request = only_request(hooks)
    assert request.form["Body"] == body
    assert_signed(request, account[1], url=hooks.url("/sms"))


def test_signature_covers_a_query_string_in_the_configured_url(client, control, account, hooks):
    client.incoming_phone_numbers.create(phone_number=NUMBER, sms_url=hooks.url("/sms?tenant=a&x=1"))
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    request = only_request(hooks)
    assert request.method == "POST"
    assert request.form["Body"] == "Hello"
    assert_signed(request, account[1], url=hooks.url("/sms?tenant=a&x=1"))


def test_each_webhook_has_its_own_idempotency_token(client, control, hooks):
    number_with_url(client, hooks)
    control.inbound(from_=HANDSET, to=NUMBER, body="one")
    control.inbound(from_=HANDSET, to=NUMBER, body="two")
    control.wait_for_webhooks()
    got = hooks.received("/sms")
    assert sorted(r.form["Body"] for r in got) == ["one", "two"]
    tokens = {r.headers.get("I-Twilio-Idempotency-Token") for r in got}
    assert len(tokens) == 2 and None not in tokens and "" not in tokens


def test_sms_method_get_sends_the_parameters_in_the_query_string(client, control, account, hooks):
    number_with_url(client, hooks, method="GET")
    result = control.inbound(from_=HANDSET, to=NUMBER, body="Hi + bye & more")
    control.wait_for_webhooks()
    request = only_request(hooks)
    assert request.method == "GET"
    assert request.form["MessageSid"] == result["message"]["sid"]  # the receiver records GET query args
    assert request.form["Body"] == "Hi + bye & more"
    assert request.form["SmsStatus"] == "received"
    assert BASE_PARAMS <= set(request.form)
    assert request.headers.get("User-Agent") == "TwilioProxy/1.1"
    assert request.headers.get("I-Twilio-Idempotency-Token")
    # GET: the signature covers the full URL, query string included, and no body parameters.
    assert_signed(request, account[1], url=request.url, params={})


def test_sms_method_get_with_a_query_string_in_the_url(client, control, account, hooks):
    client.incoming_phone_numbers.create(phone_number=NUMBER, sms_url=hooks.url("/sms?tenant=a"), sms_method="GET")
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    request = only_request(hooks)
    assert request.method == "GET"
    assert request.form["tenant"] == "a"
    assert request.form["Body"] == "Hello"
    assert_signed(request, account[1], url=request.url, params={})


def test_media_urls_and_content_types(client, control, hooks):
    number_with_url(client, hooks)
    media = ["https://example.com/cat.jpg", "https://example.com/tune.png"]
    control.inbound(from_=HANDSET, to=NUMBER, body="pics", media_urls=media)
    control.wait_for_webhooks()
    form = only_request(hooks).form
    assert form["NumMedia"] == "2"
    assert form["MessageSid"].startswith("MM")  # 6.3: SIDs start MM when media is attached
    for i in range(2):
        assert form[f"MediaUrl{i}"].startswith("http")
        assert "/" in form[f"MediaContentType{i}"]
    assert form["MediaContentType0"] == "image/jpeg"
    assert form["MediaContentType1"] == "image/png"
    assert "MediaUrl2" not in form


@pytest.mark.parametrize(
    ("body", "segments"),
    [("a" * 160, "1"), ("a" * 161, "2"), ("é" * 160, "1"), ("€" * 80, "1"), ("€" * 81, "2"), ("😀" * 35, "1"),
     ("😀" * 36, "2")],
    ids=["gsm-160", "gsm-161", "gsm-accented-160", "gsm-escaped-80", "gsm-escaped-81", "ucs2-70", "ucs2-72"],
)  # fmt: skip
def test_num_segments_follows_the_segment_rules(client, control, hooks, body, segments):
    number_with_url(client, hooks)
    control.inbound(from_=HANDSET, to=NUMBER, body=body)
    control.wait_for_webhooks()
    assert only_request(hooks).form["NumSegments"] == segments


def test_a_number_without_sms_url_gets_no_webhook(client, control, account, hooks):
    client.incoming_phone_numbers.create(phone_number=NUMBER)
    number_with_url(client, hooks, number=OTHER_NUMBER)
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    assert hooks.received() == []
    assert control.webhooks(account_sid=account[0], kind="incoming-message") == []


# -- Messaging Service target selection -----------------------------------------------------------


def test_service_inbound_request_url_wins_over_the_number(client, control, account, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(client, pn.sid, inbound_request_url=hooks.url("/service"), inbound_method="POST")
    result = control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    assert hooks.received("/number") == []
    request = only_request(hooks, "/service")
    assert request.method == "POST"
    assert request.form["MessagingServiceSid"] == service.sid
    assert request.form["MessageSid"] == result["message"]["sid"]
    assert "OptOutType" not in request.form
    assert_signed(request, account[1], url=hooks.url("/service"))


def test_service_inbound_method_get(client, control, account, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(client, pn.sid, inbound_request_url=hooks.url("/service"), inbound_method="GET")
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    request = only_request(hooks, "/service")
    assert request.method == "GET"
    assert request.form["MessagingServiceSid"] == service.sid
    assert request.form["Body"] == "Hello"
    assert_signed(request, account[1], url=request.url, params={})
    assert hooks.received("/number") == []


def test_use_inbound_webhook_on_number_sends_to_the_number_url(client, control, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(
        client, pn.sid, inbound_request_url=hooks.url("/service"), use_inbound_webhook_on_number=True
    )
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    assert hooks.received("/service") == []
    request = only_request(hooks, "/number")
    assert request.form["MessagingServiceSid"] == service.sid


def test_use_inbound_webhook_on_number_still_gets_opt_out_type(client, control, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(
        client, pn.sid, inbound_request_url=hooks.url("/service"), use_inbound_webhook_on_number=True
    )
    control.advanced_opt_out(service.sid, enabled=True)
    control.inbound(from_=HANDSET, to=NUMBER, body="HELP")
    control.wait_for_webhooks()
    assert hooks.received("/service") == []
    form = only_request(hooks, "/number").form
    assert form["OptOutType"] == "HELP"
    assert form["MessagingServiceSid"] == service.sid


def test_service_without_inbound_url_falls_back_to_the_number_url(client, control, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(client, pn.sid)
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    request = only_request(hooks, "/number")
    assert request.form["MessagingServiceSid"] == service.sid
    assert request.form["To"] == NUMBER


# -- keyword forwarding (1.3, 3.3, 3.4) -------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["STOP", "UNSUBSCRIBE", "START", "UNSTOP"])
def test_opt_out_and_opt_in_keywords_are_forwarded(client, control, hooks, keyword):
    number_with_url(client, hooks)
    control.inbound(from_=HANDSET, to=NUMBER, body=keyword)
    control.wait_for_webhooks()
    request = only_request(hooks)
    assert request.form["Body"] == keyword
    assert "OptOutType" not in request.form  # no Advanced Opt-Out


@pytest.mark.parametrize("keyword", ["HELP", "INFO", "help"])
def test_help_keywords_are_not_forwarded_by_default(client, control, account, hooks, keyword):
    number_with_url(client, hooks)
    result = control.inbound(from_=HANDSET, to=NUMBER, body=keyword)
    assert result["opt_out_type"] == "HELP"
    control.wait_for_webhooks()
    assert hooks.received() == []
    assert control.webhooks(account_sid=account[0], kind="incoming-message") == []


def test_help_to_a_service_number_without_advanced_opt_out_is_not_forwarded(client, control, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service_with_number(client, pn.sid, inbound_request_url=hooks.url("/service"))
    control.inbound(from_=HANDSET, to=NUMBER, body="HELP")
    control.wait_for_webhooks()
    assert hooks.received() == []


@pytest.mark.parametrize(
    ("body", "opt_out_type"), [("stop", "STOP"), ("START", "START"), ("HELP", "HELP"), ("INFO", "HELP")]
)
def test_advanced_opt_out_forwards_keywords_with_opt_out_type(client, control, hooks, body, opt_out_type):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(client, pn.sid, inbound_request_url=hooks.url("/service"))
    control.advanced_opt_out(service.sid, enabled=True)
    control.inbound(from_=HANDSET, to=NUMBER, body=body)
    control.wait_for_webhooks()
    request = only_request(hooks, "/service")
    assert request.form["Body"] == body
    assert request.form["OptOutType"] == opt_out_type
    assert request.form["MessagingServiceSid"] == service.sid


def test_advanced_opt_out_custom_keyword_gets_opt_out_type(client, control, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(client, pn.sid, inbound_request_url=hooks.url("/service"))
    control.advanced_opt_out(service.sid, enabled=True, opt_out_keywords=["ARRET"])
    control.inbound(from_=HANDSET, to=NUMBER, body="ARRET")
    control.wait_for_webhooks()
    assert only_request(hooks, "/service").form["OptOutType"] == "STOP"


def test_advanced_opt_out_ordinary_message_has_no_opt_out_type(client, control, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(client, pn.sid, inbound_request_url=hooks.url("/service"))
    control.advanced_opt_out(service.sid, enabled=True)
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    form = only_request(hooks, "/service").form
    assert form["Body"] == "Hello"
    assert "OptOutType" not in form


def test_advanced_opt_out_disabled_again_drops_opt_out_type(client, control, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(client, pn.sid, inbound_request_url=hooks.url("/service"))
    control.advanced_opt_out(service.sid, enabled=True)
    control.advanced_opt_out(service.sid, enabled=False)
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    control.wait_for_webhooks()
    assert "OptOutType" not in only_request(hooks, "/service").form


def test_opt_out_type_needs_a_service_even_with_a_number_url(client, control, hooks):
    number_with_url(client, hooks)
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    control.wait_for_webhooks()
    assert "OptOutType" not in only_request(hooks).form


@pytest.mark.parametrize("body", ["HELP", "INFO", "STOP", "START"])
def test_stop_filtering_off_forwards_everything(client, control, account, hooks, body):
    number_with_url(client, hooks)
    control.settings(account[0], stop_filtering=False)
    control.inbound(from_=HANDSET, to=NUMBER, body=body)
    control.wait_for_webhooks()
    request = only_request(hooks)
    assert request.form["Body"] == body
    assert "OptOutType" not in request.form


def test_stop_filtering_off_sends_no_opt_out_type_even_with_advanced_opt_out(client, control, account, hooks):
    pn = number_with_url(client, hooks, path="/number")
    service = service_with_number(client, pn.sid, inbound_request_url=hooks.url("/service"))
    control.advanced_opt_out(service.sid, enabled=True)
    control.settings(account[0], stop_filtering=False)
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    control.wait_for_webhooks()
    form = only_request(hooks, "/service").form
    assert form["Body"] == "STOP"
    assert "OptOutType" not in form


def test_webhook_is_signed_with_the_current_auth_token(client, control, account, hooks):
    number_with_url(client, hooks)
    new_token = "f" * 32
    control.settings(account[0], auth_token=new_token)
    control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    request = only_request(hooks)
    signature = request.headers["X-Twilio-Signature"]
    assert RequestValidator(new_token).validate(hooks.url("/sms"), request.form, signature)
    assert not RequestValidator(account[1]).validate(hooks.url("/sms"), request.form, signature)


def test_inbound_delivery_is_recorded_for_inspection(client, control, account, hooks):
    number_with_url(client, hooks)
    result = control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
    control.wait_for_webhooks()
    deliveries = control.webhooks(account_sid=account[0], kind="incoming-message")
    assert len(deliveries) == 1
    delivery = deliveries[0]
    assert delivery["message_sid"] == result["message"]["sid"]
    assert delivery["url"] == hooks.url("/sms")
    assert delivery["method"] == "POST"
    assert delivery["status_code"] == 200
    assert delivery["error_code"] is None
    assert delivery["params"]["Body"] == "Hello"
