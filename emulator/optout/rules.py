"""What each sender type does with keywords (README "Opt-out rules"), as one table."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..domain.phone import SenderType


class Handling(str, enum.Enum):
    ALWAYS = "always"  # Twilio handles keywords by default
    ADVANCED_OPT_OUT_ONLY = "advanced_opt_out_only"  # only in a Messaging Service with Advanced Opt-Out
    NEVER = "never"


class Replies(str, enum.Enum):
    TWILIO = "twilio"  # Twilio's default texts, or the service's Advanced Opt-Out texts
    TOLL_FREE = "toll_free"  # carrier "NETWORK MSG" texts for STOP and START/UNSTOP


@dataclass(frozen=True)
class SenderRule:
    handling: Handling
    replies: Replies
    # The only opt-in words this sender type honours, whatever the service adds (toll-free: the
    # carrier layer answers START and UNSTOP only; YES and custom words do not re-subscribe).
    only_opt_in: frozenset[str] | None = None
    # Whether HELP/INFO gets a reply while the handset is opted out of this sender.
    help_while_opted_out: bool = True


SENDER_RULES: dict[SenderType, SenderRule] = {
    SenderType.LONG_CODE: SenderRule(Handling.ALWAYS, Replies.TWILIO),
    SenderType.TOLL_FREE: SenderRule(
        Handling.ALWAYS,
        Replies.TOLL_FREE,
        only_opt_in=frozenset({"START", "UNSTOP"}),
        help_while_opted_out=False,
    ),
    SenderType.SHORT_CODE: SenderRule(Handling.ADVANCED_OPT_OUT_ONLY, Replies.TWILIO),
    # One-way only: an inbound message to it is refused before the engine sees it.
    SenderType.ALPHANUMERIC: SenderRule(Handling.NEVER, Replies.TWILIO),
}
