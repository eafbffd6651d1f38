"""Scheduled messages (ScheduleType=fixed + SendAt through a Messaging Service: 35111/35114/35115/35118,
cancel, firing on the emulator clock, opt-out at fire time) and injected delivery faults (undelivered /
failed with an error code on the Message and in the status callback). Expected values come from
Twilio's Message resource (www.twilio.com/docs/messaging/api/message-resource) and www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from emulator.testing import EmulatorError

NUMBER = "+15557650001"
HANDSET = "+15551230001"
OTHER_HANDSET = "+15551230002"
UK_HANDSET = "+447700900123"
MINUTE = 60
DAY = 24 * 3600


@pytest.fixture
def service(client, hooks):
    """A Messaging Service with StatusCallback at hooks /status and NUMBER in its pool."""
    svc = client.messaging.v1.services.create(friendly_name="svc", status_callback=hooks.url("/status"))
    pn = client.incoming_phone_numbers.create(phone_number=NUMBER)
    client.messaging.v1.services(svc.sid).phone_numbers.create(phone_number_sid=pn.sid)
    return svc


@pytest.fixture
def number(client, hooks):
    """NUMBER with its StatusCallback at hooks /status."""
    return client.incoming_phone_numbers.create(phone_number=NUMBER, status_callback=hooks.url("/status"))


def emulator_now(base_url) -> datetime:
    now = requests.get(f"{base_url}/_emulator/clock", timeout=10).json()["now"]
    return datetime.fromisoformat(now.replace("Z", "+00:00"))


def ahead(base_url, seconds) -> datetime:
    """The emulator's now plus `seconds`, rounded up to a whole second (SendAt has second precision)."""
    return emulator_now(base_url).replace(microsecond=0) + timedelta(seconds=seconds + 1)


def schedule(client, service_sid, send_at, to=HANDSET, **extra):
    return client.messages.create(
        to=to, messaging_service_sid=service_sid, body="Later", schedule_type="fixed", send_at=send_at, **extra
    )


def callbacks(hooks, sid=None):
    return [r.form for r in hooks.received("/status") if sid is None or r.form["MessageSid"] == sid]


def statuses(hooks, sid=None):
    return [form["MessageStatus"] for form in callbacks(hooks, sid)]


def twilio_error(call):
    with pytest.raises(TwilioRestException) as info:
        call()
    return info.value


# -- scheduling ---------------------------------------------------------------------------------------


def test_scheduled_message_is_created_scheduled(client, control, base_url, hooks, service):
    message = schedule(client, service.sid, ahead(base_url, 10 * MINUTE))
    assert message.status == "scheduled"
    assert message.messaging_service_sid == service.sid
    assert message.date_sent is None
    control.wait_for_webhooks()
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "scheduled"
    assert statuses(hooks) == []  # no callback for the initial status


def test_scheduled_message_is_not_sent_before_send_at(client, control, base_url, hooks, service):
    message = schedule(client, service.sid, ahead(base_url, 10 * MINUTE))
    control.advance_clock(9 * MINUTE)
    control.wait_for_webhooks()
    assert client.messages(message.sid).fetch().status == "scheduled"
    assert statuses(hooks) == []


def test_scheduled_message_fires_at_send_at_and_is_delivered(client, control, base_url, hooks, service):
    message = schedule(client, service.sid, ahead(base_url, 10 * MINUTE))
    control.advance_clock(11 * MINUTE)
    control.wait_for_webhooks()
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "delivered"
    assert fetched.from_ == NUMBER
    assert fetched.date_sent is not None
    seen = statuses(hooks, message.sid)
    assert seen[-3:] == ["sending", "sent", "delivered"], seen
    assert "scheduled" not in seen
    assert all(form["MessagingServiceSid"] == service.sid for form in callbacks(hooks))


def test_scheduled_message_with_its_own_status_callback(client, control, base_url, hooks, service):
    message = schedule(client, service.sid, ahead(base_url, 6 * MINUTE), status_callback=hooks.url("/own"))
    control.advance_clock(7 * MINUTE)
    control.wait_for_webhooks()
    own = [r.form["MessageStatus"] for r in hooks.received("/own") if r.form["MessageSid"] == message.sid]
    assert own[-1] == "delivered"
    assert statuses(hooks) == []


def test_canceled_scheduled_message_is_never_sent(client, control, base_url, hooks, service):
    message = schedule(client, service.sid, ahead(base_url, 10 * MINUTE))
    canceled = client.messages(message.sid).update(status="canceled")
    assert canceled.status == "canceled"
    control.advance_clock(11 * MINUTE)
    control.wait_for_webhooks()
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "canceled"
    assert fetched.date_sent is None
    assert not {"queued", "sending", "sent", "delivered"} & set(statuses(hooks, message.sid))


@pytest.mark.parametrize("lead", [6 * MINUTE, 34 * DAY])
def test_send_at_inside_the_window_is_accepted(client, base_url, service, lead):
    assert schedule(client, service.sid, ahead(base_url, lead)).status == "scheduled"


def test_schedule_without_a_service_is_35118(client, base_url, number):
    error = twilio_error(
        lambda: client.messages.create(
            to=HANDSET, from_=NUMBER, body="Later", schedule_type="fixed", send_at=ahead(base_url, 10 * MINUTE)
        )
    )
    assert (error.status, error.code) == (400, 35118)
    assert client.messages.list() == []


def test_schedule_without_send_at_is_35111(client, service):
    error = twilio_error(
        lambda: client.messages.create(to=HANDSET, messaging_service_sid=service.sid, body="x", schedule_type="fixed")
    )
    assert (error.status, error.code) == (400, 35111)
    assert client.messages.list() == []


@pytest.mark.parametrize("lead", [60, 4 * MINUTE, -MINUTE, 36 * DAY])
def test_send_at_outside_the_window_is_35114(client, base_url, service, lead):
    error = twilio_error(lambda: schedule(client, service.sid, ahead(base_url, lead)))
    assert (error.status, error.code) == (400, 35114)
    assert client.messages.list() == []


def test_unparseable_send_at_is_35115(http, messages_url, client, service):
    response = http.post(
        messages_url,
        data={"To": HANDSET, "MessagingServiceSid": service.sid, "Body": "x", "ScheduleType": "fixed", "SendAt": "tomorrow"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 35115
    assert body["status"] == 400
    assert client.messages.list() == []


def test_stop_before_send_at_makes_the_scheduled_message_fail_with_21610(client, control, base_url, hooks, service):
    message = schedule(client, service.sid, ahead(base_url, 10 * MINUTE))
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    control.advance_clock(11 * MINUTE)
    control.wait_for_webhooks()
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "failed"
    assert fetched.error_code == 21610
    forms = callbacks(hooks, message.sid)
    assert forms and forms[-1]["MessageStatus"] == "failed"
    assert forms[-1]["ErrorCode"] == "21610"
    assert "delivered" not in statuses(hooks, message.sid)


# -- fault injection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [30003, 30005, 30006, 30007, 30034])
def test_undelivered_fault_by_number(client, control, hooks, number, code):
    control.faults({"to": HANDSET, "status": "undelivered", "error_code": code})
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi")
    assert message.status == "queued"
    control.wait_for_webhooks()
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "undelivered"
    assert fetched.error_code == code
    forms = callbacks(hooks, message.sid)
    assert [f["MessageStatus"] for f in forms] == ["sending", "sent", "undelivered"]
    assert [f.get("ErrorCode") for f in forms] == [None, None, str(code)]
    assert "RawDlrDoneDate" in forms[-1]
    assert "RawDlrDoneDate" not in forms[0] and "RawDlrDoneDate" not in forms[1]


@pytest.mark.parametrize("code", [30003, 30007])
def test_failed_fault_by_pattern(client, control, hooks, number, code):
    control.faults({"pattern": r"^\+1555123", "status": "failed", "error_code": code})
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi")
    control.wait_for_webhooks()
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "failed"
    assert fetched.error_code == code
    forms = callbacks(hooks, message.sid)
    seen = [f["MessageStatus"] for f in forms]
    assert seen[-1] == "failed"
    assert "sent" not in seen and "delivered" not in seen
    assert forms[-1]["ErrorCode"] == str(code)
    assert all("ErrorCode" not in f for f in forms[:-1])
    assert "RawDlrDoneDate" not in forms[-1]


def test_fault_only_hits_matching_recipients(client, control, hooks, number):
    control.faults({"pattern": r"^\+1555123", "status": "undelivered", "error_code": 30005})
    hit = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi")
    missed = client.messages.create(to=UK_HANDSET, from_=NUMBER, body="Hi")
    control.wait_for_webhooks()
    assert client.messages(hit.sid).fetch().status == "undelivered"
    fetched = client.messages(missed.sid).fetch()
    assert fetched.status == "delivered"
    assert fetched.error_code is None
    assert statuses(hooks, missed.sid) == ["sending", "sent", "delivered"]


def test_fault_by_number_does_not_hit_other_numbers(client, control, hooks, number):
    control.faults({"to": HANDSET, "status": "failed", "error_code": 30006})
    message = client.messages.create(to=OTHER_HANDSET, from_=NUMBER, body="Hi")
    control.wait_for_webhooks()
    assert client.messages(message.sid).fetch().status == "delivered"


def test_faults_put_returns_them(control):
    listed = control.faults({"to": HANDSET, "status": "undelivered", "error_code": 30003})
    assert len(listed) == 1
    assert listed[0]["to"] == HANDSET
    assert listed[0]["status"] == "undelivered"
    assert listed[0]["error_code"] == 30003


def test_faults_without_arguments_clears_them(client, control, hooks, number):
    control.faults({"to": HANDSET, "status": "undelivered", "error_code": 30003})
    assert control.faults() == []
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi")
    control.wait_for_webhooks()
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "delivered"
    assert fetched.error_code is None


def test_faults_replace_the_previous_ones(client, control, hooks, number):
    control.faults({"to": HANDSET, "status": "undelivered", "error_code": 30003})
    control.faults({"to": OTHER_HANDSET, "status": "undelivered", "error_code": 30005})
    first = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi")
    second = client.messages.create(to=OTHER_HANDSET, from_=NUMBER, body="Hi")
    control.wait_for_webhooks()
    assert client.messages(first.sid).fetch().status == "delivered"
    fetched = client.messages(second.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30005)


def test_fault_on_a_service_send(client, control, hooks, service):
    control.faults({"to": HANDSET, "status": "undelivered", "error_code": 30034})
    message = client.messages.create(to=HANDSET, messaging_service_sid=service.sid, body="Hi")
    assert message.status == "accepted"
    control.wait_for_webhooks()
    forms = callbacks(hooks, message.sid)
    assert [f["MessageStatus"] for f in forms] == ["queued", "sending", "sent", "undelivered"]
    assert forms[-1]["ErrorCode"] == "30034"
    assert forms[-1]["MessagingServiceSid"] == service.sid
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30034)


def test_fault_with_manual_progression(client, control, account, hooks, number):
    control.settings(account[0], progression="manual")
    control.faults({"to": HANDSET, "status": "undelivered", "error_code": 30003})
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi")
    control.advance(message_sid=message.sid, steps=2)
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("sent", None)
    control.advance(message_sid=message.sid)
    control.wait_for_webhooks()
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)
    assert statuses(hooks, message.sid) == ["sending", "sent", "undelivered"]


@pytest.mark.parametrize(
    "fault",
    [
        {"to": HANDSET, "status": "delivered", "error_code": 30003},
        {"to": HANDSET, "pattern": "^\\+1", "status": "failed", "error_code": 30003},
        {"status": "failed", "error_code": 30003},
        {"pattern": "(", "status": "failed", "error_code": 30003},
        {"to": HANDSET, "status": "failed", "error_code": "abc"},
        {"to": HANDSET, "status": "failed", "error_code": 30003, "colour": "red"},
    ],
    ids=["bad-status", "to-and-pattern", "no-target", "bad-regex", "bad-code", "unknown-key"],
)
def test_invalid_fault_is_refused(control, fault):
    with pytest.raises(EmulatorError) as info:
        control.faults(fault)
    assert info.value.status == 400


def test_invalid_fault_leaves_the_previous_faults(client, control, hooks, number):
    control.faults({"to": HANDSET, "status": "undelivered", "error_code": 30003})
    with pytest.raises(EmulatorError):
        control.faults({"to": HANDSET, "status": "bogus"})
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="Hi")
    control.wait_for_webhooks()
    assert client.messages(message.sid).fetch().status == "undelivered"
