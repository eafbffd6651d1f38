"""create_app(settings): builds the emulator and its Flask app from arguments; nothing at import time."""

from __future__ import annotations

import logging

from flask import Flask

from .api import control, twilio
from .api.context import EXTENSION, WEBHOOKS
from .api.errors import register_error_handlers
from .domain.emulator import Emulator
from .settings import Settings
from .webhooks import Webhooks

# Bigger bodies than any valid Twilio request (1600 characters, 10 media URLs) are refused early.
MAX_CONTENT_LENGTH = 1024 * 1024


def create_app(settings: Settings | None = None, *, emulator: Emulator | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask("emulator")
    app.config.update(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH, JSON_SORT_KEYS=False)
    app.json.sort_keys = False
    app.url_map.strict_slashes = False
    logging.getLogger("emulator").setLevel(settings.log_level.upper())
    emulator = emulator or Emulator(settings)
    app.extensions[EXTENSION] = emulator
    app.extensions[WEBHOOKS] = Webhooks(
        emulator,
        timeout=settings.webhook_timeout,
        workers=settings.webhook_workers,
        queue_size=settings.webhook_queue_size,
    )
    register_error_handlers(app)
    twilio.register(app)
    control.register(app)
    return app
