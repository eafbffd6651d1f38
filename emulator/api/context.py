"""Access to the Emulator of the current app (kept in app.extensions, never a module global)."""

from __future__ import annotations

from flask import current_app

from ..domain.emulator import Emulator
from ..webhooks import Webhooks

EXTENSION = "twilio_emulator"
WEBHOOKS = "twilio_emulator_webhooks"
REQUESTS = "twilio_emulator_requests"
GATE = "twilio_emulator_gate"


def emulator() -> Emulator:
    return current_app.extensions[EXTENSION]


def webhooks() -> Webhooks:
    return current_app.extensions[WEBHOOKS]
