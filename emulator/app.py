"""create_app(settings): builds the emulator and its Flask app from arguments; nothing at import time."""

from __future__ import annotations

import logging

from collections import deque

from urllib.parse import parse_qsl

from flask import Flask, Request, Response, request
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser

from .api import control, twilio
from .api.context import EXTENSION, REQUESTS, WEBHOOKS
from .api.errors import register_error_handlers
from .domain.emulator import Emulator
from .settings import Settings
from .webhooks import Webhooks

# Bigger bodies than any valid Twilio request (1600 characters, 10 media URLs) are refused early.
MAX_CONTENT_LENGTH = 1024 * 1024


RECENT_REQUESTS = 200


class StrictFormParser(FormDataParser):
    """Werkzeug silently drops a form that is not UTF-8 (or keeps bad escapes as text); Twilio-shaped
    input validation needs it refused: a 400 in the path's error shape."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):  # noqa: ANN001, ANN202
        try:
            items = parse_qsl(stream.read().decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise BadRequest("The request body is not valid UTF-8 form data") from None
        return stream, self.cls(items), self.cls()


    def _parse_multipart(self, stream, mimetype, content_length, options):  # noqa: ANN001, ANN202
        # Werkzeug decodes multipart fields with errors="replace"; a U+FFFD is what is left of a
        # byte that was not UTF-8 (a literal U+FFFD in a Twilio parameter is refused as well).
        result = super()._parse_multipart(stream, mimetype, content_length, options)
        if any("\ufffd" in value for value in result[1].values()):
            raise BadRequest("The request body is not valid UTF-8 form data")
        return result


class EmulatorRequest(Request):
    form_data_parser_class = StrictFormParser


def request_log(app: Flask, emulator: Emulator) -> None:
    """Keep the last requests (since the last reset) so a failing test can show what we saw."""
    log: deque[dict] = deque(maxlen=RECENT_REQUESTS)
    app.extensions[REQUESTS] = log
    emulator.subscribe("reset", log.clear)

    @app.after_request
    def remember(response: Response) -> Response:
        if not request.path.startswith("/_emulator"):
            entry = {"method": request.method, "path": request.path, "status": response.status_code,
                     "error_code": None, "error_message": None}
            if response.status_code >= 400 and response.is_json:
                body = response.get_json(silent=True) or {}
                entry["error_code"], entry["error_message"] = body.get("code"), body.get("message")
            log.append(entry)
        return response


def create_app(settings: Settings | None = None, *, emulator: Emulator | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask("emulator")
    app.request_class = EmulatorRequest
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
    request_log(app, emulator)
    twilio.register(app)
    control.register(app)
    return app
