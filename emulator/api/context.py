"""Access to the Emulator of the current app (kept in app.extensions, never a module global)."""

from __future__ import annotations

from flask import current_app

from ..domain.emulator import Emulator

EXTENSION = "twilio_emulator"


def emulator() -> Emulator:
    return current_app.extensions[EXTENSION]
