"""Unit tests of emulator.optout.engine.OptOutEngine: Twilio's opt-out rules per sender type.

Expected values come from Twilio's support articles on opt-out keywords (support.twilio.com/hc/en-us/articles/223134027), toll-free
opt-outs (support.twilio.com/hc/en-us/articles/360058144374) and Advanced Opt-Out (www.twilio.com/docs/messaging/tutorials/advanced-opt-out), and the README's "Opt-out rules" and "Fidelity
notes"; the reply texts are Twilio's, verbatim.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator.domain.phone import SenderType
from emulator.errors import InvalidInput
from emulator.optout import Consent, OptOutEngine, OptOutRecord, OptOutType
from emulator.optout.engine import CustomKeywords, Inbound

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)

ACCOUNT = "AC" + "a" * 32
OTHER_ACCOUNT = "AC" + "b" * 32
SERVICE = "MG" + "1" * 32
OTHER_SERVICE = "MG" + "2" * 32
LONG = "+15557650001"
LONG2 = "+15557650002"  # another number in the same service
TOLL_FREE = "+18005550100"
SHORT = "55555"
ALPHA = "ACME"
HANDSET = "+15551230001"
HANDSET2 = "+15551230002"

# Section 1.4, verbatim (KW26).
STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages from this number. "
    "Reply START to resubscribe."
)
START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
# Section 2.2, verbatim (TF); the quoted word echoes what the user sent.
TF_STOP_REPLY = (
    'NETWORK MSG: You replied with the word "stop" which blocks all texts sent from this number. '
    'Text back "unstop" to receive messages again.'
)
TF_START_REPLY = 'NETWORK MSG: You have replied "Start" and will begin receiving messages again from this number.'
TF_UNSTOP_REPLY = 'NETWORK MSG: You have replied "Unstop" and will begin receiving messages again from this number.'

OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "REVOKE", "OPTOUT", "QUIT"]
OPT_IN = ["START", "YES", "UNSTOP"]
HELP = ["HELP", "INFO"]
ALL_WORDS = OPT_OUT + OPT_IN + HELP

KIND_OF = {LONG: SenderType.LONG_CODE, LONG2: SenderType.LONG_CODE, TOLL_FREE: SenderType.TOLL_FREE,
           SHORT: SenderType.SHORT_CODE, ALPHA: SenderType.ALPHANUMERIC}


def msg(
    body: str,
    sender: str = LONG,
    *,
    service: str | None = None,
    aoo: CustomKeywords | None = None,
    recipient: str = HANDSET,
    account: str = ACCOUNT,
    lenient: bool = False,
) -> Inbound:
    return Inbound(
        account_sid=account,
        sender=sender,
        sender_type=KIND_OF[sender],
        recipient=recipient,
        body=body,
        service_sid=service,
        advanced_opt_out=aoo,
        lenient_punctuation=lenient,
    )


@pytest.fixture
def engine() -> OptOutEngine:
    return OptOutEngine()


def blocked_from(engine: OptOutEngine, sender: str, recipient: str = HANDSET, account: str = ACCOUNT) -> bool:
    return engine.blocking_record(account, recipient, sender=sender) is not None


def blocked_via_service(engine: OptOutEngine, service: str = SERVICE, recipient: str = HANDSET,
                        account: str = ACCOUNT, sender: str | None = None) -> bool:
    return engine.blocking_record(account, recipient, sender=sender, service_sid=service) is not None


# ================================================================================================
# Long code: keywords always handled, Twilio's default texts, HELP answered while opted out.
# ================================================================================================


@pytest.mark.parametrize("word", OPT_OUT)
def test_long_code_opt_out_words_block_and_reply(engine, word):
    out = engine.receive(msg(word), NOW)
    assert out.opt_out_type is OptOutType.STOP
    assert out.reply == STOP_REPLY
    assert out.changed is True
    record = engine.blocking_record(ACCOUNT, HANDSET, sender=LONG)
    assert record == OptOutRecord(ACCOUNT, LONG, None, HANDSET, NOW, source="keyword")
    assert len(engine) == 1


@pytest.mark.parametrize("word", OPT_IN)
def test_long_code_opt_in_words_lift_the_block_and_reply(engine, word):
    engine.receive(msg("STOP"), NOW)
    out = engine.receive(msg(word.lower()), LATER)
    assert out.opt_out_type is OptOutType.START
    assert out.reply == START_REPLY
    assert out.changed is True
    assert not blocked_from(engine, LONG)
    assert len(engine) == 0


@pytest.mark.parametrize("word", HELP)
def test_long_code_help_words_reply_without_blocking(engine, word):
    out = engine.receive(msg(word), NOW)
    assert out.opt_out_type is OptOutType.HELP
    assert out.reply == HELP_REPLY
    assert out.changed is False
    assert len(engine) == 0


@pytest.mark.parametrize("word", HELP)
def test_long_code_help_is_answered_while_opted_out(engine, word):
    engine.receive(msg("STOP"), NOW)
    out = engine.receive(msg(word), LATER)
    assert out.opt_out_type is OptOutType.HELP
    assert out.reply == HELP_REPLY
    assert blocked_from(engine, LONG)  # HELP does not lift anything


@pytest.mark.parametrize("body", ["sToP", "  stop  ", "Stop\n", "\tSTOP"])
def test_long_code_stop_is_whole_body_trimmed_case_insensitive(engine, body):
    out = engine.receive(msg(body), NOW)
    assert out.opt_out_type is OptOutType.STOP
    assert blocked_from(engine, LONG)


@pytest.mark.parametrize("body", ["STOP PLEASE", "PLEASE CANCEL", "Stop.", "STOP!", "ＳＴＯＰ", "STOP \U0001f6d1", "hello", ""])
def test_non_keywords_do_nothing(engine, body):
    out = engine.receive(msg(body), NOW)
    assert out.opt_out_type is None
    assert out.reply is None
    assert out.changed is False
    assert len(engine) == 0


@pytest.mark.parametrize("body", ["Stop.", "STOP!", "stop?!"])
def test_lenient_punctuation_makes_trailing_punctuation_match(engine, body):
    assert engine.receive(msg(body, lenient=False), NOW).opt_out_type is None
    assert len(engine) == 0
    out = engine.receive(msg(body, lenient=True), NOW)
    assert out.opt_out_type is OptOutType.STOP
    assert out.reply == STOP_REPLY
    assert blocked_from(engine, LONG)


def test_lenient_punctuation_never_matches_full_width_or_emoji(engine):
    for body in ("ＳＴＯＰ", "STOP\U0001f6d1", "\U0001f6d1"):
        assert engine.receive(msg(body, lenient=True), NOW).opt_out_type is None
    assert len(engine) == 0


def test_stop_blocks_only_the_number_that_received_it(engine):
    engine.receive(msg("STOP", LONG), NOW)
    assert blocked_from(engine, LONG)
    assert not blocked_from(engine, LONG2)
    assert not blocked_from(engine, TOLL_FREE)
    assert not blocked_from(engine, LONG, recipient=HANDSET2)
    assert not blocked_from(engine, LONG, account=OTHER_ACCOUNT)


def test_repeated_stop_keeps_one_record_and_reports_no_change(engine):
    engine.receive(msg("STOP"), NOW)
    out = engine.receive(msg("CANCEL"), LATER)
    assert out.opt_out_type is OptOutType.STOP
    assert out.changed is False
    assert len(engine) == 1
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG).created_at == NOW


def test_start_without_a_record_changes_nothing(engine):
    out = engine.receive(msg("START"), NOW)
    assert out.opt_out_type is OptOutType.START
    assert out.changed is False
    assert len(engine) == 0


def test_start_to_another_number_lifts_nothing(engine):
    engine.receive(msg("STOP", LONG), NOW)
    out = engine.receive(msg("START", LONG2), LATER)
    assert out.changed is False
    assert blocked_from(engine, LONG)


def test_start_from_another_handset_lifts_nothing(engine):
    engine.receive(msg("STOP", recipient=HANDSET), NOW)
    engine.receive(msg("START", recipient=HANDSET2), LATER)
    assert blocked_from(engine, LONG, recipient=HANDSET)


def test_start_in_another_account_lifts_nothing(engine):
    engine.receive(msg("STOP", account=ACCOUNT), NOW)
    engine.receive(msg("START", account=OTHER_ACCOUNT), LATER)
    assert blocked_from(engine, LONG, account=ACCOUNT)


def test_stop_start_stop_cycle(engine):
    engine.receive(msg("STOP"), NOW)
    engine.receive(msg("UNSTOP"), NOW)
    assert not blocked_from(engine, LONG)
    engine.receive(msg("QUIT"), LATER)
    record = engine.blocking_record(ACCOUNT, HANDSET, sender=LONG)
    assert record is not None and record.created_at == LATER


# ================================================================================================
# Toll-free: NETWORK MSG texts, YES ignored, HELP silent while opted out.
# ================================================================================================


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop "])
def test_toll_free_stop_gets_the_network_msg(engine, body):
    out = engine.receive(msg(body, TOLL_FREE), NOW)
    assert out.opt_out_type is OptOutType.STOP
    assert out.reply == TF_STOP_REPLY
    assert blocked_from(engine, TOLL_FREE)


@pytest.mark.parametrize(("body", "reply"), [
    ("START", TF_START_REPLY), ("start", TF_START_REPLY), ("Start", TF_START_REPLY),
    ("UNSTOP", TF_UNSTOP_REPLY), ("unstop", TF_UNSTOP_REPLY), (" UnStop ", TF_UNSTOP_REPLY),
])
def test_toll_free_start_and_unstop_echo_the_word(engine, body, reply):
    engine.receive(msg("STOP", TOLL_FREE), NOW)
    out = engine.receive(msg(body, TOLL_FREE), LATER)
    assert out.opt_out_type is OptOutType.START
    assert out.reply == reply
    assert out.changed is True
    assert not blocked_from(engine, TOLL_FREE)


@pytest.mark.parametrize("word", [w for w in OPT_OUT if w != "STOP"])
def test_toll_free_other_opt_out_words_block_with_twilios_default_reply(engine, word):
    out = engine.receive(msg(word, TOLL_FREE), NOW)
    assert out.opt_out_type is OptOutType.STOP
    assert out.reply == STOP_REPLY
    assert blocked_from(engine, TOLL_FREE)


@pytest.mark.parametrize("body", ["YES", "yes", "Yes"])
def test_toll_free_yes_does_not_resubscribe(engine, body):
    engine.receive(msg("STOP", TOLL_FREE), NOW)
    out = engine.receive(msg(body, TOLL_FREE), LATER)
    assert out.opt_out_type is None
    assert out.reply is None
    assert out.changed is False
    assert blocked_from(engine, TOLL_FREE)


def test_toll_free_yes_is_not_a_keyword_when_not_opted_out(engine):
    out = engine.receive(msg("YES", TOLL_FREE), NOW)
    assert out.opt_out_type is None
    assert out.reply is None


def test_toll_free_yes_is_ignored_even_with_advanced_opt_out(engine):
    aoo = CustomKeywords(opt_in=("START", "YES", "UNSTOP"))
    engine.receive(msg("STOP", TOLL_FREE, service=SERVICE, aoo=aoo), NOW)
    out = engine.receive(msg("YES", TOLL_FREE, service=SERVICE, aoo=aoo), LATER)
    assert out.opt_out_type is None
    assert blocked_from(engine, TOLL_FREE)


@pytest.mark.parametrize("word", HELP)
def test_toll_free_help_is_answered_when_not_opted_out(engine, word):
    out = engine.receive(msg(word, TOLL_FREE), NOW)
    assert out.opt_out_type is OptOutType.HELP
    assert out.reply == HELP_REPLY


@pytest.mark.parametrize("word", HELP)
def test_toll_free_help_is_silent_while_opted_out(engine, word):
    engine.receive(msg("STOP", TOLL_FREE), NOW)
    out = engine.receive(msg(word, TOLL_FREE), LATER)
    assert out.reply is None
    assert blocked_from(engine, TOLL_FREE)
    # ... until the handset opts back in.
    engine.receive(msg("START", TOLL_FREE), LATER)
    assert engine.receive(msg(word, TOLL_FREE), LATER).reply == HELP_REPLY


def test_toll_free_help_silent_after_other_opt_out_word(engine):
    engine.receive(msg("CANCEL", TOLL_FREE), NOW)
    assert engine.receive(msg("HELP", TOLL_FREE), LATER).reply is None


def test_toll_free_network_msg_cannot_be_customised_by_advanced_opt_out(engine):
    aoo = CustomKeywords(replies={OptOutType.STOP: "custom out", OptOutType.START: "custom in",
                                  OptOutType.HELP: "custom help"})
    out = engine.receive(msg("STOP", TOLL_FREE, service=SERVICE, aoo=aoo), NOW)
    assert out.reply == TF_STOP_REPLY
    out = engine.receive(msg("UNSTOP", TOLL_FREE, service=SERVICE, aoo=aoo), LATER)
    assert out.reply == TF_UNSTOP_REPLY
    out = engine.receive(msg("START", TOLL_FREE, service=SERVICE, aoo=aoo), LATER)
    assert out.reply == TF_START_REPLY


def test_toll_free_unstop_survives_a_custom_opt_in_list(engine):
    # TF/KW26: the toll-free STOP/UNSTOP layer "cannot be removed or customized", even with Advanced Opt-Out.
    aoo = CustomKeywords(opt_in=("GO",))
    engine.receive(msg("STOP", TOLL_FREE, service=SERVICE, aoo=aoo), NOW)
    out = engine.receive(msg("UNSTOP", TOLL_FREE, service=SERVICE, aoo=aoo), LATER)
    assert out.opt_out_type is OptOutType.START
    assert out.reply == TF_UNSTOP_REPLY
    assert not blocked_from(engine, TOLL_FREE)


def test_toll_free_custom_opt_in_keyword_does_not_resubscribe(engine):
    # KW26: "Twilio Toll-Free numbers only respond to START and UNSTOP for re-subscribe."
    aoo = CustomKeywords(opt_in=("GO",))
    engine.receive(msg("STOP", TOLL_FREE, service=SERVICE, aoo=aoo), NOW)
    engine.receive(msg("GO", TOLL_FREE, service=SERVICE, aoo=aoo), LATER)
    assert blocked_from(engine, TOLL_FREE)


def test_toll_free_help_uses_the_advanced_opt_out_text_when_not_opted_out(engine):
    aoo = CustomKeywords(replies={OptOutType.HELP: "custom help"})
    out = engine.receive(msg("HELP", TOLL_FREE, service=SERVICE, aoo=aoo), NOW)
    assert out.reply == "custom help"


# ================================================================================================
# Short code: handled only in a Messaging Service with Advanced Opt-Out.
# ================================================================================================


@pytest.mark.parametrize("word", ALL_WORDS)
@pytest.mark.parametrize("service", [None, SERVICE])
def test_short_code_without_advanced_opt_out_ignores_keywords(engine, word, service):
    out = engine.receive(msg(word, SHORT, service=service), NOW)
    assert out.opt_out_type is None
    assert out.reply is None
    assert out.changed is False
    assert len(engine) == 0


@pytest.mark.parametrize("word", OPT_OUT)
def test_short_code_with_advanced_opt_out_handles_opt_out(engine, word):
    out = engine.receive(msg(word, SHORT, service=SERVICE, aoo=CustomKeywords()), NOW)
    assert out.opt_out_type is OptOutType.STOP
    assert out.reply == STOP_REPLY
    assert blocked_from(engine, SHORT)
    assert blocked_via_service(engine)


@pytest.mark.parametrize("word", OPT_IN)
def test_short_code_with_advanced_opt_out_honours_every_opt_in_word(engine, word):
    aoo = CustomKeywords()
    engine.receive(msg("STOP", SHORT, service=SERVICE, aoo=aoo), NOW)
    out = engine.receive(msg(word, SHORT, service=SERVICE, aoo=aoo), LATER)
    assert out.opt_out_type is OptOutType.START
    assert out.reply == START_REPLY
    assert not blocked_from(engine, SHORT)
    assert not blocked_via_service(engine)
    assert len(engine) == 0


@pytest.mark.parametrize("word", HELP)
def test_short_code_with_advanced_opt_out_answers_help_even_while_opted_out(engine, word):
    aoo = CustomKeywords()
    assert engine.receive(msg(word, SHORT, service=SERVICE, aoo=aoo), NOW).reply == HELP_REPLY
    engine.receive(msg("STOP", SHORT, service=SERVICE, aoo=aoo), NOW)
    assert engine.receive(msg(word, SHORT, service=SERVICE, aoo=aoo), LATER).reply == HELP_REPLY


def test_short_code_with_advanced_opt_out_uses_custom_texts(engine):
    aoo = CustomKeywords(replies={OptOutType.STOP: "SC out", OptOutType.START: "SC in", OptOutType.HELP: "SC help"})
    assert engine.receive(msg("STOP", SHORT, service=SERVICE, aoo=aoo), NOW).reply == "SC out"
    assert engine.receive(msg("HELP", SHORT, service=SERVICE, aoo=aoo), NOW).reply == "SC help"
    assert engine.receive(msg("START", SHORT, service=SERVICE, aoo=aoo), NOW).reply == "SC in"


# ================================================================================================
# Alphanumeric: one-way; never opt-out records.
# ================================================================================================


@pytest.mark.parametrize("word", ALL_WORDS)
@pytest.mark.parametrize("aoo", [None, CustomKeywords()])
def test_alphanumeric_never_handles_keywords(engine, word, aoo):
    out = engine.receive(msg(word, ALPHA, service=SERVICE if aoo else None, aoo=aoo), NOW)
    assert out.opt_out_type is None
    assert out.reply is None
    assert len(engine) == 0


# ================================================================================================
# Messaging Services: two records per STOP and blocking_record semantics (section 3.1).
# ================================================================================================


def test_stop_to_a_number_in_a_service_creates_two_records(engine):
    out = engine.receive(msg("STOP", LONG, service=SERVICE), NOW)
    assert out.changed is True
    records = engine.list_()
    assert len(records) == 2
    sender_records = [r for r in records if r.sender is not None]
    service_records = [r for r in records if r.sender is None]
    assert len(sender_records) == 1 and len(service_records) == 1
    s, v = sender_records[0], service_records[0]
    assert (s.account_sid, s.sender, s.messaging_service_sid, s.recipient, s.created_at) == (
        ACCOUNT, LONG, None, HANDSET, NOW)
    assert (v.account_sid, v.sender, v.messaging_service_sid, v.recipient, v.created_at) == (
        ACCOUNT, None, SERVICE, HANDSET, NOW)


def test_stop_to_a_number_outside_a_service_creates_one_record(engine):
    engine.receive(msg("STOP", LONG), NOW)
    assert [(r.sender, r.messaging_service_sid) for r in engine.list_()] == [(LONG, None)]


def test_send_from_a_number_checks_only_that_numbers_record(engine):
    engine.receive(msg("STOP", LONG, service=SERVICE), NOW)
    # From = the number the STOP went to: blocked by its own record.
    record = engine.blocking_record(ACCOUNT, HANDSET, sender=LONG)
    assert record is not None and record.sender == LONG
    # From = another number of the same pool: not blocked (the service record does not apply).
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG2) is None


def test_send_by_service_is_blocked_by_the_service_record(engine):
    engine.receive(msg("STOP", LONG, service=SERVICE), NOW)
    # MessagingServiceSid send whose pool pick is another number: the service record blocks it.
    record = engine.blocking_record(ACCOUNT, HANDSET, sender=LONG2, service_sid=SERVICE)
    assert record is not None
    assert record.messaging_service_sid == SERVICE and record.sender is None
    assert engine.blocking_record(ACCOUNT, HANDSET, service_sid=SERVICE) is not None
    # MessagingServiceSid send whose pool pick is the number the STOP went to.
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG, service_sid=SERVICE) is not None


def test_service_record_does_not_leak_to_other_services_accounts_or_handsets(engine):
    engine.receive(msg("STOP", LONG, service=SERVICE), NOW)
    assert engine.blocking_record(ACCOUNT, HANDSET, service_sid=OTHER_SERVICE) is None
    assert engine.blocking_record(OTHER_ACCOUNT, HANDSET, sender=LONG, service_sid=SERVICE) is None
    assert engine.blocking_record(ACCOUNT, HANDSET2, sender=LONG, service_sid=SERVICE) is None


def test_send_by_service_is_blocked_by_the_picked_senders_record(engine):
    # The number was opted out outside the service (no service record); a service send that picks
    # it is still refused by the number's record.
    engine.import_record(ACCOUNT, HANDSET, LONG, None, NOW)
    record = engine.blocking_record(ACCOUNT, HANDSET, sender=LONG, service_sid=SERVICE)
    assert record is not None and record.sender == LONG
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG2, service_sid=SERVICE) is None


def test_service_record_alone_does_not_block_a_send_from_a_number(engine):
    engine.import_record(ACCOUNT, HANDSET, None, SERVICE, NOW)
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG) is None
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG, service_sid=SERVICE) is not None


def test_blocking_record_without_sender_or_service_is_none(engine):
    engine.receive(msg("STOP", LONG, service=SERVICE), NOW)
    assert engine.blocking_record(ACCOUNT, HANDSET) is None


def test_start_to_the_number_the_stop_went_to_lifts_both_records(engine):
    engine.receive(msg("STOP", LONG, service=SERVICE), NOW)
    out = engine.receive(msg("START", LONG, service=SERVICE), LATER)
    assert out.opt_out_type is OptOutType.START
    assert out.changed is True
    assert len(engine) == 0
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG, service_sid=SERVICE) is None
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG2, service_sid=SERVICE) is None


def test_start_to_another_number_of_the_same_service_lifts_nothing(engine):
    engine.receive(msg("STOP", LONG, service=SERVICE), NOW)
    out = engine.receive(msg("START", LONG2, service=SERVICE), LATER)
    assert out.changed is False
    assert len(engine) == 2
    assert blocked_from(engine, LONG)
    assert blocked_via_service(engine, sender=LONG2)
    assert blocked_via_service(engine)


def test_start_to_a_short_code_of_the_same_service_lifts_nothing(engine):
    aoo = CustomKeywords()
    engine.receive(msg("STOP", LONG, service=SERVICE, aoo=aoo), NOW)
    engine.receive(msg("START", SHORT, service=SERVICE, aoo=aoo), LATER)
    assert blocked_from(engine, LONG)
    assert blocked_via_service(engine)


# ================================================================================================
# Advanced Opt-Out: custom keywords and texts (engine.CustomKeywords).
# ================================================================================================


def test_custom_opt_out_keyword_blocks_and_stop_still_works(engine):
    aoo = CustomKeywords(opt_out=("ARRET",))
    out = engine.receive(msg("arret", service=SERVICE, aoo=aoo), NOW)
    assert out.opt_out_type is OptOutType.STOP
    assert out.reply == STOP_REPLY
    assert blocked_from(engine, LONG) and blocked_via_service(engine)
    engine.receive(msg("START", service=SERVICE, aoo=aoo), NOW)
    assert engine.receive(msg("STOP", service=SERVICE, aoo=aoo), NOW).opt_out_type is OptOutType.STOP
    assert blocked_from(engine, LONG)


def test_custom_opt_in_keyword_lifts_and_start_still_works(engine):
    aoo = CustomKeywords(opt_in=("GO",))
    engine.receive(msg("STOP", service=SERVICE, aoo=aoo), NOW)
    out = engine.receive(msg("Go", service=SERVICE, aoo=aoo), LATER)
    assert out.opt_out_type is OptOutType.START
    assert out.reply == START_REPLY
    assert len(engine) == 0
    engine.receive(msg("STOP", service=SERVICE, aoo=aoo), NOW)
    assert engine.receive(msg("START", service=SERVICE, aoo=aoo), LATER).opt_out_type is OptOutType.START
    assert len(engine) == 0


def test_custom_help_keyword_replies_and_help_still_works(engine):
    aoo = CustomKeywords(help=("AIDE",))
    out = engine.receive(msg("aide", service=SERVICE, aoo=aoo), NOW)
    assert out.opt_out_type is OptOutType.HELP
    assert out.reply == HELP_REPLY
    assert engine.receive(msg("HELP", service=SERVICE, aoo=aoo), NOW).opt_out_type is OptOutType.HELP


def test_custom_keywords_follow_the_matching_rules(engine):
    aoo = CustomKeywords(opt_out=("ARRET",))
    assert engine.receive(msg("ARRET SVP", service=SERVICE, aoo=aoo), NOW).opt_out_type is None
    assert engine.receive(msg("Arret.", service=SERVICE, aoo=aoo), NOW).opt_out_type is None
    assert len(engine) == 0
    assert engine.receive(msg("Arret.", service=SERVICE, aoo=aoo, lenient=True), NOW).opt_out_type is OptOutType.STOP


def test_custom_keywords_do_not_apply_without_advanced_opt_out(engine):
    # A custom word is just a message on a number outside an Advanced Opt-Out service.
    assert engine.receive(msg("ARRET"), NOW).opt_out_type is None
    assert len(engine) == 0


def test_custom_reply_texts_replace_the_defaults(engine):
    aoo = CustomKeywords(replies={OptOutType.STOP: "Bye.", OptOutType.START: "Welcome back.",
                                  OptOutType.HELP: "Call 555."})
    assert engine.receive(msg("STOP", service=SERVICE, aoo=aoo), NOW).reply == "Bye."
    assert engine.receive(msg("HELP", service=SERVICE, aoo=aoo), NOW).reply == "Call 555."
    assert engine.receive(msg("START", service=SERVICE, aoo=aoo), NOW).reply == "Welcome back."


def test_unset_custom_reply_texts_fall_back_to_the_defaults(engine):
    aoo = CustomKeywords(replies={OptOutType.STOP: "Bye.", OptOutType.START: None, OptOutType.HELP: None})
    assert engine.receive(msg("STOP", service=SERVICE, aoo=aoo), NOW).reply == "Bye."
    assert engine.receive(msg("HELP", service=SERVICE, aoo=aoo), NOW).reply == HELP_REPLY
    assert engine.receive(msg("START", service=SERVICE, aoo=aoo), NOW).reply == START_REPLY


def test_advanced_opt_out_without_customisation_behaves_like_the_defaults(engine):
    aoo = CustomKeywords()
    for word in OPT_OUT:
        assert engine.receive(msg(word, service=SERVICE, aoo=aoo), NOW).reply == STOP_REPLY
    for word in OPT_IN:
        engine.receive(msg("STOP", service=SERVICE, aoo=aoo), NOW)
        out = engine.receive(msg(word, service=SERVICE, aoo=aoo), NOW)
        assert (out.opt_out_type, out.reply) == (OptOutType.START, START_REPLY)
        assert len(engine) == 0
    for word in HELP:
        assert engine.receive(msg(word, service=SERVICE, aoo=aoo), NOW).reply == HELP_REPLY


# ================================================================================================
# import_record, list_(), the records dict
# ================================================================================================


def test_import_sender_record(engine):
    record = engine.import_record(ACCOUNT, HANDSET, LONG, None, NOW)
    assert record == OptOutRecord(ACCOUNT, LONG, None, HANDSET, NOW, source="fixture")
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG) == record
    assert engine.list_() == [record]


def test_import_service_record(engine):
    record = engine.import_record(ACCOUNT, HANDSET, None, SERVICE, NOW)
    assert (record.sender, record.messaging_service_sid, record.recipient, record.account_sid) == (
        None, SERVICE, HANDSET, ACCOUNT)
    assert engine.blocking_record(ACCOUNT, HANDSET, service_sid=SERVICE) == record


@pytest.mark.parametrize(("sender", "service"), [(None, None), (LONG, SERVICE)])
def test_import_record_needs_exactly_one_of_sender_and_service(engine, sender, service):
    with pytest.raises(InvalidInput, match="exactly one"):
        engine.import_record(ACCOUNT, HANDSET, sender, service, NOW)
    assert len(engine) == 0


def test_importing_the_same_record_twice_keeps_one(engine):
    first = engine.import_record(ACCOUNT, HANDSET, LONG, None, NOW)
    engine.import_record(ACCOUNT, HANDSET, LONG, None, LATER)
    assert len(engine) == 1
    assert engine.blocking_record(ACCOUNT, HANDSET, sender=LONG) == first


def test_imported_sender_record_is_lifted_by_start_to_that_sender(engine):
    engine.import_record(ACCOUNT, HANDSET, LONG, None, NOW)
    assert engine.receive(msg("START", LONG2), NOW).changed is False
    assert blocked_from(engine, LONG)
    assert engine.receive(msg("START", LONG), NOW).changed is True
    assert len(engine) == 0


def test_list_filters_by_account_and_recipient(engine):
    a1 = engine.import_record(ACCOUNT, HANDSET, LONG, None, NOW)
    a2 = engine.import_record(ACCOUNT, HANDSET2, LONG, None, NOW)
    a3 = engine.import_record(ACCOUNT, HANDSET, None, SERVICE, NOW)
    b1 = engine.import_record(OTHER_ACCOUNT, HANDSET, LONG2, None, NOW)
    key = lambda r: (r.account_sid, r.sender or "", r.messaging_service_sid or "", r.recipient)  # noqa: E731
    assert sorted(engine.list_(), key=key) == sorted([a1, a2, a3, b1], key=key)
    assert sorted(engine.list_(account_sid=ACCOUNT), key=key) == sorted([a1, a2, a3], key=key)
    assert engine.list_(account_sid=OTHER_ACCOUNT) == [b1]
    assert sorted(engine.list_(recipient=HANDSET), key=key) == sorted([a1, a3, b1], key=key)
    assert sorted(engine.list_(account_sid=ACCOUNT, recipient=HANDSET), key=key) == sorted([a1, a3], key=key)
    assert engine.list_(account_sid=OTHER_ACCOUNT, recipient=HANDSET2) == []
    assert engine.list_(account_sid="AC" + "c" * 32) == []
    assert engine.list_(recipient="+15559999999") == []


def test_list_reflects_inbound_changes(engine):
    engine.receive(msg("STOP", LONG, recipient=HANDSET), NOW)
    engine.receive(msg("STOP", TOLL_FREE, recipient=HANDSET2), NOW)
    assert [r.sender for r in engine.list_(recipient=HANDSET)] == [LONG]
    assert [r.sender for r in engine.list_(recipient=HANDSET2)] == [TOLL_FREE]
    engine.receive(msg("START", LONG, recipient=HANDSET), NOW)
    assert engine.list_(recipient=HANDSET) == []


def test_the_engine_reads_and_writes_the_records_it_was_given():
    records: dict = {}
    engine = OptOutEngine(records)
    engine.receive(msg("STOP", LONG, service=SERVICE), NOW)
    engine.import_record(OTHER_ACCOUNT, HANDSET, LONG2, None, NOW)
    assert len(records) == 3
    records.clear()  # what a reset of the emulator's state does
    assert len(engine) == 0
    assert engine.list_() == []
    assert not blocked_from(engine, LONG)


# ================================================================================================
# Scale: lookups are keyed, so a large suppression list still answers correctly.
# ================================================================================================


def test_two_hundred_thousand_records(engine):
    accounts = ["AC" + f"{i:032x}" for i in range(1, 5)]
    services = ["MG" + f"{i:032x}" for i in range(1, 5)]
    n = 200_000
    for i in range(n):
        account = accounts[i % 4]
        handset = f"+1555{i:07d}"
        if i % 2 == 0:
            engine.import_record(account, handset, f"+1444{i % 1000:07d}", None, NOW)
        else:
            engine.import_record(account, handset, None, services[i % 4], NOW)
    assert len(engine) == n

    for i in (0, 1, 2, 3, 12_345, 99_998, 99_999, 150_001, n - 2, n - 1):
        account = accounts[i % 4]
        handset = f"+1555{i:07d}"
        sender = f"+1444{i % 1000:07d}"
        if i % 2 == 0:
            record = engine.blocking_record(account, handset, sender=sender)
            assert record is not None and (record.sender, record.recipient) == (sender, handset)
            # Other sender, other account, other handset: not blocked.
            assert engine.blocking_record(account, handset, sender=f"+1444{(i + 1) % 1000:07d}") is None
            assert engine.blocking_record(accounts[(i + 1) % 4], handset, sender=sender) is None
            assert engine.blocking_record(account, f"+1666{i:07d}", sender=sender) is None
            assert engine.blocking_record(account, handset, service_sid=services[i % 4]) is None
        else:
            record = engine.blocking_record(account, handset, sender=sender, service_sid=services[i % 4])
            assert record is not None
            assert (record.messaging_service_sid, record.recipient) == (services[i % 4], handset)
            assert engine.blocking_record(account, handset, sender=sender) is None
            assert engine.blocking_record(account, handset, service_sid=services[(i + 1) % 4]) is None
            assert engine.blocking_record(accounts[(i + 1) % 4], handset, service_sid=services[i % 4]) is None

    # Inbound handling still works against the large store.
    engine.receive(msg("STOP", LONG, service=SERVICE, recipient="+16660000000"), NOW)
    assert len(engine) == n + 2
    assert blocked_from(engine, LONG, recipient="+16660000000")
    engine.receive(msg("START", LONG, service=SERVICE, recipient="+16660000000"), NOW)
    assert len(engine) == n
    assert len(engine.list_(account_sid=accounts[0])) == n // 4


# ================================================================================================
# record_consent: the Consent Management API (reference section 9)
# ================================================================================================


def consent(sender=LONG, service=None, opt_in=False, source="website", pool_service=None, correlation="c" * 32):
    return Consent(ACCOUNT, HANDSET, sender, service, opt_in, source, correlation, None, pool_service)


def test_consent_opt_out_writes_a_consent_api_record(engine):
    engine.record_consent(consent(), NOW)
    [record] = engine.list_()
    assert (record.sender, record.source, record.consent_source, record.correlation_id) == (
        LONG, "consent_api", "website", "c" * 32)
    assert blocked_from(engine, LONG)
    assert not blocked_from(engine, LONG2)


def test_consent_opt_out_upserts_and_keeps_when_the_block_began(engine):
    engine.receive(msg("STOP", LONG), NOW)
    engine.record_consent(consent(source="offline"), LATER)
    [record] = engine.list_()
    assert (record.created_at, record.source, record.consent_source) == (NOW, "consent_api", "offline")


def test_consent_opt_in_lifts_a_stop_like_start_does(engine):
    engine.receive(msg("STOP", LONG, service=SERVICE), NOW)
    assert len(engine) == 2
    engine.record_consent(consent(opt_in=True, pool_service=SERVICE), LATER)
    assert len(engine) == 0


def test_consent_opt_in_of_a_service_lifts_the_number_its_stop_went_to(engine):
    engine.receive(msg("STOP", LONG2, service=SERVICE), NOW)
    engine.record_consent(consent(sender=None, service=SERVICE, opt_in=True), LATER)
    assert len(engine) == 0


def test_consent_opt_in_leaves_a_toll_free_stop_to_the_carrier(engine):
    engine.receive(msg("STOP", TOLL_FREE), NOW)
    engine.record_consent(consent(sender=TOLL_FREE, opt_in=True), LATER)
    engine.record_consent(consent(sender=TOLL_FREE, opt_in=False), LATER)
    [record] = engine.list_()
    assert record.source == "keyword"
    engine.receive(msg("START", TOLL_FREE), LATER)
    engine.record_consent(consent(sender=TOLL_FREE), LATER)
    engine.record_consent(consent(sender=TOLL_FREE, opt_in=True), LATER)
    assert len(engine) == 0


def test_import_record_with_a_source(engine):
    record = engine.import_record(ACCOUNT, HANDSET, LONG, None, NOW, "consent_api", "offline")
    assert (record.source, record.consent_source) == ("consent_api", "offline")
    with pytest.raises(InvalidInput, match="source"):
        engine.import_record(ACCOUNT, HANDSET2, LONG, None, NOW, "crm")
