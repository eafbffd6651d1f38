"""Sender registration: US A2P 10DLC campaigns for long codes, toll-free verification.

US carriers block messages from long codes not registered to a 10DLC campaign ("Shutdown of
Unregistered 10DLC Messaging FAQ": all traffic to US numbers, with PR, VI, GU and AS; not Canada)
and from toll-free numbers not verified (error 30032: to the US or Canada). Twilio answers the
create 201; the message then ends `undelivered` with the code (a live status callback:
ErrorCode=30034, MessageStatus=undelivered). Every sender is registered/verified by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput
from .models import Fault, Sender, Status
from .phone import SenderType, nanp_country


@dataclass(frozen=True)
class Scheme:
    default: str
    blocked: dict[str, int]  # state -> the error code a send from it ends with
    countries: frozenset[str]  # destinations the block applies to


SCHEMES = {
    SenderType.LONG_CODE: Scheme(
        "registered", {"unregistered": 30034, "pending": 30035, "suspended": 30033}, frozenset({"US"})
    ),
    SenderType.TOLL_FREE: Scheme(
        "verified", {"unverified": 30032, "pending": 30032, "rejected": 30032}, frozenset({"US", "CA"})
    ),
}


def state(sender: Sender) -> str | None:
    """The sender's registration state (None: short codes and alphanumeric IDs have none)."""
    scheme = _scheme(sender)
    return None if scheme is None else sender.registration or scheme.default


def check_state(sender: Sender, value: str) -> str:
    scheme = _scheme(sender)
    if scheme is None:
        raise InvalidInput(
            f"{sender.address} has no registration: only US long codes (A2P 10DLC) and toll-free numbers have one"
        )
    allowed = (scheme.default, *scheme.blocked)
    if value not in allowed:
        raise InvalidInput(f"registration of {sender.address} must be one of {', '.join(allowed)}")
    return value


def block(sender: Sender | None, to: str) -> Fault | None:
    """The failure a send from `sender` to `to` ends with (and why) when carriers block it."""
    scheme = _scheme(sender) if sender is not None else None
    if sender is None or scheme is None or not to.startswith("+1") or nanp_country(to) not in scheme.countries:
        return None
    current = sender.registration or scheme.default
    code = scheme.blocked.get(current)
    if code is None:
        return None
    kind = "toll-free verification" if sender.type is SenderType.TOLL_FREE else "A2P 10DLC registration"
    reason = f"{kind} of sender {sender.address} is {current!r}: US carriers block its messages to {to}"
    return Fault(Status.UNDELIVERED, code, reason=reason)


def _scheme(sender: Sender) -> Scheme | None:
    # A long code outside +1 is not a 10DLC number.
    if sender.type is SenderType.LONG_CODE and not sender.address.startswith("+1"):
        return None
    return SCHEMES.get(sender.type)
