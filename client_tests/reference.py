"""Expected values quoted from Twilio's pages, shared by the opt-out tests. Written
out here, never imported from the emulator: a test must not agree with the code by construction."""

from __future__ import annotations

# Twilio's default replies, verbatim (support.twilio.com/hc/en-us/articles/223134027).
OPT_OUT_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages from this number. "
    "Reply START to resubscribe."
)
OPT_IN_REPLY = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."

# The body of a refused send (www.twilio.com/docs/errors/21610).
ERROR_21610 = {
    "code": 21610,
    "message": "Attempt to send to unsubscribed recipient",
    "more_info": "https://www.twilio.com/docs/errors/21610",
    "status": 400,
}


def replies(result: dict) -> list[tuple[str, str, str]]:
    """(from, to, body) of each auto-reply in a POST /_emulator/inbound answer."""
    return [(r["from"], r["to"], r["body"]) for r in result["auto_replies"]]
