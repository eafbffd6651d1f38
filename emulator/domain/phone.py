"""Addresses: E.164 validation, the sender type a From's form implies, and the country of a number."""

from __future__ import annotations

import enum
import functools
import re

E164 = re.compile(r"^\+[1-9]\d{6,14}\Z")
SHORT_CODE = re.compile(r"^\d{5,6}\Z")
# Alphanumeric sender IDs: up to 11 characters of letters, digits and spaces, at least one letter.
ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}\Z")
TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})
# Channel prefixes Twilio accepts in To/From (whatsapp:+1…, rcs:…); the address after it is checked.
CHANNEL = re.compile(r"^(whatsapp|rcs|messenger):(.+)\Z")
# The lengths Twilio documents (21211: "US numbers have 10 digits after the country code; UK mobile
# numbers have 10 digits after the country code"): (prefix, country code, digits after the code).
DOCUMENTED_LENGTHS = (("+1", "1", 10), ("+447", "44", 10))
# NANP area codes outside the US and its territories (PR, VI, GU, AS and MP count as US, as they do
# for US A2P 10DLC): Canada, then the Caribbean and Atlantic countries sharing +1 (NANPA's lists).
CANADA = "204 226 236 249 250 257 263 289 306 343 354 365 367 368 382 387 403 416 418 428 431 437 438 450 460 " \
    "468 474 506 514 519 548 579 581 584 587 600 604 613 639 647 672 683 705 709 742 753 778 780 782 807 " \
    "819 825 867 873 879 902 905 942"
NANP_COUNTRIES = {
    **{code: "CA" for code in CANADA.split()},
    "242": "BS", "246": "BB", "264": "AI", "268": "AG", "284": "VG", "345": "KY", "441": "BM", "473": "GD",
    "649": "TC", "658": "JM", "876": "JM", "664": "MS", "721": "SX", "758": "LC", "767": "DM", "784": "VC",
    "809": "DO", "829": "DO", "849": "DO", "868": "TT", "869": "KN",
}
# Calling codes of the countries a short code can be provisioned in (a short code reaches only its
# own country: Twilio's 21659 page); the emulator's short codes are US unless a fixture says else.
CALLING_CODES = {
    "US": "1", "CA": "1", "GB": "44", "IE": "353", "FR": "33", "DE": "49", "ES": "34", "IT": "39", "NL": "31",
    "BE": "32", "SE": "46", "NO": "47", "DK": "45", "FI": "358", "CH": "41", "AT": "43", "PL": "48", "AU": "61",
    "NZ": "64", "MX": "52", "BR": "55", "AR": "54", "CL": "56", "CO": "57", "PE": "51", "IN": "91", "SG": "65",
    "HK": "852", "JP": "81", "ZA": "27", "PH": "63", "MY": "60",
}


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
    """E.164, with the digit counts Twilio documents (+1: 10 digits; +44 7… UK mobiles: 10)."""
    if not E164.match(value):
        return False
    for prefix, country_code, digits in DOCUMENTED_LENGTHS:
        if value.startswith(prefix):
            return len(value) - 1 - len(country_code) == digits
    return True


@functools.lru_cache(maxsize=4096)  # a few senders are checked on every send
def sender_type(address: str) -> SenderType | None:
    """The type a sender address implies by its form, or None when it is no valid sender."""
    if is_e164(address):
        if address.startswith("+1") and address[2:5] in TOLL_FREE_AREA_CODES:
            return SenderType.TOLL_FREE
        return SenderType.LONG_CODE
    if SHORT_CODE.match(address):
        return SenderType.SHORT_CODE
    if ALPHANUMERIC.match(address):
        return SenderType.ALPHANUMERIC
    return None


def is_nanp(address: str) -> bool:
    return address.startswith("+1")


def nanp_country(number: str) -> str:
    """The ISO country of a +1 number: US (with its territories) unless its area code is another's."""
    return NANP_COUNTRIES.get(number[2:5], "US")


def in_country(number: str, country: str) -> bool:
    """Whether an E.164 number is in `country` (one of CALLING_CODES)."""
    if country in ("US", "CA") or number.startswith("+1"):
        return number.startswith("+1") and nanp_country(number) == country
    return number.startswith("+" + CALLING_CODES[country])
