"""TwiML answers to incoming-message webhooks: <Message> replies (outbound-reply Messages, subject to
opt-out rules), <Redirect>, empty answers, and the failure codes 11200/12100/12200/14110. Expected
values come from Twilio's docs: www.twilio.com/docs/messaging/twiml/message, support.twilio.com/hc/en-us/articles/223134027, and the error pages."""

from __future__ import annotations

import socket
import time

import pytest
from twilio.request_validator import RequestValidator

from emulator import Settings
from emulator.testing import EmulatorServer, WebhookReceiver, twilio_client

NUMBER = "+15557650001"
OTHER_NUMBER = "+15557650002"
HANDSET = "+15551230001"
OTHER_HANDSET = "+15551230002"


@pytest.fixture
def number(client, hooks):
    """NUMBER, with its SmsUrl at hooks /sms."""
    return client.incoming_phone_numbers.create(phone_number=NUMBER, sms_url=hooks.url("/sms"))


def answer(hooks, twiml, path="/sms", status=200):
    hooks.respond(path, twiml, status=status)


def text_in(control, body="Hello", from_=HANDSET):
    result = control.inbound(from_=from_, to=NUMBER, body=body)
    control.wait_for_webhooks()
    return result


def incoming(control, account):
    deliveries = control.webhooks(account_sid=account[0], kind="incoming-message")
    assert len(deliveries) == 1, deliveries
    return deliveries[0]


def replies_in_log(client):
    return [m for m in client.messages.list() if m.direction == "outbound-reply"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_emulator_still_works(client):
    message = client.messages.create(to=OTHER_HANDSET, from_=NUMBER, body="still alive")
    assert message.status == "queued"
    assert client.messages(message.sid).fetch().sid == message.sid


# -- <Message> ----------------------------------------------------------------------------------


def test_message_reply_becomes_an_outbound_reply_message(client, control, account, hooks, number):
    answer(hooks, "<Response><Message>Thanks!</Message></Response>")
    text_in(control)
    delivery = incoming(control, account)
    assert delivery["error_code"] is None
    assert len(delivery["replies"]) == 1
    reply = delivery["replies"][0]
    assert reply["to"] == HANDSET and reply["from"] == NUMBER and reply["body"] == "Thanks!"
    assert reply["error_code"] is None
    assert reply["sid"]
    sent = replies_in_log(client)
    assert [m.sid for m in sent] == [reply["sid"]]
    message = sent[0]
    assert message.to == HANDSET
    assert message.from_ == NUMBER
    assert message.body == "Thanks!"
    assert message.account_sid == account[0]
    assert client.messages(message.sid).fetch().direction == "outbound-reply"


def test_sms_verb_is_accepted_like_message(client, control, account, hooks, number):
    answer(hooks, "<Response><Sms>Old style</Sms></Response>")
    text_in(control)
    assert incoming(control, account)["error_code"] is None
    assert [m.body for m in replies_in_log(client)] == ["Old style"]


def test_several_messages_send_several_replies(client, control, account, hooks, number):
    answer(hooks, "<Response><Message>one</Message><Message>two</Message></Response>")
    text_in(control)
    delivery = incoming(control, account)
    assert [r["body"] for r in delivery["replies"]] == ["one", "two"]
    assert all(r["sid"] and r["error_code"] is None for r in delivery["replies"])
    assert sorted(m.body for m in replies_in_log(client)) == ["one", "two"]


def test_to_and_from_attributes(client, control, account, hooks, number):
    client.incoming_phone_numbers.create(phone_number=OTHER_NUMBER)
    answer(hooks, f'<Response><Message to="{OTHER_HANDSET}" from="{OTHER_NUMBER}">Forwarded</Message></Response>')
    text_in(control)
    reply = incoming(control, account)["replies"][0]
    assert (reply["to"], reply["from"], reply["error_code"]) == (OTHER_HANDSET, OTHER_NUMBER, None)
    [message] = replies_in_log(client)
    assert message.to == OTHER_HANDSET
    assert message.from_ == OTHER_NUMBER
    assert message.body == "Forwarded"


def test_nested_body_and_media(client, control, account, hooks, number):
    answer(
        hooks,
        "<Response><Message><Body>Look at this</Body>"
        "<Media>https://example.com/cat.jpg</Media></Message></Response>",
    )
    text_in(control)
    [message] = replies_in_log(client)
    assert message.body == "Look at this"
    assert message.num_media == "1"
    assert message.sid.startswith("MM")  # 6.3: SIDs start MM when media is attached


def test_empty_response_sends_nothing(client, control, account, hooks, number):
    answer(hooks, "<Response/>")
    text_in(control)
    delivery = incoming(control, account)
    assert delivery["status_code"] == 200
    assert delivery["error_code"] is None
    assert delivery["replies"] == []
    assert replies_in_log(client) == []


def test_empty_body_answer_sends_nothing_and_is_no_error(client, control, account, hooks, number):
    answer(hooks, "")
    text_in(control)
    delivery = incoming(control, account)
    assert delivery["error_code"] is None
    assert replies_in_log(client) == []


def test_message_action_receives_the_reply_status_callbacks(client, control, account, hooks, number):
    answer(hooks, f'<Response><Message action="{hooks.url("/reply-status")}">Hi</Message></Response>')
    text_in(control)
    [message] = replies_in_log(client)
    control.wait_for_webhooks()
    callbacks = hooks.received("/reply-status")
    assert [c.form["MessageStatus"] for c in callbacks] == ["sending", "sent", "delivered"]
    for callback in callbacks:
        assert callback.method == "POST"
        assert callback.form["MessageSid"] == message.sid
        assert callback.form["To"] == HANDSET and callback.form["From"] == NUMBER
        signature = callback.headers["X-Twilio-Signature"]
        assert RequestValidator(account[1]).validate(hooks.url("/reply-status"), callback.form, signature)


def test_message_action_with_method_get(client, control, account, hooks, number):
    answer(hooks, f'<Response><Message action="{hooks.url("/reply-status")}" method="GET">Hi</Message></Response>')
    text_in(control)
    [message] = replies_in_log(client)
    control.wait_for_webhooks()
    callbacks = hooks.received("/reply-status")
    assert [c.method for c in callbacks] == ["GET", "GET", "GET"]
    assert [c.form["MessageStatus"] for c in callbacks] == ["sending", "sent", "delivered"]
    assert all(c.form["MessageSid"] == message.sid for c in callbacks)
    for callback in callbacks:  # GET: the full URL with its query string is signed, no body parameters
        assert RequestValidator(account[1]).validate(callback.url, {}, callback.headers["X-Twilio-Signature"])


# -- opt-out rules apply to replies (1.3) ---------------------------------------------------------


def test_reply_to_stop_is_refused_with_21610(client, control, account, hooks, number):
    answer(hooks, "<Response><Message>Sorry to see you go</Message></Response>")
    text_in(control, body="STOP")
    assert len(hooks.received("/sms")) == 1  # STOP is forwarded
    delivery = incoming(control, account)
    assert len(delivery["replies"]) == 1
    reply = delivery["replies"][0]
    assert reply["to"] == HANDSET
    assert reply["from"] == NUMBER
    assert reply["body"] == "Sorry to see you go"
    assert reply["sid"] is None
    assert reply["error_code"] == 21610
    assert replies_in_log(client) == []


def test_reply_to_start_after_stop_is_sent(client, control, account, hooks, number):
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    control.wait_for_webhooks()
    answer(hooks, "<Response><Message>Welcome back</Message></Response>")
    result = text_in(control, body="START")
    delivery = [d for d in control.webhooks(account_sid=account[0]) if d["message_sid"] == result["message"]["sid"]]
    assert len(delivery) == 1
    [reply] = delivery[0]["replies"]
    assert reply["error_code"] is None and reply["sid"]
    assert [m.body for m in replies_in_log(client)] == ["Welcome back"]


def test_reply_to_another_handset_that_opted_out_is_refused(client, control, account, hooks, number):
    control.inbound(from_=OTHER_HANDSET, to=NUMBER, body="STOP")
    control.wait_for_webhooks()
    answer(hooks, f'<Response><Message to="{OTHER_HANDSET}">x</Message><Message>ok</Message></Response>')
    result = text_in(control, body="Hello")
    [delivery] = [d for d in control.webhooks(account_sid=account[0]) if d["message_sid"] == result["message"]["sid"]]
    refused, sent = delivery["replies"]
    assert (refused["to"], refused["sid"], refused["error_code"]) == (OTHER_HANDSET, None, 21610)
    assert sent["to"] == HANDSET and sent["sid"] and sent["error_code"] is None
    assert [m.to for m in replies_in_log(client)] == [HANDSET]


def test_reply_to_stop_is_sent_when_stop_filtering_is_off(client, control, account, hooks, number):
    control.settings(account[0], stop_filtering=False)
    answer(hooks, "<Response><Message>Noted</Message></Response>")
    text_in(control, body="STOP")
    [reply] = incoming(control, account)["replies"]
    assert reply["error_code"] is None and reply["sid"]
    assert [m.body for m in replies_in_log(client)] == ["Noted"]


def test_reply_gets_the_api_send_checks(client, control, account, hooks, number):
    answer(hooks, '<Response><Message to="123">bad to</Message><Message to="+15005550004">magic</Message></Response>')
    text_in(control)
    bad, opted_out = incoming(control, account)["replies"]
    assert (bad["sid"], bad["error_code"]) == (None, 21211)  # 4.2: invalid To
    assert (opted_out["sid"], opted_out["error_code"]) == (None, 21610)  # 5: magic opted-out To
    assert replies_in_log(client) == []


def test_fault_applies_to_a_reply(client, control, account, hooks, number):
    control.faults({"to": HANDSET, "status": "undelivered", "error_code": 30005})
    answer(hooks, "<Response><Message>Thanks!</Message></Response>")
    text_in(control)
    [message] = replies_in_log(client)
    control.wait_for_webhooks()
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30005)


# -- <Redirect> ------------------------------------------------------------------------------------


def test_redirect_is_followed(client, control, account, hooks, number):
    answer(hooks, f"<Response><Redirect>{hooks.url('/next')}</Redirect></Response>")
    answer(hooks, "<Response><Message>From next</Message></Response>", path="/next")
    result = text_in(control)
    sid = result["message"]["sid"]
    [followed] = hooks.received("/next")
    assert followed.method == "POST"
    assert followed.form["MessageSid"] == sid
    assert followed.form["Body"] == "Hello"
    assert followed.headers.get("User-Agent") == "TwilioProxy/1.1"
    assert followed.headers.get("I-Twilio-Idempotency-Token")
    assert followed.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
    signature = followed.headers["X-Twilio-Signature"]
    assert RequestValidator(account[1]).validate(hooks.url("/next"), followed.form, signature)
    redirects = control.webhooks(account_sid=account[0], kind="redirect")
    assert len(redirects) == 1
    assert redirects[0]["url"] == hooks.url("/next")
    assert redirects[0]["message_sid"] == sid
    assert [m.body for m in replies_in_log(client)] == ["From next"]


def test_redirect_with_method_get(client, control, account, hooks, number):
    answer(hooks, f"<Response><Redirect method=\"GET\">{hooks.url('/next')}</Redirect></Response>")
    answer(hooks, "<Response><Message>via GET</Message></Response>", path="/next")
    result = text_in(control)
    [followed] = hooks.received("/next")
    assert followed.method == "GET"
    assert followed.form["MessageSid"] == result["message"]["sid"]
    assert [m.body for m in replies_in_log(client)] == ["via GET"]


def test_relative_redirect_url_is_resolved_against_the_current_url(client, control, account, hooks, number):
    # twilio.com/docs/messaging/twiml/redirect: the noun is "an absolute or relative URL".
    answer(hooks, "<Response><Redirect>/next</Redirect></Response>")
    answer(hooks, "<Response><Message>relative</Message></Response>", path="/next")
    text_in(control)
    assert len(hooks.received("/next")) == 1
    [redirect] = control.webhooks(account_sid=account[0], kind="redirect")
    assert redirect["url"] == hooks.url("/next")
    assert redirect["error_code"] is None
    assert [m.body for m in replies_in_log(client)] == ["relative"]


def test_verbs_after_redirect_are_ignored(client, control, account, hooks, number):
    # twilio.com/docs/messaging/twiml/redirect: "All verbs after <Redirect> are unreachable and ignored."
    answer(hooks, f"<Response><Redirect>{hooks.url('/next')}</Redirect><Message>ignored</Message></Response>")
    answer(hooks, "<Response><Message>kept</Message></Response>", path="/next")
    text_in(control)
    assert [m.body for m in replies_in_log(client)] == ["kept"]


# -- failures (7.2) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500, 503])
def test_non_2xx_answer_is_11200(client, control, account, hooks, number, status):
    answer(hooks, "<Response><Message>not executed</Message></Response>", status=status)
    text_in(control)
    delivery = incoming(control, account)
    assert delivery["status_code"] == status
    assert delivery["error_code"] == 11200
    assert replies_in_log(client) == []
    assert_emulator_still_works(client)


def test_refused_connection_is_11200(client, control, account):
    client.incoming_phone_numbers.create(phone_number=NUMBER, sms_url=f"http://127.0.0.1:{closed_port()}/sms")
    text_in(control)
    delivery = incoming(control, account)
    assert delivery["error_code"] == 11200
    assert delivery["status_code"] is None
    assert_emulator_still_works(client)


def test_timeout_is_11200(account, control):
    with EmulatorServer(Settings(webhook_timeout=0.5)) as server, WebhookReceiver() as slow:
        slow.respond("/sms", "<Response><Message>too late</Message></Response>", delay=2)
        client = twilio_client(server.url, *account)
        client.incoming_phone_numbers.create(phone_number=NUMBER, sms_url=slow.url("/sms"))
        server.control.inbound(from_=HANDSET, to=NUMBER, body="Hello")
        started = time.monotonic()
        server.control.wait_for_webhooks(timeout=10)
        assert time.monotonic() - started < 1.8  # gave up after ~0.5 s, not after the 2 s answer
        [delivery] = server.control.webhooks(kind="incoming-message")
        assert delivery["error_code"] == 11200
        assert delivery["replies"] == []
        assert [m for m in client.messages.list() if m.direction == "outbound-reply"] == []
        assert_emulator_still_works(client)


@pytest.mark.parametrize(
    "document",
    ["<Response><Message>unclosed</Response>", "not xml at all <", "<Response><Message>a & b</Message></Response>"],
)
def test_invalid_xml_is_12100(client, control, account, hooks, number, document):
    answer(hooks, document)
    text_in(control)
    delivery = incoming(control, account)
    assert delivery["status_code"] == 200
    assert delivery["error_code"] == 12100
    assert replies_in_log(client) == []
    assert_emulator_still_works(client)


@pytest.mark.parametrize("document", ["<Reply><Message>hi</Message></Reply>", "<Message>hi</Message>"])
def test_root_other_than_response_is_12200(client, control, account, hooks, number, document):
    answer(hooks, document)
    text_in(control)
    delivery = incoming(control, account)
    assert delivery["error_code"] == 12200
    assert replies_in_log(client) == []
    assert_emulator_still_works(client)


def test_unknown_verb_is_14110(client, control, account, hooks, number):
    answer(hooks, "<Response><Dial>+15550000000</Dial></Response>")
    text_in(control)
    delivery = incoming(control, account)
    assert delivery["error_code"] == 14110
    assert replies_in_log(client) == []
    assert_emulator_still_works(client)
