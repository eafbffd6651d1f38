"""Which host names are Twilio's: the proxy, the TLS port, the CA and patch() all ask here."""

from __future__ import annotations

import re

TWILIO_DOMAIN = "twilio.com"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)\Z")


def is_twilio_host(host: str | None) -> bool:
    """twilio.com or any name under it (api.twilio.com, api.dublin.ie1.twilio.com, ...)."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host != TWILIO_DOMAIN and not host.endswith("." + TWILIO_DOMAIN):
        return False
    return all(_LABEL.match(label) for label in host.split("."))
