"""Opt-out rules by sender type (support.twilio.com/hc/en-us/articles/223134027 and support.twilio.com/hc/en-us/articles/360058144374): toll-free, short code,
alphanumeric sender ID and RCS (Twilio's changelog, 2026-03-15: unified opt-outs); long codes (2.1) are in test_optout_long_code.py."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from client_tests.reference import HELP_REPLY, OPT_IN_REPLY, OPT_OUT_REPLY, replies

TOLL_FREE = "+18885550100"
SHORT_CODE = "55555"
LONG_CODE = "+15557650001"
ALPHA = "ACME"
HANDSET = "+15551230001"
UK_HANDSET = "+447700900123"  # alphanumeric senders cannot reach US/Canadian numbers

# Section 2.2.
TOLL_FREE_STOP_REPLY = (
    'NETWORK MSG: You replied with the word "stop" which blocks all texts sent from this number. '
    'Text back "unstop" to receive messages again.'
)


def toll_free_opt_in_reply(echo: str) -> str:
    return f'NETWORK MSG: You have replied "{echo}" and will begin receiving messages again from this number.'


def send(client, from_, to=HANDSET, body="Hello"):
    return client.messages.create(to=to, from_=from_, body=body)


def assert_blocked(client, from_, to=HANDSET):
    with pytest.raises(TwilioRestException) as info:
        send(client, from_, to)
    assert (info.value.code, info.value.status) == (21610, 400), info.value


def assert_allowed(client, from_, to=HANDSET):
    message = send(client, from_, to)
    assert message.status == "queued"
    assert message.from_ == from_
    return message


@pytest.fixture
def toll_free(client):
    client.incoming_phone_numbers.create(phone_number=TOLL_FREE)
    return TOLL_FREE


@pytest.fixture
def short_code(client):
    """The short code 55555, provisioned by a first send; returns its SID."""
    assert_allowed(client, SHORT_CODE)
    (code,) = [sc for sc in client.short_codes.list() if sc.short_code == SHORT_CODE]
    return code.sid


def service_with(client, *, phone_number_sids=(), short_code_sids=()):
    service = client.messaging.v1.services.create(friendly_name="pool")
    for sid in phone_number_sids:
        client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=sid)
    for sid in short_code_sids:
        client.messaging.v1.services(service.sid).short_codes.create(short_code_sid=sid)
    return service.sid


# -- toll-free (2.2) ----------------------------------------------------------------------------


def test_toll_free_stop_gets_the_network_msg_reply(client, control, account, toll_free):
    result = control.inbound(from_=HANDSET, to=TOLL_FREE, body="STOP")
    assert result["opt_out_type"] == "STOP"
    assert replies(result) == [(TOLL_FREE, HANDSET, TOLL_FREE_STOP_REPLY)]
    assert [r["sender"] for r in control.opt_outs(account_sid=account[0], recipient=HANDSET)] == [TOLL_FREE]
    assert_blocked(client, TOLL_FREE)


@pytest.mark.parametrize(("keyword", "echo"), [("START", "Start"), ("UNSTOP", "Unstop")])
def test_toll_free_start_and_unstop_get_the_network_msg_opt_in_reply(client, control, account, toll_free, keyword, echo):
    control.inbound(from_=HANDSET, to=TOLL_FREE, body="STOP")
    assert_blocked(client, TOLL_FREE)
    result = control.inbound(from_=HANDSET, to=TOLL_FREE, body=keyword)
    assert result["opt_out_type"] == "START"
    assert replies(result) == [(TOLL_FREE, HANDSET, toll_free_opt_in_reply(echo))]
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client, TOLL_FREE)


def test_toll_free_yes_does_not_resubscribe(client, control, account, toll_free):
    control.inbound(from_=HANDSET, to=TOLL_FREE, body="STOP")
    result = control.inbound(from_=HANDSET, to=TOLL_FREE, body="YES")
    assert result["opt_out_type"] != "START"
    assert all(OPT_IN_REPLY != body and "receiving messages again" not in body for _, _, body in replies(result))
    assert [r["sender"] for r in control.opt_outs(account_sid=account[0], recipient=HANDSET)] == [TOLL_FREE]
    assert_blocked(client, TOLL_FREE)


@pytest.mark.parametrize("keyword", ["HELP", "INFO"])
def test_toll_free_help_when_not_opted_out_gets_the_default_help_reply(client, control, account, toll_free, keyword):
    result = control.inbound(from_=HANDSET, to=TOLL_FREE, body=keyword)
    assert result["opt_out_type"] == "HELP"
    assert replies(result) == [(TOLL_FREE, HANDSET, HELP_REPLY)]
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client, TOLL_FREE)


@pytest.mark.parametrize("keyword", ["HELP", "INFO"])
def test_toll_free_help_when_opted_out_gets_no_reply(client, control, account, toll_free, keyword):
    control.inbound(from_=HANDSET, to=TOLL_FREE, body="STOP")
    result = control.inbound(from_=HANDSET, to=TOLL_FREE, body=keyword)
    assert result["auto_replies"] == []
    assert [r["body"] for r in control.auto_replies(account[0])] == [TOLL_FREE_STOP_REPLY]
    assert_blocked(client, TOLL_FREE)


def test_toll_free_help_after_opting_back_in_is_answered_again(control, toll_free):
    control.inbound(from_=HANDSET, to=TOLL_FREE, body="STOP")
    control.inbound(from_=HANDSET, to=TOLL_FREE, body="UNSTOP")
    result = control.inbound(from_=HANDSET, to=TOLL_FREE, body="HELP")
    assert replies(result) == [(TOLL_FREE, HANDSET, HELP_REPLY)]


@pytest.mark.parametrize("keyword", ["STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "REVOKE", "OPTOUT", "QUIT"])
def test_toll_free_other_opt_out_words_block_with_twilios_default_reply(client, control, account, toll_free, keyword):
    result = control.inbound(from_=HANDSET, to=TOLL_FREE, body=keyword)
    assert result["opt_out_type"] == "STOP"
    assert replies(result) == [(TOLL_FREE, HANDSET, OPT_OUT_REPLY)]
    assert [r["sender"] for r in control.opt_outs(account_sid=account[0], recipient=HANDSET)] == [TOLL_FREE]
    assert_blocked(client, TOLL_FREE)


def test_toll_free_network_msg_is_sent_even_with_advanced_opt_out(client, control, toll_free):
    (number,) = client.incoming_phone_numbers.list(phone_number=TOLL_FREE)
    service_sid = service_with(client, phone_number_sids=[number.sid])
    control.advanced_opt_out(service_sid, enabled=True, opt_out_reply="Custom bye", opt_in_reply="Custom hello")
    stop = control.inbound(from_=HANDSET, to=TOLL_FREE, body="STOP")
    assert replies(stop) == [(TOLL_FREE, HANDSET, TOLL_FREE_STOP_REPLY)]
    start = control.inbound(from_=HANDSET, to=TOLL_FREE, body="START")
    assert replies(start) == [(TOLL_FREE, HANDSET, toll_free_opt_in_reply("Start"))]


def test_toll_free_help_gets_the_custom_advanced_opt_out_text(client, control, toll_free):
    (number,) = client.incoming_phone_numbers.list(phone_number=TOLL_FREE)
    service_sid = service_with(client, phone_number_sids=[number.sid])
    control.advanced_opt_out(service_sid, enabled=True, help_reply="Custom help")
    result = control.inbound(from_=HANDSET, to=TOLL_FREE, body="HELP")
    assert result["opt_out_type"] == "HELP"
    assert replies(result) == [(TOLL_FREE, HANDSET, "Custom help")]


def test_toll_free_ignores_custom_opt_in_words(client, control, account, toll_free):
    # "Twilio Toll-Free numbers only respond to START and UNSTOP for re-subscribe" (2.2), whatever AOO adds.
    (number,) = client.incoming_phone_numbers.list(phone_number=TOLL_FREE)
    service_sid = service_with(client, phone_number_sids=[number.sid])
    control.advanced_opt_out(service_sid, enabled=True, opt_in_keywords=["YES", "DEMARRER"])
    control.inbound(from_=HANDSET, to=TOLL_FREE, body="STOP")
    for word in ("YES", "DEMARRER"):
        assert control.inbound(from_=HANDSET, to=TOLL_FREE, body=word)["opt_out_type"] != "START"
    assert_blocked(client, TOLL_FREE)
    assert len(control.opt_outs(account_sid=account[0], recipient=HANDSET)) == 2  # number and service


# -- short code (2.3) ---------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["STOP", "STOPALL", "HELP", "START"])
def test_short_code_keywords_are_not_handled_by_default(client, control, account, short_code, keyword):
    result = control.inbound(from_=HANDSET, to=SHORT_CODE, body=keyword)
    assert result["opt_out_type"] is None
    assert result["auto_replies"] == []
    assert control.opt_outs(account_sid=account[0]) == []
    assert control.auto_replies(account[0]) == []
    assert_allowed(client, SHORT_CODE)


def test_short_code_in_a_service_without_advanced_opt_out_is_not_handled(client, control, account, short_code):
    service_sid = service_with(client, short_code_sids=[short_code])
    result = control.inbound(from_=HANDSET, to=SHORT_CODE, body="STOP")
    assert result["opt_out_type"] is None
    assert result["auto_replies"] == []
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client, SHORT_CODE)
    by_service = client.messages.create(to=HANDSET, messaging_service_sid=service_sid, body="Hi")
    fetched = client.messages(by_service.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("delivered", None)


def test_short_code_with_advanced_opt_out_is_handled(client, control, account, short_code):
    service_sid = service_with(client, short_code_sids=[short_code])
    control.advanced_opt_out(service_sid, enabled=True)
    result = control.inbound(from_=HANDSET, to=SHORT_CODE, body="STOP")
    assert result["opt_out_type"] == "STOP"
    assert replies(result) == [(SHORT_CODE, HANDSET, OPT_OUT_REPLY)]
    records = control.opt_outs(account_sid=account[0], recipient=HANDSET)
    assert sorted((r["sender"] or "", r["messaging_service_sid"] or "") for r in records) == [
        ("", service_sid),
        (SHORT_CODE, ""),
    ]
    assert_blocked(client, SHORT_CODE)
    start = control.inbound(from_=HANDSET, to=SHORT_CODE, body="START")
    assert start["opt_out_type"] == "START"
    assert replies(start) == [(SHORT_CODE, HANDSET, OPT_IN_REPLY)]
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client, SHORT_CODE)


@pytest.mark.parametrize("keyword", ["START", "YES", "UNSTOP"])
def test_short_code_with_advanced_opt_out_honours_every_opt_in_word(client, control, account, short_code, keyword):
    service_sid = service_with(client, short_code_sids=[short_code])
    control.advanced_opt_out(service_sid, enabled=True)
    control.inbound(from_=HANDSET, to=SHORT_CODE, body="STOP")
    result = control.inbound(from_=HANDSET, to=SHORT_CODE, body=keyword)
    assert result["opt_out_type"] == "START"
    assert replies(result) == [(SHORT_CODE, HANDSET, OPT_IN_REPLY)]
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client, SHORT_CODE)


def test_short_code_with_advanced_opt_out_uses_custom_keywords_and_texts(client, control, account, short_code):
    service_sid = service_with(client, short_code_sids=[short_code])
    control.advanced_opt_out(service_sid, enabled=True, opt_out_keywords=["ARRET"], opt_out_reply="Au revoir")
    result = control.inbound(from_=HANDSET, to=SHORT_CODE, body="arret")
    assert result["opt_out_type"] == "STOP"
    assert replies(result) == [(SHORT_CODE, HANDSET, "Au revoir")]
    assert_blocked(client, SHORT_CODE)


def test_short_code_with_advanced_opt_out_answers_help(client, control, short_code):
    service_sid = service_with(client, short_code_sids=[short_code])
    control.advanced_opt_out(service_sid, enabled=True)
    result = control.inbound(from_=HANDSET, to=SHORT_CODE, body="INFO")
    assert result["opt_out_type"] == "HELP"
    assert replies(result) == [(SHORT_CODE, HANDSET, HELP_REPLY)]


# -- alphanumeric sender ID (2.4) ---------------------------------------------------------------


def test_alphanumeric_sender_cannot_receive_and_keeps_sending(client, control, account, base_url):
    assert_allowed(client, ALPHA, to=UK_HANDSET)
    response = requests.post(
        f"{base_url}/_emulator/inbound", json={"From": UK_HANDSET, "To": ALPHA, "Body": "STOP"}, timeout=10
    )
    assert response.status_code == 400
    assert isinstance(response.json().get("error"), str)
    assert control.opt_outs(account_sid=account[0]) == []
    assert control.auto_replies(account[0]) == []
    assert_allowed(client, ALPHA, to=UK_HANDSET)


# -- RCS and unified opt-outs (2.5) -------------------------------------------------------------


def test_rcs_stop_blocks_a_later_sms_from_that_sender(client, control, account):
    assert_allowed(client, LONG_CODE)
    result = control.inbound(from_=HANDSET, to=LONG_CODE, body="STOP", channel="rcs")
    assert result["opt_out_type"] == "STOP"
    assert [r["sender"] for r in control.opt_outs(account_sid=account[0], recipient=HANDSET)] == [LONG_CODE]
    assert_blocked(client, LONG_CODE)


def test_sms_stop_blocks_a_later_sms_from_that_sender(client, control, account):
    assert_allowed(client, LONG_CODE)
    result = control.inbound(from_=HANDSET, to=LONG_CODE, body="STOP", channel="sms")
    assert result["opt_out_type"] == "STOP"
    assert_blocked(client, LONG_CODE)


def test_sms_stop_blocks_an_rcs_send_from_that_sender(client, control):
    assert_allowed(client, LONG_CODE)
    control.inbound(from_=HANDSET, to=LONG_CODE, body="STOP", channel="sms")
    assert_blocked(client, LONG_CODE, to=f"rcs:{HANDSET}")


def test_rcs_start_lifts_an_sms_stop(client, control, account):
    assert_allowed(client, LONG_CODE)
    control.inbound(from_=HANDSET, to=LONG_CODE, body="STOP", channel="sms")
    result = control.inbound(from_=HANDSET, to=LONG_CODE, body="START", channel="rcs")
    assert result["opt_out_type"] == "START"
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client, LONG_CODE)


def test_rcs_stop_blocks_sends_through_the_messaging_service(client, control):
    number = client.incoming_phone_numbers.create(phone_number=LONG_CODE)
    service_sid = service_with(client, phone_number_sids=[number.sid])
    control.inbound(from_=HANDSET, to=LONG_CODE, body="STOP", channel="rcs")
    created = client.messages.create(to=HANDSET, messaging_service_sid=service_sid, body="Hi")
    fetched = client.messages(created.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 21610)
