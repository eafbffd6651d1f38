"""Advanced Opt-Out (www.twilio.com/docs/messaging/tutorials/advanced-opt-out), per-account switches (README "Configuration") and the control
API's opt-out inspection endpoints (README "Control API")."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from client_tests.reference import HELP_REPLY, OPT_IN_REPLY, OPT_OUT_REPLY, replies
from client_tests.spec import assert_matches

NUMBER = "+15557650001"
HANDSET = "+15551230001"


CUSTOM_OPT_OUT = "Vous ne recevrez plus de messages. Envoyez DEMARRER pour revenir."
CUSTOM_OPT_IN = "Vous recevrez de nouveau nos messages."
CUSTOM_HELP = "Aide: envoyez ARRET pour vous desabonner."

SETTING_NAMES = {
    "auth_token",
    "stop_filtering",
    "messaging_service_opt_out",
    "legacy_error_text",
    "lenient_punctuation",
    "auto_replies_in_message_log",
    "strict_senders",
}


def send(client, from_=NUMBER, to=HANDSET):
    return client.messages.create(to=to, from_=from_, body="Hello")


def assert_blocked(client, from_=NUMBER, to=HANDSET):
    with pytest.raises(TwilioRestException) as info:
        send(client, from_, to)
    assert (info.value.code, info.value.status) == (21610, 400), info.value


def assert_allowed(client, from_=NUMBER, to=HANDSET):
    message = send(client, from_, to)
    assert message.status == "queued"


@pytest.fixture
def number(client):
    client.incoming_phone_numbers.create(phone_number=NUMBER)
    return NUMBER


@pytest.fixture
def service_sid(client, number):
    """A Messaging Service holding NUMBER."""
    service = client.messaging.v1.services.create(friendly_name="aoo")
    (pn,) = client.incoming_phone_numbers.list(phone_number=number)
    client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=pn.sid)
    return service.sid


@pytest.fixture
def custom(control, service_sid):
    """Advanced Opt-Out on, with French keywords only (no defaults listed) and custom texts."""
    config = control.advanced_opt_out(
        service_sid,
        enabled=True,
        opt_out_keywords=["ARRET"],
        opt_in_keywords=["DEMARRER"],
        help_keywords=["AIDE"],
        opt_out_reply=CUSTOM_OPT_OUT,
        opt_in_reply=CUSTOM_OPT_IN,
        help_reply=CUSTOM_HELP,
    )
    assert config["enabled"] is True
    return service_sid


# -- Advanced Opt-Out (3.3) ---------------------------------------------------------------------


def test_custom_opt_out_keyword_blocks_with_the_custom_reply(client, control, account, custom):
    result = control.inbound(from_=HANDSET, to=NUMBER, body="ARRET")
    assert result["opt_out_type"] == "STOP"
    assert replies(result) == [(NUMBER, HANDSET, CUSTOM_OPT_OUT)]
    assert len(control.opt_outs(account_sid=account[0], recipient=HANDSET)) == 2  # number and service
    assert_blocked(client)


def test_custom_keywords_match_in_any_case_and_trimmed(client, control, custom):
    result = control.inbound(from_=HANDSET, to=NUMBER, body="  arret ")
    assert result["opt_out_type"] == "STOP"
    assert_blocked(client)


def test_custom_opt_in_keyword_resubscribes_with_the_custom_reply(client, control, account, custom):
    control.inbound(from_=HANDSET, to=NUMBER, body="ARRET")
    result = control.inbound(from_=HANDSET, to=NUMBER, body="DEMARRER")
    assert result["opt_out_type"] == "START"
    assert replies(result) == [(NUMBER, HANDSET, CUSTOM_OPT_IN)]
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client)


def test_custom_help_keyword_gets_the_custom_reply(client, control, account, custom):
    result = control.inbound(from_=HANDSET, to=NUMBER, body="AIDE")
    assert result["opt_out_type"] == "HELP"
    assert replies(result) == [(NUMBER, HANDSET, CUSTOM_HELP)]
    assert control.opt_outs(account_sid=account[0]) == []


def test_stop_always_works_with_custom_lists(client, control, account, custom):
    result = control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    assert result["opt_out_type"] == "STOP"
    assert replies(result) == [(NUMBER, HANDSET, CUSTOM_OPT_OUT)]
    assert len(control.opt_outs(account_sid=account[0])) == 2
    assert_blocked(client)


def test_start_always_works_with_custom_lists(client, control, account, custom):
    control.inbound(from_=HANDSET, to=NUMBER, body="ARRET")
    result = control.inbound(from_=HANDSET, to=NUMBER, body="START")
    assert result["opt_out_type"] == "START"
    assert replies(result) == [(NUMBER, HANDSET, CUSTOM_OPT_IN)]
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client)


def test_help_always_works_with_custom_lists(control, custom):
    result = control.inbound(from_=HANDSET, to=NUMBER, body="HELP")
    assert result["opt_out_type"] == "HELP"
    assert replies(result) == [(NUMBER, HANDSET, CUSTOM_HELP)]


def test_custom_keywords_need_advanced_opt_out_enabled(client, control, account, service_sid):
    control.advanced_opt_out(service_sid, enabled=False, opt_out_keywords=["ARRET"], opt_out_reply=CUSTOM_OPT_OUT)
    result = control.inbound(from_=HANDSET, to=NUMBER, body="ARRET")
    assert result["opt_out_type"] is None
    assert result["auto_replies"] == []
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client)
    # ... and the default keywords keep their default texts.
    assert replies(control.inbound(from_=HANDSET, to=NUMBER, body="STOP")) == [(NUMBER, HANDSET, OPT_OUT_REPLY)]


def test_custom_keywords_apply_only_to_numbers_of_that_service(client, control, account, custom):
    client.incoming_phone_numbers.create(phone_number="+15557650009")
    result = control.inbound(from_=HANDSET, to="+15557650009", body="ARRET")
    assert result["opt_out_type"] is None
    assert control.opt_outs(account_sid=account[0]) == []


def test_custom_texts_alone_replace_the_default_replies(control, service_sid):
    control.advanced_opt_out(service_sid, enabled=True, opt_out_reply=CUSTOM_OPT_OUT, help_reply=CUSTOM_HELP)
    assert replies(control.inbound(from_=HANDSET, to=NUMBER, body="INFO")) == [(NUMBER, HANDSET, CUSTOM_HELP)]
    assert replies(control.inbound(from_=HANDSET, to=NUMBER, body="QUIT")) == [(NUMBER, HANDSET, CUSTOM_OPT_OUT)]
    # No custom opt-in text: Twilio's default.
    assert replies(control.inbound(from_=HANDSET, to=NUMBER, body="YES")) == [(NUMBER, HANDSET, OPT_IN_REPLY)]


def test_advanced_opt_out_bad_config_is_refused(base_url, control, service_sid):
    url = f"{base_url}/_emulator/services/{service_sid}/advanced-opt-out"
    for bad in ({"enabled": "yes"}, {"opt_out_keywords": "ARRET"}, {"opt_out_keywords": [""]}, {"colour": "red"}):
        response = control.session.put(url, json=bad)
        assert response.status_code == 400, bad
        assert isinstance(response.json()["error"], str)
    missing = control.session.put(f"{base_url}/_emulator/services/MG{'0' * 32}/advanced-opt-out", json={})
    assert missing.status_code == 404
    assert isinstance(missing.json()["error"], str)


# -- per-account settings (3.4, 11, 12) ------------------------------------------------------------


def test_settings_answer_with_all_settings(base_url, account, control):
    response = control.session.put(f"{base_url}/_emulator/accounts/{account[0]}/settings", json={})
    assert response.status_code == 200
    assert SETTING_NAMES - {"auth_token"} | {"auth_token_set"} <= set(response.json())
    assert "auth_token" not in response.json()  # shown only with ?RevealAuthToken=true
    body = control.settings(account[0], lenient_punctuation=True)
    assert body["lenient_punctuation"] is True
    assert body["stop_filtering"] is True  # untouched default


def test_defaults_are_the_documented_ones(base_url, account, control):
    body = control.settings(account[0])
    assert body["stop_filtering"] is True
    assert body["messaging_service_opt_out"] == "async"
    assert body["legacy_error_text"] is False
    assert body["lenient_punctuation"] is False
    assert body["auto_replies_in_message_log"] is False


@pytest.mark.parametrize("body", ["STOP", "HELP", "START", "stop"])
def test_stop_filtering_off_turns_everything_off(client, control, account, number, body):
    control.settings(account[0], stop_filtering=False)
    result = control.inbound(from_=HANDSET, to=NUMBER, body=body)
    assert result["opt_out_type"] is None
    assert result["auto_replies"] == []
    assert control.opt_outs(account_sid=account[0]) == []
    assert control.auto_replies(account[0]) == []
    # Everything is forwarded: the inbound message is still there.
    assert result["message"]["direction"] == "inbound"
    assert [m.body for m in client.messages.list(from_=HANDSET)] == [body]
    assert_allowed(client)


def test_stop_filtering_off_also_allows_service_sends(client, control, account, service_sid):
    control.settings(account[0], stop_filtering=False)
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    created = client.messages.create(to=HANDSET, messaging_service_sid=service_sid, body="Hi")
    fetched = client.messages(created.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("delivered", None)


def test_lenient_punctuation_off_by_default(client, control, number):
    result = control.inbound(from_=HANDSET, to=NUMBER, body="Stop.")
    assert result["opt_out_type"] is None
    assert_allowed(client)


@pytest.mark.parametrize("body", ["Stop.", "STOP!", "stop?", " Stop. "])
def test_lenient_punctuation_on_matches_trailing_punctuation(client, control, account, number, body):
    control.settings(account[0], lenient_punctuation=True)
    result = control.inbound(from_=HANDSET, to=NUMBER, body=body)
    assert result["opt_out_type"] == "STOP"
    assert replies(result) == [(NUMBER, HANDSET, OPT_OUT_REPLY)]
    assert_blocked(client)


@pytest.mark.parametrize("body", ["STOP PLEASE", "\uff33\uff34\uff2f\uff30", "STOP \U0001f600"])
def test_lenient_punctuation_still_needs_a_single_keyword(client, control, account, number, body):
    control.settings(account[0], lenient_punctuation=True)
    assert control.inbound(from_=HANDSET, to=NUMBER, body=body)["opt_out_type"] is None
    assert_allowed(client)


def test_auto_replies_are_not_messages_by_default(http, messages_url, control, number):
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    messages = http.get(messages_url).json()["messages"]
    assert [m["direction"] for m in messages] == ["inbound"]
    assert all(m["direction"] != "outbound-reply" for m in messages)


def test_auto_replies_in_message_log(http, messages_url, base_url, account, control, number):
    control.settings(account[0], auto_replies_in_message_log=True)
    result = control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    messages = http.get(messages_url).json()["messages"]
    outbound = [m for m in messages if m["direction"] == "outbound-reply"]
    assert len(outbound) == 1
    reply = outbound[0]
    assert_matches(reply, "api.v2010.account.message")
    assert (reply["from"], reply["to"], reply["body"]) == (NUMBER, HANDSET, OPT_OUT_REPLY)
    assert reply["error_code"] is None
    # The control API links the reply to its Message.
    assert result["auto_replies"][0]["message_sid"] == reply["sid"]
    fetched = http.get(f"{base_url}/2010-04-01/Accounts/{account[0]}/Messages/{reply['sid']}.json")
    assert fetched.status_code == 200
    assert fetched.json()["body"] == OPT_OUT_REPLY


def test_auto_replies_in_message_log_for_help_and_start(http, messages_url, account, control, number):
    control.settings(account[0], auto_replies_in_message_log=True)
    for body in ("STOP", "START", "HELP"):
        control.inbound(from_=HANDSET, to=NUMBER, body=body)
    messages = http.get(messages_url).json()["messages"]  # newest first
    bodies = [m["body"] for m in messages if m["direction"] == "outbound-reply"]
    assert bodies == [HELP_REPLY, OPT_IN_REPLY, OPT_OUT_REPLY]


@pytest.mark.parametrize(
    "changes",
    [
        {"stop_filtering": "no"},
        {"stop_filtering": 0},
        {"lenient_punctuation": "true"},
        {"auto_replies_in_message_log": None},
        {"legacy_error_text": 1},
        {"messaging_service_opt_out": "maybe"},
        {"messaging_service_opt_out": True},
        {"no_such_setting": True},
    ],
)
def test_bad_settings_are_refused(client, base_url, account, control, number, changes):
    response = control.session.put(f"{base_url}/_emulator/accounts/{account[0]}/settings", json=changes)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["error"]
    assert isinstance(body["error"], str) and body["error"]
    # Nothing was changed: STOP filtering still works as by default.
    assert control.inbound(from_=HANDSET, to=NUMBER, body="STOP")["opt_out_type"] == "STOP"
    assert_blocked(client)


# -- inspection and reset (README "Control API") -------------------------------------------------------


def test_auto_replies_endpoint_lists_replies(base_url, account, control, number):
    control.inbound(from_=HANDSET, to=NUMBER, body="HELP")
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    response = control.session.get(f"{base_url}/_emulator/auto-replies", params={"AccountSid": account[0]})
    assert response.status_code == 200
    listed = response.json()["auto_replies"]
    assert [(r["from"], r["to"], r["body"], r["opt_out_type"]) for r in listed] == [
        (NUMBER, HANDSET, HELP_REPLY, "HELP"),
        (NUMBER, HANDSET, OPT_OUT_REPLY, "STOP"),
    ]
    for reply in listed:
        assert {"account_sid", "from", "to", "body", "opt_out_type", "message_sid", "date_created"} <= set(reply)
        assert reply["account_sid"] == account[0]
        assert reply["message_sid"] is None  # not a Message by default


def test_auto_replies_endpoint_filters_by_account(base_url, account, control, number):
    from emulator.testing import twilio_client

    other_sid = "AC" + "3" * 32
    other = twilio_client(base_url, other_sid, "other-token")
    other.incoming_phone_numbers.create(phone_number="+15557650008")
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    control.inbound(from_=HANDSET, to="+15557650008", body="HELP")
    assert [r["body"] for r in control.auto_replies(account[0])] == [OPT_OUT_REPLY]
    assert [r["body"] for r in control.auto_replies(other_sid)] == [HELP_REPLY]
    assert len(control.auto_replies()) == 2


def test_reset_clears_opt_outs(client, base_url, account, control, number):
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    assert control.opt_outs(account_sid=account[0]) != []
    response = control.session.post(f"{base_url}/_emulator/reset")
    assert response.status_code == 204
    assert control.opt_outs() == []
    assert control.auto_replies() == []
    assert_allowed(client)  # the account and its number come back on first use, unblocked
