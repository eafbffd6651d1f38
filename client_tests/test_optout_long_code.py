"""Opt-out keyword handling on a long code, black-box through the official SDK, requests and the
control API. Expected values come from Twilio's opt-out keywords article (support.twilio.com/hc/en-us/articles/223134027: keywords, matching, default
replies), the 21610 error page (www.twilio.com/docs/errors/21610) and the README's "Fidelity notes"."""

from __future__ import annotations

from datetime import datetime

import pytest
from twilio.base.exceptions import TwilioRestException

from client_tests.reference import ERROR_21610, HELP_REPLY, OPT_IN_REPLY, OPT_OUT_REPLY
from client_tests.spec import assert_matches

OUR_NUMBER = "+15557650001"
OTHER_NUMBER = "+15557650002"
HANDSET = "+15551230001"

OPT_OUT_KEYWORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "REVOKE", "OPTOUT", "QUIT"]  # 1.1
OPT_IN_KEYWORDS = ["START", "YES", "UNSTOP"]  # 1.1
HELP_KEYWORDS = ["HELP", "INFO"]  # 1.1


@pytest.fixture
def numbers(client):
    """Two long codes owned by the account."""
    for number in (OUR_NUMBER, OTHER_NUMBER):
        client.incoming_phone_numbers.create(phone_number=number)
    return OUR_NUMBER, OTHER_NUMBER


def send(client, from_=OUR_NUMBER, to=HANDSET, body="Hello"):
    return client.messages.create(to=to, from_=from_, body=body)


def assert_blocked(client, from_=OUR_NUMBER, to=HANDSET):
    with pytest.raises(TwilioRestException) as info:
        send(client, from_=from_, to=to)
    assert info.value.code == 21610, info.value
    assert info.value.status == 400, info.value


def assert_allowed(client, from_=OUR_NUMBER, to=HANDSET):
    message = send(client, from_=from_, to=to)
    assert message.status == "queued"
    assert message.from_ == from_ and message.to == to
    return message


def reply_bodies(result):
    return [reply["body"] for reply in result["auto_replies"]]


# -- every keyword of each class (1.1, 1.3, 1.4) -----------------------------------------------


@pytest.mark.parametrize("keyword", OPT_OUT_KEYWORDS)
def test_every_opt_out_keyword_blocks_and_replies(client, control, account, numbers, keyword):
    assert_allowed(client)
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=keyword)
    assert result["opt_out_type"] == "STOP"
    assert len(result["auto_replies"]) == 1
    reply = result["auto_replies"][0]
    assert (reply["from"], reply["to"], reply["body"]) == (OUR_NUMBER, HANDSET, OPT_OUT_REPLY)
    records = control.opt_outs(account_sid=account[0], recipient=HANDSET)
    assert [(r["sender"], r["messaging_service_sid"]) for r in records] == [(OUR_NUMBER, None)]
    assert_blocked(client)


@pytest.mark.parametrize("keyword", OPT_IN_KEYWORDS)
def test_every_opt_in_keyword_resubscribes_and_replies(client, control, account, numbers, keyword):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    assert_blocked(client)
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=keyword)
    assert result["opt_out_type"] == "START"
    assert [(r["from"], r["to"], r["body"]) for r in result["auto_replies"]] == [(OUR_NUMBER, HANDSET, OPT_IN_REPLY)]
    assert control.opt_outs(account_sid=account[0], recipient=HANDSET) == []
    assert_allowed(client)


@pytest.mark.parametrize("keyword", HELP_KEYWORDS)
def test_every_help_keyword_replies_without_blocking(client, control, account, numbers, keyword):
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=keyword)
    assert result["opt_out_type"] == "HELP"
    assert [(r["from"], r["to"], r["body"]) for r in result["auto_replies"]] == [(OUR_NUMBER, HANDSET, HELP_REPLY)]
    assert control.opt_outs(account_sid=account[0], recipient=HANDSET) == []
    assert_allowed(client)


# -- matching rules (1.2, 12) -----------------------------------------------------------------


@pytest.mark.parametrize("body", ["sToP", "stop", "Stop", "uNsUbScRiBe", "quit"])
def test_keywords_match_in_any_case(client, control, numbers, body):
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=body)
    assert result["opt_out_type"] == "STOP"
    assert reply_bodies(result) == [OPT_OUT_REPLY]
    assert_blocked(client)


@pytest.mark.parametrize("body", ["start", "sTaRt", "yes", "Unstop"])
def test_opt_in_keywords_match_in_any_case(client, control, account, numbers, body):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=body)
    assert result["opt_out_type"] == "START"
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client)


@pytest.mark.parametrize("body", ["help", "Info", "hElP"])
def test_help_keywords_match_in_any_case(control, numbers, body):
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=body)
    assert result["opt_out_type"] == "HELP"
    assert reply_bodies(result) == [HELP_REPLY]


@pytest.mark.parametrize("body", ["  stop \n", "\tSTOP\t", "\n\nStop\r\n", "   CANCEL"])
def test_surrounding_whitespace_is_trimmed(client, control, numbers, body):
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=body)
    assert result["opt_out_type"] == "STOP"
    assert reply_bodies(result) == [OPT_OUT_REPLY]
    assert_blocked(client)


@pytest.mark.parametrize(
    "body",
    [
        "STOP PLEASE",
        "PLEASE CANCEL",
        "Stop.",
        "STOP!",
        "\uff33\uff34\uff2f\uff30",  # full-width ＳＴＯＰ
        "STOP \U0001f600",
        "STOP\U0001f600",
        "STO P",
        "STOPP",
        "",
        "Hello there",
    ],
)
def test_non_keywords_are_not_handled(client, control, account, numbers, body):
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=body)
    assert result["opt_out_type"] is None
    assert result["auto_replies"] == []
    assert control.opt_outs(account_sid=account[0]) == []
    assert control.auto_replies(account[0]) == []
    assert_allowed(client)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("\u017ftop", id="long-s-stop"),
        pytest.param("qu\u0131t", id="dotless-i-quit"),
        pytest.param("\ufb06op", id="st-ligature-stop"),
        pytest.param("\u0405TOP", id="cyrillic-dze-stop"),
        pytest.param("ST\u041eP", id="cyrillic-o-stop"),
    ],
)
def test_look_alike_letters_are_not_keywords(client, control, account, numbers, body):
    # 1.2: full-width letters and emoji are no match; other look-alike letters are no keyword either.
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=body)
    assert result["opt_out_type"] is None
    assert result["auto_replies"] == []
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client)


@pytest.mark.parametrize("body", ["HELP ME", "Help?", "START NOW", "yes!"])
def test_non_keywords_of_other_classes_are_not_handled(client, control, account, numbers, body):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=body)
    assert result["opt_out_type"] is None
    assert result["auto_replies"] == []
    # Not an opt-in either: the block stays.
    assert len(control.opt_outs(account_sid=account[0])) == 1
    assert_blocked(client)


# -- default reply texts (1.4) ------------------------------------------------------------------


def test_default_reply_texts_are_twilios_verbatim(control, account, numbers):
    stop = control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    start = control.inbound(from_=HANDSET, to=OUR_NUMBER, body="START")
    help_ = control.inbound(from_=HANDSET, to=OUR_NUMBER, body="HELP")
    assert reply_bodies(stop) == [OPT_OUT_REPLY]
    assert reply_bodies(start) == [OPT_IN_REPLY]
    assert reply_bodies(help_) == [HELP_REPLY]
    logged = control.auto_replies(account[0])
    assert [(r["from"], r["to"], r["body"], r["opt_out_type"]) for r in logged] == [
        (OUR_NUMBER, HANDSET, OPT_OUT_REPLY, "STOP"),
        (OUR_NUMBER, HANDSET, OPT_IN_REPLY, "START"),
        (OUR_NUMBER, HANDSET, HELP_REPLY, "HELP"),
    ]


# -- error 21610 (4.1) --------------------------------------------------------------------------


def test_21610_through_the_sdk(client, control, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    with pytest.raises(TwilioRestException) as info:
        send(client)
    exc = info.value
    assert exc.code == 21610
    assert exc.status == 400
    assert exc.method == "POST"
    assert exc.msg.endswith("Attempt to send to unsubscribed recipient"), exc.msg


def test_21610_envelope_through_http(http, messages_url, control, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    response = http.post(messages_url, data={"To": HANDSET, "From": OUR_NUMBER, "Body": "Hello"})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == ERROR_21610


def test_blocked_send_creates_no_message(client, http, messages_url, control, numbers):
    assert_allowed(client)
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    before = http.get(messages_url).json()["messages"]
    assert len(before) == 2  # our send and the inbound STOP
    for _ in range(3):
        assert_blocked(client)
    response = http.post(messages_url, data={"To": HANDSET, "From": OUR_NUMBER, "Body": "again"})
    assert response.status_code == 400
    assert "sid" not in response.json()
    after = http.get(messages_url).json()["messages"]
    assert [m["sid"] for m in after] == [m["sid"] for m in before]
    assert len(client.messages.list()) == 2


def test_other_numbers_of_the_account_are_not_blocked(client, control, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    assert_blocked(client, from_=OUR_NUMBER)
    assert_allowed(client, from_=OTHER_NUMBER)


def test_other_handsets_are_not_blocked(client, control, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    assert_blocked(client, to=HANDSET)
    assert_allowed(client, to="+15551230002")


def test_block_applies_only_in_the_account_that_owns_the_number(client, control, numbers, base_url):
    from emulator.testing import twilio_client

    other = twilio_client(base_url, "AC" + "1" * 32, "other-token")
    other.incoming_phone_numbers.create(phone_number="+15557659999")
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    assert other.messages.create(to=HANDSET, from_="+15557659999", body="hi").status == "queued"
    assert_blocked(client)


def test_stop_blocks_even_a_number_never_used_to_send(client, control, account):
    client.incoming_phone_numbers.create(phone_number=OUR_NUMBER)
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    assert result["opt_out_type"] == "STOP"
    assert_blocked(client)


def test_inbound_to_a_number_nobody_owns_is_refused(base_url, control, account):
    response = control.session.post(
        f"{base_url}/_emulator/inbound", json={"From": HANDSET, "To": "+15557659876", "Body": "STOP"}
    )
    assert response.status_code == 404
    assert isinstance(response.json()["error"], str)
    assert control.opt_outs() == []


def test_repeated_stop_keeps_one_record(client, control, account, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="QUIT")
    assert len(control.opt_outs(account_sid=account[0], recipient=HANDSET)) == 1
    assert_blocked(client)


# -- START goes to the right sender (1.2, 1.3) ----------------------------------------------------


def test_start_to_the_number_the_stop_went_to_resubscribes(client, control, account, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    assert_blocked(client)
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="START")
    assert control.opt_outs(account_sid=account[0]) == []
    assert_allowed(client)


def test_start_to_another_number_does_not_resubscribe(client, control, account, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    control.inbound(from_=HANDSET, to=OTHER_NUMBER, body="START")
    records = control.opt_outs(account_sid=account[0], recipient=HANDSET)
    assert [(r["sender"], r["recipient"]) for r in records] == [(OUR_NUMBER, HANDSET)]
    assert_blocked(client)
    assert_allowed(client, from_=OTHER_NUMBER)


def test_start_from_another_handset_does_not_resubscribe(client, control, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    control.inbound(from_="+15551230002", to=OUR_NUMBER, body="START")
    assert_blocked(client)


def test_stop_again_after_start_blocks_again(client, control, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="START")
    assert_allowed(client)
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    assert_blocked(client)


# -- HELP while opted out (2.1: everything of section 1 applies to long codes) ----------------------


@pytest.mark.parametrize("keyword", HELP_KEYWORDS)
def test_help_while_opted_out_is_still_answered_on_a_long_code(client, control, account, numbers, keyword):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body=keyword)
    assert result["opt_out_type"] == "HELP"
    assert [(r["from"], r["to"], r["body"]) for r in result["auto_replies"]] == [(OUR_NUMBER, HANDSET, HELP_REPLY)]
    # HELP does not lift the block.
    assert len(control.opt_outs(account_sid=account[0])) == 1
    assert_blocked(client)


# -- the inbound message itself (1.3: the STOP is passed on like any inbound message) ----------------


def test_inbound_stop_is_in_the_message_log(client, http, base_url, account, control, numbers):
    result = control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    inbound = result["message"]
    assert_matches(inbound, "api.v2010.account.message")
    assert (inbound["direction"], inbound["status"]) == ("inbound", "received")
    assert (inbound["from"], inbound["to"], inbound["body"]) == (HANDSET, OUR_NUMBER, "STOP")

    fetched = http.get(f"{base_url}/2010-04-01/Accounts/{account[0]}/Messages/{inbound['sid']}.json")
    assert fetched.status_code == 200
    body = fetched.json()
    assert_matches(body, "api.v2010.account.message")
    assert (body["direction"], body["status"], body["body"]) == ("inbound", "received", "STOP")

    listed = client.messages.list(from_=HANDSET, to=OUR_NUMBER)
    assert [(m.sid, m.direction, m.status) for m in listed] == [(inbound["sid"], "inbound", "received")]


def test_opt_out_type_in_the_inbound_response(control, numbers):
    assert control.inbound(from_=HANDSET, to=OUR_NUMBER, body="Hello")["opt_out_type"] is None
    assert control.inbound(from_=HANDSET, to=OUR_NUMBER, body="stop")["opt_out_type"] == "STOP"
    assert control.inbound(from_=HANDSET, to=OUR_NUMBER, body="info")["opt_out_type"] == "HELP"
    assert control.inbound(from_=HANDSET, to=OUR_NUMBER, body="yes")["opt_out_type"] == "START"


# -- opt-out records in the control API (README: Control API) ---------------------------------------


def test_opt_out_record_shape(base_url, account, control, numbers):
    before = datetime.now().astimezone()
    stop = control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    response = control.session.get(f"{base_url}/_emulator/opt-outs", params={"AccountSid": account[0]})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["opt_outs"]
    assert len(body["opt_outs"]) == 1
    record = body["opt_outs"][0]
    assert set(record) == {"account_sid", "sender", "messaging_service_sid", "recipient", "source", "consent_source",
                           "date_of_consent", "correlation_id", "created_at", "message_sid"}
    assert (record["source"], record["consent_source"], record["date_of_consent"]) == ("keyword", None, None)
    assert record["message_sid"] == stop["message"]["sid"]  # the STOP that wrote it
    assert record["account_sid"] == account[0]
    assert record["sender"] == OUR_NUMBER
    assert record["messaging_service_sid"] is None
    assert record["recipient"] == HANDSET
    created = datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
    assert created.tzinfo is not None
    assert abs((created - before).total_seconds()) < 60


def test_opt_out_records_filter_by_recipient_and_account(control, account, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    control.inbound(from_="+15551230002", to=OTHER_NUMBER, body="STOP")
    all_records = control.opt_outs(account_sid=account[0])
    assert sorted((r["sender"], r["recipient"]) for r in all_records) == [
        (OUR_NUMBER, HANDSET),
        (OTHER_NUMBER, "+15551230002"),
    ]
    mine = control.opt_outs(account_sid=account[0], recipient=HANDSET)
    assert [(r["sender"], r["recipient"]) for r in mine] == [(OUR_NUMBER, HANDSET)]
    assert control.opt_outs(account_sid="AC" + "2" * 32) == []


def test_start_removes_the_record(control, account, numbers):
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="STOP")
    assert len(control.opt_outs(account_sid=account[0])) == 1
    control.inbound(from_=HANDSET, to=OUR_NUMBER, body="UNSTOP")
    assert control.opt_outs(account_sid=account[0]) == []
