"""Twilio's default auto-reply texts, verbatim (Twilio's opt-out keywords and toll-free articles)."""

from __future__ import annotations

from .keywords import OptOutType

DEFAULT_REPLIES = {
    OptOutType.STOP: (
        "You have successfully been unsubscribed. You will not receive any more messages from this number. "
        "Reply START to resubscribe."
    ),
    OptOutType.START: (
        "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
        "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
    ),
    OptOutType.HELP: "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}

# Toll-free: the carrier layer answers STOP and START/UNSTOP itself; these cannot be customised.
TOLL_FREE_STOP = (
    'NETWORK MSG: You replied with the word "stop" which blocks all texts sent from this number. '
    'Text back "unstop" to receive messages again.'
)
TOLL_FREE_OPT_IN_WORDS = frozenset({"START", "UNSTOP"})


def toll_free_opt_in(word: str) -> str:
    # The quoted word echoes what the user sent: "Start" for START, "Unstop" for UNSTOP.
    return (
        f'NETWORK MSG: You have replied "{word.capitalize()}" and will begin receiving messages again '
        "from this number."
    )
