"""The form of a webhook URL, as Twilio checks it at the API (21609, 21620, 21402).

Only the form: an http(s) scheme, a host without underscores (the OAI's "URL must contain a valid
hostname and underscores are not allowed"), a numeric port, no whitespace, at most 4000 characters
(Twilio's 21609 page). Twilio also refuses URLs it cannot reach from the internet, `localhost`
included; the emulator must not, since its webhooks are local by nature.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

MAX_URL = 4000
HOST_NAME = re.compile(r"^(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+\.?\Z")
WHITESPACE = re.compile(r"\s")


def is_valid_url(value: str) -> bool:
    # Checked on every create with a StatusCallback: the cheap tests come first.
    if not value or len(value) > MAX_URL or WHITESPACE.search(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    host = parts.hostname
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    if HOST_NAME.match(host):  # names, and IPv4 addresses
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
