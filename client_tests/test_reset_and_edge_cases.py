"""Regression tests from review: a reset while a webhook is on the wire, WhatsApp and SMS opt-outs,
and a TwiML answer with one bad URL."""

from __future__ import annotations

import time

import requests

from emulator import Settings
from emulator.testing import EmulatorServer, WebhookReceiver

AC, TOKEN = "AC" + "1" * 32, "token"
NUMBER, HANDSET = "+15557650001", "+15551230001"


def test_a_reset_during_a_webhook_leaves_no_trace_and_a_restart_works(tmp_path):
    db = str(tmp_path / "race.db")
    with WebhookReceiver() as hooks, EmulatorServer(Settings(db=db)) as server:
        hooks.respond("/sms", "<Response><Message>late reply</Message></Response>", delay=0.5)
        api = f"{server.url}/2010-04-01/Accounts/{AC}"
        created = requests.post(f"{api}/IncomingPhoneNumbers.json", auth=(AC, TOKEN),
                                data={"PhoneNumber": NUMBER, "SmsUrl": hooks.url("/sms")}, timeout=5)
        assert created.status_code == 201
        server.control.inbound(from_=HANDSET, to=NUMBER, body="hello")
        deadline = time.monotonic() + 10
        while not hooks.received("/sms") and time.monotonic() < deadline:  # the webhook is on the wire
            time.sleep(0.01)
        assert hooks.received("/sms")
        server.control.reset()
        server.control.wait_for_webhooks()
        # The late TwiML answer wrote nothing into the fresh state.
        assert server.control.webhooks() == []
        assert server.control.messages() == []
        again = requests.post(f"{api}/IncomingPhoneNumbers.json", auth=(AC, TOKEN), data={"PhoneNumber": NUMBER},
                              timeout=5)
        assert again.status_code == 201, again.text
    with EmulatorServer(Settings(db=db)) as restarted:  # the store is consistent: it restores
        assert [m["direction"] for m in restarted.control.messages()] == []


def test_sms_opt_outs_do_not_block_whatsapp(client, control):
    client.messages.create(to=HANDSET, from_=NUMBER, body="hi")
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    message = client.messages.create(to=f"whatsapp:{HANDSET}", from_=f"whatsapp:{NUMBER}", body="hi on WhatsApp")
    assert message.status == "queued"


def test_one_bad_url_in_a_twiml_answer_spoils_only_its_own_message(client, control, hooks):
    hooks.respond("/sms", '<Response><Message action="http://[bad">one</Message><Message>two</Message></Response>')
    client.incoming_phone_numbers.create(phone_number=NUMBER, sms_url=hooks.url("/sms"))
    control.inbound(from_=HANDSET, to=NUMBER, body="hello")
    control.wait_for_webhooks()
    [delivery] = control.webhooks(kind="incoming-message")
    first, second = delivery["replies"]
    assert (first["body"], first["sid"], first["error_code"]) == ("one", None, 12200)
    assert second["body"] == "two" and second["error_code"] is None and second["sid"].startswith("SM")
    assert [m.body for m in client.messages.list() if m.direction == "outbound-reply"] == ["two"]
