"""Webhooks: inbound-message and status-callback requests, signed like Twilio's, delivered by a
background dispatcher, with TwiML answers executed through the same domain paths as API sends."""

from .dispatcher import Webhooks
from .signing import signature

__all__ = ["Webhooks", "signature"]
