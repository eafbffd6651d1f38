"""Addresses: E.164 validation and the sender type a From's form implies."""

from __future__ import annotations

import enum
import re

E164 = re.compile(r"^\+[1-9]\d{6,14}\Z")
SHORT_CODE = re.compile(r"^\d{5,6}\Z")
# Alphanumeric sender IDs: up to 11 characters of letters, digits and spaces, at least one letter.
ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}\Z")
TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})
# Channel prefixes Twilio accepts in To/From (whatsapp:+1…, rcs:…); the address after it is checked.
CHANNEL = re.compile(r"^(whatsapp|rcs|messenger):(.+)\Z")


class SenderType(str, enum.Enum):
    LONG_CODE = "long_code"
    TOLL_FREE = "toll_free"
    SHORT_CODE = "short_code"
    ALPHANUMERIC = "alphanumeric"


def address(value: str) -> str:
    """The address without its channel prefix (whatsapp:+1… -> +1…)."""
    match = CHANNEL.match(value)
    return match.group(2) if match else value


def is_e164(value: str) -> bool:
    return bool(E164.match(value))


def sender_type(address: str) -> SenderType | None:
    """The type a sender address implies by its form, or None when it is no valid sender."""
    if E164.match(address):
        if address.startswith("+1") and address[2:5] in TOLL_FREE_AREA_CODES and len(address) == 12:
            return SenderType.TOLL_FREE
        return SenderType.LONG_CODE
    if SHORT_CODE.match(address):
        return SenderType.SHORT_CODE
    if ALPHANUMERIC.match(address):
        return SenderType.ALPHANUMERIC
    return None


def is_nanp(address: str) -> bool:
    return address.startswith("+1")
