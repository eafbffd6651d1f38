"""Status callbacks and the outbound status lifecycle: which URL, which statuses (none for the initial
one), the parameters, signatures, progression modes (immediate, manual, timed) and that webhooks never
block the API. Expected values come from Twilio's docs: www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks
and www.twilio.com/docs/usage/webhooks/webhooks-security."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime

import pytest
import requests
from twilio.request_validator import RequestValidator

from emulator.testing import WebhookReceiver

NUMBER = "+15557650001"
HANDSET = "+15551230001"
OTHER_HANDSET = "+15551230002"
COMMON = {"MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "AccountSid", "From", "To", "ApiVersion"}


@pytest.fixture
def service(client, hooks):
    """A Messaging Service with StatusCallback at hooks /service-status and NUMBER in its pool."""
    svc = client.messaging.v1.services.create(friendly_name="svc", status_callback=hooks.url("/service-status"))
    pn = client.incoming_phone_numbers.create(phone_number=NUMBER)
    client.messaging.v1.services(svc.sid).phone_numbers.create(phone_number_sid=pn.sid)
    return svc


def statuses(hooks, path="/status", sid=None):
    return [r.form["MessageStatus"] for r in hooks.received(path) if sid is None or r.form["MessageSid"] == sid]


def fetch_status(client, sid):
    return client.messages(sid).fetch().status


def emulator_now(base_url) -> datetime:
    now = requests.get(f"{base_url}/_emulator/clock", timeout=10).json()["now"]
    return datetime.fromisoformat(now.replace("Z", "+00:00"))


# -- what is sent, and when (6.4) ------------------------------------------------------------------


def test_callback_for_every_status_after_the_initial_one(client, control, account, hooks):
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=hooks.url("/status"))
    assert message.status == "queued"
    control.wait_for_webhooks()
    assert statuses(hooks) == ["sending", "sent", "delivered"]
    for request in hooks.received("/status"):
        form = request.form
        assert COMMON <= set(form), sorted(COMMON - set(form))
        assert form["MessageSid"] == form["SmsSid"] == message.sid
        assert form["SmsStatus"] == form["MessageStatus"]
        assert form["AccountSid"] == account[0]
        assert form["From"] == NUMBER and form["To"] == HANDSET
        assert form["ApiVersion"] == "2010-04-01"
        assert "ErrorCode" not in form
        assert "MessagingServiceSid" not in form
        assert ("RawDlrDoneDate" in form) == (form["MessageStatus"] == "delivered")


def test_callback_headers_and_signature(client, control, account, hooks):
    client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=hooks.url("/status"))
    control.wait_for_webhooks()
    received = hooks.received("/status")
    assert len(received) == 3
    validator = RequestValidator(account[1])
    for request in received:
        assert request.method == "POST"
        assert request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
        assert request.headers.get("User-Agent") == "TwilioProxy/1.1"
        assert validator.validate(hooks.url("/status"), request.form, request.headers["X-Twilio-Signature"])
        assert not RequestValidator("wrong").validate(
            hooks.url("/status"), request.form, request.headers["X-Twilio-Signature"]
        )
    tokens = [r.headers.get("I-Twilio-Idempotency-Token") for r in received]
    assert all(tokens) and len(set(tokens)) == 3


def test_signature_covers_a_query_string_in_the_callback_url(client, control, account, hooks):
    url = hooks.url("/status?customer=42&kind=a")
    client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=url)
    control.wait_for_webhooks()
    received = hooks.received("/status")
    assert [r.form["MessageStatus"] for r in received] == ["sending", "sent", "delivered"]
    for request in received:
        assert RequestValidator(account[1]).validate(url, request.form, request.headers["X-Twilio-Signature"])


def test_raw_dlr_done_date_is_yymmddhhmm_of_the_delivery(client, control, base_url, hooks):
    client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=hooks.url("/status"))
    control.wait_for_webhooks()
    delivered = [r for r in hooks.received("/status") if r.form["MessageStatus"] == "delivered"]
    assert len(delivered) == 1
    raw = delivered[0].form["RawDlrDoneDate"]
    assert re.fullmatch(r"\d{10}", raw), raw
    done = datetime.strptime(raw, "%y%m%d%H%M").replace(tzinfo=UTC)
    assert abs((emulator_now(base_url) - done).total_seconds()) < 180


def test_no_callback_without_a_callback_url(client, control, account, hooks):
    client.incoming_phone_numbers.create(phone_number=NUMBER)
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi")
    control.wait_for_webhooks()
    assert fetch_status(client, message.sid) == "delivered"
    assert control.webhooks(account_sid=account[0], kind="status-callback") == []
    assert hooks.received() == []


def test_failing_callback_target_does_not_change_the_message(client, control, account, hooks):
    hooks.respond("/status", "boom", status=500)
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=hooks.url("/status"))
    control.wait_for_webhooks()
    assert statuses(hooks) == ["sending", "sent", "delivered"]
    assert fetch_status(client, message.sid) == "delivered"
    deliveries = control.webhooks(account_sid=account[0], message_sid=message.sid, kind="status-callback")
    assert [d["error_code"] for d in deliveries] == [11200, 11200, 11200]


def test_callbacks_to_a_refusing_port_each_fail_and_the_port_is_tried_again_a_second_later(client, control, account):
    import socket

    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/status"
    sids = [client.messages.create(to=HANDSET, from_=NUMBER, body=f"{i}", status_callback=dead).sid for i in range(5)]
    control.wait_for_webhooks()
    deliveries = control.webhooks(account_sid=account[0], kind="status-callback")
    # Every callback is attempted and recorded as Twilio's 11200; right after a refusal the same
    # target fails at once (a dead port must not slow the API), saying so.
    assert sorted(d["message_sid"] for d in deliveries) == sorted(sids * 3)
    assert {d["error_code"] for d in deliveries} == {11200}
    assert any("not tried again" not in d["error_message"] for d in deliveries)
    assert any("not tried again within 1s" in d["error_message"] for d in deliveries)
    time.sleep(1.5)
    later = client.messages.create(to=HANDSET, from_=NUMBER, body="later", status_callback=dead)
    control.wait_for_webhooks()
    first = control.webhooks(message_sid=later.sid)[0]
    assert first["error_code"] == 11200 and "not tried again" not in first["error_message"]


# -- which URL -------------------------------------------------------------------------------------


def test_service_send_callbacks_start_after_accepted(client, control, account, hooks, service):
    message = client.messages.create(to=HANDSET, messaging_service_sid=service.sid, body="Hi")
    assert message.status == "accepted"
    control.wait_for_webhooks()
    received = hooks.received("/service-status")
    assert [r.form["MessageStatus"] for r in received] == ["queued", "sending", "sent", "delivered"]
    for request in received:
        assert request.form["MessageSid"] == message.sid
        assert request.form["MessagingServiceSid"] == service.sid
        assert request.form["From"] == NUMBER  # the pool sender
        assert RequestValidator(account[1]).validate(
            hooks.url("/service-status"), request.form, request.headers["X-Twilio-Signature"]
        )


def test_number_status_callback_is_used(client, control, hooks):
    client.incoming_phone_numbers.create(phone_number=NUMBER, status_callback=hooks.url("/number-status"))
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi")
    control.wait_for_webhooks()
    assert statuses(hooks, "/number-status", sid=message.sid) == ["sending", "sent", "delivered"]


def test_message_status_callback_overrides_the_service_one(client, control, hooks, service):
    message = client.messages.create(
        to=HANDSET, messaging_service_sid=service.sid, body="Hi", status_callback=hooks.url("/status")
    )
    control.wait_for_webhooks()
    assert statuses(hooks, "/status", sid=message.sid) == ["queued", "sending", "sent", "delivered"]
    assert hooks.received("/service-status") == []


def test_service_status_callback_wins_over_the_pool_number_one(client, control, hooks):
    svc = client.messaging.v1.services.create(friendly_name="svc", status_callback=hooks.url("/service-status"))
    pn = client.incoming_phone_numbers.create(phone_number=NUMBER, status_callback=hooks.url("/number-status"))
    client.messaging.v1.services(svc.sid).phone_numbers.create(phone_number_sid=pn.sid)
    message = client.messages.create(to=HANDSET, messaging_service_sid=svc.sid, body="Hi")
    control.wait_for_webhooks()
    assert statuses(hooks, "/service-status", sid=message.sid) == ["queued", "sending", "sent", "delivered"]
    assert hooks.received("/number-status") == []


def test_message_status_callback_overrides_the_number_one(client, control, hooks):
    client.incoming_phone_numbers.create(phone_number=NUMBER, status_callback=hooks.url("/number-status"))
    client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=hooks.url("/status"))
    control.wait_for_webhooks()
    assert statuses(hooks, "/status") == ["sending", "sent", "delivered"]
    assert hooks.received("/number-status") == []


def test_callbacks_of_two_messages_each_arrive_in_order(client, control, hooks):
    first = client.messages.create(to=HANDSET, from_=NUMBER, body="1", status_callback=hooks.url("/status"))
    second = client.messages.create(to=OTHER_HANDSET, from_=NUMBER, body="2", status_callback=hooks.url("/status"))
    control.wait_for_webhooks()
    assert statuses(hooks, sid=first.sid) == ["sending", "sent", "delivered"]
    assert statuses(hooks, sid=second.sid) == ["sending", "sent", "delivered"]


# -- opted-out recipient through a service (3.2) ---------------------------------------------------


def test_service_send_to_opted_out_recipient_fails_with_21610_in_the_callback(client, control, account, hooks, service):
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    message = client.messages.create(to=HANDSET, messaging_service_sid=service.sid, body="Hi")
    assert message.status == "accepted"
    control.wait_for_webhooks()
    received = hooks.received("/service-status")
    assert [r.form["MessageStatus"] for r in received] == ["failed"]
    form = received[0].form
    assert form["ErrorCode"] == "21610"
    assert form["MessageSid"] == message.sid
    assert form["MessagingServiceSid"] == service.sid
    assert "RawDlrDoneDate" not in form
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "failed"
    assert fetched.error_code == 21610


# -- progression modes -------------------------------------------------------------------------------


def test_manual_progression_moves_one_step_per_advance(client, control, account, hooks):
    control.settings(account[0], progression="manual")
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=hooks.url("/status"))
    control.wait_for_webhooks()
    assert fetch_status(client, message.sid) == "queued"
    assert hooks.received("/status") == []
    expected = []
    for status in ("sending", "sent", "delivered"):
        control.advance(message_sid=message.sid)
        control.wait_for_webhooks()
        expected.append(status)
        assert fetch_status(client, message.sid) == status
        assert statuses(hooks) == expected


def test_manual_progression_of_a_service_send_stays_accepted(client, control, account, hooks, service):
    control.settings(account[0], progression="manual")
    message = client.messages.create(to=HANDSET, messaging_service_sid=service.sid, body="Hi")
    control.wait_for_webhooks()
    assert fetch_status(client, message.sid) == "accepted"
    assert hooks.received("/service-status") == []
    control.advance(message_sid=message.sid)
    control.wait_for_webhooks()
    assert fetch_status(client, message.sid) == "queued"
    assert statuses(hooks, "/service-status") == ["queued"]


def test_manual_progression_until_final_for_the_account(client, control, account, hooks):
    control.settings(account[0], progression="manual")
    first = client.messages.create(to=HANDSET, from_=NUMBER, body="1", status_callback=hooks.url("/status"))
    second = client.messages.create(to=OTHER_HANDSET, from_=NUMBER, body="2", status_callback=hooks.url("/status"))
    control.advance(account_sid=account[0], until_final=True)
    control.wait_for_webhooks()
    assert fetch_status(client, first.sid) == "delivered"
    assert fetch_status(client, second.sid) == "delivered"
    assert statuses(hooks, sid=first.sid) == ["sending", "sent", "delivered"]
    assert statuses(hooks, sid=second.sid) == ["sending", "sent", "delivered"]


def test_manual_progression_advance_of_one_message_leaves_the_others(client, control, account, hooks):
    control.settings(account[0], progression="manual")
    first = client.messages.create(to=HANDSET, from_=NUMBER, body="1")
    second = client.messages.create(to=OTHER_HANDSET, from_=NUMBER, body="2")
    control.advance(message_sid=first.sid, steps=2)
    assert fetch_status(client, first.sid) == "sent"
    assert fetch_status(client, second.sid) == "queued"


def test_timed_progression_steps_as_the_clock_passes(client, control, account, hooks):
    control.settings(account[0], progression="timed", progression_delay=60)
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=hooks.url("/status"))
    assert fetch_status(client, message.sid) == "queued"
    control.advance_clock(50)
    control.wait_for_webhooks()
    assert fetch_status(client, message.sid) == "queued"
    assert hooks.received("/status") == []
    control.advance_clock(15)
    control.wait_for_webhooks()
    assert fetch_status(client, message.sid) == "sending"
    control.advance_clock(61)
    assert fetch_status(client, message.sid) == "sent"
    control.advance_clock(61)
    control.wait_for_webhooks()
    assert fetch_status(client, message.sid) == "delivered"
    assert statuses(hooks) == ["sending", "sent", "delivered"]


def test_timed_progression_runs_every_step_that_falls_due_in_one_clock_jump(client, control, account, hooks):
    control.settings(account[0], progression="timed", progression_delay=60)
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=hooks.url("/status"))
    control.advance_clock(3 * 60 + 5)  # three delays have passed
    control.wait_for_webhooks()
    assert fetch_status(client, message.sid) == "delivered"
    assert statuses(hooks) == ["sending", "sent", "delivered"]


# -- webhooks never block the API -------------------------------------------------------------------


class SignallingReceiver(WebhookReceiver):
    """A Receiver that sets `arrived` as soon as a request comes in (before its answer's delay)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        app = self._server.app

        def signalling_app(environ, start_response):
            self.arrived.set()
            return app(environ, start_response)

        self._server.app = signalling_app


def test_slow_callback_target_does_not_slow_create(client, control, account):
    with SignallingReceiver() as slow:
        slow.respond("/status", "", delay=3)
        started = time.monotonic()
        message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi", status_callback=slow.url("/status"))
        elapsed = time.monotonic() - started
        completed = control.webhooks(account_sid=account[0], kind="status-callback")
        assert slow.arrived.wait(5), "the first status callback never arrived"
        slow.respond("/status", "", delay=0)  # the first callback is held 3 s; later ones answer at once
        assert elapsed < 1.5, f"create took {elapsed:.2f}s with a 3 s callback target"
        assert completed == [], "create returned only after a status callback had completed"
        assert message.status == "queued"
        control.wait_for_webhooks(timeout=20)
        assert [r.form["MessageStatus"] for r in slow.received("/status")] == ["sending", "sent", "delivered"]
